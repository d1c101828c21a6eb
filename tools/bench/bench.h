/* SPDX-License-Identifier: BSD-2-Clause */
/* Benchmarks of the core, run by tern-bench-core (bench_core.c). Each
 * prints a Markdown table on stdout and returns 0, or -1 on failure. */
#ifndef TERN_BENCH_H
#define TERN_BENCH_H

int bench_wheel(void);

#endif
