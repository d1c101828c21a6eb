// SPDX-License-Identifier: BSD-2-Clause
/* TIME-WAIT: tcp_timewait_state_process() rules, replies, expiry FIFO. */
#include "harness.h"
#include "t.h"
#include "user/core/tw.h"

#define CSEQ 1000u
#define CTS 5000u
#define TW_NS(h) ((uint64_t)(h)->s->cfg.time_wait_ms * TERN_NSEC_PER_MSEC)

static void stateful(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_NEVER;
}

static void rfc1337(struct tern_cfg *c)
{
	c->rfc1337 = 1;
}

static void max_tw2(struct tern_cfg *c)
{
	c->max_tw = 2;
}

/* Expected record contents, taken from the connection before it goes. */
struct want {
	uint32_t snd_nxt, rcv_nxt, ts_recent;
	uint8_t rcv_wscale, ts;
};

/* Open a connection on h->cport and move it to TIME-WAIT. */
static struct tern_tw *tw_open(struct h *h, struct want *w)
{
	uint32_t iss;
	struct tern_conn *c = h_connect(h, CSEQ, CTS, &iss);
	struct tern_tw *tw;

	if (!c)
		return NULL;
	if (w) {
		w->snd_nxt = c->snd_nxt;
		w->rcv_nxt = c->rcv_nxt;
		w->ts_recent = c->ts_recent;
		w->rcv_wscale = c->rcv_wscale;
		w->ts = !!(c->optf & TERN_NEG_TS);
	}
	tw = tern_tw__enter(h->s, c, h->now);
	tern_conn_free(h->s, c, TERN_CLOSE_FIN);
	return tw;
}

/* The record for the tuple of h->cport, or NULL. */
static struct tern_tw *tw_find(const struct h *h)
{
	struct tern_seg seg = h_seg(h, 0, 0, 0);

	return tern_tw__lookup(h->s, tern_tuple_hash(&h->s->sec.table, &seg.t), &seg.t);
}

/* A segment from the client with a timestamp. */
static struct tern_seg ts_seg(const struct h *h, uint8_t flags, uint32_t seq, uint32_t ack,
			      uint32_t tsval)
{
	struct tern_seg seg = h_seg(h, flags, seq, ack);

	h_ts(&seg, tsval, 0);
	return seg;
}

/* Check an ACK from the record against the wanted state. */
static void check_tw_ack(const struct h *h, const struct tern_tx *tx, const struct want *w,
			 const struct tern_seg *cause)
{
	struct tern_opts o = h_tx_opts(tx);
	uint32_t win = h->s->cfg.rcv_wnd >> w->rcv_wscale;

	CHECK_EQ(tx->flags, TERN_TH_ACK);
	CHECK_EQ(tx->seq, w->snd_nxt);
	CHECK_EQ(tx->ack, w->rcv_nxt);
	CHECK_EQ(tx->win, win > 65535 ? 65535 : win);
	CHECK_EQ(tx->len, 0);
	CHECK(!memcmp(&tx->t, &cause->t, offsetof(struct tern_tuple, pad)));
	CHECK(!memcmp(tx->l2.peer_mac, cause->l2.peer_mac, 6));
	CHECK(!memcmp(tx->l2.local_mac, cause->l2.local_mac, 6));
	if (w->ts) {
		CHECK_EQ(tx->optlen, TERN_TSOPT_LEN);
		CHECK_EQ(tx->opt[0], 1);
		CHECK_EQ(tx->opt[1], 1);
		REQUIRE(o.present & TERN_OPT_TS);
		CHECK_EQ(o.tsval, tern_ms(h->now) + tern_ts_off(h->s, &cause->t));
		CHECK_EQ(o.tsecr, w->ts_recent);
	} else {
		CHECK_EQ(tx->optlen, 0);
	}
}

/*
 * FIFO and pool invariants: the FIFO is acyclic and ends at tw_tail, it and
 * the free list are disjoint and together hold every slot, every queued
 * record is found by its tuple except at most a dead tail, and used counts
 * the queued records. A record freed twice or freed while queued breaks one
 * of these.
 */
static int fifo_ok(const struct tern_stack *s)
{
	static uint8_t seen[1 << 17];
	const struct tern_pool *p = &s->tws;
	uint32_t n = 0, nfree = 0, last = TERN_NIL, unhashed = 0;

	if (p->cap > sizeof(seen))
		return 0;
	memset(seen, 0, p->cap);
	for (uint32_t i = s->tw_head; i != TERN_NIL; i = ((struct tern_tw *)tern_pool__at(p, i))->fifo_next) {
		const struct tern_tw *tw = tern_pool__at(p, i);

		if (i >= p->cap || seen[i] || ++n > p->cap)
			return 0;
		seen[i] = 1;
		last = i;
		if (tern_pool__lookup(p, tern_tuple_hash(p->key, &tw->n.t), &tw->n.t) != tw) {
			/* only the tail may be dead, and never alone */
			if (tw->fifo_next != TERN_NIL || i == s->tw_head)
				return 0;
			unhashed++;
		}
	}
	if (last != s->tw_tail || (s->tw_head == TERN_NIL) != (s->tw_tail == TERN_NIL))
		return 0;
	for (uint32_t i = p->free_head; i != TERN_NIL;
	     i = ((struct tern_node *)tern_pool__at(p, i))->hnext) {
		if (i >= p->cap || seen[i] || ++nfree > p->cap)
			return 0;
		seen[i] = 2;
	}
	return n + nfree == p->cap && n == p->used && unhashed <= 1;
}

TEST(test_timewait_enter_copies_state)
{
	struct h h;
	struct want w;
	struct tern_tw *tw;

	h_init(&h, NULL);
	tw = tw_open(&h, &w);
	REQUIRE(tw);
	CHECK_EQ(tern_stack__nconns(h.s), 0);
	CHECK(tw_find(&h) == tw);
	CHECK_EQ(tw->snd_nxt, w.snd_nxt);
	CHECK_EQ(tw->rcv_nxt, w.rcv_nxt);
	CHECK_EQ(tw->rcv_nxt, CSEQ + 1);
	CHECK_EQ(tw->ts_recent, w.ts_recent);
	CHECK(w.ts);
	CHECK(tw->n.t.pad[0] & TERN_TW_TS);
	CHECK_EQ(tw->n.t.pad[1], w.rcv_wscale);
	CHECK_EQ(tw->expire_ms, tern_ms(h.now) + h.s->cfg.time_wait_ms);
	CHECK_EQ(H_MIB(&h, TW), 1);
	CHECK_EQ(h.s->tws.used, 1);
	CHECK(fifo_ok(h.s));
	CHECK_EQ(tern_stack__next_deadline(h.s), h.now + TW_NS(&h));
	h_free(&h);
}

TEST(test_timewait_fin_retransmit_acked_and_restarts)
{
	struct h h;
	struct want w;
	struct tern_seg seg;
	uint64_t t0;

	h_init(&h, NULL);
	REQUIRE(tw_open(&h, &w));
	t0 = h.now;
	h_advance(&h, TW_NS(&h) / 2);
	/* The peer did not get our last ACK and sends its FIN again. */
	seg = ts_seg(&h, TERN_TH_FIN | TERN_TH_ACK, w.rcv_nxt - 1, w.snd_nxt, w.ts_recent + 7);
	seg.l2.peer_mac[5] = 0x77; /* reply goes to this frame's source */
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	check_tw_ack(&h, &h.tx[0], &w, &seg);
	CHECK_EQ(h.tx[0].l2.peer_mac[5], 0x77);
	/* A FIN is never rate limited: the next one within 500 ms is acked too. */
	h_advance(&h, 100 * TERN_NSEC_PER_MSEC);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 1);
	CHECK_EQ(H_MIB(&h, TCPACKSkippedTimeWait), 0);
	/* Restarted: alive at the first deadline, gone time_wait_ms after the
	 * last FIN, not a nanosecond before. */
	CHECK_EQ(tern_stack__next_deadline(h.s), h.now + TW_NS(&h));
	h.now = t0 + TW_NS(&h);
	h_poll(&h);
	CHECK(tw_find(&h));
	h.now = t0 + TW_NS(&h) / 2 + 100 * TERN_NSEC_PER_MSEC + TW_NS(&h) - 1;
	h_poll(&h);
	CHECK(tw_find(&h));
	h_advance(&h, 1);
	h_poll(&h);
	CHECK(!tw_find(&h));
	CHECK_EQ(h.s->tws.used, 0);
	h_free(&h);
}

TEST(test_timewait_fin_retransmit_v6)
{
	struct h h;
	struct want w;
	struct tern_seg seg;

	h_init6(&h, NULL);
	REQUIRE(tw_open(&h, &w));
	seg = ts_seg(&h, TERN_TH_FIN | TERN_TH_ACK, w.rcv_nxt - 1, w.snd_nxt, w.ts_recent + 1);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	check_tw_ack(&h, &h.tx[0], &w, &seg);
	CHECK_EQ(h.tx[0].t.family, 6);
	h_free(&h);
}

TEST(test_timewait_oow_ack_rate_limited)
{
	struct h h;
	struct want w;
	struct tern_seg seg;

	h_init(&h, NULL);
	REQUIRE(tw_open(&h, &w));
	seg = ts_seg(&h, TERN_TH_ACK, w.rcv_nxt + 5000, w.snd_nxt, w.ts_recent + 1);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	check_tw_ack(&h, &h.tx[0], &w, &seg);
	h_advance(&h, 200 * TERN_NSEC_PER_MSEC);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(H_MIB(&h, TCPACKSkippedTimeWait), 1);
	h_advance(&h, 299 * TERN_NSEC_PER_MSEC);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(H_MIB(&h, TCPACKSkippedTimeWait), 2);
	h_advance(&h, 1 * TERN_NSEC_PER_MSEC); /* 500 ms after the first */
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	check_tw_ack(&h, &h.tx[0], &w, &seg);
	/* Data is never rate limited. */
	seg.len = 10;
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 1);
	CHECK_EQ(H_MIB(&h, TCPACKSkippedTimeWait), 2);
	/* The ACK restarted the timer. */
	CHECK_EQ(tern_stack__next_deadline(h.s), h.now + TW_NS(&h));
	CHECK(tw_find(&h));
	h_free(&h);
}

TEST(test_timewait_inwindow_ack_restarts_silently)
{
	struct h h;
	struct want w;
	struct tern_seg seg;
	struct tern_tw *tw;

	h_init(&h, NULL);
	REQUIRE(tw = tw_open(&h, &w));
	h_advance(&h, 10 * TERN_NSEC_PER_SEC);
	seg = ts_seg(&h, TERN_TH_ACK, w.rcv_nxt, w.snd_nxt, w.ts_recent + 9);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(tw->ts_recent, w.ts_recent + 9);
	CHECK_EQ(tern_stack__next_deadline(h.s), h.now + TW_NS(&h));
	h_free(&h);
}

TEST(test_timewait_paws_rejects_old_ts)
{
	struct h h;
	struct want w;
	struct tern_seg seg;
	struct tern_tw *tw;

	h_init(&h, NULL);
	REQUIRE(tw = tw_open(&h, &w));
	/* In-window ACK with an old TSval: PAWS fails, so it is treated as
	 * out of window (ACKed), and ts_recent stays. */
	seg = ts_seg(&h, TERN_TH_ACK, w.rcv_nxt, w.snd_nxt, w.ts_recent - 100);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	check_tw_ack(&h, &h.tx[0], &w, &seg);
	CHECK_EQ(tw->ts_recent, w.ts_recent);
	CHECK_EQ(H_MIB(&h, PAWSEstab), 1);
	/* An in-window RST with an old TSval does not kill. */
	seg = ts_seg(&h, TERN_TH_RST, w.rcv_nxt, 0, w.ts_recent - 100);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK(tw_find(&h) == tw);
	CHECK_EQ(H_MIB(&h, TWKilled), 0);
	h_free(&h);
}

TEST(test_timewait_rst_in_window_kills)
{
	struct h h;
	struct want w;
	struct tern_seg seg;

	h_init(&h, NULL);
	REQUIRE(tw_open(&h, &w));
	seg = ts_seg(&h, TERN_TH_RST | TERN_TH_ACK, w.rcv_nxt, w.snd_nxt, w.ts_recent + 1);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK(!tw_find(&h));
	CHECK_EQ(H_MIB(&h, TWKilled), 1);
	CHECK_EQ(h.s->tws.used, 0);
	CHECK_EQ(h.s->tw_head, TERN_NIL);
	CHECK(fifo_ok(h.s));
	CHECK_EQ(tern_stack__next_deadline(h.s), UINT64_MAX);
	/* The tuple now belongs to the listener: a stray ACK gets a RST. */
	seg = h_seg(&h, TERN_TH_ACK, w.rcv_nxt, w.snd_nxt);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_RST);
	h_free(&h);
}

TEST(test_timewait_rst_in_window_rfc1337_ignored)
{
	struct h h;
	struct want w;
	struct tern_seg seg;
	struct tern_tw *tw;

	h_init(&h, rfc1337);
	REQUIRE(tw = tw_open(&h, &w));
	seg = h_seg(&h, TERN_TH_RST, w.rcv_nxt, 0);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK(tw_find(&h) == tw);
	CHECK_EQ(H_MIB(&h, TWKilled), 0);
	h_free(&h);
}

TEST(test_timewait_rst_out_of_window_ignored)
{
	struct h h;
	struct want w;
	struct tern_seg seg;
	struct tern_tw *tw;
	uint32_t exp;

	h_init(&h, NULL);
	REQUIRE(tw = tw_open(&h, &w));
	exp = tw->expire_ms;
	h_advance(&h, TERN_NSEC_PER_SEC);
	seg = h_seg(&h, TERN_TH_RST | TERN_TH_ACK, w.rcv_nxt + 1, w.snd_nxt);
	h_in(&h, &seg);
	seg = h_seg(&h, TERN_TH_RST, w.rcv_nxt - 1, 0);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK(tw_find(&h) == tw);
	CHECK_EQ(tw->expire_ms, exp); /* a RST never restarts */
	CHECK_EQ(H_MIB(&h, TWKilled), 0);
	h_free(&h);
}

TEST(test_timewait_syn_higher_seq_reuses)
{
	struct h h;
	struct want w;
	struct tern_seg seg;
	uint64_t ack_out;

	h_init(&h, stateful);
	REQUIRE(tw_open(&h, &w));
	ack_out = H_MIB(&h, OutSegs);
	seg = h_seg(&h, TERN_TH_SYN, w.rcv_nxt + 100000, 0); /* no TS */
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_SYN | TERN_TH_ACK);
	CHECK_EQ(h.tx[0].seq, w.snd_nxt + 65537);
	CHECK_EQ(h.tx[0].ack, w.rcv_nxt + 100001);
	CHECK_EQ(H_MIB(&h, OutSegs), ack_out + 1);
	CHECK(!tw_find(&h));
	CHECK_EQ(h.s->tws.used, 0);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	CHECK_EQ(H_MIB(&h, TWRecycled), 1);
	CHECK(fifo_ok(h.s));
	/* The handshake completes on the new ISS. */
	seg = h_seg(&h, TERN_TH_ACK, w.rcv_nxt + 100001, w.snd_nxt + 65538);
	h_in(&h, &seg);
	CHECK_EQ(tern_stack__nconns(h.s), 1);
	h_free(&h);
}

TEST(test_timewait_syn_lower_seq_newer_ts_reuses)
{
	struct h h;
	struct want w;
	struct tern_seg seg;

	h_init(&h, stateful);
	REQUIRE(tw_open(&h, &w));
	seg = h_seg(&h, TERN_TH_SYN, w.rcv_nxt - 5000, 0);
	h_linux_syn_opts(&seg, w.ts_recent + 1000);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_SYN | TERN_TH_ACK);
	CHECK_EQ(h.tx[0].seq, w.snd_nxt + 65537);
	CHECK(!tw_find(&h));
	CHECK_EQ(H_MIB(&h, TWRecycled), 1);
	h_free(&h);
}

TEST(test_timewait_syn_lower_seq_older_ts_acked)
{
	struct h h;
	struct want w;
	struct tern_seg seg;
	struct tern_tw *tw;

	h_init(&h, stateful);
	REQUIRE(tw = tw_open(&h, &w));
	h_advance(&h, TERN_NSEC_PER_SEC);
	seg = h_seg(&h, TERN_TH_SYN, w.rcv_nxt - 5000, 0);
	h_linux_syn_opts(&seg, w.ts_recent - 1000);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	check_tw_ack(&h, &h.tx[0], &w, &seg);
	CHECK(tw_find(&h) == tw);
	CHECK_EQ(H_MIB(&h, TWRecycled), 0);
	CHECK_EQ(H_MIB(&h, PAWSEstab), 1);
	CHECK_EQ(tern_stack__nreqs(h.s), 0);
	/* PAWS-rejected: the timer restarts. A second one in 500 ms is
	 * not answered (a SYN is rate limited). */
	CHECK_EQ(tern_stack__next_deadline(h.s), h.now + TW_NS(&h));
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(H_MIB(&h, TCPACKSkippedTimeWait), 1);
	/* Without timestamps, a SYN below rcv_nxt gets an ACK, no restart. */
	h_advance(&h, TERN_NSEC_PER_SEC);
	seg = h_seg(&h, TERN_TH_SYN, w.rcv_nxt - 5000, 0);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_ACK);
	CHECK_EQ(tern_stack__next_deadline(h.s), h.now - TERN_NSEC_PER_SEC + TW_NS(&h));
	h_free(&h);
}

TEST(test_timewait_expire_on_time)
{
	struct h h;
	uint64_t t0, dl;

	h_init(&h, NULL);
	h.now += 123456; /* not on a millisecond boundary */
	REQUIRE(tw_open(&h, NULL));
	t0 = h.now;
	dl = tern_stack__next_deadline(h.s);
	/* Due at the start of the millisecond tern_ms() reaches t0 + L. */
	CHECK_EQ(dl, t0 - 123456 + TW_NS(&h));
	h.now = dl - 1;
	h_poll(&h);
	CHECK(tw_find(&h));
	CHECK_EQ(tern_stack__next_deadline(h.s), dl);
	h.now = dl;
	h_poll(&h);
	CHECK(!tw_find(&h));
	CHECK_EQ(h.s->tws.used, 0);
	CHECK_EQ(tern_stack__next_deadline(h.s), UINT64_MAX);
	CHECK(fifo_ok(h.s));
	h_free(&h);
}

TEST(test_timewait_table_full_overflows)
{
	struct h h;
	uint32_t iss;
	struct tern_conn *c;

	h_init(&h, max_tw2);
	REQUIRE(tw_open(&h, NULL));
	h.cport++;
	REQUIRE(tw_open(&h, NULL));
	h.cport++;
	REQUIRE(c = h_connect(&h, CSEQ, CTS, &iss));
	CHECK(!tern_tw__enter(h.s, c, h.now));
	tern_conn_free(h.s, c, TERN_CLOSE_FIN);
	CHECK_EQ(H_MIB(&h, TCPTimeWaitOverflow), 1);
	CHECK_EQ(H_MIB(&h, TW), 2);
	CHECK_EQ(h.s->tws.used, 2);
	CHECK(!tw_find(&h));
	CHECK(fifo_ok(h.s));
	h_free(&h);
}

/* Kill the tail: its slot stays queued (dead) and the next record reuses it. */
TEST(test_timewait_kill_tail_slot_reused)
{
	struct h h;
	struct want w[3];
	struct tern_seg seg;
	struct tern_tw *b;

	h_init(&h, max_tw2);
	h.cport = 41000;
	REQUIRE(tw_open(&h, &w[0]));
	h.cport = 41001;
	REQUIRE(b = tw_open(&h, &w[1]));
	seg = h_seg(&h, TERN_TH_RST, w[1].rcv_nxt, 0);
	h_in(&h, &seg);
	CHECK(!tw_find(&h));
	CHECK(fifo_ok(h.s));
	/* The table is not full: the dead tail takes the next record. */
	h.cport = 41002;
	CHECK(tw_open(&h, &w[2]) == b);
	CHECK(tw_find(&h) == b);
	CHECK_EQ(H_MIB(&h, TCPTimeWaitOverflow), 0);
	CHECK(fifo_ok(h.s));
	/* Kill the head: the tail moves into its slot, still found. */
	h.cport = 41000;
	seg = h_seg(&h, TERN_TH_RST, w[0].rcv_nxt, 0);
	h_in(&h, &seg);
	CHECK(!tw_find(&h));
	CHECK(fifo_ok(h.s));
	h.cport = 41002;
	REQUIRE(tw_find(&h));
	CHECK_EQ(tw_find(&h)->snd_nxt, w[2].snd_nxt);
	CHECK_EQ(h.s->tws.used, 1);
	/* Kill the only record: gone at once. */
	seg = h_seg(&h, TERN_TH_RST, w[2].rcv_nxt, 0);
	h_in(&h, &seg);
	CHECK_EQ(h.s->tws.used, 0);
	CHECK_EQ(h.s->tw_head, TERN_NIL);
	CHECK_EQ(h.s->tw_tail, TERN_NIL);
	CHECK(fifo_ok(h.s));
	h_free(&h);
}

/* Kills next to a dead tail: it moves forward and stays the only dead
 * record; expiry frees it behind the live ones. */
TEST(test_timewait_kill_before_dead_tail)
{
	struct h h;
	struct want w[3];
	struct tern_seg seg;

	h_init(&h, NULL);
	for (int i = 0; i < 3; i++) {
		h.cport = (uint16_t)(43000 + i);
		REQUIRE(tw_open(&h, &w[i]));
	}
	for (int i = 2; i >= 1; i--) { /* C (tail, goes dead), then B */
		h.cport = (uint16_t)(43000 + i);
		seg = h_seg(&h, TERN_TH_RST, w[i].rcv_nxt, 0);
		h_in(&h, &seg);
		CHECK(!tw_find(&h));
		CHECK(fifo_ok(h.s));
	}
	CHECK_EQ(h.s->tws.used, 2); /* A and one dead tail */
	h.cport = 43000;
	CHECK(tw_find(&h));
	/* A expires, then the dead tail goes with it. */
	h.now += TW_NS(&h);
	h_poll(&h);
	CHECK(!tw_find(&h));
	CHECK_EQ(h.s->tws.used, 0);
	CHECK(fifo_ok(h.s));

	/* Again, but kill A too: a dead record never stays the head. */
	for (int i = 0; i < 3; i++) {
		h.cport = (uint16_t)(43000 + i);
		REQUIRE(tw_open(&h, &w[i]));
	}
	for (int i = 2; i >= 0; i--) {
		h.cport = (uint16_t)(43000 + i);
		seg = h_seg(&h, TERN_TH_RST, w[i].rcv_nxt, 0);
		h_in(&h, &seg);
		CHECK(fifo_ok(h.s));
	}
	CHECK_EQ(h.s->tws.used, 0);
	CHECK_EQ(h.s->tw_head, TERN_NIL);
	CHECK_EQ(H_MIB(&h, TWKilled), 5);
	h_free(&h);
}

/* A restarted record in the middle is requeued, not freed, and does not
 * hold back the records behind it. */
TEST(test_timewait_restart_requeues)
{
	struct h h;
	struct want wa, wb;
	struct tern_seg seg;
	uint64_t t0;

	h_init(&h, NULL);
	t0 = h.now;
	h.cport = 42000;
	REQUIRE(tw_open(&h, &wa));
	h_advance(&h, 10 * TERN_NSEC_PER_SEC);
	h.cport = 42001;
	REQUIRE(tw_open(&h, &wb));
	h_advance(&h, 10 * TERN_NSEC_PER_SEC);
	h.cport = 42000; /* restart A (the head) at t0 + 20 s */
	seg = h_seg(&h, TERN_TH_ACK, wa.rcv_nxt, wa.snd_nxt);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	/* The head's place is stale: poll now. */
	CHECK_EQ(tern_stack__next_deadline(h.s), h.now);
	h_poll(&h);
	CHECK(fifo_ok(h.s));
	CHECK_EQ(tern_stack__next_deadline(h.s), t0 + 10 * TERN_NSEC_PER_SEC + TW_NS(&h));
	h.now = t0 + TW_NS(&h);
	h_poll(&h);
	CHECK(tw_find(&h));
	h.now = t0 + 10 * TERN_NSEC_PER_SEC + TW_NS(&h);
	h_poll(&h);
	h.cport = 42001;
	CHECK(!tw_find(&h));
	h.cport = 42000;
	CHECK(tw_find(&h));
	CHECK_EQ(tern_stack__next_deadline(h.s), t0 + 20 * TERN_NSEC_PER_SEC + TW_NS(&h));
	h.now = t0 + 20 * TERN_NSEC_PER_SEC + TW_NS(&h);
	h_poll(&h);
	CHECK(!tw_find(&h));
	CHECK_EQ(h.s->tws.used, 0);
	h_free(&h);
}

static void churn_cfg(struct tern_cfg *c)
{
	c->max_tw = 16;
	c->time_wait_ms = 1000;
	c->backlog = 4096;
	c->syncookies = TERN_COOKIES_NEVER;
}

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

#define CHURN_N 3000

/* Many records, kills (RST, SYN reuse) and restarts interleaved with
 * entries and expiry: the FIFO stays consistent, no record is freed early
 * or twice, and everything expires in the end. */
TEST(test_timewait_churn_fifo_consistent)
{
	static struct {
		uint16_t port;
		uint8_t live;
		uint32_t expire_ms;
		struct want w;
	} m[CHURN_N];
	struct h h;
	uint32_t x = 2463534242u, n = 0, entered = 0, killed = 0, recycled = 0;

	h_init(&h, churn_cfg);
	for (int step = 0; step < 20000 && n < CHURN_N; step++) {
		/* act on one of the 24 most recent records */
		uint32_t r = rnd(&x) % 100, k = n ? n - 1 - rnd(&x) % (n < 24 ? n : 24) : 0;
		struct tern_seg seg;

		/* The record may have expired since the last check. */
		if (r < 70 && n && m[k].live) {
			h.cport = m[k].port;
			if (!tw_find(&h)) {
				REQUIRE((int32_t)(m[k].expire_ms - tern_ms(h.now)) <= 0);
				m[k].live = 0;
			}
		}
		if (r < 30) {
			struct tern_tw *tw;

			h.cport = (uint16_t)(10000 + n);
			m[n].port = h.cport;
			tw = tw_open(&h, &m[n].w);
			if (tw) {
				m[n].live = 1;
				m[n].expire_ms = tw->expire_ms;
				entered++;
			}
			n++;
		} else if (r < 70 && !m[k].live) {
			/* nothing to act on */
		} else if (r < 45) {
			h.cport = m[k].port;
			seg = h_seg(&h, TERN_TH_RST, m[k].w.rcv_nxt, 0);
			h_in(&h, &seg);
			m[k].live = 0;
			killed++;
		} else if (r < 50) {
			h.cport = m[k].port;
			seg = h_seg(&h, TERN_TH_SYN, m[k].w.rcv_nxt + 1, 0);
			h_in(&h, &seg);
			CHECK_EQ(h.out.n, 1);
			CHECK_EQ(h.tx[0].seq, m[k].w.snd_nxt + 65537);
			m[k].live = 0;
			recycled++;
		} else if (r < 70) {
			h.cport = m[k].port;
			seg = h_seg(&h, TERN_TH_ACK, m[k].w.rcv_nxt + (r & 1) * 77, m[k].w.snd_nxt);
			h_in(&h, &seg);
			m[k].expire_ms = tern_ms(h.now) + h.s->cfg.time_wait_ms;
		} else {
			uint64_t dl = tern_tw__next_deadline(h.s);

			/* Sometimes exactly to the next deadline, else a small step. */
			if (r == 70 && dl != UINT64_MAX && dl > h.now)
				h.now = dl;
			else
				h_advance(&h, (rnd(&x) % 20) * TERN_NSEC_PER_MSEC);
			h_poll(&h);
		}
		REQUIRE(fifo_ok(h.s));
		/* Every live record is found with its own state; none freed early. */
		if (step % 16 == 0 || r >= 70) {
			for (uint32_t i = 0; i < n; i++) {
				struct tern_tw *tw;

				h.cport = m[i].port;
				tw = tw_find(&h);
				if (!m[i].live) {
					REQUIRE(!tw);
					continue;
				}
				if ((int32_t)(m[i].expire_ms - tern_ms(h.now)) > 0) {
					REQUIRE(tw);
				} else if (!tw) {
					m[i].live = 0;
					continue;
				}
				/* At most one lifetime late. */
				REQUIRE((int32_t)(tern_ms(h.now) - m[i].expire_ms) <
					(int32_t)h.s->cfg.time_wait_ms + 200);
				REQUIRE_EQ(tw->snd_nxt, m[i].w.snd_nxt);
				REQUIRE_EQ(tw->rcv_nxt, m[i].w.rcv_nxt);
				REQUIRE_EQ(tw->expire_ms, m[i].expire_ms);
			}
		}
	}
	CHECK(entered > 500);
	CHECK(killed > 100);
	CHECK(recycled > 50);
	CHECK(H_MIB(&h, TCPTimeWaitOverflow) > 0);
	CHECK_EQ(H_MIB(&h, TW), entered);
	CHECK_EQ(H_MIB(&h, TWKilled), killed);
	CHECK_EQ(H_MIB(&h, TWRecycled), recycled);
	h_advance(&h, 2 * TW_NS(&h));
	h_poll(&h);
	CHECK_EQ(h.s->tws.used, 0);
	CHECK_EQ(h.s->tw_head, TERN_NIL);
	CHECK_EQ(h.s->tw_tail, TERN_NIL);
	CHECK_EQ(tern_tw__next_deadline(h.s), UINT64_MAX);
	CHECK(fifo_ok(h.s));
	h_free(&h);
}

/* The peer's new SYN for a TIME-WAIT tuple, answered by XDP with a cookie
 * (which does not see the record): the ACK completing it. */
static struct tern_seg xdp_reuse(struct h *h, uint32_t seq, uint32_t tsval, uint32_t *iss)
{
	struct tern_seg syn = h_seg(h, TERN_TH_SYN, seq, 0);

	h_linux_syn_opts(&syn, tsval);
	return h_xdp_cookie_ack(h, &syn, iss);
}

/* The record goes and the cookie makes the connection, as Linux's SYN
 * would have recycled the record before the listener's cookie. */
static void check_cookie_conn(struct h *h, uint32_t iss, uint32_t irs)
{
	CHECK_EQ(h->out.n, 0); /* no ACK from the record, no RST */
	CHECK(!tw_find(h));
	CHECK_EQ(h->s->tws.used, 0);
	CHECK_EQ(H_MIB(h, TWRecycled), 1);
	CHECK_EQ(H_MIB(h, SyncookiesRecv), 1);
	REQUIRE_EQ(tern_stack__nconns(h->s), 1);
	REQUIRE(h->conn);
	CHECK_EQ(h->conn->state, TERN_ESTABLISHED);
	CHECK_EQ(h->conn->snd_una, iss + 1);
	CHECK_EQ(h->conn->rcv_nxt, irs + 1);
	CHECK(fifo_ok(h->s));
}

/* The record answered seg with its ACK and stays; no connection. */
static void check_record_acked(const struct h *h, const struct want *w,
			       const struct tern_seg *seg, const struct tern_tw *tw)
{
	REQUIRE_EQ(h->out.n, 1);
	check_tw_ack(h, &h->tx[0], w, seg);
	CHECK(tw_find(h) == tw);
	CHECK_EQ(tern_stack__nconns(h->s), 0);
	CHECK_EQ(H_MIB(h, TWRecycled), 0);
}

TEST(test_timewait_xdp_cookie_ack_recycles)
{
	struct h h;
	struct want w;
	struct tern_seg seg;
	uint32_t iss;

	h_init(&h, NULL);
	REQUIRE(tw_open(&h, &w));
	h_advance(&h, TERN_NSEC_PER_SEC);
	seg = xdp_reuse(&h, w.rcv_nxt + 100000, w.ts_recent + 1000, &iss);
	h_in(&h, &seg);
	check_cookie_conn(&h, iss, w.rcv_nxt + 100000);
	/* the request reaches the new connection */
	seg = ts_seg(&h, TERN_TH_ACK | TERN_TH_PSH, w.rcv_nxt + 100001, iss + 1, w.ts_recent + 1002);
	seg.payload = (const uint8_t *)"GET";
	seg.len = 3;
	h_in(&h, &seg);
	CHECK_EQ(h.ndata, 3);
	h_free(&h);
}

/* A SYN below RCV.NXT: the record's ACK, whatever its timestamp (tern:
 * Linux would take a SYN with a newer one, but the worker sees only the
 * ACK, and the old connection's segments carry newer timestamps too). */
TEST(test_timewait_xdp_cookie_ack_lower_seq_acked)
{
	struct h h;
	struct want w;
	struct tern_seg seg;
	struct tern_tw *tw;
	uint32_t iss;

	h_init(&h, NULL);
	REQUIRE(tw = tw_open(&h, &w));
	h_advance(&h, TERN_NSEC_PER_SEC);
	seg = xdp_reuse(&h, w.rcv_nxt - 5000, w.ts_recent + 1000, &iss);
	h_in(&h, &seg);
	check_record_acked(&h, &w, &seg, tw);
	h_free(&h);
}

static void always(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_ALWAYS;
}

/* The old connection began with a cookie and both sides sent a FIN: its
 * last ACK, sent again with a newer timestamp, passes the cookie check
 * (ACK - SEQ is the handshake's), but it is the old connection's and
 * only restarts the record. */
TEST(test_timewait_cookie_conn_last_ack_stays)
{
	struct h h;
	struct want w;
	struct tern_seg seg;
	struct tern_tw *tw;

	h_init(&h, always);
	REQUIRE(tw = tw_open(&h, &w));
	h_advance(&h, TERN_NSEC_PER_SEC);
	seg = ts_seg(&h, TERN_TH_ACK, w.rcv_nxt, w.snd_nxt, w.ts_recent + 1000);
	REQUIRE(tern_listen__cookie_valid(h.s, &seg, h.now));
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK(tw_find(&h) == tw);
	CHECK_EQ(tern_stack__nconns(h.s), 0);
	CHECK_EQ(H_MIB(&h, TWRecycled), 0);
	CHECK_EQ(H_MIB(&h, SyncookiesRecv), 1); /* the first handshake's */
	h_free(&h);
}

/* No cookie went out lately (tcp_synq_no_recent_overflow()), or the ACK
 * does not carry a valid one: the record answers as before. */
TEST(test_timewait_cookie_ack_not_recent_or_bad_acked)
{
	struct h h;
	struct want w;
	struct tern_seg seg;
	struct tern_tw *tw;
	uint32_t iss;

	h_init(&h, NULL);
	REQUIRE(tw = tw_open(&h, &w));
	seg = xdp_reuse(&h, w.rcv_nxt + 100000, w.ts_recent + 1000, &iss);
	h.s->cookies_sent = 0;
	h_in(&h, &seg);
	check_record_acked(&h, &w, &seg, tw);
	h_free(&h);

	h_init(&h, NULL);
	REQUIRE(tw = tw_open(&h, &w));
	seg = xdp_reuse(&h, w.rcv_nxt + 100000, w.ts_recent + 1000, &iss);
	seg.ack += 1;
	h_in(&h, &seg);
	check_record_acked(&h, &w, &seg, tw);
	CHECK_EQ(H_MIB(&h, SyncookiesFailed), 0);
	h_free(&h);
}
