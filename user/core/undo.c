// SPDX-License-Identifier: BSD-2-Clause
/*
 * Undo of a spurious loss episode (Linux tcp_input.c): when D-SACKs show
 * that every retransmission was a duplicate (tcp_try_undo_dsack), or the
 * ACK's timestamp echo shows that it acknowledges an original sent before
 * the first retransmission (Eifel, RFC 3522: tcp_packet_delayed), cwnd
 * and ssthresh go back to what they were (tcp_undo_cwnd_reduction,
 * through the algorithm's undo in cc.c).
 *
 * After an RTO, F-RTO (RFC 5682, frto.c) undoes the episode when an
 * original that was never resent is delivered (tcp_try_undo_loss with
 * frto_undo).
 *
 * tern: only connections with SACK and RACK records undo (Linux undoes
 * NewReno's by timestamps too; see tern_undo_init), and only they run
 * F-RTO (Linux's runs without SACK too).
 */
#include "stack.h"

/* tcp_current_ssthresh() */
static uint32_t current_ssthresh(const struct tern_conn *c)
{
	uint32_t w = (c->cwnd >> 1) + (c->cwnd >> 2);

	if (c->flags & TERN_CF_RECOVERY)
		return c->ssthresh;
	return c->ssthresh > w ? c->ssthresh : w;
}

/*
 * tcp_init_undo() with the prior window (tcp_enter_recovery /
 * tcp_enter_loss), before the algorithm lowers ssthresh.
 *
 * tern: only a connection with RACK records undoes. Linux raises its
 * DupThresh (tp->reordering) when an undo shows reordering; tern's is
 * fixed at 3, so after an undo the restored window took the same
 * reordering for loss again at once (the simulation's reordering case
 * resent 118-202 segments for none lost, against 11-19 without undo).
 */
void tern_undo_init(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_rack *r = tern_conn_rack(s, c);

	r->undo_on = !!tern_rack_on(s, c);
	r->undo_marker = c->snd_una;
	r->undo_retrans = -1;
	r->retrans_ts = 0;
	r->prior_cwnd = c->cwnd;
	r->prior_ssthresh = current_ssthresh(c);
}

/* tcp_simple_retransmit(): a path MTU drop is no congestion to undo. */
void tern_undo_clear(struct tern_stack *s, struct tern_conn *c)
{
	tern_conn_rack(s, c)->undo_on = 0;
}

/* __tcp_retransmit_skb(): count what is resent in the episode, and when
 * it began (retrans_stamp, as our TSval). */
void tern_undo_retransmitted(struct tern_stack *s, struct tern_conn *c, uint32_t len,
			     uint64_t now)
{
	struct tern_rack *r = tern_conn_rack(s, c);

	if (!r->retrans_ts) {
		r->retrans_ts = tern_ms(now) + c->ts_off;
		r->retrans_ts += !r->retrans_ts; /* 0: none */
	}
	if (!r->undo_on)
		return;
	if (r->undo_retrans < 0)
		r->undo_retrans = 0;
	r->undo_retrans += (int32_t)((len + c->mss - 1) / c->mss);
}

/* tcp_sacktag_one() for a D-SACK above undo_marker: one retransmission
 * fewer that may have been needed. */
void tern_undo_dsack_seen(struct tern_stack *s, struct tern_conn *c, const struct tern_sack_blk *b)
{
	struct tern_rack *r = tern_conn_rack(s, c);
	int32_t segs = (int32_t)((b->end - b->start + c->mss - 1) / c->mss);

	if (!r->undo_on || r->undo_retrans <= 0 || !tern_seq_gt(b->end, r->undo_marker))
		return;
	r->undo_retrans = r->undo_retrans > segs ? r->undo_retrans - segs : 0;
}

/* tcp_packet_delayed(): the ACK echoes a TSval older than the first
 * retransmission, so it is for an original. */
static int packet_delayed(const struct tern_conn *c, const struct tern_rack *r)
{
	return (c->optf & TERN_NEG_TS) && r->retrans_ts && r->tsecr &&
	       tern_seq_lt(r->tsecr, r->retrans_ts);
}

/* tcp_may_undo() */
static int may_undo(const struct tern_conn *c, const struct tern_rack *r)
{
	return r->undo_on && (!r->undo_retrans || packet_delayed(c, r));
}

/* tcp_undo_cwnd_reduction(): the prior window through the algorithm, the
 * prior ssthresh if higher (none once the episode's undo data is gone:
 * tern_undo_clear); the episode ends (tcp_set_ca_state Open). */
static void undo(struct tern_stack *s, struct tern_conn *c, int unmark_loss)
{
	struct tern_rack *r = tern_conn_rack(s, c);

	if (unmark_loss && tern_rack_on(s, c))
		tern_rack_unmark_lost(s, c);
	if (r->undo_on) {
		tern_cc__undo(s, c, r->prior_cwnd);
		if (r->prior_ssthresh > c->ssthresh)
			c->ssthresh = r->prior_ssthresh;
	}
	r->undo_on = 0;
	c->flags &= ~TERN_CF_RECOVERY;
	tern_conn_xmit(s, c)->loss = 0;
}

/* tcp_try_undo_recovery(): SND.UNA reached the recovery point of a
 * recovery (TCPFullUndo) or an RTO (TCPLossUndo). Returns 1 if undone. */
int tern_undo_recovery(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_rack *r = tern_conn_rack(s, c);
	int loss = tern_conn_xmit(s, c)->loss;

	if (!may_undo(c, r)) {
		if (r->reo_persist)
			r->reo_persist--;
		return 0;
	}
	undo(s, c, 0);
	if (loss)
		TERN_MIB_INC(s, TCPLossUndo);
	else
		TERN_MIB_INC(s, TCPFullUndo);
	return 1;
}

/* tcp_try_undo_partial(): a partial ACK in recovery for an original. With
 * resent segments still out, nothing more is marked or resent (returns 1,
 * as Linux); with none, undo (TCPPartialUndo). */
int tern_undo_partial(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_rack *r = tern_conn_rack(s, c);

	if (!r->undo_on || !packet_delayed(c, r) || !tern_rack_on(s, c))
		return 0;
	r->reord_seen = 1; /* tcp_check_sack_reordering() */
	if (tern_rack_in_flight(s, c, 1))
		return 1;
	undo(s, c, 1);
	TERN_MIB_INC(s, TCPPartialUndo);
	return 0;
}

/* tcp_try_undo_dsack(): D-SACKs cover every retransmission (TCPDSACKUndo). */
int tern_undo_dsack(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_rack *r = tern_conn_rack(s, c);

	if (!r->undo_on || r->undo_retrans)
		return 0;
	if (r->reo_persist < TERN_RACK_RECOVERY_THRESH)
		r->reo_persist++;
	undo(s, c, 0);
	TERN_MIB_INC(s, TCPDSACKUndo);
	return 1;
}

/* tcp_try_undo_loss() on an ACK of new data after an RTO (TCPLossUndo). */
int tern_undo_loss(struct tern_stack *s, struct tern_conn *c)
{
	if (!may_undo(c, tern_conn_rack(s, c)))
		return 0;
	undo(s, c, 1);
	TERN_MIB_INC(s, TCPLossUndo);
	return 1;
}

/* tcp_try_undo_loss(frto_undo): F-RTO found the RTO spurious, whatever
 * the retransmissions say (TCPLossUndo, TCPSpuriousRTOs); the timeouts
 * count from zero again (icsk_retransmits). */
void tern_undo_frto(struct tern_stack *s, struct tern_conn *c)
{
	undo(s, c, 1);
	c->retries = 0;
	TERN_MIB_INC(s, TCPLossUndo);
	TERN_MIB_INC(s, TCPSpuriousRTOs);
}
