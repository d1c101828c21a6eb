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

/* Queue the pieces with q (by reference or by copy) until one does not
 * fit whole, then send what the windows allow, once for all of them.
 * Returns the bytes queued, or what q returned when nothing was. */
static int send_with(queue_fn q, struct tern_stack *s, struct tern_conn *c,
		     const struct tern_piece *v, uint32_t n, uint64_t now, struct tern_out *out)
{
	int done = 0, r = 0;

	if (!sending_open(c))
		return -EPIPE;
	s->now = now;
	for (uint32_t i = 0; i < n; i++) {
		if (!v[i].len)
			continue;
		r = q(s, c, v[i].p, v[i].len);
		if (r <= 0)
			break;
		done += r;
		if ((uint32_t)r < v[i].len)
			break;
	}
	if (!done)
		return r;
	tern_conn_output(s, c, now, out);
	tern_conn_rearm(s, c);
	return done;
}

int tern_conn__send(struct tern_stack *s, struct tern_conn *c, const void *p, uint32_t len,
		    uint64_t now, struct tern_out *out)
{
	const struct tern_piece v = { p, len };

	return send_with(tern_conn_sq_append, s, c, &v, 1, now, out);
}

int tern_conn__sendv(struct tern_stack *s, struct tern_conn *c, const struct tern_piece *v,
		     uint32_t n, uint64_t now, struct tern_out *out)
{
	return send_with(tern_conn_sq_append, s, c, v, n, now, out);
}

int tern_conn__send_copy(struct tern_stack *s, struct tern_conn *c, const void *p, uint32_t len,
			 uint64_t now, struct tern_out *out)
{
	const struct tern_piece v = { p, len };

	return send_with(tern_conn_send_copy, s, c, &v, 1, now, out);
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
	if (!(c->flags & TERN_CF_RCV_SHUT))
		s->orphans++;
	c->flags |= TERN_CF_RCV_SHUT;
	if (c->state == TERN_SYN_SENT) {
		tern_conn_free(s, c, TERN_CLOSE_ABORT);
		return 0;
	}
	if (c->state == TERN_FIN_WAIT_2)
		c->ka_at = tern_deadline(now, s->cfg.fin_timeout_ms);
	tern_conn__shutdown(s, c, now, out);
	if (c->in_use && s->orphans > s->max_orphans) {
		/* __tcp_close(): tcp_check_oom(), too many orphans */
		TERN_MIB_INC(s, TCPAbortOnMemory);
		tern_conn_abort(s, c, now, out);
		return 0;
	}
	tern_conn_rearm(s, c);
	return 0;
}

/* tcp_orphan_retries(): 0 configured means 8 while the backed-off RTO is
 * below TCP_RTO_MAX ("alive"), 0 once it reaches it. */
static uint32_t orphan_retries(const struct tern_stack *s, int alive)
{
	uint32_t r = s->cfg.orphan_retries;

	return !r && alive ? 8 : r;
}

/*
 * An orphan whose peer keeps answering zero-window probes resets their
 * count with every answer (RFC 1122 4.2.2.17), so it also dies once its
 * backoff reaches the limit with the RTO at TCP_RTO_MAX, as in Linux's
 * tcp_probe_timer(). tern: the timer does not recheck max_orphans
 * (tcp_out_of_resources); the bound is applied when the application
 * closes.
 */
int tern_conn_orphan_timeout(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			     struct tern_out *out)
{
	uint64_t rto = (uint64_t)c->rto_ms << c->backoff;
	int alive = rto < TERN_RTO_MAX_NS / TERN_NSEC_PER_MSEC;
	uint32_t max = orphan_retries(s, alive);

	if (!(c->flags & TERN_CF_RCV_SHUT))
		return 0;
	if ((!alive && c->backoff >= max) || c->retries >= max) {
		TERN_MIB_INC(s, TCPAbortOnTimeout);
		tern_conn_abort_reason(s, c, TERN_CLOSE_TIMEOUT, now, out);
		return 1;
	}
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
