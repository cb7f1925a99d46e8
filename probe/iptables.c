/*
 * Which iptables backend can program this kernel.  Debian's iptables package has
 * two: iptables-nft (the default, speaking nf_tables) and iptables-legacy (the
 * xtables socket interface).  A kernel may take one and refuse the other: 4.4's
 * nf_tables refuses what Debian 12's iptables-nft sends ("TABLE_ADD failed: table
 * nat") while iptables-legacy works; a kernel built without nf_tables takes only
 * legacy.  Reading the kernel's configuration cannot tell (in 4.4 several nf_tables
 * expressions are separate options), so each backend found is run for real: the
 * kinds of rules `diyc net setup` and -p write (user chains, conntrack, addrtype,
 * comment, MASQUERADE, DNAT, a jump inserted into FORWARD) go to a private network
 * namespace that dies with the test, so the host's tables are never touched.
 *
 * Profile: network.iptables_nft and network.iptables_legacy (checks, with the
 * binary as "restore"), network.iptables_usable (nft, legacy, both, none),
 * network.iptables_backend (the one diyc uses: the system's default `iptables` when
 * it works, else the other), network.iptables and network.iptables_restore (its
 * binaries) and the check network.iptables_nat.
 */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "lib/pfacts.h"
#include "lib/spawn.h"
#include "lib/util.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The rule kinds diyc writes, on TEST-NET-1 addresses, in a network namespace of its own. */
static const char test_rules[] =
    "*filter\n"
    ":DIYC-PROBE - [0:0]\n"
    "-A DIYC-PROBE -o lo -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "
    "diyc-probe -j ACCEPT\n"
    "-I FORWARD 1 -m comment --comment diyc-probe -j DIYC-PROBE\n"
    "COMMIT\n"
    "*nat\n"
    ":DIYC-PROBE-POST - [0:0]\n"
    ":DIYC-PROBE-DNAT - [0:0]\n"
    "-A DIYC-PROBE-POST -s 192.0.2.0/24 ! -o lo -m conntrack --ctstate DNAT -j MASQUERADE\n"
    "-A DIYC-PROBE-DNAT -p tcp --dport 9 -j DNAT --to-destination 192.0.2.1:9\n"
    "-I POSTROUTING 1 -j DIYC-PROBE-POST\n"
    "-I PREROUTING 1 -m addrtype --dst-type LOCAL -j DIYC-PROBE-DNAT\n"
    "COMMIT\n";

/* iptables-NAME-restore, or the plain iptables-restore when it is that backend. */
static void find_backend(struct ipt_backend *b, const char *plain_variant)
{
	char name[64];
	snprintf(name, sizeof(name), "iptables-%s-restore", b->name);
	bool r = find_tool(name, b->restore, sizeof(b->restore));
	snprintf(name, sizeof(name), "iptables-%s", b->name);
	bool i = find_tool(name, b->ipt, sizeof(b->ipt));
	if (!(r && i) && plain_variant && !strcmp(plain_variant, b->name)) {
		r = find_tool("iptables-restore", b->restore, sizeof(b->restore));
		i = find_tool("iptables", b->ipt, sizeof(b->ipt));
	}
	b->found = r && i;
}

/* "nft" or "legacy": what the plain `iptables` in the search path is; NULL if unknown. */
static const char *plain_variant(char *path, size_t len)
{
	char real[PATH_MAX];
	if (!find_tool("iptables", path, len) || !realpath(path, real))
		return NULL;
	if (strstr(real, "nft"))
		return "nft";
	if (strstr(real, "legacy"))
		return "legacy";
	return NULL;
}

void ipt_not_run(struct ipt_result *r, const char *why)
{
	for (int i = 0; i < IPT_NBACKENDS; i++) {
		r->rc[i] = -2;
		snprintf(r->err[i], sizeof(r->err[i]), "%s", why);
	}
}

/* In the test process, already in its private network namespace: both backends at once. */
void ipt_start(const struct ipt_plan *p, struct ipt_result *r, struct spawned *s)
{
	for (int i = 0; i < IPT_NBACKENDS; i++) {
		const struct ipt_backend *b = &p->b[i];
		char *argv[] = {(char *)b->restore, "--noflush", "-w", NULL};
		int e = b->test ? spawn_start(argv, test_rules, &s[i]) : -ENOENT;
		if (b->test && e < 0)
			snprintf(r->err[i], sizeof(r->err[i]), "%s: %s", b->restore, strerror(-e));
		r->rc[i] = e < 0 ? -2 : -1;
	}
}

/* Their exit status and the line of stderr that says why. */
void ipt_collect(struct ipt_result *r, struct spawned *s)
{
	for (int i = 0; i < IPT_NBACKENDS; i++) {
		char text[2048];
		if (r->rc[i] == -2)
			continue;
		r->rc[i] = spawn_wait(&s[i], text, sizeof(text));
		tool_error_line(text, r->err[i], sizeof(r->err[i]));
	}
}

static void backend_check(struct probe_ctx *c, const struct ipt_backend *b, int rc, const char *err,
			  bool ran, const char *why)
{
	struct dc_check k;
	dc_check_init(&k, "syscall", NULL);
	k.enabled = DC_YES;
	if (!c->live) {
		dc_check_evidence(&k, "not tested (--sysroot)");
	} else if (!b->found) {
		k.status = k.usable = DC_NO;
		dc_check_evidence(&k, "no iptables-%s-restore in PATH or the sbin directories",
				  b->name);
		dc_check_hint(&k, "install Debian's iptables package (make deps)");
	} else if (!b->test) {
		dc_check_evidence(&k, "%s; module %s not loaded: not tested", b->restore,
				  b->module);
		dc_check_hint(&k, "diyc-probe --load-modules tests it");
	} else if (!ran) {
		dc_check_evidence(&k, "%s: %s", b->restore, why);
	} else if (rc == 0) {
		k.status = k.usable = k.compiled = DC_YES;
		dc_check_evidence(&k, "%s programmed nat and filter rules in a private netns",
				  b->restore);
	} else {
		k.status = k.usable = DC_NO;
		dc_check_evidence(&k, "%s exit %d: %s", b->restore, rc,
				  err[0] ? err : "no message");
		dc_check_hint(&k, "this kernel's netfilter refuses what iptables-%s sends%s",
			      b->name, !strcmp(b->name, "nft") ? ": iptables-legacy may work" : "");
	}
	json_object *o =
	    dc_fact_add_check(c->prof, !strcmp(b->name, "nft") ? F_IPT_NFT : F_IPT_LEGACY, &k);
	if (b->found)
		json_object_object_add(o, "restore", json_object_new_string(b->restore));
}

/* The backend diyc uses: the system default when it works, else any that works. */
static int choose(const struct ipt_backend *b, const int *rc, const char *dflt, bool ran)
{
	int pick = -1;
	for (int i = 0; i < IPT_NBACKENDS; i++)
		if (ran && b[i].test && rc[i] == 0 &&
		    (pick < 0 || (dflt && !strcmp(dflt, b[i].name))))
			pick = i;
	return pick;
}

static void nat_check(struct probe_ctx *c, const struct ipt_backend *b, int pick, bool all_known)
{
	struct dc_check k;
	dc_check_init(&k, c->live ? "syscall" : "config", NULL);
	k.enabled = DC_YES;
	kopt_evidence(c, &k, "NF_NAT");
	if (pick >= 0) {
		k.status = k.usable = k.compiled = DC_YES;
		dc_check_evidence(&k, "through iptables-%s", b[pick].name);
	} else if (all_known) {
		k.status = k.usable = DC_NO;
		dc_check_evidence(&k, "no iptables backend programs this kernel");
		dc_check_hint(&k, "%s",
			      b[IPT_NFT].found || b[IPT_LEGACY].found
				  ? "the kernel lacks the NAT support both iptables "
				    "backends need (CONFIG_NF_NAT, IP_NF_NAT or NFT_NAT)"
				  : "install iptables (make deps)");
	} else {
		k.status = k.usable = DC_UNKNOWN;
		dc_check_evidence(&k, "iptables backends not tested");
	}
	dc_profile_add_check(c->prof, "network.iptables_nat", &k);
}

/* In the parent: which binaries exist, and which of them to try. */
void ipt_plan(struct probe_ctx *c, struct ipt_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->b[IPT_NFT] = (struct ipt_backend){.name = "nft", .module = "nf_tables"};
	p->b[IPT_LEGACY] = (struct ipt_backend){.name = "legacy", .module = "iptable_nat"};
	p->dflt = c->live ? plain_variant(p->plain, sizeof(p->plain)) : NULL;
	for (int i = 0; c->live && i < IPT_NBACKENDS; i++) {
		struct ipt_backend *b = &p->b[i];
		find_backend(b, p->dflt);
		/* a backend whose kernel side is a module nobody loaded is not loaded for it */
		b->test = b->found && strcmp(module_state(c, b->module), "loadable");
		p->any |= b->test;
	}
}

/* In the parent: the verdicts.  RAN: the test process reported (else WHY says why). */
void ipt_report(struct probe_ctx *c, const struct ipt_plan *p, const struct ipt_result *r, bool ran,
		const char *why)
{
	const struct ipt_backend *b = p->b;
	ran = ran && p->any;
	for (int i = 0; i < IPT_NBACKENDS; i++)
		backend_check(c, &b[i], r->rc[i], r->err[i], ran, why);

	int pick = choose(b, r->rc, p->dflt, ran);
	/* every backend either missing or run: the verdict "none" is measured, not guessed */
	bool all_known = c->live && (!b[IPT_NFT].found || (ran && b[IPT_NFT].test)) &&
			 (!b[IPT_LEGACY].found || (ran && b[IPT_LEGACY].test));
	const char *usable = NULL;
	if (all_known || pick >= 0) {
		bool n = ran && b[IPT_NFT].test && r->rc[IPT_NFT] == 0;
		bool l = ran && b[IPT_LEGACY].test && r->rc[IPT_LEGACY] == 0;
		usable = n && l ? "both" : n ? "nft" : l ? "legacy" : "none";
	}
	dc_profile_set_str(c->prof, "network", "iptables_usable", usable);
	dc_fact_set_str(c->prof, F_IPT_BACKEND,
			pick >= 0 ? b[pick].name : (all_known ? "none" : NULL));
	dc_fact_set_str(c->prof, F_IPT, pick >= 0 ? b[pick].ipt : NULL);
	dc_fact_set_str(c->prof, F_IPT_RESTORE, pick >= 0 ? b[pick].restore : NULL);
	nat_check(c, b, pick, all_known);
}
