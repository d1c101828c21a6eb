#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Operations end to end: the daemon started from a configuration file;
# `ternctl stats` as JSON (python json) and Prometheus text (promtool and a
# strict parser); the HTTP /metrics listener (curl); rate-limited logging
# of what the network triggers; `ternctl top`; `ternctl reload` and SIGHUP
# applying the run-time keys and naming the rest; configuration errors as
# FILE:LINE; `ternctl capture` read back with tcpdump -r.
#   tests/net/test_ops.sh BUILD_DIR
NET_SUITE=test_ops
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_tern_arg "$@"
BUILD=$(realpath "$1")
SRC=$(realpath "$(dirname "$0")/../..")
TERNCTL=$BUILD/tools/ternctl
[ -x "$TERNCTL" ] || { echo "Error: $TERNCTL: not built (make)" >&2; exit 2; }
PORT=7
MPORT=$((19000 + $$ % 1000))

tctl() { in_s "$TERNCTL" "$1" --dev "$DEV_S" --ctl "$CTL" "${@:2}"; }
mcurl() { in_s curl -sS --max-time 10 "$@"; }

write_tools() {
	cat >"$NET_TMP/check.py" <<'EOF2'
import json, re, sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABELS = r'\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,(?!\}))?)*\}'
SAMPLE = re.compile(r"^(%s)(%s)? (-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?|[+-]Inf|NaN)$" % (NAME, LABELS))
HELP = re.compile(r"^# HELP (%s) (.*)$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % NAME)

# Families of the process, not of a queue or the interface.
PROCESS = ("tern_build_info", "tern_config_last_reload_successful",
           "tern_config_last_reload_success_timestamp_seconds",
           "tern_cookie_secret_rotations_total")

def prom(path, queues):
    """Strict reading of the text format 0.0.4 as tern writes it: HELP then
    TYPE before a family's samples, a family's samples together, counters
    named *_total, every sample labelled iface (and queue 0..N-1 but for
    the XDP program's), no family or series twice, a final newline."""
    text = open(path).read()
    assert text.endswith("\n"), "no final newline"
    fams, types, series, cur = {}, {}, set(), None
    for n, line in enumerate(text.split("\n")[:-1], 1):
        m = HELP.match(line)
        if m:
            assert m.group(1) not in fams, "line %d: family %s twice" % (n, m.group(1))
            fams[m.group(1)] = []
            cur = m.group(1)
            continue
        m = TYPE.match(line)
        if m:
            assert m.group(1) == cur and cur not in types, "line %d: TYPE not after its HELP" % n
            types[cur] = m.group(2)
            if m.group(2) == "counter":
                assert cur.endswith("_total"), "line %d: counter %s not *_total" % (n, cur)
            continue
        m = SAMPLE.match(line)
        assert m, "line %d: not a sample: %r" % (n, line)
        name, labels = m.group(1), m.group(2) or ""
        assert name == cur and cur in types, "line %d: %s outside its family" % (n, name)
        assert (name, labels) not in series, "line %d: series twice" % n
        series.add((name, labels))
        lab = dict(re.findall(r'([a-zA-Z_]+)="([^"]*)"', labels))
        if name in PROCESS:
            assert "iface" not in lab and "queue" not in lab, "line %d: per-process" % n
        else:
            assert "iface" in lab, "line %d: no iface label" % n
        if not name.startswith("tern_xdp_") and name not in PROCESS:
            assert lab.get("queue") in [str(q) for q in range(queues)], "line %d: queue" % n
        fams[cur].append((lab, float(m.group(3))))
    for f, s in fams.items():
        assert s, "family %s has no sample" % f
    return fams

def prom_check(path, queues):
    f = prom(path, queues)
    for k in ("tern_rx_frames_total", "tern_tx_synack_total", "tern_tcp_syncookies_sent_total",
              "tern_tcp_delayed_acks_total", "tern_tcp_challenge_ack_total",
              "tern_parse_drops_total", "tern_connections", "tern_time_wait",
              "tern_umem_frames", "tern_zerocopy", "tern_xsk_rx_ring_full_total",
              "tern_xdp_seen_total") + PROCESS:
        assert k in f, "no " + k
    assert not [k for k in f if "tcp_tcp" in k or "_ac_ks" in k], "stutter or split acronym"
    assert {"in_csum_errors", "in_drop_eth_short"} <= {l["reason"] for l, _ in f["tern_parse_drops_total"]}
    assert {l["state"] for l, _ in f["tern_umem_frames"]} == {"free", "fill", "rx", "kept", "tx", "comp", "app", "app_tx", "app_rx"}
    (lab, one), = f["tern_build_info"]
    assert one == 1 and set(lab) == {"version", "libbpf", "libxdp", "liburing"}, lab
    assert f["tern_config_last_reload_successful"][0][1] == 1, "last reload failed"
    rx = sum(v for _, v in f["tern_rx_frames_total"])
    assert rx > 0, "no frames received"
    print("    %d families, %d samples, rx_frames %d" %
          (len(f), sum(len(s) for s in f.values()), rx))

def prom_value(path, name, queues):
    print(int(sum(v for _, v in prom(path, queues)[name])))

def stats(path, queues, metrics):
    d = json.load(open(path))
    qs, t = d["queues"], d["total"]
    assert len(qs) == queues, "%d queues" % len(qs)
    keys = ("rx_frames", "tx_frames", "tx_synack", "tx_drop_noframe",
            "tx_drop_ring", "tx_build_err", "xsk_kicks", "xsk_rx_dropped",
            "xsk_rx_ring_full", "xsk_rx_fill_ring_empty", "nconns", "nreqs", "ntw",
            "frames_free", "frames_bad")
    for q in qs:
        for k in keys + ("zerocopy",):
            assert k in q, "queue %d: no %s" % (q["queue"], k)
    for k in keys:
        assert t[k] == sum(q[k] for q in qs), "total %s" % k
    for k, v in t["mib"].items():
        assert v == sum(q["mib"][k] for q in qs), "total %s" % k
    for k, v in t["parse_drops"].items():
        assert v == sum(q["parse_drops"][k] for q in qs), "total %s" % k
    # Every JSON counter has its Prometheus series: a TCP family per MIB
    # counter, a parse_drops reason per drop reason, an XDP family per
    # XDP counter, one series of queue 0 per other JSON key of a queue.
    fams = prom(metrics, queues)
    tcp = [k for k in fams if k.startswith("tern_tcp_")]
    assert len(tcp) == len(t["mib"]), "%d TCP families, %d MIB counters" % (len(tcp), len(t["mib"]))
    reasons = {l["reason"] for l, _ in fams["tern_parse_drops_total"]}
    assert len(reasons) == len(t["parse_drops"]), "%d reasons" % len(reasons)
    # the XDP program's families are the interface's: no queue label
    xdp = [k for k in fams if k.startswith("tern_xdp_") and "queue" not in fams[k][0][0]]
    drops = [k for k in d["xdp"] if k.startswith("XdpDrop")]
    assert len(xdp) == len(d["xdp"]) - len(drops) + 1, "%d XDP families" % len(xdp)
    got = {l["reason"]: v for l, v in fams["tern_xdp_drops_total"]}
    want = {re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", k[7:]).lower(): d["xdp"][k] for k in drops}
    assert set(got) == set(want), "XDP drop reasons %s, JSON %s" % (sorted(got), sorted(want))
    others = [k for k in fams if k not in tcp + xdp and k not in PROCESS and
              k != "tern_parse_drops_total"]
    q0 = sum(1 for k in others for l, _ in fams[k] if l["queue"] == "0")
    # cpu and busy_poll_us are the queue's settings, not metrics;
    # frames_total is the sum of tern_umem_frames' states.
    settings = ("queue", "frames", "mib", "parse_drops", "cpu", "busy_poll_us", "frames_total")
    keys = [k for k in qs[0] if k not in settings]
    assert q0 == len(keys), "%d series of queue 0 for %d JSON keys" % (q0, len(keys))
    assert t["mib"]["InSyns"] > 0 and t["tx_synack"] > 0, "no SYN / SYN-ACK counted"
    print("    %d queues; totals are the sums; InSyns %d tx_synack %d" %
          (queues, t["mib"]["InSyns"], t["tx_synack"]))

def total(path, name):
    print(json.load(open(path))["total"]["mib"][name])

fn = globals()[sys.argv[1]]
fn(*[int(a) if a.isdigit() else a for a in sys.argv[2:]])
EOF2
	cat >"$NET_TMP/conn.py" <<'EOF2'
import socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for _ in range(n):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"ping")
    got = b""
    while len(got) < 4:
        b = s.recv(4)
        if not b:
            sys.exit("EOF before the echo")
        got += b
    s.close()
    if n > 20:
        time.sleep(0.02)
EOF2
	cat >"$NET_TMP/badhttp.py" <<'EOF2'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
codes = {}
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" if i % 2 else b"POST /metrics HTTP/1.1\r\n\r\n")
    r = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        r += b
    s.close()
    code = r.split(b" ")[1].decode()
    codes[code] = codes.get(code, 0) + 1
print("    %s" % sorted(codes.items()))
assert codes == {"404": n // 2, "405": n - n // 2}, codes
EOF2
}

# stall.py PID THREAD SECONDS READY: stop one thread of PID (by its name)
# with ptrace, the rest of the process running on; touch READY; let it go
# after SECONDS.
write_stall() {
	cat >"$NET_TMP/stall.py" <<'EOF2'
import ctypes, os, sys, time
PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT, WALL = 17, 0x4206, 0x4207, 0x40000000
pid, name, secs, ready = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
tids = [int(t) for t in os.listdir("/proc/%s/task" % pid)
        if open("/proc/%s/task/%s/comm" % (pid, t)).read().strip() == name]
assert len(tids) == 1, "threads named %s: %s" % (name, tids)
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
tid = tids[0]
assert libc.ptrace(PTRACE_SEIZE, tid, None, None) == 0, os.strerror(ctypes.get_errno())
assert libc.ptrace(PTRACE_INTERRUPT, tid, None, None) == 0, os.strerror(ctypes.get_errno())
os.waitpid(tid, WALL)
open(ready, "w").close()
time.sleep(secs)
libc.ptrace(PTRACE_DETACH, tid, None, None)
EOF2
}

# A stand-in for systemd's notify socket: every datagram, one per line.
notify_listen() {
	python3 - "$NET_TMP/notify.sock" "$NET_TMP/notify.log" <<'EOF2' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
EOF2
	net_bg_pid $!
	wait_until test -S "$NET_TMP/notify.sock"
}

conns() { in_c timeout 60 python3 "$NET_TMP/conn.py" "$IP4_S" "$PORT" "$1"; }
check() { python3 "$NET_TMP/check.py" "$@"; }

write_conf() {
	cat >"$CONF" <<EOF2
# tern.conf for test_ops
addr = $IP4_S
port = $PORT
app = echo
queues = 2
syncookies = $1
backlog = $2
log-level = $3
metrics = 127.0.0.1:$MPORT
ctl = $CTL
EOF2
}

# ---- checks that need no network ----------------------------------------------

# expect_start_error LINE_REGEX ARGS...: tern exits 2 with that one error
# line. It runs in the server namespace with --dev $DEV_S where it needs a
# device: never on the machine's own interfaces.
expect_start_error() {
	local want=$1 rc=0 out

	shift
	out=$(in_s "$TERN" "$@" 2>&1 >/dev/null) || rc=$?
	echo "    exit $rc: $out"
	[ "$rc" = 2 ] || fail "exit $rc, want 2"
	[ "$(wc -l <<<"$out")" = 1 ] || fail "not one line"
	grep -Eq "^$want\$" <<<"$out" || fail "want /$want/"
}

HELP='; see tern --help'

t_conf_errors() {
	local f=$NET_TMP/bad.conf

	printf '# comment\naddr = 10.0.0.1\nfrobnicate = 3\n' >"$f"
	expect_start_error "Error: $f:3: frobnicate: unknown key$HELP" --config "$f"
	printf 'addr = 10.0.0.1\nport = 80\n\nbacklog = 0\n' >"$f"
	expect_start_error "Error: $f:4: --backlog 0: out of range 1\\.\\.[0-9]+$HELP" \
		--config "$f" --dev "$DEV_S"
	printf 'queues = 2\nqueues = 3\n' >"$f"
	expect_start_error "Error: $f:2: queues: given twice$HELP" --config "$f"
	printf 'port 80\n' >"$f"
	expect_start_error "Error: $f:1: expected 'key = value'" --config "$f"
	printf 'metrics-remote = maybe\n' >"$f"
	expect_start_error "Error: $f:1: metrics-remote maybe: not one of no, yes$HELP" --config "$f"
	expect_start_error "Error: $NET_TMP/none.conf: No such file or directory" --config "$NET_TMP/none.conf"
	# the command line overrides the file: a bad backlog in the file is never parsed
	printf 'backlog = 0\n' >"$f"
	expect_start_error "Error: --addr: required$HELP" --config "$f" --backlog 5 --dev "$DEV_S"
	# an option of another application, from the file
	printf 'addr = 10.0.0.1\nport = 80\nhttp-status = 404\n' >"$f"
	expect_start_error "Error: --http-status: not an option of --app echo$HELP" --config "$f" \
		--dev "$DEV_S"
}

t_flag_errors() {
	local base=(--dev "$DEV_S" --addr 10.1.2.3 --port 80)

	expect_start_error "Error: --metrics 10.1.2.3:9100: not a loopback address \\(--metrics-remote allows it\\)$HELP" \
		"${base[@]}" --metrics 10.1.2.3:9100
	expect_start_error "Error: --metrics 127.0.0.1: not ADDR:PORT or \\[ADDR6\\]:PORT$HELP" \
		"${base[@]}" --metrics 127.0.0.1
	expect_start_error "Error: --log-level loud: not one of err, warn, info, debug$HELP" \
		"${base[@]}" --log-level loud
	expect_start_error "Error: --log syslog2: not one of stderr, syslog$HELP" "${base[@]}" --log syslog2
	expect_start_error "Error: --app foo: not one of echo, discard, http, proxy$HELP" \
		"${base[@]}" --app foo
	expect_start_error "Error: --backend: not an option of --app http$HELP" "${base[@]}" \
		--app http --backend 10.1.2.4:80
	expect_start_error "Error: --rto-min 3x: unknown unit \\(ms, s, m, h\\)$HELP" "${base[@]}" \
		--rto-min 3x
	expect_start_error "Error: --frto 3: out of range 0\\.\\.2$HELP" "${base[@]}" --frto 3
	expect_start_error "Error: --fin-timeout 1500ms: not a whole number of seconds$HELP" \
		"${base[@]}" --fin-timeout 1500ms
	expect_start_error "Error: --conn-chunks 70000: above the queue's 65536 send buffers$HELP" \
		"${base[@]}" --conn-chunks 70000
	expect_start_error "Error: --proxy-buf 3k: out of range 4096\\.\\.[0-9]+ bytes$HELP" \
		"${base[@]}" --app proxy --backend 10.1.2.4:80 --proxy-buf 3k
}

# Durations and sizes with units mean what a bare number in the option's
# unit means: tern --check accepts both, and the daemon runs with them.
t_units() {
	local u=(--rto-min 250ms --user-timeout 2s --fin-timeout 1m --time-wait 30s
		--keepalive 2m,10s,3 --retries 8 --orphan-retries 3 --max-orphans 100
		--conn-ooo 16 --conn-chunks 1000 --conn-copies 64 --frto 0)

	in_s "$TERN" --check --dev "$DEV_S" --bpffs "$NET_BPFFS" --addr "$IP4_S" --port 80 \
		"${u[@]}" || fail "--check with units"
	in_s "$TERN" --check --dev "$DEV_S" --bpffs "$NET_BPFFS" --addr "$IP4_S" --port 80 \
		--app proxy --backend 10.1.2.4:80 --proxy-buf 64k --health-interval 2s \
		--backend-timeout 1500ms || fail "--check with proxy units"
}

# tern --check: exit 0 with the summary on a good configuration, 2 with the
# reason on a bad one, and nothing attached either way.
t_check() {
	local out rc=0 f=$NET_TMP/check.conf

	printf 'addr = %s\nport = 80\napp = http\nhttp-status = 204\n' "$IP4_S" >"$f"
	out=$(in_s "$TERN" --check --config "$f" --dev "$DEV_S" --bpffs "$NET_BPFFS" 2>&1) ||
		fail "exit $?: $out"
	echo "    $out"
	grep -q "^tern: configuration ok: $DEV_S: 2 of 2 RX queues, MTU 1500, AF_XDP copy mode, app http, 1 service(s)\$" <<<"$out" ||
		fail "summary"
	out=$(in_s "$TERN" --check --config "$f" --dev "$DEV_S" --bpffs "$NET_BPFFS" --queues 1 2>&1) ||
		rc=$?
	echo "    exit $rc: $out"
	[ "$rc" = 2 ] && grep -q "^Error: --queues 1 leaves queue 1 of $DEV_S unserved" <<<"$out" ||
		fail "--queues 1 not refused"
	rc=0
	out=$(in_s "$TERN" --check --config "$f" --dev nosuchdev0 --bpffs "$NET_BPFFS" 2>&1) || rc=$?
	echo "    exit $rc: $out"
	[ "$rc" = 2 ] && grep -q "^Error: --dev nosuchdev0: No such device" <<<"$out" ||
		fail "missing device"
	! ip -n "$NS_S" link show "$DEV_S" | grep -q xdp || fail "--check attached a program"
	[ ! -e "$NET_BPFFS/tern" ] || fail "--check pinned maps: $(ls -R "$NET_BPFFS/tern")"
}

t_version() {
	local v

	v=$("$TERN" --version) || fail "tern --version"
	echo "    $v"
	grep -Eq '^tern [0-9.]+ \(libxdp [0-9.]+, libbpf [0-9.]+ \[runtime v[0-9.]+\], liburing [0-9.]+\)$' <<<"$v" ||
		fail "tern --version: $v"
	[ "$("$TERN" -V)" = "$v" ] || fail "-V"
	"$TERNCTL" --version | grep -Eq '^ternctl [0-9.]+ \(libxdp' || fail "ternctl --version"
}

# ---- with the daemon ------------------------------------------------------------

t_install_ops() {
	local inst=$NET_TMP/inst m out unit

	make -C "$SRC" --no-print-directory -s install BUILD="$BUILD" DESTDIR="$inst" PREFIX=/usr \
		>"$NET_TMP/install.log" 2>&1 || { cat "$NET_TMP/install.log"; fail "make install"; }
	for m in share/man/man8/tern.8 share/man/man8/ternctl.8 share/man/man5/tern.conf.5 \
		lib/systemd/system/tern@.service share/doc/tern/tern.conf.example sbin/tern; do
		[ -f "$inst/usr/$m" ] || fail "not installed: $m"
	done
	for m in "$inst"/usr/share/man/man*/*; do
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
		[ -z "$out" ] || fail "man -l $m: $out"
		out=$(groff -man -ww -z "$m" 2>&1)
		[ -z "$out" ] || fail "groff $m: $out"
	done
	echo "    man pages render without warnings"
	# every metric the daemon exports is described in ternctl(8)
	[ -s "$NET_TMP/stats.prom" ] || fail "no metrics to look up"
	for m in $(grep '^# TYPE ' "$NET_TMP/stats.prom" | cut -d' ' -f3); do
		grep -qF "\fB$m\fR" "$inst/usr/share/man/man8/ternctl.8" || fail "$m not in ternctl(8)"
	done
	grep -q 'ExecStart=/usr/sbin/tern --config /etc/tern/%i.conf --dev %i' \
		"$inst/usr/lib/systemd/system/tern@.service" || fail "unit paths"
	command -v systemd-analyze >/dev/null || fail "systemd-analyze not installed (make deps installs systemd)"
	# verified as an instance, with the built binaries at the unit's paths
	mkdir -p "$NET_TMP/units"
	unit=$NET_TMP/units/tern@lo.service
	sed -e "s|/usr/sbin/tern |$BUILD/tern |" -e "s|/usr/sbin/ternctl |$BUILD/tools/ternctl |" \
		"$inst/usr/lib/systemd/system/tern@.service" >"$unit"
	out=$(MANPATH=$inst/usr/share/man systemd-analyze verify "$unit" 2>&1) || fail "verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify: $out"
	echo "    systemd-analyze verify tern@lo.service: clean"
}

# The unit's CapabilityBoundingSet= as setpriv's --bounding-set.
unit_caps() {
	sed -n 's/^CapabilityBoundingSet=//p' "$SRC/tools/systemd/tern@.service.in" |
		tr 'A-Z' 'a-z' | sed -e 's/cap_//g' -e 's/^/-all,+/' -e 's/ /,+/g'
}

t_unit_caps() {
	local want have

	# the kernel's numbers: NET_ADMIN 12, NET_RAW 13, IPC_LOCK 14,
	# SYS_ADMIN 21, PERFMON 38, BPF 39
	want=$(python3 -c '
import sys
n = {"net_admin": 12, "net_raw": 13, "ipc_lock": 14, "sys_admin": 21, "perfmon": 38, "bpf": 39}
print("%016x" % sum(1 << n[c.lstrip("+")] for c in sys.argv[1].split(",")[1:]))' "$(cat "$NET_TMP/caps")")
	have=$(awk '/^CapBnd:/ { print $2 }' "/proc/$(tern_pid)/status")
	echo "    $(cat "$NET_TMP/caps"): CapBnd $have"
	[ "$have" = "$want" ] || fail "CapBnd $have, want $want"
	conns 3
}

t_journal() {
	sed 's/^/    /' "$NET_TMP/tern.log" | head -3
	grep -q '^<6>tern: ready on ' "$NET_TMP/tern.log" || fail "no <6> on the ready line"
	! grep -Eq '^(tern:|Error:)' "$NET_TMP/tern.log" || fail "a line without its priority"
}

wd_count() { grep -c '^WATCHDOG=1$' "$NET_TMP/notify.log" || true; }
# wd_more_than N: more than N WATCHDOG=1 so far (counted at each call)
wd_more_than() { [ "$(wd_count)" -gt "$1" ]; }

t_watchdog() {
	local st

	wait_until wd_more_than 2 || fail "$(wd_count) WATCHDOG=1 in 5 s"
	st=$(grep '^STATUS=' "$NET_TMP/notify.log" | tail -1)
	echo "    $(wd_count) WATCHDOG=1; $st"
	grep -Eqx 'STATUS=2 queues, [0-9]+ connections, [0-9]+ half-open, [0-9]+ TIME-WAIT' <<<"$st" ||
		fail "status line"
}

t_watchdog_stuck_worker() {
	local n0 n1 s0 s1

	rm -f "$NET_TMP/stalled"
	python3 "$NET_TMP/stall.py" "$(tern_pid)" tern-q1 4 "$NET_TMP/stalled" &
	local spid=$!
	wait_until test -e "$NET_TMP/stalled" || fail "worker not stopped"
	sleep 1.2 # a check may still see the progress made before the stop
	n0=$(wd_count)
	s0=$(grep -c '^STATUS=' "$NET_TMP/notify.log")
	sleep 1.6
	n1=$(wd_count)
	s1=$(grep -c '^STATUS=' "$NET_TMP/notify.log")
	wait "$spid" || fail "stall.py"
	echo "    queue 1 stopped: WATCHDOG=1 $n0 -> $n1, STATUS= $s0 -> $s1"
	[ "$n1" = "$n0" ] || fail "WATCHDOG=1 sent while a worker was stuck"
	[ "$s1" -gt "$s0" ] || fail "no STATUS= while stuck: the main thread stopped too"
	grep -q '^<4>tern: warning: watchdog: queue 1 made no progress' "$NET_TMP/tern.log" ||
		fail "stuck queue not logged"
	wait_until wd_more_than "$n1" || fail "WATCHDOG=1 did not resume"
	wait_until grep -q 'watchdog: every queue makes progress again' "$NET_TMP/tern.log" ||
		fail "recovery not logged"
}

t_notify_ready() {
	grep -qx 'READY=1' "$NET_TMP/notify.log" || fail "no READY=1 to \$NOTIFY_SOCKET"
}

t_started_from_file() {
	grep -q "^tern: ready on $DEV_S (2 queues, app echo" "$NET_TMP/tern.log" || fail "not from the file"
	grep -q "^tern: metrics on http://127.0.0.1:$MPORT/metrics" "$NET_TMP/tern.log" || fail "no metrics line"
	conns 20
}

t_stats_json() {
	tctl stats --json >"$NET_TMP/stats.json"
	tctl stats --prometheus >"$NET_TMP/stats.prom"
	check stats "$NET_TMP/stats.json" 2 "$NET_TMP/stats.prom"
	tctl stats >"$NET_TMP/stats.txt"
	grep -q '^queue 1 (copy\|^queue 1 (zero-copy' "$NET_TMP/stats.txt" || fail "no table"
	grep -q '^  InSyns  *[1-9]' "$NET_TMP/stats.txt" || fail "InSyns not in the table"
}

t_prometheus() {
	tctl stats --prometheus >"$NET_TMP/p.txt"
	check prom_check "$NET_TMP/p.txt" 2
	command -v promtool >/dev/null || fail "promtool not installed (make deps installs prometheus)"
	promtool check metrics <"$NET_TMP/p.txt" >"$NET_TMP/promtool.out" 2>&1 ||
		{ sed 's/^/    /' "$NET_TMP/promtool.out" | head; fail "promtool check metrics"; }
	echo "    promtool check metrics: clean"
	# A strict parser that accepts everything would be no check.
	printf '# HELP x_total a\n# TYPE x_total counter\nx_total{iface="a",queue="0"} 1 2 3\n' >"$NET_TMP/bad.prom"
	! check prom_check "$NET_TMP/bad.prom" 1 2>/dev/null || fail "strict parser took a bad line"
}

t_http_metrics() {
	local hdr=$NET_TMP/hdr

	mcurl -D "$hdr" -o "$NET_TMP/http.prom" "http://127.0.0.1:$MPORT/metrics" || fail "curl /metrics"
	grep -qi '^HTTP/1.1 200 OK' "$hdr" || fail "status: $(head -1 "$hdr")"
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$hdr" || fail "content type"
	check prom_check "$NET_TMP/http.prom" 2
	promtool check metrics <"$NET_TMP/http.prom" >/dev/null 2>&1 || fail "promtool on /metrics"
	mcurl -I "http://127.0.0.1:$MPORT/metrics?x=1" >"$hdr" || fail "HEAD"
	grep -qi '^Content-Length: [1-9]' "$hdr" || fail "HEAD: no length"
	[ "$(mcurl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/")" = 404 ] || fail "/ not 404"
	# counters only grow between two scrapes
	local a b
	a=$(check prom_value "$NET_TMP/http.prom" tern_rx_frames_total 2)
	conns 3
	mcurl -o "$NET_TMP/http2.prom" "http://127.0.0.1:$MPORT/metrics"
	b=$(check prom_value "$NET_TMP/http2.prom" tern_rx_frames_total 2)
	echo "    rx_frames $a -> $b"
	[ "$b" -gt "$a" ] || fail "rx_frames did not grow"
}

t_http_cannot_lock_out_ternctl() {
	# 40 idle scrapers: they get at most half of the control thread's 32
	# client slots, so ternctl is still answered.
	in_s timeout 30 python3 - "$MPORT" "$NET_TMP/idle-ready" "$NET_TMP/idle-go" <<'EOF2' &
import os, socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(40)]
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
EOF2
	local ipid=$!
	wait_until test -e "$NET_TMP/idle-ready" || { touch "$NET_TMP/idle-go"; fail "no idle clients"; }
	tctl stats --json >/dev/null || { touch "$NET_TMP/idle-go"; fail "ternctl locked out"; }
	touch "$NET_TMP/idle-go"
	wait "$ipid" || true
	echo "    ternctl answered with 40 idle HTTP clients"
}

t_http_log_rate_limited() {
	local n0 n1

	n0=$(grep -c 'metrics listener: request refused' "$NET_TMP/tern.log" || true)
	in_s timeout 60 python3 "$NET_TMP/badhttp.py" "$MPORT" 200
	n1=$(grep -c 'metrics listener: request refused' "$NET_TMP/tern.log" || true)
	echo "    200 bad requests: $((n1 - n0)) log lines"
	[ $((n1 - n0)) -ge 1 ] && [ $((n1 - n0)) -lt 100 ] || fail "not rate limited"
	sleep 1.2
	in_s timeout 60 python3 "$NET_TMP/badhttp.py" "$MPORT" 2 >/dev/null
	wait_until grep -q 'tern: warning: [0-9]* messages suppressed' "$NET_TMP/tern.log" ||
		fail "no 'messages suppressed' line"
	grep 'messages suppressed' "$NET_TMP/tern.log" | tail -1 | sed 's/^/    /'
}

opens() { tctl stats --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"]["mib"]["PassiveOpens"])'; }
opened_since() { [ "$(opens)" -gt "$1" ]; }

t_top() {
	local o0

	o0=$(opens)
	conns 150 &
	local cpid=$!
	# top's rates cover the second after it starts: start it once the
	# clients (a loaded machine may take a while to run them) are opening.
	wait_until opened_since "$o0" || fail "no client connected: PassiveOpens $o0 -> $(opens)"
	tctl top --count 2 >"$NET_TMP/top.txt" || fail "top"
	wait "$cpid" || fail "clients"
	sed 's/^/    /' "$NET_TMP/top.txt"
	[ "$(grep -c "^tern on $DEV_S: 2 queue(s)" "$NET_TMP/top.txt")" = 2 ] || fail "not 2 refreshes"
	[ "$(grep -c '^total ' "$NET_TMP/top.txt")" = 2 ] || fail "no total rows"
	[ "$(grep -c '^drops/s: no-frame ' "$NET_TMP/top.txt")" = 2 ] || fail "no drops rows"
	# the clients open connections all along: some SYN/s and opens/s
	awk '$1 == "total" && $2 > 0 && $3 > 0 && $7 > 0 { ok = 1 } END { exit !ok }' \
		"$NET_TMP/top.txt" || fail "no SYN/s, SYN-ACK/s or opens/s in the total"
	tctl top --once | grep -q '^q0 ' || fail "--once"
	tctl top --count 0 2>/dev/null && fail "--count 0 accepted"
	true
}

t_reload_applies() {
	local s0 s1 out

	write_conf always 32 warn
	sed -i 's/^queues = 2/queues = 1/' "$CONF"
	tctl stats --prometheus >"$NET_TMP/r0.prom"
	sleep 1.1 # the timestamp is in seconds
	out=$(tctl reload) || fail "reload"
	sed 's/^/    /' <<<"$out"
	tctl stats --prometheus >"$NET_TMP/r1.prom"
	local t0 t1
	t0=$(check prom_value "$NET_TMP/r0.prom" tern_config_last_reload_success_timestamp_seconds 2)
	t1=$(check prom_value "$NET_TMP/r1.prom" tern_config_last_reload_success_timestamp_seconds 2)
	echo "    last reload success: $t0 (start) -> $t1"
	[ "$t1" -gt "$t0" ] || fail "reload success timestamp did not advance"
	[ "$(check prom_value "$NET_TMP/r1.prom" tern_config_last_reload_successful 2)" = 1 ] ||
		fail "tern_config_last_reload_successful not 1"
	grep -qx 'syncookies: applied (syncookies always)' <<<"$out" || fail "syncookies"
	grep -qx 'backlog: applied (backlog 32)' <<<"$out" || fail "backlog"
	grep -qx 'log-level: applied (warn)' <<<"$out" || fail "log-level"
	grep -qx 'queues: changed, needs a restart' <<<"$out" || fail "queues"
	[ "$(wc -l <<<"$out")" = 4 ] || fail "other lines"
	tctl stats --json >"$NET_TMP/a.json"
	conns 5
	tctl stats --json >"$NET_TMP/b.json"
	s0=$(check total "$NET_TMP/a.json" SyncookiesSent)
	s1=$(check total "$NET_TMP/b.json" SyncookiesSent)
	echo "    SyncookiesSent $s0 -> $s1 after 5 connections"
	[ "$s1" -ge $((s0 + 5)) ] || fail "syncookies always not applied"
	out=$(tctl reload) || fail "second reload"
	[ "$out" = "queues: changed, needs a restart" ] || fail "second reload: $out"
}

t_reload_error_changes_nothing() {
	local rc=0 err s0 s1

	write_conf never 32 warn
	printf 'backlog = 16\nbogus key\n' >>"$CONF"
	tctl reload >/dev/null 2>"$NET_TMP/err" || rc=$?
	err=$(cat "$NET_TMP/err")
	echo "    exit $rc: $err"
	[ "$rc" = 1 ] || fail "exit $rc"
	[ "$err" = "Error: reload: $CONF:12: expected 'key = value'" ] || fail "not FILE:LINE"
	tctl stats --prometheus >"$NET_TMP/r.prom"
	[ "$(check prom_value "$NET_TMP/r.prom" tern_config_last_reload_successful 2)" = 0 ] ||
		fail "tern_config_last_reload_successful not 0 after a failed reload"
	tctl stats --json >"$NET_TMP/a.json"
	conns 3
	tctl stats --json >"$NET_TMP/b.json"
	s0=$(check total "$NET_TMP/a.json" SyncookiesSent)
	s1=$(check total "$NET_TMP/b.json" SyncookiesSent)
	[ "$s1" -ge $((s0 + 3)) ] || fail "syncookies changed by a file with an error"
}

t_sighup() {
	local pid s0 s1

	pid=$(tern_pid)
	# log-level warn: the outcome of a reload (info) is not logged
	write_conf always 32 warn
	sed -i 's/^queues = 2/queues = 1/' "$CONF"
	kill -HUP "$pid"
	sleep 1
	! grep -q 'SIGHUP: reload' "$NET_TMP/tern.log" || fail "info line at log-level warn"
	# back to info and never: both applied, and said
	write_conf never 64 info
	kill -HUP "$pid"
	wait_until grep -q 'SIGHUP: reload: log-level: applied (info)' "$NET_TMP/tern.log" ||
		fail "no SIGHUP reload line"
	grep 'SIGHUP: reload' "$NET_TMP/tern.log" | sed 's/^/    /'
	grep -q 'SIGHUP: reload: syncookies: applied (syncookies never)' "$NET_TMP/tern.log" ||
		fail "syncookies never"
	[ "$(grep -c '^RELOADING=1$' "$NET_TMP/notify.log")" = 2 ] || fail "no RELOADING=1 per SIGHUP"
	tctl stats --json >"$NET_TMP/a.json"
	conns 3
	tctl stats --json >"$NET_TMP/b.json"
	s0=$(check total "$NET_TMP/a.json" SyncookiesSent)
	s1=$(check total "$NET_TMP/b.json" SyncookiesSent)
	[ "$s1" = "$s0" ] || fail "cookies sent with syncookies never"
}

# capture_bg FILE ARGS...: ternctl capture in the background, once it runs.
capture_bg() {
	local f=$1

	shift
	tctl capture --file "$f" "$@" >"$f.out" 2>&1 &
	CAP_PID=$!
	# the capture runs once the daemon says so
	wait_until in_s python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"capture status\n")
r = b""
while True:
    b = s.recv(4096)
    if not b: break
    r += b
sys.exit(0 if b"\"active\": true" in r else 1)' "$CTL" || fail "capture did not start"
}

t_capture_handshake_and_data() {
	local f=$NET_TMP/all.pcap n

	capture_bg "$f" --count 12
	conns 3
	wait "$CAP_PID" || { cat "$f.out"; fail "capture exit"; }
	sed 's/^/    /' "$f.out"
	grep -q '^capture: 12 frames written to ' "$f.out" || fail "not 12 frames"
	tcpdump -nn -r "$f" >"$f.txt" 2>/dev/null || fail "tcpdump -r"
	n=$(wc -l <"$f.txt")
	sed 's/^/    /' "$f.txt" | head -8
	[ "$n" = 12 ] || fail "tcpdump read $n frames, want 12 (--count)"
	grep -q "> $IP4_S.$PORT: Flags \[S\]," "$f.txt" || fail "no SYN"
	grep -q "$IP4_S.$PORT > .*: Flags \[S\.\]," "$f.txt" || fail "no SYN-ACK"
	grep -q "> $IP4_S.$PORT: Flags \[P\.\],.* length 4" "$f.txt" || fail "no data in"
	grep -q "$IP4_S.$PORT > .*: Flags \[P\.\],.* length 4" "$f.txt" || fail "no data out"
}

t_capture_filter() {
	local f=$NET_TMP/syn.pcap

	capture_bg "$f" --count 4 --filter "tcp[tcpflags] & tcp-syn != 0"
	conns 4
	wait "$CAP_PID" || { cat "$f.out"; fail "capture exit"; }
	tcpdump -nn -r "$f" >"$f.txt" 2>/dev/null || fail "tcpdump -r"
	sed 's/^/    /' "$f.txt" | head -4
	[ "$(wc -l <"$f.txt")" = 4 ] || fail "not 4 frames"
	[ "$(grep -c 'Flags \[S\.\?\],' "$f.txt")" = 4 ] || fail "a frame without SYN passed the filter"
}

t_capture_bounds_and_errors() {
	local f=$NET_TMP/quiet.pcap out rc=0

	tctl capture --file "$f" --seconds 1 >"$f.out" || fail "capture --seconds"
	grep -q '^capture: 0 frames written' "$f.out" || fail "$(cat "$f.out")"
	tcpdump -r "$f" 2>/dev/null | wc -l | grep -qx 0 || fail "not an empty pcap"
	out=$(tctl capture --file "$f" --count 1 --filter "tcp port" 2>&1) || rc=$?
	echo "    exit $rc: $out"
	[ "$rc" = 1 ] && grep -q '^Error: capture: filter: ' <<<"$out" || fail "bad filter accepted"
	capture_bg "$NET_TMP/busy.pcap" --seconds 30
	rc=0
	out=$(tctl capture --file "$f" --count 1 2>&1) || rc=$?
	echo "    exit $rc: $out"
	kill -INT "$CAP_PID"
	wait "$CAP_PID" || fail "capture after SIGINT"
	grep -q '^capture: [0-9]* frames written' "$NET_TMP/busy.pcap.out" || fail "no summary after SIGINT"
	[ "$rc" = 1 ] && grep -q 'a capture is running' <<<"$out" || fail "second capture not refused"
}

t_stop() {
	tctl stop >/dev/null
	for _ in $(seq 50); do
		[ -s "$NET_TMP/tern.rc" ] && break
		sleep 0.1
	done
	[ "$(cat "$NET_TMP/tern.rc" 2>/dev/null)" = 0 ] || fail "tern exit $(cat "$NET_TMP/tern.rc" 2>/dev/null)"
	! mcurl -o /dev/null "http://127.0.0.1:$MPORT/metrics" 2>/dev/null || fail "metrics still served"
}

# ---- run ----------------------------------------------------------------------

net_setup
net_need curl tcpdump
write_tools
CTL=$NET_TMP/ctl.sock
CONF=$NET_TMP/tern.conf

t_run "configuration errors are FILE:LINE: message, exit 2" t_conf_errors
t_run "flag errors: the option, the value, why; see tern --help" t_flag_errors
t_run "durations and sizes take units" t_units
t_run "tern --check: summary or reason, exit 0/2, nothing attached" t_check
t_run "tern --version, ternctl --version" t_version
write_conf auto 64 info
notify_listen
NOTIFY_SOCKET=$NET_TMP/notify.sock tern_start --config "$CONF" || net_die "tern did not start from $CONF"
t_run "READY=1 to \$NOTIFY_SOCKET (systemd Type=notify)" t_notify_ready
t_run "started from the configuration file" t_started_from_file
t_run "stats --json: every counter, totals are sums" t_stats_json
t_run "stats --prometheus: strict parser and promtool" t_prometheus
t_run "HTTP /metrics: 200, HEAD, 404, growing counters" t_http_metrics
t_run "idle HTTP clients cannot lock ternctl out" t_http_cannot_lock_out_ternctl
t_run "network-triggered log lines are rate limited" t_http_log_rate_limited
t_run "top --count 2 / --once" t_top
t_run "reload applies syncookies, backlog, log-level; names queues" t_reload_applies
t_run "reload with a bad file: FILE:LINE, nothing changed" t_reload_error_changes_nothing
t_run "SIGHUP reloads, logged at the new level" t_sighup
t_run "capture: SYN, SYN-ACK and data, --count honoured" t_capture_handshake_and_data
t_run "capture --filter: only what the filter takes" t_capture_filter
t_run "capture --seconds, bad filter, one at a time, SIGINT" t_capture_bounds_and_errors
t_run "stop: exit 0, listener gone" t_stop
# As systemd would run it: the unit's capability bounding set, stderr the
# journal's stream, a watchdog of 1 s.
write_stall
unit_caps >"$NET_TMP/caps"
printf '#!/bin/sh\nexec setpriv --bounding-set=%s --inh-caps=-all -- %s "$@"\n' \
	"$(cat "$NET_TMP/caps")" "$TERN" >"$NET_TMP/tern-unit-caps"
chmod +x "$NET_TMP/tern-unit-caps"
: >"$NET_TMP/notify.log"
touch "$NET_TMP/tern.log"
JOURNAL_STREAM=$(stat -c %d:%i "$NET_TMP/tern.log") NOTIFY_SOCKET=$NET_TMP/notify.sock \
	WATCHDOG_USEC=1000000 TERN=$NET_TMP/tern-unit-caps tern_start --config "$CONF" ||
	net_die "tern did not start with the unit's capabilities, under the watchdog"
t_run "runs with only the unit's CapabilityBoundingSet" t_unit_caps
t_run "journald: <N> syslog priority on every line" t_journal
t_run "WATCHDOG=1 and STATUS= every half WatchdogSec" t_watchdog
t_run "a stuck worker stops WATCHDOG=1; it resumes after" t_watchdog_stuck_worker
t_run "stop under the watchdog: exit 0" t_stop
t_run "make install: man pages (render clean, every metric), unit (systemd-analyze verify)" t_install_ops
net_finish
