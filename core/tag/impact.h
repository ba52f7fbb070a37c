/*
 * impact.h — what a change of the global cuts does to the library, from
 * stored scores only (the Settings screen shows it while a threshold or
 * MCut field is focused; no Space is called).
 *
 * Two figures:
 *   pending   the library's pending suggestions before and after, exact:
 *             the suggestion engine's sets summed over every image, as the
 *             SQL of db_search_suggestions() counts them (rules, folder
 *             overrides, decisions and pins in);
 *   changed   the images whose suggestions differ (the engine's sets of
 *             names, every rule and override in), exact: from the score
 *             bands (db/bands.h), a few bitmaps whatever the library's size,
 *             plus the engine on the images they cannot decide alone (where
 *             a ruled tag crosses, below an override whose cut moves, with
 *             max_tags every crossing image); with the bands turned off,
 *             the engine on every image.
 * Both take a cancel flag, checked between images, for a newer key.
 */
#ifndef TAGCON_IMPACT_H
#define TAGCON_IMPACT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "db/predictions.h"

struct db;
struct rules;

/* The pending suggestions of the library under r with its global cut set
 * to cut (a copy of r with it). */
bool impact_pending_under(struct db *db, const char *model, const struct rules *r,
    struct db_cut cut, int64_t *n);

/* Pending suggestions under r with its global cuts set to old and cand. */
bool impact_pending(struct db *db, const char *model, const struct rules *r, struct db_cut old,
    struct db_cut cand, int64_t *n_old, int64_t *n_cand);

struct impact {
	int64_t changed;  /* images whose suggestions differ */
	int64_t images;   /* images the model answered for (not missing) */
	int64_t inexact;  /* of those, images an MCut cut in use is approximate for */
};

/* Under r with its global cuts set to old and to cand.  False on a
 * database error, or when cancel was raised. */
bool impact_changed(struct db *db, const char *model, const struct rules *r, struct db_cut old,
    struct db_cut cand, const atomic_bool *cancel, struct impact *out);
/* The same, by the engine on every image (what the first must equal). */
bool impact_changed_by_engine(struct db *db, const char *model, const struct rules *r,
    struct db_cut old, struct db_cut cand, const atomic_bool *cancel, struct impact *out);

#endif
