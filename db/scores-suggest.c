/*
 * scores-suggest.c — a suggested: term from the score sets, under the tag
 * rules and folder overrides: the algebra of what search-suggest.c says in
 * SQL (and the suggestion engine, core/tag/suggest.h, image by image).
 *
 * suggested:NAME matches an image when a prediction of a source tag (one
 * whose name after aliases is NAME, general or character) passes the cut
 * in force there, NAME is undecided there and neither the source's name
 * nor NAME is excluded there; or when a pin of NAME covers the image and
 * NAME is undecided.  The cut in force is the deepest threshold rule of
 * the source covering the image, else the deepest folder override's cut
 * of its category, else the global one.  Each of those is a set: the
 * bands above a threshold, the above-the-MCut set, a folder's images from
 * the path index, a tag's decided set; so the term is their unions and
 * differences, taken region by region, deepest first.
 *
 * Left to SQL (*out NULL): max_tags in force over a general source (a cap
 * ranks an image's names against each other), more than SCORES_MAX_TAGS
 * sources, and rule rows tagcon never writes (a folder range that is not
 * bytes, a threshold that is not a number, two rules of one tag on one
 * folder).
 */
#include <math.h>
#include <roaring/roaring.h>
#include <stdlib.h>
#include <string.h>

#include "db/bit-tally.h"
#include "db/db-private.h"
#include "db/postings-private.h"
#include "db/scores-private.h"
#include "db/search-private.h"
#include "db/search.h"
#include "common/xalloc.h"

/*
 * A set of images given by what it holds, or (all_but) by what it does
 * not: every absolute path is below the folder of a rule for everywhere
 * ("/" to "0"), and reading those ids would be reading the library (2 s at
 * 5M); its complement is the images whose path is not absolute, none in a
 * library tagcon wrote.
 */
struct region {
	roaring_bitmap_t *in;
	bool all_but;
};

/* The regions read for one term, by their range of paths. */
struct cached {
	char *lo, *hi;
	size_t n_lo, n_hi;
	struct region r;
};

struct ctx {
	struct db *db;
	const struct search_opts *o;
	int64_t model;
	const roaring_bitmap_t *shown;
	struct cached *cache;
	size_t n_cache;
	bool cannot; /* a rule the sets cannot follow: SQL answers */
};

static void
ctx_fini(struct ctx *c)
{
	for (size_t i = 0; i < c->n_cache; i++) {
		free(c->cache[i].lo);
		free(c->cache[i].hi);
		roaring_bitmap_free(c->cache[i].r.in);
	}
	free(c->cache);
}

/* x ∩ r, in place. */
static void
and_region(roaring_bitmap_t *x, const struct region *r)
{
	if (r->all_but) {
		roaring_bitmap_andnot_inplace(x, r->in);
	} else {
		roaring_bitmap_and_inplace(x, r->in);
	}
}

/* x − r, in place. */
static void
minus_region(roaring_bitmap_t *x, const struct region *r)
{
	if (r->all_but) {
		roaring_bitmap_and_inplace(x, r->in);
	} else {
		roaring_bitmap_andnot_inplace(x, r->in);
	}
}

/* c ∪ r, in place on c. */
static void
union_region(struct region *c, const struct region *r)
{
	if (c->all_but && r->all_but) {
		roaring_bitmap_and_inplace(c->in, r->in);
	} else if (c->all_but) {
		roaring_bitmap_andnot_inplace(c->in, r->in);
	} else if (r->all_but) {
		roaring_bitmap_t *in = roaring_bitmap_andnot(r->in, c->in);
		roaring_bitmap_free(c->in);
		c->in = in;
		c->all_but = true;
	} else {
		roaring_bitmap_or_inplace(c->in, r->in);
	}
}

/* The ids of the images whose path compares as st's bound parameters say
 * (?3 its LIMIT), charged to a first page's budget. */
static bool
ids_where(struct ctx *c, const char *sql, const void *a, size_t n_a, const void *b, size_t n_b,
    roaring_bitmap_t *out)
{
	sqlite3_stmt *st = db_stmt(c->db, sql);
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_blob(st, 1, a, (int)n_a, SQLITE_TRANSIENT);
	if (b != NULL) {
		sqlite3_bind_blob(st, 2, b, (int)n_b, SQLITE_TRANSIENT);
	}
	return postings_index_ids_into(c->db, st, 3, out);
}

/* The images with a path in [lo, hi) (search.c's folder range, compared
 * as bytes the way SQL compares the BLOBs), read once per term. */
static const struct region *
region_of(struct ctx *c, const void *lo, size_t n_lo, const void *hi, size_t n_hi)
{
	for (size_t i = 0; i < c->n_cache; i++) {
		struct cached *k = &c->cache[i];
		if (k->n_lo == n_lo && k->n_hi == n_hi && memcmp(k->lo, lo, n_lo) == 0 &&
		    memcmp(k->hi, hi, n_hi) == 0) {
			return &k->r;
		}
	}
	struct region r = {roaring_bitmap_create(), n_lo == 1 && n_hi == 1 &&
	    memcmp(lo, "/", 1) == 0 && memcmp(hi, "0", 1) == 0};
	bool ok = r.all_but
	    ? ids_where(c, "SELECT id FROM images WHERE path < ?1 LIMIT ?3", lo, n_lo, NULL, 0,
	        r.in) &&
	      ids_where(c, "SELECT id FROM images WHERE path >= ?1 LIMIT ?3", hi, n_hi, NULL, 0,
	        r.in)
	    : ids_where(c, "SELECT id FROM images WHERE path >= ?1 AND path < ?2 LIMIT ?3", lo,
	        n_lo, hi, n_hi, r.in);
	if (!ok) {
		roaring_bitmap_free(r.in);
		return NULL;
	}
	c->cache = xreallocarray(c->cache, c->n_cache + 1, sizeof *c->cache);
	struct cached *k = &c->cache[c->n_cache++];
	k->lo = xmalloc(n_lo + 1);
	k->hi = xmalloc(n_hi + 1);
	memcpy(k->lo, lo, n_lo);
	memcpy(k->hi, hi, n_hi);
	k->n_lo = n_lo;
	k->n_hi = n_hi;
	k->r = r;
	return &k->r;
}

/* The region of a rule row's (lo, hi) in columns col and col + 1; NULL
 * with c->cannot when they are not the bytes tagcon writes. */
static const struct region *
rule_region(struct ctx *c, sqlite3_stmt *st, int col, bool *ok)
{
	*ok = true;
	if (sqlite3_column_type(st, col) != SQLITE_BLOB ||
	    sqlite3_column_type(st, col + 1) != SQLITE_BLOB) {
		c->cannot = true;
		return NULL;
	}
	/* Copies: the column's bytes go with the next step. */
	size_t n_lo = (size_t)sqlite3_column_bytes(st, col);
	size_t n_hi = (size_t)sqlite3_column_bytes(st, col + 1);
	char *lo = xmalloc(n_lo + 1), *hi = xmalloc(n_hi + 1);
	memcpy(lo, sqlite3_column_blob(st, col), n_lo);
	memcpy(hi, sqlite3_column_blob(st, col + 1), n_hi);
	const struct region *r = region_of(c, lo, n_lo, hi, n_hi);
	free(lo);
	free(hi);
	*ok = r != NULL;
	return r;
}

static const struct region *
folder_region(struct ctx *c, const char *folder)
{
	char *lo, *hi;
	db_folder_range(folder, &lo, &hi);
	const struct region *r = region_of(c, lo, strlen(lo), hi, strlen(hi));
	free(lo);
	free(hi);
	return r;
}

/* A source tag: id, category, name, and name after aliases. */
struct source {
	int64_t id;
	int category;
	char *name;
	char *final;
};

static void
sources_free(struct source *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].name);
		free(s[i].final);
	}
	free(s);
}

/* The general and character tags whose name after aliases is the term's
 * (or matches its pattern): search.c's put_final_match. */
static bool
sources_of(struct ctx *c, const struct search_node *n, struct source **out, size_t *n_out)
{
	*out = NULL;
	*n_out = 0;
	sqlite3_stmt *st = db_stmt(c->db, n->pattern
	    ? "SELECT g.id, g.category, g.name, " SEARCH_FINAL_NAME " FROM tags g"
	    " WHERE g.category IN (0, 4) AND g.name GLOB ?1 AND NOT EXISTS (SELECT 1 FROM"
	    " tag_rules WHERE kind = 1 AND tag = g.name)"
	    " UNION SELECT g.id, g.category, g.name, " SEARCH_FINAL_NAME " FROM tag_rules rx"
	    " JOIN tags g ON g.name = rx.tag WHERE rx.kind = 1 AND g.category IN (0, 4)"
	    " AND " SEARCH_FINAL_NAME " GLOB ?1"
	    : "SELECT g.id, g.category, g.name, " SEARCH_FINAL_NAME " FROM tags g"
	    " WHERE g.name IN (SELECT ?1 UNION SELECT tag FROM tag_rules WHERE kind = 1"
	    " AND target = ?1) AND g.category IN (0, 4) AND " SEARCH_FINAL_NAME " = ?1");
	if (st == NULL) {
		return false;
	}
	search_bind_name(st, 1, n);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n_out <= SCORES_MAX_TAGS) {
		if (sqlite3_column_type(st, 2) != SQLITE_TEXT ||
		    sqlite3_column_type(st, 3) != SQLITE_TEXT) {
			c->cannot = true; /* a name that is not text: a script's */
			break;
		}
		*out = xreallocarray(*out, *n_out + 1, sizeof **out);
		struct source *s = &(*out)[(*n_out)++];
		s->id = sqlite3_column_int64(st, 0);
		s->category = sqlite3_column_int(st, 1);
		s->name = xstrdup((const char *)sqlite3_column_text(st, 2));
		s->final = xstrdup((const char *)sqlite3_column_text(st, 3));
		c->cannot = c->cannot || s->id <= 0 || s->id >= DB_SCORE_TAGS;
	}
	sqlite3_reset(st);
	c->cannot = c->cannot || *n_out > SCORES_MAX_TAGS;
	return rc == SQLITE_DONE || rc == SQLITE_ROW || db_fail(c->db, "score sets");
}

/* The images with a decision on the tag named name (none when there is
 * no such tag), into *out. */
static bool
decided(struct ctx *c, const char *name, roaring_bitmap_t **out)
{
	*out = NULL;
	sqlite3_stmt *st = db_stmt(c->db, "SELECT id FROM tags WHERE name = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		return db_fail(c->db, "score sets");
	}
	if (rc == SQLITE_DONE) {
		*out = roaring_bitmap_create();
		return true;
	}
	if (id <= 0 || id >= DB_SCORE_TAGS) {
		c->cannot = true;
		*out = roaring_bitmap_create();
		return true;
	}
	*out = scores_load_set(c->db, 0, id, DB_SCORE_DECIDED);
	return *out != NULL;
}

/* The images whose prediction of s passes cut (its category's side). */
static bool
category_pass(struct ctx *c, const struct source *s, const struct db_cut *cut,
    roaring_bitmap_t *out)
{
	bool character = s->category == DB_CAT_CHARACTER;
	if (character ? cut->character_mcut : cut->general_mcut) {
		return scores_or_slots(c->db, c->model, s->id, DB_SCORE_ABOVE, DB_SCORE_ABOVE, out);
	}
	return scores_above(c->db, c->model, s->id,
	    character ? cut->character_threshold : cut->general_threshold, false, out);
}

/* t within r and outside covered, into pass; covered grows by r. */
static void
take(roaring_bitmap_t *t, const struct region *r, struct region *covered,
    roaring_bitmap_t *pass)
{
	if (r != NULL) {
		and_region(t, r);
	}
	minus_region(t, covered);
	roaring_bitmap_or_inplace(pass, t);
	if (r != NULL) {
		union_region(covered, r);
	}
}

/* The images where a prediction of s passes the cut in force there:
 * its threshold rules deepest first, then the folder overrides (sorted
 * nearest first, as SQL's CASE reads them), then the global cut. */
static bool
source_pass(struct ctx *c, const struct source *s, roaring_bitmap_t *pass)
{
	struct region covered = {roaring_bitmap_create(), false};
	sqlite3_stmt *st = db_stmt(c->db, "SELECT value, lo, hi FROM tag_rules WHERE kind = 3"
	    " AND tag = ?1 ORDER BY length(lo) DESC, lo");
	bool ok = st != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, s->name, -1, SQLITE_TRANSIENT);
	}
	int rc = SQLITE_DONE;
	char *last = NULL;
	size_t n_last = 0;
	while (ok && !c->cannot && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int type = sqlite3_column_type(st, 0);
		size_t n_lo = (size_t)sqlite3_column_bytes(st, 1);
		const void *lo = sqlite3_column_blob(st, 1);
		/* Two rules of the tag on one folder (a script's): SQL takes
		 * either. */
		if ((type != SQLITE_FLOAT && type != SQLITE_INTEGER) ||
		    (last != NULL && n_last == n_lo && memcmp(last, lo, n_lo) == 0)) {
			c->cannot = true;
			break;
		}
		free(last);
		last = xmalloc(n_lo + 1);
		memcpy(last, lo, n_lo);
		n_last = n_lo;
		double value = sqlite3_column_double(st, 0);
		const struct region *r = rule_region(c, st, 1, &ok);
		if (!ok || r == NULL) {
			break;
		}
		roaring_bitmap_t *t = roaring_bitmap_create();
		ok = scores_above(c->db, c->model, s->id, value, false, t);
		take(t, r, &covered, pass);
		roaring_bitmap_free(t);
	}
	free(last);
	if (st != NULL) {
		sqlite3_reset(st);
	}
	if (ok && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		ok = db_fail(c->db, "score sets");
	}
	for (size_t k = 0; ok && !c->cannot && k <= c->o->n_overrides; k++) {
		bool global = k == c->o->n_overrides;
		const struct region *r = global ? NULL : folder_region(c, c->o->overrides[k].folder);
		roaring_bitmap_t *t = roaring_bitmap_create();
		ok = (global || r != NULL) &&
		    category_pass(c, s, global ? &c->o->cut : &c->o->overrides[k].cut, t);
		take(t, r, &covered, pass);
		roaring_bitmap_free(t);
	}
	roaring_bitmap_free(covered.in);
	return ok;
}

/* The images where an exclusion covers name or final, into *x (owned by
 * the caller). */
static bool
excluded(struct ctx *c, const char *name, const char *final, struct region *x)
{
	sqlite3_stmt *st = db_stmt(c->db, "SELECT lo, hi FROM tag_rules WHERE kind = 0"
	    " AND (?1 GLOB glob OR ?2 GLOB glob)");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, final, -1, SQLITE_TRANSIENT);
	int rc = SQLITE_DONE;
	bool ok = true;
	while (ok && !c->cannot && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const struct region *r = rule_region(c, st, 0, &ok);
		if (r != NULL) {
			union_region(x, r);
		}
	}
	sqlite3_reset(st);
	return !ok ? false : c->cannot || rc == SQLITE_DONE || db_fail(c->db, "score sets");
}

/* The images a pin of the term's name (or a name its pattern matches)
 * covers with the pinned name undecided, among shown, into out. */
static bool
pinned(struct ctx *c, const struct search_node *n, roaring_bitmap_t *out)
{
	sqlite3_stmt *st = db_stmt(c->db, n->pattern
	    ? "SELECT tag, lo, hi FROM tag_rules WHERE kind = 2 AND tag GLOB ?1"
	    : "SELECT tag, lo, hi FROM tag_rules WHERE kind = 2 AND tag = ?1");
	if (st == NULL) {
		return false;
	}
	search_bind_name(st, 1, n);
	int rc = SQLITE_DONE;
	bool ok = true;
	while (ok && !c->cannot && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_TEXT) {
			c->cannot = true;
			break;
		}
		char *tag = xstrdup((const char *)sqlite3_column_text(st, 0));
		const struct region *r = rule_region(c, st, 1, &ok);
		roaring_bitmap_t *d = NULL;
		if (r != NULL) {
			ok = decided(c, tag, &d);
		}
		if (r != NULL && ok) {
			roaring_bitmap_t *t = roaring_bitmap_copy(c->shown);
			and_region(t, r);
			roaring_bitmap_andnot_inplace(t, d);
			roaring_bitmap_or_inplace(out, t);
			roaring_bitmap_free(t);
		}
		if (d != NULL) {
			roaring_bitmap_free(d);
		}
		free(tag);
	}
	sqlite3_reset(st);
	return !ok ? false : c->cannot || rc == SQLITE_DONE || db_fail(c->db, "score sets");
}

static bool
term(struct ctx *c, const struct search_node *n, roaring_bitmap_t *r)
{
	struct source *src = NULL;
	size_t n_src = 0;
	if (c->model > 0 && !sources_of(c, n, &src, &n_src)) {
		return false;
	}
	bool cap = search_capped(c->o), ok = true;
	for (size_t i = 0; i < n_src && !c->cannot; i++) {
		c->cannot = cap && src[i].category != DB_CAT_CHARACTER;
	}
	for (size_t i = 0; ok && !c->cannot && !c->db->scores_over && i < n_src; i++) {
		roaring_bitmap_t *pass = roaring_bitmap_create(), *d = NULL;
		struct region out = {roaring_bitmap_create(), false};
		ok = excluded(c, src[i].name, src[i].final, &out);
		/* Excluded everywhere (but where no folder is): its sets are
		 * not read, so that a first page of it need not walk. */
		bool none = out.all_but && roaring_bitmap_is_empty(out.in);
		ok = ok && (none || (source_pass(c, &src[i], pass) && decided(c, src[i].final, &d)));
		if (ok && !none) {
			minus_region(pass, &out);
			roaring_bitmap_andnot_inplace(pass, d);
			roaring_bitmap_or_inplace(r, pass);
		}
		if (d != NULL) {
			roaring_bitmap_free(d);
		}
		roaring_bitmap_free(out.in);
		roaring_bitmap_free(pass);
	}
	sources_free(src, n_src);
	return ok && (c->cannot || pinned(c, n, r));
}

bool
scores_suggested(struct db *db, const struct search_node *n, const struct search_opts *o,
    int64_t model, const roaring_bitmap_t *shown, roaring_bitmap_t **out)
{
	struct ctx c = {.db = db, .o = o, .model = model, .shown = shown};
	roaring_bitmap_t *r = roaring_bitmap_create();
	bool ok = term(&c, n, r);
	ctx_fini(&c);
	if (!ok || c.cannot) {
		roaring_bitmap_free(r);
		*out = NULL;
		return ok;
	}
	/* A region's images may include missing ones; the term's are shown. */
	roaring_bitmap_and_inplace(r, shown);
	*out = r;
	return true;
}

/* The tags rules touch (general and character; name set) and the pinned
 * names (name NULL): each with its name after aliases. */
static bool
ruled_sources(struct ctx *c, struct source **out, size_t *n_out)
{
	*out = NULL;
	*n_out = 0;
	sqlite3_stmt *st = db_stmt(c->db, "SELECT g.id, g.category, g.name, " SEARCH_FINAL_NAME
	    " FROM tags g WHERE g.category IN (0, 4) AND g.id IN (" SEARCH_RULED_TAGS ")"
	    " UNION ALL SELECT NULL, NULL, NULL, tag FROM tag_rules WHERE kind = 2");
	if (st == NULL) {
		return false;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		bool pin = sqlite3_column_type(st, 0) == SQLITE_NULL;
		if (sqlite3_column_type(st, 3) != SQLITE_TEXT ||
		    (!pin && sqlite3_column_type(st, 2) != SQLITE_TEXT)) {
			c->cannot = true; /* a name that is not text: a script's */
			break;
		}
		*out = xreallocarray(*out, *n_out + 1, sizeof **out);
		struct source *s = &(*out)[(*n_out)++];
		s->id = pin ? 0 : sqlite3_column_int64(st, 0);
		s->category = sqlite3_column_int(st, 1);
		s->name = pin ? NULL : xstrdup((const char *)sqlite3_column_text(st, 2));
		s->final = xstrdup((const char *)sqlite3_column_text(st, 3));
		c->cannot = c->cannot || (!pin && (s->id <= 0 || s->id >= DB_SCORE_TAGS));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW || db_fail(c->db, "score sets");
}

/* Whether src[i]'s final name came before i (each name is one term). */
static bool
seen_before(const struct source *src, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if (strcmp(src[j].final, src[i].final) == 0) {
			return true;
		}
	}
	return false;
}

/* suggested:name under o among shown, a new bitmap; NULL with c->cannot
 * when the sets cannot tell. */
static bool
name_term(struct ctx *c, const char *name, const struct search_opts *o,
    const roaring_bitmap_t *shown, roaring_bitmap_t **out)
{
	struct search_node n = {.kind = SEARCH_SUGGESTED, .text = (char *)name, .category = -1};
	bool ok = scores_suggested(c->db, &n, o, c->model, shown, out);
	c->cannot = c->cannot || *out == NULL;
	return ok;
}

/*
 * The library count's correction for the tags rules touch (search-count.c):
 * *plain, what its histogram counted for them (a prediction above the
 * global cut of its category, undecided by its own tag), and *ruled, what
 * the rules make of them (every name they become, and every pinned name,
 * as the images suggesting it), both among outside.  The names are
 * suggested: terms without the overrides: outside lies beyond them.
 */
bool
scores_pending_ruled(struct db *db, const struct search_opts *o, int64_t model,
    const roaring_bitmap_t *outside, int64_t *ruled, int64_t *plain, bool *answered)
{
	struct search_opts flat = *o;
	flat.n_overrides = 0;
	struct ctx c = {.db = db, .o = &flat, .model = model, .shown = outside};
	*ruled = *plain = 0;
	*answered = false;
	if (search_capped(o)) {
		return true;
	}
	struct source *src;
	size_t n_src;
	bool ok = ruled_sources(&c, &src, &n_src);
	/* What the histogram counted for each ruled tag. */
	for (size_t i = 0; ok && !c.cannot && model > 0 && i < n_src; i++) {
		if (src[i].name == NULL) {
			continue;
		}
		roaring_bitmap_t *t = roaring_bitmap_create(), *d = NULL;
		ok = category_pass(&c, &src[i], &flat.cut, t) &&
		    (d = scores_load_set(db, 0, src[i].id, DB_SCORE_DECIDED)) != NULL;
		if (ok) {
			roaring_bitmap_andnot_inplace(t, d);
			*plain += (int64_t)roaring_bitmap_and_cardinality(t, outside);
			roaring_bitmap_free(d);
		}
		roaring_bitmap_free(t);
	}
	/* Each name once, as suggested:NAME. */
	for (size_t i = 0; ok && !c.cannot && i < n_src; i++) {
		roaring_bitmap_t *r = NULL;
		if (!seen_before(src, i) && (ok = name_term(&c, src[i].final, &flat, outside, &r)) &&
		    r != NULL) {
			*ruled += (int64_t)roaring_bitmap_get_cardinality(r);
		}
		if (r != NULL) {
			roaring_bitmap_free(r);
		}
	}
	sources_free(src, n_src);
	*answered = ok && !c.cannot;
	return ok;
}

/* The images with a prediction of s with a score in x's range on x's side
 * of the MCut cut, into out. */
static bool
crossing(struct ctx *c, const struct source *s, const struct scores_cross *x,
    roaring_bitmap_t *out)
{
	roaring_bitmap_t *t = roaring_bitmap_create(), *z = roaring_bitmap_create();
	roaring_bitmap_t *above = scores_load_set(c->db, c->model, s->id, DB_SCORE_ABOVE);
	bool ok = above != NULL &&
	    (isfinite(x->a) ? scores_above(c->db, c->model, s->id, x->a, false, t)
	    : scores_or_slots(c->db, c->model, s->id, 0, 100, t)) &&
	    (!isfinite(x->z) || scores_above(c->db, c->model, s->id, x->z, false, z));
	if (ok) {
		roaring_bitmap_andnot_inplace(t, z);
		if (x->side) {
			roaring_bitmap_and_inplace(t, above);
		} else {
			roaring_bitmap_andnot_inplace(t, above);
		}
		roaring_bitmap_or_inplace(out, t);
	}
	if (above != NULL) {
		roaring_bitmap_free(above);
	}
	roaring_bitmap_free(t);
	roaring_bitmap_free(z);
	return ok;
}


/* Whether a category's cut differs somewhere between a and b. */
static bool
cut_moves(const struct search_opts *a, const struct search_opts *b, bool character)
{
	bool moves = !search_same_cut(&a->cut, &b->cut, character) ||
	    a->n_overrides != b->n_overrides;
	for (size_t k = 0; !moves && k < a->n_overrides; k++) {
		moves = strcmp(a->overrides[k].folder, b->overrides[k].folder) != 0 ||
		    !search_same_cut(&a->overrides[k].cut, &b->overrides[k].cut, character);
	}
	return moves;
}

/* Whether s has a threshold of its own on every image (a rule for
 * everywhere, and no image whose path no folder holds): then no cut of
 * its category reaches it. */
static bool
fixed_everywhere(struct ctx *c, const struct source *s, bool *fixed)
{
	*fixed = false;
	sqlite3_stmt *st = db_stmt(c->db, "SELECT EXISTS (SELECT 1 FROM tag_rules WHERE kind = 3"
	    " AND tag = ?1 AND lo = ?2 AND hi = ?3 AND typeof(value) IN ('integer', 'real'))");
	if (st == NULL) {
		return false;
	}
	/* Everywhere: the range of the folder "" (every absolute path). */
	char *lo, *hi;
	db_folder_range("", &lo, &hi);
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, lo, (int)strlen(lo), SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, hi, (int)strlen(hi), SQLITE_TRANSIENT);
	free(lo);
	free(hi);
	int rc = sqlite3_step(st);
	bool rule = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		return db_fail(c->db, "score sets");
	}
	const struct region *all = rule ? folder_region(c, "") : NULL;
	*fixed = all != NULL && roaring_bitmap_is_empty(all->in);
	return !rule || all != NULL;
}

/* Whether suggested:(src[i].final) can differ between old and cand: a
 * source of that name whose category's cut moves and reaches it. */
static bool
name_moves(struct ctx *c, const struct source *src, size_t n_src, size_t i,
    const struct search_opts *old, const struct search_opts *cand, bool *moves)
{
	*moves = false;
	for (size_t j = 0; j < n_src && !*moves; j++) {
		bool fixed = false;
		if (src[j].name == NULL || strcmp(src[j].final, src[i].final) != 0 ||
		    !cut_moves(old, cand, src[j].category == DB_CAT_CHARACTER)) {
			continue;
		}
		if (!fixed_everywhere(c, &src[j], &fixed)) {
			return false;
		}
		*moves = !fixed;
	}
	return true;
}

bool
scores_ruled_change(struct db *db, const struct search_opts *old, const struct search_opts *cand,
    int64_t model, const roaring_bitmap_t *shown, const struct scores_cross *x, size_t n_x,
    roaring_bitmap_t *diff, const roaring_bitmap_t *among, struct bit_tally *cross,
    bool *answered)
{
	struct ctx c = {.db = db, .o = old, .model = model, .shown = shown};
	*answered = false;
	if (search_capped(old) || search_capped(cand)) {
		return true;
	}
	struct source *src;
	size_t n_src;
	bool ok = ruled_sources(&c, &src, &n_src);
	for (size_t i = 0; ok && !c.cannot && model > 0 && i < n_src; i++) {
		bool character = src[i].category == DB_CAT_CHARACTER;
		if (src[i].name == NULL) {
			continue;
		}
		/* One count per tag (ruled_sources lists each once): its one
		 * prediction lies on one side of the cut.  The images with a
		 * decision on it are not counted: in a library curated by hand
		 * they are most of a frequent tag's. */
		roaring_bitmap_t *t = roaring_bitmap_create();
		for (size_t k = 0; ok && k < n_x; k++) {
			if (x[k].character == character) {
				ok = crossing(&c, &src[i], &x[k], t);
			}
		}
		if (among != NULL) {
			roaring_bitmap_and_inplace(t, among);
		}
		roaring_bitmap_t *d = ok && !roaring_bitmap_is_empty(t)
		    ? scores_load_set(db, 0, src[i].id, DB_SCORE_DECIDED) : NULL;
		if (d != NULL) {
			roaring_bitmap_andnot_inplace(t, d);
			roaring_bitmap_free(d);
			bit_tally_add(cross, t);
		} else {
			ok = ok && roaring_bitmap_is_empty(t);
		}
		roaring_bitmap_free(t);
	}
	for (size_t i = 0; ok && !c.cannot && i < n_src; i++) {
		roaring_bitmap_t *a = NULL, *b = NULL;
		/* A name no moving cut reaches (a pin alone, a threshold of its
		 * own everywhere, the other category) is suggested alike. */
		bool moves = false;
		if (!seen_before(src, i) && (ok = name_moves(&c, src, n_src, i, old, cand, &moves)) &&
		    moves) {
			ok = name_term(&c, src[i].final, old, shown, &a) &&
			    (c.cannot || name_term(&c, src[i].final, cand, shown, &b));
		}
		if (ok && a != NULL && b != NULL) {
			roaring_bitmap_xor_inplace(a, b);
			roaring_bitmap_or_inplace(diff, a);
		}
		if (a != NULL) {
			roaring_bitmap_free(a);
		}
		if (b != NULL) {
			roaring_bitmap_free(b);
		}
	}
	sources_free(src, n_src);
	ctx_fini(&c);
	*answered = ok && !c.cannot;
	return ok;
}

bool
scores_crossing(struct db *db, int64_t model, int64_t tag, bool character,
    const struct scores_cross *x, size_t n_x, roaring_bitmap_t *out)
{
	struct ctx c = {.db = db, .model = model};
	struct source src = {.id = tag, .category = character ? DB_CAT_CHARACTER : DB_CAT_GENERAL};
	if (tag <= 0 || tag >= DB_SCORE_TAGS || model <= 0) {
		return true;
	}
	roaring_bitmap_t *t = roaring_bitmap_create();
	bool ok = true;
	for (size_t k = 0; ok && k < n_x; k++) {
		if (x[k].character == character) {
			ok = crossing(&c, &src, &x[k], t);
		}
	}
	roaring_bitmap_t *d = ok ? scores_load_set(db, 0, tag, DB_SCORE_DECIDED) : NULL;
	if (d != NULL) {
		roaring_bitmap_andnot_inplace(t, d);
		roaring_bitmap_or_inplace(out, t);
		roaring_bitmap_free(d);
	}
	roaring_bitmap_free(t);
	return ok && d != NULL;
}
