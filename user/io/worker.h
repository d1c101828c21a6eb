/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A worker: one thread per NIC queue with its own UMEM, AF_XDP socket,
 * frame pool, TCP stack, application instance and io_uring. Workers share
 * only the read-only struct tern_worker_conf, and hand each other ICMP
 * errors through its peers (handoff.c). Other threads talk to a worker
 * through tern_worker__stop (an atomic command and an eventfd) and
 * read it through tern_worker__stats (a seqlock snapshot the worker
 * publishes whenever it goes to sleep, at least every 50 ms while busy,
 * and when it ends).
 */
#ifndef TERN_IO_WORKER_H
#define TERN_IO_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/if_xdp.h>

#include "user/app/app.h"
#include "user/core/tcp.h"
#include "frames.h"
#include "loader.h"
#include "xdpcookie.h"
#include "xsk.h"

/* Every worker of a daemon by queue (n queues), for handing ICMP errors
 * to the one that owns their connection (handoff.c). A worker's slot is
 * set while it runs; the memory stays until no worker runs. */
struct tern_worker_peers {
	struct tern_worker *_Atomic w[TERN_XDP_MAX_QUEUES];
	uint32_t n;
};

/* Shared by every worker, never written after the workers start (peers'
 * slots excepted). */
struct tern_worker_conf {
	const struct tern_secrets *secrets; /* the same keys for every stack */
	const struct tern_fleet_keys *fleet; /* --cookie-secret's keys, or NULL */
	int64_t count_off;                /* their cookie clock (tern_stack__set_fleet) */
	const char *ifname;
	int zerocopy;                     /* enum tern_zc_mode */
	int tx_csum;                      /* enum tern_tx_csum_mode (xsk.h) */
	int tx_gso;                       /* enum tern_gso_mode (gso.h) */
	uint32_t tx_gso_max;              /* an offloaded frame's IP datagram at most, bytes */
	uint32_t frames;                  /* UMEM frames (tern_xsk__geom) */
	const struct tern_maps *maps;     /* xsks map: our sockets go in at key = queue */
	const struct tern_cfg *cfg;
	const struct tern_listen_opts *lopts;
	const struct tern_addr *addrs;
	const int *families;
	int naddrs;
	const uint16_t *ports;            /* host order */
	int nports;
	const struct tern_app *app;
	const struct tern_app_opts *app_opts; /* to the app's worker_init (env.opts) */
	uint64_t drain_ns;                /* FIN drain before RST on stop (--drain-timeout) */
	uint32_t busy_poll_us;            /* --busy-poll, 0: off */
	uint32_t busy_poll_budget;
	struct tern_xdpc *xdpc;           /* SYN cookies in XDP (xdpcookie.h); NULL: none */
	struct tern_worker_peers *peers;  /* NULL or one worker: ICMP errors stay where they land */
	uint32_t icmp_slots;              /* ICMP errors a worker queues from the others (a power
					   * of two); 0: none handed over */
};

/* What a worker publishes. The worker counts into the fields before mib
 * in its own copy, which tern_worker__publish() copies as one block; mib
 * and what follows come from the stack, the application and the kernel. */
struct tern_worker_stats {
	struct tern_frame_counts frames;  /* tern_frames__check() must be 0 */
	struct tern_xsk_stats xsk;
	uint64_t rx_frames;               /* frames read off the RX ring */
	uint64_t tx_frames;               /* frames submitted to the TX ring */
	uint64_t tx_synack;               /* SYN-ACKs queued (cookie or not, retransmits too) */
	uint64_t tx_drop_noframe;         /* reply dropped: no free frame */
	uint64_t tx_drop_ring;            /* reply dropped: TX ring full */
	uint64_t tx_build_err;            /* tern_build() failed */
	uint64_t tx_oversize;             /* built longer than the MTU allows (sent anyway) */
	uint64_t tx_inplace;              /* segments built around an application's buffer */
	uint64_t tx_inplace_busy;         /* copied instead: that buffer was still on the TX ring */
	uint64_t tx_gso_frames;           /* runs of segments sent as one GSO frame (gso.h) */
	uint64_t tx_gso_segs;             /* the segments in them */
	uint64_t tx_gso_fails;            /* runs the socket refused, sent through the TX ring */
	uint64_t app_frame_limit;         /* application buffers refused (app_max, or reserve) */
	uint64_t loops;                   /* loop iterations */
	uint64_t sleeps;                  /* io_uring waits */
	uint64_t ring_errors;             /* unexpected io_uring results */
	uint64_t ring_submit_errors;      /* io_uring submits that failed (loop.c, ring.h) */
	uint64_t ring_enters;             /* io_uring_enter without waiting: submit, task work */
	uint64_t ring_cq_overflows;       /* busy passes that found the CQ overflowed */
	uint64_t icmp_forwarded;          /* ICMP errors for no connection here, handed to the others */
	uint64_t icmp_forward_drops;      /* hand-overs dropped: a worker's queue full */
	uint64_t icmp_forward_in;         /* ICMP errors other workers handed this one */
	uint64_t icmp_forward_matched;    /* of those, ones that quoted a connection here */
	uint64_t mib[TERN_MIB__COUNT];
	uint64_t parse_drops[TERN_PARSE__COUNT];
	uint64_t app[TERN_APP_MAX_COUNTERS]; /* the application's counters */
	const char *const *app_names;     /* their names (static), napp of them */
	const uint8_t *app_kinds;         /* enum tern_app_counter_kind, or NULL */
	const char *app_name;             /* the application's name (static) */
	uint32_t napp;
	struct xdp_statistics kst;        /* the kernel's XDP_STATISTICS, read every 100 ms at most */
	uint32_t nconns;
	uint32_t nreqs;
	uint32_t ntw;                     /* TIME-WAIT records */
	uint32_t queue;
	int32_t cpu;                      /* pinned to, or -1 */
	uint32_t busy_poll_us;            /* --busy-poll in effect, 0: off */
	uint64_t xdp_cookie_switches;     /* times the queue's XDP cookie flag changed */
	bool xdp_cookies;                 /* XDP answers this queue's SYNs (flag on) */
	bool zc;
	bool tx_csum;                     /* TCP checksums offloaded (TX metadata) */
	bool tx_gso;                      /* segmentation offload on (gso.h) */
	bool draining;
	bool done;
};

enum tern_worker_cmd {
	TERN_WORKER_RUN = 0,
	TERN_WORKER_DRAIN,  /* refuse new connections, FIN the open ones, RST after drain_ns */
	TERN_WORKER_ABORT,  /* RST every connection now and end */
};

struct tern_worker;

/* A request run on the worker's thread (tern_worker__request). */
enum tern_worker_req_op {
	TERN_REQ_CONNS = 1,  /* JSON objects of the connections, comma-separated */
	TERN_REQ_SYNCOOKIES, /* arg[0]: enum tern_cookie_mode */
	TERN_REQ_KEEPALIVE,  /* arg[0..2]: idle s, interval s, count (0: off) */
	TERN_REQ_BACKLOG,    /* arg[0]: half-open limit */
	TERN_REQ_XDP_COOKIES, /* the shared XDP cookie mode changed: look at it now */
	TERN_REQ_APP_OPTS,   /* data: struct tern_app_opts for the app's reconfigure */
	TERN_REQ_ROTATE,     /* data: struct tern_fleet_keys; arg[0] 1: then write
			      * the XDP cookie keys */
};

#define TERN_WORKER_REQ_BUF (256u << 10)

struct tern_worker_req {
	int op;
	uint32_t arg[3];
	const void *data;    /* APP_OPTS, ROTATE: read only while served; the caller keeps
			      * it alive unless the request returned 0 */
	int result;          /* >= 0 bytes in the reply, or -errno */
	uint32_t truncated;  /* CONNS: connections left out for room */
};

/*
 * Run a request on the worker's thread and wait up to timeout_ms for it.
 * Any thread may call it at any time; requests to one worker take turns
 * (mailbox.h), and -EBUSY says others held it for the whole timeout. On
 * success the reply (CONNS) is copied into buf (cap bytes) and
 * req->result is set. Returns 0, -EBUSY, -ETIMEDOUT (the worker did not
 * get to it; it will not run it later unless it had begun), or -ESRCH
 * (the worker has ended).
 */
int tern_worker__request(struct tern_worker *w, struct tern_worker_req *req, char *buf,
			 size_t cap, int timeout_ms);

/*
 * Start the worker for queue (pinned to cpu unless cpu < 0) and wait until
 * it runs: its socket is bound and in the xsks map, its stack listens.
 * Returns 0, or -errno with *what naming the failed step.
 */
int tern_worker__start(struct tern_worker **wp, const struct tern_worker_conf *conf,
		       uint32_t queue, int cpu, const char **what);

/* Bound in zero-copy mode? If not, *zc_err (0 or an errno) says why. */
bool tern_worker__zerocopy(const struct tern_worker *w, int *zc_err);

/* Copy mode: the AF_XDP socket's send buffer in bytes (0 in zero-copy
 * mode or when it could not be read). */
uint32_t tern_worker__sndbuf(const struct tern_worker *w);

/* TCP checksums offloaded (TX metadata)? If not, *why is 0 (--tx-csum sw)
 * or an errno: EINVAL (the kernel takes no TX metadata: before 6.11),
 * EOPNOTSUPP (zero-copy, where auto keeps software sums). */
bool tern_worker__tx_csum(const struct tern_worker *w, int *why);

/* Runs of data segments sent as GSO frames (gso.h)? If not, *why is 0
 * (--tx-gso off, or auto in zero-copy mode) or the errno of the socket
 * auto could not open. */
bool tern_worker__tx_gso(const struct tern_worker *w, int *why);

/* Ask the worker to drain or abort (any thread; idempotent, only escalates). */
void tern_worker__stop(struct tern_worker *w, enum tern_worker_cmd cmd);

/* The NIC queue the worker serves. */
uint32_t tern_worker__queue(const struct tern_worker *w);

/*
 * The worker's snapshot sequence (any thread): it advances each time the
 * worker publishes. Wakes the worker too, so that one that sleeps with
 * nothing to do loops and publishes once more: a sequence that has not
 * moved by the next call means the worker is stuck.
 */
unsigned tern_worker__progress(struct tern_worker *w);

/* The worker's loop has ended (its socket is out of the map and closed). */
bool tern_worker__done(const struct tern_worker *w);

/* Latest published snapshot (any thread). */
void tern_worker__stats(const struct tern_worker *w, struct tern_worker_stats *st);

/* Join the thread: 0, or the -errno that ended the loop early. */
int tern_worker__join(struct tern_worker *w);
void tern_worker__destroy(struct tern_worker *w);

#endif
