/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Congestion control behind a small interface, in the manner of Linux's
 * struct tcp_congestion_ops and smoltcp's congestion::Controller. The
 * send path (output.c, ack.c) knows only these calls; an algorithm keeps
 * its own state in a private area of the connection's tern_xmit record and
 * changes the connection's cwnd and ssthresh (bytes). Loss recovery itself
 * (which segment to resend, the window during recovery) is not part of an
 * algorithm, as in Linux.
 */
#ifndef TERN_CORE_CC_H
#define TERN_CORE_CC_H

#include <stdint.h>

struct tern_conn;
struct tern_stack;

/* enum tern_cc_algo (cfg.cc) is in tcp.h. */

enum tern_cc_loss {
	TERN_CC_LOSS_RECOVERY = 0, /* fast retransmit: Linux TCP_CA_Recovery */
	TERN_CC_LOSS_RTO = 1,      /* retransmission timeout: TCP_CA_Loss */
};

#define TERN_CC_PRIV_WORDS 16 /* 64 bytes, Linux's ICSK_CA_PRIV_SIZE is 104 */

/* What on_rtt found (counted by cc.c): HyStart ended slow start. */
enum tern_cc_event {
	TERN_CC_HYSTART_TRAIN = 1, /* ACK train (TCPHystartTrainDetect) */
	TERN_CC_HYSTART_DELAY = 2, /* delay increase (TCPHystartDelayDetect) */
};

struct tern_cc_ops {
	const char *name;
	/* A connection's first use (tcp_init_congestion_control). */
	void (*init)(struct tern_conn *c, uint32_t *priv);
	/* A cumulative ACK of `acked` new bytes outside recovery while the
	 * window limits sending (cong_avoid); now_ms is the stack's ms clock. */
	void (*on_ack)(struct tern_conn *c, uint32_t *priv, uint32_t acked, uint32_t now_ms);
	/* Loss detected: return the new ssthresh in bytes (Linux ssthresh());
	 * the caller sets cwnd for the recovery kind. */
	uint32_t (*on_loss)(struct tern_conn *c, uint32_t *priv, enum tern_cc_loss kind);
	/* An RTT sample in microseconds (pkts_acked), now_ns the stack's
	 * clock. Returns enum tern_cc_event bits, or 0. May be NULL. */
	int (*on_rtt)(struct tern_conn *c, uint32_t *priv, uint32_t rtt_us, uint64_t now_ns);
	/* Sending starts again after idle_ms with nothing in flight
	 * (CA_EVENT_TX_START). May be NULL. */
	void (*on_idle)(struct tern_conn *c, uint32_t *priv, uint32_t idle_ms, uint32_t now_ms);
	/* The window the sender may have in flight, bytes. */
	uint32_t (*cwnd)(const struct tern_conn *c, const uint32_t *priv);
	/* Bytes per second a pacer should send at (0: unknown). */
	uint64_t (*pacing_rate)(const struct tern_conn *c, const uint32_t *priv);
	/* The loss was spurious: return the cwnd to restore, given the one
	 * before it (undo_cwnd). May be NULL: max(cwnd, prior), Linux's
	 * tcp_reno_undo_cwnd, which NewReno and CUBIC both use. */
	uint32_t (*undo_cwnd)(const struct tern_conn *c, uint32_t *priv, uint32_t prior_cwnd);
};

extern const struct tern_cc_ops tern_cc_reno;
extern const struct tern_cc_ops tern_cc_cubic;

/* The ops for cfg.cc. */
const struct tern_cc_ops *tern_cc__ops(int algo);

/* Shared by the algorithms (cc.c). */
uint32_t tern_cc__slow_start(struct tern_conn *c, uint32_t acked);
void tern_cc__ai(struct tern_conn *c, uint32_t *cnt, uint32_t w, uint32_t acked);
uint32_t tern_cc__cwnd(const struct tern_conn *c, const uint32_t *priv);
uint64_t tern_cc__pacing_rate(const struct tern_conn *c, const uint32_t *priv);

/* The send path's entry points (cc.c). */
void tern_cc__init(struct tern_stack *s, struct tern_conn *c, uint32_t now_ms);
void tern_cc__on_ack(struct tern_stack *s, struct tern_conn *c, uint32_t acked, uint32_t now_ms);
void tern_cc__on_loss(struct tern_stack *s, struct tern_conn *c, enum tern_cc_loss kind);
void tern_cc__on_rtt(struct tern_stack *s, struct tern_conn *c, uint32_t rtt_us);
void tern_cc__undo(struct tern_stack *s, struct tern_conn *c, uint32_t prior_cwnd);
void tern_cc__before_send(struct tern_stack *s, struct tern_conn *c, uint32_t now_ms);
void tern_cc__after_send(struct tern_stack *s, struct tern_conn *c, int cwnd_limited,
			 uint32_t now_ms);

#endif
