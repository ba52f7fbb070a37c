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
/* Index dir (an absolute path) in the background: a folder added with A. */
void library_scan_dir(struct console *c, void *library, const char *dir);
/* Read counts and rows again (after a scan); other screens say
 * console_data_changed() instead. */
void library_screen_refresh(void *data);

#endif
