/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tern's application interface: what an application sees of a TCP
 * connection that tern terminated. The built-in applications (user/app)
 * are written against it.
 *
 * Thread model: every stack (one per NIC queue) runs on one worker thread,
 * and every callback for a connection runs on the worker of that
 * connection's queue, synchronously from inside the stack. Nothing is
 * shared between workers; an application keeps per-worker state (the ctx
 * pointer it registered) and per-connection state (tern_conn__set_user).
 * The calls below may be made from a callback or between stack calls on
 * the same thread, never from another thread.
 */
#ifndef TERN_TERN_H
#define TERN_TERN_H

#include <stdint.h>

struct tern_stack;
struct tern_conn;
struct tern_out;

/* An address of either family; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d). */
struct tern_addr {
	uint8_t b[16];
};

/*
 * A connection's 4-tuple from tern's point of view: l* is the local end
 * (the steered service), r* the peer. family is 4 or 6.
 */
struct tern_tuple {
	struct tern_addr laddr;
	struct tern_addr raddr;
	uint16_t lport;
	uint16_t rport;
	uint8_t family;
	uint8_t pad[3];
};

/* Why a connection ended (closed callback). */
enum tern_close_reason {
	TERN_CLOSE_FIN = 0,      /* orderly: both FINs exchanged */
	TERN_CLOSE_RST,          /* peer reset */
	TERN_CLOSE_TIMEOUT,      /* retransmissions exhausted */
	TERN_CLOSE_USER_TIMEOUT, /* TCP_USER_TIMEOUT */
	TERN_CLOSE_KEEPALIVE,    /* keepalive probes unanswered */
	TERN_CLOSE_ABORT,        /* application or stack abort */
};

/*
 * Application callbacks, run synchronously from inside tern_stack__rx /
 * tern_stack__poll on the stack's thread. Pointers passed to data() point
 * into the received frame and are valid only for the call.
 */
struct tern_app_ops {
	/* Handshake done. Return 0 to keep the connection, <0 to reset it. */
	int (*accept)(void *ctx, struct tern_conn *c);
	void (*data)(void *ctx, struct tern_conn *c, const uint8_t *p, uint32_t len);
	/* The peer closed its side (FIN received in order). */
	void (*fin)(void *ctx, struct tern_conn *c);
	/* `bytes` more of the data given to tern_conn__send() are acknowledged
	 * by the peer: that much memory (from the front, in send order) may be
	 * reused. */
	void (*acked)(void *ctx, struct tern_conn *c, uint32_t bytes);
	/* tern_conn__send() returned -EAGAIN earlier and there is room now. */
	void (*writable)(void *ctx, struct tern_conn *c);
	/* The timer set with tern_conn__set_timer() expired. */
	void (*timer)(void *ctx, struct tern_conn *c);
	/* The connection is gone; c must not be used after this returns. */
	void (*closed)(void *ctx, struct tern_conn *c, int reason);
};

/*
 * Application calls on a connection, on the stack's thread (from a
 * callback or between tern_stack__* calls). Segments they cause go to out.
 *
 * send: queue len bytes of application memory by reference (zero copy);
 * the memory must stay valid until acked() has covered it. Returns bytes
 * accepted (> 0, possibly fewer than len), -EAGAIN when the send buffer is
 * full (writable() follows), -EPIPE after shutdown/close.
 * shutdown: FIN after the queued data; receiving goes on.
 * close: shutdown, and no more data wanted: data that arrives later gets a
 * RST; with out-of-order data never delivered, RST at once. The closed()
 * callback still comes when the connection is gone.
 * abort: RST now; closed() runs before this returns.
 */
int tern_conn__send(struct tern_stack *s, struct tern_conn *c, const void *p, uint32_t len,
		    uint64_t now, struct tern_out *out);
/* Several pieces by reference, each its own send-queue chunk (a segment
 * never spans two), with one output pass for all of them instead of one
 * per tern_conn__send call. Takes the pieces in order while there is
 * room: returns the bytes accepted (> 0, the last piece possibly cut),
 * or as tern_conn__send when none is. */
struct tern_piece {
	const void *p;
	uint32_t len;
};
int tern_conn__sendv(struct tern_stack *s, struct tern_conn *c, const struct tern_piece *v,
		     uint32_t n, uint64_t now, struct tern_out *out);
/* The copying convenience variant: p may be reused as soon as this
 * returns (the bytes go into the stack's copy blocks, cfg.copy_blocks of
 * 2 KiB). Same returns as tern_conn__send; acked() counts these bytes too. */
int tern_conn__send_copy(struct tern_stack *s, struct tern_conn *c, const void *p, uint32_t len,
			 uint64_t now, struct tern_out *out);

/*
 * Receive flow control. By default the application takes every byte as it
 * is delivered. rcv_limit (typically from accept()) switches the
 * connection to credit mode: at most `bytes` are delivered, the advertised
 * window never exceeds what is left, and rcv_credit gives more as the
 * application frees room (a window update goes out when it matters).
 */
void tern_conn__rcv_limit(struct tern_conn *c, uint32_t bytes);
void tern_conn__rcv_credit(struct tern_stack *s, struct tern_conn *c, uint32_t bytes,
			   uint64_t now, struct tern_out *out);

/*
 * Buffer sizes now (they autotune, docs/tcp-data-path.md "Buffers"):
 * sndbuf is how many bytes the send queue may hold (tcp_wmem bounds; an
 * application that holds what it receives until it is sent, like echo,
 * gives receive credit up to it); rcvbuf is the receive window the
 * connection aims at (tcp_rmem bounds), before receive credit.
 */
uint32_t tern_conn__sndbuf(const struct tern_stack *s, const struct tern_conn *c);
uint32_t tern_conn__rcvbuf(const struct tern_stack *s, const struct tern_conn *c);
/*
 * The application holds back for want of send buffer, as a send that got
 * -EAGAIN does (Linux's SOCK_NOSPACE): the next ACK may grow the buffer
 * (while the congestion window does not limit sending), and writable()
 * follows. For an application that holds what it receives until it is
 * sent and acknowledged and gives credit up to sndbuf (echo): once that
 * credit, not rcvbuf, is what limits the peer, the send buffer limits
 * the transfer though no send was refused.
 */
void tern_conn__sndbuf_full(struct tern_conn *c);
int tern_conn__shutdown(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			struct tern_out *out);
int tern_conn__close(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		     struct tern_out *out);
void tern_conn__abort(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		      struct tern_out *out);

/* One application timer per connection (e.g. an idle timeout): the timer
 * callback runs `ms` from `now` (at most 2^31 - 1 ms, 24.8 days: a longer
 * one is cut to that); setting it again moves it; 0 cancels. */
void tern_conn__set_timer(struct tern_stack *s, struct tern_conn *c, uint32_t ms, uint64_t now);

/* What a connection knows of itself (Linux's tcp_info, in part). */
struct tern_conn_info {
	int state;            /* tern_state_name() */
	uint16_t mss;         /* send MSS, options excluded */
	uint8_t timestamps;   /* negotiated options */
	uint8_t sack;
	uint8_t wscale;
	uint8_t snd_wscale;
	uint8_t rcv_wscale;
	uint8_t retransmits;  /* unanswered retransmissions now (tcpi_retransmits) */
	uint8_t backoff;
	uint32_t srtt_us;     /* 0 before the first sample */
	uint32_t rttvar_us;
	uint32_t rto_ms;      /* before backoff */
	uint32_t cwnd;        /* bytes */
	uint32_t ssthresh;
	uint32_t snd_wnd;     /* the peer's window, bytes */
	uint32_t unacked;     /* bytes in flight */
	uint32_t queued;      /* bytes in the send queue, in flight or not */
};

void tern_conn__info(const struct tern_conn *c, struct tern_conn_info *info);

/* Per-connection accessors. */
const struct tern_tuple *tern_conn__tuple(const struct tern_conn *c);
void *tern_conn__user(const struct tern_conn *c);
void tern_conn__set_user(struct tern_conn *c, void *user);
int tern_conn__state(const struct tern_conn *c);
const char *tern_state_name(int state);

#endif
