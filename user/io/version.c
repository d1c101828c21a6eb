// SPDX-License-Identifier: BSD-2-Clause
#include <bpf/libbpf.h>

#include "user/io/version.h"

void tern_version__print(FILE *f, const char *prog)
{
	fprintf(f, "%s %s (libxdp %s, libbpf %s [runtime %s], liburing %s)\n", prog,
		TERN_VERSION, TERN_LIBXDP_VERSION, TERN_LIBBPF_VERSION, libbpf_version_string(),
		TERN_LIBURING_VERSION);
}
