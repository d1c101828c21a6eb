// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fixed-capacity record pools with a chained hash index. Records are found
 * by their 4-tuple; chains and the free list are 32-bit indices, so a pool
 * never allocates and its memory is given once at stack init.
 */
#include <string.h>

#include "siphash.h"
#include "stack.h"

static struct tern_node *node(const struct tern_pool *p, uint32_t i)
{
	return tern_pool__at(p, i);
}

static uint32_t index_of(const struct tern_pool *p, const void *rec)
{
	return (uint32_t)(((const uint8_t *)rec - p->base) / p->stride);
}

void tern_pool__init(struct tern_pool *p, const struct tern_sipkey *key, void *base,
		     uint32_t stride, uint32_t cap, uint32_t *bucket, uint32_t nbuckets)
{
	p->key = key;
	p->ff = NULL;
	p->base = base;
	p->stride = stride;
	p->cap = cap;
	p->bucket = bucket;
	p->mask = nbuckets - 1;
	p->used = 0;
	memset(base, 0, (size_t)stride * cap);
	for (uint32_t i = 0; i < nbuckets; i++)
		bucket[i] = TERN_NIL;
	/* Free list in index order so the first records are used first. */
	for (uint32_t i = 0; i < cap; i++)
		node(p, i)->hnext = i + 1 < cap ? i + 1 : TERN_NIL;
	p->free_head = cap ? 0 : TERN_NIL;
}

void *tern_pool__lookup(const struct tern_pool *p, uint32_t hash, const struct tern_tuple *t)
{
	if (!p->used)
		return NULL;
	for (uint32_t i = p->bucket[hash & p->mask]; i != TERN_NIL;) {
		struct tern_node *n = node(p, i);

		if (tern_tuple_same(&n->t, t))
			return n;
		i = n->hnext;
	}
	return NULL;
}

/* Take a free record, key it with t and link it; NULL when the pool is full.
 * The record after the node header is zeroed. */
void *tern_pool__alloc(struct tern_pool *p, uint32_t hash, const struct tern_tuple *t)
{
	uint32_t i = p->free_head, b = hash & p->mask;
	struct tern_node *n;

	if (i == TERN_NIL)
		return NULL;
	n = node(p, i);
	p->free_head = n->hnext;
	memset(n, 0, p->stride);
	n->t = *t;
	n->hnext = p->bucket[b];
	p->bucket[b] = i;
	p->used++;
	tern_flowf__add(p->ff, t);
	return n;
}

void tern_pool__free(struct tern_pool *p, void *rec)
{
	struct tern_node *n = rec;
	uint32_t i = index_of(p, rec);
	uint32_t *link = &p->bucket[tern_tuple_hash(p->key, &n->t) & p->mask];

	while (*link != i)
		link = &node(p, *link)->hnext;
	*link = n->hnext;
	tern_flowf__del(p->ff, &n->t);
	n->hnext = p->free_head;
	p->free_head = i;
	p->used--;
}
