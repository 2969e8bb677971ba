// SPDX-License-Identifier: GPL-2.0
/*
 * Every allocation failure, one at a time. For each of minitun's system
 * calls (a path: open, TUNSETIFF making or joining a device, TUNSETQUEUE,
 * TUNSETPERSIST, write, read, a tx_queue_len change, close), the test
 * writes N to /proc/thread-self/fail-nth, so that the Nth allocation this
 * thread makes inside that one call fails, for N = 1, 2, ... until the call
 * runs without reaching an Nth allocation. Each try starts from a fresh
 * setup, and then:
 *
 *  - a call that fails returns an errno (ENOMEM or ENOBUFS) and leaves the
 *    device as it was: the same interface, queues, flags, tx_queue_len and
 *    counters (a write that took a packet in counts it in rx_dropped, as
 *    tun's does), the files attached as they were, the packets on the rings
 *    still there; and the same call, made again without a failure, then
 *    does what it does untouched;
 *  - a call that succeeds although an allocation failed (one it could do
 *    without, a notification) leaves what the untouched call leaves; a
 *    batched write may instead stop short, having injected exactly the
 *    records it reports;
 *  - once the try is taken down, the module's reference count is back
 *    where it was.
 *
 * A crash or a hang fails the run (the VM's splat check, the harness's
 * timeout); the debug lane's VM ends with a kmemleak scan. Each path logs
 * how many failure points it had. Needs CONFIG_FAULT_INJECTION (fail-nth)
 * and CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC with their debugfs knobs:
 * the debug lane's kernel; elsewhere every case is skipped, saying why.
 */

#define _GNU_SOURCE
#include <net/if.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "helpers.h"
#include "kselftest_harness.h"
#include "packets.h"
#include "uapi/minitun.h"

#define IFNAME		"mtf0"
#define LOCAL_ADDR	"10.97.0.1"
#define PEER_ADDR	"10.97.0.2"
#define RX_PORT		4000
#define DISCARD_PORT	9
#define PAYLOAD		64
#define BATCH		4	/* records in a batched write or read */
#define QUEUED		8	/* packets on the rings before a resize */
#define NEW_TXQLEN	4	/* ... which shrinks them below that */
#define FILES		3
#define MAX_POINTS	2000	/* more is a loop that never ends */
#define BUF_SIZE	(MINITUN_BATCH_MAX * MINITUN_REC_SIZE(1500))
#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAIL_PAGE_ALLOC	"/sys/kernel/debug/fail_page_alloc"

struct ctx {
	int fd[FILES];		/* /dev/minitun files, -1 when none */
	int sock;		/* a UDP socket: receives writes, sends reads */
	unsigned int queued;	/* packets the setup left on the rings */
	size_t len;		/* what a write writes */
	uint8_t buf[BUF_SIZE];
};

/*
 * What a call can change, as user space sees it. S_IFINDEX is the
 * interface's index in a snapshot; in a difference of two, 0: gone (or
 * never there), 1: the same interface, 2: a new one.
 */
enum {
	S_IFINDEX,
	S_QUEUES,	/* attached queues (ethtool -S's count) */
	S_TXQ,		/* real_num_tx_queues */
	S_TXQLEN,
	S_FLAGS,	/* tun_flags */
	S_REFCNT,	/* the module's */
	S_RX_PACKETS, S_RX_BYTES, S_RX_DROPPED,
	S_TX_PACKETS, S_TX_BYTES, S_TX_DROPPED,
	S_ATTACHED,	/* bit i: fd[i] has a device (TUNGETIFF) */
	S_DETACHED,	/* bit i: ... as a queue TUNSETQUEUE detached */
	S_QUEUED,	/* packets on the rings (read off them after the call) */
	S_COUNT
};

static const char * const snap_names[S_COUNT] = {
	"interface", "queues", "real_num_tx_queues", "tx_queue_len",
	"tun_flags", "module refcount", "rx_packets", "rx_bytes", "rx_dropped",
	"tx_packets", "tx_bytes", "tx_dropped", "attached files",
	"detached files", "queued packets",
};

struct snap {
	long long v[S_COUNT];
};

FIXTURE(faults)
{
	struct ctx c;
	int fail_nth;		/* /proc/thread-self/fail-nth */
	long long base;		/* module refcount with nothing set up */
};

FIXTURE_VARIANT(faults)
{
	int (*setup)(struct ctx *c);		/* 0 or -errno */
	ssize_t (*call)(struct ctx *c);		/* the call: >= 0 or -errno */
	bool rx_drop;	/* a failed call may count one rx_dropped */
	bool batched;	/* a successful call may stop after k records */
	bool retry;	/* a failed call, made again, must do its work */
	/*
	 * register_netdevice() may also say EINVAL: when the device's sysfs
	 * name cannot be allocated (dev_set_name() in
	 * netdev_register_kobject()), device_add() finds no name. tun's
	 * TUNSETIFF says the same at that point.
	 */
	bool einval;
};

/* Setups: each builds what its call needs, from nothing. */

static int set_batch(int fd)
{
	struct minitun_batch b = { MINITUN_BATCH_V1, BATCH };

	return ioctl(fd, MINITUN_SETBATCH, &b) ? -errno : 0;
}

static int make_dev(struct ctx *c, int i, int flags)
{
	char name[IFNAMSIZ] = IFNAME;

	c->fd[i] = tun_open(MINITUN_DEV, name, flags | IFF_NO_PI);
	if (c->fd[i] < 0)
		return c->fd[i];
	return fcntl(c->fd[i], F_SETFL, O_NONBLOCK) ? -errno : 0;
}

/* fd[0] makes IFNAME, up, with an address and no IPv6 (nothing unasked). */
static int setup_up(struct ctx *c, int flags)
{
	int err = make_dev(c, 0, flags);

	if (!err)
		err = if_no_ipv6(IFNAME);
	if (!err)
		err = if_set_p2p(IFNAME, LOCAL_ADDR, PEER_ADDR);
	return err;
}

static int setup_none(struct ctx *c)
{
	(void)c;
	return 0;
}

static int setup_open_at(struct ctx *c, int i)
{
	c->fd[i] = open(MINITUN_DEV, O_RDWR | O_NONBLOCK);
	return c->fd[i] < 0 ? -errno : 0;
}

static int setup_open(struct ctx *c)
{
	return setup_open_at(c, 0);
}

static int setup_tun(struct ctx *c)
{
	return make_dev(c, 0, IFF_TUN);
}

static int setup_mq_two(struct ctx *c)
{
	int err = setup_up(c, IFF_TUN | IFF_MULTI_QUEUE);

	return err ?: make_dev(c, 1, IFF_TUN | IFF_MULTI_QUEUE);
}

static int set_queue(int fd, int flags)
{
	struct ifreq ifr = { .ifr_flags = flags };

	return ioctl(fd, TUNSETQUEUE, &ifr) ? -errno : 0;
}

static int setup_mq_detached(struct ctx *c)
{
	return setup_mq_two(c) ?: set_queue(c->fd[1], IFF_DETACH_QUEUE);
}

static int setup_mq_join(struct ctx *c)
{
	return setup_mq_two(c) ?: setup_open_at(c, 2);
}

static int setup_persistent_empty(struct ctx *c)
{
	int err = make_dev(c, 0, IFF_TUN);

	if (!err && ioctl(c->fd[0], TUNSETPERSIST, 1))
		err = -errno;
	if (c->fd[0] >= 0)
		close(c->fd[0]);
	c->fd[0] = -1;
	return err ?: setup_open_at(c, 1);
}

static int setup_persistent(struct ctx *c)
{
	int err = make_dev(c, 0, IFF_TUN);

	return err ?: ioctl(c->fd[0], TUNSETPERSIST, 1) ? -errno : 0;
}

/* A UDP socket on LOCAL_ADDR:RX_PORT for what writes inject, and a packet. */
static int setup_write(struct ctx *c, bool batched)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(RX_PORT) };
	static const uint8_t payload[PAYLOAD];
	uint32_t peer, local;
	struct minitun_rec *rec;
	size_t len;
	int err, i;

	err = setup_up(c, IFF_TUN);
	if (!err && batched)
		err = set_batch(c->fd[0]);
	if (err)
		return err;
	c->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, LOCAL_ADDR, &sin.sin_addr);
	if (c->sock < 0 || bind(c->sock, (struct sockaddr *)&sin, sizeof(sin)))
		return -errno;

	inet_pton(AF_INET, PEER_ADDR, &peer);
	inet_pton(AF_INET, LOCAL_ADDR, &local);
	memset(c->buf, 0, sizeof(c->buf));
	if (!batched) {
		c->len = udp4_build(c->buf, peer, 1234, local, RX_PORT,
				    payload, sizeof(payload));
		return 0;
	}
	for (c->len = 0, i = 0; i < BATCH; i++) {
		rec = (struct minitun_rec *)(c->buf + c->len);
		len = udp4_build((uint8_t *)(rec + 1), peer, 1234 + i, local,
				 RX_PORT, payload, sizeof(payload));
		rec->len = len;
		rec->hdr_len = sizeof(*rec);
		rec->version = MINITUN_BATCH_V1;
		c->len += MINITUN_REC_SIZE(len);
	}
	return 0;
}

static int setup_write_one(struct ctx *c)
{
	return setup_write(c, false);
}

static int setup_write_batch(struct ctx *c)
{
	return setup_write(c, true);
}

/* n datagrams from the stack onto the device's rings. */
static int send_into(struct ctx *c, unsigned int n)
{
	static const uint8_t payload[PAYLOAD];

	c->sock = udp_connect(PEER_ADDR, DISCARD_PORT);
	if (c->sock < 0)
		return c->sock;
	for (c->queued = 0; c->queued < n; c->queued++)
		if (send(c->sock, payload, sizeof(payload), 0) != sizeof(payload))
			return -errno;
	return 0;
}

static int setup_read_batch(struct ctx *c)
{
	return setup_up(c, IFF_TUN) ?: set_batch(c->fd[0]) ?:
	       send_into(c, BATCH);
}

/*
 * The device's first dropped packet allocates its core stats (GFP_ATOMIC),
 * and the count is lost if that fails: the core's way, not minitun's. A
 * write that cannot be an IP packet is dropped, and counted, now.
 */
static int count_a_drop(struct ctx *c)
{
	return write(c->fd[0], "", 1) < 0 && errno == EINVAL ? 0 : -EPROTO;
}

/* Two queues and a detached one, and packets queued. */
static int setup_resize(struct ctx *c)
{
	return setup_mq_two(c) ?: make_dev(c, 2, IFF_TUN | IFF_MULTI_QUEUE) ?:
	       set_queue(c->fd[2], IFF_DETACH_QUEUE) ?: count_a_drop(c) ?:
	       send_into(c, QUEUED);
}

/* Calls: one system call each. */

static ssize_t ret_errno(ssize_t ret)
{
	return ret < 0 ? -errno : ret;
}

static ssize_t call_open(struct ctx *c)
{
	c->fd[0] = open(MINITUN_DEV, O_RDWR | O_NONBLOCK);
	return ret_errno(c->fd[0]);
}

static ssize_t set_iff(int fd, int flags)
{
	struct ifreq ifr = { .ifr_name = IFNAME, .ifr_flags = flags | IFF_NO_PI };

	return ret_errno(ioctl(fd, TUNSETIFF, &ifr));
}

static ssize_t call_create_tun(struct ctx *c)
{
	return set_iff(c->fd[0], IFF_TUN);
}

static ssize_t call_create_tap(struct ctx *c)
{
	return set_iff(c->fd[0], IFF_TAP);
}

static ssize_t call_create_tun_mq(struct ctx *c)
{
	return set_iff(c->fd[0], IFF_TUN | IFF_MULTI_QUEUE);
}

static ssize_t call_create_tap_mq(struct ctx *c)
{
	return set_iff(c->fd[0], IFF_TAP | IFF_MULTI_QUEUE);
}

static ssize_t call_attach_mq(struct ctx *c)
{
	return set_iff(c->fd[2], IFF_TUN | IFF_MULTI_QUEUE);
}

static ssize_t call_attach_persistent(struct ctx *c)
{
	return set_iff(c->fd[1], IFF_TUN);
}

static ssize_t call_detach(struct ctx *c)
{
	return set_queue(c->fd[1], IFF_DETACH_QUEUE);
}

static ssize_t call_reattach(struct ctx *c)
{
	return set_queue(c->fd[1], IFF_ATTACH_QUEUE);
}

static ssize_t call_persist_on(struct ctx *c)
{
	return ret_errno(ioctl(c->fd[0], TUNSETPERSIST, 1));
}

static ssize_t call_persist_off(struct ctx *c)
{
	return ret_errno(ioctl(c->fd[0], TUNSETPERSIST, 0));
}

static ssize_t call_write(struct ctx *c)
{
	return ret_errno(write(c->fd[0], c->buf, c->len));
}

static ssize_t call_read(struct ctx *c)
{
	return ret_errno(read(c->fd[0], c->buf, sizeof(c->buf)));
}

static ssize_t call_resize(struct ctx *c)
{
	struct ifreq ifr = { .ifr_name = IFNAME, .ifr_qlen = NEW_TXQLEN };

	return ret_errno(ioctl(c->sock, SIOCSIFTXQLEN, &ifr));
}

static ssize_t call_close_last(struct ctx *c)
{
	int fd = c->fd[0];

	c->fd[0] = -1;
	return ret_errno(close(fd));
}

static ssize_t call_close_queue(struct ctx *c)
{
	int fd = c->fd[1];

	c->fd[1] = -1;
	return ret_errno(close(fd));
}

/* The paths. */

FIXTURE_VARIANT_ADD(faults, open)
{
	.setup = setup_none, .call = call_open,
};

FIXTURE_VARIANT_ADD(faults, create_tun)
{
	.setup = setup_open, .call = call_create_tun, .retry = true,
	.einval = true,
};

FIXTURE_VARIANT_ADD(faults, create_tap)
{
	.setup = setup_open, .call = call_create_tap, .retry = true,
	.einval = true,
};

FIXTURE_VARIANT_ADD(faults, create_tun_multi_queue)
{
	.setup = setup_open, .call = call_create_tun_mq, .retry = true,
	.einval = true,
};

FIXTURE_VARIANT_ADD(faults, create_tap_multi_queue)
{
	.setup = setup_open, .call = call_create_tap_mq, .retry = true,
	.einval = true,
};

FIXTURE_VARIANT_ADD(faults, attach_queue)
{
	.setup = setup_mq_join, .call = call_attach_mq, .retry = true,
};

FIXTURE_VARIANT_ADD(faults, attach_persistent)
{
	.setup = setup_persistent_empty, .call = call_attach_persistent,
	.retry = true,
};

FIXTURE_VARIANT_ADD(faults, detach_queue)
{
	.setup = setup_mq_two, .call = call_detach, .retry = true,
};

FIXTURE_VARIANT_ADD(faults, reattach_queue)
{
	.setup = setup_mq_detached, .call = call_reattach, .retry = true,
};

FIXTURE_VARIANT_ADD(faults, persist_on)
{
	.setup = setup_tun, .call = call_persist_on, .retry = true,
};

FIXTURE_VARIANT_ADD(faults, persist_off)
{
	.setup = setup_persistent, .call = call_persist_off, .retry = true,
};

FIXTURE_VARIANT_ADD(faults, write)
{
	.setup = setup_write_one, .call = call_write, .rx_drop = true,
};

FIXTURE_VARIANT_ADD(faults, write_batch)
{
	.setup = setup_write_batch, .call = call_write, .rx_drop = true,
	.batched = true,
};

FIXTURE_VARIANT_ADD(faults, read_batch)
{
	.setup = setup_read_batch, .call = call_read,
};

FIXTURE_VARIANT_ADD(faults, ring_resize)
{
	.setup = setup_resize, .call = call_resize,
};

FIXTURE_VARIANT_ADD(faults, close_last)
{
	.setup = setup_tun, .call = call_close_last,
};

FIXTURE_VARIANT_ADD(faults, close_queue)
{
	.setup = setup_mq_two, .call = call_close_queue,
};

/* The state, before and after. */

static long long module_refcnt(void)
{
	return read_number("/sys/module/minitun/refcnt");
}

/* Attached queues: ethtool -S has two device counters and five a queue. */
static int if_queues(const char *name)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 count;
	} sset = { .hdr.cmd = ETHTOOL_GSSET_INFO,
		   .hdr.sset_mask = 1ULL << ETH_SS_STATS };
	struct ifreq ifr = { .ifr_data = (void *)&sset };

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (if_ioctl(SIOCETHTOOL, &ifr) || !sset.hdr.sset_mask)
		return -1;
	return (sset.count - 2) / 5;
}

/* Every packet left on the files' rings, read off them. */
static int drain(struct ctx *c)
{
	static uint8_t buf[BUF_SIZE];
	struct minitun_batch b = { 0 };
	int i, n = 0;

	for (i = 0; i < FILES; i++) {
		if (c->fd[i] < 0)
			continue;
		ioctl(c->fd[i], MINITUN_SETBATCH, &b);
		while (read(c->fd[i], buf, sizeof(buf)) > 0)
			n++;
	}
	return n;
}

/*
 * The interface's index, 0 when there is none. Read from sysfs: an ioctl
 * naming a missing interface (if_nametoindex(), SIOCETHTOOL) makes the
 * kernel run modprobe twice, for netdev-NAME and NAME, which took most of
 * a try's 8 s on the debug kernel under TCG.
 */
static int if_index(const char *name)
{
	long long index = read_number("/sys/class/net/%s/ifindex", name);

	return index > 0 ? index : 0;
}

static void take_snap(struct ctx *c, struct snap *s, bool after)
{
	long long *v = s->v;
	struct ifreq ifr;
	int i;

	memset(s, 0, sizeof(*s));
	v[S_IFINDEX] = if_index(IFNAME);
	v[S_QUEUES] = v[S_IFINDEX] ? if_queues(IFNAME) : -1;
	v[S_TXQ] = if_tx_queues(IFNAME);
	v[S_TXQLEN] = read_number("/sys/class/net/%s/tx_queue_len", IFNAME);
	v[S_FLAGS] = read_number("/sys/class/net/%s/tun_flags", IFNAME);
	v[S_REFCNT] = module_refcnt();
	v[S_RX_PACKETS] = if_stat(IFNAME, "rx_packets");
	v[S_RX_BYTES] = if_stat(IFNAME, "rx_bytes");
	v[S_RX_DROPPED] = if_stat(IFNAME, "rx_dropped");
	v[S_TX_PACKETS] = if_stat(IFNAME, "tx_packets");
	v[S_TX_BYTES] = if_stat(IFNAME, "tx_bytes");
	v[S_TX_DROPPED] = if_stat(IFNAME, "tx_dropped");
	for (i = 0; i < FILES; i++) {
		memset(&ifr, 0, sizeof(ifr));
		if (c->fd[i] < 0 || ioctl(c->fd[i], TUNGETIFF, &ifr))
			continue;
		v[S_ATTACHED] |= 1 << i;
		if (ifr.ifr_flags & IFF_DETACH_QUEUE)
			v[S_DETACHED] |= 1 << i;
	}
	v[S_QUEUED] = after ? drain(c) : (int)c->queued;
}

/* after - before, field by field. */
static void snap_delta(const struct snap *before, const struct snap *after,
		       struct snap *d)
{
	int i;

	for (i = 0; i < S_COUNT; i++)
		d->v[i] = after->v[i] - before->v[i];
	d->v[S_IFINDEX] = !after->v[S_IFINDEX] ? 0 :
			  after->v[S_IFINDEX] == before->v[S_IFINDEX] ? 1 : 2;
}

/* Compare two differences; log the first field that is not as wanted. */
static bool delta_eq(struct __test_metadata *_metadata, const char *what,
		     int n, const struct snap *got, const struct snap *want)
{
	int i;

	for (i = 0; i < S_COUNT; i++) {
		if (got->v[i] == want->v[i])
			continue;
		TH_LOG("fail-nth %d: %s: %s moved by %lld, want %lld", n, what,
		       snap_names[i], got->v[i], want->v[i]);
		return false;
	}
	return true;
}

/* fail-nth: the Nth fault point this thread reaches fails. */

static void arm(int fd, int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (write(fd, buf, len) != len)
		abort();
}

/* Disarm; true if the fault was injected (the count reached 0). */
static bool disarm(int fd)
{
	char buf[16] = "";

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0 || write(fd, "0", 1) != 1)
		abort();
	return atoi(buf) == 0;
}

/*
 * The debugfs knobs that fail-nth obeys (it overrides probability,
 * interval and times, not these): by default failslab and fail_page_alloc
 * leave alone every allocation that may sleep, and fail_page_alloc those
 * below order 1 and highmem ones. Quiet, so that an injected failure logs
 * no stack; task-filter, so that the knobs themselves never fail anything
 * of another task.
 */
static const char * const knobs[][2] = {
	{ FAILSLAB "/ignore-gfp-wait", "N" },
	{ FAILSLAB "/verbose", "0" },
	{ FAILSLAB "/task-filter", "Y" },
	{ FAIL_PAGE_ALLOC "/ignore-gfp-wait", "N" },
	{ FAIL_PAGE_ALLOC "/ignore-gfp-highmem", "N" },
	{ FAIL_PAGE_ALLOC "/min-order", "0" },
	{ FAIL_PAGE_ALLOC "/verbose", "0" },
	{ FAIL_PAGE_ALLOC "/task-filter", "Y" },
};

static int set_knobs(void)
{
	unsigned int i;
	int fd, len;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		fd = open(knobs[i][0], O_WRONLY);
		if (fd < 0)
			return -errno;
		len = strlen(knobs[i][1]);
		if (write(fd, knobs[i][1], len) != len) {
			close(fd);
			return -EIO;
		}
		close(fd);
	}
	return 0;
}

FIXTURE_SETUP(faults)
{
	int i, err;

	for (i = 0; i < FILES; i++)
		self->c.fd[i] = -1;
	self->c.sock = -1;
	self->fail_nth = open("/proc/thread-self/fail-nth", O_RDWR);
	ASSERT_LE(0, self->fail_nth);
	err = set_knobs();
	ASSERT_EQ(0, err) TH_LOG("fault-injection knobs: %s", strerror(-err));
	/* after the knobs: the namespace's own /sys hides debugfs */
	ASSERT_EQ(0, enter_own_netns());
	/* A page fault in user space must not meet the injected failure. */
	ASSERT_EQ(0, mlockall(MCL_CURRENT | MCL_FUTURE));
	self->base = module_refcnt();
	ASSERT_LE(0, self->base);
}

/* Everything a try made goes; the module's count must come back. */
static void take_down(struct __test_metadata *_metadata, struct ctx *c,
		      long long base, int n)
{
	int i, ms;

	for (i = 0; i < FILES; i++) {
		if (c->fd[i] < 0)
			continue;
		ioctl(c->fd[i], TUNSETPERSIST, 0);
		close(c->fd[i]);
		c->fd[i] = -1;
	}
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
	c->queued = 0;
	if (link_exists(IFNAME))
		if_delete(IFNAME);
	for (ms = 0; ms < 2000 && module_refcnt() != base; ms += 10)
		usleep(10 * 1000);
	ASSERT_EQ(base, module_refcnt())
		TH_LOG("fail-nth %d: module refcount %lld after the try, was %lld",
		       n, module_refcnt(), base);
	ASSERT_FALSE(link_exists(IFNAME))
		TH_LOG("fail-nth %d: %s left behind", n, IFNAME);
}

FIXTURE_TEARDOWN(faults)
{
	if (self->fail_nth >= 0) {
		take_down(_metadata, &self->c, self->base, -1);
		close(self->fail_nth);
	}
}

/* One try: set up, the call with the Nth allocation failing (0: none). */
static ssize_t try_call(struct __test_metadata *_metadata,
			FIXTURE_DATA(faults) *self,
			const FIXTURE_VARIANT(faults) *variant, int n,
			struct snap *before, struct snap *after, bool *injected)
{
	ssize_t ret;
	int err;

	err = variant->setup(&self->c);
	ASSERT_EQ(0, err) TH_LOG("setup: %s", strerror(-err));
	take_snap(&self->c, before, false);
	if (n)
		arm(self->fail_nth, n);
	ret = variant->call(&self->c);
	*injected = n && disarm(self->fail_nth);
	take_snap(&self->c, after, true);
	return ret;
}

TEST_F_TIMEOUT(faults, every_allocation_failure_unwinds, 1800)
{
	struct snap before, after, ref, d, want, again;
	int n, refused = 0, absorbed = 0, short_writes = 0;
	char errnos[128] = "";
	bool injected;
	ssize_t ret, ref_ret;
	size_t rec;

	/* The call untouched: what every successful try must leave. */
	ref_ret = try_call(_metadata, self, variant, 0, &before, &after,
			   &injected);
	ASSERT_LE(0, ref_ret) TH_LOG("untouched: %s", strerror(-ref_ret));
	snap_delta(&before, &after, &ref);
	take_down(_metadata, &self->c, self->base, 0);

	for (n = 1; ; n++) {
		ASSERT_GT(MAX_POINTS, n) TH_LOG("still failing at %d", n);
		if (!(n % 100))
			TH_LOG("at fail-nth %d", n);
		ret = try_call(_metadata, self, variant, n, &before, &after,
			       &injected);
		snap_delta(&before, &after, &d);
		if (!injected) {
			/* No Nth allocation: the call ran untouched. */
			ASSERT_EQ(ref_ret, ret);
			ASSERT_TRUE(delta_eq(_metadata, "untouched", n, &d, &ref));
			take_down(_metadata, &self->c, self->base, n);
			break;
		}

		if (ret < 0) {
			refused++;
			ASSERT_TRUE(ret == -ENOMEM || ret == -ENOBUFS ||
				    (variant->einval && ret == -EINVAL))
				TH_LOG("fail-nth %d: refused with %s", n,
				       strerror(-ret));
			if (!strstr(errnos, strerrorname_np(-ret)))
				snprintf(errnos + strlen(errnos),
					 sizeof(errnos) - strlen(errnos), "%s%s",
					 *errnos ? "," : "",
					 strerrorname_np(-ret));
			/* As before; a write may count the packet it lost. */
			memset(&want, 0, sizeof(want));
			want.v[S_IFINDEX] = before.v[S_IFINDEX] ? 1 : 0;
			if (variant->rx_drop && d.v[S_RX_DROPPED] == 1)
				want.v[S_RX_DROPPED] = 1;
			ASSERT_TRUE(delta_eq(_metadata, "refused", n, &d, &want));
			if (variant->retry) {
				ret = variant->call(&self->c);
				ASSERT_EQ(ref_ret, ret)
					TH_LOG("fail-nth %d: again: %s", n,
					       strerror(-ret));
				take_snap(&self->c, &again, true);
				snap_delta(&before, &again, &d);
				ASSERT_TRUE(delta_eq(_metadata, "made again", n,
						     &d, &ref));
			}
		} else if (variant->batched && ret != ref_ret) {
			/* Stopped short: exactly the records it reports. */
			short_writes++;
			rec = self->c.len / BATCH;
			ASSERT_EQ(0, ret % rec)
				TH_LOG("fail-nth %d: wrote %zd", n, ret);
			want = ref;
			want.v[S_RX_PACKETS] = ret / rec;
			want.v[S_RX_BYTES] = ref.v[S_RX_BYTES] / BATCH * (ret / rec);
			ASSERT_TRUE(delta_eq(_metadata, "short", n, &d, &want));
		} else {
			absorbed++;
			ASSERT_EQ(ref_ret, ret);
			ASSERT_TRUE(delta_eq(_metadata, "absorbed", n, &d, &ref));
		}
		take_down(_metadata, &self->c, self->base, n);
	}

	TH_LOG("%d failure points: %d refused (%s), %d absorbed, %d stopped short",
	       n - 1, refused, *errnos ? errnos : "-", absorbed, short_writes);
}

/* Why this kernel cannot run the test, or NULL. */
static const char *fault_injection_missing(void)
{
	if (access("/proc/thread-self/fail-nth", F_OK))
		return "no /proc/thread-self/fail-nth: this kernel has no CONFIG_FAULT_INJECTION (the debug lane's has: make test KERNEL=debug)";
	if (access(FAILSLAB, F_OK) || access(FAIL_PAGE_ALLOC, F_OK))
		return "no " FAILSLAB " or " FAIL_PAGE_ALLOC ": no CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC or CONFIG_FAULT_INJECTION_DEBUG_FS, or no debugfs mounted";
	if (access(MINITUN_DEV, F_OK))
		return "no " MINITUN_DEV ": the module is not loaded";
	return NULL;
}

/* The harness's main, but the whole program is one skip, with its reason. */
int main(int argc, char **argv)
{
	const char *why = fault_injection_missing();
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-l"))
			why = NULL;
	if (why) {
		ksft_print_header();
		ksft_exit_skip("%s\n", why);
	}
	return test_harness_run(argc, argv);
}
