/*
 * slices.h — width:, height: and size: terms counted from bit slices of
 * the images' sizes (schema 17; the layout: DB_SLICES_* in db-private.h).
 * A term's range becomes a comparison with a constant at each end, each a
 * pass over the bits from the highest (O'Neil and Quass's bit-sliced
 * index), one block of 65,536 images at a time.  Never included outside
 * db/.
 */
#ifndef TAGCON_DB_SLICES_H
#define TAGCON_DB_SLICES_H

#include <roaring/roaring.h>
#include <stdbool.h>
#include <stdint.h>

struct db;
struct search_node;
struct search_opts;

/* The integers term n (width:, height: or size:) admits, [*lo, *hi] within
 * 0 .. INT64_MAX, the way SQL compares an integer with the term's operand
 * (a real, exactly); false when it admits none. */
bool slices_bounds(const struct search_node *n, int64_t *lo, int64_t *hi);

/* The images term n matches under o, missing ones too: a new bitmap in
 * *out (NULL after an error), whatever a first page's budget (slices.c
 * says why).  The slices must be ready (scores_slices_ensure), read in the
 * caller's snapshot; values that are no integer from 0 up are compared by
 * SQL, by id.  False on a database error. */
bool slices_leaf(struct db *db, const struct search_node *n, const struct search_opts *o,
    roaring_bitmap_t **out);

/*
 * Where a page at offset k of among (the images a query matches) in sort
 * (SEARCH_SORT_SIZE, _WIDTH, _HEIGHT; by the value, then the id, both
 * descending or both not) begins: *value and *id, the k-th image's, so
 * that the page is the rows from (*value, *id) on in that order.  A radix
 * select down the bits: at each, the images still in the running that
 * hold it or do not, counted; then the k-th id among those of the value.
 * The slices of among are held at once, a bit of each image per slice
 * (some 14 MB for size at 5M images matched).  *value -1 when k is past
 * the last; *found false when the slices cannot tell (not stored, an odd
 * value among the matches).  In the caller's snapshot.
 */
bool slices_seek(struct db *db, int sort, const roaring_bitmap_t *among, int64_t k,
    bool descending, int64_t *value, int64_t *id, bool *found);

#endif
