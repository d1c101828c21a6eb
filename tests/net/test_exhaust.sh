#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tern at its configured bounds (one queue; XPS sends every client frame
# through queue 0), with the http app so that tern closes first and keeps
# TIME-WAIT records:
#   --max-conns 8   12 clients: 8 are served, the SYNs of the other 4 are
#                   dropped and counted (ListenOverflows), so their connect
#                   times out, as with a Linux listener whose accept queue
#                   is full (checked side by side); all served again after
#   --backlog 16    40 spoofed SYNs and a real client from one process:
#                   with --syncookies never 16 half-opens
#                   and 24 TCPReqQFullDrop, and a real client gets in once
#                   the half-opens expire (--synack-retries 1: 3 s); with
#                   auto the other 24 get cookies and a client at once
#   --max-tw 16     40 connections closed by tern: 16 TIME-WAIT records,
#                   24 closed without one (TCPTimeWaitOverflow), every
#                   response whole; records again after --time-wait 2 s
# Frame accounting and a clean stop. Then a second daemon (echo) with the
# smallest UMEM, --frames 128 (64 on the fill ring, tern_xsk__geom):
#   stopped worker  SIGSTOP, 300 spoofed SYNs: the kernel fills the RX ring
#                   with the 64 fill frames and drops the other 236 for want
#                   of a frame, counted in xsk_rx_dropped and
#                   xsk_rx_fill_ring_empty, and `ternctl top` running
#                   across the stop shows them per second on rx-q0;
#                   after SIGCONT the 64 are answered, the fill ring is
#                   full again, clients work
#   out of order    one connection sends 48 segments past a hole: the core
#                   keeps 32 (--frames / 4, its bound on kept frames) and
#                   drops 16 (TCPOFODrop); its RST gives all 32 back
#   flood           rawflood SYNs at the generator's maximum for 4 s while
#                   64 KiB echo connections run (at least one succeeds, at
#                   most 4 are reset); afterwards every frame is
#                   back (fill + free = total), none bad, clients work
#                   (the drops are printed, not asserted: whether a 64-slot
#                   ring overflows depends on the two CPUs' timing)
# (The control socket under floods of clients and garbage is test_ctl.sh's;
# the frame pool's exact bounds are unit-tested in tests/unit/test_xsk.c.)
#   tests/net/test_exhaust.sh BUILD_DIR
NET_SUITE=test_exhaust
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/robust.sh
. "$(dirname "$0")/robust.sh"

net_tern_arg "$@"
PORT=80
LPORT=81
CTL=
MAX_CONNS=8
BACKLOG=16
MAX_TW=16
FRAMES=128
FLOOD=$(realpath "$1/tests/rawflood")
TERNCTL=$(realpath "$1/tools/ternctl")
[ -x "$FLOOD" ] && [ -x "$TERNCTL" ] || { echo "Error: $1: rawflood or ternctl not built (make)" >&2; exit 2; }

total() { py "print(stats('$CTL')['total']['$1'])"; }
# fill_start PORT N NAME [http|none]: N connections held open by
# clients.py fill; prints its line "ANSWERED CONNECTED TIMEDOUT REFUSED".
# fill_end NAME closes them; it fails if the clients did.
fill_start() {
	mkdir -p "$NET_TMP/$3"
	(
		in_c timeout 120 python3 "$NET_DIR/clients.py" fill "$IP4_S" "$1" "$2" "$NET_TMP/$3" ${4:-} \
			>"$NET_TMP/$3/out" 2>&1
		echo $? >"$NET_TMP/$3/rc"
	) >/dev/null 2>&1 & # (not the caller's $(...) pipe, which would wait for it)
	net_bg_pid $!
	wait_long test -s "$NET_TMP/$3/result" || return 1
	cat "$NET_TMP/$3/result"
}
fill_end() {
	touch "$NET_TMP/$1/go"
	wait_until test -s "$NET_TMP/$1/rc" || return 1
	cat "$NET_TMP/$1/out"
	[ "$(cat "$NET_TMP/$1/rc")" = 0 ]
}

# spoof_py N: Python that sends N SYNs (N tuples) from addresses on the link
# that nobody owns
spoof_py() {
	echo "
import socket, sys, time; sys.path.insert(0, '$NET_DIR'); from pkt import *
tx = Sender('$DEV_C')
for i in range($1):
    src = addr('10.200.$NET_X.%d' % (100 + i % 100))
    tx.send(eth(mac('$MAC_S'), mac('$MAC_C'), ETH_P_IP,
                ip4(src, addr('$IP4_S'), tcp(src, addr('$IP4_S'), 30000 + i, $PORT, SYN, opts=opt_mss()))))"
}

spoof_syns() { in_c python3 -c "$(spoof_py "$1")"; }

t_max_conns() {
	local b a r l

	b=$(counters mib:ListenOverflows)
	r=$(fill_start "$PORT" 12 tern http) || fail "tern: clients did not finish"
	a=$(counters mib:ListenOverflows)
	l=$(fill_start "$LPORT" 12 linux none) || fail "Linux: clients did not finish"
	echo "    tern (max-conns $MAX_CONNS): answered/connected/timed out/refused $r; ListenOverflows +$((a - b))"
	echo "    Linux (backlog $MAX_CONNS, never accepts): connected/timed out/refused ${l#* }"
	[ "$(total nconns)" = "$MAX_CONNS" ] || fail "nconns $(total nconns), expected $MAX_CONNS"
	fill_end tern || fail "tern: clients"
	fill_end linux || fail "Linux: clients"
	read -r ans con tmo ref <<<"$r"
	[ "$ans" = "$MAX_CONNS" ] && [ "$con" = "$MAX_CONNS" ] || fail "tern served $ans of $con, expected $MAX_CONNS"
	[ "$tmo" = $((12 - MAX_CONNS)) ] && [ "$ref" = 0 ] || fail "tern: $tmo timed out, $ref refused"
	read -r _ con tmo ref <<<"$l"
	[ "$tmo" -gt 0 ] && [ "$ref" = 0 ] || fail "Linux did not time out the extra clients either: $l"
	[ "$((a - b))" -ge $((12 - MAX_CONNS)) ] || fail "ListenOverflows moved by $((a - b))"
	wait_until py "sys.exit(stats('$CTL')['total']['nconns'] != 0)" || fail "connections left"
	in_c python3 "$NET_DIR/clients.py" http "$IP4_S" "$PORT" 20 || fail "clients after the bound"
}

# spoof_then_client: 40 spoofed SYNs, the half-open count once it reaches
# 16 (or after 2 s), TCPReqQFullDrop then, and a real HTTP client's time in
# ms, all from one process: the half-opens expire 3 s after their SYN
# (--synack-retries 1), and separate processes on a loaded machine can
# take longer than that.
spoof_then_client() {
	in_c python3 -c "$(spoof_py 40)
end = time.monotonic() + 2
while True:
    n = stats('$CTL')['total']['nreqs']
    if n == $BACKLOG or time.monotonic() > end: break
    time.sleep(0.02)
drops = counters('$CTL')['mib:TCPReqQFullDrop']
t0 = time.monotonic()
s = socket.create_connection(('$IP4_S', $PORT), timeout=10)
s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
d = b''
while True:
    c = s.recv(4096)
    if not c: break
    d += c
assert d.startswith(b'HTTP/1.1 200'), d[:40]
print(n, drops, int((time.monotonic() - t0) * 1000))"
}

t_backlog_never() {
	local b r n drops ms

	py "ctl('$CTL', 'set syncookies never')" >/dev/null || fail "set syncookies never"
	b=$(counters mib:TCPReqQFullDrop)
	r=$(spoof_then_client) || fail "a client once the half-opens expired"
	read -r n drops ms <<<"$r"
	echo "    nreqs $n, TCPReqQFullDrop +$((drops - b)); a real client got in after $ms ms (SYN retransmitted)"
	[ "$n" = "$BACKLOG" ] || fail "nreqs $n, expected $BACKLOG"
	[ "$((drops - b))" = $((40 - BACKLOG)) ] || fail "TCPReqQFullDrop moved by $((drops - b)), expected $((40 - BACKLOG))"
	[ "$ms" -ge 900 ] || fail "the client's first SYN was not dropped"
}

# 25 TCPReqQFullDoCookies (24 spoofed + the client) prove the table was
# full when the client came.
t_backlog_auto() {
	local b a r n ms

	py "ctl('$CTL', 'set syncookies auto')" >/dev/null || fail "set syncookies auto"
	wait_long py "sys.exit(stats('$CTL')['total']['nreqs'] != 0)" || fail "half-opens left"
	b=$(counters mib:TCPReqQFullDoCookies mib:SyncookiesRecv)
	r=$(spoof_then_client) || fail "a client with a cookie"
	read -r n _ ms <<<"$r"
	a=$(counters mib:TCPReqQFullDoCookies mib:SyncookiesRecv)
	echo "    nreqs $n, TCPReqQFullDoCookies +$((${a%% *} - ${b%% *})), SyncookiesRecv +$((${a##* } - ${b##* })); client in $ms ms"
	[ "$n" = "$BACKLOG" ] || fail "nreqs $n, expected $BACKLOG"
	[ "$((${a%% *} - ${b%% *}))" = $((40 - BACKLOG + 1)) ] || fail "TCPReqQFullDoCookies: expected $((40 - BACKLOG + 1))"
	[ "$((${a##* } - ${b##* }))" = 1 ] || fail "SyncookiesRecv: expected 1"
	[ "$ms" -lt 900 ] || fail "the client waited for a retransmission"
}

t_tw_full() {
	local b a n=40

	sleep 2.5 # earlier TIME-WAITs (--time-wait 2) are gone
	b=$(counters mib:TW mib:TCPTimeWaitOverflow)
	in_c python3 "$NET_DIR/clients.py" http "$IP4_S" "$PORT" $n || fail "responses while TIME-WAIT is full"
	a=$(counters mib:TW mib:TCPTimeWaitOverflow)
	echo "    TW +$((${a%% *} - ${b%% *})), TCPTimeWaitOverflow +$((${a##* } - ${b##* }))"
	[ "$((${a%% *} - ${b%% *}))" = "$MAX_TW" ] || fail "TW: expected +$MAX_TW"
	[ "$((${a##* } - ${b##* }))" = $((n - MAX_TW)) ] || fail "TCPTimeWaitOverflow: expected +$((n - MAX_TW))"
	sleep 2.5
	b=$(counters mib:TW mib:TCPTimeWaitOverflow)
	in_c python3 "$NET_DIR/clients.py" http "$IP4_S" "$PORT" 10 || fail "responses after TIME-WAIT expired"
	a=$(counters mib:TW mib:TCPTimeWaitOverflow)
	echo "    after 2.5 s: TW +$((${a%% *} - ${b%% *})), TCPTimeWaitOverflow +$((${a##* } - ${b##* }))"
	[ "$((${a%% *} - ${b%% *}))" = 10 ] && [ "${a##* }" = "${b##* }" ] || fail "TIME-WAIT records did not come back"
}

t_stop() {
	stop_ok 1
}

# qtotal KEY...: queue-summed worker counters (ternctl stats "total")
qtotal() { py "t = stats('$CTL')['total']; print(' '.join(str(t[k]) for k in sys.argv[1:]))" "$@"; }
# frames_home: no frame is held (kept, rx, tx, comp), the fill ring holds
# its share (half the UMEM) and the rest is free
frames_home() {
	py "
f = stats('$CTL')['queues'][0]['frames']
sys.exit(not (f['ok'] and f['bad'] == 0 and f['fill'] == $FRAMES // 2 and
              f['free'] == $FRAMES - $FRAMES // 2 and f['kept'] + f['rx'] + f['tx'] + f['comp'] == 0))"
}
frames_line() { py "print(stats('$CTL')['queues'][0]['frames'])"; }

t_frames_stopped() {
	local n=300 b a pid top

	frames_home || fail "frames before: $(frames_line)"
	b=$(qtotal xsk_rx_dropped xsk_rx_fill_ring_empty rx_frames)
	in_s "$TERNCTL" top --dev "$DEV_S" --ctl "$CTL" --count 4 >"$NET_TMP/top.txt" 2>&1 &
	top=$!
	sleep 0.5 # top's first sample is before the stop
	pid=$(tern_pid)
	kill -STOP "$pid"
	spoof_syns "$n" || { kill -CONT "$pid"; fail "spoof_syns"; }
	sleep 0.5
	kill -CONT "$pid"
	# XDP_STATISTICS is read with the snapshot, every 100 ms at most
	wait_until py "sys.exit($(cut -d' ' -f1 <<<"$b") + $n - $FRAMES // 2 > stats('$CTL')['total']['xsk_rx_dropped'])"
	sleep 0.3
	a=$(qtotal xsk_rx_dropped xsk_rx_fill_ring_empty rx_frames)
	read -r d0 e0 r0 <<<"$b"
	read -r d1 e1 r1 <<<"$a"
	echo "    $n SYNs while stopped: received $((r1 - r0)), xsk_rx_dropped +$((d1 - d0)), xsk_rx_fill_ring_empty +$((e1 - e0))"
	wait "$top" || { cat "$NET_TMP/top.txt"; fail "ternctl top"; }
	grep -E '^(XdpSteered|queue +rx/s|rx-q0 )' "$NET_TMP/top.txt" | sed 's/^/    top: /'
	[ "$(grep -c '^XdpSteered/s [0-9]*;' "$NET_TMP/top.txt")" = 4 ] || fail "top: no XdpSteered/s line"
	# rx-q0 rx/s ringFull/s fillEmpty/s rxDrop/s: one refresh shows the drops
	awk '$1 == "rx-q0" && $4 > 0 && $5 > 0 { ok = 1 } END { exit !ok }' "$NET_TMP/top.txt" ||
		fail "top showed no fill-ring-empty and RX drops per second on rx-q0"
	[ "$((r1 - r0))" = $((FRAMES / 2)) ] || fail "received $((r1 - r0)), expected the fill ring's $((FRAMES / 2))"
	[ "$((d1 - d0))" = $((n - FRAMES / 2)) ] || fail "xsk_rx_dropped +$((d1 - d0)), expected $((n - FRAMES / 2))"
	[ "$((e1 - e0))" -ge $((n - FRAMES / 2)) ] || fail "xsk_rx_fill_ring_empty +$((e1 - e0))"
	wait_until frames_home || fail "frames after: $(frames_line)"
	in_c python3 "$NET_DIR/clients.py" many "$IP4_S" "$PORT" 20 || fail "clients after the drops"
}

# A hand-made connection from an address nobody owns on the link: SYN,
# ACK, then N 100-byte segments with 50-byte holes (inside the echo app's
# 8 KiB window), then
# RST when DIR/go exists. Prints "ready" once the segments are out.
ooo_conn() {
	in_c python3 -c "
import os, sys, time; sys.path.insert(0, '$NET_DIR'); from pkt import *
cap, tx = Capture('$DEV_C'), Sender('$DEV_C')
src, dst, sp, dp = addr('10.200.$NET_X.250'), addr('$IP4_S'), 40000, $PORT
def send(fl, seq, ack=0, data=b'', opts=b''):
    tx.send(eth(mac('$MAC_S'), mac('$MAC_C'), ETH_P_IP,
                ip4(src, dst, tcp(src, dst, sp, dp, fl, seq, ack, opts=opts, data=data))))
send(SYN, 1000, opts=opt_mss())
sa = cap.collect(3, lambda p: p['sport'] == dp and p['dport'] == sp and p['flags'] & SYN,
                 lambda got, t: got)
if not sa:
    sys.exit('no SYN-ACK')
ack = sa[0]['seq'] + 1
send(ACK, 1001, ack)
for i in range($1):
    send(ACK, 1101 + 150 * i, ack, data=b'x' * 100)
print('ready', flush=True)
while not os.path.exists('$2/go'):
    time.sleep(0.05)
send(RST, 1001)"
}

t_frames_ooo() {
	local n=48 b a kept

	b=$(counters mib:TCPOFOQueue mib:TCPOFODrop)
	mkdir -p "$NET_TMP/ooo"
	ooo_conn "$n" "$NET_TMP/ooo" >"$NET_TMP/ooo/out" 2>&1 &
	net_bg_pid $!
	wait_until grep -q ready "$NET_TMP/ooo/out" || { cat "$NET_TMP/ooo/out"; fail "the connection"; }
	wait_until py "sys.exit(stats('$CTL')['queues'][0]['frames']['kept'] != $FRAMES // 4)" ||
		{ touch "$NET_TMP/ooo/go"; fail "kept frames: $(frames_line)"; }
	a=$(counters mib:TCPOFOQueue mib:TCPOFODrop)
	kept=$(py "print(stats('$CTL')['queues'][0]['frames']['kept'])")
	touch "$NET_TMP/ooo/go" # the RST
	echo "    $n segments out of order: kept $kept frames, TCPOFOQueue +$((${a%% *} - ${b%% *})), TCPOFODrop +$((${a##* } - ${b##* }))"
	[ "$((${a%% *} - ${b%% *}))" = $((FRAMES / 4)) ] || fail "TCPOFOQueue: expected +$((FRAMES / 4))"
	[ "$((${a##* } - ${b##* }))" = $((n - FRAMES / 4)) ] || fail "TCPOFODrop: expected +$((n - FRAMES / 4))"
	wait_until frames_home || fail "frames after the RST: $(frames_line)"
	in_c python3 "$NET_DIR/clients.py" many "$IP4_S" "$PORT" 20 || fail "clients after"
}

t_frames_flood() {
	local b a fl t0

	b=$(qtotal xsk_rx_dropped xsk_rx_ring_full tx_drop_noframe tx_drop_ring)
	mkdir -p "$NET_TMP/loop"
	# at least one 64 KiB echo through the flood, and at most 4 reset (a flood
	# that overruns the ring can take a cookie ACK: its data then gets a RST)
	(in_c timeout 60 python3 "$NET_DIR/clients.py" loop "$IP4_S" "$PORT" "$NET_TMP/loop" 65536 1 4 \
		>"$NET_TMP/loop/out" 2>&1; echo $? >"$NET_TMP/loop/rc") &
	net_bg_pid $!
	sleep 0.5
	fl=$(in_c timeout 30 "$FLOOD" "$DEV_C" "$MAC_C" "$MAC_S" syn 10.201.0.0 "$IP4_S" "$PORT" 4) ||
		fail "rawflood"
	touch "$NET_TMP/loop/stop"
	t0=$(date +%s%N)
	# (a transfer the flood starved may wait out a few RTO backoffs; the
	# client's own timeout of 60 s bounds this)
	wait_long test -s "$NET_TMP/loop/rc" || wait_long test -s "$NET_TMP/loop/rc" || { cat "$NET_TMP/loop/out"; fail "the echo loop did not end"; }
	echo "    the echo loop ended $((($(date +%s%N) - t0) / 1000000)) ms after the flood"
	sleep 1.2
	a=$(qtotal xsk_rx_dropped xsk_rx_ring_full tx_drop_noframe tx_drop_ring)
	echo "    ${fl#rawflood: }"
	echo "    64 KiB echoes during it (ok reset other): $(cat "$NET_TMP/loop/result" 2>/dev/null)"
	read -r d0 f0 n0 r0 <<<"$b"
	read -r d1 f1 n1 r1 <<<"$a"
	echo "    xsk_rx_dropped +$((d1 - d0)), xsk_rx_ring_full +$((f1 - f0)), tx_drop_noframe +$((n1 - n0)), tx_drop_ring +$((r1 - r0))"
	[ "$(cat "$NET_TMP/loop/rc")" = 0 ] || { cat "$NET_TMP/loop/out"; fail "echo loop"; }
	frames_ok || fail "frame accounting"
	wait_long frames_home || fail "frames after the flood: $(frames_line)"
	in_c python3 "$NET_DIR/clients.py" many "$IP4_S" "$PORT" 20 || fail "clients after the flood"
}

net_setup
in_c sysctl -qw net.core.txrehash=0
xps_queue0 || net_die "cannot set XPS on $DEV_C"
robust_macs
CTL=$NET_TMP/ctl
tern_start --addr "$IP4_S" --port "$PORT" --queues 1 --allow-unserved-queues --ctl "$CTL" --app http --http-idle 60 \
	--max-conns "$MAX_CONNS" --backlog "$BACKLOG" --max-tw "$MAX_TW" --time-wait 2 \
	--synack-retries 1 || net_die "tern did not start"
wait_until py "stats('$CTL')" || net_die "no control socket"
# The reference: a Linux listener whose accept queue holds MAX_CONNS.
in_s python3 -c "
import socket, time
s = socket.socket()
s.bind(('$IP4_S', $LPORT))
s.listen($MAX_CONNS)
time.sleep(3600)" &
net_bg_pid $!

t_run "--max-conns $MAX_CONNS: extra SYNs dropped (ListenOverflows), clients time out as with Linux" t_max_conns
t_run "--backlog $BACKLOG, cookies never: SYNs dropped, a client gets in after expiry" t_backlog_never
t_run "--backlog $BACKLOG, cookies auto: cookies take over, a client gets in at once" t_backlog_auto
t_run "--max-tw $MAX_TW: TCPTimeWaitOverflow, responses whole; records again after expiry" t_tw_full
t_run "frames accounted; stop exits 0" t_stop

tern_start --addr "$IP4_S" --port "$PORT" --queues 1 --allow-unserved-queues --ctl "$CTL" --app echo \
	--frames "$FRAMES" || net_die "tern --frames $FRAMES did not start"
wait_until py "stats('$CTL')" || net_die "no control socket"
t_run "--frames $FRAMES, worker stopped: kernel drops counted, the worker recovers" t_frames_stopped
t_run "--frames $FRAMES, out-of-order data: the core keeps --frames/4, drops the rest (TCPOFODrop)" t_frames_ooo
t_run "--frames $FRAMES, SYN flood with echo transfers: frames all back, clients work" t_frames_flood
t_run "frames accounted; stop exits 0" t_stop

net_finish
