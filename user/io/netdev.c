// SPDX-License-Identifier: BSD-2-Clause
/*
 * Interface facts (netdev.h): ethtool ioctls for channels and features,
 * SIOCGIFMTU, the "netdev" generic netlink family for XDP features, and
 * /proc for queue interrupts. Everything is read once at start (and the
 * channel count again by the interface watch); nothing is changed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "user/io/netdev.h"
#include "user/io/opts.h"
#include "user/io/xsk.h"

/* include/uapi/linux/netdev.h (6.3+) */
#define NETDEV_FAMILY "netdev"
#define NETDEV_CMD_DEV_GET 1
#define NETDEV_A_DEV_IFINDEX 1
#define NETDEV_A_DEV_XDP_FEATURES 3

static int ethtool(int fd, const char *dev, void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

/* Devices without get_channels: count /sys/class/net/DEV/queues/rx-N. */
static int sysfs_rx_queues(const char *dev, uint32_t *n)
{
	char path[128];
	uint32_t i;

	for (i = 0; i < 4096; i++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%u", dev, i);
		if (access(path, F_OK))
			break;
	}
	*n = i;
	return i ? 0 : -ENOENT;
}

static int channels(int fd, const char *dev, uint32_t *cur, uint32_t *max)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	int err = ethtool(fd, dev, &ch);

	if (err == -EOPNOTSUPP) {
		err = sysfs_rx_queues(dev, cur);
		*max = *cur;
		return err;
	}
	if (err)
		return err;
	*cur = ch.combined_count + ch.rx_count;
	*max = ch.max_combined + ch.max_rx;
	return *cur ? 0 : -ENOENT;
}

static int feature_count(int fd, const char *dev, uint32_t *n)
{
	struct {
		struct ethtool_sset_info hdr;
		uint32_t len;
	} si = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ull << ETH_SS_FEATURES } };
	int err = ethtool(fd, dev, &si);

	if (err)
		return err;
	*n = si.hdr.sset_mask ? si.len : 0;
	return *n ? 0 : -EOPNOTSUPP;
}

static bool active(const struct ethtool_gfeatures *gf, uint32_t bit)
{
	return gf->features[bit / 32].active & (1u << (bit % 32));
}

static void mark(struct tern_netdev *nd, const char *name, bool on)
{
	if (!strcmp(name, "rx-lro"))
		nd->lro = on;
	else if (!strcmp(name, "rx-gro-hw"))
		nd->gro_hw = on;
	else if (!strcmp(name, "rx-vlan-hw-parse"))
		nd->rxvlan = on;
	else if (!strcmp(name, "rx-vlan-stag-hw-parse"))
		nd->rxvlan_stag = on;
}

/* ETHTOOL_GFEATURES, named by ETHTOOL_GSTRINGS (ETH_SS_FEATURES). */
static int features(int fd, const char *dev, struct tern_netdev *nd)
{
	struct ethtool_gstrings *gs = NULL;
	struct ethtool_gfeatures *gf = NULL;
	uint32_t n, words;
	int err = feature_count(fd, dev, &n);

	if (err)
		return err;
	words = (n + 31) / 32;
	gs = calloc(1, sizeof(*gs) + (size_t)n * ETH_GSTRING_LEN);
	gf = calloc(1, sizeof(*gf) + words * sizeof(gf->features[0]));
	err = gs && gf ? 0 : -ENOMEM;
	if (err)
		goto out;
	*gs = (struct ethtool_gstrings){ .cmd = ETHTOOL_GSTRINGS, .string_set = ETH_SS_FEATURES,
					 .len = n };
	gf->cmd = ETHTOOL_GFEATURES;
	gf->size = words;
	err = ethtool(fd, dev, gs);
	if (!err)
		err = ethtool(fd, dev, gf);
	for (uint32_t i = 0; !err && i < n && i < gs->len; i++) {
		char name[ETH_GSTRING_LEN + 1];

		memcpy(name, gs->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		name[ETH_GSTRING_LEN] = 0;
		mark(nd, name, active(gf, i));
	}
	nd->features_known = !err;
out:
	free(gs);
	free(gf);
	return err;
}

/* Generic netlink: one request, one answer (or an error). */
struct nlreq {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[64];
};

static void put_attr(struct nlreq *r, uint16_t type, const void *val, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, val, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static int nl_call(int fd, struct nlreq *r, char *buf, size_t cap, struct nlmsghdr **ans)
{
	ssize_t n;

	if (send(fd, r, r->nh.nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, buf, cap, 0);
	if (n < 0)
		return -errno;
	*ans = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(*ans, (uint32_t)n))
		return -EBADMSG;
	if ((*ans)->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(*ans);

		return e->error ? e->error : -ENOMSG;
	}
	return 0;
}

/* The payload of attribute `type` in a generic netlink answer, or NULL. */
static const void *find_attr(const struct nlmsghdr *nh, uint16_t type, uint16_t len)
{
	const char *p = (const char *)NLMSG_DATA(nh) + GENL_HDRLEN;
	const char *end = (const char *)nh + nh->nlmsg_len;

	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const void *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type && a->nla_len >= NLA_HDRLEN + len)
			return p + NLA_HDRLEN;
		p += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static void nl_init(struct nlreq *r, uint16_t family, uint8_t cmd)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nh.nlmsg_type = family;
	r->nh.nlmsg_flags = NLM_F_REQUEST;
	r->gh.cmd = cmd;
	r->gh.version = 1;
}

static int xdp_features(int ifindex, uint64_t *out)
{
	char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *ans;
	const uint16_t *id;
	const void *v;
	struct nlreq r;
	uint32_t idx = (uint32_t)ifindex;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC), err;

	if (fd < 0)
		return -errno;
	nl_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	put_attr(&r, CTRL_ATTR_FAMILY_NAME, NETDEV_FAMILY, sizeof(NETDEV_FAMILY));
	err = nl_call(fd, &r, buf, sizeof(buf), &ans);
	id = err ? NULL : find_attr(ans, CTRL_ATTR_FAMILY_ID, sizeof(*id));
	if (!err && !id)
		err = -ENOENT;
	if (!err) {
		nl_init(&r, *id, NETDEV_CMD_DEV_GET);
		put_attr(&r, NETDEV_A_DEV_IFINDEX, &idx, sizeof(idx));
		err = nl_call(fd, &r, buf, sizeof(buf), &ans);
	}
	v = err ? NULL : find_attr(ans, NETDEV_A_DEV_XDP_FEATURES, sizeof(*out));
	if (!err && !v)
		err = -ENOENT;
	if (!err)
		memcpy(out, v, sizeof(*out));
	close(fd);
	return err;
}

static int mtu(int fd, const char *dev, uint32_t *out)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFMTU, &ifr))
		return -errno;
	*out = (uint32_t)ifr.ifr_mtu;
	return 0;
}

int tern_netdev__query(const char *dev, struct tern_netdev *nd)
{
	int fd, err;

	memset(nd, 0, sizeof(*nd));
	nd->ifindex = (int)if_nametoindex(dev);
	if (!nd->ifindex)
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = mtu(fd, dev, &nd->mtu);
	if (!err)
		err = channels(fd, dev, &nd->rx_queues, &nd->max_rx_queues);
	if (!err)
		features(fd, dev, nd); /* features_known says whether it worked */
	close(fd);
	if (!err)
		nd->xdp_features_known = !xdp_features(nd->ifindex, &nd->xdp_features);
	return err;
}

int tern_netdev__rx_queues(const char *dev, uint32_t *n)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;
	uint32_t max;

	if (fd < 0)
		return -errno;
	err = channels(fd, dev, n, &max);
	close(fd);
	return err;
}

/* "<dev>-TxRx-3", "<dev>-rx-3", "<dev>-3", "<dev>-fp-3"...: the name of an
 * interrupt that ends in "-<queue>" and contains the device name. */
static bool irq_names_queue(const char *line, const char *dev, uint32_t queue)
{
	char tail[16];
	size_t n, t;

	if (!strstr(line, dev))
		return false;
	n = strcspn(line, "\n");
	while (n && line[n - 1] == ' ')
		n--;
	t = (size_t)snprintf(tail, sizeof(tail), "-%u", queue);
	return n >= t && !strncmp(line + n - t, tail, t);
}

static int first_cpu(unsigned int irq)
{
	char path[64];
	FILE *f;
	int cpu = -1;

	snprintf(path, sizeof(path), "/proc/irq/%u/smp_affinity_list", irq);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &cpu) != 1)
		cpu = -1;
	fclose(f);
	return cpu;
}

int tern_netdev__irq_cpu(const char *dev, uint32_t queue)
{
	FILE *f = fopen("/proc/interrupts", "re");
	char line[4096];
	unsigned int irq;
	int cpu = -1;

	if (!f)
		return -1;
	while (cpu < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, " %u:", &irq) == 1 && irq_names_queue(line, dev, queue))
			cpu = first_cpu(irq);
	fclose(f);
	return cpu;
}

static int why_fail(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why_fail(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int plan_queues(const struct tern_netdev *nd, const struct tern_netdev_want *w,
		       struct tern_netdev_plan *p, char *why, size_t cap)
{
	uint32_t n = nd->rx_queues;

	if (n > TERN_XDP_MAX_QUEUES && (!w->queues || !w->allow_unserved))
		return why_fail(why, cap, "%s has %u RX queues and tern serves at most %u: "
				"reduce them (ethtool -L %s combined %u)", w->dev, n,
				TERN_XDP_MAX_QUEUES, w->dev, TERN_XDP_MAX_QUEUES);
	if (w->queues > n)
		return why_fail(why, cap, "--queues %u: %s has only %u RX queue%s (ethtool -l %s)",
				w->queues, w->dev, n, n == 1 ? "" : "s", w->dev);
	if (w->queues && w->queues < n && !w->allow_unserved) {
		char which[32];

		if (n - w->queues == 1)
			snprintf(which, sizeof(which), "queue %u", w->queues);
		else
			snprintf(which, sizeof(which), "queues %u..%u", w->queues, n - 1);
		return why_fail(why, cap, "--queues %u leaves %s of %s unserved, where the "
				"kernel would reset the service's flows: serve every queue (no "
				"--queues), reduce them (ethtool -L %s combined %u), or drop "
				"their service frames with --allow-unserved-queues",
				w->queues, which, w->dev, w->dev, w->queues);
	}
	p->queues = w->queues ? w->queues : n;
	return 0;
}

static int plan_mtu(const struct tern_netdev *nd, const struct tern_netdev_want *w,
		    struct tern_netdev_plan *p, char *why, size_t cap)
{
	if (nd->mtu > w->max_mtu)
		return why_fail(why, cap, "%s: MTU %u is above the %u bytes a %u-byte UMEM frame "
				"holds (tern does not use multi-buffer AF_XDP): ip link set %s "
				"mtu %u", w->dev, nd->mtu, w->max_mtu, TERN_XSK_FRAME_SIZE, w->dev, w->max_mtu);
	if (nd->mtu < TERN_ARGS_MSS_MIN + 40)
		return why_fail(why, cap, "%s: MTU %u is below the %u tern needs", w->dev,
				nd->mtu, TERN_ARGS_MSS_MIN + 40);
	if (w->mss && w->mss + 40 > nd->mtu)
		return why_fail(why, cap, "--mss %u needs an MTU of %u and %s has %u", w->mss,
				w->mss + 40, w->dev, nd->mtu);
	p->mtu = w->mss ? w->mss + 40 : nd->mtu;
	return 0;
}

static int plan_offloads(const struct tern_netdev *nd, const struct tern_netdev_want *w,
			 char *why, size_t cap)
{
	if (nd->lro || nd->gro_hw)
		return why_fail(why, cap, "%s: %s is on, and AF_XDP frames cannot carry "
				"aggregated segments: ethtool -K %s %s off", w->dev,
				nd->lro ? "large-receive-offload" : "rx-gro-hw", w->dev,
				nd->lro ? "lro" : "rx-gro-hw");
	if (nd->rxvlan || nd->rxvlan_stag)
		return why_fail(why, cap, "%s: %s is on: the NIC strips VLAN tags before XDP "
				"and tern would answer tagged flows untagged: ethtool -K %s %s off",
				w->dev, nd->rxvlan ? "rx-vlan-offload" : "rx-vlan-stag-hw-parse",
				w->dev, nd->rxvlan ? "rxvlan" : "rx-vlan-stag-hw-parse");
	return 0;
}

static int plan_zerocopy(const struct tern_netdev *nd, const struct tern_netdev_want *w,
			 struct tern_netdev_plan *p, char *why, size_t cap)
{
	bool zc = nd->xdp_features & TERN_NETDEV_XDP_ACT_XSK_ZEROCOPY;

	p->zerocopy = w->zerocopy;
	p->zc_err = 0;
	if (!nd->xdp_features_known || zc || w->zerocopy == TERN_ZC_OFF)
		return 0;
	if (w->zerocopy == TERN_ZC_ON)
		return why_fail(why, cap, "--zerocopy on: the driver of %s has no AF_XDP "
				"zero-copy (its XDP features lack xsk-zerocopy)", w->dev);
	p->zerocopy = TERN_ZC_OFF;
	p->zc_err = EOPNOTSUPP;
	return 0;
}

int tern_netdev__plan(const struct tern_netdev *nd, const struct tern_netdev_want *w,
		      struct tern_netdev_plan *p, char *why, size_t cap)
{
	int err;

	memset(p, 0, sizeof(*p));
	err = plan_queues(nd, w, p, why, cap);
	if (!err)
		err = plan_mtu(nd, w, p, why, cap);
	if (!err)
		err = plan_offloads(nd, w, why, cap);
	if (!err)
		err = plan_zerocopy(nd, w, p, why, cap);
	return err;
}
