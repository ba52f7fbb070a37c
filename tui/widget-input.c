/* widget-input.c — one-line UTF-8 text editing. */
#include "tui/widget-input.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "tui/term.h"

struct input {
	GString *text;
	size_t cursor; /* byte offset, on a character boundary */
	int scroll;    /* first column shown */
};

struct input *
input_create(const char *text)
{
	struct input *in = xcalloc(1, sizeof *in);
	in->text = g_string_new(text != NULL ? text : "");
	in->cursor = in->text->len;
	return in;
}

void
input_destroy(struct input *in)
{
	if (in == NULL) {
		return;
	}
	g_string_free(in->text, TRUE);
	free(in);
}

const char *
input_text(const struct input *in)
{
	return in->text->str;
}

void
input_set(struct input *in, const char *text)
{
	g_string_assign(in->text, text != NULL ? text : "");
	in->cursor = in->text->len;
}

size_t
input_cursor(const struct input *in)
{
	return in->cursor;
}

void
input_set_cursor(struct input *in, size_t offset)
{
	in->cursor = offset > in->text->len ? in->text->len : offset;
}

static size_t
prev_char(const struct input *in, size_t at)
{
	if (at == 0) {
		return 0;
	}
	const char *p = g_utf8_find_prev_char(in->text->str, in->text->str + at);
	return p != NULL ? (size_t)(p - in->text->str) : 0;
}

static size_t
next_char(const struct input *in, size_t at)
{
	if (at >= in->text->len) {
		return in->text->len;
	}
	return (size_t)(g_utf8_next_char(in->text->str + at) - in->text->str);
}

static void
cut(struct input *in, size_t from, size_t to)
{
	g_string_erase(in->text, (gssize)from, (gssize)(to - from));
	in->cursor = from;
}

/* Start of the word before the cursor (^W). */
static size_t
word_start(const struct input *in)
{
	size_t at = in->cursor;
	while (at > 0 && in->text->str[prev_char(in, at)] == ' ') {
		at = prev_char(in, at);
	}
	while (at > 0 && in->text->str[prev_char(in, at)] != ' ') {
		at = prev_char(in, at);
	}
	return at;
}

static enum input_result
edit_key(struct input *in, int key)
{
	switch (key) {
	case KEYC_BACKSPACE:
		if (in->cursor == 0) {
			return INPUT_MOVED;
		}
		cut(in, prev_char(in, in->cursor), in->cursor);
		return INPUT_EDITED;
	case KEYC(KEY_DC):
	case KEYC_CTRL('D'):
		if (in->cursor >= in->text->len) {
			return INPUT_MOVED;
		}
		cut(in, in->cursor, next_char(in, in->cursor));
		return INPUT_EDITED;
	case KEYC_CTRL('U'):
		cut(in, 0, in->cursor);
		return INPUT_EDITED;
	case KEYC_CTRL('K'):
		g_string_truncate(in->text, in->cursor);
		return INPUT_EDITED;
	case KEYC_CTRL('W'):
		cut(in, word_start(in), in->cursor);
		return INPUT_EDITED;
	default:
		break;
	}
	if (!term_key_is_text(key)) {
		return INPUT_IGNORED;
	}
	char buf[8] = {0};
	int n = g_unichar_to_utf8((gunichar)key, buf);
	g_string_insert_len(in->text, (gssize)in->cursor, buf, n);
	in->cursor += (size_t)n;
	return INPUT_EDITED;
}

enum input_result
input_key(struct input *in, int key)
{
	switch (key) {
	case KEYC_ENTER:
		return INPUT_DONE;
	case KEYC_ESC:
		return INPUT_CANCEL;
	case KEYC_TAB:
		return INPUT_TAB;
	case KEYC(KEY_LEFT):
		in->cursor = prev_char(in, in->cursor);
		return INPUT_MOVED;
	case KEYC(KEY_RIGHT):
		in->cursor = next_char(in, in->cursor);
		return INPUT_MOVED;
	case KEYC(KEY_HOME):
	case KEYC_CTRL('A'):
		in->cursor = 0;
		return INPUT_MOVED;
	case KEYC(KEY_END):
	case KEYC_CTRL('E'):
		in->cursor = in->text->len;
		return INPUT_MOVED;
	default:
		return edit_key(in, key);
	}
}

void
input_draw(struct input *in, WINDOW *w, int y, int x, int width, attr_t attr, int *cursor_x)
{
	if (width <= 0) {
		return;
	}
	char *before = xstrndup(in->text->str, in->cursor);
	int col = term_width(before);
	free(before);
	if (col < in->scroll) {
		in->scroll = col;
	} else if (col >= in->scroll + width) {
		in->scroll = col - width + 1;
	}
	const char *from = in->text->str + term_offset_of_col(in->text->str, in->scroll);
	term_put(w, y, x, width, from, attr, true);
	if (cursor_x != NULL) {
		*cursor_x = x + col - in->scroll;
	}
}
