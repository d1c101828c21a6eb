// SPDX-License-Identifier: BSD-2-Clause
/* The windowed running minimum and maximum of minmax.h (Linux's
 * minmax_running_min() and minmax_running_max()). */
#include "minmax.h"

void tern_minmax_reset(struct tern_minmax *m, uint32_t t, uint32_t v)
{
	for (int i = 0; i < 3; i++) {
		m->s[i].t = t;
		m->s[i].v = v;
	}
}

/* Make the second and third choices the first and second, the sample
 * the third (the first aged out of the window). */
static void shift_in(struct tern_minmax *m, uint32_t t, uint32_t v)
{
	m->s[0] = m->s[1];
	m->s[1] = m->s[2];
	m->s[2].t = t;
	m->s[2].v = v;
}

/* minmax_subwin_update(): age the choices as time passes. A sample that
 * is not a new best still becomes the second choice once a quarter of
 * the window passed with none, the third once half did, so that samples
 * from later in the window stand ready. */
static uint32_t age(struct tern_minmax *m, uint32_t win, uint32_t t, uint32_t v)
{
	uint32_t dt = t - m->s[0].t;

	if (dt > win) {
		shift_in(m, t, v);
		if (t - m->s[0].t > win) /* the second choice had aged too */
			shift_in(m, t, v);
	} else if (m->s[1].t == m->s[0].t && dt > win / 4) {
		m->s[1].t = m->s[2].t = t;
		m->s[1].v = m->s[2].v = v;
	} else if (m->s[2].t == m->s[1].t && dt > win / 2) {
		m->s[2].t = t;
		m->s[2].v = v;
	}
	return m->s[0].v;
}

uint32_t tern_minmax_running_min(struct tern_minmax *m, uint32_t win, uint32_t t, uint32_t v)
{
	/* a new best, or every choice aged out: start again from it */
	if (v <= m->s[0].v || t - m->s[2].t > win) {
		tern_minmax_reset(m, t, v);
		return v;
	}
	if (v <= m->s[1].v) {
		m->s[1].t = m->s[2].t = t;
		m->s[1].v = m->s[2].v = v;
	} else if (v <= m->s[2].v) {
		m->s[2].t = t;
		m->s[2].v = v;
	}
	return age(m, win, t, v);
}

uint32_t tern_minmax_running_max(struct tern_minmax *m, uint32_t win, uint32_t t, uint32_t v)
{
	if (v >= m->s[0].v || t - m->s[2].t > win) {
		tern_minmax_reset(m, t, v);
		return v;
	}
	if (v >= m->s[1].v) {
		m->s[1].t = m->s[2].t = t;
		m->s[1].v = m->s[2].v = v;
	} else if (v >= m->s[2].v) {
		m->s[2].t = t;
		m->s[2].v = v;
	}
	return age(m, win, t, v);
}
