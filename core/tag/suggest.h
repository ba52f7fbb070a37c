/*
 * suggest.h — suggested tags, derived from stored scores, never stored.
 *
 * Suggestions are the predictions of the current model above the thresholds
 * (strict '>', as the Space does) or the MCut cut, minus every tag a person
 * rejected or already accepted for that image.  Because nothing here calls a
 * Space, moving a threshold re-derives suggestions at once.
 */
#ifndef TAGCON_SUGGEST_H
#define TAGCON_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/predictions.h"

struct db;

struct suggest_pred {
	char *tag;
	enum db_category category;
	float score;
};

struct suggest_decision {
	char *tag;
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

struct suggest_result {
	/* Pointers into the input: characters first, then general, by score. */
	const struct suggest_pred **suggested;
	size_t n_suggested;
	double general_cut;   /* the threshold used */
	double character_cut;
	/* false when an MCut cut came from stored scores only and may differ
	 * from the Space's (see core/mcut.h). */
	bool exact;
};

bool suggest_load(struct db *db, int64_t image_id, const char *model, struct suggest_input *in);
void suggest_input_fini(struct suggest_input *in);

struct db_cut suggest_opts_from_settings(struct db *db);

/* Whether a person accepted or rejected tag on this image. */
bool suggest_decided(const struct suggest_input *in, const char *tag);

void suggest_apply(const struct suggest_input *in, struct db_cut opts,
    struct suggest_result *out);
void suggest_result_fini(struct suggest_result *out);

#endif
