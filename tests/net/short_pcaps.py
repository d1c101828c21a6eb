#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Captures for test_benchtools.sh's check of short_gets_pcap.py.

Writes DIR/s.pcap (the server's side), DIR/c.pcap (the client's) and
DIR/lat (nethelp.py getdist's list) for two GETs to port 80: from port
40000, whose first SYN-ACK is missing on the client's side and goes again
1 s later (1,001 ms GET); from port 40002, nothing lost (1 ms).
  tests/net/short_pcaps.py DIR
"""
import struct
import sys

C, S = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1])
SYN, ACK, FIN, PSH = 2, 16, 1, 8


def frame(src, dst, sport, dport, seq, ack, flags, payload=0):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + payload, 0, 0, 64, 6, 0, src, dst)
    return b"\0" * 12 + b"\x08\x00" + ip + tcp + b"x" * payload


def get(port, t0, synack_lost):
    """(time, from server, frame, seen by the client) of one GET."""
    c = lambda t, seq, ack, fl, n=0: (t0 + t, False, frame(C, S, port, 80, seq, ack, fl, n), True)
    s = lambda t, seq, ack, fl, n=0, seen=True: (t0 + t, True, frame(S, C, 80, port, seq, ack, fl, n), seen)
    late = 1.0 if synack_lost else 0.0
    out = [c(0, 100, 0, SYN), s(0.0001, 500, 101, SYN | ACK, seen=not synack_lost)]
    if synack_lost:
        out.append(s(late, 500, 101, SYN | ACK))
    return out + [c(late + 0.0002, 101, 501, ACK), c(late + 0.0003, 101, 501, PSH | ACK, 60),
                  s(late + 0.0004, 501, 161, PSH | ACK | FIN, 1000),
                  c(late + 0.0006, 161, 1502, FIN | ACK), s(late + 0.0007, 1502, 162, ACK)]


def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, fr in frames:
            f.write(struct.pack("<IIII", int(t), int(round(t % 1 * 1e6)), len(fr), len(fr)) + fr)


def main():
    d = sys.argv[1]
    segs = get(40000, 100.0, True) + get(40002, 102.0, False)
    write(d + "/s.pcap", [(t, fr) for t, _, fr, _ in segs])
    write(d + "/c.pcap", [(t + 0.00002, fr) for t, _, fr, seen in segs if seen])
    with open(d + "/lat", "w") as f:
        f.write("40000 1000.900\n40002 0.900\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
