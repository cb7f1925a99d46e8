/*
 * The capability profile: what diyc-probe measured, read back by the runtime.
 *
 * In memory the profile is a json-c tree, so the writer, the table printer
 * and the runtime's reader share one representation.  A "check" is any JSON
 * object with a "status" member; everything else is a plain fact.  The
 * format is documented field by field in docs/profile.md.
 */
#ifndef DIYC_PROFILE_H
#define DIYC_PROFILE_H

#include "lib/error.h"

#include <stdbool.h>
#include <json-c/json.h>

#define DC_SCHEMA_VERSION 1
#define DC_DEFAULT_PROFILE "/run/diyc/profile.json"
/* The profile diyc reads and diyc-probe writes by default: $DIYC_PROFILE when it is
 * an absolute path (tests keep a private one: a harness whose /sys differs, such as
 * `ip netns exec`, must not write the machine's), else DC_DEFAULT_PROFILE. */
const char *dc_default_profile(void);

enum dc_status { DC_UNKNOWN = 0, DC_YES, DC_NO, DC_PARTIAL, DC_NA };

const char *dc_status_name(enum dc_status s);
/* Returns the status, or -1 for a string that is not a status. */
int dc_status_parse(const char *s);

/*
 * One measured feature.  Three facts stay apart: compiled (the kernel has
 * the code), enabled (nothing at run time switched it off) and usable (a real
 * syscall by this caller, here, worked).  status is the verdict.
 */
struct dc_check {
	enum dc_status status;
	enum dc_status compiled, enabled, usable;
	const char *method; /* config, procfs, sysfs, syscall, mount, netlink, version */
	char evidence[600]; /* "unshare(CLONE_NEWPID)=EINVAL; /proc/self/ns/pid absent" */
	char err[24];	    /* errno name of the decisive test, "" when it succeeded */
	const char *since;  /* kernel version that introduced the feature */
	char hint[300];	    /* what a user can do about a gap */
	bool required;	    /* diyc run cannot work without it */
};

void dc_check_init(struct dc_check *c, const char *method, const char *since);
void dc_check_evidence(struct dc_check *c, const char *f, ...)
    __attribute__((format(printf, 2, 3)));
void dc_check_hint(struct dc_check *c, const char *f, ...) __attribute__((format(printf, 2, 3)));
/* Record the errno of the decisive test (0 clears it). */
void dc_check_errno(struct dc_check *c, int err);

struct dc_profile {
	json_object *root;
};

struct dc_profile *dc_profile_new(void);
void dc_profile_free(struct dc_profile *p);

/* The object at a dotted path ("cgroups.controllers"), created when missing. */
json_object *dc_profile_obj(struct dc_profile *p, const char *path);
/* The object at a dotted path, or NULL. */
json_object *dc_profile_find(const struct dc_profile *p, const char *path);

/* Store a check at "section.name"; returns its JSON object for extra facts. */
json_object *dc_profile_add_check(struct dc_profile *p, const char *path, const struct dc_check *c);

void dc_profile_set_str(struct dc_profile *p, const char *path, const char *key, const char *val);
void dc_profile_set_int(struct dc_profile *p, const char *path, const char *key, long long val);
void dc_profile_set_bool(struct dc_profile *p, const char *path, const char *key, bool val);

/* Status of the check at a dotted path; DC_UNKNOWN when absent or malformed. */
enum dc_status dc_profile_status(const struct dc_profile *p, const char *path);
/* A string member of the object at path, or NULL. */
const char *dc_profile_str(const struct dc_profile *p, const char *path, const char *key);

/* Serialise (pretty). The caller frees nothing: the string belongs to the profile. */
const char *dc_profile_json(struct dc_profile *p);

/*
 * Write atomically: a temporary file in the same directory, fsync, rename.
 * Creates the parent directory (0755) when missing. Returns 0 or -errno.
 */
int dc_profile_write(struct dc_profile *p, const char *path);

/*
 * Load and validate a profile file.  On failure returns NULL and a one-line
 * reason in err.  A profile of another schema_version is refused.
 */
struct dc_profile *dc_profile_load(const char *path, struct dc_err *e);

#endif
