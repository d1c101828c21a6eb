// SPDX-License-Identifier: BSD-2-Clause
/* Receive flow control: the application's credit bounds delivery and the
 * advertised window; giving credit back reopens it. */
#include "harness.h"
#include "t.h"

static uint8_t payload[8192];

/* A connection in credit mode with `limit` bytes; returns tern's ISS. */
static uint32_t open_limited(struct h *h, uint32_t limit)
{
	uint32_t iss = 0;

	h_init(h, NULL);
	h->rcv_limit = limit;
	h_connect(h, 1000, 1, &iss);
	return iss;
}

static struct tern_seg data(struct h *h, uint32_t seq, uint32_t iss, uint32_t len)
{
	struct tern_seg s = h_seg(h, TERN_TH_ACK | TERN_TH_PSH, seq, iss + 1);

	h_ts(&s, 10 + seq, 0);
	s.win = 502;
	s.payload = payload;
	s.len = len;
	return s;
}

/* The window field of the last reply, in bytes (our scale is 3). */
static uint32_t win_bytes(const struct h *h)
{
	return (uint32_t)h->tx[h->out.n - 1].win << 3;
}

TEST(test_estab_rcv_credit_bounds_delivery_and_window)
{
	struct h h;
	uint32_t iss = open_limited(&h, 3000);
	struct tern_seg s;

	REQUIRE(h.conn);
	s = data(&h, 1001, iss, 2000);
	h_in(&h, &s);
	CHECK_EQ(h.ndata, 2000);
	REQUIRE(h.out.n >= 1); /* quick ACK */
	CHECK_EQ(h.tx[h.out.n - 1].ack, 3001);
	CHECK_EQ(win_bytes(&h), 1000);
	/* 2000 more: the application never gets more than its credit, so
	 * only 1000 are taken, ACKed at once with the window closed. (Linux
	 * would queue the whole segment here; the credit bound is tern's.) */
	s = data(&h, 3001, iss, 2000);
	h_in(&h, &s);
	CHECK_EQ(h.ndata, 3000);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].ack, 4001);
	CHECK_EQ(h.tx[0].win, 0);
	h_free(&h);
}

/*
 * TCPZeroWindowDrop counts what Linux's tcp_data_queue counts: a segment at
 * RCV.NXT while the receive window is zero (tcp_receive_window(tp) == 0),
 * dropped and ACKed at once (out_of_window: tcp_enter_quickack_mode +
 * inet_csk_schedule_ack). While the window is open Linux goes to
 * queue_and_out and never counts TCPZeroWindowDrop, whatever the length.
 */
TEST(test_estab_rcv_zero_window_drop_counted_only_at_zero_window)
{
	struct h h;
	uint32_t iss = open_limited(&h, 3000);
	struct tern_seg s;

	REQUIRE(h.conn);
	s = data(&h, 1001, iss, 2000);
	h_in(&h, &s);
	REQUIRE_EQ(win_bytes(&h), 1000);
	/* window open (1000): no zero-window drop, even for 2000 bytes */
	s = data(&h, 3001, iss, 2000);
	h_in(&h, &s);
	CHECK_EQ(H_MIB(&h, TCPZeroWindowDrop), 0);
	REQUIRE_EQ(h.conn->rcv_credit, 0);
	REQUIRE_EQ(h.tx[h.out.n - 1].win, 0);
	/* window zero: a segment at RCV.NXT is dropped, counted, ACKed at once */
	s = data(&h, h.conn->rcv_nxt, iss, 500);
	h_in(&h, &s);
	CHECK_EQ(h.ndata, 3000);
	CHECK_EQ(H_MIB(&h, TCPZeroWindowDrop), 1);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].ack, 4001);
	CHECK_EQ(h.tx[0].win, 0);
	h_free(&h);
}

TEST(test_estab_rcv_credit_zero_window_probe_acked)
{
	struct h h;
	uint32_t iss = open_limited(&h, 1000);
	struct tern_seg s;

	REQUIRE(h.conn);
	s = data(&h, 1001, iss, 1000);
	h_in(&h, &s);
	s = data(&h, 2001, iss, 1); /* the peer's window probe */
	h_in(&h, &s);
	CHECK_EQ(h.ndata, 1000);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].ack, 2001);
	CHECK_EQ(h.tx[0].win, 0);
	h_free(&h);
}

TEST(test_estab_rcv_credit_reopens_with_window_update)
{
	struct h h;
	uint32_t iss = open_limited(&h, 1000);
	struct tern_seg s;

	REQUIRE(h.conn);
	s = data(&h, 1001, iss, 1000);
	h_in(&h, &s);
	h.out.n = 0;
	/* a little credit: less than one segment more, no update yet */
	tern_conn__rcv_credit(h.s, h.conn, 100, h.now, &h.out);
	CHECK_EQ(h.out.n, 0);
	/* enough to open past one segment: a window update at once */
	tern_conn__rcv_credit(h.s, h.conn, 5000, h.now, &h.out);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_ACK);
	CHECK_EQ(h.tx[0].ack, 2001);
	CHECK_EQ(win_bytes(&h), 5096); /* 5100 rounded down to the scale */
	s = data(&h, 2001, iss, 5000);
	h_in(&h, &s);
	CHECK_EQ(h.ndata, 6000);
	h_free(&h);
}

/* Out-of-order data is kept only inside the credit window, so the hole
 * filling never delivers more than the application can take. */
TEST(test_estab_rcv_credit_bounds_out_of_order)
{
	struct h h;
	uint32_t iss = open_limited(&h, 3000);
	struct tern_seg s;

	REQUIRE(h.conn);
	s = data(&h, 2001, iss, 4000); /* 1000 beyond RCV.NXT, 2000 past the edge */
	s.frame = 7;
	h_in(&h, &s);
	CHECK_EQ(h.ndata, 0);
	s = data(&h, 1001, iss, 1000);
	h_in(&h, &s);
	CHECK_EQ(h.ndata, 3000);
	CHECK_EQ(h.conn->rcv_nxt, 4001);
	CHECK_EQ(h.released, 1);
	CHECK_EQ(h.conn->rcv_credit, 0);
	h_free(&h);
}

TEST(test_estab_rcv_unlimited_by_default)
{
	struct h h;
	uint32_t iss;
	struct tern_seg s;

	h_init(&h, NULL);
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	s = data(&h, 1001, iss, 8000);
	h_in(&h, &s);
	CHECK_EQ(h.ndata, 8000);
	CHECK_EQ(H_MIB(&h, TCPZeroWindowDrop), 0);
	h_free(&h);
}

/* A listener's rcv_buf caps the SYN-ACK window and starts connections in
 * credit mode with it, so the window never shrinks after the handshake. */
TEST(test_listen_rcv_buf_caps_synack_and_credit)
{
	struct h h;
	struct tern_listen_opts lo = { .rcv_buf = 8192 };
	struct tern_seg s;
	uint32_t iss;

	h_init(&h, NULL);
	s = h_seg(&h, 0, 0, 0);
	REQUIRE_EQ(tern_stack__listen_opts(h.s, &s.t.laddr, 80, &lo), 0);
	s = h_seg(&h, TERN_TH_SYN, 1000, 0);
	h_linux_syn_opts(&s, 5);
	h_in(&h, &s);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].win, 7240); /* 8192 rounded down to 1448-byte segments */
	iss = h.tx[0].seq;
	s = h_seg(&h, TERN_TH_ACK, 1001, iss + 1);
	h_ts(&s, 6, h_tx_opts(&h.tx[0]).tsval);
	s.win = 502;
	h_in(&h, &s);
	REQUIRE(h.conn);
	CHECK_EQ(h.conn->rcv_credit, 8192);
	/* the whole SYN-ACK window can be filled without a drop */
	s = data(&h, 1001, iss, 7240);
	h_in(&h, &s);
	CHECK_EQ(h.ndata, 7240);
	CHECK_EQ(H_MIB(&h, TCPZeroWindowDrop), 0);
	h_free(&h);
}
