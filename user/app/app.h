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

/* Daemon options for the built-in applications (--http-*); all zero means
 * each application's defaults. */
#define TERN_APP_HTTP_MAX_HEADERS 16
#define TERN_APP_HTTP_MAX_BODY (1u << 20)
struct tern_app_opts {
	uint32_t http_status;         /* 0: 200 */
	const uint8_t *http_body;     /* NULL: "tern\n" */
	uint32_t http_body_len;
	uint32_t http_idle_ms;        /* idle keep-alive timeout; 0: 10 s */
	const char *http_headers[TERN_APP_HTTP_MAX_HEADERS]; /* "Name: value", checked */
	int http_nheaders;
};

struct tern_app_env {
	struct tern_stack *stack;
	struct tern_out *out;     /* segments caused by calls from callbacks */
	const uint64_t *now;      /* the worker's current time, ns */
	uint32_t max_conns;       /* the stack's connection bound */
	const struct tern_app_opts *opts; /* NULL: defaults */
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
extern const struct tern_app tern_app_discard;
extern const struct tern_app tern_app_http;

/* The built-in application called name, or NULL. */
const struct tern_app *tern_app__find(const char *name);

#endif
