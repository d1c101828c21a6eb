// SPDX-License-Identifier: BSD-2-Clause
/*
 * What an acknowledgment of our data does (tcp_ack): an RTT sample
 * (rtt.c), the acknowledged bytes leave the send queue, the congestion
 * window grows through the algorithm (cc.h), and duplicate ACKs drive
 * NewReno fast retransmit and recovery (RFC 6582, RFC 5681 3.2).
 */
#include "stack.h"

static uint32_t flight(const struct tern_conn *c)
{
	return c->snd_max - c->snd_una;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* RFC 6582 3.2 step 3: a full ACK ends recovery with the window deflated
 * to min(ssthresh, flight + MSS); a partial ACK retransmits the next hole
 * and deflates by what it acknowledged. */
static void recovery_on_ack(struct tern_stack *s, struct tern_conn *c, uint32_t acked,
			    uint64_t now, struct tern_out *out)
{
	int own = !tern_cc__has_control(s); /* else cong_control sets cwnd */

	if (tern_seq_ge(c->snd_una, c->recover)) {
		c->flags &= ~TERN_CF_RECOVERY; /* full ACK */
		if (own)
			c->cwnd = min32(c->ssthresh, flight(c) + c->mss);
		return;
	}
	tern_conn_retransmit_head(s, c, now, out); /* partial ACK */
	if (own)
		c->cwnd = (c->cwnd > acked ? c->cwnd - acked : 0) + (acked >= c->mss ? c->mss : 0);
}

/* An ACK's SACK part after its input: recovery (sack.c), and in recovery
 * the window by PRR (tcp_cong_control() -> tcp_cwnd_reduction()) from
 * the bytes newly ACKed or SACKed (sacked: the scoreboard's before it). */
static void sack_recover(struct tern_stack *s, struct tern_conn *c, uint32_t acked,
			 uint32_t sacked, int dup, uint64_t now, struct tern_out *out)
{
	int64_t delivered = (int64_t)acked + tern_conn_xmit(s, c)->sacked - sacked;

	tern_sack_acked(s, c, acked, dup, now, out);
	if ((c->flags & TERN_CF_RECOVERY) && delivered > 0 && !tern_cc__has_control(s))
		tern_prr__on_ack(s, c, (uint32_t)delivered, acked != 0);
}

/* An ACK without new data acknowledged, with SACK: the scoreboard and
 * records, a SACK RTT sample, recovery. dup: a duplicate ACK (RFC 5681
 * 2), which F-RTO reads. */
static void sack_ack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		     int dup, struct tern_rack_rtt *m, uint64_t now, struct tern_out *out)
{
	uint32_t sacked = tern_conn_xmit(s, c)->sacked;

	tern_sack_input(s, c, seg, m);
	tern_conn_rtt_ack(s, c, seg, m, 0, now);
	sack_recover(s, c, 0, sacked, dup, now, out);
}

/* RFC 5681 3.2 / RFC 6582 3.2 steps 1-2 for a duplicate ACK; with SACK
 * the scoreboard decides (sack.c). */
static void on_dupack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		      struct tern_rack_rtt *m, uint64_t now, struct tern_out *out)
{
	if (c->dupacks < UINT8_MAX)
		c->dupacks++;
	if (tern_conn_sack_on(c)) {
		sack_ack(s, c, seg, 1, m, now, out);
		return;
	}
	if (c->flags & TERN_CF_RECOVERY) {
		if (!tern_cc__has_control(s))
			c->cwnd += c->mss;
		return;
	}
	if (c->dupacks != 3 || !tern_seq_gt(c->snd_una, c->recover))
		return;
	tern_cc__on_loss(s, c, TERN_CC_LOSS_RECOVERY);
	c->recover = c->snd_max;
	c->flags |= TERN_CF_RECOVERY;
	c->flags &= ~TERN_CF_RTT;
	TERN_MIB_INC(s, TCPRenoRecovery);
	TERN_MIB_INC(s, TCPFastRetrans);
	tern_conn_retransmit_head(s, c, now, out);
	if (!tern_cc__has_control(s))
		c->cwnd = c->ssthresh + 3u * c->mss;
}

static void new_ack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		    struct tern_rack_rtt *m, uint64_t now, struct tern_out *out)
{
	uint32_t end = c->snd_una + c->sq_bytes, acked = seg->ack - c->snd_una, data = acked;
	uint32_t sacked = tern_conn_xmit(s, c)->sacked;
	/* The send buffer limited the application (SOCK_NOSPACE): a full
	 * queue, or a refused send. */
	int nospace = (c->flags & TERN_CF_WANT_WRITE) ||
		      c->sq_bytes + c->mss > tern_conn_use(s, c)->snd_buf;
	int fin_acked = 0;

	if ((c->flags & TERN_CF_FIN_SENT) && tern_seq_gt(seg->ack, end)) {
		fin_acked = 1;
		data = end - c->snd_una;
	}
	tern_conn_sq_consume(s, c, data);
	c->snd_una = seg->ack;
	/* the blocks and records first: the samples come from the segments
	 * delivered (tcp_sacktag_write_queue, tcp_clean_rtx_queue), and
	 * after snd_una moved (tcp_rtt_estimator's window) */
	if (tern_conn_sack_on(c))
		tern_sack_input(s, c, seg, m);
	tern_conn_rtt_ack(s, c, seg, m, acked, now);
	if (tern_seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	c->bytes_acked = c->bytes_acked + acked < c->bytes_acked ? UINT32_MAX
								: c->bytes_acked + acked;
	c->retries = 0;
	c->dupacks = 0;
	c->una_since = tern_ms(now);
	c->rto_at = c->snd_una == c->snd_max ? 0 : tern_deadline(now, tern_conn_rto_arm(s, c, now));
	tern_conn_xmit(s, c)->pto = 0;
	tern_conn_rack(s, c)->reo_armed = 0;
	if (tern_conn_sack_on(c)) {
		sack_recover(s, c, acked, sacked, 0, now, out);
		tern_sack_schedule_probe(s, c, now);
	} else if (c->flags & TERN_CF_RECOVERY) {
		recovery_on_ack(s, c, acked, now, out);
	} else {
		tern_cc__on_ack(s, c, acked, tern_ms(now));
	}
	if (nospace)
		tern_conn_sndbuf_expand(s, c); /* tcp_check_space() -> tcp_new_space() */
	if (data && s->ops && s->ops->acked)
		s->ops->acked(s->app_ctx, c, data);
	if (fin_acked && c->in_use)
		tern_conn_fin_acked(s, c, now);
}

/* The peer's ACK field, once the segment is acceptable: new data
 * acknowledged, or a duplicate ACK (RFC 5681 2), or nothing; then the
 * ACK's rate sample to an algorithm with cong_control (rate.c). */
void tern_conn_acked(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		     int win_changed, uint64_t now, struct tern_out *out)
{
	struct tern_rack_rtt m = TERN_RACK_RTT_NONE;
	struct tern_rate_prior prior = { 0 };

	tern_rate_begin(s, c, &prior);
	if (c->flags & TERN_CF_PROBING) {
		c->retries = 0; /* the peer answers: keep probing (tcp_ack) */
		if (c->snd_wnd) {
			/* tcp_ack_probe(): the window opened; the RTO takes over */
			c->flags &= ~TERN_CF_PROBING;
			c->backoff = 0;
			c->rto_at = 0;
			tern_conn_xmit(s, c)->pto = 0;
			tern_conn_rack(s, c)->reo_armed = 0;
		}
	}
	if (tern_seq_gt(seg->ack, c->snd_una)) {
		new_ack(s, c, seg, &m, now, out);
	} else if (seg->ack == c->snd_una && c->snd_una != c->snd_max && !seg->len &&
		   !(seg->flags & (TERN_TH_SYN | TERN_TH_FIN)) && !win_changed) {
		on_dupack(s, c, seg, &m, now, out);
	} else if (tern_conn_sack_on(c) && seg->ack == c->snd_una && c->snd_una != c->snd_max) {
		sack_ack(s, c, seg, 0, &m, now, out); /* SACK blocks on data or a window update */
	}
	if (tern_seq_ge(seg->ack, prior.una))
		tern_rate_ack(s, c, &prior, &m);
	if (c->in_use && (c->flags & TERN_CF_WANT_WRITE) &&
	    c->sq_bytes < tern_conn_use(s, c)->snd_buf) {
		c->flags &= ~TERN_CF_WANT_WRITE;
		if (s->ops && s->ops->writable)
			s->ops->writable(s->app_ctx, c);
	}
}
