// SPDX-License-Identifier: BSD-2-Clause
/*
 * Silly window syndrome avoidance (RFC 9293 3.8.6.2), both sides.
 *
 * Receiver (3.8.6.2.2, Linux __tcp_select_window): once a zero window
 * went out, the window stays shut until it can open by at least
 * min(MSS, half the receive window); a window shrinking as data arrives
 * is advertised as it is (its right edge does not move, as Linux never
 * shrinks an offered window).
 *
 * Sender (3.8.6.2.1, Linux tcp_nagle_check / tcp_minshall_check and
 * tcp_bound_to_half_wnd): a segment the windows cut short of a full one
 * is held while data is in flight and more of the buffer is queued behind
 * it, unless it is at least half the largest window the peer offered
 * (Fs = 1/2). An ACK or the RTO sends it later.
 */
#include "stack.h"

uint32_t tern_rcv_sws_floor(const struct tern_stack *s, const struct tern_conn *c)
{
	uint32_t half = tern_conn_rcv_target(s, c) / 2;

	return c->mss < half ? c->mss : half;
}

uint32_t tern_rcv_advertise(struct tern_stack *s, struct tern_conn *c)
{
	uint32_t w = tern_rcv_window(s, c);

	if ((w == 0) != c->rwnd_zero) /* tcp_select_window()'s MIB accounting */
		s->mib[w ? TERN_MIB_TCPFromZeroWindowAdv : TERN_MIB_TCPToZeroWindowAdv]++;
	c->rwnd_zero = !w;
	tern_conn_use(s, c)->rcv_adv = w;
	return w;
}

/*
 * tern: a segment that ends the application's buffer goes at once even
 * with data in flight (no Nagle delay, as with TCP_NODELAY): a segment
 * never spans two queued buffers (payloads are sent by reference), so
 * waiting would not make it longer.
 */
int tern_conn_sws_hold(const struct tern_conn *c, uint32_t len, uint32_t avail, uint32_t mss)
{
	if (len >= mss || len >= avail || c->snd_una == c->snd_max)
		return 0;
	return len < c->max_window / 2;
}
