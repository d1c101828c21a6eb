// SPDX-License-Identifier: BSD-2-Clause
/*
 * Closing, keepalive and timeouts of a connection: the application's
 * close/shutdown/abort, the closing handshake up to (and into) TIME-WAIT
 * (RFC 9293 3.6, Linux tcp_rcv_state_process / tcp_fin / tcp_time_wait),
 * RST on data after close and on close with unread data (RFC 2525 2.17,
 * RFC 1122 4.2.2.13), FIN retransmission and the orphaned FIN-WAIT-2
 * timeout, keepalive (RFC 1122 4.2.3.6, tcp_keepalive_timer) and
 * TCP_USER_TIMEOUT (RFC 5482). TIME-WAIT's own rules are in
 * test_timewait.c; here only the paths into it. Every test starts from a
 * connection made by h_connect(): TS, SACK, WS 7, final ACK window 502.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tests/unit/harness.h"
#include "tests/unit/t.h"
#include "user/core/tw.h"

#define CSEQ 0x10000000u /* client ISN */
#define TSV0 1000000u    /* client TSval in its SYN */
#define MS(x) ((uint64_t)(x) * TERN_NSEC_PER_MSEC)
#define SEC(x) ((uint64_t)(x) * TERN_NSEC_PER_SEC)

/* One stack for the running test; freed when the next test starts. */
static struct h hh;

/* Payload source: the core keeps pointers into it until acked. */
static uint8_t buf[8192];

struct est {
	struct h *h;
	struct tern_conn *c;
	uint16_t cport;
	uint32_t iss;    /* tern's ISS: SND.NXT is iss + 1 */
	uint32_t rcv;    /* tern's RCV.NXT */
	uint32_t tsval;  /* the client's last TSval */
	uint32_t ts_off; /* the connection's TS offset */
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

/* A connection from client port cport on the current stack. */
static bool est_add(struct est *e, uint16_t cport)
{
	memset(e, 0, sizeof(*e));
	e->h = &hh;
	e->cport = cport;
	hh.cport = cport;
	e->c = h_connect(&hh, CSEQ, TSV0, &e->iss);
	e->rcv = CSEQ + 1;
	e->tsval = TSV0 + 1; /* the handshake's ACK */
	if (!e->c)
		return false;
	e->ts_off = e->c->ts_off;
	return e->c->state == TERN_ESTABLISHED &&
	       (e->c->optf & (TERN_NEG_TS | TERN_NEG_SACK | TERN_NEG_WS)) ==
		       (TERN_NEG_TS | TERN_NEG_SACK | TERN_NEG_WS);
}

/* A fresh stack (listener options lo, may be NULL) with one connection. */
static bool est_open(struct est *e, int family, void (*tweak)(struct tern_cfg *),
		     const struct tern_listen_opts *lo)
{
	h_reset(family, tweak);
	if (lo) {
		struct tern_seg s = h_seg(&hh, 0, 0, 0);

		if (tern_stack__listen_opts(hh.s, &s.t.laddr, 80, lo))
			return false;
	}
	return est_add(e, 40000);
}

/* Application calls on e's connection. */
static int e_send(struct est *e, const void *p, uint32_t len)
{
	e->h->conn = e->c;
	return h_send(e->h, p, len);
}

static int e_close(struct est *e)
{
	e->h->conn = e->c;
	return h_close(e->h);
}

static int e_shutdown(struct est *e)
{
	e->h->conn = e->c;
	return h_shutdown(e->h);
}

static void e_abort(struct est *e)
{
	e->h->conn = e->c;
	h_abort(e->h);
}

static uint32_t our_tsval(const struct est *e)
{
	return tern_ms(e->h->now) + e->ts_off;
}

/* A segment from e's client with a fresh TSval (and a current TSecr). */
static struct tern_seg seg(struct est *e, uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct tern_seg s;

	e->h->cport = e->cport;
	s = h_seg(e->h, flags, seq, ack);
	s.win = 502;
	h_ts(&s, ++e->tsval, our_tsval(e));
	return s;
}

/* The same with a payload. */
static struct tern_seg dseg(struct est *e, uint32_t seq, uint32_t ack, const char *p)
{
	struct tern_seg s = seg(e, TERN_TH_ACK | TERN_TH_PSH, seq, ack);

	s.payload = (const uint8_t *)p;
	s.len = (uint32_t)strlen(p);
	return s;
}

static void in(struct est *e, const struct tern_seg *s)
{
	h_in(e->h, s);
}

static uint32_t nconns(const struct est *e)
{
	return tern_stack__nconns(e->h->s);
}

static uint32_t ntw(const struct est *e)
{
	return e->h->s->tws.used;
}

/* e's TIME-WAIT record, or NULL. */
static struct tern_tw *tw_find(const struct est *e)
{
	struct tern_seg s;

	e->h->cport = e->cport;
	s = h_seg(e->h, 0, 0, 0);
	return tern_tw__lookup(e->h->s, tern_tuple_hash(&e->h->s->sec.table, &s.t), &s.t);
}

/* A bare segment of ours: flags, SEQ, ACK, no payload. */
static void check_seg(const struct tern_tx *tx, uint8_t flags, uint32_t seq, uint32_t ack)
{
	CHECK_EQ(tx->flags, flags);
	CHECK_EQ(tx->seq, seq);
	CHECK_EQ(tx->ack, ack);
	CHECK_EQ(tx->len, 0);
}

/* --- virtual time --- */

struct ev {
	uint64_t at;
	struct tern_tx tx;
};

static struct ev evs[256];
static uint32_t nev;

static void log_out(const struct h *h)
{
	for (uint32_t i = 0; i < h->out.n && nev < sizeof(evs) / sizeof(evs[0]); i++)
		evs[nev++] = (struct ev){ .at = h->now, .tx = h->tx[i] };
}

/* Poll at every deadline up to `until`, then at `until`, logging what is
 * sent; clears the log first. */
static void run_until(struct h *h, uint64_t until)
{
	int idle = 0;

	nev = 0;
	for (int guard = 0; guard < 100000; guard++) {
		uint64_t d = tern_stack__next_deadline(h->s);

		if (d > until)
			break;
		if (d <= h->now && ++idle > 4)
			break;
		if (d > h->now) {
			h->now = d;
			idle = 0;
		}
		h_poll(h);
		log_out(h);
	}
	if (until > h->now)
		h->now = until;
	h_poll(h);
	log_out(h);
}

static uint32_t count_flags(uint8_t flags)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < nev; i++)
		n += evs[i].tx.flags == flags;
	return n;
}

/* --- active close --- */

/* ESTABLISHED -> FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT, FIN after the data. */
TEST(test_estab_close_to_time_wait)
{
	struct est e;
	struct tern_seg s;
	struct tern_tw *tw;
	uint32_t fin;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	REQUIRE_EQ(e_send(&e, buf, 3000), 3000);
	REQUIRE_EQ(e.h->out.n, 3);
	CHECK_EQ(e.h->tx[0].seq, e.iss + 1);
	CHECK_EQ(e.h->tx[2].seq + e.h->tx[2].len, e.iss + 1 + 3000);

	REQUIRE_EQ(e_close(&e), 0);
	fin = e.iss + 1 + 3000;
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_FIN | TERN_TH_ACK, fin, e.rcv);
	CHECK(h_tx_opts(&e.h->tx[0]).present & TERN_OPT_TS);
	CHECK_EQ(tern_conn__state(e.c), TERN_FIN_WAIT_1);
	CHECK_EQ(e.c->snd_max, fin + 1);
	CHECK_EQ(e.h->closes, 0);

	/* The peer ACKs data and FIN. */
	h_advance(e.h, MS(10));
	s = seg(&e, TERN_TH_ACK, e.rcv, fin + 1);
	in(&e, &s);
	CHECK_EQ(e.h->out.n, 0);
	REQUIRE_EQ(nconns(&e), 1);
	CHECK_EQ(tern_conn__state(e.c), TERN_FIN_WAIT_2);
	CHECK_EQ(e.h->acked, 3000);
	CHECK_EQ(e.h->closes, 0);

	/* The peer's FIN: ACK it, the record goes, TIME-WAIT keeps the tuple. */
	h_advance(e.h, MS(10));
	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv, fin + 1);
	in(&e, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_ACK, fin + 1, e.rcv + 1);
	CHECK_EQ(h_tx_opts(&e.h->tx[0]).tsecr, e.tsval);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(ntw(&e), 1);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_FIN);
	CHECK(e.h->conn == NULL);
	CHECK_EQ(e.h->fins, 0); /* closed: no fin() */
	CHECK_EQ(H_MIB(e.h, TW), 1);
	CHECK_EQ(H_MIB(e.h, TCPTimeWaitOverflow), 0);
	CHECK_EQ(H_MIB(e.h, OutRsts), 0);

	/* The record took the connection's state ... */
	tw = tw_find(&e);
	REQUIRE(tw);
	CHECK_EQ(tw->snd_nxt, fin + 1);
	CHECK_EQ(tw->rcv_nxt, e.rcv + 1);
	CHECK_EQ(tw->ts_recent, e.tsval);

	/* ... and answers a retransmitted FIN with the same ACK. */
	h_advance(e.h, MS(200));
	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv, fin + 1);
	in(&e, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_ACK, fin + 1, e.rcv + 1);
	CHECK_EQ(e.h->closes, 1);
}

/* The FIN waits behind data the peer's window holds back, then rides on
 * the segment with the last byte (tcp_send_fin() on the unsent tail). */
TEST(test_estab_close_fin_after_queued_data)
{
	struct est e;
	struct tern_seg s;
	uint32_t i, next;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	REQUIRE_EQ(e_send(&e, buf, 1000), 1000);
	REQUIRE_EQ(e.h->out.n, 1);
	/* ACK it and shrink the window to 8 << 7 = 1024 bytes */
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 1001);
	s.win = 8;
	in(&e, &s);
	REQUIRE_EQ(e.c->snd_wnd, 1024);

	REQUIRE_EQ(e_send(&e, buf + 1000, 3000), 3000);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].len, 1024);
	REQUIRE_EQ(e_close(&e), 0);
	CHECK_EQ(e.h->out.n, 0); /* 1976 bytes still queued: no FIN yet */
	CHECK_EQ(tern_conn__state(e.c), TERN_FIN_WAIT_1);

	/* The window opens: the rest, the FIN on its last segment. */
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 1001 + 1024);
	in(&e, &s);
	REQUIRE(e.h->out.n >= 1);
	next = e.iss + 1001 + 1024;
	for (i = 0; i < e.h->out.n; i++) {
		CHECK_EQ(e.h->tx[i].seq, next);
		CHECK(e.h->tx[i].len > 0);
		CHECK_EQ(!!(e.h->tx[i].flags & TERN_TH_FIN), i + 1 == e.h->out.n);
		next += e.h->tx[i].len;
	}
	CHECK_EQ(next, e.iss + 1 + 4000);
	CHECK_EQ(e.h->tx[i - 1].flags, TERN_TH_FIN | TERN_TH_PSH | TERN_TH_ACK);
	CHECK_EQ(e.c->snd_max, e.iss + 1 + 4000 + 1);
}

/* FIN+ACK of our FIN in FIN-WAIT-1: straight to TIME-WAIT. */
TEST(test_fin_wait_1_fin_ack_to_time_wait)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	REQUIRE_EQ(e_close(&e), 0);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_FIN | TERN_TH_ACK, e.iss + 1, e.rcv);

	h_advance(e.h, MS(5));
	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv, e.iss + 2);
	in(&e, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_ACK, e.iss + 2, e.rcv + 1);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(ntw(&e), 1);
	CHECK(tw_find(&e));
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_FIN);
	CHECK_EQ(H_MIB(e.h, TW), 1);
}

/* Simultaneous close: the peer's FIN does not ACK ours -> CLOSING; the
 * ACK of our FIN then -> TIME-WAIT (tcp_fin, tcp_rcv_state_process). */
TEST(test_fin_wait_1_fin_simultaneous)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	REQUIRE_EQ(e_close(&e), 0);
	REQUIRE_EQ(e.h->out.n, 1);

	h_advance(e.h, MS(5));
	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv, e.iss + 1);
	in(&e, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_ACK, e.iss + 2, e.rcv + 1);
	REQUIRE_EQ(nconns(&e), 1);
	CHECK_EQ(tern_conn__state(e.c), TERN_CLOSING);
	CHECK_EQ(ntw(&e), 0);
	CHECK_EQ(e.h->closes, 0);
	CHECK_EQ(e.h->fins, 0); /* closed: no fin() */

	h_advance(e.h, MS(5));
	s = seg(&e, TERN_TH_ACK, e.rcv + 1, e.iss + 2);
	in(&e, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(ntw(&e), 1);
	CHECK(tw_find(&e));
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_FIN);
	CHECK_EQ(H_MIB(e.h, TW), 1);
}

/* --- passive close --- */

TEST(test_close_wait_close_last_ack)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv, e.iss + 1);
	in(&e, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_ACK, e.iss + 1, e.rcv + 1);
	CHECK_EQ(e.h->fins, 1);
	REQUIRE_EQ(tern_conn__state(e.c), TERN_CLOSE_WAIT);

	/* a retransmitted FIN: re-ACKed, fin() not again */
	h_advance(e.h, MS(300));
	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv, e.iss + 1);
	in(&e, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_ACK, e.iss + 1, e.rcv + 1);
	CHECK_EQ(e.h->fins, 1);

	REQUIRE_EQ(e_close(&e), 0);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_FIN | TERN_TH_ACK, e.iss + 1, e.rcv + 1);
	CHECK_EQ(tern_conn__state(e.c), TERN_LAST_ACK);
	CHECK_EQ(e.h->closes, 0);

	h_advance(e.h, MS(5));
	s = seg(&e, TERN_TH_ACK, e.rcv + 1, e.iss + 2);
	in(&e, &s);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_FIN);
	CHECK_EQ(e.h->fins, 1);
	CHECK_EQ(ntw(&e), 0);
	CHECK(!tw_find(&e));
	CHECK_EQ(H_MIB(e.h, TW), 0);
	CHECK_EQ(H_MIB(e.h, OutRsts), 0);
}

/* --- shutdown and data after close --- */

/* shutdown closes the sending side only: the peer's data is delivered in
 * FIN-WAIT-1 and FIN-WAIT-2. */
TEST(test_fin_wait_1_shutdown_receives)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	REQUIRE_EQ(e_shutdown(&e), 0);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_FIN | TERN_TH_ACK, e.iss + 1, e.rcv);
	CHECK_EQ(tern_conn__state(e.c), TERN_FIN_WAIT_1);
	CHECK_EQ(e_shutdown(&e), 0); /* again: nothing new */
	CHECK_EQ(e.h->out.n, 0);

	h_advance(e.h, MS(5));
	s = dseg(&e, e.rcv, e.iss + 1, "abc");
	in(&e, &s);
	CHECK_EQ(e.h->ndata, 3);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_ACK, e.iss + 2, e.rcv + 3);
	CHECK_EQ(tern_conn__state(e.c), TERN_FIN_WAIT_1);
	e.rcv += 3;

	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 2);
	in(&e, &s);
	REQUIRE_EQ(nconns(&e), 1);
	CHECK_EQ(tern_conn__state(e.c), TERN_FIN_WAIT_2);
	CHECK_EQ(e.c->ka_at, 0); /* not orphaned: no FIN-WAIT-2 timer */

	h_advance(e.h, MS(5));
	s = dseg(&e, e.rcv, e.iss + 2, "defg");
	in(&e, &s);
	CHECK_EQ(e.h->ndata, 7);
	CHECK(!memcmp(e.h->data, "abcdefg", 7));
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_ACK, e.iss + 2, e.rcv + 4);
	e.rcv += 4;
	CHECK_EQ(H_MIB(e.h, TCPAbortOnData), 0);

	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv, e.iss + 2);
	in(&e, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_ACK, e.iss + 2, e.rcv + 1);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(ntw(&e), 1);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_FIN);
}

/*
 * After shutdown the application still reads, so it must hear of the
 * peer's FIN through fin() whichever state the FIN arrives in. In
 * FIN-WAIT-1 (-> CLOSING) fin() runs; in FIN-WAIT-2 it must too (Linux
 * tcp_fin sets RCV_SHUTDOWN and wakes the reader in every state).
 */
TEST(test_fin_wait_2_fin_after_shutdown_calls_fin)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	REQUIRE_EQ(e_shutdown(&e), 0);
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 2);
	in(&e, &s);
	REQUIRE_EQ(tern_conn__state(e.c), TERN_FIN_WAIT_2);
	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv, e.iss + 2);
	in(&e, &s);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->fins, 1);
}

/* RFC 2525 2.17 / tcp_rcv_state_process: data after close gets a RST. */
TEST(test_fin_wait_1_data_after_close)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	REQUIRE_EQ(e_close(&e), 0);
	REQUIRE_EQ(e.h->out.n, 1);
	h_advance(e.h, MS(5));
	s = dseg(&e, e.rcv, e.iss + 2, "late"); /* ACKs our FIN too */
	in(&e, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK(e.h->tx[0].flags & TERN_TH_RST);
	CHECK_EQ(e.h->tx[0].seq, e.iss + 2);
	CHECK_EQ(e.h->ndata, 0);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(ntw(&e), 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_ABORT);
	CHECK_EQ(H_MIB(e.h, TCPAbortOnData), 1);
	CHECK_EQ(H_MIB(e.h, OutRsts), 1);
}

TEST(test_fin_wait_2_data_after_close)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	REQUIRE_EQ(e_close(&e), 0);
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 2);
	in(&e, &s);
	REQUIRE_EQ(tern_conn__state(e.c), TERN_FIN_WAIT_2);
	h_advance(e.h, MS(5));
	s = dseg(&e, e.rcv, e.iss + 2, "late");
	s.flags |= TERN_TH_FIN;
	in(&e, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK(e.h->tx[0].flags & TERN_TH_RST);
	CHECK_EQ(e.h->tx[0].seq, e.iss + 2);
	CHECK_EQ(e.h->ndata, 0);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(ntw(&e), 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_ABORT);
	CHECK_EQ(H_MIB(e.h, TCPAbortOnData), 1);
}

/*
 * The RST for data after close must be one the peer accepts at once. Linux
 * answers from tcp_v4_do_rcv -> tcp_v4_send_reset(): SEQ = SEG.ACK, which
 * is exactly the peer's RCV.NXT (RFC 5961 3.2). Here the peer has not seen
 * our FIN yet (SEG.ACK = SND.UNA = FIN's sequence): a RST at SND.NXT (one
 * past the FIN) is only in-window for the peer, which then sends a
 * challenge ACK instead of resetting.
 */
TEST(test_fin_wait_1_data_after_close_rst_seq)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	REQUIRE_EQ(e_close(&e), 0);
	h_advance(e.h, MS(5));
	s = dseg(&e, e.rcv, e.iss + 1, "late"); /* sent before our FIN arrived */
	in(&e, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK(e.h->tx[0].flags & TERN_TH_RST);
	CHECK_EQ(e.h->tx[0].seq, s.ack);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(H_MIB(e.h, TCPAbortOnData), 1);
}

/* --- close with unread data, abort --- */

/* RFC 2525 2.17: out-of-order data the application never saw -> RST. */
TEST(test_estab_close_unread_ooo)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	s = dseg(&e, e.rcv + 10, e.iss + 1, "hole");
	s.frame = 77;
	CHECK_EQ(h_in(e.h, &s), 1); /* kept */
	REQUIRE_EQ(e.c->ooo.n, 1);

	REQUIRE_EQ(e_close(&e), 0);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_RST | TERN_TH_ACK, e.iss + 1, e.rcv);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(ntw(&e), 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_ABORT);
	CHECK_EQ(e.h->released, 1);
	CHECK_EQ(e.h->last_released, 77);
	CHECK_EQ(H_MIB(e.h, TCPAbortOnClose), 1);
	CHECK_EQ(H_MIB(e.h, OutRsts), 1);
	CHECK_EQ(H_MIB(e.h, TW), 0);
}

/* tcp_send_active_reset: RST+ACK at tcp_acceptable_seq(), ACK = RCV.NXT. */
TEST(test_estab_abort)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	s = dseg(&e, e.rcv, e.iss + 1, "hi");
	in(&e, &s);
	e.rcv += 2;
	REQUIRE_EQ(e_send(&e, buf, 100), 100);
	e_abort(&e);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_RST | TERN_TH_ACK, e.iss + 1 + 100, e.rcv);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_ABORT);
	CHECK(e.h->conn == NULL);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(ntw(&e), 0);
	CHECK_EQ(H_MIB(e.h, OutRsts), 1);
	CHECK_EQ(H_MIB(e.h, EstabResets), 1);
	CHECK_EQ(tern_stack__next_deadline(e.h->s), UINT64_MAX);
}

/* The peer shrank its window below SND.NXT: SEQ = SND.UNA + SND.WND. */
TEST(test_estab_abort_shrunk_window)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	REQUIRE_EQ(e_send(&e, buf, 3000), 3000);
	REQUIRE_EQ(e.c->snd_max, e.iss + 3001);
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 1001);
	s.win = 8; /* 1024 bytes: the right edge is iss + 2025 < SND.NXT */
	in(&e, &s);
	REQUIRE_EQ(e.c->snd_wnd, 1024);
	e_abort(&e);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_RST | TERN_TH_ACK, e.iss + 1001 + 1024, e.rcv);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_ABORT);
	CHECK_EQ(nconns(&e), 0);
}

/*
 * RFC 7323 3.2: with timestamps negotiated TSopt "SHOULD be sent in an
 * <RST> segment"; Linux's tcp_send_active_reset() goes through
 * tcp_transmit_skb(), which adds it (and a real window).
 */
TEST(test_estab_abort_rst_has_ts)
{
	struct est e;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	e_abort(&e);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK(h_tx_opts(&e.h->tx[0]).present & TERN_OPT_TS);
}

/* --- retransmitted FIN, FIN-WAIT-2 timeout --- */

static void no_loss_probes(struct tern_cfg *c)
{
	c->loss_probes = 0;
}

/* Our FIN is retransmitted with the data RTO and backoff (200 ms after
 * the handshake's sample of 0 ms, 400 ms, 800 ms ... capped at 120 s);
 * after cfg.retries retransmissions, reset. The application only shut
 * down its side: the connection is not an orphan (those use
 * orphan_retries, test_orphan.c). */
TEST(test_fin_wait_1_fin_retransmit)
{
	struct est e;
	uint64_t t0, at, rto = SEC(1) / 5;
	uint32_t retries;

	REQUIRE(est_open(&e, 4, no_loss_probes, NULL)); /* the RTO's rule, alone */
	retries = e.h->s->cfg.retries;
	REQUIRE_EQ(e_shutdown(&e), 0);
	REQUIRE_EQ(e.h->out.n, 1);
	t0 = e.h->now;
	CHECK(tern_stack__next_deadline(e.h->s) <= t0 + SEC(1)); /* wheel: at or before */

	run_until(e.h, t0 + SEC(3600));
	REQUIRE_EQ(nev, retries + 1);
	at = t0;
	for (uint32_t i = 0; i < retries; i++) {
		at += rto;
		CHECK_EQ(evs[i].at, at);
		check_seg(&evs[i].tx, TERN_TH_FIN | TERN_TH_ACK, e.iss + 1, e.rcv);
		rto = rto * 2 > SEC(120) ? SEC(120) : rto * 2;
	}
	at += rto;
	CHECK_EQ(evs[retries].at, at);
	check_seg(&evs[retries].tx, TERN_TH_RST | TERN_TH_ACK, e.iss + 2, e.rcv);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(ntw(&e), 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_TIMEOUT);
	CHECK_EQ(H_MIB(e.h, RetransSegs), retries);
	CHECK_EQ(H_MIB(e.h, TCPTimeouts), retries);
	CHECK_EQ(H_MIB(e.h, TCPAbortOnTimeout), 1);
}

/* Close, FIN acked, then nothing: FIN-WAIT-2 ends after fin_timeout. */
static void fin_wait_2_timeout(void (*tweak)(struct tern_cfg *), uint32_t ms)
{
	struct est e;
	struct tern_seg s;
	uint64_t t1;

	REQUIRE(est_open(&e, 4, tweak, NULL));
	REQUIRE_EQ(e.h->s->cfg.fin_timeout_ms, ms);
	REQUIRE_EQ(e_close(&e), 0);
	h_advance(e.h, MS(20));
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 2);
	in(&e, &s);
	REQUIRE_EQ(tern_conn__state(e.c), TERN_FIN_WAIT_2);
	t1 = e.h->now;

	run_until(e.h, t1 + MS(ms) - MS(1));
	CHECK_EQ(nev, 0);
	CHECK_EQ(nconns(&e), 1);
	CHECK_EQ(e.h->closes, 0);

	/* Silent, as Linux's FIN_WAIT2 timewait socket with tcp_fin_timeout
	 * not above TIME-WAIT's length: no RST. */
	run_until(e.h, t1 + MS(ms));
	CHECK_EQ(nev, 0);
	CHECK_EQ(H_MIB(e.h, OutRsts), 0);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(ntw(&e), 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_TIMEOUT);
	CHECK_EQ(H_MIB(e.h, TCPFinWait2Timeout), 1);
}

TEST(test_fin_wait_2_timeout)
{
	fin_wait_2_timeout(NULL, 60000);
}

static void fin5s(struct tern_cfg *cfg)
{
	cfg->fin_timeout_ms = 5000;
}

TEST(test_fin_wait_2_timeout_custom)
{
	fin_wait_2_timeout(fin5s, 5000);
}

/*
 * shutdown, FIN acked (FIN-WAIT-2, no timer: the application may still
 * read), then close: now orphaned, the FIN-WAIT-2 timeout must run. Nothing
 * else is armed on the connection, and the peer stays silent.
 */
TEST(test_fin_wait_2_close_after_shutdown_times_out)
{
	struct est e;
	struct tern_seg s;
	uint64_t t1;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	REQUIRE_EQ(e_shutdown(&e), 0);
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 2);
	in(&e, &s);
	REQUIRE_EQ(tern_conn__state(e.c), TERN_FIN_WAIT_2);
	h_advance(e.h, SEC(1));
	REQUIRE_EQ(e_close(&e), 0);
	CHECK_EQ(e.h->out.n, 0);
	t1 = e.h->now;
	/* the wheel reports a time at or before the deadline; none at all here */
	CHECK(tern_stack__next_deadline(e.h->s) <= t1 + MS(e.h->s->cfg.fin_timeout_ms));

	run_until(e.h, t1 + MS(e.h->s->cfg.fin_timeout_ms));
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(H_MIB(e.h, TCPFinWait2Timeout), 1);
}

/* --- send after close, TIME-WAIT table full --- */

TEST(test_estab_send_after_shutdown_epipe)
{
	struct est e;
	struct tern_seg s;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	REQUIRE_EQ(e_shutdown(&e), 0);
	CHECK_EQ(e_send(&e, buf, 10), -EPIPE);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.c->sq_bytes, 0);
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 2);
	in(&e, &s);
	REQUIRE_EQ(tern_conn__state(e.c), TERN_FIN_WAIT_2);
	CHECK_EQ(e_send(&e, buf, 10), -EPIPE);

	/* close */
	REQUIRE(est_open(&e, 4, NULL, NULL));
	REQUIRE_EQ(e_close(&e), 0);
	CHECK_EQ(e_send(&e, buf, 10), -EPIPE);
	CHECK_EQ(e.h->out.n, 0);

	/* CLOSE-WAIT may still send; after close (LAST-ACK) not */
	REQUIRE(est_open(&e, 4, NULL, NULL));
	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv, e.iss + 1);
	in(&e, &s);
	REQUIRE_EQ(tern_conn__state(e.c), TERN_CLOSE_WAIT);
	CHECK_EQ(e_send(&e, buf, 10), 10);
	CHECK_EQ(e.h->out.n, 1);
	REQUIRE_EQ(e_close(&e), 0);
	CHECK_EQ(tern_conn__state(e.c), TERN_LAST_ACK);
	CHECK_EQ(e_send(&e, buf, 10), -EPIPE);
}

static void max_tw1(struct tern_cfg *cfg)
{
	cfg->max_tw = 1;
}

/* Active close of e up to the peer's FIN (TIME-WAIT or its overflow). */
static void close_to_time_wait(struct est *e)
{
	struct tern_seg s;

	REQUIRE_EQ(e_close(e), 0);
	s = seg(e, TERN_TH_FIN | TERN_TH_ACK, e->rcv, e->iss + 2);
	in(e, &s);
	REQUIRE_EQ(e->h->out.n, 1);
	check_seg(&e->h->tx[0], TERN_TH_ACK, e->iss + 2, e->rcv + 1);
}

TEST(test_fin_wait_1_time_wait_table_full)
{
	struct est a, b;

	REQUIRE(est_open(&a, 4, max_tw1, NULL));
	REQUIRE(est_add(&b, 40001));
	REQUIRE_EQ(nconns(&a), 2);

	close_to_time_wait(&a);
	CHECK_EQ(ntw(&a), 1);
	CHECK(tw_find(&a));
	CHECK_EQ(hh.closes, 1);

	close_to_time_wait(&b);
	CHECK_EQ(nconns(&b), 0);
	CHECK_EQ(ntw(&b), 1);
	CHECK(!tw_find(&b));
	CHECK(tw_find(&a));
	CHECK_EQ(hh.closes, 2);
	CHECK_EQ(hh.last_reason, TERN_CLOSE_FIN);
	CHECK_EQ(H_MIB(&hh, TW), 1);
	CHECK_EQ(H_MIB(&hh, TCPTimeWaitOverflow), 1);
}

/* --- keepalive --- */

static const struct tern_listen_opts ka_opts = {
	.keepalive_idle_s = 10, .keepalive_intvl_s = 2, .keepalive_cnt = 3,
};

/* Probes at idle 10 s, then every 2 s; after 3 unanswered, RST. */
TEST(test_estab_keepalive_probes)
{
	struct est e;
	uint64_t t0;

	REQUIRE(est_open(&e, 4, NULL, &ka_opts));
	t0 = e.h->now; /* the handshake's last segment */

	run_until(e.h, t0 + SEC(10) - MS(1));
	CHECK_EQ(nev, 0);
	CHECK_EQ(H_MIB(e.h, TCPKeepAlive), 0);

	run_until(e.h, t0 + SEC(10));
	REQUIRE_EQ(nev, 1);
	check_seg(&evs[0].tx, TERN_TH_ACK, e.c->snd_nxt - 1, e.rcv);
	CHECK_EQ(evs[0].tx.seq, e.iss);
	CHECK(h_tx_opts(&evs[0].tx).present & TERN_OPT_TS);
	CHECK_EQ(H_MIB(e.h, TCPKeepAlive), 1);

	run_until(e.h, t0 + SEC(16) - MS(1));
	REQUIRE_EQ(nev, 2);
	CHECK_EQ(evs[0].at, t0 + SEC(12));
	CHECK_EQ(evs[1].at, t0 + SEC(14));
	check_seg(&evs[0].tx, TERN_TH_ACK, e.iss, e.rcv);
	check_seg(&evs[1].tx, TERN_TH_ACK, e.iss, e.rcv);
	CHECK_EQ(H_MIB(e.h, TCPKeepAlive), 3);
	CHECK_EQ(nconns(&e), 1);

	run_until(e.h, t0 + SEC(16));
	REQUIRE_EQ(nev, 1);
	check_seg(&evs[0].tx, TERN_TH_RST | TERN_TH_ACK, e.iss + 1, e.rcv);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_KEEPALIVE);
	CHECK_EQ(H_MIB(e.h, TCPKeepAlive), 3);
	CHECK_EQ(H_MIB(e.h, OutRsts), 1);
}

/* An answer resets the idle clock and the probe count; so does data. */
TEST(test_estab_keepalive_answered)
{
	struct est e;
	struct tern_seg s;
	uint64_t t0, t1, t2;

	REQUIRE(est_open(&e, 4, NULL, &ka_opts));
	t0 = e.h->now;

	/* data at 4 s moves the first probe to 14 s */
	h_advance(e.h, SEC(4));
	s = dseg(&e, e.rcv, e.iss + 1, "x");
	in(&e, &s);
	e.rcv += 1;
	run_until(e.h, t0 + SEC(14) - MS(1));
	CHECK_EQ(count_flags(TERN_TH_ACK), nev); /* a delayed ACK at most */
	CHECK_EQ(H_MIB(e.h, TCPKeepAlive), 0);
	run_until(e.h, t0 + SEC(16));
	REQUIRE_EQ(nev, 2);
	CHECK_EQ(evs[0].at, t0 + SEC(14));
	CHECK_EQ(evs[1].at, t0 + SEC(16));
	check_seg(&evs[1].tx, TERN_TH_ACK, e.iss, e.rcv);

	/* the peer answers the second probe at 16.5 s */
	h_advance(e.h, MS(500));
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 1);
	in(&e, &s);
	CHECK_EQ(e.h->out.n, 0);
	t1 = e.h->now;

	/* idle again from t1: 10 s, then 3 probes, then RST */
	run_until(e.h, t1 + SEC(10) - MS(1));
	CHECK_EQ(nev, 0);
	CHECK_EQ(nconns(&e), 1);
	t2 = t1 + SEC(10);
	run_until(e.h, t2 + SEC(6));
	REQUIRE_EQ(nev, 4);
	CHECK_EQ(evs[0].at, t2);
	CHECK_EQ(evs[1].at, t2 + SEC(2));
	CHECK_EQ(evs[2].at, t2 + SEC(4));
	CHECK_EQ(evs[3].at, t2 + SEC(6));
	CHECK_EQ(evs[2].tx.flags, TERN_TH_ACK);
	CHECK_EQ(evs[3].tx.flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_KEEPALIVE);
	CHECK_EQ(H_MIB(e.h, TCPKeepAlive), 5);
}

/* Keepalive is off unless the listener asks for it. */
TEST(test_estab_keepalive_off_by_default)
{
	struct est e;
	uint64_t t0;

	REQUIRE(est_open(&e, 4, NULL, NULL));
	t0 = e.h->now;
	for (uint64_t t = SEC(300); t <= SEC(3 * 3600); t += SEC(300)) {
		run_until(e.h, t0 + t);
		CHECK_EQ(nev, 0);
	}
	CHECK_EQ(H_MIB(e.h, TCPKeepAlive), 0);
	CHECK_EQ(nconns(&e), 1);
	CHECK_EQ(e.h->closes, 0);
	CHECK_EQ(tern_stack__next_deadline(e.h->s), UINT64_MAX);
}

/*
 * After shutdown the application still reads: FIN-WAIT-2 is not orphaned,
 * and keepalive goes on there as in ESTABLISHED (tcp_keepalive_timer only
 * ends FIN-WAIT-2 when SOCK_DEAD).
 */
TEST(test_fin_wait_2_keepalive_after_shutdown)
{
	struct est e;
	struct tern_seg s;
	uint64_t t0;

	REQUIRE(est_open(&e, 4, NULL, &ka_opts));
	t0 = e.h->now;
	REQUIRE_EQ(e_shutdown(&e), 0);
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 2);
	in(&e, &s);
	REQUIRE_EQ(tern_conn__state(e.c), TERN_FIN_WAIT_2);

	run_until(e.h, t0 + SEC(10));
	REQUIRE_EQ(nev, 1);
	check_seg(&evs[0].tx, TERN_TH_ACK, e.iss + 1, e.rcv);
	CHECK_EQ(nconns(&e), 1);
	CHECK_EQ(e.h->closes, 0);
	CHECK_EQ(H_MIB(e.h, TCPFinWait2Timeout), 0);
	CHECK_EQ(H_MIB(e.h, TCPKeepAlive), 1);
}

/* --- TCP_USER_TIMEOUT (RFC 5482) --- */

static const struct tern_listen_opts ut_opts = { .user_timeout_ms = 5000 };

/*
 * Data unacknowledged for 5 s: abort at 5 s, with retries to spare. Linux
 * clamps the RTO to what is left of the user timeout
 * (tcp_clamp_rto_to_user_timeout): retransmissions at 1 s and 3 s, abort at
 * exactly 5 s, not at the next backed-off RTO (7 s).
 */
TEST(test_estab_user_timeout)
{
	struct est e;
	uint64_t t0, rst_at = 0;

	REQUIRE(est_open(&e, 4, NULL, &ut_opts));
	t0 = e.h->now;
	REQUIRE_EQ(e_send(&e, buf, 100), 100);

	run_until(e.h, t0 + SEC(60));
	for (uint32_t i = 0; i < nev; i++) {
		if (evs[i].tx.flags & TERN_TH_RST) {
			rst_at = evs[i].at;
			check_seg(&evs[i].tx, TERN_TH_RST | TERN_TH_ACK, e.iss + 101, e.rcv);
			break;
		}
		CHECK_EQ(evs[i].tx.seq, e.iss + 1);
		CHECK_EQ(evs[i].tx.len, 100);
	}
	REQUIRE(rst_at);
	CHECK_EQ(rst_at, t0 + SEC(5));
	CHECK(H_MIB(e.h, TCPTimeouts) < e.h->s->cfg.retries);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_USER_TIMEOUT);
	CHECK_EQ(H_MIB(e.h, TCPAbortOnTimeout), 1);
}

/* Each piece acked within 5 s: no abort, though data was outstanding for
 * more than 5 s in total. */
TEST(test_estab_user_timeout_acked_in_time)
{
	struct est e;
	struct tern_seg s;
	uint64_t t0;

	REQUIRE(est_open(&e, 4, NULL, &ut_opts));
	t0 = e.h->now;
	REQUIRE_EQ(e_send(&e, buf, 100), 100);
	run_until(e.h, t0 + MS(4900));
	CHECK(nev >= 1); /* retransmitted */
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 101);
	in(&e, &s);
	REQUIRE_EQ(e.c->snd_una, e.iss + 101);

	h_advance(e.h, MS(100));
	REQUIRE_EQ(e_send(&e, buf, 100), 100);
	run_until(e.h, t0 + MS(9900));
	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 201);
	in(&e, &s);
	REQUIRE_EQ(e.c->snd_una, e.iss + 201);

	run_until(e.h, t0 + SEC(60));
	CHECK_EQ(nev, 0);
	CHECK_EQ(nconns(&e), 1);
	CHECK_EQ(e.h->closes, 0);
	CHECK_EQ(H_MIB(e.h, TCPAbortOnTimeout), 0);
}

/* --- IPv6 --- */

TEST(test_estab_close_to_time_wait_v6)
{
	struct est e;
	struct tern_seg s;
	struct tern_tw *tw;

	REQUIRE(est_open(&e, 6, NULL, NULL));
	REQUIRE_EQ(e_close(&e), 0);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_FIN | TERN_TH_ACK, e.iss + 1, e.rcv);
	CHECK_EQ(e.h->tx[0].t.family, 6);

	s = seg(&e, TERN_TH_ACK, e.rcv, e.iss + 2);
	in(&e, &s);
	REQUIRE_EQ(tern_conn__state(e.c), TERN_FIN_WAIT_2);
	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv, e.iss + 2);
	in(&e, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_ACK, e.iss + 2, e.rcv + 1);
	CHECK_EQ(e.h->tx[0].t.family, 6);
	CHECK_EQ(nconns(&e), 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_FIN);
	tw = tw_find(&e);
	REQUIRE(tw);
	CHECK_EQ(tw->n.t.family, 6);
	CHECK_EQ(tw->snd_nxt, e.iss + 2);
	CHECK_EQ(tw->rcv_nxt, e.rcv + 1);

	s = seg(&e, TERN_TH_FIN | TERN_TH_ACK, e.rcv, e.iss + 2);
	in(&e, &s);
	REQUIRE_EQ(e.h->out.n, 1);
	check_seg(&e.h->tx[0], TERN_TH_ACK, e.iss + 2, e.rcv + 1);
	CHECK_EQ(e.h->tx[0].t.family, 6);
}

/* Linux's keepalive bounds (MAX_TCP_KEEPIDLE/KEEPINTVL 32767 s,
 * MAX_TCP_KEEPCNT 127); larger values would wrap the ms arithmetic. */
TEST(test_listen_keepalive_bounds)
{
	struct h h;
	struct tern_seg s;
	struct tern_listen_opts o = { 0 };

	h_init(&h, NULL);
	s = h_seg(&h, 0, 0, 0);
	CHECK_EQ(tern_stack__listen_opts(h.s, &s.t.laddr, 80, &o), 0); /* off */
	o = (struct tern_listen_opts){ 32767, 32767, 127, 0, 0 };
	CHECK_EQ(tern_stack__listen_opts(h.s, &s.t.laddr, 80, &o), 0);
	o.keepalive_idle_s = 4294968;
	CHECK_EQ(tern_stack__listen_opts(h.s, &s.t.laddr, 80, &o), -EINVAL);
	o = (struct tern_listen_opts){ 10, 32768, 3, 0, 0 };
	CHECK_EQ(tern_stack__listen_opts(h.s, &s.t.laddr, 80, &o), -EINVAL);
	o = (struct tern_listen_opts){ 10, 1, 128, 0, 0 };
	CHECK_EQ(tern_stack__listen_opts(h.s, &s.t.laddr, 80, &o), -EINVAL);
	o = (struct tern_listen_opts){ 0, 5, 9, 0, 0 };
	CHECK_EQ(tern_stack__listen_opts(h.s, &s.t.laddr, 80, &o), -EINVAL);
	h_free(&h);
}

static int g_timer_fired;

static void on_timer(void *ctx, struct tern_conn *c)
{
	g_timer_fired++;
}

/* The application's per-connection timer fires once at its time, never
 * early, can be moved and cancelled, and goes with the connection. */
TEST(test_estab_app_timer)
{
	static struct tern_app_ops ops;
	struct h h;
	uint32_t iss;
	struct tern_conn *c;

	h_init(&h, NULL);
	REQUIRE((c = h_connect(&h, 1000, 1, &iss)));
	ops = *h.s->ops;
	ops.timer = on_timer;
	tern_stack__set_app(h.s, &ops, &h);
	g_timer_fired = 0;
	tern_conn__set_timer(h.s, c, 5000, h.now);
	h_advance(&h, 4999 * TERN_NSEC_PER_MSEC);
	h_poll(&h);
	CHECK_EQ(g_timer_fired, 0);
	tern_conn__set_timer(h.s, c, 3000, h.now); /* moved */
	h_advance(&h, 2 * TERN_NSEC_PER_MSEC);
	h_poll(&h);
	CHECK_EQ(g_timer_fired, 0);
	h_advance(&h, 3000 * TERN_NSEC_PER_MSEC);
	h_poll(&h);
	CHECK_EQ(g_timer_fired, 1);
	h_advance(&h, 10000 * TERN_NSEC_PER_MSEC);
	h_poll(&h);
	CHECK_EQ(g_timer_fired, 1); /* once */
	tern_conn__set_timer(h.s, c, 1000, h.now);
	tern_conn__set_timer(h.s, c, 0, h.now); /* cancelled */
	h_advance(&h, 2000 * TERN_NSEC_PER_MSEC);
	h_poll(&h);
	CHECK_EQ(g_timer_fired, 1);
	CHECK_EQ(tern_stack__next_deadline(h.s), UINT64_MAX);
	h_free(&h);
}
