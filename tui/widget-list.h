/*
 * widget-list.h — a virtual list: a cursor and a scroll position over
 * count rows that are never all in memory.  Every list of the console (the
 * image list, the folder tree, tags, Spaces, failed images, settings) is one
 * of these; the screen draws each visible row through a callback.
 */
#ifndef TAGCON_WIDGET_LIST_H
#define TAGCON_WIDGET_LIST_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

struct list {
	int64_t count;
	int64_t cursor; /* 0 <= cursor < count, or 0 when empty */
	int64_t top;    /* first visible row */
	int height;     /* rows shown at the last draw (for page keys) */
};

void list_init(struct list *l);
/* New row count; the cursor stays on its index when it still exists. */
void list_set_count(struct list *l, int64_t count);
void list_set_cursor(struct list *l, int64_t cursor);
/* Up/Down/PgUp/PgDn/Home/End (and k/j, g/G when vi is set): true if it was one. */
bool list_key(struct list *l, int key, bool vi);

/* Whether rows [base, base + n) hold every row a draw around the cursor
 * can show (a screen fetches another page when not). */
bool list_window_covers(const struct list *l, int64_t base, int64_t n);

/* Draw row(ud, w, y, x, width, index, is_cursor) for every visible row, a
 * scroll bar in the last column when the rows do not fit. */
typedef void (*list_row_fn)(void *ud, WINDOW *w, int y, int x, int width, int64_t index,
    bool is_cursor);
void list_draw(struct list *l, WINDOW *w, int y, int x, int height, int width, list_row_fn row,
    void *ud, attr_t bar);

#endif
