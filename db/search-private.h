/*
 * search-private.h — what search.c (the compiler) and search-run.c (the
 * runner) share; never included outside db/.
 */
#ifndef TAGCON_DB_SEARCH_PRIVATE_H
#define TAGCON_DB_SEARCH_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db-private.h"
#include "db/search.h"

struct db;

struct sqlite3_stmt;
/* Bind term n's text to parameter at of st: the name as it is, or its
 * pattern as a GLOB (n->pattern). */
void search_bind_name(struct sqlite3_stmt *st, int at, const struct search_node *n);

/* Whether max_tags is in force in some folder of o (the global cut or an
 * override's). */
bool search_capped(const struct search_opts *o);
/* Whether a category's cut is the same in x and y: both MCut, or neither
 * and the same threshold. */
bool search_same_cut(const struct db_cut *x, const struct db_cut *y, bool character);

/* Parameters ?1 and ?2 of every compiled query: model id, maximum rating. */
#define SEARCH_P_MODEL "?1"
#define SEARCH_P_MAX_RATING "?2"

/* The rating of image i from its LEFT JOINed tagged row t (db_counts' rule:
 * argmax, ties to the milder label; -1 when unrated). */
#define SEARCH_RATING_SQL \
	"(CASE WHEN t.content_id IS NULL THEN -1 ELSE " DB_RATING_OF_SQL("t") " END)"

/* The name a prediction of tag g becomes after aliases (g.name when there
 * are none: c->aliases). */
#define SEARCH_FINAL_NAME \
	"coalesce((SELECT ra.target FROM tag_rules ra WHERE ra.kind = 1 AND ra.tag = g.name)," \
	" g.name)"

/* The tags some rule touches (excluded, aliased either way, pinned, or
 * with a threshold of their own): gr.id. */
#define SEARCH_RULED_TAGS \
	"SELECT gr.id FROM tags gr WHERE EXISTS (SELECT 1 FROM tag_rules r WHERE" \
	" (r.kind = 0 AND gr.name GLOB r.glob) OR (r.kind = 1 AND gr.name IN (r.tag, r.target))" \
	" OR (r.kind = 2 AND gr.name = r.tag) OR (r.kind = 3 AND gr.name = r.tag))"

/* Whether tag id is one of them: a statement yielding it or nothing. */
#define SEARCH_RULED_TAGS_OF(id) SEARCH_RULED_TAGS " AND gr.id = " id

/* Pin rule r has no decision on image i. */
#define SEARCH_PIN_UNDECIDED \
	"NOT EXISTS (SELECT 1 FROM decisions d WHERE d.image_id = i.id" \
	" AND d.tag_id = (SELECT id FROM tags WHERE name = r.tag))"

enum param_type { P_INT, P_REAL, P_TEXT, P_BLOB };

struct param {
	enum param_type type;
	int64_t i;
	double d;
	char *s;
	size_t n;
};

/* A growing SQL text. */
struct sql {
	char *s;
	size_t len;
	size_t cap;
};

/* A compiled query: the WHERE text over images i (and tagged t), its
 * parameters ?1..?n_params, and the chosen plan. */
struct compile {
	struct db *db;
	const struct search_opts *o;
	int64_t model_id;      /* -1: the model has answered for nothing */
	struct sql where;
	struct param *params;
	size_t n_params;
	bool aliases;          /* tag_rules has rules of each kind: without, */
	bool exclusions;       /* suggested: compiles to simpler SQL */
	bool pins;
	bool thresholds;       /* threshold rules exist; the lowest is: */
	double min_tag_threshold;
	bool capped;           /* max_tags is in force somewhere */
	bool cap_window;       /* ... and worked out for the whole library at once */
	bool needs_rating;     /* the WHERE reads t */
	bool has_state;        /* a state: term: missing images are not hidden */
	bool failed;
	char *driver;          /* driver plan: a subquery yielding image ids, or NULL */
	/* The caller reads the rows in the snapshot the plan is chosen in (one
	 * transaction): the bitmaps' matches may then stand for the WHERE. */
	bool snapshot;
	/* They do: the driver's ids are exactly the matches (WHERE "1"), or,
	 * with no driver, tagcon_match(i.id) tests each row against them. */
	bool exact;
	bool match_fn;         /* tagcon_match is registered for this compile */
	struct sql sort_expr;  /* SEARCH_SORT_CONFIDENCE: the measure of image i */
	bool sort_walk;        /* the page walks its sort's index (search_walk_cheap) */
	int64_t driver_rows;
	/* A deep page by a size begins at (seek_value, seek_id) in its order,
	 * found from the sizes' slices (slices_seek): the index is walked from
	 * there, with no offset. */
	bool seek;
	bool seek_past;        /* ... past the last match: no rows */
	int64_t seek_value;
	int64_t seek_id;
};

void search_put(struct sql *q, const char *text);
void search_putf(struct sql *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append a new parameter's placeholder to q. */
void search_bind_int(struct compile *c, struct sql *q, int64_t v);
void search_bind_real(struct compile *c, struct sql *q, double v);
void search_bind_text(struct compile *c, struct sql *q, const char *s);
void search_bind_blob(struct compile *c, struct sql *q, const char *s, size_t n);
/* "(col >= lo AND col < hi)": the paths below folder. */
void search_put_folder_range(struct compile *c, struct sql *q, const char *col,
    const char *folder);
/* The cut of category for image i under cut: the fixed threshold, or the
 * MCut cut its answer stored. */
void search_put_cut(struct compile *c, struct sql *q, const struct db_cut *cut,
    int category);
/* The cut of category for image i (folder overrides, MCut). */
void search_put_threshold(struct compile *c, struct sql *q, int category);
/* Prediction p (tags g) of image i is a pending suggestion: above its cut
 * (its tag's threshold rule, else its category's), its aliased name
 * undecided, not excluded, within max_tags. */
void search_put_pending(struct compile *c, struct sql *q);
/* The lowest cut a prediction must pass anywhere (fixed thresholds, folder
 * overrides, tag threshold rules): a score range an index can serve.
 * False when MCut is in force somewhere (no such bound). */
bool search_lowest_cut(struct compile *c, double *lo);
/* SEARCH_SORT_CONFIDENCE's measure of image i (search-suggest.c). */
void search_put_confidence(struct compile *c, struct sql *q);
/* A page's ids and rows read in one snapshot, the folds q's bitmaps need
 * made first (nothing is written inside one): one read transaction, unless
 * the caller holds one (*txn: search_page_end commits it).  *snapshot:
 * the page reads in one, so the bitmaps' matches may stand for the WHERE
 * (struct compile's snapshot).  False on a database error. */
bool search_page_begin(struct db *db, const struct search_node *q, const struct search_opts *o,
    bool *txn, bool *snapshot);
bool search_page_end(struct db *db, bool txn, bool ok);
/* The offset a page binds: the options', or 0 past a seek. */
int64_t search_page_offset(const struct compile *c);
/* A statement for sql with the compiled parameters bound; NULL on error. */
struct sqlite3_stmt *search_prepare(struct compile *c, const char *sql);

/* Compile q under o; false on a database error (message in db_errmsg). */
bool search_compile(struct compile *c, struct db *db, const struct search_node *q,
    const struct search_opts *o);
/* Whether n is a term over an image's own columns that search_compile_term
 * takes (width:, height:, size:; schema 16 indexes each column). */
bool search_column_term(const struct search_node *n);
/* Such a term alone, as c->where over images i: no state, no rating
 * filter; the same SQL search_compile writes for it inside a query. */
bool search_compile_term(struct compile *c, struct db *db, const struct search_node *n,
    const struct search_opts *o);
/* Whether a page in sort s may walk an index in its order, stopping at the
 * page's end: path, insertion, and since schema 16 size, width, height
 * (search_sort_sized). */
bool search_sort_indexed(enum search_sort s);
bool search_sort_sized(enum search_sort s);
/* Whether that walk is cheaper than a sort for a page ending `wanted`
 * rows in (< 0: all) among `images`: always in path or insertion order,
 * for a size only near the start. */
bool search_walk_cheap(enum search_sort s, int64_t wanted, int64_t images);
/* The most matches the bitmaps may name for a page of `wanted` rows (< 0:
 * all) among `images` to be fetched by id rather than found by walking the
 * page's order (ordered: an index's) or the library. */
int64_t search_by_id_max(int64_t wanted, int64_t images, bool ordered);
/*
 * Choose the driver plan for a query that wants `wanted` rows (< 0: all) in
 * an order an index gives (ordered) or not.
 */
void search_choose_driver(struct compile *c, const struct search_node *q, int64_t wanted,
    bool ordered);
void search_compile_fini(struct compile *c);

/*
 * For other readers in db/ (browse.c): "SELECT i.id FROM ... WHERE ...
 * ORDER BY <o->sort> LIMIT ?N+1 OFFSET ?N+2" of the compiled query q, N
 * being c->n_params once it returns (driver chosen for o->limit and
 * o->offset); NULL after a database error.  New string.
 */
char *search_ids_sql(struct compile *c, const struct search_node *q);
/* The number of matches of the compiled query q. */
bool search_count_compiled(struct compile *c, const struct search_node *q, int64_t *n);

#endif
