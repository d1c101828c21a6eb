// SPDX-License-Identifier: BSD-2-Clause
/*
 * The core's side of SYN cookies answered in XDP (bpf/synack.h,
 * docs/xdp-syn.md): what the XDP program needs to build the SYN-ACK this
 * stack would build, and the note that cookies went out on its behalf.
 */
#include <errno.h>
#include <string.h>

#include "stack.h"

int tern_stack__xdp_cfg(const struct tern_stack *s, uint32_t rcv_buf,
			struct tern_xdp_cookie_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cookie[0] = s->sec.cookie[0];
	cfg->cookie[1] = s->sec.cookie[1];
	cfg->tsoff = s->sec.tsoff;
	cfg->count_off = s->sec.count_off;
	cfg->mss[0] = tern_our_mss(s, 4);
	cfg->mss[1] = tern_our_mss(s, 6);
	/* cookie_synack(): without timestamps no other option is offered */
	cfg->win[0][0] = tern_synack_window(s, 4, 0, rcv_buf);
	cfg->win[0][1] = tern_synack_window(s, 4, TERN_NEG_TS, rcv_buf);
	cfg->win[1][0] = tern_synack_window(s, 6, 0, rcv_buf);
	cfg->win[1][1] = tern_synack_window(s, 6, TERN_NEG_TS, rcv_buf);
	cfg->rcv_wscale = s->rcv_wscale;
	cfg->ready = 1;
	return 0;
}

/* tcp_synq_overflow(): cookies went out at now, so cookie ACKs are
 * checked for the next TCP_SYNCOOKIE_VALID (listen.c recent_cookies()). */
void tern_stack__cookies_issued(struct tern_stack *s, uint64_t now)
{
	s->last_overflow = now;
	s->cookies_sent = 1;
}
