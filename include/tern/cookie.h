/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * SYN cookies, shared by the TCP core (user/core/syncookie.c, secret.c,
 * siphash.c) and the XDP program (bpf/synack.h): SipHash-2-4, Linux's
 * cookie layout and MSS tables, the timestamp encoding of the options, and
 * the hash inputs. One copy, so that a cookie XDP issues is the cookie the
 * core would have issued for the same SYN, keys and time.
 *
 * Everything here is static inline with fixed-size inputs, so that clang
 * -target bpf unrolls every loop (the verifier sees no back edge).
 *
 * Layout (Linux net/ipv4/syncookies.c, __cookie_v4_init_sequence()):
 *
 *   cookie = H0 + client ISN + (count << 24) + ((H1 + mss_index) mod 2^24)
 *
 * with count = now / 60 s. When the SYN carried timestamps, the window
 * scale (or 0xf for none) and SACK ride in the low 6 bits of the SYN-ACK's
 * TSval (cookie_init_timestamp()); ECN is not negotiated by tern, so bit
 * 0x20 is never set.
 *
 * tern: Linux takes H0 from SipHash(tuple, 0) under one key and H1 from
 * SipHash(tuple, count) under another: two SipHash runs per SYN. tern takes
 * both from one SipHash-2-4 of (tuple, count) under key cookie[0], H0 the
 * low 32 bits of its 64-bit output and H1 the high 32 (cookie[1] is not
 * used). The layout on the wire is Linux's; as H0 depends on the count, a
 * check hashes at each count the cookie may hold (now, then the one
 * before: MAX_SYNCOOKIE_AGE) instead of reading the count back first, so
 * a check costs one hash for a cookie of this minute and two otherwise,
 * as Linux's two. SipHash is a PRF, so its two halves are independent
 * values; a cookie still holds 32 bits of keyed hash of the tuple.
 */
#ifndef TERN_COOKIE_H
#define TERN_COOKIE_H

#include <linux/types.h>

/* A SipHash key; words little-endian as in the paper. */
struct tern_sipkey {
	__u64 k0;
	__u64 k1;
};

#define TERN_COOKIE_BITS 24
#define TERN_COOKIE_MASK ((1u << TERN_COOKIE_BITS) - 1)
#define TERN_COOKIE_MAX_AGE 2                        /* MAX_SYNCOOKIE_AGE */
#define TERN_COOKIE_PERIOD_NS (60ull * 1000000000ull) /* one count per minute */

#define TERN_COOKIE_TS_BITS 6                        /* TSBITS */
#define TERN_COOKIE_TS_WSCALE_MASK 0xf
#define TERN_COOKIE_TS_SACK 0x10
#define TERN_COOKIE_TS_ECN 0x20

#define TERN_COOKIE_MSS_V4_DEFAULT 536   /* TCP_MSS_DEFAULT */
#define TERN_COOKIE_MSS_V6_DEFAULT 1220  /* IPV6_MIN_MTU - 60 */

/*
 * What the XDP program needs to answer a SYN as the core would: the keys
 * and what the core derives from its configuration (tern_stack__xdp_cfg()
 * in user/core fills it). One entry in the map tern_cookie_cfg, written by
 * the daemon at start; ready is set last.
 */
struct tern_xdp_cookie_cfg {
	struct tern_sipkey cookie[2]; /* the core's sec.cookie ([1] unused) */
	struct tern_sipkey tsoff;     /* the core's sec.tsoff */
	__u16 mss[2];                 /* our MSS option: [0] IPv4, [1] IPv6 */
	__u16 win[2][2];              /* SYN-ACK window: [IPv4/IPv6][without/with TS] */
	__u8 rcv_wscale;              /* our window scale, when the SYN offered one */
	__u8 ready;                   /* 1: XDP may answer */
	__u8 pad[2];
	__u32 flow_mask;              /* flow filter slots per queue - 1 */
	struct tern_sipkey flow;      /* the core's sec.flow: flow filter slots */
	__s64 count_off;              /* the core's sec.count_off */
	struct tern_sipkey prev[2];   /* the cookie keys before the last rotation */
	__u32 prev_count;             /* the count when they were retired */
	__u8 has_prev;                /* prev valid for TERN_COOKIE_MAX_AGE counts */
	__u8 pad2[3];
};

/* ---- SipHash-2-4 (Aumasson, Bernstein 2012), 64-bit output ---- */

struct tern_sip_state {
	__u64 v0, v1, v2, v3;
};

static inline __u64 tern_sip_rotl(__u64 x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void tern_sip_init(struct tern_sip_state *s, const struct tern_sipkey *key)
{
	s->v0 = key->k0 ^ 0x736f6d6570736575ULL; /* "somepseu" */
	s->v1 = key->k1 ^ 0x646f72616e646f6dULL; /* "dorandom" */
	s->v2 = key->k0 ^ 0x6c7967656e657261ULL; /* "lygenera" */
	s->v3 = key->k1 ^ 0x7465646279746573ULL; /* "tedbytes" */
}

/* One SipRound (paper, section 2, figure 2). */
static inline void tern_sip_round(struct tern_sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = tern_sip_rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = tern_sip_rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = tern_sip_rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = tern_sip_rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = tern_sip_rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = tern_sip_rotl(s->v2, 32);
}

/* c (1 or 2) compression rounds per message word, d (3 or 4)
 * finalization rounds: SipHash-c-d; constants at every call. */
static inline void tern_sip_compress_c(struct tern_sip_state *s, __u64 m, const int c)
{
	s->v3 ^= m;
	tern_sip_round(s);
	if (c > 1)
		tern_sip_round(s);
	s->v0 ^= m;
}

static inline __u64 tern_sip_final_d(struct tern_sip_state *s, const int d)
{
	s->v2 ^= 0xff;
	tern_sip_round(s);
	tern_sip_round(s);
	tern_sip_round(s);
	if (d > 3)
		tern_sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

static inline void tern_sip_compress(struct tern_sip_state *s, __u64 m)
{
	tern_sip_compress_c(s, m, 2);
}

static inline __u64 tern_sip_final(struct tern_sip_state *s)
{
	return tern_sip_final_d(s, 4);
}

/*
 * SipHash-1-3: one compression round per word, three finalization rounds
 * (the paper's faster variant; Linux's hsiphash on 64-bit machines and
 * Rust's HashMap use it). For values whose output never decides whether
 * a peer is let in: the connection tables' hash (user/core/secret.c) and
 * the timestamp offset, never the cookies or the ISN.
 */
static inline void tern_sip13_compress(struct tern_sip_state *s, __u64 m)
{
	tern_sip_compress_c(s, m, 1);
}

static inline __u64 tern_sip13_final(struct tern_sip_state *s)
{
	return tern_sip_final_d(s, 3);
}

/* A message word from 8 bytes, little-endian. */
static inline __u64 tern_sip_load(const void *p)
{
	__u64 v;

	__builtin_memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/*
 * SipHash-2-4 (sip13: SipHash-1-3) of nwords * 8 bytes: the last word
 * holds only the length (len mod 256 in its top byte). nwords and sip13
 * are constants at every call, so the loop unrolls.
 */
static inline __u64 tern_sip_words(const struct tern_sipkey *key, const void *data,
				   const unsigned int nwords, const int sip13)
{
	const unsigned char *p = data;
	struct tern_sip_state s;
	__u64 last = (__u64)((nwords * 8) & 0xff) << 56;

	tern_sip_init(&s, key);
#ifdef __clang__
#pragma unroll
#endif
	for (unsigned int i = 0; i < nwords; i++) {
		if (sip13)
			tern_sip13_compress(&s, tern_sip_load(p + 8 * i));
		else
			tern_sip_compress(&s, tern_sip_load(p + 8 * i));
	}
	if (sip13) {
		tern_sip13_compress(&s, last);
		return tern_sip13_final(&s);
	}
	tern_sip_compress(&s, last);
	return tern_sip_final(&s);
}

static inline __u64 tern_siphash_words(const struct tern_sipkey *key, const void *data,
				       const unsigned int nwords)
{
	return tern_sip_words(key, data, nwords, 0);
}

static inline __u64 tern_siphash13_words(const struct tern_sipkey *key, const void *data,
					 const unsigned int nwords)
{
	return tern_sip_words(key, data, nwords, 1);
}

/* ---- hash inputs ---- */

/* Linux's siphash_4u32(saddr, daddr, ports, count) for IPv4; the same
 * with 16-byte addresses for IPv6. saddr is the SYN's source (the peer);
 * ports = source port << 16 | destination port, host order. */
struct tern_cookie_in4 {
	__u8 saddr[4];
	__u8 daddr[4];
	__u32 ports;
	__u32 count;
};

struct tern_cookie_in6 {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 ports;
	__u32 count;
};

/* The timestamp offset's input (secure_tcp_ts_off()): local address,
 * then the peer's. */
struct tern_tsoff_in4 {
	__u8 laddr[4];
	__u8 raddr[4];
};

struct tern_tsoff_in6 {
	__u8 laddr[16];
	__u8 raddr[16];
};

_Static_assert(sizeof(struct tern_cookie_in4) == 16, "cookie input v4: 2 words");
_Static_assert(sizeof(struct tern_cookie_in6) == 40, "cookie input v6: 5 words");
_Static_assert(sizeof(struct tern_tsoff_in4) == 8, "tsoff input v4: 1 word");
_Static_assert(sizeof(struct tern_tsoff_in6) == 32, "tsoff input v6: 4 words");

/* The cookie's hash: H0 in the low 32 bits, H1 in the high 32. */
static inline __u64 tern_cookie_hash4(const struct tern_sipkey *k, const struct tern_cookie_in4 *in)
{
	return tern_siphash_words(k, in, sizeof(*in) / 8);
}

static inline __u64 tern_cookie_hash6(const struct tern_sipkey *k, const struct tern_cookie_in6 *in)
{
	return tern_siphash_words(k, in, sizeof(*in) / 8);
}

/*
 * tern: Linux's secure_tcp_ts_off() is SipHash-2-4 of the two addresses;
 * tern's is SipHash-1-3 of the same, under its own key. The offset only
 * hides the host's clock and keeps TSvals of different host pairs apart,
 * and a TSval shows at most the offset plus a clock the peer can estimate;
 * the rounds it saves are a sixth of the XDP SYN-ACK path for a SYN with
 * timestamps (docs/xdp-syn.md).
 */
static inline __u32 tern_tsoff_hash4(const struct tern_sipkey *k, const struct tern_tsoff_in4 *in)
{
	return (__u32)tern_siphash13_words(k, in, sizeof(*in) / 8);
}

static inline __u32 tern_tsoff_hash6(const struct tern_sipkey *k, const struct tern_tsoff_in6 *in)
{
	return (__u32)tern_siphash13_words(k, in, sizeof(*in) / 8);
}

/* ---- layout ---- */

/* The cookie's time counter: minutes of the caller's monotonic clock. */
static inline __u32 tern_cookie_count(__u64 now_ns)
{
	return (__u32)(now_ns / TERN_COOKIE_PERIOD_NS);
}

/* Linux's msstab (IPv4) and its IPv6 counterpart, index 0..3. */
static inline __u16 tern_cookie_mss(int family, __u32 idx)
{
	if (family == 6)
		return idx == 0 ? 1280 - 60 : idx == 1 ? 1480 - 60 : idx == 2 ? 1500 - 60 : 9000 - 60;
	return idx == 0 ? 536 : idx == 1 ? 1300 : idx == 2 ? 1440 : 1460;
}

/* The largest table entry not above the peer's MSS (index 0 if none). */
static inline __u32 tern_cookie_mss_idx(int family, __u16 peer_mss)
{
	__u32 idx;

	for (idx = 3; idx; idx--)
		if (peer_mss >= tern_cookie_mss(family, idx))
			break;
	return idx;
}

/* h: tern_cookie_hash4/6() of the tuple at count. */
static inline __u32 tern_cookie_compose(__u64 h, __u32 client_isn, __u32 count, __u32 mss_idx)
{
	return (__u32)h + client_isn + (count << TERN_COOKIE_BITS) +
	       (((__u32)(h >> 32) + mss_idx) & TERN_COOKIE_MASK);
}

/* The low TS bits: window scale (0xf: none) and SACK. */
static inline __u32 tern_cookie_ts_options(int ws, __u8 snd_wscale, int sack)
{
	__u32 options = ws ? snd_wscale : TERN_COOKIE_TS_WSCALE_MASK;

	if (sack)
		options |= TERN_COOKIE_TS_SACK;
	return options;
}

/* cookie_init_timestamp(): the TS clock with its low bits replaced by the
 * options, never ahead of the clock. ts_off is added by the caller. */
static inline __u32 tern_cookie_ts_encode(__u32 ts_now, __u32 options)
{
	__u32 ts = (ts_now >> TERN_COOKIE_TS_BITS) << TERN_COOKIE_TS_BITS | options;

	if ((__s32)(ts - ts_now) > 0)
		ts -= 1u << TERN_COOKIE_TS_BITS;
	return ts;
}

/* The core's TS clock: milliseconds of the same monotonic clock. */
static inline __u32 tern_cookie_ms(__u64 now_ns)
{
	return (__u32)(now_ns / 1000000u);
}

/*
 * check_tcp_syn_cookie() at one count: the MSS index the cookie holds if it
 * was made at count, or -1. cookie = ACK - 1, client_isn = SEQ - 1, h the
 * tuple's hash at count. The count's low 8 bits must be the cookie's top
 * 8 (Linux's diff check), and what is left past H1 an index below 4.
 */
static inline int tern_cookie_idx_at(__u32 cookie, __u32 client_isn, __u32 count, __u64 h)
{
	__u32 rest = cookie - client_isn - (__u32)h, idx;

	if ((rest >> TERN_COOKIE_BITS) != (count & (0xffffffffu >> TERN_COOKIE_BITS)))
		return -1;
	idx = (rest - (__u32)(h >> 32)) & TERN_COOKIE_MASK;
	return idx > 3 ? -1 : (int)idx;
}

/* The cookie's check at each count it may hold (tern_cookie_idx_at()),
 * for a hash input of nwords words whose count field is *in_count (which
 * is overwritten). The MSS index, or -1. */
static inline int tern_cookie_check_words(const struct tern_sipkey *k, const void *in,
					  __u32 *in_count, const unsigned int nwords, __u32 cookie,
					  __u32 client_isn, __u32 count)
{
	int idx = -1;

#ifdef __clang__
#pragma unroll
#endif
	for (__u32 age = 0; age < TERN_COOKIE_MAX_AGE && idx < 0; age++) {
		*in_count = count - age;
		idx = tern_cookie_idx_at(cookie, client_isn, *in_count,
					 tern_siphash_words(k, in, nwords));
	}
	return idx;
}

static inline int tern_cookie_check4(const struct tern_sipkey *k, struct tern_cookie_in4 *in,
				     __u32 cookie, __u32 client_isn, __u32 count)
{
	return tern_cookie_check_words(k, in, &in->count, sizeof(*in) / 8, cookie, client_isn,
				       count);
}

static inline int tern_cookie_check6(const struct tern_sipkey *k, struct tern_cookie_in6 *in,
				     __u32 cookie, __u32 client_isn, __u32 count)
{
	return tern_cookie_check_words(k, in, &in->count, sizeof(*in) / 8, cookie, client_isn,
				       count);
}

/* ---- flow filter (docs/xdp-syn.md, "ACKs in XDP") ----
 *
 * Per queue, an array of 8-bit counters indexed by a keyed hash of the
 * 4-tuple: the worker's stack adds one when it hashes a record for a tuple
 * (half-open, connection, TIME-WAIT) and takes it away when the record
 * leaves; XDP lets a segment that is not a SYN through when its counter is
 * not zero. A counter that reaches TERN_FLOW_SATURATED stays there (it can
 * no longer be decremented safely), so a collision only lets a flood
 * segment through, never drops a flow's. The hash input is the cookie's
 * with count 0, under its own key. */
#define TERN_FLOW_SATURATED 0xff
#define TERN_FLOW_SLOTS_MAX 65536 /* per queue: the map's size */

static inline __u32 tern_flow_hash4(const struct tern_sipkey *k, const struct tern_cookie_in4 *in)
{
	return (__u32)tern_siphash_words(k, in, sizeof(*in) / 8);
}

static inline __u32 tern_flow_hash6(const struct tern_sipkey *k, const struct tern_cookie_in6 *in)
{
	return (__u32)tern_siphash_words(k, in, sizeof(*in) / 8);
}

#endif
