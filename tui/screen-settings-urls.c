/*
 * screen-settings-urls.c — the Space URL editor of the Settings form: one
 * URL a line, each checked as it is typed (a refused one marked, its reason
 * whole below it), probed on ^P/^O; Tab takes the text into the field even
 * when a line is refused (saving then refuses it), Esc goes back to the last
 * valid URLs.
 */
#include "tui/screen-settings-private.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "core/settings.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/term.h"
#include "tui/widget-wrap.h"

/* Every valid URL of the editor (or the field), for a probe. */
void
urls_probe(struct set *s, bool only_current)
{
	GPtrArray *urls = g_ptr_array_new_with_free_func(g_free);
	char *text = s->urls != NULL ? lines_text(s->urls) : xstrdup(field_value(form_focused(s)));
	char **lines = g_strsplit(text, "\n", -1);
	const struct setting_def *def = settings_find("spaces");
	for (guint i = 0; lines[i] != NULL; i++) {
		char *normal = NULL, *cause = NULL;
		bool wanted = !only_current || (s->urls != NULL && i == lines_current(s->urls));
		if (wanted && *g_strstrip(lines[i]) != '\0' &&
		    settings_validate(def, lines[i], &normal, &cause)) {
			g_ptr_array_add(urls, g_strdup(normal));
		}
		free(normal);
		free(cause);
	}
	if (urls->len == 0) {
		console_message(s->c, CONSOLE_WARN, "no valid Space URL to probe");
	}
	live_probe(s->live, (char *const *)urls->pdata, urls->len);
	g_strfreev(lines);
	free(text);
	g_ptr_array_free(urls, TRUE);
}

static void
close_urls(struct set *s)
{
	lines_destroy(s->urls);
	s->urls = NULL;
}

/* Esc: the field goes back to its last valid text. */
void
urls_restore(struct set *s, struct field *f)
{
	field_set_value(f, s->urls_valid != NULL ? s->urls_valid : field_stored(f));
	console_message(s->c, CONSOLE_INFO, "spaces: back to the last valid URLs");
}

/*
 * Tab (done) leaves the editor whatever the text: a refused line stays in
 * the field, marked, with its reason below, and saving refuses it; the next
 * key (s saves) belongs to the form again, never to the URL.
 */
static void
finish_urls(struct set *s, struct field *f)
{
	char *text = lines_text(s->urls);
	field_set_value(f, text);
	free(text);
	close_urls(s);
	if (field_validate(f)) {
		free(s->urls_valid);
		s->urls_valid = xstrdup(field_value(f));
		return;
	}
	console_message(s->c, CONSOLE_ERROR, "refused: %s (Enter edits it, Esc goes back to the "
	    "last valid URLs)", field_error(f));
}

int
urls_key(struct set *s, int key)
{
	switch (key) {
	case KEYC_TAB:
	case KEYC(KEY_F(2)):
	case KEYC_CTRL('X'):
		finish_urls(s, form_focused(s));
		return REACT_REDRAW;
	case KEYC_CTRL('P'):
		urls_probe(s, true);
		return REACT_REDRAW;
	case KEYC_CTRL('O'):
		urls_probe(s, false);
		return REACT_REDRAW;
	default:
		break;
	}
	if (lines_key(s->urls, key) == INPUT_CANCEL) {
		close_urls(s);
		urls_restore(s, form_focused(s));
	}
	return REACT_REDRAW;
}

static void
draw_probe(struct set *s, WINDOW *w, int y, int x, int width, const char *url)
{
	const struct live_probe *p = live_probe_of(s->live, url);
	if (p == NULL) {
		term_put(w, y, x, width, "not probed (p probes every URL)", console_attr(s->c,
		    THEME_DIM), false);
		return;
	}
	if (p->running) {
		term_put(w, y, x, width, "probing…", console_attr(s->c, THEME_DIM), false);
		return;
	}
	if (p->error != NULL) {
		term_put(w, y, x, width, p->error, console_attr(s->c, THEME_ERROR), false);
		return;
	}
	int n = p->models != NULL ? (int)g_strv_length(p->models) : 0;
	GString *g = g_string_new(NULL);
	if (p->host != NULL && strcmp(p->host, url) != 0) {
		g_string_append_printf(g, "%s · ", p->host);
	}
	g_string_append_printf(g, "gradio %s · ", p->gradio_version ? p->gradio_version : "?");
	if (p->stage != NULL) {
		g_string_append_printf(g, "%s · ", p->stage);
	}
	g_string_append_printf(g, "%d model%s · %.0f ms", n, n == 1 ? "" : "s", p->config_ms);
	char *line = g_string_free(g, FALSE);
	term_put(w, y, x, width, line, console_attr(s->c, THEME_OK), false);
	g_free(line);
}

/* Why text is refused as a Space URL (new string), or NULL when it is
 * one (*normal then holds its stored form) or blank. */
static char *
url_refusal(const char *text, char **normal)
{
	char *cause = NULL;
	*normal = NULL;
	if (*text == '\0' || settings_validate(settings_find("spaces"), text, normal, &cause)) {
		return NULL;
	}
	/* "spaces: 'x' is not a Space URL (use ...)": the part after the name */
	const char *why = strncmp(cause, "spaces: ", 8) == 0 ? cause + 8 : cause;
	char *out = xstrdup(why);
	free(cause);
	return out;
}

/* What the probe of a valid URL said went wrong, or NULL. */
static const char *
probe_error(struct set *s, const char *normal)
{
	const struct live_probe *p = normal != NULL ? live_probe_of(s->live, normal) : NULL;
	return p != NULL && !p->running ? p->error : NULL;
}

/* Rows a URL line takes: itself, and its refusal or its probe's error
 * whole below it. */
static int
url_line_rows(struct set *s, const char *text, int width)
{
	char *normal;
	char *why = url_refusal(text, &normal);
	const char *perr = why == NULL ? probe_error(s, normal) : NULL;
	int rows = why != NULL ? 1 + wrap_rows(why, width - 4) :
	    perr != NULL ? 1 + wrap_rows(perr, width - 4) : 1;
	free(why);
	free(normal);
	return rows;
}

/* One URL line: its validity, then what its probe said; a refusal goes
 * whole on the rows below (at most max_rows in all); the rows drawn. */
static int
draw_url_line(struct set *s, WINDOW *w, int y, int width, int max_rows, const char *text,
    bool current, struct input *in)
{
	char *normal;
	char *why = url_refusal(text, &normal);
	int half = why != NULL ? width : width / 2;
	term_put(w, y, 0, 2, why == NULL ? " " : "!", console_attr(s->c, THEME_ERROR), true);
	if (in != NULL) {
		int cx;
		input_draw(in, w, y, 2, half - 3, console_attr(s->c, current ? THEME_INPUT
		    : THEME_NORMAL), &cx);
		if (current) {
			console_set_cursor(s->c, y, cx);
		}
	} else {
		term_put_aligned(w, y, 2, half - 3, text, console_attr(s->c, THEME_NORMAL),
		    TERM_TAIL);
	}
	int rows = 1;
	const char *perr = why == NULL ? probe_error(s, normal) : NULL;
	if (why != NULL || perr != NULL) {
		/* Whole, below: a reason cut at the edge is no reason. */
		if (perr != NULL) {
			term_put(w, y, half, width - half, "probe failed:",
			    console_attr(s->c, THEME_ERROR), false);
		}
		rows += wrap_draw(w, y + 1, 4, width - 4, max_rows - 1, why != NULL ? why : perr,
		    console_attr(s->c, THEME_ERROR));
	} else if (*text != '\0') {
		draw_probe(s, w, y, half, width - half, normal);
	}
	free(normal);
	free(why);
	return rows;
}

void
urls_draw(struct set *s, WINDOW *w, int y, int rows, int cols)
{
	if (s->urls != NULL) {
		size_t n = lines_count(s->urls), cur = lines_current(s->urls);
		/* The first line shown: as many above the current one as fit. */
		size_t top = cur;
		int used = url_line_rows(s, input_text(lines_input(s->urls, cur)), cols);
		while (top > 0) {
			int h = url_line_rows(s, input_text(lines_input(s->urls, top - 1)), cols);
			if (used + h > rows) {
				break;
			}
			used += h;
			top--;
		}
		int k = 0;
		for (size_t i = top; i < n && k < rows; i++) {
			struct input *in = lines_input(s->urls, i);
			k += draw_url_line(s, w, y + k, cols, rows - k, input_text(in), i == cur, in);
		}
		return;
	}
	char **lines = g_strsplit(field_value(form_focused(s)), "\n", -1);
	int k = 0;
	for (guint i = 0; lines[i] != NULL && k < rows; i++) {
		if (*lines[i] != '\0') {
			k += draw_url_line(s, w, y + k, cols, rows - k, lines[i], false, NULL);
		}
	}
	if (k == 0) {
		term_put(w, y, 2, cols - 2, "No Space: Enter opens the editor, one URL a line "
		    "(r puts back the public wd-tagger Space).", console_attr(s->c, THEME_DIM),
		    false);
	}
	g_strfreev(lines);
}
