// SPDX-License-Identifier: BSD-2-Clause
/*
 * SipHash-2-4 (Aumasson, Bernstein: "SipHash: a fast short-input PRF",
 * 2012), 64-bit output: two compression rounds per 8-byte message word,
 * four finalization rounds. Message words and the key words k0/k1 are
 * little-endian, as in the paper and its reference implementation.
 */
#include <endian.h>
#include <string.h>

#include "siphash.h"

struct sip_state {
	uint64_t v0, v1, v2, v3;
};

static inline uint64_t rotl64(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/* One SipRound (paper, section 2, figure 2). */
static inline void sip_round(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = rotl64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl64(s->v2, 32);
}

static inline void sip_compress(struct sip_state *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

/*
 * Last word: the 0..7 bytes after the full words (at p[off]), little-endian,
 * with len mod 256 in the top byte. Indexes rather than advancing p so that
 * (NULL, 0) input does no pointer arithmetic.
 */
static inline uint64_t sip_last_word(const uint8_t *p, size_t off, size_t len)
{
	uint64_t b = (uint64_t)(len & 0xff) << 56;

	switch (len & 7) {
	case 7:
		b |= (uint64_t)p[off + 6] << 48;
		/* fall through */
	case 6:
		b |= (uint64_t)p[off + 5] << 40;
		/* fall through */
	case 5:
		b |= (uint64_t)p[off + 4] << 32;
		/* fall through */
	case 4:
		b |= (uint64_t)p[off + 3] << 24;
		/* fall through */
	case 3:
		b |= (uint64_t)p[off + 2] << 16;
		/* fall through */
	case 2:
		b |= (uint64_t)p[off + 1] << 8;
		/* fall through */
	case 1:
		b |= (uint64_t)p[off];
		break;
	default:
		break;
	}
	return b;
}

uint64_t tern_siphash(const struct tern_sipkey *key, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t off, nblk = len & ~(size_t)7;
	struct sip_state s = {
		.v0 = key->k0 ^ 0x736f6d6570736575ULL, /* "somepseu" */
		.v1 = key->k1 ^ 0x646f72616e646f6dULL, /* "dorandom" */
		.v2 = key->k0 ^ 0x6c7967656e657261ULL, /* "lygenera" */
		.v3 = key->k1 ^ 0x7465646279746573ULL, /* "tedbytes" */
	};

	for (off = 0; off < nblk; off += 8)
		sip_compress(&s, load_le64(p + off));
	sip_compress(&s, sip_last_word(p, nblk, len));

	s.v2 ^= 0xff;
	sip_round(&s);
	sip_round(&s);
	sip_round(&s);
	sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
