/*
 * scores.c — score sets (scores.h): building, folding, checking, and the
 * suggested:, score: and rating: terms worked out from them for the
 * posting lists' queries (postings.c).
 *
 * Marks in table scores: row -1 says every block of every set is stored,
 * row -2 holds the running build's token (its start time); row -3 says the
 * sizes' bit slices (db/slices.c, schema 17) are stored too, row -4 holds
 * the token of a build of those alone.  The SQL below spells them out.
 * postings_state.scores = 1 from a build's first step on: the triggers
 * log.  The stored blocks with the log applied in order are the sets.
 */
#include <math.h>
#include <roaring/roaring.h>
#include <stdlib.h>
#include <string.h>

#include "db/browse.h"
#include "db/db-private.h"
#include "db/postings-private.h"
#include "db/scores-private.h"
#include "db/scores.h"
#include "db/search-private.h"
#include "common/rating.h"
#include "common/xalloc.h"

/* Image ids per block: a roaring container's span. */
#define BLOCK_BITS 16
/* A fold starts past this many log entries (TAGCON_SCORES_FOLD=N sets
 * another number, for tests); a reader applies fewer itself. */
#define FOLD_AT 500000
/* Sets never completed: past this many entries logging stops. */
#define DROP_AT 5000000
#define TOP ((int64_t)UINT32_MAX + 1)

static int64_t
fold_at(void)
{
	const char *v = getenv("TAGCON_SCORES_FOLD");
	long long n = v != NULL ? atoll(v) : 0;
	return n > 0 ? n : FOLD_AT;
}

/* ---- state -------------------------------------------------------------------- */

/* The triggers log; every block of every set is stored. */
#define ON_SQL "(SELECT scores FROM postings_state WHERE id = 1) = 1"
#define STORED_SQL "EXISTS (SELECT 1 FROM scores WHERE id = -1)"
#define SLICED_SQL "EXISTS (SELECT 1 FROM scores WHERE id = -3)"

_Static_assert(DB_SLICES_MODEL == 524287, "DB_SLICES_MODEL_SQL spells it out");

struct status {
	bool on;        /* the triggers log */
	bool ready;     /* every block is stored */
	bool sliced;    /* ... the sizes' slices too */
	bool fits;      /* every model and tag id has set ids, every image id 32 bits */
	int64_t log;    /* entries in the log, about (a rowid span) */
	int64_t max_id; /* the largest image id */
};

static bool
status(struct db *db, struct status *s)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT " ON_SQL ", " STORED_SQL ", " SLICED_SQL ","
	    /* min and max apart: together in one SELECT they scan the log (25 ms
	     * at 271,000 entries), alone each is one step of the b-tree. */
	    " coalesce((SELECT max(seq) FROM scores_log)"
	    "  - (SELECT min(seq) FROM scores_log) + 1, 0),"
	    " (SELECT coalesce(max(id), 0) FROM images),"
	    " (SELECT coalesce(max(id), 0) FROM tags) < 268435456"
	    " AND (SELECT coalesce(max(id), 0) FROM models) < " DB_SLICES_MODEL_SQL);
	if (st == NULL) {
		return false;
	}
	int rc = sqlite3_step(st);
	memset(s, 0, sizeof *s);
	if (rc == SQLITE_ROW) {
		s->on = sqlite3_column_int(st, 0) == 1;
		s->ready = s->on && sqlite3_column_int(st, 1) == 1;
		s->sliced = s->ready && sqlite3_column_int(st, 2) == 1;
		s->log = sqlite3_column_int64(st, 3);
		s->max_id = sqlite3_column_int64(st, 4);
		s->fits = sqlite3_column_int(st, 5) == 1 && s->max_id < TOP;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(db, "score sets");
}

static bool
drop(struct db *db)
{
	return db_exec(db, "UPDATE postings_state SET scores = 0 WHERE id = 1;"
	    " DELETE FROM scores; DELETE FROM scores_log;");
}

/* ---- storage ------------------------------------------------------------------ */

/*
 * One row per (group, block): a group is a model and a tag (set id less
 * its slot, below 2^47), and its row (row_id) holds the block's bitmap of
 * each non-empty slot, as records [u8 slot][u32 length, little-endian]
 * [bytes], by slot.  The bytes are CRoaring's portable form, or, with
 * RAW set in the slot byte, the ids' low 16 bits as little-endian u16s:
 * most slots hold a few ids (a rare tag's hundredth of score), where
 * CRoaring's form spends 16 bytes of header on each.  Rows per (set,
 * block) were 7.2 million at a million images: their keys and headers
 * weighed more than the ids.
 */
#define SLOTS 128
#define RAW 0x80

struct group {
	roaring_bitmap_t *slot[SLOTS]; /* NULL: empty */
};

/* Slots wanted, as a mask. */
struct want {
	uint64_t bits[2];
};

static struct want
want_range(int lo, int hi)
{
	struct want w = {{0, 0}};
	for (int s = lo; s <= hi && s < SLOTS; s++) {
		w.bits[s >> 6] |= UINT64_C(1) << (s & 63);
	}
	return w;
}

static bool
wanted(const struct want *w, int s)
{
	return (w->bits[s >> 6] >> (s & 63)) & 1;
}

static int64_t
group_of(int64_t set)
{
	return (set - DB_SCORE_BASE) >> 7;
}

static int
slot_in(int64_t set)
{
	return (int)((set - DB_SCORE_BASE) & (SLOTS - 1));
}

static void
group_fini(struct group *g)
{
	for (int s = 0; s < SLOTS; s++) {
		if (g->slot[s] != NULL) {
			roaring_bitmap_free(g->slot[s]);
			g->slot[s] = NULL;
		}
	}
}

static roaring_bitmap_t *
slot_of(struct group *g, int s)
{
	if (g->slot[s] == NULL) {
		g->slot[s] = roaring_bitmap_create();
	}
	return g->slot[s];
}

/* The group of a sizes' column (DB_SLICES_SIZE ...). */
#define SLICES_GROUP(tag) (DB_SLICES_MODEL * DB_SCORE_TAGS + (tag))

/* Whether group grp is one of the sizes' slices. */
static bool
sliced_group(int64_t grp)
{
	return grp >= SLICES_GROUP(DB_SLICES_SIZE) && grp <= SLICES_GROUP(DB_SLICES_HEIGHT);
}

/* The slots of a sizes' column a value's code puts an image in (slot 0
 * and a slot per bit, the odd one, or none), into slots; how many. */
static int
code_slots(int64_t code, int slots[DB_SLICES_ODD + 1])
{
	if (code == DB_SLICES_CODE_ODD) {
		slots[0] = DB_SLICES_ODD;
		return 1;
	}
	if (code < 0) {
		return 0; /* gone */
	}
	int n = 0;
	slots[n++] = 0;
	for (uint64_t u = (uint64_t)code; u != 0; u &= u - 1) {
		slots[n++] = 1 + __builtin_ctzll(u);
	}
	return n;
}

/* Log entry (slot, image, present) of group grp applied to g: the image
 * in the slot or out of it; for the slices' DB_SLICES_VALUE, `present` is
 * a value's code, which puts the image in its slots and out of the
 * others. */
static void
apply_entry(struct group *g, int64_t grp, int slot, uint32_t image, int64_t present)
{
	if (slot != DB_SLICES_VALUE || !sliced_group(grp)) {
		if (present != 0) {
			roaring_bitmap_add(slot_of(g, slot), image);
		} else if (g->slot[slot] != NULL) {
			roaring_bitmap_remove(g->slot[slot], image);
		}
		return;
	}
	for (int k = 0; k <= DB_SLICES_ODD; k++) {
		if (g->slot[k] != NULL) {
			roaring_bitmap_remove(g->slot[k], image);
		}
	}
	int slots[DB_SLICES_ODD + 1], n = code_slots(present, slots);
	for (int k = 0; k < n; k++) {
		roaring_bitmap_add(slot_of(g, slots[k]), image);
	}
}

/* One record of a row. */
struct record {
	int slot;
	bool raw;
	const unsigned char *data;
	uint32_t len;
};

/* The record at *at of a row of n bytes, *at moved past it: 1, or 0 at the
 * row's end, -1 for a record that does not read (truncated, or raw of an
 * odd length).  The one reader of the layout pack() writes. */
static int
next_record(const unsigned char *b, size_t n, size_t *at, struct record *r)
{
	if (*at == n) {
		return 0;
	}
	if (n - *at < 5) {
		return -1;
	}
	const unsigned char *h = b + *at;
	r->slot = h[0] & ~RAW;
	r->raw = h[0] & RAW;
	r->len = (uint32_t)h[1] | (uint32_t)h[2] << 8 | (uint32_t)h[3] << 16 | (uint32_t)h[4] << 24;
	r->data = h + 5;
	*at += 5;
	if (r->len > n - *at || (r->raw && r->len % 2 != 0)) {
		return -1;
	}
	*at += r->len;
	return 1;
}

/* Raw id j of record r (its low 16 bits). */
static uint32_t
raw_id(const struct record *r, uint32_t j)
{
	return (uint32_t)r->data[2 * j] | (uint32_t)r->data[2 * j + 1] << 8;
}

/* The wanted slots of row `block` OR-ed into g; false for a row that does
 * not read (a record, or a bitmap CRoaring refuses). */
static bool
unpack(const unsigned char *b, size_t n, int64_t block, const struct want *w, struct group *g)
{
	size_t at = 0;
	struct record r;
	int more;
	while ((more = next_record(b, n, &at, &r)) > 0) {
		if (!wanted(w, r.slot)) {
			continue;
		}
		if (r.raw) {
			uint32_t ids[512];
			size_t k = 0;
			for (uint32_t j = 0; j < r.len / 2; j++) {
				ids[k++] = (uint32_t)(block << BLOCK_BITS) | raw_id(&r, j);
				if (k == sizeof ids / sizeof ids[0] || j + 1 == r.len / 2) {
					roaring_bitmap_add_many(slot_of(g, r.slot), k, ids);
					k = 0;
				}
			}
			continue;
		}
		roaring_bitmap_t *x = roaring_bitmap_portable_deserialize_safe((const char *)r.data,
		    r.len);
		if (x == NULL) {
			return false;
		}
		roaring_bitmap_or_inplace(slot_of(g, r.slot), x);
		roaring_bitmap_free(x);
	}
	return more == 0;
}

/* A slot's record: raw when that is shorter. */
static size_t
record_size(roaring_bitmap_t *r, bool *raw)
{
	roaring_bitmap_run_optimize(r);
	size_t portable = roaring_bitmap_portable_size_in_bytes(r);
	uint64_t card = roaring_bitmap_get_cardinality(r);
	*raw = 2 * card < portable;
	return 5 + (*raw ? 2 * card : portable);
}

/* g's non-empty slots as a row (a new buffer; *n 0 when all are empty). */
static unsigned char *
pack(struct group *g, size_t *n)
{
	size_t total = 0;
	bool raw[SLOTS];
	for (int s = 0; s < SLOTS; s++) {
		if (g->slot[s] != NULL && !roaring_bitmap_is_empty(g->slot[s])) {
			total += record_size(g->slot[s], &raw[s]);
		}
	}
	unsigned char *b = xmalloc(total + 1);
	size_t at = 0;
	for (int s = 0; s < SLOTS; s++) {
		if (g->slot[s] == NULL || roaring_bitmap_is_empty(g->slot[s])) {
			continue;
		}
		size_t len = 0;
		if (raw[s]) {
			roaring_uint32_iterator_t *it = roaring_create_iterator(g->slot[s]);
			for (; it->has_value; roaring_advance_uint32_iterator(it)) {
				b[at + 5 + len++] = (unsigned char)(it->current_value & 0xff);
				b[at + 5 + len++] = (unsigned char)(it->current_value >> 8 & 0xff);
			}
			roaring_free_uint32_iterator(it);
		} else {
			len = roaring_bitmap_portable_serialize(g->slot[s], (char *)b + at + 5);
		}
		b[at] = (unsigned char)(s | (raw[s] ? RAW : 0));
		for (int k = 0; k < 4; k++) {
			b[at + 1 + k] = (unsigned char)(len >> (8 * k));
		}
		at += 5 + len;
	}
	*n = at;
	return b;
}

/* The row of (grp, block): a rowid, so that a row of a few KB shares its
 * page with others (an index b-tree, WITHOUT ROWID, spills any row over
 * about 1 KB into overflow pages: 78 MB of pages for 27 MB of bitmaps at
 * 100k images). */
static int64_t
row_id(int64_t grp, int64_t block)
{
	return grp << 16 | block;
}

/* Row (grp, block) into g (every slot). */
static bool
load_row(struct db *db, int64_t grp, int64_t block, struct group *g)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT bits FROM scores WHERE id = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, row_id(grp, block));
	int rc = sqlite3_step(st);
	struct want all = want_range(0, SLOTS - 1);
	bool ok = rc == SQLITE_DONE || (rc == SQLITE_ROW && unpack(sqlite3_column_blob(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0), block, &all, g));
	sqlite3_reset(st);
	return ok || db_fail(db, rc == SQLITE_ROW ? "score sets: a row that does not read"
	    : "score sets");
}

static bool
store_row(struct db *db, int64_t grp, int64_t block, struct group *g)
{
	size_t n;
	unsigned char *b = pack(g, &n);
	sqlite3_stmt *st = db_stmt(db, n == 0 ? "DELETE FROM scores WHERE id = ?1"
	    : "INSERT OR REPLACE INTO scores(id, bits) VALUES (?1, ?2)");
	bool ok = st != NULL;
	if (ok) {
		sqlite3_bind_int64(st, 1, row_id(grp, block));
		if (n > 0) {
			sqlite3_bind_blob(st, 2, b, (int)n, SQLITE_STATIC);
		}
		ok = db_step_done(db, st, "score sets");
	}
	free(b);
	return ok;
}

/* The stored rows of group grp, block by block (bits, id): a statement
 * to step; NULL on error. */
static sqlite3_stmt *
group_rows(struct db *db, int64_t grp)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT bits, id FROM scores WHERE id >= ?1 AND id < ?2");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, row_id(grp, 0));
		sqlite3_bind_int64(st, 2, row_id(grp + 1, 0));
	}
	return st;
}

/* The wanted slots of group grp as they are, slot by slot: every block,
 * then the log's entries for them in order (db_scores_check). */
static bool
load_group(struct db *db, int64_t grp, const struct want *w, struct group *g)
{
	sqlite3_stmt *st = group_rows(db, grp);
	if (st == NULL) {
		return false;
	}
	int rc;
	bool ok = true;
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		ok = unpack(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
		    sqlite3_column_int64(st, 1) & 0xffff, w, g);
	}
	sqlite3_reset(st);
	if (!ok || rc != SQLITE_DONE) {
		return db_fail(db, ok ? "score sets" : "score sets: a row that does not read");
	}
	st = db_stmt(db, "SELECT set_id, image_id, present FROM scores_log"
	    " WHERE set_id >= ?1 AND set_id < ?2 ORDER BY seq");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, DB_SCORE_BASE + grp * SLOTS);
	sqlite3_bind_int64(st, 2, DB_SCORE_BASE + (grp + 1) * SLOTS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int s = slot_in(sqlite3_column_int64(st, 0));
		int64_t image = sqlite3_column_int64(st, 1);
		if ((!wanted(w, s) && !sliced_group(grp)) || image < 0 || image >= TOP) {
			continue;
		}
		apply_entry(g, grp, s, (uint32_t)image, sqlite3_column_int64(st, 2));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "score sets log");
}

/* One log entry of a group, for a union of its slots. */
struct touch {
	uint32_t image;
	int slot;
	int64_t present; /* 0 or 1, or a value's code (apply_entry) */
	int64_t seq;
};

static int
by_image(const void *a, const void *b)
{
	const struct touch *x = a, *y = b;
	if (x->image != y->image) {
		return x->image < y->image ? -1 : 1;
	}
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static void
set_bit(uint64_t *bits, uint32_t low)
{
	bits[low >> 6] |= UINT64_C(1) << (low & 63);
}

/* The wanted slots of row `block`: raw ones into the block's bitset,
 * CRoaring ones OR-ed into u. */
static bool
unpack_bits(const unsigned char *b, size_t n, const struct want *w, uint64_t *bits,
    roaring_bitmap_t *u, int64_t *bytes)
{
	size_t at = 0;
	struct record r;
	int more;
	while ((more = next_record(b, n, &at, &r)) > 0) {
		if (!wanted(w, r.slot)) {
			continue;
		}
		*bytes += r.len;
		if (r.raw) {
			for (uint32_t j = 0; j < r.len / 2; j++) {
				set_bit(bits, raw_id(&r, j));
			}
			continue;
		}
		roaring_bitmap_t *x = roaring_bitmap_portable_deserialize_safe((const char *)r.data,
		    r.len);
		if (x == NULL) {
			return false;
		}
		/* Dense (runs, full containers): whole containers at once. */
		roaring_bitmap_or_inplace(u, x);
		roaring_bitmap_free(x);
	}
	return more == 0;
}

static void
put_le(unsigned char *b, uint64_t v, int bytes)
{
	for (int k = 0; k < bytes; k++) {
		b[k] = (unsigned char)(v >> (8 * k));
	}
}

/* The bits set in w, inline: built for any x86-64, __builtin_popcountll
 * is a call into libgcc per word, a fifth of a union of bands. */
static uint32_t
ones(uint64_t w)
{
	w -= (w >> 1) & UINT64_C(0x5555555555555555);
	w = (w & UINT64_C(0x3333333333333333)) + ((w >> 2) & UINT64_C(0x3333333333333333));
	w = (w + (w >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
	return (uint32_t)((w * UINT64_C(0x0101010101010101)) >> 56);
}

/*
 * A block's bitset OR-ed into u, as one container: written in CRoaring's
 * portable form (no-run cookie, one container, its key, cardinality and
 * offset; a bitset past 4,096 ids, else their array) and read back.
 * Adding the ids one by one took some 250 us for a dense block: most of
 * a dense term's count (15 of 20 ms for score:1girl>0.5 at 5M images).
 */
static bool
bits_into(const uint64_t *bits, int64_t block, roaring_bitmap_t *u)
{
	enum { HEAD = 16, WORDS = 1 << BLOCK_BITS >> 6 };
	uint32_t card = 0;
	for (int i = 0; i < WORDS; i++) {
		card += ones(bits[i]);
	}
	if (card == 0) {
		return true;
	}
	unsigned char buf[HEAD + 8 * WORDS];
	put_le(buf, 12346, 4); /* SERIAL_COOKIE_NO_RUNCONTAINER */
	put_le(buf + 4, 1, 4);
	put_le(buf + 8, (uint64_t)block, 2);
	put_le(buf + 10, card - 1, 2);
	put_le(buf + 12, HEAD, 4);
	size_t n = HEAD;
	if (card > 4096) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		memcpy(buf + n, bits, 8 * WORDS); /* already little-endian */
		n += 8 * WORDS;
#else
		for (int i = 0; i < WORDS; i++, n += 8) {
			put_le(buf + n, bits[i], 8);
		}
#endif
	} else {
		for (uint32_t i = 0; i < WORDS; i++) {
			for (uint64_t word = bits[i]; word != 0; word &= word - 1, n += 2) {
				put_le(buf + n, i << 6 | (uint32_t)__builtin_ctzll(word), 2);
			}
		}
	}
	roaring_bitmap_t *x = roaring_bitmap_portable_deserialize_safe((const char *)buf, n);
	if (x == NULL) {
		return false;
	}
	roaring_bitmap_or_inplace(u, x);
	roaring_bitmap_free(x);
	return true;
}

/* The log's entries for slots lo..hi of group grp, in order. */
static bool
read_touches(struct db *db, int64_t grp, int lo, int hi, struct touch **out, size_t *n)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT set_id, image_id, present, seq FROM scores_log"
	    " WHERE set_id >= ?1 AND set_id <= ?2");
	*out = NULL;
	*n = 0;
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, DB_SCORE_BASE + grp * SLOTS + lo);
	sqlite3_bind_int64(st, 2, DB_SCORE_BASE + grp * SLOTS + hi);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t image = sqlite3_column_int64(st, 1);
		if (image < 0 || image >= TOP) {
			continue;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			*out = xreallocarray(*out, cap, sizeof **out);
		}
		(*out)[(*n)++] = (struct touch){.image = (uint32_t)image,
			.slot = slot_in(sqlite3_column_int64(st, 0)),
			.present = sqlite3_column_int64(st, 2), .seq = sqlite3_column_int64(st, 3)};
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "score sets log");
}

/*
 * A row's decoded bytes charged to a first page's budget, when there is
 * one: past it once spent (db->scores_over: the caller asks SQL), or once
 * the blocks after this one would spend it at the rate the read's rows so
 * far (*read, this row's bytes added) spent theirs.  So a dense term goes
 * to SQL after its first block rather than after a budget's worth of rows
 * (1girl above 0.5: 78 KB a block at 5M images, the budget 2 MB).  A term
 * whose images crowd the first ids (a folder scanned first) is judged
 * denser than it is: SQL answers it, as before there was a projection.
 */
static void
charge(struct db *db, int64_t bytes, int64_t block, int64_t *read)
{
	if (db->scores_budget < 0) {
		return;
	}
	*read += bytes;
	db->scores_budget -= bytes;
	int64_t after = (db->scores_top >> BLOCK_BITS) - block;
	if (db->scores_budget < 0 || (after > 0 && (double)*read / (double)(block + 1) *
	    (double)after > (double)db->scores_budget)) {
		db->scores_over = true;
	}
}

/*
 * out |= slots lo..hi of the group of (model, tag), as they are.  The
 * stored rows are decoded straight into a bitset per block (no bitmap per
 * slot: a dense tag's union is half a million ids), and the images the log
 * names are then worked out from their entries alone.  That is exact
 * because a range is of one kind of slot, where an image is in one slot
 * at most (one band of one prediction per tag and model, one rating per
 * answer), and the triggers log an image out of where it was before they
 * log it in where it goes: its entries replayed from nothing give where it
 * is now.  load_group, slot by slot, is what the fold and db_scores_check
 * use; test-scores holds the two to the rows.
 */
static bool
read_slots(struct db *db, int64_t model, int64_t tag, int lo, int hi, roaring_bitmap_t *out,
    int64_t *decoded)
{
	int64_t grp = model * DB_SCORE_TAGS + tag;
	struct want w = want_range(lo, hi);
	struct touch *t;
	size_t n;
	if (!read_touches(db, grp, lo, hi, &t, &n)) {
		return false;
	}
	sqlite3_stmt *st = group_rows(db, grp);
	if (st == NULL) {
		free(t);
		return false;
	}
	roaring_bitmap_t *u = roaring_bitmap_create();
	uint64_t *bits = xmalloc(1024 * sizeof *bits);
	int rc;
	bool ok = true;
	int64_t read = 0;
	while (ok && !db->scores_over && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t bytes = 0, block = sqlite3_column_int64(st, 1) & 0xffff;
		memset(bits, 0, 1024 * sizeof *bits);
		ok = unpack_bits(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &w,
		    bits, u, &bytes) && bits_into(bits, block, u);
		/* The slots it decodes count, not the row (a rating's slot is
		 * one of five in its row). */
		*decoded += bytes;
		charge(db, bytes, block, &read);
	}
	sqlite3_reset(st);
	free(bits);
	if (!db->scores_over && (!ok || rc != SQLITE_DONE)) {
		free(t);
		roaring_bitmap_free(u);
		return db_fail(db, ok ? "score sets" : "score sets: a row that does not read");
	}
	if (n > 0) {
		qsort(t, n, sizeof *t, by_image);
	}
	for (size_t i = 0; i < n;) {
		uint32_t image = t[i].image;
		struct want in = {{0, 0}};
		for (; i < n && t[i].image == image; i++) {
			uint64_t bit = UINT64_C(1) << (t[i].slot & 63);
			in.bits[t[i].slot >> 6] = t[i].present != 0 ? in.bits[t[i].slot >> 6] | bit
			    : in.bits[t[i].slot >> 6] & ~bit;
		}
		if (in.bits[0] != 0 || in.bits[1] != 0) {
			roaring_bitmap_add(u, image);
		} else {
			roaring_bitmap_remove(u, image);
		}
	}
	free(t);
	roaring_bitmap_or_inplace(out, u);
	roaring_bitmap_free(u);
	return true;
}

/*
 * A union of slots kept whole in db->memo when its rows are worth keeping
 * (MEMO_FROM bytes decoded and more): the max-rating filter and every
 * rating: term read a model's rating sets whole, a block row of five dense
 * sets after another (77 rows of 40 KB at 5M, more than SQLite's page cache
 * keeps between two counts), and a dense score term its tag's rows (1girl's
 * above 0.5: 6 MB of rows at 5M, 5 ms read, for a 0.6 MB bitmap), as are
 * the index rows a score term reads (index_ids()).  A count that adds a
 * term to the last one (a filter typed on) takes them from here.
 * Kept while no other connection has committed (PRAGMA data_version) and
 * this one has changed no row (sqlite3_total_changes64); never from inside a
 * write transaction, whose writes a rollback may take back without a trace
 * in either.  A first page's budget is charged what the rows would have
 * cost, so that its plan does not depend on what happens to be kept.
 */
#define MEMO_FROM (16 << 10)
#define MEMO_BYTES (8 << 20) /* bitmaps kept at most, in CRoaring's memory */

static void
memo_drop(struct db *db, struct db_set_memo *m)
{
	if (m->set != NULL) {
		db->memo_bytes -= m->size;
		roaring_bitmap_free(m->set);
		m->set = NULL;
	}
}

/* Keep fresh (its bitmap owned from now on); false when too large to. */
static bool
memo_keep(struct db *db, const struct db_set_memo *fresh)
{
	if (fresh->size > MEMO_BYTES / 2) {
		return false;
	}
	/* The same key's place, else the next in turn; older ones go until
	 * it fits. */
	size_t at = db->memo_next;
	for (size_t i = 0; i < DB_SET_MEMOS; i++) {
		const struct db_set_memo *m = &db->memo[i];
		if (m->set != NULL && m->model == fresh->model && m->tag == fresh->tag &&
		    m->lo == fresh->lo && m->hi == fresh->hi) {
			at = i;
		}
	}
	memo_drop(db, &db->memo[at]);
	for (size_t k = 1; k < DB_SET_MEMOS && db->memo_bytes + fresh->size > MEMO_BYTES; k++) {
		memo_drop(db, &db->memo[(at + k) % DB_SET_MEMOS]);
	}
	db->memo[at] = *fresh;
	db->memo_bytes += fresh->size;
	if (at == db->memo_next) {
		db->memo_next = (db->memo_next + 1) % DB_SET_MEMOS;
	}
	return true;
}

void
scores_memo_find(struct db *db, struct scores_memo_key *k, roaring_bitmap_t *out, bool *hit)
{
	*hit = false;
	k->keep = sqlite3_txn_state(db->conn, "main") != SQLITE_TXN_WRITE &&
	    db_browse_version(db, &k->version);
	k->changes = sqlite3_total_changes64(db->conn);
	for (size_t i = 0; k->keep && i < DB_SET_MEMOS; i++) {
		struct db_set_memo *m = &db->memo[i];
		if (m->set != NULL && m->model == k->model && m->tag == k->tag && m->lo == k->lo &&
		    m->hi == k->hi && m->version == k->version && m->changes == k->changes) {
			*hit = true;
			if (db->scores_budget >= 0 && (db->scores_budget -= m->decoded) < 0) {
				db->scores_over = true; /* as its rows would have */
				return;
			}
			roaring_bitmap_or_inplace(out, m->set);
			return;
		}
	}
}

void
scores_memo_put(struct db *db, const struct scores_memo_key *k, int64_t decoded,
    roaring_bitmap_t *r)
{
	if (!k->keep || db->scores_over || decoded < MEMO_FROM) {
		roaring_bitmap_free(r); /* partial past a page's budget, or cheap */
		return;
	}
	roaring_bitmap_shrink_to_fit(r);
	if (!memo_keep(db, &(struct db_set_memo){k->model, k->tag, k->lo, k->hi, k->version,
	    k->changes, decoded, (int64_t)roaring_bitmap_size_in_bytes(r), r})) {
		roaring_bitmap_free(r);
	}
}

static bool
memo_or(struct db *db, int64_t model, int64_t tag, int lo, int hi, roaring_bitmap_t *out)
{
	struct scores_memo_key k = {.model = model, .tag = tag, .lo = lo, .hi = hi};
	bool hit;
	scores_memo_find(db, &k, out, &hit);
	if (hit) {
		return true;
	}
	roaring_bitmap_t *r = roaring_bitmap_create();
	int64_t decoded = 0;
	if (!read_slots(db, model, tag, lo, hi, r, &decoded)) {
		roaring_bitmap_free(r);
		return false;
	}
	roaring_bitmap_or_inplace(out, r);
	scores_memo_put(db, &k, decoded, r);
	return true;
}

bool
scores_or_slots(struct db *db, int64_t model, int64_t tag, int lo, int hi, roaring_bitmap_t *out)
{
	return memo_or(db, model, tag, lo, hi, out);
}

/* One set of (model, tag) as it is, a new bitmap; NULL on error. */
roaring_bitmap_t *
scores_load_set(struct db *db, int64_t model, int64_t tag, int slot)
{
	roaring_bitmap_t *r = roaring_bitmap_create();
	if (!scores_or_slots(db, model, tag, slot, slot, r)) {
		roaring_bitmap_free(r);
		return NULL;
	}
	return r;
}

int64_t
scores_budget_suspend(struct db *db)
{
	int64_t budget = db->scores_budget;
	db->scores_budget = -1;
	return budget;
}

void
scores_budget_resume(struct db *db, int64_t budget)
{
	db->scores_budget = budget;
}

/*
 * The images model answered for, a new bitmap (NULL on error), never
 * charged to a first page's budget: a bit an image at most (5M images with
 * 1% unanswered: 77 containers, 140 to 340 KB by the budgets that let
 * score:tag_0042>=0.2 through and not), read once while the
 * library stays as it is and then kept by the connection, and every score:
 * term ANDs it.  Charged, it put every score term past the budget from a
 * few million images on, a whole term's sets within it (score:tag_0042>=0.2:
 * 62 KB of rows, 55 ms in SQL's walk at 5M).
 */
static roaring_bitmap_t *
answered_set(struct db *db, int64_t model)
{
	int64_t budget = scores_budget_suspend(db);
	roaring_bitmap_t *r = scores_load_set(db, model, 0, DB_SCORE_ANSWERED);
	scores_budget_resume(db, budget);
	return r;
}

/* ---- building ----------------------------------------------------------------- */

/* (image, set) for the images with ids in [?1, ?2): every set their rows
 * put them in.  The build reads it block by block, db_scores_check() for
 * every image. */
#define SCORE_ROWS \
	"SELECT i.id, " DB_SCORE_BAND_SET_SQL("p") " FROM images i JOIN predictions p" \
	" ON p.content_id = i.content_id WHERE i.id >= ?1 AND i.id < ?2" \
	" UNION ALL SELECT i.id, " DB_SCORE_ABOVE_SET_SQL("p") " FROM images i JOIN predictions p" \
	" ON p.content_id = i.content_id JOIN tags g ON g.id = p.tag_id JOIN tagged t" \
	" ON t.content_id = p.content_id AND t.model_id = p.model_id" \
	" WHERE i.id >= ?1 AND i.id < ?2 AND " DB_BAND_SIDE_SQL("p", "g", "t") \
	" UNION ALL SELECT i.id, " DB_SCORE_SET_SQL("t.model_id", "0", "0") " FROM images i" \
	" JOIN tagged t ON t.content_id = i.content_id WHERE i.id >= ?1 AND i.id < ?2" \
	" UNION ALL SELECT i.id, " DB_SCORE_SET_SQL("t.model_id", "0", "1 + " DB_RATING_OF_SQL("t")) \
	" FROM images i JOIN tagged t ON t.content_id = i.content_id WHERE i.id >= ?1 AND i.id < ?2" \
	" UNION ALL SELECT d.image_id, " DB_SCORE_SET_SQL("0", "d.tag_id", "102") " FROM decisions d" \
	" WHERE d.image_id >= ?1 AND d.image_id < ?2"

/* The sizes' columns, by their slices' tags (DB_SLICES_SIZE ...). */
#define SLICE_ROWS "SELECT id, size, width, height FROM images WHERE id >= ?1 AND id < ?2"

/* The slots column `col` of st's row puts its image in, to put(): its
 * value's code as DB_SLICES_CODE_SQL reads it. */
static void
put_slices(sqlite3_stmt *st, int col, int64_t tag, void (*put)(void *, int64_t, int64_t),
    void *ud)
{
	int64_t image = sqlite3_column_int64(st, 0), v = sqlite3_column_int64(st, col);
	int64_t base = DB_SCORE_BASE + (DB_SLICES_MODEL * DB_SCORE_TAGS + tag) * SLOTS;
	int slots[DB_SLICES_ODD + 1];
	int n = code_slots(sqlite3_column_type(st, col) == SQLITE_INTEGER && v >= 0 ? v
	    : DB_SLICES_CODE_ODD, slots);
	for (int k = 0; k < n; k++) {
		put(ud, image, base + slots[k]);
	}
}

/* What read_rows() reads. */
enum rows { ROWS_ALL, ROWS_SLICES };

/* Every (image, set) pair the rows of images [from, to) give, to put():
 * of every set, or of the sizes' slices alone. */
static bool
read_rows(struct db *db, enum rows what, int64_t from, int64_t to,
    void (*put)(void *, int64_t, int64_t), void *ud)
{
	int rc = SQLITE_DONE;
	for (int q = what == ROWS_ALL ? 0 : 1; q < 2 && rc == SQLITE_DONE; q++) {
		sqlite3_stmt *st = db_stmt(db, q == 0 ? SCORE_ROWS : SLICE_ROWS);
		if (st == NULL) {
			return false;
		}
		sqlite3_bind_int64(st, 1, from);
		sqlite3_bind_int64(st, 2, to);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t image = sqlite3_column_int64(st, 0);
			if (image < 0 || image >= TOP) {
				continue;
			}
			if (q == 0) {
				put(ud, image, sqlite3_column_int64(st, 1));
			} else {
				put_slices(st, 1, DB_SLICES_SIZE, put, ud);
				put_slices(st, 2, DB_SLICES_WIDTH, put, ud);
				put_slices(st, 3, DB_SLICES_HEIGHT, put, ud);
			}
		}
		sqlite3_reset(st);
	}
	return rc == SQLITE_DONE || db_fail(db, "score sets");
}

/* A pair into a bitmap per set (db_scores_check: every image at once). */
static void
put_set(void *ud, int64_t image, int64_t id)
{
	struct sets *out = ud;
	roaring_bitmap_t *r = sets_get(out, id);
	if (r == NULL) {
		r = roaring_bitmap_create();
		sets_put(out, id, r);
	}
	roaring_bitmap_add(r, (uint32_t)image);
}

/*
 * A block's sets while the build reads them: per group (a model and a tag)
 * one growing array of slot << 16 | the id's low 16 bits.  A block at a
 * million images holds some 500,000 non-empty sets in 8,000 groups: a
 * bitmap per set cost 134 MB of peak RSS, an array per set 106 MB (their
 * table and allocations); four bytes a pair in an array per group hold the
 * 3.3 million pairs in 13 MB.  A group's bitmaps are made as its row is
 * written.
 */
struct pairs {
	int64_t grp; /* -1: free */
	uint32_t *v;
	uint32_t n;
	uint32_t cap;
};

struct block_sets {
	struct pairs *g; /* open addressing on grp */
	size_t cap;
	size_t n;
};

static size_t
pairs_slot(const struct block_sets *b, int64_t grp)
{
	uint64_t h = (uint64_t)grp * UINT64_C(0x9E3779B97F4A7C15);
	size_t i = (size_t)(h >> 20) & (b->cap - 1);
	while (b->g[i].grp != -1 && b->g[i].grp != grp) {
		i = (i + 1) & (b->cap - 1);
	}
	return i;
}

static void
put_pair(void *ud, int64_t image, int64_t set)
{
	struct block_sets *b = ud;
	if (2 * (b->n + 1) > b->cap) {
		struct block_sets t = {.cap = b->cap ? 2 * b->cap : 1024};
		t.g = xcalloc(t.cap, sizeof *t.g);
		for (size_t i = 0; i < t.cap; i++) {
			t.g[i].grp = -1;
		}
		for (size_t i = 0; i < b->cap; i++) {
			if (b->g[i].grp != -1) {
				t.g[pairs_slot(&t, b->g[i].grp)] = b->g[i];
				t.n++;
			}
		}
		free(b->g);
		*b = t;
	}
	int64_t grp = group_of(set);
	struct pairs *p = &b->g[pairs_slot(b, grp)];
	if (p->grp == -1) {
		p->grp = grp;
		b->n++;
	}
	if (p->n == p->cap) {
		p->cap = p->cap < 16 ? 16 : p->cap + p->cap / 2;
		p->v = xreallocarray(p->v, p->cap, sizeof *p->v);
	}
	p->v[p->n++] = (uint32_t)slot_in(set) << 16 | (uint32_t)(image & 0xffff);
}

static void
block_sets_free(struct block_sets *b)
{
	for (size_t i = 0; i < b->cap; i++) {
		free(b->g[i].v);
	}
	free(b->g);
	memset(b, 0, sizeof *b);
}

/* Whether the score sets' build token (row -2) is still token: not when
 * another build took over, or the sets were dropped. */
static bool
scores_token_is(struct db *db, int64_t token, bool *same)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT bits FROM scores WHERE id = -2");
	return st != NULL && postings_token_row_is(db, st, token, same);
}

struct block_write {
	int64_t block;
	struct block_sets *fresh;
};

static int
by_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The ids of the sets in s, ascending (a new array). */
static int64_t *
sorted_keys(const struct sets *s, size_t *n)
{
	int64_t *k = xcalloc(s->n + 1, sizeof *k);
	*n = 0;
	for (size_t i = 0; i < s->cap; i++) {
		if (s->vals[i] != NULL) {
			k[(*n)++] = s->keys[i];
		}
	}
	if (*n > 0) {
		qsort(k, *n, sizeof *k, by_id);
	}
	return k;
}

static int
by_group(const void *a, const void *b)
{
	int64_t x = ((const struct pairs *)a)->grp, y = ((const struct pairs *)b)->grp;
	return (x > y) - (x < y);
}

/*
 * p's pairs grouped by slot, each slot's in the order they came: a
 * counting sort, two passes.  CRoaring takes a slot's ids in any order; a
 * qsort of the pairs was 60 % of storing the sizes' slices (some 13 pairs
 * an image and column) and of the score sets' build.
 */
static void
by_slot(struct pairs *p, uint32_t **tmp, size_t *cap)
{
	uint32_t at[SLOTS + 1] = {0};
	for (uint32_t j = 0; j < p->n; j++) {
		at[(p->v[j] >> 16) + 1]++;
	}
	for (int k = 0; k < SLOTS; k++) {
		at[k + 1] += at[k];
	}
	if (*cap < p->n) {
		*cap = p->n;
		free(*tmp);
		*tmp = xreallocarray(NULL, *cap, sizeof **tmp);
	}
	for (uint32_t j = 0; j < p->n; j++) {
		(*tmp)[at[p->v[j] >> 16]++] = p->v[j];
	}
	memcpy(p->v, *tmp, p->n * sizeof *p->v);
}

/* The block's fresh sets, a row per group, in group order.  Packs and
 * sorts fresh's table in place (it is read no more). */
static bool
write_block(struct db *db, void *ud)
{
	struct block_write *w = ud;
	struct block_sets *b = w->fresh;
	size_t n = 0;
	for (size_t i = 0; i < b->cap; i++) {
		if (b->g[i].grp != -1) {
			struct pairs p = b->g[i];
			b->g[i] = (struct pairs){.grp = -1};
			b->g[n++] = p;
		}
	}
	if (n > 0) {
		qsort(b->g, n, sizeof *b->g, by_group);
	}
	uint32_t high = (uint32_t)(w->block << BLOCK_BITS), ids[512], *tmp = NULL;
	size_t cap = 0;
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		struct pairs *p = &b->g[i];
		struct group g = {{0}};
		by_slot(p, &tmp, &cap);
		for (uint32_t j = 0; j < p->n;) {
			int slot = (int)(p->v[j] >> 16);
			size_t k = 0;
			for (; k < sizeof ids / sizeof ids[0] && j < p->n && (int)(p->v[j] >> 16) == slot;
			    k++, j++) {
				ids[k] = high | (p->v[j] & 0xffff);
			}
			roaring_bitmap_add_many(slot_of(&g, slot), k, ids);
		}
		ok = store_row(db, p->grp, w->block, &g);
		group_fini(&g);
	}
	free(tmp);
	return ok;
}

static bool
mark_ready(struct db *db, void *ud)
{
	(void)ud;
	return db_exec(db, "INSERT OR REPLACE INTO scores(id, bits) VALUES (-1, x''), (-3, x'');");
}

/* Whether the slices' build token (row -4) is still token: not when
 * another took over, or a build of every set dropped them. */
static bool
slices_token_is(struct db *db, int64_t token, bool *same)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT bits FROM scores WHERE id = -4");
	return st != NULL && postings_token_row_is(db, st, token, same);
}

static bool
mark_sliced(struct db *db, void *ud)
{
	(void)ud;
	return db_exec(db, "INSERT OR REPLACE INTO scores(id, bits) VALUES (-3, x'');"
	    " DELETE FROM scores WHERE id = -4;");
}

/* The first block at or after `block` that holds an image; -1 when none. */
static bool
next_block(struct db *db, int64_t block, int64_t *next)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT min(id) FROM images WHERE id >= ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, block << BLOCK_BITS);
	int rc = sqlite3_step(st);
	*next = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
	    ? sqlite3_column_int64(st, 0) >> BLOCK_BITS : -1;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(db, "score sets");
}

/* Store token as row `row` (a build's, begun in the caller's write). */
static bool
put_token(struct db *db, int64_t row, int64_t token)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT OR REPLACE INTO scores(id, bits) VALUES (?1, ?2)");
	return st != NULL && sqlite3_bind_int64(st, 1, row) == SQLITE_OK &&
	    sqlite3_bind_blob(st, 2, &token, sizeof token, SQLITE_TRANSIENT) == SQLITE_OK &&
	    db_step_done(db, st, "score sets build");
}

/* Steps 2 and 3 of db_scores_build. */
static bool
build_blocks(struct db *db, int64_t token)
{
	bool lost = false, ok;
	int64_t block = 0;
	while (!lost) {
		struct block_sets fresh = {0};
		ok = db_exec(db, "BEGIN") && next_block(db, block, &block);
		ok = ok && (block < 0 || (block << BLOCK_BITS) >= TOP || read_rows(db, ROWS_ALL,
		    block << BLOCK_BITS, (block + 1) << BLOCK_BITS, put_pair, &fresh));
		if (!sqlite3_get_autocommit(db->conn)) {
			ok = db_exec(db, "COMMIT") && ok;
		}
		if (ok && (block < 0 || (block << BLOCK_BITS) >= TOP)) {
			block_sets_free(&fresh);
			break;
		}
		struct block_write w = {.block = block, .fresh = &fresh};
		ok = ok && postings_in_write(db, scores_token_is, token, write_block, &w, &lost);
		block_sets_free(&fresh);
		if (!ok) {
			return false;
		}
		block++;
	}
	return lost || postings_in_write(db, scores_token_is, token, mark_ready, NULL, &lost);
}

/*
 * 1. One transaction forgets every set and the log, turns logging on and
 *    stores the token.
 * 2. Per block of image ids that holds an image: its rows read in a
 *    snapshot of their own (a batch writes on meanwhile), then stored in
 *    one short write.  Right with the log on top: every change since step
 *    1 is logged, and the last entry for a pair is its value.
 * 3. One transaction marks them complete.
 * Another build started meanwhile changes the token: this one gives up.
 */
bool
db_scores_build(struct db *db)
{
	int64_t token = postings_new_token();
	if (!db_begin(db)) {
		return false;
	}
	if (!drop(db) || !db_exec(db, "UPDATE postings_state SET scores = 1 WHERE id = 1;") ||
	    !put_token(db, -2, token)) {
		db_rollback(db);
		return false;
	}
	return db_commit(db) && build_blocks(db, token);
}

/* The first and past the last row id of the sizes' slices, and their
 * first and past the last set id. */
#define SLICES_ROWS_FROM row_id(SLICES_GROUP(DB_SLICES_SIZE), 0)
#define SLICES_ROWS_TO row_id(SLICES_GROUP(DB_SLICES_HEIGHT) + 1, 0)
#define SLICES_SETS_FROM (DB_SCORE_BASE + SLICES_GROUP(DB_SLICES_SIZE) * SLOTS)
#define SLICES_SETS_TO (DB_SCORE_BASE + (SLICES_GROUP(DB_SLICES_HEIGHT) + 1) * SLOTS)

/* The next block of the slices' build from step->block on, read and
 * stored in one write (done past the last). */
struct slices_step {
	int64_t block;
	bool done;
};

static bool
slices_block(struct db *db, void *ud)
{
	struct slices_step *step = ud;
	if (!next_block(db, step->block, &step->block)) {
		return false;
	}
	if (step->block < 0 || (step->block << BLOCK_BITS) >= TOP) {
		step->done = true;
		return true;
	}
	struct block_sets fresh = {0};
	struct block_write w = {.block = step->block, .fresh = &fresh};
	bool ok = read_rows(db, ROWS_SLICES, step->block << BLOCK_BITS,
	    (step->block + 1) << BLOCK_BITS, put_pair, &fresh) && write_block(db, &w);
	block_sets_free(&fresh);
	step->block++;
	return ok;
}

/*
 * The sizes' slices alone, for complete score sets of a schema before 17:
 * their rows and log entries forgotten (a fold may have stored a few from
 * the log) and a token stored in one transaction; then each block read
 * and stored in one write, row -4 holding the token; then the mark.  Read
 * and write apart, as db_scores_build has them, a fold between the two
 * (the score sets are complete: folds go on) would store the entries
 * logged meanwhile, then the write would overwrite them; a block of the
 * slices is read in tens of ms.  A build of every set started meanwhile
 * deletes row -4: this one gives up, and that one stores the slices.
 */
static bool
build_slices(struct db *db)
{
	int64_t token = postings_new_token();
	if (!db_begin(db)) {
		return false;
	}
	struct status s;
	bool ok = status(db, &s);
	if (!ok || !s.ready || s.sliced) {
		/* Not ready (a build of every set will store them), or sliced
		 * meanwhile. */
		db_rollback(db);
		return ok;
	}
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM scores WHERE id >= ?1 AND id < ?2");
	ok = st != NULL && sqlite3_bind_int64(st, 1, SLICES_ROWS_FROM) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 2, SLICES_ROWS_TO) == SQLITE_OK &&
	    db_step_done(db, st, "score sets build") &&
	    (st = db_stmt(db, "DELETE FROM scores_log WHERE set_id >= ?1 AND set_id < ?2")) != NULL &&
	    sqlite3_bind_int64(st, 1, SLICES_SETS_FROM) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 2, SLICES_SETS_TO) == SQLITE_OK &&
	    db_step_done(db, st, "score sets build") && put_token(db, -4, token);
	if (!ok) {
		db_rollback(db);
		return false;
	}
	if (!db_commit(db)) {
		return false;
	}
	struct slices_step step = {0};
	bool lost = false;
	while (ok && !lost && !step.done) {
		ok = postings_in_write(db, slices_token_is, token, slices_block, &step, &lost);
	}
	return ok && (lost || postings_in_write(db, slices_token_is, token, mark_sliced, NULL,
	    &lost));
}

/* ---- folding ------------------------------------------------------------------ */

struct entry {
	int64_t set;
	int64_t image;
	int64_t seq;
	int64_t present; /* 0 or 1, or a value's code (apply_entry) */
};

/* By block, then set (so by group), then seq: each pair's entries keep
 * their order. */
static int
by_block(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int64_t bx = x->image >> BLOCK_BITS, by = y->image >> BLOCK_BITS;
	if (bx != by) {
		return bx < by ? -1 : 1;
	}
	if (x->set != y->set) {
		return x->set < y->set ? -1 : 1;
	}
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The log's entries, in order. */
static bool
read_log(struct db *db, struct entry **out, size_t *n)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT set_id, image_id, present, seq FROM scores_log"
	    " ORDER BY seq");
	*out = NULL;
	*n = 0;
	if (st == NULL) {
		return false;
	}
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t image = sqlite3_column_int64(st, 1);
		if (image < 0 || image >= TOP) {
			continue;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 4096;
			*out = xreallocarray(*out, cap, sizeof **out);
		}
		(*out)[(*n)++] = (struct entry){.set = sqlite3_column_int64(st, 0), .image = image,
		    .present = sqlite3_column_int64(st, 2), .seq = sqlite3_column_int64(st, 3)};
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "score sets log");
}

/* The log into the rows it touches, a (group, block) at a time, and the
 * log gone: inside the caller's write transaction, the sets complete. */
static bool
fold_log(struct db *db)
{
	struct entry *e;
	size_t n;
	bool ok = read_log(db, &e, &n);
	if (ok && n > 0) {
		qsort(e, n, sizeof *e, by_block);
	}
	for (size_t i = 0; ok && i < n;) {
		int64_t block = e[i].image >> BLOCK_BITS, grp = group_of(e[i].set);
		struct group g = {{0}};
		ok = load_row(db, grp, block, &g);
		for (; ok && i < n && e[i].image >> BLOCK_BITS == block && group_of(e[i].set) == grp;
		    i++) {
			apply_entry(&g, grp, slot_in(e[i].set), (uint32_t)e[i].image, e[i].present);
		}
		ok = ok && store_row(db, grp, block, &g);
		group_fini(&g);
	}
	free(e);
	return ok && db_exec(db, "DELETE FROM scores_log;");
}

bool
db_scores_fold(struct db *db)
{
	return postings_fold_with(db, "SELECT " ON_SQL " AND " STORED_SQL, db_scores_build,
	    fold_log);
}

bool
db_scores_fold_if_due(struct db *db)
{
	struct status s;
	if (!sqlite3_get_autocommit(db->conn) || !status(db, &s) || !s.on) {
		return true;
	}
	if (s.ready) {
		return s.log <= fold_at() || db_scores_fold(db);
	}
	if (s.log <= DROP_AT) {
		return true;
	}
	if (!db_begin(db)) {
		return false;
	}
	if (!drop(db)) {
		db_rollback(db);
		return false;
	}
	return db_commit(db);
}

/* ---- checking ----------------------------------------------------------------- */

bool
db_scores_check(struct db *db, bool *built, bool *same)
{
	struct status s;
	*same = true;
	*built = false;
	if (!db_exec(db, "BEGIN")) {
		return false;
	}
	bool ok = status(db, &s);
	*built = ok && s.ready;
	if (ok && s.ready) {
		struct sets rows = {0};
		ok = read_rows(db, ROWS_ALL, 0, TOP, put_set, &rows);
		/* Every group the rows name, and every stored or logged one. */
		sqlite3_stmt *st = ok ? db_stmt(db, "SELECT DISTINCT id >> 16 FROM scores WHERE id >= 0"
		    " UNION SELECT (set_id - " DB_SCORE_BASE_SQL ") >> 7 FROM scores_log") : NULL;
		size_t n;
		int64_t *ids = sorted_keys(&rows, &n);
		for (size_t i = 0; i < n; i++) {
			ids[i] = group_of(ids[i]);
		}
		int rc = SQLITE_DONE;
		while (st != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			ids = xreallocarray(ids, n + 1, sizeof *ids);
			ids[n++] = sqlite3_column_int64(st, 0);
		}
		if (st != NULL) {
			sqlite3_reset(st);
			ok = rc == SQLITE_DONE || db_fail(db, "score sets check");
		}
		if (n > 0) {
			qsort(ids, n, sizeof *ids, by_id);
		}
		struct want all = want_range(0, SLOTS - 1);
		for (size_t i = 0; ok && i < n; i++) {
			if ((i > 0 && ids[i] == ids[i - 1]) || (!s.sliced && sliced_group(ids[i]))) {
				continue; /* the slices not stored yet */
			}
			struct group g = {{0}};
			ok = load_group(db, ids[i], &all, &g);
			for (int k = 0; ok && k < SLOTS; k++) {
				const roaring_bitmap_t *want = sets_get(&rows,
				    DB_SCORE_BASE + ids[i] * SLOTS + k);
				bool empty = g.slot[k] == NULL || roaring_bitmap_is_empty(g.slot[k]);
				*same = *same && (want != NULL ? g.slot[k] != NULL &&
				    roaring_bitmap_equals(g.slot[k], want) : empty);
			}
			group_fini(&g);
		}
		free(ids);
		sets_free(&rows);
	}
	return db_exec(db, "COMMIT") && ok;
}

/* ---- the terms ---------------------------------------------------------------- */

/* scores_ensure() and, with slices, scores_slices_ensure(). */
static bool
ensure(struct db *db, bool build, bool slices, bool *ready)
{
	struct status s;
	*ready = false;
	if (!status(db, &s)) {
		return false;
	}
	if (!s.fits || (slices && !s.ready)) {
		return true; /* the score sets' build (minutes) is not a size term's */
	}
	if (sqlite3_get_autocommit(db->conn)) {
		if (build && !s.ready && !db_scores_build(db)) {
			return false;
		}
		if (build && slices && !s.sliced && !build_slices(db)) {
			return false;
		}
		if (!db_scores_fold_if_due(db) || !status(db, &s)) {
			return false;
		}
	}
	*ready = s.fits && (slices ? s.sliced : s.ready);
	return true;
}

bool
scores_ensure(struct db *db, bool build, bool *ready)
{
	return ensure(db, build, false, ready);
}

bool
scores_slices_ensure(struct db *db, bool build, bool *ready)
{
	return ensure(db, build, true, ready);
}

bool
scores_each_block(struct db *db, int64_t model, int64_t tag, int lo, int hi,
    bool (*fn)(void *ud, int64_t block, roaring_bitmap_t *const *slot), void *ud,
    int64_t *decoded)
{
	int64_t grp = model * DB_SCORE_TAGS + tag;
	struct want w = want_range(lo, hi);
	struct touch *t;
	size_t n;
	/* Every slot's: a slices' entry is of DB_SLICES_VALUE. */
	if (!read_touches(db, grp, 0, SLOTS - 1, &t, &n)) {
		return false;
	}
	if (n > 0) {
		qsort(t, n, sizeof *t, by_image);
	}
	sqlite3_stmt *st = group_rows(db, grp);
	if (st == NULL) {
		free(t);
		return false;
	}
	int rc = sqlite3_step(st);
	bool ok = true;
	size_t i = 0;
	int64_t read = 0;
	/* The blocks of the stored rows and of the log's entries, in order. */
	while (ok && !db->scores_over && (rc == SQLITE_ROW || i < n)) {
		int64_t row = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) & 0xffff : INT64_MAX;
		int64_t block = i < n && t[i].image >> BLOCK_BITS < row ? t[i].image >> BLOCK_BITS
		    : row;
		struct group g = {{0}};
		if (block == row) {
			int64_t bytes = sqlite3_column_bytes(st, 0);
			*decoded += bytes;
			ok = unpack(sqlite3_column_blob(st, 0), (size_t)bytes, block, &w, &g) ||
			    db_fail(db, "score sets: a row that does not read");
			charge(db, bytes, block, &read);
			rc = sqlite3_step(st);
		}
		for (; ok && i < n && t[i].image >> BLOCK_BITS == block; i++) {
			apply_entry(&g, grp, t[i].slot, t[i].image, t[i].present);
		}
		ok = ok && (db->scores_over || fn(ud, block, g.slot + lo));
		group_fini(&g);
	}
	sqlite3_reset(st);
	free(t);
	return ok && (db->scores_over || rc == SQLITE_DONE || db_fail(db, "score sets"));
}

/* What index_ids() read: a key's hi, apart from any slot range's (0:
 * not kept). */
enum { ROWS_EQUAL = -1, ROWS_ABOVE = -2, ROWS_FROM = -3 };

/*
 * The image ids st reads from the predictions' (tag, score) index (its
 * LIMIT at ?limit), into out; kept in db->memo by (model, tag, x, what)
 * as a union of score sets is.  Each such row is joined to its images one
 * by one, about 1 µs a row: 1girl's 42,700 scores of exactly 0.5 take
 * 44 ms at 5M images, and a filter typed on after score:1girl=0.5 counts
 * them again at each key.
 */
static bool
index_ids(struct db *db, sqlite3_stmt *st, int limit, int64_t model, int64_t tag, double x,
    int what, roaring_bitmap_t *out)
{
	if (what == 0) {
		return postings_index_ids_into(db, st, limit, out);
	}
	struct scores_memo_key k = {.model = model, .tag = tag, .hi = what};
	memcpy(&k.lo, &x, sizeof k.lo);
	bool hit;
	scores_memo_find(db, &k, out, &hit);
	if (hit) {
		sqlite3_reset(st);
		return true;
	}
	roaring_bitmap_t *got = roaring_bitmap_create();
	if (!postings_index_ids_into(db, st, limit, got)) {
		roaring_bitmap_free(got);
		return false;
	}
	roaring_bitmap_or_inplace(out, got);
	/* Charged as postings_index_ids_into() charges a page's budget. */
	scores_memo_put(db, &k, POSTINGS_INDEX_ROW_BYTES * (int64_t)roaring_bitmap_get_cardinality(got),
	    got);
	return true;
}

/*
 * The images with a prediction of tag (model) whose score is > x (or >= x
 * when ge), into out.  The whole bands above x from the sets: band k holds
 * scores s > k/100, so with k the first hundredth at or above x every band
 * from k on passes; the scores between x and k/100 are read from the
 * predictions' (tag, score) index.
 */
static bool
above(struct db *db, int64_t model, int64_t tag, double x, bool ge, bool keep,
    roaring_bitmap_t *out)
{
	int k = 0;
	while (k < 100 && (double)k / 100.0 < x) {
		k++;
	}
	if (k < 100 && !scores_or_slots(db, model, tag, k + 1, 100, out)) {
		return false;
	}
	/* A plain range, so that the (tag, score) index reads just the band
	 * (an OR in it made SQLite walk every score above x: 416,000 rows of
	 * 1girl at 1M). */
	sqlite3_stmt *st = db_stmt(db, ge
	    ? "SELECT i.id FROM predictions p JOIN images i ON i.content_id = p.content_id"
	    "  WHERE p.tag_id = ?1 AND p.score >= ?3 AND p.score <= ?4 AND p.model_id = ?2"
	    "  LIMIT ?5"
	    : "SELECT i.id FROM predictions p JOIN images i ON i.content_id = p.content_id"
	    "  WHERE p.tag_id = ?1 AND p.score > ?3 AND p.score <= ?4 AND p.model_id = ?2"
	    "  LIMIT ?5");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, tag);
	sqlite3_bind_int64(st, 2, model);
	sqlite3_bind_double(st, 3, x);
	sqlite3_bind_double(st, 4, k == 100 ? HUGE_VAL : (double)k / 100.0);
	return index_ids(db, st, 5, model, tag, x, !keep ? 0 : ge ? ROWS_FROM : ROWS_ABOVE, out);
}

bool
scores_above(struct db *db, int64_t model, int64_t tag, double x, bool ge, roaring_bitmap_t *out)
{
	/* The Settings lines' cuts move at each step: not kept, so that
	 * they push out nothing worth keeping. */
	return above(db, model, tag, x, ge, false, out);
}

/* The images with a prediction of tag (model) whose score is exactly x. */
static bool
equal(struct db *db, int64_t model, int64_t tag, double x, roaring_bitmap_t *out)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT i.id FROM predictions p JOIN images i"
	    " ON i.content_id = p.content_id WHERE p.tag_id = ?1 AND p.score = ?3"
	    " AND p.model_id = ?2 LIMIT ?4");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, tag);
	sqlite3_bind_int64(st, 2, model);
	sqlite3_bind_double(st, 3, x);
	return index_ids(db, st, 4, model, tag, x, ROWS_EQUAL, out);
}

/* A score term being worked out: its model and tags, and the images the
 * model answered for once read (answered_of()). */
struct term {
	struct db *db;
	int64_t model;
	const int64_t *tags;
	size_t n;
	roaring_bitmap_t *answered;
};

/* The images t's model answered for, read the first time asked (after the
 * term's own sets: none when those are past a page's budget); NULL on
 * error. */
static const roaring_bitmap_t *
answered_of(struct term *t)
{
	if (t->answered == NULL) {
		t->answered = t->model > 0 ? answered_set(t->db, t->model) : roaring_bitmap_create();
	}
	return t->answered;
}

/*
 * The images a score term's value (the largest score of its tags, 0 for
 * an image answered with none of them) compares > x (or >= x), into out.
 */
static bool
value_above(struct term *t, double x, bool ge, roaring_bitmap_t *out)
{
	for (size_t i = 0; i < t->n; i++) {
		if (!above(t->db, t->model, t->tags[i], x, ge, true, out)) {
			return false;
		}
	}
	if (ge ? 0 >= x : 0 > x) {
		/* Answered with no prediction of the tags: the value is 0. */
		roaring_bitmap_t *has = roaring_bitmap_create();
		for (size_t i = 0; i < t->n; i++) {
			if (!scores_or_slots(t->db, t->model, t->tags[i], 0, 100, has)) {
				roaring_bitmap_free(has);
				return false;
			}
		}
		const roaring_bitmap_t *answered = t->db->scores_over ? NULL : answered_of(t);
		if (answered != NULL) {
			roaring_bitmap_t *none = roaring_bitmap_andnot(answered, has);
			roaring_bitmap_or_inplace(out, none);
			roaring_bitmap_free(none);
		}
		roaring_bitmap_free(has);
		return t->db->scores_over || answered != NULL;
	}
	return true;
}

static roaring_bitmap_t *
score_term(struct db *db, const struct search_node *n, int64_t model, const int64_t *tags,
    size_t n_tags)
{
	struct term t = {.db = db, .model = model, .tags = tags, .n = n_tags};
	roaring_bitmap_t *hi = roaring_bitmap_create(), *lo = NULL;
	bool ok = true;
	switch (n->cmp) {
	case SEARCH_GT:
		ok = value_above(&t, n->lo, false, hi);
		break;
	case SEARCH_GE:
		ok = value_above(&t, n->lo, true, hi);
		break;
	case SEARCH_LT:
	case SEARCH_LE:
		/* Answered, and not >= x (not > x): hi is answered_of() below. */
		lo = roaring_bitmap_create();
		ok = value_above(&t, n->lo, n->cmp == SEARCH_LT, lo);
		break;
	case SEARCH_EQ:
		if (n_tags == 1 && n->lo > 0) {
			/* One tag's score equal to x: the index's rows of x alone
			 * (the two band unions below read its bands twice). */
			ok = equal(db, model, tags[0], n->lo, hi);
			break;
		}
		lo = roaring_bitmap_create();
		ok = value_above(&t, n->lo, true, hi) && value_above(&t, n->lo, false, lo);
		break;
	case SEARCH_RANGE:
		lo = roaring_bitmap_create();
		ok = value_above(&t, n->lo, true, hi) && value_above(&t, n->hi, false, lo);
		break;
	}
	/* Past a page's budget the caller asks SQL: the answered set unread. */
	const roaring_bitmap_t *answered = ok && !db->scores_over ? answered_of(&t) : NULL;
	ok = ok && (db->scores_over || answered != NULL);
	if (answered != NULL) {
		if (n->cmp == SEARCH_LT || n->cmp == SEARCH_LE) {
			roaring_bitmap_or_inplace(hi, answered);
		}
		if (lo != NULL) {
			roaring_bitmap_andnot_inplace(hi, lo);
		}
		roaring_bitmap_and_inplace(hi, answered);
	}
	if (lo != NULL) {
		roaring_bitmap_free(lo);
	}
	if (t.answered != NULL) {
		roaring_bitmap_free(t.answered);
	}
	if (!ok) {
		roaring_bitmap_free(hi);
		return NULL;
	}
	return hi;
}

/* The images of the ratings in set (bits of enum rating, SEARCH_UNRATED),
 * among shown. */
static roaring_bitmap_t *
rating_term(struct db *db, unsigned set, int64_t model, const roaring_bitmap_t *shown)
{
	roaring_bitmap_t *r = roaring_bitmap_create();
	for (int k = 0; model > 0 && k < 4; k++) {
		if ((set & (1u << k)) && !scores_or_slots(db, model, 0, DB_SCORE_RATED + k, DB_SCORE_RATED + k, r)) {
			roaring_bitmap_free(r);
			return NULL;
		}
	}
	if (set & SEARCH_UNRATED) {
		roaring_bitmap_t *unrated = roaring_bitmap_copy(shown);
		if (model > 0) {
			roaring_bitmap_t *answered = answered_set(db, model);
			if (answered == NULL) {
				roaring_bitmap_free(unrated);
				roaring_bitmap_free(r);
				return NULL;
			}
			roaring_bitmap_andnot_inplace(unrated, answered);
			roaring_bitmap_free(answered);
		}
		roaring_bitmap_or_inplace(r, unrated);
		roaring_bitmap_free(unrated);
	}
	return r;
}

/* model:NAME (or a pattern): the images each model of that name answered
 * for, search.c's emit_model. */
static bool
model_term(struct db *db, const struct search_node *n, roaring_bitmap_t **out)
{
	sqlite3_stmt *st = db_stmt(db, n->pattern ? "SELECT id FROM models WHERE name GLOB ?1"
	    : "SELECT id FROM models WHERE name = ?1");
	if (st == NULL) {
		return false;
	}
	search_bind_name(st, 1, n);
	roaring_bitmap_t *r = roaring_bitmap_create();
	bool fits = true, ok = true;
	int rc = SQLITE_DONE;
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		/* A script's model id with no sets of its own: SQL answers. */
		fits = fits && id > 0 && id < DB_SCORE_MODELS;
		roaring_bitmap_t *a = fits ? answered_set(db, id) : NULL;
		ok = !fits || a != NULL;
		if (a != NULL) {
			roaring_bitmap_or_inplace(r, a);
			roaring_bitmap_free(a);
		}
	}
	sqlite3_reset(st);
	if (ok && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		ok = db_fail(db, "score sets");
	}
	if (!ok || !fits) {
		roaring_bitmap_free(r);
		r = NULL;
	}
	*out = r;
	return ok;
}

bool
scores_leaf(struct db *db, const struct search_node *n, const int64_t *tags, size_t n_tags,
    const struct search_opts *o, int64_t model, const roaring_bitmap_t *shown,
    roaring_bitmap_t **out)
{
	*out = NULL;
	if (model >= DB_SCORE_MODELS) {
		return true;
	}
	bool ok = true;
	bool fits = n_tags <= SCORES_MAX_TAGS;
	for (size_t i = 0; i < n_tags; i++) {
		fits = fits && tags[i] > 0 && tags[i] < DB_SCORE_TAGS;
	}
	switch (n->kind) {
	case SEARCH_SUGGESTED:
		/* Its own tags: the names aliases turn into the term's. */
		ok = scores_suggested(db, n, o, model, shown, out);
		break;
	case SEARCH_SCORE:
		if (!fits) {
			return true;
		}
		*out = model > 0 ? score_term(db, n, model, tags, n_tags)
		    : roaring_bitmap_create(); /* nothing answered */
		ok = *out != NULL;
		break;
	case SEARCH_RATING:
		*out = rating_term(db, n->set, model, shown);
		ok = *out != NULL;
		break;
	case SEARCH_MODEL:
		ok = model_term(db, n, out);
		break;
	default:
		break;
	}
	if (db->scores_over && *out != NULL) {
		/* Past the budget: what was read is partial. */
		roaring_bitmap_free(*out);
		*out = NULL;
	}
	return ok || db->scores_over;
}

roaring_bitmap_t *
scores_rated_above(struct db *db, int64_t model, int max)
{
	unsigned set = 0;
	for (int k = max + 1; k < 4; k++) {
		set |= 1u << k;
	}
	return rating_term(db, set, model, NULL);
}
