/*
 * search-count.c — every pending suggestion of the library, counted, fast
 * enough to follow a threshold slider over a million images.
 *
 * The count is the sum over images not missing of what rules_suggest()
 * derives (core/rules.h): (image, name) pairs.  suggest_hist (schema 4, 5)
 * holds the undecided predictions per 1/1000 of score and per side of
 * their answer's MCut cut.  Where a fixed threshold applies, the buckets
 * above it are summed, and the one bucket it falls in is counted exactly
 * from the predictions (an index range per tag); under MCut the rows above
 * the cut are summed.  Then what the histogram cannot know is replaced by
 * direct passes, each as cheap as what it covers:
 *   folder overrides   the images below them, counted with their own cuts;
 *   tag rules          the tags rules touch (excluded, aliased either way,
 *                      pinned, a threshold of their own) and the pinned
 *                      folders: from the score sets when they are built
 *                      (postings_pending_ruled: each name as a suggested:
 *                      term), else from their predictions.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db/db-private.h"
#include "db/postings-private.h"
#include "db/predictions.h"
#include "db/search-private.h"
#include "db/search.h"
#include "common/xalloc.h"

#define put search_put
#define putf search_putf

static bool
run_count(struct compile *c, const char *sql, int64_t *n)
{
	sqlite3_stmt *st = search_prepare(c, sql);
	if (st == NULL) {
		return false;
	}
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || db_fail(c->db, "count suggestions");
}

/* Whether override k lies below another override (then the other's range
 * covers it). */
static bool
nested(const struct search_opts *o, size_t k)
{
	for (size_t j = 0; j < o->n_overrides; j++) {
		if (j != k && db_folder_below(o->overrides[j].folder, o->overrides[k].folder)) {
			return true;
		}
	}
	return false;
}

enum scope { OUTSIDE, INSIDE, EVERYWHERE };

/* "(range OR range ...)" over the outermost override folders, negated for
 * the rest of the library; "1" / "0" without overrides. */
static void
put_overridden(struct compile *c, struct sql *q, enum scope scope)
{
	const struct search_opts *o = c->o;
	bool inside = scope == INSIDE;
	if (scope == EVERYWHERE) {
		put(q, "1");
		return;
	}
	if (o->n_overrides == 0) {
		put(q, inside ? "0" : "1");
		return;
	}
	put(q, inside ? "(" : "NOT (");
	bool first = true;
	for (size_t k = 0; k < o->n_overrides; k++) {
		if (!nested(o, k)) {
			put(q, first ? "" : " OR ");
			search_put_folder_range(c, q, "i.path", o->overrides[k].folder);
			first = false;
		}
	}
	put(q, ")");
}

/* With only the predictions of ruled tags read: a score bound the
 * predictions_tag index (tag_id, score) serves, so a threshold rule on a
 * common tag reads the scores that can pass, not all of them. */
static void
put_score_floor(struct compile *c, struct sql *q, bool ruled_only)
{
	double lo;
	if (ruled_only && search_lowest_cut(c, &lo)) {
		put(q, " AND p.score > ");
		search_bind_real(c, q, lo);
	}
}

/* Pairs under the rules for images matching filter; only the predictions
 * of ruled tags when ruled_only (plus the pins, always).  With aliases a
 * tag and the tags aliased to it are one name, counted once per image:
 * DISTINCT, as the UNION with the pins does only when there are pins.
 * Without, an image's (image, tag) pairs are unique already. */
static bool
count_rules(struct compile *c, enum scope inside, bool ruled_only, int64_t *n)
{
	struct sql q = {0};
	put(&q, c->aliases ? "SELECT count(*) FROM (SELECT DISTINCT i.id, " SEARCH_FINAL_NAME
	    " FROM " : "SELECT count(*) FROM (SELECT i.id, g.name FROM ");
	put(&q, ruled_only ? "tags g CROSS JOIN predictions p ON p.tag_id = g.id"
	    " CROSS JOIN images i ON i.content_id = p.content_id WHERE g.id IN (" SEARCH_RULED_TAGS ")"
	    : "images i CROSS JOIN predictions p ON p.content_id = i.content_id"
	    " CROSS JOIN tags g ON g.id = p.tag_id WHERE 1");
	put(&q, " AND p.model_id = " SEARCH_P_MODEL " AND i.state != 4 AND g.category IN (0, 4)"
	    " AND ");
	put_overridden(c, &q, inside);
	put_score_floor(c, &q, ruled_only);
	put(&q, " AND ");
	search_put_pending(c, &q);
	if (c->pins) {
		put(&q, " UNION SELECT i.id, r.tag FROM tag_rules r CROSS JOIN images i"
		    " ON i.path >= r.lo AND i.path < r.hi WHERE r.kind = 2 AND i.state != 4"
		    " AND " SEARCH_PIN_UNDECIDED " AND ");
		put_overridden(c, &q, inside);
	}
	put(&q, ")");
	bool ok = run_count(c, q.s, n);
	free(q.s);
	return ok;
}

/* Predictions the histogram counts (global cut, undecided by their own
 * tag) for images matching filter, of ruled tags only if ruled_only. */
static bool
count_plain(struct compile *c, enum scope inside, bool ruled_only, int64_t *n)
{
	struct sql q = {0};
	put(&q, "SELECT count(*) FROM ");
	put(&q, ruled_only ? "tags g CROSS JOIN predictions p ON p.tag_id = g.id"
	    " CROSS JOIN images i ON i.content_id = p.content_id WHERE g.id IN (" SEARCH_RULED_TAGS ")"
	    : "images i CROSS JOIN predictions p ON p.content_id = i.content_id"
	    " CROSS JOIN tags g ON g.id = p.tag_id WHERE 1");
	put(&q, " AND p.model_id = " SEARCH_P_MODEL " AND i.state != 4 AND g.category IN (0, 4)"
	    " AND ");
	put_overridden(c, &q, inside);
	put_score_floor(c, &q, ruled_only);
	put(&q, " AND p.score > (CASE WHEN g.category = 4 THEN ");
	search_put_cut(c, &q, &c->o->cut, DB_CAT_CHARACTER);
	put(&q, " ELSE ");
	search_put_cut(c, &q, &c->o->cut, DB_CAT_GENERAL);
	put(&q, " END) AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.image_id = i.id"
	    " AND d.tag_id = p.tag_id)");
	bool ok = run_count(c, q.s, n);
	free(q.s);
	return ok;
}

/* suggest_hist above its answer's MCut cut for one category: exact, the
 * rows say which side of the cut each score is on. */
static bool
count_hist_mcut(struct compile *c, int category, int64_t *n)
{
	sqlite3_stmt *st = db_stmt(c->db, "SELECT coalesce(sum(n), 0) FROM suggest_hist"
	    " WHERE model_id = ?1 AND category = ?2 AND mcut = 1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, c->model_id);
	sqlite3_bind_int(st, 2, category);
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(c->db, "histogram");
}

/* The predictions of a category in t's bucket above t (A) or not above
 * it (B): on the index alone (covering), or counted as the histogram
 * counts them (images not missing, no decision). */
#define BUCKET_ROWS(join, side) \
	"SELECT count(*) FROM tags g CROSS JOIN predictions p ON p.tag_id = g.id" join \
	" WHERE g.category = ?2 AND p.model_id = ?1 AND " side \
	" AND CAST(p.score * 1000 AS INTEGER) = CAST(?3 * 1000 AS INTEGER)"
#define BUCKET_JOIN \
	" CROSS JOIN images i ON i.content_id = p.content_id"
#define BUCKET_KEPT \
	" AND i.state != 4 AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.image_id = i.id" \
	" AND d.tag_id = p.tag_id)"
#define BUCKET_ABOVE "p.score > ?3 AND p.score < ?5"
/* Predictions above t in its bucket few enough to count them joined. */
#define FEW_ABOVE 20000
#define BUCKET_NOT_ABOVE "p.score >= ?4 AND p.score <= ?3"

static bool
bucket_count(struct compile *c, const char *sql, int category, double t, int64_t *n)
{
	sqlite3_stmt *st = db_stmt(c->db, sql);
	if (st == NULL) {
		return false;
	}
	/* A score of bucket b lies in [b / 1000, (b + 1) / 1000) but for a
	 * rounding: the ranges reach a little beyond. */
	double b = floor(t * 1000);
	sqlite3_bind_int64(st, 1, c->model_id);
	sqlite3_bind_int(st, 2, category);
	sqlite3_bind_double(st, 3, t);
	sqlite3_bind_double(st, 4, b / 1000 - 1e-6);
	sqlite3_bind_double(st, 5, (b + 1) / 1000 + 1e-6);
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(c->db, "histogram");
}

/* suggest_hist above threshold t for one category: the buckets above t's
 * own, plus the scores of t's bucket above t counted from the predictions
 * themselves, or all of its bucket less those not above t, whichever side
 * holds fewer predictions (an index range per tag; scores written in
 * thousandths put a whole bucket on t). */
static bool
count_hist(struct compile *c, int category, double t, int64_t *n)
{
	sqlite3_stmt *st = db_stmt(c->db, "SELECT coalesce(sum(n), 0) FROM suggest_hist"
	    " WHERE model_id = ?1 AND category = ?2 AND bucket >= CAST(?3 * 1000 AS INTEGER)"
	    " + ?4");
	int64_t above = 0, not_above = 0, rows = 0;
	bool ok = bucket_count(c, BUCKET_ROWS("", BUCKET_ABOVE), category, t, &above);
	/* A few above t: no need to know how many are not. */
	ok = ok && (above <= FEW_ABOVE ||
	    bucket_count(c, BUCKET_ROWS("", BUCKET_NOT_ABOVE), category, t, &not_above));
	if (st == NULL || !ok) {
		return false;
	}
	bool add = above <= FEW_ABOVE || above <= not_above;
	sqlite3_bind_int64(st, 1, c->model_id);
	sqlite3_bind_int(st, 2, category);
	sqlite3_bind_double(st, 3, t);
	sqlite3_bind_int(st, 4, add ? 1 : 0);
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		return db_fail(c->db, "histogram");
	}
	/* The side counted holds no prediction (t on the thousandth that
	 * scores written in thousandths sit on): nothing to join. */
	if ((add ? above : not_above) > 0 &&
	    !bucket_count(c, add ? BUCKET_ROWS(BUCKET_JOIN, BUCKET_ABOVE BUCKET_KEPT)
	    : BUCKET_ROWS(BUCKET_JOIN, BUCKET_NOT_ABOVE BUCKET_KEPT), category, t, &rows)) {
		return false;
	}
	*n += add ? rows : -rows;
	return true;
}

static bool
has_rules(struct compile *c, bool *any)
{
	sqlite3_stmt *st = db_stmt(c->db, "SELECT EXISTS (SELECT 1 FROM tag_rules)");
	if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
		return st != NULL && db_fail(c->db, "rules");
	}
	*any = sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	return true;
}

/* The histogram for the library outside overrides, corrected for rules. */
static bool
count_fast(struct compile *c, int64_t *n)
{
	const struct db_cut *cut = &c->o->cut;
	int64_t g, ch, inside = 0, plain = 0, ruled = 0, ruled_plain = 0;
	bool rules = false;
	if (c->capped) {
		/* Whether a score counts depends on the image's other scores: no
		 * histogram knows that.  Every prediction is read, the cap worked
		 * out once per image (search.c's window). */
		c->cap_window = true;
		return count_rules(c, EVERYWHERE, false, n);
	}
	bool ok = cut->general_mcut ? count_hist_mcut(c, DB_CAT_GENERAL, &g)
	    : count_hist(c, DB_CAT_GENERAL, cut->general_threshold, &g);
	ok = ok && (cut->character_mcut ? count_hist_mcut(c, DB_CAT_CHARACTER, &ch)
	    : count_hist(c, DB_CAT_CHARACTER, cut->character_threshold, &ch));
	if (!ok || !has_rules(c, &rules)) {
		return false;
	}
	if (c->o->n_overrides > 0 && (!count_plain(c, INSIDE, false, &plain) ||
	    !count_rules(c, INSIDE, false, &inside))) {
		return false;
	}
	/* The tags rules touch from the score sets when they are built (a
	 * few bitmaps a tag), else from their predictions. */
	bool sets = false;
	if (rules && !postings_pending_ruled(c->db, c->o, &ruled, &ruled_plain, &sets)) {
		return false;
	}
	if (rules && !sets && (!count_plain(c, OUTSIDE, true, &ruled_plain) ||
	    !count_rules(c, OUTSIDE, true, &ruled))) {
		return false;
	}
	*n = g + ch - plain + inside - ruled_plain + ruled;
	return true;
}

bool
db_search_suggestions(struct db *db, const struct search_opts *o, int64_t *n)
{
	struct compile c;
	struct search_node all = {.kind = SEARCH_ALL};
	*n = 0;
	bool ok = search_compile(&c, db, &all, o) && count_fast(&c, n);
	search_compile_fini(&c);
	return ok;
}

/* suggest_hist against a fresh aggregate of what its triggers count
 * (db/schema.c, schema 5), both ways: the number of rows that differ. */
#define HIST_DIFFERS \
	"WITH fresh AS (SELECT p.model_id AS m, g.category AS c, ((CASE g.category" \
	"  WHEN 0 THEN p.score > t.mcut_general" \
	"  WHEN 4 THEN p.score > t.mcut_character END) IS 1)," \
	"  CAST(p.score * 1000 AS INTEGER) AS b, count(*) AS n" \
	"  FROM images i CROSS JOIN predictions p ON p.content_id = i.content_id" \
	"  CROSS JOIN tags g ON g.id = p.tag_id LEFT JOIN tagged t" \
	"  ON t.content_id = p.content_id AND t.model_id = p.model_id" \
	"  WHERE i.state != 4 AND NOT EXISTS (SELECT 1 FROM decisions d" \
	"   WHERE d.image_id = i.id AND d.tag_id = p.tag_id) GROUP BY 1, 2, 3, 4)," \
	" kept AS (SELECT model_id, category, mcut, bucket, n FROM suggest_hist WHERE n != 0)" \
	" SELECT (SELECT count(*) FROM (SELECT * FROM fresh EXCEPT SELECT * FROM kept))" \
	" + (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM fresh))"

/* Answers whose stored MCut cuts are not what their predictions give. */
#define CUTS_DIFFER \
	"SELECT count(*) FROM tagged t WHERE t.mcut_general IS NOT " \
	DB_MCUT_GENERAL_SQL("t.content_id", "t.model_id") " OR t.mcut_character IS NOT " \
	DB_MCUT_CHARACTER_SQL("t.content_id", "t.model_id")

static bool
differ(struct db *db, const char *sql, int64_t *n)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
		return st != NULL && db_fail(db, "histogram check");
	}
	*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return true;
}

bool
db_search_hist_check(struct db *db, bool *same)
{
	int64_t rows = 0, cuts = 0;
	bool ok = differ(db, HIST_DIFFERS, &rows) && differ(db, CUTS_DIFFER, &cuts);
	*same = ok && rows == 0 && cuts == 0;
	return ok;
}
