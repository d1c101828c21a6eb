// SPDX-License-Identifier: BSD-2-Clause
/*
 * The XDP flow filter (include/tern/cookie.h, docs/xdp-syn.md): 8-bit
 * counters, one per slot, that XDP reads to tell a segment of a tuple this
 * stack holds from a flood segment. The stack counts every hashed record
 * (half-open, connection, TIME-WAIT) by plain stores into memory the
 * caller gives; the counters are read, never written, by XDP.
 */
#include <errno.h>
#include <string.h>

#include "stack.h"

static uint32_t slot(const struct tern_flowf *ff, const struct tern_tuple *t)
{
	uint32_t ports = (uint32_t)t->rport << 16 | t->lport;
	struct tern_cookie_in6 in6 = { .ports = ports };
	struct tern_cookie_in4 in4 = { .ports = ports };

	if (t->family == 6) {
		memcpy(in6.saddr, t->raddr.b, 16);
		memcpy(in6.daddr, t->laddr.b, 16);
		return tern_flow_hash6(ff->key, &in6) & ff->mask;
	}
	memcpy(in4.saddr, t->raddr.b + 12, 4);
	memcpy(in4.daddr, t->laddr.b + 12, 4);
	return tern_flow_hash4(ff->key, &in4) & ff->mask;
}

void tern_flowf__add(struct tern_flowf *ff, const struct tern_tuple *t)
{
	uint8_t *c;

	if (!ff || !ff->slots)
		return;
	c = &ff->slots[slot(ff, t)];
	if (*c == TERN_FLOW_SATURATED)
		return;
	if (++*c == TERN_FLOW_SATURATED)
		(*ff->saturated)++;
}

/* A saturated counter may stand for more records than it counts: it
 * stays, so that no record's tuple ever reads as absent. */
void tern_flowf__del(struct tern_flowf *ff, const struct tern_tuple *t)
{
	uint8_t *c;

	if (!ff || !ff->slots)
		return;
	c = &ff->slots[slot(ff, t)];
	if (*c && *c != TERN_FLOW_SATURATED)
		--*c;
}

int tern_stack__set_flow_filter(struct tern_stack *s, uint8_t *slots, uint32_t nslots)
{
	struct tern_flowf *ff = &s->flowf;

	if (slots && (!nslots || nslots > TERN_FLOW_SLOTS_MAX || (nslots & (nslots - 1))))
		return -EINVAL;
	ff->slots = slots;
	ff->mask = slots ? nslots - 1 : 0;
	ff->key = &s->sec.flow;
	ff->saturated = &s->mib[TERN_MIB_FlowFilterSaturated];
	s->reqs.ff = s->conns.ff = s->tws.ff = slots ? ff : NULL;
	return 0;
}
