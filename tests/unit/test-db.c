/* test-db.c — the SQLite layer on real database files. */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/images.h"
#include "db/predictions.h"
#include "db/settings.h"
#include "common/xalloc.h"
#include "tests/unit/check.h"
#include "tests/unit/tmpdir.h"

static struct db *
open_fresh(const char *name)
{
	char *cause = NULL;
	struct db *db = db_open(tmppath(name), &cause);
	CHECK(db != NULL);
	if (db == NULL) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	return db;
}

static struct db_image
make_image(struct db *db, const char *path, uint8_t hash_byte)
{
	int64_t root, folder;
	CHECK(db_root_add(db, "/lib", &root));
	CHECK(db_folder_get(db, root, "/lib/a", &folder));
	struct db_image img = {
		.folder_id = folder,
		.path = (char *)path,
		.size = 10,
		.mtime_ns = 5,
		.has_hash = true,
		.width = 30,
		.height = 20,
		.orientation = DB_ORIENT_LANDSCAPE,
		.state = DB_STATE_NEW,
	};
	memset(img.hash, hash_byte, DB_HASH_LEN);
	CHECK(db_image_insert(db, &img));
	CHECK(img.id > 0);
	return img;
}

static void
test_open(void)
{
	struct db *db = open_fresh("open.db");
	CHECK_INT(db_user_version(db), db_schema_version());
	CHECK(db_integrity_ok(db));
	db_close(db);
	/* Reopening an up-to-date database migrates nothing and keeps data. */
	db = open_fresh("open.db");
	CHECK_INT(db_user_version(db), db_schema_version());
	db_close(db);
	db_close(NULL);
}

static void
test_newer_refused(void)
{
	struct db *db = open_fresh("newer.db");
	char *cause = NULL;
	db_close(db);
	/* A database from a future tagcon: bump user_version behind its back. */
	FILE *f = popen("command -v sqlite3 >/dev/null && echo yes", "r");
	char buf[8] = "";
	if (f != NULL && fgets(buf, sizeof buf, f) != NULL && strncmp(buf, "yes", 3) == 0) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'PRAGMA user_version = 999'",
		    tmppath("newer.db"));
		CHECK(system(cmd) == 0);
		db = db_open(tmppath("newer.db"), &cause);
		CHECK(db == NULL);
		CHECK(cause != NULL && strstr(cause, "newer than this tagcon") != NULL);
		free(cause);
	} else {
		fprintf(stderr, "sqlite3 CLI missing: scripts/test installs it\n");
		CHECK(!"sqlite3 CLI available");
	}
	if (f != NULL) {
		pclose(f);
	}
}

static void
test_images(void)
{
	struct db *db = open_fresh("images.db");
	struct db_image a = make_image(db, "/lib/a/one.png", 1);
	struct db_image loaded;
	bool found;
	CHECK(db_image_by_path(db, "/lib/a/one.png", &loaded, &found));
	CHECK(found);
	CHECK_INT(loaded.id, a.id);
	CHECK_INT(loaded.width, 30);
	CHECK_INT(loaded.orientation, DB_ORIENT_LANDSCAPE);
	CHECK(loaded.has_hash && loaded.hash[0] == 1);
	db_image_fini(&loaded);

	/* A path that is not UTF-8 round-trips byte for byte. */
	struct db_image b = make_image(db, "/lib/a/caf\xe9.png", 2);
	CHECK(db_image_by_path(db, "/lib/a/caf\xe9.png", &loaded, &found) && found);
	CHECK_STR(loaded.path, "/lib/a/caf\xe9.png");
	db_image_fini(&loaded);

	CHECK(db_image_move(db, b.id, "/lib/a/moved.png", b.folder_id, 10, 6));
	CHECK(db_image_by_path(db, "/lib/a/caf\xe9.png", &loaded, &found) && !found);
	CHECK(db_image_by_path(db, "/lib/a/moved.png", &loaded, &found) && found);
	CHECK_INT(loaded.id, b.id);
	db_image_fini(&loaded);

	CHECK(db_image_set_state(db, a.id, DB_STATE_FAILED, "broken"));
	CHECK(db_image_by_path(db, "/lib/a/one.png", &loaded, &found) && found);
	CHECK_INT(loaded.state, DB_STATE_FAILED);
	CHECK_STR(loaded.error, "broken");
	db_image_fini(&loaded);

	/* Duplicate paths are refused by the UNIQUE constraint. */
	struct db_image dup = {.folder_id = a.folder_id, .path = "/lib/a/one.png"};
	CHECK(!db_image_insert(db, &dup));
	CHECK(!db_busy(db));

	struct db_counts c;
	CHECK(db_counts(db, "m", &c));
	CHECK_INT(c.total, 2);
	CHECK_INT(c.by_state[DB_STATE_FAILED], 1);
	CHECK_INT(c.by_state[DB_STATE_NEW], 1);
	CHECK_INT(c.by_orientation[DB_ORIENT_LANDSCAPE], 2);
	CHECK_INT(c.by_rating[4], 2);
	db_close(db);
}

struct collected {
	int n;
	char tags[16][32];
	float scores[16];
};

static void
collect_pred(void *ud, const struct db_pred *p)
{
	struct collected *c = ud;
	snprintf(c->tags[c->n], 32, "%s", p->tag);
	c->scores[c->n++] = p->score;
}

static void
test_answers(void)
{
	struct db *db = open_fresh("answers.db");
	struct db_image a = make_image(db, "/lib/a/x.png", 7);
	struct db_image copy = make_image(db, "/lib/a/copy.png", 7);
	float rating[4] = {0.1f, 0.7f, 0.15f, 0.05f};
	struct db_pred preds[] = {
		{"long_hair", DB_CAT_GENERAL, 0.9f},
		{"hatsune_miku", DB_CAT_CHARACTER, 0.95f},
		{"smile", DB_CAT_GENERAL, 0.4f},
	};
	CHECK(db_store_answer(db, a.id, "model-a", rating, 0.05f, "http://s", preds, 3));
	/* The copy shares the content: it is tagged too, without a call. */
	struct db_tagged t;
	bool found;
	CHECK(db_image_tagged(db, copy.id, "model-a", &t, &found) && found);
	CHECK_NEAR(t.rating[1], 0.7, 1e-6);
	CHECK_STR(t.space, "http://s");
	db_tagged_fini(&t);
	CHECK(db_image_tagged(db, copy.id, "model-b", &t, &found) && !found);
	struct db_image loaded;
	CHECK(db_image_by_path(db, "/lib/a/copy.png", &loaded, &found) && found);
	CHECK_INT(loaded.state, DB_STATE_TAGGED);
	db_image_fini(&loaded);

	struct collected c = {0};
	CHECK(db_image_predictions(db, copy.id, "model-a", collect_pred, &c));
	CHECK_INT(c.n, 3);
	CHECK_STR(c.tags[0], "hatsune_miku");
	CHECK_STR(c.tags[2], "smile");

	/* A second answer replaces the first, never adds to it. */
	CHECK(db_store_answer(db, a.id, "model-a", rating, 0.05f, NULL, preds, 1));
	memset(&c, 0, sizeof c);
	CHECK(db_image_predictions(db, a.id, "model-a", collect_pred, &c));
	CHECK_INT(c.n, 1);

	struct db_counts counts;
	CHECK(db_counts(db, "model-a", &counts));
	CHECK_INT(counts.by_rating[RATING_S], 2);
	db_close(db);
}

static void
test_settings(void)
{
	struct db *db = open_fresh("settings.db");
	char *v;
	CHECK(db_setting_get(db, "x", &v) && v == NULL);
	CHECK(db_setting_set(db, "x", "1"));
	CHECK(db_setting_set(db, "x", "2"));
	CHECK(db_setting_get(db, "x", &v));
	CHECK_STR(v, "2");
	free(v);
	CHECK(db_setting_unset(db, "x"));
	CHECK(db_setting_get(db, "x", &v) && v == NULL);
	db_close(db);
}

static void
test_busy(void)
{
	struct db *a = open_fresh("busy.db");
	struct db *b = open_fresh("busy.db");
	CHECK(db_begin(a));
	/* The second writer waits out the busy timeout, then says busy. */
	CHECK(!db_begin(b));
	CHECK(db_busy(b));
	CHECK(strstr(db_errmsg(b), "busy.db") != NULL);
	CHECK(db_commit(a));
	CHECK(db_begin(b));
	CHECK(db_commit(b));
	db_close(a);
	db_close(b);
}

int
main(void)
{
	test_open();
	test_newer_refused();
	test_images();
	test_answers();
	test_settings();
	test_busy();
	return check_done();
}
