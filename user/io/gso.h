/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Segmentation offload for copy mode: a run of full-sized data segments
 * of one connection leaves as one frame of up to 64 KiB through an
 * AF_PACKET socket with a virtio_net_hdr (PACKET_VNET_HDR), which the
 * kernel cuts into the segments (GSO) or hands to a NIC that does (TSO),
 * as Linux's own TCP sends (tcp_write_xmit -> tcp_tso_segs). Copy-mode
 * AF_XDP builds and sends one skb per frame, and on veth the receiver's
 * NAPI runs after each one; a GSO frame is one skb and one pass for the
 * whole run (docs/io.md, "Segmentation offload").
 *
 * The socket only sends (protocol 0: it receives nothing). The payload is
 * gathered from where the core's segments point (the send queue, or an
 * application's UMEM buffer) by the kernel's one copy into the skb, so a
 * run costs no UMEM frame.
 */
#ifndef TERN_IO_GSO_H
#define TERN_IO_GSO_H

#include <stdbool.h>
#include <stdint.h>

#include "user/core/seg.h"

#define TERN_GSO_MIN_SEGS 2u     /* shorter runs go through the TX ring */
#define TERN_GSO_MAX_SEGS 64u    /* iovec slots per send (payloads) */
#define TERN_GSO_MAX_BYTES 65535u /* an IP datagram's length field */
#define TERN_GSO_MIN_BYTES 4096u  /* --tx-gso-max at least */

enum tern_gso_mode {
	TERN_GSO_AUTO = 0, /* on in copy mode, off in zero-copy mode */
	TERN_GSO_OFF,
	TERN_GSO_ON,       /* in zero-copy mode too */
};

struct tern_gso {
	int fd;             /* AF_PACKET socket; -1: off */
	int err;            /* auto: why the socket could not be opened (errno), 0 */
	int ifindex;
	uint32_t max_bytes; /* an offloaded frame's IP datagram at most */
};

/*
 * Open the sending socket on ifindex (mode and zc decide whether at all;
 * g->fd stays -1 when not). max_bytes bounds each frame's IP datagram
 * (TERN_GSO_MAX_BYTES at most). Returns 0, or with TERN_GSO_ON -errno
 * (socket, setsockopt); auto goes without and keeps the errno in g->err
 * (a sandbox without AF_PACKET, CAP_NET_RAW missing).
 */
int tern_gso__open(struct tern_gso *g, int mode, bool zc, int ifindex, uint32_t max_bytes);
void tern_gso__close(struct tern_gso *g);

/*
 * How many of the n segments at tx one frame can carry: consecutive in
 * sequence, one connection and the same headers but for the sequence
 * number, the same payload length but for a shorter last one, FIN and
 * PSH only on the last, no SYN, RST, URG or CWR, untagged. 0 or 1: none.
 */
uint32_t tern_gso__run(const struct tern_tx *tx, uint32_t n, uint32_t max_bytes);

/* Send the n segments at tx (a run) as one frame. Returns 0 or -errno
 * (EAGAIN/ENOBUFS: the socket's send buffer is full). */
int tern_gso__send(const struct tern_gso *g, const struct tern_tx *tx, uint32_t n);

#endif
