/*
 * diyc: the runtime, the top layer (lib/ <- probe/, netsetup/ <- runtime/; see
 * docs/architecture.md).  Networking is netsetup's, reached only through
 * netsetup/netsetup.h; the kernel's vocabulary is lib/kfeat.h; errors travel up as
 * a struct dc_err (lib/error.h) and are printed once by the command.  One file per
 * concern:
 *   main.c       command dispatch, global options, usage
 *   cmd_run.c    `diyc run` options -> struct run_opts
 *   run_priv.c   its identity and privilege options (--cap-add, --ulimit, ...)
 *   mounts.c     -v, --mount, --tmpfs, --read-only: parsed, and mounted in the root
 *                (storage.h declares it, mounttree.c, copytree.c and volume.c)
 *   mounttree.c  flags on a mount and every mount below it (-v ...:ro)
 *   copytree.c   a tree copied between directory fds (cp, a volume's copy-up)
 *   volume.c     named volumes: the store, who uses one, its lock
 *   restart.c    --restart, kept by the supervisor
 *   logfile.c    a detached container's log: a time per line
 *   features.c   profile facts -> what this kernel lets us use, what is degraded
 *   steps.c      a start as a table of steps {name, do, undo}; run_container
 *   state.c      /run/diyc/NAME: lock, state.json (version 2), liveness
 *   cgroup.c     the container's cgroups (v2, v1, hybrid): limits, tracking, kill
 *   container.c  the container process: clone, its own steps, exec
 *   rootfs.c     overlay, pivot_root, /dev, /proc, /sys, masks, /etc files
 *   security.c   capabilities, no_new_privs, seccomp, file descriptors
 *   supervise.c  the running supervisor: signals, exit status, teardown, detach
 *   tty.c        diyc run -t: the pty and the caller's terminal
 *   execcmd.c    the command's exec through diyc-init (init/) from a sealed memfd
 *   img_*.c      images: formats, the layer store, import, pull, save (image.h)
 *   user.c       -u/--user and an image's User, resolved in the container's files
 *   etcfiles.c   the container's /etc/hostname, hosts, resolv.conf
 *   failpoint.c  crash injection for the tests (DIYC_FAILPOINT=STEP)
 *   cmd_*.c      one file per command: ps, stop, kill, rm, gc, exec, logs,
 *                net, network (+ port), profile, debug, volume, inspect (+ wait,
 *                rename), stats (+ top), cp
 *   completion/  bash completion (read from the --help texts)
 *   oci_*.c      diyc-oci, the OCI runtime over the same steps (runtime/oci.h)
 */
#ifndef DIYC_RUNTIME_H
#define DIYC_RUNTIME_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "lib/kfeat.h"
#include "lib/log.h"
#include "lib/pfacts.h"
#include "lib/profile.h"
#include "netsetup/netsetup.h"
#include "runtime/rlimit.h"

/* Exit codes of diyc itself (a container's own status passes through). */
#define EXIT_DIYC 125	  /* diyc failed: bad input, setup error */
#define EXIT_CANNOT 126	  /* the command exists but cannot be executed */
#define EXIT_NOTFOUND 127 /* the command was not found */

#define DC_STATE_DIR "/run/diyc"
#define DC_DATA_ROOT "/var/lib/diyc"
#define DC_CG_PREFIX "diyc-"
/* a container's PATH unless -e sets one (run, exec, and the lookup of the command) */
#define DC_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct globals {
	const char *root;      /* data root: images/, containers/ */
	const char *state_dir; /* /run/diyc */
};
extern struct globals G;

struct oci_spec; /* runtime/oci.h */

struct run_mount; /* runtime/storage.h */
#define DC_ULIMITS_MAX 16
#define DC_ENV_MAX 1024 /* -e and --env-file variables of one run */
/* diyc run's long options without a short form, shared by cmd_run.c and run_priv.c */
enum {
	OPT_CAP_ADD = 1000,
	OPT_CAP_DROP,
	OPT_ULIMIT,
	OPT_ENV_FILE,
	OPT_GROUP_ADD,
	OPT_SECURITY_OPT,
	OPT_PRIVILEGED,
	OPT_INIT,
	OPT_NAME,
	OPT_RESTART,
};

/* ---- run options ---- */
struct run_opts {
	const char *name, *image;
	char **argv; /* command; NULL = /bin/sh */
	bool has_memory, has_cpus, has_pids;
	uint64_t memory, cpu_quota;
	long pids;
	char **env; /* KEY=VAL from -e */
	int nenv;
	const char *workdir;
	const char *hostname;
	const char *user; /* -u or the image's User: USER[:GROUP] (user.c) */
	bool rm, detach, tty, strict;
	struct run_mount *mounts; /* -v, --mount, --tmpfs (mounts.c), sorted by depth */
	int nmounts;
	bool read_only;		    /* --read-only: the root read-only, tmpfs on /tmp and /run */
	uint64_t caps;		    /* the capabilities kept (bit N = capability N) when caps_set */
	bool caps_set;		    /* --cap-add/--cap-drop given; else security.c's default set */
	char group_add[256];	    /* --group-add, "a,b" (user.c) */
	struct run_rlimit *ulimits; /* --ulimit (DC_ULIMITS_MAX; features.c may clamp them) */
	enum { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS } restart; /* restart.c */
	int restart_max; /* on-failure:N (0: no limit) */
	int nulimits;
	const char *profile;
	enum net_mode net;    /* netsetup.h */
	uint32_t ip;	      /* --ip, host byte order; 0 = any */
	char ports[256];      /* -p, normalised: "[IP:]H1[-H2]:C1[-C2]/proto,..." */
	const char *network;  /* --net NAME: a named network (NULL: the default) */
	char aliases[160];    /* --network-alias, "a,b" */
	char dns[256];	      /* --dns, "IP,IP" */
	char dns_search[256]; /* --dns-search, "a b" */
	char add_hosts[1024]; /* --add-host, "IP NAME\n" lines; host-gateway resolved late */
	/* diyc-oci (oci.h): the bundle's config, and where create hands over */
	struct oci_spec *oci;
	const char *console_socket, *pid_file, *cgroup_path;
	int preserve_fds;
	bool oci_wait; /* diyc-oci run in the foreground: start, wait, delete */
};

/* Whether o asks for a limit of controller CTRL (an index of lib/kfeat.c's dc_cg_ctrls:
 * --memory, --cpus, --pids-limit). */
bool run_limit_asked(const struct run_opts *o, int ctrl);

/* ---- features: what the kernel offers, decided from the profile ---- */

struct features {
	bool ns[NS_COUNT];
	bool overlay;
	bool seccomp, nnp;
	bool cg_tracking;
	bool cg_ctrl[DC_CG_NCTRLS]; /* by dc_cg_ctrls index (lib/kfeat.c) */
	bool cg_legacy;		    /* cgroups.mode = legacy: v1 hierarchies only */
	struct dc_facts facts;	    /* the profile's facts, the cgroup homes among them */
	bool veth_two_step;	    /* network.veth_on_bridge.form = two-step */
	bool devpts;		    /* a private devpts instance (hardening.devpts_newinstance) */
	char degraded[16][200];	    /* warnings printed once at start */
	int ndegraded;
	char profile_path[PATH_MAX];
};

/* Load (probe when missing or stale) and decide; refuses under --strict. 0 or -1. */
int features_decide(const struct run_opts *o, struct features *f, struct dc_err *e);
/* One more degradation, printed with the others. */
void features_degrade(struct features *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* diyc-oci (oci_features.c): the namespaces the config asks for against the profile,
 * the host name, rlimits and resources; called by features_decide. */
int oci_decide(const struct run_opts *o, struct features *f, struct dc_err *e);
/* Hard limits above what this process may raise (no CAP_SYS_RESOURCE) clamped, each
 * a degradation named for who ("diyc", "diyc-oci"). */
void features_clamp_rlimits(struct run_rlimit *r, int n, struct features *f, const char *who);
/* Load the profile in use (for `diyc profile`); NULL and a message on failure. */
struct dc_profile *features_profile(const char *path, bool probe_if_stale, struct dc_err *e);

/* ---- state ---- */
#define DC_STATE_VERSION 2
struct state {
	char name[72], image[80];
	char user[72];		  /* -u or the image's User ("" = root): what exec runs as */
	pid_t pid;		  /* container main process, host pid */
	unsigned long long start; /* its start time (clock ticks since boot) */
	pid_t supervisor;
	char status[16]; /* creating, running, exited */
	int exit_code;
	bool rm;
	char created[32];
	char cgroups[8][PATH_MAX]; /* every cgroup directory of the container */
	int ncgroups;
	char kill_dir[PATH_MAX]; /* the cgroup used to find every process */
	unsigned nsmask;	 /* the namespaces it has: bit 1 << enum ns_kind (lib/kfeat.h) */
	bool nnp, seccomp;	 /* security settings exec must repeat */
	char degraded[512];
	char command[256];
	char volumes[1024];    /* the named volumes it uses, "a,b" (volume rm refuses them) */
	char mounts[2048];     /* its -v/--mount/--tmpfs: "TYPE\tSOURCE\tDEST\tro|rw" lines */
	bool read_only;	       /* --read-only */
	int restarts;	       /* how often --restart started it again */
	uint64_t caps;	       /* its capabilities for exec: security_apply's mask (0: default) */
	char group_add[256];   /* --group-add, repeated by exec */
	char bundle[PATH_MAX]; /* diyc-oci: the bundle; its state JSON */
	char annotations[4096];
};

/* Create /run/diyc/NAME and hold its lock: -EEXIST (running or stopped), or 0. */
int state_create(const char *name, int *lockfd);
/* Open an existing container: 0, -ENOENT; *running tells whether its supervisor holds the lock. */
int state_load(const char *name, struct state *st, bool *running);
int state_save(const struct state *st);
int state_remove(const char *name);
/* The start time of pid from /proc/PID/stat, 0 if gone. */
unsigned long long proc_start_time(pid_t pid);
/* Whether pid is still the process we recorded (pid reuse safe). */
bool state_pid_alive(const struct state *st);
/* A running container by (validated) name: 0, or -1 with "no container X" or "... is
 * not running" in e. */
int state_running(const char *name, struct state *st, struct dc_err *e);
/* Wait up to ms for the supervisor of NAME to let go of its lock: whether it did. */
bool state_wait_gone(const char *name, long ms);
/* Names of all containers (state directories). Returns count; frees with free(). */
int state_list(char ***names);
int container_dir(const char *name, char *out, size_t len);

/* ---- cgroups ---- */
struct cg_plan {
	char dirs[8][PATH_MAX];
	char ctrls[8][64]; /* what each dir is for: "v2", "memory", "cpu,cpuacct", ... */
	int n;
	int kill_idx; /* the directory used to enumerate/kill every process */
	bool v2_kill, v2_freeze;
	int v1_freezer_idx;
};
/* Plan and create the container's cgroups below our own; write limits. */
int cg_setup(const char *name, const struct run_opts *o, const struct features *f,
	     struct cg_plan *p, struct dc_err *e);
/* Put pid into every directory of the plan except the v2 one when it was born there. */
int cg_attach(const struct cg_plan *p, pid_t pid, bool born_in_v2, struct dc_err *e);
/* The v2 directory opened for clone3(CLONE_INTO_CGROUP), or -1 when there is none. */
int cg_open_v2(const struct cg_plan *p);
/* Kill every process in the container's cgroup; returns how many were signalled. */
int cg_kill_all(const struct cg_plan *p);
/* The pids in the container's tracking cgroup: the count, or -1. */
int cg_procs(const struct cg_plan *p, pid_t *out, int max);
/* Freeze (pause) or thaw the container's processes: 0, -ENOTSUP without a freezer. */
int cg_freeze(const struct cg_plan *p, bool on);
/* Remove the directories (retrying while busy). 0 or -errno of the first failure. */
int cg_destroy(const struct cg_plan *p);
void cg_plan_from_state(const struct state *st, struct cg_plan *p);
/* Remove a container that has no supervisor any more: processes, cgroups, dirs, state
 * (cmd_rm.c; also diyc gc). */
int remove_dead(const struct state *st, struct dc_err *e);
/* SIGKILL every process of the container through its cgroup, and the main pid
 * (cmd_kill.c; also diyc stop and rm -f). */
void kill_container(const struct state *st);

/* ---- the container process ---- */
struct launch {
	const struct run_opts *o;
	const struct features *f;
	char rootdir[PATH_MAX]; /* containers/NAME */
	char imagedir[PATH_MAX];
	const struct net_plan *net;
	int tty_slave;		  /* -1 without --tty */
	int init_fd;		  /* sealed memfd of diyc-init, -1 if the kernel gave none */
	int log_fd;		  /* -1 unless detached */
	int cgroup_fd;		  /* the v2 cgroup to be born in (clone3), -1 for none */
	bool born_in_cgroup;	  /* set by container_spawn: clone3 put the child in cgroup_fd */
	int err_fd;		  /* (container process) where a setup error goes */
	int fifo_fd;		  /* diyc-oci: O_PATH of the exec fifo, -1 otherwise */
	const struct cg_plan *cg; /* its cgroups (diyc-oci's cgroup mounts) */
};
/* The container process's own steps, after the supervisor released it (each also a
 * failpoint: the process fails with FAILPOINT_MSG NAME and the supervisor dies). */
struct child_step {
	const char *name, *what;
	int (*run)(struct launch *l, struct dc_err *e);
};
extern const struct child_step container_steps[]; /* ends with a NULL name */
/* The stages of an image import or pull where a crash leaves something (failpoints
 * for tests/integration/images.sh; img_import.c). */
struct image_step {
	const char *name, *what;
};
extern const struct image_step image_steps[]; /* ends with a NULL name */
/* Clone the container process (held until container_release). Returns pid or -1. */
pid_t container_spawn(struct launch *l, int *sync_fd, int *err_fd);
/* Let it run; returns 0, or an exit code (126/127/125) with the reason in err. */
int container_release(pid_t pid, int sync_fd, int err_fd, const char *cmd, struct dc_err *err);
/* (container process) Report code and msg on errfd; container_fail then exits. */
int container_report(int errfd, int code, const char *msg);
void container_fail(int errfd, int code, const char *msg) __attribute__((noreturn));
/* diyc-oci: release the held process and wait for its "ready" (set up, waiting on
 * exec.fifo): 0, or its exit code with the reason in err. */
int container_ready(int sync_fd, int err_fd, struct dc_err *err);
/* The message and exit code for a command diyc-init could not execute. */
int exec_failure(const char *cmd, int errnum, struct dc_err *e);

/* ---- oci_rootfs.c, oci_process.c: the container process of diyc-oci ---- */
/* Container step "overlay" for a bundle: the mount tree private, root.path bound. */
int oci_rootfs_bind(const struct launch *l, struct dc_err *e);
/* Container step "pivot" for a bundle: config mounts, /dev, masks, pivot_root. */
int oci_rootfs_pivot(const struct launch *l, struct dc_err *e);
/* Container step "security" for a bundle: rlimits, user, capabilities, seccomp. */
int oci_security(const struct launch *l, struct dc_err *e);
/* After the steps: the command looked up, "ready" on errfd, then the wait on the exec
 * fifo; returns when `start` opened it (errfd then /dev/null), to the exec. */
void oci_exec_when_started(struct launch *l, int errfd);
/* Whether argv[0] resolves to an executable on env's PATH (in the container). */
int oci_lookup(char *const argv[], char **env, struct dc_err *e);

/* ---- rootfs (inside the container process) ---- */
/* DIR and DIR/{upper,work,merged}, the overlay's writable layer. 0 or -errno. */
int layer_dirs(const char *dir);
/* Container step "overlay": private mounts, the writable layer, the overlay mounted. */
int rootfs_overlay(const struct launch *l, struct dc_err *e);
/* Container step "pivot": /dev, /proc, /sys, masks, /etc files; pivot_root. */
int rootfs_pivot(const struct launch *l, struct dc_err *e);
/* /etc/hostname, hosts, resolv.conf in the new root (etcfiles.c). */
int rootfs_write_etc(const struct launch *l, int rootfd, const char *host_resolv,
		     struct dc_err *err);
/* "/proc/self/fd/N": how a mount reaches an fd opened with O_NOFOLLOW (one of 8
 * rotating buffers: good for the arguments of one call). */
const char *rootfs_fd_path(int fd);
/* dest (absolute, inside the root) opened O_PATH, creating missing directories and,
 * with file, the last component as an empty file; no component may be a symlink
 * (-ELOOP), ".." is refused (-EINVAL).  The fd or -errno (shared by diyc run's
 * volumes, mounts.c, and a bundle's mounts, oci_rootfs.c). */
int rootfs_open_dest(int rootfd, const char *dest, bool file);
/* pivot_root into dir, the old root detached; cwd "/". */
int rootfs_pivot_into(const char *dir, struct dc_err *e);
/* The default device nodes and /dev links in devfd. */
int rootfs_dev_nodes(int devfd, struct dc_err *e);
/* Hide masked[] and make readonly[] read-only (paths relative to rootfd). */
int rootfs_mask(int rootfd, const char *const *masked, size_t nmasked, const char *const *readonly,
		size_t nreadonly, struct dc_err *e);

/* ---- restart.c: --restart (the loop itself is in start.h) ---- */
int restart_parse(const char *arg, struct run_opts *o, struct dc_err *e);
/* `diyc stop`, `rm -f`: the container NAME is not to be started again. */
void restart_forbid(const char *name);

/* ---- run_priv.c: --cap-add/--cap-drop, --group-add, --ulimit, --env-file, ... ---- */
/* One of those options (OPT_*): 0, -1 with one line in e, or 1 when c is not one. */
int run_priv_option(int c, const char *arg, struct run_opts *o, struct dc_err *e);
/* After parsing (the image's User known): 0 or -1. */
int run_priv_check(const struct run_opts *o, struct dc_err *e);

/* ---- security (inside the container process, last step before exec) ---- */
/* Docker's default capability set without MKNOD, as a mask (bit N = capability N). */
uint64_t security_default_caps(void);
/* no_new_privs, the seccomp guard without a PID namespace, the capabilities down to
 * caps: a mask with DC_CAPS_SET (--cap-add/--cap-drop: it may be empty), or 0 for the
 * default set. */
#define DC_CAPS_SET (1ULL << 63)
int security_apply(const struct features *f, bool pidns, uint64_t caps, struct dc_err *e);
/* The seccomp filter refusing kill(-1) and kill(-PGID): for a container without a PID
 * namespace. */
int security_kill_guard(struct dc_err *e);
void close_fds_from(int lowfd, const int *keep, int nkeep);

/* ---- steps.c: a container's start, one table ---- */
struct start;
struct step {
	const char *name;  /* also its failpoint (DIYC_FAILPOINT=NAME) */
	const char *needs; /* "-", "bridge" (--net bridge), "ports" (-p), "volumes" (-v NAME:..),
			    * "cli" or "oci": when it does work */
	const char *what;  /* what exists once it is done */
	int (*run)(struct start *s, struct dc_err *e);
	void (*undo)(struct start *s); /* NULL: a later step's undo covers it */
};
extern const struct step start_steps[]; /* ends with a NULL name */
int run_container(const struct run_opts *o);
/* diyc-oci start (oci_cmds.c): open the exec fifo of a created container. */
int oci_start(const char *id, struct dc_err *e);

/* ---- logfile.c: a detached container's log, a time per line ---- */
struct log_pipe {
	int r;	  /* the read end (non-blocking), -1 when there is none */
	int file; /* the log file (O_APPEND) */
	bool bol; /* the next byte starts a line */
};
/* A pipe for the output: 0 (its write end in *write_end) or -1. */
int log_pipe_open(struct log_pipe *lp, int file, int *write_end);
/* Drain the pipe into the file, each line behind its time (lp may be NULL). */
void log_pump(struct log_pipe *lp);
struct log_reader {
	bool keep;	/* -t: the times stay */
	bool bol;	/* at the start of a line (true at the start) */
	char stamp[32]; /* the start of a line held until it is known to be a time */
	size_t held;
};
/* n bytes of a log copied to fd to, without the times unless keep: false when to
 * is gone. */
bool log_copy(struct log_reader *lr, const char *buf, size_t n, int to);
/* At the end: what log_copy still holds (a short last line without its newline). */
void log_flush(struct log_reader *lr, int to);

/* ---- supervise.c: the running container's supervisor (shared with exec) ---- */
extern const int dc_forwarded_signals[]; /* ends with 0 */
/* Default dispositions and an empty mask: how a container's command starts. */
void signals_default(void);
/* The exit code for a wait status: N, or 128+S for signal S. */
int exit_status(int wstatus);
/* Forward signals from sfd to main_pid, copy the terminal, reap orphans; its wait status. */
int wait_main(pid_t main_pid, int sfd, int master, struct log_pipe *log);
/* Kill what the container left, reap it, remove the cgroups. */
void cg_teardown(struct cg_plan *cg);
/* -d: fork; the caller waits for the started code on *notify, prints NAME, leaves. */
int detach(const char *name, int *notify);
void notify_parent(int *fd, char code);

/* Set once this process joined a container's PID namespace (cmd_exec.c: the ASan
 * build's leak check cannot run then). */
extern bool dc_joined_pidns;

/* ---- tty.c: diyc run -t ---- */
int open_pty(int *master, int *slave);
void tty_raw(void);
void tty_restore(void);
void tty_resize(int master);

/* ---- images (image.h has the rest) ---- */
int image_dir(const char *name, char *out, size_t len);
bool image_exists(const char *name);

/* ---- user.c ---- */
bool user_spec_valid(const char *s);
/* (container process) become USER[:GROUP] of the container's /etc/passwd; its home in
 * home. */
int user_apply(const char *spec, const char *group_add, char *home, size_t len, struct dc_err *e);

/* ---- execcmd.c: the command's exec, through diyc-init in a sealed memfd ---- */
/* Set KEY=VAL kv in env (n entries, room for one more): an entry of the same KEY is
 * replaced. The new count. */
int env_put(char **env, int n, char *kv);
/* A sealed memfd holding diyc-init, or -errno. */
int init_memfd(void);
/* Resolve argv[0] on envp's PATH and exec it through diyc-init (init_fd < 0: directly).
 * Returns only on failure, errno set: -1 the command (ENOENT, EACCES ...), -2 diyc-init.
 * A failure of the command's own execve is reported by diyc-init on errfd (4 bytes). */
int exec_command(int init_fd, int errfd, char *const argv[], char **envp);

/* ---- failpoint.c: crash injection for the tests (DIYC_FAILPOINT=STEP) ---- */
void failpoint_init(void);
/* Whether DIYC_FAILPOINT names this step (aborts on a name no step table has). */
bool failpoint_armed(const char *step);
/* Die here with SIGKILL when DIYC_FAILPOINT names this step. */
void failpoint(const char *step);
/* DIYC_FAILPOINT=STEP:error names this step: -1 with e filled ("injected failure
 * after STEP"), else 0. */
int failpoint_error(const char *step, struct dc_err *e);
/* The container process's setup error at an armed step: the supervisor then dies. */
#define FAILPOINT_MSG "failpoint: "
#define FAILPOINT_ERROR "injected failure after "

/* ---- commands ---- */
int cmd_run(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_net(int argc, char **argv);
int cmd_network(int argc, char **argv); /* cmd_network.c, with cmd_port */
int cmd_port(int argc, char **argv);
int cmd_volume(int argc, char **argv);	/* cmd_volume.c */
int cmd_inspect(int argc, char **argv); /* cmd_inspect.c, with wait and rename */
int cmd_wait(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_stats(int argc, char **argv); /* cmd_stats.c, with top */
int cmd_top(int argc, char **argv);
int cmd_cp(int argc, char **argv);    /* cmd_cp.c */
int cmd_debug(int argc, char **argv); /* hidden: diyc debug steps */

#endif
