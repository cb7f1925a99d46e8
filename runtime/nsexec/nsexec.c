/*
 * nsexec: run a command on the host filesystem in new namespaces (the small demo
 * tool of the original diyC).  Unlike the original, a kernel that lacks a requested
 * namespace gets a sentence naming it and the option that asked for it, not a bare
 * "clone: Invalid argument"; no command is a usage error, not a crash.
 *
 *   nsexec [-i] [-n] [-p] [-u HOSTNAME] [-v] CMD [ARG...]
 *
 * A mount namespace is always made (so the fresh /proc of -p stays private).
 * Exit status: the command's (128+S when killed by signal S); 125 for nsexec's own
 * errors, 126/127 when the command cannot run / is not found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/kfeat.h"
#include "lib/util.h"

static bool verbose;

/* the CLONE flag of the namespace whose nsexec option is opt (lib/kfeat.c) */
static int ns_flag(int opt)
{
	for (int i = 0; i < NS_COUNT; i++)
		if (dc_ns[i].nsexec_opt == opt)
			return (int)dc_ns[i].flag;
	return 0;
}

static void usage(FILE *to)
{
	fputs("Usage: nsexec [-i] [-n] [-p] [-u HOSTNAME] [-v] CMD [ARG...]\n"
	      "Run CMD in a new mount namespace and the namespaces asked for:\n"
	      "  -i            new IPC namespace\n"
	      "  -n            new network namespace (only lo, down)\n"
	      "  -p            new PID namespace, with a fresh /proc (CMD is pid 1)\n"
	      "  -u HOSTNAME   new UTS namespace with this host name\n"
	      "  -v            say what is done\n"
	      "  -h, --help    this text\n"
	      "A namespace this kernel lacks is named in the error; diyc-probe shows them all.\n",
	      to);
}

/* unshare(flag) in a throwaway child: 0, or the errno that explains the failure */
static int try_flag(int flag)
{
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(unshare(flag) < 0 ? (errno & 0x7f) : 0);
	int st;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return EIO;
	return WEXITSTATUS(st);
}

/* clone failed with err: name each requested namespace this kernel refuses */
static void explain(int flags, int err)
{
	bool named = false;
	for (int i = 0; i < NS_COUNT; i++) {
		const struct ns_info *ns = &dc_ns[i];
		if (!(flags & (int)ns->flag) || (ns->kind != NS_MNT && !ns->nsexec_opt))
			continue;
		int e = try_flag((int)ns->flag);
		if (e == EINVAL) {
			fprintf(
			    stderr,
			    "nsexec: this kernel has no %s namespace (CONFIG_%s is not set); run "
			    "without -%c\n",
			    ns->title, ns->kopt ? ns->kopt : "?",
			    ns->nsexec_opt ? ns->nsexec_opt : '?');
			named = true;
		} else if (e == ENOSPC) {
			fprintf(stderr,
				"nsexec: the %s namespace limit is reached (see "
				"/proc/sys/user/max_*_namespaces)\n",
				ns->title);
			named = true;
		} else if (e == EPERM) {
			fprintf(
			    stderr,
			    "nsexec: not allowed to create a %s namespace (needs CAP_SYS_ADMIN; "
			    "run as root)\n",
			    ns->title);
			named = true;
		}
	}
	if (!named)
		fprintf(stderr, "nsexec: cannot create the namespaces: %s (%s)\n", strerror(err),
			errno_name(err));
}

static int child(char **argv, int flags, const char *hostname)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "nsexec: cannot make / private: %s\n", strerror(errno));
		return 125;
	}
	if (flags & CLONE_NEWPID) {
		/* the host's /proc shows the host's pids: replace it with ours */
		umount2("/proc", MNT_DETACH);
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
			fprintf(stderr, "nsexec: cannot mount /proc: %s\n", strerror(errno));
			return 125;
		}
	}
	if (hostname && sethostname(hostname, strlen(hostname)) < 0) {
		fprintf(stderr, "nsexec: cannot set the host name: %s\n", strerror(errno));
		return 125;
	}
	if (verbose)
		fprintf(stderr, "nsexec: running %s as pid %d\n", argv[0], (int)getpid());
	execvp(argv[0], argv);
	int e = errno;
	fprintf(stderr, "nsexec: %s: %s\n", argv[0],
		e == ENOENT ? "command not found" : strerror(e));
	return e == ENOENT ? 127 : 126;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int flags = CLONE_NEWNS, c;
	const char *hostname = NULL;
	while ((c = getopt_long(argc, argv, "+inpu:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
		case 'n':
		case 'p':
			flags |= ns_flag(c);
			break;
		case 'u':
			flags |= ns_flag(c);
			hostname = optarg;
			if (!*hostname || strlen(hostname) > 64) {
				fprintf(stderr,
					"nsexec: -u needs a host name of 1 to 64 characters\n");
				return 125;
			}
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 125;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "nsexec: no command given (see nsexec --help)\n");
		return 125;
	}
	fflush(NULL);
	pid_t pid =
	    (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		explain(flags, errno);
		return 125;
	}
	if (pid == 0)
		_exit(child(argv + optind, flags, hostname));
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 125;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
