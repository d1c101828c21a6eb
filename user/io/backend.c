// SPDX-License-Identifier: BSD-2-Clause
/*
 * Backend sockets on the worker's io_uring (backend.h). The sockets are
 * nonblocking; io_uring still completes a connect, send or recv only when
 * it is done (it polls the socket internally), so the worker never blocks
 * on a backend.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "backend.h"

int tern_backend__socket(int family)
{
	int one = 1, fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);

	if (fd < 0)
		return -errno;
	/* Relayed bytes go out as they come: the client's own segments
	 * already decided the batching. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int tern_backend__connect(struct tern_ring *r, struct tern_ring_op *op, int fd,
			  const struct sockaddr *sa, socklen_t len, struct __kernel_timespec *ts)
{
	struct io_uring_sqe *sqe = tern_ring__sqe(r, op, ts ? 2 : 1);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_connect(sqe, fd, sa, len);
	if (ts) {
		sqe->flags |= IOSQE_IO_LINK;
		sqe = io_uring_get_sqe(r->ring); /* room checked above */
		io_uring_prep_link_timeout(sqe, ts, 0);
		io_uring_sqe_set_data64(sqe, 0);
	}
	return 0;
}

int tern_backend__send(struct tern_ring *r, struct tern_ring_op *op, int fd, const void *p,
		       uint32_t len)
{
	struct io_uring_sqe *sqe = tern_ring__sqe(r, op, 1);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_send(sqe, fd, p, len, MSG_NOSIGNAL);
	return 0;
}

int tern_backend__recv(struct tern_ring *r, struct tern_ring_op *op, int fd, void *p,
		       uint32_t len)
{
	struct io_uring_sqe *sqe = tern_ring__sqe(r, op, 1);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_recv(sqe, fd, p, len, 0);
	return 0;
}

int tern_backend__sendv(struct tern_ring *r, struct tern_ring_op *op, int fd,
			const struct msghdr *mh)
{
	struct io_uring_sqe *sqe = tern_ring__sqe(r, op, 1);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_sendmsg(sqe, fd, mh, MSG_NOSIGNAL);
	return 0;
}

int tern_backend__recvv(struct tern_ring *r, struct tern_ring_op *op, int fd, struct msghdr *mh)
{
	struct io_uring_sqe *sqe = tern_ring__sqe(r, op, 1);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_recvmsg(sqe, fd, mh, 0);
	return 0;
}

int tern_backend__timer(struct tern_ring *r, struct tern_ring_op *op,
			struct __kernel_timespec *ts)
{
	struct io_uring_sqe *sqe = tern_ring__sqe(r, op, 1);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_timeout(sqe, ts, 0, 0);
	return 0;
}

int tern_backend__cancel(struct tern_ring *r, int fd)
{
	struct io_uring_sqe *sqe = tern_ring__sqe(r, NULL, 1);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data64(sqe, 0);
	return 0;
}

int tern_backend__shutdown_wr(int fd)
{
	return shutdown(fd, SHUT_WR) ? -errno : 0;
}

void tern_backend__close(int fd, bool reset)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (fd < 0)
		return;
	if (reset)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}
