// SPDX-License-Identifier: BSD-2-Clause
/*
 * Synchronized states (ESTABLISHED, CLOSE-WAIT): segment acceptance and the
 * replies Linux sends (tcp_validate_incoming, tcp_ack, tcp_send_challenge_ack,
 * tcp_oow_rate_limited in net/ipv4/tcp_input.c), in-order receive and the
 * peer's FIN. Every test starts from a connection made by h_connect(): a
 * Linux client option set (TS, SACK, WS 7), final ACK with window 502.
 */
#include <stdbool.h>
#include <string.h>

#include "tests/unit/harness.h"
#include "tests/unit/t.h"

#define CSEQ 0x10000000u /* client ISN */
#define TSV0 1000000u    /* client TSval in its SYN */
#define FAR 0x100000u    /* beyond our 256 KiB receive window */

/* One stack for the running test; the previous test's stack is freed when
 * the next one starts (it stays reachable meanwhile). */
static struct h hh;

struct est {
	struct h *h;
	struct tern_conn *c;
	uint32_t iss;     /* tern's ISS: SND.NXT is iss + 1 */
	uint32_t rcv;     /* tern's RCV.NXT */
	uint32_t tsval;   /* the client's last TSval */
	uint32_t ts_off;  /* the connection's TS offset */
};

static void h_reset(int family, void (*tweak)(struct tern_cfg *))
{
	if (hh.mem)
		h_free(&hh);
	if (family == 6)
		h_init6(&hh, tweak);
	else
		h_init(&hh, tweak);
}

/* A fresh stack with one established connection. */
static bool est_open(struct est *e, int family, void (*tweak)(struct tern_cfg *))
{
	memset(e, 0, sizeof(*e));
	h_reset(family, tweak);
	e->h = &hh;
	e->c = h_connect(&hh, CSEQ, TSV0, &e->iss);
	e->rcv = CSEQ + 1;
	e->tsval = TSV0 + 1; /* the handshake's ACK */
	if (!e->c)
		return false;
	e->ts_off = e->c->ts_off;
	return e->c->state == TERN_ESTABLISHED && e->c->ts_recent == TSV0 + 1 &&
	       (e->c->optf & (TERN_NEG_TS | TERN_NEG_SACK | TERN_NEG_WS)) ==
		       (TERN_NEG_TS | TERN_NEG_SACK | TERN_NEG_WS);
}

/* Our current TSval on this connection. */
static uint32_t our_tsval(const struct est *e)
{
	return tern_ms(e->h->now) + e->ts_off;
}

/* A segment from the client carrying a fresh TSval (and a correct TSecr). */
static struct tern_seg seg(struct est *e, uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct tern_seg s = h_seg(e->h, flags, seq, ack);

	s.win = 502;
	h_ts(&s, ++e->tsval, our_tsval(e));
	return s;
}

/* The same with a payload. */
static struct tern_seg dseg(struct est *e, uint32_t seq, const char *p)
{
	struct tern_seg s = seg(e, TERN_TH_ACK | TERN_TH_PSH, seq, e->iss + 1);

	s.payload = (const uint8_t *)p;
	s.len = (uint32_t)strlen(p);
	return s;
}

/* tx is a pure ACK of ours: SEQ = SND.NXT, the given ACK, TS echoing tsecr. */
static void check_ack(const struct est *e, const struct tern_tx *tx, uint32_t ack, uint32_t tsecr)
{
	struct tern_opts o = h_tx_opts(tx);

	CHECK_EQ(tx->flags, TERN_TH_ACK);
	CHECK_EQ(tx->seq, e->iss + 1);
	CHECK_EQ(tx->ack, ack);
	CHECK_EQ(tx->len, 0);
	CHECK(o.present & TERN_OPT_TS);
	CHECK_EQ(o.tsval, our_tsval(e));
	CHECK_EQ(o.tsecr, tsecr);
}

static uint32_t nconns(const struct est *e)
{
	return tern_stack__nconns(e->h->s);
}

/* ESTABLISHED -> CLOSE-WAIT with an in-order FIN. */
static bool to_close_wait(struct est *e)
{
	struct tern_seg s = seg(e, TERN_TH_FIN | TERN_TH_ACK, e->rcv, e->iss + 1);

	h_in(e->h, &s);
	if (e->h->fins != 1 || !e->h->conn || tern_conn__state(e->h->conn) != TERN_CLOSE_WAIT)
		return false;
	e->rcv++;
	return e->h->out.n == 1 && e->h->tx[0].ack == e->rcv;
}

/* --- RST (RFC 5961 3) --- */

TEST(test_estab_rst_exact)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = seg(&e, TERN_TH_RST | TERN_TH_ACK, e.rcv, e.iss + 1);
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_RST);
	CHECK(e.h->conn == NULL);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(H_MIB(e.h, EstabResets), 1);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 0);
}

TEST(test_estab_rst_in_window_challenge)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = seg(&e, TERN_TH_RST | TERN_TH_ACK, e.rcv + 1000, e.iss + 1);
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	CHECK_EQ(h_tx_opts(&e.h->tx[0]).tsecr, e.c->ts_recent);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 1);
	CHECK_EQ(e.h->closes, 0);
	CHECK_EQ(nconns(&e), 1);
	CHECK_EQ(H_MIB(e.h, EstabResets), 0);
	CHECK(e.h->conn == e.c);
	CHECK_EQ(tern_conn__state(e.c), TERN_ESTABLISHED);

	/* The right edge of the window is still "in window". */
	h_advance(e.h, 500 * TERN_NSEC_PER_MSEC);
	s = seg(&e, TERN_TH_RST, e.rcv + tern_rcv_window(e.h->s, e.c), 0);
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 1);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 2);
	CHECK_EQ(nconns(&e), 1);
}

TEST(test_estab_rst_out_of_window)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = seg(&e, TERN_TH_RST | TERN_TH_ACK, e.rcv + FAR, e.iss + 1);
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	s = seg(&e, TERN_TH_RST, e.rcv - 1000, 0); /* left of the window */
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.h->closes, 0);
	CHECK_EQ(nconns(&e), 1);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 0);
	CHECK_EQ(H_MIB(e.h, InDropOutOfWindow), 2);
	CHECK_EQ(H_MIB(e.h, EstabResets), 0);
}

/* RFC 7323 5.3 / tcp_validate_incoming: a RST needs no TS option ... */
TEST(test_estab_rst_no_ts)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = h_seg(e.h, TERN_TH_RST, e.rcv, 0);
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_RST);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(H_MIB(e.h, EstabResets), 1);
}

/* ... and "Reset is accepted even if it did not pass PAWS". */
TEST(test_estab_rst_paws_fail)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = h_seg(e.h, TERN_TH_RST | TERN_TH_ACK, e.rcv, e.iss + 1);
	h_ts(&s, TSV0 - 100000, our_tsval(&e));
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(H_MIB(e.h, PAWSEstab), 0);
	CHECK_EQ(H_MIB(e.h, EstabResets), 1);
}

/* --- SYN (RFC 5961 4) --- */

TEST(test_estab_syn_challenge)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	/* in window */
	s = seg(&e, TERN_TH_SYN, e.rcv + 1000, 0);
	h_linux_syn_opts(&s, e.tsval);
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	CHECK_EQ(H_MIB(e.h, TCPSYNChallenge), 1);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 1);
	CHECK_EQ(nconns(&e), 1);
	CHECK_EQ(e.h->closes, 0);
	CHECK_EQ(tern_conn__state(e.c), TERN_ESTABLISHED);

	/* out of window (a new SYN from a reused port) */
	h_advance(e.h, 500 * TERN_NSEC_PER_MSEC);
	s = seg(&e, TERN_TH_SYN, e.rcv + 0x40000000u, 0);
	h_linux_syn_opts(&s, e.tsval);
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	CHECK_EQ(H_MIB(e.h, TCPSYNChallenge), 2);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 2);

	/* SYN+ACK at RCV.NXT */
	h_advance(e.h, 500 * TERN_NSEC_PER_MSEC);
	s = seg(&e, TERN_TH_SYN | TERN_TH_ACK, e.rcv, e.iss + 1);
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	CHECK_EQ(H_MIB(e.h, TCPSYNChallenge), 3);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 3);
	CHECK_EQ(nconns(&e), 1);
	CHECK_EQ(e.h->closes, 0);
	CHECK_EQ(e.c->rcv_nxt, e.rcv);
}

/* --- challenge-ACK rate limits --- */

TEST(test_estab_challenge_ratelimit)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = seg(&e, TERN_TH_RST, e.rcv + 1000, 0);
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 1);
	s = seg(&e, TERN_TH_RST, e.rcv + 2000, 0);
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 1);
	CHECK_EQ(H_MIB(e.h, TCPACKSkippedChallenge), 1);

	h_advance(e.h, 499 * TERN_NSEC_PER_MSEC);
	s = seg(&e, TERN_TH_RST, e.rcv + 3000, 0);
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(H_MIB(e.h, TCPACKSkippedChallenge), 2);

	h_advance(e.h, 1 * TERN_NSEC_PER_MSEC); /* 500 ms after the first */
	s = seg(&e, TERN_TH_RST, e.rcv + 4000, 0);
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 2);
	CHECK_EQ(H_MIB(e.h, TCPACKSkippedChallenge), 2);
	CHECK_EQ(nconns(&e), 1);
}

static void limit10(struct tern_cfg *cfg)
{
	cfg->challenge_ack_limit = 10;
}

#define NGLOBAL 100

/* Open NGLOBAL connections (client ports 41000 + i, ISN CSEQ + i * 2^20). */
static bool open_many(void)
{
	uint32_t iss;

	h_reset(4, limit10);
	for (uint32_t i = 0; i < NGLOBAL; i++) {
		hh.cport = (uint16_t)(41000 + i);
		if (!h_connect(&hh, CSEQ + (i << 20), TSV0, &iss))
			return false;
	}
	return tern_stack__nconns(hh.s) == NGLOBAL;
}

/* One in-window bad RST to each connection; returns the ACKs sent. */
static uint32_t bad_rst_round(void)
{
	uint32_t acks = 0;

	for (uint32_t i = 0; i < NGLOBAL; i++) {
		struct tern_seg s;

		hh.cport = (uint16_t)(41000 + i);
		s = h_seg(&hh, TERN_TH_RST, CSEQ + (i << 20) + 1 + 1000, 0);
		h_in(&hh, &s);
		for (uint32_t k = 0; k < hh.out.n; k++)
			acks += hh.tx[k].flags == TERN_TH_ACK;
	}
	return acks;
}

/* tcp_send_challenge_ack: the per-second budget is drawn from
 * [limit/2, limit + limit/2 - 1]. */
TEST(test_estab_challenge_global_limit)
{
	uint32_t first, second;

	REQUIRE(open_many());
	first = bad_rst_round();
	CHECK(first >= 5 && first <= 14);
	CHECK_EQ(H_MIB(&hh, TCPChallengeACK), first);
	CHECK_EQ(H_MIB(&hh, OutAckGlobalLimited), NGLOBAL - first);
	CHECK_EQ(H_MIB(&hh, TCPACKSkippedChallenge), 0);
	CHECK_EQ(tern_stack__nconns(hh.s), NGLOBAL);

	/* The same second again: the budget is spent; the per-connection
	 * limit holds back the rest. */
	h_advance(&hh, 100 * TERN_NSEC_PER_MSEC);
	CHECK_EQ(bad_rst_round(), 0);
	CHECK_EQ(H_MIB(&hh, TCPACKSkippedChallenge), NGLOBAL);

	/* The next second has a new budget. */
	h_advance(&hh, 900 * TERN_NSEC_PER_MSEC);
	second = bad_rst_round();
	CHECK(second >= 5 && second <= 14);
	CHECK_EQ(H_MIB(&hh, TCPChallengeACK), first + second);
	CHECK_EQ(H_MIB(&hh, OutAckGlobalLimited), 2 * NGLOBAL - first - second);
	CHECK_EQ(tern_stack__nconns(hh.s), NGLOBAL);
	CHECK_EQ(hh.closes, 0);
}

/*
 * Linux's global limit is for challenge ACKs only (tcp_send_challenge_ack);
 * the dup ACK for an out-of-window segment (tcp_send_dupack after
 * tcp_oow_rate_limited) is limited per connection, never globally, and not
 * at all for data. Here every connection's peer retransmits data that is
 * out of window: each must get its ACK.
 */
TEST(test_estab_oow_ack_no_global_budget)
{
	uint32_t acks = 0;

	REQUIRE(open_many());
	for (uint32_t i = 0; i < NGLOBAL; i++) {
		struct tern_seg s;

		hh.cport = (uint16_t)(41000 + i);
		/* SEG.ACK does not matter: an out-of-window segment is
		 * refused before its ACK field is looked at. */
		s = h_seg(&hh, TERN_TH_ACK | TERN_TH_PSH, CSEQ + (i << 20) + 1 + FAR, 0);
		h_ts(&s, TSV0 + 2, 0);
		s.payload = (const uint8_t *)"abcd";
		s.len = 4;
		h_in(&hh, &s);
		for (uint32_t k = 0; k < hh.out.n; k++)
			acks += hh.tx[k].flags == TERN_TH_ACK &&
				hh.tx[k].ack == CSEQ + (i << 20) + 1;
	}
	CHECK_EQ(acks, NGLOBAL);
	CHECK_EQ(H_MIB(&hh, OutAckGlobalLimited), 0);
	CHECK_EQ(H_MIB(&hh, InDropOutOfWindow), NGLOBAL);
	CHECK_EQ(hh.ndata, 0);
}

/* --- ACK field (RFC 5961 5.2, RFC 9293 3.10.7.4) --- */

TEST(test_estab_ack_too_old)
{
	struct est e;
	struct tern_seg s;
	uint32_t maxw;

	REQUIRE(est_open(&e, 4, NULL));
	maxw = e.c->max_window;
	CHECK_EQ(maxw, 502u << 7);
	s = dseg(&e, e.rcv, "xyz");
	s.ack = e.iss + 1 - maxw - 1;
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 1);
	CHECK_EQ(e.h->ndata, 0);
	CHECK_EQ(e.c->rcv_nxt, e.rcv);
	CHECK_EQ(e.c->snd_una, e.iss + 1);
	CHECK_EQ(e.c->ts_recent, TSV0 + 1);
	CHECK_EQ(nconns(&e), 1);
}

/*
 * Linux tcp_ack() (since "tcp: do not accept ACK of bytes we never sent",
 * 2023, in every stable tree) clamps MAX.SND.WND to bytes_acked: on a
 * connection that has sent nothing, any SEG.ACK < SND.UNA gets a challenge
 * ACK and the segment is dropped, so blind data injection with an old ACK
 * value does not work.
 */
TEST(test_estab_ack_never_sent)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = dseg(&e, e.rcv, "evil");
	s.ack = e.iss + 1 - 1000; /* within max_window, but we never sent data */
	h_in(e.h, &s);
	CHECK_EQ(e.h->ndata, 0);
	CHECK_EQ(e.c->rcv_nxt, e.rcv);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 1);
}

TEST(test_estab_ack_unsent)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = dseg(&e, e.rcv, "data");
	s.ack = e.iss + 2; /* SND.NXT + 1 */
	h_in(e.h, &s);
	/* Linux 6.18 tcp_ack(): a challenge ACK, and the segment is dropped */
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 1);
	CHECK_EQ(H_MIB(e.h, InDropAckUnsent), 1);
	CHECK_EQ(e.h->ndata, 0);
	CHECK_EQ(e.c->rcv_nxt, e.rcv);
	CHECK_EQ(e.c->snd_una, e.iss + 1);
	CHECK_EQ(e.c->ts_recent, TSV0 + 1);
	CHECK_EQ(nconns(&e), 1);

	/* far above, within 500 ms: dropped, the challenge ACK rate-limited */
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 0x1000000);
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(H_MIB(e.h, InDropAckUnsent), 2);
	CHECK_EQ(H_MIB(e.h, TCPACKSkippedChallenge), 1);
}

/* --- PAWS and RFC 7323 5.3 --- */

TEST(test_estab_paws)
{
	struct est e;
	struct tern_seg s;
	const uint32_t old = TSV0 - 100000; /* far outside any replay window */

	REQUIRE(est_open(&e, 4, NULL));
	s = dseg(&e, e.rcv, "stale");
	s.opt.tsval = old;
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	CHECK_EQ(H_MIB(e.h, PAWSEstab), 1);
	CHECK_EQ(e.h->ndata, 0);
	CHECK_EQ(e.c->rcv_nxt, e.rcv);
	CHECK_EQ(e.c->ts_recent, TSV0 + 1);

	/* A pure ACK failing PAWS (not a disordered ACK: the TSval is far
	 * too old) gets a dup ACK ... */
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 1);
	s.opt.tsval = old;
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	CHECK_EQ(H_MIB(e.h, PAWSEstab), 2);

	/* ... and a second one within 500 ms gets none. */
	h_advance(e.h, 100 * TERN_NSEC_PER_MSEC);
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 1);
	s.opt.tsval = old;
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(H_MIB(e.h, PAWSEstab), 3);
	CHECK_EQ(H_MIB(e.h, TCPACKSkippedPAWS), 1);

	/* Data is exempt from the rate limit (tcp_oow_rate_limited). */
	s = dseg(&e, e.rcv, "stale");
	s.opt.tsval = old;
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 1);
	CHECK_EQ(H_MIB(e.h, PAWSEstab), 4);
	CHECK_EQ(H_MIB(e.h, TCPACKSkippedPAWS), 1);
	CHECK_EQ(e.h->ndata, 0);
	CHECK_EQ(nconns(&e), 1);

	/* The connection still works with a current TSval. */
	s = dseg(&e, e.rcv, "fresh");
	h_in(e.h, &s);
	CHECK_EQ(e.h->ndata, 5);
	CHECK_EQ(e.c->ts_recent, e.tsval);
}

/*
 * Linux 6.x's tcp_validate_incoming() applies PAWS only to segments that
 * carry a timestamp: data and FIN without one are accepted on a timestamp
 * connection (our replies keep carrying TS, ts_recent is left alone).
 */
TEST(test_estab_no_ts)
{
	struct est e;
	struct tern_seg s;
	struct tern_opts o;
	uint32_t recent;

	REQUIRE(est_open(&e, 4, NULL));
	recent = e.c->ts_recent;
	s = h_seg(e.h, TERN_TH_ACK | TERN_TH_PSH, e.rcv, e.iss + 1);
	s.win = 502;
	s.payload = (const uint8_t *)"nots";
	s.len = 4;
	h_in(e.h, &s);
	CHECK_EQ(e.h->ndata, 4);
	CHECK(!memcmp(e.h->data, "nots", 4));
	CHECK_EQ(e.c->rcv_nxt, e.rcv + 4);
	REQUIRE_EQ(e.h->out.n, 1); /* quickack after the handshake */
	check_ack(&e, &e.h->tx[0], e.rcv + 4, recent);
	CHECK_EQ(e.c->ts_recent, recent);
	e.rcv += 4;

	s = h_seg(e.h, TERN_TH_FIN | TERN_TH_ACK, e.rcv, e.iss + 1);
	s.win = 502;
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv + 1, recent);
	CHECK_EQ(e.h->fins, 1);
	CHECK_EQ(tern_conn__state(e.c), TERN_CLOSE_WAIT);
	o = h_tx_opts(&e.h->tx[0]);
	CHECK(o.present & TERN_OPT_TS);
}

/* A SYN without TS on a timestamp connection gets the RFC 5961 4.2
 * challenge ACK, as one with TS does (tcp_validate_incoming). */
TEST(test_estab_syn_no_ts_challenge)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = h_seg(e.h, TERN_TH_SYN, e.rcv + 100, 0);
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, e.c->ts_recent);
	CHECK_EQ(H_MIB(e.h, TCPSYNChallenge), 1);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 1);
	CHECK_EQ(H_MIB(e.h, InErrs), 1);
	CHECK_EQ(nconns(&e), 1);
	CHECK_EQ(tern_conn__state(e.c), TERN_ESTABLISHED);
}

/* An in-window RST without TS that is not exactly at RCV.NXT: challenge
 * ACK (RFC 5961 3.2), the connection stays. */
TEST(test_estab_rst_no_ts_in_window_challenge)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = h_seg(e.h, TERN_TH_RST, e.rcv + 1, 0);
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, e.c->ts_recent);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 1);
	CHECK_EQ(nconns(&e), 1);
}

/* --- data --- */

TEST(test_estab_data_in_order)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = dseg(&e, e.rcv, "hello");
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->ndata, 5);
	CHECK(!memcmp(e.h->data, "hello", 5));
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv + 5, e.tsval); /* ts_recent now the new TSval */
	CHECK_EQ(e.c->rcv_nxt, e.rcv + 5);

	s = dseg(&e, e.rcv + 5, " world");
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->ndata, 11);
	CHECK(!memcmp(e.h->data, "hello world", 11));
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv + 11, e.tsval);
}

TEST(test_estab_data_overlap)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = dseg(&e, e.rcv, "abcde");
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->ndata, 5);
	s = dseg(&e, e.rcv + 2, "cdefgh"); /* starts before RCV.NXT */
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->ndata, 8);
	CHECK(!memcmp(e.h->data, "abcdefgh", 8));
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].ack, e.rcv + 8);
	CHECK_EQ(e.c->rcv_nxt, e.rcv + 8);
}

TEST(test_estab_data_old)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = dseg(&e, e.rcv, "abcde");
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->ndata, 5);
	s = dseg(&e, e.rcv, "abcde"); /* the same segment again */
	h_in(e.h, &s);
	CHECK_EQ(e.h->ndata, 5);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].flags, TERN_TH_ACK);
	CHECK_EQ(e.h->tx[0].ack, e.rcv + 5);
	s = dseg(&e, e.rcv + 1, "bc"); /* a part of it */
	h_in(e.h, &s);
	CHECK_EQ(e.h->ndata, 5);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].ack, e.rcv + 5);
	CHECK_EQ(e.c->rcv_nxt, e.rcv + 5);
}

TEST(test_estab_data_out_of_order)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = dseg(&e, e.rcv + 100, "later");
	h_in(e.h, &s);
	CHECK_EQ(e.h->ndata, 0);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].flags, TERN_TH_ACK);
	CHECK_EQ(e.h->tx[0].seq, e.iss + 1);
	CHECK_EQ(e.h->tx[0].ack, e.rcv);
	CHECK_EQ(e.c->rcv_nxt, e.rcv);
	CHECK_EQ(H_MIB(e.h, InDropOutOfWindow), 0);
}

/* --- out-of-window segments --- */

TEST(test_estab_oow_ack_ratelimit)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = seg(&e, TERN_TH_ACK, e.rcv + FAR, e.iss + 1);
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	CHECK_EQ(H_MIB(e.h, InDropOutOfWindow), 1);

	h_advance(e.h, 200 * TERN_NSEC_PER_MSEC);
	s = seg(&e, TERN_TH_ACK, e.rcv - 5000, e.iss + 1); /* left of the window */
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(H_MIB(e.h, TCPACKSkippedSeq), 1);
	CHECK_EQ(H_MIB(e.h, InDropOutOfWindow), 2);

	h_advance(e.h, 300 * TERN_NSEC_PER_MSEC);
	s = seg(&e, TERN_TH_ACK, e.rcv + FAR, e.iss + 1);
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 1);
	CHECK_EQ(H_MIB(e.h, TCPACKSkippedSeq), 1);
	CHECK_EQ(nconns(&e), 1);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 0);
}

TEST(test_estab_oow_data_not_ratelimited)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	for (int i = 0; i < 3; i++) {
		s = dseg(&e, e.rcv + FAR, "beyond");
		h_in(e.h, &s);
		REQUIRE_EQ(e.h->out.n, 1);
		check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	}
	s = dseg(&e, e.rcv - 5000, "before"); /* entirely left of the window */
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	/* a FIN counts as data here too */
	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv + FAR, e.iss + 1);
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->fins, 0);
	CHECK_EQ(H_MIB(e.h, TCPACKSkippedSeq), 0);
	CHECK_EQ(H_MIB(e.h, InDropOutOfWindow), 5);
	CHECK_EQ(e.h->ndata, 0);
	CHECK_EQ(e.c->rcv_nxt, e.rcv);
}

/* --- window --- */

TEST(test_estab_window_update)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	CHECK_EQ(e.c->snd_wnd, 502u << 7);
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 1);
	s.win = 1000;
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.c->snd_wnd, 1000u << 7);
	CHECK_EQ(e.c->max_window, 1000u << 7);

	/* a plain duplicate: nothing to answer */
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 1);
	s.win = 1000;
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.c->snd_wnd, 1000u << 7);
	CHECK_EQ(e.c->ts_recent, e.tsval);
	CHECK_EQ(nconns(&e), 1);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 0);
}

/* --- FIN and CLOSE-WAIT --- */

TEST(test_estab_fin)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = dseg(&e, e.rcv, "bye");
	s.flags |= TERN_TH_FIN;
	h_in(e.h, &s);
	CHECK_EQ(e.h->ndata, 3);
	CHECK_EQ(e.h->fins, 1);
	REQUIRE(e.h->conn == e.c);
	CHECK_EQ(tern_conn__state(e.c), TERN_CLOSE_WAIT);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv + 3 + 1, e.tsval);
	CHECK_EQ(e.c->rcv_nxt, e.rcv + 4);
	CHECK_EQ(e.h->closes, 0);
	CHECK_EQ(nconns(&e), 1);
}

TEST(test_estab_fin_out_of_order)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv + 10, e.iss + 1);
	h_in(e.h, &s);
	CHECK_EQ(e.h->fins, 0);
	CHECK_EQ(tern_conn__state(e.c), TERN_ESTABLISHED);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].ack, e.rcv);
}

/* tcp_rcv_state_process: in CLOSE-WAIT a segment before RCV.NXT goes to
 * tcp_data_queue, which ACKs a retransmission at once. */
TEST(test_closewait_fin_retransmit)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	REQUIRE(to_close_wait(&e));
	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv - 1, e.iss + 1);
	h_in(e.h, &s);
	CHECK_EQ(e.h->fins, 1);
	CHECK_EQ(tern_conn__state(e.c), TERN_CLOSE_WAIT);
	REQUIRE_EQ(e.h->out.n, 1);
	/* SEG.SEQ <= RCV.WUP: its TSval becomes ts_recent (tcp_replace_ts_recent) */
	check_ack(&e, &e.h->tx[0], e.rcv, s.opt.tsval);
	CHECK_EQ(e.c->rcv_nxt, e.rcv);
	CHECK_EQ(nconns(&e), 1);
}

TEST(test_closewait_data_after_fin)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	REQUIRE(to_close_wait(&e));
	s = dseg(&e, e.rcv, "late");
	h_in(e.h, &s);
	CHECK_EQ(e.h->ndata, 0);
	CHECK_EQ(e.c->rcv_nxt, e.rcv);
	CHECK_EQ(e.h->fins, 1);
	CHECK_EQ(tern_conn__state(e.c), TERN_CLOSE_WAIT);
	CHECK_EQ(nconns(&e), 1);
}

TEST(test_closewait_rst_exact)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	REQUIRE(to_close_wait(&e));
	s = seg(&e, TERN_TH_RST, e.rcv, 0);
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_RST);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(H_MIB(e.h, EstabResets), 1);
}

/* tcp_reset_check(): in CLOSE-WAIT (and LAST-ACK, CLOSING) a RST whose
 * SEQ is RCV.NXT - 1, the peer's FIN, resets too. */
TEST(test_closewait_rst_fin_seq)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	REQUIRE(to_close_wait(&e));
	s = seg(&e, TERN_TH_RST, e.rcv - 1, 0);
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_RST);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(H_MIB(e.h, EstabResets), 1);
}

/* tcp_rcv_state_process (every state but ESTABLISHED): tcp_ack() < 0 for
 * SEG.ACK > SND.NXT -> tcp_send_challenge_ack(). */
TEST(test_closewait_ack_unsent)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	REQUIRE(to_close_wait(&e));
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 2);
	h_in(e.h, &s);
	CHECK_EQ(H_MIB(e.h, InDropAckUnsent), 1);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, e.c->ts_recent);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 1);
	CHECK_EQ(nconns(&e), 1);
}

TEST(test_closewait_rst_challenge)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL));
	REQUIRE(to_close_wait(&e));
	s = seg(&e, TERN_TH_RST, e.rcv + 100, 0);
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].flags, TERN_TH_ACK);
	CHECK_EQ(e.h->tx[0].ack, e.rcv);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 1);
	CHECK_EQ(e.h->closes, 0);
	CHECK_EQ(nconns(&e), 1);
}

/* --- the application refuses the connection --- */

TEST(test_estab_accept_refused)
{
	struct tern_seg s;
	struct tern_opts o;
	uint32_t iss;

	h_reset(4, NULL);
	hh.refuse = 1;
	s = h_seg(&hh, TERN_TH_SYN, CSEQ, 0);
	h_linux_syn_opts(&s, TSV0);
	h_in(&hh, &s);
	REQUIRE_EQ(hh.out.n, 1);
	iss = hh.tx[0].seq;
	o = h_tx_opts(&hh.tx[0]);
	s = h_seg(&hh, TERN_TH_ACK, CSEQ + 1, iss + 1);
	s.win = 502;
	h_ts(&s, TSV0 + 1, o.tsval);
	h_in(&hh, &s);
	CHECK_EQ(hh.accepts, 1);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(hh.tx[0].seq, iss + 1);
	CHECK_EQ(hh.tx[0].ack, CSEQ + 1);
	CHECK_EQ(hh.closes, 1);
	CHECK(hh.conn == NULL);
	CHECK_EQ(tern_stack__nconns(hh.s), 0);
	CHECK_EQ(tern_stack__nreqs(hh.s), 0);
	CHECK_EQ(H_MIB(&hh, OutRsts), 1);

	/* The client's next segment finds no connection: plain RST. */
	s = h_seg(&hh, TERN_TH_ACK, CSEQ + 1, iss + 1);
	h_ts(&s, TSV0 + 2, o.tsval);
	h_in(&hh, &s);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK(hh.tx[0].flags & TERN_TH_RST);
	CHECK_EQ(hh.accepts, 1);
}

/* --- IPv6 --- */

TEST(test_estab_rst_exact_v6)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 6, NULL));
	CHECK_EQ(tern_conn__tuple(e.c)->family, 6);
	s = seg(&e, TERN_TH_RST | TERN_TH_ACK, e.rcv, e.iss + 1);
	h_in(e.h, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_RST);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(H_MIB(e.h, EstabResets), 1);
}

TEST(test_estab_rst_challenge_v6)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 6, NULL));
	s = seg(&e, TERN_TH_RST, e.rcv + 1000, 0);
	h_in(e.h, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_ack(&e, &e.h->tx[0], e.rcv, TSV0 + 1);
	CHECK_EQ(e.h->tx[0].t.family, 6);
	CHECK(!memcmp(&e.h->tx[0].t, tern_conn__tuple(e.c), sizeof(struct tern_tuple)));
	CHECK(!memcmp(&e.h->tx[0].t.laddr, &s.t.laddr, sizeof(s.t.laddr)));
	CHECK(!memcmp(e.h->tx[0].l2.peer_mac, s.l2.peer_mac, 6));
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 1);
	CHECK_EQ(nconns(&e), 1);
	CHECK_EQ(e.h->closes, 0);
}
