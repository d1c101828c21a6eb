// SPDX-License-Identifier: BSD-2-Clause
/*
 * Frame parser: one test per drop reason (each frame carries exactly that
 * defect, checksums recomputed around it), the accepted layouts (VLAN,
 * IPv4 options, IPv6, Ethernet padding) and the TCP option rules of Linux
 * tcp_parse_options(). Frames are parsed from exact-size heap copies, so
 * ASan reports any read past the end.
 */
#include <endian.h>
#include <stdbool.h>
#include <stdlib.h>

#include "tests/unit/t.h"
#include "user/core/build.h"
#include "user/core/parse.h"

#define VERIFY true

/* A test frame, as sent by the client (198.51.100.7:40000 / 2001:db8::7). */
struct pkt {
	uint8_t b[512];
	uint32_t len;
	uint32_t l3; /* IP header offset */
	int family;
};

static const uint8_t router_mac[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t server_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t v4_client[4] = { 198, 51, 100, 7 };
static const uint8_t v4_server[4] = { 192, 0, 2, 1 };
static const uint8_t v6_client[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
static const uint8_t v6_server[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

/* --- independent RFC 1071 reference (byte pairs, no csum.c) --- */

static uint32_t ref_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sum += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void fix_ip4_csum(struct pkt *k)
{
	uint8_t *ip = k->b + k->l3;
	uint32_t ihl = (ip[0] & 0xf) * 4u;

	wr16(ip + 10, 0);
	wr16(ip + 10, ref_fold(ref_sum(0, ip, ihl)));
}

/* TCP checksum over tcplen bytes at th, with the frame's pseudo-header. */
static void fix_tcp_csum_at(struct pkt *k, uint32_t th_off, uint32_t tcplen)
{
	uint8_t *ip = k->b + k->l3, *th = k->b + th_off;
	uint32_t sum;

	if (k->family == 4)
		sum = ref_sum(0, ip + 12, 8) + 6 + tcplen;
	else
		sum = ref_sum(0, ip + 8, 32) + 6 + tcplen;
	wr16(th + 16, 0);
	wr16(th + 16, ref_fold(ref_sum(sum, th, tcplen)));
}

/*
 * Recompute both checksums from the frame's own length fields; leaves the
 * TCP checksum alone when those fields do not describe a whole TCP header
 * inside the frame (random frames).
 */
static void fix_csums(struct pkt *k)
{
	uint8_t *ip = k->b + k->l3;
	uint32_t hl, tcplen;

	if (k->family == 4) {
		hl = (ip[0] & 0xf) * 4u;
		tcplen = rd16(ip + 2) - hl;
		fix_ip4_csum(k);
		if (hl < 20 || rd16(ip + 2) < hl)
			return;
	} else {
		hl = 40;
		tcplen = rd16(ip + 4);
	}
	if (tcplen >= 20 && k->l3 + hl + tcplen <= k->len)
		fix_tcp_csum_at(k, k->l3 + hl, tcplen);
}

static uint32_t th_off(const struct pkt *k)
{
	const uint8_t *ip = k->b + k->l3;

	return k->l3 + (k->family == 4 ? (ip[0] & 0xf) * 4u : 40u);
}

/* --- frame construction --- */

static void client_tx(struct tern_tx *tx, int family, bool vlan)
{
	memset(tx, 0, sizeof(*tx));
	tx->t.family = (uint8_t)family;
	if (family == 4) {
		tx->t.laddr.b[10] = tx->t.laddr.b[11] = 0xff;
		tx->t.raddr.b[10] = tx->t.raddr.b[11] = 0xff;
		memcpy(tx->t.laddr.b + 12, v4_client, 4);
		memcpy(tx->t.raddr.b + 12, v4_server, 4);
	} else {
		memcpy(tx->t.laddr.b, v6_client, 16);
		memcpy(tx->t.raddr.b, v6_server, 16);
	}
	tx->t.lport = 40000;
	tx->t.rport = 80;
	memcpy(tx->l2.peer_mac, server_mac, 6);
	memcpy(tx->l2.local_mac, router_mac, 6);
	tx->l2.has_vlan = vlan;
	tx->l2.vlan_tci = vlan ? 0xe07b : 0; /* PCP 7, VID 123 */
	tx->seq = 0x11223344;
	tx->ack = 0xfffffff0;
	tx->win = 29200;
	tx->flags = TERN_TH_ACK | TERN_TH_PSH;
}

static void mk_pkt_full(struct pkt *k, int family, bool vlan, const uint8_t *opt,
			uint8_t optlen, const uint8_t *pl, uint32_t plen)
{
	struct tern_tx tx;
	int n;

	client_tx(&tx, family, vlan);
	if (optlen)
		memcpy(tx.opt, opt, optlen);
	tx.optlen = optlen;
	tx.payload = pl;
	tx.len = plen;
	memset(k, 0, sizeof(*k));
	n = tern_build(k->b, sizeof(k->b), &tx);
	if (n < 0) {
		t_fail(__FILE__, __LINE__, "tern_build failed in test helper");
		n = 0;
	}
	k->len = (uint32_t)n;
	k->l3 = TERN_ETH_HLEN + (vlan ? TERN_VLAN_HLEN : 0);
	k->family = family;
}

static const uint8_t hello[5] = { 'h', 'e', 'l', 'l', 'o' };

static void mk_pkt(struct pkt *k, int family, bool vlan)
{
	mk_pkt_full(k, family, vlan, NULL, 0, hello, sizeof(hello));
}

/* Parse the first len bytes of k from an exact-size heap copy. */
static int parse_len(const struct pkt *k, uint32_t len, bool verify)
{
	struct tern_seg seg;
	uint8_t *h = malloc(len ? len : 1);
	int r;

	if (!h)
		return -1;
	memcpy(h, k->b, len);
	r = tern_parse(h, len, &seg, verify);
	free(h);
	return r;
}

static int parse_pkt(const struct pkt *k)
{
	return parse_len(k, k->len, VERIFY);
}

static uint8_t *ip_hdr(struct pkt *k)
{
	return k->b + k->l3;
}

/* --- drop reasons --- */

TEST(test_parse_ok_baseline)
{
	struct pkt k;

	for (int fam = 4; fam <= 6; fam += 2) {
		mk_pkt(&k, fam, false);
		CHECK_EQ(parse_pkt(&k), TERN_PARSE_OK);
		mk_pkt(&k, fam, true);
		CHECK_EQ(parse_pkt(&k), TERN_PARSE_OK);
	}
}

TEST(test_parse_eth_short)
{
	struct pkt k;

	mk_pkt(&k, 4, false);
	CHECK_EQ(parse_len(&k, 0, VERIFY), TERN_PARSE_ETH_SHORT);
	CHECK_EQ(parse_len(&k, 13, VERIFY), TERN_PARSE_ETH_SHORT);
	CHECK_EQ(parse_len(&k, 14, VERIFY), TERN_PARSE_IP_SHORT);

	mk_pkt(&k, 4, true);
	for (uint32_t n = 14; n < 18; n++)
		CHECK_EQ(parse_len(&k, n, VERIFY), TERN_PARSE_ETH_SHORT);
	CHECK_EQ(parse_len(&k, 18, VERIFY), TERN_PARSE_IP_SHORT);
}

TEST(test_parse_not_ip)
{
	struct pkt k;

	mk_pkt(&k, 4, false);
	wr16(k.b + 12, 0x0806); /* ARP */
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_NOT_IP);
	wr16(k.b + 12, 0x88a8); /* 802.1ad S-tag is not accepted */
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_NOT_IP);

	/* A second 802.1Q tag inside the first. */
	mk_pkt(&k, 4, true);
	wr16(k.b + 16, 0x8100);
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_NOT_IP);
	mk_pkt(&k, 6, true);
	wr16(k.b + 16, 0x0806);
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_NOT_IP);
}

TEST(test_parse_ip_short)
{
	struct pkt k;

	mk_pkt(&k, 4, false);
	CHECK_EQ(parse_len(&k, 14 + 19, VERIFY), TERN_PARSE_IP_SHORT);
	CHECK_EQ(parse_len(&k, 14 + 1, VERIFY), TERN_PARSE_IP_SHORT);
	mk_pkt(&k, 4, true);
	CHECK_EQ(parse_len(&k, 18 + 19, VERIFY), TERN_PARSE_IP_SHORT);
	mk_pkt(&k, 6, false);
	CHECK_EQ(parse_len(&k, 14 + 39, VERIFY), TERN_PARSE_IP_SHORT);
	mk_pkt(&k, 6, true);
	CHECK_EQ(parse_len(&k, 18 + 39, VERIFY), TERN_PARSE_IP_SHORT);
}

TEST(test_parse_ip_version)
{
	struct pkt k;

	mk_pkt(&k, 4, false);
	ip_hdr(&k)[0] = 0x65; /* version 6 under EtherType IPv4 */
	fix_ip4_csum(&k);
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_IP_VERSION);

	mk_pkt(&k, 6, false);
	ip_hdr(&k)[0] = 0x40; /* version 4 under EtherType IPv6 */
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_IP_VERSION);
}

TEST(test_parse_ip_ihl)
{
	struct pkt k;

	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		mk_pkt(&k, 4, false);
		ip_hdr(&k)[0] = (uint8_t)(0x40 | ihl);
		fix_ip4_csum(&k);
		CHECK_EQ(parse_pkt(&k), TERN_PARSE_IP_IHL);
	}

	/* IHL 15 = 60 bytes, but only 40 bytes of IP datagram in the frame. */
	mk_pkt_full(&k, 4, false, NULL, 0, NULL, 0);
	ip_hdr(&k)[0] = 0x4f;
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_IP_IHL);
}

TEST(test_parse_ip_totlen)
{
	struct pkt k;

	/* Total length one past the frame (the frame was truncated). */
	mk_pkt(&k, 4, false);
	CHECK_EQ(parse_len(&k, k.len - 1, VERIFY), TERN_PARSE_IP_TOTLEN);
	wr16(ip_hdr(&k) + 2, (uint16_t)(rd16(ip_hdr(&k) + 2) + 1));
	fix_ip4_csum(&k);
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_IP_TOTLEN);

	/* Total length below the header length. */
	mk_pkt(&k, 4, false);
	wr16(ip_hdr(&k) + 2, 19);
	fix_ip4_csum(&k);
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_IP_TOTLEN);
	wr16(ip_hdr(&k) + 2, 0);
	fix_ip4_csum(&k);
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_IP_TOTLEN);

	/* IPv6 payload length past the frame. */
	mk_pkt(&k, 6, true);
	CHECK_EQ(parse_len(&k, k.len - 1, VERIFY), TERN_PARSE_IP_TOTLEN);
	wr16(ip_hdr(&k) + 4, (uint16_t)(rd16(ip_hdr(&k) + 4) + 1));
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_IP_TOTLEN);
	wr16(ip_hdr(&k) + 4, 0xffff);
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_IP_TOTLEN);
}

TEST(test_parse_ip_csum)
{
	struct pkt k;

	mk_pkt(&k, 4, false);
	ip_hdr(&k)[10] ^= 0x01;
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_IP_CSUM);
	CHECK_EQ(parse_len(&k, k.len, false), TERN_PARSE_OK);

	/* A changed TTL that nobody re-checksummed. */
	mk_pkt(&k, 4, true);
	ip_hdr(&k)[8] = 63;
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_IP_CSUM);
	CHECK_EQ(parse_len(&k, k.len, false), TERN_PARSE_OK);
}

TEST(test_parse_ip_frag)
{
	static const uint16_t frag[] = { 0x2000, 0x6000, 0x0001, 0x1fff, 0x4001, 0x20b9 };
	struct pkt k;

	for (size_t i = 0; i < sizeof(frag) / sizeof(frag[0]); i++) {
		mk_pkt(&k, 4, false);
		wr16(ip_hdr(&k) + 6, frag[i]);
		fix_ip4_csum(&k);
		CHECK_EQ(parse_pkt(&k), TERN_PARSE_IP_FRAG);
	}
	/* DF alone (what tern_build writes) and no flags at all are fine. */
	mk_pkt(&k, 4, false);
	wr16(ip_hdr(&k) + 6, 0);
	fix_ip4_csum(&k);
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_OK);
}

TEST(test_parse_not_tcp)
{
	static const uint8_t nh6[] = { 17, 58, 59, 1, 4, 41, 132 };
	struct pkt k;

	mk_pkt(&k, 4, false);
	ip_hdr(&k)[9] = 17; /* UDP */
	fix_ip4_csum(&k);
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_NOT_TCP);
	ip_hdr(&k)[9] = 1; /* ICMP */
	fix_ip4_csum(&k);
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_NOT_TCP);

	for (size_t i = 0; i < sizeof(nh6); i++) {
		mk_pkt(&k, 6, false);
		ip_hdr(&k)[6] = nh6[i];
		CHECK_EQ(parse_pkt(&k), TERN_PARSE_NOT_TCP);
	}
}

TEST(test_parse_ip6_exthdr)
{
	static const uint8_t ext[] = { 0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254 };
	struct pkt k;

	for (size_t i = 0; i < sizeof(ext); i++) {
		mk_pkt(&k, 6, i & 1);
		ip_hdr(&k)[6] = ext[i];
		CHECK_EQ(parse_pkt(&k), TERN_PARSE_IP6_EXTHDR);
	}
}

TEST(test_parse_tcp_short)
{
	struct pkt k;

	/* IPv4 total length leaves 19 bytes of TCP (frame trimmed to match). */
	mk_pkt(&k, 4, false);
	wr16(ip_hdr(&k) + 2, 20 + 19);
	fix_ip4_csum(&k);
	k.len = k.l3 + 20 + 19;
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_TCP_SHORT);
	/* ... and with the rest of the frame left as padding. */
	mk_pkt(&k, 4, false);
	wr16(ip_hdr(&k) + 2, 20);
	fix_ip4_csum(&k);
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_TCP_SHORT);

	mk_pkt(&k, 6, true);
	wr16(ip_hdr(&k) + 4, 19);
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_TCP_SHORT);
	wr16(ip_hdr(&k) + 4, 0);
	CHECK_EQ(parse_pkt(&k), TERN_PARSE_TCP_SHORT);
}

TEST(test_parse_tcp_doff)
{
	struct pkt k;

	for (int fam = 4; fam <= 6; fam += 2) {
		for (uint8_t doff = 0; doff < 5; doff++) {
			mk_pkt(&k, fam, false);
			k.b[th_off(&k) + 12] = (uint8_t)(doff << 4);
			fix_csums(&k);
			CHECK_EQ(parse_pkt(&k), TERN_PARSE_TCP_DOFF);
		}
		/* 24 bytes of header in a 20-byte segment. */
		mk_pkt_full(&k, fam, false, NULL, 0, NULL, 0);
		k.b[th_off(&k) + 12] = 6 << 4;
		fix_csums(&k);
		CHECK_EQ(parse_pkt(&k), TERN_PARSE_TCP_DOFF);
		/* 60 bytes of header in a 25-byte segment. */
		mk_pkt(&k, fam, true);
		k.b[th_off(&k) + 12] = 15 << 4;
		fix_csums(&k);
		CHECK_EQ(parse_pkt(&k), TERN_PARSE_TCP_DOFF);
		/* Header exactly as long as the segment is fine. */
		k.b[th_off(&k) + 12] = 5 << 4;
		fix_csums(&k);
		CHECK_EQ(parse_pkt(&k), TERN_PARSE_OK);
	}
}

TEST(test_parse_tcp_csum)
{
	struct pkt k;

	for (int fam = 4; fam <= 6; fam += 2) {
		/* Corrupted payload byte. */
		mk_pkt(&k, fam, false);
		k.b[k.len - 1] ^= 0x20;
		CHECK_EQ(parse_pkt(&k), TERN_PARSE_TCP_CSUM);
		CHECK_EQ(parse_len(&k, k.len, false), TERN_PARSE_OK);

		/* Corrupted checksum field. */
		mk_pkt(&k, fam, true);
		k.b[th_off(&k) + 17] ^= 0x80;
		CHECK_EQ(parse_pkt(&k), TERN_PARSE_TCP_CSUM);

		/*
		 * Changed source address, IPv4 header checksum fixed: only
		 * the pseudo-header can catch it.
		 */
		mk_pkt(&k, fam, false);
		ip_hdr(&k)[fam == 4 ? 15 : 23] ^= 0x01;
		if (fam == 4)
			fix_ip4_csum(&k);
		CHECK_EQ(parse_pkt(&k), TERN_PARSE_TCP_CSUM);
		CHECK_EQ(parse_len(&k, k.len, false), TERN_PARSE_OK);
	}
}

/* --- accepted layouts --- */

static void check_common_fields(const struct tern_seg *s, int fam)
{
	static const uint8_t zero[3];

	CHECK_EQ(s->t.family, fam);
	CHECK_EQ(s->t.lport, 80);
	CHECK_EQ(s->t.rport, 40000);
	CHECK(!memcmp(s->t.pad, zero, 3));
	CHECK(!memcmp(s->l2.peer_mac, router_mac, 6));
	CHECK(!memcmp(s->l2.local_mac, server_mac, 6));
	CHECK_EQ(s->l2.pad, 0);
	CHECK_EQ(s->seq, 0x11223344);
	CHECK_EQ(s->ack, 0xfffffff0u);
	CHECK_EQ(s->win, 29200);
	CHECK_EQ(s->flags, TERN_TH_ACK | TERN_TH_PSH);
	CHECK_EQ(s->pad, 0);
	CHECK_EQ(s->opt.pad, 0);
	CHECK_EQ(s->opt.pad2, 0);
	CHECK_EQ(s->frame, 0x5eed);
	if (fam == 4) {
		static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };

		CHECK(!memcmp(s->t.laddr.b, pfx, 12));
		CHECK(!memcmp(s->t.raddr.b, pfx, 12));
		CHECK(!memcmp(s->t.laddr.b + 12, v4_server, 4));
		CHECK(!memcmp(s->t.raddr.b + 12, v4_client, 4));
		CHECK(tern_addr_is_v4mapped(&s->t.laddr));
	} else {
		CHECK(!memcmp(s->t.laddr.b, v6_server, 16));
		CHECK(!memcmp(s->t.raddr.b, v6_client, 16));
	}
}

/* Parse into a seg full of junk, as the core's stack variable would be. */
static int parse_dirty(const uint8_t *f, uint32_t len, struct tern_seg *s)
{
	memset(s, 0xa5, sizeof(*s));
	s->frame = 0x5eed;
	return tern_parse(f, len, s, VERIFY);
}

TEST(test_parse_ipv4_fields)
{
	struct tern_seg s;
	struct pkt k;

	mk_pkt(&k, 4, false);
	REQUIRE_EQ(parse_dirty(k.b, k.len, &s), TERN_PARSE_OK);
	check_common_fields(&s, 4);
	CHECK_EQ(s.l2.has_vlan, 0);
	CHECK_EQ(s.l2.vlan_tci, 0);
	CHECK_EQ(s.len, 5);
	CHECK(s.payload == k.b + k.len - 5);
	CHECK(!memcmp(s.payload, "hello", 5));
	CHECK_EQ(s.opt.present, 0);
}

TEST(test_parse_ipv6_fields)
{
	struct tern_seg s;
	struct pkt k;

	mk_pkt(&k, 6, false);
	REQUIRE_EQ(parse_dirty(k.b, k.len, &s), TERN_PARSE_OK);
	check_common_fields(&s, 6);
	CHECK_EQ(s.l2.has_vlan, 0);
	CHECK_EQ(s.len, 5);
	CHECK(s.payload == k.b + 14 + 40 + 20);
	CHECK(!memcmp(s.payload, "hello", 5));
}

TEST(test_parse_vlan)
{
	struct tern_seg s;
	struct pkt k;

	for (int fam = 4; fam <= 6; fam += 2) {
		mk_pkt(&k, fam, true);
		REQUIRE_EQ(parse_dirty(k.b, k.len, &s), TERN_PARSE_OK);
		check_common_fields(&s, fam);
		CHECK_EQ(s.l2.has_vlan, 1);
		CHECK_EQ(s.l2.vlan_tci, 0xe07b);
		CHECK_EQ(s.len, 5);
		CHECK(!memcmp(s.payload, "hello", 5));
	}
	/* TCI with DEI set and VID 0 (priority tag) is still a tag. */
	mk_pkt(&k, 4, true);
	wr16(k.b + 14, 0x1000);
	REQUIRE_EQ(parse_dirty(k.b, k.len, &s), TERN_PARSE_OK);
	CHECK_EQ(s.l2.vlan_tci, 0x1000);
}

TEST(test_parse_ipv4_options)
{
	/* Router Alert (RFC 2113), then NOP, NOP, EOL: IHL 7. */
	static const uint8_t ipopt[8] = { 0x94, 0x04, 0x00, 0x00, 1, 1, 1, 0 };
	static const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };
	struct tern_seg s;
	struct pkt k;
	uint8_t *ip;

	mk_pkt_full(&k, 4, true, mss, sizeof(mss), hello, sizeof(hello));
	ip = ip_hdr(&k);
	memmove(ip + 28, ip + 20, k.len - k.l3 - 20);
	memcpy(ip + 20, ipopt, sizeof(ipopt));
	k.len += 8;
	ip[0] = 0x47;
	wr16(ip + 2, (uint16_t)(rd16(ip + 2) + 8));
	fix_csums(&k);

	REQUIRE_EQ(parse_dirty(k.b, k.len, &s), TERN_PARSE_OK);
	check_common_fields(&s, 4);
	CHECK_EQ(s.len, 5);
	CHECK(!memcmp(s.payload, "hello", 5));
	CHECK_EQ(s.opt.present, TERN_OPT_MSS);
	CHECK_EQ(s.opt.mss, 1460);

	/* The largest header: IHL 15, 40 bytes of options. */
	mk_pkt(&k, 4, false);
	ip = ip_hdr(&k);
	memmove(ip + 60, ip + 20, k.len - k.l3 - 20);
	memset(ip + 20, 1, 40);
	k.len += 40;
	ip[0] = 0x4f;
	wr16(ip + 2, (uint16_t)(rd16(ip + 2) + 40));
	fix_csums(&k);
	REQUIRE_EQ(parse_dirty(k.b, k.len, &s), TERN_PARSE_OK);
	check_common_fields(&s, 4);
	CHECK(!memcmp(s.payload, "hello", 5));
}

TEST(test_parse_padding_trim)
{
	struct tern_seg s;
	struct pkt k;

	/* 54-byte bare ACK padded to the 60-byte Ethernet minimum. */
	mk_pkt_full(&k, 4, false, NULL, 0, NULL, 0);
	REQUIRE_EQ(k.len, 54);
	memset(k.b + 54, 0xa5, 6);
	k.len = 60;
	REQUIRE_EQ(parse_dirty(k.b, k.len, &s), TERN_PARSE_OK);
	CHECK_EQ(s.len, 0);

	/* One payload byte plus junk padding: checksum excludes the padding. */
	mk_pkt_full(&k, 4, true, NULL, 0, (const uint8_t *)"x", 1);
	memset(k.b + k.len, 0xff, 9);
	k.len += 9;
	REQUIRE_EQ(parse_dirty(k.b, k.len, &s), TERN_PARSE_OK);
	CHECK_EQ(s.len, 1);
	CHECK_EQ(s.payload[0], 'x');

	/* IPv6 with trailing bytes (e.g. an FCS left on the frame). */
	mk_pkt(&k, 6, false);
	memset(k.b + k.len, 0x5a, 4);
	k.len += 4;
	REQUIRE_EQ(parse_dirty(k.b, k.len, &s), TERN_PARSE_OK);
	CHECK_EQ(s.len, 5);
	CHECK(!memcmp(s.payload, "hello", 5));
}

TEST(test_parse_options_in_frame)
{
	/* Linux SYN order: MSS, SACK_PERM+TS, NOP, WS. */
	static const uint8_t opt[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 9,
					 0, 0, 0, 0, 1, 3, 3, 7 };
	struct tern_seg s;
	struct pkt k;

	mk_pkt_full(&k, 6, true, opt, sizeof(opt), NULL, 0);
	REQUIRE_EQ(parse_dirty(k.b, k.len, &s), TERN_PARSE_OK);
	CHECK_EQ(s.opt.present, TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_TS | TERN_OPT_WS);
	CHECK_EQ(s.opt.mss, 1460);
	CHECK_EQ(s.opt.tsval, 9);
	CHECK_EQ(s.opt.tsecr, 0);
	CHECK_EQ(s.opt.wscale, 7);
	CHECK_EQ(s.len, 0);
}

TEST(test_parse_truncations)
{
	struct pkt k;
	static const uint8_t opt[12] = { 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t pl[33] = "thirty-three bytes of payload...";

	for (int fam = 4; fam <= 6; fam += 2) {
		for (int vlan = 0; vlan < 2; vlan++) {
			uint32_t l2 = vlan ? 18 : 14, l3 = fam == 4 ? 20 : 40;

			mk_pkt_full(&k, fam, vlan, opt, sizeof(opt), pl, sizeof(pl));
			CHECK_EQ(parse_len(&k, k.len, VERIFY), TERN_PARSE_OK);
			for (uint32_t n = 0; n < k.len; n++) {
				int want = n < l2 ? TERN_PARSE_ETH_SHORT :
					   n < l2 + l3 ? TERN_PARSE_IP_SHORT :
					   TERN_PARSE_IP_TOTLEN;

				CHECK_EQ(parse_len(&k, n, VERIFY), want);
				CHECK_EQ(parse_len(&k, n, false), want);
			}
		}
	}
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void check_seg_sane(const struct tern_seg *s, const uint8_t *f, uint32_t len)
{
	CHECK(s->payload >= f && s->payload + s->len <= f + len);
	CHECK(s->opt.nsack <= TERN_MAX_SACK);
	CHECK(s->opt.wscale <= TERN_MAX_WSCALE);
	CHECK(s->t.family == 4 || s->t.family == 6);
}

/*
 * Mutated valid frames and random bytes behind valid EtherTypes: the
 * parser must never read past len (ASan) and accepted frames must be sane.
 */
TEST(test_parse_random_frames)
{
	uint32_t seed = 0x9e3779b9, accepted = 0, rejected = 0;
	struct tern_seg s;
	struct pkt k;

	for (int i = 0; i < 20000; i++) {
		uint32_t r = xorshift(&seed);
		uint8_t *h;
		int ret;

		mk_pkt(&k, r & 1 ? 6 : 4, r & 2);
		if (r & 4) {
			for (uint32_t j = k.l3; j < k.len; j++)
				k.b[j] = (uint8_t)xorshift(&seed);
		} else {
			for (int j = 0; j < 3; j++)
				k.b[k.l3 + xorshift(&seed) % (k.len - k.l3)] ^=
					(uint8_t)(1u << (xorshift(&seed) & 7));
		}
		if (r & 8)
			fix_csums(&k);
		k.len = r & 16 ? xorshift(&seed) % (k.len + 1) : k.len;

		h = malloc(k.len ? k.len : 1);
		REQUIRE(h);
		memcpy(h, k.b, k.len);
		ret = tern_parse(h, k.len, &s, r & 32);
		CHECK(ret >= 0 && ret < TERN_PARSE__COUNT);
		if (ret == TERN_PARSE_OK) {
			check_seg_sane(&s, h, k.len);
			accepted++;
		} else {
			rejected++;
		}
		free(h);
	}
	CHECK(accepted > 0);
	CHECK(rejected > 0);
}

/*
 * One bit flipped anywhere in the TCP header or payload, checksums left
 * as they were: the TCP checksum (which covers all of it) must reject
 * every such frame when checksums are verified.
 */
TEST(test_parse_corrupted_tcp_rejected)
{
	uint32_t seed = 0x2545f491;
	struct tern_seg s;
	struct pkt k;

	for (int i = 0; i < 4000; i++) {
		uint32_t r = xorshift(&seed), l4, at;
		int ret;

		mk_pkt(&k, r & 1 ? 6 : 4, r & 2);
		REQUIRE_EQ(parse_pkt(&k), TERN_PARSE_OK);
		l4 = th_off(&k);
		at = l4 + xorshift(&seed) % (k.len - l4);
		k.b[at] ^= (uint8_t)(1u << (xorshift(&seed) & 7));
		ret = tern_parse(k.b, k.len, &s, VERIFY);
		if (ret == TERN_PARSE_OK) {
			t_fail(__FILE__, __LINE__, "a corrupted frame was accepted");
			return;
		}
	}
}

TEST(test_parse_reason_names)
{
	CHECK(!strcmp(tern_parse_reason_name(TERN_PARSE_OK), "Ok"));
	CHECK(!strcmp(tern_parse_reason_name(TERN_PARSE_ETH_SHORT), "InDropEthShort"));
	CHECK(!strcmp(tern_parse_reason_name(TERN_PARSE_IP_CSUM), "InCsumErrorsIp"));
	CHECK(!strcmp(tern_parse_reason_name(TERN_PARSE_IP6_EXTHDR), "InDropIp6ExtHdr"));
	CHECK(!strcmp(tern_parse_reason_name(TERN_PARSE_TCP_CSUM), "InCsumErrors"));
	for (int i = 0; i < TERN_PARSE__COUNT; i++) {
		REQUIRE(tern_parse_reason_name(i));
		for (int j = 0; j < i; j++)
			CHECK(strcmp(tern_parse_reason_name(i), tern_parse_reason_name(j)));
	}
	CHECK(tern_parse_reason_name(-1) != NULL);
	CHECK(tern_parse_reason_name(TERN_PARSE__COUNT) != NULL);
}

/* --- TCP options (tern_parse_opts) --- */

/* Parse options from an exact-size heap copy into a dirty struct. */
static void opts(const uint8_t *p, uint32_t len, struct tern_opts *o)
{
	uint8_t *h = calloc(len ? len : 1, 1);

	memset(o, 0xee, sizeof(*o));
	if (!h) {
		t_fail(__FILE__, __LINE__, "malloc");
		return;
	}
	if (len)
		memcpy(h, p, len);
	tern_parse_opts(h, len, o);
	free(h);
}

#define OPTS(o, ...)                                                           \
	do {                                                                   \
		static const uint8_t o_b_[] = { __VA_ARGS__ };                 \
		opts(o_b_, sizeof(o_b_), (o));                                 \
	} while (0)

TEST(test_parse_opts_empty_clears)
{
	static const uint8_t zero[sizeof(struct tern_opts)];
	struct tern_opts o;

	opts(NULL, 0, &o);
	CHECK(!memcmp(&o, zero, sizeof(o)));
	OPTS(&o, 1, 1, 0, 0);
	CHECK(!memcmp(&o, zero, sizeof(o)));
}

TEST(test_parse_opts_all_known)
{
	struct tern_opts o;

	OPTS(&o, 2, 4, 0x23, 0x28, 4, 2, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1,
	     1, 3, 3, 9, 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2);
	CHECK_EQ(o.present, TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_TS |
			    TERN_OPT_WS | TERN_OPT_SACK);
	CHECK_EQ(o.mss, 9000);
	CHECK_EQ(o.tsval, 0xdeadbeefu);
	CHECK_EQ(o.tsecr, 1);
	CHECK_EQ(o.wscale, 9);
	CHECK_EQ(o.nsack, 1);
	CHECK_EQ(o.sack[0].start, 1);
	CHECK_EQ(o.sack[0].end, 2);
	CHECK_EQ(o.pad, 0);
	CHECK_EQ(o.pad2, 0);
}

TEST(test_parse_opts_zero_length)
{
	struct tern_opts o;

	/* Length 0 after a good MSS: parsing stops, the WS is never seen. */
	OPTS(&o, 2, 4, 0x05, 0xb4, 30, 0, 3, 3, 7);
	CHECK_EQ(o.present, TERN_OPT_MSS);
	CHECK_EQ(o.mss, 1460);
	OPTS(&o, 8, 0, 3, 3, 7);
	CHECK_EQ(o.present, 0);
}

TEST(test_parse_opts_length_one)
{
	struct tern_opts o;

	OPTS(&o, 3, 1, 7, 2, 4, 0x05, 0xb4);
	CHECK_EQ(o.present, 0);
	OPTS(&o, 1, 4, 2, 2, 1, 3, 3, 7);
	CHECK_EQ(o.present, TERN_OPT_SACKOK);
}

TEST(test_parse_opts_overrun)
{
	struct tern_opts o;

	/* TS claims 10 bytes, 6 remain: no partial option is read. */
	OPTS(&o, 2, 4, 0x05, 0xb4, 8, 10, 0, 0, 0, 1);
	CHECK_EQ(o.present, TERN_OPT_MSS);
	/* Length 255 on the last option. */
	OPTS(&o, 4, 2, 3, 255, 7);
	CHECK_EQ(o.present, TERN_OPT_SACKOK);
	/* A kind byte with no room for its length byte. */
	OPTS(&o, 1, 1, 1, 3);
	CHECK_EQ(o.present, 0);
	/* Length one past the end by exactly one byte. */
	OPTS(&o, 2, 5, 0x05, 0xb4);
	CHECK_EQ(o.present, 0);
}

TEST(test_parse_opts_eol_mid)
{
	struct tern_opts o;

	OPTS(&o, 2, 4, 0x05, 0xb4, 0, 3, 3, 7);
	CHECK_EQ(o.present, TERN_OPT_MSS);
	OPTS(&o, 0, 2, 4, 0x05, 0xb4);
	CHECK_EQ(o.present, 0);
	/* An EOL byte inside an option's data is data, not EOL. */
	OPTS(&o, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 2);
	CHECK_EQ(o.present, TERN_OPT_TS | TERN_OPT_WS);
	CHECK_EQ(o.wscale, 2);
}

TEST(test_parse_opts_ws_clamp)
{
	static const uint8_t in[] = { 0, 1, 13, 14, 15, 16, 255 };
	static const uint8_t want[] = { 0, 1, 13, 14, 14, 14, 14 };
	struct tern_opts o;

	for (size_t i = 0; i < sizeof(in); i++) {
		uint8_t b[3] = { 3, 3, in[i] };

		opts(b, sizeof(b), &o);
		CHECK_EQ(o.present, TERN_OPT_WS);
		CHECK_EQ(o.wscale, want[i]);
	}
}

TEST(test_parse_opts_mss_wrong_length)
{
	struct tern_opts o;

	/* Skipped by its own length (3), so the WS after it is parsed. */
	OPTS(&o, 2, 3, 0x05, 3, 3, 7);
	CHECK_EQ(o.present, TERN_OPT_WS);
	CHECK_EQ(o.wscale, 7);
	OPTS(&o, 2, 6, 0x05, 0xb4, 0, 0, 4, 2);
	CHECK_EQ(o.present, TERN_OPT_SACKOK);
	OPTS(&o, 2, 2, 4, 2);
	CHECK_EQ(o.present, TERN_OPT_SACKOK);
}

TEST(test_parse_opts_mss_zero)
{
	struct tern_opts o;

	OPTS(&o, 2, 4, 0, 0);
	CHECK_EQ(o.present, 0);
	CHECK_EQ(o.mss, 0);
	OPTS(&o, 2, 4, 0, 1);
	CHECK_EQ(o.present, TERN_OPT_MSS);
	CHECK_EQ(o.mss, 1);
}

TEST(test_parse_opts_ts_wrong_length)
{
	struct tern_opts o;

	OPTS(&o, 8, 8, 1, 2, 3, 4, 5, 6, 4, 2);
	CHECK_EQ(o.present, TERN_OPT_SACKOK);
	OPTS(&o, 8, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 4, 2);
	CHECK_EQ(o.present, TERN_OPT_SACKOK);
	CHECK_EQ(o.tsval, 0);
}

TEST(test_parse_opts_sackok_wrong_length)
{
	struct tern_opts o;

	OPTS(&o, 4, 3, 0, 3, 3, 1);
	CHECK_EQ(o.present, TERN_OPT_WS);
}

/* NOP, NOP, SACK with n blocks (start = 1000 * (i + 1), end = start + 500). */
static uint32_t mk_sack(uint8_t *b, unsigned int n)
{
	b[0] = 1;
	b[1] = 1;
	b[2] = 5;
	b[3] = (uint8_t)(2 + 8 * n);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t st = htobe32(1000 * (i + 1)), en = htobe32(1000 * (i + 1) + 500);

		memcpy(b + 4 + 8 * i, &st, 4);
		memcpy(b + 8 + 8 * i, &en, 4);
	}
	return 4 + 8 * n;
}

TEST(test_parse_opts_sack_blocks)
{
	struct tern_opts o;
	uint8_t b[64];

	for (unsigned int n = 1; n <= 4; n++) {
		opts(b, mk_sack(b, n), &o);
		CHECK_EQ(o.present, TERN_OPT_SACK);
		REQUIRE_EQ(o.nsack, n);
		for (unsigned int i = 0; i < n; i++) {
			CHECK_EQ(o.sack[i].start, 1000 * (i + 1));
			CHECK_EQ(o.sack[i].end, 1000 * (i + 1) + 500);
		}
	}
}

/* 42-byte option (only possible when called directly): keep 4 blocks. */
TEST(test_parse_opts_sack_five_blocks)
{
	struct tern_opts o;
	uint8_t b[64];
	uint32_t n = mk_sack(b, 5);

	b[n++] = 3; /* a WS after it proves the whole 42 bytes were skipped */
	b[n++] = 3;
	b[n++] = 5;
	opts(b, n, &o);
	CHECK_EQ(o.present, TERN_OPT_SACK | TERN_OPT_WS);
	REQUIRE_EQ(o.nsack, TERN_MAX_SACK);
	for (unsigned int i = 0; i < TERN_MAX_SACK; i++)
		CHECK_EQ(o.sack[i].start, 1000 * (i + 1));
	CHECK_EQ(o.wscale, 5);
}

TEST(test_parse_opts_sack_bad_length)
{
	static const uint8_t bad[] = { 2, 3, 6, 9, 11, 14, 17, 25 };
	struct tern_opts o;

	for (size_t i = 0; i < sizeof(bad); i++) {
		uint8_t b[40] = { 0 };

		b[0] = 5;
		b[1] = bad[i];
		b[bad[i]] = 3;
		b[bad[i] + 1] = 3;
		b[bad[i] + 2] = 4;
		opts(b, bad[i] + 3u, &o);
		CHECK_EQ(o.present, TERN_OPT_WS);
		CHECK_EQ(o.nsack, 0);
		CHECK_EQ(o.wscale, 4);
	}
}

TEST(test_parse_opts_unknown_kind)
{
	struct tern_opts o;

	/* TCP-AO-like kind 29, experimental 254, MD5 19 (18 bytes). */
	OPTS(&o, 29, 6, 0, 0, 0, 0, 254, 4, 0xf9, 0x89, 2, 4, 0x05, 0xb4);
	CHECK_EQ(o.present, TERN_OPT_MSS);
	OPTS(&o, 19, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 2);
	CHECK_EQ(o.present, TERN_OPT_SACKOK);
	/* Unknown kind with an overrunning length stops parsing. */
	OPTS(&o, 99, 40, 0, 0, 4, 2);
	CHECK_EQ(o.present, 0);
}

TEST(test_parse_opts_many_nops)
{
	struct tern_opts o;
	uint8_t b[40];

	memset(b, 1, sizeof(b));
	opts(b, sizeof(b), &o);
	CHECK_EQ(o.present, 0);
	b[37] = 3;
	b[38] = 3;
	b[39] = 6;
	opts(b, sizeof(b), &o);
	CHECK_EQ(o.present, TERN_OPT_WS);
	CHECK_EQ(o.wscale, 6);
}

/* The three layouts parsed as whole words (a Linux SYN's, NOP NOP TS, an
 * MSS alone), and near misses, which the general loop takes: the same
 * results as any other order of the same options. */
TEST(test_parse_opts_linux_layouts)
{
	static const uint8_t zero_sack[sizeof(((struct tern_opts *)0)->sack)];
	struct tern_opts o;

	OPTS(&o, 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 7, 1, 3, 3, 7);
	CHECK_EQ(o.present, TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_TS | TERN_OPT_WS);
	CHECK_EQ(o.mss, 1460);
	CHECK_EQ(o.tsval, 0xdeadbeefu);
	CHECK_EQ(o.tsecr, 7);
	CHECK_EQ(o.wscale, 7);
	CHECK_EQ(o.nsack, 0);
	CHECK_EQ(o.pad, 0);
	CHECK_EQ(o.pad2, 0);
	CHECK(!memcmp(o.sack, zero_sack, sizeof(zero_sack)));
	/* A shift above 14 is 14; a zero MSS is ignored, the rest kept. */
	OPTS(&o, 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 15);
	CHECK_EQ(o.wscale, 14);
	OPTS(&o, 2, 4, 0, 0, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7);
	CHECK_EQ(o.present, TERN_OPT_SACKOK | TERN_OPT_TS | TERN_OPT_WS);
	CHECK_EQ(o.mss, 0);
	/* NOP NOP instead of SACK-permitted; WS with a wrong length. */
	OPTS(&o, 2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7);
	CHECK_EQ(o.present, TERN_OPT_MSS | TERN_OPT_TS | TERN_OPT_WS);
	OPTS(&o, 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 2, 7);
	CHECK_EQ(o.present, TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_TS);
	/* NOP NOP TS, alone and followed by more. */
	OPTS(&o, 1, 1, 8, 10, 0, 0, 0, 9, 0xff, 0, 0, 0);
	CHECK_EQ(o.present, TERN_OPT_TS);
	CHECK_EQ(o.tsval, 9);
	CHECK_EQ(o.tsecr, 0xff000000u);
	CHECK_EQ(o.mss, 0);
	OPTS(&o, 1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 1, 1, 1, 4, 2);
	CHECK_EQ(o.present, TERN_OPT_TS | TERN_OPT_SACKOK);
	OPTS(&o, 1, 1, 8, 11, 0, 0, 0, 9, 0, 0, 0, 1);
	CHECK_EQ(o.present, 0);
	/* An MSS alone; with a zero value, or a length of 3 and a NOP. */
	OPTS(&o, 2, 4, 0x05, 0xb4);
	CHECK_EQ(o.present, TERN_OPT_MSS);
	CHECK_EQ(o.mss, 1460);
	CHECK_EQ(o.tsval, 0);
	CHECK_EQ(o.wscale, 0);
	CHECK_EQ(o.nsack, 0);
	CHECK(!memcmp(o.sack, zero_sack, sizeof(zero_sack)));
	OPTS(&o, 2, 4, 0, 0);
	CHECK_EQ(o.present, 0);
	OPTS(&o, 2, 3, 0x05, 1);
	CHECK_EQ(o.present, 0);
	CHECK_EQ(o.mss, 0);
}

TEST(test_parse_opts_random)
{
	uint32_t seed = 12345;
	struct tern_opts o;
	uint8_t b[48];

	for (int i = 0; i < 50000; i++) {
		uint32_t len = xorshift(&seed) % (sizeof(b) + 1);

		for (uint32_t j = 0; j < len; j++) {
			uint32_t r = xorshift(&seed);

			/* Bias towards known kinds and small lengths. */
			b[j] = (uint8_t)(r & 0x100 ? r % 11 : r);
		}
		opts(b, len, &o);
		CHECK(o.nsack <= TERN_MAX_SACK);
		CHECK(o.wscale <= TERN_MAX_WSCALE);
		CHECK(!(o.present & ~0x1f));
	}
}
