/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration file (tern.conf(5)): one setting per line,
 *
 *	# a comment (a line whose first non-blank character is '#')
 *	key = value
 *
 * where key is a long flag of tern(8) without its dashes and value is the
 * rest of the line with blanks trimmed (no inline comments). Flags that
 * take no argument take yes|no. Keys that may repeat on the command line
 * (addr, port, http-header) may repeat here. opts.c maps the entries onto
 * the flags; the command line overrides the file key by key.
 */
#ifndef TERN_IO_CONF_H
#define TERN_IO_CONF_H

#include <stddef.h>

#define TERN_CONF_LINE_MAX 4096
#define TERN_CONF_MAX_ENTRIES 256

struct tern_conf_entry {
	char *key;
	char *val;
	int line;
};

struct tern_conf {
	char *path;
	struct tern_conf_entry *e;
	int n;
};

/*
 * Read path into c. Returns 0, or -errno with "path:line: message" (or
 * "path: strerror") in err. Syntax only: opts.c checks keys and values.
 */
int tern_conf__load(struct tern_conf *c, const char *path, char *err, size_t errlen);
void tern_conf__free(struct tern_conf *c);

/* Every value of key, joined by '\n', into buf; 0 if the key is absent,
 * 1 if present (truncated to cap). */
int tern_conf__get(const struct tern_conf *c, const char *key, char *buf, size_t cap);

#endif
