/* out.c — safe printing for the headless commands. */
#include "tui/out.h"

#include <stdarg.h>
#include <stdlib.h>

#include "core/sanitize.h"
#include "db/xalloc.h"

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

void
out_json(cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);
	puts(text);
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
