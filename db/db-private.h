/*
 * db-private.h — what the modules of db/ share; never included outside db/.
 */
#ifndef TAGCON_DB_PRIVATE_H
#define TAGCON_DB_PRIVATE_H

#include <sqlite3.h>
#include <stdbool.h>

#include "db/db.h"

#define STMT_CACHE_SLOTS 256

struct db {
	sqlite3 *conn;
	char *path;
	char *errmsg;
	bool busy;
	/* Prepared statements keyed by the address of their static SQL text. */
	const char *stmt_sql[STMT_CACHE_SLOTS];
	sqlite3_stmt *stmt[STMT_CACHE_SLOTS];
};

/*
 * The cached, reset statement for this static SQL string, or NULL (error in
 * db_errmsg).  The statement stays owned by the cache.
 */
sqlite3_stmt *db_stmt(struct db *db, const char *sql);
/* Record the connection's current error; always returns false. */
bool db_fail(struct db *db, const char *what);
/* Step a statement expected to finish with SQLITE_DONE. */
bool db_step_done(struct db *db, sqlite3_stmt *st, const char *what);
/* Run SQL with no results (schema, pragmas). */
bool db_exec(struct db *db, const char *sql);

/* A tag name or pattern as an SQLite GLOB (to free): '[' and '?' are
 * literal, and so is '*' unless pattern (then it is the one wildcard).
 * The one spelling of "tag pattern" for search, rules and the posting
 * lists. */
char *db_glob_of(const char *tag, bool pattern);

/*
 * The MCut cut of one category's stored scores of a content under a model,
 * as an SQL expression (core/mcut.h: sorted descending, the first largest
 * drop p_t - p_t+1, cut halfway down it; one score: half of it; none: 1.0).
 * Ties on the drop go to the higher score, i.e. the first drop, as numpy's
 * argmax does.  The arithmetic is core/mcut.c's, in the same doubles, so the
 * two agree exactly.  Schema 5 stores it per answer (tagged.mcut_general,
 * tagged.mcut_character): changing it means a migration that recomputes.
 */
#define DB_MCUT_SQL(content, model, category) \
	"coalesce((SELECT CASE WHEN ns IS NULL THEN s / 2 ELSE (s + ns) / 2 END FROM" \
	" (SELECT pm.score AS s, lead(pm.score) OVER (ORDER BY pm.score DESC) AS ns" \
	" FROM predictions pm JOIN tags gm ON gm.id = pm.tag_id WHERE pm.content_id = " content \
	" AND pm.model_id = " model " AND gm.category = " category ")" \
	" ORDER BY ns IS NULL, s - ns DESC, s DESC LIMIT 1), 1.0)"

/* The Space's character MCut never cuts below 0.15 (MCUT_CHARACTER_FLOOR of
 * core/mcut.h, which db/ cannot include). */
#define DB_MCUT_CHARACTER_SQL(content, model) \
	"max(0.15, " DB_MCUT_SQL(content, model, "4") ")"
#define DB_MCUT_GENERAL_SQL(content, model) DB_MCUT_SQL(content, model, "0")

/* schema.c */
int schema_latest(void);
bool schema_migrate(struct db *db, int from, int to);

#endif
