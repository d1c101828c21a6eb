// SPDX-License-Identifier: BSD-2-Clause
/*
 * discard: reads and drops every byte (RFC 863 without the UDP half); when
 * the peer closes, closes. It takes everything as it is delivered (no
 * receive credit), so the window stays open.
 */
#include <errno.h>
#include <stdlib.h>

#include "app.h"

struct discard {
	struct tern_app_env env;
};

static void discard_fin(void *ctx, struct tern_conn *c)
{
	struct discard *d = ctx;

	tern_conn__close(d->env.stack, c, *d->env.now, d->env.out);
}

static const struct tern_app_ops discard_ops = {
	.fin = discard_fin,
};

static void *discard_init(const struct tern_app_env *env)
{
	struct discard *d = calloc(1, sizeof(*d));

	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->env = *env;
	return d;
}

static void discard_fini(void *ctx)
{
	free(ctx);
}

const struct tern_app tern_app_discard = {
	.name = "discard",
	.ops = &discard_ops,
	.rcv_buf = 0,
	.worker_init = discard_init,
	.worker_fini = discard_fini,
};
