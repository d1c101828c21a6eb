// SPDX-License-Identifier: BSD-2-Clause
/*
 * The PROXY protocol header (haproxy's doc/proxy-protocol.txt, versions 1
 * and 2) and the parsing of --backend addresses. Pure functions: the
 * unit tests compare their output byte for byte with the specification's
 * layouts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

/* proxy-protocol.txt 2.2: the 12-byte signature of version 2. */
static const uint8_t v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* 2.1: "PROXY TCP4 <src> <dst> <sport> <dport>\r\n"; TCP6 with the
 * compressed IPv6 forms inet_ntop writes. */
static int header_v1(const struct tern_tuple *t, uint8_t *buf, uint32_t cap)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], line[TERN_PROXY_HDR_MAX];
	int v4 = t->family == 4, af = v4 ? AF_INET : AF_INET6, n;
	const uint8_t *s = v4 ? t->raddr.b + 12 : t->raddr.b;
	const uint8_t *d = v4 ? t->laddr.b + 12 : t->laddr.b;

	if (!inet_ntop(af, s, src, sizeof(src)) || !inet_ntop(af, d, dst, sizeof(dst)))
		return -EINVAL;
	n = snprintf(line, sizeof(line), "PROXY %s %s %s %u %u\r\n", v4 ? "TCP4" : "TCP6", src,
		     dst, t->rport, t->lport);
	if (n < 0 || n >= (int)sizeof(line))
		return -EINVAL;
	if ((uint32_t)n > cap)
		return -ENOSPC;
	memcpy(buf, line, (size_t)n);
	return n;
}

/* 2.2: signature, ver_cmd 0x21 (version 2, PROXY), fam 0x11 (TCP over
 * IPv4) or 0x21 (TCP over IPv6), the address block's length (big endian),
 * then source address, destination address, source port, destination
 * port, all in network order. */
static int header_v2(const struct tern_tuple *t, uint8_t *buf, uint32_t cap)
{
	int v4 = t->family == 4;
	uint32_t alen = v4 ? 4 : 16, blen = 2 * alen + 4, n = 16 + blen;
	const uint8_t *s = v4 ? t->raddr.b + 12 : t->raddr.b;
	const uint8_t *d = v4 ? t->laddr.b + 12 : t->laddr.b;

	if (n > cap)
		return -ENOSPC;
	memcpy(buf, v2_sig, sizeof(v2_sig));
	buf[12] = 0x21;
	buf[13] = v4 ? 0x11 : 0x21;
	put16(buf + 14, (uint16_t)blen);
	memcpy(buf + 16, s, alen);
	memcpy(buf + 16 + alen, d, alen);
	put16(buf + 16 + 2 * alen, t->rport);
	put16(buf + 18 + 2 * alen, t->lport);
	return (int)n;
}

int tern_proxy__header(int version, const struct tern_tuple *t, uint8_t *buf, uint32_t cap)
{
	if (t->family != 4 && t->family != 6)
		return -EINVAL;
	switch (version) {
	case 1: return header_v1(t, buf, cap);
	case 2: return header_v2(t, buf, cap);
	default: return -EINVAL;
	}
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int tern_proxy__parse_backend(struct tern_proxy_backend *b, const char *s)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = s;
	size_t hlen;
	uint16_t port;

	memset(b, 0, sizeof(*b));
	if (strlen(s) >= sizeof(b->name))
		return -EINVAL;
	if (*s == '[') { /* [IPv6]:PORT */
		colon = strstr(s, "]:");
		if (!colon)
			return -EINVAL;
		h = s + 1;
		hlen = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -EINVAL;
		hlen = (size_t)(colon - s);
	}
	if (!hlen || hlen >= sizeof(host) || parse_port(colon + 1, &port))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (*s == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&b->sa;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		b->salen = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&b->sa;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -EINVAL;
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		b->salen = sizeof(*a4);
	}
	strcpy(b->name, s);
	return 0;
}
