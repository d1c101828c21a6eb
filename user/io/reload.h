/* SPDX-License-Identifier: BSD-2-Clause */
/* Re-reading the configuration at run time (reload.c). */
#ifndef TERN_IO_RELOAD_H
#define TERN_IO_RELOAD_H

#include <stddef.h>

#include "ctl_cmds.h"
#include "opts.h"

/*
 * Parse cur's command line and file again; apply the run-time keys to the
 * workers through src (and to cur), list the keys that need a restart.
 * Returns the length of the text in reply ("key: applied (...)" /
 * "key: changed, needs a restart" lines, or "no change"), or -errno with
 * one line in reply (a parse error as "file:line: message": nothing is
 * applied then). Not thread-safe: the caller serializes.
 */
int tern_reload__run(struct tern_args *cur, struct tern_ctl_src *src, char *reply, size_t cap);

#endif
