/*
 * screen-settings.c — the settings as a form, built from the settings table
 * (core/settings.h): one field per setting, a detail pane for the focused
 * one (its help, why a value is refused, Space probes, what a threshold
 * would change), an editor for the Space URLs and pickers for the model
 * and the target folder.  Nothing is stored until s saves; Esc discards.
 */
#include "tui/screen-settings-private.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"
#include "core/settings.h"
#include "db/browse.h"
#include "db/db.h"
#include "db/images.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/term.h"
#include "tui/widget-field.h"
#include "tui/widget-input.h"
#include "tui/widget-lines.h"
#include "tui/widget-list.h"
#include "tui/widget-wrap.h"

#define NAME_COLS 22

struct field *
form_focused(const struct set *s)
{
	return s->n > 0 ? s->fields[s->list.cursor] : NULL;
}

struct field *
form_field(const struct set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(field_def(s->fields[i])->name, name) == 0) {
			return s->fields[i];
		}
	}
	return NULL;
}

static size_t
unsaved(const struct set *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++) {
		n += field_changed(s->fields[i]);
	}
	return n;
}

/* Read every stored value again (fields the user has not touched only). */
static void
load_values(struct set *s)
{
	struct db *db = console_db(s->c);
	for (size_t i = 0; i < s->n; i++) {
		if (field_changed(s->fields[i]) || field_editing(s->fields[i])) {
			continue;
		}
		char *v = settings_get(db, field_def(s->fields[i])->name);
		if (v != NULL) {
			field_set_stored(s->fields[i], v);
		}
		free(v);
	}
}

/* --- the live effect of the threshold fields ----------------------------- */

static bool
is_threshold_field(const struct field *f)
{
	static const char *const names[] = {"general_threshold", "character_threshold",
		"general_mcut", "character_mcut"};
	for (size_t i = 0; f != NULL && i < 4; i++) {
		if (strcmp(field_def(f)->name, names[i]) == 0) {
			return true;
		}
	}
	return false;
}

/* The thresholds as edited (an invalid number counts as the stored one). */
static struct db_cut
candidate(const struct set *s)
{
	struct db_cut o = options_cut(console_db(s->c));
	struct field *g = form_field(s, "general_threshold");
	struct field *c = form_field(s, "character_threshold");
	if (g != NULL && field_error(g) == NULL) {
		o.general_threshold = strtod(field_value(g), NULL);
	}
	if (c != NULL && field_error(c) == NULL) {
		o.character_threshold = strtod(field_value(c), NULL);
	}
	o.general_mcut = strcmp(field_value(form_field(s, "general_mcut")), "true") == 0;
	o.character_mcut = strcmp(field_value(form_field(s, "character_mcut")), "true") == 0;
	return o;
}

void
form_update_impact(struct set *s)
{
	if (is_threshold_field(form_focused(s))) {
		live_impact(s->live, options_cut(console_db(s->c)), candidate(s));
	}
}

/* --- saving ------------------------------------------------------------- */

static void
save(struct set *s)
{
	struct db *db = console_db(s->c);
	const char *preset = console_options(s->c)->preset;
	if (preset != NULL) {
		/* Every read goes through the preset; a write would not show. */
		console_message(s->c, CONSOLE_ERROR, "not saved: this console reads its settings "
		    "through preset %s (tagcon --preset); start it without to change them", preset);
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (field_changed(s->fields[i]) && !field_validate(s->fields[i])) {
			list_set_cursor(&s->list, (int64_t)i);
			console_message(s->c, CONSOLE_ERROR, "not saved: %s",
			    field_error(s->fields[i]));
			return;
		}
	}
	size_t n = 0;
	bool theme = false;
	for (size_t i = 0; i < s->n; i++) {
		struct field *f = s->fields[i];
		char *cause = NULL;
		if (!field_changed(f)) {
			continue;
		}
		if (!settings_set(db, field_def(f)->name, field_value(f), &cause)) {
			console_message(s->c, CONSOLE_ERROR, "not saved: %s", cause);
			free(cause);
			return;
		}
		theme |= strcmp(field_def(f)->name, "theme") == 0;
		field_set_stored(f, field_value(f));
		n++;
	}
	if (theme) {
		console_set_theme(s->c, field_value(form_field(s, "theme")));
	}
	console_settings_changed(s->c);
	console_message(s->c, CONSOLE_OK, n > 0 ? "saved %zu setting%s" : "nothing to save", n,
	    n == 1 ? "" : "s");
	form_update_impact(s);
}

static void
discard(struct set *s)
{
	size_t n = unsaved(s);
	for (size_t i = 0; i < s->n; i++) {
		field_revert(s->fields[i]);
	}
	load_values(s);
	console_message(s->c, CONSOLE_INFO, n > 0 ? "discarded %zu change%s" : "no changes", n,
	    n == 1 ? "" : "s");
	form_update_impact(s);
}

/* --- pickers ------------------------------------------------------------ */

void
form_close_picker(struct set *s)
{
	if (s->pick != NULL) {
		g_ptr_array_free(s->pick, TRUE);
		g_ptr_array_free(s->pick_note, TRUE);
	}
	s->pick = s->pick_note = NULL;
	s->picking = false;
	s->pick_loading = false;
	s->pick_presets = false;
	input_destroy(s->preset_name);
	s->preset_name = NULL;
}

void
form_offer(struct set *s, const char *value, const char *note)
{
	for (guint i = 0; i < s->pick->len; i++) {
		if (strcmp(g_ptr_array_index(s->pick, i), value) == 0) {
			return;
		}
	}
	g_ptr_array_add(s->pick, g_strdup(value));
	g_ptr_array_add(s->pick_note, g_strdup(note));
}

void
form_open_picker(struct set *s)
{
	form_close_picker(s);
	s->pick = g_ptr_array_new_with_free_func(g_free);
	s->pick_note = g_ptr_array_new_with_free_func(g_free);
	s->picking = true;
	list_init(&s->pick_list);
}

static void
offer_probed(void *ud, const char *model)
{
	form_offer(ud, model, "offered by a probed Space");
}

static void
offer_stored(void *ud, const char *model)
{
	form_offer(ud, model, "scores stored in this library");
}

static void
pick_model(struct set *s)
{
	form_open_picker(s);
	form_offer(s, field_value(form_focused(s)), "current");
	live_probed_models(s->live, offer_probed, s);
	db_models_each(console_db(s->c), offer_stored, s);
	for (const char *const *m = settings_known_models; *m != NULL; m++) {
		form_offer(s, *m, "a wd-tagger model");
	}
	list_set_count(&s->pick_list, s->pick->len);
}

struct folders_job {
	struct set *s;
	GPtrArray *paths;
};

static void
add_root(void *ud, int64_t id, const char *path)
{
	(void)id;
	g_ptr_array_add(ud, g_strdup(path));
}

static void
add_folder(void *ud, const struct db_folder_row *f)
{
	g_ptr_array_add(ud, g_strdup(f->path));
}

static void
folders_work(void *arg, const struct console_job_ctx *ctx)
{
	struct folders_job *j = arg;
	j->paths = g_ptr_array_new_with_free_func(g_free);
	if (ctx->db != NULL) {
		db_roots_each(ctx->db, add_root, j->paths);
		db_browse_folders(ctx->db, add_folder, j->paths);
	}
}

static void
folders_done(void *arg, bool cancelled)
{
	struct folders_job *j = arg;
	struct set *s = j->s;
	if (!cancelled && s->picking && s->pick_loading) {
		s->pick_loading = false;
		for (guint i = 0; i < j->paths->len; i++) {
			form_offer(s, g_ptr_array_index(j->paths, i), "");
		}
		list_set_count(&s->pick_list, s->pick->len);
		console_redraw(s->c);
	}
	g_ptr_array_free(j->paths, TRUE);
	free(j);
}

static void
pick_folder(struct set *s)
{
	form_open_picker(s);
	form_offer(s, "", "every root");
	list_set_count(&s->pick_list, s->pick->len);
	s->pick_loading = true;
	struct folders_job *j = xcalloc(1, sizeof *j);
	j->s = s;
	console_job(s->c, LANE_STATS, JOB_FOLDER_LIST, folders_work, folders_done, j);
}

static int
picker_key(struct set *s, int key)
{
	if (s->preset_name != NULL) {
		return presets_name_key(s, key);
	}
	if (list_key(&s->pick_list, key, true)) {
		return REACT_REDRAW;
	}
	switch (key) {
	case KEYC_ENTER:
		if (s->pick_presets && s->pick_list.cursor < (int64_t)s->pick->len) {
			presets_chosen(s); /* it closes the picker, or keeps it for a name */
			return REACT_REDRAW;
		}
		if (s->pick_list.cursor < (int64_t)s->pick->len) {
			const char *v = g_ptr_array_index(s->pick, s->pick_list.cursor);
			field_set_value(form_focused(s), v);
		}
		form_close_picker(s);
		return REACT_REDRAW;
	case 'e':
		if (!s->pick_presets) {
			form_close_picker(s);
			field_edit(form_focused(s));
		}
		return REACT_REDRAW;
	case KEYC_ESC:
		form_close_picker(s);
		return REACT_REDRAW;
	default:
		return REACT_REDRAW; /* the picker has the keyboard while open */
	}
}

/* --- keys --------------------------------------------------------------- */

static void
open_field(struct set *s, struct field *f)
{
	const struct setting_def *d = field_def(f);
	if (d->type == SETTING_URLS) {
		s->urls = lines_create(field_value(f));
		if (field_error(f) == NULL) {
			free(s->urls_valid);
			s->urls_valid = xstrdup(field_value(f));
		}
	} else if (strcmp(d->name, "model") == 0) {
		pick_model(s);
	} else if (d->type == SETTING_PATH) {
		pick_folder(s);
	} else {
		field_edit(f);
	}
}

static int
form_key(struct set *s, int key)
{
	struct field *f = form_focused(s);
	switch (key) {
	case 's':
	case KEYC(KEY_F(2)):
		save(s);
		return REACT_REDRAW;
	case KEYC_ESC:
		if (field_def(f)->type == SETTING_URLS && field_error(f) != NULL) {
			urls_restore(s, f); /* only the refused field, not the whole form */
		} else {
			discard(s);
		}
		return REACT_REDRAW;
	case 'e':
		if (field_def(f)->type == SETTING_URLS || field_def(f)->type == SETTING_PATH ||
		    strcmp(field_def(f)->name, "model") == 0) {
			open_field(s, f);
		} else {
			field_edit(f);
		}
		return REACT_REDRAW;
	case 'r':
		field_set_value(f, field_def(f)->def);
		form_update_impact(s);
		return REACT_REDRAW;
	case 'p':
		if (field_def(f)->type == SETTING_URLS) {
			urls_probe(s, false);
		}
		return REACT_REDRAW;
	case 'P':
		presets_pick(s);
		return REACT_REDRAW;
	case 'C':
		console_show(s->c, SCREEN_CALIBRATE);
		return REACT_REDRAW;
	default:
		return REACT_NONE;
	}
}

static int
set_key(void *data, int key)
{
	struct set *s = data;
	if (s->picking) {
		return picker_key(s, key);
	}
	if (s->urls != NULL) {
		return urls_key(s, key);
	}
	struct field *f = form_focused(s);
	bool was_editing = field_editing(f);
	enum field_result r = field_key(f, key);
	if (r == FIELD_CHANGED) {
		form_update_impact(s);
	}
	if (r == FIELD_OPEN) {
		open_field(s, f);
		return REACT_REDRAW;
	}
	if (r != FIELD_IGNORED && (field_editing(f) || !was_editing ||
	    (key != KEYC(KEY_UP) && key != KEYC(KEY_DOWN)))) {
		return REACT_REDRAW;
	}
	if (list_key(&s->list, key, false)) {
		form_update_impact(s);
		return REACT_REDRAW;
	}
	return form_key(s, key);
}

/* --- drawing ------------------------------------------------------------ */

static void
draw_field(void *ud, WINDOW *w, int y, int x, int width, int64_t i, bool is_cursor)
{
	struct set *s = ud;
	struct field *f = s->fields[i];
	attr_t a = console_attr(s->c, is_cursor ? THEME_SELECTED : THEME_NORMAL);
	bool bad = field_error(f) != NULL;
	char name[64];
	snprintf(name, sizeof name, "%s%s", field_changed(f) ? "*" : " ", field_def(f)->name);
	term_put(w, y, x, NAME_COLS, name, a, true);
	int cx;
	attr_t va = bad ? console_attr(s->c, THEME_ERROR) : field_editing(f) ?
	    console_attr(s->c, THEME_INPUT) : a;
	field_draw(f, w, y, x + NAME_COLS, width - NAME_COLS, va, &cx);
	if (cx >= 0 && is_cursor) {
		console_set_cursor(s->c, y, cx);
	}
}

static void
draw_pick(void *ud, WINDOW *w, int y, int x, int width, int64_t i, bool is_cursor)
{
	struct set *s = ud;
	attr_t a = console_attr(s->c, is_cursor ? THEME_SELECTED : THEME_NORMAL);
	const char *v = g_ptr_array_index(s->pick, i), *note = g_ptr_array_index(s->pick_note, i);
	int nw = *note ? term_width(note) + 2 : 0;
	const char *empty = s->pick_presets ? "+ new preset" : "(every root)";
	term_put_aligned(w, y, x, width - nw, *v ? v : empty, a, TERM_TAIL);
	if (nw > 0 && width > nw) {
		term_put(w, y, x + width - nw, nw, note,
		    is_cursor ? a : console_attr(s->c, THEME_DIM),
		    true);
	}
}

static void
draw_detail(struct set *s, WINDOW *w, int y, int rows, int cols)
{
	struct field *f = form_focused(s);
	const struct setting_def *d = field_def(f);
	attr_t dim = console_attr(s->c, THEME_DIM);
	if (s->picking && s->preset_name != NULL) {
		presets_draw_name(s, w, y, cols);
		return;
	}
	if (s->picking) {
		const char *title = s->pick_loading ? "loading…" : s->pick_presets
		    ? "Presets: Enter puts one in the form (s saves it) · Esc closes"
		    : "Enter picks · e types a value · Esc closes";
		term_put(w, y, 0, cols, title, console_attr(s->c, THEME_TITLE), false);
		list_draw(&s->pick_list, w, y + 1, 0, rows - 1, cols, draw_pick, s,
		    console_attr(s->c, THEME_BORDER));
		return;
	}
	int used = wrap_draw(w, y, 0, cols, 2, d->help, console_attr(s->c, THEME_NORMAL));
	char *line = xasprintf("%s, default %s", settings_type_name(d->type), *d->def ? d->def
	    : "empty");
	term_put(w, y + used++, 0, cols, line, dim, false);
	free(line);
	/* In the URL editor each line says why it is refused, as it is edited:
	 * an older refusal of the field would outlive a deleted line. */
	if (field_error(f) != NULL && s->urls == NULL && d->type != SETTING_URLS) {
		used += wrap_draw(w, y + used, 0, cols, 3, field_error(f),
		    console_attr(s->c, THEME_ERROR));
	}
	if (d->type == SETTING_URLS) {
		urls_draw(s, w, y + used, rows - used, cols);
	} else if (is_threshold_field(f)) {
		live_draw_impact(s->live, w, y + used, 0, cols, rows - used, candidate(s));
	}
}

static void
set_draw(void *data, WINDOW *w)
{
	struct set *s = data;
	if (s->settings_gen != console_settings_gen(s->c)) {
		/* Changed from a shell (or a preset applied): show what is stored now. */
		s->settings_gen = console_settings_gen(s->c);
		load_values(s);
	}
	int rows = getmaxy(w), cols = getmaxx(w);
	size_t n = unsaved(s);
	const char *preset = console_options(s->c)->preset;
	char *title = preset != NULL ? xasprintf("Settings — read through preset %s (tagcon "
	    "--preset): saving is off", preset) : n > 0 ? xasprintf("Settings — %zu unsaved: s "
	    "saves, Esc discards", n) : xstrdup("Settings");
	term_put(w, 0, 0, cols, title, console_attr(s->c, n > 0 ? THEME_WARNING : THEME_TITLE),
	    false);
	free(title);
	int detail = rows >= 16 ? rows / 2 : rows - 6;
	int list_h = rows - 1 - detail - 1;
	if (list_h < 3) {
		list_h = rows - 1;
		detail = 0;
	}
	list_draw(&s->list, w, 1, 0, list_h, cols, draw_field, s, console_attr(s->c, THEME_BORDER));
	if (detail > 0) {
		wattr_set(w, console_attr(s->c, THEME_BORDER), 0, NULL);
		mvwhline(w, 1 + list_h, 0, term_utf8() ? ACS_HLINE : '-', cols);
		wattr_set(w, A_NORMAL, 0, NULL);
		draw_detail(s, w, 2 + list_h, detail, cols);
	}
}

/* --- the screen --------------------------------------------------------- */

static void *
set_create(struct console *c)
{
	struct set *s = xcalloc(1, sizeof *s);
	s->c = c;
	s->live = live_create(c);
	size_t n;
	const struct setting_def *table = settings_table(&n);
	s->fields = xcalloc(n, sizeof *s->fields);
	for (size_t i = 0; i < n; i++) {
		s->fields[s->n++] = field_create(&table[i], table[i].def);
	}
	list_init(&s->list);
	list_set_count(&s->list, (int64_t)s->n);
	load_values(s);
	return s;
}

static void
set_destroy(void *data)
{
	struct set *s = data;
	for (size_t i = 0; i < s->n; i++) {
		field_destroy(s->fields[i]);
	}
	free(s->fields);
	lines_destroy(s->urls);
	free(s->urls_valid);
	form_close_picker(s);
	live_destroy(s->live);
	free(s);
}

static void
set_enter(void *data)
{
	struct set *s = data;
	load_values(s);
	form_update_impact(s);
}

static const struct key_help set_help[] = {
	{"Enter", "edit/pick", true},
	{"←→", "change", true},
	{"s", "save", true},
	{"Esc", "discard", true},
	{"p", "probe Spaces", true},
	{"r", "default", true},
	{"P", "presets: load one into the form, or save the form", true},
	{"C", "calibration: per-tag thresholds from your decisions", false},
	{"?", "help", true},
	{"e", "type a value", false},
	{"↑↓ PgUp PgDn", "move between fields", false},
	{"-  +  Shift-←→", "step a number down, up, by ten", false},
	{"0-9", "type a number (Enter applies, Esc drops)", false},
	{"*", "marks a changed field; a refused value shows why below", false},
	{NULL, NULL, false},
};

static const struct key_help urls_help[] = {
	{"Tab", "done", true},
	{"Esc", "back to the last valid URLs", true},
	{"Enter", "new line", true},
	{"^P", "probe line", true},
	{"^O", "probe all", true},
	{NULL, NULL, false},
};

static const struct key_help edit_help[] = {
	{"Enter", "apply", true},
	{"Esc", "drop", true},
	{NULL, NULL, false},
};

static const struct key_help *
set_mode_help(void *data)
{
	struct set *s = data;
	return s->urls != NULL ? urls_help : field_editing(form_focused(s)) ? edit_help : NULL;
}

const struct screen_ops screen_settings_ops = {
	.name = "Settings",
	.help = set_help,
	.create = set_create,
	.destroy = set_destroy,
	.enter = set_enter,
	.draw = set_draw,
	.key = set_key,
	.mode_help = set_mode_help,
};
