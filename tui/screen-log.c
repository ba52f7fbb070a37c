/*
 * screen-log.c — images that could not be indexed or tagged, with the
 * reason, and a way to try them again.  Paged like the Library: failed
 * images can be many.
 */
#include <stdlib.h>
#include <string.h>

#include "db/browse.h"
#include "db/db.h"
#include "db/review.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/term.h"
#include "tui/widget-list.h"

#define PAGE 400

struct log {
	struct console *c;
	struct list list;
	struct db_browse_row *rows;
	size_t n_rows;
	int64_t base;
	bool pending;
	int confirm;
};

struct log_job {
	struct log *s;
	int64_t offset;
	int64_t count;
	struct db_browse_row *rows;
	size_t n;
	bool ok;
};

static const struct db_browse_filter failed_filter = {
	.state = DB_STATE_FAILED, .sort = DB_SORT_ADDED,
};

static void
log_work(void *arg, const struct console_job_ctx *ctx)
{
	struct log_job *j = arg;
	j->ok = ctx->db != NULL && db_browse_count(ctx->db, &failed_filter, &j->count) &&
	    db_browse_page(ctx->db, &failed_filter, j->offset, PAGE, j->count, &j->rows, &j->n);
}

static void
log_done(void *arg, bool cancelled)
{
	struct log_job *j = arg;
	struct log *s = j->s;
	s->pending = false;
	if (!cancelled && j->ok) {
		db_browse_rows_free(s->rows, s->n_rows);
		s->rows = j->rows;
		s->n_rows = j->n;
		s->base = j->offset;
		j->rows = NULL;
		j->n = 0;
		list_set_count(&s->list, j->count);
		console_redraw(s->c);
	}
	db_browse_rows_free(j->rows, j->n);
	free(j);
}

static void
fetch(struct log *s, bool force)
{
	int64_t cur = s->list.cursor;
	bool covered = list_window_covers(&s->list, s->base, (int64_t)s->n_rows);
	if ((covered && !force) || (s->pending && !force)) {
		return;
	}
	struct log_job *j = xcalloc(1, sizeof *j);
	j->s = s;
	j->offset = cur - PAGE / 2 < 0 ? 0 : cur - PAGE / 2;
	s->pending = true;
	console_job(s->c, LANE_QUERY, JOB_LOG_PAGE, log_work, log_done, j);
}

static const struct db_browse_row *
row_at(const struct log *s, int64_t index)
{
	int64_t i = index - s->base;
	return i >= 0 && i < (int64_t)s->n_rows ? &s->rows[i] : NULL;
}

static void
retry(struct log *s, bool all)
{
	const struct db_browse_row *r = row_at(s, s->list.cursor);
	if (!all && r == NULL) {
		return;
	}
	struct db *db = console_db(s->c);
	int64_t n = 0;
	if (!db_review_retry(db, all ? 0 : r->id, &n)) {
		console_message(s->c, CONSOLE_ERROR, "%s", db_errmsg(db));
		return;
	}
	console_message(s->c, CONSOLE_OK, "%lld image%s will be tried again by the next batch",
	    (long long)n, n == 1 ? "" : "s");
	fetch(s, true);
	console_data_changed(s->c);
}

static int
log_key(void *data, int key)
{
	struct log *s = data;
	int confirm = s->confirm;
	s->confirm = 0;
	if (list_key(&s->list, key, true)) {
		fetch(s, false);
		return REACT_REDRAW;
	}
	switch (key) {
	case 'r':
		retry(s, false);
		return REACT_REDRAW;
	case 'R':
		if (confirm != 'R') {
			s->confirm = 'R';
			console_message(s->c, CONSOLE_WARN,
			    "retry all %lld failed images? press R again",
			    (long long)s->list.count);
			return REACT_REDRAW;
		}
		retry(s, true);
		return REACT_REDRAW;
	case KEYC_CTRL('R'):
		fetch(s, true);
		return REACT_HANDLED;
	default:
		return REACT_NONE;
	}
}

static void
log_row(void *ud, WINDOW *w, int y, int x, int width, int64_t index, bool is_cursor)
{
	struct log *s = ud;
	const struct db_browse_row *r = row_at(s, index);
	attr_t a = console_attr(s->c, is_cursor ? THEME_SELECTED : THEME_NORMAL);
	if (r == NULL) {
		term_put(w, y, x, width, term_utf8() ? " …" : " ...", a | A_DIM, true);
		return;
	}
	int pw = width * 45 / 100;
	term_put_aligned(w, y, x, pw - 1, r->path, a, TERM_TAIL);
	term_fill(w, y, x + pw - 1, 1, a);
	term_put(w, y, x + pw, width - pw, r->error != NULL ? r->error : "(no reason recorded)",
	    is_cursor ? a : console_attr(s->c, THEME_ERROR), true);
}

static void
log_draw(void *data, WINDOW *w)
{
	struct log *s = data;
	int rows = getmaxy(w), cols = getmaxx(w);
	term_printf(w, 0, 0, cols, console_attr(s->c, THEME_TITLE), "%lld failed image%s",
	    (long long)s->list.count, s->list.count == 1 ? "" : "s");
	if (s->list.count == 0) {
		term_put(w, 2, 1, cols - 1, "Nothing failed.", console_attr(s->c, THEME_DIM),
		    false);
		return;
	}
	attr_t h = console_attr(s->c, THEME_COLUMN);
	term_fill(w, 1, 0, cols, h);
	term_put(w, 1, 0, cols, "File", h, false);
	term_put(w, 1, cols * 45 / 100, cols - cols * 45 / 100, "Reason", h, false);
	list_draw(&s->list, w, 2, 0, rows - 3, cols, log_row, s, console_attr(s->c, THEME_BORDER));
	const struct db_browse_row *r = row_at(s, s->list.cursor);
	if (r != NULL) {
		char *line = xasprintf("%s: %s", r->path, r->error ? r->error : "?");
		term_put(w, rows - 1, 0, cols, line, console_attr(s->c, THEME_DIM), true);
		free(line);
	}
}

static void *
log_create(struct console *c)
{
	struct log *s = xcalloc(1, sizeof *s);
	s->c = c;
	list_init(&s->list);
	return s;
}

static void
log_destroy(void *data)
{
	struct log *s = data;
	db_browse_rows_free(s->rows, s->n_rows);
	free(s);
}

static void
log_enter(void *data)
{
	fetch(data, true);
}

static const struct key_help log_help[] = {
	{"r", "retry", true},
	{"R", "retry all", true},
	{"^R", "reload", true},
	{"?", "help", true},
	{"↑↓ PgUp PgDn", "move", false},
	{"", "a retried image goes back to new: the next batch tags it again", false},
	{NULL, NULL, false},
};

const struct screen_ops screen_log_ops = {
	.name = "Log",
	.help = log_help,
	.create = log_create,
	.destroy = log_destroy,
	.enter = log_enter,
	.draw = log_draw,
	.key = log_key,
};
