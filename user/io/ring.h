/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Applications' operations on their worker's io_uring (e.g. the proxy's
 * backend sockets). An application embeds a struct tern_ring_op in its
 * own state, prepares an SQE from tern_ring__sqe() and gets the CQE's
 * result through op->cb, on the worker's thread, from the loop's reap:
 * the op's address is the SQE's user_data (the loop's own requests use
 * the small tags 1..4, and 0 is ignored, e.g. for link timeouts). The
 * worker then refreshes its clock before the first completion and sends
 * what the callbacks queued on tern connections. No locks: one thread
 * owns the ring.
 *
 * The SQEs are submitted by the loop before it sleeps and at the end of
 * every pass; an op must stay valid until its CQE has been delivered, or
 * until the ring is gone (the worker closes the ring before it calls the
 * application's worker_fini).
 */
#ifndef TERN_IO_RING_H
#define TERN_IO_RING_H

#include <liburing.h>
#include <stdint.h>

struct tern_ring_op;
typedef void tern_ring_cb(struct tern_ring_op *op, int res, uint32_t cqe_flags);

struct tern_ring_op {
	tern_ring_cb *cb;
};

struct tern_ring {
	struct io_uring *ring;
	uint64_t submit_errors;  /* io_uring_submit failures in tern_ring__sqe */
	uint32_t inflight;       /* ops handed an SQE whose CQE is not delivered yet */
};

#define TERN_RING_TAG_MAX 4u /* user_data 1..4: the loop's own requests */

/* An SQE for op (n: how many consecutive SQEs the caller will take, for a
 * linked pair; the first is returned with user_data = op). NULL if the
 * submission queue stays full after a submit. */
static inline struct io_uring_sqe *tern_ring__sqe(struct tern_ring *r, struct tern_ring_op *op,
						  unsigned n)
{
	struct io_uring_sqe *sqe;

	if (io_uring_sq_space_left(r->ring) < n && io_uring_submit(r->ring) < 0)
		r->submit_errors++; /* -EBUSY, -EAGAIN: the SQEs stay queued */
	if (io_uring_sq_space_left(r->ring) < n)
		return NULL;
	sqe = io_uring_get_sqe(r->ring);
	if (sqe)
		io_uring_sqe_set_data(sqe, op);
	if (sqe && op)
		r->inflight++;
	return sqe;
}

#endif
