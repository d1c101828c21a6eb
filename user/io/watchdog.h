/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * systemd's service watchdog and status line for the daemon (watchdog.c),
 * driven from the daemon's main thread, which takes the signals and
 * watches the workers:
 *
 *   - with $WATCHDOG_USEC set (WatchdogSec=, for this process as
 *     $WATCHDOG_PID says), "WATCHDOG=1" every half of it, but only when
 *     every worker's published snapshot advanced since the last check:
 *     a stuck worker stops the keep-alives and systemd restarts tern;
 *   - "STATUS=" with a one-line summary (queues, connections) as often,
 *     or every TERN_STATUS_NS without a watchdog.
 *
 * Nothing is sent without $NOTIFY_SOCKET (notify.h).
 */
#ifndef TERN_IO_WATCHDOG_H
#define TERN_IO_WATCHDOG_H

#include <stddef.h>
#include <stdint.h>

#include "include/tern/xdp.h"
#include "worker.h"

#define TERN_STATUS_NS (5ull * 1000000000ull)

struct tern_watchdog {
	uint64_t period_ns;   /* between checks: WATCHDOG_USEC / 2, or TERN_STATUS_NS */
	uint64_t next_ns;     /* CLOCK_MONOTONIC of the next check */
	int enabled;          /* WATCHDOG=1 is wanted */
	int stalled;          /* a queue was stuck at the last check */
	unsigned seq[TERN_XDP_MAX_QUEUES];
};

/* From $WATCHDOG_USEC and $WATCHDOG_PID; the workers' sequences as they
 * are now. 0, or -EINVAL for a malformed $WATCHDOG_USEC (ignored then). */
int tern_watchdog__init(struct tern_watchdog *wd, struct tern_worker *const *w, uint32_t n,
			uint64_t now_ns);

/* The first worker (index) whose snapshot did not advance since the last
 * call, or -1 when all did (ended workers count as having advanced);
 * wakes every worker for the next call. */
int tern_watchdog__stuck(struct tern_watchdog *wd, struct tern_worker *const *w, uint32_t n);

/* "2 queues, 5 connections, 1 half-open, 3 TIME-WAIT" (and ", draining"). */
void tern_watchdog__status(char *buf, size_t cap, struct tern_worker *const *w, uint32_t n);

/* Once per loop of the main thread: check, notify, log a stuck queue. */
void tern_watchdog__tick(struct tern_watchdog *wd, struct tern_worker *const *w, uint32_t n,
			 uint64_t now_ns);

#endif
