/*
 * Address leases of bridged containers: DATA_ROOT/net/leases, one line
 * "ADDRESS NAME PORTS HOSTIF" per container (PORTS "-" or "8080:80/tcp,...", HOSTIF
 * the host end of its veth), read and
 * rewritten under an flock of the file, so concurrent `diyc run`s never hand out
 * the same address or host port.  `diyc gc` releases the leases of dead containers.
 */
#define _GNU_SOURCE
#include "netsetup/netconf.h"

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
	mkdir(p, 0700);
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
		char ip[32], name[64], ports[256], hif[20] = "-";
		if (sscanf(line, "%31s %63s %255s %19s", ip, name, ports, hif) < 3 ||
		    !ip4_parse(ip, &l[k].ip))
			continue;
		snprintf(l[k].name, sizeof(l[k].name), "%s", name);
		snprintf(l[k].ports, sizeof(l[k].ports), "%s", ports);
		snprintf(l[k].host_if, sizeof(l[k].host_if), "%s", hif);
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
		fprintf(f, "%s %s %s %s\n", ip4_str(l[i].ip, ip, sizeof(ip)), l[i].name, l[i].ports,
			l[i].host_if);
	return fclose(f) == 0 ? 0 : -1;
}

/* host port P/proto of a ports list "H:C/p,..." */
static bool port_taken(const char *ports, const char *hp)
{
	char want[32];
	snprintf(want, sizeof(want), "%s", hp);
	char *colon = strchr(want, ':'), *slash = strchr(want, '/');
	if (!colon || !slash)
		return false;
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", ports);
	for (char *save, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		char *pc = strchr(p, ':'), *ps = strchr(p, '/');
		if (pc && ps && pc - p == colon - want &&
		    !strncmp(p, want, (size_t)(colon - want)) && !strcmp(ps, slash))
			return true;
	}
	return false;
}

int ipam_alloc(const char *root, const struct netconf *c, const char *name, uint32_t want,
	       const char *ports, const char *host_if, uint32_t *out, struct dc_err *e)
{
	static struct lease l[MAX_LEASES];
	int fd = lock_leases(root);
	if (fd < 0)
		return dc_fail(e, errno, "cannot lock the address leases");
	int n = read_leases(fd, l, MAX_LEASES), r = -1;
	uint32_t mask = ~0u << (32 - c->prefix), bcast = c->net | ~mask;
	char ip[32];
	if (n < 0) {
		dc_fail(e, 0, "cannot read the address leases");
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (!strcmp(l[i].name, name)) {
			dc_fail(e, 0, "container %s already holds %s", name,
				ip4_str(l[i].ip, ip, sizeof(ip)));
			goto out;
		}
	if (ports && strcmp(ports, "-")) {
		char copy[256];
		snprintf(copy, sizeof(copy), "%s", ports);
		for (char *s, *p = strtok_r(copy, ",", &s); p; p = strtok_r(NULL, ",", &s))
			for (int i = 0; i < n; i++)
				if (port_taken(l[i].ports, p)) {
					dc_fail(e, 0,
						"host port of -p %s is already published by %s", p,
						l[i].name);
					goto out;
				}
	}
	uint32_t a = 0;
	if (want) {
		if ((want & mask) != c->net || want == c->net || want == c->gw || want == bcast) {
			char net[32];
			dc_fail(e, 0, "--ip %s is not a free host address of %s/%d",
				ip4_str(want, ip, sizeof(ip)), ip4_str(c->net, net, sizeof(net)),
				c->prefix);
			goto out;
		}
		a = want;
	}
	for (uint32_t cand = want ? want : c->gw + 1; cand < bcast; cand++) {
		bool used = false;
		for (int i = 0; i < n && !used; i++)
			used = l[i].ip == cand;
		if (!used) {
			a = cand;
			break;
		}
		if (want) {
			dc_fail(e, 0, "--ip %s is taken", ip4_str(want, ip, sizeof(ip)));
			goto out;
		}
		a = 0;
	}
	if (!a || n >= MAX_LEASES) {
		dc_fail(e, 0, "no free address left in the subnet");
		goto out;
	}
	l[n].ip = a;
	snprintf(l[n].name, sizeof(l[n].name), "%s", name);
	snprintf(l[n].ports, sizeof(l[n].ports), "%s", ports && *ports ? ports : "-");
	snprintf(l[n].host_if, sizeof(l[n].host_if), "%s", host_if);
	if (write_leases(fd, l, n + 1) < 0) {
		dc_fail(e, errno, "cannot write the address leases");
		goto out;
	}
	*out = a;
	r = 0;
out:
	close(fd);
	return r;
}

int ipam_release(const char *root, const char *name)
{
	static struct lease l[MAX_LEASES];
	int fd = lock_leases(root);
	if (fd < 0)
		return -1;
	int n = read_leases(fd, l, MAX_LEASES), k = 0;
	for (int i = 0; i < n; i++)
		if (strcmp(l[i].name, name))
			l[k++] = l[i];
	int r = k == n ? 0 : write_leases(fd, l, k);
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

int ipam_count(const char *root)
{
	static struct lease l[MAX_LEASES];
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/net/leases", root);
	if (access(p, F_OK) < 0)
		return 0;
	int n = ipam_list(root, l, MAX_LEASES);
	return n < 0 ? 0 : n;
}
