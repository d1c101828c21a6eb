// SPDX-License-Identifier: BSD-2-Clause
/*
 * TIME-WAIT (Linux inet_timewait_sock / tcp_timewait_state_process()).
 *
 * Records are 64 bytes in their own pool (s->tws) with the pool's hashed
 * 4-tuple index, plus one expiry FIFO (s->tw_head .. s->tw_tail, singly
 * linked through fifo_next). Every record lives cfg.time_wait_ms, so the
 * FIFO is in expiry order without a timer per record.
 *
 * Restarts. A segment that restarts the timer only moves expire_ms later
 * and sets TW_RESTARTED (not needed on the tail: nothing in the FIFO can
 * expire later than now + time_wait_ms). When a restarted record reaches
 * the head and is not yet due, expiry moves it to the tail. A record is
 * never freed before its expire_ms; it may be freed late, by at most one
 * lifetime: it is requeued at time m with expire_ms = r + L (r = restart
 * time <= m, L = time_wait_ms), and every record ahead of it expires by
 * m + L, so it goes by m + L, i.e. (m - r) late. It reached the head at
 * m <= p + L (p: when it was last appended, p <= r), so m - r < L.
 * Records entered fresh are never late (their expire_ms is the largest in
 * the FIFO). A restarted head is reported by next_deadline as due now, so
 * one poll requeues it and the head's deadline is exact again.
 *
 * Early kills (in-window RST, a SYN that reuses the tuple) must take the
 * record out of the hash at once and free its memory in O(1), but the FIFO
 * is singly linked and the record fits no back link. Instead of unlinking
 * the record we unlink its *successor*: the successor is copied into the
 * killed record's slot (taking over that slot's FIFO position and, in its
 * hash chain, the successor's old index), and the successor's slot goes
 * back to the free list. The FIFO order is unchanged, and the slot that is
 * freed is no longer linked from anywhere. Cost: two chain walks.
 *
 * The tail has no successor. A killed tail becomes a *dead* record
 * (TW_DEAD): out of the hash index at once, still allocated and still the
 * FIFO tail. The next tern_tw__enter() reuses that slot in place (a new
 * record belongs at the tail anyway), a requeue moves the requeued record
 * into it, a kill of its predecessor moves it forward (it stays the tail),
 * and expiry frees it when it reaches the head. So at most one dead
 * record exists, it is always the tail and never the head of a FIFO of
 * two or more, and the table loses at most one slot to it.
 *
 * Nothing on the pool's free list is ever linked in the FIFO, and every
 * operation is O(1) (expiry amortized: each step frees a record or clears
 * one restart).
 *
 * The pool's hash-unlink, hash-link and release halves are done here on
 * the pool's arrays (pool.c only has alloc and free, which do both).
 */
#include <string.h>

#include "stack.h"
#include "tw.h"

_Static_assert(sizeof(struct tern_tw) <= 64, "a TIME-WAIT record must fit in 64 bytes");

/* n.t.pad[0] bits private to this file (TERN_TW_TS is in tw.h) */
#define TW_RESTARTED 0x40 /* expire_ms moved after the record was queued */
#define TW_DEAD 0x80      /* killed as the FIFO tail: unhashed, still queued */

/* tcp_invalid_ratelimit: one out-of-window ACK per 500 ms */
#define TW_OOW_SLOT_MS 500


static uint8_t tw_flags(const struct tern_tw *tw)
{
	return tw->n.t.pad[0];
}

static struct tern_tw *tw_at(const struct tern_stack *s, uint32_t i)
{
	return tern_pool__at(&s->tws, i);
}

static uint32_t tw_index(const struct tern_pool *p, const struct tern_tw *tw)
{
	return (uint32_t)(((const uint8_t *)tw - p->base) / p->stride);
}

/* The chain link that points at the hashed record tw. */
static uint32_t *hash_link(struct tern_pool *p, const struct tern_tw *tw)
{
	uint32_t i = tw_index(p, tw);
	uint32_t *link = &p->bucket[tern_tuple_hash(p->key, &tw->n.t) & p->mask];

	while (*link != i)
		link = &((struct tern_node *)tern_pool__at(p, *link))->hnext;
	return link;
}

/* First half of tern_pool__free(): out of the hash index only. */
static void unhash(struct tern_pool *p, struct tern_tw *tw)
{
	*hash_link(p, tw) = tw->n.hnext;
	tw->n.hnext = TERN_NIL;
	tern_flowf__del(p->ff, &tw->n.t);
}

/* Second half of tern_pool__free(): an unhashed record back to the free list. */
static void release(struct tern_pool *p, struct tern_tw *tw)
{
	tw->n.hnext = p->free_head;
	p->free_head = tw_index(p, tw);
	p->used--;
}

/* Copy record src into the unhashed slot dst; if src is hashed, dst takes
 * its place in its hash chain. src is then neither hashed nor referenced by
 * the hash (the caller releases it or forgets it). fifo_next is copied too. */
static void move(struct tern_pool *p, struct tern_tw *dst, const struct tern_tw *src)
{
	if (!(tw_flags(src) & TW_DEAD))
		*hash_link(p, src) = tw_index(p, dst);
	*dst = *src;
}

static struct tern_tw *fifo_pop(struct tern_stack *s)
{
	struct tern_tw *h = tw_at(s, s->tw_head);

	s->tw_head = h->fifo_next;
	if (s->tw_head == TERN_NIL)
		s->tw_tail = TERN_NIL;
	h->fifo_next = TERN_NIL;
	return h;
}

static void fifo_append(struct tern_stack *s, struct tern_tw *tw)
{
	uint32_t i = tw_index(&s->tws, tw);

	tw->fifo_next = TERN_NIL;
	if (s->tw_tail == TERN_NIL)
		s->tw_head = i;
	else
		tw_at(s, s->tw_tail)->fifo_next = i;
	s->tw_tail = i;
}

/* The dead tail, if there is one. */
static struct tern_tw *dead_tail(const struct tern_stack *s)
{
	struct tern_tw *t;

	if (s->tw_tail == TERN_NIL)
		return NULL;
	t = tw_at(s, s->tw_tail);
	return tw_flags(t) & TW_DEAD ? t : NULL;
}

/* Put a live record that is in no FIFO position back at the tail. */
static void requeue(struct tern_stack *s, struct tern_tw *tw)
{
	struct tern_tw *t = dead_tail(s);

	if (!t)
		return fifo_append(s, tw);
	move(&s->tws, t, tw); /* fifo_next is TERN_NIL: t stays the tail */
	release(&s->tws, tw);
}

/* Free a hashed record now (see the top of the file). The slot tw may hold
 * another record afterwards: callers must not use tw again. */
static void kill(struct tern_stack *s, struct tern_tw *tw)
{
	struct tern_pool *p = &s->tws;
	uint32_t i = tw_index(p, tw), j = tw->fifo_next;

	unhash(p, tw);
	if (j != TERN_NIL) {
		struct tern_tw *succ = tw_at(s, j);

		move(p, tw, succ);
		if (s->tw_tail == j)
			s->tw_tail = i;
		release(p, succ);
	} else {
		tw->n.t.pad[0] = TW_DEAD;
	}
	/* A dead record that is also the head is the only one: free it. */
	if ((tw_flags(tw) & TW_DEAD) && s->tw_head == i) {
		s->tw_head = s->tw_tail = TERN_NIL;
		release(p, tw);
	}
}

static void restart(struct tern_stack *s, struct tern_tw *tw, uint64_t now)
{
	tw->expire_ms = tern_ms(now) + s->cfg.time_wait_ms;
	if (tw_index(&s->tws, tw) != s->tw_tail)
		tw->n.t.pad[0] |= TW_RESTARTED;
}

struct tern_tw *tern_tw__enter(struct tern_stack *s, const struct tern_conn *c, uint64_t now)
{
	uint32_t hash = tern_tuple_hash(&s->sec.table, &c->n.t);
	struct tern_tw *tw = dead_tail(s);

	if (tw) {
		/* Reuse the dead tail in place: it is where a new record goes. */
		memset(tw, 0, sizeof(*tw));
		tw->n.t = c->n.t;
		tw->n.hnext = s->tws.bucket[hash & s->tws.mask];
		s->tws.bucket[hash & s->tws.mask] = s->tw_tail;
		tw->fifo_next = TERN_NIL;
		tern_flowf__add(s->tws.ff, &tw->n.t);
	} else {
		tw = tern_pool__alloc(&s->tws, hash, &c->n.t);
		if (!tw) {
			TERN_MIB_INC(s, TCPTimeWaitOverflow);
			return NULL;
		}
		fifo_append(s, tw);
	}
	tw->n.t.pad[0] = c->optf & TERN_NEG_TS ? TERN_TW_TS : 0;
	tw->n.t.pad[1] = c->rcv_wscale;
	tw->n.t.pad[2] = 0; /* no out-of-window ACK yet */
	tw->snd_nxt = c->snd_max; /* highest sent: snd_nxt may be rewound */
	tw->rcv_nxt = c->rcv_nxt;
	tw->ts_recent = c->ts_recent;
	tw->expire_ms = tern_ms(now) + s->cfg.time_wait_ms;
	TERN_MIB_INC(s, TW);
	return tw;
}

struct tern_tw *tern_tw__lookup(struct tern_stack *s, uint32_t hash, const struct tern_tuple *t)
{
	return tern_pool__lookup(&s->tws, hash, t);
}

/*
 * tcp_timewait_check_oow_rate_limit() -> tcp_oow_rate_limited(): data or
 * FIN without SYN always gets its ACK; anything else at most one per
 * tcp_invalid_ratelimit. The record has one byte for this (n.t.pad[2]):
 * the 500 ms slot of the last ACK, as (ms / 500) % 255 + 1, 0 = none. An
 * ACK is skipped when the previous one went in the same 500 ms slot, so
 * two ACKs can go less than 500 ms apart across a slot boundary (at most
 * one per aligned slot), and the slot number repeats every 127.5 s, which
 * at worst skips one ACK the peer will ask for again.
 */
static int oow_limited(struct tern_stack *s, struct tern_tw *tw, const struct tern_seg *seg,
		       uint64_t now)
{
	uint8_t slot;

	if ((seg->len || (seg->flags & TERN_TH_FIN)) && !(seg->flags & TERN_TH_SYN))
		return 0;
	slot = (uint8_t)(tern_ms(now) / TW_OOW_SLOT_MS % 255 + 1);
	if (tw->n.t.pad[2] == slot) {
		TERN_MIB_INC(s, TCPACKSkippedTimeWait);
		return 1;
	}
	tw->n.t.pad[2] = slot;
	return 0;
}

/*
 * An ACK whose acknowledgment number is one of our cookies, completing a
 * new SYN: XDP answered the peer's SYN for this tuple without seeing this
 * record (bpf/synack.h, docs/xdp-syn.md). Linux's SYN meets the record
 * first, and tcp_timewait_state_process() frees it for a new SYN (SEQ
 * after RCV.NXT, or a newer timestamp); the listener then answers, with a
 * cookie under a flood (tcp_conn_request()). tern: the worker meets the
 * handshake's ACK instead, and applies the SEQ half of the rule to the SYN
 * it completes (SEQ - 1), not the timestamp half: a late segment of the
 * old connection carries a newer timestamp too, and when the old
 * connection began with a cookie its ACKs pass the cookie check whenever
 * both sides had sent as many bytes (the check is on ACK - SEQ). Its SEQ
 * is never after RCV.NXT. A new SYN below RCV.NXT gets the record's ACK.
 */
static int cookie_recycles(struct tern_stack *s, const struct tern_tw *tw,
			   const struct tern_seg *seg, uint64_t now, int paws_reject)
{
	if (paws_reject || !tern_seq_gt(seg->seq - 1, tw->rcv_nxt))
		return 0;
	return tern_listen__cookie_valid(s, seg, now);
}

/*
 * tcp_timewait_state_process(), real TIME-WAIT substate. PAWS is
 * tcp_paws_reject() without the 24-day rule and without the RST exception
 * for a ts_recent older than TCP_PAWS_MSL (no room for ts_recent_stamp):
 * such a RST is dropped, never acted on.
 */
int tern_tw__input(struct tern_stack *s, struct tern_tw *tw, const struct tern_seg *seg,
		   uint64_t now, uint32_t *isn)
{
	uint8_t f = seg->flags;
	uint32_t end = seg->seq + seg->len + !!(f & TERN_TH_SYN) + !!(f & TERN_TH_FIN);
	int saw_ts = (tw_flags(tw) & TERN_TW_TS) && (seg->opt.present & TERN_OPT_TS);
	int paws_reject = saw_ts && tw->ts_recent &&
			  (int32_t)(tw->ts_recent - seg->opt.tsval) > 0;

	if (cookie_recycles(s, tw, seg, now, paws_reject)) {
		TERN_MIB_INC(s, TWRecycled);
		kill(s, tw);
		return TERN_TW_COOKIE;
	}
	/* In window: only a RST or a bare ACK can be. */
	if (!paws_reject && seg->seq == tw->rcv_nxt && (seg->seq == end || (f & TERN_TH_RST))) {
		if (f & TERN_TH_RST) {
			/* TIME-WAIT assassination (RFC 1337). */
			if (!s->cfg.rfc1337) {
				TERN_MIB_INC(s, TWKilled);
				kill(s, tw);
				return TERN_TW_KILLED;
			}
		} else {
			restart(s, tw, now);
		}
		if (saw_ts)
			tw->ts_recent = seg->opt.tsval;
		return TERN_TW_DROP;
	}

	/*
	 * A new SYN (RFC 1122 4.2.2.13, RFC 6191): above rcv_nxt, or with a
	 * newer timestamp. The new connection's ISS is above anything the old
	 * one sent.
	 */
	if ((f & (TERN_TH_SYN | TERN_TH_RST | TERN_TH_ACK)) == TERN_TH_SYN && !paws_reject &&
	    (tern_seq_gt(seg->seq, tw->rcv_nxt) ||
	     (saw_ts && (int32_t)(tw->ts_recent - seg->opt.tsval) < 0))) {
		uint32_t n = tw->snd_nxt + 65535 + 2;

		*isn = n ? n : 1;
		TERN_MIB_INC(s, TWRecycled);
		kill(s, tw);
		return TERN_TW_SYN;
	}

	if (paws_reject)
		TERN_MIB_INC(s, PAWSEstab);
	if (f & TERN_TH_RST)
		return TERN_TW_DROP;
	/* An ACK-less SYN below rcv_nxt may be a new SYN with a random ISN:
	 * it does not restart the timer. */
	if (paws_reject || (f & TERN_TH_ACK))
		restart(s, tw, now);
	return oow_limited(s, tw, seg, now) ? TERN_TW_DROP : TERN_TW_ACK;
}

/* tcp_v4_timewait_ack(): SEQ=SND.NXT, ACK=RCV.NXT, to the Ethernet source
 * of the segment that caused it. */
void tern_emit_tw_ack(struct tern_stack *s, const struct tern_tw *tw, const struct tern_seg *seg,
		      uint64_t now, struct tern_out *out)
{
	struct tern_tx *tx = tern_emit_slot(s, out);
	uint32_t win;

	if (!tx)
		return;
	tx->t = tw->n.t;
	memset(tx->t.pad, 0, sizeof(tx->t.pad));
	tx->l2 = seg->l2;
	tx->seq = tw->snd_nxt;
	tx->ack = tw->rcv_nxt;
	tx->flags = TERN_TH_ACK;
	win = s->cfg.rcv_wnd >> tw->n.t.pad[1];
	tx->win = (uint16_t)(win > 65535 ? 65535 : win);
	if (tw_flags(tw) & TERN_TW_TS)
		tx->optlen = tern_put_ts(tx->opt, tern_ms(now) + tern_ts_off(s, &tw->n.t), tw->ts_recent);
}

void tern_tw__expire(struct tern_stack *s, uint64_t now)
{
	uint32_t ms = tern_ms(now);

	while (s->tw_head != TERN_NIL) {
		struct tern_tw *h = tw_at(s, s->tw_head);
		uint8_t f = tw_flags(h);

		if ((f & TW_DEAD) || (int32_t)(h->expire_ms - ms) <= 0) {
			fifo_pop(s);
			if (!(f & TW_DEAD))
				unhash(&s->tws, h);
			release(&s->tws, h);
			continue;
		}
		if (!(f & TW_RESTARTED))
			break;
		/* Restarted and not due: its place is at the tail. */
		h->n.t.pad[0] &= (uint8_t)~TW_RESTARTED;
		if (s->tw_head == s->tw_tail)
			break;
		requeue(s, fifo_pop(s));
	}
}

uint64_t tern_tw__next_deadline(const struct tern_stack *s)
{
	const struct tern_tw *h;
	int32_t d;

	if (s->tw_head == TERN_NIL)
		return UINT64_MAX;
	h = tw_at(s, s->tw_head);
	/* A restarted head's expire_ms is not its place in the FIFO: poll now
	 * and expiry requeues it. */
	if (tw_flags(h) & (TW_RESTARTED | TW_DEAD))
		return s->now;
	/* The start of the millisecond in which tern_ms() reaches expire_ms. */
	d = (int32_t)(h->expire_ms - tern_ms(s->now));
	return d <= 0 ? s->now
		      : s->now - s->now % TERN_NSEC_PER_MSEC + (uint64_t)d * TERN_NSEC_PER_MSEC;
}
