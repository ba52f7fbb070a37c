/*
 * screen-review.h — the Review screen: a chafa preview beside the image's
 * tags, and the keys that accept, reject, add, remove, undo and commit.
 */
#ifndef TAGCON_SCREEN_REVIEW_H
#define TAGCON_SCREEN_REVIEW_H

#include <stdint.h>

struct review;

/* Show image id. */
void review_screen_open(void *data, int64_t id);
/* Show the next pending (tagged, not committed) image after image from
 * (0: from the start) in the Library's folder and text filter. */
void review_screen_next(void *data, int64_t from);
/* The review on screen, or NULL (the Settings screen previews thresholds on it). */
const struct review *review_screen_review(void *data);

#endif
