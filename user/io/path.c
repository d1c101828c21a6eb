// SPDX-License-Identifier: BSD-2-Clause
/*
 * The packet path of a worker: RX descriptors -> tern_stack__rx -> replies
 * built with tern_build into UMEM frames -> TX ring. The first reply to a
 * frame the core did not keep is built in that frame (SYN -> SYN-ACK in
 * place); other replies take free frames, and a reply with no free frame
 * is dropped and counted (TCP retransmits it). No locks, no allocation.
 */
#include <errno.h>

#include "user/core/build.h"
#include "worker_priv.h"

/* A TX ring slot, making room by pushing what is queued if it is full. */
static bool tx_slot(struct tern_worker *w, uint32_t *idx)
{
	if (xsk_ring_prod__reserve(&w->x.tx, 1, idx) == 1)
		return true;
	tern_path__flush(w);
	return xsk_ring_prod__reserve(&w->x.tx, 1, idx) == 1;
}

/* Build one reply into the frame at addr (state TX) and queue it. */
static void tx_one(struct tern_worker *w, const struct tern_tx *tx, uint64_t addr)
{
	uint64_t base = tern_frames__base(&w->f, addr);
	struct xdp_desc *d;
	uint32_t idx;
	int len;

	len = tern_build(w->x.area + addr, (uint32_t)(TERN_XSK_FRAME_SIZE - (addr - base)), tx);
	if (len < 0) {
		w->c.tx_build_err++;
		tern_frames__put(&w->f, base, TERN_FS_TX);
		return;
	}
	if ((uint32_t)len > w->max_frame + (tx->l2.has_vlan ? TERN_VLAN_HLEN : 0))
		w->c.tx_oversize++; /* the core's segment does not fit the MTU */
	if (!tx_slot(w, &idx)) {
		w->c.tx_drop_ring++;
		tern_frames__put(&w->f, base, TERN_FS_TX);
		return;
	}
	d = xsk_ring_prod__tx_desc(&w->x.tx, idx);
	d->addr = addr;
	d->len = (uint32_t)len;
	d->options = 0;
	w->tx_reserved++;
	tern_path__capture(w, w->x.area + addr, (uint32_t)len);
	w->c.tx_synack += (tx->flags & (TERN_TH_SYN | TERN_TH_ACK)) == (TERN_TH_SYN | TERN_TH_ACK);
}

void tern_path__emit(struct tern_worker *w, uint64_t reuse)
{
	for (uint32_t i = 0; i < w->out.n; i++) {
		uint64_t addr;

		if (reuse != TERN_NO_FRAME) {
			addr = reuse;
			reuse = TERN_NO_FRAME;
			if (!tern_frames__move(&w->f, tern_frames__base(&w->f, addr), TERN_FS_RX,
					       TERN_FS_TX))
				continue;
		} else if (!tern_frames__get(&w->f, TERN_FS_TX, &addr)) {
			w->c.tx_drop_noframe++;
			continue;
		}
		tx_one(w, &w->out.tx[i], addr);
	}
	w->out.n = 0;
	if (reuse != TERN_NO_FRAME)
		tern_frames__put(&w->f, reuse, TERN_FS_RX);
}

/* A kick that failed with the link down (ENETDOWN, or ENXIO when the
 * socket lost its device) doubles the wait before the next one, up to
 * TERN_KICK_BACKOFF_MAX_NS; one that did not resets it. */
static void kick_backoff(struct tern_worker *w)
{
	int err = w->x.kick_err;

	if (err != -ENETDOWN && err != -ENXIO) {
		w->kick_wait = 0;
		w->kick_at = 0;
		return;
	}
	w->kick_wait = w->kick_wait ? 2 * w->kick_wait : TERN_TX_RETRY_NS;
	if (w->kick_wait > TERN_KICK_BACKOFF_MAX_NS)
		w->kick_wait = TERN_KICK_BACKOFF_MAX_NS;
	w->kick_at = w->now + w->kick_wait;
}

void tern_path__flush(struct tern_worker *w)
{
	if (w->tx_reserved) {
		xsk_ring_prod__submit(&w->x.tx, w->tx_reserved);
		w->c.tx_frames += w->tx_reserved;
		w->tx_reserved = 0;
	}
	if (w->now < w->kick_at) { /* link down: wait out the backoff */
		w->tx_left = tern_xsk__tx_pending(&w->x);
		return;
	}
	w->tx_left = tern_xsk__kick(&w->x, &w->f);
	kick_backoff(w);
}

static void rx_one(struct tern_worker *w, uint64_t addr, uint32_t len)
{
	uint64_t base = tern_frames__base(&w->f, addr);
	const uint8_t *frame = w->x.area + addr;
	int r;

	if (!tern_frames__move(&w->f, base, TERN_FS_FILL, TERN_FS_RX))
		return;
	tern_path__capture(w, frame, len);
	r = tern_stack__rx(w->stack, frame, len, addr, w->now, &w->out);
	if (r == TERN_RX_KEPT) {
		tern_frames__move(&w->f, base, TERN_FS_RX, TERN_FS_KEPT);
		tern_path__emit(w, TERN_NO_FRAME);
	} else {
		if (r == TERN_RX_ICMP_ELSEWHERE)
			tern_handoff__icmp_out(w, frame, len);
		tern_path__emit(w, addr);
	}
}

uint32_t tern_path__rx(struct tern_worker *w)
{
	uint32_t idx, n = xsk_ring_cons__peek(&w->x.rx, TERN_RX_BATCH, &idx);

	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&w->x.rx, idx + i);

		rx_one(w, d->addr, d->len);
	}
	if (n) {
		xsk_ring_cons__release(&w->x.rx, n);
		w->c.rx_frames += n;
	}
	return n;
}

void tern_path__timers(struct tern_worker *w)
{
	/* Plain comparison: the deadline may be UINT64_MAX (nothing armed). */
	if (w->now < tern_stack__next_deadline(w->stack))
		return;
	tern_stack__poll(w->stack, w->now, &w->out);
	tern_path__emit(w, TERN_NO_FRAME);
}

/* The core hands back a frame it kept (out-of-order data). */
void tern_path__release(void *ctx, uint64_t handle)
{
	struct tern_worker *w = ctx;

	tern_frames__put(&w->f, handle, TERN_FS_KEPT);
}
