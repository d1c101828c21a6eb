// SPDX-License-Identifier: BSD-2-Clause
/*
 * The send path's side of the congestion-control interface (cc.h): picks
 * the algorithm, guards cwnd against wrap at cfg.cwnd_clamp, and applies
 * the rules Linux applies around every algorithm: congestion window
 * validation (tcp_cwnd_validate / tcp_is_cwnd_limited, RFC 7661's intent)
 * and the restart after idle (tcp_cwnd_restart, RFC 5681 4.1).
 */
#include <string.h>

#include "stack.h"

#define INIT_CWND_SEGS 10u /* TCP_INIT_CWND, RFC 6928 */

const struct tern_cc_ops *tern_cc__ops(int algo)
{
	switch (algo) {
	case TERN_CC_CUBIC:
		return &tern_cc_cubic;
	case TERN_CC_RENO:
		return &tern_cc_reno;
	case TERN_CC_BBR:
		return &tern_cc_bbr;
	default:
		return NULL;
	}
}

/* The algorithm's private words: with cong_control, beside the
 * delivery counters (struct tern_rate), else in tern_xmit. */
static uint32_t *priv(struct tern_stack *s, struct tern_conn *c)
{
	return s->rate ? tern_conn_rate(s, c)->priv : tern_conn_xmit(s, c)->cc;
}

static void cwnd_set(struct tern_conn *c, uint64_t cwnd)
{
	c->cwnd = cwnd > UINT32_MAX ? UINT32_MAX : (uint32_t)cwnd;
}

/* tcp_slow_start(): grow by what was acknowledged, up to ssthresh; the
 * rest is returned for congestion avoidance. */
uint32_t tern_cc__slow_start(struct tern_conn *c, uint32_t acked)
{
	uint64_t cwnd = (uint64_t)c->cwnd + acked;
	uint32_t old = c->cwnd;

	cwnd_set(c, cwnd < c->ssthresh ? cwnd : c->ssthresh);
	return acked - (c->cwnd - old);
}

/* tcp_cong_avoid_ai() in bytes: one MSS more for every w bytes
 * acknowledged; *cnt holds the bytes counted toward the next step. */
void tern_cc__ai(struct tern_conn *c, uint32_t *cnt, uint32_t w, uint32_t acked)
{
	uint64_t n;

	if (!w)
		w = 1;
	if (*cnt >= w) {
		*cnt = 0;
		cwnd_set(c, (uint64_t)c->cwnd + c->mss);
	}
	n = (uint64_t)*cnt + acked;
	cwnd_set(c, (uint64_t)c->cwnd + n / w * c->mss);
	*cnt = (uint32_t)(n % w);
}

uint32_t tern_cc__cwnd(const struct tern_conn *c, const uint32_t *priv)
{
	return c->cwnd;
}

/* tcp_update_pacing_rate(): max(cwnd, what is in flight) per SRTT, times
 * 200 % while cwnd is below half of ssthresh (tcp_pacing_ss_ratio) or
 * 120 % after (tcp_pacing_ca_ratio), in bytes per second; 0 before an RTT
 * sample. */
uint64_t tern_cc__pacing_rate(const struct tern_conn *c, const uint32_t *priv)
{
	uint64_t ratio = c->cwnd < c->ssthresh / 2 ? 200 : 120;
	uint32_t out = c->snd_max - c->snd_una, w = c->cwnd > out ? c->cwnd : out;

	if (!c->srtt_us)
		return 0;
	/* srtt_us is 8 x SRTT: the 8 cancels Linux's << 3 */
	return (uint64_t)w * 8000000u / c->srtt_us * ratio / 100;
}

static uint32_t clamp_bytes(const struct tern_stack *s, const struct tern_conn *c)
{
	return s->cfg.cwnd_clamp * (uint32_t)c->mss; /* <= 65535 x 65535 */
}

static void clamp(struct tern_stack *s, struct tern_conn *c)
{
	if (c->cwnd <= clamp_bytes(s, c))
		return;
	c->cwnd = clamp_bytes(s, c);
	TERN_MIB_INC(s, TCPCwndClamped);
}

void tern_cc__init(struct tern_stack *s, struct tern_conn *c, uint32_t now_ms)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);

	memset(x->cc, 0, sizeof(x->cc));
	x->cwnd_limited = 0;
	x->max_flight = 0;
	x->cwnd_usage_seq = c->snd_max;
	x->lsnd_ms = now_ms;
	tern_sack_reset(x);
	tern_rack_free(s, c);
	c->cwnd = INIT_CWND_SEGS * c->mss;
	c->ssthresh = UINT32_MAX;
	tern_rate_conn_init(s, c);
	s->cc->init(c, priv(s, c));
	clamp(s, c);
}

/* Whether the algorithm sets cwnd itself on every ACK (cong_control). */
int tern_cc__has_control(const struct tern_stack *s)
{
	return s->cc->cong_control != NULL;
}

/* tcp_cong_control() with cong_control: the algorithm has the ACK's rate
 * sample and the window; the clamp still applies (snd_cwnd_clamp). */
void tern_cc__cong_control(struct tern_stack *s, struct tern_conn *c,
			   const struct tern_rate_sample *rs)
{
	if (s->cc->cong_control(c, priv(s, c), rs))
		tern_rate_mark_app_limited(s, c);
	clamp(s, c);
}

/* tcp_is_cwnd_limited(): the window limited sending in the last window
 * of data, or in slow start less than half of it was used. */
static int cwnd_limited(const struct tern_conn *c, const struct tern_xmit *x)
{
	if (x->cwnd_limited)
		return 1;
	return c->cwnd < c->ssthresh && (uint64_t)c->cwnd < 2ull * x->max_flight;
}

void tern_cc__on_ack(struct tern_stack *s, struct tern_conn *c, uint32_t acked, uint32_t now_ms)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);

	/* RFC 7661 / tcp_reno_cong_avoid(): no growth while the
	 * application, not the window, limits what is sent; an algorithm
	 * with cong_control grows its window there instead. */
	if (tern_cc__has_control(s) || !cwnd_limited(c, x))
		return;
	s->cc->on_ack(c, priv(s, c), acked, now_ms);
	clamp(s, c);
}

void tern_cc__on_loss(struct tern_stack *s, struct tern_conn *c, enum tern_cc_loss kind)
{
	c->ssthresh = s->cc->on_loss(c, priv(s, c), kind);
	if (c->ssthresh < 2u * c->mss)
		c->ssthresh = 2u * c->mss;
}

void tern_cc__on_rtt(struct tern_stack *s, struct tern_conn *c, uint32_t rtt_us)
{
	int ev;

	if (!s->cc->on_rtt)
		return;
	ev = s->cc->on_rtt(c, priv(s, c), rtt_us, s->now);
	if (ev & TERN_CC_HYSTART_TRAIN) {
		TERN_MIB_INC(s, TCPHystartTrainDetect);
		TERN_MIB_ADD(s, TCPHystartTrainCwnd, c->cwnd / c->mss);
	}
	if (ev & TERN_CC_HYSTART_DELAY) {
		TERN_MIB_INC(s, TCPHystartDelayDetect);
		TERN_MIB_ADD(s, TCPHystartDelayCwnd, c->cwnd / c->mss);
	}
}

/* tcp_undo_cwnd_reduction(): the window the algorithm restores. */
void tern_cc__undo(struct tern_stack *s, struct tern_conn *c, uint32_t prior_cwnd)
{
	if (s->cc->undo_cwnd)
		c->cwnd = s->cc->undo_cwnd(c, priv(s, c), prior_cwnd);
	else if (prior_cwnd > c->cwnd)
		c->cwnd = prior_cwnd; /* tcp_reno_undo_cwnd() */
	clamp(s, c);
}

/*
 * tcp_cwnd_restart(): after an idle period longer than the RTO, cwnd
 * halves for every RTO idle, down to the restart window min(IW, cwnd);
 * ssthresh keeps 3/4 of the old cwnd (tcp_current_ssthresh).
 */
static void cwnd_restart(struct tern_conn *c, int32_t idle)
{
	uint32_t restart = INIT_CWND_SEGS * c->mss, cwnd = c->cwnd;
	uint32_t cur = (cwnd >> 1) + (cwnd >> 2);

	if (c->ssthresh < cur)
		c->ssthresh = cur;
	if (restart > cwnd)
		restart = cwnd;
	while ((idle -= (int32_t)c->rto_ms) > 0 && cwnd > restart)
		cwnd >>= 1;
	c->cwnd = cwnd > restart ? cwnd : restart;
}

/* Data is about to go out with nothing in flight: the restart after idle
 * (tcp_slow_start_after_idle_check) and CA_EVENT_TX_START. */
void tern_cc__before_send(struct tern_stack *s, struct tern_conn *c, uint32_t now_ms)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);
	int32_t idle = (int32_t)(now_ms - x->lsnd_ms);

	if (c->snd_una != c->snd_max || idle <= 0)
		return;
	/* tcp_slow_start_after_idle_check(): not for cong_control */
	if ((uint32_t)idle > c->rto_ms && !tern_cc__has_control(s))
		cwnd_restart(c, idle);
	if (s->cc->on_idle)
		s->cc->on_idle(c, priv(s, c), (uint32_t)idle, now_ms);
}

/* tcp_cwnd_validate() after data went out: remember whether the window
 * limited sending in this window of data and how much was in flight. */
void tern_cc__after_send(struct tern_stack *s, struct tern_conn *c, int limited, uint32_t now_ms)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);
	uint32_t flight = c->snd_max - c->snd_una;

	x->lsnd_ms = now_ms;
	if (!tern_seq_lt(c->snd_una, x->cwnd_usage_seq) || limited || flight > x->max_flight) {
		x->cwnd_limited = (uint8_t)limited;
		x->max_flight = flight;
		x->cwnd_usage_seq = c->snd_max;
	}
}
