/*
 * Container and image names.  Validated before they touch a path, a cgroup or
 * a rule: [A-Za-z0-9][A-Za-z0-9_.-]*, at most DC_NAME_MAX bytes (docker allows
 * longer; 64 is also the longest host name, which a container's name is by
 * default).  No interface name derives from it (a veth's host end is "dv" and 8
 * random hex digits).  The first character rules out ".", ".." and option-like
 * names; "/" cannot occur.
 */
#ifndef DIYC_NAMES_H
#define DIYC_NAMES_H

#include "lib/error.h"

#include <stdbool.h>
#include <stddef.h>

#define DC_NAME_MAX 64
#define DC_IMAGE_MAX 64

/* 0 when valid; else -EINVAL and a one-line reason in why. */
int name_check(const char *kind, const char *name, size_t max, struct dc_err *e);

#endif
