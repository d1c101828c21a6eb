# SPDX-License-Identifier: BSD-2-Clause
"""An ICMP error for a connection of queue 1 arrives on queue 0.

Run in the client namespace of test_pmtu.sh, whose veth has XPS CPU 0 ->
TX queue 0 and CPU 1 -> TX queue 1 (veth delivers a frame into tern's XDP
on the RX queue of the TX queue it was sent on) and whose tern worker of
queue 1 runs on CPU 1. From CPU 1 this opens a connection (queue 1), reads
tern's ISS off the SYN-ACK, then from CPU 0 sends an ICMP frag-needed
(IPv4) or packet-too-big (IPv6) quoting it (queue 0). Back on CPU 1 it
downloads the body and checks that no segment of it is longer than the
error's MTU allows (a GSO frame's by its segment size), and prints the
largest and the counters as JSON.

    pmtu_queues.py CTL DEV SERVER_MAC FAMILY SERVER PORT MTU BODY
"""
import json, os, socket, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkt  # noqa: E402


def on_cpu(c):
    os.sched_setaffinity(0, {c})


def icmp_error(fam, syn_ack, cli_mac, mtu):
    """The error a router on the way back would send, from the client's
    address, quoting tern's header of a segment at SND.UNA (ISS + 1)."""
    srv, cli, sport, dport = syn_ack["src"], syn_ack["dst"], syn_ack["sport"], syn_ack["dport"]
    th8 = pkt.tcp(srv, cli, sport, dport, pkt.ACK, seq=syn_ack["seq"] + 1)[:8]
    if fam == 4:
        quote = pkt.ip4(srv, cli, th8, tot=1500)
        ic = bytearray(b"\x03\x04\0\0\0\0" + mtu.to_bytes(2, "big") + quote)
        ic[2:4] = pkt.csum(bytes(ic)).to_bytes(2, "big")
        return pkt.eth(syn_ack["smac"], cli_mac, pkt.ETH_P_IP, pkt.ip4(cli, srv, bytes(ic), proto=1))
    quote = pkt.ip6(srv, cli, th8, plen=1460)
    ic = bytearray(b"\x02\0\0\0" + mtu.to_bytes(4, "big") + quote)
    ph = cli + srv + len(ic).to_bytes(4, "big") + b"\0\0\0\x3a"
    ic[2:4] = pkt.csum(ph + bytes(ic)).to_bytes(2, "big")
    return pkt.eth(syn_ack["smac"], cli_mac, pkt.ETH_P_IPV6, pkt.ip6(cli, srv, bytes(ic), nh=58))


def queue_of(ctl, cport):
    for c in json.loads(pkt.ctl(ctl, "conns"))["conns"]:
        if c["remote"].endswith(":%d" % cport):
            return c["queue"]
    return None


def main():
    ctl, dev, srv_mac, fam, server, port, mtu, body = sys.argv[1:9]
    srv_mac = pkt.mac(srv_mac)
    fam, port, mtu = int(fam), int(port), int(mtu)
    want = open(body, "rb").read()
    cli_mac = pkt.mac(open("/sys/class/net/%s/address" % dev).read().strip())
    cap = pkt.Capture(dev, vnet=True)  # a GSO frame's segments: its gso_size
    cap.s.setsockopt(socket.SOL_SOCKET, 33, 1 << 25)  # SO_RCVBUFFORCE: the whole download
    out = pkt.Sender(dev)
    on_cpu(1)
    s = socket.socket(socket.AF_INET6 if fam == 6 else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect((server, port))
    cport = s.getsockname()[1]
    sa = cap.collect(2, lambda p: p["dport"] == cport and p["flags"] & pkt.SYN,
                     lambda got, _: got)
    if not sa:
        sys.exit("no SYN-ACK seen")
    time.sleep(0.2)  # the final ACK reaches queue 1 first
    q = queue_of(ctl, cport)
    before = pkt.stats(ctl)
    on_cpu(0)
    cap.drain()
    sa[0]["smac"] = srv_mac
    out.send(icmp_error(fam, sa[0], cli_mac, mtu))
    on_cpu(1)
    time.sleep(0.3)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    got = pkt.read_all(s)
    s.close()
    segs = cap.collect(1, lambda p: p["dport"] == cport and p["len"] > 0)
    after = pkt.stats(ctl)
    print(json.dumps({
        "queue": q,
        "body_ok": got.endswith(want),
        "segs": sum(-(-p["len"] // (p["gso_size"] or p["len"])) for p in segs),
        "max_len": max((min(p["len"], p["gso_size"] or p["len"]) for p in segs), default=0),
        "before": [x for x in before["queues"]],
        "after": [x for x in after["queues"]],
    }))


if __name__ == "__main__":
    main()
