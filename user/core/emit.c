// SPDX-License-Identifier: BSD-2-Clause
/*
 * Segments the core sends: RSTs, SYN-ACKs and ACKs, as struct tern_tx
 * descriptors with their options encoded in Linux's order
 * (tcp_options_write()).
 */
#include <string.h>

#include "bytes.h"
#include "stack.h"

#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WS 3
#define TCPOPT_SACKOK 4
#define TCPOPT_TS 8

/* The next free descriptor in out, or NULL (counted) when out is full. */
struct tern_tx *tern_emit_slot(struct tern_stack *s, struct tern_out *out)
{
	struct tern_tx *tx;

	if (out->n >= out->cap) {
		TERN_MIB_INC(s, OutDropNoRoom);
		return NULL;
	}
	tx = &out->tx[out->n++];
	tx->optlen = 0;
	tx->payload = NULL;
	tx->len = 0;
	TERN_MIB_INC(s, OutSegs);
	return tx;
}

static void set_hdr(struct tern_tx *tx, const struct tern_tuple *t, const struct tern_l2 *l2,
		    uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win)
{
	tx->t = *t;
	tx->l2 = *l2;
	tx->seq = seq;
	tx->ack = ack;
	tx->flags = flags;
	tx->win = win;
}

/* NOP NOP TS: the timestamp option on its own, 12 bytes. */
uint8_t tern_put_ts(uint8_t *p, uint32_t tsval, uint32_t tsecr)
{
	p[0] = TCPOPT_NOP;
	p[1] = TCPOPT_NOP;
	p[2] = TCPOPT_TS;
	p[3] = 10;
	tern_put_be32(p + 4, tsval);
	tern_put_be32(p + 8, tsecr);
	return 12;
}

/*
 * SYN-ACK options in Linux's order: MSS; SACK-permitted + TS, or NOP NOP TS,
 * or NOP NOP SACK-permitted; NOP WS. At most 20 bytes.
 */
static uint8_t put_synack_opts(uint8_t *p, uint16_t mss, uint8_t optf, uint8_t rcv_wscale,
			       uint32_t tsval, uint32_t tsecr)
{
	uint8_t *o = p;

	o[0] = TCPOPT_MSS;
	o[1] = 4;
	tern_put_be16(o + 2, mss);
	o += 4;
	if (optf & TERN_NEG_TS) {
		o += tern_put_ts(o, tsval, tsecr);
		if (optf & TERN_NEG_SACK) {
			o[-12] = TCPOPT_SACKOK;
			o[-11] = 2;
		}
	} else if (optf & TERN_NEG_SACK) {
		o[0] = TCPOPT_NOP;
		o[1] = TCPOPT_NOP;
		o[2] = TCPOPT_SACKOK;
		o[3] = 2;
		o += 4;
	}
	if (optf & TERN_NEG_WS) {
		o[0] = TCPOPT_NOP;
		o[1] = TCPOPT_WS;
		o[2] = 3;
		o[3] = rcv_wscale;
		o += 4;
	}
	return (uint8_t)(o - p);
}

/* The MSS option we send and the most we put in a segment: the MTU less
 * the headers (tcp_advertise_mss()), at most cfg.mss_clamp. */
uint16_t tern_our_mss(const struct tern_stack *s, int family)
{
	uint16_t mss = s->cfg.mtu - (family == 6 ? TERN_IP6_HLEN : TERN_IP4_HLEN) - TERN_TCP_HLEN;

	return s->cfg.mss_clamp && s->cfg.mss_clamp < mss ? s->cfg.mss_clamp : mss;
}

/*
 * The window in a SYN-ACK (never scaled, RFC 7323 2.2): the receive window
 * (or the listener's rcv_buf, if smaller) capped at 65535 and rounded down
 * to whole segments, as tcp_select_initial_window() does with the
 * timestamp option subtracted from the MSS.
 */
uint16_t tern_synack_window(const struct tern_stack *s, int family, uint8_t optf, uint32_t limit)
{
	uint32_t mss = tern_our_mss(s, family) - (optf & TERN_NEG_TS ? TERN_TSOPT_LEN : 0);
	uint32_t win = s->cfg.rcv_wnd < 65535 ? s->cfg.rcv_wnd : 65535;

	if (limit && limit < win)
		win = limit;

	return (uint16_t)(win >= mss ? win - win % mss : win);
}

/*
 * RST in reply to a segment that has no connection (tcp_v4_send_reset):
 * SEQ=SEG.ACK if it carried an ACK, else SEQ=0 with ACK of everything it
 * occupied. Never in reply to a RST.
 */
void tern_emit_reset(struct tern_stack *s, const struct tern_seg *seg, struct tern_out *out)
{
	struct tern_tx *tx;

	if (seg->flags & TERN_TH_RST)
		return;
	tx = tern_emit_slot(s, out);
	if (!tx)
		return;
	TERN_MIB_INC(s, OutRsts);
	if (seg->flags & TERN_TH_ACK) {
		set_hdr(tx, &seg->t, &seg->l2, seg->ack, 0, TERN_TH_RST, 0);
		return;
	}
	set_hdr(tx, &seg->t, &seg->l2, 0,
		seg->seq + seg->len + !!(seg->flags & TERN_TH_SYN) + !!(seg->flags & TERN_TH_FIN),
		TERN_TH_RST | TERN_TH_ACK, 0);
}

/* SYN or SYN-ACK with the options in Linux's order (tcp_options_write). */
static void emit_syn(struct tern_stack *s, const struct tern_tuple *t, const struct tern_l2 *l2,
		     uint32_t iss, uint32_t ack, uint8_t flags, uint8_t optf, uint32_t rcv_buf,
		     uint32_t tsval, uint32_t tsecr, struct tern_out *out)
{
	struct tern_tx *tx = tern_emit_slot(s, out);
	uint8_t rcv_wscale = optf & TERN_NEG_WS ? s->rcv_wscale : 0;

	if (!tx)
		return;
	set_hdr(tx, t, l2, iss, ack, flags, tern_synack_window(s, t->family, optf, rcv_buf));
	tx->optlen = put_synack_opts(tx->opt, tern_our_mss(s, t->family), optf, rcv_wscale,
				     tsval, tsecr);
}

void tern_emit_synack(struct tern_stack *s, const struct tern_tuple *t, const struct tern_l2 *l2,
		      uint32_t iss, uint32_t irs, uint8_t optf, uint32_t rcv_buf,
		      uint32_t tsval, uint32_t tsecr, struct tern_out *out)
{
	emit_syn(s, t, l2, iss, irs + 1, TERN_TH_SYN | TERN_TH_ACK, optf, rcv_buf, tsval, tsecr,
		 out);
}

/* The SYN of an active open: the same options a SYN-ACK carries. */
void tern_emit_syn(struct tern_stack *s, const struct tern_tuple *t, const struct tern_l2 *l2,
		   uint32_t iss, uint8_t optf, uint32_t tsval, struct tern_out *out)
{
	emit_syn(s, t, l2, iss, 0, TERN_TH_SYN, optf, 0, tsval, 0, out);
}

/* Pure ACK from a half-open record (tcp_v4_reqsk_send_ack). */
void tern_emit_req_ack(struct tern_stack *s, const struct tern_req *r, uint64_t now,
		       struct tern_out *out)
{
	struct tern_tx *tx = tern_emit_slot(s, out);
	uint8_t ws = r->optf & TERN_NEG_WS ? s->rcv_wscale : 0;

	if (!tx)
		return;
	set_hdr(tx, &r->n.t, &r->l2, r->iss + 1, r->irs + 1, TERN_TH_ACK,
		tern_synack_window(s, r->n.t.family, r->optf, r->rcv_buf) >> ws);
	if (r->optf & TERN_NEG_TS)
		tx->optlen = tern_put_ts(tx->opt, tern_ms(now) + r->ts_off, r->ts_recent);
}

/* The window we advertise on a connection, in the header's units. */
static uint16_t conn_window(struct tern_stack *s, struct tern_conn *c)
{
	return (uint16_t)(tern_rcv_advertise(s, c) >> c->rcv_wscale);
}

/* NOP NOP SACK with up to 4 blocks (RFC 2018 3), after the TS option as
 * Linux writes it. Returns bytes written. */
static uint8_t put_sack(uint8_t *p, const struct tern_sack_blk *b, int n)
{
	p[0] = TCPOPT_NOP;
	p[1] = TCPOPT_NOP;
	p[2] = 5;
	p[3] = (uint8_t)(2 + 8 * n);
	for (int i = 0; i < n; i++) {
		tern_put_be32(p + 4 + 8 * i, b[i].start);
		tern_put_be32(p + 8 + 8 * i, b[i].end);
	}
	return (uint8_t)(4 + 8 * n);
}

static void put_conn_opts(struct tern_stack *s, const struct tern_conn *c, uint64_t now,
			  struct tern_tx *tx)
{
	struct tern_sack_blk blk[TERN_MAX_SACK];
	int ts = c->optf & TERN_NEG_TS, n;

	if (ts)
		tx->optlen = tern_put_ts(tx->opt, tern_ms(now) + c->ts_off, c->ts_recent);
	if ((c->optf & TERN_NEG_SACK) && c->ooo.n) {
		n = tern_ooo__sack(&s->ooo, &c->ooo, blk, ts ? 3 : 4);
		if (n)
			tx->optlen += put_sack(tx->opt + tx->optlen, blk, n);
	}
}

/*
 * Take back the segments with payload that connection c put in out: it
 * is about to be freed, and the application may release the memory they
 * point into when it hears so. tern: Linux's clones of them are already
 * in the qdisc and still go out before its RST; tern's are not built yet,
 * and the RST that follows makes them moot.
 */
void tern_emit_cancel_data(struct tern_stack *s, const struct tern_conn *c, struct tern_out *out)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < out->n; i++) {
		if (out->tx[i].len && tern_tuple_same(&out->tx[i].t, &c->n.t)) {
			s->mib[TERN_MIB_OutSegs]--; /* never sent */
			continue;
		}
		out->tx[k++] = out->tx[i];
	}
	out->n = k;
}

/*
 * A segment of connection c: SEQ=seq, ACK=RCV.NXT, our window, timestamps
 * and SACK blocks, payload by reference. Every segment carries the ACK, so
 * a pending delayed ACK is satisfied. Returns 1 when it was emitted.
 */
int tern_emit_conn_seg(struct tern_stack *s, struct tern_conn *c, uint32_t seq, uint8_t flags,
		       const uint8_t *p, uint32_t len, uint64_t now, struct tern_out *out)
{
	struct tern_tx *tx = tern_emit_slot(s, out);

	if (!tx)
		return 0;
	set_hdr(tx, &c->n.t, &c->l2, seq, c->rcv_nxt, flags, conn_window(s, c));
	put_conn_opts(s, c, now, tx);
	tx->payload = p;
	tx->len = len;
	c->rcv_wup = c->rcv_nxt;
	c->delack_at = 0;
	return 1;
}

/*
 * ACK of everything received so far (tcp_send_ack). Its SEQ is the highest
 * sequence sent (tcp_acceptable_seq), never the rewound snd_nxt of a
 * go-back-N retransmission: a zero-length segment below the peer's RCV.NXT
 * is unacceptable and its ACK field would be ignored.
 */
void tern_emit_conn_ack(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			struct tern_out *out)
{
	tern_emit_conn_seg(s, c, tern_conn_acceptable_seq(c), TERN_TH_ACK, NULL, 0, now, out);
}
