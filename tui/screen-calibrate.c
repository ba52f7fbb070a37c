/*
 * screen-calibrate.c — the Calibration view: what the person's decisions
 * say about each tag (core/tag/calibrate.h), and what writing the proposed
 * thresholds would do to the library before it is done.  Opened from
 * Settings with C; Esc goes back there.
 *
 * Everything is read on the stats lane (every committed image's scores):
 * the table, then the library's pending suggestions now and with the
 * proposals (calibrate_impact(): the rules written in a transaction rolled
 * back).  A applies them (as `tagcon calibrate --apply` does), after which
 * every view reads the new rules.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/settings.h"
#include "core/tag/calibrate.h"
#include "core/tag/rules.h"
#include "db/db.h"
#include "tui/console.h"
#include "tui/term.h"
#include "tui/widget-list.h"

/* As `tagcon calibrate`: proposals need this many reviews, 5 right ones. */
#define MIN_REVIEWS 20
#define MIN_EVIDENCE 5

struct cal {
	struct console *c;
	struct list list;
	struct calibration result;
	bool have;
	bool pending;
	bool apply;          /* the running job writes the proposals first */
	double target;
	int64_t before;      /* pending suggestions now, and with the proposals */
	int64_t after;
	bool have_impact;
	size_t applied;      /* written by the last A */
	char *error;
};

struct cal_job {
	struct cal *s;
	char *model;
	bool apply;
	double target;
	struct calibration result;
	int64_t before, after;
	size_t applied;
	bool ok;
	bool impact;
	char *error;
};

static void
cal_work(void *arg, const struct console_job_ctx *ctx)
{
	struct cal_job *j = arg;
	char *cause = NULL;
	struct rules *r = ctx->db != NULL ? rules_load(ctx->db, &cause) : NULL;
	struct calib_opts o = {.target = j->target, .min_reviews = MIN_REVIEWS,
		.min_evidence = MIN_EVIDENCE};
	j->ok = r != NULL && calibrate_run(ctx->db, j->model, r, &o, &j->result, &cause);
	if (j->ok && j->apply) {
		j->ok = calibrate_apply(ctx->db, &j->result, MIN_REVIEWS, &j->applied, &cause);
		/* What is proposed now, under the rules just written. */
		calibration_fini(&j->result);
		rules_destroy(r);
		r = j->ok ? rules_load(ctx->db, &cause) : NULL;
		j->ok = r != NULL && calibrate_run(ctx->db, j->model, r, &o, &j->result, &cause);
	}
	if (j->ok && !atomic_load(ctx->cancel)) {
		j->impact = calibrate_impact(ctx->db, j->model, r, &j->result, MIN_REVIEWS,
		    &j->before, &j->after, &cause);
	}
	if (!j->ok || !j->impact) {
		j->error = cause != NULL ? cause : xstrdup(ctx->db != NULL ? db_errmsg(ctx->db)
		    : "the library cannot be opened");
		cause = NULL;
	}
	free(cause);
	rules_destroy(r);
}

static void
cal_done(void *arg, bool cancelled)
{
	struct cal_job *j = arg;
	struct cal *s = j->s;
	s->pending = false;
	if (!cancelled) {
		free(s->error);
		s->error = j->error;
		j->error = NULL;
		if (j->ok) {
			calibration_fini(&s->result);
			s->result = j->result;
			memset(&j->result, 0, sizeof j->result);
			s->have = true;
			s->target = j->target;
			s->have_impact = j->impact;
			s->before = j->before;
			s->after = j->after;
			list_set_count(&s->list, (int64_t)s->result.n);
		}
		if (j->ok && j->apply) {
			s->applied = j->applied;
			console_message(s->c, CONSOLE_OK, "wrote %zu threshold rule%s", j->applied,
			    j->applied == 1 ? "" : "s");
			console_settings_changed(s->c);
			console_data_changed(s->c);
		}
		console_redraw(s->c);
	}
	calibration_fini(&j->result);
	free(j->error);
	free(j->model);
	free(j);
}

static void
start(struct cal *s, bool apply)
{
	struct cal_job *j = xcalloc(1, sizeof *j);
	j->s = s;
	j->apply = apply;
	j->model = xstrdup(console_model(s->c));
	j->target = settings_get_float(console_db(s->c), "calibration_target");
	s->pending = true;
	console_job(s->c, LANE_STATS, JOB_CALIBRATE, cal_work, cal_done, j);
	console_redraw(s->c);
}

/* "0.950", or "-" for none. */
static void
ratio(char *buf, size_t size, double v)
{
	if (v < 0) {
		snprintf(buf, size, "-");
	} else {
		snprintf(buf, size, "%.3f", v);
	}
}

/* The tag column: room for the figures and a proposal at 80 columns. */
static int
name_width(int cols)
{
	return cols >= 100 ? 26 : cols >= 70 ? 16 : cols / 4;
}

static void
cal_row(void *ud, WINDOW *w, int y, int x, int width, int64_t index, bool is_cursor)
{
	struct cal *s = ud;
	const struct calib_tag *t = &s->result.tags[index];
	attr_t a = console_attr(s->c, is_cursor ? THEME_SELECTED : THEME_NORMAL);
	term_fill(w, y, x, width, a);
	int name_w = name_width(width);
	term_put(w, y, x, name_w, t->tag, a, false);
	char cut[16], prec[16], rec[16];
	if (t->cut < 0) {
		snprintf(cut, sizeof cut, "mcut");
	} else {
		ratio(cut, sizeof cut, t->cut);
	}
	ratio(prec, sizeof prec, t->precision);
	ratio(rec, sizeof rec, t->recall);
	int used = name_w + 1;
	used += term_printf(w, y, x + used, width - used, a, "%7lld %5lld %5s %6s %6s  ",
	    (long long)t->reviews, (long long)t->positives, cut, prec, rec);
	if (t->verdict == CALIB_PROPOSED) {
		term_printf(w, y, x + used, width - used, is_cursor ? a :
		    console_attr(s->c, THEME_OK), "%.3f (%lld; %.3f, %.3f)", t->proposed,
		    (long long)t->evidence, t->proposed_precision, t->proposed_recall);
	} else {
		term_put(w, y, x + used, width - used, t->verdict == CALIB_LITTLE ?
		    "too little evidence" : "no cut reaches the target",
		    is_cursor ? a : console_attr(s->c, THEME_DIM), false);
	}
}

static void
cal_draw(void *data, WINDOW *w)
{
	struct cal *s = data;
	int rows = getmaxy(w), cols = getmaxx(w);
	if (!s->have) {
		term_put(w, 0, 0, cols, s->error != NULL ? s->error :
		    "Calibration: reading every reviewed image…", console_attr(s->c,
		    s->error != NULL ? THEME_ERROR : THEME_TITLE), false);
		return;
	}
	term_printf(w, 0, 0, cols, console_attr(s->c, THEME_TITLE),
	    "Calibration: %lld reviewed image%s, target precision %.3f%s",
	    (long long)s->result.images, s->result.images == 1 ? "" : "s", s->target,
	    s->pending ? " (reading again…)" : "");
	if (s->have_impact) {
		term_printf(w, 1, 0, cols, console_attr(s->c, THEME_DIM),
		    "pending suggestions of the library: %lld now, %lld with the proposals (A)",
		    (long long)s->before, (long long)s->after);
	} else if (s->error != NULL) {
		term_put(w, 1, 0, cols, s->error, console_attr(s->c, THEME_ERROR), false);
	}
	attr_t h = console_attr(s->c, THEME_COLUMN);
	int name_w = name_width(cols);
	term_fill(w, 2, 0, cols, h);
	term_put(w, 2, 0, name_w, "Tag", h, false);
	term_put(w, 2, name_w + 1, cols - name_w - 1,
	    "reviews right   cut   prec recall  proposed cut (evidence; prec, recall)",
	    h, false);
	if (s->result.n == 0) {
		term_put(w, 4, 1, cols - 1, "Nothing reviewed yet: commit some images first.",
		    console_attr(s->c, THEME_DIM), false);
		return;
	}
	list_draw(&s->list, w, 3, 0, rows - 3, cols, cal_row, s, console_attr(s->c, THEME_BORDER));
}

static int
cal_key(void *data, int key)
{
	struct cal *s = data;
	if (list_key(&s->list, key, true)) {
		return REACT_REDRAW;
	}
	switch (key) {
	case KEYC_ESC:
		console_show(s->c, SCREEN_SETTINGS);
		return REACT_REDRAW;
	case 'A':
		if (!s->pending) {
			start(s, true);
		}
		return REACT_REDRAW;
	case KEYC_CTRL('R'):
		start(s, false);
		return REACT_REDRAW;
	default:
		return REACT_NONE;
	}
}

static void *
cal_create(struct console *c)
{
	struct cal *s = xcalloc(1, sizeof *s);
	s->c = c;
	list_init(&s->list);
	return s;
}

static void
cal_destroy(void *data)
{
	struct cal *s = data;
	calibration_fini(&s->result);
	free(s->error);
	free(s);
}

static void
cal_enter(void *data)
{
	start(data, false);
}

static const struct key_help cal_help[] = {
	{"A", "apply the proposed thresholds", true},
	{"^R", "read again", true},
	{"Esc", "back to Settings", true},
	{"?", "help", true},
	{"↑↓ PgUp PgDn", "move", false},
	{"", "per tag, from the committed images: reviews, right ones, the cut in force, its "
	    "precision and recall, and the lowest cut reaching calibration_target with at least "
	    "5 right ones above it; A writes those as threshold rules (tagcon rules list)", false},
	{NULL, NULL, false},
};

const struct screen_ops screen_calibrate_ops = {
	.name = "Calibration",
	.help = cal_help,
	.create = cal_create,
	.destroy = cal_destroy,
	.enter = cal_enter,
	.draw = cal_draw,
	.key = cal_key,
};
