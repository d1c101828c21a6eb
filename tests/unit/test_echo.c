// SPDX-License-Identifier: BSD-2-Clause
/* The echo application on a stack in virtual time. */
#include "harness.h"
#include "t.h"
#include "user/app/app.h"

struct echo_h {
	struct h h;
	void *app;
	uint32_t iss;
	uint32_t cseq;  /* next client sequence */
	uint32_t ts;
};

static struct echo_h eh;

static int echo_open_cfg(void (*tweak)(struct tern_cfg *))
{
	struct tern_app_env env;

	h_init(&eh.h, tweak);
	env = (struct tern_app_env){ .stack = eh.h.s, .out = &eh.h.out, .now = &eh.h.now,
				     .max_conns = 16 };
	eh.app = tern_app_echo.worker_init(&env);
	if (!eh.app)
		return 0;
	{
		struct tern_listen_opts lo = { .rcv_buf = tern_app_echo.rcv_buf };
		struct tern_addr la = h_seg(&eh.h, 0, 0, 0).t.laddr;

		if (tern_stack__listen_opts(eh.h.s, &la, 80, &lo))
			return 0;
	}
	tern_stack__set_app(eh.h.s, tern_app_echo.ops, eh.app);
	/* handshake by hand: the harness' own callbacks are not installed */
	{
		struct tern_seg s = h_seg(&eh.h, TERN_TH_SYN, 1000, 0);

		h_linux_syn_opts(&s, 5);
		h_in(&eh.h, &s);
		if (eh.h.out.n != 1)
			return 0;
		eh.iss = eh.h.tx[0].seq;
		s = h_seg(&eh.h, TERN_TH_ACK, 1001, eh.iss + 1);
		h_ts(&s, 6, 0);
		s.win = 502;
		h_in(&eh.h, &s);
	}
	eh.cseq = 1001;
	eh.ts = 7;
	return tern_stack__nconns(eh.h.s) == 1;
}

static int echo_open(void)
{
	return echo_open_cfg(NULL);
}

static void echo_close(void)
{
	tern_app_echo.worker_fini(eh.app);
	h_free(&eh.h);
}

/* Client segment with payload (len may be 0) and an ACK of `ack`. */
static void client(uint8_t flags, const void *p, uint32_t len, uint32_t ack)
{
	struct tern_seg s = h_seg(&eh.h, flags | TERN_TH_ACK, eh.cseq, ack);

	h_ts(&s, eh.ts++, 0);
	s.win = 502;
	s.payload = p;
	s.len = len;
	eh.cseq += len + !!(flags & TERN_TH_FIN);
	h_in(&eh.h, &s);
}

static const struct tern_tx *find_data(void)
{
	for (uint32_t i = 0; i < eh.h.out.n; i++)
		if (eh.h.tx[i].len)
			return &eh.h.tx[i];
	return NULL;
}

TEST(test_echo_writes_back)
{
	const struct tern_tx *tx;

	REQUIRE(echo_open());
	client(TERN_TH_PSH, "hello", 5, eh.iss + 1);
	tx = find_data();
	REQUIRE(tx);
	CHECK_EQ(tx->len, 5);
	CHECK(!memcmp(tx->payload, "hello", 5));
	CHECK_EQ(tx->seq, eh.iss + 1);
	CHECK_EQ(tx->ack, 1006);
	echo_close();
}

TEST(test_echo_peer_close_flushes_then_closes)
{
	int fin = 0;

	REQUIRE(echo_open());
	client(TERN_TH_PSH | TERN_TH_FIN, "bye", 3, eh.iss + 1);
	for (uint32_t i = 0; i < eh.h.out.n; i++)
		if (eh.h.tx[i].flags & TERN_TH_FIN) {
			fin = 1;
			CHECK_EQ(eh.h.tx[i].seq, eh.iss + 1 + 3); /* after the echoed bytes */
		}
	CHECK(fin);
	/* ACK the echo and the FIN: LAST-ACK completes, the ring goes back */
	client(0, NULL, 0, eh.iss + 1 + 3 + 1);
	CHECK_EQ(tern_stack__nconns(eh.h.s), 0);
	echo_close();
}

/* A peer that does not ACK what it is echoed stops being read from: once
 * echo holds its first credit (64 KiB, the SYN-ACK's window), the window
 * closes and more data is refused. */
TEST(test_echo_backpressure_closes_window)
{
	static uint8_t big[1448];
	uint32_t win = 1, start = eh.cseq;

	REQUIRE(echo_open());
	start = eh.cseq;
	for (int i = 0; i < 60 && win; i++) {
		client(TERN_TH_PSH, big, sizeof(big), eh.iss + 1); /* never acks the echo */
		if (eh.h.out.n)
			win = eh.h.tx[eh.h.out.n - 1].win;
	}
	CHECK_EQ(win, 0);
	CHECK_EQ(H_MIB(&eh.h, TCPToZeroWindowAdv), 1);
	CHECK(H_MIB(&eh.h, InRcvCreditTrim) + H_MIB(&eh.h, TCPZeroWindowDrop) >= 1);
	CHECK(eh.cseq - start > 60000);
	echo_close();
}

static void small_wmem(struct tern_cfg *c)
{
	c->snd_buf = 16384;
	c->wmem_min = 4096;
	c->wmem_max = 16384;
}

/* With a send buffer of 16 KiB, echo never holds more than that: the
 * window closes at it, and each ACK of echoed data reopens it by as much. */
TEST(test_echo_holds_at_most_the_send_buffer)
{
	static uint8_t big[1000];
	uint32_t acked = 0, echoed = 0, taken = 0, held_max = 0;

	REQUIRE(echo_open_cfg(small_wmem));
	for (int round = 0; round < 8; round++) {
		/* 40 KB without acknowledging the echo: tern takes (ACKs) only
		 * what echo may hold beyond what the client acknowledged. */
		for (int i = 0; i < 40; i++) {
			client(TERN_TH_PSH, big, sizeof(big), eh.iss + 1 + acked);
			for (uint32_t j = 0; j < eh.h.out.n; j++) {
				const struct tern_tx *tx = &eh.h.tx[j];

				if (tx->len && tx->seq + tx->len - (eh.iss + 1) > echoed)
					echoed = tx->seq + tx->len - (eh.iss + 1);
				if (tx->ack - 1001 > taken)
					taken = tx->ack - 1001;
			}
			eh.cseq = 1001 + taken; /* the rest is sent again */
		}
		if (taken - acked > held_max)
			held_max = taken - acked;
		acked = echoed; /* the client acknowledges every echoed byte */
		client(0, NULL, 0, eh.iss + 1 + acked);
	}
	CHECK(held_max <= 16384);
	CHECK(held_max >= 16384 - 1448);
	CHECK(acked > 4 * 16384);
	CHECK_EQ(acked, taken);
	echo_close();
}

/* The echoed data carries the ACK: no bare ACK after it (Linux clears the
 * pending ACK whenever a segment goes out). */
TEST(test_echo_no_redundant_ack)
{
	REQUIRE(echo_open());
	client(TERN_TH_PSH, "ping", 4, eh.iss + 1);
	REQUIRE_EQ(eh.h.out.n, 1);
	CHECK_EQ(eh.h.tx[0].len, 4);
	CHECK_EQ(eh.h.tx[0].ack, 1005);
	echo_close();
}
