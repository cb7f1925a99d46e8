/*
 * What a kept answer of the probe (probe/answers.c) depends on besides its own
 * key, as one number: the boot, this binary, the caller (ids, capabilities,
 * no_new_privs and seccomp as probe_context parsed them, LSM label, rlimits,
 * cgroups, namespaces), the loaded modules, the namespace and tunnel sysctls,
 * the cgroup mounts, PATH and XTABLES_LIBDIR, the data root and --load-modules.
 * When any of them changes, every live test runs again.  Files already read by
 * probe_context (status, mountinfo, boot_id) are not read a second time.
 */
#define _GNU_SOURCE
#include "probe/answers.h"
#include "probe/probe.h"
#include "lib/pfacts.h"
#include "lib/util.h"
#include "lib/version.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* A file's content (or that it could not be read) into the fingerprint. */
static uint64_t fp_file(uint64_t h, const char *path)
{
	char buf[8192];
	ssize_t n = read_file(path, buf, sizeof(buf));
	h = ans_fnv_str(h, path);
	return n < 0 ? ans_fnv(h, &n, sizeof(n)) : ans_fnv(h, buf, (size_t)n);
}

/* The caller as probe_context parsed /proc/self/status, and its user and group ids. */
static uint64_t fp_caller(uint64_t h, const struct proc_status *st)
{
	uid_t u[3] = {0};
	gid_t g[3] = {0};
	getresuid(&u[0], &u[1], &u[2]);
	getresgid(&g[0], &g[1], &g[2]);
	uint64_t caps[] = {st->have_caps, st->have_amb, st->cap_inh, st->cap_prm,
			   st->cap_eff,	  st->cap_bnd,	st->cap_amb};
	long rest[] = {st->no_new_privs, st->seccomp, st->seccomp_filters, st->uid_eff};
	h = ans_fnv(ans_fnv(h, u, sizeof(u)), g, sizeof(g));
	return ans_fnv(ans_fnv(h, caps, sizeof(caps)), rest, sizeof(rest));
}

/* The cgroup mounts, from the mount table probe_context parsed. */
static uint64_t fp_cgroup_mounts(uint64_t h, const struct probe_ctx *c)
{
	if (!c->have_mi)
		return ans_fnv_str(h, "no mountinfo");
	for (size_t i = 0; i < c->mi.n; i++) {
		const struct mnt_entry *m = &c->mi.v[i];
		if (!m->fstype || strncmp(m->fstype, "cgroup", 6))
			continue;
		int v[] = {m->id, m->parent, (int)m->major, (int)m->minor};
		h = ans_fnv(h, v, sizeof(v));
		const char *const f[] = {m->root,   m->mountpoint, m->options,
					 m->fstype, m->source,	   m->super};
		for (size_t j = 0; j < ARRAY_SIZE(f); j++)
			h = ans_fnv_str(h, f[j] ? f[j] : "");
	}
	return h;
}

/* Which file PATH is, on which filesystem; with CONTENT also its size and mtime (a
 * binary; not a directory, whose mtime every test directory changes). */
static uint64_t fp_stat(uint64_t h, const char *path, bool content)
{
	struct stat st;
	struct statfs sf;
	h = ans_fnv_str(h, path);
	if (stat(path, &st) == 0) {
		uint64_t v[] = {st.st_dev,
				st.st_ino,
				st.st_uid,
				st.st_mode,
				content ? (uint64_t)st.st_size : 0,
				content ? (uint64_t)st.st_mtim.tv_sec : 0,
				content ? (uint64_t)st.st_mtim.tv_nsec : 0};
		h = ans_fnv(h, v, sizeof(v));
	}
	if (statfs(path, &sf) == 0)
		h = ans_fnv(h, &sf.f_type, sizeof(sf.f_type));
	return h;
}

static uint64_t fp_dir(uint64_t h, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[PATH_MAX];
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && fmt(p, sizeof(p), "%s/%s", dir, de->d_name) == 0)
			h = fp_file(h, p); /* readdir order is stable for /proc/sys */
	if (d)
		closedir(d);
	return h;
}

/* Module names and states, not their use counts (rules and containers change those). */
static uint64_t fp_modules(uint64_t h)
{
	static char buf[65536];
	char name[64], state[16];
	if (read_file("/proc/modules", buf, sizeof(buf)) < 0)
		return ans_fnv_str(h, "no /proc/modules");
	for (char *save, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (sscanf(l, "%63s %*s %*s %*s %15s", name, state) == 2)
			h = ans_fnv_str(ans_fnv_str(h, name), state);
	return h;
}

uint64_t answers_fingerprint(const struct probe_ctx *c)
{
	static const char *const ns[] = {"mnt",	   "net", "user", "pid",
					 "cgroup", "ipc", "uts",  "time"};
	static const char *const sysctls[] = {
	    "/proc/sys/kernel/unprivileged_userns_clone",
	    "/proc/sys/net/core/fb_tunnels_only_for_init_net",
	    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns"};
	char buf[256], path[64];
	uint64_t h = ans_fnv_str(ANS_FNV0, "diyc-probe " DIYC_VERSION);
	const char *boot = dc_fact_str(c->prof, F_BOOT_ID); /* (read by probe_context) */
	h = ans_fnv_str(h, boot ? boot : "");
	h = fp_stat(h, "/proc/self/exe", true);
	h = fp_caller(h, &c->status);
	h = fp_file(h, "/proc/self/attr/current");
	h = fp_file(h, "/proc/self/cgroup");
	h = fp_file(h, "/proc/self/limits");
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		ssize_t n = readlink(path, buf, sizeof(buf) - 1);
		buf[n < 0 ? 0 : n] = '\0';
		h = ans_fnv_str(ans_fnv_str(h, path), buf);
	}
	h = fp_modules(h);
	h = fp_dir(h, "/proc/sys/user");
	for (size_t i = 0; i < ARRAY_SIZE(sysctls); i++)
		h = fp_file(h, sysctls[i]);
	h = fp_cgroup_mounts(h, c);
	h = ans_fnv_str(h, getenv("PATH") ? getenv("PATH") : "");
	h = ans_fnv_str(h, getenv("XTABLES_LIBDIR") ? getenv("XTABLES_LIBDIR") : "");
	h = fp_stat(ans_fnv_str(h, c->data_root), c->data_root, false);
	return ans_fnv(h, &c->load_modules, sizeof(c->load_modules));
}
