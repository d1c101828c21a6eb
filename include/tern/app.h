/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An application on tern: its callbacks (struct tern_app_ops, tern.h) and
 * how tern makes one instance of it per worker. worker_init() gets the
 * worker's stack and the places the application's calls must use (the
 * output array and the current time, owned by the worker and valid for its
 * life) and returns the instance's ctx, which the stack passes to every
 * callback. The calls of tern.h take (env->stack, conn, ..., *env->now,
 * env->out).
 */
#ifndef TERN_APP_PUBLIC_H
#define TERN_APP_PUBLIC_H

#include <stdint.h>

#include "tern/tern.h"

struct tern_app_opts; /* options of the built-in applications (daemon) */
struct tern_ring;     /* the worker's io_uring for applications (daemon) */

/* Most counters an application may publish (struct tern_app.counters). */
#define TERN_APP_MAX_COUNTERS 32

/* What an application's value is (struct tern_app.counter_kinds). */
enum tern_app_counter_kind {
	TERN_APP_COUNTER = 0, /* only grows */
	TERN_APP_GAUGE,       /* goes up and down */
};

/*
 * Buffers in the worker's packet memory (its UMEM) that an application may
 * receive into and queue with tern_conn__send(). A segment whose payload
 * starts at the start of such a buffer is built around it in place: its
 * headers are written into the bytes in front of the buffer, which are
 * tern's, and the buffer itself goes to the NIC, with no copy of the
 * payload. Any other segment is copied as usual. A buffer is the
 * application's until it gives it back with put(), at the earliest when
 * acked() has covered its bytes or the connection is gone (closed()); one
 * put back while the NIC still reads it is freed when the NIC is done.
 *
 * hold() keeps the received frame that data() lends: called from data()
 * with its p, it makes p and the bytes after it (the call's len) the
 * application's until it puts the frame back with put(p) (or any pointer
 * into those bytes), so it can hand them to its own I/O instead of
 * copying them. A held frame counts against max like a buffer and is
 * never sent in place (do not queue it with tern_conn__send).
 */
struct tern_app_frames {
	void *ctx;
	uint32_t room; /* bytes each buffer holds */
	uint32_t max;  /* buffers the worker lets its application hold at once */
	/* A buffer: 0, or -ENOBUFS when the application holds max or the
	 * worker's free frames are down to its reserve for replies
	 * (counted: app_frame_limit). */
	int (*get)(void *ctx, uint8_t **buf);
	void (*put)(void *ctx, uint8_t *buf);
	/* 0; -ENOBUFS as get() (counted the same); -EINVAL when p is not in
	 * the frame being received (data the core kept out of order and
	 * delivers from its own frames): copy it instead. */
	int (*hold)(void *ctx, const uint8_t *p);
};

struct tern_app_env {
	struct tern_stack *stack;
	struct tern_out *out;     /* segments caused by calls from callbacks */
	const uint64_t *now;      /* the worker's current time, ns */
	uint32_t max_conns;       /* the stack's connection bound */
	const struct tern_app_opts *opts; /* NULL: defaults */
	/* The worker's io_uring, for applications that do kernel I/O of
	 * their own (the proxy's backend sockets); NULL where there is none. */
	struct tern_ring *ring;
	/* Packet-memory buffers (above); NULL where there are none. */
	const struct tern_app_frames *frames;
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
	/* Optional: new settings on a reload (`ternctl reload`, SIGHUP),
	 * run on each worker's thread between callbacks. opts is valid only
	 * during the call (copy what is kept). Returns 0, or -errno with the
	 * instance unchanged. */
	int (*reconfigure)(void *ctx, const struct tern_app_opts *opts);
	/* Optional counters, shown per queue and summed by `ternctl stats`
	 * under "app": counter_names[i] names v[i] of counters(ctx, v), which
	 * runs on the worker's thread. ncounters <= TERN_APP_MAX_COUNTERS. */
	const char *const *counter_names;
	uint32_t ncounters;
	void (*counters)(void *ctx, uint64_t *v);
	/* counter_kinds[i] (enum tern_app_counter_kind) is the kind of v[i],
	 * the type /metrics gives it; NULL: every one is a counter. */
	const uint8_t *counter_kinds;
	/* Optional: called on the worker's thread once per pass of its loop,
	 * after the pass's received segments, timers and completions were
	 * handled and before the ring's submissions go to the kernel: where
	 * an application sizes its I/O by everything the pass freed. */
	void (*batch_end)(void *ctx);
};

#endif
