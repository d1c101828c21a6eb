// SPDX-License-Identifier: BSD-2-Clause
/*
 * http: a static HTTP/1.1 responder for front-end use (health checks,
 * redirects, "service moved" pages). Every request gets the same response,
 * built once per worker in two variants (keep-alive and "Connection:
 * close") and sent by reference from that memory: zero copy, nothing
 * copied per request. A HEAD request gets the same bytes without the body
 * (a shorter length on the same memory).
 *
 * A reload builds a new response set; the old one lives while a
 * connection still uses it (a reference count). A connection moves to the
 * current set at a request that finds every earlier response of it
 * acknowledged (nothing of the old memory in tern's send queue): a
 * kept-alive client that reads its responses gets the new one at its next
 * request.
 *
 * Per connection: the request head is gathered in a buffer from a
 * per-worker pool (HTTP_HEAD_MAX; a head that does not fit gets 431 and a
 * close); the request line is checked (method SP target SP HTTP/1.x,
 * else 400 and close); keep-alive is the default for HTTP/1.1 and
 * "Connection: close" is honoured (the close variant, then
 * tern_conn__close, so tern sends the first FIN and keeps the TIME-WAIT);
 * HTTP/1.0 closes unless it asks for keep-alive. Pipelined requests are
 * answered in order. Request bodies are refused (400): Content-Length > 0
 * or Transfer-Encoding. Idle connections are closed after --http-idle.
 *
 * Flow control: connections run in receive-credit mode with the head
 * buffer's size, and credit is given back only as requests are consumed;
 * requests are consumed only while less than HTTP_OUT_MAX of responses is
 * unacknowledged (and the response queue has room). A client that
 * pipelines faster than it reads its responses sees its window close
 * instead of making tern buffer without bound.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"

#define HTTP_HEAD_MAX 8192u        /* request head bytes per connection */
#define HTTP_MAX_BUFS 16384u       /* head buffers per worker, at most */
#define HTTP_OUT_MAX (64u << 10)   /* unacknowledged response bytes before reading stops */
#define HTTP_RING 32u              /* responses queued per connection; divides 256 */
#define HTTP_IDLE_MS 10000u

enum { R_KA, R_KA_HEAD, R_CLOSE, R_CLOSE_HEAD, R_400, R_431, R__COUNT };

static const char resp_400[] = "HTTP/1.1 400 Bad Request\r\nServer: tern\r\n"
			       "Content-Type: text/plain\r\nContent-Length: 12\r\n"
			       "Connection: close\r\n\r\nbad request\n";
static const char resp_431[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
			       "Server: tern\r\nContent-Type: text/plain\r\n"
			       "Content-Length: 31\r\nConnection: close\r\n\r\n"
			       "request header fields too large\n";

/* The responses of one configuration; refs: h->cur and each connection
 * that uses it. */
struct http_resp {
	uint32_t refs;
	const uint8_t *rp[R__COUNT];
	uint32_t rlen[R__COUNT];
	uint8_t mem[];
};

struct http_conn {
	struct http_resp *resp;  /* the set its responses come from */
	uint8_t *buf;
	uint32_t len;       /* bytes at buf not yet consumed */
	uint32_t scan;      /* buf[0 .. scan) holds no end of head */
	uint32_t out;       /* response bytes queued, not yet acknowledged */
	uint32_t off;       /* bytes of the front response handed to send */
	uint32_t next_free;
	uint8_t ring[HTTP_RING]; /* responses to hand to send, in order */
	uint8_t rhead, rtail;    /* free-running */
	uint8_t closing;    /* no more requests: close once the ring is handed over */
	uint8_t closed;     /* tern_conn__close done */
	uint8_t peer_fin;
};

struct http {
	struct tern_app_env env;
	struct http_conn *conns;
	uint8_t *mem;
	struct http_resp *cur; /* for new requests */
	uint32_t nconns;
	uint32_t free_head;
	uint32_t idle_ms;
	uint64_t refused;   /* no buffer left at accept */
};

#define NONE UINT32_MAX

static struct http_conn *st(struct tern_conn *c)
{
	return tern_conn__user(c);
}

static const char *reason(uint32_t status)
{
	static const struct {
		uint16_t code;
		const char *text;
	} t[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 204, "No Content" },
		{ 301, "Moved Permanently" }, { 302, "Found" }, { 303, "See Other" },
		{ 304, "Not Modified" }, { 307, "Temporary Redirect" },
		{ 308, "Permanent Redirect" }, { 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 410, "Gone" }, { 418, "I'm a teapot" }, { 429, "Too Many Requests" },
		{ 451, "Unavailable For Legal Reasons" }, { 500, "Internal Server Error" },
		{ 501, "Not Implemented" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == status)
			return t[i].text;
	return status < 300 ? "Success" : status < 400 ? "Redirection" :
	       status < 500 ? "Client Error" : "Server Error";
}

/* ---- sending ---- */

static void resp_put(struct http_resp *r)
{
	if (r && !--r->refs)
		free(r);
}

/* hc uses the current set if nothing of its old one is queued or unacknowledged. */
static void resp_follow(struct http *h, struct http_conn *hc)
{
	if (hc->resp == h->cur || hc->rhead != hc->rtail || hc->out)
		return;
	resp_put(hc->resp);
	hc->resp = h->cur;
	hc->resp->refs++;
}

static void enqueue(struct http *h, struct http_conn *hc, int k)
{
	resp_follow(h, hc);
	hc->ring[hc->rtail++ % HTTP_RING] = (uint8_t)k;
	hc->out += hc->resp->rlen[k];
	if (k != R_KA && k != R_KA_HEAD)
		hc->closing = 1;
}

/* Hand the queued responses to tern, in order; close after the last one
 * when closing. */
static void pump(struct http *h, struct tern_conn *c, struct http_conn *hc)
{
	while (hc->rhead != hc->rtail) {
		int k = hc->ring[hc->rhead % HTTP_RING];
		const struct http_resp *rs = hc->resp;
		int r = tern_conn__send(h->env.stack, c, rs->rp[k] + hc->off, rs->rlen[k] - hc->off,
					*h->env.now, h->env.out);

		if (r <= 0)
			return; /* -EAGAIN: writable() calls again */
		hc->off += (uint32_t)r;
		if (hc->off == rs->rlen[k]) {
			hc->off = 0;
			hc->rhead++;
		}
	}
	if (hc->closing && !hc->closed) {
		hc->closed = 1;
		tern_conn__close(h->env.stack, c, *h->env.now, h->env.out);
	}
}

/* ---- parsing (RFC 9112) ---- */

static int tchar(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static const uint8_t *find_crlf(const uint8_t *p, const uint8_t *end)
{
	for (; p + 1 < end; p++)
		if (p[0] == '\r' && p[1] == '\n')
			return p;
	return NULL;
}

static int token_eq(const uint8_t *p, size_t n, const char *word)
{
	return n == strlen(word) && !strncasecmp((const char *)p, word, n);
}

/* The response kind for one request head p[0 .. n), which ends in CRLFCRLF. */
static int parse_head(const uint8_t *p, uint32_t n)
{
	const uint8_t *end = p + n, *eol = find_crlf(p, end), *q = p, *m;
	int minor, head, conn_close = 0, conn_ka = 0, keep;

	/* request-line = method SP request-target SP HTTP-version CRLF */
	while (q < eol && tchar(*q))
		q++;
	if (q == p || q == eol || *q != ' ')
		return R_400;
	head = q - p == 4 && !memcmp(p, "HEAD", 4);
	m = ++q;
	while (q < eol && *q > ' ' && *q != 0x7f)
		q++;
	if (q == m || q == eol || *q != ' ')
		return R_400;
	q++;
	if (eol - q != 8 || memcmp(q, "HTTP/1.", 7) || q[7] < '0' || q[7] > '9')
		return R_400;
	minor = q[7] - '0';
	/* field-line = field-name ":" OWS field-value OWS CRLF */
	for (q = eol + 2; q < end - 2; q = eol + 2) {
		const uint8_t *name = q, *v, *ve;

		eol = find_crlf(q, end);
		while (q < eol && tchar(*q))
			q++;
		if (q == name || *q != ':')
			return R_400; /* also obs-fold and whitespace before ':' */
		v = q + 1;
		for (const uint8_t *x = v; x < eol; x++)
			if ((*x < ' ' && *x != '\t') || *x == 0x7f)
				return R_400;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		ve = eol;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (token_eq(name, (size_t)(q - name), "content-length")) {
			if (v == ve)
				return R_400;
			for (const uint8_t *x = v; x < ve; x++)
				if (*x != '0')
					return R_400; /* a body (or junk): refused */
		} else if (token_eq(name, (size_t)(q - name), "transfer-encoding")) {
			return R_400;
		} else if (token_eq(name, (size_t)(q - name), "connection")) {
			while (v < ve) {
				const uint8_t *t = v;

				while (t < ve && *t != ',')
					t++;
				const uint8_t *te = t;

				while (te > v && (te[-1] == ' ' || te[-1] == '\t'))
					te--;
				if (token_eq(v, (size_t)(te - v), "close"))
					conn_close = 1;
				else if (token_eq(v, (size_t)(te - v), "keep-alive"))
					conn_ka = 1;
				v = t < ve ? t + 1 : t;
				while (v < ve && (*v == ' ' || *v == '\t'))
					v++;
			}
		}
	}
	keep = !conn_close && (minor >= 1 || conn_ka);
	return keep ? (head ? R_KA_HEAD : R_KA) : (head ? R_CLOSE_HEAD : R_CLOSE);
}

/*
 * No room for the rest of a head: HTTP_HEAD_MAX bytes without its end, or
 * less room left than one unit of our window scale. The core rounds a
 * credit-mode window down to that unit (it never invites bytes beyond the
 * credit), so the last few bytes of the head could never be offered and
 * the connection would wait for its idle timeout instead of the 431.
 */
static int head_full(const struct tern_conn *c, uint32_t avail)
{
	struct tern_conn_info info;

	if (avail >= HTTP_HEAD_MAX)
		return 1;
	tern_conn__info(c, &info);
	return HTTP_HEAD_MAX - avail < (1u << info.rcv_wscale);
}

/* Answer every complete request in the buffer while the output bound
 * allows, giving back receive credit for what is consumed. */
static void process(struct http *h, struct tern_conn *c, struct http_conn *hc)
{
	uint32_t pos = 0, from = hc->scan;

	while (!hc->closing) {
		const uint8_t *p, *e = NULL;
		uint32_t avail;

		if ((uint8_t)(hc->rtail - hc->rhead) == HTTP_RING)
			pump(h, c, hc);
		if (hc->out >= HTTP_OUT_MAX || (uint8_t)(hc->rtail - hc->rhead) == HTTP_RING)
			break; /* acked() comes back here */
		/* empty lines before a request-line are ignored (RFC 9112 2.2) */
		while (hc->len - pos >= 2 && hc->buf[pos] == '\r' && hc->buf[pos + 1] == '\n') {
			pos += 2;
			from = pos;
		}
		p = hc->buf + pos;
		avail = hc->len - pos;
		if (from < pos)
			from = pos;
		for (uint32_t i = from > pos + 3 ? from - pos - 3 : 0; i + 3 < avail; i++)
			if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n') {
				e = p + i + 4;
				break;
			}
		if (!e) {
			from = hc->len;
			if (head_full(c, avail))
				enqueue(h, hc, R_431);
			else if (hc->peer_fin)
				hc->closing = 1;
			break;
		}
		enqueue(h, hc, parse_head(p, (uint32_t)(e - p)));
		pos += (uint32_t)(e - p);
		from = pos;
	}
	if (pos) {
		memmove(hc->buf, hc->buf + pos, hc->len - pos);
		hc->len -= pos;
		tern_conn__rcv_credit(h->env.stack, c, pos, *h->env.now, h->env.out);
	}
	hc->scan = from > pos ? from - pos : 0;
	pump(h, c, hc);
}

/* ---- callbacks ---- */

static int http_accept(void *ctx, struct tern_conn *c)
{
	struct http *h = ctx;
	struct http_conn *hc;

	if (h->free_head == NONE) {
		h->refused++;
		return -ENOBUFS;
	}
	hc = &h->conns[h->free_head];
	h->free_head = hc->next_free;
	hc->len = hc->scan = hc->out = hc->off = 0;
	hc->rhead = hc->rtail = 0;
	hc->closing = hc->closed = hc->peer_fin = 0;
	hc->resp = h->cur;
	hc->resp->refs++;
	tern_conn__set_user(c, hc);
	tern_conn__set_timer(h->env.stack, c, h->idle_ms, *h->env.now);
	return 0; /* in credit mode with HTTP_HEAD_MAX: the listener's rcv_buf */
}

static void http_data(void *ctx, struct tern_conn *c, const uint8_t *p, uint32_t len)
{
	struct http *h = ctx;
	struct http_conn *hc = st(c);

	if (hc->closing)
		return; /* answered for good; no credit comes back */
	/* The credit guarantees len <= free room in the buffer. */
	if (len > HTTP_HEAD_MAX - hc->len)
		len = HTTP_HEAD_MAX - hc->len;
	memcpy(hc->buf + hc->len, p, len);
	hc->len += len;
	tern_conn__set_timer(h->env.stack, c, h->idle_ms, *h->env.now);
	process(h, c, hc);
}

static void http_fin(void *ctx, struct tern_conn *c)
{
	struct http_conn *hc = st(c);

	hc->peer_fin = 1;
	process(ctx, c, hc);
}

static void http_acked(void *ctx, struct tern_conn *c, uint32_t bytes)
{
	struct http *h = ctx;
	struct http_conn *hc = st(c);

	hc->out -= bytes < hc->out ? bytes : hc->out;
	if (!hc->closed)
		tern_conn__set_timer(h->env.stack, c, h->idle_ms, *h->env.now);
	process(h, c, hc);
}

static void http_writable(void *ctx, struct tern_conn *c)
{
	process(ctx, c, st(c));
}

static void http_timer(void *ctx, struct tern_conn *c)
{
	struct http *h = ctx;
	struct http_conn *hc = st(c);

	if (!hc || hc->closed)
		return;
	if (hc->rhead != hc->rtail) { /* still handing a response over */
		tern_conn__set_timer(h->env.stack, c, h->idle_ms, *h->env.now);
		return;
	}
	hc->closing = 1;
	pump(h, c, hc); /* closes */
}

static void http_closed(void *ctx, struct tern_conn *c, int reason)
{
	struct http *h = ctx;
	struct http_conn *hc = st(c);

	if (!hc)
		return; /* refused at accept */
	resp_put(hc->resp); /* tern holds none of its memory any more */
	hc->resp = NULL;
	hc->next_free = h->free_head;
	h->free_head = (uint32_t)(hc - h->conns);
	tern_conn__set_user(c, NULL);
}

static const struct tern_app_ops http_ops = {
	.accept = http_accept,
	.data = http_data,
	.fin = http_fin,
	.acked = http_acked,
	.writable = http_writable,
	.timer = http_timer,
	.closed = http_closed,
};

/* ---- the prebuilt responses ---- */

static int header_is(const char *hdr, const char *name)
{
	size_t n = strlen(name);

	return !strncasecmp(hdr, name, n) && hdr[n] == ':';
}

/* A response set for o (NULL: the defaults), refs 1; NULL without memory. */
static struct http_resp *build(const struct tern_app_opts *o)
{
	static const uint8_t dflt_body[] = "tern\n";
	uint32_t status = o && o->http_status ? o->http_status : 200;
	const uint8_t *body = o && o->http_body ? o->http_body : dflt_body;
	uint32_t blen = o && o->http_body ? o->http_body_len : sizeof(dflt_body) - 1;
	int nh = o ? o->http_nheaders : 0, ctype = 0, nobody = status == 204 || status == 304;
	size_t cap = 256, hl[2];
	struct http_resp *rs;
	char *hdr[2];

	for (int i = 0; i < nh; i++) {
		cap += strlen(o->http_headers[i]) + 2;
		ctype |= header_is(o->http_headers[i], "Content-Type");
	}
	if (nobody)
		blen = 0;
	rs = malloc(sizeof(*rs) + 2 * (cap + blen));
	if (!rs)
		return NULL;
	rs->refs = 1;
	for (int v = 0; v < 2; v++) {
		char *p = (char *)rs->mem + (size_t)v * (cap + blen);
		size_t n = (size_t)snprintf(p, cap, "HTTP/1.1 %u %s\r\nServer: tern\r\n", status,
					    reason(status));

		if (!nobody && !ctype)
			n += (size_t)snprintf(p + n, cap - n, "Content-Type: text/plain\r\n");
		if (!nobody)
			n += (size_t)snprintf(p + n, cap - n, "Content-Length: %u\r\n", blen);
		for (int i = 0; i < nh; i++)
			n += (size_t)snprintf(p + n, cap - n, "%s\r\n", o->http_headers[i]);
		n += (size_t)snprintf(p + n, cap - n, "Connection: %s\r\n\r\n",
				      v ? "close" : "keep-alive");
		memcpy(p + n, body, blen);
		hdr[v] = p;
		hl[v] = n;
	}
	rs->rp[R_KA] = rs->rp[R_KA_HEAD] = (const uint8_t *)hdr[0];
	rs->rp[R_CLOSE] = rs->rp[R_CLOSE_HEAD] = (const uint8_t *)hdr[1];
	rs->rlen[R_KA] = (uint32_t)hl[0] + blen;
	rs->rlen[R_KA_HEAD] = (uint32_t)hl[0];
	rs->rlen[R_CLOSE] = (uint32_t)hl[1] + blen;
	rs->rlen[R_CLOSE_HEAD] = (uint32_t)hl[1];
	rs->rp[R_400] = (const uint8_t *)resp_400;
	rs->rlen[R_400] = sizeof(resp_400) - 1;
	rs->rp[R_431] = (const uint8_t *)resp_431;
	rs->rlen[R_431] = sizeof(resp_431) - 1;
	return rs;
}

static uint32_t idle_ms(const struct tern_app_opts *o)
{
	return o && o->http_idle_ms ? o->http_idle_ms : HTTP_IDLE_MS;
}

/* A reload: the response (status, body, headers) for the next requests
 * and the idle timeout from the next timer set. */
static int http_reconfigure(void *ctx, const struct tern_app_opts *opts)
{
	struct http *h = ctx;
	struct http_resp *rs = build(opts);

	if (!rs)
		return -ENOMEM;
	resp_put(h->cur);
	h->cur = rs;
	h->idle_ms = idle_ms(opts);
	return 0;
}

static void http_fini(void *ctx)
{
	struct http *h = ctx;

	if (!h)
		return;
	for (uint32_t i = 0; h->conns && i < h->nconns; i++)
		resp_put(h->conns[i].resp);
	resp_put(h->cur);
	free(h->conns);
	free(h->mem);
	free(h);
}

static void *http_init(const struct tern_app_env *env)
{
	struct http *h = calloc(1, sizeof(*h));
	uint32_t n = env->max_conns < HTTP_MAX_BUFS ? env->max_conns : HTTP_MAX_BUFS;

	if (!h)
		goto nomem;
	h->env = *env;
	h->idle_ms = idle_ms(env->opts);
	h->nconns = n;
	h->conns = calloc(n, sizeof(*h->conns));
	h->mem = calloc(n, HTTP_HEAD_MAX); /* pages are touched only when used */
	h->cur = build(env->opts);
	if (!h->conns || !h->mem || !h->cur)
		goto nomem;
	for (uint32_t i = 0; i < n; i++) {
		h->conns[i].buf = h->mem + (size_t)i * HTTP_HEAD_MAX;
		h->conns[i].next_free = i + 1 < n ? i + 1 : NONE;
	}
	h->free_head = n ? 0 : NONE;
	return h;
nomem:
	http_fini(h);
	errno = ENOMEM;
	return NULL;
}

const struct tern_app tern_app_http = {
	.name = "http",
	.ops = &http_ops,
	.rcv_buf = HTTP_HEAD_MAX,
	.worker_init = http_init,
	.worker_fini = http_fini,
	.reconfigure = http_reconfigure,
};
