// SPDX-License-Identifier: BSD-2-Clause
/*
 * SYN cookies with Linux's layout (net/ipv4/syncookies.c):
 *
 *   cookie = H0 + client ISN + (minute << 24)
 *          + ((H1 + mss_index) mod 2^24)
 *
 * H0 and H1 are the two halves of one SipHash-2-4 of the tuple and the
 * minute (include/tern/cookie.h says why one, where Linux has two); a
 * cookie is valid for the current and the previous minute
 * (MAX_SYNCOOKIE_AGE 2). The MSS index points into Linux's table for the
 * family. When the SYN carried timestamps, the window scale, SACK and ECN
 * bits ride in the low 6 bits of our TSval (cookie_init_timestamp) and
 * come back in the ACK's TSecr.
 */
#include <errno.h>
#include <string.h>

#include "stack.h"

/* The layout, the MSS tables and the hash inputs are include/tern/cookie.h's,
 * shared with the XDP program (bpf/synack.h). */
static void cookie_in(const struct tern_tuple *t, uint32_t count, struct tern_cookie_in4 *in4,
		      struct tern_cookie_in6 *in6)
{
	uint32_t ports = (uint32_t)t->rport << 16 | t->lport;

	if (t->family == 6) {
		memcpy(in6->saddr, t->raddr.b, 16);
		memcpy(in6->daddr, t->laddr.b, 16);
		in6->ports = ports;
		in6->count = count;
		return;
	}
	memcpy(in4->saddr, t->raddr.b + 12, 4);
	memcpy(in4->daddr, t->laddr.b + 12, 4);
	in4->ports = ports;
	in4->count = count;
}

/* The count's clock: the caller's, or the fleet's shared one. */
static uint32_t cookie_count(const struct tern_stack *s, uint64_t now)
{
	return tern_cookie_count(now + (uint64_t)s->sec.count_off);
}

/* __cookie_v4_init_sequence(): returns the cookie (our ISS), *mss_out the
 * MSS the cookie will restore. */
uint32_t tern_cookie_make(const struct tern_stack *s, const struct tern_seg *syn, uint64_t now,
			  uint16_t *mss_out)
{
	uint16_t mss = syn->opt.present & TERN_OPT_MSS ? syn->opt.mss
		       : syn->t.family == 6 ? TERN_MSS_DEFAULT_V6 : TERN_MSS_DEFAULT_V4;
	uint32_t count = cookie_count(s, now);
	uint32_t idx = tern_cookie_mss_idx(syn->t.family, mss);
	struct tern_cookie_in6 in6;
	struct tern_cookie_in4 in4;
	uint64_t h;

	*mss_out = tern_cookie_mss(syn->t.family, idx);
	cookie_in(&syn->t, count, &in4, &in6);
	h = syn->t.family == 6 ? tern_cookie_hash6(&s->sec.cookie[0], &in6)
			       : tern_cookie_hash4(&s->sec.cookie[0], &in4);
	return tern_cookie_compose(h, syn->seq, count, idx);
}

/* check_tcp_syn_cookie() under one pair of keys: 0 and *mss_out, or
 * -EINVAL. */
static int cookie_check_key(const struct tern_sipkey *key, const struct tern_seg *ack,
			    uint32_t count, uint16_t *mss_out)
{
	struct tern_cookie_in6 in6;
	struct tern_cookie_in4 in4;
	int idx;

	cookie_in(&ack->t, 0, &in4, &in6);
	idx = ack->t.family == 6 ? tern_cookie_check6(&key[0], &in6, ack->ack - 1, ack->seq - 1, count)
				 : tern_cookie_check4(&key[0], &in4, ack->ack - 1, ack->seq - 1, count);
	if (idx < 0)
		return -EINVAL;
	*mss_out = tern_cookie_mss(ack->t.family, (uint32_t)idx);
	return 0;
}

/*
 * Could a cookie issued under the previous keys still be valid? Its count
 * is at most the rotation's, and a count is accepted for
 * TERN_COOKIE_MAX_AGE counts (the same check as cookie_check_key()'s).
 */
static int prev_in_window(const struct tern_stack *s, uint64_t now)
{
	return s->sec.has_prev &&
	       cookie_count(s, now) - cookie_count(s, s->sec.prev_retired) < TERN_COOKIE_MAX_AGE;
}

/* The cookie under the current keys (0) or, within their window, the
 * previous ones (1); -EINVAL when neither. */
int tern_cookie_check(const struct tern_stack *s, const struct tern_seg *ack, uint64_t now,
		      uint16_t *mss_out)
{
	uint32_t count = cookie_count(s, now);

	if (!cookie_check_key(s->sec.cookie, ack, count, mss_out))
		return 0;
	if (prev_in_window(s, now) && !cookie_check_key(s->sec.prev.cookie, ack, count, mss_out))
		return 1;
	return -EINVAL;
}

/* The previous keys once no cookie of theirs can be valid any more. */
void tern_cookie_expire_prev(struct tern_stack *s, uint64_t now)
{
	if (s->sec.has_prev && !prev_in_window(s, now)) {
		explicit_bzero(&s->sec.prev, sizeof(s->sec.prev));
		s->sec.has_prev = 0;
	}
}

void tern_stack__set_fleet(struct tern_stack *s, const struct tern_fleet_keys *k,
			   int64_t count_off)
{
	s->sec.cookie[0] = k->cookie[0];
	s->sec.cookie[1] = k->cookie[1];
	s->sec.tsoff = k->tsoff;
	s->sec.count_off = count_off;
	s->sec.fleet = 1;
}

int tern_stack__rotate(struct tern_stack *s, const struct tern_fleet_keys *k, uint64_t now)
{
	s->sec.prev.cookie[0] = s->sec.cookie[0];
	s->sec.prev.cookie[1] = s->sec.cookie[1];
	s->sec.prev.tsoff = s->sec.tsoff;
	s->sec.prev_retired = now;
	s->sec.has_prev = 1;
	s->sec.cookie[0] = k->cookie[0];
	s->sec.cookie[1] = k->cookie[1];
	s->sec.tsoff = k->tsoff;
	return 0;
}

/*
 * cookie_init_timestamp(): the current TS clock with its low 6 bits
 * replaced by the options, never ahead of the clock.
 */
uint32_t tern_cookie_tsval(uint32_t ts_now, uint8_t optf, uint8_t snd_wscale)
{
	return tern_cookie_ts_encode(ts_now, tern_cookie_ts_options(optf & TERN_NEG_WS, snd_wscale,
							       optf & TERN_NEG_SACK));
}

/*
 * cookie_timestamp_decode(): recover SACK and window scale from the ACK's
 * TSecr (already minus the connection's ts_off). The 4-bit field holds
 * 0..14 or 15 for "no window scaling", so every value decodes; returns 0.
 */
int tern_cookie_ts_decode(uint32_t tsecr, uint8_t *optf, uint8_t *snd_wscale)
{
	uint32_t options = tsecr & ((1u << TERN_COOKIE_TS_BITS) - 1);

	*optf = TERN_NEG_TS;
	*snd_wscale = 0;
	if (options & TERN_COOKIE_TS_SACK)
		*optf |= TERN_NEG_SACK;
	if ((options & TERN_COOKIE_TS_WSCALE_MASK) == TERN_COOKIE_TS_WSCALE_MASK)
		return 0;
	*optf |= TERN_NEG_WS;
	*snd_wscale = options & TERN_COOKIE_TS_WSCALE_MASK;
	return 0;
}
