/*
 * widget-tree.h — the folder tree: roots, the folders that hold images and
 * the directories between them, with image counts summed up the tree.
 *
 * Built off the UI thread (tree_add_* then tree_finish), then handed to the
 * screen, which shows its visible rows through a struct list.  Row 0 is
 * always "every folder".
 */
#ifndef TAGCON_WIDGET_TREE_H
#define TAGCON_WIDGET_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tree;

struct tree_row {
	const char *label; /* a root's path, else the directory's name */
	const char *path;  /* NULL for row 0 */
	int depth;
	int64_t images;    /* in this folder and below */
	bool has_children;
	bool expanded;
};

struct tree *tree_create(void);
void tree_destroy(struct tree *t);
void tree_add_root(struct tree *t, const char *path);
void tree_add_folder(struct tree *t, const char *path, int64_t images);
/* Order, link and count.  expanded (NULL-terminated, may be NULL) lists the
 * folders to open, so a refresh keeps what the user opened; without it the
 * roots start open. */
void tree_finish(struct tree *t, const char *const *expanded);
/* The open folders (for the next tree_finish); free with g_strfreev. */
char **tree_expanded(const struct tree *t);

size_t tree_rows(const struct tree *t);
void tree_row(const struct tree *t, size_t row, struct tree_row *out);
/* expand > 0 opens, < 0 closes, 0 toggles; true if something changed. */
bool tree_expand(struct tree *t, size_t row, int expand);
/* The visible row showing path (row 0 when it is hidden or unknown). */
size_t tree_find(const struct tree *t, const char *path);
/* The parent row of row (0 for the top). */
size_t tree_parent(const struct tree *t, size_t row);

#endif
