/* test-mcut.c — MCut as the Space computes it, and its exactness on
 * floor-cut scores (DESIGN.md §3). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/tag/mcut.h"
#include "tests/unit/check.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The Space's own MCut over every score, written the numpy way. */
static double
reference(const double *p, size_t n)
{
	if (n < 2) {
		return n == 1 ? p[0] / 2 : 1.0;
	}
	double *s = malloc(n * sizeof *s);
	memcpy(s, p, n * sizeof *s);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (s[j] > s[i]) {
				double t = s[i];
				s[i] = s[j];
				s[j] = t;
			}
		}
	}
	size_t t = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] - s[i + 1] > s[t] - s[t + 1]) {
			t = i;
		}
	}
	double th = (s[t] + s[t + 1]) / 2;
	free(s);
	return th;
}

static void
test_basic(void)
{
	double a[] = {0.1, 0.95, 0.9, 0.3, 0.85};
	/* sorted .95 .9 .85 .3 .1: largest drop .85→.3 */
	CHECK_NEAR(mcut_threshold(a, N(a)), 0.575, 1e-12);
	/* ties: first drop wins (.9→.6 and .6→.3 both 0.3) */
	double b[] = {0.3, 0.9, 0.6};
	CHECK_NEAR(mcut_threshold(b, N(b)), 0.75, 1e-12);
	double c[] = {0.5};
	CHECK_NEAR(mcut_threshold(c, 1), 0.25, 1e-12);
	CHECK_NEAR(mcut_threshold(NULL, 0), 1.0, 1e-12);
	double d[] = {NAN, 0.8, 0.2, NAN};
	CHECK_NEAR(mcut_threshold(d, N(d)), 0.5, 1e-12);
	CHECK_NEAR(mcut_character(0.05), MCUT_CHARACTER_FLOOR, 1e-12);
	CHECK_NEAR(mcut_character(0.6), 0.6, 1e-12);
}

/* Exact case: stored drop 0.9→0.2 = 0.7 ≥ smallest stored 0.2, so the
 * threshold over all scores equals the one over the stored ones. */
static void
test_exact(void)
{
	double all[] = {0.95, 0.9, 0.2, 0.04, 0.03, 0.01, 0.0};
	double stored[] = {0.95, 0.9, 0.2}; /* floor 0.05 */
	double t;
	CHECK(mcut_threshold_stored(stored, N(stored), &t));
	CHECK_NEAR(t, reference(all, N(all)), 1e-12);
	CHECK_NEAR(t, 0.55, 1e-12);
	/* equality still exact: drop 0.3 == smallest 0.3 */
	double eq[] = {0.9, 0.6, 0.3};
	CHECK(mcut_threshold_stored(eq, N(eq), &t));
}

/* Inexact case: the true largest drop crosses the floor. */
static void
test_inexact(void)
{
	double all[] = {0.9, 0.85, 0.8, 0.75, 0.01, 0.0};
	double stored[] = {0.9, 0.85, 0.8, 0.75};
	double t;
	CHECK(!mcut_threshold_stored(stored, N(stored), &t));
	double truth = reference(all, N(all));
	CHECK_NEAR(truth, 0.38, 1e-12);
	CHECK(fabs(t - truth) > 0.1); /* the stored-score answer is an approximation */
	double one[] = {0.7};
	CHECK(!mcut_threshold_stored(one, 1, &t));
	CHECK_NEAR(t, 0.35, 1e-12);
	CHECK(!mcut_threshold_stored(NULL, 0, &t));
}

/* Whenever it claims exactness, it matches the full computation. */
static void
test_random(void)
{
	srand(7);
	int exact = 0;
	for (int round = 0; round < 2000; round++) {
		double all[64], stored[64];
		size_t n = 2 + (size_t)(rand() % 60), m = 0;
		double floor = 0.05;
		for (size_t i = 0; i < n; i++) {
			double r = (double)rand() / RAND_MAX;
			all[i] = (rand() % 3 == 0) ? r : r * r * r * r;
			if (all[i] > floor) {
				stored[m++] = all[i];
			}
		}
		double t;
		if (mcut_threshold_stored(stored, m, &t)) {
			exact++;
			CHECK_NEAR(t, reference(all, n), 1e-12);
		}
	}
	CHECK(exact > 100);
}

int
main(void)
{
	test_basic();
	test_exact();
	test_inexact();
	test_random();
	return check_done();
}
