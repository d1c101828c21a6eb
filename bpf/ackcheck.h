/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Segments to no flow, dropped in XDP while the queue's cookie flag is on
 * (issue 15, docs/xdp-syn.md "ACKs in XDP"). A segment without SYN to a
 * service goes on to the worker when its tuple is in the queue's flow
 * filter (the worker's stack counts every tuple it holds a record of:
 * half-open, connection, TIME-WAIT), or when it is an ACK (RST clear)
 * whose acknowledgment number is a valid cookie for its tuple
 * (check_tcp_syn_cookie(), with include/tern/cookie.h as the core checks
 * it). Everything else is dropped and counted XdpAckDrops, so that an ACK
 * flood never reaches the RX ring.
 *
 * tern: Linux answers an ACK to a listener that fails the cookie check
 * with a RST (tcp_v4_do_rcv() -> tcp_rcv_state_process() returns 1 for an
 * ACK in LISTEN); XDP drops it silently. A RST or a segment without ACK to
 * no socket Linux discards too (tcp_rcv_state_process(), LISTEN).
 *
 * The filter is read first, so that a segment of a flow the worker holds
 * is never dropped; a collision only lets a flood segment through.
 *
 * Included once, by tern.bpf.c, after synack.h.
 */
#ifndef TERN_BPF_ACKCHECK_H
#define TERN_BPF_ACKCHECK_H

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, TERN_XDP_MAX_QUEUES * TERN_FLOW_SLOTS_MAX / 8);
	__type(key, __u32);
	__type(value, __u64); /* 8 counters; mmapped, the bytes are contiguous */
} tern_flows SEC(".maps");

/* The tuple as the cookie's hash input (count 0) and the TCP words the
 * cookie check needs. */
struct ack_in {
	struct tern_cookie_in6 in6;
	struct tern_cookie_in4 in4;
	__u32 seq;
	__u32 ack;
	__u8 flags;
};

/* The segment's addresses, ports, SEQ, ACK and flags; *v6 the family.
 * IPv6 extension headers and bad lengths were dropped by check(). */
static __always_inline int ack_load(struct xdp_md *ctx, const struct pkt *p, int *v6,
				    struct ack_in *a)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 th_off = (__u32)(p->th - data);
	__u8 th[14];
	__u16 proto;
	void *l3;

	l3 = parse_eth(data, end, &proto);
	if (!l3 || bpf_xdp_load_bytes(ctx, th_off, th, sizeof(th)))
		return -1;
	*v6 = proto == bpf_htons(ETH_P_IPV6);
	if (*v6) {
		if (bpf_xdp_load_bytes(ctx, (__u32)(l3 - data) + 8, a->in6.saddr, 32))
			return -1;
		a->in6.ports = (__u32)th[0] << 24 | (__u32)th[1] << 16 | (__u32)th[2] << 8 | th[3];
	} else {
		if (bpf_xdp_load_bytes(ctx, (__u32)(l3 - data) + 12, a->in4.saddr, 8))
			return -1;
		a->in4.ports = (__u32)th[0] << 24 | (__u32)th[1] << 16 | (__u32)th[2] << 8 | th[3];
	}
	a->seq = get32(th + 4);
	a->ack = get32(th + 8);
	a->flags = th[13];
	return 0;
}

/* Is the tuple's counter in this queue's part of the filter nonzero? */
static __always_inline bool ack_known(__u32 queue, __u32 hash, __u32 mask)
{
	__u32 slot, word;
	__u8 *w;

	if (queue >= TERN_XDP_MAX_QUEUES)
		return true; /* no filter: never drop */
	slot = queue * TERN_FLOW_SLOTS_MAX + (hash & mask & (TERN_FLOW_SLOTS_MAX - 1));
	word = slot / 8;
	w = bpf_map_lookup_elem(&tern_flows, &word);
	if (!w)
		return true;
	return w[slot & 7] != 0;
}

/* check_tcp_syn_cookie() for the ACK under one pair of keys, at count
 * and the one before (tern_cookie_check4/6()). */
static __always_inline bool ack_cookie_ok4(const struct tern_sipkey *key, struct ack_in *a,
					   __u32 count)
{
	return tern_cookie_check4(&key[0], &a->in4, a->ack - 1, a->seq - 1, count) >= 0;
}

static __always_inline bool ack_cookie_ok6(const struct tern_sipkey *key, struct ack_in *a,
					   __u32 count)
{
	return tern_cookie_check6(&key[0], &a->in6, a->ack - 1, a->seq - 1, count) >= 0;
}

/* tern_cookie_check(): the current keys, then the previous ones while a
 * cookie of theirs can still be valid (a fleet secret was rotated), on
 * the count's clock synack.h issues with (count_off: the fleet's). */
static __always_inline bool ack_cookie_ok(const struct tern_xdp_cookie_cfg *cfg, struct ack_in *a,
					  int v6)
{
	__u32 count = tern_cookie_count(bpf_ktime_get_ns() + (__u64)cfg->count_off);

	if (v6 ? ack_cookie_ok6(cfg->cookie, a, count) : ack_cookie_ok4(cfg->cookie, a, count))
		return true;
	if (!cfg->has_prev || count - cfg->prev_count >= TERN_COOKIE_MAX_AGE)
		return false;
	return v6 ? ack_cookie_ok6(cfg->prev, a, count) : ack_cookie_ok4(cfg->prev, a, count);
}

/* Does the queue want XDP to check this segment? Not a SYN (those are
 * synack.h's), the flag on, a socket on the queue. */
static __always_inline bool ack_check_wanted(struct xdp_md *ctx, const struct pkt *p)
{
	const struct tcphdr *th = p->th;
	__u32 q = ctx->rx_queue_index;
	__u64 *on;

	if (th->syn)
		return false;
	on = bpf_map_lookup_elem(&tern_cookie_on, &q);
	if (!on || !*on)
		return false;
	return bpf_map_lookup_elem(&tern_xsks, &q) != NULL;
}

/* The counter of the verdict: TERN_XDP_ACK_FLOW or TERN_XDP_ACK_COOKIE
 * (steer), TERN_XDP_ACK_DROPS (drop), or -1 (steer, no keys yet). */
static __always_inline int ack_check(struct xdp_md *ctx, const struct pkt *p)
{
	const struct tern_xdp_cookie_cfg *cfg;
	struct ack_in a = {};
	__u32 zero = 0, hash;
	int v6 = 0;

	cfg = bpf_map_lookup_elem(&tern_cookie_cfg, &zero);
	if (!cfg || !cfg->ready || ack_load(ctx, p, &v6, &a))
		return -1;
	hash = v6 ? tern_flow_hash6(&cfg->flow, &a.in6) : tern_flow_hash4(&cfg->flow, &a.in4);
	if (ack_known(ctx->rx_queue_index, hash, cfg->flow_mask))
		return TERN_XDP_ACK_FLOW;
	/* cookie_v4_check(): only an ACK without RST can carry a cookie */
	if (!(a.flags & 0x10) || (a.flags & 0x04))
		return TERN_XDP_ACK_DROPS;
	return ack_cookie_ok(cfg, &a, v6) ? TERN_XDP_ACK_COOKIE : TERN_XDP_ACK_DROPS;
}

#endif
