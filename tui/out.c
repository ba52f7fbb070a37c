/* out.c — safe printing for the headless commands. */
#include "tui/out.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

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

/* DEL, C1 and bidi controls can only stand inside strings, where \u
 * escapes mean the same (core/sanitize.h). */
void
out_json(cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);
	char *safe = sanitize_json(text);
	puts(safe);
	free(safe);
	free(text);
	cJSON_Delete(doc);
}

cJSON *
out_json_text(const char *text)
{
	char *utf8 = sanitize_utf8(text);
	cJSON *s = cJSON_CreateString(utf8);
	free(utf8);
	return s;
}

void
out_json_add_path(cJSON *o, const char *key, const char *path)
{
	sanitize_json_add_path(o, key, path);
}

bool
out_tty(void)
{
	static int tty = -1;
	if (tty < 0) {
		tty = isatty(STDOUT_FILENO);
	}
	return tty;
}

void
out_path(FILE *f, const char *path)
{
	if (out_tty()) {
		out_safe(f, path);
	} else {
		fputs(path, f);
	}
}

void
out_path_line(const char *path, bool nul)
{
	out_path(stdout, path);
	putchar(nul ? '\0' : '\n');
}
