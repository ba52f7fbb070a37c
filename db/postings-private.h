/*
 * postings-private.h — what the posting lists (postings.c: tags) and the
 * score bands (bands.c) share: the table of bitmaps, its log, and sets of
 * bitmaps by id.  Never included outside db/.
 */
#ifndef TAGCON_DB_POSTINGS_PRIVATE_H
#define TAGCON_DB_POSTINGS_PRIVATE_H

#include <roaring/roaring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct search_node;
struct search_opts;
struct sqlite3_stmt;

/* The images not missing. */
#define POSTINGS_SET_SHOWN 0
/* The images in state k (0..4): set -16 - k (schema 14).  Below the
 * build's marks (-1 to -4), above no tag: tags' ids are positive. */
#define POSTINGS_STATE_SET(k) (-16 - (int64_t)(k))
#define POSTINGS_STATE_SET_SQL(k) "(-16 - " k ")"
/* Whether value v is a state with a set: an integer from 0 to 4. */
#define POSTINGS_A_STATE(v) "(typeof(" v ") = 'integer' AND " v " BETWEEN 0 AND 4)"
/* The images of orientation k (0 unknown .. 3 square): set -24 - k
 * (schema 15), below the state sets. */
#define POSTINGS_ORIENT_SET(k) (-24 - (int64_t)(k))
#define POSTINGS_ORIENT_SET_SQL(k) "(-24 - " k ")"
#define POSTINGS_AN_ORIENT(v) "(typeof(" v ") = 'integer' AND " v " BETWEEN 0 AND 3)"
/* Whether set id v is a state set, an orientation set. */
#define POSTINGS_STATE_SETS(v) "(" v " BETWEEN -20 AND -16)"
#define POSTINGS_ORIENT_SETS(v) "(" v " BETWEEN -27 AND -24)"

/* Open addressing over set ids; never shrinks, few hundred entries at most
 * for a query, every touched set for a fold. */
struct sets {
	int64_t *keys;
	roaring_bitmap_t **vals;
	size_t cap;
	size_t n;
};

/* The bitmap of set key in s, or NULL. */
roaring_bitmap_t *sets_get(const struct sets *s, int64_t key);
/* Put r (owned from now on) as set key, freeing one there before. */
void sets_put(struct sets *s, int64_t key, roaring_bitmap_t *r);
void sets_free(struct sets *s);

/* Step st (image ids in its first column) to its end and reset it, every
 * id that fits 32 bits into out. */
bool postings_ids_into(struct db *db, struct sqlite3_stmt *st, roaring_bitmap_t *out);
/* What an index row costs to read, as bytes of sets (postings.c's
 * scores_budget()): a step in the (tag, score) index and one into images,
 * some 0.8 to 1 us (40,000 rows, one hundredth of a dense tag at 5M
 * images, 33 ms), as a row a plain plan walks costs (postings.c's
 * ROW_BYTES).  At four bytes (an id's) a page's budget let 16,000 rows be
 * read in vain before SQL was asked: score:1girl=0.5's first page at 5M,
 * 14 ms in SQL's plan, took 31. */
#define POSTINGS_INDEX_ROW_BYTES 1024
/* The image ids of the index rows st gives (its parameter `limit` still to
 * bind) into out.  Under a first page's budget (db->scores_budget >= 0)
 * they are charged to it, POSTINGS_INDEX_ROW_BYTES a row, and past it none
 * is read (db->scores_over): the plain plan may walk its hundred rows in
 * 0.3 ms. */
bool postings_index_ids_into(struct db *db, struct sqlite3_stmt *st, int limit,
    roaring_bitmap_t *out);
/* The images q matches under o (not missing, within the rating filter):
 * a new bitmap in *out when the bitmaps answer q under a first page's
 * budget, else NULL (never builds).  Exact in the snapshot it was read
 * in: a caller reading rows with it holds one transaction over both. */
bool postings_match(struct db *db, const struct search_node *q, const struct search_opts *o,
    roaring_bitmap_t **out);
/* The same without a budget: every built set is read (a deep page's
 * seek, search.c). */
bool postings_match_all(struct db *db, const struct search_node *q, const struct search_opts *o,
    roaring_bitmap_t **out);
/* The folds postings_match() would make for q under o (the tag lists' log,
 * the score sets'), made now: a caller that reads the page in a snapshot of
 * its own calls it first, since nothing is written inside one. */
bool postings_fold_for(struct db *db, const struct search_node *q, const struct search_opts *o);
/* r's ids as a JSON array, for SQLite's json_each (a new string). */
char *postings_json_ids(const roaring_bitmap_t *r);
/* Set id's stored bitmap (empty when it has no row); NULL after an error. */
roaring_bitmap_t *postings_load(struct db *db, int64_t id);
/* Load set id into s unless it is there (its stored row kept by the
 * connection under this model in db->memo's keys: no model's id). */
#define POSTINGS_MEMO_MODEL INT64_MIN
bool postings_want(struct db *db, struct sets *s, int64_t id);
/* Store r as set id (no row when empty). */
bool postings_store(struct db *db, int64_t id, roaring_bitmap_t *r);
/* The log on top of the sets in s, in order; with all, every set below
 * `below` the log names is loaded first (a fold), else the sets not in s
 * are skipped (a query). */
bool postings_apply_log(struct db *db, struct sets *s, bool all, int64_t below);

/* A build's token: the time it began, in nanoseconds. */
int64_t postings_new_token(void);
/* Whether the token stored as set id is token. */
bool postings_token_is(struct db *db, int64_t id, int64_t token, bool *same);
/* Whether the first column of st's row (st stepped once, then reset) is
 * token: a token kept in another table. */
bool postings_token_row_is(struct db *db, struct sqlite3_stmt *st, int64_t token, bool *same);
/* One step of a build in a write transaction of its own: fn after
 * token_is says the token is still this build's; *lost (and nothing
 * done) when another build took over. */
bool postings_in_write(struct db *db, bool (*token_is)(struct db *db, int64_t token, bool *same),
    int64_t token, bool (*fn)(struct db *db, void *ud), void *ud, bool *lost);

/* A family's fold (the tags' lists, the score sets): its build when it
 * was never completed (ready_sql, one value, is not 1), else fold_log in a
 * write transaction of its own, where ready_sql is asked again (a build
 * may have started since). */
bool postings_fold_with(struct db *db, const char *ready_sql, bool (*build)(struct db *db),
    bool (*fold_log)(struct db *db));

/* Fold the log when it is long, or build the tags' lists when they are
 * not, if the caller is in no transaction (a busy database: not now). */
bool postings_fold_if_due(struct db *db);

/* ---- score sets (scores.c), for the queries of postings.c ---- */

struct search_node;
struct search_opts;

/* *ready when the score sets are complete and can answer (every id fits),
 * building them first when they are not, `build` says so, and the caller
 * is in no transaction. */
bool scores_ensure(struct db *db, bool build, bool *ready);
/* The images term n (SEARCH_SCORE, SEARCH_SUGGESTED, SEARCH_RATING)
 * matches under o, with the current model's id (<= 0: none), the term's
 * tag ids (search.c's resolution; suggested: finds its own, the names
 * aliases turn into its name) and the images shown: a new bitmap in *out,
 * or NULL when the sets cannot tell (max_tags over a general tag, too many
 * tags, a first page's budget spent).  Tag rules and folder overrides are
 * followed (scores-suggest.c).  In the caller's snapshot.  False on a
 * database error. */
bool scores_leaf(struct db *db, const struct search_node *n, const int64_t *tags, size_t n_tags,
    const struct search_opts *o, int64_t model, const roaring_bitmap_t *shown,
    roaring_bitmap_t **out);
/* The images the model rates above max (enum rating); NULL on error. */
roaring_bitmap_t *scores_rated_above(struct db *db, int64_t model, int max);
/* For the library count of pending suggestions (search-count.c): the
 * correction for the tags rules touch, outside o's overrides, from the
 * score sets in one snapshot (scores_pending_ruled): *answered false when
 * they are not built or cannot tell; they are never built here. */
bool postings_pending_ruled(struct db *db, const struct search_opts *o, int64_t *ruled,
    int64_t *plain, bool *answered);

#endif
