/*
 * Network: veth and bridge creation through rtnetlink, the iptables nat
 * table (userspace tool and kernel side) and net.ipv4.ip_forward.  The
 * interfaces are created inside a throw-away network namespace that dies
 * with the test process, so nothing can remain on the host.
 */
#define _GNU_SOURCE
#include "probe.h"
#include "rtnl.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* From <linux/netfilter_ipv4/ip_tables.h>, which clashes with glibc's <net/if.h>. */
#define IPT_SO_GET_INFO_ 64
struct ipt_getinfo_ {
	char name[32];
	unsigned valid_hooks, hook_entry[5], underflow[5], num_entries, size;
};

struct net_test {
	bool veth, bridge; /* which kinds to try */
	bool ipt, nft;	   /* which netfilter kernels to try */
};

/* Results travel back in res->detail as "veth=OK bridge=OK master=OK ipt=ENOENT nft=OK". */
static int child_net(struct child_result *res, void *arg)
{
	struct net_test *t = arg;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	int r;

	if (unshare(CLONE_NEWNET) < 0)
		return child_fail(res, "unshare(CLONE_NEWNET)", errno);
	nl = rtnl_open();
	if (!nl)
		return child_fail(res, "rtnetlink socket", errno);
	res->detail[0] = '\0';
	int rv = -1, rb = -1;
	if (t->veth) {
		rv = rtnl_link_add(nl, "diyc-probe0", "veth", "diyc-probe1", 0, NULL, false);
		strappend(res->detail, sizeof(res->detail), " ", "veth=%s",
			  rv ? errno_name(rv) : "OK");
	}
	if (t->bridge) {
		rb = rtnl_link_add(nl, "diyc-probebr", "bridge", NULL, 0, NULL, false);
		strappend(res->detail, sizeof(res->detail), " ", "bridge=%s",
			  rb ? errno_name(rb) : "OK");
	}
	if (rv == 0 && rb == 0) {
		r = rtnl_link_set_master(nl, "diyc-probe0", "diyc-probebr");
		strappend(res->detail, sizeof(res->detail), " ", "master=%s",
			  r ? errno_name(r) : "OK");
	}
	rtnl_close(nl);

	if (t->ipt) {
		int s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
		struct ipt_getinfo_ info;
		socklen_t len = sizeof(info);
		memset(&info, 0, sizeof(info));
		snprintf(info.name, sizeof(info.name), "nat");
		r = s < 0							   ? errno
		    : getsockopt(s, IPPROTO_IP, IPT_SO_GET_INFO_, &info, &len) < 0 ? errno
										   : 0;
		if (s >= 0)
			close(s);
		strappend(res->detail, sizeof(res->detail), " ", "ipt=%s",
			  r ? errno_name(r) : "OK");
	}
	if (t->nft) {
		struct mnl_socket *nf = mnl_socket_open(NETLINK_NETFILTER);
		r = (!nf || mnl_socket_bind(nf, 0, MNL_SOCKET_AUTOPID) < 0) ? errno : 0;
		if (!r) {
			struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
			nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN;
			nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
			struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
			g->nfgen_family = AF_UNSPEC;
			g->version = NFNETLINK_V0;
			r = nl_request(nf, nlh);
		}
		if (nf)
			mnl_socket_close(nf);
		strappend(res->detail, sizeof(res->detail), " ", "nft=%s",
			  r ? errno_name(r) : "OK");
	}
	return 0;
}

/* "OK", an errno name, or NULL when the item was not tested. */
static const char *result(const char *detail, const char *key, char *out, size_t len)
{
	char pat[32];
	snprintf(pat, sizeof(pat), "%s=", key);
	const char *s = strstr(detail, pat);
	if (!s || sscanf(s + strlen(pat), "%31s", out) != 1 || len < 32)
		return NULL;
	return out;
}

/* Find the iptables binary and which backend it is (no process is started). */
static const char *iptables_variant(char *path, size_t len)
{
	static const char *const dirs[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};
	char cand[PATH_MAX], real[PATH_MAX];
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(cand, sizeof(cand), "%s/iptables", dirs[i]);
		if (access(cand, X_OK) < 0 || !realpath(cand, real))
			continue;
		snprintf(path, len, "%s", cand);
		if (strstr(real, "nft"))
			return "nf_tables";
		if (strstr(real, "legacy"))
			return "legacy";
		return "unknown";
	}
	return NULL;
}

static void link_check(struct probe_ctx *c, const char *kind, const char *module,
		       const char *kopt_name, const char *detail, bool ran, const char *fail)
{
	struct dc_check k;
	char key[64], v[32];
	const char *st = module_state(c, module);

	dc_check_init(&k, c->live ? "netlink" : "config", NULL);
	kopt_evidence(c, &k, kopt_name);
	dc_check_evidence(&k, "module %s %s", module, st);
	k.enabled = DC_YES;
	const char *r = ran ? result(detail, kind, v, sizeof(v)) : NULL;
	if (r && !strcmp(r, "OK")) {
		k.status = k.usable = k.compiled = DC_YES;
		dc_check_evidence(&k, "RTM_NEWLINK kind %s ok in a private netns", kind);
	} else if (r) {
		k.status = k.usable = DC_NO;
		snprintf(k.err, sizeof(k.err), "%s", r);
		dc_check_evidence(&k, "RTM_NEWLINK kind %s=%s", kind, r);
		if (!strcmp(r, "EOPNOTSUPP"))
			dc_check_hint(&k, "the kernel has no %s device: CONFIG_%s=y or =m", kind,
				      kopt_name);
	} else if (!strcmp(st, "loadable")) {
		k.compiled = DC_YES;
		k.status = DC_PARTIAL;
		k.usable = DC_UNKNOWN;
		dc_check_hint(&k,
			      "module %s is not loaded: diyc loads it when needed, or run "
			      "diyc-probe --load-modules",
			      module);
	} else if (fail) {
		k.status = k.usable = DC_UNKNOWN;
		dc_check_evidence(&k, "%s", fail);
	} else {
		k.status = k.compiled == DC_NO ? DC_NO : DC_UNKNOWN;
	}
	snprintf(key, sizeof(key), "network.%s", kind);
	dc_profile_add_check(c->prof, key, &k);
}

void probe_network(struct probe_ctx *c)
{
	struct net_test t = {0};
	struct child_result res = {0};
	char fail[256] = "", ipt_path[PATH_MAX] = "", v[32];
	bool ran = false;
	long fwd;

	if (c->load_modules) {
		static const char *const mods[] = {"veth", "bridge"};
		for (size_t i = 0; i < ARRAY_SIZE(mods); i++)
			if (!strcmp(module_state(c, mods[i]), "loadable"))
				module_load(c, mods[i]);
	}
	/* Test only what will not autoload a module behind the user's back. */
	t.veth = strcmp(module_state(c, "veth"), "loadable") != 0;
	t.bridge = strcmp(module_state(c, "bridge"), "loadable") != 0;
	/* Only the kernel side the installed iptables uses: the other costs a hook registration. */
	const char *variant = c->live ? iptables_variant(ipt_path, sizeof(ipt_path)) : NULL;
	bool legacy = variant && !strcmp(variant, "legacy");
	t.ipt = legacy && strcmp(module_state(c, "iptable_nat"), "loadable") != 0;
	t.nft = !legacy && strcmp(module_state(c, "nf_tables"), "loadable") != 0;
	if (c->live) {
		if (run_child(child_net, &t, &res, 5) < 0)
			snprintf(fail, sizeof(fail), "%s", res.detail);
		else if (res.err)
			snprintf(fail, sizeof(fail), "%s=%s", res.step, errno_name(res.err));
		else
			ran = true;
	}
	link_check(c, "veth", "veth", "VETH", res.detail, ran, fail[0] ? fail : NULL);
	link_check(c, "bridge", "bridge", "BRIDGE", res.detail, ran, fail[0] ? fail : NULL);
	if (ran && result(res.detail, "master", v, sizeof(v)))
		dc_profile_set_str(c->prof, "network", "veth_enslaved_to_bridge", v);

	/* iptables: the userspace tool decides which kernel side matters */
	struct dc_check k;
	dc_check_init(&k, c->live ? "syscall" : "config", NULL);
	dc_profile_set_str(c->prof, "network", "iptables", ipt_path[0] ? ipt_path : NULL);
	dc_profile_set_str(c->prof, "network", "iptables_backend", variant);
	kopt_evidence(c, &k, "NF_NAT");
	const char *key = legacy ? "ipt" : "nft";
	kopt_evidence(c, &k, !strcmp(key, "ipt") ? "IP_NF_NAT" : "NFT_NAT");
	if (variant)
		dc_check_evidence(&k, "%s is iptables-%s", ipt_path, variant);
	const char *r = ran ? result(res.detail, key, v, sizeof(v)) : NULL;
	k.enabled = DC_YES;
	if (!variant && c->live) {
		k.status = k.usable = DC_NO;
		dc_check_hint(&k, "install iptables (make deps)");
	} else if (r && !strcmp(r, "OK")) {
		k.status = k.usable = k.compiled = DC_YES;
		dc_check_evidence(&k, "%s answered in a private netns",
				  !strcmp(key, "ipt") ? "IPT_SO_GET_INFO(nat)" : "NFT_MSG_GETGEN");
	} else if (r) {
		k.status = k.usable = DC_NO;
		snprintf(k.err, sizeof(k.err), "%s", r);
		dc_check_evidence(&k, "%s=%s", key, r);
		dc_check_hint(&k, "the kernel lacks the %s NAT support iptables uses here",
			      !strcmp(key, "ipt") ? "legacy (ip_tables)" : "nf_tables");
	} else {
		k.status = k.usable = DC_UNKNOWN;
		if (fail[0])
			dc_check_evidence(&k, "%s", fail);
	}
	dc_profile_add_check(c->prof, "network.iptables_nat", &k);

	dc_check_init(&k, "procfs", NULL);
	if (read_long(sr(c, "/proc/sys/net/ipv4/ip_forward"), &fwd) == 0) {
		k.compiled = DC_YES;
		k.status = k.enabled = fwd ? DC_YES : DC_NO;
		dc_check_evidence(&k, "net.ipv4.ip_forward=%ld", fwd);
		if (!fwd)
			dc_check_hint(&k, "diyc net setup turns it on for bridged containers");
	} else {
		dc_check_evidence(&k, "/proc/sys/net/ipv4/ip_forward unreadable");
	}
	dc_profile_add_check(c->prof, "network.ip_forward", &k);
}
