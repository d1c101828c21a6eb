// SPDX-License-Identifier: BSD-2-Clause
/* UMEM frame pool: construction and the accounting checks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"

static const char *const names[TERN_FS__COUNT] = {
	"free", "fill", "rx", "kept", "tx", "comp", "app", "app_tx", "app_rx",
};

int tern_frames__init(struct tern_frames *f, uint32_t nframes, uint32_t frame_size)
{
	memset(f, 0, sizeof(*f));
	if (!nframes || !frame_size || (frame_size & (frame_size - 1)))
		return -EINVAL;
	f->free = calloc(nframes, sizeof(*f->free));
	f->state = calloc(nframes, 1);
	if (!f->free || !f->state) {
		tern_frames__fini(f);
		return -ENOMEM;
	}
	f->shift = (uint32_t)__builtin_ctz(frame_size);
	f->c.total = nframes;
	f->c.n[TERN_FS_FREE] = nframes;
	/* Low addresses on top: handed out first. */
	for (uint32_t i = 0; i < nframes; i++)
		f->free[i] = (uint64_t)(nframes - 1 - i) << f->shift;
	return 0;
}

void tern_frames__fini(struct tern_frames *f)
{
	free(f->free);
	free(f->state);
	f->free = NULL;
	f->state = NULL;
}

int tern_frames__check(const struct tern_frame_counts *c)
{
	uint64_t sum = 0;

	for (int s = 0; s < TERN_FS__COUNT; s++)
		sum += c->n[s];
	return sum == c->total && !c->bad ? 0 : -EUCLEAN;
}

int tern_frames__verify(const struct tern_frames *f)
{
	uint32_t n[TERN_FS__COUNT] = { 0 };

	for (uint32_t i = 0; i < f->c.total; i++) {
		if (f->state[i] >= TERN_FS__COUNT)
			return -EUCLEAN;
		n[f->state[i]]++;
	}
	if (memcmp(n, f->c.n, sizeof(n)))
		return -EUCLEAN;
	return tern_frames__check(&f->c);
}

const char *tern_frames__state_name(int s)
{
	return s >= 0 && s < TERN_FS__COUNT ? names[s] : "?";
}

int tern_frames__format(const struct tern_frame_counts *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "total %u", c->total);

	for (int s = 0; s < TERN_FS__COUNT && n >= 0 && (size_t)n < len; s++)
		n += snprintf(buf + n, len - (size_t)n, " %s %u", names[s], c->n[s]);
	if (n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " bad %llu: %s",
			      (unsigned long long)c->bad,
			      tern_frames__check(c) ? "MISMATCH" : "ok");
	return n;
}
