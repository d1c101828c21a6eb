/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel TCP sockets to backends, driven on a worker's io_uring
 * (ring.h): nonblocking sockets, connect/send/recv as ring operations
 * whose results come back through a struct tern_ring_op, a relative
 * timer, cancellation of everything pending on a socket, and closing with
 * an orderly FIN or with a RST (SO_LINGER 0). Each call returns 0 or
 * -errno (-EBUSY: no submission slot).
 */
#ifndef TERN_IO_BACKEND_H
#define TERN_IO_BACKEND_H

#include <linux/time_types.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ring.h"

/* A nonblocking, close-on-exec TCP socket of family; fd or -errno. */
int tern_backend__socket(int family);
/* Connect; with ts (relative, must live until the CQE) a linked timeout
 * ends it with -ECANCELED. */
int tern_backend__connect(struct tern_ring *r, struct tern_ring_op *op, int fd,
			  const struct sockaddr *sa, socklen_t len, struct __kernel_timespec *ts);
int tern_backend__send(struct tern_ring *r, struct tern_ring_op *op, int fd, const void *p,
		       uint32_t len);
int tern_backend__recv(struct tern_ring *r, struct tern_ring_op *op, int fd, void *p,
		       uint32_t len);
/* The same with the bytes in mh's iovecs (mh and its iovecs must live
 * until the CQE). */
int tern_backend__sendv(struct tern_ring *r, struct tern_ring_op *op, int fd,
			const struct msghdr *mh);
int tern_backend__recvv(struct tern_ring *r, struct tern_ring_op *op, int fd, struct msghdr *mh);
/* op's callback after ts (relative; res -ETIME). */
int tern_backend__timer(struct tern_ring *r, struct tern_ring_op *op,
			struct __kernel_timespec *ts);
/* Every operation pending on fd completes (-ECANCELED); no CQE of its own. */
int tern_backend__cancel(struct tern_ring *r, int fd);
/* No more data to the backend (FIN after what is queued). */
int tern_backend__shutdown_wr(int fd);
/* Close; reset: abortively (RST, SO_LINGER 0) instead of with a FIN. */
void tern_backend__close(int fd, bool reset);

#endif
