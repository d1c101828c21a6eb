/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tern embedded in a program: the same server the `tern` daemon runs
 * (XDP steering, one AF_XDP worker per queue, the control socket) with the
 * program's own application (include/tern/app.h, include/tern/tern.h).
 *
 *	struct tern_server_config cfg;
 *	struct tern_server_service svc = { "10.0.0.1", 80 };
 *	struct tern_server *srv;
 *
 *	tern_server_config__init(&cfg);
 *	cfg.dev = "eth0";
 *	cfg.services = &svc;
 *	cfg.nservices = 1;
 *	if (tern_server__start(&srv, &cfg, &my_app, NULL))
 *		...;
 *	while (!tern_server__done(srv))        (tern_server__stop from
 *		sleep...;                        a signal handler or thread)
 *	status = tern_server__destroy(srv);
 *
 * Threads: start() runs one worker thread per queue; the application's
 * callbacks run on them (see tern.h). The caller should block SIGINT and
 * SIGTERM before start() if it handles them itself (workers inherit the
 * signal mask). Diagnostics go to stderr, one line each.
 *
 * Link with `pkg-config --cflags --libs tern`.
 */
#ifndef TERN_SERVER_H
#define TERN_SERVER_H

#include <stdint.h>

#include "tern/app.h"

struct tern_server;

struct tern_server_service {
	const char *addr;  /* IPv4 or IPv6 address on dev */
	uint16_t port;
};

/* tern_server_config__init() fills the defaults of the daemon's flags. */
struct tern_server_config {
	const char *dev;                   /* required */
	const struct tern_server_service *services;
	unsigned int nservices;            /* every address x every port */
	unsigned int queues;               /* workers for queues 0..queues-1; 0:
					    * every RX queue of dev (the default) */
	const char *bpffs;                 /* /sys/fs/bpf */
	const char *ctl;                   /* NULL: /run/tern/<dev>.sock */
	int skb_mode;                      /* attach in skb (generic) mode: 0 */
	int zerocopy;                      /* 0 auto, 1 on, 2 off: 0 */
	int syncookies;                    /* 0 never, 1 auto, 2 always: 1 */
	unsigned int backlog;              /* half-opens per queue: 4096 */
	unsigned int max_conns;            /* connections per queue: 65536 */
	unsigned int synack_retries;       /* 5 */
	unsigned int rto_min_ms;           /* 200 */
	unsigned int keepalive_idle_s;     /* 0: off */
	unsigned int keepalive_intvl_s;
	unsigned int keepalive_cnt;
	unsigned int user_timeout_ms;      /* 0: off */
	unsigned int fin_timeout_s;        /* 60 */
	unsigned int time_wait_s;          /* 60 */
	unsigned int mss;                  /* IPv4 MSS; 0: the MTU of dev - 40 */
	unsigned int frames;               /* UMEM frames per queue, a power of two
					    * 128..262144 (--frames): 4096 */
	int allow_unserved_queues;         /* queues < the RX queues of dev: drop
					    * service frames on the others (0:
					    * refuse to start) */
	unsigned int drain_timeout_ms;     /* on stop, RST what is still open this
					    * long after the FIN: 2000 */
	int cc;                            /* congestion control: 0 CUBIC, 1
					    * NewReno, 2 BBR (--cc): 0 */
	int xdp_cookies;                   /* SYN-ACKs from XDP: 0 never, 1 while
					    * the queue is overloaded, 2 always
					    * (--xdp-cookies): 1 */
	unsigned int mss_clamp;            /* our MSS at most this, IPv4 and IPv6
					    * (--mss-clamp); 0: none */
	const char *cookie_secret;         /* SYN cookie keys shared by a fleet from
					    * this file (--cookie-secret,
					    * docs/fleet.md); NULL: this host's own */
	unsigned int rmem[3];              /* receive window min, initial, max,
					    * bytes (--rmem): 4096, 256 KiB, 512 KiB */
	unsigned int wmem[3];              /* send buffer min, initial, max
					    * (--wmem): 4096, 256 KiB, 4 MiB */
	int tx_csum;                       /* TCP checksums of sent frames: 0 auto
					    * (offloaded when the kernel takes
					    * AF_XDP TX metadata, copy mode), 1
					    * software, 2 offload or fail
					    * (--tx-csum): 0 */
	unsigned int rack_segs;            /* RACK's per-segment records per queue
					    * (--rack-segs): 0 turns RACK off;
					    * 65536 */
	unsigned int conn_rack_segs;       /* records one connection may hold
					    * (--rack-segs N,M); 0: a quarter */
	int frto;                          /* F-RTO after a timeout, 0 off
					    * (--frto, tcp_frto): 2 */
	int tx_gso;                        /* runs of data segments as one frame
					    * the kernel or NIC segments: 0 auto
					    * (copy mode), 1 off, 2 on (--tx-gso):
					    * 0 */
	unsigned int tx_gso_max;           /* such a frame's IP datagram at most,
					    * 4096..65535 (--tx-gso-max); 0: 65535 */
};

void tern_server_config__init(struct tern_server_config *cfg);

/*
 * Attach the steering program if dev does not run it, start the workers,
 * steer the services to them, serve the control socket. opts (may be NULL)
 * is handed to the application's worker_init in env->opts. Returns 0, or
 * a negative errno (-EINVAL for a bad config) after printing why.
 */
int tern_server__start(struct tern_server **srv, const struct tern_server_config *cfg,
		       const struct tern_app *app, const struct tern_app_opts *opts);

/* Drain (FIN, then RST after drain_timeout_ms) or, with abort, RST now; then the
 * workers end. Any thread, idempotent, and safe in a signal handler. */
void tern_server__stop(struct tern_server *srv, int abort);

/* Have all workers ended? (If one ends on its own, the rest are stopped;
 * so are all, with an error on stderr and status 1 from destroy(), when
 * the interface is deleted or the steering program detached: checked
 * about once a second from here.) */
int tern_server__done(struct tern_server *srv);

/* Stop if needed, join the workers, remove the services, detach the
 * program if start() attached it, free. 0, or 1 if a worker failed or its
 * frame accounting did not add up. */
int tern_server__destroy(struct tern_server *srv);

#endif
