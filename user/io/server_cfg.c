// SPDX-License-Identifier: BSD-2-Clause
/* The public configuration (include/tern/server.h) mapped onto the
 * daemon's arguments, so both start the same server. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "user/io/log.h"
#include "user/io/server_args.h"
#include "user/io/xdpcookie.h"
#include "user/io/gso.h"
#include "user/io/xsk.h"

void tern_server_config__init(struct tern_server_config *c)
{
	struct tern_cfg d;

	tern_cfg__defaults(&d);
	memset(c, 0, sizeof(*c));
	c->queues = 0; /* every RX queue of dev */
	c->bpffs = "/sys/fs/bpf";
	c->syncookies = d.syncookies;
	c->backlog = d.backlog;
	c->max_conns = d.max_conns;
	c->synack_retries = d.synack_retries;
	c->rto_min_ms = d.rto_min_ms;
	c->fin_timeout_s = d.fin_timeout_ms / 1000;
	c->time_wait_s = d.time_wait_ms / 1000;
	c->mss = 0; /* from the MTU of dev */
	c->rmem[0] = d.rmem_min;
	c->rmem[1] = d.rcv_wnd;
	c->rmem[2] = d.rmem_max;
	c->wmem[0] = d.wmem_min;
	c->wmem[1] = d.snd_buf;
	c->wmem[2] = d.wmem_max;
	c->frames = TERN_XSK_FRAMES;
	c->drain_timeout_ms = TERN_ARGS_DRAIN_MS_DEF;
	c->cc = d.cc;
	c->xdp_cookies = TERN_XDPC_OVERLOAD;
	c->rack_segs = d.rack_segs;
	c->frto = d.frto;
}

/* Each distinct address and port once, in order. */
static int add_service(struct tern_args *a, const struct tern_server_service *s)
{
	struct tern_addr ad;
	__u16 port_be;
	char port[8];
	int fam, i;

	snprintf(port, sizeof(port), "%u", s->port);
	if (!s->addr || tern_loader__parse_addr(s->addr, ad.b, &fam) ||
	    tern_loader__parse_port(port, &port_be))
		return -EINVAL;
	for (i = 0; i < a->naddrs && memcmp(&a->addrs[i], &ad, sizeof(ad)); i++)
		;
	if (i == a->naddrs) {
		if (a->naddrs == TERN_ARGS_MAX_ADDRS)
			return -E2BIG;
		a->addrs[a->naddrs] = ad;
		a->families[a->naddrs++] = fam;
	}
	for (i = 0; i < a->nports && a->ports[i] != s->port; i++)
		;
	if (i == a->nports) {
		if (a->nports == TERN_ARGS_MAX_PORTS)
			return -E2BIG;
		a->ports[a->nports++] = s->port;
	}
	return 0;
}

static int to_args(const struct tern_server_config *c, struct tern_args *a)
{
	struct tern_xsk_geom g;

	memset(a, 0, sizeof(*a));
	if (tern_xsk__geom(c->frames, &g))
		return -EINVAL;
	if (!c->dev || !c->nservices || c->queues > TERN_XDP_MAX_QUEUES ||
	    c->zerocopy < 0 || c->zerocopy > 2 || c->syncookies < 0 || c->syncookies > 2 ||
	    c->tx_csum < TERN_TX_CSUM_AUTO || c->tx_csum > TERN_TX_CSUM_OFFLOAD ||
	    c->tx_gso < TERN_GSO_AUTO || c->tx_gso > TERN_GSO_ON ||
	    (c->tx_gso_max && (c->tx_gso_max < TERN_GSO_MIN_BYTES || c->tx_gso_max > TERN_GSO_MAX_BYTES)) ||
	    c->drain_timeout_ms > 3600000 || c->frto < 0 || c->frto > 2 ||
	    c->xdp_cookies < TERN_XDPC_NEVER || c->xdp_cookies > TERN_XDPC_ALWAYS ||
	    (c->mss && (c->mss < TERN_ARGS_MSS_MIN || c->mss + 40 > TERN_XSK_MAX_FRAME - 18)) ||
	    (c->mss_clamp && (c->mss_clamp < TERN_ARGS_MSS_MIN || c->mss_clamp > UINT16_MAX)))
		return -EINVAL;
	for (unsigned int i = 0; i < c->nservices; i++)
		if (add_service(a, &c->services[i]))
			return -EINVAL;
	a->dev = c->dev;
	a->queues = c->queues;
	a->allow_unserved = c->allow_unserved_queues != 0;
	a->mss = c->mss;
	a->frames = c->frames;
	a->drain_ms = c->drain_timeout_ms;
	a->bpffs = c->bpffs ? c->bpffs : "/sys/fs/bpf";
	a->ctl = c->ctl;
	a->mode = c->skb_mode ? TERN_XDP_MODE_SKB : TERN_XDP_MODE_NATIVE;
	a->zerocopy = (enum tern_zc_mode)c->zerocopy;
	a->tx_csum = c->tx_csum;
	a->tx_gso = c->tx_gso;
	a->tx_gso_max = c->tx_gso_max ? c->tx_gso_max : TERN_GSO_MAX_BYTES;
	a->xdp_cookies = c->xdp_cookies;
	a->xdp_flow_slots = TERN_XDPC_FLOW_SLOTS;
	a->icmp_handoff = TERN_ARGS_ICMP_HANDOFF_DEF;
	a->cookie_secret = c->cookie_secret;
	tern_cfg__defaults(&a->cfg);
	a->cfg.cc = (uint8_t)c->cc;
	a->cfg.syncookies = (uint8_t)c->syncookies;
	a->cfg.backlog = c->backlog;
	a->cfg.max_conns = c->max_conns;
	a->cfg.synack_retries = (uint8_t)c->synack_retries;
	a->cfg.rto_min_ms = c->rto_min_ms;
	a->cfg.fin_timeout_ms = c->fin_timeout_s * 1000;
	a->cfg.time_wait_ms = c->time_wait_s * 1000;
	if (c->mss)
		a->cfg.mtu = (uint16_t)(c->mss + 40);
	a->cfg.mss_clamp = (uint16_t)c->mss_clamp;
	if (c->conn_rack_segs > c->rack_segs)
		return -EINVAL;
	a->cfg.rack_segs = c->rack_segs;
	a->cfg.rack_segs_per_conn = c->conn_rack_segs;
	a->cfg.frto = (uint8_t)c->frto;
	if (c->rmem[0] > c->rmem[1] || c->rmem[1] > c->rmem[2] || !c->rmem[1] ||
	    c->wmem[0] > c->wmem[1] || c->wmem[1] > c->wmem[2] || !c->wmem[1])
		return -EINVAL;
	a->cfg.rmem_min = c->rmem[0];
	a->cfg.rcv_wnd = c->rmem[1];
	a->cfg.rmem_max = c->rmem[2];
	a->cfg.wmem_min = c->wmem[0];
	a->cfg.snd_buf = c->wmem[1];
	a->cfg.wmem_max = c->wmem[2];
	a->lopts.keepalive_idle_s = c->keepalive_idle_s;
	a->lopts.keepalive_intvl_s = c->keepalive_intvl_s;
	a->lopts.keepalive_cnt = c->keepalive_cnt;
	a->lopts.user_timeout_ms = c->user_timeout_ms;
	return tern_stack__memsize(&a->cfg) ? 0 : -EINVAL;
}

int tern_server__start(struct tern_server **srv, const struct tern_server_config *cfg,
		       const struct tern_app *app, const struct tern_app_opts *opts)
{
	static struct tern_args a; /* the server keeps a copy; this is scratch */
	int err = to_args(cfg, &a);

	*srv = NULL;
	if (err || !app || !app->ops || !app->worker_init) {
		tern_log(TERN_LOG_ERR, "tern_server__start: invalid configuration: %s",
			 strerror(EINVAL));
		return -EINVAL;
	}
	if (opts)
		a.app_opts = *opts;
	return tern_server__start_args(srv, &a, app);
}
