/*
 * Outside tools without a shell (see spawn.h).  Nothing here is on the path of a
 * container's start except the published-port rules, which are one
 * iptables-restore each.
 */
#define _GNU_SOURCE
#include "lib/spawn.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* OUT: the pipe takes the tool's stdout (stderr goes to /dev/null) instead of stderr */
static void child(char *const argv[], int in, int err, bool out)
{
	/* the caller's blocked signals and ignored ones would outlive exec: a daemon
	 * started by diyc's supervisor (a network's dnsmasq) must still take SIGTERM and
	 * SIGHUP */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < 32; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC); /* dup2 clears it on fd 1 */
	if (null < 0 || dup2(in, 0) < 0 || dup2(out ? err : null, 1) < 0 ||
	    dup2(out ? null : err, 2) < 0)
		_exit(127);
	execvp(argv[0], argv);
	fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int start(char *const argv[], const char *in, struct spawned *s, bool out)
{
	int ip[2], ep[2];
	if (pipe2(ip, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(ep, O_CLOEXEC) < 0) {
		int e = errno;
		close(ip[0]);
		close(ip[1]);
		return -e;
	}
	pid_t pid = fork();
	if (pid == 0)
		child(argv, ip[0], ep[1], out);
	int e = errno;
	close(ip[0]);
	close(ep[1]);
	if (pid < 0) {
		close(ip[1]);
		close(ep[0]);
		return -e;
	}
	/* a tool that exits early must not kill us with SIGPIPE */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	for (size_t n = in ? strlen(in) : 0, off = 0; off < n;) {
		ssize_t w = write(ip[1], in + off, n - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	signal(SIGPIPE, old);
	close(ip[1]);
	s->pid = pid;
	s->errfd = ep[0];
	return 0;
}

int spawn_start(char *const argv[], const char *in, struct spawned *s)
{
	return start(argv, in, s, false);
}

int spawn_wait(struct spawned *s, char *stderr_text, size_t len)
{
	size_t got = 0;
	ssize_t r;
	char sink[256];
	while ((r = read(s->errfd, got + 1 < len ? stderr_text + got : sink,
			 got + 1 < len ? len - got - 1 : sizeof(sink))) > 0 ||
	       (r < 0 && errno == EINTR))
		if (r > 0 && got + 1 < len)
			got += (size_t)r;
	if (len)
		stderr_text[got] = '\0';
	close(s->errfd);
	int st;
	while (waitpid(s->pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int spawn_run(char *const argv[], const char *in, char *stderr_text, size_t len)
{
	struct spawned s;
	int e = spawn_start(argv, in, &s);
	if (e < 0) {
		snprintf(stderr_text, len, "%s: %s", argv[0], strerror(-e));
		return -1;
	}
	return spawn_wait(&s, stderr_text, len);
}

int spawn_output(char *const argv[], char *out, size_t len)
{
	struct spawned s;
	if (len < 2 || start(argv, NULL, &s, true) < 0)
		return -1;
	int r = spawn_wait(&s, out, len);
	return r == 0 && strlen(out) + 1 >= len ? -1 : r; /* a full buffer may be cut */
}

void tool_error_line(const char *text, char *line, size_t len)
{
	char buf[4096];
	size_t n = 0;
	const char *p = text;
	while (*p && n + 1 < sizeof(buf)) {
		size_t l = strcspn(p, "\n");
		bool advice = !strncmp(p, "Try `", 5);
		for (size_t i = 0; i < l && !advice && n + 1 < sizeof(buf); i++) {
			char ch = p[i] == '\t' || p[i] == '\r' ? ' ' : p[i];
			/* one space between words, none at the start */
			if (ch != ' ' || (n && buf[n - 1] != ' '))
				buf[n++] = ch;
		}
		if (!advice && n && buf[n - 1] != ' ' && n + 1 < sizeof(buf))
			buf[n++] = ' ';
		p += l + (p[l] == '\n');
	}
	buf[n] = '\0';
	rstrip(buf);
	n = strlen(buf);
	if (!len)
		return;
	if (n < len)
		snprintf(line, len, "%s", buf);
	else if (len > 4)
		snprintf(line, len, "...%s", buf + n - (len - 4));
	else
		line[0] = '\0';
}

bool find_tool(const char *name, char *out, size_t len)
{
	static const char *const extra[] = {"/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin",
					    "/bin"};
	char path[4096] = "";
	const char *env = getenv("PATH");
	snprintf(path, sizeof(path), "%s", env ? env : "");
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
		strappend(path, sizeof(path), ":", "%s", extra[i]);
	char *save, *dir;
	for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if (dir[0] != '/')
			continue; /* a relative PATH entry would depend on the current directory */
		if (fmt(out, len, "%s/%s", dir, name) == 0 && access(out, X_OK) == 0)
			return true;
	}
	if (len)
		out[0] = '\0';
	return false;
}
