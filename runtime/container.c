/*
 * The container process: cloned into new namespaces, held on a pipe until
 * the supervisor has put it into its cgroups and recorded it, then it builds
 * its root filesystem, gives up its privileges and executes the command.  A
 * failure before exec travels back on a close-on-exec pipe: end of file there
 * means the exec succeeded.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/oci.h"
#include "runtime/timing.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

struct child_error {
	int code; /* exit code: 125, 126, 127 */
	char msg[480];
};

int container_report(int errfd, int code, const char *msg)
{
	struct child_error e = {.code = code};
	snprintf(e.msg, sizeof(e.msg), "%s", msg);
	return write(errfd, &e, sizeof(e)) == (ssize_t)sizeof(e) ? 0 : -1;
}

void container_fail(int errfd, int code, const char *msg)
{
	container_report(errfd, code, msg);
	_exit(code);
}
#define child_fail container_fail

static char user_home[PATH_MAX]; /* (container process) the home of -u's user */

static char **make_env(const struct launch *l)
{
	const struct run_opts *o = l->o;
	if (o->oci) /* a bundle's environment is exactly its process.env */
		return o->oci->proc.env;
	char **env = calloc((size_t)o->nenv + 6, sizeof(char *));
	int n = 0;
	char buf[512];
	if (!env)
		return NULL;
	env[n++] = "PATH=" DC_PATH;
	char home[PATH_MAX + 8];
	snprintf(home, sizeof(home), "HOME=%s", user_home[0] ? user_home : "/root");
	env[n++] = strdup(home);
	/* the name the container sees: its own, or the host's when it shares the UTS ns */
	char host[256] = "localhost";
	if (!l->f->ns[NS_UTS] && gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	snprintf(buf, sizeof(buf), "HOSTNAME=%s",
		 l->f->ns[NS_UTS] ? (o->hostname ? o->hostname : o->name) : host);
	env[n++] = strdup(buf);
	if (o->tty) {
		const char *t = getenv("TERM");
		snprintf(buf, sizeof(buf), "TERM=%s", t && *t ? t : "xterm");
		env[n++] = strdup(buf);
	}
	/* -e wins over the defaults: replace an entry of the same key */
	for (int i = 0; i < o->nenv; i++)
		n = env_put(env, n, o->env[i]);
	env[n] = NULL;
	return env;
}

static int c_cgroupns(struct launch *l, struct dc_err *e)
{
	if (l->f->ns[NS_CGROUP] && unshare((int)dc_ns[NS_CGROUP].flag) < 0)
		return dc_fail(e, errno, "unshare(%s)", dc_ns[NS_CGROUP].flag_name);
	return 0;
}

static int c_overlay(struct launch *l, struct dc_err *e)
{
	return l->o->oci ? oci_rootfs_bind(l, e) : rootfs_overlay(l, e);
}

static int c_pivot(struct launch *l, struct dc_err *e)
{
	return l->o->oci ? oci_rootfs_pivot(l, e) : rootfs_pivot(l, e);
}

/* only in a UTS namespace of our own: never rename the host */
static int c_hostname(struct launch *l, struct dc_err *e)
{
	const char *h = l->o->hostname ? l->o->hostname : l->o->name;
	if (l->o->oci && !(h = l->o->oci->hostname))
		return 0; /* a bundle without a hostname keeps the one it has */
	if (l->f->ns[NS_UTS] && (sethostname(h, strlen(h)) < 0 || setdomainname("", 0) < 0))
		return dc_fail(e, errno, "sethostname");
	return 0;
}

/* a session of its own; the terminal, or the log of a detached run */
static int c_stdio(struct launch *l, struct dc_err *e)
{
	if (setsid() < 0)
		return dc_fail(e, errno, "setsid");
	if (l->tty_slave >= 0) {
		if (ioctl(l->tty_slave, TIOCSCTTY, 0) < 0 || dup2(l->tty_slave, 0) < 0 ||
		    dup2(l->tty_slave, 1) < 0 || dup2(l->tty_slave, 2) < 0)
			return dc_fail(e, 0, "cannot attach the terminal");
	} else if (l->log_fd >= 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(l->log_fd, 1) < 0 ||
		    dup2(l->log_fd, 2) < 0)
			return dc_fail(e, 0, "cannot redirect output to the log");
	}
	return 0;
}

static int c_workdir(struct launch *l, struct dc_err *e)
{
	const char *wd = l->o->oci ? l->o->oci->proc.cwd : l->o->workdir ? l->o->workdir : "/";
	char cwd[PATH_MAX];
	if (chdir(wd) < 0)
		return dc_fail(e, errno, "working directory %s", wd);
	if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/')
		return dc_fail(e, 0, "the working directory is outside the container");
	return 0;
}

/* a private network: lo up (and eth0 on the bridge), still with CAP_NET_ADMIN */
static int c_network(struct launch *l, struct dc_err *e)
{
	return l->f->ns[NS_NET] ? net_child(l->net, e) : 0;
}

static int c_security(struct launch *l, struct dc_err *e)
{
	if (l->o->oci)
		return oci_security(l, e);
	const int keep[] = {l->err_fd, l->init_fd};
	close_fds_from(3, keep, 2);
	/* --ulimit, while CAP_SYS_RESOURCE is still there (features.c clamped what this
	 * root may not raise) */
	for (int i = 0; i < l->o->nulimits; i++) {
		const struct run_rlimit *u = &l->o->ulimits[i];
		struct rlimit rl = {.rlim_cur = u->soft, .rlim_max = u->hard};
		if (setrlimit(u->resource, &rl) < 0)
			return dc_fail(e, errno, "--ulimit %s", rlimit_name(u->resource));
	}
	return security_apply(l->f, l->f->ns[NS_PID], l->o->caps_set ? l->o->caps | DC_CAPS_SET : 0,
			      e);
}

/* -u or the image's User, after "security" (user.c says why) */
static int c_user(struct launch *l, struct dc_err *e)
{
	if (l->o->oci || (!l->o->user && !l->o->group_add[0]))
		return 0;
	return user_apply(l->o->user ? l->o->user : "0", l->o->group_add, user_home,
			  sizeof(user_home), e);
}

const struct child_step container_steps[] = {
    {"cgroupns", "its own cgroup namespace (after the supervisor put it in its cgroups)",
     c_cgroupns},
    {"overlay", "the overlay is mounted", c_overlay},
    {"pivot", "the root filesystem is complete and pivoted into", c_pivot},
    {"hostname", "its host name set (UTS namespace)", c_hostname},
    {"stdio", "its session, terminal or log", c_stdio},
    {"workdir", "in its working directory", c_workdir},
    {"network", "lo and eth0 up, the default route", c_network},
    {"security", "capabilities dropped, no_new_privs, seccomp; fds closed", c_security},
    {"user", "its user and groups (-u, the image's User)", c_user},
    {NULL, NULL, NULL},
};

/* After the steps: default signals, nothing blocked, and the command (through diyc-init). */
static void child_exec(struct launch *l, int errfd)
{
	struct dc_err e = {0};
	char **env = make_env(l);
	if (!env)
		child_fail(errfd, EXIT_DIYC, "out of memory");
	/* the container starts like a fresh process (the supervisor's mask holds the
	 * signals it forwards, so it is not inherited) */
	signals_default();
	static char *const sh[] = {"/bin/sh", NULL};
	char *const *argv = l->o->argv ? l->o->argv : sh;
	if (l->o->oci)
		oci_exec_when_started(l, errfd); /* returns once `start` opened the fifo */
	timing_mark("exec");
	int r = exec_command(l->init_fd, errfd, argv, env);
	int errnum = errno;
	if (r == -2) {
		dc_fail(&e, errnum, "cannot execute diyc-init");
		child_fail(errfd, EXIT_DIYC, e.msg);
	}
	int code = exec_failure(argv[0], errnum, &e);
	child_fail(errfd, code, e.msg);
}

static void child_main(struct launch *l, int syncfd, int errfd)
{
	struct dc_err e = {0};
	char ch;
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* a supervisor killed with -9 takes us along */
	if (read(syncfd, &ch, 1) != 1)
		_exit(EXIT_DIYC); /* the supervisor went away before releasing us */
	close(syncfd);
	l->err_fd = errfd;
	for (int i = 0; container_steps[i].name; i++) {
		if (container_steps[i].run(l, &e) < 0)
			child_fail(errfd, EXIT_DIYC, e.msg);
		timing_mark(container_steps[i].name);
		if (failpoint_error(container_steps[i].name, &e) < 0)
			child_fail(errfd, EXIT_DIYC, e.msg);
		if (failpoint_armed(container_steps[i].name)) {
			/* the supervisor may be in another PID namespace: it dies on reading this
			 */
			snprintf(e.msg, sizeof(e.msg), FAILPOINT_MSG "%s", container_steps[i].name);
			child_fail(errfd, EXIT_DIYC, e.msg);
		}
	}
	child_exec(l, errfd);
}

/*
 * clone3(2) with CLONE_INTO_CGROUP (5.7): the child is born in the cgroup, so it
 * never runs outside it and nobody writes cgroup.procs for it (cgroup.c says why
 * that matters).  -1 on a kernel without it (ENOSYS before 5.3; E2BIG or EINVAL
 * from 5.3 to 5.6, which do not know the cgroup field) or where a seccomp filter
 * hides clone3: the caller then uses clone(2) and writes the pid itself.
 */
struct clone3_args { /* struct clone_args of linux/sched.h, CLONE_ARGS_SIZE_VER2 */
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
	    set_tid_size, cgroup;
};
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

static pid_t clone_into_cgroup(unsigned long flags, int cgroup_fd)
{
	struct clone3_args a = {.flags = (flags & ~(unsigned long)0xff) | CLONE_INTO_CGROUP,
				.exit_signal = flags & 0xff,
				.cgroup = (uint64_t)cgroup_fd};
	return (pid_t)syscall(SYS_clone3, &a, sizeof(a));
}

pid_t container_spawn(struct launch *l, int *sync_fd, int *err_fd)
{
	int syncp[2], errp[2];
	/* born in these; the cgroup namespace comes after the cgroups (a step of the
	 * container process), the time namespace from the supervisor's unshare */
	static const enum ns_kind at_birth[] = {NS_MNT, NS_UTS, NS_IPC, NS_PID, NS_NET};
	unsigned long flags = SIGCHLD;
	sigset_t all, old;
	for (size_t i = 0; i < ARRAY_SIZE(at_birth); i++)
		if (at_birth[i] == NS_MNT || l->f->ns[at_birth[i]])
			flags |= dc_ns[at_birth[i]].flag;
	if (pipe2(syncp, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(syncp[0]);
		close(syncp[1]);
		return -1;
	}
	/* the child starts with every signal blocked and restores the mask just before exec */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	fflush(NULL);
	pid_t pid = -1;
	l->born_in_cgroup = false;
	if (l->cgroup_fd >= 0) {
		pid = clone_into_cgroup(flags, l->cgroup_fd);
		l->born_in_cgroup = pid >= 0;
	}
	if (pid < 0)
		pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		close(syncp[1]);
		close(errp[0]);
		child_main(l, syncp[0], errp[1]);
		_exit(EXIT_DIYC);
	}
	int e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(syncp[0]);
	close(errp[1]);
	if (pid < 0) {
		close(syncp[1]);
		close(errp[0]);
		errno = e;
		return -1;
	}
	*sync_fd = syncp[1];
	*err_fd = errp[0];
	return pid;
}

int exec_failure(const char *cmd, int errnum, struct dc_err *e)
{
	dc_fail(e, 0, "%s: %s", cmd, errnum == ENOENT ? "command not found" : strerror(errnum));
	e->errnum = errnum;
	return errnum == ENOENT ? EXIT_NOTFOUND : EXIT_CANNOT;
}

/* "go" on the sync pipe, then what the process reports on err_fd: the bytes read
 * (0: end of file), or -1 when it died before it could be released */
static ssize_t release_and_read(int sync_fd, int err_fd, struct child_error *e, struct dc_err *err)
{
	ssize_t n = write(sync_fd, "g", 1);
	close(sync_fd);
	if (n != 1) {
		dc_fail(err, 0, "the container process died before it started");
		return -1;
	}
	size_t got = 0;
	while (got < sizeof(*e)) {
		n = read(err_fd, (char *)e + got, sizeof(*e) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	e->msg[sizeof(e->msg) - 1] = '\0';
	return (ssize_t)got;
}

/* a setup failure the process reported: its message and exit code (a failpoint's
 * report kills us here, as the failpoint asks) */
static int reported(const struct child_error *e, struct dc_err *err)
{
	if (!strncmp(e->msg, FAILPOINT_MSG, strlen(FAILPOINT_MSG)))
		failpoint(e->msg + strlen(FAILPOINT_MSG));
	dc_fail(err, 0, "%s", e->msg);
	return e->code;
}

int container_release(pid_t pid, int sync_fd, int err_fd, const char *cmd, struct dc_err *err)
{
	struct child_error e;
	(void)pid;
	ssize_t got = release_and_read(sync_fd, err_fd, &e, err);
	close(err_fd);
	if (got < 0)
		return EXIT_DIYC;
	if (got == 0)
		return 0;	/* end of file: exec succeeded */
	if (got == sizeof(int)) /* diyc-init's errno */
		return exec_failure(cmd, e.code, err);
	if (got < (ssize_t)sizeof(e)) {
		dc_fail(err, 0, "the container process failed during setup");
		return EXIT_DIYC;
	}
	return reported(&e, err);
}

int container_ready(int sync_fd, int err_fd, struct dc_err *err)
{
	struct child_error e;
	ssize_t got = release_and_read(sync_fd, err_fd, &e, err);
	if (got < 0)
		return EXIT_DIYC;
	if (got < (ssize_t)sizeof(e))
		return dc_fail(err, 0, "the container process failed during setup"), EXIT_DIYC;
	return e.code == 0 ? 0 : reported(&e, err);
}
