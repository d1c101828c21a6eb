#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tern --app proxy against HAProxy (TCP mode) in front of the same nginx,
# on the same CPUs: connections per second, keep-alive requests per
# second, download throughput, and what a legitimate client gets through
# during a SYN flood. Prints a table, never asserts; not part of make test.
#   tools/bench/bench_proxy.sh BUILD_DIR      (root; BENCH_SECONDS=5,
#   BENCH_TERN_ARGS: more tern options, e.g. "--proxy-buf 262144")
#   BENCH_MB: the download's size in MiB (1024);
#   BENCH_ONLY=download: only the download, in BENCH_REPEAT (3) rounds of
#   HAProxy, tern from BUILD_DIR and, with BENCH_OTHER="BUILD_DIR2 ...",
#   tern from those builds too, one after the other in each round, with the busy
#   share of every CPU during each download.
#
# CPUs (2-vCPU VM): the proxy (tern's one worker, or HAProxy with one
# thread) on CPU 1; nginx (one worker), wrk/curl and the flood on CPU 0.
# All client traffic is put on veth queue 0 (XPS), so tern runs one queue.
# The flood is tools/flood/tern-flood at its maximum rate, from 10.99/16
# (its XDP program on the client veth takes the replies, so the client
# kernel never answers them; the server namespace routes that subnet back
# through the client for HAProxy's kernel). tern runs with its default
# --xdp-cookies overload (lib.sh's tern_start would turn it off): during
# the flood its XDP program answers SYNs with XDP_TX, which veth delivers
# to the client because tern-flood's program is attached there meanwhile.
NET_SUITE=bench_proxy
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/net/lib.sh
. "$HERE/../../tests/net/lib.sh"
# shellcheck source=tests/net/proxy_lib.sh
. "$HERE/../../tests/net/proxy_lib.sh"

net_tern_arg "$@"
FLOOD=$(realpath "$1/tools/tern-flood")
[ -x "$FLOOD" ] || { echo "Error: $FLOOD: not built (make)" >&2; exit 1; }
SECS=${BENCH_SECONDS:-5}
PORT=80
PROXY_CPU=1
LOAD_CPU=0

net_need wrk curl nginx haproxy taskset
net_setup
in_c sysctl -qw net.core.txrehash=0 # no flow moves to another veth queue after an RTO
# Both proxies get the same client and backend port room: 60k connections
# per 5 s would otherwise exhaust the clients' ephemeral ports (TIME-WAIT).
for ns in "$NS_C" "$NS_S"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65000" \
		net.ipv4.tcp_tw_reuse=1
done
ip -n "$NS_S" route add 10.99.0.0/16 via "$IP4_C"
MAC_S=$(ip -n "$NS_S" -br link show "$DEV_S" | awk '{ print $3 }')
in_c sh -c "echo 0 >/sys/class/net/$DEV_C/queues/tx-1/xps_cpus;
	echo 3 >/sys/class/net/$DEV_C/queues/tx-0/xps_cpus"

proxy_backends || net_die "nginx did not start"
for pid in $(ip netns pids "$NS_B"); do
	taskset -pc "$LOAD_CPU" "$pid" >/dev/null
done
head -c $((${BENCH_MB:-1024} << 20)) /dev/zero >"$NET_TMP/www/big"

cat >"$NET_TMP/haproxy.cfg" <<HAEOF
global
	nbthread 1
	maxconn 8000
defaults
	mode tcp
	timeout connect 3s
	timeout client 60s
	timeout server 60s
frontend f
	bind $IP4_S:$PORT backlog 4096
	default_backend b
backend b
	server n1 $IP4_B:8080
HAEOF

cat >"$NET_TMP/legit.py" <<'PYEOF'
import socket, sys, time
host, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ok = fail = 0
end = time.time() + secs
while time.time() < end:
    try:
        s = socket.create_connection((host, port), timeout=1)
        s.settimeout(1)
        s.sendall(b"GET /id HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        got = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
        s.close()
        if got.startswith(b"HTTP/1.1 200"):
            ok += 1
        else:
            fail += 1
    except OSError:
        fail += 1
print(ok, fail)
PYEOF

wrk_rate() {
	in_c taskset -c "$LOAD_CPU" wrk -t1 -c64 -d"${SECS}s" "$@" "http://$IP4_S/id" 2>&1 |
		awk '/Requests\/sec/ { printf "%.0f", $2 }'
}

download() {
	in_c taskset -c "$LOAD_CPU" curl -sS -o /dev/null -w '%{speed_download}' \
		"http://$IP4_S/big" | awk '{ printf "%.0f", $1 / 1048576 }'
}

# The busy share of each CPU between two /proc/stat snapshots:
# "cpu0 97% cpu1 64%".
cpu_busy() {
	awk 'FNR == NR && /^cpu[0-9]/ { b[$1] = $2 + $3 + $4 + $7 + $8; t[$1] = b[$1] + $5 + $6; next }
	     /^cpu[0-9]/ { nb = $2 + $3 + $4 + $7 + $8; nt = nb + $5 + $6; d = nt - t[$1];
		printf "%s%s %.0f%%", sep, $1, 100 * (nb - b[$1]) / (d > 0 ? d : 1); sep = " " }' "$1" "$2"
}

# CPU time of process PID so far (user + system, all threads), in ticks.
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# One download through the proxy PID, with the CPUs' busy shares and the
# proxy's own CPU time per GiB: "MiB/s (cpu0 x% cpu1 y%; proxy z s/GiB)".
# On veth the client's receive work runs on the proxy's CPU in softirq,
# partly charged to whatever process runs there: compare, never add.
download_cpu() {
	local m t0 t1

	t0=$(proc_ticks "$1")
	cat /proc/stat >"$NET_TMP/stat0"
	m=$(download)
	cat /proc/stat >"$NET_TMP/stat1"
	t1=$(proc_ticks "$1")
	echo "$m ($(cpu_busy "$NET_TMP/stat0" "$NET_TMP/stat1");" \
		"proxy $(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v mb="${BENCH_MB:-1024}" \
			'BEGIN { printf "%.2f", d / hz / (mb / 1024) }') s/GiB)"
}

# Legitimate clients during a tern-flood at its maximum: "ok/total (ok/s)";
# the generator's summary line is left in $NET_TMP/flood.
# under_flood [RATE]: at RATE SYN/s instead of the maximum.
under_flood() {
	local f r

	in_c taskset -c "$LOAD_CPU" "$FLOOD" --dev "$DEV_C" --dst "$IP4_S" --port "$PORT" \
		--dst-mac "$MAC_S" --quiet --duration $((SECS + 2)) --rate "${1:-0}" >"$NET_TMP/flood" 2>&1 &
	f=$!
	net_bg_pid $f
	sleep 1
	r=$(in_c taskset -c "$LOAD_CPU" python3 "$NET_TMP/legit.py" "$IP4_S" "$PORT" "$SECS")
	wait $f || true
	set -- $r
	echo "$1/$(($1 + $2)) ($(($1 / SECS))/s)"
}

measure() {
	local name=$1

	R_CPS[$name]=$(wrk_rate -H 'Connection: close')
	R_RPS[$name]=$(wrk_rate)
	R_MBS[$name]=$(download)
	R_FLOOD[$name]=$(under_flood)
	R_PPS[$name]=$(tr ' ' '\n' <"$NET_TMP/flood" | awk -F= '$1 == "sent_pps" { print $2 }')
}

declare -A R_CPS R_RPS R_MBS R_FLOOD R_PPS

haproxy_start() {
	ip netns exec "$NS_S" taskset -c "$PROXY_CPU" haproxy -db -f "$NET_TMP/haproxy.cfg" \
		>"$NET_TMP/haproxy.log" 2>&1 &
	HAPROXY=$!
	net_bg_pid $HAPROXY
	wait_until in_c curl -sS -o /dev/null --max-time 1 "http://$IP4_S/id" 2>/dev/null ||
		net_die "haproxy did not start: $(cat "$NET_TMP/haproxy.log")"
}

haproxy_stop() {
	kill "$HAPROXY"
	wait "$HAPROXY" 2>/dev/null || true
}

# proxy_tern_start [ARGS]: tern's proxy on the proxy CPU, in XDP-cookie
# overload mode (tern_start's default is never) unless ARGS say otherwise
proxy_tern_start() {
	tern_start --addr "$IP4_S" --port "$PORT" --queues 1 --allow-unserved-queues --cpus "$PROXY_CPU" \
		--xdp-cookies overload --app proxy \
		--backend "$IP4_B:8080" --health-interval 0 ${BENCH_TERN_ARGS:-} "$@" ||
		net_die "tern did not start"
}

proxy_tern_stop() {
	kill -TERM "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || net_die "tern did not stop"
}

if [ "${BENCH_ONLY:-}" = download ]; then
	TERNS=$TERN
	for b in ${BENCH_OTHER:-}; do
		TERNS="$TERNS $(realpath "$b/tern")"
	done
	for r in $(seq "${BENCH_REPEAT:-3}"); do
		haproxy_start
		echo "round $r haproxy: $(download_cpu "$HAPROXY")"
		haproxy_stop
		for TERN in $TERNS; do
			proxy_tern_start
			echo "round $r tern $TERN: $(download_cpu "$(tern_pid)")"
			proxy_tern_stop
		done
	done
	echo "machine: $(nproc) CPUs, kernel $(uname -r); proxy on CPU $PROXY_CPU; nginx and curl on CPU $LOAD_CPU"
	echo "${BENCH_TERN_ARGS:+tern $BENCH_TERN_ARGS; }uptime: $(uptime)"
	NET_DONE=1
	exit 0
fi

# HAProxy first: the flood reaches the kernel at a lower rate than XDP on
# veth (the sender's CPU does the kernel's receive work), so tern is also
# measured at the rate HAProxy was offered.
haproxy_start
measure haproxy
haproxy_stop

proxy_tern_start
measure tern
R_FLOOD[tern_slow]=$(under_flood "${R_PPS[haproxy]}")
R_PPS[tern_slow]=$(tr ' ' '\n' <"$NET_TMP/flood" | awk -F= '$1 == "sent_pps" { print $2 }')
proxy_tern_stop
# The same flood with every SYN answered by the worker (cookie mode), for
# comparison with XDP's answers.
proxy_tern_start --xdp-cookies never
R_FLOOD[tern_never]=$(under_flood)
R_PPS[tern_never]=$(tr ' ' '\n' <"$NET_TMP/flood" | awk -F= '$1 == "sent_pps" { print $2 }')
proxy_tern_stop

model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "# tern --app proxy vs HAProxy $(haproxy -v | awk 'NR == 1 { print $3 }') (TCP mode), nginx behind both"
echo
echo "machine: $(nproc) CPUs, ${model:-unknown CPU}, kernel $(uname -r); ${SECS} s per figure"
echo "proxy on CPU $PROXY_CPU; nginx, clients and flood on CPU $LOAD_CPU; tern build: $1${BENCH_TERN_ARGS:+, tern $BENCH_TERN_ARGS}"
echo
echo "| measure | tern | haproxy |"
echo "|---|---:|---:|"
echo "| connections/s (wrk -c64, Connection: close) | ${R_CPS[tern]} | ${R_CPS[haproxy]} |"
echo "| requests/s keep-alive (wrk -c64) | ${R_RPS[tern]} | ${R_RPS[haproxy]} |"
echo "| download MiB/s (curl, ${BENCH_MB:-1024} MiB) | ${R_MBS[tern]} | ${R_MBS[haproxy]} |"
echo "| SYN flood sent (SYN/s, tern-flood at max) | ${R_PPS[tern]} | ${R_PPS[haproxy]} |"
echo "| legitimate clients during the flood ok/tried (ok/s) | ${R_FLOOD[tern]} | ${R_FLOOD[haproxy]} |"
echo "| tern, flood at HAProxy's rate: SYN/s sent; clients ok/tried (ok/s) | ${R_PPS[tern_slow]}; ${R_FLOOD[tern_slow]} | |"
echo "| tern --xdp-cookies never, flood at max: SYN/s sent; clients ok/tried (ok/s) | ${R_PPS[tern_never]}; ${R_FLOOD[tern_never]} | |"
echo
echo "tern runs with --xdp-cookies overload (the default) except in the last row."
NET_DONE=1
