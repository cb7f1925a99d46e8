/*
 * Named networks (`diyc network create|ls|inspect|rm`), as docker's and podman's
 * user-defined bridge networks: each is its own bridge and subnet, with its own
 * dnsmasq; containers on two networks cannot reach each other (rules.c), an
 * --internal one has no route out.  The default network "bridge" (diyc0) is made by
 * `diyc net setup` and listed here like the others.
 * A name becomes a file name (DATA_ROOT/net/networks/NAME) and, when short, part of
 * the bridge's: [A-Za-z0-9][A-Za-z0-9_-]*, at most DC_NETNAME_MAX; the bridge is
 * diyc-NAME for names up to 10 characters (IFNAMSIZ), else diyc- and 8 hex digits of
 * a hash of the name.
 */
#define _GNU_SOURCE
#include "netsetup/netconf.h"
#include "lib/util.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int net_name_check(const char *name, struct dc_err *e)
{
	static const char *const reserved[] = {DC_NET_DEFAULT, "none", "host", "default"};
	size_t n = strlen(name);
	if (!n || n > DC_NETNAME_MAX ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_-") != n ||
	    name[0] == '-' || name[0] == '_')
		return dc_fail(e, 0,
			       "invalid network name '%s' (letters, digits, '_' and '-', starting "
			       "with a letter or digit, at most %d)",
			       name, DC_NETNAME_MAX);
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (!strcmp(name, reserved[i]))
			return dc_fail(e, 0, "'%s' is reserved%s", name,
				       i == 0 ? ": it is the default network (diyc net setup)"
					      : "");
	return 0;
}

/* NAME's configuration, its name checked before it becomes a path: 0 or -1 */
static int load_named(const char *root, const char *name, struct netconf *c)
{
	struct dc_err e;
	if (strcmp(name, DC_NET_DEFAULT) && net_name_check(name, &e) < 0)
		return -1;
	return netconf_load(root, name, c) == 0 ? 0 : -1;
}

bool net_exists(const char *root, const char *name)
{
	struct netconf c;
	return load_named(root, name, &c) == 0;
}

static void bridge_name(const char *name, char *out, size_t len)
{
	if (strlen(name) <= 10) {
		snprintf(out, len, "diyc-%s", name);
		return;
	}
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(out, len, "diyc-%08x", h);
}

/* The first 10.204.N.0/24 no network overlaps. */
static int free_subnet(const char *root, struct netconf *c, struct dc_err *e)
{
	static struct netconf all[MAX_NETWORKS];
	int n = netconf_list(root, all, MAX_NETWORKS);
	char s[32];
	for (int i = 0; i < 256; i++) {
		snprintf(s, sizeof(s), "10.204.%d.0/24", i);
		if (netconf_parse_subnet(s, c, e) < 0)
			return -1;
		bool used = false;
		for (int j = 0; j < n && !used; j++)
			used = netconf_overlap(&all[j], c);
		if (!used)
			return 0;
	}
	return dc_fail(e, 0, "no free subnet in 10.204.0.0/16: give one with --subnet");
}

int net_create(const char *root, const char *name, const char *subnet, bool internal,
	       const struct dc_profile *prof, FILE *out, struct dc_err *e)
{
	struct netconf c;
	char ip[32];
	if (net_name_check(name, e) < 0)
		return -1;
	if (net_exists(root, name))
		return dc_fail(e, 0, "network %s already exists", name);
	if ((subnet ? netconf_parse_subnet(subnet, &c, e) : free_subnet(root, &c, e)) < 0)
		return -1;
	snprintf(c.name, sizeof(c.name), "%s", name);
	bridge_name(name, c.bridge, sizeof(c.bridge));
	c.internal = internal;
	if (if_nametoindex(c.bridge))
		return dc_fail(e, 0, "an interface %s already exists", c.bridge);
	if (net_up(root, &c, prof, e) < 0)
		return -1;
	fprintf(out, "%s: bridge %s %s/%d%s%s\n", name, c.bridge, ip4_str(c.net, ip, sizeof(ip)),
		c.prefix, internal ? ", internal" : "", c.dns ? ", DNS" : "");
	return 0;
}

int net_remove(const char *root, const char *name, struct dc_err *e)
{
	if (!strcmp(name, DC_NET_DEFAULT))
		return dc_fail(e, 0, "the default network is removed by diyc net clean");
	if (!net_exists(root, name))
		return dc_fail(e, 0, "no network %s", name);
	return net_down(root, name, e);
}

void net_list(const char *root, FILE *out)
{
	static struct netconf all[MAX_NETWORKS];
	char ip[32], sub[40];
	int n = netconf_list(root, all, MAX_NETWORKS);
	fprintf(out, "%-20s %-14s %-18s %-9s %-10s %s\n", "NAME", "BRIDGE", "SUBNET", "INTERNAL",
		"CONTAINERS", "DNS");
	for (int i = 0; i < n; i++) {
		const struct netconf *c = &all[i];
		snprintf(sub, sizeof(sub), "%s/%d", ip4_str(c->net, ip, sizeof(ip)), c->prefix);
		fprintf(out, "%-20s %-14s %-18s %-9s %-10d %s\n", c->name, c->bridge, sub,
			c->internal ? "yes" : "no", ipam_count(root, c->name),
			!c->dns			 ? "off"
			: dns_pid(root, c->name) ? "running"
						 : "DEAD");
	}
}

/* "a,b" as a JSON array */
static void json_list(FILE *out, const char *csv)
{
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", strcmp(csv, "-") ? csv : "");
	fputc('[', out);
	int k = 0;
	for (char *s, *p = strtok_r(copy, ",", &s); p; p = strtok_r(NULL, ",", &s))
		fprintf(out, "%s\"%s\"", k++ ? ", " : "", p);
	fputc(']', out);
}

int net_inspect(const char *root, const char *name, FILE *out, struct dc_err *e)
{
	static struct lease l[4096];
	struct netconf c;
	char ip[32], gw[32];
	if (load_named(root, name, &c) < 0)
		return dc_fail(e, 0, "no network %s", name);
	pid_t pid = c.dns ? dns_pid(root, name) : 0;
	fprintf(out,
		"{\n  \"name\": \"%s\",\n  \"bridge\": \"%s\",\n  \"subnet\": \"%s/%d\",\n"
		"  \"gateway\": \"%s\",\n  \"internal\": %s,\n  \"dns\": {\"server\": %s, "
		"\"state\": \"%s\", \"pid\": %d, \"upstream\": \"%s\"},\n  \"containers\": {",
		c.name, c.bridge, ip4_str(c.net, ip, sizeof(ip)), c.prefix,
		ip4_str(c.gw, gw, sizeof(gw)), c.internal ? "true" : "false",
		c.dns ? "\"dnsmasq\"" : "null",
		!c.dns ? "off"
		: pid  ? "running"
		       : "dead",
		(int)pid, c.internal || !c.dns ? "" : net_upstream_resolv());
	int n = ipam_list(root, l, 4096), k = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(l[i].net, name))
			continue;
		fprintf(out,
			"%s\n    \"%s\": {\"address\": \"%s\", \"interface\": \"%s\", \"ports\": ",
			k++ ? "," : "", l[i].name, ip4_str(l[i].ip, ip, sizeof(ip)), l[i].host_if);
		json_list(out, l[i].ports);
		fprintf(out, ", \"aliases\": ");
		json_list(out, l[i].aliases);
		fputc('}', out);
	}
	fprintf(out, "%s}\n}\n", k ? "\n  " : "");
	return 0;
}
