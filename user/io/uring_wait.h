/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Submit and sleep until a completion is there, for the workers' loop
 * (loop.c) and the control thread (ctl.c); and when a loop that does not
 * sleep must enter the kernel anyway.
 *
 * Under valgrind only, the sleep is a poll(2) on the ring's fd (readable
 * once a completion is posted) after a submit that does not wait. Valgrind
 * runs one thread at a time and gives the others their turn only across
 * system calls it knows may block; before 3.23 (KDE bug 428364, Debian 12
 * has 3.19) io_uring_enter(2) is not one of them, so a thread asleep in it
 * stops every other thread of the daemon, and tern deadlocks at start.
 * Natively (and under the sanitizers) RUNNING_ON_VALGRIND is 0 and the wait
 * is io_uring_enter's. tests/net/test_valgrind.sh runs the daemon
 * under valgrind.
 */
#ifndef TERN_IO_URING_WAIT_H
#define TERN_IO_URING_WAIT_H

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdbool.h>

#include "vg.h"

/* At least one completion, or ts (NULL: no limit) has passed. 0 or a
 * positive count, or a negative errno (-ETIME, -EINTR: nothing is wrong). */
static inline int tern_uring__submit_and_wait(struct io_uring *ring,
					      struct __kernel_timespec *ts)
{
	struct io_uring_cqe *cqe;

	if (RUNNING_ON_VALGRIND) {
		struct pollfd pfd = { .fd = ring->ring_fd, .events = POLLIN };
		/* whole milliseconds, rounded up; -1: no limit */
		int ms = ts ? (int)(ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000) : -1;
		int r = io_uring_submit(ring);

		if (r < 0)
			return r;
		if (!io_uring_cq_ready(ring) && poll(&pfd, 1, ms) < 0)
			return -errno;
		return 0;
	}
	if (ts)
		return io_uring_submit_and_wait_timeout(ring, &cqe, 1, ts, NULL);
	return io_uring_submit_and_wait(ring, 1);
}

/* The kernel's SQ ring flags: IORING_SQ_TASKRUN (with TASKRUN_FLAG: task
 * work waits for this thread to enter), IORING_SQ_CQ_OVERFLOW
 * (completions wait outside a full CQ). */
static inline unsigned tern_uring__sq_flags(const struct io_uring *ring)
{
	return IO_URING_READ_ONCE(*ring->sq.kflags);
}

/* A loop that does not wait must still enter io_uring_enter with
 * GETEVENTS (io_uring_submit_and_get_events) when this is true, or SQEs
 * stay unsubmitted and completions stay in the overflow list or (when
 * the caller wants them: task_work) in deferred task work. */
static inline bool tern_uring__needs_enter(const struct io_uring *ring, bool task_work)
{
	unsigned f = tern_uring__sq_flags(ring);

	return io_uring_sq_ready(ring) || (f & IORING_SQ_CQ_OVERFLOW) ||
	       (task_work && (f & IORING_SQ_TASKRUN));
}

#endif
