// SPDX-License-Identifier: BSD-2-Clause
/*
 * RTT samples in µs from RACK's per-segment records, as Linux takes them
 * (tcp_clean_rtx_queue -> tcp_ack_update_rtt, tcp_sacktag_one): SRTT
 * from the oldest segment newly ACKed that was never resent, the
 * congestion control and min_rtt from the newest; none when a resent
 * segment is ACKed (Karn); the SACKed segments' when the cumulative ACK
 * gives none; the TS echo only after that. Hand-driven sender (sk.h):
 * the 100 ms handshake gives SRTT 100 ms (srtt_us 800000) and min_rtt
 * 100 ms, and every ACK echoes a TSval ecr_lag_ms old (100 ms unless a
 * case says), so an echo's sample is told apart from the records'. A
 * sample m moves srtt_us by m - 100000 (tcp_rtt_estimator: srtt +=
 * m - srtt / 8).
 */
#include "sk.h"
#include "t.h"

static uint8_t data[16 * MSS];

/* The congestion control's samples (pkts_acked), CUBIC's otherwise. */
static uint32_t cc_rtt[64];
static int cc_n;
static struct tern_cc_ops spy;

static int spy_on_rtt(struct tern_conn *c, uint32_t *priv, uint32_t rtt_us, uint64_t now_ns)
{
	if (cc_n < 64)
		cc_rtt[cc_n++] = rtt_us;
	return tern_cc_cubic.on_rtt(c, priv, rtt_us, now_ns);
}

static void spy_on_stack(struct h *h)
{
	spy = tern_cc_cubic;
	spy.on_rtt = spy_on_rtt;
	h->s->cc = &spy;
	cc_n = 0;
}

static void spy_on(struct sk *k)
{
	spy_on_stack(&k->h);
}

static void no_probes(struct tern_cfg *c)
{
	c->loss_probes = 0;
}

static void no_records(struct tern_cfg *c)
{
	c->rack_segs = 0;
}

/* n more full segments go out now. */
static void send_more(struct sk *k, uint32_t n)
{
	REQUIRE_EQ(h_send(&k->h, data, n * MSS), (int)(n * MSS));
	REQUIRE_EQ(k->h.out.n, n);
}

static uint32_t min_rtt(const struct sk *k)
{
	return tern_rack_min_rtt_us(k->h.s, k->h.conn);
}

/* The client's ACK up to ackno, with the usual TS echo. */
static void ack_to(struct sk *k, uint32_t ackno)
{
	struct tern_seg a = h_seg(&k->h, TERN_TH_ACK, 1001, ackno);

	a.win = 65535;
	h_ts(&a, 3, tern_ms(k->h.now) - k->ecr_lag_ms + k->h.conn->ts_off);
	h_in(&k->h, &a);
}

/* n0 segments at t0, n1 more at t0 + later_ms, and at t0 + at_ms the
 * client's ACK of ack segments with nb blocks, echoing a TSval ecr_ms
 * old; the congestion control's samples are recorded from the start. */
static int exchange(struct sk *k, void (*tweak)(struct tern_cfg *), uint32_t n0, uint32_t later_ms,
		    uint32_t n1, uint32_t at_ms, uint32_t ecr_ms, uint32_t ack,
		    const uint32_t (*b)[2], int nb)
{
	if (!sk_open(k, n0, tweak))
		return 0;
	spy_on(k);
	h_advance(&k->h, later_ms * MS);
	send_more(k, n1);
	sk_poll_at(k, k->t0 + at_ms * MS);
	k->ecr_lag_ms = ecr_ms;
	sk_ack(k, ack, b, nb);
	return 1;
}

/*
 * Four segments at t0, four at t0 + 5 ms, all ACKed at t0 + 20 ms: SRTT
 * takes the oldest, 20 ms (srtt_us 720000); the congestion control and
 * min_rtt the newest, 15 ms; not the echo's 100 ms.
 */
TEST(test_estab_rtt_us_cum_ack_oldest_and_newest)
{
	struct sk k;

	REQUIRE(exchange(&k, NULL, 4, 5, 4, 20, 100, 8, NULL, 0));
	CHECK_EQ(k.h.conn->snd_una, k.una0 + 8 * MSS);
	CHECK_EQ(k.h.conn->srtt_us, 720000u);
	REQUIRE_EQ(cc_n, 1);
	CHECK_EQ(cc_rtt[0], 15000u);
	CHECK_EQ(min_rtt(&k), 15000u);
	h_free(&k.h);
}

/*
 * Microseconds, not ms: ACKed 40 µs after they went, the samples are 40
 * µs (srtt_us 800000 + 40 - 100000), where an echo gives at least 1 ms.
 */
TEST(test_estab_rtt_us_sub_ms_sample)
{
	struct sk k;

	REQUIRE(sk_open(&k, 2, NULL));
	spy_on(&k);
	k.ecr_lag_ms = 0;
	sk_poll_at(&k, k.t0 + 40000);
	sk_ack(&k, 2, NULL, 0);
	CHECK_EQ(k.h.conn->srtt_us, 800000u + 40 - 100000);
	REQUIRE_EQ(cc_n, 1);
	CHECK_EQ(cc_rtt[0], 40u);
	CHECK_EQ(min_rtt(&k), 40u);
	h_free(&k.h);
}

/*
 * Karn: two segments at t0, the first resent by the RTO at t0 + 300 ms,
 * both ACKed 10 ms later. The second was never resent, but a resent one
 * is ACKed with it (FLAG_RETRANS_DATA_ACKED): no sample from either, and
 * the echo (from the future here) gives none: SRTT, the backoff and the
 * congestion control are as they were.
 */
static int rto_then_ack(struct sk *k, uint32_t ecr_ms)
{
	if (!sk_open(k, 2, no_probes))
		return 0;
	spy_on(k);
	sk_poll_at(k, k->t0 + 300 * MS);
	CHECK_EQ(H_MIB(&k->h, TCPTimeouts), 1);
	CHECK_EQ(k->h.conn->backoff, 1);
	k->ecr_lag_ms = ecr_ms;
	h_advance(&k->h, 10 * MS);
	sk_ack(k, 2, NULL, 0);
	return 1;
}

TEST(test_estab_rtt_us_retransmitted_no_sample)
{
	struct sk k;

	REQUIRE(rto_then_ack(&k, (uint32_t)-10)); /* a TSval we never sent */
	CHECK_EQ(k.h.conn->snd_una, k.una0 + 2 * MSS);
	CHECK_EQ(k.h.conn->srtt_us, 800000u);
	CHECK_EQ(k.h.conn->backoff, 1);
	CHECK_EQ(cc_n, 0);
	CHECK_EQ(min_rtt(&k), 100000u);
	h_free(&k.h);
}

/* The same ACK with a valid echo, 10 ms: the echo is the sample (RFC
 * 7323 4.1: it tells the transmissions apart), and the backoff goes. */
TEST(test_estab_rtt_us_retransmitted_takes_ts)
{
	struct sk k;

	REQUIRE(rto_then_ack(&k, 10));
	CHECK_EQ(k.h.conn->srtt_us, 800000u + 10000 - 100000);
	CHECK_EQ(k.h.conn->backoff, 0);
	REQUIRE_EQ(cc_n, 1);
	CHECK_EQ(cc_rtt[0], 10000u);
	h_free(&k.h);
}

/*
 * A SACK-only ACK (a duplicate ACK with a block): two segments at t0,
 * two at t0 + 10 ms; at t0 + 30 ms segments 1-3 are SACKed, 0 is not.
 * SRTT takes the oldest SACKed, 30 ms (srtt_us 730000); the congestion
 * control and min_rtt the newest, 20 ms; the echo, none.
 */
TEST(test_estab_rtt_us_sack_only_ack)
{
	static const uint32_t b13[][2] = { { 1, 4 } };
	struct sk k;

	REQUIRE(exchange(&k, NULL, 2, 10, 2, 30, 100, 0, b13, 1));
	CHECK_EQ(k.h.conn->snd_una, k.una0);
	CHECK_EQ(k.h.conn->srtt_us, 730000u);
	REQUIRE(cc_n >= 1);
	CHECK_EQ(cc_rtt[0], 20000u);
	CHECK_EQ(min_rtt(&k), 20000u);
	h_free(&k.h);
}

/*
 * The cumulative ACK's sample first, the congestion control's from the
 * SACK: segment 0 ACKed and segment 2 SACKed at t0 + 30 ms, 2 sent at
 * t0 + 10 ms: SRTT 30 ms (the oldest ACKed), cc 20 ms (the newest
 * SACKed, tcp_clean_rtx_queue()'s last_sackt).
 */
TEST(test_estab_rtt_us_cum_and_sack)
{
	static const uint32_t b2[][2] = { { 2, 3 } };
	struct sk k;

	REQUIRE(exchange(&k, NULL, 2, 10, 1, 30, 100, 1, b2, 1));
	CHECK_EQ(k.h.conn->srtt_us, 730000u);
	REQUIRE(cc_n >= 1);
	CHECK_EQ(cc_rtt[0], 20000u);
	h_free(&k.h);
}

/*
 * Without records (--rack-segs 0) the echo is the sample, as before
 * RACK: the first case's ACK echoing a TSval 50 ms old gives 50 ms to
 * SRTT and to the congestion control.
 */
TEST(test_estab_rtt_us_no_records_takes_ts)
{
	struct sk k;

	REQUIRE(exchange(&k, no_records, 4, 5, 4, 20, 50, 8, NULL, 0));
	CHECK(!tern_rack_on(k.h.s, k.h.conn));
	CHECK_EQ(k.h.conn->srtt_us, 800000u + 50000 - 100000);
	REQUIRE_EQ(cc_n, 1);
	CHECK_EQ(cc_rtt[0], 50000u);
	h_free(&k.h);
}

/*
 * Our FIN is the newest segment ACKed: two segments at t0, the FIN
 * alone at t0 + 4 ms, all ACKed at t0 + 10 ms: SRTT 10 ms, the
 * congestion control the FIN's 6 ms.
 */
TEST(test_estab_rtt_us_fin_newest)
{
	struct sk k;

	REQUIRE(sk_open(&k, 2, NULL));
	spy_on(&k);
	h_advance(&k.h, 4 * MS);
	REQUIRE_EQ(h_shutdown(&k.h), 0);
	REQUIRE_EQ(k.h.out.n, 1);
	REQUIRE(k.h.tx[0].flags & TERN_TH_FIN);
	sk_poll_at(&k, k.t0 + 10 * MS);
	ack_to(&k, k.una0 + 2 * MSS + 1);
	CHECK_EQ(k.h.conn->snd_una, k.una0 + 2 * MSS + 1);
	CHECK_EQ(k.h.conn->srtt_us, 800000u + 10000 - 100000);
	REQUIRE_EQ(cc_n, 1);
	CHECK_EQ(cc_rtt[0], 6000u);
	h_free(&k.h);
}

/*
 * FLAG_ACK_MAYBE_DELAYED: a lone short segment's ACK may have been
 * delayed by the peer, so its sample, above the minimum, is kept out of
 * min_rtt (tcp_update_rtt_min). min_rtt is 20 ms from a full segment;
 * 301 s later (past the 300 s window, when any sample would replace it)
 * 100 bytes are ACKed 40 ms after they went: min_rtt stays 20 ms. A full
 * segment's ACK in its place gives 40 ms.
 */
static uint32_t min_after_idle(uint32_t len)
{
	struct sk k;
	uint32_t v;

	if (!sk_open(&k, 1, NULL))
		return 0;
	sk_poll_at(&k, k.t0 + 20 * MS);
	sk_ack(&k, 1, NULL, 0);
	CHECK_EQ(min_rtt(&k), 20000u);
	h_advance(&k.h, 301000 * MS);
	CHECK_EQ(h_send(&k.h, data, len), (int)len);
	h_advance(&k.h, 40 * MS);
	ack_to(&k, k.una0 + MSS + len);
	CHECK_EQ(k.h.conn->snd_una, k.una0 + MSS + len);
	v = min_rtt(&k);
	h_free(&k.h);
	return v;
}

TEST(test_estab_rtt_us_maybe_delayed_keeps_min)
{
	CHECK_EQ(min_after_idle(100), 20000u);
	CHECK_EQ(min_after_idle(MSS), 40000u);
}

/* The handshake's sample sets SRTT and the RTO but is not the congestion
 * control's: Linux's passive open calls pkts_acked() without one. */
TEST(test_synrcvd_rtt_us_handshake_not_cc)
{
	struct h h;
	uint32_t iss;

	h_init(&h, NULL);
	spy_on_stack(&h);
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	CHECK(h.conn->srtt_us != 0);
	CHECK_EQ(cc_n, 0);
	h_free(&h);
}

/*
 * Karn for our FIN: two segments ACKed at t0 + 20 ms (SRTT 20 ms:
 * srtt_us 720000), then the FIN alone, resent by the RTO, and ACKed 10
 * ms after that with an echo from the future: no sample.
 */
TEST(test_estab_rtt_us_fin_resent_no_sample)
{
	struct sk k;

	REQUIRE(sk_open(&k, 2, no_probes));
	spy_on(&k);
	sk_poll_at(&k, k.t0 + 20 * MS);
	sk_ack(&k, 2, NULL, 0);
	REQUIRE_EQ(k.h.conn->srtt_us, 720000u);
	REQUIRE_EQ(h_shutdown(&k.h), 0);
	REQUIRE_EQ(k.h.out.n, 1);
	sk_poll_at(&k, k.h.now + 1000 * MS);
	REQUIRE_EQ(H_MIB(&k.h, RetransSegs), 1);
	REQUIRE(k.h.out.n == 1 && (k.h.tx[0].flags & TERN_TH_FIN));
	h_advance(&k.h, 10 * MS);
	k.ecr_lag_ms = (uint32_t)-10;
	ack_to(&k, k.una0 + 2 * MSS + 1);
	CHECK_EQ(k.h.conn->snd_una, k.una0 + 2 * MSS + 1);
	CHECK_EQ(k.h.conn->srtt_us, 720000u);
	CHECK_EQ(cc_n, 1);
	h_free(&k.h);
}
