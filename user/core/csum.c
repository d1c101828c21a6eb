// SPDX-License-Identifier: BSD-2-Clause
/*
 * Internet checksum (RFC 1071).
 *
 * Byte-order convention, used by parse.c and build.c alike:
 *  - A running sum (tern_csum_add(), tern_csum_pseudo()) is congruent
 *    (mod 0xffff) to the integer sum of the data read as big-endian 16-bit
 *    words, and positive unless the data is all zero, so sums from
 *    different helpers can be added with '+'. Since 2^16 == 1 (mod 0xffff),
 *    wider words fold to the same value as 16-bit ones (RFC 1071 section
 *    2(B), "parallel summation").
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

/*
 * The words are summed in native byte order, 8 bytes at a time with the
 * carries counted apart, and the 16-bit result is put into network order
 * once at the end: RFC 1071 section 2(B), byte-order independence (Linux's
 * csum_partial() does the same). The sum returned is congruent (mod
 * 0xffff) to the big-endian one and positive when the data is not all
 * zero, so tern_csum_fold() of any total gives the same bytes.
 */
uint64_t tern_csum_add(uint64_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t acc = 0, carry = 0, w;
	uint32_t w4;
	uint16_t w2;

	while (len >= 32) {
		for (int i = 0; i < 4; i++) {
			memcpy(&w, p + 8 * i, 8);
			carry += __builtin_add_overflow(acc, w, &acc);
		}
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		carry += __builtin_add_overflow(acc, w, &acc);
		p += 8;
		len -= 8;
	}
	/* Up to 2^61 carries fit: each adds 2^64 == 1 (mod 0xffff). */
	acc = (acc & 0xffffffffu) + (acc >> 32) + carry;
	if (len >= 4) {
		memcpy(&w4, p, 4);
		acc += w4;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w2, p, 2);
		acc += w2;
		p += 2;
		len -= 2;
	}
	if (len) { /* the high byte of a zero-padded word, in wire order */
		uint8_t pad[2] = { p[0], 0 };

		memcpy(&w2, pad, 2);
		acc += w2;
	}
	return sum + be16toh(tern_csum_fold16(acc));
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
