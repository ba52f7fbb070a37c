/*
 * db.h — one tagcon library database (SQLite), opened by one thread.
 *
 * Every thread that touches the database opens its own handle; SQLite's WAL
 * mode lets a console, a batch runner and a watcher share one file.  No
 * sqlite3 type crosses this header: callers see typed functions only.
 *
 * Errors: functions returning bool return false on failure and leave a
 * message in db_errmsg(); db_busy() tells a lock conflict (exit status 4)
 * from other failures.
 */
#ifndef TAGCON_DB_H
#define TAGCON_DB_H

#include <stdbool.h>
#include <stdint.h>

struct db;

/* Newest schema version this build writes (PRAGMA user_version). */
int db_schema_version(void);

/*
 * Open (creating if needed) the database at path and migrate it forward to
 * the newest schema.  A database newer than this build is refused.  On
 * failure returns NULL and, if cause is not NULL, a message to free.
 */
struct db *db_open(const char *path, char **cause);
/* As db_open, but migrate only up to version (tests of migrations). */
struct db *db_open_version(const char *path, int version, char **cause);
void db_close(struct db *db);

/* Current PRAGMA user_version, or -1 on error. */
int db_user_version(struct db *db);

const char *db_path(const struct db *db);
const char *db_errmsg(const struct db *db);
/* A copy of db_errmsg() in *cause (when cause is not NULL); false, for
 * `return db_cause(db, cause);` on a failed call. */
bool db_cause(const struct db *db, char **cause);
/* True when the last failure was SQLITE_BUSY / SQLITE_LOCKED. */
bool db_busy(const struct db *db);

/* Transactions; begin is IMMEDIATE so writers queue on the busy timeout. */
bool db_begin(struct db *db);
bool db_commit(struct db *db);
void db_rollback(struct db *db);

/* PRAGMA integrity_check == "ok". */
bool db_integrity_ok(struct db *db);

#endif
