/*
 * test-migrations.c — a database left at every earlier schema version is
 * carried forward to the newest, keeping what it held.
 *
 * Answers are written as the code of each version wrote them: through
 * db_store_answer() from schema 5 on, before that as plain rows (with no
 * MCut cuts, which schema 5 works out for them).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/images.h"
#include "db/predictions.h"
#include "db/rules.h"
#include "db/runs.h"
#include "db/search.h"
#include "db/settings.h"
#include "tests/unit/check.h"
#include "tests/unit/tmpdir.h"

/* The schema that first stores MCut cuts with each answer. */
#define SCHEMA_CUTS 5
/* The schema where request_timeout became request_deadline. */
#define SCHEMA_DEADLINE 6
/* The schema that gives images a wrong-model batch marked failed their
 * state back. */
#define SCHEMA_STATES 8

static const char *db_file;

/* One statement on a connection of its own, with up to two text and two
 * real parameters; the first column of the first row, or -1. */
static double
sql1(const char *text, const char *t1, const char *t2, double r1)
{
	sqlite3 *conn;
	sqlite3_stmt *st = NULL;
	double v = -1;
	CHECK(sqlite3_open(db_file, &conn) == SQLITE_OK);
	sqlite3_busy_timeout(conn, 5000);
	if (!check_(sqlite3_prepare_v2(conn, text, -1, &st, NULL) == SQLITE_OK, text, __FILE__,
	    __LINE__)) {
		fprintf(stderr, "    %s\n", sqlite3_errmsg(conn));
	} else {
		sqlite3_bind_text(st, 1, t1, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 3, r1);
		int rc = sqlite3_step(st);
		v = rc == SQLITE_ROW ? sqlite3_column_double(st, 0) : -1;
		check_(rc == SQLITE_ROW || rc == SQLITE_DONE, text, __FILE__, __LINE__);
	}
	sqlite3_finalize(st);
	sqlite3_close(conn);
	return v;
}

/* The answer for the content of the image at path, as schema `version`
 * stored it. */
static void
store(struct db *db, int version, int64_t image_id, const char *path, const struct db_pred *p,
    size_t n)
{
	float rating[4] = {0.9f, 0.1f, 0, 0};
	if (version >= SCHEMA_CUTS) {
		CHECK(db_store_answer(db, image_id, "m", rating, 0.05f, NULL, p, n));
		return;
	}
	sql1("INSERT OR IGNORE INTO models(name) VALUES ('m')", NULL, NULL, 0);
	sql1("INSERT INTO tagged(content_id, model_id, rating_general, rating_sensitive,"
	    " rating_questionable, rating_explicit, score_floor, tagged_at)"
	    " SELECT i.content_id, m.id, 0.9, 0.1, 0, 0, 0.05, 0 FROM images i, models m"
	    " WHERE CAST(i.path AS TEXT) = ?1 AND m.name = 'm'", path, NULL, 0);
	for (size_t k = 0; k < n; k++) {
		sql1(p[k].category == DB_CAT_CHARACTER
		    ? "INSERT OR IGNORE INTO tags(name, category) VALUES (?2, 4)"
		    : "INSERT OR IGNORE INTO tags(name, category) VALUES (?2, 0)",
		    NULL, p[k].tag, 0);
		sql1("INSERT INTO predictions(content_id, model_id, tag_id, score)"
		    " SELECT i.content_id, m.id, g.id, ?3 FROM images i, models m, tags g"
		    " WHERE CAST(i.path AS TEXT) = ?1 AND m.name = 'm' AND g.name = ?2",
		    path, p[k].tag, p[k].score);
	}
	sql1("UPDATE images SET state = 1 WHERE CAST(path AS TEXT) = ?1", path, NULL, 0);
}

static int64_t
add_image(struct db *db, int64_t folder, const char *path, uint8_t hash)
{
	struct db_image img = {.folder_id = folder, .path = (char *)path, .has_hash = true,
		.hash = {hash}};
	CHECK(db_image_insert(db, &img));
	return img.id;
}

/* General 0.9 0.8 | 0.3 0.25: MCut cuts at 0.55; the one character score
 * 0.3 at half of it, just above the 0.15 floor. */
static const struct db_pred answer_a[] = {
	{"1girl", DB_CAT_GENERAL, 0.9f}, {"solo", DB_CAT_GENERAL, 0.8f},
	{"smile", DB_CAT_GENERAL, 0.3f}, {"blush", DB_CAT_GENERAL, 0.25f},
	{"x", DB_CAT_CHARACTER, 0.3f},
};
static const struct db_pred answer_b[] = {{"1girl", DB_CAT_GENERAL, 0.6f}};

/*
 * What every version from 1 on can hold: a root, a setting, an answer for
 * two copies of one content (one with solo rejected) and for a missing
 * image; from 3 on a pin.
 */
static void
seed(struct db *db, int version)
{
	if (version < 1) {
		return;
	}
	int64_t id, folder;
	CHECK(db_root_add(db, "/photos", &id));
	CHECK(db_setting_set(db, "model", "m"));
	/* What each version's `config set` and `preset save` wrote. */
	CHECK(db_setting_set(db, version < SCHEMA_DEADLINE ? "request_timeout" :
	    "request_deadline", "7"));
	CHECK(db_preset_set(db, "slow", version < SCHEMA_DEADLINE ? "request_timeout" :
	    "request_deadline", "300"));
	CHECK(db_folder_get(db, id, "/photos/a", &folder));
	int64_t one = add_image(db, folder, "/photos/a/1.png", 1);
	add_image(db, folder, "/photos/a/copy.png", 1);
	int64_t gone = add_image(db, folder, "/photos/a/gone.png", 2);
	store(db, version, one, "/photos/a/1.png", answer_a, 5);
	store(db, version, gone, "/photos/a/gone.png", answer_b, 1);
	sql1("INSERT INTO decisions(image_id, tag_id, verdict, source, decided_at)"
	    " SELECT i.id, g.id, -1, 1, 0 FROM images i, tags g"
	    " WHERE CAST(i.path AS TEXT) = ?1 AND g.name = 'solo'", "/photos/a/copy.png", NULL, 0);
	CHECK(db_image_set_state(db, gone, DB_STATE_MISSING, NULL));
	if (version < SCHEMA_STATES) {
		/* What a batch with a model no Space offered left: failed, with
		 * an answer (1.png), or with an accepted tag (copy.png), and one
		 * truly failed with neither (bad.png). */
		int64_t other, elsewhere;
		CHECK(db_root_add(db, "/other", &other));
		CHECK(db_folder_get(db, other, "/other/b", &elsewhere));
		add_image(db, elsewhere, "/other/b/bad.png", 3); /* out of the pin's reach */
		sql1("INSERT INTO tags(name, category) VALUES (?2, 101)", NULL, "by_hand", 0);
		sql1("INSERT INTO decisions(image_id, tag_id, verdict, source, decided_at)"
		    " SELECT i.id, g.id, 1, 1, 0 FROM images i, tags g"
		    " WHERE CAST(i.path AS TEXT) = ?1 AND g.name = 'by_hand'", "/photos/a/copy.png",
		    NULL, 0);
		sql1("UPDATE images SET state = 3, attempts = 4, error = 'wrong model'"
		    " WHERE state != 4", NULL, NULL, 0);
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

static int64_t
suggestions(struct db *db, bool general_mcut, bool character_mcut)
{
	struct search_opts o;
	int64_t n = -1;
	search_opts_init(&o, "m");
	o.cut.general_mcut = general_mcut;
	o.cut.character_mcut = character_mcut;
	CHECK(db_search_suggestions(db, &o, &n));
	return n;
}

/* The cut of one category stored with the answer of the image at path. */
static double
stored_cut(const char *path, bool character)
{
	return sql1(character ? "SELECT t.mcut_character FROM tagged t JOIN images i"
	    " ON i.content_id = t.content_id WHERE CAST(i.path AS TEXT) = ?1"
	    : "SELECT t.mcut_general FROM tagged t JOIN images i"
	    " ON i.content_id = t.content_id WHERE CAST(i.path AS TEXT) = ?1", path, NULL, 0);
}

static void
check_kept(struct db *db, int version)
{
	/* Tag rules (version 3) are kept; older databases start with none. */
	int pins = 0;
	CHECK(db_rules_each(db, -1, count_rule, &pins));
	CHECK_INT(pins, version >= 3 ? 1 : 0);
	/* The suggestion histogram (versions 4, 5) counts what was there. */
	bool same = false;
	CHECK(db_search_hist_check(db, &same) && same);
	if (version < 1) {
		return;
	}
	char *v = NULL;
	CHECK(db_setting_get(db, "model", &v));
	CHECK_STR(v, "m");
	free(v);
	/* request_timeout's value is request_deadline's, in settings and
	 * presets alike, and the old name is gone. */
	CHECK(db_setting_get(db, "request_deadline", &v));
	CHECK_STR(v, "7");
	free(v);
	CHECK(db_setting_get(db, "request_timeout", &v) && v == NULL);
	if (version < SCHEMA_STATES) {
		/* The state follows from what is stored again. */
		CHECK(sql1("SELECT state FROM images WHERE CAST(path AS TEXT) = ?1",
		    "/photos/a/1.png", NULL, 0) == 1);
		CHECK(sql1("SELECT state FROM images WHERE CAST(path AS TEXT) = ?1",
		    "/photos/a/copy.png", NULL, 0) == 2);
		CHECK(sql1("SELECT state FROM images WHERE CAST(path AS TEXT) = ?1",
		    "/other/b/bad.png", NULL, 0) == 3);
		CHECK(sql1("SELECT count(*) FROM images WHERE error IS NOT NULL AND state != 3",
		    NULL, NULL, 0) == 0);
	}
	CHECK(sql1("SELECT value FROM presets WHERE name = 'slow' AND key = ?1",
	    "request_deadline", NULL, 0) == 300);
	CHECK(sql1("SELECT count(*) FROM presets WHERE key = ?1", "request_timeout", NULL, 0) == 0);
	/* The cuts (version 5) are the answers' MCut, worked out by the
	 * migration for older answers: in the doubles of the stored floats. */
	CHECK(stored_cut("/photos/a/1.png", false) == ((double)0.8f + (double)0.3f) / 2);
	CHECK(stored_cut("/photos/a/1.png", true) == (double)0.3f / 2);
	CHECK(stored_cut("/photos/a/gone.png", false) == (double)0.6f / 2);
	CHECK(stored_cut("/photos/a/gone.png", true) == 1.0);
	/* 1.png: 1girl solo; its copy: 1girl (solo rejected); gone: nothing.
	 * Character MCut adds x on both; from version 3 on, the pin on both. */
	int64_t pinned = version >= 3 ? 2 : 0;
	CHECK_INT(suggestions(db, false, false), 3 + pinned);
	CHECK_INT(suggestions(db, true, false), 3 + pinned);
	CHECK_INT(suggestions(db, true, true), 5 + pinned);
	CHECK_INT(suggestions(db, false, true), 5 + pinned);
}

static void
one_space(void *ud, const struct db_run_space *sp)
{
	*(int64_t *)ud = sp->hedges;
}

/* The newest schema works after the migration: a new image; a new answer
 * for the shared content, whose general MCut now keeps 1girl only; a run
 * whose Space counts its hedged requests (schema 7). */
static void
check_newest(struct db *db, int version)
{
	struct db_run run = {.pid = 1, .host = "h", .model = "m"};
	CHECK(db_run_start(db, &run));
	struct db_run_space sp = {.url = "http://a", .state = "ready", .hedges = 3};
	int64_t hedges = -1;
	CHECK(db_run_space_update(db, run.id, &sp));
	CHECK(db_run_spaces(db, run.id, one_space, &hedges));
	CHECK_INT(hedges, 3);
	int64_t root, folder;
	CHECK(db_root_add(db, "/more", &root));
	CHECK(db_folder_get(db, root, "/more/x", &folder));
	struct db_image img = {.folder_id = folder, .path = "/more/x/a.png"};
	CHECK(db_image_insert(db, &img));
	if (version < 1) {
		return;
	}
	struct db_image one;
	bool found;
	CHECK(db_image_by_path(db, "/photos/a/1.png", &one, &found) && found);
	struct db_pred p[] = {{"1girl", DB_CAT_GENERAL, 0.95f}, {"solo", DB_CAT_GENERAL, 0.4f},
		{"smile", DB_CAT_GENERAL, 0.35f}};
	float rating[4] = {0.9f, 0.1f, 0, 0};
	CHECK(db_store_answer(db, one.id, "m", rating, 0.05f, NULL, p, 3));
	db_image_fini(&one);
	bool same = false;
	CHECK(db_search_hist_check(db, &same) && same);
	CHECK(stored_cut("/photos/a/1.png", false) == ((double)0.95f + (double)0.4f) / 2);
	CHECK(stored_cut("/photos/a/1.png", true) == 1.0);
	int64_t pinned = version >= 3 ? 2 : 0;
	CHECK_INT(suggestions(db, false, false), 3 + pinned);
	CHECK_INT(suggestions(db, true, true), 2 + pinned);
}

int
main(void)
{
	int latest = db_schema_version();
	CHECK(latest >= SCHEMA_CUTS);
	for (int v = 0; v <= latest; v++) {
		char name[32];
		snprintf(name, sizeof name, "v%d.db", v);
		db_file = tmppath(name);
		char *cause = NULL;
		struct db *db = db_open_version(db_file, v, &cause);
		CHECK(db != NULL);
		if (db == NULL) {
			fprintf(stderr, "%s\n", cause);
			free(cause);
			continue;
		}
		CHECK_INT(db_user_version(db), v);
		seed(db, v);
		db_close(db);

		db = db_open(db_file, &cause);
		CHECK(db != NULL);
		if (db == NULL) {
			fprintf(stderr, "%s\n", cause);
			free(cause);
			continue;
		}
		CHECK_INT(db_user_version(db), latest);
		CHECK(db_integrity_ok(db));
		check_kept(db, v);
		check_newest(db, v);
		db_close(db);
	}
	return check_done();
}
