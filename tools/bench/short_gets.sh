#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The latency distribution of short GETs under loss, tern --app http vs
# nginx, with the loss step's set-up (tools/bench/bench_net.sh `loss`):
# one queue per veth end, the server on CPU 1, the client on CPU 0, random
# loss of server-to-client frames by XDP on the client veth, 20 KB bodies,
# one new connection per GET (`Connection: close`). For every server and
# loss percentage: how many GETs took over 5, 150, 900 and 1,900 ms; with
# SHORT_PCAP=1 also captures on both veth ends and lists, for every GET
# over SHORT_SLOW_MS, which frames were lost and when they went again
# (short_gets_pcap.py; tern's side through `ternctl capture`). Needs root; wrap in flock /tmp/tern-bench.lock.
#   tools/bench/short_gets.sh BUILD_DIR OUT_DIR
# SHORT_PCTS (default "0 1 3"), SHORT_N (GETs per cell, 2000),
# SHORT_SERVERS ("tern nginx"), SHORT_TERN_OPTS (tern's extra options),
# SHORT_PCAP (0), SHORT_SLOW_MS (150).
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR OUT_DIR" >&2; exit 2; }
BUILD=$(realpath "$1")
mkdir -p "$2"
OUT=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
NET_SUITE=short_gets
NET_QUEUES=1
# shellcheck source=../../tests/net/lib.sh
. "$HERE/../../tests/net/lib.sh"

PCTS=${SHORT_PCTS:-"0 1 3"}
N=${SHORT_N:-2000}
SERVERS=${SHORT_SERVERS:-"tern nginx"}
PCAP=${SHORT_PCAP:-0}
SLOW_MS=${SHORT_SLOW_MS:-150}
PORT=80
GEN_CPU=0
SRV_CPU=1
TERN=$BUILD/tern
HELP=$HERE/nethelp.py
XDP_OBJS=$BUILD/tools/bench/xdp

say() { echo "short_gets: $*" >&2; }

for pct in $PCTS; do
	[ -e "$XDP_OBJS/loss$pct.bpf.o" ] ||
		{ echo "Error: $XDP_OBJS/loss$pct.bpf.o: not built (make bench-tools)" >&2; exit 1; }
done
net_setup
net_need taskset nginx tcpdump
in_s sysctl -qw net.core.txrehash=0
in_c sysctl -qw net.core.txrehash=0
in_c sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
in_s sh -c "printf %x $((1 << SRV_CPU)) >/sys/class/net/$DEV_S/queues/rx-0/rps_cpus"
mkdir -p "$NET_TMP/www"
head -c 20480 /dev/urandom >"$NET_TMP/www/small"
CTL=$NET_TMP/ctl.sock

bg() { # bg NAME CMD...: CMD in the background, pid in $NET_TMP/NAME.pid
	local name=$1

	shift
	"$@" >"$NET_TMP/$name.out" 2>"$NET_TMP/$name.err" &
	echo $! >"$NET_TMP/$name.pid"
	net_bg_pid $!
}
stop() { # stop NAME [SIGNAL]: SIGTERM (or SIGNAL) and wait
	local pid

	pid=$(cat "$NET_TMP/$1.pid")
	kill -"${2:-TERM}" "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
}
wait_until() {
	for _ in $(seq 200); do "$@" && return 0; sleep 0.05; done
	return 1
}

server_up() {
	case $1 in
	tern)
		rm -f "$CTL"
		# shellcheck disable=SC2086 # the options are words
		bg tern taskset -c "$SRV_CPU" ip netns exec "$NS_S" "$TERN" --dev "$DEV_S" \
			--bpffs "$NET_BPFFS" --ctl "$CTL" --addr "$IP4_S" --port "$PORT" \
			--cpus "$SRV_CPU" --app http --http-body "$NET_TMP/www/small" \
			${SHORT_TERN_OPTS:-}
		wait_until grep -q '^tern: ready' "$NET_TMP/tern.err" ||
			{ cat "$NET_TMP/tern.err" >&2; return 1; }
		;;
	nginx)
		cat >"$NET_TMP/nginx.conf" <<CONF
user root;
worker_processes 1;
daemon off;
pid $NET_TMP/nginx.pid;
error_log $NET_TMP/nginx.log;
events { worker_connections 8192; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	default_type application/octet-stream;
	server {
		listen $IP4_S:$PORT backlog=65535;
		root $NET_TMP/www;
	}
}
CONF
		bg nginx taskset -c "$SRV_CPU" ip netns exec "$NS_S" nginx -c "$NET_TMP/nginx.conf" \
			-e "$NET_TMP/nginx.log"
		wait_until in_s sh -c "ss -ltn | grep -q ':$PORT '"
		;;
	esac
}

cell() { # cell SERVER PCT
	local name=$1.$2 out

	ip -n "$NS_C" link set dev "$DEV_C" xdpdrv obj "$XDP_OBJS/loss$2.bpf.o" sec xdp
	if [ "$PCAP" = 1 ]; then
		# AF_XDP's copy-mode TX passes no packet tap: tern's own
		# capture has what it sent
		if [ "$1" = tern ]; then
			bg cap_s ip netns exec "$NS_S" "$BUILD/tools/ternctl" capture --ctl "$CTL" \
				--dev "$DEV_S" --file "$OUT/$name.s.pcap" --filter "tcp port $PORT"
		else
			bg cap_s ip netns exec "$NS_S" tcpdump -i "$DEV_S" -s 96 -B 32768 -U \
				-w "$OUT/$name.s.pcap" tcp port $PORT
		fi
		bg cap_c ip netns exec "$NS_C" tcpdump -i "$DEV_C" -s 96 -B 32768 -U -w "$OUT/$name.c.pcap" tcp port $PORT
		sleep 1
	fi
	out=$(taskset -c "$GEN_CPU" ip netns exec "$NS_C" python3 "$HELP" getdist "$IP4_S" "$PORT" \
		/small "$N" "$OUT/$name.lat")
	if [ "$PCAP" = 1 ]; then
		sleep 1
		stop cap_s INT
		stop cap_c INT
		python3 "$HERE/short_gets_pcap.py" "$OUT/$name.s.pcap" "$OUT/$name.c.pcap" \
			"$OUT/$name.lat" "$PORT" "$SLOW_MS" >"$OUT/$name.slow.txt"
	fi
	ip -n "$NS_C" link set dev "$DEV_C" xdpdrv off
	echo "$1 $2 % $out" | tee -a "$OUT/summary.txt"
}

say "$N GETs of 20 KB per cell, loss ${PCTS// /, } %, servers $SERVERS, $(uptime)"
for srv in $SERVERS; do
	server_up "$srv"
	for pct in $PCTS; do
		cell "$srv" "$pct"
	done
	if [ "$srv" = tern ]; then
		ip netns exec "$NS_S" "$BUILD/tools/ternctl" --ctl "$CTL" stats >"$OUT/tern.stats" 2>&1 || true
	fi
	stop "$srv"
done
NET_DONE=1
