/*
 * screen-library.c — the folder tree beside a virtual list of images.
 *
 * The list never holds the library: it keeps a window of PAGE rows around
 * the cursor, fetched on the query lane, and shows "…" for a row until its
 * page arrives.  A filter change bumps gen, so pages of an older filter are
 * dropped when they come back.
 */
#include "tui/screen-library.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/tag/rules.h"
#include "core/settings.h"
#include "core/tag/suggest.h"
#include "db/db.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/term.h"
#include "tui/widget-list.h"
#include "tui/widget-query.h"
#include "tui/widget-tree.h"

#define PAGE 240
/* The first page only has to fill the screen, and fast. */
#define FIRST_PAGE 64
#define REFRESH_MS 2000
#define TREE_EVERY 5 /* refreshes */

static const char *const state_names[DB_N_STATES] = {
	"new", "tagged", "committed", "failed", "missing",
};
static const char *const sort_names[DB_N_SORTS] = {"path", "newest", "largest"};

struct lib {
	struct console *c;
	/* the filter (a query, a state, a folder, a sort) is the console's:
	 * console_filter(); gen counts the changes this list has followed */
	unsigned gen;
	/* the list and its window of rows */
	struct list list;
	bool counted;
	bool count_pending;
	bool end_pending;  /* End came before the count: go there when it does */
	struct db_browse_row *rows;
	int *suggested;
	size_t n_rows;
	int64_t base;
	bool page_pending;
	int64_t pending_offset;
	/* the tree */
	struct tree *tree;
	struct list tree_list;
	bool tree_shown;
	bool tree_focus;
	/* the filter bar while typing */
	struct query_input *filter_input;
	int64_t db_version;
	int ticks_since_tree;
	unsigned data_gen; /* console_data_gen() last read */
};

struct page_job {
	struct lib *s;
	unsigned gen;
	struct db_browse_filter f; /* its query and folder owned by the job */
	char *model;
	int64_t offset;
	int limit;
	int64_t total;     /* the list's count when known, else -1 */
	bool count_only; /* the row count of the filter, not a page */
	int64_t count;
	struct db_browse_row *rows;
	int *suggested;
	size_t n;
	bool ok;
};

static void request_page(struct lib *s, int64_t offset, bool want_count);
static void publish_cursor(struct lib *s);

/* --- background work ---------------------------------------------------- */

/* Suggestions of each row under the rules, as `tagcon show` counts them. */
static void
count_suggested(struct page_job *j, struct db *db, const struct rules *r,
    const atomic_bool *cancel)
{
	j->suggested = xcalloc(j->n + 1, sizeof *j->suggested);
	for (size_t i = 0; i < j->n && !atomic_load(cancel); i++) {
		struct suggest_input in;
		struct suggest_result out;
		j->suggested[i] = -1;
		if (j->rows[i].rating < 0 || !suggest_load(db, j->rows[i].id, j->model, &in)) {
			continue;
		}
		suggest_image(r, j->rows[i].path, &in, &out);
		j->suggested[i] = (int)out.n;
		suggest_result_fini(&out);
		suggest_input_fini(&in);
	}
}

static void
page_work(void *arg, const struct console_job_ctx *ctx)
{
	struct page_job *j = arg;
	/* The lane's own snapshot of the rules: the UI's may change meanwhile. */
	struct search_opts o;
	struct rules *r = console_search_opts(ctx->db, j->model, &o);
	if (r == NULL) {
		return;
	}
	j->f.opts = &o;
	if (j->count_only) {
		j->ok = db_browse_count(ctx->db, &j->f, &j->count);
	} else {
		j->ok = db_browse_page(ctx->db, &j->f, j->offset, j->limit, j->total, &j->rows,
		    &j->n);
		count_suggested(j, ctx->db, r, ctx->cancel);
	}
	j->f.opts = NULL;
	rules_destroy(r);
}

static void
page_job_free(struct page_job *j)
{
	db_browse_rows_free(j->rows, j->n);
	free(j->suggested);
	search_node_destroy((struct search_node *)j->f.query);
	free((char *)j->f.under);
	free(j->model);
	free(j);
}

static void
page_done(void *arg, bool cancelled)
{
	struct page_job *j = arg;
	struct lib *s = j->s;
	if (j->gen == s->gen && j->offset == s->pending_offset && !j->count_only) {
		s->page_pending = false;
	}
	if (j->count_only && j->gen == s->gen) {
		s->count_pending = false;
	}
	if (cancelled || !j->ok || j->gen != s->gen) {
		page_job_free(j);
		return;
	}
	if (j->count_only) {
		s->counted = true;
		list_set_count(&s->list, j->count);
		if (s->end_pending) {
			s->end_pending = false;
			list_set_cursor(&s->list, j->count - 1);
		}
		page_job_free(j);
		console_redraw(s->c);
		request_page(s, -1, false);
		return;
	}
	db_browse_rows_free(s->rows, s->n_rows);
	free(s->suggested);
	s->rows = j->rows;
	s->suggested = j->suggested;
	s->n_rows = j->n;
	s->base = j->offset;
	j->rows = NULL;
	j->suggested = NULL;
	j->n = 0;
	if (!s->counted && s->list.count < s->base + (int64_t)s->n_rows) {
		/* Until the count comes, the rows we have are the list. */
		list_set_count(&s->list, s->base + (int64_t)s->n_rows);
	}
	page_job_free(j);
	publish_cursor(s);
	console_redraw(s->c);
	/* The cursor may have run ahead of the page while it was read. */
	request_page(s, -1, false);
}

static void
copy_filter(const struct lib *s, struct page_job *j)
{
	const struct console_filter *f = console_filter(s->c);
	j->f = (struct db_browse_filter){
		.state = f->state, .sort = f->sort,
		.query = search_node_dup(f->query),
		.under = f->under != NULL ? xstrdup(f->under) : NULL,
	};
	j->model = xstrdup(console_model(s->c));
}

/* Fetch the page around the cursor unless it is there or on its way;
 * offset >= 0 forces that page (a refresh). */
static void
request_page(struct lib *s, int64_t offset, bool want_count)
{
	int64_t cur = s->list.cursor;
	bool covered = list_window_covers(&s->list, s->base, (int64_t)s->n_rows);
	if (offset < 0) {
		if (covered) {
			return;
		}
		offset = cur - PAGE / 2 < 0 ? 0 : cur - PAGE / 2;
		if (s->page_pending && s->pending_offset == offset) {
			return;
		}
	}
	struct page_job *j = xcalloc(1, sizeof *j);
	j->s = s;
	j->gen = s->gen;
	j->offset = offset;
	j->limit = s->n_rows == 0 && offset == 0 ? FIRST_PAGE : PAGE;
	j->total = s->counted ? s->list.count : -1;
	copy_filter(s, j);
	s->page_pending = true;
	s->pending_offset = offset;
	console_job(s->c, LANE_QUERY, JOB_LIBRARY_PAGE, page_work, page_done, j);
	if (want_count || (!s->counted && !s->count_pending)) {
		/* After the page on the same lane: rows first, the count a moment later. */
		struct page_job *c = xcalloc(1, sizeof *c);
		*c = (struct page_job){.s = s, .gen = s->gen, .count_only = true, .offset = -1};
		copy_filter(s, c);
		s->count_pending = true;
		console_job(s->c, LANE_QUERY, JOB_LIBRARY_COUNT, page_work, page_done, c);
	}
}

struct tree_job {
	struct lib *s;
	struct tree *tree;
	char **expanded;
};

static void
tree_root(void *ud, int64_t id, const char *path)
{
	(void)id;
	tree_add_root(ud, path);
}

static void
tree_folder(void *ud, const struct db_folder_row *f)
{
	tree_add_folder(ud, f->path, f->images);
}

static void
tree_work(void *arg, const struct console_job_ctx *ctx)
{
	struct tree_job *j = arg;
	j->tree = tree_create();
	if (ctx->db != NULL) {
		db_roots_each(ctx->db, tree_root, j->tree);
		db_browse_folders(ctx->db, tree_folder, j->tree);
	}
	tree_finish(j->tree, (const char *const *)j->expanded);
}

static void
tree_done(void *arg, bool cancelled)
{
	struct tree_job *j = arg;
	struct lib *s = j->s;
	if (!cancelled) {
		struct tree_row sel;
		tree_row(s->tree, (size_t)s->tree_list.cursor, &sel);
		char *keep = sel.path != NULL ? xstrdup(sel.path) : NULL;
		tree_destroy(s->tree);
		s->tree = j->tree;
		j->tree = NULL;
		list_set_count(&s->tree_list, (int64_t)tree_rows(s->tree));
		list_set_cursor(&s->tree_list, (int64_t)tree_find(s->tree, keep));
		free(keep);
		console_redraw(s->c);
	}
	tree_destroy(j->tree);
	g_strfreev(j->expanded);
	free(j);
}

static void
request_tree(struct lib *s)
{
	struct tree_job *j = xcalloc(1, sizeof *j);
	j->s = s;
	j->expanded = tree_expanded(s->tree);
	console_job(s->c, LANE_STATS, JOB_LIBRARY_TREE, tree_work, tree_done, j);
}

/* --- state -------------------------------------------------------------- */

/* The filter changed: start over from the first row. */
static void
filter_changed(struct lib *s)
{
	s->gen = console_filter_gen(s->c);
	s->counted = false;
	s->count_pending = false;
	s->end_pending = false;
	db_browse_rows_free(s->rows, s->n_rows);
	free(s->suggested);
	s->rows = NULL;
	s->suggested = NULL;
	s->n_rows = 0;
	s->base = 0;
	list_set_count(&s->list, 0);
	request_page(s, 0, true);
}

void
library_screen_refresh(void *data)
{
	struct lib *s = data;
	/* Rules and settings may have changed from a shell, too. */
	console_settings_changed(s->c);
	int64_t offset = s->n_rows > 0 ? s->base : 0;
	request_page(s, offset, true);
	request_tree(s);
}

/* While the Library shows, read again what another process (a batch, a
 * scan, a second console) changed; the tree, dearer, at most every 10 s. */
static void
refresh_tick(void *ud)
{
	struct lib *s = ud;
	int64_t version = 0;
	if (s->data_gen != console_data_gen(s->c)) {
		s->data_gen = console_data_gen(s->c);
		library_screen_refresh(s);
		return;
	}
	if (console_current(s->c) != SCREEN_LIBRARY ||
	    !db_browse_version(console_db(s->c), &version) || version == s->db_version) {
		return;
	}
	s->db_version = version;
	request_page(s, s->n_rows > 0 ? s->base : 0, true);
	if (++s->ticks_since_tree >= TREE_EVERY) {
		s->ticks_since_tree = 0;
		request_tree(s);
	}
}

/* Tell the console which image the cursor is on (Settings previews on it). */
static void
publish_cursor(struct lib *s)
{
	int64_t i = s->list.cursor - s->base;
	console_set_image(s->c, i >= 0 && i < (int64_t)s->n_rows ? s->rows[i].id : 0);
}

/* --- the filter bar ------------------------------------------------------- */

/* The state and folder parts of the filter, as the query language writes
 * them ("state:tagged folder:/srv/img "), or "". */
static char *
filter_chips(const struct lib *s)
{
	const struct console_filter *f = console_filter(s->c);
	GString *g = g_string_new(NULL);
	if (f->state >= 0 && f->state < DB_N_STATES) {
		g_string_append_printf(g, "state:%s ", state_names[f->state]);
	}
	if (f->under != NULL) {
		g_string_append_printf(g, "folder:%s ", f->under);
	}
	return g_string_free(g, FALSE);
}

static bool
filtered(const struct lib *s)
{
	const struct console_filter *f = console_filter(s->c);
	return f->state >= 0 || f->under != NULL || f->query != NULL;
}

/* The list follows the console's filter when it moved. */
static void
follow_filter(struct lib *s)
{
	if (s->gen != console_filter_gen(s->c)) {
		filter_changed(s);
	}
}

static void
clear_filter(struct lib *s)
{
	console_filter_set_state(s->c, -1);
	console_filter_set_folder(s->c, NULL);
	console_filter_set_query(s->c, "", NULL);
	follow_filter(s);
}

/* --- keys --------------------------------------------------------------- */

static int
filter_key(struct lib *s, int key)
{
	struct search_node *tree;
	char *cause, *cwd = getcwd(NULL, 0);
	enum query_input_result r = query_input_key(s->filter_input, console_db(s->c), key, cwd,
	    &tree, &cause);
	free(cwd);
	if (cause != NULL) {
		console_message(s->c, CONSOLE_ERROR, "query: %s", cause);
		free(cause);
	}
	if (r == QUERY_INPUT_DONE) {
		console_filter_set_query(s->c, query_input_text(s->filter_input), tree);
		follow_filter(s);
	}
	if (r != QUERY_INPUT_OPEN) {
		query_input_destroy(s->filter_input);
		s->filter_input = NULL;
	}
	return REACT_REDRAW; /* every key belongs to the bar while it is open */
}

static void
choose_folder(struct lib *s)
{
	struct tree_row r;
	tree_row(s->tree, (size_t)s->tree_list.cursor, &r);
	console_filter_set_folder(s->c, r.path);
	s->tree_focus = false;
	follow_filter(s);
}

static int
tree_key(struct lib *s, int key)
{
	size_t row = (size_t)s->tree_list.cursor;
	if (list_key(&s->tree_list, key, true)) {
		return REACT_REDRAW;
	}
	switch (key) {
	case KEYC_ENTER:
		choose_folder(s);
		return REACT_REDRAW;
	case KEYC(KEY_RIGHT):
	case '+':
		tree_expand(s->tree, row, 1);
		break;
	case KEYC(KEY_LEFT):
	case '-':
		if (!tree_expand(s->tree, row, -1)) {
			list_set_cursor(&s->tree_list, (int64_t)tree_parent(s->tree, row));
		}
		break;
	case ' ':
		tree_expand(s->tree, row, 0);
		break;
	case KEYC_ESC:
	case 'f':
		s->tree_focus = false;
		return REACT_REDRAW;
	default:
		return REACT_NONE;
	}
	list_set_count(&s->tree_list, (int64_t)tree_rows(s->tree));
	return REACT_REDRAW;
}

static void
open_review(struct lib *s, bool next_pending)
{
	publish_cursor(s);
	int64_t id = console_image(s->c);
	if (next_pending || id != 0) {
		console_open_review(s->c, id, next_pending);
	}
}

/* A random match of the filter, reviewed: a curator's spot check. */
struct random_job {
	struct lib *s;
	unsigned gen;
	struct page_job *filter; /* only its filter and model are used */
	int64_t id;
	bool ok;
};

static void
random_work(void *arg, const struct console_job_ctx *ctx)
{
	struct random_job *j = arg;
	struct search_opts o;
	struct rules *r = console_search_opts(ctx->db, j->filter->model, &o);
	if (r == NULL) {
		return;
	}
	j->filter->f.opts = &o;
	j->ok = db_browse_random(ctx->db, &j->filter->f, &j->id);
	j->filter->f.opts = NULL;
	rules_destroy(r);
}

static void
random_done(void *arg, bool cancelled)
{
	struct random_job *j = arg;
	struct lib *s = j->s;
	if (!cancelled && j->gen == s->gen) {
		if (!j->ok) {
			console_message(s->c, CONSOLE_ERROR, "random pick failed");
		} else if (j->id == 0) {
			console_message(s->c, CONSOLE_INFO, "no image matches the filter");
		} else {
			console_open_review(s->c, j->id, false);
		}
	}
	page_job_free(j->filter);
	free(j);
}

static void
random_pick(struct lib *s)
{
	struct random_job *j = xcalloc(1, sizeof *j);
	j->s = s;
	j->gen = s->gen;
	j->filter = xcalloc(1, sizeof *j->filter);
	copy_filter(s, j->filter);
	console_job(s->c, LANE_QUERY, JOB_LIBRARY_RANDOM, random_work, random_done, j);
}

static int
list_keys(struct lib *s, int key)
{
	switch (key) {
	case KEYC_ENTER:
		open_review(s, false);
		return REACT_REDRAW;
	case 'r':
		open_review(s, true);
		return REACT_REDRAW;
	case 'R':
		random_pick(s);
		return REACT_HANDLED;
	case '/':
		s->filter_input = query_input_create(console_filter(s->c)->query_text);
		return REACT_REDRAW;
	case 's':
		console_filter_set_sort(s->c, (console_filter(s->c)->sort + 1) % DB_N_SORTS);
		follow_filter(s);
		return REACT_REDRAW;
	case 'S': {
		int st = console_filter(s->c)->state;
		console_filter_set_state(s->c, st + 1 >= DB_N_STATES ? -1 : st + 1);
		follow_filter(s);
		return REACT_REDRAW;
	}
	case 'f':
		s->tree_shown = true;
		s->tree_focus = true;
		return REACT_REDRAW;
	case 't':
		s->tree_shown = !s->tree_shown;
		s->tree_focus = false;
		return REACT_REDRAW;
	case KEYC_ESC:
		if (!filtered(s)) {
			return REACT_HANDLED;
		}
		clear_filter(s);
		return REACT_REDRAW;
	case KEYC_CTRL('R'):
		library_screen_refresh(s);
		return REACT_REDRAW;
	default:
		return REACT_NONE;
	}
}

static int
lib_key(void *data, int key)
{
	struct lib *s = data;
	if (s->filter_input != NULL) {
		return filter_key(s, key);
	}
	if (s->tree_focus && s->tree_shown) {
		return tree_key(s, key);
	}
	/* The end of a list whose length is not known yet is where it will be. */
	bool to_end = key == KEYC(KEY_END) || key == 'G';
	if (list_key(&s->list, key, true)) {
		s->end_pending = to_end && !s->counted;
		request_page(s, -1, false);
		publish_cursor(s);
		return REACT_REDRAW;
	}
	return list_keys(s, key);
}

/* --- drawing ------------------------------------------------------------ */

struct cols {
	int state, name, dims, orient, rating, sug, com;
};

static struct cols
columns(int width)
{
	struct cols c = {.state = width >= 72 ? 10 : 5, .dims = width >= 60 ? 11 : 0, .orient = 2,
		.rating = 2, .sug = 5, .com = 5};
	c.name = width - c.state - c.dims - c.orient - c.rating - c.sug - c.com;
	if (c.name < 8) {
		c.dims = 0;
		c.name = width - c.state - c.orient - c.rating - c.sug - c.com;
	}
	return c;
}

static const char *
shown_path(const struct lib *s, const char *path)
{
	const char *under = console_filter(s->c)->under;
	size_t n = under != NULL ? strlen(under) : 0;
	if (n > 0 && strncmp(path, under, n) == 0 && path[n] == '/') {
		return path + n + 1;
	}
	return path;
}

static void
draw_image_row(void *ud, WINDOW *w, int y, int x, int width, int64_t index, bool is_cursor)
{
	struct lib *s = ud;
	attr_t a = console_attr(s->c, is_cursor ? (s->tree_focus ? THEME_CURSOR : THEME_SELECTED)
	    : THEME_NORMAL);
	int64_t i = index - s->base;
	if (i < 0 || i >= (int64_t)s->n_rows) {
		term_put(w, y, x, width, term_utf8() ? " …" : " ...", a | A_DIM, true);
		return;
	}
	const struct db_browse_row *r = &s->rows[i];
	struct cols c = columns(width);
	static const char *const abbrev[DB_N_STATES] = {"new", "tagd", "done", "FAIL", "gone"};
	static const char orient[] = "?LPS";
	char buf[64];
	int cx = x;
	attr_t sa = r->state == DB_STATE_FAILED && !is_cursor ? console_attr(s->c, THEME_ERROR) : a;
	term_put(w, y, cx, c.state, c.state > 5 ? state_names[r->state] : abbrev[r->state], sa,
	    true);
	cx += c.state;
	term_put_aligned(w, y, cx, c.name - 1, shown_path(s, r->path), a, TERM_TAIL);
	term_fill(w, y, cx + c.name - 1, 1, a);
	cx += c.name;
	if (c.dims > 0) {
		snprintf(buf, sizeof buf, r->width > 0 ? "%d×%d" : "-", r->width, r->height);
		term_put_aligned(w, y, cx, c.dims, buf, a, TERM_RIGHT);
		cx += c.dims;
	}
	snprintf(buf, sizeof buf, " %c", orient[r->orientation & 3]);
	term_put(w, y, cx, c.orient, buf, a, true);
	cx += c.orient;
	snprintf(buf, sizeof buf, " %c", r->rating >= 0 ? rating_letter(r->rating) : '-');
	term_put(w, y, cx, c.rating, buf, a, true);
	cx += c.rating;
	int sug = s->suggested != NULL ? s->suggested[i] : -1;
	snprintf(buf, sizeof buf, sug >= 0 ? "%d" : "-", sug);
	term_put_aligned(w, y, cx, c.sug, buf, a, TERM_RIGHT);
	cx += c.sug;
	snprintf(buf, sizeof buf, "%d", r->committed);
	term_put_aligned(w, y, cx, c.com, buf, a, TERM_RIGHT);
}

static void
draw_tree_row(void *ud, WINDOW *w, int y, int x, int width, int64_t index, bool is_cursor)
{
	struct lib *s = ud;
	struct tree_row r;
	tree_row(s->tree, (size_t)index, &r);
	attr_t a = console_attr(s->c, is_cursor ? (s->tree_focus ? THEME_SELECTED : THEME_CURSOR)
	    : THEME_NORMAL);
	char count[24];
	snprintf(count, sizeof count, " %lld", (long long)r.images);
	int cw = term_width(count);
	int indent = r.depth * 2 > width / 2 ? width / 2 : r.depth * 2;
	term_fill(w, y, x, indent, a);
	const char *mark = !r.has_children ? " " : r.expanded ? (term_utf8() ? "▾" : "-")
	    : (term_utf8() ? "▸" : "+");
	term_put(w, y, x + indent, 2, mark, a, true);
	int room = width - indent - 2 - cw;
	if (room > 0) {
		term_put_aligned(w, y, x + indent + 2, room, r.label, a, r.depth == 0 && index > 0 ?
		    TERM_TAIL : TERM_LEFT);
	}
	term_put_aligned(w, y, x + width - cw, cw, count, a | A_DIM, TERM_RIGHT);
}

static void
draw_filter_bar(struct lib *s, WINDOW *w, int width, int height)
{
	attr_t t = console_attr(s->c, THEME_TITLE), n = console_attr(s->c, THEME_NORMAL);
	int x = term_put(w, 0, 0, width, "Filter: ", t, false);
	char *chips = filter_chips(s);
	if (s->filter_input != NULL) {
		const struct query_input_attrs a = {.line = console_attr(s->c, THEME_INPUT),
			.item = console_attr(s->c, THEME_INPUT),
			.selected = console_attr(s->c, THEME_SELECTED)};
		int cx;
		x += term_put(w, 0, x, width - x, chips, n | A_DIM, false);
		query_input_draw(s->filter_input, w, 0, x, width - x, height - 1, &a, &cx);
		console_set_cursor(s->c, 0, cx);
		free(chips);
		return;
	}
	const struct console_filter *cf = console_filter(s->c);
	char *f = xasprintf("%s%s", chips, cf->query_text != NULL ? cf->query_text : "");
	char right[96];
	snprintf(right, sizeof right, "  sort: %s   %s%lld images ", sort_names[cf->sort],
	    s->counted ? "" : "~", (long long)s->list.count);
	int rw = term_width(right);
	term_put(w, 0, x, width - x - rw, *f ? f : "everything (/ to filter)", *f ? n : n | A_DIM,
	    true);
	term_put(w, 0, width - rw > x ? width - rw : x, rw, right, n, false);
	free(f);
	free(chips);
}

static void
draw_list(struct lib *s, WINDOW *w, int x, int width, int height)
{
	struct cols c = columns(width);
	attr_t h = console_attr(s->c, THEME_COLUMN);
	term_fill(w, 1, x, width, h);
	term_put(w, 1, x, c.state, c.state > 5 ? "State" : "St.", h, false);
	term_put(w, 1, x + c.state, c.name, console_filter(s->c)->under != NULL ? "Name" : "Path",
	    h, false);
	int cx = x + c.state + c.name;
	if (c.dims > 0) {
		term_put_aligned(w, 1, cx, c.dims, "Size", h, TERM_RIGHT);
		cx += c.dims;
	}
	term_put(w, 1, cx, c.orient + c.rating, " O R", h, false);
	cx += c.orient + c.rating;
	term_put_aligned(w, 1, cx, c.sug, "Sug", h, TERM_RIGHT);
	term_put_aligned(w, 1, cx + c.sug, c.com, "Com", h, TERM_RIGHT);
	if (s->counted && s->list.count == 0) {
		const char *msg = filtered(s) ? "Nothing matches the filter (Esc clears it)."
		    : "No images yet: start tagcon with a folder (tagcon ~/Pictures) or run "
		    "tagcon scan DIR.";
		term_put(w, 3, x + 1, width - 2, msg, console_attr(s->c, THEME_DIM), false);
		return;
	}
	list_draw(&s->list, w, 2, x, height - 2, width, draw_image_row, s,
	    console_attr(s->c, THEME_BORDER));
}

static void
lib_draw(void *data, WINDOW *w)
{
	struct lib *s = data;
	int rows = getmaxy(w), cols = getmaxx(w);
	int tw = !s->tree_shown ? 0 : cols >= 110 ? 32 : cols >= 90 ? 26 : cols >= 70 ? 18
	    : s->tree_focus ? cols : 0;
	if (tw > 0) {
		attr_t h = console_attr(s->c, THEME_COLUMN);
		term_put(w, 1, 0, tw, "Folders", h, true);
		list_draw(&s->tree_list, w, 2, 0, rows - 2, tw - (tw < cols), draw_tree_row, s,
		    console_attr(s->c, THEME_BORDER));
		if (tw < cols) {
			wattr_set(w, console_attr(s->c, THEME_BORDER), 0, NULL);
			mvwvline(w, 1, tw - 1, term_utf8() ? ACS_VLINE : '|', rows - 1);
			wattr_set(w, A_NORMAL, 0, NULL);
		}
	}
	if (tw < cols) {
		draw_list(s, w, tw, cols - tw, rows);
	}
	/* Last: the completions of a query being typed lie over the list. */
	draw_filter_bar(s, w, cols, rows);
}

/* --- the screen --------------------------------------------------------- */

static void *
lib_create(struct console *c)
{
	struct lib *s = xcalloc(1, sizeof *s);
	s->c = c;
	s->gen = console_filter_gen(c);
	s->data_gen = console_data_gen(c);
	s->tree_shown = true;
	list_init(&s->list);
	list_init(&s->tree_list);
	s->tree = tree_create();
	tree_finish(s->tree, NULL);
	list_set_count(&s->tree_list, 1);
	request_page(s, 0, true);
	request_tree(s);
	library_scan(c, s);
	console_timer_add(c, REFRESH_MS, true, refresh_tick, s);
	return s;
}

static void
lib_destroy(void *data)
{
	struct lib *s = data;
	db_browse_rows_free(s->rows, s->n_rows);
	free(s->suggested);
	tree_destroy(s->tree);
	query_input_destroy(s->filter_input);
	free(s);
}

static void
lib_enter(void *data)
{
	struct lib *s = data;
	s->data_gen = console_data_gen(s->c);
	library_screen_refresh(s);
}

static const struct key_help lib_help[] = {
	{"Enter", "review", true},
	{"r", "next pending", true},
	{"/", "filter", true},
	{"f", "folders", true},
	{"s", "sort", true},
	{"S", "state", true},
	{"?", "help", true},
	{"q", "quit", true},
	{"↑↓ PgUp PgDn Home End", "move (j k g G too)", false},
	{"R", "review a random image that matches the filter", false},
	{"t", "show or hide the folder tree", false},
	{"Esc", "clear the filter", false},
	{"^R", "read the library again", false},
	{"Tab 1-5", "other screens", false},
	{NULL, NULL, false},
};

static const struct key_help filter_help[] = {
	{"Enter", "apply", true},
	{"Esc", "cancel", true},
	{"Tab", "complete", true},
	{"↑↓", "choose a completion", false},
	{"1girl -solo", "committed tags; - not", false},
	{"a | b  ~a ~b  ( )", "or, grouping", false},
	{"tag*", "wildcard", false},
	{"rating:g,s", "g s q e unrated", false},
	{"orientation:portrait", "landscape portrait square", false},
	{"state:tagged", "new tagged committed failed missing", false},
	{"suggested:TAG", "a pending suggestion", false},
	{"character:NAME source:manual", "committed character; by hand", false},
	{"score:TAG>0.8", "the model's score", false},
	{"width:>=1920 size:<2mb", "dimensions, file size", false},
	{"folder:DIR path:TEXT", "below a folder; path contains", false},
	{"model:NAME", "answered by that model", false},
	{NULL, NULL, false},
};

static const struct key_help tree_help[] = {
	{"Enter", "show folder", true},
	{"→ ←", "open, close", true},
	{"Esc", "back to the list", true},
	{"?", "help", true},
	{NULL, NULL, false},
};

static const struct key_help *
lib_mode_help(void *data)
{
	struct lib *s = data;
	return s->filter_input != NULL ? filter_help : s->tree_focus ? tree_help : NULL;
}

const struct screen_ops screen_library_ops = {
	.name = "Library",
	.help = lib_help,
	.create = lib_create,
	.destroy = lib_destroy,
	.enter = lib_enter,
	.draw = lib_draw,
	.key = lib_key,
	.mode_help = lib_mode_help,
};
