// SPDX-License-Identifier: BSD-2-Clause
/*
 * RTT samples and the retransmission timeout, as Linux computes them
 * (tcp_rtt_estimator, tcp_set_rto): SRTT in 1/8 us, the deviation in
 * Linux's mdev/rttvar form, so that RTO = SRTT + max(4 x mdev, rto_min)
 * with rttvar decaying once per window of data. RFC 6298 5.5 backoff,
 * capped at 120 s (TCP_RTO_MAX), and never past the user timeout.
 */
#include "stack.h"

#define RTO_MAX_MS (TERN_RTO_MAX_NS / TERN_NSEC_PER_MSEC)
/* A sample that does not fit in microseconds is no sample (as Linux's
 * tcp_rtt_tsopt_us): a TSecr from the future or made up by the peer, or a
 * timed segment from long ago. */
#define RTT_MAX_US ((uint64_t)INT32_MAX)

void tern_conn_rtt_init(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);

	c->srtt_us = c->rttvar_us = 0;
	c->rto_ms = TERN_TIMEOUT_INIT_NS / TERN_NSEC_PER_MSEC;
	x->mdev_us = x->mdev_max_us = 0;
	x->rtt_win_seq = c->snd_max;
}

/* tcp_rtt_estimator(), first sample: SRTT = R, mdev = 2R so that the
 * RTO is 3R above the floor (RFC 6298 2.2). */
static void estimator_first(struct tern_stack *s, struct tern_conn *c, struct tern_xmit *x,
			    uint32_t m)
{
	uint32_t floor = s->cfg.rto_min_ms * 1000u;

	c->srtt_us = m ? m << 3 : 1; /* max(1U, srtt) */
	x->mdev_us = m << 1;
	c->rttvar_us = x->mdev_us > floor ? x->mdev_us : floor;
	x->mdev_max_us = c->rttvar_us;
	x->rtt_win_seq = c->snd_max;
}

/* tcp_rtt_estimator(): SRTT += err / 8; mdev += (|err| - mdev) / 4, with
 * a falling RTT weighted 1/32 instead; rttvar follows the window's largest
 * mdev up at once and down by a quarter per window of data (RFC 6298 2.3
 * in Linux's form). m is below 2^31 (rtt_sample). */
static void estimator(struct tern_stack *s, struct tern_conn *c, uint32_t m_us)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);
	int64_t m = m_us;

	if (!c->srtt_us)
		return estimator_first(s, c, x, m_us);
	m -= c->srtt_us >> 3;
	c->srtt_us = (uint32_t)((int64_t)c->srtt_us + m);
	if (m < 0) {
		m = -m - (x->mdev_us >> 2);
		if (m > 0)
			m >>= 3;
	} else {
		m -= x->mdev_us >> 2;
	}
	x->mdev_us = (uint32_t)((int64_t)x->mdev_us + m);
	if (x->mdev_us > x->mdev_max_us) {
		x->mdev_max_us = x->mdev_us;
		if (x->mdev_max_us > c->rttvar_us)
			c->rttvar_us = x->mdev_max_us;
	}
	if (tern_seq_gt(c->snd_una, x->rtt_win_seq)) {
		if (x->mdev_max_us < c->rttvar_us)
			c->rttvar_us -= (c->rttvar_us - x->mdev_max_us) >> 2;
		x->rtt_win_seq = c->snd_max;
		x->mdev_max_us = s->cfg.rto_min_ms * 1000u;
	}
	if (!c->srtt_us)
		c->srtt_us = 1;
}

/* __tcp_set_rto() and tcp_bound_rto(): SRTT + rttvar, rounded up to the
 * ms (usecs_to_jiffies at HZ=1000), at most TCP_RTO_MAX. */
static void set_rto(struct tern_conn *c)
{
	uint64_t us = (uint64_t)(c->srtt_us >> 3) + c->rttvar_us;
	uint64_t ms = (us + 999) / 1000;

	c->rto_ms = ms < RTO_MAX_MS ? (uint32_t)ms : (uint32_t)RTO_MAX_MS;
}

/* tcp_update_rtt_min(): the windowed minimum takes the newest sample,
 * but not a suspected delayed ACK's above it (FLAG_ACK_MAYBE_DELAYED). */
static void min_rtt_update(struct tern_stack *s, struct tern_conn *c, uint32_t ca_us, int delayed)
{
	if (delayed && ca_us > tern_rack_min_rtt_us(s, c))
		return;
	tern_rack_min_rtt(s, c, ca_us);
}

/* tcp_ack_update_rtt() once a sample is chosen: the estimator and the
 * RTO take seq_us, the minimum ca_us. Returns 1 if it was one. */
static int rtt_update(struct tern_stack *s, struct tern_conn *c, uint64_t seq_us, uint64_t ca_us,
		      int delayed)
{
	if (seq_us >= RTT_MAX_US || ca_us >= RTT_MAX_US)
		return 0;
	min_rtt_update(s, c, (uint32_t)ca_us, delayed);
	estimator(s, c, (uint32_t)seq_us);
	set_rto(c);
	c->backoff = 0; /* RFC 6298 5.7 / Karn: only a valid sample undoes it */
	return 1;
}

/* An ACK's sample: the estimator's, and the congestion control's
 * (pkts_acked()'s rtt_us). */
static void rtt_sample(struct tern_stack *s, struct tern_conn *c, uint64_t seq_us, uint64_t ca_us,
		       int delayed)
{
	if (rtt_update(s, c, seq_us, ca_us, delayed))
		tern_cc__on_rtt(s, c, (uint32_t)ca_us);
}

/* tcp_rtt_tsopt_us(): whole ms, at least 1 (a TS clock tick); -1 when
 * the segment has no echo to take. */
static int64_t ts_us(const struct tern_conn *c, const struct tern_seg *seg, uint64_t now)
{
	uint32_t ms;

	if (!(c->optf & TERN_NEG_TS) || !(seg->opt.present & TERN_OPT_TS) || !seg->opt.tsecr)
		return -1;
	ms = tern_ms(now) - (seg->opt.tsecr - c->ts_off);
	if ((uint64_t)ms * 1000u >= RTT_MAX_US)
		return (int64_t)RTT_MAX_US; /* an echo, but no sample */
	return (int64_t)(ms ? ms : 1) * 1000;
}

/*
 * Without records (no SACK, --rack-segs 0, or records given back) the TS
 * echo, else Karn's one timed segment. tern: Linux times every segment
 * (skb_mstamp) whatever the options, and prefers those samples to the
 * echo; without records tern has no send times but the timed segment's,
 * in ms.
 */
static void rtt_ack_norecords(struct tern_stack *s, struct tern_conn *c,
			      const struct tern_seg *seg, uint64_t now)
{
	int64_t ts = ts_us(c, seg, now);

	if (ts >= 0) {
		rtt_sample(s, c, (uint64_t)ts, (uint64_t)ts, 0);
		return;
	}
	if ((c->flags & TERN_CF_RTT) && tern_seq_gt(seg->ack, c->rtt_seq)) {
		uint64_t us = (uint64_t)(tern_ms(now) - c->rtt_ms) * 1000u;

		c->flags &= ~TERN_CF_RTT;
		rtt_sample(s, c, us, us, 0);
	}
}

/* tcp_clean_rtx_queue()'s FLAG_ACK_MAYBE_DELAYED: one short segment
 * ACKed alone, nothing SACKed before or with it (a lone runt, whose ACK
 * the peer may have delayed). The ACK's SACK and D-SACK flags are the
 * records' (tern_rack_ack() clears them, the blocks set them). */
static int maybe_delayed(const struct tern_stack *s, const struct tern_conn *c,
			 const struct tern_rack_rtt *m, uint32_t acked)
{
	const struct tern_rack *r = tern_conn_rack(s, c);

	return m->acked == 1 && acked < c->mss && !m->prior_sacked && !r->ack_sacked &&
	       !r->ack_dsack;
}

/*
 * tcp_clean_rtx_queue() -> tcp_ack_update_rtt(): the oldest segment
 * cumulatively ACKed for SRTT and the newest for the congestion control
 * and min_rtt, unless one of them was resent (Karn); the newest SACKed
 * one for the congestion control whenever there is one, and the oldest
 * SACKed for SRTT when the cumulative ACK gave none; only then the TS
 * echo, when the ACK acknowledged new data (RFC 7323 4.1, RTTM).
 */
void tern_conn_rtt_ack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		       const struct tern_rack_rtt *m, uint32_t acked, uint64_t now)
{
	int64_t seq = m->retrans ? -1 : m->seq_us, ca = m->retrans ? -1 : m->ca_us;
	int delayed = seq >= 0 && maybe_delayed(s, c, m, acked);

	if (!m->on) {
		if (acked)
			rtt_ack_norecords(s, c, seg, now);
		return;
	}
	if (m->sack_ca_us >= 0)
		ca = m->sack_ca_us;
	if (seq < 0)
		seq = m->sack_us;
	if (seq < 0 && acked)
		seq = ca = ts_us(c, seg, now);
	if (seq >= 0)
		rtt_sample(s, c, (uint64_t)seq, (uint64_t)ca, delayed);
}

/* tcp_synack_rtt_meas(): the one SYN-ACK's send time, else the TS echo
 * (which for a SYN cookie carries the options in its low 6 bits, so the
 * sample is up to 63 ms long, as Linux's). The congestion control does
 * not see it: Linux's passive open calls pkts_acked() with no sample. */
void tern_conn_rtt_synack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
			  uint64_t synack_ns, uint64_t now)
{
	int64_t us = synack_ns && now >= synack_ns ? (int64_t)((now - synack_ns) / 1000u)
						   : ts_us(c, seg, now);

	if (us >= 0)
		rtt_update(s, c, (uint64_t)us, (uint64_t)us, 0);
}

static uint32_t rto_backed_off(const struct tern_conn *c)
{
	uint64_t rto = (uint64_t)c->rto_ms << c->backoff;

	return rto < RTO_MAX_MS ? (uint32_t)rto : (uint32_t)RTO_MAX_MS;
}

/* The retransmission timeout to arm now: backed off, and never past the
 * user timeout (tcp_clamp_rto_to_user_timeout). */
uint32_t tern_conn_rto_arm(const struct tern_stack *s, const struct tern_conn *c, uint64_t now)
{
	const struct tern_listener *l = tern_conn_listener(s, c);
	uint32_t rto = rto_backed_off(c), ut = l ? l->opts.user_timeout_ms : 0;
	uint32_t elapsed = tern_ms(now) - c->una_since;

	if (!ut || !c->una_since)
		return rto;
	if (elapsed >= ut)
		return 1;
	return ut - elapsed < rto ? ut - elapsed : rto;
}
