/* SPDX-License-Identifier: BSD-2-Clause */
/* The server started from parsed daemon arguments (user/tern.c). */
#ifndef TERN_IO_SERVER_ARGS_H
#define TERN_IO_SERVER_ARGS_H

#include "user/io/opts.h"
#include "tern/server.h"

/* tern --check: 0, or 2 after printing why the configuration cannot start. */
int tern_server__check_args(const struct tern_args *a);

int tern_server__start_args(struct tern_server **srv, const struct tern_args *a,
			    const struct tern_app *app);

struct tern_worker;

/* The running workers (*w, the count returned): the daemon's watchdog
 * (watchdog.h) reads their progress. */
uint32_t tern_server__workers(struct tern_server *srv, struct tern_worker *const **w);

/* Re-read the configuration file (see reload.h); SIGHUP in the daemon. */
int tern_server__reload(struct tern_server *srv, char *reply, size_t cap);

#endif
