// SPDX-License-Identifier: BSD-2-Clause
/* The worker request mailbox (user/io/mailbox.c) with real threads: one
 * server, several posters at once, posters that give up. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

#include "t.h"
#include "user/io/mailbox.h"

#define POSTERS 4
#define PER_POSTER 300
#define WAIT_MS 5000

struct server {
	struct tern_mailbox mb;
	atomic_bool stop, gone;
	atomic_uint served, wakes;
	pthread_t thread;
};

/* The reply names the request: "op O args A B", and truncated = A * 1000 + B. */
static int echo_req(void *arg, struct tern_worker_req *r, char *buf, size_t cap)
{
	struct server *s = arg;

	atomic_fetch_add(&s->served, 1);
	r->truncated = r->arg[0] * 1000 + r->arg[1];
	return snprintf(buf, cap, "op %d args %u %u", r->op, r->arg[0], r->arg[1]);
}

static int wake(void *arg)
{
	atomic_fetch_add(&((struct server *)arg)->wakes, 1);
	return 0;
}

static bool gone(void *arg)
{
	return atomic_load(&((struct server *)arg)->gone);
}

static void *serve_loop(void *arg)
{
	struct server *s = arg;

	while (!atomic_load(&s->stop)) {
		tern_mailbox__serve(&s->mb, echo_req, s);
		sched_yield();
	}
	return NULL;
}

struct poster {
	struct server *s;
	uint32_t id;
	int errors, crossed;
};

static void *post_loop(void *arg)
{
	struct poster *p = arg;
	const struct tern_mailbox_peer peer = { wake, gone, p->s };

	for (uint32_t i = 0; i < PER_POSTER; i++) {
		struct tern_worker_req req = { .op = 100 + (int)p->id, .arg = { p->id, i, 0 } };
		char buf[64] = "", want[64];
		int r = tern_mailbox__post(&p->s->mb, &peer, &req, buf, sizeof(buf) - 1, WAIT_MS);

		if (r) {
			p->errors++;
			continue;
		}
		snprintf(want, sizeof(want), "op %d args %u %u", 100 + (int)p->id, p->id, i);
		buf[req.result > 0 ? req.result : 0] = 0;
		if (strcmp(buf, want) || req.op != 100 + (int)p->id ||
		    req.truncated != p->id * 1000 + i)
			p->crossed++;
	}
	return NULL;
}

static int server_start(struct server *s)
{
	memset(s, 0, sizeof(*s));
	if (tern_mailbox__init(&s->mb, 4096))
		return -ENOMEM;
	return -pthread_create(&s->thread, NULL, serve_loop, s);
}

static void server_stop(struct server *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
}

TEST(test_mailbox_posters_concurrent)
{
	struct poster p[POSTERS];
	pthread_t t[POSTERS];
	struct server s;
	int errors = 0, crossed = 0;

	REQUIRE_EQ(server_start(&s), 0);
	for (uint32_t i = 0; i < POSTERS; i++) {
		p[i] = (struct poster){ .s = &s, .id = i };
		REQUIRE_EQ(pthread_create(&t[i], NULL, post_loop, &p[i]), 0);
	}
	for (int i = 0; i < POSTERS; i++) {
		pthread_join(t[i], NULL);
		errors += p[i].errors;
		crossed += p[i].crossed;
	}
	server_stop(&s);
	CHECK_EQ(crossed, 0);
	CHECK_EQ(errors, 0);
	CHECK_EQ(atomic_load(&s.served), POSTERS * PER_POSTER);
	CHECK_EQ(atomic_load(&s.wakes), POSTERS * PER_POSTER);
	tern_mailbox__fini(&s.mb);
}

/* A poster that gives up leaves the mailbox to the server, which frees it
 * without running the request; the next request gets its own reply. */
TEST(test_mailbox_timeout_abandoned)
{
	struct server s;
	const struct tern_mailbox_peer peer = { wake, gone, &s };
	struct tern_worker_req req = { .op = 1, .arg = { 7, 8, 0 } };
	char buf[64] = "";

	memset(&s, 0, sizeof(s));
	REQUIRE_EQ(tern_mailbox__init(&s.mb, 4096), 0);
	CHECK_EQ(tern_mailbox__post(&s.mb, &peer, &req, buf, sizeof(buf), 20), -ETIMEDOUT);
	req.op = 2;
	CHECK_EQ(tern_mailbox__post(&s.mb, &peer, &req, buf, sizeof(buf), 20), -EBUSY);
	CHECK_EQ(atomic_load(&s.wakes), 1);
	tern_mailbox__serve(&s.mb, echo_req, &s); /* frees it, runs nothing */
	CHECK_EQ(atomic_load(&s.served), 0);
	tern_mailbox__fini(&s.mb);

	REQUIRE_EQ(server_start(&s), 0);
	req = (struct tern_worker_req){ .op = 3, .arg = { 1, 2, 0 } };
	CHECK_EQ(tern_mailbox__post(&s.mb, &peer, &req, buf, sizeof(buf) - 1, WAIT_MS), 0);
	REQUIRE(req.result > 0);
	buf[req.result] = 0;
	CHECK(!strcmp(buf, "op 3 args 1 2"));
	CHECK_EQ(atomic_load(&s.served), 1);
	server_stop(&s);
	tern_mailbox__fini(&s.mb);
}

TEST(test_mailbox_server_gone)
{
	struct server s;
	const struct tern_mailbox_peer peer = { wake, gone, &s };
	struct tern_worker_req req = { .op = 1 };

	memset(&s, 0, sizeof(s));
	REQUIRE_EQ(tern_mailbox__init(&s.mb, 4096), 0);
	atomic_store(&s.gone, true);
	CHECK_EQ(tern_mailbox__post(&s.mb, &peer, &req, NULL, 0, WAIT_MS), -ESRCH);
	CHECK_EQ(tern_mailbox__post(&s.mb, &peer, &req, NULL, 0, WAIT_MS), -ESRCH);
	tern_mailbox__fini(&s.mb);
}

/* ---- note queue (tern_noteq) ---- */

static atomic_uint note_wakes;

static int note_wake(void *arg)
{
	(void)arg;
	atomic_fetch_add(&note_wakes, 1);
	return 0;
}

static bool note_gone(void *arg)
{
	(void)arg;
	return false;
}

static const struct tern_mailbox_peer note_peer = { note_wake, note_gone, NULL };

/* At its bound a full queue refuses the note; notes come out in order,
 * and only the first note after a rearm wakes the server. */
TEST(test_noteq_bound_order_wake)
{
	struct tern_noteq q;
	uint32_t v, got;

	CHECK_EQ(tern_noteq__init(&q, 3), -EINVAL);
	REQUIRE_EQ(tern_noteq__init(&q, 4), 0);
	atomic_store(&note_wakes, 0);
	for (v = 0; v < 4; v++)
		CHECK_EQ(tern_noteq__post(&q, &note_peer, &v, sizeof(v)), 0);
	CHECK_EQ(tern_noteq__post(&q, &note_peer, &v, sizeof(v)), -ENOBUFS);
	CHECK_EQ(atomic_load(&note_wakes), 1);
	tern_noteq__rearm(&q);
	for (v = 0; v < 4; v++) {
		REQUIRE(tern_noteq__take(&q, &got, sizeof(got)));
		CHECK_EQ(got, v);
	}
	CHECK(!tern_noteq__take(&q, &got, sizeof(got)));
	/* room again, and the rearm owes a wake-up */
	CHECK_EQ(tern_noteq__post(&q, &note_peer, &v, sizeof(v)), 0);
	CHECK_EQ(atomic_load(&note_wakes), 2);
	REQUIRE(tern_noteq__take(&q, &got, sizeof(got)));
	CHECK_EQ(got, 4u);
	tern_noteq__fini(&q);
}

#define NOTE_POSTERS 3
#define NOTE_PER_POSTER 20000

struct note_poster {
	struct tern_noteq *q;
	uint32_t id, posted, refused;
	atomic_bool done;
};

static void *note_post_loop(void *arg)
{
	struct note_poster *p = arg;

	for (uint32_t i = 0; i < NOTE_PER_POSTER; i++) {
		uint32_t note[2] = { p->id, i };

		if (tern_noteq__post(p->q, &note_peer, note, sizeof(note)))
			p->refused++;
		else
			p->posted++;
	}
	atomic_store(&p->done, true);
	return NULL;
}

/* Several posters at once, one taker: every note accepted comes out once,
 * whole, and each poster's in its order. */
TEST(test_noteq_posters_concurrent)
{
	struct note_poster p[NOTE_POSTERS];
	pthread_t t[NOTE_POSTERS];
	uint32_t next[NOTE_POSTERS] = { 0 }, taken = 0, posted = 0, bad = 0, note[2];
	struct tern_noteq q;
	int running = NOTE_POSTERS;

	REQUIRE_EQ(tern_noteq__init(&q, 16), 0);
	for (uint32_t i = 0; i < NOTE_POSTERS; i++) {
		p[i] = (struct note_poster){ .q = &q, .id = i };
		atomic_init(&p[i].done, false);
		REQUIRE_EQ(pthread_create(&t[i], NULL, note_post_loop, &p[i]), 0);
	}
	while (running) {
		tern_noteq__rearm(&q);
		while (tern_noteq__take(&q, note, sizeof(note))) {
			if (note[0] >= NOTE_POSTERS || note[1] < next[note[0]])
				bad++;
			else
				next[note[0]] = note[1] + 1;
			taken++;
		}
		running = 0;
		for (uint32_t i = 0; i < NOTE_POSTERS; i++)
			running += !atomic_load(&p[i].done);
		sched_yield();
	}
	for (uint32_t i = 0; i < NOTE_POSTERS; i++)
		pthread_join(t[i], NULL);
	while (tern_noteq__take(&q, note, sizeof(note)))
		taken++;
	for (uint32_t i = 0; i < NOTE_POSTERS; i++)
		posted += p[i].posted;
	CHECK_EQ(bad, 0u);
	CHECK_EQ(taken, posted);
	CHECK(posted > 0);
	tern_noteq__fini(&q);
}
