// SPDX-License-Identifier: BSD-2-Clause
/*
 * libbpf's and libxdp's messages through tern's log, at debug level: on a
 * normal start they narrate fallbacks (libxdp's dispatcher cannot load
 * here, so it says so and loads a single program), and when a load really
 * fails tern's own error line names what failed. `--log-level debug`
 * shows them, one line each, as "libbpf: ..." / "libxdp: ...".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "user/io/log.h"

static void forward(const char *lib, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	if (TERN_LOG_DEBUG > tern_log__level())
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = 0;
	if (n)
		tern_log__msg(TERN_LOG_DEBUG, "%s: %s", lib, line);
}

static int from_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	forward("libbpf", fmt, ap);
	return 0;
}

static int from_libxdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	forward("libxdp", fmt, ap);
	return 0;
}

void tern_log__route_libs(void)
{
	libbpf_set_print(from_libbpf);
	libxdp_set_print(from_libxdp);
}
