// SPDX-License-Identifier: BSD-2-Clause
/*
 * tern-bench-cc.so: an LD_PRELOAD object that sets the congestion control
 * named in TERN_BENCH_CC on every socket that listens, for peers (nginx)
 * that have no setting of their own. Accepted connections inherit the
 * listener's (tcp_assign_congestion_control() keeps what setsockopt chose).
 *
 * Why not sysctl: a network namespace other than the initial one may only
 * pick an algorithm in the host's net.ipv4.tcp_allowed_congestion_control
 * (tcp_set_default_congestion_control()), while TCP_CONGESTION on a socket
 * takes any available algorithm for a process with CAP_NET_ADMIN
 * (tcp_set_congestion_control()). The benchmarks run as root, so this
 * changes nothing outside the server it is loaded into.
 *
 * If the algorithm cannot be set, listen() fails with setsockopt's errno,
 * so a peer never runs silently on another algorithm than the one asked.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int listen(int fd, int backlog)
{
	static int (*real_listen)(int, int);
	const char *cc = getenv("TERN_BENCH_CC");

	if (!real_listen)
		real_listen = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
	if (!real_listen) {
		errno = ENOSYS;
		return -1;
	}
	if (cc && *cc &&
	    setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc)) < 0)
		return -1;
	return real_listen(fd, backlog);
}
