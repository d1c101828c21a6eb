// SPDX-License-Identifier: BSD-2-Clause
/* The hand-driven sender of sk.h. */
#include "sk.h"
#include "t.h"

static uint8_t buf[64 * 1448];

/* After every input: the in-flight counter equals a walk of the RACK
 * records (tern_rack__check). */
static void check_pipe(const struct sk *k)
{
	if (k->h.conn)
		CHECK_EQ(tern_rack__check(k->h.s, k->h.conn), 0);
}

static int open_ts(struct sk *k, uint32_t n, void (*tweak)(struct tern_cfg *), int ts)
{
	struct tern_seg seg;
	struct tern_opts o;
	uint32_t iss;

	h_init(&k->h, tweak);
	k->ts = ts;
	seg = h_seg(&k->h, TERN_TH_SYN, 1000, 0);
	h_linux_syn_opts(&seg, 1);
	if (!ts) {
		seg.opt.present &= (uint8_t)~TERN_OPT_TS;
		seg.opt.mss = MSS;
	}
	h_in(&k->h, &seg);
	if (k->h.out.n != 1)
		return 0;
	iss = k->h.tx[0].seq;
	o = h_tx_opts(&k->h.tx[0]);
	h_advance(&k->h, 100 * MS);
	seg = h_seg(&k->h, TERN_TH_ACK, 1001, iss + 1);
	seg.win = 65535;
	if (ts)
		h_ts(&seg, 2, o.tsval);
	h_in(&k->h, &seg);
	if (!k->h.conn || !(k->h.conn->optf & TERN_NEG_SACK) || !(k->h.conn->optf & TERN_NEG_TS) != !ts)
		return 0;
	k->una0 = iss + 1;
	k->t0 = k->h.now;
	k->ecr_lag_ms = 100;
	return h_send(&k->h, buf, n * MSS) == (int)(n * MSS) && k->h.out.n == (n < 10 ? n : 10);
}

int sk_open(struct sk *k, uint32_t n, void (*tweak)(struct tern_cfg *))
{
	return open_ts(k, n, tweak, 1);
}

int sk_open_nots(struct sk *k, uint32_t n, void (*tweak)(struct tern_cfg *))
{
	return open_ts(k, n, tweak, 0);
}

void sk_ack(struct sk *k, uint32_t ack_segs, const uint32_t (*blk)[2], int n)
{
	struct tern_seg a = h_seg(&k->h, TERN_TH_ACK, 1001, k->una0 + ack_segs * MSS);

	a.win = 65535;
	if (k->ts)
		h_ts(&a, 3, tern_ms(k->h.now) - k->ecr_lag_ms + k->h.conn->ts_off);
	if (n) {
		a.opt.present |= TERN_OPT_SACK;
		a.opt.nsack = (uint8_t)n;
		for (int i = 0; i < n; i++) {
			a.opt.sack[i].start = k->una0 + blk[i][0] * MSS;
			a.opt.sack[i].end = k->una0 + blk[i][1] * MSS;
		}
	}
	h_in(&k->h, &a);
	check_pipe(k);
}

void sk_poll_at(struct sk *k, uint64_t t)
{
	h_advance(&k->h, t - k->h.now);
	h_poll(&k->h);
	check_pipe(k);
}
