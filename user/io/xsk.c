// SPDX-License-Identifier: BSD-2-Clause
/*
 * The fill / completion / TX-kick ring work of one queue's AF_XDP socket
 * (made in xsk_sock.c).
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_xdp.h>
#include <string.h>
#include <unistd.h>

#include "opts.h"
#include "xsk.h"

int tern_xsk__geom(uint32_t frames, struct tern_xsk_geom *g)
{
	if (frames < TERN_XSK_FRAMES_MIN || frames > TERN_XSK_FRAMES_MAX ||
	    (frames & (frames - 1)))
		return -EINVAL;
	g->frames = frames;
	g->ring = frames / 2 < TERN_XSK_RING_MAX ? frames / 2 : TERN_XSK_RING_MAX;
	g->fill_max = frames / 2;
	g->reserve = frames / 16 < TERN_XSK_RESERVE_MAX ? frames / 16 : TERN_XSK_RESERVE_MAX;
	g->kept_max = frames / 4;
	g->app_max = frames / 8;
	return 0;
}

void tern_xsk__refill(struct tern_xsk *x, struct tern_frames *f, uint32_t reserve)
{
	uint32_t nfree = f->c.n[TERN_FS_FREE], held = f->c.n[TERN_FS_FILL], want, n, idx;

	if (held < x->g.fill_max && nfree > reserve) {
		want = x->g.fill_max - held;
		if (want > nfree - reserve)
			want = nfree - reserve;
		n = xsk_prod_nb_free(&x->fill, want);
		if (n > want)
			n = want;
		if (n && xsk_ring_prod__reserve(&x->fill, n, &idx) == n) {
			for (uint32_t i = 0; i < n; i++) {
				uint64_t b = 0;

				tern_frames__get(f, TERN_FS_FILL, &b);
				*xsk_ring_prod__fill_addr(&x->fill, idx + i) = b;
			}
			xsk_ring_prod__submit(&x->fill, n);
		}
	}
	if (x->busy_poll) { /* drives the queue's NAPI from this thread */
		x->st.busy_polls++;
		recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	} else if (xsk_ring_prod__needs_wakeup(&x->fill)) {
		x->st.fill_wakeups++;
		recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}
}

/* Documentation/networking/af_xdp.rst, "Preferred busy polling". */
int tern_xsk__busy_poll(struct tern_xsk *x, uint32_t usecs, uint32_t budget)
{
	int on = 1, us = (int)usecs, b = (int)budget;

	if (setsockopt(x->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &on, sizeof(on)) ||
	    setsockopt(x->fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) ||
	    setsockopt(x->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &b, sizeof(b)))
		return -errno;
	x->busy_poll = true;
	return 0;
}

void tern_xsk__drain_comp(struct tern_xsk *x, struct tern_frames *f)
{
	uint32_t idx, n = xsk_ring_cons__peek(&x->comp, x->g.ring, &idx);

	for (uint32_t i = 0; i < n; i++) {
		uint64_t b = tern_frames__base(f, *xsk_ring_cons__comp_addr(&x->comp, idx + i));

		/* An application's frame sent in place stays the application's. */
		if (tern_frames__in(f, b, TERN_FS_APP_TX))
			tern_frames__move(f, b, TERN_FS_APP_TX, TERN_FS_APP);
		else if (tern_frames__move(f, b, TERN_FS_TX, TERN_FS_COMP))
			tern_frames__put(f, b, TERN_FS_COMP);
	}
	if (n)
		xsk_ring_cons__release(&x->comp, n);
	x->st.comp_frames += n;
}

uint32_t tern_xsk__tx_pending(struct tern_xsk *x)
{
	return x->tx.size - xsk_prod_nb_free(&x->tx, x->tx.size);
}

/* One sendto(): 0, or -errno. */
static int kick_once(struct tern_xsk *x)
{
	x->st.kicks++;
	if (sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
		return 0;
	if (errno == EAGAIN || errno == ENOBUFS) { /* EAGAIN also: 32 sent, more left */
		x->st.kick_again++;
		return -EAGAIN;
	}
	if (errno == EBUSY) { /* NET_XMIT_DROP: that frame is completed, not sent */
		x->st.kick_busy++;
		return -EAGAIN;
	}
	x->kick_err = -errno;
	if (errno == ENETDOWN || errno == ENXIO) /* link down, or unbound: nothing sent */
		x->st.kick_netdown++;
	else
		x->st.kick_errors++;
	return -errno;
}

uint32_t tern_xsk__kick(struct tern_xsk *x, struct tern_frames *f)
{
	uint32_t pending = tern_xsk__tx_pending(x), stalls = 0;

	x->kick_err = 0;
	if (!pending)
		return 0;
	if (x->zc) {
		if (xsk_ring_prod__needs_wakeup(&x->tx))
			kick_once(x);
		return 0; /* the driver sends on its own */
	}
	for (uint32_t tries = 0; pending && tries < x->g.ring / TERN_XSK_KICK_MAX + 8; tries++) {
		int err = kick_once(x);
		uint32_t left;

		tern_xsk__drain_comp(x, f);
		if (err && err != -EAGAIN)
			break;
		left = tern_xsk__tx_pending(x);
		if (left == pending && ++stalls > 2)
			break;
		pending = left;
	}
	return pending;
}
