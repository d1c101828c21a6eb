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
 */
#include <errno.h>

#include "proxy_priv.h"

static void ts_ms(struct __kernel_timespec *ts, uint32_t ms)
{
	ts->tv_sec = ms / 1000u;
	ts->tv_nsec = (long long)(ms % 1000u) * 1000000;
}

static void set_healthy(struct px_backend *b, bool up)
{
	struct px *px = b->px;

	if (b->healthy == up)
		return;
	b->healthy = up;
	px->ctr[up ? PX_BACKENDS_UP : PX_BACKENDS_DOWN]++;
	px->ctr[PX_BACKENDS_HEALTHY] += up ? 1 : (uint64_t)-1;
}

static void check_done(struct tern_ring_op *op, int res, uint32_t flags)
{
	struct px_backend *b = container_of(op, struct px_backend, op);
	struct px *px = b->px;

	tern_backend__close(b->fd, true); /* a check leaves no TIME-WAIT */
	b->fd = -1;
	px->ctr[PX_BACKEND_FDS]--;
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
	const struct sockaddr *sa = (const struct sockaddr *)&b->cfg->sa;
	int fd = tern_backend__socket(sa->sa_family);

	if (fd < 0)
		return; /* out of descriptors: try again next interval */
	if (tern_backend__connect(px->env.ring, &b->op, fd, sa, b->cfg->salen, &px->check_ts)) {
		tern_backend__close(fd, true);
		return;
	}
	b->fd = fd;
	px->ctr[PX_BACKEND_FDS]++;
	px->ctr[PX_HEALTH_CHECKS]++;
}

static void health_tick(struct tern_ring_op *op, int res, uint32_t flags)
{
	struct px *px = container_of(op, struct px, health_op);

	px->health_armed = false;
	for (int i = 0; i < px->o.nbackends; i++)
		if (px->be[i].fd < 0)
			check_one(&px->be[i]);
	px_pool__health_start(px);
}

void px_pool__health_start(struct px *px)
{
	if (px->health_armed || px->o.health_interval_ms == UINT32_MAX || !px->env.ring)
		return;
	px->health_armed = !tern_backend__timer(px->env.ring, &px->health_op, &px->health_ts);
}

void px_pool__init(struct px *px)
{
	px->health_op.cb = health_tick;
	ts_ms(&px->health_ts, px->o.health_interval_ms);
	ts_ms(&px->check_ts, px->o.health_timeout_ms);
	for (int i = 0; i < px->o.nbackends; i++) {
		struct px_backend *b = &px->be[i];

		b->px = px;
		b->cfg = &px->o.backends[i];
		b->op.cb = check_done;
		b->fd = -1;
		b->healthy = 1;
	}
	px->ctr[PX_BACKENDS_HEALTHY] = (uint64_t)px->o.nbackends;
}

/* After the ring is gone: no check can complete any more. */
void px_pool__fini(struct px *px)
{
	for (int i = 0; i < px->o.nbackends; i++) {
		tern_backend__close(px->be[i].fd, true);
		px->be[i].fd = -1;
	}
}

int px_pool__pick(struct px *px)
{
	int n = px->o.nbackends, best = -1;

	for (int k = 0; k < n; k++) {
		int i = (int)((px->rr + (uint32_t)k) % (uint32_t)n);

		if (!px->be[i].healthy)
			continue;
		if (px->o.balance == TERN_PROXY_RR) {
			best = i;
			break;
		}
		if (best < 0 || px->be[i].conns < px->be[best].conns)
			best = i;
	}
	if (best >= 0)
		px->rr = (uint32_t)best + 1;
	return best;
}
