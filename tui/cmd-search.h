/*
 * cmd-search.h — what the commands that take a query share (search, random,
 * export): the query words, the rating filter, presets, and one image as
 * JSON.  Defined in cmd-search.c.
 */
#ifndef TAGCON_CMD_SEARCH_H
#define TAGCON_CMD_SEARCH_H

#include <stdbool.h>

#include "db/search.h"
#include "tui/cli.h"
#include "tui/out.h"

struct rules;

struct query_cmd {
	struct db *db;
	char *text;              /* the query words joined by blanks */
	struct search_node *q;
	char *model;
	struct rules *rules;
	struct search_opts opts; /* model, max rating and cuts from settings and rules */
};

/* The options every query command takes, with their values. */
struct query_flags {
	const char *max_rating;  /* --max-rating g|s|q|e */
	bool all_ratings;        /* --all-ratings */
	const char *preset;      /* --preset NAME */
};

/*
 * Open the database, use the preset, load rules and settings, parse the
 * query words argv[0..argc).  Returns EXIT_OK, or the exit status after
 * printing why (a query error shows the query and a caret at its column).
 */
int query_cmd_open(struct cli *cli, const struct cmd_entry *e, int argc, char **argv,
    const struct query_flags *f, struct query_cmd *qc);
void query_cmd_fini(struct query_cmd *qc);

/* One match as the JSON object search, random and export print. */
cJSON *query_hit_json(const struct search_hit *h);
/* "g", "s", "q", "e" or NULL when unrated. */
const char *query_rating_name(int rating);

#endif
