// SPDX-License-Identifier: GPL-2.0
/*
 * minitun: a simplified tun driver, written to be read, run and measured.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

static int minitun_chr_open(struct inode *inode, struct file *file)
{
	return 0;
}

static const struct file_operations minitun_fops = {
	.owner	= THIS_MODULE,
	.open	= minitun_chr_open,
	.llseek	= no_llseek,
};

static struct miscdevice minitun_miscdev = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "minitun",
	.fops		= &minitun_fops,
};

static int __init minitun_init(void)
{
	return misc_register(&minitun_miscdev);
}

static void __exit minitun_exit(void)
{
	misc_deregister(&minitun_miscdev);
}

module_init(minitun_init);
module_exit(minitun_exit);

MODULE_DESCRIPTION("A simplified tun driver to read, run and measure");
MODULE_LICENSE("GPL");
