// SPDX-License-Identifier: BSD-2-Clause
/*
 * Closing: the application's send/close/shutdown/abort, and the state
 * changes when our FIN is acknowledged or the peer's FIN arrives
 * (RFC 9293 3.6, Linux tcp_rcv_state_process / tcp_fin). TIME-WAIT moves
 * to a compact record (tw.c) and the connection record is freed.
 */
#include <errno.h>

#include "stack.h"
#include "tw.h"

static int sending_open(const struct tern_conn *c)
{
	return !(c->flags & TERN_CF_FIN_QUEUED) &&
	       (c->state == TERN_ESTABLISHED || c->state == TERN_CLOSE_WAIT);
}

typedef int (*queue_fn)(struct tern_stack *s, struct tern_conn *c, const void *p, uint32_t len);

/* Queue with q (by reference or by copy), then send what the windows allow. */
static int send_with(queue_fn q, struct tern_stack *s, struct tern_conn *c, const void *p,
		     uint32_t len, uint64_t now, struct tern_out *out)
{
	int n;

	if (!sending_open(c))
		return -EPIPE;
	if (!len)
		return 0;
	s->now = now;
	n = q(s, c, p, len);
	if (n > 0) {
		tern_conn_output(s, c, now, out);
		tern_conn_rearm(s, c);
	}
	return n;
}

int tern_conn__send(struct tern_stack *s, struct tern_conn *c, const void *p, uint32_t len,
		    uint64_t now, struct tern_out *out)
{
	return send_with(tern_conn_sq_append, s, c, p, len, now, out);
}

int tern_conn__send_copy(struct tern_stack *s, struct tern_conn *c, const void *p, uint32_t len,
			 uint64_t now, struct tern_out *out)
{
	return send_with(tern_conn_send_copy, s, c, p, len, now, out);
}

int tern_conn__shutdown(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			struct tern_out *out)
{
	if (!sending_open(c))
		return c->flags & TERN_CF_FIN_QUEUED ? 0 : -ENOTCONN;
	s->now = now;
	c->flags |= TERN_CF_FIN_QUEUED;
	c->state = c->state == TERN_ESTABLISHED ? TERN_FIN_WAIT_1 : TERN_LAST_ACK;
	tern_conn_output(s, c, now, out);
	tern_conn_rearm(s, c);
	return 0;
}

/*
 * Close: no more data either way. With received data the application has
 * not seen (out-of-order bytes) the connection is reset (RFC 2525 2.17,
 * Linux TCPAbortOnClose); otherwise FIN after the queued data.
 */
int tern_conn__close(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		     struct tern_out *out)
{
	s->now = now;
	if (c->ooo.n) {
		TERN_MIB_INC(s, TCPAbortOnClose);
		tern_conn_abort(s, c, now, out);
		return 0;
	}
	c->flags |= TERN_CF_RCV_SHUT;
	if (c->state == TERN_SYN_SENT) {
		tern_conn_free(s, c, TERN_CLOSE_ABORT);
		return 0;
	}
	if (c->state == TERN_FIN_WAIT_2)
		c->ka_at = tern_deadline(now, s->cfg.fin_timeout_ms);
	tern_conn__shutdown(s, c, now, out);
	tern_conn_rearm(s, c);
	return 0;
}

void tern_conn__abort(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		      struct tern_out *out)
{
	s->now = now;
	tern_conn_abort(s, c, now, out);
}

void tern_conn_time_wait(struct tern_stack *s, struct tern_conn *c, uint64_t now)
{
	tern_tw__enter(s, c, now); /* a full table is counted there */
	tern_conn_free(s, c, TERN_CLOSE_FIN);
}

/* Our FIN was acknowledged. */
void tern_conn_fin_acked(struct tern_stack *s, struct tern_conn *c, uint64_t now)
{
	switch (c->state) {
	case TERN_FIN_WAIT_1:
		c->state = TERN_FIN_WAIT_2;
		if (c->flags & TERN_CF_RCV_SHUT) /* orphaned: tcp_fin_timeout */
			c->ka_at = tern_deadline(now, s->cfg.fin_timeout_ms);
		break;
	case TERN_CLOSING:
		tern_conn_time_wait(s, c, now);
		break;
	case TERN_LAST_ACK:
		tern_conn_free(s, c, TERN_CLOSE_FIN);
		break;
	default:
		break;
	}
}

/* The peer's FIN arrived in order (RCV.NXT already counts it). The
 * application hears of it unless it closed; it may act on c from the
 * callback (even abort it). */
void tern_conn_peer_fin(struct tern_stack *s, struct tern_conn *c, uint64_t now)
{
	int state = c->state;

	if (state == TERN_ESTABLISHED)
		c->state = TERN_CLOSE_WAIT;
	else if (state == TERN_FIN_WAIT_1)
		c->state = TERN_CLOSING;
	else if (state != TERN_FIN_WAIT_2)
		return;
	if (s->ops && s->ops->fin && !(c->flags & TERN_CF_RCV_SHUT))
		s->ops->fin(s->app_ctx, c);
	if (state == TERN_FIN_WAIT_2 && c->in_use)
		tern_conn_time_wait(s, c, now);
}
