/*
 * cli.h — the headless subcommands: a table of entries, as tmux's cmd-*.c.
 *
 * Each cmd-NAME.c defines one `const struct cmd_entry cmd_NAME_entry`; main.c
 * lists them.  exec() returns an exit status (enum exit_code).
 */
#ifndef TAGCON_CLI_H
#define TAGCON_CLI_H

#include <stdbool.h>

struct db;

/* Exit statuses of DESIGN.md §6. */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILURES = 1,
	EXIT_USAGE = 2,
	EXIT_NO_SPACE = 3,
	EXIT_BUSY = 4,
};

struct cli {
	const char *argv0;
	const char *db_flag; /* --db PATH, or NULL */
	struct db *db;       /* opened on first cli_db() */
};

struct cmd_entry {
	const char *name;
	const char *usage; /* arguments after the name */
	const char *help;  /* one line */
	int (*exec)(struct cli *cli, int argc, char **argv);
	/* Needs neither libvips nor libcurl, so main() starts it without them:
	 * a shell waits on `tagcon complete` at every Tab. */
	bool light;
};

/* Every command, NULL-terminated (main.c's table), and one by name. */
const struct cmd_entry *const *cli_commands(void);
const struct cmd_entry *cli_find_command(const char *name);

/* The library database, opened on first use; NULL after printing why. */
struct db *cli_db(struct cli *cli);
/* Exit status for a database failure (busy -> 4, else 1), after printing it. */
int cli_db_error(struct cli *cli);
/* Print "usage: tagcon NAME USAGE" to stderr and return EXIT_USAGE. */
int cli_usage(const struct cmd_entry *e);

/*
 * Minimal option scanner for subcommands: moves recognised flags out of
 * argv.  Each flag in names ("--json", "--limit=") sets flags[i] (and, for
 * names ending in '=', values[i]).  Returns the number of positional
 * arguments left in argv, or -1 after printing an unknown-option error.
 */
int cli_options(const struct cmd_entry *e, int argc, char **argv, const char *const *names,
    bool *flags, const char **values);

/*
 * Take every "NAME VALUE" / "NAME=VALUE" occurrence of a repeatable option
 * out of argv (before cli_options).  Returns a NULL-terminated array of
 * the values (borrowed from argv; free the array only); *argc updated.
 * NULL after printing an error when a value is missing.
 */
const char **cli_take_all(const struct cmd_entry *e, int *argc, char **argv, const char *name);

#endif
