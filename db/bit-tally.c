/*
 * bit-tally.c — counts per image to a ceiling over CRoaring bitmaps.
 */
#include "db/bit-tally.h"

void
bit_tally_init(struct bit_tally *t)
{
	for (int j = 0; j < BIT_TALLY_MAX; j++) {
		t->ge[j] = roaring_bitmap_create();
	}
}

void
bit_tally_fini(struct bit_tally *t)
{
	for (int j = 0; j < BIT_TALLY_MAX; j++) {
		roaring_bitmap_free(t->ge[j]);
		t->ge[j] = NULL;
	}
}

void
bit_tally_add(struct bit_tally *t, const roaring_bitmap_t *b)
{
	/* Top down, so each level sees the one below as it was before b. */
	for (int j = BIT_TALLY_MAX - 1; j > 0; j--) {
		if (roaring_bitmap_intersect(t->ge[j - 1], b)) {
			roaring_bitmap_t *up = roaring_bitmap_and(t->ge[j - 1], b);
			roaring_bitmap_or_inplace(t->ge[j], up);
			roaring_bitmap_free(up);
		}
	}
	roaring_bitmap_or_inplace(t->ge[0], b);
}

roaring_bitmap_t *
bit_tally_more(const struct bit_tally *a, const struct bit_tally *b)
{
	roaring_bitmap_t *r = roaring_bitmap_create();
	for (int j = 0; j < BIT_TALLY_MAX; j++) {
		roaring_bitmap_t *d = roaring_bitmap_andnot(a->ge[j], b->ge[j]);
		roaring_bitmap_or_inplace(r, d);
		roaring_bitmap_free(d);
	}
	return r;
}
