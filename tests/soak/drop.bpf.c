// SPDX-License-Identifier: GPL-2.0-only
/*
 * soak_drop: loss on the client veth for the soak (this kernel has no
 * netem or tc drop action): drops one IPv4/IPv6 frame in ONE_IN at random.
 * veth counts them (ethtool -S: rx_queue_N_xdp_drops).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef ONE_IN
#define ONE_IN 50
#endif

SEC("xdp")
int soak_drop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end ||
	    (eth->h_proto != bpf_htons(ETH_P_IP) && eth->h_proto != bpf_htons(ETH_P_IPV6)))
		return XDP_PASS;
	return bpf_get_prandom_u32() % ONE_IN ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
