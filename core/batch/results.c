/* results.c — answers as rows. */
#include "core/batch/results.h"

#include <stdlib.h>

#include "core/options.h"
#include "core/tag/answer.h"
#include "core/tag/review.h"
#include "core/tag/rules.h"
#include "db/images.h"
#include "db/predictions.h"
#include "common/xalloc.h"

struct copies {
	struct db *db;
	const char *model;
	struct rules *rules;
	struct review_opts opts;
	bool ok;
};

static void
commit_copy(void *ud, int64_t id)
{
	struct copies *c = ud;
	size_t n;
	char *cause = NULL;
	/* Each copy under its own folder's rules: the engine decides per path. */
	c->ok = c->ok && review_autocommit(c->db, id, c->model, c->rules, &c->opts, &n, &cause);
	free(cause);
}

/* review_mode auto / auto-above: commit what the mode accepts, on every
 * image the answer covers (the settings read now: a change while a batch
 * runs counts from the next answer). */
static bool
autocommit(struct db *db, int64_t image_id, const char *model)
{
	struct copies c = {.db = db, .model = model, .opts = options_review(db), .ok = true};
	if (c.opts.mode == REVIEW_MODE_REQUIRED) {
		return true;
	}
	c.rules = rules_load(db, NULL);
	c.ok = c.rules != NULL && db_image_copies(db, image_id, commit_copy, &c) && c.ok;
	rules_destroy(c.rules);
	return c.ok;
}

bool
results_store(struct db *db, int64_t image_id, const char *model, double floor,
    const char *space, const struct answer *a)
{
	struct db_pred *preds = xcalloc(a->count + 1, sizeof *preds);
	size_t n = 0;
	float rating[4] = {0};
	for (int r = 0; r < RATING_COUNT; r++) {
		rating[r] = (float)a->ratings[r];
	}
	for (size_t i = 0; i < a->count; i++) {
		const struct answer_prediction *p = &a->predictions[i];
		if (p->category == ANSWER_RATING) {
			continue;
		}
		preds[n++] = (struct db_pred){
			.tag = p->name,
			.category = p->category == ANSWER_CHARACTER ? DB_CAT_CHARACTER : DB_CAT_GENERAL,
			.score = (float)p->score,
		};
	}
	bool ok = db_store_answer(db, image_id, model, rating, (float)floor, space, preds, n);
	free(preds);
	return ok && autocommit(db, image_id, model);
}
