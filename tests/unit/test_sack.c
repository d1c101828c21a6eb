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
 * segments (CUBIC). PRR (RFC 6937, tcp_cwnd_reduction) in bytes, M =
 * 1448: that ACK delivered 1 M, the pipe is 8 M (11 unACKed, 3 SACKed)
 * above ssthresh, so cwnd = pipe + ceil(7 M x 1 M / 11 M) - prr_out (the
 * hole, 1 M) = 8 M + 922 - M = 11058. The next SACK delivers 5 M more
 * (prr_delivered 6 M) and leaves a pipe of 3 M (the hole resent, 10,
 * 11): below ssthresh, cwnd = pipe + min(6 M - 1 M, ssthresh - pipe) =
 * 7 M, and 4 new segments go. SACKed data is never resent; the
 * cumulative ACK past `recover` ends recovery at ssthresh.
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
	CHECK_EQ(k.h.conn->cwnd, 8 * MSS + 922 - MSS);
	sk_ack(&k, 1, b8, 1);
	CHECK_EQ(k.h.conn->cwnd, 7 * MSS);
	CHECK_EQ(k.h.out.n, 4);
	for (uint32_t i = 0; i < k.h.out.n; i++)
		CHECK_EQ(k.h.tx[i].seq, k.una0 + (12 + i) * MSS); /* new data only */
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

/*
 * An ACK that starts SACK recovery and carries data after the
 * application closed: the data aborts the connection (TCPAbortOnData,
 * tcp_rcv_state_process), and the hole's retransmission the same ACK
 * produced is taken back, since the application may free what it points
 * into once told of the close (the fuzzer found it reading freed
 * memory). Only the RST goes.
 */
TEST(test_estab_sack_recovery_then_abort_on_data)
{
	static const uint8_t late[] = "late";
	struct tern_seg a;
	struct sk k;

	REQUIRE(sk_open(&k, 10, NULL));
	REQUIRE_EQ(h_close(&k.h), 0);
	h_advance(&k.h, 100 * MS);
	a = h_seg(&k.h, TERN_TH_ACK, 1001, k.una0 + MSS);
	a.win = 65535;
	h_ts(&a, 3, tern_ms(k.h.now) - k.ecr_lag_ms + k.h.conn->ts_off);
	a.opt.present |= TERN_OPT_SACK;
	a.opt.nsack = 1;
	a.opt.sack[0].start = k.una0 + 2 * MSS;
	a.opt.sack[0].end = k.una0 + 5 * MSS;
	a.payload = late;
	a.len = 4;
	h_in(&k.h, &a);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	CHECK_EQ(H_MIB(&k.h, TCPAbortOnData), 1);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK(k.h.tx[0].flags & TERN_TH_RST);
	CHECK_EQ(k.h.tx[0].len, 0);
	h_free(&k.h);
}

static void no_probes(struct tern_cfg *c)
{
	c->loss_probes = 0;
}

/* RFC 6675's DupThresh alone, whatever the default. */
static void no_rack(struct tern_cfg *c)
{
	c->rack_segs = 0;
}

static void rack(struct tern_cfg *c)
{
	c->rack_segs = 65536;
}

static void no_rack_no_probes(struct tern_cfg *c)
{
	no_rack(c);
	no_probes(c);
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
 * The receiver reneges (RFC 2018 8): it SACKs segments 2-3, then
 * acknowledges 0-1 alone, having dropped what it had SACKed. SND.UNA is
 * SACKed data, so at the RTO every SACK is forgotten and all in flight
 * is lost (tcp_timeout_mark_lost, TCPSACKReneging): segment 2 goes
 * first, where the scoreboard would have resent only 4-9 and left 2-3
 * to nobody. With RACK records and with the scoreboard alone.
 */
static void renege_case(void (*tweak)(struct tern_cfg *))
{
	static const uint32_t b[][2] = { { 2, 4 } };
	struct sk k;

	REQUIRE(sk_open(&k, 10, tweak));
	h_advance(&k.h, 50 * MS);
	sk_ack(&k, 0, b, 1);
	sk_ack(&k, 2, NULL, 0);
	sk_poll_at(&k, k.h.now + 300 * MS);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 1);
	CHECK_EQ(H_MIB(&k.h, TCPSACKReneging), 1);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + 2 * MSS);
	h_advance(&k.h, 100 * MS);
	sk_ack(&k, 3, NULL, 0);
	REQUIRE(k.h.out.n >= 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + 3 * MSS);
	h_free(&k.h);
}

TEST(test_estab_sack_reneging_rto_resends_sacked)
{
	renege_case(no_probes);
}

TEST(test_estab_sack_reneging_rto_resends_sacked_no_rack)
{
	renege_case(no_rack_no_probes);
}

/*
 * Tail loss probe: five segments, none acknowledged. PTO = 2 x SRTT +
 * 2 ms = 202 ms (tcp_schedule_loss_probe), before the RTO (300 ms): the
 * last segment goes again (no new data), TCPLossProbes. The client's ACK
 * SACKs only the probe: everything below it is lost, recovery starts
 * (TCPLossProbeRecovery) with segment 0.
 */
/* Nothing goes until t (ms after t0); then the probe, segment seg whole. */
static void probe_at(struct sk *k, uint64_t t, uint32_t seg)
{
	sk_poll_at(k, k->t0 + (t - 1) * MS);
	CHECK_EQ(k->h.out.n, 0);
	sk_poll_at(k, k->t0 + t * MS);
	REQUIRE_EQ(k->h.out.n, 1);
	CHECK_EQ(k->h.tx[0].seq, k->una0 + seg * MSS);
	CHECK_EQ(k->h.tx[0].len, MSS);
	CHECK_EQ(H_MIB(&k->h, TCPLossProbes), 1);
}

TEST(test_estab_tlp_probe_then_recovery)
{
	static const uint32_t b[][2] = { { 4, 5 } };
	struct sk k;

	REQUIRE(sk_open(&k, 5, NULL));
	probe_at(&k, 202, 4);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 0);
	h_advance(&k.h, 100 * MS);
	sk_ack(&k, 0, b, 1);
	REQUIRE(k.h.out.n >= 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0);
	CHECK_EQ(H_MIB(&k.h, TCPLossProbeRecovery), 1);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	h_free(&k.h);
}

/*
 * Twenty segments queued, ten sent; at +100 ms the client acknowledges
 * segment 0 and shrinks its window to the nine still in flight: no new
 * data may go when the probe timer fires (PTO 202 ms later), so the
 * probe is the last segment sent (segment 9, Linux's last skb of the
 * retransmission queue), not the last one queued (19), which was never
 * sent. With RACK the records stay whole (no TCPRackSegsFull); the
 * same with DupThresh alone.
 */
static void probe_window_case(void (*tweak)(struct tern_cfg *))
{
	struct tern_seg a;
	struct sk k;

	REQUIRE(sk_open(&k, 20, tweak));
	CHECK_EQ(tern_rack_on(k.h.s, k.h.conn), tweak == rack);
	h_advance(&k.h, 100 * MS);
	a = h_seg(&k.h, TERN_TH_ACK, 1001, k.una0 + MSS);
	a.win = (uint16_t)((9 * MSS) >> 7); /* wscale 7: a little under nine */
	h_ts(&a, 3, tern_ms(k.h.now) - 100 + k.h.conn->ts_off);
	h_in(&k.h, &a);
	CHECK_EQ(k.h.out.n, 0);
	probe_at(&k, 302, 9);
	CHECK_EQ(k.h.conn->snd_max, k.una0 + 10 * MSS);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 1);
	CHECK_EQ(H_MIB(&k.h, TCPRackSegsFull), 0);
	h_free(&k.h);
}

TEST(test_estab_tlp_window_shut_resends_last_sent)
{
	probe_window_case(no_rack);
}

TEST(test_estab_tlp_window_shut_rack_records_whole)
{
	probe_window_case(rack);
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

/*
 * The last data segment (159 bytes, the end of a response) lost, our FIN
 * (sent on its own) delivered and SACKed: the ACK of segments 0-1
 * carries SACK {FIN}. 160 bytes but two segments are out (Linux's
 * packets_out is 2), so the probe timeout is 2 x SRTT + 2 ms = 202 ms
 * after that ACK, not 2 x SRTT + rto_min (the delayed-ACK allowance for
 * a single segment, which leaves the RTO, 300 ms, to fire first). The
 * probe resends the 159 bytes.
 */
TEST(test_estab_tlp_data_lost_fin_sacked)
{
	static const uint8_t tail[159];
	struct sk k;
	struct tern_seg a;
	uint32_t fin = 0;
	uint64_t at;

	REQUIRE(sk_open(&k, 2, NULL));
	REQUIRE_EQ(h_send(&k.h, tail, sizeof(tail)), 159);
	REQUIRE_EQ(k.h.out.n, 1);
	REQUIRE_EQ(h_shutdown(&k.h), 0);
	REQUIRE_EQ(k.h.out.n, 1);
	REQUIRE(k.h.tx[0].flags & TERN_TH_FIN);
	fin = k.una0 + 2 * MSS + 159;
	h_advance(&k.h, 100 * MS);
	a = h_seg(&k.h, TERN_TH_ACK, 1001, k.una0 + 2 * MSS);
	a.win = 65535;
	h_ts(&a, 3, tern_ms(k.h.now) - 100 + k.h.conn->ts_off);
	a.opt.present |= TERN_OPT_SACK;
	a.opt.nsack = 1;
	a.opt.sack[0].start = fin;
	a.opt.sack[0].end = fin + 1;
	h_in(&k.h, &a);
	CHECK_EQ(k.h.out.n, 0);
	at = k.h.now;
	sk_poll_at(&k, at + 201 * MS);
	CHECK_EQ(k.h.out.n, 0);
	sk_poll_at(&k, at + 202 * MS);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + 2 * MSS);
	CHECK_EQ(k.h.tx[0].len, 159);
	CHECK_EQ(H_MIB(&k.h, TCPLossProbes), 1);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 0);
	h_free(&k.h);
}

/*
 * A hole at the tail in recovery: segment 1 lost (3 segments SACKed
 * above it: recovery, segment 1 resent), then segment 8, with only
 * segment 9 SACKed above it and no new data to send: DupThresh never
 * calls it lost. RFC 6675 NextSeg rule 4: one rescue retransmission per
 * recovery, of the highest unSACKed segment below SACKed data, at once
 * (not at the RTO, 300 ms later); later ACKs in the same recovery send
 * nothing more. Segment 9, in flight with nothing SACKed above it, is
 * never rescued. DupThresh alone: RACK calls segment 8 lost by its send
 * time, as Linux does, so no rescue is needed.
 */
TEST(test_estab_sack_recovery_rescue_tail)
{
	static const uint32_t b1[][2] = { { 2, 5 } }, b2[][2] = { { 2, 8 }, { 9, 10 } },
			      b3[][2] = { { 9, 10 } };
	struct sk k;

	REQUIRE(sk_open(&k, 10, no_rack));
	h_advance(&k.h, 100 * MS);
	sk_ack(&k, 1, b1, 1);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + MSS);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	sk_ack(&k, 1, b2, 2);
	REQUIRE(k.h.conn->flags & TERN_CF_RECOVERY);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + 8 * MSS);
	CHECK_EQ(k.h.tx[0].len, MSS);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 2);
	CHECK_EQ(H_MIB(&k.h, TCPSackRescue), 1);
	sk_ack(&k, 1, b2, 2);
	CHECK_EQ(k.h.out.n, 0);
	sk_ack(&k, 8, b3, 1);
	CHECK_EQ(k.h.out.n, 0);
	CHECK_EQ(H_MIB(&k.h, TCPSackRescue), 1);
	sk_ack(&k, 10, NULL, 0);
	CHECK(!(k.h.conn->flags & TERN_CF_RECOVERY));
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 0);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 2);
	h_free(&k.h);
}

/*
 * PRR (RFC 6937 3, Linux tcp_cwnd_reduction): 20 segments in flight
 * (cwnd 20), segment 10 lost, then one ACK per segment delivered, each
 * SACKing one more. Recovery starts at the third SACKed (ssthresh 14,
 * CUBIC's 0.7 x 20), the hole resent at once: pipe 17 (20 out, 3 SACKed).
 * By hand, M = 1448, k = segments delivered since recovery began, s =
 * segments sent since (prr_out): while the pipe is above ssthresh, s may
 * reach ceil(14 k M / 20) bytes: k = 2: 2028 (s stays 1), k = 3: 3041
 * (s = 2), k = 4: 4055 (2); at k = 5 the pipe is 14 = ssthresh: nothing;
 * below it, one segment per segment delivered (at most ssthresh - pipe):
 * k = 6, 7: s = 3, 4. Never a burst: the new segments go one at a time.
 * The pipe here is DupThresh's (RFC 6675 SetPipe).
 */
TEST(test_estab_sack_prr_proportional)
{
	static const unsigned want[] = { 1, 1, 2, 2, 2, 3, 4 };
	uint32_t b[1][2] = { { 11, 12 } };
	unsigned sent = 0;
	struct sk k;

	REQUIRE(sk_open(&k, 40, no_rack_no_probes));
	sk_ack(&k, 10, NULL, 0);
	REQUIRE_EQ(k.h.out.n, 20); /* cwnd 20: segments 10-29 */
	h_advance(&k.h, 100 * MS);
	for (uint32_t i = 0; i < 2; i++, b[0][1]++) {
		sk_ack(&k, 10, (const uint32_t(*)[2])b, 1);
		CHECK_EQ(k.h.out.n, 0);
	}
	for (uint32_t d = 0; d < sizeof(want) / sizeof(want[0]); d++, b[0][1]++) {
		sk_ack(&k, 10, (const uint32_t(*)[2])b, 1);
		for (uint32_t i = 0; i < k.h.out.n; i++) {
			CHECK_EQ(k.h.tx[i].seq, sent ? k.una0 + (29 + sent) * MSS : k.una0 + 10 * MSS);
			sent++;
		}
		CHECK_EQ(sent, want[d]);
		CHECK(k.h.conn->flags & TERN_CF_RECOVERY);
	}
	CHECK_EQ(k.h.conn->ssthresh, 14 * MSS);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	h_free(&k.h);
}
