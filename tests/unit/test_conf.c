// SPDX-License-Identifier: BSD-2-Clause
/* The configuration file's syntax (user/io/conf.c): entries, comments,
 * errors as "file:line: message". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "t.h"
#include "user/io/conf.h"

static void write_file(char *path, size_t n, const char *text)
{
	FILE *f;

	snprintf(path, n, "/tmp/tern-conf-test-%d.conf", (int)getpid());
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Load text; returns the result, with the error text in err. */
static int load(struct tern_conf *c, const char *text, char *err, size_t n)
{
	char path[64];
	int r;

	write_file(path, sizeof(path), text);
	r = tern_conf__load(c, path, err, n);
	unlink(path);
	return r;
}

/* err must be "<path>:<line>: <msg>". */
static int err_at(const char *err, int line, const char *msg)
{
	char want[128];
	const char *p = strstr(err, ".conf:");

	snprintf(want, sizeof(want), ".conf:%d: %s", line, msg);
	return p && !strcmp(p, want);
}

TEST(test_conf_entries_comments_blanks)
{
	struct tern_conf c;
	char err[256] = "", buf[128];

	REQUIRE_EQ(load(&c, "# tern.conf\n\n  addr = 10.0.0.1\n\tport=80\r\n"
			    "port = 443   \n  # indented comment\nhttp-header = X-A: b = c\n",
			err, sizeof(err)), 0);
	REQUIRE_EQ(c.n, 4);
	CHECK(!strcmp(c.e[0].key, "addr") && !strcmp(c.e[0].val, "10.0.0.1"));
	CHECK_EQ(c.e[0].line, 3);
	CHECK(!strcmp(c.e[1].key, "port") && !strcmp(c.e[1].val, "80"));
	CHECK_EQ(c.e[2].line, 5);
	/* the first '=' splits: the value keeps the rest */
	CHECK(!strcmp(c.e[3].key, "http-header") && !strcmp(c.e[3].val, "X-A: b = c"));
	CHECK_EQ(tern_conf__get(&c, "port", buf, sizeof(buf)), 1);
	CHECK(!strcmp(buf, "80\n443"));
	CHECK_EQ(tern_conf__get(&c, "queues", buf, sizeof(buf)), 0);
	CHECK(!strcmp(buf, ""));
	tern_conf__free(&c);
}

TEST(test_conf_empty_file)
{
	struct tern_conf c;
	char err[256] = "";

	REQUIRE_EQ(load(&c, "", err, sizeof(err)), 0);
	CHECK_EQ(c.n, 0);
	tern_conf__free(&c);
}

TEST(test_conf_errors_name_file_and_line)
{
	static const struct {
		const char *text;
		int line;
		const char *msg;
	} cases[] = {
		{ "port = 80\nbacklog\n", 2, "expected 'key = value'" },
		{ "# c\n\n= 5\n", 3, "bad key (a lower-case letter, then letters, digits, '-')" },
		{ "Port = 80\n", 1, "bad key (a lower-case letter, then letters, digits, '-')" },
		{ "--port = 80\n", 1, "bad key (a lower-case letter, then letters, digits, '-')" },
		{ "port =   \n", 1, "empty value" },
		{ "a = 1\nb = 2\nc = x\x01y\n", 3, "control character" },
	};
	struct tern_conf c;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = 0;
		CHECK_EQ(load(&c, cases[i].text, err, sizeof(err)), -EINVAL);
		if (!err_at(err, cases[i].line, cases[i].msg)) {
			fprintf(stderr, "  case %zu: got '%s'\n", i, err);
			CHECK(0);
		}
		CHECK_EQ(c.n, 0); /* freed on error */
	}
}

TEST(test_conf_line_too_long)
{
	struct tern_conf c;
	char *text = malloc(TERN_CONF_LINE_MAX + 64), err[256] = "";

	REQUIRE(text);
	strcpy(text, "addr = 1\nhttp-header = X: ");
	memset(text + strlen(text), 'a', TERN_CONF_LINE_MAX);
	strcpy(text + 19 + TERN_CONF_LINE_MAX, "\n");
	CHECK_EQ(load(&c, text, err, sizeof(err)), -EINVAL);
	CHECK(err_at(err, 2, "line too long"));
	free(text);
}

TEST(test_conf_too_many_entries)
{
	struct tern_conf c;
	char *text = malloc(16 * (TERN_CONF_MAX_ENTRIES + 2)), err[256] = "";
	size_t n = 0;

	REQUIRE(text);
	for (int i = 0; i <= TERN_CONF_MAX_ENTRIES; i++)
		n += (size_t)sprintf(text + n, "port = %d\n", i + 1);
	CHECK_EQ(load(&c, text, err, sizeof(err)), -EINVAL);
	CHECK(err_at(err, TERN_CONF_MAX_ENTRIES + 1, "too many settings"));
	free(text);
}

TEST(test_conf_missing_file)
{
	struct tern_conf c;
	char err[256] = "";

	CHECK_EQ(tern_conf__load(&c, "/nonexistent/tern.conf", err, sizeof(err)), -ENOENT);
	CHECK(!strcmp(err, "/nonexistent/tern.conf: No such file or directory"));
}
