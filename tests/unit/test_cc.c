// SPDX-License-Identifier: BSD-2-Clause
/*
 * Congestion control: the algorithms through their ops (CUBIC's numbers
 * worked out by hand from RFC 9438 with Linux's constants), and the rules
 * the send path applies around them, driven through a connection: window
 * validation (tcp_is_cwnd_limited), restart after idle
 * (tcp_cwnd_restart), the cwnd clamp, the configuration.
 */
#include "harness.h"
#include "t.h"

#define MS TERN_NSEC_PER_MSEC
#define MSS 1448u

static uint8_t buf[200000];

/* A connection after a 100 ms handshake (RTO 300 ms). */
/* A connection whose handshake took rtt_ms (the SYN-ACK's RTT sample). */
static struct tern_conn *open_rtt(struct h *h, void (*tweak)(struct tern_cfg *), uint32_t rtt_ms)
{
	struct tern_seg seg;
	struct tern_opts o;
	uint32_t iss;

	h_init(h, tweak);
	seg = h_seg(h, TERN_TH_SYN, 1000, 0);
	h_linux_syn_opts(&seg, 1);
	h_in(h, &seg);
	if (h->out.n != 1)
		return NULL;
	iss = h->tx[0].seq;
	o = h_tx_opts(&h->tx[0]);
	h_advance(h, rtt_ms * MS);
	seg = h_seg(h, TERN_TH_ACK, 1001, iss + 1);
	seg.win = 65535; /* x 128: the peer's window never limits here */
	h_ts(&seg, 2, o.tsval);
	h_in(h, &seg);
	return h->conn;
}

static struct tern_conn *open100(struct h *h, void (*tweak)(struct tern_cfg *))
{
	return open_rtt(h, tweak, 100);
}

/* The client acknowledges everything sent so far. */
static void ack_all(struct h *h)
{
	struct tern_seg a = h_seg(h, TERN_TH_ACK, h->conn->rcv_nxt, h->conn->snd_max);

	a.win = 65535;
	h_ts(&a, 3, tern_ms(h->now) - 100 + h->conn->ts_off);
	h_in(h, &a);
}

/* Queue n bytes; returns how many segments went out. */
static uint32_t send_n(struct h *h, uint32_t n)
{
	static uint32_t off;

	if (off + n > sizeof(buf))
		off = 0;
	CHECK_EQ(h_send(h, buf + off, n), (int)n);
	off += n;
	return h->out.n;
}

TEST(test_conf_cc_default_cubic)
{
	struct tern_cfg cfg;

	tern_cfg__defaults(&cfg);
	CHECK_EQ(cfg.cc, TERN_CC_CUBIC);
	CHECK(!strcmp(tern_cc__ops(cfg.cc)->name, "cubic"));
	CHECK(!strcmp(tern_cc__ops(TERN_CC_RENO)->name, "reno"));
	CHECK(tern_stack__memsize(&cfg) > 0);
	cfg.cc = 3;
	CHECK_EQ(tern_stack__memsize(&cfg), 0); /* unknown algorithm */
	tern_cfg__defaults(&cfg);
	cfg.cwnd_clamp = 1;
	CHECK_EQ(tern_stack__memsize(&cfg), 0);
	cfg.cwnd_clamp = 65536; /* 65536 x 65535 would not fit 32 bits */
	CHECK_EQ(tern_stack__memsize(&cfg), 0);
	cfg.cwnd_clamp = 65535;
	CHECK(tern_stack__memsize(&cfg) > 0);
}

/* A full initial window acknowledged doubles cwnd (slow start by bytes
 * acknowledged, tcp_slow_start); the control case for the next test. */
TEST(test_estab_cc_window_limited_grows)
{
	struct h h;

	REQUIRE(open100(&h, NULL));
	CHECK_EQ(h.conn->cwnd, 10 * MSS);
	CHECK_EQ(send_n(&h, 30 * MSS), 10);
	h_advance(&h, 100 * MS);
	ack_all(&h);
	CHECK_EQ(h.conn->cwnd, 20 * MSS);
	CHECK_EQ(h.out.n, 20); /* the new window at once */
	h_free(&h);
}

/* RFC 7661 / tcp_is_cwnd_limited(): one segment at a time never fills
 * the window, so its ACKs do not grow it. */
TEST(test_estab_cc_app_limited_no_growth)
{
	struct h h;

	REQUIRE(open100(&h, NULL));
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(send_n(&h, MSS), 1);
		h_advance(&h, 100 * MS);
		ack_all(&h);
		CHECK_EQ(h.conn->cwnd, 10 * MSS);
	}
	h_free(&h);
}

/*
 * tcp_cwnd_restart(): after 1 s idle with RTO 300 ms (100 ms handshake:
 * 100 + max(200, 200)), cwnd 20 MSS halves once (1000 - 300 > 0, then
 * 20 > 10 = restart window) and stops at the restart window 10 MSS: ten
 * segments go out, not twenty.
 */
TEST(test_estab_cc_restart_after_idle)
{
	struct h h;

	REQUIRE(open100(&h, NULL));
	REQUIRE_EQ(h.conn->rto_ms, 300);
	send_n(&h, 10 * MSS);
	h_advance(&h, 100 * MS);
	ack_all(&h);
	REQUIRE_EQ(h.conn->cwnd, 20 * MSS);
	REQUIRE_EQ(h.conn->snd_una, h.conn->snd_max);
	h_advance(&h, 1000 * MS);
	CHECK_EQ(send_n(&h, 30 * MSS), 10);
	CHECK_EQ(h.conn->cwnd, 10 * MSS);
	/* tcp_current_ssthresh(): max(ssthresh, 3/4 cwnd) keeps "infinite" */
	CHECK_EQ(h.conn->ssthresh, UINT32_MAX);
	h_free(&h);
}

/* Idle shorter than the RTO since the last data sent (lsndtime): 100 ms
 * to the ACK + 150 ms = 250 ms < 300 ms: no restart. */
TEST(test_estab_cc_short_idle_keeps_cwnd)
{
	struct h h;

	REQUIRE(open100(&h, NULL));
	send_n(&h, 10 * MSS);
	h_advance(&h, 100 * MS);
	ack_all(&h);
	REQUIRE_EQ(h.conn->cwnd, 20 * MSS);
	h_advance(&h, 150 * MS);
	CHECK_EQ(send_n(&h, 30 * MSS), 20);
	CHECK_EQ(h.conn->cwnd, 20 * MSS);
	h_free(&h);
}

static void clamp12(struct tern_cfg *c)
{
	c->cwnd_clamp = 12;
}

/* cfg.cwnd_clamp: slow start stops at 12 segments, counted. */
TEST(test_estab_cc_cwnd_clamp)
{
	struct h h;

	REQUIRE(open100(&h, clamp12));
	send_n(&h, 40 * MSS);
	h_advance(&h, 100 * MS);
	ack_all(&h);
	CHECK_EQ(h.conn->cwnd, 12 * MSS);
	CHECK_EQ(h.out.n, 12);
	CHECK_EQ(H_MIB(&h, TCPCwndClamped), 1);
	h_free(&h);
}

/* tcp_update_pacing_rate(): cwnd 14480 B per SRTT 100 ms = 144800 B/s,
 * x 2 in slow start. */
TEST(test_estab_cc_pacing_rate)
{
	struct h h;

	REQUIRE(open100(&h, NULL));
	CHECK_EQ(tern_cc_cubic.pacing_rate(h.conn, NULL), 289600);
	h_free(&h);
}

/* --- CUBIC through its ops, on a bare record (cwnd in bytes, MSS 1000) --- */

static void bare(struct tern_conn *c, uint32_t *priv, uint32_t cwnd_segs)
{
	memset(c, 0, sizeof(*c));
	memset(priv, 0, TERN_CC_PRIV_WORDS * 4);
	c->mss = 1000;
	c->cwnd = cwnd_segs * 1000;
	c->ssthresh = UINT32_MAX;
	tern_cc_cubic.init(c, priv);
}

/* RFC 9438 4.6: ssthresh = 0.7 x cwnd (717/1024, floor): 100 -> 70. */
TEST(test_estab_cubic_loss_beta)
{
	struct tern_conn c;
	uint32_t priv[TERN_CC_PRIV_WORDS];

	bare(&c, priv, 100);
	CHECK_EQ(tern_cc_cubic.on_loss(&c, priv, TERN_CC_LOSS_RECOVERY), 70000);
	bare(&c, priv, 3);
	CHECK_EQ(tern_cc_cubic.on_loss(&c, priv, TERN_CC_LOSS_RECOVERY), 2000); /* floor 2 */
}

/*
 * The curve after a loss at W_max = 100 with cwnd 70: K = cbrt(30 / 0.4)
 * = 4.217 s; in Linux's units cbrt(2^40 / 410 x 30) = 4316 (1/1024 s).
 * At the epoch's start W(0) = 100 - 410 x 4316^3 / 2^40 = 100 - 29 = 71:
 * cnt = 70 / (71 - 70) = 70 segments per MSS of growth. At t = 4216 ms
 * (4317/1024 s, past K) W = 100: cnt = 71 / (100 - 71) = 2.
 */
TEST(test_estab_cubic_curve)
{
	struct tern_conn c;
	uint32_t priv[TERN_CC_PRIV_WORDS], t0 = 50000;

	bare(&c, priv, 100);
	c.ssthresh = tern_cc_cubic.on_loss(&c, priv, TERN_CC_LOSS_RECOVERY);
	c.cwnd = c.ssthresh; /* recovery ended */
	for (int i = 0; i < 69; i++)
		tern_cc_cubic.on_ack(&c, priv, 1000, t0);
	CHECK_EQ(c.cwnd, 70000);
	tern_cc_cubic.on_ack(&c, priv, 1000, t0);
	CHECK_EQ(c.cwnd, 71000);
	tern_cc_cubic.on_ack(&c, priv, 2000, t0 + 4216);
	CHECK_EQ(c.cwnd, 72000);
}

/* Fast convergence (RFC 9438 4.7): a loss below the last W_max remembers
 * W_max = cwnd x (1 + 0.7) / 2: losses at 100 then 80 give W_max 68, so
 * from cwnd 56 the epoch's K is cbrt(2^40 / 410 x 12) = 3180 and
 * W(0) = 68 - 410 x 3180^3 / 2^40 = 68 - 11 = 57: cnt 56. Without fast
 * convergence W(0) would be 80 - 23 = 57 as well but cnt would differ at
 * t = K: checked there, W(K) = 68, cnt = 57 / 11 = 5.
 */
TEST(test_estab_cubic_fast_convergence)
{
	struct tern_conn c;
	uint32_t priv[TERN_CC_PRIV_WORDS], t0 = 50000;

	bare(&c, priv, 100);
	tern_cc_cubic.on_loss(&c, priv, TERN_CC_LOSS_RECOVERY);
	c.cwnd = 80000;
	c.ssthresh = tern_cc_cubic.on_loss(&c, priv, TERN_CC_LOSS_RECOVERY);
	CHECK_EQ(c.ssthresh, 56000); /* 80 x 717 / 1024 */
	c.cwnd = c.ssthresh;
	for (int i = 0; i < 55; i++)
		tern_cc_cubic.on_ack(&c, priv, 1000, t0);
	CHECK_EQ(c.cwnd, 56000);
	tern_cc_cubic.on_ack(&c, priv, 1000, t0);
	CHECK_EQ(c.cwnd, 57000);
	/* t = 3106 ms: (3106 << 10) / 1000 = 3180 = K: W = 68, cnt 57/11 = 5 */
	for (int i = 0; i < 4; i++)
		tern_cc_cubic.on_ack(&c, priv, 1000, t0 + 3106);
	CHECK_EQ(c.cwnd, 57000);
	tern_cc_cubic.on_ack(&c, priv, 1000, t0 + 3106);
	CHECK_EQ(c.cwnd, 58000);
}

/* An RTO forgets the curve (bictcp_state(TCP_CA_Loss) resets W_max):
 * the next epoch starts with no W_max and grows at least 1/20 per ACKed
 * segment (cnt capped at 20). */
TEST(test_estab_cubic_rto_resets)
{
	struct tern_conn c;
	uint32_t priv[TERN_CC_PRIV_WORDS];

	bare(&c, priv, 100);
	c.ssthresh = tern_cc_cubic.on_loss(&c, priv, TERN_CC_LOSS_RTO);
	CHECK_EQ(c.ssthresh, 70000);
	c.cwnd = 70000;
	for (int i = 0; i < 19; i++)
		tern_cc_cubic.on_ack(&c, priv, 1000, 60000);
	CHECK_EQ(c.cwnd, 70000);
	tern_cc_cubic.on_ack(&c, priv, 1000, 60000);
	CHECK_EQ(c.cwnd, 71000);
}

/* The client acknowledges one more segment, its TS echo making an RTT
 * sample of rtt_ms. */
static void ack_one(struct h *h, uint32_t rtt_ms)
{
	struct tern_seg a = h_seg(h, TERN_TH_ACK, h->conn->rcv_nxt, h->conn->snd_una + MSS);

	a.win = 65535;
	h_ts(&a, 3, tern_ms(h->now) - rtt_ms + h->conn->ts_off);
	h_in(h, &a);
}

/* Samples from the TS echo alone (no per-segment records), so that each
 * ACK's sample is what the test says. */
static void ts_samples(struct tern_cfg *c)
{
	c->rack_segs = 0;
}

/*
 * HyStart, delay increase (hystart_update): the first sample, 100 ms, is
 * the minimum (the handshake's is not the congestion control's, as in
 * Linux's passive open); every later one is 120 ms, more than 100 +
 * clamp(100 / 8, 4, 16) = 112.5 ms. ACKs one segment each, all at one
 * instant (no ACK train). cwnd 10 + 1 per ACK. A round begins at the
 * first ACK (10 segments out) whatever cwnd, the next at the 11th (30
 * out by then); samples count from cwnd 16 (hystart_low_window) and the
 * round's 9th decides: the 19th ACK, cwnd 28 when its sample comes
 * (before its own slow-start step). ssthresh = 28 segments; that ACK's
 * growth is congestion avoidance, not slow start.
 */
TEST(test_estab_cubic_hystart_delay)
{
	struct h h;

	REQUIRE(open100(&h, ts_samples));
	send_n(&h, 120 * MSS);
	h_advance(&h, 120 * MS);
	ack_one(&h, 100);
	for (int i = 2; i <= 18; i++)
		ack_one(&h, 120);
	CHECK_EQ(h.conn->cwnd, 28 * MSS);
	CHECK_EQ(h.conn->ssthresh, UINT32_MAX);
	CHECK_EQ(H_MIB(&h, TCPHystartDelayDetect), 0);
	ack_one(&h, 120);
	CHECK_EQ(h.conn->ssthresh, 28 * MSS);
	CHECK(h.conn->cwnd < 29 * MSS);
	CHECK_EQ(H_MIB(&h, TCPHystartDelayDetect), 1);
	CHECK_EQ(H_MIB(&h, TCPHystartDelayCwnd), 28);
	CHECK_EQ(H_MIB(&h, TCPHystartTrainDetect), 0);
	ack_one(&h, 120);
	CHECK_EQ(H_MIB(&h, TCPHystartDelayDetect), 1); /* once */
	h_free(&h);
}

/* After the handshake (rtt_ms): n ACKs of one segment, gap_ns apart,
 * every sample rtt_ms, leave slow start on; the next ends it by the ACK
 * train at cwnd segments. */
static void check_train(struct h *h, uint32_t rtt_ms, int n, uint64_t gap_ns, uint32_t cwnd)
{
	send_n(h, 130 * MSS);
	h_advance(h, rtt_ms * MS);
	for (int i = 1; i <= n; i++) {
		ack_one(h, rtt_ms);
		h_advance(h, gap_ns);
	}
	CHECK_EQ(h->conn->ssthresh, UINT32_MAX);
	CHECK_EQ(H_MIB(h, TCPHystartTrainDetect), 0);
	ack_one(h, rtt_ms);
	CHECK_EQ(h->conn->ssthresh, cwnd * MSS);
	CHECK_EQ(H_MIB(h, TCPHystartTrainDetect), 1);
	CHECK_EQ(H_MIB(h, TCPHystartTrainCwnd), cwnd);
	CHECK_EQ(H_MIB(h, TCPHystartDelayDetect), 0);
}

/*
 * HyStart, ACK train: samples at the minimum (100 ms, no delay rise),
 * ACKs 2 ms apart (a train: at most hystart_ack_delta, 2 ms). The train
 * ends slow start once it has lasted more than half of the minimum RTT
 * plus the ACK spacing allowance (capped at 1 ms at this RTT), 50.5 ms,
 * within one round. The first round begins at the 1st ACK (10 segments
 * out); its ACKs below cwnd 16 do not count, so the 7th, 12 ms after
 * the round began, is no train. The second begins at the 11th ACK (30
 * out) and lasts 20 ACKs, 38 ms; the third at the 31st (70 out): the
 * first ACK more than 50.5 ms after it, 52 ms, is the 57th, whose sample
 * comes with cwnd 10 + 56 = 66.
 */
TEST(test_estab_cubic_hystart_ack_train)
{
	struct h h;

	REQUIRE(open100(&h, ts_samples));
	check_train(&h, 100, 56, 2 * MS, 66);
	h_free(&h);
}

/*
 * HyStart, ACK train at a short RTT: every sample 1 ms, ACKs 200 us
 * apart. The threshold is (1000 + allowance) / 2 us; the allowance
 * (hystart_ack_delay()), four 64 KiB GSO packets at the pacing rate MSS
 * x 200 % x cwnd / SRTT, 262144 x 1000 / (1448 x 2 x 16) = 5657 us at
 * most, is capped at 1 ms: 1000 us. The round begins at the 1st ACK and
 * the 7th (cwnd 16), 1200 us after it, ends slow start: a window of 16
 * segments takes longer than the RTT to be acknowledged.
 */
TEST(test_estab_cubic_hystart_ack_train_short_rtt)
{
	struct h h;

	REQUIRE(open_rtt(&h, ts_samples, 1));
	check_train(&h, 1, 6, 200000, 16); /* 200 us apart */
	h_free(&h);
}

/*
 * HyStart at veth's scale, RTT samples in µs from the records: a 40 µs
 * path whose bottleneck clocks one 1448-byte segment out every 5 µs
 * (290 MB/s), ACKed one segment each. Past the path's 8 segments the
 * queue sets the RTT, 5 µs per segment ahead, and SRTT lags a round
 * behind cwnd W: about W / 2 x 5 µs. The ACK spacing allowance, four
 * 64 KiB GSO packets at 2 x W / SRTT, is then 262144 x 5 / (4 x 1448) =
 * 226 µs, and the train needs a round longer than (40 + 226) / 2 = 133
 * µs, 27 ACKs. Rounds begin at the 1st, 11th and 31st ACK (10, 30, 70
 * segments out); the third reaches 27 ACKs at about the 58th, cwnd 67.
 * With an allowance of one packet (57 µs, 10 ACKs) the second round
 * ends it at about 30; rounds begun only from cwnd 16 (Linux before
 * "tcp_cubic: fix incorrect HyStart round start detection") at about 57.
 */
TEST(test_estab_cubic_hystart_veth_rtt)
{
	uint64_t sent[160], last_ack = 0;
	uint32_t una0, iss, nsent = 0, k;
	struct tern_seg seg;
	struct tern_opts o;
	struct h h;

	h_init(&h, NULL);
	seg = h_seg(&h, TERN_TH_SYN, 1000, 0);
	h_linux_syn_opts(&seg, 1);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	iss = h.tx[0].seq;
	o = h_tx_opts(&h.tx[0]);
	h_advance(&h, 40000);
	seg = h_seg(&h, TERN_TH_ACK, 1001, iss + 1);
	seg.win = 65535;
	h_ts(&seg, 2, o.tsval);
	h_in(&h, &seg);
	REQUIRE(h.conn && tern_rack_on(h.s, h.conn));
	una0 = iss + 1;
	send_n(&h, 150 * MSS);
	for (uint32_t i = 0; i < h.out.n; i++)
		sent[nsent++] = h.now;
	for (k = 1; k < 150 && h.conn->ssthresh == UINT32_MAX; k++) {
		uint64_t at = sent[k - 1] + 40000;
		struct tern_seg a;

		if (at < last_ack + 5000)
			at = last_ack + 5000;
		h_advance(&h, at - h.now);
		last_ack = at;
		a = h_seg(&h, TERN_TH_ACK, h.conn->rcv_nxt, una0 + k * MSS);
		a.win = 65535;
		h_ts(&a, 3, tern_ms(h.now) + h.conn->ts_off);
		h_in(&h, &a);
		for (uint32_t i = 0; i < h.out.n && nsent < 160; i++)
			sent[nsent++] = h.now;
	}
	fprintf(stderr, "  veth HyStart: slow start ended at cwnd %u, ACK %u, srtt %u us, "
		"min_rtt %u us\n", h.conn->ssthresh / MSS, k - 1, h.conn->srtt_us >> 3,
		tern_rack_min_rtt_us(h.s, h.conn));
	CHECK_EQ(H_MIB(&h, TCPHystartTrainDetect), 1);
	CHECK(H_MIB(&h, TCPHystartTrainCwnd) >= 60);
	CHECK(H_MIB(&h, TCPHystartTrainCwnd) <= 75);
	CHECK_EQ(H_MIB(&h, TCPHystartDelayDetect), 0);
	h_free(&h);
}
