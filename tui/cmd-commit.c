/*
 * cmd-commit.c — tagcon commit [QUERY] [--min-score X] [--confident]: the
 * console's review for scripts: accept the pending suggestions of every
 * matching image in one go (every pending image without a query); with
 * --confident, only of the images the model was sure about (every
 * suggestion and near miss at least confident_margin from its cut,
 * core/tag/suggest.h), leaving the others for a person.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/settings.h"
#include "core/tag/review.h"
#include "core/tag/rules.h"
#include "db/db.h"
#include "common/xalloc.h"
#include "tui/cli.h"
#include "tui/cmd-search.h"
#include "tui/out.h"

static int exec_commit(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_commit_entry = {
	.name = "commit",
	.usage = "[--min-score X] [--confident [--margin M]] [--dry-run] [--json] [--preset NAME] "
	    "[QUERY...]",
	.help = "accept the pending suggestions of the matching images",
	.exec = exec_commit,
};

static bool
collect(void *ud, const struct search_hit *hit)
{
	GArray *ids = ud;
	/* Committed images may hold new suggestions too (another model,
	 * a lower threshold, a --min-score that left some). */
	if (hit->state == DB_STATE_TAGGED || hit->state == DB_STATE_COMMITTED) {
		g_array_append_val(ids, hit->id);
	}
	return true;
}

/* Accept one image's suggestions: every one, or those review_accept_above()
 * takes when min_score >= 0; *accepted counts them.  False with *cause on
 * db error. */
static bool
commit_one(struct query_cmd *qc, int64_t id, double min_score, double margin, bool dry,
    size_t *accepted, char **cause)
{
	/* Start from no marks: this command decides. */
	struct review_opts ro = {.mode = REVIEW_MODE_REQUIRED};
	struct review *r = review_create(qc->db, id, qc->model, qc->rules, &ro, cause);
	if (r == NULL) {
		return false;
	}
	if (margin >= 0 && review_confidence(r) < margin) {
		*accepted = 0; /* unsure: a person's */
	} else if (min_score < 0) {
		review_accept_all(r);
	} else {
		review_accept_above(r, min_score);
	}
	*accepted = review_pending(r);
	bool ok = dry || *accepted == 0 || review_commit(r, qc->db, cause);
	review_destroy(r);
	return ok;
}

static int
exec_commit(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--min-score=", "--dry-run", "--json", "--preset=",
		"--confident", "--margin=", NULL};
	bool flags[6] = {0};
	const char *values[6] = {0};
	argc = cli_options(&cmd_commit_entry, argc, argv, names, flags, values);
	if (argc < 0) {
		return EXIT_USAGE;
	}
	double min_score = -1;
	if (flags[0]) {
		char *end;
		min_score = strtod(values[0], &end);
		if (*values[0] == '\0' || *end != '\0' || min_score < 0 || min_score > 1) {
			out_error("commit: --min-score '%s' is not a number from 0 to 1", values[0]);
			return EXIT_USAGE;
		}
	}
	double margin = -1;
	if (flags[5]) {
		char *end;
		margin = strtod(values[5], &end);
		if (!flags[4] || *values[5] == '\0' || *end != '\0' || !(margin >= 0 && margin <= 1)) {
			out_error(flags[4] ? "commit: --margin '%s' is not a number from 0 to 1"
			    : "commit: --margin '%s' goes with --confident", values[5]);
			return EXIT_USAGE;
		}
	}
	/* The rating filter is for looking at images, not for deciding: all. */
	struct query_flags qf = {.all_ratings = true, .preset = values[3]};
	struct query_cmd qc;
	int rc = query_cmd_open(cli, &cmd_commit_entry, argc, argv, &qf, &qc);
	if (rc == EXIT_OK && flags[4] && margin < 0) {
		margin = settings_get_float(qc.db, "confident_margin");
	}
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	if (rc == EXIT_OK && !db_search_each(qc.db, qc.q, &qc.opts, collect, ids)) {
		rc = cli_db_error(cli);
	}
	size_t images = 0, tags = 0;
	for (guint i = 0; rc == EXIT_OK && i < ids->len; i++) {
		size_t n;
		char *cause = NULL;
		if (!commit_one(&qc, g_array_index(ids, int64_t, i), min_score, margin, flags[1], &n,
		    &cause)) {
			out_error("commit: %s", cause != NULL ? cause : db_errmsg(qc.db));
			free(cause);
			rc = db_busy(qc.db) ? EXIT_BUSY : EXIT_FAILURES;
			break;
		}
		images += n > 0;
		tags += n;
	}
	if (rc == EXIT_OK && flags[2]) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "images", (double)images);
		cJSON_AddNumberToObject(o, "tags", (double)tags);
		cJSON_AddBoolToObject(o, "dry_run", flags[1]);
		out_json(o);
	} else if (rc == EXIT_OK) {
		printf("%s %zu tag%s on %zu image%s\n", flags[1] ? "would commit" : "committed", tags,
		    tags == 1 ? "" : "s", images, images == 1 ? "" : "s");
	}
	g_array_free(ids, TRUE);
	query_cmd_fini(&qc);
	return rc;
}
