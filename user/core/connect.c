// SPDX-License-Identifier: BSD-2-Clause
/*
 * Active open (SYN-SENT), as Linux's tcp_connect() and
 * tcp_rcv_synsent_state_process(). tern is a terminator, so this exists for
 * completeness and for tests that run two stacks against each other.
 * Simultaneous open (a SYN without ACK in SYN-SENT) is not supported: such
 * a segment is dropped.
 */
#include <errno.h>

#include "stack.h"

#define SYN_RETRIES 6 /* tcp_syn_retries */

static void send_syn(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out)
{
	tern_emit_syn(s, &c->n.t, &c->l2, c->snd_una, c->optf, tern_ms(now) + c->ts_off, out);
}

struct tern_conn *tern_stack__connect(struct tern_stack *s, const struct tern_tuple *t,
				      const struct tern_l2 *l2, uint64_t now, struct tern_out *out)
{
	uint32_t hash = tern_tuple_hash(&s->sec.table, t);
	struct tern_conn *c;

	s->now = now;
	if (tern_pool__lookup(&s->conns, hash, t)) {
		errno = EADDRINUSE;
		return NULL;
	}
	c = tern_pool__alloc(&s->conns, hash, t);
	if (!c) {
		errno = ENOBUFS;
		return NULL;
	}
	c->l2 = *l2;
	c->state = TERN_SYN_SENT;
	c->flags = TERN_CF_ACTIVE;
	c->optf = TERN_NEG_TS | TERN_NEG_SACK | TERN_NEG_WS;
	c->rcv_wscale = s->rcv_wscale;
	c->snd_una = tern_isn(s, t, now); /* SND.UNA is the ISS until the SYN-ACK */
	c->snd_nxt = c->snd_max = c->snd_una + 1;
	c->ts_off = tern_ts_off(s, t);
	c->lis = UINT16_MAX;
	tern_conn_init_xfer(s, c, tern_our_mss(s, t->family), now);
	c->rto_at = tern_deadline(now, c->rto_ms);
	send_syn(s, c, now, out);
	tern_conn_rearm(s, c);
	return c;
}

/* SYN retransmission: 1 s doubling, tcp_syn_retries times, then give up. */
void tern_synsent_rto(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		      struct tern_out *out)
{
	if (c->retries >= SYN_RETRIES) {
		TERN_MIB_INC(s, AttemptFails);
		tern_conn_free(s, c, TERN_CLOSE_TIMEOUT);
		return;
	}
	c->retries++;
	c->backoff++;
	TERN_MIB_INC(s, TCPTimeouts);
	TERN_MIB_INC(s, RetransSegs);
	send_syn(s, c, now, out);
	c->rto_at = tern_deadline(now, c->rto_ms << c->backoff);
}

/* Take the options the SYN-ACK agreed to. */
static void synack_options(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
			   uint64_t now)
{
	uint8_t p = seg->opt.present;
	uint16_t peer_mss = p & TERN_OPT_MSS ? seg->opt.mss
			    : c->n.t.family == 6 ? TERN_MSS_DEFAULT_V6 : TERN_MSS_DEFAULT_V4;

	if (!(p & TERN_OPT_TS))
		c->optf &= ~TERN_NEG_TS;
	if (!(p & TERN_OPT_SACKOK))
		c->optf &= ~TERN_NEG_SACK;
	if (!(p & TERN_OPT_WS)) {
		c->optf &= ~TERN_NEG_WS;
		c->rcv_wscale = 0;
	} else {
		c->snd_wscale = seg->opt.wscale;
	}
	if (c->optf & TERN_NEG_TS) {
		c->ts_recent = seg->opt.tsval;
		c->ts_recent_s = tern_secs(now);
	} else {
		c->ts_off = 0;
	}
	c->mss = tern_send_mss(s, c->n.t.family, peer_mss, c->optf);
	tern_cc__init(s, c, tern_ms(now));
}

int tern_synsent_input(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		       uint64_t now, struct tern_out *out)
{
	uint8_t f = seg->flags;

	if ((f & TERN_TH_ACK) && seg->ack != c->snd_una + 1) {
		tern_emit_reset(s, seg, out); /* never in reply to a RST */
		return 0;
	}
	if (f & TERN_TH_RST) {
		if (f & TERN_TH_ACK)
			tern_conn_free(s, c, TERN_CLOSE_RST);
		return 0;
	}
	if ((f & (TERN_TH_SYN | TERN_TH_ACK)) != (TERN_TH_SYN | TERN_TH_ACK))
		return 0;
	synack_options(s, c, seg, now);
	c->rcv_nxt = c->rcv_wup = seg->seq + 1;
	c->snd_una = seg->ack;
	c->snd_wnd = c->max_window = seg->win; /* a SYN-ACK's window is never scaled */
	c->snd_wl1 = seg->seq;
	c->state = TERN_ESTABLISHED;
	c->rto_at = 0;
	c->retries = c->backoff = 0;
	c->last_rcv = tern_ms(now);
	TERN_MIB_INC(s, ActiveOpens);
	tern_conn_ack_now(s, c, now, out);
	if (s->ops && s->ops->accept && s->ops->accept(s->app_ctx, c) < 0) {
		tern_conn_abort(s, c, now, out);
		return 0;
	}
	tern_conn_rearm(s, c);
	return 0;
}
