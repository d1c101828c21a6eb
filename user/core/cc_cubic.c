// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUBIC (RFC 9438) with Linux's tcp_cubic.c constants and fixed point:
 * C = 410/1024 (bic_scale 41), beta = 717/1024, fast convergence and the
 * Reno-friendly region on. The cubic function is evaluated in segments
 * (cwnd / MSS) and time in 1/1024 s, as Linux does; the window itself
 * stays in bytes. HyStart (hystart_update) ends slow start before a
 * loss: on an ACK train as long as half the minimum RTT plus the time
 * four 64 KiB GSO packets take at the pacing rate, or on an RTT risen
 * over the minimum, from 16 segments of cwnd on (hystart_low_window).
 */
#include <string.h>

#include "stack.h"

#define BETA 717u                /* beta_cubic x 1024 */
#define BETA_SCALE 1024u
#define CUBE_RTT_SCALE 410u      /* bic_scale x 10: C x 1024 */
#define CUBE_SHIFT 40            /* 10 + 3 x BICTCP_HZ */
#define CUBE_FACTOR ((1ull << CUBE_SHIFT) / CUBE_RTT_SCALE)
/* 8 x (1024 + beta) / 3 / (1024 - beta): the Reno-friendly growth rate */
#define FRIENDLY_SCALE (8u * (BETA_SCALE + BETA) / 3u / (BETA_SCALE - BETA))
/* tern: |t - K| is capped at 256 s so that C x offs^3 stays in 64 bits
 * (Linux's bictcp_update lets it overflow after ~5 minutes in an epoch). */
#define OFFS_MAX (1ull << 18)

struct cubic {
	uint32_t cnt;           /* segments acknowledged per cwnd increment */
	uint32_t last_max_cwnd; /* W_max, segments */
	uint32_t last_cwnd;     /* cwnd at the last update, segments */
	uint32_t last_time;     /* ms of the last update */
	uint32_t origin;        /* bic_origin_point, segments */
	uint32_t k;             /* K, 1/1024 s */
	uint32_t delay_min_us;
	uint32_t epoch_start;   /* ms; 0: no epoch */
	uint32_t ack_cnt;       /* bytes acknowledged this epoch */
	uint32_t tcp_cwnd;      /* Reno-friendly estimate, segments */
	uint32_t ai_cnt;        /* bytes toward the next MSS (snd_cwnd_cnt) */
	/* HyStart */
	uint32_t round_start;   /* us clock when this round began */
	uint32_t end_seq;       /* the round ends when SND.UNA passes it */
	uint32_t last_ack;      /* us clock of the train's last ACK */
	uint32_t curr_rtt;      /* least RTT of this round's samples, us */
	uint8_t sample_cnt;     /* samples in this round */
	uint8_t found;          /* slow start was ended by HyStart */
};

_Static_assert(sizeof(struct cubic) <= TERN_CC_PRIV_WORDS * sizeof(uint32_t),
	       "CUBIC state must fit the private words");

static struct cubic *ca(uint32_t *priv)
{
	return (struct cubic *)priv;
}

#define HYSTART_LOW_WINDOW 16u   /* segments */
#define HYSTART_MIN_SAMPLES 8u
#define HYSTART_ACK_DELTA_US 2000u
#define HYSTART_DELAY_MIN_US 4000u
#define HYSTART_DELAY_MAX_US 16000u
#define HYSTART_GSO_BYTES 65536ull /* GSO_LEGACY_MAX_SIZE */

static uint32_t us_clock(uint64_t now_ns)
{
	return (uint32_t)(now_ns / 1000u);
}

/* bictcp_hystart_reset(): a new round of slow start. */
static void hystart_reset(struct cubic *a, const struct tern_conn *c, uint32_t now_us)
{
	a->round_start = now_us;
	a->last_ack = now_us;
	a->end_seq = c->snd_nxt;
	a->curr_rtt = UINT32_MAX;
	a->sample_cnt = 0;
}

/* bictcp_reset() + bictcp_hystart_reset() (cubictcp_init) */
static void cubic_init(struct tern_conn *c, uint32_t *priv)
{
	memset(priv, 0, sizeof(struct cubic));
	hystart_reset(ca(priv), c, 0);
}

/* The integer cube root of a (floor), by bisection on the bits. */
static uint32_t cbrt64(uint64_t a)
{
	uint64_t r = 0;

	for (int b = 21; b >= 0; b--) {
		uint64_t t = r | (1ull << b);

		if (t * t * t <= a)
			r = t;
	}
	return (uint32_t)r;
}

static uint32_t segs(const struct tern_conn *c)
{
	uint32_t n = c->mss ? c->cwnd / c->mss : c->cwnd;

	return n ? n : 1;
}

/* A new epoch starts at the first ACK after a loss (RFC 9438 4.2). */
static void epoch_begin(struct cubic *a, uint32_t cwnd, uint32_t acked, uint32_t now)
{
	a->epoch_start = now ? now : 1;
	a->ack_cnt = acked;
	a->tcp_cwnd = cwnd;
	if (a->last_max_cwnd <= cwnd) {
		a->k = 0;
		a->origin = cwnd;
	} else {
		a->k = cbrt64(CUBE_FACTOR * (a->last_max_cwnd - cwnd));
		a->origin = a->last_max_cwnd;
	}
}

/* W_cubic(t + RTT) (RFC 9438 4.2, eq. 1), t in 1/1024 s. */
static uint64_t cubic_target(const struct cubic *a, uint64_t t)
{
	uint64_t offs = t < a->k ? a->k - t : t - a->k, delta;

	if (offs > OFFS_MAX)
		offs = OFFS_MAX;
	delta = (CUBE_RTT_SCALE * offs * offs * offs) >> CUBE_SHIFT;
	if (t >= a->k)
		return a->origin + delta;
	return delta < a->origin ? a->origin - delta : 0;
}

/* The Reno-friendly region (RFC 9438 4.3): never grow slower than a
 * Reno flow with the same beta would. */
static void cubic_friendly(struct cubic *a, uint32_t cwnd, uint32_t mss)
{
	uint64_t d = (uint64_t)((cwnd * FRIENDLY_SCALE) >> 3) * mss, n;

	if (!d)
		d = mss;
	n = a->ack_cnt > d ? (a->ack_cnt - 1) / d : 0;
	a->tcp_cwnd += (uint32_t)n;
	a->ack_cnt -= (uint32_t)(n * d);
	if (a->tcp_cwnd > cwnd) {
		uint32_t max_cnt = cwnd / (a->tcp_cwnd - cwnd);

		if (a->cnt > max_cnt)
			a->cnt = max_cnt;
	}
}

/* bictcp_update(): how many segments must be acknowledged per MSS of
 * growth to follow the cubic curve one RTT ahead. */
static void cubic_update(struct cubic *a, const struct tern_conn *c, uint32_t acked, uint32_t now)
{
	uint32_t cwnd = segs(c);
	uint64_t t, target;

	a->ack_cnt += acked;
	if (a->last_cwnd == cwnd && now - a->last_time <= 1000 / 32)
		return; /* at most once per 1/32 s while cwnd is unchanged */
	if (!a->epoch_start || now != a->last_time) {
		a->last_cwnd = cwnd;
		a->last_time = now;
		if (!a->epoch_start)
			epoch_begin(a, cwnd, acked, now);
		/* t + the minimum delay, in 1/1024 s (ms rounded up as
		 * usecs_to_jiffies) */
		t = (uint64_t)(now - a->epoch_start) + (a->delay_min_us + 999) / 1000;
		t = (t << 10) / 1000;
		target = cubic_target(a, t);
		if (target > cwnd)
			a->cnt = (uint32_t)(cwnd / (target - cwnd));
		else
			a->cnt = 100 * cwnd; /* very slow growth */
		/* The first epoch knows no W_max: grow at least 5 % per RTT. */
		if (!a->last_max_cwnd && a->cnt > 20)
			a->cnt = 20;
	}
	cubic_friendly(a, cwnd, c->mss);
	if (a->cnt < 2)
		a->cnt = 2;
}

/* cubictcp_cong_avoid() */
static void cubic_on_ack(struct tern_conn *c, uint32_t *priv, uint32_t acked, uint32_t now_ms)
{
	struct cubic *a = ca(priv);
	uint64_t w;

	if (c->cwnd < c->ssthresh) {
		acked = tern_cc__slow_start(c, acked);
		if (!acked)
			return;
	}
	cubic_update(a, c, acked, now_ms);
	w = (uint64_t)a->cnt * c->mss; /* cnt is up to 100 x cwnd segments */
	tern_cc__ai(c, &a->ai_cnt, w < UINT32_MAX ? (uint32_t)w : UINT32_MAX, acked);
}

/* cubictcp_recalc_ssthresh() with fast convergence (RFC 9438 4.7); an
 * RTO also forgets the curve (bictcp_state(TCP_CA_Loss)). */
static uint32_t cubic_on_loss(struct tern_conn *c, uint32_t *priv, enum tern_cc_loss kind)
{
	struct cubic *a = ca(priv);
	uint32_t cwnd = segs(c), ss = cwnd * BETA / BETA_SCALE;

	a->epoch_start = 0;
	if (cwnd < a->last_max_cwnd)
		a->last_max_cwnd = cwnd * (BETA_SCALE + BETA) / (2 * BETA_SCALE);
	else
		a->last_max_cwnd = cwnd;
	a->ai_cnt = 0;
	if (kind == TERN_CC_LOSS_RTO)
		cubic_init(c, priv); /* cubictcp_state(TCP_CA_Loss) */
	return (ss > 2 ? ss : 2) * (uint32_t)c->mss;
}

/*
 * hystart_ack_delay(): the ACK spacing allowed on top of the minimum RTT,
 * the time four GSO packets take at the pacing rate Linux computes on
 * every ACK whether or not anything paces (tern_cc__pacing_rate), at most
 * 1 ms; 0 before an RTT sample. tern sends no GSO packets, but the
 * allowance is Linux's for a device of 64 KiB GSO (sk_gso_max_size,
 * GSO_LEGACY_MAX_SIZE): one packet in the receiver's GRO and one in the
 * qdisc, doubled because the rate is (tcp_pacing_ss_ratio). On a path
 * of tens of µs it sets the train's threshold: with one packet instead
 * of four, a 40 µs path with a 290 MB/s bottleneck left slow start at
 * cwnd 30 instead of 65 (test_estab_cubic_hystart_veth_rtt).
 */
static uint32_t hystart_ack_delay(const struct tern_conn *c)
{
	uint64_t rate = tern_cc__pacing_rate(c, NULL), us;

	if (!c->srtt_us)
		return 0;
	if (!rate)
		return 1000u;
	us = (HYSTART_GSO_BYTES * 4u * 1000000u) / rate;
	return us < 1000u ? (uint32_t)us : 1000u;
}

/*
 * hystart_update(), ACK train: ACKs at most 2 ms apart that have kept
 * coming since the round began for longer than half of the minimum RTT
 * plus the ACK spacing allowance mean the window fills the path. Nothing
 * paces, so the threshold is halved as Linux halves it without pacing.
 */
static int hystart_train(struct cubic *a, const struct tern_conn *c, uint32_t now_us)
{
	uint32_t threshold;

	if ((int32_t)(now_us - a->last_ack) > (int32_t)HYSTART_ACK_DELTA_US)
		return 0;
	a->last_ack = now_us;
	threshold = (a->delay_min_us + hystart_ack_delay(c)) >> 1;
	return (int32_t)(now_us - a->round_start) > (int32_t)threshold;
}

/* hystart_update(), delay: the least RTT of a round's first 8 samples
 * above the minimum by an eighth of it, 4 to 16 ms. */
static int hystart_delay(struct cubic *a, uint32_t rtt_us)
{
	uint32_t thresh = a->delay_min_us >> 3;

	if (a->curr_rtt > rtt_us)
		a->curr_rtt = rtt_us;
	if (a->sample_cnt < HYSTART_MIN_SAMPLES) {
		a->sample_cnt++;
		return 0;
	}
	if (thresh < HYSTART_DELAY_MIN_US)
		thresh = HYSTART_DELAY_MIN_US;
	if (thresh > HYSTART_DELAY_MAX_US)
		thresh = HYSTART_DELAY_MAX_US;
	return a->curr_rtt > a->delay_min_us + thresh;
}

/* hystart_update(): a round begins once SND.UNA passes the last one's
 * end, whatever cwnd; from hystart_low_window on, slow start ends at the
 * current cwnd on an ACK train or a delay increase (Linux since 2025,
 * "tcp_cubic: fix incorrect HyStart round start detection"). */
static int hystart_update(struct cubic *a, struct tern_conn *c, uint32_t rtt_us, uint32_t now_us)
{
	int ev = 0;

	if (tern_seq_gt(c->snd_una, a->end_seq))
		hystart_reset(a, c, now_us);
	if (c->cwnd < HYSTART_LOW_WINDOW * c->mss)
		return 0;
	if (hystart_train(a, c, now_us))
		ev = TERN_CC_HYSTART_TRAIN;
	else if (hystart_delay(a, rtt_us))
		ev = TERN_CC_HYSTART_DELAY;
	if (ev) {
		a->found = 1;
		c->ssthresh = c->cwnd;
	}
	return ev;
}

/* cubictcp_acked(): the smallest delay seen, skipping the first second
 * after an epoch starts; HyStart while in slow start. */
static int cubic_on_rtt(struct tern_conn *c, uint32_t *priv, uint32_t rtt_us, uint64_t now_ns)
{
	struct cubic *a = ca(priv);
	uint32_t now_ms = (uint32_t)(now_ns / 1000000u);

	if (a->epoch_start && (int32_t)(now_ms - a->epoch_start) < 1000)
		return 0;
	if (!rtt_us)
		rtt_us = 1;
	if (!a->delay_min_us || a->delay_min_us > rtt_us)
		a->delay_min_us = rtt_us;
	if (a->found || c->cwnd >= c->ssthresh)
		return 0;
	return hystart_update(a, c, rtt_us, us_clock(now_ns));
}

/* cubictcp_cwnd_event(CA_EVENT_TX_START): idle time does not count as
 * time on the curve. */
static void cubic_on_idle(struct tern_conn *c, uint32_t *priv, uint32_t idle_ms, uint32_t now_ms)
{
	struct cubic *a = ca(priv);

	if (!a->epoch_start)
		return;
	a->epoch_start += idle_ms;
	if (tern_seq_gt(a->epoch_start, now_ms))
		a->epoch_start = now_ms;
	if (!a->epoch_start)
		a->epoch_start = 1;
}

const struct tern_cc_ops tern_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.on_loss = cubic_on_loss,
	.on_rtt = cubic_on_rtt,
	.on_idle = cubic_on_idle,
	.cwnd = tern_cc__cwnd,
	.pacing_rate = tern_cc__pacing_rate,
};
