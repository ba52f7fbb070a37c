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
/* Read counts and rows again (after a scan, a commit, a batch step). */
void library_screen_refresh(void *data);
/* The image under the cursor, or 0. */
int64_t library_screen_cursor_image(void *data);
/* The filter the list shows: the query typed in the filter bar, the
 * state (S) and the folder of the tree, under the current settings and
 * rules (everything borrowed from the screen, valid until it changes). */
void library_screen_filter(void *data, struct db_browse_filter *out);

#endif
