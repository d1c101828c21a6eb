/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Submit and sleep until a completion is there, for the workers' loop
 * (loop.c) and the control thread (ctl.c).
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

#endif
