/* The network configuration file and IPv4 address helpers. */
#define _GNU_SOURCE
#include "netsetup/netconf.h"
#include "lib/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	snprintf(c->bridge, sizeof(c->bridge), "%s", DC_BRIDGE);
	c->net = a;
	c->prefix = (int)p;
	c->gw = a + 1;
	return 0;
}

static void conf_path(const char *root, char *p, size_t len)
{
	snprintf(p, len, "%s/net/config", root);
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

int netconf_load(const char *root, struct netconf *c)
{
	char p[4096], buf[1024], subnet[64];
	struct dc_err e;
	conf_path(root, p, sizeof(p));
	ssize_t n = read_file(p, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	conf_value(buf, "subnet", subnet, sizeof(subnet));
	if (!subnet[0] || netconf_parse_subnet(subnet, c, &e) < 0)
		return -EINVAL;
	c->fwd_was_on = !strstr(buf, "forward_was=0");
	/* written by setup since the iptables backend became a choice; absent before */
	conf_value(buf, "iptables_backend", c->ipt_backend, sizeof(c->ipt_backend));
	conf_value(buf, "iptables", c->ipt, sizeof(c->ipt));
	conf_value(buf, "iptables_restore", c->ipt_restore, sizeof(c->ipt_restore));
	return 0;
}

int netconf_save(const char *root, const struct netconf *c)
{
	char p[4096], dir[4096], ip[32], data[1024];
	snprintf(dir, sizeof(dir), "%s/net", root);
	if (mkdir(root, 0711) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	conf_path(root, p, sizeof(p));
	snprintf(data, sizeof(data),
		 "subnet=%s/%d\nbridge=%s\nforward_was=%d\niptables_backend=%s\niptables=%s\n"
		 "iptables_restore=%s\n",
		 ip4_str(c->net, ip, sizeof(ip)), c->prefix, c->bridge, c->fwd_was_on,
		 c->ipt_backend, c->ipt, c->ipt_restore);
	return write_file_atomic(p, data, 0644, false);
}

int netconf_remove(const char *root)
{
	char p[4096];
	conf_path(root, p, sizeof(p));
	return unlink(p) < 0 && errno != ENOENT ? -errno : 0;
}
