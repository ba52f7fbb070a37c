/*
 * out.h — what the headless commands print: one-line errors on stderr,
 * sanitised text and JSON documents on stdout.
 */
#ifndef TAGCON_OUT_H
#define TAGCON_OUT_H

#include <cjson/cJSON.h>
#include <stdio.h>

/* "tagcon: <message>" on stderr, control characters made harmless. */
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print text from outside (file names, tags, messages) safely. */
void out_safe(FILE *f, const char *s);
/* Print a JSON document on one line and free it. */
void out_json(cJSON *doc);
/* A JSON string from bytes that may not be UTF-8 (file names). */
cJSON *out_json_path(const char *path);

#endif
