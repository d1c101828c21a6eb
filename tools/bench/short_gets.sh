#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The latency distribution of short GETs under loss, tern --app http vs
# nginx, in the loss step's set-up: this runs tools/bench/bench_net.sh
# with one step of its own (short_dist, handed over as an exported
# function), so the namespaces, CPUs, sysctls, tern_up, nginx_files_up
# and the loss programs are the loss step's. 20 KB bodies, one new
# connection per GET (`Connection: close`), random loss of
# server-to-client frames by XDP on the client veth. For every server and
# loss percentage: how many GETs took over 5, 150, 900 and 1,900 ms
# (OUT_DIR/summary.txt); with SHORT_PCAP=1 also captures on both veth
# ends and lists, for every GET over SHORT_SLOW_MS, which frames were
# lost and when they went again (OUT_DIR/SERVER.PCT.slow.txt,
# short_gets_pcap.py; tern's side through `ternctl capture`, as AF_XDP's
# copy-mode TX passes no packet tap). tern's counters go to
# OUT_DIR/tern.stats. Needs root; wrap timing runs in
# flock /tmp/tern-bench.lock.
#   tools/bench/short_gets.sh BUILD_DIR OUT_DIR
# SHORT_PCTS (default "0 1 3"), SHORT_N (GETs per cell, 2000),
# SHORT_SERVERS ("tern nginx"), SHORT_TERN_OPTS (tern's extra options),
# SHORT_PCAP (0; 1: both sides; client: the client's side only, which
# leaves the server alone), SHORT_SLOW_MS (150), SHORT_RTT_MS (unset: a
# round trip over the delayed path of bench_net.sh's step wan),
# SHORT_LINUX_CC (nginx's congestion control; unset: the host's).
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR OUT_DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$2"
export SHORT_PCTS=${SHORT_PCTS:-"0 1 3"} SHORT_N=${SHORT_N:-2000}
export SHORT_SERVERS=${SHORT_SERVERS:-"tern nginx"} SHORT_PCAP=${SHORT_PCAP:-0}
export SHORT_SLOW_MS=${SHORT_SLOW_MS:-150} SHORT_TERN_OPTS=${SHORT_TERN_OPTS:-}
export SHORT_RTT_MS=${SHORT_RTT_MS:-} SHORT_LINUX_CC=${SHORT_LINUX_CC:-}

# The captures of one cell (SHORT_PCAP): short_cap NAME SERVER.
short_cap() {
	[ "$SHORT_PCAP" != 0 ] || return 0
	bg cap_c ip netns exec "$NS_C" tcpdump -i "$DEV_C" -s 96 -B 32768 -U \
		-w "$OUT/$1.c.pcap" tcp port "$PORT"
	if [ "$SHORT_PCAP" = 1 ] && [ "$2" = tern ]; then
		bg cap_s ip netns exec "$NS_S" "$BUILD/tools/ternctl" capture --ctl "$CTL" \
			--dev "$DEV_S" --file "$OUT/$1.s.pcap" --filter "tcp port $PORT"
	elif [ "$SHORT_PCAP" = 1 ]; then
		bg cap_s ip netns exec "$NS_S" tcpdump -i "$DEV_S" -s 96 -B 32768 -U \
			-w "$OUT/$1.s.pcap" tcp port "$PORT"
	fi
	sleep 1
}

# short_cap_end NAME: stop the captures, list the slow GETs' losses.
short_cap_end() {
	[ "$SHORT_PCAP" != 0 ] || return 0
	sleep 1
	stop cap_c
	[ "$SHORT_PCAP" = 1 ] || return 0
	stop cap_s
	python3 "$HERE/short_gets_pcap.py" "$OUT/$1.s.pcap" "$OUT/$1.c.pcap" "$OUT/$1.lat" \
		"$PORT" "$SHORT_SLOW_MS" >"$OUT/$1.slow.txt"
}

# short_cell SERVER PCT: SHORT_N GETs through the loss program.
short_cell() {
	local name=$1.$2 out

	xdp_on "$NS_C" "$DEV_C" "$XDP_OBJS/loss$2.bpf.o"
	client_napi
	short_cap "$name" "$1"
	out=$(taskset -c "$GEN_CPU" ip netns exec "$NS_C" python3 "$HELP" getdist "$IP4_S" "$PORT" \
		/small "$SHORT_N" "$OUT/$name.lat")
	short_cap_end "$name"
	xdp_off "$NS_C" "$DEV_C"
	say "  $1 $2 %: $out"
	echo "$1 $2 % $out" >>"$OUT/summary.txt"
}

# The step bench_net.sh runs (BENCH_STEPS=short_dist).
short_dist() {
	local srv pct

	say "short GETs: $SHORT_N x 20 KB per cell, loss ${SHORT_PCTS// /, } %," \
		"servers $SHORT_SERVERS; $(uptime)"
	mkdir -p "$NET_TMP/www"
	head -c 20480 /dev/urandom >"$NET_TMP/www/small"
	[ -z "$SHORT_RTT_MS" ] || { wan_on "$SHORT_RTT_MS" && say "  $WAN_RTT"; }
	for srv in $SHORT_SERVERS; do
		if [ "$srv" = tern ]; then
			# shellcheck disable=SC2086 # the options are words
			tern_up --app http --http-body "$NET_TMP/www/small" $SHORT_TERN_OPTS
		else
			nginx_files_up "$SHORT_LINUX_CC"
		fi
		for pct in $SHORT_PCTS; do
			short_cell "$srv" "$pct"
		done
		[ "$srv" != tern ] || ip netns exec "$NS_S" "$BUILD/tools/ternctl" stats --dev "$DEV_S" \
			--ctl "$CTL" --bpffs "$NET_BPFFS" >"$OUT/tern.stats" 2>&1 || true
		stop "$srv"
	done
	[ -z "$SHORT_RTT_MS" ] || wan_off
}

export HERE
export -f short_cap short_cap_end short_cell short_dist
BENCH_STEPS=short_dist exec "$HERE/bench_net.sh" "$1" "$2"
