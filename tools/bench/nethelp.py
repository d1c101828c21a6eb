#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Helpers of the network benchmarks (tools/bench/bench_net.sh).

  nethelp.py listen ADDR PORT MODE READY_FILE
      A Linux TCP listener (backlog 2^21, capped by net.core.somaxconn).
      MODE close: accept and close every connection; hold: never accept, so
      established connections stay in the accept queue (no descriptor per
      connection: RLIMIT_NOFILE cannot be raised to 1 M everywhere).
      READY_FILE is created once listening. Ends on SIGTERM.
  nethelp.py clients ADDR PORT N RATE TIMEOUT_S
      N real (Linux stack) connects started at RATE per second, each with
      a connect timeout; prints "ok=.. n=.. p50_ms=.. p99_ms=.. max_ms=..".
  nethelp.py nconns CTL_SOCKET
      Established connections of a tern daemon (control socket "stats").
"""
import json
import selectors
import signal
import socket
import sys
import time


def listen(addr, port, mode, ready):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(1 << 21)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    open(ready, "w").close()
    s.settimeout(0.2)
    while not stop:
        if mode == "hold":
            time.sleep(0.2)
            continue
        try:
            s.accept()[0].close()
        except (socket.timeout, InterruptedError):
            pass
    return 0


def pct(v, p):
    return v[min(len(v) - 1, int(len(v) * p))] if v else float("nan")


def clients(addr, port, n, rate, timeout):
    n, rate, timeout = int(n), float(rate), float(timeout)
    sel = selectors.DefaultSelector()
    lat, started, done, t0 = [], 0, 0, time.monotonic()
    pending = {}
    while done < n:
        now = time.monotonic()
        while started < n and started <= (now - t0) * rate:
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            c.connect_ex((addr, int(port)))
            pending[c] = time.monotonic()
            sel.register(c, selectors.EVENT_WRITE)
            started += 1
        for key, _ in sel.select(0.001):
            c = key.fileobj
            if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                lat.append((time.monotonic() - pending[c]) * 1000)
            sel.unregister(c)
            del pending[c]
            c.close()
            done += 1
        now = time.monotonic()
        for c in [c for c, t in pending.items() if now - t > timeout]:
            sel.unregister(c)
            del pending[c]
            c.close()
            done += 1
    lat.sort()
    print("ok=%d n=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f" % (
        len(lat), n, pct(lat, 0.50), pct(lat, 0.99), lat[-1] if lat else float("nan")))
    return 0


def nconns(ctl):
    s = socket.socket(socket.AF_UNIX)
    s.connect(ctl)
    s.sendall(b"stats\n")
    r = s.makefile().read()
    if not r.startswith("ok\n"):
        print("Error: %s: stats: %s" % (ctl, r.strip()), file=sys.stderr)
        return 1
    print(json.loads(r[3:])["total"]["nconns"])
    return 0


def main():
    cmds = {"listen": (listen, 4), "clients": (clients, 5), "nconns": (nconns, 1)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) != cmds[sys.argv[1]][1] + 2:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[sys.argv[1]][0](*sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
