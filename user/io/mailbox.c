// SPDX-License-Identifier: BSD-2-Clause
/*
 * The request mailbox (mailbox.h). The server owns the request area and
 * its reply buffer, so a request the caller gave up waiting for can never
 * write into the caller's memory. States:
 * IDLE -> POSTED (caller) -> DONE (server) -> IDLE (caller, after copying).
 * A caller that times out leaves it POSTED or DONE; the next caller waits
 * for DONE and resets it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailbox.h"

enum mb_state { MB_IDLE = 0, MB_POSTED, MB_DONE };

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
	if (atomic_load_explicit(&mb->state, memory_order_acquire) != MB_POSTED)
		return;
	mb->req.result = fn(arg, &mb->req, mb->buf, mb->cap);
	atomic_store_explicit(&mb->state, MB_DONE, memory_order_release);
}

static int wait_state(struct tern_mailbox *mb, const struct tern_mailbox_peer *peer, int want,
		      int timeout_ms)
{
	const struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < timeout_ms; i++) {
		if (atomic_load_explicit(&mb->state, memory_order_acquire) == want)
			return 0;
		if (peer->gone(peer->arg))
			return -ESRCH;
		nanosleep(&ms, NULL);
	}
	return -ETIMEDOUT;
}

int tern_mailbox__post(struct tern_mailbox *mb, const struct tern_mailbox_peer *peer,
		       struct tern_worker_req *req, char *buf, size_t cap, int timeout_ms)
{
	int err;

	if (atomic_load(&mb->state) != MB_IDLE) {
		err = wait_state(mb, peer, MB_DONE, timeout_ms); /* a caller gave up earlier */
		if (err)
			return err == -ETIMEDOUT ? -EBUSY : err;
		atomic_store(&mb->state, MB_IDLE);
	}
	mb->req = *req;
	atomic_store_explicit(&mb->state, MB_POSTED, memory_order_release);
	err = peer->wake(peer->arg);
	if (err)
		return err;
	err = wait_state(mb, peer, MB_DONE, timeout_ms);
	if (err)
		return err;
	*req = mb->req;
	if (req->result > 0 && buf) {
		size_t n = (size_t)req->result < cap ? (size_t)req->result : cap;

		memcpy(buf, mb->buf, n);
		req->result = (int)n;
	}
	atomic_store(&mb->state, MB_IDLE);
	return 0;
}
