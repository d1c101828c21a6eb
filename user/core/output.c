// SPDX-License-Identifier: BSD-2-Clause
/*
 * Send side of a connection: segmentation of the send queue (sendq.c)
 * within the peer's MSS, its window and the congestion window (cc.h), the
 * retransmission timeout with exponential backoff (rtt.c computes it), and
 * zero-window probes. ACKs of our data are ack.c's. Retransmission after
 * an RTO is go-back-N from SND.UNA: snd_nxt rewinds, snd_max remembers the
 * highest sequence sent.
 */
#include "stack.h"

static uint32_t flight(const struct tern_conn *c)
{
	return c->snd_max - c->snd_una;
}

/* tcp_acceptable_seq(): SND.NXT, or the window's right edge when the peer
 * shrank its window below what we already sent (with Linux's allowance
 * for window-scale rounding). */
uint32_t tern_conn_acceptable_seq(const struct tern_conn *c)
{
	uint32_t wnd_end = c->snd_una + c->snd_wnd;

	if (tern_seq_ge(wnd_end, c->snd_max) ||
	    ((c->optf & TERN_NEG_WS) && c->snd_max - wnd_end < (1u << c->rcv_wscale)))
		return c->snd_max;
	return wnd_end;
}

static uint32_t data_end(const struct tern_conn *c)
{
	return c->snd_una + c->sq_bytes;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * The payload that fits a segment now: the MSS (timestamps already taken
 * off) less the SACK option while out-of-order data makes us send blocks
 * (tcp_current_mss). Counted for as many blocks as could be sent.
 */
static uint32_t current_mss(const struct tern_conn *c)
{
	uint32_t max = c->optf & TERN_NEG_TS ? 3 : 4, n = c->ooo.n < max ? c->ooo.n : max;

	if (!(c->optf & TERN_NEG_SACK) || !n)
		return c->mss;
	return c->mss - (4 + 8 * n);
}

/* The FIN rides on the segment that carries the last queued byte when the
 * application has closed, and the window takes it (tcp_send_fin() sets
 * FIN on the unsent tail skb; tcp_snd_wnd_test() counts it in end_seq). */
static uint8_t fin_rides(const struct tern_conn *c, uint32_t seg_end, uint32_t end)
{
	/* FIN-WAIT-2 is the only live state whose FIN is acknowledged (then
	 * snd_una is past it and end would point after it). */
	if (!(c->flags & TERN_CF_FIN_QUEUED) || c->state == TERN_FIN_WAIT_2 || seg_end != end ||
	    tern_seq_gt(end + 1, c->snd_una + c->snd_wnd))
		return 0;
	return TERN_TH_FIN;
}

static void fin_sent(struct tern_stack *s, struct tern_conn *c, uint64_t now)
{
	c->flags |= TERN_CF_FIN_SENT;
	tern_rack_fin_sent(s, c, now);
}

/* Send one data segment at snd_nxt, or the FIN. Returns 0 when no more can
 * go out now. */
static int send_one(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out)
{
	uint32_t end = data_end(c), wnd_end = c->snd_una + min32(c->snd_wnd, c->cwnd);
	uint32_t len, avail, mss = current_mss(c);
	const uint8_t *p;
	uint8_t fin;

	if (tern_seq_ge(c->snd_nxt, end)) {
		if (c->snd_nxt != end || !fin_rides(c, end, end))
			return 0; /* the FIN alone: nothing queued when it came */
		if (!tern_emit_conn_seg(s, c, end, TERN_TH_FIN | TERN_TH_ACK, NULL, 0, now, out))
			return 0;
		if (c->flags & TERN_CF_FIN_SENT)
			TERN_MIB_INC(s, RetransSegs);
		fin_sent(s, c, now);
		c->snd_nxt = end + 1;
		return 1;
	}
	if (tern_seq_ge(c->snd_nxt, wnd_end))
		return 0;
	p = tern_conn_sq_at(s, c, c->snd_nxt, TERN_SQ_CUR_NXT, &avail);
	len = min32(min32(mss, avail), min32(end - c->snd_nxt, wnd_end - c->snd_nxt));
	if (tern_conn_sws_hold(c, len, avail, mss)) /* sws.c */
		return 0;
	fin = fin_rides(c, c->snd_nxt + len, end);
	if (!tern_emit_conn_seg(s, c, c->snd_nxt,
				TERN_TH_ACK | (c->snd_nxt + len == end ? TERN_TH_PSH : 0) | fin, p,
				len, now, out))
		return 0;
	tern_rack_sent(s, c, c->snd_nxt, len, now);
	if (tern_seq_lt(c->snd_nxt, c->snd_max))
		TERN_MIB_INC(s, RetransSegs);
	else if (!(c->optf & TERN_NEG_TS) && !(c->flags & TERN_CF_RTT)) {
		c->flags |= TERN_CF_RTT;
		c->rtt_seq = c->snd_nxt;
		c->rtt_ms = tern_ms(now);
	}
	c->snd_nxt += len;
	if (fin) {
		fin_sent(s, c, now);
		c->snd_nxt++;
	}
	return 1;
}

/* Resend [seq, seq + max) from the scoreboard or RACK. Where our FIN
 * rode on the last segment it goes again with it (tcp_retransmit_skb()
 * resends the skb, FIN included), so a lost FIN does not wait for the
 * RTO behind its data; a FIN still missing after that goes on its own
 * (tern_conn_send_fin). */
uint32_t tern_conn_send_range(struct tern_stack *s, struct tern_conn *c, uint32_t seq,
			      uint32_t max, uint64_t now, struct tern_out *out)
{
	uint32_t end = data_end(c), avail, len;
	const uint8_t *p;
	uint8_t fin;

	if (!tern_seq_lt(seq, end) || tern_seq_lt(seq, c->snd_una))
		return 0;
	p = tern_conn_sq_at(s, c, seq, TERN_SQ_CUR_RXT, &avail);
	len = min32(min32(max, current_mss(c)), min32(avail, end - seq));
	fin = (c->flags & TERN_CF_FIN_SENT) && seq + len == end ? TERN_TH_FIN : 0;
	if (!len || !tern_emit_conn_seg(s, c, seq, TERN_TH_ACK | (seq + len == end ? TERN_TH_PSH : 0) | fin,
					p, len, now, out))
		return 0;
	tern_rack_sent(s, c, seq, len, now);
	if (fin)
		tern_rack_fin_sent(s, c, now);
	if (tern_seq_lt(seq, c->snd_max)) {
		TERN_MIB_INC(s, RetransSegs);
		tern_undo_retransmitted(s, c, len, now);
	}
	tern_prr__sent(s, c, len);
	return len;
}

int tern_conn_send_new(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		       struct tern_out *out)
{
	uint32_t cwnd = c->cwnd;
	int sent;

	c->snd_nxt = c->snd_max;
	c->cwnd = flight(c) + c->mss; /* let exactly one segment out */
	sent = send_one(s, c, now, out);
	c->cwnd = cwnd;
	if (tern_seq_gt(c->snd_nxt, c->snd_max)) {
		tern_prr__sent(s, c, c->snd_nxt - c->snd_max);
		c->snd_max = c->snd_nxt;
	}
	return sent;
}

/* Our FIN again, at the end of the data (a loss probe's, or RACK found
 * it lost). */
int tern_conn_send_fin(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		       struct tern_out *out)
{
	if (!(c->flags & TERN_CF_FIN_SENT) ||
	    !tern_emit_conn_seg(s, c, data_end(c), TERN_TH_FIN | TERN_TH_ACK, NULL, 0, now, out))
		return 0;
	TERN_MIB_INC(s, RetransSegs);
	tern_rack_fin_sent(s, c, now);
	return 1;
}

static void arm_rto(struct tern_stack *s, struct tern_conn *c, uint64_t now)
{
	c->rto_at = tern_deadline(now, tern_conn_rto_arm(s, c, now));
	tern_conn_xmit(s, c)->pto = 0;
	tern_conn_rack(s, c)->reo_armed = 0;
}

/* Retransmit the first unacknowledged segment (fast retransmit). */
void tern_conn_retransmit_head(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			       struct tern_out *out)
{
	uint32_t nxt = c->snd_nxt, cwnd = c->cwnd;

	c->snd_nxt = c->snd_una;
	c->cwnd = flight(c) + c->mss; /* let exactly one segment out */
	send_one(s, c, now, out);
	c->cwnd = cwnd;
	if (tern_seq_gt(nxt, c->snd_nxt))
		c->snd_nxt = nxt;
}

/* tcp_write_xmit()'s is_cwnd_limited: data waits and the congestion
 * window, not the peer's, leaves no room for another full segment. */
static int cwnd_limited(const struct tern_conn *c)
{
	return tern_seq_lt(c->snd_nxt, data_end(c)) && c->cwnd <= c->snd_wnd &&
	       (uint64_t)flight(c) + c->mss > c->cwnd;
}

void tern_conn_output(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		      struct tern_out *out)
{
	uint32_t sent_from = c->snd_max, nxt_from = c->snd_nxt;

	if (c->state == TERN_SYN_SENT || c->state == TERN_TIME_WAIT)
		return;
	if (c->snd_una == c->snd_max && tern_seq_lt(c->snd_nxt, data_end(c)))
		tern_cc__before_send(s, c, tern_ms(now));
	if (tern_conn_sack_on(c) &&
	    ((c->flags & TERN_CF_RECOVERY) || tern_conn_xmit(s, c)->loss)) {
		tern_sack_output(s, c, now, out);
	} else {
		while (send_one(s, c, now, out)) {
			if (tern_seq_gt(c->snd_nxt, c->snd_max))
				c->snd_max = c->snd_nxt;
		}
	}
	if (c->snd_nxt != nxt_from || cwnd_limited(c))
		tern_cc__after_send(s, c, cwnd_limited(c), tern_ms(now));
	tern_rate_check_app_limited(s, c, tern_seq_lt(c->snd_nxt, data_end(c))
						  ? data_end(c) - c->snd_nxt : 0);
	if (c->snd_max != sent_from && sent_from == c->snd_una)
		c->una_since = tern_deadline(now, 0);
	if (c->snd_una != c->snd_max) {
		if (!c->rto_at)
			arm_rto(s, c, now);
		if (c->snd_max != sent_from)
			tern_sack_schedule_probe(s, c, now);
	} else if ((c->sq_bytes || ((c->flags & TERN_CF_FIN_QUEUED) &&
				    !(c->flags & TERN_CF_FIN_SENT))) && !c->rto_at) {
		/* Something to send, nothing in flight: the window is shut. */
		c->flags |= TERN_CF_PROBING;
		c->una_since = 0; /* the first probe starts the user timeout */
		arm_rto(s, c, now);
	}
}

static int timed_out(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		     struct tern_out *out)
{
	const struct tern_listener *l = tern_conn_listener(s, c);
	uint32_t ut = l ? l->opts.user_timeout_ms : 0;

	if (tern_conn_orphan_timeout(s, c, now, out))
		return 1;
	if (ut && c->una_since && tern_ms(now) - c->una_since >= ut) {
		TERN_MIB_INC(s, TCPAbortOnTimeout);
		tern_conn_abort_reason(s, c, TERN_CLOSE_USER_TIMEOUT, now, out);
		return 1;
	}
	if (c->retries >= s->cfg.retries) {
		TERN_MIB_INC(s, TCPAbortOnTimeout);
		tern_conn_abort_reason(s, c, TERN_CLOSE_TIMEOUT, now, out);
		return 1;
	}
	return 0;
}

/* The window is shut: a probe is a bare ACK with SEQ=SND.UNA-1
 * (tcp_xmit_probe_skb), backed off like the RTO. */
static void probe(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out)
{
	TERN_MIB_INC(s, TCPWinProbe);
	tern_emit_conn_seg(s, c, c->snd_una - 1, TERN_TH_ACK, NULL, 0, now, out);
	if (!c->una_since) /* icsk_probes_tstamp */
		c->una_since = tern_deadline(now, 0);
	c->retries++;
	if (c->backoff < 31)
		c->backoff++;
	arm_rto(s, c, now);
}

/* The retransmission (or probe) timer expired. */
void tern_conn_rto(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out)
{
	int frto;

	if (c->state == TERN_SYN_SENT)
		return tern_synsent_rto(s, c, now, out);
	if (c->snd_una == c->snd_max && !(c->flags & TERN_CF_PROBING))
		return;
	if (tern_sack_reo_timeout(s, c, now, out) || tern_sack_probe(s, c, now, out))
		return;
	if (timed_out(s, c, now, out))
		return;
	if ((c->flags & TERN_CF_PROBING) || !c->snd_wnd) {
		c->flags &= ~TERN_CF_PROBING;
		if (c->snd_wnd && c->snd_una == c->snd_max)
			return tern_conn_output(s, c, now, out); /* window opened */
		c->flags |= TERN_CF_PROBING;
		return probe(s, c, now, out);
	}
	TERN_MIB_INC(s, TCPTimeouts);
	frto = tern_frto_may(s, c);
	/* tcp_enter_loss(): ssthresh is taken once per loss episode, not
	 * again on the backed-off timeouts that follow, nor in recovery. */
	if (!c->retries && !(c->flags & TERN_CF_RECOVERY)) {
		tern_undo_init(s, c);
		tern_cc__on_loss(s, c, TERN_CC_LOSS_RTO);
	}
	c->retries++;
	c->cwnd = c->mss; /* loss window, RFC 5681 3.1 */
	c->recover = c->snd_max;
	c->flags &= ~(TERN_CF_RECOVERY | TERN_CF_RTT);
	c->dupacks = 0;
	if (c->backoff < 31)
		c->backoff++;
	if (tern_conn_sack_on(c) && tern_seq_lt(c->snd_una, data_end(c))) {
		tern_sack_enter_loss(s, c, frto); /* resend the holes only */
	} else {
		tern_conn_xmit(s, c)->loss = 0;
		c->snd_nxt = c->snd_una; /* go-back-N (or the FIN alone) */
	}
	tern_conn_output(s, c, now, out);
	arm_rto(s, c, now);
}
