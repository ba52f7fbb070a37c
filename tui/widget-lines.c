/* widget-lines.c — a list of one-line inputs edited as a block of text. */
#include "tui/widget-lines.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "tui/term.h"

struct lines {
	struct input **line;
	size_t n;
	size_t cur;
};

static void
insert_line(struct lines *l, size_t at, const char *text)
{
	l->line = xreallocarray(l->line, l->n + 1, sizeof *l->line);
	memmove(&l->line[at + 1], &l->line[at], (l->n - at) * sizeof *l->line);
	l->line[at] = input_create(text);
	l->n++;
}

static void
delete_line(struct lines *l, size_t at)
{
	input_destroy(l->line[at]);
	memmove(&l->line[at], &l->line[at + 1], (l->n - at - 1) * sizeof *l->line);
	l->n--;
}

struct lines *
lines_create(const char *text)
{
	struct lines *l = xcalloc(1, sizeof *l);
	const char *p = text != NULL ? text : "";
	for (;;) {
		const char *nl = strchr(p, '\n');
		char *one = nl != NULL ? xstrndup(p, (size_t)(nl - p)) : xstrdup(p);
		insert_line(l, l->n, one);
		free(one);
		if (nl == NULL) {
			break;
		}
		p = nl + 1;
	}
	l->cur = l->n - 1;
	return l;
}

void
lines_destroy(struct lines *l)
{
	if (l == NULL) {
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		input_destroy(l->line[i]);
	}
	free(l->line);
	free(l);
}

size_t
lines_count(const struct lines *l)
{
	return l->n;
}

size_t
lines_current(const struct lines *l)
{
	return l->cur;
}

struct input *
lines_input(struct lines *l, size_t i)
{
	return l->line[i];
}

char *
lines_text(const struct lines *l)
{
	size_t len = 1;
	for (size_t i = 0; i < l->n; i++) {
		len += strlen(input_text(l->line[i])) + 1;
	}
	char *s = xcalloc(1, len);
	for (size_t i = 0; i < l->n; i++) {
		strcat(s, input_text(l->line[i]));
		if (i + 1 < l->n) {
			strcat(s, "\n");
		}
	}
	return s;
}

/* Move to another line, keeping the cursor column where possible. */
static void
go_line(struct lines *l, size_t to)
{
	size_t col = input_cursor(l->line[l->cur]);
	l->cur = to;
	input_set_cursor(l->line[to], col);
}

static enum input_result
split(struct lines *l)
{
	struct input *in = l->line[l->cur];
	size_t at = input_cursor(in);
	char *tail = xstrdup(input_text(in) + at);
	char *head = xstrndup(input_text(in), at);
	input_set(in, head);
	insert_line(l, l->cur + 1, tail);
	l->cur++;
	input_set_cursor(l->line[l->cur], 0);
	free(head);
	free(tail);
	return INPUT_EDITED;
}

static enum input_result
join_up(struct lines *l)
{
	struct input *prev = l->line[l->cur - 1];
	size_t at = strlen(input_text(prev));
	char *joined = xasprintf("%s%s", input_text(prev), input_text(l->line[l->cur]));
	input_set(prev, joined);
	input_set_cursor(prev, at);
	free(joined);
	delete_line(l, l->cur);
	l->cur--;
	return INPUT_EDITED;
}

enum input_result
lines_key(struct lines *l, int key)
{
	switch (key) {
	case KEYC(KEY_UP):
		if (l->cur > 0) {
			go_line(l, l->cur - 1);
		}
		return INPUT_MOVED;
	case KEYC(KEY_DOWN):
		if (l->cur + 1 < l->n) {
			go_line(l, l->cur + 1);
		}
		return INPUT_MOVED;
	case KEYC_ENTER:
		return split(l);
	case KEYC_BACKSPACE:
		if (input_cursor(l->line[l->cur]) == 0 && l->cur > 0) {
			return join_up(l);
		}
		break;
	default:
		break;
	}
	enum input_result r = input_key(l->line[l->cur], key);
	return r == INPUT_TAB || r == INPUT_DONE ? INPUT_IGNORED : r;
}
