// SPDX-License-Identifier: BSD-2-Clause
/*
 * Passive open: LISTEN and SYN-RCVD. Stateful half-opens live in small
 * records (Linux request_sock); SYN cookies need none. Models: Linux
 * tcp_conn_request(), tcp_check_req(), cookie_v4_check().
 */
#include "stack.h"

#define COOKIE_VALID_NS (120 * TERN_NSEC_PER_SEC) /* TCP_SYNCOOKIE_VALID */

/* What a SYN offered, and the MSS to use when it offered none. */
struct syn_offer {
	uint16_t peer_mss;
	uint8_t optf;
	uint8_t snd_wscale;
};

static void syn_offer(const struct tern_seg *seg, struct syn_offer *o)
{
	uint8_t p = seg->opt.present;

	o->optf = 0;
	o->snd_wscale = 0;
	if (p & TERN_OPT_TS)
		o->optf |= TERN_NEG_TS;
	if (p & TERN_OPT_SACKOK)
		o->optf |= TERN_NEG_SACK;
	if (p & TERN_OPT_WS) {
		o->optf |= TERN_NEG_WS;
		o->snd_wscale = seg->opt.wscale;
	}
	if (p & TERN_OPT_MSS)
		o->peer_mss = seg->opt.mss;
	else
		o->peer_mss = seg->t.family == 6 ? TERN_MSS_DEFAULT_V6 : TERN_MSS_DEFAULT_V4;
}

static uint64_t lazy_hash(const struct tern_stack *s, const struct tern_seg *seg, uint64_t *hash)
{
	if (*hash == UINT64_MAX)
		*hash = tern_tuple_hash(&s->sec.table, &seg->t);
	return *hash;
}

static void req_arm(struct tern_stack *s, struct tern_req *r, uint64_t now)
{
	uint64_t rto = TERN_TIMEOUT_INIT_NS << r->retrans;

	tern_wheel__arm(&s->wheel, &r->timer, now + (rto < TERN_RTO_MAX_NS ? rto : TERN_RTO_MAX_NS));
}

static void req_send_synack(struct tern_stack *s, struct tern_req *r, uint64_t now,
			    struct tern_out *out)
{
	tern_emit_synack(s, &r->n.t, &r->l2, r->iss, r->irs, r->optf, r->rcv_buf,
			 tern_ms(now) + r->ts_off, r->ts_recent, out);
}

static void req_free(struct tern_stack *s, struct tern_req *r)
{
	tern_wheel__cancel(&s->wheel, &r->timer);
	s->reqs_young -= !r->retrans;
	r->in_use = 0;
	tern_pool__free(&s->reqs, r);
}

static void req_create(struct tern_stack *s, const struct tern_listener *l, uint32_t hash,
		       const struct tern_seg *seg, const struct syn_offer *o, uint32_t isn,
		       uint64_t now, struct tern_out *out)
{
	struct tern_req *r = tern_pool__alloc(&s->reqs, hash, &seg->t);

	if (!r)
		return;
	r->l2 = seg->l2;
	r->irs = seg->seq;
	r->iss = isn ? isn : tern_isn(s, &seg->t, now);
	r->peer_mss = o->peer_mss;
	r->rcv_buf = l->opts.rcv_buf;
	r->optf = o->optf;
	r->snd_wscale = o->snd_wscale;
	if (o->optf & TERN_NEG_TS) {
		r->ts_recent = seg->opt.tsval;
		r->ts_off = tern_ts_off(s, &seg->t);
	}
	r->in_use = 1;
	s->reqs_young++;
	req_arm(s, r, now);
	req_send_synack(s, r, now, out);
}

/* A stateless SYN-ACK whose ISS is the cookie. Without timestamps there is
 * nowhere to keep SACK and window scale, so they are not offered
 * (tcp_conn_request: tcp_clear_options when want_cookie && !saw_tstamp). */
static void cookie_synack(struct tern_stack *s, const struct tern_listener *l,
			  const struct tern_seg *seg, struct syn_offer *o, uint64_t now,
			  struct tern_out *out)
{
	uint16_t mss;
	uint32_t iss = tern_cookie_make(s, seg, now, &mss), tsval = 0;

	if (!(o->optf & TERN_NEG_TS))
		o->optf = 0;
	else
		tsval = tern_cookie_tsval(tern_ms(now), o->optf, o->snd_wscale) +
			tern_ts_off(s, &seg->t);
	s->last_overflow = now;
	s->cookies_sent = 1;
	TERN_MIB_INC(s, SyncookiesSent);
	tern_emit_synack(s, &seg->t, &seg->l2, iss, seg->seq, o->optf, l->opts.rcv_buf, tsval,
			 seg->opt.tsval, out);
}

static void listen_drop(struct tern_stack *s)
{
	TERN_MIB_INC(s, ListenDrops);
}

/* tcp_conn_request(): a SYN for a listener with no half-open record. A
 * SYN that reuses a TIME-WAIT tuple brings its ISS (tw_isn). */
static void syn_input(struct tern_stack *s, const struct tern_listener *l, uint64_t *hash,
		      const struct tern_seg *seg, uint32_t tw_isn, uint64_t now,
		      struct tern_out *out)
{
	struct syn_offer o;
	int cookie = s->cfg.syncookies == TERN_COOKIES_ALWAYS && !tw_isn;

	if (cookie || s->reqs.used >= s->backlog) {
		/* tcp_syn_flood_action() */
		if (s->cfg.syncookies == TERN_COOKIES_NEVER) {
			TERN_MIB_INC(s, TCPReqQFullDrop);
			return listen_drop(s);
		}
		TERN_MIB_INC(s, TCPReqQFullDoCookies);
		cookie = 1;
	}
	if (s->conns.used >= s->conns.cap) {
		TERN_MIB_INC(s, ListenOverflows);
		return listen_drop(s);
	}
	syn_offer(seg, &o);
	if (cookie)
		cookie_synack(s, l, seg, &o, now, out);
	else
		req_create(s, l, (uint32_t)lazy_hash(s, seg, hash), seg, &o, tw_isn, now, out);
}

/* Hand a new connection to the application, then let it process the
 * segment that completed the handshake (which may carry data or FIN). */
static int established(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		       uint64_t now, struct tern_out *out)
{
	TERN_MIB_INC(s, PassiveOpens);
	tern_conn_ka_start(s, c, now);
	if (s->ops && s->ops->accept && s->ops->accept(s->app_ctx, c) < 0) {
		tern_conn_abort(s, c, now, out);
		return 0;
	}
	return tern_conn_input(s, c, seg, now, out);
}

static int recent_cookies(const struct tern_stack *s, uint64_t now)
{
	return s->cookies_sent && now - s->last_overflow <= COOKIE_VALID_NS;
}

/* Does cookie_v4_check() look at cookies at all? tern: with fleet keys
 * another host may have issued the cookie, so tcp_synq_no_recent_overflow()
 * would refuse what it should check. */
static int cookie_gate(const struct tern_stack *s, uint64_t now)
{
	return s->cfg.syncookies != TERN_COOKIES_NEVER && (s->sec.fleet || recent_cookies(s, now));
}

int tern_listen__cookie_valid(struct tern_stack *s, const struct tern_seg *seg, uint64_t now)
{
	uint16_t mss;

	if ((seg->flags & (TERN_TH_SYN | TERN_TH_RST | TERN_TH_ACK)) != TERN_TH_ACK ||
	    !cookie_gate(s, now))
		return 0;
	tern_cookie_expire_prev(s, now);
	return tern_cookie_check(s, seg, now, &mss) >= 0;
}

/*
 * tern: with fleet keys the SYN-ACK may have come from another host, whose
 * TS clock is not ours: our TSvals continue from the TSecr the ACK echoes,
 * so that they never go back (the peer's PAWS, tcp_paws_discard(), would
 * drop them), and that TSecr gives no RTT sample (cookie_ack()).
 */
static uint32_t fleet_ts_off(const struct tern_stack *s, uint32_t ts_off, uint32_t tsecr,
			     uint64_t now)
{
	return s->sec.fleet && tsecr ? tsecr - tern_ms(now) : ts_off;
}

/*
 * cookie_v4_check(): an ACK with no half-open record. A valid cookie
 * creates the connection with the options it carried; otherwise the
 * listener answers the ACK with a RST (SEQ=SEG.ACK).
 */
static int cookie_ack(struct tern_stack *s, uint64_t *hash, const struct tern_seg *seg,
		      uint64_t now, struct tern_out *out)
{
	struct tern_conn *c;
	uint16_t mss;
	uint8_t optf = 0, ws = 0;
	uint32_t ts_off = 0, tsecr = seg->opt.tsecr;
	int prev;

	if (!cookie_gate(s, now)) {
		tern_emit_reset(s, seg, out);
		return 0;
	}
	tern_cookie_expire_prev(s, now);
	prev = tern_cookie_check(s, seg, now, &mss);
	if (prev < 0) {
		TERN_MIB_INC(s, SyncookiesFailed);
		tern_emit_reset(s, seg, out);
		return 0;
	}
	TERN_MIB_INC(s, SyncookiesRecv);
	if (prev)
		TERN_MIB_INC(s, SyncookiesRecvPrevKey);
	if (seg->opt.present & TERN_OPT_TS) {
		ts_off = prev ? tern_ts_off_prev(s, &seg->t) : tern_ts_off(s, &seg->t);
		tern_cookie_ts_decode(tsecr ? tsecr - ts_off : 0, &optf, &ws);
		ts_off = fleet_ts_off(s, ts_off, tsecr, now);
	}
	c = tern_conn_create(s, (uint32_t)lazy_hash(s, seg, hash), seg, seg->ack - 1,
			     seg->seq - 1, ts_off, mss, optf, ws, now);
	if (!c) {
		TERN_MIB_INC(s, ListenOverflows);
		listen_drop(s);
		return 0;
	}
	if (!s->sec.fleet) /* the cookie's TS echo, on our clock */
		tern_conn_rtt_synack(s, c, seg, 0, now);
	return established(s, c, seg, now, out);
}

/*
 * tcp_v6_conn_request(): an IPv6 SYN from a v4-mapped address gets no
 * SYN-ACK (counted as IPSTATS_MIB_INHDRERRORS). tern: the destination is
 * checked too; Linux never delivers such a packet to TCP (it is not a
 * local IPv6 address), but tern's IPv4 listeners are keyed by v4-mapped
 * addresses and would otherwise answer it.
 */
static int v4mapped_over_v6(const struct tern_seg *seg)
{
	return seg->t.family == 6 &&
	       (tern_addr_is_v4mapped(&seg->t.raddr) || tern_addr_is_v4mapped(&seg->t.laddr));
}

/* A segment for a listener, with no connection or half-open record.
 * Returns 1 when the frame was kept. */
int tern_listen_input(struct tern_stack *s, const struct tern_listener *l, uint64_t *hash,
		      const struct tern_seg *seg, uint32_t tw_isn, uint64_t now,
		      struct tern_out *out)
{
	uint8_t f = seg->flags;

	if (f & TERN_TH_RST) {
		TERN_MIB_INC(s, InDropListenFlags);
		return 0;
	}
	if (s->refusing) {
		/* Shutting down: no new connection, and no answer either, so
		 * the client retries and meets the kernel once tern is gone. */
		TERN_MIB_INC(s, InDropNotAccepting);
		return 0;
	}
	if (f & TERN_TH_ACK) {
		if (!(f & TERN_TH_SYN)) /* RFC 793: any acknowledgment is bad in LISTEN */
			return cookie_ack(s, hash, seg, now, out);
		tern_emit_reset(s, seg, out);
		return 0;
	}
	if (!(f & TERN_TH_SYN) || (f & TERN_TH_FIN)) {
		TERN_MIB_INC(s, InDropListenFlags);
		return 0;
	}
	if (v4mapped_over_v6(seg)) {
		TERN_MIB_INC(s, Ip6InHdrErrors);
		return 0;
	}
	syn_input(s, l, hash, seg, tw_isn, now, out);
	return 0;
}

/* tcp_in_window(): does [seq, end_seq) touch [s_win, e_win]? */
static int in_window(uint32_t seq, uint32_t end_seq, uint32_t s_win, uint32_t e_win)
{
	if (seq == s_win)
		return 1;
	if (tern_seq_gt(end_seq, s_win) && tern_seq_lt(seq, e_win))
		return 1;
	return seq == e_win && seq == end_seq;
}

static uint32_t seg_end(const struct tern_seg *seg)
{
	return seg->seq + seg->len + !!(seg->flags & TERN_TH_SYN) + !!(seg->flags & TERN_TH_FIN);
}

/* The retransmitted-SYN and out-of-window replies of tcp_check_req(),
 * rate-limited per record. Returns 1 when the segment was consumed. */
static int req_oow(struct tern_stack *s, struct tern_req *r, const struct tern_seg *seg,
		   uint8_t flg, int paws_reject, uint64_t now, struct tern_out *out)
{
	if (seg->seq == r->irs && flg == TERN_TH_SYN && !paws_reject) {
		if (!tern_oow_limited(s, seg, &r->last_oow, now, TERN_MIB_TCPACKSkippedSynRecv)) {
			TERN_MIB_INC(s, TCPSynRetrans);
			TERN_MIB_INC(s, RetransSegs);
			req_send_synack(s, r, now, out);
			req_arm(s, r, now);
		}
		return 1;
	}
	if ((flg & TERN_TH_ACK) && seg->ack != r->iss + 1) {
		/* Bad ACK: the listener resets it, the record stays. */
		tern_emit_reset(s, seg, out);
		return 1;
	}
	if (paws_reject || !in_window(seg->seq, seg_end(seg), r->irs + 1,
				      r->irs + 1 + tern_synack_window(s, r->n.t.family, r->optf,
								       r->rcv_buf))) {
		if (!(flg & TERN_TH_RST) &&
		    !tern_oow_limited(s, seg, &r->last_oow, now, TERN_MIB_TCPACKSkippedSynRecv))
			tern_emit_req_ack(s, r, now, out);
		if (paws_reject)
			TERN_MIB_INC(s, PAWSEstab);
		else
			TERN_MIB_INC(s, InDropOutOfWindow);
		return 1;
	}
	return 0;
}

/* tcp_check_req(): a segment for a half-open record (SYN-RCVD). Returns 1
 * when the frame was kept. */
int tern_req_input(struct tern_stack *s, struct tern_req *r, const struct tern_seg *seg,
		   uint64_t now, struct tern_out *out)
{
	uint8_t flg = seg->flags & (TERN_TH_RST | TERN_TH_SYN | TERN_TH_ACK);
	int has_ts = (r->optf & TERN_NEG_TS) && (seg->opt.present & TERN_OPT_TS);
	int paws_reject = has_ts && (int32_t)(r->ts_recent - seg->opt.tsval) > 0;
	struct tern_conn *c;

	if (flg == TERN_TH_ACK && seg->seq == r->irs + 1 && seg->ack != r->iss + 1 &&
	    tern_listen__cookie_valid(s, seg, now)) {
		/*
		 * tern: the peer's retransmitted SYN (the request's own, same
		 * SEQ) met XDP, which answered with a cookie without seeing
		 * this record (bpf/synack.h), and the peer took that SYN-ACK.
		 * Linux's retransmitted SYN meets the request and gets its
		 * SYN-ACK again (tcp_check_req()), so it never sees this; the
		 * cookie proves the handshake, so the connection is made from
		 * it and the record goes, instead of the RST tcp_check_req()
		 * sends for an ACK that does not match the request's ISS.
		 */
		uint64_t hash = UINT64_MAX;

		req_free(s, r);
		return cookie_ack(s, &hash, seg, now, out);
	}
	if (req_oow(s, r, seg, flg, paws_reject, now, out))
		return 0;
	if (has_ts && !tern_seq_gt(seg->seq, r->irs + 1))
		r->ts_recent = seg->opt.tsval;
	if (seg->seq == r->irs)
		flg &= ~TERN_TH_SYN; /* a retransmitted SYN with more flags */
	if (flg & (TERN_TH_RST | TERN_TH_SYN)) {
		/* embryonic_reset: a new SYN in the window gets a RST; an
		 * in-window RST drops the record silently. */
		TERN_MIB_INC(s, AttemptFails);
		if (!(flg & TERN_TH_RST))
			tern_emit_reset(s, seg, out);
		req_free(s, r);
		return 0;
	}
	if (!(flg & TERN_TH_ACK))
		return 0;
	c = tern_conn_create(s, tern_tuple_hash(&s->sec.table, &r->n.t), seg, r->iss, r->irs,
			     r->ts_off, r->peer_mss, r->optf, r->snd_wscale, now);
	if (!c) {
		/* Connection table full: drop the ACK, keep the record, the
		 * SYN-ACK timer retries (Linux without tcp_abort_on_overflow). */
		TERN_MIB_INC(s, ListenOverflows);
		listen_drop(s);
		return 0;
	}
	if (has_ts)
		c->ts_recent = r->ts_recent;
	/* The SYN-ACK's send time (req_arm), while it was sent once: a
	 * retransmission, or one resent for a repeated SYN (last_oow), makes
	 * the sample ambiguous and the TS echo is used (Karn). */
	tern_conn_rtt_synack(s, c, seg,
			     r->retrans || r->last_oow ? 0 : r->timer.expires - TERN_TIMEOUT_INIT_NS,
			     now);
	req_free(s, r);
	return established(s, c, seg, now, out);
}

/* The retransmissions a half-open record gets, reqsk_timer_handler(): with
 * more than half the backlog in use, Linux keeps half the room for young
 * records (never retransmitted) and lowers the old ones' retries, down to
 * 2, while young records are fewer than half, a quarter, ... of them. Under
 * a flood the records of the SYNs taken before cookies (or XDP) answered
 * then get two retransmissions and go at ~7 s instead of five and ~63 s.
 * tern: the backlog is the half-open table's (Linux compares with the
 * listener's accept backlog, which bounds its SYN queue the same way). */
static uint32_t synack_retries(const struct tern_stack *s)
{
	uint64_t qlen = s->reqs.used, young = (uint64_t)s->reqs_young << 1;
	uint32_t max = s->cfg.synack_retries;

	if ((qlen << 1) <= (s->backlog > 8 ? s->backlog : 8))
		return max;
	for (; max > 2 && qlen >= young; max--)
		young <<= 1;
	return max;
}

/* SYN-ACK retransmission: 1 s, doubling, synack_retries() times, then the
 * record is freed (reqsk_timer_handler). */
void tern_req_timer(struct tern_stack *s, struct tern_req *r, uint64_t now, struct tern_out *out)
{
	if (r->retrans >= synack_retries(s)) {
		TERN_MIB_INC(s, TCPReqExpired);
		return req_free(s, r);
	}
	s->reqs_young -= !r->retrans;
	r->retrans++;
	TERN_MIB_INC(s, TCPTimeouts);
	TERN_MIB_INC(s, TCPSynRetrans);
	TERN_MIB_INC(s, RetransSegs);
	req_send_synack(s, r, now, out);
	req_arm(s, r, now);
}
