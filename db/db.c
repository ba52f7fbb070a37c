/*
 * db.c — opening a library database: pragmas, migrations, statement cache.
 */
#include "db/db-private.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"

/* Long enough to ride out a batch runner's commit; short enough that a
 * second process learns quickly that somebody else holds a write lock. */
#define BUSY_TIMEOUT_MS 5000

int
db_schema_version(void)
{
	return schema_latest();
}

const char *
db_path(const struct db *db)
{
	return db->path;
}

bool
db_cause(const struct db *db, char **cause)
{
	if (cause != NULL) {
		*cause = xstrdup(db_errmsg(db));
	}
	return false;
}

const char *
db_errmsg(const struct db *db)
{
	return db->errmsg != NULL ? db->errmsg : "no error";
}

bool
db_busy(const struct db *db)
{
	return db->busy;
}

bool
db_fail(struct db *db, const char *what)
{
	int code = sqlite3_extended_errcode(db->conn);
	int primary = code & 0xff;
	db->busy = primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
	free(db->errmsg);
	db->errmsg = xasprintf("%s: %s: %s", db->path, what, sqlite3_errmsg(db->conn));
	return false;
}

bool
db_exec(struct db *db, const char *sql)
{
	if (sqlite3_exec(db->conn, sql, NULL, NULL, NULL) != SQLITE_OK) {
		return db_fail(db, "exec");
	}
	return true;
}

char *
db_glob_of(const char *tag, bool pattern)
{
	char *out = xmalloc(3 * strlen(tag) + 1), *q = out;
	for (const char *p = tag; *p; p++) {
		if (*p == '[' || *p == '?' || (*p == '*' && !pattern)) {
			*q++ = '[';
			*q++ = *p;
			*q++ = ']';
		} else {
			*q++ = *p;
		}
	}
	*q = '\0';
	return out;
}

static size_t
slot_of(const char *sql)
{
	uintptr_t h = (uintptr_t)sql;
	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 40) % STMT_CACHE_SLOTS;
}

sqlite3_stmt *
db_stmt(struct db *db, const char *sql)
{
	size_t i = slot_of(sql);
	for (size_t n = 0; n < STMT_CACHE_SLOTS; n++, i = (i + 1) % STMT_CACHE_SLOTS) {
		if (db->stmt_sql[i] == sql) {
			sqlite3_reset(db->stmt[i]);
			sqlite3_clear_bindings(db->stmt[i]);
			return db->stmt[i];
		}
		if (db->stmt_sql[i] == NULL) {
			sqlite3_stmt *st;
			if (sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
			    NULL) != SQLITE_OK) {
				db_fail(db, "prepare");
				return NULL;
			}
			db->stmt_sql[i] = sql;
			db->stmt[i] = st;
			return st;
		}
	}
	/* More distinct statements than slots is a programming error. */
	abort();
}

bool
db_step_done(struct db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		return db_fail(db, what);
	}
	return true;
}

bool
db_begin(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "BEGIN IMMEDIATE");
	return st != NULL && db_step_done(db, st, "begin");
}

bool
db_commit(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "COMMIT");
	return st != NULL && db_step_done(db, st, "commit");
}

void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->conn)) {
		sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
	}
}

int
db_user_version(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "PRAGMA user_version");
	if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
		return -1;
	}
	int v = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return v;
}

bool
db_integrity_ok(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "PRAGMA integrity_check");
	if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
		return false;
	}
	bool ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_reset(st);
	return ok;
}

/*
 * Wait for a lock by polling every millisecond up to BUSY_TIMEOUT_MS.
 * SQLite's own handler backs off to 100 ms sleeps, and so keeps missing the
 * short gaps a long writer (a scan, a batch) leaves between its
 * transactions: a `config set` beside a first scan would time out.
 */
static int
busy_wait(void *arg, int count)
{
	(void)arg;
	if (count >= BUSY_TIMEOUT_MS) {
		return 0;
	}
	struct timespec ts = {.tv_nsec = 1000000};
	nanosleep(&ts, NULL);
	return 1;
}

static bool
configure(struct db *db)
{
	sqlite3_busy_handler(db->conn, busy_wait, NULL);
	sqlite3_extended_result_codes(db->conn, 1);
	/* WAL: readers never block the writer; NORMAL sync is durable across
	 * process crashes (kill -9), which is the failure tagcon promises to
	 * survive; only an OS crash may lose the last commits. */
	return db_exec(db, "PRAGMA journal_mode = WAL;") &&
	    db_exec(db, "PRAGMA synchronous = NORMAL;") &&
	    db_exec(db, "PRAGMA foreign_keys = ON;") &&
	    db_exec(db, "PRAGMA temp_store = MEMORY;");
}

struct db *
db_open_version(const char *path, int version, char **cause)
{
	struct db *db = xcalloc(1, sizeof *db);
	db->scores_budget = -1;
	db->path = xstrdup(path);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &db->conn, flags, NULL) != SQLITE_OK) {
		db_fail(db, "open");
		goto fail;
	}
	if (!configure(db)) {
		goto fail;
	}
	int have = db_user_version(db);
	if (have < 0) {
		goto fail;
	}
	if (have > schema_latest()) {
		free(db->errmsg);
		db->errmsg = xasprintf("%s: database schema version %d is newer than this "
		    "tagcon understands (%d); upgrade tagcon", path, have, schema_latest());
		goto fail;
	}
	if (have < version && !schema_migrate(db, have, version)) {
		goto fail;
	}
	return db;
fail:
	if (cause != NULL) {
		*cause = xstrdup(db_errmsg(db));
	}
	db_close(db);
	return NULL;
}

struct db *
db_open(const char *path, char **cause)
{
	return db_open_version(path, schema_latest(), cause);
}

void
db_close(struct db *db)
{
	if (db == NULL) {
		return;
	}
	for (size_t i = 0; i < STMT_CACHE_SLOTS; i++) {
		if (db->stmt[i] != NULL) {
			sqlite3_finalize(db->stmt[i]);
		}
	}
	for (size_t i = 0; i < DB_SET_MEMOS; i++) {
		if (db->memo[i].set != NULL) {
			roaring_bitmap_free(db->memo[i].set);
		}
	}
	if (db->conn != NULL) {
		sqlite3_close(db->conn);
	}
	free(db->errmsg);
	free(db->path);
	free(db);
}

void
db_folder_range(const char *folder, char **lo, char **hi)
{
	size_t n = strlen(folder);
	while (n > 0 && folder[n - 1] == '/') {
		n--;
	}
	*lo = xasprintf("%.*s/", (int)n, folder);
	*hi = xasprintf("%.*s0", (int)n, folder);
}

bool
db_folder_below(const char *a, const char *b)
{
	size_t n = strlen(a);
	while (n > 0 && a[n - 1] == '/') {
		n--;
	}
	return strncmp(a, b, n) == 0 && b[n] == '/' && b[n + 1] != '\0';
}
