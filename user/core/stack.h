/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal layout of a stack: records, pools and the helpers the state
 * machine files share. Not part of the core's API (that is tcp.h).
 */
#ifndef TERN_CORE_STACK_H
#define TERN_CORE_STACK_H

#include "tcp.h"
#include "wheel.h"

enum tern_state {
	TERN_CLOSED = 0,
	TERN_LISTEN,
	TERN_SYN_RCVD,
	TERN_ESTABLISHED,
	TERN_FIN_WAIT_1,
	TERN_FIN_WAIT_2,
	TERN_CLOSING,
	TERN_TIME_WAIT,
	TERN_CLOSE_WAIT,
	TERN_LAST_ACK,
};

/* Negotiated-option bits (req->optf, conn->optf). */
#define TERN_NEG_TS 0x01
#define TERN_NEG_SACK 0x02
#define TERN_NEG_WS 0x04

#define TERN_NIL UINT32_MAX

/* RFC 7323 / Linux constants. */
#define TERN_RATELIMIT_NS (500 * TERN_NSEC_PER_MSEC) /* tcp_invalid_ratelimit */
#define TERN_TIMEOUT_INIT_NS TERN_NSEC_PER_SEC       /* TCP_TIMEOUT_INIT */
#define TERN_RTO_MAX_NS (120 * TERN_NSEC_PER_SEC)   /* TCP_RTO_MAX */
#define TERN_PAWS_24DAYS_S (60 * 60 * 24 * 24)      /* TCP_PAWS_WRAP */
#define TERN_MSS_DEFAULT_V4 536                      /* TCP_MSS_DEFAULT */
#define TERN_MSS_DEFAULT_V6 1220                     /* IPV6_MIN_MTU - 60 */
#define TERN_TSOPT_LEN 12                            /* TCPOLEN_TSTAMP_ALIGNED */

/*
 * Head of every hashed record: the tuple it is found by, the chain link
 * (an index in its pool) and the 32-bit hash, kept so removal needs no
 * rehash. Free records chain through hnext too.
 */
struct tern_node {
	struct tern_tuple t;
	uint32_t hnext;
	uint32_t hash;
};

/* Half-open connection (Linux request_sock). */
struct tern_req {
	struct tern_node n;
	struct tern_l2 l2;
	struct tern_timer timer; /* SYN-ACK retransmission */
	uint64_t last_oow;       /* last rate-limited ACK/SYN-ACK, ns */
	uint32_t iss;
	uint32_t irs;
	uint32_t ts_recent;      /* peer's last TSval */
	uint32_t ts_off;
	uint16_t peer_mss;
	uint8_t snd_wscale;
	uint8_t optf;            /* TERN_NEG_* */
	uint8_t retrans;
	uint8_t in_use;
};

/* Established (or closing) connection. */
struct tern_conn {
	struct tern_node n;
	struct tern_l2 l2;
	struct tern_timer timer;
	void *user;
	uint64_t last_oow;        /* per-connection ACK rate limit, ns */
	uint32_t iss;
	uint32_t irs;
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_wnd;         /* scaled */
	uint32_t snd_wl1;
	uint32_t snd_wl2;
	uint32_t max_window;      /* largest window the peer offered */
	uint32_t rcv_nxt;
	uint32_t rcv_wup;         /* rcv_nxt when the window was last sent */
	uint32_t ts_recent;
	uint32_t ts_recent_s;     /* when ts_recent was stored, seconds */
	uint32_t ts_off;
	uint16_t mss;             /* send MSS, options excluded */
	uint8_t state;            /* enum tern_state */
	uint8_t optf;             /* TERN_NEG_* */
	uint8_t snd_wscale;
	uint8_t rcv_wscale;
	uint8_t in_use;
	uint8_t pad;
};

/* A fixed pool of records with a chained hash index over them. */
struct tern_pool {
	uint8_t *base;
	uint32_t *bucket;
	uint32_t stride;
	uint32_t cap;
	uint32_t mask;  /* buckets - 1 */
	uint32_t used;
	uint32_t free_head;
};

struct tern_listener {
	struct tern_addr addr;
	uint16_t port;
	uint8_t family;
};

struct tern_stack {
	struct tern_cfg cfg;
	struct tern_secrets sec;
	const struct tern_app_ops *ops;
	void *app_ctx;
	struct tern_pool reqs;
	struct tern_pool conns;
	struct tern_listener *lis;
	uint32_t nlis;
	uint8_t rcv_wscale;       /* chosen from cfg.rcv_wnd */
	uint64_t last_overflow;   /* last cookie sent (tcp_synq_overflow) */
	uint8_t cookies_sent;     /* last_overflow is valid */
	uint64_t chal_second;     /* global challenge-ACK budget window */
	uint32_t chal_left;
	struct tern_wheel wheel;
	uint64_t mib[TERN_MIB__COUNT];
	uint64_t parse_drops[TERN_PARSE__COUNT];
};

#define TERN_MIB_INC(s, name) ((s)->mib[TERN_MIB_##name]++)

/* pool.c */
void tern_pool__init(struct tern_pool *p, void *base, uint32_t stride, uint32_t cap,
		     uint32_t *bucket, uint32_t nbuckets);
void *tern_pool__lookup(const struct tern_pool *p, uint32_t hash, const struct tern_tuple *t);
void *tern_pool__alloc(struct tern_pool *p, uint32_t hash, const struct tern_tuple *t);
void tern_pool__free(struct tern_pool *p, void *rec);
static inline void *tern_pool__at(const struct tern_pool *p, uint32_t i)
{
	return p->base + (size_t)i * p->stride;
}
static inline int tern_pool__owns(const struct tern_pool *p, const void *ptr)
{
	const uint8_t *b = ptr;
	return b >= p->base && b < p->base + (size_t)p->cap * p->stride;
}
uint32_t tern_tuple_hash(const struct tern_stack *s, const struct tern_tuple *t);

/* emit.c: segments the core sends */
struct tern_tx *tern_emit_slot(struct tern_stack *s, struct tern_out *out);
void tern_emit_reset(struct tern_stack *s, const struct tern_seg *seg, struct tern_out *out);
void tern_emit_synack(struct tern_stack *s, const struct tern_tuple *t, const struct tern_l2 *l2,
		      uint32_t iss, uint32_t irs, uint8_t optf, uint8_t snd_wscale,
		      uint32_t tsval, uint32_t tsecr, struct tern_out *out);
void tern_emit_req_ack(struct tern_stack *s, const struct tern_req *r, uint64_t now,
		       struct tern_out *out);
void tern_emit_conn_ack(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			struct tern_out *out);
uint16_t tern_our_mss(const struct tern_stack *s, int family);
uint16_t tern_synack_window(const struct tern_stack *s, int family, uint8_t optf);

/* time helpers */
static inline uint32_t tern_ts_now(uint64_t now) { return (uint32_t)(now / TERN_NSEC_PER_MSEC); }
static inline uint32_t tern_secs(uint64_t now) { return (uint32_t)(now / TERN_NSEC_PER_SEC); }

/* secret.c */
uint32_t tern_isn(const struct tern_stack *s, const struct tern_tuple *t, uint64_t now);
uint32_t tern_ts_off(const struct tern_stack *s, const struct tern_tuple *t);

/* rate limits (conn.c) */
int tern_oow_limited(struct tern_stack *s, const struct tern_seg *seg, uint64_t *last,
		     uint64_t now, int mib);

/* listen.c / conn.c */
/* *hash is the tuple hash, or UINT64_MAX when not computed yet. */
void tern_listen_input(struct tern_stack *s, uint64_t *hash, const struct tern_seg *seg,
		       uint64_t now, struct tern_out *out);
void tern_req_input(struct tern_stack *s, struct tern_req *r, const struct tern_seg *seg,
		    uint64_t now, struct tern_out *out);
void tern_req_timer(struct tern_stack *s, struct tern_req *r, uint64_t now, struct tern_out *out);
void tern_conn_input(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		     uint64_t now, struct tern_out *out);
struct tern_conn *tern_conn_create(struct tern_stack *s, uint32_t hash, const struct tern_seg *seg,
				   uint32_t iss, uint32_t ts_off, uint16_t peer_mss,
				   uint8_t optf, uint8_t snd_wscale, uint64_t now);
void tern_conn_free(struct tern_stack *s, struct tern_conn *c, int reason);
void tern_conn_reset(struct tern_stack *s, struct tern_conn *c);
void tern_conn_abort(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out);
/* The receive window in bytes, as advertised (scaled field << rcv_wscale). */
uint32_t tern_rcv_window(const struct tern_stack *s, const struct tern_conn *c);

/* syncookie.c */
uint32_t tern_cookie_make(const struct tern_stack *s, const struct tern_seg *syn, uint64_t now,
			  uint16_t *mss_out);
int tern_cookie_check(const struct tern_stack *s, const struct tern_seg *ack, uint64_t now,
		      uint16_t *mss_out);
uint32_t tern_cookie_tsval(uint32_t ts_now, uint8_t optf, uint8_t snd_wscale);
int tern_cookie_ts_decode(uint32_t tsecr_minus_off, uint8_t *optf, uint8_t *snd_wscale);

#endif
