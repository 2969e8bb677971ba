/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every subcommand shares on the command line: its entry point (the
 * table in main.c lists them), its exit statuses, how it prints an error,
 * and the options parsed the same way everywhere (--dev; -i, --queues and
 * --batch for the readers; numbers and interface names). Each helper
 * prints its own error, in words that say what to do, so a subcommand
 * only decides whether to go on.
 */
#ifndef _MINITUN_CLI_H
#define _MINITUN_CLI_H

#include <argp.h>

/* Subcommands: each gets argv from its own name on and returns an exit status. */
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_echo(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_trace(int argc, char **argv);

/* Every subcommand's exit status is one of these. */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,	/* something failed; the message says what */
	EXIT_USAGE = 2,		/* bad arguments; see --help */
};

#define MINITUN_VERSION	"1.0"	/* the module's DRV_VERSION */

/* "minitun up", ...: what errors start with; main.c sets it. */
extern const char *mt_command;

void mt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * --dev, shared by every subcommand as an argp child: the parent points
 * child_inputs[0] at its struct mt_common in ARGP_KEY_INIT.
 */
struct mt_common {
	const char *node;	/* /dev/minitun or /dev/net/tun */
};

extern const struct argp mt_common_argp;
extern const struct argp_child mt_common_children[];

/*
 * -i NAME and --queues N, for the subcommands that attach to an existing
 * interface as its reader (read, echo); --dev comes with it.
 */
struct mt_attach_opts {
	struct mt_common common;
	const char *name;
	unsigned int queues;
	unsigned int batch;	/* --batch: 0, or packets per read and write */
};

extern const struct argp_child mt_attach_children[];

/* argp helpers: on bad input they print why and exit with EXIT_USAGE. */
unsigned long mt_parse_number(struct argp_state *state, const char *option,
			      const char *arg, unsigned long min,
			      unsigned long max);
const char *mt_parse_ifname(struct argp_state *state, const char *arg);

#endif /* _MINITUN_CLI_H */
