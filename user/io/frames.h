/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UMEM frame pool with exact accounting. Every frame is at every moment in
 * exactly one state; each move checks the frame's recorded state, so a
 * frame can never be on the fill ring and the TX ring at once, and a
 * double release is refused and counted instead of corrupting the pool.
 *
 *   FREE -> FILL (fill ring) -> RX (taken off the RX ring, being processed)
 *   RX -> FREE | KEPT (core holds it) | TX (reply built in place)
 *   KEPT -> FREE (core's release callback)
 *   FREE -> TX (reply in a fresh frame) -> COMP (off the completion ring)
 *   COMP -> FREE
 *   FREE -> APP (an application's buffer: the proxy receives backend data
 *               into it, tern_app_frames) -> FREE (the application puts it)
 *   APP -> APP_TX (a segment built in place around its data, on the TX
 *                  ring) -> APP (off the completion ring: the data stays
 *                  the application's until the peer acknowledges it)
 *   APP_TX -> TX (the application puts it while it is on the TX ring: the
 *                 completion frees it)
 *   RX -> APP_RX (the application keeps a received frame from its data
 *                 callback: the proxy sends the payload to its backend
 *                 from it) -> FREE (the application puts it)
 *
 * Frames are named by their base address in the UMEM (frame_size aligned).
 * One pool per worker; nothing here is thread-safe.
 */
#ifndef TERN_IO_FRAMES_H
#define TERN_IO_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tern_fstate {
	TERN_FS_FREE = 0,
	TERN_FS_FILL,  /* given to the kernel (fill ring, or RX ring not yet read) */
	TERN_FS_RX,    /* read off the RX ring, being processed */
	TERN_FS_KEPT,  /* held by the core (TERN_RX_KEPT) until released */
	TERN_FS_TX,    /* on the TX ring (reserved or submitted), not completed */
	TERN_FS_COMP,  /* read off the completion ring, being recycled */
	TERN_FS_APP,   /* held by the application (tern_app_frames) */
	TERN_FS_APP_TX,/* held by the application and on the TX ring */
	TERN_FS_APP_RX,/* a received frame the application keeps */
	TERN_FS__COUNT
};

struct tern_frame_counts {
	uint32_t total;
	uint32_t n[TERN_FS__COUNT];
	uint64_t bad; /* moves refused: frame not in the expected state (bugs) */
};

struct tern_frames {
	uint64_t *free;   /* stack of free frame base addresses */
	uint8_t *state;   /* per frame, enum tern_fstate */
	uint32_t shift;   /* log2(frame size) */
	struct tern_frame_counts c;
};

/* All frames start FREE. frame_size must be a power of two. 0 or -errno. */
int tern_frames__init(struct tern_frames *f, uint32_t nframes, uint32_t frame_size);
void tern_frames__fini(struct tern_frames *f);

static inline uint64_t tern_frames__base(const struct tern_frames *f, uint64_t addr)
{
	return addr >> f->shift << f->shift;
}

static inline bool tern_frames__in(const struct tern_frames *f, uint64_t base,
				   enum tern_fstate s)
{
	uint64_t i = base >> f->shift;

	return i < f->c.total && f->state[i] == s;
}

/* Move the frame holding addr from one state to another; false (and bad++)
 * if it is not in `from`. */
static inline bool tern_frames__move(struct tern_frames *f, uint64_t addr,
				     enum tern_fstate from, enum tern_fstate to)
{
	uint64_t i = addr >> f->shift;

	if (__builtin_expect(i >= f->c.total || f->state[i] != from, 0)) {
		f->c.bad++;
		return false;
	}
	f->state[i] = (uint8_t)to;
	f->c.n[from]--;
	f->c.n[to]++;
	return true;
}

/* Take a free frame into state `to`; false when none is free. */
static inline bool tern_frames__get(struct tern_frames *f, enum tern_fstate to, uint64_t *base)
{
	uint64_t b;

	if (!f->c.n[TERN_FS_FREE])
		return false;
	b = f->free[f->c.n[TERN_FS_FREE] - 1];
	f->state[b >> f->shift] = (uint8_t)to;
	f->c.n[TERN_FS_FREE]--;
	f->c.n[to]++;
	*base = b;
	return true;
}

/* Give the frame holding addr back to the free list from state `from`. */
static inline bool tern_frames__put(struct tern_frames *f, uint64_t addr, enum tern_fstate from)
{
	uint64_t b = tern_frames__base(f, addr);

	if (!tern_frames__move(f, b, from, TERN_FS_FREE))
		return false;
	f->free[f->c.n[TERN_FS_FREE] - 1] = b;
	return true;
}

/* 0 when every frame is in exactly one state (the counts sum to the total)
 * and no bad move was seen; -EUCLEAN otherwise. */
int tern_frames__check(const struct tern_frame_counts *c);

/* Recount the per-frame states and compare with the counters (O(frames));
 * 0 or -EUCLEAN. */
int tern_frames__verify(const struct tern_frames *f);

const char *tern_frames__state_name(int s);

/* "total 4096 free 2040 fill 2048 rx 0 kept 8 tx 0 comp 0 bad 0: ok" */
int tern_frames__format(const struct tern_frame_counts *c, char *buf, size_t len);

#endif
