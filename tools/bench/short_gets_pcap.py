#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Which frames slow short GETs lost, from captures on both veth ends.

SERVER_PCAP is taken on the server's veth (every frame the server sent),
CLIENT_PCAP on the client's (after the loss program's XDP drops), so a
server frame missing on the client's side was dropped. LAT_FILE is
nethelp.py getdist's "LOCAL_PORT MS" list. For every GET over SLOW_MS,
prints its timeline from the client's SYN (ms): each frame, who sent it,
flags, relative sequence, length, and LOST for the dropped ones; then one
line per GET classifying the first loss, and a count per class.
Prints, never asserts.
  tools/bench/short_gets_pcap.py SERVER_PCAP CLIENT_PCAP LAT_FILE PORT SLOW_MS
"""
import collections
import sys

from gets_pcap import frames, tcp

FLAGS = "FSRPAU"


def flagstr(f):
    return "".join(c for i, c in enumerate(FLAGS) if f & (1 << i)) or "."


def conns(path, port):
    """{(client port, client ISN): [(t, from_server, seg)]} in capture order."""
    out, cur = collections.OrderedDict(), {}
    for t, fr in frames(path):
        s = tcp(fr)
        if s is None or port not in (s["sport"], s["dport"]):
            continue
        srv = s["sport"] == port
        cport = s["dport"] if srv else s["sport"]
        if not srv and s["flags"] & 0x12 == 0x02:
            key = (cport, s["seq"])
            cur[cport] = key
            out.setdefault(key, [])
        key = cur.get(cport)
        if key is not None:
            out[key].append((t, srv, s))
    return out


def sig(s):
    return (s["seq"], s["ack"], s["flags"], s["len"])


def lost_frames(tl, ctl):
    """Indexes in TL (server side) of the server frames CTL (client side)
    lacks. Equal frames (a resent SYN-ACK) are told apart by time: the
    clocks of the two captures may differ (tern's is CLOCK_MONOTONIC), so
    the offset is the least server-minus-client time of the client's own
    frames (the k-th copy of one with the k-th: only the server's frames
    are dropped), which the server received after the client sent them."""
    seen = collections.defaultdict(list)
    for t, fs, s in tl:
        if not fs:
            seen[sig(s)].append(t)
    nth, offs = collections.Counter(), []
    for t, fs, s in ctl:
        if not fs and nth[sig(s)] < len(seen[sig(s)]):
            offs.append(seen[sig(s)][nth[sig(s)]] - t)
            nth[sig(s)] += 1
    off = min(offs) if offs else 0.0
    sent = collections.defaultdict(list)
    for i, (t, fs, s) in enumerate(tl):
        if fs:
            sent[sig(s)].append(i)
    lost = set(i for v in sent.values() for i in v)
    for t, fs, s in ctl:
        if not fs:
            continue
        # the latest copy sent before it arrived, not taken yet
        cand = [i for i in sent[sig(s)] if i in lost and tl[i][0] <= t + off + 0.0001]
        if cand:
            lost.discard(cand[-1])
    return lost


def classify(tl, lost):
    """Names the first lost server frame and how it was repaired."""
    data = [s for _, srv, s in tl if srv and s["len"] > 0]
    top = max((s["seq"] + s["len"] for s in data), default=None)
    for i, (t, srv, s) in enumerate(tl):
        if not (srv and i in lost):
            continue
        if s["flags"] & 0x12 == 0x12:
            what = "SYN-ACK"
        elif s["len"] > 0 and s["seq"] + s["len"] == top:
            what = "last data" + ("+FIN" if s["flags"] & 1 else "")
        elif s["len"] > 0:
            what = "data"
        elif s["flags"] & 1:
            what = "FIN"
        else:
            what = "ACK"
        again = next((t2 for t2, srv2, s2 in tl[i + 1:] if srv2 and s2["seq"] == s["seq"]
                      and (s2["len"] > 0 or s2["flags"] & 0x13)), None)
        return what, (again - t) * 1000 if again is not None else None
    return "none lost", None


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    spcap, cpcap, latf, port, slow = sys.argv[1:]
    port, slow = int(port), float(slow)
    lat = collections.defaultdict(list)
    for line in open(latf):
        p, ms = line.split()
        lat[int(p)].append(float(ms))
    srv, cli = conns(spcap, port), conns(cpcap, port)
    classes = collections.Counter()
    for key, tl in srv.items():
        t0 = tl[0][0]
        dur = (tl[-1][0] - t0) * 1000
        if key[0] not in lat or max(lat[key[0]]) <= slow or dur <= slow:
            continue
        lost = lost_frames(tl, cli.get(key, []))
        isn_c, isn_s = key[1], next((s["seq"] for _, fs, s in tl if fs and s["flags"] & 2), 0)
        print("GET port %d: %.1f ms (capture %.1f ms)" % (key[0], max(lat[key[0]]), dur))
        for i, (t, fs, s) in enumerate(tl):
            base = isn_s if fs else isn_c
            print("  %9.3f %s %-4s seq %6d ack %6d len %5d%s" % (
                (t - t0) * 1000, "S>" if fs else "<C", flagstr(s["flags"]),
                (s["seq"] - base) & 0xffffffff,
                (s["ack"] - (isn_c if fs else isn_s)) & 0xffffffff if s["flags"] & 0x10 else 0,
                s["len"], "  LOST" if i in lost else ""))
        what, gap = classify(tl, lost)
        print("  first loss: %s, resent after %s ms" % (what, "%.1f" % gap if gap is not None else "-"))
        classes[what] += 1
    for what, k in classes.most_common():
        print("class %s: %d" % (what, k))
    return 0


if __name__ == "__main__":
    sys.exit(main())
