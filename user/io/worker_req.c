// SPDX-License-Identifier: BSD-2-Clause
/*
 * Requests from the control thread, run on the worker's thread: the worker
 * owns the request area and its reply buffer, so a request the caller gave
 * up waiting for can never write into the caller's memory. States:
 * IDLE -> POSTED (caller) -> DONE (worker) -> IDLE (caller, after copying).
 * A caller that times out leaves it POSTED or DONE; the next caller waits
 * for DONE and resets it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "user/core/stack.h"
#include "worker_priv.h"

enum req_state { REQ_IDLE = 0, REQ_POSTED, REQ_DONE };

int tern_worker__req_init(struct tern_worker *w)
{
	w->req_buf = malloc(TERN_WORKER_REQ_BUF);
	w->lopts = *w->conf->lopts;
	return w->req_buf ? 0 : -ENOMEM;
}

void tern_worker__req_fini(struct tern_worker *w)
{
	free(w->req_buf);
	w->req_buf = NULL;
}

struct conns_ctx {
	struct tern_worker *w;
	size_t len;
	uint32_t n, truncated;
};

static void endpoint(char *buf, size_t cap, const struct tern_addr *a, uint16_t port)
{
	char ip[64];

	if (tern_loader__format_addr(a->b, ip, sizeof(ip)) == 6)
		snprintf(buf, cap, "[%s]:%u", ip, port);
	else
		snprintf(buf, cap, "%s:%u", ip, port);
}

static void one_conn(struct tern_conn *c, void *arg)
{
	struct conns_ctx *x = arg;
	const struct tern_tuple *t = tern_conn__tuple(c);
	char l[80], r[80], item[256];
	int n;

	endpoint(l, sizeof(l), &t->laddr, t->lport);
	endpoint(r, sizeof(r), &t->raddr, t->rport);
	n = snprintf(item, sizeof(item),
		     "%s{\"queue\": %u, \"state\": \"%s\", \"local\": \"%s\", \"remote\": \"%s\"}",
		     x->n ? ", " : "", x->w->queue, tern_state_name(tern_conn__state(c)), l, r);
	if (n < 0 || x->len + (size_t)n >= TERN_WORKER_REQ_BUF) {
		x->truncated++;
		return;
	}
	memcpy(x->w->req_buf + x->len, item, (size_t)n);
	x->len += (size_t)n;
	x->n++;
}

static int listeners_apply(struct tern_worker *w)
{
	const struct tern_worker_conf *k = w->conf;
	int err = 0;

	for (int a = 0; a < k->naddrs && !err; a++)
		for (int p = 0; p < k->nports && !err; p++)
			err = tern_stack__listen_opts(w->stack, &k->addrs[a], k->ports[p], &w->lopts);
	return err;
}

static int serve_one(struct tern_worker *w, struct tern_worker_req *r)
{
	struct conns_ctx x = { .w = w };

	switch (r->op) {
	case TERN_REQ_CONNS:
		tern_stack__foreach_conn(w->stack, one_conn, &x);
		r->truncated = x.truncated;
		return (int)x.len;
	case TERN_REQ_SYNCOOKIES:
		return tern_stack__set_syncookies(w->stack, (int)r->arg[0]);
	case TERN_REQ_KEEPALIVE:
		w->lopts.keepalive_idle_s = r->arg[0];
		w->lopts.keepalive_intvl_s = r->arg[1];
		w->lopts.keepalive_cnt = r->arg[2];
		return listeners_apply(w);
	case TERN_REQ_BACKLOG:
		return tern_stack__set_backlog(w->stack, r->arg[0]);
	case TERN_REQ_APP_OPTS:
		if (!w->conf->app->reconfigure)
			return -EOPNOTSUPP;
		return w->conf->app->reconfigure(w->app_ctx, r->data);
	default:
		return -EOPNOTSUPP;
	}
}

/* On the worker thread, once per loop pass: serve a posted request. */
void tern_worker__serve(struct tern_worker *w)
{
	if (atomic_load_explicit(&w->req_state, memory_order_acquire) != REQ_POSTED)
		return;
	w->req.result = serve_one(w, &w->req);
	atomic_store_explicit(&w->req_state, REQ_DONE, memory_order_release);
}

static int wait_state(struct tern_worker *w, int want, int timeout_ms)
{
	const struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < timeout_ms; i++) {
		if (atomic_load_explicit(&w->req_state, memory_order_acquire) == want)
			return 0;
		if (tern_worker__done(w))
			return -ESRCH;
		nanosleep(&ms, NULL);
	}
	return -ETIMEDOUT;
}

int tern_worker__request(struct tern_worker *w, struct tern_worker_req *req, char *buf,
			 size_t cap, int timeout_ms)
{
	uint64_t one = 1;
	int err;

	if (atomic_load(&w->req_state) != REQ_IDLE) {
		err = wait_state(w, REQ_DONE, timeout_ms); /* a caller gave up earlier */
		if (err)
			return err == -ETIMEDOUT ? -EBUSY : err;
		atomic_store(&w->req_state, REQ_IDLE);
	}
	w->req = *req;
	atomic_store_explicit(&w->req_state, REQ_POSTED, memory_order_release);
	if (write(w->efd, &one, sizeof(one)) < 0)
		return -errno;
	err = wait_state(w, REQ_DONE, timeout_ms);
	if (err)
		return err;
	*req = w->req;
	if (req->result > 0 && buf) {
		size_t n = (size_t)req->result < cap ? (size_t)req->result : cap;

		memcpy(buf, w->req_buf, n);
		req->result = (int)n;
	}
	atomic_store(&w->req_state, REQ_IDLE);
	return 0;
}
