/* SPDX-License-Identifier: BSD-2-Clause */
/* The application's settings at run time: reload and drain (reload_app.c). */
#ifndef TERN_IO_RELOAD_APP_H
#define TERN_IO_RELOAD_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl_cmds.h"
#include "ctl_out.h"
#include "opts.h"

/* Is key (a long flag) applied by tern_reload_app__run? */
bool tern_reload_app__key(const char *key);

/*
 * The application settings of n (a re-parse) that differ from cur's, on
 * every worker; "key: applied (...)" lines, or "key: not applied ..."
 * with -errno. cur follows only when every worker took them.
 */
int tern_reload_app__run(struct tern_args *cur, const struct tern_args *n,
			 struct tern_ctl_src *src, struct tern_out_buf *o);

/*
 * ternctl drain|undrain BACKEND (--app proxy): the length of the reply
 * line, or -errno with the reason in reply.
 */
int tern_reload_app__drain(struct tern_args *cur, struct tern_ctl_src *src, const char *name,
			   bool drain, char *reply, size_t cap);

#endif
