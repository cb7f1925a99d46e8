/*
 * diyc run's storage: -v/--volume, --mount, --tmpfs and --read-only, parsed with
 * docker's and podman's syntax, checked before anything is created, and mounted by
 * the container process into its new root before pivot_root.
 *
 * Security reasoning kept beside the code:
 * - The destination is the image's, and the image is untrusted: it is opened below
 *   the new root one component at a time with O_NOFOLLOW (rootfs_open_dest), so a
 *   symlink in the image (/data -> /etc) can never move a bind onto the host; such a
 *   destination is refused, not followed.  ".." is refused by the parser.
 * - The source is the caller's choice and taken as given (as docker does): `-v
 *   /:/host:ro` works.  Read-only must then really be read-only: a bind is recursive
 *   (docker's rbind), so the flags are applied to every mount of the bound subtree,
 *   each keeping its own flags plus ours (mounttree.c).
 * - Binds and volumes are nosuid,nodev unless `suid`/`dev` is asked (podman's
 *   options); --tmpfs is also noexec unless `exec` (docker's default).
 * - Propagation is private (the whole tree was made private in step "overlay"):
 *   nothing mounted later on the host appears inside, nothing mounted inside leaks
 *   out.  Other propagation modes are refused rather than half supported.
 * - A missing bind source is an error: no directory is made on the host (podman's
 *   behaviour; docker's -v would create it).
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/storage.h"
#include "lib/parse.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_FLAGS (MS_NOSUID | MS_NODEV)

/* dst made absolute and normal ("//a/./b/" -> "/a/b"); "..", "/", /proc, /sys, /dev
 * refused: those are diyc's own mounts */
static int norm_dest(const char *in, char *out, size_t len, struct dc_err *e)
{
	char buf[PATH_MAX], *save = NULL;
	if (in[0] != '/' || strlen(in) >= sizeof(buf) - 1)
		return dc_fail(e, 0, "mount point '%s' must be an absolute path", in);
	snprintf(buf, sizeof(buf), "%s", in);
	out[0] = '\0';
	for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, ".."))
			return dc_fail(e, 0, "mount point '%s' may not contain '..'", in);
		if (strcmp(c, "."))
			strappend(out, len, "", "/%s", c);
	}
	static const char *const own[] = {"/proc", "/sys"};
	for (size_t i = 0; i < ARRAY_SIZE(own); i++) {
		size_t n = strlen(own[i]);
		if (!strncmp(out, own[i], n) && (out[n] == '\0' || out[n] == '/'))
			return dc_fail(e, 0, "mount point '%s': %s is diyc's own", in, own[i]);
	}
	if (!out[0] || !strcmp(out, "/dev"))
		return dc_fail(e, 0, "mount point '%s': %s is diyc's own", in,
			       out[0] ? out : "the root");
	return 0;
}

/* a bind's or a volume's source: an absolute host path, or a volume's name */
static int set_source(const char *src, struct run_mount *m, struct dc_err *e)
{
	if (src[0] == '/') {
		m->kind = m->kind == RM_TMPFS ? RM_TMPFS : RM_BIND;
		if (strlen(src) >= sizeof(m->src))
			return dc_fail(e, 0, "source path too long");
	} else if (volume_name_check(src, e) < 0) {
		return dc_fail(e, 0,
			       "'%s' is neither an absolute host path nor a volume name "
			       "([A-Za-z0-9][A-Za-z0-9_.-]*)",
			       src);
	} else {
		m->kind = RM_VOLUME;
	}
	snprintf(m->src, sizeof(m->src), "%s", src);
	return 0;
}

/* one option of -v or --tmpfs that sets a flag: 1 if it was one */
static int flag_option(const char *o, unsigned long *flags)
{
	static const struct {
		const char *name;
		unsigned long set, clear;
	} t[] = {
	    {"ro", MS_RDONLY, 0},     {"rw", 0, MS_RDONLY},	{"readonly", MS_RDONLY, 0},
	    {"nosuid", MS_NOSUID, 0}, {"suid", 0, MS_NOSUID},	{"nodev", MS_NODEV, 0},
	    {"dev", 0, MS_NODEV},     {"noexec", MS_NOEXEC, 0}, {"exec", 0, MS_NOEXEC},
	    {"private", 0, 0},	      {"rprivate", 0, 0},
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		if (!strcmp(o, t[i].name)) {
			*flags = (*flags | t[i].set) & ~t[i].clear;
			return 1;
		}
	return 0;
}

static int bad_option(const char *opt, const char *what, struct dc_err *e)
{
	if (!strcmp(opt, "z") || !strcmp(opt, "Z"))
		return dc_fail(e, 0, "%s: SELinux relabelling (%s) is not supported", what, opt);
	if (strstr(opt, "shared") || strstr(opt, "slave"))
		return dc_fail(e, 0, "%s: propagation '%s' is not supported (mounts are private)",
			       what, opt);
	return dc_fail(e, 0, "%s: unknown option '%s'", what, opt);
}

/* the value of a tmpfs option: size=N[kmg], mode=OCTAL, uid=N, gid=N, nr_inodes=N */
static int tmpfs_value(const char *o, struct run_mount *m, struct dc_err *e)
{
	uint64_t size;
	long num;
	char *end;
	const char *v = strchr(o, '=') + 1;
	if (!strncmp(o, "size=", 5) || !strncmp(o, "tmpfs-size=", 11)) {
		if (parse_size(v, &size) < 0 || !size)
			return dc_fail(e, 0, "--tmpfs: invalid size '%s' (examples: 64m, 1g)", v);
		strappend(m->data, sizeof(m->data), ",", "size=%llu", (unsigned long long)size);
	} else if (!strncmp(o, "mode=", 5) || !strncmp(o, "tmpfs-mode=", 11)) {
		num = strtol(v, &end, 8);
		if (!*v || *end || num < 0 || num > 07777)
			return dc_fail(e, 0, "--tmpfs: invalid mode '%s' (octal, e.g. 1777)", v);
		strappend(m->data, sizeof(m->data), ",", "mode=%lo", (unsigned long)num);
	} else if (!strncmp(o, "uid=", 4) || !strncmp(o, "gid=", 4) ||
		   !strncmp(o, "nr_inodes=", 10)) {
		if (parse_count(v, 0, 0x7fffffff, &num) < 0)
			return dc_fail(e, 0, "--tmpfs: invalid number in '%s'", o);
		strappend(m->data, sizeof(m->data), ",", "%.*s=%ld", (int)(v - 1 - o), o, num);
	} else {
		return bad_option(o, "--tmpfs", e);
	}
	return 0;
}

/* comma-separated options of -v (flags only) or --tmpfs (flags and values) */
static int options(const char *list, struct run_mount *m, const char *what, struct dc_err *e)
{
	char buf[256], *save = NULL;
	if (strlen(list) >= sizeof(buf))
		return dc_fail(e, 0, "%s: options too long", what);
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (flag_option(o, &m->flags))
			continue;
		if (!strcmp(o, "nocopy") && m->kind != RM_TMPFS) {
			m->nocopy = true;
			continue;
		}
		if (m->kind != RM_TMPFS || !strchr(o, '='))
			return bad_option(o, what, e);
		if (tmpfs_value(o, m, e) < 0)
			return -1;
	}
	return 0;
}

int mount_parse_volume(const char *arg, struct run_mount *m, struct dc_err *e)
{
	char buf[2 * PATH_MAX], *parts[4];
	int n = 0;
	memset(m, 0, sizeof(*m));
	m->flags = DEFAULT_FLAGS;
	if (strlen(arg) >= sizeof(buf))
		return dc_fail(e, 0, "-v: too long");
	snprintf(buf, sizeof(buf), "%s", arg);
	for (char *p = buf, *c; p && n < 4; p = c) {
		c = strchr(p, ':');
		if (c)
			*c++ = '\0';
		parts[n++] = p;
	}
	if (n == 1)
		return dc_fail(e, 0,
			       "-v '%s': anonymous volumes are not supported: name one "
			       "(-v NAME:%s) or give a host path",
			       arg, arg);
	if (n > 3 || !parts[0][0] || !parts[1][0])
		return dc_fail(e, 0,
			       "invalid -v '%s' (HOST-PATH:DEST[:OPTIONS] or "
			       "NAME:DEST[:OPTIONS])",
			       arg);
	if (set_source(parts[0], m, e) < 0 || norm_dest(parts[1], m->dst, sizeof(m->dst), e) < 0)
		return dc_context(e, "-v '%s'", arg);
	return n == 3 ? options(parts[2], m, "-v", e) : 0;
}

int mount_parse_tmpfs(const char *arg, struct run_mount *m, struct dc_err *e)
{
	char dst[PATH_MAX];
	const char *colon = strchr(arg, ':');
	memset(m, 0, sizeof(*m));
	m->kind = RM_TMPFS;
	m->flags = DEFAULT_FLAGS | MS_NOEXEC;
	snprintf(dst, sizeof(dst), "%.*s", colon ? (int)(colon - arg) : (int)strlen(arg), arg);
	if (norm_dest(dst, m->dst, sizeof(m->dst), e) < 0)
		return dc_context(e, "--tmpfs '%s'", arg);
	return colon ? options(colon + 1, m, "--tmpfs", e) : 0;
}

/* one KEY[=VAL] of --mount */
static int mount_key(const char *k, const char *v, struct run_mount *m, struct dc_err *e)
{
	char opt[160];
	if (!strcmp(k, "source") || !strcmp(k, "src"))
		return m->kind == RM_TMPFS ? dc_fail(e, 0, "--mount: a tmpfs has no source")
					   : set_source(v, m, e);
	if (!strcmp(k, "destination") || !strcmp(k, "dst") || !strcmp(k, "target"))
		return norm_dest(v, m->dst, sizeof(m->dst), e);
	if (!strcmp(k, "readonly") || !strcmp(k, "ro")) {
		if (strcmp(v, "") && strcmp(v, "true") && strcmp(v, "1") && strcmp(v, "false") &&
		    strcmp(v, "0"))
			return dc_fail(e, 0, "--mount: %s=%s (true or false)", k, v);
		m->flags = !strcmp(v, "false") || !strcmp(v, "0") ? m->flags & ~MS_RDONLY
								  : m->flags | MS_RDONLY;
		return 0;
	}
	if (!strcmp(k, "volume-nocopy") && (!v[0] || !strcmp(v, "true") || !strcmp(v, "false")))
		return m->nocopy = strcmp(v, "false") != 0, 0;
	if (!strcmp(k, "bind-propagation"))
		return flag_option(v, &m->flags) ? 0 : bad_option(v, "--mount", e);
	if (m->kind == RM_TMPFS && (!strcmp(k, "tmpfs-size") || !strcmp(k, "tmpfs-mode"))) {
		snprintf(opt, sizeof(opt), "%s=%s", k, v);
		return tmpfs_value(opt, m, e);
	}
	return dc_fail(e, 0, "--mount: unknown key '%s'", k);
}

int mount_parse_mount(const char *arg, struct run_mount *m, struct dc_err *e)
{
	char buf[2 * PATH_MAX], *save = NULL;
	memset(m, 0, sizeof(*m));
	m->kind = RM_BIND;
	m->flags = DEFAULT_FLAGS;
	if (strlen(arg) >= sizeof(buf))
		return dc_fail(e, 0, "--mount: too long");
	snprintf(buf, sizeof(buf), "%s", arg);
	/* type= (anywhere, as docker takes it) decides what the other keys mean */
	const char *type = strstr(arg, "type=") == arg ? arg + 5 : strstr(arg, ",type=");
	type = type && type != arg + 5 ? type + 6 : type;
	size_t tl = type ? strcspn(type, ",") : 0;
	if (type && tl == 6 && !strncmp(type, "volume", 6))
		m->kind = RM_VOLUME;
	else if (type && tl == 5 && !strncmp(type, "tmpfs", 5))
		m->kind = RM_TMPFS, m->flags |= MS_NOEXEC;
	else if (!type || tl != 4 || strncmp(type, "bind", 4))
		return dc_fail(
		    e, 0, "invalid --mount '%s' (type=bind|volume|tmpfs, src=..,dst=..[,ro])", arg);
	enum run_mount_kind kind = m->kind;
	for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (eq)
			*eq++ = '\0';
		if (!strcmp(kv, "type"))
			continue;
		if (mount_key(kv, eq ? eq : "", m, e) < 0)
			return dc_context(e, "--mount '%s'", arg);
	}
	if (m->kind != kind) /* a bind given a volume's name, or the other way round */
		return dc_fail(e, 0, "--mount '%s': type=%.*s needs %s", arg, (int)tl, type,
			       kind == RM_BIND ? "an absolute host path" : "a volume's name");
	if (!m->dst[0] || (kind != RM_TMPFS && !m->src[0]))
		return dc_fail(e, 0, "--mount '%s': needs %s", arg,
			       m->dst[0] ? "a source (src=)" : "a destination (dst=)");
	return 0;
}

static int depth(const char *p)
{
	int n = 0;
	for (; *p; p++)
		n += *p == '/';
	return n;
}

static int by_depth(const void *a, const void *b)
{
	return depth(((const struct run_mount *)a)->dst) -
	       depth(((const struct run_mount *)b)->dst);
}

int mounts_check(struct run_opts *o, struct dc_err *e)
{
	struct stat st;
	for (int i = 0; i < o->nmounts; i++) {
		const struct run_mount *m = &o->mounts[i];
		for (int j = 0; j < i; j++)
			if (!strcmp(o->mounts[j].dst, m->dst))
				return dc_fail(e, 0, "two mounts on %s", m->dst);
		if (m->kind == RM_BIND && stat(m->src, &st) < 0)
			return dc_fail(e, 0, "bind source %s: %s (diyc does not create it)", m->src,
				       strerror(errno));
	}
	qsort(o->mounts, (size_t)o->nmounts, sizeof(o->mounts[0]), by_depth);
	return 0;
}

static int dest_error(const struct run_mount *m, int err, struct dc_err *e)
{
	if (err == -ELOOP)
		return dc_fail(e, 0,
			       "mount point %s: a symlink in the image (refused: it could "
			       "lead out of the container)",
			       m->dst);
	return dc_fail(e, -err, "mount point %s", m->dst);
}

/*
 * A volume that is still empty gets the files the image has where it is mounted,
 * owners and modes kept, as docker and podman do (not with nocopy).  Copied by
 * copytree.c (nothing followed) from the image's directory, opened below the new
 * root like any mount point.
 */
static int copy_up(int rootfd, const struct run_mount *m, int vfd, struct dc_err *e)
{
	int v = openat(vfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;
	DIR *d = v < 0 ? NULL : fdopendir(dup(v));
	struct dirent *de;
	bool empty = d != NULL;
	while (d && empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	int dfd = empty ? rootfs_open_dest(rootfd, m->dst, false) : -1;
	int src = dfd < 0 ? -1 : openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (empty && dfd < 0)
		r = dest_error(m, dfd, e);
	else if (src >= 0) {
		struct copy_opts c = {.keep_owner = true};
		if (copy_tree(&c, src, ".", v, ".", e) < 0)
			r = dc_context(e, "copy %s into volume %s", m->dst, m->src);
	}
	if (src >= 0)
		close(src);
	if (dfd >= 0)
		close(dfd);
	if (v >= 0)
		close(v);
	return r;
}

static int apply_bind(int rootfd, const struct run_mount *m, struct dc_err *e)
{
	char src[PATH_MAX];
	struct stat st;
	if (m->kind == RM_VOLUME && volume_data_dir(m->src, src, sizeof(src)) < 0)
		return dc_fail(e, ENAMETOOLONG, "volume %s", m->src);
	int sfd = open(m->kind == RM_VOLUME ? src : m->src, O_PATH | O_CLOEXEC);
	if (sfd < 0 || fstat(sfd, &st) < 0)
		return dc_fail(e, errno, "%s %s", m->kind == RM_VOLUME ? "volume" : "bind source",
			       m->src);
	if (m->kind == RM_VOLUME && !m->nocopy && copy_up(rootfd, m, sfd, e) < 0) {
		close(sfd);
		return -1;
	}
	int dfd = rootfs_open_dest(rootfd, m->dst, !S_ISDIR(st.st_mode)), r = 0;
	if (dfd < 0)
		r = dest_error(m, dfd, e);
	else if (mount(rootfs_fd_path(sfd), rootfs_fd_path(dfd), NULL, MS_BIND | MS_REC, NULL) < 0)
		r = dc_fail(e, errno, "bind %s on %s", m->src, m->dst);
	close(sfd);
	if (dfd >= 0)
		close(dfd);
	if (r < 0 || (dfd = rootfs_open_dest(rootfd, m->dst, false)) < 0) /* the bind, on top */
		return r < 0 ? r : dest_error(m, dfd, e);
	r = mount_tree_flags(dfd, m->flags, e);
	close(dfd);
	return r;
}

static int apply_tmpfs(int rootfd, const struct run_mount *m, struct dc_err *e)
{
	int fd = rootfs_open_dest(rootfd, m->dst, false), r = 0;
	if (fd < 0)
		return dest_error(m, fd, e);
	if (mount("tmpfs", rootfs_fd_path(fd), "tmpfs", m->flags, m->data[0] ? m->data : NULL) < 0)
		r = dc_fail(e, errno, "mount a tmpfs on %s", m->dst);
	close(fd);
	return r;
}

/* --read-only: /tmp and /run stay writable (tmpfs) unless a mount of the user's is there */
static int readonly_tmpfs(const struct run_opts *o, int rootfd, struct dc_err *e)
{
	static const char *const dirs[][2] = {{"/tmp", "mode=1777"}, {"/run", "mode=755"}};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		struct run_mount m = {.kind = RM_TMPFS, .flags = DEFAULT_FLAGS};
		bool taken = false;
		for (int k = 0; k < o->nmounts; k++)
			taken |= !strcmp(o->mounts[k].dst, dirs[i][0]);
		snprintf(m.dst, sizeof(m.dst), "%s", dirs[i][0]);
		snprintf(m.data, sizeof(m.data), "%s", dirs[i][1]);
		if (!taken && apply_tmpfs(rootfd, &m, e) < 0)
			return -1;
	}
	return 0;
}

int mounts_apply(const struct launch *l, int rootfd, struct dc_err *e)
{
	const struct run_opts *o = l->o;
	if (o->read_only && readonly_tmpfs(o, rootfd, e) < 0)
		return -1;
	for (int i = 0; i < o->nmounts; i++) {
		const struct run_mount *m = &o->mounts[i];
		if ((m->kind == RM_TMPFS ? apply_tmpfs(rootfd, m, e) : apply_bind(rootfd, m, e)) <
		    0)
			return -1;
	}
	return 0;
}

int mounts_root_readonly(const struct launch *l, struct dc_err *e)
{
	/* per-mount flags of the overlay at "/" (its MS_NODEV kept); /dev, /proc, /tmp and
	 * the volumes are mounts of their own and keep theirs */
	if (l->o->read_only &&
	    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NODEV, NULL) < 0)
		return dc_fail(e, errno, "make the root read-only");
	return 0;
}
