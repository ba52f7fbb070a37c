/*
 * test-migrations.c — a database left at every earlier schema version is
 * carried forward to the newest, keeping what it held.
 */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/images.h"
#include "db/predictions.h"
#include "db/rules.h"
#include "db/search.h"
#include "db/settings.h"
#include "tests/unit/check.h"
#include "tests/unit/tmpdir.h"

/* What every version from 1 on can hold: a root and a setting. */
static void
seed(struct db *db, int version)
{
	if (version >= 1) {
		int64_t id;
		CHECK(db_root_add(db, "/photos", &id));
		CHECK(db_setting_set(db, "model", "m"));
		/* An answer, so that schema 4 has scores to count. */
		int64_t folder;
		CHECK(db_folder_get(db, id, "/photos/a", &folder));
		struct db_image img = {.folder_id = folder, .path = "/photos/a/1.png",
			.has_hash = true, .hash = {1}};
		CHECK(db_image_insert(db, &img));
		float rating[4] = {0.9f, 0.1f, 0, 0};
		struct db_pred p[2] = {{"1girl", DB_CAT_GENERAL, 0.9f}, {"x", DB_CAT_CHARACTER, 0.3f}};
		CHECK(db_store_answer(db, img.id, "m", rating, 0.05f, NULL, p, 2));
	}
	if (version >= 3) {
		bool added;
		struct db_rule pin = {.kind = DB_RULE_PIN, .tag = "wip", .folder = "/photos"};
		CHECK(db_rule_add(db, &pin, &added) && added);
	}
}

static void
count_rule(void *ud, const struct db_rule *r)
{
	*(int *)ud += r->kind == DB_RULE_PIN && strcmp(r->tag, "wip") == 0 &&
	    strcmp(r->folder, "/photos") == 0;
}

static void
check_kept(struct db *db, int version)
{
	if (version >= 1) {
		char *v = NULL;
		CHECK(db_setting_get(db, "model", &v));
		CHECK_STR(v, "m");
		free(v);
	}
	/* Tag rules (version 3) are kept; older databases start with none. */
	int pins = 0;
	CHECK(db_rules_each(db, -1, count_rule, &pins));
	CHECK_INT(pins, version >= 3 ? 1 : 0);
	/* The suggestion histogram (version 4) counts what was there. */
	bool same = false, fast;
	CHECK(db_search_hist_check(db, &same) && same);
	if (version >= 1) {
		struct search_opts o;
		int64_t n = -1;
		search_opts_init(&o, "m");
		CHECK(db_search_suggestions(db, &o, &n, &fast));
		/* 1girl above 0.35; from version 3 on, the pin on /photos too. */
		CHECK_INT(n, version >= 3 ? 2 : 1);
	}
}

int
main(void)
{
	int latest = db_schema_version();
	CHECK(latest >= 1);
	for (int v = 0; v <= latest; v++) {
		char name[32];
		snprintf(name, sizeof name, "v%d.db", v);
		char *cause = NULL;
		struct db *db = db_open_version(tmppath(name), v, &cause);
		CHECK(db != NULL);
		if (db == NULL) {
			fprintf(stderr, "%s\n", cause);
			free(cause);
			continue;
		}
		CHECK_INT(db_user_version(db), v);
		seed(db, v);
		db_close(db);

		db = db_open(tmppath(name), &cause);
		CHECK(db != NULL);
		if (db == NULL) {
			fprintf(stderr, "%s\n", cause);
			free(cause);
			continue;
		}
		CHECK_INT(db_user_version(db), latest);
		CHECK(db_integrity_ok(db));
		check_kept(db, v);
		/* The newest schema works after the migration. */
		int64_t root, folder;
		CHECK(db_root_add(db, "/more", &root));
		CHECK(db_folder_get(db, root, "/more/x", &folder));
		struct db_image img = {.folder_id = folder, .path = "/more/x/a.png"};
		CHECK(db_image_insert(db, &img));
		db_close(db);
	}
	return check_done();
}
