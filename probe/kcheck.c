/*
 * Kernel configuration as supporting evidence (never the verdict): which
 * options the running kernel was built with, and for "=m" where the module
 * is.  An option that does not exist on this kernel version is "n/a".
 */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct kopt_info {
	const char *name;
	const char *since;   /* introduced in */
	const char *removed; /* gone (renamed or always on) from */
	const char *module;  /* module name when built as =m */
};

static const struct kopt_info options[] = {
    {"NAMESPACES", NULL, NULL, NULL},
    {"UTS_NS", NULL, NULL, NULL},
    {"IPC_NS", NULL, NULL, NULL},
    {"PID_NS", NULL, NULL, NULL},
    {"NET_NS", NULL, NULL, NULL},
    {"USER_NS", "3.8", NULL, NULL},
    {"TIME_NS", "5.6", NULL, NULL},
    {"CGROUPS", NULL, NULL, NULL},
    {"MEMCG", "3.6", NULL, NULL},
    {"MEMCG_V1", "6.12", NULL, NULL},
    {"MEMCG_SWAP", NULL, "6.1", NULL},
    {"CGROUP_PIDS", "4.3", NULL, NULL},
    {"CGROUP_FREEZER", NULL, NULL, NULL},
    {"CGROUP_SCHED", NULL, NULL, NULL},
    {"CFS_BANDWIDTH", NULL, NULL, NULL},
    {"CGROUP_DEVICE", NULL, NULL, NULL},
    {"CGROUP_BPF", "4.10", NULL, NULL},
    {"CPUSETS", NULL, NULL, NULL},
    {"SWAP", NULL, NULL, NULL},
    {"OVERLAY_FS", "3.18", NULL, "overlay"},
    {"DEVPTS_MULTIPLE_INSTANCES", NULL, "4.7", NULL},
    {"POSIX_MQUEUE", NULL, NULL, NULL},
    {"VETH", NULL, NULL, "veth"},
    {"BRIDGE", NULL, NULL, "bridge"},
    {"BRIDGE_NETFILTER", NULL, NULL, "br_netfilter"},
    {"NETFILTER", NULL, NULL, NULL},
    {"NF_CONNTRACK", NULL, NULL, "nf_conntrack"},
    {"NF_NAT", NULL, NULL, "nf_nat"},
    {"IP_NF_IPTABLES", NULL, NULL, "ip_tables"},
    {"IP_NF_NAT", NULL, NULL, "iptable_nat"},
    {"NETFILTER_XT_TARGET_MASQUERADE", NULL, NULL, "xt_MASQUERADE"},
    {"NF_TABLES", "3.13", NULL, "nf_tables"},
    {"NFT_NAT", "3.13", NULL, "nft_nat"},
    {"SECCOMP", NULL, NULL, NULL},
    {"SECCOMP_FILTER", "3.5", NULL, NULL},
    {"MODULES", NULL, NULL, NULL},
    {"IKCONFIG_PROC", NULL, NULL, NULL},
};

/* Modules the runtime may need; their state is reported whatever the config says. */
static const char *const modules[] = {"overlay", "veth",      "bridge",	     "br_netfilter",
				      "nf_nat",	 "ip_tables", "iptable_nat", "nf_tables"};

const char *kopt_for_module(const char *module)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (options[i].module && !strcmp(options[i].module, module))
			return options[i].name;
	return NULL;
}

static const struct kopt_info *kopt_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (!strcmp(options[i].name, name))
			return &options[i];
	return NULL;
}

const char *kopt(struct probe_ctx *c, const char *name)
{
	return c->have_kc ? kconfig_get(&c->kc, name) : NULL;
}

/* "y", "m", "n", "absent" or "n/a" (absent because this kernel version has no such option). */
static const char *kopt_word(struct probe_ctx *c, const char *name)
{
	const char *v = kopt(c, name);
	if (!c->have_kc)
		return "unknown";
	if (v)
		return v;
	const struct kopt_info *i = kopt_find(name);
	if (i && ((i->since && kernel_before(c, i->since)) ||
		  (i->removed && c->have_version && !kernel_before(c, i->removed))))
		return "n/a";
	return "absent";
}

void kopt_evidence(struct probe_ctx *c, struct dc_check *k, const char *name)
{
	const char *w = kopt_word(c, name);
	if (!strcmp(w, "unknown"))
		return;
	if (!strcmp(w, "n"))
		dc_check_evidence(k, "CONFIG_%s is not set", name);
	else
		dc_check_evidence(k, "CONFIG_%s=%s", name, w);
	if (k->compiled == DC_UNKNOWN) {
		if (!strcmp(w, "y") || !strcmp(w, "m"))
			k->compiled = DC_YES;
		else if (!strcmp(w, "n") || !strcmp(w, "absent"))
			k->compiled = DC_NO;
	}
}

static int find_config(struct probe_ctx *c, char *src, size_t len)
{
	char cand[4][300];
	int r = -ENOENT;

	snprintf(cand[0], sizeof(cand[0]), "/proc/config.gz");
	snprintf(cand[1], sizeof(cand[1]), "/boot/config-%s", c->release);
	snprintf(cand[2], sizeof(cand[2]), "/lib/modules/%s/config", c->release);
	snprintf(cand[3], sizeof(cand[3]), "/lib/modules/%s/build/.config", c->release);
	for (size_t i = 0; i < ARRAY_SIZE(cand); i++) {
		if (!sr_exists(c, cand[i]))
			continue;
		r = kconfig_load(sr(c, cand[i]), &c->kc);
		fmt(src, len, "%s", cand[i]);
		if (r == 0)
			return 0;
	}
	return r;
}

void probe_kconfig(struct probe_ctx *c)
{
	char src[300] = "", buf[64];
	struct dc_check k;
	int r;

	dc_check_init(&k, "config", NULL);
	r = find_config(c, src, sizeof(src));
	c->have_kc = r == 0;
	if (c->have_kc) {
		k.status = k.compiled = k.enabled = k.usable = DC_YES;
		dc_check_evidence(&k, "%s: %zu options", src, c->kc.n);
		/* major.minor only: Debian's 6.1.0-13-amd64 is built from 6.1.55 */
		int hmaj, hmin;
		bool match = c->kc.header_version[0] && c->have_version &&
			     parse_kernel_version(c->kc.header_version, &hmaj, &hmin) == 0 &&
			     hmaj == c->kmajor && hmin == c->kminor;
		if (c->kc.header_version[0] && !match) {
			k.status = DC_PARTIAL;
			dc_check_evidence(&k, "header says %s, running %s", c->kc.header_version,
					  c->release);
			dc_check_hint(&k, "the config file may belong to another kernel");
		}
		if (c->kc.bad_lines)
			dc_check_evidence(&k, "%zu unparsable lines skipped", c->kc.bad_lines);
		dc_profile_set_str(c->prof, "kconfig", "source", src);
		dc_profile_set_bool(c->prof, "kconfig", "matches_running", match);
	} else {
		k.status = DC_UNKNOWN;
		if (src[0])
			dc_check_evidence(&k, "%s unreadable: %s", src, errno_name(r));
		else
			dc_check_evidence(&k,
					  "no /proc/config.gz, /boot/config-%s or "
					  "/lib/modules/%s/config",
					  c->release, c->release);
		dc_check_errno(&k, r);
		dc_check_hint(&k, "supporting evidence only: load the configs module "
				  "(CONFIG_IKCONFIG_PROC) or install the kernel's config file");
		dc_profile_set_str(c->prof, "kconfig", "source", NULL);
	}
	dc_profile_add_check(c->prof, "kconfig.config", &k);
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		snprintf(buf, sizeof(buf), "CONFIG_%s", options[i].name);
		dc_profile_set_str(c->prof, "kconfig.options", buf, kopt_word(c, options[i].name));
	}
	for (size_t i = 0; i < ARRAY_SIZE(modules); i++)
		dc_profile_set_str(c->prof, "kconfig.modules", modules[i],
				   module_state(c, modules[i]));
}
