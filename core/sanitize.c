/* sanitize.c — visible escapes for controls and invalid UTF-8. */
#include "core/sanitize.h"

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct buf {
	char *s;
	size_t len;
	size_t cap;
};

static void
put(struct buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

bool
sanitize_harmful(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f || c == 0x061c;
}

static void
put_escape(struct buf *b, gunichar c)
{
	char tmp[16];
	switch (c) {
	case '\n': put(b, "\\n", 2); return;
	case '\t': put(b, "\\t", 2); return;
	case '\r': put(b, "\\r", 2); return;
	case 0x1b: put(b, "\\e", 2); return;
	default: break;
	}
	int n = c < 0x80 ? snprintf(tmp, sizeof tmp, "\\x%02x", (unsigned)c)
	    : snprintf(tmp, sizeof tmp, "\\u{%x}", (unsigned)c);
	put(b, tmp, (size_t)n);
}

/* Walk s, copying valid characters and escaping the rest. */
static char *
walk(const char *s, size_t n, bool escape_controls)
{
	struct buf b = {0};
	put(&b, "", 0);
	const char *p = s, *end = s + n;
	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			char tmp[8];
			int k = snprintf(tmp, sizeof tmp, "\\x%02x", (unsigned char)*p);
			put(&b, tmp, (size_t)k);
			p++;
			continue;
		}
		const char *next = g_utf8_next_char(p);
		if (escape_controls && sanitize_harmful(c)) {
			put_escape(&b, c);
		} else {
			put(&b, p, (size_t)(next - p));
		}
		p = next;
	}
	return b.s;
}

char *
sanitize_dup(const char *s, size_t n)
{
	return walk(s, n, true);
}

char *
sanitize_str(const char *s)
{
	return walk(s, strlen(s), true);
}

char *
sanitize_json(const char *json)
{
	/* Outside strings a JSON text is ASCII: every such character is inside
	 * one, where \uXXXX stands for it exactly. */
	struct buf b = {0};
	put(&b, "", 0);
	for (const char *p = json; *p != '\0';) {
		gunichar c = g_utf8_get_char_validated(p, -1);
		bool invalid = c == (gunichar)-1 || c == (gunichar)-2;
		const char *next = invalid ? p + 1 : g_utf8_next_char(p);
		if (invalid) {
			/* A byte that is no UTF-8 (a file name's): "\xNN" as text,
			 * as sanitize_utf8() writes it, so the JSON stays valid. */
			char tmp[8];
			int k = snprintf(tmp, sizeof tmp, "\\\\x%02x", (unsigned char)*p);
			put(&b, tmp, (size_t)k);
		} else if (c >= 0x20 && c < 0x10000 && sanitize_harmful(c)) {
			char tmp[8];
			int k = snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)c);
			put(&b, tmp, (size_t)k);
		} else {
			put(&b, p, (size_t)(next - p));
		}
		p = next;
	}
	return b.s;
}

char *
sanitize_url(const char *url)
{
	/* scheme://user:password@host...: the user info goes, whatever it is. */
	const char *scheme = strstr(url, "://");
	const char *host = scheme != NULL ? scheme + 3 : url;
	const char *at = host + strcspn(host, "/?#@");
	char *masked = *at == '@' ? xasprintf("%.*s***%s", (int)(host - url), url, at)
	    : xstrdup(url);
	char *shown = sanitize_str(masked);
	free(masked);
	return shown;
}

char *
sanitize_utf8(const char *s)
{
	return walk(s, strlen(s), false);
}

bool
sanitize_is_utf8(const char *s, size_t n)
{
	/* g_utf8_validate() refuses overlong forms, surrogates and NUL inside. */
	return g_utf8_validate(s, (gssize)n, NULL);
}

void
sanitize_json_add_path(cJSON *o, const char *key, const char *path)
{
	size_t n = strlen(path);
	if (sanitize_is_utf8(path, n)) {
		cJSON_AddStringToObject(o, key, path);
		return;
	}
	char *shown = sanitize_utf8(path);
	cJSON_AddStringToObject(o, key, shown);
	free(shown);
	gchar *b64 = g_base64_encode((const guchar *)path, n);
	char *k = xasprintf("%s_b64", key);
	cJSON_AddStringToObject(o, k, b64);
	free(k);
	g_free(b64);
}
