/* cli.c — shared plumbing of the headless subcommands. */
#include "tui/cli.h"

#include <stdlib.h>
#include <string.h>

#include "core/library.h"
#include "db/db.h"
#include "common/xalloc.h"
#include "tui/out.h"

struct db *
cli_db(struct cli *cli)
{
	if (cli->db == NULL) {
		char *cause = NULL;
		cli->db = library_open(cli->db_flag, &cause);
		if (cli->db == NULL) {
			out_error("%s", cause);
			free(cause);
		}
	}
	return cli->db;
}

int
cli_db_error(struct cli *cli)
{
	out_error("%s", db_errmsg(cli->db));
	return db_busy(cli->db) ? EXIT_BUSY : EXIT_FAILURES;
}

int
cli_usage(const struct cmd_entry *e)
{
	fprintf(stderr, "usage: tagcon %s %s\n", e->name, e->usage);
	return EXIT_USAGE;
}

static int
find_option(const char *arg, const char *const *names)
{
	for (int i = 0; names[i] != NULL; i++) {
		size_t n = strlen(names[i]);
		bool takes_value = names[i][n - 1] == '=';
		if (takes_value ? strncmp(arg, names[i], n - 1) == 0 &&
		    (arg[n - 1] == '=' || arg[n - 1] == '\0') : strcmp(arg, names[i]) == 0) {
			return i;
		}
	}
	return -1;
}

int
cli_options(const struct cmd_entry *e, int argc, char **argv, const char *const *names,
    bool *flags, const char **values)
{
	int kept = 0;
	bool positional_only = false;
	for (int i = 0; i < argc; i++) {
		char *a = argv[i];
		if (positional_only || a[0] != '-' || strcmp(a, "-") == 0) {
			argv[kept++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			positional_only = true;
			continue;
		}
		int k = find_option(a, names);
		if (k < 0) {
			/* "-tag" style arguments belong to the command (tagcon edit). */
			if (a[1] != '-') {
				argv[kept++] = a;
				continue;
			}
			out_error("%s: unknown option '%s'", e->name, a);
			cli_usage(e);
			return -1;
		}
		flags[k] = true;
		size_t n = strlen(names[k]);
		if (names[k][n - 1] == '=') {
			if (a[n - 1] == '=') {
				values[k] = a + n;
			} else if (i + 1 < argc) {
				values[k] = argv[++i];
			} else {
				out_error("%s: option '%s' needs a value", e->name, a);
				return -1;
			}
		}
	}
	argv[kept] = NULL;
	return kept;
}

const char **
cli_take_all(const struct cmd_entry *e, int *argc, char **argv, const char *name)
{
	size_t n = strlen(name), found = 0;
	const char **values = xcalloc((size_t)*argc + 1, sizeof *values);
	int kept = 0;
	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc) {
				argv[kept++] = argv[i++];
			}
			break;
		}
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') {
			values[found++] = argv[i] + n + 1;
		} else if (strcmp(argv[i], name) == 0) {
			if (i + 1 >= *argc) {
				out_error("%s: option '%s' needs a value", e->name, name);
				free(values);
				return NULL;
			}
			values[found++] = argv[++i];
		} else {
			argv[kept++] = argv[i];
		}
	}
	argv[kept] = NULL;
	*argc = kept;
	return values;
}
