/*
 * screen-library-private.h — what the Library screen (screen-library.c:
 * state, keys, drawing) and its background jobs (screen-library-jobs.c:
 * pages, counts, the folder tree, random picks) share.
 */
#ifndef TAGCON_SCREEN_LIBRARY_PRIVATE_H
#define TAGCON_SCREEN_LIBRARY_PRIVATE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "db/browse.h"
#include "tui/console.h"
#include "tui/widget-input.h"
#include "tui/widget-list.h"
#include "tui/widget-query.h"
#include "tui/widget-tree.h"

#define PAGE 240
/* The first page only has to fill the screen, and fast. */
#define FIRST_PAGE 64
#define REFRESH_MS 2000
#define TREE_EVERY 5 /* refreshes */

struct lib {
	struct console *c;
	/* the filter (a query, a state, a folder, a sort) is the console's:
	 * console_filter(); gen counts the changes this list has followed */
	unsigned gen;
	/* the list and its window of rows */
	struct list list;
	bool counted;
	bool count_pending;
	bool end_pending;  /* End came before the count: go there when it does */
	struct db_browse_row *rows;
	int *suggested;
	size_t n_rows;
	int64_t base;
	bool page_pending;
	int64_t pending_offset;
	/* the tree */
	struct tree *tree;
	struct list tree_list;
	bool tree_shown;
	bool tree_auto; /* until t or f: shown from 100 columns (paths need the room) */
	bool tree_focus;
	/* the filter bar while typing */
	struct query_input *filter_input;
	int64_t db_version;
	int ticks_since_tree;
	unsigned data_gen; /* console_data_gen() last read */
	/* before the first batch, on the public Space: say how to add one's own */
	bool advise;
	/* the library's roots: paths are shown from the root's own name */
	GPtrArray *roots;
	/* i: the cursor row's whole path (and reason) over the list */
	bool show_full;
	/* A: the folder to add, while it is typed */
	struct input *add_input;
	/* Enter or r typed before the first rows came: done when they do */
	int queued_key;
};

struct page_job {
	struct lib *s;
	unsigned gen;
	struct db_browse_filter f; /* its query and folder owned by the job */
	char *model;
	int64_t offset;
	int limit;
	int64_t total;     /* the list's count when known, else -1 */
	bool count_only; /* the row count of the filter, not a page */
	int64_t count;
	struct db_browse_row *rows;
	int *suggested;
	size_t n;
	bool ok;
};

/* screen-library-jobs.c */
/* Fetch the page around the cursor unless it is there or on its way;
 * offset >= 0 forces that page (a refresh); want_count counts again. */
void library_request_page(struct lib *s, int64_t offset, bool want_count);
/* Read the folder tree again. */
void library_request_tree(struct lib *s);
/* Review a random image among those the filter matches. */
void library_random_pick(struct lib *s);

/* screen-library-scan.c: a key while the A prompt is open. */
int library_add_key(struct lib *s, int key);

/* screen-library.c */
/* Tell the console which image the cursor is on. */
void library_publish_cursor(struct lib *s);
/* The rows came: a queued Enter or r acts on them now. */
void library_rows_arrived(struct lib *s);

#endif
