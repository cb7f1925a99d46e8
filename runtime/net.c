/*
 * A container's network.  --net none: its own namespace with lo up.  --net host:
 * no namespace.  --net bridge (the default once `diyc net setup` ran): an address
 * leased from runtime/ipam.c, a veth pair created with one call whose container end
 * (eth0) is born directly inside the container's namespace (IFLA_NET_NS_PID: it is
 * never visible on the host), the host end "dvXXXXXXXX" enslaved to diyc0, and the
 * default route via the bridge.  Published ports
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
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int net_prepare(const struct run_opts *o, const struct features *f, struct net_plan *p)
{
	struct netconf c;
	char why[300];
	memset(p, 0, sizeof(*p));
	int r = o->net == NET_NONE || o->net == NET_HOST ? -ENOENT : netconf_load(G.root, &c);
	bool bridge = o->net == NET_BRIDGE || (o->net == NET_AUTO && r == 0 && f->ns[NS_NET]);
	if (bridge && o->net == NET_AUTO && !if_nametoindex(c.bridge)) {
		/* set up once, but the bridge is gone (a reboot clears it): run unbridged */
		warn(
		    "bridge %s is gone (reboot?): running with --net none; diyc net setup restores "
		    "it",
		    c.bridge);
		bridge = false;
	}
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
	/*
	 * The host end gets a random name, "dv" and 8 hex digits (never longer than
	 * IFNAMSIZ, whatever the container's name), not one derived from the name: the
	 * end of a container that just exited may still exist while the kernel destroys
	 * its namespace (see net_teardown), and a rerun of the same name must not wait
	 * for it.  The lease records which container it belongs to.  GRND_NONBLOCK: on a
	 * freshly booted machine the pool may stay uninitialised for minutes (4.4 under
	 * QEMU), and a blocking call would hang the run; these names need no secrecy.
	 */
	uint32_t rnd;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
	snprintf(p->host_if, sizeof(p->host_if), "dv%08x", rnd);
	if (ipam_alloc(&c, o->name, o->ip, o->ports[0] ? o->ports : "-", p->host_if, &p->ip, why,
		       sizeof(why)) < 0) {
		err("%s", why);
		return -1;
	}
	p->bridge = true;
	p->veth_two_step = f->veth_two_step;
	p->gw = c.gw;
	p->prefix = c.prefix;
	snprintf(p->bridge_if, sizeof(p->bridge_if), "%s", c.bridge);
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
	/* the backend net setup chose (the rules must go where its chains are) */
	struct netconf c;
	bool have = netconf_load(G.root, &c) == 0;
	return ipt_restore(have ? &c : NULL, rules, why, len);
}

/*
 * The veth pair with eth0 born in the container and the host end on the bridge, up.
 * One request where the kernel takes IFLA_MASTER at creation; 4.4 refuses that with
 * EOPNOTSUPP (network.veth_on_bridge in the profile says so in advance), and then
 * the pair is created first and enslaved in a second request.
 */
static int veth_create(struct mnl_socket *nl, const struct net_plan *p, pid_t pid,
		       const char **step)
{
	int e = EOPNOTSUPP;
	*step = "create veth";
	if (!p->veth_two_step) {
		e = fault_errno("veth_onestep");
		if (!e)
			e = rtnl_link_add(nl, p->host_if, "veth", "eth0", pid, p->bridge_if, true);
		if (e != EOPNOTSUPP)
			return e;
		info("the kernel refused a veth created on the bridge: create, then enslave");
		rtnl_link_del(nl, p->host_if); /* nothing should exist; make sure */
	}
	e = rtnl_link_add(nl, p->host_if, "veth", "eth0", pid, NULL, false);
	if (!e) {
		*step = "put on the bridge";
		e = rtnl_link_set_master(nl, p->host_if, p->bridge_if);
	}
	if (!e) {
		*step = "bring up";
		e = rtnl_link_up(nl, p->host_if);
	}
	return e;
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
	const char *step;
	int e = veth_create(nl, p, pid, &step);
	if (!e) {
		/* `ip link` shows whose it is */
		char alias[64];
		snprintf(alias, sizeof(alias), "diyc:%s", p->name);
		step = "name the host end";
		e = rtnl_link_alias(nl, p->host_if, alias);
	}
	rtnl_close(nl);
	if (e) {
		snprintf(why, len, "%s %s: %s", step, p->host_if, strerror(e));
		return -1;
	}
	failpoint("veth");
	if (p->ports[0] && port_rules("-A", p->name, p->ip, p->ports, why, len) < 0)
		return -1;
	if (p->ports[0])
		failpoint("portrule");
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
void net_release(const struct lease *l)
{
	char why[300];
	if (strcmp(l->ports, "-") &&
	    port_rules("-D", l->name, l->ip, l->ports, why, sizeof(why)) < 0)
		warn("published ports of %s: %s (diyc gc retries)", l->name, why);
	if (strncmp(l->host_if, "dv", 2) == 0 && if_nametoindex(l->host_if)) {
		struct mnl_socket *nl = rtnl_open();
		int e = nl ? rtnl_link_del(nl, l->host_if) : errno;
		rtnl_close(nl);
		if (e && e != ENODEV)
			warn("cannot delete %s: %s", l->host_if, strerror(e));
	}
	ipam_release(l->name);
}

/*
 * After a container: its port rules and lease go at once.  Its veth pair is not
 * deleted here: the container's processes are all dead, so its network namespace
 * is being destroyed, and with it eth0 and therefore the host end.  Deleting the
 * host end ourselves would wait for the same RCU grace periods synchronously
 * (about 10 ms of every bridged run); a stale end still present when the same name
 * starts again is removed by net_attach, and by diyc gc.
 */
void net_teardown(const struct net_plan *p)
{
	char why[300];
	if (!p->bridge)
		return;
	if (p->ports[0] && port_rules("-D", p->name, p->ip, p->ports, why, sizeof(why)) < 0)
		warn("published ports of %s: %s (diyc gc retries)", p->name, why);
	ipam_release(p->name);
}

/* diyc gc: leases, veths and rules of containers whose supervisor is gone */
int net_gc(bool (*alive)(const char *name))
{
	static struct lease l[4096];
	int n = ipam_list(l, 4096), removed = 0;
	for (int i = 0; i < n; i++)
		if (!alive(l[i].name)) {
			net_release(&l[i]);
			printf("released the network of %s\n", l[i].name);
			removed++;
		}
	/* host ends that no live container's lease names */
	n = ipam_list(l, 4096);
	struct if_nameindex *ifs = if_nameindex();
	for (struct if_nameindex *it = ifs; it && it->if_index; it++) {
		bool owned = false;
		if (strncmp(it->if_name, "dv", 2) || strlen(it->if_name) != 10)
			continue;
		for (int i = 0; i < n && !owned; i++)
			owned = !strcmp(l[i].host_if, it->if_name);
		if (owned)
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
