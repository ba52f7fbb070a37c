/*
 * bench-curation.c — a simulated curator (issue 15): how many keys a
 * person spends to reach a given quality of committed tags, with the
 * global thresholds against thresholds learned from the first reviews and
 * uncertainty-first order.
 *
 *   bench-curation [--images N] [--seed S] [--first F] [--margin M] [--keep DB]
 *
 * The library (generated in a temporary database, N = 2400 by default):
 * 40 general tags with hidden truth.  Each tag has a prevalence (3-35 %)
 * and one of three calibrations; a score is sigmoid(mu + sigma z), z
 * normal, with mu and sigma by calibration and truth:
 *   good             true N(2.0, 1.0)   false N(-4.0, 1.2)
 *   over-confident   true N(2.5, 0.8)   false N(-1.2, 1.0): many wrong
 *                    scores between 0.2 and 0.6
 *   under-confident  true N(-0.9, 0.8)  false N(-4.5, 0.8): right scores
 *                    around 0.3, many under 0.35
 * Half the tags are good, a quarter each of the others.  Scores under the
 * floor (0.05) are not stored, as a Space call at the floor leaves them;
 * everything is written with db_store_answer(), as a batch does.
 *
 * The curator sees what the console's Review lists (review_create(), the
 * one suggestion engine) and spends keys as a person would there, knowing
 * the truth: `a` (accept every suggestion) then, for each wrong one, moves
 * of the cursor to it and `x`; or, when that is cheaper, moves and Space
 * on each right suggestion; a right tag listed as a near miss costs the
 * moves and Space; a right tag not listed costs `+`, three letters, Tab,
 * Enter (6); `c` commits and opens the next image.  Every image reviewed
 * ends with exactly its true tags.
 *
 * Figures, for the same final quality of the committed tags against the
 * truth (precision >= 0.99 and recall >= 0.95), where the images not
 * reviewed are committed with their suggestions (`tagcon commit`):
 *   global      review in order under the global thresholds until the rest
 *               can be committed as suggested;
 *   learned     review the first F (200) images so, `calibrate --apply`
 *               (calibrate_run(), calibrate_apply()), then review the rest
 *               in order, uncertainty-first (suggest_confidence(), lowest
 *               first), until the rest can be committed as suggested.
 * The stopping point is the first that reaches the quality, found with
 * the truth (the same hindsight for both).  Also: keys per right committed
 * tag, the suggestions' precision and recall on the images after the
 * first F under either thresholds, and what `commit --confident` would
 * commit (confidence >= M, default 0.1, and half and 1.5 times that under
 * the learned thresholds) and its precision.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "core/settings.h"
#include "core/tag/calibrate.h"
#include "core/tag/review.h"
#include "core/tag/rules.h"
#include "db/db.h"
#include "db/images.h"
#include "db/predictions.h"

#define MODEL "SmilingWolf/wd-swinv2-tagger-v3"
#define N_TAGS 40
#define FLOOR 0.05
#define ADD_KEYS 6

static const char *const tag_names[N_TAGS] = {
	"smile", "long_hair", "holding", "open_mouth", "blush", "short_hair",
	"looking_at_viewer", "skirt", "shirt", "outdoors", "sky", "cloud", "tree", "flower",
	"hat", "jacket", "standing", "sitting", "food", "cup", "book", "water", "night", "day",
	"window", "dress", "glasses", "bag", "animal", "cat", "dog", "car", "building", "grass",
	"rain", "snow", "sword", "gloves", "boots", "scarf",
};

enum calib { GOOD, OVER, UNDER };

struct tagdef {
	double prevalence;
	enum calib cal;
};

struct world {
	struct db *db;
	int n;
	int64_t *ids;
	char **paths;
	uint64_t *truth; /* bit t: the image truly has tag t */
	struct tagdef tags[N_TAGS];
};

/* ---- random --------------------------------------------------------------------- */

static uint64_t rng;

static double
uniform(void)
{
	rng += 0x9e3779b97f4a7c15ull;
	uint64_t z = rng;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double
normal(void)
{
	return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

static float
draw_score(enum calib cal, bool truth)
{
	static const double mu[3][2] = {{-4.0, 2.0}, {-1.2, 2.5}, {-4.5, -0.9}};
	static const double sigma[3][2] = {{1.2, 1.0}, {1.0, 0.8}, {0.8, 0.8}};
	double x = mu[cal][truth] + sigma[cal][truth] * normal();
	return (float)(1 / (1 + exp(-x)));
}

/* ---- the library ---------------------------------------------------------------- */

static void
generate(struct world *w)
{
	int64_t root, folder = 0;
	if (!db_root_add(w->db, "/bench/curation", &root)) {
		fprintf(stderr, "bench-curation: %s\n", db_errmsg(w->db));
		exit(1);
	}
	for (int t = 0; t < N_TAGS; t++) {
		w->tags[t].prevalence = 0.03 + 0.32 * uniform();
		w->tags[t].cal = t % 4 == 1 ? OVER : t % 4 == 3 ? UNDER : GOOD;
	}
	for (int i = 0; i < w->n; i++) {
		if (i % 200 == 0) {
			char *f = xasprintf("/bench/curation/f%02d", i / 200);
			db_folder_get(w->db, root, f, &folder);
			free(f);
		}
		w->paths[i] = xasprintf("/bench/curation/f%02d/%05d.jpg", i / 200, i);
		struct db_image img = {.folder_id = folder, .path = w->paths[i], .width = 512,
			.height = 512, .has_hash = true};
		memcpy(img.hash, &i, sizeof i);
		img.hash[15] = 0xc5;
		if (!db_image_insert(w->db, &img)) {
			fprintf(stderr, "bench-curation: %s\n", db_errmsg(w->db));
			exit(1);
		}
		w->ids[i] = img.id;
		struct db_pred p[N_TAGS];
		size_t n = 0;
		for (int t = 0; t < N_TAGS; t++) {
			bool truth = uniform() < w->tags[t].prevalence;
			w->truth[i] |= (uint64_t)truth << t;
			float s = draw_score(w->tags[t].cal, truth);
			if (s >= FLOOR) {
				p[n++] = (struct db_pred){tag_names[t], DB_CAT_GENERAL, s};
			}
		}
		float rating[4] = {0.9f, 0.05f, 0.03f, 0.02f};
		if (!db_store_answer(w->db, w->ids[i], MODEL, rating, (float)FLOOR, "bench", p, n)) {
			fprintf(stderr, "bench-curation: %s\n", db_errmsg(w->db));
			exit(1);
		}
	}
}

static int
tag_index(const char *name)
{
	for (int t = 0; t < N_TAGS; t++) {
		if (strcmp(tag_names[t], name) == 0) {
			return t;
		}
	}
	return -1;
}

/* ---- one image, seen by the curator --------------------------------------------- */

struct seen {
	int keys;        /* reviewing it */
	int decisions;   /* tags the person acted on one by one */
	int tp, fp, fn;  /* committing its suggestions unreviewed */
	int truths;
	double confidence;
};

/* Whether tag i of the review is truly on image k. */
static bool
is_true(const struct world *w, int k, const struct review_tag *t)
{
	int ti = tag_index(t->tag);
	return ti >= 0 && (w->truth[k] >> ti & 1);
}

/* Keys to visit the listed positions (ascending) from the top, one key per
 * action there. */
static int
visit_cost(const size_t *pos, size_t n)
{
	int keys = 0;
	size_t cur = 0;
	for (size_t i = 0; i < n; i++) {
		keys += (int)(pos[i] > cur ? pos[i] - cur : cur - pos[i]) + 1;
		cur = pos[i];
	}
	return keys;
}

/* What image k's review asks of the curator; with commit, the review is
 * carried out and committed. */
static struct seen
look(struct world *w, const struct rules *r, int k, bool commit)
{
	struct seen s = {0};
	struct review_opts ro = {.mode = REVIEW_MODE_REQUIRED};
	char *cause = NULL;
	struct review *rv = review_create(w->db, w->ids[k], MODEL, r, &ro, &cause);
	if (rv == NULL) {
		fprintf(stderr, "bench-curation: %s\n", cause);
		exit(1);
	}
	size_t n = review_count(rv);
	size_t *wrong = xcalloc(n + 1, sizeof *wrong), *right = xcalloc(n + 1, sizeof *right);
	size_t *missed = xcalloc(n + 1, sizeof *missed);
	size_t n_wrong = 0, n_right = 0, n_missed = 0;
	uint64_t listed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct review_tag *t = review_tag(rv, i);
		bool truth = is_true(w, k, t);
		int ti = tag_index(t->tag);
		listed |= ti >= 0 ? (uint64_t)1 << ti : 0;
		if (t->suggested) {
			if (truth) {
				right[n_right++] = i;
			} else {
				wrong[n_wrong++] = i;
			}
		} else if (truth) {
			missed[n_missed++] = i;
		}
	}
	int unlisted = __builtin_popcountll(w->truth[k] & ~listed);
	s.truths = __builtin_popcountll(w->truth[k]);
	s.tp = (int)n_right;
	s.fp = (int)n_wrong;
	s.fn = s.truths - s.tp;
	s.confidence = review_confidence(rv);
	/* `a` then fix the wrong ones, or take the right ones one by one. */
	int all_then_fix = (n_right + n_wrong > 0 ? 1 : 0) + visit_cost(wrong, n_wrong);
	int one_by_one = visit_cost(right, n_right);
	bool fix = all_then_fix <= one_by_one;
	s.keys = (fix ? all_then_fix : one_by_one) + visit_cost(missed, n_missed) +
	    ADD_KEYS * unlisted + 1;
	s.decisions = (int)((fix ? n_wrong : n_right) + n_missed) + unlisted;
	if (commit) {
		if (fix) {
			review_accept_all(rv);
			for (size_t i = 0; i < n_wrong; i++) {
				review_toggle_reject(rv, wrong[i]);
			}
		} else {
			for (size_t i = 0; i < n_right; i++) {
				review_toggle_accept(rv, right[i]);
			}
		}
		for (size_t i = 0; i < n_missed; i++) {
			review_toggle_accept(rv, missed[i]);
		}
		for (int t = 0; t < N_TAGS; t++) {
			if ((w->truth[k] & ~listed) >> t & 1) {
				review_add(rv, w->db, tag_names[t], &cause);
			}
		}
		if (!review_commit(rv, w->db, &cause)) {
			fprintf(stderr, "bench-curation: %s\n", cause);
			exit(1);
		}
	}
	free(wrong);
	free(right);
	free(missed);
	review_destroy(rv);
	return s;
}

/* ---- scenarios ------------------------------------------------------------------ */

struct outcome {
	int reviewed;   /* images reviewed after the first ones */
	long keys;      /* all of them, the first ones included */
	long decisions;
	long right;     /* right committed tags */
	double precision, recall;
	bool reached;
};

static const struct seen *order_seen;

static int
by_confidence(const void *a, const void *b)
{
	double x = order_seen[*(const int *)a].confidence;
	double y = order_seen[*(const int *)b].confidence;
	return (x > y) - (x < y);
}

/*
 * Review images[order[0..k)) and commit the rest as suggested, for the
 * smallest k reaching the quality.  base_* are the first images' figures.
 */
static struct outcome
stop_early(const struct seen *s, const int *order, int n, long base_keys, long base_dec,
    long base_truths)
{
	long tp = 0, fp = 0, fn = 0, truths = base_truths;
	for (int i = 0; i < n; i++) {
		tp += s[order[i]].tp;
		fp += s[order[i]].fp;
		fn += s[order[i]].fn;
	}
	struct outcome o = {.keys = base_keys, .decisions = base_dec};
	for (int k = 0; k <= n; k++) {
		/* Reviewed images are exact: their truths are right tags. */
		double right = (double)(truths + tp);
		o.precision = right / (right + (double)fp);
		o.recall = right / (right + (double)fn);
		if (o.precision >= 0.99 && o.recall >= 0.95) {
			o.reviewed = k;
			o.right = (long)right;
			o.reached = true;
			return o;
		}
		if (k < n) {
			const struct seen *x = &s[order[k]];
			o.keys += x->keys;
			o.decisions += x->decisions;
			truths += x->truths;
			tp -= x->tp;
			fp -= x->fp;
			fn -= x->fn;
		}
	}
	return o;
}

static void
print_outcome(const char *name, const struct outcome *o, int first)
{
	printf("  %-34s %5d images reviewed, %6ld keys, %5ld decisions, %.3f keys per right tag;"
	    " precision %.4f, recall %.4f%s\n", name, first + o->reviewed, o->keys, o->decisions,
	    (double)o->keys / (double)o->right, o->precision, o->recall,
	    o->reached ? "" : " (not reached)");
}

/* Precision and recall of the suggestions of images[from..n) under r. */
static void
suggestion_quality(const char *name, const struct seen *s, int from, int n)
{
	long tp = 0, fp = 0, fn = 0;
	for (int i = from; i < n; i++) {
		tp += s[i].tp;
		fp += s[i].fp;
		fn += s[i].fn;
	}
	printf("  suggestions %-22s precision %.4f, recall %.4f (%ld right, %ld wrong, %ld"
	    " missed)\n", name, (double)tp / (double)(tp + fp), (double)tp / (double)(tp + fn), tp,
	    fp, fn);
}

static void
confident(const struct seen *s, int from, int n, double margin)
{
	long tp = 0, fp = 0, fn = 0;
	int images = 0;
	for (int i = from; i < n; i++) {
		if (s[i].confidence >= margin) {
			images++;
			tp += s[i].tp;
			fp += s[i].fp;
			fn += s[i].fn;
		}
	}
	printf("  margin %.3f: %d of %d images, precision %.4f, recall"
	    " %.4f\n", margin, images, n - from, tp + fp > 0 ? (double)tp / (double)(tp + fp) : 1,
	    tp + fn > 0 ? (double)tp / (double)(tp + fn) : 1);
}

static struct rules *
load_rules(struct db *db)
{
	char *cause = NULL;
	struct rules *r = rules_load(db, &cause);
	if (r == NULL) {
		fprintf(stderr, "bench-curation: %s\n", cause);
		exit(1);
	}
	return r;
}

static void
run(struct world *w, int first, double margin)
{
	struct rules *global = load_rules(w->db);
	struct seen *g = xcalloc((size_t)w->n, sizeof *g);
	long base_keys = 0, base_dec = 0, base_truths = 0;
	for (int i = 0; i < w->n; i++) {
		g[i] = look(w, global, i, i < first);
		if (i < first) {
			base_keys += g[i].keys;
			base_dec += g[i].decisions;
			base_truths += g[i].truths;
		}
	}
	char *cause = NULL;
	struct calib_opts co = {.target = settings_get_float(w->db, "calibration_target"),
		.min_reviews = 20, .min_evidence = 5};
	struct calibration cal;
	size_t written = 0;
	if (!calibrate_run(w->db, MODEL, global, &co, &cal, &cause) ||
	    !calibrate_apply(w->db, &cal, co.min_reviews, &written, &cause)) {
		fprintf(stderr, "bench-curation: %s\n", cause);
		exit(1);
	}
	int proposed[3] = {0};
	for (size_t i = 0; i < cal.n; i++) {
		proposed[cal.tags[i].verdict]++;
	}
	struct rules *learned = load_rules(w->db);
	struct seen *l = xcalloc((size_t)w->n, sizeof *l);
	for (int i = first; i < w->n; i++) {
		l[i] = look(w, learned, i, false);
	}
	int rest = w->n - first;
	int *in_order = xcalloc((size_t)rest, sizeof *in_order);
	int *uncertain = xcalloc((size_t)rest, sizeof *uncertain);
	for (int i = 0; i < rest; i++) {
		in_order[i] = uncertain[i] = first + i;
	}
	order_seen = l;
	qsort(uncertain, (size_t)rest, sizeof *uncertain, by_confidence);
	long all_keys = base_keys;
	for (int i = first; i < w->n; i++) {
		all_keys += g[i].keys;
	}
	struct outcome og = stop_early(g, in_order, rest, base_keys, base_dec, base_truths);
	struct outcome ol = stop_early(l, in_order, rest, base_keys, base_dec, base_truths);
	struct outcome ou = stop_early(l, uncertain, rest, base_keys, base_dec, base_truths);
	order_seen = g;
	int *g_uncertain = xcalloc((size_t)rest, sizeof *g_uncertain);
	memcpy(g_uncertain, in_order, (size_t)rest * sizeof *g_uncertain);
	qsort(g_uncertain, (size_t)rest, sizeof *g_uncertain, by_confidence);
	struct outcome gu = stop_early(g, g_uncertain, rest, base_keys, base_dec, base_truths);
	printf("bench-curation: %d images, %d general tags (%d good, %d over-, %d under-confident),"
	    " first %d reviewed, then calibrate --apply: %zu thresholds written (%d too little"
	    " evidence, %d unreachable)\n", w->n, N_TAGS, N_TAGS / 2, N_TAGS / 4, N_TAGS / 4, first,
	    written, proposed[CALIB_LITTLE], proposed[CALIB_UNREACHABLE]);
	printf("  reviewing every image, global thresholds: %ld keys\n", all_keys);
	printf(" to precision >= 0.99, recall >= 0.95 (the rest committed as suggested):\n");
	print_outcome("global, in order", &og, first);
	print_outcome("global, uncertainty-first", &gu, first);
	print_outcome("learned, in order", &ol, first);
	print_outcome("learned, uncertainty-first", &ou, first);
	printf("  keys, learned + uncertainty-first / global in order: %.3f\n",
	    (double)ou.keys / (double)og.keys);
	printf(" on the %d images after the first %d:\n", rest, first);
	suggestion_quality("global", g, first, w->n);
	suggestion_quality("learned", l, first, w->n);
	printf(" commit --confident, global thresholds:\n");
	confident(g, first, w->n, margin);
	printf(" commit --confident, learned thresholds:\n");
	for (int k = 1; k <= 3; k++) {
		confident(l, first, w->n, margin * k / 2);
	}
	free(g_uncertain);
	free(in_order);
	free(uncertain);
	free(g);
	free(l);
	calibration_fini(&cal);
	rules_destroy(global);
	rules_destroy(learned);
}

int
main(int argc, char **argv)
{
	int n = 2400, first = 200;
	double margin = 0.1;
	uint64_t seed = 15;
	const char *keep = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--images") == 0) {
			n = atoi(argv[i + 1]);
		} else if (strcmp(argv[i], "--seed") == 0) {
			seed = strtoull(argv[i + 1], NULL, 0);
		} else if (strcmp(argv[i], "--first") == 0) {
			first = atoi(argv[i + 1]);
		} else if (strcmp(argv[i], "--margin") == 0) {
			margin = strtod(argv[i + 1], NULL);
		} else if (strcmp(argv[i], "--keep") == 0) {
			keep = argv[i + 1];
		} else {
			fprintf(stderr, "usage: bench-curation [--images N] [--seed S] [--first F]"
			    " [--margin M] [--keep DB]\n");
			return 2;
		}
	}
	if (n < first + 1 || first < 0) {
		fprintf(stderr, "bench-curation: --images must exceed --first\n");
		return 2;
	}
	rng = seed;
	char tmp[] = "/tmp/bench-curation-XXXXXX";
	char *file = keep != NULL ? xstrdup(keep) : NULL;
	if (file == NULL) {
		if (mkdtemp(tmp) == NULL) {
			perror("bench-curation: mkdtemp");
			return 1;
		}
		file = xasprintf("%s/curation.db", tmp);
	} else {
		unlink(file);
	}
	char *cause = NULL;
	struct world w = {.n = n};
	w.db = db_open(file, &cause);
	if (w.db == NULL) {
		fprintf(stderr, "bench-curation: %s\n", cause);
		return 1;
	}
	w.ids = xcalloc((size_t)n, sizeof *w.ids);
	w.paths = xcalloc((size_t)n, sizeof *w.paths);
	w.truth = xcalloc((size_t)n, sizeof *w.truth);
	generate(&w);
	run(&w, first, margin);
	db_close(w.db);
	if (keep == NULL) {
		const char *const suffixes[] = {"", "-wal", "-shm"};
		for (int k = 0; k < 3; k++) {
			char *f = xasprintf("%s%s", file, suffixes[k]);
			unlink(f);
			free(f);
		}
		rmdir(tmp);
	}
	for (int i = 0; i < n; i++) {
		free(w.paths[i]);
	}
	free(w.paths);
	free(w.ids);
	free(w.truth);
	free(file);
	return 0;
}
