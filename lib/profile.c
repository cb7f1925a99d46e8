#define _GNU_SOURCE
#include "lib/profile.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const status_names[] = {
    [DC_UNKNOWN] = "unknown", [DC_YES] = "yes", [DC_NO] = "no",
    [DC_PARTIAL] = "partial", [DC_NA] = "n/a",
};

const char *dc_status_name(enum dc_status s)
{
	if ((unsigned)s >= ARRAY_SIZE(status_names))
		return "unknown";
	return status_names[s];
}

int dc_status_parse(const char *s)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(status_names); i++)
		if (!strcmp(s, status_names[i]))
			return (int)i;
	return -1;
}

void dc_check_init(struct dc_check *c, const char *method, const char *since)
{
	memset(c, 0, sizeof(*c));
	c->method = method;
	c->since = since;
}

/* Append a formatted item to a "; "-separated list held in a fixed buffer. */
static void vlist_append(char *buf, size_t size, const char *f, va_list ap)
{
	char tmp[640];
	vsnprintf(tmp, sizeof(tmp), f, ap);
	strappend(buf, size, "; ", "%s", tmp);
}

void dc_check_evidence(struct dc_check *c, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vlist_append(c->evidence, sizeof(c->evidence), f, ap);
	va_end(ap);
}

void dc_check_hint(struct dc_check *c, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vlist_append(c->hint, sizeof(c->hint), f, ap);
	va_end(ap);
}

void dc_check_errno(struct dc_check *c, int err)
{
	if (err == 0)
		c->err[0] = '\0';
	else
		snprintf(c->err, sizeof(c->err), "%s", errno_name(err));
}

struct dc_profile *dc_profile_new(void)
{
	struct dc_profile *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->root = json_object_new_object();
	if (!p->root) {
		free(p);
		return NULL;
	}
	json_object_object_add(p->root, "schema_version", json_object_new_int(DC_SCHEMA_VERSION));
	return p;
}

void dc_profile_free(struct dc_profile *p)
{
	if (!p)
		return;
	json_object_put(p->root);
	free(p);
}

/* Walk a dotted path; create missing objects when create is set. */
static json_object *walk(json_object *o, const char *path, bool create)
{
	char buf[256];
	char *save = NULL;

	if (!path || !*path)
		return o;
	if (fmt(buf, sizeof(buf), "%s", path) < 0)
		return NULL;
	for (char *tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save)) {
		json_object *next = NULL;
		if (!json_object_is_type(o, json_type_object))
			return NULL;
		if (!json_object_object_get_ex(o, tok, &next)) {
			if (!create)
				return NULL;
			next = json_object_new_object();
			json_object_object_add(o, tok, next);
		}
		o = next;
	}
	return o;
}

json_object *dc_profile_obj(struct dc_profile *p, const char *path)
{
	return walk(p->root, path, true);
}

json_object *dc_profile_find(const struct dc_profile *p, const char *path)
{
	return walk(p->root, path, false);
}

static void add_str_or_null(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v && *v ? json_object_new_string(v) : NULL);
}

json_object *dc_profile_add_check(struct dc_profile *p, const char *path, const struct dc_check *c)
{
	json_object *o = dc_profile_obj(p, path);
	if (!o)
		return NULL;
	json_object_object_add(o, "status", json_object_new_string(dc_status_name(c->status)));
	json_object_object_add(o, "compiled", json_object_new_string(dc_status_name(c->compiled)));
	json_object_object_add(o, "enabled", json_object_new_string(dc_status_name(c->enabled)));
	json_object_object_add(o, "usable", json_object_new_string(dc_status_name(c->usable)));
	add_str_or_null(o, "method", c->method);
	add_str_or_null(o, "evidence", c->evidence);
	add_str_or_null(o, "errno", c->err);
	add_str_or_null(o, "since", c->since);
	add_str_or_null(o, "hint", c->hint);
	json_object_object_add(o, "required", json_object_new_boolean(c->required));
	return o;
}

void dc_profile_set_str(struct dc_profile *p, const char *path, const char *key, const char *val)
{
	json_object *o = dc_profile_obj(p, path);
	if (o)
		json_object_object_add(o, key, val ? json_object_new_string(val) : NULL);
}

void dc_profile_set_int(struct dc_profile *p, const char *path, const char *key, long long val)
{
	json_object *o = dc_profile_obj(p, path);
	if (o)
		json_object_object_add(o, key, json_object_new_int64(val));
}

void dc_profile_set_bool(struct dc_profile *p, const char *path, const char *key, bool val)
{
	json_object *o = dc_profile_obj(p, path);
	if (o)
		json_object_object_add(o, key, json_object_new_boolean(val));
}

const char *dc_profile_str(const struct dc_profile *p, const char *path, const char *key)
{
	json_object *o = dc_profile_find(p, path), *v;
	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

enum dc_status dc_profile_status(const struct dc_profile *p, const char *path)
{
	int s = dc_status_parse(dc_profile_str(p, path, "status"));
	return s < 0 ? DC_UNKNOWN : (enum dc_status)s;
}

const char *dc_profile_json(struct dc_profile *p)
{
	return json_object_to_json_string_ext(p->root, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
}

int dc_profile_write(struct dc_profile *p, const char *path)
{
	int r = mkdir_parent(path);
	if (r < 0)
		return r;
	char *s;
	if (asprintf(&s, "%s\n", dc_profile_json(p)) < 0)
		return -ENOMEM;
	r = write_file_atomic(path, s, 0644, true);
	free(s);
	return r;
}

struct dc_profile *dc_profile_load(const char *path, struct dc_err *e)
{
	json_object *root = json_object_from_file(path), *v;
	struct dc_profile *p;

	if (!root) {
		if (access(path, R_OK) < 0)
			dc_fail(e, 0, "cannot read profile %s: %s", path, strerror(errno));
		else
			dc_fail(e, 0, "profile %s is not valid JSON: %s", path,
				json_util_get_last_err() ? rstrip((char *)json_util_get_last_err())
							 : "parse error");
		return NULL;
	}
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "schema_version", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		dc_fail(e, 0, "profile %s has no schema_version", path);
		json_object_put(root);
		return NULL;
	}
	if (json_object_get_int(v) != DC_SCHEMA_VERSION) {
		dc_fail(e, 0, "profile %s has schema_version %d, this diyc reads %d", path,
			json_object_get_int(v), DC_SCHEMA_VERSION);
		json_object_put(root);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		json_object_put(root);
		dc_fail(e, 0, "out of memory");
		return NULL;
	}
	p->root = root;
	return p;
}

const char *dc_default_profile(void)
{
	const char *e = getenv("DIYC_PROFILE");
	return e && e[0] == '/' ? e : DC_DEFAULT_PROFILE;
}
