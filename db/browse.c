/* browse.c — paged, filtered reads for the console. */
#include "db/browse.h"

#include <stdlib.h>
#include <string.h>

#include "db/db-private.h"
#include "db/xalloc.h"

/* Parameters every filtered query binds by name. */
#define P_STATE ":state"
#define P_LO ":lo"
#define P_HI ":hi"
#define P_TEXT ":text"
#define P_MODEL ":model"

static const char *const sort_sql[DB_N_SORTS] = {
	[DB_SORT_PATH] = "i.path",
	[DB_SORT_ADDED] = "i.id DESC",
	[DB_SORT_SIZE] = "i.size DESC, i.id",
};

/* The rating label of a tagged row: argmax, ties to the milder label
 * (the same rule as db_counts()). */
#define RATING_SQL \
	"CASE WHEN t.content_id IS NULL THEN -1" \
	" WHEN t.rating_general >= max(t.rating_sensitive, t.rating_questionable," \
	"   t.rating_explicit) THEN 0" \
	" WHEN t.rating_sensitive >= max(t.rating_questionable, t.rating_explicit) THEN 1" \
	" WHEN t.rating_questionable >= t.rating_explicit THEN 2 ELSE 3 END"

static void
append(char **sql, const char *more)
{
	char *s = xasprintf("%s%s", *sql, more);
	free(*sql);
	*sql = s;
}

/* " WHERE ..." for f, over images aliased i. */
static char *
where_sql(const struct db_browse_filter *f)
{
	char *w = xstrdup("");
	const char *glue = " WHERE ";
	if (f->state >= 0) {
		append(&w, glue);
		append(&w, "i.state = " P_STATE);
		glue = " AND ";
	}
	if (f->under != NULL) {
		append(&w, glue);
		append(&w, "i.path >= " P_LO " AND i.path < " P_HI);
		glue = " AND ";
	}
	if (f->text != NULL && *f->text != '\0') {
		append(&w, glue);
		append(&w, "instr(i.path, " P_TEXT ") > 0");
	}
	return w;
}

static void
bind_named_blob(sqlite3_stmt *st, const char *name, const char *s, size_t n)
{
	int k = sqlite3_bind_parameter_index(st, name);
	if (k > 0) {
		sqlite3_bind_blob(st, k, s, (int)n, SQLITE_TRANSIENT);
	}
}

static void
bind_filter(sqlite3_stmt *st, const struct db_browse_filter *f)
{
	int k = sqlite3_bind_parameter_index(st, P_STATE);
	if (k > 0) {
		sqlite3_bind_int(st, k, f->state);
	}
	if (f->under != NULL) {
		/* Everything below DIR sorts in [DIR/, DIR0): '0' follows '/'. */
		char *lo = xasprintf("%s/", f->under), *hi = xasprintf("%s0", f->under);
		bind_named_blob(st, P_LO, lo, strlen(lo));
		bind_named_blob(st, P_HI, hi, strlen(hi));
		free(lo);
		free(hi);
	}
	if (f->text != NULL) {
		bind_named_blob(st, P_TEXT, f->text, strlen(f->text));
	}
	k = sqlite3_bind_parameter_index(st, P_MODEL);
	if (k > 0) {
		sqlite3_bind_text(st, k, f->model != NULL ? f->model : "", -1, SQLITE_TRANSIENT);
	}
}

/* Filtered queries vary in shape, so they are prepared per call (cheap next
 * to what they read) rather than kept in the statement cache. */
static sqlite3_stmt *
prepare(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK) {
		db_fail(db, "prepare");
		return NULL;
	}
	return st;
}

bool
db_browse_count(struct db *db, const struct db_browse_filter *f, int64_t *n)
{
	char *where = where_sql(f);
	char *sql = xasprintf("SELECT count(*) FROM images i%s", where);
	sqlite3_stmt *st = prepare(db, sql);
	free(where);
	free(sql);
	if (st == NULL) {
		return false;
	}
	bind_filter(st, f);
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || db_fail(db, "count");
}

static char *
column_blob_dup(sqlite3_stmt *st, int col)
{
	const void *p = sqlite3_column_blob(st, col);
	return xstrndup(p != NULL ? p : "", (size_t)sqlite3_column_bytes(st, col));
}

static void
read_row(sqlite3_stmt *st, struct db_browse_row *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->path = column_blob_dup(st, 1);
	r->size = sqlite3_column_int64(st, 2);
	r->width = sqlite3_column_int(st, 3);
	r->height = sqlite3_column_int(st, 4);
	r->orientation = (enum db_orientation)sqlite3_column_int(st, 5);
	r->state = (enum db_state)sqlite3_column_int(st, 6);
	const unsigned char *e = sqlite3_column_text(st, 7);
	r->error = e != NULL ? xstrdup((const char *)e) : NULL;
	r->rating = sqlite3_column_int(st, 8);
	r->committed = sqlite3_column_int(st, 9);
	r->rejected = sqlite3_column_int(st, 10);
	r->content_id = sqlite3_column_int64(st, 11);
}

#define ROW_COLUMNS \
	"i.id, i.path, i.size, i.width, i.height, i.orientation, i.state, i.error, " \
	RATING_SQL "," \
	" (SELECT count(*) FROM decisions d WHERE d.image_id = i.id AND d.verdict = 1)," \
	" (SELECT count(*) FROM decisions d WHERE d.image_id = i.id AND d.verdict = -1)," \
	" coalesce(i.content_id, 0)" \
	" FROM images i LEFT JOIN tagged t ON t.content_id = i.content_id" \
	"  AND t.model_id = (SELECT id FROM models WHERE name = " P_MODEL ")"

bool
db_browse_page(struct db *db, const struct db_browse_filter *f, int64_t offset, int limit,
    struct db_browse_row **rows, size_t *n)
{
	*rows = NULL;
	*n = 0;
	char *where = where_sql(f);
	/* Ids first, from the index alone; the joins run for these rows only. */
	char *sql = xasprintf("SELECT " ROW_COLUMNS " WHERE i.id IN (SELECT i.id FROM images i%s"
	    " ORDER BY %s LIMIT %d OFFSET %lld) ORDER BY %s", where, sort_sql[f->sort], limit,
	    (long long)offset, sort_sql[f->sort]);
	sqlite3_stmt *st = prepare(db, sql);
	free(where);
	free(sql);
	if (st == NULL) {
		return false;
	}
	bind_filter(st, f);
	*rows = xcalloc((size_t)(limit > 0 ? limit : 1), sizeof **rows);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < (size_t)limit) {
		read_row(st, &(*rows)[(*n)++]);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW || db_fail(db, "page");
}

void
db_browse_rows_free(struct db_browse_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].path);
		free(rows[i].error);
	}
	free(rows);
}

bool
db_browse_image(struct db *db, int64_t id, const char *model, struct db_browse_row *row,
    bool *found)
{
	memset(row, 0, sizeof *row);
	*found = false;
	sqlite3_stmt *st = db_stmt(db, "SELECT " ROW_COLUMNS " WHERE i.id = :id");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"), id);
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, P_MODEL), model != NULL ? model : "",
	    -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_row(st, row);
		*found = true;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "image");
}

bool
db_browse_next(struct db *db, const struct db_browse_filter *f, const char *path,
    bool backwards, int64_t *id)
{
	*id = 0;
	char *where = where_sql(f);
	const char *after = path == NULL ? "" : backwards ? "i.path < :after" : "i.path > :after";
	char *sql = xasprintf("SELECT i.id FROM images i%s%s%s ORDER BY i.path%s LIMIT 1", where,
	    *after == '\0' ? "" : *where ? " AND " : " WHERE ", after, backwards ? " DESC" : "");
	sqlite3_stmt *st = prepare(db, sql);
	free(where);
	free(sql);
	if (st == NULL) {
		return false;
	}
	bind_filter(st, f);
	if (path != NULL) {
		bind_named_blob(st, ":after", path, strlen(path));
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "next image");
}

bool
db_browse_version(struct db *db, int64_t *version)
{
	sqlite3_stmt *st = db_stmt(db, "PRAGMA data_version");
	if (st == NULL) {
		return false;
	}
	int rc = sqlite3_step(st);
	*version = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(db, "data version");
}

bool
db_browse_folders(struct db *db, void (*fn)(void *ud, const struct db_folder_row *f), void *ud)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT f.id, f.root_id, f.path, c.n FROM folders f"
	    " JOIN (SELECT folder_id, count(*) AS n FROM images WHERE state != 4"
	    "  GROUP BY folder_id) c ON c.folder_id = f.id ORDER BY f.path");
	if (st == NULL) {
		return false;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *path = column_blob_dup(st, 2);
		struct db_folder_row r = {
			.id = sqlite3_column_int64(st, 0),
			.root_id = sqlite3_column_int64(st, 1),
			.path = path,
			.images = sqlite3_column_int64(st, 3),
		};
		fn(ud, &r);
		free(path);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "folders");
}

bool
db_browse_tags(struct db *db, const char *prefix, int limit,
    void (*fn)(void *ud, const char *name, enum db_category category), void *ud)
{
	/* A range on the name index: [prefix, prefix followed by U+10FFFF). */
	sqlite3_stmt *st = db_stmt(db, "SELECT name, category FROM tags"
	    " WHERE name >= ?1 AND name < ?1 || char(1114111) ORDER BY name LIMIT ?2");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, limit);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(ud, (const char *)sqlite3_column_text(st, 0),
		    (enum db_category)sqlite3_column_int(st, 1));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "tags");
}

static bool
count_tagged(struct db *db, const char *model, int64_t *n)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM images i JOIN tagged t"
	    " ON t.content_id = i.content_id WHERE i.state != 4"
	    " AND t.model_id = (SELECT id FROM models WHERE name = ?1)");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(db, "count tagged");
}

bool
db_browse_histogram(struct db *db, const char *model, struct db_score_hist *h)
{
	memset(h, 0, sizeof *h);
	if (!count_tagged(db, model, &h->tagged)) {
		return false;
	}
	sqlite3_stmt *st = db_stmt(db, "SELECT g.category,"
	    " min(CAST(p.score * 1000 AS INTEGER), 1000),"
	    " count(*) FROM predictions p JOIN tags g ON g.id = p.tag_id"
	    " WHERE p.model_id = (SELECT id FROM models WHERE name = ?1) AND g.category IN (0, 4)"
	    " GROUP BY 1, 2");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int k = sqlite3_column_int(st, 1);
		int64_t *bins = sqlite3_column_int(st, 0) == DB_CAT_CHARACTER ? h->character
		    : h->general;
		if (k >= 0 && k < DB_HIST_BUCKETS) {
			bins[k] += sqlite3_column_int64(st, 2);
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "histogram");
}

bool
db_browse_band(struct db *db, const char *model, double g_lo, double g_hi, double c_lo,
    double c_hi, int64_t *images)
{
	/* Per tag a range on predictions_tag(tag_id, score): only rows inside the
	 * band are read, however large the library. */
	sqlite3_stmt *st = db_stmt(db, "WITH m(id) AS (SELECT id FROM models WHERE name = ?1),"
	    " changed(cid) AS ("
	    "  SELECT p.content_id FROM tags g JOIN predictions p ON p.tag_id = g.id"
	    "  WHERE g.category = 0 AND p.score > ?2 AND p.score <= ?3"
	    "   AND p.model_id = (SELECT id FROM m)"
	    "  UNION SELECT p.content_id FROM tags g JOIN predictions p ON p.tag_id = g.id"
	    "  WHERE g.category = 4 AND p.score > ?4 AND p.score <= ?5"
	    "   AND p.model_id = (SELECT id FROM m))"
	    " SELECT count(*) FROM images i WHERE i.state != 4"
	    "  AND i.content_id IN (SELECT cid FROM changed)");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 2, g_lo);
	sqlite3_bind_double(st, 3, g_hi);
	sqlite3_bind_double(st, 4, c_lo);
	sqlite3_bind_double(st, 5, c_hi);
	int rc = sqlite3_step(st);
	*images = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(db, "band");
}

struct group {
	struct db_pred *p;
	size_t n;
	size_t cap;
};

static void
group_add(struct group *g, enum db_category cat, float score)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->p = xreallocarray(g->p, g->cap, sizeof *g->p);
	}
	g->p[g->n++] = (struct db_pred){.tag = NULL, .category = cat, .score = score};
}

bool
db_browse_scores_each(struct db *db, const char *model,
    bool (*fn)(void *ud, int64_t content_id, const struct db_pred *p, size_t n), void *ud)
{
	/* The primary key's order (content, model, tag): one sequential pass. */
	sqlite3_stmt *st = db_stmt(db, "SELECT p.content_id, g.category, p.score"
	    " FROM predictions p JOIN tags g ON g.id = p.tag_id"
	    " WHERE p.model_id = (SELECT id FROM models WHERE name = ?1) AND g.category IN (0, 4)"
	    " ORDER BY p.content_id");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	struct group g = {0};
	int64_t cur = -1;
	bool go = true;
	int rc = SQLITE_DONE;
	while (go && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t cid = sqlite3_column_int64(st, 0);
		if (cid != cur && g.n > 0) {
			go = fn(ud, cur, g.p, g.n);
			g.n = 0;
		}
		cur = cid;
		group_add(&g, (enum db_category)sqlite3_column_int(st, 1),
		    (float)sqlite3_column_double(st, 2));
	}
	if (go && g.n > 0 && rc == SQLITE_DONE) {
		fn(ud, cur, g.p, g.n);
	}
	sqlite3_reset(st);
	free(g.p);
	return !go || rc == SQLITE_DONE || db_fail(db, "scores");
}
