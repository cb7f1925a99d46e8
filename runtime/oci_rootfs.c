/*
 * A bundle's root filesystem, built inside the container's mount namespace (the
 * container process's steps "overlay" and "pivot" for diyc-oci): root.path bound
 * onto itself, the config's mounts in order, the default devices, /dev/console for
 * a terminal, the masked and read-only paths, pivot_root, and a read-only root when
 * asked.
 *
 * The bundle's rootfs is as untrusted as an image: a mount destination is walked
 * one component at a time below the root with O_NOFOLLOW, missing directories made
 * on the way, and mounted through /proc/self/fd/N, so a symlink planted in the
 * rootfs (/proc -> /, /etc/hosts -> /etc/shadow) can never move a mount onto the
 * host.  Sources come from the caller's config and are taken as given, as runc does.
 * devpts is mounted only where the kernel gives private instances; without them the
 * mount would be the host's only instance (rootfs.c says why), so it is skipped and
 * the degradation named.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/oci.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

/* the flags of a bind take a remount of the new mount (reopened: it is on top now) */
static int bind_flags(int rootfd, const struct oci_mount *m)
{
	unsigned long extra = m->flags & ~(unsigned long)(MS_BIND | MS_REC | MS_REMOUNT);
	if (!extra)
		return 0;
	int fd = rootfs_open_dest(rootfd, m->dest, false);
	if (fd == -ENOTDIR || fd == -EEXIST)
		fd = rootfs_open_dest(rootfd, m->dest, true);
	if (fd < 0)
		return fd;
	int r = mount(NULL, rootfs_fd_path(fd), NULL, MS_BIND | MS_REMOUNT | extra, NULL);
	r = r < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* "cgroup": a read-only tmpfs with the container's own cgroup directories bound into
 * it by controller, never the host's hierarchy */
static int mount_cgroup(int rootfd, const char *dest, const struct launch *l)
{
	char d[PATH_MAX];
	int fd = rootfs_open_dest(rootfd, dest, false);
	if (fd < 0)
		return fd;
	int r = mount("tmpfs", rootfs_fd_path(fd), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		      "mode=755");
	close(fd);
	if (r < 0 || (fd = rootfs_open_dest(rootfd, dest, false)) < 0) /* the tmpfs, now on top */
		return r < 0 ? -errno : fd;
	for (int i = 0; !r && l->cg && i < l->cg->n; i++) {
		const char *name = !strcmp(l->cg->ctrls[i], "v2") ? "unified" : l->cg->ctrls[i];
		if (fmt(d, sizeof(d), "%s/%s", rootfs_fd_path(fd), name) < 0 ||
		    (mkdir(d, 0755) < 0 && errno != EEXIST) ||
		    mount(l->cg->dirs[i], d, NULL, MS_BIND, NULL) < 0 ||
		    mount(NULL, d, NULL,
			  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0)
			r = -errno;
	}
	if (!r && mount(NULL, rootfs_fd_path(fd), NULL,
			MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		r = -errno;
	close(fd);
	return r;
}

static int mount_one(int rootfd, const struct oci_mount *m, const struct launch *l)
{
	char src[PATH_MAX];
	struct stat st;
	bool file = false;
	if (m->bind) {
		if (m->source[0] == '/')
			snprintf(src, sizeof(src), "%s", m->source);
		else if (fmt(src, sizeof(src), "%s/%s", l->o->oci->bundle, m->source) < 0)
			return -ENAMETOOLONG;
		if (stat(src, &st) < 0)
			return -errno;
		file = !S_ISDIR(st.st_mode);
	}
	if (!strcmp(m->type, "cgroup") || !strcmp(m->type, "cgroup2"))
		return mount_cgroup(rootfd, m->dest, l);
	int fd = rootfs_open_dest(rootfd, m->dest, file);
	if (fd < 0)
		return fd;
	int r;
	if (m->bind)
		r = mount(src, rootfs_fd_path(fd), NULL, MS_BIND | (m->flags & MS_REC), NULL);
	else
		r = mount(m->source, rootfs_fd_path(fd), m->type,
			  m->flags & ~(unsigned long)MS_REMOUNT, m->data);
	r = r < 0 ? -errno : r;
	close(fd);
	if (!r && m->bind)
		r = bind_flags(rootfd, m);
	if (!r && m->propagation) {
		fd = rootfs_open_dest(rootfd, m->dest, file);
		r = fd < 0 ? fd : mount(NULL, rootfs_fd_path(fd), NULL, m->propagation, NULL);
		r = r < 0 && fd >= 0 ? -errno : r;
		if (fd >= 0)
			close(fd);
	}
	return r;
}

int oci_rootfs_bind(const struct launch *l, struct dc_err *e)
{
	const struct oci_spec *s = l->o->oci;
	char fifo[PATH_MAX];
	if (mount(NULL, "/", NULL, MS_REC | (s->rootprop ? s->rootprop : MS_PRIVATE), NULL) < 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return dc_fail(e, errno, "make / private");
	if (s->rootprop & MS_SHARED && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return dc_fail(e, errno, "make / private");
	if (mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return dc_fail(e, errno, "bind %s", s->rootfs);
	/* the exec fifo, opened while the host's /run is still in view (reopened through
	 * /proc/self/fd after pivot_root, by oci_exec_when_started) */
	fmt(fifo, sizeof(fifo), "%s/%s/exec.fifo", G.state_dir, l->o->name);
	struct launch *ml = (struct launch *)l;
	ml->fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
	if (ml->fifo_fd < 0)
		return dc_fail(e, errno, "open %s", fifo);
	return 0;
}

static bool devpts_ok(const struct launch *l, const struct oci_mount *m)
{
	return strcmp(m->type, "devpts") || l->f->devpts;
}

/* /dev/ptmx and, with a terminal, /dev/console bound to the pty */
static int dev_extras(int rootfd, const struct launch *l, struct dc_err *e)
{
	int devfd = openat(rootfd, "dev", O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (devfd < 0)
		return 0; /* a config without /dev: the bundle's own */
	int r = rootfs_dev_nodes(devfd, e);
	if (!r && l->f->devpts && symlinkat("pts/ptmx", devfd, "ptmx") < 0 && errno != EEXIST)
		r = dc_fail(e, errno, "symlink /dev/ptmx");
	if (!r && l->tty_slave >= 0) {
		int c = openat(devfd, "console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (c >= 0)
			close(c);
		int fd = openat(devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
		char pts[PATH_MAX] = "";
		/* by its path: the fd's mount belongs to the caller's mount namespace, and a
		 * bind from another namespace's mount is refused (EINVAL) */
		ssize_t n = readlink(rootfs_fd_path(l->tty_slave), pts, sizeof(pts) - 1);
		if (n > 0)
			pts[n] = '\0';
		if (fd < 0 || n <= 0 || mount(pts, rootfs_fd_path(fd), NULL, MS_BIND, NULL) < 0)
			r = dc_fail(e, errno, "bind the terminal on /dev/console");
		if (fd >= 0)
			close(fd);
	}
	close(devfd);
	return r;
}

/*
 * linux.sysctl, written before readonlyPaths make /proc/sys read-only, through the
 * container's own procfs: "proc" below the root is checked to be a procfs mount
 * (an image's symlink there could otherwise point the write at the host's /proc).
 */
static int sysctls(int rootfd, const struct oci_spec *s, struct dc_err *e)
{
	struct statfs sf;
	if (!s->nsysctl)
		return 0;
	int proc = openat(rootfd, "proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (proc < 0 || fstatfs(proc, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) {
		if (proc >= 0)
			close(proc);
		return dc_fail(e, 0, "linux.sysctl needs /proc mounted in the container");
	}
	int r = 0;
	for (int i = 0; i < s->nsysctl && !r; i++) {
		char key[256];
		const char *eq = strchr(s->sysctl[i], '=');
		size_t k = (size_t)(eq - s->sysctl[i]);
		if (k >= sizeof(key) - 4 || strstr(s->sysctl[i], "..") ||
		    memchr(s->sysctl[i], '/', k)) {
			r = dc_fail(e, 0, "bad sysctl %s", s->sysctl[i]);
			break;
		}
		snprintf(key, sizeof(key), "sys/%.*s", (int)k, s->sysctl[i]);
		for (char *c = key + 4; *c; c++)
			*c = *c == '.' ? '/' : *c;
		int fd = openat(proc, key, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		size_t n = strlen(eq + 1);
		if (fd < 0 || write(fd, eq + 1, n) != (ssize_t)n)
			r = dc_fail(e, errno, "sysctl %s", s->sysctl[i]);
		if (fd >= 0)
			close(fd);
	}
	close(proc);
	return r;
}

static int masks(int rootfd, const struct oci_spec *s, struct dc_err *e)
{
	const char **m = calloc((size_t)s->nmasked + 1, sizeof(char *));
	const char **ro = calloc((size_t)s->nreadonly + 1, sizeof(char *));
	int r = -1;
	if (m && ro) {
		for (int i = 0; i < s->nmasked; i++)
			m[i] = s->masked[i] + strspn(s->masked[i], "/");
		for (int i = 0; i < s->nreadonly; i++)
			ro[i] = s->readonly_paths[i] + strspn(s->readonly_paths[i], "/");
		r = rootfs_mask(rootfd, m, (size_t)s->nmasked, ro, (size_t)s->nreadonly, e);
	}
	free(m);
	free(ro);
	return r;
}

int oci_rootfs_pivot(const struct launch *l, struct dc_err *e)
{
	const struct oci_spec *s = l->o->oci;
	int rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return dc_fail(e, errno, "open %s", s->rootfs);
	int r = 0;
	for (int i = 0; i < s->nmounts && !r; i++) {
		const struct oci_mount *m = &s->mounts[i];
		if (!devpts_ok(l, m))
			continue; /* the host's only instance: never (features.c degraded it) */
		int k = mount_one(rootfd, m, l);
		if (k < 0)
			r = dc_fail(e, -k, "mount %s (%s) on %s", m->source, m->type, m->dest);
	}
	if (!r)
		r = dev_extras(rootfd, l, e);
	if (!r)
		r = sysctls(rootfd, s, e);
	if (!r)
		r = masks(rootfd, s, e);
	close(rootfd);
	if (r < 0 || rootfs_pivot_into(s->rootfs, e) < 0)
		return -1;
	if (s->readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return dc_fail(e, errno, "make the root read-only");
	if (s->rootprop && !(s->rootprop & MS_PRIVATE) &&
	    mount(NULL, "/", NULL, s->rootprop, NULL) < 0)
		return dc_fail(e, errno, "rootfsPropagation");
	return 0;
}
