// SPDX-License-Identifier: BSD-2-Clause
/*
 * Control socket server: accept (multishot), recv with a linked timeout,
 * send, close, all through the control thread's own io_uring. Client
 * slots are fixed; a request is one line.
 */
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdbool.h>
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
#include "log.h"
#include "uring_wait.h"

#define HTTP_HDR_ROOM 256 /* the reply body is written after room for headers */

enum ctl_op { OP_ACCEPT = 1, OP_RECV, OP_SEND, OP_TIMEOUT, OP_STOP, OP_HACCEPT };

struct ctl_client {
	int fd;           /* -1: free slot */
	uint32_t len;     /* request bytes received */
	uint32_t sent;    /* reply bytes sent */
	uint32_t rlen;    /* reply length */
	bool http;        /* from the metrics listener */
	char req[TERN_CTL_REQ_MAX + 1];
	char *reply;
};

struct tern_ctl {
	struct io_uring ring;
	pthread_t thread;
	int lfd;
	int hfd;          /* HTTP /metrics listener, or -1 */
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

/* The SQ (2 * TERN_CTL_MAX_CLIENTS + 8) holds everything that can be
 * prepared between two submits: each client has one request in flight (a
 * recv with its linked timeout, or a send), plus two accepts and the stop
 * read. The submit below is for safety; a failure is counted. */
static struct io_uring_sqe *sqe_get(struct tern_ctl *ctl)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ctl->ring);

	if (!sqe) {
		if (io_uring_submit(&ctl->ring) < 0)
			atomic_fetch_add(&ctl->errors, 1);
		sqe = io_uring_get_sqe(&ctl->ring);
	}
	return sqe;
}

static void arm_accept(struct tern_ctl *ctl, enum ctl_op op)
{
	struct io_uring_sqe *sqe = sqe_get(ctl);

	io_uring_prep_multishot_accept(sqe, op == OP_HACCEPT ? ctl->hfd : ctl->lfd, NULL, NULL,
				       SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, ud(0, op));
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

/* HTTP clients never take more than half the slots: scrapers cannot
 * lock ternctl out. */
static bool http_full(const struct tern_ctl *ctl)
{
	int n = 0;

	for (int i = 0; i < TERN_CTL_MAX_CLIENTS; i++)
		n += ctl->cl[i].fd >= 0 && ctl->cl[i].http;
	return n >= TERN_CTL_MAX_CLIENTS / 2;
}

static void client_new(struct tern_ctl *ctl, int fd, bool http)
{
	for (int i = 0; i < TERN_CTL_MAX_CLIENTS && !(http && http_full(ctl)); i++) {
		struct ctl_client *c = &ctl->cl[i];

		if (c->fd >= 0)
			continue;
		c->reply = malloc(TERN_CTL_REPLY_MAX);
		if (!c->reply)
			break;
		c->fd = fd;
		c->http = http;
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

/* ---- HTTP/1.1 GET /metrics (Connection: close) ---- */

static void http_reply(struct tern_ctl *ctl, int slot, const char *status, const char *type,
		       size_t body_off, size_t body_len, bool head)
{
	struct ctl_client *c = &ctl->cl[slot];
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", status, type, body_len);

	if (head)
		body_len = 0;
	memmove(c->reply + n, c->reply + body_off, body_len);
	memcpy(c->reply, hdr, (size_t)n);
	c->rlen = (uint32_t)((size_t)n + body_len);
	arm_send(ctl, slot);
}

static void http_error(struct tern_ctl *ctl, int slot, const char *status)
{
	struct ctl_client *c = &ctl->cl[slot];
	int n;

	atomic_fetch_add(&ctl->errors, 1);
	TERN_LOG_RL(TERN_LOG_WARN, "metrics listener: request refused: %s", status);
	n = snprintf(c->reply + HTTP_HDR_ROOM, 64, "%s\n", status);
	http_reply(ctl, slot, status, "text/plain; charset=utf-8", HTTP_HDR_ROOM, (size_t)n, false);
}

/* "GET /metrics HTTP/1.x" (or HEAD; a query string is ignored): NULL, or
 * the status of the error. */
static const char *http_check(char *req, bool *head)
{
	char method[8], target[64], version[16];

	if (sscanf(req, "%7s %63s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7))
		return "400 Bad Request";
	*head = !strcmp(method, "HEAD");
	if (!*head && strcmp(method, "GET"))
		return "405 Method Not Allowed";
	target[strcspn(target, "?")] = 0;
	return strcmp(target, "/metrics") ? "404 Not Found" : NULL;
}

static void http_answer(struct tern_ctl *ctl, int slot)
{
	struct ctl_client *c = &ctl->cl[slot];
	const char *status;
	bool head = false;
	int n = -1;

	status = http_check(c->req, &head);
	if (!status) {
		atomic_fetch_add(&ctl->requests, 1);
		c->reply[HTTP_HDR_ROOM] = 0;
		n = ctl->fn(ctl->ctx, "metrics", c->reply + HTTP_HDR_ROOM,
			    TERN_CTL_REPLY_MAX - HTTP_HDR_ROOM);
		status = n < 0 ? "500 Internal Server Error" : NULL;
	}
	if (status)
		http_error(ctl, slot, status);
	else
		http_reply(ctl, slot, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
			   HTTP_HDR_ROOM, (size_t)n, head);
}

static void on_recv_http(struct tern_ctl *ctl, int slot, int res)
{
	struct ctl_client *c = &ctl->cl[slot];

	c->req[c->len] = 0;
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
		http_answer(ctl, slot);
	else if (!res || c->len >= TERN_CTL_REQ_MAX)
		http_error(ctl, slot, res ? "431 Request Header Fields Too Large"
					  : "400 Bad Request");
	else
		arm_recv(ctl, slot);
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
	if (c->http) {
		on_recv_http(ctl, slot, res);
		return;
	}
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
	case OP_HACCEPT:
		if (cqe->res >= 0)
			client_new(ctl, cqe->res, (cqe->user_data & 0xff) == OP_HACCEPT);
		if (!(cqe->flags & IORING_CQE_F_MORE))
			arm_accept(ctl, (enum ctl_op)(cqe->user_data & 0xff));
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

	arm_accept(ctl, OP_ACCEPT);
	if (ctl->hfd >= 0)
		arm_accept(ctl, OP_HACCEPT);
	sqe = sqe_get(ctl);
	io_uring_prep_read(sqe, ctl->stopfd, &ctl->stopval, sizeof(ctl->stopval), 0);
	io_uring_sqe_set_data64(sqe, ud(0, OP_STOP));
	while (!stop) {
		unsigned head, n = 0;
		/* -errno (errno is not set); -EINTR comes with SIGSTOP/SIGCONT
		 * or a debugger and is not an error. */
		int r = tern_uring__submit_and_wait(&ctl->ring, NULL);

		if (r == -EAGAIN || r == -EBUSY) { /* submitted again after the reap */
			atomic_fetch_add(&ctl->errors, 1);
		} else if (r < 0 && r != -EINTR) {
			tern_log(TERN_LOG_ERR, "control socket: io_uring: %s; no more commands",
				 strerror(-r));
			break;
		}
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

static int listen_http(struct tern_ctl *ctl, const struct tern_ctl_http *h)
{
	int one = 1;

	ctl->hfd = socket(h->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl->hfd < 0)
		return -errno;
	if (setsockopt(ctl->hfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ctl->hfd, (const struct sockaddr *)&h->addr, h->len) || listen(ctl->hfd, 64)) {
		int err = -errno;

		close(ctl->hfd);
		ctl->hfd = -1;
		return err;
	}
	return 0;
}

int tern_ctl__parse_http(const char *s, bool remote_ok, struct tern_ctl_http *h)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	struct sockaddr_in *in4 = (struct sockaddr_in *)&h->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&h->addr;
	unsigned long port;
	size_t n;
	char *end;

	memset(h, 0, sizeof(*h));
	if (!colon || colon == s || (n = (size_t)(colon - s)) >= sizeof(host))
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || !colon[1] || colon[1] == '-' || port < 1 || port > 65535)
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = 0;
	if (host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		h->len = sizeof(*in6);
		return remote_ok || IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ? 0 : -EPERM;
	}
	if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
		return -EINVAL;
	in4->sin_family = AF_INET;
	in4->sin_port = htons((uint16_t)port);
	h->len = sizeof(*in4);
	return remote_ok || (ntohl(in4->sin_addr.s_addr) >> 24) == 127 ? 0 : -EPERM;
}

struct tern_ctl *tern_ctl__start(const char *path, tern_ctl_handler fn, void *ctx)
{
	return tern_ctl__start_http(path, NULL, fn, ctx);
}

struct tern_ctl *tern_ctl__start_http(const char *path, const struct tern_ctl_http *http,
				      tern_ctl_handler fn, void *ctx)
{
	struct tern_ctl *ctl = calloc(1, sizeof(*ctl));
	int err;

	if (!ctl)
		return NULL;
	ctl->hfd = -1;
	for (int i = 0; i < TERN_CTL_MAX_CLIENTS; i++)
		ctl->cl[i].fd = -1;
	ctl->fn = fn;
	ctl->ctx = ctx;
	ctl->timeout.tv_sec = TERN_CTL_TIMEOUT_MS / 1000;
	ctl->timeout.tv_nsec = (TERN_CTL_TIMEOUT_MS % 1000) * 1000000L;
	err = listen_on(ctl, path);
	if (err)
		goto err_free;
	if (http && (err = listen_http(ctl, http)))
		goto err_listen;
	ctl->stopfd = eventfd(0, EFD_CLOEXEC);
	if (ctl->stopfd < 0) {
		err = -errno;
		goto err_http;
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
err_http:
	if (ctl->hfd >= 0)
		close(ctl->hfd);
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
		tern_log(TERN_LOG_ERR, "control socket: stop: %s", strerror(errno));
	pthread_join(ctl->thread, NULL);
	io_uring_queue_exit(&ctl->ring);
	close(ctl->stopfd);
	if (ctl->hfd >= 0)
		close(ctl->hfd);
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
