// SPDX-License-Identifier: BSD-2-Clause
/*
 * The server (include/tern/server.h), used by the `tern` daemon and by
 * programs that embed tern: loads the steering program if the interface
 * lacks it, starts one worker per queue, steers every address x port to
 * them, serves the control socket; on stop fails its health check
 * (`ternctl health`) and keeps serving for --drain-withdraw-delay so a BGP
 * speaker withdraws the service route first, then drains (FIN, then RST
 * after --drain-timeout), takes its sockets out of the xsks map so the
 * traffic falls back to the kernel, removes its services and detaches the
 * program if it attached it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
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
#include "user/io/fleet.h"
#include "user/io/loader.h"
#include "user/io/log.h"
#include "user/io/netdev.h"
#include "user/io/opts.h"
#include "user/io/reload.h"
#include "user/io/reload_app.h"
#include "user/io/rotate.h"
#include "user/io/server_args.h"
#include "user/io/worker.h"
#include "tern/server.h"

struct tern_server {
	struct tern_args args;
	const struct tern_app *app;
	struct tern_maps maps;
	bool maps_open;
	bool we_attached;           /* detach on exit */
	int nservices;              /* services added to the map */
	struct tern_worker_conf conf;
	struct tern_keyring *keys;    /* one set for every stack, as Linux's
				       * global secrets: a cookie is valid on
				       * whichever queue its ACK lands (fleet.h) */
	struct tern_worker *workers[TERN_XDP_MAX_QUEUES];
	uint32_t nworkers;
	struct tern_worker_peers peers; /* the workers, to each other (handoff.c) */
	struct tern_ctl *ctl;         /* the control socket, when running */
	struct tern_ctl_src src;      /* what its commands read */
	char ctl_path[108];
	pthread_mutex_t reload_mu;    /* one reload at a time (control socket, SIGHUP) */
	int stopping;                 /* health fails from here (__atomic) */
	int phase;                    /* enum phase (__atomic): stop runs on the
				       * main and the control thread */
	uint64_t withdraw_end;        /* CLOCK_MONOTONIC ns: PHASE_WITHDRAW ends
				       * (__atomic) */
	int failed;                   /* a worker ended on its own */
	int ifindex;                  /* of args.dev at start */
	uint32_t rx_queues;           /* RX queues of args.dev, last read */
	int zc_err;                   /* why zero-copy is not used (netdev plan) */
	bool unserved_marked;         /* tern_unserved entries written */
	time_t next_watch;            /* CLOCK_MONOTONIC s of the next watch() */
	struct tern_xdpc xdpc;        /* SYN cookies in XDP (xdpcookie.h) */
	bool xdpc_open;
};

/* Stop: SERVE -> WITHDRAW (health failing, still serving; only with
 * --drain-withdraw-delay) -> DRAIN (the workers refuse SYNs and close). */
enum phase { PHASE_SERVE, PHASE_WITHDRAW, PHASE_DRAIN };

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * TERN_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

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

/*
 * The interface against the options (netdev.h): every RX queue served by
 * default, the MTU giving the MSS, and a one-line refusal of what cannot
 * work (too few queues, an MTU a UMEM frame cannot hold, LRO, VLAN tags
 * stripped before XDP, zero-copy the driver lacks).
 */
static int net_plan(struct tern_server *d)
{
	struct tern_args *a = &d->args;
	struct tern_netdev_want w = {
		.dev = a->dev,
		.queues = a->queues,
		.allow_unserved = a->allow_unserved,
		.mss = a->mss,
		.max_mtu = TERN_XSK_MAX_FRAME - TERN_ETH_HLEN - 4, /* one VLAN tag */
		.zerocopy = a->zerocopy,
	};
	struct tern_netdev_plan p;
	struct tern_netdev nd;
	char why[512];
	int err = tern_netdev__query(a->dev, &nd);

	if (err)
		return fail("--dev", a->dev, err);
	if (tern_netdev__plan(&nd, &w, &p, why, sizeof(why))) {
		tern_log(TERN_LOG_ERR, "%s", why);
		return 1;
	}
	if (!nd.features_known)
		tern_log(TERN_LOG_WARN, "%s: cannot read its offloads (ETHTOOL_GFEATURES): LRO, "
			 "hardware GRO and VLAN stripping are not checked", a->dev);
	a->queues = p.queues;
	a->cfg.mtu = (uint16_t)p.mtu;
	a->zerocopy = p.zerocopy;
	d->zc_err = p.zc_err;
	d->rx_queues = nd.rx_queues;
	if (p.queues < nd.rx_queues)
		tern_log(TERN_LOG_WARN, "%s: queues %u..%u are not served: their service frames "
			 "are dropped (XdpDropUnserved)", a->dev, p.queues, nd.rx_queues - 1);
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
	d->xdpc.flow_slots = a->xdp_flow_slots;
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

/*
 * --allow-unserved-queues: XDP drops service frames that arrive on queues
 * [queues, rx_queues) while queue 0's socket is in the xsks map (every
 * other queue is unmarked, whatever an earlier run left), so they
 * never reach the kernel (which would reset them) while tern runs, and do
 * again once tern is gone, SIGKILL included (the kernel then removes the
 * socket from the map).
 */
static int unserved_mark(struct tern_server *d, bool on)
{
	int err = 0;

	for (uint32_t q = 0; q < TERN_XDP_MAX_QUEUES && !err; q++) {
		bool drop = on && q >= d->args.queues && q < d->rx_queues;

		err = tern_maps__set_unserved(&d->maps, q, drop ? 0 : -1);
	}
	d->unserved_marked = on && !err;
	return err ? fail("mark the unserved queues of", d->args.dev, err) : 0;
}

static void xdp_teardown(struct tern_server *d)
{
	int err;

	if (d->unserved_marked)
		unserved_mark(d, false);
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

/* CLOCK_REALTIME - CLOCK_MONOTONIC: the fleet's cookie count runs on the
 * wall clock, which the hosts keep in step (NTP), from the workers'
 * monotonic now. */
static int64_t realtime_off(void)
{
	struct timespec r, m;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return ((int64_t)r.tv_sec - m.tv_sec) * 1000000000 + (r.tv_nsec - m.tv_nsec);
}

/* Keys for every keyed hash of every stack, from the kernel's CSPRNG;
 * with --cookie-secret the cookie keys from the fleet's file. */
static int secrets_init(struct tern_server *d)
{
	struct tern_keyring *k = tern_keyring__new();
	char why[128];

	if (!k)
		return fail("map the key memory", NULL, -errno);
	d->keys = k;
	if (getrandom(&k->host, sizeof(k->host), 0) != (ssize_t)sizeof(k->host))
		return fail("read random keys (getrandom)", NULL, errno ? -errno : -EIO);
	if (!d->args.cookie_secret)
		return 0;
	if (tern_fleet__load(d->args.cookie_secret, &k->cur, why, sizeof(why))) {
		tern_log(TERN_LOG_ERR, "--cookie-secret %s: %s", d->args.cookie_secret, why);
		return 1;
	}
	k->count_off = realtime_off();
	k->fleet = 1;
	tern_log(TERN_LOG_INFO, "SYN cookie keys from the fleet secret %s", d->args.cookie_secret);
	return 0;
}

static void worker_conf(struct tern_server *d)
{
	struct tern_args *a = &d->args;

	/* The application's per-connection buffer caps the receive window
	 * from the SYN-ACK on (receive credit). */
	a->lopts.rcv_buf = d->app->rcv_buf;
	if (d->app == &tern_app_proxy) /* --proxy-buf */
		a->lopts.rcv_buf = tern_proxy__rcv_buf(&a->app_opts.proxy);
	/* Frames the core keeps (out-of-order data) come out of the UMEM. */
	if (a->cfg.max_ooo > a->frames / 4) /* tern_xsk_geom.kept_max */
		a->cfg.max_ooo = a->frames / 4;
	d->peers.n = a->queues;
	d->conf = (struct tern_worker_conf){
		.peers = &d->peers,
		.icmp_slots = a->icmp_handoff,
		.secrets = &d->keys->host,
		.fleet = d->keys->fleet ? &d->keys->cur : NULL,
		.count_off = d->keys->count_off,
		.ifname = a->dev,
		.zerocopy = a->zerocopy,
		.tx_csum = a->tx_csum,
		.tx_gso = a->tx_gso,
		.tx_gso_max = a->tx_gso_max,
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
		.drain_ns = (uint64_t)a->drain_ms * TERN_NSEC_PER_MSEC,
		.busy_poll_us = a->busy_poll_us,
		.busy_poll_budget = a->busy_poll_budget,
		.xdpc = d->xdpc_open ? &d->xdpc : NULL,
	};
}

/* ", TX checksums offloaded" or ", TX checksums in software (why)". */
static void csum_mode(const struct tern_worker *w, char *buf, size_t len)
{
	int why = 0;
	bool on = tern_worker__tx_csum(w, &why);

	if (on)
		snprintf(buf, len, ", TX checksums offloaded");
	else
		snprintf(buf, len, ", TX checksums in software (%s)",
			 why == EINVAL ? "the kernel takes no AF_XDP TX metadata: Linux 6.11+" :
			 why == EOPNOTSUPP ? "zero-copy: --tx-csum offload to try the driver's" :
			 "--tx-csum sw");
}

/* "GSO frames", "no GSO frames" or "no GSO frames (why)". */
static void gso_mode(const struct tern_worker *w, char *buf, size_t len)
{
	int why = 0;

	if (tern_worker__tx_gso(w, &why))
		snprintf(buf, len, "GSO frames");
	else if (why)
		snprintf(buf, len, "no GSO frames (AF_PACKET socket: %s)", strerror(why));
	else
		snprintf(buf, len, "no GSO frames");
}

static void report_mode(const struct tern_server *d, uint32_t q, int cpu)
{
	int zc_err = 0;
	bool zc = tern_worker__zerocopy(d->workers[q], &zc_err);
	const char *why = zc_err ? strerror(zc_err) : NULL;
	uint32_t sndbuf = tern_worker__sndbuf(d->workers[q]);
	char on[32] = "", csum[96], sb[48] = "", gso[96];

	if (d->zc_err)
		why = "the driver has no AF_XDP zero-copy";
	if (cpu >= 0)
		snprintf(on, sizeof(on), ", CPU %d", cpu);
	if (!zc && sndbuf)
		snprintf(sb, sizeof(sb), ", send buffer %u KiB", sndbuf / 1024);
	csum_mode(d->workers[q], csum, sizeof(csum));
	gso_mode(d->workers[q], gso, sizeof(gso));
	tern_log(TERN_LOG_INFO, "queue %u on %s: AF_XDP %s mode%s%s%s%s, %s, %u UMEM frames%s%s",
		q, d->args.dev, zc ? "zero-copy" : "copy", why ? " (zero-copy: " : "",
		why ? why : "", why ? ")" : "", csum, gso, d->args.frames, sb, on);
}

/*
 * Without --cpus: the CPU the queue's interrupt is affine to, when tern may
 * run there; else the i-th CPU of tern's affinity mask, as --cpus with
 * that list would place it.
 */
static int default_cpu(const char *dev, uint32_t queue)
{
	int irq = tern_netdev__irq_cpu(dev, queue), n, k;
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	if (irq >= 0 && irq < CPU_SETSIZE && CPU_ISSET(irq, &set))
		return irq;
	n = CPU_COUNT(&set);
	if (n <= 0)
		return -1;
	k = (int)(queue % (uint32_t)n);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && k-- == 0)
			return c;
	return -1;
}

/* The two settings the kernel pairs with preferred busy polling
 * (Documentation/networking/napi.rst): printed, never set by tern. */
static void busy_poll_advice(const char *dev, uint32_t usecs, uint32_t budget)
{
	static const char *const knobs[] = { "napi_defer_hard_irqs", "gro_flush_timeout" };
	char path[128], val[2][32];

	for (int i = 0; i < 2; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/class/net/%s/%s", dev, knobs[i]);
		f = fopen(path, "re");
		snprintf(val[i], sizeof(val[i]), "?");
		if (f && fgets(val[i], sizeof(val[i]), f))
			val[i][strcspn(val[i], "\n")] = 0;
		if (f)
			fclose(f);
	}
	tern_log(TERN_LOG_INFO, "busy polling %u us, budget %u on %s: napi_defer_hard_irqs %s, "
		 "gro_flush_timeout %s (the kernel's guide pairs it with both non-zero, e.g. 2 and "
		 "200000, in /sys/class/net/%s/)", usecs, budget, dev, val[0], val[1], dev);
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
	if (a->busy_poll_us)
		busy_poll_advice(a->dev, a->busy_poll_us, a->busy_poll_budget);
	for (uint32_t i = 0; i < a->queues; i++) {
		int cpu = a->ncpus ? a->cpus[i % (uint32_t)a->ncpus] : default_cpu(a->dev, i);

		err = tern_worker__start(&d->workers[i], &d->conf, i, cpu, &what);
		if (err) {
			snprintf(q, sizeof(q), "queue %u:", i);
			return fail(q, what, err);
		}
		d->nworkers++;
		report_mode(d, i, cpu);
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
	tern_log(TERN_LOG_INFO, "queue %u: TCPToZeroWindowAdv %llu TCPMemoryPressures %llu "
		"TCPRcvQDrop %llu OutSndMemFull %llu", q, U(st->mib[TERN_MIB_TCPToZeroWindowAdv]),
		U(st->mib[TERN_MIB_TCPMemoryPressures]), U(st->mib[TERN_MIB_TCPRcvQDrop]),
		U(st->mib[TERN_MIB_OutSndMemFull]));
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
	}
	/* once none runs: a running worker may hand an ICMP error to any */
	for (uint32_t i = 0; i < d->nworkers; i++) {
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
	__atomic_store_n(&d->src.reload_ok, r >= 0, __ATOMIC_RELAXED);
	if (r >= 0)
		__atomic_store_n(&d->src.reload_time, (int64_t)time(NULL), __ATOMIC_RELAXED);
	pthread_mutex_unlock(&d->reload_mu);
	return r;
}

/*
 * `health` (ternctl health): the speaker announces the service address
 * only while this says yes: not stopping, every worker running, the XDP
 * program attached with its pins. Not: the reasons, "; " between them.
 */
static void __attribute__((format(printf, 4, 5)))
add_why(char *why, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n + 3 >= cap)
		return;
	if (*n)
		*n += (size_t)snprintf(why + *n, cap - *n, "; ");
	va_start(ap, fmt);
	r = vsnprintf(why + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (r > 0)
		*n = *n + (size_t)r < cap ? *n + (size_t)r : cap - 1;
}

static int ctl_health_cb(void *arg, char *why, size_t cap)
{
	struct tern_server *d = arg;
	bool attached = false, pinned = false;
	size_t n = 0;

	why[0] = 0;
	if (__atomic_load_n(&d->stopping, __ATOMIC_RELAXED))
		add_why(why, cap, &n, "stopping");
	for (uint32_t i = 0; i < d->nworkers; i++)
		if (tern_worker__done(d->workers[i]))
			add_why(why, cap, &n, "queue %u: worker ended", i);
	if (tern_loader__alive(d->args.dev, d->args.bpffs, d->ifindex, &attached, &pinned) ||
	    !attached || !pinned)
		add_why(why, cap, &n, "XDP program %s", attached ? "lost its pins" : "detached");
	return n == 0;
}

uint32_t tern_server__workers(struct tern_server *d, struct tern_worker *const **w)
{
	*w = d->workers;
	return d->nworkers;
}

static int ctl_drain_cb(void *arg, const char *backend, int on, char *reply, size_t cap)
{
	struct tern_server *d = arg;
	int r;

	pthread_mutex_lock(&d->reload_mu);
	r = tern_reload_app__drain(&d->args, &d->src, backend, on, reply, cap);
	pthread_mutex_unlock(&d->reload_mu);
	return r;
}

static int ctl_rotate_cb(void *arg, const char *path, char *reply, size_t cap)
{
	struct tern_server *d = arg;
	int r;

	pthread_mutex_lock(&d->reload_mu);
	r = tern_rotate__run(&d->src, path, reply, cap);
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
		.reload_ok = 1,
		.reload_time = (int64_t)time(NULL),
		.drain = ctl_drain_cb,
		.health = ctl_health_cb,
		.rotate = ctl_rotate_cb,
		.keys = d->keys,
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

/*
 * tern --check: everything start would check before it changes anything
 * (the bpffs, the XDP object, the interface against the options), and a
 * one-line summary. 0, or 2 after the error line.
 */
int tern_server__check_args(const struct tern_args *a)
{
	struct tern_server *d = calloc(1, sizeof(*d));
	char obj[PATH_MAX];
	int err = d ? 0 : -ENOMEM;

	if (!err) {
		d->args = *a;
		err = tern_loader__check_bpffs(a->bpffs);
		if (err)
			fail("--bpffs: not a bpffs mount", a->bpffs, err);
	}
	if (!err && (err = tern_loader__find_obj(NULL, obj, sizeof(obj))))
		fail("the XDP object (tern.bpf.o, or $" TERN_LOADER_OBJ_ENV ")", NULL, err);
	if (!err && net_plan(d))
		err = -EINVAL;
	if (!err)
		tern_log(TERN_LOG_INFO, "configuration ok: %s: %u of %u RX queues, MTU %u, AF_XDP %s, "
			 "app %s, %d service(s)", a->dev, d->args.queues, d->rx_queues,
			 d->args.cfg.mtu, d->args.zerocopy == TERN_ZC_OFF ? "copy mode" :
			 "zero-copy if the bind allows", a->app_name, a->naddrs * a->nports);
	free(d);
	return err ? 2 : 0;
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
	err = net_plan(d) ? -EINVAL : 0;
	if (!err)
		err = raise_memlock(d->args.queues, d->args.frames);
	if (!err && xdp_setup(d))
		err = -EIO;
	if (!err && workers_start(d))
		err = -EIO;
	if (!err && unserved_mark(d, d->args.allow_unserved)) /* clears stale marks too */
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

/*
 * A drain with --drain-withdraw-delay first fails the health check and
 * goes on serving, new connections included, until the delay ends
 * (tern_server__done() starts the drain then): routers still hashing
 * flows here meanwhile get answers, not resets. An abort skips it.
 */
void tern_server__stop(struct tern_server *d, int abort)
{
	int serve = PHASE_SERVE;

	__atomic_store_n(&d->stopping, 1, __ATOMIC_RELAXED);
	if (!abort && d->args.withdraw_ms) {
		if (__atomic_load_n(&d->phase, __ATOMIC_ACQUIRE) == PHASE_SERVE)
			__atomic_store_n(&d->withdraw_end, mono_ns() + (uint64_t)d->args.withdraw_ms *
					 TERN_NSEC_PER_MSEC, __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(&d->phase, &serve, PHASE_WITHDRAW, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return;
		if (serve == PHASE_WITHDRAW)
			return; /* the delay runs already */
	}
	__atomic_store_n(&d->phase, PHASE_DRAIN, __ATOMIC_RELEASE);
	workers_stop(d, abort ? TERN_WORKER_ABORT : TERN_WORKER_DRAIN);
}

/* The withdraw delay is over: drain. */
static void withdraw_step(struct tern_server *d)
{
	int withdraw = PHASE_WITHDRAW;

	if (__atomic_load_n(&d->phase, __ATOMIC_ACQUIRE) != PHASE_WITHDRAW ||
	    mono_ns() < __atomic_load_n(&d->withdraw_end, __ATOMIC_RELAXED))
		return;
	if (__atomic_compare_exchange_n(&d->phase, &withdraw, PHASE_DRAIN, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		tern_log(TERN_LOG_INFO, "withdraw delay over: draining");
		workers_stop(d, TERN_WORKER_DRAIN);
	}
}

/*
 * The RX queue count changed under tern (ethtool -L): say what it means,
 * once per change. Queues beyond the served ones reach the kernel, which
 * resets their flows, unless --allow-unserved-queues marks them (new ones
 * are marked too); fewer queues leave workers with nothing to read.
 */
static void watch_queues(struct tern_server *d)
{
	const struct tern_args *a = &d->args;
	uint32_t n;

	if (tern_netdev__rx_queues(a->dev, &n) || n == d->rx_queues)
		return;
	tern_log(TERN_LOG_ERR, "%s: RX queues changed from %u to %u (ethtool -L?)", a->dev,
		 d->rx_queues, n);
	d->rx_queues = n;
	if (n > a->queues && a->allow_unserved)
		unserved_mark(d, true);
	if (n > a->queues)
		tern_log(TERN_LOG_ERR, "%s: queues %u..%u are not served: %s; restart tern to "
			 "serve them", a->dev, a->queues, n - 1,
			 a->allow_unserved ? "their service frames are dropped"
					   : "the kernel resets their service flows");
	else if (n < a->queues)
		tern_log(TERN_LOG_ERR, "%s: workers of queues %u..%u have nothing to read now; "
			 "restart tern", a->dev, n, a->queues - 1);
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
	if (__atomic_load_n(&d->stopping, __ATOMIC_RELAXED) || now.tv_sec < d->next_watch)
		return;
	d->next_watch = now.tv_sec + 1;
	watch_queues(d);
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
	withdraw_step(d);
	if (!__atomic_load_n(&d->stopping, __ATOMIC_RELAXED) && any_done(d)) {
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
	if (!__atomic_load_n(&d->stopping, __ATOMIC_RELAXED))
		tern_server__stop(d, 0);
	while (!tern_server__done(d))
		nanosleep(&tick, NULL);
	ctl_stop(d);
	status = workers_join(d) || d->failed;
	services_del(d);
	xdp_teardown(d);
	tern_keyring__free(d->keys);
	pthread_mutex_destroy(&d->reload_mu);
	free(d->args.app_live);
	free(d);
	return status;
}
