/*
 * What an image archive or layout holds, as a plan of blobs for img_install:
 *   docker save (manifest.json): [{"Config": PATH, "Layers": [PATH...], "RepoTags"}],
 *     PATH either "<id>/layer.tar" (the old layout; no blob digests, the config's
 *     diff_ids verify the layers) or "blobs/sha256/HEX" (the newer one: HEX is the
 *     blob's digest, checked).
 *   OCI image layout (oci-layout + index.json): descriptors followed from the index
 *     through nested indexes (Docker manifest lists alike) to one image manifest for
 *     the platform asked, every blob checked against its descriptor's digest and size.
 * Paths come from the manifests only and are opened without leaving the layout
 * (layout_open): a manifest naming ../../etc/passwd is refused, not followed.
 */
#define _GNU_SOURCE
#include "runtime/image.h"
#include "runtime/imgapi.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define META_MAX (8 << 20) /* a manifest, an index or a config */

const char *img_host_platform(void)
{
	static char p[64];
	struct utsname u;
	static const char *const map[][2] = {
	    {"x86_64", "amd64"},    {"aarch64", "arm64"}, {"i686", "386"},	 {"armv7l", "arm"},
	    {"ppc64le", "ppc64le"}, {"s390x", "s390x"},	  {"riscv64", "riscv64"}};
	if (p[0])
		return p;
	uname(&u);
	const char *arch = u.machine;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(u.machine, map[i][0]))
			arch = map[i][1];
	snprintf(p, sizeof(p), "linux/%s", arch);
	return p;
}

int layout_open(const char *dir, const char *path, struct dc_err *e)
{
	char p[PATH_MAX], real[PATH_MAX], base[PATH_MAX];
	if (!path || !path[0] || path[0] == '/' || strstr(path, "..") ||
	    fmt(p, sizeof(p), "%s/%s", dir, path) < 0)
		return dc_fail(e, 0, "refused the path '%.200s' in the image's manifest",
			       path ? path : "");
	if (!realpath(dir, base) || !realpath(p, real))
		return dc_fail(e, errno, "the image has no '%.200s'", path);
	size_t n = strlen(base);
	if (strncmp(real, base, n) || real[n] != '/')
		return dc_fail(e, 0, "'%.200s' leads outside the image", path);
	int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return dc_fail(e, fd < 0 ? errno : 0, "'%.200s' is not a file", path);
	}
	return fd;
}

/* The whole of a small file of the layout, checked when digest is given. */
static char *read_blob(const char *dir, const char *path, const char *digest, long long size,
		       size_t *len, struct dc_err *e)
{
	int fd = layout_open(dir, path, e);
	if (fd < 0)
		return NULL;
	struct stat st;
	char *buf = NULL, got[72];
	if (fstat(fd, &st) < 0 || st.st_size > META_MAX) {
		dc_fail(e, 0, "'%.200s' is larger than %d MB", path, META_MAX >> 20);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	ssize_t n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	if (n != st.st_size) {
		dc_fail(e, errno, "read %.200s", path);
		goto bad;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	if (sha256_buf(buf, *len, got, e) < 0)
		goto bad;
	if (digest && digest[0] && strcmp(got, digest)) {
		dc_fail(e, 0, "%.200s: digest %.19s, expected %.19s (corrupt or tampered)", path,
			got, digest);
		goto bad;
	}
	if (size >= 0 && (long long)*len != size) {
		dc_fail(e, 0, "%.200s: %zu bytes, the descriptor says %lld", path, *len, size);
		goto bad;
	}
	goto out;
bad:
	free(buf);
	buf = NULL;
out:
	close(fd);
	return buf;
}

static json_object *parse(const char *buf, const char *what, struct dc_err *e)
{
	json_object *o = json_tokener_parse(buf);
	if (!o)
		dc_fail(e, 0, "%s is not valid JSON", what);
	return o;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		   ? json_object_get_string(v)
		   : NULL;
}

/* The config: its bytes kept, diff_ids taken, its platform checked. */
static int take_config(struct img_plan *p, char *raw, size_t len, const char *platform, bool chosen,
		       struct dc_err *e)
{
	json_object *rootfs, *ids;
	p->config_raw = raw;
	p->config_len = len;
	if (!(p->config = parse(raw, "the image config", e)))
		return -1;
	sha256_buf(raw, len, p->config_digest, e);
	if (!json_object_object_get_ex(p->config, "rootfs", &rootfs) ||
	    !json_object_object_get_ex(rootfs, "diff_ids", &ids) ||
	    !json_object_is_type(ids, json_type_array))
		return dc_fail(e, 0, "the image config has no rootfs.diff_ids");
	if ((int)json_object_array_length(ids) != p->nlayers)
		return dc_fail(e, 0, "the config lists %zu layers, the manifest %d",
			       json_object_array_length(ids), p->nlayers);
	for (int i = 0; i < p->nlayers; i++) {
		p->diff_ids[i] = json_object_get_string(json_object_array_get_idx(ids, i));
		if (!digest_valid(p->diff_ids[i]))
			return dc_fail(e, 0, "diff_id %d is not a sha256 digest", i);
	}
	const char *os = str(p->config, "os"), *arch = str(p->config, "architecture");
	const char *var = str(p->config, "variant");
	snprintf(p->platform, sizeof(p->platform), "%s/%s%s%s", os ? os : "linux",
		 arch ? arch : "?", var ? "/" : "", var ? var : "");
	/* an index entry chosen by its platform is trusted (buildah manifest add --arch
	 * labels an image so); docker save and a bare manifest are checked here */
	if (!chosen && strncmp(p->platform, platform, strlen(platform)) != 0 && arch)
		return dc_fail(e, 0, "the image is for %s, not %s (use --platform)", p->platform,
			       platform);
	return 0;
}

/* A docker save path names its blob when it is blobs/sha256/HEX: the digest to check. */
static void path_digest(const char *path, char *out)
{
	out[0] = '\0';
	const char *h = strncmp(path, "blobs/sha256/", 13) ? NULL : path + 13;
	if (h && strlen(h) == 64 && strspn(h, "0123456789abcdef") == 64)
		snprintf(out, 72, "sha256:%s", h);
}

static int docker_plan(const char *dir, const char *platform, struct img_plan *p, struct dc_err *e)
{
	size_t len;
	char *buf = read_blob(dir, "manifest.json", NULL, -1, &len, e), cd[72];
	json_object *m = buf ? parse(buf, "manifest.json", e) : NULL, *layers, *tags;
	int r = -1;
	free(buf);
	if (!m)
		return -1;
	json_object *one =
	    json_object_is_type(m, json_type_array) ? json_object_array_get_idx(m, 0) : NULL;
	const char *cfg = one ? str(one, "Config") : NULL;
	if (!cfg || !json_object_object_get_ex(one, "Layers", &layers) ||
	    !json_object_is_type(layers, json_type_array)) {
		dc_fail(e, 0, "manifest.json has no Config and Layers");
		goto out;
	}
	if (json_object_array_length(m) > 1)
		fprintf(stderr, "diyc: the archive holds %zu images; importing the first\n",
			json_object_array_length(m));
	snprintf(p->kind, sizeof(p->kind), "docker-archive");
	if (json_object_object_get_ex(one, "RepoTags", &tags) && json_object_array_length(tags) > 0)
		snprintf(p->ref, sizeof(p->ref), "%s",
			 json_object_get_string(json_object_array_get_idx(tags, 0)));
	p->nlayers = (int)json_object_array_length(layers);
	if (p->nlayers > 256 || p->nlayers < 1) {
		dc_fail(e, 0, "the image has %d layers (1 to 256 supported)", p->nlayers);
		goto out;
	}
	for (int i = 0; i < p->nlayers; i++) {
		struct img_blob *b = &p->layers[i];
		const char *path = json_object_get_string(json_object_array_get_idx(layers, i));
		snprintf(b->path, sizeof(b->path), "%s", path ? path : "");
		path_digest(b->path, b->digest);
		b->size = -1;
		snprintf(b->media, sizeof(b->media),
			 "application/vnd.docker.image.rootfs.diff.tar");
	}
	/* the config's name is its digest in both layouts (HEX.json or blobs/sha256/HEX) */
	path_digest(cfg, cd);
	if (!cd[0] && strlen(cfg) == 69 && !strcmp(cfg + 64, ".json"))
		snprintf(cd, sizeof(cd), "sha256:%.64s", cfg);
	char *raw = read_blob(dir, cfg, cd, -1, &len, e);
	r = raw ? take_config(p, raw, len, platform, false, e) : -1;
out:
	json_object_put(m);
	return r;
}

static bool is_index(const char *mt)
{
	return mt && (!strcmp(mt, "application/vnd.oci.image.index.v1+json") ||
		      !strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json"));
}

static bool is_manifest(const char *mt)
{
	return mt && (!strcmp(mt, "application/vnd.oci.image.manifest.v1+json") ||
		      !strcmp(mt, "application/vnd.docker.distribution.manifest.v2+json"));
}

/* A layer's media type: a tar, plain or compressed (gzip, zstd), OCI or Docker. */
static bool is_layer(const char *mt)
{
	static const char *const ok[] = {
	    "application/vnd.oci.image.layer.v1.tar",
	    "application/vnd.oci.image.layer.v1.tar+gzip",
	    "application/vnd.oci.image.layer.v1.tar+zstd",
	    "application/vnd.oci.image.layer.nondistributable.v1.tar",
	    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	    "application/vnd.docker.image.rootfs.diff.tar",
	    "application/vnd.docker.image.rootfs.diff.tar.gzip",
	    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"};
	for (size_t i = 0; mt && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(mt, ok[i]))
			return true;
	return false;
}

/* Fill the blob b from descriptor d; -1 when it is not a sha256 blob. */
static int descriptor(json_object *d, struct img_blob *b, struct dc_err *e)
{
	json_object *sz;
	const char *dg = str(d, "digest"), *mt = str(d, "mediaType");
	if (!digest_valid(dg))
		return dc_fail(e, 0, "a descriptor's digest '%.80s' is not sha256:HEX",
			       dg ? dg : "");
	snprintf(b->digest, sizeof(b->digest), "%s", dg);
	snprintf(b->path, sizeof(b->path), "blobs/sha256/%s", dg + 7);
	snprintf(b->media, sizeof(b->media), "%s", mt ? mt : "");
	b->size = json_object_object_get_ex(d, "size", &sz) ? json_object_get_int64(sz) : -1;
	return 0;
}

/* Whether descriptor d's platform (when it has one) is the one asked. */
static bool platform_ok(json_object *d, const char *want)
{
	json_object *pl;
	char have[96];
	if (!json_object_object_get_ex(d, "platform", &pl))
		return true; /* decided by the config */
	const char *os = str(pl, "os"), *arch = str(pl, "architecture"), *v = str(pl, "variant");
	snprintf(have, sizeof(have), "%s/%s%s%s", os ? os : "", arch ? arch : "", v ? "/" : "",
		 v ? v : "");
	return !strncmp(have, want, strlen(want)) &&
	       (have[strlen(want)] == '\0' || have[strlen(want)] == '/');
}

static int oci_manifest(const char *dir, const struct img_blob *mb, const char *platform,
			bool chosen, struct img_plan *p, struct dc_err *e);

/* The first manifest for platform below the index or manifest descriptor d. */
static int oci_follow(const char *dir, json_object *d, const char *platform, int depth,
		      struct img_plan *p, struct dc_err *e)
{
	struct img_blob b;
	size_t len;
	json_object *ms;
	if (depth > 4)
		return dc_fail(e, 0, "indexes nested more than 4 deep");
	if (descriptor(d, &b, e) < 0)
		return -1;
	if (is_manifest(b.media))
		return oci_manifest(dir, &b, platform,
				    json_object_object_get_ex(d, "platform", NULL), p, e);
	char *buf = read_blob(dir, b.path, b.digest, b.size, &len, e);
	json_object *idx = buf ? parse(buf, "an index", e) : NULL;
	free(buf);
	if (!idx)
		return -1;
	int r = 1;
	if (json_object_object_get_ex(idx, "manifests", &ms))
		for (size_t i = 0; r == 1 && i < json_object_array_length(ms); i++) {
			json_object *c = json_object_array_get_idx(ms, i);
			const char *mt = str(c, "mediaType");
			if ((is_index(mt) || is_manifest(mt)) && platform_ok(c, platform))
				r = oci_follow(dir, c, platform, depth + 1, p, e);
		}
	json_object_put(idx);
	return r;
}

static int oci_manifest(const char *dir, const struct img_blob *mb, const char *platform,
			bool chosen, struct img_plan *p, struct dc_err *e)
{
	size_t len;
	struct img_blob cb;
	char *buf = read_blob(dir, mb->path, mb->digest, mb->size, &len, e);
	json_object *m = buf ? parse(buf, "the image manifest", e) : NULL, *cfg, *layers;
	int r = -1;
	free(buf);
	if (!m)
		return -1;
	snprintf(p->manifest_digest, sizeof(p->manifest_digest), "%s", mb->digest);
	if (!json_object_object_get_ex(m, "config", &cfg) || descriptor(cfg, &cb, e) < 0 ||
	    !json_object_object_get_ex(m, "layers", &layers) ||
	    !json_object_is_type(layers, json_type_array)) {
		if (!e->msg[0])
			dc_fail(e, 0, "the image manifest has no config or layers");
		goto out;
	}
	p->nlayers = (int)json_object_array_length(layers);
	if (p->nlayers > 256 || p->nlayers < 1) {
		dc_fail(e, 0, "the image has %d layers (1 to 256 supported)", p->nlayers);
		goto out;
	}
	for (int i = 0; i < p->nlayers; i++) {
		if (descriptor(json_object_array_get_idx(layers, i), &p->layers[i], e) < 0)
			goto out;
		if (!is_layer(p->layers[i].media)) {
			dc_fail(e, 0, "layer %d has the media type '%s', not a tar layer", i,
				p->layers[i].media);
			goto out;
		}
	}
	char *raw = read_blob(dir, cb.path, cb.digest, cb.size, &len, e);
	r = raw ? take_config(p, raw, len, platform, chosen, e) : -1;
out:
	json_object_put(m);
	return r;
}

static int oci_plan(const char *dir, const char *platform, struct img_plan *p, struct dc_err *e)
{
	size_t len;
	char *buf = read_blob(dir, "index.json", NULL, -1, &len, e);
	json_object *idx = buf ? parse(buf, "index.json", e) : NULL, *ms;
	free(buf);
	if (!idx)
		return -1;
	snprintf(p->kind, sizeof(p->kind), "oci");
	int r = 1;
	if (json_object_object_get_ex(idx, "manifests", &ms))
		for (size_t i = 0; r == 1 && i < json_object_array_length(ms); i++) {
			json_object *d = json_object_array_get_idx(ms, i), *an, *rn;
			if (!platform_ok(d, platform))
				continue;
			r = oci_follow(dir, d, platform, 0, p, e);
			if (r == 0 && json_object_object_get_ex(d, "annotations", &an) &&
			    json_object_object_get_ex(an, "org.opencontainers.image.ref.name", &rn))
				snprintf(p->ref, sizeof(p->ref), "%s", json_object_get_string(rn));
		}
	json_object_put(idx);
	if (r == 1)
		return dc_fail(e, 0, "the layout has no image for %s (use --platform)", platform);
	return r;
}

int img_plan_read(const char *dir, const char *platform, struct img_plan *p, struct dc_err *e)
{
	char f[PATH_MAX];
	memset(p, 0, sizeof(*p));
	if (fmt(f, sizeof(f), "%s/manifest.json", dir) == 0 && path_exists(f))
		return docker_plan(dir, platform, p, e);
	if (fmt(f, sizeof(f), "%s/oci-layout", dir) == 0 && path_exists(f))
		return oci_plan(dir, platform, p, e);
	return dc_fail(e, 0, "%s is neither a docker save archive nor an OCI layout", dir);
}

void img_plan_free(struct img_plan *p)
{
	if (p->config)
		json_object_put(p->config);
	free(p->config_raw);
	p->config = NULL;
	p->config_raw = NULL;
}
