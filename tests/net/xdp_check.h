/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the BPF_PROG_TEST_RUN checks of tern.bpf.o share (xdpsyn_check.c,
 * xdpicmp_check.c): the result line and its counts, the ones'-complement
 * sum, an AF_XDP socket for the XSKMAP (a redirect needs one in the map)
 * map lookup by name, and loading tern.bpf.o with the test service steered
 * to queue 0. Included once per program; tern-bench-xdp
 * (tools/bench/progrun/) takes xsk_open(), map_fd(), sum16() and
 * xdp_steer().
 */
#ifndef TERN_TESTS_NET_XDP_CHECK_H
#define TERN_TESTS_NET_XDP_CHECK_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_xdp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tern/xdp.h"
#include "user/io/svcmap.h"

static int passed, failed;

static inline void result(int ok, const char *name, const char *why)
{
	printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", name, ok ? "" : ": ", ok ? "" : why);
	if (ok)
		passed++;
	else
		failed++;
}

/* Big-endian 16-bit words of p added to s (RFC 1071), odd byte padded. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

/* An unbound AF_XDP socket with a small UMEM and rings: enough for the
 * XSKMAP to take it, so bpf_redirect_map() returns XDP_REDIRECT. */
static int xsk_open(void)
{
	static void *umem;
	struct xdp_umem_reg reg = { 0 };
	int fd = socket(AF_XDP, SOCK_RAW, 0), n = 64;

	if (fd < 0)
		return -errno;
	umem = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (umem == MAP_FAILED)
		return -errno;
	reg.addr = (uint64_t)(uintptr_t)umem;
	reg.len = 64 * 4096;
	reg.chunk_size = 4096;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof(n)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof(n)) ||
	    setsockopt(fd, SOL_XDP, XDP_RX_RING, &n, sizeof(n)))
		return -errno;
	return fd;
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

/* Open and load the object at path; *prog: its XDP program's fd. */
static inline int xdp_load(const char *path, struct bpf_object **obj, int *prog)
{
	struct bpf_program *p;

	*obj = bpf_object__open_file(path, NULL);
	if (!*obj || bpf_object__load(*obj))
		return -EINVAL;
	p = bpf_object__find_program_by_name(*obj, TERN_XDP_PROG_NAME);
	if (!p)
		return -ENOENT;
	*prog = bpf_program__fd(p);
	return 0;
}

/* Steer addr4 and addr6 at port to queue 0, with a socket (*xsk) in the
 * XSKMAP, which the program checks before it answers or redirects. */
static inline int xdp_steer(int svc, int ports, int xsks, const uint8_t addr4[4],
			    const uint8_t addr6[16], uint16_t port, int *xsk)
{
	struct tern_svc_key k;
	__u32 q = 0;
	int err;

	memset(&k, 0, sizeof(k));
	k.addr[10] = k.addr[11] = 0xff;
	memcpy(k.addr + 12, addr4, 4);
	k.port = htons(port);
	err = tern_svcmap__change(svc, ports, &k, true);
	if (err)
		return err;
	memcpy(k.addr, addr6, 16);
	err = tern_svcmap__change(svc, ports, &k, true);
	if (err)
		return err;
	*xsk = xsk_open();
	if (*xsk < 0)
		return *xsk;
	return bpf_map_update_elem(xsks, &q, xsk, BPF_ANY) ? -errno : 0;
}

#endif
