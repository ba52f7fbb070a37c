/*
 * bands.c — the images a change of the global cuts changes, from the score
 * bands (bands.h; set ids and the SQL of a band in db-private.h; the
 * triggers that mark changed images in schema.c, schema 12).
 *
 * Marks in the postings table: SET_BANDS_TOKEN holds the running build's
 * token (its start time), SET_BANDS_READY says every band set is stored.
 * postings_state.bands = 1 from a build's first step on: the triggers mark
 * every image a change touches in bands_dirty; the stored bitmaps with the
 * marked images worked out again from their rows are the sets.
 */
#include <math.h>
#include <roaring/roaring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/bands.h"
#include "db/bit-tally.h"
#include "db/db-private.h"
#include "db/postings-private.h"
#include "db/scores-private.h"
#include "db/postings.h"
#include "db/search-private.h"
#include "common/xalloc.h"

#define SET_BANDS_READY (-3)
#define SET_BANDS_TOKEN (-4)
/* Image ids per chunk of a build: its rows are read in a snapshot of their
 * own, then every band set's range is replaced in one short write. */
#define CHUNK_IMAGES 100000
/* A reader works out this many marked images itself; beyond, it folds
 * them into the bitmaps first (about 30 us an image).  TAGCON_BANDS_FOLD=N
 * sets another number (tests). */
#define FOLD_DIRTY 2000

static int64_t
fold_dirty(void)
{
	const char *v = getenv("TAGCON_BANDS_FOLD");
	return v != NULL && *v != '\0' ? atoll(v) : FOLD_DIRTY;
}

/* (image, band set) for the images with ids in [?1, ?2): their undecided
 * predictions' bands, the approximate-MCut sets of their answers and the
 * models that answered.  The SQL reading of the sets, which
 * db_bands_check() holds the build's C reading (BUILD_ROWS) to. */
#define BAND_ROWS \
	"SELECT i.id, " DB_BAND_SET_SQL("p", "g", "t") " FROM images i JOIN predictions p" \
	" ON p.content_id = i.content_id JOIN tags g ON g.id = p.tag_id LEFT JOIN tagged t" \
	" ON t.content_id = p.content_id AND t.model_id = p.model_id" \
	" WHERE i.id >= ?1 AND i.id < ?2 AND " DB_BAND_PRED_SQL("p", "g") \
	" AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.image_id = i.id" \
	" AND d.tag_id = p.tag_id)" \
	" UNION ALL SELECT i.id, " DB_BAND_SLOT_SQL("t.model_id", "c.ch") " + 127" \
	" FROM images i JOIN tagged t ON t.content_id = i.content_id" \
	" CROSS JOIN (SELECT 0 AS ch UNION ALL SELECT 1) c" \
	" WHERE i.id >= ?1 AND i.id < ?2 AND (CASE c.ch WHEN 0 THEN " \
	DB_BAND_INEXACT_SQL("i.content_id", "t.model_id", "0") " ELSE " \
	DB_BAND_INEXACT_SQL("i.content_id", "t.model_id", "4") " END)" \
	" UNION ALL SELECT i.id, " DB_BAND_SLOT_SQL("t.model_id", "0") " + 126 FROM images i" \
	" JOIN tagged t ON t.content_id = i.content_id WHERE i.id >= ?1 AND i.id < ?2"

#define TOP ((int64_t)UINT32_MAX + 1)

static int64_t
slot_of(int64_t model, int cc)
{
	return DB_BAND_BASE + (model * 2 + cc) * 256;
}

/* ---- state -------------------------------------------------------------------- */

struct band_status {
	bool on;        /* the triggers mark */
	bool ready;     /* every set is stored */
	int64_t max_id; /* the largest image id */
	int64_t dirty;  /* images marked */
};

static bool
band_status(struct db *db, struct band_status *s)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT (SELECT bands FROM postings_state WHERE id = 1) = 1,"
	    " EXISTS (SELECT 1 FROM postings WHERE set_id = -3),"
	    " (SELECT coalesce(max(id), 0) FROM images),"
	    " (SELECT count(*) FROM bands_dirty)");
	if (st == NULL) {
		return false;
	}
	int rc = sqlite3_step(st);
	memset(s, 0, sizeof *s);
	if (rc == SQLITE_ROW) {
		s->on = sqlite3_column_int(st, 0) == 1;
		s->ready = s->on && sqlite3_column_int(st, 1) == 1;
		s->max_id = sqlite3_column_int64(st, 2);
		s->dirty = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(db, "bands");
}

static bool
bands_drop(struct db *db)
{
	return db_exec(db, "UPDATE postings_state SET bands = 0 WHERE id = 1;"
	    " DELETE FROM postings WHERE set_id >= " DB_BAND_BASE_SQL " OR set_id IN (-3, -4);"
	    " DELETE FROM bands_dirty;");
}

/* ---- building ----------------------------------------------------------------- */

static int64_t
chunk_images(void)
{
	const char *v = getenv("TAGCON_POSTINGS_CHUNK");
	long long n = v != NULL ? atoll(v) : 0;
	return n > 0 ? n : CHUNK_IMAGES;
}

static roaring_bitmap_t *
set_of(struct sets *s, int64_t id)
{
	roaring_bitmap_t *r = sets_get(s, id);
	if (r == NULL) {
		r = roaring_bitmap_create();
		sets_put(s, id, r);
	}
	return r;
}

/* The (image, set) pairs sql yields for the images with ids in [?1, ?2),
 * into out. */
static bool
pairs_into(struct db *db, const char *sql, int64_t from, int64_t to, struct sets *out)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t image = sqlite3_column_int64(st, 0);
		if (image >= 0 && image < TOP) {
			roaring_bitmap_add(set_of(out, sqlite3_column_int64(st, 1)), (uint32_t)image);
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "bands");
}

/* The sets of the images with ids in [from, to), from the rows. */
static bool
read_rows(struct db *db, int64_t from, int64_t to, struct sets *out)
{
	return pairs_into(db, BAND_ROWS, from, to, out);
}

/*
 * The same sets, worked out in C from one pass over the rows (the build's
 * way: several times faster than BAND_ROWS' expressions and windows per
 * image).  The arithmetic is the SQL's, in the same doubles: db_bands_check
 * compares the bitmaps a build leaves with BAND_ROWS.
 */
#define BUILD_ROWS \
	"SELECT i.id, p.model_id, g.category, p.score, t.mcut_general, t.mcut_character," \
	" EXISTS (SELECT 1 FROM decisions d WHERE d.image_id = i.id AND d.tag_id = p.tag_id)," \
	" t.content_id IS NOT NULL FROM images i JOIN predictions p ON p.content_id = i.content_id JOIN tags g" \
	" ON g.id = p.tag_id LEFT JOIN tagged t ON t.content_id = p.content_id" \
	" AND t.model_id = p.model_id WHERE i.id >= ?1 AND i.id < ?2 ORDER BY i.id, p.model_id"
#define BUILD_ANSWERS \
	"SELECT i.id, " DB_BAND_SLOT_SQL("t.model_id", "0") " + 126 FROM images i JOIN tagged t" \
	" ON t.content_id = i.content_id WHERE i.id >= ?1 AND i.id < ?2"

/* DB_BAND_OF_SQL in C. */
static int
band_of(double s)
{
	int64_t f = (int64_t)(s * 100);
	int64_t k = s > (double)(f + 1) / 100.0 ? f + 1 : s > (double)f / 100.0 ? f : f - 1;
	return k > 99 ? 99 : (int)k;
}

/* One image's predictions under one model, as read. */
struct answer_rows {
	int64_t image;
	int64_t model;
	bool answered;     /* it has a tagged row */
	double *score[2];  /* every score per category (cc), for the exactness */
	size_t n[2];
	size_t cap[2];
};

static int
descending(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x < y) - (x > y);
}

/* DB_MCUT_EXACT_SQL in C: at least two scores, and the largest drop no
 * smaller than the smallest score. */
static bool
exact(double *s, size_t n)
{
	if (n < 2) {
		return false;
	}
	qsort(s, n, sizeof *s, descending);
	double drop = s[0] - s[1];
	for (size_t i = 1; i + 1 < n; i++) {
		drop = fmax(drop, s[i] - s[i + 1]);
	}
	return drop >= s[n - 1];
}

static void
flush_answer(struct answer_rows *a, bool any, struct sets *out)
{
	for (int cc = 0; any && a->answered && cc < 2; cc++) {
		if (!exact(a->score[cc], a->n[cc]) && a->image < TOP) {
			roaring_bitmap_add(set_of(out, slot_of(a->model, cc) + DB_BAND_INEXACT),
			    (uint32_t)a->image);
		}
	}
	a->n[0] = a->n[1] = 0;
}

static bool
build_rows(struct db *db, int64_t from, int64_t to, struct sets *out)
{
	sqlite3_stmt *st = db_stmt(db, BUILD_ROWS);
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	struct answer_rows a = {.image = -1};
	bool any = false;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t image = sqlite3_column_int64(st, 0), model = sqlite3_column_int64(st, 1);
		if (image != a.image || model != a.model) {
			flush_answer(&a, any, out);
			a.image = image;
			a.model = model;
			a.answered = sqlite3_column_int(st, 7) != 0;
			any = false;
		}
		any = true;
		int category = sqlite3_column_int(st, 2);
		if (category != 0 && category != 4) {
			continue;
		}
		int cc = category == 4;
		double score = sqlite3_column_double(st, 3);
		if (a.n[cc] == a.cap[cc]) {
			a.cap[cc] = a.cap[cc] ? 2 * a.cap[cc] : 64;
			a.score[cc] = xreallocarray(a.score[cc], a.cap[cc], sizeof *a.score[cc]);
		}
		a.score[cc][a.n[cc]++] = score;
		if (score <= 0 || sqlite3_column_int(st, 6) || image < 0 || image >= TOP) {
			continue;
		}
		int col = cc ? 5 : 4;
		bool side = sqlite3_column_type(st, col) != SQLITE_NULL &&
		    score > sqlite3_column_double(st, col);
		roaring_bitmap_add(set_of(out, slot_of(model, cc) + side * 128 + band_of(score)),
		    (uint32_t)image);
	}
	flush_answer(&a, any, out);
	sqlite3_reset(st);
	free(a.score[0]);
	free(a.score[1]);
	if (rc != SQLITE_DONE) {
		return db_fail(db, "bands build");
	}
	return pairs_into(db, BUILD_ANSWERS, from, to, out);
}

/* The integers a one-column statement yields (a new array in *ids). */
static bool
ids_of(struct db *db, const char *sql, int64_t **ids, size_t *n)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	*ids = NULL;
	*n = 0;
	if (st == NULL) {
		return false;
	}
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			*ids = xreallocarray(*ids, cap, sizeof **ids);
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "bands");
}

#define MARKED "SELECT image_id FROM bands_dirty"
#define BAND_SETS "SELECT set_id FROM postings WHERE set_id >= " DB_BAND_BASE_SQL

static bool
contains(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++) {
		if (ids[i] == id) {
			return true;
		}
	}
	return false;
}

/*
 * The images marked in bands_dirty worked out again from their rows, in
 * the band sets of s (every stored one: a fold, a check): out of every
 * one, then into those their rows say, loading a set s does not hold yet.
 */
static bool
recompute(struct db *db, struct sets *s)
{
	int64_t *ids;
	size_t n;
	bool ok = ids_of(db, MARKED, &ids, &n);
	for (size_t k = 0; ok && k < n; k++) {
		if (ids[k] < 0 || ids[k] >= TOP) {
			continue;
		}
		for (size_t i = 0; i < s->cap; i++) {
			if (s->vals[i] != NULL && s->keys[i] >= DB_BAND_BASE) {
				roaring_bitmap_remove(s->vals[i], (uint32_t)ids[k]);
			}
		}
		struct sets fresh = {0};
		ok = build_rows(db, ids[k], ids[k] + 1, &fresh);
		for (size_t i = 0; ok && i < fresh.cap; i++) {
			if (fresh.vals[i] == NULL) {
				continue;
			}
			ok = postings_want(db, s, fresh.keys[i]);
			if (ok) {
				roaring_bitmap_add(sets_get(s, fresh.keys[i]), (uint32_t)ids[k]);
			}
		}
		sets_free(&fresh);
	}
	free(ids);
	return ok;
}

/* Every stored band set loaded into s. */
static bool
load_all(struct db *db, struct sets *s)
{
	int64_t *ids;
	size_t n;
	bool ok = ids_of(db, BAND_SETS, &ids, &n);
	for (size_t i = 0; ok && i < n; i++) {
		ok = postings_want(db, s, ids[i]);
	}
	free(ids);
	return ok;
}

/*
 * The marked images into the stored bitmaps, and the marks gone: one
 * write transaction.  Only once the bands are complete (a build's chunk
 * relies on the marks made after its snapshot).  The marked images' rows
 * are read once (where each is now); then one stored set at a time loses
 * the marked images and gains those now in it, and is written only when
 * that changed it.  Loading every set at once held 65 MB at 5M images (a
 * console's fold peaked at 105 MB), and writing them all back took 0.8-2.7 s
 * where an answer stored again as it was changes none.
 */
static bool
fold(struct db *db)
{
	struct band_status s;
	if (!db_begin(db)) {
		return false;
	}
	bool ok = band_status(db, &s);
	if (ok && s.ready && s.dirty > 0) {
		int64_t *marked = NULL, *ids = NULL;
		size_t n_marked = 0, n = 0;
		roaring_bitmap_t *m = roaring_bitmap_create();
		struct sets now = {0};
		ok = ids_of(db, MARKED, &marked, &n_marked);
		for (size_t k = 0; ok && k < n_marked; k++) {
			if (marked[k] >= 0 && marked[k] < TOP) {
				roaring_bitmap_add(m, (uint32_t)marked[k]);
				ok = build_rows(db, marked[k], marked[k] + 1, &now);
			}
		}
		ok = ok && ids_of(db, BAND_SETS, &ids, &n);
		/* The sets the marked images enter that are not stored yet. */
		for (size_t i = 0; ok && i < now.cap; i++) {
			if (now.vals[i] != NULL && !contains(ids, n, now.keys[i])) {
				ids = xreallocarray(ids, n + 1, sizeof *ids);
				ids[n++] = now.keys[i];
			}
		}
		for (size_t i = 0; ok && i < n; i++) {
			roaring_bitmap_t *r = postings_load(db, ids[i]);
			if (r == NULL) {
				ok = false;
				break;
			}
			roaring_bitmap_t *f = roaring_bitmap_andnot(r, m);
			const roaring_bitmap_t *in = sets_get(&now, ids[i]);
			if (in != NULL) {
				roaring_bitmap_or_inplace(f, in);
			}
			if (!roaring_bitmap_equals(f, r)) {
				ok = postings_store(db, ids[i], f);
			}
			roaring_bitmap_free(f);
			roaring_bitmap_free(r);
		}
		ok = ok && db_exec(db, "DELETE FROM bands_dirty;");
		roaring_bitmap_free(m);
		sets_free(&now);
		free(marked);
		free(ids);
	}
	if (!ok) {
		db_rollback(db);
		return false;
	}
	return db_commit(db);
}

/* Every band set's ids in [from, to) replaced by fresh's, one set at a
 * time (at 5M images the band sets weigh some 65 MB together). */
static bool
write_range(struct db *db, int64_t from, int64_t to, struct sets *fresh)
{
	int64_t *ids;
	size_t n;
	bool ok = ids_of(db, BAND_SETS, &ids, &n);
	/* The sets the range brings that are not stored yet. */
	for (size_t i = 0; ok && i < fresh->cap; i++) {
		if (fresh->vals[i] != NULL && !contains(ids, n, fresh->keys[i])) {
			ids = xreallocarray(ids, n + 1, sizeof *ids);
			ids[n++] = fresh->keys[i];
		}
	}
	for (size_t i = 0; ok && i < n; i++) {
		roaring_bitmap_t *r = postings_load(db, ids[i]);
		if (r == NULL) {
			ok = false;
			break;
		}
		roaring_bitmap_remove_range(r, (uint64_t)from, (uint64_t)to);
		const roaring_bitmap_t *add = sets_get(fresh, ids[i]);
		if (add != NULL) {
			roaring_bitmap_or_inplace(r, add);
		}
		ok = postings_store(db, ids[i], r);
		roaring_bitmap_free(r);
	}
	free(ids);
	return ok;
}

/* Whether the bands' build token is still token. */
static bool
bands_token_is(struct db *db, int64_t token, bool *same)
{
	return postings_token_is(db, SET_BANDS_TOKEN, token, same);
}

struct range {
	int64_t from;
	int64_t to;
	struct sets *fresh;
};

static bool
write_step(struct db *db, void *ud)
{
	struct range *r = ud;
	return write_range(db, r->from, r->to, r->fresh);
}

static bool
ready_step(struct db *db, void *ud)
{
	(void)ud;
	return db_exec(db, "INSERT OR REPLACE INTO postings(set_id, bits) VALUES (-3, x'');");
}

/*
 * 1. One transaction forgets the band sets and their log, turns logging on
 *    and stores the token.
 * 2. Per chunk of image ids: the rows read in a snapshot of their own (no
 *    lock: a batch writes on), then in one short write every band set's
 *    range replaced by them.  Right with the log on top: every change
 *    since step 1 is in the log (the fold leaves band entries there until
 *    the build is complete), and the last entry for a pair is its value.
 * 3. One transaction marks them complete.
 * Another build started meanwhile changes the token: this one gives up.
 */
bool
db_bands_build(struct db *db)
{
	int64_t token = postings_new_token();
	struct band_status s;
	if (!db_begin(db)) {
		return false;
	}
	sqlite3_stmt *st;
	bool ok = band_status(db, &s) && bands_drop(db) &&
	    db_exec(db, "UPDATE postings_state SET bands = 1 WHERE id = 1;") &&
	    (st = db_stmt(db, "INSERT INTO postings(set_id, bits) VALUES (-4, ?1)")) != NULL &&
	    sqlite3_bind_blob(st, 1, &token, sizeof token, SQLITE_TRANSIENT) == SQLITE_OK &&
	    db_step_done(db, st, "bands build");
	if (!ok) {
		db_rollback(db);
		return false;
	}
	if (!db_commit(db)) {
		return false;
	}
	/* At most about ten chunks: each writes every band set once. */
	int64_t step = chunk_images();
	if (getenv("TAGCON_POSTINGS_CHUNK") == NULL && s.max_id / 10 > step) {
		step = s.max_id / 10 + 1;
	}
	bool lost = false;
	for (int64_t from = 0; from <= s.max_id && from < TOP && !lost; from += step) {
		struct sets fresh = {0};
		struct range r = {.from = from, .to = from + step < TOP ? from + step : TOP,
		    .fresh = &fresh};
		ok = db_exec(db, "BEGIN") && build_rows(db, r.from, r.to, &fresh);
		if (!sqlite3_get_autocommit(db->conn)) {
			ok = db_exec(db, "COMMIT") && ok;
		}
		ok = ok && postings_in_write(db, bands_token_is, token, write_step, &r, &lost);
		sets_free(&fresh);
		if (!ok) {
			return false;
		}
	}
	return lost || postings_in_write(db, bands_token_is, token, ready_step, NULL, &lost);
}

/* ---- the question ------------------------------------------------------------- */

/* The scores (a, z] of one category (cc: 0 general, 1 character) and side
 * of the MCut cut whose predictions cross from one cut to the other. */
struct cross {
	int cc;
	int side;
	double a;
	double z;
};

static double
threshold_of(const struct db_cut *c, int cc)
{
	return cc ? c->character_threshold : c->general_threshold;
}

static bool
mcut_of(const struct db_cut *c, int cc)
{
	return cc ? c->character_mcut : c->general_mcut;
}


static size_t
crossings(const struct db_cut *o, const struct db_cut *n, struct cross out[4])
{
	size_t k = 0;
	for (int cc = 0; cc < 2; cc++) {
		if (search_same_cut(o, n, cc)) {
			continue;
		}
		if (!mcut_of(o, cc) && !mcut_of(n, cc)) {
			double lo = fmin(threshold_of(o, cc), threshold_of(n, cc));
			double hi = fmax(threshold_of(o, cc), threshold_of(n, cc));
			out[k++] = (struct cross){cc, 0, lo, hi};
			out[k++] = (struct cross){cc, 1, lo, hi};
		} else {
			/* Below its image's cut but above t, or above it but not above t. */
			double t = threshold_of(mcut_of(o, cc) ? n : o, cc);
			out[k++] = (struct cross){cc, 0, t, INFINITY};
			out[k++] = (struct cross){cc, 1, -INFINITY, t};
		}
	}
	return k;
}

/* A marked image and the sets its rows put it in now. */
struct marked {
	uint32_t id;
	int64_t *keys;
	size_t n;
};

struct ask {
	struct db *db;
	const struct search_opts *old;
	const struct search_opts *cand;
	int64_t model;
	struct sets sets;           /* the images shown (SET_SHOWN, its log applied) */
	const roaring_bitmap_t *shown;
	struct marked *marked;
	size_t n_marked;
	struct cross x[4];
	size_t n_x;
	int64_t full[4 * 100];      /* the bands wholly inside a crossing range */
	size_t n_full;
};

/* The marked images and their sets from their rows. */
static bool
load_marked(struct ask *k)
{
	int64_t *ids;
	size_t n;
	bool ok = ids_of(k->db, MARKED, &ids, &n);
	k->marked = xcalloc(n + 1, sizeof *k->marked);
	for (size_t i = 0; ok && i < n; i++) {
		if (ids[i] >= 0 && ids[i] < TOP) {
			k->marked[k->n_marked++] = (struct marked){.id = (uint32_t)ids[i]};
		}
	}
	free(ids);
	for (size_t i = 0; ok && i < k->n_marked; i++) {
		struct marked *m = &k->marked[i];
		struct sets fresh = {0};
		ok = build_rows(k->db, m->id, (int64_t)m->id + 1, &fresh);
		for (size_t j = 0; ok && j < fresh.cap; j++) {
			if (fresh.vals[j] != NULL) {
				m->keys = xreallocarray(m->keys, m->n + 1, sizeof *m->keys);
				m->keys[m->n++] = fresh.keys[j];
			}
		}
		sets_free(&fresh);
	}
	return ok;
}

/* The union of the sets keys[0, n) as they are now, OR-ed into out: each
 * stored bitmap read and dropped in turn (at most one in memory beside
 * out), then the marked images put right from their rows. */
static bool
union_of(struct ask *k, const int64_t *keys, size_t n, roaring_bitmap_t *out)
{
	roaring_bitmap_t *acc = roaring_bitmap_create();
	for (size_t i = 0; i < n; i++) {
		roaring_bitmap_t *r = postings_load(k->db, keys[i]);
		if (r == NULL) {
			roaring_bitmap_free(acc);
			return false;
		}
		roaring_bitmap_or_inplace(acc, r);
		roaring_bitmap_free(r);
	}
	for (size_t i = 0; i < k->n_marked; i++) {
		const struct marked *m = &k->marked[i];
		bool in = false;
		for (size_t j = 0; j < m->n && !in; j++) {
			in = contains(keys, n, m->keys[j]);
		}
		if (in) {
			roaring_bitmap_add(acc, m->id);
		} else {
			roaring_bitmap_remove(acc, m->id);
		}
	}
	roaring_bitmap_or_inplace(out, acc);
	roaring_bitmap_free(acc);
	return true;
}

/* "AND (...)": a prediction p (tags g, answer t) that crosses. */
static char *
crossing_sql(const struct ask *k)
{
	char *s = xstrdup(" AND (0");
	for (size_t i = 0; i < k->n_x; i++) {
		const struct cross *x = &k->x[i];
		char lo[64] = "", hi[64] = "";
		if (isfinite(x->a)) {
			snprintf(lo, sizeof lo, " AND p.score > %.17g", x->a);
		}
		if (isfinite(x->z)) {
			snprintf(hi, sizeof hi, " AND p.score <= %.17g", x->z);
		}
		char *t = xasprintf("%s OR ((g.category = 4) = %d AND %s = %d%s%s)", s, x->cc,
		    DB_BAND_SIDE_SQL("p", "g", "t"), x->side, lo, hi);
		free(s);
		s = t;
	}
	char *t = xasprintf("%s)", s);
	free(s);
	return t;
}

static bool
prepare(struct db *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db->conn, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return db_fail(db, "bands");
	}
	return true;
}

/* The images with an undecided prediction of category cc, on side, with
 * a score in (lo, hi], from the predictions: an index range per tag, as
 * cheap as the scores inside (a band only partly crossed). */
static bool
crossing_rows(struct ask *k, int cc, int side, double lo, double hi, roaring_bitmap_t *out)
{
	sqlite3_stmt *st = db_stmt(k->db, "SELECT i.id FROM tags g CROSS JOIN predictions p"
	    " ON p.tag_id = g.id LEFT JOIN tagged t ON t.content_id = p.content_id"
	    " AND t.model_id = p.model_id CROSS JOIN images i ON i.content_id = p.content_id"
	    " WHERE g.category = ?1 AND p.score > ?2 AND p.score <= ?3 AND p.model_id = ?4"
	    " AND " DB_BAND_SIDE_SQL("p", "g", "t") " = ?5 AND NOT EXISTS (SELECT 1 FROM"
	    " decisions d WHERE d.image_id = i.id AND d.tag_id = p.tag_id)");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int(st, 1, cc ? 4 : 0);
	sqlite3_bind_double(st, 2, lo);
	sqlite3_bind_double(st, 3, hi);
	sqlite3_bind_int64(st, 4, k->model);
	sqlite3_bind_int(st, 5, side);
	return postings_ids_into(k->db, st, out);
}

/* The images with an undecided prediction that crosses, not missing: the
 * bands wholly inside a crossing range as they are, the part of a band
 * only partly inside from the predictions. */
static bool
crossing_images(struct ask *k, roaring_bitmap_t *changed)
{
	int64_t *full = k->full;
	size_t n_full = 0;
	bool ok = true;
	for (size_t i = 0; ok && i < k->n_x; i++) {
		const struct cross *x = &k->x[i];
		for (int b = 0; ok && b < 100; b++) {
			double lo = b / 100.0, up = b == 99 ? INFINITY : (b + 1) / 100.0;
			if (!(lo < x->z && x->a < up)) {
				continue;
			}
			if (x->a <= lo && up <= x->z) {
				full[n_full++] = slot_of(k->model, x->cc) + x->side * 128 + b;
			} else {
				ok = crossing_rows(k, x->cc, x->side, fmax(x->a, lo), fmin(x->z, up),
				    changed);
			}
		}
	}
	k->n_full = n_full;
	ok = ok && union_of(k, full, n_full, changed);
	roaring_bitmap_and_inplace(changed, k->shown);
	return ok;
}

/* The images below folder, OR-ed into out. */
static bool
folder_images(struct db *db, const char *folder, roaring_bitmap_t *out)
{
	char *lo, *hi;
	db_folder_range(folder, &lo, &hi);
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM images WHERE path >= ?1 AND path < ?2");
	bool ok = st != NULL;
	if (ok) {
		sqlite3_bind_blob(st, 1, lo, (int)strlen(lo), SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 2, hi, (int)strlen(hi), SQLITE_TRANSIENT);
		ok = postings_ids_into(db, st, out);
	}
	free(lo);
	free(hi);
	return ok;
}

/*
 * Folder overrides (the same folders in old and cand, each with the keys
 * it sets and the rest from global): one whose cut moves as global's does
 * is global for this question; one whose cut stays changes nothing below
 * it, unless another override lies below it; any other one, or one with
 * overrides inside, has its images rechecked.
 */
static bool
overrides(struct ask *k, roaring_bitmap_t *changed, roaring_bitmap_t *recheck)
{
	const struct search_opts *o = k->old, *c = k->cand;
	bool ok = true;
	for (size_t i = 0; ok && i < o->n_overrides && i < c->n_overrides; i++) {
		const struct db_cut *oc = &o->overrides[i].cut, *nc = &c->overrides[i].cut;
		bool global = true, stays = true, nested = false;
		for (int cc = 0; cc < 2; cc++) {
			global = global && search_same_cut(oc, &o->cut, cc) &&
			    search_same_cut(nc, &c->cut, cc);
			stays = stays && search_same_cut(oc, nc, cc);
		}
		for (size_t j = 0; j < o->n_overrides; j++) {
			nested = nested || (j != i && db_folder_below(o->overrides[i].folder,
			    o->overrides[j].folder));
		}
		if (global) {
			continue;
		}
		roaring_bitmap_t *r = roaring_bitmap_create();
		ok = folder_images(k->db, o->overrides[i].folder, r);
		if (stays && !nested) {
			roaring_bitmap_andnot_inplace(changed, r);
		} else {
			roaring_bitmap_and_inplace(r, k->shown);
			roaring_bitmap_or_inplace(recheck, r);
		}
		roaring_bitmap_free(r);
	}
	return ok;
}

/* Unsure images to sample per round, rounds, tags taken per round. */
#define SAMPLE 256
#define SETTLE_ROUNDS 3
#define SETTLE_TAGS 8

/* Settling starts past this many unsure images (TAGCON_BANDS_SETTLE=N:
 * tests settle a handful). */
static uint64_t
settle_from(void)
{
	const char *v = getenv("TAGCON_BANDS_SETTLE");
	return v != NULL && *v != '\0' ? strtoull(v, NULL, 10) : SAMPLE;
}

struct tally {
	int64_t tag;
	bool character;
	int n;
};

static int
by_tag(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;
	return x->tag < y->tag ? -1 : x->tag > y->tag;
}

static int
by_count(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;
	return y->n - x->n;
}

/* Whether a prediction (category, side of its answer's cut, score) lies in
 * a crossing range of x. */
static bool
in_crossing(const struct scores_cross *x, size_t n_x, bool character, int side, double score)
{
	for (size_t j = 0; j < n_x; j++) {
		if (x[j].character == character && x[j].side == side && !(score <= x[j].a) &&
		    !(score > x[j].z)) {
			return true;
		}
	}
	return false;
}

/* An image's predictions under a model that bands hold (category general
 * or character, score above 0) with a score in (?3, ?4] (the span of the
 * crossing ranges: one hundredth for a threshold step, so its tag and
 * answer are looked up for a prediction or two): tag, character, score,
 * side. */
#define IMAGE_PREDICTIONS \
	"SELECT p.tag_id, g.category = 4, p.score, " DB_BAND_SIDE_SQL("p", "g", "t") \
	" FROM images i JOIN predictions p ON p.content_id = i.content_id JOIN tags g" \
	" ON g.id = p.tag_id LEFT JOIN tagged t ON t.content_id = p.content_id" \
	" AND t.model_id = p.model_id WHERE i.id = ?1 AND p.model_id = ?2 AND" \
	" p.score > ?3 AND p.score <= ?4 AND " DB_BAND_PRED_SQL("p", "g")

/* Binds the image, the model and the span of x to IMAGE_PREDICTIONS. */
static void
bind_image(sqlite3_stmt *st, uint32_t id, const struct ask *k, const struct scores_cross *x)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t j = 0; j < k->n_x; j++) {
		lo = fmin(lo, x[j].a);
		hi = fmax(hi, x[j].z);
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, k->model);
	sqlite3_bind_double(st, 3, lo);
	sqlite3_bind_double(st, 4, hi);
}

/* Whether a rule touches tag: ruled_ids holds the ids that fit 32 bits,
 * SQL answers for another (a script's).  False on an error. */
static bool
tag_ruled(struct ask *k, const roaring_bitmap_t *ruled_ids, int64_t tag, bool *ruled)
{
	if (tag >= 0 && tag <= UINT32_MAX) {
		*ruled = roaring_bitmap_contains(ruled_ids, (uint32_t)tag);
		return true;
	}
	sqlite3_stmt *st = db_stmt(k->db, "SELECT EXISTS (" SEARCH_RULED_TAGS_OF("?1") ")");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, tag);
	int rc = sqlite3_step(st);
	*ruled = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(k->db, "bands");
}

/* Of a sample of unsure, the predictions of tags rules do not touch that
 * cross, a tally per tag (sorted by tag). */
static bool
tally_crossing(struct ask *k, const roaring_bitmap_t *unsure, const roaring_bitmap_t *ruled_ids,
    const struct scores_cross *x, struct tally **out, size_t *n_out)
{
	sqlite3_stmt *st = db_stmt(k->db, IMAGE_PREDICTIONS);
	if (st == NULL) {
		return false;
	}
	uint64_t n = roaring_bitmap_get_cardinality(unsure);
	struct tally *t = NULL;
	size_t m = 0;
	int rc = SQLITE_DONE;
	for (uint64_t i = 0; i < SAMPLE && i < n && (rc == SQLITE_DONE); i++) {
		uint32_t id;
		if (!roaring_bitmap_select(unsure, (uint32_t)(i * n / SAMPLE), &id)) {
			continue;
		}
		bind_image(st, id, k, x);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t tag = sqlite3_column_int64(st, 0);
			bool character = sqlite3_column_int(st, 1) != 0;
			double score = sqlite3_column_double(st, 2);
			int side = sqlite3_column_int(st, 3);
			bool ruled = true;
			if (in_crossing(x, k->n_x, character, side, score) &&
			    !tag_ruled(k, ruled_ids, tag, &ruled)) {
				rc = SQLITE_ERROR;
				break;
			}
			if (!ruled) {
				t = xreallocarray(t, m + 1, sizeof *t);
				t[m++] = (struct tally){tag, character, 1};
			}
		}
		sqlite3_reset(st);
	}
	/* One entry per tag. */
	size_t u = 0;
	if (m > 0) {
		qsort(t, m, sizeof *t, by_tag);
		for (size_t i = 1; i < m; i++) {
			if (t[i].tag == t[u].tag) {
				t[u].n++;
			} else {
				t[++u] = t[i];
			}
		}
		u++;
	}
	*out = t;
	*n_out = u;
	return rc == SQLITE_DONE || db_fail(k->db, "bands");
}

/*
 * The unsure images (a crossing band holds them, and a tag rules touch
 * crosses there) that another tag, one no rule touches, crosses too: it
 * changes its name, so they change for sure.  Rather than the engine on
 * each (a hundred thousand at 1M for MCut switched with 1girl ruled), the
 * tags that cross most often in a sample of them are taken whole from the
 * score sets, round by round; decide_unsure reads what is left.
 */
static bool
settle(struct ask *k, const struct scores_cross *x, const roaring_bitmap_t *ruled_ids,
    roaring_bitmap_t *unsure, roaring_bitmap_t *changed)
{
	bool ok = true;
	uint64_t from = settle_from();
	for (int r = 0; ok && r < SETTLE_ROUNDS && roaring_bitmap_get_cardinality(unsure) > from;
	    r++) {
		struct tally *t = NULL;
		size_t n = 0;
		ok = tally_crossing(k, unsure, ruled_ids, x, &t, &n);
		if (ok && n > 0) {
			qsort(t, n, sizeof *t, by_count);
		}
		roaring_bitmap_t *sure = roaring_bitmap_create();
		for (size_t i = 0; ok && i < n && i < SETTLE_TAGS && t[i].n * 50 >= (int)fmin(SAMPLE,
		    (double)roaring_bitmap_get_cardinality(unsure)); i++) {
			ok = scores_crossing(k->db, k->model, t[i].tag, t[i].character, x, k->n_x, sure);
		}
		roaring_bitmap_and_inplace(sure, unsure);
		roaring_bitmap_or_inplace(changed, sure);
		roaring_bitmap_andnot_inplace(unsure, sure);
		bool gained = !roaring_bitmap_is_empty(sure);
		roaring_bitmap_free(sure);
		free(t);
		if (!gained) {
			break;
		}
	}
	return ok;
}

/*
 * The unsure images more whole crossing bands hold than ruled tags cross
 * in (counted to a ceiling): each band holds an undecided prediction of
 * its own, and the ruled tags hold no more than one each, so one of them
 * is a tag no rule touches, and the image changes (decide_unsure's test,
 * without its rows).  They leave unsure; they stay among the changed.
 * Under MCut switched a crossing range spans tens of bands, and this
 * settles most of them (bands partly crossed, and the marked images,
 * whose stored bands are stale, are left to the rows).
 */
static bool
outcounted(struct ask *k, const struct bit_tally *ruled, roaring_bitmap_t *unsure)
{
	struct bit_tally bands;
	bit_tally_init(&bands);
	bool ok = true;
	for (size_t i = 0; ok && i < k->n_full && !roaring_bitmap_is_empty(unsure); i++) {
		roaring_bitmap_t *r = postings_load(k->db, k->full[i]);
		if ((ok = r != NULL)) {
			roaring_bitmap_and_inplace(r, unsure);
			bit_tally_add(&bands, r);
			roaring_bitmap_free(r);
		}
	}
	if (ok) {
		roaring_bitmap_t *more = bit_tally_more(&bands, ruled);
		for (size_t i = 0; i < k->n_marked; i++) {
			roaring_bitmap_remove(more, k->marked[i].id);
		}
		roaring_bitmap_andnot_inplace(unsure, more);
		roaring_bitmap_free(more);
	}
	bit_tally_fini(&bands);
	return ok;
}

/*
 * The unsure images settling left, each decided from its rows: it changes
 * when an undecided prediction of a tag no rule touches crosses (that tag
 * is its name's one source, so the name changes); else its names change
 * only where those of the ruled tags do, which diff already holds, so it
 * leaves the changed.  Reading an image's predictions costs a fraction of
 * the engine's two evaluations of it under the rules (2.6 s for 42,761
 * images at 1M with general MCut switched).  unsure ends empty.
 */
static bool
decide_unsure(struct ask *k, const struct scores_cross *x, const roaring_bitmap_t *ruled_ids,
    roaring_bitmap_t *unsure, roaring_bitmap_t *changed)
{
	sqlite3_stmt *st = db_stmt(k->db, IMAGE_PREDICTIONS);
	sqlite3_stmt *dec = st != NULL ? db_stmt(k->db, "SELECT 1 FROM decisions"
	    " WHERE image_id = ?1 AND tag_id = ?2") : NULL;
	if (dec == NULL) {
		return false;
	}
	roaring_bitmap_t *stays = roaring_bitmap_create();
	roaring_uint32_iterator_t *it = roaring_create_iterator(unsure);
	int rc = SQLITE_DONE;
	for (; it->has_value && rc == SQLITE_DONE; roaring_advance_uint32_iterator(it)) {
		uint32_t id = it->current_value;
		bool moves = false;
		bind_image(st, id, k, x);
		while (!moves && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t tag = sqlite3_column_int64(st, 0);
			bool ruled = true;
			if (!in_crossing(x, k->n_x, sqlite3_column_int(st, 1) != 0,
			    sqlite3_column_int(st, 3), sqlite3_column_double(st, 2))) {
				continue;
			}
			if (!tag_ruled(k, ruled_ids, tag, &ruled)) {
				rc = SQLITE_ERROR;
				break;
			}
			if (ruled) {
				continue;
			}
			sqlite3_bind_int64(dec, 1, id);
			sqlite3_bind_int64(dec, 2, tag);
			int d = sqlite3_step(dec);
			sqlite3_reset(dec);
			if (d != SQLITE_ROW && d != SQLITE_DONE) {
				rc = d;
				break;
			}
			moves = d == SQLITE_DONE;
		}
		sqlite3_reset(st);
		if (moves) {
			rc = SQLITE_DONE;
		} else if (rc == SQLITE_DONE) {
			roaring_bitmap_add(stays, id);
		}
	}
	roaring_free_uint32_iterator(it);
	roaring_bitmap_andnot_inplace(changed, stays);
	roaring_bitmap_free(stays);
	roaring_bitmap_clear(unsure);
	return rc == SQLITE_DONE || db_fail(k->db, "bands");
}

/*
 * The tags rules touch, from the score sets when they are built: the
 * images where a name they become (or a pinned name) is suggested on one
 * side and not the other change (diff); those where one of them crosses
 * (cross) and which a crossing band put among the changed may owe that to
 * it alone: outcounted, settle and decide_unsure tell, unless diff did.
 * None is left for the engine.
 */
static bool
ruled_from_sets(struct ask *k, roaring_bitmap_t *changed, bool *answered)
{
	bool ready = false;
	*answered = false;
	if (!scores_ensure(k->db, false, &ready)) {
		return false;
	}
	if (!ready) {
		return true;
	}
	struct scores_cross x[4];
	for (size_t i = 0; i < k->n_x; i++) {
		x[i] = (struct scores_cross){k->x[i].cc == 1, k->x[i].side, k->x[i].a, k->x[i].z};
	}
	roaring_bitmap_t *diff = roaring_bitmap_create();
	struct bit_tally cross;
	bit_tally_init(&cross);
	bool ok = scores_ruled_change(k->db, k->old, k->cand, k->model, k->shown, x, k->n_x, diff,
	    changed, &cross, answered);
	if (ok && *answered) {
		/* Those diff names change for sure; the unsure are told apart. */
		roaring_bitmap_t *unsure = roaring_bitmap_and(changed, cross.ge[0]);
		roaring_bitmap_t *ruled_ids = roaring_bitmap_create();
		sqlite3_stmt *st = db_stmt(k->db, SEARCH_RULED_TAGS);
		roaring_bitmap_and_inplace(unsure, k->shown);
		roaring_bitmap_or_inplace(changed, diff);
		roaring_bitmap_andnot_inplace(unsure, diff);
		ok = outcounted(k, &cross, unsure) && st != NULL &&
		    postings_ids_into(k->db, st, ruled_ids) &&
		    settle(k, x, ruled_ids, unsure, changed) &&
		    decide_unsure(k, x, ruled_ids, unsure, changed);
		roaring_bitmap_free(ruled_ids);
		roaring_bitmap_free(unsure);
	}
	roaring_bitmap_free(diff);
	bit_tally_fini(&cross);
	return ok;
}

/* The images where a prediction of a tag some rule touches crosses
 * (decided or not: a decision on its own name is not one on its alias),
 * for the engine; from the score sets when they can tell. */
static bool
ruled(struct ask *k, roaring_bitmap_t *changed, roaring_bitmap_t *recheck)
{
	bool answered = false;
	if (!ruled_from_sets(k, changed, &answered)) {
		return false;
	}
	if (answered) {
		return true;
	}
	char *cond = crossing_sql(k);
	char *sql = xasprintf("SELECT i.id FROM tags g JOIN predictions p ON p.tag_id = g.id"
	    " JOIN images i ON i.content_id = p.content_id LEFT JOIN tagged t"
	    " ON t.content_id = p.content_id AND t.model_id = p.model_id"
	    " WHERE g.id IN (" SEARCH_RULED_TAGS ") AND p.model_id = ?1 AND %s%s",
	    DB_BAND_PRED_SQL("p", "g"), cond);
	free(cond);
	sqlite3_stmt *st;
	bool ok = prepare(k->db, sql, &st);
	free(sql);
	if (!ok) {
		return false;
	}
	sqlite3_bind_int64(st, 1, k->model);
	ok = postings_ids_into(k->db, st, recheck);
	sqlite3_finalize(st);
	roaring_bitmap_and_inplace(recheck, k->shown);
	return ok;
}

static bool
cap_moves(const struct search_opts *o, const struct search_opts *c)
{
	bool moves = o->cut.max_tags != c->cut.max_tags;
	for (size_t i = 0; i < o->n_overrides && i < c->n_overrides; i++) {
		moves = moves || o->overrides[i].cut.max_tags != c->overrides[i].cut.max_tags;
	}
	return moves;
}

static bool
paths_of(struct db *db, const roaring_bitmap_t *ids, struct db_band_change *out)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT path FROM images WHERE id = ?1");
	if (st == NULL) {
		return false;
	}
	out->recheck = xcalloc(roaring_bitmap_get_cardinality(ids) + 1, sizeof *out->recheck);
	roaring_uint32_iterator_t *it = roaring_create_iterator(ids);
	bool ok = true;
	for (; ok && it->has_value; roaring_advance_uint32_iterator(it)) {
		sqlite3_bind_int64(st, 1, it->current_value);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			struct db_band_image *m = &out->recheck[out->n_recheck++];
			m->id = it->current_value;
			m->path = xstrndup(sqlite3_column_blob(st, 0),
			    (size_t)sqlite3_column_bytes(st, 0));
		}
		ok = rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "bands");
		sqlite3_reset(st);
	}
	roaring_free_uint32_iterator(it);
	return ok;
}

static bool
answer(struct ask *k, struct db_band_change *out)
{
	/* The images shown, with the tag lists' log; the marked images. */
	bool ok = postings_want(k->db, &k->sets, POSTINGS_SET_SHOWN) &&
	    postings_apply_log(k->db, &k->sets, false, 0) && load_marked(k);
	if (!ok) {
		return false;
	}
	k->shown = sets_get(&k->sets, POSTINGS_SET_SHOWN);
	roaring_bitmap_t *changed = roaring_bitmap_create(), *recheck = roaring_bitmap_create();
	ok = crossing_images(k, changed) && overrides(k, changed, recheck) &&
	    (k->n_x == 0 || ruled(k, changed, recheck));
	if (ok && (search_capped(k->old) || search_capped(k->cand))) {
		roaring_bitmap_or_inplace(recheck, changed);
	}
	/* The cap itself moved: any image may keep other names, whatever its
	 * scores; the engine decides every one. */
	if (ok && cap_moves(k->old, k->cand)) {
		int64_t answered = slot_of(k->model, 0) + DB_BAND_ANSWERED;
		ok = union_of(k, &answered, 1, recheck);
		roaring_bitmap_and_inplace(recheck, k->shown);
	}
	roaring_bitmap_andnot_inplace(changed, recheck);
	out->changed = (int64_t)roaring_bitmap_get_cardinality(changed);
	ok = ok && paths_of(k->db, recheck, out);
	roaring_bitmap_free(changed);
	roaring_bitmap_free(recheck);
	/* The images an MCut cut in use is approximate for; those answered. */
	int64_t inexact[2], answered = slot_of(k->model, 0) + DB_BAND_ANSWERED;
	size_t n = 0;
	for (int cc = 0; cc < 2; cc++) {
		if (mcut_of(&k->old->cut, cc) || mcut_of(&k->cand->cut, cc)) {
			inexact[n++] = slot_of(k->model, cc) + DB_BAND_INEXACT;
		}
	}
	roaring_bitmap_t *r = roaring_bitmap_create(), *a = roaring_bitmap_create();
	ok = ok && union_of(k, inexact, n, r) && union_of(k, &answered, 1, a);
	out->inexact = (int64_t)roaring_bitmap_and_cardinality(r, k->shown);
	out->images = (int64_t)roaring_bitmap_and_cardinality(a, k->shown);
	roaring_bitmap_free(r);
	roaring_bitmap_free(a);
	return ok;
}

static bool
model_id(struct db *db, const char *name, int64_t *id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM models WHERE name = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, name != NULL ? name : "", -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "bands");
}

bool
db_bands_change(struct db *db, const struct search_opts *old, const struct search_opts *cand,
    struct db_band_change *out, bool *answered)
{
	*answered = false;
	struct band_status s;
	bool txn = sqlite3_get_autocommit(db->conn);
	if (!db_postings_enabled() || !band_status(db, &s)) {
		return db_postings_enabled() ? false : true;
	}
	if (!s.ready) {
		if (!txn) {
			return true;
		}
		if (!db_bands_build(db) || !band_status(db, &s)) {
			return false;
		}
		if (!s.ready) {
			return true; /* another build goes on */
		}
	}
	if (s.max_id >= TOP || (txn && !postings_fold_if_due(db))) {
		return s.max_id >= TOP;
	}
	/* Many marked images: into the bitmaps first, when the database lets
	 * us write (else this reader works them out itself). */
	if (txn && s.dirty > fold_dirty()) {
		fold(db);
	}
	struct ask k = {.db = db, .old = old, .cand = cand};
	if (!model_id(db, old->model, &k.model)) {
		return false;
	}
	memset(out, 0, sizeof *out);
	k.n_x = crossings(&old->cut, &cand->cut, k.x);
	if (k.model < 0) {
		*answered = true;
		return true;
	}
	/* One snapshot for bitmaps, log and rows. */
	if (txn && !db_exec(db, "BEGIN")) {
		return false;
	}
	bool ok = answer(&k, out);
	sets_free(&k.sets);
	for (size_t i = 0; i < k.n_marked; i++) {
		free(k.marked[i].keys);
	}
	free(k.marked);
	if (txn) {
		ok = db_exec(db, "COMMIT") && ok;
	}
	if (!ok) {
		db_band_change_fini(out);
	}
	*answered = ok;
	return ok;
}

void
db_band_change_fini(struct db_band_change *c)
{
	for (size_t i = 0; i < c->n_recheck; i++) {
		free(c->recheck[i].path);
	}
	free(c->recheck);
	memset(c, 0, sizeof *c);
}

/* ---- checking ----------------------------------------------------------------- */

bool
db_bands_check(struct db *db, bool *built, bool *same)
{
	struct band_status s;
	*built = false;
	*same = true;
	if (!db_exec(db, "BEGIN")) {
		return false;
	}
	struct sets stored = {0}, fresh = {0};
	bool ok = band_status(db, &s);
	*built = ok && s.ready;
	if (ok && s.ready) {
		/* The bitmaps and the marked images again, as a reader has them,
		 * against BAND_ROWS' own SQL over every image. */
		ok = load_all(db, &stored) && recompute(db, &stored) &&
		    read_rows(db, 0, s.max_id + 1 < TOP ? s.max_id + 1 : TOP, &fresh);
		for (size_t i = 0; ok && i < fresh.cap; i++) {
			if (fresh.vals[i] != NULL) {
				ok = postings_want(db, &stored, fresh.keys[i]);
			}
		}
		for (size_t i = 0; ok && i < stored.cap; i++) {
			if (stored.vals[i] != NULL) {
				const roaring_bitmap_t *f = sets_get(&fresh, stored.keys[i]);
				bool empty = roaring_bitmap_is_empty(stored.vals[i]);
				*same = *same && (f != NULL ? roaring_bitmap_equals(f, stored.vals[i]) : empty);
			}
		}
	}
	sets_free(&stored);
	sets_free(&fresh);
	return db_exec(db, "COMMIT") && ok;
}
