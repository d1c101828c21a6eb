// SPDX-License-Identifier: BSD-2-Clause
/* What the workers' busy loop relies on (user/io/uring_wait.h, loop.c):
 * with DEFER_TASKRUN a completion stays in task work, and past a full CQ
 * in the overflow list, until the thread enters io_uring_enter with
 * GETEVENTS; tern_uring__needs_enter says when. Real rings. */
#include <errno.h>
#include <unistd.h>

#include "t.h"
#include "user/io/uring_wait.h"

/* Reap without entering the kernel, as the loop's reap does. */
static unsigned reap(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(ring, head, cqe)
		n++;
	io_uring_cq_advance(ring, n);
	return n;
}

TEST(test_uring_deferred_task_work)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			 IORING_SETUP_TASKRUN_FLAG,
	};
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	int fds[2], r;
	unsigned got = 0;

	r = io_uring_queue_init_params(8, &ring, &p);
	if (r == -EINVAL) {
		printf("  (kernel without DEFER_TASKRUN: not run)\n");
		return;
	}
	REQUIRE_EQ(r, 0);
	REQUIRE_EQ(pipe(fds), 0);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, fds[0], POLLIN);
	REQUIRE_EQ(io_uring_submit(&ring), 1);
	CHECK(!tern_uring__needs_enter(&ring, true));
	REQUIRE_EQ(write(fds[1], "x", 1), 1);
	for (int i = 0; i < 1000; i++) /* a busy loop that only reaps */
		got += reap(&ring);
	CHECK_EQ(got, 0);
	CHECK(tern_uring__sq_flags(&ring) & IORING_SQ_TASKRUN);
	CHECK(tern_uring__needs_enter(&ring, true));
	CHECK(!tern_uring__needs_enter(&ring, false)); /* nobody waits for it */
	CHECK(io_uring_submit_and_get_events(&ring) >= 0);
	CHECK_EQ(reap(&ring), 1);
	CHECK(!tern_uring__needs_enter(&ring, true));
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
}

TEST(test_uring_cq_overflow)
{
	struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE, .cq_entries = 4 };
	struct io_uring ring;
	unsigned got;

	REQUIRE_EQ(io_uring_queue_init_params(4, &ring, &p), 0);
	REQUIRE_EQ(ring.cq.ring_entries, 4);
	for (int b = 0; b < 3; b++) { /* 12 completions for a CQ of 4 */
		for (int i = 0; i < 4; i++)
			io_uring_prep_nop(io_uring_get_sqe(&ring));
		REQUIRE_EQ(io_uring_submit(&ring), 4);
	}
	CHECK(tern_uring__sq_flags(&ring) & IORING_SQ_CQ_OVERFLOW);
	CHECK(tern_uring__needs_enter(&ring, false));
	got = reap(&ring);
	CHECK_EQ(got, 4);
	for (int i = 0; i < 4 && tern_uring__needs_enter(&ring, false); i++) {
		CHECK(io_uring_submit_and_get_events(&ring) >= 0);
		got += reap(&ring);
	}
	CHECK_EQ(got, 12);
	CHECK(!tern_uring__needs_enter(&ring, false));
	io_uring_queue_exit(&ring);
}
