// SPDX-License-Identifier: GPL-2.0
/*
 * minitun trace: load trace.bpf.c, follow one interface's packets from the
 * stack to the reader, and print them: one line (or JSON object) per packet,
 * or log2 latency histograms per stage pair. With --driver tun the same
 * stages come from kprobes on the real tun driver, for comparison.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <linux/types.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "device.h"
#include "netlink.h"
#include "trace.h"
#include "trace.skel.h"
#include "trace_filter.h"

/* How often the loop looks at the clock, the counters and the records. */
#define TRACE_POLL_MS		50
#define DROP_REASON_PREFIX	"SKB_DROP_REASON_"
/* the enums that name drop reasons: skb_, mac80211_, ovs_drop_reason */
#define DROP_REASON_ENUM	"drop_reason"
/* the subsystem's part of a reason: enum skb_drop_reason_subsys */
#define DROP_REASON_SUBSYS_MASK	0xffff0000u

enum trace_driver {
	DRIVER_MINITUN,
	DRIVER_TUN,
};

static const char * const driver_names[] = {
	[DRIVER_MINITUN] = "minitun",
	[DRIVER_TUN] = "tun",
};

static const char * const stage_names[NR_STAGES] = {
	[STAGE_QUEUED] = "queued",
	[STAGE_XMIT] = "xmit",
	[STAGE_ENQUEUED] = "enqueued",
	[STAGE_WOKEN] = "woken",
	[STAGE_DEQUEUED] = "dequeued",
	[STAGE_COPIED] = "copied",
};

/* the write direction's, in the same slots */
static const char * const write_stage_names[NR_STAGES] = {
	[STAGE_INJECTED] = "injected",
	[STAGE_RECEIVED] = "received",
};

static const char * const span_names[NR_SPANS] = {
	[SPAN_QUEUED_ENQUEUED] = "queued -> enqueued",
	[SPAN_ENQUEUED_WOKEN] = "enqueued -> woken",
	[SPAN_WOKEN_DEQUEUED] = "woken -> dequeued",
	[SPAN_DEQUEUED_COPIED] = "dequeued -> copied",
	[SPAN_TOTAL] = "queued -> copied (end to end)",
};

struct reason_name {
	__u32 reason;
	char *name;
};

/* A kernel function, from /proc/kallsyms: where drops happen. */
struct ksym {
	__u64 addr;
	char *name;
	char *module;		/* NULL: vmlinux */
};

struct drop_count {
	__u32 reason;
	__u64 count;
};

/* The same spans as JSON keys. */
static const char * const span_keys[NR_SPANS] = {
	[SPAN_QUEUED_ENQUEUED] = "queued_enqueued",
	[SPAN_ENQUEUED_WOKEN] = "enqueued_woken",
	[SPAN_WOKEN_DEQUEUED] = "woken_dequeued",
	[SPAN_DEQUEUED_COPIED] = "dequeued_copied",
	[SPAN_TOTAL] = "queued_copied",
};

struct trace_env {
	struct mt_common common;	/* --dev: the driver, by its node */
	bool driver_given;		/* --driver */
	const char *ifname;
	const char *netns;		/* --netns: a name (ip netns) or a path */
	enum trace_driver driver;
	unsigned long count;		/* stop after this many packets; 0: never */
	unsigned long duration;		/* stop after this many seconds; 0: never */
	bool hist;
	unsigned long interval;		/* --hist INTERVAL: print every so many s */
	unsigned long intervals;	/* ... COUNT times, then end; 0: never */
	unsigned long intervals_printed;
	char **args;			/* the words after the options */
	int nargs;
	bool summary;
	bool records;			/* a record per packet: neither of the above */
	bool json;
	bool timestamps;		/* -T */
	__u64 wall_offset;		/* CLOCK_REALTIME less bpf_ktime_get_ns() */
	bool verbose;
	bool writes;			/* --writes: the write direction too */
	bool stack;			/* --stack */
	int stacks_fd;			/* ... the BPF map the ids index */
	char *filter;			/* the pcap-filter expression; NULL: none */
	struct trace_filter_insn filter_insns[TRACE_FILTER_INSNS];
	int filter_len;			/* ... compiled: how many of them */
	int ifindex;
	__u32 netns_inum;		/* the namespace the ifindex is in */
	char ifname_json[IFNAMSIZ * 6 + 3];	/* quoted, each byte escaped */
	unsigned long printed;
	/* drop reason names, sorted by reason; loaded on first use */
	struct reason_name *reasons;
	size_t nreasons;
	bool reasons_loaded;
	bool module_reasons_loaded;
	/* kernel functions, sorted by address; loaded at the first drop */
	struct ksym *ksyms;
	size_t nksyms;
	bool ksyms_loaded;
};

static volatile sig_atomic_t exiting;

enum { OPT_HIST = 256, OPT_SUMMARY, OPT_DRIVER, OPT_NETNS, OPT_WRITES, OPT_STACK };

static const struct argp_option trace_options[] = {
	{ "interface", 'i', "NAME", 0,
	  "the interface (default: mtun0, tun0 with --driver tun)", 0 },
	{ "netns", OPT_NETNS, "NS", 0,
	  "the interface's network namespace: a name from 'ip netns', or a path such as /proc/PID/ns/net (default: our own)", 0 },
	{ "count", 'c', "N", 0, "stop after N packets", 0 },
	{ "duration", 'd', "S", 0, "stop after S seconds", 0 },
	{ "hist", OPT_HIST, NULL, 0,
	  "log2 latency histograms per stage pair, and drops by reason", 0 },
	{ "summary", OPT_SUMMARY, NULL, 0,
	  "only the totals: packets read, dropped by reason, taken by the driver", 0 },
	{ "json", 'j', NULL, 0,
	  "one JSON object per packet, then a summary object", 0 },
	{ "driver", OPT_DRIVER, "DRIVER", 0,
	  "minitun (default), or tun: the same stages on the real tun driver", 0 },
	{ "writes", OPT_WRITES, NULL, 0,
	  "also each packet the reader writes, up the stack: injected, received, then consumed or dropped (minitun only)", 0 },
	{ "stack", OPT_STACK, NULL, 0,
	  "each drop's kernel stack, from the function that dropped it down", 0 },
	{ "timestamp", 'T', NULL, 0,
	  "each packet with the wall-clock time it was first seen", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf's and the verifier's own messages", 0 },
	{ 0 }
};

static enum trace_driver parse_driver(struct argp_state *state, const char *arg)
{
	if (!strcmp(arg, driver_names[DRIVER_MINITUN]))
		return DRIVER_MINITUN;
	if (!strcmp(arg, driver_names[DRIVER_TUN]))
		return DRIVER_TUN;
	argp_error(state, "--driver takes minitun or tun, not '%s'", arg);
	return DRIVER_MINITUN;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/*
 * The words after the options: with --hist, first an interval and a
 * count, as runqlat takes them; then a filter, the words joined as
 * tcpdump joins them.
 */
static void parse_words(struct argp_state *state, struct trace_env *env)
{
	char **w = env->args;
	int n = env->nargs, i;
	size_t len = 1;

	if (n && all_digits(w[0]) && !env->hist)
		argp_error(state, "'%s': an interval goes with --hist (--hist 1 5: every second, five times); a filter is a pcap-filter expression",
			   w[0]);
	if (n && all_digits(w[0])) {
		env->interval = mt_parse_number(state, "the interval", w[0], 1,
						UINT_MAX);
		w++, n--;
		if (n && all_digits(w[0])) {
			env->intervals = mt_parse_number(state, "the count",
							 w[0], 1, UINT_MAX);
			w++, n--;
		}
	}
	if (!n)
		return;
	for (i = 0; i < n; i++)
		len += strlen(w[i]) + 1;
	env->filter = malloc(len);
	if (!env->filter)
		argp_failure(state, EXIT_RUNTIME, ENOMEM, "the filter");
	env->filter[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i)
			strcat(env->filter, " ");
		strcat(env->filter, w[i]);
	}
}

static error_t parse_trace(int key, char *arg, struct argp_state *state)
{
	struct trace_env *env = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &env->common;
		return 0;
	case 'i':
		env->ifname = mt_parse_ifname(state, arg);
		return 0;
	case 'c':
		env->count = mt_parse_number(state, "--count", arg, 1, ULONG_MAX);
		return 0;
	case 'd':
		env->duration = mt_parse_number(state, "--duration", arg, 1,
						UINT_MAX);
		return 0;
	case OPT_HIST:
		env->hist = true;
		return 0;
	case OPT_SUMMARY:
		env->summary = true;
		return 0;
	case 'j':
		env->json = true;
		return 0;
	case OPT_DRIVER:
		env->driver = parse_driver(state, arg);
		env->driver_given = true;
		return 0;
	case OPT_NETNS:
		if (!*arg)
			argp_error(state, "--netns takes a name from 'ip netns' or a path");
		env->netns = arg;
		return 0;
	case 'T':
		env->timestamps = true;
		return 0;
	case OPT_WRITES:
		env->writes = true;
		return 0;
	case OPT_STACK:
		env->stack = true;
		return 0;
	case 'v':
		env->verbose = true;
		return 0;
	case ARGP_KEY_ARGS:
		env->args = state->argv + state->next;
		env->nargs = state->argc - state->next;
		return 0;
	case ARGP_KEY_END:
		if (env->hist && env->summary)
			argp_error(state, "--hist prints the totals already: drop --summary");
		parse_words(state, env);
		if (env->writes && (env->hist || env->summary))
			argp_error(state, "--writes follows each written packet in a record of its own: not with --hist or --summary");
		if (env->stack && (env->hist || env->summary))
			argp_error(state, "--stack prints under each drop's own line: not with --hist or --summary");
		env->records = !env->hist && !env->summary;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp trace_argp = {
	.options = trace_options,
	.parser = parse_trace,
	.children = mt_common_children,
	.args_doc = "[FILTER]\n--hist [INTERVAL [COUNT]] [FILTER]",
	.doc = "Follow every packet of one interface from the stack to its reader "
	       "with eBPF: queued (net_dev_queue), handed to the driver (xmit), "
	       "enqueued on its ring (with the ring's occupancy), reader woken, "
	       "dequeued and copied to user space, in microseconds since it was "
	       "queued, with the bytes copied and, in minitun's batched mode, how "
	       "many packets that read() returned; or dropped, with the kernel's "
	       "reason. FILTER, a pcap-filter(7) expression as tcpdump takes, "
	       "picks the packets: only those it matches are followed and "
	       "counted. Needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN). Ctrl-C, "
	       "--count or --duration ends it and prints the totals.\v"
	       "Examples:\n"
	       "  minitun trace                        a line per packet on mtun0\n"
	       "  minitun trace --hist --duration 10   latency histograms\n"
	       "  minitun trace --hist --json -d 10    the same, as JSON\n"
	       "  minitun trace --hist 1 5             every second, five times\n"
	       "  minitun trace --json --count 10      ten packets as JSON\n"
	       "  minitun trace --writes               echo's answers too, up the stack\n"
	       "  minitun trace --summary --json       only the totals, as JSON\n"
	       "  minitun trace --driver tun -i tun0   the same stages on tun\n"
	       "  minitun trace --netns blue -i mtun0  mtun0 of namespace blue\n"
	       "  minitun trace -i mtun0 'udp port 53' only DNS over UDP\n"
	       "\nThe stages, the outputs and what tracing costs: docs/tracing.md",
};

/*
 * --dev PATH picks the driver as --driver does, by the driver behind the
 * node; the default node leaves --driver's choice. Then the default name.
 */
static int resolve_driver(struct trace_env *env)
{
	enum trace_driver driver = DRIVER_MINITUN;
	struct mt_device dev;

	if (strcmp(env->common.node, MINITUN_NODE)) {
		if (mt_device_init(&dev, env->common.node, NULL))
			return EXIT_RUNTIME;
		if (!strcmp(dev.driver, driver_names[DRIVER_TUN]))
			driver = DRIVER_TUN;
		else if (strcmp(dev.driver, driver_names[DRIVER_MINITUN])) {
			mt_error("%s is neither minitun's node nor tun's: pass --dev %s or --dev %s",
				 env->common.node, MINITUN_NODE, TUN_NODE);
			return EXIT_USAGE;
		}
		if (env->driver_given && env->driver != driver) {
			mt_error("--dev %s is %s's, but --driver says %s: pick one",
				 env->common.node, driver_names[driver],
				 driver_names[env->driver]);
			return EXIT_USAGE;
		}
		env->driver = driver;
	}
	if (!env->ifname)
		env->ifname = env->driver == DRIVER_TUN ? "tun0" : "mtun0";
	return EXIT_OK;
}

/*
 * The namespace whose interface we trace: ours, or with --netns the one
 * named, which we enter so that the interface is looked up in it. Its
 * inode tells it apart in BPF, as pwru's --filter-netns does.
 */
static int enter_netns(struct trace_env *env)
{
	const char *path = "/proc/self/ns/net";
	char named[PATH_MAX];
	struct stat st;
	int fd;

	if (env->netns && strchr(env->netns, '/')) {
		path = env->netns;
	} else if (env->netns) {
		snprintf(named, sizeof(named), "/run/netns/%s", env->netns);
		path = named;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && path == named)
			mt_error("no network namespace %s: 'ip netns' lists them",
				 env->netns);
		else
			mt_error("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || (env->netns && setns(fd, CLONE_NEWNET))) {
		mt_error("%s is not a network namespace we can enter: %s",
			 path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	env->netns_inum = st.st_ino;
	return 0;
}

/* cap is in our effective set: what the kernel checks, not our uid */
static bool has_cap(unsigned int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

/* Everything that can be checked before loading, each with its fix. */
static int preflight(struct trace_env *env)
{
	const char *drv = driver_names[env->driver];
	struct nl_link link;
	char path[64];
	bool loaded;
	int err;

	if (!has_cap(CAP_SYS_ADMIN) &&
	    !(has_cap(CAP_BPF) && has_cap(CAP_PERFMON))) {
		mt_error("needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN, to load BPF programs: run it as root (sudo)");
		return -1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		mt_error("this kernel has no BTF (/sys/kernel/btf/vmlinux): it needs CONFIG_DEBUG_INFO_BTF=y");
		return -1;
	}
	if (enter_netns(env))
		return -1;
	/* tun may be built in, without /sys/module/tun: its devices tell */
	snprintf(path, sizeof(path), "/sys/module/%s", drv);
	loaded = !access(path, F_OK);
	if (!loaded && env->driver == DRIVER_MINITUN) {
		mt_error("the minitun module is not loaded: insmod kmod/minitun.ko");
		return -1;
	}
	err = nl_link_get(env->ifname, &link);
	if (err == -ENODEV && !loaded)
		mt_error("no interface %s, and the tun module is not loaded: modprobe tun, then bring one up",
			 env->ifname);
	else if (err == -ENODEV)
		mt_error("no interface %s: bring one up ('minitun up'), or name another with -i",
			 env->ifname);
	if (err)
		return -1;
	if (strcmp(link.kind, drv)) {
		mt_error("%s is not a %s device (its kind is '%s'): %s",
			 env->ifname, drv, *link.kind ? link.kind : "none",
			 strcmp(link.kind, "tun") && strcmp(link.kind, "minitun") ?
			 "name another with -i" : "pick the other --driver");
		return -1;
	}
	if (env->writes && env->driver != DRIVER_MINITUN) {
		mt_error("--writes follows minitun's minitun_inject tracepoint, which tun has no counterpart of: drop --writes, or trace a minitun device");
		return -1;
	}
	env->ifindex = link.ifindex;
	return 0;
}

static int cmp_reason(const void *a, const void *b)
{
	const struct reason_name *x = a, *y = b;

	return x->reason < y->reason ? -1 : x->reason > y->reason;
}

static void add_reason(struct trace_env *env, __u32 reason, const char *name)
{
	struct reason_name *r;

	r = realloc(env->reasons, (env->nreasons + 1) * sizeof(*r));
	if (!r)
		return;
	env->reasons = r;
	r += env->nreasons;
	r->reason = reason;
	r->name = strdup(name);
	if (r->name)
		env->nreasons++;
}

/* Every enum of btf's own types (past base's) named *drop_reason. */
static void add_reason_enums(struct trace_env *env, const struct btf *btf,
			     __u32 first)
{
	size_t suffix = strlen(DROP_REASON_ENUM), len;
	const struct btf_type *t;
	const struct btf_enum *e;
	const char *name;
	__u32 id, n;
	int i;

	n = btf__type_cnt(btf);
	for (id = first; id < n; id++) {
		t = btf__type_by_id(btf, id);
		if (!btf_is_enum(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		len = strlen(name);
		if (len < suffix || strcmp(name + len - suffix, DROP_REASON_ENUM))
			continue;
		e = btf_enum(t);
		for (i = 0; i < btf_vlen(t); i++, e++) {
			name = btf__name_by_offset(btf, e->name_off);
			if (!strncmp(name, DROP_REASON_PREFIX,
				     strlen(DROP_REASON_PREFIX)))
				name += strlen(DROP_REASON_PREFIX);
			add_reason(env, e->val, name);
		}
	}
}

/*
 * Drop reason names, from the running kernel's BTF: enum skb_drop_reason,
 * whose numbering differs between kernels, even between 6.1 releases, and
 * the subsystems' enums (mac80211_drop_reason, ovs_drop_reason), which
 * live in their modules' BTF: read those only when a subsystem's reason
 * turns up. Looked up on first use, so a trace without drops reads none.
 */
static void load_reason_names(struct trace_env *env, bool modules)
{
	struct btf *vmlinux, *btf;
	struct dirent *d;
	DIR *dir;

	vmlinux = btf__load_vmlinux_btf();
	if (libbpf_get_error(vmlinux))
		return;
	if (!env->reasons_loaded)
		add_reason_enums(env, vmlinux, 1);
	env->reasons_loaded = true;
	dir = modules ? opendir("/sys/kernel/btf") : NULL;
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.' || !strcmp(d->d_name, "vmlinux"))
			continue;
		btf = btf__load_module_btf(d->d_name, vmlinux);
		if (libbpf_get_error(btf))
			continue;
		add_reason_enums(env, btf, btf__type_cnt(vmlinux));
		btf__free(btf);
	}
	if (dir)
		closedir(dir);
	env->module_reasons_loaded |= modules;
	btf__free(vmlinux);
	qsort(env->reasons, env->nreasons, sizeof(*env->reasons), cmp_reason);
}

static const char *find_reason(struct trace_env *env, __u32 reason)
{
	struct reason_name key = { .reason = reason }, *r;

	r = bsearch(&key, env->reasons, env->nreasons, sizeof(*r), cmp_reason);
	return r ? r->name : NULL;
}

/* The reason's name, or its number: in hex when a subsystem's. */
static const char *reason_name(struct trace_env *env, __u32 reason)
{
	bool subsys = reason & DROP_REASON_SUBSYS_MASK;
	const char *name;
	char num[16];

	if (!env->reasons_loaded || (subsys && !env->module_reasons_loaded &&
				     !find_reason(env, reason)))
		load_reason_names(env, subsys);
	name = find_reason(env, reason);
	if (name)
		return name;
	snprintf(num, sizeof(num), subsys ? "0x%x" : "%u", reason);
	add_reason(env, reason, num);
	qsort(env->reasons, env->nreasons, sizeof(*env->reasons), cmp_reason);
	name = find_reason(env, reason);
	return name ? name : "?";
}

static void free_reason_names(struct trace_env *env)
{
	while (env->nreasons)
		free(env->reasons[--env->nreasons].name);
	free(env->reasons);
}

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The text symbols of /proc/kallsyms, modules' included. */
static void load_ksyms(struct trace_env *env)
{
	char line[512], *name, *end, *module;
	size_t size = 0;
	struct ksym *k;
	__u64 addr;
	FILE *f;

	env->ksyms_loaded = true;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		addr = strtoull(line, &end, 16);
		/* "ADDR t NAME\t[MODULE]": text only; 0 when addresses are hidden */
		if (!addr || end[0] != ' ' || (end[1] != 't' && end[1] != 'T') ||
		    end[2] != ' ')
			continue;
		name = end + 3;
		name[strcspn(name, "\t\n")] = '\0';
		module = strchr(name + strlen(name) + 1, '[');
		if (module) {
			module++;
			module[strcspn(module, "]")] = '\0';
		}
		if (env->nksyms == size) {
			size = size ? 2 * size : 65536;
			k = realloc(env->ksyms, size * sizeof(*k));
			if (!k)
				break;
			env->ksyms = k;
		}
		k = &env->ksyms[env->nksyms];
		k->addr = addr;
		k->name = strdup(name);
		k->module = module ? strdup(module) : NULL;
		if (k->name)
			env->nksyms++;
	}
	fclose(f);
	qsort(env->ksyms, env->nksyms, sizeof(*env->ksyms), cmp_ksym);
}

/* The function addr is in: the last symbol at or below it. */
static const struct ksym *ksym_of(struct trace_env *env, __u64 addr)
{
	size_t lo = 0, hi, mid;

	if (!env->ksyms_loaded)
		load_ksyms(env);
	hi = env->nksyms;
	if (!addr || !hi || addr < env->ksyms[0].addr)
		return NULL;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (env->ksyms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &env->ksyms[lo];
}

static void free_ksyms(struct trace_env *env)
{
	while (env->nksyms--) {
		free(env->ksyms[env->nksyms].name);
		free(env->ksyms[env->nksyms].module);
	}
	free(env->ksyms);
}

/*
 * s as a JSON string, quotes included, escaped as iproute2's json_writer
 * does: an interface name may hold '"', '\\' and control bytes. Cut short
 * to fit size, never inside an escape.
 */
static const char *json_quote(char *out, size_t size, const char *s)
{
	static const char special[] = "\"\\\b\f\n\r\t", letter[] = "\"\\bfnrt";
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 1, n;
	const char *q;
	char esc[8];

	out[0] = '"';
	for (; *p; p++) {
		q = strchr(special, *p);
		if (q)
			n = snprintf(esc, sizeof(esc), "\\%c", letter[q - special]);
		else if (*p < 0x20)
			n = snprintf(esc, sizeof(esc), "\\u%04x", *p);
		else
			n = snprintf(esc, sizeof(esc), "%c", *p);
		if (len + n + 2 > size)
			break;
		memcpy(out + len, esc, n);
		len += n;
	}
	out[len++] = '"';
	out[len] = '\0';
	return out;
}

/* Where a packet's times count from: its entry into the stack. */
static __u64 record_base(const struct trace_record *r)
{
	__u64 base = r->end;
	int i;

	for (i = 0; i < NR_STAGES; i++)
		if (r->ts[i] && (!base || r->ts[i] < base))
			base = r->ts[i];
	return base;
}

static void print_header(const struct trace_env *env)
{
	if (env->timestamps)
		printf("%-12s ", "TIME");
	printf("%-18s %5s %8s %8s %8s %9s %8s %8s %8s  %s\n", "SKB", "LEN",
	       "QUEUED", "XMIT", "ENQUEUED", "RING", "WOKEN", "DEQUEUED",
	       "COPIED", "FATE (usecs since queued)");
}

/*
 * One output line, built by hand: at full load a line per packet through
 * printf() costs the tracer more CPU than the packet path it watches, and
 * floating point is slower still under emulation.
 */
struct line {
	char buf[512];
	size_t len;
};

static void line_str(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(l->buf) - l->len)
		n = sizeof(l->buf) - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* v in base 10 or 16, right-aligned in width columns (0: no padding) */
static void line_num(struct line *l, unsigned long long v, unsigned int base,
		     size_t width)
{
	char digits[24], *p = digits + sizeof(digits);

	*--p = '\0';
	do {
		*--p = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width > (size_t)(digits + sizeof(digits) - 1 - p) &&
	       l->len < sizeof(l->buf))
		l->buf[l->len++] = ' ', width--;
	line_str(l, p);
}

/* ns after base, in microseconds with one decimal, right-aligned (0: not) */
static void line_usecs(struct line *l, __u64 ts, __u64 base, size_t width)
{
	unsigned long long tenths = (ts - base) / 100;

	/* the ".N" takes two of the columns; unsigned, so no width - 2 below 2 */
	line_num(l, tenths / 10, 10, width > 2 ? width - 2 : 0);
	line_str(l, ".");
	line_num(l, tenths % 10, 10, 0);
}

/* -T: when ts (bpf_ktime_get_ns()) was, as local HH:MM:SS.mmm */
static void line_time(const struct trace_env *env, struct line *l, __u64 ts)
{
	__u64 wall = ts + env->wall_offset;
	time_t secs = wall / 1000000000;
	char buf[16];
	struct tm tm;

	localtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S.", &tm);
	line_str(l, buf);
	snprintf(buf, sizeof(buf), "%03llu ",
		 (unsigned long long)(wall / 1000000 % 1000));
	line_str(l, buf);
}

static void line_print(struct line *l)
{
	fwrite(l->buf, 1, l->len, stdout);
}

/* " dropped at T by FUNCTION [MODULE]: REASON\n" */
static void line_drop(struct trace_env *env, struct line *l,
		      const struct trace_record *r, __u64 base)
{
	const struct ksym *ksym;

	line_str(l, " dropped at ");
	line_usecs(l, r->end, base, 0);
	ksym = ksym_of(env, r->location);
	if (ksym) {
		line_str(l, " by ");
		line_str(l, ksym->name);
		if (ksym->module) {
			line_str(l, " [");
			line_str(l, ksym->module);
			line_str(l, "]");
		}
	}
	line_str(l, ": ");
	line_str(l, reason_name(env, r->reason));
	line_str(l, "\n");
}

/*
 * --stack: the frames of a drop's stack from the function that dropped it
 * (its record's location) down, one a line, or as a JSON array. Those
 * above it are kfree_skb's own and the tracer's.
 */
static void print_stack(struct trace_env *env, const struct trace_record *r,
			bool json)
{
	const struct ksym *dropper, *k;
	__u64 ips[TRACE_STACK_DEPTH] = {};
	char quoted[160], frame[140];
	int i, first = 0, n;

	if (!env->stack)
		return;
	if (r->stack < 0 ||
	    bpf_map_lookup_elem(env->stacks_fd, &r->stack, ips)) {
		printf(json ? ", \"stack\": null" : "    (stack not kept: %s)\n",
		       r->stack < 0 ? strerror(-r->stack) : strerror(errno));
		return;
	}
	for (n = 0; n < TRACE_STACK_DEPTH && ips[n]; n++)
		;
	dropper = ksym_of(env, r->location);
	for (i = 0; dropper && i < n; i++) {
		if (ksym_of(env, ips[i]) == dropper) {
			first = i;
			break;
		}
	}
	if (json)
		fputs(", \"stack\": [", stdout);
	for (i = first; i < n; i++) {
		k = ksym_of(env, ips[i]);
		if (k)
			snprintf(frame, sizeof(frame), "%s+0x%llx%s%s%s", k->name,
				 (unsigned long long)(ips[i] - k->addr),
				 k->module ? " [" : "", k->module ? k->module : "",
				 k->module ? "]" : "");
		else
			snprintf(frame, sizeof(frame), "0x%llx",
				 (unsigned long long)ips[i]);
		if (json)
			printf("%s%s", i == first ? "" : ", ",
			       json_quote(quoted, sizeof(quoted), frame));
		else
			printf("    %s\n", frame);
	}
	if (json)
		fputs("]", stdout);
}

/* A packet the reader wrote: its own line, as it has its own stages. */
static void line_written(struct trace_env *env, struct line *l,
			 const struct trace_record *r, __u64 base)
{
	line_str(l, " written: injected ");
	line_usecs(l, r->ts[STAGE_INJECTED], base, 0);
	line_str(l, ", received ");
	if (r->ts[STAGE_RECEIVED])
		line_usecs(l, r->ts[STAGE_RECEIVED], base, 0);
	else
		line_str(l, "-");
	if (r->fate == FATE_CONSUMED) {
		line_str(l, ", consumed at ");
		line_usecs(l, r->end, base, 0);
		line_str(l, "\n");
	} else {
		line_str(l, ",");
		line_drop(env, l, r, base);
	}
}

static void print_record_text(struct trace_env *env,
			      const struct trace_record *r)
{
	__u64 base = record_base(r);
	struct line l = {};
	size_t ring_end;
	int i;

	if (env->timestamps)
		line_time(env, &l, base);
	line_num(&l, r->skb, 16, 0);
	line_num(&l, r->len, 10, 6);
	if (r->dir == DIR_WRITE) {
		line_written(env, &l, r, base);
		line_print(&l);
		if (r->fate == FATE_DROPPED)
			print_stack(env, r, false);
		return;
	}
	for (i = 0; i < NR_STAGES; i++) {
		if (r->ts[i]) {
			line_str(&l, " ");
			line_usecs(&l, r->ts[i], base, 8);
		} else {
			line_str(&l, "        -");
		}
		if (i != STAGE_ENQUEUED)
			continue;
		ring_end = l.len + 10;
		if (r->ts[i]) {
			line_num(&l, r->occupancy, 10, 5);
			line_str(&l, "/");
			line_num(&l, r->capacity, 10, 0);
		} else {
			line_str(&l, "     -");
		}
		while (l.len < ring_end)
			line_str(&l, " ");
	}
	if (r->fate == FATE_READ) {
		line_str(&l, " read ");
		line_num(&l, r->bytes, 10, 0);
		line_str(&l, "B");
		if (r->batch > 1) {
			line_str(&l, " in a batch of ");
			line_num(&l, r->batch, 10, 0);
		}
		line_str(&l, "\n");
	} else {
		line_drop(env, &l, r, base);
	}
	line_print(&l);
	if (r->fate == FATE_DROPPED)
		print_stack(env, r, false);
}

static const char *ip_proto_name(unsigned int proto, char *num, size_t size)
{
	switch (proto) {
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMPV6: return "icmp6";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_UDPLITE: return "udplite";
	}
	snprintf(num, size, "%u", proto);
	return num;
}

/*
 * The 5-tuple from the record's first bytes: src, dst, proto, sport,
 * dport, each null when the bytes do not tell (not IP, no ports: ICMP, a
 * later fragment, an IPv6 extension header first).
 */
static void line_tuple(struct line *l, const struct trace_record *r)
{
	const __u8 *p = r->head;
	char addr[INET6_ADDRSTRLEN + 2], num[8];
	unsigned int caplen = r->caplen, hlen = 0, proto = 0;
	bool ports = false;
	int family = 0;

	if (caplen > sizeof(r->head))
		caplen = sizeof(r->head);
	if (caplen >= 20 && p[0] >> 4 == 4 && (p[0] & 0xf) >= 5) {
		family = AF_INET;
		hlen = (p[0] & 0xf) * 4;
		proto = p[9];
		/* the first fragment only: offset 0 */
		ports = !((p[6] << 8 | p[7]) & 0x1fff);
	} else if (caplen >= 40 && p[0] >> 4 == 6) {
		family = AF_INET6;
		hlen = 40;
		proto = p[6];
		ports = true;
	}
	ports = ports && hlen + 4 <= caplen &&
		(proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
		 proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE);
	if (!family) {
		line_str(l, ", \"src\": null, \"dst\": null, \"proto\": null");
	} else {
		addr[0] = '"';
		inet_ntop(family, p + (family == AF_INET ? 12 : 8), addr + 1,
			  INET6_ADDRSTRLEN);
		line_str(l, ", \"src\": ");
		line_str(l, strcat(addr, "\""));
		inet_ntop(family, p + (family == AF_INET ? 16 : 24), addr + 1,
			  INET6_ADDRSTRLEN);
		line_str(l, ", \"dst\": ");
		line_str(l, strcat(addr, "\""));
		line_str(l, ", \"proto\": \"");
		line_str(l, ip_proto_name(proto, num, sizeof(num)));
		line_str(l, "\"");
	}
	if (ports) {
		line_str(l, ", \"sport\": ");
		line_num(l, p[hlen] << 8 | p[hlen + 1], 10, 0);
		line_str(l, ", \"dport\": ");
		line_num(l, p[hlen + 2] << 8 | p[hlen + 3], 10, 0);
	} else {
		line_str(l, ", \"sport\": null, \"dport\": null");
	}
}

static void print_record_json(struct trace_env *env,
			      const struct trace_record *r)
{
	__u64 base = record_base(r);
	const struct ksym *ksym;
	const char *sep = "";
	struct line l = {};
	char quoted[128];
	int i;

	line_str(&l, "{\"ifname\": ");
	line_str(&l, env->ifname_json);
	if (env->timestamps) {
		/* ns since the epoch, as every JSON time is in ns */
		line_str(&l, ", \"time\": ");
		line_num(&l, base + env->wall_offset, 10, 0);
	}
	line_str(&l, ", \"len\": ");
	line_num(&l, r->len, 10, 0);
	line_str(&l, ", \"skb\": \"0x");
	line_num(&l, r->skb, 16, 0);
	line_str(&l, "\", \"queue\": ");
	line_num(&l, r->queue, 10, 0);
	line_str(&l, r->dir == DIR_WRITE ? ", \"direction\": \"write\"" :
					   ", \"direction\": \"read\"");
	line_tuple(&l, r);
	/* every time in nanoseconds since the packet was first seen */
	line_str(&l, ", \"stages\": {");
	for (i = 0; i < NR_STAGES; i++) {
		if (!r->ts[i])
			continue;
		line_str(&l, sep);
		line_str(&l, "\"");
		line_str(&l, r->dir == DIR_WRITE && write_stage_names[i] ?
			     write_stage_names[i] : stage_names[i]);
		line_str(&l, "\": ");
		line_num(&l, r->ts[i] - base, 10, 0);
		sep = ", ";
	}
	line_str(&l, "}");
	if (r->ts[STAGE_ENQUEUED]) {
		line_str(&l, ", \"ring\": {\"occupancy\": ");
		line_num(&l, r->occupancy, 10, 0);
		line_str(&l, ", \"capacity\": ");
		line_num(&l, r->capacity, 10, 0);
		line_str(&l, "}");
	}
	if (r->fate == FATE_CONSUMED) {
		line_str(&l, ", \"consumed\": ");
		line_num(&l, r->end - base, 10, 0);
		line_str(&l, ", \"fate\": \"consumed\", \"reason\": null}\n");
	} else if (r->fate == FATE_READ) {
		line_str(&l, ", \"bytes\": ");
		line_num(&l, r->bytes, 10, 0);
		line_str(&l, ", \"batch\": ");
		line_num(&l, r->batch, 10, 0);
		line_str(&l, ", \"fate\": \"read\", \"reason\": null}\n");
	} else {
		line_str(&l, ", \"dropped\": ");
		line_num(&l, r->end - base, 10, 0);
		ksym = ksym_of(env, r->location);
		line_str(&l, ", \"function\": ");
		line_str(&l, ksym ? json_quote(quoted, sizeof(quoted), ksym->name) :
				    "null");
		line_str(&l, ", \"module\": ");
		line_str(&l, ksym && ksym->module ?
			     json_quote(quoted, sizeof(quoted), ksym->module) :
			     "null");
		line_str(&l, ", \"fate\": \"dropped\", \"reason\": ");
		line_str(&l, json_quote(quoted, sizeof(quoted),
					reason_name(env, r->reason)));
		line_print(&l);
		print_stack(env, r, true);
		fputs("}\n", stdout);
		return;
	}
	line_print(&l);
}

static int handle_record(void *ctx, void *data, size_t size)
{
	struct trace_env *env = ctx;

	/* --json's carry the packet's first bytes; the others stop short */
	if (size < (env->json ? sizeof(struct trace_record) :
		    offsetof(struct trace_record, caplen)))
		return 0;
	if (env->count && env->printed >= env->count)
		return 0;
	if (env->json)
		print_record_json(env, data);
	else
		print_record_text(env, data);
	env->printed++;
	return 0;
}

static void print_hist(const char *title, const __u32 *slots)
{
	int first = -1, last = -1, i, j, stars;
	__u32 max = 0;

	for (i = 0; i < TRACE_HIST_SLOTS; i++) {
		if (!slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (slots[i] > max)
			max = slots[i];
	}
	printf("\n%s\n", title);
	if (first < 0) {
		printf("     (no packets)\n");
		return;
	}
	printf("%24s : count    distribution\n", "nsecs");
	for (i = first; i <= last; i++) {
		stars = (int)((__u64)slots[i] * 40 / max);
		printf("%10llu -> %-10llu : %-8u |",
		       i ? 1ULL << i : 0ULL, (1ULL << (i + 1)) - 1, slots[i]);
		for (j = 0; j < 40; j++)
			putchar(j < stars ? '*' : ' ');
		printf("|\n");
	}
}

static int cmp_drop(const void *a, const void *b)
{
	const struct drop_count *x = a, *y = b;

	return x->reason < y->reason ? -1 : x->reason > y->reason;
}

/* The drops map's counts, by reason: how many, each in drops[]. */
static size_t read_drops(struct trace_bpf *skel, struct drop_count *drops)
{
	int fd = bpf_map__fd(skel->maps.drops);
	__u32 key, prev;
	size_t n = 0;

	while (n < TRACE_DROP_REASONS &&
	       !bpf_map_get_next_key(fd, n ? &prev : NULL, &key)) {
		prev = key;
		drops[n].reason = key;
		if (bpf_map_lookup_elem(fd, &key, &drops[n].count))
			break;	/* entries are never deleted: cannot happen */
		n++;
	}
	qsort(drops, n, sizeof(*drops), cmp_drop);
	return n;
}

/*
 * What the summary prints: the totals, histograms and drops, as read at
 * the end, or for --hist INTERVAL, what one interval added to them.
 */
struct trace_snap {
	struct trace_counts counts;
	__u32 hist[NR_SPANS][TRACE_HIST_SLOTS];
	struct drop_count drops[TRACE_DROP_REASONS];
	size_t ndrops;
};

static void snap_take(struct trace_bpf *skel, struct trace_snap *s)
{
	s->counts = skel->bss->counts;
	memcpy(s->hist, skel->bss->hist, sizeof(s->hist));
	s->ndrops = read_drops(skel, s->drops);
}

/*
 * out = cur less prev: what came in between. Counters only grow, so the
 * programs go on running while the tracer reads, with no reset to race.
 */
static void snap_sub(struct trace_snap *out, const struct trace_snap *cur,
		     const struct trace_snap *prev)
{
	const __u64 *c = (const __u64 *)&cur->counts;
	const __u64 *p = (const __u64 *)&prev->counts;
	__u64 *o = (__u64 *)&out->counts;
	const struct drop_count *was;
	size_t i, j;

	for (i = 0; i < sizeof(out->counts) / sizeof(*o); i++)
		o[i] = c[i] - p[i];
	for (i = 0; i < NR_SPANS; i++)
		for (j = 0; j < TRACE_HIST_SLOTS; j++)
			out->hist[i][j] = cur->hist[i][j] - prev->hist[i][j];
	out->ndrops = 0;
	for (i = 0; i < cur->ndrops; i++) {
		was = bsearch(&cur->drops[i], prev->drops, prev->ndrops,
			      sizeof(*was), cmp_drop);
		out->drops[out->ndrops] = cur->drops[i];
		out->drops[out->ndrops].count -= was ? was->count : 0;
		if (out->drops[out->ndrops].count)
			out->ndrops++;
	}
}

static void print_drops_text(struct trace_env *env, const struct trace_snap *s)
{
	size_t i;

	for (i = 0; i < s->ndrops; i++)
		printf("    %-24s %llu\n", reason_name(env, s->drops[i].reason),
		       (unsigned long long)s->drops[i].count);
}

/*
 * net:net_dev_xmit's count: not with --hist, which spares its program, nor
 * with a filter, as the skb may be gone by then and cannot be matched.
 */
static bool counts_xmits(const struct trace_env *env)
{
	return !env->hist && !env->filter;
}

/* The write direction: --writes, which the parser and preflight() check. */
static bool traces_writes(const struct trace_env *env)
{
	return env->writes;
}

static void print_summary_text(struct trace_env *env, const struct trace_snap *s)
{
	const struct trace_counts *c = &s->counts;
	int span;

	if (env->interval) {
		time_t now = time(NULL);
		char when[16];

		strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
		printf("\n%s, interval %lu (%lu s)\n", when,
		       env->intervals_printed, env->interval);
	}
	if (env->hist) {
		for (span = 0; span < NR_SPANS; span++)
			print_hist(span_names[span], s->hist[span]);
		printf("\n%s: %llu packets read, %llu dropped", env->ifname,
		       (unsigned long long)c->read,
		       (unsigned long long)c->dropped);
	} else {
		printf("%s: %llu packets read, %llu dropped, %llu records lost",
		       env->ifname, (unsigned long long)c->read,
		       (unsigned long long)c->dropped,
		       (unsigned long long)c->lost);
	}
	if (counts_xmits(env))
		printf("; the driver took %llu, refused %llu",
		       (unsigned long long)c->xmits,
		       (unsigned long long)c->xmit_errors);
	if (traces_writes(env))
		printf("; %llu written up the stack: %llu consumed, %llu dropped",
		       (unsigned long long)c->written,
		       (unsigned long long)c->consumed,
		       (unsigned long long)c->written_dropped);
	if (traces_writes(env) && c->written_unended)
		printf(", %llu with no end seen (freed where no probe sees, as TCP's data)",
		       (unsigned long long)c->written_unended);
	if (env->filter)
		printf("; only packets matching '%s', each total and histogram",
		       env->filter);
	/* GSO segments: the stack made them after net_dev_queue */
	if (c->unqueued)
		printf("; %llu of them first seen at the driver (GSO segments): no end-to-end time",
		       (unsigned long long)c->unqueued);
	putchar('\n');
	if (c->dropped) {
		printf("drops by reason:\n");
		print_drops_text(env, s);
	}
}

/* --hist --json: each span's buckets that have packets, in nanoseconds */
static void print_hist_json(const struct trace_snap *s)
{
	const char *sep;
	int span, i;
	__u32 n;

	printf(", \"hist\": {");
	for (span = 0; span < NR_SPANS; span++) {
		printf("%s\"%s\": [", span ? ", " : "", span_keys[span]);
		sep = "";
		for (i = 0; i < TRACE_HIST_SLOTS; i++) {
			n = s->hist[span][i];
			if (!n)
				continue;
			printf("%s{\"min\": %llu, \"max\": %llu, \"count\": %u}",
			       sep, i ? 1ULL << i : 0ULL, (1ULL << (i + 1)) - 1, n);
			sep = ", ";
		}
		printf("]");
	}
	printf("}");
}

static void print_summary_json(struct trace_env *env, const struct trace_snap *s)
{
	const struct trace_counts *c = &s->counts;
	const struct drop_count *drops = s->drops;
	size_t i, n = s->ndrops;
	char quoted[128], *filter = NULL;
	size_t size;

	if (env->filter) {
		size = strlen(env->filter) * 6 + 3;
		filter = malloc(size);
		if (filter)
			json_quote(filter, size, env->filter);
	}
	/* with a filter, every count is of the packets it matches */
	printf("{\"summary\": {");
	if (env->interval)
		printf("\"interval\": %lu, \"seconds\": %lu, ",
		       env->intervals_printed, env->interval);
	printf("\"ifname\": %s, \"netns\": %u, \"driver\": \"%s\", \"filter\": %s, \"read\": %llu, \"dropped\": %llu, \"drops\": {",
	       env->ifname_json, env->netns_inum, driver_names[env->driver],
	       filter ? filter : "null",
	       (unsigned long long)c->read, (unsigned long long)c->dropped);
	free(filter);
	for (i = 0; i < n; i++)
		printf("%s%s: %llu", i ? ", " : "",
		       json_quote(quoted, sizeof(quoted),
				  reason_name(env, drops[i].reason)),
		       (unsigned long long)drops[i].count);
	printf("}, \"unqueued\": %llu, \"lost\": %llu, \"evicted\": %llu",
	       (unsigned long long)c->unqueued,
	       (unsigned long long)c->lost, (unsigned long long)c->evicted);
	/* what was not measured is left out, not given as 0 */
	if (counts_xmits(env))
		printf(", \"xmits\": %llu, \"xmit_errors\": %llu",
		       (unsigned long long)c->xmits,
		       (unsigned long long)c->xmit_errors);
	if (traces_writes(env))
		printf(", \"written\": %llu, \"consumed\": %llu, \"written_dropped\": %llu, \"written_unended\": %llu",
		       (unsigned long long)c->written,
		       (unsigned long long)c->consumed,
		       (unsigned long long)c->written_dropped,
		       (unsigned long long)c->written_unended);
	if (env->hist)
		print_hist_json(s);
	printf("}}\n");
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* no SA_RESTART: the poll returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/*
 * Only the programs for the chosen driver load and attach; and with --hist,
 * which reports no driver calls, not the one that only counts them.
 */
/*
 * tun's BTF, which fentry on its functions needs: its module's, or
 * vmlinux's where tun is built in.
 */
static bool tun_has_btf(void)
{
	struct btf *vmlinux;
	bool found;

	if (!access("/sys/kernel/btf/tun", R_OK))
		return true;
	vmlinux = btf__load_vmlinux_btf();
	if (libbpf_get_error(vmlinux))
		return false;
	found = btf__find_by_name_kind(vmlinux, "tun_net_xmit", BTF_KIND_FUNC) >= 0;
	btf__free(vmlinux);
	return found;
}

static void pick_programs(struct trace_bpf *skel, const struct trace_env *env)
{
	bool tun = env->driver == DRIVER_TUN;
	bool fentry = tun && tun_has_btf();

	if (tun && env->verbose)
		fprintf(stderr, "tun's probes: %s\n", fentry ?
			"fentry (tun has BTF)" : "kprobes (tun has no BTF)");

	bpf_program__set_autoload(skel->progs.minitun_enqueue, !tun);
	bpf_program__set_autoload(skel->progs.minitun_wake, !tun);
	bpf_program__set_autoload(skel->progs.minitun_dequeue, !tun);
	bpf_program__set_autoload(skel->progs.minitun_copy, !tun);
	bpf_program__set_autoload(skel->progs.tun_net_xmit_fentry, fentry);
	bpf_program__set_autoload(skel->progs.sock_def_readable_fentry, fentry);
	bpf_program__set_autoload(skel->progs.tun_net_xmit, tun && !fentry);
	bpf_program__set_autoload(skel->progs.sock_def_readable, tun && !fentry);
	bpf_program__set_autoload(skel->progs.skb_copy_datagram_iovec, tun);
	bpf_program__set_autoload(skel->progs.net_dev_xmit, counts_xmits(env));
	bpf_program__set_autoload(skel->progs.minitun_inject, traces_writes(env));
	bpf_program__set_autoload(skel->progs.netif_receive_skb,
				  traces_writes(env));
}

static struct trace_bpf *trace_load(struct trace_env *env)
{
	struct trace_bpf *skel;
	int err;

	skel = trace_bpf__open();
	if (!skel) {
		mt_error("cannot open the BPF object: %s", strerror(errno));
		return NULL;
	}
	skel->rodata->targ_ifindex = env->ifindex;
	skel->rodata->targ_netns = env->netns_inum;
	skel->rodata->targ_records = env->records;
	skel->rodata->targ_hist = env->hist;
	skel->rodata->targ_tun = env->driver == DRIVER_TUN;
	skel->rodata->targ_write = traces_writes(env);
	skel->rodata->targ_stack = env->stack;
	/* the 5-tuple --json prints: no other output costs the copy */
	skel->rodata->targ_head = env->records && env->json;
	if (env->filter) {
		skel->rodata->targ_filter_len = env->filter_len;
		memcpy((void *)skel->rodata->targ_filter, env->filter_insns,
		       env->filter_len * sizeof(*env->filter_insns));
	}
	pick_programs(skel, env);
	/* no records: the smallest ring buffer will do */
	if (!env->records)
		bpf_map__set_max_entries(skel->maps.records, getpagesize());
	if (!skel->rodata->targ_head)
		bpf_map__set_max_entries(skel->maps.heads, 1);
	/* distinct stacks: drops come from a handful of places */
	if (env->stack)
		bpf_map__set_max_entries(skel->maps.stacks, 1024);

	err = trace_bpf__load(skel);
	if (err) {
		mt_error("the kernel refused the BPF programs: %s%s",
			    strerror(-err), env->verbose ? "" :
			    " (-v shows libbpf's and the verifier's log)");
		goto destroy;
	}
	env->stacks_fd = bpf_map__fd(skel->maps.stacks);
	err = trace_bpf__attach(skel);
	if (err) {
		mt_error("cannot attach the probes: %s%s", strerror(-err),
			    env->verbose ? "" : " (-v shows which one)");
		goto destroy;
	}
	return skel;

destroy:
	trace_bpf__destroy(skel);
	return NULL;
}

static __u64 clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static bool count_reached(struct trace_env *env, struct trace_bpf *skel)
{
	const struct trace_counts *c = &skel->bss->counts;

	if (!env->count)
		return false;
	if (!env->records)
		return c->read + c->dropped >= env->count;
	return env->printed >= env->count;
}

/* the last interval's, this one's, and the difference */
static struct trace_snap snap_prev, snap_cur, snap_out;

static void print_summary(struct trace_env *env, const struct trace_snap *s)
{
	if (env->json)
		print_summary_json(env, s);
	else
		print_summary_text(env, s);
	fflush(stdout);
}

/* --hist INTERVAL: what the interval added; the programs go on. */
static void print_interval(struct trace_env *env, struct trace_bpf *skel)
{
	env->intervals_printed++;
	snap_take(skel, &snap_cur);
	snap_sub(&snap_out, &snap_cur, &snap_prev);
	snap_prev = snap_cur;
	print_summary(env, &snap_out);
}

static bool intervals_done(const struct trace_env *env)
{
	return env->intervals && env->intervals_printed >= env->intervals;
}

static int trace_loop(struct trace_env *env, struct trace_bpf *skel)
{
	unsigned long long deadline = env->duration ?
				      now_ms() + env->duration * 1000ULL : 0;
	unsigned long long next = env->interval ?
				  now_ms() + env->interval * 1000ULL : 0;
	struct ring_buffer *rb = NULL;
	int err = 0;

	if (env->records) {
		rb = ring_buffer__new(bpf_map__fd(skel->maps.records),
				      handle_record, env, NULL);
		if (!rb) {
			mt_error("cannot read the ring buffer: %s",
				    strerror(errno));
			return -1;
		}
	}

	fprintf(stderr, "Tracing %s (%s)... Ctrl-C to end.\n", env->ifname,
		driver_names[env->driver]);
	if (env->records && !env->json)
		print_header(env);
	fflush(stdout);

	while (!exiting && !count_reached(env, skel)) {
		if (deadline && now_ms() >= deadline)
			break;
		if (rb) {
			/* Records wake us only in bulk: consume on the timer too. */
			err = ring_buffer__poll(rb, TRACE_POLL_MS);
			if (err >= 0)
				err = ring_buffer__consume(rb);
			if (err == -EINTR)
				err = 0;
			if (err < 0) {
				mt_error("reading records: %s", strerror(-err));
				break;
			}
			fflush(stdout);
		} else {
			usleep(TRACE_POLL_MS * 1000);
		}
		/* the sleep above wakes us in time: no records needed */
		if (next && now_ms() >= next) {
			print_interval(env, skel);
			if (intervals_done(env))
				break;
			next += env->interval * 1000ULL;
		}
	}
	/*
	 * Stop the probes, and let those still running finish, before the
	 * last records and the totals are read: under load they would
	 * disagree. A probe runs within an RCU read-side section, and
	 * membarrier's GLOBAL command waits for a grace period.
	 */
	trace_bpf__detach(skel);
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		usleep(TRACE_POLL_MS * 1000);	/* nohz_full: wait it out */
	if (rb) {
		ring_buffer__consume(rb);
		ring_buffer__free(rb);
	}
	return err < 0 ? -1 : 0;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_env env = { .driver = DRIVER_MINITUN };
	struct trace_bpf *skel;
	int err;

	argp_parse(&trace_argp, argc, argv, 0, NULL, &env);
	err = resolve_driver(&env);
	if (err)
		return err;
	if (env.filter) {
		env.filter_len = trace_filter_compile(env.filter,
						      env.filter_insns);
		if (env.filter_len < 0)
			return EXIT_USAGE;
	}
	env.wall_offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	json_quote(env.ifname_json, sizeof(env.ifname_json), env.ifname);
	if (preflight(&env))
		return EXIT_RUNTIME;

	libbpf_set_print(env.verbose ? libbpf_print : NULL);
	skel = trace_load(&env);
	if (!skel)
		return EXIT_RUNTIME;

	catch_signals();
	err = trace_loop(&env, skel);

	if (!env.interval) {
		snap_take(skel, &snap_cur);
		print_summary(&env, &snap_cur);
	} else if (!intervals_done(&env)) {
		/* the interval Ctrl-C or --duration cut short */
		print_interval(&env, skel);
	}
	if (skel->bss->counts.lost)
		mt_error("%llu records lost: the ring buffer filled faster than they were printed; the totals count them",
			 (unsigned long long)skel->bss->counts.lost);
	if (skel->bss->counts.evicted)
		mt_error("%llu packets' state evicted for newer ones: more in flight than the tracer's table holds, or ends it did not see; the totals may miss them",
			 (unsigned long long)skel->bss->counts.evicted);

	trace_bpf__destroy(skel);
	free_reason_names(&env);
	free_ksyms(&env);
	free(env.filter);
	return err ? EXIT_RUNTIME : EXIT_OK;
}
