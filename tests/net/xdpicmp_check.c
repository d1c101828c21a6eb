// SPDX-License-Identifier: BSD-2-Clause
/*
 * ICMP errors for steered flows in XDP (bpf/icmp.h), through
 * BPF_PROG_TEST_RUN (root; no interface): fragmentation-needed and
 * packet-too-big errors that quote a segment a service sent are
 * redirected to the queue's AF_XDP socket (and counted XdpIcmpSteered);
 * every other ICMP message, error about another flow, or short or
 * malformed one is XDP_PASS, for the kernel to ignore as it does. With
 * no socket on the queue the error is the kernel's too.
 *
 * The quoted segments are real tern segments (tern_build); the ICMP
 * wrapping is built here, with its own checksums.
 *
 * usage: xdpicmp-check BPF_OBJECT; exit 0 all passed, 1 a failure, 77 not root.
 */
#define _GNU_SOURCE
#include <errno.h>
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

#include "tern/xdp.h"
#include "tests/net/xdp_check.h"
#include "user/core/build.h"
#include "user/core/tcp.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define XDP_PASS_RET 2
#define XDP_REDIRECT_RET 4
#define MAX_FRAME 2048
#define SRV_PORT 80

static const uint8_t srv4[4] = { 10, 9, 0, 1 }, cli4[4] = { 198, 51, 100, 7 };
static const uint8_t rtr4[4] = { 192, 0, 2, 1 };
static const uint8_t srv6[16] = { 0xfd, [15] = 1 };
static const uint8_t cli6[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0x12, [15] = 0x34 };
static const uint8_t rtr6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 9, [15] = 1 };

static void put_csum(uint8_t *at, uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	s = ~s & 0xffff;
	at[0] = (uint8_t)(s >> 8);
	at[1] = (uint8_t)s;
}

/* What an error is made of, and how it is spoiled. */
struct icmp_spec {
	const char *name;
	int family;
	int vlan;
	uint8_t type, code;
	uint16_t sport;      /* the quoted segment's source port (0: SRV_PORT) */
	uint8_t other_src;   /* quoted source address not a service */
	uint8_t quote_udp;   /* quoted protocol UDP */
	uint8_t frag;        /* outer IPv4 has MF set */
	uint32_t quote;      /* bytes quoted from the IP header on (0: 28 / 48) */
	uint32_t cut;        /* frame cut to this length (0: whole) */
	int want;            /* XDP action */
};

/* A data segment from the service to the client, as tern builds it. */
static uint32_t tern_segment(const struct icmp_spec *sp, uint8_t *f)
{
	static const uint8_t payload[1400];
	struct tern_tx tx;

	memset(&tx, 0, sizeof(tx));
	tx.t.family = (uint8_t)sp->family;
	if (sp->family == 4) {
		tern_addr_set_v4(&tx.t.laddr, srv4[0], srv4[1], srv4[2],
				 (uint8_t)(srv4[3] + sp->other_src));
		tern_addr_set_v4(&tx.t.raddr, cli4[0], cli4[1], cli4[2], cli4[3]);
	} else {
		memcpy(tx.t.laddr.b, srv6, 16);
		tx.t.laddr.b[15] += sp->other_src;
		memcpy(tx.t.raddr.b, cli6, 16);
	}
	tx.t.lport = sp->sport ? sp->sport : SRV_PORT;
	tx.t.rport = 40000;
	tx.seq = 0x01020304;
	tx.ack = 0x0a0b0c0d;
	tx.win = 500;
	tx.flags = 0x18;
	tx.payload = payload;
	tx.len = sizeof(payload);
	memcpy(tx.l2.peer_mac, "\x02\0\0\0\0\x02", 6);
	memcpy(tx.l2.local_mac, "\x02\0\0\0\0\x01", 6);
	return (uint32_t)tern_build(f, MAX_FRAME, &tx);
}

static uint32_t icmp_frame(const struct icmp_spec *sp, uint8_t *f)
{
	uint8_t seg[MAX_FRAME];
	uint32_t slen = tern_segment(sp, seg) - TERN_ETH_HLEN, off = TERN_ETH_HLEN, hl, ilen;
	uint32_t quote = sp->quote ? sp->quote : (sp->family == 4 ? 28 : 48);
	const uint8_t *q = seg + TERN_ETH_HLEN;
	uint8_t *ip, *ic;

	if (quote > slen)
		quote = slen;
	memcpy(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x09", 12);
	if (sp->vlan) {
		memcpy(f + 12, "\x81\x00\x00\x07", 4);
		off += 4;
	}
	f[off - 2] = sp->family == 4 ? 0x08 : 0x86;
	f[off - 1] = sp->family == 4 ? 0x00 : 0xdd;
	ip = f + off;
	ilen = 8 + quote;
	hl = sp->family == 4 ? 20 : 40;
	memset(ip, 0, hl);
	if (sp->family == 4) {
		ip[0] = 0x45;
		ip[2] = (uint8_t)((hl + ilen) >> 8);
		ip[3] = (uint8_t)(hl + ilen);
		ip[6] = sp->frag ? 0x20 : 0;
		ip[8] = 64;
		ip[9] = 1;
		memcpy(ip + 12, rtr4, 4);
		memcpy(ip + 16, srv4, 4);
		put_csum(ip + 10, sum16(ip, 20, 0));
	} else {
		ip[0] = 0x60;
		ip[4] = (uint8_t)(ilen >> 8);
		ip[5] = (uint8_t)ilen;
		ip[6] = 58;
		ip[7] = 255;
		memcpy(ip + 8, rtr6, 16);
		memcpy(ip + 24, srv6, 16);
	}
	ic = ip + hl;
	memset(ic, 0, 8);
	ic[0] = sp->type;
	ic[1] = sp->code;
	ic[6] = sp->family == 4 ? 0x03 : 0x05; /* MTU 1000 / 1280 */
	ic[7] = sp->family == 4 ? 0xe8 : 0x00;
	memcpy(ic + 8, q, quote);
	if (sp->quote_udp)
		ic[8 + (sp->family == 4 ? 9 : 6)] = 17;
	put_csum(ic + 2, sum16(ic, ilen, sp->family == 6 ? sum16(ip + 8, 32, 58 + ilen) : 0));
	return sp->cut ? sp->cut : off + hl + ilen;
}

/* ---- the program and a socket for its map ---- */

struct xdp {
	struct bpf_object *obj;
	int prog, svc, ports, xsks, counters, xsk;
};

static int xdp_open(struct xdp *x, const char *path)
{
	int err = xdp_load(path, &x->obj, &x->prog);

	if (err)
		return err;
	x->svc = map_fd(x->obj, TERN_MAP_SERVICES);
	x->xsks = map_fd(x->obj, TERN_MAP_XSKS);
	x->counters = map_fd(x->obj, TERN_MAP_COUNTERS);
	if (x->svc < 0 || x->xsks < 0 || x->counters < 0)
		return -ENOENT;
	x->ports = map_fd(x->obj, TERN_MAP_SVC_PORTS);
	if (x->ports < 0)
		return -ENOENT;
	return xdp_steer(x->svc, x->ports, x->xsks, srv4, srv6, SRV_PORT, &x->xsk);
}

static uint64_t counter(const struct xdp *x, __u32 id)
{
	int n = libbpf_num_possible_cpus();
	uint64_t v[512], sum = 0;

	if (n <= 0 || n > 512 || bpf_map_lookup_elem(x->counters, &id, v))
		return UINT64_MAX;
	for (int i = 0; i < n; i++)
		sum += v[i];
	return sum;
}

static int xdp_run(const struct xdp *x, const uint8_t *f, uint32_t len)
{
	uint8_t out[MAX_FRAME + 256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(x->prog, &o))
		return -errno;
	return (int)o.retval;
}

static void check(const struct xdp *x, const struct icmp_spec *sp)
{
	uint8_t f[MAX_FRAME + 64];
	uint32_t len = icmp_frame(sp, f);
	uint64_t before = counter(x, TERN_XDP_ICMP_STEERED);
	int act = xdp_run(x, f, len);
	uint64_t after = counter(x, TERN_XDP_ICMP_STEERED);
	struct tern_icmp ic;
	int parsed = tern_parse_icmp(f, len, &ic, true);
	char why[160];

	/* what XDP steers, the core's parser takes */
	snprintf(why, sizeof(why), "action %d, want %d; XdpIcmpSteered +%llu; core parse %d", act,
		 sp->want, (unsigned long long)(after - before), parsed);
	result(act == sp->want && after - before == (sp->want == XDP_REDIRECT_RET) &&
		       (act != XDP_REDIRECT_RET || parsed == TERN_PARSE_OK),
	       sp->name, why);
}

#define R XDP_REDIRECT_RET
#define P XDP_PASS_RET

static const struct icmp_spec cases[] = {
	{ .name = "v4 frag needed, service flow", .family = 4, .type = 3, .code = 4, .want = R },
	{ .name = "v4 frag needed, whole segment quoted", .family = 4, .type = 3, .code = 4, .quote = 576, .want = R },
	{ .name = "v4 frag needed, VLAN", .family = 4, .vlan = 1, .type = 3, .code = 4, .want = R },
	{ .name = "v6 packet too big, service flow", .family = 6, .type = 2, .code = 0, .want = R },
	{ .name = "v6 packet too big, VLAN", .family = 6, .vlan = 1, .type = 2, .code = 0, .want = R },
	{ .name = "v4 port unreachable", .family = 4, .type = 3, .code = 3, .want = P },
	{ .name = "v4 echo request", .family = 4, .type = 8, .code = 0, .want = P },
	{ .name = "v4 time exceeded", .family = 4, .type = 11, .code = 0, .want = P },
	{ .name = "v4 quoted port not a service", .family = 4, .type = 3, .code = 4, .sport = 81, .want = P },
	{ .name = "v4 quoted address not a service", .family = 4, .type = 3, .code = 4, .other_src = 1, .want = P },
	{ .name = "v4 quoted UDP", .family = 4, .type = 3, .code = 4, .quote_udp = 1, .want = P },
	{ .name = "v4 quote of 7 TCP bytes", .family = 4, .type = 3, .code = 4, .quote = 27, .want = P },
	{ .name = "v4 quote shorter than IP", .family = 4, .type = 3, .code = 4, .quote = 12, .want = P },
	{ .name = "v4 frame cut in the ICMP header", .family = 4, .type = 3, .code = 4, .cut = 14 + 20 + 4, .want = P },
	{ .name = "v4 outer fragment", .family = 4, .type = 3, .code = 4, .frag = 1, .want = P },
	{ .name = "v6 destination unreachable", .family = 6, .type = 1, .code = 4, .want = P },
	{ .name = "v6 echo request", .family = 6, .type = 128, .code = 0, .want = P },
	{ .name = "v6 quoted port not a service", .family = 6, .type = 2, .sport = 81, .want = P },
	{ .name = "v6 quoted address not a service", .family = 6, .type = 2, .other_src = 1, .want = P },
	{ .name = "v6 quoted UDP", .family = 6, .type = 2, .quote_udp = 1, .want = P },
	{ .name = "v6 quote of 7 TCP bytes", .family = 6, .type = 2, .quote = 47, .want = P },
	{ .name = "v6 frame cut in the quote", .family = 6, .type = 2, .cut = 14 + 40 + 8 + 30, .want = P },
};

int main(int argc, char **argv)
{
	struct icmp_spec nosock = cases[0];
	__u32 zero = 0;
	struct xdp x;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BPF_OBJECT\n", argv[0]);
		return 2;
	}
	if (geteuid()) {
		fprintf(stderr, "xdpicmp-check: needs root (BPF_PROG_TEST_RUN)\n");
		return 77;
	}
	err = xdp_open(&x, argv[1]);
	if (err) {
		fprintf(stderr, "xdpicmp-check: load %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(&x, &cases[i]);
	bpf_map_delete_elem(x.xsks, &zero);
	nosock.name = "v4 frag needed, no socket on the queue";
	nosock.want = P;
	check(&x, &nosock);
	close(x.xsk);
	bpf_object__close(x.obj);
	printf("xdpicmp: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
