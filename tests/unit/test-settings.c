/* test-settings.c — the settings table, validation and storage. */
#include <stdlib.h>
#include <string.h>

#include "common/rating.h"
#include "core/settings.h"
#include "db/db.h"
#include "tests/unit/check.h"
#include "tests/unit/tmpdir.h"

static void
refused(struct db *db, const char *name, const char *value, const char *why)
{
	char *before = settings_get(db, name);
	char *cause = NULL;
	CHECK(!settings_set(db, name, value, &cause));
	CHECK(cause != NULL && strstr(cause, why) != NULL);
	if (cause != NULL && strstr(cause, why) == NULL) {
		fprintf(stderr, "    cause: %s\n", cause);
	}
	CHECK(cause == NULL || strchr(cause, '\n') == NULL);
	char *after = settings_get(db, name);
	CHECK_STR(after, before);
	free(cause);
	free(before);
	free(after);
}

int
main(void)
{
	size_t n;
	const struct setting_def *t = settings_table(&n);
	CHECK(n >= 15);
	/* Every default passes its own validation. */
	for (size_t i = 0; i < n; i++) {
		char *normal = NULL, *cause = NULL;
		bool ok = settings_validate(&t[i], t[i].def, &normal, &cause);
		CHECK(ok);
		if (!ok) {
			fprintf(stderr, "    %s: %s\n", t[i].name, cause);
		}
		free(normal);
		free(cause);
	}
	/* The rating settings offer exactly the letters of common/rating.h. */
	const char *rated[] = {"max_rating", "max_preview_rating"};
	for (size_t i = 0; i < 2; i++) {
		const char *const *c = settings_find(rated[i])->choices;
		for (int r = 0; r < RATING_COUNT; r++) {
			CHECK(c[r] != NULL && c[r][0] == rating_letter(r) && c[r][1] == '\0');
		}
		CHECK(c[RATING_COUNT] == NULL);
	}
	const char *names[] = {"spaces", "model", "general_threshold", "character_threshold",
		"general_mcut", "character_mcut", "score_floor", "upload_max_side", "auto_tag",
		"target_folder", "review_mode", "max_preview_rating", "theme", "pixel_limit",
		"space_inflight", "max_rating", "max_attempts"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		CHECK(settings_find(names[i]) != NULL);
	}

	char *cause = NULL;
	struct db *db = db_open(tmppath("s.db"), &cause);
	CHECK(db != NULL);
	char *v = settings_get(db, "general_threshold");
	CHECK_STR(v, "0.35");
	free(v);
	CHECK(settings_set(db, "general_threshold", "0.5", &cause));
	CHECK_NEAR(settings_get_float(db, "general_threshold"), 0.5, 1e-9);
	CHECK(settings_set(db, "general_mcut", "YES", &cause));
	CHECK(settings_get_bool(db, "general_mcut"));
	v = settings_get(db, "general_mcut");
	CHECK_STR(v, "true");
	free(v);
	CHECK(settings_set(db, "review_mode", "Auto", &cause));
	v = settings_get(db, "review_mode");
	CHECK_STR(v, "auto");
	free(v);
	CHECK(settings_set(db, "spaces", " http://127.0.0.1:7860 \n\nhttps://a-b.hf.space\n",
	    &cause));
	v = settings_get(db, "spaces");
	CHECK_STR(v, "http://127.0.0.1:7860\nhttps://a-b.hf.space");
	free(v);
	CHECK(settings_reset(db, "general_threshold", &cause));
	CHECK_NEAR(settings_get_float(db, "general_threshold"), 0.35, 1e-9);

	refused(db, "general_threshold", "1.5", "out of range");
	refused(db, "general_threshold", "abc", "not a number");
	refused(db, "general_threshold", "nan", "not a number");
	refused(db, "upload_max_side", "12.5", "whole number");
	refused(db, "general_mcut", "maybe", "true or false");
	refused(db, "review_mode", "sometimes", "not one of required, auto, auto-above");
	refused(db, "spaces", "ftp://x", "not an http or https URL; use https://huggingface.co/spaces/OWNER/NAME");
	refused(db, "spaces", "http://user:pw@host", "spaces: ");
	refused(db, "target_folder", "a\033[31mb", "control characters");
	refused(db, "no_such", "1", "no setting named");
	db_close(db);
	return check_done();
}
