/*
 * Names that resolve: one dnsmasq (Debian's dnsmasq-base, no system service) per
 * network, started by `diyc net setup` / `diyc network create`, listening only on
 * the network's gateway address (--bind-interfaces --listen-address), answering the
 * names of that network's containers and their --network-alias names from a hosts
 * file, DATA_ROOT/net/dns/NAME.hosts.  The file is rewritten whole (rename) under
 * the lease lock at every start and stop, so it always matches the leases, and the
 * daemon rereads it on SIGHUP: no process is started on a container's path.  Other
 * names go to the host's upstream resolvers (none for an --internal network: its
 * containers have no route out and get no way out through DNS either), plain names
 * never leave (--domain-needed).
 *
 * Security: dnsmasq drops root for its default user (nobody) after binding; it
 * reads the hosts file as that user, so net/ is 0711 and net/dns 0755 (names and
 * addresses of containers, which `diyc ps` shows anyway).  Before a signal the pid
 * from the pid file is checked to be a dnsmasq (/proc/PID/comm): a stale pid file
 * never makes diyc signal an unrelated process.  A dnsmasq found dead is started
 * again by the next container's start, with a warning, or the failure is reported.
 */
#define _GNU_SOURCE
#include "netsetup/netconf.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *env_or(const char *env, const char *dflt)
{
	const char *v = getenv(env);
	return v && *v ? v : dflt;
}

const char *net_upstream_resolv(void)
{
	/* the variables stand in for the host's files in the tests */
	const char *etc = env_or("DIYC_RESOLV_CONF", "/etc/resolv.conf");
	const char *resolved = env_or("DIYC_RESOLVED_CONF", "/run/systemd/resolve/resolv.conf");
	char buf[4096];
	if (read_file(etc, buf, sizeof(buf)) < 0)
		return etc;
	for (char *s, *l = strtok_r(buf, "\n", &s); l; l = strtok_r(NULL, "\n", &s)) {
		char ns[64];
		if (sscanf(l, " nameserver %63s", ns) == 1 && !strcmp(ns, "127.0.0.53") &&
		    path_exists(resolved))
			return resolved;
	}
	return etc;
}

static int dns_path(const char *root, const char *net, const char *what, char *p, size_t len)
{
	return fmt(p, len, "%s/net/dns/%s.%s", root, net, what);
}

/* Its pid when /proc says it is a dnsmasq, alive (a zombie took SIGKILL and has not
 * been reaped yet: "(dnsmasq) Z"). */
pid_t dns_pid(const char *root, const char *net)
{
	char p[4096], stat[128];
	long pid;
	if (dns_path(root, net, "pid", p, sizeof(p)) < 0 || read_long(p, &pid) < 0 || pid <= 1)
		return 0;
	snprintf(p, sizeof(p), "/proc/%ld/stat", pid);
	if (read_file(p, stat, sizeof(stat)) < 0 || !strstr(stat, " (dnsmasq) ") ||
	    strstr(stat, " (dnsmasq) Z") || strstr(stat, " (dnsmasq) X"))
		return 0;
	return (pid_t)pid;
}

int dns_hosts_write(const char *root, const char *net, const struct lease *l, int n)
{
	char p[4096], ip[32];
	size_t cap = (size_t)n * 256 + 64, len = 0;
	if (dns_path(root, net, "hosts", p, sizeof(p)) < 0)
		return -ENAMETOOLONG;
	char dir[4096];
	if (fmt(dir, sizeof(dir), "%s/net/dns", root) < 0 || !path_exists(dir))
		return 0; /* no dnsmasq was ever started here */
	char *b = malloc(cap);
	if (!b)
		return -ENOMEM;
	b[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(l[i].net, net))
			continue;
		len += (size_t)snprintf(b + len, cap - len, "%s %s",
					ip4_str(l[i].ip, ip, sizeof(ip)), l[i].name);
		if (strcmp(l[i].aliases, "-")) /* "a,b" -> " a b" */
			for (const char *a = l[i].aliases; *a; a++)
				len += (size_t)snprintf(b + len, cap - len, "%s%c",
							a == l[i].aliases ? " " : "",
							*a == ',' ? ' ' : *a);
		len += (size_t)snprintf(b + len, cap - len, "\n");
	}
	int r = write_file_atomic(p, b, 0644, false);
	free(b);
	return r;
}

static int spawn_dnsmasq(const char *root, const struct netconf *c, const char *tool,
			 struct dc_err *e)
{
	char pid[4096], hosts[4096], log[4096], a_pid[4200], a_hosts[4200], a_log[4200],
	    a_listen[64], a_up[4200], gw[32], err[2048], line[400];
	dns_path(root, c->name, "pid", pid, sizeof(pid));
	dns_path(root, c->name, "hosts", hosts, sizeof(hosts));
	dns_path(root, c->name, "log", log, sizeof(log));
	snprintf(a_pid, sizeof(a_pid), "--pid-file=%s", pid);
	snprintf(a_hosts, sizeof(a_hosts), "--addn-hosts=%s", hosts);
	snprintf(a_log, sizeof(a_log), "--log-facility=%s", log);
	snprintf(a_listen, sizeof(a_listen), "--listen-address=%s", ip4_str(c->gw, gw, sizeof(gw)));
	if (c->internal)
		snprintf(a_up, sizeof(a_up), "--no-resolv");
	else
		snprintf(a_up, sizeof(a_up), "--resolv-file=%s", net_upstream_resolv());
	char *argv[] = {
	    (char *)tool,	 "--conf-file=/dev/null", a_pid, a_hosts, "--no-hosts", a_listen,
	    "--bind-interfaces", "--domain-needed",	  a_log, a_up,	  NULL};
	/* dnsmasq forks into the background once it listens; its exit status says so */
	int r = spawn_run(argv, NULL, err, sizeof(err));
	if (r == 0)
		return 0;
	tool_error_line(err, line, sizeof(line));
	return dc_fail(e, 0, "dnsmasq for network %s failed (%d): %s", c->name, r,
		       line[0] ? line : "no message");
}

/* dnsmasq, no longer root, must reach the hosts file: every directory above it
 * searchable by others (mktemp's 0700 directories and home directories are not) */
static int reachable(const char *dir, struct dc_err *e)
{
	char p[4096];
	struct stat st;
	snprintf(p, sizeof(p), "%s", dir);
	for (char *slash = p; slash;) {
		slash = strchr(slash + 1, '/');
		if (slash)
			*slash = '\0';
		if (stat(p[0] ? p : "/", &st) == 0 && !(st.st_mode & S_IXOTH))
			return dc_fail(
			    e, 0,
			    "dnsmasq runs as an unprivileged user and cannot reach %s: %s "
			    "is not searchable by others (chmod o+x, or another DIYC_ROOT)",
			    dir, p);
		if (slash)
			*slash = '/';
	}
	return 0;
}

int dns_start(const char *root, struct netconf *c, struct dc_err *e)
{
	static struct lease l[4096];
	char tool[4096], dir[4096];
	if (!find_tool("dnsmasq", tool, sizeof(tool))) {
		dc_warn("dnsmasq not found (Debian: dnsmasq-base): containers of network %s get "
			"the host's resolvers, and their names do not resolve",
			c->name);
		c->dns = false;
		return 0;
	}
	if (fmt(dir, sizeof(dir), "%s/net/dns", root) < 0 || mkdir_p(dir, 0755) < 0 ||
	    chmod(dir, 0755) < 0)
		return dc_fail(e, errno, "cannot create %s", dir);
	if (reachable(dir, e) < 0)
		return -1;
	dns_stop(root, c->name); /* a setup again: its bridge may be new */
	int n = ipam_list(root, l, 4096);
	if (dns_hosts_write(root, c->name, l, n < 0 ? 0 : n) < 0)
		return dc_fail(e, errno, "cannot write the hosts file of network %s", c->name);
	if (spawn_dnsmasq(root, c, tool, e) < 0)
		return -1;
	c->dns = true;
	return 0;
}

void dns_stop(const char *root, const char *net)
{
	static const char *const files[] = {"pid", "hosts", "log"};
	char p[4096];
	pid_t pid = dns_pid(root, net);
	if (pid > 0 && kill(pid, SIGTERM) == 0)
		for (int i = 0; i < 200 && kill(pid, 0) == 0; i++) {
			struct timespec ts = {0, 5000000};
			nanosleep(&ts, NULL);
		}
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (dns_path(root, net, files[i], p, sizeof(p)) == 0)
			unlink(p);
}

void dns_reload(const char *root, const char *net)
{
	struct netconf c;
	struct dc_err e;
	if (netconf_load(root, net, &c) < 0 || !c.dns)
		return;
	pid_t pid = dns_pid(root, net);
	if (pid > 0 && kill(pid, SIGHUP) == 0)
		return;
	/* dead: start it again, unless the network went meanwhile (net_down holds the
	 * lock while it removes the configuration and stops the daemon) */
	int fd = netconf_lock(root);
	bool gone = netconf_load(root, net, &c) < 0 || dns_pid(root, net) > 0;
	int r = gone ? 0 : dns_start(root, &c, &e);
	if (fd >= 0)
		close(fd);
	if (gone)
		return;
	if (r < 0)
		dc_warn("the dnsmasq of network %s is not running and does not start again: %s; "
			"names on %s do not resolve",
			net, e.msg, net);
	else
		dc_warn("the dnsmasq of network %s was not running: started again", net);
}
