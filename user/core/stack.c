// SPDX-License-Identifier: BSD-2-Clause
/*
 * A stack: construction in caller-given memory, listeners, the input
 * dispatcher (connection -> half-open -> listener) and the timers.
 */
#include <errno.h>
#include <string.h>

#include "stack.h"
#include "tw.h"

#define ALIGN64(x) (((x) + 63) & ~(size_t)63)
#define MAX_RECORDS (1u << 26)

void tern_cfg__defaults(struct tern_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_conns = 65536;
	cfg->backlog = 4096;        /* tcp_max_syn_backlog */
	cfg->max_tw = 65536;
	cfg->max_listeners = 16;
	cfg->max_ooo = 8192;
	cfg->max_chunks = 65536;
	cfg->copy_blocks = 1024;    /* 2 MiB for copied sends */
	/* RACK-TLP on, as Linux (tcp_recovery 1): 65536 records of 16
	 * bytes (1 MiB per queue), one per segment in flight. */
	cfg->rack_segs = 65536;
	cfg->snd_buf = 262144;
	cfg->rcv_wnd = 262144;
	cfg->wmem_min = 4096;       /* tcp_wmem[0] */
	cfg->wmem_max = 4u << 20;   /* tcp_wmem[2] */
	cfg->rmem_min = 4096;       /* tcp_rmem[0] */
	/* tcp_rmem[2], window scale 7: a window of one RTT of a fast path
	 * (6 MiB is 1 Gbit/s at 50 ms). A credit-mode window rounds down to
	 * the scale's 128-byte unit (http's head_full() counts that). */
	cfg->rmem_max = 6u << 20;
	cfg->mem[0] = 64u << 20;    /* tern: tcp_mem scales with RAM; per queue */
	cfg->mem[1] = 96u << 20;
	cfg->mem[2] = 128u << 20;
	cfg->challenge_ack_limit = 1000; /* tcp_challenge_ack_limit before 6.0 */
	cfg->rto_min_ms = 200;      /* TCP_RTO_MIN */
	cfg->time_wait_ms = 60000;  /* TCP_TIMEWAIT_LEN */
	cfg->fin_timeout_ms = 60000; /* tcp_fin_timeout */
	cfg->mtu = 1500;
	cfg->ooo_per_conn = 64;
	cfg->min_snd_mss = 48;      /* tcp_min_snd_mss, TCP_MIN_SND_MSS */
	cfg->syncookies = TERN_COOKIES_AUTO; /* tcp_syncookies=1 */
	cfg->synack_retries = 5;    /* tcp_synack_retries */
	cfg->retries = 15;          /* tcp_retries2 */
	cfg->cc = TERN_CC_CUBIC;    /* tcp_congestion_control */
	cfg->loss_probes = 1;       /* tcp_early_retrans = 3 */
	cfg->frto = 2;              /* tcp_frto */
	/* tern: Linux's snd_cwnd_clamp is unbounded; 65535 segments keep a
	 * byte cwnd of any MSS inside 32 bits. */
	cfg->cwnd_clamp = 65535;
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static int cfg_valid(const struct tern_cfg *c)
{
	return c->max_conns >= 1 && c->max_conns <= MAX_RECORDS && c->backlog >= 1 &&
	       c->backlog <= MAX_RECORDS && c->max_tw >= 1 && c->max_tw <= MAX_RECORDS &&
	       c->max_listeners >= 1 && c->max_listeners <= 4096 && c->max_ooo >= 1 &&
	       c->max_ooo <= MAX_RECORDS && c->max_chunks >= 1 && c->max_chunks <= MAX_RECORDS &&
	       c->copy_blocks <= MAX_RECORDS && c->rack_segs <= MAX_RECORDS &&
	       c->rack_segs_per_conn <= c->rack_segs &&
	       c->snd_buf >= 1 && c->mtu >= 128 && c->mtu <= 9216 && c->rcv_wnd >= 1 &&
	       c->rcv_wnd <= (1u << 30) && c->rmem_max <= (1u << 30) && c->wmem_max <= (1u << 30) &&
	       c->mem[0] <= c->mem[1] && c->mem[1] <= c->mem[2] && c->syncookies <= TERN_COOKIES_ALWAYS &&
	       c->rto_min_ms >= 1 && c->rto_min_ms <= 120000 && c->time_wait_ms >= 1 &&
	       c->time_wait_ms <= TERN_DEADLINE_MAX_MS && c->fin_timeout_ms >= 1 &&
	       c->fin_timeout_ms <= TERN_DEADLINE_MAX_MS && c->ooo_per_conn >= 1 && c->retries >= 1 &&
	       c->min_snd_mss >= 48 && c->min_snd_mss <= c->mtu - 60 &&
	       c->chunks_per_conn <= c->max_chunks && c->copies_per_conn <= c->copy_blocks &&
	       tern_cc__ops(c->cc) && c->cwnd_clamp >= 2 && c->cwnd_clamp <= 65535 &&
	       c->loss_probes <= 1 && c->frto <= 2 && (!c->mss_clamp || c->mss_clamp >= c->min_snd_mss);
}

/* The sender's record beside each connection (struct tern_xmit): a
 * connection costs 256 + 168 bytes of stack memory. */
_Static_assert(sizeof(struct tern_xmit) <= 200, "struct tern_xmit must stay within 200 bytes");

/* Offsets of each region in the stack's memory. */
struct layout {
	size_t lis, reqs, req_bkt, conns, xmit, conn_bkt, conn_use, tws, tw_bkt, ooo, chunks,
		copies, rsegs, rack, rate, rrate, total;
};

/* Place n items of size sz at the next 64-byte boundary after *off. */
static size_t region(size_t *off, size_t n, size_t sz)
{
	size_t at = ALIGN64(*off);

	*off = at + n * sz;
	return at;
}

static void layout(const struct tern_cfg *c, struct layout *l)
{
	size_t off = sizeof(struct tern_stack);
	int rate;

	l->lis = region(&off, c->max_listeners, sizeof(struct tern_listener));
	l->reqs = region(&off, c->backlog, sizeof(struct tern_req));
	l->req_bkt = region(&off, pow2_at_least(c->backlog), sizeof(uint32_t));
	l->conns = region(&off, c->max_conns, sizeof(struct tern_conn));
	l->xmit = region(&off, c->max_conns, sizeof(struct tern_xmit));
	l->conn_bkt = region(&off, pow2_at_least(c->max_conns), sizeof(uint32_t));
	l->conn_use = region(&off, c->max_conns, sizeof(struct tern_conn_use));
	l->tws = region(&off, c->max_tw, sizeof(struct tern_tw));
	l->tw_bkt = region(&off, pow2_at_least(c->max_tw), sizeof(uint32_t));
	l->ooo = region(&off, c->max_ooo, sizeof(struct tern_ooo));
	l->chunks = region(&off, c->max_chunks, sizeof(struct tern_chunk));
	l->copies = region(&off, c->copy_blocks, TERN_COPY_BLOCK);
	l->rsegs = region(&off, c->rack_segs, sizeof(struct tern_rseg));
	l->rack = region(&off, c->max_conns, sizeof(struct tern_rack));
	/* delivery-rate state (rate.c) only for an algorithm that reads it */
	rate = tern_cc__ops(c->cc)->cong_control != NULL;
	l->rate = region(&off, rate ? c->max_conns : 0, sizeof(struct tern_rate));
	l->rrate = region(&off, rate ? c->rack_segs : 0, sizeof(struct tern_rrate));
	l->total = ALIGN64(off);
}

size_t tern_stack__memsize(const struct tern_cfg *cfg)
{
	struct layout l;

	if (!cfg_valid(cfg))
		return 0;
	layout(cfg, &l);
	return l.total;
}

/* tcp_select_initial_window(): the smallest shift that fits the window. */
static uint8_t choose_wscale(uint32_t space)
{
	uint8_t ws = 0;

	while (space > 65535 && ws < TERN_MAX_WSCALE) {
		space >>= 1;
		ws++;
	}
	return ws;
}

struct tern_stack *tern_stack__init(void *mem, size_t len, const struct tern_cfg *cfg,
				    const struct tern_secrets *sec, uint64_t now)
{
	struct tern_stack *s = mem;
	uint8_t *base = mem;
	struct layout l;

	if (!mem || !cfg || !sec || !cfg_valid(cfg) || ((uintptr_t)mem & 63)) {
		errno = EINVAL;
		return NULL;
	}
	layout(cfg, &l);
	if (len < l.total) {
		errno = EINVAL;
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->sec = *sec;
	memset(&s->sec.prev, 0, sizeof(s->sec.prev));
	s->sec.prev_retired = 0;
	s->sec.has_prev = 0;
	s->sec.count_off = 0;
	s->sec.fleet = 0;
	s->lis = (struct tern_listener *)(base + l.lis);
	s->rcv_wscale = choose_wscale(cfg->rcv_wnd > cfg->rmem_max ? cfg->rcv_wnd : cfg->rmem_max);
	s->backlog = cfg->backlog;
	tern_pool__init(&s->reqs, &s->sec.table, base + l.reqs, sizeof(struct tern_req), cfg->backlog,
			(uint32_t *)(base + l.req_bkt), pow2_at_least(cfg->backlog));
	tern_pool__init(&s->conns, &s->sec.table, base + l.conns, sizeof(struct tern_conn), cfg->max_conns,
			(uint32_t *)(base + l.conn_bkt), pow2_at_least(cfg->max_conns));
	s->xmit = (struct tern_xmit *)(base + l.xmit);
	s->cc = tern_cc__ops(cfg->cc);
	if (s->cc->cong_control) {
		s->rate = (struct tern_rate *)(base + l.rate);
		s->rrate = (struct tern_rrate *)(base + l.rrate);
	}
	tern_pool__init(&s->tws, &s->sec.table, base + l.tws, sizeof(struct tern_tw), cfg->max_tw,
			(uint32_t *)(base + l.tw_bkt), pow2_at_least(cfg->max_tw));
	s->tw_head = s->tw_tail = TERN_NIL;
	tern_ooo_pool__init(&s->ooo, (struct tern_ooo *)(base + l.ooo), cfg->max_ooo);
	tern_chunks__init(&s->chunks, (struct tern_chunk *)(base + l.chunks), cfg->max_chunks);
	tern_copies__init(&s->copies, base + l.copies, cfg->copy_blocks);
	s->use = (struct tern_conn_use *)(base + l.conn_use);
	memset(s->use, 0, (size_t)cfg->max_conns * sizeof(*s->use));
	tern_quota__init(s);
	tern_rack__init(s, (struct tern_rseg *)(base + l.rsegs), (struct tern_rack *)(base + l.rack));
	s->max_orphans = cfg->max_orphans ? cfg->max_orphans
					  : (cfg->max_conns / 2 ? cfg->max_conns / 2 : 1);
	s->now = now;
	tern_wheel__init(&s->wheel, now);
	return s;
}

void tern_stack__set_app(struct tern_stack *s, const struct tern_app_ops *ops, void *ctx)
{
	s->ops = ops;
	s->app_ctx = ctx;
}

void tern_stack__set_release(struct tern_stack *s, tern_release_fn fn, void *ctx)
{
	s->release = fn;
	s->release_ctx = ctx;
}

static struct tern_listener *listener_find(const struct tern_stack *s, const struct tern_tuple *t)
{
	for (uint32_t i = 0; i < s->nlis; i++) {
		struct tern_listener *l = &s->lis[i];

		if (l->port == t->lport && !memcmp(&l->addr, &t->laddr, sizeof(l->addr)))
			return l;
	}
	return NULL;
}

int tern_stack__listen(struct tern_stack *s, const struct tern_addr *addr, int family,
		       uint16_t port)
{
	struct tern_tuple t = { .laddr = *addr, .lport = port };

	if ((family != 4 && family != 6) || !port ||
	    (family == 4) != tern_addr_is_v4mapped(addr))
		return -EINVAL;
	if (listener_find(s, &t))
		return -EEXIST;
	if (s->nlis >= s->cfg.max_listeners)
		return -ENOSPC;
	s->lis[s->nlis++] = (struct tern_listener){ .addr = *addr, .port = port,
						    .family = (uint8_t)family };
	return 0;
}

uint16_t tern_listener_index(const struct tern_stack *s, const struct tern_tuple *t)
{
	const struct tern_listener *l = listener_find(s, t);

	return l ? (uint16_t)(l - s->lis) : UINT16_MAX;
}

const struct tern_listener *tern_conn_listener(const struct tern_stack *s,
					       const struct tern_conn *c)
{
	return c->lis < s->nlis ? &s->lis[c->lis] : NULL;
}

/* Linux's bounds: MAX_TCP_KEEPIDLE/KEEPINTVL 32767 s, MAX_TCP_KEEPCNT 127;
 * all zero turns keepalive off. */
static int keepalive_valid(const struct tern_listen_opts *o)
{
	if (!o->keepalive_idle_s)
		return !o->keepalive_intvl_s && !o->keepalive_cnt;
	return o->keepalive_idle_s <= 32767 && o->keepalive_intvl_s >= 1 &&
	       o->keepalive_intvl_s <= 32767 && o->keepalive_cnt >= 1 && o->keepalive_cnt <= 127;
}

int tern_stack__listen_opts(struct tern_stack *s, const struct tern_addr *addr, uint16_t port,
			    const struct tern_listen_opts *opts)
{
	struct tern_tuple t = { .laddr = *addr, .lport = port };
	struct tern_listener *l = listener_find(s, &t);

	if (!l)
		return -ENOENT;
	/* TCP_USER_TIMEOUT is an int in Linux; beyond it the ms clock's
	 * elapsed-time comparisons would wrap. */
	if (!keepalive_valid(opts) || opts->user_timeout_ms > TERN_DEADLINE_MAX_MS)
		return -EINVAL;
	l->opts = *opts;
	return 0;
}

void tern_stack__set_accepting(struct tern_stack *s, int accepting)
{
	s->refusing = !accepting;
}

int tern_stack__set_backlog(struct tern_stack *s, uint32_t n)
{
	if (!n || n > s->reqs.cap)
		return -ERANGE;
	s->backlog = n;
	return 0;
}

int tern_stack__set_syncookies(struct tern_stack *s, int mode)
{
	if (mode < TERN_COOKIES_NEVER || mode > TERN_COOKIES_ALWAYS)
		return -EINVAL;
	s->cfg.syncookies = (uint8_t)mode;
	return 0;
}

/* A segment for a TIME-WAIT record. Returns 1 when it is consumed, 0 when
 * it goes on to the listener: a new SYN (then *isn holds the ISS to use)
 * or a cookie ACK. */
static int tw_input(struct tern_stack *s, struct tern_tw *tw, const struct tern_seg *seg,
		    uint64_t now, struct tern_out *out, uint32_t *isn)
{
	switch (tern_tw__input(s, tw, seg, now, isn)) {
	case TERN_TW_ACK:
		tern_emit_tw_ack(s, tw, seg, now, out);
		return 1;
	case TERN_TW_SYN:
	case TERN_TW_COOKIE:
		return 0;
	default:
		return 1;
	}
}

static int input(struct tern_stack *s, const struct tern_seg *seg, uint64_t now,
		 struct tern_out *out);

int tern_stack__input(struct tern_stack *s, const struct tern_seg *seg, uint64_t now,
		      struct tern_out *out)
{
	int kept = input(s, seg, now, out);

	tern_chunks__wake(s);
	return kept;
}

static int input(struct tern_stack *s, const struct tern_seg *seg, uint64_t now,
		 struct tern_out *out)
{
	const struct tern_listener *l;
	uint64_t hash = UINT64_MAX;
	uint32_t tw_isn = 0;
	void *rec;

	s->now = now;
	TERN_MIB_INC(s, InSegs);
	s->mib[TERN_MIB_InSyns] += (seg->flags & (TERN_TH_SYN | TERN_TH_ACK)) == TERN_TH_SYN;
	if (s->conns.used | s->reqs.used | s->tws.used) {
		hash = tern_tuple_hash(&s->sec.table, &seg->t);
		rec = tern_pool__lookup(&s->conns, (uint32_t)hash, &seg->t);
		if (rec)
			return tern_conn_input(s, rec, seg, now, out);
		rec = tern_pool__lookup(&s->tws, (uint32_t)hash, &seg->t);
		if (rec && tw_input(s, rec, seg, now, out, &tw_isn))
			return 0;
	}
	l = listener_find(s, &seg->t);
	if (!l) {
		TERN_MIB_INC(s, InNoListener);
		tern_emit_reset(s, seg, out);
		return 0;
	}
	if (s->reqs.used) {
		rec = tern_pool__lookup(&s->reqs, (uint32_t)hash, &seg->t);
		if (rec)
			return tern_req_input(s, rec, seg, now, out);
	}
	return tern_listen_input(s, l, &hash, seg, tw_isn, now, out);
}

/*
 * tcp_v4_err() / tcp_v6_err(): the quoted tuple looked up in the
 * established table only (connections, TIME-WAIT, half-opens); a
 * listener does not match. 0 when something took it, -ENOENT if not.
 */
static int icmp_lookup(struct tern_stack *s, const struct tern_icmp *ic, uint64_t now,
		       struct tern_out *out)
{
	uint32_t hash = tern_tuple_hash(&s->sec.table, &ic->t);
	void *rec = s->conns.used ? tern_pool__lookup(&s->conns, hash, &ic->t) : NULL;

	if (rec) {
		tern_conn_icmp(s, rec, ic, now, out);
		return 0;
	}
	if (s->tws.used && tern_pool__lookup(&s->tws, hash, &ic->t))
		return 0; /* TIME-WAIT: ignored */
	rec = s->reqs.used ? tern_pool__lookup(&s->reqs, hash, &ic->t) : NULL;
	if (!rec)
		return -ENOENT;
	/* tcp_req_err(): only the SYN-ACK's own sequence is believed, and a
	 * non-fatal error changes nothing. */
	if (ic->seq != ((struct tern_req *)rec)->iss)
		TERN_MIB_INC(s, OutOfWindowIcmps);
	return 0;
}

/* tern: an IPv4 destination unreachable other than "fragmentation
 * needed" is not acted on; Linux records it as a soft error (and aborts a
 * SYN-SENT on a hard one). */
static bool icmp_acted_on(const struct tern_icmp *ic)
{
	return ic->t.family != 4 || ic->code == TERN_ICMP_FRAG_NEEDED;
}

/*
 * icmp_rcv() counts the type, then the lookup; no match is IcmpInErrors.
 * tern: the table is this queue's. An error that RSS put on another queue
 * than its flow's finds nothing here; with handoff on it is left to the
 * caller (-ENOENT, not counted) to hand to the other queues.
 */
int tern_stack__icmp(struct tern_stack *s, const struct tern_icmp *ic, uint64_t now,
		     struct tern_out *out)
{
	s->now = now;
	if (ic->t.family == 4)
		TERN_MIB_INC(s, IcmpInDestUnreachs);
	else
		TERN_MIB_INC(s, Icmp6InPktTooBigs);
	if (!icmp_acted_on(ic))
		return 0;
	if (!icmp_lookup(s, ic, now, out))
		return 0;
	if (s->icmp_handoff)
		return -ENOENT;
	if (ic->t.family == 4)
		TERN_MIB_INC(s, IcmpInErrors);
	else
		TERN_MIB_INC(s, Icmp6InErrors);
	return -ENOENT;
}

int tern_stack__icmp_handed(struct tern_stack *s, const struct tern_icmp *ic, uint64_t now,
			    struct tern_out *out)
{
	int err;

	if (!icmp_acted_on(ic))
		return -ENOENT;
	s->now = now;
	err = icmp_lookup(s, ic, now, out);
	if (!err)
		tern_chunks__wake(s);
	return err;
}

void tern_stack__set_icmp_handoff(struct tern_stack *s, int on)
{
	s->icmp_handoff = !!on;
}

/* A frame that is not TCP may be an ICMP error the XDP program steered:
 * a parse drop reason, 0, or TERN_RX_ICMP_ELSEWHERE. */
static int rx_icmp(struct tern_stack *s, const uint8_t *frame, uint32_t len, uint64_t now,
		   struct tern_out *out)
{
	struct tern_icmp ic;
	int r = tern_parse_icmp(frame, len, &ic, true);

	if (r != TERN_PARSE_OK)
		return r;
	r = tern_stack__icmp(s, &ic, now, out);
	tern_chunks__wake(s);
	return r && s->icmp_handoff ? TERN_RX_ICMP_ELSEWHERE : 0;
}

int tern_stack__rx(struct tern_stack *s, const uint8_t *frame, uint32_t len, uint64_t handle,
		   uint64_t now, struct tern_out *out)
{
	struct tern_seg seg;
	int r = tern_parse(frame, len, &seg, true);

	if (r == TERN_PARSE_NOT_TCP) {
		r = rx_icmp(s, frame, len, now, out);
		if (r == TERN_PARSE_OK || r == TERN_RX_ICMP_ELSEWHERE)
			return r;
	}
	if (r != TERN_PARSE_OK) {
		s->parse_drops[r]++;
		if (r == TERN_PARSE_TCP_CSUM)
			TERN_MIB_INC(s, InErrs);
		return r;
	}
	seg.frame = handle;
	return tern_stack__input(s, &seg, now, out) ? TERN_RX_KEPT : 0;
}

struct poll_ctx {
	struct tern_stack *s;
	struct tern_out *out;
	uint64_t now;
};

static void timer_fired(struct tern_timer *t, void *arg)
{
	struct poll_ctx *p = arg;
	struct tern_stack *s = p->s;

	if (tern_pool__owns(&s->reqs, t))
		tern_req_timer(s, (struct tern_req *)((uint8_t *)t - offsetof(struct tern_req, timer)),
			       p->now, p->out);
	else
		tern_conn_timer(s, (struct tern_conn *)((uint8_t *)t -
							offsetof(struct tern_conn, timer)),
				p->now, p->out);
}

void tern_stack__poll(struct tern_stack *s, uint64_t now, struct tern_out *out)
{
	struct poll_ctx p = { .s = s, .out = out, .now = now };

	s->now = now;
	tern_wheel__advance(&s->wheel, now, timer_fired, &p);
	tern_tw__expire(s, now);
	tern_chunks__wake(s);
}

uint64_t tern_stack__next_deadline(const struct tern_stack *s)
{
	uint64_t w = tern_wheel__next_deadline(&s->wheel), t = tern_tw__next_deadline(s);

	return w < t ? w : t;
}

const uint64_t *tern_stack__mib(const struct tern_stack *s)
{
	return s->mib;
}

const uint64_t *tern_stack__parse_drops(const struct tern_stack *s)
{
	return s->parse_drops;
}

/* Call fn for every connection (fn may close or abort the one it gets). */
void tern_stack__foreach_conn(struct tern_stack *s, void (*fn)(struct tern_conn *c, void *arg),
			      void *arg)
{
	for (uint32_t i = 0; i < s->conns.cap && s->conns.used; i++) {
		struct tern_conn *c = tern_pool__at(&s->conns, i);

		if (c->in_use)
			fn(c, arg);
	}
	tern_chunks__wake(s);
}

uint32_t tern_stack__nconns(const struct tern_stack *s)
{
	return s->conns.used;
}

uint32_t tern_stack__nreqs(const struct tern_stack *s)
{
	return s->reqs.used;
}

uint32_t tern_stack__ntw(const struct tern_stack *s)
{
	return s->tws.used;
}

const struct tern_tuple *tern_conn__tuple(const struct tern_conn *c)
{
	return &c->n.t;
}

void *tern_conn__user(const struct tern_conn *c)
{
	return c->user;
}

void tern_conn__set_user(struct tern_conn *c, void *user)
{
	c->user = user;
}

void tern_conn__info(const struct tern_conn *c, struct tern_conn_info *i)
{
	*i = (struct tern_conn_info){
		.state = c->state,
		.mss = c->mss,
		.timestamps = !!(c->optf & TERN_NEG_TS),
		.sack = !!(c->optf & TERN_NEG_SACK),
		.wscale = !!(c->optf & TERN_NEG_WS),
		.snd_wscale = c->snd_wscale,
		.rcv_wscale = c->rcv_wscale,
		.retransmits = c->retries,
		.backoff = c->backoff,
		.srtt_us = c->srtt_us >> 3,
		.rttvar_us = c->rttvar_us,
		.rto_ms = c->rto_ms,
		.cwnd = c->cwnd,
		.ssthresh = c->ssthresh,
		.snd_wnd = c->snd_wnd,
		.unacked = c->snd_max - c->snd_una,
		.queued = c->sq_bytes,
	};
}

uint32_t tern_conn__sndbuf(const struct tern_stack *s, const struct tern_conn *c)
{
	return tern_conn_use(s, c)->snd_buf;
}

void tern_conn__sndbuf_full(struct tern_conn *c)
{
	c->flags |= TERN_CF_WANT_WRITE;
}

uint32_t tern_conn__rcvbuf(const struct tern_stack *s, const struct tern_conn *c)
{
	return tern_conn_rcv_target(s, c);
}

int tern_conn__state(const struct tern_conn *c)
{
	return c->state;
}

const char *tern_state_name(int state)
{
	static const char *const names[] = {
		"CLOSED", "LISTEN", "SYN-SENT", "SYN-RCVD", "ESTABLISHED", "FIN-WAIT-1",
		"FIN-WAIT-2", "CLOSING", "TIME-WAIT", "CLOSE-WAIT", "LAST-ACK",
	};

	if (state < 0 || state >= (int)(sizeof(names) / sizeof(names[0])))
		return "?";
	return names[state];
}

const char *tern_mib_name(int mib)
{
	static const char *const names[] = {
#define X(name) #name,
		TERN_MIBS(X)
#undef X
	};

	if (mib < 0 || mib >= TERN_MIB__COUNT)
		return "?";
	return names[mib];
}
