/*
 * test-rules.c — tag rules, folder overrides and presets: validation, the
 * nearest folder winning, presets for good and for one connection, and
 * suggestions under rules agreeing between C (rules_suggest) and SQL
 * (`suggested:` in db/search.c) on randomly built libraries.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/preset.h"
#include "core/tag/query.h"
#include "core/tag/review.h"
#include "core/tag/rules.h"
#include "core/settings.h"
#include "core/tag/suggest.h"
#include "db/db.h"
#include "db/images.h"
#include "db/predictions.h"
#include "db/search.h"
#include "db/settings.h"
#include "common/xalloc.h"
#include "tests/unit/check.h"
#include "tests/unit/tmpdir.h"

#define MODEL "SmilingWolf/wd-swinv2-tagger-v3"

static struct db *db;
static const char *db_file;

static void
sql(const char *text)
{
	sqlite3 *conn;
	CHECK(sqlite3_open(db_file, &conn) == SQLITE_OK);
	sqlite3_busy_timeout(conn, 5000);
	char *err = NULL;
	if (!check_(sqlite3_exec(conn, text, NULL, NULL, &err) == SQLITE_OK, text, __FILE__,
	    __LINE__)) {
		fprintf(stderr, "    %s\n", err);
	}
	sqlite3_free(err);
	sqlite3_close(conn);
}

/* Expect a call to fail with a cause containing what. */
#define REFUSED(call, what) do { \
	char *cause_ = NULL; \
	bool ok_ = (call); \
	if (!check_(!ok_ && cause_ != NULL && strstr(cause_, what) != NULL, #call, __FILE__, \
	    __LINE__)) \
		fprintf(stderr, "    cause: %s\n", cause_ ? cause_ : "(none)"); \
	free(cause_); \
} while (0)

#define WORKS(call) do { \
	char *cause_ = NULL; \
	if (!check_((call), #call, __FILE__, __LINE__)) \
		fprintf(stderr, "    cause: %s\n", cause_ ? cause_ : "(none)"); \
	free(cause_); \
} while (0)

static void
list_rule(void *ud, const struct db_rule *r)
{
	char **s = ud;
	char *more = xasprintf("%s%d:%s%s%s%s%s;", *s, (int)r->kind, r->tag,
	    r->target ? ">" : "", r->target ? r->target : "", r->folder ? "@" : "",
	    r->folder ? r->folder : "");
	free(*s);
	*s = more;
}

static char *
all_rules(void)
{
	char *s = xstrdup("");
	CHECK(db_rules_each(db, -1, list_rule, &s));
	return s;
}

static void
test_rule_validation(void)
{
	WORKS(rules_add_exclusion(db, "simple background", NULL, &cause_));
	WORKS(rules_add_exclusion(db, "*_(artist)", "/lib/a/", &cause_));
	WORKS(rules_add_exclusion(db, "simple_background", "/", &cause_));
	WORKS(rules_add_alias(db, "short hair", "hair_short", &cause_));
	WORKS(rules_add_alias(db, "short_hair", "hair short", &cause_));
	WORKS(rules_add_pin(db, "wip", "/lib/b", &cause_));
	REFUSED(rules_add_alias(db, "a", "a", &cause_), "to itself");
	REFUSED(rules_add_alias(db, "x", "short_hair", &cause_), "is itself an alias of hair_short");
	REFUSED(rules_add_alias(db, "hair_short", "y", &cause_), "do not chain");
	REFUSED(rules_add_alias(db, "a*", "b", &cause_), "wildcards only work in exclusions");
	REFUSED(rules_add_pin(db, "wip", "lib/b", &cause_), "not an absolute folder");
	REFUSED(rules_add_pin(db, "bad\x01name", "/lib", &cause_), "not a tag name");
	REFUSED(rules_add_exclusion(db, "", NULL, &cause_), "not a tag name");
	char *s = all_rules();
	CHECK_STR(s, "0:simple_background;0:*_(artist)@/lib/a;1:short_hair>hair_short;"
	    "2:wip@/lib/b;");
	free(s);
	REFUSED(rules_remove(db, DB_RULE_PIN, "wip", "/lib", &cause_), "no pin for wip on /lib");
	WORKS(rules_remove(db, DB_RULE_PIN, "wip", "/lib/b/", &cause_));
	WORKS(rules_remove(db, DB_RULE_EXCLUDE, "simple background", NULL, &cause_));
	WORKS(rules_remove(db, DB_RULE_EXCLUDE, "*_(artist)", "/lib/a", &cause_));
	WORKS(rules_remove(db, DB_RULE_ALIAS, "short_hair", NULL, &cause_));
	s = all_rules();
	CHECK_STR(s, "");
	free(s);
	CHECK(rules_match("*", ""));
	CHECK(rules_match("a*b*c", "aXbYbc"));
	CHECK(!rules_match("a*b", "ab_"));
	CHECK(rules_match("*_(artist)", "foo_(artist)"));
	CHECK(!rules_match("[a]", "a"));
	CHECK(rules_match("?", "?"));
}

static void
test_overrides(void)
{
	REFUSED(rules_override_set(db, "/lib", "model", "x", &cause_), "cannot be set per folder");
	REFUSED(rules_override_set(db, "/lib", "general_threshold", "2", &cause_), "out of range");
	REFUSED(rules_override_set(db, "lib", "general_threshold", "0.5", &cause_), "absolute");
	WORKS(rules_override_set(db, "/lib/", "general_threshold", "0.5", &cause_));
	WORKS(rules_override_set(db, "/lib/a", "character_threshold", "0.6", &cause_));
	WORKS(rules_override_set(db, "/lib/a/deep", "general_mcut", "yes", &cause_));
	WORKS(rules_override_set(db, "/lib/b", "auto_tag", "on", &cause_));
	REFUSED(rules_override_unset(db, "/lib/b", "general_mcut", &cause_), "no override");
	char *cause = NULL;
	struct rules *r = rules_load(db, &cause);
	CHECK(r != NULL);
	struct db_cut c = rules_cut_for(r, "/elsewhere/x.png");
	CHECK_NEAR(c.general_threshold, 0.35, 1e-9);
	CHECK_NEAR(c.character_threshold, 0.85, 1e-9);
	c = rules_cut_for(r, "/lib/x.png");
	CHECK_NEAR(c.general_threshold, 0.5, 1e-9);
	c = rules_cut_for(r, "/lib/a/x.png");
	CHECK_NEAR(c.general_threshold, 0.5, 1e-9);
	CHECK_NEAR(c.character_threshold, 0.6, 1e-9);
	CHECK(!c.general_mcut);
	c = rules_cut_for(r, "/lib/a/deep/more/x.png");
	CHECK(c.general_mcut);
	CHECK_NEAR(c.character_threshold, 0.6, 1e-9);
	c = rules_cut_for(r, "/lib/ab/x.png");
	CHECK_NEAR(c.character_threshold, 0.85, 1e-9);
	CHECK(rules_auto_tag_for(r, "/lib/b/x.png"));
	CHECK(!rules_auto_tag_for(r, "/lib/a/x.png"));
	struct search_opts o;
	search_opts_init(&o, MODEL);
	rules_search_opts(r, &o);
	CHECK_INT(o.n_overrides, 4);
	CHECK_STR(o.overrides[0].folder, "/lib/a/deep");
	CHECK_STR(o.overrides[3].folder, "/lib");
	rules_destroy(r);
	sql("DELETE FROM folder_overrides");
}

/* The names the engine suggests for preds at path, "a b c" in its order. */
static char *
suggested_names(const char *path, struct suggest_pred *preds, size_t n,
    struct suggest_decision *dec, size_t n_dec)
{
	char *cause = NULL;
	struct rules *r = rules_load(db, &cause);
	CHECK(r != NULL);
	struct suggest_input in = {.preds = preds, .n_preds = n, .decisions = dec,
		.n_decisions = n_dec};
	struct suggest_result res;
	suggest_image(r, path, &in, &res);
	char *s = xstrdup("");
	for (size_t i = 0; i < res.n; i++) {
		char *more = xasprintf("%s%s%s", s, i > 0 ? " " : "", res.tags[i].tag);
		free(s);
		s = more;
	}
	suggest_result_fini(&res);
	rules_destroy(r);
	return s;
}

/* Per-tag thresholds: validation, the nearest folder, a tag's cut over its
 * category's (MCut too); max_tags: the best N, accepted tags taking places. */
static void
test_thresholds_and_cap(void)
{
	REFUSED(rules_add_threshold(db, "holding", "1.5", NULL, &cause_), "not a threshold");
	REFUSED(rules_add_threshold(db, "holding", "0.5x", NULL, &cause_), "not a threshold");
	REFUSED(rules_add_threshold(db, "hold*", "0.5", NULL, &cause_), "wildcards");
	REFUSED(rules_add_threshold(db, "holding", "0.5", "lib", &cause_), "absolute");
	WORKS(rules_add_threshold(db, "holding", "0.7", NULL, &cause_));
	WORKS(rules_add_threshold(db, "holding", "0.2", "/lib/a", &cause_));
	WORKS(rules_add_threshold(db, "smile", "0.3", "/lib", &cause_));
	WORKS(rules_add_threshold(db, "smile", "0.9", "/lib", &cause_)); /* replaces */
	char *s = all_rules();
	CHECK_STR(s, "3:holding;3:smile@/lib;3:holding@/lib/a;");
	free(s);
	struct suggest_pred p[] = {
		{"smile", DB_CAT_GENERAL, 0.8f}, {"holding", DB_CAT_GENERAL, 0.6f},
		{"sky", DB_CAT_GENERAL, 0.5f}, {"tree", DB_CAT_GENERAL, 0.4f},
		{"grass", DB_CAT_GENERAL, 0.3f},
	};
	/* Global 0.35: holding needs 0.7 everywhere but below /lib/a (0.2);
	 * smile needs 0.9 below /lib. */
	s = suggested_names("/x/1.png", p, 5, NULL, 0);
	CHECK_STR(s, "smile sky tree");
	free(s);
	s = suggested_names("/lib/1.png", p, 5, NULL, 0);
	CHECK_STR(s, "sky tree");
	free(s);
	s = suggested_names("/lib/a/1.png", p, 5, NULL, 0);
	CHECK_STR(s, "holding sky tree");
	free(s);
	/* Under MCut (the cut is 0.7, in the largest drop) holding's own rule
	 * wins. */
	WORKS(rules_override_set(db, "/lib/a", "general_mcut", "true", &cause_));
	s = suggested_names("/lib/a/1.png", p, 5, NULL, 0);
	CHECK_STR(s, "holding");
	free(s);
	WORKS(rules_override_unset(db, "/lib/a", "general_mcut", &cause_));
	/* At most 2 general tags: the best two; an accepted one takes a place. */
	REFUSED(rules_override_set(db, "/x", "max_tags", "-1", &cause_), "out of range");
	WORKS(rules_override_set(db, "/x", "max_tags", "2", &cause_));
	s = suggested_names("/x/1.png", p, 5, NULL, 0);
	CHECK_STR(s, "smile sky");
	free(s);
	struct suggest_decision d[] = {{"smile", DB_CAT_GENERAL, true, false}};
	s = suggested_names("/x/1.png", p, 5, d, 1);
	CHECK_STR(s, "sky");
	free(s);
	d[0].accepted = false; /* a rejection frees its place */
	s = suggested_names("/x/1.png", p, 5, d, 1);
	CHECK_STR(s, "sky tree");
	free(s);
	s = suggested_names("/lib/1.png", p, 5, NULL, 0); /* no cap there */
	CHECK_STR(s, "sky tree");
	free(s);
	WORKS(rules_remove(db, DB_RULE_THRESHOLD, "holding", "/lib/a", &cause_));
	REFUSED(rules_remove(db, DB_RULE_THRESHOLD, "holding", "/lib/a", &cause_),
	    "no threshold for holding on /lib/a");
	sql("DELETE FROM tag_rules; DELETE FROM folder_overrides");
}

/* One image below /conf with preds; its id. */
static int64_t
conf_image(const char *name, const struct db_pred *p, size_t n)
{
	int64_t root, folder;
	CHECK(db_root_add(db, "/conf", &root));
	CHECK(db_folder_get(db, root, "/conf", &folder));
	char *path = xasprintf("/conf/%s", name);
	struct db_image img = {.folder_id = folder, .path = path, .width = 10, .height = 10,
		.has_hash = true};
	memcpy(img.hash, name, strlen(name) < 8 ? strlen(name) : 8);
	img.hash[15] = 0x3c;
	CHECK(db_image_insert(db, &img));
	float rating[4] = {0.9f, 0.05f, 0.03f, 0.02f};
	CHECK(db_store_answer(db, img.id, MODEL, rating, 0.05f, "t", p, n));
	free(path);
	return img.id;
}

/* review_mode auto-confident: an answer's suggestions are committed when
 * every score is at least confident_margin from its cut, else none. */
static void
test_auto_confident(void)
{
	CHECK(review_mode_parse("auto-confident") == REVIEW_MODE_AUTO_CONFIDENT);
	struct db_pred sure[] = {{"sky", DB_CAT_GENERAL, 0.9f}, {"dog", DB_CAT_GENERAL, 0.05f}};
	struct db_pred unsure[] = {{"sky", DB_CAT_GENERAL, 0.9f}, {"hat", DB_CAT_GENERAL, 0.36f}};
	int64_t a = conf_image("sure.png", sure, 2), b = conf_image("unsure.png", unsure, 2);
	char *cause = NULL;
	struct rules *r = rules_load(db, &cause);
	CHECK(r != NULL);
	struct review_opts o = {.mode = REVIEW_MODE_AUTO_CONFIDENT, .margin = 0.1};
	size_t n = 99;
	CHECK(review_autocommit(db, a, MODEL, r, &o, &n, &cause) && n == 1);
	CHECK(review_autocommit(db, b, MODEL, r, &o, &n, &cause) && n == 0);
	o.margin = 0.005; /* hat is 0.01 from 0.35 */
	CHECK(review_autocommit(db, b, MODEL, r, &o, &n, &cause) && n == 2);
	rules_destroy(r);
	sql("DELETE FROM images WHERE CAST(path AS TEXT) LIKE '/conf/%'");
}

/* Two curators on one image: the later commit is refused, not applied over
 * the earlier one, and its review shows what was committed. */
static void
test_changed_since(void)
{
	struct db_pred p[] = {{"sky", DB_CAT_GENERAL, 0.9f}, {"hat", DB_CAT_GENERAL, 0.6f}};
	int64_t id = conf_image("both.png", p, 2);
	char *cause = NULL;
	struct rules *r = rules_load(db, &cause);
	struct review_opts o = {.mode = REVIEW_MODE_REQUIRED};
	struct review *a = review_create(db, id, MODEL, r, &o, &cause);
	struct review *b = review_create(db, id, MODEL, r, &o, &cause);
	CHECK(a != NULL && b != NULL);
	review_accept_all(a);
	CHECK(review_commit(a, db, &cause));
	int hat = review_find(b, "hat");
	CHECK(hat >= 0 && review_toggle_reject(b, (size_t)hat));
	CHECK(!review_commit(b, db, &cause));
	CHECK(cause != NULL && strstr(cause, "changed since you opened it") != NULL);
	free(cause);
	cause = NULL;
	/* The rejection did not reach the database; b now shows hat committed. */
	hat = review_find(b, "hat");
	CHECK(hat >= 0 && review_tag(b, (size_t)hat)->status == REVIEW_COMMITTED);
	CHECK(review_pending(b) == 0);
	/* From what it shows now, b commits. */
	CHECK(review_remove(b, (size_t)hat) && review_commit(b, db, &cause));
	hat = review_find(a, "hat");
	review_destroy(a);
	a = review_create(db, id, MODEL, r, &o, &cause);
	hat = review_find(a, "hat");
	CHECK(hat >= 0 && review_tag(a, (size_t)hat)->status == REVIEW_REJECTED);
	review_destroy(a);
	review_destroy(b);
	rules_destroy(r);
	sql("DELETE FROM images WHERE CAST(path AS TEXT) LIKE '/conf/%'");
}

static void
test_presets(void)
{
	REFUSED(preset_set(db, "bad name", "model", "x", &cause_), "not a preset name");
	REFUSED(preset_set(db, "strict", "nope", "x", &cause_), "no setting named");
	REFUSED(preset_set(db, "strict", "general_threshold", "x", &cause_), "not a number");
	WORKS(preset_set(db, "strict", "general_threshold", "0.6", &cause_));
	WORKS(preset_set(db, "strict", "max_rating", "S", &cause_));
	REFUSED(preset_apply(db, "loose", &cause_), "no preset named 'loose'");
	REFUSED(preset_use(db, "loose", &cause_), "no preset named 'loose'");
	/* For this connection only. */
	WORKS(preset_use(db, "strict", &cause_));
	CHECK_NEAR(settings_get_float(db, "general_threshold"), 0.6, 1e-9);
	char *v = settings_get(db, "max_rating");
	CHECK_STR(v, "s");
	free(v);
	CHECK_NEAR(settings_get_float(db, "character_threshold"), 0.85, 1e-9);
	char *cause = NULL;
	CHECK(!settings_set(db, "model", "x", &cause));
	free(cause);
	struct db *other = db_open(db_file, &cause);
	CHECK(other != NULL);
	CHECK_NEAR(settings_get_float(other, "general_threshold"), 0.35, 1e-9);
	db_close(other);
	db_close(db);
	db = db_open(db_file, &cause);
	CHECK_NEAR(settings_get_float(db, "general_threshold"), 0.35, 1e-9);
	/* For good. */
	WORKS(preset_apply(db, "strict", &cause_));
	CHECK_NEAR(settings_get_float(db, "general_threshold"), 0.6, 1e-9);
	CHECK(settings_reset(db, "general_threshold", &cause));
	CHECK(settings_reset(db, "max_rating", &cause));
	const char *keys[] = {"general_threshold"};
	WORKS(preset_save(db, "snap", keys, 1, &cause_));
	REFUSED(preset_save(db, "snap", (const char *[]){"nope"}, 1, &cause_), "no setting");
	WORKS(preset_save(db, "all", NULL, 0, &cause_));
	WORKS(preset_unset(db, "strict", "max_rating", &cause_));
	REFUSED(preset_unset(db, "strict", "max_rating", &cause_), "has no max_rating");
	WORKS(preset_delete(db, "snap", &cause_));
	REFUSED(preset_delete(db, "snap", &cause_), "no preset named");
	sql("DELETE FROM presets");
}

/* ---- C and SQL agree ---------------------------------------------------------- */

#define N_IMAGES 90
static const char *const folders[] = {"/lib/a", "/lib/a/deep", "/lib/b", "/lib/c"};
static const char *const universe[] = {
	"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "c0", "c1", "c2",
	"newname", "p0", NULL,
};
static int64_t ids[N_IMAGES];
static char *paths[N_IMAGES];
static uint64_t seed = 42;

static unsigned
rnd(unsigned n)
{
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((seed >> 33) % n);
}

static void
build_random_library(void)
{
	int64_t root, folder;
	CHECK(db_root_add(db, "/lib", &root));
	CHECK(db_begin(db));
	for (int i = 0; i < N_IMAGES; i++) {
		const char *f = folders[rnd(4)];
		CHECK(db_folder_get(db, root, f, &folder));
		paths[i] = xasprintf("%s/img%02d.png", f, i);
		struct db_image img = {.folder_id = folder, .path = paths[i], .width = 10,
			.height = 10, .has_hash = true};
		memcpy(img.hash, &i, sizeof i);
		img.hash[15] = 0x5a;
		CHECK(db_image_insert(db, &img));
		ids[i] = img.id;
	}
	CHECK(db_commit(db));
	for (int i = 0; i < N_IMAGES; i++) {
		struct db_pred p[13];
		size_t n = 0;
		char names[13][4];
		for (int k = 0; k < 13; k++) {
			if (rnd(3) == 0) {
				continue;
			}
			snprintf(names[n], sizeof names[n], "%c%d", k < 10 ? 't' : 'c', k < 10 ? k : k - 10);
			p[n] = (struct db_pred){names[n], k < 10 ? DB_CAT_GENERAL : DB_CAT_CHARACTER,
				0.05f + (float)rnd(950) / 1000.0f};
			n++;
		}
		float rating[4] = {0.5f, 0.2f, 0.1f, 0.1f};
		CHECK(db_store_answer(db, ids[i], MODEL, rating, 0.05f, "t", p, n));
	}
	/* Decisions, on predicted names and on alias targets. */
	char *q = xstrdup("INSERT OR IGNORE INTO tags(name, category) VALUES ('newname', 101),"
	    " ('p0', 101);");
	for (int i = 0; i < N_IMAGES; i++) {
		for (int k = 0; universe[k] != NULL; k++) {
			unsigned r = rnd(8);
			if (r > 1) {
				continue;
			}
			char *more = xasprintf("%sINSERT INTO decisions SELECT %lld, id, %d, 0, 0 FROM tags"
			    " WHERE name = '%s';", q, (long long)ids[i], r == 0 ? 1 : -1, universe[k]);
			free(q);
			q = more;
		}
	}
	sql(q);
	free(q);
}

struct idset {
	bool in[N_IMAGES];
};

static bool
mark(void *ud, const struct search_hit *h)
{
	struct idset *s = ud;
	for (int i = 0; i < N_IMAGES; i++) {
		if (ids[i] == h->id) {
			s->in[i] = true;
		}
	}
	return true;
}

static void
sql_set(const struct rules *r, const char *query, struct idset *out)
{
	struct search_node *q;
	struct search_opts o;
	memset(out, 0, sizeof *out);
	search_opts_init(&o, MODEL);
	rules_search_opts(r, &o);
	CHECK(query_parse(query, NULL, &q, NULL, NULL));
	if (!check_(db_search_each(db, q, &o, mark, out), query, __FILE__, __LINE__)) {
		fprintf(stderr, "    %s\n", db_errmsg(db));
	}
	search_node_destroy(q);
}

static bool
has(const struct suggest_result *res, const char *name)
{
	for (size_t i = 0; i < res->n; i++) {
		if (strcmp(res->tags[i].tag, name) == 0) {
			return true;
		}
	}
	return false;
}

/* Whether image i is in the library and not missing (search hides the
 * others, and the library count leaves them out). */
static bool
present(int i)
{
	struct db_image img;
	bool found;
	CHECK(db_image_by_path(db, paths[i], &img, &found));
	bool here = found && img.state != DB_STATE_MISSING;
	if (found) {
		db_image_fini(&img);
	}
	return here;
}

static int
compare_round(const char *label)
{
	char *cause = NULL;
	struct rules *r = rules_load(db, &cause);
	CHECK(r != NULL);
	struct suggest_result res[N_IMAGES];
	struct suggest_input in[N_IMAGES];
	int suggestions = 0;
	for (int i = 0; i < N_IMAGES; i++) {
		bool here = present(i);
		memset(&in[i], 0, sizeof in[i]);
		if (here) {
			CHECK(suggest_load(db, ids[i], MODEL, &in[i]));
		}
		suggest_image(r, paths[i], &in[i], &res[i]);
		res[i].n = here ? res[i].n : 0;
		suggestions += (int)res[i].n;
	}
	int mismatches = 0;
	for (int k = 0; universe[k] != NULL; k++) {
		char *query = xasprintf("suggested:%s", universe[k]);
		struct idset s;
		sql_set(r, query, &s);
		for (int i = 0; i < N_IMAGES; i++) {
			if (has(&res[i], universe[k]) != s.in[i] && mismatches++ < 5) {
				fprintf(stderr, "%s: %s on %s: C %d, SQL %d\n", label, universe[k], paths[i],
				    has(&res[i], universe[k]), s.in[i]);
			}
		}
		free(query);
	}
	struct idset any, t;
	sql_set(r, "suggested:*", &any);
	sql_set(r, "suggested:t*", &t);
	for (int i = 0; i < N_IMAGES; i++) {
		bool has_t = false;
		for (size_t j = 0; j < res[i].n; j++) {
			has_t = has_t || res[i].tags[j].tag[0] == 't';
		}
		mismatches += (res[i].n > 0) != any.in[i];
		mismatches += has_t != t.in[i];
		suggest_result_fini(&res[i]);
		suggest_input_fini(&in[i]);
	}
	if (!check_(mismatches == 0, label, __FILE__, __LINE__)) {
		fprintf(stderr, "    %d mismatches\n", mismatches);
	}
	/* The library-wide count agrees with the sum of the images'. */
	struct search_opts o;
	search_opts_init(&o, MODEL);
	rules_search_opts(r, &o);
	int64_t total = -1;
	bool same = false;
	CHECK(db_search_suggestions(db, &o, &total));
	if (!check_(total == suggestions, label, __FILE__, __LINE__)) {
		fprintf(stderr, "    library count %lld, sum of images %d\n", (long long)total,
		    suggestions);
	}
	CHECK(db_search_hist_check(db, &same) && same);
	rules_destroy(r);
	return suggestions;
}

static void
test_c_and_sql_agree(void)
{
	build_random_library();
	int plain = compare_round("no rules");
	CHECK(plain > 50);
	char *cause = NULL;
	CHECK(rules_add_exclusion(db, "t1", NULL, &cause));
	CHECK(rules_add_exclusion(db, "t*", "/lib/b", &cause));
	CHECK(rules_add_alias(db, "t2", "t3", &cause));
	CHECK(rules_add_alias(db, "t4", "newname", &cause));
	CHECK(rules_add_alias(db, "c1", "t6", &cause));
	CHECK(rules_add_pin(db, "p0", "/lib/a", &cause));
	CHECK(rules_add_pin(db, "t5", "/lib/c", &cause));
	CHECK(rules_add_pin(db, "t7", "/lib/b", &cause));
	int ruled = compare_round("rules");
	CHECK(ruled != plain);
	CHECK(rules_override_set(db, "/lib/a", "general_threshold", "0.6", &cause));
	CHECK(rules_override_set(db, "/lib/a/deep", "general_mcut", "true", &cause));
	CHECK(rules_override_set(db, "/lib/b", "character_mcut", "true", &cause));
	CHECK(rules_override_set(db, "/lib/c", "character_threshold", "0.3", &cause));
	compare_round("overrides");
	CHECK(settings_set(db, "general_mcut", "true", &cause));
	compare_round("general mcut, fixed character");
	CHECK(settings_set(db, "character_mcut", "true", &cause));
	compare_round("global mcut");
	CHECK(rules_override_set(db, "/lib/c", "general_mcut", "false", &cause));
	compare_round("global mcut, fixed general below a folder");
	CHECK(settings_set(db, "general_mcut", "false", &cause));
	compare_round("fixed general, character mcut");
	CHECK(settings_set(db, "character_mcut", "false", &cause));
	CHECK(settings_set(db, "general_mcut", "true", &cause));
	CHECK(settings_set(db, "character_mcut", "true", &cause));
	CHECK(settings_set(db, "general_threshold", "0.9", &cause));
	CHECK(settings_set(db, "general_mcut", "false", &cause));
	compare_round("high threshold");
}

/* C and SQL agree under fixed thresholds, MCut and both mixed. */
static void
compare_cuts(int round)
{
	static const char *const modes[][2] = {
		{"false", "false"}, {"true", "true"}, {"true", "false"}, {"false", "true"},
	};
	char *cause = NULL;
	for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
		CHECK(settings_set(db, "general_mcut", modes[k][0], &cause));
		CHECK(settings_set(db, "character_mcut", modes[k][1], &cause));
		char *label = xasprintf("upkeep round %d, general mcut %s, character mcut %s",
		    round, modes[k][0], modes[k][1]);
		compare_round(label);
		free(label);
	}
	CHECK(settings_set(db, "general_mcut", "false", &cause));
	CHECK(settings_set(db, "character_mcut", "false", &cause));
}

/* Every way the library changes keeps suggest_hist and the MCut cuts
 * right: answers again (--force), decisions, images going missing and
 * coming back, copies, deletions. */
static void
test_hist_upkeep(void)
{
	bool same = false;
	char *cause = NULL;
	CHECK(settings_set(db, "general_mcut", "false", &cause));
	CHECK(settings_set(db, "character_mcut", "false", &cause));
	CHECK(settings_set(db, "general_threshold", "0.35", &cause));
	for (int round = 0; round < 6; round++) {
		/* New answers, one with a tag twice (INSERT OR REPLACE drops a row),
		 * with a few more scores so that the MCut cuts move. */
		for (int k = 0; k < 5; k++) {
			int i = (int)rnd(N_IMAGES);
			struct db_pred p[8] = {
				{"t1", DB_CAT_GENERAL, 0.05f + (float)rnd(900) / 1000.0f},
				{"t1", DB_CAT_GENERAL, 0.4f}, {"c2", DB_CAT_CHARACTER, 0.9f},
				{"t8", DB_CAT_GENERAL, 0}, {"c0", DB_CAT_CHARACTER, 0},
				{"t0", DB_CAT_GENERAL, 0}, {"t9", DB_CAT_GENERAL, 0},
				{"c1", DB_CAT_CHARACTER, 0}};
			for (int j = 3; j < 8; j++) {
				p[j].score = 0.05f + (float)rnd(950) / 1000.0f;
			}
			float rating[4] = {0.5f, 0.2f, 0.1f, 0.1f};
			size_t n = 3 + rnd(6);
			CHECK(db_store_answer(db, ids[i], MODEL, rating, 0.05f, "t", p, n));
		}
		char *q = xasprintf(
		    "INSERT OR REPLACE INTO decisions SELECT %lld, id, 1, 1, 0 FROM tags WHERE name = 't3';"
		    "INSERT INTO decisions SELECT %lld, id, -1, 0, 0 FROM tags WHERE name = 't6'"
		    " ON CONFLICT DO UPDATE SET verdict = -verdict;"
		    "INSERT OR IGNORE INTO decisions SELECT %lld, id, 1, 0, 0 FROM tags WHERE name = 't7';"
		    "DELETE FROM decisions WHERE image_id = %lld;"
		    "UPDATE images SET state = 4 WHERE id = %lld;"
		    "UPDATE images SET state = 1 WHERE id = %lld AND state = 4;"
		    "UPDATE images SET content_id = (SELECT content_id FROM images WHERE id = %lld)"
		    " WHERE id = %lld;",
		    (long long)ids[rnd(N_IMAGES)], (long long)ids[rnd(N_IMAGES)],
		    (long long)ids[rnd(N_IMAGES)], (long long)ids[rnd(N_IMAGES)],
		    (long long)ids[rnd(N_IMAGES)], (long long)ids[rnd(N_IMAGES)],
		    (long long)ids[rnd(N_IMAGES)], (long long)ids[rnd(N_IMAGES)]);
		sql(q);
		free(q);
		CHECK(db_image_set_state(db, ids[rnd(N_IMAGES)], DB_STATE_MISSING, NULL));
		CHECK(db_search_hist_check(db, &same));
		if (!check_(same, "histogram kept by the triggers", __FILE__, __LINE__)) {
			fprintf(stderr, "    round %d\n", round);
			break;
		}
		compare_cuts(round);
	}
	/* An image deleted with its decisions. */
	char *q = xasprintf("DELETE FROM images WHERE id = %lld", (long long)ids[3]);
	sql(q);
	free(q);
	CHECK(db_search_hist_check(db, &same) && same);
	compare_cuts(6);
	/* And the count still agrees with the images' (missing ones skipped). */
	struct rules *r = rules_load(db, &cause);
	struct search_opts o;
	search_opts_init(&o, MODEL);
	rules_search_opts(r, &o);
	int64_t want = 0, got = -1;
	for (int i = 0; i < N_IMAGES; i++) {
		struct db_image img;
		bool found;
		CHECK(db_image_by_path(db, paths[i], &img, &found));
		if (found && img.state != DB_STATE_MISSING) {
			struct suggest_input in;
			struct suggest_result res;
			CHECK(suggest_load(db, ids[i], MODEL, &in));
			suggest_image(r, paths[i], &in, &res);
			want += (int64_t)res.n;
			suggest_result_fini(&res);
			suggest_input_fini(&in);
		}
		db_image_fini(&img);
	}
	CHECK(db_search_suggestions(db, &o, &got));
	CHECK_INT(got, want);
	rules_destroy(r);
}

int
main(void)
{
	db_file = tmppath("rules.db");
	char *cause = NULL;
	db = db_open(db_file, &cause);
	if (db == NULL) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	test_rule_validation();
	test_overrides();
	test_thresholds_and_cap();
	test_auto_confident();
	test_changed_since();
	test_presets();
	test_c_and_sql_agree();
	test_hist_upkeep();
	db_close(db);
	return check_done();
}
