# SPDX-License-Identifier: BSD-2-Clause
"""A whole 802.1Q-tagged TCP flow from raw frames (test_queues.sh; the
kernel here has no VLAN devices): handshake, data echoed, RST. Every frame
tern sends back must carry the tag.

  vlan_flow.py DEV SERVER_MAC CLIENT_MAC CLIENT_IP SERVER_IP PORT VID
"""
import sys

from pkt import (ACK, ETH_P_IP, PSH, RST, SYN, Capture, Sender, addr, eth, ip4,
                 mac, opt_mss, tcp)

dev, smac, cmac, me, srv, port, vid = sys.argv[1:8]
port, vid, sport = int(port), int(vid), 40000
cap, tx = Capture(dev), Sender(dev)


def send(flags, seq, ack=0, data=b"", opts=b""):
    t = tcp(addr(me), addr(srv), sport, port, flags, seq=seq, ack=ack, opts=opts, data=data)
    tx.send(eth(mac(smac), mac(cmac), ETH_P_IP, ip4(addr(me), addr(srv), t), (vid,)))


def mine(p):
    return p["sport"] == port and p["dport"] == sport


cap.drain()
send(SYN, 1000, opts=opt_mss())
sa = cap.collect(3, mine, lambda g, t: g)
if not sa or sa[0]["flags"] != SYN | ACK:
    sys.exit("no SYN-ACK: %s" % sa)
send(ACK | PSH, 1001, sa[0]["seq"] + 1, b"hello, vlan")
got = cap.collect(3, mine, lambda g, t: any(p["len"] for p in g))
send(RST, 1012)
if not any(p["len"] == 11 for p in got):
    sys.exit("no echo: %s" % got)
frames = sa + got
print("frames from tern: %d, tags %s" % (len(frames), sorted({tuple(p["vlans"]) for p in frames})))
if not all(p["vlans"] == [vid] for p in frames):
    sys.exit("a frame without tag %d" % vid)
