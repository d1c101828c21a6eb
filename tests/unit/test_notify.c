// SPDX-License-Identifier: BSD-2-Clause
/* The readiness notification (user/io/notify.c) against a datagram socket
 * standing in for systemd's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "t.h"
#include "user/io/notify.h"

/* Bind a datagram socket at name (a path, or "@..." abstract). */
static int listener(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = 0;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, (socklen_t)(sizeof(sa.sun_family) + n))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void expect(const char *name)
{
	char buf[64] = "";
	int fd = listener(name);
	ssize_t n;

	REQUIRE(fd >= 0);
	setenv("NOTIFY_SOCKET", name, 1);
	CHECK_EQ(tern_notify("READY=1"), 0);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	CHECK_EQ(n, 7);
	CHECK(!strcmp(buf, "READY=1"));
	close(fd);
}

TEST(test_notify_path_and_abstract)
{
	char path[64], abs[64];

	snprintf(path, sizeof(path), "/tmp/tern-notify-test-%d", (int)getpid());
	unlink(path);
	expect(path);
	unlink(path);
	snprintf(abs, sizeof(abs), "@tern-notify-test-%d", (int)getpid());
	expect(abs);
	unsetenv("NOTIFY_SOCKET");
}

TEST(test_notify_unset_or_bad)
{
	unsetenv("NOTIFY_SOCKET");
	CHECK_EQ(tern_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	CHECK_EQ(tern_notify("READY=1"), -EAFNOSUPPORT);
	setenv("NOTIFY_SOCKET", "/nonexistent/tern-notify", 1);
	CHECK_EQ(tern_notify("READY=1"), -ENOENT);
	unsetenv("NOTIFY_SOCKET");
}
