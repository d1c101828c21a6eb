#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""GETs for loss_ab.sh, and its summary. Prints, never asserts.

  loss_ab.py get ADDR PORT PATH N
      N GETs one after the other (nethelp.py's get_one: a new connection
      each, "Connection: close"); prints "gets_ms=t1,t2,.. failed=F":
      each GET's time, connect to last byte, in ms.
  loss_ab.py summary AB_TXT
      One line per server and loss rate from loss_ab.sh's lines: GETs,
      MiB/s over all of them and the median, least and most of the
      rounds' MiB/s, p50 / p90 GET ms, GETs over 150 ms (about an RTO)
      and over 900 ms (a handshake retransmission: 1 s), and the mean of
      every counter per GET over the rounds; mibps_1s is the rate of the
      GETs under 900 ms (a lost SYN-ACK costs both servers alike).
  loss_ab.py holes PCAP...
      From captures on the client veth (AB_PCAP=1): for every hole in a
      server's data, the time from the first segment above it to the
      retransmission that fills it as the client saw them, and the new
      segments that came in between; percentiles over all the files.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gets_pcap  # noqa: E402
import nethelp  # noqa: E402
from gets_pcap import after  # noqa: E402
from nethelp import pct  # noqa: E402


def get(addr, port, path, n):
    req = nethelp.get_req(addr, path)
    buf = bytearray(1 << 18)
    ms, failed = [], 0
    for _ in range(int(n)):
        try:
            _, dt = nethelp.get_one(addr, int(port), req, buf)
        except OSError:
            failed += 1
            time.sleep(0.1)
            continue
        ms.append("%.3f" % (dt * 1000))
    print("gets_ms=%s failed=%d" % (",".join(ms), failed))
    return 0


def summary(path):
    cells = {}
    for line in open(path):
        kv = dict(w.split("=", 1) for w in line.split()[1:] if "=" in w)
        key = (kv.pop("server"), kv.pop("loss"))
        kv.pop("round", None)
        c = cells.setdefault(key, {"ms": [], "rates": [], "failed": 0, "cnt": {}})
        ms = [float(x) for x in kv.pop("gets_ms").split(",") if x]
        c["ms"] += ms
        c["failed"] += int(kv.pop("failed"))
        if ms:
            c["rates"].append(len(ms) * 1000 / sum(ms))
        for k, v in kv.items():
            c["cnt"].setdefault(k, []).append(float(v))
    for (server, loss), c in sorted(cells.items(), key=lambda i: (i[0][1], i[0][0])):
        ms = sorted(c["ms"])
        r = sorted(c["rates"])
        cnt = " ".join("%s=%.2f" % (k, statistics.mean(v)) for k, v in c["cnt"].items())
        fast = [x for x in ms if x <= 900]
        print("%s %s%%: gets=%d failed=%d mibps_all=%.1f mibps_1s=%.1f mibps_rounds=%.1f "
              "(%.1f-%.1f) p50_ms=%.2f p75_ms=%.2f p90_ms=%.2f over150=%d over900=%d %s" % (
                  server, loss, len(ms), c["failed"], len(ms) * 1000 / sum(ms) if ms else 0,
                  len(fast) * 1000 / sum(fast) if fast else 0,
                  statistics.median(r) if r else 0, r[0] if r else 0, r[-1] if r else 0,
                  pct(ms, 0.5), pct(ms, 0.75), pct(ms, 0.9), sum(x > 150 for x in ms),
                  sum(x > 900 for x in ms), cnt))
    return 0


def conn_holes(pkts, port):
    """One connection's [(t, seg)] -> [(us from the first segment above a
    hole to its retransmission, new segments between)]."""
    out, hi, holes, nsegs = [], None, {}, 0
    for t, s in pkts:
        if s["sport"] != port:
            continue
        if s["flags"] & 0x12 == 0x12:
            hi = (s["seq"] + 1) & 0xFFFFFFFF
            continue
        if not s["len"] or hi is None:
            continue
        nsegs += 1
        seq, end = s["seq"], (s["seq"] + s["len"]) & 0xFFFFFFFF
        if after(seq, hi):
            holes[hi] = (seq, t, nsegs)
        if after(end, hi):
            hi = end
            continue
        for start, (stop, t0, n0) in list(holes.items()):
            if not after(start, seq) and after(stop, seq):
                out.append(((t - t0) * 1e6, nsegs - n0 - 1))
                del holes[start]
                if after(stop, end):
                    holes[end] = (stop, t0, n0)
                break
    return out


def holes(*paths, port=80):
    rows, nconn = [], 0
    for path in paths:
        conns = {}
        for t, frame in gets_pcap.frames(path):
            s = gets_pcap.tcp(frame)
            if s and port in (s["sport"], s["dport"]):
                conns.setdefault(s["dport"] if s["sport"] == port else s["sport"], []).append((t, s))
        nconn += len(conns)
        for pkts in conns.values():
            rows += conn_holes(pkts, port)
    rows.sort()
    us = [r[0] for r in rows]
    segs = sorted(r[1] for r in rows)
    print("holes=%d per_get=%.1f us_p50=%.0f us_p90=%.0f us_p99=%.0f over500us=%d "
          "new_segs_p50=%d new_segs_p90=%d" % (
              len(rows), len(rows) / max(nconn, 1), pct(us, 0.5), pct(us, 0.9), pct(us, 0.99),
              sum(x > 500 for x in us), pct(segs, 0.5), pct(segs, 0.9)))
    return 0


def main():
    args = sys.argv[1:]
    if args[:1] == ["get"] and len(args) == 5:
        return get(*args[1:])
    if args[:1] == ["summary"] and len(args) == 2:
        return summary(args[1])
    if args[:1] == ["holes"] and len(args) > 1:
        return holes(*args[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
