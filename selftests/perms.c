// SPDX-License-Identifier: GPL-2.0
/*
 * Who may make and join a device, run on /dev/net/tun and /dev/minitun
 * alike so that each rule is checked against tun's own answer:
 *
 * - a persistent device outlives its files and holds a module reference;
 * - TUNSETOWNER and TUNSETGROUP take values, which sysfs shows;
 * - creating needs CAP_NET_ADMIN over the file's network namespace, so
 *   nobody is refused, but nobody in a user namespace of its own may create
 *   in a network namespace of its own;
 * - joining a persistent device needs the owner and the group it names,
 *   when it names them.
 *
 * "nobody" is a forked child that dropped every id to 65534 (its capability
 * sets go with the uid); it reports the errno of what it tried as its exit
 * status.
 */

#define _GNU_SOURCE
#include <linux/capability.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "helpers.h"
#include "kselftest_harness.h"

#define DEV_NAME	"prm0"
#define NOBODY		65534
#define NOGROUP		65534
#define SOME_UID	4321
#define SOME_GID	4242
/* nobody's exit status when it could not become nobody */
#define NOT_NOBODY	250

FIXTURE(perms)
{
	int fd;
};

FIXTURE_VARIANT(perms)
{
	const char *node;
	const char *module;
};

FIXTURE_VARIANT_ADD(perms, tun)
{
	.node = TUN_DEV,
	.module = "tun",
};

FIXTURE_VARIANT_ADD(perms, minitun)
{
	.node = MINITUN_DEV,
	.module = "minitun",
};

/* Who the child becomes, and what it tries. */
struct nobody {
	const char *node;
	gid_t gid;
	int ngroups;
	gid_t groups[2];
	bool own_namespaces;	/* unshare a user and a network namespace */
	bool open_first;	/* open the node before those namespaces */
};

static bool capabilities_empty(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	int i;

	if (syscall(SYS_capget, &hdr, data))
		return false;
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective || data[i].permitted)
			return false;
	return true;
}

static bool become(const struct nobody *who)
{
	if (setgroups(who->ngroups, who->groups) ||
	    setresgid(who->gid, who->gid, who->gid) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return false;
	return capabilities_empty();
}

/* TUNSETIFF on name as nobody: 0 or nobody's errno. */
static int nobody_set_iff(const struct nobody *who, const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN };
	int fd = -1;

	if (who->open_first)
		fd = open(who->node, O_RDWR);
	if (who->own_namespaces && unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return errno;
	if (!who->open_first)
		fd = open(who->node, O_RDWR);
	if (fd < 0)
		return errno;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr))
		return errno;
	/* The device must be there, in this network namespace. */
	if (!if_nametoindex(name))
		return errno;
	return 0;
}

/* Fork, become who, try TUNSETIFF on name: its errno, or NOT_NOBODY. */
static int as_nobody(const struct nobody *who, const char *name)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(become(who) ? nobody_set_iff(who, name) : NOT_NOBODY);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static long long sysfs_value(const char *attr)
{
	return read_number("/sys/class/net/" DEV_NAME "/%s", attr);
}

/*
 * A persistent DEV_NAME, owned as asked (-1: not set), with no file open:
 * what an administrator leaves behind for others to join.
 */
static void make_persistent(struct __test_metadata *_metadata,
			    const char *node, long owner, long group)
{
	char name[IFNAMSIZ] = DEV_NAME;
	int fd;

	fd = tun_open(node, name, IFF_TUN);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", node, strerror(-fd));
	ASSERT_STREQ(DEV_NAME, name);
	ASSERT_EQ(0, ioctl(fd, TUNSETPERSIST, 1));
	if (owner >= 0)
		ASSERT_EQ(0, ioctl(fd, TUNSETOWNER, owner));
	if (group >= 0)
		ASSERT_EQ(0, ioctl(fd, TUNSETGROUP, group));
	ASSERT_EQ(0, close(fd));
	ASSERT_NE(0, if_nametoindex(DEV_NAME));
}

/* Join DEV_NAME as root and clear persist: the last close removes it. */
static void remove_persistent(struct __test_metadata *_metadata,
			      const char *node)
{
	char name[IFNAMSIZ] = DEV_NAME;
	int fd;

	fd = tun_open(node, name, IFF_TUN);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", node, strerror(-fd));
	ASSERT_EQ(0, ioctl(fd, TUNSETPERSIST, 0));
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(0, if_nametoindex(DEV_NAME));
}

/*
 * nobody, as who (in the nobody group unless who says otherwise), joins a
 * persistent device with that owner and group: nobody's errno.
 */
static int join_as_nobody(struct __test_metadata *_metadata, const char *node,
			  long owner, long group, const struct nobody *who)
{
	struct nobody in_nogroup = { .node = node, .gid = NOGROUP };
	int err;

	make_persistent(_metadata, node, owner, group);
	err = as_nobody(who ? who : &in_nogroup, DEV_NAME);
	remove_persistent(_metadata, node);
	return err;
}

/* Built in, as tun is in the debug lane's kernel: no initstate, no refcnt. */
static bool module_is_builtin(const char *module)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", module);
	return access(path, F_OK) != 0;
}

/*
 * nobody opens the node itself, as any user would: Debian's udev makes
 * /dev/net/tun 0666, and so does minitun for its own node; the VM has no
 * udev, so its /dev/net/tun is made so here.
 */
FIXTURE_SETUP(perms)
{
	REQUIRE_TUN();
	ASSERT_EQ(0, chmod(TUN_DEV, 0666));
	ASSERT_EQ(0, enter_own_netns());
	ASSERT_EQ(0, if_nametoindex(DEV_NAME))
		TH_LOG("%s is left over from an earlier test", DEV_NAME);
	self->fd = -1;
}

/* Whatever a failed test left: RTM_DELLINK works on both drivers. */
FIXTURE_TEARDOWN(perms)
{
	if (self->fd >= 0)
		close(self->fd);
	if (if_nametoindex(DEV_NAME))
		if_delete(DEV_NAME);
}

TEST_F(perms, persist_keeps_device_after_close)
{
	char name[IFNAMSIZ] = DEV_NAME;
	struct ifreq ifr = {};

	self->fd = tun_open(variant->node, name, IFF_TUN);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioctl(self->fd, TUNSETPERSIST, 1));
	ASSERT_EQ(0, ioctl(self->fd, TUNGETIFF, &ifr));
	EXPECT_EQ(IFF_PERSIST, ifr.ifr_flags & IFF_PERSIST);
	EXPECT_EQ(IFF_PERSIST, sysfs_value("tun_flags") & IFF_PERSIST);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_NE(0, if_nametoindex(DEV_NAME));

	/* Joined again, unmarked, closed: gone. */
	remove_persistent(_metadata, variant->node);
}

TEST_F(perms, persistent_device_holds_module_reference)
{
	long long before = module_refs(variant->module);

	if (before < 0 && module_is_builtin(variant->module))
		SKIP(return, "%s is built into this kernel: it has no module reference to count",
		     variant->module);
	ASSERT_LE(0, before);
	make_persistent(_metadata, variant->node, -1, -1);
	EXPECT_EQ(before + 1, module_refs(variant->module));
	remove_persistent(_metadata, variant->node);
	EXPECT_EQ(before, module_refs(variant->module));

	/* Deleting the device drops the reference too. */
	make_persistent(_metadata, variant->node, -1, -1);
	ASSERT_EQ(0, if_delete(DEV_NAME));
	EXPECT_EQ(0, if_nametoindex(DEV_NAME));
	EXPECT_EQ(before, module_refs(variant->module));
}

/* Values, not pointers: a driver that read them as pointers would fault. */
TEST_F(perms, owner_and_group_are_values_shown_in_sysfs)
{
	char name[IFNAMSIZ] = DEV_NAME;

	self->fd = tun_open(variant->node, name, IFF_TUN);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(-1, sysfs_value("owner"));
	EXPECT_EQ(-1, sysfs_value("group"));
	ASSERT_EQ(0, ioctl(self->fd, TUNSETOWNER, SOME_UID));
	ASSERT_EQ(0, ioctl(self->fd, TUNSETGROUP, SOME_GID));
	EXPECT_EQ(SOME_UID, sysfs_value("owner"));
	EXPECT_EQ(SOME_GID, sysfs_value("group"));
}

TEST_F(perms, nobody_may_not_create)
{
	struct nobody who = { .node = variant->node, .gid = NOGROUP };

	EXPECT_EQ(EPERM, as_nobody(&who, DEV_NAME));
	EXPECT_EQ(0, if_nametoindex(DEV_NAME));
}

TEST_F(perms, nobody_joins_as_owner)
{
	EXPECT_EQ(0, join_as_nobody(_metadata, variant->node, NOBODY, -1,
				    NULL));
}

TEST_F(perms, nobody_joins_as_group)
{
	EXPECT_EQ(0, join_as_nobody(_metadata, variant->node, -1, NOGROUP,
				    NULL));
}

TEST_F(perms, nobody_joins_through_supplementary_group)
{
	struct nobody who = {
		.node = variant->node,
		.gid = NOGROUP,
		.ngroups = 1,
		.groups = { SOME_GID },
	};

	EXPECT_EQ(0, join_as_nobody(_metadata, variant->node, -1, SOME_GID,
				    &who));
}

TEST_F(perms, nobody_refused_by_other_owner)
{
	EXPECT_EQ(EPERM, join_as_nobody(_metadata, variant->node,
					SOME_UID, -1, NULL));
}

TEST_F(perms, nobody_refused_by_other_group)
{
	EXPECT_EQ(EPERM, join_as_nobody(_metadata, variant->node,
					-1, SOME_GID, NULL));
}

/* Owner and group both count when both are set. */
TEST_F(perms, nobody_refused_as_owner_of_other_group)
{
	EXPECT_EQ(EPERM, join_as_nobody(_metadata, variant->node,
					NOBODY, SOME_GID, NULL));
}

/*
 * tun's old rule: with neither set, anyone may join. 6.12.117 (stable)
 * made an ownerless device need CAP_NET_ADMIN, as creating one does.
 */
TEST_F(perms, nobody_joins_unowned_device_unless_the_kernel_refuses)
{
	int expected = kernel_at_least(6, 12, 117) ? EPERM : 0;

	EXPECT_EQ(expected, join_as_nobody(_metadata, variant->node, -1, -1,
					   NULL));
}

/* The file's network namespace is nobody's, so is CAP_NET_ADMIN over it. */
TEST_F(perms, user_namespace_owner_creates_in_own_netns)
{
	struct nobody who = {
		.node = variant->node,
		.gid = NOGROUP,
		.own_namespaces = true,
	};

	EXPECT_EQ(0, as_nobody(&who, DEV_NAME));
	/* Made, and gone with nobody's namespace: never here. */
	EXPECT_EQ(0, if_nametoindex(DEV_NAME));
}

/* Opened before unsharing: the file stays in the first network namespace. */
TEST_F(perms, user_namespace_owner_refused_in_parent_netns)
{
	struct nobody who = {
		.node = variant->node,
		.gid = NOGROUP,
		.own_namespaces = true,
		.open_first = true,
	};

	EXPECT_EQ(EPERM, as_nobody(&who, DEV_NAME));
	EXPECT_EQ(0, if_nametoindex(DEV_NAME));
}

TEST_HARNESS_MAIN
