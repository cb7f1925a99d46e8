#define _GNU_SOURCE
#include "lib/rtnl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static unsigned seq_no;

struct mnl_socket *rtnl_open(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

void rtnl_close(struct mnl_socket *nl)
{
	if (nl)
		mnl_socket_close(nl);
}

/* Send one request and wait for its ack: 0 or the errno the kernel answered. */
int nl_request(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned port = mnl_socket_get_portid(nl);
	nlh->nlmsg_seq = ++seq_no;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return errno;
	ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return errno;
	if (mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, port, NULL, NULL) < 0)
		return errno;
	return 0;
}

static struct nlmsghdr *link_msg(char *buf, int type, unsigned flags, int index)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	return nlh;
}

int rtnl_link_add(struct mnl_socket *nl, const char *name, const char *kind, const char *peer,
		  int peer_ns_pid, const char *master, bool up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	/* zeroed: the nests leave alignment bytes that would go to the kernel unset (valgrind) */
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	if (up) {
		struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
		ifm->ifi_flags = ifm->ifi_change = IFF_UP;
	}
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (master) {
		unsigned m = if_nametoindex(master);
		if (!m)
			return ENODEV;
		mnl_attr_put_u32(nlh, IFLA_MASTER, m);
	}
	struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	if (peer) {
		struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		struct nlattr *p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
		/* the peer's attributes follow an ifinfomsg header of its own */
		struct ifinfomsg *pifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifm));
		pifm->ifi_family = AF_UNSPEC;
		mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
		if (peer_ns_pid > 0)
			mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t)peer_ns_pid);
		mnl_attr_nest_end(nlh, p);
		mnl_attr_nest_end(nlh, data);
	}
	mnl_attr_nest_end(nlh, li);
	return nl_request(nl, nlh);
}

int rtnl_link_alias(struct mnl_socket *nl, const char *dev, const char *alias)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = (int)if_nametoindex(dev);
	if (!idx)
		return ENODEV;
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, idx);
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	return nl_request(nl, nlh);
}

int rtnl_link_del(struct mnl_socket *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = (int)if_nametoindex(name);
	if (!idx)
		return ENODEV;
	return nl_request(nl, link_msg(buf, RTM_DELLINK, 0, idx));
}

int rtnl_link_up(struct mnl_socket *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = (int)if_nametoindex(name);
	if (!idx)
		return ENODEV;
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, idx);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	return nl_request(nl, nlh);
}

int rtnl_link_set_master(struct mnl_socket *nl, const char *dev, const char *master)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = (int)if_nametoindex(dev);
	unsigned m = if_nametoindex(master);
	if (!idx || !m)
		return ENODEV;
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, idx);
	mnl_attr_put_u32(nlh, IFLA_MASTER, m);
	return nl_request(nl, nlh);
}

/* A request creating something new (type RTM_NEW*) on device dev: its header in buf,
 * the device's index in *idx; NULL when there is no such device. */
static struct nlmsghdr *new_on_dev(char *buf, int type, const char *dev, unsigned *idx)
{
	*idx = if_nametoindex(dev);
	if (!*idx)
		return NULL;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	return nlh;
}

int rtnl_addr_add(struct mnl_socket *nl, const char *dev, uint32_t addr, int prefix)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned idx;
	struct nlmsghdr *nlh = new_on_dev(buf, RTM_NEWADDR, dev, &idx);
	if (!nlh)
		return ENODEV;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = idx;
	mnl_attr_put_u32(nlh, IFA_LOCAL, htonl(addr));
	mnl_attr_put_u32(nlh, IFA_ADDRESS, htonl(addr));
	return nl_request(nl, nlh);
}

int rtnl_route_default(struct mnl_socket *nl, const char *dev, uint32_t gw)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned idx;
	struct nlmsghdr *nlh = new_on_dev(buf, RTM_NEWROUTE, dev, &idx);
	if (!nlh)
		return ENODEV;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(gw));
	mnl_attr_put_u32(nlh, RTA_OIF, idx);
	return nl_request(nl, nlh);
}
