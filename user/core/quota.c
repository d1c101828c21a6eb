// SPDX-License-Identifier: BSD-2-Clause
/*
 * Per-connection shares of the stack's send pools: one connection may hold
 * at most cfg.chunks_per_conn queued send chunks and cfg.copies_per_conn
 * blocks of the copy arena, so that it cannot starve every other
 * connection of the stack (Linux bounds each socket by its sndbuf below
 * the global tcp_mem). The counts live in a side table indexed like the
 * connection pool, outside the 248-byte connection record. A send refused
 * at the bound returns -EAGAIN with writable() to follow, counted in
 * OutSndQuotaFull; the connection's own ACKs free its share.
 */
#include "stack.h"

static struct tern_conn_use *use_of(struct tern_stack *s, const struct tern_conn *c)
{
	size_t i = (size_t)((const uint8_t *)c - s->conns.base) / s->conns.stride;

	return &s->use[i];
}

static int is_copy(const struct tern_stack *s, const uint8_t *p)
{
	return p >= s->copies.mem && p < s->copies.mem + (size_t)s->copies.cap * TERN_COPY_BLOCK;
}

int tern_conn_quota_full(struct tern_stack *s, const struct tern_conn *c, int copy)
{
	const struct tern_conn_use *u = use_of(s, c);

	if (u->chunks < s->chunk_quota && (!copy || u->copies < s->copy_quota))
		return 0;
	TERN_MIB_INC(s, OutSndQuotaFull);
	return 1;
}

void tern_conn_quota_take(struct tern_stack *s, const struct tern_conn *c, const uint8_t *p)
{
	struct tern_conn_use *u = use_of(s, c);

	u->chunks++;
	if (is_copy(s, p))
		u->copies++;
}

void tern_conn_quota_put(struct tern_stack *s, const struct tern_conn *c, const uint8_t *p)
{
	struct tern_conn_use *u = use_of(s, c);

	u->chunks--;
	if (is_copy(s, p))
		u->copies--;
}

/* A bound of 0 in the cfg: a quarter of the pool, at least one entry. */
static uint32_t derived(uint32_t quota, uint32_t pool)
{
	if (quota)
		return quota;
	return pool / 4 ? pool / 4 : 1;
}

void tern_quota__init(struct tern_stack *s)
{
	s->chunk_quota = derived(s->cfg.chunks_per_conn, s->cfg.max_chunks);
	s->copy_quota = s->cfg.copy_blocks ? derived(s->cfg.copies_per_conn, s->cfg.copy_blocks) : 0;
}
