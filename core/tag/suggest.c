/* suggest.c — the suggestion engine (see suggest.h for the steps). */
#include "core/tag/suggest.h"

#include <math.h>
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

double
suggest_cut_of(const struct rules *r, const char *path, const struct suggest_pred *p,
    const struct suggest_result *out)
{
	double t;
	if (rules_tag_threshold(r, path, p->tag, &t)) {
		return t;
	}
	return p->category == DB_CAT_CHARACTER ? out->character_cut : out->general_cut;
}

enum fate { SKIP, NEAR, SUGGEST };

/* Whether pending general prediction j outranks i (score, then name) under
 * a name of its own. */
static bool
outranks(const struct suggest_pred *pj, const char *nj, const struct suggest_pred *pi,
    const char *ni)
{
	int c = strcmp(nj, ni);
	return c != 0 && (pj->score > pi->score || (pj->score == pi->score && c < 0));
}

/* Whether a person accepted tag on this image. */
static bool
accepted(const struct suggest_input *in, const char *tag)
{
	for (size_t i = 0; i < in->n_decisions; i++) {
		if (in->decisions[i].accepted && strcmp(in->decisions[i].tag, tag) == 0) {
			return true;
		}
	}
	return false;
}

/* Add name to seen[0, *n) unless it is there. */
static void
see(const char **seen, size_t *n, const char *name)
{
	for (size_t k = 0; k < *n; k++) {
		if (strcmp(seen[k], name) == 0) {
			return;
		}
	}
	seen[(*n)++] = name;
}

/* Step 5's cap: a pending general prediction stays a suggestion when fewer
 * than max names hold a place before it: the names of the image's general
 * predictions the person accepted (so committing the best N leaves nothing
 * to suggest rather than the next N), and those of pending general
 * predictions that outrank it.  Counted per prediction, not per entry, so
 * that SQL can say the same thing (db/search.c); by name, so a tag and its
 * alias take one place. */
static void
cap(const struct suggest_input *in, const char **names, enum fate *fate, size_t max)
{
	bool *pending = xcalloc(in->n_preds + 1, sizeof *pending);
	const char **seen = xcalloc(in->n_preds + 1, sizeof *seen);
	size_t n_taken = 0;
	for (size_t i = 0; i < in->n_preds; i++) {
		bool general = in->preds[i].category == DB_CAT_GENERAL;
		pending[i] = fate[i] == SUGGEST && general;
		if (general && accepted(in, names[i])) {
			see(seen, &n_taken, names[i]);
		}
	}
	for (size_t i = 0; i < in->n_preds; i++) {
		size_t n_seen = n_taken;
		for (size_t j = 0; pending[i] && j < in->n_preds && n_seen < max; j++) {
			if (pending[j] && outranks(&in->preds[j], names[j], &in->preds[i], names[i])) {
				see(seen, &n_seen, names[j]);
			}
		}
		if (pending[i] && n_seen >= max) {
			fate[i] = NEAR;
		}
	}
	free(seen);
	free(pending);
}

/* Steps 1 to 5 for every prediction: a suggestion, a near miss or nothing. */
static enum fate *
fates(const struct rules *r, const char *path, const struct suggest_input *in,
    const char **names, struct suggest_result *out)
{
	enum fate *fate = xcalloc(in->n_preds + 1, sizeof *fate);
	for (size_t i = 0; i < in->n_preds; i++) {
		const struct suggest_pred *p = &in->preds[i];
		if (p->category != DB_CAT_GENERAL && p->category != DB_CAT_CHARACTER) {
			continue;
		}
		names[i] = rules_alias_of(r, p->tag);
		if (rules_excluded(r, path, p->tag, names[i]) || suggest_decided(in, names[i])) {
			continue;
		}
		fate[i] = p->score > suggest_cut_of(r, path, p, out) ? SUGGEST : NEAR;
	}
	if (out->max_tags > 0) {
		cap(in, names, fate, (size_t)out->max_tags);
	}
	return fate;
}

/* Entries for the predictions of one fate, one per name: by score, so the
 * first of a name has its highest. */
static void
take(const struct rules *r, const char *path, const struct suggest_input *in,
    const char **names, const enum fate *fate, enum fate want, struct suggest_result *out)
{
	for (size_t i = 0; i < in->n_preds; i++) {
		const struct suggest_pred *p = &in->preds[i];
		if (fate[i] != want ||
		    entry(out, 0, want == SUGGEST ? out->n : out->n_all, names[i]) != NULL) {
			continue;
		}
		out->tags[out->n_all++] = (struct suggest_tag){
			.tag = names[i], .predicted = names[i] != p->tag ? p->tag : NULL,
			.category = p->category, .score = p->score,
			.cut = suggest_cut_of(r, path, p, out),
		};
		out->n += want == SUGGEST;
	}
}

void
suggest_image(const struct rules *r, const char *path, const struct suggest_input *in,
    struct suggest_result *out)
{
	memset(out, 0, sizeof *out);
	struct db_cut cut = rules_cut_for(r, path);
	suggest_cuts(cut, in, out);
	out->max_tags = cut.max_tags;
	out->tags = xcalloc(in->n_preds + rules_count(r) + 1, sizeof *out->tags);
	const char **names = xcalloc(in->n_preds + 1, sizeof *names);
	enum fate *fate = fates(r, path, in, names, out);
	take(r, path, in, names, fate, SUGGEST, out);
	struct pins p = {in, out};
	rules_pins_each(r, path, add_pin, &p);
	out->n_all = out->n;
	take(r, path, in, names, fate, NEAR, out);
	free(fate);
	free(names);
	qsort(out->tags, out->n, sizeof *out->tags, tag_order);
	qsort(out->tags + out->n, out->n_all - out->n, sizeof *out->tags, tag_order);
}

double
suggest_confidence(const struct suggest_result *out)
{
	double least = 1;
	for (size_t i = 0; i < out->n_all; i++) {
		const struct suggest_tag *t = &out->tags[i];
		if (t->score >= 0 && !t->pinned) {
			least = fmin(least, fabs(t->score - t->cut));
		}
	}
	return least;
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
