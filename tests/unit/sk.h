/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A sender driven by hand for the loss-recovery tests (test_sack.c,
 * test_rack.c, test_frto.c): one connection after a 100 ms handshake with
 * SACK and timestamps (or SACK alone), full segments of MSS bytes counted from its first data
 * byte, and the client's ACKs with SACK blocks in those segments.
 */
#ifndef TERN_TEST_SK_H
#define TERN_TEST_SK_H

#include "harness.h"

#define MS TERN_NSEC_PER_MSEC
#define MSS 1448u

struct sk {
	struct h h;
	uint32_t una0;       /* our first data byte */
	uint64_t t0;         /* when the data was sent */
	uint32_t ecr_lag_ms; /* an ACK echoes the TSval sent this long ago */
	int ts;              /* timestamps negotiated */
};

/* A connection after a 100 ms handshake (srtt 100 ms, RTO 300 ms) that
 * has sent n full segments at t0 (at most 64 queued). */
int sk_open(struct sk *k, uint32_t n, void (*tweak)(struct tern_cfg *));
/* The same without timestamps: the client's MSS option is MSS. */
int sk_open_nots(struct sk *k, uint32_t n, void (*tweak)(struct tern_cfg *));
/* The client's ACK of ack_segs segments from una0, with n SACK blocks
 * given in segments [from, to). */
void sk_ack(struct sk *k, uint32_t ack_segs, const uint32_t (*blk)[2], int n);
void sk_poll_at(struct sk *k, uint64_t t);

#endif
