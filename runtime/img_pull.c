/*
 * `diyc image pull REF`: the Docker Registry HTTP API v2 / OCI distribution spec,
 * through libcurl.  REF is [HOST[:PORT]/]REPO[:TAG|@sha256:HEX] (no HOST: Docker Hub,
 * "library/" for one-word names).  The manifest (an index or a Docker manifest list
 * first, then the platform's image manifest), the config and the layers the store
 * lacks are downloaded into DATA_ROOT/layers/pulls/KEY, laid out as an OCI layout,
 * then installed by the import's own code (img_format.c reads it, img_install
 * verifies every blob again while unpacking).  A blob is written to HEX.part and
 * renamed only once its sha256 matches: a pull interrupted mid-blob resumes with an
 * HTTP Range request; a finished pull removes its directory.
 * The HTTP and its authentication are img_http.c.  The credentials come from a file
 * (never argv, so never in ps).
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/img_http.h"
#include "lib/names.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- manifests and blobs into the pull's OCI layout ---- */
#define ACCEPT_ALL                                                                                 \
	"application/vnd.oci.image.index.v1+json, "                                                \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                              \
	"application/vnd.oci.image.manifest.v1+json, "                                             \
	"application/vnd.docker.distribution.manifest.v2+json"

static int put_blob(const char *dir, const char *digest, const char *buf, size_t len,
		    struct dc_err *e)
{
	char p[PATH_MAX];
	int fd = fmt(p, sizeof(p), "%s/blobs/sha256/%s", dir, digest + 7) < 0
		     ? -1
		     : open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		return dc_fail(e, errno, "cannot write %s", p);
	}
	return close(fd);
}

/* A manifest or index by tag or digest, its digest checked, kept in the layout. */
static int fetch_manifest(struct reg *r, const char *dir, const char *ref, struct resp *rs,
			  char digest[72], struct dc_err *e)
{
	char what[256];
	snprintf(what, sizeof(what), "manifests/%s", ref);
	if (reg_get(r, what, ACCEPT_ALL, 0, rs, e) < 0 ||
	    sha256_buf(rs->body, rs->len, digest, e) < 0)
		return -1;
	const char *want = digest_valid(ref) ? ref : digest_valid(rs->digest) ? rs->digest : NULL;
	if (want && strcmp(want, digest))
		return dc_fail(e, 0, "%s/%s:%s: the manifest's digest is %.19s, not %.19s", r->host,
			       r->repo, ref, digest, want);
	return put_blob(dir, digest, rs->body, rs->len, e);
}

/* The platform's manifest descriptor in index j (NULL when none). */
static json_object *pick(json_object *j, const char *platform)
{
	json_object *ms, *pl;
	if (!json_object_object_get_ex(j, "manifests", &ms))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *d = json_object_array_get_idx(ms, i), *v;
		char have[128] = "";
		if (!json_object_object_get_ex(d, "platform", &pl))
			continue;
		const char *f[] = {"os", "architecture", "variant"};
		for (int k = 0; k < 3; k++)
			if (json_object_object_get_ex(pl, f[k], &v))
				strappend(have, sizeof(have), "/", "%s", json_object_get_string(v));
		size_t n = strlen(platform);
		if (!strncmp(have, platform, n) && (have[n] == '\0' || have[n] == '/'))
			return d;
	}
	return NULL;
}

/* Blob digest into the layout, resuming HEX.part, renamed once its digest matches. */
static int fetch_blob(struct reg *r, const char *dir, const char *digest, struct dc_err *e)
{
	char p[PATH_MAX], part[PATH_MAX + 8], what[128], got[72];
	struct stat st;
	fmt(p, sizeof(p), "%s/blobs/sha256/%s", dir, digest + 7);
	if (stat(p, &st) == 0)
		return 0;
	snprintf(part, sizeof(part), "%s.part", p);
	int fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_END) < 0) {
		if (fd >= 0)
			close(fd);
		return dc_fail(e, errno, "cannot write %s", part);
	}
	struct resp rs = {.fd = fd, .from = st.st_size, .prog = r->prog};
	r->got_data = true;
	snprintf(what, sizeof(what), "blobs/%s", digest);
	int rc = reg_get(r, what, NULL, st.st_size, &rs, e);
	free(rs.body);
	if (rc == 0 && (lseek(fd, 0, SEEK_SET) < 0 || sha256_file(fd, got, NULL, e) < 0))
		rc = -1;
	close(fd);
	if (rc == 0 && strcmp(got, digest)) {
		unlink(part);
		return dc_fail(e, 0, "blob %.19s arrived as %.19s (corrupt or tampered)", digest,
			       got);
	}
	if (rc == 0 && rename(part, p) < 0)
		return dc_fail(e, errno, "rename %s", part);
	return rc;
}

/* index.json naming the manifest (with the platform the index gave it, if any) */
static int write_layout(const char *dir, const char *media, const char *digest, size_t size,
			const char *platform, struct dc_err *e)
{
	char p[PATH_MAX], idx[1024];
	snprintf(idx, sizeof(idx),
		 "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
		 "\"size\":%zu%s%s}]}\n",
		 media, digest, size, platform ? ",\"platform\":" : "", platform ? platform : "");
	fmt(p, sizeof(p), "%s/index.json", dir);
	if (write_file_atomic(p, idx, 0644, false) < 0)
		return dc_fail(e, errno, "cannot write %s", p);
	fmt(p, sizeof(p), "%s/oci-layout", dir);
	return write_file_atomic(p, "{\"imageLayoutVersion\":\"1.0.0\"}\n", 0644, false) < 0
		   ? dc_fail(e, errno, "cannot write %s", p)
		   : 0;
}

/* The config's layers the store lacks, downloaded. */
static int fetch_layers(struct reg *r, const char *dir, json_object *m, struct dc_err *e)
{
	json_object *cfg, *layers;
	if (!json_object_object_get_ex(m, "config", &cfg) ||
	    !json_object_object_get_ex(m, "layers", &layers))
		return dc_fail(e, 0, "the manifest has no config or layers");
	const char *cd = json_object_get_string(json_object_object_get(cfg, "digest"));
	if (!digest_valid(cd) || fetch_blob(r, dir, cd, e) < 0)
		return e->msg[0] ? -1 : dc_fail(e, 0, "the manifest's config digest is invalid");
	size_t n = json_object_array_length(layers);
	r->prog->layers = (int)n;
	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(layers, i), *d;
		if (!json_object_object_get_ex(l, "digest", &d) ||
		    !digest_valid(json_object_get_string(d)))
			return dc_fail(e, 0, "layer %zu has no valid digest", i);
	}
	char path[PATH_MAX];
	fmt(path, sizeof(path), "%s/blobs/sha256/%s", dir, cd + 7);
	json_object *c = json_object_from_file(path), *rf, *ids;
	if (!c || !json_object_object_get_ex(c, "rootfs", &rf) ||
	    !json_object_object_get_ex(rf, "diff_ids", &ids) ||
	    json_object_array_length(ids) != n) {
		if (c)
			json_object_put(c);
		return dc_fail(e, 0, "the image config does not list the manifest's layers");
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		r->prog->layer = (int)i + 1;
		const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
		const char *dg = json_object_get_string(
		    json_object_object_get(json_object_array_get_idx(layers, i), "digest"));
		if (!store_has_layer(id))
			rc = fetch_blob(r, dir, dg, e);
	}
	json_object_put(c);
	return rc;
}

/* Manifest (through an index), config and layers into the pull directory. */
static int download(struct reg *r, const char *dir, const char *platform, struct dc_err *e)
{
	struct resp rs = {.fd = -1};
	char digest[72], media[128], *pl = NULL;
	int rc = -1;
	if (fetch_manifest(r, dir, r->ref, &rs, digest, e) < 0)
		goto out;
	json_object *j = json_tokener_parse(rs.body ? rs.body : ""), *d, *mt;
	const char *t = j && json_object_object_get_ex(j, "mediaType", &mt)
			    ? json_object_get_string(mt)
			    : rs.type;
	if (j && (json_object_object_get_ex(j, "manifests", &d))) { /* an index */
		json_object *pd = pick(j, platform);
		char want[80];
		if (!pd) {
			dc_fail(e, 0, "%s/%s:%s has no image for %s (use --platform)", r->host,
				r->repo, r->ref, platform);
			goto outj;
		}
		snprintf(want, sizeof(want), "%s",
			 json_object_get_string(json_object_object_get(pd, "digest")));
		pl = strdup(json_object_to_json_string_ext(json_object_object_get(pd, "platform"),
							   JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
		j = NULL;
		if (!digest_valid(want) || fetch_manifest(r, dir, want, &rs, digest, e) < 0)
			goto out;
		j = json_tokener_parse(rs.body ? rs.body : "");
		t = j && json_object_object_get_ex(j, "mediaType", &mt) ? json_object_get_string(mt)
									: rs.type;
	}
	snprintf(media, sizeof(media), "%s",
		 t && t[0] ? t : "application/vnd.oci.image.manifest.v1+json");
	if (!j)
		dc_fail(e, 0, "%s/%s:%s: the manifest is not JSON", r->host, r->repo, r->ref);
	else if (fetch_layers(r, dir, j, e) == 0)
		rc = write_layout(dir, media, digest, rs.len, pl, e);
outj:
	if (j)
		json_object_put(j);
out:
	free(pl);
	free(rs.body);
	return rc;
}

static int read_creds(const char *file, struct reg *r, struct dc_err *e)
{
	if (read_line(file, r->creds, sizeof(r->creds)) < 0)
		return dc_fail(e, errno, "cannot read the credentials file %s", file);
	if (!strchr(r->creds, ':'))
		return dc_fail(e, 0, "%s must hold one line USER:PASSWORD", file);
	return 0;
}

/* Download into the pull dir (kept on failure to resume), then install. */
static int pull(struct reg *r, const char *name, const char *platform, struct dc_err *e)
{
	char key[512], hash[72], dir[PATH_MAX], sub[PATH_MAX], source[700];
	struct img_progress pr;
	struct img_plan p;
	snprintf(key, sizeof(key), "%s/%s@%s", r->host, r->repo, r->ref);
	if (store_init(e) < 0 || sha256_buf(key, strlen(key), hash, e) < 0)
		return -1;
	fmt(dir, sizeof(dir), "%s/layers/pulls/%.16s", G.root, hash + 7);
	fmt(sub, sizeof(sub), "%s/blobs/sha256", dir);
	if (mkdir_p(sub, 0755) < 0)
		return dc_fail(e, errno, "cannot create %s", sub);
	int lfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) < 0) {
		if (lfd >= 0)
			close(lfd);
		return dc_fail(e, 0, "%s is being pulled by another diyc", key);
	}
	img_progress_start(&pr, "pulling", 0);
	r->prog = &pr;
	int rc = download(r, dir, platform, e);
	img_progress_end(&pr);
	memset(&p, 0, sizeof(p));
	snprintf(source, sizeof(source), "pull %s/%s%s%s", r->host, r->repo,
		 digest_valid(r->ref) ? "@" : ":", r->ref);
	if (rc == 0 && img_plan_read(dir, platform, &p, e) == 0) {
		snprintf(p.ref, sizeof(p.ref), "%s/%s:%s", r->host, r->repo, r->ref);
		rc = img_install(name, dir, &p, source, e);
	} else {
		rc = -1;
	}
	img_plan_free(&p);
	if (rc == 0) {
		remove_tree(dir);
	} else if (r->got_data) {
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n,
			 " (what arrived is kept: pull again to "
			 "resume; diyc gc drops it)");
	} else {
		remove_tree(dir);
	}
	close(lfd);
	return rc;
}

int img_cmd_pull(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"platform", required_argument, NULL, 'p'}, {"insecure", no_argument, NULL, 'k'},
	    {"creds", required_argument, NULL, 'c'},	{"name", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},		{NULL, 0, NULL, 0}};
	struct reg r = {0};
	struct dc_err e = {0};
	const char *platform = img_host_platform(), *name = NULL, *creds = NULL;
	char defname[DC_IMAGE_MAX + 1];
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'p' && !strncmp(optarg, "linux/", 6) && strlen(optarg) < 48)
			platform = optarg;
		else if (c == 'k')
			r.insecure = true;
		else if (c == 'c')
			creds = optarg;
		else if (c == 'n')
			name = optarg;
		else if (c == 'h')
			return puts(
				   "Usage: diyc image pull [--platform linux/ARCH[/VARIANT]] "
				   "[--insecure]\n"
				   "       [--creds FILE] [--name NAME] "
				   "[HOST[:PORT]/]REPO[:TAG|@DIGEST]\n"
				   "Pull an image from a registry (default name: the repository's "
				   "last\n"
				   "component). --insecure: plain http, for a test registry only.\n"
				   "--creds: a file holding USER:PASSWORD."),
			       0;
		else
			return dc_error("bad option %s (see diyc image pull --help)",
					argv[optind - 1]),
			       EXIT_DIYC;
	}
	if (argc - optind != 1)
		return dc_error("usage: diyc image pull [OPTIONS] REF"), EXIT_DIYC;
	if (reg_parse_ref(argv[optind], &r, &e) == 0 && !name) {
		const char *last = strrchr(r.repo, '/') ? strrchr(r.repo, '/') + 1 : r.repo;
		snprintf(defname, sizeof(defname), "%s", last);
		name = defname;
	}
	if (e.msg[0] || name_check("image", name, DC_IMAGE_MAX, &e) < 0 ||
	    (image_exists(name) &&
	     dc_fail(&e, 0, "image %s already exists (diyc image rm %s first)", name, name)) ||
	    (creds && read_creds(creds, &r, &e) < 0) || !(r.C = curl_api(&e)) ||
	    pull(&r, name, platform, &e) < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	printf("%s\n", name);
	return 0;
}
