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
/* An algorithm with cong_control has this many instead, beside the
 * connection's delivery counters (struct tern_rate): BBR's 80 bytes. */
#define TERN_CC_RATE_PRIV_WORDS 20

/* The loss state an ACK leaves the sender in (Linux's icsk_ca_state),
 * in Linux's order. */
enum tern_cc_state {
	TERN_CC_OPEN = 0,     /* TCP_CA_Open */
	TERN_CC_RECOVERY = 1, /* TCP_CA_Recovery: fast recovery */
	TERN_CC_LOSS = 2,     /* TCP_CA_Loss: after an RTO */
};

/*
 * One ACK's delivery-rate sample (Linux's struct rate_sample, tcp_rate.c)
 * and the sender's state after the ACK, in bytes where Linux counts
 * packets. The algorithm reads only this: the core keeps the records.
 */
struct tern_rate_sample {
	int64_t delivered;        /* bytes delivered over interval_us; -1: none */
	int32_t interval_us;      /* max(send, ACK interval); -1: no sample */
	int32_t rtt_us;           /* the newest delivered segment's RTT; -1: none */
	uint32_t prior_delivered; /* tot_delivered when that segment went out */
	uint32_t prior_in_flight; /* bytes in flight before the ACK */
	uint32_t acked_sacked;    /* bytes the ACK newly ACKed or SACKed */
	uint32_t losses;          /* bytes the ACK newly marked lost */
	uint32_t tot_delivered;   /* tp->delivered after the ACK */
	uint32_t in_flight;       /* tcp_packets_in_flight() after the ACK */
	uint32_t now_us;          /* tp->delivered_mstamp: µs clock, wraps */
	uint32_t now_ms;          /* tcp_jiffies32 at HZ 1000 */
	uint8_t is_app_limited;   /* the sample's segment went out app-limited */
	uint8_t ca_state;         /* enum tern_cc_state */
};

/*
 * A connection's delivery counters (tcp_sock's delivered,
 * delivered_mstamp, first_tx_mstamp, app_limited, lost), in bytes, and
 * the private words of an algorithm with cong_control, in an array
 * parallel to the connection pool that only a stack with such an
 * algorithm has (stack.c): 100 bytes a connection, none for the others.
 */
struct tern_rate {
	uint32_t delivered;    /* bytes ACKed or SACKed so far */
	uint32_t delivered_us; /* when delivered last grew */
	uint32_t first_tx_us;  /* send time of the newest delivered record */
	uint32_t app_limited;  /* delivered mark the app-limited period ends
				* past; 0: not app-limited */
	uint32_t lost;         /* bytes marked lost so far */
	uint32_t priv[TERN_CC_RATE_PRIV_WORDS];
};

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
	/* Linux's cong_control(): every ACK of data in flight, with its rate
	 * sample; the algorithm sets cwnd itself, in recovery too, and the
	 * send path's own window rules (on_ack, PRR, NewReno's inflation,
	 * the restart after idle) stand aside. Returns 1 when the sender
	 * is to count from now on as app-limited (BBR's PROBE_RTT). May be
	 * NULL; with it, the core keeps delivery-rate records (rate.c). */
	int (*cong_control)(struct tern_conn *c, uint32_t *priv, const struct tern_rate_sample *rs);
};

extern const struct tern_cc_ops tern_cc_reno;
extern const struct tern_cc_ops tern_cc_cubic;
extern const struct tern_cc_ops tern_cc_bbr;

/* BBR's modes (tcp_bbr.c's enum bbr_mode), and the one a connection's
 * private words are in. */
enum tern_bbr_mode {
	TERN_BBR_STARTUP,   /* ramp up: gain 2.89 */
	TERN_BBR_DRAIN,     /* drain the queue STARTUP built */
	TERN_BBR_PROBE_BW,  /* cycle the pacing gain around the bandwidth */
	TERN_BBR_PROBE_RTT, /* 4 segments in flight to measure min_rtt */
};
int tern_cc_bbr__mode(const uint32_t *priv);

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
int tern_cc__has_control(const struct tern_stack *s);
void tern_cc__cong_control(struct tern_stack *s, struct tern_conn *c,
			   const struct tern_rate_sample *rs);
void tern_cc__before_send(struct tern_stack *s, struct tern_conn *c, uint32_t now_ms);
void tern_cc__after_send(struct tern_stack *s, struct tern_conn *c, int cwnd_limited,
			 uint32_t now_ms);

#endif
