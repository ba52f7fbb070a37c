/*
 * widget-wrap.h — text that must be read whole (a refusal, a launch error,
 * a hint, a full path) drawn over as many rows as it needs, broken between
 * words; a word wider than the row (a long path) is broken where it must.
 */
#ifndef TAGCON_WIDGET_WRAP_H
#define TAGCON_WIDGET_WRAP_H

#include <curses.h>

/* The rows s takes at width columns (at least 1). */
int wrap_rows(const char *s, int width);
/* Draw s from (y, x) in width columns and at most max_rows rows (the last
 * one ends with an ellipsis when cut); the rows drawn. */
int wrap_draw(WINDOW *w, int y, int x, int width, int max_rows, const char *s, attr_t attr);

/*
 * A path to show in width columns: whole when it fits, else the file name
 * whole and the folder shortened from the left ("…/Wallpapers/a.jpg",
 * "…ctures/Wallpapers/a.jpg"), else the end of the name (new string).
 */
char *wrap_path(const char *path, int width);

/*
 * The whole of a text cut in a list (a path, a reason): a box over the
 * bottom of w, as tall as the text needs (up to the window), titled; what a
 * screen shows while its `i` is on.
 */
void wrap_popup(WINDOW *w, const char *title, const char *text, attr_t text_attr,
    attr_t border_attr);

#endif
