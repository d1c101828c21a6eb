// SPDX-License-Identifier: BSD-2-Clause
/*
 * tern-bench-delay: a path delay for the benchmarks, on a kernel without
 * netem or fq (which rules out both the usual emulator and an EDT delay
 * set by a tc program). It reads IP packets from a tun device, holds each
 * for --delay-us, and sends them in arrival order through an AF_PACKET
 * socket on --dev to --dst-mac. The benchmark routes the client's packets
 * to the server through the tun device (tools/bench/wan.sh wan_on), so every
 * request, handshake segment and ACK of the client reaches the server
 * --delay-us late while the server's segments come straight back over
 * the veth: the round-trip time is the delay, on one direction only.
 *
 * A bound on the packets held (--limit): one more is dropped and counted,
 * as a full queue would. The queue is a ring of fixed slots, so a packet
 * is copied once in (read) and once out (sendto): the client's ACKs are
 * short, and the rate of a delayed path is what a window per RTT allows.
 *
 * Runs until SIGINT/SIGTERM, then prints one line on stdout:
 * "forwarded=N dropped=N send_errors=N late_max_us=N late_1ms=N": the
 * most a packet left after its time (the delay's error) and how many
 * left over a millisecond late.
 *   tern-bench-delay --tun NAME --dev IFACE --dst-mac MAC --delay-us N [--limit N]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOT_BYTES 2048u /* the tun device's MTU stays at 1500 */
#define LIMIT_DEFAULT 16384u
#define LIMIT_MAX (1u << 20)
#define DELAY_MAX_US 10000000u

struct slot {
	uint64_t due;
	uint32_t len;
	uint8_t data[SLOT_BYTES];
};

struct delay {
	struct slot *q;
	uint32_t limit, head, n;
	uint64_t delay_ns;
	int tun, pkt;
	struct sockaddr_ll to;
	uint64_t forwarded, dropped, send_errors, late_max, late_1ms;
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
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: tern-bench-delay --tun NAME --dev IFACE --dst-mac MAC "
			"--delay-us N [--limit N]\n");
	return 2;
}

static int tun_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int mac_parse(const char *s, unsigned char *mac)
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return -1;
		mac[i] = (unsigned char)v[i];
	}
	return 0;
}

/* The AF_PACKET socket that sends, protocol 0: it receives nothing. */
static int pkt_open(struct delay *d, const char *dev, const char *mac)
{
	unsigned idx = if_nametoindex(dev);

	if (!idx) {
		fprintf(stderr, "Error: --dev %s: %s\n", dev, strerror(errno));
		return -1;
	}
	if (mac_parse(mac, d->to.sll_addr)) {
		fprintf(stderr, "Error: --dst-mac %s: not a MAC address\n", mac);
		return -1;
	}
	d->to.sll_family = AF_PACKET;
	d->to.sll_ifindex = (int)idx;
	d->to.sll_halen = ETH_ALEN;
	d->pkt = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->pkt < 0)
		fprintf(stderr, "Error: AF_PACKET socket: %s\n", strerror(errno));
	return d->pkt < 0 ? -1 : 0;
}

/* Everything the tun device has: into the ring, due delay_ns from now. */
static void take(struct delay *d)
{
	for (;;) {
		struct slot *s = &d->q[(d->head + d->n) % d->limit];
		struct slot spill;
		ssize_t r;

		if (d->n == d->limit)
			s = &spill; /* read to drop it: the queue is full */
		r = read(d->tun, s->data, sizeof(s->data));
		if (r <= 0)
			return;
		if (s == &spill) {
			d->dropped++;
			continue;
		}
		s->len = (uint32_t)r;
		s->due = now_ns() + d->delay_ns;
		d->n++;
	}
}

static uint16_t ip_proto(const struct slot *s)
{
	return (s->data[0] >> 4) == 6 ? htons(ETH_P_IPV6) : htons(ETH_P_IP);
}

/* Every packet whose time has come, oldest first. */
static void give(struct delay *d)
{
	uint64_t now = now_ns();

	while (d->n) {
		struct slot *s = &d->q[d->head];

		if (s->due > now)
			return;
		if (now - s->due > d->late_max)
			d->late_max = now - s->due;
		if (now - s->due > 1000000u)
			d->late_1ms++;
		d->to.sll_protocol = ip_proto(s);
		if (sendto(d->pkt, s->data, s->len, 0, (struct sockaddr *)&d->to, sizeof(d->to)) < 0)
			d->send_errors++;
		else
			d->forwarded++;
		d->head = (d->head + 1) % d->limit;
		d->n--;
	}
}

static void run(struct delay *d)
{
	struct pollfd pfd = { .fd = d->tun, .events = POLLIN };

	while (!stop) {
		struct timespec ts, *tsp = NULL;

		if (d->n) {
			uint64_t due = d->q[d->head].due, now = now_ns();
			uint64_t wait = due > now ? due - now : 0;

			ts.tv_sec = (time_t)(wait / 1000000000u);
			ts.tv_nsec = (long)(wait % 1000000000u);
			tsp = &ts;
		}
		if (ppoll(&pfd, 1, tsp, NULL) < 0 && errno != EINTR) {
			fprintf(stderr, "Error: ppoll: %s\n", strerror(errno));
			break;
		}
		take(d);
		give(d);
	}
}

static int parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || end == s || *end || x < min || x > max) {
		fprintf(stderr, "Error: %s %s: not a number in [%u, %u]\n", opt, s, min, max);
		return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tun", required_argument, NULL, 't' },
		{ "dev", required_argument, NULL, 'd' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "delay-us", required_argument, NULL, 'u' },
		{ "limit", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tun = NULL, *dev = NULL, *mac = NULL;
	struct delay d = { .limit = LIMIT_DEFAULT, .tun = -1, .pkt = -1 };
	uint32_t delay_us = UINT32_MAX;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 't')
			tun = optarg;
		else if (c == 'd')
			dev = optarg;
		else if (c == 'm')
			mac = optarg;
		else if (c == 'u' && parse_u32("--delay-us", optarg, 0, DELAY_MAX_US, &delay_us))
			return 2;
		else if (c == 'l' && parse_u32("--limit", optarg, 1, LIMIT_MAX, &d.limit))
			return 2;
		else if (c != 'u' && c != 'l')
			return usage();
	}
	if (!tun || !dev || !mac || delay_us == UINT32_MAX || optind != argc)
		return usage();
	d.delay_ns = (uint64_t)delay_us * 1000u;
	d.q = calloc(d.limit, sizeof(*d.q));
	if (!d.q) {
		fprintf(stderr, "Error: %u slots: %s\n", d.limit, strerror(errno));
		return 1;
	}
	if (pkt_open(&d, dev, mac))
		return 1;
	d.tun = tun_open(tun);
	if (d.tun < 0) {
		fprintf(stderr, "Error: tun %s: %s\n", tun, strerror(errno));
		return 1;
	}
	prctl(PR_SET_TIMERSLACK, 1UL); /* wake at the packet's time, not 50 us later */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	run(&d);
	printf("forwarded=%llu dropped=%llu send_errors=%llu late_max_us=%llu late_1ms=%llu\n",
	       (unsigned long long)d.forwarded, (unsigned long long)d.dropped,
	       (unsigned long long)d.send_errors, (unsigned long long)(d.late_max / 1000u),
	       (unsigned long long)d.late_1ms);
	close(d.pkt);
	close(d.tun);
	free(d.q);
	return 0;
}
