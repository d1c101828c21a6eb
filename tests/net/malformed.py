# SPDX-License-Identifier: BSD-2-Clause
"""Malformed and odd frames at a tern service and, side by side, at a Linux
listener in the same server namespace: Linux's answer is the reference.

For every class: the same frame (up to the destination port) goes to tern's
port and to the Linux port; the replies seen on the client veth must be of
the same kind (none, SYN-ACK, RST), unless the class names a documented
difference; a SYN-ACK must carry the same options as Linux's, up to the
difference the well-formed SYN shows; the class's counter must move (XDP or
core counters from the control socket, or the kernel's /proc counters of
the server namespace for frames left to the kernel); tern must still run;
and a normal connection must echo right after.

tern's pid also names the server namespace whose /proc counters are read.
usage: malformed.py DEV SMAC DMAC SRC4 DST4 SRC6 DST6 PORT LPORT CTL TERNPID [CLASS...]
"""
import os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkt import *  # noqa: E402,F401,F403

(dev, smac, dmac, src4, dst4, src6, dst6, port, lport, ctlpath, ternpid) = sys.argv[1:12]
only = set(sys.argv[12:])
SMAC, DMAC = mac(smac), mac(dmac)
S4, D4, S6, D6 = addr(src4), addr(dst4), addr(src6), addr(dst6)
PORT, LPORT, TERNPID = int(port), int(lport), int(ternpid)
# Replies: Linux answers within a millisecond. When neither side has
# answered after QUIET seconds the class has no reply; when Linux has (or
# the class says tern answers), tern gets up to WINDOW (a loaded machine,
# an ASan build).
QUIET, WINDOW = 0.5, 3.0


def f4(sp, dp, flags=SYN, opts=None, ip=None, tcpkw=None, src=S4, dst=D4, vlans=()):
    opts = opt_mss() if opts is None else opts
    t = tcp(src, dst, sp, dp, flags, opts=opts, **(tcpkw or {}))
    return eth(DMAC, SMAC, ETH_P_IP, ip4(src, dst, t, **(ip or {})), vlans)


def f6(sp, dp, flags=SYN, opts=None, ext=b"", nh=6, ip=None, tcpkw=None, src=S6, dst=D6):
    opts = opt_mss() if opts is None else opts
    t = tcp(src, dst, sp, dp, flags, opts=opts, **(tcpkw or {}))
    return eth(DMAC, SMAC, ETH_P_IPV6, ip6(src, dst, ext + t, nh=nh, **(ip or {})))


def cut(frame, n):
    return frame[:n]


def frag_pair(sp, dp):
    """A SYN split in two IPv4 fragments (8 + 16 bytes of TCP)."""
    t = tcp(S4, D4, sp, dp, SYN, opts=opt_mss())
    a = eth(DMAC, SMAC, ETH_P_IP, ip4(S4, D4, t[:8], frag=0x2000))
    b = eth(DMAC, SMAC, ETH_P_IP, ip4(S4, D4, t[8:], frag=1))
    return [a, b]


LAND4, LAND6 = D4, D6
# name: (builder(sport, dport) -> frame or [frames], tern counter,
#        None = reply like Linux, or (tern's reply, why it differs))
KERNEL = "kernel"  # left to the kernel: a /proc counter of the server netns
CLASSES = {
    # well-formed references
    "v4_syn": (lambda s, d: f4(s, d), "xdp:XdpSteered", None),
    "v6_syn": (lambda s, d: f6(s, d), "xdp:XdpSteered", None),
    "v4_syn_ws_ts": (lambda s, d: f4(s, d, opts=pad4(opt_mss() + opt_ws() + opt_ts())),
                     "xdp:XdpSteered", None),
    # IP versions
    "v4_version6": (lambda s, d: f4(s, d, ip={"ver": 6}), "snmp:Ip.InHdrErrors", None),
    "v4_version0": (lambda s, d: f4(s, d, ip={"ver": 0}), "snmp:Ip.InHdrErrors", None),
    "v6_version4": (lambda s, d: f6(s, d, ip={"ver": 4}), "snmp:Ip6InHdrErrors", None),
    # IPv4 header and total lengths
    "v4_ihl0": (lambda s, d: f4(s, d, ip={"ihl": 0}), "xdp:XdpDropTcpHdr", None),
    "v4_ihl4": (lambda s, d: f4(s, d, ip={"ihl": 4}), "xdp:XdpDropTcpHdr", None),
    "v4_ihl15_past": (lambda s, d: f4(s, d, ip={"ihl": 15, "tot": 44}), "xdp:XdpDropTcpHdr", None),
    "v4_options_nop": (lambda s, d: f4(s, d, ip={"ihl": 6, "opts": b"\x01\x01\x01\x00"}),
                       "xdp:XdpSteered", None),
    "v4_totlen_long": (lambda s, d: f4(s, d, ip={"tot": 200}), "xdp:XdpDropTcpHdr", None),
    "v4_totlen_below_ihl": (lambda s, d: f4(s, d, ip={"tot": 16}), "xdp:XdpDropTcpHdr", None),
    "v4_totlen_cuts_tcp": (lambda s, d: f4(s, d, ip={"tot": 32}), "xdp:XdpDropTcpHdr", None),
    "v4_totlen_short_padded": (lambda s, d: f4(s, d) + b"\xee" * 24, "xdp:XdpSteered", None),
    "v4_truncated_ip": (lambda s, d: cut(f4(s, d), 14 + 12), "snmp:Ip.InHdrErrors", None),
    "v4_truncated_tcp": (lambda s, d: cut(f4(s, d), 14 + 20 + 10), "xdp:XdpDropTcpHdr", None),
    # IPv6 payload lengths
    "v6_plen_long": (lambda s, d: f6(s, d, ip={"plen": 400}), "xdp:XdpDropTcpHdr", None),
    "v6_plen_cuts_tcp": (lambda s, d: f6(s, d, ip={"plen": 12}), "xdp:XdpDropTcpHdr", None),
    "v6_truncated_ip": (lambda s, d: cut(f6(s, d), 14 + 30), "snmp:Ip6InHdrErrors", None),
    # checksums
    "v4_ip_csum": (lambda s, d: f4(s, d, ip={"bad_csum": True}), "parse:InCsumErrorsIp", None),
    "v4_tcp_csum": (lambda s, d: f4(s, d, tcpkw={"bad_csum": True}), "parse:InCsumErrors", None),
    "v6_tcp_csum": (lambda s, d: f6(s, d, tcpkw={"bad_csum": True}), "parse:InCsumErrors", None),
    # fragments
    "v4_frag_first": (lambda s, d: f4(s, d, ip={"frag": 0x2000}), "xdp:XdpDropFrag", None),
    "v4_frag_pair": (frag_pair, "xdp:XdpDropFrag",
                     ("none", "tern does not reassemble; the first fragment is dropped")),
    "v6_frag_first": (lambda s, d: f6(s, d, nh=44, ext=frag6(6)), "xdp:XdpDropIp6Ext", None),
    # IPv6 extension headers before TCP
    "v6_hop_by_hop": (lambda s, d: f6(s, d, nh=0, ext=ext6(6)), "xdp:XdpDropIp6Ext",
                      ("none", "the core does not walk extension headers: dropped, not refused")),
    "v6_dest_opts": (lambda s, d: f6(s, d, nh=60, ext=ext6(6)), "xdp:XdpDropIp6Ext",
                     ("none", "the core does not walk extension headers: dropped, not refused")),
    "v6_hbh_dest_opts": (lambda s, d: f6(s, d, nh=0, ext=ext6(60) + ext6(6)), "xdp:XdpDropIp6Ext",
                         ("none", "the core does not walk extension headers: dropped, not refused")),
    # TCP data offset
    "v4_doff0": (lambda s, d: f4(s, d, tcpkw={"doff": 0}), "xdp:XdpDropTcpHdr", None),
    "v4_doff4": (lambda s, d: f4(s, d, tcpkw={"doff": 4}), "xdp:XdpDropTcpHdr", None),
    "v4_doff15_past": (lambda s, d: f4(s, d, tcpkw={"doff": 15}), "xdp:XdpDropTcpHdr", None),
    "v6_doff15_past": (lambda s, d: f6(s, d, tcpkw={"doff": 15}), "xdp:XdpDropTcpHdr", None),
    # TCP options (a SYN-ACK either way; its options must match Linux's)
    "opt_len0": (lambda s, d: f4(s, d, opts=b"\x02\x00\x05\xb4" + opt_ws() + b"\x01"),
                 "xdp:XdpSteered", None),
    "opt_len1": (lambda s, d: f4(s, d, opts=b"\x03\x01\x07\x01" + opt_mss()), "xdp:XdpSteered", None),
    "opt_past_header": (lambda s, d: f4(s, d, opts=opt_mss() + b"\x08\x28\x00\x00"),
                        "xdp:XdpSteered", None),
    "opt_truncated_kind": (lambda s, d: f4(s, d, opts=opt_mss() + b"\x01\x01\x01\x08"),
                           "xdp:XdpSteered", None),
    "opt_mss_len3": (lambda s, d: f4(s, d, opts=b"\x02\x03\x05\x01"), "xdp:XdpSteered", None),
    "opt_mss_len6": (lambda s, d: f4(s, d, opts=b"\x02\x06\x05\xb4\x00\x00\x01\x01"),
                     "xdp:XdpSteered", None),
    "opt_mss0": (lambda s, d: f4(s, d, opts=opt_mss(0)), "xdp:XdpSteered", None),
    "opt_ws_len2": (lambda s, d: f4(s, d, opts=opt_mss() + b"\x03\x02\x01\x01"), "xdp:XdpSteered", None),
    "opt_ws_len4": (lambda s, d: f4(s, d, opts=opt_mss() + b"\x03\x04\x07\x00"), "xdp:XdpSteered", None),
    "opt_ws_shift15": (lambda s, d: f4(s, d, opts=pad4(opt_mss() + opt_ws(15))), "xdp:XdpSteered", None),
    "opt_ts_len8": (lambda s, d: f4(s, d, opts=opt_mss() + b"\x08\x08" + b"\0" * 6),
                    "xdp:XdpSteered", None),
    "opt_ts_len12": (lambda s, d: f4(s, d, opts=opt_mss() + b"\x08\x0c" + b"\0" * 10),
                     "xdp:XdpSteered", None),
    "opt_sackperm_len3": (lambda s, d: f4(s, d, opts=opt_mss() + b"\x04\x03\x00\x01"),
                          "xdp:XdpSteered", None),
    "opt_eol_then_ws": (lambda s, d: f4(s, d, opts=opt_mss() + b"\x00\x03\x03\x07"),
                        "xdp:XdpSteered", None),
    "opt_40_bytes_nop": (lambda s, d: f4(s, d, opts=opt_mss() + b"\x01" * 36), "xdp:XdpSteered", None),
    # flag combinations at a listener
    "syn_fin": (lambda s, d: f4(s, d, SYN | FIN), "xdp:XdpDropSynFin", None),
    "syn_rst": (lambda s, d: f4(s, d, SYN | RST), "xdp:XdpDropSynRst", None),
    "v6_syn_fin": (lambda s, d: f6(s, d, SYN | FIN), "xdp:XdpDropSynFin", None),
    "null_flags": (lambda s, d: f4(s, d, 0), "mib:InDropListenFlags", None),
    "xmas_fin_psh_urg": (lambda s, d: f4(s, d, FIN | PSH | URG), "mib:InDropListenFlags", None),
    "xmas_all_flags": (lambda s, d: f4(s, d, 0xff), "xdp:XdpDropSynFin", None),
    "rst_only": (lambda s, d: f4(s, d, RST), "mib:InDropListenFlags", None),
    "fin_only": (lambda s, d: f4(s, d, FIN), "mib:InDropListenFlags", None),
    "ack_only": (lambda s, d: f4(s, d, ACK, tcpkw={"ack": 12345}), "mib:OutRsts", None),
    "syn_ack": (lambda s, d: f4(s, d, SYN | ACK, tcpkw={"ack": 12345}), "mib:OutRsts", None),
    "syn_ece_cwr": (lambda s, d: f4(s, d, SYN | ECE | CWR), "xdp:XdpSteered", None),
    "syn_psh_urg_data": (lambda s, d: f4(s, d, SYN | PSH | URG, tcpkw={"data": b"hello"}),
                         "xdp:XdpSteered", None),
    # martian sources (Linux: fib_validate_source() drops them)
    "v4_land": (lambda s, d: f4(d, d, src=LAND4), "xdp:XdpDropMartian", None),
    "v6_land": (lambda s, d: f6(d, d, src=LAND6), "xdp:XdpDropMartian", None),
    "v4_src_multicast": (lambda s, d: f4(s, d, src=addr("224.0.0.1")), "xdp:XdpDropMartian", None),
    "v4_src_broadcast": (lambda s, d: f4(s, d, src=addr("255.255.255.255")), "xdp:XdpDropMartian", None),
    "v4_src_zero": (lambda s, d: f4(s, d, src=addr("0.0.0.0")), "xdp:XdpDropMartian", None),
    "v4_src_loopback": (lambda s, d: f4(s, d, src=addr("127.0.0.1")), "xdp:XdpDropMartian", None),
    "v6_src_multicast": (lambda s, d: f6(s, d, src=addr("ff02::1")), "xdp:XdpDropMartian", None),
    "v6_src_loopback": (lambda s, d: f6(s, d, src=addr("::1")), "xdp:XdpDropMartian", None),
    # VLAN tags
    "vlan_syn": (lambda s, d: f4(s, d, vlans=(100,)), "xdp:XdpSteered",
                 ("SA", "tern answers one 802.1Q tag and keeps it; this Linux has no VLAN device")),
    "qinq_syn": (lambda s, d: f4(s, d, vlans=(100, 200)), "xdp:XdpPassed", None),
}


def answered(got, port):
    return any(p["sport"] == port for p in got)


def kind(replies):
    if not replies:
        return "none"
    fl = replies[0]["flags"]
    if fl & SYN and fl & ACK:
        return "SA"
    if fl & RST:
        return "R"
    return flags_str(fl)


def frames_of(built):
    return built if isinstance(built, list) else [built]


def main():
    cap, tx = Capture(dev), Sender(dev)
    base = 20000 + (os.getpid() % 1000) * 40
    servers = {D4, D6}
    diff_ref = None
    failed = []
    names = [n for n in CLASSES if not only or n in only]
    for i, name in enumerate(names):
        build, counter, differs = CLASSES[name]
        sp_t, sp_l = base + 2 * i, base + 2 * i + 1
        ft, fl_ = frames_of(build(sp_t, PORT)), frames_of(build(sp_l, LPORT))
        c0, k0 = counters(ctlpath), snmp(TERNPID)
        cap.drain()
        for f in ft + fl_:
            tx.send(f)
        tern_answers = differs[0] != "none" if differs else None  # None: as Linux does

        def enough(g, t):
            lin, ter = answered(g, LPORT), answered(g, PORT)
            if t < QUIET:
                return lin and ter
            return ter or not (lin if tern_answers is None else tern_answers)
        got = cap.collect(WINDOW, lambda p: p["src"] in servers and p["sport"] in (PORT, LPORT),
                          enough)
        rt = [p for p in got if p["sport"] == PORT and p["dport"] in (sp_t, PORT)]
        rl = [p for p in got if p["sport"] == LPORT and p["dport"] in (sp_l, LPORT)]
        c1, k1 = counters(ctlpath), snmp(TERNPID)
        dc, dk = delta(c0, c1), delta(k0, k1)
        errs = []
        kt, kl = kind(rt), kind(rl)
        want = kl if differs is None else differs[0]
        if kt != want:
            errs.append("tern replied %s, expected %s (Linux: %s)" % (kt, want, kl))
        if kt == "SA" and kl == "SA":
            d = (tuple(rt[0]["opts"]), tuple(rl[0]["opts"]))
            if name == "v4_syn_ws_ts":
                diff_ref = d
            elif diff_ref is not None and name.startswith("opt_") and not same_opts(d, diff_ref):
                errs.append("SYN-ACK options tern %s, Linux %s (reference: tern %s, Linux %s)"
                            % (d + diff_ref))
        if kt == "SA" and differs and "VLAN" in differs[1] and rt[0]["vlans"] != [100]:
            errs.append("SYN-ACK tags %s, expected [100]" % rt[0]["vlans"])
        n = len(ft)
        if counter.startswith("snmp:"):
            # both copies went to the kernel
            if dk.get(counter, 0) < 2 * n:
                errs.append("%s moved by %d, expected %d" % (counter, dk.get(counter, 0), 2 * n))
        elif counter in ("xdp:XdpSteered", "xdp:XdpPassed", "mib:OutRsts"):
            if dc.get(counter, 0) < 1:
                errs.append("%s did not move" % counter)
        elif dc.get(counter, 0) != 1 and not (name == "v4_frag_pair" and dc.get(counter, 0) >= 1):
            errs.append("%s moved by %d, expected 1" % (counter, dc.get(counter, 0)))
        try:
            os.kill(TERNPID, 0)
        except OSError:
            errs.append("tern is gone")
        try:
            if not echo_ok(dst4, PORT):
                errs.append("echo mismatch right after")
        except OSError as e:
            errs.append("a normal connection right after: %s" % e)
        lk = ",".join("%s+%d" % (k[5:], v) for k, v in sorted(dk.items())
                      if any(w in k for w in ("Err", "Trunc", "Discard", "Drop", "Fail", "Martian")))
        print("%-4s %-24s tern %-4s Linux %-4s %s +%d%s%s" % (
            "ok" if not errs else "FAIL", name, kt, kl, counter, dc.get(counter, dk.get(counter, 0)),
            ("  Linux: " + lk) if lk else "", ("  (" + differs[1] + ")") if differs else ""))
        for e in errs:
            print("       " + e)
        if errs:
            failed.append(name)
    print("malformed classes: %d, failed: %d %s" % (len(names), len(failed), " ".join(failed)))
    sys.exit(1 if failed else 0)


def same_opts(d, ref):
    """tern's SYN-ACK options differ from Linux's as they do for a
    well-formed SYN, per option kind present in neither/both."""
    (t, l), (rt, rl) = d, ref
    return set(t) ^ set(l) <= set(rt) ^ set(rl)


main()
