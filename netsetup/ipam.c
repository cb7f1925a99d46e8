/*
 * Address leases of bridged containers, all networks in one file so that a host
 * port is checked against every network: DATA_ROOT/net/leases, one line
 * "ADDRESS NAME PORTS HOSTIF NETWORK ALIASES" per container (PORTS "-" or
 * "8080:80/tcp,127.0.0.1:9000-9001:90-91/udp", HOSTIF the host end of its veth,
 * ALIASES "-" or "a,b"; a line of an older diyc has only the first four: the
 * default network, no alias), read and rewritten under an flock of the file, so
 * concurrent `diyc run`s never hand out the same address or host port.  The
 * network's DNS hosts file is rewritten under the same lock (dns.c), so it always
 * matches.  `diyc gc` releases the leases of dead containers.
 */
#define _GNU_SOURCE
#include "netsetup/netconf.h"
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LEASES 4096

static int lock_leases(const char *root)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/net", root);
	mkdir(p, 0711);
	snprintf(p, sizeof(p), "%s/net/leases", root);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* read every lease from the locked file */
static int read_leases(int fd, struct lease *l, int max)
{
	char buf[MAX_LEASES * 64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	int k = 0;
	for (char *line = strtok(buf, "\n"); line && k < max; line = strtok(NULL, "\n")) {
		char ip[32], name[72], ports[256], hif[20] = "-", net[40] = DC_NET_DEFAULT,
						   alias[160] = "-";
		if (sscanf(line, "%31s %71s %255s %19s %39s %159s", ip, name, ports, hif, net,
			   alias) < 3 ||
		    !ip4_parse(ip, &l[k].ip))
			continue;
		snprintf(l[k].name, sizeof(l[k].name), "%s", name);
		snprintf(l[k].ports, sizeof(l[k].ports), "%s", ports);
		snprintf(l[k].host_if, sizeof(l[k].host_if), "%s", hif);
		snprintf(l[k].net, sizeof(l[k].net), "%s", net);
		snprintf(l[k].aliases, sizeof(l[k].aliases), "%s", alias);
		k++;
	}
	return k;
}

static int write_leases(int fd, const struct lease *l, int n)
{
	char ip[32];
	if (ftruncate(fd, 0) < 0)
		return -1;
	FILE *f = fdopen(dup(fd), "w");
	if (!f)
		return -1;
	for (int i = 0; i < n; i++)
		fprintf(f, "%s %s %s %s %s %s\n", ip4_str(l[i].ip, ip, sizeof(ip)), l[i].name,
			l[i].ports, l[i].host_if, l[i].net, l[i].aliases);
	return fclose(f) == 0 ? 0 : -1;
}

/* The lease holding a host port of PORTS, or NULL; which mapping in *what. */
static const struct lease *port_holder(const struct lease *l, int n, const char *ports, char *what,
				       size_t len)
{
	struct port_map want[64], have[64];
	int k = ports_split(ports, want, 64);
	for (int i = 0; i < n; i++) {
		int h = ports_split(l[i].ports, have, 64);
		for (int a = 0; a < k; a++)
			for (int b = 0; b < h; b++)
				if (port_clash(&want[a], &have[b])) {
					snprintf(what, len, "%u/%s",
						 want[a].h1 > have[b].h1 ? want[a].h1 : have[b].h1,
						 want[a].proto);
					return &l[i];
				}
	}
	return NULL;
}

/* The lowest free address of c's network, or WANT when free; 0 and e filled if none. */
static uint32_t pick(const struct netconf *c, const struct lease *l, int n, uint32_t want,
		     struct dc_err *e)
{
	uint32_t mask = ~0u << (32 - c->prefix), bcast = c->net | ~mask;
	char ip[32], net[32];
	if (want && ((want & mask) != c->net || want == c->net || want == c->gw || want == bcast)) {
		dc_fail(e, 0, "--ip %s is not a free host address of %s/%d",
			ip4_str(want, ip, sizeof(ip)), ip4_str(c->net, net, sizeof(net)),
			c->prefix);
		return 0;
	}
	for (uint32_t cand = want ? want : c->gw + 1; cand < bcast; cand++) {
		bool used = false;
		for (int i = 0; i < n && !used; i++)
			used = l[i].ip == cand && !strcmp(l[i].net, c->name);
		if (!used)
			return cand;
		if (want) {
			dc_fail(e, 0, "--ip %s is taken", ip4_str(want, ip, sizeof(ip)));
			return 0;
		}
	}
	dc_fail(e, 0, "no free address left in network %s", c->name);
	return 0;
}

int ipam_alloc(const char *root, const struct netconf *c, const struct lease *want, uint32_t *out,
	       struct dc_err *e)
{
	static struct lease l[MAX_LEASES];
	char ip[32], what[32];
	int fd = lock_leases(root);
	if (fd < 0)
		return dc_fail(e, errno, "cannot lock the address leases");
	int n = read_leases(fd, l, MAX_LEASES), r = -1;
	const struct lease *h;
	uint32_t a = 0;
	if (n < 0) {
		dc_fail(e, 0, "cannot read the address leases");
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (!strcmp(l[i].name, want->name)) {
			dc_fail(e, 0, "container %s already holds %s", want->name,
				ip4_str(l[i].ip, ip, sizeof(ip)));
			goto out;
		}
	if ((h = port_holder(l, n, want->ports, what, sizeof(what)))) {
		dc_fail(e, 0, "host port %s is already published by %s", what, h->name);
		goto out;
	}
	if (!(a = pick(c, l, n, want->ip, e)))
		goto out;
	if (n >= MAX_LEASES) {
		dc_fail(e, 0, "too many leases");
		goto out;
	}
	l[n] = *want;
	l[n].ip = a;
	snprintf(l[n].net, sizeof(l[n].net), "%s", c->name);
	if (write_leases(fd, l, n + 1) < 0) {
		dc_fail(e, errno, "cannot write the address leases");
		goto out;
	}
	if (dns_hosts_write(root, c->name, l, n + 1) < 0)
		dc_warn("cannot write the hosts file of network %s", c->name);
	*out = a;
	r = 0;
out:
	close(fd);
	return r;
}

int ipam_release(const char *root, const char *name, char *net, size_t len)
{
	static struct lease l[MAX_LEASES];
	int fd = lock_leases(root);
	if (fd < 0)
		return -1;
	int n = read_leases(fd, l, MAX_LEASES), k = 0;
	if (len)
		net[0] = '\0';
	for (int i = 0; i < n; i++)
		if (strcmp(l[i].name, name))
			l[k++] = l[i];
		else if (len)
			snprintf(net, len, "%s", l[i].net);
	int r = k == n ? 0 : write_leases(fd, l, k);
	if (k != n && len && dns_hosts_write(root, net, l, k) < 0)
		dc_warn("cannot write the hosts file of network %s", net);
	close(fd);
	return r;
}

int ipam_list(const char *root, struct lease *l, int max)
{
	int fd = lock_leases(root);
	if (fd < 0)
		return -1;
	int n = read_leases(fd, l, max);
	close(fd);
	return n;
}

int ipam_count(const char *root, const char *net)
{
	static struct lease l[MAX_LEASES];
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/net/leases", root);
	if (access(p, F_OK) < 0)
		return 0;
	int n = ipam_list(root, l, MAX_LEASES), k = 0;
	for (int i = 0; i < n; i++)
		k += !net || !strcmp(l[i].net, net);
	return k;
}

int net_info(const char *root, const char *name, struct net_info *out)
{
	static struct lease l[MAX_LEASES];
	char p[PATH_MAX];
	memset(out, 0, sizeof(*out));
	snprintf(p, sizeof(p), "%s/net/leases", root);
	if (access(p, F_OK) < 0)
		return 0;
	int n = ipam_list(root, l, MAX_LEASES);
	for (int i = 0; i < n; i++) {
		if (strcmp(l[i].name, name))
			continue;
		ip4_str(l[i].ip, out->ip, sizeof(out->ip));
		snprintf(out->network, sizeof(out->network), "%s", l[i].net);
		snprintf(out->host_if, sizeof(out->host_if), "%s", l[i].host_if);
		snprintf(out->ports, sizeof(out->ports), "%s",
			 strcmp(l[i].ports, "-") ? l[i].ports : "");
		snprintf(out->aliases, sizeof(out->aliases), "%s",
			 strcmp(l[i].aliases, "-") ? l[i].aliases : "");
		return 1;
	}
	return 0;
}
