/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fleet's cookie secret (--cookie-secret FILE, docs/fleet.md): the
 * file's checks, its keys, and the memory that holds them -- pages kept out
 * of core dumps (MADV_DONTDUMP) and zeroed before they are released.
 */
#ifndef TERN_IO_FLEET_H
#define TERN_IO_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "user/core/tcp.h"

/* Every key the daemon holds, in one page-aligned region of its own. */
struct tern_keyring {
	struct tern_secrets host;      /* getrandom(2): every stack starts from these */
	struct tern_fleet_keys cur;    /* the fleet keys the stacks use */
	struct tern_fleet_keys next;   /* being rotated in (control thread) */
	int64_t count_off;             /* CLOCK_REALTIME - CLOCK_MONOTONIC at start, ns */
	int fleet;                     /* cur is in use (--cookie-secret) */
};

/* A zeroed keyring outside core dumps; NULL and errno on failure. */
struct tern_keyring *tern_keyring__new(void);
/* Zero it and unmap it; NULL is fine. */
void tern_keyring__free(struct tern_keyring *r);

/*
 * Check the secret file at path -- a regular file, no group or other
 * permission bits, owned by the effective uid, TERN_FLEET_SECRET_MIN to
 * TERN_FLEET_SECRET_MAX bytes -- and, when k is not NULL, derive its keys
 * into k. 0, or -errno with the reason (one phrase, no file name) in why.
 */
int tern_fleet__load(const char *path, struct tern_fleet_keys *k, char *why, size_t cap);

#endif
