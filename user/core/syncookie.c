// SPDX-License-Identifier: BSD-2-Clause
/*
 * SYN cookies with Linux's layout (net/ipv4/syncookies.c):
 *
 *   cookie = H0(tuple) + client ISN + (minute << 24)
 *          + ((H1(tuple, minute) + mss_index) mod 2^24)
 *
 * H0 and H1 are SipHash-2-4 under two secret keys; a cookie is valid for
 * the current and the previous minute (MAX_SYNCOOKIE_AGE 2). The MSS index
 * points into Linux's table for the family. When the SYN carried
 * timestamps, the window scale, SACK and ECN bits ride in the low 6 bits of
 * our TSval (cookie_init_timestamp) and come back in the ACK's TSecr.
 */
#include <errno.h>
#include <string.h>

#include "stack.h"

#define COOKIE_BITS 24
#define COOKIE_MASK ((1u << COOKIE_BITS) - 1)
#define COOKIE_MAX_AGE 2
#define COOKIE_PERIOD_NS (60 * TERN_NSEC_PER_SEC)

#define TS_BITS 6
#define TS_OPT_WSCALE_MASK 0xf
#define TS_OPT_SACK 0x10
#define TS_OPT_ECN 0x20

/* Linux's msstab (IPv4) and its IPv6 counterpart. */
static const uint16_t msstab4[] = { 536, 1300, 1440, 1460 };
static const uint16_t msstab6[] = { 1280 - 60, 1480 - 60, 1500 - 60, 9000 - 60 };

/* Hash input: Linux's siphash_4u32(saddr, daddr, ports, count) for IPv4;
 * the same with 16-byte addresses for IPv6. */
struct cookie_input6 {
	struct tern_addr saddr; /* the SYN's source: the peer */
	struct tern_addr daddr;
	uint32_t ports;         /* sport << 16 | dport */
	uint32_t count;
};

struct cookie_input4 {
	uint8_t saddr[4];
	uint8_t daddr[4];
	uint32_t ports;
	uint32_t count;
};

static uint32_t cookie_hash(const struct tern_stack *s, const struct tern_tuple *t, uint32_t count,
			    int c)
{
	uint32_t ports = (uint32_t)t->rport << 16 | t->lport;
	struct cookie_input6 in6;
	struct cookie_input4 in4;

	if (t->family == 6) {
		in6 = (struct cookie_input6){ t->raddr, t->laddr, ports, count };
		return (uint32_t)tern_siphash(&s->sec.cookie[c], &in6, sizeof(in6));
	}
	memcpy(in4.saddr, t->raddr.b + 12, 4);
	memcpy(in4.daddr, t->laddr.b + 12, 4);
	in4.ports = ports;
	in4.count = count;
	return (uint32_t)tern_siphash(&s->sec.cookie[c], &in4, sizeof(in4));
}

static const uint16_t *msstab(int family)
{
	return family == 6 ? msstab6 : msstab4;
}

static uint32_t cookie_time(uint64_t now)
{
	return (uint32_t)(now / COOKIE_PERIOD_NS);
}

/* __cookie_v4_init_sequence(): returns the cookie (our ISS), *mss_out the
 * MSS the cookie will restore. */
uint32_t tern_cookie_make(const struct tern_stack *s, const struct tern_seg *syn, uint64_t now,
			  uint16_t *mss_out)
{
	const uint16_t *tab = msstab(syn->t.family);
	uint16_t mss = syn->opt.present & TERN_OPT_MSS ? syn->opt.mss
		       : syn->t.family == 6 ? TERN_MSS_DEFAULT_V6 : TERN_MSS_DEFAULT_V4;
	uint32_t idx, count = cookie_time(now);

	for (idx = 3; idx; idx--)
		if (mss >= tab[idx])
			break;
	*mss_out = tab[idx];
	return cookie_hash(s, &syn->t, 0, 0) + syn->seq + (count << COOKIE_BITS) +
	       ((cookie_hash(s, &syn->t, count, 1) + idx) & COOKIE_MASK);
}

/* check_tcp_syn_cookie(): 0 and *mss_out on success, -EINVAL otherwise. */
int tern_cookie_check(const struct tern_stack *s, const struct tern_seg *ack, uint64_t now,
		      uint16_t *mss_out)
{
	uint32_t cookie = ack->ack - 1, sseq = ack->seq - 1;
	uint32_t count = cookie_time(now), diff, idx;

	cookie -= cookie_hash(s, &ack->t, 0, 0) + sseq;
	diff = (count - (cookie >> COOKIE_BITS)) & (UINT32_MAX >> COOKIE_BITS);
	if (diff >= COOKIE_MAX_AGE)
		return -EINVAL;
	idx = (cookie - cookie_hash(s, &ack->t, count - diff, 1)) & COOKIE_MASK;
	if (idx > 3)
		return -EINVAL;
	*mss_out = msstab(ack->t.family)[idx];
	return 0;
}

/*
 * cookie_init_timestamp(): the current TS clock with its low 6 bits
 * replaced by the options, never ahead of the clock.
 */
uint32_t tern_cookie_tsval(uint32_t ts_now, uint8_t optf, uint8_t snd_wscale)
{
	uint32_t options = optf & TERN_NEG_WS ? snd_wscale : TS_OPT_WSCALE_MASK;
	uint32_t ts;

	if (optf & TERN_NEG_SACK)
		options |= TS_OPT_SACK;
	ts = (ts_now >> TS_BITS) << TS_BITS | options;
	if (tern_seq_gt(ts, ts_now))
		ts -= 1u << TS_BITS;
	return ts;
}

/*
 * cookie_timestamp_decode(): recover SACK and window scale from the ACK's
 * TSecr (already minus the connection's ts_off). The 4-bit field holds
 * 0..14 or 15 for "no window scaling", so every value decodes; returns 0.
 */
int tern_cookie_ts_decode(uint32_t tsecr, uint8_t *optf, uint8_t *snd_wscale)
{
	uint32_t options = tsecr & ((1u << TS_BITS) - 1);

	*optf = TERN_NEG_TS;
	*snd_wscale = 0;
	if (options & TS_OPT_SACK)
		*optf |= TERN_NEG_SACK;
	if ((options & TS_OPT_WSCALE_MASK) == TS_OPT_WSCALE_MASK)
		return 0;
	*optf |= TERN_NEG_WS;
	*snd_wscale = options & TS_OPT_WSCALE_MASK;
	return 0;
}
