#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The tern daemon end to end on a veth pair with --app echo on port 7:
# 1 MiB echo (also to a client that reads only after writing it all, with
# default and small --rmem/--wmem), 200 and 1000 concurrent connections, IPv6, SYN cookies,
# FIN on SIGTERM, exit 0 with every UMEM frame accounted for, fallback to
# the kernel after exit, and a restart after SIGKILL.
#   tests/net/test_echo.sh BUILD_DIR
NET_SUITE=test_echo
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_tern_arg "$@"
PORT=7
QUEUES=2

# ---- the echo clients (client namespace) -----------------------------------

# client CMD HOST PORT [ARGS]: tests/net/echo_client.py in the client namespace
client() { in_c timeout 90 python3 "$NET_DIR/echo_client.py" "$@"; }

# ---- the daemon --------------------------------------------------------------

# start_tern [ARGS]: runs tern in the server namespace; its pid goes to
# tern.pid (exec keeps it), its exit code to tern.rc when it ends.
start_tern() {
	# No --queues and no --cpus: every queue, spread over the CPUs.
	tern_start --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --app echo "$@" || return 1
	grep '^tern: queue .* mode' "$NET_TMP/tern.log" | sed 's/^/    /'
}


# stop_tern SIGNAL: tern must exit 0 and account for every frame.
stop_tern() {
	kill -"$1" "$(tern_pid)"
	check_exit
}

check_exit() {
	local rc

	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not exit"
	rc=$(cat "$NET_TMP/tern.rc")
	grep '^tern: queue .*frames' "$NET_TMP/tern.log" | sed 's/^/    /'
	[ "$rc" = 0 ] || { sed 's/^/    /' "$NET_TMP/tern.log" >&2; fail "tern exited $rc"; }
	[ "$(grep -c 'frames: total .*: ok$' "$NET_TMP/tern.log")" = "$QUEUES" ] ||
		fail "frame accounting: not every queue says ok"
}

# Sum of one counter over the queues, from the exit lines.
exit_counter() {
	grep -o "$1 [0-9]*" "$NET_TMP/tern.log" | awk '{ s += $2 } END { print s + 0 }'
}

has_xdp() { ip -n "$NS_S" link show "$DEV_S" | grep -q 'xdp'; }

# ---- checks ------------------------------------------------------------------

t_big4() { client big "$IP4_S" "$PORT" 1048576; }
# A client that reads only after writing 1 MiB: echo must hold what the
# client's buffers cannot (its send buffer grows), never stall or drop.
t_writefirst() { client writefirst "$IP4_S" "$PORT" 1048576; }
# With 64 KiB buffers at most, echo holds no more than that: the window
# closes and reopens; the client's own 2 MiB SO_SNDBUF holds the rest (a
# Linux echo server with the same tcp_rmem/tcp_wmem needs it too).
t_writefirst_small() {
	client writefirst "$IP4_S" "$PORT" 1048576 2097152
	client big "$IP4_S" "$PORT" 1048576
	stop_tern TERM
	# Whether the window closed depends on how fast the client's kernel
	# takes the echo (its receive buffer): shown, not checked; the unit
	# test test_echo_holds_at_most_the_send_buffer checks the bound.
	echo "    TCPToZeroWindowAdv $(exit_counter TCPToZeroWindowAdv)"
}
t_many200() { client many "$IP4_S" "$PORT" 200 4096; }
t_many1000() { client many "$IP4_S" "$PORT" 1000 2048; }
t_v6() {
	client big "$IP6_S" "$PORT" 262144
	client many "$IP6_S" "$PORT" 50 4096
}

t_sigterm() {
	local t0

	client drain "$IP4_S" "$PORT" "$NET_TMP/held" &
	local cpid=$!
	wait_until test -e "$NET_TMP/held" || fail "drain client did not connect"
	t0=$(date +%s%N)
	kill -TERM "$(tern_pid)"
	wait "$cpid" || fail "the open connection did not get a FIN"
	check_exit
	echo "    exited $((($(date +%s%N) - t0) / 1000000)) ms after SIGTERM"
	! has_xdp || fail "tern loaded the XDP program but left it attached"
}

t_fallback() {
	client refused "$IP4_S" "$PORT"
	client refused "$IP6_S" "$PORT"
}

t_cookies() {
	client big "$IP4_S" "$PORT" 65536
	client big "$IP6_S" "$PORT" 65536
	client many "$IP4_S" "$PORT" 50 4096
}

t_sigkill_restart() {
	kill -KILL "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc"
	# Pins and the program stay; the new daemon must take them over.
	start_tern
	grep -q 'already loaded' "$NET_TMP/tern.log" || fail "restart did not reuse the program"
	client big "$IP4_S" "$PORT" 65536
	client many "$IP6_S" "$PORT" 20 2048
	stop_tern TERM
}

# t_drain_timeout [MS]: tern runs with that --drain-timeout (none: the
# default, 2000); the held connection gets the FIN at once and the RST
# MS after it, and the log says when.
t_drain_timeout() {
	local want=${1:-2000} t0 ms

	rm -f "$NET_TMP/holding"
	client hold "$IP4_S" "$PORT" "$NET_TMP/holding" "$want" &
	local cpid=$!
	wait_until test -e "$NET_TMP/holding" || fail "hold client did not connect"
	t0=$(date +%s%N)
	kill -TERM "$(tern_pid)"
	check_exit
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "    exited $ms ms after SIGTERM"
	[ "$ms" -ge $((want - 100)) ] || fail "exited before the $want ms drain timeout"
	[ "$(exit_counter OutRsts)" -gt 0 ] || fail "no RST for the connection left"
	wait "$cpid" || fail "the client did not see FIN then RST at the drain timeout"
	grep -o 'closing connections (RST after [^)]*)' "$NET_TMP/tern.log" | sed 's/^/    /'
	grep -q "closing connections (RST after $2)" "$NET_TMP/tern.log" ||
		fail "the log does not say: RST after $2"
}

# expect_error RC CMD...: exit code RC and an "Error: " line on stderr.
expect_error() {
	local want=$1 rc=0 err

	shift
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = "$want" ] || fail "$*: exit $rc, expected $want: $err"
	grep -q '^Error: ' <<<"$err" || fail "$*: no Error: line: $err"
	echo "    $(grep '^Error: ' <<<"$err" | head -1)"
}

t_errors() {
	local base=(--dev "$DEV_S" --addr "$IP4_S" --port "$PORT" --bpffs "$NET_BPFFS")

	expect_error 2 in_s "$TERN" --addr "$IP4_S" --port "$PORT"
	expect_error 2 in_s "$TERN" "${base[@]}" --backlog 0
	expect_error 2 in_s "$TERN" "${base[@]}" --keepalive 10,5
	expect_error 2 in_s "$TERN" "${base[@]}" --mss 9000
	expect_error 2 in_s "$TERN" "${base[@]}" --frames 3000
	expect_error 2 in_s "$TERN" "${base[@]}" --frames 64
	expect_error 2 in_s "$TERN" "${base[@]}" --syncookies sometimes
	expect_error 2 in_s "$TERN" "${base[@]}" --app nosuchapp
	expect_error 2 in_s "$TERN" "${base[@]}" --rmem 1m,4k,2m
	expect_error 2 in_s "$TERN" "${base[@]}" --wmem 4k,64k
	expect_error 2 in_s "$TERN" "${base[@]}" --tcp-mem 1x,2m,3m
	expect_error 2 in_s "$TERN" "${base[@]}" --rmem 4k,64k,2g
	expect_error 1 in_s "$TERN" "${base[@]}" --dev nosuchdev0
	# veth has no zero-copy: --zerocopy on must fail, and clean up.
	expect_error 1 in_s "$TERN" "${base[@]}" --zerocopy on
	! has_xdp || fail "--zerocopy on left the XDP program attached"
}

t_cookie_counters() {
	stop_tern TERM
	[ "$(exit_counter SyncookiesRecv)" -gt 0 ] || fail "no SYN cookie was validated"
	[ "$(exit_counter SyncookiesSent)" -gt 0 ] || fail "no SYN cookie was sent"
	echo "    SyncookiesSent $(exit_counter SyncookiesSent) SyncookiesRecv $(exit_counter SyncookiesRecv)"
}

# ---- run ---------------------------------------------------------------------

net_setup
# veth puts a frame on the receive queue the sender picked; Linux re-picks a
# socket's queue after an RTO (tx hash rethink), which would move a flow to
# another tern stack mid-connection. A NIC's RSS hash never does that.
in_c sysctl -qw net.core.txrehash=0

start_tern || net_die "tern did not start"
t_run "echo 1 MiB over IPv4, reading while writing" t_big4
t_run "echo 1 MiB to a client that reads only after writing it all" t_writefirst
t_run "200 concurrent connections" t_many200
t_run "1000 concurrent connections" t_many1000
t_run "echo over IPv6" t_v6
t_run "SIGTERM: open connection gets FIN, exit 0, frames accounted, program detached" t_sigterm
t_run "after exit: the kernel refuses (IPv4, IPv6)" t_fallback
t_run "errors: usage exits 2, runtime exits 1, --zerocopy on fails on veth" t_errors

start_tern --syncookies always || net_die "tern --syncookies always did not start"
t_run "--syncookies always: echo over IPv4 and IPv6" t_cookies
t_run "SIGKILL leaves nothing that blocks a restart" t_sigkill_restart
t_run "after the restarted daemon exits: the kernel refuses" t_fallback

start_tern || net_die "tern did not start a third time"
t_run "SIGTERM with a connection that never closes: RST after 2 s, exit 0" t_drain_timeout 2000 "2 s"

start_tern --drain-timeout 1s || net_die "tern --drain-timeout 1s did not start"
t_run "--drain-timeout 1s: RST 1 s after the FIN" t_drain_timeout 1000 "1 s"

start_tern --drain-timeout 4000 || net_die "tern --drain-timeout 4000 did not start"
t_run "--drain-timeout 4000 (ms): RST 4 s after the FIN" t_drain_timeout 4000 "4 s"

start_tern --rmem 4k,16k,64k --wmem 4k,16k,64k || net_die "tern with small buffers did not start"
t_run "--rmem/--wmem 4k,16k,64k: 1 MiB written first, then read, echoes" t_writefirst_small

start_tern --syncookies always || net_die "tern did not start a fourth time"
client big "$IP4_S" "$PORT" 4096 >/dev/null
t_run "--syncookies always: cookies sent and validated" t_cookie_counters

net_finish
