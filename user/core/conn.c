// SPDX-License-Identifier: BSD-2-Clause
/*
 * Synchronized states: segment acceptance (RFC 793 3.9, RFC 7323 PAWS,
 * RFC 5961 RST/SYN/ACK rules as Linux's tcp_validate_incoming() applies
 * them), in-order receive and the peer's FIN. Model: Linux tcp_input.c.
 */
#include "stack.h"

/* __tcp_oow_rate_limited(): at most one reply per TERN_RATELIMIT_NS. */
static int ratelimited(struct tern_stack *s, uint64_t *next, uint64_t now, int mib)
{
	if (*next && tern_time_before(now, *next)) {
		s->mib[mib]++;
		return 1;
	}
	*next = now + TERN_RATELIMIT_NS;
	return 0;
}

/*
 * tcp_oow_rate_limited(): rate-limit ACKs sent in reply to out-of-window
 * segments. Data segments without SYN are not part of an ACK loop and are
 * never limited. *next holds the next time a reply is allowed.
 */
int tern_oow_limited(struct tern_stack *s, const struct tern_seg *seg, uint64_t *next,
		     uint64_t now, int mib)
{
	if ((seg->len || (seg->flags & TERN_TH_FIN)) && !(seg->flags & TERN_TH_SYN))
		return 0;
	return ratelimited(s, next, now, mib);
}

/*
 * The stack-wide budget for challenge and out-of-window ACKs: about
 * challenge_ack_limit per second, the exact count drawn per second from a
 * keyed hash as Linux draws it at random (CVE-2016-5696).
 */
static int global_budget(struct tern_stack *s, uint64_t now)
{
	uint64_t sec = now / TERN_NSEC_PER_SEC;
	uint32_t limit = s->cfg.challenge_ack_limit;

	if (limit == UINT32_MAX)
		return 1;
	if (sec != s->chal_second || !s->chal_second) {
		uint32_t half = (limit + 1) >> 1;

		s->chal_second = sec;
		s->chal_left = limit ? half + (uint32_t)(tern_siphash(&s->sec.table, &sec,
								   sizeof(sec)) % limit) : 0;
	}
	if (!s->chal_left) {
		TERN_MIB_INC(s, OutAckGlobalLimited);
		return 0;
	}
	s->chal_left--;
	return 1;
}

/* tcp_send_challenge_ack() */
static void challenge_ack(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			  struct tern_out *out)
{
	if (ratelimited(s, &c->last_oow, now, TERN_MIB_TCPACKSkippedChallenge))
		return;
	if (!global_budget(s, now))
		return;
	TERN_MIB_INC(s, TCPChallengeACK);
	tern_emit_conn_ack(s, c, now, out);
}

/* Duplicate ACK for an unacceptable segment, rate-limited like Linux's
 * out-of-window ACKs and counted against the global budget. */
static void oow_ack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		    int mib, uint64_t now, struct tern_out *out)
{
	if (tern_oow_limited(s, seg, &c->last_oow, now, mib))
		return;
	if (global_budget(s, now))
		tern_emit_conn_ack(s, c, now, out);
}

static void syn_challenge(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			  struct tern_out *out)
{
	TERN_MIB_INC(s, InErrs);
	TERN_MIB_INC(s, TCPSYNChallenge);
	challenge_ack(s, c, now, out);
}

/* tcp_paws_check(): is TSval acceptable against ts_recent within win? */
static int paws_ok(const struct tern_conn *c, uint32_t tsval, int win, uint64_t now)
{
	if ((int32_t)(c->ts_recent - tsval) <= win)
		return 1;
	if ((int32_t)(tern_secs(now) - (c->ts_recent_s + TERN_PAWS_24DAYS_S)) >= 0)
		return 1;
	return !c->ts_recent;
}

uint32_t tern_rcv_window(const struct tern_stack *s, const struct tern_conn *c)
{
	uint32_t w = s->cfg.rcv_wnd >> c->rcv_wscale;

	return (w > 65535 ? 65535 : w) << c->rcv_wscale;
}

/* tcp_sequence(): is the segment acceptable (RFC 793 3.9, Linux lenient
 * left edge at rcv_wup)? */
static int seq_acceptable(const struct tern_stack *s, const struct tern_conn *c,
			  const struct tern_seg *seg)
{
	uint32_t end = seg->seq + seg->len + !!(seg->flags & (TERN_TH_SYN | TERN_TH_FIN));
	int32_t wnd = (int32_t)(c->rcv_wup + tern_rcv_window(s, c) - c->rcv_nxt);

	if (tern_seq_lt(end, c->rcv_wup))
		return 0;
	return !tern_seq_gt(seg->seq, c->rcv_nxt + (wnd > 0 ? (uint32_t)wnd : 0));
}

/*
 * RFC 7323 5.3: with timestamps negotiated, a non-RST segment without one
 * is dropped, and PAWS drops old segments with a (rate-limited) dup ACK;
 * a RST is accepted even when it fails PAWS. Returns 1 when dropped.
 */
static int paws_drop(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		     uint64_t now, struct tern_out *out)
{
	if (!(c->optf & TERN_NEG_TS) || (seg->flags & TERN_TH_RST))
		return 0;
	if (!(seg->opt.present & TERN_OPT_TS)) {
		TERN_MIB_INC(s, InDropNoTs);
		return 1;
	}
	if (paws_ok(c, seg->opt.tsval, 1, now))
		return 0;
	if (seg->flags & TERN_TH_SYN) {
		syn_challenge(s, c, now, out);
		return 1;
	}
	TERN_MIB_INC(s, PAWSEstab);
	oow_ack(s, c, seg, TERN_MIB_TCPACKSkippedPAWS, now, out);
	return 1;
}

/* tcp_validate_incoming() steps 1-4. Returns 1 when the segment is consumed. */
static int validate(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		    uint64_t now, struct tern_out *out)
{
	if (paws_drop(s, c, seg, now, out))
		return 1;
	if (!seq_acceptable(s, c, seg)) {
		TERN_MIB_INC(s, InDropOutOfWindow);
		if (seg->flags & TERN_TH_RST)
			return 1;
		if (seg->flags & TERN_TH_SYN)
			syn_challenge(s, c, now, out);
		else
			oow_ack(s, c, seg, TERN_MIB_TCPACKSkippedSeq, now, out);
		return 1;
	}
	if (seg->flags & TERN_TH_RST) {
		/* RFC 5961 3.2: reset only on an exact match, else challenge. */
		if (seg->seq == c->rcv_nxt)
			tern_conn_reset(s, c);
		else
			challenge_ack(s, c, now, out);
		return 1;
	}
	if (seg->flags & TERN_TH_SYN) { /* RFC 5961 4.2 */
		syn_challenge(s, c, now, out);
		return 1;
	}
	return 0;
}

/* tcp_may_update_window() + tcp_ack_update_window() */
static void update_window(struct tern_conn *c, const struct tern_seg *seg)
{
	uint32_t nwin = (uint32_t)seg->win << c->snd_wscale;

	if (tern_seq_gt(seg->ack, c->snd_una) || tern_seq_gt(seg->seq, c->snd_wl1) ||
	    (seg->seq == c->snd_wl1 && (nwin > c->snd_wnd || !nwin))) {
		c->snd_wnd = nwin;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		if (nwin > c->max_window)
			c->max_window = nwin;
	}
}

/* tcp_ack() acceptance (RFC 5961 5.2). Returns 1 when the segment is dropped. */
static int ack_input(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		     uint64_t now, struct tern_out *out)
{
	if (tern_seq_lt(seg->ack, c->snd_una)) {
		if (tern_seq_lt(seg->ack, c->snd_una - c->max_window)) {
			challenge_ack(s, c, now, out);
			return 1;
		}
		return 0; /* old duplicate ACK: the rest of the segment counts */
	}
	if (tern_seq_gt(seg->ack, c->snd_nxt)) {
		TERN_MIB_INC(s, InDropAckUnsent);
		return 1;
	}
	update_window(c, seg);
	c->snd_una = seg->ack;
	return 0;
}

/* tcp_replace_ts_recent() */
static void store_ts(struct tern_conn *c, const struct tern_seg *seg, uint64_t now)
{
	if (!(c->optf & TERN_NEG_TS) || !(seg->opt.present & TERN_OPT_TS))
		return;
	if (tern_seq_gt(seg->seq, c->rcv_wup) || !paws_ok(c, seg->opt.tsval, 0, now))
		return;
	c->ts_recent = seg->opt.tsval;
	c->ts_recent_s = tern_secs(now);
}

/* In-order payload to the application (zero copy: pointers into the frame).
 * Returns 1 when an ACK is due. */
static int data_input(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg)
{
	const uint8_t *p = seg->payload;
	uint32_t len = seg->len, seq = seg->seq;

	if (!len)
		return 0;
	if (tern_seq_lt(seq, c->rcv_nxt)) {
		uint32_t dup = c->rcv_nxt - seq;

		if (dup >= len)
			return 1; /* entirely old: re-ACK */
		p += dup;
		len -= dup;
		seq = c->rcv_nxt;
	}
	if (seq != c->rcv_nxt)
		return 1; /* out of order: dup ACK (no reassembly queue yet) */
	if (c->state != TERN_ESTABLISHED && c->state != TERN_FIN_WAIT_1 &&
	    c->state != TERN_FIN_WAIT_2)
		return 1; /* data after the peer's FIN is not accepted */
	c->rcv_nxt += len;
	if (s->ops && s->ops->data)
		s->ops->data(s->app_ctx, c, p, len);
	return 1;
}

/* The peer's FIN, when it is next in sequence. Returns 1 when an ACK is due. */
static int fin_input(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg)
{
	if (!(seg->flags & TERN_TH_FIN) || seg->seq + seg->len != c->rcv_nxt)
		return 0;
	if (c->state != TERN_ESTABLISHED)
		return 1; /* retransmitted FIN: ACK it again */
	c->rcv_nxt++;
	c->state = TERN_CLOSE_WAIT;
	if (s->ops && s->ops->fin)
		s->ops->fin(s->app_ctx, c);
	return 1;
}

void tern_conn_input(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		     uint64_t now, struct tern_out *out)
{
	int ack_due;

	if (validate(s, c, seg, now, out))
		return;
	if (!(seg->flags & TERN_TH_ACK))
		return;
	if (ack_input(s, c, seg, now, out))
		return;
	store_ts(c, seg, now);
	ack_due = data_input(s, c, seg);
	if (fin_input(s, c, seg))
		ack_due = 1;
	if (ack_due)
		tern_emit_conn_ack(s, c, now, out);
}

struct tern_conn *tern_conn_create(struct tern_stack *s, uint32_t hash, const struct tern_seg *seg,
				   uint32_t iss, uint32_t ts_off, uint16_t peer_mss,
				   uint8_t optf, uint8_t snd_wscale, uint64_t now)
{
	struct tern_conn *c = tern_pool__alloc(&s->conns, hash, &seg->t);
	uint16_t mss = tern_our_mss(s, seg->t.family);

	if (!c)
		return NULL;
	c->l2 = seg->l2;
	c->state = TERN_ESTABLISHED;
	c->optf = optf;
	c->snd_wscale = optf & TERN_NEG_WS ? snd_wscale : 0;
	c->rcv_wscale = optf & TERN_NEG_WS ? s->rcv_wscale : 0;
	c->iss = iss;
	c->irs = seg->seq - 1;
	c->snd_una = c->snd_nxt = iss + 1;
	c->rcv_nxt = c->rcv_wup = seg->seq;
	c->snd_wnd = c->max_window = (uint32_t)seg->win << c->snd_wscale;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	c->ts_off = ts_off;
	if (optf & TERN_NEG_TS) {
		c->ts_recent = seg->opt.tsval;
		c->ts_recent_s = tern_secs(now);
	}
	c->mss = (peer_mss < mss ? peer_mss : mss) - (optf & TERN_NEG_TS ? TERN_TSOPT_LEN : 0);
	c->in_use = 1;
	return c;
}

void tern_conn_free(struct tern_stack *s, struct tern_conn *c, int reason)
{
	tern_wheel__cancel(&s->wheel, &c->timer);
	if (s->ops && s->ops->closed)
		s->ops->closed(s->app_ctx, c, reason);
	c->in_use = 0;
	tern_pool__free(&s->conns, c);
}

/* tcp_reset(): the peer reset the connection. */
void tern_conn_reset(struct tern_stack *s, struct tern_conn *c)
{
	if (c->state == TERN_ESTABLISHED || c->state == TERN_CLOSE_WAIT)
		TERN_MIB_INC(s, EstabResets);
	tern_conn_free(s, c, TERN_CLOSE_RST);
}

/* Abort: RST with SEQ=SND.NXT (tcp_send_active_reset), then free. */
void tern_conn_abort(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out)
{
	struct tern_tx *tx = tern_emit_slot(s, out);

	if (tx) {
		TERN_MIB_INC(s, OutRsts);
		tx->t = c->n.t;
		tx->l2 = c->l2;
		tx->seq = c->snd_nxt;
		tx->ack = c->rcv_nxt;
		tx->flags = TERN_TH_RST | TERN_TH_ACK;
		tx->win = 0;
	}
	if (c->state == TERN_ESTABLISHED || c->state == TERN_CLOSE_WAIT)
		TERN_MIB_INC(s, EstabResets);
	tern_conn_free(s, c, TERN_CLOSE_ABORT);
}
