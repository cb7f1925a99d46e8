/*
 * Images (docs/images.md).  Two kinds live in DATA_ROOT/images/NAME:
 *   a directory image: NAME is a root filesystem (made by `make image`, older diyc)
 *   a layered image:   NAME holds diyc-image.json (manifest and config digests, the
 *                      layers by diff_id, the image's config) and nothing else but,
 *                      when the kernel takes fewer lower dirs than it has layers,
 *                      flat/ (the layers merged into one lower dir)
 * The layers are shared by every image in DATA_ROOT/layers:
 *   sha256/HEX   one unpacked layer, named by its diff_id, whiteouts in overlay form
 *   l/ID         a short link to it (16 hex digits) so lowerdir= stays short
 *   tmp/X        a layer being unpacked (flock'ed by its writer; diyc gc removes the
 *                unlocked ones); renamed into sha256/ only once verified
 *   .lock        held while images and layers are added or removed
 *   pulls/       registry downloads in progress, kept so a pull can resume
 * One file per concern: img_layer.c (unpack + verify one blob), img_store.c (the
 * store, its lock, references, lower dirs), img_flat.c (flattening), img_format.c (docker save
 * and OCI layouts -> a plan of blobs), img_import.c, img_pull.c + img_http.c (registries),
 * img_save.c, img_cmds.c (ls, inspect, rm), img_config.c (the config at `run`).
 */
#ifndef DIYC_IMAGE_H
#define DIYC_IMAGE_H

#include "lib/error.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <time.h>

#define IMG_RECORD "diyc-image.json"
#define IMG_SHORT 16 /* hex digits of a layer's short link */

/* ---- progress on a terminal (quiet when stderr is not one) ---- */
struct img_progress {
	bool tty, shown; /* stderr is a terminal; a progress line was printed */
	struct timespec t0, last;
	unsigned long long bytes;
	int layer, layers;
	const char *verb;
};
void img_progress_start(struct img_progress *p, const char *verb, int layers);
void img_progress_add(struct img_progress *p, unsigned long long bytes);
void img_progress_end(struct img_progress *p);

/* ---- img_layer.c ---- */
struct layer_want {
	const char *digest;  /* the blob's, NULL when no descriptor gives one */
	long long size;	     /* the blob's, -1 when unknown */
	const char *diff_id; /* the config's, NULL for a flat root filesystem tar */
	struct img_progress *prog;
	const char *const *lowers; /* the store dirs of the layers below, top first */
	int nlowers;
};
struct layer_got {
	char digest[72], diff_id[72];
	unsigned long long size, unpacked, files;
};
/* Unpack the blob on fd into the empty directory dir, checking it against w. */
int layer_unpack(int fd, const char *dir, const struct layer_want *w, struct layer_got *g,
		 struct dc_err *e);

/* ---- img_store.c ---- */
/* Whether d is "sha256:" and 64 lower-case hex digits. */
bool digest_valid(const char *d);
int store_init(struct dc_err *e);
/* The store lock (exclusive), an fd to close; -1 on failure. */
int store_lock(struct dc_err *e);
int store_layer_dir(const char *diff_id, char *out, size_t len);
bool store_has_layer(const char *diff_id);
/* A new, flock'ed directory below dir ("layers/tmp" or "images"): its path in out,
 * the lock in *lockfd. */
int store_tmpdir(const char *sub, const char *prefix, char *out, size_t len, int *lockfd,
		 struct dc_err *e);
/* Move a verified layer into place (or drop it when another import was first). */
int store_commit_layer(const char *tmp, const char *diff_id, struct dc_err *e);
/* A layer and its short link, gone (the caller knows no image names it). 0 or -errno. */
int store_remove_layer(const char *diff_id);
/* Remove the layers no image names and the abandoned tmp dirs (and, with pulls, the
 * interrupted pulls); counts in *layers and *tmps. Called with the store lock held. */
int store_prune(int *layers, int *tmps, bool pulls);

/* A layered image's record. */
struct img_rec {
	json_object *root;   /* diyc-image.json */
	json_object *config; /* its "config" (the image config), may be NULL */
	int nlayers;
	const char *diff_ids[256]; /* bottom first, pointers into root */
};
/* 0 and r filled; 1 for a directory image; -1 when there is no such image. */
int img_load(const char *name, struct img_rec *r, struct dc_err *e);
void img_free(struct img_rec *r);
/* The lowerdir= value for image name: its directory, its layers (top first, by their
 * short links) or, over max_lowers or a page of options, its flat/ dir (built now).
 * *flattened tells which. */
int img_lowerdir(const char *name, int max_lowers, char *out, size_t len, bool *flattened,
		 struct dc_err *e);
/* img_flat.c: merge the layers of r into dir (hard links, whiteouts applied). */
int img_flatten(const struct img_rec *r, const char *dir, struct dc_err *e);

/* ---- img_format.c: what an archive or layout holds ---- */
struct img_blob {
	char path[PATH_MAX]; /* inside the layout */
	char digest[72];     /* "" when the format gives none (docker save's old layout) */
	char media[128];
	long long size; /* -1 when unknown */
};
struct img_plan {
	char kind[32];	   /* docker-archive, oci */
	char platform[64]; /* os/arch[/variant] chosen */
	char manifest_digest[72], config_digest[72];
	json_object *config; /* the image config (owned) */
	char *config_raw;    /* its bytes */
	size_t config_len;
	int nlayers;
	struct img_blob layers[256];
	const char *diff_ids[256]; /* into config */
	char ref[256];		   /* the tag it carried, if any */
};
/* The host's platform, "linux/amd64" style. */
const char *img_host_platform(void);
/* Read the layout in dir (docker save's either form, or an OCI layout). */
int img_plan_read(const char *dir, const char *platform, struct img_plan *p, struct dc_err *e);
void img_plan_free(struct img_plan *p);
/* Open path below dir without leaving it (symlinks inside allowed). fd or -1. */
int layout_open(const char *dir, const char *path, struct dc_err *e);

/* ---- img_import.c ---- */
/* Unpack and record the plan read from dir as image name (all or nothing). */
int img_install(const char *name, const char *dir, struct img_plan *p, const char *source,
		struct dc_err *e);

/* ---- commands (img_cmds.c, img_pull.c, img_save.c) ---- */
int img_cmd_import(int argc, char **argv);
int img_cmd_pull(int argc, char **argv);
int img_cmd_save(int argc, char **argv);
int img_cmd_inspect(int argc, char **argv);

/* ---- img_config.c: the image's config applied to `diyc run` ---- */
struct run_opts;
int img_config_apply(struct run_opts *o, const char *entrypoint, struct dc_err *e);
/* The image's Env entries (strdup'ed, at most max) into out: their count. */
int img_env(const char *image, char **out, int max);
/* The signal `diyc stop` sends: the image's StopSignal, else SIGTERM. */
int img_stop_signal(const char *image);

#endif
