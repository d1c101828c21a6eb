// SPDX-License-Identifier: BSD-2-Clause
/*
 * NewReno's window rules as Linux's tcp_reno_cong_avoid / tcp_reno_ssthresh:
 * slow start by the bytes acknowledged (RFC 3465 without an L limit, as
 * Linux), one MSS per window of acknowledged bytes in congestion
 * avoidance, half the window on a loss. The recovery itself (RFC 6582)
 * is the send path's.
 */
#include "stack.h"

enum { RENO_AI_CNT = 0 }; /* priv word: bytes toward the next MSS (snd_cwnd_cnt) */

static void reno_init(struct tern_conn *c, uint32_t *priv)
{
	priv[RENO_AI_CNT] = 0;
}

static void reno_on_ack(struct tern_conn *c, uint32_t *priv, uint32_t acked, uint32_t now_ms)
{
	if (c->cwnd < c->ssthresh) {
		acked = tern_cc__slow_start(c, acked);
		if (!acked)
			return;
	}
	tern_cc__ai(c, &priv[RENO_AI_CNT], c->cwnd, acked);
}

/* tcp_reno_ssthresh(): max(cwnd / 2, 2) in whole segments, as Linux
 * counts them; tcp_enter_loss() and tcp_init_cwnd_reduction() clear
 * snd_cwnd_cnt. */
static uint32_t reno_on_loss(struct tern_conn *c, uint32_t *priv, enum tern_cc_loss kind)
{
	uint32_t half = (c->mss ? c->cwnd / c->mss : c->cwnd) >> 1;

	priv[RENO_AI_CNT] = 0;
	return (half > 2 ? half : 2) * (uint32_t)c->mss;
}

const struct tern_cc_ops tern_cc_reno = {
	.name = "reno",
	.init = reno_init,
	.on_ack = reno_on_ack,
	.on_loss = reno_on_loss,
	.cwnd = tern_cc__cwnd,
	.pacing_rate = tern_cc__pacing_rate,
};
