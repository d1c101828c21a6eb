// SPDX-License-Identifier: BSD-2-Clause
/*
 * Buffer autotuning (buf.c): the receive window follows what the
 * application consumes per RTT up to rmem_max, the send buffer follows
 * cwnd up to wmem_max, and the stack's memory bound cuts both without
 * moving an advertised right edge back. Virtual time; the client is
 * driven by hand.
 */
#include <errno.h>

#include "harness.h"
#include "t.h"

#define MSS 1448u /* Linux client MSS 1460 less the timestamp option */

static uint8_t payload[MSS];

static void small_rmem(struct tern_cfg *c)
{
	c->rcv_wnd = 16384;
	c->rmem_min = 4096;
	c->rmem_max = 131072; /* window scale 2 */
}

static struct tern_seg data(struct h *h, uint32_t seq, uint32_t ack, uint32_t len, uint32_t ts)
{
	struct tern_seg s = h_seg(h, TERN_TH_ACK | TERN_TH_PSH, seq, ack);

	h_ts(&s, ts, 0);
	s.win = 65535;
	s.payload = payload;
	s.len = len;
	return s;
}

/* The right edge the last reply advertised (ACK + scaled window). */
static uint32_t edge_of(const struct h *h)
{
	const struct tern_tx *tx = &h->tx[h->out.n - 1];

	return tx->ack + ((uint32_t)tx->win << h->conn->rcv_wscale);
}

/*
 * Send one window's worth (up to the edge advertised when the RTT began)
 * in full segments, then let 10 ms pass (more than the handshake's 1 ms
 * SRTT). Returns the newest edge; every ACK's edge must be at or beyond
 * the one before.
 */
static uint32_t one_rtt(struct h *h, uint32_t *seq, uint32_t ack, uint32_t edge, uint32_t *ts,
			int *shrunk)
{
	uint32_t end = edge;

	while (tern_seq_lt(*seq, end)) {
		uint32_t len = end - *seq < MSS ? end - *seq : MSS;
		struct tern_seg s = data(h, *seq, ack, len, ++*ts);

		h_in(h, &s);
		*seq += len;
		if (h->out.n) {
			if (tern_seq_lt(edge_of(h), edge))
				*shrunk = 1;
			edge = edge_of(h);
		}
	}
	h_advance(h, 10 * TERN_NSEC_PER_MSEC);
	h_poll(h);
	if (h->out.n) {
		if (tern_seq_lt(edge_of(h), edge))
			*shrunk = 1;
		edge = edge_of(h);
	}
	return edge;
}

/* An application that takes every byte at once: the window target grows
 * RTT by RTT from rcv_wnd, never past rmem_max, and the advertised window
 * follows it. */
TEST(test_estab_buf_rcv_window_grows_with_consumption)
{
	struct h h;
	uint32_t iss = 0, seq = 1001, ts = 10, edge, last, prev = 0;
	int shrunk = 0, grew = 0;

	h_init(&h, small_rmem);
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	REQUIRE_EQ(h.conn->rcv_wscale, 2);
	edge = seq + tern_rcv_edge(h.s, h.conn) - h.conn->rcv_wup;
	CHECK_EQ(tern_conn__rcvbuf(h.s, h.conn), 16384);
	for (int i = 0; i < 30; i++) {
		uint32_t rb;

		edge = one_rtt(&h, &seq, iss + 1, edge, &ts, &shrunk);
		rb = tern_conn__rcvbuf(h.s, h.conn);
		CHECK(rb >= prev);
		CHECK(rb <= 131072);
		grew += rb > prev && prev;
		prev = rb;
	}
	CHECK_EQ(prev, 131072);
	CHECK(grew >= 2); /* RTT by RTT, not in one step */
	CHECK_EQ(shrunk, 0);
	/* The window advertised now is the bound's, scaled. */
	last = edge - h.conn->rcv_nxt;
	CHECK(last > 16384);
	CHECK(last <= 131072);
	h_free(&h);
}

/* An application that consumes nothing (credit mode, no credit given
 * back): the window never grows. */
TEST(test_estab_buf_rcv_window_stays_without_consumption)
{
	struct h h;
	uint32_t iss = 0, seq = 1001, ts = 10;
	struct tern_seg s;

	h_init(&h, small_rmem);
	h.rcv_limit = 1u << 20;
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	for (int i = 0; i < 10; i++) {
		s = data(&h, seq, iss + 1, MSS, ++ts);
		h_in(&h, &s);
		seq += MSS;
		h_advance(&h, 10 * TERN_NSEC_PER_MSEC);
	}
	CHECK_EQ(tern_conn__rcvbuf(h.s, h.conn), 16384);
	h_free(&h);
}

static void pressure_cfg(struct tern_cfg *c)
{
	small_rmem(c);
	c->mem[0] = 1000;
	c->mem[1] = 2000;
	c->mem[2] = 1u << 20;
}

/*
 * Memory pressure (queued send data beyond mem[1]): counted once, the
 * window target drops to four segments, and the window shrinks only as
 * data arrives: no ACK moves the right edge back. Once the pressure is
 * gone (below mem[0]) it may grow again.
 */
TEST(test_estab_buf_pressure_shrinks_without_moving_edge)
{
	static uint8_t big[8000];
	struct h h;
	uint32_t iss = 0, seq = 1001, ts = 10, edge;
	int shrunk = 0;

	h_init(&h, pressure_cfg);
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	edge = seq + tern_rcv_edge(h.s, h.conn) - h.conn->rcv_wup;
	for (int i = 0; i < 6; i++)
		edge = one_rtt(&h, &seq, iss + 1, edge, &ts, &shrunk);
	REQUIRE(tern_conn__rcvbuf(h.s, h.conn) > 4 * MSS);
	CHECK_EQ(H_MIB(&h, TCPMemoryPressures), 0);

	REQUIRE(h_send(&h, big, sizeof(big)) > 2000);
	CHECK_EQ(H_MIB(&h, TCPMemoryPressures), 1);
	CHECK_EQ(tern_conn__rcvbuf(h.s, h.conn), 4 * MSS);
	/* Two segments (an ACK at once): it keeps the edge, the window
	 * shrank by them. */
	for (int i = 0; i < 2; i++) {
		struct tern_seg s = data(&h, seq, iss + 1, MSS, ++ts);

		h_in(&h, &s);
		seq += MSS;
	}
	{
		REQUIRE(h.out.n >= 1);
		CHECK(!tern_seq_lt(edge_of(&h), edge));
		edge = edge_of(&h);
	}
	for (int i = 0; i < 3; i++)
		edge = one_rtt(&h, &seq, iss + 1, edge, &ts, &shrunk);
	CHECK_EQ(shrunk, 0);
	CHECK(edge - h.conn->rcv_nxt <= 4 * MSS + 3);
	CHECK_EQ(H_MIB(&h, TCPMemoryPressures), 1);
	h_free(&h);
}

static void small_wmem(struct tern_cfg *c)
{
	c->snd_buf = 4000;
	c->wmem_min = 4000;
	c->wmem_max = 65536;
}

/* A sender held back by its send buffer: each ACK that frees room grows
 * the buffer to two congestion windows, up to wmem_max. */
TEST(test_estab_buf_sndbuf_grows_with_cwnd)
{
	static uint8_t big[1u << 20];
	struct h h;
	uint32_t iss = 0, ts = 10, una, prev, sent = 0;

	h_init(&h, small_wmem);
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	una = iss + 1;
	REQUIRE_EQ(h_send(&h, big, sizeof(big)), 4000);
	prev = tern_conn__sndbuf(h.s, h.conn);
	CHECK_EQ(prev, 4000);
	for (int i = 0; i < 20; i++) {
		struct tern_seg a = h_seg(&h, TERN_TH_ACK, 1001, h.conn->snd_max);
		struct tern_conn_info ci;
		int r;

		h_ts(&a, ++ts, 0);
		a.win = 65535;
		h_in(&h, &a);
		una = h.conn->snd_una;
		tern_conn__info(h.conn, &ci);
		CHECK(tern_conn__sndbuf(h.s, h.conn) >= prev);
		CHECK(tern_conn__sndbuf(h.s, h.conn) <= 65536);
		if (ci.cwnd * 2 < 65536)
			CHECK(tern_conn__sndbuf(h.s, h.conn) >= ci.cwnd * 2 ||
			      tern_conn__sndbuf(h.s, h.conn) >= 20 * MSS);
		prev = tern_conn__sndbuf(h.s, h.conn);
		r = h_send(&h, big, sizeof(big));
		if (r > 0)
			sent += (uint32_t)r;
	}
	CHECK_EQ(prev, 65536);
	CHECK(una != iss + 1);
	CHECK(sent > 65536);
	h_free(&h);
}

static void hard_cfg(struct tern_cfg *c)
{
	c->mem[0] = 1000;
	c->mem[1] = 2000;
	c->mem[2] = 4000;
}

/*
 * The hard bound: a send that would take the stack past mem[2] is refused
 * (OutSndMemFull); a connection that holds queued data and takes data in
 * credit mode drops new data unACKed (TCPRcvQDrop) instead of delivering
 * it.
 */
TEST(test_estab_buf_hard_bound_refuses_and_drops)
{
	static uint8_t big[8000];
	struct h h;
	uint32_t iss = 0;
	struct tern_seg s;

	h_init(&h, hard_cfg);
	h.rcv_limit = 100000;
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	REQUIRE_EQ(h_send(&h, big, 4000), 4000);
	CHECK_EQ(H_MIB(&h, OutSndMemFull), 0);
	CHECK_EQ(h_send(&h, big, 100), -EAGAIN);
	CHECK_EQ(H_MIB(&h, OutSndMemFull), 1);
	s = data(&h, 1001, iss + 1, 500, 20);
	h_in(&h, &s);
	CHECK_EQ(h.ndata, 0);
	CHECK_EQ(H_MIB(&h, TCPRcvQDrop), 1);
	REQUIRE(h.out.n >= 1);
	CHECK_EQ(h.tx[h.out.n - 1].ack, 1001);
	h_free(&h);
}

/* The window scale follows rmem_max, not the initial window. */
TEST(test_listen_wscale_from_rmem_max)
{
	struct h h;
	uint32_t iss = 0;

	h_init(&h, small_rmem);
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	CHECK_EQ(h.conn->rcv_wscale, 2);
	h_free(&h);
}
