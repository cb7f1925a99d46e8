/*
 * A container's start as one ordered table of steps {name, do, undo}.  `diyc run`
 * walks it forward; when a step fails, the steps already done are undone in reverse
 * order, so nothing is left half-created.  After a normal exit the same unwinding
 * tears the container down (keeping its state and directory unless --rm).
 *
 * The table is the one list of a start: DIYC_FAILPOINT names a step (failpoint.c
 * kills diyc right after it), `diyc debug steps` prints the table with the
 * container process's own steps (container.c), and tests/integration/crash.sh
 * crashes diyc after every step it prints.  diyc-oci create (oci_create.c) walks the
 * same table with its own last step: NEEDS "cli" steps are diyc run's only, "oci"
 * steps diyc-oci's; "created" leaves the container process waiting on exec.fifo,
 * and `diyc-oci start` releases it.
 *
 * "io" comes early so that a detached run forks once, before anything else is made,
 * and so that unwinding tears down cgroups and network with the forwarded signals
 * still blocked (a ^C then cannot cut the teardown short).
 *
 * Security reasoning kept beside the order: the container process is cloned held
 * on a pipe, joins its cgroups ("attach") and gets its network before it may run
 * ("running"), so it never runs unlimited or outside the cgroup that gc and kill
 * use to find it; state.json says "running" only once all of that exists.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/storage.h"
#include "runtime/image.h"
#include "runtime/start.h"
#include "runtime/timing.h"
#include "lib/twin.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * UTC, computed by hand: glibc's gmtime_r (and strftime) load /etc/localtime on first
 * use (for leap seconds and tzname), a file read on every start for a string that
 * shows no zone.  The date from the day number: the proleptic Gregorian calendar
 * counted in 400-year eras of 146097 days, years starting on March 1st so that the
 * leap day ends a year.
 */
void now_iso(char *out, size_t len)
{
	long long t = (long long)time(NULL);
	long long days = t / 86400, sec = t % 86400;
	if (sec < 0)
		sec += 86400, days--;
	long long z = days + 719468; /* days since 0000-03-01 */
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;				       /* [0, 146096] */
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	       /* [0, 365] */
	long long mp = (5 * doy + 2) / 153;				       /* March = 0 */
	long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	long long y = yoe + era * 400 + (m <= 2);
	snprintf(out, len, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", y, m, d, sec / 3600,
		 sec / 60 % 60, sec % 60);
}

/* ---- state: /run/diyc/NAME, locked, state.json "creating" ---- */
static int do_state(struct start *s, struct dc_err *e)
{
	const struct run_opts *o = s->o;
	int r = state_create(o->name, &s->lockfd);
	if (r == -EEXIST) {
		bool running = false;
		struct state old;
		state_load(o->name, &old, &running);
		if (running)
			return dc_fail(e, 0, "container %s is already running", o->name);
		return dc_fail(e, 0, "container %s already exists (%s); remove it with: diyc rm %s",
			       o->name, old.status[0] ? old.status : "stopped", o->name);
	}
	if (r < 0)
		return dc_fail(e, -r, "cannot create the state of %s in %s", o->name, G.state_dir);
	struct state *st = &s->st;
	snprintf(st->name, sizeof(st->name), "%s", o->name);
	snprintf(st->image, sizeof(st->image), "%s", o->image);
	snprintf(st->user, sizeof(st->user), "%s", o->user ? o->user : "");
	snprintf(st->status, sizeof(st->status), "creating");
	st->rm = o->rm;
	st->caps = o->caps_set ? o->caps | DC_CAPS_SET : 0;
	snprintf(st->group_add, sizeof(st->group_add), "%s", o->group_add);
	st->nnp = s->f.nnp;
	st->seccomp = s->f.seccomp;
	st->supervisor = getpid();
	now_iso(st->created, sizeof(st->created));
	for (int i = 0; i < NS_COUNT; i++)
		if (s->f.ns[i])
			st->nsmask |= 1u << i;
	for (int i = 0; i < s->f.ndegraded; i++)
		strappend(st->degraded, sizeof(st->degraded), "; ", "%s", s->f.degraded[i]);
	static const char *const kinds[] = {"bind", "volume", "tmpfs"};
	for (int i = 0; i < o->nmounts; i++) {
		const struct run_mount *m = &o->mounts[i];
		if (m->kind == RM_VOLUME)
			strappend(st->volumes, sizeof(st->volumes), ",", "%s", m->src);
		strappend(st->mounts, sizeof(st->mounts), "", "%s\t%s\t%s\t%s\n", kinds[m->kind],
			  m->src[0] ? m->src : "-", m->dst, m->flags & MS_RDONLY ? "ro" : "rw");
	}
	st->read_only = o->read_only;
	const char *const *cmd = (const char *const *)o->argv;
	if (!cmd)
		snprintf(st->command, sizeof(st->command), "/bin/sh");
	for (int i = 0; cmd && cmd[i]; i++)
		strappend(st->command, sizeof(st->command), " ", "%s", cmd[i]);
	if (o->oci && oci_state_init(s, e) < 0) {
		state_remove(o->name);
		close(s->lockfd);
		return -1;
	}
	state_save(st);
	return 0;
}

static void undo_state(struct start *s)
{
	if (s->keep) {
		snprintf(s->st.status, sizeof(s->st.status), "exited");
		s->st.exit_code = s->code;
		s->st.ncgroups = 0;
		state_save(&s->st);
	} else {
		state_remove(s->o->name);
	}
	close(s->lockfd);
}

/* ---- lease: the network plan, an address leased for a bridge ---- */
static int do_lease(struct start *s, struct dc_err *e)
{
	const struct run_opts *o = s->o;
	struct net_request rq = {.root = G.root,
				 .name = o->name,
				 .mode = o->net,
				 .network = o->network,
				 .aliases = o->aliases,
				 .ip = o->ip,
				 .ports = o->ports,
				 .netns = s->f.ns[NS_NET],
				 .veth_two_step = s->f.veth_two_step};
	return net_prepare(&rq, &s->net, e);
}

static void undo_lease(struct start *s) { net_teardown(&s->net); }

/*
 * ---- dir: containers/NAME/{upper,work,merged} ----
 * A leftover without state is stale and replaced.  A --rm container's layer is made
 * later, by the container process, in a tmpfs of its own mount namespace (rootfs.c):
 * only containers/ must exist here.
 */
/* The image's lower dirs; mount(2) takes one page of options, upper and work
 * included, and the kernel at most overlay.max_lowers lower dirs. */
static int lower_dirs(struct start *s, struct dc_err *e)
{
	size_t opts = strlen("lowerdir=,upperdir=/upper,workdir=/work") + 2 * strlen(s->l.rootdir);
	size_t page = (size_t)sysconf(_SC_PAGESIZE), budget = page > opts + 1 ? page - opts - 1 : 0;
	bool flat;
	if (budget > sizeof(s->l.imagedir))
		budget = sizeof(s->l.imagedir);
	if (img_lowerdir(s->o->image, s->f.facts.ov_max_lowers, s->l.imagedir, budget, &flat, e) <
	    0)
		return -1;
	if (flat)
		dc_warn(
		    "image %s has more layers than one overlay mount takes here (%d lower dirs, "
		    "%zu bytes of options): using its layers merged into one directory",
		    s->o->image, s->f.facts.ov_max_lowers, budget);
	return 0;
}

static int do_dir(struct start *s, struct dc_err *e)
{
	char base[PATH_MAX];
	if (s->o->oci)
		return 0; /* a bundle brings its root */
	if (fmt(base, sizeof(base), "%s/containers", G.root) < 0 ||
	    container_dir(s->o->name, s->l.rootdir, sizeof(s->l.rootdir)) < 0)
		return dc_fail(e, ENAMETOOLONG, "the container directory in %s", G.root);
	if ((mkdir(G.root, 0711) < 0 && errno != EEXIST) ||
	    (mkdir(base, 0700) < 0 && errno != EEXIST))
		return dc_fail(e, errno, "cannot create the container directory in %s", G.root);
	if (path_exists(s->l.rootdir))
		remove_tree(s->l.rootdir);
	int r = s->o->rm ? 0 : layer_dirs(s->l.rootdir);
	if (r < 0)
		return dc_fail(e, -r, "cannot create the container directory in %s", G.root);
	return lower_dirs(s, e);
}

static void undo_dir(struct start *s)
{
	if (!s->keep && !s->o->oci)
		remove_tree(s->l.rootdir);
}

/* ---- volumes: the named volumes of -v and --mount made when missing ---- */
static int do_volumes(struct start *s, struct dc_err *e)
{
	return volumes_prepare(s->o, s->volumes_made, sizeof(s->volumes_made), e);
}

/* a volume this start made goes again when the command never began and no stopped
 * container keeps it (kept after a run, as docker keeps it) */
static void undo_volumes(struct start *s)
{
	if (!s->started && !s->keep)
		volumes_remove_unused(s->volumes_made, s->o->name);
}

/* ---- cgroup: created below our own, limits written ---- */
static int do_cgroup(struct start *s, struct dc_err *e)
{
	if (cg_setup(s->o->name, s->o, &s->f, &s->cg, e) < 0)
		return -1;
	/* not saved yet: until "running", a crash leaves cgroups that diyc gc finds by
	 * their name (diyc-NAME below our own) */
	/* (memcpy: both are PATH_MAX arrays of this struct, which snprintf's checks
	 * cannot tell apart from an overlap) */
	_Static_assert(sizeof(s->st.cgroups[0]) == sizeof(s->cg.dirs[0]), "path sizes");
	_Static_assert(sizeof(s->st.kill_dir) == sizeof(s->cg.dirs[0]), "path sizes");
	for (int i = 0; i < s->cg.n; i++)
		memcpy(s->st.cgroups[s->st.ncgroups++], s->cg.dirs[i], sizeof(s->cg.dirs[i]));
	if (s->cg.kill_idx >= 0)
		memcpy(s->st.kill_dir, s->cg.dirs[s->cg.kill_idx], sizeof(s->st.kill_dir));
	if (s->o->oci) /* no diyc gc for diyc-oci: delete --force finds them in the state */
		state_save(&s->st);
	return 0;
}

static void undo_cgroup(struct start *s) { cg_teardown(&s->cg); }

/* ---- io: detach or terminal; signals through a signalfd; subreaper ---- */
static int io_detach(struct start *s, struct dc_err *e)
{
	char logp[PATH_MAX];
	fmt(logp, sizeof(logp), "%s/%s/log", G.state_dir, s->o->name);
	int file = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (file < 0 || detach(s->o->name, &s->notify) < 0 ||
	    log_pipe_open(&s->log, file, &s->l.log_fd) < 0)
		return dc_fail(e, errno, "cannot detach");
	s->st.supervisor = getpid();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(s->l.log_fd, 1);
		dup2(s->l.log_fd, 2); /* diyc's own messages land in the log too */
		close(null);
	}
	return 0;
}

static int do_io(struct start *s, struct dc_err *e)
{
	if (s->o->detach && io_detach(s, e) < 0)
		return -1;
	if (s->o->tty && !s->o->detach && open_pty(&s->master, &s->l.tty_slave) < 0)
		return dc_fail(e, errno, "cannot allocate a terminal");
	if (s->o->oci && oci_console_send(s->o, &s->master, e) < 0)
		return -1;
	/* signals arrive through a signalfd; children start with everything blocked */
	sigset_t mask;
	sigemptyset(&mask);
	for (int i = 0; dc_forwarded_signals[i]; i++)
		sigaddset(&mask, dc_forwarded_signals[i]);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &s->oldmask);
	s->sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (s->f.ns[NS_TIME] && unshare((int)dc_ns[NS_TIME].flag) < 0) /* for the child */
		dc_warn("no time namespace after all: %s", strerror(errno));
	return 0;
}

static void undo_io(struct start *s)
{
	fflush(NULL);
	log_pump(s->log.r >= 0 ? &s->log : NULL); /* (a failed start: the caller shows it) */
	tty_restore();
	if (s->sfd >= 0)
		close(s->sfd);
	sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
	if (s->master >= 0)
		close(s->master);
	if (s->l.tty_slave >= 0)
		close(s->l.tty_slave);
	notify_parent(&s->notify, (char)s->code);
}

/* ---- clone: the container process, held on its pipe ---- */
static int do_clone(struct start *s, struct dc_err *e)
{
	s->tried = true;
	s->l.init_fd = init_memfd();
	if (s->l.init_fd < 0)
		dc_warn("degraded: no sealed memfd for diyc-init (%s): the command is executed "
			"directly, and an image could reach the host's diyc binary through "
			"/proc/self/exe",
			strerror(-s->l.init_fd));
	s->l.cgroup_fd = cg_open_v2(&s->cg);
	s->pid = container_spawn(&s->l, &s->syncfd, &s->errfd);
	int err = errno;
	if (s->l.init_fd >= 0)
		close(s->l.init_fd);
	if (s->l.cgroup_fd >= 0)
		close(s->l.cgroup_fd);
	if (s->l.tty_slave >= 0)
		close(s->l.tty_slave);
	s->l.tty_slave = -1;
	if (s->pid < 0)
		return dc_fail(e, err, "cannot create the container process");
	s->st.pid = s->pid;
	s->st.start = proc_start_time(s->pid);
	return 0;
}

static void undo_clone(struct start *s)
{
	if (s->syncfd >= 0) { /* still held: never released */
		kill(s->pid, SIGKILL);
		close(s->syncfd);
		close(s->errfd);
		waitpid(s->pid, NULL, 0);
	}
}

/* ---- attach, veth, portrule: its cgroups, its network ---- */
static int do_attach(struct start *s, struct dc_err *e)
{
	return cg_attach(&s->cg, s->pid, s->l.born_in_cgroup, e);
}

static int do_veth(struct start *s, struct dc_err *e)
{
	return net_attach(&s->net, s->pid, e) < 0 ? dc_context(e, "network") : 0;
}

static int do_portrule(struct start *s, struct dc_err *e)
{
	return net_publish(&s->net, e) < 0 ? dc_context(e, "network") : 0;
}

/* ---- running: recorded, released; the command runs ---- */
static int do_running(struct start *s, struct dc_err *e)
{
	snprintf(s->st.status, sizeof(s->st.status), "running");
	state_save(&s->st);
	if (s->o->tty) {
		tty_resize(s->master);
		tty_raw();
	}
	int fd = s->syncfd;
	s->syncfd = -1; /* released: from here the process is waited for, not killed */
	s->code =
	    container_release(s->pid, fd, s->errfd, s->o->argv ? s->o->argv[0] : "/bin/sh", e);
	if (s->code != 0) {
		waitpid(s->pid, NULL, 0);
		return -1;
	}
	s->started = true;
	s->run_started = now_s();
	notify_parent(&s->notify, 0);
	return 0;
}

const struct step start_steps[] = {
    {"state", "-", "/run/diyc/NAME created and locked, state.json \"creating\"", do_state,
     undo_state},
    {"io", "-", "detached or given a terminal; signals blocked for the signalfd", do_io, undo_io},
    {"lease", "bridge", "the network planned; for a bridge the IPAM lease written", do_lease,
     undo_lease},
    {"dir", "-", "containers/NAME/{upper,work,merged} made", do_dir, undo_dir},
    {"volumes", "volumes", "the named volumes of -v/--mount exist (made when missing)", do_volumes,
     undo_volumes},
    {"cgroup", "-", "the cgroups created, limits written", do_cgroup, undo_cgroup},
    {"clone", "-", "the container process exists, held on its pipe", do_clone, undo_clone},
    {"attach", "-", "it is in its cgroups", do_attach, NULL},
    {"veth", "bridge", "the veth pair exists, eth0 in the container", do_veth, NULL},
    {"portrule", "ports", "the DNAT rules of -p are installed", do_portrule, NULL},
    {"running", "cli", "released: the container process sets up and executes the command",
     do_running, NULL},
    {"created", "oci", "released: the container process set up, waits on exec.fifo; pid file",
     oci_created, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* "cli" steps are diyc run's, "oci" steps diyc-oci's; the others are both's */
static bool step_applies(const struct step *st, const struct run_opts *o)
{
	if (!strcmp(st->needs, "cli"))
		return !o->oci;
	if (!strcmp(st->needs, "oci"))
		return o->oci != NULL;
	return true;
}

static void unwind(struct start *s, int done)
{
	while (done-- > 0)
		if (start_steps[done].undo) {
			start_steps[done].undo(s);
			timing_mark2("undo ", start_steps[done].name);
		}
}

int run_container(const struct run_opts *o)
{
	/* large (105 KB of paths); one start per process, so it is still the zeroed .bss
	 * on the first call: a memset would only touch (and make resident) its 26 pages */
	static struct start s;
	static bool used;
	struct dc_err e = {0};
	if (used)
		memset(&s, 0, sizeof(s));
	used = true;
	s.o = o;
	s.lockfd = s.master = s.notify = s.sfd = s.syncfd = s.errfd = -1;
	s.log.r = -1;
	s.cg.kill_idx = s.cg.v1_freezer_idx = -1;
	s.l = (struct launch){.o = o,
			      .f = &s.f,
			      .net = &s.net,
			      .tty_slave = -1,
			      .log_fd = -1,
			      .init_fd = -1,
			      .cgroup_fd = -1,
			      .fifo_fd = -1,
			      .cg = &s.cg};
	s.code = EXIT_DIYC;
	if (features_decide(o, &s.f, &e) < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	timing_mark("features");
	dc_twin_seal(); /* what follows makes things: no going over to diyc-dynamic */
	/* not dumpable: no container process may open our /proc files (selfexe.c); the
	 * container process inherits this until its exec */
	prctl(PR_SET_DUMPABLE, 0);
	int i = 0;
	bool failed = false;
	for (; start_steps[i].name && !failed; i++) {
		if (!step_applies(&start_steps[i], o))
			continue;
		if ((failed = start_steps[i].run(&s, &e) < 0))
			break; /* a step that fails undoes its own half */
		timing_mark(start_steps[i].name);
		failpoint(start_steps[i].name);
		failed = failpoint_error(start_steps[i].name, &e) < 0; /* done, then failed */
	}
	if (failed) { /* undo the steps done, in reverse */
		if (e.msg[0])
			dc_err_print(&e);
		if (s.code == 0) /* (failed after "running": the command had started) */
			s.code = EXIT_DIYC;
		s.keep = s.tried && !o->rm;
		unwind(&s, i);
		return s.code;
	}
	if (o->oci && !o->oci_wait)
		return 0; /* diyc-oci create: the caller reaps the container, delete removes it */
	if (o->oci && oci_start(o->name, &e) < 0) {
		dc_err_print(&e);
		kill(s.pid, SIGKILL);
	}
	s.code = exit_status(wait_main(s.pid, s.sfd, s.master, s.log.r >= 0 ? &s.log : NULL));
	timing_mark("exited");
	if (!o->oci)
		restart_loop(&s);
	s.keep = !o->rm;
	unwind(&s, i);
	return s.code;
}
