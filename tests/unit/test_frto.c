// SPDX-License-Identifier: BSD-2-Clause
/*
 * F-RTO (frto.c, RFC 5682 3.1 as Linux's tcp_process_loss): a sender of
 * 20 segments (sk.h), 10 sent at t0 with cwnd 10, no loss probes, RACK
 * records. The RTO fires at +300 ms, cwnd drops to one segment and
 * segment 0 is resent. The client negotiated SACK without timestamps
 * (Windows' default), so Eifel cannot tell an original's ACK from a
 * resend's: only F-RTO can.
 */
#include "sk.h"
#include "t.h"

static void frto_on(struct tern_cfg *c)
{
	c->rack_segs = 65536;
	c->loss_probes = 0;
}

static void frto_off(struct tern_cfg *c)
{
	frto_on(c);
	c->frto = 0;
}

/* Twenty segments queued, ten out, the RTO at +300 ms resends 0. */
static int rto_case(struct sk *k, void (*tweak)(struct tern_cfg *))
{
	if (!sk_open_nots(k, 20, tweak))
		return 0;
	sk_poll_at(k, k->t0 + 300 * MS);
	return H_MIB(&k->h, TCPTimeouts) == 1 && k->h.out.n == 1 && k->h.tx[0].seq == k->una0 &&
	       k->h.conn->cwnd == MSS;
}

/* Every segment out is new data, from segment `from` on. */
static void all_new_from(struct sk *k, uint32_t from)
{
	for (uint32_t i = 0; i < k->h.out.n; i++)
		CHECK_EQ(k->h.tx[i].seq, k->una0 + (from + i) * MSS);
}

/* +10 ms: the ACK of segment 0 (the original's or the resend's). Returns
 * the segments sent on it. */
static uint32_t ack_first(struct sk *k)
{
	h_advance(&k->h, 10 * MS);
	sk_ack(k, 1, NULL, 0);
	return k->h.out.n;
}

static int in_loss(const struct sk *k)
{
	return tern_conn_xmit(k->h.s, k->h.conn)->loss;
}

/*
 * Segment 0 was delayed, not lost. The first ACK (of 0, for the original
 * or the resend) sends two new segments, 10 and 11, not 1 and 2 (step
 * 2b). The next ACK covers the originals 1-3, never resent: the RTO was
 * spurious (step 3b), cwnd and ssthresh come back and only new data
 * follows; the rest of the flight is never resent.
 */
TEST(test_estab_frto_delayed_segment_undoes_rto)
{
	struct sk k;

	REQUIRE(rto_case(&k, frto_on));
	REQUIRE_EQ(ack_first(&k), 2);
	all_new_from(&k, 10);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 1);
	CHECK(in_loss(&k));
	h_advance(&k.h, 10 * MS);
	sk_ack(&k, 4, NULL, 0);
	CHECK_EQ(H_MIB(&k.h, TCPSpuriousRTOs), 1);
	CHECK_EQ(H_MIB(&k.h, TCPLossUndo), 1);
	CHECK(!in_loss(&k));
	CHECK(k.h.conn->cwnd >= 10 * MSS);
	CHECK_EQ(k.h.conn->ssthresh, UINT32_MAX);
	CHECK(k.h.out.n >= 1);
	all_new_from(&k, 12);
	h_advance(&k.h, 10 * MS);
	sk_ack(&k, 10, NULL, 0);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 1);
	CHECK_EQ(H_MIB(&k.h, TCPSpuriousRTOs), 1);
	h_free(&k.h);
}

/* The first ACK after the RTO already covers originals (0-2): undone at
 * once, without step 2b. */
TEST(test_estab_frto_first_ack_of_originals_undoes)
{
	struct sk k;

	REQUIRE(rto_case(&k, frto_on));
	h_advance(&k.h, 10 * MS);
	sk_ack(&k, 3, NULL, 0);
	CHECK_EQ(H_MIB(&k.h, TCPSpuriousRTOs), 1);
	CHECK_EQ(H_MIB(&k.h, TCPLossUndo), 1);
	CHECK(!in_loss(&k));
	CHECK(k.h.conn->cwnd >= 10 * MSS);
	all_new_from(&k, 10);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 1);
	h_free(&k.h);
}

/* A SACK of originals (1-3) with 0 still missing: they got through
 * after the RTO, so it was spurious (FLAG_ORIG_SACK_ACKED by SACK);
 * nothing but 0 was ever resent. */
TEST(test_estab_frto_sack_of_originals_undoes)
{
	static const uint32_t b13[][2] = { { 1, 4 } };
	struct sk k;

	REQUIRE(rto_case(&k, frto_on));
	h_advance(&k.h, 10 * MS);
	sk_ack(&k, 0, b13, 1);
	CHECK_EQ(H_MIB(&k.h, TCPSpuriousRTOs), 1);
	CHECK(!in_loss(&k));
	CHECK(k.h.conn->cwnd >= 10 * MSS);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 1);
	h_free(&k.h);
}

/*
 * The whole flight was lost. The ACK of the resent 0 sends new data (10,
 * 11); the client SACKs 10 above the hole at 1: the loss was real (step
 * 3a). Recovery resends 1 and 2 (cwnd 2, nothing counted in flight), and
 * nothing is undone.
 */
TEST(test_estab_frto_real_loss_recovers)
{
	static const uint32_t b10[][2] = { { 10, 11 } }, b1011[][2] = { { 10, 12 } };
	struct sk k;

	REQUIRE(rto_case(&k, frto_on));
	REQUIRE_EQ(ack_first(&k), 2);
	all_new_from(&k, 10);
	h_advance(&k.h, 10 * MS);
	sk_ack(&k, 1, b10, 1);
	CHECK(!tern_conn_rack(k.h.s, k.h.conn)->frto);
	CHECK(in_loss(&k));
	REQUIRE(k.h.out.n >= 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + 1 * MSS);
	h_advance(&k.h, 1 * MS);
	sk_ack(&k, 1, b1011, 1);
	CHECK_EQ(H_MIB(&k.h, TCPSpuriousRTOs), 0);
	CHECK_EQ(H_MIB(&k.h, TCPLossUndo), 0);
	CHECK(k.h.conn->cwnd < 10 * MSS);
	CHECK(k.h.conn->ssthresh < 10 * MSS);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 3);
	h_free(&k.h);
}

/* After step 2b a duplicate ACK that only reports a duplicate (D-SACK
 * of 0) says nothing about the new data: F-RTO goes on, and a SACK of
 * originals (2-4) undoes (FLAG_DSACKING_ACK is no dupack in tcp_ack). */
TEST(test_estab_frto_dsack_dupack_keeps_frto)
{
	static const uint32_t d0[][2] = { { 0, 1 } }, b24[][2] = { { 2, 5 } };
	struct sk k;

	REQUIRE(rto_case(&k, frto_on));
	REQUIRE_EQ(ack_first(&k), 2);
	h_advance(&k.h, 1 * MS);
	sk_ack(&k, 1, d0, 1);
	CHECK_EQ(H_MIB(&k.h, TCPDSACKRecv), 1);
	CHECK(tern_conn_rack(k.h.s, k.h.conn)->frto);
	CHECK_EQ(k.h.out.n, 0);
	h_advance(&k.h, 10 * MS);
	sk_ack(&k, 1, b24, 1);
	CHECK_EQ(H_MIB(&k.h, TCPSpuriousRTOs), 1);
	CHECK_EQ(H_MIB(&k.h, TCPLossUndo), 1);
	h_free(&k.h);
}

/* F-RTO off (tcp_frto 0): the first ACK resends 1 and 2 (the flight is
 * marked lost), and the ACK of originals undoes nothing. */
TEST(test_estab_frto_off_resends_and_keeps_cwnd)
{
	struct sk k;

	REQUIRE(rto_case(&k, frto_off));
	REQUIRE_EQ(ack_first(&k), 2);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + 1 * MSS);
	CHECK_EQ(k.h.tx[1].seq, k.una0 + 2 * MSS);
	h_advance(&k.h, 10 * MS);
	sk_ack(&k, 4, NULL, 0);
	CHECK_EQ(H_MIB(&k.h, TCPSpuriousRTOs), 0);
	CHECK_EQ(H_MIB(&k.h, TCPLossUndo), 0);
	CHECK(in_loss(&k));
	CHECK(k.h.conn->cwnd < 10 * MSS);
	CHECK(H_MIB(&k.h, RetransSegs) > 3);
	h_free(&k.h);
}

/*
 * Timeouts that recur on the same SND.UNA keep F-RTO (RFC 5682 3.2), and
 * an RTO that ends a fast recovery starts none (tcp_enter_loss()'s
 * new_recovery).
 */
TEST(test_estab_frto_recurring_rto_keeps_it)
{
	struct sk k;

	REQUIRE(rto_case(&k, frto_on));
	CHECK(tern_conn_rack(k.h.s, k.h.conn)->frto);
	sk_poll_at(&k, k.t0 + 900 * MS);
	REQUIRE_EQ(H_MIB(&k.h, TCPTimeouts), 2);
	CHECK(tern_conn_rack(k.h.s, k.h.conn)->frto);
	h_advance(&k.h, 10 * MS);
	sk_ack(&k, 3, NULL, 0);
	CHECK_EQ(H_MIB(&k.h, TCPSpuriousRTOs), 1);
	h_free(&k.h);
}

TEST(test_estab_frto_not_after_fast_recovery)
{
	static const uint32_t b29[][2] = { { 2, 10 } };
	struct sk k;

	REQUIRE(sk_open_nots(&k, 20, frto_on));
	sk_poll_at(&k, k.t0 + 100 * MS);
	sk_ack(&k, 0, b29, 1);
	REQUIRE(k.h.conn->flags & TERN_CF_RECOVERY);
	sk_poll_at(&k, k.h.now + 1000 * MS);
	REQUIRE(H_MIB(&k.h, TCPTimeouts) >= 1);
	CHECK(in_loss(&k));
	CHECK(!tern_conn_rack(k.h.s, k.h.conn)->frto);
	h_free(&k.h);
}
