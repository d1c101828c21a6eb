/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's metrics: one table of the worker counters and gauges (JSON
 * keys, Prometheus names, help), used by the control socket's `stats`
 * (JSON) and `metrics` (Prometheus text exposition format 0.0.4), which
 * the optional HTTP listener serves as /metrics. Every name is listed
 * with its meaning in ternctl(8).
 */
#ifndef TERN_IO_METRICS_H
#define TERN_IO_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_out.h"
#include "worker.h"

enum tern_metric_type { TERN_M_U64, TERN_M_U32, TERN_M_BOOL };

struct tern_metric {
	const char *key;   /* JSON key in a queue object */
	const char *prom;  /* Prometheus name after "tern_" (counters get _total) */
	const char *help;
	size_t off;        /* in struct tern_worker_stats */
	uint8_t type;      /* enum tern_metric_type */
	uint8_t counter;   /* 1 counter (summed in "total"), 0 gauge */
};

extern const struct tern_metric tern_metrics[];
extern const unsigned int tern_nmetrics;

uint64_t tern_metric__get(const struct tern_metric *m, const struct tern_worker_stats *st);

/* Prometheus text for n worker snapshots of dev and the XDP counters (xdp
 * may be NULL when they cannot be read). */
void tern_metrics__prometheus(struct tern_out_buf *o, const char *dev,
			      const struct tern_worker_stats *st, uint32_t n,
			      const uint64_t *xdp);

#endif
