# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# Shared helpers for the veth + netns tests. A test sets NET_SUITE, sources
# this file, calls net_setup, runs its checks with t_run and ends with
# net_finish, which prints "<suite>: N passed, M failed, K not run" (tests/run.sh
# parses it). Exit code: 0 all passed, 1 a failure, 77 something was
# skipped because the kernel lacks a feature (TERN_TEST_STRICT=1 in
# tests/run.sh counts that as a failure). A check that cannot run on this
# machine for a documented reason is reported with not_run, by name, and
# tests/run.sh compares the names with tests/not_run.allowed.
#
# After net_setup:
#   NS_S, NS_C       server namespace (where tern runs) and client namespace
#   DEV_S, DEV_C     the veth ends, NET_QUEUES (default 2) RX and TX queues
#                    each, rx-vlan-offload off on DEV_S
#   IP4_S, IP4_C     10.200.X.1 and 10.200.X.2 (/24)
#   IP6_S, IP6_C     fd00:200::1 and fd00:200::2 (/64, no DAD)
#   NET_TMP          a temporary directory under /run
#   NET_BPFFS        a bpffs mounted for this run: `ip netns exec` remounts
#                    /sys, and every bpffs mount is a separate instance, so
#                    pins are shared between processes through this one
# Set when sourced: NET_DIR, this folder (tests/net, for its Python helpers).
# Everything is removed on every exit path (trap on EXIT, INT, TERM, HUP).
NET_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
set -euo pipefail

NET_SUITE=${NET_SUITE:-net}
NET_PASSED=0
NET_FAILED=0
NET_SKIPPED=0
NET_NOT_RUN=0
NET_DONE=0
NET_IN_TEST=0
NET_TMP=
NET_BPFFS=

# Per-run suffix: the pid keeps concurrent runs apart, RANDOM a pid reused
# after a crashed run. Interface names stay within 15 characters.
NET_SUFFIX=$(($$ % 100000))$((RANDOM % 1000))
NS_S=tern-s-$NET_SUFFIX
NS_C=tern-c-$NET_SUFFIX
DEV_S=ts$NET_SUFFIX
DEV_C=tc$NET_SUFFIX
NET_X=$(($$ % 250 + 1))
IP4_S=10.200.$NET_X.1
IP4_C=10.200.$NET_X.2
IP6_S=fd00:200::1
IP6_C=fd00:200::2

in_s() { ip netns exec "$NS_S" "$@"; }
in_c() { ip netns exec "$NS_C" "$@"; }

# Records a background process (by pid) for the cleanup.
net_bg_pid() { echo "$1" >>"$NET_TMP/pids"; }

net_summary() {
	[ "$NET_SKIPPED" = 0 ] || echo "$NET_SUITE: $NET_SKIPPED skipped"
	echo "$NET_SUITE: $NET_PASSED passed, $NET_FAILED failed, $NET_NOT_RUN not run"
	NET_DONE=1
}

# not_run NAME REASON...: a check this machine cannot run, outside t_run.
# Prints "not run: NAME" on its own line (tests/run.sh collects the names
# and, under TERN_TEST_STRICT=1, fails when they differ from
# tests/not_run.allowed) and the reason on the next.
not_run() {
	local name=$1

	shift
	echo "not run: $name"
	echo "    reason: $*"
	NET_NOT_RUN=$((NET_NOT_RUN + 1))
}

# Only for a kernel feature that is missing: in a t_run check it skips that
# check; outside, it ends the suite with exit code 77.
skip() {
	echo "SKIP: $*"
	if [ "$NET_IN_TEST" = 1 ]; then
		exit 77
	fi
	NET_SKIPPED=$((NET_SKIPPED + 1))
	net_summary
	exit 77
}

# Inside a check: `cond || fail "why"` ends the check as failed.
fail() {
	echo "    FAIL: $*" >&2
	return 1
}

# Setup failed: counts one failure and ends the suite.
net_die() {
	echo "Error: $NET_SUITE: $*" >&2
	NET_FAILED=$((NET_FAILED + 1))
	net_summary
	exit 1
}

net_kill_bg() {
	local pid ns

	if [ -f "$NET_TMP/pids" ]; then
		while read -r pid; do
			kill "$pid" 2>/dev/null || true
		done <"$NET_TMP/pids"
	fi
	for ns in "$NS_S" "$NS_C"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null || true
		done
	done
}

net_cleanup() {
	local rc=$?

	set +e
	trap - EXIT INT TERM HUP
	if [ "$NET_DONE" = 0 ] && [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		echo "Error: $NET_SUITE: aborted (exit $rc)" >&2
		NET_FAILED=$((NET_FAILED + 1))
		net_summary
	fi
	[ -n "$NET_TMP" ] && net_kill_bg
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	if [ -n "$NET_BPFFS" ] && mountpoint -q "$NET_BPFFS"; then
		umount "$NET_BPFFS" || umount -l "$NET_BPFFS"
	fi
	[ -n "$NET_TMP" ] && rm -rf "$NET_TMP"
	exit "$rc"
}

trap net_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

net_need() {
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null || net_die "$c not found (make deps)"
	done
}

net_veth() {
	local q=${NET_QUEUES:-2}

	ip link add "$DEV_S" numrxqueues "$q" numtxqueues "$q" netns "$NS_S" type veth \
		peer name "$DEV_C" numrxqueues "$q" numtxqueues "$q" netns "$NS_C"
	ip -n "$NS_S" addr add "$IP4_S/24" dev "$DEV_S"
	ip -n "$NS_C" addr add "$IP4_C/24" dev "$DEV_C"
	ip -n "$NS_S" -6 addr add "$IP6_S/64" dev "$DEV_S" nodad
	ip -n "$NS_C" -6 addr add "$IP6_C/64" dev "$DEV_C" nodad
	ip -n "$NS_S" link set lo up
	ip -n "$NS_C" link set lo up
	ip -n "$NS_S" link set "$DEV_S" up
	ip -n "$NS_C" link set "$DEV_C" up
	# A local veth peer sends partial checksums; tern checks them.
	in_c ethtool -K "$DEV_C" tx off tso off gso off >/dev/null
	# veth strips VLAN tags into metadata XDP does not see; tern refuses
	# to start on it until the operator turns that off.
	in_s ethtool -K "$DEV_S" rxvlan off rx-vlan-stag-hw-parse off >/dev/null
	# tern's GSO frames (--tx-gso) are cut into segments by its veth, as
	# a NIC's TSO puts segments on the wire: captures and raw clients on
	# the other side see what a client on a network would.
	in_s ethtool -K "$DEV_S" tso off >/dev/null
}

net_setup() {
	[ "$(id -u)" = 0 ] || net_die "must be run as root"
	net_need ip ethtool python3 mountpoint
	NET_TMP=$(mktemp -d /run/tern-test.XXXXXX)
	NET_BPFFS=$NET_TMP/bpffs
	mkdir "$NET_BPFFS"
	mount -t bpf bpf "$NET_BPFFS" || skip "cannot mount a bpffs"
	ip netns add "$NS_S"
	ip netns add "$NS_C"
	net_veth
}

# t_run NAME CMD [ARGS]: one counted check, run in a subshell under set -e.
t_run() {
	local name=$1 rc

	shift
	set +e
	(
		NET_IN_TEST=1
		set -e
		"$@"
	)
	rc=$?
	set -e
	case $rc in
	0)
		NET_PASSED=$((NET_PASSED + 1))
		echo "ok    $name"
		;;
	77)
		NET_SKIPPED=$((NET_SKIPPED + 1))
		echo "skip  $name"
		;;
	*)
		NET_FAILED=$((NET_FAILED + 1))
		echo "FAIL  $name"
		;;
	esac
}

# Polls CMD (up to about 5 s) until it succeeds.
wait_until() {
	for _ in $(seq 50); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# wait_long CMD: wait_until for up to 30 s
wait_long() {
	for _ in $(seq 300); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# net_tern_arg "$@": the suites' one argument, the build directory; sets
# TERN to its tern binary (exit 2 when missing).
net_tern_arg() {
	[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
	TERN=$(realpath "$1/tern")
	[ -x "$TERN" ] || { echo "Error: $TERN: not built (make)" >&2; exit 2; }
}

# tern_start ARGS...: run $TERN in the server namespace with --dev $DEV_S
# --bpffs $NET_BPFFS and ARGS. Its pid goes to tern.pid (exec keeps it),
# its exit code to tern.rc when it ends, its output to tern.log. Returns
# once it says it is ready, or 1 (after printing its log) if it never does.
# Without an --xdp-cookies in ARGS it runs with --xdp-cookies never: the
# suites test the workers' own SYN path, and on veth the SYN-ACKs XDP
# sends (XDP_TX) reach the client only when the client veth runs an XDP
# program, as in test_xdpsyn.sh, which asks for XDP cookies.
tern_start() {
	local xc=(--xdp-cookies never)

	case " $* " in *" --xdp-cookies "*) xc=() ;; esac
	rm -f "$NET_TMP/tern.pid" "$NET_TMP/tern.rc"
	(
		set +e
		sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$NET_TMP/tern.pid" \
			ip netns exec "$NS_S" "$TERN" --dev "$DEV_S" --bpffs "$NET_BPFFS" "${xc[@]}" "$@" \
			>"$NET_TMP/tern.log" 2>&1 &
		wait $! # (waiting on a background job keeps bash quiet about SIGKILL)
		echo $? >"$NET_TMP/tern.rc"
	) 2>/dev/null &
	net_bg_pid $!
	wait_until test -s "$NET_TMP/tern.pid"
	net_bg_pid "$(cat "$NET_TMP/tern.pid")"
	# (a "<6>" priority first when stderr is the journal's stream)
	if ! wait_until grep -Eq '^(<6>)?tern: ready' "$NET_TMP/tern.log"; then
		sed 's/^/    /' "$NET_TMP/tern.log" >&2
		return 1
	fi
}

tern_pid() { cat "$NET_TMP/tern.pid"; }

# xps_queue0: every frame the client sends goes through veth queue 0 (so
# tern's queue 0), as a NIC's RSS keeps one tuple on one queue; a raw
# generator's queue would follow its CPU and a socket's a random hash.
# Returns 1 when XPS cannot be set.
xps_queue0() {
	local q all

	all=$(printf '%x' $(((1 << $(nproc)) - 1)))
	in_c sh -c "echo $all >/sys/class/net/$DEV_C/queues/tx-0/xps_cpus" || return 1
	for ((q = 1; q < ${NET_QUEUES:-2}; q++)); do
		in_c sh -c "echo 0 >/sys/class/net/$DEV_C/queues/tx-$q/xps_cpus" || return 1
	done
}

# mac_of NS DEV: the MAC address of DEV in namespace NS
mac_of() { ip -n "$1" -j link show "$2" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["address"])'; }

net_finish() {
	net_summary
	[ "$NET_FAILED" = 0 ] || exit 1
	[ "$NET_SKIPPED" = 0 ] || exit 77
	exit 0
}
