// SPDX-License-Identifier: BSD-2-Clause
/*
 * Requests from control threads, run on the worker's thread through its
 * mailbox (mailbox.h): listing connections and changing stack settings.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "user/core/stack.h"
#include "worker_priv.h"

int tern_worker__req_init(struct tern_worker *w)
{
	int err;

	w->lopts = *w->conf->lopts;
	err = tern_mailbox__init(&w->mb, TERN_WORKER_REQ_BUF);
	return err ? err : tern_handoff__init(w);
}

void tern_worker__req_fini(struct tern_worker *w)
{
	tern_mailbox__fini(&w->mb);
	tern_handoff__fini(w);
}

struct conns_ctx {
	struct tern_worker *w;
	char *buf;
	size_t len, cap;
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
	if (n < 0 || x->len + (size_t)n >= x->cap) {
		x->truncated++;
		return;
	}
	memcpy(x->buf + x->len, item, (size_t)n);
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

static int serve_one(void *arg, struct tern_worker_req *r, char *buf, size_t cap)
{
	struct tern_worker *w = arg;
	struct conns_ctx x = { .w = w, .buf = buf, .cap = cap };

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
	case TERN_REQ_XDP_COOKIES: /* this pass's step applies it (loop.c) */
		return 0;
	case TERN_REQ_ROTATE:
		tern_stack__rotate(w->stack, r->data, w->now);
		if (r->arg[0] && w->conf->xdpc)
			return tern_xdpc__write_cfg(w->conf->xdpc, w->stack, w->conf->lopts->rcv_buf);
		return 0;
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
	tern_mailbox__serve(&w->mb, serve_one, w);
}

static int peer_wake(void *arg)
{
	struct tern_worker *w = arg;
	uint64_t one = 1;

	return write(w->efd, &one, sizeof(one)) < 0 ? -errno : 0;
}

static bool peer_gone(void *arg)
{
	return tern_worker__done(arg);
}

void tern_worker__peer(struct tern_worker *w, struct tern_mailbox_peer *peer)
{
	peer->wake = peer_wake;
	peer->gone = peer_gone;
	peer->arg = w;
}

int tern_worker__request(struct tern_worker *w, struct tern_worker_req *req, char *buf,
			 size_t cap, int timeout_ms)
{
	struct tern_mailbox_peer peer;

	tern_worker__peer(w, &peer);
	return tern_mailbox__post(&w->mb, &peer, req, buf, cap, timeout_ms);
}
