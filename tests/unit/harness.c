// SPDX-License-Identifier: BSD-2-Clause
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int app_accept(void *ctx, struct tern_conn *c)
{
	struct h *h = ctx;

	h->accepts++;
	h->conn = c;
	if (h->rcv_limit)
		tern_conn__rcv_limit(c, h->rcv_limit);
	return h->refuse ? -1 : 0;
}

static void app_data(void *ctx, struct tern_conn *c, const uint8_t *p, uint32_t len)
{
	struct h *h = ctx;

	if (h->ndata + len <= sizeof(h->data)) {
		memcpy(h->data + h->ndata, p, len);
		h->ndata += len;
	}
}

static void app_fin(void *ctx, struct tern_conn *c)
{
	((struct h *)ctx)->fins++;
}

static void app_closed(void *ctx, struct tern_conn *c, int reason)
{
	struct h *h = ctx;

	h->closes++;
	h->last_reason = reason;
	if (h->conn == c)
		h->conn = NULL;
}

static void app_acked(void *ctx, struct tern_conn *c, uint32_t bytes)
{
	((struct h *)ctx)->acked += bytes;
}

static void app_writable(void *ctx, struct tern_conn *c)
{
	((struct h *)ctx)->writables++;
}

static void frame_release(void *ctx, uint64_t frame)
{
	struct h *h = ctx;

	h->released++;
	h->last_released = frame;
}

static const struct tern_app_ops h_ops = {
	.accept = app_accept, .data = app_data, .fin = app_fin, .closed = app_closed,
	.acked = app_acked, .writable = app_writable,
};

static void addr(struct tern_addr *a, int family, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	if (family == 4) {
		a->b[10] = a->b[11] = 0xff;
		a->b[12] = 10;
		a->b[15] = last;
	} else {
		a->b[0] = 0x20;
		a->b[1] = 0x01;
		a->b[2] = 0x0d;
		a->b[3] = 0xb8;
		a->b[15] = last;
	}
}

static void init(struct h *h, int family, void (*tweak)(struct tern_cfg *))
{
	struct tern_cfg cfg;
	struct tern_secrets sec;
	struct tern_addr la;
	size_t len;

	memset(h, 0, sizeof(*h));
	tern_cfg__defaults(&cfg);
	cfg.max_conns = 4096;
	cfg.backlog = 256;
	/* Fixed buffers (window scale 3) unless a test tunes them: the
	 * autotuning tests (test_buf.c) set rmem_max / wmem_max. */
	cfg.rmem_max = 0; /* = rcv_wnd */
	cfg.wmem_max = 0; /* = snd_buf */
	if (tweak)
		tweak(&cfg);
	for (size_t i = 0; i < sizeof(sec); i++)
		((uint8_t *)&sec)[i] = (uint8_t)(i * 7 + 3);
	len = tern_stack__memsize(&cfg);
	h->mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
	h->now = H_T0;
	h->s = tern_stack__init(h->mem, len, &cfg, &sec, h->now);
	h->family = family;
	h->cport = 40000;
	h->out.tx = h->tx;
	h->out.cap = H_TX_CAP;
	tern_stack__set_app(h->s, &h_ops, h);
	tern_stack__set_release(h->s, frame_release, h);
	addr(&la, family, 1);
	tern_stack__listen(h->s, &la, family, 80);
}

void h_init(struct h *h, void (*tweak)(struct tern_cfg *))
{
	init(h, 4, tweak);
}

void h_init6(struct h *h, void (*tweak)(struct tern_cfg *))
{
	init(h, 6, tweak);
}

void h_free(struct h *h)
{
	free(h->mem);
	h->mem = NULL;
}

struct tern_seg h_seg(const struct h *h, uint8_t flags, uint32_t seq, uint32_t ack)
{
	static const uint8_t cmac[6] = { 2, 0, 0, 0, 0, 2 }, smac[6] = { 2, 0, 0, 0, 0, 1 };
	struct tern_seg seg;

	memset(&seg, 0, sizeof(seg));
	seg.t.family = (uint8_t)h->family;
	addr(&seg.t.laddr, h->family, 1);
	addr(&seg.t.raddr, h->family, 2);
	seg.t.lport = 80;
	seg.t.rport = h->cport;
	memcpy(seg.l2.peer_mac, cmac, 6);
	memcpy(seg.l2.local_mac, smac, 6);
	seg.flags = flags;
	seg.seq = seq;
	seg.ack = ack;
	seg.win = 64240;
	return seg;
}

void h_ts(struct tern_seg *seg, uint32_t tsval, uint32_t tsecr)
{
	seg->opt.present |= TERN_OPT_TS;
	seg->opt.tsval = tsval;
	seg->opt.tsecr = tsecr;
}

void h_linux_syn_opts(struct tern_seg *seg, uint32_t tsval)
{
	seg->opt.present = TERN_OPT_MSS | TERN_OPT_SACKOK | TERN_OPT_WS;
	seg->opt.mss = 1460;
	seg->opt.wscale = 7;
	h_ts(seg, tsval, 0);
}

int h_in(struct h *h, const struct tern_seg *seg)
{
	h->out.n = 0;
	return tern_stack__input(h->s, seg, h->now, &h->out);
}

int h_send(struct h *h, const void *p, uint32_t len)
{
	h->out.n = 0;
	return tern_conn__send(h->s, h->conn, p, len, h->now, &h->out);
}

int h_close(struct h *h)
{
	h->out.n = 0;
	return tern_conn__close(h->s, h->conn, h->now, &h->out);
}

int h_shutdown(struct h *h)
{
	h->out.n = 0;
	return tern_conn__shutdown(h->s, h->conn, h->now, &h->out);
}

void h_abort(struct h *h)
{
	h->out.n = 0;
	tern_conn__abort(h->s, h->conn, h->now, &h->out);
}

void h_poll(struct h *h)
{
	h->out.n = 0;
	tern_stack__poll(h->s, h->now, &h->out);
}

void h_advance(struct h *h, uint64_t ns)
{
	h->now += ns;
}

uint64_t h_mib(const struct h *h, int mib)
{
	return tern_stack__mib(h->s)[mib];
}

struct tern_opts h_tx_opts(const struct tern_tx *tx)
{
	struct tern_opts o;

	tern_parse_opts(tx->opt, tx->optlen, &o);
	return o;
}

struct tern_conn *h_connect(struct h *h, uint32_t cseq, uint32_t tsval, uint32_t *iss)
{
	struct tern_seg seg = h_seg(h, TERN_TH_SYN, cseq, 0);
	struct tern_opts o;
	int accepts = h->accepts;

	h_linux_syn_opts(&seg, tsval);
	h_in(h, &seg);
	if (h->out.n != 1 || h->tx[0].flags != (TERN_TH_SYN | TERN_TH_ACK))
		return NULL;
	*iss = h->tx[0].seq;
	o = h_tx_opts(&h->tx[0]);
	seg = h_seg(h, TERN_TH_ACK, cseq + 1, *iss + 1);
	seg.win = 502;
	h_ts(&seg, tsval + 1, o.tsval);
	h_in(h, &seg);
	/* h->conn may still point at an earlier connection (or one already
	 * freed): only a new accept() on this tuple counts. */
	if (h->accepts != accepts + 1 || !h->conn || h->conn->state != TERN_ESTABLISHED)
		return NULL;
	return h->conn;
}

struct tern_seg h_xdp_cookie_ack(struct h *h, const struct tern_seg *syn, uint32_t *iss)
{
	struct tern_seg seg = h_seg(h, TERN_TH_ACK, syn->seq + 1, 0);
	uint8_t optf = 0, ws = 0;
	uint16_t mss;

	*iss = tern_cookie_make(h->s, syn, h->now, &mss);
	tern_stack__cookies_issued(h->s, h->now);
	seg.ack = *iss + 1;
	if (syn->opt.present & TERN_OPT_TS) {
		if (syn->opt.present & TERN_OPT_SACKOK)
			optf |= TERN_NEG_SACK;
		if (syn->opt.present & TERN_OPT_WS) {
			optf |= TERN_NEG_WS;
			ws = syn->opt.wscale;
		}
		h_ts(&seg, syn->opt.tsval + 1,
		     tern_cookie_tsval(tern_ms(h->now), optf, ws) + tern_ts_off(h->s, &syn->t));
	}
	return seg;
}
