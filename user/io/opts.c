// SPDX-License-Identifier: BSD-2-Clause
/*
 * Command line of the tern daemon. Every number is range-checked; errors
 * are "Error: what: strerror" on stderr and the caller exits 2.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "user/io/ctl.h"
#include "user/io/log.h"
#include "user/io/version.h"

#include "user/app/app.h"
#include "fleet.h"
#include "opts.h"
#include "xdpcookie.h"
#include "gso.h"
#include "xsk.h"

#define MAX_QUEUES TERN_XDP_MAX_QUEUES
#define MAX_RECORDS (1u << 26) /* the core's bound on every table */

enum {
	OPT_DEV = 256, OPT_ADDR, OPT_PORT, OPT_APP, OPT_QUEUES, OPT_CPUS, OPT_MODE,
	OPT_ZEROCOPY, OPT_CTL, OPT_SYNCOOKIES, OPT_BACKLOG, OPT_MAX_CONNS,
	OPT_SYNACK_RETRIES, OPT_RTO_MIN, OPT_KEEPALIVE, OPT_USER_TIMEOUT,
	OPT_FIN_TIMEOUT, OPT_TIME_WAIT, OPT_MSS, OPT_MSS_CLAMP, OPT_BPFFS, OPT_HTTP_STATUS, OPT_HTTP_BODY,
	OPT_HTTP_HEADER, OPT_HTTP_IDLE, OPT_HELP, OPT_MAX_TW,
	OPT_BACKEND, OPT_PROXY_PROTOCOL, OPT_PROXY_BUF, OPT_BACKEND_TIMEOUT, OPT_DEFER_ACCEPT,
	OPT_BALANCE, OPT_HEALTH_INTERVAL, OPT_HEALTH_TIMEOUT, OPT_HEALTH_RISE, OPT_HEALTH_FALL,
	OPT_CONFIG, OPT_LOG, OPT_LOG_LEVEL, OPT_METRICS, OPT_METRICS_REMOTE, OPT_FRAMES, OPT_ICMP_HANDOFF,
	OPT_ALLOW_UNSERVED, OPT_BUSY_POLL, OPT_CHECK, OPT_VERSION, OPT_CC,
	OPT_RETRIES, OPT_ORPHAN_RETRIES, OPT_MAX_ORPHANS, OPT_CONN_OOO, OPT_CONN_CHUNKS,
	OPT_CONN_COPIES, OPT_RACK_SEGS, OPT_DRAIN_TIMEOUT, OPT_DRAIN_WITHDRAW,
	OPT_XDP_COOKIES, OPT_XDP_FLOW_SLOTS, OPT_COOKIE_SECRET, OPT_RMEM, OPT_WMEM, OPT_TCP_MEM,
	OPT_TX_CSUM, OPT_FRTO, OPT_TX_GSO, OPT_TX_GSO_MAX, OPT__END,
};

static const struct option longopts[] = {
	{ "dev", required_argument, NULL, OPT_DEV },
	{ "addr", required_argument, NULL, OPT_ADDR },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "app", required_argument, NULL, OPT_APP },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "allow-unserved-queues", no_argument, NULL, OPT_ALLOW_UNSERVED },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "zerocopy", required_argument, NULL, OPT_ZEROCOPY },
	{ "tx-csum", required_argument, NULL, OPT_TX_CSUM },
	{ "tx-gso", required_argument, NULL, OPT_TX_GSO },
	{ "tx-gso-max", required_argument, NULL, OPT_TX_GSO_MAX },
	{ "ctl", required_argument, NULL, OPT_CTL },
	{ "syncookies", required_argument, NULL, OPT_SYNCOOKIES },
	{ "backlog", required_argument, NULL, OPT_BACKLOG },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "max-tw", required_argument, NULL, OPT_MAX_TW },
	{ "frames", required_argument, NULL, OPT_FRAMES },
	{ "icmp-handoff", required_argument, NULL, OPT_ICMP_HANDOFF },
	{ "synack-retries", required_argument, NULL, OPT_SYNACK_RETRIES },
	{ "rto-min", required_argument, NULL, OPT_RTO_MIN },
	{ "cc", required_argument, NULL, OPT_CC },
	{ "frto", required_argument, NULL, OPT_FRTO },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "orphan-retries", required_argument, NULL, OPT_ORPHAN_RETRIES },
	{ "max-orphans", required_argument, NULL, OPT_MAX_ORPHANS },
	{ "conn-ooo", required_argument, NULL, OPT_CONN_OOO },
	{ "conn-chunks", required_argument, NULL, OPT_CONN_CHUNKS },
	{ "conn-copies", required_argument, NULL, OPT_CONN_COPIES },
	{ "rack-segs", required_argument, NULL, OPT_RACK_SEGS },
	{ "drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT },
	{ "drain-withdraw-delay", required_argument, NULL, OPT_DRAIN_WITHDRAW },
	{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
	{ "user-timeout", required_argument, NULL, OPT_USER_TIMEOUT },
	{ "fin-timeout", required_argument, NULL, OPT_FIN_TIMEOUT },
	{ "time-wait", required_argument, NULL, OPT_TIME_WAIT },
	{ "mss", required_argument, NULL, OPT_MSS },
	{ "mss-clamp", required_argument, NULL, OPT_MSS_CLAMP },
	{ "bpffs", required_argument, NULL, OPT_BPFFS },
	{ "http-status", required_argument, NULL, OPT_HTTP_STATUS },
	{ "http-body", required_argument, NULL, OPT_HTTP_BODY },
	{ "http-header", required_argument, NULL, OPT_HTTP_HEADER },
	{ "http-idle", required_argument, NULL, OPT_HTTP_IDLE },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "proxy-protocol", required_argument, NULL, OPT_PROXY_PROTOCOL },
	{ "proxy-buf", required_argument, NULL, OPT_PROXY_BUF },
	{ "backend-timeout", required_argument, NULL, OPT_BACKEND_TIMEOUT },
	{ "defer-accept", required_argument, NULL, OPT_DEFER_ACCEPT },
	{ "balance", required_argument, NULL, OPT_BALANCE },
	{ "health-interval", required_argument, NULL, OPT_HEALTH_INTERVAL },
	{ "health-timeout", required_argument, NULL, OPT_HEALTH_TIMEOUT },
	{ "health-rise", required_argument, NULL, OPT_HEALTH_RISE },
	{ "health-fall", required_argument, NULL, OPT_HEALTH_FALL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "metrics-remote", no_argument, NULL, OPT_METRICS_REMOTE },
	{ "xdp-cookies", required_argument, NULL, OPT_XDP_COOKIES },
	{ "xdp-flow-slots", required_argument, NULL, OPT_XDP_FLOW_SLOTS },
	{ "cookie-secret", required_argument, NULL, OPT_COOKIE_SECRET },
	{ "rmem", required_argument, NULL, OPT_RMEM },
	{ "wmem", required_argument, NULL, OPT_WMEM },
	{ "tcp-mem", required_argument, NULL, OPT_TCP_MEM },
	{ NULL, 0, NULL, 0 },
};

void tern_args__usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s --dev IFACE --addr IP [--addr IP6 ...] --port PORT [--port PORT ...]\n"
		"          [options]\n"
		"Terminate TCP for every --addr x --port on IFACE with AF_XDP.\n"
		"Durations take ms, s, m or h (a bare number is in the unit shown, MS or S);\n"
		"sizes take k, m or g (KiB, MiB, GiB).\n"
		"  --check                    check the options, the file and IFACE, attach\n"
		"                             nothing, exit 0 (good) or 2 (see the error)\n"
		"  -V, --version              tern's and its libraries' versions\n"
		"  --app NAME                 application (echo, discard, http, proxy; default echo)\n"
		"  --queues N                 serve queues 0..N-1 (default: every RX queue of\n"
		"                             IFACE, max %u); fewer is refused unless:\n"
		"  --allow-unserved-queues    drop service frames on the queues tern does not\n"
		"                             serve (counted: XdpDropUnserved)\n"
		"  --cpus LIST                pin worker i to the i-th CPU of LIST (e.g. 0,2-3;\n"
		"                             default: the CPU of the queue's interrupt, else\n"
		"                             the i-th CPU tern may run on)\n"
		"  --busy-poll USECS[,BUDGET] SO_PREFER_BUSY_POLL, SO_BUSY_POLL=USECS and\n"
		"                             SO_BUSY_POLL_BUDGET=BUDGET (default 64) on every\n"
		"                             socket (default off)\n"
		"  --mode native|skb          XDP attach mode when tern loads it (default native)\n"
		"  --zerocopy auto|on|off     AF_XDP zero-copy (default auto: fall back to copy)\n"
		"  --tx-csum auto|sw|offload  TCP checksums of sent frames: offload completes them\n"
		"                             in the kernel or NIC (AF_XDP TX metadata, Linux\n"
		"                             6.11+); auto (default) offloads in copy mode when\n"
		"                             the kernel allows, sw sums them in tern\n"
		"  --tx-gso auto|on|off       runs of data segments leave as one frame the\n"
		"                             kernel or NIC segments (AF_PACKET, GSO); auto\n"
		"                             (default) in copy mode only\n"
		"  --tx-gso-max BYTES         such a frame's IP datagram at most (default and\n"
		"                             max 65535)\n"
		"  --ctl PATH                 control socket (default /run/tern/IFACE.sock)\n"
		"  --syncookies never|auto|always   (default auto)\n"
		"  --xdp-cookies never|overload|always   SYN cookies answered in XDP (default\n"
		"                             overload: while the queue is overloaded)\n"
		"  --xdp-flow-slots N         flow filter counters per queue that XDP checks\n"
		"                             segments to no flow against, a power of two\n"
		"                             1..%u (default %u)\n"
		"  --cookie-secret FILE       SYN cookie keys shared by a fleet, from FILE (32..4096\n"
		"                             random bytes, mode 0600, owned by tern's user;\n"
		"                             default: keys of this host only)\n"
		"  --backlog N                half-open records per queue (default 4096)\n"
		"  --max-conns N              connections per queue (default 65536)\n"
		"  --max-tw N                 TIME-WAIT records per queue (default 65536)\n"
		"  --frames N                 UMEM frames of 2 KiB per queue, a power of two\n"
		"                             %u..%u (default %u)\n"
		"  --icmp-handoff N           ICMP errors other queues may hand a queue between\n"
		"                             two of its passes, a power of two up to %u;\n"
		"                             0: none handed over (default %u)\n"
		"  --synack-retries N         (default 5)\n"
		"  --rto-min MS               (default 200)\n"
		"  --cc cubic|reno|bbr        congestion control (default cubic)\n"
		"  --frto 0|1|2               F-RTO: after a timeout, new data first, and undo\n"
		"                             if an original arrives (tcp_frto; 0 off, 1 and 2\n"
		"                             alike; default 2)\n"
		"  --retries N                data retransmissions before a reset\n"
		"                             (tcp_retries2; default 15)\n"
		"  --orphan-retries N         the same once the application closed\n"
		"                             (tcp_orphan_retries; default 0: 8)\n"
		"  --max-orphans N            closed connections still alive per queue; a\n"
		"                             close beyond it resets (default max-conns/2)\n"
		"  --conn-ooo N               out-of-order segments one connection may keep\n"
		"  --conn-chunks N            send buffers one connection may queue\n"
		"  --conn-copies N            2 KiB copy blocks one connection may hold\n"
		"                             (the last two default to a quarter of the\n"
		"                             queue's pool; at the bound a send gets EAGAIN)\n"
		"  --rack-segs N[,M]          per-segment records for RACK loss detection,\n"
		"                             per queue (default 65536: 1 MiB of records;\n"
		"                             0 turns RACK off: DupThresh only), M of them\n"
		"                             per connection (default N/4; beyond it the\n"
		"                             connection uses DupThresh until idle)\n"
		"  --rmem MIN,DEF,MAX         receive window per connection: starts at DEF,\n"
		"                             grows with what the application reads up to\n"
		"                             MAX (which picks the window scale), shrinks\n"
		"                             toward MIN under pressure (tcp_rmem; default\n"
		"                             4k,256k,6m)\n"
		"  --wmem MIN,DEF,MAX         send buffer per connection, grows with cwnd\n"
		"                             (tcp_wmem; default 4k,256k,4m)\n"
		"  --tcp-mem LOW,PRESSURE,MAX bytes a queue's connections may hold: buffers\n"
		"                             grow below LOW, shrink above PRESSURE; at MAX\n"
		"                             sends get EAGAIN and held data is dropped\n"
		"                             (tcp_mem; default 64m,96m,128m)\n"
		"  --keepalive IDLE,INTVL,COUNT   seconds, seconds, probes (default off)\n"
		"  --user-timeout MS          TCP_USER_TIMEOUT (default 0: off)\n"
		"  --fin-timeout S            orphaned FIN-WAIT-2 (default 60)\n"
		"  --time-wait S              TIME-WAIT length (default 60)\n"
		"  --drain-timeout MS         on stop, FIN every connection and RST those\n"
		"                             still open after MS, 0..1h (default 2s)\n"
		"  --drain-withdraw-delay MS  on stop, fail `ternctl health` at once and keep\n"
		"                             serving (new connections too) for MS before\n"
		"                             the drain, so a BGP speaker withdraws the\n"
		"                             route first, 0..10min (default 0)\n"
		"  --mss N                    our MSS for IPv4 (MTU = N + 40; default: the\n"
		"                             interface MTU - 40)\n"
		"  --mss-clamp N              our MSS, advertised and used, at most N in\n"
		"                             IPv4 and IPv6 (default: no clamp)\n"
		"  --bpffs DIR                bpffs for pins and libxdp (default %s)\n"
		"  --config FILE              settings file (tern.conf(5)); flags override it\n"
		"  --log stderr|syslog        where messages go (default stderr)\n"
		"  --log-level err|warn|info|debug   (default info)\n"
		"  --metrics ADDR:PORT        serve HTTP /metrics (Prometheus) on a loopback\n"
		"                             address, e.g. 127.0.0.1:10188 or [::1]:10188\n"
		"  --metrics-remote           allow a --metrics address that is not loopback\n"
		"--app http (a static response to every request):\n"
		"  --http-status N            status code, 200..599 (default 200)\n"
		"  --http-body FILE           body, read once at start (max 1 MiB; default \"tern\\n\")\n"
		"  --http-header 'Name: value'    extra response header (repeatable, max %d)\n"
		"  --http-idle S              close idle keep-alive connections (default 10)\n"
		"--app proxy (relay to backends over the kernel's TCP):\n"
		"  --backend IP:PORT|[IP6]:PORT   a backend (repeatable, max %d; required)\n"
		"  --proxy-protocol v1|v2     PROXY protocol header to the backend (default none)\n"
		"  --proxy-buf [INIT,]MAX     buffer per direction per connection: starts at\n"
		"                             INIT (default the smaller of MAX and %u), doubles\n"
		"                             up to MAX while it limits the transfer; powers of\n"
		"                             two %u..%u (default MAX %u)\n"
		"  --backend-timeout MS       backend connect timeout (default %u)\n"
		"  --defer-accept S           connect at the client's first byte; RST a client\n"
		"                             silent for S seconds (default off)\n"
		"  --balance rr|leastconn     backend choice over healthy backends (default rr)\n"
		"  --health-interval MS       TCP health check period, 0: off (default %u)\n"
		"  --health-timeout MS        (default %u)\n"
		"  --health-rise N            successes to put a backend back (default %u)\n"
		"  --health-fall N            failures to take a backend out (default %u)\n",
		prog, MAX_QUEUES, TERN_FLOW_SLOTS_MAX, TERN_XDPC_FLOW_SLOTS, TERN_XSK_FRAMES_MIN,
		TERN_XSK_FRAMES_MAX, TERN_XSK_FRAMES, TERN_ARGS_ICMP_HANDOFF_MAX,
		TERN_ARGS_ICMP_HANDOFF_DEF,
		TERN_LOADER_BPFFS, TERN_APP_HTTP_MAX_HEADERS,
		TERN_PROXY_MAX_BACKENDS, TERN_PROXY_BUF_INIT_DEF, TERN_PROXY_BUF_MIN, TERN_PROXY_BUF_MAX,
		TERN_PROXY_BUF_DEF,
		TERN_PROXY_CONNECT_MS_DEF, TERN_PROXY_HEALTH_INTERVAL_MS_DEF,
		TERN_PROXY_HEALTH_TIMEOUT_MS_DEF, TERN_PROXY_HEALTH_RISE_DEF,
		TERN_PROXY_HEALTH_FALL_DEF);
}

/* Where parse errors go (a reload collects them), and the "file:line: "
 * of the setting being parsed from the configuration file. */
static FILE *errf;
static char where[300];

/*
 * A usage error: "Error: [FILE:LINE: ]OPTION [VALUE]: why; see tern --help".
 * It names the option and the value, and says what is wrong in words,
 * never with an errno text (a file tern could not read is the exception:
 * there the errno text is the reason).
 */
static int fail(const char *opt, const char *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(const char *opt, const char *arg, const char *fmt, ...)
{
	va_list ap;

	fprintf(errf, "Error: %s%s%s%s: ", where, opt, arg ? " " : "", arg ? arg : "");
	va_start(ap, fmt);
	vfprintf(errf, fmt, ap);
	va_end(ap);
	fprintf(errf, "; see tern --help\n");
	return -EINVAL;
}

/* Decimal in [min, max]; 0 or -EINVAL (printed). */
static int parse_u32(const char *what, const char *s, uint32_t min, uint32_t max,
		     uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return fail(what, s, "not a number");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return fail(what, s, "not a number");
	if (errno || v < min || v > max)
		return fail(what, s, "out of range %u..%u", min, max);
	*out = (uint32_t)v;
	return 0;
}

static int parse_addr(struct tern_args *a, const char *s)
{
	int fam;

	if (a->naddrs >= TERN_ARGS_MAX_ADDRS)
		return fail("--addr", s, "too many (at most %d)", TERN_ARGS_MAX_ADDRS);
	if (tern_loader__parse_addr(s, a->addrs[a->naddrs].b, &fam) < 0)
		return fail("--addr", s, "not an IPv4 or IPv6 address");
	for (int i = 0; i < a->naddrs; i++)
		if (!memcmp(&a->addrs[i], &a->addrs[a->naddrs], sizeof(a->addrs[i])))
			return fail("--addr", s, "given twice");
	a->families[a->naddrs++] = fam;
	return 0;
}

static int parse_port(struct tern_args *a, const char *s)
{
	uint32_t v;

	if (a->nports >= TERN_ARGS_MAX_PORTS)
		return fail("--port", s, "too many (at most %d)", TERN_ARGS_MAX_PORTS);
	if (parse_u32("--port", s, 1, 65535, &v))
		return -EINVAL;
	for (int i = 0; i < a->nports; i++)
		if (a->ports[i] == v)
			return fail("--port", s, "given twice");
	a->ports[a->nports++] = (uint16_t)v;
	return 0;
}

/* One "N" or "N-M" item of a CPU list. */
static int parse_cpu_item(struct tern_args *a, char *item, const char *all)
{
	uint32_t lo, hi;
	char *dash = strchr(item, '-');

	if (dash)
		*dash = '\0';
	if (parse_u32("--cpus", item, 0, TERN_ARGS_MAX_CPUS - 1, &lo))
		return -EINVAL;
	hi = lo;
	if (dash && parse_u32("--cpus", dash + 1, lo, TERN_ARGS_MAX_CPUS - 1, &hi))
		return -EINVAL;
	for (uint32_t c = lo; c <= hi; c++) {
		if (a->ncpus >= TERN_ARGS_MAX_CPUS)
			return fail("--cpus", all, "more than %d CPUs", TERN_ARGS_MAX_CPUS);
		a->cpus[a->ncpus++] = (uint16_t)c;
	}
	return 0;
}

static int parse_cpus(struct tern_args *a, const char *s)
{
	char buf[256], *save = NULL, *item;

	if (strlen(s) >= sizeof(buf))
		return fail("--cpus", s, "too long");
	strcpy(buf, s);
	a->ncpus = 0;
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if (parse_cpu_item(a, item, s))
			return -EINVAL;
	if (!a->ncpus)
		return fail("--cpus", s, "not a CPU list (e.g. 0,2-3)");
	return 0;
}

/* Index of s in names[], or -EINVAL (printed). */
static int parse_word(const char *what, const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	fprintf(errf, "Error: %s%s %s: not one of", where, what, s);
	for (int i = 0; i < n; i++)
		fprintf(errf, "%s %s", i ? "," : "", names[i]);
	fprintf(errf, "; see tern --help\n");
	return -EINVAL;
}

/*
 * A duration: digits, then an optional unit (ms, s, m, h); a bare number
 * is in the option's own unit (unit_ms: 1 for milliseconds, 1000 for
 * seconds). The result, in milliseconds, must lie in [min_ms, max_ms] and
 * be a whole number of the option's unit.
 */
static int parse_duration(const char *what, const char *s, uint32_t unit_ms, uint64_t min_ms,
			  uint64_t max_ms, uint32_t *out_ms)
{
	static const struct { const char *sfx; uint32_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	uint64_t scale = 0, ms;
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return fail(what, s, "not a duration (e.g. 500ms, 3s, 2m)");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*end)
		scale = unit_ms;
	for (size_t i = 0; *end && i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].sfx))
			scale = units[i].ms;
	if (!scale)
		return fail(what, s, "unknown unit (ms, s, m, h)");
	ms = v * scale;
	if (errno || v > UINT32_MAX || ms < min_ms || ms > max_ms)
		return fail(what, s, "out of range %llu..%llu%s", (unsigned long long)(min_ms / unit_ms),
			    (unsigned long long)(max_ms / unit_ms), unit_ms == 1 ? "ms" : "s");
	if (ms % unit_ms)
		return fail(what, s, "not a whole number of seconds");
	*out_ms = (uint32_t)ms;
	return 0;
}

/* Seconds 1..max_s, as milliseconds. */
static int parse_secs(const char *what, const char *s, uint32_t max_s, uint32_t *ms)
{
	return parse_duration(what, s, 1000, 1000, (uint64_t)max_s * 1000, ms);
}

/* Seconds 1..86400 (a day), as milliseconds. */
static int parse_secs_ms(const char *what, const char *s, uint32_t *ms)
{
	return parse_secs(what, s, 86400, ms);
}

static int parse_ms(const char *what, const char *s, uint32_t min, uint32_t max, uint32_t *ms)
{
	return parse_duration(what, s, 1, min, max, ms);
}

/* Bytes: digits, then an optional k, m or g (KiB, MiB, GiB). */
static int parse_size(const char *what, const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return fail(what, s, "not a size (e.g. 65536, 64k, 4m)");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end && !end[1])
		mult = *end == 'k' ? 1u << 10 : *end == 'm' ? 1u << 20 : *end == 'g' ? 1u << 30 : 0;
	if (!mult || (*end && end[1]))
		return fail(what, s, "unknown unit (k, m, g)");
	if (errno || v > UINT32_MAX || v * mult < min || v * mult > max)
		return fail(what, s, "out of range %u..%u bytes", min, max);
	*out = (uint32_t)(v * mult);
	return 0;
}

/* --proxy-buf [INIT,]MAX: powers of two, INIT <= MAX. */
static int parse_proxy_buf(struct tern_proxy_opts *o, const char *s)
{
	const char *comma = strchr(s, ',');
	char init[32];

	o->buf_init = 0;
	if (comma) {
		if ((size_t)(comma - s) >= sizeof(init))
			return fail("--proxy-buf", s, "too long");
		memcpy(init, s, (size_t)(comma - s));
		init[comma - s] = 0;
		if (parse_size("--proxy-buf", init, TERN_PROXY_BUF_MIN, TERN_PROXY_BUF_MAX,
			       &o->buf_init))
			return -EINVAL;
		s = comma + 1;
	}
	if (parse_size("--proxy-buf", s, TERN_PROXY_BUF_MIN, TERN_PROXY_BUF_MAX, &o->buf))
		return -EINVAL;
	if ((o->buf & (o->buf - 1)) || (o->buf_init & (o->buf_init - 1)))
		return fail("--proxy-buf", s, "not a power of two");
	return o->buf_init > o->buf ? fail("--proxy-buf", s, "INIT above MAX") : 0;
}

static int parse_keepalive(struct tern_args *a, const char *s)
{
	char buf[64], *p[3], *save = NULL;
	uint32_t v[3];
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		return fail("--keepalive", s, "too long");
	strcpy(buf, s);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == 3)
			return fail("--keepalive", s, "not IDLE,INTVL,COUNT");
		p[n++] = t;
	}
	if (n != 3)
		return fail("--keepalive", s, "not IDLE,INTVL,COUNT");
	/* Linux's bounds: MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL 32767 s; the
	 * core holds the count in a byte. */
	if (parse_secs("--keepalive IDLE", p[0], 32767, &v[0]) ||
	    parse_secs("--keepalive INTVL", p[1], 32767, &v[1]) ||
	    parse_u32("--keepalive COUNT", p[2], 1, 127, &v[2]))
		return -EINVAL;
	a->lopts.keepalive_idle_s = v[0] / 1000;
	a->lopts.keepalive_intvl_s = v[1] / 1000;
	a->lopts.keepalive_cnt = v[2];
	return 0;
}

/* MIN,DEF,MAX sizes, in order (--rmem, --wmem, --tcp-mem). */
static int parse_size3(const char *what, const char *s, uint32_t max, uint32_t v[3])
{
	char buf[96], *p[3], *save = NULL;
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		return fail(what, s, "too long");
	strcpy(buf, s);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == 3)
			return fail(what, s, "not three sizes A,B,C");
		p[n++] = t;
	}
	if (n != 3)
		return fail(what, s, "not three sizes A,B,C");
	for (int i = 0; i < 3; i++)
		if (parse_size(what, p[i], i == 1 ? 1 : 0, max, &v[i]))
			return -EINVAL;
	if (v[0] > v[1] || v[1] > v[2])
		return fail(what, s, "not in increasing order");
	return 0;
}

static int parse_mem(struct tern_cfg *c, int opt, const char *s)
{
	uint32_t v[3];

	if (opt == OPT_TCP_MEM) {
		if (parse_size3("--tcp-mem", s, UINT32_MAX, v))
			return -EINVAL;
		memcpy(c->mem, v, sizeof(v));
		return 0;
	}
	if (parse_size3(opt == OPT_RMEM ? "--rmem" : "--wmem", s, 1u << 30, v))
		return -EINVAL;
	if (opt == OPT_RMEM) {
		c->rmem_min = v[0];
		c->rcv_wnd = v[1];
		c->rmem_max = v[2];
	} else {
		c->wmem_min = v[0];
		c->snd_buf = v[1];
		c->wmem_max = v[2];
	}
	return 0;
}

static int parse_small(const char *what, const char *s, uint32_t min, uint32_t max,
		       uint8_t *out)
{
	uint32_t v;

	if (parse_u32(what, s, min, max, &v))
		return -EINVAL;
	*out = (uint8_t)v;
	return 0;
}


static int parse_mss(struct tern_args *a, const char *s, uint32_t max_frame)
{
	/* frame = Ethernet 14 + VLAN 4 + MTU; IPv4 MSS = MTU - 40. */
	uint32_t max = max_frame - 18 - 40, v;

	if (parse_u32("--mss", s, TERN_ARGS_MSS_MIN, max, &v))
		return -EINVAL;
	a->cfg.mtu = (uint16_t)(v + 40);
	a->mss = v;
	return 0;
}

/* USECS[,BUDGET]: net.core.busy_poll's range, and NAPI_POLL_WEIGHT's
 * default budget; USECS 0 is off. */
static int parse_busy_poll(struct tern_args *a, const char *s)
{
	char buf[32], *comma;

	if (strlen(s) >= sizeof(buf))
		return fail("--busy-poll", s, "not USECS[,BUDGET]");
	strcpy(buf, s);
	comma = strchr(buf, ',');
	if (comma)
		*comma = '\0';
	a->busy_poll_budget = 64;
	if (parse_u32("--busy-poll USECS", buf, 0, 1000000, &a->busy_poll_us) ||
	    (comma && parse_u32("--busy-poll BUDGET", comma + 1, 1, 65535, &a->busy_poll_budget)))
		return -EINVAL;
	return 0;
}

static int parse_u16(const char *what, const char *s, uint16_t *out)
{
	uint32_t v;

	if (parse_u32(what, s, 1, UINT16_MAX, &v))
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* Like iptables TCPMSS --set-mss: any value; one above the MSS the MTU
 * gives changes nothing. */
static int parse_mss_clamp(struct tern_cfg *c, const char *s)
{
	uint32_t v;

	if (parse_u32("--mss-clamp", s, TERN_ARGS_MSS_MIN, UINT16_MAX, &v))
		return -EINVAL;
	c->mss_clamp = (uint16_t)v;
	return 0;
}

static int parse_frames(struct tern_args *a, const char *s)
{
	if (parse_u32("--frames", s, TERN_XSK_FRAMES_MIN, TERN_XSK_FRAMES_MAX, &a->frames))
		return -EINVAL;
	return a->frames & (a->frames - 1) ? fail("--frames", s, "not a power of two") : 0;
}

static int parse_icmp_handoff(struct tern_args *a, const char *s)
{
	uint32_t *n = &a->icmp_handoff;

	if (parse_u32("--icmp-handoff", s, 0, TERN_ARGS_ICMP_HANDOFF_MAX, n))
		return -EINVAL;
	if (*n == 1 || (*n & (*n - 1)))
		return fail("--icmp-handoff", s, "not 0 or a power of two from 2");
	return 0;
}

static int parse_enum(struct tern_args *a, int opt, const char *s)
{
	static const char *const modes[] = { "native", "skb" };
	static const char *const zc[] = { "auto", "on", "off" };
	static const char *const csum[] = { "auto", "sw", "offload" }; /* enum tern_tx_csum_mode */
	static const char *const gso[] = { "auto", "off", "on" }; /* enum tern_gso_mode */
	static const char *const cookies[] = { "never", "auto", "always" };
	static const char *const ccs[] = { "cubic", "reno", "bbr" }; /* enum tern_cc_algo */
	int r;

	switch (opt) {
	case OPT_CC:
		r = parse_word("--cc", s, ccs, 3);
		a->cfg.cc = (uint8_t)(r < 0 ? TERN_CC_CUBIC : r);
		return r < 0 ? r : 0;
	case OPT_MODE:
		r = parse_word("--mode", s, modes, 2);
		a->mode = r == 1 ? TERN_XDP_MODE_SKB : TERN_XDP_MODE_NATIVE;
		return r < 0 ? r : 0;
	case OPT_ZEROCOPY:
		r = parse_word("--zerocopy", s, zc, 3);
		a->zerocopy = (enum tern_zc_mode)(r < 0 ? 0 : r);
		return r < 0 ? r : 0;
	case OPT_TX_CSUM:
		r = parse_word("--tx-csum", s, csum, 3);
		a->tx_csum = r < 0 ? TERN_TX_CSUM_AUTO : r;
		return r < 0 ? r : 0;
	case OPT_TX_GSO:
		r = parse_word("--tx-gso", s, gso, 3);
		a->tx_gso = r < 0 ? TERN_GSO_AUTO : r;
		return r < 0 ? r : 0;
	default:
		r = parse_word("--syncookies", s, cookies, 3);
		a->cfg.syncookies = (uint8_t)(r < 0 ? 0 : r);
		return r < 0 ? r : 0;
	}
}

/* The whole of a regular file of at most TERN_APP_HTTP_MAX_BODY bytes;
 * lives as long as the process. */
static int parse_http_body(struct tern_app_opts *o, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f)
		return fail("--http-body", path, "%s", strerror(errno));
	buf = malloc(TERN_APP_HTTP_MAX_BODY + 1);
	if (!buf) {
		fclose(f);
		return fail("--http-body", path, "%s", strerror(ENOMEM));
	}
	n = fread(buf, 1, TERN_APP_HTTP_MAX_BODY + 1, f);
	if (ferror(f)) {
		int err = errno ? errno : EIO;

		fclose(f);
		free(buf);
		return fail("--http-body", path, "%s", strerror(err));
	}
	fclose(f);
	if (n > TERN_APP_HTTP_MAX_BODY) {
		free(buf);
		return fail("--http-body", path, "larger than %u bytes", TERN_APP_HTTP_MAX_BODY);
	}
	free((void *)o->http_body);
	o->http_body = buf;
	o->http_body_len = (uint32_t)n;
	return 0;
}

/* The file is checked (and read) now, so that --check and a reload see
 * what a start would; its keys are derived at start (fleet.h). */
static int parse_cookie_secret(struct tern_args *a, const char *path)
{
	char why[128];

	if (tern_fleet__load(path, NULL, why, sizeof(why)))
		return fail("--cookie-secret", path, "%s", why);
	a->cookie_secret = path;
	return 0;
}

/* "Name: value": a token, a colon, no CR/LF/control bytes; not one of the
 * headers the responder writes itself. */
static int parse_http_header(struct tern_app_opts *o, const char *s)
{
	static const char *const own[] = { "content-length", "connection",
					   "transfer-encoding", "server" };
	const char *colon = strchr(s, ':');
	size_t n;

	if (o->http_nheaders >= TERN_APP_HTTP_MAX_HEADERS)
		return fail("--http-header", s, "too many (at most %d)", TERN_APP_HTTP_MAX_HEADERS);
	if (!colon || colon == s || strlen(s) > 1024)
		return fail("--http-header", s, "not 'Name: value'");
	for (const char *p = s; p < colon; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-.^_`|~", *p)))
			return fail("--http-header", s, "bad header name");
	for (const char *p = colon + 1; *p; p++)
		if (((unsigned char)*p < ' ' && *p != '\t') || *p == 0x7f)
			return fail("--http-header", s, "control character (CR, LF) in the value");
	n = (size_t)(colon - s);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (n == strlen(own[i]) && !strncasecmp(s, own[i], n))
			return fail("--http-header", s, "tern writes this header itself");
	o->http_headers[o->http_nheaders++] = s;
	return 0;
}

static int parse_backend(struct tern_proxy_opts *o, const char *s)
{
	if (o->nbackends >= TERN_PROXY_MAX_BACKENDS)
		return fail("--backend", s, "too many (at most %d)", TERN_PROXY_MAX_BACKENDS);
	if (tern_proxy__parse_backend(&o->backends[o->nbackends], s))
		return fail("--backend", s, "not IP:PORT or [IP6]:PORT");
	o->nbackends++;
	return 0;
}

static int parse_proxy(struct tern_proxy_opts *o, int opt, const char *s)
{
	static const char *const versions[] = { "v1", "v2" };
	static const char *const balances[] = { "rr", "leastconn" };
	uint32_t v;
	int r;

	switch (opt) {
	case OPT_BACKEND: return parse_backend(o, s);
	case OPT_PROXY_PROTOCOL:
		r = parse_word("--proxy-protocol", s, versions, 2);
		o->proxy_protocol = (uint8_t)(r < 0 ? 0 : r + 1);
		return r < 0 ? r : 0;
	case OPT_BALANCE:
		r = parse_word("--balance", s, balances, 2);
		o->balance = (uint8_t)(r < 0 ? 0 : r);
		return r < 0 ? r : 0;
	case OPT_PROXY_BUF: return parse_proxy_buf(o, s);
	case OPT_BACKEND_TIMEOUT:
		return parse_ms("--backend-timeout", s, 1, 600000, &o->connect_ms);
	case OPT_DEFER_ACCEPT: return parse_secs_ms("--defer-accept", s, &o->defer_accept_ms);
	case OPT_HEALTH_INTERVAL:
		if (parse_ms("--health-interval", s, 0, 3600000, &v))
			return -EINVAL;
		o->health_interval_ms = v ? v : UINT32_MAX;
		return 0;
	case OPT_HEALTH_TIMEOUT:
		return parse_ms("--health-timeout", s, 1, 600000, &o->health_timeout_ms);
	case OPT_HEALTH_RISE: return parse_small("--health-rise", s, 1, 100, &o->health_rise);
	default: return parse_small("--health-fall", s, 1, 100, &o->health_fall);
	}
}

static int parse_log(struct tern_args *a, const char *s)
{
	static const char *const dests[] = { "stderr", "syslog" };
	int r = parse_word("--log", s, dests, 2);

	a->log_syslog = r == 1;
	return r < 0 ? r : 0;
}

/* --rack-segs N[,M]: the pool and the per-connection share. */
static int parse_rack_segs(struct tern_cfg *c, const char *s)
{
	char n[16];
	const char *comma = strchr(s, ',');
	size_t len = comma ? (size_t)(comma - s) : strlen(s);

	if (len >= sizeof(n))
		return fail("--rack-segs", s, "not N or N,M");
	memcpy(n, s, len);
	n[len] = 0;
	c->rack_segs_per_conn = 0;
	if (parse_u32("--rack-segs", n, 0, MAX_RECORDS, &c->rack_segs))
		return -EINVAL;
	return comma ? parse_u32("--rack-segs", comma + 1, 1, MAX_RECORDS, &c->rack_segs_per_conn)
		     : 0;
}

static int parse_one(struct tern_args *a, int opt, const char *s, uint32_t max_frame)
{
	struct tern_cfg *c = &a->cfg;

	switch (opt) {
	case OPT_DEV: a->dev = s; return 0;
	case OPT_ADDR: return parse_addr(a, s);
	case OPT_PORT: return parse_port(a, s);
	case OPT_APP: a->app_name = s; return 0;
	case OPT_QUEUES: return parse_u32("--queues", s, 1, MAX_QUEUES, &a->queues);
	case OPT_ALLOW_UNSERVED: a->allow_unserved = true; return 0;
	case OPT_CPUS: return parse_cpus(a, s);
	case OPT_BUSY_POLL: return parse_busy_poll(a, s);
	case OPT_MODE: case OPT_ZEROCOPY: case OPT_SYNCOOKIES: case OPT_CC: case OPT_TX_CSUM:
	case OPT_TX_GSO:
		return parse_enum(a, opt, s);
	case OPT_TX_GSO_MAX:
		return parse_size("--tx-gso-max", s, TERN_GSO_MIN_BYTES, TERN_GSO_MAX_BYTES,
				  &a->tx_gso_max);
	case OPT_CTL: a->ctl = s; return 0;
	case OPT_BACKLOG: return parse_u32("--backlog", s, 1, MAX_RECORDS, &c->backlog);
	case OPT_MAX_CONNS: return parse_u32("--max-conns", s, 1, MAX_RECORDS, &c->max_conns);
	case OPT_MAX_TW: return parse_u32("--max-tw", s, 1, MAX_RECORDS, &c->max_tw);
	case OPT_FRAMES: return parse_frames(a, s);
	case OPT_ICMP_HANDOFF: return parse_icmp_handoff(a, s);
	case OPT_RETRIES: return parse_small("--retries", s, 1, 255, &c->retries);
	case OPT_ORPHAN_RETRIES:
		return parse_small("--orphan-retries", s, 0, 255, &c->orphan_retries);
	case OPT_MAX_ORPHANS: return parse_u32("--max-orphans", s, 1, MAX_RECORDS, &c->max_orphans);
	case OPT_CONN_OOO: return parse_u16("--conn-ooo", s, &c->ooo_per_conn);
	case OPT_CONN_CHUNKS:
		return parse_u32("--conn-chunks", s, 1, MAX_RECORDS, &c->chunks_per_conn);
	case OPT_CONN_COPIES:
		return parse_u32("--conn-copies", s, 1, MAX_RECORDS, &c->copies_per_conn);
	case OPT_RACK_SEGS: return parse_rack_segs(c, s);
	case OPT_SYNACK_RETRIES: return parse_small("--synack-retries", s, 0, 255, &c->synack_retries);
	case OPT_RTO_MIN: return parse_ms("--rto-min", s, 1, 120000, &c->rto_min_ms);
	case OPT_FRTO: return parse_small("--frto", s, 0, 2, &c->frto);
	case OPT_KEEPALIVE: return parse_keepalive(a, s);
	case OPT_RMEM: case OPT_WMEM: case OPT_TCP_MEM: return parse_mem(c, opt, s);
	case OPT_USER_TIMEOUT:
		return parse_ms("--user-timeout", s, 0, INT32_MAX, &a->lopts.user_timeout_ms);
	case OPT_FIN_TIMEOUT: return parse_secs_ms("--fin-timeout", s, &c->fin_timeout_ms);
	case OPT_TIME_WAIT: return parse_secs_ms("--time-wait", s, &c->time_wait_ms);
	case OPT_DRAIN_TIMEOUT:
		return parse_ms("--drain-timeout", s, 0, 3600000, &a->drain_ms);
	case OPT_DRAIN_WITHDRAW:
		return parse_ms("--drain-withdraw-delay", s, 0, 600000, &a->withdraw_ms);
	case OPT_MSS: return parse_mss(a, s, max_frame);
	case OPT_MSS_CLAMP:
		return parse_mss_clamp(c, s);
	case OPT_BPFFS: a->bpffs = s; return 0;
	case OPT_HTTP_STATUS:
		return parse_u32("--http-status", s, 200, 599, &a->app_opts.http_status);
	case OPT_HTTP_BODY: return parse_http_body(&a->app_opts, s);
	case OPT_HTTP_HEADER: return parse_http_header(&a->app_opts, s);
	case OPT_HTTP_IDLE: return parse_secs_ms("--http-idle", s, &a->app_opts.http_idle_ms);
	case OPT_BACKEND ... OPT_HEALTH_FALL: return parse_proxy(&a->app_opts.proxy, opt, s);
	case OPT_CONFIG: a->config = s; return 0;
	case OPT_LOG: return parse_log(a, s);
	case OPT_LOG_LEVEL:
		a->log_level = tern_log__parse_level(s);
		return a->log_level < 0 ? fail("--log-level", s, "not one of err, warn, info, debug") : 0;
	case OPT_METRICS: a->metrics = s; return 0;
	case OPT_METRICS_REMOTE: a->metrics_remote = 1; return 0;
	case OPT_CHECK: a->check = true; return 0;
	case OPT_XDP_COOKIES:
		a->xdp_cookies = tern_xdpc__parse_mode(s);
		return a->xdp_cookies < 0 ? fail("--xdp-cookies", s, "not one of never, overload, always")
					  : 0;
	case OPT_XDP_FLOW_SLOTS:
		if (parse_u32("--xdp-flow-slots", s, 1, TERN_FLOW_SLOTS_MAX, &a->xdp_flow_slots))
			return -EINVAL;
		return a->xdp_flow_slots & (a->xdp_flow_slots - 1)
			       ? fail("--xdp-flow-slots", s, "not a power of two") : 0;
	case OPT_COOKIE_SECRET: return parse_cookie_secret(a, s);
	default: return -EINVAL;
	}
}

/* Per-connection shares within the queue's pools (the core checks it too,
 * but this names the option). */
static int check_shares(const struct tern_args *a)
{
	const struct tern_cfg *c = &a->cfg;
	char v[16];

	snprintf(v, sizeof(v), "%u", c->chunks_per_conn);
	if (c->chunks_per_conn > c->max_chunks)
		return fail("--conn-chunks", v, "above the queue's %u send buffers", c->max_chunks);
	snprintf(v, sizeof(v), "%u", c->copies_per_conn);
	if (c->copies_per_conn > c->copy_blocks)
		return fail("--conn-copies", v, "above the queue's %u copy blocks", c->copy_blocks);
	snprintf(v, sizeof(v), "%u", c->rack_segs_per_conn);
	if (c->rack_segs_per_conn > c->rack_segs)
		return fail("--rack-segs", v, "share above the queue's %u RACK records", c->rack_segs);
	snprintf(v, sizeof(v), "%u", c->ooo_per_conn);
	if (c->ooo_per_conn > c->max_ooo)
		return fail("--conn-ooo", v, "above the queue's %u out-of-order segments", c->max_ooo);
	return 0;
}

/* The bit sets of struct tern_args: a bit per option from OPT_DEV on. */
static bool opt_isset(const uint64_t *set, int opt)
{
	return set[(opt - OPT_DEV) / 64] >> ((opt - OPT_DEV) % 64) & 1;
}

static void opt_set(uint64_t *set, int opt)
{
	set[(opt - OPT_DEV) / 64] |= 1ull << ((opt - OPT_DEV) % 64);
}

/* An option of one application given with another: the first one, or 0. */
static int foreign_option(const struct tern_args *a)
{
	bool http = !strcmp(a->app_name, "http"), proxy = !strcmp(a->app_name, "proxy");

	for (int opt = OPT_DEV; opt < OPT__END; opt++) {
		bool is_http = opt >= OPT_HTTP_STATUS && opt <= OPT_HTTP_IDLE;
		bool is_proxy = opt >= OPT_BACKEND && opt <= OPT_HEALTH_FALL;

		if (!opt_isset(a->set_mask, opt))
			continue;
		if ((is_http && !http) || (is_proxy && !proxy))
			return opt;
	}
	return 0;
}

static const char *opt_name(int opt)
{
	for (const struct option *o = longopts; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

static int check_required(struct tern_args *a)
{
	char name[64];
	int opt;

	if (!tern_app__find(a->app_name))
		return fail("--app", a->app_name, "not one of echo, discard, http, proxy");
	opt = foreign_option(a);
	if (opt) {
		snprintf(name, sizeof(name), "--%s", opt_name(opt));
		return fail(name, NULL, "not an option of --app %s", a->app_name);
	}
	if (!a->dev)
		return fail("--dev", NULL, "required");
	if (!a->naddrs)
		return fail("--addr", NULL, "required");
	if (!a->nports)
		return fail("--port", NULL, "required");
	if (check_shares(a))
		return -EINVAL;
	if (!strcmp(a->app_name, "proxy") && !a->app_opts.proxy.nbackends)
		return fail("--app proxy", NULL, "needs at least one --backend");
	if (a->metrics) {
		int r = tern_ctl__parse_http(a->metrics, a->metrics_remote, &a->metrics_addr);

		if (r == -EPERM)
			return fail("--metrics", a->metrics,
				    "not a loopback address (--metrics-remote allows it)");
		if (r)
			return fail("--metrics", a->metrics, "not ADDR:PORT or [ADDR6]:PORT");
	}
	return 0;
}

static void defaults(struct tern_args *a)
{
	memset(a, 0, sizeof(*a));
	tern_cfg__defaults(&a->cfg);
	a->app_name = "echo";
	a->queues = 0; /* every RX queue of the interface */
	a->frames = TERN_XSK_FRAMES;
	a->icmp_handoff = TERN_ARGS_ICMP_HANDOFF_DEF;
	a->mode = TERN_XDP_MODE_NATIVE;
	a->zerocopy = TERN_ZC_AUTO;
	a->tx_csum = TERN_TX_CSUM_AUTO;
	a->tx_gso = TERN_GSO_AUTO;
	a->tx_gso_max = TERN_GSO_MAX_BYTES;
	a->bpffs = TERN_LOADER_BPFFS;
	a->log_level = TERN_LOG_INFO;
	a->xdp_cookies = TERN_XDPC_OVERLOAD;
	a->xdp_flow_slots = TERN_XDPC_FLOW_SLOTS;
	a->drain_ms = TERN_ARGS_DRAIN_MS_DEF;
}

static const struct option *find_opt(const char *name)
{
	for (const struct option *o = longopts; o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

bool tern_args__from_cli(const struct tern_args *a, const char *key)
{
	const struct option *o = find_opt(key);

	return o && o->val >= OPT_DEV && opt_isset(a->cli_set, o->val);
}

const char *tern_args__key(int i)
{
	return i >= 0 && i < (int)(sizeof(longopts) / sizeof(longopts[0])) - 1 ? longopts[i].name
									  : NULL;
}

static bool repeatable(int opt)
{
	return opt == OPT_ADDR || opt == OPT_PORT || opt == OPT_HTTP_HEADER || opt == OPT_BACKEND;
}

/* yes|no for a flag without an argument: 1, 0, or -EINVAL (printed). */
static int parse_bool(const char *key, const char *s)
{
	static const char *const words[] = { "no", "yes" };

	return parse_word(key, s, words, 2);
}

/* One entry of the file, unless the command line set its key; *seen
 * has a bit per key the file gave before. */
static int apply_entry(struct tern_args *a, const struct tern_conf_entry *e, uint64_t *seen,
		       uint32_t max_frame)
{
	const struct option *o = find_opt(e->key);
	int opt, r;

	snprintf(where, sizeof(where), "%s:%d: ", a->conf.path, e->line);
	if (!o || o->val == OPT_CONFIG || o->val == OPT_HELP || o->val == OPT_CHECK ||
	    o->val == OPT_VERSION)
		return fail(e->key, NULL, "unknown key");
	opt = o->val;
	if (opt_isset(seen, opt) && !repeatable(opt))
		return fail(e->key, NULL, "given twice");
	opt_set(seen, opt);
	opt_set(a->set_mask, opt);
	if (opt_isset(a->cli_set, opt))
		return 0;
	if (o->has_arg == no_argument) {
		r = parse_bool(e->key, e->val);
		return r < 0 ? r : r ? parse_one(a, opt, NULL, max_frame) : 0;
	}
	return parse_one(a, opt, e->val, max_frame);
}

static int parse_file(struct tern_args *a, uint32_t max_frame)
{
	uint64_t seen[TERN_OPT_WORDS] = { 0 };
	char err[512];
	int r = tern_conf__load(&a->conf, a->config, err, sizeof(err));

	if (r) {
		fprintf(errf, "Error: %s\n", err);
		return -EINVAL;
	}
	for (int i = 0; !r && i < a->conf.n; i++)
		r = apply_entry(a, &a->conf.e[i], seen, max_frame);
	where[0] = 0;
	return r ? -EINVAL : 0;
}

int tern_args__parse(struct tern_args *a, int argc, char **argv, uint32_t max_frame)
{
	return tern_args__parse_to(a, argc, argv, max_frame, stderr);
}

int tern_args__parse_to(struct tern_args *a, int argc, char **argv, uint32_t max_frame,
			FILE *err)
{
	int opt;

	_Static_assert(OPT__END - OPT_DEV <= 64 * TERN_OPT_WORDS, "raise TERN_OPT_WORDS");
	errf = err;
	where[0] = 0;
	defaults(a);
	a->argc = argc;
	a->argv = argv;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			tern_args__usage(stdout, argv[0]);
			return 1;
		}
		if (opt == 'V' || opt == OPT_VERSION) {
			tern_version__print(stdout, "tern");
			return 1;
		}
		if (opt == '?' || opt == ':')
			return fail(argv[optind - 1], NULL, "unknown option or missing argument");
		if (parse_one(a, opt, optarg, max_frame))
			return -EINVAL;
		opt_set(a->cli_set, opt);
		opt_set(a->set_mask, opt);
	}
	if (optind < argc)
		return fail(argv[optind], NULL, "unexpected argument");
	if (a->config && parse_file(a, max_frame))
		return -EINVAL;
	if (check_required(a))
		return -EINVAL;
	/* Every stack listens on every address x port. */
	a->cfg.max_listeners = (uint32_t)(a->naddrs * a->nports);
	if (a->cfg.max_listeners < 16)
		a->cfg.max_listeners = 16;
	return 0;
}
