#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Helpers of the network benchmarks (tools/bench/bench_net.sh).

  nethelp.py listen ADDR PORT MODE READY_FILE
      A Linux TCP listener (backlog 2^21, capped by net.core.somaxconn).
      MODE close: accept and close every connection; hold: never accept, so
      established connections stay in the accept queue (no descriptor per
      connection: RLIMIT_NOFILE cannot be raised to 1 M everywhere); echo:
      send back what each connection sends, close when it closes.
      READY_FILE is created once listening. Ends on SIGTERM.
  nethelp.py clients ADDR PORT N RATE TIMEOUT_S
      N real (Linux stack) connects started at RATE per second, each with
      a connect timeout; prints "ok=.. n=.. p50_ms=.. p99_ms=.. max_ms=..".
  nethelp.py nconns CTL_SOCKET
      Established connections of a tern daemon (control socket "stats").
  nethelp.py get ADDR PORT PATH N RUNS [WARMUP]
      WARMUP GETs first (default 0), not counted, then
      RUNS runs of N HTTP/1.1 GETs one after the other, each on a new
      connection ("Connection: close", read to the end); prints "ok=.. n=..
      mibps=.. mibps_min=.. mibps_max=.. p50_ms=.. p99_ms=.. over150=..
      over900=.. resets=.. errors=..": MiB/s per run (body bytes / run
      time; median, min, max), the latency of one GET, connect to last
      byte, over all runs, and how many GETs took over 150 ms (about an
      RTO: 200 ms) and over 900 ms (about a handshake retransmission: 1 s).
  nethelp.py getdist ADDR PORT PATH N OUT_FILE
      N GETs as `get` does, one after the other; writes "LOCAL_PORT MS" (MS
      -1 for a GET that failed) per GET to OUT_FILE and prints "ok=.. n=..
      p50_ms=.. p99_ms=.. max_ms=.. over5=.. over150=.. over900=..
      over1900=..": how many GETs took more than 5, 150, 900, 1,900 ms.
  nethelp.py transfers ADDR PORT N READY_FILE
      N connections to an echo server (10 s timeouts), opened before
      READY_FILE is created, then 16 KiB round trips on each in turn until
      SIGTERM; prints
      "conns=.. rounds=.. resets=.. errors=..". A connection that fails is
      not reopened.
  nethelp.py rtt ADDR PORT N
      N connects to a port nobody listens on, each answered by a RST: the
      round-trip time without a server; prints "ok=.. n=.. p50_ms=..
      max_ms=.." (ok: the connects refused as expected).
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
    if mode == "echo":
        return echo_serve(s, stop)
    while not stop:
        if mode == "hold":
            time.sleep(0.2)
            continue
        try:
            s.accept()[0].close()
        except (socket.timeout, InterruptedError):
            pass
    return 0


def echo_serve(ls, stop):
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    while not stop:
        for key, _ in sel.select(0.2):
            if key.fileobj is ls:
                try:
                    c = ls.accept()[0]
                except (BlockingIOError, InterruptedError):
                    continue
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ)
                continue
            c = key.fileobj
            try:
                b = c.recv(65536)
                if b:
                    c.setblocking(True)
                    c.sendall(b)
                    c.setblocking(False)
                    continue
            except OSError:
                pass
            sel.unregister(c)
            c.close()
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


def get_req(addr, path):
    """An HTTP/1.1 GET of path that asks the server to close."""
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, addr)).encode()


def get_one(addr, port, req, buf, ports=None):
    """One GET on a new connection: (body bytes, seconds), or raises.
    The connection's local port is appended to PORTS when given."""
    t0 = time.monotonic()
    c = socket.create_connection((addr, port), timeout=10)
    if ports is not None:
        ports.append(c.getsockname()[1])
    try:
        c.sendall(req)
        got, head, clen = 0, b"", None
        while True:
            n = c.recv_into(buf)
            if not n:
                break
            if clen is None:
                head += bytes(buf[:n])
                end = head.find(b"\r\n\r\n")
                if end < 0:
                    continue
                for line in head[:end].split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        clen = int(v)
                if not head.startswith(b"HTTP/1.1 200") or clen is None:
                    raise OSError("bad response: %r" % head[:40])
                got = len(head) - end - 4
                head = b""
            else:
                got += n
    finally:
        c.close()
    if clen is None or got != clen:
        raise OSError("short body: %s of %s" % (got, clen))
    return got, time.monotonic() - t0


def get(addr, port, path, n, runs, warmup="0"):
    n, runs, port = int(n), int(runs), int(port)
    req = get_req(addr, path)
    buf = bytearray(1 << 18)
    lat, rates, resets, errors = [], [], 0, 0
    for _ in range(int(warmup)):
        try:
            get_one(addr, port, req, buf)
        except OSError:
            pass  # not counted: only the runs are
    for _ in range(runs):
        nbytes, t0 = 0, time.monotonic()
        for _ in range(n):
            try:
                b, dt = get_one(addr, port, req, buf)
            except ConnectionResetError:
                resets += 1
                continue
            except OSError:
                errors += 1
                continue
            nbytes += b
            lat.append(dt * 1000)
        rates.append(nbytes / (1 << 20) / (time.monotonic() - t0))
    lat.sort()
    rates.sort()
    print("ok=%d n=%d mibps=%.1f mibps_min=%.1f mibps_max=%.1f p50_ms=%.2f p99_ms=%.2f "
          "over150=%d over900=%d resets=%d errors=%d" % (
              len(lat), n * runs, rates[len(rates) // 2], rates[0], rates[-1],
              pct(lat, 0.50), pct(lat, 0.99), sum(x > 150 for x in lat),
              sum(x > 900 for x in lat), resets, errors))
    return 0


def getdist(addr, port, path, n, out):
    n, port = int(n), int(port)
    req = get_req(addr, path)
    buf = bytearray(1 << 18)
    lat, rows = [], []
    for _ in range(n):
        ports = []
        try:
            _, dt = get_one(addr, port, req, buf, ports)
            lat.append(dt * 1000)
            rows.append("%d %.3f" % (ports[0] if ports else 0, dt * 1000))
        except OSError:
            rows.append("%d -1" % (ports[0] if ports else 0))
    with open(out, "w") as f:
        f.write("\n".join(rows) + "\n")
    lat.sort()
    over = " ".join("over%d=%d" % (t, sum(1 for v in lat if v > t)) for t in (5, 150, 900, 1900))
    print("ok=%d n=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f %s" % (
        len(lat), n, pct(lat, 0.50), pct(lat, 0.99), lat[-1] if lat else float("nan"), over))
    return 0


def transfers(addr, port, n, ready):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    conns = []
    for _ in range(int(n)):
        c = socket.create_connection((addr, int(port)), timeout=10)
        c.settimeout(10)
        conns.append(c)
    open(ready, "w").close()
    msg, buf = b"x" * 16384, bytearray(16384)
    rounds = resets = errors = 0
    while not stop and conns:
        for c in list(conns):
            if stop:
                break
            try:
                c.sendall(msg)
                got = 0
                while got < len(msg):
                    k = c.recv_into(memoryview(buf)[got:])
                    if not k:
                        raise OSError("closed")
                    got += k
                rounds += 1
            except ConnectionResetError:
                resets += 1
                conns.remove(c)
            except InterruptedError:
                pass
            except OSError:
                errors += 1
                conns.remove(c)
    print("conns=%s rounds=%d resets=%d errors=%d" % (n, rounds, resets, errors))
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


def rtt(addr, port, n):
    lat = []
    for _ in range(int(n)):
        t0 = time.monotonic()
        try:
            socket.create_connection((addr, int(port)), timeout=5).close()
        except ConnectionRefusedError:
            lat.append((time.monotonic() - t0) * 1000)
        except OSError:
            pass
    lat.sort()
    print("ok=%d n=%s p50_ms=%.2f max_ms=%.2f" % (
        len(lat), n, pct(lat, 0.50), lat[-1] if lat else float("nan")))
    return 0 if lat else 1


def main():
    cmds = {"rtt": (rtt, 3), "listen": (listen, 4), "clients": (clients, 5), "nconns": (nconns, 1),
            "get": (get, 5, 6), "getdist": (getdist, 5), "transfers": (transfers, 4)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or \
            not cmds[sys.argv[1]][1] <= len(sys.argv) - 2 <= cmds[sys.argv[1]][-1]:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[sys.argv[1]][0](*sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
