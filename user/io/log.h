/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's log: stderr (default) or syslog, with a level. On stderr
 * the lines keep the daemon's forms: "Error: ..." (err), "tern: warning:
 * ..." (warn), "tern: ..." (info), "tern: debug: ..." (debug). When
 * stderr is systemd's journal stream ($JOURNAL_STREAM names its device
 * and inode, as sd_journal_stream_fd(3) describes), each line starts with
 * its syslog priority, "<3>Error: ...", which journald takes as the
 * line's priority and strips.
 *
 * Anything the network can trigger goes through TERN_LOG_RL: a token
 * bucket per call site (TERN_LOG_RL_BURST messages, one more token every
 * TERN_LOG_RL_INTERVAL_MS), and once tokens are back a line "N messages
 * suppressed" says how many were dropped. Safe from any thread: a site
 * whose bucket another thread holds counts the message as suppressed.
 */
#ifndef TERN_IO_LOG_H
#define TERN_IO_LOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tern_log_level { TERN_LOG_ERR = 0, TERN_LOG_WARN, TERN_LOG_INFO, TERN_LOG_DEBUG };

#define TERN_LOG_RL_BURST 10
#define TERN_LOG_RL_INTERVAL_MS 1000

struct tern_log_rl {
	pthread_mutex_t mu;
	uint64_t last_ns;         /* when tokens were last added */
	uint32_t tokens;
	atomic_uint suppressed;
};

#define TERN_LOG_RL_INIT { PTHREAD_MUTEX_INITIALIZER, 0, TERN_LOG_RL_BURST, 0 }

/* "err", "warn", "info", "debug" -> level; -EINVAL otherwise. */
int tern_log__parse_level(const char *s);
const char *tern_log__level_name(int level);

/* Where lines go: syslog (openlog "tern", LOG_DAEMON) or stderr, with
 * priority prefixes if stderr is the journal's stream. */
void tern_log__open(int use_syslog);

/* Is fd the stream $JOURNAL_STREAM ("DEVICE:INODE", decimal) names? */
bool tern_log__is_journal(int fd);

/* The stderr line of msg at level, with its "<N>" syslog priority first
 * for the journal; always one line ending in '\n' (cut to fit cap).
 * Returns its length. */
int tern_log__format(char *buf, size_t cap, int level, bool journal, const char *msg);
void tern_log__set_level(int level);
int tern_log__level(void);

void tern_log__msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tern_log__rl(struct tern_log_rl *rl, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Both check the level first: a message below it costs one load. */
#define tern_log(level, ...)                                                   \
	do {                                                                   \
		if ((level) <= tern_log__level())                              \
			tern_log__msg((level), __VA_ARGS__);                   \
	} while (0)

#define TERN_LOG_RL(level, ...)                                                \
	do {                                                                   \
		static struct tern_log_rl rl_site_ = TERN_LOG_RL_INIT;         \
		if ((level) <= tern_log__level())                              \
			tern_log__rl(&rl_site_, (level), __VA_ARGS__);         \
	} while (0)

/* libbpf's and libxdp's messages into this log at debug level (log_libs.c). */
void tern_log__route_libs(void);

/* Token bucket alone (unit tests): 1 if a message may go out at now_ns,
 * 0 if it is suppressed; *report gets the count suppressed before it. */
int tern_log_rl__take(struct tern_log_rl *rl, uint64_t now_ns, uint32_t *report);

#endif
