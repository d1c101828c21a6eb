/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Loading bpf/tern.bpf.o onto an interface and reaching its maps. Shared by
 * ternctl and the tern daemon. libbpf style: functions return 0 (or a count)
 * or a negative errno, and print nothing; the caller prints.
 *
 * Maps are pinned under <bpffs>/tern/<ifname>/ (include/tern/xdp.h). libxdp
 * keeps its dispatcher state in a bpffs too: the loader points libxdp at the
 * same one (LIBXDP_BPFFS), so a process works with one bpffs only.
 */
#ifndef TERN_IO_LOADER_H
#define TERN_IO_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "tern/xdp.h"

#define TERN_LOADER_BPFFS "/sys/fs/bpf"
#define TERN_LOADER_OBJ_ENV "TERN_BPF_OBJ"
#define TERN_LOADER_MAX_PROGS 10 /* libxdp's dispatcher holds at most 10 */

enum tern_xdp_mode {
	TERN_XDP_MODE_NATIVE,
	TERN_XDP_MODE_SKB,
	TERN_XDP_MODE_OTHER, /* e.g. offloaded: never ours */
};

struct tern_maps {
	int services_fd;
	int xsks_fd;
	int counters_fd;
	int unserved_fd;
	int ports_fd; /* tern_svc_ports; -1 on a pinned object without it */
};

struct tern_prog_info {
	char name[16];  /* BPF_OBJ_NAME_LEN */
	__u32 id;
	unsigned int prio;
};

struct tern_status {
	int ifindex;
	bool attached;   /* tern_steer runs on the interface */
	bool pinned;     /* maps pinned under <bpffs>/tern/<ifname>/ */
	bool dispatcher; /* through libxdp's dispatcher (else a single program) */
	bool any_xdp;    /* some XDP program is attached */
	enum tern_xdp_mode mode;
	struct tern_prog_info main; /* what the interface runs: dispatcher or program */
	int nprogs;                 /* programs in the dispatcher */
	struct tern_prog_info progs[TERN_LOADER_MAX_PROGS];
};

/*
 * The object file: path if not NULL, else $TERN_BPF_OBJ, else
 * ../bpf/tern.bpf.o, bpf/tern.bpf.o or ../lib/tern/tern.bpf.o (installed)
 * from the executable's directory
 * (build/tools/ternctl, build/tern).
 */
int tern_loader__find_obj(const char *path, char *buf, size_t size);

/* 0 if dir is a bpffs mount, -ENOENT if absent, -ENOTDIR / -EMEDIUMTYPE if not. */
int tern_loader__check_bpffs(const char *dir);

/*
 * Attach tern_steer to ifname and pin its maps. Idempotent: when our program
 * is already attached it is kept (and its maps re-pinned if needed).
 * -EBUSY: another program is attached without libxdp's dispatcher.
 * -EEXIST: XDP is attached in the other mode.
 */
int tern_loader__attach(const char *ifname, enum tern_xdp_mode mode,
			const char *bpffs, const char *obj);

/* Detach tern_steer only and remove the pins; -ENOENT when neither exists. */
int tern_loader__detach(const char *ifname, const char *bpffs);

int tern_loader__alive(const char *ifname, const char *bpffs, int ifindex,
		       bool *attached, bool *pinned);
int tern_loader__status(const char *ifname, const char *bpffs,
			struct tern_status *st);

/* One pinned map of ifname by name (TERN_MAP_*): its fd, or -errno. */
int tern_loader__open_map(const char *ifname, const char *bpffs, const char *name);

/* Opens the pinned maps; -ENOENT when tern is not loaded on ifname. */
int tern_loader__open_maps(const char *ifname, const char *bpffs,
			   struct tern_maps *out);
void tern_maps__close(struct tern_maps *m);

/* Add or remove a service in tern_services, and keep its port's
 * tern_svc_ports entry in step (include/tern/xdp.h). */
int tern_maps__add_service(const struct tern_maps *m,
			   const struct tern_svc_key *key);
int tern_maps__del_service(const struct tern_maps *m,
			   const struct tern_svc_key *key);
/* Fills up to max keys; returns how many there are (may exceed max). */
int tern_maps__list_services(const struct tern_maps *m,
			     struct tern_svc_key *keys, int max);
/* Sums every counter over the possible CPUs. */
int tern_maps__read_counters(const struct tern_maps *m,
			     __u64 out[TERN_XDP__COUNT]);
/* Marks queue unserved (anchor >= 0: drop its service frames while the
 * socket of queue `anchor` is in the xsks map) or unmarks it (anchor < 0). */
int tern_maps__set_unserved(const struct tern_maps *m, __u32 queue, int anchor);
/* A bit per queue marked unserved (TERN_XDP_MAX_QUEUES is 64). */
int tern_maps__read_unserved(const struct tern_maps *m, __u64 *mask);
/* Binds (fd >= 0) or unbinds (fd < 0) an AF_XDP socket on a queue. */
int tern_maps__set_xsk(const struct tern_maps *m, __u32 queue, int fd);

/* "10.0.0.1" or "fd00::1" -> 16 bytes (IPv4 as ::ffff:a.b.c.d); *family 4 or 6. */
int tern_loader__parse_addr(const char *s, __u8 addr[16], int *family);
/* Decimal 1-65535 -> network byte order. */
int tern_loader__parse_port(const char *s, __u16 *port_be);
/* "10.0.0.1" / "fd00::1" from a key; returns the family. */
int tern_loader__format_addr(const __u8 addr[16], char *buf, size_t size);
const char *tern_loader__counter_name(int id);
const char *tern_loader__mode_name(enum tern_xdp_mode mode);

#endif
