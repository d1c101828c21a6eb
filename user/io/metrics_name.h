/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TERN_IO_METRICS_NAME_H
#define TERN_IO_METRICS_NAME_H

#include <stddef.h>

/* "SyncookiesSent" -> "syncookies_sent", "TCPOFOQueue" -> "tcp_ofo_queue",
 * "XdpDropSynFin" -> "xdp_drop_syn_fin": the Prometheus spelling (snake
 * case) of a Linux MIB name; out is cap bytes, always terminated. */
void tern_metrics__snake(const char *in, char *out, size_t cap);

#endif
