// SPDX-License-Identifier: BSD-2-Clause
/*
 * BBR (cc_bbr.c) and the delivery-rate samples it reads (rate.c).
 *
 * The state machine through the ops with made-up samples of a path of
 * 400 kB/s and a 10 ms RTT: STARTUP until three rounds bring less than
 * 25 % more bandwidth, DRAIN until inflight is down to the BDP, PROBE_BW
 * cycling the pacing gain, PROBE_RTT once min_rtt was not seen for 10 s
 * (4 segments for 200 ms and a round), then PROBE_BW again.
 * The rate sample through a connection: a spy in front of BBR's
 * cong_control sees the samples of a simple ACK sequence, worked out by
 * hand from tcp_rate.c's rules.
 */
#include "harness.h"
#include "t.h"

#define MSS 1000u
#define RTT_US 10000u

struct drive {
	struct tern_conn c;
	uint32_t priv[TERN_CC_RATE_PRIV_WORDS];
	uint32_t tot;   /* bytes delivered so far */
	uint32_t now_us;
	uint32_t now_ms;
};

static void drive_init(struct drive *d)
{
	memset(d, 0, sizeof(*d));
	d->c.mss = MSS;
	d->c.cwnd = 10 * MSS;
	d->c.ssthresh = UINT32_MAX;
	d->c.srtt_us = RTT_US << 3;
	d->now_ms = 5000;
	d->now_us = d->now_ms * 1000u;
	tern_cc_bbr.init(&d->c, d->priv);
}

/* One RTT later, an ACK of `bytes` sent one RTT ago, which ends a round;
 * in_flight is what it leaves. Returns cong_control's app-limited answer. */
static int round_ack(struct drive *d, uint32_t bytes, uint32_t in_flight, uint32_t rtt_us)
{
	struct tern_rate_sample rs = {
		.delivered = bytes, .interval_us = RTT_US, .rtt_us = (int32_t)rtt_us,
		.prior_delivered = d->tot, .prior_in_flight = in_flight + bytes,
		.acked_sacked = bytes, .in_flight = in_flight, .ca_state = TERN_CC_OPEN,
	};

	d->now_us += RTT_US;
	d->now_ms += RTT_US / 1000;
	d->tot += bytes;
	rs.tot_delivered = d->tot;
	rs.now_us = d->now_us;
	rs.now_ms = d->now_ms;
	return tern_cc_bbr.cong_control(&d->c, d->priv, &rs);
}

static int mode(const struct drive *d)
{
	return tern_cc_bbr__mode(d->priv);
}

static uint64_t pacing(const struct drive *d)
{
	return tern_cc_bbr.pacing_rate(&d->c, d->priv);
}

/* |v - want| <= want / 100 */
static int near(uint64_t v, uint64_t want)
{
	return v + want / 100 >= want && v <= want + want / 100;
}

/* STARTUP to PROBE_BW on a clean path: 1, 2 and 4 kB per round, then
 * 4 kB three times (less than 25 % more), so the pipe is full after the
 * sixth round (bbr_check_full_bw_reached). */
static void to_probe_bw(struct drive *d)
{
	static const uint32_t per_round[6] = { 1000, 2000, 4000, 4000, 4000, 4000 };

	drive_init(d);
	/* bbr_init_pacing_rate_from_rtt(): 2.89 x 10 kB / 10 ms, 1 % less */
	CHECK(near(pacing(d), 2885000ull * 99 / 100));
	for (int i = 0; i < 6; i++) {
		CHECK_EQ(mode(d), TERN_BBR_STARTUP);
		round_ack(d, per_round[i], 40000, RTT_US);
	}
	CHECK_EQ(mode(d), TERN_BBR_DRAIN);
	/*
	 * bbr_check_drain(): ssthresh = inflight at gain 1: BDP 0.4 B/us x
	 * 10 ms = 4000 B, plus 3 bursts of 2 segments (1 ms at STARTUP's
	 * pacing rate, 2.86 MB/s, is 2 segments: bbr_tso_segs_goal) = 10
	 * segments, already even.
	 */
	CHECK_EQ(d->c.ssthresh, 10000);
	round_ack(d, 4000, 40000, RTT_US);
	CHECK_EQ(mode(d), TERN_BBR_DRAIN); /* 40 kB in flight: still a queue */
	round_ack(d, 4000, 5000, RTT_US);
	CHECK_EQ(mode(d), TERN_BBR_PROBE_BW);
}

TEST(test_bbr_startup_drain_probe_bw)
{
	struct drive d;

	to_probe_bw(&d);
}

/* PROBE_BW's pacing gains, 1.25, 0.75 and 1, at the 400 kB/s estimate
 * (pacing 1 % under: bbr_pacing_margin_percent), each within 32 rounds. */
TEST(test_bbr_probe_bw_gain_cycle)
{
	struct drive d;
	int up = 0, down = 0, cruise = 0;

	to_probe_bw(&d);
	for (int i = 0; i < 32; i++) {
		round_ack(&d, 4000, 8000, RTT_US);
		up += near(pacing(&d), 400000ull * 125 / 100 * 99 / 100);
		down += near(pacing(&d), 400000ull * 75 / 100 * 99 / 100);
		cruise += near(pacing(&d), 400000ull * 99 / 100);
	}
	CHECK_EQ(mode(&d), TERN_BBR_PROBE_BW);
	CHECK(up > 0);
	CHECK(down > 0);
	CHECK(cruise > up + down);
}

/* min_rtt (10 ms) not seen again for 10 s: PROBE_RTT, cwnd 4 segments,
 * samples app-limited; 200 ms and a round at 4 segments in flight, then
 * PROBE_BW again with the window from before. */
TEST(test_bbr_probe_rtt_after_10s)
{
	struct drive d;
	uint32_t last_min_ms, entered_ms = 0, done_ms = 0, before = 0;
	int app_limited;

	to_probe_bw(&d);
	last_min_ms = d.now_ms; /* the last 10 ms sample */
	while (mode(&d) != TERN_BBR_PROBE_RTT && d.now_ms - last_min_ms < 20000) {
		before = d.c.cwnd;
		round_ack(&d, 4000, 8000, 12000);
	}
	entered_ms = d.now_ms;
	CHECK_EQ(mode(&d), TERN_BBR_PROBE_RTT);
	CHECK(entered_ms - last_min_ms > 10000);
	CHECK(entered_ms - last_min_ms <= 10000 + RTT_US / 1000);
	CHECK(d.c.cwnd <= 4 * MSS);
	CHECK(before > 4 * MSS);
	/* 4 segments in flight from now: 200 ms and a round */
	while (d.now_ms - entered_ms < 1000) {
		app_limited = round_ack(&d, 4000, 4000, 10000);
		done_ms = d.now_ms;
		if (mode(&d) != TERN_BBR_PROBE_RTT)
			break;
		CHECK_EQ(app_limited, 1);
		CHECK(d.c.cwnd <= 4 * MSS);
	}
	CHECK_EQ(mode(&d), TERN_BBR_PROBE_BW);
	CHECK(done_ms - entered_ms > 200);
	CHECK(done_ms - entered_ms <= 200 + 2 * RTT_US / 1000);
	/* bbr_check_probe_rtt_done() restores the window, then bbr_set_cwnd()
	 * takes it to the target as on any ACK */
	fprintf(stderr, "  cwnd before PROBE_RTT %u, after %u\n", before, d.c.cwnd);
	CHECK(d.c.cwnd > 4 * MSS);
	CHECK(d.c.cwnd + 2 * MSS >= before); /* less the probing phase's 2 segments */
}

/* A loss in PROBE_BW: the first round of recovery sends one for one
 * (packet conservation: cwnd = in flight + delivered), and leaving
 * recovery restores the window from before it (bbr_save_cwnd). */
TEST(test_bbr_recovery_conserves_then_restores)
{
	struct drive d;
	struct tern_rate_sample rs = { .delivered = 4000, .interval_us = RTT_US, .rtt_us = RTT_US,
				       .acked_sacked = 1000, .losses = 2000,
				       .ca_state = TERN_CC_RECOVERY };
	uint32_t before;

	to_probe_bw(&d);
	round_ack(&d, 4000, 8000, RTT_US);
	before = d.c.cwnd;
	tern_cc_bbr.on_loss(&d.c, d.priv, TERN_CC_LOSS_RECOVERY);
	d.tot += 1000;
	rs.prior_delivered = d.tot - 4000;
	rs.tot_delivered = d.tot;
	rs.in_flight = 3000;
	rs.prior_in_flight = 6000;
	rs.now_us = d.now_us += 1000;
	rs.now_ms = d.now_ms += 1;
	tern_cc_bbr.cong_control(&d.c, d.priv, &rs);
	CHECK_EQ(d.c.cwnd, 4000); /* in flight 3000 + 1000 delivered */
	rs.ca_state = TERN_CC_OPEN;
	rs.losses = 0;
	rs.now_us = d.now_us += 1000;
	tern_cc_bbr.cong_control(&d.c, d.priv, &rs);
	CHECK(d.c.cwnd >= before);
}

/* The rate samples of a connection (rate.c) */

static struct tern_rate_sample seen[8];
static int nseen;

static int spy_cc(struct tern_conn *c, uint32_t *priv, const struct tern_rate_sample *rs)
{
	if (nseen < 8)
		seen[nseen++] = *rs;
	return tern_cc_bbr.cong_control(c, priv, rs);
}

static void bbr_cfg(struct tern_cfg *cfg)
{
	cfg->cc = TERN_CC_BBR;
}

static uint8_t data[65536];

/* The client acknowledges up to ack, its TS echo current. */
static void ack_to(struct h *h, uint32_t ack)
{
	struct tern_seg a = h_seg(h, TERN_TH_ACK, h->conn->rcv_nxt, ack);

	a.win = 65535;
	h_ts(&a, 3, tern_ms(h->now) + h->conn->ts_off);
	h_in(h, &a);
}

/*
 * Ten segments at once (IW10, 14480 B) after the handshake; a new
 * connection counts as app-limited until something is delivered
 * (tcp_init_sock: app_limited = ~0U), so their samples are app-limited.
 * At +100 ms an ACK of five: 7240 B delivered over the ACK interval of
 * 100 ms (the records went out together: send interval 0), prior
 * delivered 0, RTT 100 ms, 14480 B in flight before and 7240 after.
 * Nothing is left to send and the window has room: app-limited until
 * 7240 + 7240 B are delivered. At +110 ms an ACK of the rest: 14480 B
 * over 110 ms. Two more segments go out 5 ms later (still app-limited:
 * 14480 is not past the mark) and their ACK 100 ms later is a sample of
 * 2896 B over 100 ms, prior delivered 14480, app-limited. More data than
 * the window then: its first two segments' ACK delivers past the mark
 * (14480 + 2896 + 0 in flight), what goes out after it is not
 * app-limited, and the ACK of everything is a sample with prior
 * delivered 14480 + 2896 + 2896 = 20272, not app-limited.
 */
TEST(test_bbr_rate_sample_simple_acks)
{
	static struct h h;
	struct tern_cc_ops spy = tern_cc_bbr;
	uint32_t iss, una;

	nseen = 0;
	spy.cong_control = spy_cc;
	h_init(&h, bbr_cfg);
	REQUIRE(h.s->rate != NULL);
	h.s->cc = &spy;
	REQUIRE(h_connect(&h, 1000, 1, &iss) != NULL);
	REQUIRE_EQ(h.conn->mss, 1448);
	una = h.conn->snd_una;
	CHECK_EQ(h_send(&h, data, 10 * 1448), 10 * 1448);
	CHECK_EQ(h.out.n, 10);

	h_advance(&h, 100 * TERN_NSEC_PER_MSEC);
	ack_to(&h, una + 5 * 1448);
	REQUIRE_EQ(nseen, 1);
	CHECK_EQ(seen[0].delivered, 7240);
	CHECK_EQ(seen[0].interval_us, 100000);
	CHECK_EQ(seen[0].prior_delivered, 0);
	CHECK_EQ(seen[0].rtt_us, 100000);
	CHECK_EQ(seen[0].acked_sacked, 7240);
	CHECK_EQ(seen[0].tot_delivered, 7240);
	CHECK_EQ(seen[0].prior_in_flight, 14480);
	CHECK_EQ(seen[0].in_flight, 7240);
	CHECK_EQ(seen[0].is_app_limited, 1);
	CHECK_EQ(seen[0].losses, 0);
	CHECK_EQ(seen[0].ca_state, TERN_CC_OPEN);

	h_advance(&h, 10 * TERN_NSEC_PER_MSEC);
	ack_to(&h, una + 10 * 1448);
	REQUIRE_EQ(nseen, 2);
	CHECK_EQ(seen[1].delivered, 14480);
	CHECK_EQ(seen[1].interval_us, 110000);
	CHECK_EQ(seen[1].prior_delivered, 0);
	CHECK_EQ(seen[1].is_app_limited, 1);
	CHECK_EQ(seen[1].in_flight, 0);

	h_advance(&h, 5 * TERN_NSEC_PER_MSEC);
	CHECK_EQ(h_send(&h, data, 2 * 1448), 2 * 1448);
	CHECK_EQ(h.out.n, 2);
	h_advance(&h, 100 * TERN_NSEC_PER_MSEC);
	ack_to(&h, una + 12 * 1448);
	REQUIRE_EQ(nseen, 3);
	CHECK_EQ(seen[2].delivered, 2896);
	CHECK_EQ(seen[2].interval_us, 100000);
	CHECK_EQ(seen[2].prior_delivered, 14480);
	CHECK_EQ(seen[2].tot_delivered, 17376);
	CHECK_EQ(seen[2].is_app_limited, 1);

	una = h.conn->snd_una;
	CHECK_EQ(h_send(&h, data, 60000), 60000);
	CHECK(h.conn->snd_max - una < 60000); /* the window limits */
	h_advance(&h, 100 * TERN_NSEC_PER_MSEC);
	ack_to(&h, una + 2 * 1448);
	REQUIRE_EQ(nseen, 4);
	CHECK_EQ(seen[3].is_app_limited, 1);
	CHECK_EQ(seen[3].tot_delivered, 20272);
	h_advance(&h, 100 * TERN_NSEC_PER_MSEC);
	ack_to(&h, h.conn->snd_max);
	REQUIRE_EQ(nseen, 5);
	CHECK_EQ(seen[4].prior_delivered, 20272);
	CHECK_EQ(seen[4].is_app_limited, 0);
	CHECK_EQ(seen[4].interval_us, 100000);
	h_free(&h);
}
