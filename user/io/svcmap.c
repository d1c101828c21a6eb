// SPDX-License-Identifier: BSD-2-Clause
/* tern_services and its port cache tern_svc_ports (svcmap.h). */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "user/io/svcmap.h"

static bool svc_is_v4(const struct tern_svc_key *k)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(k->addr, mapped, sizeof(mapped));
}

/* The port's entry from the services tern_services holds on it. */
static int port_build(int services_fd, __u16 port, struct tern_svc_port *e)
{
	struct tern_svc_key key, prev;
	int n4 = 0, n6 = 0, n = 0;

	memset(e, 0, sizeof(*e));
	while (!bpf_map_get_next_key(services_fd, n++ ? &prev : NULL, &key)) {
		prev = key;
		if (key.port != port)
			continue;
		if (svc_is_v4(&key)) {
			if (!n4++)
				memcpy(e->addr4, key.addr + 12, 4);
		} else if (!n6++) {
			memcpy(e->addr6, key.addr, 16);
		}
	}
	if (errno != ENOENT)
		return -errno;
	e->flags = (n4 == 1 ? TERN_SVC_PORT_ONE4 : 0) | (n6 == 1 ? TERN_SVC_PORT_ONE6 : 0);
	return 0;
}

static int port_store(int ports_fd, __u16 port, const struct tern_svc_port *e)
{
	__u32 idx = port;

	return bpf_map_update_elem(ports_fd, &idx, e, BPF_ANY) ? -errno : 0;
}

/*
 * The port's entry is cleared around the change: while it is clear the
 * program looks up every frame to the port in the hash, so the entry
 * never names a service the hash does not hold.
 */
int tern_svcmap__change(int services_fd, int ports_fd, const struct tern_svc_key *key, bool add)
{
	static const struct tern_svc_port none;
	struct tern_svc_val val = { 0 };
	struct tern_svc_port e;
	int err;

	if (ports_fd >= 0) {
		err = port_store(ports_fd, key->port, &none);
		if (err)
			return err;
	}
	if (add)
		err = bpf_map_update_elem(services_fd, key, &val, BPF_ANY) ? -errno : 0;
	else
		err = bpf_map_delete_elem(services_fd, key) ? -errno : 0;
	if (ports_fd >= 0 && !port_build(services_fd, key->port, &e))
		port_store(ports_fd, key->port, &e); /* left clear: the hash answers */
	return err;
}
