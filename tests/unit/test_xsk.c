// SPDX-License-Identifier: BSD-2-Clause
/*
 * The UMEM's shares (tern_xsk__geom, --frames) and the frame pool at its
 * bound (user/io/xsk.c): the fill ring never gets more than fill_max nor
 * the last `reserve` free frames, a pool with nothing free gives nothing,
 * and frames coming back on the completion ring let the fill ring fill
 * again. The rings are plain memory here with this test as the kernel, so
 * every step is exact; tests/net/test_exhaust.sh does the same against
 * the real kernel.
 */
#include <errno.h>
#include <stdlib.h>

#include "t.h"
#include "user/io/xsk.h"

#define RING 64u

/* A ring's shared part: producer, consumer, flags and the entries. */
struct fake_ring {
	uint32_t prod, cons, flags;
	uint64_t addr[RING];
};

static void fake_prod(struct xsk_ring_prod *r, struct fake_ring *m)
{
	*r = (struct xsk_ring_prod){ .cached_cons = RING, .mask = RING - 1, .size = RING,
				     .producer = &m->prod, .consumer = &m->cons,
				     .ring = m->addr, .flags = &m->flags };
}

static void fake_cons(struct xsk_ring_cons *r, struct fake_ring *m)
{
	*r = (struct xsk_ring_cons){ .mask = RING - 1, .size = RING, .producer = &m->prod,
				     .consumer = &m->cons, .ring = m->addr,
				     .flags = &m->flags };
}

/* The kernel takes n frames off the fill ring; returns their addresses. */
static uint32_t kernel_take_fill(struct fake_ring *m, uint64_t *out, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n && m->cons != m->prod; i++)
		out[i] = m->addr[m->cons++ & (RING - 1)];
	return i;
}

/* The kernel completes n TX frames. */
static void kernel_complete(struct fake_ring *m, const uint64_t *addr, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		m->addr[m->prod++ & (RING - 1)] = addr[i];
}

TEST(test_xsk_geom_shares)
{
	struct tern_xsk_geom g;

	REQUIRE_EQ(tern_xsk__geom(TERN_XSK_FRAMES, &g), 0);
	CHECK_EQ(g.ring, 2048);
	CHECK_EQ(g.fill_max, 2048);
	CHECK_EQ(g.reserve, 256);
	CHECK_EQ(g.kept_max, 1024);
	CHECK_EQ(g.app_max, 512);
	REQUIRE_EQ(tern_xsk__geom(TERN_XSK_FRAMES_MIN, &g), 0);
	CHECK_EQ(g.ring, 64);
	CHECK_EQ(g.fill_max, 64);
	CHECK_EQ(g.reserve, 8);
	CHECK_EQ(g.kept_max, 32);
	CHECK_EQ(g.app_max, 16);
	REQUIRE_EQ(tern_xsk__geom(TERN_XSK_FRAMES_MAX, &g), 0);
	CHECK_EQ(g.ring, TERN_XSK_RING_MAX);
	CHECK_EQ(g.fill_max, TERN_XSK_FRAMES_MAX / 2);
	CHECK_EQ(g.reserve, TERN_XSK_RESERVE_MAX);
	/* what they leave for replies: a quarter, less the TX ring */
	CHECK(g.fill_max + g.kept_max <= g.frames - g.frames / 4);
	CHECK_EQ(tern_xsk__geom(0, &g), -EINVAL);
	CHECK_EQ(tern_xsk__geom(TERN_XSK_FRAMES_MIN / 2, &g), -EINVAL);
	CHECK_EQ(tern_xsk__geom(TERN_XSK_FRAMES_MAX * 2, &g), -EINVAL);
	CHECK_EQ(tern_xsk__geom(3000, &g), -EINVAL);
}

/* A 128-frame pool (fill_max 64 = the ring, reserve 8) and its rings. */
struct rig {
	struct tern_xsk x;
	struct tern_frames f;
	struct fake_ring fill, comp;
};

static int rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	if (tern_xsk__geom(TERN_XSK_FRAMES_MIN, &r->x.g) ||
	    tern_frames__init(&r->f, TERN_XSK_FRAMES_MIN, TERN_XSK_FRAME_SIZE))
		return -1;
	fake_prod(&r->x.fill, &r->fill);
	fake_cons(&r->x.comp, &r->comp);
	r->x.fd = -1;
	return 0;
}

TEST(test_xsk_refill_bounds)
{
	uint64_t got[RING];
	struct rig r;
	uint32_t n;

	REQUIRE_EQ(rig_init(&r), 0);
	tern_xsk__refill(&r.x, &r.f, r.x.g.reserve);
	CHECK_EQ(r.f.c.n[TERN_FS_FILL], 64); /* fill_max, not all that is free */
	CHECK_EQ(r.fill.prod, 64);
	tern_xsk__refill(&r.x, &r.f, r.x.g.reserve); /* at fill_max: nothing more */
	CHECK_EQ(r.fill.prod, 64);
	/* the kernel receives 40 frames; the core keeps 32 (its bound) and
	 * replies take the other 8 plus free frames down to the reserve */
	n = kernel_take_fill(&r.fill, got, 40);
	REQUIRE_EQ(n, 40);
	for (uint32_t i = 0; i < n; i++) {
		CHECK(tern_frames__move(&r.f, got[i], TERN_FS_FILL, TERN_FS_RX));
		CHECK(tern_frames__move(&r.f, got[i], TERN_FS_RX,
					i < 32 ? TERN_FS_KEPT : TERN_FS_TX));
	}
	for (uint64_t b; r.f.c.n[TERN_FS_FREE] > r.x.g.reserve;)
		CHECK(tern_frames__get(&r.f, TERN_FS_TX, &b));
	tern_xsk__refill(&r.x, &r.f, r.x.g.reserve); /* only the reserve is free */
	CHECK_EQ(r.f.c.n[TERN_FS_FILL], 24);
	CHECK_EQ(r.f.c.n[TERN_FS_FREE], r.x.g.reserve);
	CHECK_EQ(tern_frames__verify(&r.f), 0);
	tern_frames__fini(&r.f);
}

TEST(test_xsk_exhausted_then_recovers)
{
	uint64_t got[RING], tx[RING], b;
	uint32_t ntx = 0;
	struct rig r;

	REQUIRE_EQ(rig_init(&r), 0);
	tern_xsk__refill(&r.x, &r.f, r.x.g.reserve);
	/* every free frame goes out as a reply and is not completed */
	while (tern_frames__get(&r.f, TERN_FS_TX, &b))
		tx[ntx++ % RING] = b;
	CHECK_EQ(ntx, 64);
	CHECK(!tern_frames__get(&r.f, TERN_FS_TX, &b)); /* exhausted: the path counts a drop */
	/* the kernel fills its RX ring: the fill ring runs dry and refill
	 * has nothing to give (the kernel drops and counts from here) */
	REQUIRE_EQ(kernel_take_fill(&r.fill, got, RING), 64);
	for (uint32_t i = 0; i < 64; i++) {
		CHECK(tern_frames__move(&r.f, got[i], TERN_FS_FILL, TERN_FS_RX));
		CHECK(tern_frames__put(&r.f, got[i], TERN_FS_RX));
	}
	/* the RX frames were freed; the kernel still has none until refill */
	CHECK_EQ(r.fill.prod - r.fill.cons, 0);
	tern_xsk__refill(&r.x, &r.f, r.x.g.reserve);
	CHECK_EQ(r.f.c.n[TERN_FS_FILL], 64 - r.x.g.reserve); /* the reserve stays */
	/* completions bring the TX frames back; the fill ring tops up */
	kernel_complete(&r.comp, tx, 64);
	tern_xsk__drain_comp(&r.x, &r.f);
	CHECK_EQ(r.comp.cons, 64);
	CHECK_EQ(r.f.c.n[TERN_FS_TX], 0);
	tern_xsk__refill(&r.x, &r.f, r.x.g.reserve);
	CHECK_EQ(r.f.c.n[TERN_FS_FILL], 64);
	CHECK_EQ(r.f.c.n[TERN_FS_FREE], 64);
	CHECK_EQ(r.f.c.bad, 0);
	CHECK_EQ(tern_frames__verify(&r.f), 0);
	tern_frames__fini(&r.f);
}
