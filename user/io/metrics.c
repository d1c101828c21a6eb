// SPDX-License-Identifier: BSD-2-Clause
/*
 * The metrics table and the Prometheus text format (version 0.0.4): for
 * each family one "# HELP" and one "# TYPE" line, then one sample per
 * queue labelled {iface="...",queue="N"}; counters end in _total. The
 * TCP counters are Linux's MIB names in snake case, the MIB name in their
 * help (SyncookiesSent: tern_tcp_syncookies_sent_total); the XDP
 * program's are per interface (XdpSeen: tern_xdp_seen_total{iface}).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "include/tern/xdp.h"
#include "metrics.h"
#include "metrics_name.h"
#include "user/core/parse.h"

#define put tern_out_buf__put

#define F(field) offsetof(struct tern_worker_stats, field)
#define C64(key, prom, field, help) { key, prom, help, F(field), TERN_M_U64, 1 }
#define G32(key, prom, field, help) { key, prom, help, F(field), TERN_M_U32, 0 }

const struct tern_metric tern_metrics[] = {
	C64("rx_frames", "rx_frames", rx_frames, "Frames read off the AF_XDP RX ring."),
	C64("tx_frames", "tx_frames", tx_frames, "Frames submitted to the AF_XDP TX ring."),
	C64("tx_synack", "tx_synack", tx_synack,
	    "SYN-ACK segments queued for TX (stateful, cookie, retransmitted)."),
	C64("tx_drop_noframe", "tx_drop_noframe", tx_drop_noframe,
	    "Replies dropped: no free UMEM frame."),
	C64("tx_drop_ring", "tx_drop_ring", tx_drop_ring, "Replies dropped: TX ring full."),
	C64("tx_build_err", "tx_build_errors", tx_build_err, "Replies that failed to build."),
	C64("tx_oversize", "tx_oversize", tx_oversize,
	    "Replies longer than the MTU allows (sent anyway)."),
	C64("loops", "loop_iterations", loops, "Worker loop iterations."),
	C64("sleeps", "loop_sleeps", sleeps, "Worker waits in io_uring."),
	C64("ring_errors", "ring_errors", ring_errors,
	    "Unexpected io_uring or socket results in the worker."),
	C64("ring_submit_errors", "ring_submit_errors", ring_submit_errors,
	    "io_uring submits that failed (EBUSY, EAGAIN: retried at the next pass)."),
	C64("ring_enters", "ring_enters", ring_enters,
	    "io_uring_enter calls that do not wait: submissions, task work, CQ overflow."),
	C64("ring_cq_overflows", "ring_cq_overflows", ring_cq_overflows,
	    "Worker passes that found io_uring completions overflowed past the CQ."),
	C64("xsk_kicks", "xsk_kicks", xsk.kicks, "TX kicks (sendto) on the AF_XDP socket."),
	C64("xsk_kick_again", "xsk_kick_again", xsk.kick_again,
	    "TX kicks answered EAGAIN/ENOBUFS (retried, nothing lost)."),
	C64("xsk_kick_busy", "xsk_kick_busy", xsk.kick_busy,
	    "TX kicks answered EBUSY (copy mode: the device dropped a frame)."),
	C64("xsk_kick_netdown", "xsk_kick_netdown", xsk.kick_netdown,
	    "TX kicks answered ENETDOWN/ENXIO (link down; retried with backoff)."),
	C64("xsk_kick_errors", "xsk_kick_errors", xsk.kick_errors, "TX kicks failed otherwise."),
	C64("xsk_fill_wakeups", "xsk_fill_wakeups", xsk.fill_wakeups,
	    "Fill ring wake-ups (recvfrom)."),
	C64("xsk_busy_polls", "xsk_busy_polls", xsk.busy_polls,
	    "Busy-poll calls (recvfrom) with --busy-poll."),
	C64("xsk_comp_frames", "xsk_completions", xsk.comp_frames,
	    "Frames taken back from the completion ring."),
	C64("xsk_rx_dropped", "xsk_rx_dropped", kst.rx_dropped,
	    "Kernel XDP_STATISTICS rx_dropped: frames dropped for other reasons."),
	C64("xsk_rx_invalid_descs", "xsk_rx_invalid_descs", kst.rx_invalid_descs,
	    "Kernel XDP_STATISTICS rx_invalid_descs."),
	C64("xsk_tx_invalid_descs", "xsk_tx_invalid_descs", kst.tx_invalid_descs,
	    "Kernel XDP_STATISTICS tx_invalid_descs."),
	C64("xsk_rx_ring_full", "xsk_rx_ring_full", kst.rx_ring_full,
	    "Kernel XDP_STATISTICS rx_ring_full: frames dropped, RX ring full."),
	C64("xsk_rx_fill_ring_empty", "xsk_rx_fill_ring_empty", kst.rx_fill_ring_empty_descs,
	    "Kernel XDP_STATISTICS rx_fill_ring_empty_descs: no fill frame for RX."),
	C64("xsk_tx_ring_empty", "xsk_tx_ring_empty", kst.tx_ring_empty_descs,
	    "Kernel XDP_STATISTICS tx_ring_empty_descs."),
	C64("frames_bad", "frames_bad_moves", frames.bad,
	    "Frame moves refused by the pool's state check (bugs)."),
	G32("nconns", "connections", nconns, "Connections past the handshake (not TIME-WAIT)."),
	G32("nreqs", "half_open", nreqs, "Half-open connections (SYN-RCVD records)."),
	G32("ntw", "time_wait", ntw, "TIME-WAIT records."),
	G32("frames_total", "frames", frames.total, "UMEM frames of the queue."),
	G32("frames_free", "frames_free", frames.n[TERN_FS_FREE], "UMEM frames free."),
	G32("frames_fill", "frames_fill", frames.n[TERN_FS_FILL],
	    "UMEM frames given to the kernel (fill or RX ring)."),
	G32("frames_rx", "frames_rx", frames.n[TERN_FS_RX], "UMEM frames being processed."),
	G32("frames_kept", "frames_kept", frames.n[TERN_FS_KEPT],
	    "UMEM frames held by the TCP core (out-of-order data)."),
	G32("frames_tx", "frames_tx", frames.n[TERN_FS_TX], "UMEM frames on the TX ring."),
	G32("frames_comp", "frames_comp", frames.n[TERN_FS_COMP],
	    "UMEM frames off the completion ring, being recycled."),
	{ "zerocopy", "zerocopy", "1 if the AF_XDP socket is bound in zero-copy mode, 0 copy mode.",
	  F(zc), TERN_M_BOOL, 0 },
	{ "draining", "draining", "1 while the worker drains on stop.", F(draining), TERN_M_BOOL, 0 },
	C64("xdp_cookie_switches", "xdp_cookie_switches", xdp_cookie_switches,
	    "Times the queue's XDP cookie flag changed (--xdp-cookies)."),
	{ "xdp_cookies", "xdp_cookies", "1 while XDP answers the queue's SYNs with cookies.",
	  F(xdp_cookies), TERN_M_BOOL, 0 },
};

const unsigned int tern_nmetrics = sizeof(tern_metrics) / sizeof(tern_metrics[0]);

uint64_t tern_metric__get(const struct tern_metric *m, const struct tern_worker_stats *st)
{
	const char *p = (const char *)st + m->off;
	uint64_t v64;
	uint32_t v32;

	switch (m->type) {
	case TERN_M_U64:
		memcpy(&v64, p, sizeof(v64));
		return v64;
	case TERN_M_U32:
		memcpy(&v32, p, sizeof(v32));
		return v32;
	default:
		return *(const bool *)p;
	}
}

static void family(struct tern_out_buf *o, const char *name, bool counter, const char *help)
{
	put(o, "# HELP tern_%s%s %s\n# TYPE tern_%s%s %s\n", name, counter ? "_total" : "", help,
	    name, counter ? "_total" : "", counter ? "counter" : "gauge");
}

/* Label values: dev names have no '"', '\\' or newline, but escape anyway. */
static void label_dev(struct tern_out_buf *o, const char *dev)
{
	for (const char *c = dev; *c; c++)
		if (*c == '"' || *c == '\\')
			put(o, "\\%c", *c);
		else if (*c == '\n')
			put(o, "\\n");
		else
			put(o, "%c", *c);
}

static void sample(struct tern_out_buf *o, const char *name, bool counter, const char *dev,
		   uint32_t queue, uint64_t v)
{
	put(o, "tern_%s%s{iface=\"", name, counter ? "_total" : "");
	label_dev(o, dev);
	put(o, "\",queue=\"%u\"} %llu\n", queue, (unsigned long long)v);
}

static void tcp_families(struct tern_out_buf *o, const char *dev,
			 const struct tern_worker_stats *st, uint32_t n)
{
	char name[80] = "tcp_";

	for (int i = 0; i < TERN_MIB__COUNT; i++) {
		tern_metrics__snake(tern_mib_name(i), name + 4, sizeof(name) - 4);
		put(o, "# HELP tern_%s_total TCP counter %s (the Linux MIB name where one "
		       "exists; see ternctl(8)).\n# TYPE tern_%s_total counter\n",
		    name, tern_mib_name(i), name);
		for (uint32_t q = 0; q < n; q++)
			sample(o, name, true, dev, st[q].queue, st[q].mib[i]);
	}
	for (int i = 1; i < TERN_PARSE__COUNT; i++) {
		tern_metrics__snake(tern_parse_reason_name(i), name + 4, sizeof(name) - 4);
		put(o, "# HELP tern_%s_total Frames the parser dropped: %s.\n"
		       "# TYPE tern_%s_total counter\n",
		    name, tern_parse_reason_name(i), name);
		for (uint32_t q = 0; q < n; q++)
			sample(o, name, true, dev, st[q].queue, st[q].parse_drops[i]);
	}
}

static void xdp_families(struct tern_out_buf *o, const char *dev, const uint64_t *xdp)
{
	static const char *const names[] = {
#define X(id, name) name,
		TERN_XDP_COUNTERS(X)
#undef X
	};

	char name[80];

	for (int i = 0; xdp && i < TERN_XDP__COUNT; i++) {
		tern_metrics__snake(names[i], name, sizeof(name));
		put(o, "# HELP tern_%s_total XDP program counter %s (all CPUs).\n"
		       "# TYPE tern_%s_total counter\ntern_%s_total{iface=\"",
		    name, names[i], name, name);
		label_dev(o, dev);
		put(o, "\"} %llu\n", (unsigned long long)xdp[i]);
	}
}

void tern_metrics__prometheus(struct tern_out_buf *o, const char *dev,
			      const struct tern_worker_stats *st, uint32_t n,
			      const uint64_t *xdp)
{
	for (unsigned int i = 0; i < tern_nmetrics; i++) {
		const struct tern_metric *m = &tern_metrics[i];

		family(o, m->prom, m->counter, m->help);
		for (uint32_t q = 0; q < n; q++)
			sample(o, m->prom, m->counter, dev, st[q].queue, tern_metric__get(m, &st[q]));
	}
	tcp_families(o, dev, st, n);
	xdp_families(o, dev, xdp);
}
