// SPDX-License-Identifier: BSD-2-Clause
/*
 * Frame parser: Ethernet (at most one 802.1Q tag) -> IPv4 / IPv6 -> TCP.
 *
 * Runs once per received packet, so it reads fields with memcpy + be*toh
 * (no alignment assumptions), bounds-checks each layer once up front and
 * keeps the checks in the order of enum tern_parse_result. Every length is
 * checked against `len` before the bytes it covers are read.
 *
 * Checksums follow the convention in csum.c: a packet is intact when the
 * folded sum over it (checksum field included) is 0.
 */
#include <endian.h>
#include <string.h>

#include "bytes.h"
#include "csum.h"
#include "parse.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100

#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_ICMPV6 58

#define ICMP_HLEN 8
#define ICMP_DEST_UNREACH 3    /* RFC 792; code 4: fragmentation needed */
#define ICMPV6_PKT_TOOBIG 2    /* RFC 4443 3.2 */
#define ICMP_QUOTE_L4 8        /* TCP bytes an error must quote (RFC 792) */
#define IP4_FRAG_MASK 0x3fff /* MF | fragment offset, as in ip_is_fragment() */

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WINDOW 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TIMESTAMP 8

#define TCPOLEN_MSS 4
#define TCPOLEN_WINDOW 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TIMESTAMP 10
#define TCPOLEN_SACK_BASE 2
#define TCPOLEN_SACK_PERBLOCK 8
#define TCPOLEN_TSTAMP_ALIGNED 12 /* NOP NOP TS */
#define TCPOLEN_LINUX_SYN 20      /* MSS, SACK-permitted + TS, NOP WS */

/* Where the TCP segment is, and its pseudo-header sum. */
struct l4_view {
	const uint8_t *th;
	uint32_t len; /* TCP header + payload, from the IP length fields */
	uint64_t psum;
};

static inline void set_v4mapped(struct tern_addr *a, const uint8_t *ip4)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memcpy(a->b, pfx, sizeof(pfx));
	memcpy(a->b + 12, ip4, 4);
}

/* IPv6 next-header values that are extension headers (IANA registry). */
static bool ip6_is_exthdr(uint8_t nh)
{
	switch (nh) {
	case 0:   /* Hop-by-Hop Options */
	case 43:  /* Routing */
	case 44:  /* Fragment */
	case 50:  /* ESP */
	case 51:  /* AH */
	case 60:  /* Destination Options */
	case 135: /* Mobility */
	case 139: /* HIP */
	case 140: /* Shim6 */
	case 253: /* experimental (RFC 3692) */
	case 254:
		return true;
	default:
		return false;
	}
}

/*
 * RFC 791 header checks in roughly the order of Linux's ip_rcv_core().
 * Options (IHL > 5) are skipped. The TCP length comes from the total
 * length, which trims Ethernet padding after the datagram.
 */
static int parse_ip4(const uint8_t *ip, uint32_t len, struct tern_seg *seg,
		     bool verify_csum, uint8_t proto, struct l4_view *l4)
{
	uint32_t ihl, tot;

	if (len < TERN_IP4_HLEN)
		return TERN_PARSE_IP_SHORT;
	if (ip[0] >> 4 != 4)
		return TERN_PARSE_IP_VERSION;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < TERN_IP4_HLEN || ihl > len)
		return TERN_PARSE_IP_IHL;
	tot = tern_get_be16(ip + 2);
	if (tot > len || tot < ihl)
		return TERN_PARSE_IP_TOTLEN;
	if (verify_csum && tern_csum_fold(ihl == TERN_IP4_HLEN ? tern_csum_ip4(ip) :
							   tern_csum_add(0, ip, ihl)))
		return TERN_PARSE_IP_CSUM;
	if (tern_get_be16(ip + 6) & IP4_FRAG_MASK)
		return TERN_PARSE_IP_FRAG;
	if (ip[9] != proto)
		return TERN_PARSE_NOT_TCP;

	set_v4mapped(&seg->t.laddr, ip + 16);
	set_v4mapped(&seg->t.raddr, ip + 12);
	seg->t.family = 4;
	l4->th = ip + ihl;
	l4->len = tot - ihl;
	/* RFC 793 3.1 pseudo-header: saddr, daddr (contiguous), proto, length. */
	l4->psum = proto + (uint64_t)l4->len + tern_get_be32(ip + 12) + tern_get_be32(ip + 16);
	return TERN_PARSE_OK;
}

/*
 * RFC 8200 section 3. Extension headers are not walked: anything but TCP
 * directly after the fixed header is dropped.
 */
static int parse_ip6(const uint8_t *ip, uint32_t len, struct tern_seg *seg,
		     uint8_t proto, struct l4_view *l4)
{
	uint32_t plen;

	if (len < TERN_IP6_HLEN)
		return TERN_PARSE_IP_SHORT;
	if (ip[0] >> 4 != 6)
		return TERN_PARSE_IP_VERSION;
	plen = tern_get_be16(ip + 4);
	if (plen > len - TERN_IP6_HLEN)
		return TERN_PARSE_IP_TOTLEN;
	if (ip[6] != proto)
		return ip6_is_exthdr(ip[6]) ? TERN_PARSE_IP6_EXTHDR :
					      TERN_PARSE_NOT_TCP;

	memcpy(seg->t.laddr.b, ip + 24, 16);
	memcpy(seg->t.raddr.b, ip + 8, 16);
	seg->t.family = 6;
	l4->th = ip + TERN_IP6_HLEN;
	l4->len = plen;
	/* RFC 8200 8.1 pseudo-header: saddr, daddr (contiguous), length, nh. */
	l4->psum = tern_csum_add(proto + (uint64_t)plen, ip + 8, 32);
	return TERN_PARSE_OK;
}

static int parse_tcp(const struct l4_view *l4, struct tern_seg *seg,
		     bool verify_csum)
{
	const uint8_t *th = l4->th;
	uint32_t doff;

	if (l4->len < TERN_TCP_HLEN)
		return TERN_PARSE_TCP_SHORT;
	doff = (uint32_t)(th[12] >> 4) * 4;
	if (doff < TERN_TCP_HLEN || doff > l4->len)
		return TERN_PARSE_TCP_DOFF;
	if (verify_csum && tern_csum_fold(tern_csum_add(l4->psum, th, l4->len)))
		return TERN_PARSE_TCP_CSUM;

	seg->t.rport = tern_get_be16(th);
	seg->t.lport = tern_get_be16(th + 2);
	seg->seq = tern_get_be32(th + 4);
	seg->ack = tern_get_be32(th + 8);
	seg->flags = th[13];
	seg->win = tern_get_be16(th + 14);
	tern_parse_opts(th + TERN_TCP_HLEN, doff - TERN_TCP_HLEN, &seg->opt);
	seg->payload = th + doff;
	seg->len = l4->len - doff;
	return TERN_PARSE_OK;
}

/* Ethernet (one optional 802.1Q tag), then the IP layer: IPv4 carrying
 * proto4 or IPv6 carrying proto6. */
static int parse_l3(const uint8_t *frame, uint32_t len, struct tern_seg *seg, bool verify_csum,
		    uint8_t proto4, uint8_t proto6, struct l4_view *l4)
{
	uint32_t off = TERN_ETH_HLEN;
	uint16_t proto;

	if (len < TERN_ETH_HLEN)
		return TERN_PARSE_ETH_SHORT;
	proto = tern_get_be16(frame + 12);
	seg->l2.has_vlan = 0;
	seg->l2.vlan_tci = 0;
	if (proto == ETH_P_8021Q) {
		if (len < TERN_ETH_HLEN + TERN_VLAN_HLEN)
			return TERN_PARSE_ETH_SHORT;
		seg->l2.has_vlan = 1;
		seg->l2.vlan_tci = tern_get_be16(frame + 14);
		proto = tern_get_be16(frame + 16);
		off += TERN_VLAN_HLEN;
	}
	if (proto == ETH_P_IP)
		return parse_ip4(frame + off, len - off, seg, verify_csum, proto4, l4);
	if (proto == ETH_P_IPV6)
		return parse_ip6(frame + off, len - off, seg, proto6, l4);
	return TERN_PARSE_NOT_IP; /* includes a second 802.1Q tag */
}

int tern_parse(const uint8_t *frame, uint32_t len, struct tern_seg *seg, bool verify_csum)
{
	struct l4_view l4;
	int ret;

	ret = parse_l3(frame, len, seg, verify_csum, IP_PROTO_TCP, IP_PROTO_TCP, &l4);
	if (ret)
		return ret;
	ret = parse_tcp(&l4, seg, verify_csum);
	if (ret)
		return ret;

	memcpy(seg->l2.local_mac, frame, 6);
	memcpy(seg->l2.peer_mac, frame + 6, 6);
	seg->l2.pad = 0;
	memset(seg->t.pad, 0, sizeof(seg->t.pad));
	seg->pad = 0;
	return TERN_PARSE_OK;
}

/* The quoted IPv4 header (icmp_unreach(): IHL at least 5, then IHL * 4
 * + 8 bytes present, icmp_socket_deliver()) and its protocol TCP. */
static int quote_ip4(const uint8_t *q, uint32_t len, struct tern_icmp *ic)
{
	uint32_t ihl;

	if (len < TERN_IP4_HLEN || q[0] >> 4 != 4)
		return TERN_PARSE_ICMP_QUOTE;
	ihl = (uint32_t)(q[0] & 0x0f) * 4;
	if (ihl < TERN_IP4_HLEN || len < ihl + ICMP_QUOTE_L4 || q[9] != IP_PROTO_TCP)
		return TERN_PARSE_ICMP_QUOTE;
	set_v4mapped(&ic->t.laddr, q + 12);
	set_v4mapped(&ic->t.raddr, q + 16);
	ic->t.family = 4;
	q += ihl;
	ic->t.lport = tern_get_be16(q);
	ic->t.rport = tern_get_be16(q + 2);
	ic->seq = tern_get_be32(q + 4);
	return TERN_PARSE_OK;
}

/* tern: the quoted IPv6 header must be followed by TCP directly, where
 * icmpv6_notify() walks extension headers (ipv6_skip_exthdr()); tern
 * never sends any. */
static int quote_ip6(const uint8_t *q, uint32_t len, struct tern_icmp *ic)
{
	if (len < TERN_IP6_HLEN + ICMP_QUOTE_L4 || q[0] >> 4 != 6 || q[6] != IP_PROTO_TCP)
		return TERN_PARSE_ICMP_QUOTE;
	memcpy(ic->t.laddr.b, q + 8, 16);
	memcpy(ic->t.raddr.b, q + 24, 16);
	ic->t.family = 6;
	q += TERN_IP6_HLEN;
	ic->t.lport = tern_get_be16(q);
	ic->t.rport = tern_get_be16(q + 2);
	ic->seq = tern_get_be32(q + 4);
	return TERN_PARSE_OK;
}

/*
 * icmp_rcv() / icmpv6_rcv(): the checksum over the whole message (ICMPv6
 * with the RFC 8200 8.1 pseudo-header), then the type; the rest of the
 * header is the next-hop MTU (RFC 1191 4: the low 16 bits of the second
 * word; RFC 4443 3.2: the whole word).
 */
int tern_parse_icmp(const uint8_t *frame, uint32_t len, struct tern_icmp *ic, bool verify_csum)
{
	struct tern_seg seg;
	struct l4_view l4;
	const uint8_t *h;
	uint64_t sum;
	int ret;

	ret = parse_l3(frame, len, &seg, verify_csum, IP_PROTO_ICMP, IP_PROTO_ICMPV6, &l4);
	if (ret)
		return ret;
	if (l4.len < ICMP_HLEN)
		return TERN_PARSE_ICMP_SHORT;
	h = l4.th;
	sum = seg.t.family == 6 ? l4.psum : 0;
	if (verify_csum && tern_csum_fold(tern_csum_add(sum, h, l4.len)))
		return TERN_PARSE_ICMP_CSUM;
	memset(ic, 0, sizeof(*ic));
	ic->type = h[0];
	ic->code = h[1];
	if (seg.t.family == 4) {
		if (ic->type != ICMP_DEST_UNREACH)
			return TERN_PARSE_ICMP_TYPE;
		ic->mtu = tern_get_be16(h + 6);
		return quote_ip4(h + ICMP_HLEN, l4.len - ICMP_HLEN, ic);
	}
	if (ic->type != ICMPV6_PKT_TOOBIG)
		return TERN_PARSE_ICMP_TYPE;
	ic->mtu = tern_get_be32(h + 4);
	return quote_ip6(h + ICMP_HLEN, l4.len - ICMP_HLEN, ic);
}

static void parse_sack(const uint8_t *p, uint32_t size, struct tern_opts *o)
{
	uint32_t n = (size - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_PERBLOCK;

	if (n > TERN_MAX_SACK)
		n = TERN_MAX_SACK;
	p += TCPOLEN_SACK_BASE;
	for (uint32_t i = 0; i < n; i++, p += TCPOLEN_SACK_PERBLOCK) {
		o->sack[i].start = tern_get_be32(p);
		o->sack[i].end = tern_get_be32(p + 4);
	}
	o->nsack = (uint8_t)n;
	o->present |= TERN_OPT_SACK;
}

/*
 * One option of known size (2 <= size <= remaining). Known kinds with a
 * wrong length are ignored, like tcp_parse_options() does; the caller
 * skips size bytes either way.
 */
static void parse_opt(const uint8_t *p, uint32_t size, struct tern_opts *o)
{
	uint16_t mss;

	switch (p[0]) {
	case TCPOPT_MSS:
		if (size != TCPOLEN_MSS)
			break;
		mss = tern_get_be16(p + 2);
		if (mss) { /* tcp_parse_options() ignores a zero MSS */
			o->mss = mss;
			o->present |= TERN_OPT_MSS;
		}
		break;
	case TCPOPT_WINDOW:
		if (size != TCPOLEN_WINDOW)
			break;
		/* RFC 7323 2.3: a shift above 14 is used as 14 */
		o->wscale = p[2] > TERN_MAX_WSCALE ? TERN_MAX_WSCALE : p[2];
		o->present |= TERN_OPT_WS;
		break;
	case TCPOPT_SACK_PERM:
		if (size == TCPOLEN_SACK_PERM)
			o->present |= TERN_OPT_SACKOK;
		break;
	case TCPOPT_SACK:
		if (size >= TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK &&
		    !((size - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_PERBLOCK))
			parse_sack(p, size, o);
		break;
	case TCPOPT_TIMESTAMP:
		if (size != TCPOLEN_TIMESTAMP)
			break;
		o->tsval = tern_get_be32(p + 2);
		o->tsecr = tern_get_be32(p + 6);
		o->present |= TERN_OPT_TS;
		break;
	default: /* unknown kinds are skipped */
		break;
	}
}

/* NOP NOP TS (RFC 7323 appendix A), what Linux's SYNs carry: MSS,
 * SACK-permitted, TS, NOP, WS (tcp_options_write()), and an MSS alone
 * (SYN floods, many stacks' SYNs without timestamps). */
#define OPT_WORD_NOP_NOP_TS 0x0101080au
#define OPT_WORD_MSS 0x0204u      /* upper half of the first word */
#define OPT_WORD_SACKOK_TS 0x0402080au
#define OPT_WORD_NOP_WS 0x010303u /* upper three bytes of the last word */

/*
 * The three layouts nearly every segment has, read as whole words, as
 * tcp_fast_parse_options() does for the first: the result is the one the
 * general loop below gives for the same bytes. 1 when handled.
 */
static int parse_opts_fast(const uint8_t *p, uint32_t len, struct tern_opts *o)
{
	uint32_t w0 = tern_get_be32(p);

	if (len == TCPOLEN_TSTAMP_ALIGNED && w0 == OPT_WORD_NOP_NOP_TS) {
		o->tsval = tern_get_be32(p + 4);
		o->tsecr = tern_get_be32(p + 8);
		o->present = TERN_OPT_TS;
		return 1;
	}
	if (len == TCPOLEN_MSS && w0 >> 16 == OPT_WORD_MSS && (w0 & 0xffff)) {
		o->mss = (uint16_t)w0;
		o->present = TERN_OPT_MSS;
		return 1;
	}
	if (len != TCPOLEN_LINUX_SYN || w0 >> 16 != OPT_WORD_MSS || !(w0 & 0xffff) ||
	    tern_get_be32(p + 4) != OPT_WORD_SACKOK_TS ||
	    tern_get_be32(p + 16) >> 8 != OPT_WORD_NOP_WS)
		return 0;
	o->mss = (uint16_t)w0;
	o->tsval = tern_get_be32(p + 8);
	o->tsecr = tern_get_be32(p + 12);
	/* RFC 7323 2.3: a shift above 14 is used as 14 */
	o->wscale = p[19] > TERN_MAX_WSCALE ? TERN_MAX_WSCALE : p[19];
	o->present = TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_TS | TERN_OPT_WS;
	return 1;
}

/*
 * Linux tcp_parse_options() (net/ipv4/tcp_input.c): EOL ends the list, NOP
 * is one byte, everything else is kind, length, data. A length below 2
 * ("silly options") or past the end stops parsing; no partial options are
 * read. Each step advances by at least one byte, so this always ends.
 */
void tern_parse_opts(const uint8_t *p, uint32_t len, struct tern_opts *o)
{
	uint32_t i = 0, size;

	memset(o, 0, sizeof(*o));
	if (len >= 4 && parse_opts_fast(p, len, o))
		return;
	while (i < len) {
		if (p[i] == TCPOPT_EOL)
			return;
		if (p[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return;
		size = p[i + 1];
		if (size < 2 || size > len - i)
			return;
		parse_opt(p + i, size, o);
		i += size;
	}
}

static const char *const parse_reason_names[TERN_PARSE__COUNT] = {
#define X(name, str) [TERN_PARSE_##name] = str,
	TERN_PARSE_REASONS(X)
#undef X
};

const char *tern_parse_reason_name(int reason)
{
	if (reason < 0 || reason >= TERN_PARSE__COUNT)
		return "Unknown";
	return parse_reason_names[reason];
}
