#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A fleet's shared cookie secret (docs/fleet.md): two tern instances, A and
# B, in two namespaces, serve the same address with the same
# --cookie-secret. A raw client sends the SYN to one and the final ACK,
# with data, to the other, as after an ECMP route change:
#   A's XDP cookie (--xdp-cookies always) establishes on B, and B's
#   worker cookie on A; the echo comes back from the host that took the ACK
#   rotate-secret: a cookie from before it still establishes (under the
#   previous key, SyncookiesRecvPrevKey), new ones use the new key (in XDP
#   too); the same file again changes nothing; a 0644 file is refused
#   reload with the file changed: rotates; a cookie two rotations old fails
#   the file checks: tern --check refuses 0644, another owner, too short
#   tests/net/test_fleet.sh BUILD_DIR
NET_SUITE=test_fleet
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_tern_arg "$@"
TERNCTL=$(realpath "$1/tools/ternctl")
PASS_OBJ=$(realpath "$1/tests/net/pass.bpf.o")
PORT=7
NS_B=tern-b-$NET_SUFFIX
DEV_B=tb$NET_SUFFIX
DEV_CB=tx$NET_SUFFIX
SRC=10.201.$NET_X.9 # not the client's: its kernel stays out of the handshakes
SPORT=40000

py() { timeout 30 python3 -c "import sys; sys.path.insert(0, '$NET_DIR'); from pkt import *; $1" "${@:2}"; }
# mib HOST NAME...: counters of A or B, as test_xdpsyn's counters()
mib() { local h=$1; shift; py "c = counters('$NET_TMP/$h.sock'); print(' '.join(str(c[k]) for k in sys.argv[1:]))" "$@"; }
rotations() { py "print(stats('$NET_TMP/$1.sock')['CookieSecretRotations'])"; }
ctl_of() { if [ "$1" = a ]; then in_s "$TERNCTL" "$2" --dev "$DEV_S" --ctl "$NET_TMP/a.sock" "${@:3}"; else ip netns exec "$NS_B" "$TERNCTL" "$2" --dev "$DEV_B" --ctl "$NET_TMP/b.sock" "${@:3}"; fi; }

# secret NAME: 64 random bytes, mode 0600, owned by root (tern's uid here)
secret() { (umask 077 && head -c 64 /dev/urandom >"$NET_TMP/$1"); }

# syn HOST CSEQ: a SYN to HOST from the next source port; prints
# "SPORT CSEQ COOKIE TSVAL" for ack()
syn() {
	local dev mac j

	SPORT=$((SPORT + 1))
	if [ "$1" = a ]; then dev=$DEV_C mac=$MAC_S; else dev=$DEV_CB mac=$MAC_B; fi
	j=$(in_c timeout 20 python3 "$NET_DIR/fleet_client.py" syn "$dev" "$mac" "$SRC" "$IP4_S" \
		"$PORT" "$SPORT" "$2") || return 1
	echo "$SPORT $2 $j"
}

# ack HOST "SPORT CSEQ COOKIE TSVAL": the final ACK to HOST; prints the
# client's verdict ("echo BYTES TSVAL", "rst" or "none")
ack() {
	local dev mac

	if [ "$1" = a ]; then dev=$DEV_C mac=$MAC_S; else dev=$DEV_CB mac=$MAC_B; fi
	# shellcheck disable=SC2086
	set -- $2
	in_c timeout 20 python3 "$NET_DIR/fleet_client.py" ack "$dev" "$mac" "$SRC" "$IP4_S" "$PORT" "$@"
}

# echoed VERDICT "SPORT CSEQ COOKIE TSVAL": the data came back, with a TSval
# not behind the SYN-ACK's (another host's clock: the peer's PAWS)
echoed() {
	local what n ts synack

	read -r what n ts <<<"$1"
	synack=$(cut -d' ' -f4 <<<"$2")
	[ "$what" = echo ] && [ "$n" -gt 0 ] && [ $(((ts - synack + 4294967296) % 4294967296)) -lt 2147483648 ]
}
reset() { [ "$1" = rst ]; }

# start_host a|b ARGS...: tern in A's (NS_S, DEV_S) or B's namespace; pid
# in NAME.pid, output in NAME.log, ready or fail
start_host() {
	local h=$1 ns dev

	shift
	if [ "$h" = a ]; then ns=$NS_S dev=$DEV_S; else ns=$NS_B dev=$DEV_B; fi
	(
		set +e
		sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$NET_TMP/$h.pid" ip netns exec "$ns" \
			"$TERN" --dev "$dev" --bpffs "$NET_BPFFS" --ctl "$NET_TMP/$h.sock" \
			--addr "$IP4_S" --port "$PORT" --queues 2 --app echo "$@" >"$NET_TMP/$h.log" 2>&1 &
		wait $!
	) 2>/dev/null &
	net_bg_pid $!
	wait_until test -s "$NET_TMP/$h.pid"
	net_bg_pid "$(cat "$NET_TMP/$h.pid")"
	if ! wait_until grep -Eq '^(<6>)?tern: ready' "$NET_TMP/$h.log"; then
		sed 's/^/    /' "$NET_TMP/$h.log" >&2
		return 1
	fi
	wait_until py "stats('$NET_TMP/$h.sock')" >/dev/null
}

t_xdp_a_to_b() {
	local t b0 b1 a0 a1 r

	read -r b0 b1 <<<"$(mib b mib:SyncookiesRecv mib:PassiveOpens)"
	a0=$(mib a xdp:XdpSyncookiesSent)
	t=$(syn a 1000) || fail "no SYN-ACK from A"
	a1=$(mib a xdp:XdpSyncookiesSent)
	[ $((a1 - a0)) = 1 ] || fail "A's SYN-ACK did not come from XDP (XdpSyncookiesSent +$((a1 - a0)))"
	r=$(ack b "$t")
	echo "    $r"
	echoed "$r" "$t" || fail "B did not echo"
	read -r a0 a1 <<<"$(mib b mib:SyncookiesRecv mib:PassiveOpens)"
	[ $((a0 - b0)) = 1 ] && [ $((a1 - b1)) = 1 ] ||
		fail "B: SyncookiesRecv +$((a0 - b0)), PassiveOpens +$((a1 - b1))"
}

t_worker_b_to_a() {
	local t r b0 a0

	b0=$(mib a mib:SyncookiesRecv)
	t=$(syn b 2000) || fail "no SYN-ACK from B"
	r=$(ack a "$t")
	echo "    $r"
	echoed "$r" "$t" || fail "A did not echo"
	a0=$(mib a mib:SyncookiesRecv)
	[ $((a0 - b0)) = 1 ] || fail "A: SyncookiesRecv +$((a0 - b0))"
}

T_OLD=
T_OLDER=
t_rotate() {
	local r t b0 b1 a0 a1

	T_OLD=$(syn a 3000) || fail "no SYN-ACK"
	T_OLDER=$(syn a 3100) || fail "no SYN-ACK"
	echo "$T_OLDER" >"$NET_TMP/older"
	secret k2
	for h in a b; do
		r=$(ctl_of "$h" rotate-secret "$NET_TMP/k2") || fail "rotate-secret on $h"
		[ "$r" = rotated ] || fail "rotate-secret on $h: '$r'"
		[ "$(rotations "$h")" = 1 ] || fail "$h: CookieSecretRotations $(rotations "$h")"
	done
	read -r b0 b1 <<<"$(mib b mib:SyncookiesRecv mib:SyncookiesRecvPrevKey)"
	r=$(ack b "$T_OLD")
	echo "    before the rotation: $r"
	echoed "$r" "$T_OLD" || fail "a cookie from before the rotation did not establish"
	read -r a0 a1 <<<"$(mib b mib:SyncookiesRecv mib:SyncookiesRecvPrevKey)"
	[ $((a0 - b0)) = 1 ] && [ $((a1 - b1)) = 1 ] ||
		fail "B: SyncookiesRecv +$((a0 - b0)), SyncookiesRecvPrevKey +$((a1 - b1))"
	t=$(syn a 4000) || fail "no SYN-ACK"
	r=$(ack b "$t")
	echo "    after it: $r"
	echoed "$r" "$t" || fail "a cookie from after the rotation did not establish"
	read -r b0 b1 <<<"$(mib b mib:SyncookiesRecv mib:SyncookiesRecvPrevKey)"
	[ $((b0 - a0)) = 1 ] && [ $((b1 - a1)) = 0 ] ||
		fail "XDP did not issue under the new key: SyncookiesRecvPrevKey +$((b1 - a1))"
}

t_rotate_same_and_refused() {
	local r

	r=$(ctl_of a rotate-secret "$NET_TMP/k2") || fail "rotate-secret"
	[ "$r" = unchanged ] || fail "the same file again: '$r'"
	cp "$NET_TMP/k2" "$NET_TMP/open"
	chmod 644 "$NET_TMP/open"
	if r=$(ctl_of a rotate-secret "$NET_TMP/open" 2>&1); then
		fail "a 0644 file was taken: $r"
	fi
	echo "    $r"
	grep -q "mode 0644" <<<"$r" || fail "no reason given"
	[ "$(rotations a)" = 1 ] || fail "CookieSecretRotations $(rotations a)"
}

t_reload_rotates() {
	local r t b0 b1 a0 a1

	t=$(syn a 5000) || fail "no SYN-ACK"
	secret k1 # the configured file, changed in place
	for h in a b; do
		r=$(ctl_of "$h" reload) || fail "reload on $h"
		echo "    $h: $r"
		grep -qx "cookie-secret: applied (rotated)" <<<"$r" || fail "reload on $h did not rotate"
		[ "$(rotations "$h")" = 2 ] || fail "$h: CookieSecretRotations $(rotations "$h")"
	done
	py "import re; m = ctl('$NET_TMP/b.sock', 'metrics'); sys.exit(0 if re.search(r'^tern_cookie_secret_rotations_total 2$', m, re.M) else 1)" ||
		fail "metrics: tern_cookie_secret_rotations_total is not 2"
	read -r b0 b1 <<<"$(mib b mib:SyncookiesFailed mib:SyncookiesRecvPrevKey)"
	r=$(ack b "$(cat "$NET_TMP/older")")
	echo "    two rotations old: $r"
	reset "$r" || fail "a cookie two rotations old was not reset"
	r=$(ack b "$t")
	echo "    one rotation old: $r"
	echoed "$r" "$t" || fail "a cookie one rotation old did not establish"
	read -r a0 a1 <<<"$(mib b mib:SyncookiesFailed mib:SyncookiesRecvPrevKey)"
	[ $((a0 - b0)) = 1 ] && [ $((a1 - b1)) = 1 ] ||
		fail "B: SyncookiesFailed +$((a0 - b0)), SyncookiesRecvPrevKey +$((a1 - b1))"
}

# refused FILE WHY: tern --check exits 2 naming FILE and WHY
refused() {
	local out rc=0

	out=$(in_s "$TERN" --dev "$DEV_S" --bpffs "$NET_BPFFS" --addr "$IP4_S" --port "$PORT" \
		--cookie-secret "$1" --check 2>&1) || rc=$?
	echo "    $out"
	[ "$rc" = 2 ] || fail "exit $rc"
	grep -q "Error: --cookie-secret $1: $2" <<<"$out" || fail "not the expected error"
}

t_check_refuses() {
	local out

	secret ok
	out=$(in_s "$TERN" --dev "$DEV_S" --bpffs "$NET_BPFFS" --addr "$IP4_S" --port "$PORT" \
		--queues 2 --cookie-secret "$NET_TMP/ok" --check 2>&1) || fail "a good file refused: $out"
	cp "$NET_TMP/ok" "$NET_TMP/wide"
	chmod 644 "$NET_TMP/wide"
	refused "$NET_TMP/wide" "mode 0644"
	cp "$NET_TMP/ok" "$NET_TMP/theirs"
	chown nobody "$NET_TMP/theirs"
	refused "$NET_TMP/theirs" "not owned by tern's user"
	(umask 077 && head -c 31 /dev/urandom >"$NET_TMP/short")
	refused "$NET_TMP/short" "31 bytes"
}

net_setup
trap fleet_cleanup EXIT
ip netns add "$NS_B"
ip link add "$DEV_B" numrxqueues 2 numtxqueues 2 netns "$NS_B" type veth \
	peer name "$DEV_CB" numrxqueues 2 numtxqueues 2 netns "$NS_C"
ip -n "$NS_B" addr add "$IP4_S/24" dev "$DEV_B"
ip -n "$NS_B" link set lo up
ip -n "$NS_B" link set "$DEV_B" up
ip -n "$NS_C" link set "$DEV_CB" up
ip netns exec "$NS_B" ethtool -K "$DEV_B" rxvlan off rx-vlan-stag-hw-parse off >/dev/null
fleet_cleanup() {
	local rc=$? pid

	set +e
	for pid in $(ip netns pids "$NS_B" 2>/dev/null); do
		kill "$pid" 2>/dev/null || true
	done
	ip netns del "$NS_B" 2>/dev/null
	(exit "$rc")
	net_cleanup
}
# A's XDP_TX SYN-ACKs reach the client veth only when it runs XDP
in_c ip link set dev "$DEV_C" xdpdrv obj "$PASS_OBJ" sec xdp || net_die "XDP_PASS on $DEV_C"
MAC_S=$(mac_of "$NS_S" "$DEV_S")
MAC_B=$(mac_of "$NS_B" "$DEV_B")

secret k1
printf 'cookie-secret = %s\n' "$NET_TMP/k1" >"$NET_TMP/tern.conf"
start_host a --config "$NET_TMP/tern.conf" --xdp-cookies always || net_die "A did not start"
start_host b --config "$NET_TMP/tern.conf" --xdp-cookies never --syncookies always ||
	net_die "B did not start"

t_run "A's XDP cookie establishes on B (same secret)" t_xdp_a_to_b
t_run "B's worker cookie establishes on A" t_worker_b_to_a
t_run "rotate-secret: previous key within its window, new key in XDP" t_rotate
t_run "rotate-secret: the same file changes nothing, a 0644 file is refused" t_rotate_same_and_refused
t_run "reload of a changed file rotates; two rotations old fails" t_reload_rotates
t_run "tern --check refuses 0644, another owner, 31 bytes" t_check_refuses

net_finish
