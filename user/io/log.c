// SPDX-License-Identifier: BSD-2-Clause
/* The daemon's log (log.h): level, stderr or syslog, per-site rate limits. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static atomic_int cur_level = TERN_LOG_INFO;
static atomic_int to_syslog;
static atomic_int to_journal; /* stderr is systemd's journal stream */

static const char *const level_names[] = { "err", "warn", "info", "debug" };

int tern_log__parse_level(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, level_names[i]))
			return i;
	return -EINVAL;
}

const char *tern_log__level_name(int level)
{
	return level >= 0 && level < 4 ? level_names[level] : "?";
}

bool tern_log__is_journal(int fd)
{
	const char *env = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	int end = 0;

	if (!env || sscanf(env, "%ju:%ju%n", &dev, &ino, &end) != 2 || env[end])
		return false;
	if (fstat(fd, &st))
		return false;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void tern_log__open(int use_syslog)
{
	if (use_syslog)
		openlog("tern", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	atomic_store(&to_syslog, use_syslog);
	atomic_store(&to_journal, tern_log__is_journal(STDERR_FILENO));
}

void tern_log__set_level(int level)
{
	atomic_store(&cur_level, level);
}

int tern_log__level(void)
{
	return atomic_load_explicit(&cur_level, memory_order_relaxed);
}

static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

int tern_log__format(char *buf, size_t cap, int level, bool journal, const char *msg)
{
	static const char *const prefix[] = { "Error: ", "tern: warning: ", "tern: ",
					      "tern: debug: " };
	int n;

	if (journal)
		n = snprintf(buf, cap, "<%d>%s%s\n", syslog_prio[level], prefix[level], msg);
	else
		n = snprintf(buf, cap, "%s%s\n", prefix[level], msg);
	if (n >= 0 && (size_t)n >= cap && cap >= 2) { /* cut: still one line */
		buf[cap - 2] = '\n';
		n = (int)cap - 1;
	}
	return n;
}

static void vlog(int level, const char *fmt, va_list ap)
{
	char line[1024], out[1100];
	int n;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (atomic_load(&to_syslog)) {
		syslog(syslog_prio[level], "%s", line);
		return;
	}
	n = tern_log__format(out, sizeof(out), level, atomic_load(&to_journal), line);
	if (n > 0)
		fwrite(out, 1, (size_t)n, stderr); /* one write: stderr is unbuffered */
}

void tern_log__msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level < TERN_LOG_ERR || level > TERN_LOG_DEBUG)
		return;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

int tern_log_rl__take(struct tern_log_rl *rl, uint64_t now_ns, uint32_t *report)
{
	const uint64_t interval = (uint64_t)TERN_LOG_RL_INTERVAL_MS * 1000000u;
	int ok = 0;

	*report = 0;
	if (pthread_mutex_trylock(&rl->mu)) {
		atomic_fetch_add(&rl->suppressed, 1);
		return 0;
	}
	if (!rl->last_ns)
		rl->last_ns = now_ns;
	if (now_ns - rl->last_ns >= interval) {
		uint64_t add = (now_ns - rl->last_ns) / interval;

		rl->tokens = add >= TERN_LOG_RL_BURST ? TERN_LOG_RL_BURST
						      : rl->tokens + (uint32_t)add;
		if (rl->tokens > TERN_LOG_RL_BURST)
			rl->tokens = TERN_LOG_RL_BURST;
		rl->last_ns += add * interval;
	}
	if (rl->tokens) {
		rl->tokens--;
		ok = 1;
		*report = atomic_exchange(&rl->suppressed, 0);
	} else {
		atomic_fetch_add(&rl->suppressed, 1);
	}
	pthread_mutex_unlock(&rl->mu);
	return ok;
}

void tern_log__rl(struct tern_log_rl *rl, int level, const char *fmt, ...)
{
	struct timespec ts;
	uint32_t dropped;
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!tern_log_rl__take(rl, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec,
			       &dropped))
		return;
	if (dropped)
		tern_log__msg(level, "%u messages suppressed", dropped);
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}
