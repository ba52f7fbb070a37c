/* widget-wrap.c — see widget-wrap.h. */
#include "tui/widget-wrap.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "common/xalloc.h"
#include "tui/term.h"

/* Columns of the n bytes at s. */
static int
width_of(const char *s, size_t n)
{
	char *t = xstrndup(s, n);
	int w = term_width(t);
	free(t);
	return w;
}

/* Bytes of s (from its start) that fit in width columns, whole characters. */
static size_t
fit(const char *s, int width)
{
	const char *p = s;
	int used = 0;
	while (*p) {
		const char *next = g_utf8_next_char(p);
		int cw = width_of(p, (size_t)(next - p));
		if (used + cw > width) {
			break;
		}
		used += cw;
		p = next;
	}
	return (size_t)(p - s);
}

/* The next row of s at width columns: its length in bytes, and where the
 * row after starts (*next, past the space it broke at). */
static size_t
next_row(const char *s, int width, const char **next)
{
	size_t room = fit(s, width);
	if (s[room] == '\0') {
		*next = s + room;
		return room;
	}
	size_t cut = room;
	while (cut > 0 && s[cut] != ' ') {
		cut--;
	}
	if (cut == 0) {
		/* One word wider than the row: break it. */
		cut = room > 0 ? room : (size_t)(g_utf8_next_char(s) - s);
		*next = s + cut;
		return cut;
	}
	*next = s + cut + 1;
	return cut;
}

int
wrap_rows(const char *s, int width)
{
	if (width <= 0) {
		return 1;
	}
	char *safe = sanitize_str(s != NULL ? s : "");
	int rows = 0;
	for (const char *p = safe; *p || rows == 0;) {
		const char *next;
		next_row(p, width, &next);
		rows++;
		p = next;
	}
	free(safe);
	return rows;
}

int
wrap_draw(WINDOW *w, int y, int x, int width, int max_rows, const char *s, attr_t attr)
{
	if (width <= 0 || max_rows <= 0) {
		return 0;
	}
	char *safe = sanitize_str(s != NULL ? s : "");
	int rows = 0;
	for (const char *p = safe; (*p || rows == 0) && rows < max_rows;) {
		const char *next;
		size_t n = next_row(p, width, &next);
		char *row = xstrndup(p, n);
		if (rows == max_rows - 1 && *next) {
			/* Cut: say so where the reader looks, between words. */
			size_t k = fit(row, width - 1);
			if (row[k] != '\0') {
				size_t sp = k;
				while (sp > 0 && row[sp] != ' ') {
					sp--;
				}
				k = sp > 0 ? sp + 1 : k;
			}
			char *more = xasprintf("%.*s%s", (int)k, row, term_utf8() ? "…" : ">");
			free(row);
			row = more;
		}
		term_put(w, y + rows, x, width, row, attr, false);
		free(row);
		rows++;
		p = next;
	}
	free(safe);
	return rows;
}

static char *
shorten(const char *path, int width);

char *
wrap_path(const char *path, int width)
{
	/* Widths are those of what is drawn: escapes are wider than controls. */
	char *safe = sanitize_str(path != NULL ? path : "");
	char *shown = shorten(safe, width);
	free(safe);
	return shown;
}

static char *
shorten(const char *path, int width)
{
	int total = term_width(path);
	if (total <= width || width <= 0) {
		return xstrdup(path);
	}
	const char *slash = strrchr(path, '/');
	const char *name = slash != NULL ? slash + 1 : path;
	const char *ell = term_utf8() ? "…" : "...";
	int nw = term_width(name), ew = term_width(ell);
	if (slash == NULL || nw + ew + 1 > width) {
		/* Not even the name fits: its end, which tells files apart
		 * ("…_2560x1600_03.jpg"). */
		size_t off = strlen(name);
		int used = 0;
		while (off > 0) {
			size_t prev = off - 1;
			while (prev > 0 && ((unsigned char)name[prev] & 0xc0) == 0x80) {
				prev--;
			}
			int cw = width_of(name + prev, off - prev);
			if (used + cw > width - ew) {
				break;
			}
			used += cw;
			off = prev;
		}
		return xasprintf("%s%s", ell, name + off);
	}
	/* The folder's end, as much of it as fits before the name. */
	const char *dir_end = slash; /* the '/' before the name stays */
	int room = width - nw - ew;
	const char *p = dir_end;
	int used = 1; /* the slash */
	while (p > path) {
		const char *prev = p - 1;
		while (prev > path && ((unsigned char)*prev & 0xc0) == 0x80) {
			prev--;
		}
		int cw = width_of(prev, (size_t)(p - prev));
		if (used + cw > room) {
			break;
		}
		used += cw;
		p = prev;
	}
	return xasprintf("%s%s", ell, p);
}

void
wrap_popup(WINDOW *w, const char *title, const char *text, attr_t text_attr,
    attr_t border_attr)
{
	int rows = getmaxy(w), cols = getmaxx(w);
	if (rows < 3 || cols < 8) {
		return;
	}
	int inner = wrap_rows(text, cols - 4);
	int h = inner + 2 > rows ? rows : inner + 2;
	int top = rows - h;
	for (int y = top; y < rows; y++) {
		term_fill(w, y, 0, cols, text_attr);
	}
	wattr_set(w, border_attr, 0, NULL);
	mvwhline(w, top, 0, term_utf8() ? ACS_HLINE : '-', cols);
	wattr_set(w, A_NORMAL, 0, NULL);
	char *t = xasprintf(" %s ", title);
	term_put(w, top, 2, cols - 4, t, border_attr, false);
	free(t);
	wrap_draw(w, top + 1, 2, cols - 4, h - 1, text, text_attr);
}
