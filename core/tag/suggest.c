/* suggest.c — the suggestion engine (see suggest.h for the steps). */
#include "core/tag/suggest.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/tag/mcut.h"
#include "core/tag/rules.h"

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
		.category = d->category,
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

/* MCut over one category's stored scores; *exact cleared when approximate. */
static double
mcut_of(const struct suggest_input *in, enum db_category cat, bool *exact)
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

void
suggest_cuts(struct db_cut c, const struct suggest_input *in, struct suggest_result *out)
{
	out->exact = true;
	out->general_cut = c.general_mcut ? mcut_of(in, DB_CAT_GENERAL, &out->exact)
	    : c.general_threshold;
	out->character_cut = c.character_mcut ?
	    mcut_character(mcut_of(in, DB_CAT_CHARACTER, &out->exact)) : c.character_threshold;
}

int
suggest_find(const struct suggest_result *out, const char *name)
{
	for (size_t i = 0; i < out->n; i++) {
		if (strcmp(out->tags[i].tag, name) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* The entry for name among tags[from, to), or NULL. */
static struct suggest_tag *
entry(struct suggest_result *out, size_t from, size_t to, const char *name)
{
	for (size_t i = from; i < to; i++) {
		if (strcmp(out->tags[i].tag, name) == 0) {
			return &out->tags[i];
		}
	}
	return NULL;
}

struct pins {
	const struct suggest_input *in;
	struct suggest_result *out;
};

/* Step 6: a pin keeps the category its name has among the predictions,
 * and the score, if the model gave it one. */
static void
add_pin(void *ud, const char *tag)
{
	struct pins *p = ud;
	if (suggest_decided(p->in, tag) || entry(p->out, 0, p->out->n, tag) != NULL) {
		return;
	}
	struct suggest_tag t = {.tag = tag, .category = DB_CAT_USER, .score = -1, .pinned = true};
	for (size_t k = 0; k < p->in->n_preds; k++) {
		if (strcmp(p->in->preds[k].tag, tag) == 0) {
			t.category = p->in->preds[k].category;
			t.score = p->in->preds[k].score;
		}
	}
	p->out->tags[p->out->n++] = t;
}

/* Pins, then characters, then general tags, then the rest; each by score,
 * then by name. */
static int
group_of(const struct suggest_tag *t)
{
	if (t->pinned) {
		return 0;
	}
	return t->category == DB_CAT_CHARACTER ? 1 : t->category == DB_CAT_GENERAL ? 2 : 3;
}

static int
tag_order(const void *a, const void *b)
{
	const struct suggest_tag *x = a, *y = b;
	if (group_of(x) != group_of(y)) {
		return group_of(x) - group_of(y);
	}
	if (x->score != y->score) {
		return x->score > y->score ? -1 : 1;
	}
	return strcmp(x->tag, y->tag);
}

/* Steps 2 to 5 for one category's predictions, above the cut (suggested)
 * or not (near misses, which come after every suggestion). */
static void
take(const struct rules *r, const char *path, const struct suggest_input *in, bool above,
    struct suggest_result *out)
{
	for (size_t i = 0; i < in->n_preds; i++) {
		const struct suggest_pred *p = &in->preds[i];
		if (p->category != DB_CAT_GENERAL && p->category != DB_CAT_CHARACTER) {
			continue;
		}
		double cut = p->category == DB_CAT_CHARACTER ? out->character_cut : out->general_cut;
		if ((p->score > cut) != above) {
			continue;
		}
		const char *name = rules_alias_of(r, p->tag);
		if (rules_excluded(r, path, p->tag, name) || suggest_decided(in, name) ||
		    entry(out, 0, above ? out->n : out->n_all, name) != NULL) {
			continue; /* by score, so the first of a name has its highest */
		}
		out->tags[out->n_all++] = (struct suggest_tag){
			.tag = name, .predicted = name != p->tag ? p->tag : NULL,
			.category = p->category, .score = p->score,
		};
		out->n += above;
	}
}

void
suggest_image(const struct rules *r, const char *path, const struct suggest_input *in,
    struct suggest_result *out)
{
	memset(out, 0, sizeof *out);
	suggest_cuts(rules_cut_for(r, path), in, out);
	out->tags = xcalloc(in->n_preds + rules_count(r) + 1, sizeof *out->tags);
	take(r, path, in, true, out);
	struct pins p = {in, out};
	rules_pins_each(r, path, add_pin, &p);
	out->n_all = out->n;
	take(r, path, in, false, out);
	qsort(out->tags, out->n, sizeof *out->tags, tag_order);
	qsort(out->tags + out->n, out->n_all - out->n, sizeof *out->tags, tag_order);
}

bool
suggest_count(struct db *db, const struct rules *r, const char *model, int64_t id,
    const char *path, size_t *n)
{
	struct suggest_input in;
	struct suggest_result out;
	bool ok = suggest_load(db, id, model, &in);
	if (ok) {
		suggest_image(r, path, &in, &out);
		*n = out.n;
		suggest_result_fini(&out);
	}
	suggest_input_fini(&in);
	return ok;
}

void
suggest_result_fini(struct suggest_result *out)
{
	free(out->tags);
	memset(out, 0, sizeof *out);
}
