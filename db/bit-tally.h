/*
 * bit-tally.h — how many times each image is counted, up to a ceiling, over
 * bitmaps: ge[j] holds the images counted more than j times (a thermometer
 * code, so adding a bitmap is an AND and an OR per level, with no carries).
 * Used where "more of these than of those" settles an image without its
 * rows (bands.c: crossing bands against crossing ruled tags).
 */
#ifndef TAGCON_DB_BIT_TALLY_H
#define TAGCON_DB_BIT_TALLY_H

#include <roaring/roaring.h>
#include <stdbool.h>

/* Counts past this are "at least BIT_TALLY_MAX". */
#define BIT_TALLY_MAX 4

struct bit_tally {
	roaring_bitmap_t *ge[BIT_TALLY_MAX];
};

void bit_tally_init(struct bit_tally *t);
void bit_tally_fini(struct bit_tally *t);
/* Counts each image of b once more. */
void bit_tally_add(struct bit_tally *t, const roaring_bitmap_t *b);
/* The images a counts more often than b, as far as the ceiling tells:
 * some j with count_a > j >= count_b, j below the ceiling.  An image both
 * count at the ceiling or more is left out.  A new bitmap. */
roaring_bitmap_t *bit_tally_more(const struct bit_tally *a, const struct bit_tally *b);

#endif
