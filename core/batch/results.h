/*
 * results.h — a tagger's answer into the library.
 */
#ifndef TAGCON_RESULTS_H
#define TAGCON_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

struct answer;
struct db;

/*
 * Store answer a for the content of image_id under model, in one
 * transaction: the four rating scores apart, every other score (already
 * at or above floor) as a prediction of its category.  Then, under
 * review_mode auto or auto-above, commit what the mode accepts on every
 * image holding that content (review_autocommit(), core/tag/review.h).
 */
bool results_store(struct db *db, int64_t image_id, const char *model, double floor,
    const char *space, const struct answer *a);

#endif
