# SPDX-License-Identifier: BSD-2-Clause
"""Scripted data-path exchanges at a tern service and, in the same run, at a
Linux listener in the same server namespace: Linux's behaviour is the
reference.

A raw client (AF_PACKET frames from an address the client kernel does not
own, so it never interferes) runs each exchange twice, once against tern's
port and once against the Linux port, and reduces what the server sent to
a few normalized observations: sequence and ACK numbers relative to the
ISNs, SACK blocks relative to the client's ISN, zero or open windows,
timing classes instead of times. Every observation must be the same for
tern as for Linux, unless ALLOWED names the difference and the `tern:`
comment in tern's source that explains it (the comment must exist). Each
exchange also checks that Linux did what the script expects (a handshake,
the echoed bytes), so a broken script cannot pass by comparing nothing.

Phases (the service behind both ports):
  echo   tern --app echo / a Linux echo server: data in order, out of order
         with SACK, zero window with probes and the window update, the
         server's window closing and opening again (a Linux echo server
         with 4 KiB socket buffers on LPORT + 1),
         retransmission of lost data, of data whose ACK was lost, client
         FIN first, FIN with data, RST in ESTABLISHED
  close  tern --app http / a Linux server answering one request and
         closing: server FIN first, simultaneous close
TERN_TEST_SEED repeats the random ISNs and data; DATAPATH_TRACE=1 prints
every segment the servers send.
usage: datapath.py PHASE SRCDIR DEV SMAC DMAC SRC DST PORT LPORT [EXCHANGE...]
"""
import os, random, struct, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkt import *  # noqa: E402,F401,F403

(phase, srcdir, dev, smac, dmac, src, dst, port, lport) = sys.argv[1:10]
only = set(sys.argv[10:])
SMAC, DMAC, S, D = mac(smac), mac(dmac), addr(src), addr(dst)
PORT, LPORT = int(port), int(lport)
WIN = 65535          # the client's window field (scaled by 2^7: 8 MiB)
CWS = 7              # the client's window scale
HTTP_REQ = b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"

# (exchange, observation): (the start of the `tern:` comment in user/ that
# explains it, what differs, tern's value). Only that value is allowed; the
# difference is printed whenever it is seen.
ALLOWED = {
    ("ooo_sack", "A fills: first reply's ack, sack"): (
        "tern: the application gets the in-order bytes",
        "the echo of the segment that fills a hole leaves before the queue behind it is "
        "merged: it ACKs that segment only and still SACKs the queue; the next segment "
        "ACKs the rest",
        (1000, [(3000, 4000), (1000, 2000)])),
}
# tern's echo gives receive credit up to its send buffer, so the window
# reopens (one window update) when the client ACKs the echo.
for _x, _k in (("data_lost", "after the ACK: segments"), ("ack_lost", "after the D-SACK: segments"),
               ("rst_established", "after the RST: segments")):
    ALLOWED[(_x, _k)] = (
        "tern: the receive window follows the echo still unacknowledged",
        "the echo's window reopens when its data is ACKed, and tern advertises it (one "
        "window update); a Linux echo server's window never shrank", 1)


class Conn:
    """One raw TCP connection from S to D:dport: it sends what the script
    says and collects what the server sends on its tuple."""

    def __init__(self, io, dport, sport):
        self.cap, self.tx = io
        self.dport, self.sport = dport, sport
        self.iss = random.getrandbits(32)
        self.snd_nxt = self.iss
        self.irs = self.rcv_nxt = None
        self.ts0 = time.monotonic()
        self.ts_recent = 0
        self.synack = None

    def tsval(self):
        return int((time.monotonic() - self.ts0) * 1000) + 1

    def send(self, flags, data=b"", seq=None, win=WIN, sack=(), syn=False):
        if syn:
            opts = opt_mss(1460) + b"\x04\x02" + opt_ts(self.tsval(), 0) + b"\x01" + opt_ws(CWS)
        else:
            opts = b"\x01\x01" + opt_ts(self.tsval(), self.ts_recent)
            if sack:
                opts += b"\x01\x01" + struct.pack("!BB", 5, 2 + 8 * len(sack))
                opts += b"".join(struct.pack("!II", a % M32, b % M32) for a, b in sack)
        seq = self.snd_nxt if seq is None else seq
        ack = self.rcv_nxt if flags & ACK else 0
        t = tcp(S, D, self.sport, self.dport, flags, seq=seq, ack=ack or 0, win=win,
                opts=opts, data=data)
        self.tx.send(eth(DMAC, SMAC, ETH_P_IP, ip4(S, D, t)))

    def push(self, data, flags=ACK | PSH, win=WIN, advance=True):
        """Sends data at SND.NXT (and FIN if flags say so)."""
        self.send(flags, data, win=win)
        if advance:
            self.snd_nxt = (self.snd_nxt + len(data) + (1 if flags & FIN else 0)) % M32

    def collect(self, secs, enough=None):
        """The server's segments on this tuple, with each one's arrival
        time (t, seconds since the call) and its options decoded."""
        t0 = time.monotonic()
        got = self.cap.collect(secs, lambda p: p["sport"] == self.dport and p["dport"] == self.sport
                               and p["src"] == D, enough)
        for p in got:
            p.update(decode_opts(p["optb"]))
            if "tsval" in p:
                self.ts_recent = p["tsval"]
        if self.synack:
            self.note_window(got)
        for p in got:
            p["t"] = p["at"] - t0
            if os.environ.get("DATAPATH_TRACE"):
                print("  %5d <- %-3s seq %d ack %d len %d win %d sack %s t %.3f" % (
                    self.dport, flags_str(p["flags"]), self.rel_seq(p["seq"]) if self.irs else 0,
                    self.rel_ack(p["ack"]), p["len"], p["win"], rel_sack(self, p), p["t"]))
        return got

    def rel_seq(self, s):
        return (s - self.irs - 1) % M32

    def rel_ack(self, a):
        return (a - self.iss - 1) % M32

    def open(self):
        """SYN with MSS, SACK-permitted, timestamps and window scale, as
        Linux sends it; the SYN-ACK; the ACK. False if no SYN-ACK came."""
        self.cap.drain()
        self.send(SYN, syn=True)
        self.snd_nxt = (self.iss + 1) % M32
        got = self.collect(3.0, lambda g, t: any(p["flags"] & SYN for p in g))
        sa = [p for p in got if p["flags"] & (SYN | ACK) == SYN | ACK]
        if not sa:
            return False
        self.synack = sa[0]
        self.irs = sa[0]["seq"]
        self.rcv_nxt = (self.irs + 1) % M32
        self.ts_recent = sa[0].get("tsval", 0)
        self.send(ACK)
        # the first segment after the SYN-ACK tells the scaled window
        self.synack_win_bytes = None
        return True

    def note_window(self, segs):
        for p in segs:
            if not p["flags"] & SYN and self.synack_win_bytes is None:
                self.synack_win_bytes = p["win"] << self.synack.get("ws", 0)

    def take(self, segs):
        """Accepts the data and FIN of segs that are in order at RCV.NXT
        (the echo's bytes), returns them."""
        out = b""
        for p in sorted(segs, key=lambda p: self.rel_seq(p["seq"])):
            off = (self.rcv_nxt - p["seq"]) % M32
            if p["len"] and off < p["len"]:
                out += p["data"][off:]
                self.rcv_nxt = (self.rcv_nxt + p["len"] - off) % M32
            if p["flags"] & FIN and (p["seq"] + p["len"]) % M32 == self.rcv_nxt:
                self.rcv_nxt = (self.rcv_nxt + 1) % M32
        return out

    def echo(self, want, secs=3.0, ack=True):
        """Reads the echo until want bytes came (ACKing as it goes)."""
        out, end = b"", time.monotonic() + secs
        while len(out) < want and time.monotonic() < end:
            got = self.collect(min(0.2, end - time.monotonic()), lambda g, t: bool(g))
            n = self.take(got)
            out += n
            if n and ack:
                self.send(ACK)
        return out

    def reset(self):
        self.send(RST | ACK)


def decode_opts(o):
    r, i = {}, 0
    while i < len(o):
        k = o[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        if i + 1 >= len(o) or o[i + 1] < 2:
            break
        n = o[i + 1]
        v = o[i + 2:i + n]
        if k == 8 and n == 10:
            r["tsval"], r["tsecr"] = struct.unpack("!II", v)
        elif k == 5:
            r["sack"] = [struct.unpack("!II", v[j:j + 8]) for j in range(0, len(v) - 7, 8)]
        elif k == 3 and n == 3:
            r["ws"] = v[0]
        elif k == 2 and n == 4:
            r["mss"] = struct.unpack("!H", v)[0]
        i += n
    return r


def rel_sack(c, p):
    return [(c.rel_ack(a), c.rel_ack(b)) for a, b in p.get("sack", [])]


def timing(dt):
    """Timing classes: immediate (< 100 ms), about an RTO (100 ms to
    1.5 s: the minimum RTO is 200 ms on both sides), late, or none."""
    if dt is None:
        return "none"
    return "immediate" if dt < 0.1 else "rto" if dt < 1.5 else "late"


def data_segs(got):
    return [p for p in got if p["len"]]


# Exchanges: fn(conn) -> dict of observations (None: no handshake), and a
# sanity check on Linux's observations (the script's own expectations).

def x_inorder(c):
    msg = bytes(random.getrandbits(8) for _ in range(4000))
    for i in range(4):
        c.push(msg[1000 * i:1000 * (i + 1)], flags=ACK | (PSH if i == 3 else 0))
    out = c.echo(4000)
    c.reset()
    return {"synack options": sorted(c.synack["opts"]), "synack mss": c.synack.get("mss"),
            "echoed in order": out == msg,
            "~window after the handshake (bytes)": c.synack_win_bytes}


def x_ooo_sack(c):
    msg = bytes(random.getrandbits(8) for _ in range(4000))
    base = c.snd_nxt
    seg = [(base + 1000 * i, msg[1000 * i:1000 * (i + 1)]) for i in range(4)]
    c.snd_nxt = (base + 4000) % M32  # the client's ACKs carry SEQ=SND.NXT
    o = {}
    # B first: a duplicate ACK at once with one SACK block
    c.send(ACK | PSH, seg[1][1], seq=seg[1][0])
    got = c.collect(1.0, lambda g, t: bool(g))
    o["B first: reply"] = timing(got[0]["t"]) if got else "none"
    o["B first: ack, sack"] = (c.rel_ack(got[0]["ack"]), rel_sack(c, got[0])) if got else None
    # D next: the newest block first (RFC 2018 section 4)
    c.send(ACK | PSH, seg[3][1], seq=seg[3][0])
    got = c.collect(1.0, lambda g, t: bool(g))
    o["D next: ack, sack"] = (c.rel_ack(got[0]["ack"]), rel_sack(c, got[0])) if got else None
    # A fills the first hole: ACK up to C's hole, D still SACKed
    c.send(ACK | PSH, seg[0][1], seq=seg[0][0])
    got = c.collect(0.4)
    o["A fills: first reply's ack, sack"] = (
        (c.rel_ack(got[0]["ack"]), rel_sack(c, got[0])) if got else None)
    o["A fills: A and B ACKed, D SACKed"] = any(
        c.rel_ack(p["ack"]) == 2000 and rel_sack(c, p) == [(3000, 4000)] for p in got)
    out = c.take(got)
    if out:
        c.send(ACK)
    # C fills the last: everything ACKed, no SACK left
    c.send(ACK | PSH, seg[2][1], seq=seg[2][0])
    got = c.collect(1.0, lambda g, t: any(c.rel_ack(p["ack"]) == 4000 for p in g))
    full = [p for p in got if c.rel_ack(p["ack"]) == 4000]
    o["C fills: ack, sack"] = (4000, rel_sack(c, full[0])) if full else None
    out += c.take(got)
    if got:
        c.send(ACK)
    out += c.echo(4000 - len(out))
    o["echoed in order"] = out == msg
    c.reset()
    return o


def x_zero_window(c):
    msg = bytes(random.getrandbits(8) for _ in range(2000))
    c.push(msg[:1000], win=0, flags=ACK)
    c.push(msg[1000:], win=0)
    una = c.rcv_nxt
    o, probes, t0, t_end = {}, [], time.monotonic(), time.monotonic() + 3.5
    while time.monotonic() < t_end:
        got = c.collect(t_end - time.monotonic(), lambda g, t: bool(g))
        for p in got:
            if p["seq"] != una or p["len"]:
                probes.append((time.monotonic() - t0, (p["seq"] - una) % M32 if p["seq"] != una
                               else 0, p["len"]))
            # a zero-window receiver drops what it gets and ACKs RCV.NXT
            c.send(ACK, win=0)
    o["probes: first"] = timing(probes[0][0]) if probes else "none"
    o["probes: at least 3 in 3.5 s"] = len(probes) >= 3
    o["probe: seq - SND.UNA, len"] = (
        "SND.UNA-1, 0" if probes and probes[0][1] == M32 - 1 and probes[0][2] == 0
        else "SND.UNA, 1" if probes and probes[0][1] == 0 and probes[0][2] == 1
        else str(probes[:1]))
    gaps = [b[0] - a[0] for a, b in zip(probes, probes[1:])]
    o["probes: each gap at least 1.5x the one before"] = bool(gaps) and all(
        b >= 1.5 * a for a, b in zip(gaps, gaps[1:]))
    # the window update: the echo goes out at once
    c.send(ACK)
    got = c.collect(1.0, lambda g, t: any(p["len"] for p in g))
    first = data_segs(got)
    o["window update: data"] = (timing(first[0]["t"]), c.rel_seq(first[0]["seq"])) if first else None
    out = c.take(got)
    if out:
        c.send(ACK)
    out += c.echo(2000 - len(out))
    o["echoed in order"] = out == msg
    c.reset()
    return o


def x_window_full(c):
    """The client stops reading (advertises 0) and sends as far as the
    server's window lets it: the server's application cannot write the
    echo back, so its window must close (below one segment). Then the
    client reads: the server's window opens again at once and the echo
    comes back whole. Linux's server here has 4 KiB socket buffers (it
    still takes about 64 KiB: what it cannot send grows its last unsent
    skb, which tcp_sendmsg() does not hold to the buffer); tern's echo
    ring is 8 KiB."""
    msg = bytes(random.getrandbits(8) for _ in range(120000))
    ws = c.synack.get("ws", 0)
    acked, wnd, sent = 0, c.synack["win"], 0
    t_end, last = time.monotonic() + 10, time.monotonic()
    o = {}
    while time.monotonic() < t_end:
        while sent + 1000 <= min(acked + wnd, len(msg)):
            c.push(msg[sent:sent + 1000], win=0)
            sent += 1000
        got = c.collect(0.3, lambda g, t: bool(g))
        for p in got:
            if c.rel_ack(p["ack"]) >= acked:
                if c.rel_ack(p["ack"]) > acked or (p["win"] << ws) != wnd:
                    last = time.monotonic()
                acked, wnd = c.rel_ack(p["ack"]), p["win"] << ws
            if p["seq"] != c.rcv_nxt or p["len"]:
                c.send(ACK, win=0)  # a probe: still closed
        if (acked == sent and wnd < 1000 and time.monotonic() - last > 0.5) or sent == len(msg):
            break
    o["window closed below one segment, all data ACKed"] = acked == sent and wnd < 1000
    o["~bytes taken before it closed"] = sent
    c.send(ACK)
    t0 = time.monotonic()
    out, opened = b"", None
    while (len(out) < sent or opened is None) and time.monotonic() - t0 < 3:
        got = c.collect(0.3, lambda g, t: bool(g))
        for p in got:
            if opened is None and p["win"] << ws >= 1000:
                opened = p["at"] - t0
                o["~window when it opened (bytes)"] = p["win"] << ws
        n = c.take(got)
        out += n
        if n:
            c.send(ACK)
    o["window open again after the client reads"] = timing(opened)
    o["echoed in order"] = out == msg[:sent]
    c.reset()
    return o


def lost_once(c, ack_lost):
    """The server's first data segment is lost (not taken, not ACKed) or
    arrives and its ACK is lost (taken, the ACK carries a D-SACK once the
    copy arrives)."""
    msg = bytes(random.getrandbits(8) for _ in range(1000))
    c.push(msg)
    got = c.collect(2.0, lambda g, t: any(p["len"] for p in g))
    first = data_segs(got)
    if not first:
        return {"first data": None}
    orig = first[0]
    out = c.take([orig]) if ack_lost else b""
    got = c.collect(2.5, lambda g, t: any(p["len"] for p in g))
    again = data_segs(got)
    o = {}
    if again:
        dt = again[0]["at"] - orig["at"]
        o["retransmission: timing"] = timing(dt)
        o["retransmission: same seq, len"] = (again[0]["seq"], again[0]["len"]) == (orig["seq"], orig["len"])
    else:
        o["retransmission: timing"] = "none"
    if ack_lost:
        dup = again[0] if again else orig
        c.send(ACK, sack=[(dup["seq"], dup["seq"] + dup["len"])] if again else ())
        got = c.collect(0.6)
        o["after the D-SACK: segments"] = len(got)
    else:
        out = c.take(again)
        c.send(ACK)
        got = c.collect(0.6)
        o["after the ACK: segments"] = len(got)
    o["echoed"] = out == msg
    c.reset()
    return o


def x_data_lost(c):
    return lost_once(c, False)


def x_ack_lost(c):
    return lost_once(c, True)


def new_after(got, fins):
    """got without copies of the FIN seen (a loaded machine can be slower
    than the RTO to ACK it)."""
    return [p for p in got if not (fins and p["flags"] & FIN and p["seq"] == fins[0]["seq"])]


def fin_exchange(c, data):
    """Client FIN (with data or not): the server ACKs it, echoes, sends
    its FIN right after the data; the client ACKs; nothing follows."""
    c.push(data, flags=ACK | FIN | (PSH if data else 0))
    got = c.collect(2.0, lambda g, t: any(p["flags"] & FIN for p in g))
    out = c.take(got)
    fins = [p for p in got if p["flags"] & FIN]
    o = {"FIN ACKed": any(c.rel_ack(p["ack"]) == len(data) + 1 for p in got),
         "server FIN at seq": c.rel_seq(fins[0]["seq"]) + fins[0]["len"] if fins else None,
         "echoed": out == data}
    c.send(ACK)
    o["after the last ACK: segments"] = len(new_after(c.collect(0.6), fins))
    return o


def x_client_fin(c):
    return fin_exchange(c, b"")


def x_fin_with_data(c):
    return fin_exchange(c, bytes(random.getrandbits(8) for _ in range(500)))


def x_rst_established(c):
    msg = b"x" * 100
    c.push(msg)
    out = c.echo(100)
    c.send(RST)
    o = {"echoed": out == msg, "after the RST: segments": len(c.collect(0.4))}
    c.push(b"y" * 10)
    got = c.collect(1.0, lambda g, t: bool(g))
    o["data after the RST: reply"] = flags_str(got[0]["flags"]) if got else "none"
    o["reply seq is the data's ACK"] = bool(got) and got[0]["seq"] == c.rcv_nxt
    return o


def x_rst_in_window(c):
    """An RST inside the window but not at RCV.NXT: a challenge ACK (RFC
    5961 section 3.2, Linux tcp_validate_incoming) and the connection
    stays."""
    c.send(RST, seq=(c.snd_nxt + 100) % M32)
    got = c.collect(1.0, lambda g, t: bool(g))
    o = {"reply": flags_str(got[0]["flags"]) if got else "none",
         "reply acks RCV.NXT": bool(got) and c.rel_ack(got[0]["ack"]) == 0}
    msg = b"z" * 100
    c.push(msg)
    o["echoed after"] = c.echo(100) == msg
    c.reset()
    return o


def server_closes(c, crossing):
    """An HTTP request with Connection: close; the server answers and
    sends the first FIN. The client ACKs it and then sends its FIN, or
    (crossing) sends its FIN without ACKing the server's and ACKs only
    0.6 s later, so the server goes through CLOSING."""
    c.push(HTTP_REQ)
    got = c.collect(2.0, lambda g, t: any(p["flags"] & FIN for p in g))
    fins = [p for p in got if p["flags"] & FIN]
    resp = c.take(got)
    o = {"response": resp.startswith(b"HTTP/1.1 200"),
         "server FIN right after the response": bool(fins) and
         c.rel_seq(fins[0]["seq"]) + fins[0]["len"] == len(resp)}
    if not fins:
        return o
    fin_end = c.rcv_nxt
    fin_rel = c.rel_seq(fin_end)
    if crossing:
        c.rcv_nxt = (fin_end - 1) % M32
    c.push(b"", flags=ACK | FIN)
    got = c.collect(0.6 if crossing else 1.0)
    acks = [p for p in got if not p["flags"] & FIN and c.rel_ack(p["ack"]) == len(HTTP_REQ) + 1]
    o["ACK of the client FIN: seq - server FIN end"] = (
        (c.rel_seq(acks[0]["seq"]) - fin_rel, timing(acks[0]["t"])) if acks else None)
    if crossing:
        o["FIN again before the ACK"] = timing(
            next((p["t"] for p in got if p["flags"] & FIN), None))
        c.rcv_nxt = fin_end
        c.send(ACK)
        got = c.collect(0.6)
    o["segments besides that ACK"] = len([p for p in new_after(got, fins)
                                          if not acks or p is not acks[0]])
    return o


def x_server_fin(c):
    return server_closes(c, False)


def x_simultaneous(c):
    return server_closes(c, True)


# What Linux must show for the script to be doing what it says.
SANE = {
    "echoed in order": True, "echoed": True, "echoed after": True, "response": True,
    "probes: at least 3 in 3.5 s": True, "retransmission: same seq, len": True,
    "FIN ACKed": True, "server FIN right after the response": True,
    "window closed below one segment, all data ACKed": True,
}
# Exchanges whose Linux server is another one, on LPORT + 1.
LINUX_NEXT_PORT = {"window_full"}
EXCHANGES = {
    "echo": [("inorder", x_inorder), ("ooo_sack", x_ooo_sack),
             ("zero_window", x_zero_window), ("window_full", x_window_full),
             ("data_lost", x_data_lost),
             ("ack_lost", x_ack_lost), ("client_fin", x_client_fin),
             ("fin_with_data", x_fin_with_data), ("rst_established", x_rst_established),
             ("rst_in_window", x_rst_in_window)],
    "close": [("server_fin", x_server_fin), ("simultaneous", x_simultaneous)],
}


def tern_comment(prefix):
    """True if a `tern:` comment starting with prefix is in user/."""
    r = subprocess.run(["grep", "-rqF", prefix, os.path.join(srcdir, "user")])
    return r.returncode == 0


def run(io, name, fn, dport, sport):
    c = Conn(io, dport, sport)
    if not c.open():
        return None
    return fn(c)


def main():
    io = (Capture(dev), Sender(dev))
    seed = int(os.environ.get("TERN_TEST_SEED", random.randrange(1 << 30)))
    random.seed(seed)
    base = 30000 + (os.getpid() % 500) * 60 + (0 if phase == "echo" else 30)
    failed, names = [], [(n, f) for n, f in EXCHANGES[phase] if not only or n in only]
    print("datapath %s: seed %d (TERN_TEST_SEED)" % (phase, seed))
    for i, (name, fn) in enumerate(names):
        t0 = time.monotonic()
        lin = run(io, name, fn, LPORT + (name in LINUX_NEXT_PORT), base + 2 * i + 1)
        ter = run(io, name, fn, PORT, base + 2 * i)
        took = time.monotonic() - t0
        errs, notes = [], []
        if lin is None:
            errs.append("no handshake with Linux")
        if ter is None:
            errs.append("no handshake with tern")
        for k in sorted(set(lin or {}) | set(ter or {})) if lin and ter else []:
            lv, tv = lin.get(k), ter.get(k)
            if k in SANE and lv != SANE[k]:
                errs.append("the script: Linux %s = %r, expected %r" % (k, lv, SANE[k]))
            line = "       %-48s Linux %-24s tern %s" % (k, lv, tv)
            allowed = ALLOWED.get((name, k))
            if lv == tv or k.startswith("~"):
                notes.append(line + ("  (printed, not compared)" if k.startswith("~") else ""))
            elif allowed and tv == allowed[2] and tern_comment(allowed[0]):
                notes.append(line + "\n         ALLOWED: " + allowed[1] + " (" + allowed[0] + ")")
            elif allowed and tv == allowed[2]:
                errs.append("%s: allowed difference without its comment %r" % (k, allowed[0]))
            else:
                errs.append("%s: tern %r, Linux %r" % (k, tv, lv))
        print("%-4s %s" % ("ok" if not errs else "FAIL", name))
        print("       (both runs: %.1f s)" % took)
        for n in notes:
            print(n)
        for e in errs:
            print("       " + e)
        if errs:
            failed.append(name)
    print("datapath %s exchanges: %d, failed: %d %s" % (phase, len(names), len(failed),
                                                        " ".join(failed)))
    sys.exit(1 if failed else 0)


main()
