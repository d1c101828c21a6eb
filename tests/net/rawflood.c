// SPDX-License-Identifier: BSD-2-Clause
/*
 * rawflood: TCP floods as raw Ethernet frames through AF_PACKET with
 * sendmmsg (batches of 64, qdisc bypassed), as fast as one core can build
 * them, for the robustness suites. Every frame is well-formed (checksums
 * right), so it reaches the TCP core.
 *
 *   rawflood DEV SMAC DMAC MODE SRC DST DPORT SECONDS [SPORT [SEQ]]
 *
 * SRC and DST are both IPv4 or both IPv6.
 * MODE (random fields from a xorshift generator seeded by the pid):
 *   syn       SYN from random sources in SRC/16 (IPv6: SRC/112) and random
 *             ports (spoofed)
 *   syn-dup   the same SYN again and again (SRC:SPORT, sequence SEQ)
 *   ack       ACK with random SEQ/ACK from random spoofed sources
 *   rst       RST from random spoofed sources
 *   fin       FIN from random spoofed sources
 *   est-syn   SYN on the tuple SRC:SPORT (an established connection)
 *   est-rst   RST with a random SEQ on the tuple; with SEQ (the
 *             connection's RCV.NXT), a random SEQ in SEQ+1 .. SEQ+2047,
 *             inside any window tern opens yet never SEQ itself (so a
 *             challenge ACK each time, never the reset)
 *   est-ack   ACK with a random SEQ/ACK on the tuple
 *   est-data  100 bytes of data at a random (out-of-window) SEQ on the tuple
 * Prints "rawflood: MODE N frames in S s (R pps)" at the end.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define FRAME_MAX 256
#define PAYLOAD 100

enum mode { SYN_SPOOF, SYN_DUP, ACK, RST, FIN, EST_SYN, EST_RST, EST_ACK, EST_DATA };

static const char *const mode_names[] = { "syn", "syn-dup", "ack", "rst", "fin",
					  "est-syn", "est-rst", "est-ack", "est-data" };

struct cfg {
	enum mode mode;
	uint8_t smac[6], dmac[6];
	uint32_t src, dst; /* host order */
	uint8_t src6[16], dst6[16];
	int v6;            /* SRC and DST are IPv6 */
	uint16_t sport, dport;
	uint32_t seq;
	int seq_set; /* SEQ given */
};

static uint64_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, (uint16_t)v);
}

/* The IPv4 header for tlen bytes of TCP from src (the low 16 bits random
 * when spoof) into ip; returns its length, *s the pseudo-header's sum. */
static size_t put_ip4(const struct cfg *c, uint8_t *ip, bool spoof, size_t tlen, uint32_t *s)
{
	uint32_t src = c->src;

	if (spoof) {
		/* .0, .1, .2 and .255 of every /24 are left out (tern and the client) */
		src = (c->src & 0xffff0000u) | (rnd() & 0xffff);
		if ((src & 0xff) < 3 || (src & 0xff) == 255)
			src |= 3;
	}
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + tlen));
	put16(ip + 4, (uint16_t)rnd());
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	put32(ip + 12, src);
	put32(ip + 16, c->dst);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	*s = sum16(ip + 12, 8, IPPROTO_TCP + (uint32_t)tlen);
	return 20;
}

/* The same for IPv6: the source's last 16 bits random when spoof (::0 to
 * ::2 left out). */
static size_t put_ip6(const struct cfg *c, uint8_t *ip, bool spoof, size_t tlen, uint32_t *s)
{
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)tlen);
	ip[6] = IPPROTO_TCP;
	ip[7] = 64;
	memcpy(ip + 8, c->src6, 16);
	memcpy(ip + 24, c->dst6, 16);
	if (spoof) {
		put16(ip + 22, (uint16_t)rnd());
		if (!ip[22] && ip[23] < 3)
			ip[23] = 3;
	}
	*s = sum16(ip + 8, 32, IPPROTO_TCP + (uint32_t)tlen);
	return 40;
}

/* One frame into f; returns its length. */
static size_t build(const struct cfg *c, uint8_t *f)
{
	static const uint8_t flags[] = { 0x02, 0x02, 0x10, 0x04, 0x01, 0x02, 0x04, 0x10, 0x18 };
	uint8_t *ip = f + 14, *th;
	uint32_t seq = c->seq, ack = 0;
	uint16_t sport = c->sport;
	size_t dlen = c->mode == EST_DATA ? PAYLOAD : 0, tlen = 20 + dlen;
	bool spoof = c->mode == SYN_SPOOF || c->mode == ACK || c->mode == RST || c->mode == FIN;
	uint32_t s;

	if (spoof)
		sport = (uint16_t)(1024 + rnd() % 64000);
	if (c->mode == EST_RST && c->seq_set)
		seq = c->seq + 1 + rnd() % 2047;
	else if (c->mode != SYN_DUP)
		seq = rnd();
	if (flags[c->mode] & 0x10)
		ack = rnd();

	memcpy(f, c->dmac, 6);
	memcpy(f + 6, c->smac, 6);
	put16(f + 12, c->v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP);
	th = ip + (c->v6 ? put_ip6(c, ip, spoof, tlen, &s) : put_ip4(c, ip, spoof, tlen, &s));

	memset(th, 0, 20);
	put16(th, sport);
	put16(th + 2, c->dport);
	put32(th + 4, seq);
	put32(th + 8, ack);
	th[12] = 5 << 4;
	th[13] = flags[c->mode];
	put16(th + 14, 65535);
	memset(th + 20, 'x', dlen);
	put16(th + 16, fold(sum16(th, tlen, s)));
	return (size_t)(th - f) + tlen;
}

static int parse_mac(const char *s, uint8_t *m)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4],
		      &m[5]) == 6 ? 0 : -1;
}

static int parse_args(int argc, char **argv, struct cfg *c, double *secs, const char **dev)
{
	struct in_addr a;
	size_t i;

	if (argc < 9 || argc > 11)
		return -1;
	*dev = argv[1];
	if (parse_mac(argv[2], c->smac) || parse_mac(argv[3], c->dmac))
		return -1;
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(argv[4], mode_names[i]))
			break;
	if (i == sizeof(mode_names) / sizeof(mode_names[0]))
		return -1;
	c->mode = (enum mode)i;
	c->v6 = strchr(argv[5], ':') != NULL;
	if (c->v6) {
		if (inet_pton(AF_INET6, argv[5], c->src6) != 1 ||
		    inet_pton(AF_INET6, argv[6], c->dst6) != 1)
			return -1;
	} else {
		if (inet_pton(AF_INET, argv[5], &a) != 1)
			return -1;
		c->src = ntohl(a.s_addr);
		if (inet_pton(AF_INET, argv[6], &a) != 1)
			return -1;
		c->dst = ntohl(a.s_addr);
	}
	c->dport = (uint16_t)atoi(argv[7]);
	*secs = atof(argv[8]);
	c->sport = argc > 9 ? (uint16_t)atoi(argv[9]) : 40000;
	c->seq = argc > 10 ? (uint32_t)strtoul(argv[10], NULL, 0) : 1;
	c->seq_set = argc > 10;
	return *secs > 0 && c->dport ? 0 : -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static uint8_t frames[BATCH][FRAME_MAX];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	unsigned long long sent = 0;
	const char *dev;
	double secs, t0, t;
	struct cfg c;
	int fd, one = 1;

	if (parse_args(argc, argv, &c, &secs, &dev)) {
		fprintf(stderr, "usage: %s DEV SMAC DMAC MODE SRC DST DPORT SECONDS [SPORT [SEQ]]\n",
			argv[0]);
		return 2;
	}
	rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "Error: socket: %s\n", strerror(errno));
		return 1;
	}
	sll.sll_ifindex = (int)if_nametoindex(dev);
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "Error: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	memset(msg, 0, sizeof(msg));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = frames[i];
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_s();
	do {
		int n;

		for (int i = 0; i < BATCH; i++)
			iov[i].iov_len = build(&c, frames[i]);
		n = sendmmsg(fd, msg, BATCH, 0);
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "Error: sendmmsg: %s\n", strerror(errno));
			return 1;
		}
		if (n > 0)
			sent += (unsigned long long)n;
		t = now_s();
	} while (t - t0 < secs);
	printf("rawflood: %s %llu frames in %.1f s (%.0f pps)\n", mode_names[c.mode], sent, t - t0,
	       (double)sent / (t - t0));
	close(fd);
	return 0;
}
