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
      every counter per GET over the rounds.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nethelp  # noqa: E402


def get(addr, port, path, n):
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, addr)).encode()
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


def pct(xs, p):
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


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
        print("%s %s%%: gets=%d failed=%d mibps_all=%.1f mibps_rounds=%.1f (%.1f-%.1f) "
              "p50_ms=%.2f p90_ms=%.2f over150=%d over900=%d %s" % (
                  server, loss, len(ms), c["failed"], len(ms) * 1000 / sum(ms) if ms else 0,
                  statistics.median(r) if r else 0, r[0] if r else 0, r[-1] if r else 0,
                  pct(ms, 0.5), pct(ms, 0.9), sum(x > 150 for x in ms),
                  sum(x > 900 for x in ms), cnt))
    return 0


def main():
    cmds = {"get": (get, 4), "summary": (summary, 1)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) != cmds[sys.argv[1]][1] + 2:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[sys.argv[1]][0](*sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
