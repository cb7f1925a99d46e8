/*
 * The files diyc writes into a container's /etc: hostname, hosts (its name, the
 * --add-host lines) and resolv.conf (--dns, the network's dnsmasq, or the host's
 * upstream resolvers), in its private mount namespace before pivot_root.  The image
 * is untrusted: /etc is opened with O_NOFOLLOW relative to the new root, and each
 * file through write_at, which never follows a link the image put there.
 */
#define _GNU_SOURCE
#include "netsetup/netsetup.h"
#include "runtime/diyc.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Write a file below dirfd without following a symlink the image may have put there.
 * Anything but a plain, singly linked regular file (symlink, hard link, FIFO, device)
 * is replaced in the container's upper layer first; truncation happens only after
 * the opened file is known to be that plain file.
 */
static int write_at(int dirfd, const char *name, const char *data)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (!S_ISREG(st.st_mode) || st.st_nlink > 1) && unlinkat(dirfd, name, 0) < 0)
		return -errno;
	int fd =
	    openat(dirfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink > 1 || ftruncate(fd, 0) < 0) {
		close(fd);
		return -EPERM;
	}
	size_t n = strlen(data);
	int r = write(fd, data, n) == (ssize_t)n ? 0 : -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

/*
 * /etc/resolv.conf: --dns servers; else the network's dnsmasq on the gateway; else
 * the host's upstream resolvers (netsetup: systemd-resolved's list when the host's
 * own file names its 127.0.0.53 stub, which a container cannot reach); nothing
 * without a network.  --dns-search replaces the search domains ("." none).
 */
static void resolv_text(const struct launch *l, const char *host_resolv, char *out, size_t len)
{
	const struct run_opts *o = l->o;
	bool gw_dns = l->net->bridge && l->net->dns; /* the network's dnsmasq answers */
	bool own_ns = o->dns[0] || gw_dns;	     /* diyc writes the nameserver lines */
	char gw[32], copy[256];
	out[0] = '\0';
	if (l->f->ns[NS_NET] && !l->net->bridge && !o->dns[0]) {
		snprintf(out, len, "# diyc: this container has no network\n");
		return;
	}
	if (!own_ns && !o->dns_search[0]) {
		snprintf(out, len, "%s", host_resolv);
		return;
	}
	snprintf(copy, sizeof(copy), "%s", o->dns);
	for (char *s, *p = strtok_r(copy, ",", &s); p; p = strtok_r(NULL, ",", &s))
		strappend(out, len, "", "nameserver %s\n", p);
	if (!o->dns[0] && gw_dns)
		strappend(out, len, "", "nameserver %s\n", ip4_str(l->net->gw, gw, sizeof(gw)));
	/* the host's other lines, without what was just replaced */
	for (const char *p = host_resolv; *p;) {
		int n = (int)strcspn(p, "\n");
		bool ns = !strncmp(p, "nameserver", 10),
		     search = !strncmp(p, "search", 6) || !strncmp(p, "domain", 6);
		if (n && ((ns && !own_ns) || (!ns && !(search && o->dns_search[0]))))
			strappend(out, len, "", "%.*s\n", n, p);
		p += n + (p[n] == '\n');
	}
	if (o->dns_search[0] && strcmp(o->dns_search, "."))
		strappend(out, len, "", "search %s\n", o->dns_search);
}

/* /etc/hosts: localhost, the container's own name, --add-host lines */
static void hosts_text(const struct launch *l, const char *host, char *out, size_t len)
{
	char addr[32] = "127.0.1.1", gw[32];
	if (l->net->bridge)
		ip4_str(l->net->ip, addr, sizeof(addr));
	snprintf(out, len,
		 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n", addr,
		 host);
	const char *gateway = l->net->bridge ? ip4_str(l->net->gw, gw, sizeof(gw)) : "127.0.0.1";
	for (const char *p = l->o->add_hosts; *p;) {
		size_t n = strcspn(p, "\n");
		if (!strncmp(p, "host-gateway\t", 13))
			strappend(out, len, "", "%s%.*s\n", gateway, (int)(n - 12), p + 12);
		else
			strappend(out, len, "", "%.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* The image's /etc, opened without following a link: an fd, or -1 with err filled. */
static int open_etc(int rootfd, struct dc_err *err)
{
	struct stat st;
	if (fstatat(rootfd, "etc", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
		return dc_fail(err, 0, "the image's /etc is not a directory");
	if (mkdirat(rootfd, "etc", 0755) < 0 && errno != EEXIST)
		return dc_fail(err, errno, "create /etc");
	int etc = openat(rootfd, "etc", O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (etc < 0)
		return dc_fail(err, errno, "open /etc");
	return etc;
}

int rootfs_write_etc(const struct launch *l, int rootfd, const char *host_resolv,
		     struct dc_err *err)
{
	char host[256], buf[4096];
	int etc = open_etc(rootfd, err);
	if (etc < 0)
		return -1;
	if (l->f->ns[NS_UTS])
		snprintf(host, sizeof(host), "%s", l->o->hostname ? l->o->hostname : l->o->name);
	else if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	snprintf(buf, sizeof(buf), "%s\n", host);
	int e = write_at(etc, "hostname", buf);
	if (!e) {
		hosts_text(l, host, buf, sizeof(buf));
		e = write_at(etc, "hosts", buf);
	}
	if (!e) {
		resolv_text(l, host_resolv, buf, sizeof(buf));
		e = write_at(etc, "resolv.conf", buf);
	}
	close(etc);
	if (e < 0)
		return dc_fail(err, -e, "write /etc/hostname, hosts, resolv.conf");
	return 0;
}
