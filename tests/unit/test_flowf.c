// SPDX-License-Identifier: BSD-2-Clause
/* The XDP flow filter: the stack counts every tuple it holds a record of
 * (half-open, connection, TIME-WAIT); collisions add up; a counter that
 * reaches 255 stays. Which slot a tuple lands in is checked against the
 * XDP program in tests/net/xdpsyn_check.c. */
#include <errno.h>

#include "harness.h"
#include "t.h"
#include "user/core/tw.h"

#define SLOTS 1024

static uint8_t slots[SLOTS];

static void stateful(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_NEVER;
}

static uint32_t total(uint32_t n)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < n; i++)
		sum += slots[i];
	return sum;
}

static void attach(struct h *h, uint32_t n)
{
	memset(slots, 0, sizeof(slots));
	REQUIRE_EQ(tern_stack__set_flow_filter(h->s, slots, n), 0);
}

TEST(test_flowf_size_checked)
{
	struct h h;

	h_init(&h, NULL);
	CHECK_EQ(tern_stack__set_flow_filter(h.s, slots, 0), -EINVAL);
	CHECK_EQ(tern_stack__set_flow_filter(h.s, slots, 3), -EINVAL);
	CHECK_EQ(tern_stack__set_flow_filter(h.s, slots, 2 * TERN_FLOW_SLOTS_MAX), -EINVAL);
	CHECK_EQ(tern_stack__set_flow_filter(h.s, slots, 1), 0);
	CHECK_EQ(tern_stack__set_flow_filter(h.s, NULL, 0), 0);
	h_free(&h);
}

TEST(test_flowf_syn_ack_rst_counts_one_tuple)
{
	struct h h;
	struct tern_seg seg;
	uint32_t iss;

	h_init(&h, stateful);
	attach(&h, SLOTS);
	seg = h_seg(&h, TERN_TH_SYN, 1000, 0);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(total(SLOTS), 1); /* the half-open record */
	iss = h.tx[0].seq;
	seg = h_seg(&h, TERN_TH_ACK, 1001, iss + 1);
	h_in(&h, &seg);
	REQUIRE_EQ(tern_stack__nconns(h.s), 1);
	CHECK_EQ(total(SLOTS), 1); /* the request went, the connection came */
	seg = h_seg(&h, TERN_TH_RST, 1001, 0);
	h_in(&h, &seg);
	CHECK_EQ(tern_stack__nconns(h.s), 0);
	CHECK_EQ(total(SLOTS), 0);
	h_free(&h);
}

TEST(test_flowf_timewait_counted_until_expiry)
{
	struct h h;
	struct tern_conn *c;
	uint32_t iss;

	h_init(&h, stateful);
	attach(&h, SLOTS);
	c = h_connect(&h, 1000, 5000, &iss);
	REQUIRE(c);
	REQUIRE(tern_tw__enter(h.s, c, h.now));
	tern_conn_free(h.s, c, TERN_CLOSE_FIN);
	CHECK_EQ(total(SLOTS), 1);
	h_advance(&h, (uint64_t)h.s->cfg.time_wait_ms * TERN_NSEC_PER_MSEC + TERN_NSEC_PER_SEC);
	h_poll(&h);
	CHECK_EQ(total(SLOTS), 0);
	h_free(&h);
}

TEST(test_flowf_collisions_add_up)
{
	struct h h;
	struct tern_conn *c[3];
	uint32_t iss;

	h_init(&h, stateful);
	attach(&h, 1); /* every tuple in slot 0 */
	for (int i = 0; i < 3; i++) {
		h.cport = (uint16_t)(40000 + i);
		c[i] = h_connect(&h, 1000, 5000, &iss);
		REQUIRE(c[i]);
	}
	CHECK_EQ(slots[0], 3);
	h.conn = c[1];
	h_abort(&h);
	CHECK_EQ(slots[0], 2);
	CHECK_EQ(H_MIB(&h, FlowFilterSaturated), 0);
	h_free(&h);
}

TEST(test_flowf_saturated_counter_stays)
{
	struct h h;
	struct tern_conn *c[TERN_FLOW_SATURATED + 1];
	uint32_t iss;
	int n = 0;

	h_init(&h, stateful);
	attach(&h, 1);
	for (; n <= TERN_FLOW_SATURATED; n++) {
		h.cport = (uint16_t)(20000 + n);
		c[n] = h_connect(&h, 1000, 5000, &iss);
		REQUIRE(c[n]);
	}
	CHECK_EQ(slots[0], TERN_FLOW_SATURATED);
	CHECK_EQ(H_MIB(&h, FlowFilterSaturated), 1);
	for (int i = 0; i < n; i++) {
		h.conn = c[i];
		h_abort(&h);
	}
	CHECK_EQ(tern_stack__nconns(h.s), 0);
	CHECK_EQ(slots[0], TERN_FLOW_SATURATED); /* never reads as absent */
	h_free(&h);
}

TEST(test_flowf_detached_stops_counting)
{
	struct h h;
	uint32_t iss;

	h_init(&h, stateful);
	attach(&h, SLOTS);
	REQUIRE_EQ(tern_stack__set_flow_filter(h.s, NULL, 0), 0);
	REQUIRE(h_connect(&h, 1000, 5000, &iss));
	CHECK_EQ(total(SLOTS), 0);
	h_free(&h);
}
