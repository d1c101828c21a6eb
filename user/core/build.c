// SPDX-License-Identifier: BSD-2-Clause
/*
 * Frame builder: struct tern_tx -> Ethernet [802.1Q] IPv4|IPv6 TCP frame.
 *
 * Header values follow what Linux puts on the wire for a SYN-ACK or RST
 * (ip_build_and_send_pkt(), ip6_xmit()): IPv4 ID 0 with DF, TTL and hop
 * limit 64, TOS / traffic class and flow label 0, urgent pointer 0.
 * Checksums use the csum.c convention: tern_csum_fold() is stored as is.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "bytes.h"
#include "build.h"
#include "csum.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100

#define IP_PROTO_TCP 6
#define IP4_DF 0x4000
#define IP_MAXLEN 0xffff /* IPv4 total length, IPv6 payload length */

static inline uint32_t ip_hlen(const struct tern_tx *tx)
{
	return tx->t.family == 6 ? TERN_IP6_HLEN : TERN_IP4_HLEN;
}

static inline uint32_t l2_hlen(const struct tern_tx *tx)
{
	return TERN_ETH_HLEN + (tx->l2.has_vlan ? TERN_VLAN_HLEN : 0);
}

/* Meaningful only for a descriptor tern_build() accepts (len <= 65535). */
uint32_t tern_build_len(const struct tern_tx *tx)
{
	return l2_hlen(tx) + ip_hlen(tx) + TERN_TCP_HLEN + tx->optlen + tx->len;
}

static int check_tx(const struct tern_tx *tx)
{
	uint32_t tcplen;

	if (tx->t.family != 4 && tx->t.family != 6)
		return -EINVAL;
	if (tx->optlen % 4 || tx->optlen > TERN_TCP_MAX_OPTLEN)
		return -EINVAL;
	/* The IP length field must hold the datagram (IPv6: no jumbograms). */
	if (tx->len > IP_MAXLEN)
		return -EINVAL;
	tcplen = TERN_TCP_HLEN + tx->optlen + tx->len;
	if (tcplen + (tx->t.family == 4 ? TERN_IP4_HLEN : 0) > IP_MAXLEN)
		return -EINVAL;
	return 0;
}

/* Ethernet header (plus tag); returns where the IP header goes. */
static uint8_t *put_eth(uint8_t *p, const struct tern_tx *tx)
{
	memcpy(p, tx->l2.peer_mac, 6);
	memcpy(p + 6, tx->l2.local_mac, 6);
	p += 12;
	if (tx->l2.has_vlan) {
		tern_put_be16(p, ETH_P_8021Q);
		tern_put_be16(p + 2, tx->l2.vlan_tci);
		p += TERN_VLAN_HLEN;
	}
	tern_put_be16(p, tx->t.family == 6 ? ETH_P_IPV6 : ETH_P_IP);
	return p + 2;
}

static void put_ip4(uint8_t *ip, const struct tern_tx *tx, uint32_t tcplen)
{
	uint16_t csum;

	ip[0] = 0x45; /* version 4, IHL 5 */
	ip[1] = 0;    /* TOS */
	tern_put_be16(ip + 2, (uint16_t)(TERN_IP4_HLEN + tcplen));
	tern_put_be16(ip + 4, 0); /* ID 0 with DF, as Linux for DF sockets */
	tern_put_be16(ip + 6, IP4_DF);
	ip[8] = TERN_IP_TTL;
	ip[9] = IP_PROTO_TCP;
	tern_put_be16(ip + 10, 0);
	memcpy(ip + 12, tx->t.laddr.b + 12, 4);
	memcpy(ip + 16, tx->t.raddr.b + 12, 4);
	csum = tern_csum_fold(tern_csum_ip4(ip));
	memcpy(ip + 10, &csum, sizeof(csum));
}

static void put_ip6(uint8_t *ip, const struct tern_tx *tx, uint32_t tcplen)
{
	tern_put_be32(ip, 0x60000000); /* version 6, traffic class 0, flow label 0 */
	tern_put_be16(ip + 4, (uint16_t)tcplen);
	ip[6] = IP_PROTO_TCP;
	ip[7] = TERN_IP_TTL;
	memcpy(ip + 8, tx->t.laddr.b, 16);
	memcpy(ip + 24, tx->t.raddr.b, 16);
}

/*
 * TCP header and options; the payload is already in place after them.
 * partial: the checksum field gets the folded pseudo-header sum, not
 * complemented, for whoever completes it (CHECKSUM_PARTIAL, as Linux's
 * __tcp_v4_send_check() / __tcp_v6_send_check() leave it).
 */
static void put_tcp(uint8_t *th, const struct tern_tx *tx, uint32_t tcplen, bool partial)
{
	uint64_t psum = tern_csum_pseudo(tx->t.family, &tx->t.laddr, &tx->t.raddr, tcplen);
	uint16_t csum;

	tern_put_be16(th, tx->t.lport);
	tern_put_be16(th + 2, tx->t.rport);
	tern_put_be32(th + 4, tx->seq);
	tern_put_be32(th + 8, tx->ack);
	th[12] = (uint8_t)(((TERN_TCP_HLEN + tx->optlen) / 4) << 4);
	th[13] = tx->flags;
	tern_put_be16(th + 14, tx->win);
	tern_put_be16(th + 16, 0); /* checksum, below */
	tern_put_be16(th + 18, 0); /* urgent pointer */
	memcpy(th + TERN_TCP_HLEN, tx->opt, tx->optlen);

	if (partial)
		csum = (uint16_t)~tern_csum_fold(psum);
	else
		csum = tern_csum_fold(tern_csum_add(psum, th, tcplen));
	memcpy(th + 16, &csum, sizeof(csum));
}

uint32_t tern_build_l4off(const struct tern_tx *tx)
{
	return l2_hlen(tx) + ip_hlen(tx);
}

int tern_build(uint8_t *buf, uint32_t cap, const struct tern_tx *tx)
{
	return tern_build_opt(buf, cap, tx, 0);
}

/* The headers for tx at buf, tcplen bytes of TCP segment (header included). */
static void put_hdrs(uint8_t *buf, const struct tern_tx *tx, uint32_t tcplen, unsigned int flags)
{
	uint8_t *ip = put_eth(buf, tx);

	if (tx->t.family == 4)
		put_ip4(ip, tx, tcplen);
	else
		put_ip6(ip, tx, tcplen);
	put_tcp(buf + tern_build_l4off(tx), tx, tcplen, flags & TERN_BUILD_CSUM_PARTIAL);
}

int tern_build_opt(uint8_t *buf, uint32_t cap, const struct tern_tx *tx, unsigned int flags)
{
	uint32_t total, tcplen;
	uint8_t *th;
	int ret;

	ret = check_tx(tx);
	if (ret)
		return ret;
	total = tern_build_len(tx);
	if (total > cap)
		return -ENOSPC;

	tcplen = TERN_TCP_HLEN + tx->optlen + tx->len;
	th = buf + tern_build_l4off(tx);
	/*
	 * Payload first: if it lives in buf (in-place reuse), it is moved
	 * before any header byte is written over it.
	 */
	if (tx->len && tx->payload != th + TERN_TCP_HLEN + tx->optlen)
		memmove(th + TERN_TCP_HLEN + tx->optlen, tx->payload, tx->len);
	put_hdrs(buf, tx, tcplen, flags);
	return (int)total;
}

int tern_build_hdr(uint8_t *buf, uint32_t cap, const struct tern_tx *tx, unsigned int flags)
{
	uint32_t hlen = tern_build_len(tx) - tx->len;
	int ret = check_tx(tx);

	if (ret)
		return ret;
	if (!(flags & TERN_BUILD_CSUM_PARTIAL)) /* a full sum would read the payload */
		return -EINVAL;
	if (hlen > cap)
		return -ENOSPC;
	put_hdrs(buf, tx, TERN_TCP_HLEN + tx->optlen + tx->len, flags);
	return (int)hlen;
}
