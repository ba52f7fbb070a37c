/*
 * bench-tags.c — the tags figures of DESIGN.md §8 on a generated library
 * (gen_tags_db.py): a three-term search, a random pick, and the count of
 * every suggestion in the library after a threshold change, with fixed
 * thresholds and with MCut (searches for suggestions too).  Times the
 * library calls themselves, in-process: a `tagcon` process adds its own
 * start-up (about 0.15 s, mostly libvips) to every figure.
 *
 *   bench-tags DB [RUNS]
 *
 * TAGCON_BENCH_ONLY=settings times the Settings lines alone, =pages the
 * first pages of the search set, =scores the searches and randoms with
 * score:, rating: or suggested: terms (answered from the score sets,
 * db/scores.h), =answers the cost of storing an answer with the score
 * sets on and off (it WRITES: run it on a copy; the answers stored are
 * those read, so the content stays the same but for tagged_at);
 * TAGCON_BENCH_ENGINE=1 checks their changed images against the engine;
 * =rules adds the rules of a curated library (per-tag thresholds as
 * `calibrate` learns them, an exclusion, an alias, a pin, rules on
 * folders), times suggested: searches and the Settings lines under them,
 * and removes them again (it WRITES those rules, and removes them first
 * too, should a run have been killed); TAGCON_BENCH_STEP=TEXT times only the
 * Settings steps whose name holds TEXT ("MCut", "both"; "" for all of
 * them), and under =rules nothing else but the library count.
 * TAGCON_BENCH_QUERY=TEXT times only the searches and random picks whose
 * query holds TEXT, without their plain-SQL baselines (for a profiler)
 * unless TAGCON_BENCH_PLAIN=1.
 * The score sets are built (or folded) once before the searches, timed,
 * with their size; TAGCON_BENCH_REBUILD=1 builds them again even when
 * they are complete.
 *
 * Each case runs once cold (first figure), then RUNS times; the median,
 * minimum and maximum of those are printed with the target.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/tag/impact.h"
#include "core/tag/query.h"
#include "core/tag/rules.h"
#include "core/settings.h"
#include "db/db.h"
#include "db/postings.h"
#include "db/predictions.h"
#include "db/rules.h"
#include "db/scores.h"
#include "db/search.h"
#include "common/xalloc.h"

static struct db *db;
static struct search_opts base;
static const struct rules *rules;
static bool pages_only;  /* TAGCON_BENCH_ONLY=pages */
static bool scores_only; /* TAGCON_BENCH_ONLY=scores */
static const char *only_query; /* TAGCON_BENCH_QUERY */
static bool plain_too;          /* TAGCON_BENCH_PLAIN=1 */

/* Whether query q is one TAGCON_BENCH_QUERY leaves in. */
static bool
query_wanted(const char *q)
{
	return only_query == NULL || strstr(q, only_query) != NULL;
}
/* A connection of our own to the same file (WAL) for what db/ does not
 * offer: the score sets' size, the ids of answered images, turning the
 * score sets' triggers off. */
static sqlite3 *raw;
static int runs = 9;
static int mismatches;

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct job {
	const char *query;
	struct search_node *q;
	struct search_opts o;
	int64_t result;
};

static bool
count_row(void *ud, const struct search_hit *h)
{
	((struct job *)ud)->result++;
	return true;
}

static bool
do_page(struct job *j)
{
	j->result = 0;
	return db_search_each(db, j->q, &j->o, count_row, j);
}

static bool
do_count(struct job *j)
{
	return db_search_count(db, j->q, &j->o, &j->result);
}

static bool
do_random(struct job *j)
{
	bool found;
	j->result = 0;
	return db_search_random(db, j->q, &j->o, count_row, j, &found);
}

static bool
do_suggestions(struct job *j)
{
	return db_search_suggestions(db, &j->o, &j->result);
}

static void
measure_n(const char *what, struct job *j, bool (*fn)(struct job *), double target, int n)
{
	double t[64], first;
	n = n < 64 ? n : 64;
	double s = now_ms();
	if (!fn(j)) {
		printf("%-58s FAILED: %s\n", what, db_errmsg(db));
		return;
	}
	first = now_ms() - s;
	for (int i = 0; i < n; i++) {
		s = now_ms();
		fn(j);
		t[i] = now_ms() - s;
	}
	qsort(t, (size_t)n, sizeof t[0], by_value);
	printf("%-58s %9.2f ms median (%.2f..%.2f, first %.2f) -> %lld", what, t[n / 2], t[0],
	    t[n - 1], first, (long long)j->result);
	if (target > 0) {
		printf("  [target %g ms: %s]", target, t[n / 2] <= target ? "met" : "MISSED");
	}
	putchar('\n');
	fflush(stdout);
}

static void
measure(const char *what, struct job *j, bool (*fn)(struct job *), double target)
{
	measure_n(what, j, fn, target, runs);
}

/* The count from the posting lists (db/postings.h), then the same count in
 * plain SQL (TAGCON_POSTINGS=off; seconds at a million images, so timed
 * once after the cold run): the baseline of the same run, and the check
 * that both give the same number. */
static void
counts(const char *label, struct job *j)
{
	char what[200];
	int64_t n;
	bool answered = false;
	if (!db_postings_count(db, j->q, &j->o, true, &n, &answered) || !answered) {
		snprintf(what, sizeof what, "%s, count (plain SQL only)", label);
		measure_n(what, j, do_count, 0, 1);
		return;
	}
	snprintf(what, sizeof what, "%s, count", label);
	measure(what, j, do_count, 50);
	if (only_query != NULL && !plain_too) {
		return;
	}
	int64_t fast = j->result;
	setenv("TAGCON_POSTINGS", "off", 1);
	snprintf(what, sizeof what, "%s, count in plain SQL", label);
	measure_n(what, j, do_count, 0, 1);
	unsetenv("TAGCON_POSTINGS");
	if (j->result != fast) {
		printf("MISMATCH: %s: postings %lld, SQL %lld\n", label, (long long)fast,
		    (long long)j->result);
		mismatches++;
	}
}

/* The first page with the posting lists and score sets off (plain SQL
 * drives it): the baseline of the same run for a page the score sets may
 * drive (db/search.c fetches the rows by id when the bitmaps name few). */
static void
page_plain(const char *label, struct job *j)
{
	char what[200];
	if (only_query != NULL && !plain_too) {
		return;
	}
	setenv("TAGCON_POSTINGS", "off", 1);
	snprintf(what, sizeof what, "%s in plain SQL", label);
	measure(what, j, do_page, 0);
	unsetenv("TAGCON_POSTINGS");
}

static void
job_init(struct job *j, const char *query)
{
	memset(j, 0, sizeof *j);
	j->query = query;
	j->o = base;
	char *cause = NULL;
	if (!query_parse(query, NULL, &j->q, &cause, NULL)) {
		fprintf(stderr, "bench-tags: %s: %s\n", query, cause);
		exit(2);
	}
}

/* Whether a query has a term the score sets answer, the sizes' slices
 * among them (TAGCON_BENCH_ONLY=scores: the terms answered since schema
 * 13). */
static bool
scored(const char *query)
{
	static const char *const terms[] = {"score:", "suggested:", "rating:", "model:", "width:",
		"height:", "size:"};
	for (size_t i = 0; i < sizeof terms / sizeof terms[0]; i++) {
		if (strstr(query, terms[i]) != NULL) {
			return true;
		}
	}
	return false;
}

static void
searches(void)
{
	static const char *const three[] = {
		"1girl solo -monochrome", "tag_0042 1girl -monochrome",
		"1girl long_hair -smile", "suggested:1girl suggested:solo -monochrome",
		"character_007 tag_0100 | tag_0200 smile",
		/* The densest: a third of the library and more. */
		"1girl", "-monochrome", "1girl | solo | long_hair -1boy", "tag_00*",
		/* From the score sets: a dense tag's bands from a hundredth on,
		 * and off the hundredths (the scores between read from the
		 * predictions); a rare tag's; one score exactly; a rating with a
		 * tag, a negated rating; suggested: of a rare tag at the fixed
		 * threshold. */
		"score:1girl>0.5", "score:1girl<0.355", "score:tag_0042>=0.2", "score:1girl=0.5",
		"rating:q 1girl", "solo -rating:g", "suggested:tag_0042",
		/* The images a model answered, from its answered set. */
		"model:*swinv2* -solo",
		/* The README's example (orientation sets, schema 15). */
		"1girl solo -monochrome rating:g orientation:portrait", "portrait | square",
		/* Sizes, from their bit slices (schema 17; their columns' indexes
		 * without score sets): one end, both ends. */
		"width:>=1920", "1girl width:>=1920 -monochrome", "size:>2mb solo",
		"height:1000..1100 size:<1mb -solo",
	};
	char what[160];
	for (size_t i = 0; i < sizeof three / sizeof three[0]; i++) {
		if ((scores_only && !scored(three[i])) || !query_wanted(three[i])) {
			continue;
		}
		struct job j;
		job_init(&j, three[i]);
		j.o.limit = 100;
		snprintf(what, sizeof what, "search '%s', first 100 by path", three[i]);
		measure(what, &j, do_page, 50);
		if (scored(three[i])) {
			page_plain(what, &j);
		}
		j.o.limit = -1;
		if (!pages_only) {
			snprintf(what, sizeof what, "search '%s'", three[i]);
			counts(what, &j);
		}
		search_node_destroy(j.q);
	}
	/* The Library sorted by size, largest first (an index since schema 16). */
	static const char *const by_size[] = {"", "1girl solo"};
	for (size_t i = 0; i < sizeof by_size / sizeof by_size[0]; i++) {
		if (scores_only || !query_wanted(by_size[i])) {
			continue;
		}
		struct job j;
		job_init(&j, by_size[i]);
		j.o.sort = SEARCH_SORT_SIZE;
		j.o.descending = true;
		j.o.limit = 100;
		snprintf(what, sizeof what, "search '%s', first 100 by size", by_size[i]);
		measure(what, &j, do_page, 50);
		search_node_destroy(j.q);
	}
	/* The rating filter from the score sets: the images rated above s
	 * taken out of the matches. */
	static const char *const rated[] = {"1girl", "score:1girl>0.5"};
	for (size_t i = 0; i < sizeof rated / sizeof rated[0]; i++) {
		if (!query_wanted(rated[i])) {
			continue;
		}
		struct job j;
		job_init(&j, rated[i]);
		j.o.max_rating = RATING_S;
		j.o.limit = 100;
		snprintf(what, sizeof what, "search '%s', max rating s, first 100", rated[i]);
		measure(what, &j, do_page, 50);
		page_plain(what, &j);
		j.o.limit = -1;
		if (!pages_only) {
			snprintf(what, sizeof what, "search '%s', max rating s", rated[i]);
			counts(what, &j);
		}
		search_node_destroy(j.q);
	}
}

static void
randoms(void)
{
	static const char *const queries[] = {
		"", "1girl solo -monochrome", "tag_0042", "character_007 rating:e",
		"score:1girl>0.9",
	};
	char what[160];
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		if ((scores_only && !scored(queries[i])) || !query_wanted(queries[i])) {
			continue;
		}
		struct job j;
		job_init(&j, queries[i]);
		j.o.max_rating = RATING_S;
		snprintf(what, sizeof what, "random '%s', max rating s", queries[i]);
		measure(what, &j, do_random, 50);
		search_node_destroy(j.q);
	}
}

/* suggested: terms under MCut: each score against its answer's stored cut. */
static void
mcut_searches(void)
{
	static const struct {
		const char *query;
		bool general, character;
	} cases[] = {
		{"suggested:1girl suggested:solo -monochrome", true, false},
		{"suggested:tag_0042", true, false},
		{"suggested:character_007 suggested:1girl", true, true},
	};
	char what[160];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (!query_wanted(cases[i].query)) {
			continue;
		}
		struct job j;
		job_init(&j, cases[i].query);
		j.o.cut.general_mcut = cases[i].general;
		j.o.cut.character_mcut = cases[i].character;
		const char *mode = cases[i].character ? "MCut" : "general MCut";
		j.o.limit = 100;
		snprintf(what, sizeof what, "search '%s', %s, first 100", cases[i].query, mode);
		measure(what, &j, do_page, 50);
		page_plain(what, &j);
		j.o.limit = -1;
		snprintf(what, sizeof what, "search '%s', %s", cases[i].query, mode);
		counts(what, &j);
		search_node_destroy(j.q);
	}
}

static void
suggestions(void)
{
	static const double general[] = {0.35, 0.5, 0.62, 0.2};
	char what[160];
	for (size_t i = 0; i < sizeof general / sizeof general[0]; i++) {
		struct job j;
		job_init(&j, "");
		j.o.cut.general_threshold = general[i];
		snprintf(what, sizeof what, "suggestions in the library, general %.2f", general[i]);
		measure(what, &j, do_suggestions, 1000);
		search_node_destroy(j.q);
	}
	static const struct {
		const char *what;
		bool general, character;
	} mcut[] = {
		{"suggestions in the library, general MCut", true, false},
		{"suggestions in the library, general and character MCut", true, true},
		{"suggestions in the library, character MCut", false, true},
	};
	for (size_t i = 0; i < sizeof mcut / sizeof mcut[0]; i++) {
		struct job j;
		job_init(&j, "");
		j.o.cut.general_mcut = mcut[i].general;
		j.o.cut.character_mcut = mcut[i].character;
		measure(mcut[i].what, &j, do_suggestions, 1000);
		search_node_destroy(j.q);
	}
}

/* ---- the Settings screen's two lines ------------------------------------------------ */

struct step {
	const char *what;
	struct db_cut from;
	struct db_cut to;
	struct impact res;
	int64_t before;
	int64_t after;
};

static bool
do_changed(struct job *j)
{
	struct step *st = (struct step *)j->q;
	atomic_bool cancel = false;
	bool ok = impact_changed(db, base.model, rules, st->from, st->to, &cancel, &st->res);
	j->result = st->res.changed;
	return ok;
}

static bool
do_pending(struct job *j)
{
	struct step *st = (struct step *)j->q;
	bool ok = impact_pending(db, base.model, rules, st->from, st->to, &st->before, &st->after);
	j->result = st->after;
	return ok;
}

/*
 * A threshold step as the Settings screen makes it, to both lines: the
 * pending suggestions before and after (two counts), and the images whose
 * suggestions change.  The first question builds the score bands (once per
 * library, after the migration to schema 12).  With TAGCON_BENCH_ENGINE=1
 * the changed images are also counted by the engine on every image, the
 * reference the bands must equal (minutes at a million images).
 */
static void
settings_lines(void)
{
	struct db_cut g = base.cut, m = base.cut;
	g.general_mcut = g.character_mcut = false;
	struct db_cut up = g, down = g, off = g, chr = g, gm = g, cm = g, both = g;
	/* As the Settings form steps: to the hundredth (tui/widget-field.c). */
	up.general_threshold = round(g.general_threshold * 100 + 1) / 100;
	down.general_threshold = round(g.general_threshold * 100 - 1) / 100;
	off.general_threshold = round(g.general_threshold * 1000 + 5) / 1000;
	chr.character_threshold = round(g.character_threshold * 100 - 1) / 100;
	gm.general_mcut = true;
	cm.character_mcut = true;
	both.general_mcut = both.character_mcut = true;
	(void)m;
	struct step steps[] = {
		{"general +0.01", g, up, {0}, 0, 0},
		{"general -0.01", g, down, {0}, 0, 0},
		{"general +0.005 (typed, off the hundredths)", g, off, {0}, 0, 0},
		{"character -0.01", g, chr, {0}, 0, 0},
		{"general MCut on", g, gm, {0}, 0, 0},
		{"character MCut on", g, cm, {0}, 0, 0},
		{"general MCut off", gm, g, {0}, 0, 0},
		{"both MCut on", g, both, {0}, 0, 0},
	};
	const char *engine = getenv("TAGCON_BENCH_ENGINE");
	/* TAGCON_BENCH_STEP=TEXT: only the steps whose name holds TEXT. */
	const char *only_step = getenv("TAGCON_BENCH_STEP");
	char what[200];
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct step *st = &steps[i];
		if (only_step != NULL && strstr(st->what, only_step) == NULL) {
			continue;
		}
		struct job j = {.q = (struct search_node *)st};
		snprintf(what, sizeof what, "Settings, %s: images that change", st->what);
		measure(what, &j, do_changed, 300);
		snprintf(what, sizeof what, "Settings, %s: pending before, after", st->what);
		measure(what, &j, do_pending, 300);
		if (engine != NULL && strcmp(engine, "1") == 0) {
			struct impact e;
			atomic_bool cancel = false;
			double t = now_ms();
			bool ok = impact_changed_by_engine(db, base.model, rules, st->from, st->to,
			    &cancel, &e);
			snprintf(what, sizeof what, "Settings, %s: by the engine on every image",
			    st->what);
			printf("%-58s %9.2f ms once -> %lld%s\n", what, now_ms() - t,
			    (long long)e.changed, !ok ? " FAILED" : e.changed == st->res.changed &&
			    e.inexact == st->res.inexact ? " (the same)" : " DIFFERS");
			mismatches += !ok || e.changed != st->res.changed || e.inexact != st->res.inexact;
		}
		printf("%-58s %lld of %lld images, %lld approximate; pending %lld -> %lld\n", "",
		    (long long)st->res.changed, (long long)st->res.images,
		    (long long)st->res.inexact, (long long)st->before, (long long)st->after);
	}
}

/* ---- under the rules of a curated library --------------------------------------------- */

#define F(n) "/bench/tags/f000" #n
static const struct db_rule curated[] = {
	{.kind = DB_RULE_THRESHOLD, .tag = "smile", .value = 0.45},
	{.kind = DB_RULE_THRESHOLD, .tag = "long_hair", .value = 0.3},
	{.kind = DB_RULE_THRESHOLD, .tag = "1girl", .value = 0.5, .folder = F(1)},
	{.kind = DB_RULE_THRESHOLD, .tag = "1girl", .value = 0.6, .folder = F(2)},
	{.kind = DB_RULE_EXCLUDE, .tag = "monochrome"},
	{.kind = DB_RULE_EXCLUDE, .tag = "tag_09*", .folder = F(2)},
	{.kind = DB_RULE_ALIAS, .tag = "tag_0100", .target = "tag_0101"},
	{.kind = DB_RULE_PIN, .tag = "wip", .folder = F(3)},
};
#define N_CURATED (sizeof curated / sizeof curated[0])
/* tag_0000 to tag_0019 at 0.25, as bench-count's figures have them. */
#define N_TAIL_RULES 20

static bool
curated_rules(bool add)
{
	char name[32];
	bool ok = true, done;
	for (int i = 0; i < (int)N_CURATED + N_TAIL_RULES; i++) {
		struct db_rule r = i < (int)N_CURATED ? curated[i]
		    : (struct db_rule){.kind = DB_RULE_THRESHOLD, .tag = name, .value = 0.25};
		snprintf(name, sizeof name, "tag_%04d", i - (int)N_CURATED);
		ok = ok && (add ? db_rule_add(db, &r, &done)
		    : db_rule_remove(db, r.kind, r.tag, r.folder, &done));
	}
	return ok;
}

static void
under_rules(void)
{
	if (!curated_rules(false) || !curated_rules(true)) {
		printf("rules: FAILED: %s\n", db_errmsg(db));
		mismatches++;
		return;
	}
	char *cause = NULL;
	struct rules *r = rules_load(db, &cause);
	const struct rules *saved = rules;
	struct search_opts saved_base = base;
	rules = r;
	rules_search_opts(r, &base);
	static const char *const q[] = {
		"suggested:1girl", "suggested:smile", "suggested:long_hair suggested:1girl",
		"suggested:tag_0101", "suggested:tag_0005", "suggested:wip",
		"suggested:smile -suggested:long_hair", "suggested:monochrome",
	};
	char what[160];
	/* TAGCON_BENCH_STEP: the Settings steps alone. */
	size_t n_q = getenv("TAGCON_BENCH_STEP") != NULL ? 0 : sizeof q / sizeof q[0];
	for (size_t i = 0; i < n_q; i++) {
		struct job j;
		job_init(&j, q[i]);
		j.o.limit = 100;
		snprintf(what, sizeof what, "rules: search '%s', first 100 by path", q[i]);
		measure(what, &j, do_page, 50);
		page_plain(what, &j);
		j.o.limit = -1;
		snprintf(what, sizeof what, "rules: search '%s'", q[i]);
		counts(what, &j);
		search_node_destroy(j.q);
	}
	struct job j;
	job_init(&j, "");
	measure("rules: suggestions in the library", &j, do_suggestions, 300);
	int64_t fast = j.result;
	if (n_q > 0) {
		setenv("TAGCON_POSTINGS", "off", 1);
		measure_n("rules: suggestions in the library, without the score sets", &j,
		    do_suggestions, 0, 1);
		unsetenv("TAGCON_POSTINGS");
		if (j.result != fast) {
			printf("MISMATCH: suggestions under rules: %lld, without the sets %lld\n",
			    (long long)fast, (long long)j.result);
			mismatches++;
		}
	}
	search_node_destroy(j.q);
	settings_lines();
	rules = saved;
	base = saved_base;
	rules_destroy(r);
	if (!curated_rules(false)) {
		printf("rules: not removed: %s\n", db_errmsg(db));
		mismatches++;
	}
}

/* ---- the score sets: their build, their size, the cost of storing answers ---------- */

/* One row of up to two integers from our own connection; false (and the
 * error printed) when the statement fails. */
static bool
raw_row(const char *sql, int64_t *a, int64_t *b)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(raw, sql, -1, &st, NULL) != SQLITE_OK) {
		printf("%-58s %s: %s\n", "", sql, sqlite3_errmsg(raw));
		return false;
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*a = sqlite3_column_int64(st, 0);
		if (b != NULL) {
			*b = sqlite3_column_count(st) > 1 ? sqlite3_column_int64(st, 1) : 0;
		}
	} else {
		printf("%-58s %s: %s\n", "", sql, sqlite3_errmsg(raw));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

/* The file and its WAL, after a checkpoint that empties the WAL (so that
 * sizes before and after compare). */
static double
file_bytes(const char *path)
{
	sqlite3_wal_checkpoint_v2(raw, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	struct stat sb;
	double n = stat(path, &sb) == 0 ? (double)sb.st_size : 0;
	char *wal = xasprintf("%s-wal", path);
	n += stat(wal, &sb) == 0 ? (double)sb.st_size : 0;
	free(wal);
	return n;
}

/* Bytes in pages of the score sets' tables and indexes (dbstat), -1 when
 * dbstat is not there. */
static double
score_pages(void)
{
	sqlite3_stmt *names, *st;
	if (sqlite3_prepare_v2(raw, "SELECT name FROM sqlite_schema WHERE tbl_name IN"
	    " ('scores', 'scores_log') AND type IN ('table', 'index')", -1, &names, NULL)
	    != SQLITE_OK) {
		return -1;
	}
	if (sqlite3_prepare_v2(raw, "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?1",
	    -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(names);
		return -1;
	}
	double total = 0;
	while (sqlite3_step(names) == SQLITE_ROW) {
		sqlite3_bind_text(st, 1, (const char *)sqlite3_column_text(names, 0), -1,
		    SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW) {
			total += (double)sqlite3_column_int64(st, 0);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(names);
	return total;
}

/*
 * The score sets built by the first count that needs them (once per
 * library after the migration to schema 13): built here before the
 * searches and timed, or folded when they are complete (built again with
 * TAGCON_BENCH_REBUILD=1); then what they take.
 */
static void
score_sets(const char *path, int64_t images)
{
	const char *rebuild = getenv("TAGCON_BENCH_REBUILD");
	bool force = rebuild != NULL && strcmp(rebuild, "1") == 0;
	/* Whether a build ran before (more rows than its marks); how they are
	 * stored is scores.c's business, so no more than that. */
	int64_t rows = 0, bits = 0;
	raw_row("SELECT count(*) FROM scores", &rows, NULL);
	bool build = force || rows <= 2;
	double before = file_bytes(path);
	double t = now_ms();
	bool ok = build ? db_scores_build(db) : db_scores_fold(db);
	t = now_ms() - t;
	const char *what = build ? "score sets built" : "score sets folded (or built: they were there)";
	if (!ok) {
		printf("%-58s FAILED: %s\n", what, db_errmsg(db));
		mismatches++;
		return;
	}
	printf("%-58s %9.2f ms\n", what, t);
	double after = file_bytes(path);
	double per = images > 0 ? (double)images : 1;
	if (raw_row("SELECT count(*), coalesce(sum(length(bits)), 0) FROM scores", &rows, &bits)) {
		double pages = score_pages();
		printf("%-58s %lld rows, %.1f MiB of bitmaps (%.1f bytes per image)", "score sets' size",
		    (long long)rows, (double)bits / 1048576, (double)bits / per);
		if (pages >= 0) {
			printf("; tables and indexes %.1f MiB in pages", pages / 1048576);
		}
		putchar('\n');
	}
	printf("%-58s %.0f -> %.0f MiB, %.0f -> %.0f bytes per image\n", "file with WAL, checkpointed",
	    before / 1048576, after / 1048576, before / per, after / per);
	fflush(stdout);
}

struct answer {
	int64_t id;
	struct db_tagged t;
	struct db_pred *preds;
	size_t n, cap;
};

static void
keep_pred(void *ud, const struct db_pred *p)
{
	struct answer *a = ud;
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 32;
		a->preds = xreallocarray(a->preds, a->cap, sizeof *a->preds);
	}
	a->preds[a->n] = *p;
	a->preds[a->n++].tag = xstrdup(p->tag);
}

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* n images the model answered for, drawn with seed (without repeats). */
static int64_t *
answered_images(const char *model, size_t *n, uint64_t seed)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(raw, "SELECT i.id FROM images i JOIN tagged t"
	    " ON t.content_id = i.content_id JOIN models m ON m.id = t.model_id WHERE m.name = ?1"
	    " ORDER BY i.id", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench-tags: %s\n", sqlite3_errmsg(raw));
		exit(1);
	}
	sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	int64_t *ids = NULL;
	size_t len = 0, cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			ids = xreallocarray(ids, cap, sizeof *ids);
		}
		ids[len++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	*n = *n < len ? *n : len;
	for (size_t i = 0; i < *n; i++) {
		size_t k = i + (size_t)(splitmix(&seed) % (len - i));
		int64_t x = ids[i];
		ids[i] = ids[k];
		ids[k] = x;
	}
	return ids;
}

struct pass {
	double median, p99, total, fold; /* ms; fold: of what the pass left, -1 for none */
	double cpu;                      /* ms of this process's CPU in the 2,000 calls */
	int64_t log;                     /* log entries the pass left */
};

/* CPU time of this process: the wall time less what it waited for (the
 * disk, or a core another job held). */
static double
cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The median of n times (copied: the caller's order stays). */
static double
tenth_median(const double *t, size_t n)
{
	double *c = xmemdup(t, n * sizeof *t);
	qsort(c, n, sizeof *c, by_value);
	double m = c[n / 2];
	free(c);
	return m;
}

/* Every answer stored again as it was (db_store_answer folds the log
 * itself when it has grown); then, with the score sets on, the fold of
 * what is left in their log. */
static bool
store_pass(const char *label, struct answer *a, size_t n, const char *model, bool on,
    struct pass *p)
{
	double *t = xcalloc(n, sizeof *t);
	p->total = 0;
	double cpu = cpu_ms();
	for (size_t i = 0; i < n; i++) {
		double s = now_ms();
		if (!db_store_answer(db, a[i].id, model, a[i].t.rating, a[i].t.floor, a[i].t.space,
		    a[i].preds, a[i].n)) {
			printf("%-58s FAILED at image %lld: %s\n", label, (long long)a[i].id,
			    db_errmsg(db));
			free(t);
			return false;
		}
		t[i] = now_ms() - s;
		p->total += t[i];
	}
	p->cpu = cpu_ms() - cpu;
	/* The first and the last tenth apart: a cost that grows with the
	 * log shows there. */
	size_t tenth = n / 10 > 0 ? n / 10 : 1;
	double first = tenth_median(t, tenth), last = tenth_median(t + n - tenth, tenth);
	qsort(t, n, sizeof *t, by_value);
	p->median = t[n / 2];
	p->p99 = t[n * 99 / 100];
	free(t);
	p->log = 0;
	raw_row("SELECT count(*) FROM scores_log", &p->log, NULL);
	p->fold = -1;
	if (on) {
		double s = now_ms();
		if (!db_scores_fold(db)) {
			printf("%-58s fold FAILED: %s\n", label, db_errmsg(db));
			return false;
		}
		p->fold = now_ms() - s;
	}
	printf("%-58s %7.3f ms median, %7.3f p99, %8.1f ms in all (%.3f per answer, %.3f of"
	    " CPU); median of the first tenth %.3f, of the last %.3f", label, p->median, p->p99,
	    p->total, p->total / (double)n, p->cpu / (double)n, first, last);
	if (on) {
		printf("; log %lld entries, folded after in %.1f ms", (long long)p->log, p->fold);
	} else {
		printf("; log %lld entries", (long long)p->log);
	}
	putchar('\n');
	fflush(stdout);
	return true;
}

static void
ratio(const char *label, const struct pass *on, const struct pass *off)
{
	printf("%-58s median %.2fx, p99 %.2fx, in all %.2fx, in all with the fold %.2fx,"
	    " CPU %.2fx\n", label, on->median / off->median, on->p99 / off->p99,
	    on->total / off->total, (on->total + (on->fold > 0 ? on->fold : 0)) / off->total,
	    on->cpu / off->cpu);
}

/* A count from the sets against plain SQL after the writes (a MISMATCH
 * is a bug of the triggers or the fold). */
static void
check_counts(const char *when)
{
	static const char *const queries[] = {"score:1girl>0.5", "rating:q 1girl",
	    "suggested:1girl"};
	char what[200];
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		struct job j;
		job_init(&j, queries[i]);
		j.o.limit = -1;
		snprintf(what, sizeof what, "search '%s' %s", queries[i], when);
		counts(what, &j);
		search_node_destroy(j.q);
	}
}

/*
 * TAGCON_BENCH_ONLY=answers: the cost of the score sets to the answer
 * store.  TAGCON_BENCH_ANSWERS (2,000) images the model answered for,
 * drawn with seed TAGCON_BENCH_SEED (16); their answers read, then stored
 * again as they were: with the score sets on (as built), with them off
 * (postings_state.scores = 0: the triggers log nothing), then built again
 * and on a second time (the order's share: the first pass reads the pages
 * cold).  Leaves the score sets built.
 */
static void
answers(const char *model)
{
	const char *v = getenv("TAGCON_BENCH_ANSWERS");
	size_t n = v != NULL && atol(v) > 0 ? (size_t)atol(v) : 2000;
	v = getenv("TAGCON_BENCH_SEED");
	uint64_t seed = v != NULL ? strtoull(v, NULL, 10) : 16;
	double s = now_ms();
	int64_t *ids = answered_images(model, &n, seed);
	struct answer *a = xcalloc(n, sizeof *a);
	size_t preds = 0;
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		a[i].id = ids[i];
		if (!db_image_tagged(db, ids[i], model, &a[i].t, &found) || !found ||
		    !db_image_predictions(db, ids[i], model, keep_pred, &a[i])) {
			printf("answers: image %lld: %s\n", (long long)ids[i],
			    found ? db_errmsg(db) : "no answer");
			exit(1);
		}
		preds += a[i].n;
	}
	free(ids);
	printf("%-58s %zu images, %.1f predictions each, read in %.0f ms (seed %llu)\n",
	    "answers to store again", n, n > 0 ? (double)preds / (double)n : 0, now_ms() - s,
	    (unsigned long long)seed);
	if (n == 0) {
		return;
	}
	struct pass on1, off, on2;
	if (!store_pass("answers stored, score sets on", a, n, model, true, &on1)) {
		return;
	}
	check_counts("after the answers, sets on");
	char *err = NULL;
	if (sqlite3_exec(raw, "UPDATE postings_state SET scores = 0 WHERE id = 1", NULL, NULL, &err)
	    != SQLITE_OK) {
		printf("answers: turning the score sets off: %s\n", err);
		sqlite3_free(err);
		return;
	}
	if (!store_pass("answers stored, score sets off", a, n, model, false, &off)) {
		return;
	}
	s = now_ms();
	if (!db_scores_build(db)) {
		printf("%-58s FAILED: %s\n", "score sets built again", db_errmsg(db));
		return;
	}
	printf("%-58s %9.2f ms\n", "score sets built again", now_ms() - s);
	if (!store_pass("answers stored, score sets on (again, after off)", a, n, model, true,
	    &on2)) {
		return;
	}
	ratio("answers, on / off (on first)", &on1, &off);
	ratio("answers, on again / off (on after off)", &on2, &off);
	check_counts("after the answers, folded");
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < a[i].n; k++) {
			free((char *)a[i].preds[k].tag);
		}
		free(a[i].preds);
		db_tagged_fini(&a[i].t);
	}
	free(a);
}

int
main(int argc, char **argv)
{
	xalloc_keep_freed(); /* as tagcon's main() does */
	if (argc < 2) {
		fprintf(stderr, "usage: bench-tags DB [RUNS]\n");
		return 2;
	}
	runs = argc > 2 ? atoi(argv[2]) : runs;
	char *cause = NULL;
	db = db_open(argv[1], &cause);
	if (db == NULL) {
		fprintf(stderr, "bench-tags: %s\n", cause);
		return 1;
	}
	if (sqlite3_open_v2(argv[1], &raw, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench-tags: %s: %s\n", argv[1], sqlite3_errmsg(raw));
		return 1;
	}
	sqlite3_busy_timeout(raw, 30000);
	struct rules *r = rules_load(db, &cause);
	rules = r;
	char *model = settings_get(db, "model");
	search_opts_init(&base, model);
	rules_search_opts(r, &base);
	base.max_rating = RATING_E;
	struct db_counts c = {0};
	if (db_counts(db, model, &c)) {
		struct stat sb;
		double size = stat(argv[1], &sb) == 0 ? (double)sb.st_size : 0;
		printf("library: %lld images, %.0f MiB, %.0f bytes per image; runs per case: %d\n",
		    (long long)c.total, size / 1048576, c.total > 0 ? size / (double)c.total : 0,
		    runs);
	}
	/* The posting lists are built by the first count that needs them:
	 * once per library (after the migration to schema 10). */
	double s = now_ms();
	if (db_postings_fold(db)) {
		printf("%-58s %9.2f ms\n", "posting lists built or folded", now_ms() - s);
	}
	/* TAGCON_BENCH_ONLY=settings: the Settings lines alone; =pages: the
	 * first pages; =scores: the searches of the score sets; =answers:
	 * storing answers with the score sets on and off. */
	const char *only = getenv("TAGCON_BENCH_ONLY");
	only = only != NULL ? only : "";
	only_query = getenv("TAGCON_BENCH_QUERY");
	plain_too = getenv("TAGCON_BENCH_PLAIN") != NULL &&
	    strcmp(getenv("TAGCON_BENCH_PLAIN"), "1") == 0;
	if (strcmp(only, "pages") == 0) {
		pages_only = true;
		searches();
	} else if (strcmp(only, "settings") == 0) {
		settings_lines();
	} else {
		score_sets(argv[1], c.total);
		if (strcmp(only, "answers") == 0) {
			answers(model);
		} else if (strcmp(only, "rules") == 0) {
			under_rules();
		} else if (strcmp(only, "scores") == 0) {
			scores_only = true;
			searches();
			mcut_searches();
			randoms();
		} else {
			searches();
			mcut_searches();
			randoms();
			suggestions();
			settings_lines();
		}
	}
	if (mismatches > 0) {
		printf("%d MISMATCH(ES) or failures: see above\n", mismatches);
	}
	rules_destroy(r);
	free(model);
	sqlite3_close(raw);
	db_close(db);
	return mismatches > 0;
}
