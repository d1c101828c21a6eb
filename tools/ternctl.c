// SPDX-License-Identifier: BSD-2-Clause
/*
 * ternctl: attach tern's XDP steering program, name the services it steers,
 * and show its state and counters; talk to a running daemon through its
 * control socket (stats, conns, set, stop).
 *
 *   ternctl [-v] load|unload|status|stats|conns|set|stop|reload|drain|
 *                undrain|health|rotate-secret|top|capture [OPTIONS]
 *                                                   (ternctl CMD --help)
 *
 * Exit codes: 0 ok, 1 runtime error, 2 usage error. Errors are one line on
 * stderr: "Error: what: strerror".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "tools/ternctl.h"
#include "tools/ternctl_json.h"
#include "user/io/ctl.h"
#include "user/io/loader.h"
#include "user/io/version.h"
#include "user/io/metrics_name.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define MAX_ARGS 64 /* --addr / --port given per load */

/* Options every command shares. */
struct common {
	const char *cmd;
	const char *dev;
	const char *bpffs;
	bool json;
	const char *ctl; /* control socket; default TERN_CTL_DIR/IFACE.sock */
	bool prometheus; /* stats --prometheus */
};

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static bool verbose;

static void __attribute__((format(printf, 2, 3)))
error(int err, const char *fmt, ...)
{
	va_list ap;

	char msg[128];

	err = err < 0 ? -err : err;
	/* libbpf's and libxdp's own codes start at 4000 */
	if (err < 4000 || libxdp_strerror(-err, msg, sizeof(msg)))
		snprintf(msg, sizeof(msg), "%s", strerror(err));
	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", msg);
}

/* An error whose reason is already in the text (the daemon's own words). */
static void __attribute__((format(printf, 1, 2)))
error_text(const char *fmt, ...)
{
	va_list ap;

	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- option parsing ---------------------------------------------------- */

/* getopt_long with our own messages; returns 0 at the end, -1 on error. */
static int next_opt(int argc, char **argv, const char *cmd,
		    const char *shortopts, const struct option *opts)
{
	int c = getopt_long(argc, argv, shortopts, opts, NULL);

	if (c == -1 && optind < argc) {
		error(EINVAL, "%s: unexpected argument '%s' (see ternctl %s --help)",
		      cmd, argv[optind], cmd);
		return -1;
	}
	if (c == '?' || c == ':') {
		error(EINVAL, "%s: %s option '%s' (see ternctl %s --help)", cmd,
		      c == '?' ? "unknown" : "missing value for",
		      argv[optind - 1], cmd);
		return -1;
	}
	return c == -1 ? 0 : c;
}

/* Handles the options every command has; false if c is not one of them. */
static bool common_opt(struct common *co, int c)
{
	switch (c) {
	case 'd':
		co->dev = optarg;
		return true;
	case 'b':
		co->bpffs = optarg;
		return true;
	case 'j':
		co->json = true;
		return true;
	case 'P': /* only stats offers it */
		co->prometheus = true;
		return true;
	case 'c':
		co->ctl = optarg;
		return true;
	default:
		return false;
	}
}

static int need_dev(const struct common *co)
{
	if (co->dev)
		return 0;
	error(EINVAL, "%s: --dev is required (see ternctl %s --help)", co->cmd,
	      co->cmd);
	return EXIT_USAGE;
}

/* Root, the interface and the bpffs: the checks before any BPF work. */
static int preflight(const struct common *co)
{
	int err;

	if (geteuid() != 0) {
		error(EPERM, "%s: must be run as root", co->cmd);
		return EXIT_RUNTIME;
	}
	if (!if_nametoindex(co->dev)) {
		error(ENODEV, "no such interface '%s'", co->dev);
		return EXIT_RUNTIME;
	}
	err = tern_loader__check_bpffs(co->bpffs);
	if (err) {
		error(err, "no bpffs at %s (mount -t bpf bpf %s, or --bpffs DIR)",
		      co->bpffs, co->bpffs);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* ---- output: JSON writer and counters ---------------------------------- */

struct json {
	int depth;
	bool comma[8];
};

static void j_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void j_key(struct json *j, const char *key)
{
	if (j->comma[j->depth])
		putchar(',');
	j->comma[j->depth] = true;
	if (key) {
		j_string(key);
		putchar(':');
	}
}

static void j_open(struct json *j, const char *key, char brace)
{
	j_key(j, key);
	putchar(brace);
	j->comma[++j->depth] = false;
}

static void j_close(struct json *j, char brace)
{
	putchar(brace);
	if (--j->depth == 0)
		putchar('\n');
}

static void j_str(struct json *j, const char *key, const char *v)
{
	j_key(j, key);
	if (v)
		j_string(v);
	else
		fputs("null", stdout);
}

static void j_u64(struct json *j, const char *key, uint64_t v)
{
	j_key(j, key);
	printf("%" PRIu64, v);
}

static void j_bool(struct json *j, const char *key, bool v)
{
	j_key(j, key);
	fputs(v ? "true" : "false", stdout);
}

/* A named group of counters, printed as a JSON object or a text block. */
#define MAX_COUNTERS 128

struct counter_set {
	const char *key; /* JSON object key and text title */
	int n;
	const char *names[MAX_COUNTERS];
	__u64 vals[MAX_COUNTERS];
};

static void print_set(struct json *j, const struct counter_set *cs)
{
	int i;

	if (j)
		j_open(j, cs->key, '{');
	else
		printf("%s:\n", cs->key);
	for (i = 0; i < cs->n; i++) {
		if (j)
			j_u64(j, cs->names[i], cs->vals[i]);
		else
			printf("  %-24s %" PRIu64 "\n", cs->names[i],
			       (uint64_t)cs->vals[i]);
	}
	if (j)
		j_close(j, '}');
}

static void xdp_set_names(struct counter_set *cs)
{
	int i;

	for (i = 0; i < TERN_XDP__COUNT; i++)
		cs->names[i] = tern_loader__counter_name(i);
	cs->n = TERN_XDP__COUNT;
}

/* "10.0.0.1:80" or "[fd00::1]:80" */
static void format_svc(const struct tern_svc_key *k, char *buf, size_t size,
		       bool port)
{
	char a[INET6_ADDRSTRLEN];
	int fam = tern_loader__format_addr(k->addr, a, sizeof(a));

	if (!port)
		snprintf(buf, size, "%s", fam < 0 ? "?" : a);
	else
		snprintf(buf, size, fam == 6 ? "[%s]:%u" : "%s:%u",
			 fam < 0 ? "?" : a, ntohs(k->port));
}

/* ---- load ------------------------------------------------------------- */

struct load_args {
	struct common co;
	enum tern_xdp_mode mode;
	const char *obj;
	struct tern_svc_key addrs[MAX_ARGS];
	__u16 ports[MAX_ARGS];
	int naddrs, nports;
};

static const char load_help[] =
	"usage: ternctl load --dev IFACE --addr IP --port PORT [OPTIONS]\n"
	"Attach tern's XDP program to IFACE (through libxdp's dispatcher when\n"
	"possible) and steer TCP to every --addr with every --port. Running it\n"
	"again keeps the attached program and adds services.\n"
	"  -d, --dev IFACE     interface\n"
	"  -m, --mode MODE     native (default) or skb\n"
	"  -a, --addr IP       service address, IPv4 or IPv6 (repeatable)\n"
	"  -p, --port PORT     service port, 1-65535 (repeatable)\n"
	"  -b, --bpffs DIR     bpffs for pins and libxdp (default " TERN_LOADER_BPFFS ")\n"
	"  -o, --obj PATH      BPF object (default $" TERN_LOADER_OBJ_ENV
	", then ../bpf/tern.bpf.o\n"
	"                      next to ternctl's directory)\n"
	"  -h, --help          this text\n";

static const struct option load_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "mode", required_argument, NULL, 'm' },
	{ "addr", required_argument, NULL, 'a' },
	{ "port", required_argument, NULL, 'p' },
	{ "bpffs", required_argument, NULL, 'b' },
	{ "obj", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int add_addr(struct load_args *a, const char *s)
{
	struct tern_svc_key *k = &a->addrs[a->naddrs];
	int fam, err;

	if (a->naddrs == MAX_ARGS) {
		error(E2BIG, "load: more than %d --addr", MAX_ARGS);
		return -1;
	}
	memset(k, 0, sizeof(*k));
	err = tern_loader__parse_addr(s, k->addr, &fam);
	if (err) {
		error(err, "bad address '%s' (a unicast IPv4 or IPv6 address)", s);
		return -1;
	}
	a->naddrs++;
	return 0;
}

static int add_port(struct load_args *a, const char *s)
{
	int err;

	if (a->nports == MAX_ARGS) {
		error(E2BIG, "load: more than %d --port", MAX_ARGS);
		return -1;
	}
	err = tern_loader__parse_port(s, &a->ports[a->nports]);
	if (err) {
		error(err, "bad port '%s' (1-65535)", s);
		return -1;
	}
	a->nports++;
	return 0;
}

static int parse_mode(const char *s, enum tern_xdp_mode *mode)
{
	if (!strcmp(s, "native"))
		*mode = TERN_XDP_MODE_NATIVE;
	else if (!strcmp(s, "skb"))
		*mode = TERN_XDP_MODE_SKB;
	else {
		error(EINVAL, "bad mode '%s' (native or skb)", s);
		return -1;
	}
	return 0;
}

/* 0 to go on, else the exit code. */
static int load_parse(int argc, char **argv, struct load_args *a)
{
	int c = 0, err = 0;

	while (!err && (c = next_opt(argc, argv, "load", ":d:m:a:p:b:o:h",
				     load_opts)) > 0) {
		if (common_opt(&a->co, c))
			continue;
		if (c == 'h') {
			fputs(load_help, stdout);
			exit(0);
		}
		if (c == 'm')
			err = parse_mode(optarg, &a->mode);
		else if (c == 'a')
			err = add_addr(a, optarg);
		else if (c == 'p')
			err = add_port(a, optarg);
		else if (c == 'o')
			a->obj = optarg;
	}
	if (err || c < 0)
		return EXIT_USAGE;
	if (!a->naddrs || !a->nports) {
		error(EINVAL, "load: --addr and --port are required (see ternctl load --help)");
		return EXIT_USAGE;
	}
	return need_dev(&a->co);
}

static void attach_error(const struct load_args *a, int err)
{
	struct tern_status st;
	const char *dev = a->co.dev;

	if (tern_loader__status(dev, a->co.bpffs, &st))
		memset(&st, 0, sizeof(st));
	if (err == -EBUSY && !strcmp(st.main.name, "xdp_dispatcher"))
		error(err, "%s: runs a libxdp dispatcher whose state is not in %s (use the same --bpffs as its loader)",
		      dev, a->co.bpffs);
	else if (err == -EBUSY)
		error(err, "%s: another XDP program (%s, id %u) is attached without libxdp's dispatcher; unload it first",
		      dev, st.main.name, st.main.id);
	else if (err == -EEXIST)
		error(err, "%s: XDP is attached in %s mode, not %s; unload it first or use --mode %s",
		      dev, tern_loader__mode_name(st.mode),
		      tern_loader__mode_name(a->mode),
		      tern_loader__mode_name(st.mode));
	else if (err == -EOPNOTSUPP && a->mode == TERN_XDP_MODE_NATIVE)
		error(err, "attach %s to %s in native mode (the driver may lack XDP; try --mode skb)",
		      TERN_XDP_PROG_NAME, dev);
	else
		error(err, "attach %s to %s", TERN_XDP_PROG_NAME, dev);
}

static int add_services(const struct load_args *a, const struct tern_maps *m)
{
	struct tern_svc_key k;
	char buf[INET6_ADDRSTRLEN + 8];
	int i, j, err;

	for (i = 0; i < a->naddrs; i++) {
		for (j = 0; j < a->nports; j++) {
			k = a->addrs[i];
			k.port = a->ports[j];
			err = tern_maps__add_service(m, &k);
			if (err) {
				format_svc(&k, buf, sizeof(buf), true);
				error(err, "add service %s", buf);
				return EXIT_RUNTIME;
			}
		}
	}
	return 0;
}

static int cmd_load(int argc, char **argv)
{
	struct load_args a = { .co = { "load", NULL, TERN_LOADER_BPFFS, false } };
	char obj[PATH_MAX];
	struct tern_status st;
	struct tern_maps m;
	int rc, err;

	rc = load_parse(argc, argv, &a);
	if (rc || (rc = preflight(&a.co)))
		return rc;
	err = tern_loader__find_obj(a.obj, obj, sizeof(obj));
	if (err) {
		error(err, "BPF object %s", a.obj ? a.obj :
		      getenv(TERN_LOADER_OBJ_ENV) ? getenv(TERN_LOADER_OBJ_ENV) :
		      "tern.bpf.o near ternctl (--obj PATH or $" TERN_LOADER_OBJ_ENV ")");
		return EXIT_RUNTIME;
	}
	err = tern_loader__attach(a.co.dev, a.mode, a.co.bpffs, obj);
	if (err) {
		attach_error(&a, err);
		return EXIT_RUNTIME;
	}
	err = tern_loader__open_maps(a.co.dev, a.co.bpffs, &m);
	if (err) {
		error(err, "open maps of %s", a.co.dev);
		return EXIT_RUNTIME;
	}
	rc = add_services(&a, &m);
	tern_maps__close(&m);
	if (!rc && !tern_loader__status(a.co.dev, a.co.bpffs, &st))
		printf("%s: %s attached (%s mode, %s), %d service(s) added\n",
		       a.co.dev, TERN_XDP_PROG_NAME,
		       tern_loader__mode_name(st.mode),
		       st.dispatcher ? "libxdp dispatcher" : "single program",
		       a.naddrs * a.nports);
	return rc;
}

/* ---- unload ------------------------------------------------------------ */

static const char unload_help[] =
	"usage: ternctl unload --dev IFACE [--bpffs DIR]\n"
	"Detach tern's XDP program from IFACE (other programs in libxdp's\n"
	"dispatcher stay) and remove its pinned maps.\n"
	"  -d, --dev IFACE     interface\n"
	"  -b, --bpffs DIR     bpffs for pins and libxdp (default " TERN_LOADER_BPFFS ")\n"
	"  -h, --help          this text\n";

static const struct option unload_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "bpffs", required_argument, NULL, 'b' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Options of the commands that take only --dev, --bpffs (and --json). */
static int dev_parse(int argc, char **argv, struct common *co,
		     const char *shortopts, const struct option *opts,
		     const char *help)
{
	int c;

	while ((c = next_opt(argc, argv, co->cmd, shortopts, opts)) > 0) {
		if (c == 'h') {
			fputs(help, stdout);
			exit(0);
		}
		if (!common_opt(co, c)) {
			error(EINVAL, "%s: unknown option '%s'", co->cmd,
			      argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	return c < 0 ? EXIT_USAGE : need_dev(co);
}

static int not_loaded(const struct common *co, bool pins_only)
{
	error(ENOENT, "tern is not loaded on %s (%sno pins under %s/%s/%s)",
	      co->dev, pins_only ? "" : TERN_XDP_PROG_NAME " not attached, ",
	      co->bpffs, TERN_XDP_PIN_DIR, co->dev);
	return EXIT_RUNTIME;
}

static int cmd_unload(int argc, char **argv)
{
	struct common co = { "unload", NULL, TERN_LOADER_BPFFS, false, NULL, false };
	int rc, err;

	rc = dev_parse(argc, argv, &co, ":d:b:h", unload_opts, unload_help);
	if (rc || (rc = preflight(&co)))
		return rc;
	err = tern_loader__detach(co.dev, co.bpffs);
	if (err == -ENOENT)
		return not_loaded(&co, false);
	if (err) {
		error(err, "detach %s from %s", TERN_XDP_PROG_NAME, co.dev);
		return EXIT_RUNTIME;
	}
	printf("%s: %s detached\n", co.dev, TERN_XDP_PROG_NAME);
	return 0;
}

/* ---- the control socket ------------------------------------------------ */

/*
 * A daemon with every client slot busy closes a new connection before
 * reading it: the request never ran, so it is sent again.
 */
#define CTL_TRIES 3
#define CTL_RETRY_US (100 * 1000)

struct ctl_reply {
	char path[108];      /* sizeof(sun_path) */
	char *buf;           /* the whole reply, NUL-terminated */
	const char *payload; /* what follows "ok\n" */
	int tries;           /* requests sent */
};

static const char ctl_help_line[] =
	"  -c, --ctl PATH      the daemon's control socket (default "
	TERN_CTL_DIR "/IFACE.sock)\n";

static bool no_daemon(int err)
{
	return err == -ENOENT || err == -ECONNREFUSED;
}

static void ctl_free(struct ctl_reply *r)
{
	free(r->buf);
	r->buf = NULL;
}

/*
 * Sends one request line. Returns 0 when the daemon said ok (r->payload),
 * a negative errno when it did not answer (nothing printed; -ENOENT and
 * -ECONNREFUSED mean no daemon), or EXIT_RUNTIME when it answered an error
 * or something that is not a reply (printed). ctl_free() in every case.
 */
static int ctl_call(const struct common *co, const char *req, struct ctl_reply *r)
{
	int n = 0, i;

	if (co->ctl)
		snprintf(r->path, sizeof(r->path), "%s", co->ctl);
	else
		snprintf(r->path, sizeof(r->path), "%s/%s.sock", TERN_CTL_DIR, co->dev);
	if (co->ctl && strlen(co->ctl) >= sizeof(r->path))
		return -ENAMETOOLONG;
	r->buf = malloc(TERN_CTL_REPLY_MAX + 1);
	if (!r->buf)
		return -ENOMEM;
	for (i = 0; i < CTL_TRIES; i++) {
		if (i)
			usleep(CTL_RETRY_US);
		r->tries++;
		n = tern_ctl__request(r->path, req, r->buf, TERN_CTL_REPLY_MAX + 1,
				      TERN_CTL_TIMEOUT_MS);
		if (n && n != -ECONNRESET && n != -EPIPE)
			break;
	}
	if (n <= 0)
		return n ? n : -ECONNRESET;
	if (!strncmp(r->buf, "ok\n", 3)) {
		r->payload = r->buf + 3;
		return 0;
	}
	if (!strncmp(r->buf, "error: ", 7)) {
		r->buf[strcspn(r->buf, "\n")] = 0;
		error_text("%s: %s", req, r->buf + 7);
		return EXIT_RUNTIME;
	}
	error(EPROTO, "%s: not a reply from %s", req, r->path);
	return EXIT_RUNTIME;
}

/* Prints why a request got no answer (err < 0 from ctl_call). */
static int ctl_error(const struct common *co, const char *req,
		     const struct ctl_reply *r, int err)
{
	if (no_daemon(err))
		error_text("daemon not running on %s (no control socket at %s)",
			   co->dev, r->path);
	else if (err == -ECONNRESET || err == -EPIPE)
		error(err, "%s: %s closed without an answer (every client slot busy?)",
		      req, r->path);
	else
		error(err, "%s: control socket %s", req, r->path);
	return EXIT_RUNTIME;
}

/* A reply's payload as JSON, checked to be an object holding key (an
 * array); parsed from a copy, so the payload stays as received. */
static const struct tern_json_node *parse_reply(const struct ctl_reply *r, const char *req,
					 const char *key, struct tern_json_doc *d, char **copy)
{
	const struct tern_json_node *root, *k;

	*copy = strdup(r->payload);
	if (!*copy) {
		error(ENOMEM, "%s", req);
		return NULL;
	}
	root = tern_json__parse(d, *copy);
	k = tern_json__get(d, root, key);
	if (!k || k->type != TERN_JSON_ARR) {
		error(EPROTO, "%s: the daemon's reply is not the JSON expected (no \"%s\" list)",
		      req, key);
		return NULL;
	}
	return root;
}

static void print_payload(const char *payload)
{
	size_t len = strlen(payload);

	fputs(payload, stdout);
	if (len && payload[len - 1] != '\n')
		putchar('\n');
}

/* ---- status ------------------------------------------------------------ */

static const char status_help[] =
	"usage: ternctl status --dev IFACE [--json] [--bpffs DIR] [--ctl PATH]\n"
	"Show whether tern's XDP program is attached to IFACE, how (mode,\n"
	"libxdp dispatcher or single program), its services and counters, the\n"
	"queues whose service frames it drops (--allow-unserved-queues), and,\n"
	"when the daemon runs, how each queue is served (AF_XDP zero-copy or copy\n"
	"mode, CPU, busy polling).\n"
	"  -d, --dev IFACE     interface\n"
	"  -j, --json          JSON output\n"
	"  -b, --bpffs DIR     bpffs for pins and libxdp (default " TERN_LOADER_BPFFS ")\n"
	"%s"
	"  -h, --help          this text\n";

static const struct option status_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "bpffs", required_argument, NULL, 'b' },
	{ "json", no_argument, NULL, 'j' },
	{ "ctl", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* What status shows besides tern_status: from the pinned maps, if any. */
struct status_maps {
	bool ok;
	__u64 unserved;     /* bit per queue whose service frames XDP drops */
	int nsvc;
	struct tern_svc_key svc[TERN_XDP_MAX_SERVICES];
	struct counter_set counters;
	bool cookie_map;                      /* the program has tern_cookie_on */
	int ncookie_on;
	uint32_t cookie_on[TERN_XDP_MAX_QUEUES]; /* queues XDP answers SYNs for */
};

/* The queues whose XDP cookie flag is on (docs/xdp-syn.md), from the pin:
 * the mode itself lives in the daemon. */
static void read_cookie_flags(const struct common *co, struct status_maps *sm)
{
	int fd = tern_loader__open_map(co->dev, co->bpffs, TERN_MAP_COOKIE_ON);
	__u64 v;

	sm->cookie_map = fd >= 0;
	sm->ncookie_on = 0;
	for (__u32 q = 0; fd >= 0 && q < TERN_XDP_MAX_QUEUES; q++)
		if (!bpf_map_lookup_elem(fd, &q, &v) && v)
			sm->cookie_on[sm->ncookie_on++] = q;
	if (fd >= 0)
		close(fd);
}

static int read_status_maps(const struct common *co, struct status_maps *sm)
{
	struct tern_maps m;
	int err;

	err = tern_loader__open_maps(co->dev, co->bpffs, &m);
	if (err)
		return err;
	sm->nsvc = tern_maps__list_services(&m, sm->svc, TERN_XDP_MAX_SERVICES);
	err = sm->nsvc < 0 ? sm->nsvc :
			     tern_maps__read_counters(&m, sm->counters.vals);
	if (!err)
		err = tern_maps__read_unserved(&m, &sm->unserved);
	if (!err)
		read_cookie_flags(co, sm);
	tern_maps__close(&m);
	sm->counters.key = "counters";
	xdp_set_names(&sm->counters);
	if (sm->nsvc > TERN_XDP_MAX_SERVICES)
		sm->nsvc = TERN_XDP_MAX_SERVICES;
	sm->ok = !err;
	return err;
}

static void json_prog(struct json *j, const char *key,
		      const struct tern_prog_info *p, bool prio)
{
	j_open(j, key, '{');
	j_str(j, "name", p->name);
	j_u64(j, "id", p->id);
	if (prio)
		j_u64(j, "priority", p->prio);
	j_close(j, '}');
}

/* The daemon's view of each queue, from its stats reply. */
struct status_daemon {
	struct tern_json_doc d;
	const struct tern_json_node *queues;
	char *copy;
};

static bool status_daemon_read(const struct common *co, struct status_daemon *sd)
{
	struct ctl_reply r = { 0 };
	const struct tern_json_node *root = NULL;

	memset(sd, 0, sizeof(*sd));
	if (!ctl_call(co, "stats", &r))
		root = parse_reply(&r, "stats", "queues", &sd->d, &sd->copy);
	sd->queues = root ? tern_json__get(&sd->d, root, "queues") : NULL;
	ctl_free(&r);
	return sd->queues != NULL;
}

static void status_daemon_free(struct status_daemon *sd)
{
	free(sd->d.n);
	free(sd->copy);
}

static void status_daemon_json(struct json *j, const struct status_daemon *sd)
{
	const struct tern_json_node *q;

	j_open(j, "daemon_queues", '[');
	TERN_JSON_EACH(&sd->d, sd->queues, q) {
		j_open(j, NULL, '{');
		j_u64(j, "queue", tern_json__u(&sd->d, q, "queue"));
		j_str(j, "af_xdp", tern_json__b(&sd->d, q, "zerocopy") ? "zero-copy" : "copy");
		j_str(j, "tx_csum", tern_json__b(&sd->d, q, "tx_csum") ? "offload" : "software");
		j_str(j, "tx_gso", tern_json__b(&sd->d, q, "tx_gso") ? "on" : "off");
		if (tern_json__get(&sd->d, q, "cpu"))
			j_u64(j, "cpu", tern_json__u(&sd->d, q, "cpu"));
		j_u64(j, "busy_poll_us", tern_json__u(&sd->d, q, "busy_poll_us"));
		j_u64(j, "rx_frames", tern_json__u(&sd->d, q, "rx_frames"));
		j_close(j, '}');
	}
	j_close(j, ']');
}

static void status_daemon_text(const struct status_daemon *sd)
{
	const struct tern_json_node *q;

	TERN_JSON_EACH(&sd->d, sd->queues, q) {
		uint64_t bp = tern_json__u(&sd->d, q, "busy_poll_us");

		printf("queue %" PRIu64 ": AF_XDP %s mode", tern_json__u(&sd->d, q, "queue"),
		       tern_json__b(&sd->d, q, "zerocopy") ? "zero-copy" : "copy");
		if (tern_json__get(&sd->d, q, "cpu"))
			printf(", CPU %" PRIu64, tern_json__u(&sd->d, q, "cpu"));
		if (bp)
			printf(", busy poll %" PRIu64 " us", bp);
		printf(", rx %" PRIu64 ", TX checksums %s, GSO frames %s\n",
		       tern_json__u(&sd->d, q, "rx_frames"),
		       tern_json__b(&sd->d, q, "tx_csum") ? "offloaded" : "in software",
		       tern_json__b(&sd->d, q, "tx_gso") ? "on" : "off");
	}
}

static void status_json(const struct common *co, const struct tern_status *st,
			const struct status_maps *sm, const struct status_daemon *daemon)
{
	struct json j = { 0 };
	char a[INET6_ADDRSTRLEN];
	int i;

	j_open(&j, NULL, '{');
	j_str(&j, "dev", co->dev);
	j_u64(&j, "ifindex", (uint64_t)st->ifindex);
	j_bool(&j, "attached", st->attached);
	j_bool(&j, "pinned", st->pinned);
	j_str(&j, "mode", st->any_xdp ? tern_loader__mode_name(st->mode) : NULL);
	j_bool(&j, "dispatcher", st->any_xdp && st->dispatcher);
	if (st->any_xdp)
		json_prog(&j, "main", &st->main, false);
	j_open(&j, "programs", '[');
	for (i = 0; i < st->nprogs; i++)
		json_prog(&j, NULL, &st->progs[i], true);
	j_close(&j, ']');
	j_open(&j, "services", '[');
	for (i = 0; sm->ok && i < sm->nsvc; i++) {
		format_svc(&sm->svc[i], a, sizeof(a), false);
		j_open(&j, NULL, '{');
		j_str(&j, "addr", a);
		j_u64(&j, "port", ntohs(sm->svc[i].port));
		j_close(&j, '}');
	}
	j_close(&j, ']');
	j_open(&j, "unserved_queues", '[');
	for (i = 0; sm->ok && i < TERN_XDP_MAX_QUEUES; i++)
		if (sm->unserved >> i & 1)
			j_u64(&j, NULL, (uint64_t)i);
	j_close(&j, ']');
	if (sm->ok && sm->cookie_map) {
		j_open(&j, "xdp_cookies_on", '[');
		for (i = 0; i < sm->ncookie_on; i++)
			j_u64(&j, NULL, sm->cookie_on[i]);
		j_close(&j, ']');
	}
	if (sm->ok)
		print_set(&j, &sm->counters);
	if (daemon)
		status_daemon_json(&j, daemon);
	j_close(&j, '}');
}

static void status_text(const struct common *co, const struct tern_status *st,
			const struct status_maps *sm, const struct status_daemon *daemon)
{
	char buf[INET6_ADDRSTRLEN + 8];
	int i;

	printf("%s (ifindex %d): %s %s", co->dev, st->ifindex,
	       TERN_XDP_PROG_NAME, st->attached ? "attached" : "NOT attached");
	if (st->any_xdp)
		printf(", %s mode, %s", tern_loader__mode_name(st->mode),
		       st->dispatcher ? "libxdp dispatcher" : "single program");
	printf("%s\n", st->pinned ? "" : " (maps not pinned)");
	if (st->any_xdp)
		printf("xdp: %s id %u\n", st->main.name, st->main.id);
	for (i = 0; i < st->nprogs; i++)
		printf("  %-16s id %-6u priority %u\n", st->progs[i].name,
		       st->progs[i].id, st->progs[i].prio);
	if (!sm->ok)
		return;
	printf("services: %d\n", sm->nsvc);
	for (i = 0; i < sm->nsvc; i++) {
		format_svc(&sm->svc[i], buf, sizeof(buf), true);
		printf("  %s\n", buf);
	}
	if (sm->unserved) {
		printf("unserved queues (service frames dropped):");
		for (i = 0; i < TERN_XDP_MAX_QUEUES; i++)
			if (sm->unserved >> i & 1)
				printf(" %d", i);
		printf("\n");
	}
	if (sm->cookie_map) {
		printf("xdp cookies on for queues:%s", sm->ncookie_on ? "" : " none");
		for (i = 0; i < sm->ncookie_on; i++)
			printf(" %u", sm->cookie_on[i]);
		printf("\n");
	}
	if (daemon)
		status_daemon_text(daemon);
	else
		printf("daemon: not answering on its control socket\n");
	print_set(NULL, &sm->counters);
}

static int cmd_status(int argc, char **argv)
{
	struct common co = { "status", NULL, TERN_LOADER_BPFFS, false, NULL, false };
	char help[sizeof(status_help) + sizeof(ctl_help_line)];
	struct status_daemon sd;
	struct status_maps *sm;
	struct tern_status st;
	bool have_daemon;
	int rc, err;

	snprintf(help, sizeof(help), status_help, ctl_help_line);
	rc = dev_parse(argc, argv, &co, ":d:jb:c:h", status_opts, help);
	if (rc || (rc = preflight(&co)))
		return rc;
	err = tern_loader__status(co.dev, co.bpffs, &st);
	if (err) {
		error(err, "status of %s", co.dev);
		return EXIT_RUNTIME;
	}
	if (!st.attached && !st.pinned)
		return not_loaded(&co, false);
	sm = calloc(1, sizeof(*sm));
	if (!sm) {
		error(ENOMEM, "status");
		return EXIT_RUNTIME;
	}
	err = st.pinned ? read_status_maps(&co, sm) : 0;
	have_daemon = !err && status_daemon_read(&co, &sd);
	if (err)
		error(err, "read maps pinned under %s/%s/%s", co.bpffs,
		      TERN_XDP_PIN_DIR, co.dev);
	else if (co.json)
		status_json(&co, &st, sm, have_daemon ? &sd : NULL);
	else
		status_text(&co, &st, sm, have_daemon ? &sd : NULL);
	if (have_daemon)
		status_daemon_free(&sd);
	free(sm);
	return err ? EXIT_RUNTIME : 0;
}

/* ---- stats ------------------------------------------------------------- */

static const char stats_help[] =
	"usage: ternctl stats --dev IFACE [--json|--prometheus] [--ctl PATH] [--bpffs DIR]\n"
	"Print tern's counters: the running daemon's (per queue: frames,\n"
	"connections, TCP counters; and the XDP program's) from its control\n"
	"socket; without a daemon, the XDP program's from its pinned map.\n"
	"Every counter is described in ternctl(8).\n"
	"  -d, --dev IFACE     interface\n"
	"  -j, --json          JSON output (the daemon's, as it sends it; without\n"
	"                      a daemon {\"dev\", \"xdp\", \"daemon\": false})\n"
	"  -P, --prometheus    Prometheus text format 0.0.4 (as the daemon's\n"
	"                      --metrics listener serves it)\n"
	"%s"
	"  -b, --bpffs DIR     bpffs for pins and libxdp (default " TERN_LOADER_BPFFS ")\n"
	"  -h, --help          this text\n";

static const struct option stats_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "bpffs", required_argument, NULL, 'b' },
	{ "json", no_argument, NULL, 'j' },
	{ "prometheus", no_argument, NULL, 'P' },
	{ "ctl", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * The fallback without a daemon: the XDP program's pinned map. Every
 * source is read before anything is printed, so an error leaves no half
 * output.
 */
struct stats_source {
	const char *key;
	int (*read)(const struct common *co, struct counter_set *cs);
};

static int read_xdp(const struct common *co, struct counter_set *cs)
{
	struct tern_maps m;
	int err;

	err = tern_loader__open_maps(co->dev, co->bpffs, &m);
	if (err == -ENOENT)
		return not_loaded(co, true);
	if (!err) {
		err = tern_maps__read_counters(&m, cs->vals);
		tern_maps__close(&m);
	}
	if (err) {
		error(err, "read XDP counters of %s", co->dev);
		return EXIT_RUNTIME;
	}
	xdp_set_names(cs);
	return 0;
}

static const struct stats_source stats_sources[] = {
	{ "xdp", read_xdp },
};

#define NUM_SOURCES (sizeof(stats_sources) / sizeof(stats_sources[0]))

/* The XDP counters as the daemon's metrics command names them. */
static void print_prom_set(const struct common *co, const struct counter_set *cs)
{
	char name[80];

	for (int i = 0; i < cs->n; i++) {
		tern_metrics__name("xdp", cs->names[i], name, sizeof(name));
		printf("# HELP %s_total XDP program counter %s (all CPUs).\n"
		       "# TYPE %s_total counter\n%s_total{iface=\"%s\"} %" PRIu64 "\n",
		       name, cs->names[i], name, name, co->dev, (uint64_t)cs->vals[i]);
	}
}

static void print_stats(const struct common *co, const struct counter_set *cs,
			size_t n, const char *path)
{
	struct json j = { 0 };
	size_t i;

	if (co->prometheus) {
		for (i = 0; i < n; i++)
			print_prom_set(co, &cs[i]);
		return;
	}
	if (co->json) {
		j_open(&j, NULL, '{');
		j_str(&j, "dev", co->dev);
	} else {
		printf("daemon: not running on %s (no control socket at %s)\n",
		       co->dev, path);
	}
	for (i = 0; i < n; i++)
		print_set(co->json ? &j : NULL, &cs[i]);
	if (co->json) {
		j_bool(&j, "daemon", false);
		j_close(&j, '}');
	}
}

static int stats_pinned(const struct common *co, const char *path)
{
	struct counter_set cs[NUM_SOURCES];
	size_t i;
	int rc;

	rc = preflight(co);
	for (i = 0; !rc && i < NUM_SOURCES; i++) {
		memset(&cs[i], 0, sizeof(cs[i]));
		cs[i].key = stats_sources[i].key;
		rc = stats_sources[i].read(co, &cs[i]);
	}
	if (!rc)
		print_stats(co, cs, NUM_SOURCES, path);
	return rc;
}

/* "  Name value" for every non-zero number in a counters object. */
static void print_nonzero(const struct tern_json_doc *d, const struct tern_json_node *o)
{
	const struct tern_json_node *k;

	TERN_JSON_EACH(d, o, k)
		if (k->type == TERN_JSON_NUM && k->u && strcmp(k->key, "queue"))
			printf("  %-24s %" PRIu64 "\n", k->key, k->u);
}

static void print_all(const struct tern_json_doc *d, const struct tern_json_node *o)
{
	const struct tern_json_node *k;

	TERN_JSON_EACH(d, o, k)
		if (k->type == TERN_JSON_NUM)
			printf("  %-24s %" PRIu64 "\n", k->key, k->u);
}

static void stats_queue(const struct tern_json_doc *d, const struct tern_json_node *q)
{
	static const char *const frame_keys[] = { "total", "free", "fill", "rx",
						  "kept", "tx", "comp", "bad" };
	const struct tern_json_node *fr = tern_json__get(d, q, "frames");
	bool ok = tern_json__b(d, fr, "ok");
	size_t i;

	printf("queue %" PRIu64 " (%s): frames %s, bad %" PRIu64 ", conns %" PRIu64
	       ", half-open %" PRIu64 ", rx %" PRIu64 ", tx %" PRIu64 "\n",
	       tern_json__u(d, q, "queue"), tern_json__b(d, q, "zerocopy") ? "zero-copy" : "copy",
	       ok ? "ok" : "NOT ok", tern_json__u(d, fr, "bad"), tern_json__u(d, q, "nconns"),
	       tern_json__u(d, q, "nreqs"), tern_json__u(d, q, "rx_frames"),
	       tern_json__u(d, q, "tx_frames"));
	if (!ok) {
		fputs("  frames:", stdout);
		for (i = 0; i < sizeof(frame_keys) / sizeof(frame_keys[0]); i++)
			printf(" %s %" PRIu64, frame_keys[i], tern_json__u(d, fr, frame_keys[i]));
		putchar('\n');
	}
	print_nonzero(d, q); /* every other counter of the queue */
	print_nonzero(d, tern_json__get(d, q, "mib"));
	print_nonzero(d, tern_json__get(d, q, "parse_drops"));
	print_nonzero(d, tern_json__get(d, q, "app"));
}

static int stats_daemon(const struct common *co, const struct ctl_reply *r)
{
	const struct tern_json_node *root, *qs, *q, *t;
	struct tern_json_doc d = { 0 };
	char *copy = NULL;
	int nq = 0;

	root = parse_reply(r, "stats", "queues", &d, &copy);
	if (root && co->json) {
		print_payload(r->payload);
	} else if (root) {
		qs = tern_json__get(&d, root, "queues");
		TERN_JSON_EACH(&d, qs, q)
			nq++;
		printf("%s: daemon running, %d queue(s)\n", tern_json__s(&d, root, "dev"), nq);
		TERN_JSON_EACH(&d, qs, q)
			stats_queue(&d, q);
		t = tern_json__get(&d, root, "total");
		if (t) {
			printf("total: frames %s, conns %" PRIu64 ", half-open %" PRIu64 "\n",
			       tern_json__b(&d, t, "frames_ok") ? "ok" : "NOT ok",
			       tern_json__u(&d, t, "nconns"), tern_json__u(&d, t, "nreqs"));
			print_nonzero(&d, tern_json__get(&d, t, "mib"));
			print_nonzero(&d, tern_json__get(&d, t, "app"));
		}
		printf("xdp:\n");
		print_all(&d, tern_json__get(&d, root, "xdp"));
	}
	free(d.n);
	free(copy);
	return root ? 0 : EXIT_RUNTIME;
}

static int cmd_stats(int argc, char **argv)
{
	struct common co = { "stats", NULL, TERN_LOADER_BPFFS, false, NULL, false };
	struct ctl_reply r = { 0 };
	char help[sizeof(stats_help) + sizeof(ctl_help_line)];
	int rc;

	snprintf(help, sizeof(help), stats_help, ctl_help_line);
	rc = dev_parse(argc, argv, &co, ":d:jPb:c:h", stats_opts, help);
	if (rc)
		return rc;
	if (co.json && co.prometheus) {
		error(EINVAL, "stats: --json and --prometheus exclude each other");
		return EXIT_USAGE;
	}
	rc = ctl_call(&co, co.prometheus ? "metrics" : "stats", &r);
	if (!rc && co.prometheus)
		fputs(r.payload, stdout);
	else if (!rc)
		rc = stats_daemon(&co, &r);
	else if (no_daemon(rc))
		rc = stats_pinned(&co, r.path);
	else if (rc < 0)
		rc = ctl_error(&co, "stats", &r, rc);
	ctl_free(&r);
	return rc;
}

/* ---- conns ------------------------------------------------------------- */

static const char conns_help[] =
	"usage: ternctl conns --dev IFACE [--json] [--ctl PATH]\n"
	"List the running daemon's connections (queue, state, local and remote\n"
	"address); the daemon bounds the list and says when it is truncated.\n"
	"  -d, --dev IFACE     interface\n"
	"  -j, --json          JSON output, as the daemon sends it\n"
	"%s"
	"  -h, --help          this text\n";

static const struct option conns_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "json", no_argument, NULL, 'j' },
	{ "ctl", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void conns_table(const struct tern_json_doc *d, const struct tern_json_node *root)
{
	const struct tern_json_node *list = tern_json__get(d, root, "conns"), *c;
	int n = 0, w = (int)strlen("LOCAL"), len;

	TERN_JSON_EACH(d, list, c) {
		len = (int)strlen(tern_json__s(d, c, "local"));
		w = len > w ? len : w;
	}
	printf("%-5s %-12s %-*s %s\n", "QUEUE", "STATE", w, "LOCAL", "REMOTE");
	TERN_JSON_EACH(d, list, c) {
		printf("%-5" PRIu64 " %-12s %-*s %s\n", tern_json__u(d, c, "queue"),
		       tern_json__s(d, c, "state"), w, tern_json__s(d, c, "local"),
		       tern_json__s(d, c, "remote"));
		n++;
	}
	printf("%d connection(s)%s\n", n,
	       tern_json__b(d, root, "truncated") ? " listed; the list is truncated" : "");
}

static int cmd_conns(int argc, char **argv)
{
	struct common co = { "conns", NULL, TERN_LOADER_BPFFS, false, NULL, false };
	struct ctl_reply r = { 0 };
	char help[sizeof(conns_help) + sizeof(ctl_help_line)];
	const struct tern_json_node *root;
	struct tern_json_doc d = { 0 };
	char *copy = NULL;
	int rc;

	snprintf(help, sizeof(help), conns_help, ctl_help_line);
	rc = dev_parse(argc, argv, &co, ":d:jc:h", conns_opts, help);
	if (rc)
		return rc;
	rc = ctl_call(&co, "conns", &r);
	if (rc < 0)
		rc = ctl_error(&co, "conns", &r, rc);
	if (!rc) {
		root = parse_reply(&r, "conns", "conns", &d, &copy);
		if (root && co.json)
			print_payload(r.payload);
		else if (root)
			conns_table(&d, root);
		rc = root ? 0 : EXIT_RUNTIME;
	}
	free(d.n);
	free(copy);
	ctl_free(&r);
	return rc;
}

/* ---- set --------------------------------------------------------------- */

static const char set_help[] =
	"usage: ternctl set --dev IFACE [--ctl PATH] SETTING\n"
	"Change a setting of the running daemon on IFACE. SETTING is one of:\n"
	"      --syncookies MODE   never, auto or always\n"
	"      --xdp-cookies MODE  never, overload or always: when XDP answers SYNs\n"
	"      --keepalive I,N,C   idle seconds (1-32767), probe interval seconds\n"
	"                          (1-32767), probes (1-255); 0,0,0 turns it off;\n"
	"                          for connections opened from now on\n"
	"      --backlog N         half-open records per queue, 1 up to the\n"
	"                          daemon's --backlog\n"
	"  -d, --dev IFACE     interface\n"
	"%s"
	"  -h, --help          this text\n";

enum { OPT_SET_SYNCOOKIES = 0x100, OPT_SET_KEEPALIVE, OPT_SET_BACKLOG, OPT_SET_XDP_COOKIES };

static const struct option set_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "ctl", required_argument, NULL, 'c' },
	{ "syncookies", required_argument, NULL, OPT_SET_SYNCOOKIES },
	{ "keepalive", required_argument, NULL, OPT_SET_KEEPALIVE },
	{ "backlog", required_argument, NULL, OPT_SET_BACKLOG },
	{ "xdp-cookies", required_argument, NULL, OPT_SET_XDP_COOKIES },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define SET_BACKLOG_MAX (1ul << 26) /* the core's bound on every table */

/* A decimal number in [min, max] and nothing else. */
static bool parse_num(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* IDLE,INTVL,COUNT with Linux's bounds (TCP_KEEPIDLE, TCP_KEEPINTVL
 * 32767 s; the core keeps the count in a byte), or 0,0,0. */
static bool parse_keepalive(const char *s, unsigned long v[3])
{
	static const unsigned long max[3] = { 32767, 32767, 255 };
	char buf[64], *p = buf, *comma;
	int i;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	for (i = 0; i < 3; i++) {
		comma = strchr(p, ',');
		if ((i < 2) != !!comma)
			return false;
		if (comma)
			*comma = 0;
		if (!parse_num(p, 0, max[i], &v[i]))
			return false;
		if (comma)
			p = comma + 1;
	}
	if (!v[0] && !v[1] && !v[2])
		return true;
	return v[0] && v[1] && v[2];
}

/* The request line for one setting, or an error (printed). */
static int set_request(int opt, const char *s, char *req, size_t size)
{
	unsigned long v[3];

	switch (opt) {
	case OPT_SET_SYNCOOKIES:
		if (strcmp(s, "never") && strcmp(s, "auto") && strcmp(s, "always")) {
			error(EINVAL, "set: bad --syncookies '%s' (never, auto or always)", s);
			return -1;
		}
		snprintf(req, size, "set syncookies %s", s);
		return 0;
	case OPT_SET_XDP_COOKIES:
		if (strcmp(s, "never") && strcmp(s, "overload") && strcmp(s, "always")) {
			error(EINVAL, "set: bad --xdp-cookies '%s' (never, overload or always)", s);
			return -1;
		}
		snprintf(req, size, "set xdp-cookies %s", s);
		return 0;
	case OPT_SET_KEEPALIVE:
		if (!parse_keepalive(s, v)) {
			error(EINVAL, "set: bad --keepalive '%s' (IDLE,INTVL,COUNT: 1-32767 s, 1-32767 s, 1-255; or 0,0,0 for off)",
			      s);
			return -1;
		}
		snprintf(req, size, "set keepalive %lu,%lu,%lu", v[0], v[1], v[2]);
		return 0;
	default:
		if (!parse_num(s, 1, SET_BACKLOG_MAX, &v[0])) {
			error(EINVAL, "set: bad --backlog '%s' (1-%lu, and at most the daemon's --backlog)",
			      s, SET_BACKLOG_MAX);
			return -1;
		}
		snprintf(req, size, "set backlog %lu", v[0]);
		return 0;
	}
}

static int cmd_set(int argc, char **argv)
{
	struct common co = { "set", NULL, TERN_LOADER_BPFFS, false, NULL, false };
	char help[sizeof(set_help) + sizeof(ctl_help_line)];
	struct ctl_reply r = { 0 };
	char req[96] = "";
	int c, n = 0, rc;

	snprintf(help, sizeof(help), set_help, ctl_help_line);
	while ((c = next_opt(argc, argv, "set", ":d:c:h", set_opts)) > 0) {
		if (c == 'h') {
			fputs(help, stdout);
			exit(0);
		}
		if (common_opt(&co, c))
			continue;
		if (set_request(c, optarg, req, sizeof(req)))
			return EXIT_USAGE;
		n++;
	}
	if (c < 0)
		return EXIT_USAGE;
	if (n != 1) {
		error(EINVAL, "set: give one of --syncookies, --xdp-cookies, --keepalive, --backlog (see ternctl set --help)");
		return EXIT_USAGE;
	}
	rc = need_dev(&co);
	if (rc)
		return rc;
	rc = ctl_call(&co, req, &r);
	if (rc < 0)
		rc = ctl_error(&co, req, &r, rc);
	if (!rc) {
		printf("%s: %s\n", co.dev, req + strlen("set "));
		print_payload(r.payload);
	}
	ctl_free(&r);
	return rc;
}

/* ---- stop -------------------------------------------------------------- */

static const char stop_help[] =
	"usage: ternctl stop --dev IFACE [--ctl PATH]\n"
	"Stop the daemon on IFACE as SIGTERM does: with --drain-withdraw-delay\n"
	"it fails `ternctl health` and serves on for that long first; then it\n"
	"sends FIN on every connection, waits (bounded) for them to close, and\n"
	"exits 0.\n"
	"  -d, --dev IFACE     interface\n"
	"%s"
	"  -h, --help          this text\n";

static const struct option stop_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "ctl", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_stop(int argc, char **argv)
{
	struct common co = { "stop", NULL, TERN_LOADER_BPFFS, false, NULL, false };
	char help[sizeof(stop_help) + sizeof(ctl_help_line)];
	struct ctl_reply r = { 0 };
	int rc;

	snprintf(help, sizeof(help), stop_help, ctl_help_line);
	rc = dev_parse(argc, argv, &co, ":d:c:h", stop_opts, help);
	if (rc)
		return rc;
	rc = ctl_call(&co, "stop", &r);
	/* A daemon that closed without an answer and then went away stopped. */
	if (rc < 0 && no_daemon(rc) && r.tries > 1)
		rc = 0;
	else if (rc < 0)
		rc = ctl_error(&co, "stop", &r, rc);
	if (!rc) {
		printf("%s: daemon stopping (draining its connections)\n", co.dev);
		if (r.payload)
			print_payload(r.payload);
	}
	ctl_free(&r);
	return rc;
}

/* ---- reload ------------------------------------------------------------ */

static const char reload_help[] =
	"usage: ternctl reload --dev IFACE [--ctl PATH]\n"
	"Make the daemon on IFACE read its configuration file again (as SIGHUP\n"
	"does): it applies syncookies, keepalive, backlog and log-level, the\n"
	"proxy's backend, balance and health-* keys and the http-* response\n"
	"keys at once, without closing connections, and names every other\n"
	"changed key as needing a restart. A file with an error (reported as\n"
	"FILE:LINE: message) changes nothing.\n"
	"  -d, --dev IFACE     interface\n"
	"%s"
	"  -h, --help          this text\n";

static int cmd_reload(int argc, char **argv)
{
	struct common co = { "reload", NULL, TERN_LOADER_BPFFS, false, NULL, false };
	char help[sizeof(reload_help) + sizeof(ctl_help_line)];
	struct ctl_reply r = { 0 };
	int rc;

	snprintf(help, sizeof(help), reload_help, ctl_help_line);
	rc = dev_parse(argc, argv, &co, ":d:c:h", stop_opts, help);
	if (rc)
		return rc;
	rc = ctl_call(&co, "reload", &r);
	if (rc < 0)
		rc = ctl_error(&co, "reload", &r, rc);
	if (!rc)
		print_payload(r.payload);
	ctl_free(&r);
	return rc;
}

/* ---- drain, undrain ---------------------------------------------------- */

static const char drain_help[] =
	"usage: ternctl %s --dev IFACE [--ctl PATH] BACKEND\n"
	"%s\n"
	"BACKEND is IP:PORT or [IP6]:PORT, as given to --backend. The mark\n"
	"stays across reloads while BACKEND stays in the set; ternctl undrain\n"
	"lifts it. Stats: the gauge ProxyBackendsDrained.\n"
	"  -d, --dev IFACE     interface\n"
	"%s"
	"  -h, --help          this text\n";

/* ternctl drain|undrain: the proxy's backend takes no new connections, or
 * takes them again. */
static int cmd_drain_mark(int argc, char **argv, bool drain)
{
	const char *name = drain ? "drain" : "undrain";
	struct common co = { name, NULL, TERN_LOADER_BPFFS, false, NULL, false };
	char help[sizeof(drain_help) + sizeof(ctl_help_line) + 128], req[160];
	const char *backend = NULL;
	struct ctl_reply r = { 0 };
	int c, rc;

	snprintf(help, sizeof(help), drain_help, name,
		 drain ? "The daemon's proxy (--app proxy) sends no new connection to BACKEND;\n"
			 "the established ones finish on it."
		       : "BACKEND takes new connections again (after ternctl drain).",
		 ctl_help_line);
	/* "-": BACKEND, wherever it stands, comes back as option 1 */
	while ((c = getopt_long(argc, argv, "-:d:c:h", stop_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return 0;
		}
		if (c == 1 && !backend) {
			backend = optarg;
			continue;
		}
		if (c == 1 || c == '?' || c == ':' || !common_opt(&co, c)) {
			error(EINVAL, "%s: unexpected '%s' (see ternctl %s --help)", name,
			      argv[optind - 1], name);
			return EXIT_USAGE;
		}
	}
	rc = need_dev(&co);
	if (rc)
		return rc;
	if (!backend) {
		error(EINVAL, "%s: give one BACKEND (IP:PORT; see ternctl %s --help)", name, name);
		return EXIT_USAGE;
	}
	snprintf(req, sizeof(req), "%s %.100s", name, backend);
	rc = ctl_call(&co, req, &r);
	if (rc < 0)
		rc = ctl_error(&co, name, &r, rc);
	if (!rc)
		print_payload(r.payload);
	ctl_free(&r);
	return rc;
}

static int cmd_drain(int argc, char **argv)
{
	return cmd_drain_mark(argc, argv, true);
}

static int cmd_undrain(int argc, char **argv)
{
	return cmd_drain_mark(argc, argv, false);
}

/* ---- health ------------------------------------------------------------ */

static const char health_help[] =
	"usage: ternctl health --dev IFACE [--json] [--ctl PATH]\n"
	"Exit 0 only while the daemon on IFACE serves: it answers, it is not\n"
	"stopping (the drain, with --drain-withdraw-delay before it), every\n"
	"queue's worker runs and the XDP program is attached with its pins.\n"
	"Else exit 1, with the reasons. A BGP speaker's health check runs it\n"
	"to announce the service address only while this holds (docs/deploy.md).\n"
	"  -d, --dev IFACE     interface\n"
	"  -j, --json          the daemon's reply as JSON\n"
	"%s"
	"  -h, --help          this text\n";

static const struct option health_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "json", no_argument, NULL, 'j' },
	{ "ctl", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The reply's "healthy" is the exit code; no daemon is not healthy. */
static int health_reply(const struct common *co, const struct ctl_reply *r)
{
	char *copy = strdup(r->payload);
	const struct tern_json_node *root, *ok;
	struct tern_json_doc d = { 0 };
	int rc = EXIT_RUNTIME;

	if (!copy) {
		error(ENOMEM, "health");
		return EXIT_RUNTIME;
	}
	root = tern_json__parse(&d, copy);
	ok = tern_json__get(&d, root, "healthy");
	if (!ok || ok->type != TERN_JSON_BOOL)
		error(EPROTO, "health: the daemon's reply has no \"healthy\"");
	else if (co->json)
		print_payload(r->payload);
	else if (ok->b)
		printf("%s: healthy\n", co->dev);
	else
		printf("%s: not healthy: %s\n", co->dev, tern_json__s(&d, root, "why"));
	if (ok && ok->type == TERN_JSON_BOOL && ok->b)
		rc = 0;
	free(d.n);
	free(copy);
	return rc;
}

static int cmd_health(int argc, char **argv)
{
	struct common co = { "health", NULL, TERN_LOADER_BPFFS, false, NULL, false };
	char help[sizeof(health_help) + sizeof(ctl_help_line)];
	struct ctl_reply r = { 0 };
	int rc;

	snprintf(help, sizeof(help), health_help, ctl_help_line);
	rc = dev_parse(argc, argv, &co, ":d:jc:h", health_opts, help);
	if (rc)
		return rc;
	rc = ctl_call(&co, "health", &r);
	if (rc < 0)
		rc = ctl_error(&co, "health", &r, rc);
	else if (!rc)
		rc = health_reply(&co, &r);
	ctl_free(&r);
	return rc;
}

/* ---- rotate-secret ----------------------------------------------------- */

static const char rotate_help[] =
	"usage: ternctl rotate-secret --dev IFACE [--ctl PATH] FILE\n"
	"The daemon on IFACE (started with --cookie-secret) reads FILE and, when\n"
	"its keys differ, issues SYN cookies under them; cookies issued under the\n"
	"keys it replaces stay valid for their window (up to two minutes), older\n"
	"ones do not. FILE passes the --cookie-secret checks (docs/fleet.md).\n"
	"Stats: CookieSecretRotations, and the MIB SyncookiesRecvPrevKey.\n"
	"  -d, --dev IFACE     interface\n"
	"%s"
	"  -h, --help          this text\n";

static int cmd_rotate_secret(int argc, char **argv)
{
	struct common co = { "rotate-secret", NULL, TERN_LOADER_BPFFS, false, NULL, false };
	char help[sizeof(rotate_help) + sizeof(ctl_help_line)], req[PATH_MAX + 16];
	char path[PATH_MAX];
	const char *file = NULL;
	struct ctl_reply r = { 0 };
	int c, rc;

	snprintf(help, sizeof(help), rotate_help, ctl_help_line);
	while ((c = getopt_long(argc, argv, "-:d:c:h", stop_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return 0;
		}
		if (c == 1 && !file) {
			file = optarg;
			continue;
		}
		if (c == 1 || c == '?' || c == ':' || !common_opt(&co, c)) {
			error(EINVAL, "rotate-secret: unexpected '%s' (see ternctl rotate-secret "
			      "--help)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	rc = need_dev(&co);
	if (rc)
		return rc;
	if (!file) {
		error(EINVAL, "rotate-secret: give one FILE (see ternctl rotate-secret --help)");
		return EXIT_USAGE;
	}
	if (!realpath(file, path)) { /* the daemon's working directory is not ours */
		error(errno, "rotate-secret: %s", file);
		return EXIT_USAGE;
	}
	snprintf(req, sizeof(req), "rotate-secret %s", path);
	rc = ctl_call(&co, req, &r);
	if (rc < 0)
		rc = ctl_error(&co, "rotate-secret", &r, rc);
	if (!rc)
		print_payload(r.payload);
	ctl_free(&r);
	return rc;
}

/* ---- main -------------------------------------------------------------- */

static const struct cmd cmds[] = {
	{ "load", cmd_load, "attach the XDP program and add services" },
	{ "unload", cmd_unload, "detach the XDP program, remove its pins" },
	{ "status", cmd_status, "attach state, services and XDP counters" },
	{ "stats", cmd_stats, "counters: the daemon's, else the XDP program's" },
	{ "conns", cmd_conns, "the daemon's connections" },
	{ "set", cmd_set, "change a setting of the running daemon" },
	{ "stop", cmd_stop, "stop the daemon (it drains, then exits)" },
	{ "reload", cmd_reload, "re-read the daemon's configuration file" },
	{ "drain", cmd_drain, "no new connections to a backend of the proxy" },
	{ "undrain", cmd_undrain, "a drained backend takes connections again" },
	{ "health", cmd_health, "exit 0 only while the daemon serves (BGP check)" },
	{ "rotate-secret", cmd_rotate_secret, "new SYN cookie keys for a fleet (--cookie-secret)" },
	{ "top", ternctl_top, "live view of the daemon's rates, every second" },
	{ "capture", ternctl_capture, "the daemon's frames into a pcap file" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ternctl [-v] COMMAND [OPTIONS]   (ternctl COMMAND --help)\n"
		   "  -v, --verbose   show libbpf and libxdp messages\n"
		   "  -V, --version   ternctl's and its libraries' versions\n"
		   "commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return verbose ? vfprintf(stderr, fmt, ap) : 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	return verbose ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	int i = 1;
	size_t c;

	if (argc > 1 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose"))) {
		verbose = true;
		i++;
	}
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help") || !strcmp(argv[i], "--help") ||
	    !strcmp(argv[i], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[i], "version") || !strcmp(argv[i], "--version") ||
	    !strcmp(argv[i], "-V")) {
		tern_version__print(stdout, "ternctl");
		return 0;
	}
	opterr = 0;
	for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (!strcmp(argv[i], cmds[c].name))
			return cmds[c].run(argc - i, argv + i);
	error(EINVAL, "unknown command '%s' (see ternctl --help)", argv[i]);
	return EXIT_USAGE;
}
