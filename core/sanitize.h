/*
 * sanitize.h — make outside text harmless before it meets a terminal.
 *
 * File names, tags and server messages come from outside and may carry
 * escape sequences, newlines or bytes that are not UTF-8.  Everything shown
 * to a person or printed on a line goes through here first.
 */
#ifndef TAGCON_SANITIZE_H
#define TAGCON_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/*
 * A new string where C0 and C1 controls, DEL and bidirectional overrides
 * are written as visible escapes (\n, \t, \r, \e, \x7f, \u{9b}, \u{202e}) and
 * every byte that is not part of valid UTF-8 as \xNN.  A backslash stays a
 * backslash: the result is for reading, not for parsing back.
 */
char *sanitize_dup(const char *s, size_t n);
/* Whether code point c is one of those: C0, DEL, C1, a bidi control. */
bool sanitize_harmful(uint32_t c);
/*
 * A JSON text (new string) with DEL, C1 and bidi controls inside its
 * strings written as \uXXXX, which JSON reads back as the same text: what
 * --json and JSON Lines print never drives a terminal (the encoder escapes
 * C0 itself).  A byte that is not UTF-8 becomes the text \xNN (an escaped
 * backslash), so the result is always valid JSON.
 */
char *sanitize_json(const char *json);
/* A URL to show (new string): credentials in it (user:password@) masked
 * as ***@, then made harmless as sanitize_str() does. */
char *sanitize_url(const char *url);
char *sanitize_str(const char *s);

/*
 * A new string that is valid UTF-8: invalid bytes become \xNN, everything
 * else is kept (for JSON, whose encoder escapes controls itself).
 */
char *sanitize_utf8(const char *s);

/*
 * Whether the n bytes at s are valid UTF-8 (no overlong forms, no encoded
 * surrogates, nothing above U+10FFFF): exactly the names a JSON string can
 * carry without loss.
 */
bool sanitize_is_utf8(const char *s, size_t n);

/*
 * Add a file name to JSON object o, the one convention of every JSON output
 * (README, "Paths in JSON"): key is always a string — the name itself when
 * its bytes are valid UTF-8 (controls escaped the JSON way, lossless), else
 * its readable form (\xNN for each byte that is not UTF-8); and only then a
 * second key "<key>_b64" holds the exact bytes, base64 (RFC 4648, padded).
 * A script opens base64.b64decode(o["path_b64"]) if "path_b64" in o else
 * o["path"].encode().
 */
void sanitize_json_add_path(cJSON *o, const char *key, const char *path);

#endif
