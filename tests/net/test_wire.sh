#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tern's behaviour as seen on the wire from the client veth:
# 1. SYN-ACK retransmission: a raw-socket client sends a SYN and never ACKs;
#    the SYN-ACK comes again at 1 s and 3 s with the same ISS
#    (TCPSynRetrans), then data completes the handshake and echoes.
# 2. 200 short connections land on both queues (PassiveOpens per queue).
# 3. SIGKILL: the XDP program stays attached, the AF_XDP sockets go, so the
#    kernel refuses the port; a restart takes the program over and echoes.
# 4. --keepalive 1,1,2: a raw-socket client goes silent; two bare ACKs with
#    SEQ = SND.NXT - 1 one second apart, then a RST (TCPKeepAlive,
#    TCPAbortOnTimeout).
# 5. Frame accounting (control socket `stats`) after every check, and a
#    clean exit on `stop`.
# The raw client uses an address on the link that nobody owns: the client
# kernel drops tern's replies to it without answering, which makes a client
# that never ACKs, or goes silent, without tc (this kernel has no
# act_gact, so tc filters cannot drop).
#   tests/net/test_wire.sh BUILD_DIR
NET_SUITE=test_wire
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_tern_arg "$@"
PORT=7
QUEUES=2

# ---- python: control socket, clients, raw-socket client and its checks --------------------

write_py() {
	cat >"$NET_TMP/wire.py" <<'EOF'
import json, os, select, socket, struct, sys, time
from pkt import csum, ctl  # tests/net/pkt.py (PYTHONPATH)

def q(path, expr):
    """Evaluates expr with s = the stats JSON; prints the result."""
    s = json.loads(ctl(path, "stats"))
    print(eval(expr, {"s": s, "sum": sum}))

def frames(path):
    """Every queue's frame accounting adds up and no frame was seen twice."""
    s = json.loads(ctl(path, "stats"))
    bad = [(x["queue"], x["frames"]) for x in s["queues"]
           if x["frames"]["bad"] != 0 or not x["frames"]["ok"]]
    if not s["total"]["frames_ok"] or bad or len(s["queues"]) != 2:
        sys.exit("frame accounting: frames_ok %s, bad queues %s"
                 % (s["total"]["frames_ok"], bad))
    print("    frames ok: " + ", ".join(
        "q%d total %d free %d fill %d" % (x["queue"], x["frames"]["total"],
        x["frames"]["free"], x["frames"]["fill"]) for x in s["queues"]))

# --- clients (client namespace) ---------------------------------------------

def echo_once(host, port, n=64):
    data = os.urandom(n)
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    s.close()
    if got != data:
        sys.exit("echo mismatch: sent %d bytes, got %d" % (n, len(got)))

def echo(host, port):
    echo_once(host, port, 4096)

def many(host, port, n):
    for _ in range(int(n)):
        echo_once(host, port)
    print("    %s short echo connections" % n)

def refused(host, port):
    t0 = time.monotonic()
    try:
        socket.create_connection((host, port), timeout=3).close()
    except ConnectionRefusedError:
        print("    refused after %.1f ms" % ((time.monotonic() - t0) * 1e3))
        return
    except socket.timeout:
        sys.exit("connect to %s:%d timed out: nobody answered" % (host, port))
    sys.exit("connect to %s:%d was accepted" % (host, port))

# --- a TCP client of its own (raw sockets), from an address the client
# namespace does not own: the kernel there drops tern's replies silently
# instead of answering them with RSTs, so this client alone decides what
# tern hears (nothing, when it goes silent). It sends through a raw IP
# socket, so veth picks the TX queue (and tern's RX queue) from the flow
# hash as it does for the kernel's own sockets, and it sees the wire
# through an AF_PACKET socket on the client veth. ---------------------------

M32 = 2**32

class Raw:
    def __init__(self, dev, src, dst, dport):
        self.src, self.dst, self.dport = src, dst, int(dport)
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
        self.rx.bind((dev, 0))
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        # An ephemeral-range port nobody else uses (the address is ours alone).
        self.sport = 40000 + int.from_bytes(os.urandom(2), "big") % 20000
        self.t0 = time.monotonic()
        self.log = []

    def send(self, seq, ack, flags, data=b"", opts=b""):
        hl = 20 + len(opts)
        tcp = struct.pack("!HHIIBBHHH", self.sport, self.dport, seq % M32, ack % M32,
                          (hl // 4) << 4, flags, 65535, 0, 0) + opts + data
        ph = socket.inet_aton(self.src) + socket.inet_aton(self.dst) + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(ph + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                         socket.inet_aton(self.src), socket.inet_aton(self.dst))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        self.tx.sendto(ip + tcp, (self.dst, 0))
        t = time.monotonic()
        self.log.append({"t": t, "out": True, "flags": flags, "seq": seq % M32, "win": 65535,
                         "ack": ack % M32, "len": len(data)})
        return t

    def recv(self, until):
        """The next segment tern sent us, or None at time `until`."""
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.rx], [], [], left)
            if not r:
                continue
            data, addr = self.rx.recvfrom(65536)
            t = time.monotonic()
            if addr[2] == socket.PACKET_OUTGOING or len(data) < 54:
                continue
            ip = data[14:]
            ihl = (ip[0] & 15) * 4
            if (ip[9] != 6 or socket.inet_ntoa(ip[12:16]) != self.dst
                    or socket.inet_ntoa(ip[16:20]) != self.src):
                continue
            tot = struct.unpack("!H", ip[2:4])[0]
            tcp = ip[ihl:tot]
            sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", tcp[:16])
            if sport != self.dport or dport != self.sport:
                continue
            p = {"t": t, "out": False, "flags": flags, "seq": seq, "ack": ack, "win": win,
                 "len": len(tcp) - (off >> 4) * 4, "data": tcp[(off >> 4) * 4:]}
            self.log.append(p)
            return p

    def show(self):
        for p in self.log:
            print("    %7.3f %s [%s] seq %u ack %u win %u len %d" % (
                  p["t"] - self.t0, "client >" if p["out"] else "tern   >", fl(p),
                  p["seq"], p["ack"], p["win"], p["len"]))

def fl(p):
    return "".join(c for b, c in zip((2, 16, 4, 1, 8), "SARFP") if p["flags"] & b) or "."

SYN, ACK, RST, FIN, PSH = 0x02, 0x10, 0x04, 0x01, 0x08
MSS1460 = struct.pack("!BBH", 2, 4, 1460)

def near(dt, want, tol=0.3):
    return abs(dt - want) <= tol

def handshake_done(c, isn, iss):
    """ACK with data completes the handshake; tern echoes it back."""
    c.send(isn + 1, iss + 1, ACK | PSH, b"ping")
    end = time.monotonic() + 3
    while True:
        p = c.recv(end)
        if p is None:
            return "no echo of the data that completed the handshake"
        if p["flags"] & RST:
            return "RST instead of the echo"
        if p["data"] == b"ping" and p["seq"] == (iss + 1) % M32:
            return None

def close(c, isn, iss):
    """FIN, tern's echo closes too, ACK its FIN: nothing is left in tern."""
    c.send(isn + 5, iss + 5, FIN | ACK)
    end = time.monotonic() + 3
    while True:
        p = c.recv(end)
        if p is None:
            return "no FIN from tern after ours"
        if p["flags"] & RST:
            return "RST instead of FIN"
        if p["flags"] & FIN:
            c.send(isn + 6, p["seq"] + 1, ACK)
            return None

def synack(dev, src, dst, port):
    """SYN, never ACK: the SYN-ACK must come again 1 s and 3 s later."""
    c = Raw(dev, src, dst, port)
    isn = int.from_bytes(os.urandom(4), "big")
    t_syn = c.send(isn, 0, SYN, opts=MSS1460)
    sa, other = [], []
    while True:
        p = c.recv(t_syn + 3.6)  # the next one is due at 7 s
        if p is None:
            break
        (sa if p["flags"] & (SYN | ACK) == SYN | ACK else other).append(p)
    err = []
    if other:
        err.append("%d segments other than SYN-ACKs" % len(other))
    if len(sa) != 3:
        err.append("%d SYN-ACKs in 3.6 s, expected the first and 2 retransmissions" % len(sa))
    elif len({p["seq"] for p in sa}) != 1 or any(p["ack"] != (isn + 1) % M32 for p in sa):
        err.append("the SYN-ACKs differ in ISS, or do not ACK the SYN")
    else:
        d = (sa[0]["t"] - t_syn, sa[1]["t"] - sa[0]["t"], sa[2]["t"] - sa[1]["t"])
        print("    SYN-ACK after %.1f ms, again after %.3f s and %.3f s, ISS %u" % (
              d[0] * 1e3, d[1], d[2], sa[0]["seq"]))
        if not (d[0] < 0.3 and near(d[1], 1.0) and near(d[2], 2.0)):
            err.append("timing %.3f, %.3f, %.3f: expected at once, 1 s, 2 s (+-0.3)" % d)
        else:
            iss = sa[0]["seq"]
            for e in (handshake_done(c, isn, iss), close(c, isn, iss)):
                if e:
                    err.append(e)
                    break
    c.show()
    if err:
        sys.exit("; ".join(err))

def silent(dev, src, dst, port):
    """Connect, echo once, ACK it, then go silent: tern's keepalive (1,1,2)
    probes twice with SEQ = SND.NXT - 1, 1 s apart, then sends a RST."""
    c = Raw(dev, src, dst, port)
    isn = int.from_bytes(os.urandom(4), "big")
    t_syn = c.send(isn, 0, SYN, opts=MSS1460)
    p = c.recv(t_syn + 2)
    if p is None or p["flags"] & (SYN | ACK) != SYN | ACK:
        c.show()
        sys.exit("no SYN-ACK")
    iss = p["seq"]
    e = handshake_done(c, isn, iss)
    if e:
        c.show()
        sys.exit(e)
    snd_nxt = (iss + 5) % M32  # SYN + "ping"
    # Whatever tern sends right after the echo belongs before the silence
    # (today a bare ACK repeating the echo's ACK: quickack mode sends it
    # although the echo already carried it).
    while c.recv(time.monotonic() + 0.1) is not None:
        pass
    t_last = c.send(isn + 5, snd_nxt, ACK)
    after = []
    while True:
        p = c.recv(t_last + 6)
        if p is None:
            break
        after.append(p)
        if p["flags"] & RST:
            break
    c.show()
    probes = [p for p in after if p["flags"] == ACK and p["len"] == 0]
    rst = [p for p in after if p["flags"] & RST]
    err = []
    if len(after) != len(probes) + len(rst):
        err.append("%d unexpected segments from tern while silent" % (len(after) - len(probes) - len(rst)))
    if len(probes) != 2:
        err.append("%d keepalive probes, expected 2" % len(probes))
    if any(p["seq"] != (snd_nxt - 1) % M32 or p["ack"] != (isn + 5) % M32 for p in probes):
        err.append("probe SEQ/ACK %s, expected SEQ = SND.NXT - 1 = %u, ACK %u" % (
                   [(p["seq"], p["ack"]) for p in probes], (snd_nxt - 1) % M32, (isn + 5) % M32))
    if len(rst) != 1:
        err.append("%d RSTs, expected 1" % len(rst))
    elif rst[0]["seq"] != snd_nxt:
        err.append("RST SEQ %u, expected SND.NXT %u" % (rst[0]["seq"], snd_nxt))
    if len(probes) == 2 and len(rst) == 1:
        d = (probes[0]["t"] - t_last, probes[1]["t"] - probes[0]["t"], rst[0]["t"] - probes[1]["t"])
        print("    silent for %.3f s, probe, %.3f s, probe, %.3f s, RST; probe SEQ %u = SND.NXT - 1" % (
              d + (probes[0]["seq"],)))
        if not all(near(x, 1.0) for x in d):
            err.append("timing %.3f, %.3f, %.3f: expected 1 s each (+-0.3)" % d)
    if err:
        sys.exit("; ".join(err))

cmd = sys.argv[1]
{"ctl": lambda p, r: print(ctl(p, r), end=""), "q": q, "frames": frames,
 "echo": echo, "many": many, "refused": refused, "synack": synack,
 "silent": silent}[cmd](*sys.argv[2:])
EOF
}

py() { PYTHONPATH=$NET_DIR timeout 30 python3 "$NET_TMP/wire.py" "$@"; }
client() { in_c env PYTHONPATH="$NET_DIR" timeout 30 python3 "$NET_TMP/wire.py" "$@"; }
# raw MODE: the raw-socket client, from IP4_R (on the link, owned by no one).
raw() { client "$1" "$DEV_C" "$IP4_R" "$IP4_S" "$PORT"; }
CTL= # set by start_tern

# stat EXPR: a value from `stats` (s = the JSON), e.g. stat 's["total"]["nconns"]'
stat() { py q "$CTL" "$1"; }
mib() { stat "s['total']['mib']['$1']"; }
qmib() { stat "s['queues'][$1]['mib']['$2']"; }

# frames_ok: every queue's frames add up and none is bad; logged for check 5.
frames_ok() {
	if py frames "$CTL"; then
		echo "ok $1" >>"$NET_TMP/frames.log"
	else
		echo "FAIL $1" >>"$NET_TMP/frames.log"
		fail "frame accounting after: $1"
	fi
}

# ---- the daemon ----------------------------------------------------------------

# start_tern [ARGS]: as in test_echo.sh, with a control socket.
start_tern() {
	CTL=$NET_TMP/ctl
	tern_start --addr "$IP4_S" --port "$PORT" --ctl "$CTL" --app echo "$@" || return 1
	wait_until py ctl "$CTL" stats >/dev/null || return 1
}

has_xdp() { ip -n "$NS_S" link show "$DEV_S" | grep -q 'xdp'; }

# ---- checks ------------------------------------------------------------------

t_synack_retrans() {
	local r0 r1

	r0=$(mib TCPSynRetrans)
	raw synack || fail "SYN-ACK retransmission on the wire"
	r1=$(mib TCPSynRetrans)
	echo "    TCPSynRetrans $r0 -> $r1"
	[ "$((r1 - r0))" -ge 2 ] || fail "TCPSynRetrans moved by $((r1 - r0)), expected >= 2"
	client echo "$IP4_S" "$PORT" || fail "a normal connection afterwards"
	frames_ok "SYN-ACK retransmission"
}

t_both_queues() {
	local a0 b0 a1 b1 n=200

	a0=$(qmib 0 PassiveOpens)
	b0=$(qmib 1 PassiveOpens)
	client many "$IP4_S" "$PORT" $n || fail "echo connections"
	a1=$(qmib 0 PassiveOpens)
	b1=$(qmib 1 PassiveOpens)
	echo "    PassiveOpens: queue 0 +$((a1 - a0)), queue 1 +$((b1 - b0))"
	[ "$((a1 - a0 + b1 - b0))" = "$n" ] || fail "PassiveOpens moved by $((a1 - a0 + b1 - b0)), expected $n"
	[ "$((a1 - a0))" -gt 0 ] || fail "queue 0 carried no connection"
	[ "$((b1 - b0))" -gt 0 ] || fail "queue 1 carried no connection"
	frames_ok "200 connections over both queues"
}

t_kill_fallback() {
	kill -KILL "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not die"
	has_xdp || fail "the XDP program went with the process"
	ip -n "$NS_S" link show "$DEV_S" | grep -o 'prog/xdp id [0-9]*' | sed 's/^/    /'
	client refused "$IP4_S" "$PORT" || fail "the kernel did not refuse while tern was down"
	start_tern --syncookies never --keepalive 1,1,2 || fail "restart"
	grep -q 'already loaded' "$NET_TMP/tern.log" || fail "restart did not reuse the program"
	client echo "$IP4_S" "$PORT" || fail "echo after the restart"
	client many "$IP4_S" "$PORT" 20 >/dev/null || fail "20 connections after the restart"
	frames_ok "SIGKILL and restart"
}

t_keepalive() {
	local k0 a0 k1 a1

	k0=$(mib TCPKeepAlive)
	a0=$(mib TCPAbortOnTimeout)
	raw silent || fail "keepalive on the wire"
	k1=$(mib TCPKeepAlive)
	a1=$(mib TCPAbortOnTimeout)
	echo "    TCPKeepAlive $k0 -> $k1, TCPAbortOnTimeout $a0 -> $a1"
	[ "$((k1 - k0))" -ge 2 ] || fail "TCPKeepAlive moved by $((k1 - k0)), expected >= 2"
	[ "$((a1 - a0))" -ge 1 ] || fail "TCPAbortOnTimeout moved by $((a1 - a0)), expected >= 1"
	client echo "$IP4_S" "$PORT" || fail "a normal connection afterwards"
	frames_ok "keepalive"
}

t_frames() {
	local rc

	frames_ok "all checks"
	sed 's/^/    /' "$NET_TMP/frames.log"
	! grep -q '^FAIL' "$NET_TMP/frames.log" || fail "a check left the frames inconsistent"
	[ "$(grep -c '^ok' "$NET_TMP/frames.log")" = 5 ] || fail "a check did not get to its frame check"
	py ctl "$CTL" stop >/dev/null || fail "ctl stop"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not exit after stop"
	rc=$(cat "$NET_TMP/tern.rc")
	grep '^tern: queue .*frames' "$NET_TMP/tern.log" | sed 's/^/    /'
	[ "$rc" = 0 ] || { sed 's/^/    /' "$NET_TMP/tern.log" >&2; fail "tern exited $rc"; }
	[ "$(grep -c 'frames: total .*: ok$' "$NET_TMP/tern.log")" = "$QUEUES" ] ||
		fail "exit frame accounting: not every queue says ok"
}

# ---- run ---------------------------------------------------------------------

net_setup
IP4_R=10.200.$NET_X.3
# veth puts a frame on the receive queue the sender picked; keep the
# kernel from re-picking a socket's TX queue (see test_echo.sh).
in_c sysctl -qw net.core.txrehash=0
write_py

start_tern --syncookies never || net_die "tern did not start"
t_run "SYN-ACK retransmitted at 1 s and 3 s with the same ISS; TCPSynRetrans" t_synack_retrans
t_run "200 connections: PassiveOpens on queue 0 and queue 1" t_both_queues
t_run "SIGKILL: the kernel refuses, XDP stays; restart on the same program echoes" t_kill_fallback
t_run "keepalive 1,1,2: probes SEQ=SND.NXT-1 every 1 s, then RST; counters" t_keepalive
t_run "frames accounted after every check; stop exits 0 with frames ok" t_frames

net_finish
