/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SYN cookies answered in XDP (issue 15, docs/xdp-syn.md): for a plain SYN
 * to a steered service, on a queue whose flag in tern_xdp_cookie_on is
 * set, the SYN becomes its SYN-ACK in place and leaves with XDP_TX. The
 * reply is byte for byte what the core sends for the same SYN, keys and
 * time (user/core/listen.c cookie_synack(), emit.c, build.c): the cookie
 * and TSval from include/tern/cookie.h, the core's option order, window,
 * TTL / hop limit, IPv4 ID 0 with DF, the Ethernet addresses swapped and
 * one 802.1Q tag kept. The final ACK goes to the worker, which checks the
 * cookie as its own.
 *
 * A SYN XDP does not take (IPv4 options, payload, bad checksum) goes on to
 * the worker, which answers or drops it as before.
 *
 * Included once, by tern.bpf.c, after its struct pkt and count().
 */
#ifndef TERN_BPF_SYNACK_H
#define TERN_BPF_SYNACK_H

#include "tern/cookie.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tern_xdp_cookie_cfg);
} tern_cookie_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, TERN_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u64); /* an array's values are 8 bytes apart when mmapped */
} tern_cookie_on SEC(".maps");

/* What XDP took off each queue's worker while its flag was on; the
 * worker keeps the flag on while this moves (user/io/xdpcookie.c). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, TERN_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, struct tern_xdp_qload);
} tern_xdp_load SEC(".maps");

/* Not atomic: one CPU serves a queue at a time on a NIC, and a lost
 * increment only makes the hold a little shorter. */
static __always_inline void load_add(__u32 queue)
{
	struct tern_xdp_qload *l = bpf_map_lookup_elem(&tern_xdp_load, &queue);

	if (l)
		l->handled++;
}

#define SYNACK_TTL 64        /* the core's TERN_IP_TTL (build.h) */
#define SYNACK_IP4_DF 0x4000
#define SYN_MAX_HLEN 60      /* TCP header with 40 bytes of options */
#define SYN_MAX_OPT_STEPS 40 /* every step eats at least one option byte */

/* What the SYN offered (tern_parse_opts(), syn_offer() in listen.c). */
struct syn_opts {
	__u32 tsval;
	__u16 mss;   /* 0: no (valid) MSS option */
	__u8 ws;     /* 1: window scale option seen */
	__u8 wscale; /* clamped to 14 */
	__u8 sack;
	__u8 ts;
};

/* The SYN's TCP header and the option walk live in a per-CPU map value:
 * its contents are unknown to the verifier, so the walk's paths do not
 * multiply the states of the code after it. */
struct syn_scratch {
	__u8 hdr[64];
	struct syn_opts so;
	__u32 i;
	__u32 doff;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syn_scratch);
} tern_synack_scratch SEC(".maps");

/* The reply's IP and TCP headers, built on the stack then stored. */
struct synack4 {
	__u8 ip[20];
	__u8 th[20];
	__u32 opt[5];
};

struct synack6 {
	__u8 ip[40];
	__u8 th[20];
	__u32 opt[5];
};

/* Ones'-complement sum of n native-order 32-bit words (RFC 1071). */
static __always_inline __u64 sum_words(const void *p, const int n)
{
	const __u32 *w = p;
	__u64 s = 0;

#pragma unroll
	for (int i = 0; i < n; i++)
		s += w[i];
	return s;
}

/* Folded and complemented, in the byte order of the summed memory. */
static __always_inline __u16 fold(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

static __always_inline void put16(__u8 *p, __u16 host)
{
	p[0] = host >> 8;
	p[1] = host & 0xff;
}

static __always_inline void put32(__u8 *p, __u32 host)
{
	p[0] = host >> 24;
	p[1] = (host >> 16) & 0xff;
	p[2] = (host >> 8) & 0xff;
	p[3] = host & 0xff;
}

static __always_inline __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

/* hdr[i] for a variable i: the mask keeps the read inside the 64-byte
 * buffer for the verifier, and the empty asm keeps clang from dropping
 * the mask when it can prove i < 60 by other means. */
static __always_inline __u8 at(const __u8 *hdr, __u32 i)
{
	asm volatile("" : "+r"(i));
	return hdr[i & 63];
}

/* One option of known size (tern_parse_opts()'s parse_opt()); o is the
 * 64-byte header buffer, i the option's offset in it. */
static __always_inline void syn_opt(const __u8 *o, __u32 i, __u32 size, struct syn_opts *so)
{
	__u8 kind = at(o, i);
	__u16 mss;

	if (kind == 2 && size == 4) {
		mss = (__u16)at(o, i + 2) << 8 | at(o, i + 3);
		if (mss) /* tcp_parse_options() ignores a zero MSS */
			so->mss = mss;
	} else if (kind == 3 && size == 3) {
		so->ws = 1;
		so->wscale = at(o, i + 2) > 14 ? 14 : at(o, i + 2);
	} else if (kind == 4 && size == 2) {
		so->sack = 1;
	} else if (kind == 8 && size == 10) {
		so->ts = 1;
		so->tsval = (__u32)at(o, i + 2) << 24 | (__u32)at(o, i + 3) << 16 |
			    (__u32)at(o, i + 4) << 8 | at(o, i + 5);
	}
}

/* One step of Linux tcp_parse_options(), as user/core/parse.c: EOL ends,
 * NOP is one byte, a length below 2 or past the end stops parsing.
 * Returns 1 to stop the walk (bpf_loop()). */
static int syn_opt_step(__u32 n, void *arg)
{
	struct syn_scratch *w = *(struct syn_scratch **)arg;
	__u32 i = w->i, doff = w->doff, size;

	(void)n;
	if (i >= doff || i >= SYN_MAX_HLEN)
		return 1;
	if (at(w->hdr, i) == 0)
		return 1;
	if (at(w->hdr, i) == 1) {
		w->i = i + 1;
		return 0;
	}
	if (doff - i < 2)
		return 1;
	size = at(w->hdr, i + 1);
	if (size < 2 || size > doff - i)
		return 1;
	syn_opt(w->hdr, i, size, &w->so);
	w->i = i + size;
	return 0;
}

/* The two layouts most SYNs carry, read without the walk: MSS alone
 * (tern-flood's, hping3's), and Linux's MSS, SACK-permitted, TS, NOP, WS
 * (tcp_options_write() for a SYN). The walk would find the same; false for
 * any other layout. */
static __always_inline bool syn_opts_common(const __u8 *h, __u32 doff, struct syn_opts *so)
{
	__u16 mss = (__u16)h[22] << 8 | h[23];

	if (h[20] != 2 || h[21] != 4)
		return false;
	if (doff != 24 && (doff != 40 || h[24] != 4 || h[25] != 2 || h[26] != 8 || h[27] != 10 ||
			   h[36] != 1 || h[37] != 3 || h[38] != 3))
		return false;
	if (mss) /* tcp_parse_options() ignores a zero MSS */
		so->mss = mss;
	if (doff == 24)
		return true;
	so->sack = 1;
	so->ts = 1;
	so->tsval = get32(h + 28);
	so->ws = 1;
	so->wscale = h[39] > 14 ? 14 : h[39];
	return true;
}

static __always_inline void syn_parse_opts(struct syn_scratch *sc, __u32 doff, struct syn_opts *so)
{
	if (syn_opts_common(sc->hdr, doff, so))
		return;
	__builtin_memset(&sc->so, 0, sizeof(sc->so));
	sc->i = 20;
	sc->doff = doff;
	bpf_loop(SYN_MAX_OPT_STEPS, syn_opt_step, &sc, 0);
	__builtin_memcpy(so, &sc->so, sizeof(*so));
}

/* The SYN's TCP header into hdr, in one load of l4_len bytes; 0 when
 * the SYN is one XDP answers: no payload, checksum right. psum:
 * pseudo-header sum. The two common lengths (syn_opts_common()) are
 * summed word by word as they are; any other is zeroed past its end
 * first and summed as 60 bytes. */
static __always_inline int syn_load(struct xdp_md *ctx, __u32 th_off, __u32 l4_len, __u64 psum,
				    __u8 hdr[64])
{
	__u64 s;

	if (l4_len < 20 || l4_len > SYN_MAX_HLEN)
		return -1; /* payload, or no TCP header: the worker's */
	if (l4_len != 24 && l4_len != 40)
		__builtin_memset(hdr, 0, 64);
	if (bpf_xdp_load_bytes(ctx, th_off, hdr, l4_len))
		return -1;
	if ((__u32)(hdr[12] >> 4) * 4 != l4_len)
		return -1; /* payload (or bad offset): the worker's */
	if (l4_len == 24)
		s = psum + sum_words(hdr, 24 / 4);
	else if (l4_len == 40)
		s = psum + sum_words(hdr, 40 / 4);
	else
		s = psum + sum_words(hdr, SYN_MAX_HLEN / 4); /* zero past doff */
	return fold(s) ? -1 : 0;
}

/* The SYN-ACK options in the core's order (emit.c put_synack_opts()):
 * MSS; SACK-permitted + TS, or NOP NOP TS; NOP WS. Without TS only the MSS
 * (cookie_synack(): nowhere to keep SACK and window scale). Returns the
 * option length; unused words stay zero, so summing all five is exact. */
static __always_inline __u32 synack_opts(__u32 opt[5], const struct syn_opts *so, __u16 mss,
					 __u8 rcv_wscale, __u32 tsval)
{
	__u8 *o = (__u8 *)opt;
	__u32 n = 4;

	o[0] = 2;
	o[1] = 4;
	put16(o + 2, mss);
	if (!so->ts)
		return n;
	o[4] = so->sack ? 4 : 1;
	o[5] = so->sack ? 2 : 1;
	o[6] = 8;
	o[7] = 10;
	put32(o + 8, tsval);
	put32(o + 12, so->tsval);
	n = 16;
	if (so->ws) {
		o[16] = 1;
		o[17] = 3;
		o[18] = 3;
		o[19] = rcv_wscale;
		n = 20;
	}
	return n;
}

static __always_inline void synack_tcp(__u8 *th, const __u8 *syn, __u32 iss, __u16 win,
				       __u32 optlen)
{
	th[0] = syn[2]; /* ports swapped */
	th[1] = syn[3];
	th[2] = syn[0];
	th[3] = syn[1];
	put32(th + 4, iss);
	put32(th + 8, get32(syn + 4) + 1);
	th[12] = ((20 + optlen) / 4) << 4;
	th[13] = 0x12; /* SYN | ACK */
	put16(th + 14, win);
}

/* The cookie, TSval and options for a SYN; family-independent part. */
struct synack_in {
	__u64 h;             /* the cookie's hash of the tuple at count */
	__u32 tsoff;         /* the timestamp offset's */
	__u32 count;
	__u64 now;
};

static __always_inline __u32 synack_iss(const struct synack_in *in, const __u8 *syn,
					const struct syn_opts *so, int family)
{
	__u16 peer_mss = so->mss ? so->mss :
			 family == 6 ? TERN_COOKIE_MSS_V6_DEFAULT : TERN_COOKIE_MSS_V4_DEFAULT;

	return tern_cookie_compose(in->h, get32(syn + 4), in->count,
				   tern_cookie_mss_idx(family, peer_mss));
}

static __always_inline __u32 synack_tsval(const struct synack_in *in, const struct syn_opts *so)
{
	return tern_cookie_ts_encode(tern_cookie_ms(in->now),
				     tern_cookie_ts_options(so->ws, so->wscale, so->sack)) +
	       in->tsoff;
}

/* Ethernet addresses swapped, as the core's put_eth(): to the SYN's
 * source, from the address it was sent to. The tag and type stay. */
static __always_inline int swap_macs(struct xdp_md *ctx)
{
	__u8 *d = (void *)(long)ctx->data;
	__u8 tmp[6];

	if ((void *)(d + 12) > (void *)(long)ctx->data_end)
		return -1;
	__builtin_memcpy(tmp, d, 6);
	__builtin_memcpy(d, d + 6, 6);
	__builtin_memcpy(d + 6, tmp, 6);
	return 0;
}

/* Resize the frame to l3_off + len and store the headers after L2. The
 * program is not frags-aware (SEC("xdp")), so the frame is linear and its
 * length data_end - data; a SYN with the options the SYN-ACK has (Linux's
 * four, or MSS alone) keeps its length, with no bpf_xdp_adjust_tail(). */
static __always_inline int synack_emit(struct xdp_md *ctx, __u32 l3_off, const void *buf,
				       __u32 len, const __u32 max)
{
	__u32 cur = (__u32)(ctx->data_end - ctx->data);

	if (len > max)
		return -1;
	if (l3_off + len != cur && bpf_xdp_adjust_tail(ctx, (int)(l3_off + len) - (int)cur))
		return -1;
	if (swap_macs(ctx))
		return -1;
	return bpf_xdp_store_bytes(ctx, l3_off, (void *)buf, len) ? -1 : 0;
}

/* ip: the SYN's IPv4 header in the frame, l3_off bytes from its start. */
static __always_inline int synack4(struct xdp_md *ctx, const struct tern_xdp_cookie_cfg *cfg,
				   const __u8 *ip, __u32 l3_off, __u64 now)
{
	struct synack4 r = {};
	struct tern_cookie_in4 ci = {};
	struct tern_tsoff_in4 ti;
	struct synack_in in = { .now = now };
	struct syn_opts so = {};
	struct syn_scratch *sc;
	__u8 *hdr;
	__u32 zero = 0;
	__u32 optlen, tcplen;
	__u64 psum;

	if ((void *)(ip + 20) > (void *)(long)ctx->data_end || ip[0] != 0x45)
		return -1; /* IPv4 options: the worker's */
	if (fold(sum_words(ip, 5)))
		return -1;
	tcplen = ((__u32)ip[2] << 8 | ip[3]) - 20;
	psum = sum_words(ip + 12, 2) + bpf_htonl(6 << 16 | (tcplen & 0xffff));
	sc = bpf_map_lookup_elem(&tern_synack_scratch, &zero);
	if (!sc)
		return -1;
	hdr = sc->hdr;
	if (syn_load(ctx, l3_off + 20, tcplen, psum, hdr))
		return -1;
	syn_parse_opts(sc, tcplen, &so);

	__builtin_memcpy(ci.saddr, ip + 12, 4);
	__builtin_memcpy(ci.daddr, ip + 16, 4);
	ci.ports = (__u32)hdr[0] << 24 | (__u32)hdr[1] << 16 | (__u32)hdr[2] << 8 | hdr[3];
	in.count = ci.count = tern_cookie_count(now + (__u64)cfg->count_off);
	in.h = tern_cookie_hash4(&cfg->cookie[0], &ci);
	__builtin_memcpy(ti.laddr, ip + 16, 4);
	__builtin_memcpy(ti.raddr, ip + 12, 4);
	in.tsoff = so.ts ? tern_tsoff_hash4(&cfg->tsoff, &ti) : 0;

	optlen = synack_opts(r.opt, &so, cfg->mss[0], cfg->rcv_wscale, synack_tsval(&in, &so));
	synack_tcp(r.th, hdr, synack_iss(&in, hdr, &so, 4), so.ts ? cfg->win[0][1] : cfg->win[0][0], optlen);
	tcplen = 20 + optlen;

	r.ip[0] = 0x45;
	put16(r.ip + 2, 20 + tcplen);
	put16(r.ip + 6, SYNACK_IP4_DF);
	r.ip[8] = SYNACK_TTL;
	r.ip[9] = 6;
	__builtin_memcpy(r.ip + 12, ip + 16, 4);
	__builtin_memcpy(r.ip + 16, ip + 12, 4);
	*(__u16 *)(r.ip + 10) = fold(sum_words(r.ip, 5));
	psum = sum_words(r.ip + 12, 2) + bpf_htonl(6 << 16 | tcplen);
	*(__u16 *)(r.th + 16) = fold(psum + sum_words(r.th, 10));
	return synack_emit(ctx, l3_off, &r, 20 + tcplen, sizeof(r));
}

/* ip: the SYN's IPv6 header in the frame, l3_off bytes from its start. */
static __always_inline int synack6(struct xdp_md *ctx, const struct tern_xdp_cookie_cfg *cfg,
				   const __u8 *ip, __u32 l3_off, __u64 now)
{
	struct synack6 r = {};
	struct tern_cookie_in6 ci = {};
	struct tern_tsoff_in6 ti;
	struct synack_in in = { .now = now };
	struct syn_opts so = {};
	struct syn_scratch *sc;
	__u8 *hdr;
	__u32 zero = 0;
	__u32 optlen, tcplen;
	__u64 psum;

	if ((void *)(ip + 40) > (void *)(long)ctx->data_end || ip[6] != 6)
		return -1;
	tcplen = (__u32)ip[4] << 8 | ip[5];
	psum = sum_words(ip + 8, 8) + bpf_htonl(tcplen & 0xffff) + bpf_htonl(6);
	sc = bpf_map_lookup_elem(&tern_synack_scratch, &zero);
	if (!sc)
		return -1;
	hdr = sc->hdr;
	if (syn_load(ctx, l3_off + 40, tcplen, psum, hdr))
		return -1;
	syn_parse_opts(sc, tcplen, &so);

	__builtin_memcpy(ci.saddr, ip + 8, 16);
	__builtin_memcpy(ci.daddr, ip + 24, 16);
	ci.ports = (__u32)hdr[0] << 24 | (__u32)hdr[1] << 16 | (__u32)hdr[2] << 8 | hdr[3];
	in.count = ci.count = tern_cookie_count(now + (__u64)cfg->count_off);
	in.h = tern_cookie_hash6(&cfg->cookie[0], &ci);
	__builtin_memcpy(ti.laddr, ip + 24, 16);
	__builtin_memcpy(ti.raddr, ip + 8, 16);
	in.tsoff = so.ts ? tern_tsoff_hash6(&cfg->tsoff, &ti) : 0;

	optlen = synack_opts(r.opt, &so, cfg->mss[1], cfg->rcv_wscale, synack_tsval(&in, &so));
	synack_tcp(r.th, hdr, synack_iss(&in, hdr, &so, 6), so.ts ? cfg->win[1][1] : cfg->win[1][0], optlen);
	tcplen = 20 + optlen;

	r.ip[0] = 0x60; /* version 6, traffic class 0, flow label 0 */
	put16(r.ip + 4, tcplen);
	r.ip[6] = 6;
	r.ip[7] = SYNACK_TTL;
	__builtin_memcpy(r.ip + 8, ip + 24, 16);
	__builtin_memcpy(r.ip + 24, ip + 8, 16);
	psum = sum_words(r.ip + 8, 8) + bpf_htonl(tcplen) + bpf_htonl(6);
	*(__u16 *)(r.th + 16) = fold(psum + sum_words(r.th, 10));
	return synack_emit(ctx, l3_off, &r, 40 + tcplen, sizeof(r));
}

/* Is this a SYN (no ACK, RST or FIN) and does the queue want XDP to
 * answer it? ECE, CWR, PSH and URG are ignored, as the core does.
 *
 * tern: XDP has no view of the worker's tables. For a tuple in TIME-WAIT
 * the worker (as Linux's tcp_timewait_state_process() -> TCP_TW_SYN)
 * answers statefully with an ISN past the old one; for a tuple with a
 * connection it sends a challenge ACK (tcp_send_challenge_ack()); with its
 * connection table full it drops the SYN (ListenOverflows). XDP answers
 * all three with a cookie SYN-ACK, and the worker acts on the ACK: a
 * TIME-WAIT record gives way to the cookie's connection when the SYN was
 * new (user/core/tw.c cookie_recycles()), as does a half-open record of
 * the same SYN (tern_req_input()); a connection answers it as any
 * out-of-window segment; a full table drops it. */
static __always_inline bool synack_wanted(struct xdp_md *ctx, const struct pkt *p)
{
	const struct tcphdr *th = p->th;
	__u32 q = ctx->rx_queue_index;
	__u64 *on;

	if (!th->syn || th->ack || th->rst || th->fin)
		return false;
	on = bpf_map_lookup_elem(&tern_cookie_on, &q);
	if (!on || !*on)
		return false;
	/* A worker that died (SIGKILL) leaves its flag: with its socket gone
	 * from the map, the kernel answers, as for every other frame. */
	return bpf_map_lookup_elem(&tern_xsks, &q) != NULL;
}

/*
 * The SYN-ACK's clock: CLOCK_MONOTONIC_COARSE, the last tick's
 * CLOCK_MONOTONIC (the daemon's now, tern_worker__clock()).
 *
 * tern: the worker would read the fine clock; bpf_ktime_get_ns() costs
 * about 25 ns on this kvm-clock VM, a fifth of the path (docs/xdp-syn.md),
 * the coarse one a load. The SYN-ACK is then the core's at a time up to a
 * tick (1/HZ) earlier: the cookie's count may be the minute before at a
 * minute's start (still valid, MAX_SYNCOOKIE_AGE 2, and never ahead of
 * the checker's), the TSval up to a tick lower (it is already up to 63 ms
 * behind the clock, cookie_init_timestamp(), and never ahead of it).
 */
static __always_inline __u64 synack_clock(void)
{
	return bpf_ktime_get_coarse_ns();
}

/*
 * XDP_TX with the SYN-ACK in the frame, or -1 when the frame is unchanged
 * and goes on to the worker. The tag of a tagged frame stays where it is.
 */
static __always_inline int synack_answer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	const struct tern_xdp_cookie_cfg *cfg;
	__u32 zero = 0, l3_off;
	__u64 now = synack_clock();
	__u16 proto;
	void *l3;
	int err;

	cfg = bpf_map_lookup_elem(&tern_cookie_cfg, &zero);
	if (!cfg || !cfg->ready)
		return -1;
	l3 = parse_eth(data, end, &proto);
	if (!l3)
		return -1;
	l3_off = (__u32)(l3 - data);
	if (proto == bpf_htons(ETH_P_IP))
		err = synack4(ctx, cfg, l3, l3_off, now);
	else
		err = synack6(ctx, cfg, l3, l3_off, now);
	return err ? -1 : XDP_TX;
}

#endif
