// SPDX-License-Identifier: BSD-2-Clause
/*
 * ICMP errors to the queue that owns their connection. RSS hashes an ICMP
 * error by the router's address, not by the flow it quotes, so on a
 * multi-queue NIC it may arrive on a queue whose stack does not have the
 * connection (TERN_RX_ICMP_ELSEWHERE). An XSKMAP redirect to another
 * queue's socket is refused by the kernel (xsk_rcv checks the queue), so
 * the hand-over is in userspace: the worker posts the parsed error (tuple,
 * quoted sequence, MTU) into the ICMP note queue of every other worker
 * (mailbox.h: bounded, lock-free, one wake-up per pass at most), and each
 * looks it up in its own table at its next pass (tern_stack__icmp_handed).
 *
 * Bounds: conf->icmp_slots notes per worker (--icmp-handoff; 0: no
 * hand-over); a note that finds a worker's queue full is dropped and
 * counted (icmp_forward_drops). A worker takes at most that many notes
 * per pass.
 */
#include <errno.h>

#include "user/core/parse.h"
#include "worker_priv.h"

_Static_assert(sizeof(struct tern_icmp) <= TERN_NOTE_MAX, "an ICMP error fits a note");

int tern_handoff__init(struct tern_worker *w)
{
	if (!tern_handoff__on(w))
		return 0;
	return tern_noteq__init(&w->icmpq, w->conf->icmp_slots);
}

void tern_handoff__fini(struct tern_worker *w)
{
	tern_noteq__fini(&w->icmpq);
}

/* Handing over is on when the daemon runs more than one worker, unless
 * --icmp-handoff 0. */
bool tern_handoff__on(const struct tern_worker *w)
{
	return w->conf->peers && w->conf->peers->n > 1 && w->conf->icmp_slots;
}

void tern_handoff__icmp_out(struct tern_worker *w, const uint8_t *frame, uint32_t len)
{
	struct tern_worker_peers *pe = w->conf->peers;
	struct tern_icmp ic;
	bool posted = false;

	/* the stack verified the checksum and parsed it already */
	if (tern_parse_icmp(frame, len, &ic, false) != TERN_PARSE_OK || !pe)
		return;
	for (uint32_t q = 0; q < pe->n; q++) {
		struct tern_worker *o = atomic_load_explicit(&pe->w[q], memory_order_acquire);
		struct tern_mailbox_peer peer;
		int err;

		if (!o || o == w || !o->icmpq.slot || tern_worker__done(o))
			continue;
		tern_worker__peer(o, &peer);
		err = tern_noteq__post(&o->icmpq, &peer, &ic, sizeof(ic));
		if (err == -ENOBUFS)
			w->c.icmp_forward_drops++;
		else
			posted = true;
	}
	if (posted)
		w->c.icmp_forwarded++;
}

void tern_handoff__icmp_in(struct tern_worker *w)
{
	struct tern_icmp ic;

	if (!w->icmpq.slot)
		return;
	tern_noteq__rearm(&w->icmpq);
	for (unsigned i = 0; i <= w->icmpq.mask; i++) {
		if (!tern_noteq__take(&w->icmpq, &ic, sizeof(ic)))
			break;
		w->c.icmp_forward_in++;
		if (!tern_stack__icmp_handed(w->stack, &ic, w->now, &w->out))
			w->c.icmp_forward_matched++;
	}
	if (w->out.n)
		tern_path__emit(w, TERN_NO_FRAME);
}
