/*
 * Images: directories under DATA_ROOT/images.  `diyc image import` unpacks a
 * `docker export`-style tarball with libarchive's secure extraction (no
 * absolute paths, no "..", nothing written through a symlink) into a
 * temporary directory next to the images, and renames it into place only
 * when every entry was written: a corrupt tarball leaves no half image.
 */
#define _GNU_SOURCE
#include "runtime/archiveapi.h"
#include "runtime/diyc.h"
#include "lib/names.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int image_dir(const char *name, char *out, size_t len)
{
	return fmt(out, len, "%s/images/%s", G.root, name);
}

bool image_exists(const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	return image_dir(name, p, sizeof(p)) == 0 && lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int cmd_images(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc images\nList the images in the data root.");
		return 0;
	}
	if (argc > 1) {
		dc_error("images takes no arguments (see diyc images --help)");
		return EXIT_DIYC;
	}
	char p[PATH_MAX];
	fmt(p, sizeof(p), "%s/images", G.root);
	DIR *d = opendir(p);
	printf("%-24s %s\n", "IMAGE", "CREATED");
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		char when[32];
		struct tm tm;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime_r(&st.st_mtime, &tm));
		printf("%-24s %s\n", de->d_name, when);
	}
	closedir(d);
	return 0;
}

/* The data of entry e from the archive a to the disk writer w. */
static int copy_data(const struct archive_api *A, struct archive *a, struct archive *w,
		     struct archive_entry *e, const char *tarball, struct dc_err *err)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int s;
	while ((s = A->archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
		if (A->archive_write_data_block(w, buf, size, off) < ARCHIVE_OK)
			return dc_fail(err, 0, "writing '%s': %s", A->archive_entry_pathname(e),
				       A->archive_error_string(w));
	if (s != ARCHIVE_EOF)
		return dc_fail(err, 0, "%s is truncated or corrupt at '%s': %s", tarball,
			       A->archive_entry_pathname(e), A->archive_error_string(a));
	return 0;
}

static int extract(const char *tarball, struct dc_err *err)
{
	const struct archive_api *A = archive_api(err);
	if (!A)
		return -1;
	struct archive *a = A->archive_read_new(), *w = A->archive_write_disk_new();
	struct archive_entry *e;
	int r = -1, n = 0;
	A->archive_read_support_filter_all(a);
	A->archive_read_support_format_tar(a);
	A->archive_read_support_format_gnutar(a);
	/* No ARCHIVE_EXTRACT_UNLINK: with it, SECURE_SYMLINKS would quietly replace a
	 * symlink in the way; without it, an entry that goes through one is refused. */
	A->archive_write_disk_set_options(
	    w, ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		   ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |
		   ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_TIME);
	if (A->archive_read_open_filename(a, tarball, 65536) != ARCHIVE_OK) {
		dc_fail(err, 0, "cannot read %s: %s", tarball, A->archive_error_string(a));
		goto out;
	}
	for (;;) {
		int s = A->archive_read_next_header(a, &e);
		if (s == ARCHIVE_EOF)
			break;
		if (s < ARCHIVE_WARN) {
			dc_fail(err, 0, "%s is not a valid tarball: %s", tarball,
				A->archive_error_string(a));
			goto out;
		}
		const char *name = A->archive_entry_pathname(e);
		if (!name || strlen(name) >= PATH_MAX) {
			/* no process could open it; refuse rather than build 100 KB deep trees */
			dc_fail(err, 0, "refused an entry whose name is %s",
				name ? "longer than PATH_MAX" : "missing");
			goto out;
		}
		if (A->archive_write_header(w, e) < ARCHIVE_WARN) {
			dc_fail(err, 0, "refused entry '%s': %s", A->archive_entry_pathname(e),
				A->archive_error_string(w));
			goto out;
		}
		if (A->archive_entry_size(e) > 0 && copy_data(A, a, w, e, tarball, err) < 0)
			goto out;
		if (A->archive_write_finish_entry(w) < ARCHIVE_WARN) {
			dc_fail(err, 0, "finishing '%s': %s", A->archive_entry_pathname(e),
				A->archive_error_string(w));
			goto out;
		}
		n++;
	}
	if (n == 0) {
		dc_fail(err, 0, "%s holds no files", tarball);
		goto out;
	}
	r = 0;
out:
	A->archive_read_free(a);
	if (A->archive_write_close(w) != ARCHIVE_OK && r == 0) {
		dc_fail(err, 0, "%s", A->archive_error_string(w));
		r = -1;
	}
	A->archive_write_free(w);
	return r;
}

static int import(const char *name, const char *tarball)
{
	struct dc_err e = {0};
	char images[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX], abs[PATH_MAX];
	if (name_check("image", name, DC_IMAGE_MAX, &e) < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	if (image_exists(name)) {
		dc_error("image %s already exists (diyc image rm %s first)", name, name);
		return EXIT_DIYC;
	}
	if (!realpath(tarball, abs)) {
		dc_error("cannot open %s: %s", tarball, strerror(errno));
		return EXIT_DIYC;
	}
	fmt(images, sizeof(images), "%s/images", G.root);
	if ((mkdir(G.root, 0711) < 0 && errno != EEXIST) ||
	    (mkdir(images, 0711) < 0 && errno != EEXIST)) {
		dc_error("cannot create %s: %s", images, strerror(errno));
		return EXIT_DIYC;
	}
	if (fmt(tmp, sizeof(tmp), "%s/.import-%s-XXXXXX", images, name) < 0 || !mkdtemp(tmp)) {
		dc_error("cannot create a directory in %s: %s", images, strerror(errno));
		return EXIT_DIYC;
	}
	chmod(tmp, 0755);
	int cwd = open(".", O_PATH | O_CLOEXEC);
	int r = EXIT_DIYC;
	/* entries are relative: extract with the temporary directory as working directory */
	if (chdir(tmp) < 0) {
		dc_error("cannot enter %s: %s", tmp, strerror(errno));
	} else if (extract(abs, &e) < 0) {
		dc_error("import failed: %s", e.msg);
	} else if (image_dir(name, dst, sizeof(dst)) < 0 || rename(tmp, dst) < 0) {
		dc_error("cannot move the image into place: %s", strerror(errno));
	} else {
		r = 0;
	}
	if (cwd >= 0) {
		if (fchdir(cwd) < 0) {
		}
		close(cwd);
	}
	if (r != 0)
		remove_tree(tmp);
	else
		printf("%s\n", name);
	return r;
}

static int image_rm(const char *name)
{
	struct dc_err e = {0};
	char p[PATH_MAX];
	if (name_check("image", name, DC_IMAGE_MAX, &e) < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	if (!image_exists(name)) {
		dc_error("no image %s", name);
		return EXIT_DIYC;
	}
	char **names;
	int n = state_list(&names), used = 0;
	for (int i = 0; i < n; i++) {
		struct state st;
		bool running;
		if (!used && state_load(names[i], &st, &running) == 0 && !strcmp(st.image, name))
			used = i + 1;
	}
	if (used) {
		dc_error("image %s is used by container %s (diyc rm it first)", name,
			 names[used - 1]);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (used)
		return EXIT_DIYC;
	image_dir(name, p, sizeof(p));
	int r = remove_tree(p);
	if (r < 0) {
		dc_error("cannot remove %s: %s", p, strerror(-r));
		return EXIT_DIYC;
	}
	return 0;
}

int cmd_image(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc image import NAME FILE.tar\n"
		     "       diyc image rm NAME\n"
		     "Import a root filesystem tarball (as made by `docker export`, optionally\n"
		     "compressed) as image NAME, or remove an image no container uses.");
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "import"))
		return import(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "rm"))
		return image_rm(argv[2]);
	dc_error("usage: diyc image import NAME FILE.tar | diyc image rm NAME");
	return EXIT_DIYC;
}
