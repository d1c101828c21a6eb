// SPDX-License-Identifier: BSD-2-Clause
/* SYN cookies: modes, Linux layout, option recovery, validity, failure. */
#include "harness.h"
#include "t.h"

static void always(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_ALWAYS;
}

static void never(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_NEVER;
}

/* Send a SYN with the given options; return the SYN-ACK (copied). */
static struct tern_tx syn(struct h *h, uint32_t cseq, uint8_t present, uint16_t mss,
			  uint8_t ws, uint32_t tsval)
{
	struct tern_seg seg = h_seg(h, TERN_TH_SYN, cseq, 0);
	struct tern_tx none = { 0 };

	h_linux_syn_opts(&seg, tsval);
	seg.opt.present = present;
	seg.opt.mss = mss;
	seg.opt.wscale = ws;
	h_in(h, &seg);
	return h->out.n == 1 ? h->tx[0] : none;
}

/* The ACK completing a cookie handshake for sa, echoing its TSval. sa must
 * be the SYN-ACK its SYN got: a SYN that got none fails the test here. */
static void ack(struct h *h, uint32_t cseq, const struct tern_tx *sa, int with_ts,
		const char *data)
{
	struct tern_seg seg = h_seg(h, TERN_TH_ACK, cseq + 1, sa->seq + 1);
	struct tern_opts o;

	if (sa->flags != (TERN_TH_SYN | TERN_TH_ACK)) {
		t_fail(__FILE__, __LINE__, "the SYN got no SYN-ACK");
		return;
	}
	o = h_tx_opts(sa);

	if (with_ts)
		h_ts(&seg, 42, o.tsval);
	if (data) {
		seg.payload = (const uint8_t *)data;
		seg.len = (uint32_t)strlen(data);
		seg.flags |= TERN_TH_PSH;
	}
	h_in(h, &seg);
}

TEST(test_cookie_always_no_req)
{
	struct h h;
	struct tern_tx sa;

	h_init(&h, always);
	sa = syn(&h, 1000, TERN_OPT_MSS | TERN_OPT_TS, 1460, 0, 7);
	CHECK_EQ(sa.flags, TERN_TH_SYN | TERN_TH_ACK);
	CHECK_EQ(sa.ack, 1001);
	CHECK_EQ(tern_stack__nreqs(h.s), 0);
	CHECK_EQ(H_MIB(&h, SyncookiesSent), 1);
	CHECK_EQ(tern_stack__next_deadline(h.s), UINT64_MAX); /* no timer */
	h_free(&h);
}

TEST(test_cookie_ack_valid_creates_conn)
{
	struct h h;
	struct tern_tx sa;
	struct tern_conn *c;

	h_init(&h, always);
	sa = syn(&h, 1000, TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_TS | TERN_OPT_WS, 1460, 7, 7);
	ack(&h, 1000, &sa, 1, NULL);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(H_MIB(&h, SyncookiesRecv), 1);
	CHECK_EQ(H_MIB(&h, PassiveOpens), 1);
	REQUIRE_EQ(tern_stack__nconns(h.s), 1);
	REQUIRE(h.conn);
	c = h.conn;
	CHECK_EQ(c->state, TERN_ESTABLISHED);
	CHECK_EQ(c->snd_una, sa.seq + 1); /* the cookie was the ISS */
	CHECK_EQ(c->rcv_nxt, 1001);
	CHECK_EQ(c->snd_nxt, sa.seq + 1);
	CHECK_EQ(c->optf, TERN_NEG_TS | TERN_NEG_SACK | TERN_NEG_WS);
	CHECK_EQ(c->snd_wscale, 7);
	CHECK_EQ(c->rcv_wscale, 3);
	CHECK_EQ(c->mss, 1460 - 12);
	CHECK_EQ(c->snd_wnd, 64240u << 7);
	h_free(&h);
}

/* Linux's msstab: the largest entry not above the peer's MSS. */
static uint16_t cookie_mss(int family, uint8_t present, uint16_t peer)
{
	struct h h;
	struct tern_tx sa;
	uint16_t mss = 0;

	if (family == 4)
		h_init(&h, always);
	else
		h_init6(&h, always);
	sa = syn(&h, 1, present, peer, 0, 0);
	ack(&h, 1, &sa, 0, NULL);
	if (h.conn)
		mss = h.conn->mss;
	h_free(&h);
	return mss;
}

TEST(test_cookie_mss_table_ipv4)
{
	CHECK_EQ(cookie_mss(4, TERN_OPT_MSS, 1460), 1460);
	CHECK_EQ(cookie_mss(4, TERN_OPT_MSS, 9000), 1460);
	CHECK_EQ(cookie_mss(4, TERN_OPT_MSS, 1452), 1440);
	CHECK_EQ(cookie_mss(4, TERN_OPT_MSS, 1440), 1440);
	CHECK_EQ(cookie_mss(4, TERN_OPT_MSS, 1439), 1300);
	CHECK_EQ(cookie_mss(4, TERN_OPT_MSS, 1300), 1300);
	CHECK_EQ(cookie_mss(4, TERN_OPT_MSS, 1000), 536);
	CHECK_EQ(cookie_mss(4, TERN_OPT_MSS, 100), 536);
	CHECK_EQ(cookie_mss(4, 0, 0), 536); /* no MSS option: 536 */
}

TEST(test_cookie_mss_table_ipv6)
{
	CHECK_EQ(cookie_mss(6, TERN_OPT_MSS, 1440), 1440);
	CHECK_EQ(cookie_mss(6, TERN_OPT_MSS, 1420), 1420);
	CHECK_EQ(cookie_mss(6, TERN_OPT_MSS, 1419), 1220);
	CHECK_EQ(cookie_mss(6, 0, 0), 1220);
}

TEST(test_cookie_ts_carries_wscale_and_sack)
{
	struct h h;
	struct tern_tx sa;
	struct tern_opts o;
	uint32_t ts_off;

	h_init(&h, always);
	sa = syn(&h, 5, TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_TS | TERN_OPT_WS, 1460, 9, 7);
	o = h_tx_opts(&sa);
	ts_off = tern_ts_off(h.s, &sa.t);
	CHECK_EQ((o.tsval - ts_off) & 0x3f, 9 | 0x10);
	/* the encoded clock is never ahead of the real one */
	CHECK(!tern_seq_gt(o.tsval - ts_off, tern_ms(h.now)));
	CHECK(tern_ms(h.now) - (o.tsval - ts_off) < 64);
	ack(&h, 5, &sa, 1, NULL);
	REQUIRE(h.conn);
	CHECK_EQ(h.conn->snd_wscale, 9);
	CHECK_EQ(h.conn->optf, TERN_NEG_TS | TERN_NEG_SACK | TERN_NEG_WS);
	h_free(&h);
}

TEST(test_cookie_ts_no_wscale_no_sack)
{
	struct h h;
	struct tern_tx sa;
	struct tern_opts o;

	h_init(&h, always);
	sa = syn(&h, 5, TERN_OPT_MSS | TERN_OPT_TS, 1460, 0, 7);
	o = h_tx_opts(&sa);
	CHECK_EQ((o.tsval - tern_ts_off(h.s, &sa.t)) & 0x3f, 0xf);
	ack(&h, 5, &sa, 1, NULL);
	REQUIRE(h.conn);
	CHECK_EQ(h.conn->optf, TERN_NEG_TS);
	CHECK_EQ(h.conn->snd_wscale, 0);
	CHECK_EQ(h.conn->rcv_wscale, 0);
	h_free(&h);
}

TEST(test_cookie_without_ts_offers_no_sack_no_ws)
{
	struct h h;
	struct tern_tx sa;

	h_init(&h, always);
	sa = syn(&h, 5, TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_WS, 1460, 7, 0);
	CHECK_EQ(sa.optlen, 4); /* MSS only, as Linux */
	ack(&h, 5, &sa, 0, NULL);
	REQUIRE(h.conn);
	CHECK_EQ(h.conn->optf, 0);
	h_free(&h);
}

TEST(test_cookie_ack_invalid_rst)
{
	struct h h;
	struct tern_tx sa;

	h_init(&h, always);
	sa = syn(&h, 1000, TERN_OPT_MSS, 1460, 0, 0);
	sa.seq += 1u << 25; /* tampered cookie */
	ack(&h, 1000, &sa, 0, NULL);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_RST);
	CHECK_EQ(h.tx[0].seq, sa.seq + 1); /* SEQ = SEG.ACK */
	CHECK_EQ(H_MIB(&h, SyncookiesFailed), 1);
	CHECK_EQ(tern_stack__nconns(h.s), 0);
	h_free(&h);
}

TEST(test_cookie_ack_wrong_client_seq_rst)
{
	struct h h;
	struct tern_tx sa;

	h_init(&h, always);
	sa = syn(&h, 1000, TERN_OPT_MSS, 1460, 0, 0);
	/* SEG.SEQ - 1 is not the SYN's ISN. (An offset of 1..3 would only shift
	 * the MSS index, exactly as with Linux's layout.) */
	ack(&h, 1000 + 100000, &sa, 0, NULL);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_RST);
	CHECK_EQ(H_MIB(&h, SyncookiesFailed), 1);
	h_free(&h);
}

/* Valid for the minute it was made in and the next (MAX_SYNCOOKIE_AGE 2). */
TEST(test_cookie_ack_expires_after_two_minute_counters)
{
	struct h h;
	struct tern_tx sa, other;
	uint64_t minute = 60 * TERN_NSEC_PER_SEC;

	h_init(&h, always);
	h.now = (h.now / minute) * minute + TERN_NSEC_PER_SEC; /* 1 s into a minute */
	sa = syn(&h, 1000, TERN_OPT_MSS, 1460, 0, 0);
	h_advance(&h, 118 * TERN_NSEC_PER_SEC); /* 59 s into the next minute */
	h.cport++;
	other = syn(&h, 1, TERN_OPT_MSS, 1460, 0, 0); /* keeps cookies "recent" */
	(void)other;
	h.cport--;
	h_advance(&h, 2 * TERN_NSEC_PER_SEC); /* minute counter + 2 */
	ack(&h, 1000, &sa, 0, NULL);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_RST);
	CHECK_EQ(H_MIB(&h, SyncookiesFailed), 1);
	h_free(&h);
}

TEST(test_cookie_ack_valid_in_next_minute)
{
	struct h h;
	struct tern_tx sa;
	uint64_t minute = 60 * TERN_NSEC_PER_SEC;

	h_init(&h, always);
	h.now = (h.now / minute) * minute + 59 * TERN_NSEC_PER_SEC;
	sa = syn(&h, 1000, TERN_OPT_MSS, 1460, 0, 0);
	h_advance(&h, 2 * TERN_NSEC_PER_SEC);
	ack(&h, 1000, &sa, 0, NULL);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(H_MIB(&h, SyncookiesRecv), 1);
	CHECK_EQ(tern_stack__nconns(h.s), 1);
	h_free(&h);
}

TEST(test_cookie_synack_never_retransmitted)
{
	struct h h;

	h_init(&h, always);
	syn(&h, 1000, TERN_OPT_MSS, 1460, 0, 0);
	for (int i = 0; i < 70; i++) {
		h_advance(&h, TERN_NSEC_PER_SEC);
		h_poll(&h);
		CHECK_EQ(h.out.n, 0);
	}
	CHECK_EQ(H_MIB(&h, TCPSynRetrans), 0);
	h_free(&h);
}

TEST(test_cookie_never_mode_ack_rst)
{
	struct h h;
	struct tern_tx sa;

	h_init(&h, always);
	sa = syn(&h, 1000, TERN_OPT_MSS, 1460, 0, 0);
	CHECK_EQ(tern_stack__set_syncookies(h.s, TERN_COOKIES_NEVER), 0);
	ack(&h, 1000, &sa, 0, NULL);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_RST);
	CHECK_EQ(H_MIB(&h, SyncookiesRecv), 0);
	CHECK_EQ(tern_stack__set_syncookies(h.s, 3), -22);
	h_free(&h);
}

/* Auto mode checks cookies only after it sent some recently
 * (tcp_synq_no_recent_overflow): a valid-looking ACK long after is reset. */
TEST(test_cookie_auto_not_recent_rst)
{
	struct h h;
	struct tern_tx sa;

	h_init(&h, always);
	sa = syn(&h, 1000, TERN_OPT_MSS, 1460, 0, 0);
	tern_stack__set_syncookies(h.s, TERN_COOKIES_AUTO);
	h_advance(&h, 121 * TERN_NSEC_PER_SEC);
	ack(&h, 1000, &sa, 0, NULL);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_RST);
	CHECK_EQ(H_MIB(&h, SyncookiesFailed), 0);
	h_free(&h);
}

TEST(test_cookie_ack_with_data_delivered)
{
	struct h h;
	struct tern_tx sa;

	h_init(&h, always);
	sa = syn(&h, 1000, TERN_OPT_MSS | TERN_OPT_TS, 1460, 0, 9);
	ack(&h, 1000, &sa, 1, "GET / HTTP/1.0\r\n\r\n");
	CHECK_EQ(h.accepts, 1);
	CHECK_EQ(h.ndata, 18);
	CHECK(!memcmp(h.data, "GET / HTTP/1.0\r\n\r\n", 18));
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_ACK);
	CHECK_EQ(h.tx[0].ack, 1001 + 18);
	h_free(&h);
}

static void always_one_conn(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_ALWAYS;
	c->max_conns = 1;
}

TEST(test_cookie_conn_table_full_drops_ack)
{
	struct h h;
	struct tern_tx a, b;

	h_init(&h, always_one_conn);
	a = syn(&h, 1000, TERN_OPT_MSS, 1460, 0, 0);
	h.cport++;
	b = syn(&h, 2000, TERN_OPT_MSS, 1460, 0, 0);
	h.cport--;
	ack(&h, 1000, &a, 0, NULL);
	CHECK_EQ(tern_stack__nconns(h.s), 1);
	h.cport++;
	ack(&h, 2000, &b, 0, NULL);
	CHECK_EQ(h.out.n, 0); /* dropped silently, no RST */
	CHECK_EQ(H_MIB(&h, ListenOverflows), 1);
	CHECK_EQ(tern_stack__nconns(h.s), 1);
	h_free(&h);
}

TEST(test_cookie_ipv6_handshake)
{
	struct h h;
	struct tern_tx sa;

	h_init6(&h, always);
	sa = syn(&h, 77, TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_TS | TERN_OPT_WS, 1440, 7, 3);
	CHECK_EQ(sa.t.family, 6);
	ack(&h, 77, &sa, 1, NULL);
	CHECK_EQ(H_MIB(&h, SyncookiesRecv), 1);
	REQUIRE(h.conn);
	CHECK_EQ(h.conn->mss, 1440 - 12);
	h_free(&h);
}

TEST(test_cookie_never_mode_full_backlog_has_no_cookie)
{
	struct h h;

	h_init(&h, never);
	syn(&h, 1, TERN_OPT_MSS, 1460, 0, 0);
	CHECK_EQ(H_MIB(&h, SyncookiesSent), 0);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	h_free(&h);
}
