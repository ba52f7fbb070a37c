/*
 * screen-log.c — images that could not be indexed or tagged, with the
 * reason, and a way to try them again.  Paged like the Library: failed
 * images can be many.  A retry reads the file again first (a repaired file
 * has a new hash, size and dimensions: the batch must tag those, not what
 * the library remembered), on the scan lane.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "core/image/scan.h"
#include "core/options.h"
#include "db/browse.h"
#include "db/db.h"
#include "db/images.h"
#include "db/review.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/term.h"
#include "tui/widget-list.h"
#include "tui/widget-wrap.h"

#define PAGE 400

struct log {
	struct console *c;
	struct list list;
	struct db_browse_row *rows;
	size_t n_rows;
	int64_t base;
	bool pending;
	int confirm;
	bool show_full; /* i: the cursor row's whole path and reason */
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

struct retry_job {
	struct log *s;
	GPtrArray *paths; /* the failed images' paths; empty: read them all here */
	bool all;
	int64_t retried;  /* back to new */
	int64_t still;    /* still failing once read again */
	char *said;       /* for one image: what reading it found */
	char *error;
};

/* The scanner could not index the file: why (it is recorded as failed). */
static void
note_unreadable(void *ud, const char *msg)
{
	char **why = ud;
	free(*why);
	*why = xstrdup(msg);
}

/* Read one failed file again and, when it reads, give it back to the next
 * batch; what was found goes into j->said. */
static bool
reread(struct retry_job *j, struct db *db, const char *path)
{
	struct scan_opts so = options_scan(db);
	int64_t id = 0, n = 0;
	bool pending;
	char *cause = NULL, *unreadable = NULL;
	so.warn = note_unreadable;
	so.ud = &unreadable;
	if (!scan_file(db, path, &so, &id, &pending, &cause)) {
		free(unreadable);
		j->still++;
		free(j->said);
		j->said = cause;
		return !db_busy(db);
	}
	struct db_image img;
	bool found = false;
	if (!db_image_by_path(db, path, &img, &found) || !found) {
		j->error = xstrdup(found ? db_errmsg(db) : "the file is no longer in the library");
		return false;
	}
	/* No hash: the scanner still cannot read it (an unchanged broken file
	 * is not reported again); a hash: it reads, the tagging had failed. */
	if (unreadable == NULL && !img.has_hash) {
		unreadable = xstrdup(img.error != NULL ? img.error : "cannot be read");
	}
	if (img.state == DB_STATE_FAILED && unreadable == NULL) {
		/* It reads: the failure was the tagging's; try that again. */
		db_review_retry(db, img.id, &n);
	} else if (img.state == DB_STATE_FAILED) {
		j->still++;
	}
	j->retried += img.state != DB_STATE_FAILED || n > 0;
	free(j->said);
	j->said = img.state == DB_STATE_FAILED && n == 0 ?
	    xasprintf("still failing: %s", img.error ? img.error : unreadable ? unreadable : "?") :
	    xasprintf("read again: %d×%d, %lld bytes", img.width, img.height,
	    (long long)img.size);
	db_image_fini(&img);
	free(unreadable);
	return true;
}

static void
add_failed(struct retry_job *j, const struct db_browse_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		g_ptr_array_add(j->paths, g_strdup(rows[i].path));
	}
}

static void
retry_work(void *arg, const struct console_job_ctx *ctx)
{
	struct retry_job *j = arg;
	if (ctx->db == NULL) {
		j->error = xstrdup("the library cannot be opened");
		return;
	}
	int64_t count = 0;
	if (j->all && db_browse_count(ctx->db, &failed_filter, &count)) {
		for (int64_t off = 0; off < count && !atomic_load(ctx->cancel); off += PAGE) {
			struct db_browse_row *rows = NULL;
			size_t n = 0;
			if (!db_browse_page(ctx->db, &failed_filter, off, PAGE, count, &rows, &n)) {
				break;
			}
			add_failed(j, rows, n);
			db_browse_rows_free(rows, n);
		}
	}
	for (guint i = 0; i < j->paths->len && !atomic_load(ctx->cancel); i++) {
		if (!reread(j, ctx->db, g_ptr_array_index(j->paths, i))) {
			break;
		}
	}
}

static void
retry_done(void *arg, bool cancelled)
{
	struct retry_job *j = arg;
	struct log *s = j->s;
	if (j->error != NULL) {
		console_message(s->c, CONSOLE_ERROR, "retry: %s", j->error);
	} else if (!cancelled && !j->all && j->paths->len == 1) {
		const char *path = g_ptr_array_index(j->paths, 0);
		const char *name = strrchr(path, '/');
		console_message(s->c, j->retried > 0 ? CONSOLE_OK : CONSOLE_WARN, "%s %s%s",
		    name != NULL ? name + 1 : path, j->said != NULL ? j->said : "",
		    j->retried > 0 ? "; the next batch tags it" : "");
	} else if (!cancelled) {
		console_message(s->c, CONSOLE_OK, "read again: %lld image%s for the next batch, "
		    "%lld still failing", (long long)j->retried, j->retried == 1 ? "" : "s",
		    (long long)j->still);
	}
	if (!cancelled) {
		fetch(s, true);
		console_data_changed(s->c);
	}
	g_ptr_array_free(j->paths, TRUE);
	free(j->said);
	free(j->error);
	free(j);
}

static void
retry(struct log *s, bool all)
{
	const struct db_browse_row *r = row_at(s, s->list.cursor);
	if (!all && r == NULL) {
		return;
	}
	struct retry_job *j = xcalloc(1, sizeof *j);
	j->s = s;
	j->all = all;
	j->paths = g_ptr_array_new_with_free_func(g_free);
	if (!all) {
		g_ptr_array_add(j->paths, g_strdup(r->path));
	}
	console_message(s->c, CONSOLE_INFO, all ? "reading every failed file again…" :
	    "reading it again…");
	console_job(s->c, LANE_SCAN, JOB_ANY, retry_work, retry_done, j);
}

static int
log_key(void *data, int key)
{
	struct log *s = data;
	int confirm = s->confirm;
	s->confirm = 0;
	if (s->show_full) {
		s->show_full = false; /* any key closes the box, and only that */
		return REACT_REDRAW;
	}
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
	case 'i':
		s->show_full = row_at(s, s->list.cursor) != NULL;
		return REACT_REDRAW;
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
	/* The file name whole, its folder shortened from the left. */
	int pw = width * 45 / 100;
	char *shown = wrap_path(r->path, pw - 1);
	term_put(w, y, x, pw, shown, a, true);
	free(shown);
	term_fill(w, y, x + pw, width - pw, a);
	wrap_draw(w, y, x + pw, width - pw, 1, r->error != NULL ? r->error : "(no reason recorded)",
	    is_cursor ? a : console_attr(s->c, THEME_ERROR));
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
	/* Below the list, the cursor row's reason whole (the row shows its
	 * path; i shows both whole). */
	const struct db_browse_row *r = row_at(s, s->list.cursor);
	const char *why = r != NULL && r->error != NULL ? r->error : "(no reason recorded)";
	int below = r != NULL ? (wrap_rows(why, cols) > 2 ? 2 : wrap_rows(why, cols)) : 0;
	list_draw(&s->list, w, 2, 0, rows - 2 - below, cols, log_row, s,
	    console_attr(s->c, THEME_BORDER));
	if (r != NULL) {
		wrap_draw(w, rows - below, 0, cols, below, why, console_attr(s->c, THEME_DIM));
	}
	if (s->show_full && r != NULL) {
		char *text = xasprintf("%s — %s", r->path, why);
		wrap_popup(w, "i: the whole path and reason (any key closes)", text,
		    console_attr(s->c, THEME_NORMAL), console_attr(s->c, THEME_TITLE));
		free(text);
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
	{"i", "whole path", true},
	{"?", "help", true},
	{"↑↓ PgUp PgDn", "move", false},
	{"", "r reads the file again first: a repaired file gets its new hash, size", false},
	{"", "and dimensions, and the next batch tags it; one that still fails says why", false},
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
