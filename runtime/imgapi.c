/* libcrypto and libcurl through dlopen (see imgapi.h), and sha256 over them. */
#define _GNU_SOURCE
#include "runtime/imgapi.h"
#include "lib/twin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

/* Fill the table at api from lib's symbols (names from the X-macro list). */
static void *load(const char *soname, const char *pkg, const char *const *names, void **api,
		  size_t n, struct dc_err *e)
{
	void *lib = dc_dlopen(soname);
	if (!lib) {
		dc_fail(e, 0, "cannot load %s (install %s): %s", soname, pkg, dc_dlerror());
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!(api[i] = dlsym(lib, names[i]))) {
			dc_fail(e, 0, "%s lacks %s", soname, names[i]);
			dlclose(lib);
			return NULL;
		}
	return lib;
}

#define IMGAPI_NAME(f) #f,

const struct crypto_api *crypto_api(struct dc_err *e)
{
	static struct crypto_api api;
	static void *h;
	static const char *const names[] = {CRYPTO_API_FUNCS(IMGAPI_NAME)};
	if (!h)
		h = load("libcrypto.so.3", "libssl3", names, (void **)&api,
			 sizeof(names) / sizeof(names[0]), e);
	return h ? &api : NULL;
}

const struct curl_api *curl_api(struct dc_err *e)
{
	static struct curl_api api;
	static void *h;
	static const char *const names[] = {CURL_API_FUNCS(IMGAPI_NAME)};
	if (!h && (h = load("libcurl.so.4", "libcurl4", names, (void **)&api,
			    sizeof(names) / sizeof(names[0]), e)))
		api.curl_global_init(CURL_GLOBAL_DEFAULT);
	return h ? &api : NULL;
}

int sha256_init(struct sha256 *h, struct dc_err *e)
{
	const struct crypto_api *C = crypto_api(e);
	h->bytes = 0;
	h->ctx = C ? C->EVP_MD_CTX_new() : NULL;
	if (!h->ctx || C->EVP_DigestInit_ex(h->ctx, C->EVP_sha256(), NULL) != 1) {
		if (C)
			dc_fail(e, 0, "cannot start a sha256 digest");
		sha256_free(h);
		return -1;
	}
	return 0;
}

void sha256_update(struct sha256 *h, const void *p, size_t n)
{
	if (h->ctx && n) {
		crypto_api(NULL)->EVP_DigestUpdate(h->ctx, p, n);
		h->bytes += n;
	}
}

void sha256_final(struct sha256 *h, char out[72])
{
	unsigned char md[32];
	unsigned len = 0;
	int n = snprintf(out, 72, "sha256:");
	if (h->ctx && crypto_api(NULL)->EVP_DigestFinal_ex(h->ctx, md, &len) == 1)
		for (unsigned i = 0; i < len && i < 32; i++)
			n += snprintf(out + n, (size_t)(72 - n), "%02x", md[i]);
	sha256_free(h);
}

void sha256_free(struct sha256 *h)
{
	if (h->ctx)
		crypto_api(NULL)->EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int sha256_file(int fd, char out[72], unsigned long long *size, struct dc_err *e)
{
	struct sha256 h;
	char buf[65536];
	ssize_t n;
	if (sha256_init(&h, e) < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(&h, buf, (size_t)n);
	if (n < 0) {
		sha256_free(&h);
		return dc_fail(e, 0, "read error while hashing");
	}
	if (size)
		*size = h.bytes;
	sha256_final(&h, out);
	return 0;
}

int sha256_buf(const void *p, size_t n, char out[72], struct dc_err *e)
{
	struct sha256 h;
	if (sha256_init(&h, e) < 0)
		return -1;
	sha256_update(&h, p, n);
	sha256_final(&h, out);
	return 0;
}
