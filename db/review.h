/*
 * review.h — writing what a person decided about an image's tags.
 *
 * A review ends in one transaction: every accepted, rejected or forgotten
 * tag of the image, and its state.  A rejection is a row like an
 * acceptance, so a rejected tag is never suggested again for that image,
 * whatever model or threshold comes later; taking a rejection back deletes
 * the row.
 */
#ifndef TAGCON_DB_REVIEW_H
#define TAGCON_DB_REVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/predictions.h"

struct db;

enum db_review_op {
	DB_REVIEW_ACCEPT, /* an accepted decision, with its source */
	DB_REVIEW_REJECT, /* a rejected decision (also how a committed tag is removed) */
	DB_REVIEW_FORGET, /* no decision: an earlier one taken back */
};

struct db_review_change {
	const char *tag;           /* canonical name */
	enum db_category category; /* for a name the library has never seen */
	enum db_review_op op;
	enum db_source source;
};

/*
 * Apply changes to image_id and mark it committed (reviewed by a person), in
 * one transaction: all of it is stored or none.  A failed or missing image
 * keeps its state.
 */
bool db_review_commit(struct db *db, int64_t image_id, const struct db_review_change *changes,
    size_t n);

/*
 * The image's decisions as a string that changes whenever one does (new
 * string; NULL on a database error): what a review saw when it opened.
 */
char *db_review_stamp(struct db *db, int64_t image_id);
/*
 * db_review_commit(), unless the image's decisions are no longer stamp
 * (another console or command committed it since): then nothing is
 * written, *stale is set and this returns false.  stamp NULL: no check.
 */
bool db_review_commit_if(struct db *db, int64_t image_id,
    const struct db_review_change *changes, size_t n, const char *stamp, bool *stale);

/*
 * Claims: the image a console has open under review.  A holder is this
 * process ("pid@host"); it holds at most one claim.  db_claim() takes
 * image_id for ttl seconds (renewing its own claim) unless another holder's
 * claim on it is still alive (*got false); db_claim_release() drops this
 * process's claim.  db_browse_next() passes over images claimed by others.
 */
const char *db_claim_holder(void);
bool db_claim(struct db *db, int64_t image_id, int ttl, bool *got);
bool db_claim_release(struct db *db);

/* Failed images back to new with their attempts reset, so the next batch
 * tries them again: image_id, or every failed image when it is 0. */
bool db_review_retry(struct db *db, int64_t image_id, int64_t *n);

/*
 * fn(ud, id, path) for every image a person committed (state committed,
 * not missing) whose content model answered for, by id: what calibration
 * learns from (core/tag/calibrate.h).  fn returns false to stop (and this
 * returns false).
 */
bool db_reviewed_each(struct db *db, const char *model,
    bool (*fn)(void *ud, int64_t id, const char *path), void *ud);

#endif
