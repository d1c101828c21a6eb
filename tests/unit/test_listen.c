// SPDX-License-Identifier: BSD-2-Clause
/* LISTEN: SYN -> SYN-ACK, option order, ISN, flag rules, bounds. */
#include <errno.h>

#include "harness.h"
#include "t.h"

static void cookies_never(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_NEVER;
}

static struct tern_seg syn_with(struct h *h, uint8_t present)
{
	struct tern_seg seg = h_seg(h, TERN_TH_SYN, 1000, 0);

	h_linux_syn_opts(&seg, 5555);
	seg.opt.present = present;
	return seg;
}

static const uint8_t *opt_after_mss(const struct tern_tx *tx)
{
	return tx->opt + 4;
}

TEST(test_listen_syn_synack_options_linux_order)
{
	struct h h;
	struct tern_seg seg;
	const struct tern_tx *tx;
	const uint8_t *o;

	h_init(&h, cookies_never);
	seg = syn_with(&h, TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_TS | TERN_OPT_WS);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	tx = &h.tx[0];
	CHECK_EQ(tx->flags, TERN_TH_SYN | TERN_TH_ACK);
	CHECK_EQ(tx->ack, 1001);
	CHECK_EQ(tx->t.lport, 80);
	CHECK_EQ(tx->t.rport, 40000);
	REQUIRE_EQ(tx->optlen, 20);
	/* MSS 1460 */
	CHECK_EQ(tx->opt[0], 2);
	CHECK_EQ(tx->opt[1], 4);
	CHECK_EQ(tx->opt[2] << 8 | tx->opt[3], 1460);
	/* SACK-permitted + TS */
	o = opt_after_mss(tx);
	CHECK_EQ(o[0], 4);
	CHECK_EQ(o[1], 2);
	CHECK_EQ(o[2], 8);
	CHECK_EQ(o[3], 10);
	/* TSecr echoes the SYN's TSval */
	CHECK_EQ((uint32_t)o[8] << 24 | o[9] << 16 | o[10] << 8 | o[11], 5555);
	/* NOP WS, shift 3 for the default 256 KiB window */
	CHECK_EQ(o[12], 1);
	CHECK_EQ(o[13], 3);
	CHECK_EQ(o[14], 3);
	CHECK_EQ(o[15], 3);
	/* 65535 rounded down to (1460 - 12)-byte segments, as Linux: 65160 */
	CHECK_EQ(tx->win, 65160);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	h_free(&h);
}

TEST(test_listen_syn_ts_only_nop_nop_ts)
{
	struct h h;
	struct tern_seg seg;

	h_init(&h, cookies_never);
	seg = syn_with(&h, TERN_OPT_MSS | TERN_OPT_TS);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	REQUIRE_EQ(h.tx[0].optlen, 16);
	CHECK_EQ(h.tx[0].opt[4], 1);
	CHECK_EQ(h.tx[0].opt[5], 1);
	CHECK_EQ(h.tx[0].opt[6], 8);
	CHECK_EQ(h.tx[0].opt[7], 10);
	h_free(&h);
}

TEST(test_listen_syn_sack_only_nop_nop_sackok)
{
	struct h h;
	struct tern_seg seg;

	h_init(&h, cookies_never);
	seg = syn_with(&h, TERN_OPT_MSS | TERN_OPT_SACKOK);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	REQUIRE_EQ(h.tx[0].optlen, 8);
	CHECK_EQ(h.tx[0].opt[4], 1);
	CHECK_EQ(h.tx[0].opt[5], 1);
	CHECK_EQ(h.tx[0].opt[6], 4);
	CHECK_EQ(h.tx[0].opt[7], 2);
	CHECK_EQ(h.tx[0].win, 64240); /* no TS: 44 * 1460 */
	h_free(&h);
}

TEST(test_listen_syn_ws_only_nop_ws)
{
	struct h h;
	struct tern_seg seg;

	h_init(&h, cookies_never);
	seg = syn_with(&h, TERN_OPT_WS);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	REQUIRE_EQ(h.tx[0].optlen, 8);
	CHECK_EQ(h.tx[0].opt[0], 2); /* MSS is always sent */
	CHECK_EQ(h.tx[0].opt[4], 1);
	CHECK_EQ(h.tx[0].opt[5], 3);
	CHECK_EQ(h.tx[0].opt[7], 3);
	h_free(&h);
}

TEST(test_listen_syn_no_options_mss_only)
{
	struct h h;
	struct tern_seg seg;

	h_init(&h, cookies_never);
	seg = syn_with(&h, 0);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].optlen, 4);
	CHECK_EQ(h.tx[0].win, 64240);
	h_free(&h);
}

static void jumbo(struct tern_cfg *c)
{
	c->mtu = 9000;
	c->rcv_wnd = 6 << 20; /* Linux's tcp_rmem[2] */
	c->syncookies = TERN_COOKIES_NEVER;
}

TEST(test_listen_syn_mss_and_wscale_from_config)
{
	struct h h;
	struct tern_seg seg;

	h_init(&h, jumbo);
	seg = syn_with(&h, TERN_OPT_MSS | TERN_OPT_WS);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].opt[2] << 8 | h.tx[0].opt[3], 8960);
	CHECK_EQ(h.tx[0].opt[7], 7); /* 6 MiB -> shift 7, as Linux */
	h_free(&h);
}

TEST(test_listen_syn_ipv6_synack)
{
	struct h h;
	struct tern_seg seg;

	h_init6(&h, cookies_never);
	seg = syn_with(&h, TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_TS | TERN_OPT_WS);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].t.family, 6);
	CHECK_EQ(h.tx[0].opt[2] << 8 | h.tx[0].opt[3], 1440);
	CHECK_EQ(h.tx[0].flags, TERN_TH_SYN | TERN_TH_ACK);
	h_free(&h);
}

TEST(test_listen_syn_reply_to_ethernet_source_with_vlan)
{
	struct h h;
	struct tern_seg seg;

	h_init(&h, cookies_never);
	seg = syn_with(&h, TERN_OPT_MSS);
	seg.l2.has_vlan = 1;
	seg.l2.vlan_tci = 0x2064;
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK(!memcmp(h.tx[0].l2.peer_mac, seg.l2.peer_mac, 6));
	CHECK(!memcmp(h.tx[0].l2.local_mac, seg.l2.local_mac, 6));
	CHECK_EQ(h.tx[0].l2.has_vlan, 1);
	CHECK_EQ(h.tx[0].l2.vlan_tci, 0x2064);
	h_free(&h);
}

TEST(test_listen_isn_rfc6528)
{
	struct h h;
	struct tern_tuple t, u;
	uint32_t a, b;

	h_init(&h, NULL);
	t = h_seg(&h, TERN_TH_SYN, 1, 0).t;
	u = t;
	u.rport++;
	a = tern_isn(h.s, &t, h.now);
	CHECK_EQ(a, tern_isn(h.s, &t, h.now));
	b = tern_isn(h.s, &u, h.now);
	CHECK(a != b);
	/* M is a 64 ns clock */
	CHECK_EQ(tern_isn(h.s, &t, h.now + 64 * 1000) - a, 1000);
	CHECK_EQ(tern_isn(h.s, &t, h.now + 63) - a, 0);
	h_free(&h);
}

TEST(test_listen_rst_dropped)
{
	struct h h;
	struct tern_seg seg;

	h_init(&h, NULL);
	seg = h_seg(&h, TERN_TH_RST, 5, 0);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	seg.flags = TERN_TH_RST | TERN_TH_ACK;
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(H_MIB(&h, InDropListenFlags), 2);
	h_free(&h);
}

TEST(test_listen_ack_no_req_rst)
{
	struct h h;
	struct tern_seg seg;

	h_init(&h, cookies_never);
	seg = h_seg(&h, TERN_TH_ACK, 77, 123456);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_RST);
	CHECK_EQ(h.tx[0].seq, 123456);
	CHECK_EQ(H_MIB(&h, OutRsts), 1);
	CHECK_EQ(tern_stack__nconns(h.s), 0);
	h_free(&h);
}

TEST(test_listen_synack_rst)
{
	struct h h;
	struct tern_seg seg;

	h_init(&h, NULL);
	seg = h_seg(&h, TERN_TH_SYN | TERN_TH_ACK, 77, 999);
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_RST);
	CHECK_EQ(h.tx[0].seq, 999);
	h_free(&h);
}

static void check_dropped(uint8_t flags)
{
	struct h h;
	struct tern_seg seg;

	h_init(&h, NULL);
	seg = h_seg(&h, flags, 77, 0);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(H_MIB(&h, InDropListenFlags), 1);
	CHECK_EQ(tern_stack__nreqs(h.s), 0);
	h_free(&h);
}

TEST(test_listen_synfin_dropped)
{
	check_dropped(TERN_TH_SYN | TERN_TH_FIN);
}

TEST(test_listen_synrst_dropped)
{
	check_dropped(TERN_TH_SYN | TERN_TH_RST);
}

TEST(test_listen_noflags_dropped)
{
	check_dropped(0);
}

TEST(test_listen_fin_without_ack_dropped)
{
	check_dropped(TERN_TH_FIN);
}

TEST(test_listen_psh_without_ack_dropped)
{
	check_dropped(TERN_TH_PSH);
}

TEST(test_listen_urg_without_ack_dropped)
{
	check_dropped(TERN_TH_URG);
}

TEST(test_listen_no_listener_rst)
{
	struct h h;
	struct tern_seg seg;

	h_init(&h, NULL);
	seg = h_seg(&h, TERN_TH_SYN, 500, 0);
	seg.t.lport = 81;
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(h.tx[0].seq, 0);
	CHECK_EQ(h.tx[0].ack, 501);
	CHECK_EQ(H_MIB(&h, InNoListener), 1);
	h_free(&h);
}

static void backlog2(struct tern_cfg *c)
{
	c->backlog = 2;
	c->syncookies = TERN_COOKIES_NEVER;
}

static void send_syns(struct h *h, int n)
{
	for (int i = 0; i < n; i++) {
		struct tern_seg seg = syn_with(h, TERN_OPT_MSS);

		h->cport = (uint16_t)(41000 + i);
		seg.t.rport = h->cport;
		h_in(h, &seg);
	}
}

TEST(test_listen_backlog_full_never_drops)
{
	struct h h;

	h_init(&h, backlog2);
	send_syns(&h, 3);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(tern_stack__nreqs(h.s), 2);
	CHECK_EQ(H_MIB(&h, TCPReqQFullDrop), 1);
	CHECK_EQ(H_MIB(&h, ListenDrops), 1);
	CHECK_EQ(H_MIB(&h, SyncookiesSent), 0);
	h_free(&h);
}

static void backlog2_auto(struct tern_cfg *c)
{
	c->backlog = 2;
	c->syncookies = TERN_COOKIES_AUTO;
}

TEST(test_listen_backlog_full_auto_cookies)
{
	struct h h;

	h_init(&h, backlog2_auto);
	send_syns(&h, 5);
	CHECK_EQ(h.out.n, 1);
	CHECK_EQ(tern_stack__nreqs(h.s), 2);
	CHECK_EQ(H_MIB(&h, SyncookiesSent), 3);
	CHECK_EQ(H_MIB(&h, TCPReqQFullDoCookies), 3);
	h_free(&h);
}

static void one_conn(struct tern_cfg *c)
{
	c->max_conns = 1;
	c->syncookies = TERN_COOKIES_NEVER;
}

TEST(test_listen_conn_table_full_drops_syn)
{
	struct h h;
	uint32_t iss;

	h_init(&h, one_conn);
	REQUIRE(h_connect(&h, 100, 1, &iss));
	h.cport++;
	send_syns(&h, 1);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(H_MIB(&h, ListenOverflows), 1);
	CHECK_EQ(H_MIB(&h, ListenDrops), 1);
	h_free(&h);
}

/* A second handshake on the tuple of an established connection makes no
 * new connection (the SYN gets a challenge ACK, RFC 5961 4.2), and
 * h_connect says so rather than handing back the first one. */
TEST(test_listen_handshake_on_established_tuple_no_new_conn)
{
	struct h h;
	uint32_t iss, iss2 = 0;

	h_init(&h, NULL);
	REQUIRE(h_connect(&h, 1000, 1, &iss));
	CHECK(!h_connect(&h, 1000, 2, &iss2));
	CHECK_EQ(h.accepts, 1);
	CHECK_EQ(tern_stack__nconns(h.s), 1);
	h_free(&h);
}

TEST(test_listen_listeners_bounds_and_errors)
{
	struct h h;
	struct tern_addr a;
	struct tern_seg seg;

	h_init(&h, NULL);
	a = h_seg(&h, 0, 0, 0).t.laddr;
	CHECK_EQ(tern_stack__listen(h.s, &a, 4, 80), -EEXIST);
	CHECK_EQ(tern_stack__listen(h.s, &a, 6, 81), -EINVAL);
	CHECK_EQ(tern_stack__listen(h.s, &a, 4, 0), -EINVAL);
	CHECK_EQ(tern_stack__listen(h.s, &a, 4, 443), 0);
	for (uint16_t p = 1000; p < 1014; p++)
		CHECK_EQ(tern_stack__listen(h.s, &a, 4, p), 0);
	CHECK_EQ(tern_stack__listen(h.s, &a, 4, 2000), -ENOSPC);
	seg = h_seg(&h, TERN_TH_SYN, 1, 0);
	seg.t.lport = 443;
	h_in(&h, &seg);
	REQUIRE_EQ(h.out.n, 1);
	CHECK_EQ(h.tx[0].flags, TERN_TH_SYN | TERN_TH_ACK);
	h_free(&h);
}

TEST(test_listen_cfg_invalid_rejected)
{
	struct tern_cfg cfg;
	struct tern_secrets sec = { 0 };
	static _Alignas(64) uint8_t mem[4096];

	tern_cfg__defaults(&cfg);
	cfg.max_conns = 0;
	CHECK_EQ(tern_stack__memsize(&cfg), 0);
	errno = 0;
	CHECK(tern_stack__init(mem, sizeof(mem), &cfg, &sec, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	tern_cfg__defaults(&cfg);
	errno = 0;
	CHECK(tern_stack__init(mem, sizeof(mem), &cfg, &sec, 0) == NULL); /* too small */
	CHECK_EQ(errno, EINVAL);
	cfg.syncookies = 3;
	CHECK_EQ(tern_stack__memsize(&cfg), 0);
}

TEST(test_listen_backlog_lowered_at_run_time)
{
	struct h h;

	h_init(&h, backlog2_auto);
	CHECK_EQ(tern_stack__set_backlog(h.s, 0), -ERANGE);
	CHECK_EQ(tern_stack__set_backlog(h.s, 3), -ERANGE); /* above the memory's 2 */
	CHECK_EQ(tern_stack__set_backlog(h.s, 1), 0);
	send_syns(&h, 3);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	CHECK_EQ(H_MIB(&h, SyncookiesSent), 2);
	h_free(&h);
}

TEST(test_listen_not_accepting_drops_silently)
{
	struct h h;
	uint32_t iss;
	struct tern_conn *c;

	h_init(&h, NULL);
	REQUIRE((c = h_connect(&h, 1000, 1, &iss)));
	tern_stack__set_accepting(h.s, 0);
	h.cport++;
	send_syns(&h, 1);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(H_MIB(&h, InDropNotAccepting), 1);
	CHECK_EQ(tern_stack__nconns(h.s), 1); /* the existing one goes on */
	tern_stack__set_accepting(h.s, 1);
	send_syns(&h, 1);
	CHECK_EQ(h.out.n, 1);
	h_free(&h);
}

/* --- IPv6 SYNs with v4-mapped addresses (tcp_v6_conn_request) --- */

/* The same SYN from a normal IPv6 source gets a SYN-ACK (the control). */
TEST(test_listen_syn6_normal_source_answered)
{
	struct h h;
	struct tern_seg seg;

	h_init6(&h, NULL);
	seg = syn_with(&h, TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_TS | TERN_OPT_WS);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 1);
	CHECK_EQ(H_MIB(&h, Ip6InHdrErrors), 0);
	h_free(&h);
}

TEST(test_listen_syn6_v4mapped_source_dropped)
{
	struct h h;
	struct tern_seg seg;

	h_init6(&h, cookies_never);
	seg = syn_with(&h, TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_TS | TERN_OPT_WS);
	tern_addr_set_v4(&seg.t.raddr, 10, 0, 0, 2);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(tern_stack__nreqs(h.s), 0);
	CHECK_EQ(H_MIB(&h, Ip6InHdrErrors), 1);
	CHECK_EQ(H_MIB(&h, ListenDrops), 0);
	h_free(&h);
}

/* In cookie mode too: no stateless SYN-ACK either. */
static void cookies_always(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_ALWAYS;
}

TEST(test_listen_syn6_v4mapped_source_no_cookie)
{
	struct h h;
	struct tern_seg seg;

	h_init6(&h, cookies_always);
	seg = syn_with(&h, TERN_OPT_MSS | TERN_OPT_TS);
	tern_addr_set_v4(&seg.t.raddr, 192, 0, 2, 7);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(H_MIB(&h, SyncookiesSent), 0);
	CHECK_EQ(H_MIB(&h, Ip6InHdrErrors), 1);
	h_free(&h);
}

/* An IPv6 SYN to the v4-mapped form of an IPv4 listener's address would
 * find that listener (listeners are keyed by v4-mapped addresses): no
 * SYN-ACK. The same SYN over IPv4 is answered. */
TEST(test_listen_syn6_v4mapped_destination_dropped)
{
	struct h h;
	struct tern_seg seg;

	h_init(&h, cookies_never);
	seg = syn_with(&h, TERN_OPT_MSS | TERN_OPT_TS);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 1);
	seg.t.family = 6;
	seg.t.rport = 40001;
	tern_addr_set_v4(&seg.t.raddr, 10, 0, 0, 3);
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(tern_stack__nreqs(h.s), 1);
	CHECK_EQ(H_MIB(&h, Ip6InHdrErrors), 1);
	seg.t.raddr.b[0] = 0x20; /* a real IPv6 source, still a v4-mapped destination */
	seg.t.raddr.b[10] = seg.t.raddr.b[11] = 0;
	h_in(&h, &seg);
	CHECK_EQ(h.out.n, 0);
	CHECK_EQ(H_MIB(&h, Ip6InHdrErrors), 2);
	h_free(&h);
}
