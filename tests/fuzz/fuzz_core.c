// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the TCP core. One stack (8 connections, 4 half-open
 * records, 4 TIME-WAIT records, challenge-ACK limit 100) listens on
 * 10.0.0.1:80 and [2001:db8::1]:80 and is rebuilt for every input. The
 * clients are 10.0.0.2 / 2001:db8::2, ports 40000..40003, so tuples collide.
 * Input format:
 *
 *   byte 0   bits 0-1 cookie mode (% 3), bit 2 synack_retries 1 (else 5),
 *            bit 3 refuse connections from client port 40003, bits 4-5
 *            start time (start_times[]), bit 6 retries 3 (else 15),
 *            bit 7 rfc1337
 *   byte 1   bit 0 keepalive (10 s idle, 5 s interval, 3 probes) and bit 1
 *            user timeout (20 s) on the IPv4 listener
 *   then ops, each an opcode byte (% OP__COUNT) and its arguments:
 *   RAW      len16, flags8, len bytes: an arbitrary Ethernet frame; with
 *            flags bit 0 the IPv4 and TCP checksums are fixed up first.
 *            With flags bit 1, instead (len unused): ctl8 (SEG's address
 *            bits), type8, code8, mtu32, delta8, quote8: an ICMP error,
 *            checksums right, quoting quote bytes of a segment tern sent
 *            to that client with seq = tern's last seq end - delta
 *   SEG      struct seg_hdr, options, payload: a valid frame from tern_build
 *   TIME     amount16, unit8: advance virtual time, then tern_stack__poll
 *   MODE     mode8: tern_stack__set_syncookies(mode % 3)
 *   APP      action8, which8, len16: the application acts on a connection
 *            (send, shutdown, close, abort) or opens one (connect)
 *
 * Missing bytes read as zero. Frames are exact-size heap copies, frames the
 * core keeps (TERN_RX_KEPT) stay allocated until it releases them, and sent
 * data is heap memory freed when acked() covers it, so ASan sees every
 * stale pointer. After every op the invariants in check_*() and the
 * callbacks' contract checks must hold; a violation is __builtin_trap().
 */
#include <stdlib.h>
#include <string.h>

#include "user/core/build.h"
#include "user/core/bytes.h"
#include "user/core/csum.h"
#include "user/core/parse.h"
#include "user/core/stack.h"
#include "user/core/tcp.h"

#define MAX_CONNS 8
#define BACKLOG 4
#define MAX_TW 4
#define MAX_OOO 16
#define MAX_CHUNKS 32
#define SND_BUF 16384
#define OUT_CAP 8
#define FAMILIES 2
#define NPORTS 4
#define PORT_BASE 40000
#define SRV_PORT 80
#define FRAME_CAP 2048
#define RAW_MAX 1600
#define PAYLOAD_MAX 128
#define SEND_MAX 4096
#define TRACK_CONNS (2 * MAX_CONNS)
#define TRACK_SENDS 16 /* send buffers per connection not yet acked */

enum op { OP_RAW, OP_SEG, OP_TIME, OP_MODE, OP_APP, OP__COUNT };
enum app_action {
	APP_SEND, APP_SHUTDOWN, APP_CLOSE, APP_ABORT, APP_CONNECT,
	APP_SEND_COPY, APP_TIMER, APP_CREDIT, APP_ACCEPTING, APP_BACKLOG, APP__COUNT
};

/* SEG op control bits. */
#define SEG_V6 0x01
#define SEG_PORT_SHIFT 1 /* 2 bits: client port index */
#define SEG_SEQ_REL 0x08 /* seq = what tern last ACKed + delta */
#define SEG_ACK_REL 0x10 /* ack = tern's last seq end + delta */
#define SEG_STDOPT 0x20  /* Linux SYN options, or NOP NOP TS */
#define SEG_BADDST 0x40  /* port 81: no listener, but active opens use it */
#define SEG_VLAN 0x80

/* Fixed part of a SEG op, read byte by byte (no struct overlay). */
struct seg_hdr {
	uint8_t flags;
	uint8_t ctl;
	uint32_t seq;   /* raw, or delta in relative mode */
	uint32_t ack;
	uint16_t win;
	uint8_t tsdelta; /* signed step of the client's TS clock */
	uint8_t optlen;  /* raw option bytes that follow */
	uint8_t paylen;  /* payload bytes that follow */
};

/* What one client (family, port) last heard from tern. */
struct peer {
	uint32_t seq_end; /* tern's last seq + SYN + FIN + len */
	uint32_t ack;     /* tern's last ack */
	uint32_t tsval;   /* tern's last TSval, echoed as TSecr */
	uint32_t ts;      /* the client's TS clock */
};

/* Application memory given to tern_conn__send(), in send order. */
struct sendbuf {
	uint8_t *p;
	uint32_t len;   /* bytes the core took */
	uint32_t acked;
};

/* A connection the application holds (from connect or accept to closed). */
struct app_conn {
	struct tern_conn *c;
	int accepted;
	uint32_t head, n; /* ring of sendbufs */
	struct sendbuf q[TRACK_SENDS];
};

struct fz {
	struct tern_stack *s;
	struct tern_tx tx[OUT_CAP];
	struct tern_out out;
	uint64_t now;
	struct peer peer[FAMILIES][NPORTS];
	struct app_conn conn[TRACK_CONNS];
	uint8_t *kept[MAX_OOO]; /* frames the core holds */
	uint32_t nkept;
	const uint8_t *cur;     /* frame of the rx call under way */
	int cur_released;
	int refuse;
	volatile uint64_t sink;
};

struct cursor {
	const uint8_t *p;
	size_t n;
};

static struct fz fz;
static void *stack_mem;
static size_t stack_len;

static const uint8_t cli_mac[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t srv_mac[6] = { 2, 0, 0, 0, 0, 1 };

static const uint64_t start_times[4] = {
	1000 * TERN_NSEC_PER_SEC,
	1 * TERN_NSEC_PER_SEC,
	(UINT32_MAX - 5000ull) * TERN_NSEC_PER_MSEC, /* TS clock wraps in 5 s */
	3599500 * TERN_NSEC_PER_MSEC,               /* cookie minute ends in 0.5 s */
};

static uint8_t take8(struct cursor *c)
{
	if (!c->n)
		return 0;
	c->n--;
	return *c->p++;
}

static uint16_t take16(struct cursor *c)
{
	uint16_t v = take8(c);

	return (uint16_t)(v << 8 | take8(c));
}

static uint32_t take32(struct cursor *c)
{
	uint32_t v = take16(c);

	return v << 16 | take16(c);
}

/* Copy up to want bytes into dst; returns how many were there. */
static size_t take_bytes(struct cursor *c, uint8_t *dst, size_t want)
{
	size_t n = want < c->n ? want : c->n;

	memcpy(dst, c->p, n);
	c->p += n;
	c->n -= n;
	return n;
}

static void *xmalloc(size_t len)
{
	void *p = malloc(len ? len : 1);

	if (!p)
		abort();
	return p;
}

static void touch(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	fz.sink += sum;
}

static struct app_conn *conn_find(const struct tern_conn *c)
{
	for (int i = 0; i < TRACK_CONNS; i++)
		if (fz.conn[i].c == c)
			return &fz.conn[i];
	return NULL;
}

/* A connection the application was told about; a callback for any other
 * is a stale or never-announced pointer. */
static struct app_conn *conn_known(const struct tern_conn *c)
{
	struct app_conn *a = c ? conn_find(c) : NULL;

	if (!a)
		__builtin_trap();
	touch(tern_conn__tuple(c), sizeof(struct tern_tuple));
	return a;
}

static struct app_conn *conn_track(struct tern_conn *c)
{
	struct app_conn *a = conn_find(NULL);

	if (!a) /* more live connections than records: closed() went missing */
		__builtin_trap();
	memset(a, 0, sizeof(*a));
	a->c = c;
	return a;
}

static void conn_untrack(struct app_conn *a)
{
	for (uint32_t i = 0; i < a->n; i++)
		free(a->q[(a->head + i) % TRACK_SENDS].p);
	memset(a, 0, sizeof(*a));
}

static int app_accept(void *ctx, struct tern_conn *c)
{
	struct app_conn *a = conn_find(c);
	const struct tern_tuple *t;

	if (!a) /* passive open */
		a = conn_track(c);
	else if (a->accepted) /* a second accept() for one connection */
		__builtin_trap();
	a->accepted = 1;
	t = tern_conn__tuple(c);
	touch(t, sizeof(*t));
	return fz.refuse && t->rport == PORT_BASE + NPORTS - 1 ? -1 : 0;
}

static void app_data(void *ctx, struct tern_conn *c, const uint8_t *p, uint32_t len)
{
	conn_known(c);
	if (len && !p)
		__builtin_trap();
	touch(p, len);
}

static void app_fin(void *ctx, struct tern_conn *c)
{
	conn_known(c);
}

/* The peer acknowledged `bytes` of sent data: free what is fully covered. */
static void app_acked(void *ctx, struct tern_conn *c, uint32_t bytes)
{
	struct app_conn *a = conn_known(c);

	while (bytes) {
		struct sendbuf *b = &a->q[a->head];
		uint32_t take = b->len - b->acked;

		if (!a->n) /* more acknowledged than was ever sent */
			__builtin_trap();
		if (take > bytes)
			take = bytes;
		b->acked += take;
		bytes -= take;
		if (b->acked == b->len) {
			free(b->p);
			a->head = (a->head + 1) % TRACK_SENDS;
			a->n--;
		}
	}
}

static void app_writable(void *ctx, struct tern_conn *c)
{
	conn_known(c);
}

static void app_timer(void *ctx, struct tern_conn *c)
{
	conn_known(c);
}

static void app_closed(void *ctx, struct tern_conn *c, int reason)
{
	struct app_conn *a = conn_known(c);

	if (reason < TERN_CLOSE_FIN || reason > TERN_CLOSE_ABORT)
		__builtin_trap();
	conn_untrack(a);
}

static const struct tern_app_ops app_ops = {
	.accept = app_accept,
	.data = app_data,
	.fin = app_fin,
	.acked = app_acked,
	.writable = app_writable,
	.timer = app_timer,
	.closed = app_closed,
};

/* The core gives back a frame it kept; it must be one it still holds. */
static void app_release(void *ctx, uint64_t handle)
{
	uint8_t *f = (uint8_t *)(uintptr_t)handle;

	if (f == fz.cur && !fz.cur_released) {
		fz.cur_released = 1;
		return;
	}
	for (uint32_t i = 0; i < fz.nkept; i++) {
		if (fz.kept[i] == f) {
			fz.kept[i] = fz.kept[--fz.nkept];
			free(f);
			return;
		}
	}
	__builtin_trap(); /* released twice, or never kept */
}

static void make_addr(struct tern_addr *a, int family, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	if (family == 4) {
		a->b[10] = a->b[11] = 0xff;
		a->b[12] = 10;
	} else {
		a->b[0] = 0x20;
		a->b[1] = 0x01;
		a->b[2] = 0x0d;
		a->b[3] = 0xb8;
	}
	a->b[15] = last;
}

static void make_cfg(struct tern_cfg *cfg, uint8_t b0, uint8_t b1)
{
	tern_cfg__defaults(cfg);
	cfg->max_conns = MAX_CONNS;
	cfg->backlog = BACKLOG;
	cfg->max_tw = MAX_TW;
	cfg->max_ooo = MAX_OOO;
	cfg->ooo_per_conn = 4;
	cfg->max_chunks = MAX_CHUNKS;
	cfg->snd_buf = SND_BUF;
	cfg->challenge_ack_limit = 100;
	cfg->syncookies = (uint8_t)((b0 & 3) % 3);
	cfg->synack_retries = b0 & 4 ? 1 : 5;
	cfg->retries = b0 & 0x40 ? 3 : 15;
	cfg->rfc1337 = !!(b0 & 0x80);
	/* RACK with a pool small enough that its bounds are reached too */
	cfg->rack_segs = b1 & 0x08 ? 16 : 0;
	cfg->rack_segs_per_conn = b1 & 0x08 ? 8 : 0;
	/* BBR: its rate records and cong_control's window rules */
	cfg->cc = b1 & 0x10 ? TERN_CC_BBR : TERN_CC_CUBIC;
}

static void make_secrets(struct tern_secrets *sec)
{
	uint8_t *b = (uint8_t *)sec;

	for (size_t i = 0; i < sizeof(*sec); i++)
		b[i] = (uint8_t)(i * 7 + 3);
}

static void stack_alloc(const struct tern_cfg *cfg)
{
	size_t len = tern_stack__memsize(cfg);

	if (!len)
		__builtin_trap();
	if (len <= stack_len)
		return;
	free(stack_mem);
	stack_mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
	if (!stack_mem)
		abort();
	stack_len = len;
}

static void listen_all(uint8_t b1)
{
	struct tern_listen_opts lo = { 0 };
	struct tern_addr a;

	make_addr(&a, 4, 1);
	if (tern_stack__listen(fz.s, &a, 4, SRV_PORT))
		__builtin_trap();
	if (b1 & 1) {
		lo.keepalive_idle_s = 10;
		lo.keepalive_intvl_s = 5;
		lo.keepalive_cnt = 3;
	}
	if (b1 & 2)
		lo.user_timeout_ms = 20000;
	if (b1 & 4)
		lo.rcv_buf = 3000; /* receive credit from the SYN-ACK on */
	if (tern_stack__listen_opts(fz.s, &a, SRV_PORT, &lo))
		__builtin_trap();
	make_addr(&a, 6, 1);
	if (tern_stack__listen(fz.s, &a, 6, SRV_PORT))
		__builtin_trap();
}

static void setup(uint8_t b0, uint8_t b1)
{
	struct tern_cfg cfg;
	struct tern_secrets sec;

	make_cfg(&cfg, b0, b1);
	make_secrets(&sec);
	stack_alloc(&cfg);
	memset(fz.peer, 0, sizeof(fz.peer));
	fz.now = start_times[(b0 >> 4) & 3];
	fz.refuse = !!(b0 & 8);
	fz.out.tx = fz.tx;
	fz.out.cap = OUT_CAP;
	fz.s = tern_stack__init(stack_mem, stack_len, &cfg, &sec, fz.now);
	if (!fz.s)
		__builtin_trap();
	tern_stack__set_app(fz.s, &app_ops, NULL);
	tern_stack__set_release(fz.s, app_release, NULL);
	listen_all(b1);
}

/* The stack is abandoned: give back what it still references. */
static void teardown(void)
{
	for (int i = 0; i < TRACK_CONNS; i++)
		conn_untrack(&fz.conn[i]);
	while (fz.nkept)
		free(fz.kept[--fz.nkept]);
}

/* An emitted segment must build, and parse back to what was described. */
static void check_tx(const struct tern_tx *tx)
{
	static uint8_t buf[FRAME_CAP];
	struct tern_seg seg;
	int len = tern_build(buf, sizeof(buf), tx);

	if (len <= 0 || (uint32_t)len != tern_build_len(tx))
		__builtin_trap();
	if (tern_parse(buf, (uint32_t)len, &seg, true) != TERN_PARSE_OK)
		__builtin_trap();
	if (seg.seq != tx->seq || seg.ack != tx->ack || seg.flags != tx->flags ||
	    seg.win != tx->win || seg.len != tx->len)
		__builtin_trap();
	if (tx->len && memcmp(seg.payload, tx->payload, tx->len))
		__builtin_trap();
	if (memcmp(&seg.t.laddr, &tx->t.raddr, sizeof(seg.t.laddr)) ||
	    memcmp(&seg.t.raddr, &tx->t.laddr, sizeof(seg.t.raddr)) ||
	    seg.t.lport != tx->t.rport || seg.t.rport != tx->t.lport)
		__builtin_trap();
}

static void check_invariants(void)
{
	if (fz.out.n > fz.out.cap)
		__builtin_trap();
	for (uint32_t i = 0; i < fz.out.n; i++)
		check_tx(&fz.tx[i]);
	if (tern_stack__nconns(fz.s) > MAX_CONNS || tern_stack__nreqs(fz.s) > BACKLOG)
		__builtin_trap();
	/* each connection's bytes in flight: the counter is its records' walk */
	for (int i = 0; i < TRACK_CONNS; i++)
		if (fz.conn[i].c && tern_rack__check(fz.s, fz.conn[i].c))
			__builtin_trap();
	(void)tern_stack__next_deadline(fz.s);
}

static struct peer *peer_of(int family, uint16_t port)
{
	if (port < PORT_BASE || port >= PORT_BASE + NPORTS)
		return NULL;
	return &fz.peer[family == 6][port - PORT_BASE];
}

/* Remember tern's last sequence numbers and TSval towards each client. */
static void track(const struct tern_tx *tx)
{
	struct peer *p = peer_of(tx->t.family, tx->t.rport);
	struct tern_opts o;

	if (!p || (tx->flags & TERN_TH_RST))
		return;
	p->seq_end = tx->seq + tx->len + !!(tx->flags & TERN_TH_SYN) +
		     !!(tx->flags & TERN_TH_FIN);
	p->ack = tx->ack;
	tern_parse_opts(tx->opt, tx->optlen, &o);
	if (o.present & TERN_OPT_TS)
		p->tsval = o.tsval;
}

static void after_op(void)
{
	check_invariants();
	for (uint32_t i = 0; i < fz.out.n && i < fz.out.cap; i++)
		track(&fz.tx[i]);
}

/* Feed an exactly sized heap copy, so ASan sees any read past the frame;
 * the copy lives on while the core keeps it. */
static void rx(const uint8_t *frame, uint32_t len)
{
	uint8_t *copy = xmalloc(len);
	int ret;

	memcpy(copy, frame, len);
	fz.out.n = 0;
	fz.cur = copy;
	fz.cur_released = 0;
	ret = tern_stack__rx(fz.s, copy, len, (uintptr_t)copy, fz.now, &fz.out);
	fz.cur = NULL;
	/* Checked before the frame goes: a reply may point into it. */
	after_op();
	if (ret == TERN_RX_KEPT) {
		if (fz.cur_released || fz.nkept >= MAX_OOO)
			__builtin_trap(); /* kept and released, or over max_ooo */
		fz.kept[fz.nkept++] = copy;
		return;
	}
	if (ret < 0 || ret >= TERN_PARSE__COUNT)
		__builtin_trap();
	free(copy);
}

static void csum_store(uint8_t *field, uint64_t sum)
{
	uint16_t c = tern_csum_fold(sum);

	memcpy(field, &c, sizeof(c));
}

/* Fix the TCP checksum of th[0..len) if the header reaches the field. */
static void fix_tcp(uint8_t *th, uint32_t len, int family, const uint8_t *src,
		    const uint8_t *dst)
{
	struct tern_addr s, d;

	if (len < 18)
		return;
	make_addr(&s, family, 0);
	make_addr(&d, family, 0);
	if (family == 4) {
		memcpy(s.b + 12, src, 4);
		memcpy(d.b + 12, dst, 4);
	} else {
		memcpy(s.b, src, 16);
		memcpy(d.b, dst, 16);
	}
	th[16] = th[17] = 0;
	csum_store(th + 16, tern_csum_add(tern_csum_pseudo(family, &s, &d, len), th, len));
}

/* Make the checksums of a mutated frame right, so its headers get parsed. */
static void fix_csums(uint8_t *f, uint32_t len)
{
	uint32_t off = TERN_ETH_HLEN, ihl, tot, plen;
	uint16_t proto;
	uint8_t *ip;

	if (len < TERN_ETH_HLEN + 4)
		return;
	proto = (uint16_t)(f[12] << 8 | f[13]);
	if (proto == 0x8100) {
		proto = (uint16_t)(f[16] << 8 | f[17]);
		off += TERN_VLAN_HLEN;
	}
	ip = f + off;
	if (proto == 0x0800 && len - off >= TERN_IP4_HLEN) {
		ihl = (ip[0] & 0x0fu) * 4;
		tot = (uint32_t)(ip[2] << 8 | ip[3]);
		if (ihl < TERN_IP4_HLEN || ihl > len - off)
			return;
		ip[10] = ip[11] = 0;
		csum_store(ip + 10, tern_csum_add(0, ip, ihl));
		if (tot >= ihl && tot <= len - off)
			fix_tcp(ip + ihl, tot - ihl, 4, ip + 12, ip + 16);
	} else if (proto == 0x86dd && len - off >= TERN_IP6_HLEN) {
		plen = (uint32_t)(ip[4] << 8 | ip[5]);
		if (plen <= len - off - TERN_IP6_HLEN)
			fix_tcp(ip + TERN_IP6_HLEN, plen, 6, ip + 8, ip + 24);
	}
}

static void op_icmp(struct cursor *c);

static void op_raw(struct cursor *c)
{
	static uint8_t frame[RAW_MAX];
	uint32_t want = take16(c) % RAW_MAX;
	uint8_t flags = take8(c);
	uint32_t len;

	if (flags & 2)
		return op_icmp(c);
	len = (uint32_t)take_bytes(c, frame, want);
	if (flags & 1)
		fix_csums(frame, len);
	rx(frame, len);
}

static void read_seg_hdr(struct cursor *c, struct seg_hdr *h)
{
	h->flags = take8(c);
	h->ctl = take8(c);
	h->seq = take32(c);
	h->ack = take32(c);
	h->win = take16(c);
	h->tsdelta = take8(c);
	h->optlen = take8(c);
	h->paylen = take8(c);
}

static uint8_t put_ts(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	o[0] = 1;
	o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	for (int i = 0; i < 4; i++) {
		o[4 + i] = (uint8_t)(tsval >> (24 - 8 * i));
		o[8 + i] = (uint8_t)(tsecr >> (24 - 8 * i));
	}
	return 12;
}

/* A Linux SYN's options: MSS 1460, SACK-permitted, TS, NOP, WS 7. */
static uint8_t put_syn_opts(uint8_t *o, uint32_t tsval)
{
	static const uint8_t head[4] = { 2, 4, 0x05, 0xb4 };
	static const uint8_t tail[4] = { 1, 3, 3, 7 };

	memcpy(o, head, 4);
	put_ts(o + 4, tsval, 0);
	o[4] = 4; /* SACK-permitted replaces NOP NOP */
	o[5] = 2;
	memcpy(o + 16, tail, 4);
	return 20;
}

/* Options: the standard set if asked for, then raw bytes, padded with EOL. */
static void seg_opts(struct cursor *c, const struct seg_hdr *h, struct peer *p,
		     struct tern_tx *tx)
{
	uint8_t n = 0, raw[TERN_TCP_MAX_OPTLEN];
	size_t nraw;

	if (h->ctl & SEG_STDOPT)
		n = h->flags & TERN_TH_SYN ? put_syn_opts(tx->opt, p->ts)
					   : put_ts(tx->opt, p->ts, p->tsval);
	nraw = take_bytes(c, raw, h->optlen % (TERN_TCP_MAX_OPTLEN + 1));
	if (nraw > (size_t)(TERN_TCP_MAX_OPTLEN - n))
		nraw = TERN_TCP_MAX_OPTLEN - n;
	memcpy(tx->opt + n, raw, nraw);
	n = (uint8_t)(n + nraw);
	while (n % 4)
		tx->opt[n++] = 0;
	tx->optlen = n;
}

static void seg_addrs(const struct seg_hdr *h, struct tern_tx *tx)
{
	int family = h->ctl & SEG_V6 ? 6 : 4;

	tx->t.family = (uint8_t)family;
	make_addr(&tx->t.laddr, family, 2);
	make_addr(&tx->t.raddr, family, 1);
	tx->t.lport = (uint16_t)(PORT_BASE + ((h->ctl >> SEG_PORT_SHIFT) & 3));
	tx->t.rport = h->ctl & SEG_BADDST ? SRV_PORT + 1 : SRV_PORT;
	memcpy(tx->l2.peer_mac, srv_mac, 6);
	memcpy(tx->l2.local_mac, cli_mac, 6);
	tx->l2.has_vlan = !!(h->ctl & SEG_VLAN);
	tx->l2.vlan_tci = 100;
}

static void op_seg(struct cursor *c)
{
	static uint8_t payload[PAYLOAD_MAX], frame[FRAME_CAP];
	struct tern_tx tx;
	struct seg_hdr h;
	struct peer *p;
	int len;

	memset(&tx, 0, sizeof(tx));
	read_seg_hdr(c, &h);
	seg_addrs(&h, &tx);
	p = peer_of(tx.t.family, tx.t.lport);
	p->ts += (uint32_t)(int32_t)(int8_t)h.tsdelta;
	tx.flags = h.flags;
	tx.seq = h.ctl & SEG_SEQ_REL ? p->ack + h.seq : h.seq;
	tx.ack = h.ctl & SEG_ACK_REL ? p->seq_end + h.ack : h.ack;
	tx.win = h.win;
	seg_opts(c, &h, p, &tx);
	tx.len = (uint32_t)take_bytes(c, payload, h.paylen % (PAYLOAD_MAX + 1));
	tx.payload = payload;
	len = tern_build(frame, sizeof(frame), &tx);
	if (len <= 0)
		__builtin_trap(); /* every descriptor made here is valid */
	rx(frame, (uint32_t)len);
}

/* The ICMP error a router between tern and the client would send about
 * a segment of tern's (RFC 792, RFC 4443 3.2). */
static void op_icmp(struct cursor *c)
{
	static uint8_t seg[FRAME_CAP], frame[FRAME_CAP];
	struct tern_tx tx;
	struct seg_hdr h;
	struct peer *p;
	uint32_t hl, ilen, quote, slen, off = TERN_ETH_HLEN;
	uint8_t type, code, *ip, *ic;
	uint32_t mtu;
	uint64_t sum = 0;

	memset(&tx, 0, sizeof(tx));
	memset(&h, 0, sizeof(h));
	h.ctl = take8(c);
	type = take8(c);
	code = take8(c);
	mtu = take32(c);
	seg_addrs(&h, &tx);
	p = peer_of(tx.t.family, tx.t.lport);
	/* tern's segment: the tuple turned around */
	tx.t.laddr = tx.t.raddr;
	make_addr(&tx.t.raddr, tx.t.family, 2);
	tx.t.rport = tx.t.lport;
	tx.t.lport = h.ctl & SEG_BADDST ? SRV_PORT + 1 : SRV_PORT;
	tx.seq = p->seq_end - (uint32_t)(int32_t)(int8_t)take8(c);
	tx.ack = p->ack;
	tx.flags = TERN_TH_ACK;
	quote = take8(c);
	slen = (uint32_t)tern_build(seg, sizeof(seg), &tx);
	if ((int)slen <= 0)
		__builtin_trap();
	if (quote > slen - off)
		quote = slen - off;
	memcpy(frame, seg, 12);
	memcpy(frame + 12, seg + 12, tx.l2.has_vlan ? 6 : 2);
	off += tx.l2.has_vlan ? TERN_VLAN_HLEN : 0;
	ip = frame + off;
	hl = tx.t.family == 4 ? TERN_IP4_HLEN : TERN_IP6_HLEN;
	ilen = 8 + quote;
	memset(ip, 0, hl);
	if (tx.t.family == 4) {
		ip[0] = 0x45;
		tern_put_be16(ip + 2, (uint16_t)(hl + ilen));
		ip[8] = 64;
		ip[9] = 1;
		memcpy(ip + 12, tx.t.raddr.b + 12, 4);
		ip[15] = 254; /* the router */
		memcpy(ip + 16, tx.t.laddr.b + 12, 4);
		csum_store(ip + 10, tern_csum_add(0, ip, hl));
	} else {
		ip[0] = 0x60;
		tern_put_be16(ip + 4, (uint16_t)ilen);
		ip[6] = 58;
		ip[7] = 255;
		memcpy(ip + 8, tx.t.raddr.b, 16);
		ip[23] = 254;
		memcpy(ip + 24, tx.t.laddr.b, 16);
		sum = tern_csum_add(58 + (uint64_t)ilen, ip + 8, 32);
	}
	ic = ip + hl;
	ic[0] = type;
	ic[1] = code;
	ic[2] = ic[3] = 0;
	tern_put_be32(ic + 4, mtu);
	memcpy(ic + 8, seg + off, quote);
	csum_store(ic + 2, tern_csum_add(sum, ic, ilen));
	rx(frame, off + hl + ilen);
}

static void op_time(struct cursor *c)
{
	static const uint64_t units[4] = {
		100 * 1000, TERN_NSEC_PER_MSEC, TERN_NSEC_PER_SEC, 60 * TERN_NSEC_PER_SEC,
	};
	uint64_t amount = take16(c);

	fz.now += amount * units[take8(c) & 3];
	fz.out.n = 0;
	tern_stack__poll(fz.s, fz.now, &fz.out);
	after_op();
}

static void op_mode(struct cursor *c)
{
	if (tern_stack__set_syncookies(fz.s, take8(c) % 3))
		__builtin_trap();
	fz.out.n = 0;
	after_op();
}

/* The i-th tracked connection (i modulo how many there are), or NULL. */
static struct app_conn *conn_pick(uint8_t i)
{
	int n = 0;

	for (int k = 0; k < TRACK_CONNS; k++)
		n += !!fz.conn[k].c;
	if (!n)
		return NULL;
	i %= n;
	for (int k = 0; k < TRACK_CONNS; k++)
		if (fz.conn[k].c && !i--)
			return &fz.conn[k];
	return NULL;
}

/* Queue len bytes of fresh heap memory; it is freed once acked. */
static void app_send(struct app_conn *a, uint16_t len)
{
	struct tern_conn *c = a->c;
	uint8_t *p;
	int n;

	if (a->n == TRACK_SENDS)
		return;
	len = (uint16_t)(len % SEND_MAX + 1);
	p = xmalloc(len);
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)i;
	n = tern_conn__send(fz.s, c, p, len, fz.now, &fz.out);
	if (n > len)
		__builtin_trap();
	if (n <= 0 || a->c != c) { /* refused, or closed() already ran */
		free(p);
		return;
	}
	a->q[(a->head + a->n++) % TRACK_SENDS] = (struct sendbuf){ .p = p, .len = (uint32_t)n };
}

/* The copying send: the bytes are tracked (acked() counts them) but there
 * is nothing to free, and the source buffer is scribbled on at once. */
static void app_send_copy(struct app_conn *a, uint16_t len)
{
	static uint8_t src[SEND_MAX];
	struct tern_conn *c = a->c;
	int n;

	if (a->n == TRACK_SENDS)
		return;
	len = (uint16_t)(len % SEND_MAX + 1);
	n = tern_conn__send_copy(fz.s, c, src, len, fz.now, &fz.out);
	memset(src, 0xa5, len);
	if (n > len)
		__builtin_trap();
	if (n <= 0 || a->c != c)
		return;
	a->q[(a->head + a->n++) % TRACK_SENDS] = (struct sendbuf){ .p = NULL, .len = (uint32_t)n };
}

/* Stack-wide settings an operator changes at run time. */
static void app_setting(uint8_t action, uint16_t v)
{
	if (action == APP_ACCEPTING)
		tern_stack__set_accepting(fz.s, v & 1);
	else if (tern_stack__set_backlog(fz.s, v % 8) && v % 8 && v % 8 <= BACKLOG)
		__builtin_trap(); /* a value within the memory was refused */
}

/* Active open from 10.0.0.1 / 2001:db8::1, port 80 (the listener's) or
 * 81, to one of the clients. */
static void app_connect(uint8_t which)
{
	int family = which & 1 ? 6 : 4;
	struct tern_tuple t = { .family = (uint8_t)family };
	struct tern_l2 l2 = { 0 };
	struct tern_conn *c;

	make_addr(&t.laddr, family, 1);
	make_addr(&t.raddr, family, 2);
	t.lport = which & 2 ? SRV_PORT + 1 : SRV_PORT;
	t.rport = (uint16_t)(PORT_BASE + ((which >> 2) & 3));
	memcpy(l2.peer_mac, cli_mac, 6);
	memcpy(l2.local_mac, srv_mac, 6);
	c = tern_stack__connect(fz.s, &t, &l2, fz.now, &fz.out);
	if (c && !conn_find(c))
		conn_track(c);
}

static void op_app(struct cursor *c)
{
	uint8_t action = take8(c) % APP__COUNT, which = take8(c);
	uint16_t len = take16(c);
	struct app_conn *a = action == APP_CONNECT ? NULL : conn_pick(which);

	fz.out.n = 0;
	if (action == APP_CONNECT)
		app_connect(which);
	else if (action == APP_ACCEPTING || action == APP_BACKLOG)
		app_setting(action, len);
	else if (a && action == APP_SEND)
		app_send(a, len);
	else if (a && action == APP_SEND_COPY)
		app_send_copy(a, len);
	else if (a && action == APP_TIMER)
		tern_conn__set_timer(fz.s, a->c, len % 5000, fz.now);
	else if (a && action == APP_CREDIT)
		tern_conn__rcv_credit(fz.s, a->c, len, fz.now, &fz.out);
	else if (a && action == APP_SHUTDOWN)
		tern_conn__shutdown(fz.s, a->c, fz.now, &fz.out);
	else if (a && action == APP_CLOSE)
		tern_conn__close(fz.s, a->c, fz.now, &fz.out);
	else if (a)
		tern_conn__abort(fz.s, a->c, fz.now, &fz.out);
	after_op();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = { data, size };
	uint8_t b0, b1;

	if (size < 2)
		return 0;
	b0 = take8(&c);
	b1 = take8(&c);
	setup(b0, b1);
	while (c.n) {
		switch (take8(&c) % OP__COUNT) {
		case OP_RAW:
			op_raw(&c);
			break;
		case OP_SEG:
			op_seg(&c);
			break;
		case OP_TIME:
			op_time(&c);
			break;
		case OP_MODE:
			op_mode(&c);
			break;
		default:
			op_app(&c);
			break;
		}
	}
	teardown();
	return 0;
}
