/*
 * The networks' configuration files and IPv4 address helpers.  The default network
 * keeps the file it always had (DATA_ROOT/net/config, so a setup made by an older
 * diyc stays valid); named networks live in DATA_ROOT/net/networks/NAME, a name
 * checked by net_create before it becomes a path.
 */
#define _GNU_SOURCE
#include "netsetup/netconf.h"
#include "lib/util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

bool ip4_parse(const char *s, uint32_t *a)
{
	struct in_addr in;
	if (inet_pton(AF_INET, s, &in) != 1)
		return false;
	*a = ntohl(in.s_addr);
	return true;
}

const char *ip4_str(uint32_t a, char *buf, size_t len)
{
	struct in_addr in = {htonl(a)};
	return inet_ntop(AF_INET, &in, buf, (socklen_t)len) ? buf : "?";
}

int netconf_parse_subnet(const char *s, struct netconf *c, struct dc_err *e)
{
	char ip[32];
	const char *slash = strchr(s, '/');
	char *end;
	if (!slash || (size_t)(slash - s) >= sizeof(ip)) {
		return dc_fail(e, 0, "invalid subnet '%s' (example: %s)", s, DC_SUBNET_DEFAULT);
	}
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	long p = strtol(slash + 1, &end, 10);
	uint32_t a;
	if (*end || end == slash + 1 || p < 8 || p > 30 || !ip4_parse(ip, &a)) {
		return dc_fail(e, 0, "invalid subnet '%s' (a network A.B.C.D/N, N from 8 to 30)",
			       s);
	}
	uint32_t mask = ~0u << (32 - p);
	if (a & ~mask) {
		return dc_fail(e, 0, "invalid subnet '%s': host bits set (did you mean %s/%ld?)", s,
			       ip4_str(a & mask, ip, sizeof(ip)), p);
	}
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", DC_NET_DEFAULT);
	snprintf(c->bridge, sizeof(c->bridge), "%s", DC_BRIDGE);
	c->net = a;
	c->prefix = (int)p;
	c->gw = a + 1;
	return 0;
}

bool netconf_overlap(const struct netconf *a, const struct netconf *b)
{
	int p = a->prefix < b->prefix ? a->prefix : b->prefix;
	uint32_t mask = ~0u << (32 - p);
	return (a->net & mask) == (b->net & mask);
}

static int conf_path(const char *root, const char *name, char *p, size_t len)
{
	if (!strcmp(name, DC_NET_DEFAULT))
		return fmt(p, len, "%s/net/config", root);
	return fmt(p, len, "%s/net/networks/%s", root, name);
}

/* The value of "KEY=value\n" in text, or "" */
static void conf_value(const char *text, const char *key, char *out, size_t len)
{
	size_t k = strlen(key);
	for (const char *l = text; *l;) {
		size_t end = strcspn(l, "\n");
		if (end > k && !strncmp(l, key, k) && l[k] == '=') {
			snprintf(out, len, "%.*s", (int)(end - k - 1), l + k + 1);
			return;
		}
		l += end + (l[end] == '\n');
	}
	snprintf(out, len, "%s", "");
}

int netconf_load(const char *root, const char *name, struct netconf *c)
{
	char p[4096], buf[1024], subnet[64], v[16];
	struct dc_err e;
	if (conf_path(root, name, p, sizeof(p)) < 0)
		return -ENAMETOOLONG;
	ssize_t n = read_file(p, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	conf_value(buf, "subnet", subnet, sizeof(subnet));
	if (!subnet[0] || netconf_parse_subnet(subnet, c, &e) < 0)
		return -EINVAL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	conf_value(buf, "bridge", c->bridge, sizeof(c->bridge));
	if (!c->bridge[0])
		snprintf(c->bridge, sizeof(c->bridge), "%s", DC_BRIDGE);
	c->fwd_was_on = !strstr(buf, "forward_was=0");
	c->internal = strstr(buf, "internal=1") != NULL;
	conf_value(buf, "dns", v, sizeof(v));
	c->dns = !strcmp(v, "dnsmasq");
	/* written by setup since the iptables backend became a choice; absent before */
	conf_value(buf, "iptables_backend", c->ipt_backend, sizeof(c->ipt_backend));
	conf_value(buf, "iptables", c->ipt, sizeof(c->ipt));
	conf_value(buf, "iptables_restore", c->ipt_restore, sizeof(c->ipt_restore));
	return 0;
}

int netconf_save(const char *root, const struct netconf *c)
{
	char p[4096], ip[32], data[1024];
	if (mkdir(root, 0711) < 0 && errno != EEXIST)
		return -errno;
	/* 0711: dnsmasq, once it dropped root, reads its hosts file in net/dns */
	if (fmt(p, sizeof(p), "%s/net", root) < 0 || (mkdir(p, 0711) < 0 && errno != EEXIST) ||
	    chmod(p, 0711) < 0)
		return -errno;
	if (fmt(p, sizeof(p), "%s/net/networks", root) < 0 ||
	    (mkdir(p, 0700) < 0 && errno != EEXIST))
		return -errno;
	if (conf_path(root, c->name, p, sizeof(p)) < 0)
		return -ENAMETOOLONG;
	snprintf(data, sizeof(data),
		 "subnet=%s/%d\nbridge=%s\ninternal=%d\ndns=%s\nforward_was=%d\n"
		 "iptables_backend=%s\niptables=%s\niptables_restore=%s\n",
		 ip4_str(c->net, ip, sizeof(ip)), c->prefix, c->bridge, c->internal,
		 c->dns ? "dnsmasq" : "off", c->fwd_was_on, c->ipt_backend, c->ipt, c->ipt_restore);
	return write_file_atomic(p, data, 0644, false);
}

int netconf_remove(const char *root, const char *name)
{
	char p[4096];
	if (conf_path(root, name, p, sizeof(p)) < 0)
		return -ENAMETOOLONG;
	return unlink(p) < 0 && errno != ENOENT ? -errno : 0;
}

int netconf_lock(const char *root)
{
	char p[4096];
	if (fmt(p, sizeof(p), "%s/net", root) < 0)
		return -1;
	mkdir_p(p, 0711);
	if (fmt(p, sizeof(p), "%s/net/lock", root) < 0)
		return -1;
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct netconf *)a)->name, ((const struct netconf *)b)->name);
}

int netconf_list(const char *root, struct netconf *c, int max)
{
	char p[4096];
	int n = 0;
	if (max > 0 && netconf_load(root, DC_NET_DEFAULT, &c[0]) == 0)
		n++;
	if (fmt(p, sizeof(p), "%s/net/networks", root) < 0)
		return -1;
	DIR *d = opendir(p);
	if (!d)
		return errno == ENOENT ? n : -1;
	int first = n;
	for (struct dirent *de; (de = readdir(d)) && n < max;)
		if (de->d_name[0] != '.' && !strchr(de->d_name, '.') &&
		    strcmp(de->d_name, DC_NET_DEFAULT) &&
		    netconf_load(root, de->d_name, &c[n]) == 0)
			n++;
	closedir(d);
	qsort(c + first, (size_t)(n - first), sizeof(*c), by_name);
	return n;
}

int netconf_any(const char *root, struct netconf *c)
{
	static struct netconf all[MAX_NETWORKS];
	int n = netconf_list(root, all, MAX_NETWORKS);
	if (n <= 0)
		return -ENOENT;
	*c = all[0];
	return 0;
}
