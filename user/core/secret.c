// SPDX-License-Identifier: BSD-2-Clause
/*
 * Keyed per-connection secrets: ISN (RFC 6528), timestamp offsets, and the
 * hash of the connection tables (SipHash-1-3). For IPv4 only the 4-byte addresses are
 * hashed, as Linux's siphash_3u32()/siphash_2u32() do; IPv6 hashes the
 * full 16 bytes.
 */
#include <endian.h>
#include <errno.h>
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

_Static_assert(sizeof(struct v4_ports) == 12, "v4 tuple: 12 bytes");

static void v4_ports(const struct tern_tuple *t, struct v4_ports *k)
{
	memcpy(k->laddr, t->laddr.b + 12, 4);
	memcpy(k->raddr, t->raddr.b + 12, 4);
	k->lport = t->lport;
	k->rport = t->rport;
}

static uint64_t hash_tuple(const struct tern_sipkey *key, const struct tern_tuple *t)
{
	struct v4_ports k;

	if (t->family == 6)
		return tern_siphash(key, t, offsetof(struct tern_tuple, family));
	v4_ports(t, &k);
	return tern_siphash(key, &k, sizeof(k));
}

/*
 * The connection tables' hash: SipHash-1-3 (siphash.h) of the same bytes
 * the ISN hashes. tern: Linux's inet_ehashfn() is jhash with a 32-bit
 * secret; a 128-bit key keeps chains short against chosen tuples. The
 * IPv4 message (12 bytes) is one word and a last word of 4 bytes and the
 * length, built here without the general loop.
 */
uint32_t tern_tuple_hash(const struct tern_sipkey *key, const struct tern_tuple *t)
{
	struct tern_sip_state s;
	struct v4_ports k;
	uint32_t tail;

	if (t->family == 6)
		return (uint32_t)tern_siphash13(key, t, offsetof(struct tern_tuple, family));
	v4_ports(t, &k);
	memcpy(&tail, &k.lport, 4);
	tern_sip_init(&s, key);
	tern_sip13_compress(&s, tern_sip_load(&k));
	tern_sip13_compress(&s, (uint64_t)le32toh(tail) | (uint64_t)sizeof(k) << 56);
	return (uint32_t)tern_sip13_final(&s);
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
static uint32_t ts_off_key(const struct tern_sipkey *key, const struct tern_tuple *t)
{
	struct tern_tsoff_in6 in6;
	struct tern_tsoff_in4 in4;

	if (t->family == 6) {
		memcpy(in6.laddr, t->laddr.b, 16);
		memcpy(in6.raddr, t->raddr.b, 16);
		return tern_tsoff_hash6(key, &in6);
	}
	memcpy(in4.laddr, t->laddr.b + 12, 4);
	memcpy(in4.raddr, t->raddr.b + 12, 4);
	return tern_tsoff_hash4(key, &in4);
}

uint32_t tern_ts_off(const struct tern_stack *s, const struct tern_tuple *t)
{
	return ts_off_key(&s->sec.tsoff, t);
}

uint32_t tern_ts_off_prev(const struct tern_stack *s, const struct tern_tuple *t)
{
	return ts_off_key(&s->sec.prev.tsoff, t);
}

/*
 * Fleet keys from the secret file's bytes F (docs/fleet.md): the first 16
 * bytes are a SipHash-2-4 key M (k0, k1 little-endian), and each 64-bit
 * word of a derived key is
 *
 *   SipHash-2-4(M, label || word index || F[16..len))
 *
 * with an 8-byte label per key ("tfcook0\0", "tfcook1\0", "tftsoff\0")
 * and the index as 8 bytes little-endian: a PRF of the rest of the file
 * under M, distinct per key, the same on every host.
 */
#define FLEET_LABEL 8

static uint64_t fleet_word(const struct tern_sipkey *m, uint8_t *msg, size_t len,
			   const char *label, uint8_t i)
{
	memcpy(msg, label, FLEET_LABEL);
	memset(msg + FLEET_LABEL, 0, 8);
	msg[FLEET_LABEL] = i;
	return tern_siphash(m, msg, len);
}

static void fleet_key(const struct tern_sipkey *m, uint8_t *msg, size_t len, const char *label,
		      struct tern_sipkey *out)
{
	out->k0 = fleet_word(m, msg, len, label, 0);
	out->k1 = fleet_word(m, msg, len, label, 1);
}

int tern_fleet_keys__derive(const void *secret, size_t len, struct tern_fleet_keys *k)
{
	uint8_t msg[FLEET_LABEL + 8 + TERN_FLEET_SECRET_MAX - 16];
	const uint8_t *f = secret;
	struct tern_sipkey m;
	size_t n;

	if (len < TERN_FLEET_SECRET_MIN || len > TERN_FLEET_SECRET_MAX)
		return -EINVAL;
	m.k0 = tern_sip_load(f);
	m.k1 = tern_sip_load(f + 8);
	n = FLEET_LABEL + 8 + len - 16;
	memcpy(msg + FLEET_LABEL + 8, f + 16, len - 16);
	fleet_key(&m, msg, n, "tfcook0", &k->cookie[0]);
	fleet_key(&m, msg, n, "tfcook1", &k->cookie[1]);
	fleet_key(&m, msg, n, "tftsoff", &k->tsoff);
	explicit_bzero(msg, sizeof(msg));
	explicit_bzero(&m, sizeof(m));
	return 0;
}

void tern_stack__wipe_secrets(struct tern_stack *s)
{
	explicit_bzero(&s->sec, sizeof(s->sec));
}

void tern_stack__secrets_span(const struct tern_stack *s, const void **p, size_t *len)
{
	*p = &s->sec;
	*len = sizeof(s->sec);
}
