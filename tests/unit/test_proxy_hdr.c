// SPDX-License-Identifier: BSD-2-Clause
/*
 * --app proxy, the pure parts: the PROXY protocol encoder against the
 * layouts and examples of haproxy's doc/proxy-protocol.txt, byte for
 * byte; --backend parsing; the backend choice (round robin, least
 * connections, unhealthy backends skipped).
 */
#include <arpa/inet.h>
#include <errno.h>

#include "t.h"
#include "user/app/proxy_priv.h"

static void tuple4(struct tern_tuple *t, const char *src, uint16_t sport, const char *dst,
		   uint16_t dport)
{
	memset(t, 0, sizeof(*t));
	t->family = 4;
	t->raddr.b[10] = t->raddr.b[11] = 0xff;
	t->laddr.b[10] = t->laddr.b[11] = 0xff;
	inet_pton(AF_INET, src, t->raddr.b + 12);
	inet_pton(AF_INET, dst, t->laddr.b + 12);
	t->rport = sport;
	t->lport = dport;
}

static void tuple6(struct tern_tuple *t, const char *src, uint16_t sport, const char *dst,
		   uint16_t dport)
{
	memset(t, 0, sizeof(*t));
	t->family = 6;
	inet_pton(AF_INET6, src, t->raddr.b);
	inet_pton(AF_INET6, dst, t->laddr.b);
	t->rport = sport;
	t->lport = dport;
}

/* proxy-protocol.txt 2.1, the TCP/IPv4 example. */
TEST(test_proxy_v1_ipv4_spec_example)
{
	static const char want[] = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
	struct tern_tuple t;
	uint8_t buf[TERN_PROXY_HDR_MAX];

	tuple4(&t, "192.168.0.1", 56324, "192.168.0.11", 443);
	REQUIRE_EQ(tern_proxy__header(1, &t, buf, sizeof(buf)), sizeof(want) - 1);
	CHECK(!memcmp(buf, want, sizeof(want) - 1));
}

/* 2.1: the longest TCP6 line (104 bytes, within the 107 a receiver takes). */
TEST(test_proxy_v1_ipv6_longest)
{
	static const char want[] = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
				   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	struct tern_tuple t;
	uint8_t buf[TERN_PROXY_HDR_MAX];

	tuple6(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
	       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	REQUIRE_EQ(tern_proxy__header(1, &t, buf, sizeof(buf)), 104);
	CHECK(!memcmp(buf, want, 104));
}

TEST(test_proxy_v1_ipv6_compressed)
{
	static const char want[] = "PROXY TCP6 2001:db8::1 fd00:200::1 40000 80\r\n";
	struct tern_tuple t;
	uint8_t buf[TERN_PROXY_HDR_MAX];

	tuple6(&t, "2001:db8::1", 40000, "fd00:200::1", 80);
	REQUIRE_EQ(tern_proxy__header(1, &t, buf, sizeof(buf)), sizeof(want) - 1);
	CHECK(!memcmp(buf, want, sizeof(want) - 1));
}

/* 2.2: signature, 0x21 (v2, PROXY), 0x11 (TCP over IPv4), length 12,
 * src addr, dst addr, src port, dst port, network order. */
TEST(test_proxy_v2_ipv4)
{
	static const uint8_t want[28] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
		0x21, 0x11, 0x00, 0x0c,
		192, 168, 0, 1,   192, 168, 0, 11,
		0xdc, 0x04,       0x01, 0xbb,
	};
	struct tern_tuple t;
	uint8_t buf[TERN_PROXY_HDR_MAX];

	tuple4(&t, "192.168.0.1", 56324, "192.168.0.11", 443);
	REQUIRE_EQ(tern_proxy__header(2, &t, buf, sizeof(buf)), sizeof(want));
	CHECK(!memcmp(buf, want, sizeof(want)));
}

/* 0x21 (TCP over IPv6), length 36. */
TEST(test_proxy_v2_ipv6)
{
	static const uint8_t want[52] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
		0x21, 0x21, 0x00, 0x24,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
		0xfd, 0x00, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
		0x9c, 0x40,       0x00, 0x50,
	};
	struct tern_tuple t;
	uint8_t buf[TERN_PROXY_HDR_MAX];

	tuple6(&t, "2001:db8::1", 40000, "fd00:200::1", 80);
	REQUIRE_EQ(tern_proxy__header(2, &t, buf, sizeof(buf)), sizeof(want));
	CHECK(!memcmp(buf, want, sizeof(want)));
}

TEST(test_proxy_header_errors)
{
	struct tern_tuple t;
	uint8_t buf[TERN_PROXY_HDR_MAX];

	tuple4(&t, "10.0.0.1", 1, "10.0.0.2", 2);
	CHECK_EQ(tern_proxy__header(0, &t, buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(tern_proxy__header(3, &t, buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(tern_proxy__header(2, &t, buf, 27), -ENOSPC);
	CHECK_EQ(tern_proxy__header(1, &t, buf, 10), -ENOSPC);
	t.family = 0;
	CHECK_EQ(tern_proxy__header(1, &t, buf, sizeof(buf)), -EINVAL);
}

TEST(test_proxy_parse_backend)
{
	static const char *const bad[] = {
		"10.0.0.1", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:80x",
		"::1:80", "[::1]80", "[::1]:", "host:80", ":80", "[]:80", "10.0.0.256:1",
		"10.0.0.1:-1", "[10.0.0.1]:80",
	};
	struct tern_proxy_backend b;
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&b.sa;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&b.sa;

	REQUIRE_EQ(tern_proxy__parse_backend(&b, "10.1.2.3:8080"), 0);
	CHECK_EQ(a4->sin_family, AF_INET);
	CHECK_EQ(ntohs(a4->sin_port), 8080);
	CHECK_EQ(ntohl(a4->sin_addr.s_addr), 0x0a010203);
	CHECK_EQ(b.salen, sizeof(*a4));
	CHECK(!strcmp(b.name, "10.1.2.3:8080"));
	REQUIRE_EQ(tern_proxy__parse_backend(&b, "[fd00::2]:65535"), 0);
	CHECK_EQ(a6->sin6_family, AF_INET6);
	CHECK_EQ(ntohs(a6->sin6_port), 65535);
	CHECK_EQ(a6->sin6_addr.s6_addr[0], 0xfd);
	CHECK_EQ(a6->sin6_addr.s6_addr[15], 2);
	CHECK_EQ(b.salen, sizeof(*a6));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tern_proxy__parse_backend(&b, bad[i]) != -EINVAL)
			t_fail(__FILE__, __LINE__, bad[i]);
}

static void pool3(struct px *px, uint8_t balance)
{
	memset(px, 0, sizeof(*px));
	px->o.nbackends = 3;
	px->o.balance = balance;
	px->o.health_interval_ms = UINT32_MAX;
	for (int i = 0; i < 3; i++) {
		char s[32];

		snprintf(s, sizeof(s), "10.0.0.%d:80", i + 1);
		tern_proxy__parse_backend(&px->o.backends[i], s);
	}
	REQUIRE_EQ(px_pool__init(px), 0);
}

/* The index in the current set of what pick() chose, -1 for none. */
static int pick(struct px *px)
{
	struct px_backend *b = px_pool__pick(px);

	for (int i = 0; b && i < px->o.nbackends; i++)
		if (px->be[i] == b)
			return i;
	return -1;
}

TEST(test_proxy_pick_rr)
{
	static struct px px;

	pool3(&px, TERN_PROXY_RR);
	CHECK_EQ(pick(&px), 0);
	CHECK_EQ(pick(&px), 1);
	CHECK_EQ(pick(&px), 2);
	CHECK_EQ(pick(&px), 0);
	px.be[1]->healthy = 0;
	CHECK_EQ(pick(&px), 2);
	CHECK_EQ(pick(&px), 0);
	CHECK_EQ(pick(&px), 2);
	px.be[0]->healthy = px.be[2]->healthy = 0;
	CHECK_EQ(pick(&px), -1);
	px_pool__fini(&px);
}

TEST(test_proxy_pick_leastconn)
{
	static struct px px;

	pool3(&px, TERN_PROXY_LEASTCONN);
	px.be[0]->conns = 5;
	px.be[1]->conns = 2;
	px.be[2]->conns = 3;
	CHECK_EQ(pick(&px), 1);
	px.be[1]->healthy = 0;
	CHECK_EQ(pick(&px), 2);
	/* ties: the cursor moves past the last choice */
	px.be[1]->healthy = 1;
	px.be[0]->conns = px.be[1]->conns = px.be[2]->conns = 0;
	CHECK_EQ(pick(&px), 0);
	CHECK_EQ(pick(&px), 1);
	CHECK_EQ(pick(&px), 2);
	px_pool__fini(&px);
}

/* A reload: 10.0.0.2 stays (its state and connections with it), 10.0.0.1
 * and 10.0.0.3 go, 10.0.0.9 comes healthy; a removed backend with a
 * connection lives until that connection leaves it. */
TEST(test_proxy_pool_set_keeps_and_retires)
{
	static struct px px;
	struct tern_proxy_opts o;
	struct px_backend *b1, *b2;
	int n = 0;

	pool3(&px, TERN_PROXY_RR);
	b1 = px.be[0];
	b2 = px.be[1];
	b1->conns = 1;
	b2->conns = 2;
	b2->healthy = 0;
	b2->fail_run = 3;
	o = px.o;
	o.nbackends = 2;
	o.backends[0] = px.o.backends[1];
	tern_proxy__parse_backend(&o.backends[1], "10.0.0.9:80");
	REQUIRE_EQ(px_pool__set(&px, &o), 0);
	REQUIRE_EQ(px.o.nbackends, 2);
	CHECK(px.be[0] == b2);
	CHECK_EQ(b2->conns, 2u);
	CHECK_EQ(b2->fail_run, 3);
	CHECK(!b2->healthy);
	CHECK(px.be[1]->healthy && px.be[1]->active && !px.be[1]->conns);
	CHECK(!b1->active);
	CHECK_EQ(px.ctr[PX_BACKENDS_HEALTHY], 1u);
	/* new connections: only the new backend (the kept one is down) */
	CHECK_EQ(pick(&px), 1);
	CHECK_EQ(pick(&px), 1);
	for (struct px_backend *b = px.all; b; b = b->next)
		n++;
	CHECK_EQ(n, 3); /* b2, the new one, and b1 with its connection */
	px_pool__leave(b1);
	n = 0;
	for (struct px_backend *b = px.all; b; b = b->next)
		n++;
	CHECK_EQ(n, 2);
	px_pool__fini(&px);
}

/* ternctl drain: a drained backend takes no new connection, and counts. */
TEST(test_proxy_pool_drained_skipped)
{
	static struct px px;
	struct tern_proxy_opts o;

	pool3(&px, TERN_PROXY_RR);
	o = px.o;
	o.drained = 1u << 1;
	REQUIRE_EQ(px_pool__set(&px, &o), 0);
	CHECK_EQ(px.ctr[PX_BACKENDS_DRAINED], 1u);
	for (int i = 0; i < 6; i++)
		CHECK(pick(&px) != 1);
	o.drained = 7;
	REQUIRE_EQ(px_pool__set(&px, &o), 0);
	CHECK_EQ(pick(&px), -1);
	o.drained = 0;
	REQUIRE_EQ(px_pool__set(&px, &o), 0);
	CHECK_EQ(px.ctr[PX_BACKENDS_DRAINED], 0u);
	CHECK(pick(&px) >= 0);
	px_pool__fini(&px);
}
