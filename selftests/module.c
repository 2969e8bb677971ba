// SPDX-License-Identifier: GPL-2.0
/*
 * The module's outline: it registers /dev/minitun and lets it be opened;
 * it cannot be unloaded while a file is open or a persistent device is
 * left, and unloads cleanly once neither is. The last test loads it again
 * (load_minitun(): MINITUN_KO, or modprobe), so that the tests after it
 * still have it. Unloading needs the module unused: run it alone.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "helpers.h"
#include "kselftest_harness.h"

#define MISC_MAJOR 10
#define PERSISTENT_NAME "mrm0"

TEST(misc_device_registered)
{
	struct stat st;

	ASSERT_EQ(0, stat("/dev/minitun", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(MISC_MAJOR, major(st.st_rdev));
	EXPECT_EQ(0, access("/sys/class/misc/minitun", F_OK));
}

TEST(open_and_close)
{
	int fd = open("/dev/minitun", O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));
}

/* What rmmod does: 0, or -errno (-EWOULDBLOCK while the module is used). */
static int rmmod(void)
{
	return syscall(SYS_delete_module, "minitun", O_NONBLOCK) ? -errno : 0;
}

TEST(rmmod_refused_while_file_open)
{
	long long before = module_refs("minitun");
	int fd = open(MINITUN_DEV, O_RDWR);

	ASSERT_LE(0, fd);
	/*
	 * Exactly two: the open file's (its fops) and its socket's (sk_alloc()
	 * against the module's proto), as a file of tun's holds tun.
	 */
	EXPECT_EQ(before + 2, module_refs("minitun"));
	EXPECT_EQ(-EWOULDBLOCK, rmmod());
	EXPECT_EQ(0, access(MINITUN_DEV, F_OK));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(before, module_refs("minitun"));
}

/* No file open, only the device: its persist flag holds the module. */
TEST(rmmod_refused_while_persistent_device)
{
	char name[IFNAMSIZ] = PERSISTENT_NAME;
	long long before = module_refs("minitun");
	int fd;

	ASSERT_EQ(0, enter_own_netns());
	fd = tun_open(MINITUN_DEV, name, IFF_TUN);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, TUNSETPERSIST, 1));
	ASSERT_EQ(0, close(fd));

	/* the device's one reference, now that no file is open */
	EXPECT_EQ(before + 1, module_refs("minitun"));
	EXPECT_EQ(-EWOULDBLOCK, rmmod());
	EXPECT_EQ(0, access("/sys/class/net/" PERSISTENT_NAME, F_OK));

	fd = tun_open(MINITUN_DEV, name, IFF_TUN);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, TUNSETPERSIST, 0));
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(before, module_refs("minitun"));
	EXPECT_NE(0, access("/sys/class/net/" PERSISTENT_NAME, F_OK));
}

TEST(rmmod_clean_then_loaded_again)
{
	char name[IFNAMSIZ] = "";
	int fd;

	ASSERT_EQ(0, module_refs("minitun")) TH_LOG("something still holds the module");
	ASSERT_EQ(0, rmmod());
	EXPECT_NE(0, access("/sys/module/minitun", F_OK));
	EXPECT_NE(0, access(MINITUN_DEV, F_OK));

	ASSERT_EQ(0, load_minitun());
	ASSERT_EQ(0, access(MINITUN_DEV, F_OK));
	/* the first device of a namespace takes the template's first name */
	ASSERT_EQ(0, enter_own_netns());
	fd = tun_open(MINITUN_DEV, name, IFF_TUN);
	ASSERT_LE(0, fd);
	EXPECT_STREQ("mtun0", name);
	EXPECT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
