// SPDX-License-Identifier: BSD-2-Clause
#include <stdlib.h>

#include "t.h"

static struct t_case *t_head, **t_tail = &t_head;
int t_failed_now;

void t_register(struct t_case *c)
{
	*t_tail = c;
	t_tail = &c->next;
}

void t_fail(const char *file, int line, const char *msg)
{
	fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, msg);
	t_failed_now = 1;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;

	for (struct t_case *c = t_head; c; c = c->next) {
		if (filter && !strstr(c->name, filter))
			continue;
		t_failed_now = 0;
		c->fn();
		printf("%s %s\n", t_failed_now ? "FAIL" : "ok  ", c->name);
		if (t_failed_now)
			failed++;
		else
			passed++;
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
