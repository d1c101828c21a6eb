// SPDX-License-Identifier: BSD-2-Clause
/*
 * The workers' side of a capture (capture.h): the hook path.c calls for
 * every frame while a ring is set, and handing rings over. Apart from
 * capture.c because libpcap's and the kernel's BPF headers do not mix.
 */
#include <sched.h>

#include "worker_priv.h"

void tern_worker__set_capture(struct tern_worker *w, struct tern_cap_ring *r)
{
	atomic_store(&w->cap, r);
	if (r)
		return;
	/* The worker marks cap_busy before it loads cap again (path.c): once
	 * it is clear after our store, no copy into the old ring is under way
	 * or can start. */
	while (atomic_load(&w->cap_busy))
		sched_yield();
}

void tern_capture__frame(struct tern_worker *w, const uint8_t *p, uint32_t len)
{
	struct tern_cap_ring *r;

	atomic_store(&w->cap_busy, 1);
	r = atomic_load(&w->cap);
	if (r)
		tern_cap_ring__put(r, p, len, w->now);
	atomic_store_explicit(&w->cap_busy, 0, memory_order_release);
}

