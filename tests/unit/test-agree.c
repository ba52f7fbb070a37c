/*
 * test-agree.c — on random libraries, three paths give every image the same
 * suggested tags:
 *   engine  suggest_image() (core/tag/suggest.h) under rules_load();
 *   SQL     `suggested:NAME` and `suggested:PATTERN` (db/search.c) under
 *           rules_search_opts(), and the library count
 *           db_search_suggestions() (db/search-count.c); in two rounds of
 *           three from the score sets (db/scores.h), built before the
 *           library is filled or after;
 *   commit  what `tagcon commit` writes: review_accept_all() and
 *           review_commit() (core/tag/review.h), read back as decisions;
 *   impact  the images a change of the global cuts changes, from the score
 *           bands (impact_changed(), db/bands.h), against the engine run
 *           on every image (impact_changed_by_engine()), for threshold
 *           steps on and off the hundredths and MCut switched either way;
 *           the bands built before the library is filled in some rounds
 *           (then every row reaches them through the triggers), at the
 *           first question in others, and compared with their rows.
 * The engine is the reference: SQL must find exactly the images whose set
 * holds the name (missing images never), the count must be the sum of the
 * sets, and a commit must add exactly the set, nothing more, nothing less;
 * after it nothing is suggested anywhere.
 *
 * Each round is a fresh library: images in folders 0-3 levels below a
 * root (names that sort next to each other: "a", "a b", "a-b", "a.b", "a0"),
 * copies, missing images, unanswered images, answers of two models, scores
 * on and off the thresholds, decisions (on predictions, alias targets, pins
 * and unrelated names), exclusions, aliases, pins, per-tag thresholds,
 * folder overrides (max_tags among them), global settings and sometimes a
 * preset in use on the connection.  Some rounds
 * start image ids above 2000 so that searches take the driver plan.
 *
 * A mismatch prints what replays it, and the round's rules:
 *   TAGCON_AGREE_SEED=S TAGCON_AGREE_ROUND=R build/tests/test-agree
 * TAGCON_AGREE_ROUNDS sets the number of rounds (default ROUNDS);
 * TAGCON_AGREE_KEEP=FILE keeps the round's library, as built, in FILE.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "core/preset.h"
#include "core/settings.h"
#include "core/tag/impact.h"
#include "core/tag/query.h"
#include "core/tag/review.h"
#include "core/tag/rules.h"
#include "core/tag/suggest.h"
#include "db/bands.h"
#include "db/db.h"
#include "db/postings.h"
#include "db/scores.h"
#include "db/images.h"
#include "db/predictions.h"
#include "db/review.h"
#include "db/rules.h"
#include "db/search.h"
#include "tests/unit/check.h"
#include "tests/unit/side.h"
#include "tests/unit/tmpdir.h"

#define MODEL "SmilingWolf/wd-swinv2-tagger-v3"
#define OTHER_MODEL "SmilingWolf/wd-vit-tagger-v3"
#define SEED 20240607u
#define ROUNDS 200
#define MAX_IMAGES 25
#define MAX_FOLDERS 64
#define SHOW 6 /* mismatches printed per round */

/* ---- the tag universe --------------------------------------------------------- */

struct name {
	const char *name;
	enum db_category category;
	bool predicted; /* the models may score it */
};

/* Names with '[', '?', '(' and '_' test the GLOB escapes and the query
 * parser; p0, p1, n0 and u0 are never predicted, only pinned, aliased to
 * or decided. */
static const struct name names[] = {
	{"g0", DB_CAT_GENERAL, true}, {"g1", DB_CAT_GENERAL, true},
	{"g2", DB_CAT_GENERAL, true}, {"g3", DB_CAT_GENERAL, true},
	{"g4", DB_CAT_GENERAL, true}, {"long_hair", DB_CAT_GENERAL, true},
	{"x?", DB_CAT_GENERAL, true}, {"[y]", DB_CAT_GENERAL, true},
	{"sword_(weapon)", DB_CAT_GENERAL, true}, {"c0", DB_CAT_CHARACTER, true},
	{"c1", DB_CAT_CHARACTER, true}, {"saber_(fate)", DB_CAT_CHARACTER, true},
	{"p0", DB_CAT_USER, false}, {"p1", DB_CAT_USER, false},
	{"n0", DB_CAT_GENERAL, false}, {"u0", DB_CAT_USER, false},
};
#define N_NAMES ((int)(sizeof names / sizeof names[0]))

/* Wildcard patterns, for exclusions and for `suggested:` queries. */
static const char *const patterns[] = {
	"*", "g*", "c*", "*_(*)", "*?", "[*", "*0", "*_*", "*1", "s*_(*)",
};
#define N_PATTERNS ((int)(sizeof patterns / sizeof patterns[0]))

/* Thresholds; scores are drawn at these values too, so strict '>' is
 * tested at equality (exactly for the binary fractions). */
static const char *const thresholds[] = {
	"0.05", "0.1", "0.2", "0.25", "0.35", "0.375", "0.5", "0.6", "0.625", "0.75", "0.85",
	"0.9", "1",
};
#define N_THRESHOLDS ((int)(sizeof thresholds / sizeof thresholds[0]))

static const char *const cut_keys[] = {
	"general_threshold", "character_threshold", "general_mcut", "character_mcut", "max_tags",
};
#define N_CUT_KEYS 5

static int
name_index(const char *tag)
{
	for (int k = 0; k < N_NAMES; k++) {
		if (strcmp(names[k].name, tag) == 0) {
			return k;
		}
	}
	return -1;
}

/* ---- random ------------------------------------------------------------------------ */

static uint64_t rng;

static uint64_t
splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* xorshift64: uniform enough for choosing among a few cases. */
static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)((rng >> 11) % n);
}

static bool
chance(unsigned percent)
{
	return rnd(100) < percent;
}

/* One of thresholds[], or a thousandth that scores drawn as thousandths
 * fall on either side of (floats against the double of the setting). */
static const char *
pick_threshold(void)
{
	static char bufs[4][16];
	static unsigned k;
	if (!chance(25)) {
		return thresholds[rnd(N_THRESHOLDS)];
	}
	char *b = bufs[k++ % 4];
	snprintf(b, sizeof bufs[0], "%.3f", 0.05 + rnd(951) / 1000.0);
	return b;
}

/* 0.05 to 1.0: thousandths mostly, sometimes a binary fraction or a
 * threshold's own value; as a float would hold them (what a Space's
 * answer stores) or as doubles (what a script or the benchmark generator
 * writes: the engine must read them as SQL does). */
static double
pick_score(void)
{
	unsigned kind = rnd(8);
	bool as_float = chance(50);
	double s = kind == 0 ? (double)(2 + rnd(31)) / 32.0
	    : kind == 1 ? strtod(pick_threshold(), NULL) : 0.05 + (double)rnd(951) / 1000.0;
	return as_float ? (double)(float)s : s;
}

/* ---- one library ------------------------------------------------------------------- */

struct world {
	uint64_t seed;
	int round;
	struct db *db;
	char *file;
	const char *root;
	int64_t root_id;
	int n;
	int64_t ids[MAX_IMAGES];
	char *paths[MAX_IMAGES];
	bool missing[MAX_IMAGES];
	int content[MAX_IMAGES];   /* the first image holding the same bytes */
	char *folders[MAX_FOLDERS]; /* every folder of an image, ancestors included */
	int n_folders;
	char *preset;              /* "key=value ..." in use, or NULL */
	/* bit k: names[k] is in the image's set, by path */
	uint32_t engine[MAX_IMAGES], sql[MAX_IMAGES], committed[MAX_IMAGES];
	int mismatches;
};

/* Totals over the run, for the summary line. */
static long long total_images, total_checks, total_suggestions;
/* Images the bands decided alone, and those they left to the engine. */
static long long total_banded, total_rechecked;

static void report(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One mismatch: the replay line first, then at most SHOW of them. */
static void
report(struct world *w, const char *fmt, ...)
{
	if (w->mismatches++ == 0) {
		fprintf(stderr, "agree: mismatch, replay with TAGCON_AGREE_SEED=%llu "
		    "TAGCON_AGREE_ROUND=%d\n", (unsigned long long)w->seed, w->round);
	}
	if (w->mismatches <= SHOW) {
		va_list ap;
		va_start(ap, fmt);
		fprintf(stderr, "  round %d: ", w->round);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
}

static void
add_folder(struct world *w, const char *folder)
{
	for (int i = 0; i < w->n_folders; i++) {
		if (strcmp(w->folders[i], folder) == 0) {
			return;
		}
	}
	if (w->n_folders < MAX_FOLDERS) {
		w->folders[w->n_folders++] = xstrdup(folder);
	}
}

/* A folder 0-3 levels below the root, its ancestors remembered. */
static char *
pick_image_folder(struct world *w)
{
	static const char *const parts[] = {"a", "b", "a b", "a-b", "a.b", "ab", "a0", "\xc3\xa9"};
	char *f = xstrdup(w->root);
	add_folder(w, f);
	for (unsigned depth = rnd(4); depth > 0; depth--) {
		char *deeper = xasprintf("%s/%s", f, parts[rnd(8)]);
		free(f);
		f = deeper;
		add_folder(w, f);
	}
	return f;
}

/* A folder for a rule or an override: everywhere (NULL), "/", one that
 * holds no image, or one of the library's. */
static const char *
pick_rule_folder(struct world *w)
{
	unsigned k = rnd(20);
	if (k < 5) {
		return NULL;
	}
	if (k == 5) {
		return "/";
	}
	if (k == 6) {
		return "/elsewhere";
	}
	return w->folders[rnd((unsigned)w->n_folders)];
}

static void
raw_sql(struct world *w, const char *text)
{
	side_sql(w->file, text, false);
}

/* A missing image with a high id: every later id is above 2000, where
 * searches may start from the rarest tag's rows (the driver plan). */
static void
push_ids_up(struct world *w)
{
	int64_t folder;
	CHECK(db_folder_get(w->db, w->root_id, w->root, &folder));
	char *q = xasprintf("INSERT INTO images(id, folder_id, path, state, added_at, updated_at)"
	    " VALUES (%u, %lld, CAST('%s/zz-gone.png' AS BLOB), 4, 0, 0)", 2000 + rnd(3000),
	    (long long)folder, w->root);
	raw_sql(w, q);
	free(q);
}

static void
place_images(struct world *w)
{
	w->root = chance(50) ? "/lib" : "/srv/img";
	CHECK(db_root_add(w->db, w->root, &w->root_id));
	if (chance(40)) {
		push_ids_up(w);
	}
	w->n = 10 + (int)rnd(MAX_IMAGES - 10 + 1);
	for (int i = 0; i < w->n; i++) {
		char *f = pick_image_folder(w);
		int64_t folder;
		CHECK(db_folder_get(w->db, w->root_id, f, &folder));
		w->paths[i] = xasprintf("%s/img%02d.png", f, i);
		free(f);
		/* About one image in five is a copy of an earlier one. */
		w->content[i] = i > 0 && chance(20) ? w->content[rnd((unsigned)i)] : i;
		struct db_image img = {.folder_id = folder, .path = w->paths[i], .width = 10,
			.height = 10, .has_hash = true};
		memcpy(img.hash, &w->content[i], sizeof w->content[i]);
		img.hash[15] = 0xa7;
		CHECK(db_image_insert(w->db, &img));
		w->ids[i] = img.id;
	}
}

/* One answer for image i's content: each predictable name with even odds. */
static void
answer(struct world *w, int i, const char *model)
{
	struct db_pred p[N_NAMES + 1];
	size_t n = 0;
	for (int k = 0; k < N_NAMES; k++) {
		if (names[k].predicted && chance(50)) {
			p[n++] = (struct db_pred){names[k].name, names[k].category, pick_score()};
		}
	}
	/* A name twice in one answer: the last score stays (a REPLACE). */
	if (n > 0 && chance(15)) {
		p[n] = p[0];
		p[n++].score = pick_score();
	}
	float rating[4] = {0.6f, 0.2f, 0.1f, 0.1f};
	CHECK(db_store_answer(w->db, w->ids[i], model, rating, 0.05f, "test", p, n));
}

static void
store_answers(struct world *w)
{
	for (int i = 0; i < w->n; i++) {
		if (w->content[i] != i) {
			continue;
		}
		if (chance(85)) {
			answer(w, i, MODEL);
		}
		if (chance(30)) {
			answer(w, i, OTHER_MODEL);
		}
	}
}

/* Decisions on about half the images, any name; a few name a tag the
 * library has not seen as a user tag (a person typed it first). */
static void
write_decisions(struct world *w)
{
	for (int i = 0; i < w->n; i++) {
		if (!chance(50)) {
			continue;
		}
		struct db_review_change ch[4];
		size_t n = 1 + rnd(4);
		for (size_t j = 0; j < n; j++) {
			const struct name *nm = &names[rnd(N_NAMES)];
			ch[j] = (struct db_review_change){.tag = nm->name,
				.category = chance(10) ? DB_CAT_USER : nm->category,
				.op = chance(50) ? DB_REVIEW_ACCEPT : DB_REVIEW_REJECT,
				.source = chance(50) ? DB_SOURCE_AUTO : DB_SOURCE_MANUAL};
		}
		CHECK(db_review_commit(w->db, w->ids[i], ch, n));
	}
}

/* A rule's name as a person may type it: "long hair" for long_hair. */
static const char *
typed(const char *name)
{
	return strcmp(name, "long_hair") == 0 && chance(50) ? "long hair" : name;
}

/* Random rules in random order, so that refusals happen both ways (an
 * alias of a pinned tag, a pin of an alias's source, chains); refused ones
 * are simply not there. */
static void
add_rules(struct world *w)
{
	for (unsigned n = rnd(9); n > 0; n--) {
		char *cause = NULL;
		const char *tag = typed(names[rnd(N_NAMES)].name);
		unsigned kind = rnd(4);
		bool ok;
		if (kind == 0) {
			/* "*" hides every prediction: seldom. */
			unsigned k = chance(40) ? rnd(N_PATTERNS) : 0;
			ok = rules_add_exclusion(w->db, k > 0 || chance(10) ? patterns[k] : tag,
			    pick_rule_folder(w), &cause);
		} else if (kind == 1) {
			ok = rules_add_alias(w->db, tag, typed(names[rnd(N_NAMES)].name), &cause);
		} else if (kind == 2) {
			ok = rules_add_pin(w->db, tag, pick_rule_folder(w), &cause);
		} else {
			ok = rules_add_threshold(w->db, tag, pick_threshold(), pick_rule_folder(w),
			    &cause);
		}
		CHECK(ok || cause != NULL);
		free(cause);
	}
}

static const char *
pick_value(unsigned k)
{
	static const char *const caps[] = {"0", "1", "2", "3", "4"};
	if (k == 4) {
		return caps[rnd(5)];
	}
	return k < 2 ? pick_threshold() : chance(50) ? "true" : "false";
}

/* Overrides of the cut keys, and of auto_tag, which leaves the cuts as
 * they are above the folder. */
static void
add_overrides(struct world *w)
{
	for (unsigned n = rnd(5); n > 0; n--) {
		const char *folder = pick_rule_folder(w);
		unsigned k = rnd(N_CUT_KEYS + 1);
		const char *key = k < N_CUT_KEYS ? cut_keys[k] : "auto_tag";
		const char *value = pick_value(k);
		char *cause = NULL;
		if (!check_(rules_override_set(w->db, folder != NULL ? folder : "/", key, value,
		    &cause), key, __FILE__, __LINE__)) {
			fprintf(stderr, "    %s\n", cause);
		}
		free(cause);
	}
}

static void
change_settings(struct world *w)
{
	for (unsigned k = 0; k < N_CUT_KEYS; k++) {
		if (chance(30)) {
			char *cause = NULL;
			CHECK(settings_set(w->db, cut_keys[k], pick_value(k), &cause));
			free(cause);
		}
	}
}

/* A preset of some of the cut settings, read on this connection only. */
static void
use_preset(struct world *w)
{
	const char *keys[N_CUT_KEYS], *values[N_CUT_KEYS];
	size_t n = 0;
	for (unsigned k = 0; k < N_CUT_KEYS; k++) {
		if (n == 0 || chance(50)) {
			keys[n] = cut_keys[k];
			values[n++] = pick_value(k);
		}
	}
	char *cause = NULL;
	if (!check_(preset_save_values(w->db, "agree", keys, values, n, &cause) &&
	    preset_use(w->db, "agree", &cause), "preset", __FILE__, __LINE__)) {
		fprintf(stderr, "    %s\n", cause);
	}
	free(cause);
	/* What the snapshot reads is the preset's. */
	w->preset = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *v = settings_get(w->db, keys[i]), *normal = NULL, *why = NULL;
		CHECK(settings_validate(settings_find(keys[i]), values[i], &normal, &why));
		CHECK_STR(v, normal);
		char *more = xasprintf("%s %s=%s", w->preset, keys[i], normal);
		free(w->preset);
		w->preset = more;
		free(v);
		free(normal);
		free(why);
	}
}

/* What keeps the histogram and the stored MCut cuts busy: answers again
 * (after decisions), images going missing, and some coming back. */
static void
churn(struct world *w)
{
	for (int i = 0; i < w->n; i++) {
		if (w->content[i] == i && chance(10)) {
			answer(w, i, MODEL);
		}
	}
	for (int i = 0; i < w->n; i++) {
		w->missing[i] = chance(15);
		if (w->missing[i]) {
			CHECK(db_image_set_state(w->db, w->ids[i], DB_STATE_MISSING, NULL));
		}
		if (w->missing[i] && chance(30)) {
			enum db_state st;
			CHECK(db_image_derive_state(w->db, w->ids[i], &st));
			CHECK(db_image_set_state(w->db, w->ids[i], st, NULL));
			w->missing[i] = false;
		}
	}
}

static void
build_world(struct world *w)
{
	place_images(w);
	/* Decisions before the answers in some rounds: a name first typed by a
	 * person keeps the user category it was first seen with. */
	bool early = chance(25);
	if (early) {
		write_decisions(w);
	}
	store_answers(w);
	if (!early) {
		write_decisions(w);
	}
	add_rules(w);
	add_overrides(w);
	change_settings(w);
	churn(w);
	/* Settings cannot be written while a preset is in use: last. */
	if (chance(25)) {
		use_preset(w);
	}
}

/* ---- path 1: the engine ------------------------------------------------------------- */

/* The engine's set for every image under r (missing ones too: a review
 * shows them); the sum of the sizes over the images not missing. */
static long long
engine_sets(struct world *w, const struct rules *r, uint32_t *sets)
{
	long long sum = 0;
	for (int i = 0; i < w->n; i++) {
		struct suggest_input in;
		struct suggest_result res;
		CHECK(suggest_load(w->db, w->ids[i], MODEL, &in));
		suggest_image(r, w->paths[i], &in, &res);
		sets[i] = 0;
		for (size_t j = 0; j < res.n; j++) {
			int k = name_index(res.tags[j].tag);
			if (k < 0 || (sets[i] & 1u << k)) {
				report(w, "%s: the engine suggests %s twice or by an unknown name",
				    w->paths[i], res.tags[j].tag);
			} else {
				sets[i] |= 1u << k;
			}
		}
		/* Step 6 on its own: an undecided pin is there whatever else holds. */
		for (int k = 0; k < N_NAMES; k++) {
			if (rules_pinned(r, w->paths[i], names[k].name) &&
			    !suggest_decided(&in, names[k].name) && !(sets[i] & 1u << k)) {
				report(w, "%s: %s is pinned, undecided, not suggested", w->paths[i],
				    names[k].name);
			}
		}
		sum += w->missing[i] ? 0 : (long long)res.n;
		suggest_result_fini(&res);
		suggest_input_fini(&in);
	}
	return sum;
}

/* ---- path 2: SQL -------------------------------------------------------------------- */

struct found {
	struct world *w;
	uint32_t bit;
	uint32_t *sets;
};

static bool
found_image(void *ud, const struct search_hit *h)
{
	struct found *f = ud;
	for (int i = 0; i < f->w->n; i++) {
		if (f->w->ids[i] == h->id) {
			f->sets[i] |= f->bit;
			return true;
		}
	}
	report(f->w, "SQL found %s, not an image of the library", h->path);
	return true;
}

/* `suggested:VALUE`; a name is quoted when it holds what the parser reads
 * (a quoted value is literal, so a pattern never is). */
static char *
suggested_query(const char *value, bool pattern)
{
	bool plain = true;
	for (const char *p = value; *p; p++) {
		plain = plain && strchr("abcdefghijklmnopqrstuvwxyz0123456789_", *p) != NULL;
	}
	return xasprintf(plain || pattern ? "suggested:%s" : "suggested:\"%s\"", value);
}

/* Set bit in sets[i] for every image that `suggested:value` finds. */
static void
sql_find(struct world *w, const struct rules *r, const char *value, bool pattern,
    uint32_t bit, uint32_t *sets)
{
	struct search_node *q = NULL;
	struct search_opts o;
	search_opts_init(&o, MODEL);
	rules_search_opts(r, &o);
	char *text = suggested_query(value, pattern);
	char *cause = NULL;
	if (!check_(query_parse(text, NULL, &q, &cause, NULL), text, __FILE__, __LINE__)) {
		fprintf(stderr, "    %s\n", cause);
		free(cause);
		free(text);
		return;
	}
	/* The parser must have read the name we meant. */
	if (!check_(q->kind == SEARCH_SUGGESTED && q->pattern == pattern &&
	    strcmp(q->text, value) == 0, text, __FILE__, __LINE__)) {
		fprintf(stderr, "    parsed as %s\n", q->text);
	}
	struct found f = {w, bit, sets};
	if (!check_(db_search_each(w->db, q, &o, found_image, &f), text, __FILE__, __LINE__)) {
		fprintf(stderr, "    %s\n", db_errmsg(w->db));
	}
	search_node_destroy(q);
	free(text);
}

/* Every name's `suggested:NAME`, into w->sql. */
static void
sql_sets(struct world *w, const struct rules *r)
{
	memset(w->sql, 0, sizeof w->sql);
	for (int k = 0; k < N_NAMES; k++) {
		sql_find(w, r, names[k].name, false, 1u << k, w->sql);
	}
}

/* `suggested:*` and two other patterns: the images whose engine set holds
 * a name the pattern matches. */
static void
sql_patterns(struct world *w, const struct rules *r)
{
	for (int j = 0; j < 3; j++) {
		const char *pat = j == 0 ? "*" : patterns[rnd(N_PATTERNS)];
		uint32_t matching = 0, found[MAX_IMAGES] = {0};
		for (int k = 0; k < N_NAMES; k++) {
			matching |= rules_match(pat, names[k].name) ? 1u << k : 0;
		}
		sql_find(w, r, pat, true, 1, found);
		for (int i = 0; i < w->n; i++) {
			bool want = !w->missing[i] && (w->engine[i] & matching) != 0;
			if (want != (found[i] != 0)) {
				report(w, "%s%s suggested:%s: C %d, SQL %d", w->paths[i],
				    w->missing[i] ? " (missing)" : "", pat, want, found[i] != 0);
			}
		}
	}
}

static void
sql_count(struct world *w, const struct rules *r, long long want, const char *when)
{
	struct search_opts o;
	search_opts_init(&o, MODEL);
	rules_search_opts(r, &o);
	int64_t n = -1;
	bool same = false;
	if (!check_(db_search_suggestions(w->db, &o, &n), when, __FILE__, __LINE__)) {
		fprintf(stderr, "    %s\n", db_errmsg(w->db));
	}
	if (n != want) {
		report(w, "library count%s: SQL %lld, engine %lld", when, (long long)n, want);
	}
	CHECK(db_search_hist_check(w->db, &same) && same);
}

/* ---- path 3: commit ---------------------------------------------------------------- */

struct decided {
	struct world *w;
	uint32_t accepted, rejected;
};

static void
decided_tag(void *ud, const struct db_decision *d)
{
	struct decided *s = ud;
	int k = name_index(d->tag);
	if (k < 0) {
		report(s->w, "a decision on %s, a name never used", d->tag);
		return;
	}
	if (d->verdict == DB_ACCEPTED) {
		s->accepted |= 1u << k;
	} else {
		s->rejected |= 1u << k;
	}
}

static struct decided
decisions_of(struct world *w, int i)
{
	struct decided s = {.w = w};
	CHECK(db_image_decisions(w->db, w->ids[i], decided_tag, &s));
	return s;
}

/* What `tagcon commit` does to image i; the names it newly accepted. */
static uint32_t
commit_image(struct world *w, const struct rules *r, int i)
{
	struct decided before = decisions_of(w, i);
	struct review_opts ro = {.mode = REVIEW_MODE_REQUIRED};
	char *cause = NULL;
	struct review *rv = review_create(w->db, w->ids[i], MODEL, r, &ro, &cause);
	if (!check_(rv != NULL, w->paths[i], __FILE__, __LINE__)) {
		fprintf(stderr, "    %s\n", cause);
		free(cause);
		return 0;
	}
	review_accept_all(rv);
	if (!check_(review_commit(rv, w->db, &cause), w->paths[i], __FILE__, __LINE__)) {
		fprintf(stderr, "    %s\n", cause);
		free(cause);
	}
	review_destroy(rv);
	struct decided after = decisions_of(w, i);
	/* Accepting suggestions touches no earlier decision. */
	if ((after.accepted & before.accepted) != before.accepted ||
	    after.rejected != before.rejected) {
		report(w, "%s: commit changed earlier decisions (accepted %#x -> %#x, rejected"
		    " %#x -> %#x)", w->paths[i], before.accepted, after.accepted, before.rejected,
		    after.rejected);
	}
	return after.accepted & ~before.accepted;
}

/* ---- the round ---------------------------------------------------------------------- */

/* Every (image, name): the engine's verdict, SQL's and what was committed. */
static void
compare_sets(struct world *w)
{
	for (int i = 0; i < w->n; i++) {
		for (int k = 0; k < N_NAMES; k++) {
			uint32_t bit = 1u << k;
			bool c = w->engine[i] & bit, s = w->sql[i] & bit, m = w->committed[i] & bit;
			total_checks++;
			if (s != (c && !w->missing[i]) || m != c) {
				char *what = xasprintf("%s%s", names[k].name, w->missing[i] ? " (missing)" : "");
				report(w, "%s %s: C %d, SQL %d, committed %d", w->paths[i], what, c, s, m);
				free(what);
			}
		}
	}
}

static void
print_rule(void *ud, const struct db_rule *r)
{
	(void)ud;
	static const char *const kinds[] = {"exclude", "alias", "pin", "threshold"};
	fprintf(stderr, "    %s %s%s%s on %s", kinds[r->kind], r->tag, r->target ? " -> " : "",
	    r->target ? r->target : "", r->folder ? r->folder : "everywhere");
	fprintf(stderr, r->kind == DB_RULE_THRESHOLD ? " %g\n" : "\n", r->value);
}

static void
print_override(void *ud, const char *folder, const char *key, const char *value)
{
	(void)ud;
	fprintf(stderr, "    override %s %s=%s\n", folder, key, value);
}

/* The round's rules and settings, to make a mismatch a reproduction. */
static void
describe(struct world *w)
{
	db_rules_each(w->db, -1, print_rule, NULL);
	db_overrides_each(w->db, print_override, NULL);
	for (unsigned k = 0; k < N_CUT_KEYS; k++) {
		char *v = settings_get(w->db, cut_keys[k]);
		fprintf(stderr, "    %s=%s\n", cut_keys[k], v);
		free(v);
	}
	if (w->preset != NULL) {
		fprintf(stderr, "    preset in use:%s\n", w->preset);
	}
}

/* After committing everything, nothing is left to suggest. */
static void
check_drained(struct world *w)
{
	char *cause = NULL;
	struct rules *r = rules_load(w->db, &cause);
	uint32_t left[MAX_IMAGES], found[MAX_IMAGES] = {0};
	CHECK(r != NULL);
	engine_sets(w, r, left);
	sql_find(w, r, "*", true, 1, found);
	for (int i = 0; i < w->n; i++) {
		if (left[i] != 0 || found[i] != 0) {
			report(w, "%s still has suggestions after commit: C %#x, SQL %d", w->paths[i],
			    left[i], found[i] != 0);
		}
	}
	sql_count(w, r, 0, " after commit");
	rules_destroy(r);
}

/* ---- path 4: the images a change of the cuts changes --------------------------------- */

/* A cut near c: one category's threshold stepped (on a hundredth or a
 * thousandth), or its MCut switched, or a draw of everything. */
static struct db_cut
near_cut(struct db_cut c)
{
	bool character = chance(40);
	double *t = character ? &c.character_threshold : &c.general_threshold;
	bool *m = character ? &c.character_mcut : &c.general_mcut;
	if (chance(15)) {
		c.max_tags = (int)rnd(4);
	}
	switch (rnd(5)) {
	case 0: *t = *t + (chance(50) ? 0.01 : -0.01) * (1 + rnd(3)); break;
	case 1: *t = strtod(pick_threshold(), NULL); break;
	case 2: *m = !*m; break;
	case 3: *m = false; *t = (double)(5 + rnd(90)) / 100.0; break;
	default:
		c.general_threshold = strtod(pick_threshold(), NULL);
		c.character_threshold = strtod(pick_threshold(), NULL);
		c.general_mcut = chance(30);
		c.character_mcut = chance(30);
	}
	return c;
}

static void
check_impact(struct world *w, const struct rules *r)
{
	atomic_bool cancel = false;
	struct db_cut now = rules_global_cut(r);
	for (int k = 0; k < 6; k++) {
		struct db_cut a = k % 3 == 2 ? near_cut(now) : now, b = near_cut(a);
		struct impact fast, slow;
		/* The bands answer (the engine is not the answer by default). */
		struct search_opts oa, ob;
		struct rules *ra = rules_dup_with_cut(r, a), *rb = rules_dup_with_cut(r, b);
		search_opts_init(&oa, MODEL);
		search_opts_init(&ob, MODEL);
		rules_search_opts(ra, &oa);
		rules_search_opts(rb, &ob);
		struct db_band_change ch = {0};
		bool answered = false;
		CHECK(db_bands_change(w->db, &oa, &ob, &ch, &answered));
		if (!answered) {
			report(w, "the bands did not answer");
		}
		total_rechecked += (long long)ch.n_recheck;
		total_banded += ch.changed;
		db_band_change_fini(&ch);
		rules_destroy(ra);
		rules_destroy(rb);
		bool ok_fast = impact_changed(w->db, MODEL, r, a, b, &cancel, &fast);
		bool ok_slow = impact_changed_by_engine(w->db, MODEL, r, a, b, &cancel, &slow);
		total_checks++;
		if (!ok_fast || !ok_slow || fast.changed != slow.changed ||
		    fast.images != slow.images || fast.inexact != slow.inexact) {
			report(w, "impact g %g%s c %g%s -> g %g%s c %g%s: bands %lld of %lld (%lld"
			    " approximate), engine %lld of %lld (%lld)%s", a.general_threshold,
			    a.general_mcut ? " mcut" : "", a.character_threshold,
			    a.character_mcut ? " mcut" : "", b.general_threshold,
			    b.general_mcut ? " mcut" : "", b.character_threshold,
			    b.character_mcut ? " mcut" : "", (long long)fast.changed,
			    (long long)fast.images, (long long)fast.inexact, (long long)slow.changed,
			    (long long)slow.images, (long long)slow.inexact,
			    ok_fast && ok_slow ? "" : " (an error)");
		}
	}
	bool built = false, same = false;
	CHECK(db_bands_check(w->db, &built, &same));
	if (!built || !same) {
		report(w, "bands %s", built ? "differ from their rows" : "were not built");
	}
}

static void
check_world(struct world *w)
{
	char *cause = NULL;
	struct rules *r = rules_load(w->db, &cause);
	if (!check_(r != NULL, "rules_load", __FILE__, __LINE__)) {
		fprintf(stderr, "    %s\n", cause);
		free(cause);
		return;
	}
	long long sum = engine_sets(w, r, w->engine);
	sql_sets(w, r);
	sql_patterns(w, r);
	sql_count(w, r, sum, "");
	check_impact(w, r);
	for (int i = 0; i < w->n; i++) {
		w->committed[i] = commit_image(w, r, i);
	}
	compare_sets(w);
	check_drained(w);
	check_impact(w, r);
	rules_destroy(r);
	total_images += w->n;
	total_suggestions += sum;
}

static void
world_fini(struct world *w)
{
	db_close(w->db);
	const char *const suffixes[] = {"", "-wal", "-shm"};
	for (int k = 0; k < 3; k++) {
		char *f = xasprintf("%s%s", w->file, suffixes[k]);
		unlink(f);
		free(f);
	}
	free(w->file);
	for (int i = 0; i < w->n; i++) {
		free(w->paths[i]);
	}
	for (int i = 0; i < w->n_folders; i++) {
		free(w->folders[i]);
	}
	free(w->preset);
}

/* With TAGCON_AGREE_KEEP=FILE, the library as built, before any check
 * or commit, is copied there for the sqlite3 shell (the last round's:
 * replay one with TAGCON_AGREE_ROUND). */
static void
keep(struct world *w)
{
	const char *to = getenv("TAGCON_AGREE_KEEP");
	if (to != NULL && *to != '\0' && strchr(to, '\'') == NULL) {
		unlink(to);
		char *q = xasprintf("VACUUM INTO '%s'", to);
		raw_sql(w, q);
		free(q);
	}
}

/* One round in a fresh library; false on a mismatch. */
static bool
run_round(uint64_t seed, int round)
{
	struct world w = {.seed = seed, .round = round};
	rng = splitmix(seed ^ splitmix((uint64_t)round)) | 1;
	w.file = xstrdup(tmppath("agree.db"));
	char *cause = NULL;
	w.db = db_open(w.file, &cause);
	if (!check_(w.db != NULL, w.file, __FILE__, __LINE__)) {
		fprintf(stderr, "    %s\n", cause);
		free(cause);
		free(w.file);
		return false;
	}
	/* Bands from the start: every row through the triggers; the marked
	 * images folded into the bitmaps by the first question in some rounds,
	 * worked out by every reader in the others. */
	if (chance(50)) {
		CHECK(db_bands_build(w.db));
	}
	setenv("TAGCON_BANDS_FOLD", chance(50) ? "0" : "100000", 1);
	/* Images a crossing ruled tag leaves unsure settled by the tags that
	 * cross with it from any count on, or (as by default) past 256. */
	setenv("TAGCON_BANDS_SETTLE", chance(50) ? "0" : "256", 1);
	/* The posting lists and score sets: none (SQL answers), built before
	 * the fill (every row through their triggers), or after it; then
	 * suggested: searches and the library count come from them. */
	unsigned sets = rnd(3);
	if (sets == 1) {
		CHECK(db_postings_fold(w.db) && db_scores_build(w.db));
	}
	build_world(&w);
	if (sets == 2) {
		CHECK(db_postings_fold(w.db) && db_scores_build(w.db));
	}
	keep(&w);
	check_world(&w);
	if (w.mismatches > 0) {
		fprintf(stderr, "  round %d: %d mismatches; its library:\n", round, w.mismatches);
		describe(&w);
	}
	world_fini(&w);
	return check_(w.mismatches == 0, "C, SQL and commit agree", __FILE__, __LINE__);
}

static unsigned long long
env_number(const char *name, unsigned long long def)
{
	const char *v = getenv(name);
	return v != NULL && *v != '\0' ? strtoull(v, NULL, 0) : def;
}

int
main(void)
{
	uint64_t seed = env_number("TAGCON_AGREE_SEED", SEED);
	int first = (int)env_number("TAGCON_AGREE_ROUND", 0);
	int end = getenv("TAGCON_AGREE_ROUND") != NULL ? first + 1 :
	    (int)env_number("TAGCON_AGREE_ROUNDS", ROUNDS);
	int failed = 0;
	for (int round = first; round < end; round++) {
		failed += !run_round(seed, round);
		if (failed >= 5) {
			fprintf(stderr, "agree: stopping after %d failed rounds\n", failed);
			break;
		}
	}
	printf("agree: seed %llu, %d rounds failed; %lld images, %lld (image, tag) checks, "
	    "%lld suggestions; impact: %lld images changed by the bands alone, %lld rechecked\n",
	    (unsigned long long)seed, failed, total_images, total_checks, total_suggestions,
	    total_banded, total_rechecked);
	return check_done();
}
