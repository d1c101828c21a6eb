#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""One HTTP GET per client port, one after the other, each on a new
connection from that source port (Connection: close, so the server closes
first and keeps the tuple in TIME-WAIT).

    port_gets.py HOST PORT TIMEOUT FIRST_SPORT COUNT

Prints one line per GET ("sport ok ms", or "sport timeout|reset|error
...") and a last line "ok=N timeouts=T resets=R errors=E"; exit 0 only
when every GET got "HTTP/1.1 200".
"""
import socket
import sys
import time


def get(host, port, sport, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(timeout)
    t0 = time.monotonic()
    try:
        s.bind(("", sport))
        s.connect((host, port))
        s.sendall(b"GET /id HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        got = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
        ms = (time.monotonic() - t0) * 1000
        if got.startswith(b"HTTP/1.1 200"):
            return "ok", "%.1f" % ms
        return "error", "bad response %r" % got[:40]
    except socket.timeout:
        return "timeout", "after %.0f ms" % ((time.monotonic() - t0) * 1000)
    except ConnectionResetError:
        return "reset", ""
    except OSError as e:
        return "error", repr(e)
    finally:
        s.close()


def main():
    host, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    first, count = int(sys.argv[4]), int(sys.argv[5])
    n = {"ok": 0, "timeout": 0, "reset": 0, "error": 0}
    for sport in range(first, first + count):
        what, more = get(host, port, sport, timeout)
        n[what] += 1
        print(sport, what, more, flush=True)
    print("ok=%d timeouts=%d resets=%d errors=%d" % (n["ok"], n["timeout"], n["reset"], n["error"]))
    return 0 if n["ok"] == count else 1


if __name__ == "__main__":
    sys.exit(main())
