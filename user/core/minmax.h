/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A windowed running minimum (Kathleen Nichols' algorithm, as Linux's
 * lib/win_minmax.c): the least value seen in the last `win` time units,
 * kept with three samples, the best, the best of what came after it, and
 * the best of what came after that, so that when the best ages out of
 * the window the next one is at hand. O(1) per sample.
 *
 * Invariant: s[0].v <= s[1].v <= s[2].v (a running maximum: >=) and
 * s[0].t <= s[1].t <= s[2].t (times compared wrap-safe).
 */
#ifndef TERN_CORE_MINMAX_H
#define TERN_CORE_MINMAX_H

#include <stdint.h>

struct tern_minmax {
	struct {
		uint32_t t; /* when it was seen (the caller's unit, wraps) */
		uint32_t v;
	} s[3];
};

/* Forget every sample: v is the minimum from t on. */
void tern_minmax_reset(struct tern_minmax *m, uint32_t t, uint32_t v);
/* Take sample v at time t; returns the minimum over (t - win, t]. */
uint32_t tern_minmax_running_min(struct tern_minmax *m, uint32_t win, uint32_t t, uint32_t v);
/* The same for a running maximum (minmax_running_max(), BBR's bw). */
uint32_t tern_minmax_running_max(struct tern_minmax *m, uint32_t win, uint32_t t, uint32_t v);
static inline uint32_t tern_minmax_get(const struct tern_minmax *m) { return m->s[0].v; }

#endif
