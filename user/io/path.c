// SPDX-License-Identifier: BSD-2-Clause
/*
 * The packet path of a worker: RX descriptors -> tern_stack__rx -> replies
 * built with tern_build into UMEM frames -> TX ring. The first reply to a
 * frame the core did not keep is built in that frame (SYN -> SYN-ACK in
 * place); other replies take free frames, built TERN_XSK_TX_OFF into them
 * (room for the TX metadata), and a reply with no free frame is dropped
 * and counted (TCP retransmits it). A segment whose payload is an
 * application's buffer (TERN_FS_APP, from its start) is built around it:
 * headers in front, the frame itself on the TX ring (TERN_FS_APP_TX until
 * it completes); while it is there, another segment of that buffer (a
 * retransmission) is copied into a fresh frame. A received frame the
 * application keeps from its data callback (TERN_FS_APP_RX) takes no
 * reply. With checksum offload (x.tx_csum) the
 * TCP checksum field gets the pseudo-header sum and the metadata in front
 * of the frame asks the kernel or the NIC to complete it. With GSO frames
 * (gso.h) data segments are held after they are built, and every segment
 * behind them, until the flush sends runs of them as one frame each; a
 * held data segment has only its payload in its frame (a run's frame
 * takes one set of headers from tern_gso__send), and gets its headers at
 * the flush if it leaves through the TX ring. No locks, no allocation.
 */
#include <errno.h>
#include <string.h>

#include "user/core/build.h"
#include "worker_priv.h"

static void xsk_flush(struct tern_worker *w);

/* A TX ring slot, making room by pushing what is queued if it is full. */
static bool tx_slot(struct tern_worker *w, uint32_t *idx)
{
	if (xsk_ring_prod__reserve(&w->x.tx, 1, idx) == 1)
		return true;
	xsk_flush(w);
	return xsk_ring_prod__reserve(&w->x.tx, 1, idx) == 1;
}

/* A frame that left in a GSO frame, or that tx_one could not send, as its
 * completion would: an application's buffer back to the application,
 * any other to the free list (also one the application put while it was
 * held: APP_TX -> TX). */
static void tx_done(struct tern_worker *w, uint64_t addr)
{
	uint64_t base = tern_frames__base(&w->f, addr);

	if (tern_frames__in(&w->f, base, TERN_FS_APP_TX))
		tern_frames__move(&w->f, base, TERN_FS_APP_TX, TERN_FS_APP);
	else
		tern_frames__put(&w->f, base, TERN_FS_TX);
}

/* Put the frame built at addr (len bytes, TCP header at l4off) on the TX ring. */
static void tx_queue(struct tern_worker *w, uint64_t addr, uint32_t len, uint32_t l4off)
{
	uint32_t idx, options = 0;
	struct xdp_desc *d;

	if (!tx_slot(w, &idx)) {
		w->c.tx_drop_ring++;
		tx_done(w, addr);
		return;
	}
	if (w->x.tx_csum)
		options = tern_xsk__txmd_csum(&w->x, addr, (uint16_t)l4off);
	d = xsk_ring_prod__tx_desc(&w->x.tx, idx);
	d->addr = addr;
	d->len = len;
	d->options = options;
	w->tx_reserved++;
}

/* ---- segmentation offload (gso.h) ---- */

/* A data segment a GSO frame may carry: what tern_gso__run() takes. */
static bool gso_candidate(const struct tern_worker *w, const struct tern_tx *tx)
{
	return w->gso.fd >= 0 && tx->len && !tx->l2.has_vlan &&
	       !(tx->flags & ~(TERN_TH_ACK | TERN_TH_ECE | TERN_TH_PSH | TERN_TH_FIN));
}

/* The whole frame of tx at addr (cap bytes), the TCP sum left to the
 * kernel or NIC when TX metadata does it: its length, or -errno. */
static int build(struct tern_worker *w, const struct tern_tx *tx, uint64_t addr, uint32_t cap)
{
	return tern_build_opt(w->x.area + addr, cap, tx, w->x.tx_csum ? TERN_BUILD_CSUM_PARTIAL : 0);
}

/* A held segment that leaves through the TX ring: its headers, if it
 * was held bare, in front of the payload already in the frame. */
static void gso_ring(struct tern_worker *w, uint32_t j)
{
	struct tern_gso_q *q = &w->gsoq;

	if (q->bare[j] && build(w, &q->tx[j], q->addr[j], q->len[j]) < 0) {
		w->c.tx_build_err++;
		tx_done(w, q->addr[j]);
		return;
	}
	tx_queue(w, q->addr[j], q->len[j], tern_build_l4off(&q->tx[j]));
}

/*
 * Send the queue's runs as GSO frames and the rest through the TX ring,
 * in order: descriptors on the TX ring are pushed before each GSO frame,
 * so a connection's segments leave in the order the core made them (but
 * for any the kernel left on the ring, tx_left). The frames a GSO frame
 * carried are free when sendmsg() returns (the kernel copied them); the
 * segments of a GSO frame the socket refuses go to the TX ring.
 */
static void gso_flush(struct tern_worker *w)
{
	struct tern_gso_q *q = &w->gsoq;
	uint32_t n = q->n, run;

	q->n = 0;
	for (uint32_t i = 0; i < n; i += run) {
		run = tern_gso__run(&q->tx[i], n - i, w->gso.max_bytes);
		if (run >= TERN_GSO_MIN_SEGS) {
			if (w->tx_reserved || w->tx_left)
				xsk_flush(w);
			if (!tern_gso__send(&w->gso, &q->tx[i], run)) {
				for (uint32_t j = i; j < i + run; j++)
					tx_done(w, q->addr[j]);
				w->c.tx_gso_frames++;
				w->c.tx_gso_segs += run;
				continue;
			}
			w->c.tx_gso_fails++;
		} else {
			run = 1;
		}
		for (uint32_t j = i; j < i + run; j++)
			gso_ring(w, j);
	}
}

/* Hold the segment built at addr (bare: its payload only) for a GSO
 * frame, or (not a candidate) for the TX ring after the held ones. */
static void gso_hold(struct tern_worker *w, const struct tern_tx *tx, uint64_t addr, uint32_t len,
		     bool bare)
{
	struct tern_gso_q *q = &w->gsoq;

	if (q->n == TERN_GSO_QUEUE)
		gso_flush(w);
	q->tx[q->n] = *tx;
	q->tx[q->n].payload = w->x.area + addr + (len - tx->len);
	q->addr[q->n] = addr;
	q->len[q->n] = len;
	q->bare[q->n] = bare;
	q->n++;
}

/* The payload of tx alone into the frame at addr (cap bytes), where
 * tern_build_opt() puts it: a GSO frame takes its headers from
 * tern_gso__send(), and gso_ring() writes them for a segment that leaves
 * through the TX ring. The frame's length, or -errno. */
static int tx_bare(struct tern_worker *w, const struct tern_tx *tx, uint64_t addr, uint32_t cap)
{
	uint32_t len = tern_build_len(tx);
	uint8_t *p = w->x.area + addr + (len - tx->len);

	if (len > cap)
		return -ENOSPC;
	if (tx->payload != p)
		memmove(p, tx->payload, tx->len);
	return (int)len;
}

/* Whether a capture runs (it records every segment as built). */
static bool capturing(struct tern_worker *w)
{
	return atomic_load_explicit(&w->cap, memory_order_relaxed) != NULL;
}

/* Build one reply into the frame at addr (state TX, or APP_TX for an
 * application's buffer sent in place) and queue it. A data segment for
 * a GSO frame is held bare (tx_bare) while no capture runs. */
static void tx_one(struct tern_worker *w, const struct tern_tx *tx, uint64_t addr)
{
	uint32_t cap = (uint32_t)(TERN_XSK_FRAME_SIZE - (addr - tern_frames__base(&w->f, addr)));
	bool gso = gso_candidate(w, tx), bare = gso && !capturing(w);
	int len;

	len = bare ? tx_bare(w, tx, addr, cap) : build(w, tx, addr, cap);
	if (len < 0) {
		w->c.tx_build_err++;
		tx_done(w, addr);
		return;
	}
	if ((uint32_t)len > w->max_frame + (tx->l2.has_vlan ? TERN_VLAN_HLEN : 0))
		w->c.tx_oversize++; /* the core's segment does not fit the MTU */
	if (!bare)
		tern_path__capture(w, w->x.area + addr, (uint32_t)len);
	w->c.tx_synack += (tx->flags & (TERN_TH_SYN | TERN_TH_ACK)) == (TERN_TH_SYN | TERN_TH_ACK);
	/* Behind held segments, any segment waits its turn: the order of a
	 * connection's segments is the core's. */
	if (gso || w->gsoq.n)
		gso_hold(w, tx, addr, (uint32_t)len, bare);
	else
		tx_queue(w, addr, (uint32_t)len, tern_build_l4off(tx));
}

/*
 * A segment whose payload starts an application's buffer that is not on
 * the TX ring: the buffer's frame takes it (APP -> APP_TX) and *addr is
 * where its headers start. False for any other segment.
 */
static bool tx_inplace(struct tern_worker *w, const struct tern_tx *tx, uint64_t *addr)
{
	uint64_t off = (uint64_t)(tx->payload - w->x.area), base;

	if (!tx->len || tx->payload < w->x.area || off >= (uint64_t)w->f.c.total << w->f.shift)
		return false;
	base = tern_frames__base(&w->f, off);
	if (off - base != TERN_XSK_APP_OFF)
		return false;
	if (!tern_frames__in(&w->f, base, TERN_FS_APP)) {
		w->c.tx_inplace_busy += tern_frames__in(&w->f, base, TERN_FS_APP_TX);
		return false;
	}
	tern_frames__move(&w->f, base, TERN_FS_APP, TERN_FS_APP_TX);
	*addr = off - (tern_build_len(tx) - tx->len);
	w->c.tx_inplace++;
	return true;
}

void tern_path__emit(struct tern_worker *w, uint64_t reuse)
{
	for (uint32_t i = 0; i < w->out.n; i++) {
		uint64_t addr;

		if (tx_inplace(w, &w->out.tx[i], &addr)) {
			tx_one(w, &w->out.tx[i], addr);
			continue;
		}
		if (reuse != TERN_NO_FRAME) {
			addr = reuse;
			reuse = TERN_NO_FRAME;
			if (!tern_frames__move(&w->f, tern_frames__base(&w->f, addr), TERN_FS_RX,
					       TERN_FS_TX))
				continue;
		} else if (tern_frames__get(&w->f, TERN_FS_TX, &addr)) {
			addr += TERN_XSK_TX_OFF;
		} else {
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

static void xsk_flush(struct tern_worker *w)
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

void tern_path__flush(struct tern_worker *w)
{
	if (w->gsoq.n)
		gso_flush(w);
	xsk_flush(w);
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
	} else if (!tern_frames__in(&w->f, base, TERN_FS_RX)) {
		tern_path__emit(w, TERN_NO_FRAME); /* the application holds it */
	} else {
		if (r == TERN_RX_ICMP_ELSEWHERE)
			tern_handoff__icmp_out(w, frame, len);
		tern_path__emit(w, addr);
	}
}

/*
 * The headers of the frame TERN_RX_PREFETCH descriptors ahead, for
 * writing (the reply is built in place). The kernel copied the frame into
 * UMEM on the CPU that received it, so its first read here misses the
 * cache; a SYN's headers span the first two lines (Linux's SYN: 74 bytes).
 * Always inlined: GCC takes a function whose only effect is a prefetch
 * for one without effects and drops the calls to it.
 */
static inline __attribute__((always_inline)) void rx_prefetch(const struct tern_worker *w,
								uint32_t idx)
{
	const uint8_t *p = w->x.area + xsk_ring_cons__rx_desc(&w->x.rx, idx)->addr;

	__builtin_prefetch(p, 1);
	__builtin_prefetch(p + 64, 1);
}

uint32_t tern_path__rx(struct tern_worker *w)
{
	uint32_t idx, n = xsk_ring_cons__peek(&w->x.rx, TERN_RX_BATCH, &idx);

	for (uint32_t i = 0; i < n && i < TERN_RX_PREFETCH; i++)
		rx_prefetch(w, idx + i);
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&w->x.rx, idx + i);

		if (i + TERN_RX_PREFETCH < n)
			rx_prefetch(w, idx + i + TERN_RX_PREFETCH);
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

/* ---- the application's buffers (struct tern_app_frames) ---- */

/* The application holds its share (buffers and received frames), or the
 * free frames are down to the reserve for replies: counted. */
static bool app_frame_limit(struct tern_worker *w)
{
	const struct tern_frame_counts *c = &w->f.c;

	if (c->n[TERN_FS_APP] + c->n[TERN_FS_APP_TX] + c->n[TERN_FS_APP_RX] < w->x.g.app_max &&
	    c->n[TERN_FS_FREE] > w->x.g.reserve)
		return false;
	w->c.app_frame_limit++;
	return true;
}

static int app_frame_get(void *ctx, uint8_t **buf)
{
	struct tern_worker *w = ctx;
	uint64_t base;

	if (app_frame_limit(w))
		return -ENOBUFS;
	if (!tern_frames__get(&w->f, TERN_FS_APP, &base)) {
		w->c.app_frame_limit++;
		return -ENOBUFS;
	}
	*buf = w->x.area + base + TERN_XSK_APP_OFF;
	return 0;
}

/* The frame being received (rx_one's, the only one in RX) stays the
 * application's: rx_one then builds no reply in it. */
static int app_frame_hold(void *ctx, const uint8_t *p)
{
	struct tern_worker *w = ctx;
	uint64_t off = (uint64_t)(p - w->x.area), base;

	if (p < w->x.area || off >= (uint64_t)w->f.c.total << w->f.shift)
		return -EINVAL;
	base = tern_frames__base(&w->f, off);
	if (!tern_frames__in(&w->f, base, TERN_FS_RX))
		return -EINVAL;
	if (app_frame_limit(w))
		return -ENOBUFS;
	tern_frames__move(&w->f, base, TERN_FS_RX, TERN_FS_APP_RX);
	return 0;
}

/* Back from the application: free, or freed by the completion when the
 * frame is still on the TX ring (APP_TX -> TX). */
static void app_frame_put(void *ctx, uint8_t *buf)
{
	struct tern_worker *w = ctx;
	uint64_t base = tern_frames__base(&w->f, (uint64_t)(buf - w->x.area));

	if (tern_frames__in(&w->f, base, TERN_FS_APP_TX))
		tern_frames__move(&w->f, base, TERN_FS_APP_TX, TERN_FS_TX);
	else if (tern_frames__in(&w->f, base, TERN_FS_APP_RX))
		tern_frames__put(&w->f, base, TERN_FS_APP_RX);
	else
		tern_frames__put(&w->f, base, TERN_FS_APP);
}

void tern_path__app_frames(struct tern_worker *w)
{
	w->app_frames = (struct tern_app_frames){
		.ctx = w,
		.room = TERN_XSK_APP_ROOM,
		.max = w->x.g.app_max,
		.get = app_frame_get,
		.put = app_frame_put,
		.hold = app_frame_hold,
	};
}
