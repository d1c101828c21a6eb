/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TIME-WAIT in compact records (at most 64 bytes, Linux's
 * inet_timewait_sock in miniature). Records live in their own bounded pool
 * with a hashed 4-tuple index. Every record has the same lifetime (2*MSL,
 * cfg.time_wait_ms), so expiry is a FIFO: a restarted record is moved to
 * the tail when it reaches the head early. No per-record timer.
 *
 * tern_tw__input() decides; the stack acts on the verdict (emits the ACK,
 * or hands a new SYN to the listener).
 */
#ifndef TERN_CORE_TW_H
#define TERN_CORE_TW_H

#include "stack.h"

/* n.t.pad[0] flags */
#define TERN_TW_TS 0x01 /* timestamps were negotiated */

struct tern_tw {
	struct tern_node n;  /* tuple; t.pad[0] = TERN_TW_*, t.pad[1] = rcv_wscale */
	uint32_t snd_nxt;
	uint32_t rcv_nxt;
	uint32_t ts_recent;
	uint32_t expire_ms;  /* tern_ms() clock; wrap-safe compare */
	uint32_t fifo_next;  /* pool index, TERN_NIL ends */
};

enum tern_tw_verdict {
	TERN_TW_DROP = 0, /* nothing to send */
	TERN_TW_ACK,      /* send tern_emit_tw_ack() */
	TERN_TW_SYN,      /* record freed; treat seg as a SYN to the listener, ISS *isn */
	TERN_TW_KILLED,   /* record freed (RST assassination, RFC 1337 off) */
	TERN_TW_COOKIE,   /* record freed; seg is a cookie ACK for the listener */
};

/*
 * Move connection c into TIME-WAIT (the caller frees c afterwards).
 * Returns the record, or NULL when the table is full: then the connection
 * closes without TIME-WAIT and TCPTimeWaitOverflow counts it.
 */
struct tern_tw *tern_tw__enter(struct tern_stack *s, const struct tern_conn *c, uint64_t now);

struct tern_tw *tern_tw__lookup(struct tern_stack *s, uint32_t hash, const struct tern_tuple *t);

/* tcp_timewait_state_process() for the real TIME-WAIT state. */
int tern_tw__input(struct tern_stack *s, struct tern_tw *tw, const struct tern_seg *seg,
		   uint64_t now, uint32_t *isn);

/* ACK from a TIME-WAIT record in reply to seg (tcp_v4_timewait_ack). */
void tern_emit_tw_ack(struct tern_stack *s, const struct tern_tw *tw, const struct tern_seg *seg,
		      uint64_t now, struct tern_out *out);

/* Free every record whose 2*MSL has passed. */
void tern_tw__expire(struct tern_stack *s, uint64_t now);

/* When the oldest record expires (UINT64_MAX if none), in ns. */
uint64_t tern_tw__next_deadline(const struct tern_stack *s);

#endif
