// SPDX-License-Identifier: BSD-2-Clause
/*
 * The proxy's backends, per worker: the choice (round robin or least
 * connections over the healthy ones) and the TCP health checks. Every
 * health_interval a worker connects to each backend that has no check
 * pending, with a linked timeout of health_timeout; `fall` failures in a
 * row take a healthy backend out, `rise` successes put it back (HAProxy's
 * meaning of the words). Backends start healthy. Each worker checks on
 * its own ring and keeps its own view: no state is shared between
 * workers, so nothing needs a lock.
 *
 * A reload (px_pool__set) replaces the set: a backend whose address
 * stays keeps its health and its connections; a new one starts healthy;
 * a removed one leaves the set at once (no new connection, no more
 * checks) and is freed when its last connection and check have ended.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_priv.h"

_Static_assert(TERN_PROXY_MAX_BACKENDS <= 16, "tern_proxy_opts.drained has 16 bits");

static void ts_ms(struct __kernel_timespec *ts, uint32_t ms)
{
	ts->tv_sec = ms / 1000u;
	ts->tv_nsec = (long long)(ms % 1000u) * 1000000;
}

static bool same_addr(const struct tern_proxy_backend *a, const struct tern_proxy_backend *b)
{
	return a->salen == b->salen && !memcmp(&a->sa, &b->sa, a->salen);
}

/* The gauges of the current set. */
static void count_set(struct px *px)
{
	uint64_t healthy = 0, drained = 0;

	for (int i = 0; i < px->o.nbackends; i++) {
		healthy += px->be[i]->healthy;
		drained += px->be[i]->drained;
	}
	px->ctr[PX_BACKENDS_HEALTHY] = healthy;
	px->ctr[PX_BACKENDS_DRAINED] = drained;
}

/* Free b once nothing holds it. */
static void put(struct px_backend *b)
{
	struct px_backend **pp;

	if (b->active || b->conns || b->fd >= 0)
		return;
	for (pp = &b->px->all; *pp != b; pp = &(*pp)->next)
		;
	*pp = b->next;
	free(b);
}

static void set_healthy(struct px_backend *b, bool up)
{
	struct px *px = b->px;

	if (b->healthy == up)
		return;
	b->healthy = up;
	px->ctr[up ? PX_BACKENDS_UP : PX_BACKENDS_DOWN]++;
	count_set(px);
}

static void check_done(struct tern_ring_op *op, int res, uint32_t flags)
{
	struct px_backend *b = container_of(op, struct px_backend, op);
	struct px *px = b->px;

	tern_backend__close(b->fd, true); /* a check leaves no TIME-WAIT */
	b->fd = -1;
	px->ctr[PX_BACKEND_FDS]--;
	if (!b->active) {
		put(b);
		return;
	}
	if (res >= 0) {
		b->fail_run = 0;
		if (b->ok_run < 255)
			b->ok_run++;
		if (b->ok_run >= px->o.health_rise)
			set_healthy(b, true);
		return;
	}
	px->ctr[PX_HEALTH_FAILS]++;
	b->ok_run = 0;
	if (b->fail_run < 255)
		b->fail_run++;
	if (b->fail_run >= px->o.health_fall)
		set_healthy(b, false);
}

static void check_one(struct px_backend *b)
{
	struct px *px = b->px;
	const struct sockaddr *sa = (const struct sockaddr *)&b->cfg.sa;
	int fd = tern_backend__socket(sa->sa_family);

	if (fd < 0)
		return; /* out of descriptors: try again next interval */
	if (tern_backend__connect(px->env.ring, &b->op, fd, sa, b->cfg.salen, &px->check_ts)) {
		tern_backend__close(fd, true);
		return;
	}
	b->fd = fd;
	px->ctr[PX_BACKEND_FDS]++;
	px->ctr[PX_HEALTH_CHECKS]++;
}

static bool checks_on(const struct px *px)
{
	return px->o.health_interval_ms != UINT32_MAX;
}

static void health_tick(struct tern_ring_op *op, int res, uint32_t flags)
{
	struct px *px = container_of(op, struct px, health_op);

	px->health_armed = false;
	if (!checks_on(px))
		return;
	for (int i = 0; i < px->o.nbackends; i++)
		if (px->be[i]->fd < 0)
			check_one(px->be[i]);
	px_pool__health_start(px);
}

void px_pool__health_start(struct px *px)
{
	if (px->health_armed || !checks_on(px) || !px->env.ring)
		return;
	px->health_armed = !tern_backend__timer(px->env.ring, &px->health_op, &px->health_ts);
}

static struct px_backend *backend_new(struct px *px, const struct tern_proxy_backend *cfg)
{
	struct px_backend *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->px = px;
	b->cfg = *cfg;
	b->op.cb = check_done;
	b->fd = -1;
	b->healthy = true; /* backends start healthy */
	return b;
}

/* The current backend with cfg's address, or NULL. */
static struct px_backend *find(struct px *px, const struct tern_proxy_backend *cfg)
{
	for (int i = 0; i < px->o.nbackends; i++)
		if (same_addr(&px->be[i]->cfg, cfg))
			return px->be[i];
	return NULL;
}

/* The new set in order: the current records where the address stays,
 * new ones (fresh, not yet linked) elsewhere. -ENOMEM frees the new ones. */
static int build_set(struct px *px, const struct tern_proxy_opts *o, struct px_backend **set,
		     bool *fresh)
{
	for (int i = 0; i < o->nbackends; i++) {
		set[i] = find(px, &o->backends[i]);
		fresh[i] = !set[i];
		if (fresh[i] && !(set[i] = backend_new(px, &o->backends[i]))) {
			while (i-- > 0)
				if (fresh[i])
					free(set[i]);
			return -ENOMEM;
		}
	}
	return 0;
}

int px_pool__set(struct px *px, const struct tern_proxy_opts *o)
{
	struct px_backend *set[TERN_PROXY_MAX_BACKENDS], *old[TERN_PROXY_MAX_BACKENDS];
	bool fresh[TERN_PROXY_MAX_BACKENDS];
	int nold = px->o.nbackends, err = build_set(px, o, set, fresh);
	bool was_on = checks_on(px);

	if (err)
		return err;
	memcpy(old, px->be, sizeof(old));
	for (int i = 0; i < nold; i++)
		old[i]->active = false;
	for (int i = 0; i < o->nbackends; i++) {
		if (fresh[i]) {
			set[i]->next = px->all;
			px->all = set[i];
		}
		set[i]->active = true;
		set[i]->drained = o->drained >> i & 1;
		set[i]->cfg = o->backends[i];
		px->be[i] = set[i];
	}
	px->o.nbackends = o->nbackends;
	memcpy(px->o.backends, o->backends, sizeof(o->backends));
	px->o.drained = o->drained;
	px->o.balance = o->balance;
	px->o.health_rise = o->health_rise;
	px->o.health_fall = o->health_fall;
	px->o.health_interval_ms = o->health_interval_ms;
	px->o.health_timeout_ms = o->health_timeout_ms;
	ts_ms(&px->health_ts, o->health_interval_ms);
	ts_ms(&px->check_ts, o->health_timeout_ms);
	for (int i = 0; i < nold; i++)
		put(old[i]);
	if (was_on && !checks_on(px))
		for (int i = 0; i < o->nbackends; i++)
			px->be[i]->healthy = true; /* nothing would ever put one back */
	count_set(px);
	px_pool__health_start(px);
	return 0;
}

int px_pool__init(struct px *px)
{
	struct tern_proxy_opts o = px->o;

	px->health_op.cb = health_tick;
	px->o.nbackends = 0;
	return px_pool__set(px, &o);
}

/* After the ring is gone: no check can complete any more. */
void px_pool__fini(struct px *px)
{
	while (px->all) {
		struct px_backend *b = px->all;

		px->all = b->next;
		tern_backend__close(b->fd, true);
		free(b);
	}
}

void px_pool__leave(struct px_backend *b)
{
	b->conns--;
	put(b);
}

struct px_backend *px_pool__pick(struct px *px)
{
	uint32_t n = (uint32_t)px->o.nbackends, start = px->rr;
	struct px_backend *best = NULL;

	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = (start + k) % n;
		struct px_backend *b = px->be[i];

		if (!b->healthy || b->drained)
			continue;
		if (px->o.balance == TERN_PROXY_RR) {
			px->rr = i + 1;
			return b;
		}
		if (!best || b->conns < best->conns) {
			best = b;
			px->rr = i + 1;
		}
	}
	return best;
}
