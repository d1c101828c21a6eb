// SPDX-License-Identifier: BSD-2-Clause
/* RTO estimation (RFC 6298) driven through real ACKs with timestamps. */
#include "harness.h"
#include "t.h"

/* Send one segment, ACK it `rtt_ms` later echoing its TSval. */
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
	h_advance(h, rtt_ms * TERN_NSEC_PER_MSEC);
	a = h_seg(h, TERN_TH_ACK, h->conn->rcv_nxt, tx.seq + tx.len);
	a.win = 502;
	h_ts(&a, 100000 + (uint32_t)(h->now / TERN_NSEC_PER_MSEC), o.tsval);
	h_in(h, &a);
}

/* Samples scattered below and above the mean must not blow RTTVAR up
 * (an unsigned underflow once made it ~2^30 and the RTO 120 s). */
TEST(test_estab_rtt_jitter_keeps_rto_sane)
{
	static const uint32_t ms[] = { 100, 90, 110, 95, 105, 100, 80, 120, 100, 100 };
	struct h h;
	uint32_t iss;

	h_init(&h, NULL);
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	for (unsigned i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
		sample(&h, ms[i]);
	REQUIRE(h.conn);
	/* SRTT ~100 ms, RTTVAR ~10 ms: RTO = max(200 ms floor, ~140 ms) */
	CHECK(h.conn->srtt_us / 8 >= 90000 && h.conn->srtt_us / 8 <= 110000);
	CHECK(h.conn->rttvar_us < 50000);
	CHECK_EQ(h.conn->rto_ms, 200);
	h_free(&h);
}

/* RFC 6298 2.2: the first sample sets SRTT = R, RTTVAR = R/2, so
 * RTO = R + 4 * R/2 = 3R above the floor. */
TEST(test_estab_rtt_first_sample)
{
	struct h h;
	uint32_t iss;

	h_init(&h, NULL);
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	sample(&h, 400);
	REQUIRE(h.conn);
	CHECK_EQ(h.conn->srtt_us, 400000u * 8);
	CHECK_EQ(h.conn->rttvar_us, 200000u);
	CHECK_EQ(h.conn->rto_ms, 1200);
	h_free(&h);
}
