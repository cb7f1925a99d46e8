/*
 * The host network diyc manages: bridge diyc0 with a subnet, NAT and forward rules
 * in dedicated iptables chains.  `diyc net setup` writes DATA_ROOT/net/config;
 * its presence is what makes --net bridge the default.
 */
#ifndef DIYC_NETCONF_H
#define DIYC_NETCONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define DC_BRIDGE "diyc0"
/* not a default of routers, Docker (172.17+), Podman (10.88) or cloud VPCs */
#define DC_SUBNET_DEFAULT "10.203.0.0/16"

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

/* Parse "A.B.C.D/N" into c (network, prefix, gateway): 0, or -1 with a reason. */
int netconf_parse_subnet(const char *s, struct netconf *c, char *why, size_t len);
/* DATA_ROOT/net/config: 0, -ENOENT when setup never ran, or another -errno. */
int netconf_load(const char *root, struct netconf *c);
int netconf_save(const char *root, const struct netconf *c);
int netconf_remove(const char *root);
/* "10.88.0.5" from a host-order address */
const char *ip4_str(uint32_t a, char *buf, size_t len);
/* a host-order address, or false */
bool ip4_parse(const char *s, uint32_t *a);

/* Run C's iptables-restore --noflush ($DIYC_IPTABLES_RESTORE, C's, or PATH's) with
 * RULES on its stdin; no shell.  0, or -1 with what failed in why. */
int ipt_restore(const struct netconf *c, const char *rules, char *why, size_t len);
/* Run C's iptables ARGS... quietly; its exit status (0 = ok) or -1. */
int ipt_run(const struct netconf *c, const char *const argv[]);

#endif
