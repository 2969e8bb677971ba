// SPDX-License-Identifier: GPL-2.0
/*
 * rtnetlink through libmnl: look an interface up, set its MTU, queue
 * length and link state, give it addresses, delete it. Every request asks
 * for an ack and for the kernel's extended ack, whose message (such as
 * "mtu greater than device maximum") goes into the error we print.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cli.h"
#include "netlink.h"

#define NL_MSG_MAX	256

struct nl_reply {
	mnl_cb_t data_cb;	/* for replies that carry data; may be NULL */
	void *data;
	char msg[NL_MSG_MAX];	/* the kernel's extended ack message, if any */
};

static int ext_ack_attr(const struct nlattr *attr, void *data)
{
	struct nl_reply *reply = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
		snprintf(reply->msg, sizeof(reply->msg), "%s",
			 mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* NLMSG_ERROR is both the ack (error 0) and the failure, with its TLVs. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	unsigned int offset = sizeof(*err);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!err->error)
		return MNL_CB_STOP;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
		mnl_attr_parse(nlh, offset, ext_ack_attr, data);
	}
	errno = -err->error;
	return MNL_CB_ERROR;
}

/* Send one request and read to its ack; 0 or -errno. */
static int nl_transact(struct nlmsghdr *nlh, struct nl_reply *reply)
{
	static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = error_cb };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	unsigned int portid;
	int ret, one = 1;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret <= 0)
			break;
		ret = mnl_cb_run2(buf, ret, nlh->nlmsg_seq, portid,
				  reply->data_cb, reply->data, ctl_cbs,
				  NLMSG_MIN_TYPE);
	} while (ret > 0);
	ret = ret < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	return ret;
}

static void nl_explain(const char *what, int err, const struct nl_reply *reply)
{
	if (*reply->msg)
		mt_error("%s: %s (%s)", what, strerror(-err), reply->msg);
	else if (err == -EPERM)
		mt_error("%s: permission denied: run as root (it needs CAP_NET_ADMIN)",
			 what);
	else
		mt_error("%s: %s", what, strerror(-err));
}

static struct nlmsghdr *link_msg(char *buf, int type, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

static int link_info_attr(const struct nlattr *attr, void *data)
{
	struct nl_link *link = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
		snprintf(link->kind, sizeof(link->kind), "%s",
			 mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int link_attr(const struct nlattr *attr, void *data)
{
	struct nl_link *link = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_MTU:
		if (!mnl_attr_validate(attr, MNL_TYPE_U32))
			link->mtu = mnl_attr_get_u32(attr);
		break;
	case IFLA_TXQLEN:
		if (!mnl_attr_validate(attr, MNL_TYPE_U32))
			link->txqlen = mnl_attr_get_u32(attr);
		break;
	case IFLA_LINKINFO:
		mnl_attr_parse_nested(attr, link_info_attr, link);
		break;
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nl_link *link = data;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	link->ifindex = ifi->ifi_index;
	link->flags = ifi->ifi_flags;
	return mnl_attr_parse(nlh, sizeof(*ifi), link_attr, link);
}

/* 0, -ENODEV (no error printed: a missing interface is an answer), -errno. */
int nl_link_get(const char *name, struct nl_link *link)
{
	struct nl_reply reply = { .data_cb = link_cb, .data = link };
	char buf[MNL_SOCKET_BUFFER_SIZE], what[64];
	struct nlmsghdr *nlh;
	int err;

	memset(link, 0, sizeof(*link));
	nlh = link_msg(buf, RTM_GETLINK, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	err = nl_transact(nlh, &reply);
	if (err && err != -ENODEV) {
		snprintf(what, sizeof(what), "looking up %s", name);
		nl_explain(what, err, &reply);
	}
	return err;
}

static int link_set(const char *what, struct nlmsghdr *nlh)
{
	struct nl_reply reply = {};
	int err;

	err = nl_transact(nlh, &reply);
	if (err)
		nl_explain(what, err, &reply);
	return err;
}

int nl_link_set_mtu(const char *name, int ifindex, unsigned int mtu)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[64];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, ifindex);

	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	snprintf(what, sizeof(what), "setting the MTU of %s to %u", name, mtu);
	return link_set(what, nlh);
}

int nl_link_set_txqlen(const char *name, int ifindex, unsigned int txqlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[64];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, ifindex);

	mnl_attr_put_u32(nlh, IFLA_TXQLEN, txqlen);
	snprintf(what, sizeof(what), "setting the txqueuelen of %s to %u",
		 name, txqlen);
	return link_set(what, nlh);
}

int nl_link_set_up(const char *name, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[64];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = IFF_UP;
	snprintf(what, sizeof(what), "bringing %s up", name);
	return link_set(what, nlh);
}

int nl_link_delete(const char *name, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[64];

	snprintf(what, sizeof(what), "deleting %s", name);
	return link_set(what, link_msg(buf, RTM_DELLINK, ifindex));
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

int mt_addr_add(const char *name, int ifindex, const struct mt_addr *addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[128], text[INET6_ADDRSTRLEN];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	size_t len = addr_len(addr->family);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_NEWADDR;
	/* Replace, so that bringing a persistent device up again works. */
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = addr->family;
	ifa->ifa_prefixlen = addr->prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, len, addr->local);
	mnl_attr_put(nlh, IFA_ADDRESS, len,
		     addr->has_peer ? addr->peer : addr->local);
	/*
	 * Whatever reads the device is the only other host on its link, so
	 * duplicate address detection would only hold the address back.
	 */
	if (addr->family == AF_INET6)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);

	inet_ntop(addr->family, addr->local, text, sizeof(text));
	snprintf(what, sizeof(what), "adding %s/%u to %s", text,
		 addr->prefixlen, name);
	return link_set(what, nlh);
}

/* "10.0.0.1", "10.0.0.1/24", "fd00::1/64": 0, or -1 when it is none of these. */
int mt_addr_parse(const char *text, struct mt_addr *addr)
{
	char copy[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long prefixlen;
	unsigned int max;

	memset(addr, 0, sizeof(*addr));
	if (strlen(text) >= sizeof(copy))
		return -1;
	strcpy(copy, text);
	slash = strchr(copy, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, copy, addr->local) == 1)
		addr->family = AF_INET;
	else if (inet_pton(AF_INET6, copy, addr->local) == 1)
		addr->family = AF_INET6;
	else
		return -1;
	max = addr->family == AF_INET ? 32 : 128;
	addr->prefixlen = max;
	if (!slash)
		return 0;
	prefixlen = strtoul(slash, &end, 10);
	if (!*slash || *end || prefixlen > max)
		return -1;
	addr->prefixlen = prefixlen;
	return 0;
}
