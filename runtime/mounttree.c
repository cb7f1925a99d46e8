/*
 * Flags added to a mount and to every mount below it, each keeping its own: what
 * makes `-v /:/host:ro` really read-only (mounts.c says why a bind is recursive).
 * mount_setattr(AT_RECURSIVE) where the kernel has it (5.12): one atomic call that
 * also reaches mounts hidden below others; before it, each visible mount of the
 * subtree found in mountinfo (by parent id) and remounted by path, its own flags
 * (statvfs) plus ours.  A hidden one then stays as it was, out of reach: the
 * container cannot unmount what hides it.  DIYC_TEST_NO_MOUNT_SETATTR=1 takes the
 * second way on any kernel (tests/integration/volumes.sh).
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/storage.h"
#include "lib/mountinfo.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static int subtree_walk(int fd, unsigned long add, struct dc_err *e);

/* the mount at path (topmost) and every mount below it, as mountinfo indexes */
static int subtree(const struct mountinfo *mi, const char *path, size_t *out, int max)
{
	const struct mnt_entry *top = mountinfo_at(mi, path);
	int n = 0;
	if (!top)
		return 0;
	out[n++] = (size_t)(top - mi->v);
	for (bool grew = true; grew;) { /* children may be listed before their parents */
		grew = false;
		for (size_t i = 0; i < mi->n && n < max; i++) {
			bool in = false, parent = false;
			for (int k = 0; k < n; k++) {
				in |= out[k] == i;
				parent |= mi->v[out[k]].id == mi->v[i].parent;
			}
			if (!in && parent)
				out[n++] = i, grew = true;
		}
	}
	return n;
}

int mount_tree_flags(int fd, unsigned long add, struct dc_err *e)
{
	/* MOUNT_ATTR_RDONLY, NOSUID, NODEV, NOEXEC have the values of MS_* */
	struct mount_attr attr = {.attr_set = add & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)};
	const char *no = getenv("DIYC_TEST_NO_MOUNT_SETATTR");
	if (!(no && !strcmp(no, "1")) &&
	    syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) ==
		0)
		return 0;
	if (!(no && !strcmp(no, "1")) && errno != ENOSYS)
		return dc_fail(e, errno, "set the flags of a bind (mount_setattr)");
	return subtree_walk(fd, add, e);
}

static int subtree_walk(int fd, unsigned long add, struct dc_err *e)
{
	char path[PATH_MAX], link[64];
	struct mountinfo mi = {0};
	static size_t idx[4096];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t len = readlink(link, path, sizeof(path) - 1);
	if (len < 0 || mountinfo_load("/proc/self/mountinfo", &mi) < 0)
		return dc_fail(e, errno, "read the mounts below a bind");
	path[len] = '\0';
	int n = subtree(&mi, path, idx, (int)ARRAY_SIZE(idx)), r = 0;
	const unsigned long keep =
	    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME;
	for (int k = 0; k < n && !r; k++) {
		/* the top by its fd; those below by path (this namespace is ours alone) */
		const char *p = k == 0 ? link : mi.v[idx[k]].mountpoint;
		struct statvfs sv;
		if (statvfs(p, &sv) < 0 ||
		    mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | (sv.f_flag & keep) | add, NULL) < 0)
			r = dc_fail(e, errno, "set the flags of %s", k ? p : path);
	}
	if (!n)
		r = dc_fail(e, 0, "the bind on %s is not in mountinfo", path);
	mountinfo_free(&mi);
	return r;
}
