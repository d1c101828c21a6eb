// SPDX-License-Identifier: BSD-2-Clause
/* Application interface: copying sends and per-connection info. */
#include <errno.h>

#include "harness.h"
#include "t.h"

static void small_copy_pool(struct tern_cfg *c)
{
	c->copy_blocks = 2;
	c->copies_per_conn = 2; /* this connection may use the whole arena */
}

/* The copy is what goes out, whatever the caller does with its buffer
 * afterwards; the blocks come back when the data is acknowledged. */
TEST(test_estab_send_copy_owns_its_bytes)
{
	char buf[3000];
	struct h h;
	struct tern_seg a;
	uint32_t iss, sent = 0;

	h_init(&h, NULL);
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	memset(buf, 'x', sizeof(buf));
	h.out.n = 0;
	REQUIRE_EQ(tern_conn__send_copy(h.s, h.conn, buf, sizeof(buf), h.now, &h.out), 3000);
	memset(buf, 'y', sizeof(buf)); /* reused at once */
	CHECK_EQ(h.s->copies.used, 2); /* 2048 + 952 */
	for (uint32_t i = 0; i < h.out.n; i++) {
		for (uint32_t k = 0; k < h.tx[i].len; k++)
			CHECK(h.tx[i].payload[k] == 'x');
		sent += h.tx[i].len;
	}
	CHECK_EQ(sent, 3000);
	a = h_seg(&h, TERN_TH_ACK, 1001, iss + 1 + 3000);
	h_ts(&a, 9, 0);
	a.win = 502;
	h_in(&h, &a);
	CHECK_EQ(h.acked, 3000);
	CHECK_EQ(h.s->copies.used, 0);
	CHECK_EQ(h.s->chunks.used, 0);
	h_free(&h);
}

TEST(test_estab_send_copy_pool_bound_and_abort)
{
	static const char big[8192];
	struct h h;
	uint32_t iss;

	h_init(&h, small_copy_pool);
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	h.out.n = 0;
	CHECK_EQ(tern_conn__send_copy(h.s, h.conn, big, sizeof(big), h.now, &h.out), 4096);
	CHECK_EQ(tern_conn__send_copy(h.s, h.conn, big, 10, h.now, &h.out), -EAGAIN);
	CHECK_EQ(h.s->copies.used, 2);
	h_abort(&h); /* teardown gives the blocks back */
	CHECK_EQ(h.s->copies.used, 0);
	h_free(&h);
}

TEST(test_estab_conn_info)
{
	static const char d[100];
	struct tern_conn_info i;
	struct h h;
	uint32_t iss;

	h_init(&h, NULL);
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	REQUIRE(h_send(&h, d, sizeof(d)) == (int)sizeof(d));
	tern_conn__info(h.conn, &i);
	CHECK(!strcmp(tern_state_name(i.state), "ESTABLISHED"));
	CHECK_EQ(i.mss, 1448);
	CHECK(i.timestamps && i.sack && i.wscale);
	CHECK_EQ(i.snd_wscale, 7);
	CHECK_EQ(i.rcv_wscale, 3);
	/* the handshake took no time: its sample (0 us) leaves srtt at 1/8
	 * us and the RTO at srtt + rto_min (tcp_synack_rtt_meas) */
	CHECK_EQ(i.rto_ms, 200);
	CHECK_EQ(i.srtt_us, 0);
	CHECK_EQ(i.unacked, 100);
	CHECK_EQ(i.queued, 100);
	CHECK_EQ(i.cwnd, 10u * 1448);
	h_free(&h);
}
