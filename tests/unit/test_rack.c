// SPDX-License-Identifier: BSD-2-Clause
/*
 * RACK-TLP loss detection (rack.c) and undo (undo.c), against the
 * DupThresh rule where they differ, with RACK on (cfg.rack_segs, on by
 * default) except where a case says. Hand-driven sender (sk.h): a 100 ms
 * handshake gives SRTT = min_rtt = 100 ms, so RACK's reordering window
 * is min_rtt / 4 = 25 ms once reordering was seen (0 before it, when
 * 3 segments are SACKed, and in recovery: tcp_rack_reo_wnd), and its
 * timer adds 2 ms (TCP_TIMEOUT_MIN).
 */
#include "sk.h"
#include "t.h"

static void dupthresh(struct tern_cfg *c)
{
	c->rack_segs = 0;
}

/* RACK on (65536 records, the default), whatever the default. */
static void rack(struct tern_cfg *c)
{
	c->rack_segs = 65536;
}

static void reno_rack(struct tern_cfg *c)
{
	rack(c);
	c->cc = TERN_CC_RENO;
}

static void share4(struct tern_cfg *c)
{
	c->rack_segs = 64;
	c->rack_segs_per_conn = 4;
}

static void pool6(struct tern_cfg *c)
{
	c->rack_segs = 6;
}

static int usec_top_bit(uint64_t now)
{
	return (uint32_t)(now / 1000u) >= 1u << 31;
}

static int rack_on(const struct sk *k)
{
	return tern_rack_on(k->h.s, k->h.conn);
}

/* The first segment out is segment seg, resent whole; rtx resent so far. */
static void resent_first(struct sk *k, uint32_t seg, uint64_t rtx)
{
	REQUIRE(k->h.out.n >= 1);
	CHECK_EQ(k->h.tx[0].seq, k->una0 + seg * MSS);
	CHECK_EQ(k->h.tx[0].len, MSS);
	CHECK_EQ(H_MIB(&k->h, RetransSegs), rtx);
	CHECK_EQ(H_MIB(&k->h, TCPTimeouts), 0);
}

/*
 * Ten segments at t0. At +100 ms segments 2-3 are SACKed (segment 1
 * missing), at +110 ms segment 1 arrives: reordering, nothing resent.
 * Then segments 5-8 are SACKed above a missing 4, four segments deep:
 * DupThresh resends 4 at once; RACK, having seen reordering, waits
 * RTT (110 ms, segment 8's) + 25 ms from 4's send time: the timer is
 * at +110 + 25 + 2 ms, and 4 goes then, once.
 */
static void reorder_case(struct sk *k, void (*tweak)(struct tern_cfg *))
{
	static const uint32_t b23[][2] = { { 2, 4 } }, b58[][2] = { { 5, 9 } };

	REQUIRE(sk_open(k, 10, tweak));
	sk_poll_at(k, k->t0 + 100 * MS);
	sk_ack(k, 1, b23, 1);
	CHECK_EQ(H_MIB(&k->h, RetransSegs), 0);
	h_advance(&k->h, 10 * MS);
	sk_ack(k, 4, NULL, 0);
	sk_ack(k, 4, b58, 1);
}

TEST(test_estab_rack_reordering_waits_window)
{
	struct sk k;

	reorder_case(&k, rack);
	REQUIRE(rack_on(&k));
	CHECK(tern_conn_rack(k.h.s, k.h.conn)->reord_seen);
	CHECK_EQ(tern_rack_min_rtt_us(k.h.s, k.h.conn), 100000);
	CHECK_EQ(k.h.out.n, 0);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 0);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 0);
	sk_poll_at(&k, k.t0 + 136 * MS);
	CHECK_EQ(k.h.out.n, 0);
	CHECK_EQ(H_MIB(&k.h, TCPRackReoTimeout), 0);
	sk_poll_at(&k, k.t0 + 137 * MS);
	resent_first(&k, 4, 1);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	CHECK_EQ(H_MIB(&k.h, TCPSACKReorder), 1);
	CHECK_EQ(H_MIB(&k.h, TCPRackReoTimeout), 1);
	h_free(&k.h);
}

TEST(test_estab_rack_off_dupthresh_resends_at_once)
{
	struct sk k;

	reorder_case(&k, dupthresh);
	CHECK(!rack_on(&k));
	resent_first(&k, 4, 1);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	h_free(&k.h);
}

/*
 * A lost retransmission with no new data behind it. Ten segments, all
 * the data; at +100 ms all but 0 and 5 are SACKed: both lost (window 0:
 * 3 SACKed, no reordering seen), both resent. At +200 ms the resent 5
 * is SACKed, 0 is still missing: RACK sees 0's retransmission was sent
 * before 5's and is lost too (TCPLostRetransmit), and resends it, long
 * before the RTO (+400 ms). DupThresh needs data sent after the
 * retransmission to notice, and there is none.
 */
static void lost_rtx_case(struct sk *k, void (*tweak)(struct tern_cfg *))
{
	static const uint32_t holes[][2] = { { 1, 5 }, { 6, 10 } }, one[][2] = { { 1, 10 } };

	REQUIRE(sk_open(k, 10, tweak));
	sk_poll_at(k, k->t0 + 100 * MS);
	sk_ack(k, 0, holes, 2);
	REQUIRE_EQ(k->h.out.n, 2);
	CHECK_EQ(k->h.tx[0].seq, k->una0);
	CHECK_EQ(k->h.tx[1].seq, k->una0 + 5 * MSS);
	sk_poll_at(k, k->t0 + 200 * MS);
	sk_ack(k, 0, one, 1);
}

TEST(test_estab_rack_lost_retransmit_resent)
{
	struct sk k;

	lost_rtx_case(&k, rack);
	CHECK_EQ(k.h.out.n, 1);
	resent_first(&k, 0, 3);
	CHECK_EQ(H_MIB(&k.h, TCPLostRetransmit), 1);
	h_free(&k.h);
}

TEST(test_estab_rack_off_lost_retransmit_waits)
{
	struct sk k;

	lost_rtx_case(&k, dupthresh);
	CHECK_EQ(k.h.out.n, 0);
	CHECK_EQ(H_MIB(&k.h, TCPLostRetransmit), 0);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 2);
	h_free(&k.h);
}

/*
 * The per-connection share: 4 records of a pool of 64. The fifth segment
 * finds none: the connection gives its records back (TCPRackSegsFull)
 * and SACKs of 3 segments above a hole start recovery by DupThresh.
 * Once everything is acknowledged, records are kept again.
 */
static void fall_back_case(void (*tweak)(struct tern_cfg *))
{
	static const uint32_t b3[][2] = { { 2, 5 } };
	static uint8_t more[2 * MSS];
	struct sk k;

	REQUIRE(sk_open(&k, 10, tweak));
	CHECK_EQ(H_MIB(&k.h, TCPRackSegsFull), 1);
	CHECK(!rack_on(&k));
	CHECK_EQ(k.h.s->rsegs.used, 0);
	CHECK_EQ(tern_conn_rack(k.h.s, k.h.conn)->n, 0);
	sk_ack(&k, 1, b3, 1);
	REQUIRE(k.h.out.n >= 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + MSS);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	k.ecr_lag_ms = 0;
	sk_ack(&k, 10, NULL, 0);
	REQUIRE_EQ(k.h.conn->snd_una, k.h.conn->snd_max);
	REQUIRE_EQ(h_send(&k.h, more, sizeof(more)), (int)sizeof(more));
	CHECK(rack_on(&k));
	CHECK_EQ(tern_conn_rack(k.h.s, k.h.conn)->n, 2);
	CHECK_EQ(k.h.s->rsegs.used, 2);
	CHECK_EQ(tern_rack_in_flight(k.h.s, k.h.conn, 0), 2 * MSS);
	CHECK_EQ(tern_rack__check(k.h.s, k.h.conn), 0);
	CHECK_EQ(H_MIB(&k.h, TCPRackSegsFull), 1);
	h_free(&k.h);
}

TEST(test_estab_rack_segs_share_full)
{
	fall_back_case(share4);
}

/* The same at the stack's bound: a pool of 6 (share 6 / 4 = 1 at the
 * default quarter, so the share bites first; 6 with the share set). */
static void pool6_share6(struct tern_cfg *c)
{
	pool6(c);
	c->rack_segs_per_conn = 6;
}

TEST(test_estab_rack_segs_pool_full)
{
	fall_back_case(pool6_share6);
}

static void share11(struct tern_cfg *c)
{
	c->rack_segs = 64;
	c->rack_segs_per_conn = 11;
}

/*
 * Records run out in recovery: 10 segments, 1-3 SACKed at +100 ms, so 0
 * is lost and resent; 3 more segments are queued and the twelfth record
 * go as 1-9 are SACKed, and the twelfth record is past the share of 11
 * (TCPRackSegsFull). DupThresh takes over with
 * what RACK had resent as resent: segment 0 does not go a second time.
 */
TEST(test_estab_rack_segs_full_in_recovery_keeps_resent)
{
	static const uint32_t b13[][2] = { { 1, 4 } }, b19[][2] = { { 1, 10 } };
	static uint8_t more[3 * MSS];
	struct sk k;
	uint32_t zeros = 0;

	REQUIRE(sk_open(&k, 10, share11));
	sk_poll_at(&k, k.t0 + 100 * MS);
	sk_ack(&k, 0, b13, 1);
	resent_first(&k, 0, 1);
	REQUIRE_EQ(h_send(&k.h, more, sizeof(more)), (int)sizeof(more));
	sk_ack(&k, 0, b19, 1);
	for (int round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < k.h.out.n; i++)
			zeros += k.h.tx[i].seq == k.una0 && k.h.tx[i].len;
		h_advance(&k.h, 10 * MS);
		h_poll(&k.h);
	}
	CHECK_EQ(H_MIB(&k.h, TCPRackSegsFull), 1);
	CHECK_EQ(zeros, 0);
	h_free(&k.h);
}

/*
 * RACK's µs clock is 32 bits: with the clock's top bit set (here after
 * 2^31 µs idle, about 36 minutes), the first delivery must still set
 * RACK.xmit_ts, so that nothing sent with or after it is lost. The
 * handshake, the idle, then 10 segments; at +100 ms segments 0-2 are
 * acknowledged: nothing is lost.
 */
TEST(test_estab_rack_clock_top_bit)
{
	static uint8_t more[10 * MSS];
	struct sk k;

	REQUIRE(sk_open(&k, 0, rack));
	h_advance(&k.h, (1ull << 31) * 1000u);
	REQUIRE(usec_top_bit(k.h.now));
	REQUIRE_EQ(h_send(&k.h, more, sizeof(more)), (int)sizeof(more));
	REQUIRE(k.h.out.n >= 3);
	h_advance(&k.h, 100 * MS);
	k.ecr_lag_ms = 100;
	sk_ack(&k, 3, NULL, 0);
	CHECK_EQ(k.h.out.n, 0);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 0);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 0);
	h_free(&k.h);
}

/*
 * Eifel (tcp_try_undo_recovery, TCPFullUndo): the hole of
 * test_estab_sack_recovery_resends_hole_only is resent at +100 ms, but
 * the cumulative ACK echoes a TSval from before the retransmission: the
 * original arrived, the recovery was spurious. cwnd goes back to the 11
 * segments before it (max(cwnd, prior_cwnd), tcp_reno_undo_cwnd: the same
 * for NewReno and CUBIC), ssthresh to the prior one (infinite: slow
 * start, so the ACK's 11 segments make it 22). With the retransmission's TSval echoed, nothing is undone.
 */
static void full_undo_case(void (*tweak)(struct tern_cfg *), uint32_t lag_ms)
{
	static const uint32_t b3[][2] = { { 2, 5 } };
	struct sk k;

	REQUIRE(sk_open(&k, 20, tweak));
	h_advance(&k.h, 100 * MS);
	sk_ack(&k, 1, NULL, 0);
	REQUIRE_EQ(k.h.conn->cwnd, 11 * MSS);
	sk_ack(&k, 1, b3, 1);
	REQUIRE_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	REQUIRE(k.h.conn->cwnd < 11 * MSS);
	h_advance(&k.h, 50 * MS);
	k.ecr_lag_ms = lag_ms;
	sk_ack(&k, 12, NULL, 0);
	CHECK(!(k.h.conn->flags & TERN_CF_RECOVERY));
	if (lag_ms > 50) {
		CHECK_EQ(H_MIB(&k.h, TCPFullUndo), 1);
		/* 11 restored, then slow start by the 11 segments acked */
		CHECK_EQ(k.h.conn->cwnd, 22 * MSS);
		CHECK_EQ(k.h.conn->ssthresh, UINT32_MAX);
	} else {
		CHECK_EQ(H_MIB(&k.h, TCPFullUndo), 0);
		CHECK(k.h.conn->cwnd < 11 * MSS);
		CHECK(k.h.conn->ssthresh < 11 * MSS);
	}
	h_free(&k.h);
}

TEST(test_estab_undo_eifel_full_cubic)
{
	full_undo_case(rack, 100);
}

TEST(test_estab_undo_eifel_full_reno)
{
	full_undo_case(reno_rack, 100);
}

TEST(test_estab_undo_eifel_not_for_retransmission)
{
	full_undo_case(rack, 50);
}

/*
 * D-SACK undo (tcp_try_undo_dsack, TCPDSACKUndo): the same recovery ends
 * on the retransmission's ACK (cwnd = ssthresh = 7). Then the peer
 * reports the retransmitted segment as a duplicate (a D-SACK below
 * SND.UNA): the one retransmission was not needed, cwnd and ssthresh go
 * back, and RACK's reordering window takes a second step (reo_wnd_steps
 * 2: 50 ms).
 */
TEST(test_estab_undo_dsack)
{
	static const uint32_t b3[][2] = { { 2, 5 } }, dup[][2] = { { 1, 2 } };
	struct sk k;

	REQUIRE(sk_open(&k, 20, rack));
	h_advance(&k.h, 100 * MS);
	sk_ack(&k, 1, NULL, 0);
	sk_ack(&k, 1, b3, 1);
	REQUIRE_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	k.ecr_lag_ms = 0;
	h_advance(&k.h, 100 * MS);
	sk_ack(&k, 12, NULL, 0);
	REQUIRE(!(k.h.conn->flags & TERN_CF_RECOVERY));
	CHECK_EQ(k.h.conn->ssthresh, 7 * MSS);
	CHECK_EQ(H_MIB(&k.h, TCPFullUndo), 0);
	CHECK_EQ(tern_conn_rack(k.h.s, k.h.conn)->reo_steps, 1);
	sk_ack(&k, 12, dup, 1);
	CHECK_EQ(H_MIB(&k.h, TCPDSACKRecv), 1);
	CHECK_EQ(H_MIB(&k.h, TCPDSACKUndo), 1);
	CHECK(k.h.conn->cwnd >= 11 * MSS);
	CHECK_EQ(k.h.conn->ssthresh, UINT32_MAX);
	CHECK_EQ(tern_conn_rack(k.h.s, k.h.conn)->reo_steps, 2);
	h_free(&k.h);
}

static void rack_no_probes(struct tern_cfg *c)
{
	rack(c);
	c->loss_probes = 0;
}

/*
 * A spurious RTO (tcp_try_undo_loss, TCPLossUndo): five segments, no
 * loss probe; at the RTO (+300 ms) cwnd drops to one segment and 0 is
 * resent. The ACK of all five echoes the originals' TSval (t0): they
 * were only late. cwnd goes back to 10 segments.
 */
TEST(test_estab_undo_spurious_rto)
{
	struct sk k;

	REQUIRE(sk_open(&k, 5, rack_no_probes));
	sk_poll_at(&k, k.t0 + 300 * MS);
	REQUIRE_EQ(H_MIB(&k.h, TCPTimeouts), 1);
	REQUIRE_EQ(k.h.conn->cwnd, MSS);
	h_advance(&k.h, 10 * MS);
	k.ecr_lag_ms = 310;
	sk_ack(&k, 5, NULL, 0);
	CHECK_EQ(H_MIB(&k.h, TCPLossUndo), 1);
	CHECK_EQ(H_MIB(&k.h, TCPSpuriousRTOs), 0); /* timestamps first (tcp_process_loss) */
	CHECK(k.h.conn->cwnd >= 10 * MSS);
	CHECK_EQ(k.h.conn->ssthresh, UINT32_MAX);
	CHECK_EQ(tern_conn_xmit(k.h.s, k.h.conn)->loss, 0);
	h_free(&k.h);
}

/*
 * A peer that negotiated SACK but sends no blocks. Ten segments, 0 and 5
 * lost: three duplicate ACKs start recovery with 0 (tern's DupThresh
 * fallback for blockless ACKs). At +200 ms the partial ACK up to 5 is for
 * 0's retransmission, sent after 5: RACK finds 5 lost by time and resends
 * it at once; without blocks it cannot tell 6-9 from lost either, and
 * they follow (cwnd 7, nothing counted in flight), as Linux's would.
 * DupThresh has no SACKed bytes to go by and waits for the RTO.
 */
static void blockless_case(struct sk *k, void (*tweak)(struct tern_cfg *))
{
	REQUIRE(sk_open(k, 10, tweak));
	sk_poll_at(k, k->t0 + 100 * MS);
	for (int i = 0; i < 3; i++)
		sk_ack(k, 0, NULL, 0);
	REQUIRE_EQ(H_MIB(&k->h, RetransSegs), 1);
	sk_poll_at(k, k->t0 + 200 * MS);
	sk_ack(k, 5, NULL, 0);
}

TEST(test_estab_rack_no_blocks_partial_ack)
{
	struct sk k;

	blockless_case(&k, rack);
	REQUIRE_EQ(k.h.out.n, 5);
	for (uint32_t i = 0; i < 5; i++)
		CHECK_EQ(k.h.tx[i].seq, k.una0 + (5 + i) * MSS);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 6);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 0);
	h_free(&k.h);
}

TEST(test_estab_rack_off_no_blocks_waits)
{
	struct sk k;

	blockless_case(&k, dupthresh);
	for (uint32_t i = 0; i < k.h.out.n; i++)
		CHECK(k.h.tx[i].seq != k.una0 + 5 * MSS);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 1);
	h_free(&k.h);
}

/*
 * In-order ACKs are not reordering, however many segments one ACK
 * covers (a delayed ACK takes two) and wherever the sequence space
 * starts: the highest SACK before the ACK is what a filled hole is
 * compared with (tcp_clean_rtx_queue()'s prior_fack). So when 6-8 are
 * SACKed above a missing 5, the window is 0 (no reordering seen, three
 * segments SACKed) and 5 goes at once, not 25 ms later.
 */
TEST(test_estab_rack_in_order_acks_are_not_reordering)
{
	static const uint32_t b68[][2] = { { 6, 9 } };
	struct sk k;

	REQUIRE(sk_open(&k, 10, rack));
	sk_poll_at(&k, k.t0 + 100 * MS);
	sk_ack(&k, 1, NULL, 0);
	sk_ack(&k, 3, NULL, 0);
	sk_ack(&k, 5, NULL, 0);
	CHECK(!tern_conn_rack(k.h.s, k.h.conn)->reord_seen);
	CHECK_EQ(H_MIB(&k.h, TCPSACKReorder), 0);
	k.h.out.n = 0;
	sk_ack(&k, 5, b68, 1);
	REQUIRE(k.h.out.n >= 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + 5 * MSS);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 1);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	h_free(&k.h);
}

/*
 * One ACK that SACKs two new ranges lists the most recent first (RFC
 * 2018 4: Linux's receiver moves the block it just extended or made to
 * the front), here the higher one; it is not reordering: Linux sorts the
 * blocks before it tags them (tcp_sacktag_write_queue()), so the lower
 * range is below no SACK yet when it is tagged. Ten segments at t0; at
 * +100 ms one ACK SACKs 6-9 and 2-4 (0, 1 and 5 missing): the window is
 * 0 (no reordering seen, seven segments SACKed), so 0 goes at once,
 * not 25 ms later.
 */
TEST(test_estab_rack_two_new_blocks_are_not_reordering)
{
	static const uint32_t b69_24[][2] = { { 6, 10 }, { 2, 5 } };
	struct sk k;

	REQUIRE(sk_open(&k, 10, rack));
	sk_poll_at(&k, k.t0 + 100 * MS);
	sk_ack(&k, 0, b69_24, 2);
	CHECK(!tern_conn_rack(k.h.s, k.h.conn)->reord_seen);
	CHECK_EQ(H_MIB(&k.h, TCPSACKReorder), 0);
	REQUIRE(k.h.out.n >= 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	h_free(&k.h);
}

/*
 * TCPSACKReorder counts events as Linux's does: one per walk that finds
 * a hole filled below a SACK (tcp_check_sack_reordering(), once from
 * tcp_sacktag_write_queue() and once from tcp_clean_rtx_queue()), not
 * one per segment. Ten segments at t0; at +100 ms 8-9 are SACKed (two:
 * 0-7 wait for the window, nothing lost); then 2-7 are SACKed below
 * them (one event, six segments), then 0-1 are ACKed (one more).
 */
TEST(test_estab_rack_reordering_counted_per_ack)
{
	static const uint32_t b89[][2] = { { 8, 10 } }, b27[][2] = { { 2, 8 } };
	struct sk k;

	REQUIRE(sk_open(&k, 10, rack));
	sk_poll_at(&k, k.t0 + 100 * MS);
	sk_ack(&k, 0, b89, 1);
	CHECK_EQ(H_MIB(&k.h, TCPSACKReorder), 0);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 0);
	sk_ack(&k, 0, b27, 1);
	CHECK(tern_conn_rack(k.h.s, k.h.conn)->reord_seen);
	CHECK_EQ(H_MIB(&k.h, TCPSACKReorder), 1);
	sk_ack(&k, 2, NULL, 0);
	CHECK_EQ(H_MIB(&k.h, TCPSACKReorder), 2);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 0);
	h_free(&k.h);
}

/*
 * A retransmission that leaves after new data in the same microsecond
 * (one `now` serves a whole batch) was sent after it: when that new
 * data is SACKed first, the retransmission is not lost. At +100 ms the
 * ACK of 0-1 lets 10-13 out; a second ACK at the same time SACKs 3-5
 * above a missing 2, which is resent. 100 ms later 10-11 are SACKed:
 * 6-9 (sent at t0) are lost, 2's retransmission is not.
 */
TEST(test_estab_rack_resent_after_new_data_same_time)
{
	static const uint32_t b35[][2] = { { 3, 6 } }, b35_1011[][2] = { { 10, 12 }, { 3, 6 } };
	struct sk k;

	REQUIRE(sk_open(&k, 14, rack));
	sk_poll_at(&k, k.t0 + 100 * MS);
	sk_ack(&k, 2, NULL, 0);
	REQUIRE_EQ(k.h.out.n, 4);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + 10 * MSS);
	k.h.out.n = 0;
	sk_ack(&k, 2, b35, 1);
	resent_first(&k, 2, 1);
	k.h.out.n = 0;
	h_advance(&k.h, 100 * MS);
	sk_ack(&k, 2, b35_1011, 2);
	CHECK_EQ(H_MIB(&k.h, TCPLostRetransmit), 0);
	for (uint32_t i = 0; i < k.h.out.n; i++)
		CHECK(k.h.tx[i].seq != k.una0 + 2 * MSS);
	h_free(&k.h);
}

/*
 * DupThresh counts segments, not bytes (tp->sacked_out >= tp->reordering
 * in tcp_rack_reo_wnd()): 1, 2 and a 100-byte last segment SACKed above
 * a missing 0 make three, so 0 is lost at once (window 0), though the
 * bytes SACKed are less than 3 x MSS.
 */
TEST(test_estab_rack_dupthresh_counts_segments)
{
	struct sk k;
	struct tern_seg a;

	REQUIRE(sk_open(&k, 3, rack));
	REQUIRE_EQ(h_send(&k.h, "0123456789", 10), 10);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK_EQ(k.h.tx[0].len, 10);
	sk_poll_at(&k, k.t0 + 100 * MS);
	k.h.out.n = 0;
	a = h_seg(&k.h, TERN_TH_ACK, 1001, k.una0);
	a.win = 65535;
	h_ts(&a, 3, tern_ms(k.h.now) - k.ecr_lag_ms + k.h.conn->ts_off);
	a.opt.present |= TERN_OPT_SACK;
	a.opt.nsack = 1;
	a.opt.sack[0].start = k.una0 + MSS;
	a.opt.sack[0].end = k.una0 + 3 * MSS + 10;
	h_in(&k.h, &a);
	resent_first(&k, 0, 1);
	CHECK_EQ(H_MIB(&k.h, TCPSackRecovery), 1);
	h_free(&k.h);
}

/*
 * Our FIN lost with a hole below it (the end of a response at a few per
 * cent loss): 0-3 and the FIN at t0; at +100 ms 1-3 are SACKed, 0 goes
 * again. At +200 ms everything but the FIN is acknowledged: data sent
 * after the FIN (0's retransmission) was delivered and its RTT has
 * passed since the FIN went, so the FIN is lost and goes again at once,
 * as Linux's RACK finds the skb that carries it. DupThresh waits for the
 * probe timeout.
 */
static void fin_lost_case(struct sk *k, void (*tweak)(struct tern_cfg *))
{
	static const uint32_t b13[][2] = { { 1, 4 } };

	REQUIRE(sk_open(k, 4, tweak));
	k->h.out.n = 0;
	REQUIRE_EQ(h_shutdown(&k->h), 0);
	REQUIRE_EQ(k->h.out.n, 1);
	REQUIRE(k->h.tx[0].flags & TERN_TH_FIN);
	sk_poll_at(k, k->t0 + 100 * MS);
	sk_ack(k, 0, b13, 1);
	resent_first(k, 0, 1);
	k->h.out.n = 0;
	h_advance(&k->h, 100 * MS);
	sk_ack(k, 4, NULL, 0);
}

TEST(test_estab_rack_fin_lost_resent)
{
	struct sk k;

	fin_lost_case(&k, rack);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK(k.h.tx[0].flags & TERN_TH_FIN);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + 4 * MSS);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 2);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 0);
	h_free(&k.h);
}

TEST(test_estab_rack_off_fin_lost_waits)
{
	struct sk k;

	fin_lost_case(&k, dupthresh);
	CHECK_EQ(k.h.out.n, 0);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 1);
	h_free(&k.h);
}
