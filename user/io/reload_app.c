// SPDX-License-Identifier: BSD-2-Clause
/*
 * The application's settings at run time: what a reload changes for the
 * proxy (backends, balance, health checks) and for http (the response
 * and its idle timeout), and `ternctl drain|undrain BACKEND`. The new
 * settings are copied into one allocation and handed to every worker
 * (TERN_REQ_APP_OPTS), whose application copies what it keeps in its
 * reconfigure hook; once every worker has taken them they become the
 * daemon's (cur->app_live, which cur->app_opts mirrors). A drain mark
 * stays across reloads while its backend stays in the set: only
 * `ternctl undrain` lifts it. When a worker fails to take them (or does
 * not answer in time) the others keep what they took, the daemon keeps
 * its old settings and the next reload sends every setting again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_out.h"
#include "log.h"
#include "reload_app.h"
#include "worker.h"

#define put tern_out_buf__put
#define REQ_TIMEOUT_MS 1000

static bool is_app(const struct tern_args *a, const char *name)
{
	return !strcmp(a->app_name, name);
}

bool tern_reload_app__key(const char *key)
{
	static const char *const keys[] = { "backend", "balance", "health-interval",
					    "health-timeout", "health-rise", "health-fall",
					    "http-status", "http-body", "http-header", "http-idle" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

/* o with its body and header strings in one allocation (free() frees all). */
static struct tern_app_opts *opts_dup(const struct tern_app_opts *o)
{
	size_t len = sizeof(*o) + o->http_body_len;
	struct tern_app_opts *c;
	char *p;

	for (int i = 0; i < o->http_nheaders; i++)
		len += strlen(o->http_headers[i]) + 1;
	c = malloc(len);
	if (!c)
		return NULL;
	*c = *o;
	p = (char *)(c + 1);
	if (o->http_body) {
		memcpy(p, o->http_body, o->http_body_len);
		c->http_body = (const uint8_t *)p;
		p += o->http_body_len;
	}
	for (int i = 0; i < o->http_nheaders; i++) {
		size_t n = strlen(o->http_headers[i]) + 1;

		memcpy(p, o->http_headers[i], n);
		c->http_headers[i] = p;
		p += n;
	}
	return c;
}

/*
 * o to every worker's application. A worker that did not answer in time
 * may still read o later: *keep says o must then never be freed.
 */
static int to_workers(struct tern_ctl_src *src, const struct tern_app_opts *o, const char *key,
		      struct tern_out_buf *out, bool *keep)
{
	for (uint32_t q = 0; q < src->nworkers; q++) {
		struct tern_worker_req r = { .op = TERN_REQ_APP_OPTS, .data = o };
		int err = tern_worker__request(src->workers[q], &r, NULL, 0, REQ_TIMEOUT_MS);

		if (err == -ETIMEDOUT)
			*keep = true;
		if (!err)
			err = r.result;
		if (err) {
			put(out, "%s: not applied on queue %u: %s\n", key, q, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* want for every worker; on success it becomes cur's. */
static int apply(struct tern_args *cur, struct tern_ctl_src *src, const struct tern_app_opts *want,
		 const char *key, struct tern_out_buf *out)
{
	struct tern_app_opts *c = opts_dup(want);
	bool keep = false;
	int err;

	if (!c) {
		put(out, "%s: not applied: %s\n", key, strerror(ENOMEM));
		return -ENOMEM;
	}
	err = to_workers(src, c, key, out, &keep);
	cur->app_stale = err != 0; /* then the next reload sends everything again */
	if (err) {
		if (!keep) /* else a worker may still read it: left allocated */
			free(c);
		return err;
	}
	free(cur->app_live); /* every worker took it and copied what it keeps */
	cur->app_live = c;
	cur->app_opts = *c;
	return 0;
}

static bool same_backend(const struct tern_proxy_backend *a, const struct tern_proxy_backend *b)
{
	return a->salen == b->salen && !memcmp(&a->sa, &b->sa, a->salen);
}

/* Index of b in o's backends, or -1. */
static int backend_index(const struct tern_proxy_opts *o, const struct tern_proxy_backend *b)
{
	for (int i = 0; i < o->nbackends; i++)
		if (same_backend(&o->backends[i], b))
			return i;
	return -1;
}

static bool same_set(const struct tern_proxy_opts *a, const struct tern_proxy_opts *b)
{
	if (a->nbackends != b->nbackends)
		return false;
	for (int i = 0; i < a->nbackends; i++)
		if (!same_backend(&a->backends[i], &b->backends[i]))
			return false;
	return true;
}

static bool same_health(const struct tern_proxy_opts *a, const struct tern_proxy_opts *b)
{
	return a->health_interval_ms == b->health_interval_ms &&
	       a->health_timeout_ms == b->health_timeout_ms && a->health_rise == b->health_rise &&
	       a->health_fall == b->health_fall;
}

static void put_health(struct tern_out_buf *o, const struct tern_proxy_opts *p)
{
	uint32_t interval = p->health_interval_ms ? p->health_interval_ms
						  : TERN_PROXY_HEALTH_INTERVAL_MS_DEF;

	put(o, "health: applied (");
	if (interval == UINT32_MAX)
		put(o, "checks off");
	else
		put(o, "interval %u ms", interval);
	put(o, ", timeout %u ms, rise %u, fall %u)\n",
	    p->health_timeout_ms ? p->health_timeout_ms : TERN_PROXY_HEALTH_TIMEOUT_MS_DEF,
	    p->health_rise ? p->health_rise : TERN_PROXY_HEALTH_RISE_DEF,
	    p->health_fall ? p->health_fall : TERN_PROXY_HEALTH_FALL_DEF);
}

static void put_backends(struct tern_out_buf *o, const struct tern_proxy_opts *p)
{
	put(o, "backends: applied (");
	for (int i = 0; i < p->nbackends; i++)
		put(o, "%s%s%s", i ? " " : "", p->backends[i].name,
		    p->drained >> i & 1 ? " drained" : "");
	put(o, ")\n");
}

/* The proxy's run-time settings from n; drain marks follow their backend. */
static int reload_proxy(struct tern_args *cur, const struct tern_args *n,
			struct tern_ctl_src *src, struct tern_out_buf *o)
{
	const struct tern_proxy_opts *a = &cur->app_opts.proxy, *b = &n->app_opts.proxy;
	struct tern_app_opts want = cur->app_opts;
	struct tern_proxy_opts *w = &want.proxy;
	bool set, health, balance;
	int err;

	memcpy(w->backends, b->backends, sizeof(b->backends));
	w->nbackends = b->nbackends;
	w->drained = 0;
	for (int i = 0; i < b->nbackends; i++) {
		int j = backend_index(a, &b->backends[i]);

		if (j >= 0 && (a->drained >> j & 1))
			w->drained |= (uint16_t)(1u << i);
	}
	w->balance = b->balance;
	w->health_interval_ms = b->health_interval_ms;
	w->health_timeout_ms = b->health_timeout_ms;
	w->health_rise = b->health_rise;
	w->health_fall = b->health_fall;
	set = !same_set(a, w) || a->drained != w->drained || cur->app_stale;
	health = !same_health(a, w) || cur->app_stale;
	balance = a->balance != w->balance || cur->app_stale;
	if (!set && !health && !balance)
		return 0;
	err = apply(cur, src, &want, set ? "backends" : health ? "health" : "balance", o);
	if (err)
		return err;
	if (set)
		put_backends(o, w);
	if (balance)
		put(o, "balance: applied (%s)\n", w->balance == TERN_PROXY_LEASTCONN ? "leastconn" : "rr");
	if (health)
		put_health(o, w);
	tern_log(TERN_LOG_INFO, "reload: proxy: %d backend(s)", w->nbackends);
	return 0;
}

static bool same_response(const struct tern_app_opts *a, const struct tern_app_opts *b)
{
	if (a->http_status != b->http_status || a->http_body_len != b->http_body_len ||
	    !a->http_body != !b->http_body || a->http_nheaders != b->http_nheaders)
		return false;
	if (a->http_body && memcmp(a->http_body, b->http_body, a->http_body_len))
		return false;
	for (int i = 0; i < a->http_nheaders; i++)
		if (strcmp(a->http_headers[i], b->http_headers[i]))
			return false;
	return true;
}

static int reload_http(struct tern_args *cur, const struct tern_args *n,
		       struct tern_ctl_src *src, struct tern_out_buf *o)
{
	const struct tern_app_opts *b = &n->app_opts;
	struct tern_app_opts want = cur->app_opts;
	bool resp = !same_response(&cur->app_opts, b) || cur->app_stale;
	bool idle = cur->app_opts.http_idle_ms != b->http_idle_ms || cur->app_stale;
	int err;

	if (!resp && !idle)
		return 0;
	want.http_status = b->http_status;
	want.http_body = b->http_body;
	want.http_body_len = b->http_body_len;
	want.http_nheaders = b->http_nheaders;
	memcpy(want.http_headers, b->http_headers, sizeof(want.http_headers));
	want.http_idle_ms = b->http_idle_ms;
	err = apply(cur, src, &want, resp ? "http-response" : "http-idle", o);
	if (err)
		return err;
	if (resp)
		put(o, "http-response: applied (status %u, body %u bytes, %d header%s)\n",
		    want.http_status ? want.http_status : 200,
		    want.http_body ? want.http_body_len : 5, want.http_nheaders,
		    want.http_nheaders == 1 ? "" : "s");
	if (idle)
		put(o, "http-idle: applied (%u ms)\n", want.http_idle_ms ? want.http_idle_ms : 10000);
	tern_log(TERN_LOG_INFO, "reload: http: status %u", want.http_status ? want.http_status : 200);
	return 0;
}

int tern_reload_app__run(struct tern_args *cur, const struct tern_args *n,
			 struct tern_ctl_src *src, struct tern_out_buf *o)
{
	if (is_app(cur, "proxy"))
		return reload_proxy(cur, n, src, o);
	if (is_app(cur, "http"))
		return reload_http(cur, n, src, o);
	return 0;
}

int tern_reload_app__drain(struct tern_args *cur, struct tern_ctl_src *src, const char *name,
			   bool drain, char *reply, size_t cap)
{
	struct tern_out_buf o = { .p = reply, .cap = cap };
	struct tern_app_opts want = cur->app_opts;
	struct tern_proxy_backend b;
	uint16_t bit;
	int i, err;

	if (!is_app(cur, "proxy")) {
		put(&o, "only --app proxy has backends to drain");
		return -EOPNOTSUPP;
	}
	if (tern_proxy__parse_backend(&b, name)) {
		put(&o, "not IP:PORT or [IP6]:PORT");
		return -EINVAL;
	}
	i = backend_index(&want.proxy, &b);
	if (i < 0) {
		put(&o, "not one of the backends (");
		for (int k = 0; k < want.proxy.nbackends; k++)
			put(&o, "%s%s", k ? " " : "", want.proxy.backends[k].name);
		put(&o, ")");
		return -ENOENT;
	}
	bit = (uint16_t)(1u << i);
	want.proxy.drained = drain ? want.proxy.drained | bit : want.proxy.drained & ~bit;
	if (want.proxy.drained != cur->app_opts.proxy.drained) {
		err = apply(cur, src, &want, want.proxy.backends[i].name, &o);
		if (err) {
			reply[strcspn(reply, "\n")] = 0;
			return err;
		}
		tern_log(TERN_LOG_INFO, "backend %s %s", want.proxy.backends[i].name,
			 drain ? "drained" : "undrained");
	}
	put(&o, drain ? "%s: drained (no new connections; established ones finish)\n"
		      : "%s: undrained (takes new connections)\n",
	    want.proxy.backends[i].name);
	return tern_out_buf__done(&o);
}
