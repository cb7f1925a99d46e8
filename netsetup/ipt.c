/*
 * iptables, run as a program without a shell (lib/spawn.c): rule changes go through
 * one batched `iptables-restore --noflush` (atomic per table).  Which binary: the
 * one the network configuration names, i.e. the backend the probe found able to
 * program this kernel (a 4.4 kernel takes iptables-legacy but not Debian's default
 * iptables-nft), recorded by `diyc net setup` so that every later rule, and `net
 * clean`, goes through the same backend.  Used by `diyc net setup/clean` and for
 * published ports; never to create a container's veth (that is rtnetlink).
 */
#define _GNU_SOURCE
#include "netconf.h"
#include "spawn.h"

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

int ipt_restore(const struct netconf *c, const char *rules, char *why, size_t len)
{
	char *argv[] = {
	    (char *)tool("DIYC_IPTABLES_RESTORE", c ? c->ipt_restore : NULL, "iptables-restore"),
	    "--noflush", "-w", NULL};
	char err[2048] = "", line[400];
	int r = spawn_run(argv, rules, err, sizeof(err));
	if (r == 0)
		return 0;
	tool_error_line(err, line, sizeof(line));
	snprintf(why, len, "%s failed (%d): %s", argv[0], r, line[0] ? line : "no message");
	return -1;
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
