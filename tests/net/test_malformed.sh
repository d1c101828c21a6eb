#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Malformed and odd frames from the client namespace, as raw Ethernet frames
# (AF_PACKET: the client kernel fixes nothing up), at tern's echo service
# and, side by side, at a Linux listener in the server namespace, which is
# the reference: per class (tests/net/malformed.py lists them, 60+) tern
# replies as Linux does (none, SYN-ACK with the same options, RST) unless a
# difference is documented, the class's drop counter moves (XDP, core, or
# the kernel's for frames the XDP program leaves to it), tern stays up and a
# normal connection echoes right after. Then frame accounting and a clean
# stop.
#   tests/net/test_malformed.sh BUILD_DIR
NET_SUITE=test_malformed
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/robust.sh
. "$(dirname "$0")/robust.sh"

net_tern_arg "$@"
PORT=7
LPORT=8
QUEUES=2
CTL=

# A Linux listener on LPORT (IPv4 and IPv6) in the server namespace that
# accepts and closes.
linux_listener() {
	in_s python3 -c '
import socket, sys, threading
def serve(fam, a):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, int(sys.argv[3])))
    s.listen(1024)
    while True:
        s.accept()[0].close()
threading.Thread(target=serve, args=(socket.AF_INET6, sys.argv[2]), daemon=True).start()
serve(socket.AF_INET, sys.argv[1])' "$IP4_S" "$IP6_S" "$LPORT" &
	net_bg_pid $!
}

t_classes() {
	in_c timeout 300 python3 "$NET_DIR/malformed.py" "$DEV_C" "$MAC_C" "$MAC_S" "$IP4_C" "$IP4_S" \
		"$IP6_C" "$IP6_S" "$PORT" "$LPORT" "$CTL" "$(tern_pid)" >"$NET_TMP/classes.log" 2>&1 || true
	sed 's/^/    /' "$NET_TMP/classes.log"
	grep -q '^malformed classes: ' "$NET_TMP/classes.log" || fail "the class driver did not finish"
}

# One counted check per class, from the driver's log.
t_class() {
	grep -qE "^ok +$1 " "$NET_TMP/classes.log" || fail "$1"
}

t_stop() {
	stop_ok "$QUEUES"
}

net_setup
in_c sysctl -qw net.core.txrehash=0
robust_macs
CTL=$NET_TMP/ctl
tern_start --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --queues "$QUEUES" --ctl "$CTL" \
	--app echo || net_die "tern did not start"
wait_until py "stats('$CTL')" || net_die "no control socket"
linux_listener
wait_until in_c python3 -c "import socket; socket.create_connection(('$IP4_S', $LPORT), timeout=2).close()" ||
	net_die "the Linux listener does not answer"

t_run "every class sent, side by side with Linux" t_classes
for c in $(sed -nE 's/^(ok|FAIL) +([a-z0-9_]+) .*/\2/p' "$NET_TMP/classes.log"); do
	t_run "class $c" t_class "$c"
done
t_run "frames accounted; stop exits 0" t_stop

net_finish
