// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded random driver of /dev/minitun, in the spirit of syzkaller's
 * programs: short sequences of open, TUNSETIFF, other ioctls (valid and
 * invalid numbers, flags and pointers), read, write, poll, link changes,
 * traffic, queue detach/attach, persist, device deletion and close, each
 * sequence starting from nothing and cleaned up after.
 *
 * What it checks is mostly the kernel's: the VM runner fails the run on any
 * splat, and the seed printed first replays the run. It checks one thing
 * itself: after every sequence the module is back to no device and no
 * reference, so nothing leaked a file, a socket or a persistent device
 * (which any other program's files would break: run it alone).
 *
 * When the kernel has KCOV (the debug lane's kernel), the sequences are
 * coverage-guided: a sequence that reaches module code no earlier one did
 * joins a corpus that later sequences are mutated from.
 *
 * MINITUN_FUZZ_SECONDS (default 20) and MINITUN_FUZZ_SEED set the run.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <linux/ethtool.h>
#include <linux/kcov.h>
#include <linux/sockios.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#include "helpers.h"
#include "kselftest_harness.h"

#define FUZZ_FDS		6
#define FUZZ_NAMES		3
#define PROGRAM_LEN		48
#define CORPUS_MAX		512
#define KCOV_WORDS		(64 << 10)
#define COVERAGE_BITS		(1 << 20)
#define FUZZ_PAGE		4096	/* x86's page size */

/* One step of a program: which operation, and the seed of its arguments. */
struct step {
	uint8_t op;
	uint64_t seed;
};

struct program {
	struct step steps[PROGRAM_LEN];
};

struct fuzz {
	uint64_t rng;
	int fds[FUZZ_FDS];
	int udp;
	char buf[70000];
	char *edge;		/* two bytes before an unmapped page */
	/* coverage guidance, when /sys/kernel/debug/kcov exists */
	int kcov;
	unsigned long *kcov_area;
	unsigned long text_start, text_end;
	uint8_t *seen;
	unsigned long covered;
	struct program *corpus;
	unsigned int corpus_len;
	/* totals for the report */
	unsigned long programs, steps;
};

static const char * const fuzz_names[FUZZ_NAMES] = { "fz0", "fz1", "fz2" };

static uint64_t pick(struct fuzz *f, uint64_t n)
{
	return next_rand(&f->rng) % n;
}

static int pick_fd(struct fuzz *f)
{
	return f->fds[pick(f, FUZZ_FDS)];
}

static const char *pick_name(struct fuzz *f)
{
	return fuzz_names[pick(f, FUZZ_NAMES)];
}

/* Pointers a buggy or hostile client might pass. */
static void *pick_pointer(struct fuzz *f, void *valid)
{
	switch (pick(f, 6)) {
	case 0:
		return NULL;
	case 1:
		return (void *)1;
	case 2:
		return (void *)0xffff888000000000ull;	/* kernel memory */
	case 3:
		return f->edge;		/* runs off the end */
	default:
		return valid;
	}
}

static void op_open(struct fuzz *f)
{
	int i = pick(f, FUZZ_FDS);

	if (f->fds[i] >= 0)
		close(f->fds[i]);
	f->fds[i] = open(MINITUN_DEV, O_RDWR | (pick(f, 2) ? O_NONBLOCK : 0));
}

static void op_close(struct fuzz *f)
{
	int i = pick(f, FUZZ_FDS);

	if (f->fds[i] >= 0)
		close(f->fds[i]);
	f->fds[i] = -1;
}

static void op_setiff(struct fuzz *f)
{
	static const short bits[] = {
		IFF_NO_PI, IFF_MULTI_QUEUE, IFF_NO_CARRIER, IFF_TUN_EXCL,
		IFF_ONE_QUEUE, IFF_VNET_HDR, IFF_NAPI, IFF_PERSIST,
	};
	struct ifreq ifr = {};
	unsigned int i;

	ifr.ifr_flags = pick(f, 2) ? IFF_TUN : IFF_TAP;
	for (i = 0; i < ARRAY_SIZE(bits); i++)
		if (!pick(f, 3))
			ifr.ifr_flags |= bits[i];
	if (!pick(f, 16))
		ifr.ifr_flags = pick(f, 0x10000);

	switch (pick(f, 5)) {
	case 0:
		break;				/* the driver's template */
	case 1:
		strcpy(ifr.ifr_name, "fz%d");
		break;
	case 2:
		memset(ifr.ifr_name, 'a' + pick(f, 26), IFNAMSIZ);
		break;				/* unterminated */
	default:
		strcpy(ifr.ifr_name, pick_name(f));
	}
	ioctl(pick_fd(f), TUNSETIFF, pick_pointer(f, &ifr));
}

static void op_ioctl(struct fuzz *f)
{
	static const unsigned long cmds[] = {
		TUNGETFEATURES, TUNGETIFF, TUNSETPERSIST, TUNSETOWNER,
		TUNSETGROUP, TUNSETQUEUE, TUNSETOFFLOAD, TUNGETSNDBUF,
		TUNSETSNDBUF, TUNSETCARRIER, TUNSETLINK, TUNSETVNETHDRSZ,
		TUNATTACHFILTER, TUNSETSTEERINGEBPF, SIOCGIFHWADDR,
		SIOCSIFHWADDR, SIOCGIFFLAGS, FIONREAD,
	};
	union {
		struct ifreq ifr;
		int value;
	} arg = {};
	unsigned long cmd;

	cmd = pick(f, 8) ? cmds[pick(f, ARRAY_SIZE(cmds))] : next_rand(&f->rng);
	if (cmd == TUNSETQUEUE)
		arg.ifr.ifr_flags = pick(f, 2) ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	else
		arg.value = pick(f, 4) ? (int)pick(f, 3) : (int)next_rand(&f->rng);
	if (cmd == SIOCSIFHWADDR)
		arg.ifr.ifr_hwaddr.sa_family = pick(f, 2) ? 1 : pick(f, 0x10000);

	if (cmd == TUNSETPERSIST || cmd == TUNSETOWNER ||
	    cmd == TUNSETGROUP || cmd == TUNSETOFFLOAD || cmd == TUNSETLINK)
		ioctl(pick_fd(f), cmd, pick(f, 4) ? pick(f, 3) : next_rand(&f->rng));
	else
		ioctl(pick_fd(f), cmd, pick_pointer(f, &arg));
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Reads are cut short by a timer, so blocking ones get interrupted. */
static void op_read(struct fuzz *f)
{
	static const size_t sizes[] = { 0, 1, 3, 4, 5, 20, 64, 1500, 1504,
					65536, 70000 };
	struct itimerval timer = { .it_value.tv_usec = 2000 };
	size_t len = sizes[pick(f, ARRAY_SIZE(sizes))];

	setitimer(ITIMER_REAL, &timer, NULL);
	read(pick_fd(f), pick_pointer(f, f->buf), len);
	timer.it_value.tv_usec = 0;
	setitimer(ITIMER_REAL, &timer, NULL);
}

/* Random bytes, or something that starts like IPv4 or IPv6. */
static void op_write(struct fuzz *f)
{
	static const size_t sizes[] = { 0, 1, 3, 4, 5, 13, 14, 20, 28, 40,
					60, 1500, 1504, 9000, 65535, 70000 };
	size_t len = pick(f, 8) ? sizes[pick(f, ARRAY_SIZE(sizes))]
				: pick(f, sizeof(f->buf));
	size_t i;

	for (i = 0; i < len && i < 64; i++)
		f->buf[i] = next_rand(&f->rng);
	switch (pick(f, 3)) {
	case 0:
		f->buf[0] = 0x45;
		f->buf[4] = 0x45;
		break;
	case 1:
		f->buf[0] = 0x60;
		f->buf[4] = 0x60;
		break;
	}
	write(pick_fd(f), pick_pointer(f, f->buf), len);
}

static void op_poll(struct fuzz *f)
{
	struct pollfd pfd[FUZZ_FDS];
	int i;

	for (i = 0; i < FUZZ_FDS; i++) {
		pfd[i].fd = f->fds[i];
		pfd[i].events = POLLIN | POLLOUT;
	}
	poll(pfd, FUZZ_FDS, 0);
}

static void op_link(struct fuzz *f)
{
	static const int txqlens[] = { 0, 1, 2, 16, 500, 4096 };
	const char *name = pick_name(f);
	struct ifreq ifr = {};
	char addr[16], peer[16];
	int n = name[2] - '0';

	strcpy(ifr.ifr_name, name);
	switch (pick(f, 4)) {
	case 0:
		if_set_up(name, pick(f, 2));
		break;
	case 1:
		ifr.ifr_qlen = txqlens[pick(f, ARRAY_SIZE(txqlens))];
		if_ioctl(SIOCSIFTXQLEN, &ifr);
		break;
	case 2:
		snprintf(addr, sizeof(addr), "10.77.%d.1", n);
		snprintf(peer, sizeof(peer), "10.77.%d.2", n);
		if_set_p2p(name, addr, peer);
		break;
	default:
		ifr.ifr_mtu = pick(f, 2) ? 1500 : pick(f, 70000);
		if_ioctl(SIOCSIFMTU, &ifr);
	}
}

/* Packets from the stack into whichever device has 10.77.N.0/24. */
static void op_traffic(struct fuzz *f)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	int burst = 1 << pick(f, 10), i;
	char addr[16];

	snprintf(addr, sizeof(addr), "10.77.%d.2", (int)pick(f, FUZZ_NAMES));
	inet_pton(AF_INET, addr, &to.sin_addr);
	for (i = 0; i < burst; i++)
		sendto(f->udp, f->buf, pick(f, 1400), MSG_DONTWAIT,
		       (struct sockaddr *)&to, sizeof(to));
}

static void op_delete(struct fuzz *f)
{
	if_delete(pick_name(f));
}

static void op_fasync(struct fuzz *f)
{
	int fd = pick_fd(f), fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl ^ O_ASYNC);
}

typedef void (*fuzz_op)(struct fuzz *f);

/*
 * Weighted by repetition: setting up devices and moving packets matter most.
 * Link changes wait for RCU grace periods, slow under emulation: once only.
 */
static const fuzz_op ops[] = {
	op_open, op_open, op_open, op_close, op_setiff, op_setiff, op_setiff,
	op_ioctl, op_ioctl, op_read, op_read, op_write, op_write, op_poll,
	op_link, op_traffic, op_traffic, op_delete, op_fasync,
};

static bool is_minitun(const char *name)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&info };

	snprintf(ifr.ifr_name, IFNAMSIZ, "%.*s", IFNAMSIZ - 1, name);
	return !if_ioctl(SIOCETHTOOL, &ifr) && !strcmp(info.driver, "minitun");
}

/*
 * Back to nothing: no file open and no device left, whatever its name (the
 * templates and garbage names make persistent devices too).
 */
static void cleanup(struct fuzz *f)
{
	struct dirent *entry;
	DIR *dir;
	int i;

	for (i = 0; i < FUZZ_FDS; i++) {
		if (f->fds[i] >= 0)
			close(f->fds[i]);
		f->fds[i] = -1;
	}
	dir = opendir("/sys/class/net");
	if (!dir)
		return;
	while ((entry = readdir(dir)))
		if (entry->d_name[0] != '.' && is_minitun(entry->d_name))
			if_delete(entry->d_name);
	closedir(dir);
}

static bool kcov_open(struct fuzz *f)
{
	unsigned long size;
	FILE *sections;

	f->kcov = open("/sys/kernel/debug/kcov", O_RDWR);
	if (f->kcov < 0)
		return false;
	if (ioctl(f->kcov, KCOV_INIT_TRACE, KCOV_WORDS))
		goto fail;
	f->kcov_area = mmap(NULL, KCOV_WORDS * sizeof(unsigned long),
			    PROT_READ | PROT_WRITE, MAP_SHARED, f->kcov, 0);
	if (f->kcov_area == MAP_FAILED)
		goto fail;

	/* Only the module's own code counts as new ground. */
	sections = fopen("/sys/module/minitun/sections/.text", "r");
	if (!sections || fscanf(sections, "%lx", &f->text_start) != 1)
		goto fail;
	fclose(sections);
	size = read_number("/sys/module/minitun/coresize");
	f->text_end = f->text_start + size;
	f->seen = calloc(COVERAGE_BITS / 8, 1);
	f->corpus = calloc(CORPUS_MAX, sizeof(*f->corpus));
	return f->seen && f->corpus;
fail:
	close(f->kcov);
	f->kcov = -1;
	return false;
}

/* Run one program; true if it reached module code never reached before. */
static bool run_program(struct fuzz *f, const struct program *p)
{
	unsigned long i, n, pc, bit;
	bool fresh = false;
	int s;

	if (f->kcov >= 0) {
		ioctl(f->kcov, KCOV_ENABLE, 0);
		__atomic_store_n(&f->kcov_area[0], 0, __ATOMIC_RELAXED);
	}
	for (s = 0; s < PROGRAM_LEN; s++) {
		f->rng = p->steps[s].seed;
		ops[p->steps[s].op % ARRAY_SIZE(ops)](f);
	}
	if (f->kcov >= 0) {
		n = __atomic_load_n(&f->kcov_area[0], __ATOMIC_RELAXED);
		for (i = 0; i < n && i + 1 < KCOV_WORDS; i++) {
			pc = f->kcov_area[i + 1];
			if (pc < f->text_start || pc >= f->text_end)
				continue;
			bit = (pc - f->text_start) % COVERAGE_BITS;
			if (f->seen[bit / 8] & (1 << bit % 8))
				continue;
			f->seen[bit / 8] |= 1 << bit % 8;
			f->covered++;
			fresh = true;
		}
		ioctl(f->kcov, KCOV_DISABLE, 0);
	}
	f->programs++;
	f->steps += PROGRAM_LEN;
	return fresh;
}

/* A fresh random program, or (with a corpus) a mutation of a kept one. */
static void next_program(struct fuzz *f, uint64_t *state, struct program *p)
{
	unsigned int s, changes;

	if (f->corpus_len && next_rand(state) % 4) {
		*p = f->corpus[next_rand(state) % f->corpus_len];
		changes = 1 + next_rand(state) % 3;
		while (changes--) {
			s = next_rand(state) % PROGRAM_LEN;
			p->steps[s].seed = next_rand(state);
			if (next_rand(state) % 2)
				p->steps[s].op = next_rand(state);
		}
		return;
	}
	for (s = 0; s < PROGRAM_LEN; s++) {
		p->steps[s].op = next_rand(state);
		p->steps[s].seed = next_rand(state);
	}
}

FIXTURE(fuzz)
{
	struct fuzz f;
};

FIXTURE_SETUP(fuzz)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int i;

	memset(&self->f, 0, sizeof(self->f));
	for (i = 0; i < FUZZ_FDS; i++)
		self->f.fds[i] = -1;
	self->f.kcov = -1;
	self->f.udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->f.udp);
	/*
	 * A buffer that ends where memory does, so that a copy running off
	 * its end faults. Past the end of buf it would land in this fixture's
	 * own fields: a 70000-byte read there once overwrote kcov, its area
	 * and the coverage count.
	 */
	self->f.edge = mmap(NULL, 2 * FUZZ_PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->f.edge);
	ASSERT_EQ(0, mprotect(self->f.edge + FUZZ_PAGE, FUZZ_PAGE, PROT_NONE));
	self->f.edge += FUZZ_PAGE - 2;
	/* no SA_RESTART: a blocked read must see the interruption */
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGIO, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (access(MINITUN_DEV, F_OK))
		SKIP(return, "%s is missing: the module is not loaded", MINITUN_DEV);
	ASSERT_EQ(0, enter_own_netns());
}

FIXTURE_TEARDOWN(fuzz)
{
	cleanup(&self->f);
	close(self->f.udp);
	munmap(self->f.edge + 2 - FUZZ_PAGE, 2 * FUZZ_PAGE);
}

TEST_F_TIMEOUT(fuzz, random_programs_leave_nothing_behind, 3600)
{
	long seconds = env_number("MINITUN_FUZZ_SECONDS", 20);
	uint64_t state = env_number("MINITUN_FUZZ_SEED", time(NULL));
	struct fuzz *f = &self->f;
	struct program p;
	time_t end;

	TH_LOG("seed %llu, %ld s; replay with MINITUN_FUZZ_SEED=%llu",
	       (unsigned long long)state, seconds, (unsigned long long)state);
	if (kcov_open(f))
		TH_LOG("coverage-guided by KCOV over minitun's .text");

	for (end = time(NULL) + seconds; time(NULL) < end;) {
		next_program(f, &state, &p);
		if (run_program(f, &p) && f->corpus_len < CORPUS_MAX)
			f->corpus[f->corpus_len++] = p;
		cleanup(f);
		/* Everything closed and deleted: no reference may remain. */
		ASSERT_EQ(0, read_number("/sys/module/minitun/refcnt"))
			TH_LOG("program %lu left a reference", f->programs);
	}

	TH_LOG("%lu programs, %lu steps%s", f->programs, f->steps,
	       f->kcov >= 0 ? "" : " (no KCOV: unguided)");
	if (f->kcov >= 0)
		TH_LOG("%lu module code locations reached, corpus of %u",
		       f->covered, f->corpus_len);
	ASSERT_LT(0, f->programs);
}

TEST_HARNESS_MAIN
