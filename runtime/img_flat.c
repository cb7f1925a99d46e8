/*
 * Flattening: an image with more layers than the kernel's overlay takes as lower
 * dirs (the probe's overlay.max_lowers, or a page of mount options) is merged once
 * into DATA_ROOT/images/NAME/flat, a single lower dir.  Files are hard links into
 * the layer store (no copy: a lower dir is never written, overlay copies up), and the
 * layers' overlay-form whiteouts are applied as they are in a merged mount: a 0:0
 * character device removes what the layers below had, an opaque directory replaces
 * theirs, a non-directory replaces a directory.
 */
#define _GNU_SOURCE
#include "runtime/image.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static bool opaque(int dfd)
{
	char v[4];
	ssize_t n = fgetxattr(dfd, "trusted.overlay.opaque", v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

static int merge(int src, int dst, int depth, struct dc_err *e);

/* a directory of a layer over what dst has under that name */
static int merge_dir(int src, int dst, const char *name, const struct stat *st, int depth,
		     struct dc_err *e)
{
	struct stat old;
	int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), d = -1, r = -1;
	if (s < 0)
		return dc_fail(e, errno, "open layer directory %s", name);
	bool have = fstatat(dst, name, &old, AT_SYMLINK_NOFOLLOW) == 0;
	if (have && (!S_ISDIR(old.st_mode) || opaque(s)))
		have = remove_tree_at(dst, name) < 0;
	if (!have && mkdirat(dst, name, st->st_mode & 07777) < 0) {
		dc_fail(e, errno, "mkdir %s", name);
		goto out;
	}
	d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0 || fchown(d, st->st_uid, st->st_gid) < 0 || fchmod(d, st->st_mode & 07777) < 0) {
		dc_fail(e, errno, "directory %s", name);
		goto out;
	}
	if (merge(s, d, depth + 1, e) < 0)
		goto out;
	struct timespec t[2] = {st->st_atim, st->st_mtim}; /* after its children */
	futimens(d, t);
	r = 0;
out:
	close(s);
	if (d >= 0)
		close(d);
	return r;
}

static int merge(int src, int dst, int depth, struct dc_err *e)
{
	if (depth > 256)
		return dc_fail(e, 0, "layer tree deeper than 256 levels");
	int fd = dup(src);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int r = 0;
	if (!dir)
		return dc_fail(e, errno, "read a layer directory");
	while (r == 0 && (de = readdir(dir))) {
		struct stat st;
		const char *n = de->d_name;
		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		if (fstatat(src, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = dc_fail(e, errno, "stat %s", n);
		} else if (S_ISCHR(st.st_mode) && st.st_rdev == 0) {
			remove_tree_at(dst, n); /* whiteout */
		} else if (S_ISDIR(st.st_mode)) {
			r = merge_dir(src, dst, n, &st, depth, e);
		} else {
			remove_tree_at(dst, n);
			if (linkat(src, n, dst, n, 0) < 0)
				r = dc_fail(e, errno, "link %s", n);
		}
	}
	closedir(dir);
	return r;
}

int img_flatten(const struct img_rec *r, const char *dir, struct dc_err *e)
{
	char p[PATH_MAX];
	int dst = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
	if (dst < 0)
		return dc_fail(e, errno, "open %s", dir);
	for (int i = 0; i < r->nlayers && rc == 0; i++) {
		int src = store_layer_dir(r->diff_ids[i], p, sizeof(p)) < 0
			      ? -1
			      : open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (src < 0)
			rc = dc_fail(e, errno, "layer %.19s is missing from the store",
				     r->diff_ids[i]);
		else
			rc = merge(src, dst, 0, e);
		if (src >= 0)
			close(src);
	}
	close(dst);
	return rc;
}
