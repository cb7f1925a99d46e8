/*
 * The container's root filesystem, built inside its private mount namespace:
 * overlay (image below, containers/NAME/upper above), a fresh tmpfs /dev with
 * a handful of nodes (never the host's devtmpfs), proc, read-only sysfs,
 * masked and read-only /proc entries, /etc/{hostname,hosts,resolv.conf} (etcfiles.c),
 * then pivot_root with the old root detached.
 *
 * The image is untrusted.  Every mount point is opened relative to the new
 * root with O_NOFOLLOW and mounted through /proc/self/fd/N, so a symlinked
 * /dev, /proc or /sys in the image cannot redirect a mount onto the host; such
 * an entry is replaced by a directory in the container's own upper layer.
 * Files diyc writes are opened with O_NOFOLLOW for the same reason.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/storage.h"
#include "netsetup/netsetup.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		dc_fail(err, 0, __VA_ARGS__);                                                      \
		goto out;                                                                          \
	} while (0)

static char fdpath[8][32];
const char *rootfs_fd_path(int fd)
{
	static unsigned next;
	char *b = fdpath[next++ % 8];
	snprintf(b, sizeof(fdpath[0]), "/proc/self/fd/%d", fd);
	return b;
}

/*
 * A directory entry of the new root that must be a real directory: created
 * when missing, replaced when the image made it a symlink or a file (in the
 * container's upper layer only).  Returns an O_PATH fd of it, or -errno.
 */
static int real_dir(int rootfd, const char *name)
{
	struct stat st;
	if (fstatat(rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) {
		if (unlinkat(rootfd, name, 0) < 0)
			return -errno;
	}
	if (mkdirat(rootfd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	int fd = openat(rootfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * Open dest (absolute, inside the root) as an O_PATH fd, creating what is missing:
 * directories on the way, and the last component as a directory or, for the bind of
 * a file, an empty file.  No component may be a symlink.  -errno on failure.
 */
int rootfs_open_dest(int rootfd, const char *dest, bool file)
{
	char buf[PATH_MAX], *parts[128], *save = NULL;
	int n = 0;
	snprintf(buf, sizeof(buf), "%s", dest);
	for (char *c = strtok_r(buf, "/", &save); c && n < 128; c = strtok_r(NULL, "/", &save))
		if (strcmp(c, "."))
			parts[n++] = c;
	int dir = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	for (int i = 0; i < n && dir >= 0; i++) {
		if (!strcmp(parts[i], "..")) { /* refused by the parsers; never climb */
			close(dir);
			return -EINVAL;
		}
		if (i == n - 1 && file) {
			int f = openat(dir, parts[i], O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
				       0644);
			if (f >= 0)
				close(f);
		} else if (mkdirat(dir, parts[i], 0755) < 0 && errno != EEXIST) {
			int r = -errno;
			close(dir);
			return r;
		}
		int next = openat(dir, parts[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		int r = -errno;
		close(dir);
		if (next < 0)
			return r;
		struct stat st;
		if (fstat(next, &st) < 0 || S_ISLNK(st.st_mode)) {
			close(next);
			return -ELOOP;
		}
		dir = next;
	}
	return dir < 0 ? -errno : dir;
}

static int mount_on(int rootfd, const char *name, const char *src, const char *type,
		    unsigned long flags, const char *data)
{
	int fd = real_dir(rootfd, name);
	if (fd < 0)
		return fd;
	int r = mount(src, rootfs_fd_path(fd), type, flags, data) < 0 ? -errno : 0;
	close(fd);
	return r;
}

struct node {
	const char *name;
	unsigned maj, min;
};
static const struct node nodes[] = {
    {"null", 1, 3},   {"zero", 1, 5},	 {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

/*
 * /dev/pts: a devpts instance of the container's own, its ptmx linked from /dev/ptmx.
 * Without private instances (CONFIG_DEVPTS_MULTIPLE_INSTANCES off, before 4.7) every
 * devpts mount is the host's single instance: the container would list and open
 * the host's ptys, and the options of the mount would change the host's instance
 * (4.4: new host ptys became root:root 0600).  Then /dev/pts stays an empty
 * directory with no ptmx: no pty at all rather than the host's (features.c refuses
 * -t and announces the degraded mode; the container cannot mount devpts itself,
 * having no CAP_SYS_ADMIN).
 */
static int setup_pts(int devfd, bool private_devpts, struct dc_err *err)
{
	int r = -1;
	if (!private_devpts) {
		int fd = real_dir(devfd, "pts");
		if (fd < 0)
			FAIL("mkdir /dev/pts: %s", strerror(-fd));
		close(fd);
		return 0;
	}
	int e = mount_on(devfd, "pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
			 "newinstance,ptmxmode=0666,mode=0620");
	if (e < 0)
		FAIL("mount a new devpts instance on /dev/pts: %s", strerror(-e));
	if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
		FAIL("symlink /dev/ptmx: %s", strerror(errno));
	r = 0;
out:
	return r;
}

/* The character devices every container has (the OCI spec's default devices, which
 * diyc run makes too) and the /dev/fd, stdin, stdout, stderr links; an entry that
 * exists already (a bundle's bind mount) is left alone. */
int rootfs_dev_nodes(int devfd, struct dc_err *err)
{
	int r = -1;
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		if (mknodat(devfd, nodes[i].name, S_IFCHR | 0666,
			    makedev(nodes[i].maj, nodes[i].min)) < 0) {
			if (errno == EEXIST)
				continue;
			FAIL("mknod /dev/%s: %s", nodes[i].name, strerror(errno));
		}
		if (fchmodat(devfd, nodes[i].name, 0666, 0) < 0)
			FAIL("chmod /dev/%s: %s", nodes[i].name, strerror(errno));
	}
	static const char *const links[][2] = {
	    {"/proc/self/fd", "fd"},
	    {"/proc/self/fd/0", "stdin"},
	    {"/proc/self/fd/1", "stdout"},
	    {"/proc/self/fd/2", "stderr"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][0], devfd, links[i][1]) < 0 && errno != EEXIST)
			FAIL("symlink /dev/%s: %s", links[i][1], strerror(errno));
	r = 0;
out:
	return r;
}

static int setup_dev(int rootfd, bool private_devpts, struct dc_err *err)
{
	int devfd = -1, r = -1;
	int e = mount_on(rootfd, "dev", "tmpfs", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME,
			 "mode=755,size=65536k");
	if (e < 0)
		FAIL("mount tmpfs on /dev: %s", strerror(-e));
	devfd = openat(rootfd, "dev", O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (devfd < 0)
		FAIL("open the new /dev: %s", strerror(errno));
	if (rootfs_dev_nodes(devfd, err) < 0)
		goto out;
	if (setup_pts(devfd, private_devpts, err) < 0)
		goto out;
	e = mount_on(devfd, "shm", "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     "mode=1777,size=65536k");
	if (e < 0)
		FAIL("mount tmpfs on /dev/shm: %s", strerror(-e));
	r = 0;
out:
	if (devfd >= 0)
		close(devfd);
	return r;
}

/* Paths hidden from the container (Docker's list), and paths made read-only. */
static const char *const run_masked[] = {
    /* (no leading '/') */
    "proc/asound",
    "proc/acpi",
    "proc/kcore",
    "proc/keys",
    "proc/latency_stats",
    "proc/timer_list",
    "proc/timer_stats",
    "proc/sched_debug",
    "proc/scsi",
    "sys/firmware",
    "sys/devices/virtual/powercap",
};
static const char *const run_readonly[] = {
    "proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
};

static int mask_paths(int rootfd, struct dc_err *err)
{
	return rootfs_mask(rootfd, run_masked, ARRAY_SIZE(run_masked), run_readonly,
			   ARRAY_SIZE(run_readonly), err);
}

/* masked[] hidden (an empty read-only tmpfs on a directory, /dev/null on a file),
 * readonly[] bound read-only onto themselves; paths relative to rootfd */
int rootfs_mask(int rootfd, const char *const *masked, size_t nmasked, const char *const *readonly,
		size_t nreadonly, struct dc_err *err)
{
	int r = -1, nullfd = openat(rootfd, "dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (nullfd < 0)
		FAIL("open the new /dev/null: %s", strerror(errno));
	for (size_t i = 0; i < nmasked; i++) {
		int fd = openat(rootfd, masked[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			FAIL("open /%s: %s", masked[i], strerror(errno));
		}
		struct stat st;
		int e = fstat(fd, &st);
		if (!e && S_ISDIR(st.st_mode))
			e = mount("tmpfs", rootfs_fd_path(fd), "tmpfs",
				  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0");
		else if (!e)
			e = mount(rootfs_fd_path(nullfd), rootfs_fd_path(fd), NULL, MS_BIND, NULL);
		int saved = errno;
		close(fd);
		if (e < 0)
			FAIL("mask /%s: %s", masked[i], strerror(saved));
	}
	for (size_t i = 0; i < nreadonly; i++) {
		int fd = openat(rootfd, readonly[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			FAIL("open /%s: %s", readonly[i], strerror(errno));
		}
		const char *p = rootfs_fd_path(fd);
		int e = mount(p, p, NULL, MS_BIND | MS_REC, NULL);
		if (!e) {
			/* the bind is now on top: reopen it to remount that mount read-only */
			int fd2 = openat(rootfd, readonly[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
			e = fd2 < 0 ? -1
				    : mount(NULL, rootfs_fd_path(fd2), NULL,
					    MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID |
						MS_NODEV | MS_NOEXEC,
					    NULL);
			if (fd2 >= 0)
				close(fd2);
		}
		int saved = errno;
		close(fd);
		if (e < 0)
			FAIL("make /%s read-only: %s", readonly[i], strerror(saved));
	}
	r = 0;
out:
	if (nullfd >= 0)
		close(nullfd);
	return r;
}

int layer_dirs(const char *dir)
{
	char p[PATH_MAX];
	if (mkdir(dir, 0700) < 0)
		return -errno;
	static const char *const sub[] = {"upper", "work", "merged"};
	for (size_t i = 0; i < ARRAY_SIZE(sub); i++) {
		if (fmt(p, sizeof(p), "%s/%s", dir, sub[i]) < 0)
			return -ENAMETOOLONG;
		if (mkdir(p, 0755) < 0)
			return -errno;
	}
	return 0;
}

/*
 * --rm: the container's writable layer lives in a tmpfs mounted over containers/ in
 * its own mount namespace, so it vanishes with the container and nothing is written
 * to (or removed from) the disk: on a host whose /var is a disk that is most of the
 * file system work of a short run.  Its pages are charged to the container's memory
 * cgroup like any tmpfs write.
 */
static int ephemeral_layer(const char *rootdir, struct dc_err *err)
{
	char base[PATH_MAX];
	int r = -1;
	snprintf(base, sizeof(base), "%s", rootdir);
	char *slash = strrchr(base, '/');
	if (!slash)
		FAIL("bad container directory %s", rootdir);
	*slash = '\0';
	if (mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
		FAIL("mount tmpfs on %s: %s", base, strerror(errno));
	int e = layer_dirs(rootdir);
	if (e < 0)
		FAIL("cannot create the layer in %s: %s", rootdir, strerror(-e));
	r = 0;
out:
	return r;
}

/* Container step "overlay": a private mount tree, the writable layer, the overlay. */
int rootfs_overlay(const struct launch *l, struct dc_err *err)
{
	char merged[PATH_MAX], opts[PATH_MAX * 3 + 64];
	int r = -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		FAIL("make / private: %s", strerror(errno));
	if (l->o->rm && ephemeral_layer(l->rootdir, err) < 0)
		goto out;
	if (fmt(merged, sizeof(merged), "%s/merged", l->rootdir) < 0 ||
	    fmt(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", l->imagedir,
		l->rootdir, l->rootdir) < 0)
		FAIL("path too long");
	/* nodev: device nodes shipped in an image never open; /dev is diyc's own tmpfs */
	if (mount("overlay", merged, "overlay", MS_NODEV, opts) < 0)
		FAIL("mount overlay on %s: %s", merged, strerror(errno));
	r = 0;
out:
	return r;
}

/* /dev, /proc, /sys, the masks and /etc files inside the merged tree */
static int fill_root(const struct launch *l, int rootfd, const char *resolv, struct dc_err *err)
{
	int r = -1;
	if (setup_dev(rootfd, l->f->devpts, err) < 0)
		goto out;
	int rc = mount_on(rootfd, "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (rc < 0)
		FAIL("mount proc: %s", strerror(-rc));
	rc = mount_on(rootfd, "sys", "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		      NULL);
	if (rc < 0)
		FAIL("mount sysfs: %s", strerror(-rc));
	if (mask_paths(rootfd, err) < 0 || rootfs_write_etc(l, rootfd, resolv, err) < 0 ||
	    mounts_apply(l, rootfd, err) < 0)
		goto out;
	r = 0;
out:
	return r;
}

/* Container step "pivot": the tree completed, then pivot_root into it. */
int rootfs_pivot(const struct launch *l, struct dc_err *err)
{
	char merged[PATH_MAX], resolv[4096];
	int rootfd = -1, r = -1;
	/* read before the host's files disappear from view */
	if (read_file(l->net->bridge ? net_upstream_resolv() : "/etc/resolv.conf", resolv,
		      sizeof(resolv)) < 0)
		resolv[0] = '\0';
	if (fmt(merged, sizeof(merged), "%s/merged", l->rootdir) < 0)
		FAIL("path too long");
	rootfd = open(merged, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		FAIL("open %s: %s", merged, strerror(errno));
	if (fill_root(l, rootfd, resolv, err) < 0)
		goto out;
	r = rootfs_pivot_into(merged, err) < 0 ? -1 : mounts_root_readonly(l, err);
out:
	if (rootfd >= 0)
		close(rootfd);
	return r;
}

int rootfs_pivot_into(const char *merged, struct dc_err *err)
{
	int r = -1;
	/* pivot_root(".", "."): the old root ends up on top of the new one, then goes */
	if (chdir(merged) < 0)
		FAIL("chdir %s: %s", merged, strerror(errno));
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		FAIL("pivot_root: %s%s", strerror(errno),
		     errno == EINVAL ? " (is the host's / an initramfs? pivot_root cannot leave "
				       "rootfs: switch_root to a tmpfs first)"
				     : "");
	if (umount2(".", MNT_DETACH) < 0)
		FAIL("detach the old root: %s", strerror(errno));
	if (chdir("/") < 0)
		FAIL("chdir /: %s", strerror(errno));
	r = 0;
out:
	return r;
}
