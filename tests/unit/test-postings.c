/*
 * test-postings.c — the posting lists (db/postings.h) count exactly what
 * plain SQL counts, on random libraries and random queries, through every
 * kind of write that changes what they derive from:
 *   tagcon's own writes   db_review_commit (accept, reject, forget),
 *                         db_image_set_state (missing and back);
 *   anyone else's SQL     INSERT OR REPLACE over a decision (no delete
 *                         trigger fires), UPDATE of a verdict, DELETE of
 *                         decisions and of images (the cascade), images
 *                         inserted with ids far apart, an image's state,
 *                         orientation, width, height and size set to any
 *                         value, an image moved to another folder;
 *   rules                 aliases added between queries;
 * with the log folded at random moments, and before the bitmaps exist
 * (the first count builds them).  Each round is a fresh library; after
 * every step each query is counted three ways: plain SQL
 * (TAGCON_POSTINGS=off), db_postings_count() (which must answer: the
 * queries are tag terms, state:, orientation:, folder:, width:, height:
 * and size: terms, NOT, AND, OR; images
 * in nested folders), and db_search_count() as a user
 * gets it; and db_postings_check() compares every bitmap with its rows.
 *
 * Two rounds in three build the score sets first: width:, height: and
 * size: are then counted from the sizes' bit slices (db/slices.h), folded
 * at random moments, forgotten as a library of schema 16 has them (the
 * next count stores them), half stored as a kill during that leaves them;
 * db_scores_check() compares every slice with the rows.  The others count
 * them from the columns' indexes.
 *
 * Half the rounds build the bitmaps in chunks of a few rows
 * (TAGCON_POSTINGS_CHUNK), and some steps undo a build half way, as a kill
 * during it would leave it.
 *
 *   TAGCON_POSTINGS_SEED=S build/tests/test-postings   replays a run
 *   TAGCON_POSTINGS_ROUNDS=N                           N rounds (default ROUNDS)
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "db/db.h"
#include "db/images.h"
#include "db/postings.h"
#include "db/review.h"
#include "db/rules.h"
#include "db/scores.h"
#include "db/search.h"
#include "tests/unit/check.h"
#include "tests/unit/draw.h"
#include "tests/unit/side.h"
#include "tests/unit/tmpdir.h"

#define SEED 20261206u
#define ROUNDS 40
#define STEPS 12
#define QUERIES 30
#define MAX_IMAGES 160

struct name {
	const char *name;
	enum db_category category;
};

static const struct name names[] = {
	{"a", DB_CAT_GENERAL}, {"b", DB_CAT_GENERAL}, {"c", DB_CAT_GENERAL},
	{"long_hair", DB_CAT_GENERAL}, {"x?", DB_CAT_GENERAL}, {"[y]", DB_CAT_GENERAL},
	{"ch0", DB_CAT_CHARACTER}, {"ch1", DB_CAT_CHARACTER}, {"u0", DB_CAT_USER},
};
#define N_NAMES ((int)(sizeof names / sizeof names[0]))

static const char *const patterns[] = {"*", "long*", "*h*", "x?*", "[y]*", "ch*", "zz*"};
#define N_PATTERNS ((int)(sizeof patterns / sizeof patterns[0]))

struct world {
	struct db *db;
	char *file;
	int64_t root_id;
	int64_t folder_id;
	int64_t ids[MAX_IMAGES];
	int n;
	int seq;
	bool scores; /* the score sets built: the sizes' slices answer */
};

/* A fresh library `name` in the test's directory with its root folder
 * /lib; false (checked) when it does not open. */
static bool
world_open(struct world *w, const char *name)
{
	char *cause = NULL;
	w->file = xasprintf("%s/%s", tmpdir(), name);
	w->db = db_open(w->file, &cause);
	CHECK(w->db != NULL);
	if (w->db == NULL) {
		fprintf(stderr, "    %s\n", cause);
		free(cause);
		free(w->file);
		return false;
	}
	CHECK(db_root_add(w->db, "/lib", &w->root_id));
	CHECK(db_folder_get(w->db, w->root_id, "/lib", &w->folder_id));
	return true;
}

static void
raw_sql(struct world *w, const char *text)
{
	side_sql(w->file, text, true);
}

static void
add_image(struct world *w)
{
	if (w->n == MAX_IMAGES) {
		return;
	}
	/* Paths in a few folders: folder: terms are ranges of paths. */
	static const char *const subs[] = {"", "", "a/", "a/b/", "c/"};
	char path[64];
	snprintf(path, sizeof path, "/lib/%simg%05d.png", subs[rnd(5)], w->seq++);
	if (chance(10)) {
		/* An id far from the others, as a script might leave it. */
		char *q = xasprintf("INSERT INTO images(id, folder_id, path, state, added_at,"
		    " updated_at) VALUES (%u, %lld, CAST('%s' AS BLOB), 1, 0, 0)",
		    100000 + rnd(1u << 20) * 3, (long long)w->folder_id, path);
		raw_sql(w, q);
		free(q);
		struct db_image img;
		bool found = false;
		CHECK(db_image_by_path(w->db, path, &img, &found));
		CHECK(found);
		if (found) {
			w->ids[w->n++] = img.id;
			db_image_fini(&img);
		}
		return;
	}
	static const int sides[] = {0, 1, 4, 1919, 1920, 4000};
	static const int64_t sizes[] = {0, 1000, 2097152, 2097153, 5000000};
	struct db_image img = {.folder_id = w->folder_id, .path = path, .width = sides[rnd(6)],
		.height = sides[rnd(6)], .size = sizes[rnd(5)],
		.orientation = (enum db_orientation)rnd(DB_N_ORIENTS)};
	CHECK(db_image_insert(w->db, &img));
	w->ids[w->n++] = img.id;
}

static int64_t
some_image(struct world *w)
{
	return w->n > 0 ? w->ids[rnd((unsigned)w->n)] : 1;
}

/* Decisions on one image through tagcon's own commit. */
static void
review(struct world *w)
{
	struct db_review_change ch[4];
	size_t k = 1 + rnd(4);
	for (size_t i = 0; i < k; i++) {
		const struct name *nm = &names[rnd(N_NAMES)];
		unsigned op = rnd(10);
		ch[i] = (struct db_review_change){nm->name, nm->category,
			op < 6 ? DB_REVIEW_ACCEPT : op < 9 ? DB_REVIEW_REJECT : DB_REVIEW_FORGET,
			DB_SOURCE_MANUAL};
	}
	CHECK(db_review_commit(w->db, some_image(w), ch, k));
}

/* One write as a script would do it. */
static void
foreign_write(struct world *w)
{
	char *q = NULL;
	int64_t img = some_image(w);
	const char *tag = names[rnd(N_NAMES)].name;
	switch (rnd(6)) {
	case 0:
		q = xasprintf("INSERT OR REPLACE INTO decisions(image_id, tag_id, verdict, source,"
		    " decided_at) SELECT %lld, id, %d, 1, 0 FROM tags WHERE name = '%s'",
		    (long long)img, chance(50) ? 1 : -1, tag);
		break;
	case 1:
		q = xasprintf("UPDATE decisions SET verdict = -verdict WHERE image_id = %lld",
		    (long long)img);
		break;
	case 2:
		q = xasprintf("DELETE FROM decisions WHERE tag_id = (SELECT id FROM tags"
		    " WHERE name = '%s') AND image_id %% 3 = %u", tag, rnd(3));
		break;
	case 3:
		if (chance(10)) {
			/* A size no scan writes: a real, a text, a blob, below
			 * zero, past 2^53, the largest integer. */
			static const char *const col[] = {"width", "height", "size"};
			static const char *const odd[] = {"1919.5", "'x'", "x'00'", "-1",
				"9007199254740993", "9223372036854775807", "'1920'", "1920.0"};
			q = xasprintf("UPDATE images SET %s = %s WHERE id = %lld", col[rnd(3)],
			    odd[rnd(8)], (long long)img);
		} else if (chance(10)) {
			/* What no state or orientation is: a real, a text, a
			 * number past the last. */
			static const char *const odd[] = {"1.5", "'x'", "7", "-1"};
			q = xasprintf("UPDATE images SET %s = %s WHERE id = %lld",
			    chance(50) ? "state" : "orientation", odd[rnd(4)], (long long)img);
		} else if (chance(30)) {
			/* A text of an integer is stored as one (the column's
			 * affinity); a real with no fraction too. */
			static const char *const as[] = {"", "'", ".0"};
			unsigned a = rnd(3);
			q = xasprintf("UPDATE images SET orientation = %s%u%s WHERE id = %lld",
			    a == 1 ? "'" : "", rnd(DB_N_ORIENTS), as[a], (long long)img);
		} else if (chance(70)) {
			q = xasprintf("UPDATE images SET state = %u WHERE id = %lld", rnd(DB_N_STATES),
			    (long long)img);
		} else {
			/* Moved to another folder (a path no other image has). */
			q = xasprintf("UPDATE images SET path = CAST('/lib/%smoved%05d.png' AS BLOB)"
			    " WHERE id = %lld", chance(50) ? "a/b/" : "", w->seq++, (long long)img);
		}
		break;
	case 4:
		q = xasprintf("DELETE FROM images WHERE id = %lld", (long long)img);
		for (int i = 0; i < w->n; i++) {
			if (w->ids[i] == img) {
				w->ids[i] = w->ids[--w->n];
				break;
			}
		}
		break;
	default:
		q = xasprintf("UPDATE decisions SET tag_id = (SELECT id FROM tags WHERE"
		    " name = '%s') WHERE image_id = %lld AND NOT EXISTS (SELECT 1 FROM decisions d"
		    " WHERE d.image_id = %lld AND d.tag_id = (SELECT id FROM tags WHERE name = '%s'))"
		    " AND tag_id = (SELECT min(tag_id) FROM decisions WHERE image_id = %lld)"
		    " AND EXISTS (SELECT 1 FROM tags WHERE name = '%s')",
		    tag, (long long)img, (long long)img, tag, (long long)img, tag);
		break;
	}
	raw_sql(w, q);
	free(q);
}

static void
step(struct world *w)
{
	unsigned what = rnd(100);
	if (what < 35) {
		review(w);
	} else if (what < 60) {
		foreign_write(w);
	} else if (what < 72) {
		add_image(w);
	} else if (what < 82) {
		CHECK(db_image_set_state(w->db, some_image(w), chance(50) ? DB_STATE_MISSING :
		    DB_STATE_TAGGED, NULL));
	} else if (what < 90) {
		const struct name *from = &names[rnd(N_NAMES)], *to = &names[rnd(N_NAMES)];
		if (from != to) {
			struct db_rule r = {.kind = DB_RULE_ALIAS, .tag = from->name,
				.target = to->name};
			bool added;
			CHECK(db_rule_add(w->db, &r, &added));
		}
	} else if (what < 93) {
		CHECK(db_postings_fold(w->db));
	} else if (what < 95 && w->scores) {
		if (chance(50)) {
			CHECK(db_scores_fold(w->db));
		} else {
			/* The slices as a library of schema 16 has none (then the
			 * triggers' log alone), or as a kill leaves their build
			 * after its first step and some blocks (groups 2^47 - 2^28
			 * + 1 .. 3: DB_SLICES_MODEL and the three columns). */
			raw_sql(w, chance(50) ? "DELETE FROM scores WHERE id = -3"
			    : "DELETE FROM scores WHERE id = -3 OR (id >> 16 BETWEEN"
			    " 140737219919873 AND 140737219919875 AND id % 2 = 0);"
			    " INSERT OR REPLACE INTO scores(id, bits) VALUES (-4, x'00')");
		}
	} else {
		/* A build killed after its first step (logging on, nothing stored
		 * or half of it): the next count builds again. */
		raw_sql(w, "DELETE FROM postings WHERE set_id = -1 OR set_id % 2 = 0");
	}
}

/* ---- queries ------------------------------------------------------------------ */

/* Folders a folder: term names: nested ones, one with no images, and one
 * whose name is a prefix of file names (its range holds none of them). */
static const char *const folders[] = {"/lib", "/lib/a", "/lib/a/b", "/lib/c", "/nowhere",
	"/lib/img0"};

static struct search_node *
random_query(int depth)
{
	unsigned k = depth > 2 ? rnd(2) : rnd(7);
	if (k <= 1 && chance(20)) {
		unsigned which = rnd(3);
		if (which < 2) {
			bool state = which == 0;
			int n_values = state ? DB_N_STATES : DB_N_ORIENTS;
			struct search_node *n = search_node_create(state ? SEARCH_STATE
			    : SEARCH_ORIENTATION, 1, NULL);
			n->set = 1 + rnd((1u << n_values) - 1);
			return n;
		}
		return search_node_create(SEARCH_FOLDER, 1, folders[rnd(6)]);
	}
	if (k <= 1 && chance(12)) {
		/* A size: bounds on the values, between them, off the integers,
		 * below zero, past every integer. */
		static const double bounds[] = {0, 1, 4, 1919.5, 1920, 4000, 1000, 2097152, -1, 1e19,
			2097152.5, 5e6, -0.5, 0.5, 9007199254740992.0, 9007199254740994.0,
			9223372036854775807.0, 3.0};
		enum { N_BOUNDS = sizeof bounds / sizeof bounds[0] };
		static const enum search_kind kinds[] = {SEARCH_WIDTH, SEARCH_HEIGHT, SEARCH_SIZE};
		struct search_node *n = search_node_create(kinds[rnd(3)], 1, NULL);
		n->cmp = (enum search_cmp)rnd(SEARCH_RANGE + 1);
		n->lo = bounds[rnd(N_BOUNDS)];
		n->hi = bounds[rnd(N_BOUNDS)];
		return n;
	}
	if (k <= 1) {
		bool pat = chance(20);
		struct search_node *n = search_node_create(SEARCH_TAG, 1,
		    pat ? patterns[rnd(N_PATTERNS)] : names[rnd(N_NAMES)].name);
		n->pattern = pat;
		n->category = chance(20) ? (chance(50) ? DB_CAT_GENERAL : DB_CAT_CHARACTER) : -1;
		if (chance(5)) {
			free(n->text);
			n->text = xstrdup("never_seen");
		}
		return n;
	}
	if (k == 2) {
		return search_node_create(chance(20) ? SEARCH_ALL : SEARCH_TAG, 1, "a");
	}
	enum search_kind kind = k == 3 ? SEARCH_NOT : k <= 5 ? SEARCH_AND : SEARCH_OR;
	struct search_node *n = search_node_create(kind, 1, NULL);
	size_t kids = kind == SEARCH_NOT ? 1 : 2 + rnd(3);
	for (size_t i = 0; i < kids; i++) {
		search_node_add(n, random_query(depth + 1));
	}
	return n;
}

static void
describe(const struct search_node *n, FILE *f)
{
	switch (n->kind) {
	case SEARCH_ALL: fputs("ALL", f); break;
	case SEARCH_TAG: fprintf(f, "%s%s/%d", n->text, n->pattern ? "(glob)" : "", n->category);
		break;
	case SEARCH_STATE: fprintf(f, "state:%#x", n->set); break;
	case SEARCH_ORIENTATION: fprintf(f, "orientation:%#x", n->set); break;
	case SEARCH_WIDTH:
	case SEARCH_HEIGHT:
	case SEARCH_SIZE:
		fprintf(f, "%s:%d:%g..%g", n->kind == SEARCH_WIDTH ? "width" : n->kind ==
		    SEARCH_HEIGHT ? "height" : "size", (int)n->cmp, n->lo, n->hi);
		break;
	case SEARCH_FOLDER: fprintf(f, "folder:%s", n->text); break;
	default:
		fputs(n->kind == SEARCH_NOT ? "NOT(" : n->kind == SEARCH_AND ? "AND(" : "OR(", f);
		for (size_t i = 0; i < n->n_kids; i++) {
			if (i > 0) {
				fputs(" ", f);
			}
			describe(n->kids[i], f);
		}
		fputs(")", f);
	}
}

/* On a difference: each term of q counted both ways, those that differ
 * named. */
static void
blame(struct world *w, const struct search_node *n, const struct search_opts *o)
{
	for (size_t i = 0; i < n->n_kids; i++) {
		blame(w, n->kids[i], o);
	}
	if (n->n_kids > 0) {
		return;
	}
	int64_t plain = -1, fast = -2;
	bool answered = false;
	setenv("TAGCON_POSTINGS", "off", 1);
	CHECK(db_search_count(w->db, n, o, &plain));
	unsetenv("TAGCON_POSTINGS");
	CHECK(db_postings_count(w->db, n, o, true, &fast, &answered));
	if (plain != fast) {
		fprintf(stderr, "      the term ");
		describe(n, stderr);
		fprintf(stderr, ": SQL %lld, postings %lld\n", (long long)plain, (long long)fast);
	}
}

static void
compare(struct world *w, int round, int stepno)
{
	struct search_opts o;
	search_opts_init(&o, "SmilingWolf/wd-swinv2-tagger-v3");
	o.max_rating = 3; /* RATING_E: no rating filter */
	for (int i = 0; i < QUERIES; i++) {
		struct search_node *q = random_query(0);
		int64_t plain = -1, fast = -2, user = -3;
		bool answered = false;
		setenv("TAGCON_POSTINGS", "off", 1);
		CHECK(db_search_count(w->db, q, &o, &plain));
		unsetenv("TAGCON_POSTINGS");
		CHECK(db_postings_count(w->db, q, &o, true, &fast, &answered));
		CHECK(answered);
		CHECK(db_search_count(w->db, q, &o, &user));
		bool page = side_same_page(w->db, q, o);
		if (!check_(plain == fast && fast == user && page,
		    "SQL == postings == db_search_count, and the first page", __FILE__, __LINE__)) {
			fprintf(stderr, "    round %d step %d: SQL %lld, postings %lld, search %lld,"
			    " first page %s: ", round, stepno, (long long)plain, (long long)fast,
			    (long long)user, page ? "same" : "differs");
			describe(q, stderr);
			fputc('\n', stderr);
			blame(w, q, &o);
		}
		search_node_destroy(q);
	}
	/* `tagcon status`'s counts by orientation, from the orientation sets
	 * and by SQL. */
	struct db_counts plain_counts, fast_counts;
	setenv("TAGCON_POSTINGS", "off", 1);
	CHECK(db_counts(w->db, o.model, &plain_counts));
	unsetenv("TAGCON_POSTINGS");
	CHECK(db_counts(w->db, o.model, &fast_counts));
	if (!check_(memcmp(plain_counts.by_orientation, fast_counts.by_orientation,
	    sizeof plain_counts.by_orientation) == 0, "status by orientation", __FILE__,
	    __LINE__)) {
		fprintf(stderr, "    round %d step %d\n", round, stepno);
	}
	bool built, same;
	CHECK(db_postings_check(w->db, &built, &same));
	CHECK(built);
	if (!check_(same, "bitmaps == rows", __FILE__, __LINE__)) {
		fprintf(stderr, "    round %d step %d\n", round, stepno);
	}
	if (w->scores) {
		CHECK(db_scores_check(w->db, &built, &same));
		CHECK(built);
		if (!check_(same, "score sets and slices == rows", __FILE__, __LINE__)) {
			fprintf(stderr, "    round %d step %d\n", round, stepno);
		}
	}
}

/* What is not theirs to answer goes to SQL: a state term beside a score
 * term (the one counts missing images, the other leaves them out).  A
 * state term alone, the rating filter, and suggested: under max_tags when
 * no model has answered (pins alone: a cap ranks predictions) are
 * theirs. */
static void
declines(struct world *w)
{
	struct search_opts o;
	search_opts_init(&o, "SmilingWolf/wd-swinv2-tagger-v3");
	o.cut.max_tags = 5;
	struct search_node *q = search_node_create(SEARCH_AND, 1, NULL);
	search_node_add(q, search_node_create(SEARCH_TAG, 1, "a"));
	search_node_add(q, search_node_create(SEARCH_SUGGESTED, 3, "b"));
	int64_t n = -7, sql = -1;
	bool answered = false;
	CHECK(db_postings_count(w->db, q, &o, true, &n, &answered));
	CHECK(answered);
	setenv("TAGCON_POSTINGS", "off", 1);
	CHECK(db_search_count(w->db, q, &o, &sql));
	unsetenv("TAGCON_POSTINGS");
	CHECK_INT(n, sql);
	search_node_destroy(q);
	q = search_node_create(SEARCH_STATE, 1, NULL);
	q->set = 1u << DB_STATE_MISSING;
	int64_t missing = -1;
	setenv("TAGCON_POSTINGS", "off", 1);
	CHECK(db_search_count(w->db, q, &o, &missing));
	unsetenv("TAGCON_POSTINGS");
	answered = false;
	CHECK(db_postings_count(w->db, q, &o, true, &n, &answered));
	CHECK(answered);
	CHECK_INT(n, missing);
	struct search_node *both = search_node_create(SEARCH_AND, 1, NULL);
	search_node_add(both, q);
	search_node_add(both, search_node_create(SEARCH_SUGGESTED, 3, "b"));
	o.cut.max_tags = 0;
	answered = true;
	CHECK(db_postings_count(w->db, both, &o, true, &n, &answered));
	CHECK(!answered);
	o.cut.max_tags = 5;
	search_node_destroy(both);
	q = search_node_create(SEARCH_TAG, 1, "a");
	o.max_rating = 1;
	int64_t plain = -1;
	setenv("TAGCON_POSTINGS", "off", 1);
	CHECK(db_search_count(w->db, q, &o, &plain));
	unsetenv("TAGCON_POSTINGS");
	CHECK(db_postings_count(w->db, q, &o, true, &n, &answered));
	CHECK(answered);
	CHECK_INT(n, plain);
	search_node_destroy(q);
}

static void
round_run(int round)
{
	struct world w = {0};
	char name[32];
	snprintf(name, sizeof name, "lib%03d.db", round);
	if (!world_open(&w, name)) {
		return;
	}
	int n = 5 + (int)rnd(60);
	for (int i = 0; i < n; i++) {
		add_image(&w);
	}
	/* Before the first count nothing is built; the count builds. */
	bool built = true, same = false;
	CHECK(db_postings_check(w.db, &built, &same));
	CHECK(!built);
	w.scores = round % 3 != 0;
	if (w.scores) {
		CHECK(db_scores_build(w.db));
	}
	for (int i = 0; i < 10; i++) {
		step(&w);
	}
	compare(&w, round, 0);
	declines(&w);
	for (int s = 1; s <= STEPS; s++) {
		int k = 1 + (int)rnd(8);
		for (int i = 0; i < k; i++) {
			step(&w);
		}
		compare(&w, round, s);
	}
	db_close(w.db);
	free(w.file);
}

/* One tag on more images than one read of the build holds (thousands):
 * written by a script, counted after the build, in one chunk and in
 * several. */
static void
big_round(const char *chunk)
{
	struct world w = {0};
	char *name = xasprintf("big-%s.db", chunk);
	bool open = world_open(&w, name);
	free(name);
	if (!open) {
		return;
	}
	raw_sql(&w, "INSERT INTO tags(name, category) VALUES ('a', 0), ('b', 0);"
	    " WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 30000)"
	    " INSERT INTO images(id, folder_id, path, state, added_at, updated_at)"
	    " SELECT x * 3, 1, CAST(printf('/lib/%06d.png', x) AS BLOB),"
	    "  CASE WHEN x % 97 = 0 THEN 4 ELSE 2 END, 0, 0 FROM s;"
	    " INSERT INTO decisions(image_id, tag_id, verdict, source, decided_at)"
	    " SELECT id, 1, CASE WHEN id % 5 = 0 THEN -1 ELSE 1 END, 1, 0 FROM images;"
	    " INSERT INTO decisions(image_id, tag_id, verdict, source, decided_at)"
	    " SELECT id, 2, 1, 1, 0 FROM images WHERE id % 7 < 3;");
	setenv("TAGCON_POSTINGS_CHUNK", chunk, 1);
	struct search_opts o;
	search_opts_init(&o, NULL);
	static const char *const q[][2] = {{"a", NULL}, {"b", NULL}, {"a", "b"}};
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		struct search_node *n = search_node_create(SEARCH_AND, 1, NULL);
		search_node_add(n, search_node_create(SEARCH_TAG, 1, q[i][0]));
		if (q[i][1] != NULL) {
			struct search_node *neg = search_node_create(SEARCH_NOT, 3, NULL);
			search_node_add(neg, search_node_create(SEARCH_TAG, 4, q[i][1]));
			search_node_add(n, neg);
		}
		int64_t plain, fast;
		side_counts(w.db, n, &o, &plain, &fast);
		CHECK_INT(fast, plain);
		search_node_destroy(n);
	}
	bool built, same;
	CHECK(db_postings_check(w.db, &built, &same));
	CHECK(built && same);
	unsetenv("TAGCON_POSTINGS_CHUNK");
	db_close(w.db);
	free(w.file);
}

/* A size term's images kept by the connection (the filter bar counts it
 * again as a query is typed on) are never served stale: counted again
 * after another connection's write, after this one's (db_image_set_dims),
 * and inside its write transaction, each equal to plain SQL's. */
static void
slices_kept(void)
{
	struct world w = {0};
	if (!world_open(&w, "kept.db")) {
		return;
	}
	/* Blocks of slices worth keeping (16 KB read and more). */
	raw_sql(&w, "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s"
	    " WHERE x < 40000) INSERT INTO images(id, folder_id, path, width, height, size, state,"
	    " added_at, updated_at) SELECT x, 1, CAST(printf('/lib/%06d.png', x) AS BLOB),"
	    " (x * 7919) % 4000, x % 1000, x * 37, 2, 0, 0 FROM s;");
	CHECK(db_scores_build(w.db));
	struct search_opts o;
	search_opts_init(&o, NULL);
	struct search_node *q = search_node_create(SEARCH_WIDTH, 1, NULL);
	q->cmp = SEARCH_GE;
	q->lo = 1920;
	for (int step = 0; step < 4; step++) {
		if (step == 1) {
			raw_sql(&w, "UPDATE images SET width = 5000 WHERE width < 1920 AND id % 5 = 0");
		} else if (step == 2) {
			CHECK(db_image_set_dims(w.db, 7, 100, 100));
			CHECK(db_image_set_dims(w.db, 8, 3000, 100));
		} else if (step == 3) {
			CHECK(db_begin(w.db));
			CHECK(db_image_set_dims(w.db, 9, 100, 100));
		}
		for (int again = 0; again < 2; again++) {
			int64_t plain, fast;
			side_counts(w.db, q, &o, &plain, &fast);
			if (!check_(plain == fast, "a kept size term == plain SQL", __FILE__, __LINE__)) {
				fprintf(stderr, "    step %d, count %d: SQL %lld, kept %lld\n", step, again,
				    (long long)plain, (long long)fast);
			}
		}
	}
	CHECK(db_commit(w.db));
	search_node_destroy(q);
	db_close(w.db);
	free(w.file);
}

/* A dense tag's stored set kept by the connection (postings_want) is never
 * served stale: counted again after another connection's write of more
 * entries than a fold waits for (the count folds: the stored row
 * changes), after this one's (db_review_commit), and inside a write
 * transaction of its own, each equal to plain SQL's. */
static void
tags_kept(void)
{
	struct world w = {0};
	if (!world_open(&w, "kept-tags.db")) {
		return;
	}
	/* 140,000 images, t on every other one and u on every third: three
	 * bitmap containers each, 24 KB stored (16 KB and more are kept). */
	raw_sql(&w, "INSERT INTO tags(name, category) VALUES ('t', 0), ('u', 0);"
	    " WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 140000)"
	    " INSERT INTO images(id, folder_id, path, state, added_at, updated_at)"
	    " SELECT x, 1, CAST(printf('/lib/%06d.png', x) AS BLOB), 2, 0, 0 FROM s;"
	    " INSERT INTO decisions(image_id, tag_id, verdict, source, decided_at)"
	    " SELECT id, (SELECT id FROM tags WHERE name = 't'), 1, 1, 0 FROM images"
	    " WHERE id % 2 = 0;"
	    " INSERT INTO decisions(image_id, tag_id, verdict, source, decided_at)"
	    " SELECT id, (SELECT id FROM tags WHERE name = 'u'), 1, 1, 0 FROM images"
	    " WHERE id % 3 = 0;");
	struct search_opts o;
	search_opts_init(&o, NULL);
	struct search_node *t = search_node_create(SEARCH_TAG, 1, "t");
	struct search_node *q = search_node_create(SEARCH_AND, 1, NULL);
	struct search_node *not = search_node_create(SEARCH_NOT, 1, NULL);
	search_node_add(q, search_node_create(SEARCH_TAG, 1, "t"));
	search_node_add(not, search_node_create(SEARCH_TAG, 1, "u"));
	search_node_add(q, not);
	const struct db_review_change ch[] = {{"t", DB_CAT_GENERAL, DB_REVIEW_REJECT,
		DB_SOURCE_MANUAL}, {"u", DB_CAT_GENERAL, DB_REVIEW_ACCEPT, DB_SOURCE_MANUAL}};
	for (int step = 0; step < 4; step++) {
		if (step == 1) {
			raw_sql(&w, "DELETE FROM decisions WHERE image_id % 5 < 2");
		} else if (step == 2) {
			CHECK(db_review_commit(w.db, 4, ch, 2));
		} else if (step == 3) {
			CHECK(db_begin(w.db));
			CHECK(db_image_set_dims(w.db, 9, 100, 100));
		}
		for (int again = 0; again < 2; again++) {
			int64_t plain, fast, plain_q, fast_q;
			side_counts(w.db, t, &o, &plain, &fast);
			side_counts(w.db, q, &o, &plain_q, &fast_q);
			if (!check_(plain == fast && plain_q == fast_q, "a kept tag set == plain SQL",
			    __FILE__, __LINE__)) {
				fprintf(stderr, "    step %d, count %d: t: SQL %lld, kept %lld;"
				    " t -u: SQL %lld, kept %lld\n", step, again, (long long)plain,
				    (long long)fast, (long long)plain_q, (long long)fast_q);
			}
		}
	}
	CHECK(db_commit(w.db));
	search_node_destroy(t);
	search_node_destroy(q);
	db_close(w.db);
	free(w.file);
}

int
main(void)
{
	const char *s = getenv("TAGCON_POSTINGS_SEED");
	rng_state = s != NULL ? strtoull(s, NULL, 10) : SEED;
	unsetenv("TAGCON_POSTINGS");
	const char *rounds_env = getenv("TAGCON_POSTINGS_ROUNDS");
	int rounds = rounds_env != NULL && atoi(rounds_env) > 0 ? atoi(rounds_env) : ROUNDS;
	for (int r = 0; r < rounds; r++) {
		/* Half the rounds build in chunks of a few rows (ids far apart
		 * make many chunks of SET_SHOWN empty). */
		if (r % 2 == 1) {
			char n[16];
			snprintf(n, sizeof n, "%u", 1 + rnd(20));
			setenv("TAGCON_POSTINGS_CHUNK", n, 1);
		} else {
			unsetenv("TAGCON_POSTINGS_CHUNK");
		}
		round_run(r);
	}
	big_round("100000");
	big_round("5000");
	slices_kept();
	tags_kept();
	return check_done();
}
