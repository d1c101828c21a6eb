// SPDX-License-Identifier: BSD-2-Clause
/*
 * tern-reflect: the ceiling of the benchmark harness. Every IPv4 TCP SYN to
 * --addr arriving on --dev goes back as a SYN-ACK over AF_XDP (copy mode):
 * addresses and ports swapped, ack = seq + 1, a fixed seq, the SYN's
 * options kept, checksums recomputed; every bare ACK (ACK alone, no
 * payload) goes back as the RST a listener sends for it (seq = its ack,
 * Linux's tcp_v4_send_reset()). No TCP logic, no state; anything else
 * steered here is dropped. Runs until SIGINT/SIGTERM, then prints one
 * "key=value" line on stdout (frames, TX kicks and fill-ring wake-ups,
 * to compare with tern's counters).
 *   tern-reflect --dev IFACE --addr IP [--bpf-obj PATH]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/flood/flood_xdp.h"

#define RX_BATCH 256u
#define RX_RESERVE 512u
#define SYNACK_SEQ 0x7e57000u

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* A bare ACK -> RST in place; its length, 0 if the frame is not one. */
static uint32_t ack_to_rst(uint8_t *f, uint32_t tl)
{
	uint8_t *ip = f + FL_ETH, *tcp = f + FL_TCP_OFF;

	if (tcp[13] != FL_TCP_ACK || tl != (uint32_t)(tcp[12] >> 4) * 4)
		return 0;
	tern_flood__swap(f);
	memcpy(tcp + 4, tcp + 8, 4);
	memset(tcp + 8, 0, 4);
	tcp[12] = 5 << 4;
	tcp[13] = FL_TCP_RST;
	tcp[14] = tcp[15] = 0;
	ip[2] = 0;
	ip[3] = FL_IP + 20;
	tern_flood__csum(f, 20);
	return FL_TCP_OFF + 20;
}

/* SYN -> SYN-ACK (or bare ACK -> RST) in place; the reply's length, 0 if
 * the frame is neither. */
static uint32_t reflect(uint8_t *f, uint32_t len)
{
	uint32_t tl = tern_flood__tcp_len(f, len);
	uint8_t *tcp = f + FL_TCP_OFF;

	if (!tl)
		return 0;
	if ((tcp[13] & (FL_TCP_SYN | FL_TCP_ACK | FL_TCP_RST)) != FL_TCP_SYN)
		return ack_to_rst(f, tl);
	tern_flood__swap(f);
	tern_flood__put32(tcp + 8, tern_flood__be32(tcp + 4) + 1);
	tern_flood__put32(tcp + 4, SYNACK_SEQ);
	tcp[13] = FL_TCP_SYN | FL_TCP_ACK;
	tern_flood__csum(f, tl);
	return FL_TCP_OFF + tl;
}

/* Not inlined, so that callgrind can count the loop alone
 * (tools/bench/worker_cg.sh: --toggle-collect=serve). */
__attribute__((noinline)) static void serve(struct tern_flood_xdp *fx, uint64_t *rx, uint64_t *tx)
{
	struct tern_frames *fr = &fx->q[0].frames;
	struct pollfd pfd = { .fd = fx->q[0].xsk.fd, .events = POLLIN };
	struct xdp_desc out[RX_BATCH];

	while (!stop) {
		uint32_t idx, tidx, n, ntx = 0, room;

		tern_xsk__drain_comp(&fx->q[0].xsk, fr);
		tern_xsk__refill(&fx->q[0].xsk, fr, RX_RESERVE);
		n = xsk_ring_cons__peek(&fx->q[0].xsk.rx, RX_BATCH, &idx);
		if (!n) {
			poll(&pfd, 1, 100);
			continue;
		}
		room = xsk_prod_nb_free(&fx->q[0].xsk.tx, n);
		for (uint32_t i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&fx->q[0].xsk.rx, idx + i);
			uint64_t b = tern_frames__base(fr, d->addr);
			uint32_t len = 0;

			tern_frames__move(fr, b, TERN_FS_FILL, TERN_FS_RX);
			if (ntx < room)
				len = reflect(xsk_umem__get_data(fx->q[0].xsk.area, d->addr), d->len);
			if (len) {
				out[ntx] = *d;
				out[ntx++].len = len;
				tern_frames__move(fr, b, TERN_FS_RX, TERN_FS_TX);
			} else {
				tern_frames__put(fr, b, TERN_FS_RX);
			}
		}
		xsk_ring_cons__release(&fx->q[0].xsk.rx, n);
		if (ntx && xsk_ring_prod__reserve(&fx->q[0].xsk.tx, ntx, &tidx) == ntx) {
			for (uint32_t i = 0; i < ntx; i++)
				*xsk_ring_prod__tx_desc(&fx->q[0].xsk.tx, tidx + i) = out[i];
			xsk_ring_prod__submit(&fx->q[0].xsk.tx, ntx);
		}
		tern_xsk__kick(&fx->q[0].xsk, fr);
		*rx += n;
		*tx += ntx;
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "addr", required_argument, NULL, 'a' },
		{ "bpf-obj", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = NULL, *obj = NULL, *what = "";
	struct tern_flood_xdp fx;
	struct sigaction sa;
	struct in_addr addr = { 0 };
	uint64_t rx = 0, tx = 0;
	int c, err;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'd')
			dev = optarg;
		else if (c == 'a' && inet_pton(AF_INET, optarg, &addr) == 1)
			continue;
		else if (c == 'b')
			obj = optarg;
		else
			goto usage;
	}
	if (!dev || !addr.s_addr)
		goto usage;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = tern_flood_xdp__open(&fx, obj, dev, addr.s_addr, 0xffffffffu, false, false, &what);
	if (err) {
		fprintf(stderr, "Error: %s: %s: %s\n", dev, what, strerror(-err));
		return 1;
	}
	fprintf(stderr, "tern-reflect: ready on %s\n", dev);
	serve(&fx, &rx, &tx);
	printf("rx=%llu reflected=%llu kicks=%llu fill_wakeups=%llu kick_busy=%llu frames=%s\n",
	       (unsigned long long)rx, (unsigned long long)tx,
	       (unsigned long long)fx.q[0].xsk.st.kicks,
	       (unsigned long long)fx.q[0].xsk.st.fill_wakeups,
	       (unsigned long long)fx.q[0].xsk.st.kick_busy,
	       tern_frames__check(&fx.q[0].frames.c) ? "BAD" : "ok");
	tern_flood_xdp__close(&fx);
	return 0;

usage:
	fprintf(stderr, "Usage: tern-reflect --dev IFACE --addr IP [--bpf-obj PATH]\n");
	return 2;
}
