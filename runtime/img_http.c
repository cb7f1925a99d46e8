/*
 * HTTP for `diyc image pull` (img_http.h): the Docker Registry HTTP API v2 / OCI
 * distribution spec through libcurl (opened with dlopen, imgapi.c).  A 401 with
 * `WWW-Authenticate: Bearer realm=...,service=...,scope=...` is answered by fetching
 * a token from the realm (with the --creds user and password, if given, as basic
 * auth), a Basic challenge by the credentials.  http:// only with --insecure, for
 * the realm too; redirects (blob storage) never carry our Authorization header
 * (libcurl drops a custom one on another host).
 */
#define _GNU_SOURCE
#include "runtime/img_http.h"
#include "lib/util.h"
#include "lib/version.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- the reference ---- */
int reg_parse_ref(const char *in, struct reg *r, struct dc_err *e)
{
	char s[512];
	if (strlen(in) >= sizeof(s) || strspn(in, "abcdefghijklmnopqrstuvwxyz0123456789"
						  "ABCDEFGHIJKLMNOPQRSTUVWXYZ._-/:@") != strlen(in))
		return dc_fail(e, 0, "invalid image reference '%.200s'", in);
	snprintf(s, sizeof(s), "%s", in);
	char *at = strchr(s, '@'), *slash = strchr(s, '/'), *name = s;
	if (at)
		*at++ = '\0';
	if (slash && (memchr(s, '.', (size_t)(slash - s)) || memchr(s, ':', (size_t)(slash - s)) ||
		      !strncmp(s, "localhost/", 10))) {
		*slash = '\0';
		snprintf(r->host, sizeof(r->host), "%s", s);
		name = slash + 1;
	} else {
		snprintf(r->host, sizeof(r->host), "registry-1.docker.io");
	}
	char *colon = strrchr(name, ':');
	if (colon && !at)
		*colon++ = '\0';
	snprintf(r->ref, sizeof(r->ref), "%s", at ? at : colon ? colon : "latest");
	if (!strchr(name, '/') && !strcmp(r->host, "registry-1.docker.io"))
		snprintf(r->repo, sizeof(r->repo), "library/%s", name);
	else
		snprintf(r->repo, sizeof(r->repo), "%s", name);
	if (!r->repo[0] || strstr(r->repo, "..") || strstr(r->repo, "//") ||
	    (at && !digest_valid(at)) || (!at && strchr(r->ref, '/')))
		return dc_fail(e, 0, "invalid image reference '%.200s'", in);
	return 0;
}

/* ---- HTTP ---- */
static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct resp *rs = ud;
	size_t len = sz * n;
	if (rs->fd >= 0 && (rs->code == 200 || rs->code == 206)) {
		for (size_t off = 0; off < len;) {
			ssize_t w = write(rs->fd, p + off, len - off);
			if (w <= 0)
				return 0;
			off += (size_t)w;
		}
		img_progress_add(rs->prog, len);
		return len;
	}
	if (rs->len + len > rs->max) {
		if (rs->len + len > (8u << 20))
			return 0; /* a manifest is never that large */
		size_t m = (rs->len + len) * 2 + 4096;
		char *g = realloc(rs->body, m);
		if (!g)
			return 0;
		rs->body = g;
		rs->max = m;
	}
	memcpy(rs->body + rs->len, p, len);
	rs->len += len;
	rs->body[rs->len] = '\0';
	return len;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t len)
{
	size_t k = strlen(name);
	if (n > k && !strncasecmp(line, name, k)) {
		line += k;
		n -= k;
		while (n && (*line == ' ' || *line == '\t'))
			line++, n--;
		while (n && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
			n--;
		snprintf(out, len, "%.*s", (int)n, line);
	}
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct resp *rs = ud;
	size_t len = sz * n;
	if (len > 5 && !strncmp(p, "HTTP/", 5)) { /* a new response (after a redirect) */
		rs->code = strtol(strchr(p, ' ') ? strchr(p, ' ') : p, NULL, 10);
		rs->type[0] = rs->challenge[0] = '\0';
		if (rs->fd >= 0 && rs->from > 0 && rs->code == 200 &&
		    (ftruncate(rs->fd, 0) < 0 || lseek(rs->fd, 0, SEEK_SET) < 0))
			return 0;
	}
	header_value(p, len, "content-type:", rs->type, sizeof(rs->type));
	header_value(p, len, "docker-content-digest:", rs->digest, sizeof(rs->digest));
	header_value(p, len, "www-authenticate:", rs->challenge, sizeof(rs->challenge));
	return len;
}

/* One GET: 0 with rs filled (any status), -1 on a transport error. */
static int get(struct reg *r, const char *url, const char *accept, const char *auth, long from,
	       struct resp *rs, struct dc_err *e)
{
	const struct curl_api *C = r->C;
	CURL *h = C->curl_easy_init();
	struct curl_slist *hd = NULL;
	char buf[4200], range[48];
	if (!h)
		return dc_fail(e, 0, "cannot start libcurl");
	if (accept && snprintf(buf, sizeof(buf), "Accept: %s", accept) > 0)
		hd = C->curl_slist_append(hd, buf);
	if (auth && auth[0] && snprintf(buf, sizeof(buf), "Authorization: %s", auth) > 0)
		hd = C->curl_slist_append(hd, buf);
	C->curl_easy_setopt(h, CURLOPT_URL, url);
	C->curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, r->insecure ? "http,https" : "https");
	C->curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, r->insecure ? "http,https" : "https");
	C->curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	C->curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	C->curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	C->curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	C->curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	C->curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	C->curl_easy_setopt(h, CURLOPT_USERAGENT, "diyc/" DIYC_VERSION);
	C->curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	C->curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	C->curl_easy_setopt(h, CURLOPT_WRITEDATA, rs);
	C->curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	C->curl_easy_setopt(h, CURLOPT_HEADERDATA, rs);
	if (from > 0 && snprintf(range, sizeof(range), "%ld-", from) > 0)
		C->curl_easy_setopt(h, CURLOPT_RANGE, range);
	CURLcode c = C->curl_easy_perform(h);
	C->curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->code);
	C->curl_easy_cleanup(h);
	C->curl_slist_free_all(hd);
	if (c != CURLE_OK)
		return dc_fail(e, 0, "%s: %s", url, C->curl_easy_strerror(c));
	return 0;
}

/* key="value" from a challenge */
static void param(const char *ch, const char *key, char *out, size_t len)
{
	char pat[32];
	snprintf(pat, sizeof(pat), "%s=\"", key);
	const char *s = strstr(ch, pat);
	out[0] = '\0';
	if (s) {
		s += strlen(pat);
		snprintf(out, len, "%.*s", (int)strcspn(s, "\""), s);
	}
}

static void basic(const struct reg *r, char *out, size_t len)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = (const unsigned char *)r->creds;
	size_t n = strlen(r->creds), k = (size_t)snprintf(out, len, "Basic ");
	for (size_t i = 0; i < n && k + 5 < len; i += 3) {
		unsigned v =
		    s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
		out[k++] = b64[v >> 18 & 63];
		out[k++] = b64[v >> 12 & 63];
		out[k++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[k++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[k] = '\0';
}

/* Answer a 401's challenge: r->auth set for the retry. */
static int authenticate(struct reg *r, const char *challenge, struct dc_err *e)
{
	char realm[512], service[256], scope[512], url[1600], cred[700];
	if (!strncasecmp(challenge, "Basic", 5)) {
		if (!r->creds[0])
			return dc_fail(e, 0, "%s asks for a user and password (--creds FILE)",
				       r->host);
		basic(r, r->auth, sizeof(r->auth));
		return 0;
	}
	if (strncasecmp(challenge, "Bearer", 6))
		return dc_fail(e, 0, "%s: unsupported authentication '%.60s'", r->host, challenge);
	param(challenge, "realm", realm, sizeof(realm));
	param(challenge, "service", service, sizeof(service));
	param(challenge, "scope", scope, sizeof(scope));
	if (!scope[0])
		snprintf(scope, sizeof(scope), "repository:%s:pull", r->repo);
	if (strncmp(realm, "https://", 8) && !(r->insecure && !strncmp(realm, "http://", 7)))
		return dc_fail(e, 0, "%s: token realm '%.200s' is not https", r->host, realm);
	char *es = r->C->curl_easy_escape(NULL, service, 0),
	     *sc = r->C->curl_easy_escape(NULL, scope, 0);
	snprintf(url, sizeof(url), "%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?",
		 es ? es : "", sc ? sc : "");
	r->C->curl_free(es);
	r->C->curl_free(sc);
	struct resp rs = {.fd = -1};
	if (r->creds[0])
		basic(r, cred, sizeof(cred));
	int rc = get(r, url, "application/json", r->creds[0] ? cred : NULL, 0, &rs, e);
	json_object *j = rc == 0 && rs.code == 200 && rs.body ? json_tokener_parse(rs.body) : NULL,
		    *t;
	if (j && (json_object_object_get_ex(j, "token", &t) ||
		  json_object_object_get_ex(j, "access_token", &t)))
		snprintf(r->auth, sizeof(r->auth), "Bearer %s", json_object_get_string(t));
	else if (rc == 0)
		rc = dc_fail(e, 0, "%s: no token from %.200s (HTTP %ld)", r->host, realm, rs.code);
	if (j)
		json_object_put(j);
	free(rs.body);
	return r->auth[0] ? 0 : -1;
}

/* GET path of the repository, authenticating once on a 401. */
int reg_get(struct reg *r, const char *what, const char *accept, long from, struct resp *rs,
	    struct dc_err *e)
{
	char url[1024];
	snprintf(url, sizeof(url), "%s://%s/v2/%s/%s", r->insecure ? "http" : "https", r->host,
		 r->repo, what);
	for (int attempt = 0; attempt < 2; attempt++) {
		rs->len = 0;
		if (rs->body)
			rs->body[0] = '\0';
		if (get(r, url, accept, r->auth, from, rs, e) < 0)
			return -1;
		if (rs->code != 401 || attempt == 1)
			break;
		if (rs->fd >= 0 &&
		    (ftruncate(rs->fd, from) < 0 || lseek(rs->fd, from, SEEK_SET) < 0))
			return dc_fail(e, errno, "rewind a download");
		if (authenticate(r, rs->challenge, e) < 0)
			return -1;
	}
	if (rs->code == 401 || rs->code == 403)
		return dc_fail(e, 0, "%s/%s: access denied (HTTP %ld)", r->host, r->repo, rs->code);
	if (rs->code == 404)
		return dc_fail(e, 0, "%s/%s: %s not found", r->host, r->repo, what);
	if (rs->code != 200 && rs->code != 206)
		return dc_fail(e, 0, "%s/%s: %s: HTTP %ld", r->host, r->repo, what, rs->code);
	return 0;
}
