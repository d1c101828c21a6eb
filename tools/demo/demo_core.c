// SPDX-License-Identifier: BSD-2-Clause
/*
 * tern-demo-core: the TCP core on its own, with frames built in memory and
 * a virtual clock (no network). A listener on 10.0.0.1:80, cookies in auto
 * mode (tcp_syncookies=1), 64 half-open records:
 *
 *   1. a client connects, sends "hello" and closes its side; the
 *      application closes too (FIN, ACK: the connection is gone);
 *   2. 10,000 SYNs from random sources fill the half-open table, and SYN
 *      cookies answer the rest;
 *   3. a second client completes a cookie handshake during the flood;
 *   4. 70 s of virtual time pass: the flood's half-opens are retried
 *      (SYN-ACK at 1, 3, 7, 15, 31 s) and expire at 63 s.
 *
 * Exits 0 only if each step did what it says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user/core/build.h"
#include "user/core/parse.h"
#include "user/core/tcp.h"

#define BACKLOG 64
#define MAX_CONNS 1024
#define OUT_CAP 256
#define FRAME_CAP 2048
#define FLOOD_SYNS 10000
#define SYNACK_RETRIES 5
#define T0 (1000 * TERN_NSEC_PER_SEC)

struct demo {
	struct tern_stack *s;
	void *mem;
	struct tern_tx tx[OUT_CAP];
	struct tern_out out;
	uint64_t now;
	uint64_t rng;
	int failures;
	/* application events */
	int accepts, fins, closes;
	char data[256];
	uint32_t ndata;
	struct tern_conn *last;
};

/* The client side of a connection, as a real client would track it. */
struct client {
	const char *name;
	struct tern_addr addr;
	uint16_t port;
	uint32_t snd_nxt; /* next sequence number to send */
	uint32_t rcv_nxt; /* next sequence number expected from tern */
	uint32_t ts;      /* TS clock */
	uint32_t tsecr;   /* tern's last TSval */
};

static const uint8_t cli_mac[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t srv_mac[6] = { 2, 0, 0, 0, 0, 1 };

static int app_accept(void *ctx, struct tern_conn *c)
{
	struct demo *d = ctx;

	d->accepts++;
	d->last = c;
	printf("    app: accept (connection %d)\n", d->accepts);
	return 0;
}

static void app_data(void *ctx, struct tern_conn *c, const uint8_t *p, uint32_t len)
{
	struct demo *d = ctx;

	printf("    app: data, %u bytes: \"%.*s\"\n", len, (int)len, (const char *)p);
	if (d->ndata + len < sizeof(d->data)) {
		memcpy(d->data + d->ndata, p, len);
		d->ndata += len;
		d->data[d->ndata] = 0;
	}
}

static void app_fin(void *ctx, struct tern_conn *c)
{
	((struct demo *)ctx)->fins++;
	printf("    app: peer closed its side (FIN), state %s\n",
	       tern_state_name(tern_conn__state(c)));
}

static void app_closed(void *ctx, struct tern_conn *c, int reason)
{
	static const char *const why[] = { "FIN", "RST", "TIMEOUT", "USER_TIMEOUT",
					   "KEEPALIVE", "ABORT" };
	struct demo *d = ctx;

	d->closes++;
	if (d->last == c)
		d->last = NULL;
	printf("    app: connection closed, reason %s\n",
	       reason >= 0 && reason <= TERN_CLOSE_ABORT ? why[reason] : "?");
}

static const struct tern_app_ops app_ops = {
	.accept = app_accept, .data = app_data, .fin = app_fin, .closed = app_closed,
};

static const char *addr_str(const struct tern_addr *a)
{
	static char buf[4][16];
	static int i;
	char *s = buf[i++ & 3];

	snprintf(s, 16, "%u.%u.%u.%u", a->b[12], a->b[13], a->b[14], a->b[15]);
	return s;
}

static uint64_t rnd(struct demo *d)
{
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return d->rng * 0x2545f4914f6cdd1dull;
}

static void expect(struct demo *d, int ok, const char *what)
{
	printf("  %s: %s\n", ok ? "ok" : "FAILED", what);
	if (!ok)
		d->failures++;
}

static uint64_t mib(const struct demo *d, int m)
{
	return tern_stack__mib(d->s)[m];
}

static int init(struct demo *d)
{
	struct tern_cfg cfg;
	struct tern_secrets sec;
	struct tern_addr a;
	size_t len;

	memset(d, 0, sizeof(*d));
	tern_cfg__defaults(&cfg);
	cfg.backlog = BACKLOG;
	cfg.max_conns = MAX_CONNS;
	cfg.syncookies = TERN_COOKIES_AUTO;
	cfg.synack_retries = SYNACK_RETRIES;
	for (size_t i = 0; i < sizeof(sec); i++)
		((uint8_t *)&sec)[i] = (uint8_t)(i * 31 + 1);
	len = tern_stack__memsize(&cfg);
	d->mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
	if (!d->mem)
		return -1;
	d->now = T0;
	d->rng = 0x9e3779b97f4a7c15ull;
	d->out.tx = d->tx;
	d->out.cap = OUT_CAP;
	d->s = tern_stack__init(d->mem, len, &cfg, &sec, d->now);
	if (!d->s)
		return -1;
	tern_stack__set_app(d->s, &app_ops, d);
	tern_addr_set_v4(&a, 10, 0, 0, 1);
	return tern_stack__listen(d->s, &a, 4, 80);
}

static void flags_str(uint8_t f, char *s)
{
	if (f & TERN_TH_SYN)
		*s++ = 'S';
	if (f & TERN_TH_FIN)
		*s++ = 'F';
	if (f & TERN_TH_RST)
		*s++ = 'R';
	if (f & TERN_TH_PSH)
		*s++ = 'P';
	if (f & TERN_TH_ACK)
		*s++ = '.';
	*s = 0;
}

static void print_opts(const struct tern_opts *o)
{
	const char *sep = " <";

	if (o->present & TERN_OPT_MSS) {
		printf("%smss %u", sep, o->mss);
		sep = ",";
	}
	if (o->present & TERN_OPT_SACKOK) {
		printf("%ssackOK", sep);
		sep = ",";
	}
	if (o->present & TERN_OPT_TS) {
		printf("%sTS val %u ecr %u", sep, o->tsval, o->tsecr);
		sep = ",";
	}
	if (o->present & TERN_OPT_WS) {
		printf("%swscale %u", sep, o->wscale);
		sep = ",";
	}
	if (o->present)
		printf(">");
}

/* tcpdump-like line for a parsed frame. */
static void print_seg(const char *dir, const struct tern_seg *seg)
{
	char f[8];

	flags_str(seg->flags, f);
	printf("  %s %s:%u > %s:%u [%s] seq %u ack %u win %u len %u", dir,
	       addr_str(&seg->t.raddr), seg->t.rport, addr_str(&seg->t.laddr), seg->t.lport, f,
	       seg->seq, seg->ack, seg->win, seg->len);
	print_opts(&seg->opt);
	printf("\n");
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A Linux client's options: MSS, SACK-permitted, TS, NOP, WS 7 on a SYN;
 * NOP NOP TS afterwards. */
static void client_opts(struct client *cl, struct tern_tx *tx)
{
	static const uint8_t syn[20] = {
		2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7,
	};
	static const uint8_t ts[12] = { 1, 1, 8, 10 };

	cl->ts++;
	if (tx->flags & TERN_TH_SYN) {
		memcpy(tx->opt, syn, sizeof(syn));
		put32(tx->opt + 8, cl->ts);
		tx->optlen = sizeof(syn);
		return;
	}
	memcpy(tx->opt, ts, sizeof(ts));
	put32(tx->opt + 4, cl->ts);
	put32(tx->opt + 8, cl->tsecr);
	tx->optlen = sizeof(ts);
}

/* Build a frame from the client, print it, and feed it to the stack. */
static void client_send(struct demo *d, struct client *cl, uint8_t flags, const char *payload)
{
	static uint8_t frame[FRAME_CAP];
	struct tern_tx tx = { .t = { .laddr = cl->addr, .lport = cl->port, .rport = 80,
				     .family = 4 } };
	struct tern_seg seg;
	int len;

	tern_addr_set_v4(&tx.t.raddr, 10, 0, 0, 1);
	memcpy(tx.l2.peer_mac, srv_mac, 6);
	memcpy(tx.l2.local_mac, cli_mac, 6);
	tx.flags = flags;
	tx.seq = cl->snd_nxt;
	tx.ack = flags & TERN_TH_ACK ? cl->rcv_nxt : 0;
	tx.win = flags & TERN_TH_SYN ? 64240 : 502;
	client_opts(cl, &tx);
	tx.payload = (const uint8_t *)payload;
	tx.len = payload ? (uint32_t)strlen(payload) : 0;
	len = tern_build(frame, sizeof(frame), &tx);
	if (len <= 0 || tern_parse(frame, (uint32_t)len, &seg, true)) {
		expect(d, 0, "client frame builds and parses");
		return;
	}
	print_seg(cl->name, &seg);
	cl->snd_nxt += tx.len + !!(flags & TERN_TH_SYN) + !!(flags & TERN_TH_FIN);
	d->out.n = 0;
	tern_stack__rx(d->s, frame, (uint32_t)len, 0, d->now, &d->out);
}

/* Turn tern's reply i into a frame, as the client receives it. */
static int client_recv(struct demo *d, struct client *cl, uint32_t i, struct tern_seg *seg)
{
	static uint8_t frame[FRAME_CAP];
	int len;

	if (i >= d->out.n)
		return -1;
	len = tern_build(frame, sizeof(frame), &d->tx[i]);
	if (len <= 0 || tern_parse(frame, (uint32_t)len, seg, true))
		return -1;
	print_seg("tern  ", seg);
	cl->rcv_nxt = seg->seq + seg->len + !!(seg->flags & TERN_TH_SYN) +
		      !!(seg->flags & TERN_TH_FIN);
	if (seg->opt.present & TERN_OPT_TS)
		cl->tsecr = seg->opt.tsval;
	return 0;
}

/* SYN, SYN-ACK, ACK. 0 when the application accepted the connection. */
static int handshake(struct demo *d, struct client *cl)
{
	struct tern_seg seg;
	int accepts = d->accepts;

	client_send(d, cl, TERN_TH_SYN, NULL);
	if (client_recv(d, cl, 0, &seg) || seg.flags != (TERN_TH_SYN | TERN_TH_ACK))
		return -1;
	d->now += 300 * TERN_NSEC_PER_MSEC / 1000; /* 300 us RTT */
	client_send(d, cl, TERN_TH_ACK, NULL);
	return d->accepts == accepts + 1 ? 0 : -1;
}

static void step1(struct demo *d)
{
	struct client cl = { .name = "client", .port = 40000, .snd_nxt = 1000 };
	struct tern_seg seg;

	printf("\n## 1. A client connects, sends \"hello\", closes; so does the app\n\n");
	tern_addr_set_v4(&cl.addr, 10, 0, 0, 2);
	expect(d, !handshake(d, &cl), "three-way handshake, connection accepted");
	expect(d, mib(d, TERN_MIB_SyncookiesSent) == 0, "stateful SYN-ACK (table not full)");
	client_send(d, &cl, TERN_TH_PSH | TERN_TH_ACK, "hello");
	expect(d, !client_recv(d, &cl, 0, &seg) && seg.ack == cl.snd_nxt, "data ACKed");
	expect(d, !strcmp(d->data, "hello"), "\"hello\" delivered to the application");
	client_send(d, &cl, TERN_TH_FIN | TERN_TH_ACK, NULL);
	expect(d, !client_recv(d, &cl, 0, &seg) && seg.ack == cl.snd_nxt, "FIN ACKed");
	expect(d, d->fins == 1 && d->last &&
		  !strcmp(tern_state_name(tern_conn__state(d->last)), "CLOSE-WAIT"),
	       "application told, connection in CLOSE-WAIT");
	if (!d->last)
		return;
	printf("    app: close\n");
	d->out.n = 0;
	tern_conn__close(d->s, d->last, d->now, &d->out);
	expect(d, !client_recv(d, &cl, 0, &seg) && (seg.flags & TERN_TH_FIN), "tern sends its FIN");
	client_send(d, &cl, TERN_TH_ACK, NULL);
	expect(d, d->closes == 1 && d->out.n == 0, "the client's ACK ends the connection");
}

/* One flood SYN from a random 198.18.0.0/15 source, no reply expected. */
static void flood_syn(struct demo *d)
{
	static uint8_t frame[FRAME_CAP];
	uint64_t r = rnd(d);
	struct tern_tx tx = { .t = { .lport = (uint16_t)(1024 + r % 64512), .rport = 80,
				     .family = 4 } };
	int len;

	tern_addr_set_v4(&tx.t.laddr, 198, (uint8_t)(18 + ((r >> 16) & 1)), (uint8_t)(r >> 24),
			 (uint8_t)(r >> 32));
	tern_addr_set_v4(&tx.t.raddr, 10, 0, 0, 1);
	memcpy(tx.l2.peer_mac, srv_mac, 6);
	memcpy(tx.l2.local_mac, cli_mac, 6);
	tx.flags = TERN_TH_SYN;
	tx.seq = (uint32_t)(r >> 32);
	tx.win = 64240;
	memcpy(tx.opt, "\x02\x04\x05\xb4", 4); /* MSS 1460 only, like trafgen */
	tx.optlen = 4;
	len = tern_build(frame, sizeof(frame), &tx);
	d->out.n = 0;
	if (len > 0)
		tern_stack__rx(d->s, frame, (uint32_t)len, 0, d->now, &d->out);
	d->now += 1000; /* 1 us apart: a 1 Mpps flood */
}

static void step2(struct demo *d)
{
	uint64_t sent;

	printf("\n## 2. SYN flood: %d SYNs from random sources\n\n", FLOOD_SYNS);
	for (int i = 0; i < FLOOD_SYNS; i++)
		flood_syn(d);
	sent = mib(d, TERN_MIB_SyncookiesSent);
	printf("  half-open records in use: %u of %u\n", tern_stack__nreqs(d->s), BACKLOG);
	printf("  SyncookiesSent: %llu, TCPReqQFullDoCookies: %llu\n", (unsigned long long)sent,
	       (unsigned long long)mib(d, TERN_MIB_TCPReqQFullDoCookies));
	expect(d, tern_stack__nreqs(d->s) == BACKLOG, "half-open table full");
	expect(d, sent >= FLOOD_SYNS - BACKLOG, "cookies answered the SYNs that did not fit");
}

static void step3(struct demo *d)
{
	struct client cl = { .name = "client", .port = 40001, .snd_nxt = 77777 };
	uint64_t sent = mib(d, TERN_MIB_SyncookiesSent);
	struct tern_seg seg;

	printf("\n## 3. A legitimate client connects during the flood\n\n");
	tern_addr_set_v4(&cl.addr, 10, 0, 0, 3);
	d->ndata = 0;
	expect(d, !handshake(d, &cl), "handshake completed");
	expect(d, mib(d, TERN_MIB_SyncookiesSent) == sent + 1 &&
		  mib(d, TERN_MIB_SyncookiesRecv) == 1, "it was a SYN cookie handshake");
	client_send(d, &cl, TERN_TH_PSH | TERN_TH_ACK, "world");
	expect(d, !client_recv(d, &cl, 0, &seg) && !strcmp(d->data, "world"),
	       "\"world\" delivered and ACKed");
}

/* Rows of the timeline: segments sent in bursts of timers that fire
 * together (within a second). */
struct burst {
	uint64_t start, at;
	uint32_t n;
};

static void burst_flush(const struct demo *d, struct burst *b)
{
	if (b->n)
		printf("| %.3f | %u | %u |\n", (double)(b->at - b->start) / 1e9, b->n,
		       tern_stack__nreqs(d->s));
	b->n = 0;
}

static void step4(struct demo *d)
{
	uint64_t end = d->now + 70 * TERN_NSEC_PER_SEC, dl, expired_at = 0;
	struct burst b = { .start = d->now, .at = d->now };

	printf("\n## 4. 70 s of virtual time pass\n\n");
	printf("| t (s) | segments sent | half-open after |\n|---:|---:|---:|\n");
	while ((dl = tern_stack__next_deadline(d->s)) <= end) {
		if (dl > d->now)
			d->now = dl;
		if (d->now - b.at > TERN_NSEC_PER_SEC)
			burst_flush(d, &b);
		if (!b.n)
			b.at = d->now;
		d->out.n = 0;
		tern_stack__poll(d->s, d->now, &d->out);
		b.n += d->out.n;
		if (!expired_at && !tern_stack__nreqs(d->s))
			expired_at = d->now;
	}
	burst_flush(d, &b);
	d->now = end;
	if (expired_at)
		printf("\n  last half-open record freed at t=%.3f s\n",
		       (double)(expired_at - b.start) / 1e9);
	printf("  after %.0f s: %u half-open, TCPReqExpired %llu\n",
	       (double)(end - b.start) / 1e9, tern_stack__nreqs(d->s),
	       (unsigned long long)mib(d, TERN_MIB_TCPReqExpired));
	expect(d, tern_stack__nreqs(d->s) == 0, "every half-open record expired");
	expect(d, mib(d, TERN_MIB_TCPReqExpired) == BACKLOG &&
		  mib(d, TERN_MIB_TCPSynRetrans) == (uint64_t)BACKLOG * SYNACK_RETRIES,
	       "after 5 SYN-ACK retransmissions each");
	expect(d, tern_stack__nconns(d->s) == 1, "the connection from step 3 is still there");
}

static void print_counters(const struct demo *d)
{
	const uint64_t *drops = tern_stack__parse_drops(d->s);

	printf("\n## Counters\n\n| counter | value |\n|---|---:|\n");
	for (int m = 0; m < TERN_MIB__COUNT; m++)
		if (mib(d, m))
			printf("| %s | %llu |\n", tern_mib_name(m), (unsigned long long)mib(d, m));
	for (int r = 1; r < TERN_PARSE__COUNT; r++)
		if (drops[r])
			printf("| %s | %llu |\n", tern_parse_reason_name(r),
			       (unsigned long long)drops[r]);
}

int main(void)
{
	struct demo d;

	if (init(&d)) {
		fprintf(stderr, "Error: demo: cannot set up the stack\n");
		return 1;
	}
	printf("# tern core demo: listener 10.0.0.1:80, syncookies=1 (auto), backlog %d\n",
	       BACKLOG);
	step1(&d);
	step2(&d);
	step3(&d);
	step4(&d);
	print_counters(&d);
	free(d.mem);
	if (d.failures) {
		printf("\ndemo: FAILED (%d checks)\n", d.failures);
		return 1;
	}
	printf("\ndemo: OK\n");
	return 0;
}
