/*
 * Inside netsetup only (the runtime includes netsetup.h): the host network diyc
 * manages (bridge diyc0 with a subnet, NAT and forward rules in dedicated iptables
 * chains), the leases, and the rules.  `diyc net setup` writes DATA_ROOT/net/config;
 * its presence is what makes --net bridge the default.
 */
#ifndef DIYC_NETCONF_H
#define DIYC_NETCONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "lib/error.h"
#include "netsetup/netsetup.h"

struct netconf {
	char bridge[16];
	uint32_t net;	 /* network address, host byte order */
	int prefix;	 /* 8..30 */
	uint32_t gw;	 /* net + 1: the bridge's address */
	bool fwd_was_on; /* net.ipv4.ip_forward before setup: clean restores it */
	/* the iptables backend chosen at setup (profile network.iptables*): its binaries,
	 * "" for the plain names in PATH */
	char ipt_backend[8], ipt[256], ipt_restore[256];
};

/* Parse "A.B.C.D/N" into c (network, prefix, gateway). */
int netconf_parse_subnet(const char *s, struct netconf *c, struct dc_err *e);
/* DATA_ROOT/net/config: 0, -ENOENT when setup never ran, or another -errno. */
int netconf_load(const char *root, struct netconf *c);
int netconf_save(const char *root, const struct netconf *c);
int netconf_remove(const char *root);

/* ---- rules.c: every iptables rule, and the runner ---- */
/* Run C's iptables-restore --noflush ($DIYC_IPTABLES_RESTORE, C's, or PATH's) with
 * RULES on its stdin; no shell. */
int ipt_restore(const struct netconf *c, const char *rules, struct dc_err *e);
/* Run C's iptables ARGS... quietly; its exit status (0 = ok) or -1. */
int ipt_run(const struct netconf *c, const char *const argv[]);
/* The chains of the host network and the jumps to them, in one batch. */
int rules_install(const struct netconf *c, struct dc_err *e);
/* Remove the jumps and the chains. */
int rules_remove(const struct netconf *c, struct dc_err *e);
/* Add (add=true) or delete the DNAT rules of NAME's published PORTS towards IP. */
int rules_ports(const char *root, bool add, const char *name, uint32_t ip, const char *ports,
		struct dc_err *e);

/* ---- ipam.c: leases ---- */
struct lease {
	uint32_t ip;
	char name[64], ports[256], host_if[20];
};
int ipam_alloc(const char *root, const struct netconf *c, const char *name, uint32_t want,
	       const char *ports, const char *host_if, uint32_t *out, struct dc_err *e);
int ipam_release(const char *root, const char *name);
int ipam_list(const char *root, struct lease *l, int max);
int ipam_count(const char *root);

#endif
