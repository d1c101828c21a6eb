// SPDX-License-Identifier: GPL-2.0-only
/*
 * Random loss on the client veth of tests/net/test_datapath.sh (this
 * kernel has no netem or tc drop action): "xdp" drops one IPv4/IPv6 TCP
 * frame in ONE_IN of those tern sends (the veth's ingress), "tc" (clsact
 * egress) one in ONE_IN of those the client sends. The tc side answers
 * TC_ACT_STOLEN, not TC_ACT_SHOT: a shot frame is reported to the sending
 * socket (NET_XMIT_DROP), whose TCP then sends it again as if it had never
 * left, while a stolen one counts as sent and is lost on the wire. veth
 * counts the XDP drops (ethtool -S: rx_queue_N_xdp_drops); the client
 * kernel's RetransSegs shows the tc ones.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef ONE_IN
#define ONE_IN 25
#endif

static int is_tcp(void *data, void *end)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		return (void *)(ip + 1) <= end && ip->protocol == IPPROTO_TCP;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		return (void *)(ip6 + 1) <= end && ip6->nexthdr == IPPROTO_TCP;
	}
	return 0;
}

static int drop(void)
{
	return bpf_get_prandom_u32() % ONE_IN == 0;
}

SEC("xdp")
int loss_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (!is_tcp(data, end))
		return XDP_PASS;
	return drop() ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int loss_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (!is_tcp(data, end))
		return TC_ACT_OK;
	return drop() ? TC_ACT_STOLEN : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
