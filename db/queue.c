/* queue.c — candidates of a batch run and their failures. */
#include "db/queue.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db-private.h"
#include "common/xalloc.h"

/* ?1 model, ?2/?3 path range of the folder (NULL: everything), ?4 force. */
#define CANDIDATES_WHERE \
	" FROM images i" \
	" WHERE i.content_id IS NOT NULL AND i.state != 4" \
	"  AND NOT (i.state = 3 AND i.attempts = 0)" \
	"  AND (?2 IS NULL OR (i.path >= ?2 AND i.path < ?3))" \
	"  AND (?4 OR NOT EXISTS (SELECT 1 FROM tagged t JOIN models m ON m.id = t.model_id" \
	"   WHERE t.content_id = i.content_id AND m.name = ?1))"

static void
bind_scope(sqlite3_stmt *st, const char *model, const char *folder, bool force)
{
	sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	if (folder != NULL) {
		/* folder "/a/b" covers "/a/b/..." : the range ["/a/b/", "/a/b0"). */
		size_t n = strlen(folder);
		while (n > 1 && folder[n - 1] == '/') {
			n--;
		}
		char *lo = xasprintf("%.*s/", (int)n, folder);
		char *hi = xasprintf("%.*s0", (int)n, folder);
		sqlite3_bind_blob(st, 2, lo, (int)strlen(lo), SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 3, hi, (int)strlen(hi), SQLITE_TRANSIENT);
		free(lo);
		free(hi);
	}
	sqlite3_bind_int(st, 4, force);
}

/* One row of the SELECT below (image id, path, width, height, attempts,
 * hash) to fn. */
static void
emit_candidate(sqlite3_stmt *st, void (*fn)(void *ud, const struct db_candidate *c), void *ud)
{
	char *path = xstrndup(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
	struct db_candidate c = {
		.image_id = sqlite3_column_int64(st, 0),
		.path = path,
		.width = sqlite3_column_int(st, 2),
		.height = sqlite3_column_int(st, 3),
		.attempts = sqlite3_column_int(st, 4),
	};
	if (sqlite3_column_bytes(st, 5) == (int)sizeof c.hash) {
		memcpy(c.hash, sqlite3_column_blob(st, 5), sizeof c.hash);
	}
	fn(ud, &c);
	free(path);
}

bool
db_queue_candidates(struct db *db, const char *model, const char *folder, bool force,
    void (*fn)(void *ud, const struct db_candidate *c), void *ud)
{
	/* One image per content: the lowest id (the first seen) speaks for
	 * its copies; bare columns of a min() aggregate come from that row. */
	sqlite3_stmt *st = db_stmt(db, "SELECT min(i.id), i.path, i.width, i.height, i.attempts,"
	    " (SELECT hash FROM contents WHERE id = i.content_id)"
	    CANDIDATES_WHERE " GROUP BY i.content_id ORDER BY min(i.id)");
	if (st == NULL) {
		return false;
	}
	bind_scope(st, model, folder, force);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		emit_candidate(st, fn, ud);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "candidates");
}

bool
db_queue_images(struct db *db, const int64_t *ids, size_t n,
    void (*fn)(void *ud, const struct db_candidate *c), void *ud)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT i.id, i.path, i.width, i.height, i.attempts,"
	    " (SELECT hash FROM contents WHERE id = i.content_id)"
	    " FROM images i WHERE i.id = ?1 AND i.content_id IS NOT NULL AND i.state != 4");
	if (st == NULL) {
		return false;
	}
	int rc = SQLITE_DONE;
	for (size_t k = 0; k < n && (rc == SQLITE_DONE || rc == SQLITE_ROW); k++) {
		sqlite3_bind_int64(st, 1, ids[k]);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			emit_candidate(st, fn, ud);
		}
		sqlite3_reset(st);
	}
	return rc == SQLITE_DONE || rc == SQLITE_ROW || db_fail(db, "images to tag");
}

bool
db_queue_count_done(struct db *db, const char *model, const char *folder, int64_t *n)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM images i"
	    " WHERE i.content_id IS NOT NULL AND i.state != 4"
	    "  AND (?2 IS NULL OR (i.path >= ?2 AND i.path < ?3)) AND ?4 = 0"
	    "  AND EXISTS (SELECT 1 FROM tagged t JOIN models m ON m.id = t.model_id"
	    "   WHERE t.content_id = i.content_id AND m.name = ?1)");
	if (st == NULL) {
		return false;
	}
	bind_scope(st, model, folder, false);
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(db, "count done");
}

bool
db_queue_image_of(struct db *db, const uint8_t hash[16], int64_t *id)
{
	*id = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT min(i.id) FROM contents c JOIN images i"
	    " ON i.content_id = c.id WHERE c.hash = ?1 AND i.state != 4");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_blob(st, 1, hash, 16, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "image of content");
}

bool
db_queue_attempt_failed(struct db *db, int64_t image_id, const char *reason, int *attempts)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE images SET attempts = attempts + 1, error = ?2,"
	    " updated_at = ?3 WHERE id = ?1 RETURNING attempts");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, image_id);
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	int rc = sqlite3_step(st);
	*attempts = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	if (rc == SQLITE_ROW) {
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "attempt failed");
}

bool
db_queue_give_up(struct db *db, int64_t image_id, const char *reason)
{
	/* Only images whose state would be "new" (db_image_derive_state): an
	 * answer from any model, or a tag a person accepted, outranks a failed
	 * try; a run with a wrong model must not turn a library to "failed". */
	sqlite3_stmt *st = db_stmt(db, "UPDATE images SET state = 3, error = ?2,"
	    " attempts = max(attempts, 1), updated_at = ?3"
	    " WHERE content_id = (SELECT content_id FROM images WHERE id = ?1) AND state != 4"
	    "  AND NOT EXISTS (SELECT 1 FROM tagged t WHERE t.content_id = images.content_id)"
	    "  AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.image_id = images.id"
	    "   AND d.verdict = 1)");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, image_id);
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	return db_step_done(db, st, "give up");
}
