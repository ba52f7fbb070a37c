/*
 * cmd-edit.c — tagcon edit PATH... [+TAG]... [-TAG]... [--commit]: what the
 * console's review keys do, from a shell: +TAG adds a tag by hand, -TAG
 * rejects a suggestion (never suggested again for that image) or removes a
 * committed tag; --commit also accepts the image's pending suggestions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tag/review.h"
#include "core/tag/rules.h"
#include "core/settings.h"
#include "db/db.h"
#include "db/images.h"
#include "common/xalloc.h"
#include "tui/cli.h"
#include "tui/out.h"

static int exec_edit(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_edit_entry = {
	.name = "edit",
	.usage = "PATH... [+TAG]... [-TAG]... [--commit]",
	.help = "add, reject or remove tags of images, as the console's keys do",
	.exec = exec_edit,
};

/* Apply one -TAG: reject a suggestion or near miss, remove a committed tag. */
static bool
drop(struct review *r, const char *name, char **cause)
{
	char *canon = review_tag_name(name);
	int i = canon != NULL ? review_find(r, canon) : -1;
	free(canon);
	if (i < 0) {
		*cause = xasprintf("-%s: the image has no such tag", name);
		return false;
	}
	const struct review_tag *t = review_tag(r, (size_t)i);
	if (t->status == REVIEW_REJECTED || t->mark == REVIEW_REJECT) {
		return true; /* already so */
	}
	return t->status == REVIEW_COMMITTED ? review_remove(r, (size_t)i) :
	    review_toggle_reject(r, (size_t)i);
}

static bool
edit_one(struct db *db, const char *model, const char *path, char **edits, int n_edits,
    bool commit, char **cause)
{
	char *abs = realpath(path, NULL);
	struct db_image img;
	bool found = false;
	if (!db_image_by_path(db, abs != NULL ? abs : path, &img, &found) || !found) {
		*cause = found ? xstrdup(db_errmsg(db)) :
		    xasprintf("%s: not in the library (run tagcon scan on its folder)", path);
		free(abs);
		return false;
	}
	free(abs);
	struct review_opts ro = {.mode = REVIEW_MODE_REQUIRED};
	struct rules *rules = rules_load(db, cause);
	struct review *r = rules != NULL ? review_create(db, img.id, model, rules, &ro, cause) : NULL;
	db_image_fini(&img);
	if (r == NULL) {
		rules_destroy(rules);
		return false;
	}
	bool ok = true;
	if (commit) {
		review_accept_all(r);
	}
	for (int i = 0; ok && i < n_edits; i++) {
		ok = edits[i][0] == '+' ? review_add(r, db, edits[i] + 1, cause) :
		    drop(r, edits[i] + 1, cause);
	}
	ok = ok && (review_pending(r) == 0 || review_commit(r, db, cause));
	review_destroy(r);
	rules_destroy(rules);
	return ok;
}

static int
exec_edit(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--commit", NULL};
	bool flags[1] = {0};
	argc = cli_options(&cmd_edit_entry, argc, argv, names, flags, NULL);
	if (argc < 0) {
		return EXIT_USAGE;
	}
	/* Paths first, then the edits, in the order given. */
	char **paths = xcalloc((size_t)argc + 1, sizeof *paths);
	char **edits = xcalloc((size_t)argc + 1, sizeof *edits);
	int n_paths = 0, n_edits = 0;
	for (int i = 0; i < argc; i++) {
		bool edit = (argv[i][0] == '+' || argv[i][0] == '-') && argv[i][1] != '\0';
		if (edit) {
			edits[n_edits++] = argv[i];
		} else {
			paths[n_paths++] = argv[i];
		}
	}
	int rc = EXIT_OK;
	struct db *db = NULL;
	char *model = NULL;
	if (n_paths == 0 || (n_edits == 0 && !flags[0])) {
		rc = cli_usage(&cmd_edit_entry);
	} else if ((db = cli_db(cli)) == NULL || (model = settings_get(db, "model")) == NULL) {
		rc = EXIT_FAILURES;
	}
	for (int i = 0; rc == EXIT_OK && i < n_paths; i++) {
		char *cause = NULL;
		if (!edit_one(db, model, paths[i], edits, n_edits, flags[0], &cause)) {
			out_error("edit: %s", cause != NULL ? cause : db_errmsg(db));
			free(cause);
			rc = db_busy(db) ? EXIT_BUSY : EXIT_FAILURES;
		}
	}
	free(model);
	free(paths);
	free(edits);
	return rc;
}
