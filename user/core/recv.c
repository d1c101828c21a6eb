// SPDX-License-Identifier: BSD-2-Clause
/*
 * Receive side of an accepted segment: payload and FIN in order, the
 * out-of-order queue, and when to ACK (Linux tcp_data_queue(),
 * tcp_ack_snd_check(), quickack mode). In-order payload goes to the
 * application as pointers into the frame; out-of-order payload stays in
 * its frame, which the core keeps until the hole is filled.
 */
#include "stack.h"

#define DELACK_MS 40 /* TCP_DELACK_MIN: an ACK is never held longer */

static void deliver(void *ctx, const uint8_t *p, uint32_t len)
{
	struct tern_conn *c = ((void **)ctx)[1];
	struct tern_stack *s = ((void **)ctx)[0];

	if (c->rcv_credit != TERN_RCV_UNLIMITED)
		c->rcv_credit -= len < c->rcv_credit ? len : c->rcv_credit;
	if (s->ops && s->ops->data && !(c->flags & TERN_CF_RCV_SHUT))
		s->ops->data(s->app_ctx, c, p, len);
}

/* Has the peer's FIN been received (no more data is accepted)? */
static int fin_received(const struct tern_conn *c)
{
	return c->state == TERN_CLOSE_WAIT || c->state == TERN_CLOSING ||
	       c->state == TERN_LAST_ACK || c->state == TERN_TIME_WAIT;
}

/* The application can take `bytes` more. Advertise the larger window at
 * once when it at least doubled (Linux's __tcp_cleanup_rbuf(): "lots"
 * means "at least twice"; from a zero window, any opening), and is at
 * least one segment (silly window avoidance, sws.c); never after the
 * peer's FIN, when no more data can come (RCV_SHUTDOWN). */
void tern_conn__rcv_credit(struct tern_stack *s, struct tern_conn *c, uint32_t bytes,
			   uint64_t now, struct tern_out *out)
{
	uint32_t before, after;

	if (c->rcv_credit == TERN_RCV_UNLIMITED || !c->in_use)
		return;
	s->now = now;
	before = tern_rcv_window(s, c);
	c->rcv_credit = c->rcv_credit + bytes >= TERN_RCV_UNLIMITED ? TERN_RCV_UNLIMITED - 1
								    : c->rcv_credit + bytes;
	tern_conn_rcv_space_adjust(s, c, now);
	after = tern_rcv_window(s, c);
	if (!fin_received(c) && after >= c->mss && after >= 2u * before)
		tern_conn_ack_now(s, c, now, out);
	tern_conn_rearm(s, c);
}

void tern_conn__rcv_limit(struct tern_conn *c, uint32_t bytes)
{
	c->rcv_credit = bytes < TERN_RCV_UNLIMITED ? bytes : TERN_RCV_UNLIMITED - 1;
}

static void release(void *ctx, uint64_t frame)
{
	struct tern_stack *s = ((void **)ctx)[0];

	if (s->release)
		s->release(s->release_ctx, frame);
}

void tern_conn_ack_now(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		       struct tern_out *out)
{
	tern_emit_conn_ack(s, c, now, out);
}

/* __tcp_ack_snd_check(): ACK at once in quickack mode or when more than one
 * full segment is unacknowledged; otherwise within DELACK_MS. */
static void schedule_ack(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			 struct tern_out *out)
{
	if (c->rcv_wup == c->rcv_nxt) {
		/* The application answered from its callback: that segment
		 * carried the ACK (tcp_event_ack_sent), nothing is owed. */
		if (c->quick)
			c->quick--;
		return;
	}
	if (c->quick) {
		c->quick--;
		return tern_conn_ack_now(s, c, now, out);
	}
	if (c->rcv_nxt - c->rcv_wup > c->mss)
		return tern_conn_ack_now(s, c, now, out);
	if (!c->delack_at) {
		c->delack_at = tern_deadline(now, DELACK_MS);
		TERN_MIB_INC(s, DelayedACKs);
	}
}

static void release(void *ctx, uint64_t frame);

/*
 * Queue [seq, seq+len) from seg's frame; returns 1 when the frame is kept.
 * At the connection's bound (ooo_per_conn) or with the stack's pool empty,
 * the queue's highest segment makes room for a lower one
 * (tcp_prune_ofo_queue, OfoPruned); otherwise the segment is dropped
 * (TCPOFODrop).
 */
static int ooo_data(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		    uint32_t seq, const uint8_t *p, uint32_t len)
{
	uint16_t max = s->cfg.ooo_per_conn;
	void *ctx[2] = { s, c };
	int r;

	if (tern_mem_used(s) >= s->cfg.mem[2]) {
		TERN_MIB_INC(s, TCPOFODrop); /* tcp_data_queue_ofo(): no memory */
		return 0;
	}
	r = tern_ooo__insert(&s->ooo, &c->ooo, max, seq, p, len, seg->frame);
	if (r == TERN_OOO_FULL && tern_ooo__prune(&s->ooo, &c->ooo, seq, release, ctx)) {
		TERN_MIB_INC(s, OfoPruned);
		r = tern_ooo__insert(&s->ooo, &c->ooo, max, seq, p, len, seg->frame);
	}
	if (r == TERN_OOO_QUEUED) {
		TERN_MIB_INC(s, TCPOFOQueue);
		tern_mem_update(s);
		return 1;
	}
	if (r == TERN_OOO_FULL)
		TERN_MIB_INC(s, TCPOFODrop);
	return 0;
}

/*
 * Beyond RCV.NXT: keep the payload by reference, ACK at once with SACK.
 * Only what lies inside the advertised window is kept, so that every
 * queued byte fits the application's receive credit once it is in order.
 * A FIN inside the window is kept as a marker after the data and takes
 * effect when the hole fills (Linux keeps it on the ofo skb; tcp_ofo_queue
 * then calls tcp_fin).
 */
static int out_of_order(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
			uint32_t seq, const uint8_t *p, uint32_t len, int fin, uint64_t now,
			struct tern_out *out)
{
	uint32_t edge = tern_rcv_edge(s, c);
	int kept = 0;

	if (!tern_seq_lt(seq, edge))
		len = 0;
	else if (tern_seq_gt(seq + len, edge))
		len = edge - seq;
	if (len != seg->len - (seq - seg->seq))
		fin = 0; /* the data was cut at the edge: the FIN lies beyond */
	if (len)
		kept = ooo_data(s, c, seg, seq, p, len);
	if (fin && tern_ooo__insert_fin(&s->ooo, &c->ooo, s->cfg.ooo_per_conn, seq + len) ==
			   TERN_OOO_FULL)
		TERN_MIB_INC(s, TCPOFODrop);
	tern_conn_ack_now(s, c, now, out);
	return kept;
}

/* In order at RCV.NXT: deliver, then whatever the queue now holds in order. */
static void in_order(struct tern_stack *s, struct tern_conn *c, const uint8_t *p, uint32_t len,
		     int fin, uint64_t now, struct tern_out *out)
{
	void *ctx[2] = { s, c };
	int filled = 0, trimmed = 0;

	if (len && tern_conn_rcv_mem_full(s, c)) {
		/* tcp_data_queue(): tcp_try_rmem_schedule() failed. The
		 * peer retransmits; the ACK says what is missing. */
		TERN_MIB_INC(s, TCPRcvQDrop);
		tern_conn_ack_now(s, c, now, out);
		return;
	}
	if (len > c->rcv_credit) {
		/* Beyond what the application can take: not received (the
		 * peer retransmits once the window opens); ACK at once.
		 * tcp_data_queue() counts TCPZeroWindowDrop only with the
		 * window at zero; tern: with credit left it takes the credit's
		 * worth (Linux would queue the whole segment, its buffer is not
		 * the application's) and counts the trim as InRcvCreditTrim. */
		if (c->rcv_credit)
			TERN_MIB_INC(s, InRcvCreditTrim);
		else
			TERN_MIB_INC(s, TCPZeroWindowDrop);
		len = c->rcv_credit;
		fin = 0;
		trimmed = 1;
	}
	if (len) {
		/* tern: the application gets the in-order bytes before the
		 * out-of-order queue behind them is merged (each part is lent
		 * from its own frame, in order), so a reply it sends from the
		 * data callback ACKs this segment only and still SACKs the
		 * queue; the ACK of the merged data follows at once. Linux
		 * merges first (tcp_data_queue() then tcp_ofo_queue()) and its
		 * reader wakes after both (tests/net/datapath.py, ooo_sack). */
		c->rcv_nxt += len;
		deliver(ctx, p, len);
		if (!c->in_use)
			return;
	}
	if (c->ooo.n && !fin) {
		filled = tern_ooo__drain(&s->ooo, &c->ooo, &c->rcv_nxt, &fin, deliver, release,
					 ctx) > 0;
		if (!c->in_use)
			return;
	}
	if (c->rcv_credit == TERN_RCV_UNLIMITED)
		tern_conn_rcv_space_adjust(s, c, now); /* consumed on delivery */
	if (fin) {
		/* tcp_fin(): nothing after the FIN is ever delivered. */
		tern_ooo__purge(&s->ooo, &c->ooo, release, ctx);
		/* ACK first: entering TIME-WAIT frees the record. */
		c->rcv_nxt++;
		tern_conn_ack_now(s, c, now, out);
		tern_conn_peer_fin(s, c, now);
		return;
	}
	if (filled || c->ooo.n || trimmed)
		tern_conn_ack_now(s, c, now, out); /* hole filled, or window full: at once */
	else
		schedule_ack(s, c, now, out);
}

int tern_conn_recv(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		   uint64_t now, struct tern_out *out)
{
	uint32_t seq = seg->seq, len = seg->len;
	const uint8_t *p = seg->payload;
	int fin = !!(seg->flags & TERN_TH_FIN);

	if (!len && !fin)
		return 0;
	if (!tern_seq_gt(seq + len + fin, c->rcv_nxt) || fin_received(c)) {
		/* A retransmission (or data after the peer's FIN, which
		 * Linux drops): re-ACK what is old, ignore what is new. */
		if (tern_seq_lt(seq, c->rcv_nxt)) {
			c->quick = c->quick < 2 ? 2 : c->quick;
			tern_conn_ack_now(s, c, now, out);
		}
		return 0;
	}
	if ((c->flags & TERN_CF_RCV_SHUT) && len && tern_seq_gt(seq + len, c->rcv_nxt)) {
		/* Data after the application closed: RFC 2525 2.17, Linux
		 * TCPAbortOnData; the RST answers the segment (SEQ=SEG.ACK, as
		 * tcp_v4_send_reset) so that it matches the peer's RCV.NXT. */
		TERN_MIB_INC(s, TCPAbortOnData);
		tern_emit_cancel_data(s, c, out); /* the ACK's retransmissions */
		tern_emit_reset(s, seg, out);
		tern_conn_free(s, c, TERN_CLOSE_ABORT);
		return 0;
	}
	if (tern_seq_lt(seq, c->rcv_nxt)) {
		uint32_t dup = c->rcv_nxt - seq;

		p += dup;
		len -= dup;
		seq = c->rcv_nxt;
	}
	if (seq != c->rcv_nxt)
		return out_of_order(s, c, seg, seq, p, len, fin, now, out);
	in_order(s, c, p, len, fin, now, out);
	return 0;
}
