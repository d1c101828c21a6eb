// SPDX-License-Identifier: BSD-2-Clause
/*
 * A worker's life: set-up on its own thread (CPU pin, frame pool, UMEM and
 * socket, stack, listeners, application, io_uring, xsks map entry), the
 * loop (loop.c), tear-down, and the stats snapshot other threads read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "worker_priv.h"

uint64_t tern_worker__clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * TERN_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* ---- application glue: forwards to the app; refuses while draining ---- */

static int app_accept(void *ctx, struct tern_conn *c)
{
	struct tern_worker *w = ctx;

	if (w->draining)
		return -ECONNREFUSED;
	return w->conf->app->ops->accept ? w->conf->app->ops->accept(w->app_ctx, c) : 0;
}

#define FORWARD(name, proto, ...)                                              \
	static void app_##name proto                                           \
	{                                                                      \
		struct tern_worker *w = ctx;                                   \
		if (w->conf->app->ops->name)                                   \
			w->conf->app->ops->name(w->app_ctx, __VA_ARGS__);      \
	}
FORWARD(data, (void *ctx, struct tern_conn *c, const uint8_t *p, uint32_t len), c, p, len)
FORWARD(fin, (void *ctx, struct tern_conn *c), c)
FORWARD(acked, (void *ctx, struct tern_conn *c, uint32_t bytes), c, bytes)
FORWARD(writable, (void *ctx, struct tern_conn *c), c)
FORWARD(timer, (void *ctx, struct tern_conn *c), c)
FORWARD(closed, (void *ctx, struct tern_conn *c, int reason), c, reason)
#undef FORWARD

static const struct tern_app_ops glue_ops = {
	.accept = app_accept,
	.data = app_data,
	.fin = app_fin,
	.acked = app_acked,
	.writable = app_writable,
	.timer = app_timer,
	.closed = app_closed,
};

/* ---- stats ---- */

/* The socket's kernel drop counters (RX ring full, fill ring empty): one
 * getsockopt at most every TERN_KST_NS, with the snapshot (published at
 * every sleep and every 50 ms while busy), so that `ternctl top` can show
 * them per second next to XdpSteered/s. */
static void read_kernel_stats(struct tern_worker *w)
{
	socklen_t len = sizeof(w->c.kst);

	if (w->x.fd < 0 || w->now - w->kst_at < TERN_KST_NS)
		return;
	w->kst_at = w->now;
	if (getsockopt(w->x.fd, SOL_XDP, XDP_STATISTICS, &w->c.kst, &len))
		w->c.ring_errors++;
}

void tern_worker__publish(struct tern_worker *w)
{
	unsigned s = atomic_load_explicit(&w->seq, memory_order_relaxed);
	struct tern_worker_stats *p = &w->pub;

	read_kernel_stats(w);
	atomic_store_explicit(&w->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	/* The worker's own counters come first in w->c; the MIB, parse drops
	 * and application counters of w->c are never used (copied from
	 * their owners below), so they are not copied twice. */
	memcpy(p, &w->c, offsetof(struct tern_worker_stats, mib));
	p->kst = w->c.kst;
	p->ring_submit_errors += w->app_ring.submit_errors;
	p->frames = w->f.c;
	p->xsk = w->x.st;
	if (w->stack) {
		memcpy(p->mib, tern_stack__mib(w->stack), sizeof(p->mib));
		memcpy(p->parse_drops, tern_stack__parse_drops(w->stack), sizeof(p->parse_drops));
		p->nconns = tern_stack__nconns(w->stack);
		p->nreqs = tern_stack__nreqs(w->stack);
		p->ntw = tern_stack__ntw(w->stack);
	}
	if (w->app_ctx && w->conf->app->counters) {
		p->napp = w->conf->app->ncounters;
		p->app_names = w->conf->app->counter_names;
		p->app_kinds = w->conf->app->counter_kinds;
		p->app_name = w->conf->app->name;
		w->conf->app->counters(w->app_ctx, p->app);
	} else {
		p->napp = 0;
		p->app_name = NULL;
	}
	p->queue = w->queue;
	p->cpu = w->cpu;
	p->busy_poll_us = w->x.busy_poll ? w->conf->busy_poll_us : 0;
	p->xdp_cookies = w->xq.on;
	p->xdp_cookie_switches = w->xq.switches;
	p->zc = w->x.zc;
	p->tx_csum = w->x.tx_csum;
	p->tx_gso = w->gso.fd >= 0;
	p->draining = w->draining;
	p->done = w->finished || w->err;
	atomic_store_explicit(&w->seq, s + 2, memory_order_release);
	w->last_publish = w->now;
}

void tern_worker__stats(const struct tern_worker *w, struct tern_worker_stats *st)
{
	unsigned s1, s2;

	do {
		s1 = atomic_load_explicit(&w->seq, memory_order_acquire);
		if (s1 & 1) {
			sched_yield();
			continue;
		}
		memcpy(st, &w->pub, sizeof(*st));
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&w->seq, memory_order_relaxed);
	} while ((s1 & 1) || s1 != s2);
}

/* ---- set-up and tear-down, on the worker's thread ---- */

static int pin_cpu(struct tern_worker *w)
{
	cpu_set_t set;

	if (w->cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The pages of the stack that hold its keys stay out of core dumps. */
static int keys_dontdump(const struct tern_stack *s)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), start, end;
	const void *p;
	size_t len;

	tern_stack__secrets_span(s, &p, &len);
	start = (uintptr_t)p & ~(page - 1);
	end = ((uintptr_t)p + len + page - 1) & ~(page - 1);
	return madvise((void *)start, end - start, MADV_DONTDUMP) ? -errno : 0;
}

static int stack_create(struct tern_worker *w)
{
	const struct tern_cfg *cfg = w->conf->cfg;

	w->stack_len = tern_stack__memsize(cfg);
	if (!w->stack_len)
		return -EINVAL;
	w->stack_mem = mmap(NULL, w->stack_len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->stack_mem == MAP_FAILED) {
		w->stack_mem = NULL;
		return -errno;
	}
	w->stack = tern_stack__init(w->stack_mem, w->stack_len, cfg, w->conf->secrets, w->now);
	if (!w->stack)
		return -errno;
	if (w->conf->fleet)
		tern_stack__set_fleet(w->stack, w->conf->fleet, w->conf->count_off);
	tern_stack__set_icmp_handoff(w->stack, tern_handoff__on(w));
	return keys_dontdump(w->stack);
}

static bool lopts_set(const struct tern_listen_opts *o)
{
	return o->keepalive_idle_s || o->user_timeout_ms || o->rcv_buf;
}

static int listen_all(struct tern_worker *w)
{
	const struct tern_worker_conf *k = w->conf;
	int err;

	for (int a = 0; a < k->naddrs; a++)
		for (int p = 0; p < k->nports; p++) {
			err = tern_stack__listen(w->stack, &k->addrs[a], k->families[a], k->ports[p]);
			if (!err && lopts_set(k->lopts))
				err = tern_stack__listen_opts(w->stack, &k->addrs[a], k->ports[p],
							      k->lopts);
			if (err)
				return err;
		}
	return 0;
}

static int app_create(struct tern_worker *w)
{
	struct tern_app_env env = {
		.stack = w->stack,
		.out = &w->out,
		.now = &w->now,
		.max_conns = w->conf->cfg->max_conns,
		.opts = w->conf->app_opts,
		.ring = &w->app_ring,
		.frames = &w->app_frames,
	};

	if (w->conf->app->counters && w->conf->app->ncounters > TERN_APP_MAX_COUNTERS)
		return -E2BIG;
	tern_path__app_frames(w);
	w->app_ctx = w->conf->app->worker_init(&env);
	if (!w->app_ctx)
		return errno ? -errno : -ENOMEM;
	tern_stack__set_app(w->stack, &glue_ops, w);
	tern_stack__set_release(w->stack, tern_path__release, w);
	return 0;
}

#define STEP(call, name)                                                       \
	do {                                                                   \
		if ((err = (call))) {                                          \
			*what = (name);                                        \
			return err;                                            \
		}                                                              \
	} while (0)

static int setup(struct tern_worker *w, const char **what)
{
	int err;

	w->now = tern_worker__clock();
	w->max_frame = TERN_ETH_HLEN + w->conf->cfg->mtu;
	STEP(pin_cpu(w), "pin the worker to its CPU");
	STEP(tern_frames__init(&w->f, w->conf->frames, TERN_XSK_FRAME_SIZE), "frame pool");
	w->out.tx = calloc(TERN_OUT_CAP, sizeof(*w->out.tx));
	w->out.cap = TERN_OUT_CAP;
	STEP(w->out.tx ? 0 : -ENOMEM, "output array");
	STEP(tern_xsk__open(&w->x, w->conf->ifname, w->queue, w->conf->zerocopy, w->conf->tx_csum,
			    w->conf->frames,
			    what), *what);
	STEP(tern_gso__open(&w->gso, w->conf->tx_gso, w->x.zc, (int)w->x.ifindex,
			    w->conf->tx_gso_max),
	     "open the segmentation offload socket (AF_PACKET, PACKET_VNET_HDR; --tx-gso off)");
	if (w->conf->busy_poll_us)
		STEP(tern_xsk__busy_poll(&w->x, w->conf->busy_poll_us, w->conf->busy_poll_budget),
		     "set busy polling on the socket (SO_PREFER_BUSY_POLL, SO_BUSY_POLL)");
	STEP(tern_worker__req_init(w), "request area");
	STEP(stack_create(w), "TCP stack");
	STEP(listen_all(w), "listen");
	if (w->conf->xdpc)
		STEP(tern_xdpc__flows_attach(w->conf->xdpc, w->queue, w->stack),
		     "give the XDP flow filter to the stack");
	if (w->conf->xdpc)
		STEP(tern_xdpc__write_cfg(w->conf->xdpc, w->stack, w->conf->lopts->rcv_buf),
		     "write the XDP cookie keys");
	STEP(tern_loop__init(w), "io_uring"); /* before the app: it may use the ring */
	STEP(app_create(w), "application instance");
	tern_xsk__refill(&w->x, &w->f, w->x.g.reserve);
	STEP(tern_maps__set_xsk(w->conf->maps, w->queue, w->x.fd), "put the socket in the xsks map");
	w->in_map = true;
	tern_worker__publish(w);
	return 0;
}

static void teardown(struct tern_worker *w)
{
	if (w->conf->xdpc) /* XDP stops answering before the socket goes */
		tern_xdpc__off(w->conf->xdpc, &w->xq, w->queue, w->stack, w->now);
	if (w->in_map) /* steered traffic falls back to the kernel */
		tern_maps__set_xsk(w->conf->maps, w->queue, -1);
	w->in_map = false;
	if (w->conf->xdpc)
		tern_xdpc__flows_detach(w->conf->xdpc, w->queue, w->stack);
	tern_loop__fini(w);
	if (w->app_ctx && w->conf->app->worker_fini)
		w->conf->app->worker_fini(w->app_ctx);
	w->app_ctx = NULL;
	tern_xsk__close(&w->x);
	tern_gso__close(&w->gso);
	if (w->stack)
		tern_stack__wipe_secrets(w->stack);
	if (w->stack_mem)
		munmap(w->stack_mem, w->stack_len);
	w->stack_mem = NULL;
	w->stack = NULL;
	free(w->out.tx);
	w->out.tx = NULL;
	tern_frames__fini(&w->f);
}

static void announce(struct tern_worker *w, int ready, const char *what)
{
	pthread_mutex_lock(&w->mu);
	w->ready = ready;
	w->what = what;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void *worker_main(void *arg)
{
	struct tern_worker *w = arg;
	const char *what = "set-up";
	char name[16];
	int err;

	snprintf(name, sizeof(name), "tern-q%u", w->queue); /* top -H, ps -L */
	pthread_setname_np(pthread_self(), name);
	err = setup(w, &what);

	if (err) {
		teardown(w);
		announce(w, err, what);
		return NULL;
	}
	announce(w, 1, NULL);
	tern_loop__run(w);
	/* The final snapshot (published by the loop) keeps the frame counts
	 * as they were with every frame still accounted for. */
	teardown(w);
	atomic_store_explicit(&w->done, true, memory_order_release);
	return NULL;
}

/* ---- other threads ---- */

static struct tern_worker *worker_alloc(const struct tern_worker_conf *conf, uint32_t queue,
					int cpu)
{
	struct tern_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->conf = conf;
	w->queue = queue;
	w->cpu = cpu;
	w->x.fd = -1;
	w->gso.fd = -1;
	w->efd = eventfd(0, EFD_CLOEXEC);
	if (w->efd < 0) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	return w;
}

int tern_worker__start(struct tern_worker **wp, const struct tern_worker_conf *conf,
		       uint32_t queue, int cpu, const char **what)
{
	struct tern_worker *w = worker_alloc(conf, queue, cpu);
	int err;

	*what = "worker";
	if (!w)
		return -errno;
	err = -pthread_create(&w->thread, NULL, worker_main, w);
	if (err) {
		*what = "create the worker thread";
		close(w->efd);
		free(w);
		return err;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->ready)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	if (w->ready < 0) {
		err = w->ready;
		*what = w->what;
		pthread_join(w->thread, NULL);
		tern_worker__req_fini(w);
		close(w->efd);
		free(w);
		return err;
	}
	*wp = w;
	if (conf->peers && queue < TERN_XDP_MAX_QUEUES)
		atomic_store_explicit(&conf->peers->w[queue], w, memory_order_release);
	return 0;
}

bool tern_worker__zerocopy(const struct tern_worker *w, int *zc_err)
{
	struct tern_worker_stats st;

	tern_worker__stats(w, &st);
	*zc_err = w->x.zc_err; /* written before the start-up hand-shake */
	return st.zc;
}

uint32_t tern_worker__sndbuf(const struct tern_worker *w)
{
	return w->x.sndbuf; /* written before the start-up hand-shake */
}

bool tern_worker__tx_csum(const struct tern_worker *w, int *why)
{
	struct tern_worker_stats st;

	tern_worker__stats(w, &st);
	*why = w->x.txmd_err; /* written before the start-up hand-shake */
	return st.tx_csum;
}

bool tern_worker__tx_gso(const struct tern_worker *w, int *why)
{
	*why = w->gso.err; /* both written before the start-up hand-shake */
	return w->gso.fd >= 0;
}

void tern_worker__stop(struct tern_worker *w, enum tern_worker_cmd cmd)
{
	uint64_t one = 1;
	int cur = atomic_load(&w->cmd);

	while (cur < (int)cmd && !atomic_compare_exchange_weak(&w->cmd, &cur, (int)cmd))
		;
	if (write(w->efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow at one write per command */
	}
}

uint32_t tern_worker__queue(const struct tern_worker *w)
{
	return w->queue;
}

unsigned tern_worker__progress(struct tern_worker *w)
{
	unsigned s = atomic_load_explicit(&w->seq, memory_order_acquire);
	uint64_t one = 1;

	if (write(w->efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow at one write per call */
	}
	return s;
}

bool tern_worker__done(const struct tern_worker *w)
{
	return atomic_load_explicit(&w->done, memory_order_acquire);
}

int tern_worker__join(struct tern_worker *w)
{
	pthread_join(w->thread, NULL);
	return w->err;
}

void tern_worker__destroy(struct tern_worker *w)
{
	if (!w)
		return;
	if (w->conf->peers && w->queue < TERN_XDP_MAX_QUEUES) /* no worker runs now */
		atomic_store_explicit(&w->conf->peers->w[w->queue], NULL, memory_order_release);
	tern_worker__req_fini(w); /* here, not at teardown: the control
				   * thread may still be copying a reply */
	close(w->efd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
