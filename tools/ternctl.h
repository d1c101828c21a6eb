/* SPDX-License-Identifier: BSD-2-Clause */
/* ternctl's commands that live in their own files. */
#ifndef TERN_TOOLS_TERNCTL_H
#define TERN_TOOLS_TERNCTL_H

#ifndef TERN_CTL_DIR
#define TERN_CTL_DIR "/run/tern" /* the daemon's default: DIR/IFACE.sock */
#endif

int ternctl_top(int argc, char **argv);      /* ternctl_top.c */
int ternctl_capture(int argc, char **argv);  /* ternctl_capture.c */

#endif
