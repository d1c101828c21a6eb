#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The packet timeline of HTTP GETs in a pcap taken on the client's side.

For every connection to PORT (IPv4, Ethernet, any snap length): the time
from SYN to request, to first and last body byte, the server's data
segments, the client's ACKs (segments per ACK), the server's bursts (runs
of data segments with no client packet between), idle gaps over GAP_US
between data segments with the bytes in flight when each began, and the
segments sent within one MSS of the client's advertised right edge
(receive-window limited). Prints one line per connection, then medians.
Prints, never asserts.
  tools/bench/gets_pcap.py PCAP [PORT [GAP_US]]
"""
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise SystemExit("Error: %s: not a little-endian pcap file" % path)
    div = 1e9 if magic == 0xA1B23C4D else 1e6
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        off += 16
        yield sec + frac / div, data[off:off + incl]
        off += incl


def tcp(frame):
    """The TCP segment of an IPv4 frame, as a dict, or None."""
    if len(frame) < 34 or struct.unpack("!H", frame[12:14])[0] != 0x0800:
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 6 or len(ip) < ihl + 20:
        return None
    total = struct.unpack("!H", ip[2:4])[0]
    th = ip[ihl:]
    sport, dport, seq, ack, doff, flags, win = struct.unpack("!HHIIBBH", th[:16])
    doff = (doff >> 4) * 4
    ws = None
    opts = th[20:doff]
    i = 0
    while i < len(opts) and opts[i] != 0:
        if opts[i] == 1:
            i += 1
            continue
        if i + 1 >= len(opts):
            break
        if opts[i] == 3 and i + 2 < len(opts):
            ws = opts[i + 2]
        i += max(opts[i + 1], 2)
    return {"sport": sport, "dport": dport, "seq": seq, "ack": ack, "flags": flags,
            "win": win, "len": total - ihl - doff, "ws": ws}


def after(a, b):
    """Sequence number a is after b (RFC 1982: never when a == b)."""
    return 0 < ((a - b) & 0xFFFFFFFF) < 0x80000000


def analyse(pkts, gap_s):
    """One connection's packets [(t, seg)] -> dict of figures, or None."""
    t0 = pkts[0][0]
    syn = pkts[0][1]
    if syn["flags"] & 0x12 != 0x02:
        return None
    cws = syn["ws"] or 0
    req = first = last = None
    acks = segs = bursts = rwnd = 0
    una = hi = edge = None
    prev_data = None
    prev_srv = False
    gaps = []
    for t, s in pkts:
        srv = s["sport"] != syn["sport"]
        data = srv and s["len"] > 0
        if srv and s["flags"] & 0x12 == 0x12:
            una = hi = (s["seq"] + 1) & 0xFFFFFFFF
        if not srv:
            if s["len"] > 0 and req is None:
                req = t
            if s["flags"] & 0x10 and una is not None:
                if s["len"] == 0 and not s["flags"] & 0x05 and s["ack"] != una:
                    acks += 1
                if after(s["ack"], una):
                    una = s["ack"]
                edge = (s["ack"] + (s["win"] << cws)) & 0xFFFFFFFF
        if data and una is not None:
            end = (s["seq"] + s["len"]) & 0xFFFFFFFF
            segs += 1
            if first is None:
                first = t
            last = t
            if prev_data is not None and t - prev_data > gap_s:
                gaps.append((t - prev_data, (hi - una) & 0xFFFFFFFF))
            prev_data = t
            if after(end, hi):
                hi = end
            if edge is not None and not after((edge - 1448) & 0xFFFFFFFF, end):
                rwnd += 1
            if not prev_srv:
                bursts += 1
        prev_srv = data
    if not segs or req is None:
        return None
    return {"req_ms": (req - t0) * 1e3, "ttfb_ms": (first - req) * 1e3,
            "body_ms": (last - first) * 1e3, "segs": segs, "acks": acks,
            "bursts": bursts, "rwnd_limited": rwnd, "gaps": len(gaps),
            "gap_ms": sum(g for g, _ in gaps) * 1e3,
            "gaps_idle": sum(1 for _, f in gaps if f == 0)}


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if v else float("nan")


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 80
    gap_s = (float(sys.argv[3]) if len(sys.argv) > 3 else 50) / 1e6
    conns = {}
    for t, frame in frames(sys.argv[1]):
        s = tcp(frame)
        if s and port in (s["sport"], s["dport"]):
            key = s["dport"] if s["sport"] == port else s["sport"]
            conns.setdefault(key, []).append((t, s))
    rows = [r for r in (analyse(p, gap_s) for p in conns.values()) if r]
    keys = ["req_ms", "ttfb_ms", "body_ms", "segs", "acks", "bursts", "rwnd_limited",
            "gaps", "gap_ms", "gaps_idle"]
    for r in rows:
        print(" ".join("%s=%s" % (k, round(r[k], 3)) for k in keys))
    if rows:
        med = {k: median([r[k] for r in rows]) for k in keys}
        print("median of %d: %s segs_per_ack=%.2f segs_per_burst=%.2f" % (
            len(rows), " ".join("%s=%s" % (k, round(med[k], 3)) for k in keys),
            med["segs"] / max(med["acks"], 1), med["segs"] / max(med["bursts"], 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
