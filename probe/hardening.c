/*
 * Hardening primitives the runtime relies on: seccomp filters and their
 * flags, no_new_privs, whether proc mount options are per mount (5.8+) or
 * shared with the host's /proc, and devpts new instances.  Every probe runs
 * in a throw-away child; mounts happen in its private mount namespace.
 */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "probe/answers.h"
#include "lib/pfacts.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct {
	const char *name;
	unsigned long flag;
	const char *since;
} seccomp_flags[] = {
    {"TSYNC", 1, "3.17"},	{"LOG", 2, "4.14"},	    {"SPEC_ALLOW", 4, "4.17"},
    {"NEW_LISTENER", 8, "5.0"}, {"TSYNC_ESRCH", 16, "5.7"}, {"WAIT_KILLABLE_RECV", 32, "5.19"},
};

/* detail: "filter=EFAULT syscall=EFAULT TSYNC=EFAULT ... nnp=0" */
static int child_seccomp(struct child_result *res, void *arg)
{
	(void)arg;
	int r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL) < 0 ? errno : 0;
	strappend(res->detail, sizeof(res->detail), " ", "filter=%s", errno_name(r));
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 1, NULL) < 0 ? errno : 0;
	strappend(res->detail, sizeof(res->detail), " ", "syscall=%s", errno_name(r));
	for (size_t i = 0; i < ARRAY_SIZE(seccomp_flags); i++) {
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, seccomp_flags[i].flag, NULL) < 0
			? errno
			: 0;
		strappend(res->detail, sizeof(res->detail), " ", "%s=%s", seccomp_flags[i].name,
			  errno_name(r));
	}
	r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? errno : 0;
	int got = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	strappend(res->detail, sizeof(res->detail), " ", "nnp=%s",
		  r	     ? errno_name(r)
		  : got == 1 ? "OK"
			     : "EIO");
	return 0;
}

static const char *field(const char *detail, const char *key, char *out)
{
	char pat[40];
	snprintf(pat, sizeof(pat), " %s=", key);
	char tmp[sizeof(((struct child_result *)0)->detail) + 2];
	snprintf(tmp, sizeof(tmp), " %s", detail);
	const char *s = strstr(tmp, pat);
	if (!s || sscanf(s + strlen(pat), "%31s", out) != 1)
		return NULL;
	return out;
}

static void seccomp_checks(struct probe_ctx *c, const struct child_result *res, bool ran)
{
	struct dc_check k;
	char v[32];
	json_object *flags = json_object_new_array();

	dc_check_init(&k, ran ? "syscall" : "procfs", "3.5");
	kopt_evidence(c, &k, "SECCOMP_FILTER");
	if (c->status.seccomp >= 0)
		dc_check_evidence(&k, "Seccomp: %d in /proc/self/status", c->status.seccomp);
	const char *f = ran ? field(res->detail, "filter", v) : NULL;
	if (f) {
		/* EFAULT: the kernel got as far as reading our (NULL) program */
		k.usable = strcmp(f, "EINVAL") ? DC_YES : DC_NO;
		dc_check_evidence(&k, "prctl(PR_SET_SECCOMP, FILTER, NULL)=%s", f);
		if (k.usable == DC_NO)
			dc_check_hint(&k, "rebuild the kernel with CONFIG_SECCOMP_FILTER=y");
		k.status = k.usable;
		for (size_t i = 0; i < ARRAY_SIZE(seccomp_flags); i++) {
			const char *x = field(res->detail, seccomp_flags[i].name, v);
			if (x && strcmp(x, "EINVAL"))
				json_object_array_add(
				    flags, json_object_new_string(seccomp_flags[i].name));
		}
	} else {
		k.status = k.compiled == DC_NO ? DC_NO : DC_UNKNOWN;
	}
	json_object *o = dc_fact_add_check(c->prof, F_SECCOMP, &k);
	json_object_object_add(o, "supported_flags", flags);
	char acts[256];
	if (read_line(sr(c, "/proc/sys/kernel/seccomp/actions_avail"), acts, sizeof(acts)) == 0)
		json_object_object_add(o, "actions_avail", json_object_new_string(acts));

	dc_check_init(&k, ran ? "syscall" : "procfs", "3.5");
	const char *n = ran ? field(res->detail, "nnp", v) : NULL;
	if (n) {
		k.status = k.usable = k.compiled = !strcmp(n, "OK") ? DC_YES : DC_NO;
		dc_check_evidence(&k, "prctl(PR_SET_NO_NEW_PRIVS)=%s", n);
	} else if (c->status.no_new_privs >= 0) {
		k.compiled = DC_YES;
		k.status = DC_UNKNOWN;
		dc_check_evidence(&k, "NoNewPrivs line in /proc/self/status");
	}
	dc_fact_add_check(c->prof, F_NNP, &k);
}

static int private_tmp(struct child_result *res, unsigned extra_flags)
{
	if (unshare(CLONE_NEWNS | extra_flags) < 0)
		return child_fail(
		    res, extra_flags ? "unshare(CLONE_NEWNS|CLONE_NEWPID)" : "unshare(CLONE_NEWNS)",
		    errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return child_fail(res, "mount(/, MS_PRIVATE)", errno);
	if (mount("diyc-probe", "/tmp", "tmpfs", 0, "size=64k") < 0)
		return child_fail(res, "mount(tmpfs, /tmp)", errno);
	return 0;
}

/* proc with subset=pid only mounts where proc options are per mount (5.8+). */
static int child_proc(struct child_result *res, void *arg)
{
	(void)arg;
	int r = private_tmp(res, CLONE_NEWPID), st;
	if (r)
		return r;
	pid_t p = fork();
	if (p < 0)
		return child_fail(res, "fork", errno);
	if (p == 0) {
		mkdir("/tmp/proc", 0755);
		_exit(mount("proc", "/tmp/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			    "hidepid=invisible,subset=pid") < 0
			  ? (errno & 0xff)
			  : 0);
	}
	waitpid(p, &st, 0);
	if (!WIFEXITED(st))
		return child_fail(res, "mount(proc) child", EIO);
	return WEXITSTATUS(st)
		   ? child_fail(res, "mount(proc, hidepid=invisible,subset=pid)", WEXITSTATUS(st))
		   : 0;
}

static int child_devpts(struct child_result *res, void *arg)
{
	(void)arg;
	struct stat a, b;
	unsigned idx = 99;
	int r = private_tmp(res, 0);
	if (r)
		return r;
	mkdir("/tmp/pts", 0755);
	if (mount("devpts", "/tmp/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620") < 0)
		return child_fail(res, "mount(devpts, newinstance)", errno);
	if (stat("/tmp/pts", &a) < 0)
		return child_fail(res, "stat new devpts", errno);
	if (stat("/dev/pts", &b) == 0 && a.st_dev == b.st_dev)
		return child_fail(res, "devpts instance differs from /dev/pts", EEXIST);
	int fd = open("/tmp/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return child_fail(res, "open new ptmx", errno);
	if (ioctl(fd, TIOCGPTN, &idx) < 0 || idx != 0) {
		close(fd);
		return child_fail(res, "first pty of the new instance is 0", EIO);
	}
	close(fd);
	return 0;
}

/* All hardening tests in one child (forks are costly): mounts first, seccomp and nnp last. */
struct hard_all {
	struct child_result devpts, proc, seccomp;
};

static void child_all(void *out, void *arg)
{
	struct hard_all *a = out;
	a->devpts.err = child_devpts(&a->devpts, arg);
	a->proc.err = child_proc(&a->proc, arg);
	a->seccomp.err = child_seccomp(&a->seccomp, arg);
}

static void mount_check(struct probe_ctx *c, const char *key, const struct child_result *res,
			const char *why, const char *since, const char *ok_text,
			const char *no_hint)
{
	struct dc_check k;

	dc_check_init(&k, c->live ? "mount" : "version", since);
	if (c->live) {
		if (!res) {
			k.status = k.usable = DC_UNKNOWN;
			dc_check_evidence(&k, "%s", why);
		} else if (res->err) {
			k.status = k.usable = DC_NO;
			dc_check_errno(&k, res->err);
			dc_check_evidence(&k, "%s=%s", res->step, errno_name(res->err));
			if (!strncmp(res->step, "unshare", 7))
				k.status = k.usable =
				    DC_UNKNOWN; /* cannot tell without namespaces */
			else
				dc_check_hint(&k, "%s", no_hint);
		} else {
			k.status = k.usable = k.compiled = DC_YES;
			dc_check_evidence(&k, "%s", ok_text);
		}
	}
	if (k.status == DC_UNKNOWN && c->have_version) {
		k.status = kernel_before(c, since) ? DC_NO : DC_YES;
		dc_check_evidence(&k, "by kernel version %s (needs %s)", c->release, since);
		if (k.status == DC_NO)
			dc_check_hint(&k, "%s", no_hint);
	}
	dc_profile_add_check(c->prof, key, &k);
}

void probe_hardening(struct probe_ctx *c)
{
	struct hard_all a;
	struct dc_err e = {0};
	const char *why = e.msg;
	memset(&a, 0, sizeof(a));
	bool ran = c->live &&
		   answered_child_buf(c, "hardening", child_all, NULL, &a, sizeof(a), 10, &e) == 0;
	seccomp_checks(c, &a.seccomp, ran);
	mount_check(c, "hardening.proc_per_mount_options", ran ? &a.proc : NULL, why, "5.8",
		    "proc mounted with hidepid=invisible,subset=pid in a private pid namespace",
		    "proc options are shared with the host's /proc before 5.8: diyc mounts a "
		    "fresh proc only in a private pid namespace");
	mount_check(c, dc_fact_path(F_DEVPTS), ran ? &a.devpts : NULL, why, "2.6.29",
		    "devpts newinstance mounted, first pty index 0",
		    "devpts new instances need CONFIG_DEVPTS_MULTIPLE_INSTANCES=y before 4.7");
}
