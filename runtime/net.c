/*
 * A container's network.  --net none: its own namespace with lo up.  --net host:
 * no namespace.  --net bridge (the default once `diyc net setup` ran): an address
 * leased from runtime/ipam.c, a veth pair created with one call whose container end
 * (eth0) is born directly inside the container's namespace (IFLA_NET_NS_PID: it is
 * never visible on the host), the host end "dv-NAME" (15 characters at most: names
 * are 12) enslaved to diyc0, and the default route via the bridge.  Published ports
 * are DNAT rules in DIYC-DNAT tagged "diyc:NAME", added and removed with one
 * iptables-restore batch each.  All of it rtnetlink (libmnl), no `ip` process.
 */
#define _GNU_SOURCE
#include "diyc.h"
#include "netconf.h"
#include "rtnl.h"
#include "util.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int net_prepare(const struct run_opts *o, const struct features *f, struct net_plan *p)
{
	struct netconf c;
	char why[300];
	memset(p, 0, sizeof(*p));
	int r = o->net == NET_NONE || o->net == NET_HOST ? -ENOENT : netconf_load(G.root, &c);
	bool bridge = o->net == NET_BRIDGE || (o->net == NET_AUTO && r == 0 && f->ns[NS_NET]);
	if (!bridge && (o->ip || o->ports[0])) {
		err("--ip and -p need a bridged network (diyc net setup, then --net bridge)");
		return -1;
	}
	if (!bridge)
		return 0; /* none, host, or no bridge set up: a private network with lo only */
	if (r < 0) {
		err("--net bridge needs the host network: run diyc net setup (or make setup) "
		    "first");
		return -1;
	}
	if (!f->ns[NS_NET]) {
		err("--net bridge needs a network namespace, which this kernel does not offer (use "
		    "--net host)");
		return -1;
	}
	if (!if_nametoindex(c.bridge)) {
		err("bridge %s is gone: run diyc net setup again", c.bridge);
		return -1;
	}
	if (ipam_alloc(&c, o->name, o->ip, o->ports[0] ? o->ports : "-", &p->ip, why, sizeof(why)) <
	    0) {
		err("%s", why);
		return -1;
	}
	p->bridge = true;
	p->gw = c.gw;
	p->prefix = c.prefix;
	snprintf(p->bridge_if, sizeof(p->bridge_if), "%s", c.bridge);
	snprintf(p->host_if, sizeof(p->host_if), "dv-%s", o->name);
	snprintf(p->name, sizeof(p->name), "%s", o->name);
	snprintf(p->ports, sizeof(p->ports), "%s", o->ports);
	return 0;
}

/* "-A|-D DIYC-DNAT ..." for every published port, in one nat batch */
static int port_rules(const char *op, const char *name, uint32_t ip, const char *ports, char *why,
		      size_t len)
{
	char rules[4096], copy[256], addr[32];
	int n = snprintf(rules, sizeof(rules), "*nat\n");
	snprintf(copy, sizeof(copy), "%s", ports);
	ip4_str(ip, addr, sizeof(addr));
	for (char *s, *p = strtok_r(copy, ",", &s); p; p = strtok_r(NULL, ",", &s)) {
		unsigned hp, cp;
		char proto[8];
		if (sscanf(p, "%u:%u/%7s", &hp, &cp, proto) != 3)
			continue;
		n += snprintf(rules + n, sizeof(rules) - (size_t)n,
			      "%s DIYC-DNAT -p %s --dport %u -m comment --comment diyc:%s -j DNAT "
			      "--to-destination %s:%u\n",
			      op, proto, hp, name, addr, cp);
	}
	snprintf(rules + n, sizeof(rules) - (size_t)n, "COMMIT\n");
	return ipt_restore(rules, why, len);
}

int net_attach(const struct net_plan *p, pid_t pid, char *why, size_t len)
{
	if (!p->bridge)
		return 0;
	struct mnl_socket *nl = rtnl_open();
	if (!nl) {
		snprintf(why, len, "rtnetlink: %s", strerror(errno));
		return -1;
	}
	int e = rtnl_link_add(nl, p->host_if, "veth", "eth0", pid);
	const char *step = "create veth";
	if (!e) {
		step = "attach to the bridge";
		e = rtnl_link_set_master(nl, p->host_if, p->bridge_if);
	}
	if (!e) {
		step = "bring the host end up";
		e = rtnl_link_up(nl, p->host_if);
	}
	rtnl_close(nl);
	if (e) {
		snprintf(why, len, "%s %s: %s", step, p->host_if, strerror(e));
		return -1;
	}
	if (p->ports[0] && port_rules("-A", p->name, p->ip, p->ports, why, len) < 0)
		return -1;
	return 0;
}

int net_child(const struct net_plan *p, char *why, size_t len)
{
	struct mnl_socket *nl = rtnl_open();
	if (!nl) {
		snprintf(why, len, "rtnetlink: %s", strerror(errno));
		return -1;
	}
	const char *step = "bring up lo";
	int e = rtnl_link_up(nl, "lo");
	if (!e && p->bridge) {
		step = "address on eth0";
		e = rtnl_addr_add(nl, "eth0", p->ip, p->prefix);
		if (!e) {
			step = "bring up eth0";
			e = rtnl_link_up(nl, "eth0");
		}
		if (!e) {
			step = "default route";
			e = rtnl_route_default(nl, "eth0", p->gw);
		}
	}
	rtnl_close(nl);
	if (e) {
		snprintf(why, len, "%s: %s", step, strerror(e));
		return -1;
	}
	return 0;
}

/* Remove what net_attach and the lease made; each step tolerates "already gone". */
void net_release(const char *name, uint32_t ip, const char *ports)
{
	char why[300], host_if[IF_NAMESIZE + 4];
	if (ports && ports[0] && strcmp(ports, "-") &&
	    port_rules("-D", name, ip, ports, why, sizeof(why)) < 0)
		warn("published ports of %s: %s (diyc gc retries)", name, why);
	snprintf(host_if, sizeof(host_if), "dv-%s", name);
	if (if_nametoindex(host_if)) {
		struct mnl_socket *nl = rtnl_open();
		int e = nl ? rtnl_link_del(nl, host_if) : errno;
		rtnl_close(nl);
		if (e && e != ENODEV)
			warn("cannot delete %s: %s", host_if, strerror(e));
	}
	ipam_release(name);
}

void net_teardown(const struct net_plan *p)
{
	if (p->bridge)
		net_release(p->name, p->ip, p->ports);
}

/* diyc gc: leases, veths and rules of containers whose supervisor is gone */
int net_gc(bool (*alive)(const char *name))
{
	static struct lease l[4096];
	int n = ipam_list(l, 4096), removed = 0;
	for (int i = 0; i < n; i++)
		if (!alive(l[i].name)) {
			net_release(l[i].name, l[i].ip, l[i].ports);
			printf("released the network of %s\n", l[i].name);
			removed++;
		}
	/* host ends with no lease behind them */
	struct if_nameindex *ifs = if_nameindex();
	for (struct if_nameindex *it = ifs; it && it->if_index; it++) {
		if (strncmp(it->if_name, "dv-", 3) || alive(it->if_name + 3))
			continue;
		struct mnl_socket *nl = rtnl_open();
		if (nl && rtnl_link_del(nl, it->if_name) == 0) {
			printf("removed interface %s\n", it->if_name);
			removed++;
		}
		rtnl_close(nl);
	}
	if (ifs)
		if_freenameindex(ifs);
	return removed;
}
