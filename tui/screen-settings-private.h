/*
 * screen-settings-private.h — what the Settings form (screen-settings.c)
 * and its presets (screen-settings-presets.c) share; nothing else includes
 * it.
 */
#ifndef TAGCON_SCREEN_SETTINGS_PRIVATE_H
#define TAGCON_SCREEN_SETTINGS_PRIVATE_H

#include <glib.h>
#include <stdbool.h>

#include "tui/screen-settings.h"
#include "tui/widget-field.h"
#include "tui/widget-input.h"
#include "tui/widget-lines.h"
#include "tui/widget-list.h"

struct set {
	struct console *c;
	struct live *live;
	struct field **fields;
	size_t n;
	struct list list;
	/* the Space URL editor, while open */
	struct lines *urls;
	/* the last valid text of the spaces field: what Esc goes back to */
	char *urls_valid;
	/* a list to pick a value from, while open */
	GPtrArray *pick;      /* values */
	GPtrArray *pick_note; /* why each is offered */
	struct list pick_list;
	bool picking;
	bool pick_loading;
	bool pick_presets;         /* the list holds presets, not values */
	struct input *preset_name; /* naming a new preset, while open */
	int confirm;
	unsigned settings_gen; /* console_settings_gen() the stored values are of */
};

/* The field of the setting named name, or NULL; the focused one. */
struct field *form_field(const struct set *s, const char *name);
struct field *form_focused(const struct set *s);
/* The focused field is a threshold: count again what it would change. */
void form_update_impact(struct set *s);

/* The list to pick from: open it empty, offer values (a note says why
 * each), close it. */
void form_open_picker(struct set *s);
void form_offer(struct set *s, const char *value, const char *note);
void form_close_picker(struct set *s);

/* screen-settings-urls.c: the Space URL editor (s->urls while open). */
int urls_key(struct set *s, int key);
/* Probe the editor's valid URLs (the current line only), or the field's. */
void urls_probe(struct set *s, bool only_current);
/* The field back to its last valid text (s->urls_valid). */
void urls_restore(struct set *s, struct field *f);
/* The URLs, the editor's or the field's, each with its refusal or probe. */
void urls_draw(struct set *s, WINDOW *w, int y, int rows, int cols);

/* screen-settings-presets.c: P lists the presets; the chosen one's values
 * go into the form; the first row names a new preset made of the form. */
void presets_pick(struct set *s);
void presets_chosen(struct set *s);
int presets_name_key(struct set *s, int key);
void presets_draw_name(struct set *s, WINDOW *w, int y, int cols);

#endif
