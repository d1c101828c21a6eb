// SPDX-License-Identifier: BSD-2-Clause
/*
 * Synchronized states: segment acceptance (RFC 793 3.9, RFC 7323 PAWS,
 * RFC 5961 RST/SYN/ACK rules as Linux 6.18's tcp_validate_incoming() and
 * tcp_ack() apply them), then the ACK, the payload and the FIN. Also the
 * creation and teardown of connection records. Model: Linux tcp_input.c.
 */
#include "stack.h"

/*
 * The last rate-limited reply of a connection, on a 39-bit ms clock (17
 * years): the low 32 bits in last_oow_ms, the next 7 and a valid bit in
 * n.t.pad[0]. A 32-bit clock would wrap after 24.8 days of idle and
 * silence the connection's next reply for up to 24.8 more. tern: Linux's
 * 32-bit jiffies check still limits one reply after an idle of a
 * multiple of 2^32 jiffies; this one does not.
 */
#define OOW_VALID 0x80u
#define OOW_HI_MASK 0x7fu
#define OOW_MS_MASK ((1ull << 39) - 1)

/* __tcp_oow_rate_limited(): at most one reply per TERN_RATELIMIT_NS. */
static int ratelimited_ms(struct tern_stack *s, struct tern_conn *c, uint64_t now, int mib)
{
	uint64_t ms = now / TERN_NSEC_PER_MSEC;
	uint8_t *hi = &c->n.t.pad[0];
	uint64_t last = (uint64_t)(*hi & OOW_HI_MASK) << 32 | c->last_oow_ms;

	if ((*hi & OOW_VALID) &&
	    ((ms - last) & OOW_MS_MASK) < TERN_RATELIMIT_NS / TERN_NSEC_PER_MSEC) {
		s->mib[mib]++;
		return 1;
	}
	c->last_oow_ms = (uint32_t)ms;
	*hi = (uint8_t)(OOW_VALID | ((ms >> 32) & OOW_HI_MASK));
	return 0;
}

/* Data (or FIN) without SYN is not part of an ACK loop: never limited
 * (tcp_oow_rate_limited). */
static int exempt_from_limits(const struct tern_seg *seg)
{
	return (seg->len || (seg->flags & TERN_TH_FIN)) && !(seg->flags & TERN_TH_SYN);
}

/* tcp_oow_rate_limited() for records that keep a 64-bit ns timestamp. */
int tern_oow_limited(struct tern_stack *s, const struct tern_seg *seg, uint64_t *next,
		     uint64_t now, int mib)
{
	if (exempt_from_limits(seg))
		return 0;
	if (*next && tern_time_before(now, *next)) {
		s->mib[mib]++;
		return 1;
	}
	*next = now + TERN_RATELIMIT_NS;
	return 0;
}

/*
 * The stack-wide budget for challenge and out-of-window ACKs: about
 * challenge_ack_limit per second, the exact count drawn per second from a
 * keyed hash as Linux draws it at random (CVE-2016-5696).
 */
static int global_budget(struct tern_stack *s, uint64_t now)
{
	uint64_t sec = now / TERN_NSEC_PER_SEC + 1; /* 0 = never drawn */
	uint32_t limit = s->cfg.challenge_ack_limit;

	if (limit == UINT32_MAX)
		return 1;
	if (sec != s->chal_second) {
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

/* tcp_send_challenge_ack(): per connection, then stack-wide. */
static void challenge_ack(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			  struct tern_out *out)
{
	if (ratelimited_ms(s, c, now, TERN_MIB_TCPACKSkippedChallenge))
		return;
	if (!global_budget(s, now))
		return;
	TERN_MIB_INC(s, TCPChallengeACK);
	tern_emit_conn_ack(s, c, now, out);
}

/*
 * Duplicate ACK for an unacceptable segment. Pure ACKs are limited per
 * connection (Linux) and stack-wide (tern: an out-of-window ACK flood
 * cannot make tern reflect more than the budget); data segments are exempt
 * from both, so real retransmissions are always re-ACKed.
 */
static void oow_ack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		    int mib, uint64_t now, struct tern_out *out)
{
	if (!exempt_from_limits(seg) &&
	    (ratelimited_ms(s, c, now, mib) || !global_budget(s, now)))
		return;
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

/* A window in bytes as the header can say it: scaled, at most 65535 units. */
static uint32_t scaled(uint32_t bytes, uint8_t wscale)
{
	uint32_t w = bytes >> wscale;

	return (w > 65535 ? 65535 : w) << wscale;
}

/*
 * The window to advertise now: the connection's window target (buf.c), or
 * less when the application limits what it can take (receive credit);
 * after a zero window, 0 until it can open by the SWS floor (sws.c). Never
 * less than what is left of the window last advertised: a right edge once
 * offered is not moved back (RFC 7323 2.4, tcp_select_window(), which
 * rounds the old window up to the scale as here).
 */
uint32_t tern_rcv_window(const struct tern_stack *s, const struct tern_conn *c)
{
	uint32_t w = tern_conn_rcv_target(s, c), edge = tern_rcv_edge(s, c);
	uint32_t left = tern_seq_gt(edge, c->rcv_nxt) ? edge - c->rcv_nxt : 0;
	uint32_t unit = (1u << c->rcv_wscale) - 1;

	if (c->rcv_credit < w)
		w = c->rcv_credit;
	w = scaled(w, c->rcv_wscale);
	if (c->rwnd_zero && w < tern_rcv_sws_floor(s, c))
		w = 0;
	if (w >= left)
		return w;
	/* tern: in credit mode the credit is exact, so what is left is
	 * rounded down to the scale (the edge may come back by less than one
	 * unit); otherwise up, as tcp_select_window() does. */
	return c->rcv_credit == TERN_RCV_UNLIMITED ? (left + unit) & ~unit : left & ~unit;
}

/*
 * The right edge of the window last advertised (at rcv_wup). tern: in
 * credit mode never beyond RCV.NXT + credit: an application that lowers
 * its credit itself (tern_conn__rcv_limit) takes the edge back.
 */
uint32_t tern_rcv_edge(const struct tern_stack *s, const struct tern_conn *c)
{
	uint32_t edge = c->rcv_wup + tern_conn_use(s, c)->rcv_adv;

	if (c->rcv_credit == TERN_RCV_UNLIMITED ||
	    !tern_seq_gt(edge, c->rcv_nxt + c->rcv_credit))
		return edge;
	return c->rcv_nxt + c->rcv_credit;
}

/* tcp_sequence(): acceptable (RFC 793 3.9, lenient left edge at rcv_wup)? */
static int seq_acceptable(const struct tern_stack *s, const struct tern_conn *c,
			  const struct tern_seg *seg)
{
	uint32_t end = seg->seq + seg->len + !!(seg->flags & (TERN_TH_SYN | TERN_TH_FIN));
	uint32_t edge = tern_rcv_edge(s, c);

	if (tern_seq_lt(end, c->rcv_wup))
		return 0;
	return !tern_seq_gt(seg->seq, tern_seq_gt(edge, c->rcv_nxt) ? edge : c->rcv_nxt);
}

/*
 * PAWS (RFC 7323 5.3) as Linux 6.x's tcp_validate_incoming() applies it:
 * only a segment that carries a timestamp is checked, so one without (a
 * middlebox stripped it) goes on to the sequence checks and is accepted
 * like any other, a SYN among them getting the RFC 5961 challenge ACK
 * there (RFC 7323 says SHOULD drop; Linux does not). Old segments are
 * dropped with a (rate-limited) dup ACK; a RST is accepted even when it
 * fails PAWS. Returns 1 when dropped.
 */
static int paws_drop(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		     uint64_t now, struct tern_out *out)
{
	if (!(c->optf & TERN_NEG_TS) || (seg->flags & TERN_TH_RST) ||
	    !(seg->opt.present & TERN_OPT_TS))
		return 0;
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

/* tcp_reset_check(): a RST at the peer's FIN sequence resets the states
 * that have received that FIN. */
static int reset_check(const struct tern_conn *c, const struct tern_seg *seg)
{
	return seg->seq == c->rcv_nxt - 1 &&
	       (c->state == TERN_CLOSE_WAIT || c->state == TERN_LAST_ACK ||
		c->state == TERN_CLOSING);
}

static int rst_input(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		     uint64_t now, struct tern_out *out)
{
	/* RFC 5961 3.2: reset only on an exact match, else challenge. */
	if (seg->seq == c->rcv_nxt || reset_check(c, seg))
		tern_conn_reset(s, c);
	else
		challenge_ack(s, c, now, out);
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
		if (seg->flags & TERN_TH_RST) {
			if (reset_check(c, seg))
				tern_conn_reset(s, c);
			return 1;
		}
		if (seg->flags & TERN_TH_SYN)
			syn_challenge(s, c, now, out);
		else
			oow_ack(s, c, seg, TERN_MIB_TCPACKSkippedSeq, now, out);
		return 1;
	}
	if (seg->flags & TERN_TH_RST)
		return rst_input(s, c, seg, now, out);
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
		if (nwin > c->max_window)
			c->max_window = nwin;
	}
}

/*
 * tcp_ack() acceptance (RFC 5961 5.2, Linux 6.18): an ACK older than the
 * window we could have sent (max_window, but never more than was ever
 * acknowledged) or newer than anything sent gets a challenge ACK and the
 * segment is dropped. Returns 1 when dropped.
 */
static int ack_acceptable(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
			  uint64_t now, struct tern_out *out)
{
	uint32_t max_window = c->max_window < c->bytes_acked ? c->max_window : c->bytes_acked;

	if (tern_seq_lt(seg->ack, c->snd_una - max_window)) {
		challenge_ack(s, c, now, out);
		return 1;
	}
	if (tern_seq_gt(seg->ack, c->snd_max)) {
		TERN_MIB_INC(s, InDropAckUnsent);
		challenge_ack(s, c, now, out);
		return 1;
	}
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

static int conn_input(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		      uint64_t now, struct tern_out *out)
{
	uint32_t old_wnd;
	int kept;

	if (c->state == TERN_SYN_SENT)
		return tern_synsent_input(s, c, seg, now, out);
	if (validate(s, c, seg, now, out))
		return 0;
	if (!(seg->flags & TERN_TH_ACK))
		return 0;
	if (ack_acceptable(s, c, seg, now, out))
		return 0;
	c->last_rcv = tern_ms(now);
	c->probes = 0;
	store_ts(c, seg, now);
	old_wnd = c->snd_wnd;
	update_window(c, seg);
	tern_conn_acked(s, c, seg, old_wnd != c->snd_wnd, now, out);
	if (!c->in_use)
		return 0; /* LAST-ACK completed */
	kept = tern_conn_recv(s, c, seg, now, out);
	if (c->in_use)
		tern_conn_output(s, c, now, out);
	return kept;
}

/*
 * Every exit of the input path, a dropped segment included, leaves the
 * connection's wheel slot armed at its earliest deadline: the first
 * segment of a connection (the handshake's final ACK) may be dropped after
 * the keepalive deadline was stored, and nothing else would arm it.
 */
int tern_conn_input(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		    uint64_t now, struct tern_out *out)
{
	int kept = conn_input(s, c, seg, now, out);

	if (c->in_use)
		tern_conn_rearm(s, c);
	return kept;
}

struct tern_conn *tern_conn_create(struct tern_stack *s, uint32_t hash, const struct tern_seg *seg,
				   uint32_t iss, uint32_t irs, uint32_t ts_off, uint16_t peer_mss,
				   uint8_t optf, uint8_t snd_wscale, uint64_t now)
{
	struct tern_conn *c = tern_pool__alloc(&s->conns, hash, &seg->t);

	if (!c)
		return NULL;
	c->l2 = seg->l2;
	c->state = TERN_ESTABLISHED;
	c->optf = optf;
	c->snd_wscale = optf & TERN_NEG_WS ? snd_wscale : 0;
	c->rcv_wscale = optf & TERN_NEG_WS ? s->rcv_wscale : 0;
	c->snd_una = c->snd_nxt = c->snd_max = iss + 1;
	/* From the handshake, not from this segment: a reordered data
	 * segment may complete the handshake before the pure ACK does. */
	c->rcv_nxt = c->rcv_wup = irs + 1;
	c->snd_wnd = c->max_window = (uint32_t)seg->win << c->snd_wscale;
	c->snd_wl1 = seg->seq;
	c->ts_off = ts_off;
	if (optf & TERN_NEG_TS) {
		c->ts_recent = seg->opt.tsval;
		c->ts_recent_s = tern_secs(now);
	}
	c->lis = tern_listener_index(s, &seg->t);
	tern_conn_init_xfer(s, c, peer_mss, now);
	if (c->lis < s->nlis && s->lis[c->lis].opts.rcv_buf)
		c->rcv_credit = s->lis[c->lis].opts.rcv_buf; /* as the SYN-ACK promised */
	tern_conn_buf_init(s, c, now);
	return c;
}

/*
 * tcp_mtu_to_mss(): the payload a segment may carry. The peer's MSS clamps
 * ours; the result is raised to min_snd_mss (tcp_min_snd_mss, room for 40
 * bytes of options and 8 of data) before the timestamp option is taken
 * off, so a tiny or hostile MSS option never yields 1-byte, empty or
 * wrapped segments.
 */
uint16_t tern_send_mss(const struct tern_stack *s, int family, uint16_t peer_mss, uint8_t optf)
{
	uint16_t mss = tern_our_mss(s, family);

	if (peer_mss < mss)
		mss = peer_mss;
	if (mss < s->cfg.min_snd_mss)
		mss = s->cfg.min_snd_mss;
	return (uint16_t)(mss - (optf & TERN_NEG_TS ? TERN_TSOPT_LEN : 0));
}

/* Transfer state common to both open paths (RFC 6298 2.1, RFC 5681 3.1). */
void tern_conn_init_xfer(struct tern_stack *s, struct tern_conn *c, uint16_t peer_mss,
			 uint64_t now)
{
	c->mss = tern_send_mss(s, c->n.t.family, peer_mss, c->optf);
	tern_conn_xmit(s, c)->pmtu = 0;
	c->n.t.pad[0] = 0; /* no rate-limited reply yet (ratelimited_ms) */
	c->recover = c->snd_max - 1; /* RFC 6582 3.2: initialised to the ISS */
	tern_cc__init(s, c, tern_ms(now)); /* cwnd: RFC 6928 initial window */
	tern_conn_rtt_init(s, c);
	tern_conn_sq_init(s, c);
	c->quick = 16; /* TCP_MAX_QUICKACKS */
	c->last_rcv = tern_ms(now);
	tern_ooo_q__init(&c->ooo);
	c->rcv_credit = TERN_RCV_UNLIMITED;
	tern_conn_buf_init(s, c, now);
	c->in_use = 1;
	tern_conn_rearm(s, c);
}

static void release_frame(void *ctx, uint64_t frame)
{
	struct tern_stack *s = ctx;

	if (s->release)
		s->release(s->release_ctx, frame);
}

void tern_conn_free(struct tern_stack *s, struct tern_conn *c, int reason)
{
	if (c->flags & TERN_CF_RCV_SHUT)
		s->orphans--;
	tern_wheel__cancel(&s->wheel, &c->timer);
	tern_ooo__purge(&s->ooo, &c->ooo, release_frame, s);
	tern_conn_sq_purge(s, c);
	tern_rack_free(s, c);
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

/* Abort: RST+ACK at the acceptable sequence with the connection's options
 * (tcp_send_active_reset), then free. */
void tern_conn_abort_reason(struct tern_stack *s, struct tern_conn *c, int reason, uint64_t now,
			    struct tern_out *out)
{
	tern_emit_cancel_data(s, c, out);
	if (c->state != TERN_SYN_SENT &&
	    tern_emit_conn_seg(s, c, tern_conn_acceptable_seq(c), TERN_TH_RST | TERN_TH_ACK, NULL,
			       0, now, out))
		TERN_MIB_INC(s, OutRsts);
	if (c->state == TERN_ESTABLISHED || c->state == TERN_CLOSE_WAIT)
		TERN_MIB_INC(s, EstabResets);
	tern_conn_free(s, c, reason);
}

void tern_conn_abort(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out)
{
	tern_conn_abort_reason(s, c, TERN_CLOSE_ABORT, now, out);
}

/* Issue bound: an established connection's record, payload excluded. */
/* Issue bound: an established connection at most 256 bytes, payload
 * excluded. The record is 248 so that with its hash bucket (4 bytes per
 * power-of-two slot, at most 8 per connection) it stays within 256. */
_Static_assert(sizeof(struct tern_conn) <= 248, "struct tern_conn must stay within 248 bytes");
