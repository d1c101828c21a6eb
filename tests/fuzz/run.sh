#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Run the core's libFuzzer target on a copy of the seed corpus.
#   tests/fuzz/run.sh BIN SECONDS
# Exits non-zero on any crash or sanitizer report; the last line is
# "fuzz: 1 passed, 0 failed" or "fuzz: 0 passed, 1 failed".
set -euo pipefail

usage() {
	echo "usage: $0 BIN SECONDS" >&2
	exit 2
}

[ $# -eq 2 ] || usage
bin=$1
secs=$2
if ! [[ $secs =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
	usage
fi
[ -x "$bin" ] || { echo "Error: $bin: not an executable" >&2; exit 2; }

seeds=$(cd "$(dirname "$0")" && pwd)/corpus
work=$(mktemp -d /tmp/tern-fuzz.XXXXXX)
keep=0
cleanup() {
	[ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"
log=$work/fuzz.log

nseeds=$(find "$work/corpus" -type f | wc -l)
echo "fuzz: $bin for ${secs}s on $nseeds seeds (work dir $work)"
rc=0
"$bin" "$work/corpus" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=25 \
	-max_len=4096 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	>"$log" 2>&1 || rc=$?
tail -n 25 "$log"

if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|libFuzzer|UndefinedBehaviorSanitizer)|runtime error:|SUMMARY: ' "$log"; then
	keep=1
	echo "Error: fuzz: exit status $rc; log and reproducers kept in $work" >&2
	ls -l "$work/artifacts" >&2 || true
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
echo "fuzz: 1 passed, 0 failed"
