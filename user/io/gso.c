// SPDX-License-Identifier: BSD-2-Clause
/*
 * Segmentation offload through an AF_PACKET socket (gso.h). The frame
 * carries the first segment's headers with the run's whole length and
 * the TCP pseudo-header sum (CHECKSUM_PARTIAL, as Linux's
 * __tcp_v4_send_check() leaves a TSO skb); tcp_gso_segment() gives each
 * segment its sequence number, length and checksum, clears FIN and PSH on
 * all but the last, and inet_gso_segment() numbers the IPv4 IDs from the
 * frame's, as a TSO burst of Linux's does.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "user/core/build.h"
#include "gso.h"

#define GSO_SNDBUF (4u << 20) /* a few frames of 64 KiB in flight to a NIC */
#define GSO_HDR_MAX 128u      /* Ethernet + IPv6 + TCP with 40 bytes of options */

int tern_gso__open(struct tern_gso *g, int mode, bool zc, int ifindex, uint32_t max_bytes)
{
	int one = 1, v = GSO_SNDBUF;

	g->fd = -1;
	g->err = 0;
	g->ifindex = ifindex;
	g->max_bytes = max_bytes > TERN_GSO_MAX_BYTES ? TERN_GSO_MAX_BYTES : max_bytes;
	if (mode == TERN_GSO_OFF || (mode == TERN_GSO_AUTO && zc))
		return 0;
	g->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (g->fd < 0 || setsockopt(g->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one))) {
		g->err = errno;
		tern_gso__close(g);
		return mode == TERN_GSO_ON ? -g->err : 0;
	}
	if (setsockopt(g->fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		setsockopt(g->fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	return 0;
}

void tern_gso__close(struct tern_gso *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}

static bool same_flow(const struct tern_tx *a, const struct tern_tx *b)
{
	return a->t.family == b->t.family && a->t.lport == b->t.lport &&
	       a->t.rport == b->t.rport && !memcmp(&a->t.laddr, &b->t.laddr, sizeof(a->t.laddr)) &&
	       !memcmp(&a->t.raddr, &b->t.raddr, sizeof(a->t.raddr)) &&
	       !memcmp(a->l2.peer_mac, b->l2.peer_mac, 6) &&
	       !memcmp(a->l2.local_mac, b->l2.local_mac, 6) && b->l2.has_vlan == a->l2.has_vlan;
}

/* b may follow a in one frame: the same headers but for the sequence
 * number; a is not the last (no FIN or PSH). */
static bool follows(const struct tern_tx *a, const struct tern_tx *b)
{
	return b->seq == a->seq + a->len && b->ack == a->ack && b->win == a->win &&
	       (b->flags & ~(TERN_TH_FIN | TERN_TH_PSH)) == a->flags && b->optlen == a->optlen &&
	       !memcmp(b->opt, a->opt, a->optlen) && b->len && b->len <= a->len &&
	       same_flow(a, b);
}

uint32_t tern_gso__run(const struct tern_tx *tx, uint32_t n, uint32_t max_bytes)
{
	uint32_t hdr = TERN_TCP_HLEN + tx->optlen + (tx->t.family == 6 ? 0 : TERN_IP4_HLEN);
	uint32_t bytes, i;

	if (!tx->len || (tx->flags & ~(TERN_TH_ACK | TERN_TH_ECE)) || tx->l2.has_vlan)
		return 0;
	bytes = hdr + tx->len;
	for (i = 1; i < n && i < TERN_GSO_MAX_SEGS; i++) {
		if (!follows(&tx[i - 1], &tx[i]) || bytes + tx[i].len > max_bytes)
			break;
		bytes += tx[i].len;
		if (tx[i].flags != tx->flags || tx[i].len != tx->len)
			return i + 1; /* FIN, PSH or a short segment: the last */
	}
	return i;
}

int tern_gso__send(const struct tern_gso *g, const struct tern_tx *tx, uint32_t n)
{
	uint8_t hdr[GSO_HDR_MAX];
	struct iovec iov[2 + TERN_GSO_MAX_SEGS];
	struct tern_tx h = tx[n - 1];
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = g->ifindex,
		.sll_protocol = htons(tx->t.family == 6 ? ETH_P_IPV6 : ETH_P_IP),
	};
	struct msghdr msg = { .msg_name = &sll, .msg_namelen = sizeof(sll), .msg_iov = iov };
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = tx->t.family == 6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4,
		.gso_size = htole16((uint16_t)tx->len),
		.csum_offset = htole16(16),
	};
	uint32_t l4off = tern_build_l4off(tx);
	int hlen;

	h.seq = tx->seq;
	h.len = 0;
	for (uint32_t i = 0; i < n; i++) {
		iov[2 + i] = (struct iovec){ (void *)tx[i].payload, tx[i].len };
		h.len += tx[i].len;
	}
	hlen = tern_build_hdr(hdr, sizeof(hdr), &h, TERN_BUILD_CSUM_PARTIAL);
	if (hlen < 0)
		return hlen;
	vh.hdr_len = htole16((uint16_t)hlen);
	vh.csum_start = htole16((uint16_t)l4off);
	iov[0] = (struct iovec){ &vh, sizeof(vh) };
	iov[1] = (struct iovec){ hdr, (size_t)hlen };
	msg.msg_iovlen = 2 + n;
	if (sendmsg(g->fd, &msg, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}
