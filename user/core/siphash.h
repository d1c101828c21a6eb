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

/* SipHash-1-3 (tern_sip13_compress/final in tern/cookie.h): the
 * connection tables (secret.c), never the cookies or the ISN. */
uint64_t tern_siphash13(const struct tern_sipkey *key, const void *data, size_t len);

#endif
