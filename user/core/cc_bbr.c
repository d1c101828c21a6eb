// SPDX-License-Identifier: BSD-2-Clause
/*
 * BBR v1 as Linux's net/ipv4/tcp_bbr.c: a model of the path from the
 * delivery-rate samples (rate.c), the bottleneck bandwidth as the
 * largest sample of the last 10 round trips and the propagation delay as
 * the least RTT of the last 10 s, and cwnd = gain x bandwidth x min_rtt.
 * Losses do not shrink the model; they only bound how much one ACK lets
 * out (packet conservation in the first round of recovery). The modes:
 * STARTUP (gain 2.89) until three rounds grow the bandwidth by less than
 * 25 %, DRAIN (1/2.89) until the queue it built is gone, PROBE_BW (pacing
 * gain cycle 1.25, 0.75, 1 x 6), and PROBE_RTT (cwnd 4 segments for
 * 200 ms and a round) when min_rtt was not seen again in 10 s.
 *
 * Units: bytes where Linux counts packets (cwnd, inflight, delivered), so
 * bandwidth is bytes per µs << BW_SCALE.
 * tern: tern has no pacer. The pacing rate is computed as Linux's and
 * reported (pacing_rate), but segments go out as cwnd allows: this is a
 * cwnd-limited BBR, and the departure time Linux's bbr_packets_in_net_at_edt()
 * looks ahead to is always now.
 * tern: the long-term bandwidth (policer) sampling, bbr_lt_bw_sampling(),
 * is left out: the bandwidth is always the windowed maximum.
 */
#include "stack.h"

#define BW_SCALE 12 /* Linux's 24 is for packets per µs */
#define BW_UNIT (1u << BW_SCALE)
#define GAIN_SCALE 8 /* BBR_SCALE */
#define GAIN_UNIT (1u << GAIN_SCALE)
#define HIGH_GAIN (GAIN_UNIT * 2885 / 1000 + 1) /* bbr_high_gain: 2/ln(2) */
#define DRAIN_GAIN (GAIN_UNIT * 1000 / 2885)    /* bbr_drain_gain */
#define CWND_GAIN (GAIN_UNIT * 2)               /* bbr_cwnd_gain */
#define CYCLE_LEN 8
#define CYCLE_RAND 7              /* bbr_cycle_rand */
#define BW_RTTS (CYCLE_LEN + 2)   /* bbr_bw_rtts */
#define MIN_RTT_WIN_MS 10000      /* bbr_min_rtt_win_sec */
#define PROBE_RTT_MS 200          /* bbr_probe_rtt_mode_ms */
#define CWND_MIN_SEGS 4           /* bbr_cwnd_min_target */
#define FULL_BW_THRESH (GAIN_UNIT * 5 / 4)
#define FULL_BW_CNT 3
#define INIT_CWND_SEGS 10         /* TCP_INIT_CWND */
#define MIN_TSO_RATE (1200000 / 8) /* bbr_min_tso_rate, bytes/s */
#define PACING_MARGIN_PCT 1       /* bbr_pacing_margin_percent */
#define PACING_SHIFT 10           /* sk_pacing_shift: ~1 ms of data */
#define GSO_MAX_BYTES (65536 - 1 - 320) /* GSO_LEGACY_MAX_SIZE - 1 - MAX_TCP_HEADER */
#define EXTRA_ACKED_WIN_RTTS 5    /* bbr_extra_acked_win_rtts */
#define EXTRA_ACKED_MAX_US 100000 /* bbr_extra_acked_max_us */
#define ACK_EPOCH_MAX UINT32_MAX  /* tern: Linux's 2^20 packets, here bytes */

enum {
	BBR_STARTUP = TERN_BBR_STARTUP,
	BBR_DRAIN = TERN_BBR_DRAIN,
	BBR_PROBE_BW = TERN_BBR_PROBE_BW,
	BBR_PROBE_RTT = TERN_BBR_PROBE_RTT,
};

/* The pacing gains of PROBE_BW's cycle (bbr_pacing_gain[]). */
static const uint16_t cycle_gain[CYCLE_LEN] = {
	GAIN_UNIT * 5 / 4, GAIN_UNIT * 3 / 4, GAIN_UNIT, GAIN_UNIT,
	GAIN_UNIT, GAIN_UNIT, GAIN_UNIT, GAIN_UNIT,
};

/* struct bbr in the connection's private words; times are the ACK's µs
 * and ms clocks (tern_rate_sample.now_us, now_ms), which wrap. */
struct bbr {
	uint32_t min_rtt_us;        /* UINT32_MAX: no sample */
	uint32_t min_rtt_ms;        /* min_rtt_stamp */
	uint32_t probe_rtt_done_ms; /* probe_rtt_done_stamp; 0: not set */
	uint32_t rtt_cnt;           /* packet-timed rounds */
	uint32_t next_rtt_delivered;
	uint32_t cycle_us;          /* cycle_mstamp */
	uint32_t prior_cwnd;
	uint32_t full_bw;
	uint32_t pacing;            /* sk_pacing_rate, bandwidth units */
	uint32_t ack_epoch_us;      /* ack_epoch_mstamp */
	uint32_t ack_epoch_acked;   /* bytes */
	uint32_t extra_acked[2];    /* bytes */
	struct tern_minmax bw;      /* max bandwidth over BW_RTTS rounds */
	uint32_t mode : 2, prev_ca_state : 2, packet_conservation : 1, round_start : 1,
		idle_restart : 1, probe_rtt_round_done : 1, full_bw_reached : 1,
		full_bw_cnt : 2, cycle_idx : 3, has_seen_rtt : 1, stamped : 1,
		extra_acked_win_rtts : 5, extra_acked_win_idx : 1,
		gain_mode : 2, gain_idx : 3; /* the gains bbr_update_gains() set */
};

_Static_assert(sizeof(struct bbr) <= TERN_CC_RATE_PRIV_WORDS * sizeof(uint32_t),
	       "BBR's state must fit the private words");

static struct bbr *bbr_of(uint32_t *priv)
{
	return (struct bbr *)priv;
}

static uint32_t max_bw(const struct bbr *b)
{
	return tern_minmax_get(&b->bw);
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t max32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static uint32_t u32_sat(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* bbr->pacing_gain and cwnd_gain, from the mode and cycle phase they
 * were last set for (bbr_update_gains()). */
static uint32_t pacing_gain(const struct bbr *b)
{
	switch (b->gain_mode) {
	case BBR_STARTUP:
		return HIGH_GAIN;
	case BBR_DRAIN:
		return DRAIN_GAIN;
	case BBR_PROBE_BW:
		return cycle_gain[b->gain_idx];
	default:
		return GAIN_UNIT;
	}
}

static uint32_t cwnd_gain(const struct bbr *b)
{
	switch (b->gain_mode) {
	case BBR_STARTUP:
	case BBR_DRAIN:
		return HIGH_GAIN;
	case BBR_PROBE_BW:
		return CWND_GAIN;
	default:
		return GAIN_UNIT;
	}
}

static void update_gains(struct bbr *b)
{
	b->gain_mode = b->mode;
	b->gain_idx = b->cycle_idx;
}

/* bbr_bw_to_pacing_rate(): gain x bw, 1 % below it (bandwidth units). */
static uint32_t to_pacing(uint32_t bw, uint32_t gain)
{
	uint64_t rate = (uint64_t)bw * gain >> GAIN_SCALE;

	return u32_sat(rate * (100 - PACING_MARGIN_PCT) / 100);
}

static uint64_t bytes_per_sec(uint32_t rate)
{
	return (uint64_t)rate * 1000000u >> BW_SCALE;
}

/* bbr_init_pacing_rate_from_rtt(): high_gain x cwnd / SRTT (1 ms before
 * a sample). */
static void init_pacing(struct bbr *b, const struct tern_conn *c)
{
	uint32_t rtt_us = 1000;

	if (c->srtt_us) {
		rtt_us = max32(c->srtt_us >> 3, 1);
		b->has_seen_rtt = 1;
	}
	b->pacing = to_pacing(u32_sat(((uint64_t)c->cwnd << BW_SCALE) / rtt_us), HIGH_GAIN);
}

/* bbr_set_pacing_rate(): never lower before the pipe is full. */
static void set_pacing(struct bbr *b, const struct tern_conn *c, uint32_t bw, uint32_t gain)
{
	uint32_t rate = to_pacing(bw, gain);

	if (!b->has_seen_rtt && c->srtt_us)
		init_pacing(b, c);
	if (b->full_bw_reached || rate > b->pacing)
		b->pacing = rate;
}

/* bbr_tso_segs_goal() in bytes: about 1 ms at the pacing rate, at least
 * one segment below 1.2 Mbit/s, else two, at most 127. */
static uint32_t tso_goal(const struct bbr *b, const struct tern_conn *c)
{
	uint64_t rate = bytes_per_sec(b->pacing);
	uint32_t bytes = (uint32_t)min32(u32_sat(rate >> PACING_SHIFT), GSO_MAX_BYTES);
	uint32_t segs = max32(bytes / c->mss, rate < MIN_TSO_RATE ? 1 : 2);

	return min32(segs, 127) * c->mss;
}

/* bbr_bdp(): ceil(bw x min_rtt x gain). Before an RTT sample the
 * initial window; tern: also before a bandwidth sample (a connection
 * without records has none, rate.c). */
static uint32_t bdp(const struct bbr *b, const struct tern_conn *c, uint32_t bw, uint32_t gain)
{
	uint64_t w;

	if (b->min_rtt_us == UINT32_MAX || !bw)
		return INIT_CWND_SEGS * c->mss;
	w = (uint64_t)bw * b->min_rtt_us;
	return u32_sat(((w >> GAIN_SCALE) * gain + BW_UNIT - 1) >> BW_SCALE);
}

/* bbr_quantization_budget(): room for three TSO bursts, an even number
 * of segments, and two more in the probing phase of the cycle. */
static uint32_t quantize(const struct bbr *b, const struct tern_conn *c, uint32_t cwnd)
{
	uint32_t segs = (u32_sat((uint64_t)cwnd + 3ull * tso_goal(b, c)) + c->mss - 1) / c->mss;

	segs = (segs + 1) & ~1u;
	if (b->mode == BBR_PROBE_BW && b->cycle_idx == 0)
		segs += 2;
	return u32_sat((uint64_t)segs * c->mss);
}

/* bbr_inflight() */
static uint32_t inflight(const struct bbr *b, const struct tern_conn *c, uint32_t bw,
			 uint32_t gain)
{
	return quantize(b, c, bdp(b, c, bw, gain));
}

/* bbr_packets_in_net_at_edt() with the departure time now (no pacer):
 * what is in flight, and the next burst when probing upward. */
static uint32_t in_net(const struct bbr *b, const struct tern_conn *c, uint32_t in_flight)
{
	if (pacing_gain(b) > GAIN_UNIT)
		return u32_sat((uint64_t)in_flight + tso_goal(b, c));
	return in_flight;
}

/* bbr_ack_aggregation_cwnd(): the most recently ACKed beyond the model,
 * at most 100 ms at the bandwidth, once the pipe is full. */
static uint32_t aggregation_cwnd(const struct bbr *b)
{
	uint32_t most;

	if (!b->full_bw_reached)
		return 0;
	most = u32_sat((uint64_t)max_bw(b) * EXTRA_ACKED_MAX_US >> BW_SCALE);
	return min32(max32(b->extra_acked[0], b->extra_acked[1]), most);
}

/* bbr_save_cwnd(): the last window known good, for after recovery or
 * PROBE_RTT. */
static void save_cwnd(struct bbr *b, const struct tern_conn *c)
{
	if (b->prev_ca_state < TERN_CC_RECOVERY && b->mode != BBR_PROBE_RTT)
		b->prior_cwnd = c->cwnd;
	else
		b->prior_cwnd = max32(b->prior_cwnd, c->cwnd);
}

/* bbr_advance_cycle_phase() */
static void advance_cycle(struct bbr *b, uint32_t now_us)
{
	b->cycle_idx = (b->cycle_idx + 1) & (CYCLE_LEN - 1);
	b->cycle_us = now_us;
}

/* bbr_reset_probe_bw_mode(): the cycle starts at a random phase other
 * than the probing one. tern: the core draws no random numbers; the
 * phase comes from the connection's ISN-derived SND.UNA and the clock. */
static void enter_probe_bw(struct bbr *b, const struct tern_conn *c, uint32_t now_us)
{
	b->mode = BBR_PROBE_BW;
	b->cycle_idx = CYCLE_LEN - 1 - (c->snd_una ^ now_us ^ c->ts_off) % CYCLE_RAND;
	advance_cycle(b, now_us);
}

/* bbr_reset_mode() */
static void reset_mode(struct bbr *b, const struct tern_conn *c, uint32_t now_us)
{
	if (b->full_bw_reached)
		enter_probe_bw(b, c, now_us);
	else
		b->mode = BBR_STARTUP;
}

/* bbr_is_next_cycle_phase(): a phase lasts min_rtt; the probing one
 * longer, until inflight reaches 1.25 BDP or data is lost; the draining
 * one shorter if inflight falls to the BDP. */
static int next_phase(const struct bbr *b, const struct tern_conn *c,
		      const struct tern_rate_sample *rs)
{
	int full = (int32_t)(rs->now_us - b->cycle_us) > (int64_t)b->min_rtt_us;
	uint32_t gain = pacing_gain(b), in = in_net(b, c, rs->prior_in_flight);

	if (gain == GAIN_UNIT)
		return full;
	if (gain > GAIN_UNIT)
		return full && (rs->losses || in >= inflight(b, c, max_bw(b), gain));
	return full || in <= inflight(b, c, max_bw(b), GAIN_UNIT);
}

/* bbr_update_bw(): a round ends when a segment sent after its start is
 * delivered; the sample enters the max filter unless app-limited and
 * below it. */
static void update_bw(struct bbr *b, const struct tern_rate_sample *rs)
{
	uint64_t bw;

	b->round_start = 0;
	if (rs->delivered < 0 || rs->interval_us <= 0)
		return;
	if (!tern_seq_lt(rs->prior_delivered, b->next_rtt_delivered)) {
		b->next_rtt_delivered = rs->tot_delivered;
		b->rtt_cnt++;
		b->round_start = 1;
		b->packet_conservation = 0;
	}
	bw = ((uint64_t)rs->delivered << BW_SCALE) / (uint32_t)rs->interval_us;
	if (!rs->is_app_limited || bw >= max_bw(b))
		tern_minmax_running_max(&b->bw, BW_RTTS, b->rtt_cnt, u32_sat(bw));
}

/* bbr_update_ack_aggregation(): bytes ACKed in this epoch beyond what
 * the bandwidth explains, the most of the last 5-10 rounds. */
static void update_aggregation(struct bbr *b, const struct tern_conn *c,
			       const struct tern_rate_sample *rs)
{
	uint32_t expected, extra;

	if (!rs->acked_sacked || rs->delivered < 0 || rs->interval_us <= 0)
		return;
	if (b->round_start) {
		b->extra_acked_win_rtts = min32(0x1f, b->extra_acked_win_rtts + 1);
		if (b->extra_acked_win_rtts >= EXTRA_ACKED_WIN_RTTS) {
			b->extra_acked_win_rtts = 0;
			b->extra_acked_win_idx ^= 1;
			b->extra_acked[b->extra_acked_win_idx] = 0;
		}
	}
	expected = u32_sat((uint64_t)max_bw(b) * (rs->now_us - b->ack_epoch_us) >> BW_SCALE);
	if (b->ack_epoch_acked <= expected ||
	    (uint64_t)b->ack_epoch_acked + rs->acked_sacked >= ACK_EPOCH_MAX) {
		b->ack_epoch_acked = 0;
		b->ack_epoch_us = rs->now_us;
		expected = 0;
	}
	b->ack_epoch_acked = u32_sat((uint64_t)b->ack_epoch_acked + rs->acked_sacked);
	extra = min32(b->ack_epoch_acked - expected, c->cwnd);
	if (extra > b->extra_acked[b->extra_acked_win_idx])
		b->extra_acked[b->extra_acked_win_idx] = extra;
}

/* bbr_check_full_bw_reached(): three rounds, not app-limited, without
 * 25 % more bandwidth. */
static void check_full_bw(struct bbr *b, const struct tern_rate_sample *rs)
{
	if (b->full_bw_reached || !b->round_start || rs->is_app_limited)
		return;
	if (max_bw(b) >= (uint64_t)b->full_bw * FULL_BW_THRESH >> GAIN_SCALE) {
		b->full_bw = max_bw(b);
		b->full_bw_cnt = 0;
		return;
	}
	b->full_bw_cnt++;
	b->full_bw_reached = b->full_bw_cnt >= FULL_BW_CNT;
}

/* bbr_check_drain(): once full, drain until inflight is one BDP. */
static void check_drain(struct bbr *b, struct tern_conn *c, const struct tern_rate_sample *rs)
{
	if (b->mode == BBR_STARTUP && b->full_bw_reached) {
		b->mode = BBR_DRAIN;
		c->ssthresh = inflight(b, c, max_bw(b), GAIN_UNIT);
	}
	if (b->mode == BBR_DRAIN &&
	    in_net(b, c, rs->in_flight) <= inflight(b, c, max_bw(b), GAIN_UNIT))
		enter_probe_bw(b, c, rs->now_us);
}

/* bbr_check_probe_rtt_done() */
static void check_probe_rtt_done(struct bbr *b, struct tern_conn *c, uint32_t now_ms,
				 uint32_t now_us)
{
	if (!b->probe_rtt_done_ms || !tern_seq_gt(now_ms, b->probe_rtt_done_ms))
		return;
	b->min_rtt_ms = now_ms;
	c->cwnd = max32(c->cwnd, b->prior_cwnd);
	reset_mode(b, c, now_us);
}

/* bbr_update_min_rtt(): the 10 s min_rtt filter, and PROBE_RTT when it
 * expires: 4 segments in flight for 200 ms and a round. Returns 1 while
 * in PROBE_RTT (its low-rate samples count as app-limited).
 * tern: the sample is taken on an expired filter even from an ACK that
 * may have been delayed (Linux's rs->is_ack_delayed is not kept). */
static int update_min_rtt(struct bbr *b, struct tern_conn *c, const struct tern_rate_sample *rs)
{
	int expired = tern_seq_gt(rs->now_ms, b->min_rtt_ms + MIN_RTT_WIN_MS);

	if (rs->rtt_us >= 0 && ((uint32_t)rs->rtt_us <= b->min_rtt_us || expired)) {
		b->min_rtt_us = (uint32_t)rs->rtt_us;
		b->min_rtt_ms = rs->now_ms;
	}
	if (expired && !b->idle_restart && b->mode != BBR_PROBE_RTT) {
		b->mode = BBR_PROBE_RTT;
		save_cwnd(b, c);
		b->probe_rtt_done_ms = 0;
	}
	if (rs->delivered > 0)
		b->idle_restart = 0;
	if (b->mode != BBR_PROBE_RTT)
		return 0;
	if (!b->probe_rtt_done_ms && rs->in_flight <= CWND_MIN_SEGS * c->mss) {
		b->probe_rtt_done_ms = (rs->now_ms + PROBE_RTT_MS) | 1;
		b->probe_rtt_round_done = 0;
		b->next_rtt_delivered = rs->tot_delivered;
	} else if (b->probe_rtt_done_ms) {
		if (b->round_start)
			b->probe_rtt_round_done = 1;
		if (b->probe_rtt_round_done)
			check_probe_rtt_done(b, c, rs->now_ms, rs->now_us);
	}
	return b->mode == BBR_PROBE_RTT;
}

/* bbr_set_cwnd_to_recover_or_restore(): losses come off cwnd; the first
 * round of recovery sends one for one (packet conservation); leaving
 * recovery restores the window from before it. Returns 1 under packet
 * conservation. */
static int recover_or_restore(struct bbr *b, const struct tern_conn *c,
			      const struct tern_rate_sample *rs, uint32_t *cwnd)
{
	uint32_t w = c->cwnd, state = rs->ca_state;

	if (rs->losses)
		w = w > rs->losses + c->mss ? w - rs->losses : c->mss;
	if (state == TERN_CC_RECOVERY && b->prev_ca_state != TERN_CC_RECOVERY) {
		b->packet_conservation = 1;
		b->next_rtt_delivered = rs->tot_delivered;
		w = rs->in_flight + rs->acked_sacked;
	} else if (b->prev_ca_state >= TERN_CC_RECOVERY && state < TERN_CC_RECOVERY) {
		w = max32(w, b->prior_cwnd);
		b->packet_conservation = 0;
	}
	b->prev_ca_state = state;
	*cwnd = w;
	if (!b->packet_conservation)
		return 0;
	*cwnd = max32(w, rs->in_flight + rs->acked_sacked);
	return 1;
}

/* bbr_set_cwnd(): toward gain x BDP (plus the aggregation allowance) by
 * at most what was delivered; before the pipe is full only upward. */
static void set_cwnd(struct bbr *b, struct tern_conn *c, const struct tern_rate_sample *rs,
		     uint32_t bw, uint32_t gain)
{
	uint32_t acked = rs->acked_sacked, cwnd = c->cwnd, target;

	if (!acked)
		goto done;
	if (recover_or_restore(b, c, rs, &cwnd))
		goto done;
	target = u32_sat((uint64_t)bdp(b, c, bw, gain) + aggregation_cwnd(b));
	target = quantize(b, c, target);
	if (b->full_bw_reached)
		cwnd = min32(u32_sat((uint64_t)cwnd + acked), target);
	else if (cwnd < target || rs->tot_delivered < INIT_CWND_SEGS * c->mss)
		cwnd = u32_sat((uint64_t)cwnd + acked);
	cwnd = max32(cwnd, CWND_MIN_SEGS * c->mss);
done:
	c->cwnd = cwnd;
	if (b->mode == BBR_PROBE_RTT)
		c->cwnd = min32(c->cwnd, CWND_MIN_SEGS * c->mss);
}

/* bbr_main(): the model from the sample, then pacing rate and cwnd. */
static int bbr_cong_control(struct tern_conn *c, uint32_t *priv, const struct tern_rate_sample *rs)
{
	struct bbr *b = bbr_of(priv);
	int app_limited;

	if (!b->stamped) {
		b->stamped = 1;
		b->min_rtt_ms = rs->now_ms;
		b->ack_epoch_us = rs->now_us;
	}
	update_bw(b, rs);
	update_aggregation(b, c, rs);
	if (b->mode == BBR_PROBE_BW && next_phase(b, c, rs))
		advance_cycle(b, rs->now_us);
	check_full_bw(b, rs);
	check_drain(b, c, rs);
	app_limited = update_min_rtt(b, c, rs);
	update_gains(b);
	set_pacing(b, c, max_bw(b), pacing_gain(b));
	set_cwnd(b, c, rs, max_bw(b), cwnd_gain(b));
	return app_limited;
}

/* bbr_init(). tern: min_rtt starts from SRTT (the handshake's sample),
 * where Linux's starts from tcp_min_rtt(); its stamp is the first ACK's
 * time, as the ops have no clock before it. */
static void bbr_init(struct tern_conn *c, uint32_t *priv)
{
	struct bbr *b = bbr_of(priv);

	*b = (struct bbr){ .min_rtt_us = c->srtt_us ? max32(c->srtt_us >> 3, 1) : UINT32_MAX };
	tern_minmax_reset(&b->bw, 0, 0);
	init_pacing(b, c);
	b->mode = BBR_STARTUP;
	update_gains(b);
}

/* bbr_ssthresh() and, on an RTO, bbr_set_state(TCP_CA_Loss): keep the
 * window for after recovery; the bandwidth model stays. */
static uint32_t bbr_on_loss(struct tern_conn *c, uint32_t *priv, enum tern_cc_loss kind)
{
	struct bbr *b = bbr_of(priv);

	save_cwnd(b, c);
	if (kind == TERN_CC_LOSS_RTO) {
		b->prev_ca_state = TERN_CC_LOSS;
		b->full_bw = 0;
		b->round_start = 1;
	}
	return c->ssthresh;
}

/* bbr_cwnd_event(CA_EVENT_TX_START): sending again after idle.
 * tern: the core calls this only with nothing in flight, which Linux's
 * tp->app_limited implies here: the application let the pipe empty. */
static void bbr_on_idle(struct tern_conn *c, uint32_t *priv, uint32_t idle_ms, uint32_t now_ms)
{
	struct bbr *b = bbr_of(priv);
	uint32_t now_us = now_ms * 1000u;

	b->idle_restart = 1;
	b->ack_epoch_us = now_us;
	b->ack_epoch_acked = 0;
	if (b->mode == BBR_PROBE_BW)
		set_pacing(b, c, max_bw(b), GAIN_UNIT);
	else if (b->mode == BBR_PROBE_RTT)
		check_probe_rtt_done(b, c, now_ms, now_us);
}

/* bbr_undo_cwnd(): a spurious loss restarts full-pipe detection; the
 * window stays as BBR set it. */
static uint32_t bbr_undo_cwnd(const struct tern_conn *c, uint32_t *priv, uint32_t prior_cwnd)
{
	struct bbr *b = bbr_of(priv);

	b->full_bw = 0;
	b->full_bw_cnt = 0;
	return c->cwnd;
}

int tern_cc_bbr__mode(const uint32_t *priv)
{
	return ((const struct bbr *)priv)->mode;
}

static uint64_t bbr_pacing_rate(const struct tern_conn *c, const uint32_t *priv)
{
	return bytes_per_sec(((const struct bbr *)priv)->pacing);
}

const struct tern_cc_ops tern_cc_bbr = {
	.name = "bbr",
	.init = bbr_init,
	.on_loss = bbr_on_loss,
	.on_idle = bbr_on_idle,
	.cwnd = tern_cc__cwnd,
	.pacing_rate = bbr_pacing_rate,
	.undo_cwnd = bbr_undo_cwnd,
	.cong_control = bbr_cong_control,
};
