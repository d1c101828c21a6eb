// SPDX-License-Identifier: BSD-2-Clause
/*
 * The peer's SACK blocks and what the sender does with them: a
 * scoreboard of SACKed ranges above SND.UNA (tcp_sacktag_write_queue,
 * with ranges instead of Linux's per-segment marks), loss recovery that
 * retransmits only what the scoreboard says is lost (RFC 6675: IsLost,
 * SetPipe, NextSeg), after an RTO too (tcp_enter_loss marks everything
 * not SACKed lost), and tail loss probes (RFC 8985 7, tcp_send_loss_probe).
 *
 * Loss is found by RACK (rack.c) while the connection has per-segment
 * records, else by RFC 6675's DupThresh rule (more than 2 x MSS SACKed
 * above a hole); either way also "everything below a delivered loss
 * probe". A spurious episode is undone (undo.c).
 */
#include "stack.h"

#define DUPTHRESH 3u /* RFC 6675 DupThresh, Linux's tcp_reordering */

int tern_conn_sack_on(const struct tern_conn *c)
{
	return !!(c->optf & TERN_NEG_SACK);
}

void tern_sack_reset(struct tern_xmit *x)
{
	x->nsack = 0;
	x->sacked = 0;
	x->loss = 0;
	x->pto = 0;
	x->tlp_high = 0;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Forget what the cumulative ACK now covers. */
static void sb_prune(struct tern_xmit *x, uint32_t una)
{
	uint32_t k = 0;

	x->sacked = 0;
	for (uint32_t i = 0; i < x->nsack; i++) {
		struct tern_sack_blk b = x->sack[i];

		if (tern_seq_le(b.end, una))
			continue;
		if (tern_seq_lt(b.start, una))
			b.start = una;
		x->sack[k++] = b;
		x->sacked += b.end - b.start;
	}
	x->nsack = (uint8_t)k;
}

/* Merge [start, end) into the sorted, disjoint ranges. */
static void sb_add(struct tern_stack *s, struct tern_xmit *x, uint32_t start, uint32_t end)
{
	struct tern_sack_blk out[TERN_SACK_RANGES + 1];
	uint32_t n = 0, i = 0;

	while (i < x->nsack && tern_seq_lt(x->sack[i].end, start))
		out[n++] = x->sack[i++];
	while (i < x->nsack && tern_seq_le(x->sack[i].start, end)) {
		if (tern_seq_lt(x->sack[i].start, start))
			start = x->sack[i].start;
		if (tern_seq_gt(x->sack[i].end, end))
			end = x->sack[i].end;
		i++;
	}
	out[n++] = (struct tern_sack_blk){ start, end };
	while (i < x->nsack)
		out[n++] = x->sack[i++];
	if (n > TERN_SACK_RANGES) {
		n = TERN_SACK_RANGES; /* the highest goes */
		TERN_MIB_INC(s, TCPSackRangesFull);
	}
	x->sacked = 0;
	for (i = 0; i < n; i++) {
		x->sack[i] = out[i];
		x->sacked += out[i].end - out[i].start;
	}
	x->nsack = (uint8_t)n;
}

/* tcp_check_dsack(): the first block below the cumulative ACK, or inside
 * the second, reports a duplicate (RFC 2883). */
static int is_dsack(const struct tern_seg *seg, uint32_t una)
{
	const struct tern_sack_blk *b = seg->opt.sack;

	if (tern_seq_lt(b[0].start, una))
		return 1;
	return seg->opt.nsack > 1 && tern_seq_ge(b[0].start, b[1].start) &&
	       tern_seq_le(b[0].end, b[1].end);
}

/* tcp_is_sackblock_valid(): inside SND.UNA..SND.MAX and not empty. */
static int block_valid(const struct tern_conn *c, const struct tern_sack_blk *b)
{
	return tern_seq_lt(b->start, b->end) && tern_seq_ge(b->start, c->snd_una) &&
	       tern_seq_le(b->end, c->snd_max);
}

/* An ACK's valid blocks from the first, in ascending order of their
 * start (tcp_sacktag_write_queue() sorts them before it walks the
 * queue): a receiver lists the block it changed last first (RFC 2018
 * 4), and a lower range tagged after a higher one of the same ACK would
 * look like a hole filled below a SACK (tcp_check_sack_reordering()).
 * Returns how many. */
static uint32_t blocks_sorted(struct tern_stack *s, const struct tern_conn *c,
			      const struct tern_seg *seg, uint32_t first,
			      struct tern_sack_blk out[TERN_MAX_SACK])
{
	uint32_t n = 0;

	for (uint32_t i = first; i < seg->opt.nsack; i++) {
		struct tern_sack_blk b = seg->opt.sack[i];
		uint32_t j = n;

		if (!block_valid(c, &b)) {
			TERN_MIB_INC(s, TCPSACKDiscard);
			continue;
		}
		for (; j > 0 && tern_seq_gt(out[j - 1].start, b.start); j--)
			out[j] = out[j - 1];
		out[j] = b;
		n++;
	}
	return n;
}

/* An ACK's SACK blocks, after SND.UNA has moved (tcp_sacktag_write_queue),
 * and the records it delivers, with their RTT samples in m. */
void tern_sack_input(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		     struct tern_rack_rtt *m)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);
	struct tern_sack_blk blk[TERN_MAX_SACK];
	uint32_t i = 0, n;

	m->prior_sacked = x->sacked != 0;
	sb_prune(x, c->snd_una);
	tern_rack_ack(s, c, seg, m);
	if (!tern_conn_sack_on(c) || !(seg->opt.present & TERN_OPT_SACK) || !seg->opt.nsack)
		return;
	if (is_dsack(seg, c->snd_una)) {
		TERN_MIB_INC(s, TCPDSACKRecv);
		tern_rack_dsack(s, c);
		tern_undo_dsack_seen(s, c, &seg->opt.sack[0]);
		i = 1;
	}
	n = blocks_sorted(s, c, seg, i, blk);
	for (i = 0; i < n; i++) {
		sb_add(s, x, blk[i].start, blk[i].end);
		tern_rack_sacked(s, c, blk[i].start, blk[i].end, m);
	}
	tern_rack_update_reo_wnd(s, c);
}

/* SACKed bytes inside [a, b). */
static uint32_t sacked_in(const struct tern_xmit *x, uint32_t a, uint32_t b)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < x->nsack; i++) {
		uint32_t lo = x->sack[i].start, hi = x->sack[i].end;

		if (tern_seq_lt(lo, a))
			lo = a;
		if (tern_seq_gt(hi, b))
			hi = b;
		if (tern_seq_lt(lo, hi))
			n += hi - lo;
	}
	return n;
}

/*
 * RFC 6675 IsLost() as a boundary: an unSACKed byte is lost when more
 * than (DupThresh - 1) x MSS bytes above it are SACKed; bytes below the
 * returned sequence qualify. lost_to (an RTO, a delivered probe) may
 * raise it.
 */
static uint32_t lost_edge(const struct tern_conn *c, const struct tern_xmit *x)
{
	uint32_t need = (DUPTHRESH - 1) * c->mss, acc = 0, edge = c->snd_una;

	for (uint32_t i = x->nsack; i-- > 0;) {
		uint32_t len = x->sack[i].end - x->sack[i].start;

		if (acc + len > need) {
			edge = x->sack[i].end - (need - acc) - 1;
			break;
		}
		acc += len;
	}
	if ((x->loss || (c->flags & TERN_CF_RECOVERY)) && tern_seq_gt(x->lost_to, edge))
		edge = x->lost_to;
	return tern_seq_gt(edge, c->snd_max) ? c->snd_max : edge;
}

/* RFC 6675 SetPipe(): bytes in flight are the unSACKed ones, less those
 * lost and not yet retransmitted (Linux tcp_packets_in_flight). */
static uint32_t pipe(const struct tern_stack *s, const struct tern_conn *c,
		     const struct tern_xmit *x)
{
	uint32_t una = c->snd_una, edge = lost_edge(c, x), from = x->high_rxt;
	uint32_t unsacked = (c->snd_max - una) - x->sacked;

	if (tern_rack_on(s, c)) /* tern: our FIN, which has no record, is not counted */
		return tern_rack_in_flight(s, c, 0);

	if (tern_seq_lt(from, una))
		from = una;
	if (tern_seq_lt(from, edge))
		unsacked -= (edge - from) - sacked_in(x, from, edge);
	return unsacked;
}

uint32_t tern_sack_pipe(struct tern_stack *s, const struct tern_conn *c)
{
	return pipe(s, c, tern_conn_xmit(s, c));
}

/* RFC 6675 NextSeg() rule 1: the first unSACKed, lost byte at or above
 * HighRxt. Returns 1 with *seq and *max (up to the next SACKed range). */
static int next_lost(const struct tern_stack *s, const struct tern_conn *c,
		     const struct tern_xmit *x, uint32_t *seq, uint32_t *max)
{
	uint32_t at = tern_seq_lt(x->high_rxt, c->snd_una) ? c->snd_una : x->high_rxt;
	uint32_t edge = lost_edge(c, x), end = c->snd_una + c->sq_bytes;

	if (tern_rack_on(s, c))
		return tern_rack_next_lost(s, c, seq, max);

	/* only what was sent can be lost: never past snd_max (nor the FIN) */
	if (tern_seq_gt(end, c->snd_max))
		end = c->snd_max;
	if (tern_seq_gt(edge, end))
		edge = end;
	for (uint32_t i = 0; i < x->nsack; i++) {
		if (tern_seq_le(x->sack[i].end, at))
			continue;
		if (tern_seq_le(x->sack[i].start, at)) {
			at = x->sack[i].end;
			continue;
		}
		*seq = at;
		*max = x->sack[i].start - at;
		return tern_seq_lt(at, edge);
	}
	*seq = at;
	*max = end - at;
	return tern_seq_lt(at, edge);
}

/* Retransmit the next lost segment (NextSeg rule 1). Returns 1 if sent. */
static int retransmit_lost(struct tern_stack *s, struct tern_conn *c, struct tern_xmit *x,
			   uint64_t now, struct tern_out *out)
{
	uint32_t seq, max, n;

	if (!next_lost(s, c, x, &seq, &max))
		return 0;
	n = tern_conn_send_range(s, c, seq, max, now, out);
	if (!n)
		return 0;
	x->high_rxt = seq + n;
	x->rxt_mark = c->snd_max;
	return 1;
}

/* RFC 6675 5 (1)-(3) / tcp_enter_recovery(): ssthresh from the
 * algorithm, and the first lost segment goes at once.
 * lost_to: what is known lost besides the DupThresh rule (at least the
 * first segment, as fast retransmit). */
static void enter_recovery(struct tern_stack *s, struct tern_conn *c, struct tern_xmit *x,
			   uint32_t lost_to, uint64_t now, struct tern_out *out)
{
	tern_undo_init(s, c);
	if (tern_rack_on(s, c))
		tern_rack_mark_lost_to(s, c, lost_to);
	tern_cc__on_loss(s, c, TERN_CC_LOSS_RECOVERY);
	tern_prr__init(s, c); /* cwnd comes down by PRR (prr.c) */
	c->recover = c->snd_max;
	c->flags |= TERN_CF_RECOVERY;
	c->flags &= ~TERN_CF_RTT;
	x->high_rxt = c->snd_una;
	x->lost_to = lost_to;
	x->pto = 0;
	x->rescued = 0;
	TERN_MIB_INC(s, TCPSackRecovery);
	TERN_MIB_INC(s, TCPFastRetrans);
	retransmit_lost(s, c, x, now, out);
}

/* A loss probe was delivered (its bytes are SACKed) while holes remain
 * below it: what was sent before it is lost (RFC 8985 7.4: the probe's
 * ACK lets RACK detect the tail losses). */
static int probe_reveals_loss(const struct tern_conn *c, const struct tern_xmit *x)
{
	if (!x->tlp_high || !x->nsack)
		return 0;
	if (sacked_in(x, x->tlp_seq, x->tlp_high) != x->tlp_high - x->tlp_seq)
		return 0;
	return sacked_in(x, c->snd_una, x->tlp_seq) != x->tlp_seq - c->snd_una;
}

/* tcp_mark_lost_retrans(): data first sent after the last retransmission
 * was SACKed while retransmitted bytes are still missing: those
 * retransmissions were lost too, and HighRxt goes back to send them
 * again. */
static void lost_retrans(struct tern_stack *s, struct tern_conn *c, struct tern_xmit *x)
{

	if (!(c->flags & TERN_CF_RECOVERY) || !tern_seq_gt(x->high_rxt, c->snd_una) ||
	    !tern_seq_lt(x->rxt_mark, c->snd_max) || !sacked_in(x, x->rxt_mark, c->snd_max))
		return;
	if (sacked_in(x, c->snd_una, x->high_rxt) == x->high_rxt - c->snd_una)
		return;
	TERN_MIB_INC(s, TCPLostRetransmit);
	x->high_rxt = c->snd_una;
	x->rxt_mark = c->snd_max;
}

/* SND.UNA reached the recovery point: tcp_try_undo_recovery(), else
 * tcp_end_cwnd_reduction() (recovery ends at ssthresh). */
static void end_episode(struct tern_stack *s, struct tern_conn *c, struct tern_xmit *x)
{
	/* tcp_end_cwnd_reduction() leaves cwnd to cong_control */
	if (!tern_undo_recovery(s, c) && (c->flags & TERN_CF_RECOVERY) &&
	    !tern_cc__has_control(s))
		c->cwnd = c->ssthresh;
	c->flags &= ~TERN_CF_RECOVERY;
	x->loss = 0;
}

/* tcp_fastretrans_alert()'s undo steps for this ACK's state. Returns 1
 * when nothing more may be marked lost (tcp_try_undo_partial). */
static int try_undo(struct tern_stack *s, struct tern_conn *c, const struct tern_xmit *x,
		    uint32_t acked)
{
	if (c->flags & TERN_CF_RECOVERY) {
		if (acked && tern_undo_partial(s, c))
			return 1;
		if (c->flags & TERN_CF_RECOVERY)
			tern_undo_dsack(s, c);
	} else if (x->loss) {
		if (acked)
			tern_undo_loss(s, c);
	} else {
		tern_undo_dsack(s, c);
	}
	return 0;
}

/* Loss outside recovery: RACK's marks (or, for a peer that sends no
 * blocks, three duplicate ACKs), else RFC 6675's DupThresh rule. */
static void detect(struct tern_stack *s, struct tern_conn *c, struct tern_xmit *x, uint64_t now,
		   struct tern_out *out)
{
	if (probe_reveals_loss(c, x)) {
		TERN_MIB_INC(s, TCPLossProbeRecovery);
		enter_recovery(s, c, x, x->tlp_seq, now, out);
	} else if (tern_rack_on(s, c)) {
		if (tern_rack_detect(s, c, now, 0))
			enter_recovery(s, c, x, c->snd_una, now, out);
		else if (c->dupacks >= DUPTHRESH && !x->nsack) /* tern: Linux's RACK needs blocks */
			enter_recovery(s, c, x, c->snd_una + c->mss, now, out);
	} else if (tern_seq_gt(lost_edge(c, x), c->snd_una) || c->dupacks >= DUPTHRESH) {
		enter_recovery(s, c, x, c->snd_una + c->mss, now, out);
	}
}

/* The ACK's part in recovery, after the scoreboard took its blocks:
 * leave recovery at `recover` (or undo it), or enter it when a loss is
 * found. */
static void acked(struct tern_stack *s, struct tern_conn *c, struct tern_xmit *x, uint32_t bytes,
		  int dup, uint64_t now, struct tern_out *out)
{
	uint32_t data_end = c->snd_una + c->sq_bytes;

	if (x->tlp_high && tern_seq_ge(c->snd_una, x->tlp_high))
		x->tlp_high = 0;
	if (x->loss)
		tern_frto_ack(s, c, bytes, dup);
	/* tern: recovery also ends when every byte of data is acknowledged
	 * and only our FIN is out, so that a loss probe can cover the FIN */
	if ((x->loss || (c->flags & TERN_CF_RECOVERY)) &&
	    (tern_seq_ge(c->snd_una, c->recover) || c->snd_una == data_end))
		end_episode(s, c, x);
	if (try_undo(s, c, x, bytes))
		return;
	if (c->flags & TERN_CF_RECOVERY) {
		if (tern_rack_on(s, c))
			tern_rack_detect(s, c, now, 0);
		else
			lost_retrans(s, c, x);
		return;
	}
	if (bytes)
		tern_cc__on_ack(s, c, bytes, tern_ms(now)); /* slow start after an RTO too */
	if (x->loss) {
		tern_rack_detect(s, c, now, 0);
		return;
	}
	if (c->snd_una != c->snd_max)
		detect(s, c, x, now, out);
}

/* RACK left segments to wait for: the reordering timer takes the
 * retransmission timer's slot (ICSK_TIME_REO_TIMEOUT) from a loss probe
 * whenever it is due (tcp_rack_mark_lost() re-arms the timer, and
 * tcp_identify_packet_loss() keeps tcp_set_xmit_timer() from putting the
 * probe back), from the RTO if sooner: a probe of segments sent after the
 * ones waiting would only delay their retransmission. tern: from the RTO
 * only if sooner (Linux's replaces the RTO too). Returns 1 while it is
 * armed. */
static int arm_reo(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_rack *r = tern_conn_rack(s, c);

	if (r->reo_at && tern_rack_on(s, c) &&
	    (!c->rto_at || tern_conn_xmit(s, c)->pto || tern_seq_lt(r->reo_at, c->rto_at))) {
		c->rto_at = r->reo_at;
		r->reo_armed = 1;
		tern_conn_xmit(s, c)->pto = 0;
	}
	return r->reo_armed;
}

void tern_sack_acked(struct tern_stack *s, struct tern_conn *c, uint32_t bytes, int dup,
		     uint64_t now, struct tern_out *out)
{
	acked(s, c, tern_conn_xmit(s, c), bytes, dup, now, out);
	if (tern_rack_fin_lost(s, c))
		tern_conn_send_fin(s, c, now, out);
	arm_reo(s, c);
}

/* tcp_rack_reo_timeout(): the reordering timer expired: detect again,
 * recover if anything is lost, and the RTO takes the slot back. Returns
 * 1 when the timer was the reordering timer. */
int tern_sack_reo_timeout(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			  struct tern_out *out)
{
	struct tern_rack *r = tern_conn_rack(s, c);
	struct tern_xmit *x = tern_conn_xmit(s, c);

	if (!r->reo_armed)
		return 0;
	r->reo_armed = 0;
	TERN_MIB_INC(s, TCPRackReoTimeout);
	c->rto_at = tern_deadline(now, tern_conn_rto_arm(s, c, now));
	if (tern_rack_detect(s, c, now, 1) && !(c->flags & TERN_CF_RECOVERY) && !x->loss)
		enter_recovery(s, c, x, c->snd_una, now, out);
	if (tern_rack_fin_lost(s, c))
		tern_conn_send_fin(s, c, now, out);
	tern_conn_output(s, c, now, out);
	arm_reo(s, c);
	return 1;
}

/*
 * RFC 6675 NextSeg rule 4, the rescue retransmission: once per recovery,
 * when nothing is lost and no new data may go, the segment that ends at
 * the highest unSACKed byte of data (HighRxt unchanged). It covers a
 * hole at the tail with too little SACKed above it for DupThresh (the
 * last data segment below our SACKed FIN). tern: only a hole below
 * SACKed data, not data merely still in flight at the top, and nothing
 * already resent in this recovery; rule 3 (any unSACKed segment above
 * HighRxt) is not taken. Linux takes neither rule: in recovery its RACK
 * marks such a hole lost at once (tcp_rack_reo_wnd() is 0 there).
 * Returns 1 if sent.
 */
static int rescue(struct tern_stack *s, struct tern_conn *c, struct tern_xmit *x,
		  uint64_t now, struct tern_out *out)
{
	uint32_t hi = c->snd_una + c->sq_bytes, lo = c->snd_una;
	int above = 0;

	if (x->rescued || !(c->flags & TERN_CF_RECOVERY))
		return 0;
	if (tern_seq_gt(hi, c->snd_max))
		hi = c->snd_max;
	for (uint32_t i = x->nsack; i-- > 0;) {
		if (tern_seq_lt(x->sack[i].end, hi)) {
			lo = x->sack[i].end;
			break;
		}
		above = 1;
		if (tern_seq_lt(x->sack[i].start, hi))
			hi = x->sack[i].start;
	}
	if (tern_seq_lt(lo, x->high_rxt))
		lo = x->high_rxt;
	if (!above || !tern_seq_lt(lo, hi))
		return 0;
	if (hi - lo > c->mss)
		lo = hi - c->mss;
	if (!tern_conn_send_range(s, c, lo, hi - lo, now, out))
		return 0;
	x->rescued = 1;
	TERN_MIB_INC(s, TCPSackRescue);
	return 1;
}

/* Sending in recovery (RFC 6675 5 (C)): while the pipe leaves room in
 * cwnd, lost segments first, then new data, then a rescue; new data
 * alone on F-RTO's step 2b (frto.c). */
void tern_sack_output(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		      struct tern_out *out)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);

	if (tern_frto_output(s, c, now, out))
		return;
	while ((uint64_t)pipe(s, c, x) + c->mss <= c->cwnd) {
		if (retransmit_lost(s, c, x, now, out))
			continue;
		if (tern_conn_send_new(s, c, now, out))
			continue;
		if (!rescue(s, c, x, now, out))
			break;
	}
}

/* tcp_enter_loss() after an RTO: every unSACKed byte is lost and is sent
 * again as cwnd (one MSS, then slow start) allows; SACKed data is not.
 * frto: F-RTO may find the RTO spurious (tern_frto_may()). */
void tern_sack_enter_loss(struct tern_stack *s, struct tern_conn *c, int frto)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);

	tern_conn_rack(s, c)->frto = !!frto;
	/* tcp_timeout_mark_lost(): SND.UNA SACKed means the receiver dropped
	 * what it had SACKed (reneging, RFC 2018 8): every SACK is forgotten
	 * and all in flight is lost, else nothing would resend it. tern:
	 * Linux also shortens the RTO when an ACK lands on SACKed data
	 * (tcp_check_sack_reneging); tern waits for the RTO. */
	if (tern_rack_on(s, c) ? tern_rack_renege(s, c)
			       : x->nsack && tern_seq_le(x->sack[0].start, c->snd_una)) {
		TERN_MIB_INC(s, TCPSACKReneging);
		x->nsack = 0;
		x->sacked = 0;
	}
	x->loss = 1;
	x->pto = 0;
	x->tlp_high = 0;
	x->lost_to = c->snd_max;
	if (tern_rack_on(s, c))
		tern_rack_mark_lost_to(s, c, c->snd_max);
	x->high_rxt = c->snd_una;
	c->recover = c->snd_max;
}

/* Linux's packets_out == 1 without per-segment records: at most one MSS
 * in flight, and not data followed by our FIN. tern: several small data
 * segments within one MSS count as one, and data with our FIN counts as
 * two even when the FIN rode on the data's segment (Linux: one skb), so
 * the probe comes 2 x SRTT + 2 ms after it rather than + rto_min. */
static int one_segment_out(const struct tern_conn *c)
{
	uint32_t end = c->snd_una + c->sq_bytes;

	if (c->snd_max - c->snd_una > c->mss)
		return 0;
	return !(c->flags & TERN_CF_FIN_SENT) || c->snd_una == end;
}

/*
 * tcp_schedule_loss_probe(): with SACK, outside recovery, data in flight
 * and no probe outstanding, the timer fires after 2 x SRTT (+ rto_min
 * for a single segment, the peer's delayed ACK), or when the RTO would,
 * if that is sooner: a probe goes before the first timeout.
 */
void tern_sack_schedule_probe(struct tern_stack *s, struct tern_conn *c, uint64_t now)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);
	uint32_t pto, rto;

	if (arm_reo(s, c))
		return;
	if (!s->cfg.loss_probes || !tern_conn_sack_on(c) || x->loss ||
	    (c->flags & (TERN_CF_RECOVERY | TERN_CF_PROBING)) ||
	    c->snd_una == c->snd_max || x->tlp_high)
		return;
	if (!c->srtt_us)
		pto = TERN_TIMEOUT_INIT_NS / TERN_NSEC_PER_MSEC;
	else
		pto = (c->srtt_us >> 2) / 1000u +
		      (one_segment_out(c) ? s->cfg.rto_min_ms : 2u);
	rto = tern_conn_rto_arm(s, c, now);
	c->rto_at = tern_deadline(now, pto < rto ? pto : rto); /* the RTO's, if sooner */
	x->pto = 1;
}

/* tcp_send_loss_probe(): new data if the window allows, else the last
 * segment again. Returns 1 when the timer was a probe timeout. */
int tern_sack_probe(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out)
{
	struct tern_xmit *x = tern_conn_xmit(s, c);
	uint32_t from = c->snd_max, len, high = 0;

	if (!x->pto)
		return 0;
	x->pto = 0;
	c->rto_at = tern_deadline(now, tern_conn_rto_arm(s, c, now));
	if (c->snd_una == c->snd_max)
		return 1;
	if (!tern_conn_send_new(s, c, now, out)) {
		/* the last segment sent (tcp_rtx_queue_tail()), not the last
		 * one queued: data past SND.MAX waits for the window. Our FIN,
		 * if sent, is at the end of the data. */
		uint32_t end = c->snd_una + c->sq_bytes;

		if (tern_seq_gt(end, c->snd_max))
			end = c->snd_max;
		len = min32(c->mss, end - c->snd_una);
		from = end - len;
		/* a send-queue chunk may end the segment early: the probe is
		 * what went, so that its SACK reveals the holes below it */
		if (len && !(len = tern_conn_send_range(s, c, from, len, now, out)))
			return 1;
		if (!len && !tern_conn_send_fin(s, c, now, out))
			return 1;
		if (len)
			high = from + len;
	}
	x->tlp_seq = from;
	x->tlp_high = high ? high : c->snd_max;
	TERN_MIB_INC(s, TCPLossProbes);
	return 1;
}
