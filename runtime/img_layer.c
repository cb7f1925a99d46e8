/*
 * One layer blob (plain, gzip, zstd, xz or bzip2 tar) unpacked into a directory of
 * the layer store, verified on the way: the compressed bytes against the digest of
 * the blob's descriptor, the uncompressed tar against the config's diff_id.  One
 * pass: libarchive's "raw" reader decompresses (its read callback hashes what comes
 * from the file), a second reader parses the tar from it (its callback hashes the
 * uncompressed stream).  The caller removes the directory when this fails.
 *
 * Layer semantics (OCI image spec, "Changesets"), stored as overlayfs reads them:
 *   .wh.NAME      -> a 0:0 character device NAME (an overlay whiteout)
 *   .wh..wh..opq  -> trusted.overlay.opaque=y on its directory: the lower layers'
 *                    entries are hidden, this layer's own stay (overlay's meaning)
 * Hostile input (every layer, see docs/security.md): a name or hard-link target that
 * is absolute or holds "..", a whiteout naming "." or "..", and any entry written
 * through a symlink are refused (libarchive's SECURE_* checks, and our walk with
 * O_NOFOLLOW for whiteouts).  Each layer is its own directory, so a symlink planted
 * by an earlier layer is never in the way of a later one's entries; in the merged
 * view a later layer's directory replaces it.  trusted.overlay.* xattrs carried by
 * an image are dropped: only this code decides what overlay sees.
 */
#define _GNU_SOURCE
#include "runtime/archiveapi.h"
#include "runtime/image.h"
#include "runtime/imgapi.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct unpack {
	const struct archive_api *A;
	int fd, rootfd;
	int lowers[256], nlowers; /* the layers below, top first */
	struct archive *raw, *tar, *disk;
	struct sha256 blob, diff;
	struct img_progress *prog;
	char in[65536], out[65536];
};

static la_ssize_t raw_read(struct archive *a, void *ctx, const void **buf)
{
	struct unpack *u = ctx;
	(void)a;
	ssize_t n = read(u->fd, u->in, sizeof(u->in));
	if (n < 0)
		return ARCHIVE_FATAL;
	sha256_update(&u->blob, u->in, (size_t)n);
	img_progress_add(u->prog, (unsigned long long)n);
	*buf = u->in;
	return n;
}

static la_ssize_t tar_read(struct archive *a, void *ctx, const void **buf)
{
	struct unpack *u = ctx;
	(void)a;
	la_ssize_t n = u->A->archive_read_data(u->raw, u->out, sizeof(u->out));
	if (n < 0)
		return ARCHIVE_FATAL;
	sha256_update(&u->diff, u->out, (size_t)n);
	*buf = u->out;
	return n;
}

/* name without leading "./" and trailing "/"; -1 when absolute or with a ".." */
static int clean_path(const char *in, char *out, size_t len)
{
	while (in[0] == '.' && in[1] == '/')
		in += 2;
	if (in[0] == '/' || fmt(out, len, "%s", in) < 0)
		return -1;
	size_t n = strlen(out);
	while (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
	for (const char *c = out; *c;) {
		size_t k = strcspn(c, "/");
		if (k == 2 && c[0] == '.' && c[1] == '.')
			return -1;
		c += k + (c[k] == '/');
	}
	return 0;
}

/* The directory rel below rootfd, created when missing, never through a symlink. */
static int open_dir(int rootfd, const char *rel, int flags)
{
	char p[PATH_MAX];
	int fd = dup(rootfd);
	snprintf(p, sizeof(p), "%s", rel);
	for (char *save, *c = strtok_r(p, "/", &save); c && fd >= 0;
	     c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		int next = openat(fd, c, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | flags);
		close(fd);
		fd = next;
	}
	return fd;
}

/* The type of rel in the lower layer dir fd: 0 when absent there or below a
 * non-directory of that layer (which hides it). */
static mode_t lower_type(int fd, const char *rel)
{
	char p[PATH_MAX], *comp[256];
	int n = 0, cur = dup(fd);
	mode_t m = 0;
	snprintf(p, sizeof(p), "%s", rel);
	for (char *save, *c = strtok_r(p, "/", &save); c && n < 256; c = strtok_r(NULL, "/", &save))
		comp[n++] = c;
	for (int i = 0; i < n && cur >= 0; i++) {
		struct stat st;
		if (fstatat(cur, comp[i], &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    (!S_ISDIR(st.st_mode) && i < n - 1)) {
			m = 0;
			break;
		}
		m = st.st_mode;
		int next = i < n - 1
			       ? openat(cur, comp[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			       : -1;
		close(cur);
		cur = next;
	}
	if (cur >= 0)
		close(cur);
	return m;
}

/* Each ancestor (dir, a path in the layer) this layer does not have yet must not be a
 * symlink in the merged view of the layers below: an entry through it would be
 * written through that symlink by a flattening unpacker; refused here. */
static int check_lowers(struct unpack *u, const char *dir, struct dc_err *e)
{
	char p[PATH_MAX];
	struct stat st;
	snprintf(p, sizeof(p), "%s", dir);
	for (char *c = p; u->nlowers && *c;) {
		size_t k = strcspn(c, "/");
		char saved = c[k];
		c[k] = '\0';
		if (fstatat(u->rootfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0)
			for (int i = 0; i < u->nlowers; i++) {
				mode_t m = lower_type(u->lowers[i], p);
				if (S_ISLNK(m))
					return dc_fail(e, 0,
						       "refused '%s/...': '%s' is a symlink in a "
						       "layer below",
						       dir, p);
				if (m)
					break;
			}
		c[k] = saved;
		c += k + (saved == '/');
	}
	return 0;
}

/* .wh.NAME or .wh..wh..opq in directory dir of the layer */
static int whiteout(struct unpack *u, const char *dir, const char *base, struct dc_err *e)
{
	const char *name = base + strlen(".wh.");
	int dfd = open_dir(u->rootfd, dir, O_RDONLY);
	int r = 0;
	if (dfd < 0)
		return dc_fail(e, errno, "whiteout in '%s' goes through a symlink or a file", dir);
	if (!strcmp(name, ".wh..opq")) {
		if (fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
			r = dc_fail(e, errno, "cannot mark '%s' opaque", dir[0] ? dir : "/");
	} else if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..")) {
		r = dc_fail(e, 0, "refused a whiteout naming '%s' in '/%s'", name, dir);
	} else if (mknodat(dfd, name, S_IFCHR, makedev(0, 0)) < 0 && errno != EEXIST) {
		r = dc_fail(e, errno, "cannot write the whiteout of '%s/%s'", dir, name);
	}
	close(dfd);
	return r;
}

/* xattrs an image may not set: overlay's own */
static void drop_overlay_xattrs(const struct archive_api *A, struct archive_entry *en)
{
	const char *n, *keep_n[32];
	const void *v, *keep_v[32];
	size_t s, keep_s[32], k = 0;
	bool dropped = false;
	if (A->archive_entry_xattr_reset(en) == 0)
		return;
	while (A->archive_entry_xattr_next(en, &n, &v, &s) == ARCHIVE_OK)
		if (!strncmp(n, "trusted.overlay.", 16))
			dropped = true;
		else if (k < 32)
			keep_n[k] = n, keep_v[k] = v, keep_s[k++] = s;
	if (!dropped)
		return;
	char names[32][256];
	unsigned char *vals[32];
	for (size_t i = 0; i < k; i++) {
		snprintf(names[i], sizeof(names[i]), "%s", keep_n[i]);
		vals[i] = malloc(keep_s[i] ? keep_s[i] : 1);
		if (vals[i])
			memcpy(vals[i], keep_v[i], keep_s[i]);
	}
	A->archive_entry_xattr_clear(en);
	for (size_t i = 0; i < k; i++) {
		if (vals[i])
			A->archive_entry_xattr_add_entry(en, names[i], vals[i], keep_s[i]);
		free(vals[i]);
	}
}

/* One tar entry: checked, then a whiteout or libarchive's secure write. */
static int entry(struct unpack *u, struct archive_entry *en, struct dc_err *e)
{
	const struct archive_api *A = u->A;
	char name[PATH_MAX], link[PATH_MAX];
	const char *raw = A->archive_entry_pathname(en), *hl = A->archive_entry_hardlink(en);
	if (!raw || strlen(raw) >= PATH_MAX || clean_path(raw, name, sizeof(name)) < 0)
		return dc_fail(e, 0, "refused the entry '%.200s' (absolute, '..' or too long)",
			       raw ? raw : "");
	if (!name[0])
		return 0; /* the layer's root itself */
	if (hl && (clean_path(hl, link, sizeof(link)) < 0 || !link[0]))
		return dc_fail(e, 0, "refused the hard link '%s' -> '%.200s'", name, hl);
	char *slash = strrchr(name, '/');
	const char *base = slash ? slash + 1 : name;
	if (slash) {
		*slash = '\0';
		int r = check_lowers(u, name, e);
		*slash = '/';
		if (r < 0)
			return -1;
	}
	if (!strncmp(base, ".wh.", 4)) {
		if (slash)
			*slash = '\0';
		return whiteout(u, slash ? name : "", base, e);
	}
	A->archive_entry_copy_pathname(en, name);
	if (hl)
		A->archive_entry_copy_hardlink(en, link);
	drop_overlay_xattrs(A, en);
	if (A->archive_write_header(u->disk, en) < ARCHIVE_WARN)
		return dc_fail(e, 0, "refused the entry '%s': %s", name,
			       A->archive_error_string(u->disk));
	if (A->archive_entry_size(en) > 0 && archive_copy_entry(A, u->tar, u->disk, name, e) < 0)
		return dc_context(e, "the layer");
	if (A->archive_write_finish_entry(u->disk) < ARCHIVE_WARN)
		return dc_fail(e, 0, "finishing '%s': %s", name, A->archive_error_string(u->disk));
	return 0;
}

static int open_readers(struct unpack *u, struct dc_err *e)
{
	const struct archive_api *A = u->A;
	struct archive_entry *en;
	u->raw = A->archive_read_new();
	u->tar = A->archive_read_new();
	u->disk = A->archive_write_disk_new();
	archive_read_filters(A, u->raw);
	A->archive_read_support_format_raw(u->raw);
	if (A->archive_read_open(u->raw, u, NULL, raw_read, NULL) != ARCHIVE_OK ||
	    A->archive_read_next_header(u->raw, &en) != ARCHIVE_OK)
		return dc_fail(e, 0, "not a layer (empty or unreadable): %s",
			       A->archive_error_string(u->raw));
	A->archive_read_support_format_tar(u->tar);
	A->archive_read_support_format_gnutar(u->tar);
	if (A->archive_read_open(u->tar, u, NULL, tar_read, NULL) != ARCHIVE_OK)
		return dc_fail(e, 0, "not a tar archive: %s", A->archive_error_string(u->tar));
	/* No ARCHIVE_EXTRACT_UNLINK: with it SECURE_SYMLINKS would quietly replace a
	 * symlink in the way; without it an entry that goes through one is refused. */
	A->archive_write_disk_set_options(
	    u->disk, ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
			 ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |
			 ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_TIME);
	return 0;
}

/* Every entry, then what is left of both streams (both digests cover all bytes). */
static int walk(struct unpack *u, struct layer_got *g, struct dc_err *e)
{
	const struct archive_api *A = u->A;
	struct archive_entry *en;
	for (;;) {
		int s = A->archive_read_next_header(u->tar, &en);
		if (s == ARCHIVE_EOF)
			break;
		if (s < ARCHIVE_WARN)
			return dc_fail(e, 0, "the layer is not a valid tar: %s",
				       A->archive_error_string(u->tar));
		if (entry(u, en, e) < 0)
			return -1;
		g->files++;
	}
	la_ssize_t n;
	while ((n = A->archive_read_data(u->raw, u->out, sizeof(u->out))) > 0)
		sha256_update(&u->diff, u->out, (size_t)n);
	if (n < 0)
		return dc_fail(e, 0, "the layer is truncated or corrupt: %s",
			       A->archive_error_string(u->raw));
	ssize_t k;
	while ((k = read(u->fd, u->in, sizeof(u->in))) > 0)
		sha256_update(&u->blob, u->in, (size_t)k);
	if (A->archive_write_close(u->disk) != ARCHIVE_OK)
		return dc_fail(e, 0, "%s", A->archive_error_string(u->disk));
	return 0;
}

static int verify(const struct layer_want *w, struct layer_got *g, struct dc_err *e)
{
	if (w->digest && strcmp(w->digest, g->digest))
		return dc_fail(e, 0,
			       "layer %.19s: the blob's digest is %.19s (corrupt or tampered)",
			       w->digest, g->digest);
	if (w->size >= 0 && (unsigned long long)w->size != g->size)
		return dc_fail(e, 0, "layer %.19s: %llu bytes, the manifest says %lld", w->digest,
			       g->size, w->size);
	if (w->diff_id && strcmp(w->diff_id, g->diff_id))
		return dc_fail(e, 0,
			       "layer %.19s: its content is %.19s, the config's diff_id says "
			       "%.19s (corrupt or tampered)",
			       w->digest ? w->digest : "", g->diff_id, w->diff_id);
	return 0;
}

int layer_unpack(int fd, const char *dir, const struct layer_want *w, struct layer_got *g,
		 struct dc_err *e)
{
	struct unpack u = {.fd = fd, .prog = w->prog};
	int cwd = open(".", O_PATH | O_CLOEXEC), r = -1;
	memset(g, 0, sizeof(*g));
	for (int i = 0; i < w->nlowers && i < 256; i++)
		if ((u.lowers[u.nlowers] = open(w->lowers[i], O_PATH | O_DIRECTORY | O_CLOEXEC)) >=
		    0)
			u.nlowers++;
	if (!(u.A = archive_api(e)) || sha256_init(&u.blob, e) < 0)
		goto out0;
	if (sha256_init(&u.diff, e) < 0)
		goto out1;
	u.rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (u.rootfd < 0 || chdir(dir) < 0) {
		dc_fail(e, errno, "cannot enter %s", dir);
		goto out;
	}
	/* the entries are relative: libarchive writes them from the working directory */
	if (open_readers(&u, e) < 0 || walk(&u, g, e) < 0)
		goto out;
	g->size = u.blob.bytes;
	g->unpacked = u.diff.bytes;
	sha256_final(&u.blob, g->digest);
	sha256_final(&u.diff, g->diff_id);
	r = verify(w, g, e);
out:
	if (u.raw)
		u.A->archive_read_free(u.raw);
	if (u.tar)
		u.A->archive_read_free(u.tar);
	if (u.disk)
		u.A->archive_write_free(u.disk);
	if (u.rootfd >= 0)
		close(u.rootfd);
	for (int i = 0; i < u.nlowers; i++)
		close(u.lowers[i]);
	sha256_free(&u.diff);
out1:
	sha256_free(&u.blob);
out0:
	if (cwd >= 0 && fchdir(cwd) == 0)
		close(cwd);
	return r;
}
