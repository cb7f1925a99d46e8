/*
 * config.json (OCI runtime spec 1.0/1.1) -> struct oci_spec.  Only the fields
 * diyc honours are read; a field it sees and does not apply is named in
 * s->unsupported so the log says what was given up (never a silent drop).  The
 * json object stays alive with the spec: every string points into it.
 *
 * Bad input is refused here, before anything exists on the host: a relative
 * mount destination, an unknown namespace or capability, a malformed rlimit.
 */
#define _GNU_SOURCE
#include "runtime/oci.h"
#include "lib/util.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

const char *const oci_hook_names[HOOK_KINDS] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};

size_t oci_json_len(const void *j)
{
	/* json-c asserts on the length of a non-array: a config is input, never trusted */
	return j && json_object_is_type(j, json_type_array)
		   ? json_object_array_length((const json_object *)j)
		   : 0;
}

void *oci_json_get(const void *o, const char *k)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex((json_object *)o, k, &v) ? v : NULL;
}
#define get(o, k) ((json_object *)oci_json_get(o, k))

static char *str(json_object *o, const char *k)
{
	json_object *v = get(o, k);
	return v && json_object_is_type(v, json_type_string) ? (char *)json_object_get_string(v)
							     : NULL;
}

/* a NULL-terminated vector of the array's strings (pointing into the json) */
static char **strv(json_object *a, int *count)
{
	int n = a && json_object_is_type(a, json_type_array) ? (int)oci_json_len(a) : 0;
	char **v = calloc((size_t)n + 1, sizeof(char *));
	int k = 0;
	for (int i = 0; v && i < n; i++) {
		json_object *x = json_object_array_get_idx(a, (size_t)i);
		if (json_object_is_type(x, json_type_string))
			v[k++] = (char *)json_object_get_string(x);
	}
	if (count)
		*count = k;
	return v;
}

static void unsupported(struct oci_spec *s, const char *what)
{
	if (!strstr(s->unsupported, what))
		strappend(s->unsupported, sizeof(s->unsupported), ", ", "%s", what);
}

int oci_cap_number(const char *name)
{
	char low[64];
	cap_value_t v;
	if (!name || strlen(name) >= sizeof(low) - 4)
		return -1;
	snprintf(low, sizeof(low), "%s%s", strncasecmp(name, "CAP_", 4) ? "cap_" : "", name);
	for (char *p = low; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	return cap_from_name(low, &v) == 0 ? (int)v : -1;
}

static int caps(json_object *c, struct oci_process *p, struct dc_err *e)
{
	static const char *const sets[5] = {"bounding", "effective", "inheritable", "permitted",
					    "ambient"};
	for (int i = 0; i < 5; i++) {
		json_object *a = get(c, sets[i]);
		for (size_t j = 0; a && j < oci_json_len(a); j++) {
			const char *n = json_object_get_string(json_object_array_get_idx(a, j));
			int v = oci_cap_number(n);
			if (v < 0 || v > 63)
				return dc_fail(e, 0,
					       "unknown capability %s in process.capabilities",
					       n ? n : "(null)");
			p->caps[i] |= 1ULL << v;
		}
	}
	return 0;
}

static int rlimits(json_object *a, struct oci_process *p, struct dc_err *e)
{
	size_t n = a ? oci_json_len(a) : 0;
	p->rlimits = calloc(n + 1, sizeof(*p->rlimits));
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(a, i);
		const char *t = str(r, "type");
		int res = t ? rlimit_number(t) : -1;
		if (res < 0 || !get(r, "soft") || !get(r, "hard"))
			return dc_fail(e, 0, "bad rlimit %s in process.rlimits",
				       t ? t : "(no type)");
		p->rlimits[p->nrlimits++] =
		    (struct run_rlimit){.resource = res,
					.soft = (uint64_t)json_object_get_uint64(get(r, "soft")),
					.hard = (uint64_t)json_object_get_uint64(get(r, "hard"))};
	}
	return 0;
}

static int process(json_object *o, struct oci_process *p, struct dc_err *e)
{
	int n;
	if (!o)
		return dc_fail(e, 0, "config.json has no process");
	p->args = strv(get(o, "args"), &n);
	if (n == 0)
		return dc_fail(e, 0, "process.args must not be empty");
	p->env = strv(get(o, "env"), NULL);
	p->cwd = str(o, "cwd") ? str(o, "cwd") : "/";
	if (p->cwd[0] != '/')
		return dc_fail(e, 0, "process.cwd must be an absolute path: %s", p->cwd);
	p->terminal = json_object_get_boolean(get(o, "terminal"));
	p->nnp = json_object_get_boolean(get(o, "noNewPrivileges"));
	json_object *u = get(o, "user");
	p->uid = (uid_t)json_object_get_int64(get(u, "uid"));
	p->gid = (gid_t)json_object_get_int64(get(u, "gid"));
	p->umask = get(u, "umask") ? json_object_get_int(get(u, "umask")) : -1;
	json_object *g = get(u, "additionalGids");
	p->ngroups = g ? (int)oci_json_len(g) : 0;
	p->groups = calloc((size_t)p->ngroups + 1, sizeof(gid_t));
	for (int i = 0; i < p->ngroups; i++)
		p->groups[i] =
		    (gid_t)json_object_get_int64(json_object_array_get_idx(g, (size_t)i));
	p->has_oom = get(o, "oomScoreAdj") != NULL;
	p->oom_score_adj = json_object_get_int(get(o, "oomScoreAdj"));
	if (caps(get(o, "capabilities"), p, e) < 0 || rlimits(get(o, "rlimits"), p, e) < 0)
		return -1;
	return 0;
}

static const struct {
	const char *name;
	unsigned long set, clear, prop;
} mount_opts[] = {
    {"ro", MS_RDONLY, 0, 0},
    {"rw", 0, MS_RDONLY, 0},
    {"nosuid", MS_NOSUID, 0, 0},
    {"suid", 0, MS_NOSUID, 0},
    {"nodev", MS_NODEV, 0, 0},
    {"dev", 0, MS_NODEV, 0},
    {"noexec", MS_NOEXEC, 0, 0},
    {"exec", 0, MS_NOEXEC, 0},
    {"sync", MS_SYNCHRONOUS, 0, 0},
    {"async", 0, MS_SYNCHRONOUS, 0},
    {"dirsync", MS_DIRSYNC, 0, 0},
    {"remount", MS_REMOUNT, 0, 0},
    {"mand", MS_MANDLOCK, 0, 0},
    {"nomand", 0, MS_MANDLOCK, 0},
    {"atime", 0, MS_NOATIME, 0},
    {"noatime", MS_NOATIME, 0, 0},
    {"diratime", 0, MS_NODIRATIME, 0},
    {"nodiratime", MS_NODIRATIME, 0, 0},
    {"relatime", MS_RELATIME, 0, 0},
    {"norelatime", 0, MS_RELATIME, 0},
    {"strictatime", MS_STRICTATIME, 0, 0},
    {"nostrictatime", 0, MS_STRICTATIME, 0},
    {"bind", MS_BIND, 0, 0},
    {"rbind", MS_BIND | MS_REC, 0, 0},
    {"private", 0, 0, MS_PRIVATE},
    {"rprivate", 0, 0, MS_PRIVATE | MS_REC},
    {"slave", 0, 0, MS_SLAVE},
    {"rslave", 0, 0, MS_SLAVE | MS_REC},
    {"shared", 0, 0, MS_SHARED},
    {"rshared", 0, 0, MS_SHARED | MS_REC},
    {"unbindable", 0, 0, MS_UNBINDABLE},
    {"runbindable", 0, 0, MS_UNBINDABLE | MS_REC},
};

const char *oci_mount_option_name(int i)
{
	return i >= 0 && i < (int)ARRAY_SIZE(mount_opts) ? mount_opts[i].name : NULL;
}

static void mount_option(struct oci_mount *m, const char *opt)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++)
		if (!strcmp(opt, mount_opts[i].name)) {
			m->flags |= mount_opts[i].set;
			m->flags &= ~mount_opts[i].clear;
			m->clear |= mount_opts[i].clear;
			m->propagation |= mount_opts[i].prop;
			return;
		}
	if (!strcmp(opt, "tmpcopyup") || !strncmp(opt, "idmap", 5))
		return; /* podman's hints diyc does not act on */
	size_t n = m->data ? strlen(m->data) : 0;
	char *d = realloc(m->data, n + strlen(opt) + 2);
	if (!d)
		return;
	snprintf(d + n, strlen(opt) + 2, "%s%s", n ? "," : "", opt);
	m->data = d;
}

/* whether a path has a ".." component */
static bool dotdot(const char *p)
{
	for (const char *c = p; (c = strstr(c, "..")); c += 2)
		if ((c == p || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
			return true;
	return false;
}

static int mounts(json_object *a, struct oci_spec *s, struct dc_err *e)
{
	size_t n = a ? oci_json_len(a) : 0;
	s->mounts = calloc(n + 1, sizeof(*s->mounts));
	for (size_t i = 0; i < n; i++) {
		json_object *j = json_object_array_get_idx(a, i);
		struct oci_mount *m = &s->mounts[s->nmounts++];
		m->dest = str(j, "destination");
		m->type = str(j, "type") ? str(j, "type") : "bind";
		m->source = str(j, "source") ? str(j, "source") : "none";
		if (!m->dest || m->dest[0] != '/' || dotdot(m->dest))
			return dc_fail(e, 0, "mount destination must be an absolute path: %s",
				       m->dest ? m->dest : "(none)");
		json_object *o = get(j, "options");
		for (size_t k = 0; o && k < oci_json_len(o); k++)
			mount_option(m, json_object_get_string(json_object_array_get_idx(o, k)));
		m->bind = (m->flags & MS_BIND) || !strcmp(m->type, "bind");
		if (m->bind)
			m->flags |= MS_BIND;
	}
	return 0;
}

static int namespaces(json_object *a, struct oci_spec *s, struct dc_err *e)
{
	for (size_t i = 0; a && i < oci_json_len(a); i++) {
		json_object *j = json_object_array_get_idx(a, i);
		const char *t = str(j, "type");
		const struct ns_info *ns = dc_ns_by_oci_name(t);
		if (!ns)
			return dc_fail(e, 0, "unknown namespace type %s", t ? t : "(none)");
		s->ns[ns->kind].want = true;
		s->ns[ns->kind].path = str(j, "path");
	}
	if (!s->ns[NS_MNT].want || s->ns[NS_MNT].path)
		return dc_fail(e, 0,
			       "diyc-oci needs a new mount namespace (linux.namespaces: mount, "
			       "without a path)");
	return 0;
}

/*
 * Whether device rules grant more than a container gets anyway: diyc-oci applies no
 * device cgroup, so "deny all" (runc spec's default), the default character devices
 * (null, zero, full, random, urandom, tty, console, ptmx, the pty slaves: what podman
 * and containerd allow) and mknod alone (CAP_MKNOD is dropped) are honoured as they
 * are; any other read or write grant is named as not applied.
 */
static bool devices_beyond_default(json_object *d)
{
	static const int defaults[][2] = {{1, 3}, {1, 5}, {1, 7}, {1, 8},   {1, 9},
					  {5, 0}, {5, 1}, {5, 2}, {136, -1}};
	for (size_t i = 0; d && i < oci_json_len(d); i++) {
		json_object *x = json_object_array_get_idx(d, i);
		const char *acc = str(x, "access") ? str(x, "access") : "rwm";
		if (!json_object_get_boolean(get(x, "allow")) || !strpbrk(acc, "rw"))
			continue;
		const char *t = str(x, "type") ? str(x, "type") : "a";
		int maj = get(x, "major") ? json_object_get_int(get(x, "major")) : -1;
		int min = get(x, "minor") ? json_object_get_int(get(x, "minor")) : -1;
		bool ok = false;
		for (size_t k = 0; !ok && t[0] == 'c' && maj >= 0 && k < ARRAY_SIZE(defaults); k++)
			ok = maj == defaults[k][0] && (defaults[k][1] < 0 || min == defaults[k][1]);
		if (!ok)
			return true;
	}
	return false;
}

static void resources(json_object *r, struct oci_spec *s)
{
	json_object *m = get(r, "memory"), *c = get(r, "cpu"), *p = get(r, "pids");
	if ((s->has_memory = get(m, "limit") != NULL))
		s->memory = json_object_get_int64(get(m, "limit"));
	if ((s->has_swap = get(m, "swap") != NULL))
		s->swap = json_object_get_int64(get(m, "swap"));
	if ((s->has_pids = get(p, "limit") != NULL))
		s->pids = json_object_get_int64(get(p, "limit"));
	if ((s->has_quota = get(c, "quota") != NULL))
		s->quota = json_object_get_int64(get(c, "quota"));
	s->period = get(c, "period") ? json_object_get_uint64(get(c, "period")) : 100000;
	if ((s->has_shares = get(c, "shares") != NULL))
		s->shares = json_object_get_int64(get(c, "shares"));
	s->cpus = str(c, "cpus");
	s->mems = str(c, "mems");
	s->has_cpuset = (s->cpus && *s->cpus) || (s->mems && *s->mems);
	static const char *const others[] = {"blockIO", "hugepageLimits", "network", "rdma",
					     "unified"};
	for (size_t i = 0; i < ARRAY_SIZE(others); i++)
		if (get(r, others[i]))
			unsupported(s, others[i]);
	if (devices_beyond_default(get(r, "devices")))
		unsupported(s, "linux.resources.devices (no device cgroup: CAP_MKNOD is dropped)");
}

static void hooks(json_object *h, struct oci_spec *s)
{
	for (int k = 0; h && k < HOOK_KINDS; k++) {
		json_object *a = get(h, oci_hook_names[k]);
		size_t n = a ? oci_json_len(a) : 0;
		s->hooks[k] = calloc(n + 1, sizeof(struct oci_hook));
		for (size_t i = 0; i < n; i++) {
			json_object *j = json_object_array_get_idx(a, i);
			struct oci_hook *x = &s->hooks[k][s->nhooks[k]];
			if (!(x->path = str(j, "path")))
				continue;
			x->args = strv(get(j, "args"), NULL);
			x->env = strv(get(j, "env"), NULL);
			x->timeout = json_object_get_int(get(j, "timeout"));
			s->nhooks[k]++;
		}
	}
}

static void linux_rest(json_object *l, struct oci_spec *s)
{
	s->cgroups_path = str(l, "cgroupsPath");
	s->masked = strv(get(l, "maskedPaths"), &s->nmasked);
	s->readonly_paths = strv(get(l, "readonlyPaths"), &s->nreadonly);
	s->seccomp = get(l, "seccomp");
	s->uidmap = get(l, "uidMappings") || get(l, "gidMappings");
	const char *prop = str(l, "rootfsPropagation");
	struct oci_mount m = {0};
	if (prop)
		mount_option(&m, prop);
	free(m.data);
	s->rootprop = m.propagation;
	json_object *sc = get(l, "sysctl");
	if (sc && !json_object_is_type(sc, json_type_object))
		sc = NULL;
	s->sysctl = calloc(sc ? (size_t)json_object_object_length(sc) + 1 : 1, sizeof(char *));
	if (sc) {
		json_object_object_foreach(sc, k, v)
		{
			char *kv = NULL;
			if (asprintf(&kv, "%s=%s", k, json_object_get_string(v)) > 0)
				s->sysctl[s->nsysctl++] = kv;
		}
	}
	static const char *const others[] = {"devices", "intelRdt", "personality", "mountLabel"};
	for (size_t i = 0; i < ARRAY_SIZE(others); i++)
		if (get(l, others[i]) &&
		    !(json_object_is_type(get(l, others[i]), json_type_array) &&
		      oci_json_len(get(l, others[i])) == 0))
			unsupported(s, others[i]);
}

static int root_and_rest(json_object *j, struct oci_spec *s, struct dc_err *e)
{
	json_object *root = get(j, "root");
	const char *rp = str(root, "path");
	if (!rp)
		return dc_fail(e, 0, "config.json has no root.path");
	int r = rp[0] == '/' ? fmt(s->rootfs, sizeof(s->rootfs), "%s", rp)
			     : fmt(s->rootfs, sizeof(s->rootfs), "%s/%s", s->bundle, rp);
	char real[PATH_MAX];
	if (r < 0 || !realpath(s->rootfs, real))
		return dc_fail(e, errno, "root.path %s", s->rootfs);
	snprintf(s->rootfs, sizeof(s->rootfs), "%s", real);
	s->readonly = json_object_get_boolean(get(root, "readonly"));
	s->hostname = str(j, "hostname");
	json_object *an = get(j, "annotations");
	if (an && !json_object_is_type(an, json_type_object))
		return dc_fail(e, 0, "annotations must be an object");
	snprintf(s->annotations, sizeof(s->annotations), "%s",
		 an ? json_object_to_json_string_ext(an, JSON_C_TO_STRING_PLAIN) : "{}");
	const char *st = str(an, "org.diyc.strict");
	s->strict = st && !strcmp(st, "true");
	json_object *l = get(j, "linux");
	if (namespaces(get(l, "namespaces"), s, e) < 0 || mounts(get(j, "mounts"), s, e) < 0)
		return -1;
	resources(get(l, "resources"), s);
	linux_rest(l, s);
	hooks(get(j, "hooks"), s);
	return 0;
}

int oci_spec_load(const char *bundle, struct oci_spec *s, struct dc_err *e)
{
	char path[PATH_MAX];
	memset(s, 0, sizeof(*s));
	if (!realpath(bundle, s->bundle))
		return dc_fail(e, errno, "bundle %s", bundle);
	if (fmt(path, sizeof(path), "%s/config.json", s->bundle) < 0)
		return dc_fail(e, ENAMETOOLONG, "bundle %s", bundle);
	json_object *j = json_object_from_file(path);
	if (!j)
		return dc_fail(e, 0, "cannot read %s: %s", path,
			       path_exists(path) ? json_util_get_last_err() : "does not exist");
	s->json = j;
	if (!json_object_is_type(j, json_type_object))
		return dc_fail(e, 0, "%s is not a JSON object", path);
	if (process(get(j, "process"), &s->proc, e) < 0)
		return dc_context(e, "%s", path);
	if (root_and_rest(j, s, e) < 0)
		return dc_context(e, "%s", path);
	return 0;
}

int oci_process_load(const char *path, struct oci_process *p, void **json, struct dc_err *e)
{
	memset(p, 0, sizeof(*p));
	json_object *j = json_object_from_file(path);
	*json = j;
	if (!j)
		return dc_fail(e, 0, "cannot read %s", path);
	return process(j, p, e) < 0 ? dc_context(e, "%s", path) : 0;
}

void oci_process_free(struct oci_process *p)
{
	free(p->args);
	free(p->env);
	free(p->groups);
	free(p->rlimits);
	memset(p, 0, sizeof(*p));
}

void oci_spec_free(struct oci_spec *s)
{
	oci_process_free(&s->proc);
	for (int i = 0; i < s->nmounts; i++)
		free(s->mounts[i].data);
	free(s->mounts);
	free(s->masked);
	free(s->readonly_paths);
	for (int i = 0; i < s->nsysctl; i++)
		free(s->sysctl[i]);
	free(s->sysctl);
	for (int k = 0; k < HOOK_KINDS; k++) {
		for (int i = 0; i < s->nhooks[k]; i++) {
			free(s->hooks[k][i].args);
			free(s->hooks[k][i].env);
		}
		free(s->hooks[k]);
	}
	if (s->json)
		json_object_put(s->json);
	memset(s, 0, sizeof(*s));
}
