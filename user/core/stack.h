/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal layout of a stack: records, pools and the helpers the state
 * machine files share. Not part of the core's API (that is tcp.h).
 */
#ifndef TERN_CORE_STACK_H
#define TERN_CORE_STACK_H

#include <stdbool.h>
#include <string.h>

#include "cc.h"
#include "ooo.h"
#include "rack.h"
#include "tcp.h"
#include "wheel.h"

enum tern_state {
	TERN_CLOSED = 0,
	TERN_LISTEN,
	TERN_SYN_SENT,
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
#define TERN_RCV_UNLIMITED UINT32_MAX

/* RFC 7323 / Linux constants. */
#define TERN_RATELIMIT_NS (500 * TERN_NSEC_PER_MSEC) /* tcp_invalid_ratelimit */
#define TERN_TIMEOUT_INIT_NS TERN_NSEC_PER_SEC       /* TCP_TIMEOUT_INIT */
#define TERN_RTO_MAX_NS (120 * TERN_NSEC_PER_SEC)   /* TCP_RTO_MAX */
#define TERN_PAWS_24DAYS_S (60 * 60 * 24 * 24)      /* TCP_PAWS_WRAP */
#define TERN_MSS_DEFAULT_V4 TERN_COOKIE_MSS_V4_DEFAULT /* TCP_MSS_DEFAULT */
#define TERN_MSS_DEFAULT_V6 TERN_COOKIE_MSS_V6_DEFAULT /* IPV6_MIN_MTU - 60 */
#define TERN_TSOPT_LEN 12                            /* TCPOLEN_TSTAMP_ALIGNED */

/*
 * Head of every hashed record: the tuple it is found by and the chain link
 * (an index in its pool). Free records chain through hnext too. The hash
 * is not stored (removal recomputes it) so that a TIME-WAIT record fits in
 * 64 bytes; t.pad[] is free for the record's own flags (a connection
 * keeps the high bits of its rate-limit clock in t.pad[0]).
 */
struct tern_node {
	struct tern_tuple t;
	uint32_t hnext;
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
	uint32_t rcv_buf;        /* the listener's, when the SYN came */
	uint16_t peer_mss;
	uint8_t snd_wscale;
	uint8_t optf;            /* TERN_NEG_* */
	uint8_t retrans;
	uint8_t in_use;
};

/* conn->flags */
#define TERN_CF_FIN_QUEUED 0x01 /* the application closed its sending side */
#define TERN_CF_FIN_SENT 0x02   /* our FIN is at snd_max - 1 */
#define TERN_CF_RCV_SHUT 0x04   /* the application closed: data now gets a RST */
#define TERN_CF_WANT_WRITE 0x08 /* send() failed for space: call writable() */
#define TERN_CF_RTT 0x10        /* timing rtt_seq (Karn, no timestamps) */
#define TERN_CF_RECOVERY 0x20   /* NewReno fast recovery until `recover` */
#define TERN_CF_PROBING 0x40    /* zero-window probes instead of RTO */
#define TERN_CF_ACTIVE 0x80     /* opened by tern_stack__connect() */

/*
 * A connection past the handshake (and SYN-SENT for active opens). At most
 * 248 bytes, 256 with its hash bucket (conn.c): every time and deadline is
 * a 32-bit ms clock (tern_ms), the send queue is a chain of pooled chunks,
 * and the out-of-order queue is pooled too. The ISS is SND.UNA in SYN-SENT
 * and is not kept afterwards. A deadline of 0 means "not armed".
 */
struct tern_conn {
	struct tern_node n;
	uint8_t state;            /* enum tern_state */
	uint8_t optf;             /* TERN_NEG_* */
	uint8_t snd_wscale;
	uint8_t rcv_wscale;
	struct tern_l2 l2;
	struct tern_timer timer;  /* one wheel slot: the earliest deadline below */
	void *user;
	uint32_t snd_una;
	uint32_t snd_nxt;         /* next sequence to send (rewinds on RTO) */
	uint32_t snd_max;         /* highest sequence sent + 1 */
	uint32_t snd_wnd;         /* scaled */
	uint32_t snd_wl1;
	uint32_t max_window;      /* largest window the peer offered */
	uint32_t bytes_acked;     /* saturating, for the RFC 5961 5.2 bound */
	uint32_t rcv_nxt;
	uint32_t rcv_wup;         /* rcv_nxt when we last sent a window */
	uint32_t ts_recent;
	uint32_t ts_recent_s;     /* when ts_recent was stored, seconds */
	uint32_t ts_off;
	uint32_t cwnd;            /* bytes */
	uint32_t ssthresh;
	uint32_t recover;         /* RFC 6582 */
	uint32_t srtt_us;         /* << 3, as Linux */
	uint32_t rttvar_us;
	uint32_t rto_ms;          /* before backoff */
	uint32_t rtt_seq;         /* Karn timing: seq being timed, and when */
	uint32_t rtt_ms;
	uint32_t last_oow_ms;     /* low 32 bits of the ms of the last
				   * rate-limited reply (conn.c, n.t.pad[0]) */
	uint32_t rto_at;          /* retransmission or zero-window probe */
	uint32_t delack_at;       /* delayed ACK */
	uint32_t ka_at;           /* keepalive or FIN-WAIT-2 timeout */
	uint32_t una_since;       /* oldest unacknowledged data outstanding
				   * since, or the first zero-window probe
				   * (0: no probe yet); starts the user timeout */
	uint32_t last_rcv;        /* last segment from the peer (keepalive idle) */
	uint32_t sq_head;         /* send queue: chunk indices */
	uint32_t sq_tail;
	uint32_t sq_bytes;        /* queued bytes from snd_una on (FIN excluded) */
	uint32_t sq_off;          /* bytes of the head chunk already acked */
	uint32_t rcv_credit;      /* bytes the application can take beyond
				   * RCV.NXT; TERN_RCV_UNLIMITED: no limit */
	uint32_t app_at;          /* the application's timer (tern_conn__set_timer) */
	struct tern_ooo_q ooo;
	uint16_t mss;             /* send MSS, options excluded */
	uint16_t lis;             /* listener index (keepalive, user timeout) */
	uint8_t flags;            /* TERN_CF_* */
	uint8_t dupacks;
	uint8_t backoff;          /* RTO or probe doublings */
	uint8_t retries;          /* retransmissions or probes of the same data */
	uint8_t probes;           /* keepalive probes unanswered */
	uint8_t quick;            /* quick ACKs left (Linux quickack mode) */
	uint8_t in_use;
	uint8_t rwnd_zero;        /* the last window advertised was 0 (sws.c) */
};

/* SACKed ranges a sender remembers per connection; a further disjoint
 * range drops the highest (TCPSackRangesFull): that data is sent again
 * if it is found lost, never skipped wrongly. */
#define TERN_SACK_RANGES 6

/*
 * Where the send queue was last read (sendq.c): a chunk and the sequence
 * number of its first byte, so the next read at or after it starts there
 * instead of at the head. One for new data at snd_nxt, one for
 * retransmissions, which move through the queue independently. A cursor
 * never points at a freed chunk: releasing or purging the chunk clears it.
 */
enum {
	TERN_SQ_CUR_NXT,
	TERN_SQ_CUR_RXT,
	TERN_SQ_CURSORS
};

struct tern_sq_cursor {
	uint32_t chunk; /* TERN_NIL: unset */
	uint32_t seq;
};

/*
 * The sender's state that does not fit the connection record: the rest of
 * Linux's RTT estimator, congestion window validation and the congestion
 * control algorithm's private words. One per connection record, in an
 * array parallel to the connection pool (same index), so it is bounded by
 * cfg.max_conns and never runs out; tern_conn_xmit() finds it.
 */
struct tern_xmit {
	uint32_t mdev_us;        /* Linux mdev_us: 4 x mean deviation */
	uint32_t mdev_max_us;    /* largest mdev_us in this RTT window */
	uint32_t rtt_win_seq;    /* Linux rtt_seq: the window ends past it */
	uint32_t lsnd_ms;        /* last data sent (Linux lsndtime) */
	uint32_t cwnd_usage_seq; /* tcp_cwnd_validate(): window end */
	uint32_t max_flight;     /* most bytes in flight in that window */
	uint8_t cwnd_limited;    /* the window stopped sending in it */
	uint8_t pad;
	uint16_t pmtu;           /* path MTU learnt from ICMP (Linux
				  * icsk_pmtu_cookie); 0: cfg.mtu */
	uint32_t cc[TERN_CC_PRIV_WORDS];
	/* SACK scoreboard and recovery (sack.c) */
	uint32_t high_rxt;       /* RFC 6675 HighRxt: retransmitted below it */
	uint32_t lost_to;        /* unSACKed bytes below it are lost (RTO, TLP) */
	uint32_t tlp_high;       /* snd_max when a loss probe went; 0: none */
	uint32_t tlp_seq;        /* the probe's first byte */
	uint32_t sacked;         /* bytes SACKed above snd_una */
	uint32_t rxt_mark;       /* snd_max when the last retransmission went */
	uint8_t nsack;           /* ranges in sack[] */
	uint8_t loss;            /* RTO recovery until recover (TCP_CA_Loss) */
	uint8_t pto;             /* rto_at is a loss probe timeout */
	uint8_t rescued;         /* this recovery's rescue retransmission went */
	struct tern_sack_blk sack[TERN_SACK_RANGES]; /* sorted, disjoint */
	struct tern_sq_cursor sq_cur[TERN_SQ_CURSORS]; /* sendq.c */
	/* Proportional Rate Reduction in recovery (prr.c), bytes */
	uint32_t prior_cwnd;     /* cwnd when recovery began */
	uint32_t prr_delivered;  /* delivered since (ACKed or SACKed) */
	uint32_t prr_out;        /* sent since */
	uint32_t pad3;
};

/* A fixed pool of records with a chained hash index over them. */
/* The XDP flow filter (tern_stack__set_flow_filter()); slots NULL: none. */
struct tern_flowf {
	uint8_t *slots;
	uint32_t mask;
	const struct tern_sipkey *key;
	uint64_t *saturated;           /* the stack's FlowFilterSaturated */
};

struct tern_pool {
	const struct tern_sipkey *key; /* tuple hash key */
	struct tern_flowf *ff;         /* counts the pool's tuples; NULL: none */
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
	struct tern_listen_opts opts;
};

/* A piece of application memory queued for sending (zero copy: the
 * application keeps it alive until the acked callback covers it). */
struct tern_chunk {
	const uint8_t *p;
	uint32_t len;
	uint32_t next; /* TERN_NIL ends */
};

struct tern_chunk_pool {
	struct tern_chunk *e;
	uint32_t cap;
	uint32_t used;
	uint32_t free_head;
	uint8_t starved; /* a send was refused because the pool was empty */
	uint8_t wake;    /* chunks were freed since: tell the refused */
};

void tern_chunks__init(struct tern_chunk_pool *p, struct tern_chunk *mem, uint32_t cap);

/* Blocks that hold copies made by tern_conn__send_copy(); a free block
 * keeps the index of the next free one in its first 4 bytes. A queued
 * chunk whose pointer lies in the arena is a copy: freeing the chunk frees
 * its block. */
#define TERN_COPY_BLOCK 2048u

struct tern_copy_pool {
	uint8_t *mem;
	uint32_t cap;
	uint32_t used;
	uint32_t free_head;
};
void tern_chunks__wake(struct tern_stack *s);

/* A connection's share of the send pools (quota.c) and its buffer sizes
 * (buf.c), indexed like conns. */
struct tern_conn_use {
	uint32_t chunks;
	uint32_t copies;
	uint32_t snd_buf;    /* send buffer now (sk_sndbuf), bytes */
	uint32_t rcv_space;  /* receive window target now (sk_rcvbuf's share
			      * for data), bytes */
	uint32_t rcv_adv;    /* window last advertised, at rcv_wup */
	uint32_t rcvq_space; /* most bytes consumed in one RTT (rcvq_space.space) */
	uint32_t rcvq_seq;   /* consumed edge when the measure began */
	uint32_t rcvq_time;  /* when it began, ms */
};

/* ms clock used by connection timestamps and deadlines (wraps in 49 days;
 * compare with tern_seq_* helpers). */
static inline uint32_t tern_ms(uint64_t now) { return (uint32_t)(now / 1000000u); }

struct tern_stack {
	struct tern_cfg cfg;
	struct tern_secrets sec;
	const struct tern_app_ops *ops;
	void *app_ctx;
	tern_release_fn release;  /* frames the out-of-order queue gives back */
	void *release_ctx;
	struct tern_pool reqs;
	struct tern_pool conns;
	struct tern_xmit *xmit;   /* parallel to conns */
	struct tern_rate *rate;   /* parallel to conns, with cong_control; else NULL */
	struct tern_rrate *rrate; /* parallel to rsegs, likewise (rate.c) */
	const struct tern_cc_ops *cc;
	struct tern_pool tws;
	uint32_t tw_head;         /* TIME-WAIT expiry FIFO (pool indices) */
	uint32_t tw_tail;
	struct tern_ooo_pool ooo;
	struct tern_chunk_pool chunks;
	struct tern_copy_pool copies;
	struct tern_conn_use *use; /* per connection, indexed like conns */
	uint32_t chunk_quota;     /* chunks one connection may hold */
	uint32_t copy_quota;      /* copy blocks one connection may hold */
	uint32_t orphans;         /* connections with TERN_CF_RCV_SHUT */
	uint32_t max_orphans;     /* cfg.max_orphans, or its default */
	uint64_t now;             /* the latest time the caller gave us */
	struct tern_listener *lis;
	uint32_t nlis;
	uint8_t rcv_wscale;       /* chosen from cfg.rmem_max */
	uint8_t mem_pressure;     /* above cfg.mem[1] until below cfg.mem[0] */
	uint64_t sq_total;        /* sum of every connection's sq_bytes */
	uint32_t backlog;         /* half-opens allowed now (<= reqs.cap) */
	uint32_t reqs_young;      /* half-opens not yet retransmitted (qlen_young) */
	uint8_t refusing;         /* tern_stack__set_accepting(s, 0) */
	uint8_t icmp_handoff;     /* tern_stack__set_icmp_handoff(s, 1) */
	uint64_t last_overflow;   /* last cookie sent (tcp_synq_overflow) */
	uint8_t cookies_sent;     /* last_overflow is valid */
	uint64_t chal_second;     /* global challenge-ACK budget window */
	uint32_t chal_left;
	struct tern_wheel wheel;
	uint64_t mib[TERN_MIB__COUNT];
	struct tern_flowf flowf;  /* reqs, conns and tws count into it */
	uint64_t parse_drops[TERN_PARSE__COUNT];
	uint64_t sq_steps;        /* chunks tern_conn_sq_at() stepped over */
	struct tern_rseg_pool rsegs; /* RACK records (rack.c) */
	struct tern_rack *rack;   /* per connection, indexed like conns */
	uint32_t rack_quota;      /* records one connection may hold */
};

#define TERN_MIB_INC(s, name) ((s)->mib[TERN_MIB_##name]++)
#define TERN_MIB_ADD(s, name, n) ((s)->mib[TERN_MIB_##name] += (n))

/* pool.c */
void tern_pool__init(struct tern_pool *p, const struct tern_sipkey *key, void *base,
		     uint32_t stride, uint32_t cap, uint32_t *bucket, uint32_t nbuckets);
void *tern_pool__lookup(const struct tern_pool *p, uint32_t hash, const struct tern_tuple *t);
void *tern_pool__alloc(struct tern_pool *p, uint32_t hash, const struct tern_tuple *t);
void tern_pool__free(struct tern_pool *p, void *rec);
/* A tuple got (add) or lost (del) its record: the flow filter's counter. */
void tern_flowf__add(struct tern_flowf *ff, const struct tern_tuple *t);
void tern_flowf__del(struct tern_flowf *ff, const struct tern_tuple *t);
static inline void *tern_pool__at(const struct tern_pool *p, uint32_t i)
{
	return p->base + (size_t)i * p->stride;
}
static inline uint32_t tern_pool__index(const struct tern_pool *p, const void *rec)
{
	return (uint32_t)((size_t)((const uint8_t *)rec - p->base) / p->stride);
}
static inline int tern_pool__owns(const struct tern_pool *p, const void *ptr)
{
	const uint8_t *b = ptr;
	return b >= p->base && b < p->base + (size_t)p->cap * p->stride;
}
uint32_t tern_tuple_hash(const struct tern_sipkey *key, const struct tern_tuple *t);

/* The same connection: both addresses and ports (the bytes before family). */
static inline bool tern_tuple_same(const struct tern_tuple *a, const struct tern_tuple *b)
{
	return !memcmp(a, b, offsetof(struct tern_tuple, family));
}

/* emit.c: segments the core sends */
uint8_t tern_put_ts(uint8_t *p, uint32_t tsval, uint32_t tsecr);
struct tern_tx *tern_emit_slot(struct tern_stack *s, struct tern_out *out);
void tern_emit_reset(struct tern_stack *s, const struct tern_seg *seg, struct tern_out *out);
void tern_emit_synack(struct tern_stack *s, const struct tern_tuple *t, const struct tern_l2 *l2,
		      uint32_t iss, uint32_t irs, uint8_t optf, uint32_t rcv_buf,
		      uint32_t tsval, uint32_t tsecr, struct tern_out *out);
void tern_emit_syn(struct tern_stack *s, const struct tern_tuple *t, const struct tern_l2 *l2,
		   uint32_t iss, uint8_t optf, uint32_t tsval, struct tern_out *out);
void tern_emit_cancel_data(struct tern_stack *s, const struct tern_conn *c, struct tern_out *out);
int tern_emit_conn_seg(struct tern_stack *s, struct tern_conn *c, uint32_t seq, uint8_t flags,
		       const uint8_t *p, uint32_t len, uint64_t now, struct tern_out *out);
void tern_emit_req_ack(struct tern_stack *s, const struct tern_req *r, uint64_t now,
		       struct tern_out *out);
void tern_emit_conn_ack(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			struct tern_out *out);
uint16_t tern_our_mss(const struct tern_stack *s, int family);
/* limit: the listener's rcv_buf (0: none). */
uint16_t tern_synack_window(const struct tern_stack *s, int family, uint8_t optf, uint32_t limit);

static inline struct tern_xmit *tern_conn_xmit(const struct tern_stack *s,
					       const struct tern_conn *c)
{
	return &s->xmit[tern_pool__index(&s->conns, c)];
}

/* The delivery counters, only with cong_control (s->rate set). */
static inline struct tern_rate *tern_conn_rate(const struct tern_stack *s,
					       const struct tern_conn *c)
{
	return &s->rate[tern_pool__index(&s->conns, c)];
}

/* time helpers */
static inline uint32_t tern_secs(uint64_t now) { return (uint32_t)(now / TERN_NSEC_PER_SEC); }

/* secret.c */
uint32_t tern_isn(const struct tern_stack *s, const struct tern_tuple *t, uint64_t now);
uint32_t tern_ts_off(const struct tern_stack *s, const struct tern_tuple *t);
/* The same under the keys before the last rotation. */
uint32_t tern_ts_off_prev(const struct tern_stack *s, const struct tern_tuple *t);

/* rate limits (conn.c) */
int tern_oow_limited(struct tern_stack *s, const struct tern_seg *seg, uint64_t *last,
		     uint64_t now, int mib);

/* listen.c / conn.c */
/* *hash is the tuple hash, or UINT64_MAX when not computed yet. tw_isn is
 * the ISS a TIME-WAIT record chose for a SYN that reuses its tuple (0: none). */
int tern_listen_input(struct tern_stack *s, const struct tern_listener *l, uint64_t *hash,
		      const struct tern_seg *seg, uint32_t tw_isn, uint64_t now,
		      struct tern_out *out);
int tern_req_input(struct tern_stack *s, struct tern_req *r, const struct tern_seg *seg,
		   uint64_t now, struct tern_out *out);
/* Would the listener create a connection from this ACK's cookie
 * (cookie_v4_check(): cookies in use, ACK without SYN or RST, valid)? */
int tern_listen__cookie_valid(struct tern_stack *s, const struct tern_seg *seg, uint64_t now);
void tern_req_timer(struct tern_stack *s, struct tern_req *r, uint64_t now, struct tern_out *out);
/* Returns 1 when the frame was kept (out-of-order queue). */
int tern_conn_input(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		    uint64_t now, struct tern_out *out);
int tern_synsent_input(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		       uint64_t now, struct tern_out *out);
void tern_synsent_rto(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		      struct tern_out *out);
uint16_t tern_listener_index(const struct tern_stack *s, const struct tern_tuple *t);
const struct tern_listener *tern_conn_listener(const struct tern_stack *s,
					       const struct tern_conn *c);
void tern_conn_ka_start(struct tern_stack *s, struct tern_conn *c, uint64_t now);
int tern_conn_sq_append(struct tern_stack *s, struct tern_conn *c, const void *p, uint32_t len);
int tern_conn_send_copy(struct tern_stack *s, struct tern_conn *c, const void *p, uint32_t len);
void tern_copies__init(struct tern_copy_pool *p, uint8_t *mem, uint32_t cap);
struct tern_conn *tern_conn_create(struct tern_stack *s, uint32_t hash, const struct tern_seg *seg,
				   uint32_t iss, uint32_t irs, uint32_t ts_off, uint16_t peer_mss,
				   uint8_t optf, uint8_t snd_wscale, uint64_t now);
/* Payload bytes per segment for the peer's MSS option (tcp_mtu_to_mss). */
uint16_t tern_send_mss(const struct tern_stack *s, int family, uint16_t peer_mss, uint8_t optf);
/* Initialise the transfer state of a new connection (both open paths). */
void tern_conn_init_xfer(struct tern_stack *s, struct tern_conn *c, uint16_t peer_mss,
			 uint64_t now);
void tern_conn_free(struct tern_stack *s, struct tern_conn *c, int reason);
void tern_conn_reset(struct tern_stack *s, struct tern_conn *c);
void tern_conn_abort(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out);
/* The receive window in bytes, as advertised (scaled field << rcv_wscale). */
uint32_t tern_rcv_window(const struct tern_stack *s, const struct tern_conn *c);
/* The right edge of the receive window last advertised. */
uint32_t tern_rcv_edge(const struct tern_stack *s, const struct tern_conn *c);

/* sws.c: silly window avoidance. tern_rcv_advertise() is the window a
 * segment carries now (and remembers whether it was 0); the floor is the
 * least a shut window reopens by; tern_conn_sws_hold() says whether a
 * segment of len bytes (avail left in its buffer) waits. */
uint32_t tern_rcv_sws_floor(const struct tern_stack *s, const struct tern_conn *c);
uint32_t tern_rcv_advertise(struct tern_stack *s, struct tern_conn *c);
int tern_conn_sws_hold(const struct tern_conn *c, uint32_t len, uint32_t avail, uint32_t mss);

/* recv.c: payload, FIN and ACK scheduling. Returns 1 when the frame was
 * kept in the out-of-order queue. */
int tern_conn_recv(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		   uint64_t now, struct tern_out *out);
void tern_conn_ack_now(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		       struct tern_out *out);

/* sendq.c: the send queue, addressed by sequence number from SND.UNA on.
 * _at reads through cursor cur (TERN_SQ_CUR_*). */
void tern_conn_sq_init(struct tern_stack *s, struct tern_conn *c);
const uint8_t *tern_conn_sq_at(struct tern_stack *s, struct tern_conn *c, uint32_t seq, int cur,
				uint32_t *avail);
void tern_conn_sq_consume(struct tern_stack *s, struct tern_conn *c, uint32_t n);

/* output.c: segmentation, the retransmission and probe timer. */
void tern_conn_output(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		      struct tern_out *out);
void tern_conn_retransmit_head(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			       struct tern_out *out);
/* Send [seq, seq + at most max) of queued data as one segment (seq below
 * snd_max: a retransmission). Returns the bytes sent, 0 if none. */
uint32_t tern_conn_send_range(struct tern_stack *s, struct tern_conn *c, uint32_t seq,
			      uint32_t max, uint64_t now, struct tern_out *out);
/* Send one new segment at snd_max whatever cwnd says (the peer's window
 * still applies). Returns 1 if one went. */
int tern_conn_send_new(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		       struct tern_out *out);
int tern_conn_send_fin(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		       struct tern_out *out);
void tern_conn_rto(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out);

/* ack.c: what an acknowledgment of our data does. */
void tern_conn_acked(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		     int win_changed, uint64_t now, struct tern_out *out);

/* sack.c: SACK scoreboard, RFC 6675 recovery, tail loss probes. */
int tern_conn_sack_on(const struct tern_conn *c);
void tern_sack_reset(struct tern_xmit *x);
void tern_sack_input(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		     struct tern_rack_rtt *m);
void tern_sack_acked(struct tern_stack *s, struct tern_conn *c, uint32_t acked, int dup,
		     uint64_t now, struct tern_out *out);
void tern_sack_output(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		      struct tern_out *out);
void tern_sack_enter_loss(struct tern_stack *s, struct tern_conn *c, int frto);
void tern_sack_schedule_probe(struct tern_stack *s, struct tern_conn *c, uint64_t now);
int tern_sack_probe(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out);
int tern_sack_reo_timeout(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			  struct tern_out *out);

/* rack.c: RACK-TLP's per-segment records and loss detection (rack.h). */
void tern_rack__init(struct tern_stack *s, struct tern_rseg *base, struct tern_rack *conns);
struct tern_rack *tern_conn_rack(const struct tern_stack *s, const struct tern_conn *c);
void tern_rack_free(struct tern_stack *s, struct tern_conn *c);
int tern_rack_on(const struct tern_stack *s, const struct tern_conn *c);
void tern_rack_sent(struct tern_stack *s, struct tern_conn *c, uint32_t seq, uint32_t len,
		    uint64_t now);
void tern_rack_ack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		   struct tern_rack_rtt *m);
void tern_rack_min_rtt(struct tern_stack *s, struct tern_conn *c, uint32_t rtt_us);
uint32_t tern_rack_min_rtt_us(const struct tern_stack *s, const struct tern_conn *c);
void tern_rack_sacked(struct tern_stack *s, struct tern_conn *c, uint32_t start, uint32_t end,
		      struct tern_rack_rtt *m);
void tern_rack_dsack(struct tern_stack *s, struct tern_conn *c);
void tern_rack_update_reo_wnd(struct tern_stack *s, struct tern_conn *c);
uint32_t tern_rack_detect(struct tern_stack *s, struct tern_conn *c, uint64_t now, int force);
void tern_rack_fin_sent(struct tern_stack *s, struct tern_conn *c, uint64_t now);
int tern_rack_fin_lost(struct tern_stack *s, struct tern_conn *c);
void tern_rack_mark_lost_to(struct tern_stack *s, struct tern_conn *c, uint32_t seq);
void tern_rack_unmark_lost(struct tern_stack *s, struct tern_conn *c);
int tern_rack_renege(struct tern_stack *s, struct tern_conn *c);
int tern_rack_next_lost(const struct tern_stack *s, const struct tern_conn *c, uint32_t *seq,
			uint32_t *max);
uint32_t tern_rack_in_flight(const struct tern_stack *s, const struct tern_conn *c, int retrans);
int tern_rack__check(const struct tern_stack *s, const struct tern_conn *c);

/* rate.c: delivery-rate samples for cong_control (tcp_rate.c). What an
 * ACK's sample needs from before the ACK. */
struct tern_rate_prior {
	uint32_t una;
	uint32_t sacked;
	uint32_t lost;
	uint32_t in_flight;
	uint8_t had_flight;
};
void tern_rate_conn_init(struct tern_stack *s, struct tern_conn *c);
void tern_rate_sent(struct tern_stack *s, const struct tern_conn *c, uint32_t i,
		    struct tern_rseg *g);
void tern_rate_copy(struct tern_stack *s, uint32_t to, uint32_t from);
void tern_rate_delivered(struct tern_stack *s, struct tern_conn *c, uint32_t i,
			 const struct tern_rseg *g, struct tern_rack_rtt *m);
void tern_rate_lost(struct tern_stack *s, struct tern_conn *c, uint32_t bytes);
void tern_rate_mark_app_limited(struct tern_stack *s, struct tern_conn *c);
void tern_rate_check_app_limited(struct tern_stack *s, struct tern_conn *c, uint32_t unsent);
void tern_rate_begin(struct tern_stack *s, struct tern_conn *c, struct tern_rate_prior *p);
void tern_rate_ack(struct tern_stack *s, struct tern_conn *c, const struct tern_rate_prior *p,
		   const struct tern_rack_rtt *m);

/* undo.c: undo of spurious recoveries and RTOs. */
void tern_undo_init(struct tern_stack *s, struct tern_conn *c);
void tern_undo_clear(struct tern_stack *s, struct tern_conn *c);
void tern_undo_retransmitted(struct tern_stack *s, struct tern_conn *c, uint32_t len,
			     uint64_t now);
void tern_undo_dsack_seen(struct tern_stack *s, struct tern_conn *c, const struct tern_sack_blk *b);
int tern_undo_recovery(struct tern_stack *s, struct tern_conn *c);
int tern_undo_partial(struct tern_stack *s, struct tern_conn *c);
int tern_undo_dsack(struct tern_stack *s, struct tern_conn *c);
int tern_undo_loss(struct tern_stack *s, struct tern_conn *c);
void tern_undo_frto(struct tern_stack *s, struct tern_conn *c);

/* frto.c: F-RTO, spurious RTO detection (RFC 5682). */
int tern_frto_may(const struct tern_stack *s, const struct tern_conn *c);
void tern_frto_ack(struct tern_stack *s, struct tern_conn *c, uint32_t bytes, int dup);
int tern_frto_output(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		     struct tern_out *out);
/* RFC 6675 SetPipe(): bytes in flight, less those lost and not resent. */
uint32_t tern_sack_pipe(struct tern_stack *s, const struct tern_conn *c);

/* prr.c: Proportional Rate Reduction (RFC 6937) in SACK recovery. */
void tern_prr__init(struct tern_stack *s, struct tern_conn *c);
void tern_prr__sent(struct tern_stack *s, struct tern_conn *c, uint32_t bytes);
void tern_prr__on_ack(struct tern_stack *s, struct tern_conn *c, uint32_t delivered,
		      int una_moved);

/* rtt.c: RTT samples and the retransmission timeout. */
void tern_conn_rtt_init(struct tern_stack *s, struct tern_conn *c);
/* An ACK's samples: m from the records (m->on), acked the bytes it
 * newly acknowledged (0: SACK blocks only). */
void tern_conn_rtt_ack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		       const struct tern_rack_rtt *m, uint32_t acked, uint64_t now);
/* The handshake's sample: synack_ns is when the one SYN-ACK was sent (0:
 * unknown or retransmitted, then the TS echo is used). */
void tern_conn_rtt_synack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
			  uint64_t synack_ns, uint64_t now);
uint32_t tern_conn_rto_arm(const struct tern_stack *s, const struct tern_conn *c, uint64_t now);
void tern_conn_sq_purge(struct tern_stack *s, struct tern_conn *c);
uint32_t tern_conn_acceptable_seq(const struct tern_conn *c);

/* quota.c: per-connection shares of the send pools. _full counts
 * OutSndQuotaFull when c is at its chunk (or, with copy, copy) bound. */
void tern_quota__init(struct tern_stack *s);
int tern_conn_quota_full(struct tern_stack *s, const struct tern_conn *c, int copy);
void tern_conn_quota_take(struct tern_stack *s, const struct tern_conn *c, const uint8_t *p);
void tern_conn_quota_put(struct tern_stack *s, const struct tern_conn *c, const uint8_t *p);

/* buf.c: buffer autotuning within cfg.rmem / cfg.wmem and the stack's
 * memory bound cfg.mem. */
static inline struct tern_conn_use *tern_conn_use(const struct tern_stack *s,
						  const struct tern_conn *c)
{
	return &s->use[tern_pool__index(&s->conns, c)];
}
void tern_conn_buf_init(struct tern_stack *s, struct tern_conn *c, uint64_t now);
uint64_t tern_mem_used(const struct tern_stack *s);
void tern_mem_update(struct tern_stack *s);
/* Bytes c may queue now (0 at its send buffer or the stack's bound). */
uint32_t tern_conn_snd_room(struct tern_stack *s, struct tern_conn *c, uint32_t len);
void tern_conn_sndbuf_expand(struct tern_stack *s, struct tern_conn *c);
void tern_conn_rcv_space_adjust(struct tern_stack *s, struct tern_conn *c, uint64_t now);
/* The window target now: the measured one, cut under memory pressure. */
uint32_t tern_conn_rcv_target(const struct tern_stack *s, const struct tern_conn *c);
/* Data for c must be dropped at the stack's hard bound (TCPRcvQDrop). */
int tern_conn_rcv_mem_full(const struct tern_stack *s, const struct tern_conn *c);

/* ctimer.c: the connection's single wheel slot. */
void tern_conn_rearm(struct tern_stack *s, struct tern_conn *c);
void tern_conn_timer(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out);
/* The furthest a stored ms deadline may lie ahead: they compare modulo
 * 2^32 (tern_seq_*), so anything beyond 2^31 - 1 ms would look past. */
#define TERN_DEADLINE_MAX_MS 0x7fffffffu
static inline uint32_t tern_deadline(uint64_t now, uint32_t ms)
{
	uint32_t d = tern_ms(now) + ms;

	return d ? d : 1;
}

/* close.c: state changes of the closing handshake. */
void tern_conn_fin_acked(struct tern_stack *s, struct tern_conn *c, uint64_t now);
void tern_conn_peer_fin(struct tern_stack *s, struct tern_conn *c, uint64_t now);
void tern_conn_time_wait(struct tern_stack *s, struct tern_conn *c, uint64_t now);
void tern_conn_abort_reason(struct tern_stack *s, struct tern_conn *c, int reason, uint64_t now,
			    struct tern_out *out);
/* The retransmission or probe timer of an orphan (tcp_write_timeout /
 * tcp_probe_timer with SOCK_DEAD): aborts c when its orphan retries are
 * spent. Returns 1 when c was aborted. */
int tern_conn_orphan_timeout(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			     struct tern_out *out);

/* pmtu.c: an ICMP error about a segment of c (tcp_v4_err / tcp_v6_err). */
void tern_conn_icmp(struct tern_stack *s, struct tern_conn *c, const struct tern_icmp *ic,
		    uint64_t now, struct tern_out *out);

/* syncookie.c */
uint32_t tern_cookie_make(const struct tern_stack *s, const struct tern_seg *syn, uint64_t now,
			  uint16_t *mss_out);
/* 0: valid under the current keys, 1: under the previous ones, -EINVAL */
int tern_cookie_check(const struct tern_stack *s, const struct tern_seg *ack, uint64_t now,
		      uint16_t *mss_out);
void tern_cookie_expire_prev(struct tern_stack *s, uint64_t now);
uint32_t tern_cookie_tsval(uint32_t ts_now, uint8_t optf, uint8_t snd_wscale);
int tern_cookie_ts_decode(uint32_t tsecr_minus_off, uint8_t *optf, uint8_t *snd_wscale);

#endif
