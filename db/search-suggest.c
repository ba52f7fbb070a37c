/*
 * search-suggest.c — the SQL of the suggestion engine's steps
 * (core/tag/suggest.h) for one prediction p (tags g) of image i: the cut in
 * force (folder overrides, MCut as each answer stored it, a tag's threshold
 * rule), aliases, exclusions, decisions and the max_tags cap; and the
 * confidence measure Library sorts by.  search.c's `suggested:` and
 * search-count.c's library count are built from these, and
 * tests/unit/test-agree.c checks them against the engine.
 */
#include <stdlib.h>
#include <string.h>

#include "db/db-private.h"
#include "db/predictions.h"
#include "db/search-private.h"
#include "db/search.h"
#include "common/xalloc.h"

#define put search_put
#define putf search_putf

/* The MCut cut of one category of the image's content, as its answer
 * stored it (schema 5; the character one already floored at 0.15).
 * Approximate where the Space saw scores below the floor that tagcon did
 * not store (core/mcut.h).  NULL, so nothing passes, when the answer has
 * none. */
static void
put_mcut(struct compile *c, struct sql *q, int category)
{
	putf(q, "(SELECT tc.%s FROM tagged tc WHERE tc.content_id = i.content_id"
	    " AND tc.model_id = ",
	    category == DB_CAT_CHARACTER ? "mcut_character" : "mcut_general");
	search_bind_int(c, q, c->model_id);
	put(q, ")");
}

void
search_put_cut(struct compile *c, struct sql *q, const struct db_cut *cut, int category)
{
	bool character = category == DB_CAT_CHARACTER;
	if (character ? cut->character_mcut : cut->general_mcut) {
		put_mcut(c, q, category);
	} else {
		search_bind_real(c, q, character ? cut->character_threshold : cut->general_threshold);
	}
}

/* What a value of the cut is, as SQL (a threshold, a cap, ...). */
typedef void put_cut_value(struct compile *c, struct sql *q, const struct db_cut *cut,
    int category);

/* value of the cut in force at image i: the nearest folder override, else
 * the global setting.  The one place SQL decides which cut applies where;
 * overrides arrive sorted deepest first. */
static void
put_by_folder(struct compile *c, struct sql *q, put_cut_value *value, int category)
{
	const struct search_opts *o = c->o;
	if (o->n_overrides == 0) {
		value(c, q, &o->cut, category);
		return;
	}
	put(q, "(CASE");
	for (size_t k = 0; k < o->n_overrides; k++) {
		put(q, " WHEN ");
		search_put_folder_range(c, q, "i.path", o->overrides[k].folder);
		put(q, " THEN ");
		value(c, q, &o->overrides[k].cut, category);
	}
	put(q, " ELSE ");
	value(c, q, &o->cut, category);
	put(q, " END)");
}

/* The cut for category at image i. */
void
search_put_threshold(struct compile *c, struct sql *q, int category)
{
	put_by_folder(c, q, search_put_cut, category);
}


/* The name a prediction of tag g (a tags alias) becomes after aliases. */
static void
put_final(struct compile *c, struct sql *q, const char *g)
{
	if (c->aliases) {
		putf(q, "coalesce((SELECT ra.target FROM tag_rules ra WHERE ra.kind = 1"
		    " AND ra.tag = %s.name), %s.name)", g, g);
	} else {
		putf(q, "%s.name", g);
	}
}

/* The cut prediction p (of tag g) must pass at image i: the nearest
 * threshold rule of its tag (the longest lo of those covering the path is
 * the deepest folder), else its category's cut. */
static void
put_cut_of(struct compile *c, struct sql *q, const char *g)
{
	if (c->thresholds) {
		putf(q, "coalesce((SELECT rt.value FROM tag_rules rt WHERE rt.kind = 3"
		    " AND rt.tag = %s.name AND i.path >= rt.lo AND i.path < rt.hi"
		    " ORDER BY length(rt.lo) DESC LIMIT 1), ", g);
	}
	putf(q, "(CASE WHEN %s.category = 4 THEN ", g);
	search_put_threshold(c, q, DB_CAT_CHARACTER);
	put(q, " ELSE ");
	search_put_threshold(c, q, DB_CAT_GENERAL);
	put(q, c->thresholds ? " END))" : " END)");
}

/* Prediction p of tag g at image i is open: its name undecided, not
 * excluded (steps 2 to 4 of the engine). */
static void
put_open(struct compile *c, struct sql *q, const char *p, const char *g)
{
	if (c->aliases) {
		put(q, "NOT EXISTS (SELECT 1 FROM decisions d WHERE d.image_id = i.id"
		    " AND d.tag_id = (SELECT id FROM tags WHERE name = ");
		put_final(c, q, g);
		put(q, "))");
	} else {
		putf(q, "NOT EXISTS (SELECT 1 FROM decisions d WHERE d.image_id = i.id"
		    " AND d.tag_id = %s.tag_id)", p);
	}
	if (c->exclusions) {
		putf(q, " AND NOT EXISTS (SELECT 1 FROM tag_rules r WHERE r.kind = 0"
		    "  AND (%s.name GLOB r.glob", g);
		if (c->aliases) {
			put(q, " OR ");
			put_final(c, q, g);
			put(q, " GLOB r.glob");
		}
		put(q, ") AND i.path >= r.lo AND i.path < r.hi)");
	}
}

/* Steps 1 to 4 of the engine for prediction p of tag g at image i. */
static void
put_pending_as(struct compile *c, struct sql *q, const char *p, const char *g)
{
	putf(q, "%s.score > ", p);
	put_cut_of(c, q, g);
	put(q, " AND ");
	put_open(c, q, p, g);
}

void
search_put_confidence(struct compile *c, struct sql *q)
{
	put(q, "coalesce((SELECT min(abs(p.score - ");
	put_cut_of(c, q, "g");
	put(q, ")) FROM predictions p CROSS JOIN tags g ON g.id = p.tag_id"
	    " WHERE p.content_id = i.content_id AND p.model_id = ");
	search_bind_int(c, q, c->model_id);
	put(q, " AND g.category IN (0, 4) AND ");
	put_open(c, q, "p", "g");
	put(q, "), 1.0)");
}

/* A cut's cap of general tags as a bound on outranking names (0: none). */
static void
put_cap_value(struct compile *c, struct sql *q, const struct db_cut *cut, int category)
{
	search_bind_int(c, q, cut->max_tags > 0 ? cut->max_tags : INT64_C(1) << 40);
}

/* max_tags for image i. */
static void
put_max_tags(struct compile *c, struct sql *q)
{
	put_by_folder(c, q, put_cap_value, DB_CAT_GENERAL);
}

/*
 * The cap for a pass over the whole library: the (image, name) pairs that
 * keep their place, worked out once for every image with a window rather
 * than per prediction.  Pending general names go by their best score,
 * then name (the engine's order: the names before a name's best prediction
 * are its row number less one); one keeps its place when that row number
 * plus the image's accepted names among its general predictions is within
 * max_tags.  The accepted names are counted only for the rows the row
 * number alone lets through (AND goes left to right).
 */
static void
put_cap_window(struct compile *c, struct sql *q)
{
	put(q, " AND (g.category != 0 OR (i.id, ");
	put_final(c, q, "g");
	put(q, ") IN (SELECT ci, cn FROM (SELECT ci, max(cc) AS cc, cn, max(room) AS room,"
	    " row_number() OVER (PARTITION BY ci ORDER BY max(cs) DESC, cn) AS rn FROM"
	    " (SELECT i.id AS ci, i.content_id AS cc, ");
	put_final(c, q, "g");
	put(q, " AS cn, p.score AS cs, ");
	put_max_tags(c, q);
	put(q, " AS room FROM images i CROSS JOIN predictions p ON p.content_id = i.content_id"
	    " CROSS JOIN tags g ON g.id = p.tag_id WHERE p.model_id = ");
	search_bind_int(c, q, c->model_id);
	put(q, " AND g.category = 0 AND ");
	put_pending_as(c, q, "p", "g");
	put(q, ") GROUP BY ci, cn) WHERE rn <= room AND rn + ");
	if (c->aliases) {
		put(q, "(SELECT count(DISTINCT ");
		put_final(c, q, "ga");
		put(q, ") FROM predictions pa CROSS JOIN tags ga ON ga.id = pa.tag_id"
		    " WHERE pa.content_id = cc AND pa.model_id = ");
		search_bind_int(c, q, c->model_id);
		put(q, " AND ga.category = 0 AND EXISTS (SELECT 1 FROM decisions da WHERE"
		    " da.image_id = ci AND da.verdict = 1 AND da.tag_id = (SELECT id FROM tags"
		    " WHERE name = ");
		put_final(c, q, "ga");
		put(q, ")))");
	} else {
		/* Without aliases a name is a tag: from the image's few decisions. */
		put(q, "(SELECT count(*) FROM decisions da CROSS JOIN predictions pa"
		    " ON pa.content_id = cc AND pa.model_id = ");
		search_bind_int(c, q, c->model_id);
		put(q, " AND pa.tag_id = da.tag_id CROSS JOIN tags ga ON ga.id = da.tag_id"
		    " WHERE da.image_id = ci AND da.verdict = 1 AND ga.category = 0)");
	}
	put(q, " <= room))");
}

void
search_put_pending(struct compile *c, struct sql *q)
{
	put_pending_as(c, q, "p", "g");
	if (!c->capped) {
		return;
	}
	if (c->cap_window) {
		put_cap_window(c, q);
		return;
	}
	/* The engine's cap (core/tag/suggest.h, step 5): fewer than max_tags
	 * names of the image's general predictions hold a place before p:
	 * accepted ones, and pending ones that outrank p. */
	put(q, " AND (g.category != 0 OR (SELECT count(DISTINCT ");
	put_final(c, q, "gq");
	put(q, ") FROM predictions pq CROSS JOIN tags gq ON gq.id = pq.tag_id"
	    " WHERE pq.content_id = p.content_id AND pq.model_id = p.model_id"
	    " AND gq.category = 0 AND (EXISTS (SELECT 1 FROM decisions da WHERE"
	    " da.image_id = i.id AND da.verdict = 1 AND da.tag_id = (SELECT id FROM tags"
	    " WHERE name = ");
	put_final(c, q, "gq");
	put(q, ")) OR (");
	put_final(c, q, "gq");
	put(q, " != ");
	put_final(c, q, "g");
	put(q, " AND (pq.score > p.score OR (pq.score = p.score AND ");
	put_final(c, q, "gq");
	put(q, " < ");
	put_final(c, q, "g");
	put(q, ")) AND ");
	put_pending_as(c, q, "pq", "gq");
	put(q, "))) < ");
	put_max_tags(c, q);
	put(q, ")");
}
