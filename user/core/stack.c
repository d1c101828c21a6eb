// SPDX-License-Identifier: BSD-2-Clause
/*
 * A stack: construction in caller-given memory, listeners, the input
 * dispatcher (connection -> half-open -> listener) and the timers.
 */
#include <errno.h>
#include <string.h>

#include "stack.h"

#define ALIGN64(x) (((x) + 63) & ~(size_t)63)
#define MAX_RECORDS (1u << 26)

void tern_cfg__defaults(struct tern_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_conns = 65536;
	cfg->backlog = 4096;        /* tcp_max_syn_backlog */
	cfg->max_listeners = 16;
	cfg->rcv_wnd = 262144;
	cfg->challenge_ack_limit = 1000; /* tcp_challenge_ack_limit before 6.0 */
	cfg->mtu = 1500;
	cfg->syncookies = TERN_COOKIES_AUTO; /* tcp_syncookies=1 */
	cfg->synack_retries = 5;    /* tcp_synack_retries */
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
	       c->backlog <= MAX_RECORDS && c->max_listeners >= 1 && c->max_listeners <= 4096 &&
	       c->mtu >= 128 && c->mtu <= 9216 && c->rcv_wnd >= 1 && c->rcv_wnd <= (1u << 30) &&
	       c->syncookies <= TERN_COOKIES_ALWAYS;
}

/* Offsets of each region in the stack's memory. */
struct layout {
	size_t lis, reqs, req_bkt, conns, conn_bkt, total;
};

static void layout(const struct tern_cfg *c, struct layout *l)
{
	l->lis = ALIGN64(sizeof(struct tern_stack));
	l->reqs = ALIGN64(l->lis + (size_t)c->max_listeners * sizeof(struct tern_listener));
	l->req_bkt = ALIGN64(l->reqs + (size_t)c->backlog * sizeof(struct tern_req));
	l->conns = ALIGN64(l->req_bkt + (size_t)pow2_at_least(c->backlog) * sizeof(uint32_t));
	l->conn_bkt = ALIGN64(l->conns + (size_t)c->max_conns * sizeof(struct tern_conn));
	l->total = ALIGN64(l->conn_bkt + (size_t)pow2_at_least(c->max_conns) * sizeof(uint32_t));
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
	s->lis = (struct tern_listener *)(base + l.lis);
	s->rcv_wscale = choose_wscale(cfg->rcv_wnd);
	tern_pool__init(&s->reqs, base + l.reqs, sizeof(struct tern_req), cfg->backlog,
			(uint32_t *)(base + l.req_bkt), pow2_at_least(cfg->backlog));
	tern_pool__init(&s->conns, base + l.conns, sizeof(struct tern_conn), cfg->max_conns,
			(uint32_t *)(base + l.conn_bkt), pow2_at_least(cfg->max_conns));
	tern_wheel__init(&s->wheel, now);
	return s;
}

void tern_stack__set_app(struct tern_stack *s, const struct tern_app_ops *ops, void *ctx)
{
	s->ops = ops;
	s->app_ctx = ctx;
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

int tern_stack__set_syncookies(struct tern_stack *s, int mode)
{
	if (mode < TERN_COOKIES_NEVER || mode > TERN_COOKIES_ALWAYS)
		return -EINVAL;
	s->cfg.syncookies = (uint8_t)mode;
	return 0;
}

void tern_stack__input(struct tern_stack *s, const struct tern_seg *seg, uint64_t now,
		       struct tern_out *out)
{
	uint64_t hash = UINT64_MAX;
	void *rec;

	TERN_MIB_INC(s, InSegs);
	if (s->conns.used | s->reqs.used) {
		hash = tern_tuple_hash(s, &seg->t);
		rec = tern_pool__lookup(&s->conns, (uint32_t)hash, &seg->t);
		if (rec)
			return tern_conn_input(s, rec, seg, now, out);
	}
	if (!listener_find(s, &seg->t)) {
		TERN_MIB_INC(s, InNoListener);
		return tern_emit_reset(s, seg, out);
	}
	if (s->reqs.used) {
		rec = tern_pool__lookup(&s->reqs, (uint32_t)hash, &seg->t);
		if (rec)
			return tern_req_input(s, rec, seg, now, out);
	}
	tern_listen_input(s, &hash, seg, now, out);
}

int tern_stack__rx(struct tern_stack *s, const uint8_t *frame, uint32_t len, uint64_t handle,
		   uint64_t now, struct tern_out *out)
{
	struct tern_seg seg;
	int r = tern_parse(frame, len, &seg, true);

	if (r != TERN_PARSE_OK) {
		s->parse_drops[r]++;
		if (r == TERN_PARSE_TCP_CSUM)
			TERN_MIB_INC(s, InErrs);
		return r;
	}
	seg.frame = handle;
	tern_stack__input(s, &seg, now, out);
	return 0;
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
}

void tern_stack__poll(struct tern_stack *s, uint64_t now, struct tern_out *out)
{
	struct poll_ctx p = { .s = s, .out = out, .now = now };

	tern_wheel__advance(&s->wheel, now, timer_fired, &p);
}

uint64_t tern_stack__next_deadline(const struct tern_stack *s)
{
	return tern_wheel__next_deadline(&s->wheel);
}

const uint64_t *tern_stack__mib(const struct tern_stack *s)
{
	return s->mib;
}

const uint64_t *tern_stack__parse_drops(const struct tern_stack *s)
{
	return s->parse_drops;
}

uint32_t tern_stack__nconns(const struct tern_stack *s)
{
	return s->conns.used;
}

uint32_t tern_stack__nreqs(const struct tern_stack *s)
{
	return s->reqs.used;
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

int tern_conn__state(const struct tern_conn *c)
{
	return c->state;
}

const char *tern_state_name(int state)
{
	static const char *const names[] = {
		"CLOSED", "LISTEN", "SYN-RCVD", "ESTABLISHED", "FIN-WAIT-1",
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
