/*
 * cmd-calibrate.c — tagcon calibrate [--json] [--target P] [--apply
 * [--min-reviews N]]: per tag, what the person's decisions say about the
 * model's scores, and the threshold that would reach the target precision
 * (core/tag/calibrate.h); --apply writes the proposed ones as threshold rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/settings.h"
#include "core/tag/calibrate.h"
#include "core/tag/rules.h"
#include "db/db.h"
#include "tui/cli.h"
#include "tui/out.h"

static int exec_calibrate(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_calibrate_entry = {
	.name = "calibrate",
	.usage = "[--json] [--target P] [--min-reviews N] [--apply]",
	.help = "per-tag precision and recall from your decisions; thresholds that reach a "
	    "target precision",
	.exec = exec_calibrate,
};

#define MIN_REVIEWS 20
#define MIN_EVIDENCE 5

static const char *const verdicts[] = {"proposed", "too little evidence",
	"no cut reaches the target"};

/* A number for a ratio or a cut, null when it has none (< 0). */
static void
add_ratio(cJSON *o, const char *name, double v)
{
	if (v < 0) {
		cJSON_AddNullToObject(o, name);
	} else {
		cJSON_AddNumberToObject(o, name, v);
	}
}

static void
print_json(const struct calibration *c, double target, int64_t applied)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "images", (double)c->images);
	cJSON_AddNumberToObject(doc, "target", target);
	cJSON *tags = cJSON_AddArrayToObject(doc, "tags");
	for (size_t i = 0; i < c->n; i++) {
		const struct calib_tag *t = &c->tags[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "tag", out_json_text(t->tag));
		cJSON_AddStringToObject(o, "category", db_category_name(t->category));
		cJSON_AddNumberToObject(o, "reviews", (double)t->reviews);
		cJSON_AddNumberToObject(o, "positives", (double)t->positives);
		add_ratio(o, "cut", t->cut);
		add_ratio(o, "precision", t->precision);
		add_ratio(o, "recall", t->recall);
		cJSON_AddStringToObject(o, "verdict", verdicts[t->verdict]);
		if (t->verdict == CALIB_PROPOSED) {
			cJSON_AddNumberToObject(o, "proposed", t->proposed);
			cJSON_AddNumberToObject(o, "evidence", (double)t->evidence);
			cJSON_AddNumberToObject(o, "proposed_precision", t->proposed_precision);
			cJSON_AddNumberToObject(o, "proposed_recall", t->proposed_recall);
		}
		cJSON_AddItemToArray(tags, o);
	}
	if (applied >= 0) {
		cJSON_AddNumberToObject(doc, "applied", (double)applied);
	}
	out_json(doc);
}

/* "0.95" or "-" for none. */
static const char *
ratio(char *buf, size_t size, double v)
{
	if (v < 0) {
		return "-";
	}
	snprintf(buf, size, "%.3f", v);
	return buf;
}

static void
print_text(const struct calibration *c, double target)
{
	printf("%lld reviewed image%s; target precision %.3f\n", (long long)c->images,
	    c->images == 1 ? "" : "s", target);
	if (c->n == 0) {
		return;
	}
	printf("%-28s %7s %6s %6s %9s %6s  %s\n", "tag", "reviews", "right", "cut", "precision",
	    "recall", "proposed cut (evidence: reviews above; precision, recall there)");
	for (size_t i = 0; i < c->n; i++) {
		const struct calib_tag *t = &c->tags[i];
		char a[16], b[16], d[16];
		out_safe(stdout, t->tag);
		size_t len = strlen(t->tag);
		printf("%*s %7lld %6lld %6s %9s %6s  ", len < 28 ? (int)(28 - len) : 0, "",
		    (long long)t->reviews, (long long)t->positives,
		    t->cut < 0 ? "mcut" : ratio(a, sizeof a, t->cut), ratio(b, sizeof b, t->precision),
		    ratio(d, sizeof d, t->recall));
		if (t->verdict == CALIB_PROPOSED) {
			printf("%.3f (%lld; %.3f, %.3f)\n", t->proposed, (long long)t->evidence,
			    t->proposed_precision, t->proposed_recall);
		} else {
			printf("%s\n", verdicts[t->verdict]);
		}
	}
}

/* A number in [lo, hi] from option name, or false after saying why. */
static bool
number(const char *name, const char *text, double lo, double hi, double *v)
{
	char *end;
	*v = strtod(text, &end);
	if (*text == '\0' || *end != '\0' || !(*v >= lo && *v <= hi)) {
		out_error("calibrate: %s '%s' is not a number from %g to %g", name, text, lo, hi);
		return false;
	}
	return true;
}

static int
exec_calibrate(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--json", "--target=", "--min-reviews=", "--apply",
		NULL};
	bool flags[4] = {0};
	const char *values[4] = {0};
	argc = cli_options(&cmd_calibrate_entry, argc, argv, names, flags, values);
	if (argc != 0) {
		return argc < 0 ? EXIT_USAGE : cli_usage(&cmd_calibrate_entry);
	}
	double target = 0, min_reviews = MIN_REVIEWS;
	if ((flags[1] && !number("--target", values[1], 0.5, 1, &target)) ||
	    (flags[2] && !number("--min-reviews", values[2], 1, 1e9, &min_reviews))) {
		return EXIT_USAGE;
	}
	struct db *db = cli_db(cli);
	if (db == NULL) {
		return EXIT_FAILURES;
	}
	if (!flags[1]) {
		target = settings_get_float(db, "calibration_target");
	}
	char *cause = NULL, *model = settings_get(db, "model");
	struct rules *r = rules_load(db, &cause);
	struct calib_opts o = {.target = target, .min_reviews = (int64_t)min_reviews,
		.min_evidence = MIN_EVIDENCE};
	struct calibration c = {0};
	size_t applied = 0;
	bool ok = r != NULL && calibrate_run(db, model, r, &o, &c, &cause) &&
	    (!flags[3] || calibrate_apply(db, &c, o.min_reviews, &applied, &cause));
	if (!ok) {
		out_error("calibrate: %s", cause != NULL ? cause : "failed");
	} else if (flags[0]) {
		print_json(&c, target, flags[3] ? (int64_t)applied : -1);
	} else {
		print_text(&c, target);
		if (flags[3]) {
			printf("wrote %zu threshold rule%s (tagcon rules list shows them)\n", applied,
			    applied == 1 ? "" : "s");
		}
	}
	calibration_fini(&c);
	rules_destroy(r);
	free(model);
	free(cause);
	return ok ? EXIT_OK : db_busy(db) ? EXIT_BUSY : EXIT_FAILURES;
}
