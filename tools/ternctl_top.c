// SPDX-License-Identifier: BSD-2-Clause
/*
 * ternctl top: the daemon's rates, refreshed every second. Each refresh
 * reads the daemon's `metrics` (Prometheus text, the same as its /metrics)
 * and prints per queue and in total the differences over the interval:
 * SYN/s, SYN-ACK/s, cookies sent/validated/failed per second, opens/s,
 * retransmits/s, drops/s by reason, and the gauges (connections,
 * half-open, TIME-WAIT, frames in use, zero-copy or copy mode); then
 * what the sockets received of what XDP steered to them: XdpSteered/s,
 * and per queue frames received/s and the kernel's RX drops/s (RX ring
 * full, fill ring empty, XDP_STATISTICS), which the workers read every
 * 100 ms.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/ternctl.h"
#include "user/io/ctl.h"

#define MAX_Q 65 /* queues 0..63 and the total */
#define MAX_SERIES 256

/* One scrape: for each metric name, the value per queue. */
struct sample {
	int nq;                               /* highest queue + 1 */
	int n;
	char names[MAX_SERIES][64];
	uint64_t v[MAX_SERIES][MAX_Q];
	double t;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int series(struct sample *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name))
			return i;
	if (s->n == MAX_SERIES)
		return -1;
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
	memset(s->v[s->n], 0, sizeof(s->v[0]));
	return s->n++;
}

/* "tern_NAME{iface="x",queue="N"} V" lines, and "tern_NAME{iface="x"} V"
 * (the XDP program's counters, per interface: kept as the total); others
 * are skipped. */
static void parse_line(struct sample *s, char *l)
{
	char *brace = strchr(l, '{'), *q, *end;
	unsigned long qn = MAX_Q - 1;
	int i;

	if (strncmp(l, "tern_", 5) || !brace)
		return;
	*brace = 0;
	q = strstr(brace + 1, "queue=\"");
	if (q) {
		qn = strtoul(q + 7, &end, 10);
		if (qn >= MAX_Q - 1)
			return;
	}
	end = strchr(q ? q : brace + 1, '}');
	if (!end)
		return;
	i = series(s, l + 5);
	if (i < 0)
		return;
	s->v[i][qn] = strtoull(end + 1, NULL, 10);
	if (q && (int)qn + 1 > s->nq)
		s->nq = (int)qn + 1;
}

static int scrape(const char *path, char *buf, struct sample *s)
{
	char *save = NULL;
	int n = tern_ctl__request(path, "metrics", buf, TERN_CTL_REPLY_MAX + 1, TERN_CTL_TIMEOUT_MS);

	if (n < 0)
		return n;
	if (strncmp(buf, "ok\n", 3))
		return -EPROTO;
	memset(s, 0, sizeof(*s));
	s->t = now_s();
	for (char *l = strtok_r(buf + 3, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		parse_line(s, l);
	for (int i = 0; i < s->n; i++)
		for (int q = 0; q < s->nq; q++)
			s->v[i][MAX_Q - 1] += s->v[i][q];
	return 0;
}

static uint64_t val(const struct sample *s, const char *name, int q)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name))
			return s->v[i][q];
	return 0;
}

static double rate(const struct sample *a, const struct sample *b, const char *name, int q)
{
	uint64_t x = val(a, name, q), y = val(b, name, q);
	double dt = b->t - a->t;

	return y >= x && dt > 0 ? (double)(y - x) / dt : 0;
}

/* Counters summed into one drop rate per reason. */
static const struct {
	const char *label;
	const char *names[6];
} drops[] = {
	{ "no-frame", { "tx_drop_noframe_total" } },
	{ "tx-ring", { "tx_drop_ring_total" } },
	{ "xsk-kernel", { "xsk_rx_dropped_total", "xsk_rx_ring_full_total",
			  "xsk_rx_fill_ring_empty_total" } },
	{ "backlog", { "tcp_tcp_req_q_full_drop_total", "tcp_listen_overflows_total" } },
	{ "parse", { "tcp_in_csum_errors_total", "tcp_in_drop_tcp_short_total",
		     "tcp_in_drop_ip_tot_len_total", "tcp_in_drop_not_tcp_total" } },
	{ "tcp", { "tcp_in_errs_total", "tcp_in_drop_out_of_window_total",
		   "tcp_in_drop_no_ts_total", "tcp_in_drop_ack_unsent_total" } },
};

static void print_row(const struct sample *a, const struct sample *b, int q)
{
	char label[16];

	snprintf(label, sizeof(label), q == MAX_Q - 1 ? "total" : "q%d", q);
	printf("%-6s %-4s %9.0f %9.0f %8.0f %8.0f %8.0f %8.0f %8.0f %7" PRIu64 " %7" PRIu64
	       " %7" PRIu64 " %6" PRIu64 "\n",
	       label, q == MAX_Q - 1 ? "" : val(b, "zerocopy", q) ? "zc" : "copy",
	       rate(a, b, "tcp_in_syns_total", q), rate(a, b, "tx_synack_total", q),
	       rate(a, b, "tcp_syncookies_sent_total", q), rate(a, b, "tcp_syncookies_recv_total", q),
	       rate(a, b, "tcp_syncookies_failed_total", q), rate(a, b, "tcp_passive_opens_total", q),
	       rate(a, b, "tcp_retrans_segs_total", q), val(b, "connections", q),
	       val(b, "half_open", q), val(b, "time_wait", q),
	       val(b, "frames", q) - val(b, "frames_free", q) - val(b, "frames_fill", q));
}

static void print_drops(const struct sample *a, const struct sample *b)
{
	fputs("drops/s:", stdout);
	for (size_t d = 0; d < sizeof(drops) / sizeof(drops[0]); d++) {
		double r = 0;

		for (int k = 0; k < 6 && drops[d].names[k]; k++)
			r += rate(a, b, drops[d].names[k], MAX_Q - 1);
		printf(" %s %.0f", drops[d].label, r);
	}
	putchar('\n');
}

/* What the sockets got of what XDP steered: received/s, and the kernel's
 * RX drops/s (XDP_STATISTICS: RX ring full, fill ring empty, dropped). */
static void print_rx_row(const struct sample *a, const struct sample *b, int q)
{
	char label[16];

	snprintf(label, sizeof(label), q == MAX_Q - 1 ? "rx-total" : "rx-q%d", q);
	printf("%-8s %9.0f %10.0f %11.0f %9.0f\n", label, rate(a, b, "rx_frames_total", q),
	       rate(a, b, "xsk_rx_ring_full_total", q), rate(a, b, "xsk_rx_fill_ring_empty_total", q),
	       rate(a, b, "xsk_rx_dropped_total", q));
}

static void print_rx(const struct sample *a, const struct sample *b)
{
	printf("XdpSteered/s %.0f; received and dropped by the AF_XDP sockets:\n",
	       rate(a, b, "xdp_steered_total", MAX_Q - 1));
	printf("%-8s %9s %10s %11s %9s\n", "queue", "rx/s", "ringFull/s", "fillEmpty/s", "rxDrop/s");
	for (int q = 0; q < b->nq; q++)
		print_rx_row(a, b, q);
	if (b->nq > 1)
		print_rx_row(a, b, MAX_Q - 1);
}

static void show(const char *dev, const struct sample *a, const struct sample *b, bool clear)
{
	if (clear)
		fputs("\033[H\033[2J", stdout);
	printf("tern on %s: %d queue(s), rates over %.2f s\n", dev, b->nq, b->t - a->t);
	printf("%-6s %-4s %9s %9s %8s %8s %8s %8s %8s %7s %7s %7s %6s\n", "queue", "mode", "SYN/s",
	       "SYNACK/s", "ckSent/s", "ckOk/s", "ckFail/s", "opens/s", "retx/s", "conns",
	       "synrcvd", "tw", "frUse");
	for (int q = 0; q < b->nq; q++)
		print_row(a, b, q);
	if (b->nq > 1)
		print_row(a, b, MAX_Q - 1);
	print_drops(a, b);
	print_rx(a, b);
	fflush(stdout);
}

static const char top_help[] =
	"usage: ternctl top --dev IFACE [--ctl PATH] [--count N | --once]\n"
	"Live view of the daemon on IFACE, refreshed every second: SYN/s,\n"
	"SYN-ACK/s, SYN cookies sent/validated/failed per second, handshakes\n"
	"completed per second, retransmits/s, connections past the handshake\n"
	"(conns), half-open (synrcvd), TIME-WAIT (tw), UMEM frames in use (not\n"
	"free or on the fill ring), zero-copy or copy mode per queue, drops/s\n"
	"by reason; then XdpSteered/s and per queue the frames the socket\n"
	"received/s and the kernel's RX drops/s: RX ring full, fill ring empty\n"
	"(XDP_STATISTICS rx_ring_full, rx_fill_ring_empty_descs, rx_dropped).\n"
	"  -d, --dev IFACE     interface\n"
	"  -c, --ctl PATH      the daemon's control socket (default " TERN_CTL_DIR "/IFACE.sock)\n"
	"  -n, --count N       print N refreshes, one after the other, and exit\n"
	"  -1, --once          one refresh (--count 1)\n"
	"  -h, --help          this text\n";

static const struct option top_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "ctl", required_argument, NULL, 'c' },
	{ "count", required_argument, NULL, 'n' },
	{ "once", no_argument, NULL, '1' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int top_parse(int argc, char **argv, const char **dev, const char **ctl, long *count)
{
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:c:n:1h", top_opts, NULL)) != -1) {
		switch (c) {
		case 'd': *dev = optarg; break;
		case 'c': *ctl = optarg; break;
		case '1': *count = 1; break;
		case 'n':
			errno = 0;
			*count = strtol(optarg, &end, 10);
			if (errno || *end || *count < 1 || *count > 1000000) {
				fprintf(stderr, "Error: top: --count %s (1..1000000): %s\n", optarg,
					strerror(ERANGE));
				return 2;
			}
			break;
		case 'h': fputs(top_help, stdout); exit(0);
		default:
			fprintf(stderr, "Error: top: bad option '%s' (see ternctl top --help): %s\n",
				argv[optind - 1], strerror(EINVAL));
			return 2;
		}
	}
	if (optind < argc || !*dev) {
		fprintf(stderr, "Error: top: %s (see ternctl top --help): %s\n",
			optind < argc ? "unexpected argument" : "--dev is required", strerror(EINVAL));
		return 2;
	}
	return 0;
}

int ternctl_top(int argc, char **argv)
{
	const char *dev = NULL, *ctl = NULL;
	struct sample *s = calloc(2, sizeof(*s));
	char path[108], *buf = malloc(TERN_CTL_REPLY_MAX + 1);
	long count = 0; /* 0: until interrupted */
	int rc = 0, err, cur = 0;

	if (!s || !buf || (rc = top_parse(argc, argv, &dev, &ctl, &count)))
		goto out;
	snprintf(path, sizeof(path), ctl ? "%s" : TERN_CTL_DIR "/%s.sock", ctl ? ctl : dev);
	for (long i = 0; !count || i <= count; i++) {
		err = scrape(path, buf, &s[cur]);
		if (err) {
			fprintf(stderr, "Error: top: daemon on %s (control socket %s): %s\n", dev, path,
				strerror(-err));
			rc = 1;
			break;
		}
		if (i)
			show(dev, &s[!cur], &s[cur], !count && isatty(STDOUT_FILENO));
		cur = !cur;
		if (!count || i < count)
			sleep(1);
	}
out:
	free(buf);
	free(s);
	return rc;
}
