/*
 * sanitize.h — make outside text harmless before it meets a terminal.
 *
 * File names, tags and server messages come from outside and may carry
 * escape sequences, newlines or bytes that are not UTF-8.  Everything shown
 * to a person or printed on a line goes through here first.
 */
#ifndef TAGCON_SANITIZE_H
#define TAGCON_SANITIZE_H

#include <stddef.h>

/*
 * A new string where C0 and C1 controls, DEL and bidirectional overrides
 * are written as visible escapes (\n, \t, \r, \e, \x7f, \u{9b}, \u{202e}) and
 * every byte that is not part of valid UTF-8 as \xNN.  A backslash stays a
 * backslash: the result is for reading, not for parsing back.
 */
char *sanitize_dup(const char *s, size_t n);
char *sanitize_str(const char *s);

/*
 * A new string that is valid UTF-8: invalid bytes become \xNN, everything
 * else is kept (for JSON, whose encoder escapes controls itself).
 */
char *sanitize_utf8(const char *s);

#endif
