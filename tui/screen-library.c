/*
 * screen-library.c — the folder tree beside a virtual list of images.
 *
 * The list never holds the library: it keeps a window of PAGE rows around
 * the cursor, fetched on the query lane, and shows "…" for a row until its
 * page arrives.  A filter change bumps gen, so pages of an older filter are
 * dropped when they come back.
 */
#include "tui/screen-library.h"
#include "tui/screen-library-private.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/settings.h"
#include "db/db.h"
#include "db/images.h"
#include "db/runs.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/term.h"
#include "tui/widget-list.h"
#include "tui/widget-query.h"
#include "tui/widget-tree.h"
#include "tui/widget-wrap.h"

static const char *const state_names[DB_N_STATES] = {
	"new", "tagged", "committed", "failed", "missing",
};
/* "largest file": by bytes, and the Size column shows bytes while it sorts. */
static const char *const sort_names[DB_N_SORTS] = {"path", "newest", "largest file",
	"least sure"};


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
	library_request_page(s, 0, true);
}

void
library_screen_refresh(void *data)
{
	struct lib *s = data;
	/* Rules and settings may have changed from a shell, too. */
	console_settings_changed(s->c);
	int64_t offset = s->n_rows > 0 ? s->base : 0;
	library_request_page(s, offset, true);
	library_request_tree(s);
}

static void
add_root(void *ud, int64_t id, const char *path)
{
	(void)id;
	g_ptr_array_add(ud, g_strdup(path));
}

/* The roots, read again now and then (a scan may add one). */
static void
read_roots(struct lib *s)
{
	GPtrArray *roots = g_ptr_array_new_with_free_func(g_free);
	if (db_roots_each(console_db(s->c), add_root, roots)) {
		if (s->roots != NULL) {
			g_ptr_array_free(s->roots, TRUE);
		}
		s->roots = roots;
	} else {
		g_ptr_array_free(roots, TRUE);
	}
}

/* A newcomer's first screen tells where tagging goes: while no batch has
 * run and the only Space is the public default, how to add one's own. */
static void
update_advice(struct lib *s)
{
	struct db *db = console_db(s->c);
	size_t n = 0;
	char **spaces = settings_get_list(db, "spaces", &n);
	bool advise = n == 1 && settings_public_space(spaces[0]);
	settings_list_free(spaces);
	struct db_run run;
	bool found = false;
	if (advise && db_run_latest(db, &run, &found) && found) {
		db_run_fini(&run);
		advise = false;
	}
	s->advise = advise;
}

/* While the Library shows, read again what another process (a batch, a
 * scan, a second console) changed; the tree, dearer, at most every 10 s. */
static void
refresh_tick(void *ud)
{
	struct lib *s = ud;
	int64_t version = 0;
	update_advice(s);
	read_roots(s);
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
	library_request_page(s, s->n_rows > 0 ? s->base : 0, true);
	if (++s->ticks_since_tree >= TREE_EVERY) {
		s->ticks_since_tree = 0;
		library_request_tree(s);
	}
}

/* Tell the console which image the cursor is on (Settings previews on it). */
void
library_publish_cursor(struct lib *s)
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

/* Whether the query names a plain tag (a committed one), for the hint
 * when nothing matches: right after a batch, tags are still suggestions. */
static bool
plain_tags(const struct lib *s)
{
	const char *q = console_filter(s->c)->query_text;
	if (q == NULL) {
		return false;
	}
	char **words = g_strsplit_set(q, " \t()|", -1);
	bool plain = false;
	for (char **w = words; *w != NULL && !plain; w++) {
		const char *t = **w == '-' || **w == '~' ? *w + 1 : *w;
		plain = *t != '\0' && strchr(t, ':') == NULL;
	}
	g_strfreev(words);
	return plain;
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
	library_publish_cursor(s);
	int64_t id = console_image(s->c);
	if (id == 0 && s->n_rows == 0 && (s->page_pending || !s->counted)) {
		/* Before the first rows a Review would open on nothing: the key
		 * waits for them (library_rows_arrived), and says so meanwhile. */
		s->queued_key = next_pending ? 'r' : KEYC_ENTER;
		console_message(s->c, CONSOLE_INFO, "Still loading the list: %s when its rows "
		    "are here.", next_pending ? "r reviews the next image" : "Enter opens the "
		    "first image");
		return;
	}
	if (next_pending || id != 0) {
		console_open_review(s->c, id, next_pending);
	}
}

void
library_rows_arrived(struct lib *s)
{
	int key = s->queued_key;
	s->queued_key = 0;
	/* Only while the Library shows: a key must not act on another screen. */
	if (key == 0 || console_current(s->c) != SCREEN_LIBRARY) {
		return;
	}
	console_message_clear(s->c); /* "Still loading" is over */
	if (s->n_rows == 0) {
		console_message(s->c, CONSOLE_INFO, "No images match: nothing to review.");
		return;
	}
	open_review(s, key == 'r');
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
		library_random_pick(s);
		return REACT_HANDLED;
	case '/':
		s->filter_input = query_input_create(QUERY_INPUT_QUERY, console_filter(s->c)->query_text);
		return REACT_REDRAW;
	case 's': /* path, newest, largest; least sure has a key of its own */
		console_filter_set_sort(s->c, (console_filter(s->c)->sort + 1) % DB_SORT_UNSURE);
		follow_filter(s);
		return REACT_REDRAW;
	case 'u': /* review where the model was unsure first (r follows the sort) */
		console_filter_set_sort(s->c, console_filter(s->c)->sort == DB_SORT_UNSURE ?
		    DB_SORT_PATH : DB_SORT_UNSURE);
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
		s->tree_auto = false;
		s->tree_focus = true;
		return REACT_REDRAW;
	case 'i':
		s->show_full = true;
		return REACT_REDRAW;
	case 'A':
		s->add_input = input_create("");
		return REACT_REDRAW;
	case 't':
		s->tree_shown = !s->tree_shown;
		s->tree_auto = false;
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
	if (s->show_full) {
		/* The box closes on any key; the key is its own. */
		s->show_full = false;
		return REACT_REDRAW;
	}
	if (s->filter_input != NULL) {
		return filter_key(s, key);
	}
	if (s->add_input != NULL) {
		return library_add_key(s, key);
	}
	if (s->tree_focus && s->tree_shown) {
		return tree_key(s, key);
	}
	/* The end of a list whose length is not known yet is where it will be. */
	bool to_end = key == KEYC(KEY_END) || key == 'G';
	if (list_key(&s->list, key, true)) {
		s->end_pending = to_end && !s->counted;
		library_request_page(s, -1, false);
		library_publish_cursor(s);
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

/* What the Path column shows of path: below the folder picked in the
 * tree, else from its root's own name ("Pictures/2024/a.jpg"): the part
 * that tells images apart, before any shortening. */
static const char *
shown_path(const struct lib *s, const char *path)
{
	const char *under = console_filter(s->c)->under;
	size_t n = under != NULL ? strlen(under) : 0;
	if (n > 0 && strncmp(path, under, n) == 0 && path[n] == '/') {
		return path + n + 1;
	}
	const char *best = path;
	size_t best_len = 0;
	for (guint i = 0; s->roots != NULL && i < s->roots->len; i++) {
		const char *root = g_ptr_array_index(s->roots, i);
		size_t rn = strlen(root);
		const char *slash = strrchr(root, '/');
		if (rn > 1 && rn > best_len && strncmp(path, root, rn) == 0 && path[rn] == '/' &&
		    slash != NULL) {
			best = path + (slash - root) + 1;
			best_len = rn;
		}
	}
	return best;
}

/* "2.4 MB", "812 kB", "96 B": what the Size column shows while it sorts
 * by bytes. */
static void
bytes_text(char *buf, size_t n, int64_t size)
{
	if (size >= 1000000) {
		snprintf(buf, n, "%.1f MB", (double)size / 1e6);
	} else if (size >= 1000) {
		snprintf(buf, n, "%.0f kB", (double)size / 1e3);
	} else {
		snprintf(buf, n, "%lld B", (long long)size);
	}
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
	char *shown = wrap_path(shown_path(s, r->path), c.name - 1);
	term_put(w, y, cx, c.name, shown, a, true);
	free(shown);
	cx += c.name;
	if (c.dims > 0) {
		if (console_filter(s->c)->sort == DB_SORT_SIZE) {
			bytes_text(buf, sizeof buf, r->size);
		} else {
			snprintf(buf, sizeof buf, r->width > 0 ? "%d×%d" : "-", r->width, r->height);
		}
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
	if (s->add_input != NULL) {
		int cx, x = term_put(w, 0, 0, width, "Add folder (Enter scans it, Esc): ", t, false);
		input_draw(s->add_input, w, 0, x, width - x, console_attr(s->c, THEME_INPUT), &cx);
		console_set_cursor(s->c, 0, cx);
		return;
	}
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
	snprintf(right, sizeof right, "  sort: %s   %s%lld image%s ", sort_names[cf->sort],
	    s->counted ? "" : "~", (long long)s->list.count, s->list.count == 1 ? "" : "s");
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
		term_put_aligned(w, 1, cx, c.dims, console_filter(s->c)->sort == DB_SORT_SIZE ?
		    "File size" : "Size", h, TERM_RIGHT);
		cx += c.dims;
	}
	term_put(w, 1, cx, c.orient + c.rating, " O R", h, false);
	cx += c.orient + c.rating;
	term_put_aligned(w, 1, cx, c.sug, "Sug", h, TERM_RIGHT);
	term_put_aligned(w, 1, cx + c.sug, c.com, "Com", h, TERM_RIGHT);
	int advice = 0;
	if (s->advise) {
		const char *text = "Tagging goes to SmilingWolf's public wd-tagger Space: shared, "
		    "so slower. For speed, add your own duplicate's URL in Settings (3) → spaces. "
		    "Batch (4), s tags.";
		advice = wrap_rows(text, width - 2) > 3 ? 3 : wrap_rows(text, width - 2);
		if (height - 2 - advice >= 3) {
			wrap_draw(w, height - advice, x + 1, width - 2, advice, text,
			    console_attr(s->c, THEME_WARNING));
		} else {
			advice = 0;
		}
	}
	if (s->counted && s->list.count == 0) {
		const char *msg = !filtered(s) ? "No images yet: A adds a folder (or start tagcon "
		    "with one, tagcon ~/Pictures, or run tagcon scan DIR)." :
		    plain_tags(s) ? "Nothing matches the filter (Esc clears it). Plain tags match "
		    "committed tags; pending suggestions are suggested:TAG (Review commits them)." :
		    "Nothing matches the filter (Esc clears it).";
		wrap_draw(w, 3, x + 1, width - 2, height - 4 - advice, msg,
		    console_attr(s->c, THEME_DIM));
		return;
	}
	list_draw(&s->list, w, 2, x, height - 2 - advice, width, draw_image_row, s,
	    console_attr(s->c, THEME_BORDER));
}

/* i: the whole path of the cursor's image (and why it failed). */
static void
draw_full(struct lib *s, WINDOW *w)
{
	int64_t i = s->list.cursor - s->base;
	if (i < 0 || i >= (int64_t)s->n_rows) {
		return;
	}
	const struct db_browse_row *r = &s->rows[i];
	char *text = r->error != NULL ? xasprintf("%s — %s", r->path, r->error) :
	    xasprintf("%s — %d×%d, %lld bytes", r->path, r->width, r->height, (long long)r->size);
	wrap_popup(w, "i: the whole path (any key closes)", text,
	    console_attr(s->c, THEME_NORMAL), console_attr(s->c, THEME_TITLE));
	free(text);
}

static void
lib_draw(void *data, WINDOW *w)
{
	struct lib *s = data;
	int rows = getmaxy(w), cols = getmaxx(w);
	if (s->tree_auto) {
		s->tree_shown = cols >= 100;
	}
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
	if (s->show_full) {
		draw_full(s, w);
	}
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
	s->tree_auto = true;
	list_init(&s->list);
	list_init(&s->tree_list);
	s->tree = tree_create();
	tree_finish(s->tree, NULL);
	list_set_count(&s->tree_list, 1);
	update_advice(s);
	read_roots(s);
	library_request_page(s, 0, true);
	library_request_tree(s);
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
	input_destroy(s->add_input);
	if (s->roots != NULL) {
		g_ptr_array_free(s->roots, TRUE);
	}
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
	{"u", "least sure first (r and the next after c follow it); again: by path", false},
	{"t", "show or hide the folder tree", false},
	{"A", "add a folder: it is scanned in the background and becomes a root", false},
	{"i", "the whole path of the image under the cursor", false},
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

static const struct key_help add_help[] = {
	{"Enter", "scan it", true},
	{"Esc", "cancel", true},
	{"~/", "your home", false},
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
	return s->filter_input != NULL ? filter_help : s->add_input != NULL ? add_help :
	    s->tree_focus ? tree_help : NULL;
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
