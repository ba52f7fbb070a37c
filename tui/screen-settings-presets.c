/*
 * screen-settings-presets.c — presets in the Settings form: P lists the
 * saved ones; the chosen preset's values go into the fields unsaved (s
 * stores them, Esc drops them, as any edit); the first row saves the
 * form's values that are not the defaults as a new preset.
 */
#include "tui/screen-settings-private.h"

#include <stdlib.h>
#include <string.h>

#include "core/preset.h"
#include "core/tag/rules.h"
#include "core/settings.h"
#include "db/db.h"
#include "db/rules.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/term.h"

static void
offer_preset(void *ud, const char *name, const char *keys)
{
	form_offer(ud, name, keys);
}

/* The saved presets, after a first row that makes one from the form. */
void
presets_pick(struct set *s)
{
	form_open_picker(s);
	s->pick_presets = true;
	form_offer(s, "", "the values in the form, those that are not the default");
	if (!preset_each(console_db(s->c), offer_preset, s)) {
		console_message(s->c, CONSOLE_ERROR, "%s", db_errmsg(console_db(s->c)));
	}
	list_set_count(&s->pick_list, s->pick->len);
	list_set_cursor(&s->pick_list, s->pick->len > 1 ? 1 : 0);
}

struct preset_fill {
	struct set *s;
	size_t n;
};

static void
fill_field(void *ud, const char *name, const char *key, const char *value)
{
	(void)name;
	struct preset_fill *p = ud;
	struct field *f = form_field(p->s, key);
	if (f != NULL) {
		field_set_value(f, value);
		p->n++;
	}
}

/* A preset's values go into the form, unsaved: the fields show what it
 * changes (and the thresholds' effect), s keeps them, Esc drops them. */
static void
load_preset(struct set *s, const char *name)
{
	struct preset_fill p = {.s = s};
	if (!db_presets_each(console_db(s->c), name, fill_field, &p)) {
		console_message(s->c, CONSOLE_ERROR, "%s", db_errmsg(console_db(s->c)));
		return;
	}
	console_message(s->c, CONSOLE_INFO, "preset %s: %zu setting%s in the form (s saves, Esc "
	    "discards)", name, p.n, p.n == 1 ? "" : "s");
	form_update_impact(s);
}

/* Save the form's values that differ from their defaults as a preset. */
static bool
save_preset(struct set *s, const char *name)
{
	const char **keys = xcalloc(s->n + 1, sizeof *keys);
	const char **values = xcalloc(s->n + 1, sizeof *values);
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct setting_def *d = field_def(s->fields[i]);
		if (strcmp(field_value(s->fields[i]), d->def) != 0) {
			keys[n] = d->name;
			values[n++] = field_value(s->fields[i]);
		}
	}
	char *cause = NULL;
	bool ok = n > 0 && preset_save_values(console_db(s->c), name, keys, values, n, &cause);
	if (ok) {
		console_message(s->c, CONSOLE_OK, "saved preset %s: %zu setting%s", name, n,
		    n == 1 ? "" : "s");
	} else {
		console_message(s->c, CONSOLE_ERROR, "preset not saved: %s", n == 0 ?
		    "every setting has its default value" : cause);
	}
	free(cause);
	free(keys);
	free(values);
	return ok;
}

int
presets_name_key(struct set *s, int key)
{
	switch (input_key(s->preset_name, key)) {
	case INPUT_DONE:
		if (save_preset(s, input_text(s->preset_name))) {
			form_close_picker(s);
		}
		break;
	case INPUT_CANCEL:
		input_destroy(s->preset_name);
		s->preset_name = NULL;
		break;
	default:
		break;
	}
	return REACT_REDRAW;
}

void
presets_chosen(struct set *s)
{
	const char *name = g_ptr_array_index(s->pick, s->pick_list.cursor);
	if (*name == '\0') {
		s->preset_name = input_create(NULL);
		return;
	}
	char *keep = xstrdup(name);
	form_close_picker(s);
	load_preset(s, keep);
	free(keep);
}

void
presets_draw_name(struct set *s, WINDOW *w, int y, int cols)
{
	attr_t dim = console_attr(s->c, THEME_DIM);
	int x = term_put(w, y, 0, cols, "new preset's name: ", console_attr(s->c, THEME_TITLE),
	    false);
	int cx;
	input_draw(s->preset_name, w, y, x, cols - x, console_attr(s->c, THEME_INPUT), &cx);
	console_set_cursor(s->c, y, cx);
	term_put(w, y + 1, 0, cols, "letters, digits, . _ -; Enter saves, Esc goes back", dim,
	    false);
}
