/*
 * query.h — the query language of `tagcon search`, `random`, `export` and
 * the console's filter bar: one parser, text in, search tree out.
 *
 *   1girl solo -monochrome rating:g,s orientation:portrait
 *   (cat_ears | fox_ears) -suggested:1boy width:>=1920 size:<2mb
 *   ~red_hair ~blue_hair "long hair" hatsune_miku_(cosplay) folder:/srv/img
 *
 * Terms are separated by blanks and must all hold (AND).  `a | b` (or `a|b`)
 * is OR, binding looser than AND; `~a ~b` in a run of terms means "at least
 * one of the ~ terms".  `-term` negates.  Parentheses group; a parenthesis
 * that is part of a tag (`saber_(fate)`, `(o)_(o)`) stays in the tag as
 * long as the tag's own parentheses balance.  `*` in a tag is a wildcard.
 * Quotes take a name literally, blanks included: "long hair" is long_hair
 * (names are canonical, core/tagname.h), "-_-" is a tag, not a negation.
 *
 * Namespaces (a word whose text before ':' is not one of them is a tag, so
 * `:d` and `re:zero` are tags):
 *   tag:NAME               the same as NAME (for names that look like syntax)
 *   character:NAME         a committed character tag
 *   suggested:NAME         a pending suggestion (see db/search.h)
 *   score:NAME>0.8         also >=, <, <=, =: the current model's score
 *   rating:g,s             g s q e (or general sensitive questionable
 *                          explicit), unrated; ',' or '|' between values
 *   orientation:portrait   landscape portrait square unknown; the bare
 *                          words landscape, portrait and square mean the
 *                          same (the tag of that name: tag:square, "square")
 *   state:new,tagged       new tagged committed failed missing
 *   source:auto|manual     has committed tags from that source
 *   folder:PATH            images below PATH (absolute, or relative to the
 *                          directory given to query_parse)
 *   model:NAME             the model has answered for the image
 *   path:TEXT              the path contains TEXT (bytes, case kept): a
 *                          file name, a part of a folder's name
 *   width:>=1920  height:<1080  size:>2mb   numbers: = > >= < <= or A..B;
 *                          sizes take b, k/kb, m/mb, g/gb (powers of 1024)
 *
 * The empty query matches everything.  A syntax error names the column
 * (1-based, in characters) and what was expected there.
 */
#ifndef TAGCON_QUERY_H
#define TAGCON_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "db/search.h"

/* Limits that keep a hostile query from costing more than it is worth. */
#define QUERY_MAX_TERMS 256
#define QUERY_MAX_DEPTH 16 /* levels of '(' and '-': SQLite's parser has a bounded stack */

/*
 * Parse text into a new tree (free with search_node_destroy).  cwd, when not
 * NULL, is the directory relative folder: paths start from; without it a
 * relative folder is an error.  On a syntax error returns false, *cause is
 * "column N: what was expected" (new string, if cause is not NULL) and
 * *column is N (if column is not NULL).
 */
bool query_parse(const char *text, const char *cwd, struct search_node **out, char **cause,
    int *column);

/*
 * The tree as an S-expression, for tests and `--explain`:
 * (and 1girl (not monochrome) (rating g s) (width >= 1920)).  New string.
 */
char *query_format(const struct search_node *node);

/*
 * The tag word around byte offset cursor of text, for completion: its
 * namespace-free start and end offsets, and whether a namespace that takes
 * a tag (tag:, character:, suggested:, score:) precedes it.  False when the
 * cursor is not in a word that names a tag.
 */
bool query_word_at(const char *text, size_t cursor, size_t *start, size_t *end);

/* The i-th namespace's name ("rating", "folder", ...), NULL past the last:
 * for completion and help. */
const char *query_namespace_name(size_t i);

/*
 * The value under the cursor of a namespace that takes a list of choices
 * (rating:, orientation:, state:, source:): the item's start and end
 * offsets (items are separated by ',' or '|') and the namespace.  False
 * elsewhere.
 */
bool query_choice_at(const char *text, size_t cursor, const char **ns, size_t *start,
    size_t *end);
/* The i-th choice of namespace ns ("g", "general", ...), NULL past the last. */
const char *query_choice(const char *ns, size_t i);

#endif
