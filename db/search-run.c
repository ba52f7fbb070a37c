/*
 * search-run.c — running compiled searches: rows in order, counts, a
 * uniform random pick, query plans, tag completion.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "db/db-private.h"
#include "db/postings-private.h"
#include "db/postings.h"
#include "db/predictions.h"
#include "db/search-private.h"
#include "db/search.h"
#include "common/xalloc.h"

#define put search_put
#define putf search_putf

static const char *
sort_key(enum search_sort s)
{
	switch (s) {
	case SEARCH_SORT_PATH: return "i.path";
	case SEARCH_SORT_ADDED: return "i.id";
	case SEARCH_SORT_MTIME: return "i.mtime_ns";
	case SEARCH_SORT_SIZE: return "i.size";
	case SEARCH_SORT_WIDTH: return "i.width";
	case SEARCH_SORT_HEIGHT: return "i.height";
	case SEARCH_SORT_RATING: return SEARCH_RATING_SQL;
	case SEARCH_SORT_CONFIDENCE: return NULL; /* the compiled c->sort_expr */
	}
	return "i.path";
}

enum shape { SHAPE_ROWS, SHAPE_IDS, SHAPE_COUNT, SHAPE_PROBE, SHAPE_NTH };

#define HIT_COLUMNS \
	"i.id, i.path, i.size, i.mtime_ns, i.width, i.height, i.orientation, i.state, " \
	SEARCH_RATING_SQL ", cn.hash"

/* " ORDER BY" the page's order, ids breaking ties. */
static void
put_order(struct sql *q, const struct compile *c)
{
	const struct search_opts *o = c->o;
	const char *dir = o->descending ? " DESC" : "";
	const char *key = sort_key(o->sort);
	/* A size's index walked only when cheap: a unary + keeps SQLite from
	 * walking it for a deep page. */
	putf(q, " ORDER BY %s%s%s%s%s", search_sort_sized(o->sort) && !c->sort_walk ? "+" : "",
	    key != NULL ? key : c->sort_expr.s, dir, o->sort == SEARCH_SORT_PATH ? "" : ", i.id",
	    o->sort == SEARCH_SORT_PATH || o->sort == SEARCH_SORT_ADDED ? "" : dir);
}

static char *assemble(const struct compile *c, enum shape shape);

/*
 * A page of matches fetched by id: the page's ids first, each match's row
 * alone read to sort them, then the columns of those ids.  Read whole,
 * every match also joined its rating and its hash before the sort: three
 * lookups a match where one does (suggested:tag_0042's first page, 3,360
 * matches at 5M images: 33-46 ms, now 11).
 */
static char *
assemble_by_id(const struct compile *c)
{
	char *ids = assemble(c, SHAPE_IDS);
	struct sql q = {0};
	putf(&q, "SELECT " HIT_COLUMNS " FROM (%s) AS pg CROSS JOIN images i ON i.id = pg.id"
	    " LEFT JOIN tagged t ON t.content_id = i.content_id AND t.model_id = " SEARCH_P_MODEL
	    " LEFT JOIN contents cn ON cn.id = i.content_id", ids);
	free(ids);
	put_order(&q, c);
	return q.s;
}

/*
 * The ids of a page that seeks its first row (V, X) (search.c's seek()):
 * the rows of the value V from the id X on, then those past V, merged in
 * the page's order.  A row value (key, id) >= (V, X) is a range on the key
 * alone to SQLite, which then walks V's rows below X: at 5M images a width
 * 1.6M images share, 48-68 ms before the page where the two ranges take
 * 0.2-0.4 ms (each an index range in order).
 */
static char *
assemble_seek(const struct compile *c)
{
	const struct search_opts *o = c->o;
	const char *key = sort_key(o->sort), *dir = o->descending ? " DESC" : "";
	const char *past = o->descending ? "<" : ">";
	size_t k = c->n_params;
	struct sql q = {0};
	putf(&q, "SELECT id FROM (SELECT i.id AS id, %s AS v FROM images i WHERE tagcon_match(i.id)"
	    " AND %s = %lld AND i.id %s= %lld UNION ALL SELECT i.id, %s FROM images i"
	    " WHERE tagcon_match(i.id) AND %s %s %lld ORDER BY 2%s, 1%s LIMIT ?%zu OFFSET ?%zu)",
	    key, key, (long long)c->seek_value, past, (long long)c->seek_id, key, key, past,
	    (long long)c->seek_value, dir, dir, k + 1, k + 2);
	return q.s;
}

/* The whole statement; limit, offset and the probed id follow the
 * compiled parameters as ?N+1, ?N+2. */
static char *
assemble(const struct compile *c, enum shape shape)
{
	const struct search_opts *o = c->o;
	bool page = shape == SHAPE_ROWS || shape == SHAPE_IDS;
	/* Numbers of ours (slices_seek), not text from outside; the matches
	 * stand for the WHERE (seek() registers them). */
	if (page && c->seek && !c->seek_past) {
		return shape == SHAPE_ROWS ? assemble_by_id(c) : assemble_seek(c);
	}
	if (shape == SHAPE_ROWS && c->driver != NULL && c->exact && sort_key(o->sort) != NULL &&
	    o->sort != SEARCH_SORT_RATING) {
		return assemble_by_id(c);
	}
	bool rows = shape != SHAPE_COUNT && shape != SHAPE_IDS;
	bool rating = rows || c->needs_rating;
	struct sql q = {0};
	put(&q, rows ? "SELECT " HIT_COLUMNS : shape == SHAPE_IDS ? "SELECT i.id" : "SELECT count(*)");
	bool driven = c->driver != NULL && shape != SHAPE_PROBE;
	if (driven) {
		putf(&q, " FROM (%s) AS drv CROSS JOIN images i ON i.id = drv.id", c->driver);
	} else {
		put(&q, " FROM images i");
	}
	if (rating) {
		put(&q, " LEFT JOIN tagged t ON t.content_id = i.content_id AND t.model_id = "
		    SEARCH_P_MODEL);
	}
	if (rows) {
		put(&q, " LEFT JOIN contents cn ON cn.id = i.content_id");
	}
	/* The bitmaps' matches stand for the WHERE: the driver's ids are
	 * them, or each row is tested against them. */
	const char *where = c->where.s;
	if (c->exact && driven) {
		where = "1";
	} else if (c->exact && c->driver == NULL) {
		where = "tagcon_match(i.id)";
	}
	putf(&q, " WHERE %s", where);
	if (c->seek && page) {
		put(&q, " AND 0"); /* past the last match */
	}
	size_t k = c->n_params;
	if (shape == SHAPE_PROBE) {
		putf(&q, " AND i.id = ?%zu", k + 1);
	} else if (shape == SHAPE_NTH) {
		putf(&q, " ORDER BY i.id LIMIT 1 OFFSET ?%zu", k + 1);
	} else if (shape == SHAPE_ROWS || shape == SHAPE_IDS) {
		put_order(&q, c);
		putf(&q, " LIMIT ?%zu OFFSET ?%zu", k + 1, k + 2);
	}
	return q.s;
}

static bool count_compiled(struct compile *c, int64_t *n);

static sqlite3_stmt *
prepare(struct compile *c, enum shape shape)
{
	char *sql = assemble(c, shape);
	sqlite3_stmt *st = search_prepare(c, sql);
	free(sql);
	return st;
}

char *
search_ids_sql(struct compile *c, const struct search_node *q)
{
	const struct search_opts *o = c->o;
	search_choose_driver(c, q, o->limit >= 0 ? o->limit + o->offset : -1,
	    search_sort_indexed(o->sort));
	return c->failed ? NULL : assemble(c, SHAPE_IDS);
}

bool
search_count_compiled(struct compile *c, const struct search_node *q, int64_t *n)
{
	search_choose_driver(c, q, -1, false);
	return !c->failed && count_compiled(c, n);
}

sqlite3_stmt *
search_prepare(struct compile *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->db->conn, sql, -1, &st, NULL) != SQLITE_OK) {
		db_fail(c->db, "search");
		sqlite3_finalize(st);
		return NULL;
	}
	int max = sqlite3_bind_parameter_count(st);
	for (size_t i = 0; i < c->n_params && (int)i < max; i++) {
		const struct param *p = &c->params[i];
		int at = (int)i + 1;
		switch (p->type) {
		case P_INT: sqlite3_bind_int64(st, at, p->i); break;
		case P_REAL: sqlite3_bind_double(st, at, p->d); break;
		case P_TEXT: sqlite3_bind_text(st, at, p->s, (int)p->n, SQLITE_STATIC); break;
		case P_BLOB: sqlite3_bind_blob(st, at, p->s, (int)p->n, SQLITE_STATIC); break;
		}
	}
	return st;
}

/* Fill h from a row of HIT_COLUMNS; *path is the owned, NUL-ended path. */
static void
hit_of(sqlite3_stmt *st, struct search_hit *h, char **path)
{
	memset(h, 0, sizeof *h);
	const void *p = sqlite3_column_blob(st, 1);
	*path = xstrndup(p != NULL ? p : "", (size_t)sqlite3_column_bytes(st, 1));
	h->id = sqlite3_column_int64(st, 0);
	h->path = *path;
	h->size = sqlite3_column_int64(st, 2);
	h->mtime_ns = sqlite3_column_int64(st, 3);
	h->width = sqlite3_column_int(st, 4);
	h->height = sqlite3_column_int(st, 5);
	h->orientation = (enum db_orientation)sqlite3_column_int(st, 6);
	h->state = (enum db_state)sqlite3_column_int(st, 7);
	h->rating = sqlite3_column_int(st, 8);
	if (sqlite3_column_bytes(st, 9) == DB_HASH_LEN) {
		h->has_hash = true;
		memcpy(h->hash, sqlite3_column_blob(st, 9), DB_HASH_LEN);
	}
}

/* Step st, handing each row to fn until it returns false. */
static bool
each_row(struct db *db, sqlite3_stmt *st, bool (*fn)(void *ud, const struct search_hit *hit),
    void *ud, bool *any)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct search_hit h;
		char *path;
		hit_of(st, &h, &path);
		*any = true;
		bool more = fn(ud, &h);
		free(path);
		if (!more) {
			return true;
		}
	}
	return rc == SQLITE_DONE || db_fail(db, "search");
}

bool
search_page_begin(struct db *db, const struct search_node *q, const struct search_opts *o,
    bool *txn, bool *snapshot)
{
	*txn = *snapshot = false;
	if (!postings_fold_for(db, q, o)) {
		return false;
	}
	*txn = sqlite3_get_autocommit(db->conn) && db_exec(db, "BEGIN");
	*snapshot = *txn || !sqlite3_get_autocommit(db->conn);
	return true;
}

bool
search_page_end(struct db *db, bool txn, bool ok)
{
	return txn ? db_exec(db, "COMMIT") && ok : ok;
}

/* A page's plan, chosen in the snapshot its rows are read in
 * (search_page_begin); page_plan_end() after the rows. */
static bool
page_plan(struct db *db, const struct search_node *q, const struct search_opts *o,
    struct compile *c, bool *txn)
{
	bool snapshot;
	if (!search_page_begin(db, q, o, txn, &snapshot)) {
		memset(c, 0, sizeof *c);
		return false;
	}
	if (!search_compile(c, db, q, o)) {
		return false;
	}
	c->snapshot = snapshot;
	search_choose_driver(c, q, o->limit >= 0 ? o->limit + o->offset : -1,
	    search_sort_indexed(o->sort));
	return !c->failed;
}

static bool
page_plan_end(struct db *db, struct compile *c, bool txn, bool ok)
{
	search_compile_fini(c);
	return search_page_end(db, txn, ok);
}

bool
db_search_each(struct db *db, const struct search_node *q, const struct search_opts *o,
    bool (*fn)(void *ud, const struct search_hit *hit), void *ud)
{
	struct compile c;
	sqlite3_stmt *st = NULL;
	bool ok = false, any = false, txn;
	if (page_plan(db, q, o, &c, &txn) && (st = prepare(&c, SHAPE_ROWS)) != NULL) {
		sqlite3_bind_int64(st, (int)c.n_params + 1, o->limit >= 0 ? o->limit : -1);
		sqlite3_bind_int64(st, (int)c.n_params + 2, search_page_offset(&c));
		ok = each_row(db, st, fn, ud, &any);
	}
	sqlite3_finalize(st);
	return page_plan_end(db, &c, txn, ok);
}

static bool
count_compiled(struct compile *c, int64_t *n)
{
	sqlite3_stmt *st = prepare(c, SHAPE_COUNT);
	if (st == NULL) {
		return false;
	}
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || db_fail(c->db, "count");
}

bool
db_search_count(struct db *db, const struct search_node *q, const struct search_opts *o,
    int64_t *n)
{
	struct compile c;
	bool answered;
	*n = 0;
	/* Tag terms are counted from the posting lists (db/postings.h). */
	if (!db_postings_count(db, q, o, true, n, &answered) || answered) {
		return answered;
	}
	bool ok = search_compile(&c, db, q, o) && search_count_compiled(&c, q, n);
	search_compile_fini(&c);
	return ok;
}

/* splitmix64: small, fast and good enough to pick an image. */
static uint64_t
next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) without modulo bias. */
static uint64_t
random_below(uint64_t *state, uint64_t n)
{
	uint64_t floor = (0 - n) % n, x;
	do {
		x = next_random(state);
	} while (x < floor);
	return x % n;
}

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t
pick_below(void *ud, uint64_t n)
{
	return random_below(ud, n);
}

/* Image id's row when it matches. */
static bool
probe_id(struct compile *c, int64_t id, bool (*fn)(void *ud, const struct search_hit *hit),
    void *ud, bool *found)
{
	sqlite3_stmt *st = prepare(c, SHAPE_PROBE);
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, (int)c->n_params + 1, id);
	bool ok = each_row(c->db, st, fn, ud, found);
	sqlite3_finalize(st);
	return ok;
}

/* Rejection sampling: a uniform id in [1, max id], kept when it is a match.
 * Uniform over matches; gives up after a few thousand misses or 25 ms. */
static bool
random_probe(struct compile *c, uint64_t *rng, int64_t max_id,
    bool (*fn)(void *ud, const struct search_hit *hit), void *ud, bool *found)
{
	sqlite3_stmt *st = prepare(c, SHAPE_PROBE);
	if (st == NULL) {
		return false;
	}
	double start = now_ms();
	bool ok = true;
	for (int i = 0; i < 4096 && !*found && ok; i++) {
		if ((i & 63) == 63 && now_ms() - start > 25) {
			break;
		}
		int64_t id = 1 + (int64_t)random_below(rng, (uint64_t)max_id);
		sqlite3_bind_int64(st, (int)c->n_params + 1, id);
		ok = each_row(c->db, st, fn, ud, found);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return ok;
}

/* The exact draw: count the matches, take the k-th by id. */
static bool
random_nth(struct compile *c, const struct search_node *q, uint64_t *rng,
    bool (*fn)(void *ud, const struct search_hit *hit), void *ud, bool *found)
{
	int64_t n;
	search_choose_driver(c, q, -1, false);
	if (c->failed || !count_compiled(c, &n)) {
		return false;
	}
	if (n == 0) {
		return true;
	}
	sqlite3_stmt *st = prepare(c, SHAPE_NTH);
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, (int)c->n_params + 1, (int64_t)random_below(rng, (uint64_t)n));
	bool ok = each_row(c->db, st, fn, ud, found);
	sqlite3_finalize(st);
	return ok;
}

bool
db_search_random(struct db *db, const struct search_node *q, const struct search_opts *o,
    bool (*fn)(void *ud, const struct search_hit *hit), void *ud, bool *found)
{
	struct compile c;
	*found = false;
	uint64_t rng = o->seed;
	if (rng == 0 && getrandom(&rng, sizeof rng, 0) != (ssize_t)sizeof rng) {
		rng = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&rng;
	}
	bool ok = search_compile(&c, db, q, o);
	sqlite3_stmt *st = ok ? db_stmt(db, "SELECT max(id) FROM images") : NULL;
	if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
		ok = ok && st != NULL && db_fail(db, "random");
		goto out;
	}
	int64_t max_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	/* From the posting lists when they can answer: the k-th match of a
	 * uniform k, its row read with the query's WHERE. */
	int64_t id;
	bool answered = false;
	ok = db_postings_nth(db, q, o, pick_below, &rng, &id, &answered);
	if (!ok || answered) {
		if (ok && id >= 0) {
			ok = probe_id(&c, id, fn, ud, found);
		}
		goto out;
	}
	/* A driver of a few thousand rows: count the matches and take one.
	 * Else they are many (or need a scan anyway): probe random ids first,
	 * which costs a few rows when one image in a thousand matches. */
	search_choose_driver(&c, q, 0, true);
	if (max_id > 0 && c.driver == NULL) {
		ok = random_probe(&c, &rng, max_id, fn, ud, found);
	}
	if (ok && max_id > 0 && !*found) {
		ok = random_nth(&c, q, &rng, fn, ud, found);
	}
out:
	search_compile_fini(&c);
	return ok;
}

bool
db_search_explain(struct db *db, const struct search_node *q, const struct search_opts *o,
    char **text)
{
	struct compile c;
	bool txn;
	*text = NULL;
	/* The plan db_search_each would run. */
	if (!page_plan(db, q, o, &c, &txn)) {
		return page_plan_end(db, &c, txn, false);
	}
	char *sql = assemble(&c, SHAPE_ROWS);
	struct sql out = {0};
	putf(&out, "%s\n-- %zu parameters; plan: %s\n", sql, c.n_params,
	    c.driver == NULL ? (c.exact ? "scan, each row tested against the bitmaps' matches" :
	    "scan") : c.exact ? "driver, the bitmaps' matches by id" : "driver");
	char *eqp = xasprintf("EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *st = NULL;
	bool ok = sqlite3_prepare_v2(db->conn, eqp, -1, &st, NULL) == SQLITE_OK;
	while (ok && sqlite3_step(st) == SQLITE_ROW) {
		putf(&out, "-- %d %d %s\n", sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
		    (const char *)sqlite3_column_text(st, 3));
	}
	if (!ok) {
		db_fail(db, "explain");
	}
	sqlite3_finalize(st);
	free(eqp);
	free(sql);
	*text = out.s;
	return page_plan_end(db, &c, txn, ok);
}

bool
db_search_complete(struct db *db, const char *prefix, int limit,
    void (*fn)(void *ud, const char *tag, int64_t uses), void *ud)
{
	/* Uses: committed plus confident predictions, each capped so that a
	 * tag on half the library costs no more than a rare one. */
	sqlite3_stmt *st = db_stmt(db, "SELECT name, (SELECT count(*) FROM (SELECT 1 FROM"
	    " decisions d WHERE d.tag_id = c.id AND d.verdict = 1 LIMIT 10000)) + (SELECT count(*)"
	    " FROM (SELECT 1 FROM predictions p WHERE p.tag_id = c.id AND p.score > 0.5"
	    " LIMIT 10000)) AS uses FROM (SELECT id, name FROM tags WHERE name >= ?1"
	    " AND (?2 IS NULL OR name < ?2) ORDER BY name LIMIT 500) c"
	    " ORDER BY uses DESC, name LIMIT ?3");
	if (st == NULL) {
		return false;
	}
	size_t n = strlen(prefix);
	sqlite3_bind_text(st, 1, prefix, (int)n, SQLITE_TRANSIENT);
	if (n > 0 && (unsigned char)prefix[n - 1] < 0xff) {
		char *hi = xstrdup(prefix);
		hi[n - 1]++;
		sqlite3_bind_text(st, 2, hi, (int)n, SQLITE_TRANSIENT);
		free(hi);
	}
	sqlite3_bind_int(st, 3, limit);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(ud, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "complete");
}
