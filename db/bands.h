/*
 * bands.h — the images a change of the global cuts changes, from score
 * bands: per model, category, side of the answer's MCut cut and hundredth
 * of score, the images with an undecided prediction there, as bitmaps in
 * the posting lists' table (schema 12; the band and set ids in
 * db-private.h).  Built by the first question in short write transactions;
 * after that, triggers mark every image a change touches (decisions,
 * answers, cuts, images) in the same transaction, and a reader works the
 * marked ones out again from their rows, so a crash leaves them as right
 * as the rows.  Derived, never the truth: db_bands_check() compares them
 * with the rows.
 *
 * What they answer: the images whose undecided predictions cross from one
 * cut to the other, for a threshold step (a union of whole bands: the
 * thresholds on a hundredth need nothing else; another one reads its
 * boundary band from the predictions' (tag, score) index) and for MCut
 * switched on or off (a band above the fixed threshold but below the
 * image's cut, or the other way).  What the bands cannot know is handed
 * back as images to recheck with the suggestion engine: those where a tag
 * some rule touches crosses (with the score sets built, only those its
 * names' sets under both cuts and the tags crossing with it leave unsure:
 * bands.c's ruled_from_sets), those below a folder override whose own cut
 * moves, with max_tags in force every crossing image, and when max_tags
 * itself moves every image.  Images below an override whose cut stays do
 * not change.
 */
#ifndef TAGCON_DB_BANDS_H
#define TAGCON_DB_BANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/search.h"

struct db;

struct db_band_image {
	int64_t id;
	char *path;
};

struct db_band_change {
	int64_t changed;               /* images not missing that change for sure */
	struct db_band_image *recheck; /* images only the engine can tell */
	size_t n_recheck;
	int64_t inexact;               /* images an MCut cut in use is approximate for */
	int64_t images;                /* images not missing the model answered for */
};

/*
 * The images that change from old's global cuts to cand's (the same model,
 * rules and folder overrides otherwise, as rules_search_opts() makes
 * them).  *answered false, out untouched, when the bands cannot answer:
 * turned off (TAGCON_POSTINGS=off), inside the caller's transaction before
 * they are built, or image ids beyond 32 bits.  False on a database error.
 */
bool db_bands_change(struct db *db, const struct search_opts *old, const struct search_opts *cand,
    struct db_band_change *out, bool *answered);
void db_band_change_fini(struct db_band_change *c);

/* Build the bands now if they are not (also what the first question does). */
bool db_bands_build(struct db *db);

/* Every band set, with the log applied, against the rows it derives from:
 * *built false when nothing was built (then nothing is compared). */
bool db_bands_check(struct db *db, bool *built, bool *same);

#endif
