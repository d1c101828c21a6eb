// SPDX-License-Identifier: BSD-2-Clause
/*
 * Buffer autotuning and the stack's memory bound (Linux's tcp_rmem,
 * tcp_wmem and tcp_mem).
 *
 * Receive: the window a connection advertises starts at cfg.rcv_wnd and
 * grows to twice what the application consumed in one RTT, up to
 * cfg.rmem_max (dynamic right-sizing, tcp_rcv_space_adjust). Consumed
 * means delivered to an application that takes everything, or given back
 * as receive credit by one that holds what it receives.
 *
 * Send: the send buffer starts at cfg.snd_buf and grows to two congestion
 * windows (at least two initial windows) up to cfg.wmem_max when the
 * application was refused for space and the congestion window is not
 * what limits sending (tcp_should_expand_sndbuf, tcp_sndbuf_expand).
 *
 * Memory: what the stack's connections hold is their send queues plus
 * the frames in out-of-order queues (2 KiB each). Buffers grow only while
 * it is below cfg.mem[0] (send) or outside pressure (receive). Above
 * cfg.mem[1] the stack is under pressure (TCPMemoryPressures) until it
 * falls below cfg.mem[0]: receive windows are cut to four segments (no
 * less than rmem_min; tcp_adjust_rcv_ssthresh), without ever moving an
 * advertised right edge back, and a connection holding more than its fair
 * share (mem[2] / connections, __sk_mem_raise_allocated) has its send
 * buffer halved toward wmem_min (sk_stream_moderate_sndbuf) and its send
 * refused. At cfg.mem[2] every send is refused (OutSndMemFull), and new
 * data to a connection that already holds queued data is dropped unACKed
 * (TCPRcvQDrop, as tcp_data_queue() does when tcp_try_rmem_schedule()
 * fails); out-of-order data is dropped (TCPOFODrop).
 */
#include "stack.h"

#define OOO_FRAME 2048u  /* a held out-of-order frame (one UMEM frame) */
#define INIT_CWND 10u    /* TCP_INIT_CWND */

static uint32_t rmem_min(const struct tern_stack *s)
{
	return s->cfg.rmem_min < s->cfg.rcv_wnd ? s->cfg.rmem_min : s->cfg.rcv_wnd;
}

static uint32_t rmem_max(const struct tern_stack *s)
{
	return s->cfg.rmem_max > s->cfg.rcv_wnd ? s->cfg.rmem_max : s->cfg.rcv_wnd;
}

static uint32_t wmem_min(const struct tern_stack *s)
{
	return s->cfg.wmem_min < s->cfg.snd_buf ? s->cfg.wmem_min : s->cfg.snd_buf;
}

static uint32_t wmem_max(const struct tern_stack *s)
{
	return s->cfg.wmem_max > s->cfg.snd_buf ? s->cfg.wmem_max : s->cfg.snd_buf;
}

uint64_t tern_mem_used(const struct tern_stack *s)
{
	return s->sq_total + (uint64_t)s->ooo.used * OOO_FRAME;
}

/* tcp_enter_memory_pressure / tcp_leave_memory_pressure. */
void tern_mem_update(struct tern_stack *s)
{
	uint64_t used = tern_mem_used(s);

	if (!s->mem_pressure && used > s->cfg.mem[1]) {
		s->mem_pressure = 1;
		TERN_MIB_INC(s, TCPMemoryPressures);
	} else if (s->mem_pressure && used < s->cfg.mem[0]) {
		s->mem_pressure = 0;
	}
}

/* The application's consumed edge: RCV.NXT, plus the credit it gave. */
static uint32_t consumed(const struct tern_conn *c)
{
	return c->rcv_nxt + (c->rcv_credit == TERN_RCV_UNLIMITED ? 0 : c->rcv_credit);
}

/* tcp_init_buffer_space(). Called again once the connection's receive
 * credit is set: the consumed edge counts it. */
void tern_conn_buf_init(struct tern_stack *s, struct tern_conn *c, uint64_t now)
{
	struct tern_conn_use *u = tern_conn_use(s, c);
	uint32_t w = s->cfg.rcv_wnd, init = INIT_CWND * c->mss;

	u->snd_buf = s->cfg.snd_buf;
	u->rcv_space = w;
	u->rcvq_space = init < w ? init : w;
	u->rcvq_seq = consumed(c);
	u->rcvq_time = tern_ms(now);
	/* What the SYN-ACK (or our SYN) offered, never scaled. */
	u->rcv_adv = tern_synack_window(s, c->n.t.family, c->optf,
					c->lis < s->nlis ? s->lis[c->lis].opts.rcv_buf : 0);
}

/* __sk_mem_raise_allocated() under pressure: may c hold `bytes` more? */
static int fair_share(const struct tern_stack *s, const struct tern_conn *c, uint32_t bytes)
{
	uint64_t held = (uint64_t)c->sq_bytes + bytes + (uint64_t)c->ooo.n * OOO_FRAME;

	return held * (s->conns.used ? s->conns.used : 1) < s->cfg.mem[2];
}

/* sk_stream_moderate_sndbuf(). */
static void moderate_sndbuf(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_conn_use *u = tern_conn_use(s, c);
	uint32_t half = c->sq_bytes >> 1, min = wmem_min(s);

	if (u->snd_buf > half)
		u->snd_buf = half;
	if (u->snd_buf < min)
		u->snd_buf = min;
}

uint32_t tern_conn_snd_room(struct tern_stack *s, struct tern_conn *c, uint32_t len)
{
	struct tern_conn_use *u = tern_conn_use(s, c);
	uint32_t room;

	if (tern_mem_used(s) + len > s->cfg.mem[2]) {
		TERN_MIB_INC(s, OutSndMemFull);
		return 0;
	}
	if (s->mem_pressure && !fair_share(s, c, len)) {
		moderate_sndbuf(s, c);
		TERN_MIB_INC(s, OutSndMemFull);
		return 0;
	}
	room = u->snd_buf > c->sq_bytes ? u->snd_buf - c->sq_bytes : 0;
	return len < room ? len : room;
}

/* tcp_should_expand_sndbuf() + tcp_sndbuf_expand(). tern: the buffer
 * counts payload bytes, not skb truesize, so it is two windows of
 * segments, without Linux's per-segment overhead. */
void tern_conn_sndbuf_expand(struct tern_stack *s, struct tern_conn *c)
{
	struct tern_conn_use *u = tern_conn_use(s, c);
	uint32_t segs = c->mss ? c->cwnd / c->mss : 0, max = wmem_max(s);
	uint64_t want;

	if (s->mem_pressure || tern_mem_used(s) >= s->cfg.mem[0])
		return;
	if (c->snd_max - c->snd_una >= c->cwnd)
		return; /* the congestion window limits sending, not the buffer */
	if (segs < INIT_CWND)
		segs = INIT_CWND;
	want = 2ull * segs * c->mss;
	if (want > max)
		want = max;
	if (want > u->snd_buf)
		u->snd_buf = (uint32_t)want;
}

/*
 * tcp_rcv_space_adjust(): once per RTT, compare what the application
 * consumed with the most it consumed in one RTT before; on growth, aim the
 * window at twice that plus 16 segments, plus twice the growth rate
 * (Linux 6.x's formula), up to rmem_max. tern: the RTT is the sender's
 * SRTT (which includes the handshake's sample), not a separate receiver
 * estimate (tcp_rcv_rtt_measure); no RTT sample yet: no adjustment.
 */
void tern_conn_rcv_space_adjust(struct tern_stack *s, struct tern_conn *c, uint64_t now)
{
	struct tern_conn_use *u = tern_conn_use(s, c);
	uint32_t rtt_ms = (c->srtt_us >> 3) / 1000, copied;
	uint64_t win, grow;

	if (!c->srtt_us || tern_ms(now) - u->rcvq_time < (rtt_ms ? rtt_ms : 1))
		return;
	copied = consumed(c) - u->rcvq_seq;
	if (copied > u->rcvq_space && !s->mem_pressure) {
		win = 2ull * copied + 16ull * c->mss;
		grow = win * (copied - u->rcvq_space) / (u->rcvq_space ? u->rcvq_space : 1);
		win += grow << 1;
		if (win > rmem_max(s))
			win = rmem_max(s);
		if (win > u->rcv_space)
			u->rcv_space = (uint32_t)win;
		u->rcvq_space = copied;
	}
	u->rcvq_seq = consumed(c);
	u->rcvq_time = tern_ms(now);
}

/* Under pressure, tcp_adjust_rcv_ssthresh(): at most four segments (and
 * not below rmem_min). The stored target is lowered too, so the window
 * grows again from there once the pressure is gone. */
uint32_t tern_conn_rcv_target(const struct tern_stack *s, const struct tern_conn *c)
{
	struct tern_conn_use *u = tern_conn_use(s, c);
	uint32_t cut = 4u * c->mss, min = rmem_min(s);

	if (!s->mem_pressure)
		return u->rcv_space;
	if (cut < min)
		cut = min;
	if (u->rcv_space > cut)
		u->rcv_space = cut;
	return u->rcv_space;
}

int tern_conn_rcv_mem_full(const struct tern_stack *s, const struct tern_conn *c)
{
	return c->rcv_credit != TERN_RCV_UNLIMITED && c->sq_bytes &&
	       tern_mem_used(s) >= s->cfg.mem[2];
}
