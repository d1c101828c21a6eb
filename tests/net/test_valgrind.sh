#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The tern daemon under valgrind (memcheck), three full integration runs on
# the plain (not sanitized) build that `make vg` (and `make test`) put in
# BUILD_DIR/vg: valgrind cannot run ASan binaries.
#   run 1, --app echo, 2 queues, from a configuration file: loader, XDP
#     attach, AF_XDP bind, workers and control thread; echo over IPv4 and
#     IPv6 (4 MiB and 1 MiB read while written, 1000 and 200 concurrent
#     connections); 1 in 50 of tern's frames lost (retransmissions); a
#     burst of spoofed SYNs past --backlog (SYN cookies), then clients that
#     get in on a cookie; client RSTs; ternctl stats (table, --json,
#     --prometheus), conns (table, --json), top --once, set --keepalive,
#     capture with a filter (read back with tcpdump), reload and SIGHUP;
#     the --metrics listener with curl; keepalive probes; SIGTERM: FIN to
#     an open connection, RST after the 2 s drain timeout to one that
#     stays; exit.
#   run 2, --app proxy, 2 queues, on an XDP program that ternctl loaded
#     (the daemon takes it over): two backends, a Linux echo server on the
#     server namespace's loopback and a port where nothing listens (health
#     checks take it out); relayed echo over IPv4 and IPv6; `ternctl stop`.
#   run 3, --app http, 2 queues: curl over IPv4 (keep-alive) and IPv6, a
#     request with a body (400), ab with and without keep-alive (TIME-WAIT
#     past --max-tw); SIGINT.
# After every run: valgrind's exit code and its ERROR SUMMARY (0 errors),
# no definite or indirect leak, no file descriptor left open (but the one
# libxdp 1.3.1 leaks, see t_vg_fds), every queue's frame accounting ok.
# Valgrind's false positives in libbpf and libxdp are suppressed by
# tests/valgrind.supp (each entry says why).
#   tests/net/test_valgrind.sh BUILD_DIR
# TERN_VG_OPTS adds valgrind options (e.g. --track-origins=yes); with
# TERN_VG_LOGS=DIR valgrind's reports (echo.vg, proxy.vg, http.vg) stay there.
NET_SUITE=test_valgrind
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/robust.sh
. "$(dirname "$0")/robust.sh"

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
VG_BUILD=$(realpath "$1")/vg
TERN=$VG_BUILD/tern
TERNCTL=$VG_BUILD/tools/ternctl
DROP=$VG_BUILD/tests/soak/drop.bpf.o
for f in "$TERN" "$TERNCTL" "$VG_BUILD/bpf/tern.bpf.o" "$DROP"; do
	[ -e "$f" ] || { echo "Error: $f: not built (make vg, or make test)" >&2; exit 2; }
done
SUPP=$(realpath "$(dirname "$0")/../valgrind.supp")
PORT=7
QUEUES=2
BACKLOG=16
SYNS=1000
MPORT=$((19000 + $$ % 1000))
BPORT=$((29000 + $$ % 1000))
VG_ERR=99 # valgrind's exit code when it reports an error

# --leak-check=full with definite and indirect leaks as errors (so they
# change the exit code too). Possible leaks and still reachable blocks are
# not valgrind errors; t_vg_leaks fails on them as well, as the daemon
# frees everything it allocates (valgrind says "All heap blocks were
# freed") and a block left at exit is worth a look.
VG_OPTS=(--tool=memcheck "--error-exitcode=$VG_ERR" --leak-check=full
	"--show-leak-kinds=definite,indirect" "--errors-for-leak-kinds=definite,indirect"
	--track-fds=yes --num-callers=40 --gen-suppressions=all
	"--suppressions=$SUPP")
# more valgrind options, e.g. TERN_VG_OPTS=--track-origins=yes to find
# where an uninitialised value comes from
read -r -a VG_MORE <<<"${TERN_VG_OPTS:-}"
VG_OPTS+=("${VG_MORE[@]}")

# Under valgrind the daemon's own work runs 20 to 50 times slower than
# natively: it starts with fewer records (less memory to scan at exit) and
# the waits below are longer than other suites'.
SMALL=(--max-conns 1024 --max-tw 1024)

# ---- the daemon under valgrind --------------------------------------------------

# A valgrind that hangs must not outlive the suite: lib.sh's cleanup only
# sends SIGTERM, which the daemon takes as a drain request.
vg_cleanup() {
	local rc=$? pid

	set +e
	if [ -n "$NET_TMP" ] && [ -f "$NET_TMP/vg.pids" ]; then
		while read -r pid; do
			kill -KILL "$pid" 2>/dev/null
		done <"$NET_TMP/vg.pids"
	fi
	(exit "$rc")
	net_cleanup
}
trap vg_cleanup EXIT

# vg_start NAME ARGS...: tern ARGS under valgrind in the server namespace
# (as lib.sh's tern_start: tern.pid, tern.rc, tern.log; valgrind's report
# in NAME.vg, under $TERN_VG_LOGS when set, else in the run's temporary
# directory); returns once tern says it is ready (60 s at most).
vg_start() {
	local name=$1 i

	shift
	VG_LOG=${TERN_VG_LOGS:-$NET_TMP}/$name.vg
	rm -f "$NET_TMP/tern.pid" "$NET_TMP/tern.rc"
	(
		set +e
		sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$NET_TMP/tern.pid" \
			ip netns exec "$NS_S" valgrind "${VG_OPTS[@]}" --log-file="$VG_LOG" \
			"$TERN" --dev "$DEV_S" --bpffs "$NET_BPFFS" --xdp-cookies never "$@" \
			>"$NET_TMP/tern.log" 2>&1 &
		wait $!
		echo $? >"$NET_TMP/tern.rc"
	) 2>/dev/null &
	net_bg_pid $!
	wait_until test -s "$NET_TMP/tern.pid" || return 1
	cat "$NET_TMP/tern.pid" >>"$NET_TMP/vg.pids"
	VG_T0=$(date +%s%N)
	for ((i = 0; i < 600; i++)); do
		if grep -q '^tern: ready' "$NET_TMP/tern.log"; then
			echo "    ready under valgrind in $((($(date +%s%N) - VG_T0) / 1000000)) ms"
			return 0
		fi
		[ -s "$NET_TMP/tern.rc" ] && break
		sleep 0.1
	done
	sed 's/^/    /' "$NET_TMP/tern.log" "$VG_LOG" >&2
	return 1
}

# vg_exited: wait (120 s at most: the leak check scans the heap at exit)
vg_exited() {
	local i

	for ((i = 0; i < 1200; i++)); do
		[ -s "$NET_TMP/tern.rc" ] && return 0
		sleep 0.1
	done
	return 1
}

vg_summary() { grep -E '== (ERROR SUMMARY|   (definitely|indirectly|possibly) lost|All heap blocks)' "$VG_LOG" | sed 's/^==[0-9]*== /    /'; }

# Valgrind's exit code is tern's unless it found an error; then VG_ERR.
t_vg_exit() {
	local rc

	vg_exited || fail "tern did not exit"
	rc=$(cat "$NET_TMP/tern.rc")
	vg_summary
	[ "$rc" != "$VG_ERR" ] || { vg_errors; fail "valgrind reported errors (exit $rc)"; }
	[ "$rc" = 0 ] || { sed 's/^/    /' "$NET_TMP/tern.log" >&2; fail "tern exited $rc"; }
	grep -Eq '== ERROR SUMMARY: 0 errors from 0 contexts' "$VG_LOG" || { vg_errors; fail "ERROR SUMMARY"; }
}

# The first reports with their stacks (and the suppression valgrind proposes).
vg_errors() { grep -v -E '^==[0-9]+== (Open|   <inherited|FILE DESC)' "$VG_LOG" | sed -n '/^==[0-9]*== Parent PID/,$p' | head -120 | sed 's/^/    /' >&2; }

# No definite or indirect leak (valgrind errors, so t_vg_exit fails too),
# and nothing else left in use at exit.
t_vg_leaks() {
	grep -q '== All heap blocks were freed -- no leaks are possible' "$VG_LOG" && return 0
	grep -E '== +(in use at exit|definitely lost|indirectly lost|possibly lost|still reachable):' \
		"$VG_LOG" | sed 's/^==[0-9]*== */    /'
	grep -Eq '==    definitely lost: 0 bytes in 0 blocks' "$VG_LOG" || fail "definite leak"
	grep -Eq '==    indirectly lost: 0 bytes in 0 blocks' "$VG_LOG" || fail "indirect leak"
	fail "heap blocks left at exit (TERN_VG_OPTS=--show-leak-kinds=all shows where)"
}

# Every descriptor open at exit was inherited, but for one: libxdp 1.3.1's
# xdp_multiprog__get_from_ifindex leaks the program fd it gets by id (the
# copy it keeps is closed; fixed in libxdp 1.4.1, xdp-tools commit 48ad94b
# "libxdp: Fix bpf program original file descriptor management"); the
# loader calls it once a run: to detach at exit, or at start on a program
# that is already attached.
t_vg_fds() {
	python3 - "$VG_LOG" <<'EOF'
import re, sys
fds, cur = [], None
for line in open(sys.argv[1]):
    line = re.sub(r"^==\d+== ?", "", line.rstrip("\n"))
    m = re.match(r"Open (.*?) (\d+):(.*)", line)
    if m:
        cur = [m.group(0)]
        fds.append(cur)
    elif cur is not None and line.strip():
        cur.append(line.strip())
    else:
        cur = None
own = [f for f in fds if "<inherited from parent>" not in f]
libxdp = [f for f in own if any("xdp_multiprog__get_from_ifindex" in l for l in f)
          and any("bpf_prog_get_fd_by_id" in l for l in f)]
bad = [f for f in own if f not in libxdp]
print("    %d descriptors open at exit: %d inherited, %d libxdp 1.3.1's, %d other"
      % (len(fds), len(fds) - len(own), len(libxdp), len(bad)))
for f in bad:
    print("    " + "\n      ".join(f[:8]))
sys.exit(1 if bad or len(libxdp) > 1 else 0)
EOF
}

# Every queue's frame accounting at exit (the daemon's own check).
t_vg_frames() {
	grep '^tern: queue [0-9]*: frames: total' "$NET_TMP/tern.log" | sed 's/^/    /'
	[ "$(grep -c 'frames: total .*: ok$' "$NET_TMP/tern.log")" = "$1" ] ||
		fail "frame accounting: not every queue says ok"
	! grep -E 'ring-err [1-9]' "$NET_TMP/tern.log" || fail "io_uring errors counted"
}

vg_checks() {
	local name=$1 queues=$2 ms

	t_run "$name: exit 0, valgrind ERROR SUMMARY: 0 errors" t_vg_exit
	t_run "$name: no leak (definite, indirect), every heap block freed" t_vg_leaks
	t_run "$name: no descriptor left open" t_vg_fds
	t_run "$name: frames accounted at exit, no io_uring error" t_vg_frames "$queues"
	ms=$((($(date +%s%N) - VG_T0) / 1000000))
	echo "    ($name: $ms ms under valgrind)"
}

# ---- clients (client namespace) ---------------------------------------------------

write_backend() {
	# The proxy's backend: echo each connection to its EOF, then close.
	cat >"$NET_TMP/backend.py" <<'EOF'
import socket, sys, threading
def serve(c):
    with c:
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    return
                c.sendall(b)
        except ConnectionResetError:
            return  # tern's health checks close with a RST
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(128)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
EOF
}

client() { in_c env CLIENT_TIMEOUT=30 timeout 120 python3 "$NET_DIR/echo_client.py" "$@"; }
# client_bg NAME ARGS...: a client in the background; its exit code goes
# to NAME.rc (checks run in subshells, which cannot wait for each other's
# children)
client_bg() {
	local name=$1

	shift
	rm -f "$NET_TMP/$name.rc"
	(
		set +e
		client "$@"
		echo $? >"$NET_TMP/$name.rc"
	) &
	net_bg_pid $!
}
# client_rc NAME: the background client's exit code, once it is there
client_rc() { wait_long test -s "$NET_TMP/$1.rc" && [ "$(cat "$NET_TMP/$1.rc")" = 0 ]; }
total() { py "print(stats('$CTL')['total']['$1'])"; }
tctl() { in_s "$TERNCTL" "$1" --dev "$DEV_S" --ctl "$CTL" "${@:2}"; }
# sum of one MIB counter over the queues
mib() { counters "mib:$1"; }

# ---- run 1: echo -------------------------------------------------------------------

write_conf() {
	cat >"$CONF" <<EOF
# tern.conf for test_valgrind
addr = $IP4_S
addr = $IP6_S
port = $PORT
app = echo
queues = $QUEUES
cpus = 0-1
syncookies = $1
backlog = $BACKLOG
max-conns = ${SMALL[1]}
max-tw = ${SMALL[3]}
log-level = info
metrics = 127.0.0.1:$MPORT
ctl = $CTL
EOF
}

t_started() {
	grep -q "^tern: ready on $DEV_S ($QUEUES queues, app $1, XDP program $2)" \
		"$NET_TMP/tern.log" || fail "no ready line: $(grep '^tern: ready' "$NET_TMP/tern.log")"
	[ "$(grep -c '^tern: queue [0-9]* on .*: AF_XDP \(copy\|zero-copy\) mode' "$NET_TMP/tern.log")" = "$QUEUES" ] ||
		fail "not $QUEUES AF_XDP sockets"
	grep -q "^tern: control socket $CTL" "$NET_TMP/tern.log" || fail "no control socket"
	ip -n "$NS_S" link show "$DEV_S" | grep -q xdp || fail "no XDP program on $DEV_S"
}

t_echo4() {
	client big "$IP4_S" "$PORT" $((4 << 20))
	client many "$IP4_S" "$PORT" 1000 2048
}

t_echo6() {
	client big "$IP6_S" "$PORT" $((1 << 20))
	client many "$IP6_S" "$PORT" 200 4096
}

# 1 in 50 of the frames tern sends dropped on the client veth (the soak's
# loss program): retransmissions (RTO, fast retransmit) on tern's side
t_loss() {
	local b

	b=$(mib RetransSegs)
	ip -n "$NS_C" link set dev "$DEV_C" xdp obj "$DROP" sec xdp || fail "cannot attach the loss program"
	client big "$IP4_S" "$PORT" $((1 << 20)) || { ip -n "$NS_C" link set dev "$DEV_C" xdp off; fail "big"; }
	client many "$IP6_S" "$PORT" 50 8192 || { ip -n "$NS_C" link set dev "$DEV_C" xdp off; fail "many"; }
	ip -n "$NS_C" link set dev "$DEV_C" xdp off
	echo "    $(in_c ethtool -S "$DEV_C" | awk '/xdp_drops/ { n += $2 } END { print n }') frames dropped," \
		"RetransSegs +$(($(mib RetransSegs) - b))"
	[ "$(mib RetransSegs)" -gt "$b" ] || fail "no retransmission"
}

t_syn_burst() {
	local b sent recv

	b=$(mib SyncookiesSent)
	# from addresses on the link that nobody owns: no RST comes back
	in_c python3 -c "
import sys; sys.path.insert(0, '$NET_DIR'); from pkt import *
tx = Sender('$DEV_C')
for i in range($SYNS):
    src = addr('10.200.$NET_X.%d' % (10 + i % 240))
    tx.send(eth(mac('$MAC_S'), mac('$MAC_C'), ETH_P_IP,
                ip4(src, addr('$IP4_S'), tcp(src, addr('$IP4_S'), 20000 + i, $PORT, SYN, opts=opt_mss()))))"
	# every SYN answered: a half-open record for the first BACKLOG of a
	# queue, a cookie for the rest
	wait_long py "
s = stats('$CTL')['total']
sys.exit(s['mib']['SyncookiesSent'] - $b + s['nreqs'] < $SYNS)" ||
		fail "not every SYN answered: $(py "s = stats('$CTL')['total']; print(s['nreqs'], s['mib']['SyncookiesSent'])")"
	sent=$(($(mib SyncookiesSent) - b))
	recv=$(mib SyncookiesRecv)
	echo "    $SYNS spoofed SYNs: SyncookiesSent +$sent, half-opens $(total nreqs)"
	[ "$sent" -ge $((SYNS - QUEUES * BACKLOG)) ] || fail "SyncookiesSent +$sent"
	# while the backlog is full a real client gets in on a cookie
	client big "$IP4_S" "$PORT" 4096
	client big "$IP6_S" "$PORT" 4096
	[ "$(mib SyncookiesRecv)" -ge $((recv + 2)) ] || fail "the clients did not get in with a cookie"
}

t_rst() {
	local b

	b=$(mib EstabResets)
	client rst "$IP4_S" "$PORT"
	client rst "$IP6_S" "$PORT"
	wait_until py "sys.exit(counters('$CTL')['mib:EstabResets'] < $b + 2)" ||
		fail "EstabResets $(mib EstabResets), expected $((b + 2))"
}

t_ctl() {
	tctl stats >"$NET_TMP/stats.txt" || fail "ternctl stats"
	grep -q '^queue 1 (' "$NET_TMP/stats.txt" || fail "no queue 1 in the table"
	grep -q '^  PassiveOpens  *[1-9]' "$NET_TMP/stats.txt" || fail "no PassiveOpens in the table"
	tctl stats --prometheus >"$NET_TMP/stats.prom" || fail "ternctl stats --prometheus"
	grep -q '^tern_tcp_passive_opens_total{' "$NET_TMP/stats.prom" || fail "no PassiveOpens in --prometheus"
	tctl stats --json >"$NET_TMP/stats.json" || fail "ternctl stats --json"
	python3 - "$NET_TMP/stats.json" "$QUEUES" <<'EOF' || fail "stats --json"
import json, sys
d = json.load(open(sys.argv[1]))
qs, t = d["queues"], d["total"]
assert len(qs) == int(sys.argv[2]), "%d queues" % len(qs)
for k in ("rx_frames", "tx_frames", "tx_synack", "nconns", "nreqs"):
    assert t[k] == sum(q[k] for q in qs), "total " + k
for k, v in t["mib"].items():
    assert v == sum(q["mib"][k] for q in qs), "total " + k
assert t["frames_ok"] and all(q["frames"]["ok"] for q in qs), "frames"
assert all(q["rx_frames"] > 0 for q in qs), "a queue received nothing"
assert t["mib"]["PassiveOpens"] > 0 and d["xdp"]["XdpSteered"] > 0
print("    stats --json: %d queues, PassiveOpens %d, XdpSteered %d"
      % (len(qs), t["mib"]["PassiveOpens"], d["xdp"]["XdpSteered"]))
EOF
	tctl top --once >"$NET_TMP/top.txt" || fail "ternctl top --once"
	grep -q '^q1 ' "$NET_TMP/top.txt" || fail "top: no q1 row"
	# keepalive probes on the connection held below, which the client's
	# kernel answers (checked in t_sigterm)
	tctl set --keepalive 1,1,3 >/dev/null || fail "ternctl set --keepalive"
	# conns while a client holds a connection (it stays for t_sigterm)
	client_bg drain drain "$IP4_S" "$PORT" "$NET_TMP/held1"
	wait_long test -e "$NET_TMP/held1" || fail "client did not connect"
	tctl conns >"$NET_TMP/conns.txt" || fail "ternctl conns"
	tctl conns --json >"$NET_TMP/conns.json" || fail "ternctl conns --json"
	grep -q "$IP4_C" "$NET_TMP/conns.txt" || fail "the client is not in conns: $(cat "$NET_TMP/conns.txt")"
	python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
c = [c for c in d['conns'] if c['remote'].startswith(sys.argv[2] + ':')]
assert c and c[0]['state'] == 'ESTABLISHED', d
print('    conns --json: %s' % c[0])" "$NET_TMP/conns.json" "$IP4_C" || fail "conns --json"
}

# capture_active: the daemon says a capture runs
capture_active() { py "sys.exit('\"active\": true' not in ctl('$CTL', 'capture status'))"; }

t_capture() {
	local f=$NET_TMP/cap.pcap n

	# the client's SYNs and their SYN-ACKs (not those of the spoofed SYNs
	# still retransmitted)
	tctl capture --file "$f" --count 6 \
		--filter "host $IP4_C and tcp port $PORT and tcp[tcpflags] & tcp-syn != 0" >"$f.out" 2>&1 &
	local cpid=$!
	wait_long capture_active || { kill "$cpid"; fail "capture did not start"; }
	client many "$IP4_S" "$PORT" 3 64 >/dev/null
	wait "$cpid" || { cat "$f.out"; fail "capture exit"; }
	sed 's/^/    /' "$f.out"
	tcpdump -nn -r "$f" >"$f.txt" 2>/dev/null || fail "tcpdump -r"
	n=$(grep -c 'Flags \[S\.\?\],' "$f.txt")
	[ "$n" = 6 ] || { sed 's/^/    /' "$f.txt"; fail "$n SYN or SYN-ACK frames read back, want 6"; }
}

t_reload() {
	local out b

	write_conf always
	out=$(tctl reload) || fail "ternctl reload"
	sed 's/^/    /' <<<"$out"
	grep -qx 'syncookies: applied (syncookies always)' <<<"$out" || fail "syncookies not applied"
	b=$(mib SyncookiesSent)
	client big "$IP6_S" "$PORT" 1024
	[ "$(mib SyncookiesSent)" -gt "$b" ] || fail "syncookies always: no cookie sent"
	# SIGHUP: the same, from the daemon's main thread, in the log
	write_conf auto
	kill -HUP "$(tern_pid)"
	wait_long grep -q 'SIGHUP: reload: syncookies: applied (syncookies auto)' "$NET_TMP/tern.log" ||
		fail "no SIGHUP reload line"
	grep 'SIGHUP: reload' "$NET_TMP/tern.log" | sed 's/^/    /'
}

t_metrics() {
	local hdr=$NET_TMP/hdr

	in_s curl -sS --max-time 30 -D "$hdr" -o "$NET_TMP/m.prom" "http://127.0.0.1:$MPORT/metrics" ||
		fail "curl /metrics"
	grep -qi '^HTTP/1.1 200 OK' "$hdr" || fail "status: $(head -1 "$hdr")"
	grep -q '^tern_rx_frames_total{iface="'"$DEV_S"'",queue="1"} [1-9]' "$NET_TMP/m.prom" || fail "no rx frames"
	grep -q '^tern_tcp_syncookies_sent_total{' "$NET_TMP/m.prom" || fail "no cookie counter"
	echo "    /metrics: $(grep -c '^tern_' "$NET_TMP/m.prom") samples"
	[ "$(in_s curl -s --max-time 30 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/nope")" = 404 ] ||
		fail "/nope not 404"
}

t_sigterm() {
	local t0

	test -e "$NET_TMP/held1" || fail "no connection held since t_ctl"
	wait_long py "sys.exit(counters('$CTL')['mib:TCPKeepAlive'] == 0)" || fail "no keepalive probe"
	echo "    TCPKeepAlive $(mib TCPKeepAlive) (--keepalive 1,1,3 on the held connections)"
	client_bg hold hold "$IP6_S" "$PORT" "$NET_TMP/held2"
	wait_long test -e "$NET_TMP/held2" || fail "hold client did not connect"
	frames_ok || fail "frame accounting before the stop"
	t0=$(date +%s%N)
	kill -TERM "$(tern_pid)"
	client_rc drain || fail "the open connection did not get a FIN"
	client_rc hold || fail "the connection left open did not get FIN then RST"
	vg_exited || fail "tern did not exit"
	echo "    exited $((($(date +%s%N) - t0) / 1000000)) ms after SIGTERM"
	grep -q 'OutRsts [1-9]' "$NET_TMP/tern.log" || fail "no RST counted at exit"
	! ip -n "$NS_S" link show "$DEV_S" | grep -q xdp || fail "XDP program left attached"
}

# ---- run 2: proxy -----------------------------------------------------------------

app() { py "print(stats('$CTL')['total']['app']['$1'])"; }

t_proxy_health() {
	# the port where nothing listens is taken out on every queue
	wait_long py "sys.exit(stats('$CTL')['total']['app']['ProxyBackendsHealthy'] != $QUEUES)" ||
		fail "ProxyBackendsHealthy $(app ProxyBackendsHealthy), want $QUEUES"
	echo "    ProxyHealthFails $(app ProxyHealthFails), ProxyBackendDown $(app ProxyBackendDown)"
	[ "$(app ProxyBackendDown)" -ge "$QUEUES" ] || fail "ProxyBackendDown"
}

t_proxy() {
	local to tc

	client big "$IP4_S" "$PORT" $((4 << 20))
	client big "$IP6_S" "$PORT" $((1 << 20))
	client many "$IP4_S" "$PORT" 200 4096
	wait_long py "sys.exit(stats('$CTL')['total']['app']['ProxyConns'] != 0)" ||
		fail "ProxyConns $(app ProxyConns) after the clients left"
	to=$(app ProxyBytesToBackend)
	tc=$(app ProxyBytesToClient)
	echo "    ProxyBytesToBackend $to, ProxyBytesToClient $tc"
	[ "$to" = $((5 * (1 << 20) + 200 * 4096)) ] && [ "$tc" = "$to" ] || fail "relayed bytes"
}

t_ctl_stop() {
	local t0

	frames_ok || fail "frame accounting before the stop"
	t0=$(date +%s%N)
	tctl stop >/dev/null || fail "ternctl stop"
	vg_exited || fail "tern did not exit"
	echo "    exited $((($(date +%s%N) - t0) / 1000000)) ms after ternctl stop"
	# ternctl loaded the program: it stays, for ternctl to unload
	ip -n "$NS_S" link show "$DEV_S" | grep -q xdp || fail "the program ternctl loaded was detached"
	in_s "$TERNCTL" unload --dev "$DEV_S" --bpffs "$NET_BPFFS" >/dev/null || fail "ternctl unload"
}

# ---- run 3: http ------------------------------------------------------------------

t_http() {
	local out

	out=$(in_c curl -sS --max-time 30 "http://$IP4_S:$PORT/a" "http://$IP4_S:$PORT/b") ||
		fail "curl (keep-alive, 2 requests)"
	[ "$out" = "$(printf 'tern\ntern')" ] || fail "bodies: $out"
	out=$(in_c curl -sS --max-time 30 -g "http://[$IP6_S]:$PORT/") || fail "curl IPv6"
	[ "$out" = tern ] || fail "IPv6 body: $out"
	# a request with a body: 400, as test_http checks
	[ "$(in_c curl -s --max-time 30 -o /dev/null -w '%{http_code}' -d abc "http://$IP4_S:$PORT/")" = 400 ] ||
		fail "POST with a body not 400"
	ab_ok 20000 -k -c 50
	# a connection per request: tern closes first, TIME-WAIT past --max-tw
	ab_ok 2000 -c 20
}

# ab_ok N ARGS...: ab sends N requests to / (ARGS: -k, -c); all answered 200
ab_ok() {
	local n=$1

	shift
	in_c timeout 120 ab -q -n "$n" "$@" "http://$IP4_S:$PORT/" >"$NET_TMP/ab.txt" 2>&1 ||
		{ sed 's/^/    /' "$NET_TMP/ab.txt"; fail "ab"; }
	echo "    ab -n $n $*: $(grep -E '^(Complete|Failed|Keep-Alive) ' "$NET_TMP/ab.txt" | tr -s ' \n' ' ')"
	grep -q "^Complete requests: *$n\$" "$NET_TMP/ab.txt" || fail "ab: not $n complete"
	grep -q '^Failed requests: *0$' "$NET_TMP/ab.txt" || fail "ab: failed requests"
	! grep -q '^Non-2xx' "$NET_TMP/ab.txt" || fail "ab: non-2xx responses"
}

t_sigint() {
	local t0

	frames_ok || fail "frame accounting before the stop"
	t0=$(date +%s%N)
	kill -INT "$(tern_pid)"
	vg_exited || fail "tern did not exit"
	echo "    exited $((($(date +%s%N) - t0) / 1000000)) ms after SIGINT"
}

# ---- run --------------------------------------------------------------------------

net_setup
net_need valgrind curl tcpdump ab
# as test_echo: Linux must not move a flow to the other queue after an RTO
in_c sysctl -qw net.core.txrehash=0
robust_macs
write_backend
CTL=$NET_TMP/ctl.sock
CONF=$NET_TMP/tern.conf
SUITE_T0=$(date +%s%N)

write_conf auto
vg_start echo --config "$CONF" || net_die "tern did not start under valgrind"
t_run "echo: started (XDP attached, $QUEUES AF_XDP sockets, control socket)" t_started echo "loaded by tern"
t_run "echo: IPv4, 4 MiB and 1000 concurrent connections" t_echo4
t_run "echo: IPv6, 1 MiB and 200 concurrent connections" t_echo6
t_run "echo: 1 in 50 of tern's frames lost: 1 MiB and 50 connections, retransmitted" t_loss
t_run "echo: $SYNS spoofed SYNs past --backlog $BACKLOG: cookies; clients get in" t_syn_burst
t_run "echo: client RSTs counted (EstabResets)" t_rst
t_run "echo: ternctl stats (table, --json, --prometheus), top, set, conns" t_ctl
t_run "echo: ternctl capture --filter, read back with tcpdump" t_capture
t_run "echo: ternctl reload and SIGHUP apply syncookies" t_reload
t_run "echo: --metrics with curl: 200 and counters, 404" t_metrics
t_run "echo: keepalive probes answered; SIGTERM: FIN to an open connection, RST after the drain timeout, exit" t_sigterm
vg_checks echo "$QUEUES"

in_s python3 "$NET_TMP/backend.py" "$BPORT" &
net_bg_pid $!
wait_long in_s python3 -c "import socket; socket.create_connection(('127.0.0.1', $BPORT)).close()" 2>/dev/null ||
	net_die "the backend did not start"
in_s "$TERNCTL" load --dev "$DEV_S" --bpffs "$NET_BPFFS" --obj "$VG_BUILD/bpf/tern.bpf.o" \
	--addr "$IP4_S" --addr "$IP6_S" --port "$PORT" >/dev/null || net_die "ternctl load"
vg_start proxy --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --queues "$QUEUES" --ctl "$CTL" \
	--app proxy --backend "127.0.0.1:$BPORT" --backend "127.0.0.1:$((BPORT + 1))" \
	--health-interval 200 --health-fall 1 "${SMALL[@]}" ||
	net_die "tern --app proxy did not start under valgrind"
t_run "proxy: started on the program ternctl loaded" t_started proxy "already loaded"
t_run "proxy: health checks take the closed backend out" t_proxy_health
t_run "proxy: relayed echo over IPv4 and IPv6 to a Linux backend" t_proxy
t_run "proxy: ternctl stop, exit; the program stays for ternctl unload" t_ctl_stop
vg_checks proxy "$QUEUES"

vg_start http --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --queues "$QUEUES" --ctl "$CTL" \
	--app http "${SMALL[@]}" || net_die "tern --app http did not start under valgrind"
t_run "http: started" t_started http "loaded by tern"
t_run "http: curl over IPv4 (keep-alive) and IPv6, 400, ab (keep-alive and not)" t_http
t_run "http: SIGINT, exit" t_sigint
vg_checks http "$QUEUES"

echo "    all three runs: $((($(date +%s%N) - SUITE_T0) / 1000000)) ms"
net_finish
