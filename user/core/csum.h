/* SPDX-License-Identifier: BSD-2-Clause */
/* Internet checksum (RFC 1071) helpers. */
#ifndef TERN_CORE_CSUM_H
#define TERN_CORE_CSUM_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "seg.h"

/* Add the 16-bit big-endian words of buf to a 64-bit running sum. */
uint64_t tern_csum_add(uint64_t sum, const void *buf, size_t len);

/* The running sum of an IPv4 header without options (20 bytes), inline:
 * five big-endian words, the same value tern_csum_add() folds to. */
static inline uint64_t tern_csum_ip4(const uint8_t *ip)
{
	return (uint64_t)tern_get_be32(ip) + tern_get_be32(ip + 4) + tern_get_be32(ip + 8) +
	       tern_get_be32(ip + 12) + tern_get_be32(ip + 16);
}

/* 16 bits of a sum of native-order words, the end-around carries added. */
static inline uint16_t tern_csum_fold16(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/* Fold a running sum to 16 bits and complement it (result in network order
 * when stored with memcpy as the two bytes of the field). Inline: a SYN's
 * parse and its SYN-ACK's build fold four times. */
static inline uint16_t tern_csum_fold(uint64_t sum)
{
	return htobe16((uint16_t)~tern_csum_fold16(sum));
}

/* Running sum of the TCP pseudo-header (RFC 793 / RFC 8200 8.1). */
uint64_t tern_csum_pseudo(int family, const struct tern_addr *src,
			  const struct tern_addr *dst, uint32_t tcp_len);

#endif
