/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tern's version and the versions of the libraries it was built against
 * (the Makefile passes them from pkg-config), for --version and the
 * build-info metric.
 */
#ifndef TERN_IO_VERSION_H
#define TERN_IO_VERSION_H

#ifndef TERN_VERSION
#define TERN_VERSION "unknown"
#endif
#ifndef TERN_LIBXDP_VERSION
#define TERN_LIBXDP_VERSION "unknown"
#endif
#ifndef TERN_LIBBPF_VERSION
#define TERN_LIBBPF_VERSION "unknown"
#endif
#ifndef TERN_LIBURING_VERSION
#define TERN_LIBURING_VERSION "unknown"
#endif

#include <stdio.h>

/* "PROG 0.1.0 (libxdp 1.3.1, libbpf 1.1.2 [runtime v1.1], liburing 2.3)" */
void tern_version__print(FILE *f, const char *prog);

#endif
