#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tern --app proxy against HAProxy (TCP mode) in front of the same nginx,
# on the same CPUs: connections per second, keep-alive requests per
# second, download throughput, and what a legitimate client gets through
# during a SYN flood. Prints a table, never asserts; not part of make test.
#   tools/bench/bench_proxy.sh BUILD_DIR      (root; BENCH_SECONDS=5,
#   BENCH_TERN_ARGS: more tern options, e.g. "--frames 32768")
#   BENCH_MB: the download's (and the upload's) size in MiB (1024);
#   BENCH_ONLY=download: only the download, in BENCH_REPEAT (3) rounds of
#   HAProxy, tern from BUILD_DIR and, with BENCH_OTHER="BUILD_DIR2 ...",
#   tern from those builds too, one after the other in each round, with the busy
#   share of every CPU during each download and the proxy's CPU s/GiB.
#   BENCH_ONLY=upload: the same for an upload of BENCH_MB MiB from a
#   Python client to a Python sink behind the proxy (port 9100), which
#   answers the byte count at the client's EOF.
#   BENCH_VERBOSE=1: after each tern transfer, its counters that moved.
#   BENCH_RTT_MS: with BENCH_ONLY=download or upload, the client's packets
#   to the proxy are held this many milliseconds (tools/bench/wan.sh,
#   tern-bench-delay on the client's CPU), the round trip of a client far
#   away; the backend stays local. BENCH_ONLY=download or upload only.
#   BENCH_WAN_RTT_MS (50): the whole table also has a download of
#   BENCH_WAN_MB (64) MiB over that round trip (a range of the same file);
#   0 leaves it out.
#   BENCH_ONLY=flood: only the legitimate clients during the flood, in
#   BENCH_REPEAT rounds of HAProxy then tern (and tern again at each of
#   BENCH_FLOOD_RATES="R1 R2 ..." SYN/s), with flood_round's account of
#   the CPUs, the veths and tern's counters.
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
# shellcheck source=tools/bench/wan.sh
. "$HERE/wan.sh"

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

# The proxies' backend: nginx, or the upload's sink.
BACKEND=$IP4_B:8080
SINK_PORT=9100

haproxy_cfg() {
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
	server n1 $BACKEND
HAEOF
}

cat >"$NET_TMP/sink.py" <<'PYEOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(64)
buf = bytearray(1 << 20)
open(sys.argv[3], "w").close()
while True:
    c, _ = s.accept()
    n = 0
    while True:
        k = c.recv_into(buf)
        if not k:
            break
        n += k
    c.sendall(b"%d\n" % n)
    c.close()
PYEOF

cat >"$NET_TMP/up.py" <<'PYEOF'
import socket, sys, time
host, port, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port))
chunk = bytes(1 << 20)
t0 = time.monotonic()
for _ in range(mb):
    s.sendall(chunk)
s.shutdown(socket.SHUT_WR)
got = s.recv(64)
t = time.monotonic() - t0
assert int(got) == mb << 20, (got, mb << 20)
print("%.0f" % (mb / t))
PYEOF

cat >"$NET_TMP/legit.py" <<'PYEOF'
import socket, sys, time
host, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
lat = open(sys.argv[4], "w") if len(sys.argv) > 4 else None
ok = fail = 0
sched0 = open("/proc/self/schedstat").read().split()
start = time.monotonic()
end = time.time() + secs
while time.time() < end:
    t0 = time.monotonic()
    t1 = t0
    lport = 0
    good = False
    try:
        s = socket.create_connection((host, port), timeout=1)
        t1 = time.monotonic()
        lport = s.getsockname()[1]
        s.settimeout(1)
        s.sendall(b"GET /id HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        got = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
        s.close()
        good = got.startswith(b"HTTP/1.1 200")
    except OSError:
        pass
    ok += good
    fail += not good
    if lat:
        lat.write("%.6f %.6f %.6f %d %d\n" % (t1 - t0, time.monotonic() - t0, t0 - start, lport, good))
sched1 = open("/proc/self/schedstat").read().split()
print(ok, fail, *(int(b) - int(a) for a, b in zip(sched0, sched1)))
PYEOF

wrk_rate() {
	in_c taskset -c "$LOAD_CPU" wrk -t1 -c64 -d"${SECS}s" "$@" "http://$IP4_S/id" 2>&1 |
		awk '/Requests\/sec/ { printf "%.0f", $2 }'
}

# download [CURL ARGS]: MiB/s of a GET of /big through the proxy.
download() {
	in_c taskset -c "$LOAD_CPU" curl -sS -o /dev/null -w '%{speed_download}' "$@" \
		"http://$IP4_S/big" | awk '{ printf "%.1f", $1 / 1048576 }'
}

upload() {
	in_c taskset -c "$LOAD_CPU" python3 "$NET_TMP/up.py" "$IP4_S" "$PORT" "${BENCH_MB:-1024}"
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

# One transfer (XFER: download or upload) through the proxy PID, with the
# CPUs' busy shares and the proxy's own CPU time per GiB: "MiB/s (cpu0 x%
# cpu1 y%; proxy z s/GiB)". On veth the receiver's work runs on the
# sender's CPU in softirq, partly charged to whatever process runs there:
# compare, never add.
xfer_cpu() {
	local m t0 t1

	t0=$(proc_ticks "$1")
	cat /proc/stat >"$NET_TMP/stat0"
	m=$($XFER)
	cat /proc/stat >"$NET_TMP/stat1"
	t1=$(proc_ticks "$1")
	echo "$m ($(cpu_busy "$NET_TMP/stat0" "$NET_TMP/stat1");" \
		"proxy $(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v mb="${BENCH_MB:-1024}" \
			'BEGIN { printf "%.2f", d / hz / (mb / 1024) }') s/GiB)"
}

measure() {
	local name=$1

	R_CPS[$name]=$(wrk_rate -H 'Connection: close')
	R_RPS[$name]=$(wrk_rate)
	R_MBS[$name]=$(download)
	flood_cell "$name" "$2"
}

# flood_cell NAME PROXY_PID [RATE]: flood_round into R_FLOOD, R_PPS and
# $NET_TMP/detail.NAME.
flood_cell() {
	flood_round "$@" >"$NET_TMP/detail.$1"
	R_FLOOD[$1]=$(cat "$NET_TMP/clients.$1")
	R_PPS[$1]=$(flood_pps "$1")
}

flood_pps() { tr ' ' '\n' <"$NET_TMP/flood.$1" | awk -F= '$1 == "sent_pps" { print $2 }'; }

declare -A R_CPS R_RPS R_MBS R_FLOOD R_PPS R_WAN

# (a function: wait_until re-runs it; the backend may not speak HTTP)
haproxy_listens() { in_s ss -Hltn "sport = :$PORT" | grep -q .; }

haproxy_start() {
	haproxy_cfg
	ip netns exec "$NS_S" taskset -c "$PROXY_CPU" haproxy -db -f "$NET_TMP/haproxy.cfg" \
		>"$NET_TMP/haproxy.log" 2>&1 &
	HAPROXY=$!
	net_bg_pid $HAPROXY
	wait_until haproxy_listens || net_die "haproxy did not start: $(cat "$NET_TMP/haproxy.log")"
}

haproxy_stop() {
	kill "$HAPROXY"
	wait "$HAPROXY" 2>/dev/null || true
}

# proxy_tern_start [ARGS]: tern's proxy on the proxy CPU, in XDP-cookie
# overload mode (tern_start's default is never) unless ARGS say otherwise
proxy_tern_start() {
	tern_start --addr "$IP4_S" --port "$PORT" --queues 1 --allow-unserved-queues --cpus "$PROXY_CPU" \
		--xdp-cookies overload --app proxy --ctl "$NET_TMP/ctl.sock" \
		--backend "$BACKEND" --health-interval 0 ${BENCH_TERN_ARGS:-} "$@" ||
		net_die "tern did not start"
}

proxy_tern_stop() {
	kill -TERM "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || net_die "tern did not stop"
}

# sched_ns PID...: run time and run-queue wait (ns) of the processes so
# far, all threads, from /proc/PID/task/*/schedstat: "RUN WAIT SLICES"
# (%.0f: mawk's %d stops at 2^31 ns).
sched_ns() {
	local p

	for p; do
		cat /proc/"$p"/task/*/schedstat 2>/dev/null
	done | awk '{ r += $1; w += $2; n += $3 } END { printf "%.0f %.0f %.0f", r, w, n }'
}

# ns_pids NS COMM: the pids of COMM in namespace NS.
ns_pids() {
	local p

	for p in $(ip netns pids "$1"); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = "$2" ] && echo "$p"
	done
}

# Latency file (connect s, whole request s per client) to
# "connect p50/p99/max ms; request p50/p99 ms; >= 100 ms: N".
lat_summary() {
	python3 - "$1" <<'PYEOF'
import sys
rows = [tuple(float(x) * 1000 for x in l.split()) for l in open(sys.argv[1])]
if not rows:
    print("no clients")
    sys.exit()
def q(v, p):
    return sorted(v)[min(len(v) - 1, max(0, round(len(v) * p) - 1))]
c, t = [r[0] for r in rows], [r[1] for r in rows]
bad = ["at %.2f s port %d (connect %.1f ms, %.0f ms)" % (r[2] / 1000, r[3] / 1000, r[0], r[1]) for r in rows if not r[4]]
print("connect p50 %.2f p99 %.2f max %.2f ms; request p50 %.2f p99 %.2f max %.2f ms; >= 100 ms: %d"
      % (q(c, .5), q(c, .99), max(c), q(t, .5), q(t, .99), max(t), sum(x >= 100 for x in t))
      + ("; failed: " + ", ".join(bad[:5]) if bad else ""))
PYEOF
}

# flood_round NAME PROXY_PID [RATE]: legitimate clients (legit.py, one
# after the other for SECS) during a tern-flood at its maximum, or at RATE
# SYN/s; the flood starts 1 s before the client and stops when it ends.
# Leaves "ok/tried (ok/s)" in $NET_TMP/clients.NAME and the generator's
# summary in $NET_TMP/flood.NAME, and prints what happened on the CPUs over
# the client's run: each CPU's busy and softirq share (/proc/stat); per
# process (schedstat, all threads) its share of that time, its run-queue
# wait per client served and how often it was put on a CPU per client;
# the veths' drop counters that moved; for tern its counters that moved.
flood_round() {
	local name=$1 proxy=$2 f fp ngx ks r t0 t1
	local -a fl0 fl1 ng0 ng1 px0 px1 ks0 ks1

	in_c taskset -c "$LOAD_CPU" "$FLOOD" --dev "$DEV_C" --dst "$IP4_S" --port "$PORT" \
		--dst-mac "$MAC_S" --quiet --duration $((SECS + 60)) --rate "${3:-0}" >"$NET_TMP/flood.$name" 2>&1 &
	f=$!
	net_bg_pid $f
	sleep 1
	fp=$(ns_pids "$NS_C" tern-flood)
	ngx=$(ns_pids "$NS_B" nginx)
	ks=$(pgrep -x "ksoftirqd/[0-9]*")
	[ "$proxy" = "$(tern_pid 2>/dev/null)" ] && tstat_all >"$NET_TMP/tstat0"
	veth_stats >"$NET_TMP/veth0"
	cat /proc/stat >"$NET_TMP/stat0"
	fl0=($(sched_ns $fp)) ng0=($(sched_ns $ngx)) px0=($(sched_ns "$proxy")) ks0=($(sched_ns $ks))
	t0=$(date +%s%N)
	r=$(in_c taskset -c "$LOAD_CPU" python3 "$NET_TMP/legit.py" "$IP4_S" "$PORT" "$SECS" "$NET_TMP/lat")
	t1=$(date +%s%N)
	fl1=($(sched_ns $fp)) ng1=($(sched_ns $ngx)) px1=($(sched_ns "$proxy")) ks1=($(sched_ns $ks))
	cat /proc/stat >"$NET_TMP/stat1"
	veth_stats >"$NET_TMP/veth1"
	[ "$proxy" = "$(tern_pid 2>/dev/null)" ] && tstat_all >"$NET_TMP/tstat1"
	[ -n "$fp" ] && kill -INT $fp
	wait $f || true
	set -- $r
	echo "$1/$(($1 + $2)) ($(($1 / SECS))/s)" >"$NET_TMP/clients.$name"
	echo "$name: flood $(flood_pps "$name") SYN/s; clients $(cat "$NET_TMP/clients.$name"); $(lat_summary "$NET_TMP/lat")"
	echo "  CPUs busy: $(cpu_busy "$NET_TMP/stat0" "$NET_TMP/stat1") (softirq $(cpu_softirq "$NET_TMP/stat0" "$NET_TMP/stat1"))"
	awk -v w=$((t1 - t0)) -v ok="$1" -v cr="$3" -v cw="$4" -v cn="$5" -v lc=$LOAD_CPU -v pc=$PROXY_CPU \
		-v fr=$((fl1[0] - fl0[0])) -v fw=$((fl1[1] - fl0[1])) \
		-v nr=$((ng1[0] - ng0[0])) -v nw=$((ng1[1] - ng0[1])) -v nn=$((ng1[2] - ng0[2])) \
		-v pr=$((px1[0] - px0[0])) -v pw=$((px1[1] - px0[1])) -v pn=$((px1[2] - px0[2])) \
		-v kr=$((ks1[0] - ks0[0])) 'BEGIN {
		ok = ok > 0 ? ok : 1
		printf "  share of the time: CPU %d tern-flood %.0f%% (waiting %.0f%%), client %.0f%%, nginx %.0f%%; CPU %d proxy %.0f%%; ksoftirqd %.0f%%\n",
			lc, 100 * fr / w, 100 * fw / w, 100 * cr / w, 100 * nr / w, pc, 100 * pr / w, 100 * kr / w
		printf "  per client served: run-queue wait client %.0f us, nginx %.0f us, proxy %.0f us; on a CPU client %.1f, nginx %.1f, proxy %.1f times\n",
			cw / ok / 1000, nw / ok / 1000, pw / ok / 1000, cn / ok, nn / ok, pn / ok }'
	echo "  veth drops: $(veth_delta "$NET_TMP/veth0" "$NET_TMP/veth1")"
	[ "$proxy" = "$(tern_pid 2>/dev/null)" ] && tstat_delta "$NET_TMP/tstat0" "$NET_TMP/tstat1"
	return 0
}

# Both ends' per-queue veth counters ("client.rx_queue_0_drops: N") and
# the kernel's drop counts of the interfaces.
veth_stats() {
	in_c ethtool -S "$DEV_C" | sed -n 's/^ *\([a-z_0-9]*\): /client.\1 /p'
	in_s ethtool -S "$DEV_S" | sed -n 's/^ *\([a-z_0-9]*\): /server.\1 /p'
	in_c ip -s -s link show "$DEV_C" | awk '/RX:/ { getline; print "client.rx_dropped", $4 } /TX:/ { getline; print "client.tx_dropped", $4 }'
	in_s ip -s -s link show "$DEV_S" | awk '/RX:/ { getline; print "server.rx_dropped", $4 } /TX:/ { getline; print "server.tx_dropped", $4 }'
}

# The drop and error counters that moved between two veth_stats.
veth_delta() {
	awk 'FNR == NR { a[$1] = $2; next } $1 ~ /drop|err|busy/ && $2 != a[$1] { printf "%s%s=%d", sep, $1, $2 - a[$1]; sep = " " }
	     END { if (!sep) printf "none" }' "$1" "$2"
}

# The softirq share of each CPU between two /proc/stat snapshots.
cpu_softirq() {
	awk 'FNR == NR && /^cpu[0-9]/ { s[$1] = $8; t[$1] = $2 + $3 + $4 + $5 + $6 + $7 + $8; next }
	     /^cpu[0-9]/ { d = $2 + $3 + $4 + $5 + $6 + $7 + $8 - t[$1];
		printf "%s%s %.0f%%", sep, $1, 100 * ($8 - s[$1]) / (d > 0 ? d : 1); sep = " " }' "$1" "$2"
}

TERNCTL=$(realpath "$(dirname "$TERN")/tools/ternctl")
tstat_all() { in_s "$TERNCTL" stats --dev "$DEV_S" --ctl "$NET_TMP/ctl.sock" --json; }
tstat_delta() {
	python3 - "$1" "$2" <<'PYEOF'
import json, sys
def flat(o, pre=""):
    if isinstance(o, dict):
        for k, v in o.items():
            yield from flat(v, pre + k + ".")
    elif isinstance(o, int) and not isinstance(o, bool):
        yield pre[:-1], o
a, b = (dict(flat(json.load(open(f)))) for f in sys.argv[1:3])
d = {k: v - a.get(k, 0) for k, v in b.items() if v != a.get(k, 0) and not k.startswith("queues")}
print("  tern counters:", " ".join("%s=%d" % kv for kv in sorted(d.items())))
PYEOF
}

if [ "${BENCH_ONLY:-}" = flood ]; then
	for r in $(seq "${BENCH_REPEAT:-3}"); do
		haproxy_start
		echo "round $r $(flood_round haproxy "$HAPROXY")"
		haproxy_stop
		proxy_tern_start
		echo "round $r $(flood_round tern "$(tern_pid)")"
		for rate in ${BENCH_FLOOD_RATES:-}; do
			echo "round $r at $rate SYN/s $(flood_round tern "$(tern_pid)" "$rate")"
		done
		proxy_tern_stop
	done
	echo "machine: $(nproc) CPUs, kernel $(uname -r); proxy on CPU $PROXY_CPU; nginx, client and flood on CPU $LOAD_CPU"
	echo "${BENCH_TERN_ARGS:+tern $BENCH_TERN_ARGS; }uptime: $(uptime)"
	NET_DONE=1
	exit 0
fi

if [ "${BENCH_ONLY:-}" = download ] || [ "${BENCH_ONLY:-}" = upload ]; then
	XFER=$BENCH_ONLY
	if [ "$XFER" = upload ]; then
		BACKEND=$IP4_B:$SINK_PORT
		ip netns exec "$NS_B" taskset -c "$LOAD_CPU" python3 "$NET_TMP/sink.py" "$IP4_B" \
			"$SINK_PORT" "$NET_TMP/sink.ready" &
		net_bg_pid $!
		wait_until test -e "$NET_TMP/sink.ready" || net_die "the sink did not start"
	fi
	if [ -n "${BENCH_RTT_MS:-}" ]; then
		WAN_DELAY=$(realpath "$1/tools/tern-bench-delay") WAN_CPU=$LOAD_CPU WAN_DST=$IP4_S
		WAN_MAC=$MAC_S WAN_HELP=$HERE/nethelp.py
		[ -x "$WAN_DELAY" ] || net_die "$WAN_DELAY: not built (make)"
		wan_on "$BENCH_RTT_MS" || net_die "no delayed path"
		echo "round trip ${BENCH_RTT_MS} ms; connects refused over it: $WAN_RTT"
	fi
	TERNS=$TERN
	for b in ${BENCH_OTHER:-}; do
		TERNS="$TERNS $(realpath "$b/tern")"
	done
	for r in $(seq "${BENCH_REPEAT:-3}"); do
		haproxy_start
		echo "round $r haproxy: $(xfer_cpu "$HAPROXY")"
		haproxy_stop
		for TERN in $TERNS; do
			proxy_tern_start
			tstat_all >"$NET_TMP/tstat0"
			echo "round $r tern $TERN: $(xfer_cpu "$(tern_pid)")"
			tstat_all >"$NET_TMP/tstat1"
			[ -z "${BENCH_VERBOSE:-}" ] || tstat_delta "$NET_TMP/tstat0" "$NET_TMP/tstat1"
			proxy_tern_stop
		done
	done
	[ -z "${BENCH_RTT_MS:-}" ] || wan_off 2>&1
	echo "$XFER, ${BENCH_MB:-1024} MiB${BENCH_RTT_MS:+, round trip $BENCH_RTT_MS ms}; machine: $(nproc) CPUs, kernel $(uname -r); proxy on CPU" \
		"$PROXY_CPU; backend and client on CPU $LOAD_CPU"
	echo "${BENCH_TERN_ARGS:+tern $BENCH_TERN_ARGS; }uptime: $(uptime)"
	NET_DONE=1
	exit 0
fi

# HAProxy first: the flood reaches the kernel at a lower rate than XDP on
# veth (the sender's CPU does the kernel's receive work), so tern is also
# measured at the rate HAProxy was offered.
haproxy_start
measure haproxy "$HAPROXY"
haproxy_stop

proxy_tern_start
measure tern "$(tern_pid)"
flood_cell tern_slow "$(tern_pid)" "${R_PPS[haproxy]}"
proxy_tern_stop
# The same flood with every SYN answered by the worker (cookie mode), for
# comparison with XDP's answers.
proxy_tern_start --xdp-cookies never
flood_cell tern_never "$(tern_pid)"
proxy_tern_stop

# A download over a round trip, where the windows and buffers, not the
# CPU, bound it: HAProxy, then tern.
WAN_MS=${BENCH_WAN_RTT_MS:-50}
WAN_MB=${BENCH_WAN_MB:-64}
if [ "$WAN_MS" != 0 ]; then
	WAN_DELAY=$(realpath "$1/tools/tern-bench-delay") WAN_CPU=$LOAD_CPU WAN_DST=$IP4_S
	WAN_MAC=$MAC_S WAN_HELP=$HERE/nethelp.py
	wan_on "$WAN_MS" || net_die "no delayed path"
	haproxy_start
	R_WAN[haproxy]=$(download -r "0-$(((WAN_MB << 20) - 1))")
	haproxy_stop
	proxy_tern_start
	R_WAN[tern]=$(download -r "0-$(((WAN_MB << 20) - 1))")
	proxy_tern_stop
	wan_off 2>/dev/null
fi

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
[ "$WAN_MS" = 0 ] ||
	echo "| download MiB/s over a $WAN_MS ms round trip (curl, $WAN_MB MiB) | ${R_WAN[tern]} | ${R_WAN[haproxy]} |"
echo "| SYN flood sent (SYN/s, tern-flood at max) | ${R_PPS[tern]} | ${R_PPS[haproxy]} |"
echo "| legitimate clients during the flood ok/tried (ok/s) | ${R_FLOOD[tern]} | ${R_FLOOD[haproxy]} |"
echo "| tern, flood at HAProxy's rate: SYN/s sent; clients ok/tried (ok/s) | ${R_PPS[tern_slow]}; ${R_FLOOD[tern_slow]} | |"
echo "| tern --xdp-cookies never, flood at max: SYN/s sent; clients ok/tried (ok/s) | ${R_PPS[tern_never]}; ${R_FLOOD[tern_never]} | |"
echo
echo "tern runs with --xdp-cookies overload (the default) except in the last row."
echo
echo "During the flood, per cell (over the client's run; docs/benchmarks.md, \"The proxy during a flood\"):"
echo
echo '```'
for c in haproxy tern tern_slow tern_never; do
	cat "$NET_TMP/detail.$c"
done
echo '```'
NET_DONE=1
