#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Path MTU discovery through a real router: client <-> router <-> tern,
# the router's link toward the client with a lower MTU (1000 for IPv4,
# 1280 for IPv6). tern's 1500-byte segments (DF set) make the router's
# kernel send ICMP fragmentation-needed / packet-too-big; XDP steers them
# to the worker, the connection's MSS drops, and a 1 MiB download from
# --app http completes, byte for byte. The counters show the path taken.
# Then --mss-clamp below the hop's MTU: no ICMP needed at all.
#   tests/net/test_pmtu.sh BUILD_DIR
#
# Namespaces: the library's server (tern) and client ones; the library's
# client namespace is the router here, and a third namespace ($NS_E) is
# the client, behind it.
NET_SUITE=test_pmtu
NET_QUEUES=1 # an ICMP error goes to the queue it arrives on (docs/tcp-data-path.md)
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/router_lib.sh
. "$(dirname "$0")/router_lib.sh"

net_tern_arg "$@"
TERNCTL=$(realpath "$1/tools/ternctl")
PORT=80
tctl() { in_s "$TERNCTL" "$1" --dev "$DEV_S" --ctl "$NET_TMP/ctl.sock" "${@:2}"; }

# The router's end of the client link gets the low MTU (download), so
# the client still offers an MSS of 1460 and only the router can tell
# tern; the router answers every too-big frame (no ICMP rate limit).
setup_router() {
	router_setup
	in_c sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
}

# snap FILE: the daemon's counters now (ternctl stats takes seconds here).
snap() { tctl stats --json >"$1"; }

# val FILE NAME: a MIB counter summed over the queues, or an XDP counter.
val() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
n = sys.argv[2]
print(d["total"]["mib"].get(n, d.get("xdp", {}).get(n, "missing")))' "$1" "$2"
}

# grew NAME: the counter moved between before.json and after.json.
grew() {
	local a b

	a=$(val "$NET_TMP/before.json" "$1")
	b=$(val "$NET_TMP/after.json" "$1")
	[ "$b" -gt "$a" ] || fail "$1 did not move ($a -> $b)"
}

# download URL MTU FAMILY: the router's client link at MTU, 1 MiB fetched,
# compared with the body tern serves.
download() {
	local url=$1 mtu=$2 out=$NET_TMP/got.$3

	ip -n "$NS_C" link set "$DEV_RE" mtu "$mtu"
	rm -f "$out"
	snap "$NET_TMP/before.json"
	in_e curl -sS -g -m 20 -o "$out" "$url" || fail "curl $url: exit $?"
	cmp -s "$out" "$NET_TMP/body" || fail "body differs: $(stat -c %s "$out") bytes"
	snap "$NET_TMP/after.json"
}

t_v6() {
	download "http://[$IP6_S]:$PORT/" 1280 6
	grew TCPPMTUReduced
	grew Icmp6InPktTooBigs
	grew XdpIcmpSteered
	echo "    1 MiB over a 1280-byte hop:" \
		"Icmp6InPktTooBigs $(val "$NET_TMP/after.json" Icmp6InPktTooBigs)," \
		"TCPPMTUReduced $(val "$NET_TMP/after.json" TCPPMTUReduced)"
}

t_v4() {
	download "http://$IP4_S:$PORT/" 1000 4
	grew TCPPMTUReduced
	grew IcmpInDestUnreachs
	grew XdpIcmpSteered
	echo "    1 MiB over a 1000-byte hop:" \
		"IcmpInDestUnreachs $(val "$NET_TMP/after.json" IcmpInDestUnreachs)," \
		"TCPPMTUReduced $(val "$NET_TMP/after.json" TCPPMTUReduced)," \
		"InDropIcmpMtu $(val "$NET_TMP/after.json" InDropIcmpMtu)"
}

# Every error quoted a connection, in its window.
t_clean() {
	local n v

	for n in OutOfWindowIcmps IcmpInErrors Icmp6InErrors; do
		v=$(val "$NET_TMP/after.json" "$n")
		[ "$v" = 0 ] || fail "$n $v"
	done
}

# --mss-clamp 900: the client's MSS for the connection (TCP_MAXSEG, less
# its timestamp option) follows the SYN-ACK's 900, and the same download
# needs no ICMP through the 1000-byte hop.
t_clamp() {
	local mss

	mss=$(in_e python3 -c 'import socket, sys
s = socket.create_connection((sys.argv[1], 80), timeout=5)
print(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))' "$IP4_S")
	[ "$mss" = 888 ] || fail "client's MSS $mss, want 900 - 12"
	download "http://$IP4_S:$PORT/" 1000 4
	[ "$(val "$NET_TMP/after.json" TCPPMTUReduced)" = 0 ] ||
		fail "TCPPMTUReduced $(val "$NET_TMP/after.json" TCPPMTUReduced) under the clamp"
	echo "    client MSS $mss; 1 MiB through the 1000-byte hop with no ICMP"
}

t_clamp_errors() {
	local v rc

	for v in 87 65536 x; do
		rc=0
		in_s "$TERN" --dev "$DEV_S" --addr "$IP4_S" --port "$PORT" --mss-clamp "$v" \
			>/dev/null 2>"$NET_TMP/err" || rc=$?
		[ "$rc" = 2 ] && grep -q '^Error: --mss-clamp' "$NET_TMP/err" ||
			fail "--mss-clamp $v: exit $rc: $(cat "$NET_TMP/err")"
	done
}

stop_tern() {
	kill -TERM "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not exit"
	[ "$(cat "$NET_TMP/tern.rc")" = 0 ] || fail "tern exit $(cat "$NET_TMP/tern.rc")"
}

net_setup
net_need curl cmp
setup_router
head -c 1048576 /dev/urandom >"$NET_TMP/body"
tern_start --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --app http \
	--http-body "$NET_TMP/body" --ctl "$NET_TMP/ctl.sock" ||
	net_die "tern --app http did not start"
# IPv6 first: an MTU below 1280 takes IPv6 off the router's link.
t_run "IPv6: 1 MiB through a 1280-byte hop, packet-too-big lowers the MSS" t_v6
t_run "IPv4: 1 MiB through a 1000-byte hop, frag-needed lowers the MSS" t_v4
t_run "no out-of-window or unmatched ICMP errors" t_clean
t_run "SIGTERM: exit 0" stop_tern

tern_start --addr "$IP4_S" --port "$PORT" --app http --http-body "$NET_TMP/body" \
	--ctl "$NET_TMP/ctl.sock" --mss-clamp 900 || net_die "tern --mss-clamp did not start"
t_run "--mss-clamp 900: SYN-ACK MSS 900, no PMTU discovery needed" t_clamp
t_run "SIGTERM: exit 0" stop_tern
t_run "--mss-clamp 87, 65536, x: exit 2" t_clamp_errors
net_finish
