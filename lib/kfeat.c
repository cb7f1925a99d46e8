/* The kernel's vocabulary (kfeat.h): namespaces and cgroup controllers, once. */
#define _GNU_SOURCE
#include "lib/kfeat.h"
#include "lib/util.h"

#include <string.h>
#include <strings.h>

const struct ns_info dc_ns[NS_COUNT] = {
    {NS_MNT, "mnt", CLONE_NEWNS, "CLONE_NEWNS", NULL, "2.4.19", "max_mnt_namespaces", "mount", 0,
     "no mount namespace: a container cannot have its own root filesystem"},
    {NS_UTS, "uts", CLONE_NEWUTS, "CLONE_NEWUTS", "UTS_NS", "2.6.19", "max_uts_namespaces", "UTS",
     'u', "no UTS namespace: the container shares the host name (diyc never changes it)"},
    {NS_IPC, "ipc", CLONE_NEWIPC, "CLONE_NEWIPC", "IPC_NS", "2.6.19", "max_ipc_namespaces", "IPC",
     'i', "no IPC namespace: System V IPC and POSIX message queues are shared with the host"},
    {NS_PID, "pid", CLONE_NEWPID, "CLONE_NEWPID", "PID_NS", "2.6.24", "max_pid_namespaces", "PID",
     'p',
     "no PID namespace: the container sees host processes; diyc tracks its processes by cgroup "
     "and kills them all when the main process exits; kill(-1) is refused"},
    {NS_NET, "net", CLONE_NEWNET, "CLONE_NEWNET", "NET_NS", "2.6.24", "max_net_namespaces",
     "network", 'n', "no network namespace: the container uses the host network"},
    {NS_CGROUP, "cgroup", CLONE_NEWCGROUP, "CLONE_NEWCGROUP", "CGROUPS", "4.6",
     "max_cgroup_namespaces", "cgroup", 0,
     "no cgroup namespace: the container sees host cgroup paths"},
    {NS_TIME, "time", CLONE_NEWTIME, "CLONE_NEWTIME", "TIME_NS", "5.6", "max_time_namespaces",
     "time", 0, "no time namespace: clocks are shared with the host"},
    {NS_USER, "user", CLONE_NEWUSER, "CLONE_NEWUSER", "USER_NS", "3.8", "max_user_namespaces",
     "user", 0, "no user namespace: ids inside are the host's"},
};

const enum ns_kind dc_ns_join_order[] = {NS_IPC, NS_UTS, NS_NET, NS_PID, NS_CGROUP, NS_MNT};
const int dc_ns_join_count = ARRAY_SIZE(dc_ns_join_order);

const struct cg_ctrl_info dc_cg_ctrls[DC_CG_NCTRLS] = {
    {"memory", "memory.limit_in_bytes", "memory.max", "--memory", "4.5"},
    {"cpu", "cpu.cfs_quota_us", "cpu.max", "--cpus", "4.15"},
    {"pids", "pids.max", "pids.max", "--pids-limit", "4.5"},
};

const struct ns_info *dc_ns_by_name(const char *name)
{
	for (int i = 0; i < NS_COUNT; i++)
		if (!strcmp(dc_ns[i].name, name))
			return &dc_ns[i];
	return NULL;
}

/* the OCI runtime spec names a namespace by its title in lower case ("mount",
 * "network", "uts") */
const struct ns_info *dc_ns_by_oci_name(const char *name)
{
	for (int i = 0; name && i < NS_COUNT; i++)
		if (!strcasecmp(dc_ns[i].title, name))
			return &dc_ns[i];
	return NULL;
}

int dc_cg_ctrl_index(const char *name)
{
	for (int i = 0; name && i < DC_CG_NCTRLS; i++)
		if (!strcmp(dc_cg_ctrls[i].name, name))
			return i;
	return -1;
}

void dc_ns_mask_str(unsigned mask, char *out, unsigned long len)
{
	out[0] = '\0';
	for (int i = 0; i < NS_COUNT; i++)
		if (mask & (1u << i))
			strappend(out, len, ",", "%s", dc_ns[i].name);
}

int dc_ns_mask_parse(const char *s, unsigned *mask)
{
	char copy[128];
	*mask = 0;
	if (strlen(s) >= sizeof(copy))
		return -1;
	strcpy(copy, s);
	for (char *save, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const struct ns_info *n = dc_ns_by_name(t);
		if (!n)
			return -1;
		*mask |= 1u << n->kind;
	}
	return 0;
}
