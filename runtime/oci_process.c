/*
 * The container process of diyc-oci, its last steps: sysctls, oom_score_adj,
 * rlimits, the seccomp filter of the config (libseccomp), the user and the five
 * capability sets, then the wait for `start` on the exec fifo.
 *
 * Security reasoning, in the order it happens:
 *  - the seccomp filter is loaded while we still hold every capability (a filter
 *    needs CAP_SYS_ADMIN or no_new_privs), and only the calls left before the
 *    command's execve follow it (open, write, close, execve: every profile podman
 *    and containerd ship allows them);
 *  - without a PID namespace the container shares the host's process table: the
 *    kill(-1)/kill(-PGID) guard of diyc run (security.c) is stacked on top of the
 *    config's filter, whatever the config says;
 *  - CAP_MKNOD is removed from every set: diyc-oci applies no device cgroup, so a
 *    container must not create device nodes (diyc run drops it for the same reason);
 *  - the bounding set is cut while root, the ids changed with PR_SET_KEEPCAPS, and
 *    then the config's effective, permitted, inheritable and ambient sets are set:
 *    nothing outside the bounding set can be regained by the command's execve;
 *  - every descriptor above the caller's --preserve-fds is closed, except ours.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/oci.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t action(json_object *o, const char *key, json_object *errno_ret, int *ok)
{
	const char *a = json_object_get_string(oci_json_get(o, key));
	int en = errno_ret ? json_object_get_int(errno_ret) : EPERM;
	*ok = 1;
	if (!a)
		*ok = 0;
	else if (!strcmp(a, "SCMP_ACT_ALLOW"))
		return SCMP_ACT_ALLOW;
	else if (!strcmp(a, "SCMP_ACT_ERRNO"))
		return SCMP_ACT_ERRNO((uint32_t)en);
	else if (!strcmp(a, "SCMP_ACT_KILL") || !strcmp(a, "SCMP_ACT_KILL_THREAD"))
		return SCMP_ACT_KILL;
	else if (!strcmp(a, "SCMP_ACT_KILL_PROCESS"))
		return SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(a, "SCMP_ACT_TRAP"))
		return SCMP_ACT_TRAP;
	else if (!strcmp(a, "SCMP_ACT_LOG"))
		return SCMP_ACT_LOG;
	else if (!strcmp(a, "SCMP_ACT_TRACE"))
		return SCMP_ACT_TRACE((uint32_t)en);
	*ok = 0;
	return 0;
}

static int compare_op(const char *op)
{
	static const char *const ops[] = {"",
					  "SCMP_CMP_NE",
					  "SCMP_CMP_LT",
					  "SCMP_CMP_LE",
					  "SCMP_CMP_EQ",
					  "SCMP_CMP_GE",
					  "SCMP_CMP_GT",
					  "SCMP_CMP_MASKED_EQ"};
	for (int i = 1; op && i < (int)ARRAY_SIZE(ops); i++)
		if (!strcmp(op, ops[i]))
			return i;
	return -1;
}

/* one entry of "syscalls": its names, action and argument conditions */
static int seccomp_rule(scmp_filter_ctx ctx, json_object *r, uint32_t def, struct dc_err *e)
{
	int ok;
	uint32_t act = action(r, "action", oci_json_get(r, "errnoRet"), &ok);
	if (!ok)
		return dc_fail(e, 0, "seccomp: unknown action %s",
			       json_object_get_string(oci_json_get(r, "action")));
	if (act == def)
		return 0;
	json_object *args = oci_json_get(r, "args");
	struct scmp_arg_cmp cmp[6];
	unsigned n = 0;
	for (size_t i = 0; args && i < oci_json_len(args) && n < 6; i++) {
		json_object *a = json_object_array_get_idx(args, i);
		int op = compare_op(json_object_get_string(oci_json_get(a, "op")));
		if (op < 0)
			return dc_fail(e, 0, "seccomp: unknown operator");
		cmp[n++] = (struct scmp_arg_cmp){
		    .arg = (unsigned)json_object_get_int(oci_json_get(a, "index")),
		    .op = (enum scmp_compare)op,
		    .datum_a = (scmp_datum_t)json_object_get_uint64(oci_json_get(a, "value")),
		    .datum_b = (scmp_datum_t)json_object_get_uint64(oci_json_get(a, "valueTwo"))};
	}
	json_object *names = oci_json_get(r, "names");
	for (size_t i = 0; names && i < oci_json_len(names); i++) {
		const char *nm = json_object_get_string(json_object_array_get_idx(names, i));
		int nr = seccomp_syscall_resolve_name(nm);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a call of this architecture or libseccomp: as runc */
		int k = seccomp_rule_add_array(ctx, act, nr, n, cmp);
		if (k < 0 && k != -EEXIST)
			return dc_fail(e, -k, "seccomp rule for %s", nm);
	}
	return 0;
}

static int load_seccomp(json_object *sc, struct dc_err *e)
{
	int ok;
	uint32_t def = action(sc, "defaultAction", oci_json_get(sc, "defaultErrnoRet"), &ok);
	if (!ok)
		return dc_fail(e, 0, "seccomp: unknown defaultAction");
	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		return dc_fail(e, 0, "seccomp_init");
	int r = 0;
	json_object *arch = oci_json_get(sc, "architectures");
	for (size_t i = 0; arch && i < oci_json_len(arch); i++) {
		const char *a = json_object_get_string(json_object_array_get_idx(arch, i));
		char low[64];
		snprintf(low, sizeof(low), "%s", a && !strncmp(a, "SCMP_ARCH_", 10) ? a + 10 : "");
		for (char *p = low; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		uint32_t tok = seccomp_arch_resolve_name(low);
		if (tok && seccomp_arch_exist(ctx, tok) == -EEXIST)
			seccomp_arch_add(ctx, tok);
	}
	json_object *rules = oci_json_get(sc, "syscalls");
	for (size_t i = 0; !r && rules && i < oci_json_len(rules); i++)
		r = seccomp_rule(ctx, json_object_array_get_idx(rules, i), def, e);
	if (!r) {
		int k = seccomp_load(ctx);
		if (k < 0)
			r = dc_fail(e, -k, "load the seccomp filter");
	}
	seccomp_release(ctx);
	return r;
}

static int write_proc(const char *path, const char *val, struct dc_err *e)
{
	int r = write_file(path, val);
	return r < 0 ? dc_fail(e, -r, "write %s=%s", path, val) : 0;
}

static int set_caps(const struct oci_process *p, struct dc_err *e)
{
	uint64_t mask = ~(1ULL << CAP_MKNOD); /* no device cgroup: see above */
	long last = CAP_LAST_CAP;
	read_long("/proc/sys/kernel/cap_last_cap", &last);
	for (long c = 0; c <= last && c < 64; c++)
		if (!(p->caps[0] & mask & (1ULL << c)) && cap_drop_bound((cap_value_t)c) < 0 &&
		    errno != EINVAL)
			return dc_fail(e, errno, "drop capability %ld from the bounding set", c);
	if (prctl(PR_SET_KEEPCAPS, 1) < 0 || setgroups((size_t)p->ngroups, p->groups) < 0 ||
	    setresgid(p->gid, p->gid, p->gid) < 0 || setresuid(p->uid, p->uid, p->uid) < 0)
		return dc_fail(e, errno, "set user %u:%u", (unsigned)p->uid, (unsigned)p->gid);
	cap_t caps = cap_init();
	static const cap_flag_t flags[] = {CAP_EFFECTIVE, CAP_INHERITABLE, CAP_PERMITTED};
	for (int f = 0; f < 3; f++)
		for (long c = 0; c <= last && c < 64; c++)
			if (p->caps[f + 1] & mask & (1ULL << c)) {
				cap_value_t v = (cap_value_t)c;
				cap_set_flag(caps, flags[f], 1, &v, CAP_SET);
			}
	int r = cap_set_proc(caps);
	cap_free(caps);
	if (r < 0)
		return dc_fail(e, errno, "set capabilities");
	if (CAP_AMBIENT_SUPPORTED()) {
		cap_reset_ambient();
		for (long c = 0; c <= last && c < 64; c++)
			if (p->caps[4] & mask & (1ULL << c))
				cap_set_ambient((cap_value_t)c, CAP_SET);
	}
	prctl(PR_SET_KEEPCAPS, 0);
	return 0;
}

int oci_process_apply(const struct oci_process *p, void *seccomp, bool seccomp_ok, bool pidns,
		      struct dc_err *e)
{
	for (int i = 0; i < p->nrlimits; i++) {
		struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return dc_fail(e, errno, "setrlimit %d", p->rlimits[i].resource);
	}
	if (p->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return dc_fail(e, errno, "set no_new_privs");
	if (seccomp && seccomp_ok && load_seccomp(seccomp, e) < 0)
		return -1;
	if (!pidns && seccomp_ok && security_kill_guard(e) < 0)
		return -1;
	if (set_caps(p, e) < 0)
		return -1;
	if (p->umask >= 0)
		umask((mode_t)p->umask);
	return 0;
}

int oci_security(const struct launch *l, struct dc_err *e)
{
	const struct oci_spec *s = l->o->oci;
	const struct oci_process *p = &s->proc;
	char v[32];
	snprintf(v, sizeof(v), "%d", p->oom_score_adj);
	if (p->has_oom && write_proc("/proc/self/oom_score_adj", v, e) < 0)
		return -1;
	const int keep[] = {l->err_fd, l->init_fd, l->fifo_fd};
	close_fds_from(3 + l->o->preserve_fds, keep, 3);
	return oci_process_apply(p, s->seccomp, l->f->seccomp, l->f->ns[NS_PID], e);
}

int oci_lookup(char *const argv[], char **env, struct dc_err *e)
{
	const char *path = DC_PATH, *cmd = argv[0];
	char cand[PATH_MAX];
	struct stat st;
	for (int i = 0; env && env[i]; i++)
		if (!strncmp(env[i], "PATH=", 5))
			path = env[i] + 5;
	if (strchr(cmd, '/')) {
		if (stat(cmd, &st) < 0)
			return dc_fail(e, errno, "exec: \"%s\": stat %s: no such file or directory",
				       cmd, cmd),
			       EXIT_NOTFOUND;
		return access(cmd, X_OK) == 0 && S_ISREG(st.st_mode)
			   ? 0
			   : (dc_fail(e, EACCES, "exec: \"%s\": permission denied", cmd),
			      EXIT_CANNOT);
	}
	char dirs[4096], *save = NULL;
	snprintf(dirs, sizeof(dirs), "%s", path);
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save))
		if (fmt(cand, sizeof(cand), "%s/%s", d, cmd) == 0 && stat(cand, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return 0;
	dc_fail(e, ENOENT, "exec: \"%s\": executable file not found in $PATH", cmd);
	return EXIT_NOTFOUND;
}

void oci_exec_when_started(struct launch *l, int errfd)
{
	struct dc_err e = {0};
	char b[40];
	int code = oci_lookup(l->o->argv, l->o->oci->proc.env, &e);
	if (code)
		container_fail(errfd, code, e.msg);
	prctl(PR_SET_PDEATHSIG, 0); /* create exits now: the caller reaps us */
	if (container_report(errfd, 0, "ready") < 0)
		_exit(EXIT_DIYC);
	snprintf(b, sizeof(b), "/proc/self/fd/%d", l->fifo_fd);
	int fd = open(b, O_WRONLY | O_CLOEXEC); /* blocks until `start` opens it */
	if (fd < 0 || write(fd, "0", 1) != 1)
		_exit(EXIT_DIYC);
	close(fd);
	close(l->fifo_fd);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) { /* nobody reads errfd any more: diyc-init must not die of SIGPIPE */
		dup3(null, errfd, O_CLOEXEC);
		close(null);
	}
}
