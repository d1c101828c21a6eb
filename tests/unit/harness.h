/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Drives one stack with hand-built segments and virtual time. The client is
 * 10.0.0.2:40000 (or 2001:db8::2) talking to the listener 10.0.0.1:80
 * (2001:db8::1). Replies land in h->tx[0 .. h->out.n).
 */
#ifndef TERN_TEST_HARNESS_H
#define TERN_TEST_HARNESS_H

#include "user/core/stack.h"

#define H_TX_CAP 64
#define H_T0 (1000 * TERN_NSEC_PER_SEC) /* virtual time starts here */

struct h {
	struct tern_stack *s;
	void *mem;
	struct tern_tx tx[H_TX_CAP];
	struct tern_out out;
	uint64_t now;
	int family;
	uint16_t cport;
	/* application events */
	int accepts, fins, closes, last_reason, refuse;
	uint32_t rcv_limit;  /* non-zero: accept() puts the conn in credit mode */
	struct tern_conn *conn;
	uint8_t data[65536];
	uint32_t ndata;
	uint64_t acked;      /* bytes the acked() callback reported */
	int writables;
	int released;        /* frames handed back by the core */
	uint64_t last_released;
};

/* A stack with default cfg; tweak (may be NULL) edits the cfg first. */
void h_init(struct h *h, void (*tweak)(struct tern_cfg *));
void h_init6(struct h *h, void (*tweak)(struct tern_cfg *));
void h_free(struct h *h);

/* A segment from the client with no options. */
struct tern_seg h_seg(const struct h *h, uint8_t flags, uint32_t seq, uint32_t ack);
/* Options a Linux client puts in a SYN: MSS 1460, SACK-permitted, TS, WS 7. */
void h_linux_syn_opts(struct tern_seg *seg, uint32_t tsval);
void h_ts(struct tern_seg *seg, uint32_t tsval, uint32_t tsecr);

/* Feed a segment (clears previous replies). Returns 1 if the core kept
 * seg->frame (out-of-order). */
int h_in(struct h *h, const struct tern_seg *seg);
/* Application calls on h->conn (each clears previous replies). */
int h_send(struct h *h, const void *p, uint32_t len);
int h_close(struct h *h);
int h_shutdown(struct h *h);
void h_abort(struct h *h);
void h_poll(struct h *h);
void h_advance(struct h *h, uint64_t ns);

uint64_t h_mib(const struct h *h, int mib);
#define H_MIB(h, name) h_mib(h, TERN_MIB_##name)

/* Parse a reply's options. */
struct tern_opts h_tx_opts(const struct tern_tx *tx);

/* Complete a handshake (stateful unless cookies are on) from a SYN with
 * the Linux option set and TSval tsval. Returns the new connection (one
 * accept() and ESTABLISHED) or NULL, never an earlier one;
 * *iss gets tern's ISS. */
struct tern_conn *h_connect(struct h *h, uint32_t cseq, uint32_t tsval, uint32_t *iss);

/* A SYN answered in XDP (bpf/synack.h, whose SYN-ACK is the core's
 * cookie_synack() for the same SYN, tests/net/xdpsyn_check.c): the stack
 * is told that cookies went out, as a worker is while its flag is on, and
 * the peer's ACK completing that handshake is returned, with the cookie
 * in *iss. The SYN itself is not fed to the stack. */
struct tern_seg h_xdp_cookie_ack(struct h *h, const struct tern_seg *syn, uint32_t *iss);

#endif
