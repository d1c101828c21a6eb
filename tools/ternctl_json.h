/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ternctl's JSON reader for the daemon's replies: the whole text parsed
 * into an array of nodes (strings decoded in place), depth-bounded, then
 * looked up by key.
 */
#ifndef TERN_TOOLS_TERNCTL_JSON_H
#define TERN_TOOLS_TERNCTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tern_json_type {
	TERN_JSON_NULL, TERN_JSON_BOOL, TERN_JSON_NUM, TERN_JSON_STR, TERN_JSON_ARR, TERN_JSON_OBJ
};

struct tern_json_node {
	enum tern_json_type type;
	bool b;
	uint64_t u;      /* TERN_JSON_NUM: the value if a non-negative integer, else 0 */
	const char *key; /* a member of an object: its name */
	const char *s;   /* TERN_JSON_STR */
	int kid, next;   /* first child, next sibling: indexes, -1 for none */
};

struct tern_json_doc {
	struct tern_json_node *n;
	int len, cap;
	char *p; /* parse position; strings are decoded in place */
};

#define TERN_JSON_EACH(d, o, k) \
	for (k = (o) ? tern_json__at(d, (o)->kid) : NULL; k; k = tern_json__at(d, k->next))

static inline const struct tern_json_node *tern_json__at(const struct tern_json_doc *d, int i)
{
	return i < 0 ? NULL : &d->n[i];
}

/* Parses text (modified: strings decoded in place); the root or NULL. The
 * caller frees d->n. */
const struct tern_json_node *tern_json__parse(struct tern_json_doc *d, char *text);
/* The member key of object o, or NULL. */
const struct tern_json_node *tern_json__get(const struct tern_json_doc *d,
					    const struct tern_json_node *o, const char *key);
/* Member values: 0, "?" or false when absent or of another type. */
uint64_t tern_json__u(const struct tern_json_doc *d, const struct tern_json_node *o,
		      const char *key);
const char *tern_json__s(const struct tern_json_doc *d, const struct tern_json_node *o,
			 const char *key);
bool tern_json__b(const struct tern_json_doc *d, const struct tern_json_node *o,
		  const char *key);

#endif
