/*
 * term.h — text on the terminal: keys, display widths, clipped drawing.
 *
 * Everything the console shows passes through term_put(): it measures each
 * character's display width (a CJK name takes two columns per character, a
 * combining mark none), clips at the given width without splitting a wide
 * character, and turns anything the terminal would interpret into a visible
 * escape (core/sanitize.h).  Screens never call waddstr on outside text.
 */
#ifndef TAGCON_TERM_H
#define TAGCON_TERM_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * A key as the console passes it around: a Unicode code point, or a curses
 * KEY_* code tagged with KEYC_FN (the two ranges overlap otherwise).
 */
#define KEYC_FN 0x40000000
#define KEYC(k) (KEYC_FN | (k))
#define KEYC_CTRL(c) ((c) & 0x1f)
#define KEYC_ESC 0x1b
#define KEYC_TAB '\t'
#define KEYC_ENTER '\r'
#define KEYC_BACKSPACE 0x7f

/* Normalise a key read by wget_wch (rc is its return value). */
int term_key(int rc, wint_t wch);
/* Whether key is a character to insert in text (printable, not a control). */
bool term_key_is_text(int key);
/* Name of a key for messages ("^A", "Enter", "F2", "x"), static storage. */
const char *term_key_name(int key);

/* Set up after setlocale(): whether the terminal takes UTF-8. */
void term_init(void);
bool term_utf8(void);

/* Display columns of s (UTF-8; every invalid byte counts as one column). */
int term_width(const char *s);

enum term_align {
	TERM_LEFT,
	TERM_RIGHT,
	TERM_TAIL, /* keep the end when clipping: "…/folder/name.jpg" */
};

/*
 * Draw s at (y, x) in at most width columns with attr, padding with spaces
 * to width when pad is set.  s may be anything: it is sanitised here.
 * Returns the columns drawn (not counting padding).
 */
int term_put(WINDOW *w, int y, int x, int width, const char *s, attr_t attr, bool pad);
int term_put_aligned(WINDOW *w, int y, int x, int width, const char *s, attr_t attr,
    enum term_align align);
/* printf into term_put (no padding). */
int term_printf(WINDOW *w, int y, int x, int width, attr_t attr, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Fill width columns at (y, x) with spaces in attr. */
void term_fill(WINDOW *w, int y, int x, int width, attr_t attr);
/* A horizontal bar of width columns, frac (0..1) of it filled. */
void term_bar(WINDOW *w, int y, int x, int width, double frac, attr_t on, attr_t off);

/* Byte offset in s of the column col (for cursor placement in inputs). */
size_t term_offset_of_col(const char *s, int col);

#endif
