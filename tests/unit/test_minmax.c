// SPDX-License-Identifier: BSD-2-Clause
/*
 * The windowed running minimum and maximum (minmax.c, Linux's
 * win_minmax) and RACK's
 * min_rtt over it (tcp_min_rtt_wlen, 300 s): a new best replaces every
 * choice; later, larger samples wait as second and third choices and
 * take over as the best ages out of the window; with every choice aged
 * out the next sample starts again.
 */
#include "sk.h"
#include "t.h"
#include "user/core/minmax.h"

#define WIN 100u

TEST(test_minmax_new_best_replaces_all)
{
	struct tern_minmax m;

	tern_minmax_reset(&m, 0, UINT32_MAX);
	CHECK_EQ(tern_minmax_running_min(&m, WIN, 0, 10), 10);
	CHECK_EQ(tern_minmax_running_min(&m, WIN, 1, 20), 10);
	CHECK_EQ(tern_minmax_running_min(&m, WIN, 2, 5), 5);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(m.s[i].t, 2);
		CHECK_EQ(m.s[i].v, 5);
	}
}

/* 10 at 0; 20 at 30 (a quarter passed: second choice); 30 at 60 (half
 * passed: third); at 110 the 10 has aged out and 20 is the minimum; at
 * 140 the 20 has too and 30 is; at 300 everything has and 70 starts again. */
TEST(test_minmax_best_ages_out)
{
	struct tern_minmax m;

	tern_minmax_reset(&m, 0, 10);
	CHECK_EQ(tern_minmax_running_min(&m, WIN, 30, 20), 10);
	CHECK_EQ(tern_minmax_running_min(&m, WIN, 60, 30), 10);
	CHECK_EQ(tern_minmax_running_min(&m, WIN, 100, 40), 10);
	CHECK_EQ(tern_minmax_running_min(&m, WIN, 110, 40), 20);
	CHECK_EQ(tern_minmax_running_min(&m, WIN, 140, 40), 30);
	CHECK_EQ(tern_minmax_running_min(&m, WIN, 300, 70), 70);
	CHECK_EQ(m.s[2].t, 300);
}

/* The window is measured wrap-safe across the 32-bit clock's end. */
TEST(test_minmax_time_wraps)
{
	struct tern_minmax m;
	uint32_t t0 = UINT32_MAX - 50;

	tern_minmax_reset(&m, t0, 10);
	CHECK_EQ(tern_minmax_running_min(&m, WIN, t0 + 30, 20), 10);
	CHECK_EQ(tern_minmax_running_min(&m, WIN, t0 + 60, 30), 10);
	CHECK_EQ(tern_minmax_running_min(&m, WIN, t0 + 100, 40), 10);
	CHECK_EQ(tern_minmax_running_min(&m, WIN, t0 + 110, 40), 20);
}

/* The running maximum (BBR's bandwidth filter, minmax_running_max()),
 * in rounds: 50 at 0; 40 at 3 (second choice); 30 at 6 (third); at 11
 * the 50 has aged out of the 10-round window and 40 is the maximum; at
 * 14 the 40 has too; a larger sample replaces every choice. */
TEST(test_minmax_running_max_ages_out)
{
	struct tern_minmax m;

	tern_minmax_reset(&m, 0, 0);
	CHECK_EQ(tern_minmax_running_max(&m, 10, 0, 50), 50);
	CHECK_EQ(tern_minmax_running_max(&m, 10, 3, 40), 50);
	CHECK_EQ(tern_minmax_running_max(&m, 10, 6, 30), 50);
	CHECK_EQ(tern_minmax_running_max(&m, 10, 10, 20), 50);
	CHECK_EQ(tern_minmax_running_max(&m, 10, 11, 20), 40);
	CHECK_EQ(tern_minmax_running_max(&m, 10, 14, 20), 30);
	CHECK_EQ(tern_minmax_running_max(&m, 10, 15, 60), 60);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(m.s[i].v, 60);
}

static void rack(struct tern_cfg *c)
{
	c->rack_segs = 65536;
}

/* RACK's min_rtt: the 100 ms handshake sample, then 200 ms samples every
 * 10 s (the path got longer). The 100 ms holds for 300 s, then 200 ms is
 * the minimum: the reordering window follows the path. */
TEST(test_estab_rack_min_rtt_windowed)
{
	struct sk k;

	REQUIRE(sk_open(&k, 0, rack));
	CHECK_EQ(tern_rack_min_rtt_us(k.h.s, k.h.conn), 100000);
	for (int i = 1; i <= 30; i++) {
		sk_poll_at(&k, k.h.now + 10000 * MS);
		tern_rack_min_rtt(k.h.s, k.h.conn, 200000);
		CHECK_EQ(tern_rack_min_rtt_us(k.h.s, k.h.conn), 100000);
	}
	sk_poll_at(&k, k.h.now + 10000 * MS);
	tern_rack_min_rtt(k.h.s, k.h.conn, 200000);
	CHECK_EQ(tern_rack_min_rtt_us(k.h.s, k.h.conn), 200000);
	h_free(&k.h);
}
