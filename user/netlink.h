/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtnetlink through libmnl (netlink.c): look a link up, set its MTU,
 * queue length and state, delete it, give it addresses. Each function
 * prints its own error, with the kernel's extended ack message. The
 * address type and its functions carry the mt_ prefix: libnl has a
 * struct nl_addr and an nl_addr_parse() of its own.
 */
#ifndef _MINITUN_NETLINK_H
#define _MINITUN_NETLINK_H

#include <stdbool.h>

struct nl_link {
	int ifindex;
	unsigned int flags;	/* IFF_UP, ... */
	unsigned int mtu;
	unsigned int txqlen;
	char kind[16];		/* IFLA_INFO_KIND: "minitun", "tun", "" */
};

struct mt_addr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char prefixlen;
	unsigned char local[16];
	unsigned char peer[16];
	bool has_peer;
};

int nl_link_get(const char *name, struct nl_link *link);
int nl_link_set_mtu(const char *name, int ifindex, unsigned int mtu);
int nl_link_set_txqlen(const char *name, int ifindex, unsigned int txqlen);
int nl_link_set_up(const char *name, int ifindex);
int nl_link_delete(const char *name, int ifindex);
int mt_addr_add(const char *name, int ifindex, const struct mt_addr *addr);
int mt_addr_parse(const char *text, struct mt_addr *addr);

#endif /* _MINITUN_NETLINK_H */
