/*
 * overlayfs: listed in /proc/filesystems (absence is not "no": the module
 * autoloads), module state, and the decisive test: a mount with two lower
 * directories, a copy-up and a whiteout, inside a private mount namespace,
 * on the filesystem where diyc keeps its containers (the backing filesystem
 * decides: NFS, FUSE or an overlay upper all fail).
 */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "probe/answers.h"
#include "lib/pfacts.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

static const struct {
	unsigned long magic;
	const char *name;
} fs_names[] = {
    {0xEF53, "ext4"},	     {0x58465342, "xfs"},      {0x9123683E, "btrfs"}, {0x01021994, "tmpfs"},
    {0x794c7630, "overlay"}, {0x6969, "nfs"},	       {0x65735546, "fuse"},  {0x2fc12fc1, "zfs"},
    {0x858458f6, "ramfs"},   {0x73717368, "squashfs"},
};

static const char *fs_name(unsigned long magic)
{
	for (size_t i = 0; i < ARRAY_SIZE(fs_names); i++)
		if (fs_names[i].magic == magic)
			return fs_names[i].name;
	return "other";
}

struct ov_test {
	char base[PATH_MAX];
};

static int mk(const char *base, const char *rel)
{
	char p[PATH_MAX];
	if (fmt(p, sizeof(p), "%s/%s", base, rel) < 0)
		return -ENAMETOOLONG;
	return mkdir(p, 0755) < 0 ? -errno : 0;
}

static int put(const char *base, const char *rel, const char *data)
{
	char p[PATH_MAX];
	FILE *f;
	if (fmt(p, sizeof(p), "%s/%s", base, rel) < 0 || !(f = fopen(p, "we")))
		return -EIO;
	fputs(data, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* Each mount gets its own mount point; the child's mount namespace drops them all at exit. */
static int try_mount(const char *b, const char *upper, const char *work, const char *extra,
		     const char *mp)
{
	char opts[PATH_MAX * 3], mnt[PATH_MAX];
	fmt(mnt, sizeof(mnt), "%s/%s", b, mp);
	if (fmt(opts, sizeof(opts), "lowerdir=%s/l1:%s/l2,upperdir=%s/%s,workdir=%s/%s%s%s", b, b,
		b, upper, b, work, extra ? "," : "", extra ? extra : "") < 0)
		return ENAMETOOLONG;
	if (mount("overlay", mnt, "overlay", 0, opts) < 0)
		return errno;
	return 0;
}

/*
 * Whether the kernel knows an overlay option.  With the mount API (5.2+)
 * fsconfig() rejects an unknown option at once, without building a
 * superblock; older kernels get a real test mount on fresh upper/work dirs.
 */
static int knob_known(const char *b, const char *knob, size_t i)
{
	int fd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fd >= 0) {
		int r = fsconfig(fd, FSCONFIG_SET_FLAG, knob, NULL, 0) < 0 ? errno : 0;
		close(fd);
		return r;
	}
	if (errno != ENOSYS)
		return errno;
	char u[16], w[16], m[16], p[PATH_MAX];
	snprintf(u, sizeof(u), "u%zu", i + 2);
	snprintf(w, sizeof(w), "w%zu", i + 2);
	snprintf(m, sizeof(m), "m%zu", i + 2);
	const char *dirs[] = {u, w, m};
	for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
		fmt(p, sizeof(p), "%s/%s", b, dirs[d]);
		if (mkdir(p, 0755) < 0)
			return errno;
	}
	return try_mount(b, u, w, knob, m);
}

/* One read-only overlay of the first n lower dirs of the cwd (named 0, 1, ... in hex),
 * left mounted on "mnt": an unmount costs an RCU grace period, the mount namespace
 * of the child takes them all when it exits. */
static bool lowers_mount(int n)
{
	char opts[4096] = "lowerdir=";
	for (int i = n - 1; i >= 0; i--)
		strappend(opts, sizeof(opts), i == n - 1 ? "" : ":", "%x", i);
	return strlen(opts) < sizeof(opts) - 1 &&
	       mount("overlay", "mnt", "overlay", MS_RDONLY, opts) == 0;
}

/*
 * How many lower dirs one mount takes, up to IMG_MAX_LAYERS (256, the most layers
 * diyc accepts in an image; the kernel's own cap is 500, OVL_MAX_STACK, since 4.0):
 * diyc flattens an image with more layers than this.  In a tmpfs on mount point m of
 * the child's private mount namespace (nothing to clean up); a kernel that refuses
 * 256 is bisected.  About 1 ms: 257 mkdirs in tmpfs and one mount.
 */
#define PROBE_MAX_LOWERS 256
static int max_lowers(const char *b)
{
	char t[PATH_MAX], name[16];
	fmt(t, sizeof(t), "%s/m", b);
	if (mount("tmpfs", t, "tmpfs", 0, "size=1m,mode=0700") < 0 || chdir(t) < 0)
		return 0;
	for (int i = 0; i < PROBE_MAX_LOWERS; i++) {
		snprintf(name, sizeof(name), "%x", i);
		if (mkdir(name, 0755) < 0)
			return 0;
	}
	if (mkdir("mnt", 0755) < 0)
		return 0;
	if (lowers_mount(PROBE_MAX_LOWERS))
		return PROBE_MAX_LOWERS;
	int lo = 2, hi = PROBE_MAX_LOWERS; /* lo mounts (the test above), hi does not */
	while (hi - lo > 1) {
		int mid = (lo + hi) / 2;
		*(lowers_mount(mid) ? &lo : &hi) = mid;
	}
	return lo;
}

static int child_overlay(struct child_result *res, void *arg)
{
	const char *b = ((struct ov_test *)arg)->base;
	char p[PATH_MAX], buf[16];
	struct stat st;
	int r;

	if (unshare(CLONE_NEWNS) < 0)
		return child_fail(res, "unshare(CLONE_NEWNS)", errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return child_fail(res, "mount(/, MS_PRIVATE)", errno);
	if ((r = try_mount(b, "u", "w", NULL, "m")) != 0)
		return child_fail(res, "mount(overlay, lowerdir=l1:l2)", r);
	/* the upper lower dir wins, the lower one shows through */
	fmt(p, sizeof(p), "%s/m/a", b);
	if (read_file(p, buf, sizeof(buf)) < 0 || strcmp(buf, "l1"))
		return child_fail(res, "read merged file from the first lower dir", EIO);
	fmt(p, sizeof(p), "%s/m/b", b);
	if (read_file(p, buf, sizeof(buf)) < 0 || strcmp(buf, "l2"))
		return child_fail(res, "read merged file from the second lower dir", EIO);
	/* a whiteout: deleting a lower file leaves a 0:0 character device in upper */
	if (unlink(p) < 0)
		return child_fail(res, "unlink lower file (whiteout)", errno);
	fmt(p, sizeof(p), "%s/u/b", b);
	if (lstat(p, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(0, 0))
		return child_fail(res, "whiteout in upper dir", EIO);
	fmt(p, sizeof(p), "%s/m", b);
	umount2(p, MNT_DETACH);
	/* optional mount options: known to the kernel or not */
	res->detail[0] = '\0';
	static const char *const knobs[] = {"volatile", "userxattr"};
	for (size_t i = 0; i < ARRAY_SIZE(knobs); i++) {
		r = knob_known(b, knobs[i], i);
		strappend(res->detail, sizeof(res->detail), " ", "%s=%s", knobs[i],
			  r ? errno_name(r) : "yes");
	}
	strappend(res->detail, sizeof(res->detail), " ", "max_lowers=%d", max_lowers(b));
	return 0;
}

/* Where to test: the data root, or its nearest existing parent. */
static void test_dir(const char *root, char *out, size_t len)
{
	snprintf(out, len, "%s", root);
	while (!path_exists(out)) {
		char *s = strrchr(out, '/');
		if (!s || s == out) {
			snprintf(out, len, "/");
			return;
		}
		*s = '\0';
	}
}

static void option_flags(struct probe_ctx *c, const char *detail)
{
	static const char *const params[] = {"redirect_dir", "index", "nfs_export", "xino_auto",
					     "metacopy"};
	char p[128], v[32];
	json_object *o = dc_profile_obj(c->prof, "overlay.features");
	for (size_t i = 0; i < ARRAY_SIZE(params); i++) {
		fmt(p, sizeof(p), "/sys/module/overlay/parameters/%s", params[i]);
		if (read_line(sr(c, p), v, sizeof(v)) == 0)
			json_object_object_add(o, params[i], json_object_new_string(v));
		else
			json_object_object_add(o, params[i], json_object_new_string("absent"));
	}
	/* volatile and userxattr are not module parameters: they were test-mounted */
	static const char *const mounted[] = {"volatile", "userxattr"};
	for (size_t i = 0; i < ARRAY_SIZE(mounted); i++) {
		const char *s = detail ? strstr(detail, mounted[i]) : NULL;
		char val[32] = "untested";
		/* "yes", or the errno name the test mount failed with */
		if (s && sscanf(s + strlen(mounted[i]) + 1, "%31s", val) != 1)
			snprintf(val, sizeof(val), "untested");
		json_object_object_add(o, mounted[i], json_object_new_string(val));
	}
	const char *ml = detail ? strstr(detail, "max_lowers=") : NULL;
	int n = ml ? atoi(ml + strlen("max_lowers=")) : 0;
	if (n > 0) {
		char v2[16];
		snprintf(v2, sizeof(v2), "%d", n);
		dc_fact_set_str(c->prof, F_OV_LOWERS, v2);
	}
}

/* The verdict of the mount test in the child. */
static void judge(const struct child_result *res, const char *dir, struct dc_check *k)
{
	if (res->err && !strncmp(res->step, "unshare", 7)) {
		k->usable = DC_UNKNOWN; /* no private mount namespace to test in */
		dc_check_evidence(k, "%s=%s: cannot test", res->step, errno_name(res->err));
	} else if (res->err) {
		k->usable = DC_NO;
		dc_check_errno(k, res->err);
		dc_check_evidence(k, "%s=%s in %s", res->step, errno_name(res->err), dir);
		if (res->err == ENODEV)
			dc_check_hint(k, "the kernel has no overlay filesystem: "
					 "CONFIG_OVERLAY_FS=y or load the module");
		else
			dc_check_hint(
			    k,
			    "the filesystem under %s cannot hold an overlay upper dir (NFS, "
			    "FUSE or overlay itself?): use --root on ext4, xfs or tmpfs",
			    dir);
	} else {
		k->usable = DC_YES;
		dc_check_evidence(k, "mounted lowerdir=l1:l2 with copy-up and whiteout in %s", dir);
	}
}

/* The live test: a real overlay (two lowers, copy-up, whiteout) below the data root. */
static void mount_test(struct probe_ctx *c, struct dc_check *k, struct child_result *res)
{
	struct ov_test t;
	struct statfs sfs = {0};
	struct stat st;
	char dir[PATH_MAX], key[PATH_MAX + 64];
	test_dir(c->data_root, dir, sizeof(dir));
	if (statfs(dir, &sfs) == 0) {
		dc_profile_set_str(c->prof, "overlay", "backing_fs",
				   fs_name((unsigned long)sfs.f_type));
		dc_profile_set_str(c->prof, "overlay", "tested_in", dir);
	}
	/* this boot's answer for the same directory on the same filesystem */
	snprintf(key, sizeof(key), "overlay %s %lx %llx", dir, (unsigned long)sfs.f_type,
		 stat(dir, &st) == 0 ? (unsigned long long)st.st_dev : 0ULL);
	if (answers_get(c, key, res, sizeof(*res))) {
		judge(res, dir, k);
		return;
	}
	if (fmt(t.base, sizeof(t.base), "%s/.diyc-probe-XXXXXX", strcmp(dir, "/") ? dir : "") < 0 ||
	    !mkdtemp(t.base)) {
		k->usable = DC_UNKNOWN;
		dc_check_evidence(k, "cannot create a test directory in %s: %s", dir,
				  strerror(errno));
		return;
	}
	int r = 0;
	const char *dirs[] = {"l1", "l2", "u", "w", "m"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs) && !r; i++)
		r = mk(t.base, dirs[i]);
	if (!r)
		r = put(t.base, "l1/a", "l1") ?: put(t.base, "l2/a", "l2") ?: put(t.base, "l2/b", "l2");
	if (r) {
		k->usable = DC_UNKNOWN;
		dc_check_evidence(k, "test tree: %s", errno_name(r));
	} else if (run_child(child_overlay, &t, res, 5) < 0) {
		k->usable = DC_UNKNOWN;
		dc_check_evidence(k, "%s", res->detail);
	} else {
		answers_put(c, key, res, sizeof(*res));
		judge(res, dir, k);
	}
	remove_tree(t.base);
}

void probe_overlay(struct probe_ctx *c)
{
	struct dc_check k;
	char fs[8192];
	const char *mod = module_state(c, "overlay");
	struct child_result res = {0};

	dc_check_init(&k, c->live ? "mount" : "procfs", "3.18");
	k.required = true;
	if (sr_read(c, "/proc/filesystems", fs, sizeof(fs)) >= 0) {
		bool listed = filesystems_has(fs, "overlay");
		dc_check_evidence(&k, "/proc/filesystems %s overlay", listed ? "lists" : "lacks");
		if (listed)
			k.compiled = DC_YES;
	}
	dc_check_evidence(&k, "module overlay %s", mod);
	if (!strcmp(mod, "loadable") && c->load_modules) {
		int r = module_load(c, "overlay");
		dc_check_evidence(&k, "load overlay: %s", r ? errno_name(r) : "ok");
		if (r == 0)
			mod = "live";
	}
	kopt_evidence(c, &k, "OVERLAY_FS");
	k.enabled = k.compiled == DC_NO ? DC_NA : DC_YES;
	if (!strcmp(mod, "loadable") && k.compiled != DC_YES) {
		/* Loading is diyc run's job; mounting now would autoload it behind the user's back.
		 */
		k.compiled = DC_YES;
		k.usable = DC_UNKNOWN;
		k.status = DC_PARTIAL;
		dc_check_hint(&k, "overlay is a module that is not loaded: diyc run loads it, or "
				  "run diyc-probe --load-modules to test it now");
	} else if (c->live) {
		mount_test(c, &k, &res);
		k.status = k.usable;
		if (k.usable == DC_YES)
			k.compiled = DC_YES;
	} else {
		k.usable = DC_UNKNOWN;
		k.status = k.compiled == DC_NO && strcmp(mod, "loadable") ? DC_NO : DC_UNKNOWN;
	}
	dc_fact_add_check(c->prof, F_OVERLAY, &k);
	option_flags(c, k.usable == DC_YES && c->live ? res.detail : NULL);
}
