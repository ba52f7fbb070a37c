/*
 * widget-input.h — a one-line text input: UTF-8 editing with the usual
 * keys (arrows, Home/End, ^A ^E ^U ^K ^W, Backspace, Delete), scrolled
 * sideways so the cursor stays in view.
 */
#ifndef TAGCON_WIDGET_INPUT_H
#define TAGCON_WIDGET_INPUT_H

#include <curses.h>
#include <stdbool.h>

struct input;

enum input_result {
	INPUT_IGNORED, /* not an editing key */
	INPUT_MOVED,   /* the cursor moved */
	INPUT_EDITED,  /* the text changed */
	INPUT_DONE,    /* Enter */
	INPUT_CANCEL,  /* Esc */
	INPUT_TAB,     /* Tab: the owner may complete */
};

struct input *input_create(const char *text);
void input_destroy(struct input *in);

const char *input_text(const struct input *in);
/* Replace the text; the cursor goes to its end. */
void input_set(struct input *in, const char *text);
/* Byte offset of the cursor in the text. */
size_t input_cursor(const struct input *in);
void input_set_cursor(struct input *in, size_t offset);

enum input_result input_key(struct input *in, int key);

/* Draw in width columns at (y, x); *cursor_x gets the cursor's column. */
void input_draw(struct input *in, WINDOW *w, int y, int x, int width, attr_t attr,
    int *cursor_x);

#endif
