/*
 * netsetup: all of diyc's networking, the one header the runtime includes.
 *
 *   host.c     `diyc net setup|clean|status`: bridge diyc0, forwarding, iptables chains
 *   attach.c   a container's network: plan, veth pair, eth0 inside, teardown, gc
 *   ipam.c     address and host-port leases (DATA_ROOT/net/leases)
 *   rules.c    every iptables rule diyc writes, and the iptables runner
 *   netconf.c  DATA_ROOT/net/config and IPv4 text helpers
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
/* not a default of routers, Docker (172.17+), Podman (10.88) or cloud VPCs */
#define DC_SUBNET_DEFAULT "10.203.0.0/16"

/* ---- the host side (host.c) ---- */
/* Bridge, forwarding and chains; the iptables backend from prof (NULL: plain names).
 * Says "network ready: ..." on out. */
int net_host_setup(const char *root, const char *subnet, const struct dc_profile *prof, FILE *out,
		   struct dc_err *e);
/* Exactly the reverse; refused while a container holds a lease. */
int net_host_clean(const char *root, struct dc_err *e);
/* One line on out; 1 when the network is not set up. */
int net_host_status(const char *root, FILE *out);

/* ---- a container (attach.c) ---- */
/* --net: NET_AUTO = a private namespace when the kernel has one, else the host's */
enum net_mode { NET_AUTO, NET_NONE, NET_HOST, NET_BRIDGE };

struct net_request {
	const char *root, *name;
	enum net_mode mode;
	uint32_t ip;	    /* --ip, host byte order; 0 = any */
	const char *ports;  /* -p, normalised "HOST:CONTAINER/proto,...", "" for none */
	bool netns;	    /* the kernel gives the container a network namespace */
	bool veth_two_step; /* the profile: this kernel refuses IFLA_MASTER at creation */
};

struct net_plan {
	bool bridge;
	uint32_t ip, gw; /* host byte order */
	int prefix;
	char root[256], name[32], host_if[20], bridge_if[16], ports[256];
	bool veth_two_step;
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
/* diyc gc: leases, veths and rules of containers alive() says are gone; how many. */
int net_gc(const char *root, bool (*alive)(const char *name));

/* ---- IPv4 text (netconf.c) ---- */
/* "10.88.0.5" from a host-order address */
const char *ip4_str(uint32_t a, char *buf, size_t len);
/* a host-order address, or false */
bool ip4_parse(const char *s, uint32_t *a);

#endif
