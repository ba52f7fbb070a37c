/*
 * console-state.c — what the screens share, owned by the console: the
 * Library's filter, the image a person looks at, the review on screen, the
 * model and rules every view derives under, and requests to open a review.
 *
 * Screens never call each other (as tmux modes ask the session, never
 * another mode): one sets state here, the others read it when they draw or
 * become visible.  Generation counters tell a screen that something moved.
 */
#include "tui/console-private.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/settings.h"
#include "core/tag/rules.h"
#include "db/browse.h"
#include "db/db.h"
#include "db/settings.h"

const struct console_filter *
console_filter(const struct console *c)
{
	return &c->filter;
}

unsigned
console_filter_gen(const struct console *c)
{
	return c->filter_gen;
}

static void
filter_moved(struct console *c)
{
	c->filter_gen++;
	console_redraw(c);
}

void
console_filter_set_query(struct console *c, const char *text, struct search_node *tree)
{
	free(c->filter.query_text);
	search_node_destroy(c->filter.query);
	c->filter.query_text = NULL;
	c->filter.query = NULL;
	if (tree != NULL && tree->kind != SEARCH_ALL) {
		c->filter.query_text = xstrdup(text);
		c->filter.query = tree;
	} else {
		search_node_destroy(tree);
	}
	filter_moved(c);
}

void
console_filter_set_state(struct console *c, int state)
{
	c->filter.state = state;
	filter_moved(c);
}

void
console_filter_set_folder(struct console *c, const char *under)
{
	free(c->filter.under);
	c->filter.under = under != NULL ? xstrdup(under) : NULL;
	filter_moved(c);
}

void
console_filter_set_sort(struct console *c, enum db_browse_sort sort)
{
	c->filter.sort = sort;
	filter_moved(c);
}

/* The model and search options of the current settings and rules. */
static void
refresh_opts(struct console *c)
{
	if (c->opts_gen == c->settings_gen && c->model != NULL) {
		return;
	}
	free(c->model);
	c->model = settings_get(c->db, "model");
	if (c->model == NULL) {
		c->model = xstrdup("");
	}
	search_opts_init(&c->search, c->model);
	const struct rules *r = console_rules(c);
	if (r != NULL) {
		rules_search_opts(r, &c->search);
	}
	/* A curator sees every image: max_rating filters the shell's commands. */
	c->search.max_rating = RATING_E;
	c->search.model = c->model;
	c->opts_gen = c->settings_gen;
}

const char *
console_model(struct console *c)
{
	refresh_opts(c);
	return c->model;
}

void
console_browse_filter(struct console *c, struct db_browse_filter *out)
{
	refresh_opts(c);
	*out = (struct db_browse_filter){.query = c->filter.query, .opts = &c->search,
		.state = c->filter.state, .under = c->filter.under, .sort = c->filter.sort};
}

void
console_set_image(struct console *c, int64_t id)
{
	c->image = id;
}

int64_t
console_image(const struct console *c)
{
	return c->image;
}

void
console_set_review(struct console *c, const struct review *r)
{
	c->review = r;
}

const struct review *
console_review(const struct console *c)
{
	return c->review;
}

void
console_open_review(struct console *c, int64_t id, bool next)
{
	c->review_request = (struct review_request){.id = id, .next = next, .pending = true};
	console_show(c, SCREEN_REVIEW);
}

bool
console_take_review_request(struct console *c, int64_t *id, bool *next)
{
	if (!c->review_request.pending) {
		return false;
	}
	*id = c->review_request.id;
	*next = c->review_request.next;
	c->review_request.pending = false;
	return true;
}

void
console_data_changed(struct console *c)
{
	c->data_gen++;
	console_redraw(c);
}

unsigned
console_data_gen(const struct console *c)
{
	return c->data_gen;
}

void
console_settings_seen(struct console *c)
{
	char *snap = NULL;
	int64_t version = 0;
	if (db_browse_version(c->db, &version) && db_settings_snapshot(c->db, &snap)) {
		free(c->settings_snap);
		c->settings_snap = snap;
		c->settings_version = version;
	}
}

void
console_watch_settings(void *arg)
{
	struct console *c = arg;
	int64_t version = 0;
	char *snap = NULL;
	if (!db_browse_version(c->db, &version) || version == c->settings_version) {
		return; /* nobody else wrote anything */
	}
	c->settings_version = version;
	if (!db_settings_snapshot(c->db, &snap)) {
		return;
	}
	bool changed = c->settings_snap == NULL || strcmp(snap, c->settings_snap) != 0;
	free(c->settings_snap);
	c->settings_snap = snap;
	if (changed) {
		c->settings_gen++;
		console_redraw(c);
	}
}

void
console_state_fini(struct console *c)
{
	free(c->settings_snap);
	free(c->filter.query_text);
	search_node_destroy(c->filter.query);
	free(c->filter.under);
	free(c->model);
	rules_destroy(c->rules);
}
