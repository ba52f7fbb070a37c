/*
 * widget-query.h — the one completing input of the console: a line for
 * the query language (core/tag/query.h: the Library's filter bar) or for
 * one tag name (Review's "add tag" prompt), with completion of the word
 * under the cursor from the library's known tags.
 *
 * For one tag name, the whole line is the word: the known tags starting
 * with its canonical form are offered; Enter hands the text back as typed.
 * For a query:
 * While a tag word is typed (a bare word, or the value of tag:, character:,
 * suggested:, score:), the known tag names starting with it are listed
 * under the line, and so are the namespaces ("rat" offers rating:).  Up and
 * Down choose one, Tab puts it in place of the word.  The values of
 * rating:, orientation:, state: and source: are offered the same way.
 * Enter parses the
 * text: a syntax error leaves the line open with the cursor on the column
 * the parser named.
 */
#ifndef TAGCON_WIDGET_QUERY_H
#define TAGCON_WIDGET_QUERY_H

#include <curses.h>
#include <stdbool.h>

#include "db/search.h"

struct db;
struct query_input;

enum query_input_result {
	QUERY_INPUT_OPEN,   /* still typing */
	QUERY_INPUT_DONE,   /* Enter, and the text parsed */
	QUERY_INPUT_CANCEL, /* Esc */
};

/* At most this many completions are listed. */
#define QUERY_INPUT_COMPLETIONS 8

enum query_input_kind {
	QUERY_INPUT_QUERY, /* the query language, parsed on Enter */
	QUERY_INPUT_TAG,   /* one tag name */
};

struct query_input *query_input_create(enum query_input_kind kind, const char *text);
void query_input_destroy(struct query_input *q);

const char *query_input_text(const struct query_input *q);

/*
 * One key.  db lends the tag names to complete from (one short read of the
 * name index per edit).  On QUERY_INPUT_DONE *tree is the parsed query (the
 * caller owns it; relative folder: paths start from cwd; NULL for a tag).  A syntax error
 * returns QUERY_INPUT_OPEN with *cause set ("column 7: expected ...", the
 * caller frees it); otherwise *cause stays NULL.
 */
enum query_input_result query_input_key(struct query_input *q, struct db *db, int key,
    const char *cwd, struct search_node **tree, char **cause);

/*
 * Draw the line in width columns at (y, x) and the completions on the rows
 * below it (above it when rows is negative), at most |rows| of them;
 * *cursor_x gets the cursor's column.
 */
struct query_input_attrs {
	attr_t line;
	attr_t item;
	attr_t selected;
};
void query_input_draw(struct query_input *q, WINDOW *w, int y, int x, int width, int rows,
    const struct query_input_attrs *a, int *cursor_x);

#endif
