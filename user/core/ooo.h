/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Out-of-order receive queue. Segments that arrive beyond RCV.NXT are held
 * by reference: the entry keeps the frame handle and a pointer to the
 * payload inside that frame (no copy); the frame is released through a
 * callback once its bytes have been delivered or found redundant. Entries
 * come from one bounded pool per stack, and each connection's queue is
 * bounded too. Entries are kept sorted by sequence number and may overlap;
 * delivery trims against RCV.NXT. Also produces RFC 2018 SACK blocks.
 */
#ifndef TERN_CORE_OOO_H
#define TERN_CORE_OOO_H

#include "seg.h"

struct tern_ooo {
	uint64_t frame;   /* handle of the frame holding the bytes */
	const uint8_t *p; /* payload inside that frame */
	uint32_t seq;
	uint32_t len;
	uint32_t next;    /* pool index, TERN_OOO_NIL ends */
	uint32_t stamp;   /* queue-local arrival order, for SACK recency */
};

#define TERN_OOO_NIL UINT32_MAX
/* frame of a FIN marker: an entry with len 0 that holds no frame */
#define TERN_OOO_NO_FRAME UINT64_MAX

struct tern_ooo_pool {
	struct tern_ooo *e;
	uint32_t cap;
	uint32_t used;
	uint32_t free_head;
};

/* A connection's queue: embedded in the connection record. */
struct tern_ooo_q {
	uint32_t head;   /* lowest seq first; TERN_OOO_NIL when empty */
	uint32_t stamp;  /* next arrival stamp */
	uint16_t n;      /* entries queued */
	uint16_t pad;
};

typedef void (*tern_ooo_deliver_fn)(void *ctx, const uint8_t *p, uint32_t len);
typedef void (*tern_ooo_release_fn)(void *ctx, uint64_t frame);

enum tern_ooo_result {
	TERN_OOO_FULL = -1,  /* pool or per-queue bound reached: not kept */
	TERN_OOO_DUP = 0,    /* every byte already queued: not kept */
	TERN_OOO_QUEUED = 1, /* kept: the frame now belongs to the queue */
};

void tern_ooo_pool__init(struct tern_ooo_pool *pool, struct tern_ooo *mem, uint32_t cap);
void tern_ooo_q__init(struct tern_ooo_q *q);

/*
 * Queue [seq, seq+len) held in `frame`. Precondition: seq is after
 * rcv_nxt (the caller delivers in-order data itself). max_n bounds this
 * queue. Returns an enum tern_ooo_result.
 */
int tern_ooo__insert(struct tern_ooo_pool *pool, struct tern_ooo_q *q, uint16_t max_n,
		     uint32_t seq, const uint8_t *p, uint32_t len, uint64_t frame);

/*
 * Remember the peer's FIN at sequence `seq` (Linux keeps the FIN flag on
 * the out-of-order skb): a marker entry with len 0 and no frame, sorted
 * with the data. Takes a queue slot like a segment. Returns an enum
 * tern_ooo_result (DUP when a FIN is already queued).
 */
int tern_ooo__insert_fin(struct tern_ooo_pool *pool, struct tern_ooo_q *q, uint16_t max_n,
			 uint32_t seq);

/*
 * Deliver every queued byte that is now in order: while the lowest entry
 * starts at or before *rcv_nxt, hand the part beyond *rcv_nxt (if any) to
 * deliver, advance *rcv_nxt, release the entry's frame and free it. When
 * a FIN marker at exactly *rcv_nxt is reached, *fin is set and draining
 * stops there (the FIN is not counted in *rcv_nxt). Returns the number of
 * bytes delivered.
 */
uint32_t tern_ooo__drain(struct tern_ooo_pool *pool, struct tern_ooo_q *q, uint32_t *rcv_nxt,
			 int *fin, tern_ooo_deliver_fn deliver, tern_ooo_release_fn release,
			 void *ctx);

/*
 * SACK blocks for an ACK (RFC 2018 section 4): queued ranges merged where
 * they touch or overlap, the block holding the most recently queued
 * segment first, then the others by how recently they last grew. At most
 * max blocks. Returns the number written.
 */
int tern_ooo__sack(const struct tern_ooo_pool *pool, const struct tern_ooo_q *q,
		   struct tern_sack_blk *out, int max);

/*
 * tcp_prune_ofo_queue(): make room for a segment starting at seq by
 * dropping the queue's highest entry (its frame released), unless seq
 * lies beyond that entry's start: data closer to RCV.NXT is worth more.
 * Returns 1 when an entry was dropped.
 */
int tern_ooo__prune(struct tern_ooo_pool *pool, struct tern_ooo_q *q, uint32_t seq,
		    tern_ooo_release_fn release, void *ctx);

/* Release and free every entry (connection teardown). */
void tern_ooo__purge(struct tern_ooo_pool *pool, struct tern_ooo_q *q,
		     tern_ooo_release_fn release, void *ctx);

#endif
