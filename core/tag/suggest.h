/*
 * suggest.h — the suggestion engine: what tagcon suggests for an image.
 *
 * Suggestions are derived from stored scores, never stored, so moving a
 * threshold re-derives them at once without calling a Space.  This is the
 * one function that decides them (DESIGN.md §3); every path calls it:
 * Review (what it lists, what `a` accepts, what `c` commits), the Library's
 * counts, the Settings screen's effect on an image, `show`, `commit`,
 * `edit`, `tag`, `export --include-suggested` and the auto-commits of
 * `batch` and `watch`.  The SQL that answers the same question for the
 * whole library (`suggested:` in db/search.c, the counts of
 * db/search-count.c) reads the same settings, overrides and rule rows;
 * tests/unit/test-agree.c checks, on random libraries, that the two agree.
 *
 * For the image at path, with its predictions for the current model and
 * the person's decisions, under a rules snapshot (core/tag/rules.h):
 *   1. each category's cut at path: the settings in force (a preset in use
 *      included), the nearest folder override for each key; a fixed
 *      threshold (strict '>', as the Space does) or MCut over the image's
 *      stored scores (character MCut never below 0.15); a tag with a
 *      threshold rule at path (core/tag/rules.h) has that cut instead;
 *   2. each prediction above its cut, renamed by its alias (a -> b);
 *   3. minus those an exclusion at path matches, before or after the alias;
 *   4. minus those whose name (after the alias) the person accepted or
 *      rejected: a rejected tag never comes back;
 *   5. one entry per name: a and its alias target b count once, with the
 *      higher score; with max_tags N in force at path, a general
 *      prediction left by 2-4 stays only when the general tags the person
 *      accepted and the other names of such general predictions that
 *      outrank it (higher score, or the same score and a smaller name) are
 *      fewer than N: at most N general tags, the best ones (the others
 *      become near misses);
 *   6. plus the tags pinned on folders above path that are undecided,
 *      whatever the scores and exclusions.
 * Every other undecided, unexcluded prediction is a near miss: scored at or
 * above the score floor (so stored), not above its cut, or over the cap.
 */
#ifndef TAGCON_SUGGEST_H
#define TAGCON_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/predictions.h"

struct db;
struct rules;

struct suggest_pred {
	char *tag;
	enum db_category category;
	double score;
};

struct suggest_decision {
	char *tag;
	enum db_category category;
	bool accepted;
	bool manual;
};

/* What one image has: its predictions for a model and its decisions. */
struct suggest_input {
	struct suggest_pred *preds; /* by score, descending */
	size_t n_preds;
	struct suggest_decision *decisions;
	size_t n_decisions;
};

bool suggest_load(struct db *db, int64_t image_id, const char *model, struct suggest_input *in);
void suggest_input_fini(struct suggest_input *in);

/* Whether a person accepted or rejected tag on this image. */
bool suggest_decided(const struct suggest_input *in, const char *tag);

struct suggest_tag {
	const char *tag;       /* the name after aliases; borrowed from the input or the rules */
	const char *predicted; /* the model's own name when an alias renamed it, else NULL */
	enum db_category category;
	double score;          /* the name's highest score; < 0 for a pin the model did not score */
	double cut;            /* the cut that score was held to (0 for a pin) */
	bool pinned;
};

struct suggest_result {
	/* tags[0, n): the suggestions, pins first, then characters, then
	 * general tags, each by score; tags[n, n_all): the near misses, in the
	 * same order. */
	struct suggest_tag *tags;
	size_t n;
	size_t n_all;
	double general_cut;   /* the cuts used */
	double character_cut;
	int max_tags;         /* the cap in force (0: none) */
	/* false when an MCut cut came from stored scores only and may differ
	 * from the Space's (see core/tag/mcut.h). */
	bool exact;
};

/* The suggestions of the image at path (see above); out borrows from in
 * and r. */
void suggest_image(const struct rules *r, const char *path, const struct suggest_input *in,
    struct suggest_result *out);
void suggest_result_fini(struct suggest_result *out);

/* Step 1 alone: the cuts of the image whose predictions are in under c,
 * in out->general_cut, out->character_cut and out->exact. */
void suggest_cuts(struct db_cut c, const struct suggest_input *in, struct suggest_result *out);

/* The cut prediction p must pass at path: its tag's threshold rule there,
 * else its category's cut from cuts (as suggest_cuts() left it). */
double suggest_cut_of(const struct rules *r, const char *path, const struct suggest_pred *p,
    const struct suggest_result *cuts);

/*
 * How sure the model was about the image, as far as anything is left to
 * decide: the smallest distance between a score and the cut it was held
 * to, over out's suggestions and near misses (pins left out: no score
 * decides them); 1 when there is none.  An image whose every tag is far
 * from its cut (above a margin) is one the model was sure about: what
 * `commit --confident` commits and what uncertainty-first review leaves for
 * last.  The max_tags cap is not weighed: a capped tag's distance is to its
 * cut.
 */
double suggest_confidence(const struct suggest_result *out);

/* How many suggestions image id (at path) has under model and r: the
 * Library's "Sug" column.  False on a database error. */
bool suggest_count(struct db *db, const struct rules *r, const char *model, int64_t id,
    const char *path, size_t *n);

/* Index of name among out's suggestions, or -1. */
int suggest_find(const struct suggest_result *out, const char *name);

#endif
