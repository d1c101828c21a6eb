// SPDX-License-Identifier: BSD-2-Clause
/*
 * The metrics table and the Prometheus text format (version 0.0.4): for
 * each family one "# HELP" and one "# TYPE" line, then one sample per
 * queue labelled {iface="...",queue="N"} (and a label that tells a
 * family's members apart: reason, state); counters end in _total. The
 * TCP, XDP and application counters are named by tern_metrics__name()
 * from their Linux-MIB-style names, the MIB name in their help
 * (SyncookiesSent: tern_tcp_syncookies_sent_total); the XDP program's
 * are per interface (XdpSeen: tern_xdp_seen_total{iface}).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "include/tern/xdp.h"
#include "metrics.h"
#include "metrics_name.h"
#include "user/core/parse.h"
#include "version.h"

#define put tern_out_buf__put

#define F(field) offsetof(struct tern_worker_stats, field)
#define C64(key, prom, field, help) { key, prom, NULL, NULL, help, F(field), TERN_M_U64, 1 }
#define C64L(key, prom, l, v, field, help) { key, prom, l, v, help, F(field), TERN_M_U64, 1 }
#define G32(key, prom, field, help) { key, prom, NULL, NULL, help, F(field), TERN_M_U32, 0 }
#define G32L(key, prom, l, v, field, help) { key, prom, l, v, help, F(field), TERN_M_U32, 0 }

#define FRAMES_HELP "UMEM frames of the queue by state: free, fill (given to the kernel: " \
	"fill or RX ring), rx (being processed), kept (held by the TCP core: out-of-order " \
	"data), tx (on the TX ring), comp (off the completion ring, being recycled), " \
	"app (held by the application: the proxy's backend data), app_tx (held by the " \
	"application and on the TX ring), app_rx (received frames the application keeps: " \
	"the proxy's client data until the backend took it)."

const struct tern_metric tern_metrics[] = {
	C64("rx_frames", "rx_frames", rx_frames, "Frames read off the AF_XDP RX ring."),
	C64("tx_frames", "tx_frames", tx_frames, "Frames submitted to the AF_XDP TX ring."),
	C64("tx_synack", "tx_synack", tx_synack,
	    "SYN-ACK segments queued for TX (stateful, cookie, retransmitted)."),
	C64L("tx_drop_noframe", "tx_drops", "reason", "no_frame", tx_drop_noframe,
	     "Replies dropped, by reason: no_frame (no free UMEM frame), ring_full (TX ring full)."),
	C64L("tx_drop_ring", "tx_drops", "reason", "ring_full", tx_drop_ring, NULL),
	C64("tx_build_err", "tx_build_errors", tx_build_err, "Replies that failed to build."),
	C64("tx_oversize", "tx_oversize", tx_oversize,
	    "Replies longer than the MTU allows (sent anyway)."),
	C64("tx_inplace", "tx_inplace", tx_inplace,
	    "Segments built around an application's buffer in place (no payload copy)."),
	C64("tx_inplace_busy", "tx_inplace_busy", tx_inplace_busy,
	    "Segments of an application's buffer copied: the buffer was still on the TX ring."),
	C64("tx_gso_frames", "tx_gso_frames", tx_gso_frames,
	    "Runs of segments sent as one frame the kernel or NIC segments (--tx-gso)."),
	C64("tx_gso_segs", "tx_gso_segments", tx_gso_segs, "Segments sent in those frames."),
	C64("tx_gso_fails", "tx_gso_fails", tx_gso_fails,
	    "Runs the segmentation offload socket refused (send buffer full): sent frame by frame."),
	C64("app_frame_limit", "app_frame_limit", app_frame_limit,
	    "Application buffers refused: the application held its share of the UMEM, "
	    "or the free frames were at the reserve for replies."),
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
	C64("icmp_forwarded", "icmp_forwarded", icmp_forwarded,
	    "ICMP errors for no connection of this queue, handed to the other queues."),
	C64("icmp_forward_drops", "icmp_forward_drops", icmp_forward_drops,
	    "ICMP errors not handed to a queue: its hand-over queue (--icmp-handoff) was full."),
	C64("icmp_forward_in", "icmp_forward_in", icmp_forward_in,
	    "ICMP errors other queues handed to this one."),
	C64("icmp_forward_matched", "icmp_forward_matched", icmp_forward_matched,
	    "ICMP errors handed to this queue that quoted one of its connections."),
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
	C64("tx_csum_offload", "tx_csum_offloaded", xsk.tx_csum_offload,
	    "Frames sent with their TCP checksum left to the kernel or NIC (AF_XDP TX metadata)."),
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
	G32("frames_total", NULL, frames.total, NULL), /* the sum of tern_umem_frames */
	G32L("frames_free", "umem_frames", "state", "free", frames.n[TERN_FS_FREE], FRAMES_HELP),
	G32L("frames_fill", "umem_frames", "state", "fill", frames.n[TERN_FS_FILL], NULL),
	G32L("frames_rx", "umem_frames", "state", "rx", frames.n[TERN_FS_RX], NULL),
	G32L("frames_kept", "umem_frames", "state", "kept", frames.n[TERN_FS_KEPT], NULL),
	G32L("frames_tx", "umem_frames", "state", "tx", frames.n[TERN_FS_TX], NULL),
	G32L("frames_comp", "umem_frames", "state", "comp", frames.n[TERN_FS_COMP], NULL),
	G32L("frames_app", "umem_frames", "state", "app", frames.n[TERN_FS_APP], NULL),
	G32L("frames_app_tx", "umem_frames", "state", "app_tx", frames.n[TERN_FS_APP_TX], NULL),
	G32L("frames_app_rx", "umem_frames", "state", "app_rx", frames.n[TERN_FS_APP_RX], NULL),
	{ "zerocopy", "zerocopy", NULL, NULL,
	  "1 if the AF_XDP socket is bound in zero-copy mode, 0 copy mode.", F(zc), TERN_M_BOOL, 0 },
	{ "tx_csum", "tx_csum_offload", NULL, NULL,
	  "1 if TCP checksums are offloaded (AF_XDP TX metadata), 0 summed by tern.", F(tx_csum),
	  TERN_M_BOOL, 0 },
	{ "tx_gso", "tx_gso", NULL, NULL,
	  "1 if runs of segments leave as GSO frames (--tx-gso), 0 frame by frame.", F(tx_gso),
	  TERN_M_BOOL, 0 },
	{ "draining", "draining", NULL, NULL, "1 while the worker drains on stop.", F(draining),
	  TERN_M_BOOL, 0 },
	C64("xdp_cookie_switches", "xdp_cookie_switches", xdp_cookie_switches,
	    "Times the queue's XDP cookie flag changed (--xdp-cookies)."),
	{ "xdp_cookies", "xdp_cookies", NULL, NULL,
	  "1 while XDP answers the queue's SYNs with cookies.", F(xdp_cookies), TERN_M_BOOL, 0 },
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

/* "# HELP" and "# TYPE" of family name (its full name, without _total). */
static void family(struct tern_out_buf *o, const char *name, bool counter, const char *help)
{
	const char *sfx = counter ? "_total" : "";

	put(o, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, sfx, help, name, sfx,
	    counter ? "counter" : "gauge");
}

/* A label value: dev names have no '"', '\\' or newline, but escape anyway. */
static void label_value(struct tern_out_buf *o, const char *v)
{
	for (const char *c = v; *c; c++)
		if (*c == '"' || *c == '\\')
			put(o, "\\%c", *c);
		else if (*c == '\n')
			put(o, "\\n");
		else
			put(o, "%c", *c);
}

/* name{iface="dev",queue="q"[,label="lval"]} v; queue < 0: no queue label. */
static void sample(struct tern_out_buf *o, const char *name, bool counter, const char *dev,
		   int64_t queue, const char *label, const char *lval, uint64_t v)
{
	put(o, "%s%s{iface=\"", name, counter ? "_total" : "");
	label_value(o, dev);
	put(o, "\"");
	if (queue >= 0)
		put(o, ",queue=\"%lld\"", (long long)queue);
	if (label) {
		put(o, ",%s=\"", label);
		label_value(o, lval);
		put(o, "\"");
	}
	put(o, "} %llu\n", (unsigned long long)v);
}

/* The table: a family's members are consecutive entries of one name. */
static void table_families(struct tern_out_buf *o, const struct tern_metrics_src *s)
{
	char name[80];

	for (unsigned int i = 0; i < tern_nmetrics; i++) {
		const struct tern_metric *m = &tern_metrics[i];

		if (!m->prom)
			continue;
		snprintf(name, sizeof(name), "tern_%s", m->prom);
		if (m->help)
			family(o, name, m->counter, m->help);
		for (uint32_t q = 0; q < s->n; q++)
			sample(o, name, m->counter, s->dev, s->st[q].queue, m->label, m->lval,
			       tern_metric__get(m, &s->st[q]));
	}
}

static void tcp_families(struct tern_out_buf *o, const struct tern_metrics_src *s)
{
	char name[80];

	for (int i = 0; i < TERN_MIB__COUNT; i++) {
		tern_metrics__name("tcp", tern_mib_name(i), name, sizeof(name));
		put(o, "# HELP %s_total TCP counter %s (the Linux MIB name where one "
		       "exists; see ternctl(8)).\n# TYPE %s_total counter\n",
		    name, tern_mib_name(i), name);
		for (uint32_t q = 0; q < s->n; q++)
			sample(o, name, true, s->dev, s->st[q].queue, NULL, NULL, s->st[q].mib[i]);
	}
}

/* One family, one member per reason: the snake-case name of the reason. */
static void parse_drops(struct tern_out_buf *o, const struct tern_metrics_src *s)
{
	char reason[80];

	family(o, "tern_parse_drops", true,
	       "Frames the parser dropped, by reason (the JSON key in snake case; see ternctl(8)).");
	for (int i = 1; i < TERN_PARSE__COUNT; i++) {
		tern_metrics__snake(tern_parse_reason_name(i), reason, sizeof(reason));
		for (uint32_t q = 0; q < s->n; q++)
			sample(o, "tern_parse_drops", true, s->dev, s->st[q].queue, "reason", reason,
			       s->st[q].parse_drops[i]);
	}
}

/*
 * The XDP program's counters, per interface. Its drops are one family with
 * a reason label (XdpDropTcpHdr: tern_xdp_drops_total{reason="tcp_hdr"});
 * every other counter is a family of its own.
 */
static void xdp_families(struct tern_out_buf *o, const struct tern_metrics_src *s)
{
	static const char *const names[] = {
#define X(id, name) name,
		TERN_XDP_COUNTERS(X)
#undef X
	};
	static const char drop[] = "XdpDrop";
	char name[80];

	for (int i = 0; s->xdp && i < TERN_XDP__COUNT; i++) {
		if (!strncmp(names[i], drop, sizeof(drop) - 1))
			continue;
		tern_metrics__name("xdp", names[i], name, sizeof(name));
		put(o, "# HELP %s_total XDP program counter %s (all CPUs).\n", name, names[i]);
		put(o, "# TYPE %s_total counter\n", name);
		sample(o, name, true, s->dev, -1, NULL, NULL, s->xdp[i]);
	}
	if (!s->xdp)
		return;
	family(o, "tern_xdp_drops", true,
	       "Service frames the XDP program dropped, by reason (XdpDrop<Reason>; see ternctl(8)).");
	for (int i = 0; i < TERN_XDP__COUNT; i++) {
		if (strncmp(names[i], drop, sizeof(drop) - 1))
			continue;
		tern_metrics__snake(names[i] + sizeof(drop) - 1, name, sizeof(name));
		sample(o, "tern_xdp_drops", true, s->dev, -1, "reason", name, s->xdp[i]);
	}
}

/* The application's values (struct tern_app.counters), named after it. */
static void app_families(struct tern_out_buf *o, const struct tern_metrics_src *s)
{
	const struct tern_worker_stats *st = s->n ? &s->st[0] : NULL;
	char name[80];

	for (uint32_t i = 0; st && st->app_name && i < st->napp; i++) {
		bool counter = !st->app_kinds || st->app_kinds[i] == TERN_APP_COUNTER;

		tern_metrics__name(st->app_name, st->app_names[i], name, sizeof(name));
		put(o, "# HELP %s%s Application %s: %s (see ternctl(8)).\n", name,
		    counter ? "_total" : "", st->app_name, st->app_names[i]);
		put(o, "# TYPE %s%s %s\n", name, counter ? "_total" : "", counter ? "counter" : "gauge");
		for (uint32_t q = 0; q < s->n; q++)
			sample(o, name, counter, s->dev, s->st[q].queue, NULL, NULL, s->st[q].app[i]);
	}
}

/* Process-wide: the build, the cookie secret's rotations and the
 * configuration's last reload (named as Prometheus names its own). */
static void process_families(struct tern_out_buf *o, const struct tern_metrics_src *s)
{
	put(o, "# HELP tern_build_info The versions tern was built with.\n"
	       "# TYPE tern_build_info gauge\n"
	       "tern_build_info{version=\"%s\",libbpf=\"%s\",libxdp=\"%s\",liburing=\"%s\"} 1\n",
	    TERN_VERSION, TERN_LIBBPF_VERSION, TERN_LIBXDP_VERSION, TERN_LIBURING_VERSION);
	put(o, "# HELP tern_config_last_reload_successful Whether the last configuration "
	       "reload succeeded (1 at start).\n"
	       "# TYPE tern_config_last_reload_successful gauge\n"
	       "tern_config_last_reload_successful %d\n", s->reload_ok ? 1 : 0);
	put(o, "# HELP tern_cookie_secret_rotations_total Times the fleet's SYN cookie keys "
	       "were rotated (CookieSecretRotations).\n"
	       "# TYPE tern_cookie_secret_rotations_total counter\n"
	       "tern_cookie_secret_rotations_total %llu\n",
	    (unsigned long long)s->secret_rotations);
	put(o, "# HELP tern_config_last_reload_success_timestamp_seconds When the configuration "
	       "was last loaded with success (the start, or a reload).\n"
	       "# TYPE tern_config_last_reload_success_timestamp_seconds gauge\n"
	       "tern_config_last_reload_success_timestamp_seconds %lld\n",
	    (long long)s->reload_time);
}

void tern_metrics__prometheus(struct tern_out_buf *o, const struct tern_metrics_src *s)
{
	table_families(o, s);
	tcp_families(o, s);
	parse_drops(o, s);
	xdp_families(o, s);
	app_families(o, s);
	process_families(o, s);
}
