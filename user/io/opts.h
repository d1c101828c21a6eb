/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's command line: every flag, range-checked, mapped onto the
 * core's struct tern_cfg and struct tern_listen_opts.
 */
#ifndef TERN_IO_OPTS_H
#define TERN_IO_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "user/app/app.h"
#include "user/core/tcp.h"
#include "user/io/loader.h"

#define TERN_ARGS_MAX_ADDRS 16
#define TERN_ARGS_MAX_PORTS 16
#define TERN_ARGS_MAX_CPUS 1024

enum tern_zc_mode {
	TERN_ZC_AUTO = 0, /* zero-copy if the driver has it, else copy mode */
	TERN_ZC_ON,       /* zero-copy or fail */
	TERN_ZC_OFF,      /* copy mode */
};

struct tern_args {
	const char *dev;
	struct tern_addr addrs[TERN_ARGS_MAX_ADDRS];
	int families[TERN_ARGS_MAX_ADDRS];
	int naddrs;
	uint16_t ports[TERN_ARGS_MAX_PORTS]; /* host order */
	int nports;
	const char *app_name;
	uint32_t queues;
	uint16_t cpus[TERN_ARGS_MAX_CPUS];
	int ncpus;                 /* 0: workers are not pinned */
	enum tern_xdp_mode mode;
	enum tern_zc_mode zerocopy;
	const char *ctl;           /* control socket path, or NULL */
	const char *bpffs;
	struct tern_cfg cfg;       /* one stack per queue gets this */
	struct tern_listen_opts lopts;
	struct tern_app_opts app_opts; /* --http-*; the body is read at parse time */
};

/* Mtu bound so that a frame (with a VLAN tag) fits a UMEM frame after the
 * XDP headroom; --mss is checked against it. */
#define TERN_ARGS_MSS_MIN 88

/*
 * Parse argv into a. Returns 0, 1 when --help was printed, or -EINVAL after
 * printing "Error: ..." on stderr (exit 2). max_frame is the largest frame
 * a UMEM frame can hold (bounds --mss).
 */
int tern_args__parse(struct tern_args *a, int argc, char **argv, uint32_t max_frame);
void tern_args__usage(FILE *f, const char *prog);

#endif
