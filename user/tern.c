// SPDX-License-Identifier: BSD-2-Clause
/*
 * tern: the daemon. Parses the command line, starts the server
 * (user/io/server.c, include/tern/server.h) with the chosen built-in
 * application and waits: SIGINT/SIGTERM drain (health failing and still
 * serving for --drain-withdraw-delay, then FIN, then RST after
 * --drain-timeout), a second signal aborts, SIGHUP reloads; meanwhile it
 * feeds systemd's watchdog and status line (user/io/watchdog.h). Exit: 0
 * clean, 1 runtime error, 2 usage.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "user/app/app.h"
#include "user/io/log.h"
#include "user/io/notify.h"
#include "user/io/server_args.h"
#include "user/io/watchdog.h"
#include "user/io/xsk.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* SIGHUP: as `ternctl reload`, the outcome in the log. */
static void reload(struct tern_server *srv)
{
	static char reply[4096];
	char *save = NULL;
	int r;

	tern_notify("RELOADING=1");
	r = tern_server__reload(srv, reply, sizeof(reply));
	tern_notify("READY=1");
	for (char *l = strtok_r(reply, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		tern_log(r < 0 ? TERN_LOG_ERR : TERN_LOG_INFO, "SIGHUP: reload: %s", l);
}

/* "2 s", "1.5 s", "250 ms" */
static void format_ms(char *buf, size_t cap, uint32_t ms)
{
	if (ms >= 1000 && ms % 1000 == 0)
		snprintf(buf, cap, "%u s", ms / 1000);
	else if (ms >= 1000 && ms % 100 == 0)
		snprintf(buf, cap, "%u.%u s", ms / 1000, ms % 1000 / 100);
	else
		snprintf(buf, cap, "%u ms", ms);
}

/* Signals, and systemd's watchdog and status (watchdog.h), until the
 * server has stopped. */
static int wait_signals(struct tern_server *srv, const sigset_t *sigs, uint32_t drain_ms,
			uint32_t withdraw_ms)
{
	char drain[160], after[32], withdraw[32];
	const struct timespec tick = { 0, 100 * 1000 * 1000 };
	struct tern_worker *const *w;
	uint32_t n = tern_server__workers(srv, &w);
	struct tern_watchdog wd;
	int stops = 0;

	format_ms(after, sizeof(after), drain_ms);
	format_ms(withdraw, sizeof(withdraw), withdraw_ms);
	snprintf(drain, sizeof(drain), "%s%s%sclosing connections (RST after %s)",
		 withdraw_ms ? "health failing, serving for " : "", withdraw_ms ? withdraw : "",
		 withdraw_ms ? " (--drain-withdraw-delay), then " : "", after);
	if (tern_watchdog__init(&wd, w, n, mono_ns()))
		tern_log(TERN_LOG_WARN, "WATCHDOG_USEC=%s: not a number of microseconds, ignored",
			 getenv("WATCHDOG_USEC"));
	while (!tern_server__done(srv)) {
		int sig;

		tern_watchdog__tick(&wd, w, n, mono_ns());
		sig = sigtimedwait(sigs, NULL, &tick);
		if (sig <= 0)
			continue;
		if (sig == SIGHUP) {
			reload(srv);
			continue;
		}
		stops++;
		tern_notify("STOPPING=1");
		tern_log(TERN_LOG_INFO, "%s: %s", strsignal(sig),
			 stops == 1 ? drain : "aborting");
		tern_server__stop(srv, stops > 1);
	}
	return tern_server__destroy(srv);
}

int main(int argc, char **argv)
{
	static struct tern_args args;
	struct tern_server *srv;
	sigset_t sigs;
	int r;

	r = tern_args__parse(&args, argc, argv, TERN_XSK_MAX_FRAME);
	if (r)
		return r > 0 ? 0 : 2;
	tern_log__open(args.log_syslog);
	tern_log__set_level(args.log_level);
	tern_log__route_libs();
	if (args.check) {
		r = tern_server__check_args(&args);
		tern_conf__free(&args.conf);
		return r;
	}
	/* Signals go to this thread's sigtimedwait; workers inherit the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (tern_server__start_args(&srv, &args, tern_app__find(args.app_name)))
		return 1;
	tern_notify("READY=1"); /* systemd Type=notify */
	r = wait_signals(srv, &sigs, args.drain_ms, args.withdraw_ms);
	tern_conf__free(&args.conf); /* --config's settings, used until the server is gone */
	return r;
}
