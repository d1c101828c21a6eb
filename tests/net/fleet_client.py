# SPDX-License-Identifier: BSD-2-Clause
"""One cookie handshake split over two hosts (tests/net/test_fleet.sh).

  fleet_client.py syn DEV DST_MAC SRC DST PORT SPORT CSEQ
      send a SYN (MSS, SACK, TS, WS 7) out of DEV; print the SYN-ACK's
      "COOKIE TSVAL", or exit 1 without one
  fleet_client.py ack DEV DST_MAC SRC DST PORT SPORT CSEQ COOKIE TSVAL
      send the final ACK, with data, out of DEV (another host); print
      "echo BYTES TSVAL" (the data came back; BYTES -1 if it differed) and
      reset the connection, or "rst", or "none"

SRC is an address the client namespace does not own, so its kernel sends
no RST for the SYN-ACK; replies come back to DEV's MAC address.
"""
import socket, struct, sys, time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from pkt import (ACK, ETH_P_IP, PSH, RST, SYN, addr, eth, ip4, mac, opt_mss, opt_ts,  # noqa: E402
                 opt_ws, pad4, parse, tcp)

SACKOK = b"\x04\x02"


def frame_ts(f):
    """TSval of a TCP/IPv4 frame (None without the option)."""
    ip = f[14:]
    l4 = ip[(ip[0] & 15) * 4:]
    o, i = l4[20:(l4[12] >> 4) * 4], 0
    while i < len(o) and o[i] != 0:
        if o[i] == 1:
            i += 1
            continue
        if i + 1 >= len(o) or o[i + 1] < 2:
            return None
        if o[i] == 8 and o[i + 1] == 10:
            return struct.unpack("!I", o[i + 2:i + 6])[0]
        i += o[i + 1]
    return None


class Link:
    def __init__(self, dev, dst_mac):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        self.s.bind((dev, 0))
        self.own = self.s.getsockname()[4]
        self.dst = mac(dst_mac)

    def send(self, src, dst, sport, dport, flags, seq, ack, opts, data=b""):
        s, d = addr(src), addr(dst)
        seg = tcp(s, d, sport, dport, flags, seq=seq, ack=ack, opts=pad4(opts), data=data)
        self.s.send(eth(self.dst, self.own, ETH_P_IP, ip4(s, d, seg)))

    def wait(self, sport, want, secs=3.0):
        """The first frame to sport for which want(p, frame) holds."""
        end = time.monotonic() + secs
        self.s.settimeout(0.1)
        while time.monotonic() < end:
            try:
                f, a = self.s.recvfrom(65536)
            except socket.timeout:
                continue
            if a[2] == socket.PACKET_OUTGOING:
                continue
            p = parse(f)
            if p and p["dport"] == sport and want(p, f):
                return p, f
        return None, None


def main(argv):
    mode, dev, dmac, src, dst = argv[1:6]
    port, sport, cseq = int(argv[6]), int(argv[7]), int(argv[8])
    link = Link(dev, dmac)
    if mode == "syn":
        link.send(src, dst, sport, port, SYN, cseq, 0,
                  opt_mss(1460) + SACKOK + opt_ts(1000, 0) + b"\x01" + opt_ws(7))
        p, f = link.wait(sport, lambda p, f: p["flags"] & (SYN | ACK) == SYN | ACK)
        if not p:
            print("no SYN-ACK", file=sys.stderr)
            return 1
        print(p["seq"], frame_ts(f))
        return 0
    cookie, tsval = int(argv[9]), int(argv[10])
    data = b"fleet %d\n" % sport
    link.send(src, dst, sport, port, ACK | PSH, cseq + 1, cookie + 1,
              b"\x01\x01" + opt_ts(1001, tsval), data)
    p, f = link.wait(sport, lambda p, f: p["len"] > 0 or p["flags"] & RST)
    if not p:
        print("none")
    elif p["len"] > 0:
        print("echo", p["len"] if f[-p["len"]:] == data else -1, frame_ts(f))
        link.send(src, dst, sport, port, RST, cseq + 1 + len(data), 0, b"")
    else:
        print("rst")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
