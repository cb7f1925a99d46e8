/*
 * diyc-oci features and spec.  `features` is the runtime-spec features document
 * filled from the *live profile*: the namespaces this kernel really offers, its
 * cgroup mode, whether it filters system calls; what a caller may ask and have
 * honoured here (runc prints what it was built for, whatever the kernel).  `spec`
 * writes a default config.json, as `runc spec` does.
 */
#define _GNU_SOURCE
#include "runtime/oci_int.h"
#include "lib/util.h"
#include "lib/version.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

static json_object *strings(const char *const *v)
{
	json_object *a = json_object_new_array();
	for (int i = 0; v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *linux_part(const struct dc_facts *f)
{
	json_object *l = json_object_new_object(), *ns = json_object_new_array();
	for (int i = 0; i < NS_COUNT; i++)
		if (f->ns[i] == DC_YES && i != NS_USER) {
			char t[32];
			snprintf(t, sizeof(t), "%s", dc_ns[i].title);
			for (char *c = t; *c; c++)
				*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
			json_object_array_add(ns, json_object_new_string(t));
		}
	json_object_object_add(l, "namespaces", ns);
	json_object *caps = json_object_new_array();
	for (int c = 0; c <= CAP_LAST_CAP; c++) {
		char *n = cap_to_name((cap_value_t)c), up[64];
		snprintf(up, sizeof(up), "%s", n ? n : "");
		cap_free(n);
		for (char *p = up; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		if (c != CAP_MKNOD && !strncmp(up, "CAP_", 4))
			json_object_array_add(caps, json_object_new_string(up));
	}
	json_object_object_add(l, "capabilities", caps);
	json_object *cg = json_object_new_object();
	bool v2 = !strcmp(f->cg_mode, "unified") || !strcmp(f->cg_mode, "hybrid");
	json_object_object_add(cg, "v1", json_object_new_boolean(strcmp(f->cg_mode, "unified")));
	json_object_object_add(cg, "v2", json_object_new_boolean(v2));
	json_object_object_add(cg, "systemd", json_object_new_boolean(false));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(false));
	json_object_object_add(l, "cgroup", cg);
	json_object *sc = json_object_new_object();
	static const char *const acts[] = {
	    "SCMP_ACT_ALLOW",	     "SCMP_ACT_ERRNO",	     "SCMP_ACT_KILL",
	    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
	    "SCMP_ACT_TRAP",	     "SCMP_ACT_TRACE",	     NULL};
	static const char *const ops[] = {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
					  "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
					  "SCMP_CMP_NE", NULL};
	json_object_object_add(sc, "enabled", json_object_new_boolean(f->seccomp == DC_YES));
	json_object_object_add(sc, "actions", strings(acts));
	json_object_object_add(sc, "operators", strings(ops));
	json_object_object_add(l, "seccomp", sc);
	json_object *no = json_object_new_object();
	json_object_object_add(no, "enabled", json_object_new_boolean(false));
	json_object_object_add(l, "apparmor", no);
	json_object_object_add(l, "selinux", json_object_get(no));
	return l;
}

int oci_cmd_features(int argc, char **argv)
{
	struct dc_err e = {0};
	struct dc_facts f;
	(void)argv;
	if (argc != 1)
		return oci_fail(&(struct dc_err){.msg = "features takes no arguments"});
	const char *path = getenv("DIYC_PROFILE") ?: dc_default_profile();
	struct dc_profile *p = features_profile(path, true, &e);
	if (!p)
		return oci_fail(&e);
	dc_facts_read(p, &f);
	dc_profile_free(p);
	json_object *o = json_object_new_object(), *mo = json_object_new_array();
	json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(o, "ociVersionMax", json_object_new_string(OCI_VERSION));
	json_object *hooks = json_object_new_array();
	for (int k = 0; k < HOOK_KINDS; k++)
		json_object_array_add(hooks, json_object_new_string(oci_hook_names[k]));
	json_object_object_add(o, "hooks", hooks);
	for (int i = 0; oci_mount_option_name(i); i++)
		json_object_array_add(mo, json_object_new_string(oci_mount_option_name(i)));
	json_object_object_add(o, "mountOptions", mo);
	json_object_object_add(o, "linux", linux_part(&f));
	json_object *an = json_object_new_object();
	json_object_object_add(an, "org.diyc.version", json_object_new_string(DIYC_VERSION));
	json_object_object_add(an, "org.diyc.profile", json_object_new_string(path));
	json_object_object_add(an, "org.diyc.cgroups.mode", json_object_new_string(f.cg_mode));
	json_object_object_add(o, "annotations", an);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}

/* runc spec's default, with diyc's capability set (no CAP_MKNOD: no device cgroup) */
static const char default_spec[] =
    "{\n"
    "  \"ociVersion\": \"" OCI_VERSION "\",\n"
    "  \"process\": {\n"
    "    \"terminal\": true,\n"
    "    \"user\": {\"uid\": 0, \"gid\": 0},\n"
    "    \"args\": [\"sh\"],\n"
    "    \"env\": [\"PATH=" DC_PATH "\", \"TERM=xterm\"],\n"
    "    \"cwd\": \"/\",\n"
    "    \"capabilities\": {\n"
    "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]\n"
    "    },\n"
    "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],\n"
    "    \"noNewPrivileges\": true\n"
    "  },\n"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    "  \"hostname\": \"diyc\",\n"
    "  \"mounts\": [\n"
    "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
    "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
    "    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", "
    "\"mode=0620\", \"gid=5\"]},\n"
    "    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},\n"
    "    {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},\n"
    "    {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},\n"
    "    {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}\n"
    "  ],\n"
    "  \"linux\": {\n"
    "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},\n"
    "                   {\"type\": \"uts\"}, {\"type\": \"mount\"}],\n"
    "    \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\",\n"
    "      \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\",\n"
    "      \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"],\n"
    "    \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\",\n"
    "      \"/proc/sysrq-trigger\"]\n"
    "  }\n"
    "}\n";

int oci_cmd_spec(int argc, char **argv)
{
	const char *bundle = ".";
	char path[4096];
	for (int i = 1; i < argc; i++)
		if ((!strcmp(argv[i], "--bundle") || !strcmp(argv[i], "-b")) && i + 1 < argc)
			bundle = argv[++i];
		else
			return oci_fail(&(struct dc_err){.msg = "spec takes only --bundle DIR"});
	if (fmt(path, sizeof(path), "%s/config.json", bundle) < 0)
		return oci_fail(&(struct dc_err){.msg = "bundle path too long"});
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		struct dc_err e = {0};
		dc_fail(&e, errno == EEXIST ? 0 : errno, "%s%s", path,
			errno == EEXIST ? " exists: remove it first" : "");
		return oci_fail(&e);
	}
	ssize_t n = write(fd, default_spec, sizeof(default_spec) - 1);
	close(fd);
	return n == (ssize_t)sizeof(default_spec) - 1 ? 0 : 1;
}
