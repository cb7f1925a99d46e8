/*
 * diyc: the runtime.  One file per concern:
 *   main.c       command dispatch, global options, usage
 *   log.c        globals, err/warn/info messages
 *   cmd_run.c    `diyc run` options -> struct run_opts
 *   features.c   profile -> what this kernel lets us use, what is degraded
 *   state.c      /run/diyc/NAME: lock, state.json, liveness
 *   cgroup.c     the container's cgroups (v2, v1, hybrid): limits, tracking, kill
 *   rootfs.c     overlay, pivot_root, /dev, /proc, /sys, masks, /etc files
 *   security.c   capabilities, no_new_privs, seccomp, file descriptors
 *   container.c  the container process: clone, setup, exec
 *   supervise.c  the supervisor: subreaper, signals, exit status, cleanup
 *   image.c      images: list, import (libarchive), remove
 *   execcmd.c    the command's exec through diyc-init (init/) from a sealed memfd
 *   failpoint.c  crash injection for the tests (DIYC_FAILPOINT)
 *   cmd_*.c      ps, stop, kill, rm, gc, exec, logs, images, profile
 */
#ifndef DIYC_RUNTIME_H
#define DIYC_RUNTIME_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "profile.h"

/* Exit codes of diyc itself (a container's own status passes through). */
#define EXIT_DIYC 125	  /* diyc failed: bad input, setup error */
#define EXIT_CANNOT 126	  /* the command exists but cannot be executed */
#define EXIT_NOTFOUND 127 /* the command was not found */

#define DC_STATE_DIR "/run/diyc"
#define DC_DATA_ROOT "/var/lib/diyc"
#define DC_CG_PREFIX "diyc-"

struct globals {
	const char *root;      /* data root: images/, containers/ */
	const char *state_dir; /* /run/diyc */
	int verbose;
};
extern struct globals G;

/* Print "diyc: ..." on stderr. */
void err(const char *f, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *f, ...) __attribute__((format(printf, 1, 2)));
void info(const char *f, ...) __attribute__((format(printf, 1, 2)));

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
	bool rm, detach, tty, strict;
	const char *profile;
	/* --net: NET_AUTO = a private namespace when the kernel has one, else the host's */
	enum net_mode { NET_AUTO, NET_NONE, NET_HOST, NET_BRIDGE } net;
	uint32_t ip;	 /* --ip, host byte order; 0 = any */
	char ports[256]; /* -p, normalised: "HOST:CONTAINER/proto,..." */
};

/* ---- net.c, ipam.c: the container's network ---- */
struct net_plan {
	bool bridge;
	uint32_t ip, gw; /* host byte order */
	int prefix;
	char name[32], host_if[20], bridge_if[16], ports[256];
	bool veth_two_step; /* the profile: this kernel refuses IFLA_MASTER at creation */
};
struct lease {
	uint32_t ip;
	char name[64], ports[256], host_if[20];
};
struct netconf;
int ipam_alloc(const struct netconf *c, const char *name, uint32_t want, const char *ports,
	       const char *host_if, uint32_t *out, char *why, size_t len);
int ipam_release(const char *name);
int ipam_list(struct lease *l, int max);
int ipam_count(void);
struct features;
int net_prepare(const struct run_opts *o, const struct features *f, struct net_plan *p);
int net_attach(const struct net_plan *p, pid_t pid, char *why, size_t len);
int net_child(const struct net_plan *p, char *why, size_t len);
void net_teardown(const struct net_plan *p);
void net_release(const struct lease *l);
int net_gc(bool (*alive)(const char *name));
int cmd_net(int argc, char **argv);

/* ---- features: what the kernel offers, decided from the profile ---- */
enum ns_kind { NS_MNT, NS_UTS, NS_IPC, NS_PID, NS_NET, NS_CGROUP, NS_TIME, NS_COUNT };
extern const char *const ns_names[NS_COUNT];

struct features {
	bool ns[NS_COUNT];
	bool overlay;
	bool seccomp, nnp;
	bool cg_tracking;
	bool cg_ctrl_memory, cg_ctrl_cpu, cg_ctrl_pids;
	bool cg_legacy;		/* cgroups.mode = legacy: v1 hierarchies only */
	bool veth_two_step;	/* network.veth_on_bridge.form = two-step */
	bool devpts;		/* a private devpts instance (hardening.devpts_newinstance) */
	char degraded[16][200]; /* warnings printed once at start */
	int ndegraded;
	char profile_path[PATH_MAX];
};

/* Load (probe when missing or stale) and decide; refuses under --strict. 0 or -1. */
int features_decide(const struct run_opts *o, struct features *f);
/* Load the profile in use (for `diyc profile`); NULL and a message on failure. */
struct dc_profile *features_profile(const char *path, bool probe_if_stale, char *why, size_t len);

/* ---- state ---- */
struct state {
	char name[32], image[80];
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
	char namespaces[80];
	bool nnp, seccomp; /* security settings exec must repeat */
	char degraded[512];
	char command[256];
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
/* Plan and create the container's cgroups below our own; write limits. 0 or -1 (message printed).
 */
int cg_setup(const char *name, const struct run_opts *o, const struct features *f,
	     struct cg_plan *p);
/* Put pid into every directory of the plan except the v2 one when it was born there. */
int cg_attach(const struct cg_plan *p, pid_t pid, bool born_in_v2);
/* The v2 directory opened for clone3(CLONE_INTO_CGROUP), or -1 when there is none. */
int cg_open_v2(const struct cg_plan *p);
/* Kill every process in the container's cgroup; returns how many were signalled. */
int cg_kill_all(const struct cg_plan *p);
/* Remove the directories (retrying while busy). 0 or -errno of the first failure. */
int cg_destroy(const struct cg_plan *p);
void cg_plan_from_state(const struct state *st, struct cg_plan *p);

/* ---- the container process ---- */
struct launch {
	const struct run_opts *o;
	const struct features *f;
	char rootdir[PATH_MAX]; /* containers/NAME */
	char imagedir[PATH_MAX];
	const struct net_plan *net;
	int tty_slave;	     /* -1 without --tty */
	int init_fd;	     /* sealed memfd of diyc-init, -1 if the kernel gave none */
	int log_fd;	     /* -1 unless detached */
	int cgroup_fd;	     /* the v2 cgroup to be born in (clone3), -1 for none */
	bool born_in_cgroup; /* set by container_spawn: clone3 put the child in cgroup_fd */
};
/* Clone the container process (held until container_release). Returns pid or -1. */
pid_t container_spawn(struct launch *l, int *sync_fd, int *err_fd);
/* Let it run; returns 0, or an exit code (126/127/125) with the message printed. */
int container_release(pid_t pid, int sync_fd, int err_fd, const char *cmd);
/* The message and exit code for a command diyc-init could not execute. */
int exec_failure(const char *cmd, int e);

/* ---- rootfs (inside the container process) ---- */
/* DIR and DIR/{upper,work,merged}, the overlay's writable layer. 0 or -errno. */
int layer_dirs(const char *dir);
/* Everything from the private mount namespace to pivot_root. Returns 0 or -1, why filled. */
int rootfs_setup(const struct launch *l, char *why, size_t len);

/* ---- security (inside the container process, last step before exec) ---- */
int security_apply(const struct features *f, bool pidns, char *why, size_t len);
void close_fds_from(int lowfd, int keep1, int keep2);

/* ---- supervisor ---- */
int run_container(const struct run_opts *o);

/* ---- images ---- */
int image_dir(const char *name, char *out, size_t len);
bool image_exists(const char *name);

/* ---- execcmd.c: the command's exec, through diyc-init in a sealed memfd ---- */
/* A sealed memfd holding diyc-init, or -errno. */
int init_memfd(void);
/* Resolve argv[0] on envp's PATH and exec it through diyc-init (init_fd < 0: directly).
 * Returns only on failure, errno set: -1 the command (ENOENT, EACCES ...), -2 diyc-init.
 * A failure of the command's own execve is reported by diyc-init on errfd (4 bytes). */
int exec_command(int init_fd, int errfd, char *const argv[], char **envp);

/* ---- failpoint.c: crash injection for the tests (DIYC_FAILPOINT=STAGE) ---- */
void failpoint_init(void);
/* Whether DIYC_FAILPOINT names this stage (aborts on a stage not in the list). */
bool failpoint_armed(const char *stage);
/* Die here with SIGKILL when DIYC_FAILPOINT names this stage. */
void failpoint(const char *stage);
/* The errno a kernel would answer when DIYC_FAULT names this fault, else 0 (aborts on
 * a fault not in the list). */
int fault_errno(const char *name);
/* The container process's setup error at an armed stage: the supervisor then dies. */
#define FAILPOINT_MSG "failpoint: "

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

#endif
