#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Two tern hosts behind one service address, announced with BGP and spread
# with ECMP (docs/deploy.md). Namespaces, all made here with a per-run
# suffix: a client, a router running FRR (zebra + bgpd, -N NAME, BGP
# multipath, fib_multipath_hash_policy=1) and two hosts, A and B, each with
# tern on its veth toward the router and exabgp whose healthcheck runs
# `ternctl health` and withdraws the /32 when it fails.
#
#   t_ecmp_spread     1,000 connections through the router: both hosts
#                     serve a share, every echo right
#   t_stop_withdraw   SIGTERM to tern on A (--drain-withdraw-delay): its route
#                     leaves the router before the drain starts, clients
#                     connecting throughout lose nothing, B takes the new
#                     ones, A's established connections echo during the
#                     delay and end with a FIN, not a RST
#   t_flood_one_host  a SYN flood (tern-flood) at B while clients connect
#                     through the router: they all succeed (the hosts run
#                     the default --xdp-cookies overload, so XDP answers
#                     the flood and it never fills B's RX ring)
#   t_route_moved     a handshake whose SYN-ACK came from A and whose final
#                     ACK reaches B (the route moved between them): it
#                     establishes on B and echoes, since both hosts share
#                     one --cookie-secret and answer with SYN cookies
#
# Prints the measured withdraw time (SIGTERM to route gone on the router).
#   tests/net/test_bgp.sh BUILD_DIR
NET_SUITE=test_bgp
. "$(dirname "$0")/lib.sh"

net_tern_arg "$@"
BUILD=$(realpath "$1")
TERNCTL=$BUILD/tools/ternctl
TFLOOD=$BUILD/tools/tern-flood
FRR_BIN=/usr/lib/frr
PASS_OBJ=$BUILD/tests/net/pass.bpf.o
PY=/usr/bin/python3 # exabgp's modules are Debian's, not another python3's

PORT=7
WITHDRAW_MS=5000  # --drain-withdraw-delay on the hosts
HC_INTERVAL=0.5   # exabgp healthcheck: seconds between checks, fall 1
# BGP: keepalive 1 s, hold 3 s on both sides. A failing check withdraws
# within HC_INTERVAL + the update's trip (one UPDATE on an established
# session), far under WITHDRAW_MS.

# Namespaces beyond lib.sh's two: NS_C is the client, NS_S the router.
NS_R=$NS_S
NS_A=tern-a-$NET_SUFFIX
NS_B=tern-b-$NET_SUFFIX
FRR_NAME=tern$NET_SUFFIX
X=$NET_X
VIP=10.213.$X.1
IP_CR=10.210.$X.1 IP_C=10.210.$X.2
IP_RA=10.211.$X.1 IP_A=10.211.$X.2
IP_RB=10.212.$X.1 IP_B=10.212.$X.2
DEV_RA=ra$NET_SUFFIX DEV_A=ha$NET_SUFFIX
DEV_RB=rb$NET_SUFFIX DEV_B=hb$NET_SUFFIX

in_r() { ip netns exec "$NS_R" "$@"; }
in_h() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

fleet_cleanup() {
	local rc=$? ns pid

	set +e
	# twice: tern's second SIGTERM skips the withdraw delay and the drain
	for _ in 1 2; do
		for ns in "$NS_A" "$NS_B" "$NS_R"; do
			for pid in $(ip netns pids "$ns" 2>/dev/null); do
				kill "$pid" 2>/dev/null
			done
		done
		sleep 0.2
	done
	for ns in "$NS_A" "$NS_B" "$NS_R"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
	done
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "/etc/frr/$FRR_NAME" "/var/run/frr/$FRR_NAME"
	(exit "$rc")
	net_cleanup
}
trap fleet_cleanup EXIT

net_need vtysh exabgp "$FRR_BIN/zebra" "$FRR_BIN/bgpd" "$PY"
"$PY" -c 'import exabgp.application.healthcheck' 2>/dev/null ||
	net_die "$PY lacks exabgp's healthcheck module (make deps)"

# link NS_X DEV_X IP_X NS_Y DEV_Y IP_Y: a /24 veth between two namespaces
link() {
	ip link add "$2" numrxqueues 1 numtxqueues 1 netns "$1" type veth \
		peer name "$5" numrxqueues 1 numtxqueues 1 netns "$4"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$4" addr add "$6/24" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
	# full checksums on the wire: tern checks them
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off >/dev/null
	ip netns exec "$4" ethtool -K "$5" tx off tso off gso off >/dev/null
}

topology() {
	local ns

	NET_TMP=$(mktemp -d /run/tern-test.XXXXXX)
	NET_BPFFS=$NET_TMP/bpffs
	mkdir "$NET_BPFFS"
	mount -t bpf bpf "$NET_BPFFS" || net_die "cannot mount a bpffs"
	for ns in "$NS_C" "$NS_R" "$NS_A" "$NS_B"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	link "$NS_C" "$DEV_C" "$IP_C" "$NS_R" "$DEV_S" "$IP_CR"
	link "$NS_R" "$DEV_RA" "$IP_RA" "$NS_A" "$DEV_A" "$IP_A"
	link "$NS_R" "$DEV_RB" "$IP_RB" "$NS_B" "$DEV_B" "$IP_B"
	ip -n "$NS_C" route add default via "$IP_CR"
	ip -n "$NS_A" route add default via "$IP_RA"
	ip -n "$NS_B" route add default via "$IP_RB"
	in_c sysctl -qw net.core.txrehash=0
	in_r sysctl -qw net.ipv4.ip_forward=1
	in_r sysctl -qw net.ipv4.fib_multipath_hash_policy=1 # L4 hash
	in_h "$NS_A" ethtool -K "$DEV_A" rxvlan off rx-vlan-stag-hw-parse off >/dev/null
	in_h "$NS_B" ethtool -K "$DEV_B" rxvlan off rx-vlan-stag-hw-parse off >/dev/null
	# XDP_TX frames (the hosts' XDP SYN-ACKs) reach a veth peer only while
	# it runs a native XDP program (docs/xdp-syn.md); a real NIC has no
	# such condition. tern-flood swaps it out and back for its run.
	in_r ip link set dev "$DEV_RA" xdpdrv obj "$PASS_OBJ" sec xdp || return 1
	in_r ip link set dev "$DEV_RB" xdpdrv obj "$PASS_OBJ" sec xdp || return 1
}

# The router: FRR's zebra and bgpd in NS_R with their own config and
# socket directories (-N), BGP multipath over both hosts' ASNs.
router() {
	local etc=/etc/frr/$FRR_NAME run=/var/run/frr/$FRR_NAME

	mkdir -p "$etc" "$run"
	cat >"$etc/frr.conf" <<-EOF
		frr defaults traditional
		hostname $FRR_NAME
		no zebra nexthop kernel enable
		router bgp 65000
		 bgp router-id $IP_CR
		 no bgp ebgp-requires-policy
		 bgp bestpath as-path multipath-relax
		 neighbor $IP_A remote-as 65001
		 neighbor $IP_A timers 1 3
		 neighbor $IP_B remote-as 65002
		 neighbor $IP_B timers 1 3
		 address-family ipv4 unicast
		  maximum-paths 8
		 exit-address-family
	EOF
	touch "$etc/vtysh.conf"
	chown -R frr:frr "$etc" "$run"
	in_r "$FRR_BIN/zebra" -N "$FRR_NAME" -d -i "$run/zebra.pid" 2>"$NET_TMP/zebra.log" || return 1
	in_r "$FRR_BIN/bgpd" -N "$FRR_NAME" -d -i "$run/bgpd.pid" || return 1
	wait_until in_r vtysh -N "$FRR_NAME" -c "show version" >/dev/null 2>&1 || return 1
	in_r vtysh -N "$FRR_NAME" -b >"$NET_TMP/vtysh.log" 2>&1 || {
		sed 's/^/    /' "$NET_TMP/vtysh.log" >&2
		return 1
	}
}

# tern_host H NS DEV: tern on DEV in NS, answering for VIP:PORT; its pid in
# NET_TMP/H.pid, its output in NET_TMP/H.log, its socket NET_TMP/H.sock.
tern_host() {
	local h=$1 ns=$2 dev=$3

	rm -f "$NET_TMP/$h.pid"
	(sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$NET_TMP/$h.pid" \
		ip netns exec "$ns" "$TERN" --dev "$dev" --bpffs "$NET_BPFFS" --ctl "$NET_TMP/$h.sock" \
		--addr "$VIP" --port "$PORT" --app echo \
		--cookie-secret "$NET_TMP/secret" --syncookies always \
		--drain-withdraw-delay "$WITHDRAW_MS" --drain-timeout 2000 \
		>"$NET_TMP/$h.log" 2>&1 &)
	wait_until test -s "$NET_TMP/$h.pid"
	if ! wait_until grep -q '^tern: ready' "$NET_TMP/$h.log"; then
		sed 's/^/    /' "$NET_TMP/$h.log" >&2
		return 1
	fi
}

# speaker H NS IP ASN DEV: exabgp in NS, peering with the router, its
# healthcheck announcing VIP/32 while `ternctl health` exits 0.
speaker() {
	local h=$1 ns=$2 ip=$3 asn=$4 dev=$5 rip

	rip=${ip%.2}.1
	cat >"$NET_TMP/$h-exabgp.conf" <<-EOF
		process health {
		  run $PY -m exabgp.application.healthcheck --no-syslog --name $h
		    --cmd "$TERNCTL health --dev $dev --ctl $NET_TMP/$h.sock"
		    --ip $VIP/32 --no-ip-setup --next-hop $ip
		    --interval $HC_INTERVAL --fast-interval $HC_INTERVAL --rise 1 --fall 1
		    --withdraw-on-down;
		  encoder text;
		}
		neighbor $rip {
		  router-id $ip;
		  local-address $ip;
		  local-as $asn;
		  peer-as 65000;
		  hold-time 3;
		  api { processes [ health ]; }
		}
	EOF
	# (exabgp reads one statement per line: join the run line)
	"$PY" - "$NET_TMP/$h-exabgp.conf" <<-'EOF'
		import re, sys
		t = open(sys.argv[1]).read()
		open(sys.argv[1], "w").write(re.sub(r"\n\s+--", " --", t))
	EOF
	(env exabgp.daemon.daemonize=false exabgp.daemon.user=root PYTHONUNBUFFERED=1 exabgp.log.destination=stdout exabgp.cli.enable=false \
		ip netns exec "$ns" exabgp "$NET_TMP/$h-exabgp.conf" >"$NET_TMP/$h-exabgp.log" 2>&1 &)
}

# The router's next hops for VIP, sorted, one line.
vip_hops() { ip -n "$NS_R" -j route show "$VIP" | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
h = [n["gateway"] for x in r for n in (x.get("nexthops") or [x]) if "gateway" in n]
print(" ".join(sorted(h)))'; }

hops_are() { [ "$(vip_hops)" = "$*" ]; }

# xdp_synacks H: XdpSyncookiesSent of host H
xdp_synacks() {
	"$TERNCTL" stats --dev x --ctl "$NET_TMP/$1.sock" --json |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)["xdp"]["XdpSyncookiesSent"])'
}

# passive H: PassiveOpens of tern on host H
passive() {
	"$TERNCTL" stats --dev x --ctl "$NET_TMP/$1.sock" --json |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)["total"]["mib"]["PassiveOpens"])'
}

fleet_up() {
	topology || net_die "topology"
	head -c 64 /dev/urandom >"$NET_TMP/secret"
	chmod 600 "$NET_TMP/secret"
	router || net_die "FRR did not start in $NS_R"
	tern_host a "$NS_A" "$DEV_A" || net_die "tern on host A did not start"
	tern_host b "$NS_B" "$DEV_B" || net_die "tern on host B did not start"
	speaker a "$NS_A" "$IP_A" 65001 "$DEV_A"
	speaker b "$NS_B" "$IP_B" 65002 "$DEV_B"
	# BGP: the session, then the first check's announcement
	for _ in $(seq 20); do
		hops_are "$IP_A" "$IP_B" && break
		sleep 0.5
	done
	if ! hops_are "$IP_A" "$IP_B"; then
		in_r vtysh -N "$FRR_NAME" -c "show bgp summary" -c "show ip route" | sed 's/^/    /'
		tail -n 8 "$NET_TMP/a-exabgp.log" "$NET_TMP/b-exabgp.log" "$NET_TMP/a-exabgp.conf" | sed 's/^/    /'
		"$TERNCTL" health --dev "$DEV_A" --ctl "$NET_TMP/a.sock" 2>&1 | sed 's/^/    /'
		net_die "the router has no ECMP route to $VIP over both hosts ($(vip_hops))"
	fi
}

t_health() {
	local out

	out=$("$TERNCTL" health --dev "$DEV_A" --ctl "$NET_TMP/a.sock") || fail "health: $out"
	[ "$out" = "$DEV_A: healthy" ] || fail "health said '$out'"
	! "$TERNCTL" health --dev x --ctl "$NET_TMP/none.sock" 2>/dev/null ||
		fail "health exits 0 without a daemon"
}

t_ecmp_spread() {
	local a0 b0 a b

	a0=$(passive a) b0=$(passive b)
	in_c "$PY" "$NET_DIR/bgp_client.py" spread "$VIP" "$PORT" 1000 || fail "not every echo right"
	a=$(($(passive a) - a0)) b=$(($(passive b) - b0))
	echo "    host A served $a, host B $b"
	[ $((a + b)) -ge 1000 ] || fail "the hosts opened $((a + b)) connections, not 1000"
	# an L4 hash over 2 next hops: each gets far more than 20 % of 1,000
	[ "$a" -ge 200 ] && [ "$b" -ge 200 ] || fail "ECMP did not spread: A $a, B $b"
}

# The client loop result "OK RESET TIMEOUT OTHER" after DIR/stop.
loop_stop() {
	touch "$1/stop"
	wait_until test -s "$1/result" || true
	cat "$1/result"
}

t_stop_withdraw() {
	local d=$NET_TMP/stop h=$NET_TMP/hold t0 t1 ms a_ports a b1 b2 r ok reset tmo other

	mkdir -p "$d" "$h"
	# held connections, then the loop of new ones, through the router
	in_c "$PY" "$NET_DIR/bgp_client.py" hold "$VIP" "$PORT" 16 "$h" $((WITHDRAW_MS / 1000 + 4)) \
		>"$h/out" 2>&1 &
	wait_until test -s "$h/ports" || fail "held connections did not open"
	a_ports=$("$TERNCTL" conns --dev x --ctl "$NET_TMP/a.sock" --json | "$PY" -c '
import json, sys
print(" ".join(c["remote"].rsplit(":", 1)[1] for c in json.load(sys.stdin)["conns"]))')
	[ -n "$a_ports" ] || fail "no held connection landed on A"
	in_c "$PY" "$NET_DIR/bgp_client.py" loop "$VIP" "$PORT" "$d" &
	sleep 1
	t0=$(date +%s%N)
	kill -TERM "$(cat "$NET_TMP/a.pid")"
	touch "$h/go" # held connections echo during the withdraw delay
	"$TERNCTL" health --dev "$DEV_A" --ctl "$NET_TMP/a.sock" >/dev/null &&
		fail "health still passes after SIGTERM"
	for _ in $(seq 300); do # 15 s at least
		hops_are "$IP_B" && break
		sleep 0.05
	done
	t1=$(date +%s%N)
	hops_are "$IP_B" || fail "A's route still on the router: $(vip_hops)"
	ms=$(((t1 - t0) / 1000000))
	echo "    withdraw: SIGTERM to route gone on the router $ms ms (bound: the ${WITHDRAW_MS} ms delay)"
	echo "$ms" >"$NET_TMP/withdraw_ms"
	[ "$ms" -lt "$WITHDRAW_MS" ] || fail "withdrawn after the drain began"
	b1=$(passive b)
	wait_until test -s "$h/held" || sleep 5
	wait_until test -s "$h/held" || fail "held connections did not finish"
	b2=$(passive b)
	r=$(loop_stop "$d")
	read -r ok reset tmo other <<<"$r"
	echo "    clients during the stop: $ok ok, $reset reset/refused, $tmo timed out, $other other"
	[ "$reset" = 0 ] && [ "$tmo" = 0 ] && [ "$other" = 0 ] || fail "connections lost in the stop"
	[ "$ok" -ge 20 ] || fail "only $ok connections during the stop"
	[ $((b2 - b1)) -ge 10 ] || fail "B took $((b2 - b1)) connections after the withdraw"
	grep -q "withdraw delay over: draining" "$NET_TMP/a.log" || fail "A never drained"
	sed 's/^/    held: /' "$h/out"
	[ ! -s "$h/out" ] || fail "held connections failed"
	# the held ones on A ended with A's drain FIN, those on B stayed open
	while read -r port st; do
		if [[ " $a_ports " == *" $port "* ]]; then
			[ "$st" = eof ] || fail "held connection :$port on A ended '$st', not with a FIN"
			a=1
		else
			[ "$st" = open ] || fail "held connection :$port on B ended '$st'"
		fi
	done <"$h/states"
	[ "${a:-0}" = 1 ] || echo "    (no connection of the waiting half on A)"
	for _ in $(seq 50); do
		kill -0 "$(cat "$NET_TMP/a.pid")" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$(cat "$NET_TMP/a.pid")" 2>/dev/null || fail "tern on A did not exit"
}

t_flood_one_host() {
	local mac x0

	x0=$(xdp_synacks b)

	mac=$(mac_of "$NS_B" "$DEV_B")
	in_r "$TFLOOD" --dev "$DEV_RB" --dst "$VIP" --port "$PORT" --dst-mac "$mac" \
		--src-net 10.99.0.0/16 --duration 4 --quiet \
		--bpf-obj "$BUILD/bpf/flood.bpf.o" >"$NET_TMP/flood.out" 2>&1 &
	local fp=$!
	sleep 0.5
	in_c "$PY" "$NET_DIR/bgp_client.py" spread "$VIP" "$PORT" 200 || { kill "$fp"; fail "clients failed under the flood"; }
	wait "$fp" || { sed 's/^/    /' "$NET_TMP/flood.out"; fail "tern-flood failed"; }
	sed 's/^/    flood: /' "$NET_TMP/flood.out" | tail -1
	echo "    host B: XdpSyncookiesSent +$(($(xdp_synacks b) - x0))"
	[ $(($(xdp_synacks b) - x0)) -gt 1000 ] || fail "XDP did not answer the flood on B"
}

# The router sends as the client would, from an address nobody owns (no
# kernel answers the SYN-ACK): the SYN out of its veth to A, the final
# ACK out of its veth to B, as if the route had moved in between.
t_route_moved() {
	local src=10.98.$X.9 sport=$((40000 + RANDOM % 20000)) j b0 v

	b0=$(passive b)
	j=$(in_r timeout 20 "$PY" "$NET_DIR/fleet_client.py" syn "$DEV_RA" "$(mac_of "$NS_A" "$DEV_A")" \
		"$src" "$VIP" "$PORT" "$sport" 1000) || fail "no SYN-ACK from A"
	# shellcheck disable=SC2086
	v=$(in_r timeout 20 "$PY" "$NET_DIR/fleet_client.py" ack "$DEV_RB" "$(mac_of "$NS_B" "$DEV_B")" \
		"$src" "$VIP" "$PORT" "$sport" 1000 $j)
	echo "    SYN-ACK from A, ACK to B: $v"
	[[ $v == "echo "[0-9]* ]] && [[ $v != "echo -1"* ]] || fail "B did not establish A's handshake"
	[ $(($(passive b) - b0)) = 1 ] || fail "B's PassiveOpens did not move by 1"
}

fleet_up
t_run t_health t_health
t_run t_ecmp_spread t_ecmp_spread
t_run t_flood_one_host t_flood_one_host
t_run t_route_moved t_route_moved
t_run t_stop_withdraw t_stop_withdraw
net_finish
