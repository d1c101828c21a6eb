# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# Helpers of the robustness suites (test_malformed, test_flood,
# test_exhaust, test_fault, tests/soak/soak.sh), sourced after lib.sh.
# They talk to the daemon's control socket at $CTL through tests/net/pkt.py.

# robust_macs: MAC_S and MAC_C, the server and client veth addresses
robust_macs() {
	MAC_S=$(mac_of "$NS_S" "$DEV_S")
	MAC_C=$(mac_of "$NS_C" "$DEV_C")
}

# py CODE [ARGS]: Python with pkt.py's names (ctl, stats, counters, ...)
py() { timeout 30 python3 -c "import sys; sys.path.insert(0, '$NET_DIR'); from pkt import *; $1" "${@:2}"; }

# counters NAME...: core and XDP counters (mib:X, xdp:X, parse:X), summed over queues
counters() { py "c = counters('$CTL'); print(' '.join(str(c[k]) for k in sys.argv[1:]))" "$@"; }

# frames_ok: every queue's frame accounting adds up and none is bad
frames_ok() {
	py "
s = stats('$CTL')
bad = [q['frames'] for q in s['queues'] if not q['frames']['ok'] or q['frames']['bad']]
sys.exit('frames: %s' % bad if bad or not s['total']['frames_ok'] else 0)"
}

# stop_ok QUEUES: frames accounted, `stop` on the control socket, exit 0
# with every queue's exit accounting ok and no sanitizer report.
stop_ok() {
	local rc

	frames_ok || fail "frame accounting"
	py "ctl('$CTL', 'stop')" >/dev/null || fail "ctl stop"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not exit after stop"
	rc=$(cat "$NET_TMP/tern.rc")
	! grep -E 'Sanitizer|runtime error' "$NET_TMP/tern.log" || fail "sanitizer report"
	[ "$rc" = 0 ] || { sed 's/^/    /' "$NET_TMP/tern.log" >&2; fail "tern exited $rc"; }
	[ "$(grep -c 'frames: total .*: ok$' "$NET_TMP/tern.log")" = "$1" ] ||
		fail "exit frame accounting: not every queue says ok"
}
