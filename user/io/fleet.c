// SPDX-License-Identifier: BSD-2-Clause
/*
 * The fleet's cookie secret (fleet.h): the file's checks, and keys in
 * memory that core dumps leave out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet.h"

static size_t ring_len(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (sizeof(struct tern_keyring) + page - 1) / page * page;
}

struct tern_keyring *tern_keyring__new(void)
{
	void *p = mmap(NULL, ring_len(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	int err;

	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, ring_len(), MADV_DONTDUMP)) {
		err = errno;
		munmap(p, ring_len());
		errno = err;
		return NULL;
	}
	return p;
}

void tern_keyring__free(struct tern_keyring *r)
{
	if (!r)
		return;
	explicit_bzero(r, sizeof(*r));
	munmap(r, ring_len());
}

static int why_err(char *why, size_t cap, int err, const char *fmt, const char *arg)
{
	snprintf(why, cap, fmt, arg);
	return err;
}

/* The file's metadata, before a byte is read. */
static int check_stat(const struct stat *st, char *why, size_t cap)
{
	char mode[16];

	if (!S_ISREG(st->st_mode))
		return why_err(why, cap, -EINVAL, "not a regular file%s", "");
	if (st->st_mode & 077) {
		snprintf(mode, sizeof(mode), "%04o", (unsigned int)(st->st_mode & 07777));
		return why_err(why, cap, -EPERM,
			       "mode %s lets group or others read it (chmod 600)", mode);
	}
	if (st->st_uid != geteuid()) {
		snprintf(mode, sizeof(mode), "%u", (unsigned int)geteuid());
		return why_err(why, cap, -EPERM, "not owned by tern's user (uid %s)", mode);
	}
	if (st->st_size < TERN_FLEET_SECRET_MIN || st->st_size > TERN_FLEET_SECRET_MAX) {
		snprintf(mode, sizeof(mode), "%lld", (long long)st->st_size);
		snprintf(why, cap, "%s bytes, not %d to %d", mode, TERN_FLEET_SECRET_MIN,
			 TERN_FLEET_SECRET_MAX);
		return -EINVAL;
	}
	return 0;
}

static int read_all(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len < cap) {
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		*len += (size_t)n;
	}
	return 0;
}

int tern_fleet__load(const char *path, struct tern_fleet_keys *k, char *why, size_t cap)
{
	uint8_t buf[TERN_FLEET_SECRET_MAX + 1];
	struct stat st;
	size_t len = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		err = -errno;
		return why_err(why, cap, err, "%s", strerror(-err));
	}
	if (fstat(fd, &st))
		err = why_err(why, cap, -errno, "%s", strerror(errno));
	else
		err = check_stat(&st, why, cap);
	if (!err && (err = read_all(fd, buf, sizeof(buf), &len)))
		why_err(why, cap, err, "%s", strerror(-err));
	close(fd);
	if (!err && (len < TERN_FLEET_SECRET_MIN || len > TERN_FLEET_SECRET_MAX))
		err = why_err(why, cap, -EINVAL, "changed size while read%s", "");
	if (!err && k)
		err = tern_fleet_keys__derive(buf, len, k);
	explicit_bzero(buf, sizeof(buf));
	return err;
}
