/* widget-query.c — the query line with completion (see widget-query.h). */
#include "tui/widget-query.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/tag/query.h"
#include "core/tag/tagname.h"
#include "db/browse.h"
#include "common/xalloc.h"
#include "tui/term.h"
#include "tui/widget-input.h"

struct query_input {
	enum query_input_kind kind;
	struct input *in;
	/* what the word [start, end) of the text could become */
	char *completion[QUERY_INPUT_COMPLETIONS];
	int n;
	int sel;
	size_t start;
	size_t end;
};

struct query_input *
query_input_create(enum query_input_kind kind, const char *text)
{
	struct query_input *q = xcalloc(1, sizeof *q);
	q->kind = kind;
	q->in = input_create(text);
	return q;
}

static void
forget(struct query_input *q)
{
	for (int i = 0; i < q->n; i++) {
		free(q->completion[i]);
	}
	q->n = q->sel = 0;
}

void
query_input_destroy(struct query_input *q)
{
	if (q == NULL) {
		return;
	}
	forget(q);
	input_destroy(q->in);
	free(q);
}

const char *
query_input_text(const struct query_input *q)
{
	return input_text(q->in);
}

static void
add(struct query_input *q, const char *text)
{
	if (q->n < QUERY_INPUT_COMPLETIONS) {
		q->completion[q->n++] = xstrdup(text);
	}
}

static void
add_tag(void *ud, const char *name, enum db_category category)
{
	(void)category;
	add(ud, name);
}

/* Namespaces whose name starts with the typed word (a bare word only:
 * "rat" → "rating:"), then known tags starting with it. */
/* The choices of rating:, state: ... that start with what was typed. */
static bool
complete_choice(struct query_input *q)
{
	const char *text = input_text(q->in), *ns;
	size_t cursor = input_cursor(q->in);
	if (!query_choice_at(text, cursor, &ns, &q->start, &q->end)) {
		return false;
	}
	size_t n = cursor - q->start;
	for (size_t i = 0; query_choice(ns, i) != NULL; i++) {
		if (strncasecmp(query_choice(ns, i), text + q->start, n) == 0) {
			add(q, query_choice(ns, i));
		}
	}
	return true;
}

/* One tag name: the whole line is the word. */
static void
complete_tag(struct query_input *q, struct db *db)
{
	const char *text = input_text(q->in);
	q->start = 0;
	q->end = strlen(text);
	char *prefix = tagname_from_space(text);
	if (prefix != NULL && db != NULL) {
		db_browse_tags(db, prefix, QUERY_INPUT_COMPLETIONS, add_tag, q);
	}
	free(prefix);
}

static void
complete(struct query_input *q, struct db *db)
{
	forget(q);
	if (q->kind == QUERY_INPUT_TAG) {
		complete_tag(q, db);
		return;
	}
	const char *text = input_text(q->in);
	size_t cursor = input_cursor(q->in);
	if (complete_choice(q) ||
	    !query_word_at(text, cursor, &q->start, &q->end) || cursor == q->start) {
		return;
	}
	char *typed = xstrndup(text + q->start, cursor - q->start);
	bool bare = q->start == 0 || strchr(" \t(|-~", text[q->start - 1]) != NULL;
	if (strpbrk(typed, "*\":") == NULL) {
		for (size_t i = 0; bare && query_namespace_name(i) != NULL; i++) {
			const char *ns = query_namespace_name(i);
			if (strncmp(ns, typed, strlen(typed)) == 0) {
				char *with_colon = xasprintf("%s:", ns);
				add(q, with_colon);
				free(with_colon);
			}
		}
		/* Names are canonical ("long hair" is long_hair, core/tagname.h). */
		char *prefix = tagname_from_space(typed);
		if (prefix != NULL && db != NULL) {
			db_browse_tags(db, prefix, QUERY_INPUT_COMPLETIONS - q->n, add_tag, q);
		}
		free(prefix);
	}
	free(typed);
}

/* The chosen completion in place of the word under the cursor. */
static void
take(struct query_input *q, struct db *db)
{
	if (q->n == 0) {
		return;
	}
	const char *text = input_text(q->in);
	const char *pick = q->completion[q->sel];
	char *joined = xasprintf("%.*s%s%s", (int)q->start, text, pick, text + q->end);
	size_t cursor = q->start + strlen(pick);
	input_set(q->in, joined);
	input_set_cursor(q->in, cursor);
	free(joined);
	complete(q, db);
}

/* Byte offset of 1-based character column col of text. */
static size_t
offset_of_column(const char *text, int col)
{
	long chars = g_utf8_strlen(text, -1);
	long at = col - 1 < 0 ? 0 : col - 1 > chars ? chars : col - 1;
	return (size_t)(g_utf8_offset_to_pointer(text, at) - text);
}

static enum query_input_result
parse(struct query_input *q, const char *cwd, struct search_node **tree, char **cause)
{
	if (q->kind == QUERY_INPUT_TAG) {
		return QUERY_INPUT_DONE;
	}
	int column = 0;
	char *why = NULL;
	if (query_parse(input_text(q->in), cwd, tree, &why, &column)) {
		return QUERY_INPUT_DONE;
	}
	input_set_cursor(q->in, offset_of_column(input_text(q->in), column));
	forget(q);
	*cause = why;
	return QUERY_INPUT_OPEN;
}

enum query_input_result
query_input_key(struct query_input *q, struct db *db, int key, const char *cwd,
    struct search_node **tree, char **cause)
{
	*tree = NULL;
	*cause = NULL;
	if ((key == KEYC(KEY_UP) || key == KEYC(KEY_DOWN)) && q->n > 0) {
		q->sel = (q->sel + (key == KEYC(KEY_UP) ? q->n - 1 : 1)) % q->n;
		return QUERY_INPUT_OPEN;
	}
	switch (input_key(q->in, key)) {
	case INPUT_TAB:
		take(q, db);
		break;
	case INPUT_DONE:
		return parse(q, cwd, tree, cause);
	case INPUT_CANCEL:
		return QUERY_INPUT_CANCEL;
	case INPUT_EDITED:
	case INPUT_MOVED:
		complete(q, db);
		break;
	default:
		break;
	}
	return QUERY_INPUT_OPEN;
}

void
query_input_draw(struct query_input *q, WINDOW *w, int y, int x, int width, int rows,
    const struct query_input_attrs *a, int *cursor_x)
{
	input_draw(q->in, w, y, x, width, a->line, cursor_x);
	/* Under the word being completed, as wide as the longest choice. */
	int cw = 0;
	for (int i = 0; i < q->n; i++) {
		int n = term_width(q->completion[i]) + 2;
		cw = n > cw ? n : cw;
	}
	int left = *cursor_x + cw <= x + width ? *cursor_x : x + width - cw;
	left = left < x ? x : left;
	cw = cw > width ? width : cw;
	int dir = rows < 0 ? -1 : 1;
	for (int i = 0; i < q->n && i < rows * dir; i++) {
		char *item = xasprintf(" %s ", q->completion[i]);
		term_put(w, y + dir * (1 + i), left, cw, item, i == q->sel ? a->selected : a->item,
		    true);
		free(item);
	}
}
