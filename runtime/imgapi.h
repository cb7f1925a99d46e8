/*
 * libcrypto (sha256) and libcurl (registries), opened on first use like libarchive
 * (archiveapi.h): only `diyc image` needs them, and linking them would make every
 * `diyc run` load OpenSSL, curl and their dependencies.  The pointer types come from
 * the libraries' own headers, so a signature cannot drift.
 */
#ifndef DIYC_IMGAPI_H
#define DIYC_IMGAPI_H

#include "lib/error.h"

#define CURL_DISABLE_TYPECHECK 1 /* curl_easy_setopt is a pointer here, not the macro */
#include <curl/curl.h>
#include <openssl/evp.h>

#define CRYPTO_API_FUNCS(X)                                                                        \
	X(EVP_MD_CTX_new)                                                                          \
	X(EVP_MD_CTX_free)                                                                         \
	X(EVP_DigestInit_ex)                                                                       \
	X(EVP_DigestUpdate)                                                                        \
	X(EVP_DigestFinal_ex)                                                                      \
	X(EVP_sha256)

#define CURL_API_FUNCS(X)                                                                          \
	X(curl_global_init)                                                                        \
	X(curl_easy_init)                                                                          \
	X(curl_easy_setopt)                                                                        \
	X(curl_easy_perform)                                                                       \
	X(curl_easy_getinfo)                                                                       \
	X(curl_easy_cleanup)                                                                       \
	X(curl_easy_strerror)                                                                      \
	X(curl_easy_escape)                                                                        \
	X(curl_free)                                                                               \
	X(curl_slist_append)                                                                       \
	X(curl_slist_free_all)

struct crypto_api {
#define IMGAPI_FIELD(f) __typeof__(f) *f;
	CRYPTO_API_FUNCS(IMGAPI_FIELD)
};
struct curl_api {
	CURL_API_FUNCS(IMGAPI_FIELD)
#undef IMGAPI_FIELD
};

/* The APIs, or NULL with the reason in e when the library cannot be loaded. */
const struct crypto_api *crypto_api(struct dc_err *e);
const struct curl_api *curl_api(struct dc_err *e);

/* ---- sha256 over a stream (img_digest in imgapi.c) ---- */
struct sha256 {
	EVP_MD_CTX *ctx;
	unsigned long long bytes;
};
int sha256_init(struct sha256 *h, struct dc_err *e);
void sha256_update(struct sha256 *h, const void *p, size_t n);
/* "sha256:" and 64 hex digits into out (72 bytes); frees the context. */
void sha256_final(struct sha256 *h, char out[72]);
void sha256_free(struct sha256 *h);
/* The digest of a whole file or buffer. 0 or -1. */
int sha256_file(int fd, char out[72], unsigned long long *size, struct dc_err *e);
int sha256_buf(const void *p, size_t n, char out[72], struct dc_err *e);

#endif
