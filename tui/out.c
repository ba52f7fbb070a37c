/* out.c — safe printing for the headless commands. */
#include "tui/out.h"

#include <stdarg.h>
#include <stdlib.h>

#include "core/sanitize.h"
#include "common/xalloc.h"

void
out_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);
	char *safe = sanitize_str(raw);
	fprintf(stderr, "tagcon: %s\n", safe);
	free(safe);
	free(raw);
}

void
out_safe(FILE *f, const char *s)
{
	char *safe = sanitize_str(s);
	fputs(safe, f);
	free(safe);
}

/* cJSON escapes only bytes below 0x20; DEL and the C1 controls (U+0080 to
 * U+009F, which some terminals take as CSI) would reach the terminal raw.
 * They can only stand inside strings, where \u escapes mean the same. */
static void
put_json_text(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == 0x7f) {
			fputs("\\u007f", stdout);
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			printf("\\u00%02x", p[1]);
			p++;
		} else {
			putchar(*p);
		}
	}
	putchar('\n');
}

void
out_json(cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);
	put_json_text(text);
	free(text);
	cJSON_Delete(doc);
}

cJSON *
out_json_path(const char *path)
{
	char *utf8 = sanitize_utf8(path);
	cJSON *s = cJSON_CreateString(utf8);
	free(utf8);
	return s;
}
