/*
 * Published ports: `-p [IP:]HOST[-HOST2]:CONTAINER[-CONTAINER2][/tcp|/udp]` as docker
 * and podman take it, normalised into "[IP:]H1[-H2]:C1[-C2]/proto" (the form kept in
 * the lease and read back by rules.c and `diyc port`).  A range maps port to port, so
 * both sides have the same length.  A host address must be one of this host's (docker
 * refuses the others too: a DNAT rule for a foreign address would never match).
 * Not taken: a random host port (`-p 80`, `-p IP::80`).
 */
#define _GNU_SOURCE
#include "netsetup/netconf.h"
#include "lib/util.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "N" or "N-M", 1..65535, N <= M */
static bool range(const char *s, unsigned *a, unsigned *b)
{
	char *end;
	if (*s < '0' || *s > '9')
		return false;
	unsigned long x = strtoul(s, &end, 10), y = x;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return false;
		y = strtoul(end + 1, &end, 10);
	}
	if (*end || !x || x > 65535 || y > 65535 || y < x)
		return false;
	*a = (unsigned)x, *b = (unsigned)y;
	return true;
}

static bool local_address(uint32_t a)
{
	struct ifaddrs *ifs, *i;
	bool found = false;
	if (getifaddrs(&ifs) < 0)
		return true; /* cannot tell: the rule decides */
	for (i = ifs; i && !found; i = i->ifa_next)
		found = i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
			ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr) == a;
	freeifaddrs(ifs);
	return found;
}

static int parse_one(const char *arg, struct port_map *m, bool check, struct dc_err *e)
{
	char buf[80], *slash, *colon, *host;
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return -1;
	memset(m, 0, sizeof(*m));
	snprintf(m->proto, sizeof(m->proto), "tcp");
	if ((slash = strchr(buf, '/'))) {
		*slash = '\0';
		if (strcmp(slash + 1, "tcp") && strcmp(slash + 1, "udp"))
			return -1;
		snprintf(m->proto, sizeof(m->proto), "%s", slash + 1);
	}
	if (!(colon = strrchr(buf, ':')))
		return dc_fail(e, 0, "-p '%s': a host port is needed (diyc picks none at random)",
			       arg);
	*colon = '\0';
	if (!range(colon + 1, &m->c1, &m->c2))
		return -1;
	host = strrchr(buf, ':');
	if (host) {
		*host++ = '\0';
		if (!ip4_parse(buf, &m->hip))
			return -1;
		if (check && m->hip && !local_address(m->hip))
			return dc_fail(e, 0, "-p '%s': %s is not an address of this host", arg,
				       buf);
	} else {
		host = buf;
	}
	if (!range(host, &m->h1, &m->h2))
		return -1;
	if (m->h2 - m->h1 != m->c2 - m->c1)
		return dc_fail(e, 0, "-p '%s': the host and container ranges differ in length",
			       arg);
	/* a shifted range is a DNAT rule per port, all in one batch */
	if (m->h1 != m->c1 && m->h2 - m->h1 >= 100)
		return dc_fail(e, 0,
			       "-p '%s': a range mapped to other port numbers is limited to 100 "
			       "ports (the same numbers on both sides are not)",
			       arg);
	return 0;
}

static void port_str(const struct port_map *m, char *out, size_t len)
{
	char ip[32] = "", h[16], c[16];
	if (m->hip)
		snprintf(ip, sizeof(ip), "%s:", ip4_str(m->hip, h, sizeof(h)));
	snprintf(h, sizeof(h), m->h2 > m->h1 ? "%u-%u" : "%u", m->h1, m->h2);
	snprintf(c, sizeof(c), m->c2 > m->c1 ? "%u-%u" : "%u", m->c1, m->c2);
	snprintf(out, len, "%s%s:%s/%s", ip, h, c, m->proto);
}

int net_port_parse(const char *arg, char *out, size_t len, struct dc_err *e)
{
	struct port_map m;
	e->msg[0] = '\0';
	if (parse_one(arg, &m, true, e) < 0) {
		if (!e->msg[0])
			dc_fail(e, 0,
				"invalid -p '%s' ([IP:]HOST[-HOST2]:CONTAINER[-CONTAINER2]"
				"[/tcp|/udp])",
				arg);
		return -1;
	}
	port_str(&m, out, len);
	return 0;
}

int ports_split(const char *list, struct port_map *m, int max)
{
	char copy[512];
	int n = 0;
	struct dc_err e;
	snprintf(copy, sizeof(copy), "%s", list);
	for (char *s, *p = strtok_r(copy, ",", &s); p && n < max; p = strtok_r(NULL, ",", &s))
		if (strcmp(p, "-") && parse_one(p, &m[n], false, &e) == 0)
			n++;
	return n;
}

bool port_clash(const struct port_map *a, const struct port_map *b)
{
	return !strcmp(a->proto, b->proto) && (!a->hip || !b->hip || a->hip == b->hip) &&
	       a->h1 <= b->h2 && b->h1 <= a->h2;
}

int net_ports_print(const char *root, const char *name, FILE *out)
{
	struct net_info ni;
	struct port_map m[64];
	char ip[32];
	if (!net_info(root, name, &ni))
		return 0;
	int k = ports_split(ni.ports, m, 64);
	for (int j = 0; j < k; j++)
		for (unsigned p = 0; p <= m[j].h2 - m[j].h1; p++)
			fprintf(out, "%u/%s -> %s:%u\n", m[j].c1 + p, m[j].proto,
				ip4_str(m[j].hip, ip, sizeof(ip)), m[j].h1 + p);
	return 1;
}

int net_ports_rules(const char *list)
{
	struct port_map m[64];
	int k = ports_split(list, m, 64), n = 0;
	for (int i = 0; i < k; i++)
		n += m[i].h1 == m[i].c1 ? 1 : (int)(m[i].h2 - m[i].h1 + 1);
	return n;
}
