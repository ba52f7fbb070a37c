/* widget-tree.c — folder paths into an ordered, collapsible tree. */
#include "tui/widget-tree.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct node {
	char *path;
	const char *label;
	int depth;
	int parent; /* node index, -1 for a root */
	int64_t direct;
	int64_t images;
	bool has_children;
	bool expanded;
	bool root;
};

struct tree {
	GHashTable *index; /* path (own copy) -> node index + 1, while building */
	struct node *nodes;
	size_t n;
	size_t *visible; /* node index of each visible row after row 0 */
	size_t n_visible;
	int64_t total;
};

struct tree *
tree_create(void)
{
	struct tree *t = xcalloc(1, sizeof *t);
	t->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return t;
}

void
tree_destroy(struct tree *t)
{
	if (t == NULL) {
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i].path);
	}
	if (t->index != NULL) {
		g_hash_table_destroy(t->index);
	}
	free(t->nodes);
	free(t->visible);
	free(t);
}

static struct node *
node_get(struct tree *t, const char *path)
{
	size_t i = (size_t)GPOINTER_TO_SIZE(g_hash_table_lookup(t->index, path));
	if (i > 0) {
		return &t->nodes[i - 1];
	}
	t->nodes = xreallocarray(t->nodes, t->n + 1, sizeof *t->nodes);
	struct node *nd = &t->nodes[t->n++];
	*nd = (struct node){.path = xstrdup(path), .parent = -1};
	g_hash_table_insert(t->index, g_strdup(path), GSIZE_TO_POINTER(t->n));
	return nd;
}

void
tree_add_root(struct tree *t, const char *path)
{
	node_get(t, path)->root = true;
}

void
tree_add_folder(struct tree *t, const char *path, int64_t images)
{
	node_get(t, path)->direct += images;
	t->total += images;
	/* Directories between the folder and its root, so the tree has no gaps. */
	char *dir = g_path_get_dirname(path);
	while (strcmp(dir, "/") != 0 && strcmp(dir, ".") != 0 &&
	    g_hash_table_lookup(t->index, dir) == NULL) {
		node_get(t, dir);
		char *up = g_path_get_dirname(dir);
		g_free(dir);
		dir = up;
	}
	g_free(dir);
}

/* Path order with '/' lowest, so that a folder's subtree follows it. */
static int
path_cmp(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)((const struct node *)a)->path;
	const unsigned char *y = (const unsigned char *)((const struct node *)b)->path;
	for (; *x && *x == *y; x++, y++) {
	}
	int cx = *x == '/' ? 1 : *x == 0 ? 0 : *x + 1;
	int cy = *y == '/' ? 1 : *y == 0 ? 0 : *y + 1;
	return cx - cy;
}

static bool
is_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || strcmp(dir, "/") == 0);
}

/* Parents by a stack walk over the ordered nodes; nodes above every root go. */
static void
link_nodes(struct tree *t)
{
	int *stack = xcalloc(t->n + 1, sizeof *stack);
	int top = 0;
	size_t kept = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct node nd = t->nodes[i];
		while (top > 0 && !is_below(nd.path, t->nodes[stack[top - 1]].path)) {
			top--;
		}
		if (top == 0 && !nd.root) {
			free(nd.path); /* a directory above the roots */
			continue;
		}
		nd.parent = top > 0 ? stack[top - 1] : -1;
		nd.depth = top;
		nd.root = top == 0;
		const char *slash = strrchr(nd.path, '/');
		nd.label = nd.root || slash == NULL ? nd.path : slash + 1;
		t->nodes[kept] = nd;
		stack[top++] = (int)kept++;
	}
	t->n = kept;
	free(stack);
}

static void
rebuild_visible(struct tree *t)
{
	free(t->visible);
	t->visible = xcalloc(t->n + 1, sizeof *t->visible);
	t->n_visible = 0;
	for (size_t i = 0; i < t->n; i++) {
		bool shown = true;
		for (int p = t->nodes[i].parent; p >= 0 && shown; p = t->nodes[p].parent) {
			shown = t->nodes[p].expanded;
		}
		if (shown) {
			t->visible[t->n_visible++] = i;
		}
	}
}

char **
tree_expanded(const struct tree *t)
{
	if (t == NULL || t->n == 0) {
		return NULL;
	}
	GPtrArray *a = g_ptr_array_new();
	for (size_t i = 0; i < t->n; i++) {
		if (t->nodes[i].expanded) {
			g_ptr_array_add(a, g_strdup(t->nodes[i].path));
		}
	}
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

void
tree_finish(struct tree *t, const char *const *expanded)
{
	GHashTable *open = g_hash_table_new(g_str_hash, g_str_equal);
	for (const char *const *e = expanded; e != NULL && *e != NULL; e++) {
		g_hash_table_add(open, (gpointer)*e);
	}
	g_hash_table_destroy(t->index);
	t->index = NULL;
	if (t->n > 0) {
		qsort(t->nodes, t->n, sizeof *t->nodes, path_cmp);
	}
	link_nodes(t);
	for (size_t i = t->n; i-- > 0;) {
		struct node *nd = &t->nodes[i];
		nd->images += nd->direct;
		if (nd->parent >= 0) {
			t->nodes[nd->parent].images += nd->images;
			t->nodes[nd->parent].has_children = true;
		}
	}
	for (size_t i = 0; i < t->n; i++) {
		struct node *nd = &t->nodes[i];
		nd->expanded = expanded != NULL ? g_hash_table_contains(open, nd->path) : nd->root;
	}
	g_hash_table_destroy(open);
	rebuild_visible(t);
}

size_t
tree_rows(const struct tree *t)
{
	return t->n_visible + 1;
}

void
tree_row(const struct tree *t, size_t row, struct tree_row *out)
{
	if (row == 0 || row > t->n_visible) {
		*out = (struct tree_row){.label = "every folder", .images = t->total,
			.expanded = true};
		return;
	}
	const struct node *nd = &t->nodes[t->visible[row - 1]];
	*out = (struct tree_row){
		.label = nd->label, .path = nd->path, .depth = nd->depth, .images = nd->images,
		.has_children = nd->has_children, .expanded = nd->expanded,
	};
}

bool
tree_expand(struct tree *t, size_t row, int expand)
{
	if (row == 0 || row > t->n_visible) {
		return false;
	}
	struct node *nd = &t->nodes[t->visible[row - 1]];
	bool want = expand > 0 ? true : expand < 0 ? false : !nd->expanded;
	if (!nd->has_children || want == nd->expanded) {
		return false;
	}
	nd->expanded = want;
	rebuild_visible(t);
	return true;
}

size_t
tree_find(const struct tree *t, const char *path)
{
	for (size_t r = 0; path != NULL && r < t->n_visible; r++) {
		if (strcmp(t->nodes[t->visible[r]].path, path) == 0) {
			return r + 1;
		}
	}
	return 0;
}

size_t
tree_parent(const struct tree *t, size_t row)
{
	if (row == 0 || row > t->n_visible) {
		return 0;
	}
	int p = t->nodes[t->visible[row - 1]].parent;
	return p < 0 ? 0 : tree_find(t, t->nodes[p].path);
}
