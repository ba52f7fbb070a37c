/* cmd-export.c — tagcon export: captions, JSON Lines or XMP sidecars for
 * the images a query matches (max-rating filter applied). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tag/export.h"
#include "db/db.h"
#include "tui/cmd-search.h"

static int exec_export(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_export_entry = {
	.name = "export",
	.usage = "--format txt|jsonl|xmp [--out PATH] [--mode keep|replace|append] "
	    "[--include-suggested] [--separator SEP] [--spaces] [--escape] [--rating-tag] "
	    "[--max-rating g|s|q|e|--all-ratings] [--preset NAME] [--json] [QUERY...]",
	.help = "write captions, JSON Lines or XMP sidecars",
	.exec = exec_export,
};

enum { O_FORMAT, O_OUT, O_MODE, O_SUGG, O_SEP, O_SPACES, O_ESCAPE, O_RATING, O_MAXR, O_ALLR,
	O_PRESET, O_JSON, N_OPTS };

static const char *const options[] = {
	"--format=", "--out=", "--mode=", "--include-suggested", "--separator=", "--spaces",
	"--escape", "--rating-tag", "--max-rating=", "--all-ratings", "--preset=", "--json", NULL,
};

static int
choice(const char *what, const char *v, const char *const *names)
{
	for (int i = 0; v != NULL && names[i] != NULL; i++) {
		if (strcmp(v, names[i]) == 0) {
			return i;
		}
	}
	out_error("export: %s must be one of %s, %s, %s (not '%s')", what, names[0], names[1],
	    names[2], v != NULL ? v : "");
	return -1;
}

static void
on_error(void *ud, const char *path, const char *why)
{
	/* why usually names the path already. */
	if (strstr(why, path) != NULL) {
		out_error("export: %s", why);
	} else {
		out_error("export: %s: %s", path, why);
	}
}

static void
summary(const struct export_counts *c, bool json)
{
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "written", (double)c->written);
		cJSON_AddNumberToObject(o, "kept", (double)c->kept);
		cJSON_AddNumberToObject(o, "empty", (double)c->empty);
		cJSON_AddNumberToObject(o, "failed", (double)c->failed);
		out_json(o);
	} else {
		printf("exported: %" PRId64 " written, %" PRId64 " kept (already there), %" PRId64
		    " without tags, %" PRId64 " failed\n", c->written, c->kept, c->empty, c->failed);
	}
}

static bool
export_opts_of(const bool *flags, const char **values, struct export_opts *o)
{
	static const char *const formats[] = {"txt", "jsonl", "xmp", NULL};
	static const char *const modes[] = {"keep", "replace", "append", NULL};
	memset(o, 0, sizeof *o);
	int f = choice("--format", values[O_FORMAT], formats);
	int m = flags[O_MODE] ? choice("--mode", values[O_MODE], modes) : EXPORT_KEEP;
	if (f < 0 || m < 0) {
		return false;
	}
	*o = (struct export_opts){
		.format = (enum export_format)f, .mode = (enum export_mode)m, .out = values[O_OUT],
		.separator = values[O_SEP], .spaces = flags[O_SPACES], .escape = flags[O_ESCAPE],
		.rating_tag = flags[O_RATING], .include_suggested = flags[O_SUGG],
		.on_error = on_error,
	};
	if (o->separator != NULL && o->separator[0] == '\0') {
		out_error("export: --separator must not be empty");
		return false;
	}
	return true;
}

static int
exec_export(struct cli *cli, int argc, char **argv)
{
	bool flags[N_OPTS] = {0};
	const char *values[N_OPTS] = {0};
	argc = cli_options(&cmd_export_entry, argc, argv, options, flags, values);
	if (argc < 0) {
		return EXIT_USAGE;
	}
	struct export_opts eo;
	if (!flags[O_FORMAT]) {
		out_error("export: --format txt, jsonl or xmp is needed");
		return cli_usage(&cmd_export_entry);
	}
	if (!export_opts_of(flags, values, &eo)) {
		return EXIT_USAGE;
	}
	struct query_flags qf = {values[O_MAXR], flags[O_ALLR], values[O_PRESET]};
	struct query_cmd qc;
	int rc = query_cmd_open(cli, &cmd_export_entry, argc, argv, &qf, &qc);
	if (rc == EXIT_OK) {
		struct export_counts counts;
		char *cause = NULL;
		if (!export_run(qc.db, qc.q, &qc.opts, qc.rules, &eo, &counts, &cause)) {
			out_error("export: %s", cause != NULL ? cause : "failed");
			rc = db_busy(qc.db) ? EXIT_BUSY : EXIT_FAILURES;
		} else {
			if (eo.format != EXPORT_JSONL || eo.out != NULL) {
				summary(&counts, flags[O_JSON]);
			}
			rc = counts.failed > 0 ? EXIT_FAILURES : EXIT_OK;
		}
		free(cause);
	}
	query_cmd_fini(&qc);
	return rc;
}
