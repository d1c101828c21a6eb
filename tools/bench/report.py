#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Turn the benchmarks' key=value results into a Markdown table (stdout),
a JSON file and PNG plots (gnuplot).

usage: report.py RESULTS_TXT OUT_DIR

Targets (issue 6) are printed as pass/miss, never asserted.
"""
import json
import math
import os
import shutil
import subprocess
import sys


def load(path):
    r = {}
    with open(path) as f:
        for line in f:
            k, sep, v = line.rstrip("\n").partition("=")
            if sep:
                r[k] = v
    return r


def num(r, k):
    try:
        v = float(r.get(k, "nan"))
    except ValueError:
        return math.nan
    return v


def fmt(v, digits=0):
    if v is None or math.isnan(v):
        return "n/a"
    return "{:,.{}f}".format(v, digits)


def ratio(a, b):
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def nanmax(vals):
    return max((v for v in vals if not math.isnan(v)), default=math.nan)


def verdict(ok):
    return "n/a" if ok is None else ("pass" if ok else "miss")


def syn_section(r, out, targets):
    names = [("reflect", "bare AF_XDP reflector"), ("tern_always", "tern --syncookies always"),
             ("tern_auto", "tern --syncookies auto"),
             ("tern_xdp", "tern --xdp-cookies always"), ("linux_2", "Linux, tcp_syncookies=2"),
             ("linux_1", "Linux, tcp_syncookies=1")]
    refl = num(r, "syn.reflect.synack_pps")
    linux = nanmax([num(r, "syn.linux_2.synack_pps"), num(r, "syn.linux_1.synack_pps")])
    out.append("### 1. SYN -> SYN-ACK under a SYN flood at the generator's maximum\n")
    out.append("| server | SYNs offered/s | SYN-ACKs/s | replies/offered | vs reflector "
               "| vs Linux (best) | CPU ns per SYN-ACK | all CPUs ns per SYN-ACK |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for key, label in names:
        sa = num(r, "syn.%s.synack_pps" % key)
        sent = num(r, "syn.%s.sent_pps" % key)
        cpu = num(r, "syn.%s.proc_ns" % key)
        what = "process"
        if key.startswith("linux"):
            cpu, what = num(r, "syn.%s.softirq_ns" % key), "softirq"
        out.append("| %s | %s | %s | %s | %s | %s | %s (%s) | %s |" % (
            label, fmt(sent), fmt(sa), fmt(ratio(sa, sent), 2), fmt(ratio(sa, refl), 2),
            fmt(ratio(sa, linux), 2), fmt(cpu), what, fmt(num(r, "syn.%s.allcpu_ns" % key))))
        rows.append((label, sent, sa))
    out.append("")
    bounded = [label for key, label in names if key.startswith("linux") and
               ratio(num(r, "syn.%s.synack_pps" % key), num(r, "syn.%s.sent_pps" % key)) >= 0.99]
    if bounded:
        out.append("%s answered every SYN offered: that rate is bounded by what the generator "
                   "reaches into the Linux stack through veth, not by Linux." % " and ".join(bounded))
        out.append("")
    keys = [k for k, _ in names]
    out.append("tern-flood's own ceiling in this run: up to %s SYNs/s sent, up to %s replies/s "
               "counted, %s replies lost in its own RX ring over all runs." % (
                   fmt(nanmax(num(r, "syn.%s.sent_pps" % k) for k in keys)),
                   fmt(nanmax(num(r, "syn.%s.synack_pps" % k) for k in keys)),
                   fmt(sum(v for v in (num(r, "syn.%s.rx_dropped" % k) for k in keys)
                           if not math.isnan(v)))))
    out.append("")
    out.append("Generator: tern-flood (AF_XDP, copy mode); trafgen with the same SYNs sent %s "
               "packets/s. CPU: tern and the reflector: their process time; Linux: softirq "
               "time of the server CPU; all CPUs: busy time of every CPU over the run (the "
               "generator's own cost included, not subtracted; on veth XDP runs on the "
               "generator's CPU)." % fmt(num(r, "gen.trafgen_pps")))
    out.append("")
    t = num(r, "syn.tern_always.synack_pps")
    targets.append(("SYN-ACK rate >= 0.95 x reflector (tern always)", fmt(ratio(t, refl), 2),
                    verdict(None if math.isnan(ratio(t, refl)) else ratio(t, refl) >= 0.95)))
    targets.append(("SYN-ACK rate >= 1.5 x Linux (tern always vs best Linux)",
                    fmt(ratio(t, linux), 2),
                    verdict(None if math.isnan(ratio(t, linux)) else ratio(t, linux) >= 1.5)))
    return rows


def http_section(r, out, targets):
    tc, tk = num(r, "http.tern_close"), num(r, "http.tern_keepalive")
    nc, nk = num(r, "http.nginx_close"), num(r, "http.nginx_keepalive")
    out.append("### 2. HTTP: tern --app http vs nginx (1 worker), wrk -t1 -c64\n")
    out.append("| | tern | nginx | tern / nginx |")
    out.append("|---|---:|---:|---:|")
    out.append("| connections/s (`Connection: close`) | %s | %s | %s |" % (
        fmt(tc), fmt(nc), fmt(ratio(tc, nc), 2)))
    out.append("| requests/s (keep-alive) | %s | %s | %s |" % (fmt(tk), fmt(nk), fmt(ratio(tk, nk), 2)))
    out.append("")
    q = ratio(tc, nc)
    targets.append(("HTTP connections/s (close) >= 1.5 x nginx", fmt(q, 2),
                    verdict(None if math.isnan(q) else q >= 1.5)))
    return [("tern close", tc), ("nginx close", nc), ("tern keep-alive", tk),
            ("nginx keep-alive", nk)]


def legit_section(r, out, targets):
    out.append("### 3. Legitimate clients under a SYN flood\n")
    out.append("| server | flood SYNs/s | connected | success | connect p50 ms | connect p99 ms "
               "| established: round trips | resets | other errors |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for key, label in [("tern", "tern, --xdp-cookies overload (flood at max)"),
                       ("tern_at_linux_rate", "tern (flood at Linux's rate)"),
                       ("linux", "Linux, tcp_syncookies=1 (flood at max)")]:
        ok, n = num(r, "legit.%s.ok" % key), num(r, "legit.%s.n" % key)
        p50, p99 = num(r, "legit.%s.p50_ms" % key), num(r, "legit.%s.p99_ms" % key)
        out.append("| %s | %s | %s / %s | %s %% | %s | %s | %s | %s | %s |" % (
            label, fmt(num(r, "legit.%s.flood_pps" % key)), fmt(ok), fmt(n),
            fmt(100 * ratio(ok, n), 2), fmt(p50, 2), fmt(p99, 2),
            fmt(num(r, "legit.%s.transfer_rounds" % key)),
            fmt(num(r, "legit.%s.transfer_resets" % key)),
            fmt(num(r, "legit.%s.transfer_errors" % key))))
        rows.append((label, p50, p99))
    out.append("")
    if "legit.tern.transfer_conns" in r:
        out.append("Established: %s connections opened before the flood, each echoing 16 KiB "
                   "round trips one after the other until the connects end; a reset or error "
                   "ends that connection." % r["legit.tern.transfer_conns"])
        out.append("")
    ok, n = num(r, "legit.tern.ok"), num(r, "legit.tern.n")
    s = ratio(ok, n)
    targets.append(("under flood, >= 99.9 % of legitimate connects succeed (tern)",
                    fmt(100 * s, 2) + " %", verdict(None if math.isnan(s) else s >= 0.999)))
    a, b = num(r, "legit.tern.p99_ms"), num(r, "legit.linux.p99_ms")
    targets.append(("under flood, p99 connect latency below Linux's",
                    "%s vs %s ms" % (fmt(a, 2), fmt(b, 2)),
                    verdict(None if math.isnan(a) or math.isnan(b) else a < b)))
    return rows


def mem_section(r, out, targets):
    sizes = sorted({int(k.split(".")[2]) for k in r if k.startswith("mem.tern.")})
    out.append("### 4. Memory per established idle connection\n")
    out.append("| connections asked | tern established | tern bytes/conn (RSS) "
               "| Linux established | Linux bytes/conn (slab) | Linux / tern |")
    out.append("|---:|---:|---:|---:|---:|---:|")
    rows, worst = [], None
    for n in sizes:
        te, tb = num(r, "mem.tern.%d.established" % n), num(r, "mem.tern.%d.bytes_per_conn" % n)
        le, lb = num(r, "mem.linux.%d.established" % n), num(r, "mem.linux.%d.bytes_per_conn" % n)
        out.append("| %s | %s | %s | %s | %s | %s |" % (
            fmt(n), fmt(te), fmt(tb), fmt(le), fmt(lb), fmt(ratio(lb, tb), 1)))
        rows.append((n, tb, lb))
        if not math.isnan(tb):
            worst = tb if worst is None else max(worst, tb)
    out.append("")
    targets.append(("<= 256 bytes per established idle connection (tern, worst size)",
                    fmt(worst), verdict(None if worst is None else worst <= 256)))
    return rows


FLOOD_ROWS = [("xdp_tx", "XDP_TX reflector (no TCP logic)"),
              ("afxdp", "bare AF_XDP reflector (tern-reflect)"),
              ("tern_always", "tern --xdp-cookies always"),
              ("tern_never", "tern --xdp-cookies never (worker, cookies)"),
              ("linux", "Linux, tcp_syncookies=2")]


def flood_section(r, out):
    """The flood table: replies per second and CPU per reply with the
    generator's own cost (the XDP_DROP sink run) subtracted."""
    kinds = r.get("floods.kinds", "syn ack mixed").split()
    out.append("### 6. SYN, ACK and mixed floods at the generator's maximum\n")
    out.append("| flood | server | offered/s | replies/s | replies/offered | vs XDP_TX "
               "| CPU ns per reply, generator subtracted | all CPUs ns per reply |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|")
    rows = []
    for kind in kinds:
        k = "flood.%s." % kind
        sink = ratio(num(r, k + "sink.busy_ns"), num(r, k + "sink.sent"))
        ceil = num(r, k + "xdp_tx.replies")
        out.append("| %s | generator alone (XDP_DROP sink) | %s | | | | %s per frame sent | |" % (
            kind, fmt(num(r, k + "sink.sent_pps")), fmt(sink)))
        for key, label in FLOOD_ROWS:
            busy, sent = num(r, k + key + ".busy_ns"), num(r, k + key + ".sent")
            rep = num(r, k + key + ".replies")
            secs = ratio(sent, num(r, k + key + ".sent_pps"))
            net = ratio(busy - sink * sent, rep)
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                kind, label, fmt(num(r, k + key + ".sent_pps")), fmt(ratio(rep, secs)),
                fmt(ratio(rep, sent), 2), fmt(ratio(rep, ceil), 2), fmt(net),
                fmt(ratio(busy, rep))))
            if kind == "syn":
                rows.append((label, num(r, k + key + ".sent_pps"), ratio(rep, secs)))
    out.append("")
    out.append("Replies: SYN-ACKs to SYNs and RSTs to ACKs, counted by tern-flood. CPU: busy "
               "time of every CPU (/proc/stat) over the flood; on veth the receiver's XDP "
               "(and Linux's receive work up to RPS) runs on the sending CPU, so no contender's "
               "own CPU tells its cost. The generator's cost per frame sent, measured against "
               "an XDP_DROP sink in the same run, is subtracted (times the frames sent to that "
               "contender); what the generator spends receiving the replies stays in. "
               "vs XDP_TX: replies as a fraction of the XDP_TX reflector's in the same kind.")
    out.append("")
    return rows


PAIR_COLS = (("xdp_tx", "tern_always"), ("afxdp", "tern_never"))


def median(v):
    v = sorted(x for x in v if not math.isnan(x))
    if not v:
        return float("nan")
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def pairs_section(r, out, targets):
    """Alternating rounds: each round's tern / reflector ratios and the
    medians, the figures the 0.95 targets compare."""
    n = int(num(r, "pairs.rounds"))
    out.append("### 8. SYN floods in alternating rounds: tern against its reflectors\n")
    out.append("| round | XDP_TX reflector | tern --xdp-cookies always | ratio "
               "| bare AF_XDP reflector | tern --xdp-cookies never (worker) | ratio |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|")
    ratios = ([], [])
    for i in range(1, n + 1):
        cells = []
        for j, (refl, tern) in enumerate(PAIR_COLS):
            a, b = num(r, "pairs.%d.%s" % (i, refl)), num(r, "pairs.%d.%s" % (i, tern))
            ratios[j].append(ratio(b, a))
            cells += [fmt(a), fmt(b), fmt(ratio(b, a), 2)]
        out.append("| %d | %s |" % (i, " | ".join(cells)))
    med = [median(x) for x in ratios]
    out.append("| median | | | %s | | | %s |" % (fmt(med[0], 2), fmt(med[1], 2)))
    out.append("")
    out.append("SYN-ACKs per second counted by tern-flood at its maximum; each round runs "
               "the four back to back, %s s each, so a ratio compares neighbours in time." %
               r.get("pairs.secs", "2"))
    out.append("")
    for m, what in zip(med, ("SYN-ACKs in XDP >= 0.95 x XDP_TX reflector",
                             "worker SYN-ACKs >= 0.95 x AF_XDP reflector")):
        targets.append(("%s (median of %d rounds)" % (what, n), fmt(m, 2),
                        verdict(None if math.isnan(m) else m >= 0.95)))


def loss_cells(r, srv, p, what, step="loss"):
    """The loss (or wan) table's cells of one row: per server, what's figures."""
    cells = []
    for key, _ in srv:
        k = "%s.%s.%s." % (step, key, p)
        fails = num(r, k + what + "_failed")
        if what == "bulk":
            cell = "%s (%s-%s)" % (fmt(num(r, k + "bulk_mibps"), 1),
                                   fmt(num(r, k + "bulk_min"), 1), fmt(num(r, k + "bulk_max"), 1))
        else:
            cell = "%s / %s [%s]" % (fmt(num(r, k + "short_p50_ms"), 2),
                                     fmt(num(r, k + "short_p99_ms"), 2),
                                     fmt(num(r, k + "short_over900")))
        cells.append(cell + (", %s failed" % fmt(fails) if fails > 0 else ""))
    return cells


def like_pairs(cc, cubic, bbr):
    """The ratios a GET table prints: (tern's key, nginx's key, label).
    tern CUBIC against nginx CUBIC and against nginx on the host's
    algorithm; tern BBR against nginx BBR when that is the host's."""
    pairs = [(cubic, "nginx_cubic", "tern / nginx CUBIC"),
             (cubic, "nginx", "tern / nginx (%s)" % cc)]
    if cc == "bbr":
        pairs.append((bbr, "nginx", "tern BBR / nginx BBR"))
    return pairs


def bulk_rows(r, out, targets, step, srv, pairs, what):
    """The bulk table's rows of a GET step; targets for each pair."""
    rows = []
    for p in r.get(step + ".pcts", "0 1 3").split():
        med = {key: num(r, "%s.%s.%s.bulk_mibps" % (step, key, p)) for key, _ in srv}
        rat = [ratio(med[t], med[n]) for t, n, _ in pairs]
        out.append("| %s %% | %s | %s |" % (p, " | ".join(loss_cells(r, srv, p, "bulk", step)),
                                            " | ".join(fmt(x, 2) for x in rat)))
        rows.append(("%s %%" % p,) + tuple(med[k] for k, _ in srv))
        for (_, _, lab), x in zip(pairs, rat):
            targets.append(("1 MiB GETs%s at %s %% loss: %s >= 1.0" % (what, p, lab), fmt(x, 2),
                            verdict(None if math.isnan(x) else x >= 1.0)))
    return rows


def short_rows(r, out, targets, step, srv, pairs, what):
    """The short table's rows of a GET step: p99 ratios, p99 targets."""
    for p in r.get(step + ".pcts", "0 1 3").split():
        p99 = {key: num(r, "%s.%s.%s.short_p99_ms" % (step, key, p)) for key, _ in srv}
        out.append("| %s %% | %s | %s |" % (p, " | ".join(loss_cells(r, srv, p, "short", step)),
                                            " | ".join(fmt(ratio(p99[t], p99[n]), 2)
                                                       for t, n, _ in pairs)))
        for t, n, lab in pairs:
            ok = None if math.isnan(p99[t]) or math.isnan(p99[n]) else p99[t] <= p99[n]
            targets.append(("20 KB GETs' p99%s at %s %% loss: %s <= 1.0" % (what, p, lab),
                            "%s vs %s ms" % (fmt(p99[t], 2), fmt(p99[n], 2)), verdict(ok)))


def table_head(out, srv, pairs):
    out.append("| loss | " + " | ".join(lab for _, lab in srv) + " | " +
               " | ".join(lab for _, _, lab in pairs) + " |")
    out.append("|---:|" + "---:|" * (len(srv) + len(pairs)))


def loss_section(r, out, targets):
    cc = r.get("loss.nginx_cc", "?")
    srv = [("tern_cubic", "tern (CUBIC, RACK)"), ("tern_reno", "tern --cc reno"),
           ("tern_norack", "tern --rack-segs 0"), ("tern_bbr", "tern --cc bbr"),
           ("nginx", "nginx (%s)" % cc), ("nginx_cubic", "nginx CUBIC")]
    pairs = like_pairs(cc, "tern_cubic", "tern_bbr")
    out.append("### 7. Transfers under random loss: tern --app http vs nginx (1 worker, "
               "sendfile)\n")
    if r.get("loss.client_napi") == "threaded":
        out.append("The client veth's receive work in NAPI threads on the client's CPU "
                   "(BENCH_CLIENT_NAPI=threaded).\n")
    out.append("Bulk: 1 MiB GETs, MiB/s per run, median (min-max) of the runs%s.\n" % (
        ", each cell after %s GETs not counted" % r["loss.warmup"] if r.get("loss.warmup") else ""))
    table_head(out, srv, pairs)
    rows = bulk_rows(r, out, targets, "loss", srv, pairs, "")
    out.append("")
    out.append("Short: 20 KB GETs, latency of one GET (connect to last byte), p50 / p99 ms "
               "[GETs over 900 ms: a handshake retransmission's second]; the ratios are "
               "of p99.\n")
    table_head(out, srv, pairs)
    short_rows(r, out, targets, "loss", srv, pairs, "")
    out.append("")
    out.append("Loss: an XDP program on the client veth drops that share of the IPv4 TCP frames "
               "the server sends (bpf_get_prandom_u32); the client's frames are never dropped. "
               "Client: one Python process on the generator CPU, one connection per GET. "
               "nginx runs twice: on the server namespace's congestion control (the host's "
               "default, %s) and on CUBIC, Linux's default and tern's, set on its listener "
               "with TCP_CONGESTION (tools/bench/ccpreload). tern BBR is `--cc bbr` (BBR v1, "
               "no pacer)." % cc)
    out.append("")
    return [(row[0], row[1], row[2], row[5], row[6]) for row in rows]


def wan_section(r, out, targets):
    """Step wan: the loss table's GETs over a delayed path."""
    cc = r.get("wan.nginx_cc", "?")
    rtt = r.get("wan.rtt_ms", "?")
    srv = [("tern", "tern (CUBIC, RACK)"), ("tern_bbr", "tern --cc bbr"),
           ("nginx", "nginx (%s)" % cc), ("nginx_cubic", "nginx CUBIC")]
    pairs = like_pairs(cc, "tern", "tern_bbr")
    what = ", %s ms RTT," % rtt
    out.append("### 9. Transfers over a %s ms round trip under random loss: tern --app http "
               "vs nginx\n" % rtt)
    out.append("Bulk: 1 MiB GETs, MiB/s per run, median (min-max) of the runs.\n")
    table_head(out, srv, pairs)
    bulk_rows(r, out, targets, "wan", srv, pairs, what)
    out.append("")
    out.append("Short: 20 KB GETs, p50 / p99 ms [GETs over 900 ms]; the ratios are of p99.\n")
    table_head(out, srv, pairs)
    short_rows(r, out, targets, "wan", srv, pairs, what)
    out.append("")
    out.append("Path: tern-bench-delay (tools/bench/delay) holds every packet the client sends "
               "to the server for %s ms (connects refused over it took %s ms, median); the "
               "server's frames come straight back, less the loss program's share. No queue "
               "and no rate limit: the round trip and the loss are all the path has." % (
                   rtt, r.get("wan.rtt_measured_ms", "?")))
    out.append("")


def core_section(r, out):
    out.append("### 5. Core microbenchmarks (no I/O, one CPU)\n")
    out.append("| mode | SYN/s | ns/SYN | instructions/SYN |")
    out.append("|---|---:|---:|---:|")
    for m in ("cookie", "stateful"):
        out.append("| %s | %s | %s | %s |" % (m, r.get("core.%s.syn_per_s" % m, "n/a"),
                                             r.get("core.%s.ns_per_syn" % m, "n/a"),
                                             r.get("core.%s.instr_per_syn" % m, "n/a")))
    out.append("")


def bars(path, title, ylabel, rows, cols):
    """A clustered bar chart of rows [(label, v1, v2, ...)] with gnuplot."""
    if not shutil.which("gnuplot") or not rows:
        return False
    dat = path + ".dat"
    with open(dat, "w") as f:
        for row in rows:
            f.write('"%s" %s\n' % (row[0], " ".join(
                "NaN" if v is None or math.isnan(v) else repr(float(v)) for v in row[1:])))
    plot = ", ".join("'%s' using %d:xtic(1) title '%s'" % (dat, i + 2, c)
                     for i, c in enumerate(cols))
    script = """set terminal png size 900,500 noenhanced
set output '%s'
set title '%s'
set ylabel '%s'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20
set yrange [0:*]
set grid ytics
plot %s
""" % (path, title, ylabel, plot)
    res = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if res.returncode:
        print("Error: gnuplot %s: %s" % (path, res.stderr.strip()), file=sys.stderr)
    os.unlink(dat)
    return res.returncode == 0


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    r = load(sys.argv[1])
    outdir = sys.argv[2]
    out, targets = [], []
    out.append("## tern benchmarks, %s\n" % r.get("date", "?"))
    out.append("machine: %s; CPUs: %s\n" % (r.get("machine", "?"), r.get("cpus", "?")))
    syn = syn_section(r, out, targets) if "syn.reflect.synack_pps" in r else []
    http = http_section(r, out, targets) if "http.tern_close" in r else []
    legit = legit_section(r, out, targets) if "legit.tern.ok" in r else []
    mem = mem_section(r, out, targets) if any(k.startswith("mem.") for k in r) else []
    if any(k.startswith("core.") for k in r):
        core_section(r, out)
    floods = flood_section(r, out) if "floods.kinds" in r else []
    if "pairs.rounds" in r:
        pairs_section(r, out, targets)
    loss = loss_section(r, out, targets) if "loss.pcts" in r else []
    if "wan.pcts" in r:
        wan_section(r, out, targets)
    out.append("### Targets (measured, not asserted)\n")
    out.append("| target | measured | |")
    out.append("|---|---:|---|")
    for t in targets:
        out.append("| %s | %s | %s |" % t)
    out.append("")
    print("\n".join(out))

    plots = []
    if bars(os.path.join(outdir, "syn.png"), "SYN -> SYN-ACK under flood", "packets/s",
            syn, ["SYNs offered/s", "SYN-ACKs/s"]):
        plots.append("syn.png")
    if bars(os.path.join(outdir, "http.png"), "HTTP, wrk -t1 -c64", "per second", http,
            ["connections or requests/s"]):
        plots.append("http.png")
    if bars(os.path.join(outdir, "legit.png"), "Legitimate connects under flood",
            "connect latency, ms", legit, ["p50", "p99"]):
        plots.append("legit.png")
    if bars(os.path.join(outdir, "mem.png"), "Memory per established idle connection",
            "bytes", [(fmt(n), t, l) for n, t, l in mem], ["tern (RSS)", "Linux (slab)"]):
        plots.append("mem.png")
    if bars(os.path.join(outdir, "floods.png"), "SYN flood: SYN-ACKs per second", "packets/s",
            floods, ["offered/s", "SYN-ACKs/s"]):
        plots.append("floods.png")
    if bars(os.path.join(outdir, "loss.png"), "1 MiB GETs under loss", "MiB/s", loss,
            ["tern (CUBIC)", "tern reno", "nginx", "nginx CUBIC"]):
        plots.append("loss.png")
    doc = {"results": {k: (v if math.isnan(num(r, k)) else num(r, k)) for k, v in r.items()},
           "targets": [{"target": a, "measured": b, "verdict": c} for a, b, c in targets],
           "plots": plots}
    with open(os.path.join(outdir, "bench.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
    print("results: %s/bench.json, plots: %s" % (outdir, ", ".join(plots) or "none (no gnuplot)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
