/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside --app proxy: the per-worker instance, its counters and its
 * backend pool (proxy_pool.c: choice and health checks). */
#ifndef TERN_APP_PROXY_PRIV_H
#define TERN_APP_PROXY_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "proxy.h"
#include "user/io/backend.h"

/* Counters (`ternctl stats`, "app", and /metrics): id, name, kind
 * (TERN_APP_COUNTER or TERN_APP_GAUGE); the X(...) order is the array's. */
#define PX_COUNTERS(X)                                                          \
	X(PX_CONNS, "ProxyConns", TERN_APP_GAUGE)                     /* relayed now */ \
	X(PX_ACCEPTED, "ProxyAccepted", TERN_APP_COUNTER)                             \
	X(PX_CONNECTS, "ProxyBackendConnects", TERN_APP_COUNTER)      /* attempts */  \
	X(PX_CONNECT_FAILS, "ProxyBackendConnectFails", TERN_APP_COUNTER)             \
	X(PX_CONNECT_TIMEOUTS, "ProxyBackendConnectTimeouts", TERN_APP_COUNTER)       \
	X(PX_NO_BACKEND, "ProxyNoBackend", TERN_APP_COUNTER)          /* none healthy: RST */ \
	X(PX_NO_MEMORY, "ProxyNoMemory", TERN_APP_COUNTER)            /* RST at accept */ \
	X(PX_CLIENT_RESETS, "ProxyClientResets", TERN_APP_COUNTER)    /* client RST -> backend */ \
	X(PX_BACKEND_RESETS, "ProxyBackendResets", TERN_APP_COUNTER)  /* backend error -> RST */ \
	X(PX_DEFER_TIMEOUTS, "ProxyDeferTimeouts", TERN_APP_COUNTER)                  \
	X(PX_BYTES_TO_BACKEND, "ProxyBytesToBackend", TERN_APP_COUNTER)               \
	X(PX_BYTES_TO_CLIENT, "ProxyBytesToClient", TERN_APP_COUNTER)                 \
	X(PX_QUEUED_TO_BACKEND, "ProxyQueuedToBackend", TERN_APP_GAUGE) /* bytes held */ \
	X(PX_QUEUED_TO_CLIENT, "ProxyQueuedToClient", TERN_APP_GAUGE) /* bytes held */ \
	X(PX_BUF_BYTES, "ProxyBufBytes", TERN_APP_GAUGE)              /* allocated */ \
	X(PX_BUF_GROWS, "ProxyBufGrows", TERN_APP_COUNTER)            /* a ring doubled */ \
	X(PX_BUF_GROW_FAILS, "ProxyBufGrowFails", TERN_APP_COUNTER)   /* no memory: kept */ \
	X(PX_BACKEND_FDS, "ProxyBackendFds", TERN_APP_GAUGE)          /* open sockets */ \
	X(PX_HEALTH_CHECKS, "ProxyHealthChecks", TERN_APP_COUNTER)                    \
	X(PX_HEALTH_FAILS, "ProxyHealthFails", TERN_APP_COUNTER)                      \
	X(PX_BACKENDS_DOWN, "ProxyBackendDown", TERN_APP_COUNTER)     /* transitions */ \
	X(PX_BACKENDS_UP, "ProxyBackendUp", TERN_APP_COUNTER)         /* transitions */ \
	X(PX_BACKENDS_HEALTHY, "ProxyBackendsHealthy", TERN_APP_GAUGE) \
	X(PX_BACKENDS_DRAINED, "ProxyBackendsDrained", TERN_APP_GAUGE) \
	X(PX_FRAMES, "ProxyFrames", TERN_APP_GAUGE)                   /* UMEM buffers held */ \
	X(PX_FRAME_QUOTA, "ProxyFrameQuotaFull", TERN_APP_COUNTER)    /* a conn at its share */ \
	X(PX_FRAME_NONE, "ProxyFrameNone", TERN_APP_COUNTER)          /* the worker had none */ \
	X(PX_UP_FRAMES, "ProxyUpFrames", TERN_APP_GAUGE)              /* client frames held */ \
	X(PX_UP_HELD, "ProxyUpHeld", TERN_APP_COUNTER)                /* segments sent from their frame */ \
	X(PX_UP_COPIED, "ProxyUpCopied", TERN_APP_COUNTER)            /* segments copied into c2b */ \
	X(PX_UP_SHARE, "ProxyUpShareFull", TERN_APP_COUNTER)          /* uploads at half the worker's */ \
	X(PX_DOWN_RING, "ProxyDownRingBytes", TERN_APP_COUNTER)       /* b2c read into the ring: no buffer */

enum {
#define X(id, name, kind) id,
	PX_COUNTERS(X)
#undef X
	PX__COUNT
};

/* The struct that embeds member m (a struct tern_ring_op) at p. */
#define container_of(p, type, m) ((type *)((char *)(p) - offsetof(type, m)))

struct px;

/*
 * One backend as this worker sees it. It lives while it is in the
 * current set (active), carries relayed connections, or has a health
 * check pending: a reload that removes it leaves its connections on it.
 */
struct px_backend {
	struct px *px;
	struct px_backend *next;      /* every backend of the worker */
	struct tern_proxy_backend cfg;
	struct tern_ring_op op;       /* health check connect */
	int fd;                       /* health check socket, -1 */
	uint32_t conns;               /* relayed connections now */
	bool active;                  /* in the current set */
	bool healthy;
	bool drained;                 /* ternctl drain: no new connections */
	uint8_t ok_run, fail_run;     /* consecutive results */
};

struct px_conn;

struct px {
	struct tern_app_env env;
	struct tern_proxy_opts o;     /* with the defaults filled in */
	struct px_backend *be[TERN_PROXY_MAX_BACKENDS]; /* the current set, o.nbackends */
	struct px_backend *all;       /* the set and the removed ones still in use */
	uint32_t rr;                  /* round-robin cursor */
	struct tern_ring_op health_op;/* the interval timer */
	struct __kernel_timespec health_ts, check_ts;
	bool health_armed;
	struct px_conn *live;         /* every px_conn, for fini and gauges */
	struct px_conn *due;          /* operations to post at the pass's end */
	uint32_t fquota;              /* UMEM frames one connection may hold, both ways; 0: none */
	uint64_t ctr[PX__COUNT];
};

/* proxy_pool.c */
int px_pool__init(struct px *px);
void px_pool__fini(struct px *px);
/* A healthy backend that is not drained, by the balance rule, or NULL. */
struct px_backend *px_pool__pick(struct px *px);
/* A relayed connection leaves b (which goes if nothing holds it). */
void px_pool__leave(struct px_backend *b);
void px_pool__health_start(struct px *px);
/* The backends, their drain marks and the health and balance settings of
 * o (a reload): backends with the same address keep their state and
 * connections; removed ones keep theirs until they end. 0 or -ENOMEM
 * (nothing changed). */
int px_pool__set(struct px *px, const struct tern_proxy_opts *o);

#endif
