# SPDX-License-Identifier: BSD-2-Clause
"""Clients for the bgp suite (test_bgp.sh), run in the client namespace.

  bgp_client.py spread HOST PORT N
      N echo connections one after another; prints how many echoed right
      and fails unless all did.
  bgp_client.py loop HOST PORT DIR
      echo connections one after another until DIR/stop exists, each
      connect bounded by 0.9 s, under the first SYN retransmission (1 s):
      a SYN dropped anywhere counts as a timeout, not as a slow success.
      Writes "OK RESET TIMEOUT OTHER" to DIR/result.
  bgp_client.py hold HOST PORT N DIR WAIT
      opens N connections, writes their local ports to DIR/ports, waits for
      DIR/go, then echoes once on every one (all must echo). The first half
      then closes (shutdown, the echo's EOF); the second half waits up to
      WAIT seconds for the peer's FIN. Writes "PORT eof|open|reset" lines
      (second half) to DIR/states and "done" to DIR/held.
"""
import os, socket, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkt import echo_ok, read_all  # noqa: E402


def spread(host, port, n):
    ok, errs = 0, {}
    for _ in range(int(n)):
        try:
            ok += echo_ok(host, int(port), timeout=5)
        except OSError as e:
            errs[type(e).__name__] = errs.get(type(e).__name__, 0) + 1
    print("    spread: %d/%s echo connections%s" % (ok, n, " errors: %s" % errs if errs else ""))
    sys.exit(0 if ok == int(n) else 1)


def one(host, port):
    data = os.urandom(64)
    s = socket.socket()
    s.settimeout(0.9)
    try:
        s.connect((host, port))
        s.settimeout(5)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        return read_all(s) == data
    finally:
        s.close()


def loop(host, port, d):
    n = {"ok": 0, "reset": 0, "timeout": 0, "other": 0}
    while not os.path.exists(os.path.join(d, "stop")):
        try:
            n["ok" if one(host, int(port)) else "other"] += 1
        except (ConnectionResetError, ConnectionRefusedError):
            n["reset"] += 1
        except socket.timeout:
            n["timeout"] += 1
        except OSError:
            n["other"] += 1
    with open(os.path.join(d, "result"), "w") as f:
        f.write("%(ok)d %(reset)d %(timeout)d %(other)d\n" % n)


def wait_file(path, limit):
    end = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > end:
            sys.exit("no %s after %s s" % (path, limit))
        time.sleep(0.02)


def hold(host, port, n, d, wait):
    socks = [socket.create_connection((host, int(port)), timeout=5) for _ in range(int(n))]
    with open(os.path.join(d, "ports.tmp"), "w") as f:
        f.write("".join("%d\n" % s.getsockname()[1] for s in socks))
    os.rename(os.path.join(d, "ports.tmp"), os.path.join(d, "ports"))
    wait_file(os.path.join(d, "go"), 60)
    bad = 0
    for s in socks:
        data = os.urandom(32)
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            b = s.recv(len(data) - len(got))
            if not b:
                break
            got += b
        bad += got != data
    half = len(socks) // 2
    for s in socks[:half]:
        s.shutdown(socket.SHUT_WR)
        bad += read_all(s) != b""
        s.close()
    states = []
    end = time.monotonic() + float(wait)
    for s in socks[half:]:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            st = "eof" if s.recv(1) == b"" else "data"
        except socket.timeout:
            st = "open"
        except OSError:
            st = "reset"
        states.append("%d %s\n" % (s.getsockname()[1], st))
        s.close()
    with open(os.path.join(d, "states"), "w") as f:
        f.write("".join(states))
    with open(os.path.join(d, "held"), "w") as f:
        f.write("done\n")
    if bad:
        sys.exit("%d held connections did not echo or close cleanly" % bad)


if __name__ == "__main__":
    {"spread": spread, "loop": loop, "hold": hold}[sys.argv[1]](*sys.argv[2:])
