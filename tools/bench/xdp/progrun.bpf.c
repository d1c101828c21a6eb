// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_progrun: the harness of tern-bench-xdp (tools/bench/progrun/).
 * BPF_PROG_TEST_RUN with repeat runs a program on the same buffer over and
 * over, so a program that rewrites its frame (a SYN into its SYN-ACK) sees
 * its own output from the second run on. This entry puts the frame in
 * bench_frame back first (length and bytes), then tail-calls the program
 * under test in bench_progs[0]. bench_nop is the empty target: its time is
 * the harness's own, subtracted from the others'.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define BENCH_FRAME_MAX 256

struct bench_frame {
	__u32 len;
	__u8 data[BENCH_FRAME_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_frame);
} bench_frame SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_progs SEC(".maps");

SEC("xdp")
int bench_progrun(struct xdp_md *ctx)
{
	__u32 zero = 0, len, cur;
	struct bench_frame *f = bpf_map_lookup_elem(&bench_frame, &zero);

	if (!f)
		return XDP_ABORTED;
	len = f->len;
	if (len < 14 || len > BENCH_FRAME_MAX)
		return XDP_ABORTED;
	cur = (__u32)bpf_xdp_get_buff_len(ctx);
	if (cur != len && bpf_xdp_adjust_tail(ctx, (int)len - (int)cur))
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, 0, f->data, len))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &bench_progs, 0);
	return XDP_ABORTED;
}

SEC("xdp")
int bench_nop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
