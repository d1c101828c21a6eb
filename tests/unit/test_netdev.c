// SPDX-License-Identifier: BSD-2-Clause
/*
 * tern_netdev__plan(): what the daemon's options mean on an interface, or
 * the one-line reason they cannot work. The interfaces are described by
 * hand (a 4-queue NIC, a veth), so every rule is checked without a device.
 */
#include <errno.h>
#include <string.h>

#include "t.h"
#include "user/io/netdev.h"
#include "user/io/opts.h"

#define MAX_MTU 1774 /* 2048 - 256 headroom - 14 Ethernet - 4 VLAN */

static struct tern_netdev nic(void)
{
	return (struct tern_netdev){
		.ifindex = 3, .mtu = 1500, .rx_queues = 4, .max_rx_queues = 8,
		.features_known = true, .xdp_features = 0x7f, .xdp_features_known = true,
	};
}

static struct tern_netdev_want want(void)
{
	return (struct tern_netdev_want){ .dev = "eth9", .max_mtu = MAX_MTU,
					  .zerocopy = TERN_ZC_AUTO };
}

static int plan(const struct tern_netdev *nd, const struct tern_netdev_want *w,
		struct tern_netdev_plan *p, char *why)
{
	why[0] = 0;
	return tern_netdev__plan(nd, w, p, why, 512);
}

TEST(test_netdev_default_every_queue)
{
	struct tern_netdev nd = nic();
	struct tern_netdev_want w = want();
	struct tern_netdev_plan p;
	char why[512];

	REQUIRE_EQ(plan(&nd, &w, &p, why), 0);
	CHECK_EQ(p.queues, 4);
	CHECK_EQ(p.mtu, 1500);
	CHECK_EQ(p.zerocopy, TERN_ZC_AUTO);
	CHECK_EQ(p.zc_err, 0);
}

TEST(test_netdev_fewer_queues_refused)
{
	struct tern_netdev nd = nic();
	struct tern_netdev_want w = want();
	struct tern_netdev_plan p;
	char why[512];

	w.queues = 1;
	CHECK_EQ(plan(&nd, &w, &p, why), -EINVAL);
	CHECK(strstr(why, "--queues 1 leaves queues 1..3 of eth9 unserved"));
	CHECK(strstr(why, "--allow-unserved-queues"));
	w.allow_unserved = true;
	REQUIRE_EQ(plan(&nd, &w, &p, why), 0);
	CHECK_EQ(p.queues, 1);
	w.allow_unserved = false;
	w.queues = 3;
	CHECK_EQ(plan(&nd, &w, &p, why), -EINVAL);
	CHECK(strstr(why, "--queues 3 leaves queue 3 of eth9 unserved"));
}

TEST(test_netdev_more_queues_refused)
{
	struct tern_netdev nd = nic();
	struct tern_netdev_want w = want();
	struct tern_netdev_plan p;
	char why[512];

	w.queues = 5;
	w.allow_unserved = true;
	CHECK_EQ(plan(&nd, &w, &p, why), -EINVAL);
	CHECK(strstr(why, "--queues 5: eth9 has only 4 RX queues"));
	w.queues = 4;
	CHECK_EQ(plan(&nd, &w, &p, why), 0);
	CHECK_EQ(p.queues, 4);
}

TEST(test_netdev_too_many_queues_refused)
{
	struct tern_netdev nd = nic();
	struct tern_netdev_want w = want();
	struct tern_netdev_plan p;
	char why[512];

	nd.rx_queues = 65;
	CHECK_EQ(plan(&nd, &w, &p, why), -EINVAL);
	CHECK(strstr(why, "eth9 has 65 RX queues and tern serves at most 64"));
	w.queues = 64;
	w.allow_unserved = true;
	CHECK_EQ(plan(&nd, &w, &p, why), 0);
	CHECK_EQ(p.queues, 64);
}

TEST(test_netdev_mtu_gives_mss)
{
	struct tern_netdev nd = nic();
	struct tern_netdev_want w = want();
	struct tern_netdev_plan p;
	char why[512];

	nd.mtu = 1280;
	REQUIRE_EQ(plan(&nd, &w, &p, why), 0);
	CHECK_EQ(p.mtu, 1280); /* IPv4 MSS 1240, IPv6 1220 */
	nd.mtu = MAX_MTU;
	REQUIRE_EQ(plan(&nd, &w, &p, why), 0);
	CHECK_EQ(p.mtu, MAX_MTU);
}

TEST(test_netdev_jumbo_mtu_refused)
{
	struct tern_netdev nd = nic();
	struct tern_netdev_want w = want();
	struct tern_netdev_plan p;
	char why[512];

	nd.mtu = 9000;
	CHECK_EQ(plan(&nd, &w, &p, why), -EINVAL);
	CHECK(strstr(why, "eth9: MTU 9000 is above the 1774 bytes"));
	CHECK(strstr(why, "ip link set eth9 mtu 1774"));
	nd.mtu = MAX_MTU + 1;
	CHECK_EQ(plan(&nd, &w, &p, why), -EINVAL);
}

TEST(test_netdev_mss_above_mtu_refused)
{
	struct tern_netdev nd = nic();
	struct tern_netdev_want w = want();
	struct tern_netdev_plan p;
	char why[512];

	nd.mtu = 1280;
	w.mss = 1460;
	CHECK_EQ(plan(&nd, &w, &p, why), -EINVAL);
	CHECK(strstr(why, "--mss 1460 needs an MTU of 1500 and eth9 has 1280"));
	w.mss = 1000; /* below the MTU: the operator's choice */
	REQUIRE_EQ(plan(&nd, &w, &p, why), 0);
	CHECK_EQ(p.mtu, 1040);
}

TEST(test_netdev_lro_refused)
{
	struct tern_netdev nd = nic();
	struct tern_netdev_want w = want();
	struct tern_netdev_plan p;
	char why[512];

	nd.lro = true;
	CHECK_EQ(plan(&nd, &w, &p, why), -EINVAL);
	CHECK(strstr(why, "large-receive-offload is on"));
	CHECK(strstr(why, "ethtool -K eth9 lro off"));
	nd.lro = false;
	nd.gro_hw = true;
	CHECK_EQ(plan(&nd, &w, &p, why), -EINVAL);
	CHECK(strstr(why, "ethtool -K eth9 rx-gro-hw off"));
}

TEST(test_netdev_vlan_strip_refused)
{
	struct tern_netdev nd = nic();
	struct tern_netdev_want w = want();
	struct tern_netdev_plan p;
	char why[512];

	nd.rxvlan = true;
	CHECK_EQ(plan(&nd, &w, &p, why), -EINVAL);
	CHECK(strstr(why, "rx-vlan-offload is on"));
	CHECK(strstr(why, "ethtool -K eth9 rxvlan off"));
	nd.rxvlan = false;
	nd.rxvlan_stag = true;
	CHECK_EQ(plan(&nd, &w, &p, why), -EINVAL);
	CHECK(strstr(why, "rx-vlan-stag-hw-parse off"));
}

TEST(test_netdev_zerocopy_from_xdp_features)
{
	struct tern_netdev nd = nic();
	struct tern_netdev_want w = want();
	struct tern_netdev_plan p;
	char why[512];

	nd.xdp_features = TERN_NETDEV_XDP_ACT_REDIRECT; /* veth: no xsk-zerocopy */
	REQUIRE_EQ(plan(&nd, &w, &p, why), 0);
	CHECK_EQ(p.zerocopy, TERN_ZC_OFF);
	CHECK_EQ(p.zc_err, EOPNOTSUPP);
	w.zerocopy = TERN_ZC_ON;
	CHECK_EQ(plan(&nd, &w, &p, why), -EINVAL);
	CHECK(strstr(why, "--zerocopy on: the driver of eth9 has no AF_XDP zero-copy"));
	nd.xdp_features_known = false; /* older kernel: the bind decides */
	REQUIRE_EQ(plan(&nd, &w, &p, why), 0);
	CHECK_EQ(p.zerocopy, TERN_ZC_ON);
	nd = nic(); /* a driver with zero-copy */
	REQUIRE_EQ(plan(&nd, &w, &p, why), 0);
	CHECK_EQ(p.zerocopy, TERN_ZC_ON);
	CHECK_EQ(p.zc_err, 0);
}
