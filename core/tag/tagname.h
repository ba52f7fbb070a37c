/*
 * tagname.h — tag names between the Space's form and tagcon's canonical one.
 *
 * tagcon stores the Danbooru form: words joined by underscores
 * ("long_hair").  The wd-tagger Space shows names with spaces ("long hair")
 * except for 19 kaomoji whose underscore is part of the face ("^_^", "o_o");
 * see space-protocol.md §1.3.  Label keys carry names unescaped; only the
 * Space's textbox output escapes parentheses, and tagcon never parses it.
 */
#ifndef TAGCON_TAGNAME_H
#define TAGCON_TAGNAME_H

#include <stdbool.h>

/* Longest canonical name tagcon accepts, in bytes (Danbooru's longest tags
 * are under 100; anything near this is garbage). */
#define TAGNAME_MAX 256

/* Whether name is one of the 19 kaomoji the Space leaves with underscores. */
bool tagname_is_kaomoji(const char *name);

/*
 * Canonical form of a name as the Space or an A1111 tagger sends it (new
 * string): surrounding blanks trimmed, every space becomes an underscore.
 * Kaomoji contain no space, so they come through unchanged, and a name that
 * is already canonical is returned as is.  NULL when the result would be
 * empty, longer than TAGNAME_MAX, not UTF-8 or contains a control character
 * (C0, DEL, C1) or a bidi control (sanitize_harmful(), core/sanitize.h).
 */
char *tagname_from_space(const char *name);

/* "\(" → "(" and "\)" → ")" (new string): undoes the textbox escaping. */
char *tagname_unescape(const char *name);

/* Display forms for export. */
#define TAGNAME_SPACES 0x1 /* underscores → spaces, kaomoji kept */
#define TAGNAME_ESCAPE 0x2 /* "(" → "\(", ")" → "\)" as the Space's textbox */

/* canonical rendered with the TAGNAME_* flags (new string). */
char *tagname_display(const char *canonical, int flags);

#endif
