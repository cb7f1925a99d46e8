/*
 * A network's host side, for the default network (`diyc net setup|clean|status`)
 * and the named ones (networks.c): net_up and net_down own the order.
 *   up:    bridge with the subnet's first address, up, route_localnet on it
 *          (rtnetlink, /proc/sys); IPv4 forwarding on (the value before the first
 *          network is kept in each config; removing the last one restores it); the
 *          chains of rules.c rewritten from every network in one iptables-restore
 *          batch; the network's dnsmasq (dns.c); then its config file.  Twice gives
 *          the same result.  A first up that fails half-way removes what it made.
 *   down:  exactly the reverse, refused while a container holds an address on it.
 * Every network uses the iptables backend the first one chose, so that all rules
 * live in one backend.
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
#include <unistd.h>

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

/* The bridge with the gateway address, up, route_localnet; an existing one is kept. */
static int make_bridge(const struct netconf *c, struct dc_err *e)
{
	char ip[32], p[128];
	struct rtnl *nl = rtnl_open();
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
	if (r && r != EEXIST)
		return -1;
	/* published ports on 127.0.0.1 (rules.c says why and what guards it) */
	snprintf(p, sizeof(p), "/proc/sys/net/ipv4/conf/%s/route_localnet", c->bridge);
	if (write_file(p, "1") < 0)
		dc_warn("cannot set route_localnet on %s: published ports do not answer on "
			"127.0.0.1",
			c->bridge);
	return 0;
}

static void delete_bridge(const char *bridge)
{
	struct rtnl *nl = rtnl_open();
	int r = nl ? rtnl_link_del(nl, bridge) : errno;
	rtnl_close(nl);
	if (r && r != ENODEV)
		dc_warn("delete bridge %s: %s", bridge, strerror(r));
}

/* The other networks in all[0..n), c's entry dropped: how many remain. */
static int others(struct netconf *all, int n, const char *name)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		if (strcmp(all[i].name, name))
			all[k++] = all[i];
	return k;
}

/* What the networks share, taken from an existing one, or decided now. */
static int plan_up(struct netconf *c, const struct netconf *all, int n,
		   const struct dc_profile *prof, struct dc_err *e)
{
	char ip[32];
	for (int i = 0; i < n; i++) {
		if (!strcmp(all[i].bridge, c->bridge))
			return dc_fail(e, 0, "bridge %s is already network %s's", c->bridge,
				       all[i].name);
		if (netconf_overlap(&all[i], c))
			return dc_fail(e, 0, "subnet %s/%d overlaps network %s (%s/%d)",
				       ip4_str(c->net, ip, sizeof(ip)), c->prefix, all[i].name,
				       ip4_str(all[i].net, ip, sizeof(ip)), all[i].prefix);
	}
	if (n >= MAX_NETWORKS)
		return dc_fail(e, 0, "at most %d networks", MAX_NETWORKS);
	if (n == 0) {
		char fwd[8] = "0";
		read_line(IP_FORWARD, fwd, sizeof(fwd));
		c->fwd_was_on = !strcmp(fwd, "1");
		return choose_backend(c, prof, e);
	}
	snprintf(c->ipt_backend, sizeof(c->ipt_backend), "%s", all[0].ipt_backend);
	snprintf(c->ipt, sizeof(c->ipt), "%s", all[0].ipt);
	snprintf(c->ipt_restore, sizeof(c->ipt_restore), "%s", all[0].ipt_restore);
	c->fwd_was_on = all[0].fwd_was_on;
	return 0;
}

/* Undo a first up that failed after its bridge. */
static void undo_up(const char *root, const struct netconf *c, struct netconf *rest, int k)
{
	struct dc_err e;
	dns_stop(root, c->name);
	if ((k > 0 ? rules_install(rest, k, &e) : rules_remove(c, &e)) < 0)
		dc_warn("%s", e.msg);
	delete_bridge(c->bridge);
	if (k == 0 && !c->fwd_was_on)
		write_file(IP_FORWARD, "0");
}

static int net_up_locked(const char *root, struct netconf *c, const struct dc_profile *prof,
			 struct dc_err *e)
{
	static struct netconf all[MAX_NETWORKS + 1];
	struct netconf old;
	int n = netconf_list(root, all, MAX_NETWORKS);
	if (n < 0)
		return dc_fail(e, errno, "cannot read the networks under %s/net", root);
	bool again = netconf_load(root, c->name, &old) == 0;
	int k = others(all, n, c->name);
	if (again) { /* the same network again: same subnet, same backend, same DNS */
		if (old.net != c->net || old.prefix != c->prefix || old.internal != c->internal)
			return dc_fail(e, 0,
				       "network %s already exists with other settings: "
				       "remove it first",
				       c->name);
		*c = old;
	} else if (plan_up(c, all, k, prof, e) < 0) {
		return -1;
	}
	load_modules();
	if (make_bridge(c, e) < 0)
		return -1;
	if (write_file(IP_FORWARD, "1") < 0) {
		dc_fail(e, errno, "cannot turn on net.ipv4.ip_forward");
		goto undo;
	}
	all[k] = *c;
	if (rules_install(all, k + 1, e) < 0 || dns_start(root, c, e) < 0)
		goto undo;
	if (netconf_save(root, c) < 0) {
		dc_fail(e, errno, "cannot save the configuration of network %s", c->name);
		goto undo;
	}
	return 0;
undo:
	if (!again) /* nothing half-made: the host as before */
		undo_up(root, c, all, k);
	return -1;
}

int net_up(const char *root, struct netconf *c, const struct dc_profile *prof, struct dc_err *e)
{
	int fd = netconf_lock(root);
	if (fd < 0)
		return dc_fail(e, errno, "cannot lock %s/net", root);
	int r = net_up_locked(root, c, prof, e);
	close(fd);
	return r;
}

static int net_down_locked(const char *root, const char *name, struct dc_err *e)
{
	static struct netconf all[MAX_NETWORKS];
	struct netconf c;
	int r = netconf_load(root, name, &c);
	if (r < 0)
		return dc_fail(e, -r, "no network %s", name);
	int used = ipam_count(root, name);
	if (used > 0)
		return dc_fail(e, 0,
			       "%d container%s still use%s network %s: stop them (diyc gc removes "
			       "crashed ones)",
			       used, used > 1 ? "s" : "", used > 1 ? "" : "s", name);
	int n = netconf_list(root, all, MAX_NETWORKS);
	int k = others(all, n < 0 ? 0 : n, name);
	if ((k > 0 ? rules_install(all, k, e) : rules_remove(&c, e)) < 0)
		return -1;
	netconf_remove(root, name); /* first: nothing starts its dnsmasq again */
	dns_stop(root, name);
	delete_bridge(c.bridge);
	if (k == 0 && !c.fwd_was_on)
		write_file(IP_FORWARD, "0");
	return 0;
}

int net_down(const char *root, const char *name, struct dc_err *e)
{
	int fd = netconf_lock(root);
	if (fd < 0)
		return dc_fail(e, errno, "cannot lock %s/net", root);
	int r = net_down_locked(root, name, e);
	close(fd);
	return r;
}

int net_host_setup(const char *root, const char *subnet, const struct dc_profile *prof, FILE *out,
		   struct dc_err *e)
{
	struct netconf c, old;
	char ip[32], gw[32];
	if (netconf_parse_subnet(subnet, &c, e) < 0)
		return -1;
	if (netconf_load(root, DC_NET_DEFAULT, &old) == 0 &&
	    (old.net != c.net || old.prefix != c.prefix))
		return dc_fail(e, 0,
			       "the network is already set up with %s/%d: run diyc net clean first",
			       ip4_str(old.net, ip, sizeof(ip)), old.prefix);
	if (net_up(root, &c, prof, e) < 0)
		return -1;
	fprintf(out, "network ready: bridge %s %s/%d, NAT for %s/%d%s\n", c.bridge,
		ip4_str(c.gw, gw, sizeof(gw)), c.prefix, ip4_str(c.net, ip, sizeof(ip)), c.prefix,
		c.dns ? ", DNS on the gateway" : "");
	return 0;
}

/* Nothing set up: still remove what an interrupted setup may have left. */
static int clean_unknown(const char *root, struct dc_err *e)
{
	struct netconf c;
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", DC_NET_DEFAULT);
	snprintf(c.bridge, sizeof(c.bridge), "%s", DC_BRIDGE);
	if (rules_remove(&c, e) < 0)
		return -1;
	dns_stop(root, DC_NET_DEFAULT);
	if (if_nametoindex(DC_BRIDGE))
		delete_bridge(DC_BRIDGE);
	return 0;
}

int net_host_clean(const char *root, struct dc_err *e)
{
	static struct netconf all[MAX_NETWORKS];
	int n = netconf_list(root, all, MAX_NETWORKS);
	if (n <= 0)
		return clean_unknown(root, e);
	int leased = ipam_count(root, NULL);
	if (leased > 0)
		return dc_fail(e, 0,
			       "%d container%s still use%s diyc's networks: stop them (diyc gc "
			       "removes crashed ones)",
			       leased, leased > 1 ? "s" : "", leased > 1 ? "" : "s");
	for (int i = n - 1; i >= 0; i--) /* the default one last: it holds no state of theirs */
		if (net_down(root, all[i].name, e) < 0)
			return -1;
	return 0;
}

int net_host_status(const char *root, FILE *out)
{
	static struct netconf all[MAX_NETWORKS];
	char ip[32];
	int n = netconf_list(root, all, MAX_NETWORKS);
	if (n <= 0) {
		fprintf(out, "not set up (diyc net setup)\n");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		const struct netconf *c = &all[i];
		int leases = ipam_count(root, c->name);
		fprintf(out, "%s: bridge %s %s/%d (%s), %d lease%s, dns %s, iptables %s\n", c->name,
			c->bridge, ip4_str(c->gw, ip, sizeof(ip)), c->prefix,
			if_nametoindex(c->bridge) ? "present" : "MISSING", leases,
			leases == 1 ? "" : "s",
			!c->dns			 ? "off"
			: dns_pid(root, c->name) ? "running"
						 : "DEAD",
			c->ipt_backend[0] ? c->ipt_backend : "(default)");
	}
	return 0;
}
