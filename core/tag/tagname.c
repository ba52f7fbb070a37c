/*
 * tagname.c — canonical (Danbooru) tag names and their display forms.
 */
#include "core/tag/tagname.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/sanitize.h"

/* space-protocol.md §1.3, as app.py lists them. */
static const char *const kaomoji[] = {
	"0_0", "(o)_(o)", "+_+", "+_-", "._.", "<o>_<o>", "<|>_<|>", "=_=", ">_<", "3_3",
	"6_9", ">_o", "@_@", "^_^", "o_o", "u_u", "x_x", "|_|", "||_||", NULL,
};

bool
tagname_is_kaomoji(const char *name)
{
	for (const char *const *k = kaomoji; *k != NULL; k++) {
		if (strcmp(name, *k) == 0) {
			return true;
		}
	}
	return false;
}

char *
tagname_from_space(const char *name)
{
	while (*name == ' ') {
		name++;
	}
	size_t n = strlen(name);
	while (n > 0 && name[n - 1] == ' ') {
		n--;
	}
	if (n == 0 || n > TAGNAME_MAX || !g_utf8_validate(name, (gssize)n, NULL)) {
		return NULL;
	}
	for (const char *p = name; p < name + n; p = g_utf8_next_char(p)) {
		/* The terminal's enemies (core/sanitize.h) are no part of a tag. */
		if (sanitize_harmful(g_utf8_get_char(p))) {
			return NULL;
		}
	}
	char *out = xstrndup(name, n);
	for (char *p = out; *p != '\0'; p++) {
		if (*p == ' ') {
			*p = '_';
		}
	}
	return out;
}

char *
tagname_unescape(const char *name)
{
	char *out = xmalloc(strlen(name) + 1), *q = out;
	for (const char *p = name; *p != '\0'; p++) {
		if (p[0] == '\\' && (p[1] == '(' || p[1] == ')')) {
			p++;
		}
		*q++ = *p;
	}
	*q = '\0';
	return out;
}

char *
tagname_display(const char *canonical, int flags)
{
	bool spaces = (flags & TAGNAME_SPACES) && !tagname_is_kaomoji(canonical);
	char *out = xmalloc(2 * strlen(canonical) + 1), *q = out;
	for (const char *p = canonical; *p != '\0'; p++) {
		if ((flags & TAGNAME_ESCAPE) && (*p == '(' || *p == ')')) {
			*q++ = '\\';
		}
		*q++ = (spaces && *p == '_') ? ' ' : *p;
	}
	*q = '\0';
	return out;
}
