# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# A round-trip time between the client namespace and one address, for the
# benchmarks (sourced after tests/net/lib.sh: NS_C, DEV_C, IP4_C, NET_TMP).
# veth's round trip is tens of microseconds; tern-bench-delay
# (tools/bench/delay) holds the client's packets to WAN_DST for the delay:
# the client namespace routes WAN_DST through a tun device the tool reads,
# and the tool sends each packet on the client veth to WAN_MAC when its
# time comes. The replies come straight back over the veth, so the path
# has the round-trip time and no queue of its own.
#   WAN_DELAY: the tern-bench-delay binary; WAN_CPU: the CPU it runs on;
#   WAN_DST: the address to delay; WAN_MAC: the MAC it is sent to;
#   WAN_HELP: tools/bench/nethelp.py (times connects refused over the path)

# wan_on MS: delay the client's packets to WAN_DST by MS milliseconds;
# WAN_RTT: nethelp.py rtt's line for five connects to WAN_DST's port 9.
wan_on() {
	local us=$(($1 * 1000))

	ip -n "$NS_C" tuntap add dev tdelay mode tun
	# real-time priority: the path must not wait for the client on its CPU
	taskset -c "$WAN_CPU" chrt -f 10 ip netns exec "$NS_C" "$WAN_DELAY" \
		--tun tdelay --dev "$DEV_C" --dst-mac "$WAN_MAC" --delay-us "$us" \
		>"$NET_TMP/delay.out" 2>"$NET_TMP/delay.err" &
	WAN_PID=$!
	net_bg_pid "$WAN_PID"
	ip -n "$NS_C" link set tdelay up
	# the replies arrive on the veth, not on the route's device
	in_c sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.$DEV_C.rp_filter=0"
	ip -n "$NS_C" route add "$WAN_DST/32" dev tdelay src "$IP4_C"
	WAN_RTT=$(in_c python3 "$WAN_HELP" rtt "$WAN_DST" 9 5) || {
		echo "wan: the delayed path does not reach $WAN_DST: $WAN_RTT $(cat "$NET_TMP/delay.err")" >&2
		return 1
	}
}

# wan_off: the direct route again; prints the tool's summary line on stderr.
wan_off() {
	ip -n "$NS_C" route del "$WAN_DST/32" dev tdelay
	kill -TERM "$WAN_PID" 2>/dev/null || true
	wait "$WAN_PID" 2>/dev/null || true
	echo "wan: tern-bench-delay: $(cat "$NET_TMP/delay.out")" >&2
	ip -n "$NS_C" link del tdelay
}
