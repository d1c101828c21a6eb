// SPDX-License-Identifier: BSD-2-Clause
/*
 * `ternctl reload` and SIGHUP: parse the command line and the
 * configuration file again, exactly as at start (flags override the
 * file), then apply what can change at run time -- syncookies, keepalive,
 * backlog (up to the value the daemon started with), log-level -- through
 * the control commands, and the application's settings (reload_app.c:
 * the proxy's backends, balance and health checks, the http response),
 * and name every other changed key as needing a restart. A file with an
 * error changes nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_cmds.h"
#include "ctl_out.h"
#include "log.h"
#include "reload.h"
#include "xdpcookie.h"
#include "reload_app.h"
#include "rotate.h"
#include "xsk.h"

#define put tern_out_buf__put

static const char *const cookie_modes[] = { "never", "auto", "always" };

/* Parse again; NULL with the first error line in o. */
static struct tern_args *reparse(const struct tern_args *cur, struct tern_out_buf *o)
{
	struct tern_args *n = calloc(1, sizeof(*n));
	char *text = NULL;
	size_t len = 0;
	FILE *err;
	int r;

	if (!n)
		return NULL;
	err = open_memstream(&text, &len);
	if (!err) {
		free(n);
		return NULL;
	}
	r = tern_args__parse_to(n, cur->argc, cur->argv, TERN_XSK_MAX_FRAME, err);
	fclose(err);
	if (r) {
		char *line = text && !strncmp(text, "Error: ", 7) ? text + 7 : text;

		if (line)
			line[strcspn(line, "\n")] = 0;
		put(o, "%s", line && *line ? line : "invalid configuration");
		tern_conf__free(&n->conf);
		free((void *)n->app_opts.http_body);
		free(n);
		n = NULL;
	}
	free(text);
	return n;
}

/* Run one control command ("set ..."); 0 or -errno with its text in o. */
static int apply(struct tern_ctl_src *src, const char *key, const char *cmd,
		 struct tern_out_buf *o)
{
	char reply[256] = "";
	int r = tern_ctl_cmds__handle(src, cmd, reply, sizeof(reply));

	if (r < 0) {
		put(o, "%s: not applied: %s\n", key, reply[0] ? reply : strerror(-r));
		return r;
	}
	put(o, "%s: applied (%s)\n", key, cmd + 4);
	tern_log(TERN_LOG_INFO, "reload: %s", cmd + 4);
	return 0;
}

/* The secret file is read again at every reload: its keys rotate in when
 * they changed (rotate.h). Turning fleet keys on or off needs a restart. */
static int cookie_secret(struct tern_args *cur, const struct tern_args *n,
			 struct tern_ctl_src *src, struct tern_out_buf *o)
{
	char reply[256] = "";
	int r;

	if (!cur->cookie_secret != !n->cookie_secret) {
		put(o, "cookie-secret: changed, needs a restart\n");
		return 0;
	}
	if (!n->cookie_secret)
		return 0;
	r = tern_rotate__run(src, n->cookie_secret, reply, sizeof(reply));
	if (r < 0) {
		put(o, "cookie-secret: not applied: %s\n", reply);
		return r;
	}
	if (strcmp(reply, "unchanged"))
		put(o, "cookie-secret: applied (rotated)\n");
	return 0;
}

static int runtime_keys(struct tern_args *cur, const struct tern_args *n,
			struct tern_ctl_src *src, struct tern_out_buf *o)
{
	const struct tern_listen_opts *a = &cur->lopts, *b = &n->lopts;
	char cmd[96];
	int err = 0;

	if (cur->cfg.syncookies != n->cfg.syncookies) {
		snprintf(cmd, sizeof(cmd), "set syncookies %s", cookie_modes[n->cfg.syncookies % 3]);
		if (!apply(src, "syncookies", cmd, o))
			cur->cfg.syncookies = n->cfg.syncookies;
		else
			err = -EINVAL;
	}
	if (cur->xdp_cookies != n->xdp_cookies) {
		snprintf(cmd, sizeof(cmd), "set xdp-cookies %s", tern_xdpc__mode_name(n->xdp_cookies));
		if (!apply(src, "xdp-cookies", cmd, o))
			cur->xdp_cookies = n->xdp_cookies;
		else
			err = -EINVAL;
	}
	if (a->keepalive_idle_s != b->keepalive_idle_s ||
	    a->keepalive_intvl_s != b->keepalive_intvl_s || a->keepalive_cnt != b->keepalive_cnt) {
		snprintf(cmd, sizeof(cmd), "set keepalive %u,%u,%u", b->keepalive_idle_s,
			 b->keepalive_intvl_s, (unsigned)b->keepalive_cnt);
		if (!apply(src, "keepalive", cmd, o)) {
			cur->lopts.keepalive_idle_s = b->keepalive_idle_s;
			cur->lopts.keepalive_intvl_s = b->keepalive_intvl_s;
			cur->lopts.keepalive_cnt = b->keepalive_cnt;
		} else {
			err = -EINVAL;
		}
	}
	if (cur->cfg.backlog != n->cfg.backlog) {
		snprintf(cmd, sizeof(cmd), "set backlog %u", n->cfg.backlog);
		if (!apply(src, "backlog", cmd, o))
			cur->cfg.backlog = n->cfg.backlog;
		else
			err = -EINVAL;
	}
	if (cookie_secret(cur, n, src, o))
		err = -EINVAL;
	if (cur->log_level != n->log_level) {
		tern_log__set_level(n->log_level);
		put(o, "log-level: applied (%s)\n", tern_log__level_name(n->log_level));
		cur->log_level = n->log_level;
	}
	return err;
}

static bool is_runtime(const char *key)
{
	static const char *const keys[] = { "syncookies", "xdp-cookies", "keepalive", "backlog",
					    "log-level", "cookie-secret" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

/* Every other key whose text in the file differs from the file the daemon
 * started with, unless the command line sets it. */
static void restart_keys(const struct tern_args *cur, const struct tern_args *n,
			 struct tern_out_buf *o)
{
	static char a[TERN_CONF_LINE_MAX], b[TERN_CONF_LINE_MAX];
	const char *key;

	for (int i = 0; (key = tern_args__key(i)); i++) {
		int ina, inb;

		if (is_runtime(key) || tern_reload_app__key(key) || tern_args__from_cli(cur, key))
			continue;
		ina = tern_conf__get(&cur->conf, key, a, sizeof(a));
		inb = tern_conf__get(&n->conf, key, b, sizeof(b));
		if (ina != inb || strcmp(a, b))
			put(o, "%s: changed, needs a restart\n", key);
	}
}

int tern_reload__run(struct tern_args *cur, struct tern_ctl_src *src, char *reply, size_t cap)
{
	struct tern_out_buf o = { .p = reply, .cap = cap };
	char app_text[2048] = "";
	struct tern_out_buf ao = { .p = app_text, .cap = sizeof(app_text) };
	struct tern_args *n;
	int err, app_err;

	if (!cur->config) {
		put(&o, "no configuration file (start tern with --config FILE)");
		return -ENOENT;
	}
	n = reparse(cur, &o);
	if (!n)
		return o.len ? -EINVAL : -ENOMEM;
	err = runtime_keys(cur, n, src, &o);
	app_err = tern_reload_app__run(cur, n, src, &ao);
	if (app_err && !err) { /* its "not applied" line is the one to reply */
		o.len = 0;
		err = app_err;
	}
	put(&o, "%s", app_text);
	restart_keys(cur, n, &o);
	if (!o.len)
		put(&o, "no change\n");
	tern_conf__free(&n->conf);
	free((void *)n->app_opts.http_body);
	free(n);
	if (err) {
		/* the reply holds the lines; the control socket wants one */
		reply[strcspn(reply, "\n")] = 0;
		return err;
	}
	return tern_out_buf__done(&o);
}
