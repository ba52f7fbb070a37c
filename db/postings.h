/*
 * postings.h — exact counts of tag queries from posting lists: for every
 * tag the images that have it committed, and the images not missing, as
 * compressed bitmaps (CRoaring) beside the SQLite truth.
 *
 * The bitmaps are derived, never the truth.  They live in the database
 * (table postings, schema 10) with a log of changes (postings_log) that
 * triggers on decisions and images append in the very transaction that
 * makes the change, whoever writes (tagcon, a script, the sqlite3 shell):
 * a crash at any moment leaves bitmaps and log as consistent as the rows
 * they derive from.  A reader loads the bitmaps it needs and applies the
 * log on top; the log is folded into the bitmaps when it grows.  They are
 * built lazily, by the first count that needs them, in short write
 * transactions (a writer beside it never waits long; a migration of a
 * million-image library stays instant).  Negative set ids in postings
 * are the build's own marks (postings.c).
 *
 * What they answer: tag terms (exact names with their aliases, category
 * restricted, `*` patterns), state: and orientation: terms (the images in
 * each state are sets too, schema 14, and of each orientation, 15),
 * folder: terms (their images read from the path index in the same
 * snapshot), NOT, AND, OR and the empty query, counted over the images not
 * missing (every image under a state term, as SQL counts them); with the
 * score sets (db/scores.h) suggested:, score:, rating:, model: and the
 * rating filter.  Anything else (source:, path:, sizes) is left to plain
 * SQL: *answered comes back false.
 *
 * TAGCON_POSTINGS=off in the environment turns them off (plain SQL for
 * every count): the tests and benchmarks compare the two.
 * TAGCON_POSTINGS_CHUNK=N builds in transactions of N rows (tests).
 */
#ifndef TAGCON_DB_POSTINGS_H
#define TAGCON_DB_POSTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "db/search.h"

struct db;

/* Whether TAGCON_POSTINGS allows them (anything but "off"). */
bool db_postings_enabled(void);

/*
 * The number of images q matches, as db_search_count() would give it, when
 * the bitmaps can answer q under o (*answered true); otherwise *answered is
 * false and *n untouched.  With build, what they need is built first (a
 * minute at a million images for the score sets, once); without, a
 * caller with a plain count of its own is not made to wait for that.
 * False on a database error.
 */
bool db_postings_count(struct db *db, const struct search_node *q, const struct search_opts *o,
    bool build, int64_t *n, bool *answered);

/* A uniform draw among the images q matches under o, when the bitmaps can
 * answer q (*answered): the k-th by id, k = pick(ud, n) in [0, n) for
 * their number n; *id -1 when there are none.  False on a database
 * error. */
bool db_postings_nth(struct db *db, const struct search_node *q, const struct search_opts *o,
    uint64_t (*pick)(void *ud, uint64_t n), void *ud, int64_t *id, bool *answered);

/* For writers, after a commit: fold the log when it has grown long (an
 * answer moves its image from one state set to another: a batch would
 * leave two entries an image for the first count).  Never builds; nothing
 * inside the caller's transaction. */
bool db_postings_fold_if_due(struct db *db);

/* Build the bitmaps when they are not complete (never built, or a build
 * was killed), else fold the log into them; write transactions of its own
 * (not inside another).  True also when another build took over. */
bool db_postings_fold(struct db *db);

/* Every bitmap, with the log applied, against the rows it derives from
 * (tests, and after a crash): *same when all agree; *built false when
 * nothing was built yet (then nothing is compared). */
bool db_postings_check(struct db *db, bool *built, bool *same);

#endif
