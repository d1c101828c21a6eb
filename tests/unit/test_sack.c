// SPDX-License-Identifier: BSD-2-Clause
/*
 * The sender's use of SACK (sack.c): recovery that resends only the
 * holes (RFC 6675), the RTO that resends only what is not SACKed
 * (tcp_enter_loss), tail loss probes (RFC 8985 7), and the scoreboard's
 * checks and bound. The client is driven by hand: every segment and ACK
 * is explicit; segments "lost" are simply never acknowledged.
 */
#include "harness.h"
#include "sk.h"
#include "t.h"

/*
 * Ten segments, the second lost. The ACK of the first grows cwnd to 11
 * (slow start). SACKs of 2, then 3 segments above the hole: with 3 x MSS
 * SACKed (more than (DupThresh - 1) x MSS) the hole is lost: recovery
 * starts with exactly one segment, the hole; ssthresh = 11 x 0.7 = 7
 * segments (CUBIC), cwnd = ssthresh. Later SACKs never resend SACKed
 * data; the cumulative ACK past `recover` ends recovery at ssthresh.
 */
TEST(test_estab_sack_recovery_resends_hole_only)
{
	static const uint32_t b2[][2] = { { 2, 4 } }, b3[][2] = { { 2, 5 } }, b8[][2] = { { 2, 10 } };
	struct sk k;

	REQUIRE(sk_open(&k, 20, NULL));
	h_advance(&k.h, 100 * MS);
	sk_ack(&k, 1, NULL, 0);
	REQUIRE_EQ(k.h.conn->cwnd, 11 * MSS);
	CHECK_EQ(k.h.out.n, 2); /* segments 10 and 11 */
	sk_ack(&k, 1, b2, 1);
	CHECK_EQ(k.h.out.n, 0);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 0);
	sk_ack(&k, 1, b3, 1);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + MSS);
	CHECK_EQ(k.h.tx[0].len, MSS);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 1);
	CHECK_EQ(k.h.conn->ssthresh, 7 * MSS);
	CHECK_EQ(k.h.conn->cwnd, 7 * MSS);
	sk_ack(&k, 1, b8, 1);
	for (uint32_t i = 0; i < k.h.out.n; i++)
		CHECK(k.h.tx[i].seq >= k.una0 + 12 * MSS); /* new data only */
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 1);
	/* The ACK past `recover` ends recovery at ssthresh (7), then counts
	 * as any ACK (tcp_cong_control): a CUBIC epoch from W_max 11, K =
	 * cbrt(2^40 / 410 x 4) = 2204/1024 s, at t = delay_min 100 ms (102):
	 * W = 11 - 410 x 2102^3 / 2^40 = 11 - 3 = 8, cnt 7; 11 segments
	 * acknowledged give one more: 8. The ACK echoes the retransmission's
	 * TSval: the hole was lost, nothing to undo (tcp_packet_delayed). */
	k.ecr_lag_ms = 0;
	sk_ack(&k, 12, NULL, 0);
	CHECK(!(k.h.conn->flags & TERN_CF_RECOVERY));
	CHECK_EQ(k.h.conn->ssthresh, 7 * MSS);
	CHECK_EQ(k.h.conn->cwnd, 8 * MSS);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 0);
	h_free(&k.h);
}

static void no_probes(struct tern_cfg *c)
{
	c->loss_probes = 0;
}

/*
 * RTO with a scoreboard: segments 5-9 SACKed, 0-4 missing. Each hole has
 * 5 SACKed segments above it: all five are lost (IsLost) and recovery
 * resends them (pipe 0, cwnd 7). Those are lost too; at the RTO (300 ms)
 * cwnd is one MSS and segment 0 goes; then, as slow start opens cwnd,
 * only the unSACKed 1-4, never 5-9 (Linux's tcp_enter_loss marks what is
 * not SACKed lost). No go-back-N: 5 + 5 retransmissions.
 */
TEST(test_estab_sack_rto_resends_unsacked_only)
{
	static const uint32_t b[][2] = { { 5, 10 } };
	struct sk k;
	uint32_t seen = 0;

	REQUIRE(sk_open(&k, 10, no_probes));
	h_advance(&k.h, 50 * MS);
	sk_ack(&k, 0, b, 1);
	REQUIRE_EQ(k.h.out.n, 5); /* recovery: segments 0-4 */
	for (uint32_t i = 0; i < 5; i++)
		CHECK_EQ(k.h.tx[i].seq, k.una0 + i * MSS);
	sk_poll_at(&k, k.h.now + 300 * MS);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0);
	CHECK_EQ(k.h.conn->cwnd, MSS);
	for (uint32_t a = 1; a <= 5; a++) {
		h_advance(&k.h, 100 * MS);
		if (a < 5)
			sk_ack(&k, a, b, 1);
		else
			sk_ack(&k, 10, NULL, 0);
		for (uint32_t i = 0; i < k.h.out.n; i++) {
			CHECK(k.h.tx[i].seq < k.una0 + 5 * MSS || k.h.tx[i].seq >= k.una0 + 10 * MSS);
			seen++;
		}
	}
	CHECK(seen > 0);
	CHECK_EQ(k.h.conn->snd_una, k.una0 + 10 * MSS); /* 5-9 were never resent */
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 5 + 5);
	h_free(&k.h);
}

/*
 * Tail loss probe: five segments, none acknowledged. PTO = 2 x SRTT +
 * 2 ms = 202 ms (tcp_schedule_loss_probe), before the RTO (300 ms): the
 * last segment goes again (no new data), TCPLossProbes. The client's ACK
 * SACKs only the probe: everything below it is lost, recovery starts
 * (TCPLossProbeRecovery) with segment 0.
 */
TEST(test_estab_tlp_probe_then_recovery)
{
	static const uint32_t b[][2] = { { 4, 5 } };
	struct sk k;

	REQUIRE(sk_open(&k, 5, NULL));
	sk_poll_at(&k, k.t0 + 201 * MS);
	CHECK_EQ(k.h.out.n, 0);
	sk_poll_at(&k, k.t0 + 202 * MS);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + 4 * MSS);
	CHECK_EQ(k.h.tx[0].len, MSS);
	CHECK_EQ(H_MIB(&k.h, TCPLossProbes), 1);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 0);
	h_advance(&k.h, 100 * MS);
	sk_ack(&k, 0, b, 1);
	REQUIRE(k.h.out.n >= 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0);
	CHECK_EQ(H_MIB(&k.h, TCPLossProbeRecovery), 1);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	h_free(&k.h);
}

/* One segment: PTO = 2 x SRTT + rto_min (the peer's delayed ACK) = 400
 * ms is past the RTO (300 ms), so the probe goes at the RTO's time, and
 * it is a probe, not a timeout (no backoff, cwnd kept). */
TEST(test_estab_tlp_single_segment_at_rto)
{
	struct sk k;

	REQUIRE(sk_open(&k, 1, NULL));
	sk_poll_at(&k, k.t0 + 299 * MS);
	CHECK_EQ(k.h.out.n, 0);
	sk_poll_at(&k, k.t0 + 300 * MS);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0);
	CHECK_EQ(H_MIB(&k.h, TCPLossProbes), 1);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 0);
	CHECK_EQ(k.h.conn->cwnd, 10 * MSS);
	/* the next expiry, an RTO later, is a timeout */
	sk_poll_at(&k, k.t0 + 600 * MS);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 1);
	CHECK_EQ(H_MIB(&k.h, TCPLossProbes), 1);
	h_free(&k.h);
}

/* loss_probes = 0: the RTO alone. */
TEST(test_estab_tlp_off)
{
	struct sk k;

	REQUIRE(sk_open(&k, 5, no_probes));
	sk_poll_at(&k, k.t0 + 299 * MS);
	CHECK_EQ(k.h.out.n, 0);
	sk_poll_at(&k, k.t0 + 300 * MS);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 1);
	CHECK_EQ(H_MIB(&k.h, TCPLossProbes), 0);
	h_free(&k.h);
}

/* A first block below SND.UNA is a D-SACK (RFC 2883): counted, not
 * taken; a block past SND.MAX is discarded (tcp_is_sackblock_valid). */
TEST(test_estab_sack_dsack_and_invalid_blocks)
{
	static const uint32_t dsack[][2] = { { 0, 1 } }, past[][2] = { { 8, 20 } };
	struct sk k;

	REQUIRE(sk_open(&k, 10, NULL));
	sk_ack(&k, 2, dsack, 1);
	CHECK_EQ(H_MIB(&k.h, TCPDSACKRecv), 1);
	CHECK_EQ(tern_conn_xmit(k.h.s, k.h.conn)->nsack, 0);
	sk_ack(&k, 2, past, 1);
	CHECK_EQ(H_MIB(&k.h, TCPSACKDiscard), 1);
	CHECK_EQ(tern_conn_xmit(k.h.s, k.h.conn)->nsack, 0);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 0);
	h_free(&k.h);
}

/* Seven disjoint SACKed ranges: the scoreboard keeps TERN_SACK_RANGES
 * (6), drops the highest and counts it. */
TEST(test_estab_sack_ranges_bound)
{
	struct sk k;
	struct tern_xmit *x;

	REQUIRE(sk_open(&k, 40, no_probes));
	sk_ack(&k, 10, NULL, 0); /* cwnd 20: segments 10-29 in flight */
	REQUIRE_EQ(k.h.out.n, 20);
	for (uint32_t r = 0; r < TERN_SACK_RANGES + 1; r++) {
		const uint32_t b[1][2] = { { 11 + 2 * r, 12 + 2 * r } };

		sk_ack(&k, 10, b, 1);
	}
	x = tern_conn_xmit(k.h.s, k.h.conn);
	CHECK_EQ(H_MIB(&k.h, TCPSackRangesFull), 1);
	CHECK_EQ(x->nsack, TERN_SACK_RANGES);
	CHECK_EQ(x->sack[TERN_SACK_RANGES - 1].end, k.una0 + 22 * MSS); /* 23-24 dropped */
	CHECK_EQ(x->sacked, TERN_SACK_RANGES * MSS);
	h_free(&k.h);
}
