#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Path MTU discovery through a real router: client <-> router <-> tern,
# the router's link toward the client with a lower MTU (1000 for IPv4,
# 1280 for IPv6). tern's 1500-byte segments (DF set) make the router's
# kernel send ICMP fragmentation-needed / packet-too-big; XDP steers them
# to the worker, the connection's MSS drops, and a 1 MiB download from
# --app http completes, byte for byte. The counters show the path taken.
# The same for --app proxy, whose segments are built around the UMEM
# buffers the backend's data was received into: buffers filled at the
# old MSS are split (the first part in place, the rest copied).
# Then an error that lands on another queue than its connection's: the
# worker hands it over (docs/tcp-data-path.md), or with --icmp-handoff 0
# does not. Then --mss-clamp below the hop's MTU: no ICMP needed at all.
#   tests/net/test_pmtu.sh BUILD_DIR
#
# Namespaces: the library's server (tern) and client ones; the library's
# client namespace is the router here, and a third namespace ($NS_E) is
# the client, behind it.
NET_SUITE=test_pmtu
# Two queues: through the router every frame takes queue 0 (XPS, as the
# router's forwarding has no flow to hash); the hand-over test splits them.
NET_QUEUES=2
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

# xps_split: the client's frames sent from CPU 0 go through veth queue 0,
# from CPU 1 through queue 1 (tern's queue is the veth TX queue); no GRO,
# so a capture sees tern's segments as sent.
xps_split() {
	in_c sh -c "echo 1 >/sys/class/net/$DEV_C/queues/tx-0/xps_cpus" &&
		in_c sh -c "echo 2 >/sys/class/net/$DEV_C/queues/tx-1/xps_cpus" &&
		in_c ethtool -K "$DEV_C" gro off >/dev/null
}

# cross FAMILY ADDR MTU MSS [off]: a connection of queue 1, its ICMP
# error on queue 0 (pmtu_queues.py); queue 0 hands it over, queue 1 lowers
# the MSS, and every segment of the download that follows carries at most
# MSS bytes. With off (--icmp-handoff 0): queue 0 counts it in
# IcmpInErrors and the segments stay larger.
cross() {
	local r

	r=$(in_c python3 "$NET_DIR/pmtu_queues.py" "$NET_TMP/ctl.sock" "$DEV_C" \
		"$(mac_of "$NS_S" "$DEV_S")" "$1" "$2" "$PORT" "$3" "$NET_TMP/body") ||
		fail "pmtu_queues.py: exit $?"
	python3 - "$r" "$1" "$4" "${5:-on}" <<'PY' || fail "the error's hand-over is not as expected"
import json, sys
r, fam, mss, on = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "on"
b, a = r["before"], r["after"]
grew = lambda q, k: a[q][k] - b[q][k] if k in a[q] else a[q]["mib"][k] - b[q]["mib"][k]
kind = "IcmpInDestUnreachs" if fam == "4" else "Icmp6InPktTooBigs"
errs = "IcmpInErrors" if fam == "4" else "Icmp6InErrors"
bad = []
if r["queue"] != 1:
    bad.append("connection on queue %s, want 1" % r["queue"])
if grew(0, kind) < 1 or grew(1, kind) != 0:
    bad.append("%s: queue 0 +%d, queue 1 +%d: want the error on queue 0 only"
               % (kind, grew(0, kind), grew(1, kind)))
moved = ((0, "icmp_forwarded"), (1, "icmp_forward_matched"), (1, "TCPPMTUReduced"))
for q, k in moved if on else ((0, errs),):
    if grew(q, k) < 1:
        bad.append("queue %d %s did not move" % (q, k))
for q, k in ((0, errs),) if on else moved:
    if grew(q, k):
        bad.append("queue %d %s +%d" % (q, k, grew(q, k)))
if not r["body_ok"]:
    bad.append("body differs")
if on and not 0 < r["max_len"] <= mss:
    bad.append("largest segment %d bytes, want 1..%d" % (r["max_len"], mss))
if not on and r["max_len"] <= mss:
    bad.append("largest segment %d bytes, want more than %d" % (r["max_len"], mss))
for x in bad:
    print("    " + x)
print("    %d segments, largest %d (MSS %d); queue 0 icmp_forwarded +%d, queue 1 "
      "icmp_forward_matched +%d, TCPPMTUReduced +%d" % (r["segs"], r["max_len"], mss,
      grew(0, "icmp_forwarded"), grew(1, "icmp_forward_matched"), grew(1, "TCPPMTUReduced")))
sys.exit(1 if bad else 0)
PY
}

t_cross4() { cross 4 "$IP4_S" 1000 $((1000 - 40 - 12)); }
t_cross6() { cross 6 "$IP6_S" 1280 $((1280 - 60 - 12)); }
t_cross_off() { cross 4 "$IP4_S" 1000 $((1000 - 40 - 12)) off; }

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

# bad_values OPTION VALUE...: tern refuses each with exit 2, naming OPTION.
bad_values() {
	local v rc

	for v in "${@:2}"; do
		rc=0
		in_s "$TERN" --dev "$DEV_S" --addr "$IP4_S" --port "$PORT" "$1" "$v" \
			>/dev/null 2>"$NET_TMP/err" || rc=$?
		[ "$rc" = 2 ] && grep -q "^Error: $1" "$NET_TMP/err" ||
			fail "$1 $v: exit $rc: $(cat "$NET_TMP/err")"
	done
}

t_clamp_errors() { bad_values --mss-clamp 87 65536 x; }
t_handoff_errors() { bad_values --icmp-handoff 1 3 65537 x; }

# qtot NAME: a per-queue counter or gauge summed over the queues (stats
# JSON "total"), or an application counter.
qtot() {
	tctl stats --json | python3 -c 'import json, sys
t = json.load(sys.stdin)["total"]
print(t.get(sys.argv[1], t["app"].get(sys.argv[1], "missing")))' "$1"
}

# --app proxy with its backend in the router's namespace: 8 MiB through
# the 1000-byte hop, compared byte for byte; the MSS drops mid-transfer,
# segments are still built in place, and every buffer comes back.
t_proxy() {
	local out=$NET_TMP/got.px in0

	ip -n "$NS_C" link set "$DEV_RE" mtu 1000
	in0=$(qtot tx_inplace)
	snap "$NET_TMP/before.json"
	in_e python3 -c 'import socket, sys
s = socket.create_connection((sys.argv[1], 80), timeout=20)
with open(sys.argv[2], "wb") as f:
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        f.write(b)' "$IP4_S" "$out" || fail "proxy download: exit $?"
	cmp -s "$out" "$NET_TMP/body8" || fail "body differs: $(stat -c %s "$out") bytes"
	snap "$NET_TMP/after.json"
	grew TCPPMTUReduced
	echo "    8 MiB over a 1000-byte hop: TCPPMTUReduced $(val "$NET_TMP/after.json" TCPPMTUReduced)," \
		"in place $(($(qtot tx_inplace) - in0)), copied while on the TX ring $(qtot tx_inplace_busy)"
	[ $(($(qtot tx_inplace) - in0)) -gt 0 ] || fail "no segment built in place"
	wait_until test "$(qtot frames_app)" = 0 -a "$(qtot ProxyFrames)" = 0 ||
		fail "buffers held at idle: frames_app $(qtot frames_app), ProxyFrames $(qtot ProxyFrames)"
}

stop_tern() {
	kill -TERM "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not exit"
	[ "$(cat "$NET_TMP/tern.rc")" = 0 ] || fail "tern exit $(cat "$NET_TMP/tern.rc")"
}

net_setup
net_need curl cmp
setup_router
xps_queue0 || net_die "cannot set XPS on $DEV_C"
head -c 1048576 /dev/urandom >"$NET_TMP/body"
tern_start --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --app http \
	--http-body "$NET_TMP/body" --ctl "$NET_TMP/ctl.sock" --cpus 0,1 ||
	net_die "tern --app http did not start"
# IPv6 first: an MTU below 1280 takes IPv6 off the router's link.
t_run "IPv6: 1 MiB through a 1280-byte hop, packet-too-big lowers the MSS" t_v6
t_run "IPv4: 1 MiB through a 1000-byte hop, frag-needed lowers the MSS" t_v4
t_run "no out-of-window or unmatched ICMP errors" t_clean
xps_split || net_die "cannot set XPS on $DEV_C"
t_run "IPv4: frag-needed on queue 0 lowers the MSS of a queue 1 connection" t_cross4
t_run "IPv6: packet-too-big on queue 0 lowers the MSS of a queue 1 connection" t_cross6
t_run "SIGTERM: exit 0" stop_tern

tern_start --addr "$IP4_S" --port "$PORT" --app http --http-body "$NET_TMP/body" \
	--ctl "$NET_TMP/ctl.sock" --cpus 0,1 --icmp-handoff 0 || net_die "tern --icmp-handoff 0 did not start"
t_run "--icmp-handoff 0: the error stays on queue 0 (IcmpInErrors), MSS kept" t_cross_off
t_run "SIGTERM: exit 0" stop_tern
t_run "--icmp-handoff 1, 3, 65537, x: exit 2" t_handoff_errors
xps_queue0 || net_die "cannot set XPS on $DEV_C"

tern_start --addr "$IP4_S" --port "$PORT" --app http --http-body "$NET_TMP/body" \
	--ctl "$NET_TMP/ctl.sock" --mss-clamp 900 || net_die "tern --mss-clamp did not start"
t_run "--mss-clamp 900: SYN-ACK MSS 900, no PMTU discovery needed" t_clamp
t_run "SIGTERM: exit 0" stop_tern
t_run "--mss-clamp 87, 65536, x: exit 2" t_clamp_errors

head -c $((8 << 20)) /dev/urandom >"$NET_TMP/body8"
in_c python3 -c 'import socket, sys
l = socket.create_server(("0.0.0.0", 9000))
body = open(sys.argv[1], "rb").read()
while True:
    c, _ = l.accept()
    c.sendall(body)
    c.close()' "$NET_TMP/body8" &
net_bg_pid $!
tern_start --addr "$IP4_S" --port "$PORT" --app proxy --backend "$IP4_C:9000" \
	--health-interval 0 --ctl "$NET_TMP/ctl.sock" || net_die "tern --app proxy did not start"
t_run "--app proxy: 8 MiB through a 1000-byte hop, MSS lowered mid-transfer" t_proxy
t_run "SIGTERM: exit 0" stop_tern
net_finish
