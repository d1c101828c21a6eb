// SPDX-License-Identifier: BSD-2-Clause
/*
 * hello: the smallest program that embeds tern. It answers every
 * connection to ADDR:PORT on DEV with one line, then closes (tern closes
 * first, so TIME-WAIT is on tern's side). Built against the installed
 * library only:
 *
 *   cc -o hello hello.c $(pkg-config --cflags --libs tern)
 *   ./hello DEV ADDR PORT [BPFFS]
 *
 * SIGINT/SIGTERM stop it (drain, then exit 0).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <tern/server.h>

static const char greeting[] = "hello from an embedded tern\n";

struct hello {
	struct tern_app_env env;
	unsigned long served;
};

static int on_accept(void *ctx, struct tern_conn *c)
{
	struct hello *h = ctx;

	/* zero copy: the greeting lives as long as the program */
	tern_conn__send(h->env.stack, c, greeting, sizeof(greeting) - 1, *h->env.now, h->env.out);
	tern_conn__close(h->env.stack, c, *h->env.now, h->env.out);
	h->served++;
	return 0;
}

static const struct tern_app_ops hello_ops = { .accept = on_accept };

static void *hello_init(const struct tern_app_env *env)
{
	struct hello *h = calloc(1, sizeof(*h));

	if (h)
		h->env = *env;
	return h;
}

static void hello_fini(void *ctx)
{
	struct hello *h = ctx;

	fprintf(stderr, "hello: worker served %lu\n", h->served);
	free(h);
}

static const struct tern_app hello_app = {
	.name = "hello", .ops = &hello_ops, .worker_init = hello_init, .worker_fini = hello_fini,
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

int main(int argc, char **argv)
{
	const struct timespec tick = { 0, 50 * 1000 * 1000 };
	struct tern_server_config cfg;
	struct tern_server_service svc;
	struct tern_server *srv;

	if (argc < 4) {
		fprintf(stderr, "usage: %s DEV ADDR PORT [BPFFS]\n", argv[0]);
		return 2;
	}
	tern_server_config__init(&cfg);
	svc.addr = argv[2];
	svc.port = (uint16_t)atoi(argv[3]);
	cfg.dev = argv[1];
	cfg.services = &svc;
	cfg.nservices = 1;
	cfg.queues = 2;
	if (argc > 4)
		cfg.bpffs = argv[4];
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (tern_server__start(&srv, &cfg, &hello_app, NULL))
		return 1;
	while (!tern_server__done(srv)) {
		if (stop)
			tern_server__stop(srv, 0);
		nanosleep(&tick, NULL);
	}
	return tern_server__destroy(srv);
}
