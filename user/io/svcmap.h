/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The services of the XDP program: tern_services (hash) and its per-port
 * cache tern_svc_ports (include/tern/xdp.h), changed together. Only
 * libbpf, so that the BPF_PROG_TEST_RUN checks write the maps as the
 * daemon and ternctl do.
 */
#ifndef TERN_IO_SVCMAP_H
#define TERN_IO_SVCMAP_H

#include <stdbool.h>

#include "tern/xdp.h"

/*
 * Adds (add) or removes key in services_fd, and rebuilds the port's
 * entry in ports_fd (-1: none, an older pinned object). 0 or -errno of
 * the change to services_fd.
 */
int tern_svcmap__change(int services_fd, int ports_fd, const struct tern_svc_key *key, bool add);

#endif
