/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control socket: a UNIX stream socket served by its own thread and
 * io_uring, never by a packet worker. One request per connection: the
 * client sends one line, the server answers and closes. Bounded: at most
 * TERN_CTL_MAX_CLIENTS at once (more are closed at once and counted), a
 * request line of at most TERN_CTL_REQ_MAX bytes, TERN_CTL_TIMEOUT_MS to
 * send it.
 *
 * Reply: "ok\n" followed by the payload, or "error: <text>\n".
 */
#ifndef TERN_IO_CTL_H
#define TERN_IO_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define TERN_CTL_MAX_CLIENTS 32
#define TERN_CTL_REQ_MAX 1024
#define TERN_CTL_REPLY_MAX (1u << 20)
#define TERN_CTL_TIMEOUT_MS 5000

/*
 * Handles one request line (without the newline) on the control thread;
 * writes the payload into reply (cap bytes) and returns its length, or a
 * negative errno (the reply then holds the error text, NUL-terminated, or
 * is empty to use strerror).
 */
typedef int (*tern_ctl_handler)(void *ctx, const char *cmd, char *reply, size_t cap);

struct tern_ctl_stats {
	uint64_t requests;
	uint64_t refused;  /* over TERN_CTL_MAX_CLIENTS */
	uint64_t errors;   /* bad requests, timeouts, I/O errors */
};

struct tern_ctl;

/* Listen on path (its directory is created; a stale socket left by a
 * killed daemon is replaced; a live one is -EADDRINUSE) and start the
 * control thread. NULL with errno set on failure. */
struct tern_ctl *tern_ctl__start(const char *path, tern_ctl_handler fn, void *ctx);

/* The optional HTTP listener (the daemon's --metrics ADDR:PORT) served by
 * the same thread: HTTP/1.1 "GET /metrics" (or HEAD) answers the handler's
 * "metrics" command as text/plain; version=0.0.4, one request per
 * connection; anything else is 400/404/405. HTTP clients take at most
 * half of the TERN_CTL_MAX_CLIENTS slots. */
struct tern_ctl_http {
	struct sockaddr_storage addr;
	socklen_t len;
};

/* "127.0.0.1:10188" or "[::1]:10188" into h; -EINVAL if malformed, -EPERM
 * for an address that is not loopback unless remote_ok. */
int tern_ctl__parse_http(const char *s, bool remote_ok, struct tern_ctl_http *h);
struct tern_ctl *tern_ctl__start_http(const char *path, const struct tern_ctl_http *http,
				      tern_ctl_handler fn, void *ctx);
void tern_ctl__stop(struct tern_ctl *ctl);
void tern_ctl__stats(const struct tern_ctl *ctl, struct tern_ctl_stats *out);

/* Client side (ternctl): send cmd, read the whole reply into buf (NUL-
 * terminated). Returns the reply length or a negative errno (-ENOENT or
 * -ECONNREFUSED: no daemon). */
int tern_ctl__request(const char *path, const char *cmd, char *buf, size_t cap, int timeout_ms);

#endif
