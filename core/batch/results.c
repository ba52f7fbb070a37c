/* results.c — answers as rows. */
#include "core/batch/results.h"

#include <stdlib.h>

#include "core/tag/answer.h"
#include "db/predictions.h"
#include "common/xalloc.h"

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
	return ok;
}
