#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Soak: tern (echo, 2 queues, cookies auto) under mixed traffic for SECONDS
# (default SOAK_SECONDS or 600; CI runs 45):
#   - two clients looping short echo connections (64 bytes),
#   - one client looping long transfers (4 MiB echoed, read while written),
#   - every 12 s a 2 s spoofed SYN flood and a 1 s RST flood (rawflood),
#   - loss: an XDP program on the client veth drops 1 in 50 of the frames
#     tern sends (tests/soak/drop.bpf.c; no netem or tc drop here).
# Then: no client saw an error other than a reset, each loop finished a
# minimum of echoes within a reset budget; the loss happened at about its
# rate and tern retransmitted; every connection tern
# completed was finished by a client, reset with a counted reason, or is a
# SYN-cookie ghost still open (see ghosts(): PassiveOpens between the
# clients' successes and successes + established connections reset +
# ghosts; every reset a client saw counted by tern); resident memory flat after
# the warm-up (the first fifth, at least 10 s; under ASan measured on the
# plain build in BUILD/vg for PLAIN_SECS more); frames accounted while
# running and at exit; stop exits 0 with no sanitizer report.
#   tests/soak/soak.sh BUILD_DIR [SECONDS]
NET_SUITE=soak
HERE=$(cd "$(dirname "$0")" && pwd)
NET=$(cd "$HERE/../net" && pwd)
# shellcheck source=tests/net/lib.sh
. "$NET/lib.sh"
# shellcheck source=tests/net/robust.sh
. "$NET/robust.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 BUILD_DIR [SECONDS]" >&2; exit 2; }
SECS=${2:-${SOAK_SECONDS:-600}}
[[ $SECS =~ ^[0-9]+$ ]] && [ "$SECS" -ge 20 ] || { echo "Error: SECONDS: at least 20" >&2; exit 2; }
net_tern_arg "$1"
FLOOD=$(realpath "$1/tests/rawflood")
DROP=$(realpath "$1/tests/soak/drop.bpf.o")
[ -x "$FLOOD" ] && [ -f "$DROP" ] || { echo "Error: $1: rawflood or drop.bpf.o not built (make)" >&2; exit 2; }
PORT=7
QUEUES=2
CTL=
# Memory growth allowed after the warm-up: 4 MiB, on a plain build. Under
# ASan (CI) resident memory says little (its quarantine holds tens of MiB
# of freed blocks back), so the growth check runs on the plain build that
# make vg puts in BUILD/vg, for PLAIN_SECS after the sanitized soak.
MEM_SLACK=4096
ASAN=0
if grep -qa __asan_init "$TERN"; then ASAN=1; fi
PLAIN_TERN=$(realpath -m "$1/vg/tern")
PLAIN_SECS=30
WARM=$((SECS / 5 > 10 ? SECS / 5 : 10))


# sum_resets: "ESTABLISHED ALL": established connections reset (by the peer
# or by tern: EstabResets, TCPAbortOn*), and those plus cookie failures
# (SyncookiesFailed, answered with a RST)
sum_resets() {
	counters mib:EstabResets mib:TCPAbortOnData mib:TCPAbortOnClose mib:TCPAbortOnTimeout \
		mib:SyncookiesFailed | awk '{ e = $1 + $2 + $3 + $4; print e, e + $5 }'
}

# loop NAME SIZE MIN_OK MAX_RESET: a looping client (clients.py loop) in the
# background; its exit code goes to NAME/rc
loop() {
	mkdir -p "$NET_TMP/$1"
	(
		rc=0
		in_c python3 "$NET/clients.py" loop "$IP4_S" "$PORT" "$NET_TMP/$1" "$2" "$3" "$4" \
			>"$NET_TMP/$1/out" 2>&1 || rc=$?
		echo "$rc" >"$NET_TMP/$1/rc"
	) &
	net_bg_pid $!
}

floods() {
	while [ ! -e "$NET_TMP/stop" ]; do
		sleep 10
		[ ! -e "$NET_TMP/stop" ] || break
		in_c "$FLOOD" "$DEV_C" "$MAC_C" "$MAC_S" syn 10.201.0.0 "$IP4_S" "$PORT" 2 >>"$NET_TMP/floods"
		in_c "$FLOOD" "$DEV_C" "$MAC_C" "$MAC_S" rst 10.201.0.0 "$IP4_S" "$PORT" 1 >>"$NET_TMP/floods"
	done
}

# one sample a second: seconds since start (by the clock: a slow frames_ok
# must not stretch them), VmRSS kB, frames ok (checked every 5th sample)
sampler() {
	local t0 i=0 f=ok

	t0=$(date +%s)
	while [ ! -e "$NET_TMP/stop" ]; do
		if [ $((i % 5)) = 0 ]; then
			frames_ok >/dev/null 2>&1 && f=ok || f=BAD
		fi
		echo "$(($(date +%s) - t0)) $(awk '/^VmRSS/ { print $2 }' "/proc/$(tern_pid)/status") $f" \
			>>"$NET_TMP/samples"
		i=$((i + 1))
		sleep 1
	done
}

t_clients() {
	local name ok=0 rst=0 oth=0 o r x bad=

	for name in short1 short2 long; do
		for _ in $(seq 600); do
			[ -s "$NET_TMP/$name/result" ] && break
			sleep 0.1
		done
		[ -s "$NET_TMP/$name/result" ] || fail "$name did not finish in 60 s"
		wait_until test -s "$NET_TMP/$name/rc" || fail "$name: no exit code"
		sed 's/^/    /' "$NET_TMP/$name/out"
		read -r o r x <"$NET_TMP/$name/result"
		echo "    $name: $o finished, $r reset, $x other"
		[ "$(cat "$NET_TMP/$name/rc")" = 0 ] || bad="$bad $name"
		ok=$((ok + o))
		rst=$((rst + r))
		oth=$((oth + x))
	done
	echo "$ok $rst" >"$NET_TMP/clients"
	[ "$oth" = 0 ] || fail "$oth client errors other than resets"
	[ -z "$bad" ] || fail "fewer successes or more resets than allowed:$bad"
	[ "$(grep -c . "$NET_TMP/floods")" -ge 2 ] || fail "the floods did not run"
	echo "    floods: $(awk '{ n += $3 } END { print n }' "$NET_TMP/floods") frames in $(grep -c . "$NET_TMP/floods") bursts"
}

# Connections tern still has once the clients are done: all must be
# ESTABLISHED, from the client, and no more than SyncookiesRecv. They are
# the SYN-cookie ghosts Linux makes too: a client whose SYN was answered
# twice (its retransmission crossed a slow SYN-ACK during a flood) ACKs the
# second SYN-ACK from TIME-WAIT after the first connection is closed; the
# ACK carries a valid cookie and opens a connection nobody uses (in service,
# --keepalive reaps them; here a later client that reuses the port resets
# it: EstabResets).
ghosts() {
	py "
s, c = stats('$CTL'), json.loads(ctl('$CTL', 'conns'))
bad = [x for x in c['conns'] if x['state'] != 'ESTABLISHED' or not x['remote'].startswith('$IP4_C:')]
cookies = s['total']['mib']['SyncookiesRecv']
print(len(c['conns']), cookies)
if bad or c['truncated'] or len(c['conns']) > cookies - int(sys.argv[1]):
    sys.exit('left: %d (SyncookiesRecv %d): %s' % (len(c['conns']), cookies, bad[:5]))" "$(cat "$NET_TMP/cookies0")"
}

t_accounting() {
	local ok rst p0 p1 e0 e1 r0 r1 g

	read -r ok rst <"$NET_TMP/clients"
	# tern's FINs lost to the loss program are retransmitted: let them land
	for _ in $(seq 30); do
		g=$(ghosts 2>&1) && break
		sleep 0.5
	done
	g=$(ghosts 2>&1) || fail "connections left: $g"
	read -r g _ <<<"$g"
	read -r p1 <<<"$(counters mib:PassiveOpens)"
	read -r p0 <"$NET_TMP/passive0"
	read -r e1 r1 <<<"$(sum_resets)"
	read -r e0 r0 <"$NET_TMP/resets0"
	echo "    PassiveOpens +$((p1 - p0)); clients: $ok finished, $rst reset; tern reset $((e1 - e0)) established" \
		"connections (all counted resets +$((r1 - r0))); cookie ghosts left $g"
	[ "$ok" -gt 0 ] || fail "no client connection finished"
	[ "$((p1 - p0))" -ge "$ok" ] || fail "fewer connections than the clients finished"
	[ "$((p1 - p0))" -le $((ok + e1 - e0 + g)) ] || fail "connections neither finished, reset nor ghosts"
	[ "$((r1 - r0))" -ge "$rst" ] || fail "resets the clients saw that tern did not count"
}

# The loss and its repair happened: the loss program dropped frames tern
# sent, at about its rate (at least half of OutSegs/50: every segment tern
# sends crosses it, and XDP's own SYN-ACKs only add to the drops), and tern
# retransmitted (RetransSegs).
t_loss() {
	local drops out retrans

	drops=$(in_c ethtool -S "$DEV_C" | awk '/xdp_drops/ { n += $2 } END { print n + 0 }')
	read -r out retrans <<<"$(counters mib:OutSegs mib:RetransSegs)"
	echo "    client veth: $drops frames dropped by the loss program; tern OutSegs $out, RetransSegs $retrans"
	[ "$drops" -gt 0 ] || fail "the loss program dropped nothing"
	[ "$((drops * 100))" -ge "$out" ] || fail "$drops drops for $out segments: not 1 in 50"
	[ "$retrans" -gt 0 ] || fail "no retransmission (RetransSegs 0) despite the loss"
}

# rss_flat WARM: VmRSS in the samples after WARM s (at least 5) within
# MEM_SLACK
rss_flat() {
	local min max n

	read -r min max <<<"$(awk -v w="$1" '$1 >= w { if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2 } END { print min, max }' "$NET_TMP/samples")"
	echo "    VmRSS after $1 s: $min..$max kB over $(awk -v w="$1" '$1 >= w' "$NET_TMP/samples" | wc -l) samples (at start $(head -n 1 "$NET_TMP/samples" | cut -d' ' -f2) kB)"
	n=$(awk -v w="$1" '$1 >= w' "$NET_TMP/samples" | wc -l)
	[ "$n" -ge 5 ] || fail "$n samples after the warm-up, fewer than 5"
	[ "$((max - min))" -le "$MEM_SLACK" ] || fail "resident memory grew by $((max - min)) kB after the warm-up"
}

t_memory() {
	rss_flat "$WARM"
	! grep -q BAD "$NET_TMP/samples" || fail "frame accounting failed at $(grep -c BAD "$NET_TMP/samples") samples"
}

t_frames() {
	! grep -q BAD "$NET_TMP/samples" || fail "frame accounting failed at $(grep -c BAD "$NET_TMP/samples") samples"
}

# The plain build (BUILD/vg), same options and traffic for PLAIN_SECS:
# resident memory flat after 10 s of warm-up, and a clean stop.
t_memory_plain() {
	local TERN=$PLAIN_TERN n

	[ -x "$TERN" ] || fail "$TERN: not built (make vg)"
	rm -f "$NET_TMP/stop" "$NET_TMP/samples"
	rm -rf "$NET_TMP/p1" "$NET_TMP/p2" "$NET_TMP/pl"
	CTL=$NET_TMP/ctl-plain
	tern_start --addr "$IP4_S" --port "$PORT" --queues "$QUEUES" --ctl "$CTL" --app echo \
		--syncookies auto --backlog 1024 --synack-retries 2 || fail "plain tern did not start"
	wait_until py "stats('$CTL')" >/dev/null || fail "no control socket"
	loop p1 64 1 "$PLAIN_SECS"
	loop p2 64 1 "$PLAIN_SECS"
	loop pl $((4 << 20)) 0 "$PLAIN_SECS"
	floods &
	net_bg_pid $!
	sampler &
	net_bg_pid $!
	sleep "$PLAIN_SECS"
	touch "$NET_TMP/stop" "$NET_TMP/p1/stop" "$NET_TMP/p2/stop" "$NET_TMP/pl/stop"
	for n in p1 p2 pl; do
		for _ in $(seq 600); do
			[ -s "$NET_TMP/$n/rc" ] && break
			sleep 0.1
		done
		echo "    plain build, $n: $(cat "$NET_TMP/$n/result" 2>/dev/null) (ok reset other)"
	done
	rss_flat 10
	stop_ok "$QUEUES"
}

t_stop() {
	stop_ok "$QUEUES"
}

net_setup
in_c sysctl -qw net.core.txrehash=0
robust_macs
ip -n "$NS_C" link set dev "$DEV_C" xdp obj "$DROP" sec xdp || net_die "cannot attach the loss program"
CTL=$NET_TMP/ctl
tern_start --addr "$IP4_S" --port "$PORT" --queues "$QUEUES" --ctl "$CTL" --app echo \
	--syncookies auto --backlog 1024 --synack-retries 2 || net_die "tern did not start"
wait_until py "stats('$CTL')" >/dev/null || net_die "no control socket"
counters mib:PassiveOpens >"$NET_TMP/passive0"
counters mib:SyncookiesRecv >"$NET_TMP/cookies0"
sum_resets >"$NET_TMP/resets0"
: >"$NET_TMP/floods"

echo "soak: ${SECS} s of mixed traffic, loss 1/50 on $DEV_C"
# Each short loop must finish at least one connection per second and
# the long one at least one 4 MiB echo; resets (from connections a flood
# starved) within RESET_BUDGET each.
RESET_BUDGET=$((SECS / 5 + 2))
loop short1 64 "$SECS" "$RESET_BUDGET"
loop short2 64 "$SECS" "$RESET_BUDGET"
loop long $((4 << 20)) 1 "$RESET_BUDGET"
floods &
net_bg_pid $!
sampler &
net_bg_pid $!
sleep "$SECS"
touch "$NET_TMP/stop" "$NET_TMP/short1/stop" "$NET_TMP/short2/stop" "$NET_TMP/long/stop"

t_run "clients: nothing but finished or reset connections; floods ran" t_clients
t_run "every completed handshake finished or reset and counted; none left" t_accounting
t_run "the 1-in-50 loss happened and tern retransmitted" t_loss
if [ "$ASAN" = 0 ]; then
	t_run "resident memory flat after the warm-up; frames accounted throughout" t_memory
else
	t_run "frames accounted throughout" t_frames
fi
t_run "stop exits 0, frames accounted, no sanitizer report" t_stop
if [ "$ASAN" = 1 ]; then
	t_run "resident memory flat after the warm-up (plain build in BUILD/vg, ${PLAIN_SECS} s)" t_memory_plain
fi

net_finish
