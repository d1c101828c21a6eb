// SPDX-License-Identifier: BSD-2-Clause
/* Prometheus names (user/io/metrics_name.c) and the text /metrics serves
 * (user/io/metrics.c): one naming rule, checked on every family. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "include/tern/xdp.h"
#include "user/app/app.h"
#include "user/core/mib.h"
#include "user/core/parse.h"
#include "user/io/metrics.h"
#include "user/io/metrics_name.h"

TEST(test_metrics_snake_names)
{
	static const char *const cases[][2] = {
		{ "SyncookiesSent", "syncookies_sent" }, { "TCPOFOQueue", "tcp_ofo_queue" },
		{ "TCPSYNChallenge", "tcp_syn_challenge" }, { "PAWSEstab", "paws_estab" },
		{ "TW", "tw" }, { "InDropIp6ExtHdr", "in_drop_ip6_ext_hdr" },
		{ "TCPReqQFullDrop", "tcp_req_q_full_drop" }, { "XdpDropSynFin", "xdp_drop_syn_fin" },
		{ "InCsumErrorsIp", "in_csum_errors_ip" }, { "TCPACKSkippedPAWS", "tcp_ack_skipped_paws" },
		{ "DelayedACKs", "delayed_acks" }, { "TCPChallengeACK", "tcp_challenge_ack" },
		{ "InCsumErrors", "in_csum_errors" }, { "TCPFinWait2Timeout", "tcp_fin_wait2_timeout" },
		{ "TWKilled", "tw_killed" }, { "ProxyBackendFds", "proxy_backend_fds" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tern_metrics__snake(cases[i][0], buf, sizeof(buf));
		if (strcmp(buf, cases[i][1]))
			fprintf(stderr, "  %s -> %s\n", cases[i][0], buf);
		CHECK(!strcmp(buf, cases[i][1]));
	}
	tern_metrics__snake("SyncookiesSent", buf, 6);
	CHECK(!strcmp(buf, "sync"));
}

TEST(test_metrics_name_drops_the_subsystem_word)
{
	static const char *const cases[][3] = {
		{ "tcp", "TCPChallengeACK", "tern_tcp_challenge_ack" },
		{ "tcp", "DelayedACKs", "tern_tcp_delayed_acks" },
		{ "tcp", "InCsumErrors", "tern_tcp_in_csum_errors" },
		{ "tcp", "TCPOFOQueue", "tern_tcp_ofo_queue" },
		{ "tcp", "TW", "tern_tcp_tw" },
		{ "xdp", "XdpSeen", "tern_xdp_seen" },
		{ "proxy", "ProxyConns", "tern_proxy_conns" },
		{ "proxy", "Proxy", "tern_proxy_proxy" }, /* a name is never empty */
	};
	char buf[96];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tern_metrics__name(cases[i][0], cases[i][1], buf, sizeof(buf));
		if (strcmp(buf, cases[i][2]))
			fprintf(stderr, "  %s %s -> %s\n", cases[i][0], cases[i][1], buf);
		CHECK(!strcmp(buf, cases[i][2]));
	}
}

/* ---- the whole exposition ---- */

#define NQ 2

static char *render(struct tern_worker_stats *st)
{
	static const uint64_t xdp[TERN_XDP__COUNT] = { 11, 22 };
	const struct tern_app *app = &tern_app_proxy;
	struct tern_metrics_src src = {
		.dev = "veth0", .st = st, .n = NQ, .xdp = xdp, .reload_ok = 1,
		.reload_time = 1700000000,
	};
	struct tern_out_buf o = { .cap = 1 << 20 };

	o.p = calloc(1, o.cap);
	for (uint32_t q = 0; q < NQ; q++) {
		st[q] = (struct tern_worker_stats){ .queue = q, .napp = app->ncounters };
		st[q].app_names = app->counter_names;
		st[q].app_kinds = app->counter_kinds;
		st[q].app_name = app->name;
		st[q].frames.n[TERN_FS_FREE] = 100 + q;
		st[q].mib[TERN_MIB_DelayedACKs] = 7 + q;
		st[q].parse_drops[TERN_PARSE_TCP_CSUM] = 3 + q;
		st[q].app[0] = 5;
	}
	tern_metrics__prometheus(&o, &src);
	if (tern_out_buf__done(&o) < 0) {
		free(o.p);
		return NULL;
	}
	return o.p;
}

/* The rule every family name follows: tern_, lower-case words joined by
 * one '_', no word twice in a row (tern_tcp_tcp_...), counters and only
 * counters end in _total. */
static bool name_ok(const char *name, const char *type)
{
	const char *prev = NULL, *w = name;
	size_t plen = 0, n = strlen(name);
	bool counter = !strcmp(type, "counter");

	if (strncmp(name, "tern_", 5) || name[n - 1] == '_')
		return false;
	for (const char *c = name; *c; c++)
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_')
			return false;
	while (*w) {
		size_t len = strcspn(w, "_");

		if (!len || (prev && len == plen && !strncmp(prev, w, len)))
			return false;
		prev = w;
		plen = len;
		w += len + (w[len] == '_');
	}
	return counter == (n > 6 && !strcmp(name + n - 6, "_total"));
}

/* The MIB name's letters, lower case, in order: nothing else added or lost. */
static bool same_letters(const char *family, const char *mib)
{
	char a[96], b[96];
	size_t n = 0, m = 0;

	for (const char *c = family; *c && n + 1 < sizeof(a); c++)
		if (*c != '_')
			a[n++] = *c;
	a[n] = 0;
	for (const char *c = mib; *c && m + 1 < sizeof(b); c++)
		b[m++] = (char)tolower((unsigned char)*c);
	b[m] = 0;
	return !strcmp(a, b) || (!strncmp(b, "tcp", 3) && !strcmp(a, b + 3));
}

/* The XDP counters named XdpDrop<Reason>: members of tern_xdp_drops_total. */
static unsigned int xdp_drops(void)
{
	static const char *const names[] = {
#define X(id, name) name,
		TERN_XDP_COUNTERS(X)
#undef X
	};
	unsigned int n = 0;

	for (int i = 0; i < TERN_XDP__COUNT; i++)
		n += !strncmp(names[i], "XdpDrop", 7);
	return n;
}

TEST(test_metrics_every_family_follows_the_rule)
{
	struct tern_worker_stats st[NQ];
	char *text = render(st), *save = NULL, seen[400][96];
	unsigned int nfam = 0, ntable = 0, mibs = 0;

	REQUIRE(text);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[96], type[16];

		if (sscanf(l, "# TYPE %95s %15s", name, type) != 2)
			continue;
		if (!name_ok(name, type))
			fprintf(stderr, "  %s (%s)\n", name, type);
		CHECK(name_ok(name, type));
		for (unsigned int i = 0; i < nfam; i++)
			CHECK(strcmp(seen[i], name));
		REQUIRE(nfam < 400);
		snprintf(seen[nfam++], sizeof(seen[0]), "%s", name);
	}
	/* every TCP counter is a family of its own, spelled from its MIB name */
	for (int i = 0; i < TERN_MIB__COUNT; i++)
		for (unsigned int f = 0; f < nfam; f++) {
			char core[96];
			size_t n = strlen(seen[f]);

			if (strncmp(seen[f], "tern_tcp_", 9) || n < 15)
				continue;
			snprintf(core, sizeof(core), "%.*s", (int)(n - 9 - 6), seen[f] + 9);
			mibs += same_letters(core, tern_mib_name(i));
		}
	CHECK_EQ(mibs, TERN_MIB__COUNT);
	for (unsigned int i = 0; i < tern_nmetrics; i++)
		ntable += tern_metrics[i].prom && tern_metrics[i].help;
	/* table, TCP, parse drops, XDP (its drops one family), the proxy's,
	 * build, cookie secret rotations and reload */
	CHECK_EQ(nfam, ntable + TERN_MIB__COUNT + 1 + TERN_XDP__COUNT - xdp_drops() + 1 +
			       tern_app_proxy.ncounters + 4);
	free(text);
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

TEST(test_metrics_labels_types_and_values)
{
	struct tern_worker_stats st[NQ];
	char *text = render(st);

	REQUIRE(text);
	CHECK(has_line(text, "tern_tcp_delayed_acks_total{iface=\"veth0\",queue=\"1\"} 8"));
	CHECK(has_line(text, "# TYPE tern_parse_drops_total counter"));
	CHECK(has_line(text,
		       "tern_parse_drops_total{iface=\"veth0\",queue=\"1\",reason=\"in_csum_errors\"} 4"));
	CHECK(has_line(text, "# TYPE tern_umem_frames gauge"));
	CHECK(has_line(text, "tern_umem_frames{iface=\"veth0\",queue=\"0\",state=\"free\"} 100"));
	CHECK(has_line(text, "tern_tx_drops_total{iface=\"veth0\",queue=\"0\",reason=\"ring_full\"} 0"));
	CHECK(has_line(text, "tern_xdp_steered_total{iface=\"veth0\"} 22"));
	CHECK(has_line(text, "# TYPE tern_xdp_drops_total counter"));
	CHECK(has_line(text, "tern_xdp_drops_total{iface=\"veth0\",reason=\"tcp_hdr\"} 0"));
	CHECK(has_line(text, "tern_xdp_drops_total{iface=\"veth0\",reason=\"unserved\"} 0"));
	CHECK(!strstr(text, "tern_xdp_drop_syn_fin")); /* reasons are a label */
	/* the proxy's values with their kinds: ProxyConns is a gauge */
	CHECK(has_line(text, "# TYPE tern_proxy_conns gauge"));
	CHECK(has_line(text, "tern_proxy_conns{iface=\"veth0\",queue=\"1\"} 5"));
	CHECK(has_line(text, "# TYPE tern_proxy_accepted_total counter"));
	CHECK(has_line(text, "# TYPE tern_proxy_backends_healthy gauge"));
	CHECK(has_line(text, "tern_config_last_reload_successful 1"));
	CHECK(has_line(text, "tern_config_last_reload_success_timestamp_seconds 1700000000"));
	CHECK(strstr(text, "\ntern_build_info{version=\"") != NULL);
	CHECK(strstr(text, "liburing=\"") != NULL);
	CHECK(!strstr(text, "frames_free")); /* states are a label */
	free(text);
}
