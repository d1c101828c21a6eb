/* SPDX-License-Identifier: BSD-2-Clause */
/* Frame builder: struct tern_tx -> Ethernet/IP/TCP frame with checksums. */
#ifndef TERN_CORE_BUILD_H
#define TERN_CORE_BUILD_H

#include "seg.h"

#define TERN_IP_TTL 64 /* Linux's default ip_default_ttl / hop_limit */

/*
 * Write the frame for tx into buf (cap bytes). Ethernet destination is
 * tx->l2.peer_mac, source tx->l2.local_mac, with an 802.1Q tag when
 * tx->l2.has_vlan. IPv4: DF set, ID 0, TTL 64. IPv6: hop limit 64, flow
 * label 0. IP and TCP checksums are computed in full.
 * Returns the frame length, or -ENOSPC if it does not fit, -EINVAL for a
 * malformed descriptor (bad family, optlen not a multiple of 4 or > 40).
 * buf may alias the frame that tx->payload points into only if the payload
 * sits at the same offset it will be written to (in-place reuse).
 */
int tern_build(uint8_t *buf, uint32_t cap, const struct tern_tx *tx);

/* tern_build_opt() flags. */
#define TERN_BUILD_CSUM_PARTIAL 1u /* TCP checksum field: the pseudo-header sum
				    * only, completed by the kernel or the NIC
				    * (AF_XDP TX metadata); the IPv4 header
				    * checksum stays complete */

/* tern_build() with flags (TERN_BUILD_*). */
int tern_build_opt(uint8_t *buf, uint32_t cap, const struct tern_tx *tx, unsigned int flags);

/*
 * Only the headers of tx's frame, at buf (cap bytes): the length fields
 * and the checksum count tx->len payload bytes, which are not read or
 * written: flags must hold TERN_BUILD_CSUM_PARTIAL (-EINVAL otherwise).
 * For a segment the kernel cuts up (GSO, user/io/gso.c). Returns the
 * headers' length, or tern_build_opt()'s errors.
 */
int tern_build_hdr(uint8_t *buf, uint32_t cap, const struct tern_tx *tx, unsigned int flags);

/* Offset of the TCP header in the frame tern_build() writes for tx. */
uint32_t tern_build_l4off(const struct tern_tx *tx);

/* Bytes tern_build() needs for tx. */
uint32_t tern_build_len(const struct tern_tx *tx);

#endif
