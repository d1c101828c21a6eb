#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# SYN cookies answered in XDP (docs/xdp-syn.md) on a veth pair, 2 queues:
#   always     every client SYN is answered by XDP (XdpSyncookiesSent),
#              the workers create the connections from the cookie ACKs
#              (SyncookiesRecv) and send no SYN-ACK themselves; clients
#              echo during a spoofed SYN flood
#   overload   the queue flags are off while idle, switch on under a SYN
#              flood (clients echo meanwhile) and off again after it
#   overload, ACK flood  the flags switch on under a spoofed ACK flood
#              and stay on while XDP drops it (at most on and off again
#              per queue), then go off
#   tern-flood always mode, clients connect during and right after a
#              tern-flood flood (its own XDP program on the client veth):
#              the client veth runs an XDP program throughout (tern-flood
#              swaps the XDP_PASS one out and back), so veth refuses none
#              of XDP's SYN-ACKs (xdp_tx_errors of the server veth +0)
#   never      XDP answers nothing: the workers' own cookies
#   ACK flood  in always mode a spoofed ACK flood is dropped in XDP
#              (XdpAckDrops) while 1 MiB echoes started before it run
#              through it without a reset (their segments pass the flow
#              filter, XdpAckFlow) and new clients connect (their cookie
#              ACKs pass, XdpAckCookie); over IPv4, then IPv6 (flood,
#              echo and clients all IPv6)
#   SIGTERM    the flags go off before the sockets leave the map: with
#              the program left attached (ternctl load), a SYN after the
#              exit meets the kernel (refused), XDP sends no cookie
#   SIGKILL    the flags stay set but the sockets are gone: the kernel
#              answers, XDP sends no cookie
# The byte-for-byte comparison with the core is tests/net/xdpsyn_check.c.
#   tests/net/test_xdpsyn.sh BUILD_DIR
NET_SUITE=test_xdpsyn
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/robust.sh
. "$(dirname "$0")/robust.sh"

net_tern_arg "$@"
FLOOD=$(realpath "$1/tests/rawflood")
TERNCTL=$(realpath "$1/tools/ternctl")
PASS_OBJ=$(realpath "$1/tests/net/pass.bpf.o")
TFLOOD=$(realpath "$1/tools/tern-flood")
[ -x "$FLOOD" ] || { echo "Error: $FLOOD: not built (make)" >&2; exit 2; }
[ -x "$TFLOOD" ] || { echo "Error: $TFLOOD: not built (make)" >&2; exit 2; }
PORT=7
QUEUES=2
SECS=3
CLIENTS=30
CTL=

ctlset() { py "ctl('$CTL', 'set xdp-cookies $1')" >/dev/null; }

# flags: the queues' XDP cookie flags, e.g. "0 0"
flags() { py "print(' '.join(str(int(q['xdp_cookies'])) for q in stats('$CTL')['queues']))"; }
all_off() { [ "$(flags)" = "0 0" ]; }
all_on() { [ "$(flags)" = "1 1" ]; }

# flood_with_clients: a spoofed SYN flood of SECS seconds, CLIENTS echo
# connections during it; both must end well.
flood_with_clients() {
	local cpid rc=0

	in_c sh -c 'sleep 0.5; exec "$@"' sh timeout 90 python3 "$NET_DIR/clients.py" many "$IP4_S" "$PORT" \
		"$CLIENTS" 20 1 "$((SECS - 1))" &
	cpid=$!
	in_c timeout $((SECS + 30)) "$FLOOD" "$DEV_C" "$MAC_C" "$MAC_S" syn 10.201.0.0 "$IP4_S" \
		"$PORT" "$SECS" >"$NET_TMP/flood.out" || rc=1
	sed 's/^/    /' "$NET_TMP/flood.out"
	wait "$cpid" || fail "not every client connection echoed"
	[ "$rc" = 0 ] || fail "the generator failed"
}

t_always() {
	local b a

	ctlset always
	wait_until all_on || fail "flags not on in mode always: $(flags)"
	[ "$(status_on)" = "[0, 1]" ] || fail "ternctl status: xdp_cookies_on $(status_on)"
	in_s "$TERNCTL" status --dev "$DEV_S" --bpffs "$NET_BPFFS" | grep -x 'xdp cookies on for queues: 0 1' ||
		fail "ternctl status text"
	b=$(counters xdp:XdpSyncookiesSent mib:SyncookiesRecv mib:SyncookiesSent mib:PassiveOpens)
	in_c timeout 60 python3 "$NET_DIR/clients.py" many "$IP4_S" "$PORT" 20 10 || fail "clients"
	a=$(counters xdp:XdpSyncookiesSent mib:SyncookiesRecv mib:SyncookiesSent mib:PassiveOpens)
	read -r b0 b1 b2 b3 <<<"$b"
	read -r a0 a1 a2 a3 <<<"$a"
	echo "    XdpSyncookiesSent +$((a0 - b0)), SyncookiesRecv +$((a1 - b1)), worker SyncookiesSent +$((a2 - b2)), PassiveOpens +$((a3 - b3))"
	[ $((a0 - b0)) -ge 20 ] || fail "XDP answered fewer than the 20 SYNs"
	[ $((a1 - b1)) -ge 20 ] || fail "the workers took fewer than 20 cookie ACKs"
	[ $((a2 - b2)) = 0 ] || fail "a worker answered a SYN itself"
}

t_always_flood() {
	local b a

	b=$(counters xdp:XdpSyncookiesSent mib:SyncookiesSent)
	flood_with_clients
	a=$(counters xdp:XdpSyncookiesSent mib:SyncookiesSent)
	echo "    XdpSyncookiesSent +$((${a%% *} - ${b%% *})), worker SyncookiesSent +$((${a##* } - ${b##* }))"
	[ $((${a%% *} - ${b%% *})) -ge 1000 ] || fail "XDP answered fewer than 1000 SYNs"
}

# tx_errors: the server veth's XDP_TX frames veth refused, all queues
tx_errors() { in_s ethtool -S "$DEV_S" | awk '/rx_queue_[0-9]+_xdp_tx_errors:/ { n += $2 } END { print n + 0 }'; }

# xdp_prog_id: the native XDP program on the client veth
xdp_prog_id() { ip -n "$NS_C" -d link show dev "$DEV_C" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1; }

# tern-flood attaches its own XDP program to the client veth for the run;
# clients connect during the flood and right after it, through the
# client kernel, every SYN answered by XDP with XDP_TX.
t_tern_flood() {
	local pass e0 e1 fl cpid

	ctlset always
	wait_until all_on || fail "flags not on in mode always: $(flags)"
	pass=$(xdp_prog_id)
	[ -n "$pass" ] || fail "no XDP program on $DEV_C"
	e0=$(tx_errors)
	in_c sh -c 'sleep 0.5; exec "$@"' sh timeout 60 python3 "$NET_DIR/clients.py" many "$IP4_S" "$PORT" \
		10 3 0 1 &
	cpid=$!
	fl=$(in_c timeout 30 "$TFLOOD" --dev "$DEV_C" --dst "$IP4_S" --port "$PORT" --dst-mac "$MAC_S" \
		--rate 100000 --duration 2 --quiet) || fail "tern-flood failed"
	wait "$cpid" || fail "not every client connected during the flood"
	echo "    tern-flood: $fl"
	[ "$(xdp_prog_id)" = "$pass" ] || fail "XDP program on $DEV_C after tern-flood: '$(xdp_prog_id)', not $pass"
	in_c timeout 60 python3 "$NET_DIR/clients.py" many "$IP4_S" "$PORT" 10 3 ||
		fail "not every client connected after the flood"
	e1=$(tx_errors)
	echo "    server veth xdp_tx_errors +$((e1 - e0))"
	[ "$e1" = "$e0" ] || fail "veth refused $((e1 - e0)) XDP SYN-ACKs"
}

# ack_flood ADDR SPOOF: the ACK flood check against tern's ADDR, the
# flood from sources in SPOOF (rawflood), the clients to ADDR.
ack_flood() {
	local b a fl cpid

	ctlset always
	wait_until all_on || fail "flags not on in mode always: $(flags)"
	b=$(counters xdp:XdpAckDrops xdp:XdpAckFlow xdp:XdpAckCookie mib:EstabResets)
	mkdir -p "$NET_TMP/paced"
	# one 1 MiB echo, connected before the flood and written across it
	rm -f "$NET_TMP/paced/started" "$NET_TMP/paced/rc" "$NET_TMP/paced/result"
	(in_c timeout 120 python3 "$NET_DIR/clients.py" paced "$1" "$PORT" "$NET_TMP/paced" 1048576 \
		"$SECS" >"$NET_TMP/paced/out" 2>&1; echo $? >"$NET_TMP/paced/rc") &
	net_bg_pid $!
	wait_long test -e "$NET_TMP/paced/started" || fail "the paced echo did not connect"
	in_c sh -c 'sleep 0.5; exec "$@"' sh timeout 90 python3 "$NET_DIR/clients.py" many "$1" "$PORT" \
		"$CLIENTS" 20 1 "$((SECS - 1))" &
	cpid=$!
	fl=$(in_c timeout $((SECS + 30)) "$FLOOD" "$DEV_C" "$MAC_C" "$MAC_S" ack "$2" "$1" \
		"$PORT" "$SECS") || fail "rawflood"
	wait "$cpid" || fail "not every client connection echoed during the ACK flood"
	wait_long test -s "$NET_TMP/paced/rc" || fail "the paced echo did not end"
	a=$(counters xdp:XdpAckDrops xdp:XdpAckFlow xdp:XdpAckCookie mib:EstabResets)
	read -r b0 b1 b2 b3 <<<"$b"
	read -r a0 a1 a2 a3 <<<"$a"
	echo "    ${fl#rawflood: }"
	echo "    1 MiB echo across it: $(cat "$NET_TMP/paced/result" 2>/dev/null)"
	echo "    XdpAckDrops +$((a0 - b0)), XdpAckFlow +$((a1 - b1)), XdpAckCookie +$((a2 - b2)), EstabResets +$((a3 - b3))"
	[ "$(cat "$NET_TMP/paced/rc")" = 0 ] || { cat "$NET_TMP/paced/out"; fail "the 1 MiB echo"; }
	[ $((a0 - b0)) -ge 1000 ] || fail "XDP dropped fewer than 1000 flood ACKs"
	[ $((a1 - b1)) -ge 100 ] || fail "fewer than 100 segments of held flows passed the filter"
	[ $((a2 - b2)) -ge "$CLIENTS" ] || fail "fewer cookie ACKs passed than clients connected"
	[ $((a3 - b3)) = 0 ] || fail "an established connection was reset"
}

t_ack_flood() { ack_flood "$IP4_S" 10.201.0.0; }
t_ack_flood6() { ack_flood "$IP6_S" fd00:201::; }

switches() { py "print(' '.join(str(q['xdp_cookie_switches']) for q in stats('$CTL')['queues']))"; }

# any_switched BEFORE AFTER: some queue's switch count moved
any_switched() {
	local b0 b1 a0 a1

	read -r b0 b1 <<<"$1"
	read -r a0 a1 <<<"$2"
	[ "$a0" != "$b0" ] || [ "$a1" != "$b1" ]
}

t_overload() {
	local b a sb sa

	ctlset overload
	# calm: off after TERN_XDPC_HOLD_NS (1 s)
	wait_until all_off || fail "flags not off when idle: $(flags)"
	b=$(counters xdp:XdpSyncookiesSent)
	sb=$(switches)
	flood_with_clients
	a=$(counters xdp:XdpSyncookiesSent)
	sa=$(switches)
	echo "    switches per queue before the flood: $sb, after: $sa; XdpSyncookiesSent +$((a - b))"
	any_switched "$sb" "$sa" || fail "no queue's flag switched on under the flood"
	[ $((a - b)) -ge 1000 ] || fail "XDP answered fewer than 1000 SYNs under overload"
	wait_until all_off || wait_until all_off || fail "flags still on after the flood: $(flags)"
	[ "$(status_on)" = "[]" ] || fail "ternctl status: xdp_cookies_on $(status_on)"
}

t_overload_ack() {
	local b a m fl

	ctlset overload
	wait_until all_off || fail "flags not off when idle: $(flags)"
	b=$(switches)
	m=$(counters xdp:XdpAckDrops)
	fl=$(in_c timeout $((SECS + 30)) "$FLOOD" "$DEV_C" "$MAC_C" "$MAC_S" ack 10.201.0.0 "$IP4_S" \
		"$PORT" "$SECS") || fail "rawflood"
	wait_until all_off || wait_until all_off || fail "flags still on after the flood: $(flags)"
	a=$(switches)
	read -r b0 b1 <<<"$b"
	read -r a0 a1 <<<"$a"
	echo "    ${fl#rawflood: }; XdpAckDrops +$(($(counters xdp:XdpAckDrops) - m)); switches per queue +$((a0 - b0)) +$((a1 - b1))"
	[ $(($(counters xdp:XdpAckDrops) - m)) -ge 1000 ] || fail "XDP dropped fewer than 1000 flood ACKs"
	[ $((a0 - b0)) -le 2 ] && [ $((a1 - b1)) -le 2 ] || fail "a flag went off while XDP still dropped the flood"
}

t_never() {
	local b a

	ctlset never
	wait_until all_off || fail "flags on in mode never"
	b=$(counters xdp:XdpSyncookiesSent mib:SyncookiesSent)
	flood_with_clients
	a=$(counters xdp:XdpSyncookiesSent mib:SyncookiesSent)
	echo "    XdpSyncookiesSent +$((${a%% *} - ${b%% *})), worker SyncookiesSent +$((${a##* } - ${b##* }))"
	[ "${a%% *}" = "${b%% *}" ] || fail "XDP answered in mode never"
	[ $((${a##* } - ${b##* })) -ge 1000 ] || fail "the workers sent fewer than 1000 cookies"
}

# status_on: ternctl status's queues with the XDP cookie flag on (JSON list)
status_on() {
	in_s "$TERNCTL" status --dev "$DEV_S" --bpffs "$NET_BPFFS" --json |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["xdp_cookies_on"])'
}

# xdp_sent: XdpSyncookiesSent from the pins (the daemon may be gone)
xdp_sent() {
	in_s "$TERNCTL" stats --dev "$DEV_S" --bpffs "$NET_BPFFS" --json |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["xdp"]["XdpSyncookiesSent"])'
}

# refused: a connect from the client is refused by the kernel's RST
refused() {
	in_c python3 -c "
import socket, sys
s = socket.socket()
s.settimeout(3)
try:
    s.connect(('$IP4_S', $PORT))
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)"
}

# after SIG: tern in mode always ends with SIG; XDP must not answer after.
after() {
	local b a

	ctlset always
	wait_until all_on || fail "flags not on"
	kill "-$1" "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not exit"
	b=$(xdp_sent)
	refused || fail "a SYN after $1 was not refused by the kernel"
	a=$(xdp_sent)
	echo "    tern exit $(cat "$NET_TMP/tern.rc"); XdpSyncookiesSent after it +$((a - b))"
	[ "$a" = "$b" ] || fail "XDP answered after $1"
}

t_sigterm() {
	after TERM
	[ "$(cat "$NET_TMP/tern.rc")" = 0 ] || fail "tern exited $(cat "$NET_TMP/tern.rc")"
	! grep -E 'Sanitizer|runtime error' "$NET_TMP/tern.log" || fail "sanitizer report"
}

t_sigkill() {
	after KILL
}

start() {
	tern_start --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --queues "$QUEUES" --ctl "$CTL" --app echo \
		--backlog 256 --synack-retries 1 --xdp-cookies "$1" || net_die "tern did not start"
	wait_until py "stats('$CTL')" || net_die "no control socket"
}

net_setup
in_c sysctl -qw net.core.txrehash=0
# veth delivers an XDP_TX frame to its peer only when the peer runs an XDP
# program (its NAPI): without one every SYN-ACK XDP sends is dropped (GRO
# on the peer did not do here). A real NIC has no such condition.
in_c ip link set dev "$DEV_C" xdpdrv obj "$PASS_OBJ" sec xdp || net_die "XDP_PASS on $DEV_C"
robust_macs
CTL=$NET_TMP/ctl
# The program stays attached when tern exits, so the exits can be checked.
in_s "$TERNCTL" load --dev "$DEV_S" --bpffs "$NET_BPFFS" --mode native --addr "$IP4_S" \
	--addr "$IP6_S" --port "$PORT" >/dev/null || net_die "ternctl load"
start always

t_run "always: XDP answers every SYN, the workers take the ACKs" t_always
t_run "always: clients echo during a SYN flood answered by XDP" t_always_flood
t_run "always: clients connect during and after a tern-flood flood" t_tern_flood
t_run "always: an ACK flood is dropped in XDP, flows and clients go on" t_ack_flood
t_run "always: an IPv6 ACK flood is dropped in XDP, IPv6 flows and clients go on" t_ack_flood6
t_run "overload: flags switch on under a flood and off after it" t_overload
t_run "overload: an ACK flood keeps the flags on until it ends" t_overload_ack
t_run "never: XDP answers nothing, the workers' cookies" t_never
t_run "SIGTERM: XDP stops answering, the kernel takes over" t_sigterm
start always
t_run "SIGKILL: the kernel answers, not XDP" t_sigkill

net_finish
