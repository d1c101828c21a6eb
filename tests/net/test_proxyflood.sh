#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Legitimate clients of --app proxy during a SYN flood answered in XDP
# (issue 15, docs/xdp-syn.md "Tuples the worker holds"), in the default
# --xdp-cookies overload mode, nginx behind tern (tests/net/proxy_lib.sh):
#   reuse      20 GETs with Connection: close from 20 client ports leave
#              their tuples in TIME-WAIT in tern (it closes first); during
#              a spoofed SYN flood, once the queues' flags are on, 20 GETs
#              from the same ports: XDP answers their SYNs with cookies
#              without seeing the records, and every GET must get its 200
#              within 3 s, with no reset; the records gave way
#              (TWRecycled) and the cookies made the connections
#              (SyncookiesRecv). Before the fix the records answered the
#              cookie ACK and the request with their own ACKs and every
#              GET timed out.
#   fresh      20 GETs from new ports during the same flood: all 200.
#   stop       exit 0 with every frame accounted for (and, under
#              SANITIZE=1, no sanitizer report).
#   tests/net/test_proxyflood.sh BUILD_DIR
NET_SUITE=test_proxyflood
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/proxy_lib.sh
. "$(dirname "$0")/proxy_lib.sh"
# shellcheck source=tests/net/robust.sh
. "$(dirname "$0")/robust.sh"

net_tern_arg "$@"
FLOOD=$(realpath "$1/tests/rawflood")
PASS_OBJ=$(realpath "$1/tests/net/pass.bpf.o")
[ -x "$FLOOD" ] || { echo "Error: $FLOOD: not built (make)" >&2; exit 2; }
PORT=80
NET_QUEUES=1    # one queue: the flood and the clients meet on it
N=20
SPORT=41000     # the reused client ports: SPORT .. SPORT + N - 1
FRESH=42000     # ports no connection used before
FLOOD_SECS=20   # long enough for both checks; stopped after them
CTL=
FLOOD_PID=

# flag: the queue's XDP cookie flag, 0 or 1
flag() { py "print(int(stats('$CTL')['queues'][0]['xdp_cookies']))"; }
flag_on() { [ "$(flag)" = 1 ]; }

# gets FIRST_SPORT: N GETs from FIRST_SPORT on, 3 s timeout each
gets() {
	in_c timeout 120 python3 "$NET_DIR/port_gets.py" "$IP4_S" "$PORT" 3 "$1" "$N" >"$NET_TMP/gets.out"
	local rc=$?
	sed 's/^/    /' "$NET_TMP/gets.out" | tail -n 4
	return $rc
}

flood_start() {
	in_c timeout $((FLOOD_SECS + 30)) "$FLOOD" "$DEV_C" "$MAC_C" "$MAC_S" syn 10.201.0.0 "$IP4_S" \
		"$PORT" "$FLOOD_SECS" >"$NET_TMP/flood.out" 2>&1 &
	FLOOD_PID=$!
	net_bg_pid "$FLOOD_PID"
}

flood_stop() {
	kill "$FLOOD_PID" 2>/dev/null || true
	wait "$FLOOD_PID" 2>/dev/null || true
}

t_reuse() {
	local b a tw

	gets "$SPORT" || fail "a GET before the flood failed"
	tw=$(py "print(sum(q['ntw'] for q in stats('$CTL')['queues']))")
	echo "    TIME-WAIT records before the flood: $tw"
	[ "$tw" -ge "$N" ] || fail "tern holds $tw TIME-WAIT records, not $N"
	flag_on && fail "flag on before the flood"
	flood_start
	wait_until flag_on || fail "flag not on under the flood"
	b=$(counters mib:TWRecycled mib:SyncookiesRecv xdp:XdpSyncookiesSent mib:EstabResets)
	gets "$SPORT" || fail "not every GET from a port in TIME-WAIT got its 200"
	a=$(counters mib:TWRecycled mib:SyncookiesRecv xdp:XdpSyncookiesSent mib:EstabResets)
	echo "    TWRecycled SyncookiesRecv XdpSyncookiesSent EstabResets: before $b, after $a"
	set -- $b $a
	[ $(($5 - $1)) -ge "$N" ] || fail "TWRecycled +$(($5 - $1)), not $N"
	[ $(($6 - $2)) -ge "$N" ] || fail "SyncookiesRecv +$(($6 - $2)), not $N"
	[ $(($7 - $3)) -ge 1000 ] || fail "XDP answered $(($7 - $3)) SYNs: no flood?"
	[ "$8" = "$4" ] || fail "EstabResets +$(($8 - $4))"
	grep -q ' resets=0 ' "$NET_TMP/gets.out" || fail "a client was reset"
}

t_fresh() {
	flag_on || fail "flag not on"
	gets "$FRESH" || fail "not every GET from a new port got its 200"
	flood_stop
	sed 's/^/    /' "$NET_TMP/flood.out"
}

net_setup
in_c sysctl -qw net.core.txrehash=0
# veth delivers XDP_TX frames to a peer that runs an XDP program (docs/xdp-syn.md)
in_c ip link set dev "$DEV_C" xdpdrv obj "$PASS_OBJ" sec xdp || net_die "XDP_PASS on $DEV_C"
robust_macs
proxy_backends || net_die "nginx did not start"
CTL=$NET_TMP/ctl
# A small backlog: the flood fills it at once, and the flag goes on.
tern_start --addr "$IP4_S" --port "$PORT" --queues 1 --ctl "$CTL" --app proxy --backlog 256 \
	--backend "$IP4_B:8080" --health-interval 0 --xdp-cookies overload || net_die "tern did not start"
wait_until py "stats('$CTL')" || net_die "no control socket"

t_run "reuse: clients on ports tern holds in TIME-WAIT get through a flood" t_reuse
t_run "fresh: clients on new ports get through the same flood" t_fresh
flood_stop
t_run "stop: exit 0, every frame accounted, no sanitizer report" stop_ok 1
net_finish
