// SPDX-License-Identifier: BSD-2-Clause
/*
 * RACK-TLP loss detection (RFC 8985, Linux net/ipv4/tcp_recovery.c) on
 * per-segment records (rack.h): a segment is lost when a segment sent
 * after it was delivered and more than an RTT plus a reordering window
 * has passed since it was sent (tcp_rack_detect_loss). The window is
 * min_rtt / 4, times a step that grows on D-SACKs, at most SRTT
 * (tcp_rack_reo_wnd, tcp_rack_update_reo_wnd); segments not yet past it
 * arm the reordering timer (tcp_rack_reo_timeout, in sack.c).
 *
 * min_rtt is the least RTT sampled in the last 300 s (tcp_min_rtt(),
 * tcp_min_rtt_wlen, a windowed minimum: minmax.h), fed by rtt.c with
 * each ACK's newest sample (tcp_update_rtt_min). The records give an
 * ACK's samples in µs (struct tern_rack_rtt, tcp_clean_rtx_queue).
 * tern: records are walked in sequence order, not Linux's time-sorted
 * list (tsorted_sent_queue), so detection looks at every record in
 * flight; the share per connection bounds the walk.
 *
 * The bytes in flight (tcp_packets_in_flight(): packets_out - sacked_out
 * - lost_out + retrans_out, in bytes) are a counter, tern_rack.pipe,
 * changed wherever a record is counted or stops being (counted()), so
 * that the send loop in recovery asks for it in O(1). A record counts
 * its length, the head from sequence 0 rather than from SND.UNA: a
 * cumulative ACK that moves SND.UNA inside the head changes nothing, and
 * tern_rack_in_flight() subtracts SND.UNA while the head is counted.
 * tern_rack__check() compares the counter with a walk of the records
 * (the unit tests and the fuzzer call it after every input).
 */
#include <errno.h>

#include "stack.h"


_Static_assert(sizeof(struct tern_rseg) == 16, "a RACK record is 16 bytes");
_Static_assert(sizeof(struct tern_rack) <= 104, "struct tern_rack must stay within 104 bytes");
#define REO_TIMEOUT_MIN_MS 2    /* TCP_TIMEOUT_MIN, 2 jiffies at HZ 1000 */

static struct tern_rack *rk(const struct tern_stack *s, const struct tern_conn *c)
{
	return &s->rack[tern_pool__index(&s->conns, c)];
}

static struct tern_rseg *at(const struct tern_stack *s, uint32_t i)
{
	return &s->rsegs.base[i];
}

/* Whether a record's bytes are in flight (tcp_packets_in_flight()): not
 * SACKed, and not lost unless resent since. */
static int counted(uint8_t flags)
{
	return !(flags & TERN_RSEG_SACKED) &&
	       (!(flags & TERN_RSEG_LOST) || (flags & TERN_RSEG_RETRANS));
}

/* What record i, which starts at start, adds to tern_rack.pipe. */
static uint32_t span(const struct tern_stack *s, const struct tern_rack *r, uint32_t i,
		     uint32_t start)
{
	return at(s, i)->end - (i == r->head ? 0 : start);
}

/* Set record i's flags, keeping tern_rack.pipe. */
static void set_flags(struct tern_stack *s, struct tern_rack *r, uint32_t i, uint32_t start,
		      uint8_t flags)
{
	struct tern_rseg *g = at(s, i);

	if (counted(g->flags) != counted(flags)) {
		if (counted(flags))
			r->pipe += span(s, r, i, start);
		else
			r->pipe -= span(s, r, i, start);
	}
	g->flags = flags;
}

static uint32_t usec(uint64_t ns)
{
	return (uint32_t)(ns / 1000u);
}

static void rack_clear(struct tern_rack *r)
{
	*r = (struct tern_rack){ .head = TERN_NIL, .tail = TERN_NIL, .reo_steps = 1,
				 .undo_retrans = -1 };
	tern_minmax_reset(&r->min_rtt, 0, UINT32_MAX);
}

void tern_rack__init(struct tern_stack *s, struct tern_rseg *base, struct tern_rack *conns)
{
	s->rsegs = (struct tern_rseg_pool){ .base = base, .cap = s->cfg.rack_segs, .free_head = TERN_NIL };
	for (uint32_t i = s->cfg.rack_segs; i-- > 0;) {
		base[i].next = s->rsegs.free_head;
		s->rsegs.free_head = i;
	}
	s->rack = conns;
	for (uint32_t i = 0; i < s->cfg.max_conns; i++)
		rack_clear(&conns[i]);
	s->rack_quota = s->cfg.rack_segs_per_conn ? s->cfg.rack_segs_per_conn
						  : (s->cfg.rack_segs / 4 ? s->cfg.rack_segs / 4 : 1);
}

struct tern_rack *tern_conn_rack(const struct tern_stack *s, const struct tern_conn *c)
{
	return rk(s, c);
}

static void put_all(struct tern_stack *s, struct tern_rack *r)
{
	while (r->head != TERN_NIL) {
		uint32_t i = r->head;

		r->head = at(s, i)->next;
		at(s, i)->next = s->rsegs.free_head;
		s->rsegs.free_head = i;
		s->rsegs.used--;
	}
	r->tail = TERN_NIL;
	r->n = 0;
	r->pipe = 0;
	r->xmit_set = 0; /* nothing in flight has a record: see tern_rack_ack() */
}

void tern_rack_free(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_rack *r = rk(s, c);

	put_all(s, r);
	rack_clear(r);
}

int tern_rack_on(const struct tern_stack *s, const struct tern_conn *c)
{
	return s->cfg.rack_segs && tern_conn_sack_on(c) && !rk(s, c)->off;
}

/* The end of the highest record with flag set (SND.UNA: none). */
static uint32_t flag_end(const struct tern_stack *s, const struct tern_conn *c,
			 const struct tern_rack *r, uint8_t flag)
{
	uint32_t end = c->snd_una;

	for (uint32_t i = r->head; i != TERN_NIL; i = at(s, i)->next)
		if (at(s, i)->flags & flag)
			end = at(s, i)->end;
	return end;
}

/* No record to be had: give every record back and let the DupThresh
 * scoreboard take over, with what RACK had marked lost and, as HighRxt,
 * what it had resent since (TCPRackSegsFull). */
static void fall_back(struct tern_stack *s, struct tern_conn *c, struct tern_rack *r)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);

	TERN_MIB_INC(s, TCPRackSegsFull);
	x->lost_to = flag_end(s, c, r, TERN_RSEG_LOST);
	x->high_rxt = flag_end(s, c, r, TERN_RSEG_RETRANS);
	x->rxt_mark = c->snd_max;
	put_all(s, r);
	r->off = 1;
	r->reo_at = 0;
}

static uint32_t rseg_get(struct tern_stack *s, struct tern_rack *r)
{
	uint32_t i = s->rsegs.free_head;

	if (i == TERN_NIL || r->n >= s->rack_quota)
		return TERN_NIL;
	s->rsegs.free_head = at(s, i)->next;
	s->rsegs.used++;
	r->n++;
	at(s, i)->next = TERN_NIL;
	return i;
}

/* The head record is delivered: the next one, if counted, counts from 0
 * instead of from the head's end. */
static void rseg_put_head(struct tern_stack *s, struct tern_rack *r)
{
	uint32_t i = r->head, end = at(s, i)->end;

	if (counted(at(s, i)->flags))
		r->pipe -= end;
	r->head = at(s, i)->next;
	if (r->head == TERN_NIL)
		r->tail = TERN_NIL;
	else if (counted(at(s, r->head)->flags))
		r->pipe += end;
	at(s, i)->next = s->rsegs.free_head;
	s->rsegs.free_head = i;
	s->rsegs.used--;
	r->n--;
}

/* New data [seq, seq + len) at SND.MAX: a record at the tail. */
static int append(struct tern_stack *s, struct tern_rack *r, uint32_t seq, uint32_t end,
		  uint64_t now)
{
	uint32_t i = rseg_get(s, r);

	if (i == TERN_NIL)
		return -ENOBUFS;
	*at(s, i) = (struct tern_rseg){ .end = end, .sent_us = usec(now), .next = TERN_NIL,
					.order = r->tx_order++ };
	if (r->tail == TERN_NIL) {
		r->head = i;
		r->fack = seq; /* nothing in flight: nothing SACKed above it */
	} else {
		at(s, r->tail)->next = i;
	}
	r->tail = i;
	r->pipe += span(s, r, i, seq);
	return 0;
}

/* Make seq a record boundary: the record that holds it splits in two
 * (Linux's tcp_fragment() for a retransmission cut at a smaller MSS). */
static int split_at(struct tern_stack *s, const struct tern_conn *c, struct tern_rack *r,
		    uint32_t seq)
{
	uint32_t start = c->snd_una;

	for (uint32_t i = r->head; i != TERN_NIL; i = at(s, i)->next) {
		struct tern_rseg *g = at(s, i);
		uint32_t j;

		if (tern_seq_le(g->end, seq)) {
			start = g->end;
			continue;
		}
		if (seq == start)
			return 0;
		j = rseg_get(s, r);
		if (j == TERN_NIL)
			return -ENOBUFS;
		g = at(s, i);
		*at(s, j) = *g;
		tern_rate_copy(s, j, i);
		g->end = seq;
		g->next = j;
		if (r->tail == i)
			r->tail = j;
		return 0;
	}
	return 0;
}

/* A retransmission of [seq, end): its records are sent again now. */
static int resent(struct tern_stack *s, const struct tern_conn *c, struct tern_rack *r,
		  uint32_t seq, uint32_t end, uint64_t now)
{
	uint32_t start = c->snd_una;
	uint16_t order = r->tx_order++; /* one transmission, whatever records it covers */

	if (split_at(s, c, r, seq) || split_at(s, c, r, end))
		return -ENOBUFS;
	for (uint32_t i = r->head; i != TERN_NIL; i = at(s, i)->next) {
		struct tern_rseg *g = at(s, i);

		if (tern_seq_ge(start, end))
			break;
		if (tern_seq_ge(start, seq)) {
			set_flags(s, r, i, start, g->flags | TERN_RSEG_RETRANS | TERN_RSEG_EVER);
			g->sent_us = usec(now);
			g->order = order;
			tern_rate_sent(s, c, i, g);
		}
		start = g->end;
	}
	return 0;
}

/*
 * A data segment [seq, seq + len) went out (tcp_event_new_data_sent,
 * tcp_retransmit_skb: skb_mstamp). A connection that fell back starts
 * keeping records again once nothing is in flight.
 */
void tern_rack_sent(struct tern_stack *s, struct tern_conn *c, uint32_t seq, uint32_t len,
		    uint64_t now)
{
	struct tern_rack *r = rk(s, c);
	int err;

	if (!s->cfg.rack_segs || !tern_conn_sack_on(c) || !len)
		return;
	if (r->off) {
		if (c->snd_una != c->snd_max || r->n)
			return;
		r->off = 0;
	}
	if (tern_seq_lt(seq, c->snd_max)) {
		err = resent(s, c, r, seq, seq + len, now);
	} else if (seq != (r->tail == TERN_NIL ? c->snd_una : at(s, r->tail)->end)) {
		err = -EINVAL; /* a gap: the records would not cover the flight */
	} else {
		err = append(s, r, seq, seq + len, now);
		if (!err)
			tern_rate_sent(s, c, r->tail, at(s, r->tail));
	}
	if (err)
		fall_back(s, c, r);
}

static uint32_t min_rtt(const struct tern_rack *r)
{
	return tern_minmax_get(&r->min_rtt);
}

/* tcp_update_rtt_min(): every RTT sample into the windowed minimum. */
static void min_rtt_sample(const struct tern_stack *s, struct tern_rack *r, uint32_t rtt_us)
{
	tern_minmax_running_min(&r->min_rtt, TERN_MIN_RTT_WLEN_MS, tern_ms(s->now),
				rtt_us ? rtt_us : 1);
}

/* The estimator's samples, the handshake's included. */
void tern_rack_min_rtt(struct tern_stack *s, struct tern_conn *c, uint32_t rtt_us)
{
	min_rtt_sample(s, rk(s, c), rtt_us);
}

uint32_t tern_rack_min_rtt_us(const struct tern_stack *s, const struct tern_conn *c)
{
	return min_rtt(rk(s, c));
}

/* RFC 8985 6.2 step 2 (tcp_rack_sent_after): whether record g was sent
 * after the delivery RACK holds (> 0), before it (< 0), or is it (0).
 * tern: one `now` serves a whole batch, so send times tie far more often
 * than Linux's nanosecond stamps, and a retransmission can go out after
 * new data in the same microsecond: ties are broken by the order of
 * transmission, then by sequence (the halves of a split record share
 * both). */
static int cmp_sent(const struct tern_rseg *g, const struct tern_rack *r)
{
	if (g->sent_us != r->mstamp_us)
		return (int32_t)(g->sent_us - r->mstamp_us) > 0 ? 1 : -1;
	if (g->order != r->order)
		return (int16_t)(g->order - r->order) > 0 ? 1 : -1;
	return g->end == r->end_seq ? 0 : tern_seq_gt(g->end, r->end_seq) ? 1 : -1;
}

/* RFC 8985 6.2 step 2, tcp_rack_advance(): the delivered segment sent
 * last sets RACK.xmit_ts, RACK.end_seq and RACK.rtt. tern: records are
 * taken in sequence order, not the RFC's ascending send time, so RACK.rtt
 * is set only with RACK.xmit_ts (the same result). */
static void advance(struct tern_rack *r, const struct tern_rseg *g, uint32_t now_us)
{
	uint32_t rtt = now_us - g->sent_us;

	/* A retransmitted segment's ACK may be for the original: ignore an
	 * RTT that is too short to be the retransmission's. */
	if ((g->flags & TERN_RSEG_EVER) && rtt < min_rtt(r))
		return;
	r->advanced = 1;
	if (!r->xmit_set || cmp_sent(g, r) > 0) {
		r->xmit_set = 1;
		r->mstamp_us = g->sent_us;
		r->order = g->order;
		r->end_seq = g->end;
		r->rtt_us = rtt;
	}
}

/* RFC 8985 6.2 step 3: a segment never resent is delivered below one
 * already SACKed (reord_check() takes it). A segment never resent at or
 * below the recovery point is an original of the episode
 * (tcp_clean_rtx_queue(), tcp_sacktag_one(): FLAG_ORIG_SACK_ACKED). */
static void delivered(const struct tern_conn *c, struct tern_rack *r, const struct tern_rseg *g,
		      uint32_t now_us)
{
	if (!(g->flags & TERN_RSEG_EVER) && tern_seq_lt(g->end, r->fack))
		r->reord_now = 1;
	if (!(g->flags & TERN_RSEG_EVER) && tern_seq_le(g->end, c->recover))
		r->ack_orig = 1;
	advance(r, g, now_us);
}

/* tcp_check_sack_reordering(): once per walk of the cumulative ACK or
 * of the blocks that delivered a segment below a SACK, however many. */
static void reord_check(struct tern_stack *s, struct tern_rack *r)
{
	if (!r->reord_now)
		return;
	r->reord_now = 0;
	r->reord_seen = 1;
	TERN_MIB_INC(s, TCPSACKReorder);
}

/* tcp_stamp_us_delta(): the RTT of a transmission at sent_us, -1 when
 * it does not fit in 31 bits (sent over 35 minutes ago). */
static int32_t rtt_of(uint32_t now_us, uint32_t sent_us)
{
	int32_t d = (int32_t)(now_us - sent_us);

	return d >= 0 ? d : -1;
}

/* tcp_clean_rtx_queue(): a segment resent is no sample and spoils the
 * ACK's (Karn, FLAG_RETRANS_DATA_ACKED); one SACKed before is none; the
 * first of the others is the oldest (first_ackt), the last the newest. */
static void acked_sample(struct tern_rack_rtt *m, uint8_t flags, uint32_t now_us,
			 uint32_t sent_us)
{
	m->acked++;
	if (flags & TERN_RSEG_EVER) {
		m->retrans = 1;
	} else if (!(flags & TERN_RSEG_SACKED)) {
		m->ca_us = rtt_of(now_us, sent_us);
		if (m->seq_us < 0)
			m->seq_us = m->ca_us;
	}
}

/* Our FIN, when this ACK covers it: Linux's rides on the last skb, so it
 * is the newest segment ACKed, and counts as one of its own only when
 * no data is ACKed with it. */
static void fin_acked(const struct tern_conn *c, const struct tern_rack *r,
		      struct tern_rack_rtt *m, uint32_t now_us)
{
	if (!r->fin_out || c->snd_una != c->snd_max)
		return;
	if (m->acked)
		m->acked--; /* the FIN and the last data segment: one skb */
	acked_sample(m, r->fin_ever ? TERN_RSEG_EVER : 0, now_us, r->fin_us);
}

/* The cumulative ACK: records below SND.UNA are delivered and freed,
 * and give the ACK's RTT samples (tcp_clean_rtx_queue). */
void tern_rack_ack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		   struct tern_rack_rtt *m)
{
	struct tern_rack *r = rk(s, c);
	uint32_t now_us = usec(s->now);

	r->tsecr = (seg->opt.present & TERN_OPT_TS) ? seg->opt.tsecr : 0;
	r->ack_orig = r->ack_sacked = r->ack_dsack = r->frto_new = 0;
	if (!tern_rack_on(s, c))
		return;
	m->on = 1;
	while (r->head != TERN_NIL && tern_seq_le(at(s, r->head)->end, c->snd_una)) {
		struct tern_rseg *g = at(s, r->head);

		acked_sample(m, g->flags, now_us, g->sent_us);
		if (!(g->flags & TERN_RSEG_SACKED)) {
			delivered(c, r, g, now_us);
			tern_rate_delivered(s, c, r->head, g, m);
		}
		rseg_put_head(s, r);
	}
	reord_check(s, r);
	/* after the walk: a hole is filled below the highest SACK before
	 * this ACK (tcp_clean_rtx_queue()'s prior_fack) */
	if (tern_seq_lt(r->fack, c->snd_una))
		r->fack = c->snd_una;
	fin_acked(c, r, m, now_us);
	if (c->snd_una == c->snd_max)
		r->fin_out = r->fin_lost = r->fin_ever = 0;
	/* tern: send times are 32-bit µs (Linux's are 64-bit), so they
	 * compare only within 2^31 µs (36 min) of each other: RACK.xmit_ts
	 * is forgotten when nothing is in flight, and the next delivery
	 * sets it whatever its value. */
	if (r->head == TERN_NIL && !r->fin_out)
		r->xmit_set = 0;
}

/* tcp_sacktag_one(): a newly SACKed segment never resent is a sample
 * (first_sackt: the oldest, the longest RTT; last_sackt: the newest). */
static void sacked_sample(struct tern_rack_rtt *m, const struct tern_rseg *g, uint32_t now_us)
{
	int32_t rtt = rtt_of(now_us, g->sent_us);

	if ((g->flags & TERN_RSEG_EVER) || rtt < 0)
		return;
	if (rtt > m->sack_us)
		m->sack_us = rtt;
	if (m->sack_ca_us < 0 || rtt < m->sack_ca_us)
		m->sack_ca_us = rtt;
}

/* A valid SACK block (tcp_sacktag_one): records wholly inside it. */
void tern_rack_sacked(struct tern_stack *s, struct tern_conn *c, uint32_t start, uint32_t end,
		      struct tern_rack_rtt *m)
{
	struct tern_rack *r = rk(s, c);
	uint32_t from = c->snd_una, now_us = usec(s->now);

	if (!tern_rack_on(s, c))
		return;
	for (uint32_t i = r->head; i != TERN_NIL; i = at(s, i)->next) {
		struct tern_rseg *g = at(s, i);

		if (tern_seq_ge(from, end))
			break;
		if (tern_seq_ge(from, start) && tern_seq_le(g->end, end) &&
		    !(g->flags & TERN_RSEG_SACKED)) {
			sacked_sample(m, g, now_us);
			delivered(c, r, g, now_us);
			tern_rate_delivered(s, c, i, g, m);
			set_flags(s, r, i, from,
				  (uint8_t)((g->flags | TERN_RSEG_SACKED) & ~TERN_RSEG_LOST));
			r->ack_sacked = 1;
		}
		from = g->end;
	}
	if (tern_seq_gt(end, r->fack))
		r->fack = end;
}

/* tcp_dsack_seen(): a D-SACK grows the reordering window (below). */
void tern_rack_dsack(struct tern_stack *s, struct tern_conn *c)
{
	rk(s, c)->dsack_seen = 1;
	rk(s, c)->ack_dsack = 1;
}

/* tcp_rack_update_reo_wnd(): one step more per round trip that saw a
 * D-SACK, kept for 16 recoveries, then back to one step. After the
 * blocks: the end of tcp_sacktag_write_queue() checks reordering. */
void tern_rack_update_reo_wnd(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_rack *r = rk(s, c);

	reord_check(s, r);

	if (r->dsack_seen && r->reo_steps > 1 && tern_seq_lt(c->snd_una, r->reo_seq))
		r->dsack_seen = 0; /* within a round trip of the last step */
	if (r->dsack_seen) {
		if (r->reo_steps < UINT8_MAX)
			r->reo_steps++;
		r->dsack_seen = 0;
		r->reo_seq = c->snd_max;
		r->reo_persist = TERN_RACK_RECOVERY_THRESH;
	} else if (!r->reo_persist) {
		r->reo_steps = 1;
	}
}

/* Whether at least n records are SACKed (tp->sacked_out >= n). */
static int sacked_segs(const struct tern_stack *s, const struct tern_rack *r, uint32_t n)
{
	for (uint32_t i = r->head; i != TERN_NIL && n; i = at(s, i)->next)
		if (at(s, i)->flags & TERN_RSEG_SACKED)
			n--;
	return !n;
}

/* tcp_rack_reo_wnd() */
static uint32_t reo_wnd(const struct tern_stack *s, const struct tern_conn *c,
			const struct tern_rack *r)
{
	uint64_t w;

	if (!r->reord_seen) {
		/* no reordering seen: aggressive in recovery, or once
		 * DupThresh segments (not bytes: a short last segment
		 * counts) are SACKed */
		if ((c->flags & TERN_CF_RECOVERY) || tern_conn_xmit(s, c)->loss)
			return 0;
		if (sacked_segs(s, r, TERN_RACK_DUPTHRESH))
			return 0;
	}
	w = (uint64_t)(min_rtt(r) == UINT32_MAX ? 0 : min_rtt(r) >> 2) * r->reo_steps;
	if (min_rtt(r) == UINT32_MAX || w > c->srtt_us >> 3)
		w = c->srtt_us >> 3;
	return (uint32_t)w;
}

/* tcp_mark_skb_lost(): a resent segment lost again is counted; bytes
 * that were in flight count toward tp->lost (rate.c). */
static void set_lost(struct tern_stack *s, struct tern_conn *c, struct tern_rack *r, uint32_t i,
		     uint32_t start)
{
	uint8_t f = at(s, i)->flags;

	if (counted(f))
		tern_rate_lost(s, c, at(s, i)->end - start);
	set_flags(s, r, i, start, (uint8_t)((f | TERN_RSEG_LOST) & ~TERN_RSEG_RETRANS));
}

static int mark_lost(struct tern_stack *s, struct tern_conn *c, struct tern_rack *r, uint32_t i,
		     uint32_t start)
{
	if (at(s, i)->flags & TERN_RSEG_RETRANS)
		TERN_MIB_INC(s, TCPLostRetransmit);
	set_lost(s, c, r, i, start);
	return 1;
}

/* Whether record g is still waiting to be lost or delivered. */
static int waiting(const struct tern_rseg *g)
{
	if (g->flags & TERN_RSEG_SACKED)
		return 0;
	return !(g->flags & TERN_RSEG_LOST) || (g->flags & TERN_RSEG_RETRANS);
}

/* reo_wnd() once per detection, when a candidate needs it (*wnd < 0:
 * not yet): it may walk the records, and most ACKs have no candidate. */
static int64_t wnd_of(const struct tern_stack *s, const struct tern_conn *c,
		      const struct tern_rack *r, int64_t *wnd)
{
	if (*wnd < 0)
		*wnd = reo_wnd(s, c, r);
	return *wnd;
}

/* RFC 8985 6.2 step 5 for our FIN once every byte of data is
 * acknowledged: lost when data sent after it was delivered and RACK.rtt
 * plus the window passed since it went, else the timer waits for it. A
 * FIN lost with a hole below it, whose retransmission is delivered,
 * goes again at once instead of after a probe timeout (rto_min). */
static void fin_detect(const struct tern_stack *s, const struct tern_conn *c,
		       struct tern_rack *r, uint32_t now_us, int64_t *wnd, int64_t *wait)
{
	struct tern_rseg fin = { .end = c->snd_max, .sent_us = r->fin_us, .order = r->fin_order };
	int64_t left;

	if (cmp_sent(&fin, r) >= 0)
		return;
	left = (int64_t)r->rtt_us + wnd_of(s, c, r, wnd) - (int32_t)(now_us - r->fin_us);
	if (left <= 0)
		r->fin_lost = 1;
	else if (left > *wait)
		*wait = left;
}

/*
 * tcp_rack_detect_loss() (RFC 8985 6.2 step 5): every candidate sent
 * before RACK.xmit_ts whose RTT + reordering window has passed is lost;
 * the latest of the others' remaining times sets the reordering timer.
 * force: from the timer (tcp_rack_reo_timeout), else only after
 * RACK.xmit_ts advanced (tcp_rack_mark_lost). Returns the records marked.
 *
 * A record never resent was sent after every record below it, so the
 * first one not sent before RACK.xmit_ts ends the walk, as the first such
 * ends Linux's walk of its time-sorted list.
 */
uint32_t tern_rack_detect(struct tern_stack *s, struct tern_conn *c, uint64_t now, int force)
{
	struct tern_rack *r = rk(s, c);
	uint32_t now_us = usec(now), lost = 0, start = c->snd_una;
	int64_t wait = 0, wnd = -1;

	if (!tern_rack_on(s, c) || (!force && !r->advanced))
		return 0;
	r->advanced = 0;
	r->reo_at = 0;
	if (!r->xmit_set)
		return 0; /* nothing delivered yet: no RACK.xmit_ts */
	for (uint32_t i = r->head; i != TERN_NIL; start = at(s, i)->end, i = at(s, i)->next) {
		struct tern_rseg *g = at(s, i);
		int64_t left;

		if (cmp_sent(g, r) >= 0) {
			if (!(g->flags & TERN_RSEG_EVER))
				break;
			continue;
		}
		if (!waiting(g))
			continue;
		left = (int64_t)r->rtt_us + wnd_of(s, c, r, &wnd) - (int32_t)(now_us - g->sent_us);
		if (left <= 0)
			lost += (uint32_t)mark_lost(s, c, r, i, start);
		else if (left > wait)
			wait = left;
	}
	if (r->head == TERN_NIL && r->fin_out && !r->fin_lost)
		fin_detect(s, c, r, now_us, &wnd, &wait);
	if (wait)
		r->reo_at = tern_deadline(now, (uint32_t)((wait + 999) / 1000) + REO_TIMEOUT_MIN_MS);
	return lost;
}

/* Our FIN went out, the first time or again: RACK times it as a record
 * of its own (Linux's FIN rides on an skb of the retransmit queue). */
void tern_rack_fin_sent(struct tern_stack *s, struct tern_conn *c, uint64_t now)
{
	struct tern_rack *r = rk(s, c);

	if (!tern_rack_on(s, c))
		return;
	r->fin_us = usec(now);
	r->fin_order = r->tx_order++;
	if (r->fin_out)
		r->fin_ever = 1; /* TCPCB_EVER_RETRANS on the FIN's skb */
	r->fin_out = 1;
	r->fin_lost = 0;
}

/* Whether our FIN was found lost (then it is to be sent again now). */
int tern_rack_fin_lost(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_rack *r = rk(s, c);
	int lost = r->fin_lost;

	r->fin_lost = 0;
	return lost;
}

/* Mark every unSACKed record below seq lost (an RTO's tcp_timeout_mark_lost
 * with seq = SND.MAX, or the holes below a delivered loss probe). */
void tern_rack_mark_lost_to(struct tern_stack *s, struct tern_conn *c, uint32_t seq)
{
	struct tern_rack *r = rk(s, c);
	uint32_t start = c->snd_una;

	for (uint32_t i = r->head; i != TERN_NIL; start = at(s, i)->end, i = at(s, i)->next) {
		struct tern_rseg *g = at(s, i);

		if (tern_seq_gt(g->end, seq))
			break;
		if (!(g->flags & TERN_RSEG_SACKED))
			set_lost(s, c, r, i, start);
	}
}

/* tcp_timeout_mark_lost(): the record at SND.UNA is SACKed: the
 * receiver reneged, and no record stays SACKed. Returns 1 if so. */
int tern_rack_renege(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_rack *r = rk(s, c);
	uint32_t start = c->snd_una;

	if (r->head == TERN_NIL || !(at(s, r->head)->flags & TERN_RSEG_SACKED))
		return 0;
	for (uint32_t i = r->head; i != TERN_NIL; start = at(s, i)->end, i = at(s, i)->next)
		set_flags(s, r, i, start, (uint8_t)(at(s, i)->flags & ~TERN_RSEG_SACKED));
	r->fack = c->snd_una;
	return 1;
}

/* tcp_undo_cwnd_reduction(unmark_loss): nothing is lost after all. */
void tern_rack_unmark_lost(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_rack *r = rk(s, c);
	uint32_t start = c->snd_una;

	for (uint32_t i = r->head; i != TERN_NIL; start = at(s, i)->end, i = at(s, i)->next)
		set_flags(s, r, i, start, (uint8_t)(at(s, i)->flags & ~TERN_RSEG_LOST));
	r->reo_at = 0;
}

/* RFC 6675 NextSeg() rule 1 on records: the first lost record not
 * resent since (tcp_xmit_retransmit_queue). */
int tern_rack_next_lost(const struct tern_stack *s, const struct tern_conn *c, uint32_t *seq,
			uint32_t *max)
{
	const struct tern_rack *r = rk(s, c);
	uint32_t start = c->snd_una;

	for (uint32_t i = r->head; i != TERN_NIL; i = at(s, i)->next) {
		const struct tern_rseg *g = at(s, i);

		if ((g->flags & (TERN_RSEG_LOST | TERN_RSEG_SACKED | TERN_RSEG_RETRANS)) ==
		    TERN_RSEG_LOST) {
			*seq = start;
			*max = g->end - start;
			return 1;
		}
		start = g->end;
	}
	return 0;
}

/* The records' bytes, counted() ones or, with retrans, those resent
 * and still out (retrans_out), by a walk. */
static uint32_t walk(const struct tern_stack *s, const struct tern_conn *c, int retrans)
{
	const struct tern_rack *r = rk(s, c);
	uint32_t start = c->snd_una, n = 0;

	for (uint32_t i = r->head; i != TERN_NIL; i = at(s, i)->next) {
		const struct tern_rseg *g = at(s, i);
		uint8_t f = g->flags;

		if (retrans ? !(f & TERN_RSEG_SACKED) && (f & TERN_RSEG_RETRANS) : counted(f))
			n += g->end - start;
		start = g->end;
	}
	return n;
}

/* tcp_packets_in_flight() in bytes: the counter (above). With retrans,
 * only resent bytes still out, by a walk: it is asked on a partial undo
 * only. */
uint32_t tern_rack_in_flight(const struct tern_stack *s, const struct tern_conn *c, int retrans)
{
	const struct tern_rack *r = rk(s, c);

	if (retrans)
		return walk(s, c, 1);
	if (r->head == TERN_NIL || !counted(at(s, r->head)->flags))
		return r->pipe;
	return r->pipe - c->snd_una;
}

/* Whether the counter agrees with a walk of the records (-EIO: not). */
int tern_rack__check(const struct tern_stack *s, const struct tern_conn *c)
{
	return tern_rack_in_flight(s, c, 0) == walk(s, c, 0) ? 0 : -EIO;
}

