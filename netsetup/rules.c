/*
 * Every iptables rule diyc writes, and the runner.  The host network's chains
 * (DIYC-FORWARD, DIYC-POSTROUTING, DIYC-DNAT) and the jumps to them come from
 * `diyc net setup`; a container's published ports are DNAT rules in DIYC-DNAT tagged
 * "diyc:NAME".  Forwarding accepts replies (conntrack), published ports (ctstate
 * DNAT) and whatever containers send; anything else towards the subnet is dropped.
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

#include <errno.h>

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

/* The jumps `iptables -C` does not find yet, inserted first in their chain. */
static void add_jumps(const struct netconf *c, const char *table, char *b, size_t len)
{
	for (size_t i = 0; i < NJUMPS; i++)
		if (!strcmp(jumps[i].table, table) && jump_cmd(c, &jumps[i], "-C") != 0)
			add(b, len, "-I %s 1 %s-m comment --comment diyc -j %s\n", jumps[i].chain,
			    jumps[i].local ? "-m addrtype --dst-type LOCAL " : "", jumps[i].target);
}

/* One batch: both tables, chains rewritten whole, missing jumps added. */
int rules_install(const struct netconf *c, struct dc_err *e)
{
	char b[4096] = "", ip[32], sub[40];
	const char *br = c->bridge;
	snprintf(sub, sizeof(sub), "%s/%d", ip4_str(c->net, ip, sizeof(ip)), c->prefix);
	add(b, sizeof(b), "*filter\n:DIYC-FORWARD - [0:0]\n");
	add(b, sizeof(b),
	    "-A DIYC-FORWARD -o %s -m conntrack --ctstate RELATED,ESTABLISHED "
	    "-m comment --comment diyc -j ACCEPT\n",
	    br);
	add(b, sizeof(b),
	    "-A DIYC-FORWARD -o %s -m conntrack --ctstate DNAT "
	    "-m comment --comment diyc -j ACCEPT\n",
	    br);
	add(b, sizeof(b), "-A DIYC-FORWARD -i %s -m comment --comment diyc -j ACCEPT\n", br);
	add(b, sizeof(b), "-A DIYC-FORWARD -o %s -m comment --comment diyc -j DROP\n", br);
	add_jumps(c, "filter", b, sizeof(b));
	add(b, sizeof(b), "COMMIT\n*nat\n:DIYC-POSTROUTING - [0:0]\n%s",
	    chain_exists(c, "nat", "DIYC-DNAT") ? "" : ":DIYC-DNAT - [0:0]\n");
	add(b, sizeof(b),
	    "-A DIYC-POSTROUTING -s %s ! -o %s -m comment --comment diyc "
	    "-j MASQUERADE\n",
	    sub, br);
	/* hairpin: a container reaching a published port through a host address is sent
	 * back into the bridge; without this the reply would come straight from the other
	 * container (unless br_netfilter is loaded) */
	add(b, sizeof(b),
	    "-A DIYC-POSTROUTING -s %s -o %s -m conntrack --ctstate DNAT "
	    "-m comment --comment diyc -j MASQUERADE\n",
	    sub, br);
	add_jumps(c, "nat", b, sizeof(b));
	add(b, sizeof(b), "COMMIT\n");
	return rules_commit(c, b, sizeof(b), e);
}

int rules_remove(const struct netconf *c, struct dc_err *e)
{
	static const char *const chains[][2] = {
	    {"filter", "DIYC-FORWARD"}, {"nat", "DIYC-POSTROUTING"}, {"nat", "DIYC-DNAT"}};
	for (size_t i = 0; i < NJUMPS; i++)
		while (jump_cmd(c, &jumps[i], "-C") == 0 && jump_cmd(c, &jumps[i], "-D") == 0)
			;
	char b[1024] = "";
	for (size_t i = 0; i < 3; i++) {
		if (i == 0 || strcmp(chains[i][0], chains[i - 1][0]))
			add(b, sizeof(b), "%s*%s\n", i ? "COMMIT\n" : "", chains[i][0]);
		if (chain_exists(c, chains[i][0], chains[i][1]))
			add(b, sizeof(b), "-F %s\n-X %s\n", chains[i][1], chains[i][1]);
	}
	add(b, sizeof(b), "COMMIT\n");
	return rules_commit(c, b, sizeof(b), e);
}

/* "-A|-D DIYC-DNAT ..." for every published port, in one nat batch */
int rules_ports(const char *root, bool on, const char *name, uint32_t ip, const char *ports,
		struct dc_err *e)
{
	char b[4096] = "*nat\n", copy[256], addr[32];
	snprintf(copy, sizeof(copy), "%s", ports);
	ip4_str(ip, addr, sizeof(addr));
	for (char *s, *p = strtok_r(copy, ",", &s); p; p = strtok_r(NULL, ",", &s)) {
		unsigned hp, cp;
		char proto[8];
		if (sscanf(p, "%u:%u/%7s", &hp, &cp, proto) != 3)
			continue;
		add(b, sizeof(b),
		    "%s DIYC-DNAT -p %s --dport %u -m comment --comment diyc:%s "
		    "-j DNAT --to-destination %s:%u\n",
		    on ? "-A" : "-D", proto, hp, name, addr, cp);
	}
	add(b, sizeof(b), "COMMIT\n");
	/* the backend net setup chose (the rules must go where its chains are) */
	struct netconf c;
	bool have = netconf_load(root, &c) == 0;
	return rules_commit(have ? &c : NULL, b, sizeof(b), e);
}
