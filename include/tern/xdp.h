/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Types shared by the XDP steering program (bpf/tern.bpf.c) and user space
 * (ternctl, the tern daemon). Dual-licensed, as libbpf's headers, so that
 * both the GPL program and the BSD user space can include it.
 *
 * Maps (names as in the object file), pinned under <bpffs>/tern/<ifname>/:
 *   tern_services  HASH     struct tern_svc_key -> struct tern_svc_val
 *   tern_svc_ports ARRAY    destination port (as in the frame) -> struct
 *                  tern_svc_port: the port's only IPv4 / IPv6 service, a
 *                  cache of tern_services written with it
 *   tern_xsks      XSKMAP   rx queue index -> AF_XDP socket
 *   tern_counters  PERCPU_ARRAY  __u64 per enum tern_xdp_counter
 *   tern_unserved  ARRAY    rx queue index -> __u32: 0, or 1 + the queue
 *                  whose socket must be in tern_xsks for a service frame
 *                  on this (unserved) queue to be dropped rather than
 *                  passed to the kernel (--allow-unserved-queues)
 *   tern_cookie_cfg  ARRAY (1)  struct tern_xdp_cookie_cfg (tern/cookie.h):
 *                  the cookie keys; pinned mode 0600
 *   tern_cookie_on   ARRAY, BPF_F_MMAPABLE  rx queue index -> __u64, nonzero:
 *                  XDP answers that queue's SYNs with cookies (bpf/synack.h)
 *                  and drops the segments to no flow without a valid cookie
 *   tern_xdp_load    ARRAY, BPF_F_MMAPABLE  rx queue index -> struct
 *                  tern_xdp_qload: frames XDP took off that queue's worker
 *                  (SYN-ACKs sent, segments dropped) while its flag was on
 *   tern_flows       ARRAY, BPF_F_MMAPABLE  __u64 words holding, per rx
 *                  queue, TERN_FLOW_SLOTS_MAX 8-bit flow filter counters
 *                  (tern/cookie.h), written by that queue's worker
 */
#ifndef TERN_XDP_H
#define TERN_XDP_H

#include <linux/types.h>

#define TERN_XDP_MAX_SERVICES 1024
#define TERN_XDP_MAX_QUEUES 64
#define TERN_XDP_PIN_DIR "tern"          /* <bpffs>/tern/<ifname>/ */
#define TERN_XDP_PROG_NAME "tern_steer"  /* the XDP function in the object */

#define TERN_MAP_SERVICES "tern_services"
#define TERN_MAP_SVC_PORTS "tern_svc_ports"
#define TERN_MAP_XSKS "tern_xsks"
#define TERN_MAP_COUNTERS "tern_counters"
#define TERN_MAP_UNSERVED "tern_unserved"
#define TERN_MAP_COOKIE_CFG "tern_cookie_cfg"
#define TERN_MAP_COOKIE_ON "tern_cookie_on"
#define TERN_MAP_FLOWS "tern_flows"
#define TERN_MAP_XDP_LOAD "tern_xdp_load"

/* A steered service: destination address (IPv4 as ::ffff:a.b.c.d) and
 * destination port in network byte order. */
struct tern_svc_key {
	__u8 addr[16];
	__u16 port;
	__u16 pad; /* must be zero */
};

struct tern_svc_val {
	__u32 flags; /* reserved, 0 */
};

/*
 * tern_svc_ports, one entry per destination port, indexed by the port's
 * 16 bits as they are in the frame (network order): when a port has
 * exactly one IPv4 service, flags holds TERN_SVC_PORT_ONE4 and addr4 its
 * address, likewise for IPv6. The program then compares the address and
 * skips the tern_services hash lookup; without the flag (no service, or
 * several) it looks the hash up. The writer (tern_maps__add_service())
 * clears the entry before it changes tern_services and rebuilds it after,
 * so the entry never names a service the hash does not hold.
 */
#define TERN_SVC_PORT_ONE4 1u
#define TERN_SVC_PORT_ONE6 2u
#define TERN_SVC_PORTS 65536

struct tern_svc_port {
	__u32 flags;
	__u8 addr4[4];
	__u8 addr6[16];
};

/* Per queue, one cache line each: frames XDP handled for the queue's
 * worker (plain increments by the CPU serving the queue; the worker's
 * overload hold reads it). */
struct tern_xdp_qload {
	__u64 handled;
	__u64 pad[7];
};

/* XDP counters: name, and what moves it. */
#define TERN_XDP_COUNTERS(X)                                                   \
	X(SEEN, "XdpSeen")                 /* every frame the program saw */    \
	X(STEERED, "XdpSteered")           /* redirected to an AF_XDP socket */ \
	X(PASSED, "XdpPassed")             /* not for a service: XDP_PASS */    \
	X(NO_SOCKET, "XdpNoSocket")        /* service, no socket on the queue: XDP_PASS */ \
	X(DROP_TCP_HDR, "XdpDropTcpHdr")   /* bad IP/TCP header lengths */     \
	X(DROP_SYNFIN, "XdpDropSynFin")                                        \
	X(DROP_SYNRST, "XdpDropSynRst")                                        \
	X(DROP_FRAG, "XdpDropFrag")        /* IPv4 fragment to a service */ \
	X(DROP_IP6_EXT, "XdpDropIp6Ext")   /* IPv6 extension headers before TCP */ \
	X(DROP_MARTIAN, "XdpDropMartian")  /* source: LAND, 0/8, loopback, multicast, class E */ \
	X(DROP_UNSERVED, "XdpDropUnserved") /* service, on a queue tern leaves unserved */ \
	X(SYNCOOKIES_SENT, "XdpSyncookiesSent") /* SYN answered with a cookie SYN-ACK: XDP_TX */ \
	X(SYNCOOKIES_SKIP, "XdpSyncookiesSkip") /* flag on, SYN left to the worker: IP options, payload, checksum */ \
	X(ICMP_STEERED, "XdpIcmpSteered")  /* ICMP frag-needed / too-big about a service flow, redirected */ \
	X(ACK_FLOW, "XdpAckFlow")           /* flag on, not a SYN, tuple in the flow filter: steered */ \
	X(ACK_COOKIE, "XdpAckCookie")       /* flag on, ACK to no flow with a valid cookie: steered */ \
	X(ACK_DROPS, "XdpAckDrops")         /* flag on, not a SYN, no flow, no valid cookie: XDP_DROP */

enum tern_xdp_counter {
#define X(id, name) TERN_XDP_##id,
	TERN_XDP_COUNTERS(X)
#undef X
	TERN_XDP__COUNT
};

#endif
