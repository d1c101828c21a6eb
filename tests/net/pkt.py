# SPDX-License-Identifier: BSD-2-Clause
"""Raw Ethernet frames for the robustness suites (stdlib only).

Builders take every field that a malformed-packet class may want to get
wrong (versions, lengths, checksums, flags, options) and default to a
well-formed frame. Frames go out through an AF_PACKET socket, so the
client kernel fixes nothing up. `Capture` reads the frames the server
sends back on the client veth; `parse` decodes one into a dict.
"""
import json, os, select, socket, struct, time

ETH_P_ALL, ETH_P_IP, ETH_P_IPV6, ETH_P_8021Q = 0x0003, 0x0800, 0x86dd, 0x8100
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 1, 2, 4, 8, 16, 32, 64, 128
M32 = 2**32


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def addr(a):
    return socket.inet_pton(socket.AF_INET6 if ":" in a else socket.AF_INET, a)


def opt_mss(v=1460):
    return struct.pack("!BBH", 2, 4, v)


def opt_ws(v=7):
    return struct.pack("!BBB", 3, 3, v)


def opt_ts(val=1, ecr=0):
    return struct.pack("!BBII", 8, 10, val, ecr)


def pad4(opts):
    return opts + b"\x01" * (-len(opts) % 4)


def tcp(src, dst, sport, dport, flags, seq=1000, ack=0, win=65535, opts=b"",
        data=b"", doff=None, bad_csum=False, l4_len=None):
    """src/dst are packed addresses (4 or 16 bytes): they pick the
    pseudo-header. l4_len overrides the pseudo-header length."""
    hl = 20 + len(opts)
    doff = hl // 4 if doff is None else doff
    h = struct.pack("!HHIIBBHHH", sport, dport, seq % M32, ack % M32, (doff & 15) << 4,
                    flags & 0xff, win, 0, 0) + opts + data
    n = len(h) if l4_len is None else l4_len
    if len(src) == 4:
        ph = src + dst + struct.pack("!BBH", 0, 6, n)
    else:
        ph = src + dst + struct.pack("!IxxxB", n, 6)
    c = csum(ph + h)
    if bad_csum:
        c ^= 0x5a5a
    return h[:16] + struct.pack("!H", c) + h[18:]


def ip4(src, dst, payload, ihl=5, tot=None, frag=0x4000, proto=6, ver=4, ttl=64,
        bad_csum=False, opts=b""):
    tot = 4 * max(ihl, 5) + len(payload) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", (ver << 4) | (ihl & 15), 0, tot & 0xffff, 1, frag,
                    ttl, proto, 0, src, dst) + opts
    c = csum(h)
    if bad_csum:
        c ^= 0x5a5a
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def ip6(src, dst, payload, nh=6, plen=None, ver=6, hlim=64):
    plen = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", ver << 28, plen & 0xffff, nh, hlim, src, dst) + payload


def ext6(nh, body=b"\x01\x04\0\0\0\0"):
    """A generic IPv6 extension header (hop-by-hop, routing, destination
    options) carrying body (PadN by default), 8-byte aligned."""
    b = body + b"\0" * (-(len(body) + 2) % 8)
    return bytes([nh, (len(b) + 2) // 8 - 1]) + b


def frag6(nh, off=0, more=True, ident=1):
    return struct.pack("!BBHI", nh, 0, (off << 3) | (1 if more else 0), ident)


def eth(dst, src, proto, payload, vlans=()):
    tags = b"".join(struct.pack("!HH", ETH_P_8021Q, v) for v in vlans)
    return dst + src + tags + struct.pack("!H", proto) + payload


def parse(f):
    """A frame as a dict (None if it is not TCP over IPv4/IPv6)."""
    if len(f) < 14:
        return None
    vlans, off = [], 12
    proto = struct.unpack("!H", f[off:off + 2])[0]
    while proto == ETH_P_8021Q and len(f) >= off + 6:
        vlans.append(struct.unpack("!H", f[off + 2:off + 4])[0] & 0xfff)
        off += 4
        proto = struct.unpack("!H", f[off:off + 2])[0]
    ip = f[off + 2:]
    if proto == ETH_P_IP and len(ip) >= 20 and ip[9] == 6:
        ihl = (ip[0] & 15) * 4
        fam, src, dst, l4 = 4, ip[12:16], ip[16:20], ip[ihl:struct.unpack("!H", ip[2:4])[0]]
    elif proto == ETH_P_IPV6 and len(ip) >= 40 and ip[6] == 6:
        fam, src, dst, l4 = 6, ip[8:24], ip[24:40], ip[40:40 + struct.unpack("!H", ip[4:6])[0]]
    else:
        return None
    if len(l4) < 20:
        return None
    sport, dport, seq, ack, doff, flags, win = struct.unpack("!HHIIBBH", l4[:16])
    hl = (doff >> 4) * 4
    return {"fam": fam, "src": src, "dst": dst, "sport": sport, "dport": dport,
            "seq": seq, "ack": ack, "flags": flags, "win": win, "vlans": vlans,
            "opts": opt_kinds(l4[20:hl]), "len": len(l4) - hl, "optb": l4[20:hl],
            "data": l4[hl:]}


def opt_kinds(o):
    kinds, i = [], 0
    while i < len(o):
        if o[i] == 0:
            break
        if o[i] == 1:
            i += 1
            continue
        if i + 1 >= len(o) or o[i + 1] < 2:
            break
        kinds.append(o[i])
        i += o[i + 1]
    return sorted(kinds)


def flags_str(fl):
    return "".join(c for b, c in zip((SYN, ACK, RST, FIN, PSH, URG), "SARFPU") if fl & b) or "."


SOL_PACKET, PACKET_AUXDATA, PACKET_VNET_HDR, TP_STATUS_VLAN_VALID = 263, 8, 15, 0x10


class Capture:
    """Incoming frames on dev (what the other end of the veth sent). A VLAN
    tag the receive path took out of the frame comes back from the
    auxiliary data into p["vlans"]. With vnet, each frame's virtio_net_hdr
    (PACKET_VNET_HDR) gives p["gso_size"]: the segment size of a GSO frame
    (tern --tx-gso) that no device cut up on the way, 0 for a plain one."""

    def __init__(self, dev, vnet=False):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.vnet = vnet
        if vnet:
            self.s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
        self.s.bind((dev, 0))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)

    def drain(self):
        while select.select([self.s], [], [], 0)[0]:
            self.s.recv(65536)

    def collect(self, secs, want, enough=None):
        """Parsed incoming TCP frames for which want(p) is true, for secs,
        or until enough(got, seconds so far) is true."""
        t0 = time.monotonic()
        end, got = t0 + secs, []
        while True:
            left = end - time.monotonic()
            if left <= 0 or (enough and enough(got, time.monotonic() - t0)):
                return got
            left = min(left, 0.05) if enough else left
            if not select.select([self.s], [], [], left)[0]:
                continue
            f, anc, _, a = self.s.recvmsg(65536 + 256, 64)
            if a[2] == socket.PACKET_OUTGOING:
                continue
            gso = 0
            if self.vnet:
                gso = struct.unpack("<H", f[4:6])[0] if f[1] else 0
                f = f[10:]
            p = parse(f)
            if not p:
                continue
            p["gso_size"] = gso
            p["at"] = time.monotonic()
            for lvl, typ, d in anc:
                if lvl == SOL_PACKET and typ == PACKET_AUXDATA and len(d) >= 20:
                    st, tci = struct.unpack("I", d[:4])[0], struct.unpack("H", d[16:18])[0]
                    if st & TP_STATUS_VLAN_VALID:
                        p["vlans"].insert(0, tci & 0xfff)
            if want(p):
                got.append(p)


class Sender:
    def __init__(self, dev):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.s.bind((dev, 0))

    def send(self, frame):
        self.s.send(frame)


def read_all(s):
    """Everything s receives until the peer closes."""
    out = []
    while True:
        b = s.recv(65536)
        if not b:
            return b"".join(out)
        out.append(b)


def ctl(path, req):
    """One control-socket request; the reply after "ok\\n"."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(req.encode() + b"\n")
    out = read_all(s).decode()
    s.close()
    if not out.startswith("ok\n"):
        raise RuntimeError("ctl %s: %s" % (req, out.strip()))
    return out[3:]


def stats(path):
    return json.loads(ctl(path, "stats"))


def counters(path):
    """Flat counters: xdp:Name, mib:Name, parse:Name (summed over queues)."""
    s = stats(path)
    c = {"xdp:" + k: v for k, v in s["xdp"].items()}
    c.update({"mib:" + k: v for k, v in s["total"]["mib"].items()})
    for q in s["queues"]:
        for k, v in q["parse_drops"].items():
            c["parse:" + k] = c.get("parse:" + k, 0) + v
    return c


def snmp(pid):
    """The kernel's IP/TCP counters in the network namespace of pid, as
    snmp:Group.Name (from /proc/PID/net/snmp, snmp6 and netstat)."""
    c = {}
    for name in ("snmp", "netstat"):
        with open("/proc/%d/net/%s" % (pid, name)) as f:
            lines = f.read().split("\n")
        for h, v in zip(lines[0::2], lines[1::2]):
            if not h:
                continue
            g, keys = h.split(":", 1)
            for k, x in zip(keys.split(), v.split(":", 1)[1].split()):
                c["snmp:%s.%s" % (g, k)] = int(x)
    with open("/proc/%d/net/snmp6" % pid) as f:
        for line in f:
            k, v = line.split()
            c["snmp:" + k] = int(v)
    return c


def delta(a, b):
    return {k: b[k] - a.get(k, 0) for k in b if b[k] != a.get(k, 0)}


def echo_ok(host, port, n=64, timeout=5):
    data = os.urandom(n)
    s = socket.create_connection((host, port), timeout=timeout)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = read_all(s)
    s.close()
    return got == data
