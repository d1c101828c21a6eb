/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hierarchical timer wheel. Timers are intrusive (embedded in the records
 * that own them), arm and cancel are O(1), and the I/O loop asks for one
 * deadline. Times are nanoseconds on the caller's clock (any epoch; wrap-safe
 * arithmetic is not needed for 64-bit ns). A timer fires on the first
 * tern_wheel__advance() whose `now` is at or after its deadline, never
 * before; a timer armed from inside a callback fires on a later advance.
 * tern_wheel__advance() must not be called from a callback.
 */
#ifndef TERN_CORE_WHEEL_H
#define TERN_CORE_WHEEL_H

#include <stdbool.h>
#include <stdint.h>

#define TERN_WHEEL_TICK_SHIFT 20 /* level-0 tick: 2^20 ns = 1.048576 ms */
#define TERN_WHEEL_LEVELS 5
#define TERN_WHEEL_SLOT_BITS 6
#define TERN_WHEEL_SLOTS (1u << TERN_WHEEL_SLOT_BITS)

struct tern_timer {
	struct tern_timer *next;
	struct tern_timer **pprev; /* NULL when not armed */
	uint64_t expires;          /* ns */
};

struct tern_wheel {
	uint64_t now_tick;  /* ticks processed so far */
	uint64_t pending;   /* number of armed timers */
	uint64_t occupied[TERN_WHEEL_LEVELS]; /* bit per non-empty slot */
	struct tern_timer *slot[TERN_WHEEL_LEVELS][TERN_WHEEL_SLOTS];
	struct tern_timer *overflow; /* beyond the top level's range */
};

typedef void (*tern_timer_fn)(struct tern_timer *t, void *arg);

void tern_wheel__init(struct tern_wheel *w, uint64_t now);
/* Arm (or re-arm) t to fire at `expires`; an expiry in the past fires on
 * the next advance. */
void tern_wheel__arm(struct tern_wheel *w, struct tern_timer *t, uint64_t expires);
void tern_wheel__cancel(struct tern_wheel *w, struct tern_timer *t);
static inline bool tern_timer__armed(const struct tern_timer *t) { return t->pprev != 0; }
static inline void tern_timer__init(struct tern_timer *t) { t->next = 0; t->pprev = 0; t->expires = 0; }
/* Run fn for every timer whose deadline is <= now (disarmed before fn runs;
 * fn may re-arm it or arm others). Returns the number fired. */
uint32_t tern_wheel__advance(struct tern_wheel *w, uint64_t now, tern_timer_fn fn, void *arg);
/* A time at or before the earliest armed deadline (UINT64_MAX if none);
 * waking at it and advancing makes progress. */
uint64_t tern_wheel__next_deadline(const struct tern_wheel *w);

#endif
