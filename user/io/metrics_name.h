/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TERN_IO_METRICS_NAME_H
#define TERN_IO_METRICS_NAME_H

#include <stddef.h>

/*
 * The one rule from a Linux-MIB-style name to its Prometheus spelling.
 *
 * Snake case: a word starts at an upper-case letter that follows a
 * lower-case letter or a digit, and at the last letter of an upper-case
 * run when a lower-case word follows it. An acronym stays whole, and a
 * plural 's' right after one is part of it; Linux's "TCP" prefix is a
 * word of its own however it is followed: "SyncookiesSent" ->
 * "syncookies_sent", "TCPOFOQueue" -> "tcp_ofo_queue", "DelayedACKs" ->
 * "delayed_acks", "InDropIp6ExtHdr" -> "in_drop_ip6_ext_hdr".
 * out is cap bytes, always terminated.
 */
void tern_metrics__snake(const char *in, char *out, size_t cap);

/*
 * The metric name of counter mib of subsystem subsys ("tcp", "xdp", an
 * application's name): "tern_" subsys "_" snake(mib), where a leading
 * subsys word of snake(mib) is dropped so that nothing stutters:
 * ("tcp", "TCPChallengeACK") -> "tern_tcp_challenge_ack", ("tcp",
 * "InCsumErrors") -> "tern_tcp_in_csum_errors", ("xdp", "XdpSeen") ->
 * "tern_xdp_seen". Counters then take the "_total" suffix.
 */
void tern_metrics__name(const char *subsys, const char *mib, char *out, size_t cap);

#endif
