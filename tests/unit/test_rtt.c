// SPDX-License-Identifier: BSD-2-Clause
/*
 * RTT estimation and RTO as Linux computes them (tcp_rtt_estimator,
 * __tcp_set_rto): the expected values below are worked out by hand from
 * Linux's formulas, with rto_min = 200 ms:
 *   first sample m:  srtt = 8m, mdev = 2m, rttvar = max(mdev, rto_min)
 *   later samples:   err = m - srtt/8; srtt += err;
 *                    mdev += (|err| - mdev/4)   (err >= 0)
 *                    mdev += (|err| - mdev/4)/8 (err < 0, when positive)
 *                    rttvar rises with mdev at once, and at the end of a
 *                    window of data decays by (rttvar - mdev_max)/4
 *   RTO = srtt/8 + rttvar, rounded up to the ms.
 */
#include "harness.h"
#include "t.h"

#define MS TERN_NSEC_PER_MSEC

/* A handshake whose final ACK comes rtt_ms after the SYN-ACK; ts: the
 * client uses timestamps (the ACK echoes the SYN-ACK's TSval). */
static struct tern_conn *open_after(struct h *h, uint32_t rtt_ms, int ts)
{
	struct tern_seg seg = h_seg(h, TERN_TH_SYN, 1000, 0);
	struct tern_opts o;
	uint32_t iss;

	h_linux_syn_opts(&seg, 1);
	if (!ts)
		seg.opt.present &= ~TERN_OPT_TS;
	h_in(h, &seg);
	if (h->out.n != 1 || h->tx[0].flags != (TERN_TH_SYN | TERN_TH_ACK))
		return NULL;
	iss = h->tx[0].seq;
	o = h_tx_opts(&h->tx[0]);
	h_advance(h, rtt_ms * MS);
	seg = h_seg(h, TERN_TH_ACK, 1001, iss + 1);
	seg.win = 502;
	if (ts)
		h_ts(&seg, 2, o.tsval);
	h_in(h, &seg);
	return h->conn;
}

/* Send 100 bytes, ACK them rtt_ms later echoing their TSval. */
static void sample(struct h *h, uint32_t rtt_ms)
{
	static const uint8_t buf[100];
	struct tern_seg a;
	struct tern_opts o;
	struct tern_tx tx;

	REQUIRE(h_send(h, buf, sizeof(buf)) == (int)sizeof(buf));
	REQUIRE_EQ(h->out.n, 1);
	tx = h->tx[0];
	o = h_tx_opts(&tx);
	h_advance(h, rtt_ms * MS);
	a = h_seg(h, TERN_TH_ACK, h->conn->rcv_nxt, tx.seq + tx.len);
	a.win = 502;
	h_ts(&a, 100000 + (uint32_t)(h->now / MS), o.tsval);
	h_in(h, &a);
}

/* The handshake's sample (tcp_synack_rtt_meas): 30 ms gives srtt 30 ms,
 * mdev 60 ms, rttvar max(60, 200) = 200 ms, RTO 230 ms instead of 1 s. */
TEST(test_synrcvd_ack_rtt_sample_sets_rto)
{
	struct h h;

	h_init(&h, NULL);
	REQUIRE(open_after(&h, 30, 1));
	CHECK_EQ(h.conn->srtt_us, 30000u * 8);
	CHECK_EQ(h.conn->rttvar_us, 200000u);
	CHECK_EQ(h.conn->rto_ms, 230);
	h_free(&h);
}

/* Without timestamps the SYN-ACK's send time gives the same sample. */
TEST(test_synrcvd_ack_rtt_sample_without_ts)
{
	struct h h;

	h_init(&h, NULL);
	REQUIRE(open_after(&h, 30, 0));
	REQUIRE(!(h.conn->optf & TERN_NEG_TS));
	CHECK_EQ(h.conn->srtt_us, 30000u * 8);
	CHECK_EQ(h.conn->rto_ms, 230);
	h_free(&h);
}

static void no_probes(struct tern_cfg *c)
{
	c->loss_probes = 0;
}

/* The first data segment after that handshake is retransmitted 230 ms
 * after it was sent, not 1 s (with loss probes off: one would go then,
 * test_sack.c). */
TEST(test_estab_rto_after_handshake_sample)
{
	static const uint8_t buf[100];
	struct h h;
	uint64_t t0;

	h_init(&h, no_probes);
	REQUIRE(open_after(&h, 30, 1));
	t0 = h.now;
	REQUIRE_EQ(h_send(&h, buf, sizeof(buf)), (int)sizeof(buf));
	h_advance(&h, 229 * MS);
	h_poll(&h);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(H_MIB(&h, TCPTimeouts), 0);
	h_advance(&h, t0 + 230 * MS - h.now);
	h_poll(&h);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].len, 100);
	CHECK_EQ(H_MIB(&h, TCPTimeouts), 1);
	CHECK_EQ(H_MIB(&h, RetransSegs), 1);
	h_free(&h);
}

/* A handshake with no delay: m = 0, srtt = max(1, 0) = 1 (1/8 us), rttvar
 * 200 ms: RTO 200 ms (Linux's rto_min exactly). */
TEST(test_synrcvd_ack_rtt_zero_sample)
{
	struct h h;

	h_init(&h, NULL);
	REQUIRE(open_after(&h, 0, 1) == NULL || h.conn);
	REQUIRE(h.conn);
	/* a TS echo of 0 ms counts as 1 ms (tcp_rtt_tsopt_us), but the
	 * SYN-ACK was sent once: its send time gives m = 0 */
	CHECK_EQ(h.conn->srtt_us, 1);
	CHECK_EQ(h.conn->rto_ms, 200);
	h_free(&h);
}

/*
 * Three samples after a 100 ms handshake: 100, 50, 150 ms.
 *  hs  m=100000: srtt 800000, mdev 200000, rttvar 200000, RTO 300 ms
 *  1   m=100000: err 0; mdev += 0 - 50000 -> 150000; window ends:
 *      rttvar 200000 (mdev_max 200000 not below it); RTO 300 ms
 *  2   m=50000: err -50000, srtt 750000 (93750 us); |err| - mdev/4 =
 *      50000 - 37500 = 12500, /8 = 1562 -> mdev 151562; rttvar 200000;
 *      RTO 93750 + 200000 = 293750 us -> 294 ms
 *  3   m=150000: err 56250, srtt 806250 (100781 us); 56250 - 37890 =
 *      18360 -> mdev 169922 (< mdev_max 200000): rttvar 200000;
 *      RTO 100781 + 200000 = 300781 us -> 301 ms
 */
TEST(test_estab_rtt_linux_estimator)
{
	struct h h;

	h_init(&h, NULL);
	REQUIRE(open_after(&h, 100, 1));
	CHECK_EQ(h.conn->rto_ms, 300);
	sample(&h, 100);
	CHECK_EQ(h.conn->srtt_us, 800000u);
	CHECK_EQ(h.conn->rto_ms, 300);
	sample(&h, 50);
	CHECK_EQ(h.conn->srtt_us, 750000u);
	CHECK_EQ(h.conn->rttvar_us, 200000u);
	CHECK_EQ(h.conn->rto_ms, 294);
	sample(&h, 150);
	CHECK_EQ(h.conn->srtt_us, 806250u);
	CHECK_EQ(h.conn->rto_ms, 301);
	h_free(&h);
}

/*
 * A jump in RTT raises rttvar at once, and it decays by a quarter of its
 * excess per window. Handshake 10 ms: srtt 80000, mdev 20000, rttvar
 * 200000. Then 410 ms: err 400000, srtt 480000 (60000 us), mdev 20000 +
 * 400000 - 5000 = 415000 > mdev_max: rttvar 415000; window ends (mdev_max
 * 415000 not below rttvar), mdev_max back to 200000; RTO 60000 + 415000 =
 * 475 ms. Then 60 ms: err 0, mdev 415000 - 103750 = 311250; window ends:
 * rttvar -= (415000 - 311250) / 4 = 25937 -> 389063; RTO 60000 + 389063
 * -> 450 ms (449.063 rounded up).
 */
TEST(test_estab_rtt_rttvar_rises_and_decays)
{
	struct h h;

	h_init(&h, NULL);
	REQUIRE(open_after(&h, 10, 1));
	sample(&h, 410);
	CHECK_EQ(h.conn->srtt_us, 480000u);
	CHECK_EQ(h.conn->rttvar_us, 415000u);
	CHECK_EQ(h.conn->rto_ms, 475);
	sample(&h, 60);
	CHECK_EQ(h.conn->rttvar_us, 389063u);
	CHECK_EQ(h.conn->rto_ms, 450);
	h_free(&h);
}

static void rto_min_50(struct tern_cfg *c)
{
	c->rto_min_ms = 50;
}

/* rto_min is the floor of rttvar: 10 ms handshake with rto_min 50 ms:
 * rttvar max(20, 50) = 50 ms, RTO 60 ms. */
TEST(test_synrcvd_ack_rtt_custom_rto_min)
{
	struct h h;

	h_init(&h, rto_min_50);
	REQUIRE(open_after(&h, 10, 1));
	CHECK_EQ(h.conn->rttvar_us, 50000u);
	CHECK_EQ(h.conn->rto_ms, 60);
	h_free(&h);
}

/* Samples scattered around 100 ms keep the RTO near srtt + rto_min. */
TEST(test_estab_rtt_jitter_keeps_rto_sane)
{
	static const uint32_t ms[] = { 100, 90, 110, 95, 105, 100, 80, 120, 100, 100 };
	struct h h;

	h_init(&h, NULL);
	REQUIRE(open_after(&h, 100, 1));
	for (unsigned i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
		sample(&h, ms[i]);
	REQUIRE(h.conn);
	CHECK(h.conn->srtt_us / 8 >= 90000 && h.conn->srtt_us / 8 <= 110000);
	CHECK(h.conn->rto_ms >= 290 && h.conn->rto_ms <= 310);
	h_free(&h);
}
