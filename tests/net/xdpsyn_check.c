// SPDX-License-Identifier: BSD-2-Clause
/*
 * SYN cookies answered in XDP against the core, through BPF_PROG_TEST_RUN
 * (root; no interface): for a table of SYNs the XDP program's SYN-ACK
 * (bpf/synack.h) is byte for byte the frame the core builds for the same
 * SYN, keys and time; the core accepts the cookies XDP issued; frames
 * XDP must not answer get no XDP_TX. Segments to no flow (bpf/ackcheck.h):
 * an ACK with a cookie XDP issued is steered, one with a bad cookie is
 * dropped while the flag is on and steered when it is off, and one whose
 * tuple a stack holds (counted in the flow filter by the core, in the
 * program's own map) is steered whatever its cookie, until the stack lets
 * the tuple go.
 *
 * The SYNs are built here with their own checksum code, and the expected
 * reply is the core's (tern_stack__rx + tern_build), never a copy of the
 * XDP logic. The SYN-ACK path reads bpf_ktime_get_coarse_ns
 * (CLOCK_MONOTONIC_COARSE), so the core's reply is taken at that clock
 * read before and after the run, and either must match.
 *
 * usage: xdpsyn-check BPF_OBJECT; exit 0 all passed, 1 a failure, 77 not root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_xdp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tern/cookie.h"
#include "tern/xdp.h"
#include "tests/net/xdp_check.h"
#include "user/core/build.h"
#include "user/core/tcp.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define XDP_DROP_RET 1
#define XDP_TX_RET 3
#define XDP_REDIRECT_RET 4
#define MAX_FRAME 256

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* bpf_ktime_get_coarse_ns(), the SYN-ACK path's clock. */
static uint64_t coarse_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

/* ---- SYN frames (RFC 1071 sums of their own) ---- */

struct syn_spec {
	const char *name;
	int family;
	int vlan;
	uint8_t flags;          /* TCP flags */
	uint8_t opt[40];        /* raw option bytes */
	uint8_t optlen;         /* multiple of 4 */
	uint8_t payload;        /* bytes of payload */
	uint8_t ip4_opts;       /* 4 bytes of IPv4 options (NOP x4) */
	uint8_t bad_tcp_csum;
	uint8_t bad_ip_csum;
	uint8_t pad60;          /* Ethernet padding to 60 bytes */
	uint32_t seq;
	uint16_t sport;
};

static uint16_t fin16(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p + 2, v & 0xffff);
}

static const uint8_t srv4[4] = { 10, 9, 0, 1 }, cli4[4] = { 198, 51, 100, 7 };
static const uint8_t srv6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t cli6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34 };
#define SRV_PORT 80

/* Returns the frame length. */
static uint32_t build_syn(const struct syn_spec *sp, uint8_t *f)
{
	static const uint8_t dmac[6] = { 2, 0, 0, 0, 0, 1 }, smac[6] = { 2, 0, 0, 0, 0, 2 };
	uint32_t off = 12, iphl = sp->family == 6 ? 40 : 20 + (sp->ip4_opts ? 4 : 0);
	uint32_t tcplen = 20 + sp->optlen + sp->payload, len, s;
	uint8_t *ip, *th;

	memset(f, 0, MAX_FRAME);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	if (sp->vlan) {
		be16(f + 12, 0x8100);
		be16(f + 14, 0xa07b); /* PCP 5, VID 123 */
		off += 4;
	}
	be16(f + off, sp->family == 6 ? 0x86dd : 0x0800);
	ip = f + off + 2;
	th = ip + iphl;
	if (sp->family == 6) {
		be32(ip, 0x60000000);
		be16(ip + 4, (uint16_t)tcplen);
		ip[6] = 6;
		ip[7] = 57;
		memcpy(ip + 8, cli6, 16);
		memcpy(ip + 24, srv6, 16);
		s = sum16(ip + 8, 32, 6 + tcplen);
	} else {
		ip[0] = 0x40 | (uint8_t)(iphl / 4);
		ip[1] = 0x10;
		be16(ip + 2, (uint16_t)(iphl + tcplen));
		be16(ip + 4, 0x1234);
		ip[8] = 51;
		ip[9] = 6;
		memcpy(ip + 12, cli4, 4);
		memcpy(ip + 16, srv4, 4);
		if (sp->ip4_opts)
			memset(ip + 20, 1, 4);
		be16(ip + 10, fin16(sum16(ip, iphl, 0)) ^ (sp->bad_ip_csum ? 0x0100 : 0));
		s = sum16(ip + 12, 8, 6 + tcplen);
	}
	be16(th, sp->sport ? sp->sport : 40000);
	be16(th + 2, SRV_PORT);
	be32(th + 4, sp->seq);
	th[12] = (uint8_t)(((20 + sp->optlen) / 4) << 4);
	th[13] = sp->flags;
	be16(th + 14, 64240);
	memcpy(th + 20, sp->opt, sp->optlen);
	memset(th + 20 + sp->optlen, 'x', sp->payload);
	be16(th + 16, fin16(sum16(th, tcplen, s)) ^ (sp->bad_tcp_csum ? 0x0001 : 0));
	len = (uint32_t)(th - f) + tcplen;
	if (sp->pad60 && len < 60)
		len = 60;
	return len;
}

/* ---- the core: a stack with the same keys ---- */

struct core {
	struct tern_stack *s;
	void *mem;
	struct tern_tx tx[4];
	struct tern_out out;
};

/* cfg.mss_clamp of the stacks core_init() makes (--mss-clamp). */
static uint16_t core_mss_clamp;
/* Fleet keys for every core made after fleet_on(): the XDP program must
 * issue the cookie the core would with its count offset too. */
static struct tern_fleet_keys fleet_keys;
static int64_t fleet_off;
static int fleet;

static int core_init(struct core *c, const struct tern_secrets *sec, int mode, uint64_t now)
{
	struct tern_cfg cfg;
	struct tern_addr a4 = { { 0 } }, a6;
	size_t len;

	tern_cfg__defaults(&cfg);
	cfg.syncookies = (uint8_t)mode;
	cfg.mss_clamp = core_mss_clamp;
	len = tern_stack__memsize(&cfg);
	c->mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
	if (!c->mem)
		return -ENOMEM;
	c->s = tern_stack__init(c->mem, len, &cfg, sec, now);
	if (!c->s)
		return -errno;
	if (fleet)
		tern_stack__set_fleet(c->s, &fleet_keys, fleet_off);
	a4.b[10] = a4.b[11] = 0xff;
	memcpy(a4.b + 12, srv4, 4);
	memcpy(a6.b, srv6, 16);
	if (tern_stack__listen(c->s, &a4, 4, SRV_PORT) || tern_stack__listen(c->s, &a6, 6, SRV_PORT))
		return -EINVAL;
	return 0;
}

/* The core's reply frame to f at now; its length, or 0 for none. */
static int core_reply(struct core *c, const uint8_t *f, uint32_t len, uint64_t now, uint8_t *buf)
{
	c->out = (struct tern_out){ .tx = c->tx, .cap = 4 };
	tern_stack__rx(c->s, f, len, 0, now, &c->out);
	if (c->out.n != 1)
		return 0;
	return tern_build(buf, MAX_FRAME, &c->tx[0]);
}

/* ---- the XDP program ---- */

struct xdp {
	struct bpf_object *obj;
	int prog, cfg, on, svc, ports, xsks, xsk, flows, load;
	uint8_t *slots; /* tern_flows, mmapped */
};

/* Load the program, find its maps, steer the test service to queue 0
 * with a socket (xdp_check.h's xsk_open()) in the XSKMAP, which the
 * program checks before answering. */
static int xdp_open(struct xdp *x, const char *path)
{
	int err = xdp_load(path, &x->obj, &x->prog);

	if (err)
		return err;
	x->cfg = map_fd(x->obj, TERN_MAP_COOKIE_CFG);
	x->on = map_fd(x->obj, TERN_MAP_COOKIE_ON);
	x->svc = map_fd(x->obj, TERN_MAP_SERVICES);
	x->xsks = map_fd(x->obj, TERN_MAP_XSKS);
	x->flows = map_fd(x->obj, TERN_MAP_FLOWS);
	x->load = map_fd(x->obj, TERN_MAP_XDP_LOAD);
	if (x->cfg < 0 || x->on < 0 || x->svc < 0 || x->xsks < 0 || x->flows < 0 || x->load < 0)
		return -ENOENT;
	x->slots = mmap(NULL, (size_t)TERN_XDP_MAX_QUEUES * TERN_FLOW_SLOTS_MAX,
			PROT_READ | PROT_WRITE, MAP_SHARED, x->flows, 0);
	if (x->slots == MAP_FAILED)
		return -errno;
	x->ports = map_fd(x->obj, TERN_MAP_SVC_PORTS);
	if (x->ports < 0)
		return -ENOENT;
	return xdp_steer(x->svc, x->ports, x->xsks, srv4, srv6, SRV_PORT, &x->xsk);
}

static int xdp_flag(struct xdp *x, __u64 val)
{
	__u32 q = 0;

	return bpf_map_update_elem(x->on, &q, &val, BPF_ANY) ? -errno : 0;
}

/* Runs the program on f; *out_len the frame it leaves, returns the action. */
static int xdp_run(struct xdp *x, const uint8_t *f, uint32_t len, uint8_t *out, uint32_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = len, .data_out = out,
		    .data_size_out = MAX_FRAME, .repeat = 1);

	if (bpf_prog_test_run_opts(x->prog, &o))
		return -errno;
	*out_len = o.data_size_out;
	return (int)o.retval;
}

/* ---- the cases ---- */

#define MSS(v) 2, 4, (v) >> 8, (v) & 0xff
#define WS(v) 3, 3, (v)
#define SACKOK 4, 2
#define TS(v) 8, 10, 0, 0, 0, (v), 0, 0, 0, 0
#define NOP 1

/* With cfg.mss_clamp 1000 (the SYN-ACK's MSS and window rounding). */
static const struct syn_spec clamped[] = {
	{ .name = "mss-clamp 1000: v4 MSS 1460", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460), SACKOK, TS(77), NOP, WS(7) }, .optlen = 20 },
	{ .name = "mss-clamp 1000: v6 MSS 1440", .family = 6, .vlan = 0, .flags = 0x02, .opt = { MSS(1440), SACKOK, TS(77), NOP, WS(7) }, .optlen = 20 },
	{ .name = "mss-clamp 1000: v4 no options", .family = 4, .vlan = 0, .flags = 0x02, .opt = { 0 }, .optlen = 0, .pad60 = 1 },
	{ .name = "mss-clamp 1000: v6 VLAN MSS 536", .family = 6, .vlan = 1, .flags = 0x02, .opt = { MSS(536) }, .optlen = 4 },
};

static const struct syn_spec answered[] = {
	{ .name = "v4 no options", .family = 4, .vlan = 0, .flags = 0x02, .opt = { 0 }, .optlen = 0, .pad60 = 1 },
	{ .name = "v4 MSS 1460", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460) }, .optlen = 4 },
	{ .name = "v4 MSS 100", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(100) }, .optlen = 4 },
	{ .name = "v4 MSS 536", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(536) }, .optlen = 4 },
	{ .name = "v4 MSS 1300", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1300) }, .optlen = 4 },
	{ .name = "v4 MSS 1439", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1439) }, .optlen = 4 },
	{ .name = "v4 MSS 1440", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1440) }, .optlen = 4 },
	{ .name = "v4 MSS 9000", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(9000) }, .optlen = 4 },
	{ .name = "v4 MSS 0 (ignored)", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(0) }, .optlen = 4 },
	{ .name = "v4 MSS+WS", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460), NOP, WS(7) }, .optlen = 8 },
	{ .name = "v4 MSS+SACK", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460), NOP, NOP, SACKOK }, .optlen = 8 },
	{ .name = "v4 MSS+TS", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460), NOP, NOP, TS(9) }, .optlen = 16 },
	{ .name = "v4 MSS+SACK+TS", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460), SACKOK, TS(9) }, .optlen = 16 },
	{ .name = "v4 TS+WS", .family = 4, .vlan = 0, .flags = 0x02, .opt = { NOP, NOP, TS(9), NOP, WS(2) }, .optlen = 16 },
	{ .name = "v4 all four (Linux order)", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460), SACKOK, TS(77), NOP, WS(7) }, .optlen = 20 },
	{ .name = "v4 all four, WS 14", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1380), SACKOK, TS(77), NOP, WS(14) }, .optlen = 20 },
	{ .name = "v4 all four, WS 20 (clamped)", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460), SACKOK, TS(77), NOP, WS(20) }, .optlen = 20 },
	{ .name = "v4 all four, WS 0", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460), SACKOK, TS(77), NOP, WS(0) }, .optlen = 20 },
	{ .name = "v4 ECN SYN (ECE|CWR)", .family = 4, .vlan = 0, .flags = 0xc2, .opt = { MSS(1460), SACKOK, TS(77), NOP, WS(7) }, .optlen = 20 },
	{ .name = "v4 SYN|PSH|URG", .family = 4, .vlan = 0, .flags = 0x2a, .opt = { MSS(1460) }, .optlen = 4 },
	{ .name = "v4 EOL ends options", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460), 0, 0, 0, 0, SACKOK, NOP, NOP }, .optlen = 12 },
	{ .name = "v4 unknown option skipped", .family = 4, .vlan = 0, .flags = 0x02, .opt = { 30, 6, 1, 2, 3, 4, MSS(1400), NOP, NOP }, .optlen = 12 },
	{ .name = "v4 option past the end", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460), NOP, NOP, 8, 12 }, .optlen = 8 },
	{ .name = "v4 bad TS length ignored", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460), 8, 6, 0, 0, 0, 1, NOP, NOP }, .optlen = 12 },
	{ .name = "v4 MSS twice, last wins", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460), MSS(600) }, .optlen = 8 },
	{ .name = "v4 seq near wrap", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460), SACKOK, TS(77), NOP, WS(7) }, .optlen = 20,
	  .seq = 0xffffffff, .sport = 65535 },
	{ .name = "v4 VLAN all four", .family = 4, .vlan = 1, .flags = 0x02, .opt = { MSS(1460), SACKOK, TS(77), NOP, WS(7) }, .optlen = 20 },
	{ .name = "v4 VLAN no options", .family = 4, .vlan = 1, .flags = 0x02, .opt = { 0 }, .optlen = 0, .pad60 = 1 },
	{ .name = "v6 no options", .family = 6, .vlan = 0, .flags = 0x02, .opt = { 0 }, .optlen = 0 },
	{ .name = "v6 MSS 1440", .family = 6, .vlan = 0, .flags = 0x02, .opt = { MSS(1440) }, .optlen = 4 },
	{ .name = "v6 MSS 1419", .family = 6, .vlan = 0, .flags = 0x02, .opt = { MSS(1419) }, .optlen = 4 },
	{ .name = "v6 MSS 8940", .family = 6, .vlan = 0, .flags = 0x02, .opt = { MSS(8940) }, .optlen = 4 },
	{ .name = "v6 MSS+WS", .family = 6, .vlan = 0, .flags = 0x02, .opt = { MSS(1440), NOP, WS(7) }, .optlen = 8 },
	{ .name = "v6 MSS+SACK", .family = 6, .vlan = 0, .flags = 0x02, .opt = { MSS(1440), NOP, NOP, SACKOK }, .optlen = 8 },
	{ .name = "v6 MSS+TS", .family = 6, .vlan = 0, .flags = 0x02, .opt = { MSS(1440), NOP, NOP, TS(5) }, .optlen = 16 },
	{ .name = "v6 all four", .family = 6, .vlan = 0, .flags = 0x02, .opt = { MSS(1440), SACKOK, TS(5), NOP, WS(9) }, .optlen = 20 },
	{ .name = "v6 ECN SYN", .family = 6, .vlan = 0, .flags = 0xc2, .opt = { MSS(1440), SACKOK, TS(5), NOP, WS(9) }, .optlen = 20 },
	{ .name = "v6 VLAN all four", .family = 6, .vlan = 1, .flags = 0x02, .opt = { MSS(1440), SACKOK, TS(5), NOP, WS(9) }, .optlen = 20 },
};

static const struct syn_spec refused[] = {
	{ .name = "v4 bad TCP checksum", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460) }, .optlen = 4, .bad_tcp_csum = 1 },
	{ .name = "v4 bad IP checksum", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460) }, .optlen = 4, .bad_ip_csum = 1 },
	{ .name = "v4 SYN with payload", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460) }, .optlen = 4, .payload = 5 },
	{ .name = "v4 IP options", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460) }, .optlen = 4, .ip4_opts = 1 },
	{ .name = "v4 SYN|ACK", .family = 4, .vlan = 0, .flags = 0x12, .opt = { MSS(1460) }, .optlen = 4 },
	{ .name = "v4 ACK", .family = 4, .vlan = 0, .flags = 0x10, .opt = { 0 }, .optlen = 0 },
	{ .name = "v4 SYN|FIN", .family = 4, .vlan = 0, .flags = 0x03, .opt = { 0 }, .optlen = 0 },
	{ .name = "v4 SYN|RST", .family = 4, .vlan = 0, .flags = 0x06, .opt = { 0 }, .optlen = 0 },
	{ .name = "v6 bad TCP checksum", .family = 6, .vlan = 0, .flags = 0x02, .opt = { MSS(1440) }, .optlen = 4, .bad_tcp_csum = 1 },
	{ .name = "v6 SYN with payload", .family = 6, .vlan = 0, .flags = 0x02, .opt = { MSS(1440) }, .optlen = 4, .payload = 3 },
};

static void hexdiff(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			fprintf(stderr, "    byte %u: xdp %02x core %02x\n", i, a[i], b[i]);
}

/* The ACK that completes the handshake of synack, as a client sends it. */
static uint32_t ack_for(const uint8_t *sa, uint32_t sa_len, int family, int vlan, uint8_t *f)
{
	uint32_t l3 = 14 + (vlan ? 4 : 0), iphl = family == 6 ? 40 : 20;
	const uint8_t *th = sa + l3 + iphl, *o = th + 20;
	uint32_t doff = (uint32_t)(th[12] >> 4) * 4, tsval = 0, i;
	struct syn_spec sp = { .name = "ack", .family = family, .vlan = vlan, .flags = 0x10 };
	int has_ts = 0;

	for (i = 0; i + 10 <= doff - 20; i++)
		if (o[i] == 8 && o[i + 1] == 10) {
			tsval = (uint32_t)o[i + 2] << 24 | (uint32_t)o[i + 3] << 16 |
				(uint32_t)o[i + 4] << 8 | o[i + 5];
			has_ts = 1;
			break;
		}
	(void)sa_len;
	if (has_ts) {
		uint8_t ts[12] = { NOP, NOP, 8, 10, 0, 0, 0, 99 };

		be32(ts + 8, tsval);
		memcpy(sp.opt, ts, 12);
		sp.optlen = 12;
	}
	sp.seq = ((uint32_t)th[8] << 24 | (uint32_t)th[9] << 16 | (uint32_t)th[10] << 8 | th[11]);
	sp.sport = (uint16_t)(th[2] << 8 | th[3]);
	{
		uint32_t len = build_syn(&sp, f);
		uint8_t *t = f + l3 + iphl;
		uint32_t cookie = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 |
				  (uint32_t)th[6] << 8 | th[7];
		uint32_t s;

		/* seq was set to the SYN-ACK's ACK; the ACK field is cookie + 1 */
		be32(t + 8, cookie + 1);
		be16(t + 16, 0);
		s = family == 6 ? sum16(f + l3 + 8, 32, 6 + 20 + sp.optlen)
				: sum16(f + l3 + 12, 8, 6 + 20 + sp.optlen);
		be16(t + 16, fin16(sum16(t, 20 + sp.optlen, s)));
		return len;
	}
}

static void check_answered(struct xdp *x, const struct tern_secrets *sec, struct core *c,
			   const struct syn_spec *sp)
{
	uint8_t f[MAX_FRAME], out[MAX_FRAME], want[MAX_FRAME], ack[MAX_FRAME];
	uint32_t len = build_syn(sp, f), out_len = 0, alen;
	uint64_t t0, t1, now = 0;
	struct core fresh;
	int ret, wl = 0;
	char why[128];

	t0 = coarse_ns();
	ret = xdp_run(x, f, len, out, &out_len);
	t1 = coarse_ns();
	if (ret != XDP_TX_RET) {
		snprintf(why, sizeof(why), "action %d, want XDP_TX", ret);
		return result(0, sp->name, why);
	}
	for (int i = 0; i < 2 && !now; i++) {
		uint64_t t = i ? t1 : t0;

		wl = core_reply(c, f, len, t, want);
		if (wl > 0 && (uint32_t)wl == out_len && !memcmp(out, want, out_len))
			now = t;
	}
	if (!now) {
		snprintf(why, sizeof(why), "differs from the core (xdp %u bytes, core %d)", out_len,
			 wl);
		if (wl > 0 && (uint32_t)wl == out_len)
			hexdiff(out, want, out_len);
		return result(0, sp->name, why);
	}
	/* The core accepts the cookie XDP issued: a stack in AUTO mode that
	 * never sent a cookie itself, told XDP issued some. */
	if (core_init(&fresh, sec, TERN_COOKIES_AUTO, now)) {
		free(fresh.mem);
		return result(0, sp->name, "core init");
	}
	alen = ack_for(out, out_len, sp->family, sp->vlan, ack);
	tern_stack__cookies_issued(fresh.s, now);
	core_reply(&fresh, ack, alen, now + 1000000, want);
	ret = tern_stack__mib(fresh.s)[TERN_MIB_SyncookiesRecv] == 1 &&
	      tern_stack__nconns(fresh.s) == 1;
	free(fresh.mem);
	result(ret, sp->name, "the core refused the cookie XDP issued");
}

static void check_refused(struct xdp *x, const struct syn_spec *sp)
{
	uint8_t f[MAX_FRAME], out[MAX_FRAME];
	uint32_t len = build_syn(sp, f), out_len = 0;
	int ret = xdp_run(x, f, len, out, &out_len);
	char why[64];

	snprintf(why, sizeof(why), "action %d", ret);
	result(ret >= 0 && ret != XDP_TX_RET && out_len == len && !memcmp(f, out, len), sp->name,
	       why);
}

/* Without the ACK-side note the AUTO stack answers a cookie ACK with a RST
 * (the recent-cookie check): the note is what makes XDP's cookies valid. */
static void check_note_needed(struct xdp *x, const struct tern_secrets *sec)
{
	const struct syn_spec *sp = &answered[14];
	uint8_t f[MAX_FRAME], out[MAX_FRAME], ack[MAX_FRAME], rep[MAX_FRAME];
	uint32_t len = build_syn(sp, f), out_len = 0, alen;
	uint64_t now = mono_ns();
	struct core c;
	int ok;

	c.mem = NULL;
	if (xdp_run(x, f, len, out, &out_len) != XDP_TX_RET || core_init(&c, sec, TERN_COOKIES_AUTO, now)) {
		free(c.mem);
		return result(0, "cookie ACK without the note", "setup");
	}
	alen = ack_for(out, out_len, 4, 0, ack);
	core_reply(&c, ack, alen, now, rep);
	ok = tern_stack__nconns(c.s) == 0 && tern_stack__mib(c.s)[TERN_MIB_OutRsts] == 1;
	free(c.mem);
	result(ok, "cookie ACK without the note gets a RST", "accepted");
}

/* ---- segments to no flow (bpf/ackcheck.h) ---- */

/* Set the ACK number, flags and TCP checksum of an untagged frame. */
static void set_tcp(uint8_t *f, int family, uint32_t ack, uint8_t flags)
{
	uint8_t *ip = f + 14, *t = ip + (family == 6 ? 40 : 20);
	uint32_t tcplen = family == 6 ? (uint32_t)(ip[4] << 8 | ip[5])
				      : (uint32_t)(ip[2] << 8 | ip[3]) - 20;
	uint32_t s = family == 6 ? sum16(ip + 8, 32, 6 + tcplen) : sum16(ip + 12, 8, 6 + tcplen);

	be32(t + 8, ack);
	t[13] = flags;
	be16(t + 16, 0);
	be16(t + 16, fin16(sum16(t, tcplen, s)));
}

static uint32_t get_ack(const uint8_t *f, int family)
{
	const uint8_t *t = f + 14 + (family == 6 ? 40 : 20) + 8;

	return (uint32_t)t[0] << 24 | (uint32_t)t[1] << 16 | (uint32_t)t[2] << 8 | t[3];
}

/* Queue 0's tern_xdp_load count. */
static uint64_t handled(const struct xdp *x)
{
	struct tern_xdp_qload l = { 0 };
	__u32 q = 0;

	bpf_map_lookup_elem(x->load, &q, &l);
	return l.handled;
}

static void expect(struct xdp *x, const uint8_t *f, uint32_t len, int want, const char *name)
{
	uint8_t out[MAX_FRAME];
	uint32_t out_len = 0;
	int ret = xdp_run(x, f, len, out, &out_len);
	char why[64];

	snprintf(why, sizeof(why), "action %d, want %d", ret, want);
	result(ret == want, name, why);
}

/* The final ACK of sp's handshake through XDP, in *ack; and the same
 * ACK with a cookie whose MSS index is out of range, in *bad. */
static int acks_for(struct xdp *x, const struct syn_spec *sp, uint8_t *ack, uint32_t *alen,
		    uint8_t *bad)
{
	uint8_t f[MAX_FRAME], out[MAX_FRAME];
	uint32_t len = build_syn(sp, f), out_len = 0;

	uint64_t h = handled(x);

	if (xdp_run(x, f, len, out, &out_len) != XDP_TX_RET)
		return -1;
	result(handled(x) == h + 1, "a SYN-ACK from XDP is XDP's load", "not counted");
	*alen = ack_for(out, out_len, sp->family, 0, ack);
	memcpy(bad, ack, *alen);
	set_tcp(bad, sp->family, get_ack(ack, sp->family) + 0x100000, 0x10);
	return 0;
}

static void check_acks(struct xdp *x, const struct tern_secrets *sec)
{
	const struct syn_spec *sp4 = &answered[14], *sp6 = &answered[35];
	uint8_t ack[MAX_FRAME], bad[MAX_FRAME], seg[MAX_FRAME], rep[MAX_FRAME], bad6[MAX_FRAME];
	struct tern_xdp_cookie_cfg cfg;
	uint64_t now = mono_ns();
	uint32_t alen, alen6 = 0, zero = 0;
	uint64_t h;
	struct core c;

	c.mem = NULL;
	memset(x->slots, 0, TERN_FLOW_SLOTS_MAX); /* queue 0's part */
	if (core_init(&c, sec, TERN_COOKIES_AUTO, now) ||
	    tern_stack__set_flow_filter(c.s, x->slots, TERN_FLOW_SLOTS_MAX) ||
	    tern_stack__xdp_cfg(c.s, 0, &cfg) || bpf_map_update_elem(x->cfg, &zero, &cfg, BPF_ANY)) {
		free(c.mem);
		return result(0, "ACKs to no flow", "setup");
	}
	xdp_flag(x, 1);
	if (acks_for(x, sp6, ack, &alen6, bad6)) {
		result(0, "v6 ACKs to no flow", "no SYN-ACK");
	} else {
		expect(x, ack, alen6, XDP_REDIRECT_RET, "v6 ACK with XDP's cookie steered");
		expect(x, bad6, alen6, XDP_DROP_RET, "v6 ACK with a bad cookie dropped");
	}
	if (acks_for(x, sp4, ack, &alen, bad)) {
		free(c.mem);
		return result(0, "v4 ACKs to no flow", "no SYN-ACK");
	}
	h = handled(x);
	expect(x, ack, alen, XDP_REDIRECT_RET, "v4 ACK with XDP's cookie steered");
	result(handled(x) == h, "a steered ACK is not XDP's load", "counted");
	expect(x, bad, alen, XDP_DROP_RET, "v4 ACK with a bad cookie dropped");
	result(handled(x) == h + 1, "a dropped ACK is XDP's load", "not counted");
	memcpy(seg, ack, alen);
	set_tcp(seg, 4, get_ack(ack, 4), 0x04);
	expect(x, seg, alen, XDP_DROP_RET, "v4 RST to no flow dropped");
	set_tcp(seg, 4, get_ack(ack, 4), 0x08);
	expect(x, seg, alen, XDP_DROP_RET, "v4 segment without ACK to no flow dropped");
	set_tcp(seg, 4, get_ack(ack, 4), 0x11);
	expect(x, seg, alen, XDP_REDIRECT_RET, "v4 FIN|ACK with XDP's cookie steered");

	/* The stack takes the cookie: its flow is counted in the map. Its
	 * clock is read after XDP's, which stamped the SYN-ACK's TSval. */
	now = mono_ns();
	tern_stack__cookies_issued(c.s, now);
	core_reply(&c, ack, alen, now, rep);
	result(tern_stack__nconns(c.s) == 1, "the core takes the cookie ACK", "no connection");
	expect(x, bad, alen, XDP_REDIRECT_RET, "v4 bad-cookie ACK of a held flow steered");
	set_tcp(seg, 4, get_ack(ack, 4), 0x04);
	core_reply(&c, seg, alen, now + 1000000, rep);
	result(tern_stack__nconns(c.s) == 0, "the flow is reset", "connection left");
	expect(x, bad, alen, XDP_DROP_RET, "v4 bad-cookie ACK dropped once the flow went");
	xdp_flag(x, 0);
	expect(x, bad, alen, XDP_REDIRECT_RET, "v4 bad-cookie ACK steered with the flag off");
	xdp_flag(x, 1);

	/* One slot (--xdp-flow-slots 1): any held flow lets every tuple by. */
	memset(x->slots, 0, TERN_FLOW_SLOTS_MAX);
	if (tern_stack__set_flow_filter(c.s, x->slots, 1) || tern_stack__xdp_cfg(c.s, 0, &cfg) ||
	    bpf_map_update_elem(x->cfg, &zero, &cfg, BPF_ANY))
		result(0, "one slot", "setup");
	core_reply(&c, ack, alen, now + 2000000, rep);
	result(tern_stack__nconns(c.s) == 1, "the core takes the cookie ACK again", "no connection");
	if (alen6)
		expect(x, bad6, alen6, XDP_REDIRECT_RET, "one slot: another tuple's bad ACK steered");
	tern_stack__set_flow_filter(c.s, NULL, 0);
	free(c.mem);
}

/*
 * With fleet keys, XDP checks a cookie ACK on the fleet's clock (count_off)
 * and, after a rotation, under the previous keys too, as the core does
 * (tern_cookie_check()); c holds the fleet keys and its cfg is in the map.
 */
static void check_fleet_acks(struct xdp *x, struct core *c)
{
	uint8_t ack[MAX_FRAME], bad[MAX_FRAME], other[64];
	struct tern_xdp_cookie_cfg cfg;
	struct tern_fleet_keys next;
	__u32 zero = 0;
	uint32_t alen;

	memset(x->slots, 0, TERN_FLOW_SLOTS_MAX); /* no held flow lets an ACK by */
	if (acks_for(x, &answered[14], ack, &alen, bad))
		return result(0, "fleet keys: ACKs", "no SYN-ACK");
	expect(x, ack, alen, XDP_REDIRECT_RET, "fleet keys: ACK with XDP's cookie steered");
	expect(x, bad, alen, XDP_DROP_RET, "fleet keys: ACK with a bad cookie dropped");
	for (size_t i = 0; i < sizeof(other); i++)
		other[i] = (uint8_t)(i * 31 + 7);
	if (tern_fleet_keys__derive(other, sizeof(other), &next) ||
	    tern_stack__rotate(c->s, &next, mono_ns()) || tern_stack__xdp_cfg(c->s, 0, &cfg) ||
	    bpf_map_update_elem(x->cfg, &zero, &cfg, BPF_ANY))
		return result(0, "fleet keys: rotation", "setup");
	expect(x, ack, alen, XDP_REDIRECT_RET, "after a rotation: ACK with the previous key's cookie steered");
	expect(x, bad, alen, XDP_DROP_RET, "after a rotation: ACK with a bad cookie dropped");
}

/*
 * --cookie-secret: keys from a secret file's bytes and a count offset of
 * 12345 minutes and 17 s (another minute than the plain clock's), so a
 * program that ignored count_off would issue another cookie.
 */
static void check_fleet(struct xdp *x, const struct tern_secrets *sec)
{
	struct tern_xdp_cookie_cfg cfg;
	uint8_t bytes[64];
	struct core c;
	__u32 zero = 0;

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 29 + 5);
	if (tern_fleet_keys__derive(bytes, sizeof(bytes), &fleet_keys))
		return result(0, "fleet keys", "derive");
	fleet_off = 12345 * 60 * (int64_t)1000000000 + 17 * (int64_t)1000000000;
	fleet = 1;
	if (core_init(&c, sec, TERN_COOKIES_ALWAYS, mono_ns())) {
		free(c.mem);
		return result(0, "fleet keys", "core init");
	}
	tern_stack__xdp_cfg(c.s, 0, &cfg);
	if (bpf_map_update_elem(x->cfg, &zero, &cfg, BPF_ANY))
		return result(0, "fleet keys", "write keys");
	for (size_t i = 0; i < 4; i++) {
		struct syn_spec sp = answered[i];
		char name[160];

		snprintf(name, sizeof(name), "fleet keys, count offset: %s", sp.name);
		sp.name = name;
		check_answered(x, sec, &c, &sp);
	}
	check_fleet_acks(x, &c);
	free(c.mem);
	fleet = 0;
}

/* ---- the service lookup: tern_svc_ports before tern_services ---- */

#define XDP_PASS_RET 2

/* An untagged v4 SYN (MSS 1460) to dst:SRV_PORT, checksums right. */
static uint32_t syn_to(const uint8_t dst[4], uint8_t *f)
{
	static const struct syn_spec sp = { .name = "", .family = 4, .flags = 0x02,
					    .opt = { MSS(1460) }, .optlen = 4 };
	uint32_t len = build_syn(&sp, f);
	uint8_t *ip = f + 14;

	memcpy(ip + 16, dst, 4);
	be16(ip + 10, 0);
	be16(ip + 10, fin16(sum16(ip, 20, 0)));
	set_tcp(f, 4, 0, 0x02);
	return len;
}

static __u32 port_flags(const struct xdp *x)
{
	struct tern_svc_port e = { 0 };
	__u32 port = htons(SRV_PORT);

	bpf_map_lookup_elem(x->ports, &port, &e);
	return e.flags;
}

static struct tern_svc_key svc4(const uint8_t a[4])
{
	struct tern_svc_key k;

	memset(&k, 0, sizeof(k));
	k.addr[10] = k.addr[11] = 0xff;
	memcpy(k.addr + 12, a, 4);
	k.port = htons(SRV_PORT);
	return k;
}

/* With one v4 service on the port the program answers from the port's
 * entry, and another address on the port is no service; with two, or
 * with the entry cleared, from the hash. */
static void check_services(struct xdp *x)
{
	static const uint8_t other[4] = { 10, 9, 0, 2 };
	static const struct tern_svc_port none;
	struct tern_svc_key k = svc4(other);
	uint8_t f[MAX_FRAME], g[MAX_FRAME];
	uint32_t len = syn_to(srv4, f), glen = syn_to(other, g);
	__u32 port = htons(SRV_PORT);

	result(port_flags(x) == (TERN_SVC_PORT_ONE4 | TERN_SVC_PORT_ONE6),
	       "one v4 and one v6 service: both in the port's entry", "flags");
	expect(x, f, len, XDP_TX_RET, "the port's v4 service answered from its entry");
	expect(x, g, glen, XDP_PASS_RET, "another v4 address on the port is no service");
	tern_svcmap__change(x->svc, x->ports, &k, true);
	result(port_flags(x) == TERN_SVC_PORT_ONE6, "two v4 services: v4 left to the hash",
	       "flags");
	expect(x, f, len, XDP_TX_RET, "two v4 services: the first answered");
	expect(x, g, glen, XDP_TX_RET, "two v4 services: the second answered");
	tern_svcmap__change(x->svc, x->ports, &k, false);
	result(port_flags(x) == (TERN_SVC_PORT_ONE4 | TERN_SVC_PORT_ONE6),
	       "the second removed: the entry is back", "flags");
	expect(x, g, glen, XDP_PASS_RET, "the removed service's address passed");
	bpf_map_update_elem(x->ports, &port, &none, BPF_ANY);
	expect(x, f, len, XDP_TX_RET, "entry cleared: the hash answers");
	expect(x, g, glen, XDP_PASS_RET, "entry cleared: another address passed");
	k = svc4(srv4);
	tern_svcmap__change(x->svc, x->ports, &k, true);
}

int main(int argc, char **argv)
{
	struct tern_xdp_cookie_cfg cfg;
	struct tern_secrets sec;
	struct core c;
	struct xdp x;
	__u32 zero = 0;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BPF_OBJECT\n", argv[0]);
		return 2;
	}
	if (geteuid()) {
		fprintf(stderr, "xdpsyn-check: needs root (BPF_PROG_TEST_RUN)\n");
		return 77;
	}
	for (size_t i = 0; i < sizeof(sec); i++)
		((uint8_t *)&sec)[i] = (uint8_t)(i * 37 + 11);
	err = xdp_open(&x, argv[1]);
	if (err) {
		fprintf(stderr, "xdpsyn-check: load %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	if (core_init(&c, &sec, TERN_COOKIES_ALWAYS, mono_ns())) {
		fprintf(stderr, "xdpsyn-check: core init failed\n");
		return 1;
	}

	/* Flag on but no keys yet: the worker answers. */
	xdp_flag(&x, 1);
	check_refused(&x, &(struct syn_spec){ .name = "no keys in the map yet", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460) }, .optlen = 4 });
	tern_stack__xdp_cfg(c.s, 0, &cfg);
	if (bpf_map_update_elem(x.cfg, &zero, &cfg, BPF_ANY)) {
		fprintf(stderr, "xdpsyn-check: write keys: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(answered) / sizeof(answered[0]); i++)
		check_answered(&x, &sec, &c, &answered[i]);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		check_refused(&x, &refused[i]);
	check_note_needed(&x, &sec);
	check_acks(&x, &sec);

	/* --mss-clamp: XDP advertises the clamped MSS the core does. */
	free(c.mem);
	core_mss_clamp = 1000;
	if (core_init(&c, &sec, TERN_COOKIES_ALWAYS, mono_ns())) {
		fprintf(stderr, "xdpsyn-check: core init failed\n");
		return 1;
	}
	tern_stack__xdp_cfg(c.s, 0, &cfg);
	if (cfg.mss[0] != 1000 || cfg.mss[1] != 1000 ||
	    bpf_map_update_elem(x.cfg, &zero, &cfg, BPF_ANY)) {
		fprintf(stderr, "xdpsyn-check: clamped keys: MSS %u/%u\n", cfg.mss[0], cfg.mss[1]);
		return 1;
	}
	for (size_t i = 0; i < sizeof(clamped) / sizeof(clamped[0]); i++)
		check_answered(&x, &sec, &c, &clamped[i]);
	xdp_flag(&x, 0);
	check_refused(&x, &(struct syn_spec){ .name = "queue flag off", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460) }, .optlen = 4 });
	xdp_flag(&x, 1);
	check_fleet(&x, &sec);
	check_services(&x);
	bpf_map_delete_elem(x.xsks, &zero);
	check_refused(&x, &(struct syn_spec){ .name = "no socket on the queue", .family = 4, .vlan = 0, .flags = 0x02, .opt = { MSS(1460) }, .optlen = 4 });

	free(c.mem);
	close(x.xsk);
	bpf_object__close(x.obj);
	printf("xdpsyn: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
