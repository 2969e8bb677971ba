// SPDX-License-Identifier: GPL-2.0
/*
 * The module's outline: it registers /dev/minitun and lets it be opened.
 */

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define MISC_MAJOR 10

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

TEST_HARNESS_MAIN
