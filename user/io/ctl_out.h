/* SPDX-License-Identifier: BSD-2-Clause */
/* A bounded text appender for control replies: once out of room it stays
 * failed, and done() says -EMSGSIZE. */
#ifndef TERN_IO_CTL_OUT_H
#define TERN_IO_CTL_OUT_H

#include <stddef.h>

struct tern_out_buf {
	char *p;
	size_t cap, len;
	int full;
};

void tern_out_buf__put(struct tern_out_buf *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The length written, or -EMSGSIZE if it did not fit. */
int tern_out_buf__done(const struct tern_out_buf *o);

#endif
