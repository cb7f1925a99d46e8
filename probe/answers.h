/*
 * The answers of the probe's live tests, kept for the rest of the boot
 * (probe/answers.c): what a test process reported is reused while nothing it
 * could depend on has changed.
 */
#ifndef DIYC_ANSWERS_H
#define DIYC_ANSWERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

struct probe_ctx;
struct dc_err;

/* FNV-1a (64 bit): the answers' keys, the file's checksum, the fingerprint. */
#define ANS_FNV0 0xcbf29ce484222325ULL
static inline uint64_t ans_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}
static inline uint64_t ans_fnv_str(uint64_t h, const char *s)
{
	return ans_fnv(h, s, strlen(s) + 1);
}
/* Everything a kept answer depends on besides its own key (probe/fingerprint.c). */
uint64_t answers_fingerprint(const struct probe_ctx *c);

/* Decide whether answers may be reused here, and load those of this boot. */
void answers_open(struct probe_ctx *c);
/* True when answers of this boot were loaded: no test has to run in a worker. */
bool answers_loaded(const struct probe_ctx *c);
/* The answer recorded under KEY, LEN bytes, copied to OUT; false if there is none. */
bool answers_get(struct probe_ctx *c, const char *key, void *out, size_t len);
/* Record what a test just measured. */
void answers_put(struct probe_ctx *c, const char *key, const void *data, size_t len);
/* Between a worker and the probe process: the answers the worker measured. */
void answers_export(struct probe_ctx *c, json_object *out);
void answers_import(struct probe_ctx *c, json_object *in);
/* Say in the profile what was reused; keep the answers when they can be trusted. */
void answers_close(struct probe_ctx *c);

/* run_child_buf, through the answers under KEY (NULL: always run). */
int answered_child_buf(struct probe_ctx *c, const char *key, void (*fn)(void *, void *), void *arg,
		       void *out, size_t len, unsigned timeout_s, struct dc_err *e);

#endif
