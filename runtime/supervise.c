/*
 * The supervisor's running part: the diyc process that owns a container once its
 * start (steps.c) is done.  It is a child subreaper (so without a PID namespace
 * the container's orphans come back to it), forwards the signals of
 * dc_forwarded_signals to the container, and when the main process exits it kills
 * whatever else is left in the container's cgroup.  The exit status mapping (N, or
 * 128+S for signal S) and the forwarded signals are shared with `diyc exec`.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

const int dc_forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, 0};

void signals_default(void)
{
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int exit_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return EXIT_DIYC;
}

static void copy(int from, int to, bool *open_)
{
	char buf[4096];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0) {
		*open_ = false;
		return;
	}
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w <= 0)
			return;
		off += w;
	}
}

/*
 * Wait for the main process, forwarding signals and (with a terminal) copying
 * bytes both ways; reap every orphan handed to us on the way.
 */
int wait_main(pid_t main_pid, int sfd, int master, struct log_pipe *log)
{
	int status = 0;
	bool done = false, in_open = master >= 0, out_open = master >= 0;
	while (!done || out_open) {
		struct pollfd p[4] = {{sfd, POLLIN, 0},
				      {-1, POLLIN, 0},
				      {-1, POLLIN, 0},
				      {log ? log->r : -1, POLLIN, 0}};
		if (master >= 0) {
			p[1].fd = in_open ? STDIN_FILENO : -1;
			p[2].fd = out_open ? master : -1;
		}
		if (poll(p, 4, done ? 50 : -1) < 0 && errno != EINTR)
			break;
		if (p[3].revents & POLLIN)
			log_pump(log);
		if (done && !(p[2].revents & (POLLIN | POLLHUP)))
			break; /* drained */
		if (p[1].revents & (POLLIN | POLLHUP))
			copy(STDIN_FILENO, master, &in_open);
		if (p[2].revents & (POLLIN | POLLHUP))
			copy(master, STDOUT_FILENO, &out_open);
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGWINCH) {
				tty_resize(master);
			} else if (si.ssi_signo != SIGCHLD) {
				kill(main_pid, (int)si.ssi_signo);
			}
			/* reap whatever exited: the main process, or an orphan given to us */
			int st;
			pid_t r;
			while ((r = waitpid(-1, &st, WNOHANG)) > 0)
				if (r == main_pid) {
					status = st;
					done = true;
				}
		}
	}
	log_pump(log); /* what it wrote last */
	return status;
}

/* Kill what the container left, reap it, remove the cgroups. */
void cg_teardown(struct cg_plan *cg)
{
	cg_kill_all(cg);
	/* reap the killed orphans (we are their subreaper) for a bounded time */
	for (int i = 0; i < 200; i++) {
		pid_t r = waitpid(-1, NULL, WNOHANG);
		if (r < 0)
			break;
		if (r == 0) {
			struct timespec ts = {0, 2000000};
			nanosleep(&ts, NULL);
		}
	}
	int r = cg_destroy(cg);
	if (r < 0)
		dc_warn("could not remove a cgroup: %s (diyc gc retries)", strerror(-r));
}

/* Detach: the caller waits for "started" on a pipe, prints the name and leaves. */
int detach(const char *name, int *notify)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		char code = 1;
		close(p[1]);
		if (read(p[0], &code, 1) != 1)
			code = EXIT_DIYC;
		if (code == 0) {
			printf("%s\n", name);
			fflush(stdout);
		} else {
			/* the supervisor's messages went to the log: show the caller e.msg */
			char logp[PATH_MAX], buf[4096];
			struct log_reader lr = {.bol = true};
			fmt(logp, sizeof(logp), "%s/%s/log", G.state_dir, name);
			ssize_t n = read_file(logp, buf, sizeof(buf));
			if (n > 0)
				log_copy(&lr, buf, (size_t)n, STDERR_FILENO);
		}
		_exit(code);
	}
	close(p[0]);
	setsid();
	*notify = p[1];
	return 0;
}

void notify_parent(int *fd, char code)
{
	if (*fd >= 0) {
		if (write(*fd, &code, 1) < 0) {
		}
		close(*fd);
		*fd = -1;
	}
}
