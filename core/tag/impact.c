/* impact.c — a threshold's effect on the library (see impact.h). */
#include "core/tag/impact.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/tag/rules.h"
#include "core/tag/suggest.h"
#include "db/bands.h"
#include "db/browse.h"
#include "db/images.h"
#include "db/search.h"

bool
impact_pending_under(struct db *db, const char *model, const struct rules *r,
    struct db_cut cut, int64_t *n)
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
	return impact_pending_under(db, model, r, old, n_old) &&
	    impact_pending_under(db, model, r, cand, n_cand);
}

/* Whether image id at path suggests other names under a than under b. */
static bool
differs(struct db *db, const char *model, const struct rules *a, const struct rules *b,
    int64_t id, const char *path, bool *changed)
{
	struct suggest_input in;
	if (!suggest_load(db, id, model, &in)) {
		return false;
	}
	struct suggest_result x, y;
	suggest_image(a, path, &in, &x);
	suggest_image(b, path, &in, &y);
	*changed = x.n != y.n;
	for (size_t i = 0; !*changed && i < x.n; i++) {
		*changed = suggest_find(&y, x.tags[i].tag) < 0;
	}
	suggest_result_fini(&x);
	suggest_result_fini(&y);
	suggest_input_fini(&in);
	return true;
}

/* Every image through the engine: what the bands' answer must equal, and
 * the answer when they cannot give one (turned off). */
struct every {
	struct db *db;
	const char *model;
	const struct rules *a;
	const struct rules *b;
	struct impact *out;
	const atomic_bool *cancel;
	bool ok;
};

static void
every_image(void *ud, const struct db_scan_row *row)
{
	struct every *e = ud;
	bool changed = false;
	if (!e->ok || row->state == DB_STATE_MISSING || atomic_load(e->cancel)) {
		return;
	}
	e->ok = differs(e->db, e->model, e->a, e->b, row->id, row->path, &changed);
	e->out->changed += changed;
}

/* MCut's approximations, counted the engine's way, over every image. */
static void
every_inexact(void *ud, const struct db_scan_row *row)
{
	struct every *e = ud;
	if (!e->ok || row->state == DB_STATE_MISSING || atomic_load(e->cancel)) {
		return;
	}
	struct suggest_input in;
	e->ok = suggest_load(e->db, row->id, e->model, &in);
	if (e->ok && in.n_preds > 0) {
		struct suggest_result x, y;
		suggest_cuts(rules_global_cut(e->a), &in, &x);
		suggest_cuts(rules_global_cut(e->b), &in, &y);
		e->out->inexact += !x.exact || !y.exact;
	}
	suggest_input_fini(&in);
}

bool
impact_changed_by_engine(struct db *db, const char *model, const struct rules *r,
    struct db_cut old, struct db_cut cand, const atomic_bool *cancel, struct impact *out)
{
	memset(out, 0, sizeof *out);
	struct rules *a = rules_dup_with_cut(r, old), *b = rules_dup_with_cut(r, cand);
	struct every e = {.db = db, .model = model, .a = a, .b = b, .out = out, .cancel = cancel,
	    .ok = true};
	bool ok = db_browse_tagged(db, model, &out->images) &&
	    db_images_under(db, "/", every_image, &e) && e.ok &&
	    ((!old.general_mcut && !old.character_mcut && !cand.general_mcut &&
	    !cand.character_mcut) || db_images_under(db, "/", every_inexact, &e)) &&
	    e.ok && !atomic_load(cancel);
	rules_destroy(a);
	rules_destroy(b);
	return ok;
}

bool
impact_changed(struct db *db, const char *model, const struct rules *r, struct db_cut old,
    struct db_cut cand, const atomic_bool *cancel, struct impact *out)
{
	memset(out, 0, sizeof *out);
	struct rules *a = rules_dup_with_cut(r, old), *b = rules_dup_with_cut(r, cand);
	struct search_opts oa, ob;
	search_opts_init(&oa, model);
	search_opts_init(&ob, model);
	rules_search_opts(a, &oa);
	rules_search_opts(b, &ob);
	struct db_band_change ch = {0};
	bool answered = false;
	bool ok = db_bands_change(db, &oa, &ob, &ch, &answered);
	if (ok && answered) {
		/* What the bands leave open, the engine decides. */
		out->changed = ch.changed;
		out->inexact = ch.inexact;
		out->images = ch.images;
		for (size_t i = 0; ok && i < ch.n_recheck && !atomic_load(cancel); i++) {
			bool changed = false;
			ok = differs(db, model, a, b, ch.recheck[i].id, ch.recheck[i].path, &changed);
			out->changed += changed;
		}
		ok = ok && !atomic_load(cancel);
	}
	db_band_change_fini(&ch);
	rules_destroy(a);
	rules_destroy(b);
	if (ok && !answered) {
		return impact_changed_by_engine(db, model, r, old, cand, cancel, out);
	}
	return ok;
}
