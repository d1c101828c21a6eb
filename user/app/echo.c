// SPDX-License-Identifier: BSD-2-Clause
/*
 * echo: writes back every byte received; when the peer closes, flushes and
 * closes. Each connection gets a ring buffer from a per-worker pool: bytes
 * are copied in once (the frame is gone after the callback) and sent back
 * from the ring by reference (zero copy), so the ring is the send buffer
 * too. Connections run in receive-credit mode with the ring's size (the
 * daemon puts it in the listener's rcv_buf, so even the SYN-ACK promises
 * no more), so
 * a peer that does not read what it is sent stops being read from (its
 * window closes) instead of making tern buffer without bound.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

#define ECHO_BUF 8192u        /* per connection; a power of two */
#define ECHO_MAX_BUFS 16384u  /* per worker, at most */

struct echo_conn {
	uint8_t *buf;
	uint32_t head;  /* oldest byte not yet acknowledged by the peer */
	uint32_t sent;  /* next byte to hand to tern_conn__send */
	uint32_t tail;  /* next byte to receive (all counters free-running) */
	uint32_t next_free;
	uint8_t fin;    /* 1: the peer closed, close once all is queued; 2: closed */
};

struct echo {
	struct tern_app_env env;
	struct echo_conn *conns;
	uint8_t *mem;
	uint32_t nconns;
	uint32_t free_head;
	uint64_t refused;       /* no buffer left at accept */
};

#define NONE UINT32_MAX

static struct echo_conn *st(struct tern_conn *c)
{
	return tern_conn__user(c);
}

/* Queue [sent, tail) for sending, in at most two pieces (ring wrap). */
static void pump(struct echo *e, struct tern_conn *c, struct echo_conn *ec)
{
	while (ec->sent != ec->tail) {
		uint32_t off = ec->sent & (ECHO_BUF - 1), n = ec->tail - ec->sent;
		int r;

		if (n > ECHO_BUF - off)
			n = ECHO_BUF - off;
		r = tern_conn__send(e->env.stack, c, ec->buf + off, n, *e->env.now, e->env.out);
		if (r <= 0)
			return; /* -EAGAIN: writable() calls again */
		ec->sent += (uint32_t)r;
	}
	if (ec->fin == 1) {
		ec->fin = 2;
		tern_conn__close(e->env.stack, c, *e->env.now, e->env.out);
	}
}

static int echo_accept(void *ctx, struct tern_conn *c)
{
	struct echo *e = ctx;
	struct echo_conn *ec;

	if (e->free_head == NONE) {
		e->refused++;
		return -ENOBUFS;
	}
	ec = &e->conns[e->free_head];
	e->free_head = ec->next_free;
	ec->head = ec->sent = ec->tail = 0;
	ec->fin = 0;
	tern_conn__set_user(c, ec);
	return 0; /* in credit mode with ECHO_BUF: the listener's rcv_buf */
}

static void echo_data(void *ctx, struct tern_conn *c, const uint8_t *p, uint32_t len)
{
	struct echo_conn *ec = st(c);

	/* The credit guarantees len <= free room in the ring. */
	tern_app__ring_put(ec->buf, ECHO_BUF, &ec->tail, p, len);
	pump(ctx, c, ec);
}

static void echo_acked(void *ctx, struct tern_conn *c, uint32_t bytes)
{
	struct echo *e = ctx;
	struct echo_conn *ec = st(c);

	ec->head += bytes;
	tern_conn__rcv_credit(e->env.stack, c, bytes, *e->env.now, e->env.out);
}

static void echo_writable(void *ctx, struct tern_conn *c)
{
	pump(ctx, c, st(c));
}

static void echo_fin(void *ctx, struct tern_conn *c)
{
	struct echo_conn *ec = st(c);

	ec->fin = 1;
	pump(ctx, c, ec);
}

static void echo_closed(void *ctx, struct tern_conn *c, int reason)
{
	struct echo *e = ctx;
	struct echo_conn *ec = st(c);

	if (!ec)
		return; /* refused at accept */
	ec->next_free = e->free_head;
	e->free_head = (uint32_t)(ec - e->conns);
	tern_conn__set_user(c, NULL);
}

static const struct tern_app_ops echo_ops = {
	.accept = echo_accept,
	.data = echo_data,
	.fin = echo_fin,
	.acked = echo_acked,
	.writable = echo_writable,
	.closed = echo_closed,
};

static void *echo_init(const struct tern_app_env *env)
{
	struct echo *e = calloc(1, sizeof(*e));
	uint32_t n = env->max_conns < ECHO_MAX_BUFS ? env->max_conns : ECHO_MAX_BUFS;

	if (!e)
		return NULL;
	e->env = *env;
	e->nconns = n;
	e->conns = calloc(n, sizeof(*e->conns));
	e->mem = calloc(n, ECHO_BUF); /* pages are touched only when used */
	if (!e->conns || !e->mem) {
		free(e->conns);
		free(e->mem);
		free(e);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		e->conns[i].buf = e->mem + (size_t)i * ECHO_BUF;
		e->conns[i].next_free = i + 1 < n ? i + 1 : NONE;
	}
	e->free_head = n ? 0 : NONE;
	return e;
}

static void echo_fini(void *ctx)
{
	struct echo *e = ctx;

	if (!e)
		return;
	free(e->conns);
	free(e->mem);
	free(e);
}

const struct tern_app tern_app_echo = {
	.name = "echo",
	.ops = &echo_ops,
	.rcv_buf = ECHO_BUF,
	.worker_init = echo_init,
	.worker_fini = echo_fini,
};
