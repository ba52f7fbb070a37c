/* widget-field.c — a form field for one setting. */
#include "tui/widget-field.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "tui/term.h"
#include "tui/widget-input.h"

struct field {
	const struct setting_def *def;
	char *value;
	char *stored;
	char *error;
	struct input *input; /* while typing */
};

struct field *
field_create(const struct setting_def *def, const char *stored)
{
	struct field *f = xcalloc(1, sizeof *f);
	f->def = def;
	f->stored = xstrdup(stored);
	f->value = xstrdup(stored);
	return f;
}

void
field_destroy(struct field *f)
{
	if (f == NULL) {
		return;
	}
	input_destroy(f->input);
	free(f->value);
	free(f->stored);
	free(f->error);
	free(f);
}

const struct setting_def *
field_def(const struct field *f)
{
	return f->def;
}

const char *
field_value(const struct field *f)
{
	return f->value;
}

const char *
field_stored(const struct field *f)
{
	return f->stored;
}

const char *
field_error(const struct field *f)
{
	return f->error;
}

bool
field_editing(const struct field *f)
{
	return f->input != NULL;
}

static void
set_error(struct field *f, char *error)
{
	free(f->error);
	f->error = error;
}

void
field_set_value(struct field *f, const char *value)
{
	free(f->value);
	f->value = xstrdup(value);
	set_error(f, NULL);
}

void
field_set_stored(struct field *f, const char *stored)
{
	free(f->stored);
	f->stored = xstrdup(stored);
	field_revert(f);
}

void
field_revert(struct field *f)
{
	field_set_value(f, f->stored);
	input_destroy(f->input);
	f->input = NULL;
}

bool
field_changed(const struct field *f)
{
	return strcmp(f->value, f->stored) != 0;
}

bool
field_validate(struct field *f)
{
	char *normal = NULL, *cause = NULL;
	if (!settings_validate(f->def, f->value, &normal, &cause)) {
		set_error(f, cause);
		return false;
	}
	free(f->value);
	f->value = normal;
	set_error(f, NULL);
	return true;
}

/* Step a number by dir steps, clamped to the setting's range. */
static enum field_result
step(struct field *f, int dir)
{
	const struct setting_def *d = f->def;
	double unit = d->type == SETTING_FLOAT ? 0.01 : (d->max - d->min > 10000 ? 64 : 1);
	double x = strtod(f->value, NULL) + dir * unit;
	x = d->type == SETTING_FLOAT ? round(x * 100) / 100 : round(x);
	x = x < d->min ? d->min : x > d->max ? d->max : x;
	char *v = d->type == SETTING_FLOAT ? xasprintf("%g", x) : xasprintf("%.0f", x);
	field_set_value(f, v);
	free(v);
	return FIELD_CHANGED;
}

static enum field_result
cycle(struct field *f, int dir)
{
	const char *const *c = f->def->choices;
	int n = 0, at = 0;
	for (; c[n] != NULL; n++) {
		at = strcmp(c[n], f->value) == 0 ? n : at;
	}
	field_set_value(f, c[(at + dir + n) % n]);
	return FIELD_CHANGED;
}

/* The typed text becomes the value if valid; else the input stays open. */
static enum field_result
finish_input(struct field *f)
{
	char *old = xstrdup(f->value);
	field_set_value(f, input_text(f->input));
	if (!field_validate(f)) {
		char *why = f->error;
		f->error = NULL;
		field_set_value(f, old);
		set_error(f, why);
		free(old);
		return FIELD_HANDLED;
	}
	input_destroy(f->input);
	f->input = NULL;
	bool changed = strcmp(old, f->value) != 0;
	free(old);
	return changed ? FIELD_CHANGED : FIELD_HANDLED;
}

static enum field_result
input_keys(struct field *f, int key)
{
	switch (input_key(f->input, key)) {
	case INPUT_DONE:
		return finish_input(f);
	case INPUT_CANCEL:
		input_destroy(f->input);
		f->input = NULL;
		set_error(f, NULL);
		return FIELD_HANDLED;
	case INPUT_EDITED:
		set_error(f, NULL);
		return FIELD_HANDLED;
	case INPUT_MOVED:
	case INPUT_TAB:
		return FIELD_HANDLED;
	case INPUT_IGNORED:
		break;
	}
	/* Leaving the field (Up, Down) applies the text when it is valid. */
	enum field_result r = finish_input(f);
	return f->input == NULL ? (r == FIELD_CHANGED ? FIELD_CHANGED : FIELD_IGNORED)
	    : FIELD_HANDLED;
}

static enum field_result
start_input(struct field *f, const char *text, int key)
{
	f->input = input_create(text);
	if (key != 0) {
		input_key(f->input, key);
	}
	return FIELD_HANDLED;
}

static enum field_result
number_key(struct field *f, int key)
{
	switch (key) {
	case KEYC(KEY_LEFT):
	case '-':
		return step(f, -1);
	case KEYC(KEY_RIGHT):
	case '+':
		return step(f, 1);
	case KEYC(KEY_SLEFT):
		return step(f, -10);
	case KEYC(KEY_SRIGHT):
		return step(f, 10);
	case KEYC_ENTER:
		return start_input(f, f->value, 0);
	default:
		break;
	}
	if ((key >= '0' && key <= '9') || key == '.') {
		return start_input(f, "", key);
	}
	return FIELD_IGNORED;
}

void
field_edit(struct field *f)
{
	if (f->input == NULL) {
		start_input(f, f->value, 0);
	}
}

enum field_result
field_key(struct field *f, int key)
{
	if (f->input != NULL) {
		return input_keys(f, key);
	}
	bool lr = key == KEYC(KEY_LEFT) || key == KEYC(KEY_RIGHT);
	switch (f->def->type) {
	case SETTING_BOOL:
		if (lr || key == ' ' || key == KEYC_ENTER) {
			field_set_value(f, strcmp(f->value, "true") == 0 ? "false" : "true");
			return FIELD_CHANGED;
		}
		return FIELD_IGNORED;
	case SETTING_INT:
	case SETTING_FLOAT:
		return number_key(f, key);
	case SETTING_ENUM:
		if (lr || key == ' ' || key == KEYC_ENTER) {
			return cycle(f, key == KEYC(KEY_LEFT) ? -1 : 1);
		}
		return FIELD_IGNORED;
	case SETTING_URLS:
		return key == KEYC_ENTER ? FIELD_OPEN : FIELD_IGNORED;
	case SETTING_STRING:
	case SETTING_PATH:
		return key == KEYC_ENTER ? FIELD_OPEN : FIELD_IGNORED;
	}
	return FIELD_IGNORED;
}

/* "2 Spaces: a.hf.space, b.example" from the one-per-line value. */
static char *
urls_summary(const char *value)
{
	int n = 0;
	for (const char *p = value; *p; p++) {
		n += *p == '\n';
	}
	n += *value != '\0';
	if (n == 0) {
		return xstrdup("(none: press Enter to add Space URLs)");
	}
	char *joined = xstrdup(value);
	for (char *p = joined; *p; p++) {
		*p = *p == '\n' ? ' ' : *p;
	}
	char *s = xasprintf("%d Space%s: %s", n, n == 1 ? "" : "s", joined);
	free(joined);
	return s;
}

static char *
shown_value(const struct field *f)
{
	const char *v = f->value;
	switch (f->def->type) {
	case SETTING_BOOL:
		return xasprintf("[%s] %s", strcmp(v, "true") == 0 ? "x" : " ",
		    strcmp(v, "true") == 0 ? "on" : "off");
	case SETTING_ENUM:
		return xasprintf("< %s >", v);
	case SETTING_URLS:
		return urls_summary(v);
	case SETTING_PATH:
		return xstrdup(*v ? v : "(every root)");
	default:
		return xstrdup(*v ? v : "(none)");
	}
}

void
field_draw(struct field *f, WINDOW *w, int y, int x, int width, attr_t attr, int *cursor_x)
{
	*cursor_x = -1;
	if (f->input != NULL) {
		input_draw(f->input, w, y, x, width, attr, cursor_x);
		return;
	}
	char *s = shown_value(f);
	term_put(w, y, x, width, s, attr, true);
	free(s);
}
