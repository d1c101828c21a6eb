/* SPDX-License-Identifier: BSD-2-Clause */
/* Benchmarks of the core, run by tern-bench-core (bench_core.c). Each
 * prints a Markdown table on stdout and returns 0, or -1 on failure. */
#ifndef TERN_BENCH_H
#define TERN_BENCH_H

int bench_wheel(void);

/* bench_core.c: record sizes, and SYN -> SYN-ACK through the core. */
enum bench_syn_mode {
	BENCH_SYN_COOKIE,   /* syncookies=2: every SYN answered statelessly */
	BENCH_SYN_STATEFUL, /* syncookies=0: every SYN makes a half-open record */
};

int bench_sizes(void);
/* Timed for at least a second when count is 0, printing one row of the
 * table `| mode | SYNs | seconds | SYN/s (1 core) | ns/SYN |`; otherwise
 * exactly count SYNs after one warm-up batch, untimed (for callgrind). */
int bench_syn(enum bench_syn_mode mode, unsigned long count);

#endif
