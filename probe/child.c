/*
 * Decisive tests run in a forked child: a single-threaded process whose
 * namespaces, mounts and network devices die with it, so the probe cannot
 * leave anything behind even if a test is interrupted half-way.
 */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "probe/answers.h"
#include "lib/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

int child_fail(struct child_result *res, const char *step, int err)
{
	snprintf(res->step, sizeof(res->step), "%s", step);
	return err ? err : EIO;
}

struct single {
	child_fn fn;
	void *arg;
};

static void single_test(void *out, void *arg)
{
	struct child_result *res = out;
	struct single *s = arg;
	res->err = s->fn(res, s->arg);
}

int run_child(child_fn fn, void *arg, struct child_result *res, unsigned timeout_s)
{
	struct dc_err e;
	struct single s = {fn, arg};
	memset(res, 0, sizeof(*res));
	if (run_child_buf(single_test, &s, res, sizeof(*res), timeout_s, &e) < 0) {
		memset(res, 0, sizeof(*res));
		res->err = ECHILD;
		snprintf(res->detail, sizeof(res->detail), "%s", e.msg);
		return -1;
	}
	return 0;
}

int run_child_buf(child_buf_fn fn, void *arg, void *out, size_t len, unsigned timeout_s,
		  struct dc_err *e)
{
	int p[2], status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		dc_fail(e, 0, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		dc_fail(e, 0, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(timeout_s);
		fn(out, arg);
		if (write(p[1], out, len) != (ssize_t)len)
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(p[0], (char *)out + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == len)
		return 0;
	if (WIFSIGNALED(status))
		dc_fail(e, 0, "test process killed by signal %d%s", WTERMSIG(status),
			WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	else
		dc_fail(e, 0, "test process exited %d without a result",
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return -1;
}

/* The same, through this boot's answers (probe/answers.c): a kept answer instead of a run. */
int answered_child_buf(struct probe_ctx *c, const char *key, void (*fn)(void *, void *), void *arg,
		       void *out, size_t len, unsigned timeout_s, struct dc_err *e)
{
	if (answers_get(c, key, out, len))
		return 0;
	int r = run_child_buf(fn, arg, out, len, timeout_s, e);
	if (r == 0)
		answers_put(c, key, out, len);
	return r;
}
