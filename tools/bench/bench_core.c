// SPDX-License-Identifier: BSD-2-Clause
/*
 * tern-bench-core: micro-benchmarks of the sans-IO core, no I/O at all.
 *
 * SYN -> SYN-ACK measures the whole per-SYN work of the datapath: parse the
 * frame (checksums verified), run the listener, fill the reply descriptor
 * and build the reply frame (checksums computed). NSYN frames with distinct
 * source addresses and ports and a Linux SYN's options are built up front.
 *
 *   cookie    syncookies=2: the frames are replayed in a loop on one stack;
 *             every SYN is answered statelessly, so repeats cost the same.
 *   stateful  syncookies=0, backlog NSYN: each batch of NSYN distinct SYNs
 *             fills a freshly initialised stack (one half-open record and
 *             one armed timer per SYN). The re-init between batches is not
 *             timed, and callgrind leaves it out (only syn_batch is counted).
 *
 * Virtual time advances 1 us per SYN (a 1 Mpps flood).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "user/core/build.h"
#include "user/core/stack.h"
#include "user/core/tw.h"

#define NSYN 4096
#define SYN_FRAME_CAP 128
#define OUT_FRAME_CAP 2048
#define OUT_CAP 4
#define MIN_RUN_NS 1000000000ull
#define NS_PER_SYN 1000 /* virtual time step */
#define T0 (1000 * TERN_NSEC_PER_SEC)
#define COUNT_MAX 1000000000ul

struct synbench {
	uint8_t frame[NSYN][SYN_FRAME_CAP];
	uint32_t len[NSYN];
	struct tern_cfg cfg;
	struct tern_secrets sec;
	void *mem;
	size_t memlen;
	struct tern_stack *s;
	struct tern_tx tx[OUT_CAP];
	struct tern_out out;
	uint64_t now;
	uint8_t obuf[OUT_FRAME_CAP];
};

static const char *const mode_names[] = { "cookie", "stateful" };

static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * TERN_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

int bench_sizes(void)
{
	printf("| struct | bytes |\n|---|---:|\n");
	printf("| tern_req | %zu |\n", sizeof(struct tern_req));
	printf("| tern_conn (bound 248) | %zu |\n", sizeof(struct tern_conn));
	printf("| tern_tw (bound 64) | %zu |\n", sizeof(struct tern_tw));
	printf("| tern_tx | %zu |\n", sizeof(struct tern_tx));
	printf("| tern_timer | %zu |\n", sizeof(struct tern_timer));
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* MSS 1460, SACK-permitted, TS, NOP, WS 7: what Linux puts in a SYN. */
static uint8_t linux_syn_opts(uint8_t *o, uint32_t tsval)
{
	static const uint8_t tmpl[20] = {
		2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7,
	};

	memcpy(o, tmpl, sizeof(tmpl));
	put32(o + 8, tsval);
	return sizeof(tmpl);
}

/* SYN i: from 198.18.x.y (RFC 2544 benchmark range), port 10000 + i. */
static int build_syn(struct synbench *b, uint32_t i)
{
	static const uint8_t cmac[6] = { 2, 0, 0, 0, 0, 2 }, smac[6] = { 2, 0, 0, 0, 0, 1 };
	struct tern_tx tx;
	int len;

	memset(&tx, 0, sizeof(tx));
	tx.t.family = 4;
	tern_addr_set_v4(&tx.t.laddr, 198, 18, (uint8_t)(i >> 8), (uint8_t)i);
	tern_addr_set_v4(&tx.t.raddr, 10, 0, 0, 1);
	tx.t.lport = (uint16_t)(10000 + i);
	tx.t.rport = 80;
	memcpy(tx.l2.peer_mac, smac, 6);
	memcpy(tx.l2.local_mac, cmac, 6);
	tx.seq = i * 2654435761u;
	tx.win = 64240;
	tx.flags = TERN_TH_SYN;
	tx.optlen = linux_syn_opts(tx.opt, 1000000 + i);
	len = tern_build(b->frame[i], SYN_FRAME_CAP, &tx);
	if (len <= 0)
		return -1;
	b->len[i] = (uint32_t)len;
	return 0;
}

static int stack_init(struct synbench *b)
{
	struct tern_addr a;

	b->s = tern_stack__init(b->mem, b->memlen, &b->cfg, &b->sec, b->now);
	if (!b->s)
		return -1;
	tern_addr_set_v4(&a, 10, 0, 0, 1);
	return tern_stack__listen(b->s, &a, 4, 80);
}

static int setup(struct synbench *b, enum bench_syn_mode mode)
{
	tern_cfg__defaults(&b->cfg);
	b->cfg.max_conns = 1024;
	b->cfg.backlog = NSYN;
	b->cfg.syncookies = mode == BENCH_SYN_COOKIE ? TERN_COOKIES_ALWAYS : TERN_COOKIES_NEVER;
	for (size_t i = 0; i < sizeof(b->sec); i++)
		((uint8_t *)&b->sec)[i] = (uint8_t)(i * 13 + 7);
	b->memlen = tern_stack__memsize(&b->cfg);
	b->mem = aligned_alloc(64, (b->memlen + 63) & ~(size_t)63);
	if (!b->mem)
		return -1;
	for (uint32_t i = 0; i < NSYN; i++)
		if (build_syn(b, i))
			return -1;
	b->out.tx = b->tx;
	b->out.cap = OUT_CAP;
	b->now = T0;
	return stack_init(b);
}

/*
 * The measured loop: frames [first, first + n) in, SYN-ACK frames out.
 * Returns the number of SYN-ACKs built. Not inlined, so that callgrind can
 * count this function alone (--toggle-collect='syn_batch*').
 */
__attribute__((noinline)) static uint32_t syn_batch(struct synbench *b, uint32_t first,
						     uint32_t n)
{
	uint32_t built = 0;

	for (uint32_t i = first; i < first + n; i++) {
		b->out.n = 0;
		tern_stack__rx(b->s, b->frame[i], b->len[i], i, b->now, &b->out);
		if (b->out.n && tern_build(b->obuf, sizeof(b->obuf), &b->tx[0]) > 0)
			built++;
		b->now += NS_PER_SYN;
	}
	return built;
}

/* One batch of up to NSYN SYNs; the stateful mode starts from an empty
 * stack (not timed). *ns gets the time spent in the batch. */
static int run_batch(struct synbench *b, enum bench_syn_mode mode, uint32_t n, uint64_t *ns)
{
	uint64_t t;
	uint32_t built;

	if (mode == BENCH_SYN_STATEFUL && stack_init(b))
		return -1;
	t = clock_ns();
	built = syn_batch(b, 0, n);
	*ns = clock_ns() - t;
	if (built != n) {
		fprintf(stderr, "Error: bench %s: %u SYNs gave %u SYN-ACKs\n", mode_names[mode], n,
			built);
		return -1;
	}
	return 0;
}

/* The counters must say the SYNs took the path being measured. */
static int check_path(const struct synbench *b, enum bench_syn_mode mode, uint64_t n)
{
	const uint64_t *mib = tern_stack__mib(b->s);

	if (mode == BENCH_SYN_COOKIE && mib[TERN_MIB_SyncookiesSent] < n)
		goto bad;
	if (mode == BENCH_SYN_STATEFUL &&
	    (mib[TERN_MIB_SyncookiesSent] || tern_stack__nreqs(b->s) != n))
		goto bad;
	return 0;
bad:
	fprintf(stderr, "Error: bench %s: SYNs did not take the %s path\n", mode_names[mode],
		mode_names[mode]);
	return -1;
}

/* Exactly count SYNs after a warm-up batch; prints nothing on success. */
static int syn_count(struct synbench *b, enum bench_syn_mode mode, unsigned long count)
{
	uint64_t ns;
	uint32_t n = NSYN;

	if (run_batch(b, mode, NSYN, &ns))
		return -1;
	for (unsigned long left = count; left; left -= n) {
		n = left < NSYN ? (uint32_t)left : NSYN;
		if (run_batch(b, mode, n, &ns))
			return -1;
	}
	if (check_path(b, mode, n))
		return -1;
	fprintf(stderr, "%s: %lu SYNs after a warm-up of %u\n", mode_names[mode], count, NSYN);
	return 0;
}

/* Whole batches until at least MIN_RUN_NS were spent in them. */
static int syn_timed(struct synbench *b, enum bench_syn_mode mode)
{
	uint64_t ns, total_ns = 0, syns = 0;

	if (run_batch(b, mode, NSYN, &ns)) /* warm-up */
		return -1;
	while (total_ns < MIN_RUN_NS) {
		if (run_batch(b, mode, NSYN, &ns))
			return -1;
		total_ns += ns;
		syns += NSYN;
	}
	if (check_path(b, mode, NSYN))
		return -1;
	printf("| %s | %llu | %.3f | %.0f | %.1f |\n", mode_names[mode],
	       (unsigned long long)syns, (double)total_ns / 1e9,
	       (double)syns * 1e9 / (double)total_ns, (double)total_ns / (double)syns);
	return 0;
}

int bench_syn(enum bench_syn_mode mode, unsigned long count)
{
	struct synbench *b = calloc(1, sizeof(*b));
	int ret = -1;

	if (!b) {
		fprintf(stderr, "Error: bench: %s\n", strerror(errno));
		return -1;
	}
	if (setup(b, mode)) {
		fprintf(stderr, "Error: bench %s: setup failed\n", mode_names[mode]);
		goto out_free;
	}
	ret = count ? syn_count(b, mode, count) : syn_timed(b, mode);
out_free:
	free(b->mem);
	free(b);
	return ret;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--mode cookie|stateful|all] [--count N] [--wheel]\n"
		"  no options       every section: sizes, SYN -> SYN-ACK (both modes), wheel\n"
		"  --mode M         SYN -> SYN-ACK in mode M only (default all)\n"
		"  --count N        run exactly N SYNs after a warm-up, untimed (callgrind)\n"
		"  --wheel          the timer wheel benchmark\n",
		prog);
}

struct opts {
	int cookie, stateful, wheel, sizes;
	unsigned long count;
};

static int parse_count(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < 1 || v > COUNT_MAX)
		return -1;
	*out = v;
	return 0;
}

static int parse_mode(const char *s, struct opts *o)
{
	if (!strcmp(s, "all")) {
		o->cookie = o->stateful = 1;
		return 0;
	}
	if (!strcmp(s, "cookie")) {
		o->cookie = 1;
		return 0;
	}
	if (!strcmp(s, "stateful")) {
		o->stateful = 1;
		return 0;
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'c' },
		{ "wheel", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "m:c:wh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_mode(optarg, o)) {
				fprintf(stderr, "Error: --mode: %s: %s\n", optarg, strerror(EINVAL));
				return 2;
			}
			break;
		case 'c':
			if (parse_count(optarg, &o->count)) {
				fprintf(stderr, "Error: --count: %s: %s (1..%lu)\n", optarg,
					strerror(ERANGE), COUNT_MAX);
				return 2;
			}
			break;
		case 'w':
			o->wheel = 1;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr, argv[0]);
		return 2;
	}
	if (!o->cookie && !o->stateful && !o->wheel) {
		o->cookie = o->stateful = 1;
		o->wheel = o->sizes = !o->count;
	}
	return -1; /* go on */
}

static int run_syn(const struct opts *o)
{
	if (!o->count)
		printf("| mode | SYNs | seconds | SYN/s (1 core) | ns/SYN |\n"
		       "|---|---:|---:|---:|---:|\n");
	if (o->cookie && bench_syn(BENCH_SYN_COOKIE, o->count))
		return -1;
	if (o->stateful && bench_syn(BENCH_SYN_STATEFUL, o->count))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	int ret = parse_args(argc, argv, &o);

	if (ret >= 0)
		return ret;
	if (o.sizes) {
		printf("## Record sizes\n\n");
		bench_sizes();
		printf("\n");
	}
	if (o.cookie || o.stateful) {
		if (!o.count)
			printf("## SYN -> SYN-ACK (parse + state machine + build, no I/O)\n\n");
		if (run_syn(&o))
			return 1;
		if (!o.count)
			printf("\n");
	}
	if (o.wheel) {
		printf("## Timer wheel\n\n");
		if (bench_wheel())
			return 1;
	}
	return 0;
}
