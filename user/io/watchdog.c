// SPDX-License-Identifier: BSD-2-Clause
/* systemd's watchdog and STATUS= line (watchdog.h); the protocol is
 * sd_notify(3)'s and sd_watchdog_enabled(3)'s, without libsystemd. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "watchdog.h"

/* $WATCHDOG_USEC when it is for this process, else 0 (-EINVAL: malformed). */
static int64_t watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (!usec)
		return 0;
	if (pid && strtoll(pid, NULL, 10) != (long long)getpid())
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno || end == usec || *end || !v || v > UINT64_MAX / 1000)
		return -EINVAL;
	return (int64_t)v;
}

int tern_watchdog__init(struct tern_watchdog *wd, struct tern_worker *const *w, uint32_t n,
			uint64_t now_ns)
{
	int64_t usec = watchdog_usec();

	*wd = (struct tern_watchdog){ .period_ns = TERN_STATUS_NS };
	if (usec > 0) {
		wd->enabled = 1;
		wd->period_ns = (uint64_t)usec * 1000 / 2;
	}
	wd->next_ns = now_ns + wd->period_ns;
	tern_watchdog__stuck(wd, w, n);
	return usec < 0 ? -EINVAL : 0;
}

int tern_watchdog__stuck(struct tern_watchdog *wd, struct tern_worker *const *w, uint32_t n)
{
	int stuck = -1;

	for (uint32_t q = 0; q < n && q < TERN_XDP_MAX_QUEUES; q++) {
		unsigned s = tern_worker__progress(w[q]);

		if (s == wd->seq[q] && !tern_worker__done(w[q]) && stuck < 0)
			stuck = (int)q;
		wd->seq[q] = s;
	}
	return stuck;
}

void tern_watchdog__status(char *buf, size_t cap, struct tern_worker *const *w, uint32_t n)
{
	struct tern_worker_stats st;
	uint64_t conns = 0, reqs = 0, tw = 0;
	int draining = 0;

	for (uint32_t q = 0; q < n; q++) {
		tern_worker__stats(w[q], &st);
		conns += st.nconns;
		reqs += st.nreqs;
		tw += st.ntw;
		draining |= st.draining;
	}
	snprintf(buf, cap, "%u queue%s, %" PRIu64 " connections, %" PRIu64 " half-open, %" PRIu64
		 " TIME-WAIT%s", n, n == 1 ? "" : "s", conns, reqs, tw,
		 draining ? ", draining" : "");
}

void tern_watchdog__tick(struct tern_watchdog *wd, struct tern_worker *const *w, uint32_t n,
			 uint64_t now_ns)
{
	char msg[192];
	int stuck, len;

	if (now_ns < wd->next_ns)
		return;
	wd->next_ns = now_ns + wd->period_ns;
	stuck = wd->enabled ? tern_watchdog__stuck(wd, w, n) : -1;
	if (stuck >= 0 && !wd->stalled)
		tern_log(TERN_LOG_WARN, "watchdog: queue %u made no progress: no WATCHDOG=1",
			 tern_worker__queue(w[stuck]));
	else if (stuck < 0 && wd->stalled)
		tern_log(TERN_LOG_INFO, "watchdog: every queue makes progress again");
	wd->stalled = stuck >= 0;
	len = snprintf(msg, sizeof(msg), "%sSTATUS=", wd->enabled && stuck < 0 ? "WATCHDOG=1\n" : "");
	tern_watchdog__status(msg + len, sizeof(msg) - (size_t)len, w, n);
	tern_notify(msg);
}
