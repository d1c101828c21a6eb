// SPDX-License-Identifier: BSD-2-Clause
/*
 * The daemon's control commands, run on the control thread:
 *
 *   stats                               counters of every queue, summed, XDP
 *   conns                               every connection (from the workers)
 *   set syncookies never|auto|always
 *   set keepalive IDLE,INTVL,COUNT      seconds, seconds, count; 0,0,0 off
 *   set backlog N
 *   stop                                drain and exit, as SIGTERM
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

#include "ctl_cmds.h"
#include "worker.h"

#define REQ_TIMEOUT_MS 1000

/* A bounded appender: once out of room it stays failed. */
struct out {
	char *p;
	size_t cap, len;
	int full;
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = 1;
	else
		o->len += (size_t)n;
}

static int done(struct out *o)
{
	return o->full ? -EMSGSIZE : (int)o->len;
}

static void put_mib(struct out *o, const uint64_t *mib)
{
	put(o, "{");
	for (int i = 0; i < TERN_MIB__COUNT; i++)
		put(o, "%s\"%s\": %llu", i ? ", " : "", tern_mib_name(i),
		    (unsigned long long)mib[i]);
	put(o, "}");
}

static void put_app(struct out *o, const struct tern_worker_stats *st, const uint64_t *v)
{
	put(o, ", \"app\": {");
	for (uint32_t i = 0; i < st->napp; i++)
		put(o, "%s\"%s\": %llu", i ? ", " : "", st->app_names[i],
		    (unsigned long long)v[i]);
	put(o, "}");
}

static void put_queue(struct out *o, const struct tern_worker_stats *st)
{
	const struct tern_frame_counts *f = &st->frames;

	put(o, "{\"queue\": %u, \"zerocopy\": %s, \"frames\": {\"total\": %u, \"free\": %u, "
	       "\"fill\": %u, \"rx\": %u, \"kept\": %u, \"tx\": %u, \"comp\": %u, \"bad\": %llu, "
	       "\"ok\": %s}, ",
	    st->queue, st->zc ? "true" : "false", f->total, f->n[TERN_FS_FREE],
	    f->n[TERN_FS_FILL], f->n[TERN_FS_RX], f->n[TERN_FS_KEPT], f->n[TERN_FS_TX],
	    f->n[TERN_FS_COMP], (unsigned long long)f->bad,
	    tern_frames__check(f) ? "false" : "true");
	put(o, "\"rx_frames\": %llu, \"tx_frames\": %llu, \"tx_drop_noframe\": %llu, "
	       "\"tx_drop_ring\": %llu, \"nconns\": %u, \"nreqs\": %u, \"mib\": ",
	    (unsigned long long)st->rx_frames, (unsigned long long)st->tx_frames,
	    (unsigned long long)st->tx_drop_noframe, (unsigned long long)st->tx_drop_ring,
	    st->nconns, st->nreqs);
	put_mib(o, st->mib);
	put(o, ", \"parse_drops\": {");
	for (int i = 1; i < TERN_PARSE__COUNT; i++)
		put(o, "%s\"%s\": %llu", i > 1 ? ", " : "", tern_parse_reason_name(i),
		    (unsigned long long)st->parse_drops[i]);
	put(o, "}");
	put_app(o, st, st->app);
	put(o, "}");
}

static void put_xdp(struct out *o, const struct tern_maps *maps)
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

static int cmd_stats(struct tern_ctl_src *src, struct out *o)
{
	struct tern_worker_stats st;
	struct tern_worker_stats first = { 0 };
	uint64_t mib[TERN_MIB__COUNT] = { 0 }, app[TERN_APP_MAX_COUNTERS] = { 0 };
	uint32_t nconns = 0, nreqs = 0;
	int ok = 1;

	put(o, "{\"dev\": \"%s\", \"queues\": [", src->dev);
	for (uint32_t q = 0; q < src->nworkers; q++) {
		tern_worker__stats(src->workers[q], &st);
		put(o, q ? ", " : "");
		put_queue(o, &st);
		for (int i = 0; i < TERN_MIB__COUNT; i++)
			mib[i] += st.mib[i];
		for (uint32_t i = 0; i < st.napp; i++)
			app[i] += st.app[i];
		if (!q)
			first = st;
		nconns += st.nconns;
		nreqs += st.nreqs;
		ok &= !tern_frames__check(&st.frames);
	}
	put(o, "], \"total\": {\"nconns\": %u, \"nreqs\": %u, \"frames_ok\": %s, \"mib\": ",
	    nconns, nreqs, ok ? "true" : "false");
	put_mib(o, mib);
	put_app(o, &first, app);
	put(o, "}, ");
	put_xdp(o, src->maps);
	put(o, "}\n");
	return done(o);
}

/* Run req on one worker; a CONNS reply is appended to o after ", " when
 * o already holds items (start marks where the items begin). */
static int on_worker(struct tern_worker *w, struct tern_worker_req *req, struct out *o,
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
			   struct out *o, uint32_t *truncated)
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

static int cmd_conns(struct tern_ctl_src *src, struct out *o)
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
		     struct out *o)
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
	put(o, "set: unknown setting '%.32s' (syncookies, keepalive, backlog)", what);
	return -EINVAL;
}

static int cmd_set(struct tern_ctl_src *src, const char *args, struct out *o)
{
	char what[32], val[64];
	struct tern_worker_req r = { 0 };
	int err, end = 0;

	if (sscanf(args, "%31s %63s %n", what, val, &end) != 2 || args[end]) {
		put(o, "usage: set syncookies|keepalive|backlog VALUE");
		return -EINVAL;
	}
	err = parse_set(what, val, &r, o);
	if (err)
		return err;
	err = on_every_worker(src, &r, NULL, NULL);
	if (err == -ERANGE)
		put(o, "backlog: above the --backlog the daemon was started with");
	return err ? err : done(o);
}

int tern_ctl_cmds__handle(void *ctx, const char *cmd, char *reply, size_t cap)
{
	struct tern_ctl_src *src = ctx;
	struct out o = { .p = reply, .cap = cap };
	int r;

	if (!strcmp(cmd, "stats"))
		return cmd_stats(src, &o);
	if (!strcmp(cmd, "conns"))
		return cmd_conns(src, &o);
	if (!strncmp(cmd, "set ", 4))
		return cmd_set(src, cmd + 4, &o);
	if (!strcmp(cmd, "stop")) {
		src->stop(src->stop_arg); /* drains, then the server ends */
		return 0;
	}
	r = snprintf(reply, cap, "unknown command '%.40s' (stats, conns, set, stop)", cmd);
	(void)r;
	return -EINVAL;
}
