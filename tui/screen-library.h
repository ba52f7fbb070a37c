/*
 * screen-library.h — the Library screen: folder tree, virtual image list,
 * filter bar.  It also indexes the directories given on the command line,
 * in the background, when the console starts.
 */
#ifndef TAGCON_SCREEN_LIBRARY_H
#define TAGCON_SCREEN_LIBRARY_H

#include <stdbool.h>
#include <stdint.h>

#include "db/browse.h"

struct console;

/* Index the DIRs of the command line in the background (screen-library-scan.c). */
void library_scan(struct console *c, void *library);
/*
 * The filter bar's language (screen-library-filter.c), until the query
 * language of `tagcon search` is there: "state:NAME" (new, tagged,
 * committed, failed, missing; pending = tagged; all), "in:DIR", and words
 * the path must contain.  On success *under and *text are new strings or
 * NULL; on failure *cause says why.
 */
bool library_filter_parse(const char *typed, int *state, char **under, char **text,
    char **cause);
/* The filter written back in that language (new string). */
char *library_filter_text(int state, const char *under, const char *text);

/* Read counts and rows again (after a scan, a commit, a batch step). */
void library_screen_refresh(void *data);
/* The image under the cursor, or 0. */
int64_t library_screen_cursor_image(void *data);
/* The filter the list shows (strings borrowed from the screen). */
void library_screen_filter(void *data, struct db_browse_filter *out);

#endif
