// SPDX-License-Identifier: BSD-2-Clause
/*
 * `ternctl rotate-secret FILE`, and a reload whose --cookie-secret file
 * changed: the new keys go to every worker through its mailbox (the
 * worker rotates its own stack between two passes of its loop, so the
 * packet path takes no lock), and the last worker writes them into the
 * XDP program's cookie map, so that XDP issues under the new keys only
 * once every stack validates them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fleet.h"
#include "log.h"
#include "rotate.h"
#include "worker.h"

#define REQ_TIMEOUT_MS 1000

static int one_worker(struct tern_ctl_src *src, uint32_t q, const struct tern_fleet_keys *k)
{
	struct tern_worker_req r = {
		.op = TERN_REQ_ROTATE,
		.arg = { q + 1 == src->nworkers },
		.data = k,
	};
	int err = tern_worker__request(src->workers[q], &r, NULL, 0, REQ_TIMEOUT_MS);

	return err ? err : r.result < 0 ? r.result : 0;
}

int tern_rotate__run(struct tern_ctl_src *src, const char *path, char *reply, size_t cap)
{
	struct tern_keyring *k = src->keys;
	char why[128];
	int err = 0;

	if (!k || !k->fleet) {
		snprintf(reply, cap, "no --cookie-secret at start: restart tern with one");
		return -EINVAL;
	}
	err = tern_fleet__load(path, &k->next, why, sizeof(why));
	if (err) {
		snprintf(reply, cap, "--cookie-secret %s: %s", path, why);
		return err;
	}
	if (!memcmp(&k->next, &k->cur, sizeof(k->cur))) {
		explicit_bzero(&k->next, sizeof(k->next));
		return snprintf(reply, cap, "unchanged");
	}
	for (uint32_t q = 0; q < src->nworkers && !err; q++) {
		err = one_worker(src, q, &k->next);
		if (err)
			snprintf(reply, cap, "queue %u: %s (queues before it rotated: rotate again)",
				 q, strerror(-err));
	}
	if (err)
		return err; /* next stays: a timed-out worker may still read it */
	k->cur = k->next;
	explicit_bzero(&k->next, sizeof(k->next));
	__atomic_add_fetch(&src->secret_rotations, 1, __ATOMIC_RELAXED);
	tern_log(TERN_LOG_INFO, "SYN cookie keys rotated to %s", path);
	return snprintf(reply, cap, "rotated");
}
