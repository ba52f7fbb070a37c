/*
 * images.c — typed queries over roots, folders, contents and images.
 */
#include "db/images.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db-private.h"
#include "db/postings.h"
#include "db/search.h"
#include "common/xalloc.h"

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static void
bind_path(sqlite3_stmt *st, int col, const char *path)
{
	sqlite3_bind_blob(st, col, path, (int)strlen(path), SQLITE_TRANSIENT);
}

static char *
column_path(sqlite3_stmt *st, int col)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);
	return xstrndup(p != NULL ? p : "", (size_t)n);
}

static char *
column_text_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t != NULL ? xstrdup((const char *)t) : NULL;
}

void
db_image_fini(struct db_image *img)
{
	if (img == NULL) {
		return;
	}
	free(img->path);
	free(img->format);
	free(img->error);
	memset(img, 0, sizeof *img);
}

/* Insert-or-get on a table with a UNIQUE path column; returns the id. */
static bool
get_or_insert(struct db *db, const char *sel, const char *ins, const char *path,
    int64_t extra, int64_t *id)
{
	sqlite3_stmt *st = db_stmt(db, sel);
	if (st == NULL) {
		return false;
	}
	bind_path(st, 1, path);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return true;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		return db_fail(db, "lookup");
	}
	st = db_stmt(db, ins);
	if (st == NULL) {
		return false;
	}
	bind_path(st, 1, path);
	sqlite3_bind_int64(st, 2, extra);
	if (!db_step_done(db, st, "insert")) {
		return false;
	}
	*id = sqlite3_last_insert_rowid(db->conn);
	return true;
}

bool
db_root_add(struct db *db, const char *path, int64_t *id)
{
	return get_or_insert(db, "SELECT id FROM roots WHERE path = ?1",
	    "INSERT INTO roots(path, added_at) VALUES (?1, ?2)", path, now_s(), id);
}

bool
db_roots_each(struct db *db, void (*fn)(void *ud, int64_t id, const char *path), void *ud)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, path FROM roots ORDER BY path");
	if (st == NULL) {
		return false;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *path = column_path(st, 1);
		fn(ud, sqlite3_column_int64(st, 0), path);
		free(path);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "roots");
}

bool
db_folder_get(struct db *db, int64_t root_id, const char *path, int64_t *id)
{
	return get_or_insert(db, "SELECT id FROM folders WHERE path = ?1",
	    "INSERT INTO folders(path, root_id) VALUES (?1, ?2)", path, root_id, id);
}

bool
db_images_under(struct db *db, const char *prefix,
    void (*fn)(void *ud, const struct db_scan_row *row), void *ud)
{
	/* A range on the path index: every path that starts with prefix sorts
	 * between prefix and prefix with its last byte incremented. */
	sqlite3_stmt *st = db_stmt(db,
	    "SELECT i.id, i.path, i.size, i.mtime_ns, i.state, c.hash, i.error"
	    " FROM images i LEFT JOIN contents c ON c.id = i.content_id"
	    " WHERE i.path >= ?1 AND i.path < ?2");
	if (st == NULL) {
		return false;
	}
	size_t n = strlen(prefix);
	char *upper = xstrdup(prefix);
	upper[n - 1]++;
	bind_path(st, 1, prefix);
	bind_path(st, 2, upper);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_scan_row row = {
			.id = sqlite3_column_int64(st, 0),
			.size = sqlite3_column_int64(st, 2),
			.mtime_ns = sqlite3_column_int64(st, 3),
			.state = (enum db_state)sqlite3_column_int(st, 4),
		};
		char *path = column_path(st, 1);
		row.path = path;
		if (sqlite3_column_bytes(st, 5) == DB_HASH_LEN) {
			row.has_hash = true;
			memcpy(row.hash, sqlite3_column_blob(st, 5), DB_HASH_LEN);
		}
		row.error = (const char *)sqlite3_column_text(st, 6);
		fn(ud, &row);
		free(path);
	}
	sqlite3_reset(st);
	free(upper);
	return rc == SQLITE_DONE || db_fail(db, "images under");
}

bool
db_image_copies(struct db *db, int64_t image_id, void (*fn)(void *ud, int64_t id), void *ud)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT c.id FROM images i JOIN images c"
	    " ON c.content_id = i.content_id WHERE i.id = ?1 AND c.state != 4"
	    " UNION SELECT ?1 ORDER BY 1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, image_id);
	/* Collected first: fn may write (an auto-commit) while st would still read. */
	int64_t *ids = NULL;
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	for (size_t i = 0; rc == SQLITE_DONE && i < n; i++) {
		fn(ud, ids[i]);
	}
	free(ids);
	return rc == SQLITE_DONE || db_fail(db, "copies");
}

/* The content id for a hash, inserting it if new; 0 when img has no hash. */
static bool
content_id(struct db *db, const struct db_image *img, int64_t *id)
{
	*id = 0;
	if (!img->has_hash) {
		return true;
	}
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO contents(hash) VALUES (?1)"
	    " ON CONFLICT(hash) DO UPDATE SET hash = excluded.hash RETURNING id");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_blob(st, 1, img->hash, DB_HASH_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(db, "content");
	}
	*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return true;
}

static void
bind_file_fields(sqlite3_stmt *st, const struct db_image *img, int64_t cid)
{
	sqlite3_bind_int64(st, 2, img->size);
	sqlite3_bind_int64(st, 3, img->mtime_ns);
	if (cid != 0) {
		sqlite3_bind_int64(st, 4, cid);
	}
	if (img->format != NULL) {
		sqlite3_bind_text(st, 5, img->format, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int(st, 6, img->width);
	sqlite3_bind_int(st, 7, img->height);
	sqlite3_bind_int(st, 8, (int)img->orientation);
	sqlite3_bind_int(st, 9, (int)img->state);
	if (img->error != NULL) {
		sqlite3_bind_text(st, 10, img->error, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(st, 11, now_s());
}

bool
db_image_insert(struct db *db, struct db_image *img)
{
	int64_t cid;
	if (!content_id(db, img, &cid)) {
		return false;
	}
	sqlite3_stmt *st = db_stmt(db,
	    "INSERT INTO images(folder_id, size, mtime_ns, content_id, format, width, height,"
	    " orientation, state, error, added_at, updated_at, path)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, img->folder_id);
	bind_file_fields(st, img, cid);
	bind_path(st, 12, img->path);
	if (!db_step_done(db, st, "insert image")) {
		return false;
	}
	img->id = sqlite3_last_insert_rowid(db->conn);
	return true;
}

bool
db_image_update(struct db *db, const struct db_image *img)
{
	int64_t cid;
	if (!content_id(db, img, &cid)) {
		return false;
	}
	sqlite3_stmt *st = db_stmt(db,
	    "UPDATE images SET size = ?2, mtime_ns = ?3, content_id = ?4, format = ?5,"
	    " width = ?6, height = ?7, orientation = ?8, state = ?9, error = ?10,"
	    " updated_at = ?11, attempts = 0 WHERE id = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, img->id);
	bind_file_fields(st, img, cid);
	return db_step_done(db, st, "update image");
}

bool
db_image_move(struct db *db, int64_t id, const char *path, int64_t folder_id,
    int64_t size, int64_t mtime_ns)
{
	sqlite3_stmt *st = db_stmt(db,
	    "UPDATE images SET path = ?2, folder_id = ?3, size = ?4, mtime_ns = ?5,"
	    " updated_at = ?6 WHERE id = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, id);
	bind_path(st, 2, path);
	sqlite3_bind_int64(st, 3, folder_id);
	sqlite3_bind_int64(st, 4, size);
	sqlite3_bind_int64(st, 5, mtime_ns);
	sqlite3_bind_int64(st, 6, now_s());
	return db_step_done(db, st, "move image");
}

bool
db_image_set_dims(struct db *db, int64_t id, int width, int height)
{
	/* orientation: the same rule as core/probe.c's, on the stored sides. */
	sqlite3_stmt *st = db_stmt(db, "UPDATE images SET width = ?2, height = ?3,"
	    " orientation = CASE WHEN ?2 <= 0 OR ?3 <= 0 THEN 0 WHEN ?2 = ?3 THEN 3"
	    " WHEN ?2 > ?3 THEN 1 ELSE 2 END WHERE id = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, width);
	sqlite3_bind_int(st, 3, height);
	return db_step_done(db, st, "set dims");
}

bool
db_image_set_state(struct db *db, int64_t id, enum db_state state, const char *error)
{
	sqlite3_stmt *st = db_stmt(db,
	    "UPDATE images SET state = ?2, error = ?3, updated_at = ?4 WHERE id = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, (int)state);
	if (error != NULL) {
		sqlite3_bind_text(st, 3, error, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(st, 4, now_s());
	return db_step_done(db, st, "set state");
}

bool
db_image_missing_by_hash(struct db *db, const uint8_t hash[DB_HASH_LEN], int64_t *id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT i.id FROM images i JOIN contents c"
	    " ON c.id = i.content_id WHERE c.hash = ?1 AND i.state = 4 ORDER BY i.id LIMIT 1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_blob(st, 1, hash, DB_HASH_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "missing by hash");
}

bool
db_image_by_path(struct db *db, const char *path, struct db_image *img, bool *found)
{
	memset(img, 0, sizeof *img);
	*found = false;
	sqlite3_stmt *st = db_stmt(db,
	    "SELECT i.id, i.folder_id, i.path, i.size, i.mtime_ns, c.hash, i.format, i.width,"
	    " i.height, i.orientation, i.state, i.error"
	    " FROM images i LEFT JOIN contents c ON c.id = i.content_id WHERE i.path = ?1");
	if (st == NULL) {
		return false;
	}
	bind_path(st, 1, path);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = true;
		img->id = sqlite3_column_int64(st, 0);
		img->folder_id = sqlite3_column_int64(st, 1);
		img->path = column_path(st, 2);
		img->size = sqlite3_column_int64(st, 3);
		img->mtime_ns = sqlite3_column_int64(st, 4);
		if (sqlite3_column_bytes(st, 5) == DB_HASH_LEN) {
			img->has_hash = true;
			memcpy(img->hash, sqlite3_column_blob(st, 5), DB_HASH_LEN);
		}
		img->format = column_text_dup(st, 6);
		img->width = sqlite3_column_int(st, 7);
		img->height = sqlite3_column_int(st, 8);
		img->orientation = (enum db_orientation)sqlite3_column_int(st, 9);
		img->state = (enum db_state)sqlite3_column_int(st, 10);
		img->error = column_text_dup(st, 11);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "image by path");
}

bool
db_image_derive_state(struct db *db, int64_t id, enum db_state *state)
{
	sqlite3_stmt *st = db_stmt(db,
	    "SELECT EXISTS (SELECT 1 FROM decisions WHERE image_id = ?1 AND verdict = 1),"
	    " EXISTS (SELECT 1 FROM tagged t JOIN images i ON i.content_id = t.content_id"
	    "   WHERE i.id = ?1)");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(db, "derive state");
	}
	if (sqlite3_column_int(st, 0)) {
		*state = DB_STATE_COMMITTED;
	} else if (sqlite3_column_int(st, 1)) {
		*state = DB_STATE_TAGGED;
	} else {
		*state = DB_STATE_NEW;
	}
	sqlite3_reset(st);
	return true;
}

/* Run a two-column (key, count) query and add counts into out[key]. */
static bool
count_into(struct db *db, const char *sql, const char *model, int64_t *out, int n)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL) {
		return false;
	}
	if (model != NULL) {
		sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int k = sqlite3_column_int(st, 0);
		if (k >= 0 && k < n) {
			out[k] += sqlite3_column_int64(st, 1);
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "count");
}

/* Run a one-row query of n sums into out[0..n).  A GROUP BY over a value
 * no index orders sorts every row first: 428 MB of `tagcon status`'s
 * peak RSS at 5M images went to sorting the ratings. */
static bool
sums_into(struct db *db, const char *sql, const char *model, int64_t *out, int n)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL) {
		return false;
	}
	if (model != NULL) {
		sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	}
	int rc = sqlite3_step(st);
	for (int k = 0; rc == SQLITE_ROW && k < n; k++) {
		out[k] = sqlite3_column_int64(st, k);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(db, "count");
}

/* out[k] for k < n: the images not missing that a term of kind matches
 * with set bit k (a rating, an orientation), from the bitmaps when they are
 * built (milliseconds at 5M images, where SQL reads every row), never
 * waiting for a build: *answered false then. */
static bool
counts_from_sets(struct db *db, const struct search_opts *o, enum search_kind kind, int n,
    int64_t *out, bool *answered)
{
	bool ok = true;
	*answered = true;
	for (int k = 0; ok && *answered && k < n; k++) {
		struct search_node t = {.kind = kind, .set = 1u << k};
		ok = db_postings_count(db, &t, o, false, &out[k], answered);
	}
	return ok;
}

/* The counts by rating from the score sets' rating sets (the join of
 * images and answers read every row). */
static bool
ratings_from_sets(struct db *db, const char *model, int64_t out[5], bool *answered)
{
	struct search_opts o;
	search_opts_init(&o, model);
	struct search_node all = {.kind = SEARCH_ALL};
	int64_t shown = 0;
	bool ok = db_postings_count(db, &all, &o, false, &shown, answered);
	ok = ok && (!*answered || counts_from_sets(db, &o, SEARCH_RATING, 4, out, answered));
	out[4] = shown - out[0] - out[1] - out[2] - out[3];
	return ok;
}

bool
db_counts(struct db *db, const char *model, struct db_counts *out)
{
	memset(out, 0, sizeof *out);
	/* Rating = argmax of the four scores (ties go to the milder label);
	 * 4: no answer of the model. */
	static const char rating_sql[] =
	    "SELECT coalesce(sum(r = 0), 0), coalesce(sum(r = 1), 0), coalesce(sum(r = 2), 0),"
	    " coalesce(sum(r = 3), 0), coalesce(sum(r = 4), 0) FROM (SELECT CASE WHEN"
	    " t.content_id IS NULL THEN 4 ELSE " DB_RATING_OF_SQL("t") " END AS r"
	    " FROM images i LEFT JOIN tagged t ON t.content_id = i.content_id"
	    "  AND t.model_id = (SELECT id FROM models WHERE name = ?1)"
	    " WHERE i.state != 4)";
	bool rated = false, oriented = false;
	struct search_opts o;
	search_opts_init(&o, model);
	if (!count_into(db, "SELECT state, count(*) FROM images GROUP BY state", NULL,
	    out->by_state, DB_N_STATES) ||
	    !counts_from_sets(db, &o, SEARCH_ORIENTATION, DB_N_ORIENTS, out->by_orientation,
	    &oriented) ||
	    (!oriented && !sums_into(db, "SELECT coalesce(sum(orientation = 0), 0),"
	    " coalesce(sum(orientation = 1), 0), coalesce(sum(orientation = 2), 0),"
	    " coalesce(sum(orientation = 3), 0) FROM images WHERE state != 4", NULL,
	    out->by_orientation, DB_N_ORIENTS)) ||
	    !ratings_from_sets(db, model, out->by_rating, &rated) ||
	    (!rated && !sums_into(db, rating_sql, model, out->by_rating, 5))) {
		return false;
	}
	sqlite3_stmt *st = db_stmt(db,
	    /* total(), not sum(): a size a script set near 2^63 overflows sum()
	     * and failed the whole status; the double is exact to 8 PiB. */
	    "SELECT count(*), CAST(total(size) AS INTEGER), (SELECT count(*) FROM roots)"
	    " FROM images");
	if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
		return st != NULL && db_fail(db, "count");
	}
	out->total = sqlite3_column_int64(st, 0);
	out->bytes = sqlite3_column_int64(st, 1);
	out->roots = sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	return true;
}
