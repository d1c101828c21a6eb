// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp_pass: XDP_PASS for every frame. On a client veth it turns on the
 * veth's NAPI, without which veth drops the frames its peer sends back
 * with XDP_TX (tests/net/test_xdpsyn.sh). A real NIC needs no such thing.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
