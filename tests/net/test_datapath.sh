#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The data path compared with Linux in the same run (tests/net/datapath.py):
# a raw client in the client namespace runs scripted exchanges against tern
# and against a Linux server in the server namespace, and every normalized
# observation must match Linux's or be a difference the driver's allow-list
# names with its `tern:` comment. Phase echo (tern --app echo, a Linux echo
# server): data in order, out of order with SACK, zero window and probes,
# lost data and lost ACKs, client FIN first, FIN with data, RSTs. Phase
# close (tern --app http, a Linux server answering one request and
# closing): server FIN first and simultaneous close. Then Linux clients
# exchange random data with tern's echo through random loss both ways
# (tests/net/loss.bpf.c on the client veth, XDP in and tc out) and every
# byte must come back once and in order (tests/net/lossy_echo.py).
#   tests/net/test_datapath.sh BUILD_DIR
NET_SUITE=test_datapath
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/robust.sh
. "$(dirname "$0")/robust.sh"

net_tern_arg "$@"
LOSS=$(realpath "$1/tests/net/loss.bpf.o")
[ -f "$LOSS" ] || { echo "Error: $LOSS: not built (make)" >&2; exit 2; }
SRC=$(cd "$NET_DIR/../.." && pwd)
PORT=7
LPORT=8
HPORT=80
HLPORT=81
QUEUES=2
CTL=
# The raw client's address: the client kernel does not own it, so it
# neither answers nor resets what the servers send there.
IP4_R=10.200.$NET_X.3

# linux_server PORT MODE: a Linux server on IP4_S:PORT in the server
# namespace; MODE echo writes back what it reads until the peer closes,
# then closes; small-echo does so with 4 KiB socket buffers (so that its
# window closes, as tern's echo ring does); MODE http answers one request
# and closes first.
linux_server() {
	in_s python3 -c '
import socket, sys, threading
def echo(c):
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            c.sendall(b)
    except OSError:
        pass
    c.close()
def http(c):
    b = b""
    try:
        while b"\r\n\r\n" not in b:
            x = c.recv(65536)
            if not x:
                break
            b += x
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
    except OSError:
        pass
    c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if sys.argv[3] == "small-echo":
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(128)
fn = http if sys.argv[3] == "http" else echo
while True:
    threading.Thread(target=fn, args=(s.accept()[0],), daemon=True).start()' "$IP4_S" "$1" "$2" &
	net_bg_pid $!
	wait_until in_s python3 -c "import socket; socket.create_connection(('$IP4_S', $1), timeout=2).close()" 2>/dev/null ||
		net_die "the Linux server on port $1 does not answer"
}

# t_phase NAME PORT LPORT: the driver's exchanges, its log kept per phase
t_phase() {
	# DATAPATH_ONLY: a list of exchanges to run (word-split on purpose)
	# shellcheck disable=SC2086
	in_c timeout 120 python3 "$NET_DIR/datapath.py" "$1" "$SRC" "$DEV_C" "$MAC_C" "$MAC_S" \
		"$IP4_R" "$IP4_S" "$2" "$3" ${DATAPATH_ONLY:-} >"$NET_TMP/$1.log" 2>&1 || true
	sed 's/^/    /' "$NET_TMP/$1.log"
	grep -q "^datapath $1 exchanges: " "$NET_TMP/$1.log" || fail "the $1 driver did not finish"
}

# One counted check per exchange, from the driver's log.
t_exchange() {
	grep -qE "^ok +$2\$" "$NET_TMP/$1.log" || fail "$2"
}

# phase NAME PORT LPORT: t_phase, then one counted check per exchange
phase() {
	local c

	t_run "phase $1: every exchange run against tern and Linux" t_phase "$1" "$2" "$3"
	for c in $(sed -nE 's/^(ok|FAIL) +([a-z0-9_]+)$/\2/p' "$NET_TMP/$1.log"); do
		t_run "$1: $c like Linux" t_exchange "$1" "$c"
	done
}

snmp_c() { in_c awk -v k="$1" '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == k) c = i; h = 1 } else print $c }' /proc/net/snmp; }

# Random loss both ways; every byte back once and in order, bounded time.
# The loss programs come off before any verdict, so the next phase runs
# without them whatever happens here. Each way, the loss must be about
# what the programs drop (1 in 25; at least 1 in 100 is required): toward
# the client, veth's count of XDP drops against tern's OutSegs; toward
# tern, the client kernel's OutSegs and RetransSegs against tern's InSegs
# (only this check's connections use the client kernel's TCP).
t_lossy() {
	local xdrops c_out t_in t_out c_ret t_ret lost rc=0

	read -r t_in t_out t_ret <<<"$(counters mib:InSegs mib:OutSegs mib:RetransSegs)"
	c_out=$(snmp_c OutSegs)
	c_ret=$(snmp_c RetransSegs)
	in_c ip link set dev "$DEV_C" xdp obj "$LOSS" sec xdp &&
		in_c tc qdisc add dev "$DEV_C" clsact &&
		in_c tc filter add dev "$DEV_C" egress bpf da obj "$LOSS" sec tc || rc=2
	[ "$rc" != 0 ] ||
		in_c timeout 150 python3 "$NET_DIR/lossy_echo.py" "$IP4_S" "$PORT" 12 4 150000 30 || rc=1
	xdrops=$(in_c ethtool -S "$DEV_C" | awk '/xdp_drops/ { n += $2 } END { print n + 0 }')
	c_out=$(($(snmp_c OutSegs) - c_out))
	c_ret=$(($(snmp_c RetransSegs) - c_ret))
	read -r a b c <<<"$(counters mib:InSegs mib:OutSegs mib:RetransSegs)"
	t_in=$((a - t_in))
	t_out=$((b - t_out))
	t_ret=$((c - t_ret))
	c_out=$((c_out + c_ret)) # Linux's OutSegs leaves retransmissions out
	lost=$((c_out - t_in))
	in_c ip link set dev "$DEV_C" xdp off
	in_c tc qdisc del dev "$DEV_C" clsact 2>/dev/null || true
	[ "$rc" != 2 ] || fail "cannot attach the loss programs (XDP, clsact, tc bpf)"
	[ "$rc" = 0 ] || fail "lossy echo (the sizes and data repeat with TERN_TEST_SEED, printed above)"
	echo "    toward the client: $xdrops of tern's $t_out segments dropped, tern RetransSegs +$t_ret"
	echo "    toward tern: $lost of the client's $c_out segments lost, client RetransSegs +$c_ret"
	[ "$((xdrops * 100))" -ge "$t_out" ] || fail "toward the client: fewer than 1 in 100 dropped"
	[ "$t_ret" -gt 0 ] || fail "tern retransmitted nothing despite the loss"
	[ "$((lost * 100))" -ge "$c_out" ] || fail "toward tern: fewer than 1 in 100 lost"
	[ "$c_ret" -gt 0 ] || fail "the client retransmitted nothing despite the loss"
}

t_stop() {
	stop_ok "$QUEUES"
}

# Copy mode: the AF_XDP socket's send buffer holds an skb for every frame
# the TX ring does (2,048 ring entries x 4 KiB at the default --frames
# 4096), not the default 208 KiB (about 70 skbs), reported at start-up.
t_sndbuf() {
	local line kib

	line=$(grep "^tern: queue 0 on $DEV_S: AF_XDP copy mode" "$NET_TMP/tern.log") ||
		fail "no start-up line for queue 0"
	kib=$(sed -n 's/.*, send buffer \([0-9]*\) KiB.*/\1/p' <<<"$line")
	echo "    $line"
	[ -n "$kib" ] && [ "$kib" -ge 8192 ] || fail "send buffer ${kib:-not reported} KiB < 8192"
}

net_setup
in_c sysctl -qw net.core.txrehash=0
in_c sysctl -qw net.ipv4.ip_forward=0
robust_macs
ip -n "$NS_S" neigh replace "$IP4_R" lladdr "$MAC_C" dev "$DEV_S" nud permanent
CTL=$NET_TMP/ctl
tern_start --addr "$IP4_S" --port "$PORT" --queues "$QUEUES" --ctl "$CTL" --app echo ||
	net_die "tern did not start"
wait_until py "stats('$CTL')" || net_die "no control socket"
t_run "copy mode: the send buffer covers the TX ring" t_sndbuf
linux_server "$LPORT" echo
linux_server "$((LPORT + 1))" small-echo
phase echo "$PORT" "$LPORT"
SECONDS=0
t_run "random loss both ways: every byte echoed once, in order" t_lossy
echo "    (the loss check: $SECONDS s)"
t_run "echo: frames accounted; stop exits 0" t_stop

# The same loss with BBR (--cc bbr): its window comes from the rate
# samples of the RACK records, not from the losses.
tern_start --addr "$IP4_S" --port "$PORT" --queues "$QUEUES" --ctl "$CTL" --app echo --cc bbr ||
	net_die "tern --cc bbr did not start"
wait_until py "stats('$CTL')" || net_die "no control socket"
SECONDS=0
t_run "bbr: random loss both ways: every byte echoed once, in order" t_lossy
echo "    (the loss check: $SECONDS s)"
t_run "bbr echo: frames accounted; stop exits 0" t_stop

tern_start --addr "$IP4_S" --port "$HPORT" --queues "$QUEUES" --ctl "$CTL" --app http ||
	net_die "tern --app http did not start"
wait_until py "stats('$CTL')" || net_die "no control socket"
linux_server "$HLPORT" http
phase close "$HPORT" "$HLPORT"
t_run "http: frames accounted; stop exits 0" t_stop

net_finish
