// SPDX-License-Identifier: BSD-2-Clause
/*
 * Send side of a connection: the send queue (application memory by
 * reference, in pooled chunks), segmentation within the peer's MSS, its
 * window and our congestion window, what an ACK of our data does (RTT per
 * RFC 6298, slow start and congestion avoidance per RFC 5681, NewReno fast
 * retransmit and recovery per RFC 6582), the retransmission timeout with
 * exponential backoff, and zero-window probes. Retransmission is go-back-N
 * from SND.UNA: snd_nxt rewinds, snd_max remembers the highest sequence sent.
 */
#include <errno.h>
#include <string.h>

#include "stack.h"

#define RTO_MAX_MS (TERN_RTO_MAX_NS / TERN_NSEC_PER_MSEC)

void tern_chunks__init(struct tern_chunk_pool *p, struct tern_chunk *mem, uint32_t cap)
{
	p->e = mem;
	p->cap = cap;
	p->used = 0;
	for (uint32_t i = 0; i < cap; i++)
		mem[i].next = i + 1 < cap ? i + 1 : TERN_NIL;
	p->free_head = cap ? 0 : TERN_NIL;
}

void tern_copies__init(struct tern_copy_pool *p, uint8_t *mem, uint32_t cap)
{
	p->mem = mem;
	p->cap = cap;
	p->used = 0;
	for (uint32_t i = 0; i < cap; i++) {
		uint32_t next = i + 1 < cap ? i + 1 : TERN_NIL;

		memcpy(mem + (size_t)i * TERN_COPY_BLOCK, &next, sizeof(next));
	}
	p->free_head = cap ? 0 : TERN_NIL;
}

static uint8_t *copy_get(struct tern_copy_pool *p)
{
	uint8_t *b;

	if (p->free_head == TERN_NIL)
		return NULL;
	b = p->mem + (size_t)p->free_head * TERN_COPY_BLOCK;
	memcpy(&p->free_head, b, sizeof(p->free_head));
	p->used++;
	return b;
}

/* Give back the block behind a chunk, if the chunk is a copy. */
static void copy_put(struct tern_copy_pool *p, const uint8_t *ptr)
{
	uint32_t i;

	if (ptr < p->mem || ptr >= p->mem + (size_t)p->cap * TERN_COPY_BLOCK)
		return;
	i = (uint32_t)((size_t)(ptr - p->mem) / TERN_COPY_BLOCK);
	memcpy(p->mem + (size_t)i * TERN_COPY_BLOCK, &p->free_head, sizeof(p->free_head));
	p->free_head = i;
	p->used--;
}

static void chunk_free(struct tern_stack *s, uint32_t i)
{
	struct tern_chunk_pool *p = &s->chunks;

	copy_put(&s->copies, p->e[i].p);
	p->e[i].next = p->free_head;
	p->free_head = i;
	p->used--;
	if (p->starved)
		p->wake = 1;
}

/* The bytes at offset `off` from the first unacknowledged byte: a pointer
 * and how many follow contiguously in that chunk. */
static const uint8_t *sq_at(const struct tern_stack *s, const struct tern_conn *c, uint32_t off,
			    uint32_t *avail)
{
	uint32_t i = c->sq_head;

	off += c->sq_off;
	while (off >= s->chunks.e[i].len) {
		off -= s->chunks.e[i].len;
		i = s->chunks.e[i].next;
	}
	*avail = s->chunks.e[i].len - off;
	return s->chunks.e[i].p + off;
}

/* Drop n acknowledged bytes from the head of the send queue. */
static void sq_consume(struct tern_stack *s, struct tern_conn *c, uint32_t n)
{
	c->sq_bytes -= n;
	n += c->sq_off;
	while (c->sq_head != TERN_NIL && n >= s->chunks.e[c->sq_head].len) {
		uint32_t i = c->sq_head;

		n -= s->chunks.e[i].len;
		c->sq_head = s->chunks.e[i].next;
		tern_conn_quota_put(s, c, s->chunks.e[i].p);
		chunk_free(s, i);
	}
	if (c->sq_head == TERN_NIL)
		c->sq_tail = TERN_NIL;
	c->sq_off = n;
}

/*
 * After chunks came back to a pool that had run dry, tell every connection
 * that was refused for it (rare: the scan is over all records, and only
 * after the stack-wide pool was exhausted). Runs at the end of a stack
 * entry point, outside any connection's processing.
 */
void tern_chunks__wake(struct tern_stack *s)
{
	if (!s->chunks.wake)
		return;
	s->chunks.wake = 0;
	s->chunks.starved = 0;
	for (uint32_t i = 0; i < s->conns.cap && s->chunks.free_head != TERN_NIL; i++) {
		struct tern_conn *c = tern_pool__at(&s->conns, i);

		if (!c->in_use || !(c->flags & TERN_CF_WANT_WRITE) || c->sq_bytes >= s->cfg.snd_buf)
			continue;
		c->flags &= ~TERN_CF_WANT_WRITE;
		if (s->ops && s->ops->writable)
			s->ops->writable(s->app_ctx, c);
	}
}

void tern_conn_sq_purge(struct tern_stack *s, struct tern_conn *c)
{
	while (c->sq_head != TERN_NIL) {
		uint32_t i = c->sq_head;

		c->sq_head = s->chunks.e[i].next;
		tern_conn_quota_put(s, c, s->chunks.e[i].p);
		chunk_free(s, i);
	}
	c->sq_tail = TERN_NIL;
	c->sq_bytes = c->sq_off = 0;
}

/* Queue application memory (zero copy). Returns bytes accepted (> 0) or a
 * negative errno: -EAGAIN when the send buffer or the chunk pool is full. */
int tern_conn_sq_append(struct tern_stack *s, struct tern_conn *c, const void *p, uint32_t len)
{
	uint32_t room = s->cfg.snd_buf - c->sq_bytes, i = s->chunks.free_head;

	if (len > room)
		len = room;
	if (!len || i == TERN_NIL) {
		c->flags |= TERN_CF_WANT_WRITE;
		if (len)
			s->chunks.starved = 1; /* the whole stack's pool is empty */
		TERN_MIB_INC(s, OutSndBufFull);
		return -EAGAIN;
	}
	if (tern_conn_quota_full(s, c, 0)) {
		c->flags |= TERN_CF_WANT_WRITE;
		return -EAGAIN;
	}
	s->chunks.free_head = s->chunks.e[i].next;
	s->chunks.used++;
	s->chunks.e[i] = (struct tern_chunk){ .p = p, .len = len, .next = TERN_NIL };
	if (c->sq_tail == TERN_NIL)
		c->sq_head = i;
	else
		s->chunks.e[c->sq_tail].next = i;
	c->sq_tail = i;
	c->sq_bytes += len;
	tern_conn_quota_take(s, c, p);
	return (int)len;
}

/*
 * The copying send: up to len bytes are copied into 2 KiB blocks of the
 * stack's copy arena and queued; the application may reuse p at once.
 * Returns bytes taken (> 0) or -EAGAIN (send buffer, chunk or copy pool
 * full; writable() follows).
 */
int tern_conn_send_copy(struct tern_stack *s, struct tern_conn *c, const void *p, uint32_t len)
{
	const uint8_t *src = p;
	uint32_t done = 0;

	while (done < len) {
		uint32_t room = s->cfg.snd_buf - c->sq_bytes, n = len - done;
		uint8_t *b;

		if (n > TERN_COPY_BLOCK)
			n = TERN_COPY_BLOCK;
		if (n > room)
			n = room;
		if (!n || s->chunks.free_head == TERN_NIL || tern_conn_quota_full(s, c, 1) ||
		    !(b = copy_get(&s->copies))) {
			if (!done) {
				c->flags |= TERN_CF_WANT_WRITE;
				s->chunks.starved = 1;
				TERN_MIB_INC(s, OutSndBufFull);
				return -EAGAIN;
			}
			break;
		}
		memcpy(b, src + done, n);
		tern_conn_sq_append(s, c, b, n); /* room and a chunk were checked */
		done += n;
	}
	return (int)done;
}

static uint32_t rto_backed_off(const struct tern_conn *c)
{
	uint64_t rto = (uint64_t)c->rto_ms << c->backoff;

	return rto < RTO_MAX_MS ? (uint32_t)rto : (uint32_t)RTO_MAX_MS;
}

/* The retransmission timeout to arm now: backed off, and never past the
 * user timeout (tcp_clamp_rto_to_user_timeout). */
static uint32_t rto_arm(const struct tern_stack *s, const struct tern_conn *c, uint64_t now)
{
	const struct tern_listener *l = tern_conn_listener(s, c);
	uint32_t rto = rto_backed_off(c), ut = l ? l->opts.user_timeout_ms : 0;
	uint32_t elapsed = tern_ms(now) - c->una_since;

	if (!ut || !c->una_since)
		return rto;
	if (elapsed >= ut)
		return 1;
	return ut - elapsed < rto ? ut - elapsed : rto;
}

static uint32_t flight(const struct tern_conn *c)
{
	return c->snd_max - c->snd_una;
}

/* tcp_acceptable_seq(): SND.NXT, or the window's right edge when the peer
 * shrank its window below what we already sent (with Linux's allowance
 * for window-scale rounding). */
uint32_t tern_conn_acceptable_seq(const struct tern_conn *c)
{
	uint32_t wnd_end = c->snd_una + c->snd_wnd;

	if (tern_seq_ge(wnd_end, c->snd_max) ||
	    ((c->optf & TERN_NEG_WS) && c->snd_max - wnd_end < (1u << c->rcv_wscale)))
		return c->snd_max;
	return wnd_end;
}

static uint32_t data_end(const struct tern_conn *c)
{
	return c->snd_una + c->sq_bytes;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * The payload that fits a segment now: the MSS (timestamps already taken
 * off) less the SACK option while out-of-order data makes us send blocks
 * (tcp_current_mss). Counted for as many blocks as could be sent.
 */
static uint32_t current_mss(const struct tern_conn *c)
{
	uint32_t max = c->optf & TERN_NEG_TS ? 3 : 4, n = c->ooo.n < max ? c->ooo.n : max;

	if (!(c->optf & TERN_NEG_SACK) || !n)
		return c->mss;
	return c->mss - (4 + 8 * n);
}

/* Send one data segment at snd_nxt, or the FIN. Returns 0 when no more can
 * go out now. */
static int send_one(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out)
{
	uint32_t end = data_end(c), wnd_end = c->snd_una + min32(c->snd_wnd, c->cwnd);
	uint32_t len, avail, mss = current_mss(c);
	const uint8_t *p;

	if (tern_seq_ge(c->snd_nxt, end)) {
		/* FIN-WAIT-2 is the only live state whose FIN is acknowledged
		 * (then snd_una is past it and end would point after it). */
		if (!(c->flags & TERN_CF_FIN_QUEUED) || c->state == TERN_FIN_WAIT_2 ||
		    c->snd_nxt != end ||
		    tern_seq_gt(end + 1, c->snd_una + c->snd_wnd))
			return 0;
		if (!tern_emit_conn_seg(s, c, end, TERN_TH_FIN | TERN_TH_ACK, NULL, 0, now, out))
			return 0;
		if (c->flags & TERN_CF_FIN_SENT)
			TERN_MIB_INC(s, RetransSegs);
		c->flags |= TERN_CF_FIN_SENT;
		c->snd_nxt = end + 1;
		return 1;
	}
	if (tern_seq_ge(c->snd_nxt, wnd_end))
		return 0;
	p = sq_at(s, c, c->snd_nxt - c->snd_una, &avail);
	len = min32(min32(mss, avail), min32(end - c->snd_nxt, wnd_end - c->snd_nxt));
	if (tern_conn_sws_hold(c, len, avail, mss)) /* sws.c */
		return 0;
	if (!tern_emit_conn_seg(s, c, c->snd_nxt,
				TERN_TH_ACK | (c->snd_nxt + len == end ? TERN_TH_PSH : 0), p, len,
				now, out))
		return 0;
	if (tern_seq_lt(c->snd_nxt, c->snd_max))
		TERN_MIB_INC(s, RetransSegs);
	else if (!(c->optf & TERN_NEG_TS) && !(c->flags & TERN_CF_RTT)) {
		c->flags |= TERN_CF_RTT;
		c->rtt_seq = c->snd_nxt;
		c->rtt_ms = tern_ms(now);
	}
	c->snd_nxt += len;
	return 1;
}

void tern_conn_output(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		      struct tern_out *out)
{
	uint32_t sent_from = c->snd_max;

	if (c->state == TERN_SYN_SENT || c->state == TERN_TIME_WAIT)
		return;
	while (send_one(s, c, now, out)) {
		if (tern_seq_gt(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
	}
	if (c->snd_max != sent_from && sent_from == c->snd_una)
		c->una_since = tern_deadline(now, 0);
	if (c->snd_una != c->snd_max) {
		if (!c->rto_at)
			c->rto_at = tern_deadline(now, rto_arm(s, c, now));
	} else if ((c->sq_bytes || ((c->flags & TERN_CF_FIN_QUEUED) &&
				    !(c->flags & TERN_CF_FIN_SENT))) && !c->rto_at) {
		/* Something to send, nothing in flight: the window is shut. */
		c->flags |= TERN_CF_PROBING;
		c->una_since = 0; /* the first probe starts the user timeout */
		c->rto_at = tern_deadline(now, rto_arm(s, c, now));
	}
}

/* A sample that does not fit in microseconds is no sample (as Linux's
 * tcp_rtt_tsopt_us): a TSecr from the future or made up by the peer, or a
 * timed segment from long ago. */
#define RTT_MAX_MS (INT32_MAX / 1000)

/* RFC 6298 2.2-2.4 with Linux's fixed point: srtt_us is 8 x SRTT. */
static void rtt_sample(struct tern_stack *s, struct tern_conn *c, uint32_t ms)
{
	int32_t m, err;
	uint32_t rto;

	if (ms >= RTT_MAX_MS)
		return;
	c->backoff = 0; /* RFC 6298 5.7 / Karn: only a valid sample undoes it */
	m = (int32_t)(ms ? ms : 1) * 1000;

	if (!c->srtt_us) {
		c->srtt_us = (uint32_t)m << 3;
		c->rttvar_us = (uint32_t)m / 2;
	} else {
		err = m - (int32_t)(c->srtt_us >> 3);
		c->srtt_us += err;
		/* RTTVAR = 3/4 RTTVAR + 1/4 |err|, kept non-negative */
		c->rttvar_us = c->rttvar_us - c->rttvar_us / 4 + (uint32_t)(err < 0 ? -err : err) / 4;
	}
	rto = ((c->srtt_us >> 3) + (4 * c->rttvar_us > 1000 ? 4 * c->rttvar_us : 1000)) / 1000;
	c->rto_ms = rto < s->cfg.rto_min_ms ? s->cfg.rto_min_ms
		    : rto > RTO_MAX_MS ? (uint32_t)RTO_MAX_MS : rto;
}

static void rtt_on_ack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		       uint64_t now)
{
	if ((c->optf & TERN_NEG_TS) && (seg->opt.present & TERN_OPT_TS) && seg->opt.tsecr) {
		rtt_sample(s, c, tern_ms(now) - (seg->opt.tsecr - c->ts_off));
		return;
	}
	if ((c->flags & TERN_CF_RTT) && tern_seq_gt(seg->ack, c->rtt_seq)) {
		c->flags &= ~TERN_CF_RTT;
		rtt_sample(s, c, tern_ms(now) - c->rtt_ms);
	}
}

/* Retransmit the first unacknowledged segment (fast retransmit). */
static void retransmit_head(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			    struct tern_out *out)
{
	uint32_t nxt = c->snd_nxt, cwnd = c->cwnd;

	c->snd_nxt = c->snd_una;
	c->cwnd = flight(c) + c->mss; /* let exactly one segment out */
	send_one(s, c, now, out);
	c->cwnd = cwnd;
	if (tern_seq_gt(nxt, c->snd_nxt))
		c->snd_nxt = nxt;
}

/* RFC 5681 3.1 / RFC 6582 3.2 step 3 for a cumulative ACK of `acked`. */
static void cc_on_ack(struct tern_stack *s, struct tern_conn *c, uint32_t acked, uint64_t now,
		      struct tern_out *out)
{
	if (c->flags & TERN_CF_RECOVERY) {
		if (tern_seq_ge(c->snd_una, c->recover)) {
			c->flags &= ~TERN_CF_RECOVERY; /* full ACK */
			c->cwnd = min32(c->ssthresh, flight(c) + c->mss);
			return;
		}
		retransmit_head(s, c, now, out); /* partial ACK */
		c->cwnd = (c->cwnd > acked ? c->cwnd - acked : 0) + (acked >= c->mss ? c->mss : 0);
		return;
	}
	if (c->cwnd < c->ssthresh)
		c->cwnd += min32(acked, c->mss);
	else
		c->cwnd += c->mss * c->mss / c->cwnd ? c->mss * c->mss / c->cwnd : 1;
}

/* RFC 5681 3.2 / RFC 6582 3.2 steps 1-2 for a duplicate ACK. */
static void cc_on_dupack(struct tern_stack *s, struct tern_conn *c, uint64_t now,
			 struct tern_out *out)
{
	if (c->dupacks < UINT8_MAX)
		c->dupacks++;
	if (c->flags & TERN_CF_RECOVERY) {
		c->cwnd += c->mss;
		return;
	}
	if (c->dupacks != 3 || !tern_seq_gt(c->snd_una, c->recover))
		return;
	c->ssthresh = flight(c) / 2 > 2u * c->mss ? flight(c) / 2 : 2u * c->mss;
	c->recover = c->snd_max;
	c->flags |= TERN_CF_RECOVERY;
	c->flags &= ~TERN_CF_RTT;
	TERN_MIB_INC(s, TCPFastRetrans);
	retransmit_head(s, c, now, out);
	c->cwnd = c->ssthresh + 3u * c->mss;
}

static void new_ack(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		    uint64_t now, struct tern_out *out)
{
	uint32_t acked = seg->ack - c->snd_una, data = acked;
	int fin_acked = 0;

	if ((c->flags & TERN_CF_FIN_SENT) && tern_seq_gt(seg->ack, data_end(c))) {
		fin_acked = 1;
		data = data_end(c) - c->snd_una;
	}
	rtt_on_ack(s, c, seg, now);
	sq_consume(s, c, data);
	c->snd_una = seg->ack;
	if (tern_seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	c->bytes_acked = c->bytes_acked + acked < c->bytes_acked ? UINT32_MAX
								: c->bytes_acked + acked;
	c->retries = 0;
	c->dupacks = 0;
	c->una_since = tern_ms(now);
	c->rto_at = c->snd_una == c->snd_max ? 0 : tern_deadline(now, rto_arm(s, c, now));
	cc_on_ack(s, c, acked, now, out);
	if (data && s->ops && s->ops->acked)
		s->ops->acked(s->app_ctx, c, data);
	if (fin_acked && c->in_use)
		tern_conn_fin_acked(s, c, now);
}

/* The peer's ACK field, once the segment is acceptable: new data
 * acknowledged, or a duplicate ACK (RFC 5681 2), or nothing. */
void tern_conn_acked(struct tern_stack *s, struct tern_conn *c, const struct tern_seg *seg,
		     int win_changed, uint64_t now, struct tern_out *out)
{
	if (c->flags & TERN_CF_PROBING) {
		c->retries = 0; /* the peer answers: keep probing (tcp_ack) */
		if (c->snd_wnd) {
			/* tcp_ack_probe(): the window opened; the RTO takes over */
			c->flags &= ~TERN_CF_PROBING;
			c->backoff = 0;
			c->rto_at = 0;
		}
	}
	if (tern_seq_gt(seg->ack, c->snd_una)) {
		new_ack(s, c, seg, now, out);
	} else if (seg->ack == c->snd_una && c->snd_una != c->snd_max && !seg->len &&
		   !(seg->flags & (TERN_TH_SYN | TERN_TH_FIN)) && !win_changed) {
		cc_on_dupack(s, c, now, out);
	}
	if (c->in_use && (c->flags & TERN_CF_WANT_WRITE) && c->sq_bytes < s->cfg.snd_buf) {
		c->flags &= ~TERN_CF_WANT_WRITE;
		if (s->ops && s->ops->writable)
			s->ops->writable(s->app_ctx, c);
	}
}

static int timed_out(struct tern_stack *s, struct tern_conn *c, uint64_t now,
		     struct tern_out *out)
{
	const struct tern_listener *l = tern_conn_listener(s, c);
	uint32_t ut = l ? l->opts.user_timeout_ms : 0;

	if (tern_conn_orphan_timeout(s, c, now, out))
		return 1;
	if (ut && c->una_since && tern_ms(now) - c->una_since >= ut) {
		TERN_MIB_INC(s, TCPAbortOnTimeout);
		tern_conn_abort_reason(s, c, TERN_CLOSE_USER_TIMEOUT, now, out);
		return 1;
	}
	if (c->retries >= s->cfg.retries) {
		TERN_MIB_INC(s, TCPAbortOnTimeout);
		tern_conn_abort_reason(s, c, TERN_CLOSE_TIMEOUT, now, out);
		return 1;
	}
	return 0;
}

/* The window is shut: a probe is a bare ACK with SEQ=SND.UNA-1
 * (tcp_xmit_probe_skb), backed off like the RTO. */
static void probe(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out)
{
	TERN_MIB_INC(s, TCPWinProbe);
	tern_emit_conn_seg(s, c, c->snd_una - 1, TERN_TH_ACK, NULL, 0, now, out);
	if (!c->una_since) /* icsk_probes_tstamp */
		c->una_since = tern_deadline(now, 0);
	c->retries++;
	if (c->backoff < 31)
		c->backoff++;
	c->rto_at = tern_deadline(now, rto_arm(s, c, now));
}

/* The retransmission (or probe) timer expired. */
void tern_conn_rto(struct tern_stack *s, struct tern_conn *c, uint64_t now, struct tern_out *out)
{
	if (c->state == TERN_SYN_SENT)
		return tern_synsent_rto(s, c, now, out);
	if (c->snd_una == c->snd_max && !(c->flags & TERN_CF_PROBING))
		return;
	if (timed_out(s, c, now, out))
		return;
	if ((c->flags & TERN_CF_PROBING) || !c->snd_wnd) {
		c->flags &= ~TERN_CF_PROBING;
		if (c->snd_wnd && c->snd_una == c->snd_max)
			return tern_conn_output(s, c, now, out); /* window opened */
		c->flags |= TERN_CF_PROBING;
		return probe(s, c, now, out);
	}
	TERN_MIB_INC(s, TCPTimeouts);
	c->retries++;
	c->ssthresh = flight(c) / 2 > 2u * c->mss ? flight(c) / 2 : 2u * c->mss;
	c->cwnd = c->mss; /* loss window, RFC 5681 3.1 */
	c->recover = c->snd_max;
	c->flags &= ~(TERN_CF_RECOVERY | TERN_CF_RTT);
	c->dupacks = 0;
	if (c->backoff < 31)
		c->backoff++;
	c->snd_nxt = c->snd_una;
	tern_conn_output(s, c, now, out);
	c->rto_at = tern_deadline(now, rto_arm(s, c, now));
}
