/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside a worker: the state its thread owns (everything below `thread
 * only`) and the functions of its three parts: worker.c (life cycle,
 * set-up, application glue, stats), path.c (the packet path) and loop.c
 * (the io_uring loop and the drain on stop).
 */
#ifndef TERN_IO_WORKER_PRIV_H
#define TERN_IO_WORKER_PRIV_H

#include <linux/time_types.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>

#include "tern/app.h"
#include "ring.h"
#include "capture.h"
#include "gso.h"
#include "mailbox.h"
#include "worker.h"

#define TERN_RX_BATCH 64u          /* RX descriptors per peek */
#define TERN_RX_PREFETCH 2u        /* frames whose headers are fetched ahead */
#define TERN_OUT_CAP 4096u         /* segments one stack call may produce */
#define TERN_NO_FRAME UINT64_MAX
#define TERN_PUBLISH_NS (50 * TERN_NSEC_PER_MSEC)
#define TERN_KST_NS (100 * TERN_NSEC_PER_MSEC) /* XDP_STATISTICS read at most this often */
#define TERN_FINISH_NS (200 * TERN_NSEC_PER_MSEC) /* wait for the last TX */
#define TERN_TX_RETRY_NS 50000ull  /* sleep while copy-mode TX is backed up */
/* While kicks fail with ENETDOWN/ENXIO the next kick waits twice as long
 * as the last, from TERN_TX_RETRY_NS up to this; a kick that works resets it. */
#define TERN_KICK_BACKOFF_MAX_NS (100 * TERN_NSEC_PER_MSEC)

#define TERN_GSO_QUEUE 256u /* segments held for GSO frames until the flush */

/* Segments built into UMEM frames, held for GSO frames (path.c). */
struct tern_gso_q {
	struct tern_tx tx[TERN_GSO_QUEUE]; /* payload: where it is in the frame */
	uint64_t addr[TERN_GSO_QUEUE];     /* the frame as built */
	uint32_t len[TERN_GSO_QUEUE];
	bool bare[TERN_GSO_QUEUE];         /* the payload only: no headers yet */
	uint32_t n;
};

struct tern_worker {
	const struct tern_worker_conf *conf;
	uint32_t queue;
	int cpu;
	pthread_t thread;

	/* start-up hand-shake */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int ready;                 /* 0 starting, 1 running, < 0 failed */
	const char *what;

	/* other threads -> worker */
	atomic_int cmd;            /* enum tern_worker_cmd, only grows */
	int efd;                   /* eventfd: a command is waiting */
	struct tern_mailbox mb;    /* requests (worker_req.c), reply buffer TERN_WORKER_REQ_BUF */
	struct tern_noteq icmpq;   /* ICMP errors from other workers (handoff.c) */
	struct tern_listen_opts lopts; /* listener options, changeable */
	struct tern_cap_ring *_Atomic cap; /* capture ring, NULL when off (capture.h) */
	atomic_int cap_busy;       /* the worker is inside tern_capture__frame */

	/* worker -> other threads */
	atomic_bool done;
	int err;                   /* why the loop ended early (-errno) */
	atomic_uint seq;           /* seqlock over pub */
	struct tern_worker_stats pub;

	/* --- thread only --- */
	struct tern_xsk x;
	struct tern_gso gso;       /* segmentation offload (gso.h); fd -1: off */
	struct tern_gso_q gsoq;
	struct tern_frames f;
	void *stack_mem;
	size_t stack_len;
	struct tern_stack *stack;
	struct tern_out out;
	uint64_t now;
	uint32_t max_frame;        /* Ethernet header + cfg->mtu */
	void *app_ctx;
	struct tern_app_frames app_frames; /* the application's UMEM buffers (path.c) */
	int cmd_seen;

	struct io_uring ring;
	struct tern_ring app_ring; /* the application's view of ring (ring.h) */
	uint32_t app_cqes;         /* application completions in this reap */
	bool ring_ok;
	bool submit_logged;        /* a failed submit was logged (once) */
	unsigned ring_setup;       /* the IORING_SETUP_ flags the ring runs with */
	bool in_map;               /* our socket is in the xsks map */
	bool poll_armed, ev_armed, timeout_armed;
	uint64_t timeout_at;
	uint64_t evbuf;
	struct __kernel_timespec ts_timeout, ts_update;

	uint32_t tx_reserved;      /* TX descriptors written, not yet submitted */
	uint32_t tx_left;          /* copy mode: TX descriptors the kernel has not taken */
	uint64_t kick_wait;        /* link down: the current backoff (0: none) */
	uint64_t kick_at;          /* link down: no kick before this */
	bool draining, finishing, finished;
	uint64_t drain_end, finish_end, last_publish;
	uint64_t kst_at;           /* last XDP_STATISTICS read */

	struct tern_worker_stats c; /* counters kept here, copied to pub */
	struct tern_xdpc_q xq;      /* the queue's XDP cookie flag (xdpcookie.h) */
};

/* worker_req.c */
void tern_worker__serve(struct tern_worker *w);
int tern_worker__req_init(struct tern_worker *w);
void tern_worker__req_fini(struct tern_worker *w);

/* The mailbox peer of w: wakes it through its eventfd. */
void tern_worker__peer(struct tern_worker *w, struct tern_mailbox_peer *peer);

/* handoff.c */
int tern_handoff__init(struct tern_worker *w);
void tern_handoff__fini(struct tern_worker *w);
bool tern_handoff__on(const struct tern_worker *w);
/* A frame the stack called TERN_RX_ICMP_ELSEWHERE: to the other workers. */
void tern_handoff__icmp_out(struct tern_worker *w, const uint8_t *frame, uint32_t len);
/* Once per pass: the errors other workers handed this one. */
void tern_handoff__icmp_in(struct tern_worker *w);

/* path.c */
uint32_t tern_path__rx(struct tern_worker *w);
void tern_path__timers(struct tern_worker *w);
void tern_path__emit(struct tern_worker *w, uint64_t reuse);
void tern_path__flush(struct tern_worker *w);
void tern_path__release(void *ctx, uint64_t handle);
/* The application's UMEM buffers (struct tern_app_frames). */
void tern_path__app_frames(struct tern_worker *w);

/* loop.c */
int tern_loop__init(struct tern_worker *w);
void tern_loop__run(struct tern_worker *w);
void tern_loop__fini(struct tern_worker *w);

/* The capture hook: one relaxed load and a branch predicted not taken
 * while no capture runs. */
static inline void tern_path__capture(struct tern_worker *w, const uint8_t *p, uint32_t len)
{
	if (__builtin_expect(atomic_load_explicit(&w->cap, memory_order_relaxed) != NULL, 0))
		tern_capture__frame(w, p, len);
}

/* worker.c */
void tern_worker__publish(struct tern_worker *w);
uint64_t tern_worker__clock(void);

#endif
