// SPDX-License-Identifier: BSD-2-Clause
/*
 * Path MTU discovery (pmtu.c, tern_parse_icmp): ICMP "fragmentation
 * needed" and ICMPv6 "packet too big" frames, built here byte by byte
 * around a segment tern sent, go through tern_stack__rx as a router's
 * would. Expectations are Linux's tcp_v4_err / tcp_v6_err rules: the
 * quoted sequence in [SND.UNA, SND.NXT], ip_rt_min_pmtu 552, IPV6_MIN_MTU
 * 1280, tcp_min_snd_mss, and tcp_simple_retransmit at the new size.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "t.h"
#include "user/core/build.h"
#include "user/core/bytes.h"
#include "user/core/csum.h"

#define CSEQ 0x10000000u
#define MSS4 1448u /* 1500 - 40 - 12 (timestamps) */
#define MSS6 1428u /* 1500 - 60 - 12 */

static uint8_t buf[16 * 1448];

/* Router addresses the errors come from. */
static const uint8_t rtr4[4] = { 10, 0, 9, 1 };
static const uint8_t rtr6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 9, [15] = 1 };

static uint32_t frame_of(const struct tern_tx *tx, uint8_t *f, uint32_t cap)
{
	return (uint32_t)tern_build(f, cap, tx);
}

/*
 * An ICMP error about tx, quoting `quote` bytes of what tern sent (from
 * its IP header on): Ethernet, IP from the router to tern, the ICMP
 * header (type, code, MTU) and the quote, checksums right.
 */
static uint32_t icmp_frame(const struct tern_tx *tx, uint8_t type, uint8_t code, uint32_t mtu,
			   uint32_t quote, uint8_t *f)
{
	uint8_t seg[2048];
	uint32_t slen = frame_of(tx, seg, sizeof(seg)), l3 = TERN_ETH_HLEN, ilen, hl;
	uint8_t *ip = f + l3, *ic;
	uint16_t csum;

	if (quote > slen - TERN_ETH_HLEN)
		quote = slen - TERN_ETH_HLEN;
	memcpy(f, seg + 6, 6);      /* to tern's MAC */
	memcpy(f + 6, seg, 6);      /* from the router's */
	memcpy(f + 12, seg + 12, 2);
	ilen = 8 + quote;
	if (tx->t.family == 4) {
		hl = TERN_IP4_HLEN;
		memset(ip, 0, hl);
		ip[0] = 0x45;
		tern_put_be16(ip + 2, (uint16_t)(hl + ilen));
		ip[8] = 64;
		ip[9] = 1;
		memcpy(ip + 12, rtr4, 4);
		memcpy(ip + 16, tx->t.laddr.b + 12, 4);
		csum = tern_csum_fold(tern_csum_add(0, ip, hl));
		memcpy(ip + 10, &csum, 2);
	} else {
		hl = TERN_IP6_HLEN;
		memset(ip, 0, hl);
		ip[0] = 0x60;
		tern_put_be16(ip + 4, (uint16_t)ilen);
		ip[6] = 58;
		ip[7] = 255;
		memcpy(ip + 8, rtr6, 16);
		memcpy(ip + 24, tx->t.laddr.b, 16);
	}
	ic = ip + hl;
	memset(ic, 0, 8);
	ic[0] = type;
	ic[1] = code;
	if (tx->t.family == 4)
		tern_put_be16(ic + 6, (uint16_t)mtu);
	else
		tern_put_be32(ic + 4, mtu);
	memcpy(ic + 8, seg + TERN_ETH_HLEN, quote);
	/* RFC 4443 2.3: ICMPv6 sums the pseudo-header too (next header 58). */
	csum = tern_csum_fold(tern_csum_add(tx->t.family == 6 ? tern_csum_add(58 + ilen, ip + 8, 32)
							      : 0,
					    ic, ilen));
	memcpy(ic + 2, &csum, 2);
	return l3 + hl + ilen;
}

static int rx(struct h *h, const uint8_t *f, uint32_t len)
{
	h->out.n = 0;
	return tern_stack__rx(h->s, f, len, 0, h->now, &h->out);
}

/* An established connection (Linux options, SACK unless nosack) that has
 * sent 10 full segments; *first is a copy of the first. */
static struct tern_conn *open_sent(struct h *h, int family, int nosack,
				   void (*tweak)(struct tern_cfg *), struct tern_tx *first)
{
	struct tern_seg seg;
	struct tern_opts o;
	uint32_t iss, mss;

	if (family == 6)
		h_init6(h, tweak);
	else
		h_init(h, tweak);
	seg = h_seg(h, TERN_TH_SYN, CSEQ, 0);
	h_linux_syn_opts(&seg, 7);
	if (nosack)
		seg.opt.present &= (uint8_t)~TERN_OPT_SACKOK;
	h_in(h, &seg);
	if (h->out.n != 1)
		return NULL;
	iss = h->tx[0].seq;
	o = h_tx_opts(&h->tx[0]);
	seg = h_seg(h, TERN_TH_ACK, CSEQ + 1, iss + 1);
	seg.win = 502;
	h_ts(&seg, 8, o.tsval);
	h_in(h, &seg);
	if (!h->conn)
		return NULL;
	mss = h->conn->mss;
	if (h_send(h, buf, 10 * mss) != (int)(10 * mss) || h->out.n != 10)
		return NULL;
	*first = h->tx[0];
	return h->conn;
}

static int all_at_most(const struct h *h, uint32_t len)
{
	for (uint32_t i = 0; i < h->out.n; i++)
		if (h->tx[i].len > len)
			return 0;
	return 1;
}

TEST(test_estab_icmp_frag_needed_lowers_mss)
{
	struct h h;
	struct tern_tx first;
	struct tern_conn *c = open_sent(&h, 4, 0, NULL, &first);
	uint8_t f[2048];
	uint32_t n, una, rtx = 0;

	REQUIRE(c);
	REQUIRE_EQ(c->mss, MSS4);
	una = c->snd_una;
	n = icmp_frame(&first, 3, 4, 1000, 28, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(H_MIB(&h, IcmpInDestUnreachs), 1);
	CHECK_EQ(H_MIB(&h, TCPPMTUReduced), 1);
	CHECK_EQ(c->mss, 1000 - 40 - 12);
	/* cwnd keeps its 10 segments; nothing is taken for congestion */
	CHECK_EQ(c->cwnd, 10u * (1000 - 40 - 12));
	CHECK_EQ(c->ssthresh, UINT32_MAX);
	/* what was in flight goes again from SND.UNA, at the new size */
	REQUIRE(h.out.n > 0);
	CHECK_EQ(h.tx[0].seq, una);
	CHECK_EQ(h.tx[0].len, 1000 - 40 - 12);
	CHECK(all_at_most(&h, 1000 - 40 - 12));
	for (uint32_t i = 1; i < h.out.n; i++)
		CHECK_EQ(h.tx[i].seq, h.tx[i - 1].seq + h.tx[i - 1].len);
	rtx = h.out.n;
	CHECK_EQ(H_MIB(&h, RetransSegs), rtx);
	/* the segments built from them fit the path */
	for (uint32_t i = 0; i < h.out.n; i++)
		CHECK(tern_build_len(&h.tx[i]) - TERN_ETH_HLEN <= 1000);
	/* the same error again changes nothing (not below the path MTU) */
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(H_MIB(&h, InDropIcmpMtu), 1);
	CHECK_EQ(c->mss, 1000 - 40 - 12);
	h_free(&h);
}

TEST(test_estab_icmp_nosack_goes_back_n)
{
	struct h h;
	struct tern_tx first;
	struct tern_conn *c = open_sent(&h, 4, 1, NULL, &first);
	uint8_t f[2048];
	uint32_t n, una;

	REQUIRE(c);
	una = c->snd_una;
	n = icmp_frame(&first, 3, 4, 1200, 60, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(c->mss, 1200 - 40 - 12);
	REQUIRE(h.out.n > 0);
	CHECK_EQ(h.tx[0].seq, una);
	CHECK_EQ(h.tx[0].len, 1200 - 40 - 12);
	CHECK(all_at_most(&h, 1200 - 40 - 12));
	h_free(&h);
}

TEST(test_estab_icmp_out_of_window)
{
	struct h h;
	struct tern_tx first, t;
	struct tern_conn *c = open_sent(&h, 4, 0, NULL, &first);
	uint8_t f[2048];
	uint32_t n;

	REQUIRE(c);
	t = first;
	t.seq = c->snd_una - 1;
	n = icmp_frame(&t, 3, 4, 1000, 28, f);
	CHECK_EQ(rx(&h, f, n), 0);
	t.seq = c->snd_max + 1;
	n = icmp_frame(&t, 3, 4, 1000, 28, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(H_MIB(&h, OutOfWindowIcmps), 2);
	CHECK_EQ(c->mss, MSS4);
	CHECK_EQ(h.out.n, 0);
	/* SND.NXT itself is in the window (Linux between()) */
	t.seq = c->snd_max;
	n = icmp_frame(&t, 3, 4, 1000, 28, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(H_MIB(&h, OutOfWindowIcmps), 2);
	CHECK_EQ(c->mss, 1000 - 40 - 12);
	h_free(&h);
}

/* ip_rt_min_pmtu: an MTU below 552 counts as 552; then one between 552
 * and the path's is not below it, and one at the interface MTU neither. */
TEST(test_estab_icmp_mtu_below_min_v4)
{
	struct h h;
	struct tern_tx first;
	struct tern_conn *c = open_sent(&h, 4, 0, NULL, &first);
	uint8_t f[2048];
	uint32_t n;

	REQUIRE(c);
	n = icmp_frame(&first, 3, 4, 1500, 28, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(H_MIB(&h, InDropIcmpMtu), 1);
	CHECK_EQ(c->mss, MSS4);
	n = icmp_frame(&first, 3, 4, 68, 28, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(c->mss, 552 - 40 - 12);
	n = icmp_frame(&first, 3, 4, 0, 28, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(H_MIB(&h, InDropIcmpMtu), 2);
	CHECK_EQ(c->mss, 552 - 40 - 12);
	h_free(&h);
}

/* Codes other than 4 are counted and not acted on. */
TEST(test_estab_icmp_other_code)
{
	struct h h;
	struct tern_tx first;
	struct tern_conn *c = open_sent(&h, 4, 0, NULL, &first);
	uint8_t f[2048];
	uint32_t n;

	REQUIRE(c);
	n = icmp_frame(&first, 3, 1, 1000, 28, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(H_MIB(&h, IcmpInDestUnreachs), 1);
	CHECK_EQ(H_MIB(&h, TCPPMTUReduced), 0);
	CHECK_EQ(c->mss, MSS4);
	h_free(&h);
}

TEST(test_estab_icmp6_packet_too_big)
{
	struct h h;
	struct tern_tx first;
	struct tern_conn *c = open_sent(&h, 6, 0, NULL, &first);
	uint8_t f[2048];
	uint32_t n;

	REQUIRE(c);
	REQUIRE_EQ(c->mss, MSS6);
	/* IPV6_MIN_MTU: below it the error is ignored, not clamped */
	n = icmp_frame(&first, 2, 0, 1000, 48, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(H_MIB(&h, Icmp6InPktTooBigs), 1);
	CHECK_EQ(H_MIB(&h, InDropIcmpMtu), 1);
	CHECK_EQ(c->mss, MSS6);
	CHECK_EQ(h.out.n, 0);
	n = icmp_frame(&first, 2, 0, 1280, 1232, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(c->mss, 1280 - 60 - 12);
	REQUIRE(h.out.n > 0);
	CHECK_EQ(h.tx[0].seq, first.seq);
	CHECK_EQ(h.tx[0].len, 1280 - 60 - 12);
	CHECK(all_at_most(&h, 1280 - 60 - 12));
	CHECK_EQ(H_MIB(&h, TCPPMTUReduced), 1);
	h_free(&h);
}

static void big_floor(struct tern_cfg *cfg)
{
	cfg->min_snd_mss = 600;
}

/* tcp_mtu_to_mss() raises the MSS to tcp_min_snd_mss before the
 * timestamp option comes off, whatever the path says. */
TEST(test_estab_icmp_mss_floor)
{
	struct h h;
	struct tern_tx first;
	struct tern_conn *c = open_sent(&h, 4, 0, big_floor, &first);
	uint8_t f[2048];
	uint32_t n;

	REQUIRE(c);
	n = icmp_frame(&first, 3, 4, 552, 28, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(H_MIB(&h, TCPPMTUReduced), 1);
	CHECK_EQ(c->mss, 600 - 12);
	CHECK(all_at_most(&h, 600 - 12));
	h_free(&h);
}

/* tcp_v4_err() looks in the established table only: no connection (a
 * listener's port included) is IcmpInErrors. */
TEST(test_listen_icmp_no_conn)
{
	struct h h;
	struct tern_tx first, t;
	struct tern_conn *c = open_sent(&h, 4, 0, NULL, &first);
	uint8_t f[2048];
	uint32_t n;

	REQUIRE(c);
	t = first;
	t.t.rport++;
	n = icmp_frame(&t, 3, 4, 1000, 28, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(H_MIB(&h, IcmpInErrors), 1);
	CHECK_EQ(c->mss, MSS4);
	h_free(&h);

	REQUIRE(open_sent(&h, 6, 0, NULL, &first));
	t = first;
	t.t.rport++;
	n = icmp_frame(&t, 2, 0, 1280, 48, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(H_MIB(&h, Icmp6InErrors), 1);
	h_free(&h);
}

/* Two queues: the error lands on one without the connection (handoff on:
 * TERN_RX_ICMP_ELSEWHERE, not IcmpInErrors) and, handed to the other, lowers
 * the connection's MSS there without counting its type twice. */
TEST(test_estab_icmp_handed_to_other_stack)
{
	struct h h, other;
	struct tern_tx first;
	struct tern_conn *c = open_sent(&h, 4, 0, NULL, &first);
	struct tern_icmp ic;
	uint8_t f[2048];
	uint32_t n;

	REQUIRE(c);
	h_init(&other, NULL);
	tern_stack__set_icmp_handoff(other.s, 1);
	n = icmp_frame(&first, 3, 4, 1000, 28, f);
	CHECK_EQ(rx(&other, f, n), TERN_RX_ICMP_ELSEWHERE);
	CHECK_EQ(H_MIB(&other, IcmpInDestUnreachs), 1);
	CHECK_EQ(H_MIB(&other, IcmpInErrors), 0);
	REQUIRE_EQ(tern_parse_icmp(f, n, &ic, false), TERN_PARSE_OK);
	CHECK_EQ(tern_stack__icmp_handed(other.s, &ic, other.now, &other.out), -ENOENT);
	CHECK_EQ(H_MIB(&other, IcmpInErrors), 0);
	h.out.n = 0;
	CHECK_EQ(tern_stack__icmp_handed(h.s, &ic, h.now, &h.out), 0);
	CHECK_EQ(H_MIB(&h, IcmpInDestUnreachs), 0);
	CHECK_EQ(H_MIB(&h, TCPPMTUReduced), 1);
	CHECK_EQ(c->mss, 1000 - 40 - 12);
	CHECK(h.out.n > 0);
	CHECK(all_at_most(&h, 1000 - 40 - 12));
	/* another code is not acted on, here or there */
	ic.code = 1;
	CHECK_EQ(tern_stack__icmp_handed(h.s, &ic, h.now, &h.out), -ENOENT);
	h_free(&other);
	h_free(&h);
}

/* tcp_req_err(): a half-open believes only its SYN-ACK's sequence, and a
 * too-big error changes nothing. */
TEST(test_synrcvd_icmp)
{
	struct h h;
	struct tern_seg seg;
	struct tern_tx synack, t;
	uint8_t f[2048];
	uint32_t n;

	h_init(&h, NULL);
	seg = h_seg(&h, TERN_TH_SYN, CSEQ, 0);
	h_linux_syn_opts(&seg, 7);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	synack = h.tx[0];
	n = icmp_frame(&synack, 3, 4, 600, 28, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(H_MIB(&h, OutOfWindowIcmps), 0);
	CHECK_EQ(H_MIB(&h, IcmpInErrors), 0);
	t = synack;
	t.seq++;
	n = icmp_frame(&t, 3, 4, 600, 28, f);
	CHECK_EQ(rx(&h, f, n), 0);
	CHECK_EQ(H_MIB(&h, OutOfWindowIcmps), 1);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	h_free(&h);
}

/* The parser: every malformed class has its reason, none reaches the core. */
TEST(test_parse_icmp_malformed)
{
	struct h h;
	struct tern_tx first;
	struct tern_icmp ic;
	uint8_t f[2048];
	uint32_t n;

	REQUIRE(open_sent(&h, 4, 0, NULL, &first));
	n = icmp_frame(&first, 3, 4, 1000, 28, f);
	REQUIRE_EQ(tern_parse_icmp(f, n, &ic, true), TERN_PARSE_OK);
	CHECK_EQ(ic.type, 3);
	CHECK_EQ(ic.code, 4);
	CHECK_EQ(ic.mtu, 1000);
	CHECK_EQ(ic.seq, first.seq);
	CHECK_EQ(ic.t.lport, first.t.lport);
	CHECK_EQ(ic.t.rport, first.t.rport);
	CHECK(!memcmp(&ic.t.laddr, &first.t.laddr, sizeof(ic.t.laddr)));
	CHECK(!memcmp(&ic.t.raddr, &first.t.raddr, sizeof(ic.t.raddr)));
	CHECK_EQ(ic.t.family, 4);

	f[n - 1] ^= 1; /* a quoted byte: the ICMP checksum */
	CHECK_EQ(rx(&h, f, n), TERN_PARSE_ICMP_CSUM);
	n = icmp_frame(&first, 3, 4, 1000, 27, f); /* 7 bytes of TCP */
	CHECK_EQ(rx(&h, f, n), TERN_PARSE_ICMP_QUOTE);
	n = icmp_frame(&first, 3, 4, 1000, 19, f); /* not even the IP header */
	CHECK_EQ(rx(&h, f, n), TERN_PARSE_ICMP_QUOTE);
	n = icmp_frame(&first, 8, 0, 0, 28, f); /* echo request */
	CHECK_EQ(rx(&h, f, n), TERN_PARSE_ICMP_TYPE);
	n = icmp_frame(&first, 3, 4, 1000, 0, f); /* 8 bytes: header only */
	CHECK_EQ(rx(&h, f, n), TERN_PARSE_ICMP_QUOTE);
	/* 4 bytes of ICMP: IP total length says so */
	n = icmp_frame(&first, 3, 4, 1000, 0, f);
	tern_put_be16(f + TERN_ETH_HLEN + 2, TERN_IP4_HLEN + 4);
	f[TERN_ETH_HLEN + 10] = f[TERN_ETH_HLEN + 11] = 0;
	{
		uint16_t csum = tern_csum_fold(tern_csum_add(0, f + TERN_ETH_HLEN, 20));

		memcpy(f + TERN_ETH_HLEN + 10, &csum, 2);
	}
	CHECK_EQ(rx(&h, f, n), TERN_PARSE_ICMP_SHORT);
	/* quoted IHL below 5 */
	n = icmp_frame(&first, 3, 4, 1000, 28, f);
	f[TERN_ETH_HLEN + 20 + 8] = 0x44;
	f[TERN_ETH_HLEN + 20 + 2] = f[TERN_ETH_HLEN + 20 + 3] = 0;
	{
		uint16_t csum = tern_csum_fold(tern_csum_add(0, f + TERN_ETH_HLEN + 20, 36));

		memcpy(f + TERN_ETH_HLEN + 20 + 2, &csum, 2);
	}
	CHECK_EQ(rx(&h, f, n), TERN_PARSE_ICMP_QUOTE);
	CHECK_EQ(H_MIB(&h, IcmpInDestUnreachs), 0);
	CHECK_EQ(h.s->parse_drops[TERN_PARSE_ICMP_QUOTE], 4);
	CHECK(!strcmp(tern_parse_reason_name(TERN_PARSE_ICMP_CSUM), "IcmpInCsumErrors"));
	h_free(&h);

	REQUIRE(open_sent(&h, 6, 0, NULL, &first));
	n = icmp_frame(&first, 2, 0, 1280, 48, f);
	REQUIRE_EQ(tern_parse_icmp(f, n, &ic, true), TERN_PARSE_OK);
	CHECK_EQ(ic.mtu, 1280);
	CHECK_EQ(ic.t.family, 6);
	CHECK(!memcmp(&ic.t.laddr, &first.t.laddr, sizeof(ic.t.laddr)));
	f[TERN_ETH_HLEN + 8] ^= 1; /* the router's address: pseudo-header sum */
	CHECK_EQ(rx(&h, f, n), TERN_PARSE_ICMP_CSUM);
	n = icmp_frame(&first, 1, 4, 0, 48, f); /* destination unreachable */
	CHECK_EQ(rx(&h, f, n), TERN_PARSE_ICMP_TYPE);
	n = icmp_frame(&first, 2, 0, 1280, 47, f);
	CHECK_EQ(rx(&h, f, n), TERN_PARSE_ICMP_QUOTE);
	h_free(&h);
}

static void clamp_1000(struct tern_cfg *cfg)
{
	cfg->mss_clamp = 1000;
}

static void clamp_9000(struct tern_cfg *cfg)
{
	cfg->mss_clamp = 9000;
}

/* --mss-clamp: the SYN-ACK's MSS option, the MSS the connection uses and
 * the XDP SYN-ACK's (tern_stack__xdp_cfg) are all clamped, both families;
 * a clamp above the MTU's MSS changes nothing. */
TEST(test_listen_mss_clamp)
{
	struct tern_xdp_cookie_cfg xc;
	struct h h;
	struct tern_seg seg;
	struct tern_tx first;
	struct tern_conn *c;
	uint8_t f[2048];
	uint32_t n;

	for (int fam = 4; fam <= 6; fam += 2) {
		if (fam == 6)
			h_init6(&h, clamp_1000);
		else
			h_init(&h, clamp_1000);
		seg = h_seg(&h, TERN_TH_SYN, CSEQ, 0);
		h_linux_syn_opts(&seg, 7);
		h_in(&h, &seg);
		REQUIRE_EQ(h.out.n, 1);
		CHECK_EQ(h_tx_opts(&h.tx[0]).mss, 1000);
		tern_stack__xdp_cfg(h.s, 0, &xc);
		CHECK_EQ(xc.mss[0], 1000);
		CHECK_EQ(xc.mss[1], 1000);
		h_free(&h);

		c = open_sent(&h, fam, 0, clamp_1000, &first);
		REQUIRE(c);
		CHECK_EQ(c->mss, 1000 - 12);
		CHECK_EQ(first.len, 1000 - 12);
		/* a path MTU that still carries 1000 bytes of TCP changes no MSS */
		n = icmp_frame(&first, fam == 4 ? 3 : 2, fam == 4 ? 4 : 0, 1400, 48, f);
		CHECK_EQ(rx(&h, f, n), 0);
		CHECK_EQ(H_MIB(&h, TCPPMTUReduced), 1);
		CHECK_EQ(c->mss, 1000 - 12);
		CHECK_EQ(h.out.n, 0);
		h_free(&h);
	}
	c = open_sent(&h, 4, 0, clamp_9000, &first);
	REQUIRE(c);
	CHECK_EQ(c->mss, MSS4);
	h_free(&h);
}

static void clamp_below_floor(struct tern_cfg *cfg)
{
	cfg->mss_clamp = 40;
}

TEST(test_cfg_mss_clamp_below_floor_rejected)
{
	struct tern_cfg cfg;

	tern_cfg__defaults(&cfg);
	clamp_below_floor(&cfg);
	CHECK_EQ(tern_stack__memsize(&cfg), 0);
	cfg.mss_clamp = 48;
	CHECK(tern_stack__memsize(&cfg) > 0);
}
