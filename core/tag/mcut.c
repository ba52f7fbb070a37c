/*
 * mcut.c — MCut threshold and its exactness on floor-cut scores.
 */
#include "core/tag/mcut.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static int
descending(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x < y) - (x > y);
}

/* Sorted copy without NaNs; *m is its length. */
static double *
sorted(const double *scores, size_t n, size_t *m)
{
	double *s = xreallocarray(NULL, n ? n : 1, sizeof *s);
	*m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isnan(scores[i])) {
			s[(*m)++] = scores[i];
		}
	}
	qsort(s, *m, sizeof *s, descending);
	return s;
}

/* Index t of the first largest drop s[t] - s[t+1]; m must be ≥ 2. */
static size_t
largest_drop(const double *s, size_t m)
{
	size_t t = 0;
	for (size_t i = 1; i + 1 < m; i++) {
		if (s[i] - s[i + 1] > s[t] - s[t + 1]) {
			t = i;
		}
	}
	return t;
}

/* Threshold of a sorted array, with the degenerate cases documented in
 * the header; *gap gets the largest drop (0 when there is none). */
static double
cut(const double *s, size_t m, double *gap)
{
	*gap = 0.0;
	if (m == 0) {
		return 1.0;
	}
	if (m == 1) {
		return s[0] / 2.0;
	}
	size_t t = largest_drop(s, m);
	*gap = s[t] - s[t + 1];
	return (s[t] + s[t + 1]) / 2.0;
}

double
mcut_threshold(const double *scores, size_t n)
{
	size_t m;
	double gap, *s = sorted(scores, n, &m);
	double t = cut(s, m, &gap);
	free(s);
	return t;
}

bool
mcut_threshold_stored(const double *scores, size_t n, double *threshold)
{
	size_t m;
	double gap, *s = sorted(scores, n, &m);
	*threshold = cut(s, m, &gap);
	/* Ties go to the earlier drop, so equality is still exact. */
	bool exact = m >= 2 && gap >= s[m - 1];
	free(s);
	return exact;
}

double
mcut_character(double threshold)
{
	return threshold > MCUT_CHARACTER_FLOOR ? threshold : MCUT_CHARACTER_FLOOR;
}
