/* SPDX-License-Identifier: BSD-2-Clause */
/* SipHash-2-4 and SipHash-1-3 (Aumasson, Bernstein 2012), 64-bit output.
 * The rounds and the key type are in include/tern/cookie.h, shared with
 * the XDP program. */
#ifndef TERN_CORE_SIPHASH_H
#define TERN_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#include "tern/cookie.h"

/* SipHash-2-4 of len bytes; key words are little-endian as in the paper. */
uint64_t tern_siphash(const struct tern_sipkey *key, const void *data, size_t len);

/*
 * SipHash-1-3: one compression round per word, three finalization rounds
 * (the paper's faster variant; Linux's hsiphash on 64-bit machines and
 * Rust's HashMap use it). For hash tables, where an attacker may choose
 * the keys of the entries but never sees the hashes: the connection
 * tables (secret.c), never the cookies or the ISN.
 */
static inline void tern_sip13_compress(struct tern_sip_state *s, uint64_t m)
{
	s->v3 ^= m;
	tern_sip_round(s);
	s->v0 ^= m;
}

static inline uint64_t tern_sip13_final(struct tern_sip_state *s)
{
	s->v2 ^= 0xff;
	tern_sip_round(s);
	tern_sip_round(s);
	tern_sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* SipHash-1-3 of len bytes, the same message and key layout. */
uint64_t tern_siphash13(const struct tern_sipkey *key, const void *data, size_t len);

#endif
