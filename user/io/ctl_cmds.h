/* SPDX-License-Identifier: BSD-2-Clause */
/* The daemon's control commands (see ctl_cmds.c), behind user/io/ctl.h. */
#ifndef TERN_IO_CTL_CMDS_H
#define TERN_IO_CTL_CMDS_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"

struct tern_capture;
struct tern_keyring;
struct tern_xdpc;
struct tern_worker;

/* What the commands read; owned by the daemon, valid while the control
 * socket runs. */
struct tern_ctl_src {
	const char *dev;
	struct tern_worker *const *workers;
	uint32_t nworkers;
	const struct tern_maps *maps;
	void (*stop)(void *arg);          /* the `stop` command */
	void *stop_arg;
	/* the `reload` command (NULL: none): reply text or -errno, as a
	 * tern_ctl_handler */
	int (*reload)(void *arg, char *reply, size_t cap);
	void *reload_arg;
	/* The last reload's outcome and the time of the last success (the
	 * start until then), Unix seconds; the reload writes them and
	 * `metrics` reads them with __atomic builtins. */
	int reload_ok;
	int64_t reload_time;
	/* `drain BACKEND` / `undrain BACKEND` (NULL: none), with reload_arg */
	int (*drain)(void *arg, const char *backend, int on, char *reply, size_t cap);
	/* `health`: 1 serving, 0 not, with the reasons in why (NUL-ended),
	 * with stop_arg */
	int (*health)(void *arg, char *why, size_t cap);
	struct tern_capture *capture;     /* the capture session, control thread only */
	struct tern_xdpc *xdpc;           /* SYN cookies in XDP; NULL: none */
	/* `rotate-secret FILE` (NULL: none), with reload_arg: takes the reload
	 * lock and runs tern_rotate__run() */
	int (*rotate)(void *arg, const char *path, char *reply, size_t cap);
	struct tern_keyring *keys;        /* the daemon's keys (fleet.h) */
	uint64_t secret_rotations;        /* __atomic: rotations applied */
};

/* A tern_ctl_handler; ctx is a struct tern_ctl_src. */
int tern_ctl_cmds__handle(void *ctx, const char *cmd, char *reply, size_t cap);

#endif
