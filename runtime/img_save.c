/*
 * `diyc image save NAME DIR|FILE.tar`: an OCI image layout (skopeo's `oci:DIR:NAME`,
 * podman's `oci-archive:FILE`) made from the store.  Each layer is written back as an
 * uncompressed tar with the OCI spec's whiteouts (a 0:0 character device becomes
 * .wh.NAME, an opaque directory gets .wh..wh..opq), hard links as tar hard links,
 * xattrs kept (overlay's own dropped).  The tar bytes differ from the ones imported,
 * so the layers get new digests and the config new diff_ids: the image (its files
 * and config) is the same, its digests are not.  A directory image is saved as one
 * layer.  Written into a scratch dir next to DIR and renamed: no half layout.
 */
#define _GNU_SOURCE
#include "runtime/archiveapi.h"
#include "runtime/diyc.h"
#include "runtime/image.h"
#include "runtime/imgapi.h"
#include "lib/names.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

struct tarw {
	const struct archive_api *A;
	struct archive *a;
	struct {
		dev_t dev;
		ino_t ino;
		char path[256];
	} links[1024]; /* hard-linked files already written */
	int nlinks;
	char buf[65536];
};

static void xattrs(struct tarw *t, int dfd, const char *name, struct archive_entry *en)
{
	char proc[64], names[4096], val[4096];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dfd, name);
	ssize_t n = llistxattr(proc, names, sizeof(names));
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(names + i) + 1) {
		if (!strncmp(names + i, "trusted.overlay.", 16))
			continue;
		ssize_t v = lgetxattr(proc, names + i, val, sizeof(val));
		if (v >= 0)
			t->A->archive_entry_xattr_add_entry(en, names + i, val, (size_t)v);
	}
}

static int put(struct tarw *t, struct archive_entry *en, int fd, struct dc_err *e)
{
	const struct archive_api *A = t->A;
	if (A->archive_write_header(t->a, en) != ARCHIVE_OK)
		return dc_fail(e, 0, "tar: %s", A->archive_error_string(t->a));
	ssize_t n;
	while (fd >= 0 && (n = read(fd, t->buf, sizeof(t->buf))) > 0)
		if (A->archive_write_data(t->a, t->buf, (size_t)n) != n)
			return dc_fail(e, 0, "tar: %s", A->archive_error_string(t->a));
	return 0;
}

/* one entry of directory dfd (relative path rel) and, for a directory, its tree */
static int entry(struct tarw *t, int dfd, const char *name, const char *rel, struct dc_err *e);

static int tree(struct tarw *t, int dfd, const char *rel, struct dc_err *e)
{
	int fd = dup(dfd), r = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char sub[PATH_MAX];
	if (!d)
		return dc_fail(e, errno, "read %s", rel);
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    fmt(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name) == 0)
			r = entry(t, dfd, de->d_name, sub, e);
	closedir(d);
	return r;
}

static int entry(struct tarw *t, int dfd, const char *name, const char *rel, struct dc_err *e)
{
	const struct archive_api *A = t->A;
	struct stat st;
	char link[PATH_MAX], wh[PATH_MAX];
	int r = 0, fd = -1;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return dc_fail(e, errno, "stat %s", rel);
	struct archive_entry *en = A->archive_entry_new();
	if (S_ISCHR(st.st_mode) && st.st_rdev == 0) { /* an overlay whiteout */
		const char *slash = strrchr(rel, '/');
		fmt(wh, sizeof(wh), "%.*s%s.wh.%s", slash ? (int)(slash - rel) : 0, rel,
		    slash ? "/" : "", name);
		st.st_mode = S_IFREG;
		st.st_size = 0;
		A->archive_entry_copy_stat(en, &st);
		A->archive_entry_copy_pathname(en, wh);
		r = put(t, en, -1, e);
		A->archive_entry_free(en);
		return r;
	}
	A->archive_entry_copy_stat(en, &st);
	A->archive_entry_copy_pathname(en, rel);
	xattrs(t, dfd, name, en);
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(dfd, name, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		A->archive_entry_copy_symlink(en, link);
	} else if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
		for (int i = 0; i < t->nlinks; i++)
			if (t->links[i].dev == st.st_dev && t->links[i].ino == st.st_ino) {
				A->archive_entry_copy_hardlink(en, t->links[i].path);
				A->archive_entry_set_size(en, 0);
				st.st_mode = 0; /* no data */
				break;
			}
		if (st.st_mode && t->nlinks < 1024 && strlen(rel) < 256) {
			t->links[t->nlinks].dev = st.st_dev;
			t->links[t->nlinks].ino = st.st_ino;
			snprintf(t->links[t->nlinks++].path, 256, "%s", rel);
		}
	}
	if (S_ISREG(st.st_mode) && (fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		r = dc_fail(e, errno, "open %s", rel);
	if (r == 0)
		r = put(t, en, fd, e);
	A->archive_entry_free(en);
	if (fd >= 0)
		close(fd);
	if (r == 0 && S_ISDIR(st.st_mode)) {
		int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char v[4];
		if (sub < 0)
			return dc_fail(e, errno, "open %s", rel);
		if (fgetxattr(sub, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y') {
			en = A->archive_entry_new();
			st.st_mode = S_IFREG;
			st.st_size = 0;
			A->archive_entry_copy_stat(en, &st);
			fmt(wh, sizeof(wh), "%s/.wh..wh..opq", rel);
			A->archive_entry_copy_pathname(en, wh);
			r = put(t, en, -1, e);
			A->archive_entry_free(en);
		}
		if (r == 0)
			r = tree(t, sub, rel, e);
		close(sub);
	}
	return r;
}

/* The tree at src as an uncompressed tar blob of layout dir: its digest in out. */
static int layer_blob(const char *src, const char *dir, char out[72], long long *size,
		      struct dc_err *e)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	unsigned long long n = 0;
	struct tarw *t = calloc(1, sizeof(*t));
	int sfd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r = -1;
	fmt(tmp, sizeof(tmp), "%s/blobs/sha256/layer.tmp", dir);
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (!t || sfd < 0 || fd < 0 || !(t->A = archive_api(e))) {
		if (!e->msg[0])
			dc_fail(e, errno, "cannot write the layer of %s", src);
		goto out;
	}
	t->a = t->A->archive_write_new();
	t->A->archive_write_set_format_pax_restricted(t->a);
	if (t->A->archive_write_open_fd(t->a, fd) != ARCHIVE_OK)
		dc_fail(e, 0, "tar: %s", t->A->archive_error_string(t->a));
	else if (tree(t, sfd, "", e) == 0 && t->A->archive_write_close(t->a) == ARCHIVE_OK)
		r = 0;
	t->A->archive_write_free(t->a);
	if (r == 0 && (lseek(fd, 0, SEEK_SET) < 0 || sha256_file(fd, out, &n, e) < 0))
		r = -1;
	*size = (long long)n;
	if (r == 0 &&
	    (fmt(dst, sizeof(dst), "%s/blobs/sha256/%s", dir, out + 7) < 0 || rename(tmp, dst) < 0))
		r = dc_fail(e, errno, "rename %s", tmp);
out:
	if (sfd >= 0)
		close(sfd);
	if (fd >= 0)
		close(fd);
	free(t);
	return r;
}

/* a JSON document as a blob of the layout; its descriptor */
static json_object *json_blob(const char *dir, json_object *doc, const char *media,
			      struct dc_err *e)
{
	const char *s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE);
	char digest[72], p[PATH_MAX];
	if (sha256_buf(s, strlen(s), digest, e) < 0 ||
	    fmt(p, sizeof(p), "%s/blobs/sha256/%s", dir, digest + 7) < 0 ||
	    write_file_atomic(p, s, 0644, false) < 0)
		return dc_fail(e, errno, "cannot write %s", p), NULL;
	json_object *d = json_object_new_object();
	json_object_object_add(d, "mediaType", json_object_new_string(media));
	json_object_object_add(d, "digest", json_object_new_string(digest));
	json_object_object_add(d, "size", json_object_new_int64((int64_t)strlen(s)));
	return d;
}

/* The layers (store dirs, or a directory image's root) as blobs; diff_ids filled. */
static json_object *layer_descs(const char *name, const struct img_rec *r, int k, const char *dir,
				json_object *ids, struct dc_err *e)
{
	json_object *ls = json_object_new_array();
	char src[PATH_MAX], digest[72];
	long long size;
	for (int i = 0; i < (k == 1 ? 1 : r->nlayers); i++) {
		if (k == 1)
			image_dir(name, src, sizeof(src));
		else
			store_layer_dir(r->diff_ids[i], src, sizeof(src));
		if (layer_blob(src, dir, digest, &size, e) < 0) {
			json_object_put(ls);
			return NULL;
		}
		json_object *d = json_object_new_object();
		json_object_object_add(
		    d, "mediaType",
		    json_object_new_string("application/vnd.oci.image.layer.v1.tar"));
		json_object_object_add(d, "digest", json_object_new_string(digest));
		json_object_object_add(d, "size", json_object_new_int64(size));
		json_object_array_add(ls, d);
		json_object_array_add(ids, json_object_new_string(digest));
	}
	return ls;
}

static int save_layout(const char *name, const char *dir, struct dc_err *e)
{
	struct img_rec r;
	char p[PATH_MAX];
	int k = img_load(name, &r, e), rc = -1;
	if (k < 0)
		return -1;
	fmt(p, sizeof(p), "%s/blobs/sha256", dir);
	if (mkdir_p(p, 0755) < 0) {
		img_free(&r);
		return dc_fail(e, errno, "cannot create %s", p);
	}
	json_object *ids = json_object_new_array(), *cfg = NULL, *rootfs = json_object_new_object();
	json_object *layers = layer_descs(name, &r, k, dir, ids, e), *cd = NULL, *md = NULL;
	cfg = k == 0 && r.config && json_object_deep_copy(r.config, &cfg, NULL) == 0
		  ? cfg
		  : json_object_new_object();
	if (k == 1) {
		json_object_object_add(
		    cfg, "architecture",
		    json_object_new_string(strchr(img_host_platform(), '/') + 1));
		json_object_object_add(cfg, "os", json_object_new_string("linux"));
	}
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "diff_ids", ids);
	json_object_object_add(cfg, "rootfs", rootfs);
	if (layers && (cd = json_blob(dir, cfg, "application/vnd.oci.image.config.v1+json", e))) {
		json_object *m = json_object_new_object(), *an = json_object_new_object();
		json_object_object_add(m, "schemaVersion", json_object_new_int(2));
		json_object_object_add(
		    m, "mediaType",
		    json_object_new_string("application/vnd.oci.image.manifest.v1+json"));
		json_object_object_add(m, "config", cd);
		json_object_object_add(m, "layers", json_object_get(layers));
		md = json_blob(dir, m, "application/vnd.oci.image.manifest.v1+json", e);
		json_object_put(m);
		if (md) {
			json_object_object_add(an, "org.opencontainers.image.ref.name",
					       json_object_new_string(name));
			json_object_object_add(md, "annotations", an);
			json_object *idx = json_object_new_object(), *ms = json_object_new_array();
			json_object_array_add(ms, md);
			json_object_object_add(idx, "schemaVersion", json_object_new_int(2));
			json_object_object_add(idx, "manifests", ms);
			fmt(p, sizeof(p), "%s/index.json", dir);
			rc = write_file_atomic(
			    p, json_object_to_json_string_ext(idx, JSON_C_TO_STRING_PLAIN), 0644,
			    false);
			fmt(p, sizeof(p), "%s/oci-layout", dir);
			rc = rc
				 ?: write_file_atomic(p, "{\"imageLayoutVersion\":\"1.0.0\"}", 0644,
						      false);
			rc = rc < 0 ? dc_fail(e, -rc, "cannot write %s", p) : 0;
			json_object_put(idx);
		} else {
			json_object_put(an);
		}
	}
	if (layers)
		json_object_put(layers);
	json_object_put(cfg);
	img_free(&r);
	return rc;
}

/* the layout at dir as the tar file out */
static int tar_layout(const char *dir, const char *out, struct dc_err *e)
{
	struct tarw *t = calloc(1, sizeof(*t));
	int sfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = -1;
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (t && sfd >= 0 && fd >= 0 && (t->A = archive_api(e))) {
		t->a = t->A->archive_write_new();
		t->A->archive_write_set_format_pax_restricted(t->a);
		if (t->A->archive_write_open_fd(t->a, fd) == ARCHIVE_OK &&
		    tree(t, sfd, "", e) == 0 && t->A->archive_write_close(t->a) == ARCHIVE_OK)
			r = 0;
		t->A->archive_write_free(t->a);
	}
	if (r < 0 && !e->msg[0])
		dc_fail(e, errno, "cannot write %s", out);
	if (sfd >= 0)
		close(sfd);
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = dc_fail(e, errno, "cannot write %s", out);
	free(t);
	return r;
}

static int save(const char *name, const char *dest, struct dc_err *e)
{
	char abs[PATH_MAX], parent[PATH_MAX], tmp[PATH_MAX], out[PATH_MAX + 8];
	size_t n = strlen(dest);
	bool tar = n > 4 && !strcmp(dest + n - 4, ".tar");
	snprintf(parent, sizeof(parent), "%s", dest);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	if (!realpath(slash ? (parent[0] ? parent : "/") : ".", abs))
		return dc_fail(e, errno, "cannot write into %s", slash ? parent : ".");
	if (path_exists(dest))
		return dc_fail(e, 0, "%s exists (give a new directory or .tar file)", dest);
	if (fmt(tmp, sizeof(tmp), "%s/.diyc-save-XXXXXX", abs) < 0 || !mkdtemp(tmp))
		return dc_fail(e, errno, "cannot create a directory in %s", abs);
	chmod(tmp, 0755);
	int r = save_layout(name, tmp, e);
	if (r == 0 && tar) {
		snprintf(out, sizeof(out), "%s.part", dest);
		r = tar_layout(tmp, out, e);
		if (r == 0 && rename(out, dest) < 0)
			r = dc_fail(e, errno, "rename %s", out);
		if (r < 0)
			unlink(out);
	} else if (r == 0 && rename(tmp, dest) < 0) {
		r = dc_fail(e, errno, "cannot move the layout to %s", dest);
	}
	if (tar || r < 0)
		remove_tree(tmp);
	return r;
}

int img_cmd_save(int argc, char **argv)
{
	struct dc_err e = {0};
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc image save NAME DIR|FILE.tar\n"
		     "Write image NAME as an OCI image layout (a new directory, or a tar when the\n"
		     "name ends in .tar), readable by skopeo (oci:DIR:NAME) and podman\n"
		     "(oci-archive:FILE).");
		return 0;
	}
	if (argc != 3) {
		dc_error("usage: diyc image save NAME DIR|FILE.tar");
		return EXIT_DIYC;
	}
	if (name_check("image", argv[1], DC_IMAGE_MAX, &e) < 0 || save(argv[1], argv[2], &e) < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	return 0;
}
