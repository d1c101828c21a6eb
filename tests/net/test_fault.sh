#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Faults under the daemon:
# 1. SIGKILL in the middle of a SYN flood with clients connecting: the
#    kernel refuses while tern is down (the XDP program stays, no socket:
#    XdpNoSocket), a restart takes the program over while the flood goes
#    on, and clients echo again.
# 2. `ternctl unload` while tern runs: tern notices within about a second,
#    says "the XDP program was detached" and exits 1; the kernel answers.
# 3. The link set down under tern for 2 s with a keepalive probe waiting
#    to go out: every TX kick fails with ENETDOWN, and the kicks back off
#    (from 50 us, doubling, to 100 ms; at most about 40 in 2 s instead of
#    tens of thousands) and are counted (xsk_kick_netdown); once the link
#    is up the held connection and new clients echo.
# 4. The interface deleted under tern: it says "the interface is gone" and
#    exits 1 within a few seconds, with no hang.
# Every exit is checked for sanitizer reports (CI runs this with the ASan
# build) and, where tern still had its sockets, for frame accounting.
#   tests/net/test_fault.sh BUILD_DIR
NET_SUITE=test_fault
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/robust.sh
. "$(dirname "$0")/robust.sh"

net_tern_arg "$@"
FLOOD=$(realpath "$1/tests/rawflood")
TERNCTL=$(realpath "$1/tools/ternctl")
[ -x "$FLOOD" ] && [ -x "$TERNCTL" ] || { echo "Error: $1: rawflood or ternctl not built (make)" >&2; exit 2; }
PORT=7
QUEUES=2
CTL=

many() { in_c timeout 120 python3 "$NET_DIR/clients.py" many "$IP4_S" "$PORT" "$@"; }

start() {
	CTL=$NET_TMP/ctl
	tern_start --addr "$IP4_S" --port "$PORT" --queues "$QUEUES" --ctl "$CTL" --app echo "$@" ||
		return 1
	wait_until py "stats('$CTL')" >/dev/null
}

# exited RC [PATTERN]: tern ended (within 5 s) with RC, its log has no
# sanitizer report and, if given, a line matching PATTERN.
exited() {
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not exit"
	! grep -E 'Sanitizer|runtime error' "$NET_TMP/tern.log" || fail "sanitizer report"
	[ "$(cat "$NET_TMP/tern.rc")" = "$1" ] ||
		{ sed 's/^/    /' "$NET_TMP/tern.log" >&2; fail "tern exited $(cat "$NET_TMP/tern.rc"), expected $1"; }
	[ -z "${2:-}" ] || grep "$2" "$NET_TMP/tern.log" | sed 's/^/    /'
	[ -z "${2:-}" ] || grep -q "$2" "$NET_TMP/tern.log" || fail "no '$2' in the log"
}

refused() {
	in_c python3 -c "
import socket, sys
try:
    socket.create_connection(('$IP4_S', $PORT), timeout=3).close()
except ConnectionRefusedError:
    sys.exit(0)
sys.exit('not refused')"
}

t_kill_under_load() {
	local fpid n0 n1 out

	out=$(many 100 20 0 2) || fail "clients before:$out"
	in_c timeout 60 "$FLOOD" "$DEV_C" "$MAC_C" "$MAC_S" syn 10.201.0.0 "$IP4_S" "$PORT" 6 \
		>"$NET_TMP/flood.out" &
	fpid=$!
	# Under a flood beyond tern's rate the RX ring drops frames, and a
	# cookie handshake whose ACK is lost but whose data arrives is reset
	# (as Linux's cookie_v4_check does); a real client tries again.
	many 50 20 3 1 || fail "clients during the flood"
	kill -KILL "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not die"
	n0=$(in_s "$TERNCTL" stats --dev "$DEV_S" --bpffs "$NET_BPFFS" --json |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["xdp"]["XdpNoSocket"])')
	refused || fail "the kernel did not refuse while tern was down"
	n1=$(in_s "$TERNCTL" stats --dev "$DEV_S" --bpffs "$NET_BPFFS" --json |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["xdp"]["XdpNoSocket"])')
	echo "    down: XdpNoSocket +$((n1 - n0)) (flood and clients to the kernel)"
	[ "$n1" -gt "$n0" ] || fail "XdpNoSocket did not move while tern was down"
	start --syncookies auto || fail "restart under the flood"
	grep -q 'already loaded' "$NET_TMP/tern.log" || fail "restart did not reuse the program"
	out=$(many 100 20 1) || fail "clients after the restart, under the flood:$out"
	wait "$fpid" || fail "the generator"
	sed 's/^/    /' "$NET_TMP/flood.out"
	many 100 || fail "clients after the flood"
}

t_unload() {
	local t0 t1 out

	out=$(many 20) || fail "clients before:$out"
	t0=$(date +%s%N)
	in_s "$TERNCTL" unload --dev "$DEV_S" --bpffs "$NET_BPFFS" | sed 's/^/    /'
	exited 1 'the XDP program was detached'
	t1=$(date +%s%N)
	echo "    tern exited $(((t1 - t0) / 1000000)) ms after the unload"
	[ "$(((t1 - t0) / 1000000))" -lt 4000 ] || fail "tern took more than 4 s to notice"
	refused || fail "the kernel did not answer after the unload"
	! ip -n "$NS_S" link show "$DEV_S" | grep -q 'prog/xdp' || fail "a program is still attached"
}

t_restart() {
	local out

	start || fail "start after the unload"
	out=$(many 20) || fail "clients:$out"
}

# qtotal KEY...: queue-summed worker counters (ternctl stats "total")
qtotal() { py "t = stats('$CTL')['total']; print(' '.join(str(t[k]) for k in sys.argv[1:]))" "$@"; }

t_link_down() {
	local d=$NET_TMP/hold b a kicks down out

	py "ctl('$CTL', 'set keepalive 1,1,30')" >/dev/null || fail "set keepalive"
	mkdir -p "$d"
	(in_c timeout 60 python3 "$NET_DIR/clients.py" hold "$DEV_C" "$IP4_S" "$PORT" "$d" \
		>"$d/out" 2>&1; echo $? >"$d/rc") &
	net_bg_pid $!
	wait_until test -s "$d/port" || fail "the held connection"
	b=$(qtotal xsk_kicks xsk_kick_netdown)
	ip -n "$NS_S" link set "$DEV_S" down
	sleep 2
	a=$(qtotal xsk_kicks xsk_kick_netdown)
	ip -n "$NS_S" link set "$DEV_S" up
	kicks=$((${a% *} - ${b% *}))
	down=$((${a#* } - ${b#* }))
	echo "    2 s with the link down: kicks +$kicks, xsk_kick_netdown +$down"
	touch "$d/go"
	wait_long test -s "$d/rc" || fail "the held connection did not end"
	[ "$(cat "$d/rc")" = 0 ] || { cat "$d/out"; fail "the held connection after the link came up"; }
	[ "$down" -gt 0 ] || fail "no kick failed with ENETDOWN (no keepalive probe waited?)"
	[ "$kicks" -lt 200 ] || fail "$kicks kicks in 2 s with the link down: no backoff"
	out=$(many 20) || fail "clients after the link came up:$out"
	py "ctl('$CTL', 'set keepalive 0,0,0')" >/dev/null || fail "set keepalive off"
}

t_iface_gone() {
	local t0 t1

	t0=$(date +%s%N)
	ip -n "$NS_S" link del "$DEV_S"
	exited 1 'the interface is gone'
	t1=$(date +%s%N)
	echo "    tern exited $(((t1 - t0) / 1000000)) ms after the interface went"
	[ "$(((t1 - t0) / 1000000))" -lt 4000 ] || fail "tern took more than 4 s to notice"
}

net_setup
in_c sysctl -qw net.core.txrehash=0
robust_macs
start --syncookies auto || net_die "tern did not start"

t_run "SIGKILL under a SYN flood: kernel refuses, restart under the flood, clients echo" t_kill_under_load
t_run "ternctl unload under tern: it exits 1 saying so; the kernel answers" t_unload
t_run "tern starts again after the unload" t_restart
t_run "link down for 2 s: TX kicks back off and are counted; echo again after" t_link_down
t_run "interface deleted under tern: it exits 1 saying so, no hang" t_iface_gone

net_finish
