/*
 * Inside netsetup only (the runtime includes netsetup.h): the networks diyc manages
 * (each a bridge with a subnet, NAT and forward rules in diyc's iptables chains, a
 * dnsmasq), the leases, the published ports, the rules.
 *   DATA_ROOT/net/config           the default network "bridge" (diyc0): its
 *                                  presence makes --net bridge the default
 *   DATA_ROOT/net/networks/NAME    a named network (`diyc network create`)
 *   DATA_ROOT/net/leases           every container's address, ports, aliases
 *   DATA_ROOT/net/dns/NAME.*       each network's dnsmasq: hosts, pid, log
 */
#ifndef DIYC_NETCONF_H
#define DIYC_NETCONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/error.h"
#include "netsetup/netsetup.h"

/* every network's rules in one iptables-restore batch, which must fit a pipe */
#define MAX_NETWORKS 32

struct netconf {
	char name[40];	 /* DC_NET_DEFAULT or a `network create` name */
	char bridge[16]; /* diyc0, or diyc-NAME / diyc-HASH */
	uint32_t net;	 /* network address, host byte order */
	int prefix;	 /* 8..30 */
	uint32_t gw;	 /* net + 1: the bridge's address */
	bool internal;	 /* no route out, no NAT, no upstream DNS */
	bool dns;	 /* a dnsmasq serves the network (false: none was found) */
	bool fwd_was_on; /* net.ipv4.ip_forward before the first network: restored after the last */
	/* the iptables backend chosen by the first network (profile network.iptables*):
	 * its binaries, "" for the plain names in PATH */
	char ipt_backend[8], ipt[256], ipt_restore[256];
};

/* Parse "A.B.C.D/N" into c (network, prefix, gateway); the rest of c is zeroed. */
int netconf_parse_subnet(const char *s, struct netconf *c, struct dc_err *e);
/* A network's configuration: 0, -ENOENT when it does not exist, or another -errno. */
int netconf_load(const char *root, const char *name, struct netconf *c);
int netconf_save(const char *root, const struct netconf *c);
int netconf_remove(const char *root, const char *name);
/* Every network, the default first: how many (at most max), or -1. */
int netconf_list(const char *root, struct netconf *c, int max);
/* Any network's configuration (for the iptables backend): 0 or -ENOENT. */
int netconf_any(const char *root, struct netconf *c);
/* DATA_ROOT/net/lock held (an fd to close), or -1: networks are made and removed
 * under it, and a dead dnsmasq is started again under it (never for a network
 * being removed). */
int netconf_lock(const char *root);
/* Whether two subnets share an address. */
bool netconf_overlap(const struct netconf *a, const struct netconf *b);

/* ---- host.c: a network's host side ---- */
/* Bridge, forwarding, rules, dnsmasq, config of c (c->name); again: the same result. */
int net_up(const char *root, struct netconf *c, const struct dc_profile *prof, struct dc_err *e);
/* The reverse; refused while a container holds a lease on it. */
int net_down(const char *root, const char *name, struct dc_err *e);

/* ---- rules.c: every iptables rule, and the runner ---- */
/* Run C's iptables-restore --noflush ($DIYC_IPTABLES_RESTORE, C's, or PATH's) with
 * RULES on its stdin; no shell. */
int ipt_restore(const struct netconf *c, const char *rules, struct dc_err *e);
/* Run C's iptables ARGS... quietly; its exit status (0 = ok) or -1. */
int ipt_run(const struct netconf *c, const char *const argv[]);
/* The chains of all N networks in nets, and the jumps to them, in one batch. */
int rules_install(const struct netconf *nets, int n, struct dc_err *e);
/* Remove the jumps and the chains. */
int rules_remove(const struct netconf *c, struct dc_err *e);
/* Add (add=true) or delete the DNAT rules of NAME's published PORTS towards IP. */
int rules_ports(const char *root, bool add, const char *name, uint32_t ip, const char *ports,
		struct dc_err *e);

/* ---- ports.c: -p specifications ---- */
struct port_map {
	uint32_t hip;	 /* host address, 0 = every one */
	unsigned h1, h2; /* host ports h1..h2 */
	unsigned c1, c2; /* container ports, as many */
	char proto[4];	 /* tcp or udp */
};
/* The normalised list "[IP:]H1[-H2]:C1[-C2]/proto,..." into m: how many (at most max). */
int ports_split(const char *list, struct port_map *m, int max);
/* Whether two mappings claim one host port. */
bool port_clash(const struct port_map *a, const struct port_map *b);

/* ---- ipam.c: leases ---- */
struct lease {
	uint32_t ip;
	char name[72], ports[256], host_if[20], net[40], aliases[160];
};
/* Lease an address of c's network to NAME (WANT, or the lowest free one), with its
 * PORTS ("-" for none) and ALIASES ("-" or "a,b"); the network's hosts file follows. */
int ipam_alloc(const char *root, const struct netconf *c, const struct lease *want, uint32_t *out,
	       struct dc_err *e);
/* Release NAME's lease; its network's name into net (when it had one). */
int ipam_release(const char *root, const char *name, char *net, size_t len);
int ipam_list(const char *root, struct lease *l, int max);
/* Leases on network NET (NULL: all). */
int ipam_count(const char *root, const char *net);

/* ---- dns.c: a dnsmasq per network ---- */
/* Start the network's dnsmasq (c->dns false and a warning when there is none). */
int dns_start(const char *root, struct netconf *c, struct dc_err *e);
void dns_stop(const char *root, const char *net);
/* Rewrite NET's hosts file from the leases (called under the lease lock). */
int dns_hosts_write(const char *root, const char *net, const struct lease *l, int n);
/* Tell NET's dnsmasq to read its hosts again; a dead one is started again, with a
 * warning, or reported. */
void dns_reload(const char *root, const char *net);
/* The pid of NET's running dnsmasq, 0 when it is not running. */
pid_t dns_pid(const char *root, const char *net);

#endif
