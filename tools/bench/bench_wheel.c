// SPDX-License-Identifier: BSD-2-Clause
/*
 * Timer wheel: ns per arm, per cancel and per expiry with 1,000,000 timers
 * whose deadlines are spread uniformly over 1 ms..120 s (fixed seed). The
 * expiry figure includes the cost of advancing a virtual clock in 1 ms
 * steps (about 120,000 advance calls) divided over the timers fired.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "bench.h"
#include "user/core/wheel.h"

#define NTIMERS 1000000
#define NS_MS 1000000ULL
#define NS_SEC 1000000000ULL
#define T0 (1000 * NS_SEC)

static struct tern_timer timers[NTIMERS];
static uint64_t deadlines[NTIMERS];
static struct tern_wheel wheel;

static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_SEC + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: fixed seed, same deadlines on every run. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static void on_expire(struct tern_timer *t, void *arg)
{
	uint64_t *sum = arg;

	*sum += t->expires;
}

static void row(const char *op, uint64_t n, uint64_t ns)
{
	printf("| %s | %llu | %.1f |\n", op, (unsigned long long)n,
	       n ? (double)ns / (double)n : 0.0);
}

int bench_wheel(void)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL, t, now, sum = 0;
	uint64_t arm_ns, cancel_ns, expire_ns, fired = 0, cancelled = 0;
	uint32_t i;

	for (i = 0; i < NTIMERS; i++) {
		tern_timer__init(&timers[i]);
		deadlines[i] = T0 + NS_MS + rnd(&seed) % (120 * NS_SEC - NS_MS);
	}
	tern_wheel__init(&wheel, T0);

	t = clock_ns();
	for (i = 0; i < NTIMERS; i++)
		tern_wheel__arm(&wheel, &timers[i], deadlines[i]);
	arm_ns = clock_ns() - t;

	t = clock_ns();
	for (i = 0; i < NTIMERS; i += 2)
		tern_wheel__cancel(&wheel, &timers[i]);
	cancel_ns = clock_ns() - t;
	cancelled = NTIMERS / 2;

	t = clock_ns();
	for (now = T0; wheel.pending; now += NS_MS)
		fired += tern_wheel__advance(&wheel, now, on_expire, &sum);
	expire_ns = clock_ns() - t;

	if (fired != NTIMERS - cancelled || !sum) {
		fprintf(stderr, "Error: bench_wheel: fired %llu of %llu\n",
			(unsigned long long)fired,
			(unsigned long long)(NTIMERS - cancelled));
		return -1;
	}
	printf("| wheel op | timers | ns/op |\n");
	printf("|---|---:|---:|\n");
	row("arm", NTIMERS, arm_ns);
	row("cancel", cancelled, cancel_ns);
	row("expire (1 ms advance steps)", fired, expire_ns);
	printf("\nsizeof(struct tern_timer) = %zu, "
	       "sizeof(struct tern_wheel) = %zu\n",
	       sizeof(struct tern_timer), sizeof(struct tern_wheel));
	return 0;
}
