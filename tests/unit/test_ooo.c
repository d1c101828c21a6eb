// SPDX-License-Identifier: BSD-2-Clause
/*
 * Out-of-order queue: in-order drain after holes fill, overlaps and
 * duplicates, trimming against RCV.NXT, queue and pool bounds, exactly one
 * release per kept frame, SACK block merging and recency order, sequence
 * wrap-around, and a randomized stream against an independent model.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "tests/unit/t.h"
#include "user/core/ooo.h"

#define STREAM (64 * 1024)
#define MAX_FRAMES 65536
#define POOL_MAX 64
/* Frame handles carry high bits so truncation to 32 bits would show. */
#define TAG 0xab5e000000000000ULL
#define ISN 1000000u
#define WRAP_ISN 0xffffff00u /* offset 256 is sequence number 0 */

struct fx {
	struct tern_ooo mem[POOL_MAX];
	struct tern_ooo_pool pool;
	struct tern_ooo_q q;
	uint32_t isn;
	uint32_t rcv_nxt;
	uint32_t nout;
	int bad; /* callback misuse: stray handle, empty or overlong delivery */
	int abort_in_deliver; /* the application tears the connection down */
	uint8_t out[STREAM];
	/* Per arrival (frame id): range, kept (1: F.q, 2: other queue), releases. */
	uint32_t nframes;
	uint32_t off[MAX_FRAMES];
	uint32_t len[MAX_FRAMES];
	uint8_t kept[MAX_FRAMES];
	uint16_t rel[MAX_FRAMES];
	/* Model of F.q: ids of kept frames not yet released. */
	uint32_t live[POOL_MAX];
	uint32_t nlive;
	/* Recently sent segments, for resends. */
	uint32_t roff[32], rlen[32];
	uint32_t nrecent;
};

static struct fx F;
static uint8_t src[STREAM];
static uint64_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void setup(uint32_t isn, uint32_t cap)
{
	memset(&F, 0, sizeof(F));
	rng = 0x9e3779b97f4a7c15ULL;
	for (uint32_t i = 0; i < STREAM; i++)
		src[i] = (uint8_t)rnd();
	/* Garbage in the pool memory must not matter. */
	memset(F.mem, 0xa5, sizeof(F.mem));
	tern_ooo_pool__init(&F.pool, F.mem, cap);
	tern_ooo_q__init(&F.q);
	F.isn = isn;
	F.rcv_nxt = isn;
}

static void on_release(void *ctx, uint64_t frame);

static void on_deliver(void *ctx, const uint8_t *p, uint32_t len)
{
	struct fx *f = ctx;

	if (!len || len > STREAM - f->nout) {
		f->bad++;
		return;
	}
	memcpy(f->out + f->nout, p, len);
	f->nout += len;
	if (f->abort_in_deliver)
		tern_ooo__purge(&f->pool, &f->q, on_release, f);
}

static void live_remove(struct fx *f, uint32_t id)
{
	for (uint32_t i = 0; i < f->nlive; i++) {
		if (f->live[i] == id) {
			f->live[i] = f->live[--f->nlive];
			return;
		}
	}
}

static void on_release(void *ctx, uint64_t frame)
{
	struct fx *f = ctx;
	uint64_t id = frame & 0xffffffffULL;

	if ((frame & ~0xffffffffULL) != TAG || id >= f->nframes) {
		f->bad++;
		return;
	}
	f->rel[id]++;
	live_remove(f, (uint32_t)id);
}

/* Offer stream bytes [off, off+len) to q; returns the insert's verdict. */
static int ins_q(struct tern_ooo_q *q, uint16_t max_n, uint32_t off, uint32_t len)
{
	uint32_t id = F.nframes++;
	int r;

	F.off[id] = off;
	F.len[id] = len;
	r = tern_ooo__insert(&F.pool, q, max_n, F.isn + off, src + off, len, TAG | id);
	if (r == TERN_OOO_QUEUED) {
		F.kept[id] = q == &F.q ? 1 : 2;
		if (q == &F.q && F.nlive < POOL_MAX)
			F.live[F.nlive++] = id;
	}
	return r;
}

static int ins(uint32_t off, uint32_t len)
{
	return ins_q(&F.q, 64, off, len);
}

/* The caller's own in-order delivery, up to stream offset end. */
static void direct(uint32_t end)
{
	uint32_t from = F.rcv_nxt - F.isn;

	on_deliver(&F, src + from, end - from);
	F.rcv_nxt = F.isn + end;
}

static int drained_fin; /* the last drain() reached a FIN marker */

static uint32_t drain(void)
{
	drained_fin = 0;
	return tern_ooo__drain(&F.pool, &F.q, &F.rcv_nxt, &drained_fin, on_deliver, on_release,
			       &F);
}

static int sack(struct tern_sack_blk *b, int max)
{
	return tern_ooo__sack(&F.pool, &F.q, b, max);
}

/* The offset RCV.NXT has reached, and everything delivered so far is exact. */
static bool stream_ok(uint32_t upto)
{
	return !F.bad && F.nout == upto && F.rcv_nxt == F.isn + upto &&
	       !memcmp(F.out, src, upto);
}

/* Frames whose release count differs from 1 if kept, 0 if not. */
static uint32_t release_errors(void)
{
	uint32_t errs = 0;

	for (uint32_t i = 0; i < F.nframes; i++)
		errs += F.rel[i] != (F.kept[i] ? 1 : 0);
	return errs;
}

/* Purge F.q and check every kept frame went back exactly once. */
static bool all_released(void)
{
	tern_ooo__purge(&F.pool, &F.q, on_release, &F);
	return !F.bad && F.q.n == 0 && F.q.head == TERN_OOO_NIL && F.pool.used == 0 &&
	       release_errors() == 0;
}

#define CHECK_BLK(b, s, e)                                                     \
	do {                                                                   \
		CHECK_EQ((b).start, (uint32_t)(F.isn + (s)));                  \
		CHECK_EQ((b).end, (uint32_t)(F.isn + (e)));                    \
	} while (0)

TEST(test_ooo_empty)
{
	struct tern_sack_blk b[4];
	uint32_t n = 0;

	setup(ISN, 8);
	CHECK_EQ(F.pool.used, 0);
	for (uint32_t i = F.pool.free_head; i != TERN_OOO_NIL && n <= 8; i = F.mem[i].next)
		n++;
	CHECK_EQ(n, 8);
	CHECK_EQ(F.q.head, TERN_OOO_NIL);
	CHECK_EQ(F.q.n, 0);
	CHECK_EQ(drain(), 0);
	CHECK_EQ(F.rcv_nxt, ISN);
	CHECK_EQ(sack(b, 4), 0);
	CHECK_EQ(ins(10, 0), TERN_OOO_DUP); /* no byte to keep */
	CHECK(all_released());
}

TEST(test_ooo_fill_hole)
{
	setup(ISN, 8);
	CHECK_EQ(ins(100, 100), TERN_OOO_QUEUED);
	CHECK_EQ(ins(200, 100), TERN_OOO_QUEUED);
	CHECK_EQ(F.q.n, 2);
	CHECK_EQ(F.pool.used, 2);
	CHECK_EQ(drain(), 0);
	CHECK_EQ(F.rel[0] + F.rel[1], 0);
	direct(100);
	CHECK_EQ(drain(), 200);
	CHECK(stream_ok(300));
	CHECK_EQ(F.rel[0], 1);
	CHECK_EQ(F.rel[1], 1);
	CHECK_EQ(F.q.n, 0);
	CHECK_EQ(F.pool.used, 0);
	CHECK(all_released());
}

TEST(test_ooo_multiple_holes)
{
	setup(ISN, 8);
	CHECK_EQ(ins(500, 100), TERN_OOO_QUEUED);
	CHECK_EQ(ins(100, 100), TERN_OOO_QUEUED);
	CHECK_EQ(ins(300, 100), TERN_OOO_QUEUED);
	/* Sorted by sequence whatever the arrival order. */
	REQUIRE(F.q.head != TERN_OOO_NIL);
	CHECK_EQ(F.mem[F.q.head].seq, ISN + 100);
	direct(100);
	CHECK_EQ(drain(), 100);
	CHECK(stream_ok(200));
	CHECK_EQ(F.q.n, 2);
	CHECK_EQ(drain(), 0); /* stops at the second hole */
	direct(300);
	CHECK_EQ(drain(), 100);
	CHECK(stream_ok(400));
	CHECK_EQ(F.q.n, 1);
	CHECK_EQ(F.rel[0], 0); /* [500, 600) still waits */
	CHECK_EQ(ins(450, 50), TERN_OOO_QUEUED);
	CHECK_EQ(drain(), 0);
	direct(450);
	CHECK_EQ(drain(), 150);
	CHECK(stream_ok(600));
	CHECK(all_released());
}

TEST(test_ooo_overlap_partial)
{
	setup(ISN, 8);
	CHECK_EQ(ins(200, 100), TERN_OOO_QUEUED);
	CHECK_EQ(ins(150, 100), TERN_OOO_QUEUED); /* overlaps on the left */
	CHECK_EQ(ins(250, 100), TERN_OOO_QUEUED); /* overlaps on the right */
	CHECK_EQ(F.q.n, 3);
	direct(150);
	CHECK_EQ(drain(), 200);
	CHECK(stream_ok(350));
	CHECK(all_released());
}

TEST(test_ooo_overlap_new_covers_old)
{
	setup(ISN, 8);
	CHECK_EQ(ins(200, 50), TERN_OOO_QUEUED);
	CHECK_EQ(ins(150, 200), TERN_OOO_QUEUED);
	CHECK_EQ(F.q.n, 2);
	direct(150);
	CHECK_EQ(drain(), 200); /* [200, 250) not delivered twice */
	CHECK(stream_ok(350));
	CHECK_EQ(F.rel[0], 1);
	CHECK_EQ(F.rel[1], 1);
	CHECK(all_released());
}

TEST(test_ooo_overlap_dup)
{
	setup(ISN, 16);
	CHECK_EQ(ins(100, 300), TERN_OOO_QUEUED);
	CHECK_EQ(ins(150, 100), TERN_OOO_DUP);     /* old covers new */
	CHECK_EQ(ins(100, 300), TERN_OOO_DUP);     /* exact duplicate */
	CHECK_EQ(ins(399, 1), TERN_OOO_DUP);       /* last byte */
	CHECK_EQ(ins(399, 2), TERN_OOO_QUEUED);    /* one new byte */
	CHECK_EQ(F.q.n, 2);
	CHECK_EQ(F.pool.used, 2);
	/* Covered by two entries together, neither alone. */
	CHECK_EQ(ins(500, 100), TERN_OOO_QUEUED);
	CHECK_EQ(ins(600, 100), TERN_OOO_QUEUED);
	CHECK_EQ(ins(550, 100), TERN_OOO_DUP);
	CHECK_EQ(ins(500, 200), TERN_OOO_DUP);
	CHECK_EQ(ins(499, 10), TERN_OOO_QUEUED);   /* one byte before */
	CHECK_EQ(ins(690, 11), TERN_OOO_QUEUED);   /* one byte after */
	/* Across a gap of one byte: not covered. */
	CHECK_EQ(ins(800, 100), TERN_OOO_QUEUED);
	CHECK_EQ(ins(901, 100), TERN_OOO_QUEUED);
	CHECK_EQ(ins(850, 100), TERN_OOO_QUEUED);
	/* A long early entry covers past a short one sorted after it. */
	CHECK_EQ(ins(1200, 50), TERN_OOO_QUEUED);
	CHECK_EQ(ins(1100, 300), TERN_OOO_QUEUED);
	CHECK_EQ(ins(1300, 50), TERN_OOO_DUP);
	CHECK_EQ(ins(1240, 150), TERN_OOO_DUP);
	direct(100);
	drain();
	CHECK(stream_ok(401));
	direct(499);
	drain();
	CHECK(stream_ok(701));
	direct(800);
	drain();
	CHECK(stream_ok(1001));
	direct(1100);
	drain();
	CHECK(stream_ok(1400));
	CHECK_EQ(F.q.n, 0);
	CHECK(all_released());
}

TEST(test_ooo_trim_below_rcv_nxt)
{
	setup(ISN, 8);
	CHECK_EQ(ins(120, 60), TERN_OOO_QUEUED);  /* [120, 180) */
	CHECK_EQ(ins(100, 200), TERN_OOO_QUEUED); /* [100, 300) */
	CHECK_EQ(ins(400, 100), TERN_OOO_QUEUED); /* [400, 500) */
	/* A retransmission reaching past the queue's first bytes. */
	direct(250);
	CHECK_EQ(drain(), 50);
	CHECK(stream_ok(300));
	CHECK_EQ(F.rel[0], 1); /* wholly below: released, nothing delivered */
	CHECK_EQ(F.rel[1], 1);
	CHECK_EQ(F.rel[2], 0);
	/* Trimmed so the payload pointer starts at RCV.NXT. */
	direct(450);
	CHECK_EQ(drain(), 50);
	CHECK(stream_ok(500));
	/* Reaching exactly the end of an entry delivers nothing more. */
	CHECK_EQ(ins(600, 100), TERN_OOO_QUEUED);
	direct(700);
	CHECK_EQ(drain(), 0);
	CHECK(stream_ok(700));
	CHECK_EQ(F.q.n, 0);
	CHECK(all_released());
}

/* The connection is torn down (its queue purged) from inside deliver. */
TEST(test_ooo_drain_abort_in_deliver)
{
	setup(ISN, 8);
	CHECK_EQ(ins(100, 100), TERN_OOO_QUEUED);
	CHECK_EQ(ins(150, 100), TERN_OOO_QUEUED);
	CHECK_EQ(ins(250, 100), TERN_OOO_QUEUED);
	CHECK_EQ(ins(500, 100), TERN_OOO_QUEUED);
	direct(100);
	F.abort_in_deliver = 1;
	CHECK_EQ(drain(), 100);
	CHECK(stream_ok(200));
	CHECK_EQ(F.q.n, 0);
	CHECK_EQ(F.q.head, TERN_OOO_NIL);
	CHECK_EQ(F.pool.used, 0);
	CHECK_EQ(release_errors(), 0);
	CHECK(all_released());
}

TEST(test_ooo_queue_bound)
{
	setup(ISN, 16);
	CHECK_EQ(ins_q(&F.q, 3, 100, 10), TERN_OOO_QUEUED);
	CHECK_EQ(ins_q(&F.q, 3, 200, 10), TERN_OOO_QUEUED);
	CHECK_EQ(ins_q(&F.q, 3, 300, 10), TERN_OOO_QUEUED);
	CHECK_EQ(ins_q(&F.q, 3, 400, 10), TERN_OOO_FULL);
	CHECK_EQ(ins_q(&F.q, 3, 205, 10), TERN_OOO_FULL);
	CHECK_EQ(ins_q(&F.q, 3, 200, 10), TERN_OOO_DUP); /* a duplicate stays one */
	CHECK_EQ(ins_q(&F.q, 0, 500, 10), TERN_OOO_FULL);
	CHECK_EQ(F.q.n, 3);
	CHECK_EQ(F.pool.used, 3);
	direct(100);
	CHECK_EQ(drain(), 10);
	CHECK_EQ(ins_q(&F.q, 3, 400, 10), TERN_OOO_QUEUED);
	CHECK_EQ(F.q.n, 3);
	CHECK(all_released());
}

TEST(test_ooo_pool_bound)
{
	struct tern_ooo_q q2;

	setup(ISN, 4);
	tern_ooo_q__init(&q2);
	CHECK_EQ(ins(100, 10), TERN_OOO_QUEUED);
	CHECK_EQ(ins(200, 10), TERN_OOO_QUEUED);
	CHECK_EQ(ins(300, 10), TERN_OOO_QUEUED);
	CHECK_EQ(ins_q(&q2, 64, 100, 10), TERN_OOO_QUEUED);
	CHECK_EQ(F.pool.used, 4);
	CHECK_EQ(F.pool.free_head, TERN_OOO_NIL);
	CHECK_EQ(ins_q(&q2, 64, 200, 10), TERN_OOO_FULL);
	CHECK_EQ(ins(400, 10), TERN_OOO_FULL);
	CHECK_EQ(ins(100, 10), TERN_OOO_DUP);
	/* Tearing one queue down frees its entries for the other. */
	tern_ooo__purge(&F.pool, &F.q, on_release, &F);
	CHECK_EQ(F.q.n, 0);
	CHECK_EQ(F.pool.used, 1);
	CHECK_EQ(ins_q(&q2, 64, 200, 10), TERN_OOO_QUEUED);
	CHECK_EQ(ins_q(&q2, 64, 300, 10), TERN_OOO_QUEUED);
	CHECK_EQ(q2.n, 3);
	tern_ooo__purge(&F.pool, &q2, on_release, &F);
	CHECK_EQ(q2.n, 0);
	CHECK_EQ(q2.head, TERN_OOO_NIL);
	CHECK_EQ(F.nout, 0);
	CHECK(all_released());
}

/* Kept frames go back exactly once across drains and purge; others never. */
TEST(test_ooo_release_once)
{
	int r[12];

	/* Entries: 6 in the pool, 5 per queue unless told otherwise. */
	setup(ISN, 6);
	r[0] = ins_q(&F.q, 5, 100, 100);
	r[1] = ins_q(&F.q, 5, 100, 100);  /* DUP */
	r[2] = ins_q(&F.q, 5, 150, 100);
	r[3] = ins_q(&F.q, 5, 400, 100);
	r[4] = ins_q(&F.q, 5, 420, 10);   /* DUP */
	r[5] = ins_q(&F.q, 5, 600, 100);
	r[6] = ins_q(&F.q, 5, 800, 100);
	r[7] = ins_q(&F.q, 5, 1000, 100); /* FULL: queue bound */
	CHECK_EQ(r[1], TERN_OOO_DUP);
	CHECK_EQ(r[4], TERN_OOO_DUP);
	CHECK_EQ(r[7], TERN_OOO_FULL);
	direct(100);
	CHECK_EQ(drain(), 150);
	CHECK_EQ(F.rel[0] + F.rel[2], 2);
	CHECK_EQ(F.rel[3] + F.rel[5] + F.rel[6], 0);
	r[8] = ins_q(&F.q, 5, 1000, 100);
	r[9] = ins_q(&F.q, 5, 1200, 100);
	r[10] = ins_q(&F.q, 5, 1400, 100); /* FULL: queue bound */
	r[11] = ins_q(&F.q, 6, 1600, 100); /* the pool's last entry */
	CHECK_EQ(r[9], TERN_OOO_QUEUED);
	CHECK_EQ(r[10], TERN_OOO_FULL);
	CHECK_EQ(r[11], TERN_OOO_QUEUED);
	CHECK_EQ(ins_q(&F.q, 7, 1800, 100), TERN_OOO_FULL); /* pool bound */
	for (int i = 0; i < 12; i++)
		CHECK_EQ(F.kept[i], r[i] == TERN_OOO_QUEUED);
	direct(400);
	CHECK_EQ(drain(), 100);
	CHECK(stream_ok(500));
	CHECK(all_released());
	/* Purging an empty queue releases nothing more. */
	tern_ooo__purge(&F.pool, &F.q, on_release, &F);
	CHECK_EQ(release_errors(), 0);
}

TEST(test_ooo_sack_recency)
{
	struct tern_sack_blk b[4];

	setup(ISN, 8);
	ins(100, 100);
	ins(300, 100);
	ins(500, 100);
	REQUIRE_EQ(sack(b, 4), 3);
	CHECK_BLK(b[0], 500, 600);
	CHECK_BLK(b[1], 300, 400);
	CHECK_BLK(b[2], 100, 200);
	/* The oldest block grows: it becomes the first. */
	ins(150, 100);
	REQUIRE_EQ(sack(b, 4), 3);
	CHECK_BLK(b[0], 100, 250);
	CHECK_BLK(b[1], 500, 600);
	CHECK_BLK(b[2], 300, 400);
	/* A segment joining two blocks. */
	ins(250, 50);
	REQUIRE_EQ(sack(b, 4), 2);
	CHECK_BLK(b[0], 100, 400);
	CHECK_BLK(b[1], 500, 600);
	/* A duplicate does not make its block more recent. */
	CHECK_EQ(ins(100, 50), TERN_OOO_DUP);
	REQUIRE_EQ(sack(b, 4), 2);
	CHECK_BLK(b[0], 100, 400);
	/* A block's recency is its newest entry's, wherever that entry sits. */
	ins(700, 100);
	ins(550, 100);
	REQUIRE_EQ(sack(b, 4), 3);
	CHECK_BLK(b[0], 500, 650);
	CHECK_BLK(b[1], 700, 800);
	CHECK_BLK(b[2], 100, 400);
	/* Delivery removes the blocks below RCV.NXT. */
	direct(100);
	drain();
	REQUIRE_EQ(sack(b, 4), 2);
	CHECK_BLK(b[0], 500, 650);
	CHECK_BLK(b[1], 700, 800);
	CHECK(all_released());
}

TEST(test_ooo_sack_merge)
{
	struct tern_sack_blk b[4];

	setup(ISN, 8);
	ins(100, 100);
	ins(200, 100); /* touches */
	REQUIRE_EQ(sack(b, 4), 1);
	CHECK_BLK(b[0], 100, 300);
	ins(301, 100); /* one byte apart */
	REQUIRE_EQ(sack(b, 4), 2);
	CHECK_BLK(b[0], 301, 401);
	CHECK_BLK(b[1], 100, 300);
	/* A long entry spanning a short one that sorts after it. */
	ins(1000, 300);
	ins(1100, 20);
	ins(1300, 50);
	REQUIRE_EQ(sack(b, 4), 3);
	CHECK_BLK(b[0], 1000, 1350);
	CHECK_BLK(b[1], 301, 401);
	CHECK_BLK(b[2], 100, 300);
	CHECK(all_released());
}

TEST(test_ooo_sack_max)
{
	struct tern_sack_blk b[8];

	setup(ISN, 8);
	for (uint32_t i = 0; i < 6; i++)
		ins(100 + 200 * i, 100);
	for (int i = 0; i < 8; i++)
		b[i] = (struct tern_sack_blk){ 0xdead, 0xbeef };
	REQUIRE_EQ(sack(b, 3), 3);
	CHECK_BLK(b[0], 1100, 1200);
	CHECK_BLK(b[1], 900, 1000);
	CHECK_BLK(b[2], 700, 800);
	CHECK_EQ(b[3].start, 0xdead); /* nothing written past max */
	CHECK_EQ(b[3].end, 0xbeef);
	CHECK_EQ(sack(b, 0), 0);
	REQUIRE_EQ(sack(b, TERN_MAX_SACK), TERN_MAX_SACK);
	CHECK_BLK(b[3], 500, 600);
	REQUIRE_EQ(sack(b, 8), 6);
	CHECK_BLK(b[5], 100, 200);
	CHECK_EQ(b[6].start, 0xdead);
	CHECK(all_released());
}

TEST(test_ooo_wrap)
{
	struct tern_sack_blk b[4];

	setup(WRAP_ISN, 8);
	CHECK_EQ(ins(500, 100), TERN_OOO_QUEUED); /* after the wrap */
	CHECK_EQ(ins(200, 200), TERN_OOO_QUEUED); /* straddles it */
	CHECK_EQ(ins(150, 100), TERN_OOO_QUEUED); /* before it */
	REQUIRE(F.q.head != TERN_OOO_NIL);
	CHECK_EQ(F.mem[F.q.head].seq, WRAP_ISN + 150); /* 0xffffff96 first */
	CHECK_EQ(ins(250, 100), TERN_OOO_DUP);
	CHECK_EQ(ins(200, 200), TERN_OOO_DUP);
	CHECK_EQ(ins(150, 250), TERN_OOO_DUP);
	REQUIRE_EQ(sack(b, 4), 2);
	CHECK_EQ(b[0].start, 0xffffff96u);
	CHECK_EQ(b[0].end, 0x90u);
	CHECK_EQ(b[1].start, 0xf4u);
	CHECK_EQ(b[1].end, 0x158u);
	CHECK_EQ(drain(), 0);
	direct(150);
	CHECK_EQ(drain(), 250);
	CHECK_EQ(F.rcv_nxt, 0x90u);
	CHECK(stream_ok(400));
	CHECK_EQ(ins(450, 100), TERN_OOO_QUEUED);
	direct(460);
	CHECK_EQ(drain(), 140);
	CHECK(stream_ok(600));
	CHECK(all_released());
}

/* Randomized stream against a model of the queue. */

struct run {
	uint32_t s, e, newest;
};

/* Union of F.q's live frames as runs, most recently grown first. */
static int model_runs(struct run *r)
{
	uint32_t ids[POOL_MAX], n = F.nlive;
	int nr = 0;

	memcpy(ids, F.live, n * sizeof(ids[0]));
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && F.off[ids[j - 1]] > F.off[ids[j]]; j--) {
			uint32_t t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = F.off[ids[i]], e = s + F.len[ids[i]];

		if (nr && s <= r[nr - 1].e) {
			r[nr - 1].e = e > r[nr - 1].e ? e : r[nr - 1].e;
			r[nr - 1].newest = ids[i] > r[nr - 1].newest ? ids[i] : r[nr - 1].newest;
		} else {
			r[nr++] = (struct run){ s, e, ids[i] };
		}
	}
	for (int i = 1; i < nr; i++)
		for (int j = i; j > 0 && r[j - 1].newest < r[j].newest; j--) {
			struct run t = r[j];

			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	return nr;
}

static int expect_insert(uint32_t off, uint32_t len, uint16_t max_n, uint32_t others)
{
	struct run r[POOL_MAX];
	int nr = model_runs(r);

	for (int i = 0; i < nr; i++)
		if (r[i].s <= off && off + len <= r[i].e)
			return TERN_OOO_DUP;
	if (F.nlive >= max_n || F.nlive + others >= F.pool.cap)
		return TERN_OOO_FULL;
	return TERN_OOO_QUEUED;
}

/* SACK blocks (all, and the first three) match the model's runs. */
static bool sack_matches_model(void)
{
	struct tern_sack_blk b[POOL_MAX], b3[3];
	struct run r[POOL_MAX];
	int nr = model_runs(r);
	int n = sack(b, POOL_MAX), n3 = sack(b3, 3);

	if (n != nr || n3 != (nr < 3 ? nr : 3))
		return false;
	for (int i = 0; i < n; i++)
		if (b[i].start != F.isn + r[i].s || b[i].end != F.isn + r[i].e ||
		    (i < 3 && memcmp(&b3[i], &b[i], sizeof(b[i]))))
			return false;
	return true;
}

/* After a drain, nothing left in the queue starts at or before RCV.NXT. */
static bool drained(void)
{
	for (uint32_t i = 0; i < F.nlive; i++)
		if (F.off[F.live[i]] <= F.rcv_nxt - F.isn)
			return false;
	return true;
}

/* A random segment near RCV.NXT, or a resend of a recent one. */
static void pick(uint32_t *off, uint32_t *len)
{
	int64_t base = (int64_t)(F.rcv_nxt - F.isn);
	uint32_t k = rnd() % 16;

	if (k == 0 && F.nrecent) {
		uint32_t i = rnd() % (F.nrecent < 32 ? F.nrecent : 32);

		*off = F.roff[i];
		*len = F.rlen[i];
		return;
	}
	base += k == 1 ? -(int64_t)(rnd() % 64) : (int64_t)(rnd() % 24000) - 1500;
	if (base < 0)
		base = 0;
	if (base >= STREAM)
		base = STREAM - 1;
	*off = (uint32_t)base;
	*len = 1 + rnd() % 1460;
	if (*len > STREAM - *off)
		*len = STREAM - *off;
	F.roff[F.nrecent % 32] = *off;
	F.rlen[F.nrecent % 32] = *len;
	F.nrecent++;
}

/* The caller's receive path: deliver in-order data and drain, else queue. */
static void feed(uint32_t off, uint32_t len, uint16_t max_n, uint32_t others)
{
	uint32_t cur = F.rcv_nxt - F.isn, before = F.nout;
	int want;

	if (off + len <= cur)
		return; /* old duplicate: dropped by the caller */
	if (off <= cur) {
		uint32_t got;

		direct(off + len);
		before = F.nout;
		got = drain();
		REQUIRE_EQ(got, F.nout - before);
		return;
	}
	want = expect_insert(off, len, max_n, others);
	REQUIRE_EQ(ins_q(&F.q, max_n, off, len), want);
	REQUIRE_EQ(F.nout, before);
}

static void random_stream(uint64_t seed, uint32_t isn, uint32_t cap, uint16_t max_n,
			  uint32_t others)
{
	struct tern_ooo_q hog;
	uint32_t steps = 0;

	setup(isn, cap);
	rng = seed;
	tern_ooo_q__init(&hog);
	/* Another connection holding part of the pool. */
	for (uint32_t i = 0; i < others; i++)
		REQUIRE_EQ(ins_q(&hog, 64, 2 * i, 1), TERN_OOO_QUEUED);
	while (F.rcv_nxt != isn + STREAM) {
		uint32_t off, len;

		REQUIRE(F.nframes < MAX_FRAMES);
		pick(&off, &len);
		feed(off, len, max_n, others);
		REQUIRE(!t_failed_now);
		REQUIRE_EQ(F.q.n, F.nlive);
		REQUIRE_EQ(F.pool.used, F.nlive + others);
		REQUIRE(drained());
		REQUIRE(sack_matches_model());
		steps++;
	}
	CHECK(stream_ok(STREAM));
	CHECK_EQ(F.q.n, 0);
	tern_ooo__purge(&F.pool, &hog, on_release, &F);
	CHECK(all_released());
	CHECK(steps > 100);
}

TEST(test_ooo_random)
{
	static const struct {
		uint32_t isn, cap, others;
		uint16_t max_n;
	} cfg[] = {
		{ 0xffff8000u, 64, 0, 16 },  /* queue bound binds, across the wrap */
		{ 0x7fffc000u, 64, 40, 64 }, /* pool bound binds: 40 held elsewhere */
		{ 12345u, 64, 0, 64 },       /* plenty of room */
	};
	uint64_t seed = 0x2545f4914f6cdd1dULL;

	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 8 && !t_failed_now; k++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			random_stream(seed | 1, cfg[i].isn + (uint32_t)k * 7919, cfg[i].cap,
				      cfg[i].max_n, cfg[i].others);
		}
}
