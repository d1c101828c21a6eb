/* SPDX-License-Identifier: BSD-2-Clause */
/* systemd's readiness protocol without libsystemd: one datagram to
 * $NOTIFY_SOCKET (a path, or '@' for the abstract namespace). */
#ifndef TERN_IO_NOTIFY_H
#define TERN_IO_NOTIFY_H

/* Send state ("READY=1", "RELOADING=1", "STOPPING=1"); 0 when sent or
 * when NOTIFY_SOCKET is unset, else -errno. */
int tern_notify(const char *state);

#endif
