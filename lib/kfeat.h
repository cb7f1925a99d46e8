/*
 * The kernel's vocabulary, written once: every namespace diyc knows (its name in
 * /proc/self/ns, CLONE flag, CONFIG option, first kernel, the sysctl that limits
 * it, and what a container shares with the host without it) and the cgroup
 * controllers diyc limits with.  The probe measures these rows, the runtime clones,
 * joins (exec) and records them, nsexec offers them, and `diyc debug features`
 * prints them for the docs.  A new namespace is one new row here.
 */
#ifndef DIYC_KFEAT_H
#define DIYC_KFEAT_H

#include <sched.h>
#include <stdbool.h>

/* CLONE_NEWCGROUP (4.6) and CLONE_NEWTIME (5.6) come from glibc's <sched.h> (both
 * in glibc 2.36, Debian 12's); no copy of their values is kept here. */

enum ns_kind { NS_MNT, NS_UTS, NS_IPC, NS_PID, NS_NET, NS_CGROUP, NS_TIME, NS_USER, NS_COUNT };

struct ns_info {
	enum ns_kind kind;
	const char *name;      /* "uts": /proc/self/ns/NAME, profile namespaces.NAME */
	unsigned long flag;    /* CLONE_NEWUTS */
	const char *flag_name; /* "CLONE_NEWUTS" */
	const char *kopt;      /* "UTS_NS" (CONFIG_), NULL when always built in */
	const char *since;     /* first kernel with it */
	const char *max;       /* its /proc/sys/user/ limit */
	const char *title;     /* "UTS", for messages */
	char nsexec_opt;       /* nsexec's option for it, 0 for none */
	const char *without;   /* the degraded-mode warning of diyc run without it */
};

extern const struct ns_info dc_ns[NS_COUNT];
/* The row of NAME, or NULL. */
const struct ns_info *dc_ns_by_name(const char *name);
/* The row the OCI runtime spec calls NAME ("mount", "network", "pid"), or NULL. */
const struct ns_info *dc_ns_by_oci_name(const char *name);
/* The order `diyc exec` joins namespaces in (the mount namespace last: the others
 * are opened through /proc, which changes meaning once it is joined). */
extern const enum ns_kind dc_ns_join_order[];
extern const int dc_ns_join_count;

/* The namespaces in mask (bit 1 << kind) as "mnt,uts,..." */
void dc_ns_mask_str(unsigned mask, char *out, unsigned long len);
/* "mnt,uts,..." back to a mask; -1 for a name not in the table. */
int dc_ns_mask_parse(const char *s, unsigned *mask);

/* The cgroup controllers diyc limits with, and the freezer it may kill through. */
struct cg_ctrl_info {
	const char *name;    /* "memory" */
	const char *v1_file; /* the limit file on v1, "memory.limit_in_bytes" */
	const char *v2_file; /* on v2, "memory.max" */
	const char *flag;    /* the diyc run option that needs it */
	const char *since;   /* first kernel whose v2 hierarchy has it */
};
#define DC_CG_NCTRLS 3
extern const struct cg_ctrl_info dc_cg_ctrls[DC_CG_NCTRLS];
/* The index in dc_cg_ctrls of controller NAME, or -1. */
int dc_cg_ctrl_index(const char *name);

#endif
