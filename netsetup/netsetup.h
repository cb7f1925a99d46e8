/*
 * netsetup: all of diyc's networking, the one header the runtime includes.
 *
 *   host.c     a network's host side: bridge, forwarding, chains, its dnsmasq;
 *              `diyc net setup|clean|status` (the default network "bridge", diyc0)
 *   networks.c `diyc network create|ls|inspect|rm` (named networks)
 *   attach.c   a container's network: plan, veth pair, eth0 inside, teardown, gc
 *   ipam.c     address and host-port leases (DATA_ROOT/net/leases)
 *   ports.c    -p specifications, `diyc port`
 *   dns.c      a dnsmasq per network, its hosts file; the upstream resolvers
 *   rules.c    every iptables rule diyc writes, and the iptables runner
 *   netconf.c  the networks' configuration files and IPv4 text helpers
 *
 * It never includes a runtime header: what it needs from a run (the data root,
 * the mode, the kernel's answers from the profile) comes in as arguments.
 */
#ifndef DIYC_NETSETUP_H
#define DIYC_NETSETUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/profile.h"

#define DC_BRIDGE "diyc0"
/* the default network's name (docker's and podman's word for theirs) */
#define DC_NET_DEFAULT "bridge"
/* a named network's name: [A-Za-z0-9][A-Za-z0-9_-]*, at most this long */
#define DC_NETNAME_MAX 32
/* not a default of routers, Docker (172.17+), Podman (10.88) or cloud VPCs */
#define DC_SUBNET_DEFAULT "10.203.0.0/16"

/* ---- the host side (host.c) ---- */
/* Bridge, forwarding and chains; the iptables backend from prof (NULL: plain names).
 * Says "network ready: ..." on out. */
int net_host_setup(const char *root, const char *subnet, const struct dc_profile *prof, FILE *out,
		   struct dc_err *e);
/* The reverse for every network diyc made; refused while a container holds a lease. */
int net_host_clean(const char *root, struct dc_err *e);
/* One line per network on out; 1 when none is set up. */
int net_host_status(const char *root, FILE *out);

/* ---- named networks (networks.c) ---- */
/* A network NAME (subnet NULL: the first free 10.204.N.0/24), its bridge, rules, dnsmasq. */
int net_create(const char *root, const char *name, const char *subnet, bool internal,
	       const struct dc_profile *prof, FILE *out, struct dc_err *e);
/* Remove NAME; refused while a container uses it, and for the default network. */
int net_remove(const char *root, const char *name, struct dc_err *e);
/* `network ls`: a table of every network. */
void net_list(const char *root, FILE *out);
/* `network inspect`: NAME's JSON object on out. */
int net_inspect(const char *root, const char *name, FILE *out, struct dc_err *e);
/* Whether network NAME exists (the default one once `net setup` ran). */
bool net_exists(const char *root, const char *name);
/* 0 when NAME may name a new network; else -1 and the reason in e. */
int net_name_check(const char *name, struct dc_err *e);

/* ---- published ports (ports.c) ---- */
/* One -p argument, normalised into out. */
int net_port_parse(const char *arg, char *out, size_t len, struct dc_err *e);
/* How many DNAT rules a normalised list needs (one batch holds DC_PORT_RULES_MAX). */
int net_ports_rules(const char *list);
#define DC_PORT_RULES_MAX 200
/* `diyc port NAME`: "80/tcp -> 0.0.0.0:8080" lines; 0 when NAME has no lease. */
int net_ports_print(const char *root, const char *name, FILE *out);

/* A container's lease (ipam.c), for `diyc inspect`: 1 when NAME has one, else 0. */
struct net_info {
	char ip[32], network[40], host_if[20], ports[256], aliases[160];
};
int net_info(const char *root, const char *name, struct net_info *out);

/* ---- names (dns.c) ---- */
/* The resolv.conf that names the host's upstream resolvers: systemd-resolved's list
 * when /etc/resolv.conf points at its stub (127.0.0.53), else /etc/resolv.conf. */
const char *net_upstream_resolv(void);

/* ---- a container (attach.c) ---- */
/* --net: NET_AUTO = a private namespace when the kernel has one, else the host's */
enum net_mode { NET_AUTO, NET_NONE, NET_HOST, NET_BRIDGE };

struct net_request {
	const char *root, *name;
	enum net_mode mode;
	const char *network; /* with NET_BRIDGE: a named network; NULL: the default */
	const char *aliases; /* --network-alias: "a,b", "" for none */
	uint32_t ip;	     /* --ip, host byte order; 0 = any */
	const char *ports;   /* -p, normalised "HOST:CONTAINER/proto,...", "" for none */
	bool netns;	     /* the kernel gives the container a network namespace */
	bool veth_two_step;  /* the profile: this kernel refuses IFLA_MASTER at creation */
};

struct net_plan {
	bool bridge;
	uint32_t ip, gw; /* host byte order */
	int prefix;
	char root[256], name[72], host_if[20], bridge_if[16], ports[256], network[40];
	bool veth_two_step;
	bool internal; /* no default route */
	bool dns;      /* the network's dnsmasq answers on gw */
};

/* Decide the network and, for a bridge, lease an address (and the host ports). */
int net_prepare(const struct net_request *rq, struct net_plan *p, struct dc_err *e);
/* The veth pair: host end on the bridge, eth0 in pid's namespace. */
int net_attach(const struct net_plan *p, pid_t pid, struct dc_err *e);
/* The DNAT rules of the published ports (-p). */
int net_publish(const struct net_plan *p, struct dc_err *e);
/* Inside the container's namespace: lo up; eth0's address and default route. */
int net_child(const struct net_plan *p, struct dc_err *e);
/* After a container: its port rules and its lease. */
void net_teardown(const struct net_plan *p);
/* The host end of the container's veth deleted if still there (before --restart
 * attaches a new pair under the same name). */
void net_detach(const struct net_plan *p);
/* diyc gc: leases, veths and rules of containers alive() says are gone; how many. */
int net_gc(const char *root, bool (*alive)(const char *name));

/* ---- IPv4 text (netconf.c) ---- */
/* "10.88.0.5" from a host-order address */
const char *ip4_str(uint32_t a, char *buf, size_t len);
/* a host-order address, or false */
bool ip4_parse(const char *s, uint32_t *a);

#endif
