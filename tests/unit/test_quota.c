// SPDX-License-Identifier: BSD-2-Clause
/*
 * Per-connection shares of the stack's send pools: queued send chunks
 * (cfg.chunks_per_conn) and copy-arena blocks (cfg.copies_per_conn). At
 * the bound a send returns -EAGAIN (OutSndQuotaFull), another connection
 * still sends, and the connection's own ACK brings writable().
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tests/unit/harness.h"
#include "tests/unit/t.h"

#define CSEQ 0x50000000u
#define TSV0 3000u

static struct h hh;
static uint8_t sbuf[16384];

struct qc {
	struct tern_conn *c;
	uint32_t iss;
	uint32_t tsval;
	uint16_t cport;
};

static void pools_8(struct tern_cfg *c)
{
	c->max_chunks = 8;  /* share: 8 / 4 = 2 */
	c->copy_blocks = 8; /* share: 2 blocks */
}

static bool open2(struct qc *a, struct qc *b)
{
	if (hh.mem)
		h_free(&hh);
	h_init(&hh, pools_8);
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->cport = hh.cport = 40000;
	a->c = h_connect(&hh, CSEQ, TSV0, &a->iss);
	b->cport = hh.cport = 40001;
	b->c = h_connect(&hh, CSEQ, TSV0, &b->iss);
	a->tsval = b->tsval = TSV0 + 1;
	return a->c && b->c && a->c != b->c;
}

static int send_on(struct qc *q, uint32_t off, uint32_t len)
{
	hh.conn = q->c;
	return h_send(&hh, sbuf + off, len);
}

static int copy_on(struct qc *q, uint32_t off, uint32_t len)
{
	hh.conn = q->c;
	hh.out.n = 0;
	return tern_conn__send_copy(hh.s, q->c, sbuf + off, len, hh.now, &hh.out);
}

/* The peer of q acknowledges up to snd_una + n. */
static void ack_on(struct qc *q, uint32_t n)
{
	struct tern_seg s;

	hh.cport = q->cport;
	s = h_seg(&hh, TERN_TH_ACK, CSEQ + 1, q->c->snd_una + n);
	s.win = 502;
	h_ts(&s, ++q->tsval, tern_ms(hh.now) + q->c->ts_off);
	h_in(&hh, &s);
}

TEST(test_cfg_quota_defaults_quarter_of_pool)
{
	struct qc a, b;

	REQUIRE(open2(&a, &b));
	CHECK_EQ(hh.s->chunk_quota, 2);
	CHECK_EQ(hh.s->copy_quota, 2);
}

TEST(test_estab_chunk_quota_per_conn)
{
	struct qc a, b;

	REQUIRE(open2(&a, &b));
	CHECK_EQ(send_on(&a, 0, 100), 100);
	CHECK_EQ(send_on(&a, 100, 100), 100);
	CHECK_EQ(send_on(&a, 200, 100), -EAGAIN);
	CHECK_EQ(hh.out.n, 0);
	CHECK_EQ(H_MIB(&hh, OutSndQuotaFull), 1);
	CHECK_EQ(H_MIB(&hh, OutSndBufFull), 0);
	CHECK_EQ(hh.s->chunks.used, 2);

	/* B is not starved by A */
	CHECK_EQ(send_on(&b, 1000, 100), 100);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].t.rport, 40001);
	CHECK_EQ(hh.tx[0].len, 100);

	/* A's first chunk acked: writable(), and A sends again */
	hh.writables = 0;
	ack_on(&a, 100);
	CHECK_EQ(hh.writables, 1);
	CHECK_EQ(send_on(&a, 200, 100), 100);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].seq, a.iss + 201);
}

TEST(test_estab_copy_quota_per_conn)
{
	struct qc a, b;

	REQUIRE(open2(&a, &b));
	CHECK_EQ(copy_on(&a, 0, 6000), 2 * TERN_COPY_BLOCK); /* cut at the share */
	CHECK_EQ(H_MIB(&hh, OutSndQuotaFull), 1);
	CHECK_EQ(copy_on(&a, 0, 10), -EAGAIN);
	CHECK_EQ(H_MIB(&hh, OutSndQuotaFull), 2);
	CHECK_EQ(hh.s->copies.used, 2);

	CHECK_EQ(copy_on(&b, 0, 3000), 3000);
	CHECK_EQ(hh.s->copies.used, 4);

	hh.writables = 0;
	ack_on(&a, TERN_COPY_BLOCK);
	CHECK_EQ(hh.writables, 1);
	CHECK_EQ(hh.s->copies.used, 3);
	CHECK_EQ(copy_on(&a, 0, 10), 10);
}

/* Freed with the connection: an abort gives the share back. */
TEST(test_estab_quota_returned_on_abort)
{
	struct qc a, b;

	REQUIRE(open2(&a, &b));
	CHECK_EQ(copy_on(&a, 0, 100), 100);
	CHECK_EQ(send_on(&a, 0, 100), 100);
	CHECK_EQ(send_on(&a, 0, 100), -EAGAIN);
	hh.conn = a.c;
	h_abort(&hh);
	CHECK_EQ(hh.s->chunks.used, 0);
	CHECK_EQ(hh.s->copies.used, 0);
	CHECK_EQ(hh.s->use[0].chunks + hh.s->use[1].chunks, 0);
	CHECK_EQ(hh.s->use[0].copies + hh.s->use[1].copies, 0);
}

static void share_above_pool(struct tern_cfg *c)
{
	c->max_chunks = 8;
	c->chunks_per_conn = 9;
}

TEST(test_cfg_quota_above_pool_rejected)
{
	struct tern_cfg cfg;

	tern_cfg__defaults(&cfg);
	share_above_pool(&cfg);
	CHECK_EQ(tern_stack__memsize(&cfg), 0);
	cfg.chunks_per_conn = 8;
	CHECK(tern_stack__memsize(&cfg) > 0);
	cfg.copies_per_conn = cfg.copy_blocks + 1;
	CHECK_EQ(tern_stack__memsize(&cfg), 0);
}
