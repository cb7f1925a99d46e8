/* Where cgroup hierarchies are mounted and where our own cgroup is in each. */
#ifndef DIYC_CGLAYOUT_H
#define DIYC_CGLAYOUT_H

#include <stddef.h>

#include "lib/mountinfo.h"

/* The v1 mount whose super options list controller ctrl, or NULL. */
const struct mnt_entry *cg_v1_mount(const struct mountinfo *mi, const char *ctrl);
/* The first cgroup2 mount, or NULL. */
const struct mnt_entry *cg_v2_mount(const struct mountinfo *mi);
/*
 * Directory of cgroup path own (from /proc/self/cgroup) inside mount m,
 * allowing for a mount of a sub-directory (cgroup namespace, bind mount).
 * Returns 0, -ENOENT when own lies outside the mount, -ENAMETOOLONG.
 */
int cg_own_dir(const struct mnt_entry *m, const char *own, char *out, size_t len);
/* Whether a space-separated list (cgroup.controllers) names ctrl. */
int cg_list_has(const char *list, const char *ctrl);

#endif
