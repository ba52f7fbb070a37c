/* term.c — keys, widths and clipped, sanitised drawing. */
#include "tui/term.h"

#include <glib.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/sanitize.h"
#include "common/xalloc.h"

static bool utf8_term;

void
term_init(void)
{
	const char *cs = nl_langinfo(CODESET);
	utf8_term = cs != NULL && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

bool
term_utf8(void)
{
	return utf8_term;
}

int
term_key(int rc, wint_t wch)
{
	if (rc == KEY_CODE_YES) {
		if (wch == KEY_ENTER) {
			return KEYC_ENTER;
		}
		if (wch == KEY_BACKSPACE) {
			return KEYC_BACKSPACE;
		}
		return KEYC((int)wch);
	}
	if (wch == '\n') {
		return KEYC_ENTER;
	}
	if (wch == 0x08) {
		return KEYC_BACKSPACE;
	}
	return (int)wch;
}

bool
term_key_is_text(int key)
{
	return (key & KEYC_FN) == 0 && key >= 0x20 && key != 0x7f && !(key >= 0x80 && key < 0xa0) &&
	    g_unichar_validate((gunichar)key) && g_unichar_isprint((gunichar)key);
}

/* What the keycap says, not curses' internal name ("KEY_RIGHT"). */
static const char *
fn_name(int k)
{
	static const struct {
		int key;
		const char *name;
	} names[] = {
		{KEY_UP, "↑"}, {KEY_DOWN, "↓"}, {KEY_LEFT, "←"}, {KEY_RIGHT, "→"},
		{KEY_HOME, "Home"}, {KEY_END, "End"}, {KEY_PPAGE, "PgUp"}, {KEY_NPAGE, "PgDn"},
		{KEY_IC, "Insert"}, {KEY_DC, "Delete"}, {KEY_BTAB, "Shift-Tab"},
		{KEY_SLEFT, "Shift-←"}, {KEY_SRIGHT, "Shift-→"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (names[i].key == k) {
			return names[i].name;
		}
	}
	return NULL;
}

const char *
term_key_name(int key)
{
	static char buf[32];
	if (key & KEYC_FN) {
		int k = key & ~KEYC_FN;
		const char *n = fn_name(k);
		if (n == NULL && k >= KEY_F(1) && k <= KEY_F(24)) {
			snprintf(buf, sizeof buf, "F%d", k - KEY_F(0));
			return buf;
		}
		snprintf(buf, sizeof buf, "%s", n != NULL ? n : keyname(k) != NULL ? keyname(k) : "?");
	} else if (key == KEYC_ENTER) {
		return "Enter";
	} else if (key == KEYC_ESC) {
		return "Esc";
	} else if (key < 0x20) {
		snprintf(buf, sizeof buf, "^%c", key + '@');
	} else {
		char u[8] = {0};
		g_unichar_to_utf8((gunichar)key, u);
		snprintf(buf, sizeof buf, "%s", u);
	}
	return buf;
}

/* Width of one character as drawn: unprintable ones are drawn as '?'. */
static int
char_width(gunichar c)
{
	int w = wcwidth((wchar_t)c);
	return w < 0 ? 1 : w;
}

static gunichar
shown(gunichar c)
{
	if (!utf8_term && c >= 0x80) {
		return '?';
	}
	return wcwidth((wchar_t)c) < 0 ? '?' : c;
}

int
term_width(const char *s)
{
	int cols = 0;
	const char *p = s, *end = s + strlen(s);
	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			cols++;
			p++;
			continue;
		}
		cols += utf8_term ? char_width(c) : 1;
		p = g_utf8_next_char(p);
	}
	return cols;
}

/* Decode safe (already sanitised) text into wide characters that fit width. */
static int
fit(const char *safe, int width, wchar_t *out, size_t *n)
{
	int cols = 0;
	*n = 0;
	for (const char *p = safe; *p; p = g_utf8_next_char(p)) {
		gunichar c = shown(g_utf8_get_char(p));
		int cw = char_width(c);
		if (cols + cw > width) {
			break;
		}
		out[(*n)++] = (wchar_t)c;
		cols += cw;
	}
	out[*n] = L'\0';
	return cols;
}

static int
put_safe(WINDOW *w, int y, int x, int width, const char *safe, attr_t attr)
{
	size_t len = strlen(safe);
	wchar_t *buf = xcalloc(len + 1, sizeof *buf);
	size_t n;
	int cols = fit(safe, width, buf, &n);
	wattr_set(w, attr, PAIR_NUMBER(attr), NULL);
	mvwaddnwstr(w, y, x, buf, (int)n);
	wattr_set(w, A_NORMAL, 0, NULL);
	free(buf);
	return cols;
}

void
term_fill(WINDOW *w, int y, int x, int width, attr_t attr)
{
	if (width <= 0) {
		return;
	}
	wattr_set(w, attr, PAIR_NUMBER(attr), NULL);
	mvwhline(w, y, x, ' ', width);
	wattr_set(w, A_NORMAL, 0, NULL);
}

int
term_put(WINDOW *w, int y, int x, int width, const char *s, attr_t attr, bool pad)
{
	if (width <= 0) {
		return 0;
	}
	char *safe = sanitize_str(s != NULL ? s : "");
	int cols = put_safe(w, y, x, width, safe, attr);
	free(safe);
	if (pad) {
		term_fill(w, y, x + cols, width - cols, attr);
	}
	return cols;
}

/* The suffix of safe that fits in width - 1 columns, after an ellipsis. */
static const char *
tail_of(const char *safe, int width)
{
	int total = term_width(safe);
	const char *p = safe;
	while (*p && total > width - 1) {
		const char *next = g_utf8_next_char(p);
		char tmp[8] = {0};
		memcpy(tmp, p, (size_t)(next - p));
		total -= term_width(tmp);
		p = next;
	}
	return p;
}

int
term_put_aligned(WINDOW *w, int y, int x, int width, const char *s, attr_t attr,
    enum term_align align)
{
	if (width <= 0) {
		return 0;
	}
	char *safe = sanitize_str(s != NULL ? s : "");
	int sw = term_width(safe), cols;
	if (align == TERM_RIGHT && sw < width) {
		term_fill(w, y, x, width - sw, attr);
		cols = put_safe(w, y, x + width - sw, sw, safe, attr);
	} else if (align == TERM_TAIL && sw > width && width > 1) {
		put_safe(w, y, x, 1, utf8_term ? "…" : "<", attr);
		cols = 1 + put_safe(w, y, x + 1, width - 1, tail_of(safe, width), attr);
		term_fill(w, y, x + cols, width - cols, attr);
	} else {
		cols = put_safe(w, y, x, width, safe, attr);
		term_fill(w, y, x + cols, width - cols, attr);
	}
	free(safe);
	return cols;
}

int
term_printf(WINDOW *w, int y, int x, int width, attr_t attr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	int cols = term_put(w, y, x, width, s, attr, false);
	free(s);
	return cols;
}

void
term_bar(WINDOW *w, int y, int x, int width, double frac, attr_t on, attr_t off)
{
	static const char *const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
	if (width <= 0) {
		return;
	}
	frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
	int units = (int)(frac * width * 8 + 0.5);
	int full = units / 8, part = units % 8;
	for (int i = 0; i < width; i++) {
		const char *cell = utf8_term ? "░" : ".";
		attr_t a = off;
		if (i < full) {
			cell = utf8_term ? "█" : "#";
			a = on;
		} else if (i == full && part > 0) {
			cell = utf8_term ? eighths[part] : "#";
			a = on;
		}
		put_safe(w, y, x + i, 1, cell, a);
	}
}

size_t
term_offset_of_col(const char *s, int col)
{
	const char *p = s;
	int cols = 0;
	while (*p && cols < col) {
		const char *next = g_utf8_next_char(p);
		char tmp[8] = {0};
		memcpy(tmp, p, (size_t)(next - p));
		cols += term_width(tmp);
		p = next;
	}
	return (size_t)(p - s);
}
