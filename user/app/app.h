/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Built-in applications (--app NAME) and their options. struct tern_app
 * and its env are public: include/tern/app.h.
 */
#ifndef TERN_APP_H
#define TERN_APP_H

#include <stdint.h>
#include <string.h>

#include "tern/app.h"
#include "tern/tern.h"
#include "proxy.h"

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
	struct tern_proxy_opts proxy; /* --app proxy: --backend, --proxy-*, ... */
};

extern const struct tern_app tern_app_echo;
extern const struct tern_app tern_app_discard;
extern const struct tern_app tern_app_http;
extern const struct tern_app tern_app_proxy;

/* Appends len bytes to a power-of-two byte ring at *tail (free-running
 * index); the caller guarantees the room (the receive credit it granted). */
static inline void tern_app__ring_put(uint8_t *ring, uint32_t size, uint32_t *tail,
				      const uint8_t *p, uint32_t len)
{
	while (len) {
		uint32_t off = *tail & (size - 1), n = size - off;

		if (n > len)
			n = len;
		memcpy(ring + off, p, n);
		*tail += n;
		p += n;
		len -= n;
	}
}

/* The built-in application called name, or NULL. */
const struct tern_app *tern_app__find(const char *name);

#endif
