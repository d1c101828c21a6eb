// SPDX-License-Identifier: GPL-2.0-only
/*
 * flood_rx: the benchmark tools' receive side (tern-flood, tern-reflect).
 * An IPv4 TCP frame whose destination address is in the configured subnet
 * (flood_cfg[0]: address and mask, network order) goes to the AF_XDP socket
 * bound to the receiving queue; everything else is XDP_PASS. tern-flood
 * uses it on the client veth for the spoofed subnet, so the client kernel
 * never sees the SYN-ACKs (no RSTs) and the tool counts them itself;
 * tern-reflect on the server veth for the server's address.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct flood_cfg {
	__be32 net;
	__be32 mask;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flood_cfg);
} flood_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} flood_xsks SEC(".maps");

SEC("xdp")
int flood_rx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct flood_cfg *cfg;
	__u32 zero = 0;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	cfg = bpf_map_lookup_elem(&flood_cfg, &zero);
	if (!cfg || (ip->daddr & cfg->mask) != cfg->net)
		return XDP_PASS;
	return bpf_redirect_map(&flood_xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
