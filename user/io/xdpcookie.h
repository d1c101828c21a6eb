/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SYN cookies answered in XDP (bpf/synack.h, docs/xdp-syn.md), the
 * daemon's side: the keys map written once at start, and each worker's
 * flag in the mmapable map tern_cookie_on, which the worker stores to
 * (no syscall) as its mode and load say:
 *
 *   never     flag off: the worker answers every SYN
 *   always    flag on while the worker runs
 *   overload  on when the RX ring is above rx_high_pct of its size, the
 *             half-open table is full or the stack sent cookies itself;
 *             off again after hold_ns below rx_low_pct with none of those,
 *             unless XDP took at least rx_high_pct of a ring's worth of
 *             frames off the queue in that time (the flood goes on)
 *
 * While the flag is on the worker tells its stack that cookies went out
 * (tern_stack__cookies_issued), so that it checks the cookie ACKs. On
 * drain the flag goes off before the socket leaves the xsks map.
 */
#ifndef TERN_IO_XDPCOOKIE_H
#define TERN_IO_XDPCOOKIE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tern/xdp.h"
#include "user/core/tcp.h"

enum tern_xdpc_mode {
	TERN_XDPC_NEVER = 0,
	TERN_XDPC_OVERLOAD,
	TERN_XDPC_ALWAYS,
};

#define TERN_XDPC_RX_HIGH_PCT 50                   /* RX ring share that is overload */
#define TERN_XDPC_RX_LOW_PCT 10                    /* and that is calm */
#define TERN_XDPC_HOLD_NS (1000 * TERN_NSEC_PER_MSEC) /* calm this long before off */
#define TERN_XDPC_FLOW_SLOTS TERN_FLOW_SLOTS_MAX       /* flow filter counters per queue */

/* Shared by the workers and the control thread. */
struct tern_xdpc {
	int cfg_fd;              /* tern_cookie_cfg; -1: the program has no such map */
	int on_fd;               /* tern_cookie_on */
	int flows_fd;            /* tern_flows; -1: the program has none */
	uint8_t *flows;          /* its mmapped counters, TERN_FLOW_SLOTS_MAX per queue */
	uint32_t flow_slots;     /* the part of each queue's counters in use */
	int load_fd;             /* tern_xdp_load; -1: the program has none */
	const volatile struct tern_xdp_qload *load; /* its mmapped values */
	_Atomic uint64_t *on;    /* its mmapped values, one per queue (8 bytes
				  * apart, as an array map lays them out) */
	atomic_int mode;         /* enum tern_xdpc_mode; `set xdp-cookies` changes it */
	uint32_t rx_high_pct;
	uint32_t rx_low_pct;
	uint64_t hold_ns;
};

/* One worker's, on its thread. */
struct tern_xdpc_q {
	bool on;
	uint64_t calm_since;     /* first calm pass of this calm spell; 0: not calm */
	uint64_t cookies_seen;   /* the stack's SyncookiesSent at the last step */
	uint64_t handled_calm;   /* XDP's handled count when the calm spell began */
	uint64_t switches;       /* times the flag changed */
};

/* Open the pinned maps of ifname and map the flags; all flags off.
 * -ENOENT when the attached program predates XDP cookies (x stays
 * usable: every call is then a no-op). */
int tern_xdpc__open(struct tern_xdpc *x, const char *ifname, const char *bpffs, int mode);
void tern_xdpc__close(struct tern_xdpc *x);

/* Give queue's part of the flow filter to its stack (cleared), before the
 * stack holds any record; the keys (tern_xdpc__write_cfg) carry its size.
 * A no-op without the map. */
int tern_xdpc__flows_attach(const struct tern_xdpc *x, uint32_t queue, struct tern_stack *s);
/* Take it back (teardown) and clear it. */
void tern_xdpc__flows_detach(const struct tern_xdpc *x, uint32_t queue, struct tern_stack *s);

/* Write the keys and what the stack derives from its configuration. */
int tern_xdpc__write_cfg(const struct tern_xdpc *x, const struct tern_stack *s, uint32_t rcv_buf);

/* One loop pass of queue's worker: set the flag from the mode and the
 * load (rx_used of rx_size RX descriptors waiting, nreqs of backlog
 * half-open records). */
void tern_xdpc__step(const struct tern_xdpc *x, struct tern_xdpc_q *q, uint32_t queue,
		     struct tern_stack *s, uint32_t rx_used, uint32_t rx_size, uint32_t backlog,
		     uint64_t now);

/* When the worker must run a pass although nothing else wakes it: SYNs
 * XDP answers never reach the ring, so a flag that is on in any mode but
 * always is looked at every hold_ns / 4 until calm turns it off.
 * UINT64_MAX: no need. */
uint64_t tern_xdpc__deadline(const struct tern_xdpc *x, const struct tern_xdpc_q *q,
			     uint64_t now);

/* Flag off (drain, teardown). */
void tern_xdpc__off(const struct tern_xdpc *x, struct tern_xdpc_q *q, uint32_t queue,
		    struct tern_stack *s, uint64_t now);

/* "never", "overload", "always" <-> enum tern_xdpc_mode; -EINVAL. */
int tern_xdpc__parse_mode(const char *s);
const char *tern_xdpc__mode_name(int mode);

#endif
