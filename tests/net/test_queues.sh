#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Queues and the interface, on a 4-queue veth pair: every queue served by
# default, fewer refused unless --allow-unserved-queues (then their service
# frames are dropped and counted, never reset by the kernel while tern
# runs), the RX queue count changed under tern, the MSS from the MTU and
# what an MTU, VLAN stripping or zero-copy that cannot work gets, replies
# to an 802.1Q-tagged flow tagged, and --busy-poll.
#   tests/net/test_queues.sh BUILD_DIR
NET_SUITE=test_queues
NET_QUEUES=4
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_tern_arg "$@"
TERNCTL=$(dirname "$TERN")/tools/ternctl
PORT=7
VID=100
CTL=

net_setup
net_need tcpdump
# An RTO must not move a client's flow to another queue (DESIGN.md).
in_c sysctl -qw net.core.txrehash=0

# ---- helpers ------------------------------------------------------------------

start() {
	CTL=$NET_TMP/ctl
	tern_start --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --ctl "$CTL" --app echo "$@"
}

# stop SIGNAL: tern ends with status 0 and every frame accounted for.
stop() {
	local rc

	kill -"$1" "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not exit"
	rc=$(cat "$NET_TMP/tern.rc")
	[ "$rc" = 0 ] || { sed 's/^/    /' "$NET_TMP/tern.log"; fail "exit $rc"; }
	! grep -q 'frames: .*: BAD' "$NET_TMP/tern.log" || fail "frame accounting"
}

# refused ARGS...: tern must exit 1 with one "Error:" line matching $WANT
# and leave no XDP program on the interface.
refused() {
	local rc=0 out

	out=$(in_s timeout 20 "$TERN" --dev "$DEV_S" --bpffs "$NET_BPFFS" --addr "$IP4_S" \
		--port "$PORT" "$@" 2>&1) || rc=$?
	echo "    exit $rc: $(grep '^Error:' <<<"$out")"
	[ "$rc" = 1 ] || fail "exit $rc, not 1: $out"
	grep -q "^Error: .*$WANT" <<<"$out" || fail "no Error line with '$WANT'"
	! ip -n "$NS_S" link show "$DEV_S" | grep -q xdp || fail "an XDP program was left attached"
}

stats() { PYTHONPATH=$NET_DIR python3 -c 'import sys; from pkt import ctl; print(ctl(sys.argv[1], "stats"))' "$CTL"; }

# jq-like: one value of the stats JSON (python expression on `s`).
stat() { stats | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)"; }

# clients N TIMEOUT: N concurrent IPv4 connects, each echoing 100 bytes;
# prints "ok N refused N timeout N".
clients() {
	in_c timeout 60 python3 - "$IP4_S" "$PORT" "$1" "$2" <<'EOF'
import socket, sys, threading
host, port, n, t = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
res = {"ok": 0, "refused": 0, "timeout": 0, "other": 0}
lock = threading.Lock()
def one():
    k = "ok"
    try:
        s = socket.create_connection((host, port), timeout=t)
        s.sendall(b"x" * 100)
        got = b""
        while len(got) < 100:
            b = s.recv(100 - len(got))
            if not b:
                break
            got += b
        k = "ok" if got == b"x" * 100 else "other"
        s.close()
    except ConnectionRefusedError:
        k = "refused"
    except (socket.timeout, TimeoutError):
        k = "timeout"
    except OSError:
        k = "other"
    with lock:
        res[k] += 1
ts = [threading.Thread(target=one) for _ in range(n)]
for x in ts: x.start()
for x in ts: x.join()
print("ok %(ok)d refused %(refused)d timeout %(timeout)d other %(other)d" % res)
EOF
}

field() { sed -E "s/.*$1 ([0-9]+).*/\1/" <<<"$2"; }

# A check that failed half-way may leave tern running, the program
# attached and the interface changed: every check starts from here.
reset() {
	local pid

	pid=$(cat "$NET_TMP/tern.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait_until test -s "$NET_TMP/tern.rc" || true
	fi
	in_s "$TERNCTL" unload --dev "$DEV_S" --bpffs "$NET_BPFFS" >/dev/null 2>&1 || true
	ip -n "$NS_S" link set "$DEV_S" mtu 1500
	in_s ethtool -K "$DEV_S" rxvlan off
	ip -n "$NS_C" link del vc$VID 2>/dev/null || true
	ip -n "$NS_S" link del vs$VID 2>/dev/null || true
	in_c ethtool -L "$DEV_C" rx 4 tx 4 2>/dev/null || true
	in_s ethtool -L "$DEV_S" rx 4 tx 4 2>/dev/null || true
}

check() {
	reset
	t_run "$@"
}

# ---- checks -------------------------------------------------------------------

t_every_queue() {
	local per

	start || fail "tern did not start"
	[ "$(grep -c '^tern: queue [0-3] on .* mode' "$NET_TMP/tern.log")" = 4 ] ||
		fail "not one worker per queue"
	grep -q "ready on $DEV_S (4 queues" "$NET_TMP/tern.log" || fail "ready line"
	in_c timeout 60 python3 "$NET_DIR/echo_client.py" many "$IP4_S" "$PORT" 400 2000 ||
		fail "400 echo clients"
	per=$(stat '" ".join(str(q["mib"]["PassiveOpens"]) for q in s["queues"])')
	echo "    PassiveOpens per queue: $per; XdpNoSocket $(stat 's["xdp"]["XdpNoSocket"]')"
	for n in $per; do
		[ "$n" -gt 0 ] || fail "a queue served no connection"
	done
	[ "$(stat 'sum(q["mib"]["PassiveOpens"] for q in s["queues"])')" -ge 400 ] ||
		fail "fewer than 400 connections"
	[ "$(stat 's["xdp"]["XdpNoSocket"]')" = 0 ] || fail "frames reached the kernel"
	stop TERM
}

t_fewer_refused() {
	WANT="--queues 1 leaves queues 1..3 of $DEV_S unserved.*--allow-unserved-queues"
	refused --queues 1
	WANT="--queues 5: $DEV_S has only 4 RX queues"
	refused --queues 5
}

# With --allow-unserved-queues, the flows on queues 1..3 get nothing back
# (not a RST) while tern runs, and the kernel's RST once tern is killed.
t_unserved_dropped() {
	local r ok to drop out

	start --queues 1 --allow-unserved-queues || fail "tern did not start"
	grep -q "queues 1..3 are not served" "$NET_TMP/tern.log" || fail "no warning"
	r=$(clients 64 2)
	drop=$(stat 's["xdp"]["XdpDropUnserved"]')
	echo "    $r; XdpDropUnserved $drop"
	ok=$(field ok "$r")
	to=$(field timeout "$r")
	[ "$(field refused "$r")" = 0 ] || fail "the kernel reset flows of unserved queues"
	[ "$ok" -gt 0 ] && [ "$to" -gt 0 ] || fail "expected some served and some dropped"
	[ "$((ok + to))" = 64 ] || fail "other errors"
	# Each timed-out client sent its SYN at least twice (1 s RTO in 2 s).
	[ "$drop" -ge "$to" ] || fail "XdpDropUnserved $drop < $to dropped clients"
	[ "$(stat 's["xdp"]["XdpNoSocket"]')" = 0 ] || fail "XdpNoSocket moved"
	out=$(in_s "$TERNCTL" status --dev "$DEV_S" --bpffs "$NET_BPFFS" --ctl "$CTL")
	grep -E '^(unserved|queue)' <<<"$out" | sed 's/^/    /'
	grep -qx 'unserved queues (service frames dropped): 1 2 3' <<<"$out" ||
		fail "status: unserved queues"
	grep -qE '^queue 0: AF_XDP copy mode, CPU [0-9]+, rx [1-9]' <<<"$out" ||
		fail "status: queue 0"
	[ "$(grep -c '^queue ' <<<"$out")" = 1 ] || fail "status: one queue served"
	kill -KILL "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc"
	r=$(clients 16 2)
	echo "    after SIGKILL: $r"
	[ "$(field refused "$r")" = 16 ] || fail "the kernel did not take over"
	in_s "$TERNCTL" unload --dev "$DEV_S" --bpffs "$NET_BPFFS" >/dev/null ||
		fail "ternctl unload after SIGKILL"
}

t_channels_changed() {
	start --queues 2 --allow-unserved-queues || fail "tern did not start"
	# veth with XDP needs its RX queues >= the peer's TX queues.
	in_c ethtool -L "$DEV_C" rx 2 tx 2 || fail "ethtool -L (client)"
	in_s ethtool -L "$DEV_S" rx 2 tx 2 || fail "ethtool -L"
	wait_until grep -q "RX queues changed from 4 to 2" "$NET_TMP/tern.log" ||
		fail "the change was not reported"
	in_s ethtool -L "$DEV_S" rx 4 tx 4 || fail "ethtool -L back"
	in_c ethtool -L "$DEV_C" rx 4 tx 4 || fail "ethtool -L back (client)"
	wait_until grep -q "RX queues changed from 2 to 4" "$NET_TMP/tern.log" ||
		fail "the change back was not reported"
	grep -q "queues 2..3 are not served: their service frames are dropped" \
		"$NET_TMP/tern.log" || fail "unserved queues not named"
	grep 'RX queues changed\|not served' "$NET_TMP/tern.log" | sed 's/^/    /'
	stop TERM
}

# mss_of HOST: the MSS the client's kernel uses towards tern (TCP_MAXSEG,
# which is the SYN-ACK's MSS less the 12 bytes of timestamps).
mss_of() {
	in_c timeout 10 python3 -c 'import socket, sys
h = sys.argv[1]
s = socket.create_connection((h, int(sys.argv[2])), timeout=5)
print(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))' "$1" "$PORT"
}

t_mtu() {
	local m4 m6

	ip -n "$NS_S" link set "$DEV_S" mtu 9000
	WANT="$DEV_S: MTU 9000 is above the 1774 bytes"
	refused
	ip -n "$NS_S" link set "$DEV_S" mtu 1280
	WANT="--mss 1460 needs an MTU of 1500 and $DEV_S has 1280"
	refused --mss 1460
	start || fail "tern did not start at MTU 1280"
	m4=$(mss_of "$IP4_S")
	m6=$(mss_of "$IP6_S")
	echo "    MTU 1280: client's MSS toward tern: IPv4 $m4, IPv6 $m6"
	[ "$m4" = $((1280 - 40 - 12)) ] || fail "IPv4 MSS $m4, not 1240 less timestamps"
	[ "$m6" = $((1280 - 60 - 12)) ] || fail "IPv6 MSS $m6, not 1220 less timestamps"
	stop TERM
	ip -n "$NS_S" link set "$DEV_S" mtu 1500
}

t_vlan() {
	local out

	in_s ethtool -K "$DEV_S" rxvlan on
	WANT="rx-vlan-offload is on.*ethtool -K $DEV_S rxvlan off"
	refused
	in_s ethtool -K "$DEV_S" rxvlan off
	xps_queue0 || fail "cannot set XPS on $DEV_C"
	start || fail "tern did not start"
	out=$(in_c timeout 20 env PYTHONPATH="$NET_DIR" python3 "$NET_DIR/vlan_flow.py" "$DEV_C" \
		"$(mac_of "$NS_S" "$DEV_S")" "$(mac_of "$NS_C" "$DEV_C")" "10.200.$NET_X.77" \
		"$IP4_S" "$PORT" "$VID" 2>&1) || { echo "    $out"; fail "tagged flow"; }
	echo "    $out"
	stop TERM
}

t_zerocopy_on() {
	WANT="--zerocopy on: the driver of $DEV_S has no AF_XDP zero-copy"
	refused --zerocopy on
}

t_busy_poll() {
	start --busy-poll 50,16 || fail "tern did not start"
	grep -q "busy polling 50 us, budget 16 on $DEV_S: napi_defer_hard_irqs" \
		"$NET_TMP/tern.log" || fail "no busy-poll line"
	in_c timeout 60 python3 "$NET_DIR/echo_client.py" many "$IP4_S" "$PORT" 20 2000 ||
		fail "echo with busy polling"
	[ "$(stat 's["total"]["xsk_busy_polls"]')" -gt 0 ] || fail "no busy-poll calls"
	stop TERM
}

check "no --queues: a worker per queue, 400 clients on all four" t_every_queue
check "--queues fewer or more than the interface has: refused" t_fewer_refused
check "--allow-unserved-queues: dropped and counted, never reset" t_unserved_dropped
check "ethtool -L under tern: the change is reported" t_channels_changed
check "MTU 9000 refused, MTU 1280 gives the MSS" t_mtu
check "rx-vlan-offload refused; tagged flow, tagged replies" t_vlan
check "--zerocopy on without driver support: refused" t_zerocopy_on
check "--busy-poll sets up and serves" t_busy_poll
net_finish
