/*
 * postings.c — exact counts of tag queries from per-tag bitmaps.
 *
 * Set ids: a tag's id (> 0) is the set of images with an accepted
 * decision on it; SET_SHOWN (0) the images not missing; STATE_SET(k)
 * (-16 - k) the images in state k, ORIENT_SET(k) (-24 - k) those of
 * orientation k.  Table postings
 * holds each set as a CRoaring bitmap (portable format); postings_log the
 * changes since, in order, each saying whether an image is in a set now
 * (db/schema.c, schema 10, writes it from triggers).  Applying the log in
 * order to the bitmaps gives the sets as the rows are; the last entry for
 * an (image, set) wins, so applying an entry twice is harmless.
 */
#include <math.h>
#include <roaring/roaring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db-private.h"
#include "db/postings-private.h"
#include "db/postings.h"
#include "db/scores-private.h"
#include "db/search-private.h"
#include "db/slices.h"
#include "common/rating.h"
#include "common/xalloc.h"

#define SET_SHOWN POSTINGS_SET_SHOWN
#define STATE_SET POSTINGS_STATE_SET
#define ORIENT_SET POSTINGS_ORIENT_SET
/* Bytes of score sets a first page or a random pick decodes at least
 * before leaving the question to SQL (scores_budget()): a rare tag's sets
 * are a few kilobytes, 1girl's above 0.5 1.2 MB at 1M images. */
#define SCORES_BUDGET (64 << 10)
/* What a plain plan spends on each row it walks, as bytes of sets: a row
 * tested against a suggested: term's SQL costs some 10 us, about what 3 to
 * 5 KB of sets cost to read and decode; 1 KB leans to SQL. */
#define ROW_BYTES 1024
/* A reader applies this many log entries itself; beyond, it folds them
 * into the bitmaps first (when it can take the write lock). */
#define FOLD_AT 20000

bool
db_postings_enabled(void)
{
	const char *v = getenv("TAGCON_POSTINGS");
	return v == NULL || strcmp(v, "off") != 0;
}

/* ---- sets by id --------------------------------------------------------------- */

static size_t
slot(const struct sets *s, int64_t key)
{
	uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ull;
	size_t i = (size_t)(h >> 32) & (s->cap - 1);
	while (s->vals[i] != NULL && s->keys[i] != key) {
		i = (i + 1) & (s->cap - 1);
	}
	return i;
}

roaring_bitmap_t *
sets_get(const struct sets *s, int64_t key)
{
	if (s->cap == 0) {
		return NULL;
	}
	return s->vals[slot(s, key)];
}

void
sets_put(struct sets *s, int64_t key, roaring_bitmap_t *r)
{
	if (2 * (s->n + 1) > s->cap) {
		struct sets t = {.cap = s->cap ? 2 * s->cap : 64};
		t.keys = xcalloc(t.cap, sizeof *t.keys);
		t.vals = xcalloc(t.cap, sizeof *t.vals);
		for (size_t i = 0; i < s->cap; i++) {
			if (s->vals[i] != NULL) {
				size_t j = slot(&t, s->keys[i]);
				t.keys[j] = s->keys[i];
				t.vals[j] = s->vals[i];
				t.n++;
			}
		}
		free(s->keys);
		free(s->vals);
		*s = t;
	}
	size_t i = slot(s, key);
	if (s->vals[i] == NULL) {
		s->n++;
	} else {
		roaring_bitmap_free(s->vals[i]);
	}
	s->keys[i] = key;
	s->vals[i] = r;
}

void
sets_free(struct sets *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		if (s->vals[i] != NULL) {
			roaring_bitmap_free(s->vals[i]);
		}
	}
	free(s->keys);
	free(s->vals);
	memset(s, 0, sizeof *s);
}

/* ---- storage ------------------------------------------------------------------ */

/* Set id's stored bitmap (empty when it has no row); NULL after an error
 * or for a row that is not a bitmap. */
roaring_bitmap_t *
postings_load(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT bits FROM postings WHERE set_id = ?1");
	if (st == NULL) {
		return NULL;
	}
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	roaring_bitmap_t *r = NULL;
	if (rc == SQLITE_ROW) {
		const char *b = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		r = b != NULL ? roaring_bitmap_portable_deserialize_safe(b, n) : NULL;
		if (r == NULL) {
			db_fail(db, "postings: a bitmap that does not read");
		}
	} else if (rc == SQLITE_DONE) {
		r = roaring_bitmap_create();
	} else {
		db_fail(db, "postings");
	}
	sqlite3_reset(st);
	return r;
}

bool
postings_ids_into(struct db *db, sqlite3_stmt *st, roaring_bitmap_t *out)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id >= 0 && id <= UINT32_MAX) {
			roaring_bitmap_add(out, (uint32_t)id);
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "image ids");
}

bool
postings_index_ids_into(struct db *db, sqlite3_stmt *st, int limit, roaring_bitmap_t *out)
{
	if (db->scores_over) {
		sqlite3_reset(st);
		return true;
	}
	if (db->scores_budget < 0) {
		sqlite3_bind_int64(st, limit, -1);
		return postings_ids_into(db, st, out);
	}
	sqlite3_bind_int64(st, limit, db->scores_budget / POSTINGS_INDEX_ROW_BYTES + 1);
	roaring_bitmap_t *got = roaring_bitmap_create();
	bool ok = postings_ids_into(db, st, got);
	if ((db->scores_budget -= POSTINGS_INDEX_ROW_BYTES *
	    (int64_t)roaring_bitmap_get_cardinality(got)) < 0) {
		db->scores_over = true; /* the caller asks SQL instead */
	} else {
		roaring_bitmap_or_inplace(out, got);
	}
	roaring_bitmap_free(got);
	return ok;
}

/* Load set id into s unless it is there. */
bool
postings_want(struct db *db, struct sets *s, int64_t id)
{
	if (sets_get(s, id) != NULL) {
		return true;
	}
	/*
	 * A dense set is kept by the connection as a union of score sets is
	 * (scores_memo_find): 1girl's is 600 KB at 5M images, read through
	 * SQLite's 2 MB page cache, which the four sets of the README's
	 * example outgrow.  Never charged to a page's budget, read or kept.
	 * The log goes on top of a copy.
	 */
	struct scores_memo_key k = {.model = POSTINGS_MEMO_MODEL, .tag = id};
	int64_t budget = scores_budget_suspend(db);
	roaring_bitmap_t *r = roaring_bitmap_create();
	bool hit;
	scores_memo_find(db, &k, r, &hit);
	scores_budget_resume(db, budget);
	if (!hit) {
		roaring_bitmap_free(r);
		if ((r = postings_load(db, id)) == NULL) {
			return false;
		}
		/* What its row held: the bytes decoded. */
		scores_memo_put(db, &k, (int64_t)roaring_bitmap_portable_size_in_bytes(r),
		    roaring_bitmap_copy(r));
	}
	sets_put(s, id, r);
	return true;
}

bool
postings_store(struct db *db, int64_t id, roaring_bitmap_t *r)
{
	if (roaring_bitmap_is_empty(r)) {
		sqlite3_stmt *st = db_stmt(db, "DELETE FROM postings WHERE set_id = ?1");
		if (st == NULL) {
			return false;
		}
		sqlite3_bind_int64(st, 1, id);
		return db_step_done(db, st, "postings");
	}
	roaring_bitmap_run_optimize(r);
	size_t n = roaring_bitmap_portable_size_in_bytes(r);
	char *buf = xmalloc(n);
	roaring_bitmap_portable_serialize(r, buf);
	sqlite3_stmt *st = db_stmt(db, "INSERT OR REPLACE INTO postings(set_id, bits)"
	    " VALUES (?1, ?2)");
	if (st == NULL) {
		free(buf);
		return false;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_blob(st, 2, buf, (int)n, SQLITE_STATIC);
	bool ok = db_step_done(db, st, "postings");
	free(buf);
	return ok;
}

bool
postings_apply_log(struct db *db, struct sets *s, bool all, int64_t below)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT set_id, image_id, present FROM postings_log"
	    " ORDER BY seq");
	if (st == NULL) {
		return false;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		int64_t image = sqlite3_column_int64(st, 1);
		if (all && id < below && !postings_want(db, s, id)) {
			sqlite3_reset(st);
			return false;
		}
		roaring_bitmap_t *r = sets_get(s, id);
		if (r == NULL || image < 0 || image > UINT32_MAX) {
			continue;
		}
		if (sqlite3_column_int(st, 2)) {
			roaring_bitmap_add(r, (uint32_t)image);
		} else {
			roaring_bitmap_remove(r, (uint32_t)image);
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "postings log");
}

/* ---- building and folding ----------------------------------------------------- */

/*
 * Building in short transactions, so that a batch writing beside it never
 * waits for long (its lock gives up after 5 s):
 *   1. one transaction forgets every bitmap and the log, turns logging on
 *      (built = 1) and stores this build's token (row SET_TOKEN);
 *   2. transactions of about CHUNK rows each replace a range of sets (tags
 *      in id order, then SET_SHOWN by ranges of image ids) with what the
 *      rows hold at that moment, each checking the token first;
 *   3. one transaction marks the bitmaps complete (row SET_READY).
 * A chunk read at any moment after step 1 is right with the log on top:
 * an (image, set) pair written since has its last log entry as its value,
 * and one not written since is as the chunk read it.  A build killed half
 * way is started again by the next count; one started by another process
 * meanwhile changes the token and the first build gives up.
 */
#define SET_READY (-1)
#define SET_TOKEN (-2)
#define CHUNK 100000

/* TAGCON_POSTINGS_CHUNK: smaller chunks, for the tests' boundaries. */
static int64_t
chunk_rows(void)
{
	const char *v = getenv("TAGCON_POSTINGS_CHUNK");
	long long n = v != NULL ? atoll(v) : 0;
	return n > 0 ? n : CHUNK;
}

/* Every set is stored: bitmaps plus log are the sets. */
#define READY_SQL "(SELECT built FROM postings_state WHERE id = 1) = 1" \
	" AND EXISTS (SELECT 1 FROM postings WHERE set_id = -1)"

struct status {
	bool ready;     /* READY_SQL */
	int64_t log;    /* entries in the log, about (a rowid span) */
	int64_t max_id; /* the largest image id */
};

static bool
status(struct db *db, struct status *s)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT " READY_SQL ","
	    /* min and max apart: together in one SELECT they scan the log (25 ms
	     * at 271,000 entries), alone each is one step of the b-tree. */
	    " coalesce((SELECT max(seq) FROM postings_log)"
	    "  - (SELECT min(seq) FROM postings_log) + 1, 0),"
	    " (SELECT coalesce(max(id), 0) FROM images)");
	if (st == NULL) {
		return false;
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->ready = sqlite3_column_int(st, 0) == 1;
		s->log = sqlite3_column_int64(st, 1);
		s->max_id = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(db, "postings");
}

int64_t
postings_new_token(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool
postings_token_row_is(struct db *db, sqlite3_stmt *st, int64_t token, bool *same)
{
	int rc = sqlite3_step(st);
	*same = rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == (int)sizeof token &&
	    memcmp(sqlite3_column_blob(st, 0), &token, sizeof token) == 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "build token");
}

bool
postings_token_is(struct db *db, int64_t id, int64_t token, bool *same)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT bits FROM postings WHERE set_id = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, id);
	return postings_token_row_is(db, st, token, same);
}

bool
postings_in_write(struct db *db, bool (*token_is)(struct db *db, int64_t token, bool *same),
    int64_t token, bool (*fn)(struct db *db, void *ud), void *ud, bool *lost)
{
	bool same = false;
	if (!db_begin(db)) {
		return false;
	}
	bool ok = token_is(db, token, &same);
	*lost = !same;
	if (ok && same) {
		ok = fn(db, ud);
	}
	if (!ok || !same) {
		db_rollback(db);
		return ok;
	}
	return db_commit(db);
}

/* Step 1.  The score bands' sets (db-private.h) and marks are theirs. */
static bool
build_start(struct db *db, int64_t token)
{
	sqlite3_stmt *st;
	return db_exec(db, "DELETE FROM postings WHERE set_id < " DB_BAND_BASE_SQL
	    " AND set_id NOT IN (-3, -4); DELETE FROM postings_log WHERE set_id < "
	    DB_BAND_BASE_SQL "; UPDATE postings_state SET built = 1 WHERE id = 1;") &&
	    (st = db_stmt(db, "INSERT INTO postings(set_id, bits) VALUES (-2, ?1)")) != NULL &&
	    sqlite3_bind_blob(st, 1, &token, sizeof token, SQLITE_TRANSIENT) == SQLITE_OK &&
	    db_step_done(db, st, "postings");
}

/* Replace the ids above lo of set id with the rows of st (image ids, one
 * column, ascending, at most limit): up to the last row when there are
 * limit of them (more follow), else all of them.  *n counts them, *last
 * is the last one. */
static bool
replace_range(struct db *db, int64_t id, int64_t lo, int64_t limit, sqlite3_stmt *st,
    int64_t *n, int64_t *last)
{
	roaring_bitmap_t *fresh = roaring_bitmap_create();
	uint32_t batch[4096];
	size_t k = 0;
	int64_t top = (int64_t)UINT32_MAX + 1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t image = sqlite3_column_int64(st, 0);
		if (k == sizeof batch / sizeof batch[0]) {
			roaring_bitmap_add_many(fresh, k, batch);
			k = 0;
		}
		if (image >= 0 && image < top) {
			batch[k++] = (uint32_t)image;
		}
		*last = image;
		(*n)++;
	}
	sqlite3_reset(st);
	roaring_bitmap_add_many(fresh, k, batch);
	roaring_bitmap_t *r = rc == SQLITE_DONE ? postings_load(db, id) : NULL;
	if (r == NULL) {
		roaring_bitmap_free(fresh);
		return rc == SQLITE_DONE ? false : db_fail(db, "postings build");
	}
	/* The range's old ids out, then the rows in. */
	int64_t hi = *n == limit ? *last : top;
	roaring_bitmap_remove_range(r, (uint64_t)(lo + 1 < top ? lo + 1 : top),
	    (uint64_t)(hi < top ? hi + 1 : top));
	roaring_bitmap_or_inplace(r, fresh);
	roaring_bitmap_free(fresh);
	bool ok = postings_store(db, id, r);
	roaring_bitmap_free(r);
	return ok;
}

/* Step 2 for tags: about `chunk` accepted decisions from the cursor (tag
 * *tag, images after *after), from the covering index decisions_tag
 * (tag_id, verdict, then the key's image_id): a common tag takes several
 * chunks, rare ones share one.  *done at the end. */
static bool
build_tags(struct db *db, int64_t *tag, int64_t *after, bool *done)
{
	int64_t budget = chunk_rows();
	sqlite3_stmt *next = db_stmt(db, "SELECT min(tag_id) FROM decisions WHERE tag_id > ?1");
	sqlite3_stmt *rows = db_stmt(db, "SELECT image_id FROM decisions INDEXED BY decisions_tag"
	    " WHERE tag_id = ?1 AND verdict = 1 AND image_id > ?2 ORDER BY image_id LIMIT ?3");
	if (next == NULL || rows == NULL) {
		return false;
	}
	while (budget > 0) {
		if (*after < 0) {
			sqlite3_bind_int64(next, 1, *tag);
			int rc = sqlite3_step(next);
			bool none = rc != SQLITE_ROW || sqlite3_column_type(next, 0) == SQLITE_NULL;
			int64_t t = none ? 0 : sqlite3_column_int64(next, 0);
			sqlite3_reset(next);
			if (rc != SQLITE_ROW) {
				return db_fail(db, "postings build");
			}
			if (none) {
				*done = true;
				return true;
			}
			*tag = t;
		}
		sqlite3_bind_int64(rows, 1, *tag);
		sqlite3_bind_int64(rows, 2, *after);
		sqlite3_bind_int64(rows, 3, budget);
		int64_t n = 0, last = *after;
		bool ok = replace_range(db, *tag, *after, budget, rows, &n, &last);
		if (!ok) {
			return false;
		}
		if (n == budget) {
			/* More may follow: the next chunk's. */
			*after = last;
			return true;
		}
		budget -= n;
		*after = -1;
	}
	return true;
}

/* The images' own sets: [0] SET_SHOWN, [1 + k] state k, [1 + DB_N_STATES
 * + k] orientation k. */
#define IMAGE_SETS (1 + DB_N_STATES + DB_N_ORIENTS)

static int64_t
image_set(int i)
{
	return i == 0 ? SET_SHOWN : i <= DB_N_STATES ? STATE_SET(i - 1)
	    : ORIENT_SET(i - 1 - DB_N_STATES);
}

/* Step 2 for the images' own sets: the images with ids in [*from, *from +
 * chunk) replace that range of each, and the gap up to the next image
 * (*from moves there: ids far apart cost no empty chunks). */
static bool
build_images(struct db *db, int64_t *from, bool *done)
{
	int64_t to = *from + chunk_rows(), next = INT64_MAX;
	sqlite3_stmt *st = db_stmt(db, "SELECT min(id) FROM images WHERE id >= ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, to);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		next = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		return db_fail(db, "postings build");
	}
	roaring_bitmap_t *r[IMAGE_SETS];
	bool ok = true;
	int64_t top = (int64_t)UINT32_MAX + 1;
	for (int k = 0; k < IMAGE_SETS; k++) {
		r[k] = ok ? postings_load(db, image_set(k)) : NULL;
		ok = r[k] != NULL;
		if (ok) {
			roaring_bitmap_remove_range(r[k], (uint64_t)(*from < top ? *from : top),
			    (uint64_t)(next < top ? next : top));
		}
	}
	st = ok ? db_stmt(db, "SELECT id, state, orientation FROM images WHERE id >= ?1"
	    " AND id < ?2") : NULL;
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, *from);
		sqlite3_bind_int64(st, 2, to);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(st, 0), state = sqlite3_column_int64(st, 1),
			    orient = sqlite3_column_int64(st, 2);
			/* SQL's reading: state != 4 for SET_SHOWN, state = k for a
			 * state set, which a real or a text equals no k (the
			 * orientation likewise). */
			bool integer = sqlite3_column_type(st, 1) == SQLITE_INTEGER;
			if (id < 0 || id > UINT32_MAX) {
				continue;
			}
			if (!integer || state != DB_STATE_MISSING) {
				roaring_bitmap_add(r[0], (uint32_t)id);
			}
			if (integer && state >= 0 && state < DB_N_STATES) {
				roaring_bitmap_add(r[1 + state], (uint32_t)id);
			}
			if (sqlite3_column_type(st, 2) == SQLITE_INTEGER && orient >= 0 &&
			    orient < DB_N_ORIENTS) {
				roaring_bitmap_add(r[1 + DB_N_STATES + orient], (uint32_t)id);
			}
		}
		sqlite3_reset(st);
		ok = rc == SQLITE_DONE || db_fail(db, "postings build");
	}
	ok = ok && st != NULL;
	for (int k = 0; k < IMAGE_SETS; k++) {
		ok = ok && postings_store(db, image_set(k), r[k]);
	}
	for (int k = 0; k < IMAGE_SETS && r[k] != NULL; k++) {
		roaring_bitmap_free(r[k]);
	}
	*from = next;
	*done = next == INT64_MAX;
	return ok;
}

/* One step of the build in a write transaction of its own, after checking
 * the token; *lost when another build took over. */
static bool
build_step(struct db *db, int64_t token, int what, int64_t *tag, int64_t *from, bool *done,
    bool *lost)
{
	bool same = false;
	if (!db_begin(db)) {
		return false;
	}
	bool ok = postings_token_is(db, SET_TOKEN, token, &same);
	*lost = !same;
	if (ok && same) {
		switch (what) {
		case 0: ok = build_tags(db, tag, from, done); break;
		case 1: ok = build_images(db, from, done); break;
		default:
			ok = db_exec(db, "INSERT OR REPLACE INTO postings(set_id, bits)"
			    " VALUES (-1, x'');");
			*done = true;
		}
	}
	if (!ok || !same) {
		db_rollback(db);
		return ok;
	}
	return db_commit(db);
}

static bool
build(struct db *db)
{
	int64_t token = postings_new_token();
	if (!db_begin(db)) {
		return false;
	}
	if (!build_start(db, token)) {
		db_rollback(db);
		return false;
	}
	if (!db_commit(db)) {
		return false;
	}
	for (int what = 0; what < 3; what++) {
		int64_t tag = 0, from = what == 0 ? -1 : 0;
		bool done = false, lost = false;
		while (!done) {
			if (!build_step(db, token, what, &tag, &from, &done, &lost)) {
				return false;
			}
			if (lost) {
				return true; /* another build goes on */
			}
		}
	}
	return true;
}

static bool
fold_log(struct db *db)
{
	struct sets s = {0};
	bool ok = postings_apply_log(db, &s, true, INT64_MAX);
	for (size_t i = 0; ok && i < s.cap; i++) {
		if (s.vals[i] != NULL) {
			ok = postings_store(db, s.keys[i], s.vals[i]);
		}
	}
	sets_free(&s);
	return ok && db_exec(db, "DELETE FROM postings_log;");
}

/* Whether ready_sql's one value is 1. */
static bool
ready_is(struct db *db, const char *ready_sql, bool *ready)
{
	sqlite3_stmt *st = db_stmt(db, ready_sql);
	if (st == NULL) {
		return false;
	}
	int rc = sqlite3_step(st);
	*ready = rc == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(db, "fold");
}

bool
postings_fold_with(struct db *db, const char *ready_sql, bool (*build_fn)(struct db *db),
    bool (*fold_log_fn)(struct db *db))
{
	bool ready;
	if (!ready_is(db, ready_sql, &ready)) {
		return false;
	}
	if (!ready) {
		return build_fn(db);
	}
	if (!db_begin(db)) {
		return false;
	}
	bool ok = ready_is(db, ready_sql, &ready) && (!ready || fold_log_fn(db));
	if (!ok) {
		db_rollback(db);
		return false;
	}
	return db_commit(db);
}

bool
db_postings_fold(struct db *db)
{
	return postings_fold_with(db, "SELECT " READY_SQL, build, fold_log);
}

/* ---- queries ------------------------------------------------------------------ */

/*
 * The bytes of score sets (and index rows) a first page or a random pick
 * of o reads before it leaves the question to SQL, among `shown` images.
 * A term that matches a share s of them has sets of some 2 s shown bytes
 * (its ids' low halves) and SQL's plain plan walks some wanted / s rows to
 * fill the page: the two cost the same at sqrt(2 wanted shown ROW_BYTES)
 * bytes.  Twice that is the budget: ROW_BYTES leans to SQL (a walked row
 * costs what 1 to 1.5 KB of sets cost to read cold), and dense sets hold
 * an id in less than two bytes (at 5M images the max-rating filter's sets,
 * 1.2 MB, took 2.6 ms cold where SQL's plan took 3.1).
 * So the budget grows as the square root of the library, where the sets
 * of a term SQL walks as far for grow as the library: a fixed 64 KB sent
 * score:tag_0042>=0.2 (0.26% of 5M images, 400 KB of sets and index rows)
 * to a 55 ms walk of 42,600 rows rather than a 4 ms read.  Never below
 * SCORES_BUDGET; charge() in scores.c stops a dense term after its first
 * block.  TAGCON_SCORES_BUDGET=N sets N (tests: a budget every term
 * exceeds).
 */
static int64_t
scores_budget(const struct search_opts *o, uint64_t shown)
{
	const char *v = getenv("TAGCON_SCORES_BUDGET");
	if (v != NULL && *v != '\0') {
		return atoll(v);
	}
	double wanted = (double)(o->limit > 0 ? o->limit : 1) + (double)(o->offset > 0 ? o->offset : 0);
	double b = 2.0 * sqrt(2.0 * wanted * (double)shown * ROW_BYTES);
	return b < SCORES_BUDGET ? SCORES_BUDGET : b >= (double)(INT64_MAX / 2) ? INT64_MAX / 2
	    : (int64_t)b;
}

/* Whether the bitmaps can answer node n. */
static bool
answerable(const struct search_node *n)
{
	switch (n->kind) {
	case SEARCH_ALL:
	case SEARCH_TAG:
	case SEARCH_SCORE:
	case SEARCH_SUGGESTED:
	case SEARCH_RATING:
	case SEARCH_MODEL:
	case SEARCH_STATE:
	case SEARCH_ORIENTATION:
	case SEARCH_FOLDER:
		return true;
	case SEARCH_AND:
	case SEARCH_OR:
	case SEARCH_NOT:
		for (size_t i = 0; i < n->n_kids; i++) {
			if (!answerable(n->kids[i])) {
				return false;
			}
		}
		return n->kind != SEARCH_NOT || n->n_kids == 1;
	default:
		return search_column_term(n); /* width:, height:, size: */
	}
}

/* Whether a term of q needs the score sets (scores.c). */
static bool
needs_scores(const struct search_node *n)
{
	if (n->kind == SEARCH_SCORE || n->kind == SEARCH_SUGGESTED || n->kind == SEARCH_RATING ||
	    n->kind == SEARCH_MODEL) {
		return true;
	}
	for (size_t i = 0; i < n->n_kids; i++) {
		if (needs_scores(n->kids[i])) {
			return true;
		}
	}
	return false;
}

/* Whether a term of q is over an image's sizes (slices.h). */
static bool
has_column(const struct search_node *n)
{
	if (search_column_term(n)) {
		return true;
	}
	for (size_t i = 0; i < n->n_kids; i++) {
		if (has_column(n->kids[i])) {
			return true;
		}
	}
	return false;
}

/* Whether q has a state term: then, as in SQL (search.c), missing images
 * are not left out of it. */
static bool
has_state(const struct search_node *n)
{
	if (n->kind == SEARCH_STATE) {
		return true;
	}
	for (size_t i = 0; i < n->n_kids; i++) {
		if (has_state(n->kids[i])) {
			return true;
		}
	}
	return false;
}

/* A term's tag ids, resolved once per query; a score, state or folder
 * term's images. */
struct leaf {
	const struct search_node *node;
	int64_t *ids;
	size_t n;
	roaring_bitmap_t *bits;
};

struct eval {
	struct db *db;
	const struct search_opts *o;
	int64_t model;          /* the current model's id, -1 when none */
	struct sets sets;
	struct leaf *leaves;
	size_t n_leaves;
	bool cannot;            /* a score term the score sets cannot tell */
	bool sliced;            /* the sizes' slices answer width:, height:, size: */
	bool pick;              /* for a random pick (raised_budget()) */
	uint64_t fewest;        /* images of the query's smallest conjunct known */
	int64_t budget;         /* a term's budget once score_leaves() is done */
	const roaring_bitmap_t *universe; /* what NOT and ALL mean: SET_SHOWN, or with
	                                   * a state term every image (all) */
	roaring_bitmap_t *all;
};

/* The tag ids a term means: search.c's rule (an exact name with the names
 * aliased to or from it; a pattern's GLOB without aliases), in category
 * when >= 0. */
static bool
resolve(struct eval *e, const struct search_node *n, struct leaf *l)
{
	sqlite3_stmt *st = db_stmt(e->db, n->pattern
	    ? "SELECT id FROM tags WHERE name GLOB ?1 AND (?2 < 0 OR category = ?2)"
	    : "SELECT id FROM tags WHERE name IN (SELECT ?1 UNION"
	    "  SELECT target FROM tag_rules WHERE kind = 1 AND tag = ?1 UNION"
	    "  SELECT tag FROM tag_rules WHERE kind = 1 AND target = ?1)"
	    " AND (?2 < 0 OR category = ?2)");
	if (st == NULL) {
		return false;
	}
	search_bind_name(st, 1, n);
	sqlite3_bind_int(st, 2, n->category);
	l->node = n;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		l->ids = xreallocarray(l->ids, l->n + 1, sizeof *l->ids);
		l->ids[l->n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		return db_fail(e->db, "tag lookup");
	}
	for (size_t i = 0; n->kind == SEARCH_TAG && i < l->n; i++) {
		/* A script's tag id at 0 or below, or among the bands' ids, has
		 * no set of its own (schema 14's triggers): SQL counts it. */
		e->cannot = e->cannot || l->ids[i] <= 0 || l->ids[i] >= DB_BAND_BASE;
		if (!postings_want(e->db, &e->sets, l->ids[i])) {
			return false;
		}
	}
	return true;
}

/*
 * A folder term's images, from the images' path index: search.c's range
 * of paths below the folder, read in the query's snapshot.  As many ids
 * as the folder holds images (2 s for all 5M at once); under a first
 * page's budget, past it, e->cannot.
 */
static bool
folder_leaf(struct eval *e, const struct search_node *n, struct leaf *l)
{
	char *lo, *hi;
	db_folder_range(n->text, &lo, &hi);
	sqlite3_stmt *st = db_stmt(e->db, "SELECT id FROM images WHERE path >= ?1 AND path < ?2"
	    " LIMIT ?3");
	l->bits = roaring_bitmap_create();
	bool ok = st != NULL &&
	    sqlite3_bind_blob(st, 1, lo, (int)strlen(lo), SQLITE_TRANSIENT) == SQLITE_OK &&
	    sqlite3_bind_blob(st, 2, hi, (int)strlen(hi), SQLITE_TRANSIENT) == SQLITE_OK &&
	    postings_index_ids_into(e->db, st, 3, l->bits);
	free(lo);
	free(hi);
	e->cannot = e->cannot || e->db->scores_over;
	return ok;
}

/*
 * A term over the images' own columns (width:, height:, size:): from the
 * sizes' bit slices (slices.h) when they are stored; else its images read
 * with the very SQL the query would test it by (search_compile_term),
 * through its column's index (schema 16): as many ids as match (333,000
 * for width:>=1920 at 1M images, 15 ms), and under a first page's budget,
 * past it, e->cannot.  Missing images too: the universe takes them out.
 */
static bool
column_leaf(struct eval *e, const struct search_node *n, struct leaf *l)
{
	if (e->sliced) {
		/* Read whole whatever the budget (slices.c says why). */
		bool ok = slices_leaf(e->db, n, e->o, &l->bits);
		if (l->bits == NULL) {
			l->bits = roaring_bitmap_create();
			e->cannot = true; /* an error */
		}
		return ok;
	}
	struct compile c;
	l->bits = roaring_bitmap_create();
	bool ok = search_compile_term(&c, e->db, n, e->o);
	char *sql = ok ? xasprintf("SELECT i.id FROM images i WHERE %s LIMIT ?%zu", c.where.s,
	    c.n_params + 1) : NULL;
	sqlite3_stmt *st = sql != NULL ? search_prepare(&c, sql) : NULL;
	ok = st != NULL && postings_index_ids_into(e->db, st, (int)c.n_params + 1, l->bits);
	sqlite3_finalize(st);
	free(sql);
	search_compile_fini(&c);
	e->cannot = e->cannot || e->db->scores_over;
	return ok;
}

static bool
collect(struct eval *e, const struct search_node *n)
{
	if (n->kind == SEARCH_FOLDER || search_column_term(n)) {
		e->leaves = xreallocarray(e->leaves, e->n_leaves + 1, sizeof *e->leaves);
		struct leaf *l = &e->leaves[e->n_leaves++];
		memset(l, 0, sizeof *l);
		l->node = n;
		return n->kind == SEARCH_FOLDER ? folder_leaf(e, n, l) : column_leaf(e, n, l);
	}
	if (n->kind == SEARCH_STATE) {
		/* Its states' sets, and the missing images' for the universe. */
		bool ok = postings_want(e->db, &e->sets, STATE_SET(DB_STATE_MISSING));
		for (int k = 0; ok && k < DB_N_STATES; k++) {
			if ((n->set >> k & 1) != 0) {
				ok = postings_want(e->db, &e->sets, STATE_SET(k));
			}
		}
		return ok;
	}
	if (n->kind == SEARCH_ORIENTATION) {
		bool ok = true;
		for (int k = 0; ok && k < DB_N_ORIENTS; k++) {
			if ((n->set >> k & 1) != 0) {
				ok = postings_want(e->db, &e->sets, ORIENT_SET(k));
			}
		}
		return ok;
	}
	if (n->kind == SEARCH_TAG || n->kind == SEARCH_SCORE || n->kind == SEARCH_SUGGESTED ||
	    n->kind == SEARCH_RATING || n->kind == SEARCH_MODEL) {
		e->leaves = xreallocarray(e->leaves, e->n_leaves + 1, sizeof *e->leaves);
		struct leaf *l = &e->leaves[e->n_leaves++];
		memset(l, 0, sizeof *l);
		l->node = n;
		return n->kind == SEARCH_RATING || n->kind == SEARCH_MODEL || resolve(e, n, l);
	}
	for (size_t i = 0; i < n->n_kids; i++) {
		if (!collect(e, n->kids[i])) {
			return false;
		}
	}
	return true;
}

static const struct leaf *
leaf_of(const struct eval *e, const struct search_node *n)
{
	for (size_t i = 0; i < e->n_leaves; i++) {
		if (e->leaves[i].node == n) {
			return &e->leaves[i];
		}
	}
	return NULL;
}

/* Whether n is a conjunct of q: q itself, or a kid of q's AND that is no
 * NOT (every match of q is among n's). */
static bool
conjunct(const struct search_node *q, const struct search_node *n)
{
	if (q == n) {
		return true;
	}
	for (size_t i = 0; q->kind == SEARCH_AND && i < q->n_kids; i++) {
		if (q->kids[i] == n) {
			return true;
		}
	}
	return false;
}

/* At most how many images leaf l matches, once read (UINT64_MAX when not
 * known): a tag term's sets added up, a folder's or a score term's bits. */
static uint64_t
leaf_size(const struct eval *e, const struct leaf *l)
{
	if (l->bits != NULL) {
		return roaring_bitmap_get_cardinality(l->bits);
	}
	if (l->node->kind != SEARCH_TAG) {
		return UINT64_MAX;
	}
	uint64_t n = 0;
	for (size_t i = 0; i < l->n; i++) {
		const roaring_bitmap_t *r = sets_get(&e->sets, l->ids[i]);
		n += r != NULL ? roaring_bitmap_get_cardinality(r) : 0;
	}
	return n;
}

/*
 * The budget a first page (or a random pick) may spend on the score sets
 * once a conjunct of the query is known to match at most `fewest` of the
 * `shown` images: when so few that the page would fetch its matches by id
 * (search_by_id_max(), the page plan's own rule), the plain plan walks
 * about rows_wanted * shown / fewest rows to reach the end of its page
 * (offset and limit), and reading sets is cheaper than that walk.  So a
 * rare tag beside a dense suggested: term (suggested:character_007
 * suggested:1girl: 550 matches of 5M images) reads 1girl's sets in a few
 * ms rather than walking 130 ms of rows.  More matches would be walked
 * for in the page's order either way (tested against the bitmaps' matches
 * rather than the SQL, cheap for tags): the small budget stays (1girl solo
 * -monochrome rating:g orientation:portrait, 3.7 ms in its plain plan and
 * 9 ms from the bitmaps at 5M).
 */
static int64_t
raised_budget(uint64_t fewest, uint64_t shown, const struct search_opts *o, bool pick)
{
	int64_t rows_wanted = (o->limit > 0 ? o->limit : 1) + (o->offset > 0 ? o->offset : 0);
	if (fewest == UINT64_MAX || (!pick && fewest > (uint64_t)search_by_id_max(rows_wanted,
	    (int64_t)shown, search_walk_cheap(o->sort, rows_wanted, (int64_t)shown)))) {
		return 0;
	}
	/* A random pick in SQL counts every row of its driver, the rarest
	 * tag (db_search_random): tag_0042 under max rating s, 4,650 rows of
	 * 5M images, 105 ms, where the filter's sets took 19 ms. */
	double rows = pick ? (double)fewest
	    : (double)rows_wanted * (double)shown / (double)(fewest > 0 ? fewest : 1);
	double bytes = rows * ROW_BYTES;
	return bytes >= (double)(INT64_MAX / 2) ? INT64_MAX / 2 : (int64_t)bytes;
}

/*
 * The score terms' images, once the tag sets and SET_SHOWN are as the rows
 * are; e->cannot when one of them cannot be told.  Under a budget (a
 * first page, a random pick: db->scores_budget >= 0) each term gets it
 * afresh, and those past it are read again under the raised budget their
 * query's rarest conjunct earns (raised_budget()); any still past it leave
 * the question to SQL (db->scores_over).
 */
static bool
score_leaves(struct eval *e, const struct search_node *q)
{
	const roaring_bitmap_t *shown = sets_get(&e->sets, SET_SHOWN);
	int64_t budget = e->db->scores_budget;
	uint64_t fewest = UINT64_MAX;
	for (size_t i = 0; i < e->n_leaves; i++) {
		const struct leaf *l = &e->leaves[i];
		if ((l->node->kind == SEARCH_TAG || l->node->kind == SEARCH_FOLDER ||
		    search_column_term(l->node)) && conjunct(q, l->node)) {
			uint64_t n = leaf_size(e, l);
			fewest = n < fewest ? n : fewest;
		}
	}
	bool over = false;
	for (int pass = 0; pass < 2 && !e->cannot; pass++) {
		over = false;
		for (size_t i = 0; i < e->n_leaves && !e->cannot; i++) {
			struct leaf *l = &e->leaves[i];
			if (l->node->kind == SEARCH_TAG || l->node->kind == SEARCH_FOLDER ||
			    search_column_term(l->node) || l->bits != NULL) {
				continue;
			}
			e->db->scores_over = false;
			if (budget >= 0) {
				e->db->scores_budget = budget;
			}
			if (!scores_leaf(e->db, l->node, l->ids, l->n, e->o, e->model, shown, &l->bits)) {
				return false;
			}
			if (e->db->scores_over) {
				over = true;
				continue;
			}
			e->cannot = l->bits == NULL;
			if (!e->cannot && conjunct(q, l->node)) {
				uint64_t n = leaf_size(e, l);
				fewest = n < fewest ? n : fewest;
			}
		}
		if (!over || budget < 0) {
			break;
		}
		int64_t raised = raised_budget(fewest, roaring_bitmap_get_cardinality(shown), e->o,
		    e->pick);
		if (raised <= budget) {
			break;
		}
		budget = raised;
	}
	e->db->scores_over = over;
	e->fewest = fewest;
	e->budget = budget;
	return true;
}

/* The current model's id, -1 when there is none. */
static bool
model_of(struct db *db, const struct search_opts *o, int64_t *id)
{
	*id = -1;
	if (o->model == NULL) {
		return true;
	}
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM models WHERE name = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, o->model, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "model lookup");
}

/* The images node n matches, a new bitmap; possibly with missing images in
 * it (the caller intersects with SET_SHOWN once). */
static roaring_bitmap_t *
eval(const struct eval *e, const struct search_node *n)
{
	const roaring_bitmap_t *shown = e->universe;
	if (search_column_term(n)) {
		return roaring_bitmap_copy(leaf_of(e, n)->bits);
	}
	switch (n->kind) {
	case SEARCH_SCORE:
	case SEARCH_SUGGESTED:
	case SEARCH_RATING:
	case SEARCH_MODEL:
	case SEARCH_FOLDER:
		return roaring_bitmap_copy(leaf_of(e, n)->bits);
	case SEARCH_STATE:
	case SEARCH_ORIENTATION: {
		bool state = n->kind == SEARCH_STATE;
		roaring_bitmap_t *r = roaring_bitmap_create();
		for (int k = 0; k < (state ? DB_N_STATES : DB_N_ORIENTS); k++) {
			if ((n->set >> k & 1) != 0) {
				roaring_bitmap_or_inplace(r, sets_get(&e->sets,
				    state ? STATE_SET(k) : ORIENT_SET(k)));
			}
		}
		return r;
	}
	case SEARCH_TAG: {
		const struct leaf *l = leaf_of(e, n);
		roaring_bitmap_t *r = roaring_bitmap_create();
		for (size_t i = 0; i < l->n; i++) {
			roaring_bitmap_or_inplace(r, sets_get(&e->sets, l->ids[i]));
		}
		return r;
	}
	case SEARCH_NOT: {
		roaring_bitmap_t *r = roaring_bitmap_copy(shown);
		roaring_bitmap_t *k = eval(e, n->kids[0]);
		roaring_bitmap_andnot_inplace(r, k);
		roaring_bitmap_free(k);
		return r;
	}
	case SEARCH_AND: {
		/* The first positive term, then the others in place; a NOT kid
		 * subtracts its own term rather than building its complement. */
		roaring_bitmap_t *r = NULL;
		for (size_t i = 0; i < n->n_kids && r == NULL; i++) {
			if (n->kids[i]->kind != SEARCH_NOT) {
				r = eval(e, n->kids[i]);
			}
		}
		if (r == NULL) {
			r = roaring_bitmap_copy(shown);
		}
		bool first = true;
		for (size_t i = 0; i < n->n_kids; i++) {
			const struct search_node *k = n->kids[i];
			if (k->kind != SEARCH_NOT && first) {
				first = false;
				continue;
			}
			bool neg = k->kind == SEARCH_NOT;
			roaring_bitmap_t *b = eval(e, neg ? k->kids[0] : k);
			if (neg) {
				roaring_bitmap_andnot_inplace(r, b);
			} else {
				roaring_bitmap_and_inplace(r, b);
			}
			roaring_bitmap_free(b);
		}
		return r;
	}
	case SEARCH_OR: {
		roaring_bitmap_t *r = roaring_bitmap_create();
		for (size_t i = 0; i < n->n_kids; i++) {
			roaring_bitmap_t *b = eval(e, n->kids[i]);
			roaring_bitmap_or_inplace(r, b);
			roaring_bitmap_free(b);
		}
		return r;
	}
	default:
		return roaring_bitmap_copy(shown);
	}
}

static void
eval_fini(struct eval *e)
{
	for (size_t i = 0; i < e->n_leaves; i++) {
		free(e->leaves[i].ids);
		if (e->leaves[i].bits != NULL) {
			roaring_bitmap_free(e->leaves[i].bits);
		}
	}
	free(e->leaves);
	sets_free(&e->sets);
	if (e->all != NULL) {
		roaring_bitmap_free(e->all);
	}
}

/* What NOT and ALL mean for q: the images not missing, or, with a state
 * term, every image (those not missing and the missing ones; collect()
 * loaded their set). */
static void
universe(struct eval *e, const struct search_node *q)
{
	e->universe = sets_get(&e->sets, SET_SHOWN);
	if (has_state(q)) {
		e->all = roaring_bitmap_or(e->universe, sets_get(&e->sets, STATE_SET(DB_STATE_MISSING)));
		e->universe = e->all;
	}
}

/* Fold or build when worth it and possible: not inside the caller's
 * transaction, and a busy database only costs the reader the log. */
static bool
maybe_fold(struct db *db, struct status *s)
{
	if ((s->ready && s->log <= FOLD_AT) || !sqlite3_get_autocommit(db->conn)) {
		return true;
	}
	if (!db_postings_fold(db)) {
		/* Someone else writes: the log (or plain SQL) serves this time. */
		return true;
	}
	return status(db, s);
}

bool
postings_fold_if_due(struct db *db)
{
	struct status s;
	return status(db, &s) && maybe_fold(db, &s);
}

bool
db_postings_fold_if_due(struct db *db)
{
	struct status s;
	if (!sqlite3_get_autocommit(db->conn) || !status(db, &s) || !s.ready ||
	    s.log <= FOLD_AT) {
		return true;
	}
	return db_postings_fold(db);
}

/* What a caller of matches() may wait for. */
enum wait {
	WAIT_BUILD,  /* a count: builds what is not built, reads every set */
	WAIT_READ,   /* a count with a plain one of its own: reads every built set */
	WAIT_BUDGET, /* a first page: reads built sets up to a budget */
	WAIT_PICK,   /* a random pick: the same, with a pick's raised budget */
};

/*
 * The bitmaps ready to read in one snapshot: the posting lists built (now,
 * with build), their log folded when due, the score sets ready (with
 * scores), the sizes' slices (with columns: *sliced when they answer);
 * then BEGIN, unless the caller holds a transaction (*txn says whether
 * snapshot_end commits).  *usable false, nothing begun, when plain SQL
 * must answer.  False on a database error.
 */
static bool
snapshot_begin(struct db *db, bool build, bool scores, bool columns, bool *usable,
    bool *sliced, bool *txn)
{
	struct status s;
	*usable = *txn = *sliced = false;
	if (!status(db, &s) || (!build && !s.ready) || !maybe_fold(db, &s) || !s.ready ||
	    s.max_id > UINT32_MAX) {
		return true;
	}
	bool ready = true;
	if (scores && !scores_ensure(db, build, &ready)) {
		return false;
	}
	if (!ready) {
		return true;
	}
	if (columns && !scores_slices_ensure(db, build, sliced)) {
		return false;
	}
	/* One snapshot for bitmaps and log: a fold between the two reads
	 * would lose the entries it folded. */
	bool begin = sqlite3_get_autocommit(db->conn);
	if (begin && !db_exec(db, "BEGIN")) {
		return false;
	}
	*txn = begin;
	*usable = true;
	return true;
}

static bool
snapshot_end(struct db *db, bool txn, bool ok)
{
	return txn ? db_exec(db, "COMMIT") && ok : ok;
}

bool
postings_fold_for(struct db *db, const struct search_node *q, const struct search_opts *o)
{
	bool scores = o->max_rating < RATING_E || needs_scores(q), usable, sliced, txn;
	if (!db_postings_enabled() || !answerable(q) || (scores && has_state(q)) ||
	    !sqlite3_get_autocommit(db->conn)) {
		return true;
	}
	/* Without building: as a first page (WAIT_BUDGET) would. */
	return snapshot_begin(db, false, scores, has_column(q), &usable, &sliced, &txn) &&
	    snapshot_end(db, txn, true);
}

/* The images q matches under o, not missing (a new bitmap in *out), when
 * the bitmaps can answer; *out NULL when they cannot. */
static bool
matches(struct db *db, const struct search_node *q, const struct search_opts *o,
    enum wait wait, roaring_bitmap_t **out)
{
	*out = NULL;
	bool rated = o->max_rating < RATING_E, scores = rated || needs_scores(q);
	/* The score terms leave missing images out; a state term lets SQL
	 * count them: not together. */
	if (!db_postings_enabled() || !answerable(q) || (scores && has_state(q))) {
		return true;
	}
	bool usable, sliced, txn;
	if (!snapshot_begin(db, wait == WAIT_BUILD, scores, has_column(q), &usable, &sliced,
	    &txn)) {
		return false;
	}
	if (!usable) {
		return true; /* plain SQL answers */
	}
	struct eval e = {.db = db, .o = o, .sliced = sliced, .pick = wait == WAIT_PICK};
	/* A caller with a cheap plan in SQL (a first page, a random pick) is
	 * not made to wait for a dense term's sets either. */
	db->scores_budget = -1;
	db->scores_over = false;
	bool ok = model_of(db, o, &e.model) && postings_want(db, &e.sets, SET_SHOWN) &&
	    collect(&e, q) && postings_apply_log(db, &e.sets, false, 0);
	if (ok && (wait == WAIT_BUDGET || wait == WAIT_PICK)) {
		const roaring_bitmap_t *shown = sets_get(&e.sets, SET_SHOWN);
		uint64_t n = roaring_bitmap_get_cardinality(shown);
		db->scores_budget = scores_budget(o, n);
		db->scores_top = n > 0 ? roaring_bitmap_maximum(shown) : 0;
	}
	ok = ok && score_leaves(&e, q);
	if (ok) {
		universe(&e, q);
	}
	roaring_bitmap_t *above = NULL;
	if (ok && rated && !e.cannot) {
		/* The rating filter's sets get a budget afresh, as each term
		 * does, raised as a term's is by a rare conjunct: a random pick of
		 * tag_0042 (3,360 of 5M images) under max rating s read the
		 * filter's 1.2 MB of sets past what the terms had left and went to
		 * SQL, 105 ms. */
		if (!db->scores_over && e.budget >= 0) {
			int64_t raised = raised_budget(e.fewest,
			    roaring_bitmap_get_cardinality(sets_get(&e.sets, SET_SHOWN)), o, e.pick);
			db->scores_budget = raised > e.budget ? raised : e.budget;
		}
		above = scores_rated_above(db, e.model, o->max_rating);
		ok = above != NULL;
	}
	e.cannot = e.cannot || db->scores_over;
	db->scores_budget = -1;
	db->scores_over = false;
	if (ok && !e.cannot) {
		*out = eval(&e, q);
		roaring_bitmap_and_inplace(*out, e.universe);
		if (above != NULL) {
			roaring_bitmap_andnot_inplace(*out, above);
		}
	}
	if (above != NULL) {
		roaring_bitmap_free(above);
	}
	eval_fini(&e);
	return snapshot_end(db, txn, ok);
}

bool
db_postings_count(struct db *db, const struct search_node *q, const struct search_opts *o,
    bool build, int64_t *n, bool *answered)
{
	roaring_bitmap_t *r;
	bool ok = matches(db, q, o, build ? WAIT_BUILD : WAIT_READ, &r);
	*answered = r != NULL;
	if (r != NULL) {
		*n = (int64_t)roaring_bitmap_get_cardinality(r);
		roaring_bitmap_free(r);
	}
	return ok;
}

bool
db_postings_nth(struct db *db, const struct search_node *q, const struct search_opts *o,
    uint64_t (*pick)(void *ud, uint64_t n), void *ud, int64_t *id, bool *answered)
{
	roaring_bitmap_t *r;
	bool ok = matches(db, q, o, WAIT_PICK, &r);
	*answered = r != NULL;
	*id = -1;
	if (r != NULL) {
		uint64_t n = roaring_bitmap_get_cardinality(r);
		uint32_t v;
		if (n > 0 && roaring_bitmap_select(r, (uint32_t)pick(ud, n), &v)) {
			*id = v;
		}
		roaring_bitmap_free(r);
	}
	return ok;
}

bool
postings_match(struct db *db, const struct search_node *q, const struct search_opts *o,
    roaring_bitmap_t **out)
{
	return matches(db, q, o, WAIT_BUDGET, out);
}

bool
postings_match_all(struct db *db, const struct search_node *q, const struct search_opts *o,
    roaring_bitmap_t **out)
{
	return matches(db, q, o, WAIT_READ, out);
}

char *
postings_json_ids(const roaring_bitmap_t *r)
{
	/* "[1,2,...]": 11 bytes an id at most. */
	size_t cap = (size_t)roaring_bitmap_get_cardinality(r) * 11 + 3, len = 0;
	char *t = xmalloc(cap);
	t[len++] = '[';
	roaring_uint32_iterator_t *it = roaring_create_iterator(r);
	for (; it->has_value; roaring_advance_uint32_iterator(it)) {
		len += (size_t)snprintf(t + len, cap - len, "%s%u", len > 1 ? "," : "",
		    it->current_value);
	}
	roaring_free_uint32_iterator(it);
	t[len++] = ']';
	t[len] = '\0';
	return t;
}

/* ---- checking ----------------------------------------------------------------- */

/* Set id's bitmap against its rows. */
static bool
same_as_rows(struct db *db, int64_t id, const roaring_bitmap_t *r, bool *same)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT image_id FROM decisions WHERE tag_id = ?1"
	    " AND verdict = 1 AND ?1 > 0 UNION ALL SELECT id FROM images WHERE ?1 = 0"
	    " AND state != 4 UNION ALL SELECT id FROM images WHERE " POSTINGS_STATE_SETS("?1")
	    " AND state = -16 - ?1 UNION ALL SELECT id FROM images WHERE "
	    POSTINGS_ORIENT_SETS("?1") " AND orientation = -24 - ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, id);
	roaring_bitmap_t *rows = roaring_bitmap_create();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		roaring_bitmap_add(rows, (uint32_t)sqlite3_column_int64(st, 0));
	}
	sqlite3_reset(st);
	*same = *same && roaring_bitmap_equals(rows, r);
	roaring_bitmap_free(rows);
	return rc == SQLITE_DONE || db_fail(db, "postings check");
}

bool
db_postings_check(struct db *db, bool *built, bool *same)
{
	struct status s;
	*same = true;
	*built = false;
	if (!db_exec(db, "BEGIN")) {
		return false;
	}
	struct sets sets = {0};
	bool ok = status(db, &s);
	*built = ok && s.ready;
	/* Every set with a bitmap, a log entry or a row. */
	sqlite3_stmt *st = ok && s.ready ? db_stmt(db, "SELECT set_id FROM postings"
	    " WHERE (set_id >= 0 AND set_id < " DB_BAND_BASE_SQL ") OR "
	    POSTINGS_STATE_SETS("set_id") " OR " POSTINGS_ORIENT_SETS("set_id")
	    " UNION SELECT set_id FROM"
	    " postings_log WHERE set_id < " DB_BAND_BASE_SQL " UNION SELECT DISTINCT tag_id FROM decisions"
	    " WHERE verdict = 1 AND tag_id > 0 UNION SELECT 0 UNION SELECT -16 - state FROM images"
	    " WHERE " POSTINGS_A_STATE("state") " UNION SELECT -24 - orientation FROM images"
	    " WHERE " POSTINGS_AN_ORIENT("orientation")) : NULL;
	int rc = SQLITE_DONE;
	if (st != NULL) {
		while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			ok = postings_want(db, &sets, sqlite3_column_int64(st, 0));
		}
		sqlite3_reset(st);
		ok = ok && (rc == SQLITE_DONE || db_fail(db, "postings check"));
		ok = ok && postings_apply_log(db, &sets, false, 0);
		for (size_t i = 0; ok && i < sets.cap; i++) {
			if (sets.vals[i] != NULL) {
				ok = same_as_rows(db, sets.keys[i], sets.vals[i], same);
			}
		}
	}
	sets_free(&sets);
	return db_exec(db, "COMMIT") && ok;
}

bool
postings_pending_ruled(struct db *db, const struct search_opts *o, int64_t *ruled,
    int64_t *plain, bool *answered)
{
	*answered = false;
	bool usable, sliced, txn;
	if (!db_postings_enabled()) {
		return true;
	}
	if (!snapshot_begin(db, false, true, false, &usable, &sliced, &txn)) {
		return false;
	}
	if (!usable) {
		return true; /* plain SQL answers */
	}
	struct eval e = {.db = db, .o = o};
	db->scores_budget = -1;
	db->scores_over = false;
	bool ok = model_of(db, o, &e.model) && postings_want(db, &e.sets, SET_SHOWN) &&
	    postings_apply_log(db, &e.sets, false, 0);
	roaring_bitmap_t *outside = ok ? roaring_bitmap_copy(sets_get(&e.sets, SET_SHOWN)) : NULL;
	/* The images below an override are counted with their own cuts by
	 * the caller (nested ones lie within the outermost). */
	for (size_t k = 0; ok && k < o->n_overrides; k++) {
		struct search_node f = {.kind = SEARCH_FOLDER, .text = (char *)o->overrides[k].folder};
		struct leaf l = {0};
		ok = folder_leaf(&e, &f, &l);
		if (l.bits != NULL) {
			roaring_bitmap_andnot_inplace(outside, l.bits);
			roaring_bitmap_free(l.bits);
		}
	}
	ok = ok && scores_pending_ruled(db, o, e.model, outside, ruled, plain, answered);
	if (outside != NULL) {
		roaring_bitmap_free(outside);
	}
	eval_fini(&e);
	return snapshot_end(db, txn, ok);
}
