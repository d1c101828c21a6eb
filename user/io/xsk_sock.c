// SPDX-License-Identifier: BSD-2-Clause
/*
 * The AF_XDP socket of one queue with plain socket calls, as
 * Documentation/networking/af_xdp.rst describes them: register the UMEM
 * (XDP_UMEM_REG, with TX metadata room when the kernel takes it), size
 * the fill, completion, RX and TX rings, map them (XDP_MMAP_OFFSETS) into
 * libxdp's public ring structs, bind. libxdp 1.3.1's xsk_umem__create
 * has no way to pass tx_metadata_len; the ring helpers of <xdp/xsk.h>
 * (inline) work on the rings mapped here.
 */
#include <errno.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_xdp.h>
#include <string.h>
#include <unistd.h>

#include "opts.h"
#include "xsk.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define BIND_RETRIES 20          /* x 50 ms on EBUSY */
#define BIND_RETRY_US 50000

enum { R_FILL, R_COMP, R_RX, R_TX };

/* XDP_UMEM_REG; with txmd, TERN_XSK_TXMD_LEN bytes of TX metadata room. */
static int umem_reg(struct tern_xsk *x, bool txmd)
{
	struct tern_xsk_umem_reg r = {
		.addr = (uint64_t)(uintptr_t)x->area,
		.len = tern_xsk__umem_bytes(x->g.frames),
		.chunk_size = TERN_XSK_FRAME_SIZE,
		.headroom = 0,
		.flags = txmd ? XDP_UMEM_TX_METADATA_LEN : 0,
		.tx_metadata_len = txmd ? TERN_XSK_TXMD_LEN : 0,
	};

	return setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &r, sizeof(r)) ? -errno : 0;
}

/*
 * Register with metadata room unless csum_mode is sw; in auto mode a
 * kernel that refuses it (EINVAL: the flag is unknown before 6.11) gets
 * the plain registration. -errno with *what set on failure.
 */
static int umem_register(struct tern_xsk *x, int csum_mode, const char **what)
{
	int err;

	x->txmd = false;
	if (csum_mode != TERN_TX_CSUM_SW) {
		err = umem_reg(x, true);
		if (!err) {
			x->txmd = true;
			return 0;
		}
		if (err != -EINVAL || csum_mode == TERN_TX_CSUM_OFFLOAD) {
			*what = err == -EINVAL ? "register UMEM with TX metadata (--tx-csum offload: "
						 "Linux 6.11+)"
					       : "register UMEM (RLIMIT_MEMLOCK?)";
			return err;
		}
		x->txmd_err = EINVAL;
	}
	err = umem_reg(x, false);
	if (err)
		*what = "register UMEM (RLIMIT_MEMLOCK?)";
	return err;
}

static int ring_size(struct tern_xsk *x, int opt, uint32_t n)
{
	int v = (int)n;

	return setsockopt(x->fd, SOL_XDP, opt, &v, sizeof(v)) ? -errno : 0;
}

static int ring_map(struct tern_xsk *x, int r, const struct xdp_ring_offset *o, off_t pgoff,
		    size_t entry)
{
	size_t len = o->desc + (size_t)x->g.ring * entry;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, x->fd, pgoff);

	if (m == MAP_FAILED)
		return -errno;
	x->map[r] = m;
	x->map_len[r] = len;
	return 0;
}

/* A producer ring in libxdp's struct. Its cached_cons runs one ring
 * ahead (free entries = cached_cons - cached_prod), as <xdp/xsk.h>'s
 * xsk_prod_nb_free expects. */
static void ring_prod(struct tern_xsk *x, int r, const struct xdp_ring_offset *o,
		      struct xsk_ring_prod *ring)
{
	uint8_t *m = x->map[r];

	ring->producer = (uint32_t *)(m + o->producer);
	ring->consumer = (uint32_t *)(m + o->consumer);
	ring->flags = (uint32_t *)(m + o->flags);
	ring->ring = m + o->desc;
	ring->mask = x->g.ring - 1;
	ring->size = x->g.ring;
	ring->cached_prod = *ring->producer;
	ring->cached_cons = *ring->consumer + x->g.ring;
}

/* A consumer ring: the same struct layout (DEFINE_XSK_RING), its own type. */
static void ring_cons(struct tern_xsk *x, int r, const struct xdp_ring_offset *o,
		      struct xsk_ring_cons *ring)
{
	struct xsk_ring_prod p;

	ring_prod(x, r, o, &p);
	ring->producer = p.producer;
	ring->consumer = p.consumer;
	ring->flags = p.flags;
	ring->ring = p.ring;
	ring->mask = p.mask;
	ring->size = p.size;
	ring->cached_prod = p.cached_prod;
	ring->cached_cons = *p.consumer;
}

static int rings_create(struct tern_xsk *x)
{
	struct xdp_mmap_offsets off;
	socklen_t len = sizeof(off);
	int err;

	if ((err = ring_size(x, XDP_UMEM_FILL_RING, x->g.ring)) ||
	    (err = ring_size(x, XDP_UMEM_COMPLETION_RING, x->g.ring)) ||
	    (err = ring_size(x, XDP_RX_RING, x->g.ring)) ||
	    (err = ring_size(x, XDP_TX_RING, x->g.ring)))
		return err;
	if (getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &len))
		return -errno;
	if ((err = ring_map(x, R_FILL, &off.fr, XDP_UMEM_PGOFF_FILL_RING, sizeof(uint64_t))) ||
	    (err = ring_map(x, R_COMP, &off.cr, XDP_UMEM_PGOFF_COMPLETION_RING, sizeof(uint64_t))) ||
	    (err = ring_map(x, R_RX, &off.rx, XDP_PGOFF_RX_RING, sizeof(struct xdp_desc))) ||
	    (err = ring_map(x, R_TX, &off.tx, XDP_PGOFF_TX_RING, sizeof(struct xdp_desc))))
		return err;
	ring_prod(x, R_FILL, &off.fr, &x->fill);
	ring_cons(x, R_COMP, &off.cr, &x->comp);
	ring_cons(x, R_RX, &off.rx, &x->rx);
	ring_prod(x, R_TX, &off.tx, &x->tx);
	return 0;
}

static void sock_close(struct tern_xsk *x)
{
	for (int r = R_FILL; r <= R_TX; r++) {
		if (x->map[r])
			munmap(x->map[r], x->map_len[r]);
		x->map[r] = NULL;
	}
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
}

/* One socket from scratch, bound with bind_flags; -errno with *what. */
static int sock_open(struct tern_xsk *x, unsigned int ifindex, uint32_t queue,
		     uint16_t bind_flags, int csum_mode, const char **what)
{
	struct sockaddr_xdp sa = {
		.sxdp_family = AF_XDP,
		.sxdp_flags = bind_flags,
		.sxdp_ifindex = ifindex,
		.sxdp_queue_id = queue,
	};
	int err;

	x->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (x->fd < 0) {
		*what = "create AF_XDP socket";
		return -errno;
	}
	err = umem_register(x, csum_mode, what);
	if (err)
		goto err_sock;
	err = rings_create(x);
	if (err) {
		*what = "create and map the AF_XDP rings";
		goto err_sock;
	}
	if (bind(x->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		*what = bind_flags & XDP_ZEROCOPY ? "bind AF_XDP socket in zero-copy mode"
						  : "bind AF_XDP socket in copy mode";
		goto err_sock;
	}
	return 0;

err_sock:
	sock_close(x);
	return err;
}

/* A queue whose last socket is still closing gives EBUSY for a moment
 * (DESIGN.md), so retry that briefly. */
static int sock_create(struct tern_xsk *x, unsigned int ifindex, uint32_t queue,
		       uint16_t bind_flags, int csum_mode, const char **what)
{
	int err;

	for (int i = 0;; i++) {
		err = sock_open(x, ifindex, queue, bind_flags, csum_mode, what);
		if (err != -EBUSY || i >= BIND_RETRIES)
			return err;
		usleep(BIND_RETRY_US);
	}
}

/* Copy mode: a send buffer for every frame the TX ring holds
 * (TERN_XSK_TX_TRUESIZE each); SO_SNDBUFFORCE where tern may
 * (CAP_NET_ADMIN), else SO_SNDBUF, which the kernel caps at
 * net.core.wmem_max. What the socket got is read back (the kernel doubles
 * the value it is given, as for every socket). */
static void sndbuf_set(struct tern_xsk *x)
{
	uint64_t want = (uint64_t)x->g.ring * TERN_XSK_TX_TRUESIZE;
	int v = want < INT32_MAX / 2 ? (int)want : INT32_MAX / 2;
	socklen_t len = sizeof(v);

	if (setsockopt(x->fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		setsockopt(x->fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	if (!getsockopt(x->fd, SOL_SOCKET, SO_SNDBUF, &v, &len) && v > 0)
		x->sndbuf = (uint32_t)v;
}

static int sock_bind(struct tern_xsk *x, unsigned int ifindex, uint32_t queue, int zc_mode,
		     int csum_mode, const char **what)
{
	int err;

	if (zc_mode != TERN_ZC_OFF) {
		err = sock_create(x, ifindex, queue, XDP_USE_NEED_WAKEUP | XDP_ZEROCOPY, csum_mode,
				  what);
		if (!err) {
			x->zc = true;
			return 0;
		}
		if (zc_mode == TERN_ZC_ON || err == -EBUSY)
			return err;
		x->zc_err = -err;
	}
	err = sock_create(x, ifindex, queue, XDP_USE_NEED_WAKEUP | XDP_COPY, csum_mode, what);
	if (!err)
		sndbuf_set(x);
	return err;
}

/* tern: in zero-copy mode the driver, not the kernel, acts on the
 * metadata, and whether it completes checksums (netdev xsk-features
 * tx-checksum) is not queried: auto keeps software sums there. */
static void csum_decide(struct tern_xsk *x, int csum_mode)
{
	x->tx_csum = x->txmd && (csum_mode == TERN_TX_CSUM_OFFLOAD || !x->zc);
	if (x->txmd && !x->tx_csum)
		x->txmd_err = EOPNOTSUPP;
}

/*
 * Write every page of the UMEM once from this process before the kernel
 * gets it. MAP_POPULATE gives each page a page-table entry, but under a
 * hypervisor that builds its own (shadow) tables lazily, as the PVM
 * guests tern is benchmarked on do, the first access through a mapping
 * still traps to it, 8 µs per page here. Left to the data path, tern's
 * first read of each received frame took those traps during the first
 * 1 MiB GETs after start, part of why the worker's CPU over the first 8
 * GETs was twice that over the next 8 (docs/tcp-data-path.md, "The first
 * GETs after start"). On bare metal this is one pass over memory that
 * is already there.
 */
static void umem_touch(uint8_t *area, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);

	for (size_t off = 0; off < len; off += (size_t)(page > 0 ? page : 4096))
		*(volatile uint8_t *)(area + off) = 0;
}

int tern_xsk__open(struct tern_xsk *x, const char *ifname, uint32_t queue, int zc_mode,
		   int csum_mode, uint32_t frames, const char **what)
{
	int err;

	memset(x, 0, sizeof(*x));
	x->fd = -1;
	err = tern_xsk__geom(frames, &x->g);
	if (err) {
		*what = "UMEM size (--frames)";
		return err;
	}
	x->ifindex = if_nametoindex(ifname);
	if (!x->ifindex) {
		*what = "find the interface";
		return -errno;
	}
	x->area = mmap(NULL, tern_xsk__umem_bytes(frames), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		*what = "map UMEM";
		return -errno;
	}
	umem_touch(x->area, tern_xsk__umem_bytes(frames));
	err = sock_bind(x, x->ifindex, queue, zc_mode, csum_mode, what);
	if (err) {
		tern_xsk__close(x);
		return err;
	}
	csum_decide(x, csum_mode);
	return 0;
}

void tern_xsk__close(struct tern_xsk *x)
{
	sock_close(x);
	if (x->area)
		munmap(x->area, tern_xsk__umem_bytes(x->g.frames));
	x->area = NULL;
}
