/*
 * main.c — tagcon's entry point: global options, then a subcommand or the
 * console.
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/preset.h"
#include "core/tag/rules.h"
#include "db/db.h"
#include "tui/cli.h"
#include "tui/console.h"
#include "tui/help.h"
#include "tui/out.h"
#include "common/xalloc.h"

extern const struct cmd_entry cmd_scan_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_batch_entry;
extern const struct cmd_entry cmd_spaces_entry;
extern const struct cmd_entry cmd_tag_entry;
extern const struct cmd_entry cmd_watch_entry;
extern const struct cmd_entry cmd_commit_entry;
extern const struct cmd_entry cmd_edit_entry;
extern const struct cmd_entry cmd_search_entry;
extern const struct cmd_entry cmd_random_entry;
extern const struct cmd_entry cmd_rules_entry;
extern const struct cmd_entry cmd_calibrate_entry;
extern const struct cmd_entry cmd_preset_entry;
extern const struct cmd_entry cmd_export_entry;
extern const struct cmd_entry cmd_import_entry;
extern const struct cmd_entry cmd_complete_entry;

static const struct cmd_entry *const commands[] = {
	&cmd_scan_entry,
	&cmd_status_entry,
	&cmd_show_entry,
	&cmd_config_entry,
	&cmd_spaces_entry,
	&cmd_tag_entry,
	&cmd_batch_entry,
	&cmd_watch_entry,
	&cmd_commit_entry,
	&cmd_edit_entry,
	&cmd_search_entry,
	&cmd_random_entry,
	&cmd_rules_entry,
	&cmd_calibrate_entry,
	&cmd_preset_entry,
	&cmd_export_entry,
	&cmd_import_entry,
	&cmd_complete_entry,
	NULL,
};

const struct cmd_entry *const *
cli_commands(void)
{
	return commands;
}

static bool
is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const struct cmd_entry *
cli_find_command(const char *name)
{
	for (const struct cmd_entry *const *c = commands; *c; c++) {
		if (strcmp((*c)->name, name) == 0) {
			return *c;
		}
	}
	return NULL;
}

/*
 * `tagcon help [COMMAND]`, or COMMAND with an argument that is exactly
 * --help or -h before any "--" (so no cmd-*.c needs to know of it):
 * print the help and return the exit status; -1 when no help was asked.
 */
static int
help_wanted(int argc, char **argv)
{
	if (strcmp(argv[0], "help") == 0) {
		const struct cmd_entry *e = argc > 1 ? cli_find_command(argv[1]) : NULL;
		if (argc > 2 || (argc == 2 && e == NULL)) {
			out_error("help: unknown command '%s' (see tagcon --help)", argv[argc - 1]);
			return EXIT_USAGE;
		}
		if (e == NULL) {
			help_overview(stdout, commands);
		} else {
			help_command(stdout, e);
		}
		return EXIT_OK;
	}
	for (int k = 1; k < argc && strcmp(argv[k], "--") != 0; k++) {
		if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
			help_command(stdout, cli_find_command(argv[0]));
			return EXIT_OK;
		}
	}
	return -1;
}

int
main(int argc, char **argv)
{
	xalloc_keep_freed();
	struct cli cli = {.argv0 = argv[0]};
	const char *theme = NULL, *preset = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			help_overview(stdout, commands);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("tagcon %s (schema %d)\n", TAGCON_VERSION, db_schema_version());
			return EXIT_OK;
		} else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
			cli.db_flag = argv[++i];
		} else if (strncmp(argv[i], "--db=", 5) == 0) {
			cli.db_flag = argv[i] + 5;
		} else if (strcmp(argv[i], "--theme") == 0 && i + 1 < argc) {
			theme = argv[++i];
		} else if (strcmp(argv[i], "--preset") == 0 && i + 1 < argc) {
			preset = argv[++i];
		} else {
			if (strcmp(argv[i], "--preset") == 0 || strcmp(argv[i], "--db") == 0 ||
			    strcmp(argv[i], "--theme") == 0) {
				out_error("option '%s' needs a value (see tagcon --help)", argv[i]);
				return EXIT_USAGE;
			}
			out_error("unknown option '%s' (see tagcon --help)", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (i < argc && (cli_find_command(argv[i]) != NULL || strcmp(argv[i], "help") == 0)) {
		int rc = help_wanted(argc - i, argv + i);
		if (rc >= 0) {
			return rc;
		}
	}
	const struct cmd_entry *light = i < argc ? cli_find_command(argv[i]) : NULL;
	if (light != NULL && light->light && preset == NULL) {
		int rc = light->exec(&cli, argc - i - 1, argv + i + 1);
		db_close(cli.db);
		return rc;
	}
	/* Before any thread exists: libcurl's global set-up is not thread-safe. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* libvips is set up at the first image a command decodes
	 * (loader_init): a search or a config never loads it. */
	char *cause = NULL;
	/* A named preset lays its settings over the stored ones, for this
	 * command's connection. */
	if (preset != NULL && (cli_db(&cli) == NULL || !preset_use(cli.db, preset, &cause))) {
		if (cause != NULL) {
			out_error("%s", cause);
			free(cause);
		}
		db_close(cli.db);
		return EXIT_USAGE;
	}
	int rc;
	const struct cmd_entry *cmd = i < argc ? cli_find_command(argv[i]) : NULL;
	if (cmd != NULL) {
		rc = cmd->exec(&cli, argc - i - 1, argv + i + 1);
	} else if (i < argc && !is_dir(argv[i])) {
		out_error("unknown command '%s' (see tagcon --help)", argv[i]);
		rc = EXIT_USAGE;
	} else {
		/* The console, on a database path children (batch, spaces) can
		 * reuse; the DIRs are indexed in the background. */
		rc = EXIT_FAILURES;
		if (cli_db(&cli) != NULL) {
			char *path = realpath(db_path(cli.db), NULL);
			struct console_opts o = {.db_path = path != NULL ? path : db_path(cli.db),
				.theme = theme, .dirs = argv + i, .n_dirs = argc - i, .preset = preset};
			rc = console_run(&o);
			free(path);
		}
	}
	db_close(cli.db);
	return rc;
}
