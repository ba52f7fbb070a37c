/*
 * widget-lines.h — a small multi-line editor: one input per line (the
 * Space URLs, one per line).  Up/Down move between lines, Enter splits
 * the line at the cursor, Backspace at the start of a line joins it to the
 * one above; every other key edits the current line.
 */
#ifndef TAGCON_WIDGET_LINES_H
#define TAGCON_WIDGET_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/widget-input.h"

struct lines;

struct lines *lines_create(const char *text);
void lines_destroy(struct lines *l);

size_t lines_count(const struct lines *l);
size_t lines_current(const struct lines *l);
struct input *lines_input(struct lines *l, size_t i);
/* Every line joined with '\n' (new string). */
char *lines_text(const struct lines *l);

/* INPUT_EDITED, INPUT_MOVED, INPUT_IGNORED (not an editing key), or
 * INPUT_CANCEL for Esc. */
enum input_result lines_key(struct lines *l, int key);

#endif
