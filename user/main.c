// SPDX-License-Identifier: GPL-2.0
/*
 * minitun: one command, subcommands in the style of ip and bpftool. Each
 * subcommand is a line in the table below and a cmd_*() in its own file;
 * it gets argv from its own name on, parses its options with argp and
 * returns an exit status (cli.h).
 */
#include <argp.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "up", cmd_up, "create or attach a device, give it addresses, bring it up" },
	{ "down", cmd_down, "remove a device (a persistent one, or one still held)" },
	{ "read", cmd_read, "print one line per packet the stack sends; write a pcap" },
	{ "echo", cmd_echo, "answer pings and echo UDP back through the device" },
	{ "bench", cmd_bench, "measure packets per second and wakeup latency" },
	{ "trace", cmd_trace, "follow each packet from the stack to the reader, with eBPF" },
};

#define NR_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

const char *mt_command = "minitun";
/* argp gives every subcommand --version (and -V) from this */
const char *argp_program_version = "minitun " MINITUN_VERSION;

static void usage(FILE *out)
{
	unsigned int i;

	fprintf(out,
		"usage: minitun COMMAND [OPTIONS]\n"
		"       minitun help [COMMAND]\n"
		"       minitun COMMAND --help\n"
		"\n"
		"Bring up, read and answer a minitun device (/dev/minitun), or with\n"
		"--dev /dev/net/tun the real tun driver, to compare the two.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Exit status: 0 done, 1 failed (the message says why and what to do),\n"
		"2 bad arguments.\n"
		"\n"
		"More: README.md; docs/tour.md follows one ping through tun and minitun,\n"
		"and each command's --help names the doc for it.\n");
}

/* The command, or as ip and bpftool take them, the only one name begins. */
static const struct command *find_command(const char *name)
{
	const struct command *found = NULL;
	unsigned int i, n = 0;

	for (i = 0; i < NR_COMMANDS; i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
		if (*name && !strncmp(commands[i].name, name, strlen(name))) {
			found = &commands[i];
			n++;
		}
	}
	if (n == 1)
		return found;
	if (n)
		fprintf(stderr, "minitun: '%s' begins more than one command; 'minitun help' lists them\n",
			name);
	else
		fprintf(stderr, "minitun: no command '%s'; 'minitun help' lists them\n",
			name);
	return NULL;
}

static int run_command(const struct command *cmd, int argc, char **argv)
{
	static char name[64];

	/* argp names the program after argv[0]: make it "minitun up". */
	snprintf(name, sizeof(name), "minitun %s", cmd->name);
	mt_command = name;
	argv[0] = name;
	return cmd->fn(argc, argv);
}

static int help(int argc, char **argv)
{
	const struct command *cmd;
	char *help_argv[] = { NULL, "--help", NULL };

	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd)
		return EXIT_USAGE;
	return run_command(cmd, 2, help_argv);
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	argp_err_exit_status = EXIT_USAGE;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h"))
		return help(argc - 1, argv + 1);

	cmd = find_command(argv[1]);
	if (!cmd)
		return EXIT_USAGE;
	return run_command(cmd, argc - 1, argv + 1);
}
