/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet capture (`ternctl capture`): while a capture runs, every worker
 * copies the frames it receives and sends (those the BPF filter accepts)
 * into its own single-producer single-consumer ring; a writer thread
 * drains the rings into a pcap file (libpcap). A full ring drops the copy
 * and counts it; the packet itself is never held back. When no capture
 * runs, a worker pays one load and one predictable branch per frame.
 */
#ifndef TERN_IO_CAPTURE_H
#define TERN_IO_CAPTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ctl_out.h"

#define TERN_CAP_SLOTS 1024u    /* per worker */
#define TERN_CAP_SNAPLEN 2048u  /* whole UMEM frames */

struct bpf_program;
struct tern_worker;

struct tern_cap_slot {
	uint64_t ts_ns;           /* CLOCK_MONOTONIC */
	uint32_t len;
	uint32_t caplen;
	uint8_t data[TERN_CAP_SNAPLEN];
};

/* One worker's ring: the worker writes tail, the writer thread head. */
struct tern_cap_ring {
	_Atomic uint32_t head;
	_Atomic uint32_t tail;
	_Atomic uint64_t dropped;   /* ring full */
	const struct bpf_program *filter; /* NULL: every frame */
	struct tern_cap_slot slot[TERN_CAP_SLOTS];
};

/* On the worker's thread: copy one frame if the filter takes it. */
void tern_cap_ring__put(struct tern_cap_ring *r, const uint8_t *p, uint32_t len, uint64_t now);

/* The worker's hook (path.c): frames go to its ring, if it has one. */
void tern_capture__frame(struct tern_worker *w, const uint8_t *p, uint32_t len);

/* Hand a ring to a worker (NULL: capture off). Setting NULL returns only
 * once the worker no longer touches the old ring. Any thread. */
void tern_worker__set_capture(struct tern_worker *w, struct tern_cap_ring *r);

struct tern_capture;

/*
 * The control commands, on the control thread:
 *   capture start COUNT PATH [FILTER]   COUNT 0: until stopped
 *   capture status
 *   capture stop
 * Each answers {"active", "file", "written", "dropped", "error"} as JSON.
 * *cap holds the session between commands; tern_capture__end() at exit.
 */
int tern_capture__cmd(struct tern_capture **cap, struct tern_worker *const *workers,
		      uint32_t n, const char *args, struct tern_out_buf *o);
void tern_capture__end(struct tern_capture **cap);

#endif
