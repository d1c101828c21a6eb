# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# The backend side of the proxy suite and benchmark, sourced after lib.sh:
# a third namespace NS_B behind a second veth from the server namespace
# (plain kernel networking: DEV_BS with IP4_BS in NS_S, DEV_BB with IP4_B
# in NS_B), and nginx there with a private configuration and pid file
# under NET_TMP: port 8080 answers /id with "A" and serves NET_TMP/www,
# 8082 answers /id with "B", 8081 expects a PROXY protocol header and
# answers with $proxy_protocol_addr and port (logged to NET_TMP/pp.log).
# The EXIT trap becomes proxy_cleanup: nginx and everything in NS_B are
# stopped and NS_B removed, then lib.sh's cleanup runs.
NS_B=tern-b-$NET_SUFFIX
DEV_BS=bs$NET_SUFFIX
DEV_BB=bb$NET_SUFFIX
IP4_BS=10.202.$NET_X.1
IP4_B=10.202.$NET_X.2

in_b() { ip netns exec "$NS_B" "$@"; }

# lib.sh removes its two namespaces; the backend namespace and nginx are ours.
proxy_cleanup() {
	local rc=$? pid

	set +e
	[ -n "$NET_TMP" ] && [ -s "$NET_TMP/nginx.pid" ] && kill "$(cat "$NET_TMP/nginx.pid")"
	for pid in $(ip netns pids "$NS_B" 2>/dev/null); do
		kill "$pid" 2>/dev/null
	done
	ip netns del "$NS_B" 2>/dev/null
	(exit "$rc")
	net_cleanup
}
trap proxy_cleanup EXIT

backend_setup() {
	ip netns add "$NS_B"
	ip link add "$DEV_BS" netns "$NS_S" type veth peer name "$DEV_BB" netns "$NS_B"
	ip -n "$NS_S" addr add "$IP4_BS/24" dev "$DEV_BS"
	ip -n "$NS_B" addr add "$IP4_B/24" dev "$DEV_BB"
	ip -n "$NS_B" link set lo up
	ip -n "$NS_S" link set "$DEV_BS" up
	ip -n "$NS_B" link set "$DEV_BB" up
}

write_nginx() {
	mkdir -p "$NET_TMP/www" "$NET_TMP/nginx-tmp"
	chmod 755 "$NET_TMP"
	cat >"$NET_TMP/nginx.conf" <<NGEOF
user root root;
worker_processes 1;
pid $NET_TMP/nginx.pid;
error_log $NET_TMP/nginx-error.log warn;
events { worker_connections 16384; }
http {
	access_log off;
	client_body_temp_path $NET_TMP/nginx-tmp/body;
	proxy_temp_path $NET_TMP/nginx-tmp/proxy;
	fastcgi_temp_path $NET_TMP/nginx-tmp/fastcgi;
	uwsgi_temp_path $NET_TMP/nginx-tmp/uwsgi;
	scgi_temp_path $NET_TMP/nginx-tmp/scgi;
	keepalive_requests 1000000;
	sendfile on;
	log_format pp '\$proxy_protocol_addr \$proxy_protocol_port \$remote_addr';
	server {
		listen $IP4_B:8080 backlog=4096;
		root $NET_TMP/www;
		location = /id { return 200 "A\n"; }
	}
	server {
		listen $IP4_B:8082 backlog=4096;
		location = /id { return 200 "B\n"; }
	}
	server {
		listen $IP4_B:8081 proxy_protocol;
		access_log $NET_TMP/pp.log pp;
		location / { return 200 "\$proxy_protocol_addr \$proxy_protocol_port\n"; }
	}
}
NGEOF
}

# proxy_backends: the namespace, its veth and nginx.
proxy_backends() {
	backend_setup
	write_nginx
	in_b nginx -c "$NET_TMP/nginx.conf" -p "$NET_TMP" || return 1
	wait_until test -s "$NET_TMP/nginx.pid"
}
