/*
 * screen-library-jobs.c — the Library's background work, on the console's
 * lanes: pages of rows with each row's suggestion count, the list's count,
 * the folder tree, a random pick.  Each job copies the filter it needs; a
 * job whose gen is older than the list's is dropped when it comes back.
 */
#include "tui/screen-library-private.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/tag/rules.h"
#include "core/tag/suggest.h"
#include "db/db.h"

/* --- background work ---------------------------------------------------- */

/* Suggestions of each row under the rules, as `tagcon show` counts them. */
static void
count_suggested(struct page_job *j, struct db *db, const struct rules *r,
    const atomic_bool *cancel)
{
	j->suggested = xcalloc(j->n + 1, sizeof *j->suggested);
	for (size_t i = 0; i < j->n && !atomic_load(cancel); i++) {
		size_t n;
		j->suggested[i] = j->rows[i].rating >= 0 &&
		    suggest_count(db, r, j->model, j->rows[i].id, j->rows[i].path, &n) ? (int)n : -1;
	}
}

static void
page_work(void *arg, const struct console_job_ctx *ctx)
{
	struct page_job *j = arg;
	/* The lane's own snapshot of the rules: the UI's may change meanwhile. */
	struct search_opts o;
	struct rules *r = console_search_opts(ctx->db, j->model, &o);
	if (r == NULL) {
		return;
	}
	j->f.opts = &o;
	if (j->count_only) {
		j->ok = db_browse_count(ctx->db, &j->f, &j->count);
	} else {
		j->ok = db_browse_page(ctx->db, &j->f, j->offset, j->limit, j->total, &j->rows,
		    &j->n);
		count_suggested(j, ctx->db, r, ctx->cancel);
	}
	j->f.opts = NULL;
	rules_destroy(r);
}

static void
page_job_free(struct page_job *j)
{
	db_browse_rows_free(j->rows, j->n);
	free(j->suggested);
	search_node_destroy((struct search_node *)j->f.query);
	free((char *)j->f.under);
	free(j->model);
	free(j);
}

static void
page_done(void *arg, bool cancelled)
{
	struct page_job *j = arg;
	struct lib *s = j->s;
	if (j->gen == s->gen && j->offset == s->pending_offset && !j->count_only) {
		s->page_pending = false;
	}
	if (j->count_only && j->gen == s->gen) {
		s->count_pending = false;
	}
	if (cancelled || !j->ok || j->gen != s->gen) {
		page_job_free(j);
		return;
	}
	if (j->count_only) {
		s->counted = true;
		list_set_count(&s->list, j->count);
		if (s->end_pending) {
			s->end_pending = false;
			list_set_cursor(&s->list, j->count - 1);
		}
		page_job_free(j);
		console_redraw(s->c);
		library_request_page(s, -1, false);
		return;
	}
	db_browse_rows_free(s->rows, s->n_rows);
	free(s->suggested);
	s->rows = j->rows;
	s->suggested = j->suggested;
	s->n_rows = j->n;
	s->base = j->offset;
	j->rows = NULL;
	j->suggested = NULL;
	j->n = 0;
	if (!s->counted && s->list.count < s->base + (int64_t)s->n_rows) {
		/* Until the count comes, the rows we have are the list. */
		list_set_count(&s->list, s->base + (int64_t)s->n_rows);
	}
	page_job_free(j);
	library_publish_cursor(s);
	console_redraw(s->c);
	library_rows_arrived(s);
	/* The cursor may have run ahead of the page while it was read. */
	library_request_page(s, -1, false);
}

static void
copy_filter(const struct lib *s, struct page_job *j)
{
	const struct console_filter *f = console_filter(s->c);
	j->f = (struct db_browse_filter){
		.state = f->state, .sort = f->sort,
		.query = search_node_dup(f->query),
		.under = f->under != NULL ? xstrdup(f->under) : NULL,
	};
	j->model = xstrdup(console_model(s->c));
}

/* Fetch the page around the cursor unless it is there or on its way;
 * offset >= 0 forces that page (a refresh). */
void
library_request_page(struct lib *s, int64_t offset, bool want_count)
{
	int64_t cur = s->list.cursor;
	bool covered = list_window_covers(&s->list, s->base, (int64_t)s->n_rows);
	if (offset < 0) {
		if (covered) {
			return;
		}
		offset = cur - PAGE / 2 < 0 ? 0 : cur - PAGE / 2;
		if (s->page_pending && s->pending_offset == offset) {
			return;
		}
	}
	struct page_job *j = xcalloc(1, sizeof *j);
	j->s = s;
	j->gen = s->gen;
	j->offset = offset;
	j->limit = s->n_rows == 0 && offset == 0 ? FIRST_PAGE : PAGE;
	j->total = s->counted ? s->list.count : -1;
	copy_filter(s, j);
	s->page_pending = true;
	s->pending_offset = offset;
	console_job(s->c, LANE_QUERY, JOB_LIBRARY_PAGE, page_work, page_done, j);
	if (want_count || (!s->counted && !s->count_pending)) {
		/* After the page on the same lane: rows first, the count a moment later. */
		struct page_job *c = xcalloc(1, sizeof *c);
		*c = (struct page_job){.s = s, .gen = s->gen, .count_only = true, .offset = -1};
		copy_filter(s, c);
		s->count_pending = true;
		console_job(s->c, LANE_QUERY, JOB_LIBRARY_COUNT, page_work, page_done, c);
	}
}

struct tree_job {
	struct lib *s;
	struct tree *tree;
	char **expanded;
};

static void
tree_root(void *ud, int64_t id, const char *path)
{
	(void)id;
	tree_add_root(ud, path);
}

static void
tree_folder(void *ud, const struct db_folder_row *f)
{
	tree_add_folder(ud, f->path, f->images);
}

static void
tree_work(void *arg, const struct console_job_ctx *ctx)
{
	struct tree_job *j = arg;
	j->tree = tree_create();
	if (ctx->db != NULL) {
		db_roots_each(ctx->db, tree_root, j->tree);
		db_browse_folders(ctx->db, tree_folder, j->tree);
	}
	tree_finish(j->tree, (const char *const *)j->expanded);
}

static void
tree_done(void *arg, bool cancelled)
{
	struct tree_job *j = arg;
	struct lib *s = j->s;
	if (!cancelled) {
		struct tree_row sel;
		tree_row(s->tree, (size_t)s->tree_list.cursor, &sel);
		char *keep = sel.path != NULL ? xstrdup(sel.path) : NULL;
		tree_destroy(s->tree);
		s->tree = j->tree;
		j->tree = NULL;
		list_set_count(&s->tree_list, (int64_t)tree_rows(s->tree));
		list_set_cursor(&s->tree_list, (int64_t)tree_find(s->tree, keep));
		free(keep);
		console_redraw(s->c);
	}
	tree_destroy(j->tree);
	g_strfreev(j->expanded);
	free(j);
}

void
library_request_tree(struct lib *s)
{
	struct tree_job *j = xcalloc(1, sizeof *j);
	j->s = s;
	j->expanded = tree_expanded(s->tree);
	console_job(s->c, LANE_STATS, JOB_LIBRARY_TREE, tree_work, tree_done, j);
}

/* A random match of the filter, reviewed: a curator's spot check. */
struct random_job {
	struct lib *s;
	unsigned gen;
	struct page_job *filter; /* only its filter and model are used */
	int64_t id;
	bool ok;
};

static void
random_work(void *arg, const struct console_job_ctx *ctx)
{
	struct random_job *j = arg;
	struct search_opts o;
	struct rules *r = console_search_opts(ctx->db, j->filter->model, &o);
	if (r == NULL) {
		return;
	}
	j->filter->f.opts = &o;
	j->ok = db_browse_random(ctx->db, &j->filter->f, &j->id);
	j->filter->f.opts = NULL;
	rules_destroy(r);
}

static void
random_done(void *arg, bool cancelled)
{
	struct random_job *j = arg;
	struct lib *s = j->s;
	if (!cancelled && j->gen == s->gen) {
		if (!j->ok) {
			console_message(s->c, CONSOLE_ERROR, "random pick failed");
		} else if (j->id == 0) {
			console_message(s->c, CONSOLE_INFO, "no image matches the filter");
		} else {
			console_open_review(s->c, j->id, false);
		}
	}
	page_job_free(j->filter);
	free(j);
}

void
library_random_pick(struct lib *s)
{
	struct random_job *j = xcalloc(1, sizeof *j);
	j->s = s;
	j->gen = s->gen;
	j->filter = xcalloc(1, sizeof *j->filter);
	copy_filter(s, j->filter);
	console_job(s->c, LANE_QUERY, JOB_LIBRARY_RANDOM, random_work, random_done, j);
}
