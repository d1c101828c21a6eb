#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs every test suite and prints one closing line "N passed, N failed".
# A suite prints its own "<suite>: N passed, N failed" line; exit code 77
# means "skipped because the kernel lacks a feature", which counts as a
# failure when TERN_TEST_STRICT=1 (CI).
# usage: tests/run.sh BUILD_DIR FUZZ_SECONDS
set -uo pipefail
build=${1:-build}
fuzz_seconds=${2:-60}
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

suite() {
	local name=$1 rc line p f
	shift
	echo "== $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[a-z0-9_-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(sed -E 's/^[^:]+: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	[ -n "$line" ] || { p=0; f=0; }
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

suite unit "$build/tests/unit-tests"
suite fuzz tests/fuzz/run.sh "$build/tests/fuzz-core" "$fuzz_seconds"
# Network suites: namespaces + veth + XDP + AF_XDP, root only.
suite net-xdp tests/net/test_xdp.sh "$build"
# XDP SYN-ACKs against the core's, BPF_PROG_TEST_RUN (root, no interface)
suite xdpsyn "$build/tests/xdpsyn-check" "$build/bpf/tern.bpf.o"
suite net-xdpsyn tests/net/test_xdpsyn.sh "$build"
suite net-echo tests/net/test_echo.sh "$build"
suite net-http tests/net/test_http.sh "$build"
suite net-ctl tests/net/test_ctl.sh "$build"
suite net-wire tests/net/test_wire.sh "$build"
suite net-embed tests/net/test_embed.sh "$build"
suite net-benchtools tests/net/test_benchtools.sh "$build"
suite net-ops tests/net/test_ops.sh "$build"
suite net-proxy tests/net/test_proxy.sh "$build"
suite net-malformed tests/net/test_malformed.sh "$build"
suite net-flood tests/net/test_flood.sh "$build"
suite net-exhaust tests/net/test_exhaust.sh "$build"
suite net-fault tests/net/test_fault.sh "$build"
# tern under valgrind, on the plain build in $build/vg (make vg; make test does it)
suite net-valgrind tests/net/test_valgrind.sh "$build"
suite soak tests/soak/soak.sh "$build" 45

echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ]
