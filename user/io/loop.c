// SPDX-License-Identifier: BSD-2-Clause
/*
 * A worker's io_uring loop. Three requests are armed before it sleeps: a
 * one-shot POLLIN on the AF_XDP socket (RX), an absolute CLOCK_MONOTONIC
 * timeout at the stack's next deadline (moved with a timeout update when
 * the deadline changes), and a read on the command eventfd. The loop never
 * blocks while the RX ring has work; it sleeps in io_uring_enter otherwise
 * (through tern_uring__submit_and_wait, uring_wait.h, which differs under
 * valgrind).
 *
 * The poll is one-shot and armed only on the way to sleep, so that while
 * RX keeps the loop busy nothing waits on the socket: every frame the
 * kernel puts on the RX ring (sock_def_readable()) and every sent frame it
 * frees (sock_wfree()) wakes the socket's waiters, and an armed poll makes
 * each of those take the wait queue's lock and call io_uring's wake
 * function. A poll armed after RX went quiet completes at once if a frame
 * came in meanwhile (the arm checks the socket's state).
 *
 * Stop: DRAIN refuses new connections (opening SYNs are dropped, accept()
 * refuses), closes every connection with a FIN and keeps running until
 * they are gone or drain_ns has passed, then RSTs the rest; ABORT RSTs at
 * once. Then the last TX is given up to TERN_FINISH_NS to complete.
 *
 * The ring runs completions' task work (a poll that fired, a proxy's
 * recv) only when this thread enters io_uring_enter with GETEVENTS
 * (DEFER_TASKRUN; with COOP_TASKRUN, where that is missing, at its next
 * system call); TASKRUN_FLAG makes the kernel say so in the SQ ring flags
 * (IORING_SQ_TASKRUN), as it says IORING_SQ_CQ_OVERFLOW when completions
 * wait outside a full CQ. The
 * loop enters the kernel when it sleeps; while RX keeps it busy it
 * enters at the end of a pass when SQEs wait, the CQ overflowed, or task
 * work is pending while an application has operations in flight
 * (ring_events), so their completions never wait for RX to end.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "uring_wait.h"
#include "worker_priv.h"

enum { TAG_POLL = 1, TAG_TIMEOUT, TAG_UPDATE, TAG_EVENT };

#define RING_ENTRIES 256
/* Room for the applications' completions (tern_ring, ring.h): a recv and
 * a send per proxied connection may complete in one pass. */
#define RING_CQ_ENTRIES 16384

/* Ring set-ups, the first one the kernel takes. DEFER_TASKRUN (6.1)
 * needs SINGLE_ISSUER: the worker's thread creates the ring and is the
 * only one to submit. Under valgrind the wait is a poll(2) on the ring fd
 * (uring_wait.h), which deferred task work does not wake: COOP_TASKRUN
 * there. */
static const unsigned ring_setups[] = {
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	0,
};

int tern_loop__init(struct tern_worker *w)
{
	unsigned n = sizeof(ring_setups) / sizeof(ring_setups[0]);
	int err = -EINVAL;

	for (unsigned i = RUNNING_ON_VALGRIND ? 1 : 0; i < n && err == -EINVAL; i++) {
		struct io_uring_params p = {
			.flags = ring_setups[i] | IORING_SETUP_CQSIZE,
			.cq_entries = RING_CQ_ENTRIES,
		};

		err = io_uring_queue_init_params(RING_ENTRIES, &w->ring, &p);
		w->ring_setup = ring_setups[i];
	}
	w->ring_ok = !err;
	w->app_ring.ring = &w->ring;
	if (!err)
		tern_log(TERN_LOG_DEBUG, "queue %u: io_uring set-up flags 0x%x%s", w->queue,
			 w->ring_setup,
			 w->ring_setup & IORING_SETUP_DEFER_TASKRUN ? " (DEFER_TASKRUN)" : "");
	return err;
}

void tern_loop__fini(struct tern_worker *w)
{
	if (w->ring_ok)
		io_uring_queue_exit(&w->ring);
	w->ring_ok = false;
}

/* A failed submit (or enter): counted, logged once per worker. -EBUSY
 * (completions wait outside a full CQ) and -EAGAIN (no memory for a
 * request) leave the SQEs in the SQ; the loop reaps and submits them
 * again at its next pass. */
static void submit_failed(struct tern_worker *w, int err)
{
	w->c.ring_submit_errors++;
	if (!w->submit_logged)
		tern_log(TERN_LOG_WARN, "queue %u: io_uring submit: %s (counted in ring_submit_errors)",
			 w->queue, strerror(-err));
	w->submit_logged = true;
}

/* Submit what is queued and run the ring's task work (which posts the
 * completions it finished), without waiting. */
static void ring_enter(struct tern_worker *w)
{
	int r = io_uring_submit_and_get_events(&w->ring);

	w->c.ring_enters++;
	if (r < 0 && r != -EINTR)
		submit_failed(w, r);
}

/* At the end of a busy pass: enter if SQEs wait, completions overflowed
 * the CQ, or task work is pending (IORING_SQ_TASKRUN) while an
 * application waits for a completion. The loop's own requests need none
 * while it is busy: every pass reads the RX ring, the clock, the command
 * word and the mailbox itself. */
static void ring_events(struct tern_worker *w)
{
	if (tern_uring__sq_flags(&w->ring) & IORING_SQ_CQ_OVERFLOW)
		w->c.ring_cq_overflows++;
	if (tern_uring__needs_enter(&w->ring, w->app_ring.inflight > 0))
		ring_enter(w);
}

static struct io_uring_sqe *sqe_get(struct tern_worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) { /* full SQ: submit and try again */
		ring_enter(w);
		sqe = io_uring_get_sqe(&w->ring);
	}
	return sqe;
}

static void ts_set(struct __kernel_timespec *ts, uint64_t ns)
{
	ts->tv_sec = (long long)(ns / TERN_NSEC_PER_SEC);
	ts->tv_nsec = (long long)(ns % TERN_NSEC_PER_SEC);
}

static void arm_fixed(struct tern_worker *w)
{
	struct io_uring_sqe *sqe;

	if (!w->poll_armed && (sqe = sqe_get(w))) {
		io_uring_prep_poll_add(sqe, w->x.fd, POLLIN);
		io_uring_sqe_set_data64(sqe, TAG_POLL);
		w->poll_armed = true;
	}
	if (!w->ev_armed && (sqe = sqe_get(w))) {
		io_uring_prep_read(sqe, w->efd, &w->evbuf, sizeof(w->evbuf), 0);
		io_uring_sqe_set_data64(sqe, TAG_EVENT);
		w->ev_armed = true;
	}
}

/* Keep one absolute timeout at `at` (UINT64_MAX: none needed). */
static void arm_timeout(struct tern_worker *w, uint64_t at)
{
	struct io_uring_sqe *sqe;

	if (at == UINT64_MAX || (w->timeout_armed && w->timeout_at == at))
		return;
	sqe = sqe_get(w);
	if (!sqe)
		return;
	if (!w->timeout_armed) {
		ts_set(&w->ts_timeout, at);
		io_uring_prep_timeout(sqe, &w->ts_timeout, 0, IORING_TIMEOUT_ABS);
		io_uring_sqe_set_data64(sqe, TAG_TIMEOUT);
		w->timeout_armed = true;
	} else {
		/* -ENOENT if it fired meanwhile; its CQE then clears timeout_armed */
		ts_set(&w->ts_update, at);
		io_uring_prep_timeout_update(sqe, &w->ts_update, TAG_TIMEOUT, IORING_TIMEOUT_ABS);
		io_uring_sqe_set_data64(sqe, TAG_UPDATE);
	}
	w->timeout_at = at;
}

/* An application's operation (ring.h): its callback, with a fresh clock. */
static void app_cqe(struct tern_worker *w, const struct io_uring_cqe *cqe)
{
	struct tern_ring_op *op = io_uring_cqe_get_data(cqe);

	if (!(cqe->flags & IORING_CQE_F_MORE) && w->app_ring.inflight)
		w->app_ring.inflight--;
	if (!w->app_cqes++)
		w->now = tern_worker__clock();
	op->cb(op, cqe->res, cqe->flags);
	if (w->out.n > TERN_OUT_CAP / 2) /* many completions in one reap */
		tern_path__emit(w, TERN_NO_FRAME);
}

static void on_cqe(struct tern_worker *w, const struct io_uring_cqe *cqe)
{
	uint64_t tag = io_uring_cqe_get_data64(cqe);

	if (tag > TERN_RING_TAG_MAX) {
		app_cqe(w, cqe);
		return;
	}
	switch (tag) {
	case TAG_POLL:
		w->poll_armed = false; /* one-shot: armed again at the next sleep */
		if (cqe->res < 0)
			w->c.ring_errors++;
		break;
	case TAG_TIMEOUT:
		w->timeout_armed = false;
		if (cqe->res < 0 && cqe->res != -ETIME && cqe->res != -ECANCELED)
			w->c.ring_errors++;
		break;
	case TAG_UPDATE:
		if (cqe->res < 0 && cqe->res != -ENOENT)
			w->c.ring_errors++;
		break;
	case TAG_EVENT:
		w->ev_armed = false; /* the command itself is in w->cmd */
		if (cqe->res < 0)
			w->c.ring_errors++;
		break;
	}
}

static void reap(struct tern_worker *w)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	w->app_cqes = 0;
	io_uring_for_each_cqe(&w->ring, head, cqe) {
		on_cqe(w, cqe);
		n++;
	}
	if (n)
		io_uring_cq_advance(&w->ring, n);
	if (w->app_cqes) /* segments the callbacks caused */
		tern_path__emit(w, TERN_NO_FRAME);
}

static uint64_t wake_at(const struct tern_worker *w)
{
	uint64_t at = tern_stack__next_deadline(w->stack);

	if (w->draining && !w->finishing && w->drain_end < at)
		at = w->drain_end;
	if (w->conf->xdpc) {
		uint64_t x = tern_xdpc__deadline(w->conf->xdpc, &w->xq, w->now);

		if (x < at)
			at = x;
	}
	return at;
}

/* How long to sleep at most while TX is backed up or finishing: until
 * the next kick when the link is down (path.c), else a short while. */
static uint64_t retry_ns(const struct tern_worker *w)
{
	uint64_t ns = w->finishing ? TERN_NSEC_PER_MSEC : TERN_TX_RETRY_NS;

	if (w->tx_left && w->kick_at > w->now + ns)
		ns = w->kick_at - w->now;
	return ns;
}

/* Sleep until RX, a deadline, a command, or (TX backed up / finishing) a
 * short while. 0, or a fatal -errno. */
static int sleep_once(struct tern_worker *w)
{
	struct __kernel_timespec ts;
	int r;

	arm_fixed(w);
	arm_timeout(w, wake_at(w));
	tern_worker__publish(w);
	w->c.sleeps++;
	if (w->tx_left || w->finishing) {
		ts_set(&ts, retry_ns(w));
		r = tern_uring__submit_and_wait(&w->ring, &ts);
	} else {
		r = tern_uring__submit_and_wait(&w->ring, NULL);
	}
	if (r == -EBUSY || r == -EAGAIN)
		submit_failed(w, r);
	else if (r < 0 && r != -ETIME && r != -EINTR)
		return r;
	return 0;
}

static void close_one(struct tern_conn *c, void *arg)
{
	struct tern_worker *w = arg;

	tern_conn__close(w->stack, c, w->now, &w->out);
	if (w->out.n > TERN_OUT_CAP / 2)
		tern_path__emit(w, TERN_NO_FRAME);
}

static void abort_one(struct tern_conn *c, void *arg)
{
	struct tern_worker *w = arg;

	tern_conn__abort(w->stack, c, w->now, &w->out);
	if (w->out.n > TERN_OUT_CAP / 2)
		tern_path__emit(w, TERN_NO_FRAME);
}

static void commands(struct tern_worker *w)
{
	int cmd = atomic_load_explicit(&w->cmd, memory_order_acquire);

	if (cmd == w->cmd_seen)
		return;
	w->cmd_seen = cmd;
	if (!w->draining) {
		w->draining = true;
		if (w->conf->xdpc) /* no more cookies: the stack refuses SYNs */
			tern_xdpc__off(w->conf->xdpc, &w->xq, w->queue, w->stack, w->now);
		w->drain_end = w->now + w->conf->drain_ns;
		tern_stack__set_accepting(w->stack, 0);
		tern_stack__foreach_conn(w->stack, close_one, w);
		tern_path__emit(w, TERN_NO_FRAME);
	}
	if (cmd >= TERN_WORKER_ABORT)
		w->drain_end = w->now;
}

/* Drained (or out of time): RST what is left, then let the TX finish. */
static void drain_step(struct tern_worker *w)
{
	if (!w->draining)
		return;
	if (!w->finishing) {
		if (tern_stack__nconns(w->stack) && w->now < w->drain_end)
			return;
		tern_stack__foreach_conn(w->stack, abort_one, w);
		tern_path__emit(w, TERN_NO_FRAME);
		tern_path__flush(w);
		w->finishing = true;
		w->finish_end = w->now + TERN_FINISH_NS;
	}
	if ((!w->tx_left && !w->f.c.n[TERN_FS_TX] && !w->f.c.n[TERN_FS_APP_TX]) || w->now >= w->finish_end)
		w->finished = true;
}

/* The queue's XDP cookie flag from the load seen before this pass's RX. */
static void xdp_cookies(struct tern_worker *w)
{
	uint32_t prod, cons;

	if (!w->conf->xdpc || w->draining)
		return;
	prod = __atomic_load_n(w->x.rx.producer, __ATOMIC_ACQUIRE);
	cons = *w->x.rx.consumer;
	tern_xdpc__step(w->conf->xdpc, &w->xq, w->queue, w->stack, prod - cons, w->x.g.ring,
			w->conf->cfg->backlog, w->now);
}

/* The application's end of the pass (struct tern_app.batch_end); what it
 * sends goes out in this pass. */
static void app_batch_end(struct tern_worker *w)
{
	if (!w->app_ctx || !w->conf->app->batch_end)
		return;
	w->conf->app->batch_end(w->app_ctx);
	if (w->out.n) {
		tern_path__emit(w, TERN_NO_FRAME);
		tern_path__flush(w);
	}
}

/* One pass over everything that may have work; returns RX frames seen. */
static uint32_t pass(struct tern_worker *w)
{
	uint32_t n;

	/* Reap first: a wake-up that comes after the RX peek below stays in
	 * the CQ, so the next sleep returns at once instead of missing it. */
	reap(w);
	w->now = tern_worker__clock();
	w->c.loops++;
	commands(w);
	tern_worker__serve(w);
	tern_handoff__icmp_in(w);
	xdp_cookies(w);
	n = tern_path__rx(w);
	tern_path__timers(w);
	tern_path__flush(w);
	tern_xsk__drain_comp(&w->x, &w->f);
	tern_xsk__refill(&w->x, &w->f, w->x.g.reserve);
	drain_step(w);
	app_batch_end(w);
	/* Requests the application prepared, completions waiting in task
	 * work or overflow, while the loop stays busy. */
	ring_events(w);
	return n;
}

void tern_loop__run(struct tern_worker *w)
{
	int err;

	arm_fixed(w);
	ring_enter(w);
	while (!w->finished) {
		if (pass(w)) {
			if (w->now - w->last_publish >= TERN_PUBLISH_NS)
				tern_worker__publish(w);
			continue;
		}
		err = sleep_once(w);
		if (err) {
			w->err = err;
			break;
		}
	}
	tern_worker__publish(w);
}
