/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One UMEM and one AF_XDP socket bound to (ifname, queue), and the ring
 * operations that move frames between the pool (frames.h) and the kernel:
 * refilling the fill ring, draining the completion ring, kicking TX.
 */
#ifndef TERN_IO_XSK_H
#define TERN_IO_XSK_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <xdp/xsk.h>

#include "frames.h"

#define TERN_XSK_FRAMES 4096u       /* default frames per UMEM (per queue, --frames) */
#define TERN_XSK_FRAMES_MIN 128u
#define TERN_XSK_FRAMES_MAX 262144u /* 512 MiB of UMEM per queue */
#define TERN_XSK_FRAME_SIZE 2048u   /* bytes per frame, a power of two */
#define TERN_XSK_RING_MAX 8192u     /* largest fill, completion, RX and TX ring */
#define TERN_XSK_RESERVE_MAX 256u   /* most frames the fill ring leaves for replies */
#define TERN_XSK_HEADROOM 256u      /* XDP_PACKET_HEADROOM: RX data offset */
/* Largest frame a UMEM frame holds after the kernel's headroom. */
#define TERN_XSK_MAX_FRAME (TERN_XSK_FRAME_SIZE - TERN_XSK_HEADROOM)
#define TERN_XSK_KICK_MAX 32u       /* copy mode sends at most 32 per kick */

/*
 * AF_XDP TX metadata (Linux 6.8+, include/uapi/linux/if_xdp.h), which
 * Debian 12's linux-libc-dev (6.1) lacks. A UMEM registered with
 * XDP_UMEM_TX_METADATA_LEN (6.11+; earlier kernels refuse the flag with
 * EINVAL) and tx_metadata_len keeps that many bytes in front of every TX
 * descriptor's data for a struct tern_xsk_txmd; a descriptor with
 * XDP_TX_METADATA in its options has the kernel (copy mode:
 * xsk_build_skb) or the driver act on it. With XDP_TXMD_FLAGS_CHECKSUM
 * the sum from csum_start to the end goes to csum_start + csum_offset,
 * whose field holds the pseudo-header sum (CHECKSUM_PARTIAL).
 */
#ifndef XDP_UMEM_TX_METADATA_LEN
#define XDP_UMEM_TX_METADATA_LEN (1 << 2)
#endif
#ifndef XDP_TX_METADATA
#define XDP_TX_METADATA (1 << 1)
#endif
#ifndef XDP_TXMD_FLAGS_CHECKSUM
#define XDP_TXMD_FLAGS_CHECKSUM (1 << 1)
#endif

/* struct xdp_umem_reg of Linux 6.8+ (tx_metadata_len took the padding). */
struct tern_xsk_umem_reg {
	uint64_t addr;
	uint64_t len;
	uint32_t chunk_size;
	uint32_t headroom;
	uint32_t flags;
	uint32_t tx_metadata_len;
};

/* struct xsk_tx_metadata of Linux 6.14+ (request side). */
struct tern_xsk_txmd {
	uint64_t flags;
	uint16_t csum_start;  /* from the start of the frame's data */
	uint16_t csum_offset; /* of the checksum field from csum_start */
	uint32_t pad;
	uint64_t launch_time; /* XDP_TXMD_FLAGS_LAUNCH_TIME, unused */
};

/* Bytes in front of a TX frame's data for the metadata (a multiple of 8),
 * and where frames built in fresh UMEM frames start. */
#define TERN_XSK_TXMD_LEN 24u
#define TERN_XSK_TX_OFF TERN_XSK_TXMD_LEN
_Static_assert(sizeof(struct tern_xsk_txmd) == TERN_XSK_TXMD_LEN, "TX metadata room");

/* Copy mode: the send buffer's charge per frame on the TX ring. The kernel
 * builds an skb for each (about 3 KiB of truesize for a 1,514-byte frame)
 * and charges it to the socket until the device frees it; the default
 * send buffer (net.core.wmem_default, 208 KiB) held about 70 of them, so
 * a device that frees late (veth with the peer's receive work in a
 * thread, a NIC's TX ring) stopped TX with EAGAIN long before the TX ring
 * was full. */
#define TERN_XSK_TX_TRUESIZE 4096u

/*
 * Where an application's buffer (TERN_FS_APP, tern_app_frames) starts in
 * its frame: room in front for the TX metadata and the longest headers
 * (Ethernet with a VLAN tag, IPv6, TCP with 40 bytes of options), so a
 * segment's headers can be written in front of its payload in place.
 */
#define TERN_XSK_APP_OFF 144u
_Static_assert(TERN_XSK_APP_OFF >= TERN_XSK_TX_OFF + 18 + 40 + 20 + 40, "headers in front");
#define TERN_XSK_APP_ROOM (TERN_XSK_FRAME_SIZE - TERN_XSK_APP_OFF)

enum tern_tx_csum_mode {
	TERN_TX_CSUM_AUTO = 0, /* offload when the kernel takes TX metadata, copy mode */
	TERN_TX_CSUM_SW,       /* every TCP checksum summed by tern */
	TERN_TX_CSUM_OFFLOAD,  /* TX metadata or fail */
};

/*
 * How a UMEM of `frames` frames (a power of two) is shared out:
 *   ring      fill, completion, RX and TX ring size: frames / 2, at most
 *             TERN_XSK_RING_MAX (4096 frames: 2048)
 *   fill_max  frames the kernel may hold (fill ring + unread RX): frames / 2
 *   reserve   frames the fill ring leaves free for replies that cannot be
 *             built in place: frames / 16, at most TERN_XSK_RESERVE_MAX
 *   kept_max  frames the TCP core may keep (out-of-order data): frames / 4
 *   app_max   frames the application may hold (tern_app_frames: the
 *             proxy's backend data, sent in place, and the received
 *             frames it keeps until its backend took their bytes):
 *             frames / 8
 * so at most 3/4 are held by the kernel and the core and replies always
 * have frames / 4 to come from (less what is on the TX ring and what the
 * application holds; the application takes none while the free frames are
 * at reserve or below).
 */
struct tern_xsk_geom {
	uint32_t frames;
	uint32_t ring;
	uint32_t fill_max;
	uint32_t reserve;
	uint32_t kept_max;
	uint32_t app_max;
};

/* 0, or -EINVAL when frames is not a power of two in
 * [TERN_XSK_FRAMES_MIN, TERN_XSK_FRAMES_MAX]. */
int tern_xsk__geom(uint32_t frames, struct tern_xsk_geom *g);

static inline uint64_t tern_xsk__umem_bytes(uint32_t frames)
{
	return (uint64_t)frames * TERN_XSK_FRAME_SIZE;
}

struct tern_xsk_stats {
	uint64_t kicks;           /* sendto() on TX */
	uint64_t kick_again;      /* EAGAIN / ENOBUFS: nothing lost, sent later */
	uint64_t kick_busy;       /* EBUSY: copy mode, the device dropped a frame */
	uint64_t kick_netdown;    /* ENETDOWN / ENXIO: link down, nothing sent */
	uint64_t kick_errors;     /* any other error */
	uint64_t fill_wakeups;    /* recvfrom() for a fill ring that needs it */
	uint64_t busy_polls;      /* recvfrom() to busy-poll (--busy-poll) */
	uint64_t comp_frames;     /* frames completed */
	uint64_t tx_csum_offload; /* frames sent with XDP_TXMD_FLAGS_CHECKSUM */
};

struct tern_xsk {
	struct tern_xsk_geom g;
	uint8_t *area;            /* the UMEM */
	void *map[4];             /* fill, completion, RX, TX ring mappings */
	size_t map_len[4];
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	int fd;
	unsigned int ifindex;     /* the interface bound to */
	bool zc;                  /* zero-copy bound */
	bool busy_poll;           /* tern_xsk__busy_poll() set it up */
	int zc_err;               /* auto mode: why zero-copy was not used */
	bool txmd;                /* UMEM registered with TX metadata room */
	bool tx_csum;             /* TCP checksums offloaded (tern_xsk__txmd_csum) */
	int txmd_err;             /* tx-csum auto: why offload is off (EINVAL: kernel
				   * before 6.11; EOPNOTSUPP: zero-copy) */
	int kick_err;             /* the last kick's lasting error (not EAGAIN/EBUSY), or 0 */
	uint32_t sndbuf;          /* copy mode: the socket's send buffer (SO_SNDBUF), bytes */
	struct tern_xsk_stats st;
};

/*
 * Map a UMEM of `frames` frames (tern_xsk__geom), register it, create its
 * rings and bind a socket to (ifname, queue) with need-wakeup (raw
 * AF_XDP socket calls, xsk_sock.c: libxdp 1.3.1 cannot register TX
 * metadata room). zc_mode is enum tern_zc_mode (opts.h): auto tries
 * zero-copy and falls back to copy mode (zc_err says why), on fails
 * without zero-copy, off binds in copy mode. csum_mode is enum
 * tern_tx_csum_mode: auto registers TX metadata room when the kernel
 * takes it and offloads TCP checksums in copy mode (txmd_err says why
 * not), offload fails without it, sw registers none. A bind that fails
 * with EBUSY (the queue's previous socket is still going away) is retried
 * for about a second. Returns 0 or -errno; `what` names the step that
 * failed. Frames sent must start at least TERN_XSK_TX_OFF into a UMEM
 * frame.
 */
int tern_xsk__open(struct tern_xsk *x, const char *ifname, uint32_t queue, int zc_mode,
		   int csum_mode, uint32_t frames, const char **what);

/*
 * Ask for the TCP checksum of the frame at UMEM address addr (whose
 * checksum field holds the pseudo-header sum) to be completed by the
 * kernel or the NIC: writes the metadata in front of addr and returns the
 * descriptor options to send it with. Only when x->tx_csum.
 */
static inline uint32_t tern_xsk__txmd_csum(struct tern_xsk *x, uint64_t addr, uint16_t l4off)
{
	struct tern_xsk_txmd m = {
		.flags = XDP_TXMD_FLAGS_CHECKSUM,
		.csum_start = l4off,
		.csum_offset = 16, /* struct tcphdr's check */
	};

	memcpy(x->area + addr - TERN_XSK_TXMD_LEN, &m, sizeof(m)); /* addr may be unaligned */
	x->st.tx_csum_offload++;
	return XDP_TX_METADATA;
}
void tern_xsk__close(struct tern_xsk *x);

/*
 * SO_PREFER_BUSY_POLL, SO_BUSY_POLL = usecs and SO_BUSY_POLL_BUDGET =
 * budget on the socket; from then on every refill calls recvfrom() to
 * busy-poll the queue. 0 or -errno (-EPERM: raising them needs
 * CAP_NET_ADMIN).
 */
int tern_xsk__busy_poll(struct tern_xsk *x, uint32_t usecs, uint32_t budget);

/* Give free frames to the fill ring, keeping the kernel's share at most
 * g.fill_max and leaving `reserve` frames free for replies. */
void tern_xsk__refill(struct tern_xsk *x, struct tern_frames *f, uint32_t reserve);

/* Take every completed TX frame back into the free list. */
void tern_xsk__drain_comp(struct tern_xsk *x, struct tern_frames *f);

/* Descriptors on the TX ring the kernel has not consumed yet. */
uint32_t tern_xsk__tx_pending(struct tern_xsk *x);

/*
 * Make the kernel send what is on the TX ring: in copy mode one sendto()
 * per 32 descriptors until the ring is empty (draining completions as it
 * goes), in zero-copy mode one when the ring asks for a wake-up. Returns
 * the descriptors still unsent (transient errors leave some) and leaves
 * a lasting error (ENETDOWN while the link is down) in kick_err.
 */
uint32_t tern_xsk__kick(struct tern_xsk *x, struct tern_frames *f);

#endif
