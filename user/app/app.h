/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Built-in applications (--app NAME). The daemon creates one instance per
 * worker: worker_init() gets the worker's stack and the places its calls
 * must use (the output array and the current time, both owned by the
 * worker and valid for the worker's life) and returns the instance's ctx,
 * which the stack then passes to every callback in ops.
 */
#ifndef TERN_APP_H
#define TERN_APP_H

#include <stdint.h>

#include "tern/tern.h"

struct tern_app_env {
	struct tern_stack *stack;
	struct tern_out *out;     /* segments caused by calls from callbacks */
	const uint64_t *now;      /* the worker's current time, ns */
	uint32_t max_conns;       /* the stack's connection bound */
};

struct tern_app {
	const char *name;
	const struct tern_app_ops *ops;
	/* Bytes the application can take per connection before it frees
	 * room with tern_conn__rcv_credit(); the daemon sets the listeners'
	 * rcv_buf to it. 0: it takes everything as it is delivered. */
	uint32_t rcv_buf;
	/* NULL and errno set on failure */
	void *(*worker_init)(const struct tern_app_env *env);
	void (*worker_fini)(void *ctx);
};

extern const struct tern_app tern_app_echo;

/* The built-in application called name, or NULL. */
const struct tern_app *tern_app__find(const char *name);

#endif
