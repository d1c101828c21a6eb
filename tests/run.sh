#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs every test suite and prints one closing line "N passed, N failed".
# A suite prints its own "<suite>: N passed, N failed[, K not run]" line;
# a suite without that line fails, whatever its exit code. Exit code 77
# means "skipped because the kernel lacks a feature", which counts as a
# failure when TERN_TEST_STRICT=1 (CI). A check a suite cannot run on this
# machine is printed as "not run: NAME"; the run lists every such name as
# "not run: SUITE: NAME" before the closing line, and under
# TERN_TEST_STRICT=1 fails when that list differs from tests/not_run.allowed
# (docs/testing.md).
# TERN_TEST_SUITES="unit net-xdp ..." runs only those suites (the allow-list
# is then compared for them only).
# usage: tests/run.sh BUILD_DIR FUZZ_SECONDS
set -uo pipefail
build=${1:-build}
fuzz_seconds=${2:-60}
allowed_file=$(cd "$(dirname "$0")" && pwd)/not_run.allowed
passed=0
failed=0
log=$(mktemp)
not_run=$(mktemp)
ran=$(mktemp)
trap 'rm -f "$log" "$not_run" "$ran"' EXIT

suite() {
	local name=$1 rc line p f n names
	shift
	if [ -n "${TERN_TEST_SUITES:-}" ] && [[ " $TERN_TEST_SUITES " != *" $name "* ]]; then
		return 0
	fi
	echo "$name" >>"$ran"
	echo "== $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[a-z0-9_-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$name: no summary line (exit $rc): counted as a failure"
		p=0
		f=1
		n=0
	else
		p=$(sed -E 's/^[^:]+: ([0-9]+) passed.*/\1/' <<<"$line")
		f=$(sed -E 's/^[^:]+: [0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
		n=0
		if [[ $line =~ ,\ ([0-9]+)\ not\ run ]]; then
			n=${BASH_REMATCH[1]}
		fi
	fi
	names=$(grep -E '^not run: ' "$log" | sed "s/^not run: /$name: /")
	if [ "$(grep -c . <<<"$names")" != "$n" ]; then
		echo "$name: summary says $n not run, but names $(grep -c . <<<"$names"): counted as a failure"
		f=$((f + 1))
	fi
	[ -z "$names" ] || echo "$names" >>"$not_run"
	if [ "$rc" = 77 ]; then
		echo "$name: SKIPPED (kernel lacks a feature)"
		if [ "${TERN_TEST_STRICT:-0}" = 1 ]; then
			echo "$name: skip counted as failure (TERN_TEST_STRICT=1)"
			f=$((f + 1))
		fi
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "$name: exited $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

# Compares the checks that did not run with the allow-list (comments and
# blank lines ignored); under TERN_TEST_STRICT=1 a difference is a failure.
check_not_run() {
	local got want

	got=$(sort -u "$not_run")
	want=$(grep -Ev '^[[:space:]]*(#|$)' "$allowed_file" 2>/dev/null |
		grep -F -f <(sed 's/$/: /' "$ran") | sort -u)
	[ -z "$got" ] || sed 's/^/not run: /' <<<"$got"
	echo "$(grep -c . <<<"$got") not run"
	[ "$got" != "$want" ] || return 0
	echo "not-run list differs from $allowed_file (< not run here, > allowed):"
	diff <(grep . <<<"$got") <(grep . <<<"$want") | grep -E '^[<>]'
	if [ "${TERN_TEST_STRICT:-0}" = 1 ]; then
		echo "not-run list counted as a failure (TERN_TEST_STRICT=1)"
		failed=$((failed + 1))
	fi
}

suite unit "$build/tests/unit-tests"
suite fuzz tests/fuzz/run.sh "$build/tests/fuzz-core" "$fuzz_seconds"
# Network suites: namespaces + veth + XDP + AF_XDP, root only.
suite net-xdp tests/net/test_xdp.sh "$build"
# XDP SYN-ACKs against the core's, BPF_PROG_TEST_RUN (root, no interface)
suite xdpsyn "$build/tests/xdpsyn-check" "$build/bpf/tern.bpf.o"
# XDP steering of ICMP errors for service flows, BPF_PROG_TEST_RUN (root, no interface)
suite xdpicmp "$build/tests/xdpicmp-check" "$build/bpf/tern.bpf.o"
suite net-xdpsyn tests/net/test_xdpsyn.sh "$build"
suite net-fleet tests/net/test_fleet.sh "$build"
suite net-echo tests/net/test_echo.sh "$build"
suite net-queues tests/net/test_queues.sh "$build"
suite net-http tests/net/test_http.sh "$build"
suite net-pmtu tests/net/test_pmtu.sh "$build"
suite net-ctl tests/net/test_ctl.sh "$build"
suite net-wire tests/net/test_wire.sh "$build"
suite net-embed tests/net/test_embed.sh "$build"
suite net-benchtools tests/net/test_benchtools.sh "$build"
suite net-ops tests/net/test_ops.sh "$build"
suite net-proxy tests/net/test_proxy.sh "$build"
suite net-proxyflood tests/net/test_proxyflood.sh "$build"
suite net-malformed tests/net/test_malformed.sh "$build"
suite net-datapath tests/net/test_datapath.sh "$build"
suite net-flood tests/net/test_flood.sh "$build"
suite net-exhaust tests/net/test_exhaust.sh "$build"
suite net-fault tests/net/test_fault.sh "$build"
suite net-bgp tests/net/test_bgp.sh "$build"
# tern under valgrind, on the plain build in $build/vg (make vg; make test does it)
suite net-valgrind tests/net/test_valgrind.sh "$build"
suite soak tests/soak/soak.sh "$build" 45

check_not_run
echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ]
