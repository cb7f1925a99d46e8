/*
 * Context: who and where we are.  Every later verdict depends on it: root
 * without CAP_SYS_ADMIN, a seccomp filter around us, or a user namespace all
 * change what a failing syscall means.
 */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "lib/pfacts.h"
#include "lib/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The kernel's numbering, not libcap's: libcap may be older than the kernel. */
static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

#define CAP_SYS_ADMIN_BIT 21

/* Capability sets as masks: libcap for the running process, status lines for a sysroot. */
static int cap_masks(struct probe_ctx *c, uint64_t *eff, uint64_t *prm, uint64_t *bnd,
		     const char **source)
{
	if (!c->live) {
		if (!c->have_status)
			return -1;
		*eff = c->status.cap_eff, *prm = c->status.cap_prm, *bnd = c->status.cap_bnd;
		*source = "status";
		return 0;
	}
	cap_t caps = cap_get_proc();
	if (!caps)
		return -1;
	*eff = *prm = *bnd = 0;
	for (int i = 0; i < 64; i++) {
		cap_flag_value_t v;
		if (cap_get_flag(caps, (cap_value_t)i, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET)
			*eff |= 1ULL << i;
		if (cap_get_flag(caps, (cap_value_t)i, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
			*prm |= 1ULL << i;
		if (cap_get_bound((cap_value_t)i) == 1)
			*bnd |= 1ULL << i;
	}
	cap_free(caps);
	*source = "libcap";
	return 0;
}

static void cap_list(struct probe_ctx *c, const char *key, uint64_t have, long last)
{
	json_object *arr = json_object_new_array();
	for (long i = 0; i <= last && i < 64; i++)
		if (!(have & (1ULL << i))) {
			char n[32];
			if ((size_t)i < ARRAY_SIZE(cap_names))
				snprintf(n, sizeof(n), "%s", cap_names[i]);
			else
				snprintf(n, sizeof(n), "CAP_%ld", i);
			json_object_array_add(arr, json_object_new_string(n));
		}
	json_object_object_add(dc_profile_obj(c->prof, "context.capabilities"), key, arr);
}

static void capabilities(struct probe_ctx *c)
{
	uint64_t eff, prm, bnd;
	const char *source;
	long last = -1;
	char hex[24];
	struct dc_check k;

	dc_check_init(&k, c->live ? "syscall" : "procfs", NULL);
	k.required = true;
	read_long(sr(c, "/proc/sys/kernel/cap_last_cap"), &last);
	dc_profile_set_int(c->prof, "context.capabilities", "last_cap", last);
	if (cap_masks(c, &eff, &prm, &bnd, &source) < 0) {
		k.status = DC_UNKNOWN;
		dc_check_evidence(&k, "capability sets unreadable");
		dc_profile_add_check(c->prof, "context.privileges", &k);
		return;
	}
	if (last < 0)
		last = (long)ARRAY_SIZE(cap_names) - 1;
	dc_profile_set_str(c->prof, "context.capabilities", "source", source);
	snprintf(hex, sizeof(hex), "%016" PRIx64, eff);
	dc_profile_set_str(c->prof, "context.capabilities", "effective", hex);
	snprintf(hex, sizeof(hex), "%016" PRIx64, prm);
	dc_profile_set_str(c->prof, "context.capabilities", "permitted", hex);
	snprintf(hex, sizeof(hex), "%016" PRIx64, bnd);
	dc_profile_set_str(c->prof, "context.capabilities", "bounding", hex);
	cap_list(c, "effective_missing", eff, last);
	cap_list(c, "bounding_missing", bnd, last);

	bool admin = eff & (1ULL << CAP_SYS_ADMIN_BIT);
	k.compiled = k.enabled = DC_YES;
	k.usable = k.status = (c->euid == 0 && admin) ? DC_YES : DC_NO;
	dc_check_evidence(&k, "euid=%ld", (long)c->euid);
	dc_check_evidence(&k, "CAP_SYS_ADMIN %s", admin ? "effective" : "not effective");
	if (k.status != DC_YES)
		dc_check_hint(&k, "diyc run needs root with CAP_SYS_ADMIN (run it with sudo)");
	dc_profile_add_check(c->prof, "context.privileges", &k);
}

static void user_namespace(struct probe_ctx *c)
{
	struct stat st;
	char map[256];
	const char *how = "unknown";
	int inside = -1;

	/* The initial user namespace has the fixed inode PROC_USER_INIT_INO. */
	if (c->live && stat("/proc/self/ns/user", &st) == 0) {
		inside = st.st_ino != 0xEFFFFFFDU;
		how = "ns inode";
	} else if (sr_read(c, "/proc/self/uid_map", map, sizeof(map)) >= 0) {
		unsigned long a, b, n;
		inside = !(sscanf(map, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 && b == 0 &&
			   n == 4294967295UL);
		how = "uid_map";
	}
	if (inside < 0)
		dc_profile_set_str(c->prof, "context", "in_user_namespace", "unknown");
	else
		dc_profile_set_bool(c->prof, "context", "in_user_namespace", inside);
	dc_profile_set_str(c->prof, "context", "in_user_namespace_method", how);
}

/* Markers a container engine leaves; evidence only (a VM image built by Docker has them too). */
static void container(struct probe_ctx *c)
{
	char env[8192];
	json_object *m = json_object_new_array();

	if (sr_exists(c, "/.dockerenv"))
		json_object_array_add(m, json_object_new_string("/.dockerenv"));
	if (sr_exists(c, "/run/.containerenv"))
		json_object_array_add(m, json_object_new_string("/run/.containerenv"));
	ssize_t n = sr_read(c, "/proc/1/environ", env, sizeof(env));
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(env + i) + 1)
		if (!strncmp(env + i, "container=", 10)) {
			char val[80];
			snprintf(val, sizeof(val), "pid 1 %s", env + i);
			json_object_array_add(m, json_object_new_string(val));
		}
	json_object_object_add(dc_profile_obj(c->prof, "context"), "container_markers", m);
}

static void cmdline(struct probe_ctx *c)
{
	static const char *const keys[] = {"cgroup_disable",
					   "cgroup_enable",
					   "cgroup_no_v1",
					   "cgroup_memory",
					   "swapaccount",
					   "systemd.unified_cgroup_hierarchy",
					   "systemd.legacy_systemd_cgroup_controller",
					   "user_namespace.enable",
					   "namespace.unpriv_enable",
					   "apparmor",
					   "selinux",
					   "lsm",
					   "security",
					   "cgroup_v1_proc",
					   "psi",
					   "nomodule",
					   "module.sig_enforce"};
	char text[8192], val[512];

	json_object *o = dc_profile_obj(c->prof, "context.cmdline");
	if (sr_read(c, "/proc/cmdline", text, sizeof(text)) < 0) {
		json_object_object_add(o, "readable", json_object_new_boolean(0));
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (cmdline_get(text, keys[i], val, sizeof(val)))
			json_object_object_add(o, keys[i],
					       val[0] ? json_object_new_string(val)
						      : json_object_new_boolean(1));
}

void probe_context(struct probe_ctx *c)
{
	char buf[4096];
	struct utsname u;

	if (read_line(sr(c, "/proc/sys/kernel/osrelease"), c->release, sizeof(c->release)) < 0) {
		if (c->live && uname(&u) == 0)
			snprintf(c->release, sizeof(c->release), "%s", u.release);
		else
			snprintf(c->release, sizeof(c->release), "unknown");
	}
	c->have_version = parse_kernel_version(c->release, &c->kmajor, &c->kminor) == 0;
	dc_fact_set_str(c->prof, F_RELEASE, c->release);
	if (c->live && uname(&u) == 0) {
		dc_profile_set_str(c->prof, "kernel", "version", u.version);
		dc_profile_set_str(c->prof, "kernel", "arch", u.machine);
	} else {
		dc_profile_set_str(c->prof, "kernel", "arch",
				   read_line(sr(c, "/proc/sys/kernel/arch"), buf, sizeof(buf)) == 0
				       ? buf
				       : "unknown");
	}
	dc_fact_set_str(c->prof, F_BOOT_ID,
			read_line(sr(c, "/proc/sys/kernel/random/boot_id"), buf, sizeof(buf)) == 0
			    ? buf
			    : NULL);

	c->status.no_new_privs = c->status.seccomp = c->status.seccomp_filters = -1;
	c->status.uid_eff = -1;
	if (sr_read(c, "/proc/self/status", buf, sizeof(buf)) >= 0)
		c->have_status = status_parse(buf, &c->status) == 0;
	c->euid = c->live ? geteuid() : (uid_t)(c->have_status ? c->status.uid_eff : -1);
	dc_profile_set_int(c->prof, "context", "euid", (long)c->euid);
	capabilities(c);
	if (c->status.no_new_privs >= 0) {
		dc_profile_set_bool(c->prof, "context", "no_new_privs",
				    c->status.no_new_privs == 1);
		dc_profile_set_int(c->prof, "context", "seccomp_mode", c->status.seccomp);
		dc_profile_set_int(c->prof, "context", "seccomp_filters",
				   c->status.seccomp_filters);
	} else {
		dc_profile_set_str(c->prof, "context", "no_new_privs", "unknown");
	}
	user_namespace(c);
	container(c);
	if (read_line(sr(c, "/sys/kernel/security/lsm"), buf, sizeof(buf)) == 0)
		dc_profile_set_str(c->prof, "context", "lsm", buf);
	cmdline(c);
	c->have_mi = mountinfo_load(sr(c, "/proc/self/mountinfo"), &c->mi) == 0;
}
