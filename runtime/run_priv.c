/*
 * diyc run's identity and privilege options, with docker's names and meanings:
 * --cap-add/--cap-drop (names as docker's, CAP_ optional, ALL), --group-add,
 * --ulimit NAME=SOFT[:HARD], --env-file, --security-opt no-new-privileges, and the
 * refusal of --privileged.  Parsed and checked before anything is created;
 * applied by the container process (container.c: rlimits before the capabilities
 * go, the capability set in security.c, the groups in user.c).
 *
 * Security reasoning: the default set is security.c's (docker's without MKNOD).
 * --cap-add is the user's explicit choice and is taken as given, as docker does
 * (say so in diyc(1): on a kernel without a PID namespace SYS_PTRACE or KILL then
 * reach host processes).  --privileged would also mean the host's devices and no
 * masks: refused rather than half done.  no_new_privs is always set where the
 * kernel has it (the seccomp guard of a kernel without a PID namespace depends on
 * it), so no-new-privileges=false is refused.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/oci.h"
#include "lib/parse.h"
#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

/* --cap-add NAME / --cap-drop NAME, in command-line order on top of the default */
static int cap_option(bool add, const char *arg, struct run_opts *o, struct dc_err *e)
{
	if (!o->caps_set)
		o->caps = security_default_caps(), o->caps_set = true;
	if (!strcasecmp(arg, "ALL")) {
		o->caps = add ? ~0ULL : 0;
		return 0;
	}
	int v = oci_cap_number(arg);
	if (v < 0 || v > 63)
		return dc_fail(e, 0, "unknown capability '%s' (e.g. NET_ADMIN, CAP_SYS_TIME, ALL)",
			       arg);
	o->caps = add ? o->caps | 1ULL << v : o->caps & ~(1ULL << v);
	return 0;
}

/* --ulimit NAME=SOFT[:HARD] (docker's names: nofile, nproc, core, ...; -1 unlimited) */
static int ulimit_option(const char *arg, struct run_opts *o, struct dc_err *e)
{
	char name[32], up[48];
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(name))
		return dc_fail(
		    e, 0, "invalid --ulimit '%s' (NAME=SOFT[:HARD], e.g. nofile=1024:2048)", arg);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	snprintf(up, sizeof(up), "RLIMIT_%s", name);
	for (char *p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	int res = rlimit_number(up);
	if (res < 0)
		return dc_fail(e, 0, "--ulimit: unknown limit '%s' (nofile, nproc, core, ...)",
			       name);
	if (o->nulimits >= DC_ULIMITS_MAX)
		return dc_fail(e, 0, "too many --ulimit options");
	uint64_t v[2];
	char *end;
	const char *p = eq + 1;
	for (int i = 0; i < 2; i++) {
		long long n = strtoll(p, &end, 10);
		if (end == p || n < -1 || (*end && (*end != ':' || i == 1)))
			return dc_fail(e, 0, "invalid --ulimit '%s' (numbers, -1 for unlimited)",
				       arg);
		v[i] = n < 0 ? RLIM_INFINITY : (uint64_t)n;
		if (!*end) {
			v[1] = i == 0 ? v[0] : v[1];
			break;
		}
		p = end + 1;
	}
	if (v[0] > v[1])
		return dc_fail(e, 0, "--ulimit '%s': the soft limit is above the hard one", arg);
	for (int i = 0; i < o->nulimits; i++)
		if (o->ulimits[i].resource == res)
			return dc_fail(e, 0, "--ulimit %s given twice", name);
	o->ulimits[o->nulimits++] =
	    (struct run_rlimit){.resource = res, .soft = v[0], .hard = v[1]};
	return 0;
}

/* --env-file FILE: KEY=VAL lines; "#" comments and blank lines skipped; a bare KEY takes
 * the caller's value when it has one (docker's rules; no quotes are removed) */
static int env_file(const char *path, struct run_opts *o, struct dc_err *e)
{
	static char store[65536]; /* every file's lines, kept for the run */
	static size_t used;
	char line[4096];
	FILE *f = fopen(path, "re");
	if (!f)
		return dc_fail(e, errno, "--env-file %s", path);
	int r = 0;
	for (int no = 1; r == 0 && fgets(line, sizeof(line), f); no++) {
		rstrip(line);
		const char *l = line + strspn(line, " \t");
		size_t klen = strcspn(l, "=");
		if (!*l || *l == '#')
			continue;
		if (klen == 0 || strcspn(l, " \t") < klen)
			r = dc_fail(e, 0, "--env-file %s line %d: invalid variable name", path, no);
		else if (!l[klen] && !getenv(l))
			continue;
		else if (o->nenv >= DC_ENV_MAX)
			r = dc_fail(e, 0, "--env-file %s: more than %d variables", path,
				    DC_ENV_MAX);
		else {
			char *dst = store + used;
			int n = l[klen]
				    ? snprintf(dst, sizeof(store) - used, "%s", l)
				    : snprintf(dst, sizeof(store) - used, "%s=%s", l, getenv(l));
			if (n < 0 || (size_t)n >= sizeof(store) - used)
				r = dc_fail(e, 0, "--env-file %s: too large", path);
			else
				o->env[o->nenv++] = dst, used += (size_t)n + 1;
		}
	}
	fclose(f);
	return r;
}

/* --group-add GROUP: a name of the image's /etc/group or a number, resolved in user.c */
static int group_add(const char *arg, struct run_opts *o, struct dc_err *e)
{
	if (!arg[0] || strlen(arg) > 32 ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
		strlen(arg) ||
	    arg[0] == '-')
		return dc_fail(e, 0, "invalid --group-add '%s' (a group name or number)", arg);
	if (strlen(o->group_add) + strlen(arg) + 2 > sizeof(o->group_add))
		return dc_fail(e, 0, "too many --group-add options");
	strappend(o->group_add, sizeof(o->group_add), ",", "%s", arg);
	return 0;
}

int run_priv_option(int c, const char *arg, struct run_opts *o, struct dc_err *e)
{
	switch (c) {
	case OPT_CAP_ADD:
	case OPT_CAP_DROP:
		return cap_option(c == OPT_CAP_ADD, arg, o, e);
	case OPT_ULIMIT:
		return ulimit_option(arg, o, e);
	case OPT_ENV_FILE:
		return env_file(arg, o, e);
	case OPT_GROUP_ADD:
		return group_add(arg, o, e);
	case OPT_SECURITY_OPT:
		if (!strcmp(arg, "no-new-privileges") || !strcmp(arg, "no-new-privileges=true") ||
		    !strcmp(arg, "no-new-privileges:true"))
			return 0; /* what diyc does anyway */
		if (!strncmp(arg, "no-new-privileges", 17))
			return dc_fail(e, 0, "--security-opt %s: diyc always sets no_new_privs",
				       arg);
		return dc_fail(
		    e, 0, "--security-opt '%s' is not supported (only no-new-privileges)", arg);
	case OPT_PRIVILEGED:
		return dc_fail(e, 0,
			       "--privileged is not supported: add what the container needs "
			       "with --cap-add (and -v for files)");
	case OPT_INIT:
		return 0; /* diyc-init is always the container's first process */
	}
	return 1;
}

/* after parsing: a user switch or --group-add needs SETUID and SETGID (user.c) */
int run_priv_check(const struct run_opts *o, struct dc_err *e)
{
	const uint64_t need = 1ULL << CAP_SETUID | 1ULL << CAP_SETGID;
	if (o->caps_set && (o->user || o->group_add[0]) && (o->caps & need) != need)
		return dc_fail(e, 0,
			       "--cap-drop SETUID/SETGID with a user (-u or the image's "
			       "User) or --group-add: diyc sets those with them");
	return 0;
}
