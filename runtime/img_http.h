/*
 * The registry client of `diyc image pull` (img_http.c): a reference parsed, GETs
 * through libcurl with the bearer-token or basic authentication a 401 asks for.
 */
#ifndef DIYC_IMG_HTTP_H
#define DIYC_IMG_HTTP_H

#include "runtime/image.h"
#include "runtime/imgapi.h"

#include <stdbool.h>
#include <stddef.h>

struct reg {
	const struct curl_api *C;
	char host[256], repo[256], ref[160];
	bool insecure;
	char creds[512]; /* user:password or "" */
	char auth[4096]; /* the Authorization header in use, or "" */
	bool got_data;	 /* a layer's bytes arrived: worth keeping for a resume */
	struct img_progress *prog;
};

struct resp {
	long code;
	char *body;
	size_t len, max;
	int fd;	   /* blob downloads: the .part file; -1 for a body in memory */
	long from; /* the Range asked: a 200 instead of 206 restarts the file */
	char type[128], digest[80], challenge[1024];
	struct img_progress *prog;
};

/* REF ([HOST[:PORT]/]REPO[:TAG|@sha256:HEX]) into r's host, repo and ref. */
int reg_parse_ref(const char *in, struct reg *r, struct dc_err *e);
/* GET /v2/REPO/WHAT (Range from `from` when > 0), authenticating once on a 401;
 * -1 unless the answer is 200 or 206. */
int reg_get(struct reg *r, const char *what, const char *accept, long from, struct resp *rs,
	    struct dc_err *e);

#endif
