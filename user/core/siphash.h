/* SPDX-License-Identifier: BSD-2-Clause */
/* SipHash-2-4 (Aumasson, Bernstein 2012), 64-bit output. The rounds and
 * the key type are in include/tern/cookie.h, shared with the XDP program. */
#ifndef TERN_CORE_SIPHASH_H
#define TERN_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#include "tern/cookie.h"

/* SipHash-2-4 of len bytes; key words are little-endian as in the paper. */
uint64_t tern_siphash(const struct tern_sipkey *key, const void *data, size_t len);

#endif
