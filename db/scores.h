/*
 * scores.h — score sets: the posting lists of what the model said, so
 * that suggested:, score: and rating: terms and the rating filter are
 * counted from bitmaps like tag terms (db/postings.h).
 *
 * Per model and tag: the images whose content has a prediction of the tag
 * in each hundredth band of score (the bands of db-private.h), and those
 * whose prediction is above its answer's MCut cut.  Per tag: the images
 * with a decision on it.  Per model: the images it answered for, and
 * those of each rating.  Set ids and the SQL of each set are in
 * db-private.h (DB_SCORE_*), the triggers that log every change in
 * schema.c (schema 13).
 *
 * Stored per block of 65,536 image ids in table scores, with a log of
 * their own (scores_log, indexed by set): a reader loads the blocks of the
 * sets it needs and applies their entries; a fold rewrites only the
 * blocks the log touches, so a batch answering new images rewrites the
 * last block of each set, not whole sets.  Built lazily by the first count
 * that needs them, one block per short write transaction; a crash at any
 * moment leaves sets and log as right as the rows.  Derived, never the
 * truth: db_scores_check() compares them with the rows.
 *
 * Not followed: a change of a tag's category (tagcon never makes one);
 * a script that makes one should rebuild them (db_scores_build).
 */
#ifndef TAGCON_DB_SCORES_H
#define TAGCON_DB_SCORES_H

#include <stdbool.h>

struct db;

/* Build the score sets now (forgetting any there were). */
bool db_scores_build(struct db *db);

/* Fold the log into the sets, or build them when they are not complete;
 * write transactions of its own. */
bool db_scores_fold(struct db *db);

/* For writers, after a commit: fold the log when it has grown long; when
 * the sets were never completed and the log grows past what a build would
 * cost, stop logging (the next count builds them again).  Nothing inside
 * the caller's transaction.  Cheap when there is nothing to do. */
bool db_scores_fold_if_due(struct db *db);

/* Every stored set with its log applied against the rows (tests, after a
 * crash): *built false when no build completed (nothing compared). */
bool db_scores_check(struct db *db, bool *built, bool *same);

#endif
