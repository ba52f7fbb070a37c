/* review.c — one image's tags under review: marks, undo, commit. */
#include "core/tag/review.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "core/tag/rules.h"
#include "core/tag/tagname.h"
#include "db/browse.h"
#include "db/db.h"
#include "db/review.h"
#include "common/xalloc.h"

struct undo {
	size_t n;                /* tags before the edit (an add appends) */
	enum review_mark *marks; /* every mark before the edit */
};

struct review {
	int64_t image_id;
	char *model;
	char *path;
	struct rules *rules; /* a private copy */
	struct review_opts opts;
	bool tagged;
	struct db_tagged t;
	struct suggest_input in;
	struct suggest_result res;
	struct review_tag *tags;
	size_t n;
	struct undo *undo;
	size_t n_undo;
	char *stamp; /* the decisions as loaded (db_review_stamp) */
};

enum review_mode
review_mode_parse(const char *s)
{
	if (s != NULL && strcmp(s, "auto") == 0) {
		return REVIEW_MODE_AUTO;
	}
	if (s != NULL && strcmp(s, "auto-above") == 0) {
		return REVIEW_MODE_AUTO_ABOVE;
	}
	if (s != NULL && strcmp(s, "auto-confident") == 0) {
		return REVIEW_MODE_AUTO_CONFIDENT;
	}
	return REVIEW_MODE_REQUIRED;
}

static struct review_tag *
push_tag(struct review *r, const char *tag, enum db_category cat, float score,
    enum review_status status)
{
	r->tags = xreallocarray(r->tags, r->n + 1, sizeof *r->tags);
	struct review_tag *t = &r->tags[r->n++];
	*t = (struct review_tag){.tag = xstrdup(tag), .category = cat, .score = score,
		.status = status};
	return t;
}

/* Character, general, the rest; then by score, then by name. */
static int
group_of(enum db_category c)
{
	return c == DB_CAT_CHARACTER ? 0 : c == DB_CAT_GENERAL ? 1 : 2;
}

static int
tag_order(const void *a, const void *b)
{
	const struct review_tag *x = a, *y = b;
	int gx = group_of(x->category), gy = group_of(y->category);
	if (gx != gy) {
		return gx - gy;
	}
	if (x->score != y->score) {
		return x->score > y->score ? -1 : 1;
	}
	return strcmp(x->tag, y->tag);
}

/* The highest score among predictions the engine names name. */
static float
score_of(const struct review *r, const char *name)
{
	float best = -1;
	for (size_t i = 0; i < r->in.n_preds; i++) {
		const struct suggest_pred *p = &r->in.preds[i];
		if (p->score > best && strcmp(rules_alias_of(r->rules, p->tag), name) == 0) {
			best = p->score;
		}
	}
	return best;
}

/* The list: what the engine names (suggestions, near misses), then every
 * decision, each name once. */
static void
build(struct review *r)
{
	suggest_result_fini(&r->res);
	suggest_image(r->rules, r->path, &r->in, &r->res);
	for (size_t k = 0; k < r->res.n_all; k++) {
		const struct suggest_tag *e = &r->res.tags[k];
		struct review_tag *t = push_tag(r, e->tag, e->category, e->score, REVIEW_PREDICTED);
		t->pinned = e->pinned;
		t->predicted = e->predicted != NULL ? xstrdup(e->predicted) : NULL;
	}
	for (size_t k = 0; k < r->in.n_decisions; k++) {
		const struct suggest_decision *d = &r->in.decisions[k];
		enum review_status st = d->accepted ? REVIEW_COMMITTED : REVIEW_REJECTED;
		int i = review_find(r, d->tag);
		if (i >= 0) {
			r->tags[i].status = st;
		} else {
			push_tag(r, d->tag, d->category, score_of(r, d->tag), st);
		}
	}
	if (r->n > 0) {
		qsort(r->tags, r->n, sizeof *r->tags, tag_order);
	}
}

/* Suggested and near-miss flags from the engine's verdict. */
static void
derive(struct review *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct review_tag *t = &r->tags[i];
		int k = t->status == REVIEW_PREDICTED ? suggest_find(&r->res, t->tag) : -1;
		t->suggested = k >= 0;
		t->pinned = k >= 0 && r->res.tags[k].pinned;
		t->near_miss = t->status == REVIEW_PREDICTED && !t->suggested && t->score >= 0;
	}
}

/* Whether a suggestion passes a minimum score: a pin always does, the
 * person asked for it whatever the scores. */
static bool
earns(const struct review_tag *t, double min_score)
{
	return t->pinned || t->score >= min_score;
}

/* Marks a review starts with: the review mode may pre-accept suggestions. */
static void
initial_marks(struct review *r)
{
	bool sure = r->opts.mode == REVIEW_MODE_AUTO_CONFIDENT &&
	    suggest_confidence(&r->res) >= r->opts.margin;
	for (size_t i = 0; i < r->n; i++) {
		struct review_tag *t = &r->tags[i];
		bool pre = t->suggested && (r->opts.mode == REVIEW_MODE_AUTO || sure ||
		    (r->opts.mode == REVIEW_MODE_AUTO_ABOVE && earns(t, r->opts.min_score)));
		t->mark = pre ? REVIEW_ACCEPT : REVIEW_KEEP;
	}
}

static void
forget_undo(struct review *r)
{
	for (size_t i = 0; i < r->n_undo; i++) {
		free(r->undo[i].marks);
	}
	free(r->undo);
	r->undo = NULL;
	r->n_undo = 0;
}

static void
unload(struct review *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free((char *)r->tags[i].tag);
		free((char *)r->tags[i].predicted);
	}
	free(r->tags);
	r->tags = NULL;
	r->n = 0;
	forget_undo(r);
	suggest_result_fini(&r->res);
	suggest_input_fini(&r->in);
	db_tagged_fini(&r->t);
}


static bool
load(struct review *r, struct db *db, char **cause)
{
	free(r->stamp);
	r->stamp = db_review_stamp(db, r->image_id);
	if (r->stamp == NULL || !db_image_tagged(db, r->image_id, r->model, &r->t, &r->tagged) ||
	    !suggest_load(db, r->image_id, r->model, &r->in)) {
		*cause = xstrdup(db_errmsg(db));
		return false;
	}
	build(r);
	derive(r);
	initial_marks(r);
	return true;
}

/* The image's path: the rules depend on its folder. */
static bool
load_path(struct review *r, struct db *db, char **cause)
{
	struct db_browse_row row;
	bool found = false;
	if (!db_browse_image(db, r->image_id, r->model, &row, &found) || !found) {
		*cause = found ? xstrdup(db_errmsg(db)) :
		    xasprintf("image %lld is not in the library", (long long)r->image_id);
		return false;
	}
	r->path = row.path; /* taken */
	free(row.error);
	return true;
}

struct review *
review_create(struct db *db, int64_t image_id, const char *model,
    const struct rules *rules, const struct review_opts *opts, char **cause)
{
	struct review *r = xcalloc(1, sizeof *r);
	r->image_id = image_id;
	r->model = xstrdup(model);
	r->rules = rules_dup(rules);
	r->opts = *opts;
	if (!load_path(r, db, cause) || !load(r, db, cause)) {
		review_destroy(r);
		return NULL;
	}
	return r;
}

void
review_destroy(struct review *r)
{
	if (r == NULL) {
		return;
	}
	unload(r);
	free(r->stamp);
	free(r->model);
	free(r->path);
	rules_destroy(r->rules);
	free(r);
}

int64_t
review_image(const struct review *r)
{
	return r->image_id;
}

bool
review_rating(const struct review *r, float rating[4])
{
	if (r->tagged) {
		memcpy(rating, r->t.rating, sizeof r->t.rating);
	}
	return r->tagged;
}

double
review_cut(const struct review *r, enum db_category category)
{
	return category == DB_CAT_CHARACTER ? r->res.character_cut : r->res.general_cut;
}

double
review_confidence(const struct review *r)
{
	return suggest_confidence(&r->res);
}

bool
review_exact(const struct review *r)
{
	return r->res.exact;
}

size_t
review_count(const struct review *r)
{
	return r->n;
}

const struct review_tag *
review_tag(const struct review *r, size_t i)
{
	return i < r->n ? &r->tags[i] : NULL;
}

int
review_find(const struct review *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->tags[i].tag, name) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* Remember every mark before an edit. */
static void
snapshot(struct review *r)
{
	r->undo = xreallocarray(r->undo, r->n_undo + 1, sizeof *r->undo);
	struct undo *u = &r->undo[r->n_undo++];
	u->n = r->n;
	u->marks = xcalloc(r->n + 1, sizeof *u->marks);
	for (size_t i = 0; i < r->n; i++) {
		u->marks[i] = r->tags[i].mark;
	}
}

/* Set a mark, with an undo step; false when it was already so. */
static bool
set_mark(struct review *r, size_t i, enum review_mark m)
{
	if (i >= r->n || r->tags[i].mark == m) {
		return false;
	}
	snapshot(r);
	r->tags[i].mark = m;
	return true;
}

bool
review_undo(struct review *r)
{
	if (r->n_undo == 0) {
		return false;
	}
	struct undo *u = &r->undo[--r->n_undo];
	while (r->n > u->n) {
		free((char *)r->tags[--r->n].tag);
	}
	for (size_t i = 0; i < r->n; i++) {
		r->tags[i].mark = u->marks[i];
	}
	free(u->marks);
	return true;
}

bool
review_accept_all(struct review *r)
{
	bool any = false;
	for (size_t i = 0; i < r->n; i++) {
		any |= r->tags[i].suggested && r->tags[i].mark != REVIEW_ACCEPT;
	}
	if (!any) {
		return false;
	}
	snapshot(r);
	for (size_t i = 0; i < r->n; i++) {
		if (r->tags[i].suggested) {
			r->tags[i].mark = REVIEW_ACCEPT;
		}
	}
	return true;
}

bool
review_toggle_accept(struct review *r, size_t i)
{
	if (i >= r->n || r->tags[i].status == REVIEW_COMMITTED) {
		return false;
	}
	return set_mark(r, i, r->tags[i].mark == REVIEW_ACCEPT ? REVIEW_KEEP : REVIEW_ACCEPT);
}

bool
review_toggle_reject(struct review *r, size_t i)
{
	if (i >= r->n) {
		return false;
	}
	const struct review_tag *t = &r->tags[i];
	switch (t->status) {
	case REVIEW_PREDICTED:
	case REVIEW_COMMITTED:
		return set_mark(r, i, t->mark == REVIEW_REJECT ? REVIEW_KEEP : REVIEW_REJECT);
	case REVIEW_REJECTED:
		return set_mark(r, i, t->mark == REVIEW_FORGET ? REVIEW_KEEP : REVIEW_FORGET);
	case REVIEW_NEW:
		return set_mark(r, i, t->mark == REVIEW_ACCEPT ? REVIEW_KEEP : REVIEW_ACCEPT);
	}
	return false;
}

bool
review_remove(struct review *r, size_t i)
{
	if (i >= r->n) {
		return false;
	}
	switch (r->tags[i].status) {
	case REVIEW_COMMITTED:
		return set_mark(r, i, REVIEW_REJECT);
	case REVIEW_NEW:
	case REVIEW_PREDICTED:
		return r->tags[i].mark == REVIEW_ACCEPT && set_mark(r, i, REVIEW_KEEP);
	case REVIEW_REJECTED:
		return false;
	}
	return false;
}

char *
review_tag_name(const char *typed)
{
	/* Runs of blanks count as one word break: "blue  sky" is blue_sky. */
	char **words = g_strsplit_set(typed, " \t\n\r\v\f", -1);
	GString *g = g_string_new(NULL);
	for (char **w = words; *w != NULL; w++) {
		if (**w != '\0') {
			g_string_append_printf(g, "%s%s", g->len ? " " : "", *w);
		}
	}
	g_strfreev(words);
	/* The canonical form every other part of tagcon uses (core/tagname.h). */
	char *name = tagname_from_space(g->str);
	g_string_free(g, TRUE);
	return name;
}

struct known {
	const char *name;
	bool found;
	enum db_category category;
};

static void
known_tag(void *ud, const char *name, enum db_category category)
{
	struct known *k = ud;
	if (strcmp(name, k->name) == 0) {
		k->found = true;
		k->category = category;
	}
}

bool
review_add(struct review *r, struct db *db, const char *typed, char **cause)
{
	char *name = review_tag_name(typed);
	if (name == NULL) {
		*cause = xstrdup("not a tag name (empty, too long, or with control characters)");
		return false;
	}
	int i = review_find(r, name);
	if (i >= 0) {
		bool changed = r->tags[i].status != REVIEW_COMMITTED &&
		    set_mark(r, (size_t)i, REVIEW_ACCEPT);
		if (!changed && r->tags[i].status == REVIEW_COMMITTED &&
		    r->tags[i].mark == REVIEW_REJECT) {
			set_mark(r, (size_t)i, REVIEW_KEEP);
		}
		free(name);
		return true;
	}
	struct known k = {.name = name, .category = DB_CAT_USER};
	if (!db_browse_tags(db, name, 1, known_tag, &k)) {
		*cause = xstrdup(db_errmsg(db));
		free(name);
		return false;
	}
	snapshot(r);
	push_tag(r, name, k.found ? k.category : DB_CAT_USER, -1, REVIEW_NEW)->mark = REVIEW_ACCEPT;
	free(name);
	return true;
}

size_t
review_pending(const struct review *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++) {
		n += r->tags[i].mark != REVIEW_KEEP;
	}
	return n;
}

static struct db_review_change
change_of(const struct review_tag *t)
{
	struct db_review_change c = {.tag = t->tag, .category = t->category,
		.source = DB_SOURCE_MANUAL};
	switch (t->mark) {
	case REVIEW_ACCEPT:
		c.op = DB_REVIEW_ACCEPT;
		/* The model's own suggestion, taken as is, is an automatic tag. */
		if (t->status == REVIEW_PREDICTED && t->suggested) {
			c.source = DB_SOURCE_AUTO;
		}
		break;
	case REVIEW_REJECT:
		c.op = DB_REVIEW_REJECT;
		break;
	case REVIEW_FORGET:
	case REVIEW_KEEP:
		c.op = DB_REVIEW_FORGET;
		break;
	}
	return c;
}

bool
review_commit(struct review *r, struct db *db, char **cause)
{
	struct db_review_change *changes = xcalloc(r->n + 1, sizeof *changes);
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (r->tags[i].mark != REVIEW_KEEP) {
			changes[n++] = change_of(&r->tags[i]);
		}
	}
	bool stale;
	bool ok = db_review_commit_if(db, r->image_id, changes, n, r->stamp, &stale);
	free(changes);
	if (stale) {
		/* Two curators on one image: the later one is told, and sees what
		 * the other committed, rather than undoing it silently. */
		*cause = xstrdup("changed since you opened it (committed from another console or "
		    "command): shown again as it is now, your marks dropped");
		unload(r);
		char *why = NULL;
		if (!load(r, db, &why)) {
			free(*cause);
			*cause = why;
		}
		return false;
	}
	if (!ok) {
		*cause = xstrdup(db_errmsg(db));
		return false;
	}
	unload(r);
	return load(r, db, cause);
}

/* The marks of r by name (NULL when r has none set). */
static char **
marks_by_name(const struct review *r, enum review_mark **marks, size_t *n)
{
	char **names = xcalloc(r->n + 1, sizeof *names);
	*marks = xcalloc(r->n + 1, sizeof **marks);
	*n = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (r->tags[i].mark != REVIEW_KEEP) {
			names[*n] = xstrdup(r->tags[i].tag);
			(*marks)[(*n)++] = r->tags[i].mark;
		}
	}
	return names;
}

void
review_set_rules(struct review *r, const struct rules *rules)
{
	rules_destroy(r->rules);
	r->rules = rules_dup(rules);
	/* Which names are listed depends on the rules (aliases, exclusions,
	 * pins), not on the cuts: rebuild the list, carry the marks over. */
	enum review_mark *marks;
	size_t n_marks;
	char **names = marks_by_name(r, &marks, &n_marks);
	size_t before = r->n;
	bool same = true;
	struct review_tag *old = r->tags;
	r->tags = NULL;
	r->n = 0;
	build(r);
	/* Tags typed in this review stay, after the rest, as review_add() put them. */
	for (size_t i = 0; i < before; i++) {
		if (old[i].status == REVIEW_NEW && review_find(r, old[i].tag) < 0) {
			push_tag(r, old[i].tag, old[i].category, -1, REVIEW_NEW);
		}
	}
	same = before == r->n;
	for (size_t i = 0; same && i < r->n; i++) {
		same = strcmp(old[i].tag, r->tags[i].tag) == 0;
	}
	for (size_t i = 0; i < before; i++) {
		free((char *)old[i].tag);
		free((char *)old[i].predicted);
	}
	free(old);
	derive(r);
	for (size_t k = 0; k < n_marks; k++) {
		int i = review_find(r, names[k]);
		if (i >= 0) {
			r->tags[i].mark = marks[k];
		}
		free(names[k]);
	}
	free(names);
	free(marks);
	if (!same) {
		forget_undo(r); /* its snapshots index the old list */
	}
}

void
review_diff(const struct review *r, const struct rules *cand,
    void (*fn)(void *ud, const char *tag, bool added), void *ud)
{
	struct suggest_result c;
	suggest_image(cand, r->path, &r->in, &c);
	for (size_t i = 0; i < c.n; i++) {
		if (suggest_find(&r->res, c.tags[i].tag) < 0) {
			fn(ud, c.tags[i].tag, true);
		}
	}
	for (size_t i = 0; i < r->res.n; i++) {
		if (suggest_find(&c, r->res.tags[i].tag) < 0) {
			fn(ud, r->res.tags[i].tag, false);
		}
	}
	suggest_result_fini(&c);
}

bool
review_accept_above(struct review *r, double min_score)
{
	bool any = false;
	for (size_t i = 0; i < r->n; i++) {
		const struct review_tag *t = &r->tags[i];
		any |= t->suggested && t->mark != REVIEW_ACCEPT && earns(t, min_score);
	}
	if (!any) {
		return false;
	}
	snapshot(r);
	for (size_t i = 0; i < r->n; i++) {
		if (r->tags[i].suggested && earns(&r->tags[i], min_score)) {
			r->tags[i].mark = REVIEW_ACCEPT;
		}
	}
	return true;
}

bool
review_autocommit(struct db *db, int64_t image_id, const char *model, const struct rules *rules,
    const struct review_opts *opts, size_t *committed, char **cause)
{
	*committed = 0;
	if (opts->mode == REVIEW_MODE_REQUIRED) {
		return true;
	}
	/* The review's own initial marks are what the mode accepts. */
	struct review *r = review_create(db, image_id, model, rules, opts, cause);
	if (r == NULL) {
		return false;
	}
	*committed = review_pending(r);
	bool ok = *committed == 0 || review_commit(r, db, cause);
	review_destroy(r);
	return ok;
}
