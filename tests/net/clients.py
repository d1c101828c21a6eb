# SPDX-License-Identifier: BSD-2-Clause
"""Real clients for the flood, exhaustion and soak suites (client namespace).

  clients.py many HOST PORT N [TIMEOUT [RETRIES [SPREAD]]]
      N echo connections one after another, spread over at least SPREAD
      seconds; prints how many succeeded, and fails unless all did. A
      connection that is reset is tried again up to RETRIES (default 0)
      times, as a real client would.
  clients.py hold DEV HOST PORT DIR
      opens one connection, writes its local port to DIR/port, counts the
      frames tern sends to it until DIR/go exists, then writes the count
      to DIR/replies, checks that the connection still echoes and closes.
"""
import os, socket, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkt import Capture, echo_ok  # noqa: E402


def many(host, port, n, timeout="10", retries="0", spread="0"):
    ok, t0, worst, errs, retried = 0, time.monotonic(), 0.0, {}, 0
    for i in range(int(n)):
        pause = t0 + float(spread) * i / int(n) - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        t = time.monotonic()
        for attempt in range(int(retries) + 1):
            try:
                if echo_ok(host, int(port), timeout=float(timeout)):
                    ok += 1
                else:
                    errs["mismatch"] = errs.get("mismatch", 0) + 1
                break
            except ConnectionResetError as e:
                err = e
                retried += attempt < int(retries)
            except OSError as e:
                err = e
                break
        else:
            errs[type(err).__name__] = errs.get(type(err).__name__, 0) + 1
        worst = max(worst, time.monotonic() - t)
    print("    clients: %d/%s echo connections in %.1f s (slowest %.2f s, %d retried after a reset)%s" % (
        ok, n, time.monotonic() - t0, worst, retried, (" errors %s" % errs) if errs else ""))
    sys.exit(0 if ok == int(n) else 1)


def hold(dev, host, port, d):
    cap = Capture(dev)
    s = socket.create_connection((host, int(port)), timeout=10)
    lport = s.getsockname()[1]
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write("%d\n" % lport)
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    n = 0
    while not os.path.exists(os.path.join(d, "go")):
        n += len(cap.collect(0.2, lambda p: p["dport"] == lport and p["sport"] == int(port)))
    with open(os.path.join(d, "replies"), "w") as f:
        f.write("%d\n" % n)
    data = os.urandom(256)
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        b = s.recv(65536)
        if not b:
            break
        got += b
    s.close()
    if got != data:
        sys.exit("the held connection no longer echoes (%d of %d bytes)" % (len(got), len(data)))


{"many": many, "hold": hold}[sys.argv[1]](*sys.argv[2:])
