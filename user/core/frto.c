// SPDX-License-Identifier: BSD-2-Clause
/*
 * F-RTO (RFC 5682 3.1, the SACK-enhanced algorithm as Linux 6.x runs it:
 * tcp_enter_loss() sets tp->frto, tcp_process_loss() and
 * tcp_xmit_recovery() act on it). After an RTO has marked every unSACKed
 * segment lost and resent the first:
 *
 *  - an ACK that delivers (ACKs or SACKs) an original sent before the RTO
 *    and never resent shows the timeout was spurious: the episode is
 *    undone, nothing more is resent (step 3b; undo.c);
 *  - the first ACK that advances SND.UNA without that moves the recovery
 *    point to SND.MAX and sends new data instead of resending (step 2b);
 *  - an ACK after that which SACKs data anew, or a duplicate ACK that
 *    carries no D-SACK, shows the loss was real: recovery resends what is
 *    lost (step 3a).
 *
 * The records (rack.h) tell an original from a resent segment
 * (TERN_RSEG_EVER), so F-RTO starts only on a connection that has them;
 * one that gives them back meanwhile sees no original delivered, and
 * undoes nothing (by F-RTO). tern: Linux runs it without SACK too; see
 * undo.c.
 */
#include "stack.h"

/* tcp_enter_loss(): F-RTO unless the RTO ends a fast recovery or
 * recovery after an earlier RTO, except for timeouts that recur on the
 * same SND.UNA (RFC 5682 3.2). tern has no path MTU probing, Linux's
 * other exception. Call before the RTO changes the state. */
int tern_frto_may(const struct tern_stack *s, const struct tern_conn *c)
{
	int new_recovery = !(c->flags & TERN_CF_RECOVERY) && !tern_conn_xmit(s, c)->loss;

	return s->cfg.frto && tern_rack_on(s, c) && (new_recovery || c->retries);
}

/* tcp_process_loss()'s "Try send new data": data is queued past SND.MAX
 * and the peer's window takes some (tcp_write_queue_empty, tcp_wnd_end).
 * tern: data only; our FIN alone left to send ends F-RTO (Linux sends
 * it as the new segment). */
static int new_data_fits(const struct tern_conn *c)
{
	return tern_seq_lt(c->snd_max, c->snd_una + c->sq_bytes) &&
	       tern_seq_lt(c->snd_max, c->snd_una + c->snd_wnd);
}

/*
 * tcp_process_loss() for an ACK in RTO recovery, before the episode's end
 * is checked: the undo by timestamps comes first (tcp_try_undo_loss
 * without frto_undo), then F-RTO. bytes: newly ACKed; dup: a duplicate
 * ACK. Once the episode is undone, the ACK goes on as in the open state.
 */
void tern_frto_ack(struct tern_stack *s, struct tern_conn *c, uint32_t bytes, int dup)
{
	struct tern_rack *r = tern_conn_rack(s, c);

	if (!r->frto || (bytes && tern_undo_loss(s, c)))
		return;
	if (r->ack_orig) { /* step 3b */
		tern_undo_frto(s, c);
		return;
	}
	if (tern_seq_gt(c->snd_max, c->recover)) {
		if (r->ack_sacked || (dup && !r->ack_dsack))
			r->frto = 0; /* step 3a */
	} else if (bytes && tern_seq_lt(c->snd_una, c->recover)) {
		c->recover = c->snd_max; /* step 2b */
		if (new_data_fits(c))
			r->frto_new = 1;
		else
			r->frto = 0;
	}
}

/* tcp_xmit_recovery(REXMIT_NEW): after step 2b, new data as cwnd and the
 * peer's window allow, nothing resent. If none could go, F-RTO ends and
 * recovery resends (returns 0). */
int tern_frto_output(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		     struct tern_out *out)
{
	struct tern_rack *r = tern_conn_rack(s, c);

	if (!r->frto_new)
		return 0;
	r->frto_new = 0;
	while ((uint64_t)tern_sack_pipe(s, c) + c->mss <= c->cwnd &&
	       tern_conn_send_new(s, c, now, out))
		;
	if (tern_seq_gt(c->snd_max, c->recover))
		return 1;
	r->frto = 0;
	return 0;
}
