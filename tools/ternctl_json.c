// SPDX-License-Identifier: BSD-2-Clause
/* ternctl's JSON reader (ternctl_json.h). */
#include <stdlib.h>
#include <string.h>

#include "tools/ternctl_json.h"

#define MAX_DEPTH 16

static int jr_new(struct tern_json_doc *d, enum tern_json_type t)
{
	if (d->len == d->cap) {
		int cap = d->cap ? 2 * d->cap : 256;
		struct tern_json_node *n = realloc(d->n, (size_t)cap * sizeof(*n));

		if (!n)
			return -1;
		d->n = n;
		d->cap = cap;
	}
	d->n[d->len] = (struct tern_json_node){ .type = t, .kid = -1, .next = -1 };
	return d->len++;
}

static void jr_ws(struct tern_json_doc *d)
{
	while (*d->p == ' ' || *d->p == '\t' || *d->p == '\n' || *d->p == '\r')
		d->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* The string after an opening quote, decoded in place (never longer). */
static char *jr_string(struct tern_json_doc *d)
{
	char *start = d->p, *out = d->p;
	unsigned v;
	int i, h;

	for (;;) {
		unsigned char c = (unsigned char)*d->p++;

		if (c == '"') {
			*out = 0;
			return start;
		}
		if (c < 0x20) /* also the end of the text */
			return NULL;
		if (c != '\\') {
			*out++ = (char)c;
			continue;
		}
		switch (c = (unsigned char)*d->p++) {
		case '"': case '\\': case '/': *out++ = (char)c; break;
		case 'b': *out++ = '\b'; break;
		case 'f': *out++ = '\f'; break;
		case 'n': *out++ = '\n'; break;
		case 'r': *out++ = '\r'; break;
		case 't': *out++ = '\t'; break;
		case 'u':
			for (v = 0, i = 0; i < 4; i++) {
				h = hexval(*d->p++);
				if (h < 0)
					return NULL;
				v = v << 4 | (unsigned)h;
			}
			if (v >= 0xd800 && v < 0xe000) /* a surrogate half */
				v = '?';
			if (v < 0x80) {
				*out++ = (char)v;
			} else if (v < 0x800) {
				*out++ = (char)(0xc0 | v >> 6);
				*out++ = (char)(0x80 | (v & 0x3f));
			} else {
				*out++ = (char)(0xe0 | v >> 12);
				*out++ = (char)(0x80 | (v >> 6 & 0x3f));
				*out++ = (char)(0x80 | (v & 0x3f));
			}
			break;
		default:
			return NULL;
		}
	}
}

static int jr_value(struct tern_json_doc *d, int depth);

/* An object or an array, after its opening brace. */
static int jr_container(struct tern_json_doc *d, int depth, bool obj)
{
	char close = obj ? '}' : ']';
	int i, kid, prev = -1;

	if (depth == MAX_DEPTH || (i = jr_new(d, obj ? TERN_JSON_OBJ : TERN_JSON_ARR)) < 0)
		return -1;
	jr_ws(d);
	if (*d->p == close) {
		d->p++;
		return i;
	}
	for (;;) {
		const char *key = NULL;

		if (obj) {
			jr_ws(d);
			if (*d->p++ != '"' || !(key = jr_string(d)))
				return -1;
			jr_ws(d);
			if (*d->p++ != ':')
				return -1;
		}
		kid = jr_value(d, depth + 1);
		if (kid < 0)
			return -1;
		d->n[kid].key = key;
		if (prev < 0)
			d->n[i].kid = kid;
		else
			d->n[prev].next = kid;
		prev = kid;
		jr_ws(d);
		if (*d->p == ',') {
			d->p++;
			continue;
		}
		return *d->p++ == close ? i : -1;
	}
}

static int jr_literal(struct tern_json_doc *d, const char *word, enum tern_json_type t,
		      bool b)
{
	int i;

	if (strncmp(d->p, word, strlen(word)) || (i = jr_new(d, t)) < 0)
		return -1;
	d->p += strlen(word);
	d->n[i].b = b;
	return i;
}

static int jr_value(struct tern_json_doc *d, int depth)
{
	char *end;
	double v;
	int i;

	jr_ws(d);
	switch (*d->p) {
	case '{':
	case '[':
		return jr_container(d, depth, *d->p++ == '{');
	case '"':
		d->p++;
		i = jr_new(d, TERN_JSON_STR);
		if (i < 0 || !(d->n[i].s = jr_string(d)))
			return -1;
		return i;
	case 't':
		return jr_literal(d, "true", TERN_JSON_BOOL, true);
	case 'f':
		return jr_literal(d, "false", TERN_JSON_BOOL, false);
	case 'n':
		return jr_literal(d, "null", TERN_JSON_NULL, false);
	}
	if (*d->p != '-' && (*d->p < '0' || *d->p > '9'))
		return -1;
	v = strtod(d->p, &end);
	if (end == d->p || (i = jr_new(d, TERN_JSON_NUM)) < 0)
		return -1;
	if (*d->p != '-' && end == d->p + strspn(d->p, "0123456789"))
		d->n[i].u = strtoull(d->p, NULL, 10); /* exact past 2^53 */
	else
		d->n[i].u = v > 0 ? (uint64_t)v : 0;
	d->p = end;
	return i;
}

/* Parses text (modified: strings decoded in place); the root or NULL. */
const struct tern_json_node *tern_json__parse(struct tern_json_doc *d, char *text)
{
	int root;

	d->p = text;
	root = jr_value(d, 0);
	jr_ws(d);
	return root < 0 || *d->p ? NULL : tern_json__at(d, root);
}

const struct tern_json_node *tern_json__get(const struct tern_json_doc *d,
				    const struct tern_json_node *o, const char *key)
{
	const struct tern_json_node *k;

	if (!o || o->type != TERN_JSON_OBJ)
		return NULL;
	TERN_JSON_EACH(d, o, k)
		if (!strcmp(k->key, key))
			return k;
	return NULL;
}

uint64_t tern_json__u(const struct tern_json_doc *d, const struct tern_json_node *o,
		      const char *key)
{
	const struct tern_json_node *k = tern_json__get(d, o, key);

	return k && k->type == TERN_JSON_NUM ? k->u : 0;
}

const char *tern_json__s(const struct tern_json_doc *d, const struct tern_json_node *o,
			 const char *key)
{
	const struct tern_json_node *k = tern_json__get(d, o, key);

	return k && k->type == TERN_JSON_STR ? k->s : "?";
}

bool tern_json__b(const struct tern_json_doc *d, const struct tern_json_node *o,
		  const char *key)
{
	const struct tern_json_node *k = tern_json__get(d, o, key);

	return k && k->type == TERN_JSON_BOOL && k->b;
}
