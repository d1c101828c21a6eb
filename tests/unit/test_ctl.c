// SPDX-License-Identifier: BSD-2-Clause
/* The control socket server and client (real UNIX sockets, a real ring). */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "t.h"
#include "user/io/ctl.h"

static int handler(void *ctx, const char *cmd, char *reply, size_t cap)
{
	(*(int *)ctx)++;
	if (!strcmp(cmd, "ping"))
		return snprintf(reply, cap, "pong\n");
	if (!strcmp(cmd, "big")) {
		memset(reply, 'x', 200000);
		return 200000;
	}
	snprintf(reply, cap, "unknown command '%.40s'", cmd);
	return -EINVAL;
}

static void tmp_path(char *p, size_t n)
{
	snprintf(p, n, "/tmp/tern-ctl-test-%d/ctl.sock", (int)getpid());
}

TEST(test_ctl_request_reply)
{
	char path[108], buf[300000];
	int calls = 0;
	struct tern_ctl *ctl;
	struct tern_ctl_stats st;

	tmp_path(path, sizeof(path));
	ctl = tern_ctl__start(path, handler, &calls);
	REQUIRE(ctl);
	CHECK_EQ(tern_ctl__request(path, "ping", buf, sizeof(buf), 2000), 8);
	CHECK(!strcmp(buf, "ok\npong\n"));
	CHECK(tern_ctl__request(path, "nonsense", buf, sizeof(buf), 2000) > 0);
	CHECK(!strncmp(buf, "error: unknown command 'nonsense'", 33));
	CHECK_EQ(tern_ctl__request(path, "big", buf, sizeof(buf), 2000), 200003);
	/* a second server on the same live path is refused */
	CHECK(tern_ctl__start(path, handler, &calls) == NULL);
	CHECK_EQ(errno, EADDRINUSE);
	tern_ctl__stats(ctl, &st);
	CHECK_EQ(st.requests, 3);
	CHECK_EQ(calls, 3);
	tern_ctl__stop(ctl);
	CHECK_EQ(tern_ctl__request(path, "ping", buf, sizeof(buf), 500), -ENOENT);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST(test_ctl_garbage_and_overlong_requests)
{
	char path[108], buf[4096], big[3000];
	int calls = 0, fd;
	ssize_t n;
	struct tern_ctl *ctl;

	tmp_path(path, sizeof(path));
	ctl = tern_ctl__start(path, handler, &calls);
	REQUIRE(ctl);
	/* binary garbage without a newline, then EOF: answered as one line */
	fd = raw_connect(path);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, "\x01\x02\xff", 3) == 3);
	shutdown(fd, SHUT_WR);
	n = read(fd, buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = 0;
	CHECK(!strncmp(buf, "error:", 6));
	close(fd);
	/* a line longer than the limit never reaches the handler */
	memset(big, 'a', sizeof(big));
	fd = raw_connect(path);
	REQUIRE(fd >= 0);
	n = write(fd, big, sizeof(big));
	n = read(fd, buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = 0;
	CHECK(!strcmp(buf, "error: request too long\n"));
	close(fd);
	CHECK_EQ(calls, 1);
	/* the server still answers */
	CHECK(tern_ctl__request(path, "ping", buf, sizeof(buf), 2000) > 0);
	tern_ctl__stop(ctl);
}

TEST(test_ctl_client_flood_bounded)
{
	char path[108], buf[256];
	int calls = 0, fds[TERN_CTL_MAX_CLIENTS + 8];
	struct tern_ctl *ctl;
	struct tern_ctl_stats st;

	tmp_path(path, sizeof(path));
	ctl = tern_ctl__start(path, handler, &calls);
	REQUIRE(ctl);
	/* idle clients fill every slot; the extra ones are closed at once */
	for (int i = 0; i < TERN_CTL_MAX_CLIENTS + 8; i++)
		fds[i] = raw_connect(path);
	usleep(200000);
	tern_ctl__stats(ctl, &st);
	CHECK_EQ(st.refused, 8);
	for (int i = 0; i < TERN_CTL_MAX_CLIENTS + 8; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	usleep(100000);
	/* the slots come back */
	CHECK(tern_ctl__request(path, "ping", buf, sizeof(buf), 2000) > 0);
	CHECK(!strcmp(buf, "ok\npong\n"));
	tern_ctl__stop(ctl);
}

/* A listener that never accepts (a hung daemon): once its backlog is full
 * a blocking connect would wait for ever; the client gives up at its
 * timeout instead. */
TEST(test_ctl_client_times_out_on_full_backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, cl[8], ncl = 0, r;
	char buf[64];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/tern-ctl-hung-%d.sock", (int)getpid());
	unlink(sa.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	REQUIRE(lfd >= 0);
	REQUIRE_EQ(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	REQUIRE_EQ(listen(lfd, 0), 0);
	while (ncl < 8) { /* fill the backlog */
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			CHECK_EQ(errno, EAGAIN);
			close(fd);
			break;
		}
		cl[ncl++] = fd;
	}
	CHECK(ncl >= 1 && ncl < 8);
	r = tern_ctl__request(sa.sun_path, "stats", buf, sizeof(buf), 200);
	CHECK_EQ(r, -ETIMEDOUT);
	while (ncl)
		close(cl[--ncl]);
	close(lfd);
	unlink(sa.sun_path);
}
