/*
 * Every iptables rule diyc writes, and the runner.  The chains (DIYC-FORWARD,
 * DIYC-INPUT, DIYC-POSTROUTING, DIYC-DNAT) and the jumps to them come from `diyc net
 * setup` and `diyc network create|rm`: the first three are rewritten whole from the
 * list of every network at each change; a container's published ports are DNAT rules
 * in DIYC-DNAT tagged "diyc:NAME".  Forwarding accepts replies (conntrack), published
 * ports (ctstate DNAT) and whatever containers send out (an --internal network's only
 * to its own bridge); traffic between two networks and anything else towards a
 * subnet is dropped.
 *
 * Published ports on 127.0.0.1: a locally made packet to 127.0.0.1:PORT is DNATed in
 * OUTPUT and must then leave through the bridge with its 127.0.0.1 source, which the
 * kernel drops as martian unless the bridge has route_localnet (host.c sets it on
 * diyc's bridges only, and it goes with them); the source is masqueraded to the
 * bridge's address so the container's reply comes back.  route_localnet alone would
 * also let a container send to 127.0.0.1 through its gateway and reach the host's
 * loopback services (CVE-2020-8558, kube-proxy's same setting): DIYC-INPUT drops
 * anything arriving on a diyc bridge for 127.0.0.0/8 that is not the reply of such a
 * DNATed connection.  Chosen over a forwarder process per port (docker-proxy,
 * podman's rootlessport): no process per container, no copy of the data, the
 * container sees the masqueraded gateway address as the client either way.
 *
 * iptables runs as a program without a shell (lib/spawn.c): rule changes go through
 * one batched `iptables-restore --noflush` (atomic per table).  Which binary: the
 * one the network configuration names, i.e. the backend the probe found able to
 * program this kernel (a 4.4 kernel takes iptables-legacy but not Debian's default
 * iptables-nft), recorded by `diyc net setup` so that every later rule, and `net
 * clean`, goes through the same backend.  Used by `diyc net setup/clean` and for
 * published ports; never to create a container's veth (that is rtnetlink).
 */
#define _GNU_SOURCE
#include "netsetup/netconf.h"
#include "lib/spawn.h"
#include "lib/util.h"

#include <errno.h>
#include <limits.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* $ENV (tests), else the configured path, else the plain name looked up in PATH */
static const char *tool(const char *env, const char *configured, const char *dflt)
{
	const char *t = getenv(env);
	if (t && *t)
		return t;
	return configured && *configured ? configured : dflt;
}

int ipt_restore(const struct netconf *c, const char *rules, struct dc_err *e)
{
	char *argv[] = {
	    (char *)tool("DIYC_IPTABLES_RESTORE", c ? c->ipt_restore : NULL, "iptables-restore"),
	    "--noflush", "-w", NULL};
	char err[2048] = "", line[400];
	int r = spawn_run(argv, rules, err, sizeof(err));
	if (r == 0)
		return 0;
	tool_error_line(err, line, sizeof(line));
	return dc_fail(e, 0, "%s failed (%d): %s", argv[0], r, line[0] ? line : "no message");
}

int ipt_run(const struct netconf *c, const char *const argv[])
{
	char *a[32];
	int n = 0;
	a[n++] = (char *)tool("DIYC_IPTABLES", c ? c->ipt : NULL, "iptables");
	a[n++] = "-w";
	for (int i = 0; argv[i]; i++) {
		if (n >= 31)
			return -1;
		a[n++] = (char *)argv[i];
	}
	a[n] = NULL;
	char err[64];
	return spawn_run(a, NULL, err, sizeof(err));
}

struct jump {
	const char *table, *chain, *target;
	bool local; /* only traffic to a local address (-m addrtype --dst-type LOCAL) */
};
static const struct jump jumps[] = {
    {"filter", "FORWARD", "DIYC-FORWARD", false},
    {"filter", "INPUT", "DIYC-INPUT", false},
    {"nat", "POSTROUTING", "DIYC-POSTROUTING", false},
    {"nat", "PREROUTING", "DIYC-DNAT", true},
    {"nat", "OUTPUT", "DIYC-DNAT", true},
};
#define NJUMPS (sizeof(jumps) / sizeof(jumps[0]))

/* iptables -t T -C|-D CHAIN [-m addrtype --dst-type LOCAL] -m comment --comment diyc -j TARGET */
static int jump_cmd(const struct netconf *c, const struct jump *j, const char *op)
{
	const char *a[16];
	int n = 0;
	a[n++] = "-t", a[n++] = j->table, a[n++] = op, a[n++] = j->chain;
	if (j->local)
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
 * What is in place, from one `iptables-save` (the backend's own: IPTABLES-save):
 * how many times each jump is there, as the line iptables-save prints for it, and
 * which of diyc's chains exist.  One process where an `iptables -C` per jump and an
 * `-S` per chain took six for a setup and nine or more for a clean (each tens of ms in
 * a TCG guest, a few here).  false when the save cannot be run or read whole: then
 * each is asked for by itself, as before.
 */
struct present {
	int jump[NJUMPS];
	bool chain[4];
};
static const char *const chains[][2] = {{"filter", "DIYC-FORWARD"},
					{"filter", "DIYC-INPUT"},
					{"nat", "DIYC-POSTROUTING"},
					{"nat", "DIYC-DNAT"}};

/* what follows the chain in every form of a jump (-A, -I N, -D), as iptables-save prints it */
static void jump_spec(const struct jump *j, char *out, size_t len)
{
	snprintf(out, len, "%s-m comment --comment diyc -j %s",
		 j->local ? "-m addrtype --dst-type LOCAL " : "", j->target);
}

static void present_line(const char *table, const char *l, const char want[][160],
			 struct present *p)
{
	for (size_t i = 0; i < NJUMPS; i++)
		if (!strcmp(table, jumps[i].table) && !strcmp(l, want[i]))
			p->jump[i]++;
	for (size_t i = 0; i < ARRAY_SIZE(chains); i++)
		if (!strcmp(table, chains[i][0]) && l[0] == ':' &&
		    !strncmp(l + 1, chains[i][1], strlen(chains[i][1])) &&
		    l[1 + strlen(chains[i][1])] == ' ')
			p->chain[i] = true;
}

static bool saved(const struct netconf *c, struct present *p)
{
	static char out[256 * 1024]; /* a host's whole rule set */
	char save[PATH_MAX], table[32] = "", want[NJUMPS][160], spec[128];
	if (fmt(save, sizeof(save), "%s-save",
		tool("DIYC_IPTABLES", c ? c->ipt : NULL, "iptables")) < 0)
		return false;
	char *argv[] = {save, NULL};
	if (spawn_output(argv, out, sizeof(out)) != 0)
		return false;
	for (size_t i = 0; i < NJUMPS; i++) {
		jump_spec(&jumps[i], spec, sizeof(spec));
		snprintf(want[i], sizeof(want[i]), "-A %s %s", jumps[i].chain, spec);
	}
	memset(p, 0, sizeof(*p));
	for (char *save_p = NULL, *l = strtok_r(out, "\n", &save_p); l;
	     l = strtok_r(NULL, "\n", &save_p))
		if (l[0] == '*')
			snprintf(table, sizeof(table), "%s", l + 1);
		else
			present_line(table, l, want, p);
	return true;
}

/* whether the save showed chain NAME of diyc's four */
static bool has_chain(const struct present *p, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(chains); i++)
		if (!strcmp(chains[i][1], name))
			return p->chain[i];
	return false;
}

/* append to a batch; a batch that does not fit is refused by rules_commit */
static void add(char *b, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void add(char *b, size_t len, const char *f, ...)
{
	size_t n = strlen(b);
	va_list ap;
	va_start(ap, f);
	if (n < len)
		vsnprintf(b + n, len - n, f, ap);
	va_end(ap);
}

static int rules_commit(const struct netconf *c, const char *b, size_t len, struct dc_err *e)
{
	if (strlen(b) + 1 >= len)
		return dc_fail(e, E2BIG, "iptables batch");
	return ipt_restore(c, b, e);
}

/* The jumps not there yet (P, or `iptables -C` without it), inserted first in their
 * chain. */
static void add_jumps(const struct netconf *c, const struct present *p, const char *table, char *b,
		      size_t len)
{
	char spec[128];
	for (size_t i = 0; i < NJUMPS; i++)
		if (!strcmp(jumps[i].table, table) &&
		    (p ? p->jump[i] == 0 : jump_cmd(c, &jumps[i], "-C") != 0)) {
			jump_spec(&jumps[i], spec, sizeof(spec));
			add(b, len, "-I %s 1 %s\n", jumps[i].chain, spec);
		}
}

/* DIYC-FORWARD: replies and published ports in; isolation; what containers send. */
static void forward_rules(const struct netconf *n, int k, char *b, size_t len)
{
	const char *cm = "-m comment --comment diyc";
	for (int i = 0; i < k; i++) {
		add(b, len,
		    "-A DIYC-FORWARD -o %s -m conntrack --ctstate RELATED,ESTABLISHED %s -j "
		    "ACCEPT\n",
		    n[i].bridge, cm);
		if (!n[i].internal)
			add(b, len,
			    "-A DIYC-FORWARD -o %s -m conntrack --ctstate DNAT %s -j ACCEPT\n",
			    n[i].bridge, cm);
	}
	/* within one bridge (seen here only with br_netfilter), then two networks never
	 * reach each other: every bridge diyc makes is named diyc* (netsetup.h) */
	for (int i = 0; i < k; i++)
		add(b, len, "-A DIYC-FORWARD -i %s -o %s %s -j ACCEPT\n", n[i].bridge, n[i].bridge,
		    cm);
	add(b, len, "-A DIYC-FORWARD -i diyc+ -o diyc+ %s -j DROP\n", cm);
	for (int i = 0; i < k; i++) {
		add(b, len, "-A DIYC-FORWARD -i %s %s -j %s\n", n[i].bridge, cm,
		    n[i].internal ? "DROP" : "ACCEPT");
		add(b, len, "-A DIYC-FORWARD -o %s %s -j DROP\n", n[i].bridge, cm);
	}
}

/* DIYC-POSTROUTING: NAT out, hairpin, and the source of localhost's published ports. */
static void nat_rules(const struct netconf *n, int k, char *b, size_t len)
{
	const char *cm = "-m comment --comment diyc";
	char ip[32];
	for (int i = 0; i < k; i++) {
		const char *br = n[i].bridge, *sub = ip4_str(n[i].net, ip, sizeof(ip));
		if (!n[i].internal)
			add(b, len, "-A DIYC-POSTROUTING -s %s/%d ! -o %s %s -j MASQUERADE\n", sub,
			    n[i].prefix, br, cm);
		/* hairpin: a container reaching a published port through a host address is
		 * sent back into the bridge; without this the reply would come straight from
		 * the other container (unless br_netfilter is loaded) */
		add(b, len,
		    "-A DIYC-POSTROUTING -s %s/%d -o %s -m conntrack --ctstate DNAT %s -j "
		    "MASQUERADE\n",
		    sub, n[i].prefix, br, cm);
		add(b, len,
		    "-A DIYC-POSTROUTING -s 127.0.0.0/8 -o %s -m conntrack --ctstate DNAT %s -j "
		    "MASQUERADE\n",
		    br, cm);
	}
}

/* One batch: both tables, chains rewritten whole, missing jumps added. */
int rules_install(const struct netconf *n, int k, struct dc_err *e)
{
	size_t len = 4096 + (size_t)k * 1400;
	char *b = calloc(1, len);
	if (!b)
		return dc_fail(e, ENOMEM, "iptables batch");
	const struct netconf *c = &n[0];
	struct present have, *p = saved(c, &have) ? &have : NULL;
	add(b, len, "*filter\n:DIYC-FORWARD - [0:0]\n:DIYC-INPUT - [0:0]\n");
	forward_rules(n, k, b, len);
	for (int i = 0; i < k; i++) /* see the opening comment: route_localnet's trap */
		add(b, len,
		    "-A DIYC-INPUT -i %s -d 127.0.0.0/8 -m conntrack ! --ctstate "
		    "RELATED,ESTABLISHED,DNAT -m comment --comment diyc -j DROP\n",
		    n[i].bridge);
	add_jumps(c, p, "filter", b, len);
	add(b, len, "COMMIT\n*nat\n:DIYC-POSTROUTING - [0:0]\n%s",
	    (p ? has_chain(p, "DIYC-DNAT") : chain_exists(c, "nat", "DIYC-DNAT"))
		? ""
		: ":DIYC-DNAT - [0:0]\n");
	nat_rules(n, k, b, len);
	add_jumps(c, p, "nat", b, len);
	add(b, len, "COMMIT\n");
	int r = rules_commit(c, b, len, e);
	free(b);
	return r;
}

/* Every jump deleted (as often as it is there), then diyc's chains flushed and removed:
 * one batch, after one iptables-save (or, without it, -C/-D and -S per rule and chain). */
int rules_remove(const struct netconf *c, struct dc_err *e)
{
	struct present have, *p = saved(c, &have) ? &have : NULL;
	if (!p)
		for (size_t i = 0; i < NJUMPS; i++)
			while (jump_cmd(c, &jumps[i], "-C") == 0 &&
			       jump_cmd(c, &jumps[i], "-D") == 0)
				;
	char b[2048] = "", spec[128];
	for (size_t i = 0; i < ARRAY_SIZE(chains); i++) {
		if (i == 0 || strcmp(chains[i][0], chains[i - 1][0])) {
			add(b, sizeof(b), "%s*%s\n", i ? "COMMIT\n" : "", chains[i][0]);
			for (size_t j = 0; p && j < NJUMPS; j++)
				for (int k = 0;
				     !strcmp(jumps[j].table, chains[i][0]) && k < p->jump[j]; k++) {
					jump_spec(&jumps[j], spec, sizeof(spec));
					add(b, sizeof(b), "-D %s %s\n", jumps[j].chain, spec);
				}
		}
		if (p ? p->chain[i] : chain_exists(c, chains[i][0], chains[i][1]))
			add(b, sizeof(b), "-F %s\n-X %s\n", chains[i][1], chains[i][1]);
	}
	add(b, sizeof(b), "COMMIT\n");
	return rules_commit(c, b, sizeof(b), e);
}

/* The DNAT rule(s) of one mapping: one rule when the ports are the same on both
 * sides (the destination port is kept), else one per port. */
static void dnat_rules(const struct port_map *m, bool on, const char *name, const char *addr,
		       char *b, size_t len)
{
	char dst[40] = "", ip[32];
	if (m->hip)
		snprintf(dst, sizeof(dst), "-d %s/32 ", ip4_str(m->hip, ip, sizeof(ip)));
	if (m->h1 == m->c1 && m->h2 > m->h1) {
		add(b, len,
		    "%s DIYC-DNAT %s-p %s --dport %u:%u -m comment --comment diyc:%s "
		    "-j DNAT --to-destination %s\n",
		    on ? "-A" : "-D", dst, m->proto, m->h1, m->h2, name, addr);
		return;
	}
	for (unsigned p = 0; p <= m->h2 - m->h1; p++)
		add(b, len,
		    "%s DIYC-DNAT %s-p %s --dport %u -m comment --comment diyc:%s "
		    "-j DNAT --to-destination %s:%u\n",
		    on ? "-A" : "-D", dst, m->proto, m->h1 + p, name, addr, m->c1 + p);
}

/* "-A|-D DIYC-DNAT ..." for every published port, in one nat batch */
int rules_ports(const char *root, bool on, const char *name, uint32_t ip, const char *ports,
		struct dc_err *e)
{
	struct port_map m[64];
	char addr[32];
	int k = ports_split(ports, m, 64);
	size_t len = 256;
	for (int i = 0; i < k; i++)
		len += 200 * (m[i].h1 == m[i].c1 ? 1 : m[i].h2 - m[i].h1 + 1);
	char *b = calloc(1, len);
	if (!b)
		return dc_fail(e, ENOMEM, "iptables batch");
	ip4_str(ip, addr, sizeof(addr));
	add(b, len, "*nat\n");
	for (int i = 0; i < k; i++)
		dnat_rules(&m[i], on, name, addr, b, len);
	add(b, len, "COMMIT\n");
	/* the backend net setup chose (the rules must go where its chains are) */
	struct netconf c;
	bool have = netconf_any(root, &c) == 0;
	int r = rules_commit(have ? &c : NULL, b, len, e);
	free(b);
	return r;
}
