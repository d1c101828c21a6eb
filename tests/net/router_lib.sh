# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# A client behind a router, for suites that need tern's frames to cross
# a routing kernel (sourced after lib.sh):
#   client ($NS_E, DEV_E) <-> router ($NS_C: DEV_RE, DEV_C) <-> tern ($NS_S)
# The library's client namespace is the router; router_setup adds the
# third namespace, its link and the routes both ways. The trap removes it
# with the rest.
NS_E=tern-e-$NET_SUFFIX
DEV_RE=tr$NET_SUFFIX # router side of the router <-> client link
DEV_E=te$NET_SUFFIX
IP4_R=10.201.$NET_X.1
IP4_E=10.201.$NET_X.2
IP6_R=fd00:201::1
IP6_E=fd00:201::2

router_cleanup() {
	local rc=$?

	set +e # (exit "$rc") must not end the trap before net_cleanup
	ip netns del "$NS_E" 2>/dev/null
	(exit "$rc")
	net_cleanup
}
trap router_cleanup EXIT

in_e() { ip netns exec "$NS_E" "$@"; }

# No address of the three namespaces still in duplicate address
# detection: neighbour discovery speaks from the link-local ones, which
# stay tentative for a second or two after their link comes up, and
# until then the router cannot resolve tern's IPv6 address (a connect
# fails with EHOSTUNREACH after 3 s).
router_dad_done() {
	local ns

	for ns in "$NS_S" "$NS_C" "$NS_E"; do
		! ip -n "$ns" -6 addr show | grep -q tentative || return 1
	done
}

router_setup() {
	ip netns add "$NS_E"
	ip link add "$DEV_RE" netns "$NS_C" type veth peer name "$DEV_E" netns "$NS_E"
	ip -n "$NS_C" addr add "$IP4_R/24" dev "$DEV_RE"
	ip -n "$NS_E" addr add "$IP4_E/24" dev "$DEV_E"
	ip -n "$NS_C" -6 addr add "$IP6_R/64" dev "$DEV_RE" nodad
	ip -n "$NS_E" -6 addr add "$IP6_E/64" dev "$DEV_E" nodad
	ip -n "$NS_C" link set "$DEV_RE" up
	ip -n "$NS_E" link set lo up
	ip -n "$NS_E" link set "$DEV_E" up
	ip -n "$NS_E" route add default via "$IP4_R"
	ip -n "$NS_E" -6 route add default via "$IP6_R"
	in_c sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	# the client's partial checksums would reach tern through the router
	in_e ethtool -K "$DEV_E" tx off tso off gso off >/dev/null
	in_e sysctl -qw net.core.txrehash=0
	ip -n "$NS_S" route add 10.201.$NET_X.0/24 via "$IP4_C"
	ip -n "$NS_S" -6 route add fd00:201::/64 via "$IP6_C"
	wait_long router_dad_done || net_die "IPv6 addresses still tentative"
}
