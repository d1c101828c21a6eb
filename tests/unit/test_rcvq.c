// SPDX-License-Identifier: BSD-2-Clause
/*
 * The receive queue of a connection beyond RCV.NXT: a FIN that arrives out
 * of order is kept and takes effect when the hole fills (Linux keeps the
 * FIN flag on the ofo skb; tcp_ofo_queue() then tcp_fin()), the
 * per-connection bound on out-of-order segments, and pruning from the
 * highest sequence down when a bound is hit (tcp_prune_ofo_queue).
 * Connections come from h_connect(): TS, SACK, WS 7.
 */
#include <stdbool.h>
#include <string.h>

#include "tests/unit/harness.h"
#include "tests/unit/t.h"

#define CSEQ 0x40000000u
#define TSV0 9000u

static struct h hh;
static uint8_t rbuf[8192];

struct rq {
	uint32_t iss;
	uint32_t rcv;   /* the client's first data byte */
	uint32_t tsval;
};

static void reset(void (*tweak)(struct tern_cfg *))
{
	if (hh.mem)
		h_free(&hh);
	h_init(&hh, tweak);
	for (size_t i = 0; i < sizeof(rbuf); i++)
		rbuf[i] = (uint8_t)(i * 11 + 3);
}

static bool open_rq(struct rq *e, void (*tweak)(struct tern_cfg *))
{
	reset(tweak);
	memset(e, 0, sizeof(*e));
	if (!h_connect(&hh, CSEQ, TSV0, &e->iss))
		return false;
	e->rcv = CSEQ + 1;
	e->tsval = TSV0 + 1;
	return true;
}

/* Client bytes rbuf[off, off + len) (FIN after them when fin), in frame
 * `frame`. Returns 1 when the core kept the frame. */
static int data(struct rq *e, uint32_t off, uint32_t len, int fin, uint64_t frame)
{
	struct tern_seg s = h_seg(&hh, TERN_TH_ACK | (fin ? TERN_TH_FIN : 0), e->rcv + off,
				  e->iss + 1);

	s.win = 502;
	h_ts(&s, ++e->tsval, tern_ms(hh.now) + hh.conn->ts_off);
	s.payload = rbuf + off;
	s.len = len;
	s.frame = frame;
	return h_in(&hh, &s);
}

static struct tern_sack_blk first_sack(const struct tern_tx *tx)
{
	struct tern_opts o = h_tx_opts(tx);
	struct tern_sack_blk b = { 0, 0 };

	if (o.nsack)
		b = o.sack[0];
	return b;
}

/* Data and FIN beyond a hole: queued; the hole's data delivers all and the
 * FIN moves the connection to CLOSE-WAIT with one ACK covering it. */
TEST(test_estab_ooo_fin_after_hole)
{
	struct rq e;
	struct tern_sack_blk b;

	REQUIRE(open_rq(&e, NULL));
	CHECK_EQ(data(&e, 100, 50, 1, 7), 1);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].ack, e.rcv);
	b = first_sack(&hh.tx[0]);
	CHECK_EQ(b.start, e.rcv + 100);
	CHECK_EQ(b.end, e.rcv + 151); /* the FIN's sequence number included */
	CHECK_EQ(hh.fins, 0);
	CHECK_EQ(tern_conn__state(hh.conn), TERN_ESTABLISHED);

	CHECK_EQ(data(&e, 0, 100, 0, 8), 0);
	CHECK_EQ(hh.ndata, 150);
	CHECK(!memcmp(hh.data, rbuf, 150));
	CHECK_EQ(hh.fins, 1);
	REQUIRE(hh.conn);
	CHECK_EQ(tern_conn__state(hh.conn), TERN_CLOSE_WAIT);
	CHECK_EQ(hh.conn->rcv_nxt, e.rcv + 151);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].flags, TERN_TH_ACK);
	CHECK_EQ(hh.tx[0].ack, e.rcv + 151);
	CHECK_EQ(hh.released, 1);
	CHECK_EQ(hh.last_released, 7);
	CHECK_EQ(hh.conn->ooo.n, 0);
}

/* A bare FIN beyond a hole (no payload): kept, no frame held. */
TEST(test_estab_ooo_bare_fin_after_hole)
{
	struct rq e;

	REQUIRE(open_rq(&e, NULL));
	CHECK_EQ(data(&e, 30, 0, 1, 5), 0);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].ack, e.rcv);
	CHECK_EQ(first_sack(&hh.tx[0]).start, e.rcv + 30);
	CHECK_EQ(first_sack(&hh.tx[0]).end, e.rcv + 31);
	CHECK_EQ(hh.fins, 0);

	CHECK_EQ(data(&e, 0, 30, 0, 6), 0);
	CHECK_EQ(hh.ndata, 30);
	CHECK_EQ(hh.fins, 1);
	REQUIRE(hh.conn);
	CHECK_EQ(tern_conn__state(hh.conn), TERN_CLOSE_WAIT);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].ack, e.rcv + 31);
	CHECK_EQ(hh.released, 0);
}

/* The hole fills in two steps: the FIN waits for the last byte. */
TEST(test_estab_ooo_fin_partial_fill)
{
	struct rq e;

	REQUIRE(open_rq(&e, NULL));
	data(&e, 200, 10, 1, 1);
	data(&e, 0, 100, 0, 2);
	CHECK_EQ(hh.ndata, 100);
	CHECK_EQ(hh.fins, 0);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].ack, e.rcv + 100);
	data(&e, 100, 100, 0, 3);
	CHECK_EQ(hh.ndata, 210);
	CHECK_EQ(hh.fins, 1);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].ack, e.rcv + 211);
	CHECK_EQ(tern_conn__state(hh.conn), TERN_CLOSE_WAIT);
}

/* After the application closed (FIN-WAIT-2, orphaned) an out-of-order FIN
 * completes the close into TIME-WAIT once the hole fills. */
TEST(test_fin_wait_2_ooo_fin_to_time_wait)
{
	struct rq e;
	struct tern_seg s;

	REQUIRE(open_rq(&e, NULL));
	REQUIRE_EQ(h_shutdown(&hh), 0);
	s = h_seg(&hh, TERN_TH_ACK, e.rcv, e.iss + 2);
	s.win = 502;
	h_ts(&s, ++e.tsval, tern_ms(hh.now) + hh.conn->ts_off);
	h_in(&hh, &s);
	REQUIRE_EQ(tern_conn__state(hh.conn), TERN_FIN_WAIT_2);
	data(&e, 10, 10, 1, 1);
	CHECK_EQ(tern_stack__ntw(hh.s), 0);
	data(&e, 0, 10, 0, 2);
	CHECK_EQ(hh.ndata, 20);
	CHECK_EQ(hh.fins, 1);
	CHECK_EQ(tern_stack__nconns(hh.s), 0);
	CHECK_EQ(tern_stack__ntw(hh.s), 1);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].ack, e.rcv + 21);
}

static void rcv_wnd_4k(struct tern_cfg *c)
{
	c->rcv_wnd = 4096;
}

/* A FIN beyond the receive window's edge is not remembered. */
TEST(test_estab_ooo_fin_beyond_window)
{
	struct rq e;
	uint32_t w;

	REQUIRE(open_rq(&e, rcv_wnd_4k));
	w = tern_rcv_edge(hh.s, hh.conn) - e.rcv;
	REQUIRE_EQ(w, 2896); /* the SYN-ACK's: 4096 in whole segments */
	data(&e, w - 10, 20, 1, 1); /* 10 bytes fit, the FIN does not */
	data(&e, 0, w - 10, 0, 2);
	CHECK_EQ(hh.ndata, w);
	CHECK_EQ(hh.fins, 0);
	CHECK_EQ(tern_conn__state(hh.conn), TERN_ESTABLISHED);
}

/* --- bounds and pruning (tcp_prune_ofo_queue) --- */

static void ooo_3(struct tern_cfg *c)
{
	c->ooo_per_conn = 3;
}

/* At the connection's bound a segment lower than the queue's highest
 * replaces it (OfoPruned, the highest frame released); one that would
 * land last is dropped (TCPOFODrop). */
TEST(test_estab_ooo_prune_highest_for_lower)
{
	struct rq e;
	struct tern_opts o;

	REQUIRE(open_rq(&e, ooo_3));
	CHECK_EQ(data(&e, 1000, 100, 0, 1), 1);
	CHECK_EQ(data(&e, 2000, 100, 0, 2), 1);
	CHECK_EQ(data(&e, 3000, 100, 0, 3), 1);
	CHECK_EQ(hh.conn->ooo.n, 3);

	CHECK_EQ(data(&e, 500, 100, 0, 4), 1);
	CHECK_EQ(H_MIB(&hh, OfoPruned), 1);
	CHECK_EQ(H_MIB(&hh, TCPOFODrop), 0);
	CHECK_EQ(hh.released, 1);
	CHECK_EQ(hh.last_released, 3);
	CHECK_EQ(hh.conn->ooo.n, 3);
	REQUIRE_EQ(hh.out.n, 1);
	o = h_tx_opts(&hh.tx[0]);
	REQUIRE_EQ(o.nsack, 3);
	CHECK_EQ(o.sack[0].start, e.rcv + 500); /* the newest first */
	for (int i = 0; i < 3; i++)
		CHECK(o.sack[i].start != e.rcv + 3000);

	CHECK_EQ(data(&e, 4000, 100, 0, 5), 0);
	CHECK_EQ(H_MIB(&hh, TCPOFODrop), 1);
	CHECK_EQ(H_MIB(&hh, OfoPruned), 1);
	CHECK_EQ(hh.released, 1);

	/* the hole fills: 0..600 in order, 1000.. and 2000.. stay queued */
	CHECK_EQ(data(&e, 0, 500, 0, 6), 0);
	CHECK_EQ(hh.ndata, 600);
	CHECK_EQ(hh.conn->ooo.n, 2);
}

static void pool_4_per_conn_3(struct tern_cfg *c)
{
	c->max_ooo = 4;
	c->ooo_per_conn = 3;
}

/* One connection cannot take the whole pool; when the pool is empty a
 * connection prunes its own queue for a lower segment, never another's. */
TEST(test_estab_ooo_pool_shared_and_pruned)
{
	struct rq a, b;
	struct tern_conn *ca, *cb;

	REQUIRE(open_rq(&a, pool_4_per_conn_3));
	ca = hh.conn;
	CHECK_EQ(data(&a, 1000, 10, 0, 1), 1);
	CHECK_EQ(data(&a, 2000, 10, 0, 2), 1);
	CHECK_EQ(data(&a, 3000, 10, 0, 3), 1);
	CHECK_EQ(data(&a, 4000, 10, 0, 4), 0); /* A's bound, lands last */
	CHECK_EQ(H_MIB(&hh, TCPOFODrop), 1);

	hh.cport = 40001;
	memset(&b, 0, sizeof(b));
	REQUIRE(h_connect(&hh, CSEQ, TSV0, &b.iss));
	b.rcv = CSEQ + 1;
	b.tsval = TSV0 + 1;
	cb = hh.conn;
	REQUIRE(cb != ca);
	CHECK_EQ(data(&b, 3000, 10, 0, 11), 1); /* the pool's last entry */
	CHECK_EQ(hh.s->ooo.used, 4);
	CHECK_EQ(data(&b, 1000, 10, 0, 12), 1); /* pool empty: prune B's own */
	CHECK_EQ(H_MIB(&hh, OfoPruned), 1);
	CHECK_EQ(hh.last_released, 11);
	CHECK_EQ(cb->ooo.n, 1);
	CHECK_EQ(ca->ooo.n, 3);
	CHECK_EQ(data(&b, 2000, 10, 0, 13), 0); /* would land last: dropped */
	CHECK_EQ(H_MIB(&hh, TCPOFODrop), 2);
	CHECK_EQ(ca->ooo.n, 3);
}
