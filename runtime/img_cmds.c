/*
 * `diyc image ls|inspect|rm|import|pull|save` and `diyc images`, the image names
 * (image_dir, image_exists), and the progress line of long imports and pulls.
 * A layer is removed with the last image that names it (under the store lock, so an
 * import never loses a layer it is about to record).
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/image.h"
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

/* ---- progress: on a terminal, after the first second, at most 10 times a second ---- */
static double secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void img_progress_start(struct img_progress *p, const char *verb, int layers)
{
	memset(p, 0, sizeof(*p));
	p->tty = isatty(2);
	p->verb = verb;
	p->layers = layers;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	p->last = p->t0;
}

void img_progress_add(struct img_progress *p, unsigned long long bytes)
{
	struct timespec now;
	if (!p)
		return;
	p->bytes += bytes;
	if (!p->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (secs(&p->t0, &now) < 1.0 || secs(&p->last, &now) < 0.1)
		return;
	p->last = now;
	p->shown = true;
	fprintf(stderr, "\r%s: layer %d/%d, %.1f MB ", p->verb, p->layer, p->layers,
		(double)p->bytes / 1e6);
}

void img_progress_end(struct img_progress *p)
{
	if (p->shown)
		fprintf(stderr, "\r%s: %d layers, %.1f MB done\n", p->verb, p->layers,
			(double)p->bytes / 1e6);
}

/* ---- ls ---- */
static unsigned long long du(int dfd)
{
	unsigned long long n = 0;
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		n += (unsigned long long)st.st_blocks * 512;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				n += du(sub);
		}
	}
	if (d)
		closedir(d);
	else
		close(dfd);
	return n;
}

static unsigned long long layer_bytes(const char *diff_id)
{
	char p[PATH_MAX];
	int fd = store_layer_dir(diff_id, p, sizeof(p)) < 0
		     ? -1
		     : open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? 0 : du(fd);
}

/* how many records name diff_id */
static int users(char **names, int n, const char *diff_id)
{
	int k = 0;
	for (int i = 0; i < n; i++) {
		struct img_rec r;
		struct dc_err e;
		if (img_load(names[i], &r, &e) != 0)
			continue;
		for (int j = 0; j < r.nlayers; j++)
			if (!strcmp(r.diff_ids[j], diff_id)) {
				k++;
				break;
			}
		img_free(&r);
	}
	return k;
}

static int image_names(char ***out)
{
	char p[PATH_MAX];
	int n = 0;
	*out = NULL;
	fmt(p, sizeof(p), "%s/images", G.root);
	DIR *d = opendir(p);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		char **g = realloc(*out, sizeof(char *) * (size_t)(n + 1));
		if (!g)
			break;
		*out = g;
		(*out)[n++] = strdup(de->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

static void ls_one(char **names, int n, int i, unsigned long long *store, int *nstore)
{
	struct img_rec r;
	struct dc_err e;
	char dir[PATH_MAX], when[32];
	struct stat st;
	struct tm tm;
	image_dir(names[i], dir, sizeof(dir));
	stat(dir, &st);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime_r(&st.st_mtime, &tm));
	if (img_load(names[i], &r, &e) != 0) {
		printf("%-24s %-7s %-7s %9s  %-16s %s\n", names[i], "dir", "-", "-", when,
		       "directory");
		return;
	}
	int shared = 0;
	unsigned long long bytes = 0;
	for (int j = 0; j < r.nlayers; j++) {
		unsigned long long b = layer_bytes(r.diff_ids[j]);
		int u = users(names, n, r.diff_ids[j]);
		bytes += b;
		shared += u > 1;
		/* the store's total counts each layer once: at its first user */
		bool first = true;
		for (int k = 0; k < i && first; k++) {
			struct img_rec o;
			if (img_load(names[k], &o, &e) == 0) {
				for (int m = 0; m < o.nlayers; m++)
					first = first && strcmp(o.diff_ids[m], r.diff_ids[j]);
				img_free(&o);
			}
		}
		if (first)
			*store += b, (*nstore)++;
	}
	json_object *f;
	json_object_object_get_ex(r.root, "format", &f);
	printf("%-24s %-7d %-7d %8.1fM  %-16s %s\n", names[i], r.nlayers, shared,
	       (double)bytes / 1e6, when, f ? json_object_get_string(f) : "?");
	img_free(&r);
}

static int image_ls(void)
{
	char **names;
	int n = image_names(&names), nstore = 0;
	unsigned long long store = 0;
	printf("%-24s %-7s %-7s %9s  %-16s %s\n", "IMAGE", "LAYERS", "SHARED", "SIZE", "CREATED",
	       "FORMAT");
	for (int i = 0; i < n; i++)
		ls_one(names, n, i, &store, &nstore);
	if (nstore)
		printf("layer store: %d layers, %.1fM on disk (shared layers counted once)\n",
		       nstore, (double)store / 1e6);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

int cmd_images(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc images\nList the images in the data root (= diyc image ls).");
		return 0;
	}
	if (argc > 1) {
		dc_error("images takes no arguments (see diyc images --help)");
		return EXIT_DIYC;
	}
	return image_ls();
}

/* ---- inspect ---- */
int img_cmd_inspect(int argc, char **argv)
{
	struct dc_err e = {0};
	struct img_rec r;
	if (argc != 2) {
		dc_error("usage: diyc image inspect NAME");
		return EXIT_DIYC;
	}
	if (name_check("image", argv[1], DC_IMAGE_MAX, &e) < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	int k = img_load(argv[1], &r, &e);
	if (k < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	if (k == 1) {
		char dir[PATH_MAX];
		image_dir(argv[1], dir, sizeof(dir));
		printf(
		    "{\n  \"name\": \"%s\",\n  \"format\": \"directory\",\n  \"path\": \"%s\"\n}\n",
		    argv[1], dir);
		return 0;
	}
	printf("%s\n", json_object_to_json_string_ext(r.root, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	img_free(&r);
	return 0;
}

/* ---- rm ---- */
static int used_by_container(const char *name)
{
	char **names;
	int n = state_list(&names), used = 0;
	for (int i = 0; i < n; i++) {
		struct state st;
		bool running;
		if (!used && state_load(names[i], &st, &running) == 0 && !strcmp(st.image, name)) {
			dc_error("image %s is used by container %s (diyc rm it first)", name,
				 names[i]);
			used = 1;
		}
		free(names[i]);
	}
	free(names);
	return used;
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
	if (used_by_container(name))
		return EXIT_DIYC;
	int lock = store_init(&e) < 0 ? -1 : store_lock(&e);
	if (lock < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	image_dir(name, p, sizeof(p));
	int r = remove_tree(p), layers, tmps;
	if (r == 0)
		store_prune(&layers, &tmps, false);
	close(lock);
	if (r < 0) {
		dc_error("cannot remove %s: %s", p, strerror(-r));
		return EXIT_DIYC;
	}
	return 0;
}

int cmd_image(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc image ls\n"
		     "       diyc image import [--platform P] NAME FILE|DIR\n"
		     "       diyc image pull [--platform P] [--insecure] [--creds FILE] [--name "
		     "NAME] REF\n"
		     "       diyc image save NAME DIR|FILE.tar\n"
		     "       diyc image inspect NAME\n"
		     "       diyc image rm NAME\n"
		     "Images from docker save archives, OCI layouts, registries or root\n"
		     "filesystem tars; layers shared in the data root (docs/images.md).");
		return 0;
	}
	const char *sub = argc >= 2 ? argv[1] : "";
	if (!strcmp(sub, "ls") || !strcmp(sub, "list"))
		return argc == 2 ? image_ls()
				 : (dc_error("image ls takes no arguments"), EXIT_DIYC);
	if (!strcmp(sub, "import"))
		return img_cmd_import(argc - 1, argv + 1);
	if (!strcmp(sub, "pull"))
		return img_cmd_pull(argc - 1, argv + 1);
	if (!strcmp(sub, "save"))
		return img_cmd_save(argc - 1, argv + 1);
	if (!strcmp(sub, "inspect"))
		return img_cmd_inspect(argc - 1, argv + 1);
	if (argc == 3 && !strcmp(sub, "rm"))
		return image_rm(argv[2]);
	dc_error("usage: diyc image ls|import|pull|save|inspect|rm (see diyc image --help)");
	return EXIT_DIYC;
}
