# SPDX-License-Identifier: BSD-2-Clause
"""Real clients for the flood, exhaustion and soak suites (client namespace).

  clients.py many HOST PORT N [TIMEOUT [RETRIES [SPREAD]]]
      N echo connections one after another, spread over at least SPREAD
      seconds; prints how many succeeded, and fails unless all did. A
      connection that is reset is tried again up to RETRIES (default 0)
      times, as a real client would.
  clients.py hold DEV HOST PORT DIR
      opens one connection, writes tern's RCV.NXT for it (the SYN-ACK's
      ACK number) to DIR/rcvnxt and its local port to DIR/port, counts the
      frames tern sends to it after the handshake until DIR/go exists,
      then writes the count to DIR/replies, checks that the connection
      still echoes and closes.
  clients.py fill HOST PORT N DIR [http|none]
      opens N connections (2 s each) and tries one echo (with http, one
      keep-alive request; with none, nothing) on each; writes "ANSWERED CONNECTED TIMEDOUT
      REFUSED" to DIR/result, keeps them open until DIR/go exists, then
      closes them.
  clients.py loop HOST PORT DIR SIZE MIN_OK MAX_RESET
      echo connections of SIZE bytes (written by a thread while the reply
      is read) one after another until DIR/stop exists; then writes
      "OK RESET OTHER" to DIR/result and fails if OTHER is not 0, if fewer
      than MIN_OK echoes succeeded or if more than MAX_RESET were reset
      (every caller states both: a loop that never succeeds, or succeeds
      only between resets, is no stress transfer).
  clients.py paced HOST PORT DIR SIZE SECS
      one echo connection: once connected, creates DIR/started, then
      writes SIZE bytes spread over SECS seconds while the reply is read;
      writes "ok", "reset" or the error to DIR/result and fails unless
      the whole echo came back.
  clients.py http HOST PORT N
      N HTTP/1.1 requests with Connection: close, one after another (tern
      closes first, so each leaves a TIME-WAIT in tern); all must succeed.
"""
import os, socket, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkt import Capture, echo_ok, read_all  # noqa: E402


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
    # The handshake's SYN-ACK is not a reply to the flood: take it out of
    # the count; its ACK number is tern's RCV.NXT for the connection.
    hs = cap.collect(0.2, lambda p: p["dport"] == lport and p["sport"] == int(port))
    synack = [p for p in hs if p["flags"] & 0x12 == 0x12]
    if len(synack) != 1 or len(hs) != 1:
        sys.exit("handshake: %d frames from tern, %d SYN-ACKs" % (len(hs), len(synack)))
    with open(os.path.join(d, "rcvnxt"), "w") as f:
        f.write("%d\n" % synack[0]["ack"])
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


def fill(host, port, n, d, app="echo"):
    socks, timedout, refused = [], 0, 0
    for _ in range(int(n)):
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        s.settimeout(2)
        try:
            s.connect((host, int(port)))
            socks.append(s)
        except socket.timeout:
            timedout += 1
            s.close()
        except OSError:
            refused += 1
            s.close()
    req, want = b"0123456789abcdef", b"0123456789abcdef"
    if app == "http":
        req, want = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 200"
    answered = 0
    for s in socks if app != "none" else []:
        try:
            s.sendall(req)
            if s.recv(4096).startswith(want):
                answered += 1
        except OSError:
            pass
    with open(os.path.join(d, "result.tmp"), "w") as f:
        f.write("%d %d %d %d\n" % (answered, len(socks), timedout, refused))
    os.rename(os.path.join(d, "result.tmp"), os.path.join(d, "result"))
    while not os.path.exists(os.path.join(d, "go")):
        time.sleep(0.05)
    for s in socks:
        s.close()


def echo_big(host, port, size):
    data = os.urandom(size)
    s = socket.create_connection((host, port), timeout=30)

    def send():
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    t = threading.Thread(target=send)
    t.start()
    try:
        got = read_all(s)
    finally:
        t.join()
        s.close()
    return got == data


def loop(host, port, d, size, min_ok, max_reset):
    ok, reset, other = 0, 0, {}
    while not os.path.exists(os.path.join(d, "stop")):
        try:
            if echo_big(host, int(port), int(size)):
                ok += 1
            else:
                other["mismatch"] = other.get("mismatch", 0) + 1
        except ConnectionResetError:
            reset += 1
        except OSError as e:
            other[type(e).__name__] = other.get(type(e).__name__, 0) + 1
    with open(os.path.join(d, "result"), "w") as f:
        f.write("%d %d %d\n" % (ok, reset, sum(other.values())))
    if other:
        sys.exit("errors: %s" % other)
    if ok < int(min_ok):
        sys.exit("%d echoes of %s bytes succeeded, fewer than %s" % (ok, size, min_ok))
    if reset > int(max_reset):
        sys.exit("%d echoes reset, more than the budget of %s" % (reset, max_reset))


def paced(host, port, d, size, secs):
    size, secs = int(size), float(secs)
    data = os.urandom(size)
    chunk = 16384
    s = socket.create_connection((host, int(port)), timeout=60)
    open(os.path.join(d, "started"), "w").close()

    def send():
        t0 = time.monotonic()
        try:
            for off in range(0, size, chunk):
                wait = t0 + secs * off / size - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                s.sendall(data[off:off + chunk])
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    t = threading.Thread(target=send)
    t.start()
    try:
        got = read_all(s)
        res = "ok" if got == data else "mismatch %d of %d bytes" % (len(got), size)
    except ConnectionResetError:
        res = "reset"
    except OSError as e:
        res = type(e).__name__
    finally:
        t.join()
        s.close()
    with open(os.path.join(d, "result"), "w") as f:
        f.write(res + "\n")
    if res != "ok":
        sys.exit("paced echo: " + res)


def http(host, port, n):
    ok = 0
    for _ in range(int(n)):
        s = socket.create_connection((host, int(port)), timeout=10)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        got = read_all(s)
        s.close()
        ok += got.startswith(b"HTTP/1.1 200")
    print("    http: %d/%s responses" % (ok, n))
    sys.exit(0 if ok == int(n) else 1)


{"many": many, "hold": hold, "fill": fill, "http": http, "loop": loop, "paced": paced}[sys.argv[1]](*sys.argv[2:])
