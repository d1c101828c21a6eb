/* SPDX-License-Identifier: BSD-2-Clause */
/* Internet checksum (RFC 1071) helpers. */
#ifndef TERN_CORE_CSUM_H
#define TERN_CORE_CSUM_H

#include <stddef.h>
#include <stdint.h>

#include "seg.h"

/* Add the 16-bit big-endian words of buf to a 64-bit running sum. */
uint64_t tern_csum_add(uint64_t sum, const void *buf, size_t len);

/* Fold a running sum to 16 bits and complement it (result in network order
 * when stored with memcpy as the two bytes of the field). */
uint16_t tern_csum_fold(uint64_t sum);

/* Running sum of the TCP pseudo-header (RFC 793 / RFC 8200 8.1). */
uint64_t tern_csum_pseudo(int family, const struct tern_addr *src,
			  const struct tern_addr *dst, uint32_t tcp_len);

#endif
