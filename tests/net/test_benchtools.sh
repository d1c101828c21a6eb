#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The benchmark tools on a veth pair: tern-flood's SYNs reach tern-reflect
# and every SYN-ACK is counted on the flood side without the client kernel
# seeing it (no RSTs); --ack completes real handshakes on tern; SIGTERM
# ends the flood cleanly and detaches its XDP program; bad arguments exit 2.
# The benchmarks' XDP programs: the XDP_TX reflector's SYN-ACK and RST are
# accepted by the client kernel (checksums and numbers right), the
# XDP_DROP sink drops every frame, the loss program lets GETs finish; the
# ACK and mixed floods are answered one for one by tern-reflect; nethelp's
# get, getdist, transfers and echo listener run; gets_pcap.py counts a
# capture's data segments as tcpdump does; short_gets_pcap.py names the
# frame a slow GET lost; loss_ab.py times a retransmission;
# tern-bench-cc.so sets a listener's congestion control; tern-bench-delay
# holds the client's packets for its delay (round trips at least that
# long, none without it), GETs finish over it, it stops cleanly and
# refuses bad arguments.
# Low rates only: counts are checked, never speeds.
#   tests/net/test_benchtools.sh BUILD_DIR
NET_SUITE=test_benchtools
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_tern_arg "$@"
FLOOD=$(realpath "$1/tools/tern-flood")
REFLECT=$(realpath "$1/tools/tern-reflect")
HELP=$(realpath "$(dirname "$0")/../../tools/bench/nethelp.py")
PCAPS=$(realpath "$(dirname "$0")/../../tools/bench/gets_pcap.py")
SLOWPCAPS=$(realpath "$(dirname "$0")/../../tools/bench/short_gets_pcap.py")
AB=$(realpath "$(dirname "$0")/../../tools/bench/loss_ab.py")
XDP_OBJS=$(realpath "$1/tools/bench/xdp")
CC_SO=$(realpath "$1/tools/tern-bench-cc.so")
DELAY=$(realpath "$1/tools/tern-bench-delay")
[ -x "$DELAY" ] || { echo "Error: $DELAY: not built (make)" >&2; exit 2; }
[ -e "$CC_SO" ] || { echo "Error: $CC_SO: not built (make)" >&2; exit 2; }
for o in loss0 loss3 loss100 reflect_tx; do
	[ -e "$XDP_OBJS/$o.bpf.o" ] || { echo "Error: $XDP_OBJS/$o.bpf.o: not built (make)" >&2; exit 2; }
done
[ -x "$FLOOD" ] || { echo "Error: $FLOOD: not built (make)" >&2; exit 2; }
[ -x "$REFLECT" ] || { echo "Error: $REFLECT: not built (make)" >&2; exit 2; }
PORT=80
COUNT=1000
RATE=5000

net_need tcpdump
net_setup
MAC_S=$(ip -n "$NS_S" -br link show "$DEV_S" | awk '{ print $3 }')
CTL=$NET_TMP/ctl.sock

flood() {
	in_c "$FLOOD" --dev "$DEV_C" --dst "$IP4_S" --port "$PORT" --dst-mac "$MAC_S" --quiet "$@"
}
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
out_rsts() { in_c awk '/^Tcp:/ && ++n == 2 { print $15 }' /proc/net/snmp; }
has_xdp() { ip -n "$NS_C" link show "$DEV_C" | grep -q xdp; }
no_xdp() { ! has_xdp; }

check_reflect() {
	local out rsts0 rsts1 pid

	# not through in_s: $! must be the reflector itself (ip netns exec execs it)
	ip netns exec "$NS_S" "$REFLECT" --dev "$DEV_S" --addr "$IP4_S" >"$NET_TMP/reflect.out" \
		2>"$NET_TMP/reflect.err" &
	pid=$!
	net_bg_pid "$pid"
	wait_until grep -q ready "$NET_TMP/reflect.err" || fail "reflector: $(cat "$NET_TMP/reflect.err")"
	rsts0=$(out_rsts)
	out=$(flood --count "$COUNT" --rate "$RATE")
	rsts1=$(out_rsts)
	kill -TERM "$pid"
	wait "$pid" || fail "reflector exit $?"
	echo "    flood: $out"
	echo "    reflector: $(cat "$NET_TMP/reflect.out")"
	[ "$(kv "$out" sent)" = "$COUNT" ] || fail "sent"
	[ "$(kv "$out" synack)" = "$COUNT" ] || fail "SYN-ACKs counted"
	[ "$(kv "$out" rst)" = 0 ] && [ "$(kv "$out" frames)" = ok ] || fail "rst/frames"
	[ "$(kv "$(cat "$NET_TMP/reflect.out")" reflected)" = "$COUNT" ] || fail "reflected"
	[ "$rsts0" = "$rsts1" ] || fail "the client kernel sent RSTs ($rsts0 -> $rsts1)"
	no_xdp || fail "flood_rx still attached"
}

# tern-reflect answers an ACK flood with RSTs and a mixed one with both.
check_reflect_kinds() {
	local out mixed pid

	ip netns exec "$NS_S" "$REFLECT" --dev "$DEV_S" --addr "$IP4_S" >"$NET_TMP/reflect.out" \
		2>"$NET_TMP/reflect.err" &
	pid=$!
	net_bg_pid "$pid"
	wait_until grep -q ready "$NET_TMP/reflect.err" || fail "reflector: $(cat "$NET_TMP/reflect.err")"
	out=$(flood --kind ack --count "$COUNT" --rate "$RATE")
	mixed=$(flood --kind mixed --count "$COUNT" --rate "$RATE")
	kill -TERM "$pid"
	wait "$pid" || fail "reflector exit $?"
	echo "    ack flood: $out"
	echo "    mixed flood: $mixed"
	[ "$(kv "$out" rst)" = "$COUNT" ] && [ "$(kv "$out" synack)" = 0 ] || fail "RSTs to ACKs"
	[ "$(kv "$mixed" rst)" = $((COUNT / 2)) ] && [ "$(kv "$mixed" synack)" = $((COUNT / 2)) ] ||
		fail "mixed: half SYN-ACKs, half RSTs"
	[ "$(kv "$(cat "$NET_TMP/reflect.out")" reflected)" = $((2 * COUNT)) ] || fail "reflected"
}

# The XDP_TX reflector answers the client kernel's own SYN: the SYN-ACK is
# accepted (connect succeeds), the client's ACK comes back as an RST the
# client accepts (the connection is reset); both need right checksums and
# numbers. loss0 on the client veth makes veth deliver XDP_TX frames.
# XDP_TX lands on the client veth's RX queue CPU % queues of the CPU the
# server's XDP runs on, the sender's: a mixed flood from CPU 0 gets its
# replies on queue 0, from CPU 1 on queue 1, and tern-flood counts both.
check_reflect_tx() {
	local out ok

	in_c ip link set dev "$DEV_C" xdpdrv obj "$XDP_OBJS/loss0.bpf.o" sec xdp || fail "loss0"
	in_s ip link set dev "$DEV_S" xdpdrv obj "$XDP_OBJS/reflect_tx.bpf.o" sec xdp || fail "reflect_tx"
	# (the RST can reset the connection before connect() returns)
	out=$(in_c python3 -c '
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], 80), timeout=2)
    s.settimeout(2)
    s.recv(1)
    print("no reset")
except ConnectionResetError:
    print("reset")
except OSError as e:
    print(e)
' "$IP4_S" 2>&1) || true
	in_s ip link set dev "$DEV_S" xdpdrv off
	in_c ip link set dev "$DEV_C" xdpdrv off
	echo "    client: $out"
	[ "$out" = reset ] || fail "SYN-ACK then RST from XDP_TX: $out"
	in_s ip link set dev "$DEV_S" xdpdrv obj "$XDP_OBJS/reflect_tx.bpf.o" sec xdp || fail "reflect_tx"
	ok=0
	[ "$(nproc)" -lt 2 ] || { mixed_on_cpu 0 && mixed_on_cpu 1 && ok=1; }
	in_s ip link set dev "$DEV_S" xdpdrv off
	[ "$(nproc)" -ge 2 ] || fail "needs 2 CPUs for 2 queues"
	[ "$ok" = 1 ] || fail "a mixed flood's replies were not all counted"
}

# rx_xdp Q: frames the client veth's XDP took in on its RX queue Q.
rx_xdp() { in_c ethtool -S "$DEV_C" | awk -v k="rx_queue_$1_xdp_packets:" '$1 == k { print $2 }'; }

# mixed_on_cpu C: a mixed flood from CPU C, replied to on client queue C;
# 1 (after saying why) if not every reply was counted.
mixed_on_cpu() {
	local out n0

	n0=$(rx_xdp "$1")
	out=$(taskset -c "$1" ip netns exec "$NS_C" "$FLOOD" --dev "$DEV_C" --dst "$IP4_S" \
		--port "$PORT" --dst-mac "$MAC_S" --quiet --kind mixed --count "$COUNT" --rate "$RATE")
	echo "    mixed flood from CPU $1 (client queue $1 XDP +$(($(rx_xdp "$1") - n0))): $out"
	[ $(($(rx_xdp "$1") - n0)) -ge "$COUNT" ] ||
		{ echo "    the replies did not come in on queue $1"; return 1; }
	[ "$(kv "$out" rst)" = $((COUNT / 2)) ] && [ "$(kv "$out" synack)" = $((COUNT / 2)) ] ||
		{ echo "    mixed from CPU $1: want half SYN-ACKs, half RSTs"; return 1; }
}

# The XDP_DROP sink drops every flood frame; no reply.
check_sink() {
	local out drops

	in_s ip link set dev "$DEV_S" xdpdrv obj "$XDP_OBJS/loss100.bpf.o" sec xdp || fail "loss100"
	out=$(flood --count "$COUNT" --rate "$RATE")
	drops=$(in_s ethtool -S "$DEV_S" | awk '/rx_queue_[0-9]+_xdp_drops:/ { n += $2 } END { print n + 0 }')
	in_s ip link set dev "$DEV_S" xdpdrv off
	echo "    flood: $out; server veth XDP drops: $drops"
	[ "$(kv "$out" sent)" = "$COUNT" ] && [ "$(kv "$out" synack)" = 0 ] || fail "replies to the sink"
	[ "$drops" -ge "$COUNT" ] || fail "XDP drops $drops < $COUNT"
}

# GETs through 3 % loss finish (nethelp get, tern --app http), and echo
# round trips run on a Linux echo listener (nethelp listen echo, transfers).
check_loss_get() {
	local out pid dist

	head -c 20480 /dev/urandom >"$NET_TMP/body"
	tern_start --addr "$IP4_S" --port "$PORT" --app http --http-body "$NET_TMP/body" ||
		fail "tern did not start"
	in_c ip link set dev "$DEV_C" xdpdrv obj "$XDP_OBJS/loss3.bpf.o" sec xdp || fail "loss3"
	out=$(in_c python3 "$HELP" get "$IP4_S" "$PORT" / 20 2)
	dist=$(in_c python3 "$HELP" getdist "$IP4_S" "$PORT" / 10 "$NET_TMP/lat")
	in_c ip link set dev "$DEV_C" xdpdrv off
	kill -TERM "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not stop"
	echo "    get: $out"
	[ "$(kv "$out" ok)" = 40 ] && [ "$(kv "$out" n)" = 40 ] || fail "GETs"
	[ "$(kv "$out" over900)" -le "$(kv "$out" over150)" ] || fail "slow GET counts"
	echo "    getdist: $dist"
	[ "$(kv "$dist" ok)" = 10 ] && [ -n "$(kv "$dist" over900)" ] || fail "getdist"
	# one row a GET: its local port (all different) and its time
	[ "$(awk '$1 > 0 && $2 >= 0 { print $1 }' "$NET_TMP/lat" | sort -u | wc -l)" = 10 ] ||
		fail "getdist rows: $(tr '\n' ' ' <"$NET_TMP/lat")"
	in_s python3 "$HELP" listen "$IP4_S" 8080 echo "$NET_TMP/listen.ready" &
	net_bg_pid $!
	wait_until test -e "$NET_TMP/listen.ready" || fail "echo listener"
	# not through in_c: $! must be python itself
	ip netns exec "$NS_C" python3 "$HELP" transfers "$IP4_S" 8080 2 "$NET_TMP/tr.ready" \
		>"$NET_TMP/tr.out" &
	pid=$!
	net_bg_pid "$pid"
	wait_until test -e "$NET_TMP/tr.ready" || fail "transfers"
	sleep 0.5
	kill -TERM "$pid"
	wait "$pid" || fail "transfers exit $?"
	out=$(cat "$NET_TMP/tr.out")
	echo "    transfers: $out"
	[ "$(kv "$out" rounds)" -gt 0 ] && [ "$(kv "$out" resets)" = 0 ] &&
		[ "$(kv "$out" errors)" = 0 ] || fail "echo round trips"
}

# tern-bench-cc.so puts a listener, and the connections it accepts, on
# the algorithm asked (one the namespace's default is not, so a shim that
# does nothing fails), and an unknown one makes listen() fail.
check_cc_preload() {
	local def cc pid rc=0

	def=$(in_s sysctl -n net.ipv4.tcp_congestion_control)
	cc=$(tr ' ' '\n' </proc/sys/net/ipv4/tcp_available_congestion_control | grep -vx "$def" | head -n 1)
	[ -n "$cc" ] || fail "no congestion control other than $def"
	ip netns exec "$NS_S" env LD_PRELOAD="$CC_SO" TERN_BENCH_CC="$cc" \
		python3 "$HELP" listen "$IP4_S" 8081 echo "$NET_TMP/cc.ready" &
	net_bg_pid $!
	wait_until test -e "$NET_TMP/cc.ready" || fail "listener on $cc"
	in_s ss -ltni "sport = :8081" | grep -qw "$cc" || fail "listener not on $cc"
	ip netns exec "$NS_C" python3 -c "import socket, time
c = socket.create_connection(('$IP4_S', 8081))
open('$NET_TMP/cc.conn', 'w').close()
time.sleep(5)" &
	pid=$!
	net_bg_pid "$pid"
	wait_until test -e "$NET_TMP/cc.conn" || fail "connect"
	echo "    accepted: $(in_s ss -tni state established "sport = :8081" | tail -n 1 | awk '{ print $1 }')"
	wait_until sh -c "ip netns exec $NS_S ss -tni state established 'sport = :8081' | grep -qw $cc" ||
		fail "accepted connection not on $cc"
	kill "$pid"
	in_s env LD_PRELOAD="$CC_SO" TERN_BENCH_CC=nosuch python3 "$HELP" listen "$IP4_S" 8082 echo \
		"$NET_TMP/cc2.ready" 2>/dev/null || rc=$?
	[ "$rc" != 0 ] && [ ! -e "$NET_TMP/cc2.ready" ] || fail "unknown algorithm: exit $rc"
}

# gets_pcap.py on a capture of two 20 KB GETs from tern: two connections,
# each with as many data segments from the server as tcpdump's own filter
# counts (payload > 0, source port 80), at least one ACK and one burst.
check_gets_pcap() {
	local cap=$NET_TMP/gets.pcap out want n tpid

	# sequence comparison: equal is not after, and across the wrap
	python3 -B -c "import sys; sys.path.insert(0, sys.argv[1]); import gets_pcap as g
sys.exit(not (not g.after(5, 5) and g.after(6, 5) and not g.after(5, 6) and
              g.after(0, 0xFFFFFFFF) and not g.after(0x80000000, 0)))" "$(dirname "$PCAPS")" ||
		fail "gets_pcap.py after()"
	head -c 20480 /dev/urandom >"$NET_TMP/body"
	tern_start --addr "$IP4_S" --port "$PORT" --app http --http-body "$NET_TMP/body" ||
		fail "tern did not start"
	ip netns exec "$NS_C" tcpdump -Z root --immediate-mode -i "$DEV_C" -nn -s 96 -U -w "$cap" "tcp port $PORT" \
		>/dev/null 2>"$cap.err" &
	tpid=$!
	net_bg_pid "$tpid"
	wait_until grep -q "listening on" "$cap.err" || fail "tcpdump did not start"
	out=$(in_c python3 "$HELP" get "$IP4_S" "$PORT" / 2 1)
	sleep 0.3
	kill -INT "$tpid"
	wait "$tpid" || true
	kill -TERM "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not stop"
	[ "$(kv "$out" ok)" = 2 ] || fail "GETs: $out"
	want=$(tcpdump -nn -r "$cap" \
		"src port $PORT and ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) != 0" \
		2>/dev/null | wc -l)
	out=$(python3 "$PCAPS" "$cap" "$PORT")
	echo "    $(tail -n 1 <<<"$out") (tcpdump: $want data segments)"
	n=$(grep -c '^req_ms=' <<<"$out" || true)
	[ "$n" = 2 ] || fail "$n connections in $(wc -c <"$cap") bytes: $(tr "\n" " " <"$cap.err")"
	[ "$(grep '^req_ms=' <<<"$out" | awk '{ split($4, a, "="); s += a[2] } END { print s }')" = "$want" ] ||
		fail "data segments"
	grep '^req_ms=' <<<"$out" | awk '{ split($5, a, "="); split($6, b, "=");
		if (a[2] < 1 || b[2] < 1) exit 1 }' || fail "ACKs or bursts"
}

# short_gets_pcap.py on made-up captures of two GETs (short_pcaps.py):
# the slow one lost its first SYN-ACK, which went again 1 s later; the
# fast one is not listed.
check_short_gets_pcap() {
	local out

	python3 "$NET_DIR/short_pcaps.py" "$NET_TMP" || fail "short_pcaps.py"
	out=$(python3 "$SLOWPCAPS" "$NET_TMP/s.pcap" "$NET_TMP/c.pcap" "$NET_TMP/lat" 80 150)
	echo "$out" | sed 's/^/    /'
	[ "$(grep -c '^GET port' <<<"$out")" = 1 ] && grep -q '^GET port 40000:' <<<"$out" ||
		fail "slow GETs listed"
	[ "$(grep -c 'LOST$' <<<"$out")" = 1 ] && grep -q ' 0.100 S> SA .*LOST$' <<<"$out" ||
		fail "the lost frame"
	grep -q 'first loss: SYN-ACK, resent after 999.9 ms' <<<"$out" || fail "the class"
}

# loss_ab.py holes on a capture written here: the server's segments 0,
# 2 and 3 (1 lost), then 1 again 100 us after 2 came: one hole, 100 us,
# one new segment in between; a second connection without loss has none.
check_holes() {
	local out

	python3 - "$NET_TMP/holes.pcap" <<'PY' || fail "writing the capture"
import struct, sys
def frame(sport, dport, seq, flags, n):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + n, 0, 0, 64, 6, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + tcp + b"x" * n
out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
def pkt(us, f):
    out.append(struct.pack("<IIII", 1, us, len(f), len(f)) + f)
for port, segs in ((40000, [(0, 0), (20, 2), (30, 3), (120, 1)]),
                   (40001, [(200, 0), (210, 1), (220, 2)])):
    pkt(segs[0][0], frame(port, 80, 99, 0x02, 0))
    pkt(segs[0][0] + 5, frame(80, port, 999, 0x12, 0))
    for us, k in segs:
        pkt(us + 10, frame(80, port, 1000 + 1448 * k, 0x10, 1448))
open(sys.argv[1], "wb").write(b"".join(out))
PY
	out=$(python3 "$AB" holes "$NET_TMP/holes.pcap")
	echo "    holes: $out"
	[ "$(kv "$out" holes)" = 1 ] && [ "$(kv "$out" us_p50)" = 100 ] &&
		[ "$(kv "$out" new_segs_p50)" = 1 ] || fail "holes: $out"
}

check_ack() {
	local out n

	tern_start --addr "$IP4_S" --port "$PORT" --app discard --syncookies always --ctl "$CTL" ||
		fail "tern did not start"
	out=$(flood --ack --count "$COUNT" --rate "$RATE")
	echo "    flood: $out"
	[ "$(kv "$out" acks)" = "$COUNT" ] || fail "ACKs sent"
	wait_until nconns_is "$COUNT" ||
		fail "tern holds $(python3 "$HELP" nconns "$CTL") connections, not $COUNT"
	kill -TERM "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not stop"
}

# (a function: wait_until re-runs it, where "$(...)" in its arguments would
# be read once)
nconns_is() { [ "$(python3 "$HELP" nconns "$CTL")" = "$1" ]; }

check_sigterm() {
	local pid rc=0

	ip netns exec "$NS_C" "$FLOOD" --dev "$DEV_C" --dst "$IP4_S" --port "$PORT" \
		--dst-mac "$MAC_S" --quiet --duration 60 --rate "$RATE" \
		>"$NET_TMP/flood.out" 2>"$NET_TMP/flood.err" &
	pid=$!
	net_bg_pid "$pid"
	wait_until has_xdp || fail "no XDP program"
	sleep 0.5
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || fail "exit $rc: $(cat "$NET_TMP/flood.err")"
	grep -q '^queued=.* frames=ok$' "$NET_TMP/flood.out" || fail "no summary"
	no_xdp || fail "flood_rx still attached"
}

# The delayed path of the benchmarks' step wan: the client's packets to
# the server through a tun device that tern-bench-delay reads. Connects
# refused by the server's kernel take at least the delay over it and
# less without it (a bound on the tool, not a speed); tern's GETs finish
# over it; SIGTERM prints what it forwarded, none dropped.
check_delay() {
	local pid out rc=0 direct

	direct=$(in_c python3 "$HELP" rtt "$IP4_S" 9 3) || fail "direct connects: $direct"
	ip -n "$NS_C" tuntap add dev tdelay mode tun || fail "tun"
	ip netns exec "$NS_C" "$DELAY" --tun tdelay --dev "$DEV_C" --dst-mac "$MAC_S" \
		--delay-us 30000 >"$NET_TMP/delay.out" 2>"$NET_TMP/delay.err" &
	pid=$!
	net_bg_pid "$pid"
	ip -n "$NS_C" link set tdelay up
	in_c sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.$DEV_C.rp_filter=0"
	ip -n "$NS_C" route add "$IP4_S/32" dev tdelay src "$IP4_C" || fail "route"
	out=$(in_c python3 "$HELP" rtt "$IP4_S" 9 5) || fail "delayed connects: $out"
	echo "    refused connects: direct $direct; delayed $out"
	awk -v a="$(kv "$direct" max_ms)" 'BEGIN { exit !(a < 30) }' || fail "direct path: $direct"
	awk -v a="$(kv "$out" p50_ms)" 'BEGIN { exit !(a >= 30) }' || fail "not delayed: $out"
	head -c 20480 /dev/urandom >"$NET_TMP/body"
	tern_start --addr "$IP4_S" --port "$PORT" --app http --http-body "$NET_TMP/body" ||
		fail "tern did not start"
	out=$(in_c python3 "$HELP" get "$IP4_S" "$PORT" / 5 1)
	echo "    get: $out"
	[ "$(kv "$out" ok)" = 5 ] || fail "GETs over the delayed path"
	awk -v a="$(kv "$out" p50_ms)" 'BEGIN { exit !(a >= 60) }' || fail "GETs not delayed: $out"
	kill -TERM "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not stop"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	out=$(cat "$NET_TMP/delay.out")
	echo "    tern-bench-delay: $out"
	[ "$rc" = 0 ] && [ "$(kv "$out" forwarded)" -gt 10 ] && [ "$(kv "$out" dropped)" = 0 ] &&
		[ "$(kv "$out" send_errors)" = 0 ] || fail "exit $rc: $out $(cat "$NET_TMP/delay.err")"
	ip -n "$NS_C" route del "$IP4_S/32" dev tdelay
	ip -n "$NS_C" link del tdelay
	rc=0
	in_c "$DELAY" --tun x --dev "$DEV_C" --dst-mac 02:00:00:00:00:01 --delay-us -1 2>"$NET_TMP/e" || rc=$?
	[ "$rc" = 2 ] && grep -q '^Error: --delay-us' "$NET_TMP/e" || fail "--delay-us -1: exit $rc"
	rc=0
	in_c "$DELAY" --tun x --dev "$DEV_C" --dst-mac 02:00:00:00:00 --delay-us 1 2>"$NET_TMP/e" || rc=$?
	[ "$rc" = 1 ] || fail "short MAC: exit $rc"
}

check_args() {
	local rc=0

	in_c "$FLOOD" --dev "$DEV_C" --dst 1.2.3.4 --port 0 --dst-mac 02:00:00:00:00:01 2>"$NET_TMP/e" || rc=$?
	[ "$rc" = 2 ] && grep -q '^Error: --port 0' "$NET_TMP/e" || fail "--port 0: exit $rc"
	rc=0
	in_c "$FLOOD" --dev "$DEV_C" --dst 1.2.3.4 --port 1 --dst-mac 02:00:00:00:00:01 --src-net 10.0.0.0/33 \
		2>"$NET_TMP/e" || rc=$?
	[ "$rc" = 2 ] || fail "--src-net /33: exit $rc"
	rc=0
	in_c "$FLOOD" --dev nosuchdev --dst 1.2.3.4 --port 1 --dst-mac 02:00:00:00:00:01 \
		2>"$NET_TMP/e" || rc=$?
	[ "$rc" = 1 ] && grep -q '^Error: nosuchdev' "$NET_TMP/e" || fail "no device: exit $rc"
	rc=0
	in_c "$FLOOD" --dev "$DEV_C" --dst 1.2.3.4 --port 1 --dst-mac 02:00:00:00:00:01 --kind fin \
		2>"$NET_TMP/e" || rc=$?
	[ "$rc" = 2 ] && grep -q '^Error: --kind fin' "$NET_TMP/e" || fail "--kind fin: exit $rc"
	rc=0
	in_s "$REFLECT" --dev "$DEV_S" 2>/dev/null || rc=$?
	[ "$rc" = 2 ] || fail "reflector without --addr: exit $rc"
}

t_run "flood_reflector_every_synack_counted" check_reflect
t_run "flood_ack_and_mixed_kinds_reflected" check_reflect_kinds
t_run "xdp_tx_reflector_synack_and_rst_accepted" check_reflect_tx
t_run "xdp_drop_sink_drops_every_frame" check_sink
t_run "loss_gets_finish_and_echo_transfers_run" check_loss_get
t_run "gets_pcap_counts_the_segments_of_a_capture" check_gets_pcap
t_run "cc_preload_sets_the_listeners_congestion_control" check_cc_preload
t_run "short_gets_pcap_names_the_lost_frame" check_short_gets_pcap
t_run "loss_ab_holes_times_a_retransmission" check_holes
t_run "flood_ack_completes_handshakes_on_tern" check_ack
t_run "flood_sigterm_clean_exit_and_detach" check_sigterm
t_run "flood_bad_arguments" check_args
t_run "delay_path_holds_the_clients_packets" check_delay
net_finish
