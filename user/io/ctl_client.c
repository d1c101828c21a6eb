// SPDX-License-Identifier: BSD-2-Clause
/* Control socket client: one request, the whole reply. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

static int wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r = poll(&p, 1, timeout_ms);

	return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : -errno;
}

static int send_all(int fd, const char *p, size_t len, int timeout_ms)
{
	while (len) {
		ssize_t n;
		int err = wait_fd(fd, POLLOUT, timeout_ms);

		if (err)
			return err;
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_all(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t len = 0;

	while (len + 1 < cap) {
		ssize_t n;
		int err = wait_fd(fd, POLLIN, timeout_ms);

		if (err)
			return err;
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0)
			return -errno;
		if (!n)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	return (int)len;
}

/* A Unix stream connect blocks while the listener's backlog is full (a
 * daemon that stopped accepting); non-blocking, it says EAGAIN and is
 * tried again every 10 ms until timeout_ms has passed. */
static int connect_timed(int fd, const struct sockaddr_un *sa, int timeout_ms)
{
	for (int waited = 0;; waited += 10) {
		if (!connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
			return 0;
		if (errno != EAGAIN)
			return -errno;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		poll(NULL, 0, 10);
	}
}

int tern_ctl__request(const char *path, const char *cmd, char *buf, size_t cap, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[TERN_CTL_REQ_MAX + 2];
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path) || strlen(cmd) > TERN_CTL_REQ_MAX)
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect_timed(fd, &sa, timeout_ms);
	if (r)
		goto out;
	snprintf(line, sizeof(line), "%s\n", cmd);
	r = send_all(fd, line, strlen(line), timeout_ms);
	if (!r)
		r = recv_all(fd, buf, cap, timeout_ms);
out:
	close(fd);
	return r;
}
