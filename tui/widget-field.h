/*
 * widget-field.h — one form field bound to a setting (core/settings.h).
 *
 * The field keeps the value being edited next to the stored one, so a
 * form can tell what changed, save it, or throw it away.  Keys by type:
 * a switch toggles (Space, Enter, ←/→); a number steps (←/→, -/+) or takes
 * typed digits; a choice cycles (←/→, Space); text opens an input on the
 * first typed character.  Enter on a field that needs more room (Space
 * URLs, model, folder) is left to the form (FIELD_OPEN).  Every value is
 * checked with settings_validate(); a bad one stays visible with its reason.
 */
#ifndef TAGCON_WIDGET_FIELD_H
#define TAGCON_WIDGET_FIELD_H

#include <curses.h>
#include <stdbool.h>

#include "core/settings.h"

struct field;

enum field_result {
	FIELD_IGNORED,
	FIELD_HANDLED, /* used, value unchanged (cursor moved, edit started) */
	FIELD_CHANGED, /* the value changed */
	FIELD_OPEN,    /* Enter on a field edited elsewhere (list, picker, editor) */
};

struct field *field_create(const struct setting_def *def, const char *stored);
void field_destroy(struct field *f);

const struct setting_def *field_def(const struct field *f);
/* The value as edited (a typed number is applied on Enter). */
const char *field_value(const struct field *f);
const char *field_stored(const struct field *f);
void field_set_value(struct field *f, const char *value);
/* The value is now stored (after a save) or the edit is thrown away. */
void field_set_stored(struct field *f, const char *stored);
void field_revert(struct field *f);
bool field_changed(const struct field *f);

/* Validate the value; false leaves the reason in field_error(). */
bool field_validate(struct field *f);
const char *field_error(const struct field *f);

/* Open a text input on the value (Enter applies it, Esc drops it). */
void field_edit(struct field *f);
/* Whether a text input is open (the form must pass every key here). */
bool field_editing(const struct field *f);
enum field_result field_key(struct field *f, int key);

/* The value as shown in width columns; *cursor_x >= 0 while editing. */
void field_draw(struct field *f, WINDOW *w, int y, int x, int width, attr_t attr,
    int *cursor_x);

#endif
