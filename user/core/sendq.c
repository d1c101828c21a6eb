// SPDX-License-Identifier: BSD-2-Clause
/*
 * The send queue of a connection: application memory queued by reference
 * (zero copy) or copied into the stack's copy arena, in pooled chunks
 * bounded per connection (its send buffer, buf.c) and per stack (cfg.max_chunks,
 * cfg.copy_blocks). Bytes are addressed by sequence number, from SND.UNA
 * (sq_off bytes into the head chunk) on; acknowledged bytes leave from the
 * head. Reads go through a cursor (struct tern_sq_cursor), so sending a
 * window in order steps over each chunk once instead of walking the list
 * from the head for every segment (Linux keeps its retransmit queue in an
 * rb-tree for the same reason, tcp_rtx_queue).
 */
#include <errno.h>
#include <string.h>

#include "stack.h"
void tern_chunks__init(struct tern_chunk_pool *p, struct tern_chunk *mem, uint32_t cap)
{
	p->e = mem;
	p->cap = cap;
	p->used = 0;
	for (uint32_t i = 0; i < cap; i++)
		mem[i].next = i + 1 < cap ? i + 1 : TERN_NIL;
	p->free_head = cap ? 0 : TERN_NIL;
}

void tern_copies__init(struct tern_copy_pool *p, uint8_t *mem, uint32_t cap)
{
	p->mem = mem;
	p->cap = cap;
	p->used = 0;
	for (uint32_t i = 0; i < cap; i++) {
		uint32_t next = i + 1 < cap ? i + 1 : TERN_NIL;

		memcpy(mem + (size_t)i * TERN_COPY_BLOCK, &next, sizeof(next));
	}
	p->free_head = cap ? 0 : TERN_NIL;
}

static uint8_t *copy_get(struct tern_copy_pool *p)
{
	uint8_t *b;

	if (p->free_head == TERN_NIL)
		return NULL;
	b = p->mem + (size_t)p->free_head * TERN_COPY_BLOCK;
	memcpy(&p->free_head, b, sizeof(p->free_head));
	p->used++;
	return b;
}

/* Give back the block behind a chunk, if the chunk is a copy. */
static void copy_put(struct tern_copy_pool *p, const uint8_t *ptr)
{
	uint32_t i;

	if (ptr < p->mem || ptr >= p->mem + (size_t)p->cap * TERN_COPY_BLOCK)
		return;
	i = (uint32_t)((size_t)(ptr - p->mem) / TERN_COPY_BLOCK);
	memcpy(p->mem + (size_t)i * TERN_COPY_BLOCK, &p->free_head, sizeof(p->free_head));
	p->free_head = i;
	p->used--;
}

static void chunk_free(struct tern_stack *s, uint32_t i)
{
	struct tern_chunk_pool *p = &s->chunks;

	copy_put(&s->copies, p->e[i].p);
	p->e[i].next = p->free_head;
	p->free_head = i;
	p->used--;
	if (p->starved)
		p->wake = 1;
}

void tern_conn_sq_init(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);

	c->sq_head = c->sq_tail = TERN_NIL;
	c->sq_bytes = c->sq_off = 0;
	for (int k = 0; k < TERN_SQ_CURSORS; k++)
		x->sq_cur[k].chunk = TERN_NIL;
}

/* A chunk leaves the queue: no cursor may keep pointing at it. */
static void cursors_drop(struct tern_xmit *x, uint32_t i)
{
	for (int k = 0; k < TERN_SQ_CURSORS; k++)
		if (x->sq_cur[k].chunk == i)
			x->sq_cur[k].chunk = TERN_NIL;
}

/*
 * The queued bytes at sequence number seq (SND.UNA <= seq < SND.UNA +
 * sq_bytes): a pointer and how many follow contiguously in that chunk.
 * The walk starts at cursor cur when seq is not before it, else at the
 * head, and leaves the cursor at the chunk found.
 */
const uint8_t *tern_conn_sq_at(struct tern_stack *s, struct tern_conn *c, uint32_t seq, int cur,
				uint32_t *avail)
{
	struct tern_sq_cursor *k = &tern_conn_xmit(s, c)->sq_cur[cur];
	uint32_t i = c->sq_head, base = c->snd_una - c->sq_off;

	if (k->chunk != TERN_NIL && tern_seq_ge(seq, k->seq)) {
		i = k->chunk;
		base = k->seq;
	}
	while (seq - base >= s->chunks.e[i].len) {
		base += s->chunks.e[i].len;
		i = s->chunks.e[i].next;
		s->sq_steps++;
	}
	k->chunk = i;
	k->seq = base;
	*avail = s->chunks.e[i].len - (seq - base);
	return s->chunks.e[i].p + (seq - base);
}

/* Drop n acknowledged bytes from the head of the send queue. */
void tern_conn_sq_consume(struct tern_stack *s, struct tern_conn *c, uint32_t n)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);

	c->sq_bytes -= n;
	s->sq_total -= n;
	tern_mem_update(s);
	n += c->sq_off;
	while (c->sq_head != TERN_NIL && n >= s->chunks.e[c->sq_head].len) {
		uint32_t i = c->sq_head;

		n -= s->chunks.e[i].len;
		c->sq_head = s->chunks.e[i].next;
		cursors_drop(x, i);
		tern_conn_quota_put(s, c, s->chunks.e[i].p);
		chunk_free(s, i);
	}
	if (c->sq_head == TERN_NIL)
		c->sq_tail = TERN_NIL;
	c->sq_off = n;
}

/*
 * After chunks came back to a pool that had run dry, tell every connection
 * that was refused for it (rare: the scan is over all records, and only
 * after the stack-wide pool was exhausted). Runs at the end of a stack
 * entry point, outside any connection's processing.
 */
void tern_chunks__wake(struct tern_stack *s)
{
	if (!s->chunks.wake)
		return;
	s->chunks.wake = 0;
	s->chunks.starved = 0;
	for (uint32_t i = 0; i < s->conns.cap && s->chunks.free_head != TERN_NIL; i++) {
		struct tern_conn *c = tern_pool__at(&s->conns, i);

		if (!c->in_use || !(c->flags & TERN_CF_WANT_WRITE) ||
		    c->sq_bytes >= tern_conn_use(s, c)->snd_buf)
			continue;
		c->flags &= ~TERN_CF_WANT_WRITE;
		if (s->ops && s->ops->writable)
			s->ops->writable(s->app_ctx, c);
	}
}

void tern_conn_sq_purge(struct tern_stack *s, struct tern_conn *c)
{
	while (c->sq_head != TERN_NIL) {
		uint32_t i = c->sq_head;

		c->sq_head = s->chunks.e[i].next;
		tern_conn_quota_put(s, c, s->chunks.e[i].p);
		chunk_free(s, i);
	}
	s->sq_total -= c->sq_bytes;
	tern_conn_sq_init(s, c);
	tern_mem_update(s);
}

/* Queue application memory (zero copy). Returns bytes accepted (> 0) or a
 * negative errno: -EAGAIN when the send buffer or the chunk pool is full. */
int tern_conn_sq_append(struct tern_stack *s, struct tern_conn *c, const void *p, uint32_t len)
{
	uint32_t i = s->chunks.free_head;

	len = tern_conn_snd_room(s, c, len);
	if (!len || i == TERN_NIL) {
		c->flags |= TERN_CF_WANT_WRITE;
		if (len)
			s->chunks.starved = 1; /* the whole stack's pool is empty */
		TERN_MIB_INC(s, OutSndBufFull);
		return -EAGAIN;
	}
	if (tern_conn_quota_full(s, c, 0)) {
		c->flags |= TERN_CF_WANT_WRITE;
		return -EAGAIN;
	}
	s->chunks.free_head = s->chunks.e[i].next;
	s->chunks.used++;
	s->chunks.e[i] = (struct tern_chunk){ .p = p, .len = len, .next = TERN_NIL };
	if (c->sq_tail == TERN_NIL)
		c->sq_head = i;
	else
		s->chunks.e[c->sq_tail].next = i;
	c->sq_tail = i;
	c->sq_bytes += len;
	s->sq_total += len;
	tern_conn_quota_take(s, c, p);
	tern_mem_update(s);
	return (int)len;
}

/*
 * The copying send: up to len bytes are copied into 2 KiB blocks of the
 * stack's copy arena and queued; the application may reuse p at once.
 * Returns bytes taken (> 0) or -EAGAIN (send buffer, chunk or copy pool
 * full; writable() follows).
 */
int tern_conn_send_copy(struct tern_stack *s, struct tern_conn *c, const void *p, uint32_t len)
{
	const uint8_t *src = p;
	uint32_t done = 0;

	while (done < len) {
		uint32_t n = len - done;
		uint8_t *b;

		if (n > TERN_COPY_BLOCK)
			n = TERN_COPY_BLOCK;
		n = tern_conn_snd_room(s, c, n);
		if (!n || s->chunks.free_head == TERN_NIL || tern_conn_quota_full(s, c, 1) ||
		    !(b = copy_get(&s->copies))) {
			if (!done) {
				c->flags |= TERN_CF_WANT_WRITE;
				s->chunks.starved = 1;
				TERN_MIB_INC(s, OutSndBufFull);
				return -EAGAIN;
			}
			break;
		}
		memcpy(b, src + done, n);
		tern_conn_sq_append(s, c, b, n); /* room and a chunk were checked */
		done += n;
	}
	return (int)done;
}
