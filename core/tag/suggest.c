/* suggest.c — thresholds and MCut over stored scores. */
#include "core/tag/suggest.h"

#include <stdlib.h>
#include <string.h>

#include "core/tag/mcut.h"
#include "core/settings.h"
#include "common/xalloc.h"

static void
add_pred(void *ud, const struct db_pred *p)
{
	struct suggest_input *in = ud;
	in->preds = xreallocarray(in->preds, in->n_preds + 1, sizeof *in->preds);
	in->preds[in->n_preds++] = (struct suggest_pred){
		.tag = xstrdup(p->tag), .category = p->category, .score = p->score,
	};
}

static void
add_decision(void *ud, const struct db_decision *d)
{
	struct suggest_input *in = ud;
	in->decisions = xreallocarray(in->decisions, in->n_decisions + 1,
	    sizeof *in->decisions);
	in->decisions[in->n_decisions++] = (struct suggest_decision){
		.tag = xstrdup(d->tag),
		.accepted = d->verdict == DB_ACCEPTED,
		.manual = d->source == DB_SOURCE_MANUAL,
	};
}

bool
suggest_load(struct db *db, int64_t image_id, const char *model, struct suggest_input *in)
{
	memset(in, 0, sizeof *in);
	return db_image_predictions(db, image_id, model, add_pred, in) &&
	    db_image_decisions(db, image_id, add_decision, in);
}

void
suggest_input_fini(struct suggest_input *in)
{
	for (size_t i = 0; i < in->n_preds; i++) {
		free(in->preds[i].tag);
	}
	for (size_t i = 0; i < in->n_decisions; i++) {
		free(in->decisions[i].tag);
	}
	free(in->preds);
	free(in->decisions);
	memset(in, 0, sizeof *in);
}

struct db_cut
suggest_opts_from_settings(struct db *db)
{
	return (struct db_cut){
		.general_threshold = settings_get_float(db, "general_threshold"),
		.character_threshold = settings_get_float(db, "character_threshold"),
		.general_mcut = settings_get_bool(db, "general_mcut"),
		.character_mcut = settings_get_bool(db, "character_mcut"),
	};
}

/* MCut over one category's stored scores; *exact cleared when approximate. */
static double
category_cut(const struct suggest_input *in, enum db_category cat, bool *exact)
{
	double *scores = xcalloc(in->n_preds + 1, sizeof *scores);
	size_t n = 0;
	for (size_t i = 0; i < in->n_preds; i++) {
		if (in->preds[i].category == cat) {
			scores[n++] = in->preds[i].score;
		}
	}
	double t;
	if (!mcut_threshold_stored(scores, n, &t)) {
		*exact = false;
	}
	free(scores);
	return t;
}

bool
suggest_decided(const struct suggest_input *in, const char *tag)
{
	for (size_t i = 0; i < in->n_decisions; i++) {
		if (strcmp(in->decisions[i].tag, tag) == 0) {
			return true;
		}
	}
	return false;
}

static void
take(const struct suggest_input *in, enum db_category cat, double cut,
    struct suggest_result *out)
{
	for (size_t i = 0; i < in->n_preds; i++) {
		const struct suggest_pred *p = &in->preds[i];
		if (p->category == cat && p->score > cut && !suggest_decided(in, p->tag)) {
			out->suggested[out->n_suggested++] = p;
		}
	}
}

void
suggest_apply(const struct suggest_input *in, struct db_cut opts,
    struct suggest_result *out)
{
	memset(out, 0, sizeof *out);
	out->exact = true;
	out->general_cut = opts.general_mcut ? category_cut(in, DB_CAT_GENERAL, &out->exact)
	    : opts.general_threshold;
	out->character_cut = opts.character_mcut ?
	    mcut_character(category_cut(in, DB_CAT_CHARACTER, &out->exact))
	    : opts.character_threshold;
	out->suggested = xcalloc(in->n_preds + 1, sizeof *out->suggested);
	take(in, DB_CAT_CHARACTER, out->character_cut, out);
	take(in, DB_CAT_GENERAL, out->general_cut, out);
}

void
suggest_result_fini(struct suggest_result *out)
{
	free(out->suggested);
	memset(out, 0, sizeof *out);
}
