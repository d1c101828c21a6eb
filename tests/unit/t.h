/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Minimal unit-test harness. TEST(name) registers a test at load time;
 * CHECK* record a failure and continue; REQUIRE* stop the test. main() (in
 * main.c) runs the tests whose name contains argv[1] (all without one) and
 * prints "N passed, N failed" as its last line.
 */
#ifndef TERN_TEST_T_H
#define TERN_TEST_T_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct t_case {
	const char *name;
	void (*fn)(void);
	struct t_case *next;
};

void t_register(struct t_case *c);
void t_fail(const char *file, int line, const char *msg);
extern int t_failed_now;

#define TEST(name)                                                             \
	static void name(void);                                                \
	static struct t_case t_case_##name = { #name, name, 0 };               \
	__attribute__((constructor)) static void t_reg_##name(void)            \
	{                                                                      \
		t_register(&t_case_##name);                                    \
	}                                                                      \
	static void name(void)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			t_fail(__FILE__, __LINE__, #cond);                     \
	} while (0)

#define REQUIRE(cond)                                                          \
	do {                                                                   \
		if (!(cond)) {                                                 \
			t_fail(__FILE__, __LINE__, #cond);                     \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);        \
		if (t_a_ != t_b_) {                                            \
			char t_m_[256];                                        \
			snprintf(t_m_, sizeof(t_m_), "%s == %s (%lld != %lld)", \
				 #a, #b, t_a_, t_b_);                          \
			t_fail(__FILE__, __LINE__, t_m_);                      \
		}                                                              \
	} while (0)

#define REQUIRE_EQ(a, b)                                                       \
	do {                                                                   \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);        \
		if (t_a_ != t_b_) {                                            \
			char t_m_[256];                                        \
			snprintf(t_m_, sizeof(t_m_), "%s == %s (%lld != %lld)", \
				 #a, #b, t_a_, t_b_);                          \
			t_fail(__FILE__, __LINE__, t_m_);                      \
			return;                                                \
		}                                                              \
	} while (0)

#endif
