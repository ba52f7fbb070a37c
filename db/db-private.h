/*
 * db-private.h — what the modules of db/ share; never included outside db/.
 */
#ifndef TAGCON_DB_PRIVATE_H
#define TAGCON_DB_PRIVATE_H

#include <roaring/roaring.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "db/db.h"

#define STMT_CACHE_SLOTS 256
/* A model's answered set and its four rating sets, for two models. */
#define DB_SET_MEMOS 16

struct db {
	sqlite3 *conn;
	char *path;
	char *errmsg;
	bool busy;
	/* Bytes of score sets a query may still read before it gives up and
	 * leaves the question to plain SQL (< 0: any); set by postings.c for
	 * a first page or a random pick, where a dense term's sets cost more
	 * than the SQL they would save (db/scores.c). */
	int64_t scores_budget;
	bool scores_over;
	/* The largest image id shown, while there is a budget (charge() in
	 * db/scores.c projects a term's rows onto the blocks up to it). */
	int64_t scores_top;
	/* Prepared statements keyed by the address of their static SQL text. */
	const char *stmt_sql[STMT_CACHE_SLOTS];
	sqlite3_stmt *stmt[STMT_CACHE_SLOTS];
	/* Unions of score sets kept while the library stays as it was
	 * (db/scores.c: scores_or_slots). */
	struct db_set_memo {
		int64_t model;
		int64_t tag;
		int64_t lo, hi;      /* slots; the sizes' slices: a term's bounds */
		int64_t version;     /* PRAGMA data_version: other connections' commits */
		int64_t changes;     /* sqlite3_total_changes64: this one's writes */
		int64_t decoded;     /* bytes of rows it cost: a page's budget pays them */
		int64_t size;        /* its bitmap's bytes */
		roaring_bitmap_t *set;
	} memo[DB_SET_MEMOS];
	unsigned memo_next;
	int64_t memo_bytes;
};

/*
 * The cached, reset statement for this static SQL string, or NULL (error in
 * db_errmsg).  The statement stays owned by the cache.
 */
sqlite3_stmt *db_stmt(struct db *db, const char *sql);
/* Record the connection's current error; always returns false. */
bool db_fail(struct db *db, const char *what);
/* Step a statement expected to finish with SQLITE_DONE. */
bool db_step_done(struct db *db, sqlite3_stmt *st, const char *what);
/* Run SQL with no results (schema, pragmas). */
bool db_exec(struct db *db, const char *sql);

/* A tag name or pattern as an SQLite GLOB (to free): '[' and '?' are
 * literal, and so is '*' unless pattern (then it is the one wildcard).
 * The one spelling of "tag pattern" for search, rules and the posting
 * lists. */
char *db_glob_of(const char *tag, bool pattern);

/* The paths below folder as a range of BLOBs: lo <= path < hi (new
 * strings: "folder/" and "folder0", '0' following '/').  The one spelling
 * of "below a folder" in SQL. */
void db_folder_range(const char *folder, char **lo, char **hi);
/* Whether folder b lies strictly below folder a (trailing '/' ignored). */
bool db_folder_below(const char *a, const char *b);

/*
 * The MCut cut of one category's stored scores of a content under a model,
 * as an SQL expression (core/mcut.h: sorted descending, the first largest
 * drop p_t - p_t+1, cut halfway down it; one score: half of it; none: 1.0).
 * Ties on the drop go to the higher score, i.e. the first drop, as numpy's
 * argmax does.  The arithmetic is core/mcut.c's, in the same doubles, so the
 * two agree exactly.  Schema 5 stores it per answer (tagged.mcut_general,
 * tagged.mcut_character): changing it means a migration that recomputes.
 */
#define DB_MCUT_SQL(content, model, category) \
	"coalesce((SELECT CASE WHEN ns IS NULL THEN s / 2 ELSE (s + ns) / 2 END FROM" \
	" (SELECT pm.score AS s, lead(pm.score) OVER (ORDER BY pm.score DESC) AS ns" \
	" FROM predictions pm JOIN tags gm ON gm.id = pm.tag_id WHERE pm.content_id = " content \
	" AND pm.model_id = " model " AND gm.category = " category ")" \
	" ORDER BY ns IS NULL, s - ns DESC, s DESC LIMIT 1), 1.0)"

/* The Space's character MCut never cuts below 0.15 (MCUT_CHARACTER_FLOOR of
 * core/mcut.h, which db/ cannot include). */
#define DB_MCUT_CHARACTER_SQL(content, model) \
	"max(0.15, " DB_MCUT_SQL(content, model, "4") ")"
#define DB_MCUT_GENERAL_SQL(content, model) DB_MCUT_SQL(content, model, "0")

/*
 * Score bands (schema 12, db/postings.h): for every model, category
 * (general, character), side of the answer's MCut cut and band of score,
 * the images with an undecided prediction there.  A band is the whole
 * hundredths a score is above: band k holds the scores s with s > k/100
 * and not s > (k+1)/100 (band 99: every s > 0.99), computed so that for a
 * threshold t = k/100, "s > t" is exactly "band >= k" in the same doubles
 * the engine compares.  Scores not above 0 are in no band.  Set ids live
 * above DB_BAND_BASE; slot 127 of a (model, category) is the images whose
 * stored MCut cut of that category is approximate (core/tag/mcut.h), slot
 * 126 of (model, general) the images the model answered for.
 * Changing any of this means a migration that rebuilds the bands.
 */
#define DB_BAND_BASE INT64_C(1099511627776)
#define DB_BAND_BASE_SQL "1099511627776"
#define DB_BAND_INEXACT 127
/* Slot 126 of (model, general): the images the model answered for. */
#define DB_BAND_ANSWERED 126
#define DB_BAND_FLOOR_SQL(s) "CAST(" s " * 100 AS INTEGER)"
#define DB_BAND_OF_SQL(s) \
	"min(99, CASE WHEN " s " > (" DB_BAND_FLOOR_SQL(s) " + 1) / 100.0 THEN " \
	DB_BAND_FLOOR_SQL(s) " + 1 WHEN " s " > " DB_BAND_FLOOR_SQL(s) " / 100.0 THEN " \
	DB_BAND_FLOOR_SQL(s) " ELSE " DB_BAND_FLOOR_SQL(s) " - 1 END)"
/* Prediction p (tags g) above the MCut cut gen (general) or chr
 * (character); a NULL cut: not above. */
#define DB_BAND_SIDE_WITH_SQL(p, g, gen, chr) \
	"((CASE " g ".category WHEN 4 THEN " p ".score > " chr \
	" ELSE " p ".score > " gen " END) IS 1)"
/* ... above its answer's cut (its answer t LEFT JOINed). */
#define DB_BAND_SIDE_SQL(p, g, t) \
	DB_BAND_SIDE_WITH_SQL(p, g, t ".mcut_general", t ".mcut_character")
/* The (model, category) slot of prediction p: the first set id of 256. */
#define DB_BAND_SLOT_SQL(model, character) \
	"(" DB_BAND_BASE_SQL " + (" model " * 2 + (" character ")) * 256)"
/* The band set of prediction p (tags g, answer t), for g.category IN (0, 4)
 * and p.score > 0. */
#define DB_BAND_SET_SQL(p, g, t) \
	"(" DB_BAND_SLOT_SQL(p ".model_id", g ".category = 4") " + " \
	DB_BAND_SIDE_SQL(p, g, t) " * 128 + " DB_BAND_OF_SQL(p ".score") ")"
/* Predictions that are in a band. */
#define DB_BAND_PRED_SQL(p, g) g ".category IN (0, 4) AND " p ".score > 0"
/*
 * Score sets (schema 13, db/scores.h): per model and tag, the images whose
 * content has a prediction of the tag in each band of score (slot band+1:
 * DB_BAND_OF_SQL, scores not above 0 in slot 0), and those whose
 * prediction is above its answer's MCut cut (DB_SCORE_ABOVE); per tag
 * (model 0) the images with a decision on it (DB_SCORE_DECIDED); per model
 * (tag 0) the images it answered for (slot 0) and those of each rating
 * (slot 1 + rating).  Set id = DB_SCORE_BASE + (model * 2^28 + tag) * 128
 * + slot; models below 2^19 and tags below 2^28 (db/scores.c answers
 * nothing otherwise).  Changing any of this means a migration that
 * rebuilds the score sets.
 */
#define DB_SCORE_BASE (INT64_C(1) << 61)
#define DB_SCORE_BASE_SQL "2305843009213693952"
#define DB_SCORE_TAGS (INT64_C(1) << 28)
#define DB_SCORE_MODELS (INT64_C(1) << 19)
#define DB_SCORE_ABOVE 101
#define DB_SCORE_DECIDED 102
#define DB_SCORE_ANSWERED 0
#define DB_SCORE_RATED 1
#define DB_SCORE_SET_SQL(model, tag, slot) \
	"(" DB_SCORE_BASE_SQL " + ((" model ") * 268435456 + (" tag ")) * 128 + (" slot "))"
#define DB_SCORE_BAND_SQL(s) "(max(-1, " DB_BAND_OF_SQL(s) ") + 1)"
/* The band set and the above-the-cut set of prediction p. */
#define DB_SCORE_BAND_SET_SQL(p) \
	DB_SCORE_SET_SQL(p ".model_id", p ".tag_id", DB_SCORE_BAND_SQL(p ".score"))
#define DB_SCORE_ABOVE_SET_SQL(p) DB_SCORE_SET_SQL(p ".model_id", p ".tag_id", "101")
/*
 * Bit-sliced sets of an image's sizes (schema 17, db/slices.c), stored as
 * score sets of a model no answer has (DB_SLICES_MODEL; the score sets
 * answer nothing while a real model's id reaches it) and a tag per column
 * (DB_SLICES_SIZE, _WIDTH, _HEIGHT): slot 0 the images whose value is an
 * integer from 0 to 2^63 - 1, slot 1 + k those of them with bit k set, slot
 * DB_SLICES_ODD those with any other value (a real, a text, a blob, a
 * negative: SQL compares those).  Every image is in a column's slot 0 or
 * its slot DB_SLICES_ODD.  The log holds no entry per slot (some 19 an
 * image: 143 us more per image a scan inserts) but one per change, of set
 * DB_SLICES_VALUE and with the value's code for `present`: the value from
 * 0 up, DB_SLICES_CODE_ODD for any other, DB_SLICES_CODE_GONE for an image
 * deleted or moved to another id; scores.c expands it into the slots.
 */
#define DB_SLICES_MODEL (DB_SCORE_MODELS - 1)
#define DB_SLICES_MODEL_SQL "524287"
#define DB_SLICES_SIZE 1
#define DB_SLICES_WIDTH 2
#define DB_SLICES_HEIGHT 3
#define DB_SLICES_ODD 64
#define DB_SLICES_VALUE 65
#define DB_SLICES_CODE_ODD (-1)
#define DB_SLICES_CODE_GONE (-2)
/* The code of value v (scores.c's put_slices is the build's reading). */
#define DB_SLICES_CODE_SQL(v) \
	"(CASE WHEN typeof(" v ") = 'integer' AND " v " >= 0 THEN " v " ELSE -1 END)"
/* A numeric macro as SQL text. */
#define DB_SQL_NUM(x) DB_SQL_NUM_(x)
#define DB_SQL_NUM_(x) #x

/* The rating of answer t (argmax of its four scores, ties to the milder
 * label: 0 general .. 3 explicit); db_counts' and search's rule. */
#define DB_RATING_OF_SQL(t) \
	"(CASE WHEN " t ".rating_general >= max(" t ".rating_sensitive, " t ".rating_questionable," \
	" " t ".rating_explicit) THEN 0" \
	" WHEN " t ".rating_sensitive >= max(" t ".rating_questionable, " t ".rating_explicit) THEN 1" \
	" WHEN " t ".rating_questionable >= " t ".rating_explicit THEN 2 ELSE 3 END)"

/* Whether the stored scores of a category of a content under a model give
 * the Space's MCut cut (core/mcut.h's mcut_threshold_stored: at least two,
 * and the largest drop no smaller than the smallest score), as SQL. */
#define DB_MCUT_EXACT_SQL(content, model, category) \
	"coalesce((SELECT count(*) >= 2 AND max(s - ns) >= min(s) FROM" \
	" (SELECT px.score AS s, lead(px.score) OVER (ORDER BY px.score DESC) AS ns" \
	" FROM predictions px JOIN tags gx ON gx.id = px.tag_id WHERE px.content_id = " content \
	" AND px.model_id = " model " AND gx.category = " category ")), 0)"
/* An answer (content, model) with predictions whose MCut cut of category
 * is approximate: the approximate-MCut sets. */
#define DB_BAND_INEXACT_SQL(content, model, category) \
	"(EXISTS (SELECT 1 FROM predictions pe WHERE pe.content_id = " content \
	" AND pe.model_id = " model ") AND NOT " DB_MCUT_EXACT_SQL(content, model, category) ")"

/* schema.c */
int schema_latest(void);
bool schema_migrate(struct db *db, int from, int to);

#endif
