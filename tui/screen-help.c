/* screen-help.c — `?`: every key of the screen it was opened from. */
#include <stdlib.h>

#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/term.h"
#include "tui/widget-list.h"
#include "tui/widget-wrap.h"

struct help {
	struct console *c;
	struct list list;
	const struct key_help *rows[64];
	const char *titles[64];
	int n;
};

static const struct key_help global_help[] = {
	{"1-5 F2-F6", "Library, Review, Settings, Batch, Log", false},
	{"Tab Shift-Tab", "next, previous screen", false},
	{"?  F1", "this help (Esc, q or ? closes it)", false},
	{"^L", "redraw the terminal", false},
	{"q  F10", "quit (committed work is in the database)", false},
	{NULL, NULL, false},
};

static void
add_table(struct help *h, const char *title, const struct key_help *t)
{
	for (; t != NULL && t->keys != NULL && h->n < 63; t++) {
		h->titles[h->n] = title;
		h->rows[h->n++] = t;
		title = NULL;
	}
}

static void
help_enter(void *data)
{
	struct help *h = data;
	enum screen_id target = console_help_target(h->c);
	h->n = 0;
	if (target < SCREEN_HELP) {
		const char *name;
		const struct key_help *keys = console_screen_keys(h->c, target, &name);
		add_table(h, name, keys);
	}
	add_table(h, "Everywhere", global_help);
	list_init(&h->list);
	list_set_count(&h->list, h->n);
}

/* The key column: wide enough for the longest keys ("↑↓ PgUp PgDn"). */
static int
key_width(int width)
{
	return width > 60 ? 24 : width / 3;
}

/* One help row at y, its text wrapped between words beside the key column
 * (a line cut at the edge hid what a key does); the rows it took. */
static int
help_row(struct help *h, WINDOW *w, int y, int width, int max_rows, int64_t i)
{
	int kw = key_width(width);
	term_put(w, y, 2, kw, h->rows[i]->keys, console_attr(h->c, THEME_STATUS_KEY), false);
	return wrap_draw(w, y, 3 + kw, width - kw - 3, max_rows, h->rows[i]->what,
	    console_attr(h->c, THEME_NORMAL));
}

static void
help_draw(void *data, WINDOW *w)
{
	struct help *h = data;
	int rows = getmaxy(w), cols = getmaxx(w);
	/* Titles take a row each: draw them inline by hand, the list only scrolls. */
	int y = 0;
	for (int64_t i = h->list.top; i < h->n && y < rows; i++) {
		if (h->titles[i] != NULL) {
			if (y > 0) {
				y++;
			}
			if (y >= rows) {
				break;
			}
			term_printf(w, y++, 0, cols, console_attr(h->c, THEME_TITLE), "%s keys",
			    h->titles[i]);
			if (y >= rows) {
				break;
			}
		}
		y += help_row(h, w, y, cols, rows - y, i);
	}
}

static int
help_key(void *data, int key)
{
	struct help *h = data;
	switch (key) {
	case KEYC_ESC:
	case 'q':
	case '?':
	case KEYC_ENTER:
	case KEYC(KEY_F(1)):
		console_show(h->c, console_help_target(h->c));
		return REACT_REDRAW;
	case KEYC(KEY_UP):
	case 'k':
		h->list.top -= h->list.top > 0;
		return REACT_REDRAW;
	case KEYC(KEY_DOWN):
	case 'j':
		h->list.top += h->list.top + 1 < h->n;
		return REACT_REDRAW;
	default:
		return REACT_NONE;
	}
}

static void *
help_create(struct console *c)
{
	struct help *h = xcalloc(1, sizeof *h);
	h->c = c;
	list_init(&h->list);
	return h;
}

static void
help_destroy(void *data)
{
	free(data);
}

static const struct key_help help_keys[] = {
	{"Esc", "close", true},
	{"↑↓", "scroll", true},
	{NULL, NULL, false},
};

const struct screen_ops screen_help_ops = {
	.name = "Help",
	.help = help_keys,
	.create = help_create,
	.destroy = help_destroy,
	.enter = help_enter,
	.draw = help_draw,
	.key = help_key,
};
