/* predictions.c — storing answers, reading predictions and decisions. */
#include "db/predictions.h"
#include "db/postings.h"
#include "db/scores.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db-private.h"
#include "common/xalloc.h"

static bool
id_of(struct db *db, const char *sql, const char *name, int extra, int64_t *id)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, extra);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(db, "id");
	}
	*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return true;
}

static bool
model_id(struct db *db, const char *model, int64_t *id)
{
	return id_of(db, "INSERT INTO models(name) VALUES (?1) ON CONFLICT(name)"
	    " DO UPDATE SET name = excluded.name RETURNING id /* ?2 */", model, 0, id);
}

static bool
tag_id(struct db *db, const char *tag, int category, int64_t *id)
{
	/* A name keeps the category it was first seen with. */
	return id_of(db, "INSERT INTO tags(name, category) VALUES (?1, ?2) ON CONFLICT(name)"
	    " DO UPDATE SET name = excluded.name RETURNING id", tag, category, id);
}

static bool
content_of(struct db *db, int64_t image_id, int64_t *cid)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT content_id FROM images WHERE id = ?1"
	    " AND content_id IS NOT NULL");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, image_id);
	int rc = sqlite3_step(st);
	*cid = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		free(db->errmsg);
		db->errmsg = xasprintf("%s: image %lld has no content hash", db->path,
		    (long long)image_id);
		db->busy = false;
		return false;
	}
	return true;
}

/* The answer's MCut cuts, from its predictions just stored; the triggers
 * move the histogram rows of the scores that cross them. */
static bool
store_cuts(struct db *db, int64_t cid, int64_t mid)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE tagged SET mcut_general = "
	    DB_MCUT_GENERAL_SQL("?1", "?2") ", mcut_character = " DB_MCUT_CHARACTER_SQL("?1", "?2")
	    " WHERE content_id = ?1 AND model_id = ?2");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_int64(st, 2, mid);
	return db_step_done(db, st, "store MCut cuts");
}

static bool
store_rows(struct db *db, int64_t cid, int64_t mid, const float rating[4], float floor,
    const char *space, const struct db_pred *preds, size_t n)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM tagged WHERE content_id = ?1 AND model_id = ?2");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_int64(st, 2, mid);
	if (!db_step_done(db, st, "clear answer")) {
		return false;
	}
	st = db_stmt(db, "INSERT INTO tagged(content_id, model_id, rating_general, rating_sensitive,"
	    " rating_questionable, rating_explicit, score_floor, space, tagged_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_int64(st, 2, mid);
	for (int i = 0; i < 4; i++) {
		sqlite3_bind_double(st, 3 + i, rating[i]);
	}
	sqlite3_bind_double(st, 7, floor);
	if (space != NULL) {
		sqlite3_bind_text(st, 8, space, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(st, 9, (int64_t)time(NULL));
	if (!db_step_done(db, st, "store answer")) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t tid;
		if (!tag_id(db, preds[i].tag, (int)preds[i].category, &tid)) {
			return false;
		}
		st = db_stmt(db, "INSERT OR REPLACE INTO predictions(content_id, model_id, tag_id,"
		    " score) VALUES (?1, ?2, ?3, ?4)");
		if (st == NULL) {
			return false;
		}
		sqlite3_bind_int64(st, 1, cid);
		sqlite3_bind_int64(st, 2, mid);
		sqlite3_bind_int64(st, 3, tid);
		sqlite3_bind_double(st, 4, preds[i].score);
		if (!db_step_done(db, st, "store prediction")) {
			return false;
		}
	}
	if (!store_cuts(db, cid, mid)) {
		return false;
	}
	st = db_stmt(db, "UPDATE images SET state = 1, error = NULL, attempts = 0"
	    " WHERE content_id = ?1 AND (state = 0 OR (state = 3 AND attempts > 0))");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, cid);
	return db_step_done(db, st, "mark tagged");
}

bool
db_store_answer(struct db *db, int64_t image_id, const char *model, const float rating[4],
    float floor, const char *space, const struct db_pred *preds, size_t n)
{
	int64_t cid, mid;
	if (!db_begin(db)) {
		return false;
	}
	if (!content_of(db, image_id, &cid) || !model_id(db, model, &mid) ||
	    !store_rows(db, cid, mid, rating, floor, space, preds, n) || !db_commit(db)) {
		db_rollback(db);
		return false;
	}
	/* The writer that grows the logs folds them (a batch of a million
	 * answers would leave tens of millions of score-set entries, and two
	 * million of the state sets'); the answer is stored whatever becomes
	 * of the folds. */
	(void)db_scores_fold_if_due(db);
	(void)db_postings_fold_if_due(db);
	return true;
}

bool
db_image_tagged(struct db *db, int64_t image_id, const char *model, struct db_tagged *t,
    bool *found)
{
	memset(t, 0, sizeof *t);
	*found = false;
	sqlite3_stmt *st = db_stmt(db, "SELECT t.rating_general, t.rating_sensitive,"
	    " t.rating_questionable, t.rating_explicit, t.score_floor, t.tagged_at, t.space"
	    " FROM images i JOIN tagged t ON t.content_id = i.content_id"
	    " JOIN models m ON m.id = t.model_id WHERE i.id = ?1 AND m.name = ?2");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, image_id);
	sqlite3_bind_text(st, 2, model, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = true;
		for (int i = 0; i < 4; i++) {
			t->rating[i] = (float)sqlite3_column_double(st, i);
		}
		t->floor = (float)sqlite3_column_double(st, 4);
		t->tagged_at = sqlite3_column_int64(st, 5);
		const unsigned char *sp = sqlite3_column_text(st, 6);
		t->space = sp != NULL ? xstrdup((const char *)sp) : NULL;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "tagged");
}

void
db_tagged_fini(struct db_tagged *t)
{
	free(t->space);
	t->space = NULL;
}

bool
db_image_predictions(struct db *db, int64_t image_id, const char *model,
    void (*fn)(void *ud, const struct db_pred *p), void *ud)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT g.name, g.category, p.score"
	    " FROM images i JOIN predictions p ON p.content_id = i.content_id"
	    " JOIN models m ON m.id = p.model_id JOIN tags g ON g.id = p.tag_id"
	    " WHERE i.id = ?1 AND m.name = ?2 ORDER BY p.score DESC, g.name");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, image_id);
	sqlite3_bind_text(st, 2, model, -1, SQLITE_TRANSIENT);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_pred p = {
			.tag = (const char *)sqlite3_column_text(st, 0),
			.category = (enum db_category)sqlite3_column_int(st, 1),
			.score = sqlite3_column_double(st, 2),
		};
		fn(ud, &p);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "predictions");
}

bool
db_image_decisions(struct db *db, int64_t image_id,
    void (*fn)(void *ud, const struct db_decision *d), void *ud)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT g.name, g.category, d.verdict, d.source"
	    " FROM decisions d JOIN tags g ON g.id = d.tag_id WHERE d.image_id = ?1"
	    " ORDER BY d.verdict DESC, g.name");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, image_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_decision d = {
			.tag = (const char *)sqlite3_column_text(st, 0),
			.category = (enum db_category)sqlite3_column_int(st, 1),
			.verdict = sqlite3_column_int(st, 2) > 0 ? DB_ACCEPTED : DB_REJECTED,
			.source = (enum db_source)sqlite3_column_int(st, 3),
		};
		fn(ud, &d);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "decisions");
}

bool
db_models_each(struct db *db, void (*fn)(void *ud, const char *name), void *ud)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT name FROM models ORDER BY name");
	if (st == NULL) {
		return false;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(ud, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "models");
}

const char *
db_category_name(enum db_category c)
{
	switch (c) {
	case DB_CAT_GENERAL: return "general";
	case DB_CAT_CHARACTER: return "character";
	case DB_CAT_RATING: return "rating";
	case DB_CAT_ORIENTATION: return "orientation";
	case DB_CAT_USER: return "user";
	}
	return "general";
}
