// SPDX-License-Identifier: BSD-2-Clause
/* SYN-RCVD (stateful half-opens): tcp_check_req() rules and SYN-ACK timer. */
#include "harness.h"
#include "t.h"

#define CSEQ 1000u
#define CTS 5000u

static void stateful(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_NEVER;
}

/* SYN with Linux options; returns the SYN-ACK's ISS and its TSval. */
static uint32_t open_req(struct h *h, uint32_t *tsval)
{
	struct tern_seg seg;

	h_init(h, stateful);
	seg = h_seg(h, TERN_TH_SYN, CSEQ, 0);
	h_linux_syn_opts(&seg, CTS);
	h_in(h, &seg);
	*tsval = h_tx_opts(&h->tx[0]).tsval;
	return h->tx[0].seq;
}

static struct tern_seg from_client(struct h *h, uint8_t flags, uint32_t seq, uint32_t ack,
				   uint32_t tsecr)
{
	struct tern_seg seg = h_seg(h, flags, seq, ack);

	h_ts(&seg, CTS + 1, tsecr);
	return seg;
}

TEST(test_synrcvd_ack_completes)
{
	struct h h;
	uint32_t tsv, iss = open_req(&h, &tsv);
	struct tern_seg seg = from_client(&h, TERN_TH_ACK, CSEQ + 1, iss + 1, tsv);

	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(h.accepts, 1);
	CHECK_EQ(tern_stack__nreqs(h.s), 0);
	CHECK_EQ(tern_stack__nconns(h.s), 1);
	CHECK_EQ(H_MIB(&h, PassiveOpens), 1);
	REQUIRE(h.conn);
	CHECK_EQ(h.conn->state, TERN_ESTABLISHED);
	CHECK_EQ(h.conn->ts_recent, CTS + 1);
	CHECK_EQ(tern_stack__next_deadline(h.s), UINT64_MAX); /* SYN-ACK timer gone */
	h_free(&h);
}

TEST(test_synrcvd_bad_ack_rst)
{
	struct h h;
	uint32_t tsv, iss = open_req(&h, &tsv);
	struct tern_seg seg = from_client(&h, TERN_TH_ACK, CSEQ + 1, iss + 5, tsv);

	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_RST);
	CHECK_EQ(h.tx[0].seq, iss + 5);
	CHECK_EQ(tern_stack__nreqs(h.s), 1); /* the half-open stays */
	CHECK_EQ(tern_stack__nconns(h.s), 0);
	h_free(&h);
}

TEST(test_synrcvd_retransmitted_syn_resends_synack_ratelimited)
{
	struct h h;
	uint32_t tsv, iss = open_req(&h, &tsv);
	struct tern_tx first = h.tx[0];
	struct tern_seg seg = h_seg(&h, TERN_TH_SYN, CSEQ, 0);

	h_linux_syn_opts(&seg, CTS);
	h_advance(&h, 100 * TERN_NSEC_PER_MSEC);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_SYN | TERN_TH_ACK);
	CHECK_EQ(h.tx[0].seq, iss);
	CHECK_EQ(h.tx[0].ack, CSEQ + 1);
	CHECK_EQ(h.tx[0].optlen, first.optlen);
	CHECK(!memcmp(h.tx[0].opt, first.opt, 4)); /* same MSS option first */
	h_advance(&h, 300 * TERN_NSEC_PER_MSEC);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0); /* within 500 ms */
	CHECK_EQ(H_MIB(&h, TCPACKSkippedSynRecv), 1);
	h_advance(&h, 300 * TERN_NSEC_PER_MSEC);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 1);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	h_free(&h);
}

TEST(test_synrcvd_rst_in_window_drops_silently)
{
	struct h h;
	uint32_t tsv;
	struct tern_seg seg;

	open_req(&h, &tsv);
	seg = from_client(&h, TERN_TH_RST, CSEQ + 1 + 100, 0, 0);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(tern_stack__nreqs(h.s), 0);
	CHECK_EQ(H_MIB(&h, AttemptFails), 1);
	CHECK_EQ(tern_stack__next_deadline(h.s), UINT64_MAX);
	h_free(&h);
}

TEST(test_synrcvd_rst_out_of_window_ignored)
{
	struct h h;
	uint32_t tsv;
	struct tern_seg seg;

	open_req(&h, &tsv);
	seg = from_client(&h, TERN_TH_RST, CSEQ + 1 + 1000000, 0, 0);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	h_free(&h);
}

TEST(test_synrcvd_new_syn_in_window_rst)
{
	struct h h;
	uint32_t tsv;
	struct tern_seg seg;

	open_req(&h, &tsv);
	seg = from_client(&h, TERN_TH_SYN, CSEQ + 10, 0, 0);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(h.tx[0].ack, CSEQ + 11);
	CHECK_EQ(tern_stack__nreqs(h.s), 0);
	h_free(&h);
}

TEST(test_synrcvd_new_syn_out_of_window_ack)
{
	struct h h;
	uint32_t tsv, iss = open_req(&h, &tsv);
	struct tern_seg seg = from_client(&h, TERN_TH_SYN, CSEQ - 5000, 0, 0);

	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_ACK);
	CHECK_EQ(h.tx[0].seq, iss + 1);
	CHECK_EQ(h.tx[0].ack, CSEQ + 1);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	h_free(&h);
}

TEST(test_synrcvd_ack_with_data_delivered)
{
	struct h h;
	uint32_t tsv, iss = open_req(&h, &tsv);
	struct tern_seg seg = from_client(&h, TERN_TH_ACK | TERN_TH_PSH, CSEQ + 1, iss + 1, tsv);

	seg.payload = (const uint8_t *)"hello";
	seg.len = 5;
	h_in(&h, &seg);
	CHECK_EQ(h.accepts, 1);
	CHECK_EQ(h.ndata, 5);
	CHECK(!memcmp(h.data, "hello", 5));
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_ACK);
	CHECK_EQ(h.tx[0].ack, CSEQ + 1 + 5);
	CHECK_EQ(h.tx[0].seq, iss + 1);
	h_free(&h);
}

TEST(test_synrcvd_ack_with_fin_delivered)
{
	struct h h;
	uint32_t tsv, iss = open_req(&h, &tsv);
	struct tern_seg seg = from_client(&h, TERN_TH_ACK | TERN_TH_FIN, CSEQ + 1, iss + 1, tsv);

	h_in(&h, &seg);
	CHECK_EQ(h.fins, 1);
	REQUIRE(h.conn);
	CHECK_EQ(h.conn->state, TERN_CLOSE_WAIT);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].ack, CSEQ + 2);
	h_free(&h);
}

TEST(test_synrcvd_no_ack_dropped)
{
	struct h h;
	uint32_t tsv;
	struct tern_seg seg;

	open_req(&h, &tsv);
	seg = from_client(&h, TERN_TH_PSH, CSEQ + 1, 0, 0);
	seg.payload = (const uint8_t *)"x";
	seg.len = 1;
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(h.ndata, 0);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	h_free(&h);
}

/*
 * 1 s, then doubling (re-armed from when the timer ran, as Linux): with
 * prompt polling, retransmissions at ~1, 3, 7, 15, 31 s; freed at ~63 s.
 */
TEST(test_synrcvd_synack_retransmit_backoff)
{
	struct h h;
	uint32_t tsv, iss = open_req(&h, &tsv);
	uint64_t due = h.now, lag = 2 * TERN_NSEC_PER_MSEC;

	for (int i = 0; i < 5; i++) {
		due = h.now + (TERN_NSEC_PER_SEC << i);
		h.now = due - TERN_NSEC_PER_MSEC;
		h_poll(&h);
		CHECK_EQ(h.out.n, 0); /* never early */
		CHECK(tern_stack__next_deadline(h.s) <= due);
		h.now = due + lag;
		h_poll(&h);
		REQUIRE_EQ(h.out.n, 1);
		CHECK_EQ(h.tx[0].flags, TERN_TH_SYN | TERN_TH_ACK);
		CHECK_EQ(h.tx[0].seq, iss);
	}
	CHECK_EQ(H_MIB(&h, TCPSynRetrans), 5);
	due = h.now + 32 * TERN_NSEC_PER_SEC;
	h.now = due - TERN_NSEC_PER_MSEC;
	h_poll(&h);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	h.now = due + lag;
	h_poll(&h);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(tern_stack__nreqs(h.s), 0);
	CHECK_EQ(H_MIB(&h, TCPReqExpired), 1);
	CHECK_EQ(tern_stack__next_deadline(h.s), UINT64_MAX);
	h_free(&h);
}

static void two_retries(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_NEVER;
	c->synack_retries = 2;
}

TEST(test_synrcvd_synack_retries_configurable)
{
	struct h h;
	struct tern_seg seg;
	int sent = 0;

	h_init(&h, two_retries);
	seg = h_seg(&h, TERN_TH_SYN, CSEQ, 0);
	h_in(&h, &seg);
	for (int i = 0; i < 100; i++) {
		h_advance(&h, TERN_NSEC_PER_SEC);
		h_poll(&h);
		sent += (int)h.out.n;
	}
	CHECK_EQ(sent, 2);
	CHECK_EQ(tern_stack__nreqs(h.s), 0);
	h_free(&h);
}

static void backlog16(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_NEVER;
	c->backlog = 16;
}

/* n SYNs from n client ports at once; then the SYN-ACK retransmissions
 * sent over secs seconds, polled every 100 ms. */
static int retransmissions(struct h *h, int n, int secs)
{
	int sent = 0;

	for (int i = 0; i < n; i++) {
		struct tern_seg seg;

		h->cport = (uint16_t)(40000 + i);
		seg = h_seg(h, TERN_TH_SYN, CSEQ, 0);
		h_in(h, &seg);
	}
	for (int i = 0; i < secs * 10; i++) {
		h_advance(h, TERN_NSEC_PER_SEC / 10);
		h_poll(h);
		sent += (int)h->out.n;
	}
	return sent;
}

/*
 * reqsk_timer_handler(): while more than half the backlog is in use by
 * records never answered (a flood's), their retries drop to two: at ~7 s
 * the first half of them go, and the rest, now half the backlog, keep the
 * full five. At half full or less every record gets five.
 */
TEST(test_synrcvd_full_backlog_prunes_old)
{
	struct h h;
	int sent;

	h_init(&h, backlog16);
	CHECK_EQ(retransmissions(&h, 16, 8), 16 + 16 + 8);
	CHECK_EQ(tern_stack__nreqs(h.s), 8);
	CHECK_EQ(H_MIB(&h, TCPReqExpired), 8);
	sent = 0;
	for (int i = 0; i < 600; i++) {
		h_advance(&h, TERN_NSEC_PER_SEC / 10);
		h_poll(&h);
		sent += (int)h.out.n;
	}
	CHECK_EQ(sent, 8 + 8);
	CHECK_EQ(tern_stack__nreqs(h.s), 0);
	h_free(&h);
	h_init(&h, backlog16);
	CHECK_EQ(retransmissions(&h, 8, 70), 8 * 5);
	CHECK_EQ(tern_stack__nreqs(h.s), 0);
	h_free(&h);
}

TEST(test_synrcvd_paws_reject)
{
	struct h h;
	uint32_t tsv, iss = open_req(&h, &tsv);
	struct tern_seg seg = h_seg(&h, TERN_TH_ACK, CSEQ + 1, iss + 1);

	h_ts(&seg, CTS - 10, tsv); /* older than the SYN's TSval */
	h_in(&h, &seg);
	CHECK_EQ(H_MIB(&h, PAWSEstab), 1);
	CHECK_EQ(tern_stack__nconns(h.s), 0);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	REQUIRE_EQ(h.out.n, 1); /* an ACK, rate-limited */
	CHECK_EQ(h.tx[0].flags, TERN_TH_ACK);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	h_free(&h);
}

static void one_conn(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_NEVER;
	c->max_conns = 1;
}

static uint32_t syn_from(struct h *h, uint16_t port, uint32_t cseq)
{
	struct tern_seg seg;

	h->cport = port;
	seg = h_seg(h, TERN_TH_SYN, cseq, 0);
	h_in(h, &seg);
	return h->out.n == 1 ? h->tx[0].seq : 0;
}

TEST(test_synrcvd_conn_table_full_keeps_req)
{
	struct h h;
	struct tern_seg seg;
	uint32_t iss1, iss2;

	h_init(&h, one_conn);
	iss1 = syn_from(&h, 40000, 1);
	iss2 = syn_from(&h, 40001, 2);
	REQUIRE_EQ(tern_stack__nreqs(h.s), 2);
	h.cport = 40000;
	seg = h_seg(&h, TERN_TH_ACK, 2, iss1 + 1);
	h_in(&h, &seg);
	CHECK_EQ(tern_stack__nconns(h.s), 1);
	h.cport = 40001;
	seg = h_seg(&h, TERN_TH_ACK, 3, iss2 + 1);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0); /* dropped: no RST (tcp_abort_on_overflow=0) */
	CHECK_EQ(H_MIB(&h, ListenOverflows), 1);
	CHECK_EQ(tern_stack__nconns(h.s), 1);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	h_free(&h);
}

static void auto_cookies(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_AUTO;
}

/*
 * The peer's SYN got a stateful SYN-ACK, its retransmission one from XDP
 * with a cookie (the flag went on in between; XDP does not see the
 * request), and the peer took the cookie's: the ACK's cookie makes the
 * connection and the request goes, where tcp_check_req() would reset an
 * ACK that does not match the request's ISS (test_synrcvd_bad_ack_rst).
 */
TEST(test_synrcvd_xdp_cookie_ack_replaces_req)
{
	struct h h;
	struct tern_seg syn, seg;
	uint32_t iss, cookie;

	h_init(&h, auto_cookies);
	syn = h_seg(&h, TERN_TH_SYN, CSEQ, 0);
	h_linux_syn_opts(&syn, CTS);
	h_in(&h, &syn);
	REQUIRE_EQ(tern_stack__nreqs(h.s), 1);
	iss = h.tx[0].seq;
	h_advance(&h, TERN_NSEC_PER_SEC);
	seg = h_xdp_cookie_ack(&h, &syn, &cookie);
	REQUIRE(cookie != iss);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0); /* no RST */
	CHECK_EQ(tern_stack__nreqs(h.s), 0);
	CHECK_EQ(H_MIB(&h, SyncookiesRecv), 1);
	CHECK_EQ(H_MIB(&h, PassiveOpens), 1);
	REQUIRE_EQ(tern_stack__nconns(h.s), 1);
	REQUIRE(h.conn);
	CHECK_EQ(h.conn->state, TERN_ESTABLISHED);
	CHECK_EQ(h.conn->snd_una, cookie + 1);
	CHECK_EQ(h.conn->rcv_nxt, CSEQ + 1);
	CHECK_EQ(tern_stack__next_deadline(h.s), UINT64_MAX); /* the SYN-ACK timer went too */
	h_free(&h);
}

/* Without cookies in use (none sent lately), a bad ACK is still reset. */
TEST(test_synrcvd_cookie_ack_not_recent_rst)
{
	struct h h;
	struct tern_seg syn, seg;
	uint32_t cookie;

	h_init(&h, auto_cookies);
	syn = h_seg(&h, TERN_TH_SYN, CSEQ, 0);
	h_linux_syn_opts(&syn, CTS);
	h_in(&h, &syn);
	seg = h_xdp_cookie_ack(&h, &syn, &cookie);
	h.s->cookies_sent = 0;
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_RST);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	CHECK_EQ(tern_stack__nconns(h.s), 0);
	h_free(&h);
}
