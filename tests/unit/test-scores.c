/*
 * test-scores.c — the score sets (db/scores.h) count suggested:, score:,
 * rating: and model: terms and the rating filter exactly as plain SQL does, on
 * random libraries and random queries, through every kind of write that
 * changes what they derive from:
 *   tagcon's own writes   answers stored and stored again (a REPLACE of
 *                         every row), db_review_commit, images missing;
 *   anyone else's SQL     a prediction's score updated or replaced, an
 *                         answer's MCut cut or rating updated, an answer
 *                         deleted (the predictions go by cascade), an
 *                         image's content changed, images deleted, copies
 *                         of an image inserted, decisions replaced, an
 *                         answer replaced whole (INSERT OR REPLACE);
 *   rules                 exclusions, aliases, pins and thresholds of
 *                         tags, everywhere or on nested folders, added and
 *                         removed between queries; folder overrides of
 *                         the cuts drawn per query; images under paths no
 *                         rule covers (relative, text) written by a script;
 * with the log folded at random moments (every few entries in half the
 * rounds) and builds killed half way.  After every few steps each query
 * is counted by plain SQL (TAGCON_POSTINGS=off) and by db_postings_count(),
 * which must answer whenever max_tags does not stand in the way; and
 * db_scores_check() compares every set with its rows.
 *
 *   TAGCON_SCORES_SEED=S build/tests/test-scores   replays a run
 *   TAGCON_SCORES_ROUNDS=N                         N rounds (default ROUNDS)
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rating.h"
#include "common/xalloc.h"
#include "core/tag/query.h"
#include "db/browse.h"
#include "db/db.h"
#include "db/images.h"
#include "db/postings.h"
#include "db/predictions.h"
#include "db/review.h"
#include "db/rules.h"
#include "db/scores.h"
#include "db/search.h"
#include "tests/unit/check.h"
#include "tests/unit/draw.h"
#include "tests/unit/side.h"
#include "tests/unit/tmpdir.h"

#define SEED 20261207u
#define ROUNDS 40
#define STEPS 10
#define QUERIES 40
#define MAX_IMAGES 120
#define MODEL "SmilingWolf/wd-swinv2-tagger-v3"
#define OTHER_MODEL "SmilingWolf/wd-vit-tagger-v3"

struct name {
	const char *name;
	enum db_category category;
};

static const struct name names[] = {
	{"a", DB_CAT_GENERAL}, {"b", DB_CAT_GENERAL}, {"c", DB_CAT_GENERAL},
	{"long_hair", DB_CAT_GENERAL}, {"ch0", DB_CAT_CHARACTER}, {"ch1", DB_CAT_CHARACTER},
};
#define N_NAMES ((int)(sizeof names / sizeof names[0]))

static const char *const patterns[] = {"*", "long*", "ch*", "?", "zz*"};
#define N_PATTERNS ((int)(sizeof patterns / sizeof patterns[0]))

/* Values a threshold or a score term compares with: hundredths, values off
 * them, a double no float holds, the ends. */
static const double values[] = {0.35, 0.5, 0.2, 0.355, 0.35000000000000003, 0.01, 0.0, -0.1,
	0.99, 0.995, 1.0, 0.7};
#define N_VALUES ((int)(sizeof values / sizeof values[0]))

static double
pick_score(void)
{
	switch (rnd(5)) {
	case 0: return values[rnd(N_VALUES)];
	case 1: return (double)rnd(1001) / 1000.0;
	default: return 0.05 + (double)rnd(950) / 1000.0 + (double)rnd(7) * 1e-12;
	}
}

/* Where images live, and the folders rules and overrides name ("/zz"
 * holds none). */
static const char *const folders[] = {"/lib", "/lib/a", "/lib/a/b", "/lib/c"};
#define N_FOLDERS ((int)(sizeof folders / sizeof folders[0]))
static const char *const rule_folders[] = {"/lib/a", "/lib/a/b", "/lib/c", "/zz", "/lib"};
#define N_RULE_FOLDERS ((int)(sizeof rule_folders / sizeof rule_folders[0]))

struct world {
	struct db *db;
	char *file;
	int64_t folder_id[N_FOLDERS];
	int64_t ids[MAX_IMAGES];
	int n;
	int seq;
};

static void
raw_sql(struct world *w, const char *text)
{
	side_sql(w->file, text, true);
}

static int64_t
some_image(struct world *w)
{
	return w->n > 0 ? w->ids[rnd((unsigned)w->n)] : 1;
}

/* An image; about one in four holds the bytes of one before it. */
static void
add_image(struct world *w)
{
	if (w->n == MAX_IMAGES) {
		return;
	}
	char path[64];
	int f = (int)rnd(N_FOLDERS);
	snprintf(path, sizeof path, "%s/img%05d.png", folders[f], w->seq);
	int content = w->seq > 0 && chance(25) ? (int)rnd((unsigned)w->seq) : w->seq;
	w->seq++;
	struct db_image img = {.folder_id = w->folder_id[f], .path = path, .width = 4, .height = 4,
		.has_hash = true};
	memcpy(img.hash, &content, sizeof content);
	img.hash[15] = 0x5c;
	CHECK(db_image_insert(w->db, &img));
	w->ids[w->n++] = img.id;
}

/* An answer for an image's content, through tagcon's own store. */
static void
answer(struct world *w)
{
	struct db_pred p[N_NAMES + 1];
	size_t n = 0;
	for (int k = 0; k < N_NAMES; k++) {
		if (chance(60)) {
			p[n++] = (struct db_pred){names[k].name, names[k].category, pick_score()};
		}
	}
	float rating[4];
	for (int k = 0; k < 4; k++) {
		rating[k] = chance(20) ? 0.5f : (float)rnd(100) / 100.0f;
	}
	CHECK(db_store_answer(w->db, some_image(w), chance(80) ? MODEL : OTHER_MODEL, rating, 0.05f,
	    "test", p, n));
}

static void
review(struct world *w)
{
	struct db_review_change ch[3];
	size_t k = 1 + rnd(3);
	for (size_t i = 0; i < k; i++) {
		const struct name *nm = &names[rnd(N_NAMES)];
		unsigned op = rnd(10);
		ch[i] = (struct db_review_change){nm->name, nm->category,
			op < 5 ? DB_REVIEW_ACCEPT : op < 8 ? DB_REVIEW_REJECT : DB_REVIEW_FORGET,
			DB_SOURCE_MANUAL};
	}
	CHECK(db_review_commit(w->db, some_image(w), ch, k));
}

/* One write as a script would do it. */
static void
foreign_write(struct world *w)
{
	char *q = NULL;
	long long img = (long long)some_image(w);
	const char *tag = names[rnd(N_NAMES)].name;
	double v = pick_score();
	switch (rnd(13)) {
	case 9:
		/* An answer replaced whole by a script: no delete trigger fires. */
		q = xasprintf("INSERT OR REPLACE INTO tagged(content_id, model_id, rating_general,"
		    " rating_sensitive, rating_questionable, rating_explicit, score_floor, space,"
		    " tagged_at, mcut_general, mcut_character) SELECT content_id, model_id,"
		    " rating_sensitive, rating_general, %.17g, rating_explicit, score_floor, space,"
		    " tagged_at, %.17g, mcut_general FROM tagged WHERE content_id = (SELECT content_id"
		    " FROM images WHERE id = %lld)", v, pick_score(), img);
		break;
	case 0:
		q = xasprintf("UPDATE predictions SET score = %.17g WHERE tag_id = (SELECT id FROM tags"
		    " WHERE name = '%s') AND content_id = (SELECT content_id FROM images WHERE id = %lld)",
		    v, tag, img);
		break;
	case 1:
		q = xasprintf("INSERT OR REPLACE INTO predictions(content_id, model_id, tag_id, score)"
		    " SELECT t.content_id, t.model_id, g.id, %.17g FROM tagged t, tags g, images i"
		    " WHERE i.id = %lld AND t.content_id = i.content_id AND g.name = '%s'",
		    v, img, tag);
		break;
	case 2: {
		char cut[32] = "NULL";
		if (chance(80)) {
			snprintf(cut, sizeof cut, "%.17g", v);
		}
		q = xasprintf("UPDATE tagged SET %s = %s WHERE content_id = (SELECT content_id"
		    " FROM images WHERE id = %lld)", chance(50) ? "mcut_general" : "mcut_character",
		    cut, img);
		break;
	}
	case 3:
		q = xasprintf("UPDATE tagged SET rating_explicit = %.17g WHERE content_id ="
		    " (SELECT content_id FROM images WHERE id = %lld)", v, img);
		break;
	case 4:
		q = xasprintf("DELETE FROM tagged WHERE content_id = (SELECT content_id FROM images"
		    " WHERE id = %lld) AND model_id = (SELECT min(model_id) FROM tagged)", img);
		break;
	case 5:
		q = xasprintf("UPDATE images SET content_id = (SELECT content_id FROM images"
		    " WHERE id = %lld) WHERE id = %lld", (long long)some_image(w), img);
		break;
	case 6:
		q = xasprintf("DELETE FROM images WHERE id = %lld", img);
		for (int i = 0; i < w->n; i++) {
			if (w->ids[i] == img) {
				w->ids[i] = w->ids[--w->n];
				break;
			}
		}
		break;
	case 7:
		q = xasprintf("INSERT OR REPLACE INTO decisions(image_id, tag_id, verdict, source,"
		    " decided_at) SELECT %lld, id, %d, 1, 0 FROM tags WHERE name = '%s'",
		    img, chance(50) ? 1 : -1, tag);
		break;
	default: {
		/* A copy of an image under another path: its content's rows at
		 * once.  Some paths no rule's folder covers: relative, or text
		 * (which SQL orders before every BLOB). */
		static const char *const under[] = {"/lib/copy", "/lib/a/b/copy", "rel/copy",
			"/lib/a/text"};
		unsigned k = rnd(4);
		q = xasprintf("INSERT INTO images(folder_id, path, content_id, state, added_at,"
		    " updated_at) SELECT folder_id, %s'%s%05d.png'%s, content_id, 1, 0, 0 FROM images"
		    " WHERE id = %lld", k == 3 ? "" : "CAST(", under[k], w->seq++,
		    k == 3 ? "" : " AS BLOB)", img);
		break;
	}
	}
	raw_sql(w, q);
	free(q);
}

static void
add_rule(struct world *w)
{
	const struct name *a = &names[rnd(N_NAMES)], *b = &names[rnd(N_NAMES)];
	struct db_rule r = {.kind = (enum db_rule_kind)rnd(4), .tag = a->name};
	if (r.kind == DB_RULE_ALIAS) {
		if (a == b) {
			return;
		}
		r.target = b->name;
	}
	if (r.kind == DB_RULE_THRESHOLD) {
		r.value = values[rnd(N_VALUES)];
	}
	if (r.kind == DB_RULE_EXCLUDE && chance(25)) {
		r.tag = patterns[rnd(N_PATTERNS)];
	}
	if (r.kind != DB_RULE_ALIAS && chance(60)) {
		r.folder = rule_folders[rnd(N_RULE_FOLDERS)];
	}
	bool added;
	if (chance(25)) {
		CHECK(db_rule_remove(w->db, r.kind, r.tag, r.folder, &added));
	} else {
		CHECK(db_rule_add(w->db, &r, &added));
	}
	if (r.kind == DB_RULE_THRESHOLD && chance(50)) {
		/* Another cut of the tag on a folder within or around it: the
		 * deepest covering an image wins. */
		r.folder = rule_folders[rnd(N_RULE_FOLDERS)];
		r.value = values[rnd(N_VALUES)];
		CHECK(db_rule_add(w->db, &r, &added));
	}
}

static void
step(struct world *w)
{
	unsigned what = rnd(100);
	if (what < 30) {
		answer(w);
	} else if (what < 45) {
		review(w);
	} else if (what < 70) {
		foreign_write(w);
	} else if (what < 78) {
		add_image(w);
	} else if (what < 82) {
		CHECK(db_image_set_state(w->db, some_image(w), chance(50) ? DB_STATE_MISSING :
		    DB_STATE_TAGGED, NULL));
	} else if (what < 88) {
		add_rule(w);
	} else if (what < 94) {
		CHECK(db_scores_fold(w->db));
	} else {
		/* A build killed half way: logging on, some blocks stored. */
		raw_sql(w, "DELETE FROM scores WHERE id = -1 OR (id >> 16) % 3 = 0");
	}
}

/* ---- queries ------------------------------------------------------------------ */

static struct search_node *
leaf(void)
{
	unsigned k = rnd(9);
	bool pat = chance(20);
	const char *text = pat ? patterns[rnd(N_PATTERNS)] : names[rnd(N_NAMES)].name;
	struct search_node *n;
	if (k < 3) {
		n = search_node_create(SEARCH_SUGGESTED, 1, text);
		n->pattern = pat;
		n->category = -1;
	} else if (k < 6) {
		n = search_node_create(SEARCH_SCORE, 1, chance(5) ? "never_seen" : text);
		n->pattern = pat;
		n->category = -1;
		n->cmp = (enum search_cmp)rnd(6);
		n->lo = values[rnd(N_VALUES)];
		n->hi = n->lo + values[rnd(N_VALUES)];
	} else if (k < 7) {
		n = search_node_create(SEARCH_RATING, 1, NULL);
		n->set = 1 + rnd(31);
	} else if (k == 8) {
		static const char *const models[] = {MODEL, OTHER_MODEL, "no/such-model", "*vit*",
			"SmilingWolf/*"};
		unsigned m = rnd(5);
		n = search_node_create(SEARCH_MODEL, 1, models[m]);
		n->pattern = m >= 3;
	} else {
		n = search_node_create(SEARCH_TAG, 1, text);
		n->pattern = pat;
		n->category = -1;
	}
	return n;
}

static struct search_node *
random_query(int depth)
{
	unsigned k = depth > 1 ? 0 : rnd(6);
	if (k <= 2) {
		return leaf();
	}
	enum search_kind kind = k == 3 ? SEARCH_NOT : k == 4 ? SEARCH_AND : SEARCH_OR;
	struct search_node *n = search_node_create(kind, 1, NULL);
	size_t kids = kind == SEARCH_NOT ? 1 : 2 + rnd(2);
	for (size_t i = 0; i < kids; i++) {
		search_node_add(n, random_query(depth + 1));
	}
	return n;
}

static const char *const cmp_names[] = {"=", "<", "<=", ">", ">=", "range"};

static void
describe(const struct search_node *n, FILE *f)
{
	switch (n->kind) {
	case SEARCH_TAG: fprintf(f, "%s", n->text); break;
	case SEARCH_SUGGESTED: fprintf(f, "suggested:%s", n->text); break;
	case SEARCH_SCORE:
		fprintf(f, "score:%s%s%.17g", n->text, cmp_names[n->cmp], n->lo);
		if (n->cmp == SEARCH_RANGE) {
			fprintf(f, "..%.17g", n->hi);
		}
		break;
	case SEARCH_RATING: fprintf(f, "rating:%#x", n->set); break;
	case SEARCH_MODEL: fprintf(f, "model:%s", n->text); break;
	default:
		fputs(n->kind == SEARCH_NOT ? "NOT(" : n->kind == SEARCH_AND ? "AND(" : "OR(", f);
		for (size_t i = 0; i < n->n_kids; i++) {
			fputs(i > 0 ? " " : "", f);
			describe(n->kids[i], f);
		}
		fputs(")", f);
	}
}

/* Whether the score sets must answer q: max_tags is nowhere in force
 * (under a cap, suggested: over a general tag goes to SQL). */
static bool
must_answer(const struct search_opts *o)
{
	bool cap = o->cut.max_tags > 0;
	for (size_t k = 0; k < o->n_overrides; k++) {
		cap = cap || o->overrides[k].cut.max_tags > 0;
	}
	return !cap;
}

static long long total_answered, total_queries, total_draws;

struct ids {
	int64_t id[4 * MAX_IMAGES];
	int n;
};

static bool
collect_id(void *ud, const struct search_hit *h)
{
	struct ids *s = ud;
	if (s->n < 4 * MAX_IMAGES) {
		s->id[s->n++] = h->id;
	}
	return true;
}

/* The query text counted from the bitmaps under MODEL, building what is
 * not built: db_postings_count()'s result. */
static bool
bitmap_count(struct world *w, const char *text, int64_t *n, bool *answered)
{
	struct search_node *q = NULL;
	char *why = NULL;
	CHECK(query_parse(text, NULL, &q, &why, NULL));
	free(why);
	struct search_opts o;
	search_opts_init(&o, MODEL);
	*n = -1;
	*answered = false;
	bool ok = q != NULL && db_postings_count(w->db, q, &o, true, n, answered);
	search_node_destroy(q);
	return ok;
}

/* A first page by path: the score sets' driver gives the rows plain SQL
 * gives. */
static void
same_page(struct world *w, const struct search_node *q, struct search_opts o)
{
	if (!check_(side_same_page(w->db, q, o), "first page == plain SQL's", __FILE__,
	    __LINE__)) {
		describe(q, stderr);
		fputc('\n', stderr);
	}
}

/* `random`: a draw is one of the matches (every match by plain SQL), and
 * there is one exactly when there are matches. */
static void
draws(struct world *w, const struct search_node *q, struct search_opts o, int64_t plain)
{
	struct ids all = {0}, got;
	setenv("TAGCON_POSTINGS", "off", 1);
	CHECK(db_search_each(w->db, q, &o, collect_id, &all));
	unsetenv("TAGCON_POSTINGS");
	for (int k = 0; k < 3; k++) {
		bool found = false, in = false;
		got.n = 0;
		o.seed = 1 + rnd(1u << 30);
		CHECK(db_search_random(w->db, q, &o, collect_id, &got, &found));
		for (int i = 0; found && got.n == 1 && i < all.n; i++) {
			in = in || all.id[i] == got.id[0];
		}
		total_draws++;
		if (!check_(found == (plain > 0) && (!found || in), "random draws a match",
		    __FILE__, __LINE__)) {
			fprintf(stderr, "    %lld matches, found %d, in them %d: ", (long long)plain,
			    found, in);
			describe(q, stderr);
			fputc('\n', stderr);
		}
	}
}

static void
compare(struct world *w, int round, int stepno)
{
	struct search_opts o;
	search_opts_init(&o, chance(90) ? MODEL : "no/such-model");
	o.max_rating = chance(60) ? RATING_E : (int)rnd(4);
	o.cut.general_threshold = values[rnd(N_VALUES)];
	o.cut.character_threshold = values[rnd(N_VALUES)];
	o.cut.general_mcut = chance(30);
	o.cut.character_mcut = chance(30);
	o.cut.max_tags = chance(10) ? 2 : 0;
	/* Folder overrides, nearest first as rules_search_opts sorts them. */
	struct search_override ov[2];
	static const char *const deep[] = {"/lib/a/b", "/lib/c", "/zz"};
	o.n_overrides = chance(40) ? 1 + rnd(2) : 0;
	for (size_t k = 0; k < o.n_overrides; k++) {
		ov[k].folder = k == 0 ? deep[rnd(3)] : "/lib/a";
		ov[k].cut = o.cut;
		if (chance(70)) {
			ov[k].cut.general_threshold = values[rnd(N_VALUES)];
			ov[k].cut.general_mcut = chance(30);
		}
		if (chance(70)) {
			ov[k].cut.character_threshold = values[rnd(N_VALUES)];
			ov[k].cut.character_mcut = chance(30);
		}
		ov[k].cut.max_tags = chance(5) ? 1 : o.cut.max_tags;
	}
	o.overrides = ov;
	for (int i = 0; i < QUERIES; i++) {
		struct search_node *q = random_query(0);
		int64_t plain = -1, fast = -2;
		bool answered = false;
		setenv("TAGCON_POSTINGS", "off", 1);
		CHECK(db_search_count(w->db, q, &o, &plain));
		unsetenv("TAGCON_POSTINGS");
		CHECK(db_postings_count(w->db, q, &o, true, &fast, &answered));
		total_queries++;
		total_answered += answered;
		bool ok = answered ? plain == fast : !must_answer(&o);
		if (!check_(ok, "score sets == SQL, and they answer", __FILE__, __LINE__)) {
			fprintf(stderr, "    round %d step %d: SQL %lld, score sets %lld%s, max rating %d,"
			    " general %.17g%s, character %.17g%s, %zu overrides: ", round, stepno,
			    (long long)plain, (long long)fast, answered ? "" : " (no answer)",
			    o.max_rating, o.cut.general_threshold, o.cut.general_mcut ? " MCut" : "",
			    o.cut.character_threshold, o.cut.character_mcut ? " MCut" : "",
			    o.n_overrides);
			describe(q, stderr);
			fputc('\n', stderr);
		}
		if (i % 8 == 0) {
			draws(w, q, o, plain);
			same_page(w, q, o);
		}
		search_node_destroy(q);
	}
	/* The Settings lines' count of tagged images, from the rating sets
	 * (built by now) and by SQL. */
	int64_t tagged_plain = -1, tagged_fast = -2;
	setenv("TAGCON_POSTINGS", "off", 1);
	CHECK(db_browse_tagged(w->db, o.model, &tagged_plain));
	unsetenv("TAGCON_POSTINGS");
	CHECK(db_browse_tagged(w->db, o.model, &tagged_fast));
	CHECK(tagged_plain == tagged_fast);
	/* And `tagcon status`'s counts by rating. */
	struct db_counts plain_counts, fast_counts;
	setenv("TAGCON_POSTINGS", "off", 1);
	CHECK(db_counts(w->db, o.model, &plain_counts));
	unsetenv("TAGCON_POSTINGS");
	CHECK(db_counts(w->db, o.model, &fast_counts));
	CHECK(memcmp(plain_counts.by_rating, fast_counts.by_rating,
	    sizeof plain_counts.by_rating) == 0);
	bool built, same;
	CHECK(db_scores_check(w->db, &built, &same));
	CHECK(built);
	if (!check_(same, "score sets == rows", __FILE__, __LINE__)) {
		fprintf(stderr, "    round %d step %d\n", round, stepno);
	}
}

/* rating: and the rating filter counted inside a write transaction that
 * adds images (copies of answered ones among them) and is then rolled
 * back, and after it: a set read there is kept by no one past the
 * rollback (db->memo). */
static void
rolled_back(struct world *w)
{
	static const char *const q[] = {"rating:q", "rating:g,s", "-rating:e"};
	for (int k = 0; k < 2; k++) {
		int64_t inside[3], after[3], plain[3];
		bool answered;
		struct search_opts o;
		search_opts_init(&o, MODEL);
		o.max_rating = RATING_Q;
		struct search_node *t[3];
		for (int i = 0; i < 3; i++) {
			char *why = NULL;
			CHECK(query_parse(q[i], NULL, &t[i], &why, NULL));
			free(why);
		}
		int n = w->n, seq = w->seq;
		CHECK(db_begin(w->db));
		for (int i = 0; i < 40; i++) {
			add_image(w);
		}
		for (int i = 0; i < 3; i++) {
			CHECK(db_postings_count(w->db, t[i], &o, true, &inside[i], &answered));
		}
		db_rollback(w->db);
		w->n = n;
		w->seq = seq;
		for (int i = 0; i < 3; i++) {
			CHECK(db_postings_count(w->db, t[i], &o, true, &after[i], &answered));
			setenv("TAGCON_POSTINGS", "off", 1);
			CHECK(db_search_count(w->db, t[i], &o, &plain[i]));
			unsetenv("TAGCON_POSTINGS");
			if (!check_(after[i] == plain[i], "counted after a rollback == SQL", __FILE__,
			    __LINE__)) {
				fprintf(stderr, "    %s: SQL %lld, score sets %lld (inside %lld)\n", q[i],
				    (long long)plain[i], (long long)after[i], (long long)inside[i]);
			}
			search_node_destroy(t[i]);
		}
	}
}

static void
round_run(int round)
{
	struct world w = {0};
	char *cause = NULL;
	w.file = xasprintf("%s/lib%03d.db", tmpdir(), round);
	w.db = db_open(w.file, &cause);
	CHECK(w.db != NULL);
	if (w.db == NULL) {
		fprintf(stderr, "    %s\n", cause);
		free(cause);
		free(w.file);
		return;
	}
	int64_t root;
	CHECK(db_root_add(w.db, "/lib", &root));
	for (int f = 0; f < N_FOLDERS; f++) {
		CHECK(db_folder_get(w.db, root, folders[f], &w.folder_id[f]));
	}
	int n = 5 + (int)rnd(50);
	for (int i = 0; i < n; i++) {
		add_image(&w);
	}
	/* Half the rounds build the sets before the answers: every row then
	 * reaches them through the triggers. */
	if (round % 2 == 0) {
		CHECK(db_scores_build(w.db));
	}
	for (int i = 0; i < 3 * n; i++) {
		answer(&w);
	}
	for (int i = (int)rnd(12); i > 0; i--) {
		add_rule(&w);
	}
	bool built = true, same = false;
	if (round % 2 == 1) {
		CHECK(db_scores_check(w.db, &built, &same));
		CHECK(!built);
	}
	for (int s = 0; s <= STEPS; s++) {
		int k = 1 + (int)rnd(8);
		for (int i = 0; i < k; i++) {
			step(&w);
		}
		compare(&w, round, s);
	}
	rolled_back(&w);
	db_close(w.db);
	free(w.file);
}

/* query's page of 10 rows from offset: planned from the bitmaps' matches
 * when `bitmaps` says (under the budget the environment sets), and the
 * rows plain SQL's. */
static void
plan_is(struct world *w, const char *query, int64_t offset, bool bitmaps)
{
	struct search_node *n = NULL;
	char *why = NULL, *text = NULL;
	CHECK(query_parse(query, NULL, &n, &why, NULL));
	free(why);
	struct search_opts o;
	search_opts_init(&o, MODEL);
	o.limit = 10;
	o.offset = offset;
	CHECK(db_search_explain(w->db, n, &o, &text));
	bool got = text != NULL && strstr(text, "bitmaps' matches") != NULL;
	if (!check_(got == bitmaps, query, __FILE__, __LINE__)) {
		fprintf(stderr, "    plan: %s\n", text != NULL ? text : "(none)");
	}
	free(text);
	same_page(w, n, o);
	search_node_destroy(n);
}

/* The first of n (db_postings_nth's pick). */
static uint64_t
pick_first(void *ud, uint64_t n)
{
	(void)ud;
	(void)n;
	return 0;
}

/* Sets of every shape in rows: 70,000 images over two blocks, written by
 * a script; tag a on every image in one band (a run), b on one image in
 * seven (an array), c on one in two (a bitmap container); counted before
 * and after the build, and after a fold of changes to all three. */
static void
dense_round(void)
{
	struct world w = {0};
	char *cause = NULL;
	w.file = xasprintf("%s/dense.db", tmpdir());
	w.db = db_open(w.file, &cause);
	CHECK(w.db != NULL);
	if (w.db == NULL) {
		free(cause);
		free(w.file);
		return;
	}
	int64_t root;
	CHECK(db_root_add(w.db, "/lib", &root));
	CHECK(db_folder_get(w.db, root, "/lib", &w.folder_id[0]));
	raw_sql(&w, "INSERT INTO tags(name, category) VALUES ('a', 0), ('b', 0), ('c', 4);"
	    " INSERT INTO models(name) VALUES ('" MODEL "');"
	    " WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 70000)"
	    " INSERT INTO contents(id, hash) SELECT x, randomblob(16) FROM s;"
	    " INSERT INTO images(id, folder_id, path, content_id, state, added_at, updated_at)"
	    " SELECT id, 1, CAST(printf('/lib/%06d.png', id) AS BLOB), id, 1, 0, 0 FROM contents;"
	    " INSERT INTO tagged(content_id, model_id, rating_general, rating_sensitive,"
	    "  rating_questionable, rating_explicit, score_floor, tagged_at, mcut_general,"
	    "  mcut_character) SELECT id, 1, (id % 4) / 4.0, 0.3, 0.2, 0.1, 0.05, 0, 0.5, 0.6"
	    "  FROM contents;"
	    " INSERT INTO predictions(content_id, model_id, tag_id, score)"
	    "  SELECT id, 1, 1, 0.555 FROM contents;"
	    " INSERT INTO predictions(content_id, model_id, tag_id, score)"
	    "  SELECT id, 1, 2, (id % 1000) / 1000.0 FROM contents WHERE id % 7 = 0;"
	    " INSERT INTO predictions(content_id, model_id, tag_id, score)"
	    "  SELECT id, 1, 3, 0.3 + (id % 70) / 100.0 FROM contents WHERE id % 2 = 0;");
	static const char *const q[] = {"suggested:a", "suggested:b", "suggested:c", "score:a>0.55",
		"score:b<0.5", "score:c>=0.65", "rating:g", "suggested:a -suggested:c"};
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 2) {
			raw_sql(&w, "UPDATE predictions SET score = 0.2 WHERE content_id % 5 = 0;"
			    " DELETE FROM decisions; INSERT INTO decisions(image_id, tag_id, verdict,"
			    " source, decided_at) SELECT id, 1, 1, 1, 0 FROM images WHERE id % 3 = 0;");
			setenv("TAGCON_SCORES_FOLD", "1", 1);
		}
		for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
			struct search_node *n = NULL;
			struct search_opts o;
			search_opts_init(&o, MODEL);
			o.cut.character_mcut = pass == 1;
			char *why = NULL;
			CHECK(query_parse(q[i], NULL, &n, &why, NULL));
			free(why);
			int64_t plain, fast;
			side_counts(w.db, n, &o, &plain, &fast);
			if (!check_(plain == fast, q[i], __FILE__, __LINE__)) {
				fprintf(stderr, "    pass %d: SQL %lld, score sets %lld\n", pass,
				    (long long)plain, (long long)fast);
			}
			search_node_destroy(n);
		}
		bool built, same;
		CHECK(db_scores_check(w.db, &built, &same));
		CHECK(built && same);
	}
	unsetenv("TAGCON_SCORES_FOLD");
	/* A first page's budget: suggested:d alone (70,000 images over every
	 * band, 140 KB of sets) is left to its plain plan; beside a tag 40
	 * images have, whose plain plan walks far for each match, it is read,
	 * and the page comes from the bitmaps' matches.  Either way the rows
	 * are plain SQL's. */
	raw_sql(&w, "INSERT INTO tags(name, category) VALUES ('rare', 0), ('d', 0);"
	    " INSERT INTO predictions(content_id, model_id, tag_id, score)"
	    "  SELECT id, 1, (SELECT id FROM tags WHERE name = 'd'),"
	    "  0.36 + ((id * 7919) % 64) / 100.0 FROM contents;"
	    " INSERT INTO decisions(image_id, tag_id, verdict, source, decided_at)"
	    " SELECT id, (SELECT id FROM tags WHERE name = 'rare'), 1, 1, 0 FROM images"
	    " WHERE id % 1750 = 1;");
	CHECK(db_scores_fold(w.db)); /* a log's entries are not charged */
	unsetenv("TAGCON_SCORES_BUDGET");
	static const struct {
		const char *query;
		bool bitmaps;
	} plans[] = {{"suggested:d", false}, {"rare suggested:d", true},
		{"suggested:d rare", true}, {"rare | suggested:d", false},
		{"-rare suggested:d", false}, {"rare suggested:d suggested:a", true},
		/* A size term is read from its slices under any budget (a
		 * budget of a byte from here on): SQL's plan for a range
		 * would sort it. */
		{"width:>=0", true}, {"height:1..100000 -rare", true}, {"size:<1 | rare", true}};
	/* The slices stored, as by the first count of a size term. */
	int64_t sized_n;
	bool sized_answered;
	CHECK(bitmap_count(&w, "size:>=0", &sized_n, &sized_answered) && sized_answered);
	for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
		if (strstr(plans[i].query, "width:") == plans[i].query) {
			setenv("TAGCON_SCORES_BUDGET", "1", 1);
		}
		plan_is(&w, plans[i].query, 0, plans[i].bitmaps);
	}
	/* A score term's own sets within a page's budget where the model's
	 * answered set alone is past it: a script (foreign keys off) dropped a
	 * third of the answers and kept their predictions, so that the answered
	 * set is a bitmap container per block, 16 KB.  That set is never
	 * charged, and the page still leaves the dropped images out, as plain
	 * SQL does.  An index row is charged as a walked row: the 46 rows of
	 * eq's exact score are past the budget that 46 ids fit in. */
	side_sql(w.file, "INSERT INTO tags(name, category) VALUES ('few', 0), ('eq', 0);"
	    " INSERT INTO predictions(content_id, model_id, tag_id, score)"
	    "  SELECT id, 1, (SELECT id FROM tags WHERE name = 'few'), 0.7 FROM contents"
	    "  WHERE id % 1501 = 7;"
	    " INSERT INTO predictions(content_id, model_id, tag_id, score)"
	    "  SELECT id, 1, (SELECT id FROM tags WHERE name = 'eq'), 0.555 FROM contents"
	    "  WHERE id % 1501 = 8;"
	    " DELETE FROM tagged WHERE content_id % 3 = 1;", false);
	CHECK(db_scores_fold(w.db)); /* into the stored rows, which are charged */
	static const struct {
		const char *query;
		bool bitmaps;
	} charged[] = {{"score:few>=0.5", true}, {"score:few>0.6 -rare", true},
		{"score:eq=0.555", false}, {"score:eq>=0.555", false}};
	setenv("TAGCON_SCORES_BUDGET", "4096", 1);
	for (size_t i = 0; i < sizeof charged / sizeof charged[0]; i++) {
		plan_is(&w, charged[i].query, 0, charged[i].bitmaps);
		struct search_node *n = NULL;
		char *why = NULL;
		CHECK(query_parse(charged[i].query, NULL, &n, &why, NULL));
		free(why);
		struct search_opts o;
		search_opts_init(&o, MODEL);
		int64_t plain, fast;
		side_counts(w.db, n, &o, &plain, &fast);
		/* 46 images, a third of them no longer answered. */
		CHECK(plain == fast && plain > 20 && plain < 40);
		search_node_destroy(n);
	}
	/* A random pick under max rating g reads the filter's sets (the S
	 * images, 16 KB) past this budget: SQL's pick would count every image
	 * of its driver, `some`'s 1,000, so the pick's budget is raised to
	 * them (a first page's is not: 1,000 are too many to fetch by id). */
	raw_sql(&w, "INSERT INTO tags(name, category) VALUES ('some', 0);"
	    " INSERT INTO decisions(image_id, tag_id, verdict, source, decided_at)"
	    " SELECT id, (SELECT id FROM tags WHERE name = 'some'), 1, 1, 0 FROM images"
	    " WHERE id % 70 = 3;");
	CHECK(db_scores_fold(w.db));
	{
		struct search_node *n = NULL;
		char *why = NULL;
		CHECK(query_parse("some", NULL, &n, &why, NULL));
		free(why);
		struct search_opts o;
		search_opts_init(&o, MODEL);
		o.max_rating = RATING_G;
		int64_t id = -1, plain = -1;
		bool answered = false;
		CHECK(db_postings_nth(w.db, n, &o, pick_first, NULL, &id, &answered));
		CHECK(answered && id > 0);
		setenv("TAGCON_POSTINGS", "off", 1);
		CHECK(db_search_count(w.db, n, &o, &plain));
		unsetenv("TAGCON_POSTINGS");
		/* The first G image of `some` by id: 3 % 4 is 3, a G. */
		CHECK(plain > 400 && id == 3);
		search_node_destroy(n);
	}
	unsetenv("TAGCON_SCORES_BUDGET");
	/* The budget grows with the rows a page wants (and the library): the
	 * page past 90 rows may read suggested:d's 140 KB of sets, where the
	 * first 10 rows are left to SQL (the plans above). */
	plan_is(&w, "suggested:d", 90, true);
	/* Dense unions kept by the connection (db->memo): counted again after
	 * another connection's write and after one of its own, each beside
	 * plain SQL. */
	static const char *const kept[] = {"score:d>0.5", "suggested:d", "score:d>0.5 -suggested:d",
		/* Index rows kept: a's scores of exactly 0.555, and between
		 * 0.555 and its hundredth (both ends). */
		"score:a=0.555", "score:a>=0.555 -suggested:d", "score:a<0.556", "score:a>0.554"};
	for (int step = 0; step < 3; step++) {
		if (step == 1) {
			raw_sql(&w, "UPDATE predictions SET score = 0.3 WHERE content_id % 3 = 0"
			    " AND tag_id = (SELECT id FROM tags WHERE name = 'd');"
			    " UPDATE predictions SET score = 0.5551 WHERE content_id % 11 = 0"
			    " AND tag_id = (SELECT id FROM tags WHERE name = 'a');");
		} else if (step == 2) {
			/* Answers stored again, d below every cut, and decisions. */
			struct db_pred low = {"d", DB_CAT_GENERAL, 0.2};
			const float rating[4] = {0.9f, 0.1f, 0.1f, 0.1f};
			struct db_review_change ch = {"d", DB_CAT_GENERAL, DB_REVIEW_ACCEPT,
				DB_SOURCE_MANUAL};
			for (int64_t img = 2; img < 2000; img += 7) {
				CHECK(db_store_answer(w.db, img, MODEL, rating, 0.05f, "test", &low, 1));
				CHECK(db_review_commit(w.db, img + 3, &ch, 1));
			}
		}
		for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
			struct search_node *n = NULL;
			char *why = NULL;
			CHECK(query_parse(kept[i], NULL, &n, &why, NULL));
			free(why);
			struct search_opts o;
			search_opts_init(&o, MODEL);
			int64_t plain, fast;
			side_counts(w.db, n, &o, &plain, &fast);
			if (!check_(plain == fast, kept[i], __FILE__, __LINE__)) {
				fprintf(stderr, "    step %d: SQL %lld, score sets %lld\n", step,
				    (long long)plain, (long long)fast);
			}
			search_node_destroy(n);
		}
	}
	/* A row cut short (a damaged file): the count says so, and a build
	 * puts it right. */
	raw_sql(&w, "UPDATE scores SET bits = substr(bits, 1, length(bits) - 3)"
	    " WHERE id = (SELECT max(id) FROM scores WHERE id >> 16 = 1 * 268435456 + 3)");
	int64_t k;
	bool answered;
	CHECK(!bitmap_count(&w, "score:c>=0.65", &k, &answered));
	CHECK(strstr(db_errmsg(w.db), "does not read") != NULL);
	CHECK(db_scores_build(w.db));
	CHECK(bitmap_count(&w, "score:c>=0.65", &k, &answered) && answered);
	db_close(w.db);
	free(w.file);
}

int
main(void)
{
	const char *s = getenv("TAGCON_SCORES_SEED");
	rng_state = s != NULL ? strtoull(s, NULL, 10) : SEED;
	unsetenv("TAGCON_POSTINGS");
	const char *rounds_env = getenv("TAGCON_SCORES_ROUNDS");
	int rounds = rounds_env != NULL && atoi(rounds_env) > 0 ? atoi(rounds_env) : ROUNDS;
	for (int r = 0; r < rounds; r++) {
		/* A quarter of the rounds give first pages and random picks a
		 * budget of score sets every term exceeds: SQL answers them. */
		if (r % 4 == 1) {
			setenv("TAGCON_SCORES_BUDGET", "64", 1);
		} else {
			unsetenv("TAGCON_SCORES_BUDGET");
		}
		/* Half the rounds fold every few entries. */
		if (r % 4 >= 2) {
			char v[16];
			snprintf(v, sizeof v, "%u", 1 + rnd(40));
			setenv("TAGCON_SCORES_FOLD", v, 1);
		} else {
			unsetenv("TAGCON_SCORES_FOLD");
		}
		round_run(r);
	}
	dense_round();
	printf("%lld of %lld queries answered by the score sets, %lld random draws\n",
	    total_answered, total_queries, total_draws);
	/* They must carry most of the load, or the test tests little. */
	CHECK(total_answered * 2 > total_queries);
	return check_done();
}
