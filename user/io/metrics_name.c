// SPDX-License-Identifier: BSD-2-Clause
/* Prometheus names from Linux MIB names (metrics.h), shared with ternctl. */
#include <ctype.h>
#include <string.h>

#include "metrics_name.h"

void tern_metrics__snake(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	/* "TCPOFOQueue": the TCP prefix is a word of its own */
	if (!strncmp(in, "TCP", 3) && isupper((unsigned char)in[3]) && cap > 5) {
		memcpy(out, "tcp_", 4);
		n = 4;
		in += 3;
	}
	for (size_t i = 0; in[i] && n + 2 < cap; i++) {
		unsigned char c = (unsigned char)in[i], prev = i ? (unsigned char)in[i - 1] : 0,
			      next = (unsigned char)in[i + 1];

		if (i && isupper(c) &&
		    (islower(prev) || isdigit(prev) || (isupper(prev) && islower(next))))
			out[n++] = '_';
		out[n++] = (char)tolower(c);
	}
	out[n] = 0;
}
