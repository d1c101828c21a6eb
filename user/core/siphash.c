// SPDX-License-Identifier: BSD-2-Clause
/*
 * SipHash-2-4 (Aumasson, Bernstein: "SipHash: a fast short-input PRF",
 * 2012), 64-bit output: two compression rounds per 8-byte message word,
 * four finalization rounds. Message words and the key words k0/k1 are
 * little-endian, as in the paper and its reference implementation. The
 * rounds are include/tern/cookie.h's, which the XDP program uses too; this
 * file adds inputs of any length, and SipHash-1-3 (siphash.h) for the
 * connection tables.
 */
#include "siphash.h"

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
	struct tern_sip_state s;

	tern_sip_init(&s, key);
	for (off = 0; off < nblk; off += 8)
		tern_sip_compress(&s, tern_sip_load(p + off));
	tern_sip_compress(&s, sip_last_word(p, nblk, len));
	return tern_sip_final(&s);
}

uint64_t tern_siphash13(const struct tern_sipkey *key, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t off, nblk = len & ~(size_t)7;
	struct tern_sip_state s;

	tern_sip_init(&s, key);
	for (off = 0; off < nblk; off += 8)
		tern_sip13_compress(&s, tern_sip_load(p + off));
	tern_sip13_compress(&s, sip_last_word(p, nblk, len));
	return tern_sip13_final(&s);
}
