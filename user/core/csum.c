// SPDX-License-Identifier: BSD-2-Clause
/*
 * Internet checksum (RFC 1071).
 *
 * Byte-order convention, used by parse.c and build.c alike:
 *  - A running sum (tern_csum_add(), tern_csum_pseudo()) is the plain
 *    integer sum of the data read as big-endian words, so sums from
 *    different helpers can be added with '+'. 32-bit big-endian words are
 *    added into a 64-bit accumulator; since 2^16 == 1 (mod 0xffff) this
 *    folds to the same value as summing 16-bit words (RFC 1071 section 2(B),
 *    "parallel summation"). 2^32 words fit before the accumulator could
 *    overflow, far beyond any frame.
 *  - tern_csum_fold() returns the complemented checksum in NETWORK order,
 *    as csum.h specifies: store it with memcpy(field, &v, 2), never with
 *    htons(). A correct packet (checksum field included) folds to 0, which
 *    reads the same in either order.
 *
 * Only the last buffer of a chained sum may have an odd length: an odd
 * byte is taken as the high byte of a zero-padded word (RFC 1071 section
 * 4.1), and the helpers keep no state to realign a following buffer.
 */
#include <endian.h>
#include <string.h>

#include "bytes.h"
#include "csum.h"

#define TERN_IPPROTO_TCP 6

uint64_t tern_csum_add(uint64_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len >= 16) {
		sum += tern_get_be32(p);
		sum += tern_get_be32(p + 4);
		sum += tern_get_be32(p + 8);
		sum += tern_get_be32(p + 12);
		p += 16;
		len -= 16;
	}
	while (len >= 4) {
		sum += tern_get_be32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		sum += tern_get_be16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t tern_csum_fold(uint64_t sum)
{
	/* End-around carry: 64 -> 33 -> 32 bits, then 32 -> 17 -> 16 bits. */
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return htobe16((uint16_t)~sum);
}

/*
 * RFC 793 section 3.1 (IPv4: src, dst, zero, PTCL, TCP length) and
 * RFC 8200 section 8.1 (IPv6: src, dst, 32-bit upper-layer length, three
 * zero bytes, next header). The zero bytes add nothing, so only the
 * addresses, the protocol and the length are summed.
 */
uint64_t tern_csum_pseudo(int family, const struct tern_addr *src,
			  const struct tern_addr *dst, uint32_t tcp_len)
{
	uint64_t sum = TERN_IPPROTO_TCP + (uint64_t)tcp_len;

	if (family == 4) {
		sum += tern_get_be32(src->b + 12);
		sum += tern_get_be32(dst->b + 12);
		return sum;
	}
	return tern_csum_add(tern_csum_add(sum, src->b, 16), dst->b, 16);
}
