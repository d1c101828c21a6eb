// SPDX-License-Identifier: BSD-2-Clause
/*
 * echo: writes back every byte received; when the peer closes, flushes and
 * closes. Bytes are copied once into 16 KiB blocks (the frame is gone
 * after the callback), chained per connection, and sent back from them by
 * reference (zero copy), so what a connection holds is its send buffer
 * too. Connections run in receive-credit mode: the credit given never
 * lets a connection hold more than its send buffer (tern_conn__sndbuf,
 * which grows with cwnd up to --wmem's MAX while that credit is what
 * limits the peer: credit_used()), so a peer that does not read
 * what it is sent stops being read from (its window closes) instead of
 * making tern buffer without bound; it is read again as it acknowledges.
 * Blocks come from a per-worker cache, then malloc().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

#define ECHO_BLK 16384u       /* bytes per block */
#define ECHO_INIT 65535u      /* first credit: the largest SYN-ACK window */
#define ECHO_MAX_CONNS 16384u /* per worker, at most */
#define ECHO_CACHE 256u       /* free blocks a worker keeps */

struct echo_blk {
	struct echo_blk *next;
	uint8_t data[ECHO_BLK];
};

/* Stream offsets are free-running 32-bit counters. Blocks hold
 * [first_at, last_at + ECHO_BLK) in order; cur holds byte `sent`. */
struct echo_conn {
	struct echo_blk *first, *last, *cur;
	uint32_t first_at, last_at, cur_at;
	uint32_t head;  /* oldest byte not yet acknowledged by the peer */
	uint32_t sent;  /* next byte to hand to tern_conn__send */
	uint32_t tail;  /* next byte to receive */
	uint32_t edge;  /* tail + receive credit: the most the peer may send */
	uint32_t next_free;
	uint8_t fin;    /* 1: the peer closed, close once all is queued; 2: closed */
};

struct echo {
	struct tern_app_env env;
	struct echo_conn *conns;
	struct echo_blk *cache;
	uint32_t ncache;
	uint32_t nconns;
	uint32_t free_head;
	uint64_t refused;       /* no record left at accept */
	uint64_t nomem;         /* aborted: no block for received data */
};

#define NONE UINT32_MAX

static struct echo_conn *st(struct tern_conn *c)
{
	return tern_conn__user(c);
}

static struct echo_blk *blk_get(struct echo *e)
{
	struct echo_blk *b = e->cache;

	if (!b)
		return malloc(sizeof(*b));
	e->cache = b->next;
	e->ncache--;
	return b;
}

static void blk_put(struct echo *e, struct echo_blk *b)
{
	if (e->ncache >= ECHO_CACHE) {
		free(b);
		return;
	}
	b->next = e->cache;
	e->cache = b;
	e->ncache++;
}

/* Append len bytes at tail. 0, or -ENOMEM. */
static int put(struct echo *e, struct echo_conn *ec, const uint8_t *p, uint32_t len)
{
	while (len) {
		uint32_t off, n;

		if (!ec->last || ec->tail - ec->last_at == ECHO_BLK) {
			struct echo_blk *b = blk_get(e);

			if (!b)
				return -ENOMEM;
			b->next = NULL;
			if (ec->last) {
				ec->last->next = b;
				ec->last_at += ECHO_BLK;
			} else {
				ec->first = ec->cur = b;
				ec->first_at = ec->cur_at = ec->last_at = ec->tail;
			}
			ec->last = b;
		}
		off = ec->tail - ec->last_at;
		n = ECHO_BLK - off < len ? ECHO_BLK - off : len;
		memcpy(ec->last->data + off, p, n);
		ec->tail += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* Queue [sent, tail) for sending, a block at a time. */
static void pump(struct echo *e, struct tern_conn *c, struct echo_conn *ec)
{
	while (ec->sent != ec->tail) {
		uint32_t off, n;
		int r;

		if (ec->sent - ec->cur_at == ECHO_BLK) {
			ec->cur = ec->cur->next;
			ec->cur_at += ECHO_BLK;
		}
		off = ec->sent - ec->cur_at;
		n = ec->tail - ec->sent;
		if (n > ECHO_BLK - off)
			n = ECHO_BLK - off;
		r = tern_conn__send(e->env.stack, c, ec->cur->data + off, n, *e->env.now, e->env.out);
		if (r <= 0)
			return; /* -EAGAIN: writable() calls again */
		ec->sent += (uint32_t)r;
	}
	if (ec->fin == 1) {
		ec->fin = 2;
		tern_conn__close(e->env.stack, c, *e->env.now, e->env.out);
	}
}

/* Credit up to head + the send buffer: what the connection may hold.
 * tern: the receive window follows the echo still unacknowledged, so
 * when the peer ACKs echoed data the window reopens, and once it doubled
 * the core advertises it at once (tern_conn__rcv_credit()); a Linux echo
 * server's reader empties its receive buffer whatever its send buffer
 * holds, so its window does not shrink and no such update follows
 * (tests/net/datapath.py: data_lost, ack_lost, rst_established). */
static void grant(struct echo *e, struct tern_conn *c, struct echo_conn *ec)
{
	uint32_t want = ec->head + tern_conn__sndbuf(e->env.stack, c);

	if ((int32_t)(want - ec->edge) <= 0)
		return;
	tern_conn__rcv_credit(e->env.stack, c, want - ec->edge, *e->env.now, e->env.out);
	ec->edge = want;
}

/* The credit grant() gives is the send buffer less what echo holds. Once
 * what is left of it is below the window the connection aims at
 * (tern_conn__rcvbuf()), the send buffer is what holds the peer back,
 * though no send was refused: say so (tern_conn__sndbuf_full()), so that
 * the next ACK may grow it, as a Linux echo server's blocked write does
 * (tcp_new_space(): to two congestion windows while cwnd does not limit
 * sending, up to --wmem's MAX), and grant() then gives the larger credit.
 * Without it the buffer stays at --wmem's DEF, and a connection moves
 * DEF / 2 per round trip (2.4 MiB/s at 50 ms). */
static void credit_used(struct echo *e, struct tern_conn *c, const struct echo_conn *ec)
{
	if (ec->edge - ec->tail < tern_conn__rcvbuf(e->env.stack, c))
		tern_conn__sndbuf_full(c);
}

static int echo_accept(void *ctx, struct tern_conn *c)
{
	struct echo *e = ctx;
	struct echo_conn *ec;
	uint32_t sndbuf = tern_conn__sndbuf(e->env.stack, c);

	if (e->free_head == NONE) {
		e->refused++;
		return -ENOBUFS;
	}
	ec = &e->conns[e->free_head];
	e->free_head = ec->next_free;
	*ec = (struct echo_conn){ .edge = ECHO_INIT };
	if (sndbuf < ECHO_INIT) {
		/* tern: below the SYN-ACK's window (--wmem DEF under 64 KiB). */
		tern_conn__rcv_limit(c, sndbuf);
		ec->edge = sndbuf;
	}
	tern_conn__set_user(c, ec);
	return 0; /* in credit mode with ECHO_INIT: the listener's rcv_buf */
}

static void echo_data(void *ctx, struct tern_conn *c, const uint8_t *p, uint32_t len)
{
	struct echo *e = ctx;
	struct echo_conn *ec = st(c);

	/* The credit bounds len by what this connection may hold. */
	if (put(e, ec, p, len)) {
		e->nomem++;
		tern_conn__abort(e->env.stack, c, *e->env.now, e->env.out);
		return;
	}
	pump(e, c, ec);
	credit_used(e, c, ec);
}

static void echo_acked(void *ctx, struct tern_conn *c, uint32_t bytes)
{
	struct echo *e = ctx;
	struct echo_conn *ec = st(c);

	ec->head += bytes;
	while (ec->first && ec->head - ec->first_at >= ECHO_BLK) {
		struct echo_blk *next = ec->first->next;

		if (ec->cur == ec->first) {
			ec->cur = next;
			ec->cur_at += ECHO_BLK;
		}
		blk_put(e, ec->first);
		ec->first = next;
		ec->first_at += ECHO_BLK;
		if (!next)
			ec->last = NULL;
	}
	grant(e, c, ec);
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

	(void)reason;
	if (!ec)
		return; /* refused at accept */
	while (ec->first) {
		struct echo_blk *next = ec->first->next;

		blk_put(e, ec->first);
		ec->first = next;
	}
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
	uint32_t n = env->max_conns < ECHO_MAX_CONNS ? env->max_conns : ECHO_MAX_CONNS;

	if (!e)
		return NULL;
	e->env = *env;
	e->nconns = n;
	e->conns = calloc(n, sizeof(*e->conns));
	if (!e->conns) {
		free(e);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++)
		e->conns[i].next_free = i + 1 < n ? i + 1 : NONE;
	e->free_head = n ? 0 : NONE;
	return e;
}

/* Free a chain of blocks. */
static void blk_free_all(struct echo_blk *b)
{
	while (b) {
		struct echo_blk *next = b->next;

		free(b);
		b = next;
	}
}

/* Also the blocks of connections still open: a stack torn down without
 * closing them (an abort, the unit tests) never calls echo_closed. */
static void echo_fini(void *ctx)
{
	struct echo *e = ctx;

	if (!e)
		return;
	for (uint32_t i = 0; i < e->nconns; i++)
		blk_free_all(e->conns[i].first);
	blk_free_all(e->cache);
	free(e->conns);
	free(e);
}

const struct tern_app tern_app_echo = {
	.name = "echo",
	.ops = &echo_ops,
	.rcv_buf = ECHO_INIT,
	.worker_init = echo_init,
	.worker_fini = echo_fini,
};
