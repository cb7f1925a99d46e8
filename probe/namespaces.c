/*
 * The eight namespaces.  For each: compiled (the /proc/self/ns file, the
 * config option), enabled (user.max_*_namespaces, boot parameters) and usable
 * (unshare() in a forked single-threaded child, then one real use of the new
 * namespace).  The errno of unshare() is the evidence: EINVAL = not built in,
 * ENOSPC = a limit, EPERM = privilege or policy.
 *
 * Safety: the functional tests run only after unshare() succeeded, so a
 * missing UTS namespace can never make sethostname() rename the host.
 */
#define _GNU_SOURCE
#include "lib/kfeat.h"
#include "probe/probe.h"
#include "probe/answers.h"
#include "lib/pfacts.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TMPFS_MAGIC_ 0x01021994

/* The probe's half of a namespace: how it is tested.  Its name, flag, CONFIG option,
 * first kernel and sysctl are the row of lib/kfeat.c it points to. */
struct ns_test {
	enum ns_kind kind;
	const char *use; /* what the functional test does */
	int (*test)(struct child_result *res);
};

static int tmpfs_on_private_dir(struct child_result *res)
{
	const char *dir = path_exists("/tmp") ? "/tmp" : "/";
	struct statfs sf;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return child_fail(res, "mount(/, MS_REC|MS_PRIVATE)", errno);
	if (mount("diyc-probe", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=16k") < 0)
		return child_fail(res, "mount(tmpfs)", errno);
	if (statfs(dir, &sf) < 0 || sf.f_type != TMPFS_MAGIC_)
		return child_fail(res, "statfs(tmpfs)", EIO);
	return 0;
}

static int test_mnt(struct child_result *res) { return tmpfs_on_private_dir(res); }

static int test_uts(struct child_result *res)
{
	char name[64];
	if (sethostname("diyc-probe", 10) < 0)
		return child_fail(res, "sethostname", errno);
	if (gethostname(name, sizeof(name)) < 0 || strcmp(name, "diyc-probe"))
		return child_fail(res, "gethostname", EIO);
	return 0;
}

static int test_ipc(struct child_result *res)
{
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	if (id < 0)
		return child_fail(res, "shmget", errno);
	shmctl(id, IPC_RMID, NULL);
	return 0;
}

static int test_pid(struct child_result *res)
{
	int st;
	pid_t p = fork();
	if (p < 0)
		return child_fail(res, "fork", errno);
	if (p == 0)
		_exit(getpid() == 1 ? 0 : 1);
	if (waitpid(p, &st, 0) < 0)
		return child_fail(res, "waitpid", errno);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return child_fail(res, "getpid()==1 in child", EIO);
	return 0;
}

/*
 * A new network namespace holds lo, plus the fallback device of every tunnel driver
 * built into the kernel (sit0 with IPv6, tunl0, gre0 ...; unless
 * net.core.fb_tunnels_only_for_init_net is set): those are not the host's devices.
 */
static bool fallback_tunnel(const char *name)
{
	static const char *const fb[] = {"sit0",    "tunl0",   "gre0",	  "gretap0", "erspan0",
					 "ip_vti0", "ip6tnl0", "ip6gre0", "ip6_vti0"};
	for (size_t i = 0; i < sizeof(fb) / sizeof(fb[0]); i++)
		if (!strcmp(name, fb[i]))
			return true;
	return false;
}

static int test_net(struct child_result *res)
{
	struct if_nameindex *ifs = if_nameindex();
	int other = 0, lo = 0;
	if (!ifs)
		return child_fail(res, "if_nameindex", errno);
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		if (!strcmp(i->if_name, "lo"))
			lo = 1;
		else if (!fallback_tunnel(i->if_name))
			other++;
	}
	if_freenameindex(ifs);
	if (other || !lo)
		return child_fail(res, "only lo in the new namespace", EIO);
	return 0;
}

/* setgroups must be denied before an unprivileged gid_map write (3.19+). */
static int test_user(struct child_result *res)
{
	int r = write_file("/proc/self/setgroups", "deny");
	if (r < 0 && r != -ENOENT)
		return child_fail(res, "write /proc/self/setgroups", -r);
	return 0;
}

static int test_cgroup(struct child_result *res)
{
	char buf[4096];
	if (read_file("/proc/self/cgroup", buf, sizeof(buf)) < 0)
		return child_fail(res, "read /proc/self/cgroup", errno);
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		char *p = strchr(l, ':');
		p = p ? strchr(p + 1, ':') : NULL;
		if (!p || strcmp(p + 1, "/"))
			return child_fail(res, "/proc/self/cgroup shows / after unshare", EIO);
	}
	return 0;
}

static int test_time(struct child_result *res)
{
	struct timespec t0, t1;
	int st, r;
	r = write_file("/proc/self/timens_offsets", "monotonic 86400 0");
	if (r < 0)
		return child_fail(res, "write /proc/self/timens_offsets", -r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t p = fork();
	if (p < 0)
		return child_fail(res, "fork", errno);
	if (p == 0) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		_exit(t1.tv_sec - t0.tv_sec >= 86000 ? 0 : 1);
	}
	if (waitpid(p, &st, 0) < 0)
		return child_fail(res, "waitpid", errno);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return child_fail(res, "CLOCK_MONOTONIC offset in child", EIO);
	return 0;
}

static const struct ns_test nss[] = {
    {NS_MNT, "private tmpfs mount", test_mnt},
    {NS_UTS, "sethostname inside", test_uts},
    {NS_IPC, "shmget inside", test_ipc},
    {NS_PID, "first child is pid 1", test_pid},
    {NS_NET, "only lo inside", test_net},
    {NS_USER, "uid_map written, tmpfs mounted inside", test_user},
    {NS_CGROUP, "/proc/self/cgroup shows /", test_cgroup},
    {NS_TIME, "monotonic offset seen by a child", test_time},
};

static int child_unshare(struct child_result *res, void *arg)
{
	const struct ns_test *t = arg;
	const struct ns_info *ns = &dc_ns[t->kind];
	if (unshare((int)ns->flag) < 0)
		return child_fail(res, ns->flag_name, errno);
	snprintf(res->step, sizeof(res->step), "%s", t->use);
	return t->test(res);
}

/* The user namespace test needs the uid of the parent namespace, known before unshare. */
static int child_user(struct child_result *res, void *arg)
{
	(void)arg;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	int r;

	if (unshare(CLONE_NEWUSER) < 0)
		return child_fail(res, "CLONE_NEWUSER", errno);
	if ((r = test_user(res)) != 0)
		return r;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if ((r = write_file("/proc/self/uid_map", map)) < 0)
		return child_fail(res, "write uid_map", -r);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if ((r = write_file("/proc/self/gid_map", map)) < 0)
		return child_fail(res, "write gid_map", -r);
	/* Use a capability of the new namespace: a private tmpfs mount. */
	if (unshare(CLONE_NEWNS) < 0)
		return child_fail(res, "CLONE_NEWNS inside the user namespace", errno);
	return tmpfs_on_private_dir(res);
}

static const char *errno_meaning(struct probe_ctx *c, int err, const struct ns_info *ns,
				 bool filtered, char *buf, size_t len)
{
	char what[64], how[256];
	snprintf(what, sizeof(what), "the %s namespace", ns->name);
	switch (err) {
	case EINVAL:
		if (filtered && !kernel_before(c, ns->since))
			snprintf(buf, len,
				 "EINVAL: not built into this kernel, or refused by the "
				 "seccomp filter this process runs under");
		else
			snprintf(buf, len, "EINVAL: %s",
				 missing_hint(c, what, ns->kopt, ns->since, how, sizeof(how)));
		break;
	case ENOSPC:
	case EUSERS:
		snprintf(buf, len, "%s: namespace limit reached: raise sysctl user.%s",
			 errno_name(err), ns->max);
		break;
	case EPERM:
		snprintf(buf, len,
			 "EPERM: not permitted here: needs root with CAP_SYS_ADMIN, or "
			 "a seccomp filter, LSM or chroot forbids it");
		break;
	default:
		snprintf(buf, len, "%s: %s", errno_name(err), strerror(err));
	}
	return buf;
}

/* Results of all eight tests, filled by one child process (forks are costly). */
struct ns_all {
	struct child_result r[ARRAY_SIZE(nss)];
};

/*
 * The order matters: each test leaves the child in its new namespace.  Tests
 * that fork run late (after unshare(CLONE_NEWPID) the first child is the
 * namespace's init, and once it exited no further fork works), the user
 * namespace last (it changes what every later capability check means).
 */
static void child_all(void *out, void *arg)
{
	static const enum ns_kind order[] = {NS_MNT,	NS_UTS,	 NS_IPC, NS_NET,
					     NS_CGROUP, NS_TIME, NS_PID, NS_USER};
	struct ns_all *a = out;
	(void)arg;
	for (size_t o = 0; o < ARRAY_SIZE(order); o++)
		for (size_t i = 0; i < ARRAY_SIZE(nss); i++)
			if (nss[i].kind == order[o])
				a->r[i].err = order[o] == NS_USER
						  ? child_user(&a->r[i], NULL)
						  : child_unshare(&a->r[i], (void *)&nss[i]);
}

/* compiled: the ns file comes and goes with the config option */
static void ns_compiled(struct probe_ctx *c, const struct ns_info *ns, struct dc_check *k)
{
	char path[64];
	fmt(path, sizeof(path), "/proc/self/ns/%s", ns->name);
	if (sr_exists(c, path)) {
		k->compiled = DC_YES;
		dc_check_evidence(k, "%s present", path);
	} else if (sr_exists(c, "/proc/self/ns")) {
		k->compiled = DC_NO;
		dc_check_evidence(k, "%s absent", path);
	}
	if (ns->kopt)
		kopt_evidence(c, k, ns->kopt);
	if (k->compiled == DC_UNKNOWN && kernel_before(c, ns->since)) {
		k->compiled = DC_NO;
		dc_check_evidence(k, "kernel %s predates %s", c->release, ns->since);
	}
}

/* enabled: the per-user limits (4.9+) and boot parameters */
static void ns_enabled(struct probe_ctx *c, const struct ns_info *ns, struct dc_check *k)
{
	char path[64];
	long max;
	k->enabled = k->compiled == DC_NO ? DC_NA : DC_YES;
	fmt(path, sizeof(path), "/proc/sys/user/%s", ns->max);
	if (read_long(sr(c, path), &max) == 0) {
		dc_check_evidence(k, "user.%s=%ld", ns->max, max);
		if (max == 0) {
			k->enabled = DC_NO;
			dc_check_hint(k, "disabled by sysctl user.%s=0", ns->max);
		}
	}
	if (ns->kind == NS_USER) {
		char v[64], text[4096];
		if (sr_read(c, "/proc/cmdline", text, sizeof(text)) >= 0 &&
		    cmdline_get(text, "user_namespace.enable", v, sizeof(v)) && !strcmp(v, "0")) {
			k->enabled = DC_NO;
			dc_check_evidence(k, "cmdline user_namespace.enable=0");
		}
		if (read_long(sr(c, "/proc/sys/kernel/unprivileged_userns_clone"), &max) == 0)
			dc_check_evidence(k, "kernel.unprivileged_userns_clone=%ld", max);
	}
}

/* usable: the decisive test, run by the child (res), or why it could not run */
static void ns_usable(struct probe_ctx *c, const struct ns_test *t, const struct child_result *res,
		      const char *why, struct dc_check *k)
{
	const struct ns_info *ns = &dc_ns[t->kind];
	char hint[256];
	if (!res) {
		k->usable = DC_UNKNOWN;
		dc_check_evidence(k, "%s", why);
	} else if (res->err == 0) {
		k->usable = DC_YES;
		dc_check_evidence(k, "unshare(%s) ok, %s", ns->flag_name, t->use);
	} else {
		k->usable = DC_NO;
		dc_check_errno(k, res->err);
		if (!strcmp(res->step, ns->flag_name)) {
			dc_check_evidence(k, "unshare(%s)=%s", res->step, errno_name(res->err));
			dc_check_hint(k, "%s",
				      errno_meaning(c, res->err, ns, c->status.seccomp == 2, hint,
						    sizeof(hint)));
		} else {
			dc_check_evidence(k, "unshare(%s) ok; %s=%s", ns->flag_name, res->step,
					  errno_name(res->err));
			dc_check_hint(k, "the namespace is created but not usable: %s failed",
				      res->step);
		}
	}
	k->status = k->usable;
}

static void one(struct probe_ctx *c, const struct ns_test *t, const struct child_result *res,
		const char *why)
{
	const struct ns_info *ns = &dc_ns[t->kind];
	struct dc_check k;
	char path[64], hint[256];

	dc_check_init(&k, c->live ? "syscall" : "procfs", ns->since);
	k.required = ns->kind == NS_MNT;
	ns_compiled(c, ns, &k);
	ns_enabled(c, ns, &k);
	if (!c->live) {
		k.usable = DC_UNKNOWN;
		dc_check_evidence(&k, "syscall test skipped (--sysroot)");
		k.status = (k.compiled == DC_NO || k.enabled == DC_NO) ? DC_NO : DC_UNKNOWN;
	} else {
		ns_usable(c, t, res, why, &k);
	}
	if (k.status == DC_NO && !k.hint[0] && k.compiled == DC_NO) {
		char what[64];
		snprintf(what, sizeof(what), "the %s namespace", ns->name);
		dc_check_hint(&k, "%s",
			      missing_hint(c, what, ns->kopt, ns->since, hint, sizeof(hint)));
	}
	fmt(path, sizeof(path), DC_FACT_NS, ns->name);
	dc_profile_add_check(c->prof, path, &k);
}

void probe_namespaces(struct probe_ctx *c)
{
	struct ns_all all;
	struct dc_err e = {0};
	const char *why = e.msg;
	bool ok = false;

	memset(&all, 0, sizeof(all));
	if (c->live)
		ok = answered_child_buf(c, "namespaces", child_all, NULL, &all, sizeof(all), 10,
					&e) == 0;
	dc_profile_obj(c->prof, "namespaces");
	for (size_t i = 0; i < ARRAY_SIZE(nss); i++)
		one(c, &nss[i], ok ? &all.r[i] : NULL, why);
}
