/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every selftest needs: open a device node, make or join an interface
 * with TUNSETIFF, configure it through the classic interface ioctls (so the
 * tests need no netlink library), and run a shell command. Each helper
 * returns -errno on failure so that tests can assert on tun's errors.
 */
#ifndef _MINITUN_SELFTEST_HELPERS_H
#define _MINITUN_SELFTEST_HELPERS_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define MINITUN_DEV	"/dev/minitun"
#define TUN_DEV		"/dev/net/tun"

/* kselftest's exit status for a program that did not run, and says why. */
#define MINITUN_KSFT_SKIP	4
#define MINITUN_CAP_NET_ADMIN	12

/*
 * Every program here makes devices, which takes CAP_NET_ADMIN: without it,
 * the whole program skips, before the harness starts, saying why. perms.c
 * drops what it must itself, from root.
 */
__attribute__((constructor)) static void require_net_admin(void)
{
	unsigned long long caps = 0;
	char line[128];
	FILE *f;

	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	if (f)
		fclose(f);
	if (caps & (1ULL << MINITUN_CAP_NET_ADMIN))
		return;
	printf("TAP version 13\n1..0 # SKIP needs root (CAP_NET_ADMIN)\n");
	exit(MINITUN_KSFT_SKIP);
}

/*
 * The running kernel is at least major.minor.patch: for the behaviours of
 * tun and the core that changed between the kernels minitun supports.
 */
static inline int kernel_at_least(int major, int minor, int patch)
{
	struct utsname u;
	int v[3] = { 0, 0, 0 };

	if (uname(&u) || sscanf(u.release, "%d.%d.%d", &v[0], &v[1], &v[2]) < 2)
		return 0;
	if (v[0] != major)
		return v[0] > major;
	if (v[1] != minor)
		return v[1] > minor;
	return v[2] >= patch;
}

/*
 * tun, for the tests that compare with it: there, or loaded now. Those
 * tests skip, saying why, where there is none (REQUIRE_TUN()).
 */
static inline int tun_available(void)
{
	if (!access("/sys/class/misc/tun", F_OK))
		return 1;
	if (system("modprobe -q tun 2>/dev/null"))
		return 0;
	return !access("/sys/class/misc/tun", F_OK);
}

#define REQUIRE_TUN()							\
	do {								\
		if (!tun_available())					\
			SKIP(return, "no tun to compare with (modprobe tun)"); \
	} while (0)

/*
 * Open node and TUNSETIFF it; name is in/out (IFNAMSIZ). fd or -errno.
 * Close-on-exec: a program a test runs would otherwise hold the queue, and
 * keep it attached, after the test has closed it.
 */
static inline int tun_open(const char *node, char *name, int flags)
{
	struct ifreq ifr = { .ifr_flags = flags };
	int fd, err;

	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (name)
		snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (name)
		memcpy(name, ifr.ifr_name, IFNAMSIZ);
	return fd;
}

/* An interface ioctl (SIOCSIFFLAGS, ...) on a throwaway socket. */
static inline int if_ioctl(unsigned long cmd, struct ifreq *ifr)
{
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, cmd, ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

static inline int if_set_up(const char *name, int up)
{
	struct ifreq ifr = {};
	int err;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	err = if_ioctl(SIOCGIFFLAGS, &ifr);
	if (err)
		return err;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

static inline int if_set_inet(const char *name, unsigned long cmd,
			      const char *addr)
{
	struct sockaddr_in *sin;
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		return -EINVAL;
	return if_ioctl(cmd, &ifr);
}

/* A point-to-point IPv4 link: local address, peer, and up. */
static inline int if_set_p2p(const char *name, const char *local,
			     const char *peer)
{
	int err;

	err = if_set_inet(name, SIOCSIFADDR, local);
	if (!err)
		err = if_set_inet(name, SIOCSIFDSTADDR, peer);
	if (!err)
		err = if_set_up(name, 1);
	return err;
}

/*
 * A network namespace of the caller's own, with a sysfs that shows its
 * devices (as ip netns exec mounts one) and lo up: fixed names and
 * addresses then meet no other program's, so programs can run at once.
 * The harness forks each test, so a fixture's setup calling this leaves
 * every test its own. 0 or -errno.
 */
static inline int enter_own_netns(void)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL))
		return -errno;
	return if_set_up("lo", 1);
}

/* Run a shell command built like printf; its exit status, or -1. */
static inline int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A number from a sysfs or procfs file, or -1. */
static inline long long read_number(const char *fmt, ...)
{
	char path[256];
	long long val;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lli", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* One of the interface's counters from /sys/class/net/NAME/statistics. */
static inline long long if_stat(const char *name, const char *counter)
{
	return read_number("/sys/class/net/%s/statistics/%s", name, counter);
}

/* RTM_DELLINK by name, as `ip link del NAME`, without forking ip. */
static inline int if_delete(const char *name)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr rta;
		char name[IFNAMSIZ];
	} req = {
		.nh.nlmsg_len = sizeof(req),
		.nh.nlmsg_type = RTM_DELLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.rta.rta_type = IFLA_IFNAME,
		.rta.rta_len = RTA_LENGTH(IFNAMSIZ),
	};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	int fd, err = -EIO;

	snprintf(req.name, sizeof(req.name), "%.*s", IFNAMSIZ - 1, name);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) == sizeof(req) &&
	    recv(fd, &ack, sizeof(ack), 0) >= (ssize_t)sizeof(ack) &&
	    ack.nh.nlmsg_type == NLMSG_ERROR)
		err = ack.err.error;
	close(fd);
	return err;
}

/*
 * Seeded randomness for the fuzz and stress runs (splitmix64): the same
 * seed gives the same sequence, so a failing run can be replayed.
 */
static inline uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A number from the environment (MINITUN_FUZZ_SECONDS, ...), or fallback. */
static inline long long env_number(const char *name, long long fallback)
{
	const char *value = getenv(name);

	return value && *value ? strtoll(value, NULL, 0) : fallback;
}

/* Write a number to a sysfs or procfs file, as echo would; 0 or -errno. */
static inline int write_number(long long val, const char *fmt, ...)
{
	char path[256];
	va_list ap;
	FILE *f;
	int err = 0;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%lld\n", val) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/*
 * No IPv6 on the interface: the stack then sends nothing into it unasked
 * (no router solicitation, DAD or MLD), so a test can count every packet.
 */
static inline int if_no_ipv6(const char *name)
{
	return write_number(1, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
}

/* Run a shell command built like printf, its stdout and stderr into out. */
static inline int run_output(char *out, size_t size, const char *fmt, ...)
{
	char cmd[1024];
	size_t len = 0, n;
	va_list ap;
	int status;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 5, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>&1");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (len + 1 < size && (n = fread(out + len, 1, size - 1 - len, p)))
		len += n;
	out[len] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A UDP socket connected to addr:port (IPv4); fd or -errno. */
static inline int udp_connect(const char *addr, int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
	};
	int fd, err;

	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* read() that gives up after timeout_ms: bytes read, -ETIMEDOUT or -errno. */
static inline ssize_t read_timeout(int fd, void *buf, size_t len,
				   int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	n = poll(&pfd, 1, timeout_ms);
	if (n < 0)
		return -errno;
	if (!n)
		return -ETIMEDOUT;
	n = read(fd, buf, len);
	return n < 0 ? -errno : n;
}

/*
 * One counter of `ethtool -S NAME`, by name, through SIOCETHTOOL as ethtool
 * reads it; -1 if the interface has no counter so named.
 */
static inline long long ethtool_stat(const char *name, const char *stat)
{
	struct ethtool_gstrings *strings = NULL;
	struct ethtool_sset_info *sset;
	struct ethtool_stats *stats = NULL;
	long long val = -1;
	struct ifreq ifr = {};
	unsigned int i, n;

	sset = calloc(1, sizeof(*sset) + sizeof(__u32));
	if (!sset)
		return -1;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%.*s", IFNAMSIZ - 1, name);
	ifr.ifr_data = (void *)sset;
	sset->cmd = ETHTOOL_GSSET_INFO;
	sset->sset_mask = 1ULL << ETH_SS_STATS;
	if (if_ioctl(SIOCETHTOOL, &ifr) || !sset->sset_mask)
		goto out;
	n = sset->data[0];

	strings = calloc(1, sizeof(*strings) + n * ETH_GSTRING_LEN);
	stats = calloc(1, sizeof(*stats) + n * sizeof(__u64));
	if (!strings || !stats)
		goto out;
	strings->cmd = ETHTOOL_GSTRINGS;
	strings->string_set = ETH_SS_STATS;
	strings->len = n;
	ifr.ifr_data = (void *)strings;
	if (if_ioctl(SIOCETHTOOL, &ifr))
		goto out;
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = n;
	ifr.ifr_data = (void *)stats;
	if (if_ioctl(SIOCETHTOOL, &ifr))
		goto out;

	for (i = 0; i < n; i++) {
		if (!strncmp((char *)strings->data + i * ETH_GSTRING_LEN, stat,
			     ETH_GSTRING_LEN)) {
			val = stats->data[i];
			break;
		}
	}
out:
	free(stats);
	free(strings);
	free(sset);
	return val;
}

/* The interface's tx queues in use (real_num_tx_queues), or -errno. */
static inline int if_tx_queues(const char *name)
{
	char path[256];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", name);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir)))
		n += !strncmp(d->d_name, "tx-", 3);
	closedir(dir);
	return n;
}

/*
 * A child's exit status (as waitpid() gives it) once it exits within
 * timeout_ms; past that it is killed and -ETIMEDOUT returned, so a test
 * waiting on a child that never wakes fails instead of hanging.
 */
static inline int wait_exit(pid_t pid, int timeout_ms)
{
	int status, ms;

	for (ms = 0; ms < timeout_ms; ms += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(10 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -ETIMEDOUT;
}

/* TUNSETQUEUE: attach (IFF_ATTACH_QUEUE) or detach a queue; 0 or -errno. */
static inline int tun_setqueue(int fd, int flags)
{
	struct ifreq ifr = { .ifr_flags = flags };

	return ioctl(fd, TUNSETQUEUE, &ifr) ? -errno : 0;
}

/* An interface of that name exists in this network namespace. */
static inline int link_exists(const char *name)
{
	return read_number("/sys/class/net/%s/ifindex", name) > 0;
}

/* A module's reference count (/sys/module/NAME/refcnt), or -1. */
static inline long long module_refs(const char *module)
{
	return read_number("/sys/module/%s/refcnt", module);
}

/*
 * The module's reference count once it is want, within timeout_ms, or what
 * it is then: files that close and devices that go (a dying namespace's
 * from a workqueue, after RCU grace periods) may let go after close().
 */
static inline long long wait_module_refs(const char *module, long long want,
					 int timeout_ms)
{
	long long refs;
	int ms;

	for (ms = 0; ; ms += 10) {
		refs = module_refs(module);
		if (refs == want || ms >= timeout_ms)
			return refs;
		usleep(10 * 1000);
	}
}

/*
 * Load minitun again, from the file the runner names (MINITUN_KO, which
 * selftests/run sets to this tree's build) or else as an installed module:
 * the tests name no path of the repository. run()'s status.
 */
static inline int load_minitun(void)
{
	const char *ko = getenv("MINITUN_KO");

	return ko && *ko ? run("insmod '%s'", ko) : run("modprobe minitun");
}

/* One datagram of len bytes to addr:port (IPv4); 0 or -errno. */
static inline int send_udp(const char *addr, int port, const void *buf,
			   size_t len)
{
	int fd, err = 0;

	fd = udp_connect(addr, port);
	if (fd < 0)
		return fd;
	if (send(fd, buf, len, 0) != (ssize_t)len)
		err = -errno;
	close(fd);
	return err;
}

/*
 * A counter of this network namespace's IP statistics, as netstat -s reads
 * them: snmp_stat("Ip", "InReceives") from /proc/net/snmp, where a line of
 * names precedes a line of values; snmp_stat("Ip6", "InReceives") is
 * Ip6InReceives in /proc/net/snmp6. -1 if there is no such counter.
 */
static inline long long snmp_stat(const char *group, const char *name)
{
	char names[4096], values[4096], want[64], *n, *v, *sn, *sv;
	int v6 = !strcmp(group, "Ip6");
	long long val = -1;
	FILE *f;

	f = fopen(v6 ? "/proc/net/snmp6" : "/proc/net/snmp", "r");
	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%s%s", v6 ? group : "", name);
	while (val < 0 && fgets(names, sizeof(names), f)) {
		if (v6) {
			if (sscanf(names, "%63s %lld", values, &val) != 2 ||
			    strcmp(values, want))
				val = -1;
			continue;
		}
		if (strncmp(names, group, strlen(group)) ||
		    names[strlen(group)] != ':' ||
		    !fgets(values, sizeof(values), f))
			continue;
		n = strtok_r(names + strlen(group) + 1, " \n", &sn);
		v = strtok_r(values + strlen(group) + 1, " \n", &sv);
		for (; n && v; n = strtok_r(NULL, " \n", &sn),
			       v = strtok_r(NULL, " \n", &sv))
			if (!strcmp(n, want))
				val = strtoll(v, NULL, 10);
	}
	fclose(f);
	return val;
}

/*
 * Wait, for at most timeout_ms, until task tid sleeps (state S in
 * /proc/TID/stat) in a kernel function whose name starts with wchan
 * (/proc/TID/wchan; anywhere if wchan is NULL): then a reader is blocked in
 * read(), not about to call it, and a test can act on it without a sleep
 * that only usually suffices. wchan may list prefixes as "a|b": which
 * function shows depends on what the compiler inlined (the debug lanes'
 * kernels keep poll_schedule_timeout() out of do_sys_poll()). 0, -ESRCH if
 * the task exited, or -ETIMEDOUT.
 */
static inline bool wchan_is(const char *where, const char *wchan)
{
	size_t len;

	for (;;) {
		len = strcspn(wchan, "|");
		if (!strncmp(where, wchan, len))
			return true;
		if (!wchan[len])
			return false;
		wchan += len + 1;
	}
}

static inline int wait_blocked(pid_t tid, const char *wchan, int timeout_ms)
{
	char stat[512], where[128];
	int ms, fd;
	ssize_t n;
	char *p;

	for (ms = 0; ms <= timeout_ms; ms += 2) {
		snprintf(stat, sizeof(stat), "/proc/%d/stat", tid);
		fd = open(stat, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -ESRCH;
		n = read(fd, stat, sizeof(stat) - 1);
		close(fd);
		stat[n > 0 ? n : 0] = '\0';
		/* the state follows the command, which may hold spaces */
		p = strrchr(stat, ')');
		if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
			return -ESRCH;
		if (p[2] == 'S') {
			snprintf(where, sizeof(where), "/proc/%d/wchan", tid);
			fd = open(where, O_RDONLY | O_CLOEXEC);
			n = fd < 0 ? -1 : read(fd, where, sizeof(where) - 1);
			if (fd >= 0)
				close(fd);
			where[n > 0 ? n : 0] = '\0';
			if (!wchan || wchan_is(where, wchan))
				return 0;
		}
		usleep(2000);
	}
	return -ETIMEDOUT;
}

/*
 * How many times task tid has gone to sleep (voluntary_ctxt_switches in
 * /proc/TID/status), or -1: a task that is asleep with the same count as
 * before was never woken meanwhile, even for a moment.
 */
static inline long long sleeps_of(pid_t tid)
{
	long long n = -1;
	char line[128];
	FILE *f;

	snprintf(line, sizeof(line), "/proc/%d/status", tid);
	f = fopen(line, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %lld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * Fork a child that blocks in read() on fd (clearing O_NONBLOCK, which is
 * the parent's too) and return its pid once it sleeps in a kernel function
 * named wchan...: the minitun_ or tun_ read path. The child exits 0 when
 * read() returned len bytes (and check, if any, likes them), with read()'s
 * errno when it failed, and 255 otherwise. -errno if it never blocked.
 */
static inline pid_t fork_blocked_reader(int fd, const char *wchan, size_t len,
					int (*check)(const uint8_t *buf,
						     ssize_t n),
					int timeout_ms)
{
	uint8_t buf[65536];
	pid_t pid;
	ssize_t n;
	int err;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			_exit(errno);
		_exit(n == (ssize_t)len && (!check || check(buf, n)) ? 0 : 255);
	}
	err = wait_blocked(pid, wchan, timeout_ms);
	if (err) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return err;
	}
	return pid;
}

#endif /* _MINITUN_SELFTEST_HELPERS_H */
