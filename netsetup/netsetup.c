/*
 * `diyc net setup|clean|status`: the host side of bridged networking.
 *   setup:  bridge diyc0 with the subnet's first address, up (rtnetlink); IPv4
 *           forwarding on (the old value is kept in the config, clean restores it);
 *           chains DIYC-FORWARD, DIYC-POSTROUTING, DIYC-DNAT filled and jumped to in
 *           one iptables-restore batch.  Twice gives the same rule set: the chains are
 *           rewritten whole, a jump is added only when `iptables -C` does not find it.
 *   clean:  exactly the reverse, refused while a container holds an address.
 * Forwarding accepts replies (conntrack), published ports (ctstate DNAT) and
 * whatever containers send; anything else towards the subnet is dropped.
 */
#define _GNU_SOURCE
#include "diyc.h"
#include "kmodapi.h"
#include "netconf.h"
#include "rtnl.h"
#include "util.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jump {
	const char *table, *chain, *target, *match;
};
static const struct jump jumps[] = {
    {"filter", "FORWARD", "DIYC-FORWARD", NULL},
    {"nat", "POSTROUTING", "DIYC-POSTROUTING", NULL},
    {"nat", "PREROUTING", "DIYC-DNAT", "addrtype"},
    {"nat", "OUTPUT", "DIYC-DNAT", "addrtype"},
};

/* iptables -t T -C|-D CHAIN [-m addrtype --dst-type LOCAL] -m comment --comment diyc -j TARGET */
static int jump_cmd(const struct netconf *c, const struct jump *j, const char *op)
{
	const char *a[16];
	int n = 0;
	a[n++] = "-t", a[n++] = j->table, a[n++] = op, a[n++] = j->chain;
	if (j->match)
		a[n++] = "-m", a[n++] = "addrtype", a[n++] = "--dst-type", a[n++] = "LOCAL";
	a[n++] = "-m", a[n++] = "comment", a[n++] = "--comment", a[n++] = "diyc";
	a[n++] = "-j", a[n++] = j->target;
	a[n] = NULL;
	return ipt_run(c, a);
}

static bool chain_exists(const struct netconf *c, const char *table, const char *chain)
{
	const char *a[] = {"-t", table, "-S", chain, NULL};
	return ipt_run(c, a) == 0;
}

/*
 * The iptables backend for this host, from the profile (probe/iptables.c tried each
 * in a private network namespace): the binaries of the one that programs this
 * kernel.  A profile without the fact (an older one) leaves the plain names.
 */
static int choose_backend(struct netconf *c, const char *profile)
{
	char why[300];
	/* an explicit --profile is used as it is (tests choose a backend with it) */
	struct dc_profile *p =
	    features_profile(profile ? profile : dc_default_profile(), !profile, why, sizeof(why));
	if (!p) {
		err("cannot use the kernel profile %s: %s",
		    profile ? profile : dc_default_profile(), why);
		return -1;
	}
	const char *b = dc_profile_str(p, "network", "iptables_backend");
	if (b && strcmp(b, "nft") && strcmp(b, "legacy") && strcmp(b, "none"))
		b = NULL; /* not a verdict of this probe: the plain names */
	if (b && !strcmp(b, "none")) {
		err("no iptables can program this kernel's netfilter (nft: %s; legacy: %s): "
		    "bridged networking needs one (see diyc profile)",
		    dc_profile_str(p, "network.iptables_nft", "evidence") ?: "not found",
		    dc_profile_str(p, "network.iptables_legacy", "evidence") ?: "not found");
		dc_profile_free(p);
		return -1;
	}
	if (b) {
		snprintf(c->ipt_backend, sizeof(c->ipt_backend), "%s", b);
		snprintf(c->ipt, sizeof(c->ipt), "%s",
			 dc_profile_str(p, "network", "iptables") ?: "");
		snprintf(c->ipt_restore, sizeof(c->ipt_restore), "%s",
			 dc_profile_str(p, "network", "iptables_restore") ?: "");
		info("iptables backend %s (%s)", b, c->ipt_restore);
	}
	dc_profile_free(p);
	return 0;
}

/* A first setup that failed after the bridge: remove it, restore forwarding. */
static void undo_host(const struct netconf *c, bool fwd_was_on)
{
	struct mnl_socket *nl = rtnl_open();
	if (nl)
		rtnl_link_del(nl, c->bridge);
	rtnl_close(nl);
	if (!fwd_was_on)
		write_file("/proc/sys/net/ipv4/ip_forward", "0");
}

static int setup(const char *subnet, const char *profile)
{
	struct netconf c, old;
	char why[512], ip[32];
	if (netconf_parse_subnet(subnet, &c, why, sizeof(why)) < 0) {
		err("%s", why);
		return EXIT_DIYC;
	}
	bool again = netconf_load(G.root, &old) == 0;
	if (again && (old.net != c.net || old.prefix != c.prefix)) {
		err("the network is already set up with %s/%d: run diyc net clean first",
		    ip4_str(old.net, ip, sizeof(ip)), old.prefix);
		return EXIT_DIYC;
	}
	if (again) { /* keep the backend the rules already live in */
		snprintf(c.ipt_backend, sizeof(c.ipt_backend), "%s", old.ipt_backend);
		snprintf(c.ipt, sizeof(c.ipt), "%s", old.ipt);
		snprintf(c.ipt_restore, sizeof(c.ipt_restore), "%s", old.ipt_restore);
	} else if (choose_backend(&c, profile) < 0)
		return EXIT_DIYC;
	/* bridge and veth as modules nobody loaded (Debian's stock kernels): load them */
	static const char *const mods[] = {"bridge", "veth"};
	for (int i = 0; i < 2; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/sys/module/%s", mods[i]);
		if (path_exists("/proc/modules") && !path_exists(p)) {
			int k = kmod_load_once(mods[i]);
			if (k < 0)
				warn("cannot load module %s: %s", mods[i], strerror(-k));
		}
	}
	struct mnl_socket *nl = rtnl_open();
	if (!nl) {
		err("rtnetlink: %s", strerror(errno));
		return EXIT_DIYC;
	}
	int e = rtnl_link_add(nl, c.bridge, "bridge", NULL, 0, NULL, false);
	if (e && e != EEXIST) {
		err("create bridge %s: %s", c.bridge, strerror(e));
		rtnl_close(nl);
		return EXIT_DIYC;
	}
	e = rtnl_addr_add(nl, c.bridge, c.gw, c.prefix);
	if (e && e != EEXIST) {
		err("address %s/%d on %s: %s", ip4_str(c.gw, ip, sizeof(ip)), c.prefix, c.bridge,
		    strerror(e));
		rtnl_close(nl);
		return EXIT_DIYC;
	}
	e = rtnl_link_up(nl, c.bridge);
	rtnl_close(nl);
	if (e) {
		err("bring %s up: %s", c.bridge, strerror(e));
		return EXIT_DIYC;
	}
	char fwd[8] = "0";
	read_line("/proc/sys/net/ipv4/ip_forward", fwd, sizeof(fwd));
	if (strcmp(fwd, "1") && write_file("/proc/sys/net/ipv4/ip_forward", "1") < 0) {
		err("cannot turn on net.ipv4.ip_forward: %s", strerror(errno));
		return EXIT_DIYC;
	}
	/* one batch: both tables, chains rewritten whole, missing jumps added */
	char rules[4096], sub[40];
	snprintf(sub, sizeof(sub), "%s/%d", ip4_str(c.net, ip, sizeof(ip)), c.prefix);
	int n = snprintf(rules, sizeof(rules),
			 "*filter\n:DIYC-FORWARD - [0:0]\n"
			 "-A DIYC-FORWARD -o %1$s -m conntrack --ctstate RELATED,ESTABLISHED -m "
			 "comment --comment diyc -j ACCEPT\n"
			 "-A DIYC-FORWARD -o %1$s -m conntrack --ctstate DNAT -m comment --comment "
			 "diyc -j ACCEPT\n"
			 "-A DIYC-FORWARD -i %1$s -m comment --comment diyc -j ACCEPT\n"
			 "-A DIYC-FORWARD -o %1$s -m comment --comment diyc -j DROP\n",
			 c.bridge);
	if (jump_cmd(&c, &jumps[0], "-C") != 0)
		n += snprintf(rules + n, sizeof(rules) - (size_t)n,
			      "-I FORWARD 1 -m comment --comment diyc -j DIYC-FORWARD\n");
	n += snprintf(rules + n, sizeof(rules) - (size_t)n,
		      "COMMIT\n*nat\n:DIYC-POSTROUTING - [0:0]\n%s"
		      "-A DIYC-POSTROUTING -s %s ! -o %s -m comment --comment diyc -j MASQUERADE\n"
		      /* hairpin: a container reaching a published port through a host address
		       * is sent back into the bridge; without this the reply would come
		       * straight from the other container (unless br_netfilter is loaded) */
		      "-A DIYC-POSTROUTING -s %s -o %s -m conntrack --ctstate DNAT -m comment "
		      "--comment diyc -j MASQUERADE\n",
		      chain_exists(&c, "nat", "DIYC-DNAT") ? "" : ":DIYC-DNAT - [0:0]\n", sub,
		      c.bridge, sub, c.bridge);
	for (size_t i = 1; i < sizeof(jumps) / sizeof(jumps[0]); i++)
		if (jump_cmd(&c, &jumps[i], "-C") != 0)
			n += snprintf(rules + n, sizeof(rules) - (size_t)n,
				      "-I %s 1 %s-m comment --comment diyc -j %s\n", jumps[i].chain,
				      jumps[i].match ? "-m addrtype --dst-type LOCAL " : "",
				      jumps[i].target);
	snprintf(rules + n, sizeof(rules) - (size_t)n, "COMMIT\n");
	if (ipt_restore(&c, rules, why, sizeof(why)) < 0) {
		err("%s", why);
		if (!again) /* nothing half-made: the bridge and forwarding as before */
			undo_host(&c, !strcmp(fwd, "1"));
		return EXIT_DIYC;
	}
	/* a second setup keeps what the first one found */
	c.fwd_was_on = again ? old.fwd_was_on : !strcmp(fwd, "1");
	if (netconf_save(G.root, &c) < 0) {
		err("cannot save the network configuration under %s/net: %s", G.root,
		    strerror(errno));
		return EXIT_DIYC;
	}
	printf("network ready: bridge %s %s/%d, NAT for %s\n", c.bridge,
	       ip4_str(c.gw, ip, sizeof(ip)), c.prefix, sub);
	return 0;
}

static int clean(void)
{
	struct netconf c;
	char why[512];
	int r = netconf_load(G.root, &c);
	if (r == -ENOENT) {
		snprintf(c.bridge, sizeof(c.bridge), "%s", DC_BRIDGE);
		c.fwd_was_on = true; /* unknown: leave forwarding alone */
	} else if (r < 0) {
		err("cannot read %s/net/config: %s", G.root, strerror(-r));
		return EXIT_DIYC;
	}
	int leased = ipam_count();
	if (leased > 0) {
		err("%d container%s still use%s %s: stop them (diyc gc removes crashed ones)",
		    leased, leased > 1 ? "s" : "", leased > 1 ? "" : "s", c.bridge);
		return EXIT_DIYC;
	}
	for (size_t i = 0; i < sizeof(jumps) / sizeof(jumps[0]); i++)
		while (jump_cmd(&c, &jumps[i], "-C") == 0 && jump_cmd(&c, &jumps[i], "-D") == 0)
			;
	char rules[1024];
	int n = snprintf(rules, sizeof(rules), "*filter\n");
	if (chain_exists(&c, "filter", "DIYC-FORWARD"))
		n += snprintf(rules + n, sizeof(rules) - (size_t)n,
			      "-F DIYC-FORWARD\n-X DIYC-FORWARD\n");
	n += snprintf(rules + n, sizeof(rules) - (size_t)n, "COMMIT\n*nat\n");
	static const char *const natc[] = {"DIYC-POSTROUTING", "DIYC-DNAT"};
	for (int i = 0; i < 2; i++)
		if (chain_exists(&c, "nat", natc[i]))
			n += snprintf(rules + n, sizeof(rules) - (size_t)n, "-F %s\n-X %s\n",
				      natc[i], natc[i]);
	snprintf(rules + n, sizeof(rules) - (size_t)n, "COMMIT\n");
	if (ipt_restore(&c, rules, why, sizeof(why)) < 0) {
		err("%s", why);
		return EXIT_DIYC;
	}
	struct mnl_socket *nl = rtnl_open();
	int e = nl ? rtnl_link_del(nl, c.bridge) : errno;
	rtnl_close(nl);
	if (e && e != ENODEV) {
		err("delete bridge %s: %s", c.bridge, strerror(e));
		return EXIT_DIYC;
	}
	if (!c.fwd_was_on)
		write_file("/proc/sys/net/ipv4/ip_forward", "0");
	netconf_remove(G.root);
	printf("network removed\n");
	return 0;
}

static int status(void)
{
	struct netconf c;
	char ip[32];
	if (netconf_load(G.root, &c) < 0) {
		printf("not set up (diyc net setup)\n");
		return 1;
	}
	int leases = ipam_count();
	printf("bridge %s %s/%d (%s), %d lease%s, iptables %s\n", c.bridge,
	       ip4_str(c.gw, ip, sizeof(ip)), c.prefix,
	       if_nametoindex(c.bridge) ? "present" : "MISSING", leases, leases == 1 ? "" : "s",
	       c.ipt_backend[0] ? c.ipt_backend : "(default)");
	return 0;
}

int cmd_net(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		FILE *f = argc < 2 ? stderr : stdout;
		fputs("Usage: diyc net setup [--subnet A.B.C.D/N] [--profile FILE]\n"
		      "       diyc net clean\n"
		      "       diyc net status\n"
		      "setup creates bridge " DC_BRIDGE " (default subnet " DC_SUBNET_DEFAULT
		      "), turns on IPv4\n"
		      "forwarding and installs NAT and forward rules in the chains DIYC-FORWARD,\n"
		      "DIYC-POSTROUTING and DIYC-DNAT; running it again changes nothing. clean\n"
		      "removes exactly that. After setup, diyc run uses --net bridge by default.\n"
		      "The rules go through the iptables backend (nft or legacy) that the kernel\n"
		      "profile found able to program this kernel (--profile FILE: that profile).\n",
		      f);
		return argc < 2 ? EXIT_DIYC : 0;
	}
	if (!strcmp(argv[1], "setup")) {
		const char *subnet = DC_SUBNET_DEFAULT, *profile = NULL;
		for (int i = 2; i < argc; i += 2) {
			if (i + 1 < argc && !strcmp(argv[i], "--subnet")) {
				subnet = argv[i + 1];
			} else if (i + 1 < argc && !strcmp(argv[i], "--profile")) {
				profile = argv[i + 1];
			} else {
				err("usage: diyc net setup [--subnet A.B.C.D/N] [--profile FILE]");
				return EXIT_DIYC;
			}
		}
		return setup(subnet, profile);
	}
	if (!strcmp(argv[1], "clean") && argc == 2)
		return clean();
	if (!strcmp(argv[1], "status") && argc == 2)
		return status();
	err("unknown net command '%s' (setup, clean, status)", argv[1]);
	return EXIT_DIYC;
}
