/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the minitun command's subcommands share: their entry points (the
 * table in main.c lists them), exit statuses, error printing, the --dev
 * option, opening a device node and attaching queues with TUNSETIFF,
 * rtnetlink, packet decoding and the worker threads that read queues.
 * Each helper prints its own error, in words that say what to do, so a
 * subcommand only decides whether to go on.
 */
#ifndef _MINITUN_USER_H
#define _MINITUN_USER_H

#include <argp.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "uapi/minitun.h"

/* Subcommands: each gets argv from its own name on and returns an exit status. */
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_echo(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_trace(int argc, char **argv);

/* Every subcommand's exit status is one of these. */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,	/* something failed; the message says what */
	EXIT_USAGE = 2,		/* bad arguments; see --help */
};

#define MINITUN_VERSION	"1.0"	/* the module's DRV_VERSION */
#define MINITUN_NODE	"/dev/minitun"
#define TUN_NODE	"/dev/net/tun"
#define MAX_QUEUES	256	/* tun's MAX_TAP_QUEUES, and minitun's */

/* "minitun up", ...: what errors start with; main.c sets it. */
extern const char *mt_command;

void mt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * --dev, shared by every subcommand as an argp child: the parent points
 * child_inputs[0] at its struct mt_common in ARGP_KEY_INIT.
 */
struct mt_common {
	const char *node;	/* /dev/minitun or /dev/net/tun */
};

extern const struct argp mt_common_argp;
extern const struct argp_child mt_common_children[];

/*
 * -i NAME and --queues N, for the subcommands that attach to an existing
 * interface as its reader (read, echo); --dev comes with it.
 */
struct mt_attach_opts {
	struct mt_common common;
	const char *name;
	unsigned int queues;
	unsigned int batch;	/* --batch: 0, or packets per read and write */
};

extern const struct argp_child mt_attach_children[];

/* argp helpers: on bad input they print why and exit with EXIT_USAGE. */
unsigned long mt_parse_number(struct argp_state *state, const char *option,
			      const char *arg, unsigned long min,
			      unsigned long max);
const char *mt_parse_ifname(struct argp_state *state, const char *arg);

/* Device nodes and queues (device.c). */
struct mt_device {
	const char *node;
	char name[IFNAMSIZ];
	char driver[16];	/* the node's driver: "minitun" or "tun" */
	unsigned int flags;	/* IFF_TUN or IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE */
	bool existed;		/* attached to a device that was there before */
	unsigned int nqueues;
	unsigned int batch;	/* minitun's batched mode: 0, or packets per call */
	int fds[MAX_QUEUES];
};

/* One packet of what a read() brought, or of what a write() will take. */
struct mt_frame {
	uint8_t *data;
	size_t len;
};


int mt_device_init(struct mt_device *dev, const char *node, const char *name);
int mt_device_create(struct mt_device *dev, unsigned int flags,
		     unsigned int nqueues);
int mt_device_attach(struct mt_device *dev, unsigned int nqueues);
void mt_device_close(struct mt_device *dev);
int mt_check_driver(const struct mt_device *dev, const char *kind);
int mt_device_set_batch(struct mt_device *dev, unsigned int batch);
int mt_read_frames(const struct mt_device *dev, int fd, uint8_t *storage,
		   struct mt_frame *frames);
int mt_write_frames(const struct mt_device *dev, int fd,
		    const struct mt_frame *frames, unsigned int n);
void mt_explain_io_error(const struct mt_device *dev, const char *op, int err);

static inline bool mt_is_tap(const struct mt_device *dev)
{
	return dev->flags & IFF_TAP;
}

/* rtnetlink through libmnl (netlink.c). Each prints its own error. */
struct nl_link {
	int ifindex;
	unsigned int flags;	/* IFF_UP, ... */
	unsigned int mtu;
	unsigned int txqlen;
	char kind[16];		/* IFLA_INFO_KIND: "minitun", "tun", "" */
};

struct nl_addr {
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
int nl_addr_add(const char *name, int ifindex, const struct nl_addr *addr);
int nl_addr_parse(const char *text, struct nl_addr *addr);

/* Packets (packet.c). */
#define PACKET_MAX	65536	/* the largest frame, tun_pi included */
#define PACKET_BUF	(PACKET_MAX + 8)	/* ... with room to align it */
#define SUMMARY_MAX	256

/* Big-endian fields at any alignment. */
static inline unsigned int get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static inline unsigned long get32(const uint8_t *p)
{
	return (unsigned long)get16(p) << 16 | get16(p + 2);
}

static inline void put16(uint8_t *p, unsigned int val)
{
	p[0] = val >> 8;
	p[1] = val;
}

void packet_summary(const uint8_t *pkt, size_t len, bool tap, char *out,
		    size_t size);
void packet_print(FILE *out, const struct timespec *ts, const char *tag,
		  const uint8_t *pkt, size_t len, bool tap);
void packet_hexdump(FILE *out, const uint8_t *pkt, size_t len);
uint32_t csum_add(uint32_t sum, const void *data, size_t len);
uint16_t csum_fold(uint32_t sum);
uint16_t csum_l4(int family, const void *src, const void *dst, uint8_t proto,
		 const void *l4, size_t len);

/*
 * Worker threads, one per queue (workers.c). The first worker to return,
 * or SIGINT/SIGTERM, stops them all: a blocking read() in a worker is
 * interrupted with EINTR and the worker sees mt_stopping(). Returns the
 * first non-zero worker result, else 0. Call mt_block_signals() before
 * telling anyone we are ready.
 */
int mt_run_workers(unsigned int n, int (*fn)(void *ctx, unsigned int index),
		   void *ctx);
bool mt_stopping(void);
int mt_wait_for_signal(void);
void mt_block_signals(void);

#endif /* _MINITUN_USER_H */
