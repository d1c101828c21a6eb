// SPDX-License-Identifier: BSD-2-Clause
/*
 * The server (include/tern/server.h), used by the `tern` daemon and by
 * programs that embed tern: loads the steering program if the interface
 * lacks it, starts one worker per queue, steers every address x port to
 * them, serves the control socket; on stop drains (FIN, then RST after
 * 2 s), takes its sockets out of the xsks map so the traffic falls back to
 * the kernel, removes its services and detaches the program if it
 * attached it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "user/io/capture.h"
#include "user/io/ctl.h"
#include "user/io/ctl_cmds.h"
#include "user/io/loader.h"
#include "user/io/log.h"
#include "user/io/opts.h"
#include "user/io/reload.h"
#include "user/io/server_args.h"
#include "user/io/worker.h"
#include "tern/server.h"

#define DRAIN_NS (2 * TERN_NSEC_PER_SEC)

struct tern_server {
	struct tern_args args;
	const struct tern_app *app;
	struct tern_maps maps;
	bool maps_open;
	bool we_attached;           /* detach on exit */
	int nservices;              /* services added to the map */
	struct tern_worker_conf conf;
	struct tern_secrets secrets;  /* one set for every stack, as Linux's
				       * global secrets: a cookie is valid on
				       * whichever queue its ACK lands */
	struct tern_worker *workers[TERN_XDP_MAX_QUEUES];
	uint32_t nworkers;
	struct tern_ctl *ctl;         /* the control socket, when running */
	struct tern_ctl_src src;      /* what its commands read */
	char ctl_path[108];
	pthread_mutex_t reload_mu;    /* one reload at a time (control socket, SIGHUP) */
	volatile sig_atomic_t stopping;
	int failed;                   /* a worker ended on its own */
	int ifindex;                  /* of args.dev at start */
	time_t next_watch;            /* CLOCK_MONOTONIC s of the next watch() */
	struct tern_xdpc xdpc;        /* SYN cookies in XDP (xdpcookie.h) */
	bool xdpc_open;
};

static int fail(const char *what, const char *arg, int err)
{
	tern_log(TERN_LOG_ERR, "%s%s%s: %s", what, arg ? " " : "", arg ? arg : "",
		 strerror(err < 0 ? -err : err));
	return 1;
}

static bool have_ipc_lock(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];

	return !syscall(SYS_capget, &h, c) &&
	       (c[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32)));
}

/* UMEM pages count against RLIMIT_MEMLOCK without CAP_IPC_LOCK. */
static int raise_memlock(uint32_t queues, uint32_t frames)
{
	unsigned long long need =
		(unsigned long long)queues * (tern_xsk__umem_bytes(frames) + (1u << 20));
	struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };
	int err;

	if (!setrlimit(RLIMIT_MEMLOCK, &r) || have_ipc_lock())
		return 0;
	err = errno;
	getrlimit(RLIMIT_MEMLOCK, &r);
	if (r.rlim_cur < need && r.rlim_max >= need) {
		r.rlim_cur = r.rlim_max;
		if (!setrlimit(RLIMIT_MEMLOCK, &r))
			return 0;
	}
	if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < need) {
		tern_log(TERN_LOG_ERR,
			"RLIMIT_MEMLOCK is %llu KiB and cannot be raised to the %llu KiB "
			"the UMEMs need (run as root, give CAP_IPC_LOCK, or raise ulimit -l): %s",
			(unsigned long long)r.rlim_cur >> 10, need >> 10, strerror(err));
		return -err;
	}
	tern_log(TERN_LOG_WARN, "cannot raise RLIMIT_MEMLOCK (%s); %llu KiB should do",
		strerror(err), (unsigned long long)r.rlim_cur >> 10);
	return 0;
}

/* SYN cookies in XDP: the maps, and the mode. Cookie ACKs are refused
 * with --syncookies never, so XDP never answers then. */
static int xdpc_setup(struct tern_server *d)
{
	const struct tern_args *a = &d->args;
	int mode = a->cfg.syncookies == TERN_COOKIES_NEVER ? TERN_XDPC_NEVER : a->xdp_cookies;

	if (mode != a->xdp_cookies)
		tern_log(TERN_LOG_INFO, "--syncookies never: XDP answers no SYN (--xdp-cookies never)");
	if (tern_xdpc__open(&d->xdpc, a->dev, a->bpffs, mode)) {
		tern_log(TERN_LOG_WARN, "the XDP program on %s has no cookie maps (older object): "
			 "SYN cookies are answered by the workers only", a->dev);
		return 0;
	}
	d->xdpc_open = true;
	tern_log(TERN_LOG_INFO, "SYN cookies in XDP: %s", tern_xdpc__mode_name(mode));
	return 0;
}

/* Attach the steering program unless the interface runs it; open maps. */
static int xdp_setup(struct tern_server *d)
{
	const struct tern_args *a = &d->args;
	struct tern_status st;
	int err;

	err = tern_loader__check_bpffs(a->bpffs);
	if (err)
		return fail("--bpffs: not a bpffs mount", a->bpffs, err);
	err = tern_loader__status(a->dev, a->bpffs, &st);
	if (err)
		return fail("--dev", a->dev, err);
	if (!st.attached || !st.pinned) {
		err = tern_loader__attach(a->dev, a->mode, a->bpffs, NULL);
		if (err)
			return fail("attach the XDP program to", a->dev, err);
		d->we_attached = !st.attached;
	}
	err = tern_loader__open_maps(a->dev, a->bpffs, &d->maps);
	if (err)
		return fail("open the pinned maps of", a->dev, err);
	d->maps_open = true;
	d->ifindex = st.ifindex;
	return xdpc_setup(d);
}

static void xdp_teardown(struct tern_server *d)
{
	int err;

	if (d->xdpc_open)
		tern_xdpc__close(&d->xdpc);
	d->xdpc_open = false;
	if (d->maps_open)
		tern_maps__close(&d->maps);
	d->maps_open = false;
	if (d->we_attached && (err = tern_loader__detach(d->args.dev, d->args.bpffs)))
		fail("detach the XDP program from", d->args.dev, err);
}

static void svc_key(const struct tern_server *d, int i, struct tern_svc_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, d->args.addrs[i / d->args.nports].b, 16);
	k->port = htons(d->args.ports[i % d->args.nports]);
}

static int services_add(struct tern_server *d)
{
	int n = d->args.naddrs * d->args.nports, err;
	struct tern_svc_key k;

	for (d->nservices = 0; d->nservices < n; d->nservices++) {
		svc_key(d, d->nservices, &k);
		err = tern_maps__add_service(&d->maps, &k);
		if (err)
			return fail("add a service to the services map of", d->args.dev, err);
	}
	return 0;
}

static void services_del(struct tern_server *d)
{
	struct tern_svc_key k;
	int err;

	while (d->nservices > 0) {
		svc_key(d, --d->nservices, &k);
		err = tern_maps__del_service(&d->maps, &k);
		if (err && err != -ENOENT)
			fail("remove a service from the services map of", d->args.dev, err);
	}
}

/* Keys for every keyed hash of every stack, from the kernel's CSPRNG. */
static int secrets_init(struct tern_server *d)
{
	if (getrandom(&d->secrets, sizeof(d->secrets), 0) != (ssize_t)sizeof(d->secrets))
		return fail("read random keys (getrandom)", NULL, errno ? -errno : -EIO);
	return 0;
}

static void worker_conf(struct tern_server *d)
{
	struct tern_args *a = &d->args;

	/* The application's per-connection buffer caps the receive window
	 * from the SYN-ACK on (receive credit). */
	a->lopts.rcv_buf = d->app->rcv_buf;
	if (d->app == &tern_app_proxy && a->app_opts.proxy.buf) /* --proxy-buf */
		a->lopts.rcv_buf = a->app_opts.proxy.buf;
	/* Frames the core keeps (out-of-order data) come out of the UMEM. */
	if (a->cfg.max_ooo > a->frames / 4) /* tern_xsk_geom.kept_max */
		a->cfg.max_ooo = a->frames / 4;
	d->conf = (struct tern_worker_conf){
		.secrets = &d->secrets,
		.ifname = a->dev,
		.zerocopy = a->zerocopy,
		.frames = a->frames,
		.maps = &d->maps,
		.cfg = &a->cfg,
		.lopts = &a->lopts,
		.addrs = a->addrs,
		.families = a->families,
		.naddrs = a->naddrs,
		.ports = a->ports,
		.nports = a->nports,
		.app = d->app,
		.app_opts = &a->app_opts,
		.drain_ns = DRAIN_NS,
		.xdpc = d->xdpc_open ? &d->xdpc : NULL,
	};
}

static void report_mode(const struct tern_server *d, uint32_t q)
{
	int zc_err = 0;
	bool zc = tern_worker__zerocopy(d->workers[q], &zc_err);

	tern_log(TERN_LOG_INFO, "queue %u on %s: AF_XDP %s mode%s%s%s, %u UMEM frames", q,
		d->args.dev, zc ? "zero-copy" : "copy", zc_err ? " (zero-copy: " : "",
		zc_err ? strerror(zc_err) : "", zc_err ? ")" : "", d->args.frames);
}

static int workers_start(struct tern_server *d)
{
	const struct tern_args *a = &d->args;
	const char *what;
	char q[32];
	int err;

	if (secrets_init(d))
		return 1;
	worker_conf(d);
	for (uint32_t i = 0; i < a->queues; i++) {
		int cpu = a->ncpus ? a->cpus[i % (uint32_t)a->ncpus] : -1;

		err = tern_worker__start(&d->workers[i], &d->conf, i, cpu, &what);
		if (err) {
			snprintf(q, sizeof(q), "queue %u:", i);
			return fail(q, what, err);
		}
		d->nworkers++;
		report_mode(d, i);
	}
	return 0;
}

static void workers_stop(struct tern_server *d, enum tern_worker_cmd cmd)
{
	for (uint32_t i = 0; i < d->nworkers; i++)
		tern_worker__stop(d->workers[i], cmd);
}

static bool all_done(const struct tern_server *d)
{
	for (uint32_t i = 0; i < d->nworkers; i++)
		if (!tern_worker__done(d->workers[i]))
			return false;
	return true;
}

static bool any_done(const struct tern_server *d)
{
	for (uint32_t i = 0; i < d->nworkers; i++)
		if (tern_worker__done(d->workers[i]))
			return true;
	return false;
}

#define U(x) ((unsigned long long)(x))

static void print_final(uint32_t q, const struct tern_worker_stats *st)
{
	char buf[200];

	tern_log(TERN_LOG_INFO, "queue %u: rx %llu tx %llu drop-noframe %llu drop-txring %llu "
		"build-err %llu oversize %llu kicks %llu kick-again %llu kick-busy %llu kick-err %llu ring-err %llu", q,
		U(st->rx_frames), U(st->tx_frames), U(st->tx_drop_noframe), U(st->tx_drop_ring),
		U(st->tx_build_err), U(st->tx_oversize), U(st->xsk.kicks), U(st->xsk.kick_again), U(st->xsk.kick_busy),
		U(st->xsk.kick_errors), U(st->ring_errors));
	tern_log(TERN_LOG_INFO, "queue %u: InSegs %llu OutSegs %llu PassiveOpens %llu "
		"SyncookiesSent %llu SyncookiesRecv %llu OutRsts %llu RetransSegs %llu "
		"OutDropNoRoom %llu", q, U(st->mib[TERN_MIB_InSegs]), U(st->mib[TERN_MIB_OutSegs]),
		U(st->mib[TERN_MIB_PassiveOpens]), U(st->mib[TERN_MIB_SyncookiesSent]),
		U(st->mib[TERN_MIB_SyncookiesRecv]), U(st->mib[TERN_MIB_OutRsts]),
		U(st->mib[TERN_MIB_RetransSegs]), U(st->mib[TERN_MIB_OutDropNoRoom]));
	tern_frames__format(&st->frames, buf, sizeof(buf));
	tern_log(TERN_LOG_INFO, "queue %u: frames: %s", q, buf);
}

/* Join every worker and print its final counts; 0, or 1 if one failed
 * or its frame accounting does not add up. */
static int workers_join(struct tern_server *d)
{
	struct tern_worker_stats st;
	int status = 0, err;

	for (uint32_t i = 0; i < d->nworkers; i++) {
		err = tern_worker__join(d->workers[i]);
		tern_worker__stats(d->workers[i], &st);
		print_final(i, &st);
		if (err)
			status = fail("worker loop", NULL, err);
		if (tern_frames__check(&st.frames))
			status = fail("frame accounting of queue", NULL, EUCLEAN);
		tern_worker__destroy(d->workers[i]);
		d->workers[i] = NULL;
	}
	d->nworkers = 0;
	return status;
}

/*
 * Control socket hook (--ctl PATH, d->args.ctl). The control socket
 * (user/io/ctl.h) is wired here: start it after the workers run, with a
 * handler that reads tern_worker__stats() of every worker (counters, and
 * tern_frames__check() on the frame accounting); stop it in ctl_stop().
 */
static void ctl_stop_cb(void *arg)
{
	tern_server__stop(arg, 0);
}

static int ctl_reload_cb(void *arg, char *reply, size_t cap)
{
	struct tern_server *d = arg;
	int r;

	pthread_mutex_lock(&d->reload_mu);
	r = tern_reload__run(&d->args, &d->src, reply, cap);
	pthread_mutex_unlock(&d->reload_mu);
	return r;
}

int tern_server__reload(struct tern_server *d, char *reply, size_t cap)
{
	return ctl_reload_cb(d, reply, cap);
}

static int ctl_start(struct tern_server *d)
{
	const struct tern_ctl_http *http = d->args.metrics ? &d->args.metrics_addr : NULL;

	if (!d->args.ctl) {
		snprintf(d->ctl_path, sizeof(d->ctl_path), "/run/tern/%s.sock", d->args.dev);
		d->args.ctl = d->ctl_path;
	}
	d->src = (struct tern_ctl_src){
		.dev = d->args.dev,
		.workers = d->workers,
		.nworkers = d->nworkers,
		.maps = &d->maps,
		.stop = ctl_stop_cb,
		.stop_arg = d,
		.reload = ctl_reload_cb,
		.reload_arg = d,
		.xdpc = d->xdpc_open ? &d->xdpc : NULL,
	};
	d->ctl = tern_ctl__start_http(d->args.ctl, http, tern_ctl_cmds__handle, &d->src);
	if (!d->ctl)
		return fail(http ? "control socket or --metrics listener" : "control socket",
			    http ? d->args.metrics : d->args.ctl, -errno);
	tern_log(TERN_LOG_INFO, "control socket %s", d->args.ctl);
	if (http)
		tern_log(TERN_LOG_INFO, "metrics on http://%s/metrics", d->args.metrics);
	return 0;
}

static void ctl_stop(struct tern_server *d)
{
	tern_ctl__stop(d->ctl);
	d->ctl = NULL;
	tern_capture__end(&d->src.capture); /* before the workers go */
}

static void print_ready(const struct tern_server *d)
{
	char addr[64], line[1024];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "ready on %s (%u queue%s, app %s, XDP program %s):",
			     d->args.dev, d->args.queues, d->args.queues == 1 ? "" : "s",
			     d->app->name, d->we_attached ? "loaded by tern" : "already loaded");
	for (int i = 0; i < d->args.naddrs; i++) {
		int fam = tern_loader__format_addr(d->args.addrs[i].b, addr, sizeof(addr));

		for (int p = 0; p < d->args.nports && n < sizeof(line); p++)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      fam == 6 ? " [%s]:%u" : " %s:%u", addr, d->args.ports[p]);
	}
	tern_log(TERN_LOG_INFO, "%s", line);
}

/* Start from parsed daemon arguments (the daemon's path). */
int tern_server__start_args(struct tern_server **srv, const struct tern_args *a,
			    const struct tern_app *app)
{
	struct tern_server *d = calloc(1, sizeof(*d));
	int err;

	*srv = NULL;
	if (!d)
		return -ENOMEM;
	d->args = *a;
	d->app = app;
	pthread_mutex_init(&d->reload_mu, NULL);
	err = raise_memlock(a->queues, a->frames);
	if (!err && xdp_setup(d))
		err = -EIO;
	if (!err && workers_start(d))
		err = -EIO;
	if (!err && services_add(d))
		err = -EIO;
	if (!err && ctl_start(d))
		err = -EIO;
	if (err) {
		tern_server__stop(d, 1);
		tern_server__destroy(d);
		return err;
	}
	print_ready(d);
	*srv = d;
	return 0;
}

void tern_server__stop(struct tern_server *d, int abort)
{
	d->stopping = 1;
	workers_stop(d, abort ? TERN_WORKER_ABORT : TERN_WORKER_DRAIN);
}

/*
 * Once a second from tern_server__done(): with the interface deleted, or
 * the steering program detached or its pins removed (ternctl unload),
 * nothing can reach the workers any more. Say so and stop (abort: RSTs go
 * out while the sockets still can send); exit status 1.
 */
static void watch(struct tern_server *d)
{
	const char *dev = d->args.dev;
	bool attached, pinned;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (d->stopping || now.tv_sec < d->next_watch)
		return;
	d->next_watch = now.tv_sec + 1;
	if (if_nametoindex(dev) != (unsigned int)d->ifindex) {
		tern_log(TERN_LOG_ERR, "%s: the interface is gone: %s; stopping", dev,
			 strerror(ENODEV));
		d->we_attached = false; /* nothing left to detach from */
	} else if (!tern_loader__alive(dev, d->args.bpffs, d->ifindex, &attached, &pinned) &&
		   (!attached || !pinned)) {
		tern_log(TERN_LOG_ERR, "%s: the XDP program %s (ternctl unload?); stopping", dev,
			 attached ? "lost its pinned maps" : "was detached");
		d->we_attached = attached;
	} else {
		return;
	}
	d->failed = 1;
	tern_server__stop(d, 1);
}

int tern_server__done(struct tern_server *d)
{
	watch(d);
	if (!d->stopping && any_done(d)) {
		d->failed = 1; /* a worker ended on its own: stop the rest */
		tern_server__stop(d, 0);
	}
	return all_done(d);
}

int tern_server__destroy(struct tern_server *d)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	int status;

	if (!d)
		return 0;
	if (!d->stopping)
		tern_server__stop(d, 0);
	while (!tern_server__done(d))
		nanosleep(&tick, NULL);
	ctl_stop(d);
	status = workers_join(d) || d->failed;
	services_del(d);
	xdp_teardown(d);
	explicit_bzero(&d->secrets, sizeof(d->secrets));
	pthread_mutex_destroy(&d->reload_mu);
	free(d);
	return status;
}
