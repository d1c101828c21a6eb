// SPDX-License-Identifier: BSD-2-Clause
/*
 * tern-bench-xdp: in-kernel cost of one SYN through tern's XDP SYN-ACK path
 * (bpf/synack.h, --xdp-cookies) against the plain XDP_TX reflector
 * (tools/bench/xdp/reflect_tx.bpf.c), by BPF_PROG_TEST_RUN with repeat on
 * fixed SYN frames: IPv4 with MSS only (tern-flood's SYN), IPv4 with MSS,
 * SACK, timestamps and window scale (Linux's SYN), and that one over
 * IPv6. The harness (tools/bench/xdp/progrun.bpf.c) restores the frame
 * before every run and tail-calls the program under test; its own time,
 * with an empty target, is subtracted. Every run must end in XDP_TX, so
 * the figure is the answered path's. Also prints each program's size:
 * BPF instructions after the verifier, and x86 instructions of the JIT
 * image (objdump). A second table times the worker path's steering: tern
 * with its queue's flag off (the SYN redirected to the AF_XDP socket)
 * against flood_rx (bpf/flood.bpf.c, the bare AF_XDP reflector's
 * program), every run ending in XDP_REDIRECT (test runs do not carry
 * the redirect out). Root; no interface. Prints only.
 *
 *   tern-bench-xdp TERN_BPF_OBJ REFLECT_BPF_OBJ PROGRUN_BPF_OBJ FLOOD_BPF_OBJ [REPEAT]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_xdp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tern/cookie.h"
#include "tern/xdp.h"
#include "tests/net/xdp_check.h" /* xsk_open(), map_fd(), sum16(), xdp_steer() */

#define XDP_TX_RET 3
#define XDP_REDIRECT_RET 4
#define FRAME_MAX 256
#define ROUNDS 15 /* the minimum of ROUNDS runs of REPEAT each: load from other work only adds */

struct frame {
	const char *name;
	int family;
	const uint8_t *opt;
	uint32_t optlen;
	uint32_t len;
	uint8_t data[FRAME_MAX];
};

/* Mirrors progrun.bpf.c's map value. */
struct bench_frame {
	uint32_t len;
	uint8_t data[FRAME_MAX];
};

static const uint8_t opt_mss[] = { 2, 4, 0x05, 0xb4 };
static const uint8_t opt_linux[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 77,
				     0, 0, 0, 0, 1, 3, 3, 7 };
static const uint8_t srv4[4] = { 10, 9, 0, 1 }, cli4[4] = { 198, 51, 100, 7 };
static const uint8_t srv6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t cli6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34 };
#define SRV_PORT 80

static void put16(uint8_t *p, uint32_t s_or_v, int fold)
{
	uint32_t v = s_or_v;

	if (fold) {
		while (v >> 16)
			v = (v & 0xffff) + (v >> 16);
		v = ~v & 0xffff;
	}
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A SYN to the service from the client, with fr->opt. */
static void build_syn(struct frame *fr)
{
	static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	uint32_t tcplen = 20 + fr->optlen, iphl = fr->family == 6 ? 40 : 20, s;
	uint8_t *f = fr->data, *ip = f + 14, *th = ip + iphl;

	memset(f, 0, FRAME_MAX);
	memcpy(f, mac, 12);
	put16(f + 12, fr->family == 6 ? 0x86dd : 0x0800, 0);
	if (fr->family == 6) {
		ip[0] = 0x60;
		put16(ip + 4, tcplen, 0);
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, cli6, 16);
		memcpy(ip + 24, srv6, 16);
		s = sum16(ip + 8, 32, 6 + tcplen);
	} else {
		ip[0] = 0x45;
		put16(ip + 2, 20 + tcplen, 0);
		put16(ip + 6, 0x4000, 0);
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, cli4, 4);
		memcpy(ip + 16, srv4, 4);
		put16(ip + 10, sum16(ip, 20, 0), 1);
		s = sum16(ip + 12, 8, 6 + tcplen);
	}
	put16(th, 40000, 0);
	put16(th + 2, SRV_PORT, 0);
	th[4] = 0x12; /* seq 0x12345678 */
	th[5] = 0x34;
	th[6] = 0x56;
	th[7] = 0x78;
	th[12] = (uint8_t)((tcplen / 4) << 4);
	th[13] = 0x02;
	put16(th + 14, 64240, 0);
	memcpy(th + 20, fr->opt, fr->optlen);
	put16(th + 16, sum16(th, tcplen, s), 1);
	fr->len = 14 + iphl + tcplen;
}

static struct bpf_object *load(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "Error: %s: cannot load\n", path);
		return NULL;
	}
	return obj;
}

static int prog_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	return p ? bpf_program__fd(p) : -ENOENT;
}

/* tern's maps as a daemon with --xdp-cookies always sets them for queue 0. */
static int tern_setup(struct bpf_object *obj)
{
	struct tern_xdp_cookie_cfg cfg;
	uint32_t q = 0;
	uint64_t on = 1;
	int xsk, err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.cookie[0] = (struct tern_sipkey){ 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	cfg.cookie[1] = (struct tern_sipkey){ 0x1716151413121110ull, 0x1f1e1d1c1b1a1918ull };
	cfg.tsoff = (struct tern_sipkey){ 0x2726252423222120ull, 0x2f2e2d2c2b2a2928ull };
	cfg.mss[0] = 1460;
	cfg.mss[1] = 1440;
	cfg.win[0][0] = cfg.win[0][1] = cfg.win[1][0] = cfg.win[1][1] = 64240;
	cfg.rcv_wscale = 4;
	cfg.ready = 1;
	err = xdp_steer(map_fd(obj, TERN_MAP_SERVICES), map_fd(obj, TERN_MAP_SVC_PORTS),
			map_fd(obj, TERN_MAP_XSKS), srv4, srv6,
			SRV_PORT, &xsk);
	if (err)
		return err;
	if (bpf_map_update_elem(map_fd(obj, TERN_MAP_COOKIE_CFG), &q, &cfg, BPF_ANY) ||
	    bpf_map_update_elem(map_fd(obj, TERN_MAP_COOKIE_ON), &q, &on, BPF_ANY))
		return -errno;
	return 0;
}

/* flood_rx as tern-reflect sets it: the service address, a socket on
 * queue 0. */
static int flood_setup(struct bpf_object *obj)
{
	struct {
		uint32_t net, mask;
	} cfg = { 0, 0xffffffffu };
	uint32_t q = 0;
	int xsk = xsk_open();

	memcpy(&cfg.net, srv4, 4);
	if (xsk < 0)
		return xsk;
	if (bpf_map_update_elem(map_fd(obj, "flood_cfg"), &q, &cfg, BPF_ANY) ||
	    bpf_map_update_elem(map_fd(obj, "flood_xsks"), &q, &xsk, BPF_ANY))
		return -errno;
	return 0;
}

/* tern's queue 0 flag: 1 answers SYNs in XDP, 0 steers them. */
static int tern_flag(struct bpf_object *obj, uint64_t on)
{
	uint32_t q = 0;

	return bpf_map_update_elem(map_fd(obj, TERN_MAP_COOKIE_ON), &q, &on, BPF_ANY) ? -errno : 0;
}

struct harness {
	int entry, frame, progs, nop;
};

/* ns per run of target on fr through the harness: the best of ROUNDS;
 * -1 when a run did not end in want. */
static double run(const struct harness *h, int target, const struct frame *fr, uint32_t repeat,
		  uint32_t want)
{
	struct bench_frame bf = { .len = fr->len };
	uint8_t out[FRAME_MAX];
	uint32_t zero = 0;
	double best = -1;

	memcpy(bf.data, fr->data, fr->len);
	if (bpf_map_update_elem(h->progs, &zero, &target, BPF_ANY) ||
	    bpf_map_update_elem(h->frame, &zero, &bf, BPF_ANY))
		return -1;
	for (int r = 0; r < ROUNDS; r++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = fr->data, .data_size_in = fr->len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);

		if (bpf_prog_test_run_opts(h->entry, &o) || o.retval != want)
			return -1;
		if (best < 0 || o.duration < best)
			best = o.duration;
	}
	return best;
}

/* Instructions in the JIT image, by objdump (binutils) on its bytes, or
 * -1. bpftool's "prog dump jited" needs libbfd, which Debian's lacks. */
static long jited_insns(int fd, uint32_t jited_len)
{
	char path[] = "/tmp/tern-bench-xdp.XXXXXX", cmd[128], line[512];
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	uint8_t *img = malloc(jited_len);
	long n = -1;
	FILE *p;
	int tmp;

	memset(&info, 0, sizeof(info));
	info.jited_prog_len = jited_len;
	info.jited_prog_insns = (uint64_t)(uintptr_t)img;
	tmp = img ? mkstemp(path) : -1;
	if (tmp < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    write(tmp, img, jited_len) != (ssize_t)jited_len)
		goto out;
#ifdef __x86_64__
	snprintf(cmd, sizeof(cmd), "objdump -D -b binary -m i386:x86-64 %s 2>/dev/null", path);
#else
	goto out; /* the x86 JIT's count only */
#endif
	p = popen(cmd, "r");
	if (!p)
		goto out;
	n = 0;
	while (fgets(line, sizeof(line), p)) {
		char *s = line + strspn(line, " ");
		char *colon = strchr(s, ':');

		if (colon && colon > s && colon[1] == '\t' &&
		    strspn(s, "0123456789abcdef") == (size_t)(colon - s))
			n++;
	}
	if (pclose(p) != 0 || !n)
		n = -1;
out:
	if (tmp >= 0) {
		close(tmp);
		unlink(path);
	}
	free(img);
	return n;
}

static void print_size(const char *name, int fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	long x86;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		printf("| %s | n/a | n/a | n/a |\n", name);
		return;
	}
	x86 = jited_insns(fd, info.jited_prog_len);
	printf("| %s | %u | %u |", name, info.xlated_prog_len / 8, info.jited_prog_len);
	if (x86 < 0)
		printf(" n/a (no objdump) |\n");
	else
		printf(" %ld |\n", x86);
}

static void cell(double v)
{
	if (v < 0)
		printf(" n/a |");
	else
		printf(" %.1f |", v);
}

/* One row: the harness alone, the peer (-1: none), tern; want is the
 * action every run of the peer and tern must end in. */
static void row(const struct harness *h, const struct frame *fr, int peer_fd, int tern_fd,
		uint32_t repeat, uint32_t want)
{
	double nop = run(h, h->nop, fr, repeat, XDP_TX_RET);
	double rf = peer_fd >= 0 ? run(h, peer_fd, fr, repeat, want) : -1;
	double tn = run(h, tern_fd, fr, repeat, want);

	if (nop >= 0) {
		rf = rf >= 0 ? rf - nop : -1;
		tn = tn >= 0 ? tn - nop : -1;
	}
	printf("| %s |", fr->name);
	cell(nop);
	cell(rf);
	cell(tn);
	cell(rf >= 0 && tn >= 0 ? tn - rf : -1);
	if (rf > 0 && tn > 0)
		printf(" %.2f |\n", rf / tn);
	else
		printf(" n/a |\n");
}

int main(int argc, char **argv)
{
	struct frame frames[] = {
		{ .name = "IPv4, MSS (tern-flood)", .family = 4, .opt = opt_mss, .optlen = sizeof(opt_mss) },
		{ .name = "IPv4, MSS SACK TS WS", .family = 4, .opt = opt_linux, .optlen = sizeof(opt_linux) },
		{ .name = "IPv6, MSS SACK TS WS", .family = 6, .opt = opt_linux, .optlen = sizeof(opt_linux) },
	};
	struct bpf_object *tern, *refl, *harn, *flood;
	uint32_t repeat = 200000;
	struct harness h;
	int tern_fd, refl_fd, flood_fd;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: %s TERN_BPF_OBJ REFLECT_BPF_OBJ PROGRUN_BPF_OBJ "
			"FLOOD_BPF_OBJ [REPEAT]\n", argv[0]);
		return 2;
	}
	if (argc == 6) {
		char *e;
		unsigned long v = strtoul(argv[5], &e, 10);

		if (*e || !v || v > 100000000) {
			fprintf(stderr, "Error: REPEAT: 1..100000000\n");
			return 2;
		}
		repeat = (uint32_t)v;
	}
	libbpf_set_print(NULL);
	tern = load(argv[1]);
	refl = load(argv[2]);
	harn = load(argv[3]);
	flood = load(argv[4]);
	if (!tern || !refl || !harn || !flood)
		return 1;
	tern_fd = prog_fd(tern, TERN_XDP_PROG_NAME);
	refl_fd = prog_fd(refl, "bench_reflect_tx");
	flood_fd = prog_fd(flood, "flood_rx");
	h.nop = prog_fd(harn, "bench_nop");
	h.entry = prog_fd(harn, "bench_progrun");
	h.frame = map_fd(harn, "bench_frame");
	h.progs = map_fd(harn, "bench_progs");
	if (tern_fd < 0 || refl_fd < 0 || flood_fd < 0 || h.nop < 0 || h.entry < 0 ||
	    h.frame < 0 || h.progs < 0 || tern_setup(tern) || flood_setup(flood)) {
		fprintf(stderr, "Error: programs or maps missing, or set-up failed\n");
		return 1;
	}
	printf("BPF_PROG_TEST_RUN, repeat %u, best of %d; ns per run, the harness's own "
	       "(restore the frame, tail call) subtracted\n\n", repeat, ROUNDS);
	printf("| SYN | harness | reflector | tern | tern - reflector | reflector / tern |\n");
	printf("|---|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		build_syn(&frames[i]);
		/* the reflector is IPv4 only */
		row(&h, &frames[i], frames[i].family == 4 ? refl_fd : -1, tern_fd, repeat, XDP_TX_RET);
	}
	if (tern_flag(tern, 0))
		return 1;
	printf("\nThe worker path's steering: tern with the queue's flag off against "
	       "flood_rx (the bare AF_XDP reflector's program), to the AF_XDP socket\n\n");
	printf("| SYN | harness | flood_rx | tern | tern - flood_rx | flood_rx / tern |\n");
	printf("|---|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		/* flood_rx is IPv4 only */
		row(&h, &frames[i], frames[i].family == 4 ? flood_fd : -1, tern_fd, repeat,
		    XDP_REDIRECT_RET);
	printf("\n| program | BPF instructions (xlated) | JIT bytes | x86 instructions |\n");
	printf("|---|---:|---:|---:|\n");
	print_size("tern_steer", tern_fd);
	print_size("bench_reflect_tx", refl_fd);
	print_size("flood_rx", flood_fd);
	bpf_object__close(flood);
	bpf_object__close(harn);
	bpf_object__close(refl);
	bpf_object__close(tern);
	return 0;
}
