// SPDX-License-Identifier: BSD-2-Clause
/*
 * Frame builder and checksum helpers: exact header bytes against frames
 * computed independently (Python), checksums re-verified with a byte-wise
 * RFC 1071 reference, build -> parse round trips, ENOSPC and EINVAL.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "tests/unit/t.h"
#include "user/core/build.h"
#include "user/core/csum.h"
#include "user/core/parse.h"

static const uint8_t local_mac[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t peer_mac[6] = { 2, 0, 0, 0, 0, 2 };

/* Linux SYN-ACK option block: MSS 1460, SACK_PERM, TS 1/2, NOP, WS 7. */
static const uint8_t synack_opt[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1,
					0, 0, 0, 2, 1, 3, 3, 7 };

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

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checksum field as written: the two bytes in wire order. */
static uint16_t fold_wire(uint64_t sum)
{
	uint16_t v = tern_csum_fold(sum);
	uint8_t b[2];

	memcpy(b, &v, 2);
	return rd16(b);
}

/* --- descriptors --- */

static void mk_tx(struct tern_tx *tx, int family, bool vlan)
{
	memset(tx, 0, sizeof(*tx));
	tx->t.family = (uint8_t)family;
	if (family == 4) {
		static const uint8_t la[16] = { [10] = 0xff, 0xff, 192, 0, 2, 1 };
		static const uint8_t ra[16] = { [10] = 0xff, 0xff, 198, 51, 100, 7 };

		memcpy(tx->t.laddr.b, la, 16);
		memcpy(tx->t.raddr.b, ra, 16);
	} else {
		static const uint8_t la[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
		static const uint8_t ra[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 7 };

		memcpy(tx->t.laddr.b, la, 16);
		memcpy(tx->t.raddr.b, ra, 16);
	}
	tx->t.lport = 80;
	tx->t.rport = 40000;
	memcpy(tx->l2.peer_mac, peer_mac, 6);
	memcpy(tx->l2.local_mac, local_mac, 6);
	tx->l2.has_vlan = vlan;
	tx->l2.vlan_tci = vlan ? 0x2064 : 0;
	tx->seq = 0x01020304;
	tx->ack = 0xa0b0c0d1;
	tx->win = 65535;
	tx->flags = TERN_TH_SYN | TERN_TH_ACK;
}

/*
 * Verify a built frame from scratch: IPv4 header sum, and pseudo-header +
 * TCP segment sum, must both fold to 0 with the reference implementation.
 */
static void check_frame_csums(const uint8_t *f, uint32_t len, int family, bool vlan)
{
	const uint8_t *ip = f + (vlan ? 18 : 14), *th;
	uint32_t sum, tcplen;

	if (family == 4) {
		REQUIRE_EQ(ref_fold(ref_sum(0, ip, 20)), 0);
		tcplen = rd16(ip + 2) - 20u;
		th = ip + 20;
		sum = ref_sum(0, ip + 12, 8) + 6 + tcplen;
	} else {
		tcplen = rd16(ip + 4);
		th = ip + 40;
		sum = ref_sum(0, ip + 8, 32) + 6 + tcplen;
	}
	REQUIRE_EQ(th + tcplen, f + len);
	CHECK_EQ(ref_fold(ref_sum(sum, th, tcplen)), 0);
}

/* --- csum.c --- */

TEST(test_build_csum_rfc1071_example)
{
	/* RFC 1071 section 3: sum 0xddf2, checksum 0x220d. */
	static const uint8_t b[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint16_t v = tern_csum_fold(tern_csum_add(0, b, sizeof(b)));
	uint8_t wire[2];

	memcpy(wire, &v, 2); /* the documented way to store it */
	CHECK_EQ(wire[0], 0x22);
	CHECK_EQ(wire[1], 0x0d);
}

TEST(test_build_csum_fold_carries)
{
	CHECK_EQ(fold_wire(0), 0xffff);
	CHECK_EQ(fold_wire(0xffff), 0);
	CHECK_EQ(fold_wire(0x1fffe), 0);
	CHECK_EQ(fold_wire(0x10000), 0xfffe);
	CHECK_EQ(fold_wire(0xffffffffu), 0);
	CHECK_EQ(fold_wire(UINT64_MAX), 0);
	CHECK_EQ(fold_wire(0x0001000000000000ULL), 0xfffe);
	CHECK_EQ(fold_wire(0xfffe0001fffe0001ULL), ref_fold(0xfffe + 0x0001 + 0xfffe + 0x0001));
}

TEST(test_build_csum_vs_reference)
{
	uint8_t buf[300];
	uint32_t seed = 7;

	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245 + 12345;
		buf[i] = (uint8_t)(seed >> 16);
	}
	/* Every length and misalignment, each buffer ending at its last byte. */
	for (size_t off = 0; off < 4; off++) {
		for (size_t len = 0; len + off <= sizeof(buf); len++) {
			uint8_t *h = malloc(len ? len : 1);

			REQUIRE(h);
			memcpy(h, buf + off, len);
			if (fold_wire(tern_csum_add(0, h, len)) !=
			    ref_fold(ref_sum(0, buf + off, len)))
				CHECK_EQ(len, -1);
			free(h);
		}
	}
	/* Chained: even-length pieces then an odd tail. */
	CHECK_EQ(fold_wire(tern_csum_add(tern_csum_add(tern_csum_add(0, buf, 6), buf + 6, 100),
					 buf + 106, 77)),
		 ref_fold(ref_sum(0, buf, 183)));
	/* All 0xff: a large running sum still folds correctly. */
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(fold_wire(tern_csum_add(0, buf, sizeof(buf))), 0);
}

TEST(test_build_csum_pseudo_v4)
{
	struct tern_tx tx;
	uint8_t ph[12];

	mk_tx(&tx, 4, false);
	memcpy(ph, tx.t.laddr.b + 12, 4);
	memcpy(ph + 4, tx.t.raddr.b + 12, 4);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = 0x05;
	ph[11] = 0xdc; /* 1500 */
	CHECK_EQ(fold_wire(tern_csum_pseudo(4, &tx.t.laddr, &tx.t.raddr, 1500)),
		 ref_fold(ref_sum(0, ph, sizeof(ph))));
}

TEST(test_build_csum_pseudo_v6)
{
	struct tern_tx tx;
	uint8_t ph[40] = { 0 };

	mk_tx(&tx, 6, false);
	memcpy(ph, tx.t.laddr.b, 16);
	memcpy(ph + 16, tx.t.raddr.b, 16);
	ph[33] = 0x01; /* length 0x00012345 */
	ph[34] = 0x23;
	ph[35] = 0x45;
	ph[39] = 6;
	CHECK_EQ(fold_wire(tern_csum_pseudo(6, &tx.t.laddr, &tx.t.raddr, 0x12345)),
		 ref_fold(ref_sum(0, ph, sizeof(ph))));
}

/* --- exact bytes --- */

/* Computed independently (Python struct + RFC 1071) from mk_tx(4, false). */
static const uint8_t golden_v4_synack[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06,
	0x4e, 0x80, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x07, 0x00, 0x50,
	0x9c, 0x40, 0x01, 0x02, 0x03, 0x04, 0xa0, 0xb0, 0xc0, 0xd1, 0xa0, 0x12,
	0xff, 0xff, 0x59, 0x98, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
	0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x01, 0x03,
	0x03, 0x07,
};

/* mk_tx(6, true) with payload "abc", no options. */
static const uint8_t golden_v6_vlan[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x81, 0x00, 0x20, 0x64, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x17,
	0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x50,
	0x9c, 0x40, 0x01, 0x02, 0x03, 0x04, 0xa0, 0xb0, 0xc0, 0xd1, 0x50, 0x12,
	0xff, 0xff, 0x8d, 0xda, 0x00, 0x00, 0x61, 0x62, 0x63,
};

static void check_bytes(const uint8_t *got, const uint8_t *want, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (got[i] != want[i]) {
			fprintf(stderr, "  byte %zu: got 0x%02x want 0x%02x\n", i, got[i], want[i]);
			CHECK(got[i] == want[i]);
		}
	}
}

TEST(test_build_golden_ipv4_synack)
{
	struct tern_tx tx;
	uint8_t buf[128];

	mk_tx(&tx, 4, false);
	memcpy(tx.opt, synack_opt, sizeof(synack_opt));
	tx.optlen = sizeof(synack_opt);
	REQUIRE_EQ(tern_build_len(&tx), sizeof(golden_v4_synack));
	REQUIRE_EQ(tern_build(buf, sizeof(buf), &tx), sizeof(golden_v4_synack));
	check_bytes(buf, golden_v4_synack, sizeof(golden_v4_synack));
}

TEST(test_build_golden_ipv6_vlan_payload)
{
	struct tern_tx tx;
	uint8_t buf[128];

	mk_tx(&tx, 6, true);
	tx.payload = (const uint8_t *)"abc";
	tx.len = 3;
	REQUIRE_EQ(tern_build_len(&tx), sizeof(golden_v6_vlan));
	REQUIRE_EQ(tern_build(buf, sizeof(buf), &tx), sizeof(golden_v6_vlan));
	check_bytes(buf, golden_v6_vlan, sizeof(golden_v6_vlan));
}

TEST(test_build_header_fields)
{
	struct tern_tx tx;
	uint8_t buf[256];
	const uint8_t *ip, *th;

	mk_tx(&tx, 4, true);
	tx.l2.vlan_tci = 0xffff;
	tx.flags = 0xff;
	tx.win = 0x1234;
	memcpy(tx.opt, synack_opt, 12);
	tx.optlen = 12;
	REQUIRE(tern_build(buf, sizeof(buf), &tx) > 0);
	CHECK(!memcmp(buf, peer_mac, 6));
	CHECK(!memcmp(buf + 6, local_mac, 6));
	CHECK_EQ(rd16(buf + 12), 0x8100);
	CHECK_EQ(rd16(buf + 14), 0xffff);
	CHECK_EQ(rd16(buf + 16), 0x0800);
	ip = buf + 18;
	CHECK_EQ(ip[0], 0x45);
	CHECK_EQ(ip[1], 0);
	CHECK_EQ(rd16(ip + 2), 20 + 32);
	CHECK_EQ(rd16(ip + 4), 0);
	CHECK_EQ(rd16(ip + 6), 0x4000);
	CHECK_EQ(ip[8], TERN_IP_TTL);
	CHECK_EQ(ip[9], 6);
	CHECK(!memcmp(ip + 12, tx.t.laddr.b + 12, 4));
	CHECK(!memcmp(ip + 16, tx.t.raddr.b + 12, 4));
	th = ip + 20;
	CHECK_EQ(rd16(th), 80);
	CHECK_EQ(rd16(th + 2), 40000);
	CHECK_EQ(rd32(th + 4), 0x01020304);
	CHECK_EQ(rd32(th + 8), 0xa0b0c0d1u);
	CHECK_EQ(th[12], 8 << 4);
	CHECK_EQ(th[13], 0xff);
	CHECK_EQ(rd16(th + 14), 0x1234);
	CHECK_EQ(rd16(th + 18), 0);
	CHECK(!memcmp(th + 20, synack_opt, 12));

	mk_tx(&tx, 6, false);
	tx.optlen = 40;
	memset(tx.opt, 1, 40);
	REQUIRE(tern_build(buf, sizeof(buf), &tx) > 0);
	CHECK_EQ(rd16(buf + 12), 0x86dd);
	ip = buf + 14;
	CHECK_EQ(rd32(ip), 0x60000000);
	CHECK_EQ(rd16(ip + 4), 60);
	CHECK_EQ(ip[6], 6);
	CHECK_EQ(ip[7], TERN_IP_TTL);
	CHECK(!memcmp(ip + 8, tx.t.laddr.b, 16));
	CHECK(!memcmp(ip + 24, tx.t.raddr.b, 16));
	CHECK_EQ(ip[40 + 12], 15 << 4);
}

/* --- checksums and round trips --- */

/* Every family, tag, option length and a spread of payload lengths
 * (odd ones too): fn gets each descriptor, its payload in place. */
static void each_shape(void (*fn)(const struct tern_tx *tx, int family, bool vlan))
{
	static const uint32_t plens[] = { 0, 1, 2, 3, 7, 100, 1001, 1460 };
	static uint8_t payload[1460];
	struct tern_tx tx;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 37 + 11);
	for (int fam = 4; fam <= 6; fam += 2)
		for (int vlan = 0; vlan < 2; vlan++)
			for (uint8_t optlen = 0; optlen <= 40; optlen += 4)
				for (size_t p = 0; p < sizeof(plens) / sizeof(plens[0]); p++) {
					mk_tx(&tx, fam, vlan);
					memset(tx.opt, 0xfe, sizeof(tx.opt));
					tx.optlen = optlen;
					tx.payload = payload;
					tx.len = plens[p];
					fn(&tx, fam, vlan);
				}
}

static void verify_full(const struct tern_tx *tx, int family, bool vlan)
{
	static uint8_t buf[1600];
	int n = tern_build(buf, sizeof(buf), tx);

	REQUIRE_EQ(n, tern_build_len(tx));
	check_frame_csums(buf, (uint32_t)n, family, vlan);
}

TEST(test_build_checksums_verify)
{
	each_shape(verify_full);
}

/* --- TERN_BUILD_CSUM_PARTIAL (AF_XDP TX checksum offload) --- */

/* The TCP header of a built frame and the reference pseudo-header sum
 * read from the frame's own IP header. */
static const uint8_t *ref_pseudo(const uint8_t *f, int family, bool vlan, uint32_t *psum,
				 uint32_t *tcplen)
{
	const uint8_t *ip = f + (vlan ? 18 : 14);

	if (family == 4) {
		*tcplen = rd16(ip + 2) - 20u;
		*psum = ref_sum(0, ip + 12, 8) + 6 + *tcplen;
		return ip + 20;
	}
	*tcplen = rd16(ip + 4);
	*psum = ref_sum(0, ip + 8, 32) + 6 + *tcplen;
	return ip + 40;
}

/* What the kernel does with CHECKSUM_PARTIAL (skb_checksum_help): sum
 * from csum_start to the end, the field included, and store the
 * complement of the fold at csum_start + csum_offset. */
static void complete_csum(uint8_t *f, uint32_t len, uint32_t start, uint32_t off)
{
	uint16_t c = ref_fold(ref_sum(0, f + start, len - start));

	f[start + off] = (uint8_t)(c >> 8);
	f[start + off + 1] = (uint8_t)c;
}

TEST(test_build_csum_partial_pseudo_only)
{
	static const uint32_t plens[] = { 0, 1, 7, 1001, 1460 };
	static uint8_t payload[1460], buf[1600];
	struct tern_tx tx;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 53 + 5);
	for (int fam = 4; fam <= 6; fam += 2)
		for (int vlan = 0; vlan < 2; vlan++)
			for (size_t p = 0; p < sizeof(plens) / sizeof(plens[0]); p++) {
				uint32_t psum, tcplen, l4off = (vlan ? 18u : 14u) + (fam == 4 ? 20u : 40u);
				const uint8_t *th;
				int n;

				mk_tx(&tx, fam, vlan);
				memcpy(tx.opt, synack_opt, sizeof(synack_opt));
				tx.optlen = sizeof(synack_opt);
				tx.payload = payload;
				tx.len = plens[p];
				n = tern_build_opt(buf, sizeof(buf), &tx, TERN_BUILD_CSUM_PARTIAL);
				REQUIRE_EQ(n, tern_build_len(&tx));
				CHECK_EQ(tern_build_l4off(&tx), l4off);
				th = ref_pseudo(buf, fam, vlan, &psum, &tcplen);
				REQUIRE_EQ(th, buf + l4off);
				/* the folded pseudo-header sum, not complemented */
				CHECK_EQ(rd16(th + 16), (uint16_t)~ref_fold(psum));
				if (fam == 4) /* the IPv4 header sum stays complete */
					CHECK_EQ(ref_fold(ref_sum(0, buf + (vlan ? 18 : 14), 20)), 0);
			}
}

/* Completed as the kernel would, the frame is the software-summed one. */
static void verify_partial(const struct tern_tx *tx, int family, bool vlan)
{
	static uint8_t part[1600], full[1600];
	int n = tern_build_opt(part, sizeof(part), tx, TERN_BUILD_CSUM_PARTIAL);

	REQUIRE_EQ(n, tern_build(full, sizeof(full), tx));
	complete_csum(part, (uint32_t)n, tern_build_l4off(tx), 16);
	check_frame_csums(part, (uint32_t)n, family, vlan);
	CHECK(!memcmp(part, full, (size_t)n));
}

TEST(test_build_csum_partial_completes)
{
	each_shape(verify_partial);
}

/* Headers only: the first bytes of the whole partial-sum frame, for a
 * payload that is not there. */
static void verify_hdr(const struct tern_tx *tx, int family, bool vlan)
{
	static uint8_t hdr[200], full[1600];
	uint32_t hlen = tern_build_len(tx) - tx->len;

	(void)family;
	(void)vlan;
	memset(hdr, 0xaa, sizeof(hdr));
	REQUIRE_EQ(tern_build_opt(full, sizeof(full), tx, TERN_BUILD_CSUM_PARTIAL),
		   tern_build_len(tx));
	REQUIRE_EQ(tern_build_hdr(hdr, sizeof(hdr), tx, TERN_BUILD_CSUM_PARTIAL), hlen);
	CHECK(!memcmp(hdr, full, hlen));
	CHECK_EQ(hdr[hlen], 0xaa); /* nothing written past the headers */
}

TEST(test_build_hdr_only)
{
	struct tern_tx tx;
	uint8_t buf[128];

	each_shape(verify_hdr);
	mk_tx(&tx, 4, false);
	tx.len = 60000; /* the payload is not read: a GSO frame's length */
	CHECK_EQ(tern_build_hdr(buf, sizeof(buf), &tx, TERN_BUILD_CSUM_PARTIAL), 54);
	CHECK_EQ(rd16(buf + 14 + 2), 20 + 20 + 60000);
	CHECK_EQ(tern_build_hdr(buf, sizeof(buf), &tx, 0), -EINVAL); /* a full sum needs it */
	CHECK_EQ(tern_build_hdr(buf, 53, &tx, TERN_BUILD_CSUM_PARTIAL), -ENOSPC);
	tx.len = 65536 - 40; /* past the IPv4 total length */
	CHECK_EQ(tern_build_hdr(buf, sizeof(buf), &tx, TERN_BUILD_CSUM_PARTIAL), -EINVAL);
}

/* Build with tx, parse back, and check the segment mirrors tx. */
static void roundtrip(int family, bool vlan, const uint8_t *pl, uint32_t plen)
{
	struct tern_seg s;
	struct tern_tx tx;
	uint8_t *buf;
	int n;

	mk_tx(&tx, family, vlan);
	memcpy(tx.opt, synack_opt, sizeof(synack_opt));
	tx.optlen = sizeof(synack_opt);
	tx.payload = pl;
	tx.len = plen;
	tx.flags = TERN_TH_ACK | TERN_TH_PSH | TERN_TH_FIN;
	buf = malloc(tern_build_len(&tx)); /* exact size: ASan checks both sides */
	REQUIRE(buf);
	n = tern_build(buf, tern_build_len(&tx), &tx);
	REQUIRE_EQ(n, tern_build_len(&tx));
	check_frame_csums(buf, (uint32_t)n, family, vlan);

	memset(&s, 0x5a, sizeof(s));
	REQUIRE_EQ(tern_parse(buf, (uint32_t)n, &s, true), TERN_PARSE_OK);
	/* The parser sees the frame from the other end. */
	CHECK(!memcmp(&s.t.laddr, &tx.t.raddr, 16));
	CHECK(!memcmp(&s.t.raddr, &tx.t.laddr, 16));
	CHECK_EQ(s.t.lport, tx.t.rport);
	CHECK_EQ(s.t.rport, tx.t.lport);
	CHECK_EQ(s.t.family, family);
	CHECK(!memcmp(s.l2.peer_mac, tx.l2.local_mac, 6));
	CHECK(!memcmp(s.l2.local_mac, tx.l2.peer_mac, 6));
	CHECK_EQ(s.l2.has_vlan, vlan);
	CHECK_EQ(s.l2.vlan_tci, vlan ? tx.l2.vlan_tci : 0);
	CHECK_EQ(s.seq, tx.seq);
	CHECK_EQ(s.ack, tx.ack);
	CHECK_EQ(s.win, tx.win);
	CHECK_EQ(s.flags, tx.flags);
	CHECK_EQ(s.opt.present, TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_TS | TERN_OPT_WS);
	CHECK_EQ(s.opt.mss, 1460);
	CHECK_EQ(s.opt.wscale, 7);
	CHECK_EQ(s.opt.tsval, 1);
	CHECK_EQ(s.opt.tsecr, 2);
	REQUIRE_EQ(s.len, plen);
	CHECK(s.payload + s.len == buf + n);
	CHECK(!plen || !memcmp(s.payload, pl, plen));
	free(buf);
}

static const uint8_t rt_payload[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"; /* odd: 28 */

TEST(test_build_roundtrip_ipv4)
{
	roundtrip(4, false, NULL, 0);
	roundtrip(4, false, rt_payload, sizeof(rt_payload) - 1);
}

TEST(test_build_roundtrip_ipv4_vlan)
{
	roundtrip(4, true, NULL, 0);
	roundtrip(4, true, rt_payload, sizeof(rt_payload));
}

TEST(test_build_roundtrip_ipv6)
{
	roundtrip(6, false, NULL, 0);
	roundtrip(6, false, rt_payload, sizeof(rt_payload) - 1);
}

TEST(test_build_roundtrip_ipv6_vlan)
{
	roundtrip(6, true, NULL, 0);
	roundtrip(6, true, rt_payload, sizeof(rt_payload));
}

TEST(test_build_in_place_payload)
{
	uint8_t buf[200];
	struct tern_seg s;
	struct tern_tx tx;
	uint32_t off = 14 + 20 + 20;
	int n;

	/* The payload already sits where the reply carries it. */
	memset(buf, 0xcc, sizeof(buf));
	memcpy(buf + off, "in place", 8);
	mk_tx(&tx, 4, false);
	tx.payload = buf + off;
	tx.len = 8;
	n = tern_build(buf, sizeof(buf), &tx);
	REQUIRE_EQ(n, off + 8);
	REQUIRE_EQ(tern_parse(buf, (uint32_t)n, &s, true), TERN_PARSE_OK);
	CHECK_EQ(s.len, 8);
	CHECK(!memcmp(s.payload, "in place", 8));
}

TEST(test_build_no_write_past_len)
{
	uint8_t buf[256];
	struct tern_tx tx;
	int n;

	memset(buf, 0xee, sizeof(buf));
	mk_tx(&tx, 6, true);
	tx.payload = rt_payload;
	tx.len = 5;
	n = tern_build(buf, sizeof(buf), &tx);
	REQUIRE(n > 0);
	for (size_t i = (size_t)n; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 0xee);
}

/* --- errors --- */

TEST(test_build_len)
{
	struct tern_tx tx;

	mk_tx(&tx, 4, false);
	CHECK_EQ(tern_build_len(&tx), 54);
	tx.l2.has_vlan = 1;
	CHECK_EQ(tern_build_len(&tx), 58);
	tx.optlen = 40;
	tx.len = 1000;
	CHECK_EQ(tern_build_len(&tx), 58 + 40 + 1000);
	mk_tx(&tx, 6, false);
	CHECK_EQ(tern_build_len(&tx), 74);
}

TEST(test_build_enospc)
{
	uint8_t buf[128];
	struct tern_tx tx;
	uint32_t need;

	for (int fam = 4; fam <= 6; fam += 2) {
		mk_tx(&tx, fam, true);
		memcpy(tx.opt, synack_opt, sizeof(synack_opt));
		tx.optlen = sizeof(synack_opt);
		tx.payload = rt_payload;
		tx.len = 3;
		need = tern_build_len(&tx);
		REQUIRE(need <= sizeof(buf));
		memset(buf, 0xee, sizeof(buf));
		CHECK_EQ(tern_build(buf, need - 1, &tx), -ENOSPC);
		CHECK_EQ(tern_build(buf, 0, &tx), -ENOSPC);
		CHECK_EQ(buf[0], 0xee); /* nothing written on failure */
		CHECK_EQ(tern_build(buf, need, &tx), need);
	}
}

TEST(test_build_einval)
{
	static const uint8_t bad_optlen[] = { 1, 2, 3, 5, 39, 41, 44, 255 };
	static uint8_t buf[70000], src[65536];
	struct tern_tx tx;

	mk_tx(&tx, 4, false);
	tx.t.family = 0;
	CHECK_EQ(tern_build(buf, sizeof(buf), &tx), -EINVAL);
	tx.t.family = 5;
	CHECK_EQ(tern_build(buf, sizeof(buf), &tx), -EINVAL);
	tx.t.family = 10; /* AF_INET6 is not a family here */
	CHECK_EQ(tern_build(buf, sizeof(buf), &tx), -EINVAL);

	for (size_t i = 0; i < sizeof(bad_optlen); i++) {
		mk_tx(&tx, i & 1 ? 6 : 4, false);
		tx.optlen = bad_optlen[i];
		CHECK_EQ(tern_build(buf, sizeof(buf), &tx), -EINVAL);
	}

	/* EINVAL wins over ENOSPC. */
	mk_tx(&tx, 4, false);
	tx.optlen = 3;
	CHECK_EQ(tern_build(buf, 10, &tx), -EINVAL);

	/* The IP length fields cap the datagram at 65535 bytes. */
	mk_tx(&tx, 4, false);
	tx.payload = src;
	tx.len = 65535 - 40;
	CHECK_EQ(tern_build(buf, sizeof(buf), &tx), 14 + 65535);
	tx.len++;
	CHECK_EQ(tern_build(buf, sizeof(buf), &tx), -EINVAL);
	mk_tx(&tx, 6, false);
	tx.payload = src;
	tx.len = 65535 - 20;
	CHECK_EQ(tern_build(buf, sizeof(buf), &tx), 14 + 40 + 65535);
	tx.len++;
	CHECK_EQ(tern_build(buf, sizeof(buf), &tx), -EINVAL);
	tx.len = UINT32_MAX;
	CHECK_EQ(tern_build(buf, sizeof(buf), &tx), -EINVAL);
}
