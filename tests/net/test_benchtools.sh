#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The benchmark tools on a veth pair: tern-flood's SYNs reach tern-reflect
# and every SYN-ACK is counted on the flood side without the client kernel
# seeing it (no RSTs); --ack completes real handshakes on tern; SIGTERM
# ends the flood cleanly and detaches its XDP program; bad arguments exit 2.
# Low rates only: counts are checked, never speeds.
#   tests/net/test_benchtools.sh BUILD_DIR
NET_SUITE=test_benchtools
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_tern_arg "$@"
FLOOD=$(realpath "$1/tools/tern-flood")
REFLECT=$(realpath "$1/tools/tern-reflect")
HELP=$(realpath "$(dirname "$0")/../../tools/bench/nethelp.py")
[ -x "$FLOOD" ] || { echo "Error: $FLOOD: not built (make)" >&2; exit 2; }
[ -x "$REFLECT" ] || { echo "Error: $REFLECT: not built (make)" >&2; exit 2; }
PORT=80
COUNT=1000
RATE=5000

net_setup
MAC_S=$(ip -n "$NS_S" -br link show "$DEV_S" | awk '{ print $3 }')
CTL=$NET_TMP/ctl.sock

flood() {
	in_c "$FLOOD" --dev "$DEV_C" --dst "$IP4_S" --port "$PORT" --dst-mac "$MAC_S" --quiet "$@"
}
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
out_rsts() { in_c awk '/^Tcp:/ && ++n == 2 { print $15 }' /proc/net/snmp; }
has_xdp() { ip -n "$NS_C" link show "$DEV_C" | grep -q xdp; }
no_xdp() { ! has_xdp; }

check_reflect() {
	local out rsts0 rsts1 pid

	# not through in_s: $! must be the reflector itself (ip netns exec execs it)
	ip netns exec "$NS_S" "$REFLECT" --dev "$DEV_S" --addr "$IP4_S" >"$NET_TMP/reflect.out" \
		2>"$NET_TMP/reflect.err" &
	pid=$!
	net_bg_pid "$pid"
	wait_until grep -q ready "$NET_TMP/reflect.err" || fail "reflector: $(cat "$NET_TMP/reflect.err")"
	rsts0=$(out_rsts)
	out=$(flood --count "$COUNT" --rate "$RATE")
	rsts1=$(out_rsts)
	kill -TERM "$pid"
	wait "$pid" || fail "reflector exit $?"
	echo "    flood: $out"
	echo "    reflector: $(cat "$NET_TMP/reflect.out")"
	[ "$(kv "$out" sent)" = "$COUNT" ] || fail "sent"
	[ "$(kv "$out" synack)" = "$COUNT" ] || fail "SYN-ACKs counted"
	[ "$(kv "$out" rst)" = 0 ] && [ "$(kv "$out" frames)" = ok ] || fail "rst/frames"
	[ "$(kv "$(cat "$NET_TMP/reflect.out")" reflected)" = "$COUNT" ] || fail "reflected"
	[ "$rsts0" = "$rsts1" ] || fail "the client kernel sent RSTs ($rsts0 -> $rsts1)"
	no_xdp || fail "flood_rx still attached"
}

check_ack() {
	local out n

	tern_start --addr "$IP4_S" --port "$PORT" --app discard --syncookies always --ctl "$CTL" ||
		fail "tern did not start"
	out=$(flood --ack --count "$COUNT" --rate "$RATE")
	echo "    flood: $out"
	[ "$(kv "$out" acks)" = "$COUNT" ] || fail "ACKs sent"
	wait_until nconns_is "$COUNT" ||
		fail "tern holds $(python3 "$HELP" nconns "$CTL") connections, not $COUNT"
}

# (a function: wait_until re-runs it, where "$(...)" in its arguments would
# be read once)
nconns_is() { [ "$(python3 "$HELP" nconns "$CTL")" = "$1" ]; }

check_sigterm() {
	local pid rc=0

	ip netns exec "$NS_C" "$FLOOD" --dev "$DEV_C" --dst "$IP4_S" --port "$PORT" \
		--dst-mac "$MAC_S" --quiet --duration 60 --rate "$RATE" \
		>"$NET_TMP/flood.out" 2>"$NET_TMP/flood.err" &
	pid=$!
	net_bg_pid "$pid"
	wait_until has_xdp || fail "no XDP program"
	sleep 0.5
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || fail "exit $rc: $(cat "$NET_TMP/flood.err")"
	grep -q '^queued=.* frames=ok$' "$NET_TMP/flood.out" || fail "no summary"
	no_xdp || fail "flood_rx still attached"
}

check_args() {
	local rc=0

	in_c "$FLOOD" --dev "$DEV_C" --dst 1.2.3.4 --port 0 --dst-mac 02:00:00:00:00:01 2>"$NET_TMP/e" || rc=$?
	[ "$rc" = 2 ] && grep -q '^Error: --port 0' "$NET_TMP/e" || fail "--port 0: exit $rc"
	rc=0
	in_c "$FLOOD" --dev "$DEV_C" --dst 1.2.3.4 --port 1 --dst-mac 02:00:00:00:00:01 --src-net 10.0.0.0/33 \
		2>"$NET_TMP/e" || rc=$?
	[ "$rc" = 2 ] || fail "--src-net /33: exit $rc"
	rc=0
	in_c "$FLOOD" --dev nosuchdev --dst 1.2.3.4 --port 1 --dst-mac 02:00:00:00:00:01 \
		2>"$NET_TMP/e" || rc=$?
	[ "$rc" = 1 ] && grep -q '^Error: nosuchdev' "$NET_TMP/e" || fail "no device: exit $rc"
	rc=0
	in_s "$REFLECT" --dev "$DEV_S" 2>/dev/null || rc=$?
	[ "$rc" = 2 ] || fail "reflector without --addr: exit $rc"
}

t_run "flood_reflector_every_synack_counted" check_reflect
t_run "flood_ack_completes_handshakes_on_tern" check_ack
t_run "flood_sigterm_clean_exit_and_detach" check_sigterm
t_run "flood_bad_arguments" check_args
net_finish
