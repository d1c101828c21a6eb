// SPDX-License-Identifier: GPL-2.0-only
/*
 * tern_steer: steer the TCP flows of configured services into AF_XDP sockets.
 *
 * Ethernet (at most one 802.1Q tag) -> IPv4 / IPv6 -> TCP. A frame whose
 * (destination address, destination port) is in tern_services is a service
 * frame: malformed ones are dropped here and counted, the rest go to the
 * AF_XDP socket bound to the receiving queue. With no socket on that queue
 * (daemon down) the frame falls back to the kernel. Everything else returns
 * XDP_PASS, so programs after this one in libxdp's dispatcher still run.
 * ICMP errors about a service's segments go to the same socket (icmp.h).
 *
 * The header checks follow Linux's ip_rcv_core() and tcp_v4_rcv(), and the
 * core's parser (user/core/parse.c), which checks the same again.
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>

#include "tern/xdp.h"

#define IP4_MF_OFFSET 0x3fff /* MF | fragment offset, as ip_is_fragment() */
#define TCP_HLEN 20

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TERN_XDP_MAX_SERVICES);
	__type(key, struct tern_svc_key);
	__type(value, struct tern_svc_val);
} tern_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TERN_SVC_PORTS);
	__type(key, __u32);
	__type(value, struct tern_svc_port);
} tern_svc_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, TERN_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} tern_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TERN_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} tern_unserved SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TERN_XDP__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} tern_counters SEC(".maps");

/*
 * libxdp dispatcher metadata: chain to the next program on XDP_PASS only.
 * Priority 60 runs after programs at the default 50 (filters, blocklists),
 * which should see service traffic before it leaves for user space.
 */
struct {
	__uint(priority, 60);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(tern_steer);

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* A TCP candidate: its service key and what the IP layer said about it. */
struct pkt {
	struct tern_svc_key key;
	void *th;       /* TCP header; its two port fields are in the frame */
	__u32 l4_len;   /* TCP header + payload, from the IP length fields */
	bool ip_bad;    /* IHL or total/payload length is wrong */
	bool frag;      /* IPv4 fragment */
	bool exthdr;    /* IPv6 extension headers before TCP */
	bool martian;   /* source address Linux would not accept */
	bool v4;        /* key.addr is IPv4-mapped */
};

static __always_inline void count(__u32 id)
{
	__u64 *v = bpf_map_lookup_elem(&tern_counters, &id);

	if (v)
		*v += 1;
}

static __always_inline void *parse_eth(void *data, void *end, __u16 *proto)
{
	struct ethhdr *eth = data;
	struct vlan_hdr *vh;

	if ((void *)(eth + 1) > end)
		return NULL;
	*proto = eth->h_proto;
	if (*proto != bpf_htons(ETH_P_8021Q))
		return eth + 1;
	vh = (void *)(eth + 1);
	if ((void *)(vh + 1) > end)
		return NULL;
	*proto = vh->proto;
	return vh + 1;
}

/* Returns 0 when the ports can be read; the key's port is filled. */
static __always_inline int read_port(struct pkt *p, void *th, void *end)
{
	struct tcphdr *t = th;

	if ((void *)&t->dest + sizeof(t->dest) > end)
		return -1;
	p->th = th;
	p->key.port = t->dest;
	return 0;
}

/*
 * Martian sources, as fib_validate_source() and ip_route_input_slow() drop
 * them: the service address itself (LAND), 0/8, loopback, multicast and
 * class E (which holds the limited broadcast address).
 */
static __always_inline bool martian4(__be32 saddr, __be32 daddr)
{
	__u8 a = bpf_ntohl(saddr) >> 24;

	return saddr == daddr || a == 0 || a == 127 || a >= 224;
}

/* The IPv6 ones: the service address, ::, ::1, and multicast (ff00::/8). */
static __always_inline bool martian6(const struct ipv6hdr *ip6)
{
	const __u32 *s = ip6->saddr.in6_u.u6_addr32;
	const __u32 *d = ip6->daddr.in6_u.u6_addr32;

	if (s[0] == d[0] && s[1] == d[1] && s[2] == d[2] && s[3] == d[3])
		return true;
	if ((bpf_ntohl(s[0]) >> 24) == 0xff)
		return true;
	return !s[0] && !s[1] && !s[2] && (!s[3] || s[3] == bpf_htonl(1));
}

/*
 * RFC 791. With a bad IHL or length the ports are read where a minimal
 * header would put them, so that a service can still be recognised and the
 * frame dropped.
 */
static __always_inline int parse_ip4(struct iphdr *ip, void *end,
				     struct pkt *p)
{
	__u32 ihl, tot, off;

	if ((void *)(ip + 1) > end || ip->version != 4 ||
	    ip->protocol != IPPROTO_TCP)
		return -1;
	ihl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	p->ip_bad = ihl < sizeof(*ip) || tot < ihl || (void *)ip + tot > end;
	off = p->ip_bad ? sizeof(*ip) : ihl;
	p->martian = martian4(ip->saddr, ip->daddr);
	p->frag = (ip->frag_off & bpf_htons(IP4_MF_OFFSET)) != 0;
	p->l4_len = p->ip_bad ? 0 : tot - ihl;
	p->v4 = true;
	p->key.addr[10] = 0xff;
	p->key.addr[11] = 0xff;
	__builtin_memcpy(&p->key.addr[12], &ip->daddr, 4);
	return read_port(p, (void *)ip + off, end);
}

#define IP6_MAX_EXTHDRS 4

/*
 * RFC 8200 4: skips up to IP6_MAX_EXTHDRS hop-by-hop, routing, fragment
 * and destination-options headers to find TCP. Returns the TCP header and
 * sets *len to the bytes of extension headers, or NULL when TCP is not
 * found (not a service frame: the kernel has it).
 */
static __always_inline void *skip_exthdrs(struct ipv6hdr *ip6, void *end, __u32 *len)
{
	__u8 *h = (void *)(ip6 + 1);
	__u8 nh = ip6->nexthdr;
	__u32 n;

#pragma unroll
	for (int i = 0; i < IP6_MAX_EXTHDRS; i++) {
		if (nh == IPPROTO_TCP)
			break;
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_FRAGMENT && nh != IPPROTO_DSTOPTS)
			return NULL;
		if ((void *)(h + 2) > end)
			return NULL;
		n = nh == IPPROTO_FRAGMENT ? 8 : (h[1] + 1) * 8;
		nh = h[0];
		h += n;
		*len += n;
	}
	return nh == IPPROTO_TCP ? h : NULL;
}

/*
 * RFC 8200: the core takes only TCP straight after the fixed header; a
 * service frame behind extension headers is recognised and dropped here,
 * so that the kernel (with no listener on the port) does not refuse it.
 */
static __always_inline int parse_ip6(struct ipv6hdr *ip6, void *end,
				     struct pkt *p)
{
	__u32 plen, ext = 0;
	void *th;

	if ((void *)(ip6 + 1) > end || ip6->version != 6)
		return -1;
	th = skip_exthdrs(ip6, end, &ext);
	if (!th)
		return -1;
	p->exthdr = ext != 0;
	plen = bpf_ntohs(ip6->payload_len);
	p->ip_bad = (void *)(ip6 + 1) + plen > end || plen < ext;
	p->l4_len = p->ip_bad ? 0 : plen - ext;
	p->martian = martian6(ip6);
	__builtin_memcpy(p->key.addr, &ip6->daddr, 16);
	return read_port(p, th, end);
}

static __always_inline int parse(struct xdp_md *ctx, struct pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	void *l3;
	__u16 proto;

	l3 = parse_eth(data, end, &proto);
	if (!l3)
		return -1;
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ip4(l3, end, p);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ip6(l3, end, p);
	return -1;
}

/*
 * Is p's key in tern_services? A port with one service of the frame's
 * family answers from its tern_svc_ports entry, an array lookup (inlined
 * by the verifier) and an address compare, where the hash lookup costs
 * about 14 ns a frame (docs/xdp-syn.md).
 */
static __always_inline bool is_service(const struct pkt *p)
{
	__u32 port = p->key.port;
	const struct tern_svc_port *e = bpf_map_lookup_elem(&tern_svc_ports, &port);
	const __u32 *a = (const __u32 *)p->key.addr, *e6;

	if (e && p->v4 && (e->flags & TERN_SVC_PORT_ONE4))
		return a[3] == *(const __u32 *)e->addr4;
	if (e && !p->v4 && (e->flags & TERN_SVC_PORT_ONE6)) {
		e6 = (const __u32 *)e->addr6;
		return a[0] == e6[0] && a[1] == e6[1] && a[2] == e6[2] && a[3] == e6[3];
	}
	return bpf_map_lookup_elem(&tern_services, &p->key) != NULL;
}

/*
 * A service frame: the counter of the reason to drop it, or -1 to steer.
 * tern does not reassemble. A later fragment carries no TCP header: its
 * "ports" are payload bytes, and it is dropped only when they happen to
 * name a service; the kernel then drops the rest when reassembly times out.
 */
static __always_inline int check(struct pkt *p, void *end)
{
	struct tcphdr *th = p->th;
	__u32 doff;

	if (p->ip_bad)
		return TERN_XDP_DROP_TCP_HDR;
	if (p->frag)
		return TERN_XDP_DROP_FRAG;
	if (p->exthdr)
		return TERN_XDP_DROP_IP6_EXT;
	if (p->martian)
		return TERN_XDP_DROP_MARTIAN;
	if ((void *)(th + 1) > end || p->l4_len < TCP_HLEN)
		return TERN_XDP_DROP_TCP_HDR;
	doff = th->doff * 4;
	if (doff < TCP_HLEN || doff > p->l4_len || (void *)th + doff > end)
		return TERN_XDP_DROP_TCP_HDR;
	if (th->syn && th->fin)
		return TERN_XDP_DROP_SYNFIN;
	if (th->syn && th->rst)
		return TERN_XDP_DROP_SYNRST;
	return -1;
}

/*
 * No socket on this queue. While tern runs with --allow-unserved-queues,
 * the queue is marked with the queue whose socket proves it runs: drop the
 * frame (the kernel has no listener and would reset the flow). Unmarked, or
 * with that socket gone (tern stopped or killed), the kernel has it.
 */
static __always_inline int no_socket(__u32 queue)
{
	__u32 *anchor = bpf_map_lookup_elem(&tern_unserved, &queue);
	__u32 q;

	if (anchor && *anchor) {
		q = *anchor - 1;
		if (bpf_map_lookup_elem(&tern_xsks, &q)) {
			count(TERN_XDP_DROP_UNSERVED);
			return XDP_DROP;
		}
	}
	count(TERN_XDP_NO_SOCKET);
	return XDP_PASS;
}
#include "synack.h"
#include "icmp.h"

/* An ICMP error for a service flow (icmp.h): to the queue's socket. */
static __always_inline int steer_icmp(struct xdp_md *ctx)
{
	long act = bpf_redirect_map(&tern_xsks, ctx->rx_queue_index, XDP_PASS);

	if (act != XDP_REDIRECT)
		return no_socket(ctx->rx_queue_index);
	count(TERN_XDP_ICMP_STEERED);
	return act;
}
#include "ackcheck.h"

SEC("xdp")
int tern_steer(struct xdp_md *ctx)
{
	void *end = (void *)(long)ctx->data_end;
	struct pkt p;
	long act;
	int drop;


	__builtin_memset(&p, 0, sizeof(p));
	count(TERN_XDP_SEEN);
	if (parse(ctx, &p) || !is_service(&p)) {
		if (!icmp_for_service(ctx))
			return steer_icmp(ctx);
		count(TERN_XDP_PASSED);
		return XDP_PASS;
	}
	drop = check(&p, end);
	if (drop >= 0) {
		count(drop);
		return XDP_DROP;
	}
	if (ack_check_wanted(ctx, &p)) {
		drop = ack_check(ctx, &p);
		if (drop >= 0)
			count(drop);
		if (drop == TERN_XDP_ACK_DROPS) {
			load_add(ctx->rx_queue_index);
			return XDP_DROP;
		}
	}
	if (synack_wanted(ctx, &p)) {
		if (synack_answer(ctx) == XDP_TX) {
			count(TERN_XDP_SYNCOOKIES_SENT);
			load_add(ctx->rx_queue_index);
			return XDP_TX;
		}
		count(TERN_XDP_SYNCOOKIES_SKIP);
	}
	act = bpf_redirect_map(&tern_xsks, ctx->rx_queue_index, XDP_PASS);
	if (act != XDP_REDIRECT)
		return no_socket(ctx->rx_queue_index);
	count(TERN_XDP_STEERED);
	return act;
}

char _license[] SEC("license") = "GPL";
