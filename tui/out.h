/*
 * out.h — what the headless commands print: one-line errors on stderr,
 * sanitised text and JSON documents on stdout.
 *
 * File names follow one rule (README, "Paths in scripts"): in a list of
 * paths (search, random, watch) they are escaped on a terminal like any
 * outside text, and written as the bytes they are to a pipe or file, as
 * ls(1) does, so `| xargs -d '\n'` and `-0 | xargs -0` open them; reports
 * (show, tag, rules list) always escape; in JSON they go through
 * sanitize_json_add_path() ("path", and "path_b64" when not UTF-8).
 */
#ifndef TAGCON_OUT_H
#define TAGCON_OUT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

/* "tagcon: <message>" on stderr, control characters made harmless. */
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print text from outside (file names, tags, messages) safely. */
void out_safe(FILE *f, const char *s);
/* Print a JSON document on one line and free it. */
void out_json(cJSON *doc);
/* A JSON string from outside text that may not be UTF-8 (tags, messages):
 * readable, \xNN for a byte that is not UTF-8.  Not for file names. */
cJSON *out_json_text(const char *text);
/* Add file name path to o under key ("path", and "<key>_b64" when its bytes
 * are not UTF-8): core/sanitize.h sanitize_json_add_path(). */
void out_json_add_path(cJSON *o, const char *key, const char *path);
/* Whether stdout is a terminal (asked once). */
bool out_tty(void);
/* A file name on f, meant for stdout: escaped when stdout is a terminal,
 * else its bytes as they are. */
void out_path(FILE *f, const char *path);
/* A file name and its terminator: '\n', or with nul '\0' (for xargs -0). */
void out_path_line(const char *path, bool nul);

#endif
