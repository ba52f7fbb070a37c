/*
 * search.c — a search tree compiled to SQL with numbered parameters.
 *
 * Every value that came from the user (tag names, patterns, paths, numbers)
 * is bound as ?N; the SQL text holds only fixed fragments.  Two plans:
 *   scan    walk images in sort order and test each row (the first page of a
 *           common query comes after a few hundred rows);
 *   driver  start from the image ids of the rarest required tag (an index
 *           range of decisions or predictions), then test and sort those.
 * The compiler estimates the rarest tag with a capped count and picks the
 * driver when scanning would visit more rows than the driver yields.
 */
#include "db/search.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "db/db-private.h"
#include "db/postings-private.h"
#include "db/postings.h"
#include "db/predictions.h"
#include "db/search-private.h"
#include "db/slices.h"
#include "common/xalloc.h"

#define put search_put
#define putf search_putf

/* ---- the tree ------------------------------------------------------------- */

struct search_node *
search_node_create(enum search_kind kind, int column, const char *text)
{
	struct search_node *n = xcalloc(1, sizeof *n);
	n->kind = kind;
	n->column = column;
	n->category = -1;
	n->text = text != NULL ? xstrdup(text) : NULL;
	return n;
}

void
search_node_add(struct search_node *parent, struct search_node *kid)
{
	parent->kids = xreallocarray(parent->kids, parent->n_kids + 1, sizeof *parent->kids);
	parent->kids[parent->n_kids++] = kid;
}

void
search_node_destroy(struct search_node *node)
{
	if (node == NULL) {
		return;
	}
	for (size_t i = 0; i < node->n_kids; i++) {
		search_node_destroy(node->kids[i]);
	}
	free(node->kids);
	free(node->text);
	free(node);
}

struct search_node *
search_node_dup(const struct search_node *node)
{
	if (node == NULL) {
		return NULL;
	}
	struct search_node *n = xmalloc(sizeof *n);
	*n = *node;
	n->text = node->text != NULL ? xstrdup(node->text) : NULL;
	n->kids = node->n_kids > 0 ? xcalloc(node->n_kids, sizeof *n->kids) : NULL;
	for (size_t i = 0; i < node->n_kids; i++) {
		n->kids[i] = search_node_dup(node->kids[i]);
	}
	return n;
}

void
search_opts_init(struct search_opts *o, const char *model)
{
	memset(o, 0, sizeof *o);
	o->model = model;
	o->max_rating = RATING_E;
	o->cut = (struct db_cut){.general_threshold = 0.35, .character_threshold = 0.85};
	o->limit = -1;
}

/* ---- SQL text and its parameters ----------------------------------------- */

void
search_put(struct sql *q, const char *text)
{
	size_t n = strlen(text);
	if (q->len + n + 1 > q->cap) {
		q->cap = (q->len + n + 1) * 2;
		q->s = xrealloc(q->s, q->cap);
	}
	memcpy(q->s + q->len, text, n + 1);
	q->len += n;
}

void
search_putf(struct sql *q, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	search_put(q, text);
	free(text);
}

/* Append a new parameter's placeholder "?N" to q. */
static struct param *
param(struct compile *c, struct sql *q, enum param_type type)
{
	c->params = xreallocarray(c->params, c->n_params + 1, sizeof *c->params);
	struct param *p = &c->params[c->n_params++];
	memset(p, 0, sizeof *p);
	p->type = type;
	putf(q, "?%zu", c->n_params);
	return p;
}

void
search_bind_int(struct compile *c, struct sql *q, int64_t v)
{
	param(c, q, P_INT)->i = v;
}

void
search_bind_real(struct compile *c, struct sql *q, double v)
{
	param(c, q, P_REAL)->d = v;
}

void
search_bind_text(struct compile *c, struct sql *q, const char *s)
{
	struct param *p = param(c, q, P_TEXT);
	p->s = xstrdup(s);
	p->n = strlen(s);
}

void
search_bind_blob(struct compile *c, struct sql *q, const char *s, size_t n)
{
	struct param *p = param(c, q, P_BLOB);
	p->s = xmemdup(s, n ? n : 1);
	p->n = n;
}

/* The model's id placeholder (bound once per use; ids are cheap). */
static void
bind_model(struct compile *c, struct sql *q)
{
	search_bind_int(c, q, c->model_id);
}

void
search_compile_fini(struct compile *c)
{
	for (size_t i = 0; i < c->n_params; i++) {
		free(c->params[i].s);
	}
	free(c->params);
	free(c->where.s);
	free(c->sort_expr.s);
	free(c->driver);
	if (c->match_fn) {
		/* Gone with its bitmap (xDestroy); kept, and harmless, if a statement
		 * of the caller's still runs. */
		sqlite3_create_function_v2(c->db->conn, "tagcon_match", 1, SQLITE_UTF8, NULL, NULL,
		    NULL, NULL, NULL);
	}
	memset(c, 0, sizeof *c);
}

/* A folder's path range: "/a/b" covers ["/a/b/", "/a/b0"); "/" everything. */
void
search_put_folder_range(struct compile *c, struct sql *q, const char *col, const char *folder)
{
	char *lo, *hi;
	db_folder_range(folder, &lo, &hi);
	putf(q, "(%s >= ", col);
	search_bind_blob(c, q, lo, strlen(lo));
	putf(q, " AND %s < ", col);
	search_bind_blob(c, q, hi, strlen(hi));
	put(q, ")");
	free(lo);
	free(hi);
}


void
search_bind_name(sqlite3_stmt *st, int at, const struct search_node *n)
{
	char *glob = n->pattern ? db_glob_of(n->text, true) : NULL;
	sqlite3_bind_text(st, at, glob != NULL ? glob : n->text, -1, SQLITE_TRANSIENT);
	free(glob);
}

bool
search_capped(const struct search_opts *o)
{
	bool cap = o->cut.max_tags > 0;
	for (size_t k = 0; k < o->n_overrides; k++) {
		cap = cap || o->overrides[k].cut.max_tags > 0;
	}
	return cap;
}

bool
search_same_cut(const struct db_cut *x, const struct db_cut *y, bool character)
{
	bool mx = character ? x->character_mcut : x->general_mcut;
	bool my = character ? y->character_mcut : y->general_mcut;
	double tx = character ? x->character_threshold : x->general_threshold;
	double ty = character ? y->character_threshold : y->general_threshold;
	return mx == my && (mx || tx == ty);
}

/* ---- tags ------------------------------------------------------------------- */

/* Ids of an exact name and of the names aliased to or from it, within
 * category (< 0: any).  *n may be 0: no such tag. */
static bool
tag_ids(struct compile *c, const char *name, int category, int64_t **ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(c->db,
	    "SELECT id FROM tags WHERE name IN (SELECT ?1 UNION"
	    "  SELECT target FROM tag_rules WHERE kind = 1 AND tag = ?1 UNION"
	    "  SELECT tag FROM tag_rules WHERE kind = 1 AND target = ?1)"
	    " AND (?2 < 0 OR category = ?2) ORDER BY id");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, category);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*ids = xreallocarray(*ids, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(c->db, "tag lookup");
}

/* "col IN (?,?)" for an exact tag, or a GLOB subquery for a pattern;
 * *none when an exact tag does not exist (the term is false). */
static void
put_tag_match(struct compile *c, struct sql *q, const char *col,
    const struct search_node *n, bool *none)
{
	*none = false;
	if (n->pattern) {
		char *glob = db_glob_of(n->text, true);
		putf(q, "%s IN (SELECT id FROM tags WHERE name GLOB ", col);
		search_bind_text(c, q, glob);
		if (n->category >= 0) {
			put(q, " AND category = ");
			search_bind_int(c, q, n->category);
		}
		put(q, ")");
		free(glob);
		return;
	}
	int64_t *ids;
	size_t k;
	if (!tag_ids(c, n->text, n->category, &ids, &k)) {
		c->failed = true;
	}
	if (k == 0) {
		*none = true;
		put(q, "0");
		return;
	}
	putf(q, "%s IN (", col);
	for (size_t i = 0; i < k; i++) {
		if (i > 0) {
			put(q, ", ");
		}
		search_bind_int(c, q, ids[i]);
	}
	put(q, ")");
	free(ids);
}

static void
emit_tag(struct compile *c, struct sql *q, const struct search_node *n)
{
	bool none;
	struct sql m = {0};
	put_tag_match(c, &m, "d.tag_id", n, &none);
	if (none) {
		put(q, "0");
	} else {
		putf(q, "EXISTS (SELECT 1 FROM decisions d WHERE d.image_id = i.id AND %s"
		    " AND d.verdict = 1)", m.s);
	}
	free(m.s);
}

/* ---- suggestions ------------------------------------------------------------ */
static void
put_final_match(struct compile *c, struct sql *q, const struct search_node *n)
{
	if (n->pattern && strcmp(n->text, "*") == 0) {
		put(q, "1");
		return;
	}
	if (n->pattern) {
		char *glob = db_glob_of(n->text, true);
		put(q, c->aliases ? SEARCH_FINAL_NAME " GLOB " : "g.name GLOB ");
		search_bind_text(c, q, glob);
		free(glob);
		return;
	}
	if (!c->aliases) {
		bool none;
		put_tag_match(c, q, "p.tag_id", n, &none);
		return;
	}
	/* Only the tag itself and the tags aliased to it can become it. */
	put(q, "p.tag_id IN (SELECT id FROM tags WHERE name = ");
	search_bind_text(c, q, n->text);
	put(q, " UNION SELECT tt.id FROM tag_rules ra JOIN tags tt ON tt.name = ra.tag"
	    " WHERE ra.kind = 1 AND ra.target = ");
	search_bind_text(c, q, n->text);
	put(q, ") AND " SEARCH_FINAL_NAME " = ");
	search_bind_text(c, q, n->text);
}

static void
put_pin_match(struct compile *c, struct sql *q, const struct search_node *n)
{
	if (n->pattern) {
		char *glob = db_glob_of(n->text, true);
		put(q, "r.tag GLOB ");
		search_bind_text(c, q, glob);
		free(glob);
	} else {
		put(q, "r.tag = ");
		search_bind_text(c, q, n->text);
	}
}

/* A prediction above its cut, renamed by aliases, neither excluded nor
 * decided; or a pinned tag not decided. */
static void
emit_suggested(struct compile *c, struct sql *q, const struct search_node *n)
{
	put(q, "(EXISTS (SELECT 1 FROM predictions p JOIN tags g ON g.id = p.tag_id"
	    " WHERE p.content_id = i.content_id AND p.model_id = ");
	bind_model(c, q);
	put(q, " AND g.category IN (0, 4) AND ");
	put_final_match(c, q, n);
	put(q, " AND ");
	search_put_pending(c, q);
	put(q, ")");
	if (c->pins) {
		put(q, " OR EXISTS (SELECT 1 FROM tag_rules r WHERE r.kind = 2 AND ");
		put_pin_match(c, q, n);
		put(q, " AND i.path >= r.lo AND i.path < r.hi AND " SEARCH_PIN_UNDECIDED ")");
	}
	put(q, ")");
}

/* ---- the other terms ---------------------------------------------------------- */

static const char *const cmp_ops[] = {"=", "<", "<=", ">", ">="};

static void
put_cmp(struct compile *c, struct sql *q, const char *expr, const struct search_node *n)
{
	if (n->cmp == SEARCH_RANGE) {
		putf(q, "(%s BETWEEN ", expr);
		search_bind_real(c, q, n->lo);
		put(q, " AND ");
		search_bind_real(c, q, n->hi);
		put(q, ")");
	} else {
		putf(q, "(%s %s ", expr, cmp_ops[n->cmp]);
		search_bind_real(c, q, n->lo);
		put(q, ")");
	}
}

/* The stored score, 0 when below the floor; only images with an answer. */
static void
emit_score(struct compile *c, struct sql *q, const struct search_node *n)
{
	bool none;
	struct sql m = {0};
	put_tag_match(c, &m, "p.tag_id", n, &none);
	put(q, "(EXISTS (SELECT 1 FROM tagged ts WHERE ts.content_id = i.content_id"
	    " AND ts.model_id = ");
	bind_model(c, q);
	put(q, ") AND ");
	struct sql e = {0};
	put(&e, "coalesce((SELECT max(p.score) FROM predictions p WHERE"
	    " p.content_id = i.content_id AND p.model_id = ");
	bind_model(c, &e);
	putf(&e, " AND %s), 0)", m.s);
	put_cmp(c, q, e.s, n);
	put(q, ")");
	free(e.s);
	free(m.s);
}

/* "expr IN (?, ?)" for the bits of a set. */
static void
put_set(struct compile *c, struct sql *q, const char *expr, unsigned set, bool rating)
{
	putf(q, "%s IN (", expr);
	bool first = true;
	for (int bit = 0; bit < 8; bit++) {
		if (set & (1u << bit)) {
			put(q, first ? "" : ", ");
			search_bind_int(c, q, rating && (1u << bit) == SEARCH_UNRATED ? -1 : bit);
			first = false;
		}
	}
	put(q, first ? "NULL)" : ")");
}

static void
emit_model(struct compile *c, struct sql *q, const struct search_node *n)
{
	put(q, "EXISTS (SELECT 1 FROM tagged tm JOIN models m ON m.id = tm.model_id"
	    " WHERE tm.content_id = i.content_id AND m.name ");
	if (n->pattern) {
		char *glob = db_glob_of(n->text, true);
		put(q, "GLOB ");
		search_bind_text(c, q, glob);
		free(glob);
	} else {
		put(q, "= ");
		search_bind_text(c, q, n->text);
	}
	put(q, ")");
}

static void emit(struct compile *c, struct sql *q, const struct search_node *n);

static void
emit_list(struct compile *c, struct sql *q, const struct search_node *n, const char *op)
{
	put(q, "(");
	for (size_t i = 0; i < n->n_kids; i++) {
		if (i > 0) {
			put(q, op);
		}
		emit(c, q, n->kids[i]);
	}
	put(q, ")");
}

/* One node as an SQL boolean over images i (and tagged t for the rating). */
static void
emit(struct compile *c, struct sql *q, const struct search_node *n)
{
	switch (n->kind) {
	case SEARCH_ALL: put(q, "1"); break;
	case SEARCH_AND: emit_list(c, q, n, " AND "); break;
	case SEARCH_OR: emit_list(c, q, n, " OR "); break;
	case SEARCH_NOT:
		put(q, "NOT ");
		emit_list(c, q, n, "");
		break;
	case SEARCH_TAG: emit_tag(c, q, n); break;
	case SEARCH_SUGGESTED: emit_suggested(c, q, n); break;
	case SEARCH_SCORE: emit_score(c, q, n); break;
	case SEARCH_RATING:
		c->needs_rating = true;
		put_set(c, q, SEARCH_RATING_SQL, n->set, true);
		break;
	case SEARCH_ORIENTATION: put_set(c, q, "i.orientation", n->set, false); break;
	case SEARCH_STATE:
		c->has_state = true;
		put_set(c, q, "i.state", n->set, false);
		break;
	case SEARCH_SOURCE:
		put(q, "EXISTS (SELECT 1 FROM decisions d WHERE d.image_id = i.id AND d.verdict = 1"
		    " AND ");
		put_set(c, q, "d.source", n->set, false);
		put(q, ")");
		break;
	case SEARCH_FOLDER: search_put_folder_range(c, q, "i.path", n->text); break;
	case SEARCH_MODEL: emit_model(c, q, n); break;
	case SEARCH_WIDTH: put_cmp(c, q, "i.width", n); break;
	case SEARCH_HEIGHT: put_cmp(c, q, "i.height", n); break;
	case SEARCH_SIZE: put_cmp(c, q, "i.size", n); break;
	case SEARCH_PATH:
		/* Paths are bytes (BLOB): a blob needle keeps instr() bytewise. */
		put(q, "instr(i.path, ");
		search_bind_blob(c, q, n->text, strlen(n->text));
		put(q, ") > 0");
		break;
	}
}

/* ---- plans ------------------------------------------------------------------ */


static int64_t
scalar(struct compile *c, const char *sql, const char *text, int64_t a, int64_t b, double x)
{
	sqlite3_stmt *st = db_stmt(c->db, sql);
	if (st == NULL) {
		c->failed = true;
		return -1;
	}
	if (text != NULL) {
		sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_int64(st, 1, a);
	}
	/* Parameters the statement lacks are refused harmlessly (SQLITE_RANGE). */
	sqlite3_bind_int64(st, 2, b);
	sqlite3_bind_double(st, 3, x);
	sqlite3_bind_int64(st, 4, c->model_id);
	int64_t v = -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
	} else if (rc != SQLITE_DONE) {
		db_fail(c->db, "search");
		c->failed = true;
	}
	sqlite3_reset(st);
	return v;
}

/* lo lowered to the fixed thresholds of cut; *mcut set if it uses MCut. */
static double
lowest_fixed(const struct db_cut *cut, double lo, bool *mcut)
{
	*mcut = *mcut || cut->general_mcut || cut->character_mcut;
	lo = cut->general_mcut ? lo : fmin(lo, cut->general_threshold);
	return cut->character_mcut ? lo : fmin(lo, cut->character_threshold);
}

/* The lowest fixed threshold a suggestion of any category can pass
 * anywhere (2.0: none is in force); *mcut when MCut is in force somewhere. */
static double
lowest_cut(const struct search_opts *o, bool *mcut)
{
	*mcut = false;
	double lo = lowest_fixed(&o->cut, 2.0, mcut);
	for (size_t k = 0; k < o->n_overrides; k++) {
		lo = lowest_fixed(&o->overrides[k].cut, lo, mcut);
	}
	return lo;
}

bool
search_lowest_cut(struct compile *c, double *lo)
{
	bool mcut;
	*lo = lowest_cut(c->o, &mcut);
	if (c->thresholds) {
		*lo = fmin(*lo, c->min_tag_threshold);
	}
	return !mcut;
}

/* The driver's predictions drp that can be suggestions anywhere: above the
 * lowest fixed threshold or, where MCut is in force, above the lower of the
 * two cuts their answer stored (a key lookup that spares the query the
 * images whose score is below both). */
static void
put_driver_cut(struct compile *c, struct sql *q, double lo, bool mcut)
{
	put(q, mcut ? " AND (drp.score > " : " AND drp.score > ");
	search_bind_real(c, q, lo);
	if (mcut) {
		put(q, " OR drp.score > (SELECT min(tc.mcut_general, tc.mcut_character)"
		    " FROM tagged tc WHERE tc.content_id = drp.content_id"
		    " AND tc.model_id = " SEARCH_P_MODEL "))");
	}
}

/* The ids a driver term yields, and how many (capped at cap); NULL when the
 * term cannot drive.  Pinned tags make suggestions without predictions, so
 * a pinned name cannot drive. */
static char *
driver_for(struct compile *c, const struct search_node *n, int64_t cap, int64_t *rows)
{
	if ((n->kind != SEARCH_TAG && n->kind != SEARCH_SUGGESTED) || n->pattern) {
		return NULL;
	}
	bool sugg = n->kind == SEARCH_SUGGESTED;
	if (sugg && scalar(c, "SELECT count(*) FROM tag_rules WHERE kind = 2 AND tag = ?1", n->text, 0, 0, 0) != 0) {
		return NULL;
	}
	int64_t *ids;
	size_t k;
	if (!tag_ids(c, n->text, sugg ? -1 : n->category, &ids, &k)) {
		c->failed = true;
		return NULL;
	}
	/* The estimate reads the index alone: under MCut, whose cuts are not
	 * in it, every prediction of the tag counts. */
	bool mcut;
	double lo = lowest_cut(c->o, &mcut);
	if (c->thresholds) {
		lo = fmin(lo, c->min_tag_threshold);
	}
	double cut = mcut ? -1.0 : lo;
	struct sql q = {0};
	put(&q, sugg ? "SELECT DISTINCT dri.id FROM predictions drp CROSS JOIN images dri"
	    " ON dri.content_id = drp.content_id WHERE drp.model_id = " SEARCH_P_MODEL
	    " AND drp.tag_id IN (" : "SELECT DISTINCT image_id AS id FROM decisions"
	    " WHERE verdict = 1 AND tag_id IN (");
	*rows = 0;
	for (size_t i = 0; i < k; i++) {
		put(&q, i > 0 ? ", " : "");
		search_bind_int(c, &q, ids[i]);
		*rows += sugg ? scalar(c, "SELECT count(*) FROM (SELECT 1 FROM predictions"
		    " WHERE tag_id = ?1 AND score > ?3 AND model_id = ?4 LIMIT ?2)", NULL, ids[i],
		    cap, cut) : scalar(c, "SELECT count(*) FROM (SELECT 1 FROM decisions"
		    " WHERE tag_id = ?1 AND verdict = 1 LIMIT ?2)", NULL, ids[i], cap, 0);
	}
	put(&q, k == 0 ? "NULL)" : ")");
	if (sugg) {
		put_driver_cut(c, &q, lo, mcut);
	}
	free(ids);
	return q.s;
}

/* The rarest required term of q that can drive (q itself, or a kid of an
 * AND), yielding fewer than cap rows; NULL when none. */
static char *
best_driver(struct compile *c, const struct search_node *q, int64_t cap, int64_t *rows)
{
	char *best = NULL;
	size_t n = q->kind == SEARCH_AND ? q->n_kids : 1;
	for (size_t i = 0; i < n; i++) {
		int64_t r;
		char *d = driver_for(c, q->kind == SEARCH_AND ? q->kids[i] : q, cap, &r);
		if (d != NULL && r < cap && (best == NULL || r < *rows)) {
			free(best);
			best = d;
			*rows = r;
		} else {
			free(d);
		}
	}
	return best;
}

/* An OR drives when every branch does: the union of their ids. */
static char *
union_driver(struct compile *c, const struct search_node *q, int64_t cap, int64_t *rows)
{
	struct sql u = {0};
	*rows = 0;
	for (size_t i = 0; i < q->n_kids; i++) {
		int64_t r;
		char *d = best_driver(c, q->kids[i], cap, &r);
		if (d == NULL || (*rows += r) >= cap) {
			free(d);
			free(u.s);
			return NULL;
		}
		putf(&u, "%sSELECT id FROM (%s)", i > 0 ? " UNION " : "", d);
		free(d);
	}
	return u.s;
}

static void
match_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const roaring_bitmap_t *m = sqlite3_user_data(cx);
	sqlite3_int64 id = sqlite3_value_int64(argv[0]);
	sqlite3_result_int(cx, id >= 0 && id <= UINT32_MAX &&
	    roaring_bitmap_contains(m, (uint32_t)id));
}

static void
match_free(void *m)
{
	roaring_bitmap_free(m);
}

/* tagcon_match(id) over m (owned by SQLite from now on, even on failure:
 * xDestroy runs).  False when it cannot be (a search of the caller's on
 * this connection still runs with its own). */
static bool
match_register(struct compile *c, roaring_bitmap_t *m)
{
	c->match_fn = sqlite3_create_function_v2(c->db->conn, "tagcon_match", 1,
	    SQLITE_UTF8 | SQLITE_DIRECTONLY, m, match_fn, NULL, NULL, match_free) == SQLITE_OK;
	return c->match_fn;
}

/* The most ids a posting-list driver hands SQLite (as JSON text). */
#define POSTINGS_DRIVER_MAX 50000

/* TAGCON_SEARCH_MATCH=id or =walk: the bitmaps' matches, whenever they
 * answer, fetched by id or tested row by row, whatever the library's size
 * (tests: each plan beside plain SQL's on small libraries). */
static const char *
forced_plan(void)
{
	const char *v = getenv("TAGCON_SEARCH_MATCH");
	return v != NULL && (strcmp(v, "id") == 0 || strcmp(v, "walk") == 0) ? v : NULL;
}

bool
search_sort_indexed(enum search_sort s)
{
	return s == SEARCH_SORT_PATH || s == SEARCH_SORT_ADDED || search_sort_sized(s);
}

bool
search_sort_sized(enum search_sort s)
{
	return s == SEARCH_SORT_SIZE || s == SEARCH_SORT_WIDTH || s == SEARCH_SORT_HEIGHT;
}

/* A walk of a size's index reads the table row of every image it passes
 * (the WHERE's state, the joins), in an order unrelated to the rows': about
 * 17 us each at 5M images, where sorting the library costs 0.5 to 3.5 us an
 * image (for its first page to its last).  Past a sixteenth of the library
 * the page sorts instead (the last page of 5M by size: 83 s walked, 17.8 s
 * sorted), unless seek() below finds where it begins first. */
bool
search_walk_cheap(enum search_sort s, int64_t wanted, int64_t images)
{
	if (s == SEARCH_SORT_PATH || s == SEARCH_SORT_ADDED) {
		return true;
	}
	return search_sort_sized(s) && wanted >= 0 && wanted <= images / 16;
}

/* A scan's rows for the page: all images without a limit, about
 * sqrt(wanted x images) with one (the scan stops at the page's end). */
static int64_t
scan_cap(int64_t wanted, int64_t images, bool ordered)
{
	int64_t cap = images / 4;
	if (wanted >= 0 && ordered) {
		cap = (int64_t)fmin((double)cap, 4.0 * sqrt((double)(wanted + 1) * (double)images));
	}
	return cap;
}

/* The posting lists know the very images a query matches: when they are
 * few, the rows are fetched by id (the WHERE still holds).  For a page in
 * order, few enough that fetching and sorting them beats walking the order
 * for the page, which reads about wanted x images / n rows at a tenth of
 * the cost of a row fetched by id: 10 n^2 < wanted x images (38,434 ids of
 * `rating:q 1girl` took 139 ms where the walk took 3.5 ms; 8,537 of
 * `score:1girl=0.5` 84 ms against 12).  Since assemble_by_id() reads a
 * match's row alone, a match fetched costs 3-5 us at 5M images
 * (suggested:tag_0042: 3,360 in 11-25 ms), a row walked past and tested
 * against the matches 0.25-0.3 us (the same page walked, 149,000 rows:
 * 35-44 ms): still about a tenth. */
int64_t
search_by_id_max(int64_t wanted, int64_t images, bool ordered)
{
	double few = (double)scan_cap(wanted, images, ordered);
	if (wanted >= 0 && ordered) {
		few = fmin(few, sqrt((double)(wanted + 1) * (double)images / 10.0));
	}
	return (int64_t)fmin(few, POSTINGS_DRIVER_MAX);
}

/*
 * A page by a size past its first rows: its first row found from the
 * sizes' slices among the query's matches (slices_seek), then the index
 * walked from there, each row tested against the matches.  A walk from
 * the start reads a row per image passed, some 17 us (1.6 s for a page at
 * 100,000 of 5M images), and past a sixteenth the library was sorted
 * (17.8 s for the last page); the seek reads the slices of the matches,
 * some 20 ns an image (0.12 s for any page at 5M, the process's start
 * included): worth it from a thousandth of the library on.  Only in the
 * caller's snapshot (the matches stand for the WHERE) and for a page that
 * does not fit the by-id plan anyway.  A page past the last match is
 * empty without a walk.
 */
static bool
seek(struct compile *c, const struct search_node *q, int64_t wanted, int64_t images)
{
	const struct search_opts *o = c->o;
	if (!search_sort_sized(o->sort) || !c->snapshot || o->offset <= images / 1024 ||
	    wanted < 0 || forced_plan() != NULL) {
		return false;
	}
	roaring_bitmap_t *m = NULL;
	int64_t value = -1, id = 0;
	bool found = false;
	if (!postings_match_all(c->db, q, o, &m)) {
		c->failed = true;
		return true;
	}
	/* Few: fetched by id and sorted (search_choose_driver). */
	if (m != NULL &&
	    (int64_t)roaring_bitmap_get_cardinality(m) > search_by_id_max(wanted, images, false) &&
	    !slices_seek(c->db, o->sort, m, o->offset, o->descending, &value, &id, &found)) {
		c->failed = true;
	}
	if (c->failed || !found) {
		if (m != NULL) {
			roaring_bitmap_free(m);
		}
		return c->failed;
	}
	if (!match_register(c, m)) {
		return false; /* m is SQLite's, and freed */
	}
	c->exact = true;
	c->seek = true;
	c->seek_past = value < 0;
	c->seek_value = value;
	c->seek_id = id;
	c->sort_walk = true;
	return true;
}

int64_t
search_page_offset(const struct compile *c)
{
	return c->seek ? 0 : c->o->offset > 0 ? c->o->offset : 0;
}

void
search_choose_driver(struct compile *c, const struct search_node *q, int64_t wanted, bool ordered)
{
	int64_t images = scalar(c, "SELECT max(id) FROM images", NULL, 0, 0, 0);
	/* A size's index pays only near the start; other orders as the
	 * caller says (a random pick's is any). */
	if (search_sort_sized(c->o->sort)) {
		ordered = ordered && search_walk_cheap(c->o->sort, wanted, images);
	}
	c->sort_walk = ordered;
	const char *forced = forced_plan();
	if ((images < 2000 && forced == NULL) || c->driver != NULL) {
		return;
	}
	if (seek(c, q, wanted, images)) {
		return;
	}
	int64_t cap = scan_cap(wanted, images, ordered);
	double few = (double)search_by_id_max(wanted, images, ordered);
	if (forced != NULL) {
		few = forced[0] == 'i' ? POSTINGS_DRIVER_MAX : -1;
	}
	roaring_bitmap_t *m = NULL;
	if (!postings_match(c->db, q, c->o, &m)) {
		c->failed = true;
		return;
	}
	int64_t n = m != NULL ? (int64_t)roaring_bitmap_get_cardinality(m) : 0;
	if (m != NULL && n <= (int64_t)few) {
		char *ids = postings_json_ids(m);
		struct sql d = {0};
		put(&d, "SELECT value AS id FROM json_each(");
		search_bind_text(c, &d, ids);
		put(&d, ")");
		free(ids);
		roaring_bitmap_free(m);
		c->driver = d.s;
		c->driver_rows = n;
		c->exact = c->snapshot;
		return;
	}
	/* Too many to fetch by id: in the caller's snapshot, a walk in the
	 * page's order tests each row's id against them, where the WHERE
	 * would work the rules' and the cuts' SQL out row by row (a rare
	 * ruled tag's first page walked 44,000 rows at 5M images, 812 ms). */
	if (m != NULL && c->snapshot) {
		if (match_register(c, m)) {
			c->exact = true;
			return;
		}
		m = NULL; /* SQLite's, and freed */
	}
	if (m != NULL) {
		roaring_bitmap_free(m);
	}
	c->driver = q->kind == SEARCH_OR ? union_driver(c, q, cap, &c->driver_rows)
	    : best_driver(c, q, cap, &c->driver_rows);
}

/* Which kinds of tag rules exist: the SQL for suggestions leaves out what
 * no rule needs (a library without aliases pays no alias lookups). */
static void
load_rule_kinds(struct compile *c)
{
	sqlite3_stmt *st = db_stmt(c->db, "SELECT EXISTS (SELECT 1 FROM tag_rules WHERE kind = 0),"
	    " EXISTS (SELECT 1 FROM tag_rules WHERE kind = 1),"
	    " EXISTS (SELECT 1 FROM tag_rules WHERE kind = 2),"
	    " (SELECT min(value) FROM tag_rules WHERE kind = 3)");
	if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
		c->failed = true;
		if (st != NULL) {
			db_fail(c->db, "rules");
			sqlite3_reset(st);
		}
		return;
	}
	c->exclusions = sqlite3_column_int(st, 0) != 0;
	c->aliases = sqlite3_column_int(st, 1) != 0;
	c->pins = sqlite3_column_int(st, 2) != 0;
	c->thresholds = sqlite3_column_type(st, 3) != SQLITE_NULL;
	c->min_tag_threshold = sqlite3_column_double(st, 3);
	sqlite3_reset(st);
}

bool
search_column_term(const struct search_node *n)
{
	return n->kind == SEARCH_WIDTH || n->kind == SEARCH_HEIGHT || n->kind == SEARCH_SIZE;
}

/* Parameters ?1 and ?2 of every compiled query (SEARCH_P_MODEL,
 * SEARCH_P_MAX_RATING), then node n as the WHERE. */
static void
compile_where(struct compile *c, const struct search_node *n)
{
	struct sql fixed = {0};
	search_bind_int(c, &fixed, c->model_id);
	search_bind_int(c, &fixed, c->o->max_rating);
	free(fixed.s);
	put(&c->where, "(");
	emit(c, &c->where, n);
	put(&c->where, ")");
}

bool
search_compile_term(struct compile *c, struct db *db, const struct search_node *n,
    const struct search_opts *o)
{
	*c = (struct compile){.db = db, .o = o, .model_id = -1};
	compile_where(c, n);
	return !c->failed && search_column_term(n);
}

bool
search_compile(struct compile *c, struct db *db, const struct search_node *q,
    const struct search_opts *o)
{
	*c = (struct compile){.db = db, .o = o, .model_id = -1};
	if (o->model != NULL) {
		c->model_id = scalar(c, "SELECT id FROM models WHERE name = ?1",
		    o->model, 0, 0, 0);
	}
	load_rule_kinds(c);
	c->capped = search_capped(o);
	compile_where(c, q);
	if (o->max_rating < RATING_E) {
		c->needs_rating = true;
		put(&c->where, " AND " SEARCH_RATING_SQL " <= " SEARCH_P_MAX_RATING);
	}
	if (!c->has_state) {
		put(&c->where, " AND i.state != 4");
	}
	if (o->sort == SEARCH_SORT_CONFIDENCE) {
		search_put_confidence(c, &c->sort_expr);
	}
	return !c->failed;
}

