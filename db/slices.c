/*
 * slices.c — width:, height: and size: from the sizes' bit slices
 * (slices.h).  A column's slot 0 holds the images with an integer value
 * from 0 up, slot 1 + k those with bit k of it set: a range is a pass over
 * the bits from the highest for each of its ends.  An index read of the
 * same range was an SQLite step per matching image: 241 ms for size:>2mb
 * at 5M images.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db/db-private.h"
#include "db/postings-private.h"
#include "db/scores-private.h"
#include "db/search-private.h"
#include "db/slices.h"
#include "common/xalloc.h"

/* 2^63 as a double: the first value past every int64. */
#define TWO63 9223372036854775808.0

bool
slices_bounds(const struct search_node *n, int64_t *lo, int64_t *hi)
{
	/* An operand SQL binds as NULL (NaN) matches nothing, as SQL has it. */
	double a = n->lo, z = n->cmp == SEARCH_RANGE ? n->hi : n->lo;
	if (isnan(a) || isnan(z)) {
		return false;
	}
	/* v >= ceil(a) from below, v <= floor(z) from above; > and < one past. */
	double from = 0, to = TWO63;
	bool strict_from = false, strict_to = false;
	switch (n->cmp) {
	case SEARCH_EQ: from = a; to = a; break;
	case SEARCH_GT: from = a; strict_from = true; break;
	case SEARCH_GE: from = a; break;
	case SEARCH_LT: to = a; strict_to = true; break;
	case SEARCH_LE: to = a; break;
	case SEARCH_RANGE: from = a; to = z; break;
	}
	if (from >= TWO63 || to < 0 || (strict_to && to <= 0)) {
		return false;
	}
	/* One past in integers: past 2^53 a double has no room for it. */
	if (from < 0) {
		*lo = 0;
	} else if (strict_from) {
		*lo = (int64_t)floor(from) + 1; /* from < 2^63: at most 2^63 - 1024 */
	} else if (ceil(from) >= TWO63) {
		return false;
	} else {
		*lo = (int64_t)ceil(from);
	}
	if (to >= TWO63) {
		*hi = INT64_MAX;
	} else {
		*hi = strict_to ? (int64_t)ceil(to) - 1 : (int64_t)floor(to);
	}
	return *lo <= *hi;
}

/*
 * The images of eq (consumed) whose value is >= c (ge) or <= c, a new
 * bitmap: from the highest bit down, an image that agrees with c so far
 * (eq) and holds a 1 where c has a 0 is greater, a 0 where c has a 1
 * smaller; past the last bit, eq equals c.  bit[k] is bit k's images
 * (NULL: none).
 */
static roaring_bitmap_t *
compare(roaring_bitmap_t *eq, roaring_bitmap_t *const *bit, uint64_t c, bool ge)
{
	roaring_bitmap_t *res = roaring_bitmap_create();
	for (int k = 62; k >= 0 && !roaring_bitmap_is_empty(eq); k--) {
		const roaring_bitmap_t *b = bit[k];
		if ((c >> k & 1) != 0) {
			if (b == NULL) {
				if (!ge) {
					roaring_bitmap_or_inplace(res, eq);
				}
				roaring_bitmap_clear(eq);
				break;
			}
			if (!ge) {
				roaring_bitmap_t *x = roaring_bitmap_andnot(eq, b);
				roaring_bitmap_or_inplace(res, x);
				roaring_bitmap_free(x);
			}
			roaring_bitmap_and_inplace(eq, b);
		} else if (b != NULL) {
			if (ge) {
				roaring_bitmap_t *x = roaring_bitmap_and(eq, b);
				roaring_bitmap_or_inplace(res, x);
				roaring_bitmap_free(x);
			}
			roaring_bitmap_andnot_inplace(eq, b);
		}
	}
	roaring_bitmap_or_inplace(res, eq);
	roaring_bitmap_free(eq);
	return res;
}

struct pass {
	int64_t lo, hi;
	roaring_bitmap_t *out;
	roaring_bitmap_t *odd;
};

/* One block's slots (slot[0] .. slot[DB_SLICES_ODD]) through the range. */
static bool
block_pass(void *ud, int64_t block, roaring_bitmap_t *const *slot)
{
	(void)block;
	struct pass *p = ud;
	if (slot[DB_SLICES_ODD] != NULL) {
		roaring_bitmap_or_inplace(p->odd, slot[DB_SLICES_ODD]);
	}
	if (slot[0] == NULL || p->lo > p->hi) {
		return true;
	}
	roaring_bitmap_t *r = roaring_bitmap_copy(slot[0]);
	if (p->lo > 0) {
		r = compare(r, slot + 1, (uint64_t)p->lo, true);
	}
	if (p->hi < INT64_MAX) {
		r = compare(r, slot + 1, (uint64_t)p->hi, false);
	}
	roaring_bitmap_or_inplace(p->out, r);
	roaring_bitmap_free(r);
	return true;
}

/*
 * The slices are read whole, never charged to a first page's budget
 * (scores_budget_suspend): their cost is bounded (a slice per bit of the
 * values, some 14 MB at 5M images for size:, then kept by the connection),
 * where SQL's plan for a range walks its index and sorts what it finds
 * (height:1000..1100 size:<1mb -solo by path: 3.8 s at 5M).
 */

/* The images of odd that n matches, by SQL (the term's own), into out. */
static bool
odd_matches(struct db *db, const struct search_node *n, const struct search_opts *o,
    const roaring_bitmap_t *odd, roaring_bitmap_t *out)
{
	struct compile c;
	bool ok = search_compile_term(&c, db, n, o);
	char *sql = ok ? xasprintf("SELECT i.id FROM images i WHERE i.id IN"
	    " (SELECT value FROM json_each(?%zu)) AND %s", c.n_params + 1, c.where.s) : NULL;
	sqlite3_stmt *st = sql != NULL ? search_prepare(&c, sql) : NULL;
	char *ids = st != NULL ? postings_json_ids(odd) : NULL;
	ok = ids != NULL && sqlite3_bind_text(st, (int)c.n_params + 1, ids, -1, SQLITE_TRANSIENT)
	    == SQLITE_OK && postings_ids_into(db, st, out);
	free(ids);
	sqlite3_finalize(st);
	free(sql);
	search_compile_fini(&c);
	return ok;
}

bool
slices_leaf(struct db *db, const struct search_node *n, const struct search_opts *o,
    roaring_bitmap_t **out)
{
	int64_t tag = n->kind == SEARCH_SIZE ? DB_SLICES_SIZE : n->kind == SEARCH_WIDTH
	    ? DB_SLICES_WIDTH : DB_SLICES_HEIGHT;
	struct pass p = {.out = roaring_bitmap_create(), .odd = roaring_bitmap_create()};
	if (!slices_bounds(n, &p.lo, &p.hi)) {
		/* No integer: the odd values alone may match (a text is greater
		 * than any number). */
		p.lo = 1;
		p.hi = 0;
	}
	/* Kept by the connection as a union of score sets is (the filter bar
	 * counts the same term again as a query is typed on): the slices
	 * outgrow SQLite's page cache past a million images. */
	struct scores_memo_key key = {.model = DB_SLICES_MODEL, .tag = tag, .lo = p.lo, .hi = p.hi};
	bool hit, ok = true;
	int64_t decoded = 0, budget = scores_budget_suspend(db);
	scores_memo_find(db, &key, p.out, &hit);
	if (!hit) {
		ok = scores_each_block(db, DB_SLICES_MODEL, tag, 0, DB_SLICES_ODD, block_pass, &p,
		    &decoded) && (roaring_bitmap_is_empty(p.odd) ||
		    odd_matches(db, n, o, p.odd, p.out));
	}
	scores_budget_resume(db, budget);
	roaring_bitmap_free(p.odd);
	if (!ok) {
		roaring_bitmap_free(p.out);
		*out = NULL;
		return false;
	}
	if (!hit) {
		scores_memo_put(db, &key, decoded, roaring_bitmap_copy(p.out));
	}
	*out = p.out;
	return true;
}

/* The slots of every block, each AND-ed with among, OR-ed into slot. */
struct gather {
	const roaring_bitmap_t *among;
	roaring_bitmap_t *slot[DB_SLICES_ODD + 1];
};

static bool
gather_block(void *ud, int64_t block, roaring_bitmap_t *const *slot)
{
	(void)block;
	struct gather *g = ud;
	for (int k = 0; k <= DB_SLICES_ODD; k++) {
		if (slot[k] == NULL) {
			continue;
		}
		roaring_bitmap_t *x = roaring_bitmap_and(slot[k], g->among);
		if (g->slot[k] == NULL) {
			g->slot[k] = x;
		} else {
			roaring_bitmap_or_inplace(g->slot[k], x);
			roaring_bitmap_free(x);
		}
	}
	return true;
}

bool
slices_seek(struct db *db, int sort, const roaring_bitmap_t *among, int64_t k,
    bool descending, int64_t *value, int64_t *id, bool *found)
{
	*found = false;
	bool ready;
	if (!scores_slices_ensure(db, false, &ready)) {
		return false;
	}
	if (!ready || k < 0) {
		return true;
	}
	int64_t tag = sort == SEARCH_SORT_SIZE ? DB_SLICES_SIZE : sort == SEARCH_SORT_WIDTH
	    ? DB_SLICES_WIDTH : DB_SLICES_HEIGHT;
	struct gather g = {.among = among};
	int64_t decoded = 0, budget = scores_budget_suspend(db);
	bool ok = scores_each_block(db, DB_SLICES_MODEL, tag, 0, DB_SLICES_ODD, gather_block, &g,
	    &decoded);
	scores_budget_resume(db, budget);
	roaring_bitmap_t *c = g.slot[0];
	/* An odd value sorts among the numbers (a real) or past them all: SQL
	 * sorts those. */
	bool odd = g.slot[DB_SLICES_ODD] != NULL && !roaring_bitmap_is_empty(g.slot[DB_SLICES_ODD]);
	uint64_t r = (uint64_t)k;
	if (ok && !odd && (c == NULL || r >= roaring_bitmap_get_cardinality(c))) {
		*value = -1; /* past the last */
		*found = true;
	} else if (ok && !odd) {
		/* Descending, the images holding the bit come first, else those
		 * without it. */
		uint64_t v = 0;
		for (int b = 62; b >= 0; b--) {
			const roaring_bitmap_t *bit = g.slot[1 + b];
			roaring_bitmap_t *ones = bit != NULL ? roaring_bitmap_and(c, bit)
			    : roaring_bitmap_create();
			uint64_t n1 = roaring_bitmap_get_cardinality(ones);
			uint64_t n0 = roaring_bitmap_get_cardinality(c) - n1;
			bool one = descending ? r < n1 : r >= n0;
			if (one) {
				r -= descending ? 0 : n0;
				roaring_bitmap_free(c);
				c = ones;
				v |= UINT64_C(1) << b;
			} else {
				r -= descending ? n1 : 0;
				roaring_bitmap_andnot_inplace(c, ones);
				roaring_bitmap_free(ones);
			}
		}
		/* c: the images of value v; the r-th of them in id order. */
		uint64_t n = roaring_bitmap_get_cardinality(c);
		uint32_t at;
		if (roaring_bitmap_select(c, (uint32_t)(descending ? n - 1 - r : r), &at)) {
			*value = (int64_t)v;
			*id = at;
			*found = true;
		}
	}
	if (c != NULL) {
		roaring_bitmap_free(c);
	}
	for (int s = 1; s <= DB_SLICES_ODD; s++) {
		if (g.slot[s] != NULL) {
			roaring_bitmap_free(g.slot[s]);
		}
	}
	return ok;
}
