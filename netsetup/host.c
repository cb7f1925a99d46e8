/*
 * The host side of bridged networking (`diyc net setup|clean|status`).
 *   setup:  bridge diyc0 with the subnet's first address, up (rtnetlink); IPv4
 *           forwarding on (the old value is kept in the config, clean restores it);
 *           the chains of rules.c filled and jumped to in one iptables-restore batch.
 *           Twice gives the same rule set: the chains are rewritten whole, a jump is
 *           added only when `iptables -C` does not find it.
 *   clean:  exactly the reverse, refused while a container holds an address.
 * A first setup that fails half-way removes what it made (bridge, forwarding).
 */
#define _GNU_SOURCE
#include "lib/kmodapi.h"
#include "lib/log.h"
#include "lib/pfacts.h"
#include "lib/rtnl.h"
#include "lib/util.h"
#include "netsetup/netconf.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"

/*
 * The iptables backend for this host, from the profile (probe/iptables.c tried each
 * in a private network namespace): the binaries of the one that programs this
 * kernel.  A profile without the fact (an older one, or none) leaves the plain names.
 */
static int choose_backend(struct netconf *c, const struct dc_profile *p, struct dc_err *e)
{
	const char *b = p ? dc_fact_str(p, F_IPT_BACKEND) : NULL;
	if (b && strcmp(b, "nft") && strcmp(b, "legacy") && strcmp(b, "none"))
		b = NULL; /* not a verdict of this probe: the plain names */
	if (b && !strcmp(b, "none"))
		return dc_fail(e, 0,
			       "no iptables can program this kernel's netfilter (nft: %s; legacy: "
			       "%s): bridged networking needs one (see diyc profile)",
			       dc_fact_evidence(p, F_IPT_NFT) ?: "not found",
			       dc_fact_evidence(p, F_IPT_LEGACY) ?: "not found");
	if (!b)
		return 0;
	snprintf(c->ipt_backend, sizeof(c->ipt_backend), "%s", b);
	snprintf(c->ipt, sizeof(c->ipt), "%s", dc_fact_str(p, F_IPT) ?: "");
	snprintf(c->ipt_restore, sizeof(c->ipt_restore), "%s", dc_fact_str(p, F_IPT_RESTORE) ?: "");
	dc_info("iptables backend %s (%s)", b, c->ipt_restore);
	return 0;
}

/* bridge and veth as modules nobody loaded (Debian's stock kernels): load them */
static void load_modules(void)
{
	static const char *const mods[] = {"bridge", "veth"};
	for (int i = 0; i < 2; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/sys/module/%s", mods[i]);
		if (path_exists("/proc/modules") && !path_exists(p)) {
			int k = kmod_load_once(mods[i]);
			if (k < 0)
				dc_warn("cannot load module %s: %s", mods[i], strerror(-k));
		}
	}
}

/* The bridge with the gateway address, up; an existing one is kept. */
static int make_bridge(const struct netconf *c, struct dc_err *e)
{
	char ip[32];
	struct mnl_socket *nl = rtnl_open();
	if (!nl)
		return dc_fail(e, errno, "rtnetlink");
	int r = rtnl_link_add(nl, c->bridge, "bridge", NULL, 0, NULL, false);
	if (r && r != EEXIST)
		dc_fail(e, r, "create bridge %s", c->bridge);
	else if ((r = rtnl_addr_add(nl, c->bridge, c->gw, c->prefix)) && r != EEXIST)
		dc_fail(e, r, "address %s/%d on %s", ip4_str(c->gw, ip, sizeof(ip)), c->prefix,
			c->bridge);
	else if ((r = rtnl_link_up(nl, c->bridge)))
		dc_fail(e, r, "bring %s up", c->bridge);
	rtnl_close(nl);
	return r && r != EEXIST ? -1 : 0;
}

/* A first setup that failed after the bridge: remove it, restore forwarding. */
static void undo_host(const struct netconf *c, bool fwd_was_on)
{
	struct mnl_socket *nl = rtnl_open();
	if (nl)
		rtnl_link_del(nl, c->bridge);
	rtnl_close(nl);
	if (!fwd_was_on)
		write_file(IP_FORWARD, "0");
}

/* The configuration of this setup: a second one must name the same subnet. */
static int plan_setup(const char *root, const char *subnet, const struct dc_profile *prof,
		      struct netconf *c, bool *again, struct dc_err *e)
{
	struct netconf old;
	char ip[32];
	if (netconf_parse_subnet(subnet, c, e) < 0)
		return -1;
	*again = netconf_load(root, &old) == 0;
	if (!*again)
		return choose_backend(c, prof, e);
	if (old.net != c->net || old.prefix != c->prefix)
		return dc_fail(e, 0,
			       "the network is already set up with %s/%d: run diyc net "
			       "clean first",
			       ip4_str(old.net, ip, sizeof(ip)), old.prefix);
	/* keep the backend the rules already live in, and what the first setup found */
	snprintf(c->ipt_backend, sizeof(c->ipt_backend), "%s", old.ipt_backend);
	snprintf(c->ipt, sizeof(c->ipt), "%s", old.ipt);
	snprintf(c->ipt_restore, sizeof(c->ipt_restore), "%s", old.ipt_restore);
	c->fwd_was_on = old.fwd_was_on;
	return 0;
}

int net_host_setup(const char *root, const char *subnet, const struct dc_profile *prof, FILE *out,
		   struct dc_err *e)
{
	struct netconf c;
	bool again;
	if (plan_setup(root, subnet, prof, &c, &again, e) < 0)
		return -1;
	load_modules();
	if (make_bridge(&c, e) < 0)
		return -1;
	char fwd[8] = "0";
	read_line(IP_FORWARD, fwd, sizeof(fwd));
	if (strcmp(fwd, "1") && write_file(IP_FORWARD, "1") < 0)
		return dc_fail(e, errno, "cannot turn on net.ipv4.ip_forward");
	if (rules_install(&c, e) < 0) {
		if (!again) /* nothing half-made: the bridge and forwarding as before */
			undo_host(&c, !strcmp(fwd, "1"));
		return -1;
	}
	if (!again)
		c.fwd_was_on = !strcmp(fwd, "1");
	if (netconf_save(root, &c) < 0)
		return dc_fail(e, errno, "cannot save the network configuration under %s/net",
			       root);
	char gw[32], net[32];
	fprintf(out, "network ready: bridge %s %s/%d, NAT for %s/%d\n", c.bridge,
		ip4_str(c.gw, gw, sizeof(gw)), c.prefix, ip4_str(c.net, net, sizeof(net)),
		c.prefix);
	return 0;
}

int net_host_clean(const char *root, struct dc_err *e)
{
	struct netconf c;
	int r = netconf_load(root, &c);
	if (r == -ENOENT) {
		memset(&c, 0, sizeof(c));
		snprintf(c.bridge, sizeof(c.bridge), "%s", DC_BRIDGE);
		c.fwd_was_on = true; /* unknown: leave forwarding alone */
	} else if (r < 0) {
		return dc_fail(e, -r, "cannot read %s/net/config", root);
	}
	int leased = ipam_count(root);
	if (leased > 0)
		return dc_fail(e, 0,
			       "%d container%s still use%s %s: stop them (diyc gc removes "
			       "crashed ones)",
			       leased, leased > 1 ? "s" : "", leased > 1 ? "" : "s", c.bridge);
	if (rules_remove(&c, e) < 0)
		return -1;
	struct mnl_socket *nl = rtnl_open();
	r = nl ? rtnl_link_del(nl, c.bridge) : errno;
	rtnl_close(nl);
	if (r && r != ENODEV)
		return dc_fail(e, r, "delete bridge %s", c.bridge);
	if (!c.fwd_was_on)
		write_file(IP_FORWARD, "0");
	netconf_remove(root);
	return 0;
}

int net_host_status(const char *root, FILE *out)
{
	struct netconf c;
	char ip[32];
	if (netconf_load(root, &c) < 0) {
		fprintf(out, "not set up (diyc net setup)\n");
		return 1;
	}
	int leases = ipam_count(root);
	fprintf(out, "bridge %s %s/%d (%s), %d lease%s, iptables %s\n", c.bridge,
		ip4_str(c.gw, ip, sizeof(ip)), c.prefix,
		if_nametoindex(c.bridge) ? "present" : "MISSING", leases, leases == 1 ? "" : "s",
		c.ipt_backend[0] ? c.ipt_backend : "(default)");
	return 0;
}
