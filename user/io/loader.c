// SPDX-License-Identifier: BSD-2-Clause
/*
 * Loader for bpf/tern.bpf.o: attach through libxdp (its dispatcher when a
 * bpffs is available, else a single program), pin the maps, and read and
 * write them. See loader.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "user/io/loader.h"
#include "user/io/svcmap.h"

#define OBJ_NAME "tern.bpf.o"
#define MAX_PROG_MAPS 12

static const char *const map_names[] = {
	TERN_MAP_SERVICES, TERN_MAP_XSKS, TERN_MAP_COUNTERS, TERN_MAP_UNSERVED,
	TERN_MAP_COOKIE_CFG, TERN_MAP_COOKIE_ON, TERN_MAP_FLOWS, TERN_MAP_XDP_LOAD,
	TERN_MAP_SVC_PORTS,
};

#define NUM_MAPS (sizeof(map_names) / sizeof(map_names[0]))

static const char *const counter_names[] = {
#define X(id, name) [TERN_XDP_##id] = name,
	TERN_XDP_COUNTERS(X)
#undef X
};

static int path_fmt(char *buf, size_t size, const char *a, const char *b)
{
	int n = snprintf(buf, size, "%s/%s", a, b);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* <bpffs>/tern, and <bpffs>/tern/<ifname> when ifname is not NULL. */
static int pin_dir(char *buf, size_t size, const char *bpffs,
		   const char *ifname)
{
	char top[PATH_MAX];
	int err;

	err = path_fmt(ifname ? top : buf, ifname ? sizeof(top) : size, bpffs,
		       TERN_XDP_PIN_DIR);
	if (err || !ifname)
		return err;
	return path_fmt(buf, size, top, ifname);
}

static int try_obj(const char *path, char *buf, size_t size)
{
	int n;

	if (access(path, R_OK))
		return -errno;
	n = snprintf(buf, size, "%s", path);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Next to the executable: build/tools/x -> build/bpf, build/x -> build/bpf,
 * and installed: PREFIX/sbin/x -> PREFIX/lib/tern. */
static int find_obj_near_exe(char *buf, size_t size)
{
	static const char *const rel[] = { "/../bpf/", "/bpf/", "/../lib/tern/" };
	char exe[PATH_MAX], cand[PATH_MAX];
	char *slash;
	ssize_t n;
	size_t i;
	int err = -ENOENT;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	for (i = 0; err && i < sizeof(rel) / sizeof(rel[0]); i++) {
		n = snprintf(cand, sizeof(cand), "%s%s" OBJ_NAME, exe, rel[i]);
		err = n < 0 || (size_t)n >= sizeof(cand) ? -ENAMETOOLONG :
							  try_obj(cand, buf, size);
	}
	return err;
}

int tern_loader__find_obj(const char *path, char *buf, size_t size)
{
	const char *env = getenv(TERN_LOADER_OBJ_ENV);

	if (path)
		return try_obj(path, buf, size);
	if (env && *env)
		return try_obj(env, buf, size);
	return find_obj_near_exe(buf, size);
}

int tern_loader__check_bpffs(const char *dir)
{
	struct statfs sfs;
	struct stat st;

	if (stat(dir, &st) || statfs(dir, &sfs))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return sfs.f_type == BPF_FS_MAGIC ? 0 : -EMEDIUMTYPE;
}

/* The interface's index, after checking that bpffs is usable. */
static int check_dev(const char *ifname, const char *bpffs, int *ifindex)
{
	*ifindex = (int)if_nametoindex(ifname);
	if (!*ifindex)
		return errno == ENXIO || errno == ENODEV ? -ENODEV : -errno;
	return tern_loader__check_bpffs(bpffs);
}

/*
 * libxdp reads LIBXDP_BPFFS once, on first use, so one process can use one
 * bpffs: the first one asked for. Called before every libxdp call.
 */
static int use_bpffs(const char *bpffs)
{
	static char cur[PATH_MAX];
	int n;

	if (cur[0])
		return strcmp(cur, bpffs) ? -EXDEV : 0;
	n = snprintf(cur, sizeof(cur), "%s", bpffs);
	if (n < 0 || (size_t)n >= sizeof(cur)) {
		cur[0] = '\0';
		return -ENAMETOOLONG;
	}
	return setenv(XDP_BPFFS_ENVVAR, bpffs, 1) ? -errno : 0;
}

static int prepare(const char *ifname, const char *bpffs, int *ifindex)
{
	int err = check_dev(ifname, bpffs, ifindex);

	return err ? err : use_bpffs(bpffs);
}

static int mkdir_ok(const char *dir)
{
	return mkdir(dir, 0700) && errno != EEXIST ? -errno : 0;
}

/*
 * Serialises attach and detach between processes (ternctl, the daemon):
 * an exclusive flock on <bpffs>/tern. Returns the fd to close.
 */
static int lock_bpffs(const char *bpffs)
{
	char dir[PATH_MAX];
	int fd, err;

	err = pin_dir(dir, sizeof(dir), bpffs, NULL);
	if (err || (err = mkdir_ok(dir)))
		return err;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static enum xdp_attach_mode to_libxdp(enum tern_xdp_mode mode)
{
	return mode == TERN_XDP_MODE_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

static enum tern_xdp_mode from_libxdp(enum xdp_attach_mode mode)
{
	if (mode == XDP_MODE_NATIVE)
		return TERN_XDP_MODE_NATIVE;
	return mode == XDP_MODE_SKB ? TERN_XDP_MODE_SKB : TERN_XDP_MODE_OTHER;
}

/* What is attached to ifindex; -ENOENT when nothing is. */
static int get_mp(int ifindex, struct xdp_multiprog **out)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	long err;

	*out = NULL;
	if (!mp)
		return -ENOENT;
	err = libxdp_get_error(mp);
	if (err)
		return (int)err;
	*out = mp;
	return 0;
}

static bool is_ours(const struct xdp_program *p)
{
	return p && !strcmp(xdp_program__name(p), TERN_XDP_PROG_NAME);
}

static struct xdp_program *find_ours(const struct xdp_multiprog *mp)
{
	struct xdp_program *p = NULL;

	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		return is_ours(p) ? p : NULL;
	}
	while ((p = xdp_multiprog__next_prog(p, mp)))
		if (is_ours(p))
			return p;
	return NULL;
}

static bool is_our_map(const char *name)
{
	size_t i;

	for (i = 0; i < NUM_MAPS; i++)
		if (!strcmp(name, map_names[i]))
			return true;
	return false;
}

static __u32 pinned_map_id(const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

/* Pins map id under dir unless it is already; 1 if it is one of ours. */
static int pin_map_id(__u32 id, const char *dir)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, err;

	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	if (err || !is_our_map(info.name))
		goto out_close;
	err = path_fmt(path, sizeof(path), dir, info.name);
	if (err || pinned_map_id(path) == id)
		goto out_ours;
	if (unlink(path) && errno != ENOENT)
		err = -errno;
	else if (bpf_obj_pin(fd, path))
		err = -errno;
	/* The cookie keys: readable by the pin's owner only, whatever the umask. */
	if (!err && !strcmp(info.name, TERN_MAP_COOKIE_CFG) && chmod(path, 0600))
		err = -errno;
out_ours:
	if (!err)
		err = 1;
out_close:
	close(fd);
	return err;
}

/* Pins the maps prog_fd uses under dir, replacing stale pins. */
static int pin_prog_maps(int prog_fd, const char *dir)
{
	struct bpf_prog_info info = {};
	/* Zeroed although the kernel fills it: it is written through a pointer
	 * inside info, which valgrind's bpf(2) model does not follow. */
	__u32 ids[MAX_PROG_MAPS] = { 0 }, len = sizeof(info), i;
	int err, found = 0;

	info.nr_map_ids = MAX_PROG_MAPS;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	err = mkdir_ok(dir);
	for (i = 0; !err && i < info.nr_map_ids && i < MAX_PROG_MAPS; i++) {
		err = pin_map_id(ids[i], dir);
		if (err > 0)
			found += err;
		err = err > 0 ? 0 : err;
	}
	if (!err && found != (int)NUM_MAPS)
		err = -ENOENT; /* not our object: a map is missing */
	return err;
}

/* Removes the pins; returns how many files went, or a negative errno. */
static int unpin(const char *bpffs, const char *ifname)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int err, n = 0;
	size_t i;

	err = pin_dir(dir, sizeof(dir), bpffs, ifname);
	for (i = 0; !err && i < NUM_MAPS; i++) {
		err = path_fmt(path, sizeof(path), dir, map_names[i]);
		if (!err && !unlink(path))
			n++;
		else if (!err && errno != ENOENT)
			err = -errno;
	}
	if (err)
		return err;
	if (rmdir(dir) && errno != ENOENT)
		return -errno;
	return n;
}

/*
 * What already runs on the interface: 1 and *ours when our program does,
 * 0 when ours can be added, -EBUSY for a foreign program attached without
 * a dispatcher, -EEXIST for XDP attached in the other mode.
 */
static int check_existing(struct xdp_multiprog *mp, enum tern_xdp_mode mode,
			  struct xdp_program **ours)
{
	*ours = find_ours(mp);
	if (!*ours && xdp_multiprog__is_legacy(mp))
		return -EBUSY;
	if (xdp_multiprog__attach_mode(mp) != to_libxdp(mode))
		return -EEXIST;
	return *ours ? 1 : 0;
}

static int load_fresh(int ifindex, enum tern_xdp_mode mode, const char *obj,
		      const char *dir)
{
	struct xdp_program *prog;
	char path[PATH_MAX];
	int err;

	err = tern_loader__find_obj(obj, path, sizeof(path));
	if (err)
		return err;
	prog = xdp_program__open_file(path, "xdp", NULL);
	err = prog ? (int)libxdp_get_error(prog) : -ENOENT;
	if (err)
		return err;
	err = xdp_program__attach(prog, ifindex, to_libxdp(mode), 0);
	if (err)
		goto out_close;
	err = pin_prog_maps(xdp_program__fd(prog), dir);
	if (err)
		xdp_program__detach(prog, ifindex, to_libxdp(mode), 0);
out_close:
	xdp_program__close(prog);
	return err;
}

static int attach_locked(int ifindex, enum tern_xdp_mode mode,
			 const char *obj, const char *dir)
{
	struct xdp_program *ours;
	struct xdp_multiprog *mp;
	int err;

	err = get_mp(ifindex, &mp);
	if (err == -ENOENT)
		return load_fresh(ifindex, mode, obj, dir);
	if (err)
		return err;
	err = check_existing(mp, mode, &ours);
	if (err == 1)
		err = pin_prog_maps(xdp_program__fd(ours), dir);
	else if (!err)
		err = load_fresh(ifindex, mode, obj, dir);
	xdp_multiprog__close(mp);
	return err;
}

int tern_loader__attach(const char *ifname, enum tern_xdp_mode mode,
			const char *bpffs, const char *obj)
{
	char dir[PATH_MAX];
	int ifindex, lock, err;

	if (mode != TERN_XDP_MODE_NATIVE && mode != TERN_XDP_MODE_SKB)
		return -EINVAL;
	err = prepare(ifname, bpffs, &ifindex);
	if (!err)
		err = pin_dir(dir, sizeof(dir), bpffs, ifname);
	if (err)
		return err;
	lock = lock_bpffs(bpffs);
	if (lock < 0)
		return lock;
	err = attach_locked(ifindex, mode, obj, dir);
	close(lock);
	return err;
}

/* Detaches our program; 1 if it was attached, 0 if not. */
static int detach_ours(int ifindex)
{
	struct xdp_program *ours;
	struct xdp_multiprog *mp;
	int err;

	err = get_mp(ifindex, &mp);
	if (err)
		return err == -ENOENT ? 0 : err;
	ours = find_ours(mp);
	if (!ours)
		err = 0;
	else if (xdp_multiprog__is_legacy(mp))
		err = xdp_multiprog__detach(mp);
	else
		err = xdp_program__detach(ours, ifindex,
					  xdp_multiprog__attach_mode(mp), 0);
	xdp_multiprog__close(mp);
	return err ? err : !!ours;
}

int tern_loader__detach(const char *ifname, const char *bpffs)
{
	int ifindex, lock, detached, removed, err;

	err = prepare(ifname, bpffs, &ifindex);
	if (err)
		return err;
	lock = lock_bpffs(bpffs);
	if (lock < 0)
		return lock;
	detached = detach_ours(ifindex);
	removed = detached < 0 ? 0 : unpin(bpffs, ifname);
	close(lock);
	if (detached < 0 || removed < 0)
		return detached < 0 ? detached : removed;
	return detached || removed ? 0 : -ENOENT;
}

static void prog_info(const struct xdp_program *p, struct tern_prog_info *pi)
{
	snprintf(pi->name, sizeof(pi->name), "%s", xdp_program__name(p));
	pi->id = xdp_program__id(p);
	pi->prio = xdp_program__run_prio(p);
}

static void fill_status(const struct xdp_multiprog *mp, struct tern_status *st)
{
	struct xdp_program *p = NULL;

	st->any_xdp = true;
	st->attached = find_ours(mp) != NULL;
	st->dispatcher = !xdp_multiprog__is_legacy(mp);
	st->mode = from_libxdp(xdp_multiprog__attach_mode(mp));
	prog_info(xdp_multiprog__main_prog(mp), &st->main);
	while ((p = xdp_multiprog__next_prog(p, mp)) &&
	       st->nprogs < TERN_LOADER_MAX_PROGS)
		prog_info(p, &st->progs[st->nprogs++]);
}

int tern_loader__status(const char *ifname, const char *bpffs,
			struct tern_status *st)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct xdp_multiprog *mp;
	int err;

	memset(st, 0, sizeof(*st));
	err = prepare(ifname, bpffs, &st->ifindex);
	if (!err)
		err = pin_dir(dir, sizeof(dir), bpffs, ifname);
	if (!err)
		err = path_fmt(path, sizeof(path), dir, TERN_MAP_SERVICES);
	if (err)
		return err;
	st->pinned = !access(path, F_OK);
	err = get_mp(st->ifindex, &mp);
	if (err)
		return err == -ENOENT ? 0 : err;
	if (xdp_multiprog__main_prog(mp))
		fill_status(mp, st);
	xdp_multiprog__close(mp);
	return 0;
}

/*
 * Cheap enough to poll: is some XDP program still attached to ifindex, and
 * are the pins still there? Only a netlink query and a stat, no program fd
 * (libxdp's multiprog lookup leaves a program fd open on every call in
 * single-program mode). 0, or a negative errno.
 */
int tern_loader__alive(const char *ifname, const char *bpffs, int ifindex,
		       bool *attached, bool *pinned)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char dir[PATH_MAX], path[PATH_MAX];
	int err;

	err = pin_dir(dir, sizeof(dir), bpffs, ifname);
	if (!err)
		err = path_fmt(path, sizeof(path), dir, TERN_MAP_SERVICES);
	if (!err && bpf_xdp_query(ifindex, 0, &q))
		err = -errno;
	if (err)
		return err;
	*attached = q.prog_id || q.drv_prog_id || q.skb_prog_id || q.hw_prog_id;
	*pinned = !access(path, F_OK);
	return 0;
}

int tern_loader__open_maps(const char *ifname, const char *bpffs,
			   struct tern_maps *out)
{
	/* the first four of map_names; the cookie maps open on their own
	 * (tern_loader__open_map) */
	int *fds[] = { &out->services_fd, &out->xsks_fd, &out->counters_fd, &out->unserved_fd };
	char dir[PATH_MAX], path[PATH_MAX];
	int ifindex, err;
	size_t i;

	out->services_fd = out->xsks_fd = out->counters_fd = out->unserved_fd = -1;
	out->ports_fd = -1;
	err = check_dev(ifname, bpffs, &ifindex);
	if (!err)
		err = pin_dir(dir, sizeof(dir), bpffs, ifname);
	for (i = 0; !err && i < sizeof(fds) / sizeof(fds[0]); i++) {
		err = path_fmt(path, sizeof(path), dir, map_names[i]);
		if (err)
			break;
		*fds[i] = bpf_obj_get(path);
		if (*fds[i] < 0)
			err = -errno;
	}
	/* an older pinned object has no port cache: every lookup is the hash's */
	if (!err && !path_fmt(path, sizeof(path), dir, TERN_MAP_SVC_PORTS))
		out->ports_fd = bpf_obj_get(path);
	if (err)
		tern_maps__close(out);
	return err;
}

int tern_loader__open_map(const char *ifname, const char *bpffs, const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int ifindex, err, fd;

	err = check_dev(ifname, bpffs, &ifindex);
	if (!err)
		err = pin_dir(dir, sizeof(dir), bpffs, ifname);
	if (!err)
		err = path_fmt(path, sizeof(path), dir, name);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

void tern_maps__close(struct tern_maps *m)
{
	if (m->services_fd >= 0)
		close(m->services_fd);
	if (m->xsks_fd >= 0)
		close(m->xsks_fd);
	if (m->counters_fd >= 0)
		close(m->counters_fd);
	if (m->unserved_fd >= 0)
		close(m->unserved_fd);
	if (m->ports_fd >= 0)
		close(m->ports_fd);
	m->services_fd = m->xsks_fd = m->counters_fd = m->unserved_fd = -1;
	m->ports_fd = -1;
}

int tern_maps__add_service(const struct tern_maps *m,
			   const struct tern_svc_key *key)
{
	if (key->pad)
		return -EINVAL;
	return tern_svcmap__change(m->services_fd, m->ports_fd, key, true);
}

int tern_maps__del_service(const struct tern_maps *m,
			   const struct tern_svc_key *key)
{
	return tern_svcmap__change(m->services_fd, m->ports_fd, key, false);
}

int tern_maps__list_services(const struct tern_maps *m,
			     struct tern_svc_key *keys, int max)
{
	struct tern_svc_key key, prev;
	int n = 0;

	while (!bpf_map_get_next_key(m->services_fd, n ? &prev : NULL, &key)) {
		if (n < max)
			keys[n] = key;
		prev = key;
		n++;
	}
	return errno == ENOENT ? n : -errno;
}

int tern_maps__read_counters(const struct tern_maps *m,
			     __u64 out[TERN_XDP__COUNT])
{
	int ncpus = libbpf_num_possible_cpus();
	__u32 id;
	__u64 *v;
	int c, err = 0;

	if (ncpus < 0)
		return ncpus;
	v = calloc((size_t)ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (id = 0; !err && id < TERN_XDP__COUNT; id++) {
		out[id] = 0;
		if (bpf_map_lookup_elem(m->counters_fd, &id, v)) {
			err = -errno;
			break;
		}
		for (c = 0; c < ncpus; c++)
			out[id] += v[c];
	}
	free(v);
	return err;
}

int tern_maps__set_xsk(const struct tern_maps *m, __u32 queue, int fd)
{
	__u32 val = (__u32)fd;

	if (fd >= 0)
		return bpf_map_update_elem(m->xsks_fd, &queue, &val, BPF_ANY) ?
			       -errno : 0;
	if (bpf_map_delete_elem(m->xsks_fd, &queue) && errno != ENOENT)
		return -errno;
	return 0;
}

int tern_maps__set_unserved(const struct tern_maps *m, __u32 queue, int anchor)
{
	__u32 val = anchor >= 0 ? (__u32)anchor + 1 : 0;

	return bpf_map_update_elem(m->unserved_fd, &queue, &val, BPF_ANY) ? -errno : 0;
}

int tern_maps__read_unserved(const struct tern_maps *m, __u64 *mask)
{
	__u32 v;

	*mask = 0;
	for (__u32 q = 0; q < TERN_XDP_MAX_QUEUES; q++) {
		if (bpf_map_lookup_elem(m->unserved_fd, &q, &v))
			return -errno;
		if (v)
			*mask |= 1ull << q;
	}
	return 0;
}

static bool all_zero(const __u8 *b, size_t n)
{
	while (n--)
		if (*b++)
			return false;
	return true;
}

int tern_loader__parse_addr(const char *s, __u8 addr[16], int *family)
{
	static const __u8 v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memcpy(addr, v4mapped, sizeof(v4mapped));
		memcpy(addr + 12, &a4, 4);
	} else if (inet_pton(AF_INET6, s, addr) != 1) {
		return -EINVAL;
	}
	*family = memcmp(addr, v4mapped, sizeof(v4mapped)) ? 6 : 4;
	/* Unspecified, "this network" or multicast: never served. */
	if (*family == 4)
		return !addr[12] || addr[12] >= 224 ? -EINVAL : 0;
	return all_zero(addr, 16) || addr[0] == 0xff ? -EINVAL : 0;
}

int tern_loader__parse_port(const char *s, __u16 *port_be)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < 1 || v > 65535)
		return -ERANGE;
	*port_be = htons((__u16)v);
	return 0;
}

int tern_loader__format_addr(const __u8 addr[16], char *buf, size_t size)
{
	static const __u8 v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (!memcmp(addr, v4mapped, sizeof(v4mapped)))
		return inet_ntop(AF_INET, addr + 12, buf, (socklen_t)size) ?
			       4 : -errno;
	return inet_ntop(AF_INET6, addr, buf, (socklen_t)size) ? 6 : -errno;
}

const char *tern_loader__counter_name(int id)
{
	return id >= 0 && id < TERN_XDP__COUNT ? counter_names[id] : NULL;
}

const char *tern_loader__mode_name(enum tern_xdp_mode mode)
{
	switch (mode) {
	case TERN_XDP_MODE_NATIVE:
		return "native";
	case TERN_XDP_MODE_SKB:
		return "skb";
	default:
		return "other";
	}
}
