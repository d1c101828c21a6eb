#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# make demo: tern in front of an echo service on a veth pair in two network
# namespaces, with real Linux clients and a short SYN flood, live counters
# from the control socket, then everything is removed again.
# usage: tools/demo/demo.sh BUILD_DIR
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
NET_SUITE=demo
# shellcheck source=../../tests/net/lib.sh
. "$HERE/../../tests/net/lib.sh"

[ "$(id -u)" = 0 ] || { echo "Error: demo: needs root (namespaces, XDP)" >&2; exit 1; }
net_setup
CTL=$NET_TMP/ctl.sock
PORT=7

stats() { # stats -> one JSON object on stdout
	python3 - "$CTL" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"stats\n")
r = s.makefile().read(); print(r[3:] if r.startswith("ok\n") else "{}")
PY
}

live() { # live SECONDS: a line of counters per second
	python3 - "$CTL" "$1" <<'PY'
import json, socket, sys, time
def q():
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"stats\n")
    return json.loads(s.makefile().read()[3:])
prev = q()
print("   t   SYN-in/s  cookies/s  cookie-ACKs  established  half-open  XDP steered/s  frames")
for t in range(1, int(sys.argv[2]) + 1):
    time.sleep(1)
    cur = q(); m, p = cur["total"]["mib"], prev["total"]["mib"]
    print("%4ds %10d %10d %12d %12d %10d %14d  %s" % (t, m["InSegs"] - p["InSegs"],
          m["SyncookiesSent"] - p["SyncookiesSent"], m["SyncookiesRecv"],
          cur["total"]["nconns"], cur["total"]["nreqs"],
          cur["xdp"].get("XdpSteered", 0) - prev["xdp"].get("XdpSteered", 0),
          "ok" if cur["total"]["frames_ok"] else "BAD"))
    prev = cur
PY
}

echo "== tern on $DEV_S in namespace $NS_S ($IP4_S:$PORT, [$IP6_S]:$PORT), echo, every queue (2)"
# not through in_s: $! must be tern itself (ip netns exec execs it)
ip netns exec "$NS_S" "$BUILD/tern" --dev "$DEV_S" --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --app echo \
	--syncookies auto --backlog 256 --xdp-cookies never --bpffs "$NET_BPFFS" --ctl "$CTL" \
	2>"$NET_TMP/tern.log" &
TERN=$!
net_bg_pid "$TERN"
wait_until test -S "$CTL" || { cat "$NET_TMP/tern.log"; net_die "tern did not start"; }
cat "$NET_TMP/tern.log"

echo "== 100 Linux clients (namespace $NS_C) echo 4 KiB each, IPv4 and IPv6"
in_c python3 - "$IP4_S" "$IP6_S" "$PORT" <<'PY'
import os, socket, sys
ok = 0
for i in range(100):
    host = sys.argv[1] if i % 2 else sys.argv[2]
    s = socket.create_connection((host, int(sys.argv[3])), timeout=5)
    data = os.urandom(4096); s.sendall(data); got = b""
    while len(got) < len(data):
        got += s.recv(65536)
    ok += got == data; s.close()
print(f"   {ok}/100 echoed correctly")
PY

echo "== 5 s SYN flood from spoofed 10.201.x.y sources, counters each second"
in_c python3 "$HERE/synflood.py" "$IP4_S" "$PORT" 10.201 5 &
FLOOD=$!
net_bg_pid "$FLOOD"
live 6
wait "$FLOOD" || true

echo "== a client connects after the flood"
in_c python3 -c "
import socket, sys
s = socket.create_connection(('$IP4_S', $PORT), timeout=5); s.sendall(b'still here'); print('  ', s.recv(64))"

echo "== final counters (non-zero)"
stats | python3 -c '
import json, sys
j = json.load(sys.stdin)
for k, v in j["total"]["mib"].items():
    if v: print("   %-22s %d" % (k, v))
for k, v in j["xdp"].items():
    if v: print("   %-22s %d" % (k, v))
print("   frames accounted exactly:", j["total"]["frames_ok"])'
echo "== SIGTERM: tern drains and exits"
kill -TERM "$TERN"
rc=0
wait "$TERN" || rc=$?
tail -n 3 "$NET_TMP/tern.log" | sed 's/^/   /'
[ "$rc" = 0 ] || net_die "tern exited $rc"
echo "   tern exited 0"
echo "demo: OK (namespaces, veth and bpffs are removed now)"
