/*
 * help.c — the help the command line prints (help.h).
 *
 * Synopses are wrapped only between top-level words: a bracketed group such
 * as "[--max-rating g|s|q|e|--all-ratings]" is one word, so a line never
 * ends inside an option nor inside a group.
 */
#include "tui/help.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "common/xalloc.h"

enum { HELP_WIDTH = 79 };

/* Length of the top-level word at s: up to a space outside brackets. */
static size_t
word_len(const char *s)
{
	int depth = 0;
	size_t i = 0;
	for (; s[i] != '\0' && (depth > 0 || s[i] != ' '); i++) {
		depth += s[i] == '[' ? 1 : s[i] == ']' ? -1 : 0;
	}
	return i;
}

/* One alternative: s[0..n) without surrounding blanks, to fn. */
static void
emit(const char *s, size_t n, void (*fn)(void *, const char *), void *ud)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && s[n - 1] == ' ') {
		n--;
	}
	char *syn = xstrndup(s, n);
	fn(ud, syn);
	free(syn);
}

/* One line of a usage: its top-level " | " alternatives. */
static void
split_line(const char *s, size_t n, void (*fn)(void *, const char *), void *ud)
{
	size_t from = 0;
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		depth += s[i] == '[' ? 1 : s[i] == ']' ? -1 : 0;
		if (depth == 0 && s[i] == '|' && i > 0 && s[i - 1] == ' ' && s[i + 1] == ' ') {
			emit(s + from, i - from, fn, ud);
			from = i + 1;
		}
	}
	emit(s + from, n - from, fn, ud);
}

/* Whether the line (blanks skipped) starts another "tagcon NAME" synopsis. */
static bool
starts_synopsis(const char *line, const char *name)
{
	size_t n = strlen(name);
	return strncmp(line, "tagcon ", 7) == 0 && strncmp(line + 7, name, n) == 0 &&
	    (line[7 + n] == ' ' || line[7 + n] == '\n' || line[7 + n] == '\0');
}

void
help_synopses(const struct cmd_entry *e, void (*fn)(void *ud, const char *syn), void *ud)
{
	/* Lines that repeat "tagcon NAME" (lined up under "usage:") begin a
	 * synopsis; any other line goes on with the one before. */
	GString *syn = g_string_new(NULL);
	const char *s = e->usage;
	while (*s != '\0') {
		size_t n = strcspn(s, "\n");
		const char *line = s + strspn(s, " \t");
		size_t skip = (size_t)(line - s);
		if (skip < n && starts_synopsis(line, e->name)) {
			if (syn->len > 0) {
				split_line(syn->str, syn->len, fn, ud);
			}
			g_string_truncate(syn, 0);
			skip += 7 + strlen(e->name);
		}
		if (skip < n) {
			g_string_append_printf(syn, "%s%.*s", syn->len > 0 ? " " : "", (int)(n - skip),
			    s + skip);
		}
		s += n + (s[n] == '\n');
	}
	if (syn->len > 0) {
		split_line(syn->str, syn->len, fn, ud);
	}
	g_string_free(syn, TRUE);
}

/* lead then syn, wrapped between top-level words at HELP_WIDTH, later
 * lines indented by indent. */
static void
wrapped(FILE *f, const char *lead, int indent, const char *syn)
{
	int col = fprintf(f, "%s", lead);
	const char *s = syn;
	while (*s != '\0') {
		size_t n = word_len(s);
		if (col > indent && col + 1 + (int)n > HELP_WIDTH) {
			col = fprintf(f, "\n%*s", indent, "") - 1;
		} else {
			col += fprintf(f, " ");
		}
		col += fprintf(f, "%.*s", (int)n, s);
		s += n;
		s += strspn(s, " ");
	}
	fputc('\n', f);
}

struct wrap {
	FILE *f;
	const char *name;
	bool usage; /* "usage: tagcon NAME" (else "  NAME") */
	int n;      /* synopses so far */
};

static void
synopsis_line(void *ud, const char *syn)
{
	struct wrap *w = ud;
	char *lead = w->usage ? xasprintf("%s tagcon %s", w->n == 0 ? "usage:" : "      ",
	    w->name) : xasprintf("  %s", w->name);
	wrapped(w->f, lead, (int)strlen(lead) + 1, syn);
	free(lead);
	w->n++;
}

void
help_command(FILE *f, const struct cmd_entry *e)
{
	struct wrap w = {f, e->name, true, 0};
	help_synopses(e, synopsis_line, &w);
	const char *text = help_text(e->name);
	fprintf(f, "\n%s\n", text != NULL ? text : e->help);
	if (text == NULL) {
		/* A command without its man page section yet: say so. */
		fprintf(f, "\n(no more help: doc/tagcon.1.scd.in has no section for '%s')\n",
		    e->name);
	}
}

void
help_overview(FILE *f, const struct cmd_entry *const *commands)
{
	fprintf(f, "usage: tagcon [--db PATH] [--theme NAME] [DIR...]\n"
	    "       tagcon [--db PATH] [--preset NAME] COMMAND [ARGS...]\n"
	    "       tagcon help COMMAND | tagcon COMMAND --help\n\ncommands:\n");
	for (const struct cmd_entry *const *c = commands; *c != NULL; c++) {
		struct wrap w = {f, (*c)->name, false, 0};
		help_synopses(*c, synopsis_line, &w);
		wrapped(f, "     ", 6, (*c)->help);
	}
	const char *exits = help_text("EXIT STATUS");
	fprintf(f, "\nThe library database is --db PATH, else $TAGCON_DB, else\n"
	    "$XDG_DATA_HOME/tagcon/tagcon.db.  Manual: man tagcon, man tagcon-query.\n");
	if (exits != NULL) {
		fprintf(f, "\nExit status:\n%s\n", exits);
	}
}
