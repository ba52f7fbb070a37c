/*
 * predictions.h — model outputs and the decisions people make about them.
 *
 * Predictions belong to a content (its bytes) and a model: every score at or
 * above the score floor, plus the four rating scores.  Decisions belong to
 * an image (a path): accepted or rejected tags, with their source.
 */
#ifndef TAGCON_DB_PREDICTIONS_H
#define TAGCON_DB_PREDICTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/rating.h"

struct db;

/* Tag categories: the model's numbers, then tagcon's own. */
enum db_category {
	DB_CAT_GENERAL = 0,
	DB_CAT_CHARACTER = 4,
	DB_CAT_RATING = 9,
	DB_CAT_ORIENTATION = 100,
	DB_CAT_USER = 101,
};

/*
 * Where a category's suggestions start (DESIGN.md §3): strictly above a
 * fixed threshold, as the Space does, or, with MCut, above the cut of the
 * image's own scores (core/tag/mcut.h).  The one type for the settings,
 * the per-folder overrides, the suggestion engine and the SQL of searches.
 */
struct db_cut {
	double general_threshold;
	double character_threshold;
	bool general_mcut;
	bool character_mcut;
	/* At most this many general tags per image, highest scores first
	 * (core/tag/suggest.h); 0: no cap. */
	int max_tags;
};

/* "general", "character", "rating", "orientation", "user". */
const char *db_category_name(enum db_category c);

struct db_pred {
	const char *tag; /* canonical name */
	enum db_category category;
	double score;
};

struct db_tagged {
	float rating[4]; /* general, sensitive, questionable, explicit */
	float floor;
	int64_t tagged_at;
	char *space;
};

/*
 * Store one answer for the content of image_id under model, replacing any
 * earlier answer for that pair, in one transaction; images holding that
 * content and still new become tagged.  The answer's MCut cuts are stored
 * with it (schema 5), which is what makes MCut suggestions cheap to count
 * and search: any other writer of predictions must set them too.
 */
bool db_store_answer(struct db *db, int64_t image_id, const char *model,
    const float rating[4], float floor, const char *space, const struct db_pred *preds,
    size_t n);

/* Whether the image's content has an answer for model; fills *t if so. */
bool db_image_tagged(struct db *db, int64_t image_id, const char *model, struct db_tagged *t,
    bool *found);
void db_tagged_fini(struct db_tagged *t);

/* Every stored prediction of the image's content for model, by score. */
bool db_image_predictions(struct db *db, int64_t image_id, const char *model,
    void (*fn)(void *ud, const struct db_pred *p), void *ud);

enum db_verdict { DB_REJECTED = -1, DB_ACCEPTED = 1 };
enum db_source { DB_SOURCE_AUTO = 0, DB_SOURCE_MANUAL = 1 };

struct db_decision {
	const char *tag;
	enum db_category category;
	enum db_verdict verdict;
	enum db_source source;
};

/* Every decision on the image, accepted first, by tag name. */
bool db_image_decisions(struct db *db, int64_t image_id,
    void (*fn)(void *ud, const struct db_decision *d), void *ud);

/* The model names with stored answers (for the console's model list). */
bool db_models_each(struct db *db, void (*fn)(void *ud, const char *name), void *ud);

#endif
