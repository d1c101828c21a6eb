// SPDX-License-Identifier: BSD-2-Clause
/* bpf/flood.bpf.o on an interface, with an AF_XDP socket on each RX queue
 * (or queue 0 only). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "flood_xdp.h"
#include "user/io/netdev.h"
#include "user/io/opts.h"

#define OBJ_REL "/../bpf/flood.bpf.o"

static int find_obj(char *buf, size_t size)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int m;

	if (n < 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	m = snprintf(buf, size, "%s" OBJ_REL, exe);
	if (m < 0 || (size_t)m >= size)
		return -ENAMETOOLONG;
	return access(buf, R_OK) ? -errno : 0;
}

static int load(struct tern_flood_xdp *fx, const char *path, uint32_t net, uint32_t mask,
		const char **what)
{
	uint32_t cfg[2] = { net, mask }, zero = 0;
	struct bpf_map *map;
	int err;

	fx->obj = bpf_object__open_file(path, NULL);
	if (!fx->obj) {
		*what = "open the BPF object";
		return -errno;
	}
	err = bpf_object__load(fx->obj);
	if (err) {
		*what = "load the BPF object";
		return err;
	}
	map = bpf_object__find_map_by_name(fx->obj, "flood_cfg");
	if (!map || bpf_map_update_elem(bpf_map__fd(map), &zero, cfg, 0)) {
		*what = "set flood_cfg";
		return map ? -errno : -ENOENT;
	}
	map = bpf_object__find_map_by_name(fx->obj, "flood_xsks");
	if (!map) {
		*what = "find flood_xsks";
		return -ENOENT;
	}
	fx->xsks_fd = bpf_map__fd(map);
	return 0;
}

/* The native program attached now, as an fd in prev_fd (-1: none). */
static int take_prev(struct tern_flood_xdp *fx, const char **what)
{
	__u32 id = 0;
	int err = bpf_xdp_query_id(fx->ifindex, XDP_FLAGS_DRV_MODE, &id);

	if (err) {
		*what = "query the attached XDP program";
		return err;
	}
	if (!id)
		return 0;
	fx->prev_fd = bpf_prog_get_fd_by_id(id);
	if (fx->prev_fd < 0) {
		*what = "open the attached XDP program";
		return -errno;
	}
	return 0;
}

static int attach(struct tern_flood_xdp *fx, bool borrow, const char **what)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(fx->obj, "flood_rx");
	LIBBPF_OPTS(bpf_xdp_attach_opts, xo);
	__u32 flags = XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST;
	int err;

	if (!prog) {
		*what = "find flood_rx";
		return -ENOENT;
	}
	fx->prog_fd = bpf_program__fd(prog);
	if (borrow) {
		err = take_prev(fx, what);
		if (err)
			return err;
	}
	if (fx->prev_fd >= 0) {
		xo.old_prog_fd = fx->prev_fd;
		flags = XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE;
	}
	err = bpf_xdp_attach(fx->ifindex, fx->prog_fd, flags, &xo);
	if (err) {
		*what = "attach flood_rx (native XDP; is another program attached?)";
		return err;
	}
	fx->attached = true;
	return 0;
}

/* Only if flood_rx is still the attached program. */
static void detach(struct tern_flood_xdp *fx)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, xo, .old_prog_fd = fx->prog_fd);

	bpf_xdp_attach(fx->ifindex, fx->prev_fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE, &xo);
}

/* Queue i's socket and frame pool, in flood_xsks at key i. */
static int open_queue(struct tern_flood_xdp *fx, const char *ifname, uint32_t i,
		      const char **what)
{
	struct tern_flood_q *q = &fx->q[i];
	int err = tern_frames__init(&q->frames, TERN_XSK_FRAMES, TERN_XSK_FRAME_SIZE);

	if (err) {
		*what = "frame pool";
		return err;
	}
	q->frames_init = true;
	err = tern_xsk__open(&q->xsk, ifname, i, TERN_ZC_OFF, TERN_XSK_FRAMES, what);
	if (err)
		return err;
	q->xsk_open = true;
	if (bpf_map_update_elem(fx->xsks_fd, &i, &q->xsk.fd, 0)) {
		*what = "add the AF_XDP socket to flood_xsks";
		return -errno;
	}
	return 0;
}

/* How many queues get a socket: 1, or every RX queue of ifname. */
static int queues(const char *ifname, bool all_queues, uint32_t *n, const char **what)
{
	int err;

	*n = 1;
	if (!all_queues)
		return 0;
	err = tern_netdev__rx_queues(ifname, n);
	if (err) {
		*what = "count the RX queues";
		return err;
	}
	if (!*n)
		*n = 1;
	if (*n > TERN_FLOOD_MAX_QUEUES) {
		*what = "more RX queues than flood_xsks holds (64)";
		return -E2BIG;
	}
	return 0;
}

int tern_flood_xdp__open(struct tern_flood_xdp *fx, const char *obj_path, const char *ifname,
			 uint32_t net, uint32_t mask, bool borrow, bool all_queues,
			 const char **what)
{
	char path[PATH_MAX];
	uint32_t nq;
	int err;

	memset(fx, 0, sizeof(*fx));
	fx->xsks_fd = -1;
	fx->prev_fd = -1;
	fx->ifindex = (int)if_nametoindex(ifname);
	if (!fx->ifindex) {
		*what = "interface";
		return -errno;
	}
	err = queues(ifname, all_queues, &nq, what);
	if (err)
		return err;
	err = obj_path ? (access(obj_path, R_OK) ? -errno : 0) : find_obj(path, sizeof(path));
	if (err) {
		*what = "find flood.bpf.o (--bpf-obj)";
		return err;
	}
	err = load(fx, obj_path ? obj_path : path, net, mask, what);
	if (err)
		goto err_close;
	fx->q = calloc(nq, sizeof(*fx->q));
	if (!fx->q) {
		err = -ENOMEM;
		*what = "queues";
		goto err_close;
	}
	fx->nq = nq;
	for (uint32_t i = 0; i < nq; i++) {
		err = open_queue(fx, ifname, i, what);
		if (err)
			goto err_close;
	}
	err = attach(fx, borrow, what);
	if (err)
		goto err_close;
	return 0;

err_close:
	tern_flood_xdp__close(fx);
	return err;
}

void tern_flood_xdp__close(struct tern_flood_xdp *fx)
{
	if (fx->attached)
		detach(fx);
	if (fx->prev_fd >= 0)
		close(fx->prev_fd);
	fx->prev_fd = -1;
	for (uint32_t i = 0; i < fx->nq; i++) {
		if (fx->q[i].xsk_open)
			tern_xsk__close(&fx->q[i].xsk);
		if (fx->q[i].frames_init)
			tern_frames__fini(&fx->q[i].frames);
	}
	free(fx->q);
	fx->q = NULL;
	fx->nq = 0;
	bpf_object__close(fx->obj);
	fx->attached = false;
	fx->obj = NULL;
}
