// SPDX-License-Identifier: BSD-2-Clause
/*
 * Capture (capture.h): per-worker SPSC rings of frame copies, a writer
 * thread that drains them every millisecond into a pcap file through
 * libpcap (pcap_open_dead + pcap_dump), and the filter compiled once with
 * pcap_compile and run by each worker with pcap_offline_filter (it only
 * reads the program).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "include/tern/xdp.h"

#define put tern_out_buf__put
#define MAX_Q TERN_XDP_MAX_QUEUES

struct tern_capture {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	struct bpf_program prog;
	bool has_prog;
	char file[256];
	char error[128];
	uint64_t count;            /* 0: no limit */
	uint64_t written;          /* by the writer thread */
	int64_t mono_to_real;      /* ns to add to CLOCK_MONOTONIC */
	struct tern_worker *const *workers;
	uint32_t n;
	struct tern_cap_ring *rings[MAX_Q];
	pthread_t thread;
	bool thread_ok;
	atomic_bool quit;          /* control thread -> writer */
	atomic_bool active;        /* writer: still capturing */
	_Atomic uint64_t written_pub;
};

void tern_cap_ring__put(struct tern_cap_ring *r, const uint8_t *p, uint32_t len, uint64_t now)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint32_t caplen = len < TERN_CAP_SNAPLEN ? len : TERN_CAP_SNAPLEN;
	struct tern_cap_slot *s;

	if (r->filter) {
		struct pcap_pkthdr h = { .caplen = caplen, .len = len };

		if (!pcap_offline_filter(r->filter, &h, p))
			return;
	}
	if (tail - head >= TERN_CAP_SLOTS) {
		atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
		return;
	}
	s = &r->slot[tail % TERN_CAP_SLOTS];
	s->ts_ns = now;
	s->len = len;
	s->caplen = caplen;
	memcpy(s->data, p, caplen);
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

/* ---- the writer thread ---- */

/* The ring whose oldest copy is the oldest of all (frames go to the file
 * in time order across queues), or NULL when every ring is empty. */
static struct tern_cap_ring *oldest(struct tern_capture *c)
{
	struct tern_cap_ring *best = NULL;
	uint64_t best_ts = 0;

	for (uint32_t q = 0; q < c->n; q++) {
		struct tern_cap_ring *r = c->rings[q];
		uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
		uint64_t ts;

		if (head == atomic_load_explicit(&r->tail, memory_order_acquire))
			continue;
		ts = r->slot[head % TERN_CAP_SLOTS].ts_ns;
		if (!best || ts < best_ts) {
			best = r;
			best_ts = ts;
		}
	}
	return best;
}

static uint64_t drain(struct tern_capture *c)
{
	struct tern_cap_ring *r;
	uint64_t n = 0;

	while ((!c->count || c->written < c->count) && (r = oldest(c))) {
		uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
		const struct tern_cap_slot *s = &r->slot[head % TERN_CAP_SLOTS];
		uint64_t ns = s->ts_ns + (uint64_t)c->mono_to_real;
		struct pcap_pkthdr h = {
			.ts = { .tv_sec = (time_t)(ns / 1000000000u),
				.tv_usec = (suseconds_t)(ns % 1000000000u / 1000u) },
			.caplen = s->caplen,
			.len = s->len,
		};

		pcap_dump((u_char *)c->dumper, &h, s->data);
		atomic_store_explicit(&r->head, head + 1, memory_order_release);
		c->written++;
		n++;
	}
	return n;
}

static void *writer(void *arg)
{
	const struct timespec tick = { 0, 1000000 };
	struct tern_capture *c = arg;

	while (!atomic_load(&c->quit) && (!c->count || c->written < c->count)) {
		if (drain(c))
			pcap_dump_flush(c->dumper);
		atomic_store(&c->written_pub, c->written);
		nanosleep(&tick, NULL);
	}
	for (uint32_t q = 0; q < c->n; q++)
		tern_worker__set_capture(c->workers[q], NULL);
	if (!c->count || c->written < c->count)
		drain(c); /* what the workers copied before they let go */
	pcap_dump_close(c->dumper);
	c->dumper = NULL;
	atomic_store(&c->written_pub, c->written);
	atomic_store(&c->active, false);
	return NULL;
}

/* ---- sessions ---- */

static void status(const struct tern_capture *c, struct tern_out_buf *o)
{
	uint64_t dropped = 0;

	for (uint32_t q = 0; c && q < c->n; q++)
		dropped += atomic_load(&c->rings[q]->dropped);
	put(o, "{\"active\": %s, \"file\": \"%s\", \"written\": %llu, \"dropped\": %llu}\n",
	    c && atomic_load(&c->active) ? "true" : "false", c ? c->file : "",
	    c ? (unsigned long long)atomic_load(&c->written_pub) : 0ull,
	    (unsigned long long)dropped);
}

void tern_capture__end(struct tern_capture **cap)
{
	struct tern_capture *c = *cap;

	if (!c)
		return;
	atomic_store(&c->quit, true);
	if (c->thread_ok)
		pthread_join(c->thread, NULL);
	for (uint32_t q = 0; q < c->n; q++) {
		if (!c->thread_ok)
			tern_worker__set_capture(c->workers[q], NULL);
		free(c->rings[q]);
	}
	if (c->dumper)
		pcap_dump_close(c->dumper);
	if (c->has_prog)
		pcap_freecode(&c->prog);
	if (c->dead)
		pcap_close(c->dead);
	free(c);
	*cap = NULL;
}

static int64_t mono_to_real(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return ((int64_t)r.tv_sec - m.tv_sec) * 1000000000 + (r.tv_nsec - m.tv_nsec);
}

/* Open the file and compile the filter; -errno with c->error set. */
static int open_out(struct tern_capture *c, const char *path, const char *filter)
{
	c->dead = pcap_open_dead(DLT_EN10MB, TERN_CAP_SNAPLEN);
	if (!c->dead)
		return -ENOMEM;
	if (filter && *filter) {
		if (pcap_compile(c->dead, &c->prog, filter, 1, PCAP_NETMASK_UNKNOWN)) {
			snprintf(c->error, sizeof(c->error), "filter: %s", pcap_geterr(c->dead));
			return -EINVAL;
		}
		c->has_prog = true;
	}
	c->dumper = pcap_dump_open(c->dead, path);
	if (!c->dumper) {
		snprintf(c->error, sizeof(c->error), "%s", pcap_geterr(c->dead));
		return -EIO;
	}
	return 0;
}

static int start(struct tern_capture **cap, struct tern_worker *const *workers, uint32_t n,
		 uint64_t count, const char *path, const char *filter, struct tern_out_buf *o)
{
	struct tern_capture *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	*cap = c;
	snprintf(c->file, sizeof(c->file), "%s", path);
	c->count = count;
	c->workers = workers;
	c->n = n < MAX_Q ? n : MAX_Q;
	c->mono_to_real = mono_to_real();
	err = open_out(c, path, filter);
	for (uint32_t q = 0; !err && q < c->n; q++) {
		c->rings[q] = calloc(1, sizeof(*c->rings[q]));
		if (!c->rings[q])
			err = -ENOMEM;
		else
			c->rings[q]->filter = c->has_prog ? &c->prog : NULL;
	}
	if (!err) {
		atomic_store(&c->active, true);
		err = -pthread_create(&c->thread, NULL, writer, c);
		c->thread_ok = !err;
	}
	if (err) {
		put(o, "%s", c->error[0] ? c->error : strerror(-err));
		atomic_store(&c->active, false);
		tern_capture__end(cap);
		return err;
	}
	for (uint32_t q = 0; q < c->n; q++)
		tern_worker__set_capture(workers[q], c->rings[q]);
	status(c, o);
	return 0;
}

/* "start COUNT PATH [FILTER]" */
static int cmd_start(struct tern_capture **cap, struct tern_worker *const *workers, uint32_t n,
		     const char *args, struct tern_out_buf *o)
{
	char path[256];
	unsigned long long count;
	int end = 0;

	if (sscanf(args, "%llu %255s %n", &count, path, &end) < 2 || path[0] != '/' ||
	    strpbrk(path, "\"\\")) {
		put(o, "usage: capture start COUNT /PATH [FILTER]");
		return -EINVAL;
	}
	if (*cap && atomic_load(&(*cap)->active)) {
		put(o, "a capture is running (to %s)", (*cap)->file);
		return -EBUSY;
	}
	tern_capture__end(cap);
	return start(cap, workers, n, count, path, args + end, o);
}

int tern_capture__cmd(struct tern_capture **cap, struct tern_worker *const *workers,
		      uint32_t n, const char *args, struct tern_out_buf *o)
{
	if (!strncmp(args, "start ", 6)) {
		int err = cmd_start(cap, workers, n, args + 6, o);

		return err ? err : tern_out_buf__done(o);
	}
	if (!strcmp(args, "stop")) {
		if (*cap && (*cap)->thread_ok) {
			atomic_store(&(*cap)->quit, true);
			pthread_join((*cap)->thread, NULL);
			(*cap)->thread_ok = false;
		}
		status(*cap, o);
		return tern_out_buf__done(o);
	}
	if (!strcmp(args, "status")) {
		status(*cap, o);
		return tern_out_buf__done(o);
	}
	put(o, "usage: capture start COUNT /PATH [FILTER] | capture status | capture stop");
	return -EINVAL;
}
