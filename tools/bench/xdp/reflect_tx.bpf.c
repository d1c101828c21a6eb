// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_reflect_tx: the ceiling of the SYN-flood table. Every IPv4 TCP SYN
 * (no options of IP, any of TCP) goes back as a SYN-ACK with XDP_TX, in
 * place: Ethernet and IP addresses and ports swapped, ack = seq + 1, a
 * fixed seq, the SYN's options kept; a bare ACK (no payload) goes back as
 * the RST a listener sends for it (seq = its ack, Linux's
 * tcp_v4_send_reset()). No TCP logic and no state: what any SYN handling
 * in XDP costs at least. The TCP checksum is updated for the 12 bytes
 * that change (RFC 1624); swapping addresses and ports changes neither
 * checksum. Everything else passes. On veth the peer delivers XDP_TX
 * frames only while it has an XDP program itself (tern-flood's).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define REFLECT_SEQ 0x7e57000u /* tern-reflect's */
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10

static __always_inline void swap(struct ethhdr *eth, struct iphdr *ip, struct tcphdr *th)
{
	unsigned char m[ETH_ALEN];
	__be32 a = ip->saddr;
	__be16 p = th->source;

	__builtin_memcpy(m, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, m, ETH_ALEN);
	ip->saddr = ip->daddr;
	ip->daddr = a;
	th->source = th->dest;
	th->dest = p;
}

static __always_inline __u16 fold(__s64 sum)
{
	__u64 c = (__u64)sum & 0xffffffffu;

	c = (c & 0xffff) + (c >> 16);
	c = (c & 0xffff) + (c >> 16);
	return (__u16)~c;
}

SEC("xdp")
int bench_reflect_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip + 1);
	__u32 from[3], to[3], tlen;
	__u8 *w = (__u8 *)th + 4, flags;

	if ((void *)(th + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	flags = ((__u8 *)th)[13];
	tlen = bpf_ntohs(ip->tot_len) - sizeof(*ip);
	__builtin_memcpy(from, w, sizeof(from));
	if ((flags & (F_SYN | F_ACK | F_RST)) == F_SYN) {
		th->ack_seq = bpf_htonl(bpf_ntohl(th->seq) + 1);
		th->seq = bpf_htonl(REFLECT_SEQ);
		((__u8 *)th)[13] = F_SYN | F_ACK;
	} else if (flags == F_ACK && tlen == (__u32)th->doff * 4) {
		th->seq = th->ack_seq;
		th->ack_seq = 0;
		((__u8 *)th)[13] = F_RST;
		th->window = 0;
	} else {
		return XDP_PASS;
	}
	__builtin_memcpy(to, w, sizeof(to));
	th->check = fold(bpf_csum_diff(from, sizeof(from), to, sizeof(to),
				       (__u16)~th->check));
	swap(eth, ip, th);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
