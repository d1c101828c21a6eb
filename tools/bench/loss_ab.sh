#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# 1 MiB GETs under random loss, servers compared round by round in the
# loss step's set-up of bench_net.sh (one queue, the client on CPU 0, the
# server on CPU 1, the loss program on the client veth). Each round runs
# every server at every loss rate in turn (interleaved A/B), AB_GETS GETs
# per cell, and writes one line per cell to OUT_DIR/ab.txt: each GET's
# time (loss_ab.py get) and the server's counters per GET (tern: ternctl
# stats; Linux: nstat in the server namespace); at the end loss_ab.py
# summary's line per server and loss rate. Prints, never asserts.
#   AB_SERVERS  servers in order (default "tern nginx"): a name that
#               begins with tern runs the binary TERN_BIN_<name> (default
#               BUILD_DIR/tern) with the options TERN_ARGS_<name> added,
#               e.g. AB_SERVERS="tern tern_main nginx"
#               TERN_BIN_tern_main=/path/to/main/tern; nginx is one worker
#               with sendfile on AB_LINUX_CC
#   AB_PCTS     loss rates, % (default "1 3"; built: 0 1 3)
#   AB_ROUNDS   rounds (default 5); AB_GETS GETs per cell (default 20)
#   AB_LINUX_CC nginx's congestion control (default cubic), set on its
#               listener as the loss step does (bench_net.sh
#               nginx_files_up: BUILD_DIR/tools/tern-bench-cc.so, checked
#               with ss); empty: the namespace's (the host's default)
#   OUT_DIR/NAME.PCT.ROUND.qdisc: the server veth's qdisc statistics (tc -s)
#   after the cell, NAME.PCT.ROUND.err tern's standard error and
#   NAME.PCT.ROUND.stats its ternctl stats
#   AB_RTT_MS   a round-trip time for the path (tools/bench/wan.sh wan_on:
#               the client's packets through tern-bench-delay); unset:
#               veth's own
#   AB_PCAP=1   tcpdump on the client veth per cell (OUT_DIR/NAME.PCT.ROUND.pcap,
#               for gets_pcap.py: what the loss program lets through; tern's
#               AF_XDP frames never reach a capture on the server veth)
#   tools/bench/loss_ab.sh BUILD_DIR OUT_DIR
set -euo pipefail
AB_SERVERS=${AB_SERVERS:-"tern nginx"}
AB_PCTS=${AB_PCTS:-"1 3"}
AB_ROUNDS=${AB_ROUNDS:-5}
AB_GETS=${AB_GETS:-20}
AB_LINUX_CC=${AB_LINUX_CC-cubic}
# the counters printed per GET
TERN_KEYS="RetransSegs TCPTimeouts TCPLossProbes TCPLossProbeRecovery TCPSackRecovery \
TCPSACKReorder TCPRackReoTimeout TCPLostRetransmit TCPDSACKRecv TCPSpuriousRTOs TCPFullUndo \
TCPPartialUndo TCPDSACKUndo TCPLossUndo TCPSackRescue"
LINUX_KEYS="TcpRetransSegs TcpExtTCPTimeouts TcpExtTCPLossProbes TcpExtTCPLossProbeRecovery \
TcpExtTCPSackRecovery TcpExtTCPSACKReorder TcpExtTCPLostRetransmit TcpExtTCPDSACKRecv \
TcpExtTCPSpuriousRTOs TcpExtTCPFullUndo TcpExtTCPPartialUndo TcpExtTCPDSACKUndo \
TcpExtTCPLossUndo TcpExtTCPSACKReneging TcpExtTCPFastRetrans"

# per_get KEYS N: "key=value/N ..." for each key of KEYS found on stdin
# as "key value" lines (nstat) or "key": value (ternctl's JSON).
per_get() {
	tr -d '",{}' | tr ':' ' ' | awk -v keys="$1" -v n="$2" '
		BEGIN { split(keys, k, " "); for (i in k) want[k[i]] = 1 }
		want[$1] && !($1 in v) { v[$1] = $2 }
		END { for (i = 1; i in k; i++) printf "%s=%.2f ", k[i], v[k[i]] / n }'
}

ab_cell() { # ab_cell NAME PCT ROUND
	local name=$1 pct=$2 r=$3 out pid='' cnt

	xdp_on "$NS_C" "$DEV_C" "$XDP_OBJS/loss$pct.bpf.o"
	client_napi
	if [ -n "${AB_PCAP:-}" ]; then
		ip netns exec "$NS_C" tcpdump --immediate-mode -i "$DEV_C" -s 96 \
			-w "$OUT/$name.$pct.$r.pcap" -U >/dev/null 2>&1 &
		pid=$!
		sleep 0.3
	fi
	[ "$name" != nginx ] || NSTAT_HISTORY=$NET_TMP/nstat.s in_s nstat -n
	out=$(taskset -c "$GEN_CPU" ip netns exec "$NS_C" python3 "$HERE/loss_ab.py" get "$IP4_S" \
		"$PORT" /big "$AB_GETS")
	if [ "$name" = nginx ]; then
		# the change since nstat -n above
		cnt=$(NSTAT_HISTORY=$NET_TMP/nstat.s in_s nstat -z | per_get "$LINUX_KEYS" "$AB_GETS")
	else
		taskset -c "$GEN_CPU" ip netns exec "$NS_S" "$BUILD/tools/ternctl" stats \
			--dev "$DEV_S" --bpffs "$NET_BPFFS" --ctl "$CTL" >"$OUT/$name.$pct.$r.stats" 2>&1
		cnt=$(per_get "$TERN_KEYS" "$AB_GETS" <"$OUT/$name.$pct.$r.stats")
	fi
	if [ -n "$pid" ]; then
		sleep 0.2
		kill "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	xdp_off "$NS_C" "$DEV_C"
	in_s tc -s qdisc show dev "$DEV_S" >"$OUT/$name.$pct.$r.qdisc"
	echo "ab: round=$r server=$name loss=$pct $out $cnt" >>"$OUT/ab.txt"
	say "  round $r $name $pct %: $(python3 "$HERE/loss_ab.py" summary <(tail -n 1 "$OUT/ab.txt"))"
}

ab_server() { # ab_server NAME ROUND: the server up, its cells, down
	local name=$1 r=$2 pct bin=TERN_BIN_$1 args=TERN_ARGS_$1

	case $name in
	tern*)
		TERN=${!bin:-$tern_a}
		for pct in $AB_PCTS; do
			# a fresh process per cell: its counters are the cell's
			# shellcheck disable=SC2086 # the options are words
			tern_up --app http --http-body "$NET_TMP/www/big" ${!args:-}
			ab_cell "$name" "$pct" "$r"
			stop tern
			cp "$NET_TMP/tern.err" "$OUT/$name.$pct.$r.err"
		done
		;;
	nginx)
		nginx_files_up "$AB_LINUX_CC"
		for pct in $AB_PCTS; do ab_cell nginx "$pct" "$r"; done
		stop nginx
		;;
	*)
		echo "Error: $name: not a server (tern..., nginx)" >&2
		return 1
		;;
	esac
}

ab() {
	local r s
	tern_a=$TERN

	mkdir -p "$NET_TMP/www"
	head -c $((1 << 20)) /dev/urandom >"$NET_TMP/www/big"
	say "loss A/B: servers $AB_SERVERS, loss $AB_PCTS %, $AB_ROUNDS rounds of $AB_GETS GETs;" \
		"nginx on ${AB_LINUX_CC:-$(in_s sysctl -n net.ipv4.tcp_congestion_control)}"
	: >"$OUT/ab.txt"
	[ -z "${AB_RTT_MS:-}" ] || { wan_on "$AB_RTT_MS" && say "  $WAN_RTT"; }
	for r in $(seq "$AB_ROUNDS"); do
		for s in $AB_SERVERS; do ab_server "$s" "$r"; done
	done
	[ -z "${AB_RTT_MS:-}" ] || wan_off
	python3 "$HERE/loss_ab.py" summary "$OUT/ab.txt" | tee "$OUT/summary.txt"
}

export BENCH_STEPS=ab
# shellcheck source=bench_net.sh
. "$(dirname "$0")/bench_net.sh"
