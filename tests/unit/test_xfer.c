// SPDX-License-Identifier: BSD-2-Clause
/*
 * Data transfer on an established connection: segmentation (MSS, the
 * peer's window, cwnd), the bounded zero-copy send queue, the
 * retransmission timer (RFC 6298), Karn's rule, slow start and congestion
 * avoidance (RFC 5681), NewReno (RFC 6582), zero-window probes, a shrinking
 * window, delayed ACKs, the out-of-order queue with SACK (RFC 2018) and
 * sequence-number wrap. The reference is Linux (net/ipv4/tcp_input.c,
 * tcp_output.c, tcp_timer.c).
 *
 * Unless a test says otherwise the connection comes from h_connect(): a
 * Linux client option set (TS, SACK, WS 7; we scale by 3), final ACK with
 * window 502 << 7, send MSS 1460 - 12 = 1448, initial cwnd 10 * MSS.
 * Every test name contains "xfer" so that `unit-tests xfer` runs them all.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tests/unit/harness.h"
#include "tests/unit/t.h"

#define CSEQ 0x10000000u /* client ISN */
#define TSV0 1000000u    /* client TSval in its SYN */
#define MSS 1448u
#define MS TERN_NSEC_PER_MSEC
#define SEC TERN_NSEC_PER_SEC

/* One stack for the running test; freed when the next test starts. */
static struct h hh;
/* What the application sends (zero copy: segments point in here) ... */
static uint8_t sbuf[1 << 17];
/* ... and what the client sends. */
static uint8_t rbuf[1 << 16];

struct xf {
	struct h *h;
	struct tern_conn *c;
	uint32_t iss;    /* tern's ISS */
	uint32_t una0;   /* iss + 1: the first byte of sbuf on the wire */
	uint32_t rcv;    /* tern's RCV.NXT as the client knows it */
	uint32_t tsval;  /* the client's last TSval */
	uint32_t ts_off; /* our TS offset on this connection */
	uint16_t win;    /* window field the client advertises */
	bool ts;         /* timestamps negotiated */
};

static void fill(void)
{
	for (size_t i = 0; i < sizeof(sbuf); i++)
		sbuf[i] = (uint8_t)(i * 31 + 7);
	for (size_t i = 0; i < sizeof(rbuf); i++)
		rbuf[i] = (uint8_t)(i * 13 + 5);
}

static void (*xf_tweak)(struct tern_cfg *);

/* The timer rules here are the RTO's: tail loss probes (test_sack.c),
 * which would fire first, are off. */
static void no_probes(struct tern_cfg *c)
{
	c->loss_probes = 0;
	if (xf_tweak)
		xf_tweak(c);
}

static void h_reset(void (*tweak)(struct tern_cfg *))
{
	if (hh.mem)
		h_free(&hh);
	xf_tweak = tweak;
	h_init(&hh, no_probes);
	fill();
}

static bool xf_setup(struct xf *e)
{
	e->h = &hh;
	e->c = hh.conn;
	if (!e->c || e->c->state != TERN_ESTABLISHED)
		return false;
	/* The handshakes here take no time, and their RTT sample would put
	 * the RTO at rto_min (test_rtt.c checks that). The timer rules below
	 * are written from RFC 6298's 1 s initial RTO, as for a connection
	 * with no sample yet: forget the handshake's. */
	tern_conn_rtt_init(hh.s, e->c);
	e->una0 = e->iss + 1;
	e->ts_off = e->c->ts_off;
	e->ts = e->c->optf & TERN_NEG_TS;
	e->win = 502;
	return true;
}

/* A fresh stack with one connection from h_connect(cseq), the SYN sent
 * `delay` ns after the stack started. */
static bool xf_open_at(struct xf *e, void (*tweak)(struct tern_cfg *), uint32_t cseq,
		       uint64_t delay)
{
	memset(e, 0, sizeof(*e));
	h_reset(tweak);
	h_advance(&hh, delay);
	if (!h_connect(&hh, cseq, TSV0, &e->iss))
		return false;
	e->rcv = cseq + 1;
	e->tsval = TSV0 + 1;
	return xf_setup(e) && e->c->mss == MSS;
}

static bool xf_open(struct xf *e, void (*tweak)(struct tern_cfg *))
{
	return xf_open_at(e, tweak, CSEQ, 0);
}

/*
 * The same with tern's ISS chosen: the ISS is F(tuple) + (now >> 6)
 * (RFC 6528, tern_isn()), so a SYN sent k * 64 ns later gets an ISS k
 * higher. Learn F on a throwaway stack, then open at the right time.
 */
static bool xf_open_iss(struct xf *e, void (*tweak)(struct tern_cfg *), uint32_t iss)
{
	uint32_t k;

	if (!xf_open(e, tweak))
		return false;
	k = iss - e->iss;
	return xf_open_at(e, tweak, CSEQ, (uint64_t)k * 64) && e->iss == iss;
}

static uint32_t our_tsval(const struct xf *e)
{
	return tern_ms(e->h->now) + e->ts_off;
}

/* A segment from the client: SEQ = its next byte, our window field, a
 * fresh TSval echoing our current one. */
static struct tern_seg pseg(struct xf *e, uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct tern_seg s = h_seg(e->h, flags, seq, ack);

	s.win = e->win;
	if (e->ts)
		h_ts(&s, ++e->tsval, our_tsval(e));
	return s;
}

/* A pure ACK from the client, TSecr given (0: echo our current TSval). */
static int ack_ts(struct xf *e, uint32_t ack, uint32_t tsecr)
{
	struct tern_seg s = pseg(e, TERN_TH_ACK, e->rcv, ack);

	if (e->ts && tsecr)
		s.opt.tsecr = tsecr;
	return h_in(e->h, &s);
}

static int ack(struct xf *e, uint32_t ack)
{
	return ack_ts(e, ack, 0);
}

/* Client data rbuf[off .. off + len) at RCV.NXT(initial) + off. */
static int data(struct xf *e, uint32_t off, uint32_t len, uint64_t frame)
{
	struct tern_seg s = pseg(e, TERN_TH_ACK | TERN_TH_PSH, e->rcv + off, e->c->snd_una);

	s.payload = rbuf + off;
	s.len = len;
	s.frame = frame;
	return h_in(e->h, &s);
}

/* Poll at an absolute time. */
static void poll_at(struct xf *e, uint64_t t)
{
	e->h->now = t;
	h_poll(e->h);
}

/* tx is our data segment sbuf[off .. off + len), PSH as given. */
static void check_data(const struct xf *e, const struct tern_tx *tx, uint32_t off, uint32_t len,
		       bool psh)
{
	struct tern_opts o = h_tx_opts(tx);

	CHECK_EQ(tx->flags, TERN_TH_ACK | (psh ? TERN_TH_PSH : 0));
	CHECK_EQ(tx->seq, e->una0 + off);
	CHECK_EQ(tx->ack, e->c->rcv_nxt);
	CHECK_EQ(tx->len, len);
	CHECK(tx->payload == sbuf + off);
	CHECK_EQ(!!(o.present & TERN_OPT_TS), e->ts);
	if (e->ts) {
		CHECK_EQ(o.tsval, our_tsval(e));
		CHECK_EQ(o.tsecr, e->c->ts_recent);
	}
}

/* tx is a pure ACK of ours acknowledging `ackno`. Its SEQ is worked out
 * here, not asked of the core: these exchanges send nothing beyond the
 * handshake and never shrink the window, so tcp_send_ack's SEQ
 * (tcp_acceptable_seq: SND.NXT while the window's end is not before it) is
 * ISS + 1. */
static void check_pure_ack(const struct xf *e, const struct tern_tx *tx, uint32_t ackno)
{
	CHECK_EQ(tx->flags, TERN_TH_ACK);
	CHECK_EQ(tx->len, 0);
	CHECK_EQ(tx->ack, ackno);
	CHECK_EQ(tx->seq, e->iss + 1);
}

static void tw_rto_min_50(struct tern_cfg *c)
{
	c->rto_min_ms = 50;
}

static void tw_retries_3(struct tern_cfg *c)
{
	c->retries = 3;
}

static void tw_retries_20(struct tern_cfg *c)
{
	c->retries = 20;
}

static void tw_sndbuf_4000(struct tern_cfg *c)
{
	c->snd_buf = 4000;
}

static void tw_chunks_2(struct tern_cfg *c)
{
	c->max_chunks = 2;
	c->chunks_per_conn = 2; /* one connection may take the whole pool */
}

static void tw_chunks_1(struct tern_cfg *c)
{
	c->max_chunks = 1;
}

static void tw_ooo_2(struct tern_cfg *c)
{
	c->ooo_per_conn = 2;
}

/* --- segmentation --- */

TEST(test_estab_xfer_send_segments_mss)
{
	struct xf e;
	uint32_t off = 0, sum;

	REQUIRE(xf_open(&e, NULL));
	REQUIRE_EQ(e.c->cwnd, 10 * MSS);
	REQUIRE_EQ(e.c->snd_wnd, 502u << 7);

	/* cwnd-limited: 10 full segments of the 20000 bytes. */
	REQUIRE_EQ(h_send(e.h, sbuf, 20000), 20000);
	REQUIRE_EQ(e.h->out.n, 10);
	for (uint32_t i = 0; i < 10; i++) {
		check_data(&e, &e.h->tx[i], off, MSS, false);
		CHECK_EQ(e.h->tx[i].win, 262144u >> 3);
		off += MSS;
	}
	CHECK_EQ(e.c->snd_max, e.una0 + off);

	/* window-limited: the client acks all and offers 20 << 7 = 2560. */
	e.win = 20;
	ack(&e, e.una0 + off);
	sum = 0;
	for (uint32_t i = 0; i < e.h->out.n; i++) {
		CHECK(e.h->tx[i].len <= MSS);
		CHECK(e.h->tx[i].len > 0);
		check_data(&e, &e.h->tx[i], off + sum, e.h->tx[i].len, false);
		sum += e.h->tx[i].len;
	}
	CHECK(sum <= 20u << 7);
	CHECK(sum > 0);
	off += sum;

	/* window open again: the rest, PSH on the last segment only. */
	e.win = 502;
	ack(&e, e.una0 + off);
	REQUIRE_EQ(e.h->out.n, (20000 - off + MSS - 1) / MSS);
	for (uint32_t i = 0; i < e.h->out.n; i++) {
		uint32_t len = 20000 - off < MSS ? 20000 - off : MSS;

		check_data(&e, &e.h->tx[i], off, len, i + 1 == e.h->out.n);
		off += len;
	}
	CHECK_EQ(off, 20000);
	CHECK_EQ(H_MIB(e.h, RetransSegs), 0);
}

/* --- reading the send queue through its cursors (sendq.c) --- */

static void tw_chunks_all(struct tern_cfg *c)
{
	c->chunks_per_conn = c->max_chunks;
}

/* Chunks of these sizes, back to back in sbuf: 5500 bytes in 10 chunks. */
static const uint32_t sq_sizes[] = { 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000 };

/* The end offset of the chunk holding offset off. */
static uint32_t sq_chunk_end(uint32_t off)
{
	uint32_t end = 0;

	for (size_t i = 0; i < sizeof(sq_sizes) / sizeof(sq_sizes[0]); i++) {
		end += sq_sizes[i];
		if (off < end)
			return end;
	}
	return end;
}

/* Read offset off (from una0) through cursor cur and check what comes back
 * against the layout in sbuf. */
static void sq_expect(struct xf *e, uint32_t off, int cur)
{
	uint32_t avail = 0;
	const uint8_t *p = tern_conn_sq_at(e->h->s, e->c, e->una0 + off, cur, &avail);

	CHECK(p == sbuf + off);
	CHECK_EQ(avail, sq_chunk_end(off) - off);
}

/* Forward, backward and repeated reads through both cursors, then ACKs
 * that release the chunk a cursor stands on. */
static void sq_cursor_reads(uint32_t iss)
{
	static const uint32_t offs[] = { 0, 150, 1000, 5499, 300, 5000, 0, 2700, 2700, 2699, 5499 };
	struct xf e;
	uint32_t off = 0;

	REQUIRE(xf_open_iss(&e, tw_chunks_all, iss));
	for (size_t i = 0; i < sizeof(sq_sizes) / sizeof(sq_sizes[0]); i++) {
		REQUIRE_EQ(h_send(e.h, sbuf + off, sq_sizes[i]), (int)sq_sizes[i]);
		off += sq_sizes[i];
	}
	REQUIRE_EQ(e.c->snd_max, e.una0 + 5500); /* all sent: 10 segments */
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		sq_expect(&e, offs[i], TERN_SQ_CUR_RXT);
		sq_expect(&e, offs[sizeof(offs) / sizeof(offs[0]) - 1 - i], TERN_SQ_CUR_NXT);
	}
	/* Both cursors on the second chunk [100, 300); the ACK of 450 frees
	 * it and the first and leaves the head 150 bytes into the third. */
	sq_expect(&e, 150, TERN_SQ_CUR_RXT);
	sq_expect(&e, 299, TERN_SQ_CUR_NXT);
	ack(&e, e.una0 + 450);
	REQUIRE_EQ(e.c->snd_una, e.una0 + 450);
	sq_expect(&e, 500, TERN_SQ_CUR_RXT);
	sq_expect(&e, 450, TERN_SQ_CUR_NXT);
	sq_expect(&e, 4600, TERN_SQ_CUR_RXT);
	sq_expect(&e, 599, TERN_SQ_CUR_NXT);
	/* The cursor's chunk [3600, 4500) goes with ACK 4500; a read ahead
	 * of it must not start from the freed chunk. */
	sq_expect(&e, 3700, TERN_SQ_CUR_RXT);
	ack(&e, e.una0 + 4500);
	sq_expect(&e, 4999, TERN_SQ_CUR_RXT);
	sq_expect(&e, 4500, TERN_SQ_CUR_NXT);
}

TEST(test_estab_xfer_sendq_cursor_reads)
{
	sq_cursor_reads(0x20000000u);
}

/* Sequence numbers wrap inside the queue: una0 = 2^32 - 2000. */
TEST(test_estab_xfer_sendq_cursor_reads_seq_wrap)
{
	sq_cursor_reads(0xfffff82fu);
}

/*
 * Sequential sending steps over each chunk once: 300 chunks of 300 bytes,
 * a window of 20 segments ACKed 10 segments at a time (each window
 * walked from the head would step over ~10 chunks per segment), then an
 * RTO that sends everything outstanding again from SND.UNA. Every segment
 * carries the bytes its sequence number names.
 */
TEST(test_estab_xfer_sendq_cursor_sequential)
{
	const uint32_t chunk = 300, n = 300, total = chunk * n;
	uint32_t got = 0, i;
	uint64_t steps;
	struct xf e;

	REQUIRE(xf_open(&e, tw_chunks_all));
	e.win = 47; /* 47 << 7 = 6016 bytes: 20 segments */
	ack(&e, e.una0);
	for (i = 0; i < n; i++)
		REQUIRE_EQ(h_send(e.h, sbuf + i * chunk, chunk), (int)chunk);
	REQUIRE_EQ(e.c->sq_bytes, total);
	while (got < total / 2) {
		uint32_t sent = e.c->snd_max - e.una0;

		REQUIRE(sent > got);
		got = got + 10 * chunk < sent ? got + 10 * chunk : sent;
		ack(&e, e.una0 + got);
		for (uint32_t k = 0; k < e.h->out.n; k++) {
			const struct tern_tx *tx = &e.h->tx[k];

			if (!tx->len)
				continue;
			CHECK(tx->payload == sbuf + (tx->seq - e.una0));
			CHECK_EQ(tx->len, chunk);
		}
	}
	steps = e.h->s->sq_steps;
	CHECK(steps <= (e.c->snd_max - e.una0) / chunk);

	/* RTO: SND.NXT goes back to SND.UNA, and each ACK sends the next
	 * segments again from there. */
	poll_at(&e, e.h->now + 1 * SEC);
	REQUIRE_EQ(H_MIB(e.h, TCPTimeouts), 1);
	REQUIRE(e.h->out.n >= 1);
	CHECK_EQ(e.h->tx[0].seq, e.una0 + got);
	CHECK(e.h->tx[0].payload == sbuf + got);
	while (got < total) {
		uint32_t sent = e.c->snd_nxt - e.una0;

		REQUIRE(sent > got);
		got = sent;
		ack(&e, e.una0 + got);
		for (uint32_t k = 0; k < e.h->out.n; k++) {
			const struct tern_tx *tx = &e.h->tx[k];

			if (tx->len)
				CHECK(tx->payload == sbuf + (tx->seq - e.una0));
		}
	}
	CHECK_EQ(e.c->sq_bytes, 0);
	CHECK(e.h->s->sq_steps - steps <= n);
}

/* --- the bounded send queue --- */

TEST(test_estab_xfer_sndbuf_full)
{
	struct xf e;

	REQUIRE(xf_open(&e, tw_sndbuf_4000));
	REQUIRE_EQ(h_send(e.h, sbuf, 10000), 4000); /* the room left */
	REQUIRE_EQ(e.h->out.n, 3);
	check_data(&e, &e.h->tx[0], 0, MSS, false);
	check_data(&e, &e.h->tx[1], MSS, MSS, false);
	check_data(&e, &e.h->tx[2], 2 * MSS, 4000 - 2 * MSS, true);
	CHECK_EQ(H_MIB(e.h, OutSndBufFull), 0);

	CHECK_EQ(h_send(e.h, sbuf + 4000, 100), -EAGAIN);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(H_MIB(e.h, OutSndBufFull), 1);
	CHECK_EQ(e.h->writables, 0);

	/* An ACK frees room: writable() once, acked() exact. */
	ack(&e, e.una0 + MSS);
	CHECK_EQ(e.h->acked, MSS);
	CHECK_EQ(e.h->writables, 1);
	ack(&e, e.una0 + 2000); /* mid-segment */
	CHECK_EQ(e.h->acked, 2000);
	CHECK_EQ(e.h->writables, 1);

	/* room = 4000 - 2000 unacked */
	REQUIRE_EQ(h_send(e.h, sbuf + 4000, 10000), 2000);
	REQUIRE_EQ(e.h->out.n, 2);
	check_data(&e, &e.h->tx[0], 4000, MSS, false);
	check_data(&e, &e.h->tx[1], 4000 + MSS, 2000 - MSS, true);
	ack(&e, e.una0 + 6000);
	CHECK_EQ(e.h->acked, 6000);
	CHECK_EQ(e.h->writables, 1);
	CHECK_EQ(e.c->sq_bytes, 0);
	CHECK_EQ(e.c->rto_at, 0);
	CHECK_EQ(h_send(e.h, sbuf + 6000, 100), 100);
	CHECK_EQ(H_MIB(e.h, OutSndBufFull), 1);
}

/* Pieces by reference: each its own chunk (no segment spans two), one
 * output pass, cut at the send buffer. */
TEST(test_estab_xfer_sendv_pieces)
{
	struct tern_piece v[3] = {
		{ sbuf, 1000 }, { sbuf + 1000, 0 }, { sbuf + 1000, 2 * MSS },
	};
	struct xf e;

	REQUIRE(xf_open(&e, tw_sndbuf_4000));
	e.h->out.n = 0;
	REQUIRE_EQ(tern_conn__sendv(e.h->s, e.c, v, 3, e.h->now, &e.h->out), 1000 + 2 * MSS);
	REQUIRE_EQ(e.h->out.n, 3);
	check_data(&e, &e.h->tx[0], 0, 1000, false); /* the first piece alone */
	CHECK(e.h->tx[0].payload == sbuf);
	check_data(&e, &e.h->tx[1], 1000, MSS, false);
	check_data(&e, &e.h->tx[2], 1000 + MSS, MSS, true);
	CHECK_EQ(e.c->sq_bytes, 1000 + 2 * MSS);

	/* room for 4000 - 1000 - 2 MSS only: the first piece cut, the second
	 * not taken */
	e.h->out.n = 0;
	v[0] = (struct tern_piece){ sbuf + 1000 + 2 * MSS, 2000 };
	v[1] = (struct tern_piece){ sbuf + 3000 + 2 * MSS, 100 };
	REQUIRE_EQ(tern_conn__sendv(e.h->s, e.c, v, 2, e.h->now, &e.h->out), 3000 - 2 * MSS);
	CHECK_EQ(e.c->sq_bytes, 4000);
	e.h->out.n = 0;
	CHECK_EQ(tern_conn__sendv(e.h->s, e.c, v + 1, 1, e.h->now, &e.h->out), -EAGAIN);
	CHECK_EQ(e.h->out.n, 0);
}

TEST(test_estab_xfer_chunk_pool_full)
{
	struct xf e;

	REQUIRE(xf_open(&e, tw_chunks_2));
	CHECK_EQ(h_send(e.h, sbuf, 100), 100);
	CHECK_EQ(h_send(e.h, sbuf + 100, 100), 100);
	CHECK_EQ(h_send(e.h, sbuf + 200, 100), -EAGAIN);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(H_MIB(e.h, OutSndBufFull), 1);

	ack(&e, e.una0 + 100); /* frees the first chunk */
	CHECK_EQ(e.h->acked, 100);
	CHECK_EQ(e.h->writables, 1);
	CHECK_EQ(h_send(e.h, sbuf + 200, 100), 100);
	REQUIRE_EQ(e.h->out.n, 1);
	check_data(&e, &e.h->tx[0], 200, 100, true);
}

/*
 * The chunk pool is stack-wide: connection A can get -EAGAIN because B holds
 * every chunk. The API promises writable() after -EAGAIN; A has nothing in
 * flight, so only B's ACK frees room, and A must still be told.
 */
TEST(test_estab_xfer_chunk_pool_other_conn_writable)
{
	struct xf a, b;
	struct tern_conn *ca;
	uint32_t iss_b;

	REQUIRE(xf_open(&a, tw_chunks_1));
	ca = a.c;
	hh.cport = 40001;
	REQUIRE(h_connect(&hh, CSEQ, TSV0, &iss_b));
	b = a;
	b.iss = iss_b;
	REQUIRE(xf_setup(&b));
	REQUIRE(b.c != ca);

	hh.conn = b.c;
	REQUIRE_EQ(h_send(&hh, sbuf, 100), 100);
	hh.conn = ca;
	CHECK_EQ(h_send(&hh, sbuf + 1000, 100), -EAGAIN);
	CHECK_EQ(hh.writables, 0);

	hh.cport = 40001;
	ack(&b, b.una0 + 100); /* B's chunk goes back to the pool */
	CHECK_EQ(hh.acked, 100);
	CHECK_EQ(hh.writables, 1); /* A's writable() */
	hh.conn = ca;
	CHECK_EQ(h_send(&hh, sbuf + 1000, 100), 100);
}

/* --- retransmission timer --- */

TEST(test_estab_xfer_rto_backoff)
{
	static const uint32_t at_s[] = { 1, 3, 7, 15, 31 };
	struct xf e;
	uint64_t t0;

	REQUIRE(xf_open(&e, NULL));
	t0 = e.h->now;
	REQUIRE_EQ(h_send(e.h, sbuf, 3000), 3000);
	REQUIRE_EQ(e.h->out.n, 3);
	CHECK_EQ(e.c->rto_ms, 1000); /* TCP_TIMEOUT_INIT */

	for (uint32_t i = 0; i < sizeof(at_s) / sizeof(at_s[0]); i++) {
		poll_at(&e, t0 + at_s[i] * SEC - 1 * MS);
		CHECK_EQ(e.h->out.n, 0);
		poll_at(&e, t0 + at_s[i] * SEC);
		REQUIRE_EQ(e.h->out.n, 1); /* the first segment only */
		check_data(&e, &e.h->tx[0], 0, MSS, false);
		CHECK_EQ(H_MIB(e.h, RetransSegs), i + 1);
		CHECK_EQ(H_MIB(e.h, TCPTimeouts), i + 1);
		CHECK_EQ(e.c->cwnd, MSS); /* loss window */
		/* CUBIC: 10 segments x 717/1024 = 7, taken at the first
		 * timeout only (tcp_enter_loss) */
		CHECK_EQ(e.c->ssthresh, 7 * MSS);
	}
	CHECK_EQ(e.h->closes, 0);
	CHECK_EQ(e.c->snd_max, e.una0 + 3000);
}

TEST(test_estab_xfer_rto_retries_reset)
{
	static const uint32_t at_s[] = { 1, 3, 7 };
	struct xf e;
	uint64_t t0;
	uint32_t rcv_nxt;

	REQUIRE(xf_open(&e, tw_retries_3));
	t0 = e.h->now;
	REQUIRE_EQ(h_send(e.h, sbuf, 3000), 3000);
	rcv_nxt = e.c->rcv_nxt;
	for (uint32_t i = 0; i < 3; i++) {
		poll_at(&e, t0 + at_s[i] * SEC);
		REQUIRE_EQ(e.h->out.n, 1);
		check_data(&e, &e.h->tx[0], 0, MSS, false);
	}
	poll_at(&e, t0 + 15 * SEC - 1 * MS);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.h->closes, 0);

	/* tcp_retries2 retransmissions, then the next expiry resets with
	 * SEQ = SND.NXT (tcp_acceptable_seq; tern's snd_max). */
	poll_at(&e, t0 + 15 * SEC);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(e.h->tx[0].seq, e.una0 + 3000);
	CHECK_EQ(e.h->tx[0].ack, rcv_nxt);
	CHECK_EQ(e.h->tx[0].len, 0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_TIMEOUT);
	CHECK(e.h->conn == NULL);
	CHECK_EQ(tern_stack__nconns(e.h->s), 0);
	CHECK_EQ(H_MIB(e.h, TCPTimeouts), 3);
	CHECK_EQ(H_MIB(e.h, RetransSegs), 3);
	CHECK_EQ(H_MIB(e.h, TCPAbortOnTimeout), 1);
	CHECK_EQ(H_MIB(e.h, OutRsts), 1);
	CHECK_EQ(tern_stack__next_deadline(e.h->s), UINT64_MAX);
}

/* The backed-off RTO stops at TCP_RTO_MAX (120 s). */
TEST(test_estab_xfer_rto_max)
{
	static const uint32_t at_s[] = { 1, 3, 7, 15, 31, 63, 127, 247, 367, 487 };
	struct xf e;
	uint64_t t0;

	REQUIRE(xf_open(&e, tw_retries_20));
	t0 = e.h->now;
	REQUIRE_EQ(h_send(e.h, sbuf, 100), 100);
	for (uint32_t i = 0; i < sizeof(at_s) / sizeof(at_s[0]); i++) {
		poll_at(&e, t0 + at_s[i] * SEC - 1 * MS);
		CHECK_EQ(e.h->out.n, 0);
		poll_at(&e, t0 + at_s[i] * SEC);
		REQUIRE_EQ(e.h->out.n, 1);
		check_data(&e, &e.h->tx[0], 0, 100, true);
	}
	CHECK_EQ(H_MIB(e.h, TCPTimeouts), 10);
	CHECK_EQ(e.h->closes, 0);
}

/* --- RTO from RTT samples (RFC 6298 2, TS per RFC 7323 4) --- */

/* Send 100 bytes, let the client ACK them `rtt_ms` later echoing the
 * segment's TSval. */
static bool rtt_round(struct xf *e, uint32_t off, uint32_t rtt_ms)
{
	uint32_t tsval;

	if (h_send(e->h, sbuf + off, 100) != 100 || e->h->out.n != 1)
		return false;
	tsval = h_tx_opts(&e->h->tx[0]).tsval;
	h_advance(e->h, rtt_ms * MS);
	ack_ts(e, e->una0 + off + 100, tsval);
	return e->c->snd_una == e->una0 + off + 100;
}

/* Data sent now is retransmitted exactly rto_ms later. */
static void check_rto_in(struct xf *e, uint32_t off, uint32_t rto_ms)
{
	uint64_t t1 = e->h->now;

	REQUIRE_EQ(h_send(e->h, sbuf + off, 100), 100);
	poll_at(e, t1 + (rto_ms - 1) * MS);
	CHECK_EQ(e->h->out.n, 0);
	poll_at(e, t1 + rto_ms * MS);
	REQUIRE_EQ(e->h->out.n, 1);
	check_data(e, &e->h->tx[0], off, 100, true);
	CHECK_EQ(H_MIB(e->h, TCPTimeouts), 1);
}

TEST(test_estab_xfer_rto_from_rtt_floor)
{
	struct xf e;

	REQUIRE(xf_open(&e, NULL));
	REQUIRE(rtt_round(&e, 0, 10));
	CHECK_EQ(e.c->srtt_us >> 3, 10000);
	/* srtt 10 ms + rttvar max(mdev 2 x 10, rto_min 200) */
	CHECK_EQ(e.c->rto_ms, 210);
	check_rto_in(&e, 100, 210);
}

TEST(test_estab_xfer_rto_from_rtt_custom_floor)
{
	struct xf e;

	REQUIRE(xf_open(&e, tw_rto_min_50));
	REQUIRE(rtt_round(&e, 0, 10));
	CHECK_EQ(e.c->rto_ms, 60); /* 10 + max(20, 50) */
	check_rto_in(&e, 100, 60);
}

/* tcp_rtt_estimator() by hand: 300 ms: srtt 300, mdev = rttvar = 600,
 * RTO 900. Then 100 ms: err -200000, srtt 2200000/8 = 275000 us;
 * (200000 - 600000/4) / 8 = 6250 -> mdev 606250, above rttvar: rttvar
 * 606250; RTO 275000 + 606250 us = 881.25 -> 882 ms. */
TEST(test_estab_xfer_rtt_estimator)
{
	struct xf e;

	REQUIRE(xf_open(&e, NULL));
	REQUIRE(rtt_round(&e, 0, 300));
	CHECK_EQ(e.c->rto_ms, 900);
	REQUIRE(rtt_round(&e, 100, 100));
	CHECK_EQ(e.c->srtt_us >> 3, 275000);
	CHECK_EQ(e.c->rttvar_us, 606250);
	CHECK_EQ(e.c->rto_ms, 882);
	check_rto_in(&e, 200, 882);
}

/* Samples equal to SRTT shrink rttvar one window later: 300, 300, 300:
 * mdev 600000, then 450000 (window max still 600000: rttvar 600000),
 * then 337500, window max 337500: rttvar -= (600000 - 337500) / 4 ->
 * 534375; RTO 300000 + 534375 us -> 835 ms. */
TEST(test_estab_xfer_rttvar_decrease)
{
	struct xf e;

	REQUIRE(xf_open(&e, NULL));
	REQUIRE(rtt_round(&e, 0, 300));
	CHECK_EQ(e.c->rttvar_us, 600000);
	REQUIRE(rtt_round(&e, 100, 300));
	CHECK_EQ(e.c->rttvar_us, 600000);
	CHECK_EQ(e.c->rto_ms, 900);
	REQUIRE(rtt_round(&e, 200, 300));
	CHECK_EQ(e.c->srtt_us >> 3, 300000);
	CHECK_EQ(e.c->rttvar_us, 534375);
	CHECK_EQ(e.c->rto_ms, 835);
}

static void no_records(struct tern_cfg *c)
{
	c->rack_segs = 0;
}

/* 100 bytes ACKed 10 ms later, echoing a TSval from the future. */
static void ack_future_tsecr(struct xf *e)
{
	REQUIRE_EQ(h_send(e->h, sbuf, 100), 100);
	h_advance(e->h, 10 * MS);
	ack_ts(e, e->una0 + 100, our_tsval(e) + 10);
	CHECK_EQ(e->c->snd_una, e->una0 + 100);
}

/*
 * A TSecr we never sent (from the future) is no RTT sample: Linux's
 * tcp_rtt_tsopt_us() drops a delta that is negative as s32 / too large.
 * Without per-segment records the echo is the only sample.
 */
TEST(test_estab_xfer_rtt_bogus_tsecr)
{
	struct xf e;

	REQUIRE(xf_open(&e, no_records));
	ack_future_tsecr(&e);
	CHECK_EQ(e.c->srtt_us, 0);
	CHECK_EQ(e.c->rto_ms, 1000);
	/* ... nor one 50 minutes old (would overflow microseconds in s32) */
	REQUIRE_EQ(h_send(e.h, sbuf + 100, 100), 100);
	h_advance(e.h, 10 * MS);
	ack_ts(&e, e.una0 + 200, our_tsval(&e) - 3000000);
	CHECK_EQ(e.c->snd_una, e.una0 + 200);
	CHECK_EQ(e.c->srtt_us, 0);
	CHECK_EQ(e.c->rto_ms, 1000);
	check_rto_in(&e, 200, 1000);
}

/* With records the segment's send time is the sample, whatever the
 * echo (tcp_ack_update_rtt() prefers it to TS-ECR): 10 ms. */
TEST(test_estab_xfer_rtt_records_over_bogus_tsecr)
{
	struct xf e;

	REQUIRE(xf_open(&e, NULL));
	ack_future_tsecr(&e);
	CHECK_EQ(e.c->srtt_us, 10000u << 3);
	CHECK_EQ(e.c->rto_ms, 210);
}

/* --- Karn's rule (no timestamps) --- */

/* A handshake whose SYN has MSS, SACK-permitted and WS but no TS. */
static bool xf_open_nots(struct xf *e)
{
	struct tern_seg s;

	memset(e, 0, sizeof(*e));
	h_reset(NULL);
	s = h_seg(&hh, TERN_TH_SYN, CSEQ, 0);
	s.opt.present = TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_WS;
	s.opt.mss = 1460;
	s.opt.wscale = 7;
	h_in(&hh, &s);
	if (hh.out.n != 1 || hh.tx[0].flags != (TERN_TH_SYN | TERN_TH_ACK) ||
	    (h_tx_opts(&hh.tx[0]).present & TERN_OPT_TS))
		return false;
	e->iss = hh.tx[0].seq;
	s = h_seg(&hh, TERN_TH_ACK, CSEQ + 1, e->iss + 1);
	s.win = 502;
	h_in(&hh, &s);
	e->rcv = CSEQ + 1;
	return xf_setup(e) && !e->ts && e->c->mss == 1460;
}

/* Send 1000 bytes, retransmit them once, ACK at 1.5 s. */
static bool karn_round(struct xf *e, uint64_t *t0)
{
	*t0 = e->h->now;
	if (h_send(e->h, sbuf, 1000) != 1000 || e->h->out.n != 1)
		return false;
	poll_at(e, *t0 + SEC);
	if (e->h->out.n != 1 || e->h->tx[0].seq != e->una0 || e->h->tx[0].len != 1000)
		return false;
	e->h->now = *t0 + 1500 * MS;
	ack(e, e->una0 + 1000);
	return e->c->snd_una == e->una0 + 1000 && e->h->acked == 1000;
}

TEST(test_estab_xfer_karn_no_sample)
{
	struct xf e;
	uint64_t t0;

	REQUIRE(xf_open_nots(&e));
	REQUIRE(karn_round(&e, &t0));
	/* Neither 1.5 s (first send) nor 0.5 s (retransmission) was sampled. */
	CHECK_EQ(e.c->srtt_us, 0);
	CHECK_EQ(e.c->rttvar_us, 0);
	CHECK_EQ(e.c->rto_ms, 1000);
	CHECK_EQ(H_MIB(e.h, RetransSegs), 1);

	/* New data is timed again: 100 ms gives a real sample. */
	REQUIRE_EQ(h_send(e.h, sbuf + 1000, 100), 100);
	h_advance(e.h, 100 * MS);
	ack(&e, e.una0 + 1100);
	CHECK_EQ(e.c->srtt_us >> 3, 100000);
	CHECK_EQ(e.c->rto_ms, 300); /* 100 + 4 * 50 */
}

/*
 * RFC 6298 5.5 + section 3 (Karn): the backed-off RTO is kept until a
 * valid sample; Linux tcp_ack_update_rtt(): "RFC6298: only reset backoff
 * on valid RTT measurement". The ACK of a retransmitted segment gives no
 * sample, so new data sent next still times out after 2 s, not 1 s.
 */
TEST(test_estab_xfer_karn_backoff_kept)
{
	struct xf e;
	uint64_t t0, t1;

	REQUIRE(xf_open_nots(&e));
	REQUIRE(karn_round(&e, &t0));
	t1 = e.h->now;
	REQUIRE_EQ(h_send(e.h, sbuf + 1000, 100), 100);
	poll_at(&e, t1 + SEC);
	CHECK_EQ(e.h->out.n, 0);
	poll_at(&e, t1 + 2 * SEC);
	REQUIRE_EQ(e.h->out.n, 1);
	check_data(&e, &e.h->tx[0], 1000, 100, true);
}

/* --- congestion control (RFC 5681) --- */

TEST(test_estab_xfer_slow_start)
{
	struct xf e;
	uint32_t off;

	REQUIRE(xf_open(&e, NULL));
	e.win = 4000; /* 512000 bytes: cwnd is the limit */
	ack(&e, e.una0);
	REQUIRE_EQ(e.c->snd_wnd, 4000u << 7);
	REQUIRE_EQ(h_send(e.h, sbuf, 100000), 100000);
	REQUIRE_EQ(e.h->out.n, 10);
	off = 10 * MSS;
	for (uint32_t k = 1; k <= 10; k++) {
		ack(&e, e.una0 + k * MSS);
		CHECK_EQ(e.c->cwnd, (10 + k) * MSS);
		/* one segment left the network, cwnd grew by one: two go out */
		REQUIRE_EQ(e.h->out.n, 2);
		check_data(&e, &e.h->tx[0], off, MSS, false);
		check_data(&e, &e.h->tx[1], off + MSS, MSS, false);
		off += 2 * MSS;
	}
	CHECK_EQ(e.h->acked, 10 * MSS);
	CHECK_EQ(e.c->ssthresh, UINT32_MAX);
}

static void tw_reno(struct tern_cfg *c)
{
	c->cc = TERN_CC_RENO;
}

/* The RTO stands: with F-RTO the ACK of the originals would undo it. */
static void tw_reno_no_frto(struct tern_cfg *c)
{
	tw_reno(c);
	c->frto = 0;
}

/*
 * NewReno. Loss by RTO: ssthresh = cwnd / 2 = 5 MSS (tcp_reno_ssthresh),
 * cwnd = 1 MSS; the ACK of all 10 segments slow-starts to ssthresh and
 * the other 6 MSS count toward congestion avoidance (tcp_slow_start
 * returns them): cwnd 5 MSS, then 6 (tcp_cong_avoid_ai with w = 5), and
 * 1 MSS carried toward the next step.
 * Returns with cwnd above ssthresh and data queued.
 */
static bool to_cong_avoid(struct xf *e)
{
	uint64_t t0;

	e->win = 4000;
	ack(e, e->una0);
	t0 = e->h->now;
	if (h_send(e->h, sbuf, 10 * MSS) != (int)(10 * MSS) || e->h->out.n != 10)
		return false;
	poll_at(e, t0 + SEC);
	if (e->h->out.n != 1 || e->c->ssthresh != 5 * MSS || e->c->cwnd != MSS)
		return false;
	ack(e, e->una0 + 10 * MSS); /* the rest had arrived */
	if (e->c->cwnd != 6 * MSS)
		return false;
	return h_send(e->h, sbuf + 10 * MSS, 60000) == 60000 && e->h->out.n == 6;
}

TEST(test_estab_xfer_cong_avoid)
{
	struct xf e;
	uint32_t una, cw0, grow;

	REQUIRE(xf_open(&e, tw_reno_no_frto));
	REQUIRE(to_cong_avoid(&e));
	una = e.c->snd_una;
	cw0 = e.c->cwnd;
	/* one MSS per window of acknowledged bytes (tcp_cong_avoid_ai, w =
	 * 6 MSS): with 1 MSS carried, the 5th ACK of one MSS completes it */
	REQUIRE_EQ(cw0, 6 * MSS);
	for (uint32_t k = 1; k < 5; k++) {
		ack(&e, una + k * MSS);
		CHECK_EQ(e.c->cwnd, cw0);
	}
	ack(&e, una + 5 * MSS);
	grow = e.c->cwnd - cw0;
	CHECK_EQ(grow, MSS);
	CHECK_EQ(e.c->ssthresh, 5 * MSS);
}

/*
 * Linux counts cwnd in segments and never sends a runt because of it
 * (tcp_cwnd_test, tcp_mss_split_point); RFC 9293 3.8.6.2.1 (sender SWS
 * avoidance, MUST-38) sends less than a full segment only when it is all
 * the data queued. With a byte cwnd that grows by MSS*MSS/cwnd, data
 * segments in congestion avoidance must still be full-sized.
 */
TEST(test_estab_xfer_cong_avoid_full_segments)
{
	struct xf e;
	uint32_t una, runts = 0, sent = 0;

	REQUIRE(xf_open(&e, tw_reno_no_frto));
	REQUIRE(to_cong_avoid(&e));
	una = e.c->snd_una;
	for (uint32_t k = 1; k <= 10; k++) {
		ack(&e, una + k * MSS);
		for (uint32_t i = 0; i < e.h->out.n; i++) {
			sent++;
			if (e.h->tx[i].len != MSS)
				runts++;
		}
	}
	CHECK(sent >= 10);
	CHECK_EQ(runts, 0);
}

/* --- NewReno (RFC 6582) --- */

static void dupack(struct xf *e, uint32_t ackno)
{
	ack(e, ackno);
}

TEST(test_estab_xfer_newreno)
{
	struct xf e;
	uint32_t s1;

	REQUIRE(xf_open_iss(&e, tw_reno, 0x20000000u));
	e.c->optf &= ~TERN_NEG_SACK; /* NewReno is the recovery of peers without SACK */
	e.win = 4000;
	ack(&e, e.una0);
	REQUIRE_EQ(h_send(e.h, sbuf, 11 * MSS), (int)(11 * MSS));
	REQUIRE_EQ(e.h->out.n, 10);

	/* ACK the first: cwnd 11 MSS releases the 11th segment. */
	s1 = e.una0 + MSS;
	ack(&e, s1);
	REQUIRE_EQ(e.h->out.n, 1);
	check_data(&e, &e.h->tx[0], 10 * MSS, MSS, true);
	REQUIRE_EQ(e.c->snd_max - e.c->snd_una, 10 * MSS);

	dupack(&e, s1);
	CHECK_EQ(e.h->out.n, 0);
	dupack(&e, s1);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(H_MIB(e.h, TCPFastRetrans), 0);

	/* Third duplicate: one fast retransmit of the first unacked segment. */
	dupack(&e, s1);
	REQUIRE_EQ(e.h->out.n, 1);
	check_data(&e, &e.h->tx[0], MSS, MSS, false);
	CHECK_EQ(H_MIB(e.h, TCPFastRetrans), 1);
	CHECK_EQ(H_MIB(e.h, RetransSegs), 1);
	CHECK_EQ(e.c->ssthresh, 5 * MSS); /* cwnd 11 segments / 2 (tcp_reno_ssthresh) */
	CHECK_EQ(e.c->cwnd, 8 * MSS);     /* ssthresh + 3 * MSS */
	CHECK_EQ(H_MIB(e.h, TCPRenoRecovery), 1);
	CHECK_EQ(e.c->recover, e.una0 + 11 * MSS);

	/* Further duplicates inflate cwnd by MSS each. */
	dupack(&e, s1);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.c->cwnd, 9 * MSS);
	dupack(&e, s1);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.c->cwnd, 10 * MSS);
	REQUIRE_EQ(h_send(e.h, sbuf + 11 * MSS, 4 * MSS), (int)(4 * MSS));
	CHECK_EQ(e.h->out.n, 0); /* flight == cwnd */
	dupack(&e, s1);
	CHECK_EQ(e.c->cwnd, 11 * MSS);
	REQUIRE_EQ(e.h->out.n, 1); /* new data released */
	check_data(&e, &e.h->tx[0], 11 * MSS, MSS, false);
	CHECK_EQ(H_MIB(e.h, TCPFastRetrans), 1);
	CHECK_EQ(H_MIB(e.h, RetransSegs), 1);

	/* Partial ACK: retransmit the next hole, deflate, stay in recovery. */
	ack(&e, e.una0 + 3 * MSS);
	REQUIRE_EQ(e.h->out.n, 2);
	check_data(&e, &e.h->tx[0], 3 * MSS, MSS, false);
	check_data(&e, &e.h->tx[1], 12 * MSS, MSS, false);
	CHECK(e.c->flags & TERN_CF_RECOVERY);
	CHECK_EQ(e.c->cwnd, 10 * MSS); /* 11 - 2 + 1 */
	CHECK_EQ(H_MIB(e.h, RetransSegs), 2);
	CHECK_EQ(H_MIB(e.h, TCPFastRetrans), 1);

	/* Full ACK (>= recover): out, cwnd = min(ssthresh, FlightSize + MSS). */
	ack(&e, e.una0 + 11 * MSS);
	CHECK(!(e.c->flags & TERN_CF_RECOVERY));
	CHECK_EQ(e.c->cwnd, 3 * MSS); /* flight 2 MSS + MSS < 5 MSS */
	CHECK_EQ(e.c->ssthresh, 5 * MSS);
	REQUIRE_EQ(e.h->out.n, 1);
	check_data(&e, &e.h->tx[0], 13 * MSS, MSS, false);
	CHECK_EQ(e.h->acked, 11 * MSS);
	CHECK_EQ(H_MIB(e.h, TCPTimeouts), 0);
}

/*
 * RFC 6582 3.2 step 1 compares SND.UNA with `recover`, which "is
 * initialized to the initial send sequence number". With any ISS, the
 * third duplicate ACK of a fresh connection fast-retransmits.
 */
TEST(test_estab_xfer_fast_retransmit_high_iss)
{
	struct xf e;
	uint32_t s1;

	REQUIRE(xf_open_iss(&e, NULL, 0xa0000000u));
	REQUIRE_EQ(h_send(e.h, sbuf, 10 * MSS), (int)(10 * MSS));
	REQUIRE_EQ(e.h->out.n, 10);
	s1 = e.una0 + MSS;
	ack(&e, s1);
	for (int i = 0; i < 3; i++)
		dupack(&e, s1);
	CHECK_EQ(H_MIB(e.h, TCPFastRetrans), 1);
	REQUIRE_EQ(e.h->out.n, 1);
	check_data(&e, &e.h->tx[0], MSS, MSS, false);
}

/* --- zero window --- */

/* Probe n (1-based) goes out at the sum of min(1 s << k, 120 s), k < n. */
static uint64_t probe_time(uint64_t t0, uint32_t n)
{
	uint64_t t = t0;

	for (uint32_t k = 0; k < n; k++)
		t += (k < 7 ? (1000ull << k) : 120000ull) * MS;
	return t;
}

static void check_probe(const struct xf *e, const struct tern_tx *tx)
{
	CHECK_EQ(tx->flags, TERN_TH_ACK);
	CHECK_EQ(tx->seq, e->c->snd_una - 1); /* tcp_xmit_probe_skb */
	CHECK_EQ(tx->ack, e->c->rcv_nxt);
	CHECK_EQ(tx->len, 0);
}

/* The client closes its window, the application queues 1000 bytes. */
static bool zero_window(struct xf *e, uint64_t *t0)
{
	e->win = 0;
	ack(e, e->una0);
	if (e->c->snd_wnd != 0 || e->h->out.n != 0)
		return false;
	*t0 = e->h->now;
	return h_send(e->h, sbuf, 1000) == 1000 && e->h->out.n == 0;
}

TEST(test_estab_xfer_zero_window_probe)
{
	struct xf e;
	uint64_t t0;

	REQUIRE(xf_open(&e, NULL));
	REQUIRE(zero_window(&e, &t0));
	for (uint32_t n = 1; n <= 3; n++) {
		poll_at(&e, probe_time(t0, n) - 1 * MS);
		CHECK_EQ(e.h->out.n, 0);
		poll_at(&e, probe_time(t0, n));
		REQUIRE_EQ(e.h->out.n, 1);
		check_probe(&e, &e.h->tx[0]);
		CHECK_EQ(H_MIB(e.h, TCPWinProbe), n);
		if (n == 2) { /* answered, still shut */
			ack(&e, e.una0);
			CHECK_EQ(e.h->out.n, 0);
		}
	}
	/* The window opens: the data goes at once. */
	h_advance(e.h, 500 * MS);
	e.win = 502;
	ack(&e, e.una0);
	REQUIRE_EQ(e.h->out.n, 1);
	check_data(&e, &e.h->tx[0], 0, 1000, true);
	h_advance(e.h, 10 * MS);
	ack(&e, e.una0 + 1000);
	CHECK_EQ(e.h->acked, 1000);
	CHECK_EQ(e.c->snd_una, e.c->snd_max);
	CHECK_EQ(H_MIB(e.h, TCPTimeouts), 0);
	CHECK_EQ(H_MIB(e.h, RetransSegs), 0);
	CHECK_EQ(H_MIB(e.h, TCPWinProbe), 3);
}

/* Linux tcp_ack() zeroes icsk_probes_out on every ACK: a live receiver
 * that keeps its window shut is probed forever; a silent one is reset
 * after tcp_retries2 probes. */
TEST(test_estab_xfer_zero_window_answered_never_times_out)
{
	struct xf e;
	uint64_t t0;
	uint32_t n;

	REQUIRE(xf_open(&e, tw_retries_3));
	REQUIRE(zero_window(&e, &t0));
	for (n = 1; n <= 12; n++) {
		poll_at(&e, probe_time(t0, n) - 1 * MS);
		CHECK_EQ(e.h->out.n, 0);
		poll_at(&e, probe_time(t0, n));
		REQUIRE_EQ(e.h->out.n, 1);
		check_probe(&e, &e.h->tx[0]);
		ack(&e, e.una0);
		REQUIRE(e.h->conn != NULL);
	}
	CHECK_EQ(e.h->closes, 0);
	/* Silence: three more probes, then the reset. */
	for (; n <= 15; n++) {
		poll_at(&e, probe_time(t0, n));
		REQUIRE_EQ(e.h->out.n, 1);
		check_probe(&e, &e.h->tx[0]);
	}
	CHECK_EQ(e.h->closes, 0);
	poll_at(&e, probe_time(t0, n));
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(e.h->tx[0].seq, e.una0);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_TIMEOUT);
	CHECK_EQ(H_MIB(e.h, TCPWinProbe), 15);
}

/*
 * After the window opens (tcp_ack_probe: backoff 0, probe timer cleared)
 * the data sent is under the retransmission timer: lost, it is
 * retransmitted one RTO later, never "probed" with SEQ = SND.UNA - 1.
 */
TEST(test_estab_xfer_zero_window_open_then_rto)
{
	struct xf e;
	uint64_t t0, topen;
	uint32_t probes_after = 0, retrans_after = 0;

	REQUIRE(xf_open(&e, NULL));
	REQUIRE(zero_window(&e, &t0));
	for (uint32_t n = 1; n <= 3; n++) {
		poll_at(&e, probe_time(t0, n));
		REQUIRE_EQ(e.h->out.n, 1);
	}
	topen = probe_time(t0, 3) + 500 * MS;
	e.h->now = topen;
	e.win = 502;
	ack(&e, e.una0);
	REQUIRE_EQ(e.h->out.n, 1);
	check_data(&e, &e.h->tx[0], 0, 1000, true);

	/* No ACK: the retransmission comes RTO (1 s) after the send. */
	poll_at(&e, topen + 999 * MS);
	CHECK_EQ(e.h->out.n, 0);
	poll_at(&e, topen + SEC);
	CHECK_EQ(e.h->out.n, 1);
	if (e.h->out.n == 1)
		check_data(&e, &e.h->tx[0], 0, 1000, true);

	/* Whatever the schedule, with data in flight and an open window the
	 * timer retransmits and never probes. */
	for (int i = 0; i < 100 && probes_after + retrans_after < 3; i++) {
		uint64_t d = tern_stack__next_deadline(e.h->s);

		REQUIRE(d != UINT64_MAX);
		poll_at(&e, d > e.h->now ? d : e.h->now);
		for (uint32_t j = 0; j < e.h->out.n; j++) {
			if (e.h->tx[j].len == 0 && e.h->tx[j].seq == e.una0 - 1)
				probes_after++;
			else if (e.h->tx[j].len == 1000)
				retrans_after++;
		}
	}
	CHECK_EQ(probes_after, 0);
	CHECK(retrans_after > 0);
}

/* --- a shrinking window --- */

TEST(test_estab_xfer_shrink_window)
{
	struct xf e;
	uint32_t s1, rcv_nxt;

	REQUIRE(xf_open(&e, NULL));
	REQUIRE_EQ(h_send(e.h, sbuf, 20000), 20000);
	REQUIRE_EQ(e.h->out.n, 10);
	/* ACK one segment, offer 8 << 7 = 1024: the right edge moves left. */
	s1 = e.una0 + MSS;
	e.win = 8;
	ack(&e, s1);
	CHECK_EQ(e.c->snd_wnd, 1024);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.c->snd_max, e.una0 + 10 * MSS);
	CHECK_EQ(h_send(e.h, sbuf + 20000, 1000), 1000);
	CHECK_EQ(e.h->out.n, 0);

	/* RST at the window's right edge (tcp_acceptable_seq). */
	rcv_nxt = e.c->rcv_nxt;
	h_abort(e.h);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(e.h->tx[0].seq, s1 + 1024);
	CHECK_EQ(e.h->tx[0].ack, rcv_nxt);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_ABORT);
}

/*
 * Linux tcp_acceptable_seq() keeps SND.NXT when the window was shrunk by
 * less than one window-scale unit (1 << rx_opt.rcv_wscale), a rounding artefact
 * of the scaled window field.
 */
TEST(test_estab_xfer_shrink_abort_wscale_slack)
{
	struct xf e;

	REQUIRE(xf_open(&e, NULL));
	REQUIRE_EQ(h_send(e.h, sbuf, 1000), 1000);
	e.win = 7; /* 896: right edge una0 + 100 + 896 = snd_max - 4 */
	ack(&e, e.una0 + 100);
	REQUIRE_EQ(e.c->snd_wnd, 896);
	h_abort(e.h);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(e.h->tx[0].seq, e.una0 + 1000);
}

/*
 * The slack is one unit of the scale we receive with (rx_opt.rcv_wscale,
 * 3 here: 8 bytes), not the peer's (7: 128 bytes): a shrink of 50 bytes is
 * beyond it, so the RST goes at the window's right edge. The 4-byte shrink
 * above is below both scales and cannot tell them apart.
 */
TEST(test_estab_xfer_shrink_abort_beyond_rcv_wscale)
{
	struct xf e;

	REQUIRE(xf_open(&e, NULL));
	REQUIRE_EQ(e.c->rcv_wscale, 3);
	REQUIRE_EQ(h_send(e.h, sbuf, 1000), 1000);
	e.win = 7; /* 896: right edge una0 + 54 + 896 = snd_max - 50 */
	ack(&e, e.una0 + 54);
	REQUIRE_EQ(e.c->snd_wnd, 896);
	h_abort(e.h);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(e.h->tx[0].seq, e.una0 + 950);
}

/* --- receiving: delayed ACK (tcp_ack_snd_check, quickack mode) --- */

/* Use up the 16 quick ACKs with one-byte segments. */
static bool quick_acks_used(struct xf *e, uint32_t *off)
{
	for (uint32_t i = 0; i < 16; i++) {
		data(e, *off, 1, 0);
		if (e->h->out.n != 1 || e->h->tx[0].ack != e->rcv + *off + 1)
			return false;
		++*off;
	}
	return e->c->quick == 0 && e->h->ndata == 16;
}

TEST(test_estab_xfer_delayed_ack)
{
	struct xf e;
	uint32_t off = 0;
	uint64_t t;

	REQUIRE(xf_open(&e, NULL));
	REQUIRE(quick_acks_used(&e, &off));
	CHECK_EQ(H_MIB(e.h, DelayedACKs), 0);

	/* one full-sized segment: ACK within 40 ms */
	t = e.h->now;
	data(&e, off, MSS, 0);
	off += MSS;
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(e.h->ndata, off);
	CHECK_EQ(H_MIB(e.h, DelayedACKs), 1);
	poll_at(&e, t + 39 * MS);
	CHECK_EQ(e.h->out.n, 0);
	poll_at(&e, t + 41 * MS);
	REQUIRE_EQ(e.h->out.n, 1);
	check_pure_ack(&e, &e.h->tx[0], e.rcv + off);
	poll_at(&e, t + 200 * MS);
	CHECK_EQ(e.h->out.n, 0);

	/* two full-sized segments: ACK at once on the second */
	t = e.h->now;
	data(&e, off, MSS, 0);
	off += MSS;
	CHECK_EQ(e.h->out.n, 0);
	data(&e, off, MSS, 0);
	off += MSS;
	REQUIRE_EQ(e.h->out.n, 1);
	check_pure_ack(&e, &e.h->tx[0], e.rcv + off);
	poll_at(&e, t + 41 * MS);
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(H_MIB(e.h, DelayedACKs), 2);

	/* one segment, then the application answers: the ACK rides along */
	t = e.h->now;
	data(&e, off, MSS, 0);
	off += MSS;
	CHECK_EQ(e.h->out.n, 0);
	CHECK_EQ(H_MIB(e.h, DelayedACKs), 3);
	h_advance(e.h, 5 * MS);
	REQUIRE_EQ(h_send(e.h, sbuf, 100), 100);
	REQUIRE_EQ(e.h->out.n, 1);
	check_data(&e, &e.h->tx[0], 0, 100, true);
	CHECK_EQ(e.h->tx[0].ack, e.rcv + off);
	poll_at(&e, t + 41 * MS);
	CHECK_EQ(e.h->out.n, 0);
	poll_at(&e, t + 500 * MS);
	CHECK_EQ(e.h->out.n, 0);

	CHECK_EQ(e.h->ndata, off);
	CHECK(!memcmp(e.h->data, rbuf, off));
}

/* --- out-of-order data and SACK --- */

static void check_sack(const struct tern_tx *tx, uint32_t n, const struct tern_sack_blk *b)
{
	struct tern_opts o = h_tx_opts(tx);

	CHECK(o.present & TERN_OPT_TS);
	CHECK(o.present & TERN_OPT_SACK);
	REQUIRE_EQ(o.nsack, n);
	for (uint32_t i = 0; i < n; i++) {
		CHECK_EQ(o.sack[i].start, b[i].start);
		CHECK_EQ(o.sack[i].end, b[i].end);
	}
}

TEST(test_estab_xfer_ooo_sack_blocks)
{
	struct xf e;
	struct tern_sack_blk b[4];

	REQUIRE(xf_open(&e, NULL));
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t off = 1000 * (i + 1);

		CHECK_EQ(data(&e, off, 100, 0xf00 + i), 1); /* kept */
		REQUIRE_EQ(e.h->out.n, 1);
		check_pure_ack(&e, &e.h->tx[0], e.rcv);
		/* most recent first, three blocks at most next to TS */
		for (uint32_t j = 0; j <= i && j < 3; j++) {
			b[j].start = e.rcv + 1000 * (i + 1 - j);
			b[j].end = b[j].start + 100;
		}
		check_sack(&e.h->tx[0], i < 3 ? i + 1 : 3, b);
		CHECK(e.h->tx[0].optlen <= TERN_TCP_MAX_OPTLEN);
	}
	CHECK_EQ(H_MIB(e.h, TCPOFOQueue), 4);
	CHECK_EQ(e.h->ndata, 0);
	CHECK_EQ(e.h->released, 0);
	CHECK_EQ(e.c->rcv_nxt, e.rcv);
}

TEST(test_estab_xfer_ooo_fill_hole)
{
	struct xf e;
	struct tern_sack_blk b;

	REQUIRE(xf_open(&e, NULL));
	CHECK_EQ(data(&e, 100, 100, 1), 1);
	CHECK_EQ(data(&e, 300, 100, 3), 1);
	CHECK_EQ(data(&e, 200, 100, 2), 1);
	REQUIRE_EQ(e.h->out.n, 1);
	b.start = e.rcv + 100;
	b.end = e.rcv + 400;
	check_sack(&e.h->tx[0], 1, &b); /* merged */
	CHECK_EQ(e.h->ndata, 0);

	CHECK_EQ(data(&e, 0, 100, 99), 0); /* in order: not kept */
	CHECK_EQ(e.h->ndata, 400);
	CHECK(!memcmp(e.h->data, rbuf, 400));
	CHECK_EQ(e.h->released, 3);
	CHECK_EQ(e.h->last_released, 3);
	CHECK_EQ(e.c->rcv_nxt, e.rcv + 400);
	CHECK_EQ(e.c->ooo.n, 0);
	REQUIRE_EQ(e.h->out.n, 1); /* at once, no SACK left */
	check_pure_ack(&e, &e.h->tx[0], e.rcv + 400);
	CHECK(!(h_tx_opts(&e.h->tx[0]).present & TERN_OPT_SACK));
	CHECK_EQ(H_MIB(e.h, TCPOFOQueue), 3);
}

TEST(test_estab_xfer_ooo_bound)
{
	struct xf e;
	struct tern_sack_blk b[2];

	REQUIRE(xf_open(&e, tw_ooo_2));
	CHECK_EQ(data(&e, 1000, 100, 1), 1);
	CHECK_EQ(data(&e, 2000, 100, 2), 1);
	CHECK_EQ(data(&e, 3000, 100, 3), 0); /* over the bound: not kept */
	CHECK_EQ(H_MIB(e.h, TCPOFODrop), 1);
	CHECK_EQ(H_MIB(e.h, TCPOFOQueue), 2);
	REQUIRE_EQ(e.h->out.n, 1); /* still ACKed */
	b[0].start = e.rcv + 2000;
	b[0].end = e.rcv + 2100;
	b[1].start = e.rcv + 1000;
	b[1].end = e.rcv + 1100;
	check_sack(&e.h->tx[0], 2, b);
	CHECK_EQ(e.c->ooo.n, 2);
	CHECK_EQ(e.h->released, 0);
}

TEST(test_estab_xfer_ooo_teardown_releases)
{
	struct xf e;

	/* abort */
	REQUIRE(xf_open(&e, NULL));
	for (uint32_t i = 0; i < 3; i++)
		CHECK_EQ(data(&e, 1000 * (i + 1), 100, 10 + i), 1);
	h_abort(e.h);
	CHECK_EQ(e.h->released, 3);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(e.h->last_reason, TERN_CLOSE_ABORT);

	/* close with data never delivered: RST, frames back (RFC 2525 2.17) */
	REQUIRE(xf_open(&e, NULL));
	for (uint32_t i = 0; i < 2; i++)
		CHECK_EQ(data(&e, 1000 * (i + 1), 100, 20 + i), 1);
	CHECK_EQ(h_close(e.h), 0);
	CHECK_EQ(e.h->released, 2);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(H_MIB(e.h, TCPAbortOnClose), 1);
	CHECK_EQ(e.h->closes, 1);
	CHECK_EQ(tern_stack__nconns(e.h->s), 0);
}

/* --- sequence numbers wrapping past 2^32 --- */

TEST(test_estab_xfer_wrap_receive)
{
	struct xf e;
	struct tern_sack_blk b;

	/* RCV.NXT = 2^32 - 2500: the third 1000-byte segment straddles 0. */
	REQUIRE(xf_open_at(&e, NULL, 0xfffff63bu, 0));
	REQUIRE_EQ(e.rcv, 0xfffff63cu);
	CHECK_EQ(data(&e, 0, 1000, 0), 0);
	CHECK_EQ(data(&e, 2000, 1000, 7), 1); /* across the wrap, early */
	REQUIRE_EQ(e.h->out.n, 1);
	b.start = e.rcv + 2000;
	b.end = e.rcv + 3000;
	CHECK(b.end < b.start);
	check_sack(&e.h->tx[0], 1, &b);
	CHECK_EQ(e.h->tx[0].ack, e.rcv + 1000);
	CHECK_EQ(data(&e, 1000, 1000, 0), 0);
	CHECK_EQ(e.h->released, 1);
	CHECK_EQ(e.h->last_released, 7);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].ack, e.rcv + 3000);
	CHECK_EQ(data(&e, 3000, 1000, 0), 0);
	REQUIRE_EQ(e.h->out.n, 1);
	CHECK_EQ(e.h->tx[0].ack, e.rcv + 4000);
	CHECK_EQ(e.c->rcv_nxt, 0x5dcu);
	CHECK_EQ(e.h->ndata, 4000);
	CHECK(!memcmp(e.h->data, rbuf, 4000));
	CHECK_EQ(H_MIB(e.h, InDropOutOfWindow), 0);
}

TEST(test_estab_xfer_wrap_send)
{
	struct xf e;
	uint32_t sent = 10 * MSS;

	/* SND.NXT = 2^32 - 4095: the third segment straddles 0. */
	REQUIRE(xf_open_iss(&e, NULL, 0xfffff000u));
	REQUIRE_EQ(h_send(e.h, sbuf, 20000), 20000);
	REQUIRE_EQ(e.h->out.n, 10);
	for (uint32_t i = 0; i < 10; i++)
		check_data(&e, &e.h->tx[i], i * MSS, MSS, false);
	CHECK(e.c->snd_max < e.una0);

	ack(&e, e.una0 + 2 * MSS); /* before the wrap */
	CHECK_EQ(e.h->acked, 2 * MSS);
	/* slow start grows by every byte acknowledged (tcp_slow_start) */
	CHECK_EQ(e.c->cwnd, 12 * MSS);
	REQUIRE_EQ(e.h->out.n, 4); /* cwnd 12 - flight 8: the rest */
	for (uint32_t i = 0; i < 3; i++)
		check_data(&e, &e.h->tx[i], sent + i * MSS, MSS, false);
	sent += 3 * MSS;
	check_data(&e, &e.h->tx[3], sent, 20000 - sent, true);
	ack(&e, e.una0 + 5 * MSS); /* past it */
	CHECK_EQ(e.h->acked, 5 * MSS);
	CHECK_EQ(e.c->cwnd, 15 * MSS);
	CHECK_EQ(e.h->out.n, 0);
	ack(&e, e.una0 + 20000);
	CHECK_EQ(e.h->acked, 20000);
	CHECK_EQ(e.c->snd_una, e.una0 + 20000);
	CHECK_EQ(e.c->snd_una, e.c->snd_max);
	CHECK_EQ(e.c->sq_bytes, 0);
	CHECK_EQ(e.c->rto_at, 0);
	CHECK_EQ(H_MIB(e.h, InDropAckUnsent), 0);
	CHECK_EQ(H_MIB(e.h, TCPChallengeACK), 0);
	CHECK_EQ(H_MIB(e.h, RetransSegs), 0);
}

/* A full-size data segment that carries SACK blocks still fits the MTU:
 * the payload shrinks by the SACK option (tcp_current_mss). */
TEST(test_estab_xfer_sack_blocks_fit_mtu)
{
	static uint8_t buf[4000];
	struct h h;
	uint32_t iss;
	struct tern_seg s;
	int checked = 0;

	h_init(&h, NULL);
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	s = h_seg(&h, TERN_TH_ACK, 1001 + 1448, iss + 1); /* out of order: a hole */
	h_ts(&s, 50, 0);
	s.win = 502;
	s.payload = buf;
	s.len = 100;
	s.frame = 3;
	REQUIRE_EQ(h_in(&h, &s), 1);
	REQUIRE(h_send(&h, buf, sizeof(buf)) > 0);
	for (uint32_t i = 0; i < h.out.n; i++) {
		const struct tern_tx *tx = &h.tx[i];

		if (!tx->len)
			continue;
		CHECK(20 + 20 + tx->optlen + tx->len <= 1500);
		CHECK(h_tx_opts(tx).nsack == 1);
		checked++;
	}
	CHECK(checked >= 2);
	h_free(&h);
}
