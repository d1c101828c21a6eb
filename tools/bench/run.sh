#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# make bench: the network benchmarks side by side with Linux and nginx
# (bench_net.sh, as root), the proxy against HAProxy (bench_proxy.sh),
# the XDP SYN-ACK path against the XDP_TX reflector in BPF_PROG_TEST_RUN
# (tern-bench-xdp, root), then the core benchmarks: every section of
# tern-bench-core pinned to one CPU and instructions per SYN under
# callgrind. BENCH_STEPS picks steps: bench_net.sh's, "proxy", "xdp", "core"
# (default all). Prints, never asserts. Results in BUILD_DIR: results.txt
# (key=value), bench.json and *.png (report.py), and a Markdown table.
#   tools/bench/run.sh BUILD_DIR
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
bin=$1/tools/tern-bench-core
[ -x "$bin" ] || { echo "Error: $bin: not built" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
results=$1/results.txt
start=$(date +%s)
{
	echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
	echo "machine=$(nproc) CPUs, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)"
} >"$results"

# BENCH_STEPS: bench_net.sh's steps, "proxy" (bench_proxy.sh), "xdp"
# (tern-bench-xdp) and "core" (the core microbenchmarks); default all.
steps=" ${BENCH_STEPS:-syn_flood floods pairs http_rate legit mem loss wan proxy xdp core} "
net_steps=$(tr ' ' '\n' <<<"$steps" | grep -vxE 'proxy|xdp|core|' | tr '\n' ' ' || true)
has_step() { [[ $steps == *" $1 "* ]]; }

net_rc=0
rm -f "$1/proxy.md"
if [ "$(id -u)" = 0 ]; then
	if [ -n "$net_steps" ]; then
		BENCH_STEPS=$net_steps "$here/bench_net.sh" "$1" "$1" || net_rc=$?
		[ "$net_rc" = 0 ] || echo "Error: bench: network benchmarks failed (exit $net_rc)" >&2
	fi
	# The proxy against HAProxy (its own table, also kept in proxy.md).
	if has_step proxy; then
		"$here/bench_proxy.sh" "$1" >"$1/proxy.md" || {
			net_rc=$?
			echo "Error: bench: proxy benchmark failed (exit $net_rc)" >&2
		}
	fi
	# ns per SYN in the kernel: tern's XDP SYN-ACK against the reflector.
	if has_step xdp; then
		echo "# XDP SYN-ACK path, BPF_PROG_TEST_RUN (CPU $(($(nproc) - 1)))"
		echo
		taskset -c "$(($(nproc) - 1))" "$1/tools/tern-bench-xdp" "$1/bpf/tern.bpf.o" \
			"$1/tools/bench/xdp/reflect_tx.bpf.o" "$1/tools/bench/xdp/progrun.bpf.o" \
			"$1/bpf/flood.bpf.o" ||
			echo "Error: bench: tern-bench-xdp failed" >&2
		echo
	fi
else
	echo "Error: bench: the network benchmarks need root (namespaces, XDP); core only" >&2
fi

N1=100000
N2=200000

tmp=$(mktemp -d /tmp/tern-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cpu=$(($(nproc) - 1))
model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)

if has_step core; then
	echo "# tern core benchmarks"
	echo
	echo "machine: $(nproc) CPUs, ${model:-unknown CPU}, kernel $(uname -r)"
	echo "pinned to CPU $cpu (taskset -c $cpu)"
	echo

	taskset -c "$cpu" "$bin" | tee "$tmp/bench.md"

	# Field n of the SYN table row for mode m, or n/a.
	field() {
		awk -F'|' -v m="$1" -v n="$2" \
			'{ gsub(/ /, "", $2) } $2 == m { gsub(/ /, "", $n); print $n; found = 1; exit }
			 END { if (!found) print "n/a" }' "$tmp/bench.md"
	}

	# Total Ir of syn_batch (the measured loop) for mode m and count n.
	irs() {
		local out=$tmp/cg.$1.$2

		if ! taskset -c "$cpu" valgrind --tool=callgrind --callgrind-out-file="$out" \
			--collect-atstart=no --toggle-collect='syn_batch*' \
			"$bin" --mode "$1" --count "$2" >/dev/null 2>"$tmp/vg.$1.$2.log" ||
			[ ! -s "$out" ]; then
			echo "Error: callgrind $1 $2: $(tail -n 1 "$tmp/vg.$1.$2.log")" >&2
			echo "n/a"
			return
		fi
		awk '/^(summary|totals):/ { print $2; exit }' "$out"
	}

	# (Ir(N2) - Ir(N1)) / (N2 - N1): warm-up and setup cancel out.
	ipsyn() {
		local a b

		command -v valgrind >/dev/null || { echo "n/a (no valgrind)"; return; }
		a=$(irs "$1" "$N1")
		b=$(irs "$1" "$N2")
		if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]]; then
			awk -v a="$a" -v b="$b" -v d=$((N2 - N1)) 'BEGIN { printf "%.0f", (b - a) / d }'
		else
			echo "n/a"
		fi
	}

	echo
	echo "## Summary"
	echo
	echo "instructions/SYN: callgrind Ir of the SYN loop alone, (Ir($N2 SYNs) - Ir($N1 SYNs)) / $((N2 - N1))"
	echo
	echo "| mode | SYN/s (1 core) | ns/SYN | instructions/SYN |"
	echo "|---|---:|---:|---:|"
	for m in cookie stateful; do
		i=$(ipsyn "$m")
		echo "| $m | $(field "$m" 5) | $(field "$m" 6) | $i |"
		{
			echo "core.$m.syn_per_s=$(field "$m" 5)"
			echo "core.$m.ns_per_syn=$(field "$m" 6)"
			echo "core.$m.instr_per_syn=$i"
		} >>"$results"
	done
fi

echo
python3 "$here/report.py" "$results" "$1"
echo
[ ! -s "$1/proxy.md" ] || cat "$1/proxy.md"
echo
echo "make bench: $(($(date +%s) - start)) s"
exit "$net_rc"
