// SPDX-License-Identifier: GPL-2.0
/*
 * What every subcommand parses and prints the same way: errors, --dev,
 * numbers and interface names.
 */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "device.h"
#include "uapi/minitun.h"

void mt_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", mt_command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const struct argp_option common_options[] = {
	{ "dev", 'D', "PATH", 0,
	  "the device node: " MINITUN_NODE " (default), or " TUN_NODE
	  " for the real tun driver", -1 },
	/* argp has --help and -?; -h too, as most commands take it */
	{ NULL, 'h', NULL, OPTION_HIDDEN, NULL, -1 },
	{ 0 }
};

static error_t parse_common(int key, char *arg, struct argp_state *state)
{
	struct mt_common *common = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		common->node = MINITUN_NODE;
		return 0;
	case 'D':
		if (!*arg)
			argp_error(state, "--dev takes a device node path, such as %s",
				   TUN_NODE);
		common->node = arg;
		return 0;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp mt_common_argp = {
	.options = common_options,
	.parser = parse_common,
};

const struct argp_child mt_common_children[] = {
	{ &mt_common_argp, 0, NULL, 0 },
	{ 0 }
};

static const struct argp_option attach_options[] = {
	{ "interface", 'i', "NAME", 0, "the interface (made by minitun up)", 0 },
	{ "queues", 'q', "N", 0,
	  "attach N queues of a multi-queue device, a thread each", 0 },
	{ "batch", 'b', "N", 0,
	  "minitun's batched mode: up to N packets per read() and write()", 0 },
	{ 0 }
};

static error_t parse_attach(int key, char *arg, struct argp_state *state)
{
	struct mt_attach_opts *opts = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &opts->common;
		opts->queues = 1;
		return 0;
	case 'i':
		opts->name = mt_parse_ifname(state, arg);
		return 0;
	case 'q':
		opts->queues = mt_parse_number(state, "--queues", arg, 1,
					       MAX_QUEUES);
		return 0;
	case 'b':
		opts->batch = mt_parse_number(state, "--batch", arg, 1,
					      MINITUN_BATCH_MAX);
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s': the interface goes with -i",
			   arg);
		return 0;
	case ARGP_KEY_END:
		if (!opts->name)
			argp_error(state, "which interface? -i NAME (see minitun up)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp attach_argp = {
	.options = attach_options,
	.parser = parse_attach,
	.children = mt_common_children,
};

const struct argp_child mt_attach_children[] = {
	{ &attach_argp, 0, NULL, 0 },
	{ 0 }
};

unsigned long mt_parse_number(struct argp_state *state, const char *option,
			      const char *arg, unsigned long min,
			      unsigned long max)
{
	unsigned long val;
	char *end;

	errno = 0;
	val = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || val < min ||
	    val > max)
		argp_error(state, "%s takes a number from %lu to %lu, not '%s'",
			   option, min, max, arg);
	return val;
}

/* What the kernel's dev_valid_name() accepts, checked before we ask it. */
const char *mt_parse_ifname(struct argp_state *state, const char *arg)
{
	size_t len = strlen(arg);

	if (!len || len >= IFNAMSIZ)
		argp_error(state, "an interface name has 1 to %d characters, not '%s'",
			   IFNAMSIZ - 1, arg);
	if (!strcmp(arg, ".") || !strcmp(arg, "..") || strpbrk(arg, "/: \t\n"))
		argp_error(state, "'%s' cannot name an interface: no '/', ':' or spaces",
			   arg);
	return arg;
}
