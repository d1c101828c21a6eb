// SPDX-License-Identifier: BSD-2-Clause
/*
 * UMEM and AF_XDP socket of one queue, and the fill / completion / TX-kick
 * ring work. Zero-copy is tried first (auto/on) and copy mode is the
 * fallback; veth has no zero-copy.
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_xdp.h>
#include <string.h>
#include <unistd.h>

#include "opts.h"
#include "xsk.h"

#define BIND_RETRIES 20          /* x 50 ms on EBUSY */
#define BIND_RETRY_US 50000

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
	return 0;
}

static int umem_create(struct tern_xsk *x)
{
	uint64_t bytes = tern_xsk__umem_bytes(x->g.frames);
	struct xsk_umem_config ucfg = {
		.fill_size = x->g.ring,
		.comp_size = x->g.ring,
		.frame_size = TERN_XSK_FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};

	x->area = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		return -errno;
	}
	return xsk_umem__create(&x->umem, x->area, bytes, &x->fill, &x->comp, &ucfg);
}

/* Bind with bind_flags; a queue whose last socket is still closing gives
 * EBUSY for a moment (DESIGN.md), so retry that briefly. */
static int sock_create(struct tern_xsk *x, const char *ifname, uint32_t queue,
		       uint16_t bind_flags)
{
	struct xsk_socket_config scfg = {
		.rx_size = x->g.ring,
		.tx_size = x->g.ring,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0,
		.bind_flags = bind_flags,
	};
	int err;

	for (int i = 0;; i++) {
		err = xsk_socket__create(&x->sock, ifname, queue, x->umem, &x->rx, &x->tx, &scfg);
		if (err != -EBUSY || i >= BIND_RETRIES)
			return err;
		usleep(BIND_RETRY_US);
	}
}

static int sock_bind(struct tern_xsk *x, const char *ifname, uint32_t queue, int zc_mode,
		     const char **what)
{
	int err;

	if (zc_mode != TERN_ZC_OFF) {
		err = sock_create(x, ifname, queue, XDP_USE_NEED_WAKEUP | XDP_ZEROCOPY);
		if (!err) {
			x->zc = true;
			return 0;
		}
		if (zc_mode == TERN_ZC_ON || err == -EBUSY) {
			*what = "bind AF_XDP socket in zero-copy mode";
			return err;
		}
		x->zc_err = -err;
	}
	err = sock_create(x, ifname, queue, XDP_USE_NEED_WAKEUP | XDP_COPY);
	if (err)
		*what = "bind AF_XDP socket in copy mode";
	return err;
}

int tern_xsk__open(struct tern_xsk *x, const char *ifname, uint32_t queue, int zc_mode,
		   uint32_t frames, const char **what)
{
	int err;

	memset(x, 0, sizeof(*x));
	x->fd = -1;
	err = tern_xsk__geom(frames, &x->g);
	if (err) {
		*what = "UMEM size (--frames)";
		return err;
	}
	err = umem_create(x);
	if (err) {
		*what = x->area ? "register UMEM (RLIMIT_MEMLOCK?)" : "map UMEM";
		goto err_umem;
	}
	err = sock_bind(x, ifname, queue, zc_mode, what);
	if (err)
		goto err_umem;
	x->fd = xsk_socket__fd(x->sock);
	return 0;

err_umem:
	tern_xsk__close(x);
	return err;
}

void tern_xsk__close(struct tern_xsk *x)
{
	if (x->sock)
		xsk_socket__delete(x->sock);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area)
		munmap(x->area, tern_xsk__umem_bytes(x->g.frames));
	x->sock = NULL;
	x->umem = NULL;
	x->area = NULL;
	x->fd = -1;
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

		if (tern_frames__move(f, b, TERN_FS_TX, TERN_FS_COMP))
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
