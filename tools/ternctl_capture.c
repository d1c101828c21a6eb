// SPDX-License-Identifier: BSD-2-Clause
/*
 * ternctl capture: have the daemon on IFACE write the frames its workers
 * receive and send to a pcap file (user/io/capture.h), until --count
 * frames are written, --seconds pass, or SIGINT/SIGTERM. The daemon opens
 * the file, so its path is made absolute here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/ternctl.h"
#include "user/io/ctl.h"

#define POLL_MS 100

struct cap_args {
	const char *dev, *ctl, *file, *filter;
	unsigned long long count;
	unsigned long seconds;  /* 0: no limit */
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static const char capture_help[] =
	"usage: ternctl capture --dev IFACE --file F.pcap [--count N] [--filter EXPR]\n"
	"                       [--seconds S] [--ctl PATH]\n"
	"Write what the daemon's workers receive and send on IFACE to a pcap file\n"
	"(read it with tcpdump -r). Each worker copies the frames the filter takes\n"
	"into a bounded ring; a full ring drops the copy (counted), never a packet.\n"
	"Stops after N frames, after S seconds, or on Ctrl-C.\n"
	"  -d, --dev IFACE     interface\n"
	"  -w, --file F        pcap file, written by the daemon (made absolute)\n"
	"  -n, --count N       stop after N frames (default: no limit)\n"
	"  -f, --filter EXPR   pcap filter expression (tcpdump syntax), e.g. 'tcp port 80'\n"
	"  -s, --seconds S     stop after S seconds (default: no limit)\n"
	"  -c, --ctl PATH      the daemon's control socket (default " TERN_CTL_DIR "/IFACE.sock)\n"
	"  -h, --help          this text\n";

static const struct option capture_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "file", required_argument, NULL, 'w' },
	{ "count", required_argument, NULL, 'n' },
	{ "filter", required_argument, NULL, 'f' },
	{ "seconds", required_argument, NULL, 's' },
	{ "ctl", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "Error: capture: %s%s%s (see ternctl capture --help): %s\n", what,
		arg ? " " : "", arg ? arg : "", strerror(EINVAL));
	return 2;
}

static int num(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end || !*s || *s == '-' || *v < 1 || *v > max ? -1 : 0;
}

static int cap_parse(int argc, char **argv, struct cap_args *a)
{
	unsigned long long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:w:n:f:s:c:h", capture_opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->dev = optarg; break;
		case 'w': a->file = optarg; break;
		case 'f': a->filter = optarg; break;
		case 'c': a->ctl = optarg; break;
		case 'n':
			if (num(optarg, ULLONG_MAX, &a->count))
				return usage_error("--count (1 or more)", optarg);
			break;
		case 's':
			if (num(optarg, 86400 * 365, &v))
				return usage_error("--seconds (1 or more)", optarg);
			a->seconds = (unsigned long)v;
			break;
		case 'h': fputs(capture_help, stdout); exit(0);
		default: return usage_error("bad option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	if (!a->dev || !a->file)
		return usage_error(!a->dev ? "--dev is required" : "--file is required", NULL);
	if (strpbrk(a->file, " \t\n\"\\"))
		return usage_error("--file: no blanks, quotes or backslashes", a->file);
	if (a->filter && strpbrk(a->filter, "\n\r"))
		return usage_error("--filter: one line", NULL);
	return 0;
}

/* One request; the reply after "ok\n" in buf, or 1 after printing why. */
static int call(const char *path, const char *req, char *buf, size_t cap)
{
	int n = tern_ctl__request(path, req, buf, cap, TERN_CTL_TIMEOUT_MS);

	if (n < 0) {
		fprintf(stderr, "Error: capture: control socket %s: %s\n", path, strerror(-n));
		return 1;
	}
	if (strncmp(buf, "ok\n", 3)) {
		buf[strcspn(buf, "\n")] = 0;
		fprintf(stderr, "Error: capture: %s\n", !strncmp(buf, "error: ", 7) ? buf + 7 : buf);
		return 1;
	}
	memmove(buf, buf + 3, strlen(buf + 3) + 1);
	return 0;
}

static unsigned long long field(const char *json, const char *key)
{
	const char *p = strstr(json, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* Poll until the daemon's capture ends or we end it; 0 or 1. */
static int follow(const char *path, const struct cap_args *a, char *buf, size_t cap)
{
	const struct timespec tick = { 0, POLL_MS * 1000000L };
	unsigned long long polls = 0;

	for (;;) {
		if (call(path, "capture status", buf, cap))
			return 1;
		if (!strstr(buf, "\"active\": true"))
			break;
		if (interrupted || (a->seconds && polls * POLL_MS >= a->seconds * 1000ull)) {
			if (call(path, "capture stop", buf, cap))
				return 1;
			break;
		}
		nanosleep(&tick, NULL);
		polls++;
	}
	printf("capture: %llu frames written to %s, %llu dropped (ring full)\n",
	       field(buf, "\"written\": "), a->file, field(buf, "\"dropped\": "));
	return 0;
}

int ternctl_capture(int argc, char **argv)
{
	struct cap_args a = { 0 };
	char path[108], file[PATH_MAX], *req = NULL, *buf = malloc(TERN_CTL_REQ_MAX);
	int rc = buf ? cap_parse(argc, argv, &a) : 1;

	if (rc)
		goto out;
	snprintf(path, sizeof(path), a.ctl ? "%s" : TERN_CTL_DIR "/%s.sock", a.ctl ? a.ctl : a.dev);
	if (a.file[0] == '/')
		snprintf(file, sizeof(file), "%s", a.file);
	else if (!getcwd(file, sizeof(file) - strlen(a.file) - 2))
		file[0] = 0;
	else
		strcat(strcat(file, "/"), a.file);
	a.file = file;
	if (asprintf(&req, "capture start %llu %s %s", a.count, file, a.filter ? a.filter : "") < 0 ||
	    strlen(req) >= TERN_CTL_REQ_MAX) {
		rc = usage_error("--file and --filter: too long", NULL);
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = call(path, req, buf, TERN_CTL_REQ_MAX);
	if (!rc)
		rc = follow(path, &a, buf, TERN_CTL_REQ_MAX);
out:
	free(req);
	free(buf);
	return rc;
}
