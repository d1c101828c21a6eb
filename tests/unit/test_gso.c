// SPDX-License-Identifier: BSD-2-Clause
/*
 * Which segments one GSO frame may carry (user/io/gso.c tern_gso__run):
 * one connection, contiguous, the same headers but for the sequence
 * number, FIN and PSH only on the last, a shorter segment only last,
 * the bounds in bytes and segments.
 */
#include <string.h>

#include "tests/unit/t.h"
#include "user/io/gso.h"

#define MSS 1448u
#define NSEG 80u

static struct tern_tx seg[NSEG];

/* n full data segments of one IPv4 connection with timestamps, in order. */
static void mk_run(uint32_t n)
{
	static uint8_t payload[MSS];

	memset(seg, 0, sizeof(seg));
	for (uint32_t i = 0; i < n; i++) {
		struct tern_tx *t = &seg[i];

		t->t.family = 4;
		t->t.laddr.b[10] = t->t.laddr.b[11] = 0xff;
		t->t.laddr.b[12] = 10;
		t->t.raddr = t->t.laddr;
		t->t.raddr.b[15] = 2;
		t->t.lport = 80;
		t->t.rport = 40000;
		t->l2.peer_mac[0] = 2;
		t->seq = 1000 + i * MSS;
		t->ack = 77;
		t->win = 512;
		t->flags = TERN_TH_ACK;
		t->optlen = 12;
		memset(t->opt, 1, 2);
		t->opt[2] = 8;
		t->opt[3] = 10;
		t->payload = payload;
		t->len = MSS;
	}
}

TEST(test_gso_run_full)
{
	mk_run(10);
	CHECK_EQ(tern_gso__run(seg, 10, TERN_GSO_MAX_BYTES), 10);
	CHECK_EQ(tern_gso__run(seg, 1, TERN_GSO_MAX_BYTES), 1);
	/* 20 + 20 + 12 header bytes and 45 x 1448 fit 65535, 46 do not */
	mk_run(NSEG);
	CHECK_EQ(tern_gso__run(seg, NSEG, TERN_GSO_MAX_BYTES), 45);
	CHECK_EQ(tern_gso__run(seg, NSEG, 52 + 3 * MSS), 3);
	/* IPv6: the payload length leaves the IPv6 header out */
	for (uint32_t i = 0; i < NSEG; i++) {
		seg[i].t.family = 6;
		seg[i].len = 536;
	}
	for (uint32_t i = 1; i < NSEG; i++)
		seg[i].seq = seg[i - 1].seq + 536;
	CHECK_EQ(tern_gso__run(seg, NSEG, TERN_GSO_MAX_BYTES), TERN_GSO_MAX_SEGS);
}

TEST(test_gso_run_last)
{
	mk_run(6);
	seg[3].flags |= TERN_TH_PSH; /* the end of a write: the last */
	CHECK_EQ(tern_gso__run(seg, 6, TERN_GSO_MAX_BYTES), 4);
	mk_run(6);
	seg[4].flags |= TERN_TH_FIN;
	seg[4].len = 100; /* a short one with FIN: the last */
	CHECK_EQ(tern_gso__run(seg, 6, TERN_GSO_MAX_BYTES), 5);
	mk_run(6);
	seg[2].len = 700; /* short, then full: the short one ends it */
	seg[3].seq = seg[2].seq + 700;
	CHECK_EQ(tern_gso__run(seg, 6, TERN_GSO_MAX_BYTES), 3);
	mk_run(6);
	seg[0].len = 700; /* a longer one may not follow */
	seg[1].seq = seg[0].seq + 700;
	CHECK_EQ(tern_gso__run(seg, 6, TERN_GSO_MAX_BYTES), 1);
}

TEST(test_gso_run_breaks)
{
	mk_run(6);
	seg[3].seq += 1; /* a gap */
	CHECK_EQ(tern_gso__run(seg, 6, TERN_GSO_MAX_BYTES), 3);
	mk_run(6);
	seg[2].ack += 1;
	CHECK_EQ(tern_gso__run(seg, 6, TERN_GSO_MAX_BYTES), 2);
	mk_run(6);
	seg[2].win += 1;
	CHECK_EQ(tern_gso__run(seg, 6, TERN_GSO_MAX_BYTES), 2);
	mk_run(6);
	seg[2].opt[5] = 9; /* another TSval */
	CHECK_EQ(tern_gso__run(seg, 6, TERN_GSO_MAX_BYTES), 2);
	mk_run(6);
	seg[2].t.rport += 1; /* another connection */
	CHECK_EQ(tern_gso__run(seg, 6, TERN_GSO_MAX_BYTES), 2);
	mk_run(6);
	seg[2].l2.peer_mac[5] = 1;
	CHECK_EQ(tern_gso__run(seg, 6, TERN_GSO_MAX_BYTES), 2);
	mk_run(6);
	seg[2].flags |= TERN_TH_CWR;
	CHECK_EQ(tern_gso__run(seg, 6, TERN_GSO_MAX_BYTES), 2);
}

TEST(test_gso_run_none)
{
	mk_run(4);
	seg[0].flags |= TERN_TH_PSH; /* PSH or FIN first: a run of one */
	CHECK_EQ(tern_gso__run(seg, 4, TERN_GSO_MAX_BYTES), 0);
	mk_run(4);
	seg[0].flags = TERN_TH_SYN | TERN_TH_ACK;
	CHECK_EQ(tern_gso__run(seg, 4, TERN_GSO_MAX_BYTES), 0);
	mk_run(4);
	seg[0].len = 0; /* a pure ACK */
	CHECK_EQ(tern_gso__run(seg, 4, TERN_GSO_MAX_BYTES), 0);
	mk_run(4);
	for (int i = 0; i < 4; i++)
		seg[i].l2.has_vlan = 1; /* tagged: the TX ring */
	CHECK_EQ(tern_gso__run(seg, 4, TERN_GSO_MAX_BYTES), 0);
}
