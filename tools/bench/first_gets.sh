#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The first 1 MiB GETs after a server starts, in the loss step's set-up of
# bench_net.sh (one queue, the client on CPU 0, the server on CPU 1, loss0
# on the client veth). For each server in SERVERS, started afresh: RUNS
# runs of N GETs, each GET's time in ms, and the server process's CPU
# time over the run (perf stat task-clock), or with FIRST_PERF=1 perf
# record's samples of the server (OUT_DIR/NAME.RUN.perf.data, no call
# graphs) and, per run, its samples in the functions that first touch
# UMEM pages. Prints, never asserts. Wall-clock figures need a quiet
# machine (flock /tmp/tern-bench.lock); the CPU time and samples less so.
#   SERVERS   tern binaries (paths) or "nginx" (default: BUILD_DIR/tern nginx)
#   RUNS      runs per server start (default 2)
#   N         GETs per run (default 8)
#   tools/bench/first_gets.sh BUILD_DIR OUT_DIR
set -euo pipefail
RUNS=${RUNS:-2}
N=${N:-8}

# N GETs on new connections, each one's ms on one line.
gets_ms() {
	taskset -c "$GEN_CPU" ip netns exec "$NS_C" python3 -c 'import sys
sys.path.insert(0, sys.argv[1])
import nethelp
addr, port, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
req = ("GET /big HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % addr).encode()
buf = bytearray(1 << 18)
print(" ".join("%.2f" % (nethelp.get_one(addr, port, req, buf)[1] * 1000) for _ in range(n)))' \
		"$HERE" "$IP4_S" "$PORT" "$N"
}

# Samples of the server in the functions that touch UMEM pages first:
# the kernel's copy of a received frame into them (__xsk_rcv's memcpy),
# tern's first read of it (parse_l3), the GSO frame's copy out of them.
touch_samples() {
	perf report -i "$1" --no-children --sort sym -g none -q -n 2>/dev/null | awk '
		{ n += $2 }
		$NF == "parse_l3" || $NF == "_copy_from_iter" || $NF == "__pi_memcpy" { s[$NF] = $2 }
		END { printf "samples %d: parse_l3 %d, _copy_from_iter %d, __pi_memcpy %d",
			n, s["parse_l3"], s["_copy_from_iter"], s["__pi_memcpy"] }'
}

trace() {
	local s pid name r perf_pid

	mkdir -p "$NET_TMP/www"
	head -c $((1 << 20)) /dev/urandom >"$NET_TMP/www/big"
	for s in ${SERVERS:-$TERN nginx}; do
		if [ "$s" = nginx ]; then
			nginx_files_up
			pid=$(pgrep -P "$(cat "$NET_TMP/nginx.pid")")
			name=nginx
		else
			TERN=$s
			tern_up --app http --http-body "$NET_TMP/www/big"
			pid=$(cat "$NET_TMP/tern.pid")
			name=$(basename "$(dirname "$s")")
		fi
		xdp_on "$NS_C" "$DEV_C" "$XDP_OBJS/loss0.bpf.o"
		for r in $(seq "$RUNS"); do
			if [ -n "${FIRST_PERF:-}" ]; then
				perf record -q -F 9999 -p "$pid" -o "$OUT/$name.$r.perf.data" >/dev/null 2>&1 &
			else
				perf stat -e task-clock -p "$pid" -o "$OUT/stat" &
			fi
			perf_pid=$!
			sleep 0.3 # perf attached
			gets_ms >"$OUT/ms"
			kill -INT "$perf_pid"
			wait "$perf_pid" || true
			if [ -n "${FIRST_PERF:-}" ]; then
				say "  $s run $r: $(cat "$OUT/ms") ms; $(touch_samples "$OUT/$name.$r.perf.data")"
			else
				say "  $s run $r: $(cat "$OUT/ms") ms; CPU $(awk '/task-clock/ { print $1 }' "$OUT/stat") ms"
			fi
		done
		xdp_off "$NS_C" "$DEV_C"
		if [ "$s" = nginx ]; then stop nginx; else stop tern; fi
	done
}

export BENCH_STEPS=trace
# shellcheck source=bench_net.sh
. "$(dirname "$0")/bench_net.sh"
