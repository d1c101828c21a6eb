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

/*
 * A note queue: a bounded queue of small fixed-size notes that any thread
 * may drop in without waiting (a full queue refuses the note, -ENOBUFS)
 * and that one serving thread takes out in its pass. Lock-free: a slot's
 * sequence number says whose turn it is (the bounded MPMC queue of Dmitry
 * Vyukov, with one consumer). The first note after the server last looked
 * wakes it; later ones until it looks again do not.
 */
#define TERN_NOTE_MAX 64u         /* bytes in one note */

struct tern_note_slot {
	atomic_uint seq;
	_Alignas(8) unsigned char note[TERN_NOTE_MAX];
};

struct tern_noteq {
	atomic_uint tail;            /* posters: the next slot to claim */
	atomic_bool awake;           /* a wake-up is owed or the server is looking */
	unsigned head;               /* the server's next slot */
	unsigned mask;               /* slots - 1 */
	struct tern_note_slot *slot;
};

/* slots: a power of two, 2 .. 65536. 0, -EINVAL or -ENOMEM. */
int tern_noteq__init(struct tern_noteq *q, unsigned slots);
void tern_noteq__fini(struct tern_noteq *q);

/* Any thread: copy len bytes (at most TERN_NOTE_MAX) into the queue and
 * wake the server if it is owed a wake-up. 0, -ENOBUFS (full: the note is
 * dropped), -EINVAL, or the wake-up's -errno (the note is in). */
int tern_noteq__post(struct tern_noteq *q, const struct tern_mailbox_peer *peer,
		     const void *note, size_t len);

/* On the server's thread: the next note's first len bytes (at most
 * TERN_NOTE_MAX) into note, true, or false when the queue is empty. */
bool tern_noteq__take(struct tern_noteq *q, void *note, size_t len);

/* On the server's thread, before it takes notes: from here on the next
 * note posted wakes it again. */
void tern_noteq__rearm(struct tern_noteq *q);

#endif
