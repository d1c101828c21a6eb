/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What valgrind cannot see for itself (tests/net/test_valgrind.sh runs the
 * daemon under memcheck). Natively these cost a few instructions that do
 * nothing; built without valgrind's headers, nothing at all.
 */
#ifndef TERN_IO_VG_H
#define TERN_IO_VG_H

#include <stddef.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define TERN_VG_HAVE 1
#endif
#endif

#ifndef TERN_VG_HAVE
#define RUNNING_ON_VALGRIND 0
#endif

#endif
