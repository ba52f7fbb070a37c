/*
 * queue.h — what a batch run has to do, read from the library.
 *
 * A candidate is one content (a set of bytes) that lacks an answer from the
 * run's model; copies of the same bytes share one call.  An image that a
 * scan found unusable (failed with no tagging attempt) is never a candidate;
 * one that failed at the Spaces is retried by the next run.
 */
#ifndef TAGCON_DB_QUEUE_H
#define TAGCON_DB_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

struct db_candidate {
	int64_t image_id; /* one image holding the content */
	const char *path; /* borrowed for the callback */
	int width;        /* 0 when the scan could not tell */
	int height;
	int attempts;
	uint8_t hash[16]; /* the content's XXH3-128 */
};

/*
 * Every candidate below folder (a directory path, or NULL for every root)
 * for model, oldest first.  With force, contents that already have an answer
 * are candidates too.
 */
bool db_queue_candidates(struct db *db, const char *model, const char *folder, bool force,
    void (*fn)(void *ud, const struct db_candidate *c), void *ud);

/*
 * The images with these ids, in this order, as candidates whether or not
 * they have an answer (an ad-hoc job, core/batch/batch.h); those without
 * content (never hashed) or missing are left out.
 */
bool db_queue_images(struct db *db, const int64_t *ids, size_t n,
    void (*fn)(void *ud, const struct db_candidate *c), void *ud);

/* Images below folder the run skips because their content has an answer. */
bool db_queue_count_done(struct db *db, const char *model, const char *folder, int64_t *n);

/* An image (not missing) holding the content of hash: the first one, *id 0
 * when none is left. */
bool db_queue_image_of(struct db *db, const uint8_t hash[16], int64_t *id);

/* One more failed attempt; the image stays pending with the reason. */
bool db_queue_attempt_failed(struct db *db, int64_t image_id, const char *reason,
    int *attempts);
/* Out of attempts: every image with this content becomes failed, unless
 * what is stored for it says otherwise (an answer from any model: tagged; a
 * tag a person accepted: committed). */
bool db_queue_give_up(struct db *db, int64_t image_id, const char *reason);

#endif
