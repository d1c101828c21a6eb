/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Frame parser: Ethernet (at most one 802.1Q tag), IPv4 / IPv6, TCP and its
 * options, into a struct tern_seg. Pure function of its input; never reads
 * past `len`, never loops on malformed options.
 */
#ifndef TERN_CORE_PARSE_H
#define TERN_CORE_PARSE_H

#include "seg.h"

/*
 * Parse results. TERN_PARSE_OK is 0; every other value is a drop reason and
 * indexes a counter (see tern_parse_reason_name()).
 */
#define TERN_PARSE_REASONS(X)                                                  \
	X(OK, "Ok")                                                            \
	X(ETH_SHORT, "InDropEthShort")     /* frame shorter than its L2 header */ \
	X(NOT_IP, "InDropNotIp")           /* EtherType neither IPv4 nor IPv6 */ \
	X(IP_SHORT, "InDropIpShort")       /* shorter than the fixed IP header */ \
	X(IP_VERSION, "InDropIpVersion")   /* version nibble does not match */ \
	X(IP_IHL, "InDropIpIhl")           /* IPv4 IHL < 5 or beyond the frame */ \
	X(IP_TOTLEN, "InDropIpTotLen")     /* total/payload length beyond frame or below header */ \
	X(IP_CSUM, "InCsumErrorsIp")       /* IPv4 header checksum */ \
	X(IP_FRAG, "InDropIpFrag")         /* IPv4 MF or fragment offset */ \
	X(IP6_EXTHDR, "InDropIp6ExtHdr")   /* IPv6 next header is not TCP */ \
	X(NOT_TCP, "InDropNotTcp")         /* IPv4 protocol is not TCP */ \
	X(TCP_SHORT, "InDropTcpShort")     /* fewer than 20 bytes of TCP */ \
	X(TCP_DOFF, "InDropTcpDoff")       /* data offset < 5 or beyond the segment */ \
	X(TCP_CSUM, "InCsumErrors")        /* TCP checksum (pseudo-header) */ \
	X(ICMP_SHORT, "InDropIcmpShort")   /* fewer than 8 bytes of ICMP */ \
	X(ICMP_CSUM, "IcmpInCsumErrors")   /* ICMP / ICMPv6 checksum */ \
	X(ICMP_TYPE, "InDropIcmpType")     /* not fragmentation needed / packet too big */ \
	X(ICMP_QUOTE, "InDropIcmpQuote")   /* quoted header not IP + 8 bytes of TCP */

enum tern_parse_result {
#define X(name, str) TERN_PARSE_##name,
	TERN_PARSE_REASONS(X)
#undef X
	TERN_PARSE__COUNT
};

/*
 * Parse one Ethernet frame. Returns TERN_PARSE_OK and fills *seg, or a drop
 * reason (seg is then unspecified). seg->frame is left untouched (the caller
 * owns that handle). With verify_csum false, checksums are not checked (for
 * callers whose NIC already verified them).
 */
int tern_parse(const uint8_t *frame, uint32_t len, struct tern_seg *seg, bool verify_csum);

/*
 * An ICMP "fragmentation needed" (type 3; every code is parsed, the core
 * acts on code 4) or ICMPv6 "packet too big" (type 2) about a TCP segment
 * we sent. t is the quoted segment's tuple seen from our side: laddr and
 * lport are its source (us), raddr and rport its destination.
 */
#define TERN_ICMP_FRAG_NEEDED 4 /* the code of type 3 Path MTU discovery uses */

struct tern_icmp {
	struct tern_tuple t;
	uint32_t seq;  /* the quoted TCP sequence number */
	uint32_t mtu;  /* next-hop MTU (16 bits for IPv4) */
	uint8_t type;
	uint8_t code;
	uint8_t pad[2];
};

/*
 * Parse an ICMP error frame: Ethernet, IPv4 protocol 1 or IPv6 next header
 * 58 (straight after the fixed header), the ICMP header (checksum
 * verified when verify_csum) and the quoted IP header plus the first 8
 * bytes of TCP (ports and sequence number), as icmp_unreach() and
 * icmpv6_notify() need them. Returns TERN_PARSE_OK or a drop reason.
 */
int tern_parse_icmp(const uint8_t *frame, uint32_t len, struct tern_icmp *ic, bool verify_csum);

/* Parse TCP options (the bytes after the 20-byte header) into *o, Linux style. */
void tern_parse_opts(const uint8_t *p, uint32_t len, struct tern_opts *o);

/* The counter name of a parse result, e.g. "InCsumErrors". */
const char *tern_parse_reason_name(int reason);

#endif
