// SPDX-License-Identifier: BSD-2-Clause
/*
 * The request mailbox (mailbox.h). The server owns the request area and
 * its reply buffer, so a request the caller gave up waiting for can never
 * write into the caller's memory. States and who moves them:
 *
 *   IDLE      -> CLAIMED   a poster, by compare-and-swap: one at a time
 *   CLAIMED   -> POSTED    that poster, once the request is written
 *   POSTED    -> DONE      the server, result and reply written
 *   DONE      -> IDLE      the poster, after copying them out
 *   POSTED    -> ABANDONED the poster, by compare-and-swap, when it stops
 *                          waiting (if the swap fails the server was done:
 *                          the poster takes the result after all)
 *   ABANDONED -> IDLE      the server, without running the request, or
 *                          after running it if it was already under way
 *
 * Posters never touch the request or the buffer unless they hold the
 * claim, and only the server leaves ABANDONED, so a late reply can never
 * reach the next poster. The server side is a load, and a compare-and-swap
 * when it served something: no lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailbox.h"

enum mb_state { MB_IDLE = 0, MB_CLAIMED, MB_POSTED, MB_DONE, MB_ABANDONED };

#define POLL_NS 100000 /* a poster checks the state every 100 us */

int tern_mailbox__init(struct tern_mailbox *mb, size_t cap)
{
	atomic_init(&mb->state, MB_IDLE);
	mb->buf = malloc(cap);
	mb->cap = cap;
	return mb->buf ? 0 : -ENOMEM;
}

void tern_mailbox__fini(struct tern_mailbox *mb)
{
	free(mb->buf);
	mb->buf = NULL;
}

void tern_mailbox__serve(struct tern_mailbox *mb, tern_mailbox_fn *fn, void *arg)
{
	int s = atomic_load_explicit(&mb->state, memory_order_acquire);

	if (s == MB_ABANDONED) {
		atomic_store_explicit(&mb->state, MB_IDLE, memory_order_release);
		return;
	}
	if (s != MB_POSTED)
		return;
	mb->req.result = fn(arg, &mb->req, mb->buf, mb->cap);
	if (!atomic_compare_exchange_strong_explicit(&mb->state, &s, MB_DONE, memory_order_acq_rel,
						     memory_order_acquire))
		atomic_store_explicit(&mb->state, MB_IDLE, memory_order_release); /* abandoned */
}

static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pause_poll(void)
{
	const struct timespec ts = { 0, POLL_NS };

	nanosleep(&ts, NULL);
}

/* IDLE -> CLAIMED before end_ns: 0, -EBUSY or -ESRCH. */
static int claim(struct tern_mailbox *mb, const struct tern_mailbox_peer *peer, uint64_t end_ns)
{
	for (;;) {
		int s = MB_IDLE;

		if (atomic_compare_exchange_weak_explicit(&mb->state, &s, MB_CLAIMED,
							  memory_order_acquire, memory_order_relaxed))
			return 0;
		if (peer->gone(peer->arg))
			return -ESRCH;
		if (clock_ns() >= end_ns)
			return -EBUSY;
		pause_poll();
	}
}

/* POSTED -> DONE before end_ns: 0; else give the claim up (-ETIMEDOUT,
 * -ESRCH), unless the server finished meanwhile (0). */
static int wait_done(struct tern_mailbox *mb, const struct tern_mailbox_peer *peer,
		     uint64_t end_ns)
{
	int err = 0;

	while (atomic_load_explicit(&mb->state, memory_order_acquire) != MB_DONE) {
		if (peer->gone(peer->arg))
			err = -ESRCH;
		else if (clock_ns() >= end_ns)
			err = -ETIMEDOUT;
		if (err) {
			int s = MB_POSTED;

			if (atomic_compare_exchange_strong_explicit(&mb->state, &s, MB_ABANDONED,
								    memory_order_acq_rel,
								    memory_order_acquire))
				return err;
			return 0; /* s is DONE */
		}
		pause_poll();
	}
	return 0;
}

int tern_mailbox__post(struct tern_mailbox *mb, const struct tern_mailbox_peer *peer,
		       struct tern_worker_req *req, char *buf, size_t cap, int timeout_ms)
{
	uint64_t end_ns = clock_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;
	int err = claim(mb, peer, end_ns);

	if (err)
		return err;
	mb->req = *req;
	atomic_store_explicit(&mb->state, MB_POSTED, memory_order_release);
	err = peer->wake(peer->arg);
	if (err && wait_done(mb, peer, 0)) /* give it up now, unless served */
		return err;
	if (!err && (err = wait_done(mb, peer, end_ns)))
		return err;
	*req = mb->req;
	if (req->result > 0 && buf) {
		size_t n = (size_t)req->result < cap ? (size_t)req->result : cap;

		memcpy(buf, mb->buf, n);
		req->result = (int)n;
	}
	atomic_store_explicit(&mb->state, MB_IDLE, memory_order_release);
	return 0;
}

int tern_noteq__init(struct tern_noteq *q, unsigned slots)
{
	if (slots < 2 || slots > 65536 || (slots & (slots - 1)))
		return -EINVAL;
	q->slot = calloc(slots, sizeof(*q->slot));
	if (!q->slot)
		return -ENOMEM;
	for (unsigned i = 0; i < slots; i++)
		atomic_init(&q->slot[i].seq, i);
	atomic_init(&q->tail, 0);
	atomic_init(&q->awake, false);
	q->head = 0;
	q->mask = slots - 1;
	return 0;
}

void tern_noteq__fini(struct tern_noteq *q)
{
	free(q->slot);
	q->slot = NULL;
}

/*
 * A slot whose seq equals the position a poster holds is free for that
 * position; the poster claims the position by compare-and-swap on tail,
 * writes, and sets seq to position + 1 (full, for the server). A seq
 * below the position means the server has not emptied the slot from the
 * last round: the queue is full.
 */
static struct tern_note_slot *claim_slot(struct tern_noteq *q, unsigned *pos)
{
	unsigned p = atomic_load_explicit(&q->tail, memory_order_relaxed);

	for (;;) {
		struct tern_note_slot *sl = &q->slot[p & q->mask];
		int dif = (int)(atomic_load_explicit(&sl->seq, memory_order_acquire) - p);

		if (dif < 0)
			return NULL;
		if (dif == 0 && atomic_compare_exchange_weak_explicit(&q->tail, &p, p + 1,
								      memory_order_relaxed,
								      memory_order_relaxed)) {
			*pos = p;
			return sl;
		}
		if (dif > 0) /* another poster took p */
			p = atomic_load_explicit(&q->tail, memory_order_relaxed);
	}
}

int tern_noteq__post(struct tern_noteq *q, const struct tern_mailbox_peer *peer,
		     const void *note, size_t len)
{
	struct tern_note_slot *sl;
	unsigned pos;

	if (len > TERN_NOTE_MAX)
		return -EINVAL;
	sl = claim_slot(q, &pos);
	if (!sl)
		return -ENOBUFS;
	memcpy(sl->note, note, len);
	atomic_store_explicit(&sl->seq, pos + 1, memory_order_release);
	/* The exchange orders the note before the server's rearm (an
	 * exchange too), so a server that rearms after it sees the note. */
	if (atomic_exchange_explicit(&q->awake, true, memory_order_acq_rel))
		return 0;
	return peer->wake(peer->arg);
}

bool tern_noteq__take(struct tern_noteq *q, void *note, size_t len)
{
	struct tern_note_slot *sl = &q->slot[q->head & q->mask];

	if (atomic_load_explicit(&sl->seq, memory_order_acquire) != q->head + 1)
		return false;
	memcpy(note, sl->note, len < TERN_NOTE_MAX ? len : TERN_NOTE_MAX);
	atomic_store_explicit(&sl->seq, q->head + q->mask + 1, memory_order_release);
	q->head++;
	return true;
}

/* A load while nothing was posted (every pass), the exchange only after
 * a post: a post that the load missed wakes the server once more. */
void tern_noteq__rearm(struct tern_noteq *q)
{
	if (atomic_load_explicit(&q->awake, memory_order_relaxed))
		atomic_exchange_explicit(&q->awake, false, memory_order_acq_rel);
}
