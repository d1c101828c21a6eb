// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_loss: random loss for the benchmarks (this kernel has no netem).
 * On the client veth it drops LOSS_PCT % of the IPv4 TCP frames the server
 * sends, chosen with bpf_get_prandom_u32(); everything else passes. Built
 * once per percentage (tools/bench/xdp/loss<PCT>.bpf.o). LOSS_PCT 100 is
 * the XDP_DROP sink on the server veth that measures what the generator
 * costs on its own.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef LOSS_PCT
#error "LOSS_PCT: percentage of frames to drop, 0..100"
#endif
#if LOSS_PCT < 0 || LOSS_PCT > 100
#error "LOSS_PCT: 0..100"
#endif
#define LOSS_BELOW ((__u64)LOSS_PCT * 0x100000000ull / 100)

SEC("xdp")
int bench_loss(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	if (LOSS_PCT == 100)
		return XDP_DROP;
	return bpf_get_prandom_u32() < LOSS_BELOW ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
