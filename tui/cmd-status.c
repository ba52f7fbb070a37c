/* cmd-status.c — tagcon status: counts by state, rating and orientation. */
#include <stdio.h>
#include <stdlib.h>

#include "core/settings.h"
#include "db/db.h"
#include "db/images.h"
#include "tui/cli.h"
#include "tui/out.h"

static int exec_status(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[--json]",
	.help = "counts by state, rating and orientation",
	.exec = exec_status,
};

static const char *const state_names[DB_N_STATES] = {
	"new", "tagged", "committed", "failed", "missing",
};
static const char *const orient_names[DB_N_ORIENTS] = {
	"unknown", "landscape", "portrait", "square",
};
static const char *const rating_names[5] = {"g", "s", "q", "e", "unrated"};

static cJSON *
counts_object(const char *const *names, const int64_t *counts, int n)
{
	cJSON *o = cJSON_CreateObject();
	for (int i = 0; i < n; i++) {
		cJSON_AddNumberToObject(o, names[i], (double)counts[i]);
	}
	return o;
}

static void
print_counts(const char *title, const char *const *names, const int64_t *counts, int n)
{
	printf("%-12s", title);
	for (int i = 0; i < n; i++) {
		printf(" %s %lld%s", names[i], (long long)counts[i], i + 1 < n ? "," : "\n");
	}
}

static int
exec_status(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--json", NULL};
	bool flags[1] = {0};
	argc = cli_options(&cmd_status_entry, argc, argv, names, flags, NULL);
	if (argc != 0) {
		return argc < 0 ? EXIT_USAGE : cli_usage(&cmd_status_entry);
	}
	struct db *db = cli_db(cli);
	if (db == NULL) {
		return EXIT_FAILURES;
	}
	char *model = settings_get(db, "model");
	struct db_counts c;
	if (model == NULL || !db_counts(db, model, &c)) {
		free(model);
		return cli_db_error(cli);
	}
	if (flags[0]) {
		cJSON *o = cJSON_CreateObject();
		out_json_add_path(o, "database", db_path(db));
		cJSON_AddStringToObject(o, "model", model);
		cJSON_AddNumberToObject(o, "roots", (double)c.roots);
		cJSON_AddNumberToObject(o, "images", (double)c.total);
		cJSON_AddNumberToObject(o, "bytes", (double)c.bytes);
		cJSON_AddItemToObject(o, "state", counts_object(state_names, c.by_state, DB_N_STATES));
		cJSON_AddItemToObject(o, "rating", counts_object(rating_names, c.by_rating, 5));
		cJSON_AddItemToObject(o, "orientation",
		    counts_object(orient_names, c.by_orientation, DB_N_ORIENTS));
		out_json(o);
	} else {
		printf("database     ");
		out_safe(stdout, db_path(db));
		printf("\nmodel        ");
		out_safe(stdout, model);
		printf("\nimages       %lld in %lld root%s, %.1f MB\n", (long long)c.total,
		    (long long)c.roots, c.roots == 1 ? "" : "s", c.bytes / 1e6);
		print_counts("state", state_names, c.by_state, DB_N_STATES);
		print_counts("rating", rating_names, c.by_rating, 5);
		print_counts("orientation", orient_names, c.by_orientation, DB_N_ORIENTS);
	}
	free(model);
	return EXIT_OK;
}
