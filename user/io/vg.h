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

/*
 * n bytes at p were written by the kernel for an io_uring operation (a
 * recv into an application's buffer). Valgrind follows the system calls a
 * program makes, not the operations io_uring runs for it, so it would take
 * those bytes as never written -- and, once copied into UMEM frames for TX,
 * report the frames the kernel later fills with received packets.
 */
static inline void tern_vg__kernel_wrote(const void *p, size_t n)
{
#ifdef TERN_VG_HAVE
	(void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#else
	(void)p;
	(void)n;
#endif
}

#endif
