/*
 * The supervisor: the diyc process that owns a running container.  It holds
 * the state lock, is a child subreaper (so without a PID namespace the
 * container's orphans come back to it), forwards SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT, SIGUSR1 and SIGUSR2 to the container, and when the main process
 * exits it kills whatever else is left in the container's cgroup, removes the
 * cgroups and exits with the container's status (N, or 128+S for signal S).
 *
 * Order of a start (each step undone if a later one fails):
 *   features -> state dir + lock -> container dir -> cgroups -> clone (held; born
 *   in its v2 cgroup where clone3 allows) -> v1 cgroup attach -> state.json ->
 *   release -> wait.
 */
#define _GNU_SOURCE
#include "diyc.h"
#include "util.h"

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

#include "nsflags.h"
#include <sched.h>

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static int mkdir_p2(const char *a, const char *b)
{
	if (mkdir(a, 0711) < 0 && errno != EEXIST)
		return -errno;
	if (b && mkdir(b, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * containers/NAME/{upper,work,merged}; a leftover without state is stale and replaced.
 * A --rm container's are made later, by the container process, in a tmpfs of its own
 * mount namespace (rootfs.c): only containers/ must exist here.
 */
static int make_container_dir(const char *name, bool on_disk, char *dir, size_t len)
{
	char base[PATH_MAX];
	if (fmt(base, sizeof(base), "%s/containers", G.root) < 0 ||
	    container_dir(name, dir, len) < 0)
		return -ENAMETOOLONG;
	int r = mkdir_p2(G.root, base);
	if (r < 0)
		return r;
	if (path_exists(dir))
		remove_tree(dir);
	return on_disk ? layer_dirs(dir) : 0;
}

static void now_iso(char *out, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return EXIT_DIYC;
}

/* ---- terminal ---- */
static struct termios saved_tio;
static bool tio_saved;

static void tty_raw(void)
{
	struct termios t;
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return;
	tio_saved = true;
	t = saved_tio;
	cfmakeraw(&t);
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

static void tty_restore(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	tio_saved = false;
}

static void tty_resize(int master)
{
	struct winsize ws;
	if (master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/*
 * The container's terminal: a pty of the host, its slave handed to the container.
 * Through /dev/pts/ptmx first: the ptmx of the very instance where ptsname() names
 * the slave.  /dev/ptmx may belong to another instance: on 4.4 it is always the
 * initial one, even where /dev/pts was mounted with newinstance, and then the slave
 * is missing under /dev/pts, or is somebody else's pty of the same number.
 * /dev/ptmx only where /dev/pts/ptmx cannot be opened.
 */
static int open_pty_at(const char *ptmx, int *master, int *slave)
{
	*slave = -1;
	*master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0)
		return -1;
	char *name = grantpt(*master) == 0 && unlockpt(*master) == 0 ? ptsname(*master) : NULL;
	*slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
	if (*slave >= 0)
		return 0;
	int e = errno;
	close(*master);
	*master = -1;
	errno = e;
	return -1;
}

static int open_pty(int *master, int *slave)
{
	return open_pty_at("/dev/pts/ptmx", master, slave) == 0
		   ? 0
		   : open_pty_at("/dev/ptmx", master, slave);
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
static int wait_main(pid_t main_pid, int sfd, int master)
{
	int status = 0;
	bool done = false, in_open = master >= 0, out_open = master >= 0;
	while (!done || out_open) {
		struct pollfd p[3] = {{sfd, POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}};
		if (master >= 0) {
			p[1].fd = in_open ? STDIN_FILENO : -1;
			p[2].fd = out_open ? master : -1;
		}
		if (poll(p, 3, done ? 50 : -1) < 0 && errno != EINTR)
			break;
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
	return status;
}

/* Kill what the container left, reap it, remove the cgroups. */
static void teardown(struct cg_plan *cg)
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
		warn("could not remove a cgroup: %s (diyc gc retries)", strerror(-r));
}

/* Detach: the caller waits for "started" on a pipe, prints the name and leaves. */
static int detach(const char *name, int *notify)
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
			/* the supervisor's messages went to the log: show the caller why */
			char logp[PATH_MAX], buf[4096];
			fmt(logp, sizeof(logp), "%s/%s/log", G.state_dir, name);
			ssize_t n = read_file(logp, buf, sizeof(buf));
			if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) < 0)
				_exit(code);
		}
		_exit(code);
	}
	close(p[0]);
	setsid();
	*notify = p[1];
	return 0;
}

static void notify_parent(int *fd, char code)
{
	if (*fd >= 0) {
		if (write(*fd, &code, 1) < 0) {
		}
		close(*fd);
		*fd = -1;
	}
}

int run_container(const struct run_opts *o)
{
	struct features f;
	struct state st;
	struct cg_plan cg = {.kill_idx = -1, .v1_freezer_idx = -1};
	struct net_plan net = {0};
	struct launch l = {.o = o,
			   .f = &f,
			   .net = &net,
			   .tty_slave = -1,
			   .log_fd = -1,
			   .init_fd = -1,
			   .cgroup_fd = -1};
	int lockfd = -1, master = -1, notify = -1, code = EXIT_DIYC;
	bool made_dir = false;

	if (features_decide(o, &f) < 0)
		return EXIT_DIYC;
	/* not dumpable: no container process may open our /proc files (selfexe.c); the
	 * container process inherits this until its exec */
	prctl(PR_SET_DUMPABLE, 0);
	int r = state_create(o->name, &lockfd);
	if (r == -EEXIST) {
		bool running = false;
		struct state old;
		state_load(o->name, &old, &running);
		if (running)
			err("container %s is already running", o->name);
		else
			err("container %s already exists (%s); remove it with: diyc rm %s", o->name,
			    old.status[0] ? old.status : "stopped", o->name);
		return EXIT_DIYC;
	}
	if (r < 0) {
		err("cannot create the state of %s in %s: %s", o->name, G.state_dir, strerror(-r));
		return EXIT_DIYC;
	}
	memset(&st, 0, sizeof(st));
	snprintf(st.name, sizeof(st.name), "%s", o->name);
	snprintf(st.image, sizeof(st.image), "%s", o->image);
	snprintf(st.status, sizeof(st.status), "creating");
	st.rm = o->rm;
	st.nnp = f.nnp;
	st.seccomp = f.seccomp;
	st.supervisor = getpid();
	now_iso(st.created, sizeof(st.created));
	for (int i = 0; i < NS_COUNT; i++)
		if (f.ns[i])
			strappend(st.namespaces, sizeof(st.namespaces), ",", "%s", ns_names[i]);
	for (int i = 0; i < f.ndegraded; i++)
		strappend(st.degraded, sizeof(st.degraded), "; ", "%s", f.degraded[i]);
	const char *const *cmd = (const char *const *)o->argv;
	if (!cmd)
		snprintf(st.command, sizeof(st.command), "/bin/sh");
	for (int i = 0; cmd && cmd[i]; i++)
		strappend(st.command, sizeof(st.command), " ", "%s", cmd[i]);
	state_save(&st);
	failpoint("state");

	if (net_prepare(o, &f, &net) < 0)
		goto out;
	if (net.bridge)
		failpoint("lease");
	r = make_container_dir(o->name, !o->rm, l.rootdir, sizeof(l.rootdir));
	if (r < 0) {
		err("cannot create the container directory in %s: %s", G.root, strerror(-r));
		goto out;
	}
	made_dir = true;
	failpoint("dir");
	image_dir(o->image, l.imagedir, sizeof(l.imagedir));
	if (cg_setup(o->name, o, &f, &cg) < 0)
		goto out;
	for (int i = 0; i < cg.n; i++)
		snprintf(st.cgroups[st.ncgroups++], sizeof(st.cgroups[0]), "%s", cg.dirs[i]);
	if (cg.kill_idx >= 0)
		snprintf(st.kill_dir, sizeof(st.kill_dir), "%s", cg.dirs[cg.kill_idx]);
	/* not saved yet: until "running" below, a crash leaves cgroups that diyc gc finds
	 * by their name (diyc-NAME below our own) */
	failpoint("cgroup");

	if (o->detach) {
		char logp[PATH_MAX];
		fmt(logp, sizeof(logp), "%s/%s/log", G.state_dir, o->name);
		l.log_fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (l.log_fd < 0 || detach(o->name, &notify) < 0) {
			err("cannot detach: %s", strerror(errno));
			goto out;
		}
		st.supervisor = getpid();
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 0);
			dup2(l.log_fd, 1);
			dup2(l.log_fd, 2); /* diyc's own messages land in the log too */
			close(null);
		}
	}
	if (o->tty && !o->detach && open_pty(&master, &l.tty_slave) < 0) {
		err("cannot allocate a terminal: %s", strerror(errno));
		goto out;
	}

	/* Signals arrive through a signalfd; children start with everything blocked. */
	sigset_t mask, old;
	sigemptyset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&mask, forwarded[i]);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &old);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (f.ns[NS_TIME] && unshare(CLONE_NEWTIME) < 0) /* takes effect for the child */
		warn("no time namespace after all: %s", strerror(errno));

	int syncfd, errfd;
	l.init_fd = init_memfd();
	if (l.init_fd < 0)
		warn("degraded: no sealed memfd for diyc-init (%s): the command is executed "
		     "directly, and an image could reach the host's diyc binary through "
		     "/proc/self/exe",
		     strerror(-l.init_fd));
	l.cgroup_fd = cg_open_v2(&cg);
	pid_t pid = container_spawn(&l, &syncfd, &errfd);
	if (l.init_fd >= 0)
		close(l.init_fd);
	if (l.cgroup_fd >= 0)
		close(l.cgroup_fd);
	if (pid < 0) {
		err("cannot create the container process: %s", strerror(errno));
		goto out_sig;
	}
	if (l.tty_slave >= 0) {
		close(l.tty_slave);
		l.tty_slave = -1;
	}
	st.pid = pid;
	st.start = proc_start_time(pid);
	failpoint("clone");
	char why[300];
	bool attached = cg_attach(&cg, pid, l.born_in_cgroup) == 0;
	if (attached)
		failpoint("attach");
	if (!attached ||
	    (net_attach(&net, pid, why, sizeof(why)) < 0 && (err("network: %s", why), true))) {
		kill(pid, SIGKILL);
		close(syncfd);
		close(errfd);
		waitpid(pid, NULL, 0);
		goto out_sig;
	}
	snprintf(st.status, sizeof(st.status), "running");
	state_save(&st);
	if (o->tty) {
		tty_resize(master);
		tty_raw();
	}
	code = container_release(pid, syncfd, errfd, o->argv ? o->argv[0] : "/bin/sh");
	if (code != 0) {
		waitpid(pid, NULL, 0);
		tty_restore();
		notify_parent(&notify, (char)code);
		goto out_sig;
	}
	notify_parent(&notify, 0);
	failpoint("running");
	code = status_code(wait_main(pid, sfd, master));
	tty_restore();
out_sig:
	teardown(&cg);
	net_teardown(&net);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (master >= 0)
		close(master);
	notify_parent(&notify, (char)code);
	if (!o->rm) {
		snprintf(st.status, sizeof(st.status), "exited");
		st.exit_code = code;
		st.ncgroups = 0;
		state_save(&st);
		close(lockfd);
		return code;
	}
	goto remove;
out:
	teardown(&cg);
	net_teardown(&net);
	notify_parent(&notify, EXIT_DIYC);
remove:
	if (made_dir)
		remove_tree(l.rootdir);
	state_remove(o->name);
	close(lockfd);
	return code;
}
