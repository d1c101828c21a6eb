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

	if (s->ops && s->ops->data && !(c->flags & TERN_CF_RCV_SHUT))
		s->ops->data(s->app_ctx, c, p, len);
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

/* Has the peer's FIN been received (no more data is accepted)? */
static int fin_received(const struct tern_conn *c)
{
	return c->state == TERN_CLOSE_WAIT || c->state == TERN_CLOSING ||
	       c->state == TERN_LAST_ACK || c->state == TERN_TIME_WAIT;
}

/* Beyond RCV.NXT: keep the payload by reference, ACK at once with SACK. */
static int out_of_order(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
			uint32_t seq, const uint8_t *p, uint32_t len, uint64_t now,
			struct tern_out *out)
{
	int kept = 0;

	if (len) {
		int r = tern_ooo__insert(&s->ooo, &c->ooo, s->cfg.ooo_per_conn, seq, p, len,
					 seg->frame);

		if (r == TERN_OOO_QUEUED) {
			TERN_MIB_INC(s, TCPOFOQueue);
			kept = 1;
		} else if (r == TERN_OOO_FULL) {
			TERN_MIB_INC(s, TCPOFODrop);
		}
	}
	tern_conn_ack_now(s, c, now, out);
	return kept;
}

/* In order at RCV.NXT: deliver, then whatever the queue now holds in order. */
static void in_order(struct tern_stack *s, struct tern_conn *c, const uint8_t *p, uint32_t len,
		     int fin, uint64_t now, struct tern_out *out)
{
	void *ctx[2] = { s, c };
	int filled = 0;

	if (len) {
		c->rcv_nxt += len;
		deliver(ctx, p, len);
		if (!c->in_use)
			return;
	}
	if (c->ooo.n && !fin) {
		filled = tern_ooo__drain(&s->ooo, &c->ooo, &c->rcv_nxt, deliver, release, ctx) > 0;
		if (!c->in_use)
			return;
	}
	if (fin) {
		/* ACK first: entering TIME-WAIT frees the record. */
		c->rcv_nxt++;
		tern_conn_ack_now(s, c, now, out);
		tern_conn_peer_fin(s, c, now);
		return;
	}
	if (filled || c->ooo.n)
		tern_conn_ack_now(s, c, now, out); /* hole (partly) filled: tell at once */
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
		return out_of_order(s, c, seg, seq, p, len, now, out);
	in_order(s, c, p, len, fin, now, out);
	return 0;
}
