/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ICMP errors for steered flows (issue 14, docs/tcp-data-path.md "Path
 * MTU"): an ICMP "fragmentation needed" (type 3 code 4) or ICMPv6 "packet
 * too big" (type 2) whose quoted IP + TCP header left from a service
 * (quoted source address and port in tern_services) goes to the AF_XDP
 * socket of the receiving queue, as a service frame does; the worker's
 * core checks it again (checksum, quote) and looks its connection up.
 * Everything else ICMP, malformed or short ones included, is the kernel's
 * (XDP_PASS): it ignores what it has no socket for, as before.
 *
 * tern: the error goes to the queue it arrived on. RSS hashes an ICMP
 * error by its own addresses (the router's), not the quoted flow's, so
 * with several queues it may land on a queue whose worker does not own
 * the connection; that worker counts it in IcmpInErrors and the
 * connection learns the MTU from a later error or by retransmitting.
 * Linux has one socket table for all CPUs and always finds the socket.
 *
 * Included once, by tern.bpf.c, after parse_eth(), count() and the maps.
 */
#ifndef TERN_BPF_ICMP_H
#define TERN_BPF_ICMP_H

/* linux/icmp.h pulls in libc headers through linux/if.h: the three
 * numbers and the 8-byte header shape are spelt out here. */
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMPV6_PKT_TOOBIG 2
#define ICMP_QUOTE_L4 8 /* ports and sequence number of the quoted TCP */

struct icmp_err_hdr {
	__u8 type;
	__u8 code;
	__be16 csum;
	__be32 info; /* RFC 1191: unused, next-hop MTU; RFC 4443: MTU */
};

/* The quoted IPv4 header and 8 bytes of TCP: the service key of their
 * source. */
static __always_inline int icmp4_quote(struct iphdr *q, void *end, struct tern_svc_key *key)
{
	struct tcphdr *th;
	__u32 ihl;

	if ((void *)(q + 1) > end || q->version != 4 || q->protocol != IPPROTO_TCP)
		return -1;
	ihl = q->ihl * 4;
	if (ihl < sizeof(*q))
		return -1;
	th = (void *)q + ihl;
	if ((void *)th + ICMP_QUOTE_L4 > end)
		return -1;
	key->addr[10] = 0xff;
	key->addr[11] = 0xff;
	__builtin_memcpy(&key->addr[12], &q->saddr, 4);
	key->port = th->source;
	return 0;
}

static __always_inline int icmp4_key(struct iphdr *ip, void *end, struct tern_svc_key *key)
{
	struct icmp_err_hdr *ic;
	__u32 ihl;

	if ((void *)(ip + 1) > end || ip->version != 4 || ip->protocol != IPPROTO_ICMP ||
	    (ip->frag_off & bpf_htons(IP4_MF_OFFSET)))
		return -1;
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return -1;
	ic = (void *)ip + ihl;
	if ((void *)(ic + 1) > end || ic->type != ICMP_DEST_UNREACH ||
	    ic->code != ICMP_FRAG_NEEDED)
		return -1;
	return icmp4_quote((void *)(ic + 1), end, key);
}

/* tern sends no extension headers: the quoted TCP follows the fixed
 * header, and so must the outer ICMPv6 (as the core's parser wants). */
static __always_inline int icmp6_key(struct ipv6hdr *ip6, void *end, struct tern_svc_key *key)
{
	struct icmp_err_hdr *ic;
	struct ipv6hdr *q;
	struct tcphdr *th;

	if ((void *)(ip6 + 1) > end || ip6->version != 6 || ip6->nexthdr != IPPROTO_ICMPV6)
		return -1;
	ic = (void *)(ip6 + 1);
	if ((void *)(ic + 1) > end || ic->type != ICMPV6_PKT_TOOBIG)
		return -1;
	q = (void *)(ic + 1);
	if ((void *)(q + 1) > end || q->version != 6 || q->nexthdr != IPPROTO_TCP)
		return -1;
	th = (void *)(q + 1);
	if ((void *)th + ICMP_QUOTE_L4 > end)
		return -1;
	__builtin_memcpy(key->addr, &q->saddr, 16);
	key->port = th->source;
	return 0;
}

/* 0 when the frame is an ICMP error about a service's segment. */
static __always_inline int icmp_for_service(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct tern_svc_key key;
	__u16 proto;
	void *l3;
	int r;

	__builtin_memset(&key, 0, sizeof(key));
	l3 = parse_eth(data, end, &proto);
	if (!l3)
		return -1;
	if (proto == bpf_htons(ETH_P_IP))
		r = icmp4_key(l3, end, &key);
	else if (proto == bpf_htons(ETH_P_IPV6))
		r = icmp6_key(l3, end, &key);
	else
		return -1;
	if (r || !bpf_map_lookup_elem(&tern_services, &key))
		return -1;
	return 0;
}

#endif
