/*
 * scores-private.h — what scores.c (the score sets: storage, build, fold,
 * score: and rating: terms) and scores-suggest.c (the suggested: term
 * under rules and folder overrides) share.  Never included outside db/.
 */
#ifndef TAGCON_DB_SCORES_PRIVATE_H
#define TAGCON_DB_SCORES_PRIVATE_H

#include <roaring/roaring.h>
#include <stdbool.h>
#include <stdint.h>

struct bit_tally;
struct db;
struct search_node;
struct search_opts;

/* A term over more tags than this is left to plain SQL. */
#define SCORES_MAX_TAGS 16

/* The union of slots lo..hi of the set group (model, tag) as it is now
 * (stored blocks with the log applied), into out: slots of one kind, where
 * an image is in one at most (bands, ratings; not the sizes' slices).  Charged to a first
 * page's budget; past it nothing more is read (db->scores_over). */
bool scores_or_slots(struct db *db, int64_t model, int64_t tag, int lo, int hi,
    roaring_bitmap_t *out);
/*
 * The sets a connection keeps (db->memo) while the library stays as it was:
 * a union of score sets (scores_or_slots), a size term's images (slices.c).
 * scores_memo_find ORs the one kept under k's key into out (*hit), charging
 * a first page's budget what it cost to read, and stamps k with the
 * library's state; scores_memo_put keeps r (owned) under the key and stamp
 * when it cost `decoded` bytes or more to read and may be kept, else frees
 * it.
 */
struct scores_memo_key {
	int64_t model, tag, lo, hi;
	int64_t version, changes; /* the stamp */
	bool keep;
};
void scores_memo_find(struct db *db, struct scores_memo_key *k, roaring_bitmap_t *out,
    bool *hit);
void scores_memo_put(struct db *db, const struct scores_memo_key *k, int64_t decoded,
    roaring_bitmap_t *r);
/* Every block of (model, tag) with a stored row or a log entry, in order:
 * fn(ud, block, slot) with the block's slots lo..hi as they are (slot[0]
 * is lo's; NULL: empty), read in the caller's snapshot.  Rows are charged
 * to a first page's budget; past it no more is read (db->scores_over).
 * Their bytes are added to *decoded.
 * Any slots: an image may be in several (the sizes' bit slices). */
bool scores_each_block(struct db *db, int64_t model, int64_t tag, int lo, int hi,
    bool (*fn)(void *ud, int64_t block, roaring_bitmap_t *const *slot), void *ud,
    int64_t *decoded);
/* *ready when the sizes' slices (db/slices.h) can answer: the score sets
 * complete and the slices among them, stored now when they are not,
 * `build` says so, and the caller is in no transaction (a library from
 * before schema 17).  The score sets themselves are never built here. */
bool scores_slices_ensure(struct db *db, bool build, bool *ready);
/* A first page's budget off (scores_budget_suspend returns it) and back:
 * around a read never charged to it, whose caller says why. */
int64_t scores_budget_suspend(struct db *db);
void scores_budget_resume(struct db *db, int64_t budget);
/* One slot of (model, tag), a new bitmap; NULL on error. */
roaring_bitmap_t *scores_load_set(struct db *db, int64_t model, int64_t tag, int slot);
/* The images with a prediction of tag (model) whose score is > x (>= x
 * when ge), into out: whole bands, and the one band x falls in from the
 * (tag, score) index. */
bool scores_above(struct db *db, int64_t model, int64_t tag, double x, bool ge,
    roaring_bitmap_t *out);

/* suggested:NAME (or a pattern) under o: a new bitmap in *out, among
 * shown, or NULL when the sets cannot tell (max_tags over a general tag,
 * too many tags, a rule row no tagcon writes).  False on a database
 * error. */
bool scores_suggested(struct db *db, const struct search_node *n, const struct search_opts *o,
    int64_t model, const roaring_bitmap_t *shown, roaring_bitmap_t **out);

/* For the library count (search-count.c), the tags rules touch among
 * outside: *plain, what its histogram counted for them, and *ruled, the
 * (image, name) pairs the rules make of them and of the pins.  *answered
 * false when the sets cannot tell (max_tags, a name of too many tags). */
bool scores_pending_ruled(struct db *db, const struct search_opts *o, int64_t model,
    const roaring_bitmap_t *outside, int64_t *ruled, int64_t *plain, bool *answered);

/* A range of scores, (a, z] (infinite ends: open), on one side of the
 * answer's MCut cut (side 1: above it), in one category. */
struct scores_cross {
	bool character;
	int side;
	double a;
	double z;
};

/* For the images a change of the global cuts from old to cand changes
 * (bands.c), the tags rules touch: into *diff the images where one of the
 * names they become, or a pinned name, is suggested under one but not the
 * other, among shown; counted into *cross, each image of among (NULL:
 * any) once per such tag with an undecided prediction in a range of x.
 * *answered false when the sets cannot tell (max_tags, a name of too many
 * tags). */
bool scores_ruled_change(struct db *db, const struct search_opts *old,
    const struct search_opts *cand, int64_t model, const roaring_bitmap_t *shown,
    const struct scores_cross *x, size_t n_x, roaring_bitmap_t *diff,
    const roaring_bitmap_t *among, struct bit_tally *cross, bool *answered);

/* The images where an undecided prediction of tag (of category character
 * or general) lies in a range of x, into out. */
bool scores_crossing(struct db *db, int64_t model, int64_t tag, bool character,
    const struct scores_cross *x, size_t n_x, roaring_bitmap_t *out);

#endif
