/*
 * diyc-oci's internal interfaces between its files (oci.h lists them): the
 * state of a container as the OCI spec names it, hooks, and the commands.
 */
#ifndef DIYC_OCI_INT_H
#define DIYC_OCI_INT_H

#include "runtime/diyc.h"
#include "runtime/oci.h"

/* ---- oci_state.c ---- */
/* Load container ID's state: 0, or -1 with runc's "container ID does not exist". */
int oci_load(const char *id, struct state *st, struct dc_err *e);
/* created, running, paused or stopped: from the pid (and its start time), the exec
 * fifo and the freezer. */
const char *oci_status(const struct state *st);
/* The state JSON of the runtime spec, pretty or on one line (caller frees). */
char *oci_state_json(const struct state *st, bool pretty);
/* An id is [A-Za-z0-9][A-Za-z0-9_.+-]*, at most OCI_ID_MAX: 0 or -1 and a reason. */
int oci_id_check(const char *id, struct dc_err *e);

/* ---- oci_process.c ---- */
/* rlimits, no_new_privs, the seccomp filter (a json_object; seccomp_ok: the kernel
 * filters), the kill guard without a PID namespace, user and capabilities, umask. */
int oci_process_apply(const struct oci_process *p, void *seccomp, bool seccomp_ok, bool pidns,
		      struct dc_err *e);

/* ---- oci_create.c ---- */
/* Connect to a console socket (before a mount namespace hides it): fd or -1. */
int oci_console_connect(const char *path, struct dc_err *e);
/* Write pid to path atomically (the pid files of create and exec). */
int oci_pid_file(const char *path, pid_t pid, struct dc_err *e);
/* Send the pty master over a connected console socket, then close both. */
int oci_console_pass(int sock, int master, struct dc_err *e);

/* ---- oci_hooks.c ---- */
/* Run the hooks of kind with the state JSON on stdin; the first failure fails. */
int oci_hooks(const struct oci_spec *s, const struct state *st, enum oci_hook_kind kind,
	      struct dc_err *e);

/* ---- commands ---- */
int oci_cmd_create(int argc, char **argv);
int oci_cmd_run(int argc, char **argv);
int oci_cmd_start(int argc, char **argv);
int oci_cmd_state(int argc, char **argv);
int oci_cmd_kill(int argc, char **argv);
int oci_cmd_delete(int argc, char **argv);
int oci_cmd_list(int argc, char **argv);
int oci_cmd_ps(int argc, char **argv);
int oci_cmd_pause(int argc, char **argv);
int oci_cmd_resume(int argc, char **argv);
int oci_cmd_update(int argc, char **argv);
int oci_cmd_exec(int argc, char **argv);
int oci_cmd_features(int argc, char **argv);
int oci_cmd_spec(int argc, char **argv);

/* Print e in the log's format (text or json) and return 1, runc's failure status. */
int oci_fail(const struct dc_err *e);
/* The same for a message f with one string argument a. */
int oci_failf(const char *f, const char *a);

#endif
