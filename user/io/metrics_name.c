// SPDX-License-Identifier: BSD-2-Clause
/* Prometheus names from Linux MIB names (metrics_name.h), shared with ternctl. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "metrics_name.h"

/* "ACKs" at the end of a name or before the next word: the 's' of a plural. */
static bool plural_s(const char *p)
{
	return p[0] == 's' && !islower((unsigned char)p[1]);
}

/* Does a new word start at in[i] (i > 0)? */
static bool word_start(const char *in, size_t i)
{
	unsigned char c = (unsigned char)in[i], prev = (unsigned char)in[i - 1];

	if (!isupper(c))
		return false;
	if (i == 3 && !strncmp(in, "TCP", 3)) /* Linux's prefix: TCPOFOQueue */
		return true;
	if (islower(prev) || isdigit(prev))
		return true;
	return isupper(prev) && islower((unsigned char)in[i + 1]) && !plural_s(in + i + 1);
}

void tern_metrics__snake(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	if (!cap)
		return;
	for (size_t i = 0; in[i] && n + 2 < cap; i++) {
		if (i && word_start(in, i))
			out[n++] = '_';
		out[n++] = (char)tolower((unsigned char)in[i]);
	}
	out[n] = 0;
}

void tern_metrics__name(const char *subsys, const char *mib, char *out, size_t cap)
{
	char snake[128];
	const char *s = snake;
	size_t k = strlen(subsys);

	tern_metrics__snake(mib, snake, sizeof(snake));
	if (!strncmp(snake, subsys, k) && snake[k] == '_')
		s += k + 1;
	snprintf(out, cap, "tern_%s_%s", subsys, s);
}
