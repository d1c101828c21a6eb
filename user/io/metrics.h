/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's metrics: one table of the worker counters and gauges (JSON
 * keys, Prometheus families, help), used by the control socket's `stats`
 * (JSON) and `metrics` (Prometheus text exposition format 0.0.4), which
 * the optional HTTP listener serves as /metrics. Names follow one rule
 * (metrics_name.h); every family is listed with its meaning in ternctl(8).
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
	const char *prom;  /* family after "tern_" (counters get _total); NULL: JSON only */
	const char *label; /* a label that tells the family's members apart, or NULL */
	const char *lval;  /* its value for this member */
	const char *help;  /* the family's (its first member's) */
	size_t off;        /* in struct tern_worker_stats */
	uint8_t type;      /* enum tern_metric_type */
	uint8_t counter;   /* 1 counter (summed in "total"), 0 gauge */
};

extern const struct tern_metric tern_metrics[];
extern const unsigned int tern_nmetrics;

uint64_t tern_metric__get(const struct tern_metric *m, const struct tern_worker_stats *st);

/* What one scrape shows. */
struct tern_metrics_src {
	const char *dev;
	const struct tern_worker_stats *st; /* n worker snapshots */
	uint32_t n;
	const uint64_t *xdp;                /* the XDP counters, NULL: unreadable */
	int reload_ok;                      /* the last reload (or the start) succeeded */
	uint64_t secret_rotations;          /* --cookie-secret rotations (rotate.h) */
	int64_t reload_time;                /* the last successful one (or the start), Unix s */
};

/* The Prometheus text of s. */
void tern_metrics__prometheus(struct tern_out_buf *o, const struct tern_metrics_src *s);

#endif
