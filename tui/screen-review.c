/*
 * screen-review.c — one image: its preview (rendered on the preview lane)
 * and its tags (core/review.h), grouped rating / character / general.
 */

#include <stdlib.h>
#include <string.h>

#include "core/image/probe.h"
#include "core/options.h"
#include "core/tag/review.h"
#include "core/settings.h"
#include "db/browse.h"
#include "db/db.h"
#include "db/review.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/term.h"
#include "tui/widget-query.h"
#include "tui/widget-list.h"
#include "tui/widget-preview.h"

#define MIN_PREVIEW_COLS 70

enum row_kind { ROW_HEADER, ROW_RATING, ROW_TAG };

struct drow {
	enum row_kind kind;
	size_t index; /* tag index, or rating 0..3 */
	const char *title;
	enum db_category category;
};

struct rev {
	struct console *c;
	struct review *r;
	struct db_browse_row img;
	bool have_img;
	char *model;
	struct review_opts opts;
	unsigned settings_gen;
	int max_preview; /* 0..3: g s q e */

	struct drow *rows;
	size_t n_rows;
	struct list list;

	struct pview *pv;
	bool revealed;

	struct query_input *add; /* the "add tag" prompt, with completion */
	int confirm; /* a key that asked "again to confirm" */
	bool claimed; /* this console holds the image's claim (db/review.h) */
};

/* Claims: renewed while this screen shows the image, dropped soon after it
 * does not (or when the console dies: they expire). */
#define CLAIM_TTL 60
#define CLAIM_RENEW_MS 5000


/* --- loading ------------------------------------------------------------ */

static void
add_row(struct rev *s, enum row_kind kind, size_t index, const char *title,
    enum db_category cat)
{
	s->rows = xreallocarray(s->rows, s->n_rows + 1, sizeof *s->rows);
	s->rows[s->n_rows++] = (struct drow){kind, index, title, cat};
}

static const char *
group_title(enum db_category c)
{
	return c == DB_CAT_CHARACTER ? "Character" : c == DB_CAT_GENERAL ? "General" : "Other";
}

static int
group_key(enum db_category c)
{
	return c == DB_CAT_CHARACTER ? 0 : c == DB_CAT_GENERAL ? 1 : 2;
}

/* Display rows: headers, the four rating scores, then the tags by group. */
static void
build_rows(struct rev *s)
{
	free(s->rows);
	s->rows = NULL;
	s->n_rows = 0;
	float rating[4];
	if (s->r != NULL && review_rating(s->r, rating)) {
		add_row(s, ROW_HEADER, 0, "Rating", DB_CAT_RATING);
		for (size_t i = 0; i < 4; i++) {
			add_row(s, ROW_RATING, i, NULL, DB_CAT_RATING);
		}
	}
	int group = -1;
	for (size_t i = 0; s->r != NULL && i < review_count(s->r); i++) {
		const struct review_tag *t = review_tag(s->r, i);
		if (group_key(t->category) != group) {
			group = group_key(t->category);
			add_row(s, ROW_HEADER, 0, group_title(t->category), t->category);
		}
		add_row(s, ROW_TAG, i, NULL, t->category);
	}
	list_set_count(&s->list, (int64_t)s->n_rows);
}

/* Keep the cursor on a tag row, looking in direction dir first. */
static void
settle_cursor(struct rev *s, int dir)
{
	int64_t c = s->list.cursor;
	for (int pass = 0; pass < 2; pass++) {
		for (int64_t i = c; i >= 0 && i < (int64_t)s->n_rows; i += dir) {
			if (s->rows[i].kind == ROW_TAG) {
				list_set_cursor(&s->list, i);
				return;
			}
		}
		dir = -dir;
	}
}

static void
read_settings(struct rev *s)
{
	struct db *db = console_db(s->c);
	free(s->model);
	s->model = settings_get(db, "model");
	if (s->model == NULL) {
		s->model = xstrdup("");
	}
	s->opts = options_review(db);
	char *m = settings_get(db, "max_preview_rating");
	s->max_preview = rating_parse(m) >= 0 ? rating_parse(m) : RATING_E;
	free(m);
	s->settings_gen = console_settings_gen(s->c);
}

static void request_preview(struct rev *s);
static void prefetch_next(struct rev *s);
static void follow_settings(struct rev *s);

static void
clear_image(struct rev *s)
{
	console_set_review(s->c, NULL);
	review_destroy(s->r);
	s->r = NULL;
	free(s->img.path);
	free(s->img.error);
	memset(&s->img, 0, sizeof s->img);
	s->have_img = false;
	pview_clear(s->pv);
	s->revealed = false;
	s->confirm = 0;
}

static bool
load_image(struct rev *s, int64_t id)
{
	struct db *db = console_db(s->c);
	bool found = false;
	char *cause = NULL;
	clear_image(s);
	if (!db_browse_image(db, id, s->model, &s->img, &found) || !found) {
		console_message(s->c, CONSOLE_ERROR, "%s", found ? db_errmsg(db)
		    : "image not found");
		build_rows(s);
		return false;
	}
	s->have_img = true;
	/* Another curator may have it open: say so (it is shown all the same
	 * when asked for by name; r and next pass it over). */
	if (!db_claim(db, id, CLAIM_TTL, &s->claimed) || !s->claimed) {
		console_message(s->c, CONSOLE_WARN, "another console has this image open");
	}
	const struct rules *rules = console_rules(s->c);
	s->r = rules != NULL ? review_create(db, id, s->model, rules, &s->opts, &cause) : NULL;
	if (rules == NULL) {
		cause = xstrdup(db_errmsg(db));
	}
	console_set_review(s->c, s->r);
	if (s->r == NULL) {
		console_message(s->c, CONSOLE_ERROR, "%s", cause);
		free(cause);
	}
	build_rows(s);
	list_set_cursor(&s->list, 0);
	settle_cursor(s, 1);
	request_preview(s);
	prefetch_next(s);
	return true;
}

/* Show image id. */
static void
open_image(struct rev *s, int64_t id)
{
	if (s->settings_gen != console_settings_gen(s->c)) {
		read_settings(s);
	}
	load_image(s, id);
	console_redraw(s->c);
}

static const char *
current_path(const struct rev *s)
{
	return s->have_img ? s->img.path : NULL;
}

/* The next (or previous) pending image, wrapping around once. */
static int64_t
find_pending(struct rev *s, const char *from, bool backwards)
{
	struct db_browse_filter f;
	console_browse_filter(s->c, &f);
	f.state = DB_STATE_TAGGED;
	int64_t id = 0;
	struct db *db = console_db(s->c);
	if (!db_browse_next(db, &f, from, backwards, &id) ||
	    (id == 0 && from != NULL && !db_browse_next(db, &f, NULL, backwards, &id))) {
		console_message(s->c, CONSOLE_ERROR, "%s", db_errmsg(db));
		return 0;
	}
	return id;
}

static void
go_pending(struct rev *s, bool backwards)
{
	char *from = current_path(s) != NULL ? xstrdup(current_path(s)) : NULL;
	int64_t id = find_pending(s, from, backwards);
	if (id == 0) {
		console_message(s->c, CONSOLE_INFO, "no image waits for review");
	} else if (s->have_img && id == s->img.id) {
		console_message(s->c, CONSOLE_INFO, "this is the only image waiting for review");
	} else {
		load_image(s, id);
	}
	free(from);
}

/* Show the next pending (tagged, not committed) image after image from
 * (0: from the start) in the Library's folder and text filter. */
static void
open_next(struct rev *s, int64_t from)
{
	if (s->settings_gen != console_settings_gen(s->c)) {
		read_settings(s);
	}
	if (from != 0 && (!s->have_img || s->img.id != from)) {
		load_image(s, from);
		if (s->have_img && s->img.state == DB_STATE_TAGGED && s->claimed) {
			return;
		}
	}
	go_pending(s, false);
	console_redraw(s->c);
}


/* --- preview ------------------------------------------------------------ */

/* The cells the preview gets: the left part of the body, below the title. */
static bool
preview_box(int *cols, int *rows)
{
	int body_rows = LINES - 2, body_cols = COLS;
	if (body_cols < MIN_PREVIEW_COLS || body_rows < 6) {
		return false;
	}
	*cols = body_cols * 45 / 100;
	*rows = body_rows - 1;
	return true;
}

/* Whether the image's rating is above max_preview_rating. */
static bool
hidden_by_rating(const struct rev *s)
{
	return s->have_img && s->img.rating > s->max_preview && !s->revealed;
}

static void
request_preview(struct rev *s)
{
	int cols, rows;
	if (s->have_img && !hidden_by_rating(s) && preview_box(&cols, &rows)) {
		pview_request(s->pv, s->img.id, s->img.path, cols, rows);
	}
}

/* The image c (commit and next) and n would show, rendered ahead so that
 * it appears without waiting for a decode. */
static void
prefetch_next(struct rev *s)
{
	int cols, rows;
	if (!s->have_img || !preview_box(&cols, &rows)) {
		return;
	}
	int64_t id = find_pending(s, s->img.path, false);
	struct db_browse_row row;
	bool found = false;
	memset(&row, 0, sizeof row);
	if (id != 0 && id != s->img.id &&
	    db_browse_image(console_db(s->c), id, s->model, &row, &found) && found &&
	    row.rating <= s->max_preview) {
		pview_prefetch(s->pv, id, row.path, cols, rows);
	}
	free(row.path);
	free(row.error);
}

static void
draw_preview(struct rev *s, WINDOW *w, int y0, int x0, int cols, int rows)
{
	if (hidden_by_rating(s)) {
		/* Three short lines: at 80 columns the box is 36 wide, and one
		 * line lost its end, the v that shows the picture. */
		char why[64];
		snprintf(why, sizeof why, " rated %s, above %c ", rating_name(s->img.rating),
		    rating_letter(s->max_preview));
		const char *lines[] = {" preview hidden ", why, " v shows it "};
		for (int i = 0; i < 3; i++) {
			term_put(w, y0 + rows / 2 - 1 + i, x0 + 1, cols - 2, lines[i],
			    console_attr(s->c, THEME_PLACEHOLDER), false);
		}
	} else {
		pview_draw(s->pv, w, y0, x0, cols, rows);
	}
}

/* --- the add-a-tag prompt ----------------------------------------------- */

static void
close_prompt(struct rev *s)
{
	query_input_destroy(s->add);
	s->add = NULL;
}

static int
prompt_key(struct rev *s, int key)
{
	struct search_node *none;
	char *cause = NULL;
	switch (query_input_key(s->add, console_db(s->c), key, NULL, &none, &cause)) {
	case QUERY_INPUT_DONE:
		if (s->r != NULL && !review_add(s->r, console_db(s->c), query_input_text(s->add),
		    &cause)) {
			console_message(s->c, CONSOLE_ERROR, "%s", cause);
			free(cause);
			break;
		}
		close_prompt(s);
		build_rows(s);
		break;
	case QUERY_INPUT_CANCEL:
		close_prompt(s);
		break;
	case QUERY_INPUT_OPEN:
		free(cause);
		break;
	}
	return REACT_REDRAW;
}

/* --- keys --------------------------------------------------------------- */

/* Keys that throw away edits ask twice. */
static bool
confirmed(struct rev *s, int key, const char *what)
{
	if (s->r == NULL || review_pending(s->r) == 0 || s->confirm == key) {
		s->confirm = 0;
		return true;
	}
	s->confirm = key;
	console_message(s->c, CONSOLE_WARN, "%zu uncommitted edit%s: press %s again to %s, "
	    "c commits", review_pending(s->r), review_pending(s->r) == 1 ? "" : "s",
	    term_key_name(key), what);
	return false;
}

static void
commit(struct rev *s)
{
	if (s->r == NULL) {
		return;
	}
	size_t n = review_pending(s->r);
	char *cause = NULL;
	char *path = xstrdup(s->img.path);
	if (!review_commit(s->r, console_db(s->c), &cause)) {
		console_message(s->c, CONSOLE_ERROR, "commit failed: %s", cause);
		free(cause);
		free(path);
		return;
	}
	console_message(s->c, CONSOLE_OK, "committed %zu change%s to %s", n, n == 1 ? "" : "s",
	    path);
	free(path);
	console_data_changed(s->c);
	go_pending(s, false);
}

static const struct review_tag *
cursor_tag(struct rev *s, size_t *index)
{
	if (s->r == NULL || s->list.cursor >= (int64_t)s->n_rows ||
	    s->rows[s->list.cursor].kind != ROW_TAG) {
		return NULL;
	}
	*index = s->rows[s->list.cursor].index;
	return review_tag(s->r, *index);
}

/* Edits of the tag under the cursor. */
static int
tag_key(struct rev *s, int key)
{
	size_t i;
	if (cursor_tag(s, &i) == NULL) {
		return REACT_NONE;
	}
	bool changed;
	switch (key) {
	case ' ':
	case KEYC_ENTER:
		changed = review_toggle_accept(s->r, i);
		break;
	case 'x':
		changed = review_toggle_reject(s->r, i);
		break;
	case 'd':
	case KEYC(KEY_DC):
		changed = review_remove(s->r, i);
		break;
	default:
		return REACT_NONE;
	}
	if (!changed) {
		console_message(s->c, CONSOLE_INFO, "nothing to change on this tag");
	}
	return REACT_REDRAW;
}

static int
review_keys(struct rev *s, int key)
{
	switch (key) {
	case 'a':
		if (s->r != NULL && !review_accept_all(s->r)) {
			console_message(s->c, CONSOLE_INFO, "no suggestion left to accept");
		}
		return REACT_REDRAW;
	case '+':
	case 'i':
		if (s->r != NULL) {
			s->add = query_input_create(QUERY_INPUT_TAG, NULL);
		}
		return REACT_REDRAW;
	case 'u':
		if (s->r == NULL || !review_undo(s->r)) {
			console_message(s->c, CONSOLE_INFO, "nothing to undo");
		}
		build_rows(s);
		settle_cursor(s, 1);
		return REACT_REDRAW;
	case 'c':
		commit(s);
		return REACT_REDRAW;
	case 'n':
	case KEYC(KEY_RIGHT):
	case 'p':
	case KEYC(KEY_LEFT):
		if (confirmed(s, key, "skip them")) {
			go_pending(s, key == 'p' || key == KEYC(KEY_LEFT));
		}
		return REACT_REDRAW;
	case 'v':
		s->revealed = !s->revealed;
		request_preview(s);
		return REACT_REDRAW;
	case KEYC_ESC:
		if (confirmed(s, key, "leave them")) {
			console_show(s->c, SCREEN_LIBRARY);
		}
		return REACT_REDRAW;
	case 'q':
		return confirmed(s, key, "quit without them") ? REACT_QUIT : REACT_REDRAW;
	default:
		return tag_key(s, key);
	}
}

static int
rev_key(void *data, int key)
{
	struct rev *s = data;
	if (s->add != NULL) {
		return prompt_key(s, key);
	}
	if (key != s->confirm) {
		s->confirm = 0;
	}
	int64_t before = s->list.cursor;
	if (list_key(&s->list, key, true)) {
		settle_cursor(s, s->list.cursor < before ? -1 : 1);
		return REACT_REDRAW;
	}
	int r = review_keys(s, key);
	if (r & REACT_REDRAW) {
		build_rows(s);
	}
	return r;
}

/* --- drawing ------------------------------------------------------------ */

static enum theme_role
category_role(enum db_category c)
{
	switch (c) {
	case DB_CAT_CHARACTER: return THEME_CHARACTER;
	case DB_CAT_GENERAL: return THEME_GENERAL;
	case DB_CAT_RATING: return THEME_RATING;
	default: return THEME_USER;
	}
}

/* The mark column: what commit will do, else what is stored. */
static const char *
mark_of(const struct review_tag *t, enum theme_role *role)
{
	bool u = term_utf8();
	switch (t->mark) {
	case REVIEW_ACCEPT:
		*role = THEME_ACCEPTED;
		return "+";
	case REVIEW_REJECT:
		*role = THEME_REJECTED;
		return t->status == REVIEW_COMMITTED ? "-" : (u ? "✗" : "x");
	case REVIEW_FORGET:
		*role = THEME_WARNING;
		return u ? "↺" : "o";
	case REVIEW_KEEP:
		break;
	}
	*role = t->status == REVIEW_COMMITTED ? THEME_COMMITTED : t->status == REVIEW_REJECTED
	    ? THEME_REJECTED : THEME_DIM;
	return t->status == REVIEW_COMMITTED ? (u ? "✓" : "*") : t->status == REVIEW_REJECTED
	    ? (u ? "✗" : "x") : t->suggested ? (u ? "·" : ".") : " ";
}

static void
draw_score(struct rev *s, WINDOW *w, int y, int x, int width, double score, attr_t a)
{
	char buf[16];
	snprintf(buf, sizeof buf, score >= 0 ? " %.2f " : "   -  ", score);
	term_put(w, y, x, 6, buf, a, true);
	if (width > 8 && score >= 0) {
		term_bar(w, y, x + 6, width - 6, score, console_attr(s->c, THEME_BAR_ON),
		    console_attr(s->c, THEME_BAR_OFF));
	}
}

static void
draw_tag_row(void *ud, WINDOW *w, int y, int x, int width, int64_t index, bool is_cursor)
{
	struct rev *s = ud;
	const struct drow *d = &s->rows[index];
	int bar = width >= 40 ? 14 : width >= 28 ? 8 : 0;
	attr_t sel = console_attr(s->c, THEME_SELECTED);
	if (d->kind == ROW_HEADER) {
		char title[80];
		snprintf(title, sizeof title, d->category == DB_CAT_RATING ? "%s"
		    : "%s  (cut %.2f%s)", d->title, review_cut(s->r, d->category),
		    review_exact(s->r) ? "" : ", approx.");
		term_put(w, y, x, width, d->category == DB_CAT_USER || d->category ==
		    DB_CAT_ORIENTATION ? d->title : title, console_attr(s->c, THEME_TITLE), true);
		return;
	}
	if (d->kind == ROW_RATING) {
		float r[4];
		review_rating(s->r, r);
		int best = (int)rating_top(r);
		attr_t a = console_attr(s->c, THEME_RATING) | ((int)d->index == best ? A_BOLD : 0);
		term_printf(w, y, x, width - bar - 6, a, "%s %s", (int)d->index == best ? ">" : " ",
		    rating_name((int)d->index));
		draw_score(s, w, y, x + width - bar - 6, bar + 6, r[d->index], a);
		return;
	}
	const struct review_tag *t = review_tag(s->r, d->index);
	enum theme_role mr;
	const char *mark = mark_of(t, &mr);
	attr_t name = console_attr(s->c, category_role(t->category));
	if (t->near_miss && t->mark == REVIEW_KEEP) {
		name = console_attr(s->c, THEME_DIM);
	}
	if (t->status == REVIEW_REJECTED && t->mark == REVIEW_KEEP) {
		name = console_attr(s->c, THEME_REJECTED) | A_DIM;
	}
	term_put(w, y, x, 2, mark, is_cursor ? sel : console_attr(s->c, mr), true);
	term_put(w, y, x + 2, width - bar - 8, t->tag, is_cursor ? sel : name, true);
	draw_score(s, w, y, x + width - bar - 6, bar + 6, t->score, is_cursor ? sel : name);
}

static void
draw_title(struct rev *s, WINDOW *w, int cols)
{
	static const char *const states[DB_N_STATES] = {"new", "tagged", "committed", "failed",
		"missing"};
	char right[128];
	snprintf(right, sizeof right, "  %d×%d %s · %s · rating %c ", s->img.width, s->img.height,
	    probe_orientation_name(s->img.orientation), states[s->img.state],
	    s->img.rating >= 0 ? rating_letter(s->img.rating) : '-');
	int rw = term_width(right);
	attr_t t = console_attr(s->c, THEME_TITLE);
	term_put_aligned(w, 0, 0, cols - rw > 0 ? cols - rw : cols, s->img.path, t, TERM_TAIL);
	if (cols - rw > 0) {
		term_put(w, 0, cols - rw, rw, right, console_attr(s->c, THEME_NORMAL), false);
	}
}

static void
draw_footer(struct rev *s, WINDOW *w, int y, int x, int width)
{
	if (s->add != NULL) {
		int used = term_put(w, y, x, width, "add tag: ", console_attr(s->c, THEME_TITLE),
		    false);
		const struct query_input_attrs a = {.line = console_attr(s->c, THEME_INPUT),
			.item = console_attr(s->c, THEME_INPUT),
			.selected = console_attr(s->c, THEME_SELECTED)};
		int cx;
		/* The prompt is the bottom line: completions go above it. */
		query_input_draw(s->add, w, y, x + used, width - used, -(y - 1), &a, &cx);
		console_set_cursor(s->c, y, cx);
		return;
	}
	size_t n = s->r != NULL ? review_pending(s->r) : 0;
	char buf[128];
	snprintf(buf, sizeof buf, n > 0 ? "%zu edit%s to commit: c commit, u undo" :
	    "a accept all · x reject · + add · c commit · n next", n, n == 1 ? "" : "s");
	term_put(w, y, x, width, buf, console_attr(s->c, n > 0 ? THEME_WARNING : THEME_DIM), true);
}

static void
rev_draw(void *data, WINDOW *w)
{
	struct rev *s = data;
	/* Settings changed from a shell while this screen shows: the same
	 * image under them (cuts, rules, max_preview_rating). */
	follow_settings(s);
	int rows = getmaxy(w), cols = getmaxx(w);
	if (!s->have_img) {
		term_put(w, 1, 1, cols - 2, "No image. Pick one in the Library (Enter), or press r "
		    "there for the next one waiting for review.", console_attr(s->c, THEME_DIM),
		    false);
		return;
	}
	draw_title(s, w, cols);
	int pw = 0, ph = 0;
	if (preview_box(&pw, &ph)) {
		draw_preview(s, w, 1, 0, pw, rows - 1);
		pw += 1;
	}
	int tx = pw, tw = cols - pw;
	if (s->r == NULL || review_count(s->r) == 0) {
		const char *msg = s->img.rating < 0 ? "No predictions for this model yet (start a "
		    "batch on the Batch screen)." : "No tags.";
		term_put(w, 2 + (int)s->n_rows, tx + 1, tw - 2, msg, console_attr(s->c, THEME_DIM),
		    false);
	}
	list_draw(&s->list, w, 1, tx, rows - 2, tw, draw_tag_row, s,
	    console_attr(s->c, THEME_BORDER));
	draw_footer(s, w, rows - 1, tx, tw);
}

/* --- the screen --------------------------------------------------------- */

static void
renew_claim(void *ud)
{
	struct rev *s = ud;
	struct db *db = console_db(s->c);
	if (console_current(s->c) != SCREEN_REVIEW && s->claimed) {
		db_claim_release(db);
		s->claimed = false;
	} else if (console_current(s->c) == SCREEN_REVIEW && s->have_img) {
		db_claim(db, s->img.id, CLAIM_TTL, &s->claimed);
	}
}

static void *
rev_create(struct console *c)
{
	struct rev *s = xcalloc(1, sizeof *s);
	s->c = c;
	s->pv = pview_create(c);
	list_init(&s->list);
	read_settings(s);
	console_timer_add(c, CLAIM_RENEW_MS, true, renew_claim, s);
	return s;
}

static void
rev_destroy(void *data)
{
	struct rev *s = data;
	if (s->claimed) {
		db_claim_release(console_db(s->c));
	}
	clear_image(s);
	close_prompt(s);
	pview_destroy(s->pv);
	free(s->rows);
	free(s->model);
	free(s);
}

/* Settings may have moved a threshold: re-derive, keep the marks. */
static void
follow_settings(struct rev *s)
{
	if (s->settings_gen == console_settings_gen(s->c)) {
		return;
	}
	char *old = xstrdup(s->model);
	read_settings(s);
	if (s->have_img && strcmp(old, s->model) != 0) {
		load_image(s, s->img.id);
	} else if (s->r != NULL) {
		const struct rules *rules = console_rules(s->c);
		if (rules != NULL) {
			review_set_rules(s->r, rules);
		}
		build_rows(s);
		/* preview_protocol or max_preview_rating may have changed. */
		request_preview(s);
	}
	free(old);
}

/* Shown: a review the Library asked for first, else the same image under
 * the settings of now. */
static void
rev_enter(void *data)
{
	struct rev *s = data;
	int64_t id;
	bool next;
	if (console_take_review_request(s->c, &id, &next)) {
		if (next) {
			open_next(s, id);
		} else {
			open_image(s, id);
		}
		return;
	}
	follow_settings(s);
}

static void
rev_resize(void *data)
{
	request_preview(data);
}

static const struct key_help rev_help[] = {
	{"a", "accept all", true},
	{"x", "reject", true},
	{"+", "add", true},
	{"d", "remove", true},
	{"u", "undo", true},
	{"c", "commit+next", true},
	{"n", "skip", true},
	{"?", "help", true},
	{"Space Enter", "accept or un-accept the tag under the cursor", false},
	{"p ←  n →", "previous, next image waiting for review", false},
	{"v", "show a preview hidden by max_preview_rating", false},
	{"Esc", "back to the Library", false},
	{"↑↓ PgUp PgDn", "move between tags", false},
	{"marks", "+ accept  ✗ reject  - remove  ↺ un-reject  ✓ committed  · suggested", false},
	{NULL, NULL, false},
};

static const struct key_help prompt_help[] = {
	{"Enter", "add", true},
	{"Tab", "complete", true},
	{"↑↓", "pick", true},
	{"Esc", "cancel", true},
	{NULL, NULL, false},
};

static const struct key_help *
rev_mode_help(void *data)
{
	return ((struct rev *)data)->add != NULL ? prompt_help : NULL;
}

const struct screen_ops screen_review_ops = {
	.name = "Review",
	.help = rev_help,
	.create = rev_create,
	.destroy = rev_destroy,
	.enter = rev_enter,
	.draw = rev_draw,
	.key = rev_key,
	.resize = rev_resize,
	.mode_help = rev_mode_help,
};
