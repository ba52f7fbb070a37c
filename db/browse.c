/* browse.c — paged, filtered reads for the console. */
#include "db/browse.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db-private.h"
#include "db/postings.h"
#include "db/review.h"
#include "db/search-private.h"
#include "common/rating.h"
#include "common/xalloc.h"

/* The order of each sort, as search-run.c writes it for the same
 * search_sort (a page's rows come back in the order its ids were picked). */
static const char *const sort_sql[DB_N_SORTS] = {
	[DB_SORT_PATH] = "i.path",
	[DB_SORT_ADDED] = "i.id DESC",
	[DB_SORT_SIZE] = "i.size DESC, i.id DESC",
	[DB_SORT_UNSURE] = NULL, /* the compiled measure, then i.id */
};

static const struct {
	enum search_sort sort;
	bool descending;
} search_sorts[DB_N_SORTS] = {
	[DB_SORT_PATH] = {SEARCH_SORT_PATH, false},
	[DB_SORT_ADDED] = {SEARCH_SORT_ADDED, true},
	[DB_SORT_SIZE] = {SEARCH_SORT_SIZE, true},
	[DB_SORT_UNSURE] = {SEARCH_SORT_CONFIDENCE, false},
};

/*
 * A filter compiled as one search: the query's terms, the state and the
 * folder under one AND (the query's own AND flattened into it, so that the
 * compiler sees every required tag when it picks a driver).  The extra
 * nodes live here; the query's are borrowed.
 */
struct browse_query {
	struct search_node all;
	struct search_node state;
	struct search_node folder;
	struct search_opts opts;
	struct compile c;
};

static const struct search_node *
browse_tree(struct browse_query *b, const struct db_browse_filter *f)
{
	const struct search_node *q = f->query;
	size_t nq = q == NULL || q->kind == SEARCH_ALL ? 0 : q->kind == SEARCH_AND ? q->n_kids : 1;
	b->all = (struct search_node){.kind = SEARCH_AND, .category = -1};
	b->all.kids = xcalloc(nq + 2, sizeof *b->all.kids);
	for (size_t i = 0; i < nq; i++) {
		b->all.kids[b->all.n_kids++] = q->kind == SEARCH_AND ? q->kids[i]
		    : (struct search_node *)q;
	}
	if (f->state >= 0) {
		b->state = (struct search_node){.kind = SEARCH_STATE, .set = 1u << f->state};
		b->all.kids[b->all.n_kids++] = &b->state;
	}
	if (f->under != NULL) {
		b->folder = (struct search_node){.kind = SEARCH_FOLDER, .text = (char *)f->under};
		b->all.kids[b->all.n_kids++] = &b->folder;
	}
	if (b->all.n_kids == 0) {
		b->all.kind = SEARCH_ALL;
	}
	return &b->all;
}

/* Compile f for rows [offset, offset + limit) of its sort. */
static bool
browse_compile(struct browse_query *b, struct db *db, const struct db_browse_filter *f,
    int64_t offset, int64_t limit)
{
	memset(b, 0, sizeof *b);
	if (f->opts != NULL) {
		b->opts = *f->opts;
	} else {
		search_opts_init(&b->opts, NULL);
	}
	b->opts.sort = search_sorts[f->sort].sort;
	b->opts.descending = search_sorts[f->sort].descending;
	b->opts.offset = offset;
	b->opts.limit = limit;
	return search_compile(&b->c, db, browse_tree(b, f), &b->opts);
}

static void
browse_fini(struct browse_query *b)
{
	search_compile_fini(&b->c);
	free(b->all.kids);
}

/* before, the ids of the compiled filter, after, as one statement with
 * limit and offset bound; NULL on error. */
static sqlite3_stmt *
prepare_ids(struct browse_query *b, const char *before, const char *after)
{
	char *ids = search_ids_sql(&b->c, &b->all);
	if (ids == NULL) {
		return NULL;
	}
	char *sql = xasprintf("%s%s%s", before, ids, after);
	sqlite3_stmt *st = search_prepare(&b->c, sql);
	free(sql);
	free(ids);
	if (st != NULL) {
		sqlite3_bind_int64(st, (int)b->c.n_params + 1, b->opts.limit);
		sqlite3_bind_int64(st, (int)b->c.n_params + 2, search_page_offset(&b->c));
	}
	return st;
}

bool
db_browse_count(struct db *db, const struct db_browse_filter *f, int64_t *n)
{
	struct browse_query b;
	bool answered = false;
	*n = 0;
	bool ok = browse_compile(&b, db, f, 0, -1) &&
	    db_postings_count(db, &b.all, &b.opts, true, n, &answered);
	/* Tag terms alone are counted from the posting lists (db/postings.h). */
	ok = ok && (answered || search_count_compiled(&b.c, &b.all, n));
	browse_fini(&b);
	return ok;
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
	SEARCH_RATING_SQL "," \
	" (SELECT count(*) FROM decisions d WHERE d.image_id = i.id AND d.verdict = 1)," \
	" (SELECT count(*) FROM decisions d WHERE d.image_id = i.id AND d.verdict = -1)," \
	" coalesce(i.content_id, 0)" \
	" FROM images i LEFT JOIN tagged t ON t.content_id = i.content_id" \
	"  AND t.model_id = " SEARCH_P_MODEL

bool
db_browse_page(struct db *db, const struct db_browse_filter *f, int64_t offset, int limit,
    int64_t total, struct db_browse_row **rows, size_t *n)
{
	struct browse_query b;
	sqlite3_stmt *st = NULL;
	*rows = NULL;
	*n = 0;
	/* An OFFSET walks every row before it: a page in the second half is
	 * picked from the far end, in the reversed order, and the outer ORDER
	 * BY puts it back the right way round. */
	bool far = total > 0 && offset > total / 2 && offset < total;
	int64_t end = offset + limit < total ? offset + limit : total;
	bool ok = far ? browse_compile(&b, db, f, total - end, end - offset)
	    : browse_compile(&b, db, f, offset, limit);
	b.opts.descending ^= far;
	/* The ids and the rows in one snapshot, the folds made first: the
	 * bitmaps' matches may then stand for the WHERE, and a deep page by a
	 * size begin where the sizes' slices put its first row (search.c). */
	bool txn = false;
	ok = ok && search_page_begin(db, &b.all, &b.opts, &txn, &b.c.snapshot);
	if (ok) {
		/* Ids first, from an index where one serves; the joins run for
		 * these rows only. */
		char *order = sort_sql[f->sort] != NULL ? xasprintf(") ORDER BY %s",
		    sort_sql[f->sort]) : xasprintf(") ORDER BY %s, i.id", b.c.sort_expr.s);
		st = prepare_ids(&b, "SELECT " ROW_COLUMNS " WHERE i.id IN (", order);
		free(order);
	}
	if (st != NULL) {
		*rows = xcalloc((size_t)(limit > 0 ? limit : 1), sizeof **rows);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < (size_t)limit) {
			read_row(st, &(*rows)[(*n)++]);
		}
		ok = rc == SQLITE_DONE || rc == SQLITE_ROW || db_fail(db, "page");
	}
	sqlite3_finalize(st);
	browse_fini(&b);
	return search_page_end(db, txn, ok) && st != NULL;
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

/* The id of a model, -1 when it has answered for nothing (or on error:
 * the row then shows as unrated). */
static int64_t
model_id_of(struct db *db, const char *model)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM models WHERE name = ?1");
	int64_t id = -1;
	if (st != NULL) {
		sqlite3_bind_text(st, 1, model != NULL ? model : "", -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW) {
			id = sqlite3_column_int64(st, 0);
		}
		sqlite3_reset(st);
	}
	return id;
}

bool
db_browse_image(struct db *db, int64_t id, const char *model, struct db_browse_row *row,
    bool *found)
{
	memset(row, 0, sizeof *row);
	*found = false;
	sqlite3_stmt *st = db_stmt(db, "SELECT " ROW_COLUMNS " WHERE i.id = ?2");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 1, model_id_of(db, model));
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
	struct db_browse_filter by_path = *f;
	struct browse_query b;
	sqlite3_stmt *st = NULL;
	*id = 0;
	bool unsure = f->sort == DB_SORT_UNSURE;
	by_path.sort = unsure ? DB_SORT_UNSURE : DB_SORT_PATH;
	bool ok = browse_compile(&b, db, &by_path, 0, 1);
	if (ok) {
		b.opts.descending = backwards;
		if (path != NULL && unsure) {
			/* No image comes after another in this order for good: the
			 * measure moves with every decision.  Any but this one. */
			search_put(&b.c.where, " AND i.path != ");
			search_bind_blob(&b.c, &b.c.where, path, strlen(path));
		} else if (path != NULL) {
			search_put(&b.c.where, backwards ? " AND i.path < " : " AND i.path > ");
			search_bind_blob(&b.c, &b.c.where, path, strlen(path));
		}
		/* Not an image another console has open (db/review.h, claims). */
		search_put(&b.c.where, " AND NOT EXISTS (SELECT 1 FROM claims cl WHERE"
		    " cl.image_id = i.id AND cl.holder != ");
		search_bind_text(&b.c, &b.c.where, db_claim_holder());
		search_put(&b.c.where, " AND cl.expires_at > ");
		search_bind_int(&b.c, &b.c.where, (int64_t)time(NULL));
		search_put(&b.c.where, ")");
		st = prepare_ids(&b, "", "");
	}
	if (st != NULL) {
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*id = sqlite3_column_int64(st, 0);
		}
		ok = rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "next image");
	}
	sqlite3_finalize(st);
	browse_fini(&b);
	return ok && st != NULL;
}

static bool
take_id(void *ud, const struct search_hit *hit)
{
	*(int64_t *)ud = hit->id;
	return false;
}

enum { RANDOM_DRAWS = 16 };

/* Whether another console holds a live claim on image id. */
static bool
claimed_by_other(struct db *db, int64_t id, bool *other)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM claims WHERE image_id = ?1"
	    " AND holder != ?2 AND expires_at > ?3");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, db_claim_holder(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	int rc = sqlite3_step(st);
	*other = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "claims");
}

bool
db_browse_random(struct db *db, const struct db_browse_filter *f, int64_t *id)
{
	struct browse_query b;
	bool found;
	*id = 0;
	memset(&b, 0, sizeof b);
	if (f->opts != NULL) {
		b.opts = *f->opts;
	} else {
		search_opts_init(&b.opts, NULL);
	}
	/* An image another console has open (claims, db/review.h) is drawn
	 * again: a few draws find a free one unless the filter matches hardly
	 * anything else, and then there is none to give. */
	const struct search_node *q = browse_tree(&b, f);
	bool ok = true;
	for (int draw = 0; ok && draw < RANDOM_DRAWS; draw++) {
		*id = 0;
		ok = db_search_random(db, q, &b.opts, take_id, id, &found);
		bool other = false;
		if (!ok || *id == 0 || !(ok = claimed_by_other(db, *id, &other)) || !other) {
			break;
		}
		*id = 0;
	}
	free(b.all.kids);
	return ok;
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
db_browse_tagged(struct db *db, const char *model, int64_t *n)
{
	/* The images the model rated, whatever the rating: its rating sets
	 * when they are built (2 ms at 5M images, where the join of images
	 * and answers takes 2.5 s), never waiting for their build. */
	struct search_node rated = {.kind = SEARCH_RATING,
		.set = 1u << RATING_G | 1u << RATING_S | 1u << RATING_Q | 1u << RATING_E};
	struct search_opts o;
	bool answered = false;
	search_opts_init(&o, model);
	return db_postings_count(db, &rated, &o, false, n, &answered) &&
	    (answered || count_tagged(db, model, n));
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
