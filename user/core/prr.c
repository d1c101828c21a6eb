// SPDX-License-Identifier: BSD-2-Clause
/*
 * Proportional Rate Reduction (RFC 6937) as Linux's
 * tcp_init_cwnd_reduction() / tcp_cwnd_reduction(): in SACK recovery
 * cwnd does not drop to ssthresh at once; every ACK lets out data in
 * proportion to what the peer reports delivered (prr_delivered), so that
 * the window comes down to ssthresh over one round trip, and while the
 * pipe is below ssthresh it grows back toward it no faster than slow
 * start (PRR-SSRB). Counted in bytes, where Linux counts segments.
 * Recovery ends at ssthresh (tcp_end_cwnd_reduction, sack.c).
 */
#include "stack.h"

/* tcp_init_cwnd_reduction(): ssthresh is already the algorithm's. */
void tern_prr__init(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);

	x->prior_cwnd = c->cwnd;
	x->prr_delivered = 0;
	x->prr_out = 0;
}

/* Data went out in recovery: Linux's prr_out (tcp_event_data_sent /
 * tcp_retransmit_skb count it while not in TCP_CA_Open). */
void tern_prr__sent(struct tern_stack *s, struct tern_conn *c, uint32_t bytes)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);

	if (!(c->flags & TERN_CF_RECOVERY) || !tern_conn_sack_on(c))
		return;
	x->prr_out = x->prr_out + bytes < x->prr_out ? UINT32_MAX : x->prr_out + bytes;
}

/*
 * tcp_cwnd_reduction(): an ACK in recovery reported `delivered` new
 * bytes (cumulatively ACKed or SACKed). Above ssthresh, send
 * ceil(ssthresh x prr_delivered / prior_cwnd) - prr_out (RFC 6937 3);
 * at or below it, what was delivered and not yet answered, at least this
 * ACK's delivery, plus one MSS when SND.UNA moved (Linux's PRR-SSRB),
 * never past ssthresh. The first ACK always lets the fast retransmit
 * out. tern: Linux skips the extra MSS when this ACK marked new losses;
 * tern does not count those.
 */
void tern_prr__on_ack(struct tern_stack *s, struct tern_conn *c, uint32_t delivered,
		      int una_moved)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);
	int64_t pipe = tern_sack_pipe(s, c), delta = (int64_t)c->ssthresh - pipe, sndcnt;

	if (!delivered || !x->prior_cwnd)
		return;
	x->prr_delivered = x->prr_delivered + delivered < x->prr_delivered
				   ? UINT32_MAX : x->prr_delivered + delivered;
	if (delta < 0) {
		uint64_t d = (uint64_t)c->ssthresh * x->prr_delivered + x->prior_cwnd - 1;

		sndcnt = (int64_t)(d / x->prior_cwnd) - x->prr_out;
	} else {
		sndcnt = (int64_t)x->prr_delivered - x->prr_out;
		if (sndcnt < delivered)
			sndcnt = delivered;
		if (una_moved)
			sndcnt += c->mss;
		if (sndcnt > delta)
			sndcnt = delta;
	}
	if (!x->prr_out && sndcnt < c->mss)
		sndcnt = c->mss;
	sndcnt += pipe;
	c->cwnd = sndcnt < c->mss ? c->mss : sndcnt > UINT32_MAX ? UINT32_MAX : (uint32_t)sndcnt;
}
