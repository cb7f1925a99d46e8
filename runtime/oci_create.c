/*
 * diyc-oci's part of the start table (steps.c): what a create adds to the steps
 * `diyc run` walks.  "state" also records the bundle and makes exec.fifo; "io"
 * sends the terminal's master to --console-socket (SCM_RIGHTS, the protocol
 * conmon and containerd-shim listen with); the step "created" replaces "running":
 * it releases the container process, waits for its "ready" (root built, privileges
 * dropped, command found, blocked opening exec.fifo), runs the create hooks and
 * writes the pid file (atomically, before create returns).  Then create exits and
 * the container process is reparented to the caller, a subreaper, which reaps it.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/oci.h"
#include "runtime/oci_int.h"
#include "runtime/start.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

int oci_state_init(struct start *s, struct dc_err *e)
{
	const struct oci_spec *sp = s->o->oci;
	char fifo[PATH_MAX];
	snprintf(s->st.bundle, sizeof(s->st.bundle), "%s", sp->bundle);
	snprintf(s->st.annotations, sizeof(s->st.annotations), "%s", sp->annotations);
	snprintf(s->st.image, sizeof(s->st.image), "oci");
	if (fmt(fifo, sizeof(fifo), "%s/%s/exec.fifo", G.state_dir, s->o->name) < 0 ||
	    mkfifo(fifo, 0622) < 0 || chmod(fifo, 0622) < 0)
		return dc_fail(e, errno, "cannot make %s", fifo);
	return 0;
}

int oci_console_connect(const char *path, struct dc_err *e)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path))
		return dc_fail(e, ENAMETOOLONG, "console socket %s", path);
	memcpy(a.sun_path, path, strlen(path));
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int err = errno;
		if (sock >= 0)
			close(sock);
		return dc_fail(e, err, "cannot connect to the console socket %s", path);
	}
	return sock;
}

int oci_console_pass(int sock, int master, struct dc_err *e)
{
	char name[] = "/dev/ptmx";
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name) - 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = u.buf,
			   .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	ssize_t n = sendmsg(sock, &m, MSG_NOSIGNAL);
	int err = errno;
	close(sock);
	close(master); /* the caller holds it now */
	return n < 0 ? dc_fail(e, err, "cannot send the terminal to the console socket") : 0;
}

int oci_console_send(const struct run_opts *o, int *master, struct dc_err *e)
{
	if (!o->tty || !o->console_socket)
		return 0;
	int sock = oci_console_connect(o->console_socket, e);
	if (sock < 0)
		return -1;
	int m = *master;
	*master = -1;
	return oci_console_pass(sock, m, e);
}

int oci_pid_file(const char *path, pid_t pid, struct dc_err *e)
{
	char v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	int r = write_file_atomic(path, v, 0644, false);
	return r < 0 ? dc_fail(e, -r, "cannot write the pid file %s", path) : 0;
}

int oci_created(struct start *s, struct dc_err *e)
{
	snprintf(s->st.status, sizeof(s->st.status), "created");
	int fd = s->syncfd;
	s->syncfd = -1; /* released: from here the process is waited for, not killed */
	s->code = container_ready(fd, s->errfd, e);
	close(s->errfd);
	s->errfd = -1;
	if (s->code != 0) {
		waitpid(s->pid, NULL, 0);
		return -1;
	}
	state_save(&s->st);
	for (int k = HOOK_PRESTART; k <= HOOK_CREATE_CONTAINER; k++)
		if (oci_hooks(s->o->oci, &s->st, (enum oci_hook_kind)k, e) < 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			return -1;
		}
	if (s->o->pid_file && oci_pid_file(s->o->pid_file, s->pid, e) < 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		return -1;
	}
	return 0;
}
