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

/* schema.c */
int schema_latest(void);
bool schema_migrate(struct db *db, int from, int to);

#endif
