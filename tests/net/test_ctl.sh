#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The daemon's control socket end to end, through ternctl and raw clients:
# stats (JSON and table), conns, set syncookies/backlog/keepalive (a
# keepalive that aborts a peer gone silent), garbage and floods of control
# clients, stop, and ternctl's fallback to the pinned XDP counters after.
#   tests/net/test_ctl.sh BUILD_DIR
NET_SUITE=test_ctl
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
TERN=$(realpath "$1/tern")
TERNCTL=$(realpath "$1/tools/ternctl")
[ -x "$TERN" ] || { echo "Error: $TERN: not built (make)" >&2; exit 2; }
[ -x "$TERNCTL" ] || { echo "Error: $TERNCTL: not built (make)" >&2; exit 2; }
PORT=7
QUEUES=2

# ---- clients -------------------------------------------------------------------

write_clients() {
	cat >"$NET_TMP/client.py" <<'EOF'
import os, socket, sys, threading, time

def echo_once(s, data=b"ping"):
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        b = s.recv(len(data) - len(got))
        if not b:
            sys.exit("EOF before the echo")
        got += b
    if got != data:
        sys.exit("echo mismatch")

def ready(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)

def hold(host, port, n, path, release):
    """n echo connections, kept open until the file release exists."""
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=10)
        echo_once(s)
        socks.append(s)
    ready(path, "".join("%d\n" % s.getsockname()[1] for s in socks))
    deadline = time.monotonic() + 60
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.05)
    for s in socks:
        s.close()

def echo(host, port, n):
    """One connection, n bytes echoed, then EOF."""
    data = os.urandom(n)
    s = socket.create_connection((host, port), timeout=10)
    echo_once(s, data)
    s.shutdown(socket.SHUT_WR)
    if s.recv(1) != b"":
        sys.exit("no FIN after the echo")
    s.close()

def victim(host, port, path):
    """Connect, echo, then wait for the reset the server's keepalive sends
    once this side stops answering."""
    s = socket.create_connection((host, port), timeout=10)
    echo_once(s)
    ready(path, "%d\n" % s.getsockname()[1])
    t0 = time.monotonic()
    s.settimeout(20)
    try:
        b = s.recv(1)
    except ConnectionResetError:
        print("    reset %.1f s after going silent" % (time.monotonic() - t0))
        return
    except socket.timeout:
        sys.exit("no reset within 20 s")
    sys.exit("expected a reset, got %r" % b)

cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
args = [int(a) if a.isdigit() else a for a in sys.argv[4:]]
{"hold": hold, "echo": echo, "victim": victim}[cmd](host, port, *args)
EOF
	cat >"$NET_TMP/ctlpoke.py" <<'EOF'
import json, os, random, socket, sys, threading, time

def request(path, data, shut=True, timeout=10):
    """Send raw bytes, read the reply until EOF; None if the daemon reset us."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Blocking connect: it waits for room in the listen backlog (with a
    # timeout, a full backlog would fail at once with EAGAIN).
    s.connect(path)
    s.settimeout(timeout)
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                return out
            out += b
    except (ConnectionResetError, BrokenPipeError):
        return None
    finally:
        s.close()

def expect_error(path, data, what):
    r = request(path, data)
    if r is None or not r.startswith(b"error: ") or not r.endswith(b"\n") or r.count(b"\n") != 1:
        sys.exit("%s: expected one error line, got %r" % (what, r))
    return r

def garbage(path):
    rnd = random.Random(int.from_bytes(os.urandom(4), "little"))
    for i in range(50):
        n = rnd.randrange(0, 1000)
        data = b"\x00\xff" + bytes(rnd.randrange(256) for _ in range(n))
        if i % 2:
            data += b"\n"
        expect_error(path, data, "garbage %d" % i)
    print("    " + expect_error(path, b"\x00\xff" + os.urandom(64) + b"\n", "garbage").decode(errors="replace").strip()[:70])
    expect_error(path, b"frobnicate\n", "unknown command")
    expect_error(path, b"set\n", "set alone")
    expect_error(path, b"set syncookies sometimes\n", "bad mode")
    expect_error(path, b"set keepalive 1,2\n", "bad keepalive")
    expect_error(path, b"set backlog 0\n", "backlog 0")
    expect_error(path, b"set backlog -1\n", "backlog -1")
    expect_error(path, b"stats please\n", "stats with an argument")
    # A line of exactly the request limit without a newline: too long.
    long = bytes(b if b != 10 else 65 for b in os.urandom(1024))
    r = expect_error(path, long, "1024 bytes, no newline")
    if b"too long" not in r:
        sys.exit("expected 'too long', got %r" % r)
    # Connect and close at once; connect, half a line, close.
    request(path, b"")
    r = request(path, b"sta")
    if r is None or not r.startswith(b"error: "):
        sys.exit("half a command: %r" % r)
    # A request without its newline, the write side closed: still answered.
    r = request(path, b"stats")
    if r is None or not r.startswith(b"ok\n"):
        sys.exit("stats without a newline: %r" % r[:80] if r else r)
    json.loads(r[3:])

def flood(path, n, cmds):
    """n clients at once; every reply must be whole (or the client refused)."""
    cmds = cmds.split(",")
    res = {"ok": 0, "refused": 0, "error": 0, "bad": []}
    lock = threading.Lock()
    go = threading.Event()

    def one(i):
        go.wait()
        cmd = cmds[i % len(cmds)]
        try:
            r = request(path, cmd.encode() + b"\n", shut=False)
        except OSError as e:
            r = e
        with lock:
            if r is None or r == b"":
                res["refused"] += 1
            elif isinstance(r, OSError):
                res["bad"].append("%s: %s" % (cmd, r))
            elif cmd not in ("stats", "conns"):
                if r.startswith(b"error: ") and r.endswith(b"\n") and r.count(b"\n") == 1:
                    res["error"] += 1
                else:
                    res["bad"].append("%s: %r" % (cmd, r[:60]))
            elif r.startswith(b"ok\n"):
                try:
                    json.loads(r[3:])
                    res["ok"] += 1
                except ValueError:
                    res["bad"].append("%s: %d bytes, not JSON" % (cmd, len(r)))
            else:
                res["bad"].append("%s: %r" % (cmd, r[:60]))

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    go.set()
    for t in ts:
        t.join()
    print("    %d clients (%s): %d answered ok, %d error, %d refused" %
          (n, ",".join(cmds), res["ok"], res["error"], res["refused"]))
    if res["bad"] or not res["ok"]:
        sys.exit("bad replies: %s" % res["bad"][:5])

def idle(path, n, path_ready, release):
    """n clients that connect and say nothing until release exists."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        socks.append(s)
    open(path_ready, "w").close()
    deadline = time.monotonic() + 30
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.05)
    for s in socks:
        s.close()

cmd, path = sys.argv[1], sys.argv[2]
args = [int(a) if a.isdigit() else a for a in sys.argv[3:]]
{"garbage": garbage, "flood": flood, "idle": idle}[cmd](path, *args)
EOF
	cat >"$NET_TMP/check.py" <<'EOF'
import json, sys

def load(path):
    with open(path) as f:
        return json.load(f)

def stats(path, dev, queues):
    d = load(path)
    assert d["dev"] == dev, "dev %r" % d["dev"]
    qs = d["queues"]
    assert len(qs) == queues, "%d queues" % len(qs)
    assert sorted(q["queue"] for q in qs) == list(range(queues)), "queue ids"
    for q in qs:
        assert q["frames"]["ok"] is True, "queue %d frames not ok: %s" % (q["queue"], q["frames"])
        for k in ("InSegs", "OutSegs", "PassiveOpens", "SyncookiesSent", "TCPKeepAlive"):
            assert isinstance(q["mib"][k], int), k
        assert isinstance(q["parse_drops"], dict)
    t = d["total"]
    assert t["frames_ok"] is True, "total frames not ok"
    for k, v in t["mib"].items():
        assert v == sum(q["mib"][k] for q in qs), "total %s" % k
    assert "XdpSeen" in d["xdp"], "no XDP counters"
    print("    %d queues, frames ok, %d MIB counters, XdpSeen %d" %
          (len(qs), len(t["mib"]), d["xdp"]["XdpSeen"]))

def total(path, name):
    print(load(path)["total"]["mib"][name])

def conns(path, local, raddr, ports):
    d = load(path)
    want = {"%s:%s" % (raddr, p) for p in ports.split()}
    got = {c["remote"]: c for c in d["conns"] if c["remote"] in want}
    assert d["truncated"] is False, "truncated"
    assert set(got) == want, "listed %s, want %s" % (sorted(got), sorted(want))
    for c in got.values():
        assert c["state"] == "ESTABLISHED", c
        assert c["local"] == local, c
        assert c["queue"] in (0, 1), c
    print("    %d of %d listed connections are the client's, ESTABLISHED" %
          (len(got), len(d["conns"])))

def absent(path, remote):
    d = load(path)
    assert all(c["remote"] != remote for c in d["conns"]), "%s still listed" % remote

def fallback(path, dev):
    d = load(path)
    assert d["daemon"] is False and d["dev"] == dev, d
    assert d["xdp"]["XdpSeen"] > 0 and d["xdp"]["XdpSteered"] > 0, d["xdp"]

fn = globals()[sys.argv[1]]
fn(*[int(a) if a.isdigit() else a for a in sys.argv[2:]])
EOF
}

client() { in_c timeout 60 python3 "$NET_TMP/client.py" "$@"; }
poke() { in_s timeout 60 python3 "$NET_TMP/ctlpoke.py" "$@"; }
check() { python3 "$NET_TMP/check.py" "$@"; }

# ternctl against the daemon's socket (and the run's bpffs for the fallback).
CTL=
tctl() {
	local cmd=$1

	shift
	in_s "$TERNCTL" "$cmd" --dev "$DEV_S" --ctl "$CTL" "$@"
}

# ---- the daemon --------------------------------------------------------------

# start_tern [ARGS]: as in test_echo.sh, with the control socket under NET_TMP.
start_tern() {
	tern_start --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --queues "$QUEUES" \
		--cpus 0-1 --app echo --ctl "$CTL" "$@" || return 1
	grep '^tern: \(queue .* mode\|control socket\|ready\)' "$NET_TMP/tern.log" |
		sed 's/^/    /'
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

# Sum of a MIB counter over the queues, from the daemon.
counter() {
	tctl stats --json >"$NET_TMP/c.json"
	check total "$NET_TMP/c.json" "$1"
}

# ---- checks ------------------------------------------------------------------

t_stats_json() {
	tctl stats --json >"$NET_TMP/stats.json"
	check stats "$NET_TMP/stats.json" "$DEV_S" "$QUEUES"
}

t_conns() {
	local ports

	rm -f "$NET_TMP/held" "$NET_TMP/release"
	client hold "$IP4_S" "$PORT" 3 "$NET_TMP/held" "$NET_TMP/release" &
	local cpid=$!
	wait_until test -e "$NET_TMP/held" || fail "the 3 connections did not open"
	ports=$(tr '\n' ' ' <"$NET_TMP/held")
	tctl conns --json >"$NET_TMP/conns.json"
	check conns "$NET_TMP/conns.json" "$IP4_S:$PORT" "$IP4_C" "$ports"
	tctl conns >"$NET_TMP/conns.txt"
	[ "$(grep -c "ESTABLISHED .*$IP4_C:" "$NET_TMP/conns.txt")" = 3 ] ||
		fail "table: $(cat "$NET_TMP/conns.txt")"
	grep -q '^3 connection(s)' "$NET_TMP/conns.txt" || fail "table count: $(tail -1 "$NET_TMP/conns.txt")"
	touch "$NET_TMP/release"
	wait "$cpid" || fail "the holding client failed"
}

t_stats_table() {
	local q

	tctl stats >"$NET_TMP/stats.txt"
	head -1 "$NET_TMP/stats.txt" | sed 's/^/    /'
	grep -q "^$DEV_S: daemon running, $QUEUES queue(s)" "$NET_TMP/stats.txt" || fail "no header"
	for q in $(seq 0 $((QUEUES - 1))); do
		grep -q "^queue $q (copy): frames ok, bad 0, conns [0-9]*, half-open [0-9]*, rx [0-9]*, tx [0-9]*$" \
			"$NET_TMP/stats.txt" || fail "no line for queue $q: $(cat "$NET_TMP/stats.txt")"
	done
	grep -q '^  PassiveOpens  *[1-9]' "$NET_TMP/stats.txt" || fail "no PassiveOpens"
	! sed -n '1,/^xdp:/p' "$NET_TMP/stats.txt" | grep -q '^  [A-Za-z_]*  *0$' ||
		fail "a zero counter listed before the xdp block"
	grep -q '^  XdpSeen  *[1-9]' "$NET_TMP/stats.txt" || fail "no XDP counters"
}

t_syncookies() {
	local before after

	before=$(counter SyncookiesSent)
	tctl set --syncookies always | sed 's/^/    /'
	client echo "$IP4_S" "$PORT" 4096
	client echo "$IP6_S" "$PORT" 4096
	after=$(counter SyncookiesSent)
	echo "    SyncookiesSent $before -> $after"
	[ "$after" -ge $((before + 2)) ] || fail "SyncookiesSent did not move"
	tctl set --syncookies auto >/dev/null
	before=$(counter SyncookiesSent)
	client echo "$IP4_S" "$PORT" 4096
	[ "$(counter SyncookiesSent)" = "$before" ] || fail "auto still sends cookies"
}

t_set_errors() {
	expect_error 2 tctl set --backlog 0
	expect_error 1 tctl set --backlog 999999
	expect_error 2 tctl set --backlog 12x
	expect_error 2 tctl set --syncookies sometimes
	expect_error 2 tctl set --keepalive 1,2
	expect_error 2 tctl set --keepalive 0,1,1
	expect_error 2 tctl set --keepalive 1,1,256
	expect_error 2 tctl set
	expect_error 2 tctl set --backlog 10 --syncookies auto
	tctl set --backlog 16 >/dev/null || fail "set backlog 16"
	client echo "$IP4_S" "$PORT" 1024
	tctl set --backlog 4096 >/dev/null || fail "set backlog 4096 (the default --backlog)"
}

t_keepalive() {
	local ka0 ab0 ka1 ab1 port

	ka0=$(counter TCPKeepAlive)
	ab0=$(counter TCPAbortOnTimeout)
	tctl set --keepalive 1,1,2 | sed 's/^/    /'
	rm -f "$NET_TMP/victim"
	client victim "$IP4_S" "$PORT" "$NET_TMP/victim" &
	local cpid=$!
	wait_until test -e "$NET_TMP/victim" || fail "the victim did not connect"
	port=$(cat "$NET_TMP/victim")
	# The client stops answering: its packets to the server go nowhere (no
	# netem, nft or iptables on these machines; a blackhole route drops
	# the ACKs the client's kernel sends to the probes).
	in_c ip route add blackhole "$IP4_S/32"
	wait "$cpid" || { in_c ip route del blackhole "$IP4_S/32"; fail "no keepalive abort"; }
	in_c ip route del blackhole "$IP4_S/32"
	ka1=$(counter TCPKeepAlive)
	ab1=$(counter TCPAbortOnTimeout)
	echo "    TCPKeepAlive $ka0 -> $ka1, TCPAbortOnTimeout $ab0 -> $ab1"
	[ "$ka1" -ge $((ka0 + 2)) ] || fail "TCPKeepAlive did not move by 2"
	[ "$ab1" -gt "$ab0" ] || fail "TCPAbortOnTimeout did not move"
	tctl conns --json >"$NET_TMP/conns.json"
	check absent "$NET_TMP/conns.json" "$IP4_C:$port"
	tctl set --keepalive 0,0,0 >/dev/null || fail "set keepalive 0,0,0"
	client echo "$IP4_S" "$PORT" 1024
}

t_garbage() {
	poke garbage "$CTL"
	t_stats_json
}

t_idle_clients() {
	local rc=0

	rm -f "$NET_TMP/idle" "$NET_TMP/idle-release"
	poke idle "$CTL" 40 "$NET_TMP/idle" "$NET_TMP/idle-release" &
	local ipid=$!
	wait_until test -e "$NET_TMP/idle" || { touch "$NET_TMP/idle-release"; fail "idle clients did not connect"; }
	# Every slot is taken: refused at once, not a hang.
	timeout 10 ip netns exec "$NS_S" "$TERNCTL" stats --dev "$DEV_S" --ctl "$CTL" \
		--json >/dev/null 2>"$NET_TMP/err" || rc=$?
	touch "$NET_TMP/idle-release"
	wait "$ipid" || fail "idle clients"
	echo "    with 40 idle clients: exit $rc $(head -1 "$NET_TMP/err")"
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "ternctl exit $rc"
	wait_until tctl stats --json >/dev/null || fail "no stats after the idle clients left"
}

t_flood() {
	poke flood "$CTL" 100 stats
	poke flood "$CTL" 100 stats,conns,frobnicate
}

t_flood_traffic() {
	# Control requests (conns goes through every worker's mailbox) while
	# 200 echo connections run.
	in_c timeout 60 python3 - "$IP4_S" "$PORT" <<'EOF' &
import os, socket, sys, threading
host, port = sys.argv[1], int(sys.argv[2])
bad = []
def one():
    try:
        s = socket.create_connection((host, port), timeout=20)
        d = os.urandom(8192)
        s.sendall(d)
        got = b""
        while len(got) < len(d):
            b = s.recv(65536)
            if not b:
                break
            got += b
        s.close()
        if got != d:
            bad.append("mismatch")
    except OSError as e:
        bad.append(str(e))
ts = [threading.Thread(target=one) for _ in range(200)]
[t.start() for t in ts]
[t.join() for t in ts]
if bad:
    sys.exit("%d bad: %s" % (len(bad), bad[:3]))
EOF
	local cpid=$!
	for _ in $(seq 20); do
		tctl conns --json >/dev/null || fail "conns during traffic"
		tctl stats --json >/dev/null || fail "stats during traffic"
	done
	wait "$cpid" || fail "echo clients failed"
	t_stats_json
}

t_stop() {
	local t0 ms rc

	t0=$(date +%s%N)
	tctl stop | sed 's/^/    /'
	for _ in $(seq 30); do
		[ -s "$NET_TMP/tern.rc" ] && break
		sleep 0.1
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ -s "$NET_TMP/tern.rc" ] || fail "tern still running 3 s after stop"
	rc=$(cat "$NET_TMP/tern.rc")
	echo "    tern exited $rc, $ms ms after stop"
	[ "$rc" = 0 ] || { sed 's/^/    /' "$NET_TMP/tern.log" >&2; fail "tern exited $rc"; }
	[ "$(grep -c 'frames: total .*: ok$' "$NET_TMP/tern.log")" = "$QUEUES" ] ||
		fail "frame accounting: not every queue says ok"
	[ ! -e "$CTL" ] || fail "the control socket is still there"
}

t_after_stop() {
	local out

	expect_error 1 tctl conns
	out=$(in_s "$TERNCTL" conns --dev "$DEV_S" --ctl "$CTL" 2>&1 >/dev/null) || true
	[ "$out" = "Error: daemon not running on $DEV_S (no control socket at $CTL)" ] ||
		fail "conns: not the expected error line: $out"
	expect_error 1 tctl set --syncookies always
	expect_error 1 tctl stop
	# The program was loaded by ternctl, so it and its pins stay.
	out=$(tctl stats --bpffs "$NET_BPFFS")
	grep -q "^daemon: not running on $DEV_S" <<<"$out" || fail "no 'daemon: not running': $out"
	grep -q '^  XdpSteered  *[1-9]' <<<"$out" || fail "no pinned counters: $out"
	tctl stats --bpffs "$NET_BPFFS" --json >"$NET_TMP/fallback.json"
	check fallback "$NET_TMP/fallback.json" "$DEV_S"
	in_s "$TERNCTL" unload --dev "$DEV_S" --bpffs "$NET_BPFFS" >/dev/null
	expect_error 1 tctl stats --bpffs "$NET_BPFFS"
}

# ---- run ---------------------------------------------------------------------

net_setup
in_c sysctl -qw net.core.txrehash=0
in_c sysctl -qw net.ipv4.conf.all.rp_filter=0
write_clients
CTL=$NET_TMP/ctl.sock

# ternctl loads the program, so that it outlives the daemon and its pinned
# counters are there for the fallback after stop.
in_s "$TERNCTL" load --dev "$DEV_S" --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" \
	--bpffs "$NET_BPFFS" | sed 's/^/    /' || net_die "ternctl load failed"
start_tern || net_die "tern did not start"
t_run "stats --json: $QUEUES queues, frames ok, totals add up" t_stats_json
t_run "conns: 3 open echo connections, ESTABLISHED, right remote" t_conns
t_run "stats table" t_stats_table
t_run "set syncookies always: new connections work, SyncookiesSent moves; auto" t_syncookies
t_run "set errors: local exit 2, daemon's exit 1; backlog 16 and back" t_set_errors
t_run "set keepalive 1,1,2: a silent peer is aborted, counters move" t_keepalive
t_run "garbage on the control socket: error replies, still serving" t_garbage
t_run "40 idle control clients: refused, not hung; served after" t_idle_clients
t_run "100 control clients at once: whole replies or refused" t_flood
t_run "stats and conns while 200 echo connections run" t_flood_traffic
t_run "ternctl stop: exit 0 within 3 s, frames accounted" t_stop
t_run "after stop: conns errors, stats falls back to the pinned counters" t_after_stop

net_finish
