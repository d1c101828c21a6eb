/* SPDX-License-Identifier: BSD-2-Clause */
/* Rotating the fleet's cookie secret at run time (rotate.c). */
#ifndef TERN_IO_ROTATE_H
#define TERN_IO_ROTATE_H

#include <stddef.h>

#include "ctl_cmds.h"

/*
 * Read the secret file at path (fleet.h checks) and, when its keys differ
 * from the ones in use, rotate every worker's stack to them (the keys in
 * use become the previous ones) and count it in src->secret_rotations.
 * Returns the length of the reply ("rotated" or "unchanged"), or -errno
 * with one line in reply. Not thread-safe: the caller serializes (the
 * daemon's reload lock).
 */
int tern_rotate__run(struct tern_ctl_src *src, const char *path, char *reply, size_t cap);

#endif
