// SPDX-License-Identifier: BSD-2-Clause
/*
 * Delivery-rate samples as Linux's net/ipv4/tcp_rate.c, in bytes, for a
 * congestion control that takes them (cc.h's cong_control): every RACK
 * record (rack.h) remembers how much the connection had delivered when
 * it went out, and when (tcp_rate_skb_sent); an ACK takes the delivered
 * record sent last (tcp_rate_skb_delivered), and its sample is the bytes
 * delivered since that record went out over the longer of the send and
 * the ACK intervals (tcp_rate_gen), so that neither a burst of sends nor
 * a compressed run of ACKs overstates the rate.
 *
 * The records' rate state and the connections' counters are arrays that
 * exist only when the algorithm has cong_control (stack.c): CUBIC and
 * NewReno stacks keep no more memory than without them.
 * tern: only records give samples; a connection without them (the peer
 * has no SACK, or the records were given back: TCPRackSegsFull) gets
 * samples with no interval, and the algorithm keeps its model.
 */
#include "stack.h"

/* tcp_init_sock(): app-limited until the first byte is delivered
 * (app_limited = ~0U, which any delivered count is past). */
void tern_rate_conn_init(struct tern_stack *s, struct tern_conn *c)
{
	if (s->rate)
		*tern_conn_rate(s, c) = (struct tern_rate){ .app_limited = UINT32_MAX };
}

/* tcp_rate_skb_sent(): record i (g) goes out; with nothing in flight the
 * send and ACK intervals both start at it. */
void tern_rate_sent(struct tern_stack *s, const struct tern_conn *c, uint32_t i,
		    struct tern_rseg *g)
{
	struct tern_rate *r;

	if (!s->rrate)
		return;
	r = tern_conn_rate(s, c);
	if (c->snd_una == c->snd_max)
		r->first_tx_us = r->delivered_us = g->sent_us;
	s->rrate[i] = (struct tern_rrate){ .delivered = r->delivered,
					  .delivered_us = r->delivered_us,
					  .first_tx_us = r->first_tx_us };
	if (r->app_limited)
		g->flags |= TERN_RSEG_APP;
	else
		g->flags &= (uint8_t)~TERN_RSEG_APP;
}

/* A record split in two (rack.c): the second half went out with the
 * first (tcp_fragment() copies the skb's tx state). */
void tern_rate_copy(struct tern_stack *s, uint32_t to, uint32_t from)
{
	if (s->rrate)
		s->rrate[to] = s->rrate[from];
}

/* tcp_skb_sent_after(): sent later, or in the same µs with a higher end. */
static int sent_after(uint32_t t1, uint32_t t2, uint32_t end1, uint32_t end2)
{
	return (int32_t)(t1 - t2) > 0 || (t1 == t2 && tern_seq_gt(end1, end2));
}

/* tcp_rate_skb_delivered(): of the records this ACK delivers, the one
 * sent last gives the sample; the send interval starts at its
 * first_tx, the next one's at its send time. */
void tern_rate_delivered(struct tern_stack *s, struct tern_conn *c, uint32_t i,
			 const struct tern_rseg *g, struct tern_rack_rtt *m)
{
	const struct tern_rrate *t;

	if (!s->rrate)
		return;
	if (m->rs_set && !sent_after(g->sent_us, m->rs_sent_us, g->end, m->rs_end))
		return;
	t = &s->rrate[i];
	m->rs_set = 1;
	m->rs_app = !!(g->flags & TERN_RSEG_APP);
	m->rs_delivered = t->delivered;
	m->rs_delivered_us = t->delivered_us;
	m->rs_sent_us = g->sent_us;
	m->rs_end = g->end;
	m->rs_send_us = (int32_t)(g->sent_us - t->first_tx_us);
	tern_conn_rate(s, c)->first_tx_us = g->sent_us;
}

/* tcp_mark_skb_lost() -> tp->lost: bytes in flight found lost. */
void tern_rate_lost(struct tern_stack *s, struct tern_conn *c, uint32_t bytes)
{
	if (s->rate)
		tern_conn_rate(s, c)->lost += bytes;
}

/* tp->app_limited = (delivered + in flight) ?: 1: samples of data sent
 * until that much is delivered are app-limited. */
static void app_limited_from_now(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_rate *r = tern_conn_rate(s, c);

	r->app_limited = r->delivered + tern_sack_pipe(s, c);
	if (!r->app_limited)
		r->app_limited = 1;
}

void tern_rate_mark_app_limited(struct tern_stack *s, struct tern_conn *c)
{
	if (s->rate)
		app_limited_from_now(s, c);
}

/*
 * tcp_rate_check_app_limited(): less than a segment waits to be sent,
 * the window has room, and no lost data waits to be resent: the
 * application, not the network, limits the rate.
 * tern: asked when output stops (tern_conn_output), where Linux asks when
 * the application writes; both see the window not filled.
 */
void tern_rate_check_app_limited(struct tern_stack *s, struct tern_conn *c, uint32_t unsent)
{
	uint32_t seq, max;

	if (!s->rate || unsent >= c->mss || tern_sack_pipe(s, c) >= c->cwnd)
		return;
	if (tern_rack_on(s, c) && tern_rack_next_lost(s, c, &seq, &max))
		return;
	app_limited_from_now(s, c);
}

void tern_rate_begin(struct tern_stack *s, struct tern_conn *c, struct tern_rate_prior *p)
{
	if (!s->rate)
		return;
	p->una = c->snd_una;
	p->sacked = tern_conn_xmit(s, c)->sacked;
	p->lost = tern_conn_rate(s, c)->lost;
	p->in_flight = tern_sack_pipe(s, c);
	p->had_flight = c->snd_una != c->snd_max;
}

static uint8_t ca_state(const struct tern_stack *s, const struct tern_conn *c)
{
	if (c->flags & TERN_CF_RECOVERY)
		return TERN_CC_RECOVERY;
	return tern_conn_xmit(s, c)->loss ? TERN_CC_LOSS : TERN_CC_OPEN;
}

/* tcp_rate_gen(): the sample from the record tern_rate_delivered()
 * chose; an interval shorter than min_rtt is no sample (it would
 * overstate the rate). */
static void gen(const struct tern_stack *s, const struct tern_conn *c,
		const struct tern_rack_rtt *m, struct tern_rate_sample *rs)
{
	uint32_t ack_us;

	rs->delivered = -1;
	rs->interval_us = -1;
	if (!m->rs_set)
		return;
	rs->delivered = (int64_t)(uint32_t)(rs->tot_delivered - m->rs_delivered);
	rs->prior_delivered = m->rs_delivered;
	rs->is_app_limited = m->rs_app;
	ack_us = rs->now_us - m->rs_delivered_us;
	rs->interval_us = m->rs_send_us > (int32_t)ack_us ? m->rs_send_us : (int32_t)ack_us;
	if (rs->interval_us < 0 || (uint32_t)rs->interval_us < tern_rack_min_rtt_us(s, c))
		rs->interval_us = -1;
}

/* tcp_ack() -> tcp_rate_gen() and tcp_cong_control(): the ACK's sample
 * to the algorithm. Only when data was in flight before the ACK (an ACK
 * with nothing outstanding takes Linux's no_queue path). */
void tern_rate_ack(struct tern_stack *s, struct tern_conn *c, const struct tern_rate_prior *p,
		   const struct tern_rack_rtt *m)
{
	struct tern_rate_sample rs = { .prior_in_flight = p->in_flight };
	struct tern_rate *r;
	int64_t delivered;

	if (!s->rate || !c->in_use || !p->had_flight || tern_seq_lt(c->snd_una, p->una))
		return;
	r = tern_conn_rate(s, c);
	delivered = (int64_t)(c->snd_una - p->una) + tern_conn_xmit(s, c)->sacked - p->sacked;
	rs.acked_sacked = delivered > 0 ? (uint32_t)delivered : 0;
	rs.now_us = (uint32_t)(s->now / 1000u);
	rs.now_ms = tern_ms(s->now);
	r->delivered += rs.acked_sacked;
	if (rs.acked_sacked)
		r->delivered_us = rs.now_us;
	if (r->app_limited && tern_seq_gt(r->delivered, r->app_limited))
		r->app_limited = 0;
	rs.tot_delivered = r->delivered;
	rs.losses = r->lost - p->lost;
	rs.in_flight = tern_sack_pipe(s, c);
	rs.ca_state = ca_state(s, c);
	rs.rtt_us = m->retrans ? -1 : m->ca_us;
	if (m->sack_ca_us >= 0)
		rs.rtt_us = m->sack_ca_us;
	gen(s, c, m, &rs);
	tern_cc__cong_control(s, c, &rs);
}
