/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --app proxy: relays every established connection to a backend over the
 * kernel's TCP (io_uring on the worker's ring), with an optional PROXY
 * protocol header, backend choice over healthy backends and TCP health
 * checks. Options (struct tern_proxy_opts) come from the daemon's
 * command line (--backend, --proxy-*, --balance, --health-*,
 * --defer-accept).
 */
#ifndef TERN_APP_PROXY_H
#define TERN_APP_PROXY_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tern/tern.h"

#define TERN_PROXY_MAX_BACKENDS 16
#define TERN_PROXY_BUF_DEF (4u << 20)    /* most bytes per direction per connection:
					  * Linux's tcp_wmem[2] */
#define TERN_PROXY_BUF_INIT_DEF (64u << 10) /* where the rings start, at most buf */
#define TERN_PROXY_BUF_MIN 4096u
#define TERN_PROXY_BUF_MAX (16u << 20)
#define TERN_PROXY_CONNECT_MS_DEF 3000u
#define TERN_PROXY_HEALTH_INTERVAL_MS_DEF 2000u
#define TERN_PROXY_HEALTH_TIMEOUT_MS_DEF 1000u
#define TERN_PROXY_HEALTH_RISE_DEF 2u
#define TERN_PROXY_HEALTH_FALL_DEF 3u

enum tern_proxy_balance { TERN_PROXY_RR = 0, TERN_PROXY_LEASTCONN };

struct tern_proxy_backend {
	struct sockaddr_storage sa;
	socklen_t salen;
	char name[64]; /* as given, for messages */
};

/* All zero means defaults (TERN_PROXY_*_DEF); nbackends >= 1 is required. */
struct tern_proxy_opts {
	struct tern_proxy_backend backends[TERN_PROXY_MAX_BACKENDS];
	int nbackends;
	uint8_t proxy_protocol;        /* 0 none, 1 or 2 */
	uint8_t balance;               /* enum tern_proxy_balance */
	uint8_t health_rise, health_fall;
	uint32_t buf;                  /* most bytes per direction per connection */
	uint32_t buf_init;             /* the rings' first size (<= buf; 0: default) */
	uint32_t connect_ms;           /* backend connect timeout */
	uint32_t defer_accept_ms;      /* 0: connect at once */
	uint32_t health_interval_ms;   /* 0: default; UINT32_MAX: no health checks */
	uint32_t health_timeout_ms;
	uint16_t drained;              /* bit i: backends[i] takes no new connection */
};

/* The receive window a proxied connection starts with (the listener's
 * rcv_buf): its client -> backend ring's first size. */
uint32_t tern_proxy__rcv_buf(const struct tern_proxy_opts *o);
/* Parse "IPv4:PORT" or "[IPv6]:PORT" into b; 0 or -EINVAL. */
int tern_proxy__parse_backend(struct tern_proxy_backend *b, const char *s);

/*
 * PROXY protocol header (haproxy's proxy-protocol.txt) for a connection
 * from tuple's remote end to its local end, into buf (cap bytes). v1: the
 * text form "PROXY TCP4|TCP6 src dst sport dport\r\n" (at most 107
 * bytes); v2: the binary form with command PROXY, TCP over IPv4 (28
 * bytes) or IPv6 (52 bytes). Returns the length, or -EINVAL (version),
 * -ENOSPC (cap).
 */
#define TERN_PROXY_HDR_MAX 108
int tern_proxy__header(int version, const struct tern_tuple *t, uint8_t *buf, uint32_t cap);

#endif
