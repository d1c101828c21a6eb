// SPDX-License-Identifier: BSD-2-Clause
/*
 * Silly window avoidance (RFC 9293 3.8.6.2). Receiver: after a zero
 * window, no window below min(MSS, half the receive window) is offered
 * (Linux __tcp_select_window); a window that shrinks as data arrives is
 * advertised as is. Sender: a segment cut short by the windows waits
 * while data is in flight, unless it is at least half the peer's largest
 * window (Fs = 1/2). Connections from h_connect() unless said: TS, SACK,
 * WS 7 from the client, our scale 3, MSS 1448.
 */
#include <stdbool.h>
#include <string.h>

#include "tests/unit/harness.h"
#include "tests/unit/t.h"

#define CSEQ 0x70000000u
#define TSV0 6000u
#define MSS 1448u

static struct h hh;
static uint8_t buf[32768];
static uint32_t cts;

static void reset(void)
{
	if (hh.mem)
		h_free(&hh);
	h_init(&hh, NULL);
	cts = TSV0 + 1;
}

static struct tern_seg cseg(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win)
{
	struct tern_seg s = h_seg(&hh, flags, seq, ack);

	s.win = win;
	h_ts(&s, ++cts, tern_ms(hh.now) + hh.conn->ts_off);
	return s;
}

static void data_in(uint32_t seq, uint32_t iss, uint32_t len)
{
	struct tern_seg s = cseg(TERN_TH_ACK | TERN_TH_PSH, seq, iss + 1, 502);

	s.payload = buf;
	s.len = len;
	h_in(&hh, &s);
}

static void credit(uint32_t bytes)
{
	hh.out.n = 0;
	tern_conn__rcv_credit(hh.s, hh.conn, bytes, hh.now, &hh.out);
}

/* The window field of tx in bytes (our scale is 3). */
static uint32_t win_of(const struct tern_tx *tx)
{
	return (uint32_t)tx->win << 3;
}

/* --- receiver --- */

/*
 * Credit runs out: window 0. The application then frees 100 and 400
 * bytes: the window stays shut (a probe is answered with 0), no update
 * goes out; at 1500 bytes (more than one MSS) it opens with an update.
 */
TEST(test_estab_rcv_sws_shut_window_opens_by_mss)
{
	uint32_t iss = 0, rcv = CSEQ + 1;

	reset();
	hh.rcv_limit = 2000;
	REQUIRE(h_connect(&hh, CSEQ, TSV0, &iss));
	data_in(rcv, iss, 2000);
	rcv += 2000;
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].ack, rcv);
	CHECK_EQ(hh.tx[0].win, 0);

	credit(100);
	CHECK_EQ(hh.out.n, 0);
	data_in(rcv, iss, 1); /* the peer's zero-window probe */
	CHECK_EQ(hh.ndata, 2000 + 1); /* the byte fits the credit ... */
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].ack, rcv + 1);
	CHECK_EQ(hh.tx[0].win, 0);    /* ... but 99 are not offered */
	rcv += 1;

	credit(400);
	CHECK_EQ(hh.out.n, 0);
	CHECK_EQ(tern_rcv_window(hh.s, hh.conn), 0);

	credit(1000); /* 1499 free, above one MSS */
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].flags, TERN_TH_ACK);
	CHECK_EQ(hh.tx[0].ack, rcv);
	CHECK_EQ(win_of(&hh.tx[0]), 1496); /* 1499 rounded down to the scale */
}

/* A window that shrinks as data arrives is offered as it is, below one
 * MSS included: its right edge stays where it was. */
TEST(test_estab_rcv_sws_shrinking_window_kept)
{
	uint32_t iss = 0, rcv = CSEQ + 1;

	reset();
	hh.rcv_limit = 3000;
	REQUIRE(h_connect(&hh, CSEQ, TSV0, &iss));
	data_in(rcv, iss, 2800);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].ack, rcv + 2800);
	CHECK_EQ(win_of(&hh.tx[0]), 200);
	CHECK_EQ(hh.tx[0].ack + win_of(&hh.tx[0]), rcv + 3000);
}

/* --- sender --- */

/* Handshake whose final ACK offers a window of `win` units (the client
 * scales by 7). */
static bool open_win(uint32_t *iss, uint16_t win)
{
	struct tern_seg s;
	struct tern_opts o;

	reset(); /* before h_seg, which reads the harness */
	s = h_seg(&hh, TERN_TH_SYN, CSEQ, 0);
	h_linux_syn_opts(&s, TSV0);
	h_in(&hh, &s);
	if (hh.out.n != 1)
		return false;
	*iss = hh.tx[0].seq;
	o = h_tx_opts(&hh.tx[0]);
	s = h_seg(&hh, TERN_TH_ACK, CSEQ + 1, *iss + 1);
	s.win = win;
	h_ts(&s, TSV0 + 1, o.tsval);
	h_in(&hh, &s);
	return hh.conn && hh.conn->mss == MSS;
}

/*
 * The windows leave room for 536 bytes, data is in flight, the buffer has
 * more: the short segment waits (far below half the 64 KiB the peer
 * offered); it goes out full once an ACK opens the window.
 */
TEST(test_estab_sws_sender_holds_short_segment)
{
	uint32_t iss, una0;
	struct tern_seg s;

	REQUIRE(open_win(&iss, 502)); /* 64256 bytes */
	una0 = iss + 1;
	REQUIRE_EQ(h_send(&hh, buf, 20000), 20000);
	REQUIRE_EQ(hh.out.n, 10); /* the initial window */
	/* one segment acked; the window ends 536 bytes after SND.NXT */
	s = cseg(TERN_TH_ACK, CSEQ + 1, una0 + MSS, 106); /* 13568 bytes */
	h_in(&hh, &s);
	CHECK_EQ(hh.out.n, 0);
	CHECK_EQ(hh.conn->snd_nxt, una0 + 10 * MSS);
	/* the next ACK opens the window: full segments again */
	s = cseg(TERN_TH_ACK, CSEQ + 1, una0 + 2 * MSS, 502);
	h_in(&hh, &s);
	REQUIRE(hh.out.n >= 1);
	CHECK_EQ(hh.tx[0].seq, una0 + 10 * MSS);
	CHECK_EQ(hh.tx[0].len, MSS);
}

/*
 * A peer whose largest window is 1024 bytes (below one MSS): a segment of
 * half that window goes out although data is in flight (Fs = 1/2), rather
 * than waiting for everything to be acknowledged.
 */
TEST(test_estab_sws_sender_half_max_window_goes)
{
	uint32_t iss, una0;
	struct tern_seg s;

	REQUIRE(open_win(&iss, 8)); /* 1024 bytes */
	una0 = iss + 1;
	REQUIRE_EQ(h_send(&hh, buf, 5000), 5000);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].len, 1024);
	s = cseg(TERN_TH_ACK, CSEQ + 1, una0 + 512, 8);
	h_in(&hh, &s);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].seq, una0 + 1024);
	CHECK_EQ(hh.tx[0].len, 512);
	CHECK(hh.conn->snd_una != hh.conn->snd_max);
}

/* Below half the peer's largest window, with data in flight: held. */
TEST(test_estab_sws_sender_below_half_max_window_held)
{
	uint32_t iss, una0;
	struct tern_seg s;

	REQUIRE(open_win(&iss, 8));
	una0 = iss + 1;
	REQUIRE_EQ(h_send(&hh, buf, 5000), 5000);
	REQUIRE_EQ(hh.out.n, 1);
	s = cseg(TERN_TH_ACK, CSEQ + 1, una0 + 256, 8);
	h_in(&hh, &s);
	CHECK_EQ(hh.out.n, 0); /* 256 bytes of room < 512 */
}
