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

/* tcp_ack_update_rtt() */
static void rtt_sample(struct tern_stack *s, struct tern_conn *c, uint64_t us)
{
	if (us >= RTT_MAX_US)
		return;
	estimator(s, c, (uint32_t)us);
	set_rto(c);
	c->backoff = 0; /* RFC 6298 5.7 / Karn: only a valid sample undoes it */
	tern_cc__on_rtt(s, c, (uint32_t)us);
	tern_rack_min_rtt(s, c, (uint32_t)us);
}

/* tcp_rtt_tsopt_us(): whole ms, at least 1 (a TS clock tick). */
static int ts_sample(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		     uint64_t now)
{
	uint32_t ms;

	if (!(c->optf & TERN_NEG_TS) || !(seg->opt.present & TERN_OPT_TS) || !seg->opt.tsecr)
		return 0;
	ms = tern_ms(now) - (seg->opt.tsecr - c->ts_off);
	if ((uint64_t)ms * 1000u >= RTT_MAX_US)
		return 1;
	rtt_sample(s, c, (uint64_t)(ms ? ms : 1) * 1000u);
	return 1;
}

/* An ACK of new data: the TS echo, or Karn's timed segment. */
void tern_conn_rtt_ack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		       uint64_t now)
{
	if (ts_sample(s, c, seg, now))
		return;
	if ((c->flags & TERN_CF_RTT) && tern_seq_gt(seg->ack, c->rtt_seq)) {
		c->flags &= ~TERN_CF_RTT;
		rtt_sample(s, c, (uint64_t)(tern_ms(now) - c->rtt_ms) * 1000u);
	}
}

/* tcp_synack_rtt_meas(): the one SYN-ACK's send time, else the TS echo
 * (which for a SYN cookie carries the options in its low 6 bits, so the
 * sample is up to 63 ms long, as Linux's). */
void tern_conn_rtt_synack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
			  uint64_t synack_ns, uint64_t now)
{
	if (synack_ns && now >= synack_ns) {
		rtt_sample(s, c, (now - synack_ns) / 1000u);
		return;
	}
	ts_sample(s, c, seg, now);
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
