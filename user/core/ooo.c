// SPDX-License-Identifier: BSD-2-Clause
/*
 * Out-of-order receive queue: a sorted singly-linked list of references to
 * received frames, entries taken from a bounded per-stack pool. Queues are
 * short (bounded by the per-connection limit), so every operation is a
 * plain O(n) walk. Sequence numbers compare modulo 2^32 (RFC 793 3.3); the
 * receive window keeps a queue's span far below 2^31.
 */
#include "ooo.h"

static struct tern_ooo *at(const struct tern_ooo_pool *pool, uint32_t i)
{
	return &pool->e[i];
}

static uint32_t end_of(const struct tern_ooo *e)
{
	return e->seq + e->len;
}

/* A FIN marker: no bytes, no frame (tern_ooo__insert_fin). */
static bool is_fin(const struct tern_ooo *e)
{
	return e->frame == TERN_OOO_NO_FRAME && !e->len;
}

/* The sequence space an entry covers, a FIN taking one number (as the
 * end_seq of Linux's skb, which its SACK blocks report). */
static uint32_t sack_end(const struct tern_ooo *e)
{
	return end_of(e) + is_fin(e);
}

static void entry_release(const struct tern_ooo *e, tern_ooo_release_fn release, void *ctx)
{
	if (!is_fin(e))
		release(ctx, e->frame);
}

/* Arrival stamps grow by one per insert: compare them modulo 2^32 too. */
static bool stamp_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

void tern_ooo_pool__init(struct tern_ooo_pool *pool, struct tern_ooo *mem, uint32_t cap)
{
	pool->e = mem;
	pool->cap = cap;
	pool->used = 0;
	for (uint32_t i = 0; i < cap; i++) {
		mem[i] = (struct tern_ooo){ 0 };
		mem[i].next = i + 1 < cap ? i + 1 : TERN_OOO_NIL;
	}
	pool->free_head = cap ? 0 : TERN_OOO_NIL;
}

void tern_ooo_q__init(struct tern_ooo_q *q)
{
	q->head = TERN_OOO_NIL;
	q->stamp = 0;
	q->n = 0;
	q->pad = 0;
}

static uint32_t entry_alloc(struct tern_ooo_pool *pool)
{
	uint32_t i = pool->free_head;

	if (i != TERN_OOO_NIL) {
		pool->free_head = at(pool, i)->next;
		pool->used++;
	}
	return i;
}

static void entry_free(struct tern_ooo_pool *pool, uint32_t i)
{
	at(pool, i)->next = pool->free_head;
	pool->free_head = i;
	pool->used--;
}

/*
 * Are all of [seq, end) covered by the union of queued entries? Entries
 * are sorted by start, so one walk extends the covered prefix until a gap.
 */
static bool covered(const struct tern_ooo_pool *pool, const struct tern_ooo_q *q,
		    uint32_t seq, uint32_t end)
{
	uint32_t cur = seq;

	for (uint32_t i = q->head; i != TERN_OOO_NIL && tern_seq_lt(cur, end);) {
		const struct tern_ooo *e = at(pool, i);

		if (tern_seq_gt(e->seq, cur))
			break;
		if (tern_seq_gt(end_of(e), cur))
			cur = end_of(e);
		i = e->next;
	}
	return tern_seq_ge(cur, end);
}

/* Link entry i after every entry starting at or before it (FIFO on ties). */
static void link_sorted(struct tern_ooo_pool *pool, struct tern_ooo_q *q, uint32_t i)
{
	uint32_t seq = at(pool, i)->seq;
	uint32_t *link = &q->head;

	while (*link != TERN_OOO_NIL && tern_seq_le(at(pool, *link)->seq, seq))
		link = &at(pool, *link)->next;
	at(pool, i)->next = *link;
	*link = i;
	q->n++;
}

/* A new entry in seq order, within the queue's bound and the pool's. */
static int add_entry(struct tern_ooo_pool *pool, struct tern_ooo_q *q, uint16_t max_n,
		     uint32_t seq, const uint8_t *p, uint32_t len, uint64_t frame)
{
	struct tern_ooo *e;
	uint32_t i;

	if (q->n >= max_n)
		return TERN_OOO_FULL;
	i = entry_alloc(pool);
	if (i == TERN_OOO_NIL)
		return TERN_OOO_FULL;
	e = at(pool, i);
	e->frame = frame;
	e->p = p;
	e->seq = seq;
	e->len = len;
	e->stamp = q->stamp++;
	link_sorted(pool, q, i);
	return TERN_OOO_QUEUED;
}

int tern_ooo__insert(struct tern_ooo_pool *pool, struct tern_ooo_q *q, uint16_t max_n,
		     uint32_t seq, const uint8_t *p, uint32_t len, uint64_t frame)
{
	/* An empty segment adds no byte: nothing to keep. */
	if (covered(pool, q, seq, seq + len))
		return TERN_OOO_DUP;
	return add_entry(pool, q, max_n, seq, p, len, frame);
}

static bool fin_queued(const struct tern_ooo_pool *pool, const struct tern_ooo_q *q)
{
	for (uint32_t i = q->head; i != TERN_OOO_NIL; i = at(pool, i)->next)
		if (is_fin(at(pool, i)))
			return true;
	return false;
}

int tern_ooo__insert_fin(struct tern_ooo_pool *pool, struct tern_ooo_q *q, uint16_t max_n,
			 uint32_t seq)
{
	if (fin_queued(pool, q))
		return TERN_OOO_DUP;
	return add_entry(pool, q, max_n, seq, NULL, 0, TERN_OOO_NO_FRAME);
}

static void unlink_head(struct tern_ooo_pool *pool, struct tern_ooo_q *q)
{
	q->head = at(pool, q->head)->next;
	q->n--;
}

/*
 * The entry is unlinked before its bytes go out: deliver may tear the
 * connection down and purge this queue, which must then neither see the
 * entry again nor leave the loop walking freed entries.
 */
uint32_t tern_ooo__drain(struct tern_ooo_pool *pool, struct tern_ooo_q *q, uint32_t *rcv_nxt,
			 int *fin, tern_ooo_deliver_fn deliver, tern_ooo_release_fn release,
			 void *ctx)
{
	uint32_t total = 0;

	while (q->head != TERN_OOO_NIL) {
		uint32_t i = q->head;
		const struct tern_ooo *e = at(pool, i);
		uint32_t from = *rcv_nxt, end = end_of(e);

		if (tern_seq_gt(e->seq, from))
			break;
		unlink_head(pool, q);
		if (is_fin(e)) {
			/* A FIN below RCV.NXT was overtaken by data: ignore it. */
			*fin = e->seq == from;
			entry_free(pool, i);
			if (*fin)
				break;
			continue;
		}
		/* Bytes below rcv_nxt were delivered already: trim them. */
		if (tern_seq_gt(end, from)) {
			*rcv_nxt = end;
			total += end - from;
			deliver(ctx, e->p + (from - e->seq), end - from);
		}
		release(ctx, e->frame);
		entry_free(pool, i);
	}
	return total;
}

/*
 * One SACK block: entries from i on merged while they touch or overlap.
 * Fills *b and *stamp (the newest arrival in the block); returns the first
 * entry of the next block.
 */
static uint32_t block_at(const struct tern_ooo_pool *pool, uint32_t i,
			 struct tern_sack_blk *b, uint32_t *stamp)
{
	const struct tern_ooo *e = at(pool, i);

	b->start = e->seq;
	b->end = sack_end(e);
	*stamp = e->stamp;
	for (i = e->next; i != TERN_OOO_NIL; i = e->next) {
		e = at(pool, i);
		if (tern_seq_gt(e->seq, b->end))
			break;
		if (tern_seq_gt(sack_end(e), b->end))
			b->end = sack_end(e);
		if (stamp_after(e->stamp, *stamp))
			*stamp = e->stamp;
	}
	return i;
}

/*
 * The block whose newest arrival is the newest one older than `below`
 * (any block if !bounded). Returns false when there is none.
 */
static bool newest_block(const struct tern_ooo_pool *pool, const struct tern_ooo_q *q,
			 bool bounded, uint32_t below, struct tern_sack_blk *out,
			 uint32_t *out_stamp)
{
	bool found = false;

	for (uint32_t i = q->head; i != TERN_OOO_NIL;) {
		struct tern_sack_blk b;
		uint32_t s;

		i = block_at(pool, i, &b, &s);
		if (bounded && !stamp_after(below, s))
			continue;
		if (!found || stamp_after(s, *out_stamp)) {
			*out = b;
			*out_stamp = s;
			found = true;
		}
	}
	return found;
}

/*
 * Stamps are unique per entry, so blocks are totally ordered by their
 * newest arrival: pick them newest first, one walk per block written.
 */
int tern_ooo__sack(const struct tern_ooo_pool *pool, const struct tern_ooo_q *q,
		   struct tern_sack_blk *out, int max)
{
	uint32_t stamp = 0;
	int n;

	for (n = 0; n < max; n++)
		if (!newest_block(pool, q, n > 0, stamp, &out[n], &stamp))
			break;
	return n;
}

int tern_ooo__prune(struct tern_ooo_pool *pool, struct tern_ooo_q *q, uint32_t seq,
		    tern_ooo_release_fn release, void *ctx)
{
	uint32_t *link = &q->head, i;

	if (*link == TERN_OOO_NIL)
		return 0;
	while (at(pool, *link)->next != TERN_OOO_NIL)
		link = &at(pool, *link)->next;
	i = *link;
	if (tern_seq_gt(seq, at(pool, i)->seq))
		return 0; /* the arriving segment would land last: keep the queue */
	*link = TERN_OOO_NIL;
	q->n--;
	entry_release(at(pool, i), release, ctx);
	entry_free(pool, i);
	return 1;
}

void tern_ooo__purge(struct tern_ooo_pool *pool, struct tern_ooo_q *q,
		     tern_ooo_release_fn release, void *ctx)
{
	while (q->head != TERN_OOO_NIL) {
		uint32_t i = q->head;

		unlink_head(pool, q);
		entry_release(at(pool, i), release, ctx);
		entry_free(pool, i);
	}
}
