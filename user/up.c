// SPDX-License-Identifier: GPL-2.0
/*
 * minitun up: create (or attach to) a device through the tun ABI, then
 * configure it over rtnetlink: MTU, queue length, addresses, link up.
 * Without --persist the device lives as long as the command, as a tun
 * device does with its last file; with it, the command leaves it behind.
 *
 * minitun down: delete a device over rtnetlink, after checking that it is
 * one of --dev's driver, so that a typo cannot remove eth0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "device.h"
#include "netlink.h"
#include "workers.h"

#define MAX_ADDRS	4
#define MIN_MTU		68
#define MAX_MTU		65535
#define MAX_TXQLEN	(1 << 20)

struct up_args {
	struct mt_common common;
	const char *name;
	bool tap;
	bool no_pi;
	bool persist;
	struct mt_addr addrs[MAX_ADDRS];
	unsigned int naddrs;
	const char *peers[MAX_ADDRS];
	unsigned int npeers;
	unsigned int mtu;	/* 0: leave it */
	unsigned int txqlen;	/* 0: leave it */
	unsigned int queues;
	long owner;		/* -1: leave it */
	long group;		/* -1: leave it */
};

enum {
	OPT_TAP = 256, OPT_NO_PI, OPT_MTU, OPT_TXQLEN, OPT_PERSIST, OPT_OWNER,
	OPT_GROUP,
};

static const struct argp_option up_options[] = {
	{ "interface", 'i', "NAME", 0,
	  "the interface: a name, or a template such as mtun%d (default: mtun%d, mtap%d with --tap)", 0 },
	{ "name", 'n', NULL, OPTION_ALIAS, NULL, 0 },
	{ "tap", OPT_TAP, NULL, 0, "an Ethernet (TAP) device instead of IP (TUN)", 0 },
	{ "no-pi", OPT_NO_PI, NULL, 0, "no struct tun_pi before each packet (IFF_NO_PI)", 0 },
	{ "addr", 'a', "CIDR", 0, "an address, such as 10.0.0.1/24 or fd00::1/64 (repeatable)", 0 },
	{ "peer", 'p', "ADDR", 0, "the other end of the --addr of the same family", 0 },
	{ "mtu", OPT_MTU, "N", 0, "the MTU", 0 },
	{ "txqlen", OPT_TXQLEN, "N", 0, "the tx queue length, which sizes each queue's ring", 0 },
	{ "queues", 'q', "N", 0, "open N queues (IFF_MULTI_QUEUE when N > 1)", 0 },
	{ "persist", OPT_PERSIST, NULL, 0, "leave the device when the command ends (TUNSETPERSIST)", 0 },
	{ "owner", OPT_OWNER, "USER", 0, "who may attach to it without CAP_NET_ADMIN", 0 },
	{ "group", OPT_GROUP, "GROUP", 0, "a group that may attach to it", 0 },
	{ 0 }
};

static long parse_owner(struct argp_state *state, const char *arg)
{
	struct passwd *pw = getpwnam(arg);

	if (pw)
		return pw->pw_uid;
	if (arg[strspn(arg, "0123456789")])
		argp_error(state, "no user '%s': pass a user name or a uid", arg);
	return mt_parse_number(state, "--owner", arg, 0, (uid_t)-2);
}

static long parse_group(struct argp_state *state, const char *arg)
{
	struct group *gr = getgrnam(arg);

	if (gr)
		return gr->gr_gid;
	if (arg[strspn(arg, "0123456789")])
		argp_error(state, "no group '%s': pass a group name or a gid", arg);
	return mt_parse_number(state, "--group", arg, 0, (gid_t)-2);
}

/* Each --peer goes with the first --addr of its family. */
static void pair_peers(struct argp_state *state, struct up_args *args)
{
	struct mt_addr peer;
	unsigned int i, j;

	for (i = 0; i < args->npeers; i++) {
		if (mt_addr_parse(args->peers[i], &peer) ||
		    strchr(args->peers[i], '/'))
			argp_error(state, "--peer takes an address without a prefix length, not '%s'",
				   args->peers[i]);
		for (j = 0; j < args->naddrs; j++)
			if (args->addrs[j].family == peer.family &&
			    !args->addrs[j].has_peer)
				break;
		if (j == args->naddrs)
			argp_error(state, "--peer %s needs an --addr of the same family to pair with",
				   args->peers[i]);
		memcpy(args->addrs[j].peer, peer.local, sizeof(peer.local));
		args->addrs[j].has_peer = true;
	}
}

static error_t parse_up(int key, char *arg, struct argp_state *state)
{
	struct up_args *args = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &args->common;
		return 0;
	case 'i':
	case 'n':
		args->name = mt_parse_ifname(state, arg);
		return 0;
	case OPT_TAP:
		args->tap = true;
		return 0;
	case OPT_NO_PI:
		args->no_pi = true;
		return 0;
	case 'a':
		if (args->naddrs == MAX_ADDRS)
			argp_error(state, "at most %d --addr", MAX_ADDRS);
		if (mt_addr_parse(arg, &args->addrs[args->naddrs]))
			argp_error(state, "--addr takes an address with an optional prefix length, such as 10.0.0.1/24 or fd00::1/64, not '%s'",
				   arg);
		args->naddrs++;
		return 0;
	case 'p':
		if (args->npeers == MAX_ADDRS)
			argp_error(state, "at most %d --peer", MAX_ADDRS);
		args->peers[args->npeers++] = arg;
		return 0;
	case OPT_MTU:
		args->mtu = mt_parse_number(state, "--mtu", arg, MIN_MTU, MAX_MTU);
		return 0;
	case OPT_TXQLEN:
		args->txqlen = mt_parse_number(state, "--txqlen", arg, 1,
					       MAX_TXQLEN);
		return 0;
	case 'q':
		args->queues = mt_parse_number(state, "--queues", arg, 1,
					       MAX_QUEUES);
		return 0;
	case OPT_PERSIST:
		args->persist = true;
		return 0;
	case OPT_OWNER:
		args->owner = parse_owner(state, arg);
		return 0;
	case OPT_GROUP:
		args->group = parse_group(state, arg);
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s': the name goes with -i",
			   arg);
		return 0;
	case ARGP_KEY_END:
		pair_peers(state, args);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp up_argp = {
	.options = up_options,
	.parser = parse_up,
	.doc = "Create a TUN or TAP device through the tun ABI (or attach to one "
	       "that exists), then set its MTU, queue length and addresses and "
	       "bring it up over rtnetlink. Without --persist the device lasts "
	       "until the command is stopped (Ctrl-C); with it, the command "
	       "leaves it for 'minitun read', 'minitun echo' and the like, and "
	       "'minitun down' removes it.\v"
	       "Examples:\n"
	       "  minitun up -i mtun0 --addr 10.0.0.1/24 --persist\n"
	       "  minitun up -i mtun0 --addr 10.0.0.1 --peer 10.0.0.2 --persist\n"
	       "  minitun up -i mtap0 --tap --queues 4 --txqlen 64 --persist\n"
	       "  minitun up --dev /dev/net/tun -i tun0 --addr 10.0.0.1/24\n"
	       "\ntun's ABI and where minitun differs: docs/architecture.md",
	.children = mt_common_children,
};

static int set_ownership(struct mt_device *dev, const struct up_args *args)
{
	if (args->owner >= 0 &&
	    ioctl(dev->fds[0], TUNSETOWNER, (unsigned long)args->owner)) {
		mt_error("TUNSETOWNER %ld on %s: %s", args->owner, dev->name,
			 strerror(errno));
		return -1;
	}
	if (args->group >= 0 &&
	    ioctl(dev->fds[0], TUNSETGROUP, (unsigned long)args->group)) {
		mt_error("TUNSETGROUP %ld on %s: %s", args->group, dev->name,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int set_persist(struct mt_device *dev, bool persist)
{
	if (ioctl(dev->fds[0], TUNSETPERSIST, (unsigned long)persist)) {
		mt_error("TUNSETPERSIST %d on %s: %s", persist, dev->name,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int configure_link(struct mt_device *dev, const struct up_args *args)
{
	struct nl_link link;
	unsigned int i;

	if (nl_link_get(dev->name, &link)) {
		mt_error("%s vanished as it was being configured", dev->name);
		return -1;
	}
	if (args->mtu && nl_link_set_mtu(dev->name, link.ifindex, args->mtu))
		return -1;
	if (args->txqlen &&
	    nl_link_set_txqlen(dev->name, link.ifindex, args->txqlen))
		return -1;
	for (i = 0; i < args->naddrs; i++)
		if (mt_addr_add(dev->name, link.ifindex, &args->addrs[i]))
			return -1;
	return nl_link_set_up(dev->name, link.ifindex);
}

/* What the device is now, as the kernel reports it. */
static void print_device(const struct mt_device *dev,
			 const struct up_args *args)
{
	char local[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN];
	struct nl_link link;
	unsigned int i;

	if (nl_link_get(dev->name, &link))
		return;
	printf("%s: %s %s device, %u queue%s, %s, mtu %u, txqlen %u%s",
	       dev->name, dev->driver, mt_is_tap(dev) ? "TAP" : "TUN",
	       dev->nqueues, dev->nqueues == 1 ? "" : "s",
	       dev->flags & IFF_NO_PI ? "no packet info" : "packet info",
	       link.mtu, link.txqlen, link.flags & IFF_UP ? ", up" : "");
	for (i = 0; i < args->naddrs; i++) {
		inet_ntop(args->addrs[i].family, args->addrs[i].local, local,
			  sizeof(local));
		printf(", %s/%u", local, args->addrs[i].prefixlen);
		if (args->addrs[i].has_peer)
			printf(" peer %s", inet_ntop(args->addrs[i].family,
						     args->addrs[i].peer, peer,
						     sizeof(peer)));
	}
	putchar('\n');
}

int cmd_up(int argc, char **argv)
{
	struct up_args args = { .queues = 1, .owner = -1, .group = -1 };
	struct mt_device dev;
	unsigned int flags;
	int sig;

	argp_parse(&up_argp, argc, argv, 0, NULL, &args);
	if (!args.name)
		args.name = args.tap ? "mtap%d" : "mtun%d";
	if (mt_device_init(&dev, args.common.node, args.name))
		return EXIT_RUNTIME;

	flags = (args.tap ? IFF_TAP : IFF_TUN) | (args.no_pi ? IFF_NO_PI : 0);
	if (mt_device_create(&dev, flags, args.queues))
		return EXIT_RUNTIME;
	if (set_ownership(&dev, &args) ||
	    (args.persist && set_persist(&dev, true)) ||
	    configure_link(&dev, &args)) {
		/* A device we made and could not finish goes away with us. */
		if (args.persist && !dev.existed)
			set_persist(&dev, false);
		mt_device_close(&dev);
		return EXIT_RUNTIME;
	}
	print_device(&dev, &args);

	if (args.persist) {
		printf("%s stays after this command; 'minitun down %s' removes it\n",
		       dev.name, dev.name);
		mt_device_close(&dev);
		return EXIT_OK;
	}
	mt_block_signals();
	if (dev.existed)
		printf("%s: holding its queue%s until Ctrl-C\n", dev.name,
		       dev.nqueues == 1 ? "" : "s");
	else
		printf("%s lasts while this command runs: Ctrl-C removes it (--persist keeps it)\n",
		       dev.name);
	fflush(stdout);
	sig = mt_wait_for_signal();
	printf("%s: %s %s\n", strsignal(sig),
	       dev.existed ? "letting go of" : "removing", dev.name);
	mt_device_close(&dev);
	return EXIT_OK;
}

struct down_args {
	struct mt_common common;
	const char *name;
	bool dev;		/* 'dev' came first, as ip takes it */
};

static const struct argp_option down_options[] = {
	{ "interface", 'i', "NAME", 0, "the interface (also NAME, or dev NAME)", 0 },
	{ 0 }
};

static void down_name(struct argp_state *state, const char *arg)
{
	struct down_args *args = state->input;

	if (args->name)
		argp_error(state, "one NAME at a time, not also '%s'", arg);
	args->name = mt_parse_ifname(state, arg);
}

static error_t parse_down(int key, char *arg, struct argp_state *state)
{
	struct down_args *args = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &args->common;
		return 0;
	case 'i':
		down_name(state, arg);
		return 0;
	case ARGP_KEY_ARG:
		if (!args->name && !args->dev && !strcmp(arg, "dev"))
			args->dev = true;
		else
			down_name(state, arg);
		return 0;
	case ARGP_KEY_END:
		/* 'minitun down dev': an interface named dev */
		if (!args->name && args->dev)
			args->name = "dev";
		if (!args->name)
			argp_error(state, "which interface? 'minitun down NAME'");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp down_argp = {
	.options = down_options,
	.parser = parse_down,
	.args_doc = "[dev] NAME",
	.doc = "Remove a device of --dev's driver over rtnetlink (RTM_DELLINK), "
	       "whether it is persistent or still held by a running command, "
	       "whose reads then fail. An interface of another driver is left "
	       "alone.\v"
	       "Examples:\n"
	       "  minitun down mtun0\n"
	       "  minitun down --dev /dev/net/tun tun0\n"
	       "\nA device's lifetime, and reads when it goes: docs/architecture.md",
	.children = mt_common_children,
};

int cmd_down(int argc, char **argv)
{
	struct down_args args = {};
	struct mt_device dev;
	struct nl_link link;
	int err;

	argp_parse(&down_argp, argc, argv, 0, NULL, &args);
	if (mt_device_init(&dev, args.common.node, args.name))
		return EXIT_RUNTIME;
	err = nl_link_get(args.name, &link);
	if (err == -ENODEV)
		mt_error("no interface %s: nothing to remove ('ip link' lists them)",
			 args.name);
	if (err || mt_check_driver(&dev, link.kind) ||
	    nl_link_delete(args.name, link.ifindex))
		return EXIT_RUNTIME;
	printf("removed %s\n", args.name);
	return EXIT_OK;
}
