// SPDX-License-Identifier: BSD-2-Clause
/*
 * Control socket server: accept (multishot), recv with a linked timeout,
 * send, close, all through the control thread's own io_uring. Client
 * slots are fixed; a request is one line.
 */
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

enum ctl_op { OP_ACCEPT = 1, OP_RECV, OP_SEND, OP_TIMEOUT, OP_STOP };

struct ctl_client {
	int fd;           /* -1: free slot */
	uint32_t len;     /* request bytes received */
	uint32_t sent;    /* reply bytes sent */
	uint32_t rlen;    /* reply length */
	char req[TERN_CTL_REQ_MAX + 1];
	char *reply;
};

struct tern_ctl {
	struct io_uring ring;
	pthread_t thread;
	int lfd;
	int stopfd;
	uint64_t stopval;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	tern_ctl_handler fn;
	void *ctx;
	struct __kernel_timespec timeout;
	struct ctl_client cl[TERN_CTL_MAX_CLIENTS];
	_Atomic uint64_t requests, refused, errors;
};

static uint64_t ud(int slot, enum ctl_op op)
{
	return (uint64_t)slot << 8 | op;
}

static struct io_uring_sqe *sqe_get(struct tern_ctl *ctl)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ctl->ring);

	if (!sqe) {
		io_uring_submit(&ctl->ring);
		sqe = io_uring_get_sqe(&ctl->ring);
	}
	return sqe;
}

static void arm_accept(struct tern_ctl *ctl)
{
	struct io_uring_sqe *sqe = sqe_get(ctl);

	io_uring_prep_multishot_accept(sqe, ctl->lfd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, ud(0, OP_ACCEPT));
}

static void arm_recv(struct tern_ctl *ctl, int slot)
{
	struct ctl_client *c = &ctl->cl[slot];
	struct io_uring_sqe *sqe = sqe_get(ctl);

	io_uring_prep_recv(sqe, c->fd, c->req + c->len, TERN_CTL_REQ_MAX - c->len, 0);
	io_uring_sqe_set_data64(sqe, ud(slot, OP_RECV));
	sqe->flags |= IOSQE_IO_LINK;
	sqe = sqe_get(ctl);
	io_uring_prep_link_timeout(sqe, &ctl->timeout, 0);
	io_uring_sqe_set_data64(sqe, ud(slot, OP_TIMEOUT));
}

static void arm_send(struct tern_ctl *ctl, int slot)
{
	struct ctl_client *c = &ctl->cl[slot];
	struct io_uring_sqe *sqe = sqe_get(ctl);

	io_uring_prep_send(sqe, c->fd, c->reply + c->sent, c->rlen - c->sent, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, ud(slot, OP_SEND));
}

static void client_close(struct tern_ctl *ctl, int slot)
{
	struct ctl_client *c = &ctl->cl[slot];

	close(c->fd);
	c->fd = -1;
	free(c->reply);
	c->reply = NULL;
}

static void client_new(struct tern_ctl *ctl, int fd)
{
	for (int i = 0; i < TERN_CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &ctl->cl[i];

		if (c->fd >= 0)
			continue;
		c->reply = malloc(TERN_CTL_REPLY_MAX);
		if (!c->reply)
			break;
		c->fd = fd;
		c->len = c->sent = c->rlen = 0;
		arm_recv(ctl, i);
		return;
	}
	atomic_fetch_add(&ctl->refused, 1);
	close(fd);
}

/* Run the handler on the request line and put "ok\n"/"error: ...\n" in
 * front of its answer. */
static void answer(struct tern_ctl *ctl, int slot)
{
	struct ctl_client *c = &ctl->cl[slot];
	char *nl = memchr(c->req, '\n', c->len);
	int n;

	c->req[nl ? (uint32_t)(nl - c->req) : c->len] = 0;
	if (nl && nl > c->req && nl[-1] == '\r')
		nl[-1] = 0;
	atomic_fetch_add(&ctl->requests, 1);
	c->reply[3] = 0;
	n = ctl->fn(ctl->ctx, c->req, c->reply + 3, TERN_CTL_REPLY_MAX - 3);
	if (n >= 0) {
		memcpy(c->reply, "ok\n", 3);
		c->rlen = 3 + (uint32_t)n;
	} else {
		char msg[256];

		atomic_fetch_add(&ctl->errors, 1);
		snprintf(msg, sizeof(msg), "error: %s\n",
			 c->reply[3] ? c->reply + 3 : strerror(-n));
		c->rlen = (uint32_t)strlen(msg);
		memcpy(c->reply, msg, c->rlen);
	}
	arm_send(ctl, slot);
}

static void on_recv(struct tern_ctl *ctl, int slot, int res)
{
	struct ctl_client *c = &ctl->cl[slot];

	if (res < 0 || (res == 0 && !c->len)) {
		atomic_fetch_add(&ctl->errors, 1); /* timeout, error, or nothing sent */
		client_close(ctl, slot);
		return;
	}
	c->len += (uint32_t)res;
	if (res && !memchr(c->req, '\n', c->len) && c->len < TERN_CTL_REQ_MAX) {
		arm_recv(ctl, slot);
		return;
	}
	if (!memchr(c->req, '\n', c->len) && c->len >= TERN_CTL_REQ_MAX) {
		atomic_fetch_add(&ctl->errors, 1);
		c->rlen = (uint32_t)snprintf(c->reply, 64, "error: request too long\n");
		arm_send(ctl, slot);
		return;
	}
	answer(ctl, slot);
}

static void on_send(struct tern_ctl *ctl, int slot, int res)
{
	struct ctl_client *c = &ctl->cl[slot];

	if (res <= 0) {
		atomic_fetch_add(&ctl->errors, 1);
		client_close(ctl, slot);
		return;
	}
	c->sent += (uint32_t)res;
	if (c->sent < c->rlen)
		arm_send(ctl, slot);
	else
		client_close(ctl, slot);
}

/* One completion. Returns 0 to go on, 1 to stop. */
static int on_cqe(struct tern_ctl *ctl, const struct io_uring_cqe *cqe)
{
	int slot = (int)(cqe->user_data >> 8);

	switch (cqe->user_data & 0xff) {
	case OP_ACCEPT:
		if (cqe->res >= 0)
			client_new(ctl, cqe->res);
		if (!(cqe->flags & IORING_CQE_F_MORE))
			arm_accept(ctl);
		return 0;
	case OP_RECV:
		on_recv(ctl, slot, cqe->res);
		return 0;
	case OP_SEND:
		on_send(ctl, slot, cqe->res);
		return 0;
	case OP_STOP:
		return 1;
	default:
		return 0; /* linked timeouts */
	}
}

static void *ctl_thread(void *arg)
{
	struct tern_ctl *ctl = arg;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int stop = 0;

	arm_accept(ctl);
	sqe = sqe_get(ctl);
	io_uring_prep_read(sqe, ctl->stopfd, &ctl->stopval, sizeof(ctl->stopval), 0);
	io_uring_sqe_set_data64(sqe, ud(0, OP_STOP));
	while (!stop) {
		unsigned head, n = 0;

		if (io_uring_submit_and_wait(&ctl->ring, 1) < 0 && errno != EINTR)
			break;
		io_uring_for_each_cqe(&ctl->ring, head, cqe) {
			n++;
			stop |= on_cqe(ctl, cqe);
		}
		io_uring_cq_advance(&ctl->ring, n);
	}
	for (int i = 0; i < TERN_CTL_MAX_CLIENTS; i++)
		if (ctl->cl[i].fd >= 0)
			client_close(ctl, i);
	return NULL;
}

/* A socket at path that accepts connections belongs to a live daemon. */
static int path_in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), live;

	if (fd < 0)
		return 0;
	live = !connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	return live;
}

static void mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = 0;
	mkdir(dir, 0755); /* one level, as /run/tern; EEXIST is fine */
}

static int listen_on(struct tern_ctl *ctl, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	if (path_in_use(&sa))
		return -EADDRINUSE;
	mkdir_parent(path);
	unlink(path); /* stale, from a killed daemon */
	ctl->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl->lfd < 0)
		return -errno;
	if (bind(ctl->lfd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) ||
	    listen(ctl->lfd, 64)) {
		int err = -errno;

		close(ctl->lfd);
		return err;
	}
	strcpy(ctl->path, path);
	return 0;
}

struct tern_ctl *tern_ctl__start(const char *path, tern_ctl_handler fn, void *ctx)
{
	struct tern_ctl *ctl = calloc(1, sizeof(*ctl));
	int err;

	if (!ctl)
		return NULL;
	for (int i = 0; i < TERN_CTL_MAX_CLIENTS; i++)
		ctl->cl[i].fd = -1;
	ctl->fn = fn;
	ctl->ctx = ctx;
	ctl->timeout.tv_sec = TERN_CTL_TIMEOUT_MS / 1000;
	ctl->timeout.tv_nsec = (TERN_CTL_TIMEOUT_MS % 1000) * 1000000L;
	err = listen_on(ctl, path);
	if (err)
		goto err_free;
	ctl->stopfd = eventfd(0, EFD_CLOEXEC);
	if (ctl->stopfd < 0) {
		err = -errno;
		goto err_listen;
	}
	err = io_uring_queue_init(2 * TERN_CTL_MAX_CLIENTS + 8, &ctl->ring, 0);
	if (err)
		goto err_eventfd;
	err = -pthread_create(&ctl->thread, NULL, ctl_thread, ctl);
	if (err)
		goto err_ring;
	return ctl;

err_ring:
	io_uring_queue_exit(&ctl->ring);
err_eventfd:
	close(ctl->stopfd);
err_listen:
	close(ctl->lfd);
	unlink(ctl->path);
err_free:
	free(ctl);
	errno = -err;
	return NULL;
}

void tern_ctl__stop(struct tern_ctl *ctl)
{
	uint64_t one = 1;

	if (!ctl)
		return;
	if (write(ctl->stopfd, &one, sizeof(one)) != sizeof(one))
		perror("tern: ctl stop");
	pthread_join(ctl->thread, NULL);
	io_uring_queue_exit(&ctl->ring);
	close(ctl->stopfd);
	close(ctl->lfd);
	unlink(ctl->path);
	free(ctl);
}

void tern_ctl__stats(const struct tern_ctl *ctl, struct tern_ctl_stats *out)
{
	out->requests = atomic_load(&ctl->requests);
	out->refused = atomic_load(&ctl->refused);
	out->errors = atomic_load(&ctl->errors);
}
