#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Floods at tern while real clients connect. Each flood runs for FLOOD_SECS
# (default 3) from tests/net/rawflood (AF_PACKET, sendmmsg, as fast as one
# core builds frames) in the client namespace, while CLIENTS (default 100)
# echo connections run one after another from the client's own address:
#   syn        spoofed random sources: cookies take over (--backlog 256)
#   syn-dup    one SYN repeated: SYN-ACK retransmissions rate-limited
#   ack, rst, fin   random spoofed sources: RST / dropped and counted
#   est-syn, est-rst, est-ack   on the tuple of an established connection:
#              at most one reply per 500 ms (challenge ACKs, dupacks), and
#              at least (SECS + 1) / 2 over the flood (RSTs: those aimed
#              inside the window; random ones almost never land there)
#   est-data   out-of-window data on that tuple: one ACK per segment
#              (Linux does not limit these either), never more, never fewer
# The clients start 0.5 s into the flood and spread over the rest of it.
# Every client connection must echo; the held connection must still echo
# after its floods; the mode's counter must move; challenge ACKs stay
# under the stack-wide limit; the daemon's resident and virtual memory do
# not grow after the SYN floods (everything is preallocated; under ASan
# this is measured on the plain build in BUILD/vg, see t_memory_plain).
#   tests/net/test_flood.sh BUILD_DIR
NET_SUITE=test_flood
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/robust.sh
. "$(dirname "$0")/robust.sh"

net_tern_arg "$@"
FLOOD=$(realpath "$1/tests/rawflood")
[ -x "$FLOOD" ] || { echo "Error: $FLOOD: not built (make)" >&2; exit 2; }
PORT=7
QUEUES=2
SECS=${FLOOD_SECS:-3}
CLIENTS=${CLIENTS:-100}
CTL=
# Memory growth allowed after the warm-up: 4 MiB, on a plain build. Under
# ASan (CI) resident memory says little (its quarantine holds tens of MiB
# of freed blocks back), so the growth check runs on the plain build that
# make vg puts in BUILD/vg, after the sanitized daemon's floods.
MEM_SLACK=4096
ASAN=0
if grep -qa __asan_init "$TERN"; then ASAN=1; fi
PLAIN_TERN=$(realpath -m "$1/vg/tern")

# mem: "VmRSS VmSize" of the daemon in kB
mem() { awk '/^VmRSS/ { r = $2 } /^VmSize/ { v = $2 } END { print r, v }' "/proc/$(tern_pid)/status"; }

# flood MODE [SPORT [SEQ]]: the generator and the clients at once; both must
# end well.
flood() {
	local mode=$1 src=$IP4_C sport=${2:-40000} rc=0 cpid retries=0

	case $mode in
	syn | ack | rst | fin) src=10.201.0.0 ;;
	syn-dup) src=10.200.$NET_X.77 ;;
	esac
	# Under a SYN flood clients get cookies; when the flood overruns the RX
	# ring and takes both a client's handshake ACK and its data, its FIN
	# fails the cookie check and is reset, as with Linux: it retries (twice
	# at most; a retry can meet the same overrun). An ACK flood right after
	# a SYN flood (t_memory_plain) meets the same: the half-open table is
	# still full of the SYN flood's, so clients get cookies while the ACK
	# flood overruns the ring.
	case $mode in syn | ack) retries=2 ;; esac
	in_c sh -c 'sleep 0.5; exec "$@"' sh timeout 90 python3 "$NET_DIR/clients.py" many "$IP4_S" "$PORT" \
		"$CLIENTS" 20 "$retries" "$((SECS - 1))" &
	cpid=$!
	in_c timeout $((SECS + 30)) "$FLOOD" "$DEV_C" "$MAC_C" "$MAC_S" "$mode" "$src" "$IP4_S" \
		"$PORT" "$SECS" "$sport" ${3:+"$3"} >"$NET_TMP/flood.out" || rc=1
	sed 's/^/    /' "$NET_TMP/flood.out"
	wait "$cpid" || fail "$mode: not every client connection echoed"
	[ "$rc" = 0 ] || fail "$mode: the generator failed"
	kill -0 "$(tern_pid)" || fail "$mode: tern is gone"
}

# moved BEFORE AFTER MIN WHAT: AFTER - BEFORE >= MIN
moved() {
	echo "    $4: +$(($2 - $1))"
	[ "$(($2 - $1))" -ge "$3" ] || fail "$4 moved by $(($2 - $1)), expected >= $3"
}

# spoofed MODE COUNTER: a flood from random sources moves COUNTER by >= 1000.
spoofed() {
	local b a

	b=$(counters "$2")
	flood "$1"
	a=$(counters "$2")
	moved "$b" "$a" 1000 "$2"
}

t_syn() {
	local b a

	b=$(counters mib:SyncookiesSent mib:PassiveOpens)
	flood syn
	a=$(counters mib:SyncookiesSent mib:PassiveOpens)
	moved "${b%% *}" "${a%% *}" 1000 "SyncookiesSent"
	moved "${b##* }" "${a##* }" "$CLIENTS" "PassiveOpens"
	MEM0=$(mem)
	echo "    memory after the SYN floods: VmRSS/VmSize $MEM0 kB"
	echo "$MEM0" >"$NET_TMP/mem0"
	# --synack-retries 1: the spoofed half-opens are gone after 3 s
	wait_until py "sys.exit(stats('$CTL')['total']['nreqs'] != 0)" ||
		wait_until py "sys.exit(stats('$CTL')['total']['nreqs'] != 0)" || fail "half-opens left"
}

t_syn_dup() {
	local b a

	b=$(counters mib:TCPACKSkippedSynRecv mib:TCPSynRetrans)
	flood syn-dup 41000
	a=$(counters mib:TCPACKSkippedSynRecv mib:TCPSynRetrans)
	moved "${b%% *}" "${a%% *}" 1000 "TCPACKSkippedSynRecv"
	# the record's own timer (1 s, 2 s, ...) plus one reply per 500 ms
	echo "    TCPSynRetrans: +$((${a##* } - ${b##* }))"
	[ "$((${a##* } - ${b##* }))" -le $((2 * SECS + 8)) ] || fail "SYN-ACKs to duplicate SYNs not rate-limited"
}

# est MODE COUNTER BOUND LOW [inwin]: flood the tuple of a held connection;
# COUNTER moves by >= 1000, at most BOUND and at least LOW frames go back to
# it after its handshake, it still echoes. LOW "each": every segment
# COUNTER counted was answered (OutSegs moved by at least as much; the
# clients' own replies only add). inwin: SEQs inside the window, never
# RCV.NXT itself (rawflood's SEQ argument).
est() {
	local d=$NET_TMP/hold-$1${5:-} b a sport n hpid c0 c1 o0 o1 bound low=$4 seq=

	mkdir -p "$d"
	in_c timeout 90 python3 "$NET_DIR/clients.py" hold "$DEV_C" "$IP4_S" "$PORT" "$d" &
	hpid=$!
	wait_until test -s "$d/port" || fail "no held connection"
	sport=$(cat "$d/port")
	[ "${5:-}" != inwin ] || seq=$(cat "$d/rcvnxt")
	b=$(counters "$2")
	c0=$(counters mib:TCPChallengeACK)
	o0=$(counters mib:OutSegs)
	flood "$1" "$sport" "$seq"
	a=$(counters "$2")
	c1=$(counters mib:TCPChallengeACK)
	o1=$(counters mib:OutSegs)
	touch "$d/go"
	wait "$hpid" || fail "$1: the held connection"
	n=$(cat "$d/replies")
	bound=$3
	[ "$bound" != sent ] || bound=$(awk '{ print $3 }' "$NET_TMP/flood.out")
	moved "$b" "$a" 1000 "$2"
	echo "    frames back to the held connection: $n (bound $bound); TCPChallengeACK +$((c1 - c0))"
	[ "$n" -le "$bound" ] || fail "$1: $n replies to the flooded tuple, more than $bound"
	if [ "$low" = each ]; then
		echo "    OutSegs +$((o1 - o0)) for $2 +$((a - b))"
		[ "$((o1 - o0))" -ge "$((a - b))" ] || fail "$1: fewer segments sent than answers owed"
	else
		[ "$n" -ge "$low" ] || fail "$1: $n replies to the flooded tuple, fewer than $low"
	fi
	# stack-wide budget: challenge_ack_limit (1000) x 1.5 per second and queue
	[ "$((c1 - c0))" -le $((1500 * (SECS + 2) * QUEUES)) ] || fail "challenge ACKs beyond the limit"
}

t_memory() {
	local m0 m1 r0 v0 r1 v1

	m0=$(cat "$NET_TMP/mem0")
	m1=$(mem)
	read -r r0 v0 <<<"$m0"
	read -r r1 v1 <<<"$m1"
	echo "    VmRSS $r0 -> $r1 kB, VmSize $v0 -> $v1 kB"
	[ "$((r1 - r0))" -le "$MEM_SLACK" ] || fail "resident memory grew by $((r1 - r0)) kB"
	[ "$((v1 - v0))" -le "$MEM_SLACK" ] || fail "virtual memory grew by $((v1 - v0)) kB"
	frames_ok || fail "frame accounting"
}

t_stop() {
	stop_ok "$QUEUES"
}

t_frames() {
	frames_ok || fail "frame accounting"
}

# The plain build (BUILD/vg), same options: two SYN floods to warm up,
# then a SYN and an ACK flood; resident and virtual memory within
# MEM_SLACK of where the warm-up left them, and a clean stop.
t_memory_plain() {
	local TERN=$PLAIN_TERN m0 m1 r0 v0 r1 v1

	[ -x "$TERN" ] || fail "$TERN: not built (make vg)"
	CTL=$NET_TMP/ctl-plain
	tern_start --addr "$IP4_S" --port "$PORT" --queues "$QUEUES" --ctl "$CTL" --app echo \
		--syncookies auto --backlog 256 --synack-retries 1 || fail "plain tern did not start"
	wait_until py "stats('$CTL')" >/dev/null || fail "no control socket"
	flood syn
	flood syn
	m0=$(mem)
	flood syn
	flood ack
	m1=$(mem)
	read -r r0 v0 <<<"$m0"
	read -r r1 v1 <<<"$m1"
	echo "    plain build: VmRSS $r0 -> $r1 kB, VmSize $v0 -> $v1 kB"
	[ "$((r1 - r0))" -le "$MEM_SLACK" ] || fail "resident memory grew by $((r1 - r0)) kB"
	[ "$((v1 - v0))" -le "$MEM_SLACK" ] || fail "virtual memory grew by $((v1 - v0)) kB"
	stop_ok "$QUEUES"
}

net_setup
in_c sysctl -qw net.core.txrehash=0
# The held connection carries no timestamps, so that floods without them
# meet the sequence checks (RFC 7323 5.3 would drop them first).
in_c sysctl -qw net.ipv4.tcp_timestamps=0
# veth hands a frame to the peer's receive queue of the sender's transmit
# queue: all on queue 0, where the held connection is.
xps_queue0 || net_die "cannot set XPS on $DEV_C"
robust_macs
CTL=$NET_TMP/ctl
tern_start --addr "$IP4_S" --port "$PORT" --queues "$QUEUES" --ctl "$CTL" --app echo \
	--syncookies auto --backlog 256 --synack-retries 1 || net_die "tern did not start"
wait_until py "stats('$CTL')" || net_die "no control socket"

t_run "duplicate SYNs: SYN-ACKs rate-limited, clients echo" t_syn_dup
t_run "SYN flood, spoofed random sources: cookies, clients echo" t_syn
t_run "ACK flood, spoofed: RSTs, clients echo" spoofed ack mib:OutRsts
t_run "RST flood, spoofed: dropped and counted, clients echo" spoofed rst mib:InDropListenFlags
t_run "FIN flood, spoofed: dropped and counted, clients echo" spoofed fin mib:InDropListenFlags
# Linux answers at most one per 500 ms (tcp_oow_rate_limited, the
# per-socket challenge-ACK limit): about 2 x SECS replies. The floor,
# (SECS + 1) / 2, leaves room for a loaded machine but not for none. RSTs
# with a random SEQ almost never land in the window (a few in a million
# for an 8 KiB window), so that flood has no floor; the in-window RSTs
# (never at RCV.NXT) each deserve a challenge ACK (RFC 5961 3.2), limited
# the same way.
LOW=$(((SECS + 1) / 2))
t_run "SYNs to an established tuple: challenge ACKs rate-limited" est est-syn mib:TCPSYNChallenge \
	$((2 * SECS + 4)) "$LOW"
t_run "RSTs with random SEQ at an established tuple: it survives" est est-rst mib:InDropOutOfWindow \
	$((2 * SECS + 4)) 0
t_run "RSTs in the window at an established tuple: challenge ACKs rate-limited" est est-rst \
	mib:TCPACKSkippedChallenge $((2 * SECS + 4)) "$LOW" inwin
t_run "ACKs with random SEQ/ACK at an established tuple: replies limited" est est-ack \
	mib:TCPACKSkippedSeq $((2 * SECS + 4)) "$LOW"
t_run "out-of-window data at an established tuple: one ACK each" est est-data \
	mib:InDropOutOfWindow sent each
if [ "$ASAN" = 0 ]; then
	t_run "memory flat after the SYN floods; frames accounted" t_memory
else
	t_run "frames accounted after the floods" t_frames
fi
t_run "stop exits 0 with frames accounted" t_stop
if [ "$ASAN" = 1 ]; then
	t_run "memory flat after SYN floods (plain build in BUILD/vg)" t_memory_plain
fi

net_finish
