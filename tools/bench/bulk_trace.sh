#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# 1 MiB GETs traced end to end, tern --app http against nginx (1 worker,
# sendfile), in the loss step's set-up of bench_net.sh (one queue, the
# client on CPU 0, the server on CPU 1, loss0 on the client veth). For
# each server and round: TRACE_N GETs under tcpdump on the client veth
# (OUT_DIR/NAME.pcap, for gets_pcap.py), then GETS GETs with the CPU time
# per GET of the server process (utime + stime from /proc, softirq work
# run in its context included) and of the client (/usr/bin/time; its
# Python start-up, 0.2-0.5 s here, included), the
# client's TCP segments in and out (nstat), every CPU's busy time, and
# tern's counters (ternctl stats). Prints, never asserts.
#   TRACE_SERVERS   servers in order (default "tern nginx"); tern_b runs
#                   the tern binary TERN_B, to compare two builds
#   ROUNDS          rounds over TRACE_SERVERS (default 1)
#   TERN_ARGS       more tern options
#   TRACE_PERF=1    also `perf record -a -g` over GETS more GETs
#   SS_SAMPLE=1     sample nginx's cwnd with ss in a busy loop (costs CPU)
#   BENCH_CLIENT_NAPI=threaded  the client veth's receive work in NAPI
#                   threads pinned to the client's CPU, as on a real
#                   network, instead of softirq on the sending CPU
#   tools/bench/bulk_trace.sh BUILD_DIR OUT_DIR
set -euo pipefail
TRACE_N=${TRACE_N:-3}
GETS=${GETS:-200}
TRACE_SERVERS=${TRACE_SERVERS:-"tern nginx"}
TERN_ARGS=${TERN_ARGS:-}

# Busy jiffies of each CPU: "cpu user+nice system softirq idle" per line.
cpu_busy() { awk '$1 ~ /^cpu[0-9]/ { print $1, $2 + $3, $4, $7 + $8, $5 + $6 }' /proc/stat; }

# The per-CPU busy time between two cpu_busy snapshots, ms per GET.
busy_per_get() {
	paste -d' ' "$1" "$2" | awk -v n="$3" -v hz="$(getconf CLK_TCK)" '{
		f = 1000 / hz / n
		printf "  %s: user %.3f sys %.3f softirq %.3f idle %.3f ms per GET\n",
			$1, ($7 - $2) * f, ($8 - $3) * f, ($9 - $4) * f, ($10 - $5) * f }'
}

# CPU ticks (user, system: softirq work that interrupted it included) of
# a process and all its threads.
ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }

trace_one() { # trace_one NAME SERVER_PID
	local name=$1 spid=$2 pid ss_pid su0 ss0 su1 ss1 cu cs

	xdp_on "$NS_C" "$DEV_C" "$XDP_OBJS/loss0.bpf.o"
	client_napi
	if [ "$TRACE_N" -gt 0 ]; then
		ip netns exec "$NS_C" tcpdump --immediate-mode -i "$DEV_C" -s 96 -w "$OUT/$name.pcap" -U >/dev/null 2>&1 &
		pid=$!
		sleep 0.5
		"${client_get[@]}" "$TRACE_N" 1 >/dev/null
		sleep 0.2
		kill "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	in_c nstat -n
	# SS_SAMPLE=1: the server's congestion state as Linux reports it
	# (nginx only), sampled in a busy loop (it takes CPU from the run)
	ss_pid=
	if [ -n "${SS_SAMPLE:-}" ]; then
		ip netns exec "$NS_S" sh -c 'while :; do ss -tinH state established "( sport = :80 )"; done' \
			>"$OUT/$name.ss" 2>/dev/null &
		ss_pid=$!
	fi
	cpu_busy >"$OUT/$name.cpu0"
	read -r su0 ss0 <<<"$(ticks "$spid")"
	/usr/bin/time -f "%U %S" -o "$OUT/$name.client-time" "${client_get[@]}" "$GETS" 1 \
		>"$OUT/$name.get"
	read -r su1 ss1 <<<"$(ticks "$spid")"
	cpu_busy >"$OUT/$name.cpu1"
	read -r cu cs <"$OUT/$name.client-time"
	awk -v n="$GETS" -v hz="$(getconf CLK_TCK)" -v su=$((su1 - su0)) -v ss=$((ss1 - ss0)) \
		-v cu="$cu" -v cs="$cs" 'BEGIN {
		printf "  ms per GET: server user %.3f sys %.3f, client user %.3f sys %.3f\n",
			su * 1000 / hz / n, ss * 1000 / hz / n, cu * 1000 / n, cs * 1000 / n }' |
		tee "$OUT/$name.proc" >&2
	if [ -n "$ss_pid" ]; then
		kill "$ss_pid"
		wait "$ss_pid" 2>/dev/null || true
	fi
	in_c nstat >"$OUT/$name.client-nstat"
	awk -v n="$GETS" '$1 == "TcpInSegs" { i = $2 } $1 == "TcpOutSegs" { o = $2 }
		END { printf "  client per GET: %.1f segments in, %.1f out\n", i / n, o / n }' \
		"$OUT/$name.client-nstat" | tee "$OUT/$name.segs" >&2
	say "  $name: $(cat "$OUT/$name.get")"
	busy_per_get "$OUT/$name.cpu0" "$OUT/$name.cpu1" "$GETS" | tee "$OUT/$name.busy" >&2
	[ -z "${TRACE_PERF:-}" ] ||
		perf record -a -g -F 2999 -o "$OUT/$name.perf.data" -- "${client_get[@]}" "$GETS" 1 \
			>/dev/null 2>&1
	xdp_off "$NS_C" "$DEV_C"
}

trace() {
	local tern_a=$TERN
	# the client: GETs of /big on the client's CPU; append N RUNS
	client_get=(taskset -c "$GEN_CPU" ip netns exec "$NS_C" python3 "$HELP" get "$IP4_S" "$PORT" /big)

	mkdir -p "$NET_TMP/www"
	head -c $((1 << 20)) /dev/urandom >"$NET_TMP/www/big"
	for r in $(seq "${ROUNDS:-1}"); do for s in $TRACE_SERVERS; do
		case $s in
		tern | tern_b)
			# tern_b: the tern binary TERN_B (a build to compare with)
			TERN=$tern_a
			[ "$s" = tern ] || TERN=$TERN_B
			# shellcheck disable=SC2086
			tern_up --app http --http-body "$NET_TMP/www/big" $TERN_ARGS
			trace_one "$s$r" "$(cat "$NET_TMP/tern.pid")"
			taskset -c "$GEN_CPU" ip netns exec "$NS_S" "$BUILD/tools/ternctl" stats \
				--dev "$DEV_S" --bpffs "$NET_BPFFS" --ctl "$CTL" >"$OUT/$s$r.stats" 2>&1 || true
			stop tern
			;;
		nginx)
			nginx_files_up
			trace_one "nginx$r" "$(pgrep -P "$(cat "$NET_TMP/nginx.pid")")"
			stop nginx
			;;
		esac
	done; done
}

export BENCH_STEPS=trace
# shellcheck source=bench_net.sh
. "$(dirname "$0")/bench_net.sh"
