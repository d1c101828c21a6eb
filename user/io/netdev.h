/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What tern needs to know of the interface before it binds: how many RX
 * queues deliver frames, the MTU, the offloads AF_XDP frames cannot carry,
 * and the driver's XDP features. tern_netdev__query() reads them from the
 * kernel (ioctl SIOCETHTOOL / SIOCGIFMTU, and the "netdev" generic netlink
 * family); tern_netdev__plan() decides, without any syscall, what the
 * daemon's options mean on that interface, or why they cannot work.
 */
#ifndef TERN_IO_NETDEV_H
#define TERN_IO_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* enum netdev_xdp_act (include/uapi/linux/netdev.h, kernel 6.3+; Debian 12's
 * headers predate it). */
#define TERN_NETDEV_XDP_ACT_REDIRECT 2u
#define TERN_NETDEV_XDP_ACT_XSK_ZEROCOPY 8u

struct tern_netdev {
	int ifindex;
	uint32_t mtu;
	uint32_t rx_queues;       /* queues that deliver frames: combined + rx */
	uint32_t max_rx_queues;   /* what ethtool -L could raise them to */
	bool lro;                 /* rx-lro active */
	bool gro_hw;              /* rx-gro-hw active */
	bool rxvlan;              /* rx-vlan-hw-parse: 802.1Q tags stripped before XDP */
	bool rxvlan_stag;         /* rx-vlan-stag-hw-parse: 802.1ad tags stripped */
	bool features_known;      /* the four above were read */
	uint64_t xdp_features;    /* NETDEV_XDP_ACT_* */
	bool xdp_features_known;  /* the kernel answered NETDEV_CMD_DEV_GET */
};

/* 0, or -errno (-ENODEV: no such interface in this network namespace). */
int tern_netdev__query(const char *dev, struct tern_netdev *nd);

/* RX queues that deliver frames now (the interface watch re-reads it). */
int tern_netdev__rx_queues(const char *dev, uint32_t *n);

/*
 * The CPU the interrupt of `queue` is affine to, as /proc/interrupts and
 * /proc/irq/N/smp_affinity_list tell (the first CPU of the list), or -1
 * when no interrupt of dev names that queue (veth, virtual devices).
 */
int tern_netdev__irq_cpu(const char *dev, uint32_t queue);

/* What the daemon asked for (0 / false: the default). */
struct tern_netdev_want {
	const char *dev;          /* for the messages */
	uint32_t queues;          /* --queues, 0: every RX queue */
	bool allow_unserved;      /* --allow-unserved-queues */
	uint32_t mss;             /* --mss, 0: from the MTU */
	uint32_t max_mtu;         /* largest MTU a UMEM frame holds */
	int zerocopy;             /* enum tern_zc_mode */
};

/* What it means on the interface. */
struct tern_netdev_plan {
	uint32_t queues;          /* workers for queues 0..queues-1 */
	uint32_t mtu;             /* the core's MTU: our MSS is mtu - 40 / - 60 */
	int zerocopy;             /* enum tern_zc_mode to bind with */
	int zc_err;               /* auto without zero-copy: why (EOPNOTSUPP) */
};

/*
 * 0 with *p filled, or -EINVAL with a one-line reason in why (what is wrong
 * and what to do about it): more queues than the interface has, fewer
 * without allow_unserved, more than TERN_XDP_MAX_QUEUES, an MTU above
 * max_mtu, an --mss the MTU cannot carry, LRO or hardware GRO on, VLAN
 * tags stripped by the NIC, zero-copy asked of a driver without it.
 */
int tern_netdev__plan(const struct tern_netdev *nd, const struct tern_netdev_want *w,
		      struct tern_netdev_plan *p, char *why, size_t cap);

#endif
