/*
 * fuzz-query.c — libFuzzer target for the query language (core/query.c,
 * core/query-term.c) and its compiler to SQL (db/search.c).
 *
 * Checks: no crash or out-of-bounds access on any input; a refused query
 * names a column inside the text (or just past its end) with a message; an
 * accepted one formats, and compiles to SQL that SQLite prepares and runs
 * on an empty library, alone and as the console's filter (a failure there
 * is a compiler bug, never the input's fault); the completion helpers stay
 * inside the text.
 *
 *   meson setup build-fuzz -Dfuzz=true ... && ninja -C build-fuzz
 *   build-fuzz/tests/fuzz/fuzz-query -max_total_time=60
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tag/query.h"
#include "db/browse.h"
#include "db/db.h"
#include "db/search.h"

static struct db *db;

static size_t
chars(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++) {
		n += ((unsigned char)*s & 0xc0) != 0x80;
	}
	return n;
}

static void
check_compiles(const struct search_node *q)
{
	if (db == NULL) {
		char *cause = NULL;
		db = db_open(":memory:", &cause);
		if (db == NULL) {
			fprintf(stderr, "fuzz-query: %s\n", cause);
			abort();
		}
	}
	struct search_opts o;
	search_opts_init(&o, "model");
	o.max_rating = 1;
	int64_t n;
	if (!db_search_count(db, q, &o, &n) || n != 0) {
		fprintf(stderr, "fuzz-query: compiled SQL failed: %s\n", db_errmsg(db));
		abort();
	}
	/* The console's filter: the query under one AND with a state and a
	 * folder, paged; and a copy of the tree that formats the same. */
	struct db_browse_filter f = {.query = q, .opts = &o, .state = 1, .under = "/cwd"};
	struct db_browse_row *rows = NULL;
	size_t k = 0;
	if (!db_browse_count(db, &f, &n) || !db_browse_page(db, &f, 0, 10, -1, &rows, &k) || k != 0) {
		fprintf(stderr, "fuzz-query: browse SQL failed: %s\n", db_errmsg(db));
		abort();
	}
	db_browse_rows_free(rows, k);
	struct search_node *copy = search_node_dup(q);
	char *a = query_format(q), *b = query_format(copy);
	if (strcmp(a, b) != 0) {
		abort();
	}
	free(a);
	free(b);
	search_node_destroy(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct search_node *q = NULL;
	char *cause = NULL;
	int column = 0;
	if (query_parse(text, "/cwd", &q, &cause, &column)) {
		char *f = query_format(q);
		if (f == NULL || f[0] == '\0') {
			abort();
		}
		free(f);
		check_compiles(q);
		search_node_destroy(q);
	} else {
		if (cause == NULL || column < 1 || (size_t)column > chars(text) + 1 ||
		    strncmp(cause, "column ", 7) != 0) {
			abort();
		}
		free(cause);
	}
	size_t a, b, len = strlen(text);
	size_t at = size / 2 <= len ? size / 2 : len;
	if (query_word_at(text, at, &a, &b) && (a > b || b > len)) {
		abort();
	}
	const char *ns;
	if (query_choice_at(text, at, &ns, &a, &b) && (a > at || at > b || b > len ||
	    query_choice(ns, 0) == NULL)) {
		abort();
	}
	free(text);
	return 0;
}
