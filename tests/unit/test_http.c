// SPDX-License-Identifier: BSD-2-Clause
/* The http and discard applications on a stack in virtual time. */
#include "harness.h"
#include "t.h"
#include "user/app/app.h"

struct app_h {
	struct h h;
	const struct tern_app *app;
	void *ctx;
	uint32_t iss;
	uint32_t cseq;   /* next client sequence */
	uint32_t rnxt;   /* next byte expected from tern */
	uint32_t ts;
	uint8_t rx[65536];
	uint32_t nrx;    /* bytes received from tern, in order */
	int fin;         /* tern's FIN received */
	int rst;
	uint16_t last_win;
};

static struct app_h ah;

/* Takes the in-order data and FIN of the replies just produced. */
static void collect(void)
{
	for (uint32_t i = 0; i < ah.h.out.n; i++) {
		const struct tern_tx *tx = &ah.h.tx[i];

		ah.last_win = tx->win;
		if (tx->flags & TERN_TH_RST)
			ah.rst = 1;
		if (tx->len && tx->seq == ah.rnxt && ah.nrx + tx->len <= sizeof(ah.rx)) {
			memcpy(ah.rx + ah.nrx, tx->payload, tx->len);
			ah.nrx += tx->len;
			ah.rnxt += tx->len;
		}
		if ((tx->flags & TERN_TH_FIN) && tx->seq + tx->len == ah.rnxt) {
			ah.fin = 1;
			ah.rnxt++;
		}
	}
}

static int app_open(const struct tern_app *app, const struct tern_app_opts *o)
{
	struct tern_app_env env;

	memset(&ah, 0, sizeof(ah));
	h_init(&ah.h, NULL);
	ah.app = app;
	env = (struct tern_app_env){ .stack = ah.h.s, .out = &ah.h.out, .now = &ah.h.now,
				     .max_conns = 16, .opts = o };
	ah.ctx = app->worker_init(&env);
	if (!ah.ctx)
		return 0;
	{
		struct tern_listen_opts lo = { .rcv_buf = app->rcv_buf };
		struct tern_addr la = h_seg(&ah.h, 0, 0, 0).t.laddr;

		if (tern_stack__listen_opts(ah.h.s, &la, 80, &lo))
			return 0;
	}
	tern_stack__set_app(ah.h.s, app->ops, ah.ctx);
	{
		struct tern_seg s = h_seg(&ah.h, TERN_TH_SYN, 1000, 0);

		h_linux_syn_opts(&s, 5);
		h_in(&ah.h, &s);
		if (ah.h.out.n != 1)
			return 0;
		ah.iss = ah.h.tx[0].seq;
		s = h_seg(&ah.h, TERN_TH_ACK, 1001, ah.iss + 1);
		h_ts(&s, 6, 0);
		s.win = 502;
		h_in(&ah.h, &s);
	}
	ah.cseq = 1001;
	ah.rnxt = ah.iss + 1;
	ah.ts = 7;
	return tern_stack__nconns(ah.h.s) == 1;
}

static void app_close(void)
{
	ah.app->worker_fini(ah.ctx);
	h_free(&ah.h);
}

/* A client segment acknowledging everything received so far. */
static void client(uint8_t flags, const void *p, uint32_t len)
{
	struct tern_seg s = h_seg(&ah.h, flags | TERN_TH_ACK, ah.cseq, ah.rnxt);

	h_ts(&s, ah.ts++, 0);
	s.win = 502;
	s.payload = p;
	s.len = len;
	ah.cseq += len + !!(flags & TERN_TH_FIN);
	h_in(&ah.h, &s);
	collect();
}

static void req(const char *s)
{
	client(TERN_TH_PSH, s, (uint32_t)strlen(s));
}

static void ack(void)
{
	client(0, NULL, 0);
}

static void tick(uint64_t ms)
{
	h_advance(&ah.h, ms * 1000000ull);
	h_poll(&ah.h);
	collect();
}

#define HDR "HTTP/1.1 200 OK\r\nServer: tern\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
#define KA HDR "Connection: keep-alive\r\n\r\ntern\n"
#define KA_HEAD HDR "Connection: keep-alive\r\n\r\n"
#define CLOSE HDR "Connection: close\r\n\r\ntern\n"
#define GET11 "GET / HTTP/1.1\r\nHost: x\r\n\r\n"

static int rx_is(const char *want)
{
	size_t n = strlen(want);

	if (ah.nrx != n || memcmp(ah.rx, want, n)) {
		fprintf(stderr, "  got %u bytes: %.*s\n", ah.nrx, (int)ah.nrx, (const char *)ah.rx);
		return 0;
	}
	return 1;
}

TEST(test_http_get_200_exact_bytes)
{
	REQUIRE(app_open(&tern_app_http, NULL));
	req(GET11);
	CHECK(rx_is(KA));
	CHECK(!ah.fin);
	app_close();
}

TEST(test_http_keepalive_two_requests)
{
	REQUIRE(app_open(&tern_app_http, NULL));
	req(GET11);
	ack();
	req("GET /b HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
	CHECK(rx_is(KA KA));
	CHECK(!ah.fin);
	CHECK_EQ(tern_stack__nconns(ah.h.s), 1);
	app_close();
}

/* A reload on a kept-alive connection: the request whose earlier response
 * is acknowledged gets the new one; a pipelined request behind an
 * unacknowledged response still gets the old one. */
TEST(test_http_reconfigure_keepalive_next_request)
{
	static const uint8_t body[] = "moved\n";
	struct tern_app_opts o = { .http_status = 503, .http_body = body, .http_body_len = 6 };
	const char *want = "HTTP/1.1 503 Service Unavailable\r\nServer: tern\r\n"
			   "Content-Type: text/plain\r\nContent-Length: 6\r\n"
			   "Connection: keep-alive\r\n\r\nmoved\n";
	uint32_t n;

	REQUIRE(app_open(&tern_app_http, NULL));
	req(GET11);
	n = ah.nrx;
	REQUIRE_EQ(tern_app_http.reconfigure(ah.ctx, &o), 0);
	ack();
	req(GET11);
	CHECK_EQ(ah.nrx - n, (uint32_t)strlen(want));
	CHECK(!memcmp(ah.rx + n, want, strlen(want)));
	app_close();
}

/* Unacknowledged bytes of the old response pin the old set. */
TEST(test_http_reconfigure_waits_for_ack)
{
	struct tern_app_opts o = { .http_status = 404 };

	REQUIRE(app_open(&tern_app_http, NULL));
	req(GET11);
	REQUIRE_EQ(tern_app_http.reconfigure(ah.ctx, &o), 0);
	/* the client sends its next request without acknowledging the first
	 * response: still the old set */
	{
		struct tern_seg s = h_seg(&ah.h, TERN_TH_ACK | TERN_TH_PSH, ah.cseq, ah.iss + 1);

		h_ts(&s, ah.ts++, 0);
		s.win = 502;
		s.payload = (const uint8_t *)GET11;
		s.len = (uint32_t)strlen(GET11);
		ah.cseq += s.len;
		h_in(&ah.h, &s);
		collect();
	}
	CHECK(rx_is(KA KA));
	app_close();
}

/* The close variant, then tern's FIN: tern closes first (TIME-WAIT is ours). */
TEST(test_http_connection_close_fin_from_tern)
{
	REQUIRE(app_open(&tern_app_http, NULL));
	req("GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, Close\r\n\r\n");
	CHECK(rx_is(CLOSE));
	CHECK(ah.fin);
	client(TERN_TH_FIN, NULL, 0); /* the client's FIN */
	CHECK_EQ(tern_stack__nconns(ah.h.s), 0);
	CHECK(!ah.rst);
	app_close();
}

TEST(test_http_10_closes_unless_keepalive)
{
	REQUIRE(app_open(&tern_app_http, NULL));
	req("GET / HTTP/1.0\r\n\r\n");
	CHECK(rx_is(CLOSE));
	CHECK(ah.fin);
	app_close();

	REQUIRE(app_open(&tern_app_http, NULL));
	req("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	CHECK(rx_is(KA));
	CHECK(!ah.fin);
	app_close();
}

/* Two requests in one segment: two responses, in order (HEAD has no body). */
TEST(test_http_pipelined_in_order)
{
	REQUIRE(app_open(&tern_app_http, NULL));
	req(GET11 "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" GET11);
	CHECK(rx_is(KA KA_HEAD KA));
	CHECK(!ah.fin);
	app_close();
}

TEST(test_http_split_request)
{
	REQUIRE(app_open(&tern_app_http, NULL));
	req("GET / HT");
	CHECK_EQ(ah.nrx, 0);
	req("TP/1.1\r\nHost: x\r\n\r");
	CHECK_EQ(ah.nrx, 0);
	req("\n\r\nGET / HTTP/1.1\r\n"); /* a stray empty line, then half of a second */
	CHECK(rx_is(KA));
	req("\r\n");
	CHECK(rx_is(KA KA));
	app_close();
}

/* A head that does not fit 8 KiB: 431, close. */
TEST(test_http_head_too_large_431)
{
	static uint8_t seg[1024];

	REQUIRE(app_open(&tern_app_http, NULL));
	req("GET / HTTP/1.1\r\n");
	memset(seg, 'a', sizeof(seg));
	memcpy(seg, "X-Pad: ", 7);
	seg[sizeof(seg) - 2] = '\r';
	seg[sizeof(seg) - 1] = '\n';
	for (int i = 0; i < 8 && !ah.nrx; i++)
		client(TERN_TH_PSH, seg, sizeof(seg));
	CHECK(ah.nrx > 12 && !memcmp(ah.rx, "HTTP/1.1 431 ", 13));
	CHECK(ah.fin);
	app_close();
}

TEST(test_http_garbage_400)
{
	REQUIRE(app_open(&tern_app_http, NULL));
	req("\x16\x03\x01 hello\r\n\r\n");
	CHECK(ah.nrx > 12 && !memcmp(ah.rx, "HTTP/1.1 400 ", 13));
	CHECK(ah.fin);
	app_close();

	REQUIRE(app_open(&tern_app_http, NULL));
	req("GET / HTTP/2.0\r\n\r\n");
	CHECK(ah.nrx > 12 && !memcmp(ah.rx, "HTTP/1.1 400 ", 13));
	app_close();

	REQUIRE(app_open(&tern_app_http, NULL));
	req("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n");
	CHECK(ah.nrx > 12 && !memcmp(ah.rx, "HTTP/1.1 400 ", 13));
	app_close();
}

/* A static responder refuses request bodies; a Content-Length of 0 is fine. */
TEST(test_http_body_refused_400)
{
	REQUIRE(app_open(&tern_app_http, NULL));
	req("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	CHECK(rx_is(KA));
	ack();
	req("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
	CHECK(ah.nrx > sizeof(KA) - 1 + 12 && !memcmp(ah.rx + sizeof(KA) - 1, "HTTP/1.1 400 ", 13));
	CHECK(ah.fin);
	app_close();

	REQUIRE(app_open(&tern_app_http, NULL));
	req("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
	CHECK(ah.nrx > 12 && !memcmp(ah.rx, "HTTP/1.1 400 ", 13));
	app_close();
}

TEST(test_http_idle_timeout_closes)
{
	struct tern_app_opts o = { .http_idle_ms = 5000 };

	REQUIRE(app_open(&tern_app_http, &o));
	req(GET11);
	ack();
	tick(4000);
	CHECK(!ah.fin);
	req(GET11); /* activity moves the timer */
	ack();
	tick(4000);
	CHECK(!ah.fin);
	tick(1500);
	CHECK(ah.fin);
	CHECK(rx_is(KA KA));
	app_close();
}

TEST(test_http_custom_status_header_body)
{
	static const uint8_t body[] = "moved\n";
	struct tern_app_opts o = { .http_status = 301, .http_body = body,
				   .http_body_len = sizeof(body) - 1,
				   .http_headers = { "Location: http://x/",
						     "Content-Type: text/html" },
				   .http_nheaders = 2 };

	REQUIRE(app_open(&tern_app_http, &o));
	req(GET11);
	CHECK(rx_is("HTTP/1.1 301 Moved Permanently\r\nServer: tern\r\nContent-Length: 6\r\n"
		    "Location: http://x/\r\nContent-Type: text/html\r\n"
		    "Connection: keep-alive\r\n\r\nmoved\n"));
	app_close();
}

/* The peer half-closes after its requests: answered, then closed. */
TEST(test_http_peer_fin_answers_then_closes)
{
	REQUIRE(app_open(&tern_app_http, NULL));
	client(TERN_TH_PSH | TERN_TH_FIN, GET11, sizeof(GET11) - 1);
	CHECK(rx_is(KA));
	CHECK(ah.fin);
	ack();
	CHECK_EQ(tern_stack__nconns(ah.h.s), 0);
	app_close();
}

/* A client that pipelines without reading: reading stops once 64 KiB of
 * responses are unacknowledged, and the window closes. */
TEST(test_http_pipelining_backpressure_closes_window)
{
	static uint8_t body[16384], seg[1440];
	struct tern_app_opts o = { .http_body = body, .http_body_len = sizeof(body) };
	const char *r = "GET / HTTP/1.1\r\n\r\n"; /* 18 bytes, 80 per segment */
	uint32_t sent = 0, replies = 0, last_n = 0;

	for (uint32_t i = 0; i < sizeof(seg); i += 18)
		memcpy(seg + i, r, 18);
	REQUIRE(app_open(&tern_app_http, &o));
	ah.last_win = UINT16_MAX;
	for (int i = 0; i < 10; i++) {
		struct tern_seg s = h_seg(&ah.h, TERN_TH_ACK | TERN_TH_PSH, ah.cseq, ah.iss + 1);

		h_ts(&s, ah.ts++, 0);
		s.win = 502;
		s.payload = seg;
		s.len = sizeof(seg);
		ah.cseq += sizeof(seg);
		h_in(&ah.h, &s); /* never acknowledges a response */
		sent += sizeof(seg);
		replies += ah.h.out.n;
		last_n = ah.h.out.n;
		if (ah.h.out.n)
			ah.last_win = ah.h.tx[ah.h.out.n - 1].win;
	}
	/* the closed window is read from a reply to the last segment (a
	 * drop at zero window is ACKed at once), not left from the start */
	REQUIRE(replies > 0);
	CHECK(last_n > 0);
	CHECK_EQ(ah.last_win, 0);
	CHECK(H_MIB(&ah.h, InRcvCreditTrim) + H_MIB(&ah.h, TCPZeroWindowDrop) >= 1);
	app_close();
}

/* ---- discard ---- */

TEST(test_discard_drops_data_closes_on_fin)
{
	static uint8_t seg[1448];

	REQUIRE(app_open(&tern_app_discard, NULL));
	for (int i = 0; i < 40; i++) /* more than any window: it keeps reading */
		client(TERN_TH_PSH, seg, sizeof(seg));
	CHECK_EQ(ah.nrx, 0);
	CHECK(ah.last_win > 0);
	client(TERN_TH_FIN, NULL, 0);
	CHECK(ah.fin);
	CHECK_EQ(ah.nrx, 0);
	ack();
	CHECK_EQ(tern_stack__nconns(ah.h.s), 0);
	CHECK(!ah.rst);
	app_close();
}
