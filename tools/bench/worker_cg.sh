#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Instructions per SYN-ACK of the whole worker (its loop, the core and the
# I/O path) and of the bare AF_XDP reflector, counted by callgrind on a
# veth pair in namespaces made here (lib.sh: per-run names, removed on
# every exit path). Valgrind counts user-space instructions only: the
# system calls per SYN-ACK (TX kicks, wake-ups, io_uring enters) are
# printed from tern's own counters beside them. Needs root and valgrind.
# Prints, never asserts.
#   tools/bench/worker_cg.sh BUILD_DIR [MODE...]
# MODE: never (--syncookies never: stateful), always (--syncookies
# always), reflect (tern-reflect); default all three. WCG_RATE (SYNs/s
# offered, default 100000: more than either keeps up with under
# callgrind, so a pass finds a full batch) and WCG_S (seconds, 4);
# WCG_RATE=1000 shows an unloaded queue (a frame or two per pass).
# WCG_KEEP=DIR keeps the callgrind files (MODE.cg) and tern's counters
# (MODE.stats) for callgrind_annotate.
# WCG_TOOL=time: no valgrind; the flood on CPU 0 and the server on CPU 1
# (as make bench), WCG_RATE default 0 (the generator's maximum); prints
# the process's user and system CPU time per SYN-ACK (utime and stime of
# /proc/PID/stat, the system time including the copy-mode TX on veth and
# the receiver's XDP run inside each kick), with TX kicks and fill-ring
# wake-ups. Wrap it in flock /tmp/tern-bench.lock when quoting it. With
# WCG_PERF=1 also perf record -e cpu-clock -g of the server process into
# WCG_KEEP (MODE.perf; ns per SYN-ACK of a symbol = its samples / 2999 Hz
# / SYN-ACKs).
NET_SUITE=worker_cg
NET_QUEUES=1
# shellcheck source=../../tests/net/lib.sh
. "$(dirname "$0")/../../tests/net/lib.sh"

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [never|always|reflect...]" >&2; exit 2; }
BUILD=$(realpath "$1")
shift
MODES=${*:-never always reflect}
TOOL=${WCG_TOOL:-callgrind}
case $TOOL in
callgrind) RATE=${WCG_RATE:-100000} ;;
time) RATE=${WCG_RATE:-0} ;;
*) echo "Error: WCG_TOOL=$TOOL: callgrind or time" >&2; exit 2 ;;
esac
SECS=${WCG_S:-4}
PORT=80
TERN=$BUILD/tern
FLOOD=$BUILD/tools/tern-flood
REFLECT=$BUILD/tools/tern-reflect
CTLBIN=$BUILD/tools/ternctl
for b in "$TERN" "$FLOOD" "$REFLECT"; do
	[ -x "$b" ] || { echo "Error: $b: not built" >&2; exit 2; }
done
[ "$TOOL" != callgrind ] || command -v valgrind >/dev/null ||
	{ echo "Error: valgrind: not found (make deps)" >&2; exit 2; }
[ "${WCG_PERF:-0}" != 1 ] || [ -n "${WCG_KEEP:-}" ] ||
	{ echo "Error: WCG_PERF=1 needs WCG_KEEP=DIR" >&2; exit 2; }
[ -z "${WCG_KEEP:-}" ] || mkdir -p "$WCG_KEEP"

net_setup
in_s sysctl -qw net.core.txrehash=0 2>/dev/null || true
MAC_S=$(mac_of "$NS_S" "$DEV_S")
CTL=$NET_TMP/ctl.sock

# vg NAME TOGGLE CMD...: CMD in the server namespace, under callgrind
# counting only inside functions matching TOGGLE, or (WCG_TOOL=time) on
# CPU 1.
vg() {
	local name=$1 toggle=$2

	shift 2
	if [ "$TOOL" = time ]; then
		taskset -c 1 ip netns exec "$NS_S" "$@" >"$NET_TMP/$name.out" 2>"$NET_TMP/$name.err" &
	else
		ip netns exec "$NS_S" valgrind --tool=callgrind \
			--callgrind-out-file="$NET_TMP/$name.cg" --collect-atstart=no \
			"--toggle-collect=$toggle" "$@" >"$NET_TMP/$name.out" 2>"$NET_TMP/$name.err" &
	fi
	echo $! >"$NET_TMP/$name.pid"
	net_bg_pid $!
}

ready() { grep -Eq "$2" "$NET_TMP/$1.err"; }

# stop NAME: SIGTERM and wait (callgrind writes its file at exit).
stop() {
	local pid

	pid=$(cat "$NET_TMP/$1.pid")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

flood() {
	taskset -c 0 ip netns exec "$NS_C" "$FLOOD" --dev "$DEV_C" --dst "$IP4_S" --port "$PORT" \
		--dst-mac "$MAC_S" --quiet --rate "$RATE" --duration "$SECS"
}

# timed NAME: the flood, with NAME's CPU time (and its profile) over it;
# prints "SYN-ACKs/s user_ns sys_ns" per SYN-ACK.
timed() {
	local pid u0 s0 u1 s1 out n pp=""

	pid=$(cat "$NET_TMP/$1.pid")
	read -r u0 s0 < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
	if [ "${WCG_PERF:-0}" = 1 ]; then
		perf record -q -e cpu-clock -F 2999 -g -p "$pid" -o "$WCG_KEEP/$1.perf" \
			-- sleep "$SECS" >/dev/null 2>&1 &
		pp=$!
	fi
	out=$(flood)
	read -r u1 s1 < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
	[ -z "$pp" ] || wait "$pp" || true
	n=$(kv "$out" synack)
	awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="$n" -v hz="$(getconf CLK_TCK)" \
		-v r="$(kv "$out" synack_pps)" 'BEGIN {
		if (n > 0) printf "%d %.0f %.0f\n", r, u * 1e9 / hz / n, s * 1e9 / hz / n
		else print "0 nan nan" }'
}
time_line() {
	local r u s

	read -r r u s <<<"$2"
	echo "$1: $r SYN-ACK/s; CPU ns per SYN-ACK: user $u, system $s, all $((u + s))"
}
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
total() { awk '/^(summary|totals):/ { print $2; exit }' "$NET_TMP/$1.cg"; }

# incl NAME FUNC: inclusive Ir of FUNC (callgrind_annotate --inclusive).
incl() {
	callgrind_annotate --inclusive=yes --threshold=100 "$NET_TMP/$1.cg" 2>/dev/null |
		awk -v f=":$2 " '{ gsub(/,/, "", $1) } index($0, f) { print $1; exit }'
}

# calls NAME FUNC: how often FUNC was called (callgrind's call counts;
# names are compressed to "(id)" after their first use).
calls() {
	awk -v f="$2" '
		/^c?fn=/ {
			id = $1; sub(/^c?fn=/, "", id)
			if (NF > 1) name[id] = $2
			if ($0 ~ /^cfn=/) cur = name[id]
		}
		/^calls=/ && cur == f { split($1, c, "="); n += c[2] }
		END { print n + 0 }' "$NET_TMP/$1.cg"
}

per() { awk -v a="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", a / n; else print "nan" }'; }

# stats: tern's counters that tell the system calls per frame.
stats() {
	[ -x "$CTLBIN" ] || return 0
	ip netns exec "$NS_S" "$CTLBIN" stats --dev "$DEV_S" --ctl "$CTL" --bpffs "$NET_BPFFS" \
		2>/dev/null | awk '
		$1 ~ /^(loops|sleeps|xsk_kicks|xsk_fill_wakeups|ring_enters|rx_frames|tx_frames)$/ {
			printf "  %s %s\n", $1, $2 }' || true
}

run_tern() {
	local mode=$1 out n ir st rx cpus=()

	[ "$TOOL" != time ] || cpus=(--cpus 1)
	vg "$mode" 'tern_loop__run' "$TERN" --dev "$DEV_S" --bpffs "$NET_BPFFS" --ctl "$CTL" \
		--addr "$IP4_S" --port "$PORT" --app echo --xdp-cookies never --syncookies "$mode" \
		--backlog 65536 "${cpus[@]}"
	wait_long ready "$mode" '^tern: ready' || { cat "$NET_TMP/$mode.err" >&2; return 1; }
	if [ "$TOOL" = time ]; then
		out=$(timed "$mode")
		st=$(stats)
		stop "$mode"
		time_line "$mode" "$out"
		echo "$st"
		return
	fi
	out=$(flood)
	st=$(stats)
	stop "$mode"
	[ -z "${WCG_KEEP:-}" ] || cp "$NET_TMP/$mode.cg" "$WCG_KEEP/"
	n=$(kv "$out" synack)
	rx=$(calls "$mode" tern_stack__rx)
	ir=$(total "$mode")
	echo "$mode: SYN-ACKs $n, frames in $rx; instructions per frame in: all $(per "$ir" "$rx")," \
		"core $(per "$(incl "$mode" tern_stack__rx)" "$rx")," \
		"tern_path__rx $(per "$(incl "$mode" tern_path__rx)" "$rx");" \
		"per SYN-ACK sent (retransmissions too): $(per "$ir" "$n")"
	echo "$st"
}

run_reflect() {
	local out n ir

	vg reflect 'serve*' "$REFLECT" --dev "$DEV_S" --addr "$IP4_S"
	wait_long ready reflect 'ready on' || { cat "$NET_TMP/reflect.err" >&2; return 1; }
	if [ "$TOOL" = time ]; then
		out=$(timed reflect)
		stop reflect
		time_line reflect "$out"
		echo "  $(cat "$NET_TMP/reflect.out")"
		return
	fi
	out=$(flood)
	stop reflect
	[ -z "${WCG_KEEP:-}" ] || cp "$NET_TMP/reflect.cg" "$WCG_KEEP/"
	n=$(kv "$out" synack)
	ir=$(total reflect)
	echo "reflect: SYN-ACKs $n; instructions per SYN-ACK: $(per "$ir" "$n")"
}

echo "worker_cg ($TOOL): $RATE SYN/s offered (0: the maximum) for $SECS s, $(uptime)"
for m in $MODES; do
	case $m in
	reflect) run_reflect ;;
	*) run_tern "$m" ;;
	esac
done
