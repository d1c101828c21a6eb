// SPDX-License-Identifier: BSD-2-Clause
/* The configuration file's syntax (conf.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static char *trim(char *s)
{
	char *e = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = 0;
	return s;
}

static int bad(char *err, size_t errlen, const char *path, int line, const char *msg)
{
	snprintf(err, errlen, "%s:%d: %s", path, line, msg);
	return -EINVAL;
}

static int valid_key(const char *k)
{
	if (!islower((unsigned char)*k))
		return 0;
	for (; *k; k++)
		if (!islower((unsigned char)*k) && !isdigit((unsigned char)*k) && *k != '-')
			return 0;
	return 1;
}

static int add(struct tern_conf *c, const char *key, const char *val, int line)
{
	struct tern_conf_entry *e = &c->e[c->n];

	e->key = strdup(key);
	e->val = strdup(val);
	e->line = line;
	if (!e->key || !e->val) {
		free(e->key);
		free(e->val);
		return -ENOMEM;
	}
	c->n++;
	return 0;
}

/* One line (no newline); 0 or -errno with err set. */
static int parse_line(struct tern_conf *c, char *raw, int line, char *err, size_t errlen)
{
	char *s = trim(raw), *eq, *key, *val;

	if (!*s || *s == '#')
		return 0;
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < ' ' && *p != '\t')
			return bad(err, errlen, c->path, line, "control character");
	eq = strchr(s, '=');
	if (!eq)
		return bad(err, errlen, c->path, line, "expected 'key = value'");
	*eq = 0;
	key = trim(s);
	val = trim(eq + 1);
	if (!valid_key(key))
		return bad(err, errlen, c->path, line,
			   "bad key (a lower-case letter, then letters, digits, '-')");
	if (!*val)
		return bad(err, errlen, c->path, line, "empty value");
	if (c->n >= TERN_CONF_MAX_ENTRIES)
		return bad(err, errlen, c->path, line, "too many settings");
	return add(c, key, val, line);
}

static int read_lines(struct tern_conf *c, FILE *f, char *err, size_t errlen)
{
	char buf[TERN_CONF_LINE_MAX + 2];
	int line = 0, r;

	while (fgets(buf, sizeof(buf), f)) {
		line++;
		if (!strchr(buf, '\n') && !feof(f))
			return bad(err, errlen, c->path, line, "line too long");
		r = parse_line(c, buf, line, err, errlen);
		if (r)
			return r;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", c->path, strerror(EIO));
		return -EIO;
	}
	return 0;
}

int tern_conf__load(struct tern_conf *c, const char *path, char *err, size_t errlen)
{
	FILE *f;
	int r;

	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	c->e = calloc(TERN_CONF_MAX_ENTRIES, sizeof(*c->e));
	if (!c->path || !c->e) {
		tern_conf__free(c);
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		tern_conf__free(c);
		return r;
	}
	r = read_lines(c, f, err, errlen);
	fclose(f);
	if (r)
		tern_conf__free(c);
	return r;
}

void tern_conf__free(struct tern_conf *c)
{
	for (int i = 0; c->e && i < c->n; i++) {
		free(c->e[i].key);
		free(c->e[i].val);
	}
	free(c->e);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

int tern_conf__get(const struct tern_conf *c, const char *key, char *buf, size_t cap)
{
	size_t len = 0;
	int found = 0;

	if (cap)
		buf[0] = 0;
	for (int i = 0; i < c->n; i++) {
		if (strcmp(c->e[i].key, key))
			continue;
		if (len < cap)
			len += (size_t)snprintf(buf + len, cap - len, "%s%s", found ? "\n" : "",
						c->e[i].val);
		found = 1;
	}
	return found;
}
