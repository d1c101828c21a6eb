/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's command line: every flag, range-checked, mapped onto the
 * core's struct tern_cfg and struct tern_listen_opts.
 */
#ifndef TERN_IO_OPTS_H
#define TERN_IO_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "user/app/app.h"
#include "user/core/tcp.h"
#include "user/io/conf.h"
#include "user/io/ctl.h"
#include "user/io/loader.h"

#define TERN_ARGS_MAX_ADDRS 16
#define TERN_ARGS_MAX_PORTS 16
#define TERN_ARGS_MAX_CPUS 1024
#define TERN_ARGS_DRAIN_MS_DEF 2000u
#define TERN_ARGS_ICMP_HANDOFF_DEF 64u /* --icmp-handoff */
#define TERN_ARGS_ICMP_HANDOFF_MAX 65536u

enum tern_zc_mode {
	TERN_ZC_AUTO = 0, /* zero-copy if the driver has it, else copy mode */
	TERN_ZC_ON,       /* zero-copy or fail */
	TERN_ZC_OFF,      /* copy mode */
};

/* Words of the per-option bit sets below: room for 128 long options. */
#define TERN_OPT_WORDS 2

struct tern_args {
	const char *dev;
	struct tern_addr addrs[TERN_ARGS_MAX_ADDRS];
	int families[TERN_ARGS_MAX_ADDRS];
	int naddrs;
	uint16_t ports[TERN_ARGS_MAX_PORTS]; /* host order */
	int nports;
	const char *app_name;
	uint32_t queues;           /* --queues; 0: every RX queue (resolved at start) */
	bool allow_unserved;       /* --allow-unserved-queues */
	uint32_t mss;              /* --mss; 0: from the interface MTU */
	uint32_t busy_poll_us;     /* --busy-poll USECS, 0: off */
	uint32_t busy_poll_budget; /* --busy-poll ,BUDGET */
	uint32_t frames;           /* UMEM frames per queue (--frames) */
	uint32_t icmp_handoff;     /* ICMP errors queued per worker (--icmp-handoff), 0: off */
	uint32_t drain_ms;         /* --drain-timeout: FIN, then RST after this on stop */
	uint32_t withdraw_ms;      /* --drain-withdraw-delay: health fails, serving
				    * goes on this long before the drain */
	uint16_t cpus[TERN_ARGS_MAX_CPUS];
	int ncpus;                 /* 0: workers are not pinned */
	enum tern_xdp_mode mode;
	enum tern_zc_mode zerocopy;
	int tx_csum;               /* --tx-csum, enum tern_tx_csum_mode (xsk.h) */
	int tx_gso;                /* --tx-gso, enum tern_gso_mode (gso.h) */
	uint32_t tx_gso_max;       /* --tx-gso-max, bytes */
	const char *ctl;           /* control socket path, or NULL */
	const char *bpffs;
	struct tern_cfg cfg;       /* one stack per queue gets this */
	struct tern_listen_opts lopts;
	struct tern_app_opts app_opts; /* --http-*; the body is read at parse time */
	struct tern_app_opts *app_live; /* after a reload or drain: the copy that
					 * owns what app_opts points to (reload_app.c) */
	bool app_stale;            /* the last one failed on a worker: the workers
				    * may differ from app_opts */
	const char *config;        /* --config FILE, or NULL */
	struct tern_conf conf;     /* its settings (the strings above may point in) */
	uint64_t cli_set[TERN_OPT_WORDS];  /* options given on the command line
					    * (bit per flag, tern_args__opt_bit) */
	uint64_t set_mask[TERN_OPT_WORDS]; /* given on the command line or in the file */
	int argc;                  /* the command line, for a reload */
	char **argv;
	bool check;                /* --check: validate, attach nothing */
	int log_level;             /* enum tern_log_level */
	int log_syslog;
	const char *metrics;       /* --metrics ADDR:PORT, or NULL */
	int metrics_remote;
	struct tern_ctl_http metrics_addr;
	int xdp_cookies;           /* --xdp-cookies, enum tern_xdpc_mode */
	uint32_t xdp_flow_slots;   /* --xdp-flow-slots */
	const char *cookie_secret; /* --cookie-secret FILE, or NULL (fleet.h) */
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
/* The same with the error lines written to err (a reload collects them). */
int tern_args__parse_to(struct tern_args *a, int argc, char **argv, uint32_t max_frame,
			FILE *err);
void tern_args__usage(FILE *f, const char *prog);

/* Was the flag named key ("backlog") given on the command line? */
bool tern_args__from_cli(const struct tern_args *a, const char *key);
/* The i-th long flag's name (i from 0), NULL past the last. */
const char *tern_args__key(int i);

#endif
