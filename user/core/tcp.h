/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The sans-IO TCP core. One struct tern_stack per NIC queue holds every
 * listener, half-open record, connection and timer of that queue; stacks
 * share nothing. The core never reads a clock, never makes a syscall and
 * never allocates: the caller gives it memory once (tern_stack__memsize /
 * tern_stack__init), the current time with every call, and an array to put
 * the segments it wants sent in.
 *
 *	tern_stack__rx(stack, frame, len, handle, now, &out);   per frame
 *	tern_stack__poll(stack, now, &out);                     on deadline
 *	deadline = tern_stack__next_deadline(stack);
 *
 * Times are nanoseconds on any monotonic clock.
 */
#ifndef TERN_CORE_TCP_H
#define TERN_CORE_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "mib.h"
#include "parse.h"
#include "seg.h"
#include "tern/tern.h"
#include "siphash.h"

#define TERN_NSEC_PER_MSEC 1000000ull
#define TERN_NSEC_PER_SEC 1000000000ull

enum tern_cookie_mode {
	TERN_COOKIES_NEVER = 0,  /* tcp_syncookies=0: drop SYNs when full */
	TERN_COOKIES_AUTO = 1,   /* tcp_syncookies=1: cookies when full */
	TERN_COOKIES_ALWAYS = 2, /* tcp_syncookies=2: cookies always */
};

/*
 * Every bound and timeout of a stack. tern_cfg__defaults() gives Linux's
 * values where Linux has one (named in the comment).
 */
struct tern_cfg {
	uint32_t max_conns;     /* connection records */
	uint32_t backlog;       /* half-open records (tcp_max_syn_backlog) */
	uint32_t max_tw;        /* TIME-WAIT records (tcp_max_tw_buckets) */
	uint32_t max_listeners;
	uint32_t max_ooo;       /* out-of-order segments held, whole stack */
	uint32_t max_chunks;    /* queued send buffers, whole stack */
	uint32_t copy_blocks;   /* 2 KiB blocks for tern_conn__send_copy, whole stack */
	uint32_t chunks_per_conn; /* send chunks one connection may hold;
				   * 0 = max_chunks / 4 (at least 1) */
	uint32_t copies_per_conn; /* copy blocks one connection may hold;
				   * 0 = copy_blocks / 4 (at least 1) */
	uint32_t rack_segs;     /* RACK's per-segment records, whole stack;
				 * 0 = no RACK (RFC 6675 DupThresh only) */
	uint32_t rack_segs_per_conn; /* records one connection may hold;
				      * 0 = rack_segs / 4 (at least 1) */
	uint32_t snd_buf;       /* send buffer a connection starts with, bytes of
				 * unacknowledged + unsent data (tcp_wmem[1]) */
	uint32_t rcv_wnd;       /* receive window a connection starts with
				 * (tcp_rmem[1]) */
	uint32_t wmem_min;      /* send buffers shrink to it under pressure,
				 * grow with cwnd up to wmem_max (tcp_wmem) */
	uint32_t wmem_max;
	uint32_t rmem_min;      /* receive windows shrink toward it under
				 * pressure, grow with what the application
				 * consumes up to rmem_max, which picks the
				 * window scale (tcp_rmem) */
	uint32_t rmem_max;
	uint32_t mem[3];        /* bytes the stack's connections hold (send
				 * queues, out-of-order frames): buffers grow
				 * below mem[0], pressure above mem[1], hard
				 * bound at mem[2] (tcp_mem, in bytes) */
	uint32_t challenge_ack_limit; /* per second, whole stack (Linux 1000);
				       * UINT32_MAX = unlimited */
	uint32_t rto_min_ms;    /* TCP_RTO_MIN, 200 */
	uint32_t time_wait_ms;  /* 2*MSL, TCP_TIMEWAIT_LEN 60 s */
	uint32_t fin_timeout_ms; /* orphaned FIN-WAIT-2, tcp_fin_timeout 60 s */
	uint32_t max_orphans;   /* connections closed by the application and
				 * still alive (tcp_max_orphans); a close
				 * beyond it resets; 0 = max_conns / 2 */
	uint16_t mtu;           /* our MSS = mtu - 40 (IPv4) / - 60 (IPv6) */
	uint16_t ooo_per_conn;  /* out-of-order segments held per connection */
	uint16_t min_snd_mss;   /* floor of the send MSS before options,
				 * tcp_min_snd_mss 48 (TCP_MIN_SND_MSS) */
	uint8_t syncookies;     /* enum tern_cookie_mode */
	uint8_t synack_retries; /* tcp_synack_retries, 5 */
	uint8_t retries;        /* data retransmissions before reset, tcp_retries2 15 */
	uint8_t orphan_retries; /* the same for orphans, tcp_orphan_retries;
				 * 0 = 8 while the backed-off RTO is below
				 * TCP_RTO_MAX, then 0 */
	uint8_t rfc1337;        /* 1: RST does not kill TIME-WAIT (tcp_rfc1337) */
	uint8_t cc;             /* enum tern_cc_algo (tcp_congestion_control) */
	uint8_t loss_probes;    /* 1: tail loss probes (tcp_early_retrans 3), 0: off */
	uint8_t frto;           /* tcp_frto: 0 off, 1 or 2 F-RTO after an RTO
				 * (RFC 5682, SACK-enhanced either way, as
				 * Linux 6.x); 2 */
	uint32_t cwnd_clamp;    /* most segments in cwnd (snd_cwnd_clamp), 2..65535 */
	uint16_t mss_clamp;     /* our MSS, advertised and used, is at most
				 * this in both families (iptables TCPMSS
				 * --set-mss, route advmss); 0: none, else
				 * at least min_snd_mss */
};

enum tern_cc_algo {
	TERN_CC_CUBIC = 0, /* Linux's default */
	TERN_CC_RENO = 1,  /* NewReno */
	TERN_CC_BBR = 2,   /* BBR v1 (tcp_bbr.c) */
};

/* Per-listener behaviour of the connections it accepts (all off by default). */
struct tern_listen_opts {
	uint32_t keepalive_idle_s;  /* 0 = keepalive off; Linux 7200 when on */
	uint32_t keepalive_intvl_s; /* Linux 75 */
	uint32_t keepalive_cnt;     /* Linux 9 */
	uint32_t user_timeout_ms;   /* TCP_USER_TIMEOUT; 0 = off; at most
				     * 2^31 - 1 (an int in Linux) */
	uint32_t rcv_buf;           /* bytes the application can take per
				     * connection: the SYN-ACK window is capped
				     * by it and connections start in credit
				     * mode with it; 0 = no limit */
};

/* Fill cfg with defaults that match Linux's where Linux has one. */
void tern_cfg__defaults(struct tern_cfg *cfg);

/* The keys a fleet of hosts may share (docs/fleet.md): the SYN cookie keys
 * and the timestamp-offset key that decodes a cookie ACK's TSecr. */
struct tern_fleet_keys {
	struct tern_sipkey cookie[2]; /* SYN cookies (Linux syncookie_secret) */
	struct tern_sipkey tsoff;     /* per-connection timestamp offset */
};

/*
 * Keys for every keyed hash in the core; fill isn, tsoff, cookie and table
 * from getrandom(2). tern_stack__init() takes those four and starts with
 * no previous key, no fleet and no count offset; tern_stack__set_fleet()
 * and tern_stack__rotate() set the rest.
 */
struct tern_secrets {
	struct tern_sipkey isn;       /* RFC 6528 ISN */
	struct tern_sipkey tsoff;     /* per-connection timestamp offset */
	struct tern_sipkey cookie[2]; /* SYN cookies (Linux syncookie_secret) */
	struct tern_sipkey table;     /* connection hash tables */
	struct tern_sipkey flow;      /* the XDP flow filter's slots (tern/cookie.h) */
	struct tern_fleet_keys prev;  /* the cookie keys before the last rotation */
	uint64_t prev_retired;        /* `now` of that rotation */
	int64_t count_off;            /* ns added to now for the cookie count: with
				       * fleet keys, the fleet's shared clock */
	uint8_t has_prev;             /* prev validates cookies (within the window) */
	uint8_t fleet;                /* the cookie keys are shared: an ACK may carry
				       * a cookie another host issued */
};

/* Segments to send, filled by the core. */
struct tern_out {
	struct tern_tx *tx;
	uint32_t n;   /* entries filled */
	uint32_t cap; /* capacity of tx[] */
};

/* The core hands back a frame it kept (see TERN_RX_KEPT). */
typedef void (*tern_release_fn)(void *ctx, uint64_t frame);

/* tern_stack__rx() result: the frame is held by the out-of-order queue
 * and will be handed back through the release callback. */
#define TERN_RX_KEPT 0x100
/* tern_stack__rx() result with ICMP handoff on: an ICMP error that quotes
 * no connection of this stack; the caller may hand it (tern_parse_icmp()
 * of the same frame) to the other stacks (tern_stack__icmp_handed). */
#define TERN_RX_ICMP_ELSEWHERE 0x200

/* Bytes of memory a stack with cfg needs (0 if cfg is invalid). */
size_t tern_stack__memsize(const struct tern_cfg *cfg);

/*
 * Build a stack in mem (at least tern_stack__memsize(cfg) bytes, 64-byte
 * aligned). Returns NULL and sets errno to EINVAL for an invalid cfg or a
 * too small or misaligned region.
 */
struct tern_stack *tern_stack__init(void *mem, size_t len, const struct tern_cfg *cfg,
				    const struct tern_secrets *sec, uint64_t now);

/*
 * Share SYN cookies with a fleet (docs/fleet.md): the cookie and
 * timestamp-offset keys become k (from tern_fleet_keys__derive()), the
 * cookie count runs on now + count_off (the fleet's shared clock), and a
 * cookie ACK is checked even when this stack sent no cookies recently.
 */
void tern_stack__set_fleet(struct tern_stack *s, const struct tern_fleet_keys *k,
			   int64_t count_off);

/*
 * Rotate the fleet keys (tern_secrets.cookie and .tsoff): new cookies use k;
 * cookies issued under the keys they replace keep validating for their
 * window (TERN_COOKIE_MAX_AGE counts after now); those of the keys before
 * are no longer accepted. 0.
 */
int tern_stack__rotate(struct tern_stack *s, const struct tern_fleet_keys *k, uint64_t now);
/* Zero every key of s (before its memory is released). */
void tern_stack__wipe_secrets(struct tern_stack *s);
/* Where s keeps its keys, for the caller to keep them out of core dumps. */
void tern_stack__secrets_span(const struct tern_stack *s, const void **p, size_t *len);

/*
 * The fleet keys from a secret shared by a fleet (len bytes, at least
 * TERN_FLEET_SECRET_MIN, at most TERN_FLEET_SECRET_MAX): the same bytes
 * give the same keys on every host. 0 or -EINVAL (length).
 */
#define TERN_FLEET_SECRET_MIN 32
#define TERN_FLEET_SECRET_MAX 4096
int tern_fleet_keys__derive(const void *secret, size_t len, struct tern_fleet_keys *k);

void tern_stack__set_app(struct tern_stack *s, const struct tern_app_ops *ops, void *ctx);
void tern_stack__set_release(struct tern_stack *s, tern_release_fn fn, void *ctx);

/* Listen on (addr, port); family 4 (addr v4-mapped) or 6.
 * 0, -EEXIST, -ENOSPC (max_listeners), -EINVAL. */
int tern_stack__listen(struct tern_stack *s, const struct tern_addr *addr, int family,
		       uint16_t port);

/* Keepalive and user timeout for the connections a listener accepts from
 * now on. 0, -ENOENT (no such listener) or -EINVAL. */
int tern_stack__listen_opts(struct tern_stack *s, const struct tern_addr *addr, uint16_t port,
			    const struct tern_listen_opts *opts);

/* Stop (0) or resume accepting new connections: while stopped, segments
 * that would open one (SYNs, cookie ACKs) are dropped without an answer
 * (InDropNotAccepting); existing connections go on. */
void tern_stack__set_accepting(struct tern_stack *s, int accepting);

/* Lower (or raise back) the half-open limit at run time, up to the
 * cfg.backlog the memory was sized for: 0, or -ERANGE. */
int tern_stack__set_backlog(struct tern_stack *s, uint32_t n);

/* Change the cookie mode at run time (0, or -EINVAL). */
int tern_stack__set_syncookies(struct tern_stack *s, int mode);

/*
 * Parse one Ethernet frame and run it through the state machine. Replies
 * are appended to out (a reply that does not fit is dropped and counted in
 * OutDropNoRoom). ICMP errors about our segments are taken too
 * (tern_stack__icmp). Returns 0 when the frame was processed, the parse drop
 * reason (1 .. TERN_PARSE__COUNT-1) when it was dropped unparsed (the
 * caller may reuse the frame in both cases), or TERN_RX_KEPT when the core
 * keeps the frame (out-of-order data) until it calls the release callback.
 * No struct tern_tx the core produces points into a received frame (data
 * payloads are application memory), so a caller may build the first reply
 * in place in the frame it just handed in, when the core did not keep it.
 */
int tern_stack__rx(struct tern_stack *s, const uint8_t *frame, uint32_t len, uint64_t handle,
		   uint64_t now, struct tern_out *out);

/* Run the state machine on a segment parsed by tern_parse(). Returns 1
 * when the core kept seg->frame, else 0. */
int tern_stack__input(struct tern_stack *s, const struct tern_seg *seg, uint64_t now,
		      struct tern_out *out);

/*
 * An ICMP error parsed by tern_parse_icmp() (tern_stack__rx calls it for
 * frames that are ICMP): Path MTU discovery for the quoted connection.
 * 0, or -ENOENT when it quotes nothing of this stack (IcmpInErrors /
 * Icmp6InErrors, unless handoff is on).
 */
int tern_stack__icmp(struct tern_stack *s, const struct tern_icmp *ic, uint64_t now,
		     struct tern_out *out);

/*
 * Several stacks serve one service, one per NIC queue, and RSS may put an
 * ICMP error on another queue than its flow's: with on, an error that
 * matches nothing here is not counted as IcmpInErrors / Icmp6InErrors but
 * left to the caller (TERN_RX_ICMP_ELSEWHERE). Off by default.
 */
void tern_stack__set_icmp_handoff(struct tern_stack *s, int on);

/*
 * An ICMP error another stack handed over (TERN_RX_ICMP_ELSEWHERE there):
 * looked up and acted on as tern_stack__icmp() does, its type not counted
 * again. 0 when it quoted something of this stack, else -ENOENT (nothing
 * counted).
 */
int tern_stack__icmp_handed(struct tern_stack *s, const struct tern_icmp *ic, uint64_t now,
			    struct tern_out *out);

/* Active open from t->laddr:lport to t->raddr:rport (mainly for tests);
 * NULL with errno EADDRINUSE or ENOBUFS. accept() runs when it completes. */
struct tern_conn *tern_stack__connect(struct tern_stack *s, const struct tern_tuple *t,
				      const struct tern_l2 *l2, uint64_t now, struct tern_out *out);

/* Run every timer due at `now`. */
void tern_stack__poll(struct tern_stack *s, uint64_t now, struct tern_out *out);

/*
 * SYN cookies answered in XDP (bpf/synack.h). tern_stack__xdp_cfg fills the
 * map value XDP answers with: this stack's cookie and timestamp keys, MSS,
 * SYN-ACK windows (capped by rcv_buf, the listeners' rcv_buf, 0 = none) and
 * window scale; 0. tern_stack__cookies_issued says cookies went out for
 * this stack at now, as its own do: cookie ACKs are then checked for 2
 * minutes (Linux's tcp_synq_overflow()). Call it while XDP may answer.
 */
int tern_stack__xdp_cfg(const struct tern_stack *s, uint32_t rcv_buf,
			struct tern_xdp_cookie_cfg *cfg);
void tern_stack__cookies_issued(struct tern_stack *s, uint64_t now);

/*
 * The XDP flow filter (tern/cookie.h): nslots 8-bit counters (a power of
 * two, at most TERN_FLOW_SLOTS_MAX) the stack keeps by plain stores: one
 * more for every tuple it holds a record of (half-open, connection,
 * TIME-WAIT), one less when the record goes. Give it before the stack has
 * any record, zeroed; NULL detaches it (the caller may then clear it).
 * -EINVAL for a bad size.
 */
int tern_stack__set_flow_filter(struct tern_stack *s, uint8_t *slots, uint32_t nslots);

/* Earliest time tern_stack__poll has work (UINT64_MAX if none). */
uint64_t tern_stack__next_deadline(const struct tern_stack *s);

/* Counters, indexed by enum tern_mib / enum tern_parse_result. */
const uint64_t *tern_stack__mib(const struct tern_stack *s);
const uint64_t *tern_stack__parse_drops(const struct tern_stack *s);

/* Call fn for every connection (fn may close or abort the one it gets);
 * for shutdown and for listing connections. */
void tern_stack__foreach_conn(struct tern_stack *s, void (*fn)(struct tern_conn *c, void *arg),
			      void *arg);

/* Gauges. */
uint32_t tern_stack__nconns(const struct tern_stack *s);
uint32_t tern_stack__nreqs(const struct tern_stack *s);
uint32_t tern_stack__ntw(const struct tern_stack *s); /* TIME-WAIT records */

#endif
