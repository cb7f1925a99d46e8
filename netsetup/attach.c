/*
 * A container's network.  --net none: its own namespace with lo up.  --net host:
 * no namespace.  --net bridge (the default once `diyc net setup` ran) or --net
 * NAME (a named network, networks.c): an address of that network's subnet leased
 * from ipam.c (which also writes the name and its aliases into the network's DNS
 * hosts file; its dnsmasq is told by SIGHUP), a veth pair created with one call
 * whose container end (eth0) is born directly inside the container's namespace
 * (IFLA_NET_NS_PID: it is never visible on the host), the host end "dvXXXXXXXX"
 * enslaved to the network's bridge, and the default route via the bridge (none on
 * an internal network).  Published ports are DNAT rules (rules.c).  All of it
 * rtnetlink (lib/rtnl.c), no `ip` process.  The supervisor calls these as steps of its
 * table (runtime/steps.c): prepare = "lease", attach = "veth", publish = "portrule".
 */
#define _GNU_SOURCE
#include "lib/fault.h"
#include "lib/log.h"
#include "netsetup/netconf.h"
#include "lib/rtnl.h"
#include "lib/util.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Whether the run is bridged: 1 yes, 0 no, -1 refused (e filled). */
static int want_bridge(const struct net_request *rq, const struct netconf *c, int have,
		       struct dc_err *e)
{
	bool bridge = rq->mode == NET_BRIDGE || (rq->mode == NET_AUTO && have == 0 && rq->netns);
	if (bridge && rq->mode == NET_AUTO && !if_nametoindex(c->bridge)) {
		/* set up once, but the bridge is gone (a reboot clears it): run unbridged */
		dc_warn("bridge %s is gone (reboot?): running with --net none; diyc net setup "
			"restores it",
			c->bridge);
		bridge = false;
	}
	if (!bridge && (rq->ip || rq->ports[0] || (rq->aliases && rq->aliases[0])))
		return dc_fail(e, 0,
			       "--ip, -p and --network-alias need a bridged network (diyc net "
			       "setup, then --net bridge)");
	if (!bridge)
		return 0; /* none, host, or no bridge set up: a private network with lo only */
	if (have < 0)
		return dc_fail(e, 0,
			       "--net bridge needs the host network: run diyc net setup (or "
			       "make setup) first");
	if (!rq->netns)
		return dc_fail(e, 0,
			       "--net bridge needs a network namespace, which this kernel "
			       "does not offer (use --net host)");
	if (!if_nametoindex(c->bridge))
		return strcmp(c->name, DC_NET_DEFAULT)
			   ? dc_fail(
				 e, 0,
				 "bridge %s of network %s is gone (reboot?): diyc network rm %s, "
				 "then create it again",
				 c->bridge, c->name, c->name)
			   : dc_fail(e, 0, "bridge %s is gone: run diyc net setup again",
				     c->bridge);
	if (c->internal && rq->ports[0])
		return dc_fail(e, 0, "network %s is internal: no port can be published on it",
			       c->name);
	return 1;
}

int net_prepare(const struct net_request *rq, struct net_plan *p, struct dc_err *e)
{
	struct netconf c;
	memset(p, 0, sizeof(*p));
	const char *net = rq->network ? rq->network : DC_NET_DEFAULT;
	int have = rq->mode == NET_NONE || rq->mode == NET_HOST ? -ENOENT
								: netconf_load(rq->root, net, &c);
	if (have < 0 && rq->network)
		return dc_fail(e, 0, "no network %s (diyc network ls)", net);
	int b = want_bridge(rq, &c, have, e);
	if (b <= 0)
		return b;
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
	struct lease want = {.ip = rq->ip};
	snprintf(want.name, sizeof(want.name), "%s", rq->name);
	snprintf(want.ports, sizeof(want.ports), "%s", rq->ports[0] ? rq->ports : "-");
	snprintf(want.host_if, sizeof(want.host_if), "%s", p->host_if);
	snprintf(want.aliases, sizeof(want.aliases), "%s",
		 rq->aliases && rq->aliases[0] ? rq->aliases : "-");
	if (ipam_alloc(rq->root, &c, &want, &p->ip, e) < 0)
		return -1;
	dns_reload(rq->root, c.name);
	p->bridge = true;
	p->internal = c.internal;
	p->dns = c.dns;
	snprintf(p->network, sizeof(p->network), "%s", c.name);
	p->veth_two_step = rq->veth_two_step;
	p->gw = c.gw;
	p->prefix = c.prefix;
	snprintf(p->root, sizeof(p->root), "%s", rq->root);
	snprintf(p->bridge_if, sizeof(p->bridge_if), "%s", c.bridge);
	snprintf(p->name, sizeof(p->name), "%s", rq->name);
	snprintf(p->ports, sizeof(p->ports), "%s", rq->ports);
	return 0;
}

/*
 * The veth pair with eth0 born in the container and the host end on the bridge, up.
 * One request where the kernel takes IFLA_MASTER at creation; 4.4 refuses that with
 * EOPNOTSUPP (network.veth_on_bridge in the profile says so in advance), and then
 * the pair is created first and enslaved in a second request.
 */
static int veth_create(struct rtnl *nl, const struct net_plan *p, pid_t pid, const char **step)
{
	int e = EOPNOTSUPP;
	*step = "create veth";
	if (!p->veth_two_step) {
		e = dc_fault_errno("veth_onestep");
		if (!e)
			e = rtnl_link_add(nl, p->host_if, "veth", "eth0", pid, p->bridge_if, true);
		if (e != EOPNOTSUPP)
			return e;
		dc_info("the kernel refused a veth created on the bridge: create, then enslave");
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

int net_attach(const struct net_plan *p, pid_t pid, struct dc_err *e)
{
	if (!p->bridge)
		return 0;
	struct rtnl *nl = rtnl_open();
	if (!nl)
		return dc_fail(e, errno, "rtnetlink");
	const char *step;
	int r = veth_create(nl, p, pid, &step);
	if (!r) {
		/* `ip link` shows whose it is */
		char alias[64];
		snprintf(alias, sizeof(alias), "diyc:%s", p->name);
		step = "name the host end";
		r = rtnl_link_alias(nl, p->host_if, alias);
	}
	rtnl_close(nl);
	if (r)
		return dc_fail(e, r, "%s %s", step, p->host_if);
	return 0;
}

int net_publish(const struct net_plan *p, struct dc_err *e)
{
	if (!p->bridge || !p->ports[0])
		return 0;
	return rules_ports(p->root, true, p->name, p->ip, p->ports, e);
}

int net_child(const struct net_plan *p, struct dc_err *e)
{
	struct rtnl *nl = rtnl_open();
	if (!nl)
		return dc_fail(e, errno, "rtnetlink");
	const char *step = "bring up lo";
	int r = rtnl_link_up(nl, "lo");
	if (!r && p->bridge) {
		step = "address on eth0";
		r = rtnl_addr_add(nl, "eth0", p->ip, p->prefix);
		if (!r) {
			step = "bring up eth0";
			r = rtnl_link_up(nl, "eth0");
		}
		if (!r && !p->internal) { /* an internal network has no route out */
			step = "default route";
			r = rtnl_route_default(nl, "eth0", p->gw);
		}
	}
	rtnl_close(nl);
	if (r)
		return dc_fail(e, r, "%s", step);
	return 0;
}

/* Remove what net_attach and the lease made; each step tolerates "already gone". */
static void net_release(const char *root, const struct lease *l)
{
	struct dc_err e;
	if (strcmp(l->ports, "-") && rules_ports(root, false, l->name, l->ip, l->ports, &e) < 0)
		dc_warn("published ports of %s: %s (diyc gc retries)", l->name, e.msg);
	if (strncmp(l->host_if, "dv", 2) == 0 && if_nametoindex(l->host_if)) {
		struct rtnl *nl = rtnl_open();
		int r = nl ? rtnl_link_del(nl, l->host_if) : errno;
		rtnl_close(nl);
		if (r && r != ENODEV)
			dc_warn("cannot delete %s: %s", l->host_if, strerror(r));
	}
	char net[40];
	if (ipam_release(root, l->name, net, sizeof(net)) == 0 && net[0])
		dns_reload(root, net);
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
	struct dc_err e;
	if (!p->bridge)
		return;
	if (p->ports[0] && rules_ports(p->root, false, p->name, p->ip, p->ports, &e) < 0)
		dc_warn("published ports of %s: %s (diyc gc retries)", p->name, e.msg);
	char net[40];
	if (ipam_release(p->root, p->name, net, sizeof(net)) == 0 && net[0])
		dns_reload(p->root, net);
}

/* diyc gc: leases, veths and rules of containers whose supervisor is gone */
int net_gc(const char *root, bool (*alive)(const char *name))
{
	static struct lease l[4096];
	int n = ipam_list(root, l, 4096), removed = 0;
	for (int i = 0; i < n; i++)
		if (!alive(l[i].name)) {
			net_release(root, &l[i]);
			printf("released the network of %s\n", l[i].name);
			removed++;
		}
	/* host ends that no live container's lease names */
	n = ipam_list(root, l, 4096);
	struct if_nameindex *ifs = if_nameindex();
	for (struct if_nameindex *it = ifs; it && it->if_index; it++) {
		bool owned = false;
		if (strncmp(it->if_name, "dv", 2) || strlen(it->if_name) != 10)
			continue;
		for (int i = 0; i < n && !owned; i++)
			owned = !strcmp(l[i].host_if, it->if_name);
		if (owned)
			continue;
		struct rtnl *nl = rtnl_open();
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

void net_detach(const struct net_plan *p)
{
	if (!p->bridge || !if_nametoindex(p->host_if))
		return;
	struct rtnl *nl = rtnl_open();
	int r = nl ? rtnl_link_del(nl, p->host_if) : errno;
	rtnl_close(nl);
	if (r && r != ENODEV)
		dc_warn("cannot delete %s: %s", p->host_if, strerror(r));
}
