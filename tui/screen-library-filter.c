/* screen-library-filter.c — the Library's filter bar: parse and print. */
#include "tui/screen-library.h"

#include <glib.h>
#include <string.h>

#include "db/images.h"
#include "db/xalloc.h"

static const char *const state_names[DB_N_STATES] = {
	"new", "tagged", "committed", "failed", "missing",
};

static bool
parse_state(const char *name, int *state)
{
	if (strcmp(name, "all") == 0 || strcmp(name, "any") == 0) {
		*state = -1;
		return true;
	}
	if (strcmp(name, "pending") == 0) {
		*state = DB_STATE_TAGGED;
		return true;
	}
	for (int i = 0; i < DB_N_STATES; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*state = i;
			return true;
		}
	}
	return false;
}

/* A folder without its trailing slashes (new string). */
static char *
folder_of(const char *word)
{
	char *dir = xstrdup(word);
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/') {
		dir[--n] = '\0';
	}
	return dir;
}

bool
library_filter_parse(const char *typed, int *state, char **under, char **text, char **cause)
{
	char **words = g_strsplit_set(typed, " \t", -1);
	GString *g = g_string_new(NULL);
	*state = -1;
	*under = *text = *cause = NULL;
	for (char **w = words; *w != NULL && *cause == NULL; w++) {
		if (strncmp(*w, "state:", 6) == 0 || strncmp(*w, "is:", 3) == 0) {
			const char *v = strchr(*w, ':') + 1;
			if (!parse_state(v, state)) {
				*cause = xasprintf("no state '%s' (new, tagged, committed, failed, "
				    "missing, pending, all)", v);
			}
		} else if (strncmp(*w, "in:", 3) == 0 && (*w)[3] != '\0') {
			free(*under);
			*under = folder_of(*w + 3);
		} else if (**w != '\0') {
			g_string_append_printf(g, "%s%s", g->len ? " " : "", *w);
		}
	}
	g_strfreev(words);
	if (*cause != NULL) {
		free(*under);
		*under = NULL;
	} else if (g->len > 0) {
		*text = xstrdup(g->str);
	}
	g_string_free(g, TRUE);
	return *cause == NULL;
}

char *
library_filter_text(int state, const char *under, const char *text)
{
	GString *g = g_string_new(NULL);
	if (state >= 0 && state < DB_N_STATES) {
		g_string_append_printf(g, "state:%s", state_names[state]);
	}
	if (under != NULL) {
		g_string_append_printf(g, "%sin:%s", g->len ? " " : "", under);
	}
	if (text != NULL) {
		g_string_append_printf(g, "%s%s", g->len ? " " : "", text);
	}
	char *s = xstrdup(g->str);
	g_string_free(g, TRUE);
	return s;
}
