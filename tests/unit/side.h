/*
 * side.h — what the random-library tests (agree, postings, scores) do
 * beside tagcon's own calls: SQL from a connection of their own, as a
 * script or the sqlite3 shell writes, and a first page of a search
 * compared with plain SQL's (TAGCON_POSTINGS=off).
 */
#ifndef TAGCON_SIDE_H
#define TAGCON_SIDE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/postings.h"
#include "db/search.h"
#include "tests/unit/check.h"

/* text run on file by another connection; a failure is a failed check. */
static inline void
side_sql(const char *file, const char *text, bool foreign_keys)
{
	sqlite3 *conn;
	char *err = NULL;
	CHECK(sqlite3_open(file, &conn) == SQLITE_OK);
	sqlite3_busy_timeout(conn, 5000);
	if (foreign_keys) {
		sqlite3_exec(conn, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	}
	if (!check_(sqlite3_exec(conn, text, NULL, NULL, &err) == SQLITE_OK, text, __FILE__,
	    __LINE__)) {
		fprintf(stderr, "    %s\n", err);
	}
	sqlite3_free(err);
	sqlite3_close(conn);
}

/* q counted under o in plain SQL (TAGCON_POSTINGS=off) into *plain and
 * from the bitmaps into *fast, which must answer (a failed check). */
static inline void
side_counts(struct db *db, const struct search_node *q, const struct search_opts *o,
    int64_t *plain, int64_t *fast)
{
	bool answered = false;
	*plain = -1;
	*fast = -2;
	setenv("TAGCON_POSTINGS", "off", 1);
	CHECK(db_search_count(db, q, o, plain));
	unsetenv("TAGCON_POSTINGS");
	CHECK(db_postings_count(db, q, o, true, fast, &answered));
	CHECK(answered);
}

/* The first rows of a search, as ids. */
struct side_page {
	int64_t ids[25];
	int n;
};

static inline bool
side_page_row(void *ud, const struct search_hit *h)
{
	struct side_page *p = ud;
	if (p->n < 25) {
		p->ids[p->n++] = h->id;
	}
	return true;
}

static inline bool
side_page_same(const struct side_page *a, const struct side_page *b)
{
	return a->n == b->n && memcmp(a->ids, b->ids, sizeof a->ids[0] * (size_t)a->n) == 0;
}

/* Whether the first page of q by path under o is plain SQL's, by each plan
 * the bitmaps offer: the one their cost picks, and (on any library) their
 * matches fetched by id, or tested row by row in the path order, each in
 * place of the WHERE: they must give the very rows. */
static inline bool
side_same_page(struct db *db, const struct search_node *q, struct search_opts o)
{
	struct side_page plain, page[3];
	memset(&plain, 0, sizeof plain);
	memset(page, 0, sizeof page);
	static const char *const plans[3] = {NULL, "id", "walk"};
	o.limit = 25;
	setenv("TAGCON_POSTINGS", "off", 1);
	CHECK(db_search_each(db, q, &o, side_page_row, &plain));
	unsetenv("TAGCON_POSTINGS");
	bool same = true;
	for (int i = 0; i < 3; i++) {
		if (plans[i] != NULL) {
			setenv("TAGCON_SEARCH_MATCH", plans[i], 1);
		}
		CHECK(db_search_each(db, q, &o, side_page_row, &page[i]));
		unsetenv("TAGCON_SEARCH_MATCH");
		same = same && side_page_same(&plain, &page[i]);
	}
	return same;
}

#endif
