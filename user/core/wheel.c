// SPDX-License-Identifier: BSD-2-Clause
/*
 * Hierarchical timing wheel with cascading (Varghese & Lauck, "Hashed and
 * hierarchical timing wheels", scheme 7; Linux's pre-4.8 kernel/timer.c).
 *
 * Time is cut into level-0 ticks of 2^TICK_SHIFT ns. A timer's tick is
 * d = expires >> TICK_SHIFT. now_tick is the current tick: every earlier
 * tick has been fully processed, the cascades that lead into now_tick have
 * run, and the level-0 slot of now_tick may still hold timers whose
 * deadline lies later in this tick (or that were armed into the past).
 *
 * Placement of a timer relative to now_tick (delta = d - now_tick, with
 * past deadlines clamped to delta 0):
 *   delta < 64^(L+1) (smallest such L < LEVELS): level L, slot (d >> 6L) & 63
 *   otherwise:                                    the overflow list
 * A level-L slot thus holds timers of one block B = d >> 6L with
 * (now_tick >> 6L) < B <= (now_tick >> 6L) + 64, and the slot is cascaded
 * (its timers re-placed, which moves them at least one level down) when
 * now_tick reaches B << 6L. A level-0 slot holds exactly the timers of one
 * tick. Overflow timers are re-placed at a 2^(6*(LEVELS-1))-tick boundary
 * at or before their tick (see overflow_event()).
 *
 * advance(now) works in two phases. Phase one moves now_tick to
 * now >> TICK_SHIFT, jumping straight from one non-empty slot to the next
 * with the occupied bitmaps, and moves every due timer onto a local list
 * in tick order; it calls no callback. Phase two pops that list and runs
 * fn. A callback therefore always sees a consistent wheel: whatever it
 * arms is placed relative to the final now_tick and fires on a later
 * advance, and whatever it cancels (even a timer still on the local list)
 * is unlinked through pprev and does not fire.
 *
 * Costs: arm and cancel O(1); advance O(timers fired + non-empty slots
 * crossed + timers in the current tick); next_deadline O(timers in the
 * current tick). A timer fires on the first advance whose now is at or
 * after its deadline (on the one after that if fn armed it). Within one
 * tick, timers fire in no particular order. advance must not be called
 * from fn.
 */
#include <stddef.h>
#include <stdint.h>

#include "wheel.h"

#define TICK_SHIFT TERN_WHEEL_TICK_SHIFT
#define SLOT_BITS TERN_WHEEL_SLOT_BITS
#define SLOT_MASK ((uint64_t)TERN_WHEEL_SLOTS - 1)
#define LEVELS TERN_WHEEL_LEVELS
/* Ticks covered by levels 0..LEVELS-1: beyond this a timer overflows. */
#define RANGE_BITS (SLOT_BITS * LEVELS)
/* Overflow timers are re-placed on boundaries of the top level's slots. */
#define OVF_BITS (SLOT_BITS * (LEVELS - 1))
#define MAX_TICK (UINT64_MAX >> TICK_SHIFT)

/* List of due timers collected by advance; lives on advance's stack. */
struct due_list {
	struct tern_timer *head;
	struct tern_timer **tail;
};

static uint64_t tick_to_ns(uint64_t tick)
{
	return tick > MAX_TICK ? UINT64_MAX : tick << TICK_SHIFT;
}

/* Distance from bit `from` to the next set bit of m at or after it,
 * wrapping around; m must not be 0. */
static uint64_t next_bit(uint64_t m, unsigned int from)
{
	from &= 63;
	if (from)
		m = (m >> from) | (m << (64 - from));
	return (uint64_t)__builtin_ctzll(m);
}

/* Level for a timer delta ticks away (>= LEVELS: overflow). */
static unsigned int level_of(uint64_t delta)
{
	if (!delta)
		return 0;
	return (unsigned int)(63 - __builtin_clzll(delta)) / SLOT_BITS;
}

static void list_push(struct tern_timer **head, struct tern_timer *t)
{
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

/* The slot that pp points at, or -1 if pp is not a slot head. */
static long slot_of(const struct tern_wheel *w, struct tern_timer **pp)
{
	uintptr_t base = (uintptr_t)&w->slot[0][0];
	uintptr_t p = (uintptr_t)pp;

	if (p < base || p - base >= sizeof(w->slot))
		return -1;
	return (long)((p - base) / sizeof(w->slot[0][0]));
}

/* Unlink t from whatever list holds it; keeps the occupied bits exact. */
static void unlink_timer(struct tern_wheel *w, struct tern_timer *t)
{
	struct tern_timer **pp = t->pprev;
	long idx;

	*pp = t->next;
	if (t->next) {
		t->next->pprev = pp;
	} else if (!*pp) {
		idx = slot_of(w, pp);
		if (idx >= 0)
			w->occupied[idx >> SLOT_BITS] &=
				~(1ULL << (idx & SLOT_MASK));
	}
	t->next = NULL;
	t->pprev = NULL;
}

/* Put an unlinked timer into its slot relative to now_tick. */
static void place(struct tern_wheel *w, struct tern_timer *t)
{
	uint64_t d = t->expires >> TICK_SHIFT;
	uint64_t delta;
	unsigned int level, s;

	if (d < w->now_tick)
		d = w->now_tick;
	delta = d - w->now_tick;
	level = level_of(delta);
	if (level >= LEVELS) {
		list_push(&w->overflow, t);
		return;
	}
	s = (unsigned int)((d >> (level * SLOT_BITS)) & SLOT_MASK);
	list_push(&w->slot[level][s], t);
	w->occupied[level] |= 1ULL << s;
}

/* Detach and return the whole list of a slot. */
static struct tern_timer *take_slot(struct tern_wheel *w, unsigned int level,
				    unsigned int s)
{
	struct tern_timer *head = w->slot[level][s];

	w->slot[level][s] = NULL;
	w->occupied[level] &= ~(1ULL << s);
	return head; /* pprev of the head is stale: callers relink it */
}

/* Re-place every timer of a higher-level slot (moves them down). */
static void cascade(struct tern_wheel *w, unsigned int level)
{
	unsigned int s = (w->now_tick >> (level * SLOT_BITS)) & SLOT_MASK;
	struct tern_timer *t = take_slot(w, level, s), *next;

	for (; t; t = next) {
		next = t->next;
		place(w, t);
	}
}

/* Run the cascades that lead into now_tick: level L when now_tick is a
 * multiple of 64^L. */
static void cascade_into(struct tern_wheel *w)
{
	unsigned int level;

	for (level = 1; level < LEVELS; level++) {
		if (w->now_tick & ((1ULL << (level * SLOT_BITS)) - 1))
			break;
		cascade(w, level);
	}
}

/* First tick of the overflow boundary at or before tick d. */
static uint64_t overflow_event(uint64_t d)
{
	return d >> OVF_BITS << OVF_BITS;
}

/* Earliest tick of the overflow list (it is scanned: expected to be short
 * and is only looked at when a boundary is crossed). */
static uint64_t overflow_min_tick(const struct tern_wheel *w)
{
	uint64_t min = UINT64_MAX;
	const struct tern_timer *t;

	for (t = w->overflow; t; t = t->next)
		if ((t->expires >> TICK_SHIFT) < min)
			min = t->expires >> TICK_SHIFT;
	return min;
}

/* Re-place the overflow timers now in range; returns the next overflow
 * event tick (UINT64_MAX if the list is empty). */
static uint64_t overflow_rescan(struct tern_wheel *w)
{
	struct tern_timer *t, *next;
	uint64_t d, min = UINT64_MAX;

	for (t = w->overflow; t; t = next) {
		next = t->next;
		d = t->expires >> TICK_SHIFT;
		if (d < w->now_tick + (1ULL << RANGE_BITS)) {
			unlink_timer(w, t);
			place(w, t);
		} else if (d < min) {
			min = d;
		}
	}
	return min == UINT64_MAX ? UINT64_MAX : overflow_event(min);
}

/*
 * Smallest tick in (cur, limit] at which a non-empty level-0 slot comes
 * due or a non-empty higher slot cascades; limit if there is none. The
 * current slot (cur & 63) is not considered.
 */
static uint64_t next_event(const struct tern_wheel *w, uint64_t cur,
			   uint64_t limit)
{
	unsigned int i = cur & SLOT_MASK, level, shift;
	uint64_t m, base, tick;

	m = w->occupied[0] & ~(1ULL << i);
	if (m) {
		tick = cur + next_bit(m, i);
		if (tick < limit)
			limit = tick;
	}
	for (level = 1; level < LEVELS; level++) {
		m = w->occupied[level];
		if (!m)
			continue;
		shift = level * SLOT_BITS;
		base = (cur >> shift) + 1;
		tick = (base + next_bit(m, base & SLOT_MASK)) << shift;
		if (tick < limit)
			limit = tick;
	}
	return limit;
}

static void due_append(struct due_list *dl, struct tern_timer *t)
{
	t->next = NULL;
	t->pprev = dl->tail;
	*dl->tail = t;
	dl->tail = &t->next;
}

/* Move the whole current level-0 slot to the due list (all are due). */
static void collect_all(struct tern_wheel *w, struct due_list *dl)
{
	struct tern_timer *t = take_slot(w, 0, w->now_tick & SLOT_MASK);

	if (!t)
		return;
	*dl->tail = t;
	t->pprev = dl->tail;
	while (t->next)
		t = t->next;
	dl->tail = &t->next;
}

/* Move the timers of the current level-0 slot with expires <= now. */
static void collect_due(struct tern_wheel *w, struct due_list *dl, uint64_t now)
{
	struct tern_timer *t = w->slot[0][w->now_tick & SLOT_MASK], *next;

	for (; t; t = next) {
		next = t->next;
		if (t->expires <= now) {
			unlink_timer(w, t);
			due_append(dl, t);
		}
	}
}

/* Phase one of advance: move now_tick to target, collecting due timers. */
static void move_to(struct tern_wheel *w, struct due_list *dl, uint64_t target)
{
	uint64_t ovf_at = UINT64_MAX, limit;

	collect_all(w, dl);
	if (w->overflow &&
	    overflow_event(w->now_tick) + (1ULL << OVF_BITS) <= target)
		ovf_at = overflow_event(overflow_min_tick(w));
	if (ovf_at <= w->now_tick) /* cannot happen; never move backwards */
		ovf_at = w->now_tick + 1;
	for (;;) {
		limit = ovf_at < target ? ovf_at : target;
		w->now_tick = next_event(w, w->now_tick, limit);
		cascade_into(w);
		if (w->now_tick == ovf_at)
			ovf_at = overflow_rescan(w);
		if (w->now_tick == target)
			return;
		collect_all(w, dl);
	}
}

/* Phase two of advance: fire the collected timers, in list order. */
static uint32_t fire(struct tern_wheel *w, struct due_list *dl,
		     tern_timer_fn fn, void *arg)
{
	struct tern_timer *t;
	uint32_t fired = 0;

	while ((t = dl->head)) {
		unlink_timer(w, t);
		w->pending--;
		fired++;
		fn(t, arg);
	}
	return fired;
}

void tern_wheel__init(struct tern_wheel *w, uint64_t now)
{
	unsigned int level, s;

	w->now_tick = now >> TICK_SHIFT;
	w->pending = 0;
	w->overflow = NULL;
	for (level = 0; level < LEVELS; level++) {
		w->occupied[level] = 0;
		for (s = 0; s < TERN_WHEEL_SLOTS; s++)
			w->slot[level][s] = NULL;
	}
}

void tern_wheel__arm(struct tern_wheel *w, struct tern_timer *t,
		     uint64_t expires)
{
	if (t->pprev)
		unlink_timer(w, t);
	else
		w->pending++;
	t->expires = expires;
	place(w, t);
}

void tern_wheel__cancel(struct tern_wheel *w, struct tern_timer *t)
{
	if (!t->pprev)
		return;
	unlink_timer(w, t);
	w->pending--;
}

uint32_t tern_wheel__advance(struct tern_wheel *w, uint64_t now,
			     tern_timer_fn fn, void *arg)
{
	struct due_list dl = { NULL, &dl.head };
	uint64_t target = now >> TICK_SHIFT;

	if (!w->pending) {
		if (target > w->now_tick)
			w->now_tick = target;
		return 0;
	}
	if (target > w->now_tick)
		move_to(w, &dl, target);
	collect_due(w, &dl, now);
	return fire(w, &dl, fn, arg);
}

/* Exact earliest deadline of the current level-0 slot. */
static uint64_t current_min(const struct tern_timer *t)
{
	uint64_t min = UINT64_MAX;

	for (; t; t = t->next)
		if (t->expires < min)
			min = t->expires;
	return min;
}

/*
 * Returns, in ns:
 * - UINT64_MAX when nothing is armed;
 * - the exact earliest deadline when the current tick's slot is non-empty
 *   (its timers, including ones armed into the past, precede all others;
 *   its start would be no use: it has already passed, and the caller
 *   would spin until the deadline);
 * - otherwise the start of the earliest tick at which advancing does
 *   something: a later level-0 slot's tick (at most one tick before its
 *   deadlines; after advancing to it the next call is exact), the start
 *   of the block of a non-empty higher-level slot (advancing there
 *   cascades it one level or more down) or, while the overflow list
 *   (timers >= 2^30 ticks, ~13 days, away) is not empty, the next
 *   2^24-tick (~4.9 h) boundary, a cheap bound that costs one wake-up
 *   per 4.9 h instead of a scan of the list.
 * Each is at or before every deadline it stands for. Called from fn, it
 * does not see the timers still waiting to fire in that advance.
 */
uint64_t tern_wheel__next_deadline(const struct tern_wheel *w)
{
	const struct tern_timer *cur = w->slot[0][w->now_tick & SLOT_MASK];
	uint64_t limit = UINT64_MAX;

	if (!w->pending)
		return UINT64_MAX;
	if (cur)
		return current_min(cur);
	if (w->overflow)
		limit = overflow_event(w->now_tick) + (1ULL << OVF_BITS);
	return tick_to_ns(next_event(w, w->now_tick, limit));
}
