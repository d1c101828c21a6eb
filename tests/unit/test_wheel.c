// SPDX-License-Identifier: BSD-2-Clause
/*
 * Timer wheel: deadlines are never early, are met at the first advance at
 * or after them, and survive cascades through every level and the
 * overflow list; cancel and re-arm from callbacks; big jumps of the clock;
 * next_deadline against a brute-force model.
 */
#include <stddef.h>
#include <stdlib.h>

#include "tests/unit/t.h"
#include "user/core/wheel.h"

#define TICK (1ULL << TERN_WHEEL_TICK_SHIFT)
#define MS 1000000ULL
#define SEC (1000 * MS)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
/* An arbitrary, not tick-aligned epoch. */
#define T0 (1234567 * SEC + 98765)

struct rec {
	struct tern_timer t;
	int id;
	int fired;
	uint64_t fired_at;
};

struct ctx {
	uint64_t now;        /* the now passed to advance */
	int bad;             /* a timer fired before its deadline */
	int order[64];
	int n;
	/* callback actions */
	struct tern_wheel *w;
	struct rec *pair[2]; /* when one of these fires, cancel the other */
	uint64_t period;     /* re-arm the fired timer this much later */
	uint64_t rearm_to;   /* re-arm to this absolute time if period == 0 */
	int rearm;
};

static struct rec *rec_of(struct tern_timer *t)
{
	return (struct rec *)((char *)t - offsetof(struct rec, t));
}

static void on_fire(struct tern_timer *t, void *arg)
{
	struct ctx *c = arg;
	struct rec *r = rec_of(t);

	if (t->expires > c->now || tern_timer__armed(t))
		c->bad++;
	r->fired++;
	r->fired_at = c->now;
	if (c->n < 64)
		c->order[c->n++] = r->id;
	if (c->pair[0] == r || c->pair[1] == r)
		tern_wheel__cancel(c->w, &c->pair[c->pair[0] == r]->t);
	if (c->rearm)
		tern_wheel__arm(c->w, t, c->period ? t->expires + c->period
						  : c->rearm_to);
}

static uint32_t adv(struct tern_wheel *w, struct ctx *c, uint64_t now)
{
	c->now = now;
	c->w = w;
	return tern_wheel__advance(w, now, on_fire, c);
}

static void rec_init(struct rec *r, int n)
{
	for (int i = 0; i < n; i++) {
		tern_timer__init(&r[i].t);
		r[i].id = i;
		r[i].fired = 0;
		r[i].fired_at = 0;
	}
}

TEST(test_wheel_empty)
{
	struct tern_wheel w;
	struct ctx c = { 0 };

	tern_wheel__init(&w, T0);
	CHECK_EQ(w.now_tick, T0 >> TERN_WHEEL_TICK_SHIFT);
	CHECK(tern_wheel__next_deadline(&w) == UINT64_MAX);
	CHECK_EQ(adv(&w, &c, T0 + HOUR), 0);
	CHECK_EQ(adv(&w, &c, UINT64_MAX), 0);
	CHECK_EQ(w.pending, 0);
	CHECK(tern_wheel__next_deadline(&w) == UINT64_MAX);
}

/* Deadlines inside the current tick, on a tick boundary, just past one. */
TEST(test_wheel_exact_deadline)
{
	static const uint64_t d[] = { 1, 500, TICK - (T0 % TICK),
				      TICK - (T0 % TICK) + 1, 3 * TICK + 7,
				      70 * TICK, 5 * SEC + 3 };
	struct tern_wheel w;
	struct ctx c = { 0 };
	struct rec r;

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		uint64_t e = T0 + d[i];

		tern_wheel__init(&w, T0);
		rec_init(&r, 1);
		tern_wheel__arm(&w, &r.t, e);
		CHECK(tern_timer__armed(&r.t));
		CHECK_EQ(w.pending, 1);
		CHECK(tern_wheel__next_deadline(&w) <= e);
		CHECK_EQ(adv(&w, &c, e - 1), 0);
		CHECK(tern_wheel__next_deadline(&w) == e);
		CHECK_EQ(adv(&w, &c, e), 1);
		CHECK_EQ(r.fired, 1);
		CHECK(!tern_timer__armed(&r.t));
		CHECK_EQ(w.pending, 0);
		CHECK_EQ(adv(&w, &c, e + HOUR), 0);
	}
	CHECK_EQ(c.bad, 0);
}

/* Two timers in one tick: the later one waits for its own deadline. */
TEST(test_wheel_same_tick_partial)
{
	struct tern_wheel w;
	struct ctx c = { 0 };
	struct rec r[2];
	uint64_t base = (T0 / TICK + 10) * TICK;

	tern_wheel__init(&w, T0);
	rec_init(r, 2);
	tern_wheel__arm(&w, &r[1].t, base + 900);
	tern_wheel__arm(&w, &r[0].t, base + 100);
	CHECK(tern_wheel__next_deadline(&w) == base);
	CHECK_EQ(adv(&w, &c, base + 99), 0);
	CHECK(tern_wheel__next_deadline(&w) == base + 100);
	CHECK_EQ(adv(&w, &c, base + 100), 1);
	CHECK_EQ(r[0].fired, 1);
	CHECK(tern_wheel__next_deadline(&w) == base + 900);
	CHECK_EQ(adv(&w, &c, base + 899), 0);
	CHECK_EQ(adv(&w, &c, base + 900), 1);
	CHECK_EQ(r[1].fired, 1);
	CHECK_EQ(c.bad, 0);
}

/* One advance over many deadlines fires them in deadline order. */
TEST(test_wheel_ordering)
{
	static const int perm[16] = { 7, 3, 12, 0, 9, 15, 1, 4,
				      11, 6, 14, 2, 10, 5, 13, 8 };
	struct tern_wheel w;
	struct ctx c = { 0 };
	struct rec r[16];

	tern_wheel__init(&w, T0);
	rec_init(r, 16);
	/* id i expires after i^4 + 1 ticks: spans levels 0..2 */
	for (int k = 0; k < 16; k++) {
		int i = perm[k];

		tern_wheel__arm(&w, &r[i].t,
				T0 + ((uint64_t)i * i * i * i + 1) * TICK);
	}
	CHECK_EQ(adv(&w, &c, T0 + 60000 * TICK), 16);
	REQUIRE_EQ(c.n, 16);
	for (int i = 0; i < 16; i++)
		CHECK_EQ(c.order[i], i);
	CHECK_EQ(c.bad, 0);
}

/* Jump towards e in halving steps (crossing cascades), then step by tick. */
static void approach(struct tern_wheel *w, struct ctx *c, struct rec *r,
		     uint64_t e)
{
	uint64_t now = c->now;

	while (e - now > 100 * TICK) {
		now += (e - now) / 2;
		CHECK_EQ(adv(w, c, now), 0);
		CHECK(tern_wheel__next_deadline(w) <= e);
	}
	while (now + TICK < e) {
		now += TICK;
		CHECK_EQ(adv(w, c, now), 0);
	}
	CHECK_EQ(adv(w, c, e - 1), 0);
	CHECK_EQ(r->fired, 0);
	CHECK_EQ(adv(w, c, e), 1);
	CHECK_EQ(r->fired, 1);
}

TEST(test_wheel_levels)
{
	static const uint64_t d[] = {
		3 * MS, 63 * MS, 65 * MS, 1 * SEC, 4 * SEC + 5, 30 * SEC,
		5 * MIN, 17 * MIN + 3, 1 * HOUR, 4 * HOUR + 123, 1 * DAY,
		5 * DAY + 1, 12 * DAY,
	};
	struct tern_wheel w;
	struct ctx c = { 0 };
	struct rec r;

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		tern_wheel__init(&w, T0);
		rec_init(&r, 1);
		c.now = T0;
		tern_wheel__arm(&w, &r.t, T0 + d[i]);
		approach(&w, &c, &r, T0 + d[i]);
		CHECK_EQ(w.pending, 0);
	}
	CHECK_EQ(c.bad, 0);
}

/* Advancing every tick (with a random phase) through 10 minutes: each
 * timer fires at the first advance at or after its deadline. */
TEST(test_wheel_every_tick)
{
	enum { N = 200 };
	static struct rec r[N];
	struct tern_wheel w;
	struct ctx c = { 0 };
	uint64_t x = 42, now = T0;

	tern_wheel__init(&w, T0);
	rec_init(r, N);
	for (int i = 0; i < N; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		tern_wheel__arm(&w, &r[i].t, T0 + (x >> 11) % (10 * MIN));
	}
	while (w.pending) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		now += TICK / 2 + (x >> 33) % (TICK / 2);
		adv(&w, &c, now);
	}
	for (int i = 0; i < N; i++) {
		CHECK_EQ(r[i].fired, 1);
		CHECK(r[i].fired_at - r[i].t.expires < TICK);
	}
	CHECK_EQ(c.bad, 0);
}

TEST(test_wheel_overflow)
{
	static const uint64_t d[] = { 13 * DAY, 20 * DAY, 100 * DAY,
				      3 * 365 * DAY + 17 };
	struct tern_wheel w;
	struct ctx c = { 0 };
	struct rec r[4];
	int n = 4;

	/* one at a time, approached step by step */
	for (int i = 0; i < n; i++) {
		tern_wheel__init(&w, T0);
		rec_init(&r[i], 1);
		c.now = T0;
		tern_wheel__arm(&w, &r[i].t, T0 + d[i]);
		approach(&w, &c, &r[i], T0 + d[i]);
	}
	/* all together, fired by a single far jump */
	tern_wheel__init(&w, T0);
	rec_init(r, n);
	for (int i = 0; i < n; i++)
		tern_wheel__arm(&w, &r[i].t, T0 + d[i]);
	CHECK(tern_wheel__next_deadline(&w) <= T0 + d[0]);
	CHECK_EQ(adv(&w, &c, T0 + d[2] - 1), 2);
	CHECK(tern_wheel__next_deadline(&w) <= T0 + d[2]);
	CHECK_EQ(adv(&w, &c, T0 + 10 * 365 * DAY), 2);
	for (int i = 0; i < n; i++)
		CHECK_EQ(r[i].fired, 1);
	/* the end of time */
	tern_wheel__init(&w, T0);
	rec_init(r, 1);
	tern_wheel__arm(&w, &r[0].t, UINT64_MAX);
	CHECK(tern_wheel__next_deadline(&w) <= UINT64_MAX);
	CHECK_EQ(adv(&w, &c, UINT64_MAX - 1), 0);
	CHECK_EQ(adv(&w, &c, UINT64_MAX), 1);
	CHECK_EQ(c.bad, 0);
}

TEST(test_wheel_cancel)
{
	struct tern_wheel w;
	struct ctx c = { 0 };
	struct rec r[3];

	tern_wheel__init(&w, T0);
	rec_init(r, 3);
	tern_wheel__cancel(&w, &r[0].t); /* never armed: no-op */
	CHECK_EQ(w.pending, 0);
	tern_wheel__arm(&w, &r[0].t, T0 + 5 * MS);
	tern_wheel__arm(&w, &r[1].t, T0 + 5 * MS);
	tern_wheel__arm(&w, &r[2].t, T0 + 2 * HOUR);
	tern_wheel__cancel(&w, &r[0].t);
	tern_wheel__cancel(&w, &r[0].t);
	tern_wheel__cancel(&w, &r[2].t);
	CHECK(!tern_timer__armed(&r[0].t));
	CHECK_EQ(w.pending, 1);
	for (int l = 0; l < TERN_WHEEL_LEVELS; l++)
		CHECK_EQ(__builtin_popcountll(w.occupied[l]), l == 0);
	CHECK_EQ(adv(&w, &c, T0 + DAY), 1);
	CHECK_EQ(r[0].fired + r[1].fired * 2 + r[2].fired * 4, 2);
	CHECK(tern_wheel__next_deadline(&w) == UINT64_MAX);
	for (int l = 0; l < TERN_WHEEL_LEVELS; l++)
		CHECK_EQ(w.occupied[l], 0);
}

/* Re-arming an armed timer moves it; it fires once, at the new time. */
TEST(test_wheel_rearm_moves)
{
	struct tern_wheel w;
	struct ctx c = { 0 };
	struct rec r;

	tern_wheel__init(&w, T0);
	rec_init(&r, 1);
	tern_wheel__arm(&w, &r.t, T0 + HOUR);
	tern_wheel__arm(&w, &r.t, T0 + 10 * MS);
	CHECK_EQ(w.pending, 1);
	CHECK_EQ(adv(&w, &c, T0 + 10 * MS - 1), 0);
	tern_wheel__arm(&w, &r.t, T0 + 2 * SEC);
	CHECK_EQ(adv(&w, &c, T0 + SEC), 0);
	CHECK_EQ(adv(&w, &c, T0 + 2 * SEC), 1);
	CHECK_EQ(adv(&w, &c, T0 + 2 * HOUR), 0);
	CHECK_EQ(r.fired, 1);
	CHECK_EQ(c.bad, 0);
}

/* A callback cancels another timer due in the same advance. */
TEST(test_wheel_cancel_from_fn)
{
	struct tern_wheel w;
	struct ctx c = { 0 };
	struct rec r[2];

	/* different ticks: 0 fires first and cancels 1 */
	tern_wheel__init(&w, T0);
	rec_init(r, 2);
	tern_wheel__arm(&w, &r[0].t, T0 + 2 * MS);
	tern_wheel__arm(&w, &r[1].t, T0 + 30 * MS);
	c.pair[0] = &r[0];
	c.pair[1] = &r[1];
	CHECK_EQ(adv(&w, &c, T0 + SEC), 1);
	CHECK_EQ(r[0].fired, 1);
	CHECK_EQ(r[1].fired, 0);
	CHECK_EQ(w.pending, 0);

	/* same deadline: whichever fires first cancels the other */
	tern_wheel__init(&w, T0);
	rec_init(r, 2);
	tern_wheel__arm(&w, &r[0].t, T0 + 2 * MS);
	tern_wheel__arm(&w, &r[1].t, T0 + 2 * MS);
	CHECK_EQ(adv(&w, &c, T0 + 2 * MS), 1);
	CHECK_EQ(r[0].fired + r[1].fired, 1);
	CHECK_EQ(w.pending, 0);
	CHECK_EQ(adv(&w, &c, T0 + SEC), 0);
	CHECK_EQ(c.bad, 0);
}

/* A periodic timer re-armed from its callback. */
TEST(test_wheel_rearm_periodic)
{
	struct tern_wheel w;
	struct ctx c = { 0 };
	struct rec r;
	uint64_t now;

	tern_wheel__init(&w, T0);
	rec_init(&r, 1);
	c.rearm = 1;
	c.period = 10 * MS;
	tern_wheel__arm(&w, &r.t, T0 + 10 * MS);
	for (now = T0; now < T0 + SEC; now += MS / 3)
		adv(&w, &c, now);
	CHECK_EQ(r.fired, 99); /* T0 + 10ms .. T0 + 990ms */
	CHECK(tern_timer__armed(&r.t));
	CHECK(r.t.expires == T0 + SEC);
	/* period shorter than the step: one fire per advance, no catch-up */
	c.period = MS;
	r.fired = 0;
	CHECK_EQ(adv(&w, &c, T0 + 2 * SEC), 1);
	CHECK_EQ(adv(&w, &c, T0 + 2 * SEC), 1);
	CHECK_EQ(r.fired, 2);
	CHECK_EQ(c.bad, 0);
}

/* Re-arming into the past (or the current tick) from fn fires on the next
 * advance, once per advance. */
TEST(test_wheel_rearm_past_no_loop)
{
	struct tern_wheel w;
	struct ctx c = { 0 };
	struct rec r;

	tern_wheel__init(&w, T0);
	rec_init(&r, 1);
	c.rearm = 1;
	c.rearm_to = 0;
	tern_wheel__arm(&w, &r.t, T0 + 3 * MS);
	CHECK_EQ(adv(&w, &c, T0 + HOUR), 1);
	CHECK(tern_timer__armed(&r.t));
	CHECK(tern_wheel__next_deadline(&w) == 0);
	CHECK_EQ(adv(&w, &c, T0 + HOUR), 1);
	CHECK_EQ(adv(&w, &c, T0 + HOUR + 1), 1);
	c.rearm_to = T0 + HOUR + 1; /* == now: current tick */
	CHECK_EQ(adv(&w, &c, T0 + HOUR + 1), 1);
	CHECK(tern_wheel__next_deadline(&w) == T0 + HOUR + 1);
	CHECK_EQ(adv(&w, &c, T0 + HOUR + 1), 1);
	c.rearm = 0;
	CHECK_EQ(adv(&w, &c, T0 + HOUR + 1), 1);
	CHECK_EQ(adv(&w, &c, T0 + 2 * HOUR), 0);
	CHECK_EQ(r.fired, 6);
	CHECK_EQ(w.pending, 0);
	CHECK_EQ(c.bad, 0);
}

static uint64_t rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Many timers, then jumps of hours, years and to the end of time. */
TEST(test_wheel_big_jump)
{
	enum { N = 20000 };
	static struct rec r[N];
	struct tern_wheel w;
	struct ctx c = { 0 };
	uint64_t s = 7, total = 0;

	tern_wheel__init(&w, T0);
	rec_init(r, N);
	/* an empty wheel jumps anywhere at once */
	CHECK_EQ(adv(&w, &c, T0 + (1ULL << 62)), 0);
	tern_wheel__init(&w, T0);
	for (int i = 0; i < N; i++)
		tern_wheel__arm(&w, &r[i].t, T0 + rng(&s) % (1ULL << (i % 56)));
	total += adv(&w, &c, T0 + 3 * HOUR);
	for (int i = 0; i < N; i++)
		CHECK((r[i].fired == 1) == (r[i].t.expires <= T0 + 3 * HOUR));
	total += adv(&w, &c, T0 + 5 * 365 * DAY);
	total += adv(&w, &c, T0 + (1ULL << 60));
	CHECK_EQ(w.pending, 0);
	CHECK_EQ(total, N);
	for (int i = 0; i < N; i++)
		CHECK_EQ(r[i].fired, 1);
	CHECK_EQ(c.bad, 0);
}

/* Sleeping until next_deadline and advancing reaches a timer at exactly
 * its deadline within a few wake-ups (one per cascade). */
TEST(test_wheel_next_deadline_chain)
{
	static const uint64_t d[] = { 1, 5 * MS, 3 * SEC, 10 * MIN, 7 * HOUR,
				      3 * DAY, 40 * DAY };
	struct tern_wheel w;
	struct ctx c = { 0 };
	struct rec r;

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		int wakes = 0;

		tern_wheel__init(&w, T0);
		rec_init(&r, 1);
		tern_wheel__arm(&w, &r.t, T0 + d[i] + 12345);
		while (!r.fired && wakes < 1000) {
			uint64_t nd = tern_wheel__next_deadline(&w);

			CHECK(nd <= T0 + d[i] + 12345);
			adv(&w, &c, nd);
			wakes++;
		}
		CHECK_EQ(r.fired, 1);
		CHECK(r.fired_at == T0 + d[i] + 12345);
		/* one per level plus the exact one; overflow adds one per
		 * 2^24 ticks (~4.9 h) */
		CHECK(wakes <= 2 * TERN_WHEEL_LEVELS + 2 +
			       (int)(d[i] >> (TERN_WHEEL_TICK_SHIFT + 24)) *
				       (d[i] >= 13 * DAY));
	}
	CHECK_EQ(c.bad, 0);
}

/*
 * Randomized comparison with a brute-force model that stores every
 * deadline. After every advance(now): each fired timer was armed and due,
 * none fired twice, and every timer still armed is not due unless a
 * callback armed it in this advance (those fire on the next one).
 * next_deadline is never later than the earliest deadline, and is in the
 * future after an advance unless something is due.
 */
enum { MN = 300 };

struct model {
	struct tern_wheel w;
	struct rec r[MN];
	uint64_t e[MN];
	int armed[MN];
	int armed_in_cb[MN];
	uint64_t now;
	uint64_t seed;
	uint64_t count;
	int bad;
	int in_advance;
};

static uint64_t rand_delta(uint64_t *s)
{
	uint64_t x = rng(s);

	switch (x % 10) {
	case 0:
		return 0;
	case 1:
		return (x >> 8) % TICK;
	case 2:
	case 3:
		return (x >> 8) % (200 * MS);
	case 4:
	case 5:
		return (x >> 8) % (120 * SEC);
	case 6:
		return (x >> 8) % (3 * HOUR);
	case 7:
		return (x >> 8) % (12 * DAY);
	case 8:
		return (x >> 8) % (400 * DAY);
	default:
		return (x >> 8) % (1ULL << (x >> 58));
	}
}

static void model_arm(struct model *m, int i, uint64_t e)
{
	if (!m->armed[i])
		m->count++;
	m->armed[i] = 1;
	m->armed_in_cb[i] = m->in_advance;
	m->e[i] = e;
	tern_wheel__arm(&m->w, &m->r[i].t, e);
}

static void model_cancel(struct model *m, int i)
{
	if (m->armed[i])
		m->count--;
	m->armed[i] = 0;
	tern_wheel__cancel(&m->w, &m->r[i].t);
}

static void model_random_arm(struct model *m, int i)
{
	uint64_t x = rng(&m->seed), delta = rand_delta(&m->seed), e;

	if (x % 8 == 0) /* into the past */
		e = m->now > delta ? m->now - delta : 0;
	else
		e = m->now + delta < m->now ? UINT64_MAX : m->now + delta;
	model_arm(m, i, e);
}

static void model_fire(struct tern_timer *t, void *arg)
{
	struct model *m = arg;
	int i = rec_of(t)->id;
	uint64_t x;

	if (!m->armed[i] || m->e[i] != t->expires || t->expires > m->now ||
	    tern_timer__armed(t))
		m->bad++;
	m->armed[i] = 0;
	m->count--;
	x = rng(&m->seed);
	switch (x % 8) {
	case 0: /* re-arm self */
		model_random_arm(m, i);
		break;
	case 1: /* cancel another, possibly due in this advance */
		model_cancel(m, (int)((x >> 8) % MN));
		break;
	case 2: /* arm or move another */
		model_random_arm(m, (int)((x >> 8) % MN));
		break;
	default:
		break;
	}
}

static void model_check(struct model *m, int after_advance)
{
	uint64_t min = UINT64_MAX, nd;
	int due = 0;

	for (int i = 0; i < MN; i++) {
		if (tern_timer__armed(&m->r[i].t) != (m->armed[i] != 0))
			m->bad++;
		if (!m->armed[i])
			continue;
		if (m->e[i] < min)
			min = m->e[i];
		if (m->e[i] <= m->now) {
			due = 1;
			if (after_advance && !m->armed_in_cb[i])
				m->bad++;
		}
	}
	if (m->w.pending != m->count)
		m->bad++;
	nd = tern_wheel__next_deadline(&m->w);
	if (nd > min)
		m->bad++;
	if (after_advance && !due && nd <= m->now)
		m->bad++;
}

static uint64_t rand_step(uint64_t *s)
{
	uint64_t x = rng(s);

	switch (x % 32) {
	case 0:
	case 1:
		return 0;
	case 2 ... 13:
		return (x >> 8) % TICK;
	case 14 ... 21:
		return (x >> 8) % (70 * TICK);
	case 22 ... 26:
		return (x >> 8) % (5 * SEC);
	case 27:
		return (x >> 8) % (2 * HOUR);
	case 28:
		return (x >> 8) % (20 * DAY);
	case 29:
	case 30: /* land exactly on the next deadline */
		return UINT64_MAX;
	default:
		return (x >> 8) % (1ULL << ((x >> 58) % 52));
	}
}

static void model_advance(struct model *m)
{
	uint64_t step = rand_step(&m->seed), now;

	if (step == UINT64_MAX) {
		now = tern_wheel__next_deadline(&m->w);
		if (now == UINT64_MAX || now < m->now)
			now = m->now;
	} else {
		now = m->now + step < m->now ? UINT64_MAX : m->now + step;
	}
	if (now > UINT64_MAX - 400 * DAY) /* stay clear of the end of time */
		now = m->now;
	m->now = now;
	for (int i = 0; i < MN; i++)
		m->armed_in_cb[i] = 0;
	m->in_advance = 1;
	tern_wheel__advance(&m->w, now, model_fire, m);
	m->in_advance = 0;
	model_check(m, 1);
}

/* One run; arms make up arm_pct percent of the operations, cancels a
 * tenth, advances the rest. */
static void model_run(uint64_t seed, int ops, unsigned int arm_pct)
{
	static struct model m;

	memset(&m, 0, sizeof(m));
	m.seed = seed;
	m.now = T0 + rng(&m.seed) % (1ULL << 50);
	tern_wheel__init(&m.w, m.now);
	rec_init(m.r, MN);
	for (int k = 0; k < ops && !m.bad; k++) {
		uint64_t x = rng(&m.seed);
		unsigned int pct = x % 100;
		int i = (int)((x >> 8) % MN);

		if (pct < arm_pct) {
			model_random_arm(&m, i);
			model_check(&m, 0);
		} else if (pct < arm_pct + 10) {
			model_cancel(&m, i);
			model_check(&m, 0);
		} else {
			model_advance(&m);
		}
	}
	CHECK_EQ(m.bad, 0);
	/* drain */
	model_advance(&m);
	m.now = UINT64_MAX - 400 * DAY;
	tern_wheel__advance(&m.w, m.now, model_fire, &m);
	tern_wheel__advance(&m.w, m.now, model_fire, &m);
	CHECK_EQ(m.bad, 0);
}

TEST(test_wheel_random_model)
{
	for (uint64_t seed = 1; seed <= 4; seed++)
		model_run(seed, 40000, 40);
	for (uint64_t seed = 5; seed <= 8; seed++)
		model_run(seed, 40000, 80);
}
