/*
 * `diyc image import [--platform P] NAME FILE|DIR`: the format is read from the
 * content, never from the name.  A directory must be an OCI layout; a tar (plain or
 * compressed) whose top holds manifest.json, oci-layout or index.json is an image
 * archive, unpacked into a locked scratch dir first (blobs are read in the order the
 * manifests name them); any other tar is a root filesystem, stored as one layer.
 * img_install then adds the missing layers and the record, all or nothing, under the
 * store lock: a failure removes the layers this import added and its scratch dirs.
 */
#define _GNU_SOURCE
#include "runtime/archiveapi.h"
#include "runtime/diyc.h"
#include "runtime/image.h"
#include "runtime/start.h"
#include "lib/names.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct image_step image_steps[] = {
    {"unpacked", "a layer unpacked and verified in layers/tmp, not yet in the store"},
    {"committed", "a layer in the store, the image not yet recorded"},
    {"recorded", "the image recorded in images/"},
    {NULL, NULL},
};

static struct archive *outer_open(const struct archive_api *A, int fd)
{
	struct archive *a = A->archive_read_new();
	archive_read_filters(A, a);
	A->archive_read_support_format_tar(a);
	A->archive_read_support_format_gnutar(a);
	if (A->archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		A->archive_read_free(a);
		return NULL;
	}
	return a;
}

/* 1 when the tar's top holds an image archive's index, 0 when not, -1 when unreadable */
static int is_image_archive(const char *file, struct dc_err *e)
{
	const struct archive_api *A = archive_api(e);
	int fd = A ? open(file, O_RDONLY | O_CLOEXEC) : -1, r = 0;
	struct archive *a = fd >= 0 ? outer_open(A, fd) : NULL;
	struct archive_entry *en;
	if (!a) {
		if (fd >= 0)
			close(fd);
		return A ? dc_fail(e, errno, "cannot read %s", file) : -1;
	}
	for (int s; r == 0 && (s = A->archive_read_next_header(a, &en)) != ARCHIVE_EOF;) {
		if (s < ARCHIVE_WARN) {
			r = dc_fail(e, 0, "%s is not a valid tarball: %s", file,
				    A->archive_error_string(a));
			break;
		}
		const char *n = A->archive_entry_pathname(en);
		n += n && !strncmp(n, "./", 2) ? 2 : 0;
		if (n && (!strcmp(n, "manifest.json") || !strcmp(n, "oci-layout") ||
			  !strcmp(n, "index.json")))
			r = 1;
		A->archive_read_data_skip(a);
	}
	A->archive_read_free(a);
	close(fd);
	return r;
}

/* An image archive into dir (regular files, directories, links kept inside). */
static int unpack_archive(const char *file, const char *dir, struct dc_err *e)
{
	const struct archive_api *A = archive_api(e);
	int fd = open(file, O_RDONLY | O_CLOEXEC), cwd = open(".", O_PATH | O_CLOEXEC), r = -1;
	struct archive *a = A && fd >= 0 ? outer_open(A, fd) : NULL, *w = NULL;
	struct archive_entry *en;
	if (!a || chdir(dir) < 0) {
		dc_fail(e, errno, "cannot read %s", file);
		goto out;
	}
	w = A->archive_write_disk_new();
	A->archive_write_disk_set_options(w, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						 ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						 ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	for (int s; (s = A->archive_read_next_header(a, &en)) != ARCHIVE_EOF;) {
		int t = A->archive_entry_filetype(en);
		if (s < ARCHIVE_WARN || (t != AE_IFREG && t != AE_IFDIR && t != AE_IFLNK) ||
		    A->archive_write_header(w, en) < ARCHIVE_WARN) {
			dc_fail(e, 0, "%s: refused or unreadable entry '%.200s': %s", file,
				s < ARCHIVE_WARN ? "" : A->archive_entry_pathname(en),
				A->archive_error_string(s < ARCHIVE_WARN ? a : w));
			goto out;
		}
		if (archive_copy_entry(A, a, w, A->archive_entry_pathname(en), e) < 0) {
			dc_context(e, "%s", file);
			goto out;
		}
	}
	r = A->archive_write_close(w) == ARCHIVE_OK ? 0 : dc_fail(e, 0, "unpacking %s", file);
out:
	if (a)
		A->archive_read_free(a);
	if (w)
		A->archive_write_free(w);
	if (fd >= 0)
		close(fd);
	if (cwd >= 0 && fchdir(cwd) == 0)
		close(cwd);
	return r;
}

static json_object *layer_json(const char *diff_id, const struct img_blob *b,
			       const struct layer_got *g)
{
	json_object *l = json_object_new_object();
	json_object_object_add(l, "diff_id", json_object_new_string(diff_id));
	json_object_object_add(l, "digest",
			       json_object_new_string(b->digest[0] ? b->digest : g->digest));
	json_object_object_add(l, "media_type", json_object_new_string(b->media));
	json_object_object_add(l, "size",
			       json_object_new_int64(b->size >= 0 ? b->size : (int64_t)g->size));
	return l;
}

/* One layer: already in the store, or unpacked, verified and committed. 1 = added. */
static int add_layer(const char *dir, struct img_plan *p, int i, struct img_progress *pr,
		     json_object *layers, struct dc_err *e)
{
	struct img_blob *b = &p->layers[i];
	struct layer_got g = {0};
	char tmp[PATH_MAX];
	int lfd, fd;
	pr->layer = i + 1;
	if (p->diff_ids[i] && store_has_layer(p->diff_ids[i])) {
		json_object_array_add(layers, layer_json(p->diff_ids[i], b, &g));
		return 0;
	}
	fd = dir ? layout_open(dir, b->path, e) : open(b->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dir ? -1 : dc_fail(e, errno, "cannot open %s", b->path);
	if (store_tmpdir("layers/tmp", "layer", tmp, sizeof(tmp), &lfd, e) < 0) {
		close(fd);
		return -1;
	}
	const char *lowers[256];
	static char paths[256][PATH_MAX / 8];
	for (int k = 0; k < i; k++) { /* the layers below, top first */
		fmt(paths[k], sizeof(paths[k]), "%s/layers/sha256/%s", G.root,
		    p->diff_ids[i - 1 - k] + 7);
		lowers[k] = paths[k];
	}
	struct layer_want w = {
	    b->digest[0] ? b->digest : NULL, b->size, p->diff_ids[i], pr, lowers, i};
	int r = layer_unpack(fd, tmp, &w, &g, e);
	close(fd);
	if (r == 0)
		failpoint("unpacked");
	if (r == 0 && !p->diff_ids[i] && store_has_layer(g.diff_id))
		r = 0, remove_tree(tmp); /* a root filesystem tar the store already has */
	else if (r == 0)
		r = store_commit_layer(tmp, g.diff_id, e) < 0 ? -1 : (failpoint("committed"), 1);
	if (r < 0)
		remove_tree(tmp);
	close(lfd);
	if (r >= 0)
		json_object_array_add(layers, layer_json(g.diff_id, b, &g));
	return r;
}

/* The record's top: what the image is and where it came from. */
static json_object *record(const char *name, const struct img_plan *p, const char *source)
{
	char now[40];
	json_object *r = json_object_new_object();
	now_iso(now, sizeof(now));
	json_object_object_add(r, "version", json_object_new_int(1));
	json_object_object_add(r, "name", json_object_new_string(name));
	json_object_object_add(r, "created", json_object_new_string(now));
	json_object_object_add(r, "source", json_object_new_string(source));
	json_object_object_add(r, "format", json_object_new_string(p->kind));
	json_object_object_add(r, "ref", json_object_new_string(p->ref));
	json_object_object_add(r, "platform", json_object_new_string(p->platform));
	json_object_object_add(r, "manifest_digest", json_object_new_string(p->manifest_digest));
	json_object_object_add(r, "config_digest", json_object_new_string(p->config_digest));
	return r;
}

/* the record written in a scratch dir, renamed to images/NAME */
static int write_record(const char *name, json_object *rec, struct dc_err *e)
{
	char tmp[PATH_MAX], f[PATH_MAX], dst[PATH_MAX];
	int lfd;
	if (store_tmpdir("images", "import", tmp, sizeof(tmp), &lfd, e) < 0)
		return -1;
	int r = 0;
	fmt(f, sizeof(f), "%s/" IMG_RECORD, tmp);
	image_dir(name, dst, sizeof(dst));
	if (json_object_to_file_ext(f, rec, JSON_C_TO_STRING_PRETTY) < 0 || rename(tmp, dst) < 0)
		r = dc_fail(e, errno, "cannot write the image record %s", dst);
	if (r < 0)
		remove_tree(tmp);
	close(lfd);
	return r;
}

/* A root filesystem tar has no config: diyc writes the least one, after its diff_id. */
static void synth_config(struct img_plan *p, const char *diff_id)
{
	const char *pl = img_host_platform();
	p->config = json_object_new_object();
	json_object_object_add(p->config, "architecture",
			       json_object_new_string(strchr(pl, '/') + 1));
	json_object_object_add(p->config, "os", json_object_new_string("linux"));
	json_object_object_add(p->config, "config", json_object_new_object());
	json_object *rf = json_object_new_object(), *ids = json_object_new_array();
	json_object_array_add(ids, json_object_new_string(diff_id));
	json_object_object_add(rf, "type", json_object_new_string("layers"));
	json_object_object_add(rf, "diff_ids", ids);
	json_object_object_add(p->config, "rootfs", rf);
}

int img_install(const char *name, const char *dir, struct img_plan *p, const char *source,
		struct dc_err *e)
{
	struct img_progress pr;
	char added[256][72];
	int nadded = 0, r = -1, lock = store_init(e) < 0 ? -1 : store_lock(e);
	if (lock < 0)
		return -1;
	json_object *rec = record(name, p, source), *layers = json_object_new_array();
	json_object_object_add(rec, "layers", layers);
	img_progress_start(&pr, "unpacking", p->nlayers);
	if (image_exists(name)) {
		dc_fail(e, 0, "image %s already exists (diyc image rm %s first)", name, name);
		goto out;
	}
	for (int i = 0; i < p->nlayers; i++) {
		int k = add_layer(dir, p, i, &pr, layers, e);
		if (k < 0)
			goto out;
		json_object *l = json_object_array_get_idx(layers, (size_t)i), *d;
		json_object_object_get_ex(l, "diff_id", &d);
		if (k == 1)
			snprintf(added[nadded++], 72, "%s", json_object_get_string(d));
		if (!p->config)
			synth_config(p, json_object_get_string(d));
	}
	json_object_object_add(rec, "config", json_object_get(p->config));
	r = write_record(name, rec, e);
	if (r == 0)
		failpoint("recorded");
out:
	img_progress_end(&pr);
	for (int i = 0; r < 0 && i < nadded; i++)
		store_remove_layer(added[i]);
	json_object_put(rec);
	close(lock);
	return r;
}

/* FILE or DIR -> image name */
static int import(const char *name, const char *file, const char *platform, struct dc_err *e)
{
	struct img_plan p;
	char abs[PATH_MAX], tmp[PATH_MAX] = "", source[PATH_MAX + 16];
	struct stat st;
	int lfd = -1, r = -1;
	memset(&p, 0, sizeof(p));
	if (!realpath(file, abs) || stat(abs, &st) < 0)
		return dc_fail(e, errno, "cannot open %s", file);
	snprintf(source, sizeof(source), "import %s", abs);
	if (S_ISDIR(st.st_mode)) {
		r = img_plan_read(abs, platform, &p, e) < 0 ? -1
							    : img_install(name, abs, &p, source, e);
	} else if (!S_ISREG(st.st_mode)) {
		dc_fail(e, 0, "%s is neither a file nor a directory", file);
	} else if ((r = is_image_archive(abs, e)) == 0) {
		snprintf(p.kind, sizeof(p.kind), "rootfs-tar");
		snprintf(p.platform, sizeof(p.platform), "%s", img_host_platform());
		p.nlayers = 1;
		snprintf(p.layers[0].path, sizeof(p.layers[0].path), "%s", abs);
		snprintf(p.layers[0].media, sizeof(p.layers[0].media),
			 "application/vnd.oci.image.layer.v1.tar");
		p.layers[0].size = -1;
		r = img_install(name, NULL, &p, source, e);
	} else if (r == 1) {
		r = store_init(e) < 0 ||
			    store_tmpdir("images", "unpack", tmp, sizeof(tmp), &lfd, e) < 0 ||
			    unpack_archive(abs, tmp, e) < 0 ||
			    img_plan_read(tmp, platform, &p, e) < 0
			? -1
			: img_install(name, tmp, &p, source, e);
	}
	if (tmp[0])
		remove_tree(tmp);
	if (lfd >= 0)
		close(lfd);
	img_plan_free(&p);
	return r;
}

int img_cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {{"platform", required_argument, NULL, 'p'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *platform = img_host_platform();
	struct dc_err e = {0};
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'p' && !strncmp(optarg, "linux/", 6) && strlen(optarg) < 48) {
			platform = optarg;
		} else if (c == 'h') {
			puts("Usage: diyc image import [--platform linux/ARCH[/VARIANT]] NAME "
			     "FILE|DIR\n"
			     "Import a docker save archive, an OCI layout (directory or tar) or a\n"
			     "root filesystem tar (plain, gzip, zstd, xz, bzip2) as image NAME.");
			return 0;
		} else {
			dc_error("bad option %s (see diyc image import --help)", argv[optind - 1]);
			return EXIT_DIYC;
		}
	}
	if (argc - optind != 2) {
		dc_error("usage: diyc image import [--platform P] NAME FILE|DIR");
		return EXIT_DIYC;
	}
	const char *name = argv[optind];
	if (name_check("image", name, DC_IMAGE_MAX, &e) < 0 ||
	    (image_exists(name) &&
	     dc_fail(&e, 0, "image %s already exists (diyc image rm %s first)", name, name)) ||
	    import(name, argv[optind + 1], platform, &e) < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	printf("%s\n", name);
	return 0;
}
