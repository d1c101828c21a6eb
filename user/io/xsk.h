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
 * How a UMEM of `frames` frames (a power of two) is shared out:
 *   ring      fill, completion, RX and TX ring size: frames / 2, at most
 *             TERN_XSK_RING_MAX (4096 frames: 2048)
 *   fill_max  frames the kernel may hold (fill ring + unread RX): frames / 2
 *   reserve   frames the fill ring leaves free for replies that cannot be
 *             built in place: frames / 16, at most TERN_XSK_RESERVE_MAX
 *   kept_max  frames the TCP core may keep (out-of-order data): frames / 4
 * so at most 3/4 are held by the kernel and the core and replies always
 * have frames / 4 to come from (less what is on the TX ring).
 */
struct tern_xsk_geom {
	uint32_t frames;
	uint32_t ring;
	uint32_t fill_max;
	uint32_t reserve;
	uint32_t kept_max;
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
};

struct tern_xsk {
	struct tern_xsk_geom g;
	uint8_t *area;            /* the UMEM */
	struct xsk_umem *umem;
	struct xsk_socket *sock;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	int fd;
	bool zc;                  /* zero-copy bound */
	bool busy_poll;           /* tern_xsk__busy_poll() set it up */
	int zc_err;               /* auto mode: why zero-copy was not used */
	int kick_err;             /* the last kick's lasting error (not EAGAIN/EBUSY), or 0 */
	struct tern_xsk_stats st;
};

/*
 * Map a UMEM of `frames` frames (tern_xsk__geom) and bind a socket to
 * (ifname, queue) with need-wakeup and
 * without loading any XDP program. zc_mode is enum tern_zc_mode (opts.h):
 * auto tries zero-copy and falls back to copy mode (zc_err says why), on
 * fails without zero-copy, off binds in copy mode. A bind that fails with
 * EBUSY (the queue's previous socket is still going away) is retried for
 * about a second. Returns 0 or -errno; `what` names the step that failed.
 */
int tern_xsk__open(struct tern_xsk *x, const char *ifname, uint32_t queue, int zc_mode,
		   uint32_t frames, const char **what);
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
