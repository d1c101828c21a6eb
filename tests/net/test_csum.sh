#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# TX checksum offload (--tx-csum, AF_XDP TX metadata) checked end to end.
# A CHECKSUM_PARTIAL skb crossing veth is trusted by the receiver, so a
# client on tern's veth would accept any sum. Here tern's segments cross
# a router namespace whose link toward the client has TX checksumming
# off: the router's kernel completes every partial sum in software
# (validate_xmit_skb -> skb_checksum_help) before the client, which
# verifies it like any frame from a wire. A wrong pseudo-header sum in
# tern's frames becomes a wrong checksum there: the client drops the
# segment (TcpInCsumErrors) and tcpdump prints "incorrect".
#   client ($NS_E) <-> router (the library's client namespace) <-> tern
# Checks, IPv4 and IPv6: 1 MiB from --app http arrives intact, tcpdump
# -vv on the client finds every tern segment's checksum correct, the
# client counts no checksum errors, tern counts offloaded frames and
# says so in its log and `ternctl status`; then the same with
# --tx-csum sw (software sums, nothing offloaded).
# Segmentation offload (--tx-gso, on by default in copy mode): tern's
# veth cuts its GSO frames into partial-sum segments (TSO off, lib.sh),
# the router completes their sums, and the client checks them.
# The first daemon sends with GSO frames, the second with --tx-gso off
# (every frame through AF_XDP with TX metadata), the third with GSO
# frames and software sums.
#   tests/net/test_csum.sh BUILD_DIR
NET_SUITE=test_csum
NET_QUEUES=1
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/router_lib.sh
. "$(dirname "$0")/router_lib.sh"

net_tern_arg "$@"
TERNCTL=$(realpath "$1/tools/ternctl")
PORT=80
tctl() { in_s "$TERNCTL" "$1" --dev "$DEV_S" --ctl "$NET_TMP/ctl.sock" "${@:2}"; }

# The router completes partial sums on the way to the client (and does
# not coalesce tern's segments into GSO ones).
setup_router() {
	router_setup
	in_c ethtool -K "$DEV_RE" tx off tso off gso off >/dev/null
	in_c ethtool -K "$DEV_C" gro off >/dev/null 2>&1 || true
}

# tstat KEY: tern's total of a per-queue counter (ternctl stats --json).
tstat() {
	tctl stats --json | python3 -c 'import json, sys
print(json.load(sys.stdin)["total"][sys.argv[1]])' "$1"
}

# csum_errors: the client's TcpInCsumErrors (IPv4 and IPv6 share it).
csum_errors() { in_e nstat -az TcpInCsumErrors | awk '$1 == "TcpInCsumErrors" { print $2 }'; }

# fetch URL FAMILY: 1 MiB through the router, captured on the client,
# compared with the body; every TCP segment from tern in the capture
# must carry a checksum tcpdump finds correct. Prints the counts.
fetch() {
	local url=$1 cap=$NET_TMP/cap.$2 out=$NET_TMP/got.$2 good bytes bad nerr0 nerr1 dpid

	nerr0=$(csum_errors)
	rm -f "$out" "$cap"
	# (-Z root: the capture file is in the run's root-only directory)
	in_e timeout 60 tcpdump -Z root -B 32768 --immediate-mode -i "$DEV_E" -nn -s 0 -U -w "$cap" "tcp and src port $PORT" \
		>/dev/null 2>"$cap.err" &
	dpid=$!
	net_bg_pid "$dpid"
	wait_until grep -q "listening on" "$cap.err" || fail "tcpdump did not start"
	in_e curl -sS -g -m 30 -o "$out" "$url" || fail "curl $url: exit $?"
	sleep 0.3
	kill -TERM "$dpid" # (SIGINT is ignored by background jobs)
	wait "$dpid" 2>/dev/null || true
	cmp -s "$out" "$NET_TMP/body" || fail "body differs: $(stat -c %s "$out") bytes"
	tcpdump -nn -vv -r "$cap" 2>/dev/null >"$cap.txt"
	good=$(grep -c 'cksum 0x[0-9a-f]* (correct)' "$cap.txt" || true)
	bytes=$(grep -oE '\(correct\), seq [0-9]+:[0-9]+' "$cap.txt" | tr ':' ' ' |
		awk '{ n += $4 - $3 } END { print n + 0 }')
	bad=$(grep -c 'incorrect' "$cap.txt" || true)
	nerr1=$(csum_errors)
	echo "    $2: tcpdump: $good segments from tern ($bytes payload bytes) with a correct" \
		"checksum, $bad incorrect; client TcpInCsumErrors +$((nerr1 - nerr0))"
	[ "$bad" = 0 ] || fail "$bad segments with an incorrect checksum: $(grep -m1 incorrect "$cap.txt")"
	[ "$bytes" -ge 1048576 ] || fail "only $bytes payload bytes verified"
	grep -q 'Flags \[S\.\].*(correct)' "$cap.txt" || fail "no verified SYN-ACK"
	[ "$nerr1" = "$nerr0" ] || fail "client TcpInCsumErrors grew by $((nerr1 - nerr0))"
}

t_offload_v4() {
	local n0 n1

	n0=$(tstat tx_csum_offload)
	fetch "http://$IP4_S:$PORT/" 4
	n1=$(tstat tx_csum_offload)
	# 1 MiB in segments of at most 1448 bytes: 725 or more
	[ "$((n1 - n0))" -ge 725 ] || fail "tx_csum_offload grew by $((n1 - n0)), want >= 725"
	echo "    tx_csum_offload +$((n1 - n0))"
	[ "$(tstat tx_gso_frames)" = 0 ] || fail "tx_gso_frames $(tstat tx_gso_frames) with --tx-gso off"
}

# fetch_gso URL FAMILY: fetch through GSO frames: most of the 725 or
# more segments of 1 MiB went in them, several to a frame, none failed.
fetch_gso() {
	local f0 s0 f1 s1

	f0=$(tstat tx_gso_frames)
	s0=$(tstat tx_gso_segs)
	fetch "$1" "$2"
	f1=$(tstat tx_gso_frames)
	s1=$(tstat tx_gso_segs)
	echo "    tx_gso_frames +$((f1 - f0)), tx_gso_segs +$((s1 - s0)), fails $(tstat tx_gso_fails)"
	[ "$((s1 - s0))" -ge 363 ] || fail "tx_gso_segs grew by $((s1 - s0)), want >= 363"
	[ "$((s1 - s0))" -ge "$((2 * (f1 - f0)))" ] || fail "fewer than 2 segments per GSO frame"
	[ "$(tstat tx_gso_fails)" = 0 ] || fail "tx_gso_fails $(tstat tx_gso_fails)"
}

t_gso() {
	fetch_gso "http://$IP4_S:$PORT/" gso4
	fetch_gso "http://[$IP6_S]:$PORT/" gso6
}

t_offload_v6() {
	fetch "http://[$IP6_S]:$PORT/" 6
}

# t_gso_reported WANT: GSO frames on (1) or off (0) in the start-up
# line, ternctl status and stats.
t_gso_reported() {
	local word=off log="no GSO frames"

	[ "$1" = 1 ] && word=on log="GSO frames"
	grep "^tern: queue 0 on $DEV_S: AF_XDP copy mode" "$NET_TMP/tern.log" | grep -qF ", $log," ||
		fail "start-up line: $(grep 'queue 0 on' "$NET_TMP/tern.log")"
	tctl status --bpffs "$NET_BPFFS" | grep -qE "^queue 0: .*, GSO frames $word\$" ||
		fail "ternctl status: $(tctl status --bpffs "$NET_BPFFS" | grep '^queue 0')"
	[ "$(tctl stats --json | python3 -c 'import json, sys
print(int(json.load(sys.stdin)["queues"][0]["tx_gso"]))')" = "$1" ] || fail "stats tx_gso != $1"
}

# The start-up line, ternctl status and the metric say which is active.
t_reported() {
	local want=$1 log=$2 st=$3 out

	grep "^tern: queue 0 on $DEV_S: AF_XDP copy mode" "$NET_TMP/tern.log" |
		grep -qF ", TX checksums $log," ||
		fail "start-up line: $(grep 'queue 0 on' "$NET_TMP/tern.log")"
	out=$(tctl status --bpffs "$NET_BPFFS")
	grep -qE "^queue 0: AF_XDP copy mode, .*TX checksums $st, GSO frames (on|off)\$" <<<"$out" ||
		fail "ternctl status: $(grep '^queue 0' <<<"$out")"
	[ "$(tctl stats --json | python3 -c 'import json, sys
print(int(json.load(sys.stdin)["queues"][0]["tx_csum"]))')" = "$want" ] || fail "stats tx_csum != $want"
}

t_sw() {
	fetch_gso "http://$IP4_S:$PORT/" sw4
	fetch_gso "http://[$IP6_S]:$PORT/" sw6
	[ "$(tstat tx_csum_offload)" = 0 ] || fail "tx_csum_offload $(tstat tx_csum_offload) with --tx-csum sw"
}

# t_bad_value OPTION VALUE: refused before anything is attached.
t_bad_value() {
	local rc=0

	in_s "$TERN" --dev "$DEV_S" --addr "$IP4_S" --port "$PORT" "--$1" "$2" \
		>/dev/null 2>"$NET_TMP/err" || rc=$?
	[ "$rc" = 2 ] && grep -q "^Error: --$1" "$NET_TMP/err" ||
		fail "--$1 $2: exit $rc: $(cat "$NET_TMP/err")"
}

stop_tern() {
	kill -TERM "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not exit"
	[ "$(cat "$NET_TMP/tern.rc")" = 0 ] || fail "tern exit $(cat "$NET_TMP/tern.rc")"
}

net_setup
net_need curl cmp tcpdump nstat
setup_router
head -c 1048576 /dev/urandom >"$NET_TMP/body"
in_e nstat -n >/dev/null # nstat's history starts here

tern_start --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --app http \
	--http-body "$NET_TMP/body" --ctl "$NET_TMP/ctl.sock" ||
	net_die "tern --app http did not start"
t_run "auto: GSO frames on in copy mode, said in the log, ternctl status and stats" \
	t_gso_reported 1
t_run "GSO: IPv4 and IPv6 1 MiB in GSO frames, cut and summed by the router, all correct" t_gso
t_run "SIGTERM: exit 0" stop_tern

tern_start --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --app http \
	--http-body "$NET_TMP/body" --ctl "$NET_TMP/ctl.sock" --tx-gso off ||
	net_die "tern --tx-gso off did not start"
t_run "--tx-gso off: said in the log, ternctl status and stats" t_gso_reported 0
t_run "auto: offloaded, said in the log, ternctl status and stats" \
	t_reported 1 offloaded offloaded
t_run "IPv4: 1 MiB with offloaded sums, completed by the router, all correct" t_offload_v4
t_run "IPv6: 1 MiB with offloaded sums, completed by the router, all correct" t_offload_v6
t_run "SIGTERM: exit 0" stop_tern

tern_start --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --app http \
	--http-body "$NET_TMP/body" --ctl "$NET_TMP/ctl.sock" --tx-csum sw ||
	net_die "tern --tx-csum sw did not start"
t_run "--tx-csum sw: software sums, said in the log, ternctl status and stats" \
	t_reported 0 "in software (--tx-csum sw)" "in software"
t_run "--tx-csum sw: IPv4 and IPv6 1 MiB in GSO frames, all correct, no TX metadata" t_sw
t_run "SIGTERM: exit 0" stop_tern
t_run "--tx-csum hw: exit 2" t_bad_value tx-csum hw
t_run "--tx-gso yes: exit 2" t_bad_value tx-gso yes
t_run "--tx-gso-max 1000: exit 2" t_bad_value tx-gso-max 1000
net_finish
