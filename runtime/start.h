/*
 * What a start makes, shared by the steps of steps.c and diyc-oci's own step
 * "created" (oci_create.c): one struct passed to every step of the table.
 */
#ifndef DIYC_START_H
#define DIYC_START_H

#include "runtime/diyc.h"

#include <signal.h>

struct start {
	const struct run_opts *o;
	struct features f;
	struct state st;
	struct cg_plan cg;
	struct net_plan net;
	struct launch l;
	struct log_pipe log; /* a detached run's output, stamped into its log (r -1: none) */
	int lockfd, master, notify, sfd, syncfd, errfd;
	sigset_t oldmask;
	pid_t pid;
	int code;		 /* the exit code diyc run ends with */
	bool keep;		 /* unwinding after a run: keep state and directory (no --rm) */
	bool tried;		 /* a container process was attempted: its result is kept */
	bool started;		 /* the container's command was released and began */
	double run_started;	 /* when (now_s), for the back-off of --restart */
	char volumes_made[1024]; /* the named volumes step "volumes" made, "a,b" */
};

/* ---- restart.c: --restart, kept by the supervisor ---- */
/* After the command exited (s->code): clone..running again while the policy says so. */
void restart_loop(struct start *s);
/* Monotonic seconds. */
double now_s(void);

/* Now in RFC 3339 (UTC). */
void now_iso(char *out, size_t len);

/* ---- oci_create.c: diyc-oci's part of the table ---- */
/* In step state: the bundle and annotations recorded, exec.fifo made. */
int oci_state_init(struct start *s, struct dc_err *e);
/* In step io: with process.terminal, the pty master goes to --console-socket. */
int oci_console_send(const struct run_opts *o, int *master, struct dc_err *e);
/* Step "created": release the container process, wait until it is set up and waits
 * on exec.fifo; state "created", the hooks of a create, the pid file. */
int oci_created(struct start *s, struct dc_err *e);

#endif
