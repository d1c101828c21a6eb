// SPDX-License-Identifier: BSD-2-Clause
/*
 * SYN cookies answered in XDP, the daemon's side (xdpcookie.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "loader.h"
#include "xdpcookie.h"

static const char *const mode_names[] = { "never", "overload", "always" };

int tern_xdpc__parse_mode(const char *s)
{
	for (int m = 0; m < 3; m++)
		if (!strcmp(s, mode_names[m]))
			return m;
	return -EINVAL;
}

const char *tern_xdpc__mode_name(int mode)
{
	return mode >= 0 && mode < 3 ? mode_names[mode] : "?";
}

static size_t page_round(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (n + page - 1) / page * page;
}

static size_t on_len(void)
{
	return page_round(TERN_XDP_MAX_QUEUES * sizeof(uint64_t));
}

static size_t load_len(void)
{
	return page_round(TERN_XDP_MAX_QUEUES * sizeof(struct tern_xdp_qload));
}

/* Optional too: without it the hold looks at the ring only. */
static void load_open(struct tern_xdpc *x, const char *ifname, const char *bpffs)
{
	void *p;

	x->load_fd = tern_loader__open_map(ifname, bpffs, TERN_MAP_XDP_LOAD);
	if (x->load_fd < 0)
		return;
	p = mmap(NULL, load_len(), PROT_READ, MAP_SHARED, x->load_fd, 0);
	if (p == MAP_FAILED) {
		close(x->load_fd);
		x->load_fd = -1;
		return;
	}
	x->load = p;
}

static uint64_t handled(const struct tern_xdpc *x, uint32_t queue)
{
	return x->load ? x->load[queue].handled : 0;
}

static size_t flows_len(void)
{
	return page_round((size_t)TERN_XDP_MAX_QUEUES * TERN_FLOW_SLOTS_MAX);
}

/* The flow filter map is optional: a program without it never drops. */
static void flows_open(struct tern_xdpc *x, const char *ifname, const char *bpffs)
{
	void *p;

	x->flows_fd = tern_loader__open_map(ifname, bpffs, TERN_MAP_FLOWS);
	if (x->flows_fd < 0)
		return;
	p = mmap(NULL, flows_len(), PROT_READ | PROT_WRITE, MAP_SHARED, x->flows_fd, 0);
	if (p == MAP_FAILED) {
		close(x->flows_fd);
		x->flows_fd = -1;
		return;
	}
	x->flows = p;
	memset(x->flows, 0, flows_len());
}

int tern_xdpc__flows_attach(const struct tern_xdpc *x, uint32_t queue, struct tern_stack *s)
{
	uint8_t *part;

	if (!x->flows || queue >= TERN_XDP_MAX_QUEUES)
		return 0;
	part = x->flows + (size_t)queue * TERN_FLOW_SLOTS_MAX;
	memset(part, 0, TERN_FLOW_SLOTS_MAX);
	return tern_stack__set_flow_filter(s, part, x->flow_slots);
}

void tern_xdpc__flows_detach(const struct tern_xdpc *x, uint32_t queue, struct tern_stack *s)
{
	if (!x->flows || queue >= TERN_XDP_MAX_QUEUES)
		return;
	if (s)
		tern_stack__set_flow_filter(s, NULL, 0);
	memset(x->flows + (size_t)queue * TERN_FLOW_SLOTS_MAX, 0, TERN_FLOW_SLOTS_MAX);
}

int tern_xdpc__open(struct tern_xdpc *x, const char *ifname, const char *bpffs, int mode)
{
	void *p;

	x->cfg_fd = x->on_fd = x->flows_fd = -1;
	x->on = NULL;
	x->flows = NULL;
	x->flow_slots = TERN_XDPC_FLOW_SLOTS;
	x->load_fd = -1;
	x->load = NULL;
	atomic_store(&x->mode, mode);
	x->rx_high_pct = TERN_XDPC_RX_HIGH_PCT;
	x->rx_low_pct = TERN_XDPC_RX_LOW_PCT;
	x->hold_ns = TERN_XDPC_HOLD_NS;
	x->cfg_fd = tern_loader__open_map(ifname, bpffs, TERN_MAP_COOKIE_CFG);
	x->on_fd = tern_loader__open_map(ifname, bpffs, TERN_MAP_COOKIE_ON);
	if (x->cfg_fd < 0 || x->on_fd < 0)
		goto fail;
	p = mmap(NULL, on_len(), PROT_READ | PROT_WRITE, MAP_SHARED, x->on_fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	x->on = p;
	for (uint32_t q = 0; q < TERN_XDP_MAX_QUEUES; q++)
		atomic_store_explicit(&x->on[q], 0, memory_order_relaxed);
	flows_open(x, ifname, bpffs);
	load_open(x, ifname, bpffs);
	return 0;
fail:
	tern_xdpc__close(x);
	return -ENOENT;
}

void tern_xdpc__close(struct tern_xdpc *x)
{
	if (x->on) {
		for (uint32_t q = 0; q < TERN_XDP_MAX_QUEUES; q++)
			atomic_store_explicit(&x->on[q], 0, memory_order_relaxed);
		munmap((void *)x->on, on_len());
	}
	x->on = NULL;
	if (x->flows)
		munmap(x->flows, flows_len());
	x->flows = NULL;
	if (x->load)
		munmap((void *)x->load, load_len());
	x->load = NULL;
	if (x->load_fd >= 0)
		close(x->load_fd);
	x->load_fd = -1;
	if (x->flows_fd >= 0)
		close(x->flows_fd);
	x->flows_fd = -1;
	if (x->cfg_fd >= 0)
		close(x->cfg_fd);
	if (x->on_fd >= 0)
		close(x->on_fd);
	x->cfg_fd = x->on_fd = -1;
}

int tern_xdpc__write_cfg(const struct tern_xdpc *x, const struct tern_stack *s, uint32_t rcv_buf)
{
	struct tern_xdp_cookie_cfg cfg;
	uint32_t zero = 0;
	int err;

	if (x->cfg_fd < 0)
		return 0;
	err = tern_stack__xdp_cfg(s, rcv_buf, &cfg);
	if (err)
		return err;
	err = bpf_map_update_elem(x->cfg_fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
	memset(&cfg, 0, sizeof(cfg)); /* keys off the stack */
	return err;
}

static void set_flag(const struct tern_xdpc *x, struct tern_xdpc_q *q, uint32_t queue, bool on)
{
	if (q->on == on)
		return;
	q->on = on;
	q->switches++;
	q->calm_since = 0;
	atomic_store_explicit(&x->on[queue], on, memory_order_release);
}

void tern_xdpc__off(const struct tern_xdpc *x, struct tern_xdpc_q *q, uint32_t queue,
		    struct tern_stack *s, uint64_t now)
{
	if (!x->on || queue >= TERN_XDP_MAX_QUEUES)
		return;
	if (q->on && s) /* ACKs to the cookies XDP sent up to now */
		tern_stack__cookies_issued(s, now);
	set_flag(x, q, queue, false);
}

/* Overload: the RX ring filling, the half-open table full, or the stack
 * answering with cookies itself (it reached its backlog, or its mode is
 * always). */
static bool overloaded(const struct tern_xdpc *x, struct tern_xdpc_q *q, struct tern_stack *s,
		       uint32_t rx_used, uint32_t rx_size, uint32_t backlog)
{
	uint64_t sent = tern_stack__mib(s)[TERN_MIB_SyncookiesSent];
	bool own = sent != q->cookies_seen;

	q->cookies_seen = sent;
	return own || (uint64_t)rx_used * 100 >= (uint64_t)rx_size * x->rx_high_pct ||
	       tern_stack__nreqs(s) >= backlog;
}

static bool calm(const struct tern_xdpc *x, uint32_t rx_used, uint32_t rx_size)
{
	return (uint64_t)rx_used * 100 <= (uint64_t)rx_size * x->rx_low_pct;
}

/* A calm ring while XDP answers or drops a flood for the queue is XDP's
 * doing: the spell counts only if XDP took fewer frames during it than
 * would have filled the ring to rx_high_pct. */
static bool xdp_busy(const struct tern_xdpc *x, const struct tern_xdpc_q *q, uint32_t queue,
		     uint32_t rx_size)
{
	return (handled(x, queue) - q->handled_calm) * 100 >= (uint64_t)rx_size * x->rx_high_pct;
}

uint64_t tern_xdpc__deadline(const struct tern_xdpc *x, const struct tern_xdpc_q *q,
			     uint64_t now)
{
	if (!q->on || atomic_load_explicit(&x->mode, memory_order_relaxed) == TERN_XDPC_ALWAYS)
		return UINT64_MAX;
	if (q->calm_since)
		return q->calm_since + x->hold_ns;
	return now + x->hold_ns / 4;
}

void tern_xdpc__step(const struct tern_xdpc *x, struct tern_xdpc_q *q, uint32_t queue,
		     struct tern_stack *s, uint32_t rx_used, uint32_t rx_size, uint32_t backlog,
		     uint64_t now)
{
	int mode = atomic_load_explicit(&x->mode, memory_order_relaxed);
	bool over;

	if (!x->on || queue >= TERN_XDP_MAX_QUEUES)
		return;
	over = overloaded(x, q, s, rx_used, rx_size, backlog);
	if (mode == TERN_XDPC_NEVER)
		return tern_xdpc__off(x, q, queue, s, now);
	if (mode == TERN_XDPC_ALWAYS || over) {
		set_flag(x, q, queue, true);
		q->calm_since = 0;
	} else if (q->on && calm(x, rx_used, rx_size)) {
		if (q->calm_since && now - q->calm_since >= x->hold_ns && !xdp_busy(x, q, queue, rx_size))
			return tern_xdpc__off(x, q, queue, s, now);
		if (!q->calm_since || now - q->calm_since >= x->hold_ns) {
			q->calm_since = now; /* a new spell (XDP was busy in the last one) */
			q->handled_calm = handled(x, queue);
		}
	} else {
		q->calm_since = 0;
	}
	if (q->on)
		tern_stack__cookies_issued(s, now);
}
