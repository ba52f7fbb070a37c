/* impact.c — a threshold's effect on the library (see impact.h). */
#include "core/tag/impact.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/tag/rules.h"
#include "core/tag/suggest.h"
#include "db/browse.h"
#include "db/search.h"

/* The pending suggestions of the library under cut (a copy of r with it). */
static bool
pending_under(struct db *db, const char *model, const struct rules *r, struct db_cut cut,
    int64_t *n)
{
	struct rules *with = rules_dup_with_cut(r, cut);
	struct search_opts o;
	search_opts_init(&o, model);
	rules_search_opts(with, &o);
	bool ok = db_search_suggestions(db, &o, n);
	rules_destroy(with);
	return ok;
}

bool
impact_pending(struct db *db, const char *model, const struct rules *r, struct db_cut old,
    struct db_cut cand, int64_t *n_old, int64_t *n_cand)
{
	return pending_under(db, model, r, old, n_old) && pending_under(db, model, r, cand, n_cand);
}

struct stream {
	struct db_cut old;
	struct db_cut cand;
	struct impact *out;
	struct suggest_pred *buf;
	size_t cap;
	const atomic_bool *cancel;
};

/* Scores above each category's cut. */
static void
above(const struct suggest_input *in, const struct suggest_result *cuts, int *general,
    int *character)
{
	*general = *character = 0;
	for (size_t i = 0; i < in->n_preds; i++) {
		const struct suggest_pred *p = &in->preds[i];
		if (p->category == DB_CAT_CHARACTER) {
			*character += p->score > cuts->character_cut;
		} else {
			*general += p->score > cuts->general_cut;
		}
	}
}

/* One content's scores under both cuts.  Cuts of one category nest
 * ("score > cut"), so the scores kept differ exactly when a count does. */
static bool
content(void *ud, int64_t content_id, const struct db_pred *p, size_t n)
{
	(void)content_id;
	struct stream *s = ud;
	if (n > s->cap) {
		s->cap = n * 2;
		s->buf = xreallocarray(s->buf, s->cap, sizeof *s->buf);
	}
	for (size_t i = 0; i < n; i++) {
		s->buf[i] = (struct suggest_pred){.category = p[i].category, .score = p[i].score};
	}
	struct suggest_input in = {.preds = s->buf, .n_preds = n};
	struct suggest_result a, b;
	suggest_cuts(s->old, &in, &a);
	suggest_cuts(s->cand, &in, &b);
	int ga, ca, gb, cb;
	above(&in, &a, &ga, &ca);
	above(&in, &b, &gb, &cb);
	s->out->images++;
	s->out->changed += ga != gb || ca != cb;
	s->out->inexact += !a.exact || !b.exact;
	return !atomic_load(s->cancel);
}

bool
impact_changed(struct db *db, const char *model, struct db_cut old, struct db_cut cand,
    const atomic_bool *cancel, struct impact *out)
{
	memset(out, 0, sizeof *out);
	if (!old.general_mcut && !old.character_mcut && !cand.general_mcut &&
	    !cand.character_mcut) {
		double g0 = old.general_threshold, g1 = cand.general_threshold;
		double c0 = old.character_threshold, c1 = cand.character_threshold;
		return db_browse_tagged(db, model, &out->images) &&
		    db_browse_band(db, model, fmin(g0, g1), fmax(g0, g1), fmin(c0, c1),
		    fmax(c0, c1), &out->changed);
	}
	struct stream s = {.old = old, .cand = cand, .out = out, .cancel = cancel};
	bool ok = db_browse_scores_each(db, model, content, &s) && !atomic_load(cancel);
	free(s.buf);
	return ok;
}
