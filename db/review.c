/* review.c — committing decisions; retrying failed images. */
#include "db/review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "db/db-private.h"
#include "db/images.h"

static bool
tag_id(struct db *db, const char *tag, enum db_category category, int64_t *id)
{
	/* A name keeps the category it was first seen with. */
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO tags(name, category) VALUES (?1, ?2)"
	    " ON CONFLICT(name) DO UPDATE SET name = excluded.name RETURNING id");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, tag, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, (int)category);
	int rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(db, "tag");
}

static bool
apply(struct db *db, int64_t image_id, const struct db_review_change *c, int64_t now)
{
	int64_t tid;
	if (!tag_id(db, c->tag, c->category, &tid)) {
		return false;
	}
	sqlite3_stmt *st;
	if (c->op == DB_REVIEW_FORGET) {
		st = db_stmt(db, "DELETE FROM decisions WHERE image_id = ?1 AND tag_id = ?2");
	} else {
		st = db_stmt(db, "INSERT INTO decisions(image_id, tag_id, verdict, source,"
		    " decided_at)"
		    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(image_id, tag_id) DO UPDATE SET"
		    " verdict = excluded.verdict, source = excluded.source,"
		    " decided_at = excluded.decided_at");
	}
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, image_id);
	sqlite3_bind_int64(st, 2, tid);
	if (c->op != DB_REVIEW_FORGET) {
		sqlite3_bind_int(st, 3, c->op == DB_REVIEW_ACCEPT ? DB_ACCEPTED : DB_REJECTED);
		sqlite3_bind_int(st, 4, (int)c->source);
		sqlite3_bind_int64(st, 5, now);
	}
	return db_step_done(db, st, "decision");
}

char *
db_review_stamp(struct db *db, int64_t image_id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT coalesce(group_concat(tag_id || ':' || verdict"
	    " || ':' || source, ','), '') FROM (SELECT tag_id, verdict, source FROM decisions"
	    " WHERE image_id = ?1 ORDER BY tag_id)");
	if (st == NULL) {
		return NULL;
	}
	sqlite3_bind_int64(st, 1, image_id);
	char *stamp = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		stamp = xstrdup((const char *)sqlite3_column_text(st, 0));
	} else {
		db_fail(db, "decisions");
	}
	sqlite3_reset(st);
	return stamp;
}

bool
db_review_commit(struct db *db, int64_t image_id, const struct db_review_change *changes,
    size_t n)
{
	bool stale;
	return db_review_commit_if(db, image_id, changes, n, NULL, &stale);
}

bool
db_review_commit_if(struct db *db, int64_t image_id, const struct db_review_change *changes,
    size_t n, const char *stamp, bool *stale)
{
	int64_t now = (int64_t)time(NULL);
	*stale = false;
	if (!db_begin(db)) {
		return false;
	}
	if (stamp != NULL) {
		/* Read inside the write transaction: nobody commits in between. */
		char *now_stamp = db_review_stamp(db, image_id);
		*stale = now_stamp == NULL || strcmp(now_stamp, stamp) != 0;
		bool failed = now_stamp == NULL;
		free(now_stamp);
		if (*stale) {
			db_rollback(db);
			*stale = !failed;
			return false;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!apply(db, image_id, &changes[i], now)) {
			db_rollback(db);
			return false;
		}
	}
	sqlite3_stmt *st = db_stmt(db, "UPDATE images SET state = 2, updated_at = ?2"
	    " WHERE id = ?1 AND state IN (0, 1, 2)");
	if (st == NULL) {
		db_rollback(db);
		return false;
	}
	sqlite3_bind_int64(st, 1, image_id);
	sqlite3_bind_int64(st, 2, now);
	if (!db_step_done(db, st, "commit state") || !db_commit(db)) {
		db_rollback(db);
		return false;
	}
	return true;
}

bool
db_review_retry(struct db *db, int64_t image_id, int64_t *n)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE images SET state = 0, error = NULL, attempts = 0,"
	    " updated_at = ?2 WHERE state = 3 AND (?1 = 0 OR id = ?1)");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, image_id);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	if (!db_step_done(db, st, "retry")) {
		return false;
	}
	*n = sqlite3_changes64(db->conn);
	return true;
}

bool
db_reviewed_each(struct db *db, const char *model,
    bool (*fn)(void *ud, int64_t id, const char *path), void *ud)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT i.id, i.path FROM images i"
	    " WHERE i.state = 2 AND EXISTS (SELECT 1 FROM tagged t JOIN models m"
	    "  ON m.id = t.model_id WHERE t.content_id = i.content_id AND m.name = ?1)"
	    " ORDER BY i.id");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	/* The rows are copied first: fn reads the database with this
	 * connection, whose statements are cached. */
	struct row {
		int64_t id;
		char *path;
	} *rows = NULL;
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows = xreallocarray(rows, n + 1, sizeof *rows);
		const void *p = sqlite3_column_blob(st, 1);
		rows[n].id = sqlite3_column_int64(st, 0);
		rows[n++].path = xstrndup(p != NULL ? p : "", (size_t)sqlite3_column_bytes(st, 1));
	}
	sqlite3_reset(st);
	bool ok = rc == SQLITE_DONE || db_fail(db, "reviewed images");
	for (size_t i = 0; i < n; i++) {
		ok = ok && fn(ud, rows[i].id, rows[i].path);
		free(rows[i].path);
	}
	free(rows);
	return ok;
}

const char *
db_claim_holder(void)
{
	static char holder[300];
	if (holder[0] == '\0') {
		char host[256] = "";
		gethostname(host, sizeof host - 1);
		snprintf(holder, sizeof holder, "%ld@%s", (long)getpid(), host);
	}
	return holder;
}

bool
db_claim(struct db *db, int64_t image_id, int ttl, bool *got)
{
	int64_t now = (int64_t)time(NULL);
	*got = false;
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM claims WHERE holder = ?1 AND image_id != ?2");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, db_claim_holder(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, image_id);
	if (!db_step_done(db, st, "claim")) {
		return false;
	}
	st = db_stmt(db, "INSERT INTO claims(image_id, holder, expires_at) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT(image_id) DO UPDATE SET holder = excluded.holder,"
	    " expires_at = excluded.expires_at"
	    " WHERE claims.holder = excluded.holder OR claims.expires_at <= ?4");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, image_id);
	sqlite3_bind_text(st, 2, db_claim_holder(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now + ttl);
	sqlite3_bind_int64(st, 4, now);
	if (!db_step_done(db, st, "claim")) {
		return false;
	}
	*got = sqlite3_changes(db->conn) > 0;
	return true;
}

bool
db_claim_release(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM claims WHERE holder = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, db_claim_holder(), -1, SQLITE_TRANSIENT);
	return db_step_done(db, st, "release claim");
}
