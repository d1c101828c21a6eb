// SPDX-License-Identifier: BSD-2-Clause
/*
 * Keyed per-connection secrets: ISN (RFC 6528), timestamp offsets, and the
 * hash of the connection tables. For IPv4 only the 4-byte addresses are
 * hashed, as Linux's siphash_3u32()/siphash_2u32() do; IPv6 hashes the
 * full 16 bytes.
 */
#include <string.h>

#include "siphash.h"
#include "stack.h"

/* laddr, raddr and the two ports of an IPv4 tuple, packed. */
struct v4_ports {
	uint8_t laddr[4];
	uint8_t raddr[4];
	uint16_t lport;
	uint16_t rport;
};

static uint64_t hash_tuple(const struct tern_sipkey *key, const struct tern_tuple *t)
{
	struct v4_ports k;

	if (t->family == 6)
		return tern_siphash(key, t, offsetof(struct tern_tuple, family));
	memcpy(k.laddr, t->laddr.b + 12, 4);
	memcpy(k.raddr, t->raddr.b + 12, 4);
	k.lport = t->lport;
	k.rport = t->rport;
	return tern_siphash(key, &k, sizeof(k));
}

uint32_t tern_tuple_hash(const struct tern_sipkey *key, const struct tern_tuple *t)
{
	return (uint32_t)hash_tuple(key, t);
}

/*
 * RFC 6528 section 3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), with M a timer and F SipHash-2-4. Like Linux's
 * secure_tcp_seq(), M is a 64 ns clock (ns >> 6), which wraps the 32-bit
 * space in about 274 s, well above the MSL.
 */
uint32_t tern_isn(const struct tern_stack *s, const struct tern_tuple *t, uint64_t now)
{
	return (uint32_t)hash_tuple(&s->sec.isn, t) + (uint32_t)(now >> 6);
}

/*
 * Per-connection TSval offset from the address pair, as Linux's
 * secure_tcp_ts_off(): the same pair always gets the same offset, which is
 * what lets a cookie ACK's TSecr be decoded without state. The input
 * layout is include/tern/cookie.h's, which the XDP program hashes too.
 */
uint32_t tern_ts_off(const struct tern_stack *s, const struct tern_tuple *t)
{
	struct tern_tsoff_in6 in6;
	struct tern_tsoff_in4 in4;

	if (t->family == 6) {
		memcpy(in6.laddr, t->laddr.b, 16);
		memcpy(in6.raddr, t->raddr.b, 16);
		return tern_tsoff_hash6(&s->sec.tsoff, &in6);
	}
	memcpy(in4.laddr, t->laddr.b + 12, 4);
	memcpy(in4.raddr, t->raddr.b + 12, 4);
	return tern_tsoff_hash4(&s->sec.tsoff, &in4);
}
