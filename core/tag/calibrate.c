/* calibrate.c — per-tag statistics from decisions (see calibrate.h). */
#include "core/tag/calibrate.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/tag/rules.h"
#include "core/tag/suggest.h"
#include "db/db.h"
#include "db/review.h"
#include "db/search.h"

/* One review of one tag. */
struct sample {
	float score;
	bool positive;
	bool above; /* above the cut in force for its image */
};

struct series {
	enum db_category category;
	struct sample *s;
	size_t n;
};

struct reading {
	struct db *db;
	const char *model;
	const struct rules *r;
	GHashTable *tags; /* name -> struct series */
	int64_t images;
	bool failed;
};

static void
series_free(gpointer p)
{
	struct series *s = p;
	free(s->s);
	free(s);
}

static void
add(struct reading *rd, const char *tag, enum db_category cat, struct sample smp)
{
	struct series *s = g_hash_table_lookup(rd->tags, tag);
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->category = cat;
		g_hash_table_insert(rd->tags, xstrdup(tag), s);
	}
	s->s = xreallocarray(s->s, s->n + 1, sizeof *s->s);
	s->s[s->n++] = smp;
}

static bool
accepted(const struct suggest_input *in, const char *name)
{
	for (size_t i = 0; i < in->n_decisions; i++) {
		if (in->decisions[i].accepted && strcmp(in->decisions[i].tag, name) == 0) {
			return true;
		}
	}
	return false;
}

/* Whether some scored, unexcluded prediction of the image becomes name. */
static bool
scored(const struct rules *r, const char *path, const struct suggest_input *in,
    const char *name)
{
	for (size_t i = 0; i < in->n_preds; i++) {
		const char *t = in->preds[i].tag;
		if (strcmp(rules_alias_of(r, t), name) == 0 &&
		    !rules_excluded(r, path, t, name)) {
			return true;
		}
	}
	return false;
}

/* One reviewed image: a sample for every tag the model scored (unless
 * excluded), and a positive at score 0 for every accepted general or
 * character tag it did not. */
static bool
read_image(void *ud, int64_t id, const char *path)
{
	struct reading *rd = ud;
	struct suggest_input in;
	if (!suggest_load(rd->db, id, rd->model, &in)) {
		rd->failed = true;
		suggest_input_fini(&in);
		return false;
	}
	struct suggest_result cuts;
	suggest_cuts(rules_cut_for(rd->r, path), &in, &cuts);
	for (size_t i = 0; i < in.n_preds; i++) {
		const struct suggest_pred *p = &in.preds[i];
		const char *name = rules_alias_of(rd->r, p->tag);
		if ((p->category != DB_CAT_GENERAL && p->category != DB_CAT_CHARACTER) ||
		    rules_excluded(rd->r, path, p->tag, name)) {
			continue;
		}
		add(rd, p->tag, p->category, (struct sample){p->score, accepted(&in, name),
		    p->score > suggest_cut_of(rd->r, path, p, &cuts)});
	}
	for (size_t i = 0; i < in.n_decisions; i++) {
		const struct suggest_decision *d = &in.decisions[i];
		if (d->accepted && (d->category == DB_CAT_GENERAL ||
		    d->category == DB_CAT_CHARACTER) && !scored(rd->r, path, &in, d->tag)) {
			add(rd, d->tag, d->category, (struct sample){0, true, false});
		}
	}
	rd->images++;
	suggest_input_fini(&in);
	return true;
}

static int
by_score(const void *a, const void *b)
{
	float x = ((const struct sample *)a)->score, y = ((const struct sample *)b)->score;
	return (x < y) - (x > y);
}

/* A cut in [lo, hi): the midpoint, rounded to 0.001 when that stays there. */
static double
between(double lo, double hi)
{
	double m = (lo + hi) / 2, r = round(m * 1000) / 1000;
	return r >= lo && r < hi ? r : m;
}

/* The lowest cut reaching the target: the longest run of the highest
 * scores (ending between two distinct scores) whose precision reaches it
 * with enough positives. */
static void
propose(struct calib_tag *t, struct sample *s, size_t n, const struct calib_opts *o)
{
	qsort(s, n, sizeof *s, by_score);
	t->verdict = t->reviews < o->min_reviews || t->positives < o->min_evidence ?
	    CALIB_LITTLE : CALIB_UNREACHABLE;
	if (t->verdict == CALIB_LITTLE) {
		return;
	}
	int64_t tp = 0;
	for (size_t k = 1; k <= n && s[k - 1].score > 0; k++) {
		tp += s[k - 1].positive;
		bool boundary = k == n || s[k].score < s[k - 1].score;
		if (!boundary || tp < o->min_evidence || (double)tp < o->target * (double)k) {
			continue;
		}
		t->verdict = CALIB_PROPOSED;
		t->evidence = (int64_t)k;
		t->proposed_precision = (double)tp / (double)k;
		t->proposed_recall = (double)tp / (double)t->positives;
		double lo = k < n ? s[k].score : fmax(0, floor(s[k - 1].score * 1000 - 1) / 1000);
		t->proposed = between(lo, s[k - 1].score);
	}
}

/* The cut in force at the top of the tree for t, < 0 under MCut. */
static double
top_cut(const struct rules *r, const char *tag, enum db_category cat)
{
	double cut;
	if (rules_tag_threshold(r, "/", tag, &cut)) {
		return cut;
	}
	struct db_cut c = rules_cut_for(r, "/");
	if (cat == DB_CAT_CHARACTER) {
		return c.character_mcut ? -1 : c.character_threshold;
	}
	return c.general_mcut ? -1 : c.general_threshold;
}

static void
summarise(struct calib_tag *t, struct series *s, const struct rules *r,
    const struct calib_opts *o)
{
	t->category = s->category;
	t->reviews = (int64_t)s->n;
	for (size_t i = 0; i < s->n; i++) {
		t->positives += s->s[i].positive;
		t->above += s->s[i].above;
		t->true_above += s->s[i].above && s->s[i].positive;
	}
	t->precision = t->above > 0 ? (double)t->true_above / (double)t->above : -1;
	t->recall = t->positives > 0 ? (double)t->true_above / (double)t->positives : -1;
	t->cut = top_cut(r, t->tag, t->category);
	propose(t, s->s, s->n, o);
}

static int
by_reviews(const void *a, const void *b)
{
	const struct calib_tag *x = a, *y = b;
	if (x->reviews != y->reviews) {
		return x->reviews > y->reviews ? -1 : 1;
	}
	return strcmp(x->tag, y->tag);
}

bool
calibrate_run(struct db *db, const char *model, const struct rules *r,
    const struct calib_opts *o, struct calibration *out, char **cause)
{
	memset(out, 0, sizeof *out);
	struct reading rd = {.db = db, .model = model, .r = r,
		.tags = g_hash_table_new_full(g_str_hash, g_str_equal, free, series_free)};
	if (!db_reviewed_each(db, model, read_image, &rd)) {
		g_hash_table_destroy(rd.tags);
		return db_cause(db, cause);
	}
	out->images = rd.images;
	out->tags = xcalloc(g_hash_table_size(rd.tags) + 1, sizeof *out->tags);
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, rd.tags);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		struct calib_tag *t = &out->tags[out->n++];
		t->tag = xstrdup(key);
		summarise(t, value, r, o);
	}
	qsort(out->tags, out->n, sizeof *out->tags, by_reviews);
	g_hash_table_destroy(rd.tags);
	return true;
}

void
calibration_fini(struct calibration *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->tags[i].tag);
	}
	free(c->tags);
	memset(c, 0, sizeof *c);
}

/* The threshold rules, inside the caller's transaction. */
static bool
write_rules(struct db *db, const struct calibration *c, int64_t min_reviews, size_t *written,
    char **cause)
{
	*written = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct calib_tag *t = &c->tags[i];
		if (t->verdict != CALIB_PROPOSED || t->reviews < min_reviews) {
			continue;
		}
		char value[32];
		snprintf(value, sizeof value, "%.9g", t->proposed);
		if (!rules_add_threshold(db, t->tag, value, NULL, cause)) {
			return false;
		}
		(*written)++;
	}
	return true;
}

bool
calibrate_apply(struct db *db, const struct calibration *c, int64_t min_reviews,
    size_t *written, char **cause)
{
	if (!db_begin(db)) {
		return db_cause(db, cause);
	}
	if (!write_rules(db, c, min_reviews, written, cause)) {
		db_rollback(db);
		return false;
	}
	return db_commit(db) || db_cause(db, cause);
}

bool
calibrate_impact(struct db *db, const char *model, const struct rules *r,
    const struct calibration *c, int64_t min_reviews, int64_t *before, int64_t *after,
    char **cause)
{
	struct search_opts o;
	search_opts_init(&o, model);
	rules_search_opts(r, &o);
	size_t written;
	if (!db_search_suggestions(db, &o, before) || !db_begin(db)) {
		return db_cause(db, cause);
	}
	/* The SQL reads threshold rules from their table: write them, count,
	 * and take them back. */
	bool ok = write_rules(db, c, min_reviews, &written, cause) &&
	    (db_search_suggestions(db, &o, after) || db_cause(db, cause));
	db_rollback(db);
	return ok;
}
