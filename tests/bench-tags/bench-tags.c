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
 * first pages of the search set;
 * TAGCON_BENCH_ENGINE=1 checks their changed images against the engine.
 *
 * Each case runs once cold (first figure), then RUNS times; the median,
 * minimum and maximum of those are printed with the target.
 */
#include <math.h>
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
#include "db/search.h"

static struct db *db;
static struct search_opts base;
static const struct rules *rules;
static bool pages_only; /* TAGCON_BENCH_ONLY=pages */
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
counts(const char *query, struct job *j)
{
	char what[200];
	int64_t n;
	bool answered = false;
	if (!db_postings_count(db, j->q, &j->o, &n, &answered) || !answered) {
		snprintf(what, sizeof what, "search '%s', count (plain SQL only)", query);
		measure_n(what, j, do_count, 0, 1);
		return;
	}
	snprintf(what, sizeof what, "search '%s', count", query);
	measure(what, j, do_count, 50);
	int64_t fast = j->result;
	setenv("TAGCON_POSTINGS", "off", 1);
	snprintf(what, sizeof what, "search '%s', count in plain SQL", query);
	measure_n(what, j, do_count, 0, 1);
	unsetenv("TAGCON_POSTINGS");
	if (j->result != fast) {
		printf("MISMATCH: '%s': postings %lld, SQL %lld\n", query, (long long)fast,
		    (long long)j->result);
		mismatches++;
	}
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

static void
searches(void)
{
	static const char *const three[] = {
		"1girl solo -monochrome", "tag_0042 1girl -monochrome",
		"1girl long_hair -smile", "suggested:1girl suggested:solo -monochrome",
		"character_007 tag_0100 | tag_0200 smile",
		/* The densest: a third of the library and more. */
		"1girl", "-monochrome", "1girl | solo | long_hair -1boy", "tag_00*",
	};
	char what[160];
	for (size_t i = 0; i < sizeof three / sizeof three[0]; i++) {
		struct job j;
		job_init(&j, three[i]);
		j.o.limit = 100;
		snprintf(what, sizeof what, "search '%s', first 100 by path", three[i]);
		measure(what, &j, do_page, 50);
		j.o.limit = -1;
		if (!pages_only) {
			counts(three[i], &j);
		}
		search_node_destroy(j.q);
	}
}

static void
randoms(void)
{
	static const char *const queries[] = {
		"", "1girl solo -monochrome", "tag_0042", "character_007 rating:e",
	};
	char what[160];
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
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
		struct job j;
		job_init(&j, cases[i].query);
		j.o.cut.general_mcut = cases[i].general;
		j.o.cut.character_mcut = cases[i].character;
		const char *mode = cases[i].character ? "MCut" : "general MCut";
		j.o.limit = 100;
		snprintf(what, sizeof what, "search '%s', %s, first 100", cases[i].query, mode);
		measure(what, &j, do_page, 50);
		j.o.limit = -1;
		snprintf(what, sizeof what, "search '%s', %s, count", cases[i].query, mode);
		measure_n(what, &j, do_count, 0, 1);
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
	char what[200];
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct step *st = &steps[i];
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

int
main(int argc, char **argv)
{
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
	struct rules *r = rules_load(db, &cause);
	rules = r;
	char *model = settings_get(db, "model");
	search_opts_init(&base, model);
	rules_search_opts(r, &base);
	base.max_rating = RATING_E;
	struct db_counts c;
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
	/* TAGCON_BENCH_ONLY=settings: the Settings lines alone. */
	const char *only = getenv("TAGCON_BENCH_ONLY");
	if (only != NULL && strcmp(only, "pages") == 0) {
		pages_only = true;
		searches();
		rules_destroy(r);
		free(model);
		db_close(db);
		return mismatches > 0;
	}
	if (only == NULL || strcmp(only, "settings") != 0) {
		searches();
		mcut_searches();
		randoms();
		suggestions();
	}
	settings_lines();
	rules_destroy(r);
	free(model);
	db_close(db);
	return mismatches > 0;
}
