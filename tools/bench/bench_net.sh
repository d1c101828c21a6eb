#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Network benchmarks, tern side by side with Linux and nginx, on a veth pair
# between two namespaces built here (per-run names, removed on every exit
# path by tests/net/lib.sh's trap). Needs root. Prints progress on stderr
# and appends "key=value" results to OUT_DIR/results.txt for report.py.
# BENCH_STEPS picks measurements (default: all, in order).
#   tools/bench/bench_net.sh BUILD_DIR OUT_DIR
#
# CPUs: the generator and the clients (tern-flood, wrk, the legitimate
# clients) run on CPU $GEN_CPU, the server (tern's process, the reflector,
# nginx, Linux's TCP through RPS on the server veth) on CPU $SRV_CPU.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR OUT_DIR" >&2; exit 2; }
BUILD=$(realpath "$1")
OUT=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
NET_SUITE=bench
# shellcheck source=../../tests/net/lib.sh
. "$HERE/../../tests/net/lib.sh"

GEN_CPU=${BENCH_GEN_CPU:-0}
SRV_CPU=${BENCH_SRV_CPU:-1}
FLOOD_S=${BENCH_FLOOD_S:-5}          # seconds per flood measurement
WRK_S=${BENCH_WRK_S:-5}              # seconds per wrk run
LEGIT_N=${BENCH_LEGIT_N:-2000}       # legitimate clients under flood
MEM_SIZES=${BENCH_MEM_SIZES:-"100000 1000000"}
MEM_RATE=${BENCH_MEM_RATE:-100000}   # handshakes/s offered for the memory runs
LOSS_PCTS=${BENCH_LOSS_PCTS:-"0 1 3"} # loss of server-to-client frames, % (built: 0 1 3)
LOSS_RUNS=${BENCH_LOSS_RUNS:-9}      # runs per loss-table cell (median, min, max)
LOSS_WARMUP=${BENCH_LOSS_WARMUP:-8}  # GETs before each cell, not counted
LOSS_BULK_N=${BENCH_LOSS_BULK_N:-4}  # 1 MiB GETs per bulk run
LOSS_SHORT_N=${BENCH_LOSS_SHORT_N:-200} # 20 KB GETs per short cell (p50, p99)
WAN_RTT_MS=${BENCH_WAN_RTT_MS:-20}   # round-trip time of the delayed path (step wan)
WAN_PCTS=${BENCH_WAN_PCTS:-"0 1 3"}   # loss on the delayed path, %
WAN_RUNS=${BENCH_WAN_RUNS:-5}        # runs of WAN_BULK_N x 1 MiB per cell
WAN_BULK_N=${BENCH_WAN_BULK_N:-4}
WAN_SHORT_N=${BENCH_WAN_SHORT_N:-100} # 20 KB GETs per short cell
WAN_WARMUP=${BENCH_WAN_WARMUP:-2}
FLOODS=${BENCH_FLOODS:-"syn ack mixed"} # flood kinds of the flood table
FLOOD2_S=${BENCH_FLOOD_TABLE_S:-3}   # seconds per flood-table measurement
PAIRS_N=${BENCH_PAIRS:-5}            # rounds of the alternating SYN floods
PAIRS_S=${BENCH_PAIRS_S:-2}          # seconds per contender per round
TRANSFER_CONNS=${BENCH_TRANSFER_CONNS:-16} # established echo connections during the legit flood
PORT=80
FLOOD_NET=10.99.0.0/16               # tern-flood's default --src-net
RES=$OUT/results.txt
FLOOD=$BUILD/tools/tern-flood
REFLECT=$BUILD/tools/tern-reflect
TERN=$BUILD/tern
HELP=$HERE/nethelp.py
XDP_OBJS=$BUILD/tools/bench/xdp

for b in "$FLOOD" "$REFLECT" "$TERN"; do
	[ -x "$b" ] || { echo "Error: $b: not built" >&2; exit 1; }
done

say() { echo "bench: $*" >&2; }
res() { echo "$1=$2" >>"$RES"; }

# One queue per side: AF_XDP TX on queue 0 lands on the peer's RX queue 0,
# where the single AF_XDP socket of each tool is bound.
net_veth() {
	ip link add "$DEV_S" numrxqueues 1 numtxqueues 1 netns "$NS_S" type veth \
		peer name "$DEV_C" numrxqueues 1 numtxqueues 1 netns "$NS_C"
	ip -n "$NS_S" addr add "$IP4_S/24" dev "$DEV_S"
	ip -n "$NS_C" addr add "$IP4_C/24" dev "$DEV_C"
	ip -n "$NS_S" link set lo up
	ip -n "$NS_C" link set lo up
	ip -n "$NS_S" link set "$DEV_S" up
	ip -n "$NS_C" link set "$DEV_C" up
	in_c ethtool -K "$DEV_C" tx off tso off gso off >/dev/null
	in_s ethtool -K "$DEV_S" rxvlan off rx-vlan-stag-hw-parse off >/dev/null
}

net_setup
net_need taskset wrk
in_s sysctl -qw net.core.txrehash=0 2>/dev/null || say "net.core.txrehash: not settable"
in_c sysctl -qw net.core.txrehash=0 2>/dev/null || true
in_s sysctl -qw net.core.somaxconn=2097152 net.ipv4.tcp_max_syn_backlog=65536
in_c sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
# Linux answers the spoofed subnet through the client (whose XDP program
# takes those frames before its kernel sees them).
ip -n "$NS_S" route add "$FLOOD_NET" via "$IP4_C"
# Linux's receive work on the server CPU: RPS from the veth's only queue.
in_s sh -c "printf %x $((1 << SRV_CPU)) >/sys/class/net/$DEV_S/queues/rx-0/rps_cpus"
MAC_S=$(ip -n "$NS_S" -br link show "$DEV_S" | awk '{ print $3 }')
# BENCH_NAPI=threaded: the server veth's receive work (XDP for tern and the
# reflector, GRO + TCP for Linux) in a NAPI thread pinned to the server
# CPU instead of softirq on the sender's (the generator's) CPU.
NAPI=${BENCH_NAPI:-softirq}
if [ "$NAPI" = threaded ]; then
	in_s ethtool -K "$DEV_S" gro on >/dev/null
	in_s sh -c "echo 1 >/sys/class/net/$DEV_S/threaded"
fi
res napi "$NAPI"
CTL=$NET_TMP/ctl.sock
res cpus "generator $GEN_CPU, server $SRV_CPU"

# Pin the server veth's NAPI threads (re-created when XDP comes and goes).
pin_napi() {
	local pid

	[ "$NAPI" = threaded ] || return 0
	for pid in $(ps -eo pid=,comm= | awk -v d="napi/$DEV_S-" 'index($2, d) == 1 { print $1 }'); do
		taskset -pc "$SRV_CPU" "$pid" >/dev/null
	done
}

# bg NAME CMD...: start CMD in the background, pid in $NET_TMP/NAME.pid.
bg() {
	local name=$1

	shift
	"$@" >"$NET_TMP/$name.out" 2>"$NET_TMP/$name.err" &
	echo $! >"$NET_TMP/$name.pid"
	net_bg_pid $!
}

# stop NAME: SIGTERM, wait for it (output stays in $NET_TMP/NAME.out).
stop() {
	local pid

	pid=$(cat "$NET_TMP/$1.pid")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# flood ARGS...: tern-flood on the generator CPU; its summary line.
flood() {
	taskset -c "$GEN_CPU" ip netns exec "$NS_C" "$FLOOD" --dev "$DEV_C" --dst "$IP4_S" \
		--port "$PORT" --dst-mac "$MAC_S" --quiet "$@" 2>"$NET_TMP/flood.err" ||
		{ cat "$NET_TMP/flood.err" >&2; return 1; }
}
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

tern_up() { # tern_up ARGS...: tern on the server CPU
	rm -f "$CTL"
	bg tern taskset -c "$SRV_CPU" ip netns exec "$NS_S" "$TERN" --dev "$DEV_S" \
		--bpffs "$NET_BPFFS" --ctl "$CTL" --addr "$IP4_S" --port "$PORT" --cpus "$SRV_CPU" "$@"
	wait_until grep -q '^tern: ready' "$NET_TMP/tern.err" ||
		{ cat "$NET_TMP/tern.err" >&2; return 1; }
	pin_napi
}
reflect_up() {
	bg reflect taskset -c "$SRV_CPU" ip netns exec "$NS_S" "$REFLECT" --dev "$DEV_S" --addr "$IP4_S"
	wait_until grep -q 'ready' "$NET_TMP/reflect.err" ||
		{ cat "$NET_TMP/reflect.err" >&2; return 1; }
	pin_napi
}
linux_up() { # linux_up MODE: a Linux listener on the server CPU
	rm -f "$NET_TMP/listen.ready"
	bg listen taskset -c "$SRV_CPU" ip netns exec "$NS_S" python3 "$HELP" listen "$IP4_S" \
		"$PORT" "$1" "$NET_TMP/listen.ready"
	wait_until test -e "$NET_TMP/listen.ready" || { cat "$NET_TMP/listen.err" >&2; return 1; }
	pin_napi
}

# Busy jiffies of every CPU (XDP on veth runs on the sender's CPU).
all_jiffies() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# Busy jiffies of the server CPU: "softirq total-non-idle".
cpu_jiffies() {
	awk -v c="cpu$SRV_CPU" '$1 == c { print $8, $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime of the process
ns_per() { awk -v j="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" \
	'BEGIN { if (n > 0) printf "%.0f", j * 1e9 / hz / n; else print "nan" }'; }

# trafgen (netsniff-ng) with the same SYNs, run while the reflector is up:
# its TX packets per second, to compare with tern-flood's.
trafgen_run() {
	local a b t0 t1 pps cfg=$NET_TMP/syn.cfg mac

	command -v trafgen >/dev/null ||
		{ say "  trafgen: not installed (make deps), not measured"; res gen.trafgen_pps nan; return; }
	mac=$(sed 's/:/, 0x/g; s/^/0x/' <<<"$MAC_S")
	cat >"$cfg" <<CFG
{ $mac, 0x02, 0, 0, 0, 0, 1, c16(0x0800),
  0x45, 0, c16(44), drnd(2), 0x40, 0, 64, 6, csumip(14, 33),
  10, 99, drnd(1), drnd(1), ${IP4_S//./, },
  drnd(2), c16($PORT), drnd(4), c32(0), c16((6 << 12) | 2), c16(64240), csumtcp(14, 34), c16(0),
  2, 4, c16(1460) }
CFG
	a=$(ip -n "$NS_C" -s link show "$DEV_C" | awk '/TX:/ { getline; print $2 }')
	t0=$(date +%s.%N)
	timeout -s INT "$FLOOD_S" taskset -c "$GEN_CPU" ip netns exec "$NS_C" trafgen -o "$DEV_C" \
		-i "$cfg" -P 1 -q >"$NET_TMP/trafgen.out" 2>&1 || true
	t1=$(date +%s.%N)
	b=$(ip -n "$NS_C" -s link show "$DEV_C" | awk '/TX:/ { getline; print $2 }')
	# It can stop early on veth ("Flushing TX_RING failed"): its rate
	# while it ran.
	pps=$(awk -v n=$((b - a)) -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
	say "  trafgen: $pps packets/s sent for $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" \
		"$(grep -m1 -i 'fail' "$NET_TMP/trafgen.out" || true)"
	res gen.trafgen_pps "$pps"
}

# ---- 1: SYN -> SYN-ACK under flood --------------------------------------
# syn_run NAME PID: flood at max rate; replies, CPU per SYN-ACK.
syn_run() {
	local name=$1 pid=${2:-} out j0 j1 t0=0 t1=0 n a0 a1

	read -r -a j0 <<<"$(cpu_jiffies)"
	a0=$(all_jiffies)
	[ -z "$pid" ] || t0=$(proc_ticks "$pid")
	out=$(flood --duration "$FLOOD_S")
	read -r -a j1 <<<"$(cpu_jiffies)"
	a1=$(all_jiffies)
	[ -z "$pid" ] || t1=$(proc_ticks "$pid")
	n=$(kv "$out" synack)
	say "  $name: $out"
	res "syn.$name.sent_pps" "$(kv "$out" sent_pps)"
	res "syn.$name.synack_pps" "$(kv "$out" synack_pps)"
	res "syn.$name.rx_dropped" "$(kv "$out" rx_dropped)"
	res "syn.$name.cpu_ns" "$(ns_per $((j1[1] - j0[1])) "$n")"
	res "syn.$name.softirq_ns" "$(ns_per $((j1[0] - j0[0])) "$n")"
	# every CPU, the generator's own work included
	res "syn.$name.allcpu_ns" "$(ns_per $((a1 - a0)) "$n")"
	[ -z "$pid" ] || res "syn.$name.proc_ns" "$(ns_per $((t1 - t0)) "$n")"
}

syn_flood() {
	say "1: SYN -> SYN-ACK, ${FLOOD_S}s floods at max rate"
	reflect_up
	syn_run reflect "$(cat "$NET_TMP/reflect.pid")"
	trafgen_run
	stop reflect
	for m in always auto; do
		tern_up --syncookies "$m" --xdp-cookies never --app echo
		syn_run "tern_$m" "$(cat "$NET_TMP/tern.pid")"
		stop tern
	done
	# SYN-ACKs built in XDP (docs/xdp-syn.md); XDP runs on the generator's CPU
	tern_up --syncookies always --xdp-cookies always --app echo
	syn_run tern_xdp "$(cat "$NET_TMP/tern.pid")"
	stop tern
	for c in 2 1; do
		in_s sysctl -qw net.ipv4.tcp_syncookies=$c
		linux_up close
		syn_run "linux_$c"
		stop listen
	done
	in_s sysctl -qw net.ipv4.tcp_syncookies=1
}

# ---- 2: connections/s, tern --app http vs nginx --------------------------
nginx_up() {
	cat >"$NET_TMP/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $NET_TMP/nginx.pid;
error_log $NET_TMP/nginx.log;
events { worker_connections 8192; }
http {
	access_log off;
	keepalive_requests 1000000;
	default_type text/plain;
	server {
		listen $IP4_S:$PORT backlog=65535;
		location / { return 200 "tern\n"; }
	}
}
CONF
	bg nginx taskset -c "$SRV_CPU" ip netns exec "$NS_S" nginx -c "$NET_TMP/nginx.conf" \
		-e "$NET_TMP/nginx.log"
	wait_until in_s sh -c "ss -ltn | grep -q ':$PORT '"
}

wrk_run() { # wrk_run NAME [wrk args]
	local name=$1 out rps

	shift
	out=$(taskset -c "$GEN_CPU" ip netns exec "$NS_C" wrk -t1 -c64 -d"${WRK_S}s" "$@" \
		"http://$IP4_S:$PORT/" 2>&1) || true
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	say "  $name: ${rps:-none} requests/s $(grep -E 'errors' <<<"$out" | tr -s ' ')"
	res "http.$name" "${rps:-nan}"
}

http_rate() {
	say "2: HTTP, wrk -t1 -c64 ${WRK_S}s, Connection: close and keep-alive"
	tern_up --app http --max-conns 262144
	wrk_run tern_close -H 'Connection: close'
	wrk_run tern_keepalive
	stop tern
	if command -v nginx >/dev/null; then
		nginx_up
		wrk_run nginx_close -H 'Connection: close'
		wrk_run nginx_keepalive
		stop nginx
	else
		say "  nginx: not installed (make deps), not measured"
	fi
}

# ---- 3: legitimate clients under flood ----------------------------------
legit_run() { # legit_run NAME [tern-flood args]
	local name=$1 out fl tr

	shift
	# established connections first, busy with echo round trips throughout.
	# After a flood tern's overload mode stays on for a while, and veth
	# delivers XDP_TX SYN-ACKs only while the client veth runs an XDP
	# program: an XDP_PASS one (loss0), which tern-flood swaps out for its
	# own and back in at its end, so the client veth always runs one.
	rm -f "$NET_TMP/transfers.ready"
	xdp_on "$NS_C" "$DEV_C" "$XDP_OBJS/loss0.bpf.o"
	bg transfers taskset -c "$GEN_CPU" ip netns exec "$NS_C" python3 "$HELP" transfers "$IP4_S" \
		"$PORT" "$TRANSFER_CONNS" "$NET_TMP/transfers.ready"
	wait_until test -e "$NET_TMP/transfers.ready" || { cat "$NET_TMP/transfers.err" >&2; return 1; }
	bg flood taskset -c "$GEN_CPU" ip netns exec "$NS_C" "$FLOOD" --dev "$DEV_C" --dst "$IP4_S" \
		--port "$PORT" --dst-mac "$MAC_S" --quiet --duration 60 "$@"
	sleep 1
	out=$(taskset -c "$GEN_CPU" ip netns exec "$NS_C" python3 "$HELP" clients "$IP4_S" "$PORT" \
		"$LEGIT_N" 1000 3)
	stop transfers
	stop flood
	xdp_off "$NS_C" "$DEV_C"
	fl=$(cat "$NET_TMP/flood.out")
	tr=$(cat "$NET_TMP/transfers.out")
	say "  $name: $out; transfers: $tr; flood: sent_pps=$(kv "$fl" sent_pps)"
	res "legit.$name.ok" "$(kv "$out" ok)"
	res "legit.$name.n" "$(kv "$out" n)"
	res "legit.$name.p50_ms" "$(kv "$out" p50_ms)"
	res "legit.$name.p99_ms" "$(kv "$out" p99_ms)"
	res "legit.$name.flood_pps" "$(kv "$fl" sent_pps)"
	res "legit.$name.transfer_conns" "$(kv "$tr" conns)"
	res "legit.$name.transfer_rounds" "$(kv "$tr" rounds)"
	res "legit.$name.transfer_resets" "$(kv "$tr" resets)"
	res "legit.$name.transfer_errors" "$(kv "$tr" errors)"
}

legit() {
	say "3: $LEGIT_N legitimate connects (1000/s, 3 s timeout) under a max-rate flood," \
		"$TRANSFER_CONNS established connections echoing 16 KiB round trips meanwhile"
	linux_up echo
	legit_run linux
	stop listen
	# The generator reaches a lower rate into the Linux stack than into
	# XDP (see README): tern also at the rate Linux was offered. tern in
	# its default --xdp-cookies overload; tern-flood's XDP program on the
	# client veth lets veth deliver the SYN-ACKs XDP sends with XDP_TX.
	tern_up --app echo
	legit_run tern
	legit_run tern_at_linux_rate --rate "$(awk -F= '$1 == "legit.linux.flood_pps" { print $2 }' "$RES")"
	stop tern
}

# ---- 4: memory per established idle connection --------------------------
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
tcp_inuse() { in_s awk '/^TCP:/ { print $3 }' /proc/net/sockstat; }

# settle CMD: wait until CMD's number stops growing (1 s steps, at most 30 s)
settle() {
	local prev=-1 cur

	for _ in $(seq 30); do
		cur=$("$@")
		[ "$cur" = "$prev" ] && break
		prev=$cur
		sleep 1
	done
	echo "$cur"
}

mem() {
	local n base rss est slab0 slab1 out

	say "4: memory, handshakes completed by tern-flood --ack at $MEM_RATE/s"
	tern_up --app discard --max-conns 1024
	base=$(rss_kb "$(cat "$NET_TMP/tern.pid")")
	stop tern
	for n in $MEM_SIZES; do
		# tern preallocates its tables for --max-conns: sized to n exactly
		tern_up --app discard --max-conns "$n"
		out=$(flood --ack --count "$n" --passes 2 --rate "$MEM_RATE" --duration 60)
		est=$(settle python3 "$HELP" nconns "$CTL")
		rss=$(rss_kb "$(cat "$NET_TMP/tern.pid")")
		stop tern
		say "  tern $n: established $est, RSS $rss kB (idle tern with --max-conns 1024: $base kB); $out"
		res "mem.tern.$n.established" "$est"
		res "mem.tern.$n.bytes_per_conn" "$(awk -v a="$rss" -v b="$base" -v e="$est" \
			'BEGIN { printf "%.0f", (e > 0 ? (a - b) * 1024 / e : 0) }')"

		linux_up hold
		sleep 1
		slab0=$(slab_kb)
		out=$(flood --ack --count "$n" --passes 2 --rate "$MEM_RATE" --duration 60)
		est=$(settle tcp_inuse)
		slab1=$(slab_kb)
		say "  linux $n: TCP sockets in use $est, Slab +$((slab1 - slab0)) kB; $out"
		stop listen
		res "mem.linux.$n.established" "$est"
		res "mem.linux.$n.bytes_per_conn" "$(awk -v a="$slab1" -v b="$slab0" -v e="$est" \
			'BEGIN { printf "%.0f", (e > 0 ? (a - b) * 1024 / e : 0) }')"
	done
}

# ---- 6: the flood table: SYN, ACK and mixed floods ----------------------
# ft_run KIND NAME: a flood of KIND at the generator's maximum; what went
# out, what came back, and the busy time of every CPU (on veth the
# receiver's XDP runs on the sender's CPU).
ft_run() {
	local kind=$1 name=$2 out a0 a1 secs k=flood.$1.$2

	a0=$(all_jiffies)
	out=$(flood --kind "$kind" --duration "$FLOOD2_S")
	a1=$(all_jiffies)
	secs=$(kv "$out" seconds)
	say "  $kind $name: $out"
	res "$k.sent" "$(kv "$out" sent)"
	res "$k.sent_pps" "$(kv "$out" sent_pps)"
	res "$k.synack_pps" "$(kv "$out" synack_pps)"
	res "$k.rst_pps" "$(awk -v n="$(kv "$out" rst)" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')"
	res "$k.replies" $(($(kv "$out" synack) + $(kv "$out" rst)))
	res "$k.busy_ns" "$(ns_per $((a1 - a0)) 1)"
}

floods() {
	local kind c

	say "6: ${FLOODS// /, } floods at max rate, ${FLOOD2_S}s each, CPU of every CPU"
	res floods.kinds "$FLOODS"
	for kind in $FLOODS; do
		# the generator alone: its frames dropped on arrival
		xdp_on "$NS_S" "$DEV_S" "$XDP_OBJS/loss100.bpf.o"
		ft_run "$kind" sink
		xdp_off "$NS_S" "$DEV_S"
		xdp_on "$NS_S" "$DEV_S" "$XDP_OBJS/reflect_tx.bpf.o"
		ft_run "$kind" xdp_tx
		xdp_off "$NS_S" "$DEV_S"
		reflect_up
		ft_run "$kind" afxdp
		stop reflect
		for c in always never; do
			tern_up --syncookies always --xdp-cookies "$c" --app echo
			ft_run "$kind" "tern_$c"
			stop tern
		done
		in_s sysctl -qw net.ipv4.tcp_syncookies=2
		linux_up close
		ft_run "$kind" linux
		stop listen
		in_s sysctl -qw net.ipv4.tcp_syncookies=1
	done
}

# ---- 8: tern against its reflectors, round after round -----------------
# The rows of tables 1 and 6 run once each, one after another, and this
# host's speed moves by tens of percent within minutes: one run's ratio
# says little. Each round here runs the XDP_TX reflector, tern answering
# in XDP, the bare AF_XDP reflector and tern's worker back to back under
# the same SYN flood at the generator's maximum; report.py prints each
# round's two ratios and their medians.
pair_run() {
	local out

	out=$(flood --kind syn --duration "$PAIRS_S")
	say "  round $1 $2: $out"
	res "pairs.$1.$2" "$(kv "$out" synack_pps)"
}

pairs() {
	local i

	say "8: $PAIRS_N rounds of SYN floods at max rate, ${PAIRS_S}s per contender, alternating"
	res pairs.rounds "$PAIRS_N"
	res pairs.secs "$PAIRS_S"
	for ((i = 1; i <= PAIRS_N; i++)); do
		xdp_on "$NS_S" "$DEV_S" "$XDP_OBJS/reflect_tx.bpf.o"
		pair_run "$i" xdp_tx
		xdp_off "$NS_S" "$DEV_S"
		tern_up --syncookies always --xdp-cookies always --app echo
		pair_run "$i" tern_always
		stop tern
		reflect_up
		pair_run "$i" afxdp
		stop reflect
		tern_up --syncookies always --xdp-cookies never --app echo
		pair_run "$i" tern_never
		stop tern
	done
}

# ---- 5: transfers under random loss, tern --app http vs nginx -----------
# xdp_on DEV_NS DEV OBJ / xdp_off DEV_NS DEV: a native XDP program (ours).
xdp_on() { ip -n "$1" link set dev "$2" xdpdrv obj "$3" sec xdp; }
xdp_off() { ip -n "$1" link set dev "$2" xdpdrv off; }

# BENCH_CLIENT_NAPI=threaded: the client veth's receive work (its XDP
# program, IP, TCP) in NAPI threads pinned to the client's CPU, as on a
# real network, instead of in softirq on the CPU that sent the frame,
# the server's (docs/tcp-data-path.md, "What limits a 1 MiB GET on
# veth"). Call after xdp_on on the client veth (veth makes its NAPI
# then).
client_napi() {
	local pid

	[ "${BENCH_CLIENT_NAPI:-softirq}" = threaded ] || return 0
	in_c sh -c "echo 1 >/sys/class/net/$DEV_C/threaded"
	for pid in $(ps -eo pid=,comm= | awk -v d="napi/$DEV_C-" 'index($2, d) == 1 { print $1 }'); do
		taskset -pc "$GEN_CPU" "$pid" >/dev/null
	done
}

# nginx_files_up [CC]: nginx, 1 worker, sendfile, serving $NET_TMP/www
# (mode 0700: as root); CC: its listener's congestion control, set by
# tern-bench-cc.so (tools/bench/ccpreload), else the namespace's.
nginx_files_up() {
	local cc=${1:-}
	local -a pre=()

	[ -z "$cc" ] || pre=(env LD_PRELOAD="$BUILD/tools/tern-bench-cc.so" TERN_BENCH_CC="$cc")
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
	bg nginx taskset -c "$SRV_CPU" ip netns exec "$NS_S" "${pre[@]}" nginx \
		-c "$NET_TMP/nginx.conf" -e "$NET_TMP/nginx.log"
	wait_until in_s sh -c "ss -ltn | grep -q ':$PORT '" ||
		{ say "nginx did not start${cc:+ on $cc}: $(tail -n 3 "$NET_TMP/nginx.log" 2>/dev/null)"; return 1; }
	[ -z "$cc" ] || in_s ss -ltni "sport = :$PORT" | grep -qw "$cc" ||
		{ say "nginx's listener is not on $cc: $(in_s ss -ltni "sport = :$PORT")"; return 1; }
}

# loss_get NAME WHAT PATH N RUNS: the client's GETs on the generator CPU,
# for every loss percentage of GETS_PCTS, GETS_WARMUP GETs first; the loss
# program on the client veth; results under GETS_KEY (loss, wan).
GETS_KEY=loss
GETS_PCTS=$LOSS_PCTS
GETS_WARMUP=$LOSS_WARMUP
loss_get() {
	local name=$1 what=$2 path=$3 n=$4 runs=$5 pct out k

	for pct in $GETS_PCTS; do
		xdp_on "$NS_C" "$DEV_C" "$XDP_OBJS/loss$pct.bpf.o"
		client_napi
		out=$(taskset -c "$GEN_CPU" ip netns exec "$NS_C" python3 "$HELP" get "$IP4_S" "$PORT" \
			"$path" "$n" "$runs" "$GETS_WARMUP")
		xdp_off "$NS_C" "$DEV_C"
		say "  $name $what $pct %: $out"
		k=$GETS_KEY.$name.$pct
		if [ "$what" = bulk ]; then
			res "$k.bulk_mibps" "$(kv "$out" mibps)"
			res "$k.bulk_min" "$(kv "$out" mibps_min)"
			res "$k.bulk_max" "$(kv "$out" mibps_max)"
		else
			res "$k.short_p50_ms" "$(kv "$out" p50_ms)"
			res "$k.short_p99_ms" "$(kv "$out" p99_ms)"
			res "$k.short_over150" "$(kv "$out" over150)"
			res "$k.short_over900" "$(kv "$out" over900)"
		fi
		res "$k.${what}_failed" $(($(kv "$out" n) - $(kv "$out" ok)))
	done
}

# The GET step's files: a 1 MiB and a 20 KB body.
get_files() {
	mkdir -p "$NET_TMP/www"
	[ -s "$NET_TMP/www/big" ] || head -c $((1 << 20)) /dev/urandom >"$NET_TMP/www/big"
	[ -s "$NET_TMP/www/small" ] || head -c 20480 /dev/urandom >"$NET_TMP/www/small"
}

# get_servers BULK_N RUNS SHORT_N NAME:OPTIONS...: the bulk and short GETs
# of a GET step (loss_get) from tern with each variant's options, then
# from nginx on the server namespace's congestion control and again on
# CUBIC, Linux's default and tern's, whatever the host's default is: the
# same algorithm on both sides.
get_servers() {
	local bulk=$1 runs=$2 short=$3 v

	shift 3
	for v in "$@"; do
		# shellcheck disable=SC2086 # the options are words
		tern_up --app http ${v#*:} --http-body "$NET_TMP/www/big"
		loss_get "${v%%:*}" bulk /big "$bulk" "$runs"
		stop tern
		# shellcheck disable=SC2086
		tern_up --app http ${v#*:} --http-body "$NET_TMP/www/small"
		loss_get "${v%%:*}" short /small "$short" 1
		stop tern
	done
	nginx_files_up
	loss_get nginx bulk /big "$bulk" "$runs"
	loss_get nginx short /small "$short" 1
	stop nginx
	nginx_files_up cubic
	loss_get nginx_cubic bulk /big "$bulk" "$runs"
	loss_get nginx_cubic short /small "$short" 1
	stop nginx
}

# need_loss KNOB PCTS...: the loss program of every percentage is built.
need_loss() {
	local knob=$1 pct

	shift
	for pct in "$@"; do
		[ -e "$XDP_OBJS/loss$pct.bpf.o" ] ||
			{ echo "Error: $XDP_OBJS/loss$pct.bpf.o: not built ($knob: 0 1 3)" >&2; return 1; }
	done
}

loss() {
	# shellcheck disable=SC2086 # the percentages are words
	need_loss BENCH_LOSS_PCTS $LOSS_PCTS
	say "5: GETs under ${LOSS_PCTS// /, } % loss of server-to-client frames (XDP on the client veth):" \
		"$LOSS_RUNS runs of $LOSS_BULK_N x 1 MiB, $LOSS_SHORT_N x 20 KB, after $LOSS_WARMUP GETs not counted"
	get_files
	GETS_KEY=loss GETS_PCTS=$LOSS_PCTS GETS_WARMUP=$LOSS_WARMUP
	res loss.pcts "$LOSS_PCTS"
	res loss.warmup "$LOSS_WARMUP"
	res loss.client_napi "${BENCH_CLIENT_NAPI:-softirq}"
	# nginx's congestion control is the server namespace's, which Linux
	# takes from the host's (bbr on some machines): BENCH_LINUX_CC sets
	# it, one of the host's tcp_allowed_congestion_control
	[ -z "${BENCH_LINUX_CC:-}" ] ||
		in_s sysctl -qw net.ipv4.tcp_congestion_control="$BENCH_LINUX_CC" ||
		say "  BENCH_LINUX_CC=$BENCH_LINUX_CC: not allowed in a namespace" \
			"(net.ipv4.tcp_allowed_congestion_control: $(sysctl -n net.ipv4.tcp_allowed_congestion_control))"
	res loss.nginx_cc "$(in_s sysctl -n net.ipv4.tcp_congestion_control)"
	say "  nginx's congestion control: $(in_s sysctl -n net.ipv4.tcp_congestion_control)"
	# norack is CUBIC with RFC 6675's DupThresh instead of RACK
	get_servers "$LOSS_BULK_N" "$LOSS_RUNS" "$LOSS_SHORT_N" "tern_cubic:--cc cubic" \
		"tern_reno:--cc reno" "tern_norack:--cc cubic --rack-segs 0" "tern_bbr:--cc bbr"
}

# ---- 9: GETs over a path with a round-trip time ------------------------
# tools/bench/wan.sh: the client's packets to the server held WAN_RTT_MS
# by tern-bench-delay, the server's frames straight back (the loss program
# drops its share of them).
WAN_DELAY=$BUILD/tools/tern-bench-delay WAN_CPU=$GEN_CPU WAN_DST=$IP4_S WAN_MAC=$MAC_S WAN_HELP=$HELP
# shellcheck source=tools/bench/wan.sh
. "$HERE/wan.sh"

wan() {
	# shellcheck disable=SC2086
	need_loss BENCH_WAN_PCTS $WAN_PCTS
	say "9: GETs over a ${WAN_RTT_MS} ms round trip, ${WAN_PCTS// /, } % loss of server-to-client" \
		"frames: $WAN_RUNS runs of $WAN_BULK_N x 1 MiB, $WAN_SHORT_N x 20 KB, after $WAN_WARMUP GETs"
	get_files
	GETS_KEY=wan GETS_PCTS=$WAN_PCTS GETS_WARMUP=$WAN_WARMUP
	res wan.pcts "$WAN_PCTS"
	res wan.rtt_ms "$WAN_RTT_MS"
	res wan.nginx_cc "$(in_s sysctl -n net.ipv4.tcp_congestion_control)"
	wan_on "$WAN_RTT_MS"
	say "  connects refused over the delayed path: $WAN_RTT"
	res wan.rtt_measured_ms "$(kv "$WAN_RTT" p50_ms)"
	get_servers "$WAN_BULK_N" "$WAN_RUNS" "$WAN_SHORT_N" "tern:--cc cubic" "tern_bbr:--cc bbr"
	wan_off
}

for step in ${BENCH_STEPS:-syn_flood floods pairs http_rate legit mem loss wan}; do
	"$step"
done
NET_DONE=1
