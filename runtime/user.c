/*
 * `-u/--user USER[:GROUP]` and an image's config.User, applied in the container
 * process after the "security" step (the capabilities kept there include SETUID and
 * SETGID; the change of uid then clears the rest, as docker's non-root users get
 * none).  Names are resolved in the container's own /etc/passwd and /etc/group,
 * read after pivot_root: the image's files, never the host's (fgetpwent reads a
 * file, no NSS module is loaded).  A numeric uid absent from passwd is allowed (gid
 * then 0, or GROUP); a name that is absent is an error, as with docker.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/parse.h"
#include "lib/util.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool user_spec_valid(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-:") ==
		   n &&
	       s[0] != ':' && s[0] != '-' && strchr(s, ':') == strrchr(s, ':');
}

/* a uid or gid: digits only, below (uid_t)-1 */
static bool numeric(const char *s, long *out)
{
	return strspn(s, "0123456789") == strlen(s) && parse_count(s, 0, 0xfffffffeL, out) == 0;
}

/* name or number in /etc/passwd: uid, its group, home; 0 or -1 when a name is unknown */
static int find_user(const char *u, uid_t *uid, gid_t *gid, char *home, size_t len, char *name,
		     size_t nlen)
{
	long n = 0;
	bool num = numeric(u, &n);
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	*gid = 0;
	snprintf(home, len, "/");
	snprintf(name, nlen, "%s", u);
	while (f && (pw = fgetpwent(f)))
		if (num ? pw->pw_uid == (uid_t)n : !strcmp(pw->pw_name, u)) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			snprintf(home, len, "%s", pw->pw_dir);
			snprintf(name, nlen, "%s", pw->pw_name);
			fclose(f);
			return 0;
		}
	if (f)
		fclose(f);
	*uid = (uid_t)n;
	return num ? 0 : -1;
}

static int find_group(const char *g, gid_t *gid)
{
	long n = 0;
	if (numeric(g, &n))
		return *gid = (gid_t)n, 0;
	FILE *f = fopen("/etc/group", "re");
	struct group *gr;
	int r = -1;
	while (f && r < 0 && (gr = fgetgrent(f)))
		if (!strcmp(gr->gr_name, g))
			*gid = gr->gr_gid, r = 0;
	if (f)
		fclose(f);
	return r;
}

/* the groups of /etc/group that list the user */
static int supplementary(const char *name, gid_t *out, int max)
{
	FILE *f = fopen("/etc/group", "re");
	struct group *gr;
	int n = 0;
	while (f && n < max && (gr = fgetgrent(f)))
		for (char **m = gr->gr_mem; m && *m && n < max; m++)
			if (!strcmp(*m, name)) {
				out[n++] = gr->gr_gid;
				break;
			}
	if (f)
		fclose(f);
	return n;
}

/* --group-add: the groups of a comma list (names of the image's /etc/group or
 * numbers) appended to groups; -1 and the unknown name in e */
static int added_groups(const char *list, gid_t *groups, int *n, int max, struct dc_err *e)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", list ? list : "");
	for (char *g = strtok_r(buf, ",", &save); g && *n < max; g = strtok_r(NULL, ",", &save))
		if (find_group(g, &groups[(*n)++]) < 0)
			return dc_fail(e, 0,
				       "--group-add: unable to find group %s: no matching entries "
				       "in the image's /etc/group",
				       g);
	return 0;
}

int user_apply(const char *spec, const char *group_add, char *home, size_t len, struct dc_err *e)
{
	char u[72], name[256];
	gid_t gid, groups[64];
	uid_t uid;
	snprintf(u, sizeof(u), "%s", spec);
	char *g = strchr(u, ':');
	if (g)
		*g++ = '\0';
	if (find_user(u, &uid, &gid, home, len, name, sizeof(name)) < 0)
		return dc_fail(e, 0,
			       "unable to find user %s: no matching entries in the image's "
			       "/etc/passwd",
			       u);
	if (g && find_group(g, &gid) < 0)
		return dc_fail(e, 0,
			       "unable to find group %s: no matching entries in the image's "
			       "/etc/group",
			       g);
	int n = g ? 0 : supplementary(name, groups, 64);
	if (added_groups(group_add, groups, &n, 64, e) < 0)
		return -1;
	if (setgroups((size_t)n, groups) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return dc_fail(e, errno, "cannot become user %s", spec);
	return 0;
}
