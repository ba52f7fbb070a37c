/*
 * check.h — the unit tests' few assertions.
 *
 * Each CHECK records a failure with file:line and goes on, so one run shows
 * every broken expectation; check_done() prints the tally and gives the exit
 * status meson reads (0 ok, 1 failed).
 */
#ifndef TAGCON_CHECK_H
#define TAGCON_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond) check_((cond) != 0, #cond, __FILE__, __LINE__)

#define CHECK_INT(a, b) do { \
	long long a_ = (long long)(a), b_ = (long long)(b); \
	if (!check_(a_ == b_, #a " == " #b, __FILE__, __LINE__)) \
		fprintf(stderr, "    got %lld, want %lld\n", a_, b_); \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	int ok_ = (a_ == NULL && b_ == NULL) || (a_ != NULL && b_ != NULL && strcmp(a_, b_) == 0); \
	if (!check_(ok_, #a " == " #b, __FILE__, __LINE__)) \
		fprintf(stderr, "    got \"%s\", want \"%s\"\n", a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
} while (0)

#define CHECK_NEAR(a, b, eps) do { \
	double a_ = (a), b_ = (b); \
	if (!check_(fabs(a_ - b_) <= (eps), #a " ~= " #b, __FILE__, __LINE__)) \
		fprintf(stderr, "    got %.9g, want %.9g\n", a_, b_); \
} while (0)

static inline int
check_(int ok, const char *what, const char *file, int line)
{
	check_count++;
	if (!ok) {
		check_failures++;
		fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	}
	return ok;
}

static inline int
check_done(void)
{
	printf("%d checks, %d failed\n", check_count, check_failures);
	return check_failures == 0 ? 0 : 1;
}

#endif
