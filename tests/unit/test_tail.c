// SPDX-License-Identifier: BSD-2-Clause
/*
 * The tail of a short response under loss (docs/tcp-data-path.md, "Short
 * GETs under loss"): the application closes while data is queued, so our
 * FIN rides on the last data segment, as on Linux's last skb. Whatever
 * sends that segment again (RACK, a loss probe) sends the FIN with it
 * (Linux retransmits the skb, FIN included), so a lost FIN never waits
 * for the RTO once its data went again; and RACK's reordering timer is
 * not put off by a loss probe of what was delivered. Hand-driven sender
 * (sk.h): SRTT = min_rtt = 100 ms, RTO 300 ms.
 */
#include "sk.h"
#include "t.h"

/* n segments queued, 10 sent at t0 (IW), then the close; at +100 ms the
 * ACK of n - 10 segments lets the rest out, the FIN on the last. */
static void open_tail(struct sk *k, uint32_t n)
{
	REQUIRE(sk_open(k, n, NULL));
	REQUIRE_EQ(h_shutdown(&k->h), 0);
	REQUIRE_EQ(k->h.out.n, 0);
	sk_poll_at(k, k->t0 + 100 * MS);
	k->h.out.n = 0;
	sk_ack(k, n - 10, NULL, 0);
	REQUIRE_EQ(k->h.out.n, n - 10);
	REQUIRE(k->h.tx[n - 11].flags & TERN_TH_FIN);
	REQUIRE_EQ(k->h.tx[n - 11].seq, k->una0 + (n - 1) * MSS);
}

/* The segment tx[i] is segment seg again, with our FIN. */
static void fin_resent(struct sk *k, uint32_t i, uint32_t seg)
{
	REQUIRE(k->h.out.n > i);
	CHECK_EQ(k->h.tx[i].seq, k->una0 + seg * MSS);
	CHECK_EQ(k->h.tx[i].len, MSS);
	CHECK(k->h.tx[i].flags & TERN_TH_FIN);
}

/* At t, the client's ACK of bytes from una0. */
static void ack_to(struct sk *k, uint64_t t, uint32_t bytes)
{
	struct tern_seg a;

	sk_poll_at(k, t);
	k->h.out.n = 0;
	a = h_seg(&k->h, TERN_TH_ACK, 1001, k->una0 + bytes);
	a.win = 65535;
	h_ts(&a, 4, tern_ms(k->h.now) - k->ecr_lag_ms + k->h.conn->ts_off);
	h_in(&k->h, &a);
}

/* At at_ms from t0 the client's ACK, which sends nothing at once; then
 * time passes until something goes (or +1 s). */
static void ack_then_wait(struct sk *k, uint32_t at_ms, uint32_t segs, const uint32_t (*blk)[2],
			  int n)
{
	sk_poll_at(k, k->t0 + at_ms * MS);
	k->h.out.n = 0;
	sk_ack(k, segs, blk, n);
	CHECK_EQ(k->h.out.n, 0);
	for (uint32_t ms = at_ms + 1; ms < 1000 && !k->h.out.n; ms++)
		sk_poll_at(k, k->t0 + ms * MS);
}

/*
 * 10, 11 and 12 + FIN go at +100 ms; 10 and 12 + FIN are lost, 11 is
 * SACKed at +200 ms. RACK finds 10 lost at its reordering timer and
 * resends it; its ACK (+400 ms) shows 12, sent before it, lost too: 12
 * goes again at once and carries the FIN, and the client's ACK of it
 * (+500 ms) takes us to FIN-WAIT-2 without a timeout. Without the FIN
 * on that segment, the FIN alone waited for the RTO.
 */
TEST(test_estab_rack_lost_tail_resent_with_fin)
{
	static const uint32_t b11[][2] = { { 11, 12 } };
	struct sk k;

	open_tail(&k, 13);
	sk_poll_at(&k, k.t0 + 200 * MS);
	k.h.out.n = 0;
	sk_ack(&k, 10, b11, 1);
	sk_poll_at(&k, k.t0 + 300 * MS);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + 10 * MSS);
	CHECK(!(k.h.tx[0].flags & TERN_TH_FIN));
	h_advance(&k.h, 100 * MS);
	k.h.out.n = 0;
	sk_ack(&k, 12, NULL, 0);
	fin_resent(&k, 0, 12);
	CHECK_EQ(H_MIB(&k.h, RetransSegs), 2);
	/* the client acknowledges what came: the FIN too if it rode */
	ack_to(&k, k.t0 + 500 * MS, 13 * MSS + !!(k.h.tx[0].flags & TERN_TH_FIN));
	for (uint32_t ms = 501; ms < 1000 && !k.h.out.n && k.h.conn->state != TERN_FIN_WAIT_2; ms++)
		sk_poll_at(&k, k.t0 + ms * MS);
	if (k.h.out.n)
		ack_to(&k, k.h.now + 100 * MS, 13 * MSS + 1);
	CHECK_EQ(k.h.conn->state, TERN_FIN_WAIT_2);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 0);
	h_free(&k.h);
}

/*
 * 10 and 11 + FIN go at +100 ms and 11 + FIN is lost: at +200 ms the ACK
 * of 11 segments leaves it alone in flight. What goes first is the loss
 * probe (2 x SRTT + 2 ms later: data and FIN count as two), the last
 * segment again, FIN included (tcp_send_loss_probe() resends the last
 * skb).
 */
TEST(test_estab_probe_last_segment_with_fin)
{
	struct sk k;

	open_tail(&k, 12);
	ack_then_wait(&k, 200, 11, NULL, 0);
	fin_resent(&k, 0, 11);
	CHECK_EQ(k.h.out.n, 1);
	CHECK_EQ(H_MIB(&k.h, TCPLossProbes), 1);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 0);
	h_free(&k.h);
}

/*
 * 10, 11 and 12 + FIN go at +100 ms and 10 is lost. The ACK of 0-9 at
 * +200 ms arms the loss probe for +427 ms (2 x SRTT + 2 ms, SRTT 112.5
 * ms); the ACK that SACKs 11 and 12 comes late, at +420 ms, and RACK's
 * reordering timer for 10 is due after the probe (12's RTT + min_rtt / 4
 * + 2 ms after 10 went: +447 ms). The reordering timer takes the slot
 * all the same (tcp_rack_mark_lost() re-arms ICSK_TIME_REO_TIMEOUT,
 * tcp_identify_packet_loss() keeps tcp_set_xmit_timer() from putting the
 * probe back): 10 goes again when it fires, not a probe of 12, which the
 * client has.
 */
TEST(test_estab_rack_reo_timer_replaces_probe)
{
	static const uint32_t b1113[][2] = { { 11, 13 } };
	struct sk k;

	open_tail(&k, 13);
	sk_poll_at(&k, k.t0 + 200 * MS);
	sk_ack(&k, 10, NULL, 0);
	ack_then_wait(&k, 420, 10, b1113, 1);
	REQUIRE_EQ(k.h.out.n, 1);
	CHECK_EQ(k.h.tx[0].seq, k.una0 + 10 * MSS);
	CHECK_EQ(H_MIB(&k.h, TCPRackReoTimeout), 1);
	CHECK_EQ(H_MIB(&k.h, TCPLossProbes), 0);
	CHECK_EQ(H_MIB(&k.h, TCPTimeouts), 0);
	h_free(&k.h);
}
