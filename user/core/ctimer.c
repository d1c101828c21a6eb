// SPDX-License-Identifier: BSD-2-Clause
/*
 * A connection's timers: four stored ms deadlines (retransmission or
 * zero-window probe, delayed ACK, keepalive or FIN-WAIT-2, the
 * application's) behind one wheel slot armed at the earliest. A wake-up acts only on what is due and
 * re-arms for the rest.
 */
#include "stack.h"

static int due(uint32_t at, uint32_t ms)
{
	return at && !tern_seq_gt(at, ms);
}

void tern_conn_rearm(struct tern_stack *s, struct tern_conn *c)
{
	uint32_t at[4] = { c->rto_at, c->delack_at, c->ka_at, c->app_at };
	uint32_t best = 0, now_ms = tern_ms(s->now);
	int32_t delta;

	for (int i = 0; i < 4; i++)
		if (at[i] && (!best || tern_seq_lt(at[i], best)))
			best = at[i];
	if (!best) {
		tern_wheel__cancel(&s->wheel, &c->timer);
		return;
	}
	delta = (int32_t)(best - now_ms);
	tern_wheel__arm(&s->wheel, &c->timer,
			s->now + (delta > 0 ? (uint64_t)delta * TERN_NSEC_PER_MSEC : 0));
}

static const uint32_t MS_PER_S = 1000;

/*
 * tcp_keepalive_timer(): after `idle` without a segment from the peer and
 * with nothing outstanding, probe every `intvl`; after `cnt` unanswered
 * probes (or the user timeout, when set) reset. An orphaned FIN-WAIT-2
 * (the application closed) ends silently after fin_timeout: with
 * tcp_fin_timeout not above TIME-WAIT's length, Linux turns it into a
 * FIN_WAIT2 timewait socket that expires without a RST.
 */
static void ka_timer(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out)
{
	const struct tern_listener *l = tern_conn_listener(s, c);
	uint32_t idle, elapsed = tern_ms(now) - c->last_rcv, ut;

	if (c->state == TERN_FIN_WAIT_2 && (c->flags & TERN_CF_RCV_SHUT)) {
		TERN_MIB_INC(s, TCPFinWait2Timeout);
		return tern_conn_free(s, c, TERN_CLOSE_TIMEOUT);
	}
	if (!l || !l->opts.keepalive_idle_s)
		return;
	idle = l->opts.keepalive_idle_s * MS_PER_S;
	ut = l->opts.user_timeout_ms;
	if (c->snd_una != c->snd_max || c->sq_bytes) {
		c->ka_at = tern_deadline(now, idle);
		return;
	}
	if (elapsed < idle) {
		c->ka_at = tern_deadline(now, idle - elapsed);
		return;
	}
	if ((ut && elapsed >= ut && c->probes) || (!ut && c->probes >= l->opts.keepalive_cnt)) {
		TERN_MIB_INC(s, TCPAbortOnTimeout);
		return tern_conn_abort_reason(s, c, TERN_CLOSE_KEEPALIVE, now, out);
	}
	TERN_MIB_INC(s, TCPKeepAlive);
	tern_emit_conn_seg(s, c, c->snd_una - 1, TERN_TH_ACK, NULL, 0, now, out);
	c->probes++;
	c->ka_at = tern_deadline(now, l->opts.keepalive_intvl_s * MS_PER_S);
}

/* Arm keepalive for a new connection when its listener asks for it. */
void tern_conn_ka_start(struct tern_stack *s, struct tern_conn *c, uint64_t now)
{
	const struct tern_listener *l = tern_conn_listener(s, c);

	if (l && l->opts.keepalive_idle_s)
		c->ka_at = tern_deadline(now, l->opts.keepalive_idle_s * MS_PER_S);
}

void tern_conn_timer(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out)
{
	uint32_t ms = tern_ms(now);

	if (due(c->delack_at, ms))
		tern_conn_ack_now(s, c, now, out);
	if (due(c->rto_at, ms)) {
		c->rto_at = 0;
		tern_conn_rto(s, c, now, out);
		if (!c->in_use)
			return;
	}
	if (due(c->ka_at, ms)) {
		c->ka_at = 0;
		ka_timer(s, c, now, out);
		if (!c->in_use)
			return;
	}
	if (due(c->app_at, ms)) {
		c->app_at = 0;
		if (s->ops && s->ops->timer)
			s->ops->timer(s->app_ctx, c);
		if (!c->in_use)
			return;
	}
	tern_conn_rearm(s, c);
}

/* One application timer per connection: ms from now (0 cancels). */
void tern_conn__set_timer(struct tern_stack *s, struct tern_conn *c, uint32_t ms, uint64_t now)
{
	s->now = now;
	if (ms > TERN_DEADLINE_MAX_MS)
		ms = TERN_DEADLINE_MAX_MS; /* deadlines compare on a 32-bit ms clock */
	c->app_at = ms ? tern_deadline(now, ms) : 0;
	tern_conn_rearm(s, c);
}
