// SPDX-License-Identifier: BSD-2-Clause
/*
 * Path MTU discovery (RFC 1191, RFC 8201): an ICMP "fragmentation needed"
 * or ICMPv6 "packet too big" about a segment we sent lowers the path MTU
 * of its connection, the MSS follows, and what is in flight goes again at
 * the new size. Linux: tcp_v4_err(), tcp_v6_err(), tcp_v4_mtu_reduced(),
 * tcp_v6_mtu_reduced(), tcp_sync_mss(), tcp_simple_retransmit().
 *
 * tern: the path MTU is kept per connection (Linux icsk_pmtu_cookie), not
 * in a route cache entry that every socket to the destination shares and
 * that expires after ip_rt_mtu_expires; other connections to the same
 * peer learn it from their own ICMP errors.
 */
#include "stack.h"

#define IP4_MIN_PMTU 552 /* ip_rt_min_pmtu */
#define IP6_MIN_MTU 1280 /* IPV6_MIN_MTU */

static uint32_t path_mtu(const struct tern_stack *s, const struct tern_conn *c)
{
	uint16_t p = tern_conn_xmit(s, c)->pmtu;

	return p ? p : s->cfg.mtu;
}

/*
 * The path MTU an error sets, 0 to ignore it. IPv4 (__ip_rt_update_pmtu):
 * not below the current one is ignored, below ip_rt_min_pmtu counts as
 * ip_rt_min_pmtu. IPv6 (tcp_v6_err, rt6_do_update_pmtu): below
 * IPV6_MIN_MTU is ignored, and so is one not below the current.
 */
static uint32_t icmp_pmtu(const struct tern_icmp *ic, uint32_t cur)
{
	uint32_t mtu = ic->mtu;

	if (ic->t.family == 6 && mtu < IP6_MIN_MTU)
		return 0;
	if (ic->t.family == 4 && mtu < IP4_MIN_PMTU)
		mtu = IP4_MIN_PMTU;
	return mtu < cur ? mtu : 0;
}

/*
 * tcp_mtu_to_mss() for a lower path MTU: the headers off, no more than
 * the MSS in use (which holds the peer's clamp), raised to min_snd_mss
 * before the timestamp option is taken off, as tern_send_mss() does.
 */
static uint16_t pmtu_to_mss(const struct tern_stack *s, const struct tern_conn *c, uint32_t pmtu)
{
	uint32_t ts = c->optf & TERN_NEG_TS ? TERN_TSOPT_LEN : 0;
	uint32_t hdr = (c->n.t.family == 6 ? TERN_IP6_HLEN : TERN_IP4_HLEN) + TERN_TCP_HLEN;
	uint32_t mss = pmtu - hdr, cur = c->mss + ts;

	if (mss > cur)
		mss = cur;
	if (mss < s->cfg.min_snd_mss)
		mss = s->cfg.min_snd_mss;
	return (uint16_t)(mss - ts);
}

/* cwnd and ssthresh keep their size in segments, as Linux's counts of
 * packets do across tcp_sync_mss(). */
static uint32_t rescale(uint32_t bytes, uint16_t from, uint16_t to)
{
	uint32_t segs = bytes / from;

	if (bytes == UINT32_MAX)
		return bytes;
	return (segs ? segs : 1) * (uint32_t)to;
}

/*
 * tcp_simple_retransmit(): what is in flight and larger than the new MSS
 * is lost; it goes again, resegmented, with no congestion response (the
 * path did not drop it for congestion).
 *
 * tern: the send queue keeps no segment boundaries, so every unSACKed
 * byte in flight is marked lost (with SACK, RTO-style recovery sends the
 * holes) or sent again from SND.UNA (without), where Linux resends only
 * the segments longer than the new MSS.
 */
static void simple_retransmit(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			      struct tern_out *out)
{
	if (c->snd_una == c->snd_max)
		return;
	c->recover = c->snd_max;
	c->flags &= ~(TERN_CF_RECOVERY | TERN_CF_RTT);
	c->dupacks = 0;
	tern_undo_clear(s, c);
	if (tern_conn_sack_on(c) && tern_seq_lt(c->snd_una, c->snd_una + c->sq_bytes)) {
		tern_sack_enter_loss(s, c, 0); /* tcp_simple_retransmit(): no F-RTO */
	} else {
		tern_conn_xmit(s, c)->loss = 0;
		c->snd_nxt = c->snd_una;
	}
	tern_conn_output(s, c, now, out);
}

/* tcp_v4_mtu_reduced() / tcp_v6_mtu_reduced() */
static void mtu_reduced(struct tern_stack *s, struct tern_conn *c, const struct tern_icmp *ic,
			uint64_t now, struct tern_out *out)
{
	uint32_t pmtu = icmp_pmtu(ic, path_mtu(s, c));
	uint16_t mss, old = c->mss;

	if (!pmtu) {
		TERN_MIB_INC(s, InDropIcmpMtu);
		return;
	}
	tern_conn_xmit(s, c)->pmtu = (uint16_t)pmtu;
	TERN_MIB_INC(s, TCPPMTUReduced);
	mss = pmtu_to_mss(s, c, pmtu);
	if (mss >= old)
		return;
	c->mss = mss;
	c->cwnd = rescale(c->cwnd, old, mss);
	c->ssthresh = rescale(c->ssthresh, old, mss);
	simple_retransmit(s, c, now, out);
}

/*
 * tcp_v4_err() / tcp_v6_err() for an established-table match: the quoted
 * sequence number must lie in [SND.UNA, SND.NXT] (SND.NXT being the
 * highest sent, snd_max here) or the error is a guess (OutOfWindowIcmps).
 *
 * tern: in SYN-SENT the error is ignored (Linux lowers the MSS cookie
 * before the SYN-ACK sets the MSS); the handshake's segments are small.
 */
void tern_conn_icmp(struct tern_stack *s, struct tern_conn *c, const struct tern_icmp *ic,
		    uint64_t now, struct tern_out *out)
{
	if (c->state == TERN_TIME_WAIT || c->state == TERN_CLOSED)
		return;
	if (!tern_seq_ge(ic->seq, c->snd_una) || !tern_seq_le(ic->seq, c->snd_max)) {
		TERN_MIB_INC(s, OutOfWindowIcmps);
		return;
	}
	if (c->state == TERN_SYN_SENT)
		return;
	mtu_reduced(s, c, ic, now, out);
}
