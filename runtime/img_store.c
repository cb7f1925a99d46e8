/*
 * The layer store (layout in image.h): layers named by diff_id, shared by every
 * image, added only once verified (rename of a finished tmp dir), removed only when
 * no image record names them.  Writers of images and layers hold DATA_ROOT/layers/
 * .lock; a tmp dir is flock'ed by the process filling it, so `diyc gc` can tell an
 * abandoned one (its writer died) from one in use.
 */
#define _GNU_SOURCE
#include "runtime/image.h"
#include "runtime/diyc.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

bool digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) || strlen(d) != 71)
		return false;
	return strspn(d + 7, "0123456789abcdef") == 64;
}

int store_init(struct dc_err *e)
{
	static const char *const dirs[] = {
	    "",		 "/images",	"/layers",	"/layers/sha256",
	    "/layers/l", "/layers/tmp", "/layers/pulls"};
	char p[PATH_MAX];
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (fmt(p, sizeof(p), "%s%s", G.root, dirs[i]) < 0 ||
		    (mkdir(p, 0711) < 0 && errno != EEXIST))
			return dc_fail(e, errno, "cannot create %s", p);
	return 0;
}

int store_lock(struct dc_err *e)
{
	char p[PATH_MAX];
	fmt(p, sizeof(p), "%s/layers/.lock", G.root);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		dc_fail(e, errno, "cannot lock %s", p);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int store_layer_dir(const char *diff_id, char *out, size_t len)
{
	if (!digest_valid(diff_id))
		return -1;
	return fmt(out, len, "%s/layers/sha256/%s", G.root, diff_id + 7);
}

bool store_has_layer(const char *diff_id)
{
	char p[PATH_MAX];
	struct stat st;
	return store_layer_dir(diff_id, p, sizeof(p)) == 0 && lstat(p, &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

int store_tmpdir(const char *sub, const char *prefix, char *out, size_t len, int *lockfd,
		 struct dc_err *e)
{
	if (fmt(out, len, "%s/%s/.%s-XXXXXX", G.root, sub, prefix) < 0 || !mkdtemp(out))
		return dc_fail(e, errno, "cannot create a directory in %s/%s", G.root, sub);
	chmod(out, 0755);
	*lockfd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*lockfd < 0 || flock(*lockfd, LOCK_EX) < 0) {
		remove_tree(out);
		return dc_fail(e, errno, "cannot lock %s", out);
	}
	return 0;
}

static int short_link(const char *diff_id, char *out, size_t len)
{
	return fmt(out, len, "%s/layers/l/%.*s", G.root, IMG_SHORT, diff_id + 7);
}

int store_commit_layer(const char *tmp, const char *diff_id, struct dc_err *e)
{
	char dst[PATH_MAX], link[PATH_MAX], target[128];
	if (store_layer_dir(diff_id, dst, sizeof(dst)) < 0 ||
	    short_link(diff_id, link, sizeof(link)) < 0)
		return dc_fail(e, 0, "bad diff_id %.80s", diff_id);
	if (store_has_layer(diff_id))
		return remove_tree(tmp), 0; /* unpacked meanwhile by another import */
	fmt(target, sizeof(target), "../sha256/%s", diff_id + 7);
	char old[128];
	ssize_t n = readlink(link, old, sizeof(old) - 1);
	if (n >= 0 && ((void)(old[n] = '\0'), strcmp(old, target)))
		return dc_fail(e, 0, "short link %s names another layer (%s)", link, old);
	if (n < 0 && symlink(target, link) < 0)
		return dc_fail(e, errno, "cannot link %s", link);
	if (rename(tmp, dst) < 0)
		return dc_fail(e, errno, "cannot move the layer into %s", dst);
	return 0;
}

int store_remove_layer(const char *diff_id)
{
	char dir[PATH_MAX], link[PATH_MAX];
	if (store_layer_dir(diff_id, dir, sizeof(dir)) < 0 ||
	    short_link(diff_id, link, sizeof(link)) < 0)
		return -EINVAL;
	unlink(link);
	return remove_tree(dir);
}

/* Each record's layers, as a set (newline-separated) for store_prune. */
static char *used_layers(void)
{
	char p[PATH_MAX], *set = calloc(1, 1);
	size_t len = 0;
	fmt(p, sizeof(p), "%s/images", G.root);
	DIR *d = opendir(p);
	struct dirent *de;
	while (d && set && (de = readdir(d))) {
		struct img_rec r;
		struct dc_err e;
		if (de->d_name[0] == '.' || img_load(de->d_name, &r, &e) != 0)
			continue;
		for (int i = 0; i < r.nlayers && set; i++) {
			char *grown = realloc(set, len + 80);
			if (!grown)
				break;
			set = grown;
			len += (size_t)sprintf(set + len, "%.71s\n", r.diff_ids[i]);
		}
		img_free(&r);
	}
	if (d)
		closedir(d);
	return set;
}

/* Remove the entries of dir whose flock we can take (their writer is gone): ours
 * (named .import-, .unpack-, .layer-) or, with any, all. */
static int prune_tmp(const char *sub, bool any)
{
	char p[PATH_MAX], q[PATH_MAX];
	int n = 0;
	fmt(p, sizeof(p), "%s/%s", G.root, sub);
	DIR *d = opendir(p);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		static const char *const ours[] = {".import-", ".unpack-", ".layer-"};
		bool mine = false;
		for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
			mine = mine || !strncmp(de->d_name, ours[i], strlen(ours[i]));
		if (!mine && (!any || de->d_name[0] == '.'))
			continue;
		int fd =
		    openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    fmt(q, sizeof(q), "%s/%s", p, de->d_name) == 0 && remove_tree(q) == 0)
			n++;
		if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
	return n;
}

int store_prune(int *layers, int *tmps, bool pulls)
{
	char p[PATH_MAX], key[80];
	char *used = used_layers();
	*layers = 0;
	*tmps = prune_tmp("layers/tmp", false) + prune_tmp("images", false) +
		(pulls ? prune_tmp("layers/pulls", true) : 0);
	fmt(p, sizeof(p), "%s/layers/sha256", G.root);
	DIR *d = used ? opendir(p) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(key, sizeof(key), "sha256:%.64s\n", de->d_name);
		if (strstr(used, key))
			continue;
		snprintf(key, sizeof(key), "sha256:%.64s", de->d_name);
		if (store_remove_layer(key) == 0)
			(*layers)++;
	}
	if (d)
		closedir(d);
	free(used);
	return 0;
}

int img_load(const char *name, struct img_rec *r, struct dc_err *e)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct stat st;
	memset(r, 0, sizeof(*r));
	if (image_dir(name, dir, sizeof(dir)) < 0 || lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return dc_fail(e, 0, "no image '%s' (see diyc image ls)", name);
	fmt(p, sizeof(p), "%s/" IMG_RECORD, dir);
	if (lstat(p, &st) < 0)
		return 1;
	json_object *layers;
	if (!(r->root = json_object_from_file(p)) ||
	    !json_object_object_get_ex(r->root, "layers", &layers) ||
	    !json_object_is_type(layers, json_type_array)) {
		img_free(r);
		return dc_fail(e, 0, "image %s: %s is unreadable", name, IMG_RECORD);
	}
	json_object_object_get_ex(r->root, "config", &r->config);
	size_t n = json_object_array_length(layers);
	for (size_t i = 0; i < n && i < 256; i++) {
		json_object *l = json_object_array_get_idx(layers, i), *d;
		if (!json_object_object_get_ex(l, "diff_id", &d) ||
		    !digest_valid(json_object_get_string(d))) {
			img_free(r);
			return dc_fail(e, 0, "image %s: a layer without a valid diff_id", name);
		}
		r->diff_ids[r->nlayers++] = json_object_get_string(d);
	}
	return 0;
}

void img_free(struct img_rec *r)
{
	if (r->root)
		json_object_put(r->root);
	memset(r, 0, sizeof(*r));
}

/* flat/ of image dir, built once under the image's lock */
static int flat_dir(const char *dir, const struct img_rec *r, char *out, size_t len,
		    struct dc_err *e)
{
	char tmp[PATH_MAX];
	fmt(out, len, "%s/flat", dir);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		if (fd >= 0)
			close(fd);
		return dc_fail(e, errno, "cannot lock %s", dir);
	}
	if (!path_exists(out)) {
		fmt(tmp, sizeof(tmp), "%s/flat.tmp", dir);
		remove_tree(tmp);
		if (mkdir(tmp, 0755) < 0)
			rc = dc_fail(e, errno, "cannot create %s", tmp);
		else if (img_flatten(r, tmp, e) < 0 || rename(tmp, out) < 0)
			rc = remove_tree(tmp), e->msg[0] ? -1 : dc_fail(e, errno, "rename %s", tmp);
	}
	close(fd);
	return rc;
}

int img_lowerdir(const char *name, int max_lowers, char *out, size_t len, bool *flattened,
		 struct dc_err *e)
{
	struct img_rec r;
	char dir[PATH_MAX], link[PATH_MAX];
	*flattened = false;
	int k = img_load(name, &r, e);
	if (k < 0)
		return -1;
	image_dir(name, dir, sizeof(dir));
	if (k == 1)
		return fmt(out, len, "%s", dir) < 0 ? dc_fail(e, 0, "path too long") : 0;
	out[0] = '\0';
	bool fits = r.nlayers <= max_lowers;
	for (int i = r.nlayers - 1; i >= 0 && fits; i--) {
		short_link(r.diff_ids[i], link, sizeof(link));
		if (!store_has_layer(r.diff_ids[i])) {
			dc_fail(e, 0,
				"image %s: layer %.19s is missing from the store (diyc image "
				"rm it and import again)",
				name, r.diff_ids[i]);
			img_free(&r);
			return -1;
		}
		fits = strlen(out) + strlen(link) + 2 < len;
		if (fits)
			strappend(out, len, ":", "%s", link);
	}
	/* overlay needs two lowers without an upper; one layer is fine with ours */
	int rc = 0;
	if (!fits) {
		*flattened = true;
		rc = flat_dir(dir, &r, out, len, e);
	}
	img_free(&r);
	return rc;
}
