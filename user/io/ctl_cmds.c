// SPDX-License-Identifier: BSD-2-Clause
/*
 * The daemon's control commands, run on the control thread:
 *
 *   stats                               counters of every queue, summed, XDP
 *   metrics                             the same in Prometheus text format
 *   reload                              re-read the configuration file
 *   capture start|status|stop ...       pcap of the workers' frames (capture.h)
 *   conns                               every connection (from the workers)
 *   set syncookies never|auto|always
 *   set xdp-cookies never|overload|always   SYN cookies answered in XDP
 *   set keepalive IDLE,INTVL,COUNT      seconds, seconds, count; 0,0,0 off
 *   set backlog N
 *   drain|undrain BACKEND               --app proxy: no new connections to it
 *   rotate-secret FILE                  new SYN cookie keys (--cookie-secret)
 *   stop                                drain and exit, as SIGTERM
 *   health                              {"healthy": BOOL, "why": TEXT}: serving
 *                                       (the BGP speaker's check, ternctl health)
 *
 * stats reads the snapshots the workers publish; the others run on each
 * worker's thread through tern_worker__request(). Replies are JSON.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "ctl_cmds.h"
#include "ctl_out.h"
#include "metrics.h"
#include "worker.h"
#include "xdpcookie.h"

#define REQ_TIMEOUT_MS 1000

#define put tern_out_buf__put
#define done tern_out_buf__done

static void put_mib(struct tern_out_buf *o, const uint64_t *mib)
{
	put(o, "{");
	for (int i = 0; i < TERN_MIB__COUNT; i++)
		put(o, "%s\"%s\": %llu", i ? ", " : "", tern_mib_name(i),
		    (unsigned long long)mib[i]);
	put(o, "}");
}

/* The application's counters (struct tern_app.counters), if it has any. */
static void put_app(struct tern_out_buf *o, const struct tern_worker_stats *st, const uint64_t *v)
{
	if (!st->napp)
		return;
	put(o, ", \"app\": {");
	for (uint32_t i = 0; i < st->napp; i++)
		put(o, "%s\"%s\": %llu", i ? ", " : "", st->app_names[i],
		    (unsigned long long)v[i]);
	put(o, "}");
}

/* The table's fields; in the total, no booleans. */
static void put_fields(struct tern_out_buf *o, const struct tern_worker_stats *st, bool total)
{
	for (unsigned int i = 0; i < tern_nmetrics; i++) {
		const struct tern_metric *m = &tern_metrics[i];

		if (total && m->type == TERN_M_BOOL)
			continue;
		if (m->type == TERN_M_BOOL)
			put(o, ", \"%s\": %s", m->key, tern_metric__get(m, st) ? "true" : "false");
		else
			put(o, ", \"%s\": %llu", m->key, (unsigned long long)tern_metric__get(m, st));
	}
}

static void put_drops(struct tern_out_buf *o, const uint64_t *drops)
{
	put(o, ", \"parse_drops\": {");
	for (int i = 1; i < TERN_PARSE__COUNT; i++)
		put(o, "%s\"%s\": %llu", i > 1 ? ", " : "", tern_parse_reason_name(i),
		    (unsigned long long)drops[i]);
	put(o, "}");
}

static void put_queue(struct tern_out_buf *o, const struct tern_worker_stats *st)
{
	const struct tern_frame_counts *f = &st->frames;

	put(o, "{\"queue\": %u, \"busy_poll_us\": %u, ", st->queue, st->busy_poll_us);
	if (st->cpu >= 0)
		put(o, "\"cpu\": %d, ", st->cpu);
	put(o, "\"frames\": {\"total\": %u, \"free\": %u, "
	       "\"fill\": %u, \"rx\": %u, \"kept\": %u, \"tx\": %u, \"comp\": %u, "
	       "\"app\": %u, \"app_tx\": %u, \"app_rx\": %u, \"bad\": %llu, \"ok\": %s}",
	    f->total, f->n[TERN_FS_FREE],
	    f->n[TERN_FS_FILL], f->n[TERN_FS_RX], f->n[TERN_FS_KEPT], f->n[TERN_FS_TX],
	    f->n[TERN_FS_COMP], f->n[TERN_FS_APP], f->n[TERN_FS_APP_TX], f->n[TERN_FS_APP_RX],
	    (unsigned long long)f->bad,
	    tern_frames__check(f) ? "false" : "true");
	put_fields(o, st, false);
	put(o, ", \"mib\": ");
	put_mib(o, st->mib);
	put_drops(o, st->parse_drops);
	put_app(o, st, st->app);
	put(o, "}");
}

/* The sum of every queue's counters and gauges, in a snapshot. */
static void sum_stats(struct tern_worker_stats *t, const struct tern_worker_stats *st)
{
	for (unsigned int i = 0; i < tern_nmetrics; i++) {
		const struct tern_metric *m = &tern_metrics[i];
		uint64_t v = tern_metric__get(m, st);
		char *p = (char *)t + m->off;

		if (m->type == TERN_M_U64)
			*(uint64_t *)p += v;
		else if (m->type == TERN_M_U32)
			*(uint32_t *)p += (uint32_t)v;
	}
	for (int i = 0; i < TERN_MIB__COUNT; i++)
		t->mib[i] += st->mib[i];
	for (int i = 0; i < TERN_PARSE__COUNT; i++)
		t->parse_drops[i] += st->parse_drops[i];
	for (uint32_t i = 0; i < st->napp; i++)
		t->app[i] += st->app[i];
	t->napp = st->napp;
	t->app_names = st->app_names;
	t->app_kinds = st->app_kinds;
	t->app_name = st->app_name;
}

static void put_xdp(struct tern_out_buf *o, const struct tern_maps *maps)
{
	static const char *const names[] = {
#define X(id, name) name,
		TERN_XDP_COUNTERS(X)
#undef X
	};
	__u64 v[TERN_XDP__COUNT];

	put(o, "\"xdp\": {");
	if (!tern_maps__read_counters(maps, v))
		for (int i = 0; i < TERN_XDP__COUNT; i++)
			put(o, "%s\"%s\": %llu", i ? ", " : "", names[i], (unsigned long long)v[i]);
	put(o, "}");
}

static int cmd_stats(struct tern_ctl_src *src, struct tern_out_buf *o)
{
	struct tern_worker_stats st, *t = calloc(1, sizeof(*t));
	int ok = 1;

	if (!t)
		return -ENOMEM;
	put(o, "{\"dev\": \"%s\", \"queues\": [", src->dev);
	for (uint32_t q = 0; q < src->nworkers; q++) {
		tern_worker__stats(src->workers[q], &st);
		put(o, q ? ", " : "");
		put_queue(o, &st);
		sum_stats(t, &st);
		ok &= !tern_frames__check(&st.frames);
	}
	put(o, "], \"total\": {\"frames_ok\": %s", ok ? "true" : "false");
	put_fields(o, t, true);
	put(o, ", \"mib\": ");
	put_mib(o, t->mib);
	put_drops(o, t->parse_drops);
	put_app(o, t, t->app);
	put(o, "}, \"CookieSecretRotations\": %llu, ",
	    (unsigned long long)__atomic_load_n(&src->secret_rotations, __ATOMIC_RELAXED));
	put_xdp(o, src->maps);
	put(o, "}\n");
	free(t);
	return done(o);
}

static int cmd_metrics(struct tern_ctl_src *src, struct tern_out_buf *o)
{
	struct tern_worker_stats *st = calloc(src->nworkers ? src->nworkers : 1, sizeof(*st));
	__u64 xdp[TERN_XDP__COUNT];
	struct tern_metrics_src m = {
		.dev = src->dev,
		.st = st,
		.n = src->nworkers,
		.reload_ok = __atomic_load_n(&src->reload_ok, __ATOMIC_RELAXED),
		.reload_time = __atomic_load_n(&src->reload_time, __ATOMIC_RELAXED),
		.secret_rotations = __atomic_load_n(&src->secret_rotations, __ATOMIC_RELAXED),
	};

	if (!st)
		return -ENOMEM;
	for (uint32_t q = 0; q < src->nworkers; q++)
		tern_worker__stats(src->workers[q], &st[q]);
	if (!tern_maps__read_counters(src->maps, xdp))
		m.xdp = (const uint64_t *)xdp;
	tern_metrics__prometheus(o, &m);
	free(st);
	return done(o);
}

/* Run req on one worker; a CONNS reply is appended to o after ", " when
 * o already holds items (start marks where the items begin). */
static int on_worker(struct tern_worker *w, struct tern_worker_req *req, struct tern_out_buf *o,
		     size_t start)
{
	size_t mark = o ? o->len : 0;
	int err;

	if (o && o->len > start)
		put(o, ", ");
	err = tern_worker__request(w, req, o ? o->p + o->len : NULL, o ? o->cap - o->len : 0,
				   REQ_TIMEOUT_MS);
	if (!err && req->result < 0)
		err = req->result;
	if (o) {
		if (!err && req->result > 0)
			o->len += (size_t)req->result;
		else
			o->len = mark; /* nothing from this worker: no separator */
	}
	return err;
}

static int on_every_worker(struct tern_ctl_src *src, const struct tern_worker_req *req,
			   struct tern_out_buf *o, uint32_t *truncated)
{
	size_t start = o ? o->len : 0;

	for (uint32_t q = 0; q < src->nworkers; q++) {
		struct tern_worker_req r = *req;
		int err = on_worker(src->workers[q], &r, o, start);

		if (err)
			return err;
		if (truncated)
			*truncated += r.truncated;
	}
	return 0;
}

static int cmd_conns(struct tern_ctl_src *src, struct tern_out_buf *o)
{
	struct tern_worker_req req = { .op = TERN_REQ_CONNS };
	uint32_t truncated = 0;
	int err;

	put(o, "{\"conns\": [");
	o->cap -= 64; /* room for the tail */
	err = on_every_worker(src, &req, o, &truncated);
	o->cap += 64;
	if (err)
		return err;
	put(o, "], \"truncated\": %s}\n", truncated ? "true" : "false");
	return done(o);
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || n < lo || n > hi)
		return -EINVAL;
	*v = (uint32_t)n;
	return 0;
}

static int parse_set(const char *what, const char *val, struct tern_worker_req *r,
		     struct tern_out_buf *o)
{
	static const char *const modes[] = { "never", "auto", "always" };

	if (!strcmp(what, "syncookies")) {
		for (uint32_t m = 0; m < 3; m++)
			if (!strcmp(val, modes[m])) {
				*r = (struct tern_worker_req){ .op = TERN_REQ_SYNCOOKIES, .arg = { m } };
				return 0;
			}
		put(o, "syncookies: expected never, auto or always");
		return -EINVAL;
	}
	if (!strcmp(what, "keepalive")) {
		char *a = strdup(val), *sp = NULL, *idle, *intvl, *cnt;
		int ok;

		if (!a)
			return -ENOMEM;
		idle = strtok_r(a, ",", &sp);
		intvl = strtok_r(NULL, ",", &sp);
		cnt = strtok_r(NULL, ",", &sp);
		ok = idle && intvl && cnt && !strtok_r(NULL, ",", &sp);

		r->op = TERN_REQ_KEEPALIVE;
		if (ok)
			ok = !strcmp(val, "0,0,0") ||
			     (!parse_u32(idle, 1, 32767, &r->arg[0]) &&
			      !parse_u32(intvl, 1, 32767, &r->arg[1]) &&
			      !parse_u32(cnt, 1, 127, &r->arg[2]));
		free(a);
		if (ok)
			return 0;
		put(o, "keepalive: expected IDLE,INTVL,COUNT (1-32767 s, 1-32767 s, 1-127; "
		       "0,0,0 turns it off)");
		return -EINVAL;
	}
	if (!strcmp(what, "backlog")) {
		r->op = TERN_REQ_BACKLOG;
		if (!parse_u32(val, 1, UINT32_MAX, &r->arg[0]))
			return 0;
		put(o, "backlog: expected a number from 1");
		return -EINVAL;
	}
	put(o, "set: unknown setting '%.32s' (syncookies, xdp-cookies, keepalive, backlog)", what);
	return -EINVAL;
}

/* The workers read the mode on every pass: a store, no request. */
static int set_xdp_cookies(struct tern_ctl_src *src, const char *val, struct tern_out_buf *o)
{
	struct tern_worker_req r = { .op = TERN_REQ_XDP_COOKIES };
	int mode = tern_xdpc__parse_mode(val), err;

	if (mode < 0) {
		put(o, "xdp-cookies: expected never, overload or always");
		return -EINVAL;
	}
	if (!src->xdpc) {
		put(o, "xdp-cookies: the XDP program on %.16s has no cookie maps", src->dev);
		return -EOPNOTSUPP;
	}
	atomic_store(&src->xdpc->mode, mode);
	/* wake every worker: a flag that only calm turns off has no other
	 * reason to be looked at */
	err = on_every_worker(src, &r, NULL, NULL);
	return err ? err : done(o);
}

static int cmd_set(struct tern_ctl_src *src, const char *args, struct tern_out_buf *o)
{
	char what[32], val[64];
	struct tern_worker_req r = { 0 };
	int err, end = 0;

	if (sscanf(args, "%31s %63s %n", what, val, &end) != 2 || args[end]) {
		put(o, "usage: set syncookies|xdp-cookies|keepalive|backlog VALUE");
		return -EINVAL;
	}
	if (!strcmp(what, "xdp-cookies"))
		return set_xdp_cookies(src, val, o);
	err = parse_set(what, val, &r, o);
	if (err)
		return err;
	err = on_every_worker(src, &r, NULL, NULL);
	if (err == -ERANGE)
		put(o, "backlog: above the --backlog the daemon was started with");
	return err ? err : done(o);
}

/* The reply is ok either way: the daemon answered; the client maps
 * "healthy" to its exit code. */
static int cmd_health(struct tern_ctl_src *src, struct tern_out_buf *o)
{
	char why[256];
	int ok = src->health(src->stop_arg, why, sizeof(why));

	put(o, "{\"healthy\": %s, \"why\": \"%s\"}\n", ok ? "true" : "false", why);
	return done(o);
}

int tern_ctl_cmds__handle(void *ctx, const char *cmd, char *reply, size_t cap)
{
	struct tern_ctl_src *src = ctx;
	struct tern_out_buf o = { .p = reply, .cap = cap };
	int r;

	if (!strcmp(cmd, "stats"))
		return cmd_stats(src, &o);
	if (!strncmp(cmd, "capture ", 8))
		return tern_capture__cmd(&src->capture, src->workers, src->nworkers, cmd + 8, &o);
	if (!strcmp(cmd, "metrics"))
		return cmd_metrics(src, &o);
	if (!strcmp(cmd, "reload") && src->reload)
		return src->reload(src->reload_arg, reply, cap);
	if (!strncmp(cmd, "drain ", 6) && src->drain)
		return src->drain(src->reload_arg, cmd + 6, 1, reply, cap);
	if (!strncmp(cmd, "undrain ", 8) && src->drain)
		return src->drain(src->reload_arg, cmd + 8, 0, reply, cap);
	if (!strncmp(cmd, "rotate-secret ", 14) && src->rotate)
		return src->rotate(src->reload_arg, cmd + 14, reply, cap);
	if (!strcmp(cmd, "conns"))
		return cmd_conns(src, &o);
	if (!strcmp(cmd, "health") && src->health)
		return cmd_health(src, &o);
	if (!strncmp(cmd, "set ", 4))
		return cmd_set(src, cmd + 4, &o);
	if (!strcmp(cmd, "stop")) {
		src->stop(src->stop_arg); /* drains, then the server ends */
		return 0;
	}
	r = snprintf(reply, cap,
		     "unknown command '%.40s' (stats, metrics, conns, set, reload, drain, "
		     "undrain, rotate-secret, capture, health, stop)",
		     cmd);
	(void)r;
	return -EINVAL;
}
