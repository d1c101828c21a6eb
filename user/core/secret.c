// SPDX-License-Identifier: BSD-2-Clause
/* Keyed per-connection secrets: ISN (RFC 6528) and timestamp offsets. */
#include "siphash.h"
#include "stack.h"

/*
 * RFC 6528 section 3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), with M a timer and F SipHash-2-4. Like Linux's
 * secure_tcp_seq(), M is a 64 ns clock (ns >> 6), which wraps the 32-bit
 * space in about 274 s, well above the MSL.
 */
uint32_t tern_isn(const struct tern_stack *s, const struct tern_tuple *t, uint64_t now)
{
	uint32_t f = (uint32_t)tern_siphash(&s->sec.isn, t, offsetof(struct tern_tuple, family));

	return f + (uint32_t)(now >> 6);
}

/*
 * Per-connection TSval offset from the address pair, as Linux's
 * secure_tcp_ts_off(): the same pair always gets the same offset, which is
 * what lets a cookie ACK's TSecr be decoded without state.
 */
uint32_t tern_ts_off(const struct tern_stack *s, const struct tern_tuple *t)
{
	return (uint32_t)tern_siphash(&s->sec.tsoff, &t->laddr, 2 * sizeof(struct tern_addr));
}
