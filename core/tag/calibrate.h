/*
 * calibrate.h — what the person's decisions say about each tag's scores,
 * and the per-tag thresholds they argue for.
 *
 * WD models are not equally calibrated across tags: a person soon finds
 * that one tag at 0.40 is nearly always right and another at 0.60 often
 * wrong.  Every image a person committed (db_reviewed_each()) is evidence
 * about every tag the model scored on it (at or above the score floor):
 *   positive  the person accepted the tag (its name after aliases), whether
 *             it was suggested or added by hand;
 *   negative  rejected, or left out: the image was reviewed and the tag is
 *             not among its tags.
 * An accepted tag the model did not score at all is a positive at score 0:
 * no cut reaches it, and it lowers recall.  Excluded tags teach nothing.
 *
 * Per tag (the model's name, which is what threshold rules name,
 * core/tag/rules.h): reviews, positives, precision and recall at the cut in
 * force for each image (the suggestion engine's, core/tag/suggest.h, without
 * the max_tags cap), and the proposal: the lowest cut whose reviews above
 * it reach the target precision with at least min_evidence positives above
 * it, half-way between two observed scores (rounded to 0.001 when that
 * stays between them).  Fewer than min_reviews reviews, or fewer positives
 * than min_evidence, is too little evidence: no guess is made.
 */
#ifndef TAGCON_CALIBRATE_H
#define TAGCON_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/predictions.h"

struct db;
struct rules;

enum calib_verdict {
	CALIB_PROPOSED,    /* proposed holds a cut */
	CALIB_LITTLE,      /* too little evidence */
	CALIB_UNREACHABLE, /* enough evidence, and no cut reaches the target */
};

struct calib_tag {
	char *tag;
	enum db_category category;
	int64_t reviews;       /* reviewed images with a score for the tag, or accepting it */
	int64_t positives;     /* of those, images whose person accepted it */
	int64_t above;         /* reviews above the cut in force */
	int64_t true_above;    /* positives above the cut in force */
	double cut;            /* the cut in force at the top ("/"); < 0 under MCut */
	double precision;      /* true_above / above; < 0 when nothing is above */
	double recall;         /* true_above / positives; < 0 without positives */
	enum calib_verdict verdict;
	double proposed;       /* CALIB_PROPOSED: the cut */
	int64_t evidence;      /* reviews above the proposed cut */
	double proposed_precision;
	double proposed_recall;
};

struct calib_opts {
	double target;        /* precision to reach (setting calibration_target) */
	int64_t min_reviews;  /* fewer reviews: too little evidence */
	int64_t min_evidence; /* fewer positives above a cut: not a cut */
};

struct calibration {
	struct calib_tag *tags; /* by reviews, most first, then by name */
	size_t n;
	int64_t images;         /* reviewed images read */
};

/* Read every reviewed image under model and r.  False with *cause. */
bool calibrate_run(struct db *db, const char *model, const struct rules *r,
    const struct calib_opts *o, struct calibration *out, char **cause);
void calibration_fini(struct calibration *c);

/* Write a threshold rule (everywhere) for every proposed cut with at
 * least min_reviews reviews; *written counts them. */
bool calibrate_apply(struct db *db, const struct calibration *c, int64_t min_reviews,
    size_t *written, char **cause);
/*
 * What calibrate_apply() would do to the library before it is done: its
 * pending suggestions under r (*before) and with the proposed rules
 * (*after), the rules written in a transaction that is rolled back.
 */
bool calibrate_impact(struct db *db, const char *model, const struct rules *r,
    const struct calibration *c, int64_t min_reviews, int64_t *before, int64_t *after,
    char **cause);

#endif
