/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The benchmark tools' receive side: bpf/flood.bpf.o attached (native XDP)
 * to an interface, steering IPv4 TCP for one subnet into one AF_XDP socket
 * (user/io/xsk.h) per RX queue; and the packet helpers tern-flood and
 * tern-reflect share. Functions return 0 or -errno; `what` names the step
 * that failed.
 */
#ifndef TERN_FLOOD_XDP_H
#define TERN_FLOOD_XDP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "user/core/csum.h"
#include "user/io/xsk.h"

struct bpf_object;

#define TERN_FLOOD_MAX_QUEUES 64u /* flood_xsks entries */

/* One RX queue's copy-mode AF_XDP socket and its frame pool. */
struct tern_flood_q {
	struct tern_xsk xsk;
	struct tern_frames frames;
	bool xsk_open;
	bool frames_init;
};

struct tern_flood_xdp {
	struct bpf_object *obj;
	int ifindex;
	int prog_fd;
	int prev_fd; /* the program borrow replaced, given back at close; -1 */
	bool attached;
	int xsks_fd;
	struct tern_flood_q *q; /* q[i] on queue i */
	uint32_t nq;
};

/*
 * Load obj_path (NULL: ../bpf/flood.bpf.o from the executable's directory),
 * steer IPv4 TCP to net/mask (network order) arriving on ifname into a
 * copy-mode AF_XDP socket with its frame pool on the queue it arrives on
 * (every RX queue of ifname with all_queues, else queue 0 only), and attach the
 * program in native mode. With borrow, a native program already attached
 * is replaced and put back at close, each an atomic swap, so the interface
 * never runs without one (on veth the SYN-ACKs a peer sends with XDP_TX
 * reach this side only while it runs one); without, an attached program
 * makes the open fail.
 */
int tern_flood_xdp__open(struct tern_flood_xdp *fx, const char *obj_path, const char *ifname,
			 uint32_t net, uint32_t mask, bool borrow, bool all_queues,
			 const char **what);
/* Detach (or give the borrowed program back), close the socket, free everything (safe after a failed open). */
void tern_flood_xdp__close(struct tern_flood_xdp *fx);

/* Frame layout of an IPv4 TCP frame without VLAN tag or IP options. */
#define FL_ETH 14
#define FL_IP 20
#define FL_TCP_OFF (FL_ETH + FL_IP)
#define FL_TCP_SYN 0x02
#define FL_TCP_RST 0x04
#define FL_TCP_ACK 0x10

static inline uint16_t tern_flood__be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t tern_flood__be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void tern_flood__put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Swap Ethernet and IPv4 addresses and TCP ports of a frame, in place. */
static inline void tern_flood__swap(uint8_t *f)
{
	uint8_t t[6];

	memcpy(t, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, t, 6);
	memcpy(t, f + FL_ETH + 12, 4);
	memcpy(f + FL_ETH + 12, f + FL_ETH + 16, 4);
	memcpy(f + FL_ETH + 16, t, 4);
	memcpy(t, f + FL_TCP_OFF, 2);
	memcpy(f + FL_TCP_OFF, f + FL_TCP_OFF + 2, 2);
	memcpy(f + FL_TCP_OFF + 2, t, 2);
}

/* Recompute the IPv4 header and TCP checksums of a frame whose IP total
 * length is right (tcp_len bytes of TCP header and payload). */
static inline void tern_flood__csum(uint8_t *f, uint32_t tcp_len)
{
	uint8_t *ip = f + FL_ETH, *tcp = f + FL_TCP_OFF;
	uint64_t sum;
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = tern_csum_fold(tern_csum_add(0, ip, FL_IP));
	memcpy(ip + 10, &c, 2);
	tcp[16] = tcp[17] = 0;
	sum = tern_csum_add(0, ip + 12, 8) + 6 + tcp_len;
	c = tern_csum_fold(tern_csum_add(sum, tcp, tcp_len));
	memcpy(tcp + 16, &c, 2);
}

/* TCP header + payload length of an IPv4 TCP frame of len bytes, or 0 if
 * it is not one (VLAN, IP options, truncated). */
static inline uint32_t tern_flood__tcp_len(const uint8_t *f, uint32_t len)
{
	uint32_t tot;

	if (len < FL_TCP_OFF + 20 || f[12] != 0x08 || f[13] != 0x00 || f[FL_ETH] != 0x45 ||
	    f[FL_ETH + 9] != 6)
		return 0;
	tot = tern_flood__be16(f + FL_ETH + 2);
	if (tot < FL_IP + 20 || tot > len - FL_ETH)
		return 0;
	return tot - FL_IP;
}

#endif
