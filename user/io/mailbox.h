/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A one-slot request mailbox: control threads post a request, one
 * serving thread (a worker) runs it and writes the result and a reply
 * into the mailbox's own buffer, which the poster copies out. The server
 * side never blocks and takes no lock: tern_mailbox__serve is one load
 * when nothing is posted.
 */
#ifndef TERN_IO_MAILBOX_H
#define TERN_IO_MAILBOX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "worker.h"

/* The server: how it wakes up and whether it has ended. */
struct tern_mailbox_peer {
	int (*wake)(void *arg);  /* 0 or -errno */
	bool (*gone)(void *arg); /* the server will never serve again */
	void *arg;
};

/* Runs req on the server's thread: its result (>= 0 reply bytes written
 * into buf, at most cap, or -errno). */
typedef int tern_mailbox_fn(void *arg, struct tern_worker_req *req, char *buf, size_t cap);

struct tern_mailbox {
	atomic_int state;        /* enum in mailbox.c */
	struct tern_worker_req req;
	char *buf;               /* the reply, written by the server only */
	size_t cap;
};

int tern_mailbox__init(struct tern_mailbox *mb, size_t cap);
void tern_mailbox__fini(struct tern_mailbox *mb);

/*
 * Claim the mailbox, post req, wake the server and wait for the result,
 * all within timeout_ms. Any number of threads may post at once: they
 * take turns. On success the reply is copied into buf (cap bytes,
 * req->result says how many) and req is the request as served. Returns
 * 0, -EBUSY (other requests held the mailbox all along), -ETIMEDOUT (the
 * server did not get to it), -ESRCH (the server has ended) or the
 * wake-up's -errno.
 */
int tern_mailbox__post(struct tern_mailbox *mb, const struct tern_mailbox_peer *peer,
		       struct tern_worker_req *req, char *buf, size_t cap, int timeout_ms);

/* On the server's thread: run a posted request with fn, if there is one. */
void tern_mailbox__serve(struct tern_mailbox *mb, tern_mailbox_fn *fn, void *arg);

#endif
